/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "dft-sheet-private.h"

/* ---- CSV -------------------------------------------------------------- */

static gboolean
set_encoding_error (GError **error, const char *name, const char *text, const char *bad)
{
  guint line = 1;

  for (const char *p = text; p < bad; p++)
    if (*p == '\n')
      line++;
  g_set_error (error, DFT_SHEET_ERROR, DFT_SHEET_ERROR_ENCODING,
               /* Translators: %s is a file name and %u a line of it. Use the menu names that
                * Excel and LibreOffice show in your language. */
               _ ("“%s” is not in the UTF-8 character encoding (the first character Daftari "
                  "cannot read is on line %u). In Excel, save it with “Save As” and the type "
                  "“CSV UTF-8 (Comma delimited)”; in LibreOffice, choose the character set "
                  "“Unicode (UTF-8)”. Then use the new file."),
               name, line);
  return FALSE;
}

/*
 * The text of a CSV file as UTF-8. A byte order mark says which Unicode
 * encoding the file is in (Excel's "Unicode text" is UTF-16 with one); without
 * one the file must be UTF-8. Other encodings, such as Windows-1251, are
 * refused rather than guessed: a wrong guess turns every Cyrillic name into
 * other letters without a word.
 */
static char *
decode_csv (const char *name, const char *data, gsize len, gsize *out_len, GError **error)
{
  const char      *charset = NULL;
  gsize            bom = 0;
  g_autofree char *text = NULL;
  gsize            text_len;
  const char      *bad;

  if (len >= 4 && memcmp (data, "\xFF\xFE\0\0", 4) == 0)
    charset = "UTF-32LE", bom = 4;
  else if (len >= 4 && memcmp (data, "\0\0\xFE\xFF", 4) == 0)
    charset = "UTF-32BE", bom = 4;
  else if (len >= 2 && memcmp (data, "\xFF\xFE", 2) == 0)
    charset = "UTF-16LE", bom = 2;
  else if (len >= 2 && memcmp (data, "\xFE\xFF", 2) == 0)
    charset = "UTF-16BE", bom = 2;
  else if (len >= 3 && memcmp (data, "\xEF\xBB\xBF", 3) == 0)
    bom = 3;

  if (charset != NULL)
    {
      g_autoptr (GError) local_error = NULL;

      text = g_convert (data + bom, (gssize) (len - bom), "UTF-8", charset, NULL, &text_len,
                        &local_error);
      if (text == NULL)
        {
          g_set_error (error, DFT_SHEET_ERROR, DFT_SHEET_ERROR_ENCODING,
                       /* Translators: first %s is a file name, second an encoding such as
                        * UTF-16LE */
                       _ ("“%s” says it is in the %s character encoding, but part of it is not. "
                          "The file may be damaged; save it again as “CSV UTF-8” and use the "
                          "new file."),
                       name, charset);
          return NULL;
        }
    }
  else
    {
      /* A NUL byte does not belong in text: this is some other kind of file. */
      if (memchr (data, '\0', MIN (len, 4096)) != NULL)
        {
          g_set_error (
              error, DFT_SHEET_ERROR, DFT_SHEET_ERROR_FORMAT,
              /* Translators: %s is a file name */
              _ ("“%s” is neither a CSV file nor an Excel workbook (.xlsx). Save the sheet "
                 "as .xlsx or as “CSV UTF-8” and use that."),
              name);
          return NULL;
        }
      text_len = len - bom;
      text = g_malloc (text_len + 1);
      memcpy (text, data + bom, text_len);
      text[text_len] = '\0';
    }

  if (!g_utf8_validate_len (text, text_len, &bad))
    {
      set_encoding_error (error, name, text, bad);
      return NULL;
    }
  *out_len = text_len;
  return g_steal_pointer (&text);
}

/*
 * European versions of Excel separate CSV values with semicolons, because the
 * comma is their decimal separator; "Unicode text" uses tabs. The delimiter is
 * the candidate that splits the first records most consistently: the same
 * count on most lines, a title line or a stray comma in an address aside.
 */
static char
sniff_delimiter (const char *text, gsize len)
{
  static const char candidates[] = { ',', ';', '\t' };
  guint             counts[G_N_ELEMENTS (candidates)][SNIFF_RECORDS] = { { 0 } };
  guint             current[G_N_ELEMENTS (candidates)] = { 0 };
  guint             n_records = 0;
  gboolean          in_quotes = FALSE;
  gboolean          any = FALSE;
  guint             best = 0, best_score = 0, best_mode = 0;

  for (gsize i = 0; i <= len && n_records < SNIFF_RECORDS; i++)
    {
      char c = i < len ? text[i] : '\n';

      if (c == '"')
        in_quotes = !in_quotes;
      if ((c == '\n' || c == '\r') && (!in_quotes || i == len))
        {
          if (any)
            {
              for (guint k = 0; k < G_N_ELEMENTS (candidates); k++)
                counts[k][n_records] = current[k];
              n_records++;
            }
          memset (current, 0, sizeof current);
          any = FALSE;
          continue;
        }
      any = TRUE;
      if (!in_quotes)
        for (guint k = 0; k < G_N_ELEMENTS (candidates); k++)
          if (c == candidates[k])
            current[k]++;
    }

  for (guint k = 0; k < G_N_ELEMENTS (candidates); k++)
    {
      guint mode = 0, mode_freq = 0;

      for (guint a = 0; a < n_records; a++)
        {
          guint freq = 0;

          if (counts[k][a] == 0)
            continue;
          for (guint b = 0; b < n_records; b++)
            if (counts[k][b] == counts[k][a])
              freq++;
          if (freq > mode_freq || (freq == mode_freq && counts[k][a] > mode))
            mode = counts[k][a], mode_freq = freq;
        }
      if (mode_freq > best_score || (mode_freq == best_score && mode > best_mode))
        best = k, best_score = mode_freq, best_mode = mode;
    }
  return candidates[best];
}

