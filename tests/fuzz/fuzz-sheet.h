/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dft-sheet.h"
#include "fuzz-target.h"

/*
 * The spreadsheet readers, as the sign-up import and the XLSForm reader use them: open, then
 * read every sheet. Each target feeds one reader: an input the sniffer gives to another one is
 * left alone. What the header promises of a row is checked too.
 */

/* Limits like the import's: bounded so that one input cannot take the machine's memory. */
#define FUZZ_SHEET_MAX_ROWS    5000
#define FUZZ_SHEET_MAX_COLUMNS 256

static inline void
fuzz_sheet_check_row (const DftSheetRow *row)
{
  g_assert_cmpuint (row->n_cells, >, 0);
  g_assert_cmpuint (row->n_cells, <=, FUZZ_SHEET_MAX_COLUMNS);
  g_assert_nonnull (row->cells[row->n_cells - 1]);
  for (guint c = 0; c < row->n_cells; c++)
    {
      const char *cell = row->cells[c];

      if (cell == NULL)
        continue;
      g_assert_true (g_utf8_validate (cell, -1, NULL));
      g_assert_cmpint (cell[0], !=, '\0');
      g_assert_false (g_unichar_isspace (g_utf8_get_char (cell)));
    }
}

static inline int
fuzz_sheet (const uint8_t *data, size_t size, DftWorkbookKind kind, const char *name)
{
  g_autoptr (DftWorkbook) wb = NULL;
  g_autoptr (GError)      error = NULL;

  if (dft_workbook_sniff ((const char *) data, size) != kind)
    return 0;
  wb = dft_workbook_new_from_data (name, (const char *) data, size, FUZZ_SHEET_MAX_ROWS,
                                   FUZZ_SHEET_MAX_COLUMNS, &error);
  if (wb == NULL)
    {
      g_assert (error != NULL && error->domain == DFT_SHEET_ERROR);
      return 0;
    }
  g_assert_cmpint (dft_workbook_get_kind (wb), ==, kind);
  g_assert_cmpuint (dft_workbook_get_n_sheets (wb), >, 0);
  g_assert_cmpint (dft_workbook_get_first_visible (wb), >=, 0);
  dft_workbook_find_sheet (wb, "survey");
  for (guint i = 0; i < dft_workbook_get_n_sheets (wb); i++)
    {
      const DftSheet *sheet = dft_workbook_read_sheet (wb, i, &error);

      if (sheet == NULL)
        {
          g_assert (error != NULL && error->domain == DFT_SHEET_ERROR);
          g_clear_error (&error);
          continue;
        }
      g_assert_true (g_utf8_validate (sheet->name, -1, NULL));
      g_assert_cmpuint (sheet->rows->len, <=, FUZZ_SHEET_MAX_ROWS);
      for (guint r = 0; r < sheet->rows->len; r++)
        fuzz_sheet_check_row (g_ptr_array_index (sheet->rows, r));
    }
  return 0;
}
