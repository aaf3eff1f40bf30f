/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "dft-export.h"
#include "dft-xlsx.h"

#define SHEET_NAME_MAX 31
#define MAX_DECIMALS   6
#define WIDTH_MIN      8
#define WIDTH_MAX      60
/* Excel's longest link is 2,079 characters once escaped, and libxlsxwriter escapes a character
 * to at most 3: a link of a third of that always fits. */
#define LINK_MAX 693

struct _DftTableWriter
{
  /* CSV */
  GOutputStream *out;
  gboolean       titled;
  GString       *buffer;
  GPtrArray     *row; /* char *, the current row's CSV cells */

  /* XLSX */
  char          *path;
  char          *tmp_path;
  lxw_workbook  *workbook;
  lxw_worksheet *sheet;
  lxw_format    *bold, *date, *stamp, *percent;
  lxw_format    *numbers[MAX_DECIMALS + 1];
  GPtrArray     *sheet_names;
  GArray        *widths; /* guint per column */
  guint          n_columns;
  lxw_row_t      n_rows; /* rows written to the sheet, header included */
  lxw_col_t      col;
  guint          n_links; /* links in the current sheet */
  lxw_error      failure; /* the first error of a cell write */
};

/* ------------------------------------------------------------------------------------------ */
/* Names and widths                                                                           */
/* ------------------------------------------------------------------------------------------ */

/* Excel counts a sheet name's length in UTF-16 units. */
static guint
utf16_length (const char *text)
{
  guint n = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    n += g_utf8_get_char (p) > 0xFFFF ? 2 : 1;
  return n;
}

/* @text cut to at most @max UTF-16 units, on a character boundary. */
static void
truncate_utf16 (GString *text, guint max)
{
  guint n = 0;

  for (const char *p = text->str; *p != '\0'; p = g_utf8_next_char (p))
    {
      guint units = g_utf8_get_char (p) > 0xFFFF ? 2 : 1;

      if (n + units > max)
        {
          g_string_truncate (text, p - text->str);
          return;
        }
      n += units;
    }
}

static gboolean
name_taken (GPtrArray *taken, const char *name)
{
  g_autofree char *folded = g_utf8_casefold (name, -1);

  for (guint i = 0; i < taken->len; i++)
    {
      g_autofree char *other = g_utf8_casefold (g_ptr_array_index (taken, i), -1);

      if (strcmp (folded, other) == 0)
        return TRUE;
    }
  return FALSE;
}

char *
dft_xlsx_sheet_name (const char *name, GPtrArray *taken)
{
  g_autofree char    *valid = g_utf8_make_valid (name != NULL ? name : "", -1);
  g_autoptr (GString) base = g_string_new (NULL);

  g_return_val_if_fail (taken != NULL, NULL);

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (strchr ("[]:*?/\\", (int) c) != NULL && c < 0x80)
        g_string_append_c (base, '_');
      else if (g_unichar_iscntrl (c))
        g_string_append_c (base, ' ');
      else
        g_string_append_unichar (base, c);
    }
  /* Excel refuses a name that starts or ends with an apostrophe. */
  while (base->len > 0 && base->str[0] == '\'')
    g_string_erase (base, 0, 1);
  while (base->len > 0 && base->str[base->len - 1] == '\'')
    g_string_truncate (base, base->len - 1);
  g_strstrip (base->str);
  g_string_set_size (base, strlen (base->str));
  if (base->len == 0)
    g_string_assign (base, "Sheet");
  truncate_utf16 (base, SHEET_NAME_MAX);

  for (guint n = 2;; n++)
    {
      g_autoptr (GString) candidate = g_string_new (base->str);

      if (n > 2)
        {
          g_autofree char *suffix = g_strdup_printf (" (%u)", n - 1);

          truncate_utf16 (candidate, SHEET_NAME_MAX - utf16_length (suffix));
          g_string_append (candidate, suffix);
        }
      if (!name_taken (taken, candidate->str))
        {
          g_ptr_array_add (taken, g_strdup (candidate->str));
          return g_string_free (g_steal_pointer (&candidate), FALSE);
        }
    }
}

guint
dft_xlsx_text_width (const char *text)
{
  guint width = 0, line = 0;

  if (text == NULL)
    return 0;
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char_validated (p, -1);

      if (c == '\n')
        {
          width = MAX (width, line);
          line = 0;
        }
      else if (c == (gunichar) -1 || c == (gunichar) -2)
        line++;
      else if (g_unichar_iswide (c))
        line += 2;
      else if (!g_unichar_iszerowidth (c))
        line++;
    }
  return MAX (width, line);
}