typedef struct
{
  const char *data;
  gsize       len;
  gsize       pos;
  guint       line; /* of the file, for messages about quotes */
  char        delimiter;
} CsvReader;

/* One record (RFC 4180): quoted values may hold delimiters, "" and line breaks. */
static gboolean
csv_read_record (CsvReader *r, const Sheet *sheet, guint number, GPtrArray *fields, GError **error)
{
  g_autoptr (GString) field = g_string_new (NULL);
  guint               index = 0;

  for (;;)
    {
      gsize look = r->pos;
      gsize start;
      char *value;

      g_string_truncate (field, 0);

      /* Spaces before an opening quote, as in «Bishkek, "Osh, south"», are not in the value. */
      while (look < r->len && r->data[look] == ' ')
        look++;
      if (look < r->len && r->data[look] == '"')
        {
          guint quote_line = r->line;

          r->pos = look + 1;
          for (;;)
            {
              char c;

              start = r->pos;
              while (r->pos < r->len && r->data[r->pos] != '"' && r->data[r->pos] != '\r'
                     && r->data[r->pos] != '\n')
                r->pos++;
              g_string_append_len (field, r->data + start, (gssize) (r->pos - start));
              if (r->pos >= r->len)
                {
                  g_set_error (error, DFT_SHEET_ERROR, DFT_SHEET_ERROR_FORMAT,
                               /* Translators: %s is a file name, the first %u a row of the sheet,
                                * the second a line of the file */
                               _ ("In “%s”, row %u: a value that starts with a quotation mark (\") "
                                  "on line %u never ends. Add the closing quotation mark, or save "
                                  "the sheet again from your spreadsheet program."),
                               sheet->name, number, quote_line);
                  return FALSE;
                }
              c = r->data[r->pos];
              if (c == '"')
                {
                  if (r->pos + 1 < r->len && r->data[r->pos + 1] == '"')
                    {
                      g_string_append_c (field, '"');
                      r->pos += 2;
                      continue;
                    }
                  r->pos++;
                  break;
                }
              /* A line break inside quotes belongs to the value. */
              if (c == '\r' && r->pos + 1 < r->len && r->data[r->pos + 1] == '\n')
                r->pos++;
              r->pos++;
              r->line++;
              g_string_append_c (field, '\n');
            }
        }

      /* Unquoted text, or text after a closing quote: RFC 4180 forbids that, Excel keeps it. */
      start = r->pos;
      while (r->pos < r->len && r->data[r->pos] != r->delimiter && r->data[r->pos] != '\n'
             && r->data[r->pos] != '\r')
        r->pos++;
      g_string_append_len (field, r->data + start, (gssize) (r->pos - start));

      value = _dft_sheet_clean_cell (field->str, field->len);
      if (index < sheet->max_columns)
        g_ptr_array_add (fields, value);
      else if (value != NULL)
        {
          g_free (value);
          return _dft_sheet_too_many_columns (sheet, number, error);
        }
      index++;

      if (r->pos >= r->len)
        return TRUE;
      if (r->data[r->pos] == r->delimiter)
        {
          r->pos++;
          continue;
        }
      if (r->data[r->pos] == '\r' && r->pos + 1 < r->len && r->data[r->pos + 1] == '\n')
        r->pos++;
      r->pos++;
      r->line++;
      return TRUE;
    }
}

gboolean
_dft_sheet_read_csv (Sheet *sheet, const char *data, gsize len, GError **error)
{
  g_autofree char *text = NULL;
  CsvReader        r = { NULL, 0, 0, 1, ',' };
  guint            number = 0;

  text = decode_csv (sheet->name, data, len, &r.len, error);
  if (text == NULL)
    return FALSE;
  r.data = text;

  /* Excel's own hint, "sep=;" on the first line, names the delimiter; Excel hides the line. */
  if (r.len >= 5 && g_ascii_strncasecmp (r.data, "sep=", 4) == 0
      && (r.len == 5 || r.data[5] == '\n' || r.data[5] == '\r'))
    {
      r.delimiter = r.data[4];
      r.pos = 5;
      if (r.pos < r.len && r.data[r.pos] == '\r')
        r.pos++;
      if (r.pos < r.len && r.data[r.pos] == '\n')
        r.pos++;
      r.line = 2;
    }
  else
    r.delimiter = sniff_delimiter (r.data, r.len);

  while (r.pos < r.len)
    {
      GPtrArray *fields = g_ptr_array_new_with_free_func (g_free);

      /* A record with a line break inside quotes is still one row of the spreadsheet. */
      number++;
      if (!csv_read_record (&r, sheet, number, fields, error))
        {
          g_ptr_array_unref (fields);
          return FALSE;
        }
      if (!_dft_sheet_add_row (sheet, number, fields, error))
        return FALSE;
    }
  return TRUE;
}
