/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <libxml/parser.h>
#include <string.h>

#include "dft-sheet-private.h"

/* The quark's name is a string: the formatter would put spaces in it. */
/* clang-format off */
G_DEFINE_QUARK (dft-sheet-error-quark, dft_sheet_error)
/* clang-format on */

static void
row_free (gpointer data)
{
  DftSheetRow *row = data;

  if (row == NULL)
    return;
  for (guint i = 0; i < row->n_cells; i++)
    g_free (row->cells[i]);
  g_free (row->cells);
  g_free (row);
}

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_free (entry->pub.name);
  g_clear_pointer (&entry->pub.rows, g_ptr_array_unref);
  g_free (entry->part);
  g_free (entry);
}

const char *
dft_sheet_row_get (const DftSheetRow *row, guint column)
{
  g_return_val_if_fail (row != NULL, NULL);

  return column < row->n_cells ? row->cells[column] : NULL;
}

/* ---- Text helpers ----------------------------------------------------- */

static gboolean
is_trim_char (gunichar c)
{
  /* A byte order mark or a zero-width space left inside a cell is as invisible as a space. */
  return g_unichar_isspace (c) || c == 0xFEFF || c == 0x200B;
}

/*
 * The text of a cell as Daftari keeps it: without surrounding white space,
 * with line breaks as "\n", and NULL when nothing is left. Everything else,
 * names in any script included, is kept byte for byte. @text is valid UTF-8.
 */