/* ------------------------------------------------------------------------------------------ */
/* Writers                                                                                    */
/* ------------------------------------------------------------------------------------------ */

DftTableWriter *
dft_table_writer_new_csv (GOutputStream *out, gboolean titled)
{
  DftTableWriter *writer = g_new0 (DftTableWriter, 1);

  g_return_val_if_fail (G_IS_OUTPUT_STREAM (out), NULL);

  writer->out = g_object_ref (out);
  writer->titled = titled;
  writer->buffer = g_string_new ("\xEF\xBB\xBF");
  writer->row = g_ptr_array_new_with_free_func (g_free);
  return writer;
}

static void
set_file_error (GError **error, const char *path, int saved_errno)
{
  g_autofree char *name = g_filename_display_name (path);

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               /* Translators: the first %s is a file, the second why it could not be written */
               _ ("Could not write “%s”: %s"), name, g_strerror (saved_errno));
}

static void
set_lxw_error (GError **error, const char *path, lxw_error failure)
{
  g_autofree char *name = g_filename_display_name (path);

  /* Translators: the first %s is a file, the second libxlsxwriter's reason (in English) */
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _ ("Could not write the spreadsheet “%s”: %s"),
               name, lxw_strerror (failure));
}

DftTableWriter *
dft_table_writer_new_xlsx (const char *path, GError **error)
{
  g_autofree char     *dir = NULL, *base = NULL;
  DftTableWriter      *writer;
  lxw_workbook_options options = { .constant_memory = LXW_FALSE };
  int                  fd;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  dir = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  writer = g_new0 (DftTableWriter, 1);
  writer->path = g_strdup (path);
  /* Beside the target, so that the rename over it stays on one file system. */
  writer->tmp_path = g_strdup_printf ("%s%c.%s.XXXXXX", dir, G_DIR_SEPARATOR, base);
  fd = g_mkstemp_full (writer->tmp_path, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      set_file_error (error, path, errno);
      g_clear_pointer (&writer->tmp_path, g_free);
      dft_table_writer_free (writer);
      return NULL;
    }
  close (fd);

  /* libxlsxwriter's own scratch files (unlinked as soon as made) go beside the target too, not
   * to a /tmp that may be a small RAM disk. */
  options.tmpdir = dir;
  writer->workbook = workbook_new_opt (writer->tmp_path, &options);
  if (writer->workbook == NULL)
    {
      set_lxw_error (error, path, LXW_ERROR_MEMORY_MALLOC_FAILED);
      dft_table_writer_free (writer);
      return NULL;
    }
  writer->bold = workbook_add_format (writer->workbook);
  format_set_bold (writer->bold);
  writer->date = workbook_add_format (writer->workbook);
  format_set_num_format (writer->date, "yyyy-mm-dd");
  writer->stamp = workbook_add_format (writer->workbook);
  format_set_num_format (writer->stamp, "yyyy-mm-dd hh:mm:ss");
  writer->percent = workbook_add_format (writer->workbook);
  format_set_num_format (writer->percent, "0.0%");
  for (guint i = 0; i <= MAX_DECIMALS; i++)
    {
      g_autofree char *pattern = g_strdup_printf ("0%s%.*s", i > 0 ? "." : "", i, "000000");

      writer->numbers[i] = workbook_add_format (writer->workbook);
      format_set_num_format (writer->numbers[i], pattern);
    }
  writer->sheet_names = g_ptr_array_new_with_free_func (g_free);
  writer->widths = g_array_new (FALSE, TRUE, sizeof (guint));
  return writer;
}

void
dft_table_writer_free (DftTableWriter *writer)
{
  if (writer == NULL)
    return;
  g_clear_object (&writer->out);
  if (writer->buffer != NULL)
    g_string_free (writer->buffer, TRUE);
  g_clear_pointer (&writer->row, g_ptr_array_unref);
  /* Not finished: nothing reaches the target. */
  g_clear_pointer (&writer->workbook, lxw_workbook_free);
  if (writer->tmp_path != NULL)
    g_unlink (writer->tmp_path);
  g_free (writer->tmp_path);
  g_free (writer->path);
  g_clear_pointer (&writer->sheet_names, g_ptr_array_unref);
  g_clear_pointer (&writer->widths, g_array_unref);
  g_free (writer);
}

static void
widen (DftTableWriter *writer, guint width)
{
  if (writer->col >= writer->widths->len)
    g_array_set_size (writer->widths, writer->col + 1);
  if (width > g_array_index (writer->widths, guint, writer->col))
    g_array_index (writer->widths, guint, writer->col) = width;
}

