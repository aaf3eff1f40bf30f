/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "dft-form.h"

G_BEGIN_DECLS

/*
 * ODK XForms (https://getodk.github.io/xforms-spec/) read into a DftForm. The question tree
 * follows the primary instance; binds, body controls, itext translations and secondary
 * instances fill it in. Questions of types Daftari cannot show become
 * DFT_QUESTION_UNSUPPORTED with a warning; a required one refuses the form
 * (DFT_FORM_ERROR_UNSUPPORTED). Labels are plain text: markup in them is kept as text.
 *
 * The form returned is not prepared: run dft_form_prepare() on it (dft_form_new_from_file()
 * does both).
 *
 * What ODK has no place for, Daftari writes where ODK tools do not look (app/forms/FORMS.md,
 * "Exporting"): the title in other languages as the itext entry "/<root>:title", and the
 * question type of a text or note that ODK would take for the other as the bind attribute
 * question-type in the namespace below.
 */

#define DFT_XFORM_NAMESPACE "https://daftari.example.org/xforms"

/* Reads @path; external CSV instances are looked for beside it, in "media/" and in
 * "<form name>-media/". */
DftForm *dft_xform_load_file (const char *path, GError **error);

/* @base_dir is where external CSV instances are looked for; NULL means the form has none
 * to offer (a form that needs one is refused). */
DftForm *dft_xform_load_data (const char *data, gsize length, const char *base_dir, GError **error);

G_END_DECLS