char *
_dft_sheet_clean_cell (const char *text, gsize len)
{
  const char *start = text;
  const char *end = text + len;
  GString    *out;

  while (start < end && is_trim_char (g_utf8_get_char (start)))
    start = g_utf8_next_char (start);
  while (end > start)
    {
      const char *prev = g_utf8_find_prev_char (start, end);

      if (prev == NULL || !is_trim_char (g_utf8_get_char (prev)))
        break;
      end = prev;
    }
  if (start == end)
    return NULL;

  out = g_string_sized_new ((gsize) (end - start));
  for (const char *p = start; p < end; p++)
    {
      if (*p == '\r')
        {
          g_string_append_c (out, '\n');
          if (p + 1 < end && p[1] == '\n')
            p++;
        }
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

/* ---- Sheets ----------------------------------------------------------- */

gboolean
_dft_sheet_too_much_text (const char *name, gsize limit, GError **error)
{
  g_autofree char *size = g_format_size (limit);

  g_set_error (error, DFT_SHEET_ERROR, DFT_SHEET_ERROR_TOO_LARGE,
               /* Translators: the first %s is a file name, the second a size such as "64.0 MB" */
               _ ("“%s” holds more text than Daftari reads at once (more than %s). Split it "
                  "into smaller files and use them one after the other."),
               name, size);
  return FALSE;
}

gboolean
_dft_sheet_too_many_columns (const Sheet *sheet, guint number, GError **error)
{
  g_set_error (error, DFT_SHEET_ERROR, DFT_SHEET_ERROR_TOO_LARGE,
               /* Translators: %s is a file name, the first %u a row, the second a number of
                * columns */
               _ ("In “%s”, row %u has values in more than %u columns, more than Daftari reads. "
                  "Delete the columns that are not needed and try again."),
               sheet->name, number, sheet->max_columns);
  return FALSE;
}

/* Takes @cells (char* or NULL each); an empty row is dropped, as if it was not there. */
gboolean
_dft_sheet_add_row (Sheet *sheet, guint number, GPtrArray *cells_in, GError **error)
{
  g_autoptr (GPtrArray) cells = cells_in;
  DftSheetRow          *row;
  guint                 n = cells->len;

  while (n > 0 && g_ptr_array_index (cells, n - 1) == NULL)
    n--;
  if (n == 0)
    return TRUE;
  /* The readers refuse a value beyond the last column before it gets here. */
  g_assert (n <= sheet->max_columns);
  /* One more than the limit, for the header. */
  if (sheet->rows->len > sheet->max_rows)
    {
      g_set_error (error, DFT_SHEET_ERROR, DFT_SHEET_ERROR_TOO_LARGE,
                   /* Translators: %s is a file name, %u a number of rows */
                   _ ("“%s” has more than %u rows, more than Daftari reads at once. Split it into "
                      "smaller sheets and use them one after the other."),
                   sheet->name, sheet->max_rows);
      return FALSE;
    }

  for (guint i = 0; i < n; i++)
    if (g_ptr_array_index (cells, i) != NULL)
      sheet->text_bytes += strlen (g_ptr_array_index (cells, i));
  if (sheet->text_bytes > MAX_TEXT_BYTES)
    return _dft_sheet_too_much_text (sheet->name, MAX_TEXT_BYTES, error);

  row = g_new0 (DftSheetRow, 1);
  row->number = number;
  row->n_cells = n;
  row->cells = g_new0 (char *, n);
  for (guint i = 0; i < n; i++)
    row->cells[i] = g_steal_pointer (&cells->pdata[i]);
  g_ptr_array_add (sheet->rows, row);
  return TRUE;
}

/* ---- Workbooks -------------------------------------------------------- */

DftWorkbookKind
dft_workbook_sniff (const char *data, gsize len)
{
  if (len >= 4 && (memcmp (data, "PK\3\4", 4) == 0 || memcmp (data, "PK\5\6", 4) == 0))
    return DFT_WORKBOOK_XLSX;
  if (len >= 8 && memcmp (data, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0)
    return DFT_WORKBOOK_XLS;
  return DFT_WORKBOOK_CSV;
}

void
dft_workbook_free (DftWorkbook *wb)
{
  if (wb == NULL)
    return;
  g_free (wb->name);
  g_ptr_array_unref (wb->sheets);
  g_clear_pointer (&wb->x.shared, g_ptr_array_unref);
  g_clear_pointer (&wb->x.date_styles, g_array_unref);
  g_clear_object (&wb->x.zip);
  g_clear_pointer (&wb->data, g_bytes_unref);
  g_clear_pointer (&wb->xls, g_variant_unref);
  g_free (wb);
}

DftWorkbook *
dft_workbook_new_from_data (const char *name,
                            const char *data,
                            gsize       len,
                            guint       max_rows,
                            guint       max_columns,
                            GError    **error)
{
  g_autoptr (DftWorkbook) wb = NULL;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (max_columns > 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* libxml2 must be initialised once before threads use it; reading runs in workers. */
  xmlInitParser ();

  wb = g_new0 (DftWorkbook, 1);
  wb->kind = dft_workbook_sniff (data, len);
  wb->name = g_strdup (name);
  wb->max_rows = max_rows;
  wb->max_columns = max_columns;
  wb->sheets = g_ptr_array_new_with_free_func (entry_free);

  switch (wb->kind)
    {
    case DFT_WORKBOOK_XLSX:
      wb->data = g_bytes_new (data, len);
      if (!_dft_sheet_open_xlsx (wb, error))
        return NULL;
      break;
    case DFT_WORKBOOK_XLS:
      if (!_dft_sheet_open_xls (wb, data, len, error))
        return NULL;
      break;
    case DFT_WORKBOOK_CSV:
    default:
      {
        Entry *entry = g_new0 (Entry, 1);
        Sheet  sheet = { wb->name, NULL, max_rows, max_columns };

        entry->pub.name = g_strdup ("");
        entry->pub.rows = g_ptr_array_new_with_free_func (row_free);
        g_ptr_array_add (wb->sheets, entry);
        sheet.rows = entry->pub.rows;
        if (!_dft_sheet_read_csv (&sheet, data, len, error))
          return NULL;
      }
      break;
    }
  return g_steal_pointer (&wb);
}

DftWorkbookKind
dft_workbook_get_kind (DftWorkbook *wb)
{
  g_return_val_if_fail (wb != NULL, DFT_WORKBOOK_CSV);

  return wb->kind;
}

gboolean
dft_workbook_get_date1904 (DftWorkbook *wb)
{
  g_return_val_if_fail (wb != NULL, FALSE);

  return wb->x.date1904;
}

guint
dft_workbook_get_n_sheets (DftWorkbook *wb)
{
  g_return_val_if_fail (wb != NULL, 0);

  return wb->sheets->len;
}

const DftSheet *
dft_workbook_get_sheet (DftWorkbook *wb, guint index)
{
  g_return_val_if_fail (wb != NULL, NULL);
  g_return_val_if_fail (index < wb->sheets->len, NULL);

  return &((Entry *) g_ptr_array_index (wb->sheets, index))->pub;
}

int
dft_workbook_find_sheet (DftWorkbook *wb, const char *name)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (wb != NULL, -1);
  g_return_val_if_fail (name != NULL, -1);

  key = g_utf8_casefold (name, -1);
  g_strstrip (key);
  for (guint i = 0; i < wb->sheets->len; i++)
    {
      Entry           *entry = g_ptr_array_index (wb->sheets, i);
      g_autofree char *other = g_utf8_casefold (entry->pub.name, -1);

      if (strcmp (g_strstrip (other), key) == 0)
        return (int) i;
    }
  return -1;
}

int
dft_workbook_get_first_visible (DftWorkbook *wb)
{
  g_return_val_if_fail (wb != NULL, -1);

  for (guint i = 0; i < wb->sheets->len; i++)
    if (!((Entry *) g_ptr_array_index (wb->sheets, i))->pub.hidden)
      return (int) i;
  return wb->sheets->len > 0 ? 0 : -1;
}

const DftSheet *
dft_workbook_read_sheet (DftWorkbook *wb, guint index, GError **error)
{
  g_autoptr (GPtrArray) rows = NULL;
  Entry                *entry;
  Sheet                 sheet = { 0 };
  gboolean              ok = FALSE;

  g_return_val_if_fail (wb != NULL, NULL);
  g_return_val_if_fail (index < wb->sheets->len, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  entry = g_ptr_array_index (wb->sheets, index);
  if (entry->pub.rows != NULL)
    return &entry->pub;

  rows = g_ptr_array_new_with_free_func (row_free);
  sheet.name = wb->name;
  sheet.rows = rows;
  sheet.max_rows = wb->max_rows;
  sheet.max_columns = wb->max_columns;
  if (wb->kind == DFT_WORKBOOK_XLSX)
    ok = _dft_sheet_read_xlsx_worksheet (&wb->x, &sheet, entry->part, error);
  else if (wb->kind == DFT_WORKBOOK_XLS)
    ok = _dft_sheet_read_xls_sheet (wb->xls, index, &sheet, error);
  if (!ok)
    return NULL;
  entry->pub.rows = g_steal_pointer (&rows);
  return &entry->pub;
}