static void
note_failure (DftTableWriter *writer, lxw_error failure)
{
  if (writer->failure == LXW_NO_ERROR)
    writer->failure = failure;
}

/* Whether @p starts "_xHHHH_", the escape of a character in a workbook's strings. */
static gboolean
is_escape (const char *p)
{
  if (p[0] != '_' || p[1] != 'x')
    return FALSE;
  for (guint i = 2; i < 6; i++)
    if (!g_ascii_isxdigit (p[i]))
      return FALSE;
  return p[6] == '_';
}

/* A spreadsheet reads "_x0041_" in a string as "A": text that holds such a sequence has its
 * underscore escaped ("_x005F_"), so that it reads back as written. libxlsxwriter escapes
 * control characters itself. */
static char *
escape_underscores (char *text)
{
  GString *out;

  if (strstr (text, "_x") == NULL)
    return text;
  out = g_string_new (NULL);
  for (const char *p = text; *p != '\0'; p++)
    {
      if (is_escape (p))
        g_string_append (out, "_x005F");
      g_string_append_c (out, *p);
    }
  g_free (text);
  return g_string_free (out, FALSE);
}

/* @text as a cell holds it: valid UTF-8, LF line ends, cut to a cell's length. */
static char *
cell_text (const char *text)
{
  char *valid = g_utf8_make_valid (text, -1);

  /* A cell's line break is LF; XML would turn a CR into one anyway. */
  if (strchr (valid, '\r') != NULL)
    {
      g_autoptr (GString) lf = g_string_new (valid);

      g_string_replace (lf, "\r\n", "\n", 0);
      g_string_replace (lf, "\r", "\n", 0);
      g_free (valid);
      valid = g_string_free (g_steal_pointer (&lf), FALSE);
    }
  if (g_utf8_strlen (valid, -1) > DFT_XLSX_CELL_MAX)
    {
      /* The cell cannot hold it: cut, and say so with an ellipsis. */
      char *end = g_utf8_offset_to_pointer (valid, DFT_XLSX_CELL_MAX - 1);
      char *cut;

      *end = '\0';
      cut = g_strconcat (valid, "…", NULL);
      g_free (valid);
      valid = cut;
    }
  return valid;
}

static void
write_string (DftTableWriter *writer, const char *text, lxw_format *format)
{
  g_autofree char *valid = NULL;

  if (text == NULL || *text == '\0')
    return;
  valid = cell_text (text);
  widen (writer, dft_xlsx_text_width (valid));
  valid = escape_underscores (valid);
  note_failure (writer,
                worksheet_write_string (writer->sheet, writer->n_rows, writer->col, valid, format));
}

