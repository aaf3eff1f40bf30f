/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dft-form.h"

G_BEGIN_DECLS

/*
 * A form written out again, so that a form made or translated in Daftari goes back to ODK
 * tools (Collect, Central, Enketo) or to the spreadsheet its author keeps.
 *
 * Both keep every language: an XForm gets an itext translation per language (labels, hints
 * and messages by jr:itext reference), an XLSForm a "label::Name (code)" column (and hint,
 * constraint_message, required_message columns) per language. Expressions are written as
 * the prepared form holds them, with absolute paths (/data/age), which both formats read.
 *
 * What the formats cannot hold is left out: the title in other languages than the default
 * (neither has translated titles), Daftari's assessment fields in an XForm (the XLSForm keeps
 * them in its correct_answer, points, partial_credit, kind and pass_mark columns) and
 * questions of types Daftari cannot show (an XForm keeps their place in the instance).
 * Line breaks in texts become spaces in an XLSForm's markdown tables.
 *
 * The form is prepared first if it is not; errors are those of dft_form_prepare().
 */

/* An ODK XForm (XML) of @form. */
char *dft_xform_export (DftForm *form, GError **error);

/* An XLSForm of @form as pyxform's markdown tables (survey, choices and settings sheets),
 * which dft_xlsform_load_data() reads back. */
char *dft_xlsform_export_md (DftForm *form, GError **error);

G_END_DECLS
