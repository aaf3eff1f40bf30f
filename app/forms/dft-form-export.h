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
 * Reading the file again gives the same definition. What ODK has no place for goes where ODK
 * tools do not look (app/forms/FORMS.md, "Exporting"): the title in other languages than the
 * default one in the itext entry "/<root>:title" or the settings columns
 * "form_title_translation::Name (code)", the question type of a text or note that ODK would
 * take for the other in a bind attribute of Daftari's namespace (DFT_XFORM_NAMESPACE), and
 * line breaks in a markdown table's texts as "<br>".
 *
 * What the formats cannot hold is left out: Daftari's assessment fields and kind in an XForm
 * (the XLSForm keeps them in its correct_answer, points, partial_credit, kind and pass_mark
 * columns), language fallbacks, and questions of types Daftari cannot show (an XForm keeps
 * their place in the instance).
 *
 * The form is prepared first if it is not; errors are those of dft_form_prepare().
 */

/* An ODK XForm (XML) of @form. */
char *dft_xform_export (DftForm *form, GError **error);

/* An XLSForm of @form as pyxform's markdown tables (survey, choices and settings sheets),
 * which dft_xlsform_load_data() reads back. */
char *dft_xlsform_export_md (DftForm *form, GError **error);

G_END_DECLS