gboolean
dft_table_writer_begin_table (DftTableWriter    *writer,
                              const char        *title,
                              const char *const *header,
                              guint              n_columns,
                              GError           **error)
{
  g_return_val_if_fail (writer != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  writer->n_columns = n_columns;
  if (writer->workbook == NULL)
    {
      if (writer->titled)
        {
          dft_csv_append_row (writer->buffer, &title, 1);
        }
      dft_csv_append_row (writer->buffer, header, n_columns);
      return TRUE;
    }

  if (writer->sheet != NULL && !dft_table_writer_end_table (writer, error))
    return FALSE;
  {
    g_autofree char *name = dft_xlsx_sheet_name (title, writer->sheet_names);

    writer->sheet = workbook_add_worksheet (writer->workbook, name);
  }
  if (writer->sheet == NULL)
    {
      set_lxw_error (error, writer->path, LXW_ERROR_SHEETNAME_ALREADY_USED);
      return FALSE;
    }
  g_array_set_size (writer->widths, 0);
  writer->n_rows = 0;
  writer->col = 0;
  writer->n_links = 0;
  for (guint i = 0; i < n_columns; i++, writer->col++)
    {
      write_string (writer, header[i], writer->bold);
      /* Room for the filter's button beside the heading. */
      widen (writer, dft_xlsx_text_width (header[i]) + 3);
    }
  worksheet_freeze_panes (writer->sheet, 1, 0);
  writer->n_rows = 1;
  writer->col = 0;
  if (writer->failure != LXW_NO_ERROR)
    {
      set_lxw_error (error, writer->path, writer->failure);
      return FALSE;
    }
  return TRUE;
}

void
dft_table_writer_add_text (DftTableWriter *writer, const char *text)
{
  g_return_if_fail (writer != NULL);

  if (writer->workbook == NULL)
    g_ptr_array_add (writer->row, g_strdup (text != NULL ? text : ""));
  else
    write_string (writer, text, NULL);
  writer->col++;
}

void
dft_table_writer_add_link (DftTableWriter *writer, const char *url, const char *text)
{
  g_autofree char *valid = NULL;

  g_return_if_fail (writer != NULL);

  if (writer->workbook == NULL || url == NULL || text == NULL || *text == '\0'
      || writer->n_links >= LXW_MAX_NUMBER_URLS || g_utf8_strlen (url, -1) > LINK_MAX)
    {
      dft_table_writer_add_text (writer, text);
      return;
    }
  valid = cell_text (text);
  widen (writer, dft_xlsx_text_width (valid));
  valid = escape_underscores (valid);
  /* With no format, libxlsxwriter gives the cell the workbook's blue, underlined link style. */
  if (worksheet_write_url_opt (writer->sheet, writer->n_rows, writer->col, url, NULL, valid, NULL)
      == LXW_NO_ERROR)
    writer->n_links++;
  else
    /* A link Excel would not take is still worth its text. */
    note_failure (writer,
                  worksheet_write_string (writer->sheet, writer->n_rows, writer->col, valid, NULL));
  writer->col++;
}

static void
write_number (DftTableWriter *writer, double value, const char *text, lxw_format *format)
{
  if (writer->workbook == NULL)
    {
      g_ptr_array_add (writer->row, g_strdup (text));
      writer->col++;
      return;
    }
  if (!isfinite (value))
    {
      write_string (writer, text, NULL);
      writer->col++;
      return;
    }
  widen (writer, strlen (text) + 1);
  note_failure (writer,
                worksheet_write_number (writer->sheet, writer->n_rows, writer->col, value, format));
  writer->col++;
}

void
dft_table_writer_add_number (DftTableWriter *writer, double value, int decimals)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  char pattern[8];

  g_return_if_fail (writer != NULL);

  if (isnan (value))
    {
      dft_table_writer_add_text (writer, NULL);
      return;
    }
  if (decimals < 0)
    {
      write_number (writer, value, g_ascii_dtostr (buf, sizeof buf, value), NULL);
      return;
    }
  decimals = MIN (decimals, MAX_DECIMALS);
  g_snprintf (pattern, sizeof pattern, "%%.%df", decimals);
  /* The C locale's decimal point, whatever the interface language. */
  g_ascii_formatd (buf, sizeof buf, pattern, value);
  write_number (writer, value, buf, writer->workbook != NULL ? writer->numbers[decimals] : NULL);
}

void
dft_table_writer_add_number_text (DftTableWriter *writer, double value, const char *text)
{
  g_return_if_fail (writer != NULL && text != NULL);

  write_number (writer, value, text, NULL);
}

void
dft_table_writer_add_percent (DftTableWriter *writer, double share)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_return_if_fail (writer != NULL);

  if (isnan (share))
    {
      dft_table_writer_add_text (writer, NULL);
      return;
    }
  g_ascii_formatd (buf, sizeof buf, "%.3f", share);
  write_number (writer, share, buf, writer->percent);
}

static gboolean
parse_date (const char *text, lxw_datetime *dt)
{
  int year, month, day;

  if (text == NULL || strlen (text) < 10 || text[4] != '-' || text[7] != '-')
    return FALSE;
  for (guint i = 0; i < 10; i++)
    if (i != 4 && i != 7 && !g_ascii_isdigit (text[i]))
      return FALSE;
  year = atoi (text);
  month = atoi (text + 5);
  day = atoi (text + 8);
  /* Excel's dates run from 1900 (its 1900 leap-year bug aside) to 9999. */
  if (year < 1901 || year > 9999 || !g_date_valid_dmy (day, month, year))
    return FALSE;
  *dt = (lxw_datetime){ .year = year, .month = month, .day = day };
  return TRUE;
}

void
dft_table_writer_add_date (DftTableWriter *writer, const char *date)
{
  lxw_datetime dt;

  g_return_if_fail (writer != NULL);

  if (writer->workbook == NULL || date == NULL || strlen (date) != 10 || !parse_date (date, &dt))
    {
      dft_table_writer_add_text (writer, date);
      return;
    }
  widen (writer, 11);
  note_failure (writer, worksheet_write_datetime (writer->sheet, writer->n_rows, writer->col, &dt,
                                                  writer->date));
  writer->col++;
}

