/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <freexl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "dft-sheet-private.h"

/* ---- XLS -------------------------------------------------------------- */

/* A number as Excel shows it (see format_number()). */
static char *
format_double (double value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (value))
    return NULL;
  if (value == 0)
    value = 0;
  return g_strdup (g_ascii_formatd (buffer, sizeof buffer, "%.15g", value));
}

static char *
xls_cell_text (const FreeXL_CellValue *value)
{
  switch (value->type)
    {
    case FREEXL_CELL_INT:
      return g_strdup_printf ("%d", value->value.int_value);
    case FREEXL_CELL_DOUBLE:
      return format_double (value->value.double_value);
    case FREEXL_CELL_TEXT:
    case FREEXL_CELL_SST_TEXT:
    case FREEXL_CELL_DATE:
    case FREEXL_CELL_DATETIME:
    case FREEXL_CELL_TIME:
      if (value->value.text_value == NULL || !g_utf8_validate (value->value.text_value, -1, NULL))
        return NULL;
      return g_strdup (value->value.text_value);
    case FREEXL_CELL_NULL:
    default:
      return NULL;
    }
}

static gboolean
set_xls_damaged (GError **error, const char *name)
{
  g_set_error (error, DFT_SHEET_ERROR, DFT_SHEET_ERROR_FORMAT,
               /* Translators: %s is a file name */
               _ ("“%s” looks like an Excel 97–2003 workbook (.xls) but is damaged, protected by "
                  "a password or not a workbook at all. Open it in Excel or LibreOffice, save it "
                  "again as .xlsx and use the new file."),
               name);
  return FALSE;
}

gboolean
_dft_sheet_read_xls_sheet (const void *handle, guint index, Sheet *sheet, GError **error)
{
  unsigned int   n_rows = 0;
  unsigned short n_columns = 0;

  /* FreeXL gives the grid the file declares, and every cell of it is asked for: beyond what an
   * .xls sheet can hold (BIFF8: 65,536 rows of 256 columns) the file is damaged or hostile, and
   * its empty grid would take hours to walk. */
  if (freexl_select_active_worksheet (handle, (unsigned short) index) != FREEXL_OK
      || freexl_worksheet_dimensions (handle, &n_rows, &n_columns) != FREEXL_OK
      || n_rows > XLS_MAX_ROWS || n_columns > XLS_MAX_COLUMNS)
    return set_xls_damaged (error, sheet->name);

  for (unsigned int r = 0; r < n_rows; r++)
    {
      g_autoptr (GPtrArray) cells = g_ptr_array_new_with_free_func (g_free);

      for (unsigned short c = 0; c < n_columns; c++)
        {
          FreeXL_CellValue value;
          g_autofree char *text = NULL;
          char            *clean;

          if (freexl_get_cell_value (handle, r, c, &value) != FREEXL_OK)
            return set_xls_damaged (error, sheet->name);
          text = xls_cell_text (&value);
          clean = text != NULL ? _dft_sheet_clean_cell (text, strlen (text)) : NULL;
          if (clean == NULL)
            continue;
          if (c >= sheet->max_columns)
            {
              g_free (clean);
              return _dft_sheet_too_many_columns (sheet, r + 1, error);
            }
          if (c >= cells->len)
            g_ptr_array_set_size (cells, c + 1);
          g_ptr_array_index (cells, c) = clean;
        }
      if (!_dft_sheet_add_row (sheet, r + 1, g_steal_pointer (&cells), error))
        return FALSE;
    }
  return TRUE;
}

/* FreeXL reads from a file only; @data goes to a private temporary one first, so that what is
 * read is what was sniffed. */
gboolean
_dft_sheet_open_xls (DftWorkbook *wb, const char *data, gsize len, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autofree char   *tmp = NULL;
  unsigned int       n_sheets = 0;
  int                fd;
  int                ret;

  fd = g_file_open_tmp ("daftari-XXXXXX.xls", &tmp, &local);
  if (fd < 0)
    {
      g_set_error (error, DFT_SHEET_ERROR, DFT_SHEET_ERROR_FORMAT,
                   /* Translators: %s is the system's reason */
                   _ ("Could not make a temporary file to read the workbook: %s"), local->message);
      return FALSE;
    }
  g_close (fd, NULL);
  if (!g_file_set_contents (tmp, data, (gssize) len, &local))
    {
      g_unlink (tmp);
      g_set_error (error, DFT_SHEET_ERROR, DFT_SHEET_ERROR_FORMAT,
                   /* Translators: %s is the system's reason */
                   _ ("Could not make a temporary file to read the workbook: %s"), local->message);
      return FALSE;
    }
  ret = freexl_open (tmp, &wb->xls);
  g_unlink (tmp);
  if (ret != FREEXL_OK)
    {
      if (wb->xls != NULL)
        freexl_close (wb->xls);
      wb->xls = NULL;
      return set_xls_damaged (error, wb->name);
    }
  if (freexl_get_info (wb->xls, FREEXL_BIFF_SHEET_COUNT, &n_sheets) != FREEXL_OK)
    return set_xls_damaged (error, wb->name);
  for (unsigned int i = 0; i < n_sheets && i < MAX_SHEETS; i++)
    {
      const char *name = NULL;
      Entry      *entry;

      if (freexl_get_worksheet_name (wb->xls, (unsigned short) i, &name) != FREEXL_OK)
        return set_xls_damaged (error, wb->name);
      entry = g_new0 (Entry, 1);
      entry->pub.name = g_strdup (name != NULL && g_utf8_validate (name, -1, NULL) ? name : "");
      g_ptr_array_add (wb->sheets, entry);
    }
  if (wb->sheets->len == 0)
    {
      g_set_error (error, DFT_SHEET_ERROR, DFT_SHEET_ERROR_EMPTY,
                   /* Translators: %s is a file name */
                   _ ("“%s” has no worksheet."), wb->name);
      return FALSE;
    }
  return TRUE;
}
