/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "dft-sheet-private.h"
#include "xls-reader/dft-xls-reader.h"

/* ---- XLS -------------------------------------------------------------- */

/* An Excel 97–2003 workbook is read by daftari-xls-reader, FreeXL in a process of its own with
 * a memory and a time limit (app/xls-reader/): FreeXL trusts what a file declares, and a
 * damaged or hostile .xls can crash it. Here, a reader that crashed or gave up is a damaged
 * workbook, and what it wrote is read as untrusted data. */

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

/* DAFTARI_XLS_READER names another reader (the tests' own build); else the installed one, and
 * the one in the build tree when Daftari runs from there. */
static const char *
reader_path (void)
{
  const char *path = g_getenv ("DAFTARI_XLS_READER");

  if (path != NULL && path[0] != '\0')
    return path;
  if (g_file_test (INSTALLED_XLS_READER, G_FILE_TEST_IS_EXECUTABLE))
    return INSTALLED_XLS_READER;
  return BUILD_XLS_READER;
}

gboolean
_dft_sheet_read_xls_sheet (GVariant *workbook, guint index, Sheet *sheet, GError **error)
{
  g_autoptr (GVariant) entry = g_variant_get_child_value (workbook, index);
  g_autoptr (GVariant) rows = g_variant_get_child_value (entry, 1);
  gsize                n_rows = g_variant_n_children (rows);
  guint32              previous = 0;

  for (gsize i = 0; i < n_rows; i++)
    {
      g_autoptr (GVariant)  row = g_variant_get_child_value (rows, i);
      g_autoptr (GVariant)  values = NULL;
      g_autoptr (GPtrArray) cells = g_ptr_array_new_with_free_func (g_free);
      GVariantIter          iter;
      guint32               r;
      guint16               c;
      guint16               next_column = 0;
      const char           *text;

      g_variant_get (row, "(u@a(qs))", &r, &values);
      /* The reader writes rows and cells in order, within what a sheet holds. */
      if (r >= DFT_XLS_MAX_ROWS || (i > 0 && r <= previous))
        return set_xls_damaged (error, sheet->name);
      previous = r;

      g_variant_iter_init (&iter, values);
      while (g_variant_iter_next (&iter, "(q&s)", &c, &text))
        {
          char *clean;

          if (c >= DFT_XLS_MAX_COLUMNS || c < next_column)
            return set_xls_damaged (error, sheet->name);
          next_column = c + 1;
          clean = _dft_sheet_clean_cell (text, strlen (text));
          if (clean == NULL)
            continue;
          if (c >= sheet->max_columns)
            {
              g_free (clean);
              return _dft_sheet_too_many_columns (sheet, r + 1, error);
            }
          g_ptr_array_set_size (cells, c + 1);
          g_ptr_array_index (cells, c) = clean;
        }
      if (!_dft_sheet_add_row (sheet, r + 1, g_steal_pointer (&cells), error))
        return FALSE;
    }
  return TRUE;
}

/* The reader takes a file: @data goes to a private temporary one first, so that what is read
 * is what was sniffed. This blocks until the reader is done; workbooks are read in workers. */
static GBytes *
run_reader (DftWorkbook *wb, const char *data, gsize len, GError **error)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess)         reader = NULL;
  g_autoptr (GBytes)              out = NULL;
  g_autoptr (GBytes)              err = NULL;
  g_autoptr (GError)              local = NULL;
  g_autofree char                *tmp = NULL;
  const char                     *path = reader_path ();
  gboolean                        ran;
  int                             fd;

  fd = g_file_open_tmp ("daftari-XXXXXX.xls", &tmp, &local);
  if (fd < 0 || !g_close (fd, &local) || !g_file_set_contents (tmp, data, (gssize) len, &local))
    {
      if (tmp != NULL)
        g_unlink (tmp);
      g_set_error (error, DFT_SHEET_ERROR, DFT_SHEET_ERROR_FORMAT,
                   /* Translators: %s is the system's reason */
                   _ ("Could not make a temporary file to read the workbook: %s"), local->message);
      return NULL;
    }

  launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  reader = g_subprocess_launcher_spawn (launcher, &local, path, tmp, NULL);
  ran = reader != NULL && g_subprocess_communicate (reader, NULL, NULL, &out, &err, &local);
  g_unlink (tmp);
  if (!ran)
    {
      g_set_error (error, DFT_SHEET_ERROR, DFT_SHEET_ERROR_FORMAT,
                   /* Translators: the first %s is a program's path, the second the reason */
                   _ ("Daftari cannot read Excel 97–2003 workbooks (.xls) here: its reader %s "
                      "did not start (%s). Save the workbook as .xlsx and use that file."),
                   path, local->message);
      return NULL;
    }
  if (err != NULL && g_bytes_get_size (err) > 0)
    g_debug ("%s on “%s”: %.*s", path, wb->name, (int) MIN (g_bytes_get_size (err), 2000),
             (const char *) g_bytes_get_data (err, NULL));

  if (g_subprocess_get_if_exited (reader) && g_subprocess_get_exit_status (reader) == 0)
    return g_steal_pointer (&out);
  if (g_subprocess_get_if_exited (reader)
      && g_subprocess_get_exit_status (reader) == DFT_XLS_READER_TOO_MUCH_TEXT)
    _dft_sheet_too_much_text (wb->name, DFT_XLS_READER_MAX_TEXT, error);
  else
    set_xls_damaged (error, wb->name);
  return NULL;
}

gboolean
_dft_sheet_open_xls (DftWorkbook *wb, const char *data, gsize len, GError **error)
{
  g_autoptr (GBytes) out = run_reader (wb, data, len, error);
  gsize              n_sheets;

  if (out == NULL)
    return FALSE;
  /* Not trusted: GVariant reads data that is not in normal form safely, as defaults. */
  wb->xls = g_variant_ref_sink (
      g_variant_new_from_bytes (G_VARIANT_TYPE (DFT_XLS_READER_TYPE), out, FALSE));
  n_sheets = g_variant_n_children (wb->xls);
  for (gsize i = 0; i < n_sheets && i < MAX_SHEETS; i++)
    {
      g_autoptr (GVariant) sheet = g_variant_get_child_value (wb->xls, i);
      g_autoptr (GVariant) name = g_variant_get_child_value (sheet, 0);
      Entry               *entry = g_new0 (Entry, 1);

      entry->pub.name = g_variant_dup_string (name, NULL);
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
