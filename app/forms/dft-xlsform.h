/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dft-form.h"

G_BEGIN_DECLS

/* An XLSForm (.xlsx, .xls, .csv or pyxform's markdown tables, .md) read into an unprepared form:
 * call dft_form_prepare() next (dft_form_new_from_file() does). Errors are DFT_FORM_ERROR_PARSE
 * when the file cannot be read as a spreadsheet and DFT_FORM_ERROR_INVALID when the form in it is
 * broken; messages name the sheet and row. */
DftForm *dft_xlsform_load_file (const char *path, GError **error);

/* The same from a file's content; @name is the file's name (its stem is the form's default id
 * and root element), @dir the folder where files a form refers to are looked for (NULL: none). */
DftForm *dft_xlsform_load_data (
    const char *name, const char *dir, const char *data, gsize len, GError **error);

G_END_DECLS
