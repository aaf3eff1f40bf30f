/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "dft-sheet.h"
#include "forms/dft-xlsform.h"
#include "fuzz-form.h"

/*
 * The XLSForm reader. The file's name picks the reader as in the app, and here it follows the
 * content, so that any seed (.xlsx, .xls, .csv or pyxform's markdown) reads as what it is:
 * text whose first line starts with "|" is markdown, other text a flat CSV XLSForm.
 */
static const char *
name_for (const uint8_t *data, size_t size)
{
  size_t i = 0;

  switch (dft_workbook_sniff ((const char *) data, size))
    {
    case DFT_WORKBOOK_XLSX:
      return "form.xlsx";
    case DFT_WORKBOOK_XLS:
      return "form.xls";
    case DFT_WORKBOOK_CSV:
    default:
      while (i < size && (data[i] == ' ' || data[i] == '\t'))
        i++;
      return i < size && data[i] == '|' ? "form.md" : "form.csv";
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError  *error = NULL;
  DftForm *form
      = dft_xlsform_load_data (name_for (data, size), NULL, (const char *) data, size, &error);

  fuzz_form_check (form, error);
  g_clear_pointer (&form, dft_form_unref);
  return 0;
}