void
dft_table_writer_add_stamp (DftTableWriter *writer, const char *stamp)
{
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GDateTime) parsed = NULL;
  g_autoptr (GDateTime) in_utc = NULL;
  lxw_datetime          dt;

  g_return_if_fail (writer != NULL);

  if (writer->workbook != NULL && parse_date (stamp, &dt) && stamp[10] == 'T')
    parsed = g_date_time_new_from_iso8601 (stamp, utc);
  if (parsed == NULL)
    {
      dft_table_writer_add_text (writer, stamp);
      return;
    }
  in_utc = g_date_time_to_utc (parsed);
  dt = (lxw_datetime){
    .year = g_date_time_get_year (in_utc),
    .month = g_date_time_get_month (in_utc),
    .day = g_date_time_get_day_of_month (in_utc),
    .hour = g_date_time_get_hour (in_utc),
    .min = g_date_time_get_minute (in_utc),
    .sec = g_date_time_get_seconds (in_utc),
  };
  widen (writer, 20);
  note_failure (writer, worksheet_write_datetime (writer->sheet, writer->n_rows, writer->col, &dt,
                                                  writer->stamp));
  writer->col++;
}

static gboolean
flush (DftTableWriter *writer, GCancellable *cancellable, GError **error)
{
  gboolean ok = g_output_stream_write_all (writer->out, writer->buffer->str, writer->buffer->len,
                                           NULL, cancellable, error);

  g_string_truncate (writer->buffer, 0);
  return ok;
}

gboolean
dft_table_writer_end_row (DftTableWriter *writer, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (writer != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  writer->col = 0;
  if (writer->workbook == NULL)
    {
      dft_csv_append_row (writer->buffer, (const char *const *) writer->row->pdata,
                          writer->row->len);
      g_ptr_array_set_size (writer->row, 0);
      return writer->buffer->len < 64 * 1024 || flush (writer, cancellable, error);
    }
  writer->n_rows++;
  if (writer->failure != LXW_NO_ERROR)
    {
      set_lxw_error (error, writer->path, writer->failure);
      return FALSE;
    }
  return TRUE;
}

gboolean
dft_table_writer_end_table (DftTableWriter *writer, GError **error)
{
  g_return_val_if_fail (writer != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (writer->workbook == NULL)
    {
      if (writer->titled)
        g_string_append (writer->buffer, "\r\n");
      return TRUE;
    }
  if (writer->sheet == NULL)
    return TRUE;
  if (writer->n_columns > 0)
    note_failure (writer, worksheet_autofilter (writer->sheet, 0, 0, writer->n_rows - 1,
                                                writer->n_columns - 1));
  for (guint i = 0; i < writer->widths->len; i++)
    {
      guint width = CLAMP (g_array_index (writer->widths, guint, i) + 1, WIDTH_MIN, WIDTH_MAX);

      note_failure (writer, worksheet_set_column (writer->sheet, i, i, width, NULL));
    }
  writer->sheet = NULL;
  if (writer->failure != LXW_NO_ERROR)
    {
      set_lxw_error (error, writer->path, writer->failure);
      return FALSE;
    }
  return TRUE;
}

gboolean
dft_table_writer_finish (DftTableWriter *writer, GCancellable *cancellable, GError **error)
{
  lxw_error failure;

  g_return_val_if_fail (writer != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (writer->workbook == NULL)
    return flush (writer, cancellable, error);

  if (!dft_table_writer_end_table (writer, error)
      || g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  /* workbook_close() frees the workbook whatever happens. */
  failure = workbook_close (g_steal_pointer (&writer->workbook));
  if (failure != LXW_NO_ERROR)
    {
      set_lxw_error (error, writer->path, failure);
      return FALSE;
    }
  if (g_rename (writer->tmp_path, writer->path) != 0)
    {
      set_file_error (error, writer->path, errno);
      return FALSE;
    }
  g_clear_pointer (&writer->tmp_path, g_free);
  return TRUE;
}

gboolean
dft_table_write_csv (DftTableSource source,
                     gconstpointer  data,
                     GOutputStream *out,
                     gboolean       titled,
                     GCancellable  *cancellable,
                     GError       **error)
{
  g_autoptr (DftTableWriter) writer = NULL;

  g_return_val_if_fail (source != NULL && G_IS_OUTPUT_STREAM (out), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  writer = dft_table_writer_new_csv (out, titled);
  return source (writer, data, cancellable, error)
         && dft_table_writer_finish (writer, cancellable, error);
}

gboolean
dft_table_write_xlsx (DftTableSource source,
                      gconstpointer  data,
                      const char    *path,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_autoptr (DftTableWriter) writer = NULL;

  g_return_val_if_fail (source != NULL && path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  writer = dft_table_writer_new_xlsx (path, error);
  return writer != NULL && source (writer, data, cancellable, error)
         && dft_table_writer_finish (writer, cancellable, error);
}
