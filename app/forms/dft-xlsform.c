/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "dft-form-private.h"
#include "dft-sheet.h"
#include "dft-xlsform-private.h"
#include "dft-xlsform.h"

/*
 * XLSForms as pyxform reads them: a "survey" sheet of questions, a "choices" sheet of choice
 * lists and an optional "settings" sheet, in an .xlsx or .xls workbook, in pyxform's flat CSV
 * (a row whose first cell names a sheet starts it; the rows of that sheet leave the first cell
 * empty) or in its markdown tables (the same, as "| survey | | type | name |" lines).
 *
 * Sheet and column names are matched without regard to case; translatable columns are written
 * "label::English (en)" (or the older "label:English"). Expressions are kept as written:
 * dft_form_prepare() resolves ${name} and normalizes them. Labels are plain text.
 *
 * Daftari's own columns, for assessments (pyxform ignores them):
 *   survey:   correct_answer  the right value(s), separated by spaces
 *             points          what a right answer earns (a number)
 *             partial_credit  yes/true: a select multiple earns part of its points
 *   settings: pass_mark       the pass mark in percent of the maximum ("60" or "60%")
 *             kind            "survey", "assessment", "evaluation" or "registration"
 *             form_title_translation::Русский (ru)
 *                             the title in another language than the default one
 *
 * In markdown tables a text is one line: "<br>" in a label, hint, message or title is a line
 * break (dft-xlsform-private.h).
 */

/* An XLSForm a person wrote is far smaller; a larger file is not one. */
#define MAX_FILE_BYTES (64 * 1024 * 1024)
#define MAX_ROWS       100000
#define MAX_COLUMNS    1000
/* Groups nest a few levels deep; a deeper nesting is a hostile file. */
#define MAX_DEPTH 64

/* ---- Sheets ----------------------------------------------------------- */

typedef struct
{
  char      *name;
  GPtrArray *rows; /* DftSheetRow *, owned */
} XSheet;

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
xsheet_free (gpointer data)
{
  XSheet *sheet = data;

  g_free (sheet->name);
  g_ptr_array_unref (sheet->rows);
  g_free (sheet);
}

static XSheet *
xsheet_new (const char *name)
{
  XSheet *sheet = g_new0 (XSheet, 1);

  sheet->name = g_ascii_strdown (name, -1);
  g_strstrip (sheet->name);
  sheet->rows = g_ptr_array_new_with_free_func (row_free);
  return sheet;
}

/* A copy of @cells[@first…@n), or nothing when all of them are empty. */
static DftSheetRow *
row_new (guint number, char **cells, guint n, guint first)
{
  DftSheetRow *row;
  guint        last = n;

  while (last > first && (cells[last - 1] == NULL || cells[last - 1][0] == '\0'))
    last--;
  if (last <= first)
    return NULL;
  row = g_new0 (DftSheetRow, 1);
  row->number = number;
  row->n_cells = last - first;
  row->cells = g_new0 (char *, row->n_cells);
  for (guint i = first; i < last; i++)
    row->cells[i - first] = cells[i] != NULL && cells[i][0] != '\0' ? g_strdup (cells[i]) : NULL;
  return row;
}

static XSheet *
find_xsheet (GPtrArray *sheets, const char *name)
{
  for (guint i = 0; i < sheets->len; i++)
    {
      XSheet *sheet = g_ptr_array_index (sheets, i);

      if (strcmp (sheet->name, name) == 0)
        return sheet;
    }
  return NULL;
}

/*
 * pyxform's flat layout (CSV and markdown): a row with a first cell starts the sheet it names;
 * the other cells of that row, or else of the next row with any, are the sheet's headers.
 */
static void
flat_add_row (GPtrArray *sheets, XSheet **current, guint number, char **cells, guint n)
{
  DftSheetRow *row;

  if (n > 0 && cells[0] != NULL && cells[0][0] != '\0')
    {
      XSheet *existing;

      *current = xsheet_new (cells[0]);
      /* A sheet named twice: the later rows go on the first one, as the workbook would have. */
      existing = find_xsheet (sheets, (*current)->name);
      if (existing != NULL)
        {
          xsheet_free (*current);
          *current = existing;
        }
      else
        g_ptr_array_add (sheets, *current);
    }
  if (*current == NULL)
    return;
  row = row_new (number, cells, n, 1);
  if (row != NULL)
    g_ptr_array_add ((*current)->rows, row);
}

static GPtrArray *
sheets_from_flat_csv (const DftSheet *csv)
{
  GPtrArray *sheets = g_ptr_array_new_with_free_func (xsheet_free);
  XSheet    *current = NULL;

  for (guint i = 0; i < csv->rows->len; i++)
    {
      DftSheetRow *row = g_ptr_array_index (csv->rows, i);

      flat_add_row (sheets, &current, row->number, row->cells, row->n_cells);
    }
  return sheets;
}

/* pyxform's markdown tables: "| survey | | type | name |"; "\|" is a bar inside a cell. */
static GPtrArray *
sheets_from_markdown (const char *text)
{
  GPtrArray     *sheets = g_ptr_array_new_with_free_func (xsheet_free);
  XSheet        *current = NULL;
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint l = 0; lines[l] != NULL && l < MAX_ROWS; l++)
    {
      g_autoptr (GPtrArray) cells = g_ptr_array_new_with_free_func (g_free);
      g_autoptr (GString)   cell = g_string_new (NULL);
      const char           *p = lines[l];

      while (*p == ' ' || *p == '\t')
        p++;
      if (*p != '|')
        continue;
      for (p++; *p != '\0' && *p != '\r'; p++)
        {
          if (p[0] == '\\' && p[1] == '|')
            {
              g_string_append_c (cell, '|');
              p++;
            }
          else if (*p == '|')
            {
              g_ptr_array_add (cells, g_strstrip (g_strdup (cell->str)));
              g_string_truncate (cell, 0);
            }
          else
            g_string_append_c (cell, *p);
        }
      /* Text after the last bar is a cell too when a line does not end with one. */
      g_strstrip (cell->str);
      if (cell->str[0] != '\0')
        g_ptr_array_add (cells, g_strdup (cell->str));
      if (cells->len > MAX_COLUMNS)
        g_ptr_array_set_size (cells, MAX_COLUMNS);
      flat_add_row (sheets, &current, l + 1, (char **) cells->pdata, cells->len);
    }
  return sheets;
}

/* ---- Columns ---------------------------------------------------------- */

typedef enum
{
  COL_IGNORED,
  COL_EXTRA, /* choices: kept in DftChoice.extra */
  COL_TYPE,
  COL_NAME,
  COL_LIST_NAME,
  COL_LABEL,
  COL_HINT,
  COL_CONSTRAINT_MESSAGE,
  COL_REQUIRED_MESSAGE,
  COL_REQUIRED,
  COL_RELEVANT,
  COL_CONSTRAINT,
  COL_CALCULATION,
  COL_APPEARANCE,
  COL_READ_ONLY,
  COL_DEFAULT,
  COL_CHOICE_FILTER,
  COL_REPEAT_COUNT,
  COL_CORRECT_ANSWER,
  COL_POINTS,
  COL_PARTIAL_CREDIT,
  COL_PARAMETERS,
  COL_TRIGGER,
} ColumnKind;

typedef struct
{
  ColumnKind kind;
  char      *lang;   /* translatable columns: the code, "" for the plain column until known */
  char      *header; /* as written, trimmed */
  gboolean   named;  /* translatable columns: the header names a language ("label::fr") */
} Column;

static const struct
{
  const char *alias;
  ColumnKind  kind;
} column_aliases[] = {
  /* Translatable first: their language follows "::" or ":". */
  { "label", COL_LABEL },
  { "caption", COL_LABEL },
  { "hint", COL_HINT },
  { "constraint_message", COL_CONSTRAINT_MESSAGE },
  { "constraint message", COL_CONSTRAINT_MESSAGE },
  { "constraining message", COL_CONSTRAINT_MESSAGE },
  { "jr:constraintmsg", COL_CONSTRAINT_MESSAGE },
  { "required_message", COL_REQUIRED_MESSAGE },
  { "required message", COL_REQUIRED_MESSAGE },
  { "requiredmsg", COL_REQUIRED_MESSAGE },
  { "jr:requiredmsg", COL_REQUIRED_MESSAGE },
  /* Media and other translatable columns Daftari does not show. */
  { "media", COL_IGNORED },
  { "image", COL_IGNORED },
  { "big-image", COL_IGNORED },
  { "audio", COL_IGNORED },
  { "video", COL_IGNORED },
  { "guidance_hint", COL_IGNORED },
};

static const struct
{
  const char *alias;
  ColumnKind  kind;
} plain_aliases[] = {
  { "type", COL_TYPE },
  { "command", COL_TYPE },
  { "name", COL_NAME },
  { "value", COL_NAME },
  { "tag", COL_NAME },
  { "list_name", COL_LIST_NAME },
  { "list name", COL_LIST_NAME },
  { "required", COL_REQUIRED },
  { "relevant", COL_RELEVANT },
  { "relevance", COL_RELEVANT },
  { "constraint", COL_CONSTRAINT },
  { "calculation", COL_CALCULATION },
  { "calculate", COL_CALCULATION },
  { "appearance", COL_APPEARANCE },
  { "read_only", COL_READ_ONLY },
  { "readonly", COL_READ_ONLY },
  { "default", COL_DEFAULT },
  { "choice_filter", COL_CHOICE_FILTER },
  { "repeat_count", COL_REPEAT_COUNT },
  { "jr:count", COL_REPEAT_COUNT },
  { "count", COL_REPEAT_COUNT },
  { "correct_answer", COL_CORRECT_ANSWER },
  { "points", COL_POINTS },
  { "partial_credit", COL_PARTIAL_CREDIT },
  { "parameters", COL_PARAMETERS },
  { "trigger", COL_TRIGGER },
};

static gboolean
is_translatable (ColumnKind kind)
{
  return kind == COL_LABEL || kind == COL_HINT || kind == COL_CONSTRAINT_MESSAGE
         || kind == COL_REQUIRED_MESSAGE;
}

/*
 * What a header means. @lang_name receives the language as written ("English (en)"), or NULL
 * for the plain column. Prefixes pyxform once required ("bind::", "control::") are dropped.
 */
static ColumnKind
classify_header (const char *header, char **lang_name)
{
  g_autofree char *key = g_ascii_strdown (header, -1);
  const char      *k = key;
  const char      *h = header;

  *lang_name = NULL;
  for (;;)
    {
      static const char *const prefixes[]
          = { "bind::", "bind:", "control::", "control:", "body::", "body:" };
      gboolean found = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
        if (g_str_has_prefix (k, prefixes[i]))
          {
            k += strlen (prefixes[i]);
            h += strlen (prefixes[i]);
            found = TRUE;
          }
      if (!found)
        break;
    }

  for (guint i = 0; i < G_N_ELEMENTS (column_aliases); i++)
    {
      gsize       n = strlen (column_aliases[i].alias);
      const char *rest;

      if (strncmp (k, column_aliases[i].alias, n) != 0)
        continue;
      rest = h + n;
      if (*rest == '\0')
        return column_aliases[i].kind;
      if (*rest != ':')
        continue;
      rest += rest[1] == ':' ? 2 : 1;
      *lang_name = g_strstrip (g_strdup (rest));
      return column_aliases[i].kind;
    }
  for (guint i = 0; i < G_N_ELEMENTS (plain_aliases); i++)
    if (strcmp (k, plain_aliases[i].alias) == 0)
      return plain_aliases[i].kind;
  return COL_EXTRA;
}

/* ---- Loading ---------------------------------------------------------- */

typedef struct
{
  DftForm    *form;
  const char *dir;        /* where select_one_from_file looks, or NULL */
  const char *stem;       /* the form's file name without its extension */
  gboolean    markdown;   /* texts are cells of markdown tables: "<br>" is a line break */
  char       *plain_lang; /* the language of columns without one */
  GError     *error;
  /* The survey sheet */
  XSheet    *survey;
  GPtrArray *survey_columns; /* Column * */
  int        survey_type;    /* column index of "type" */
  guint      depth;
  int        plain_pos;   /* where "und" goes among the languages; -1: no plain column */
  gboolean   named_texts; /* a column that names its language has a text */
} Loader;

static void
column_free (gpointer data)
{
  Column *c = data;

  g_free (c->lang);
  g_free (c->header);
  g_free (c);
}

static gboolean G_GNUC_PRINTF (5, 6)
    row_error (Loader *l, DftFormError code, const char *sheet, guint row, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list          args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (l->error != NULL)
    return FALSE;
  g_set_error (&l->error, DFT_FORM_ERROR, code,
               /* Translators: %u is a row of a spreadsheet, the first %s an XLSForm sheet name
                  ("survey", "choices"), the second what is wrong there */
               _ ("Row %u of the %s sheet: %s"), row, sheet, message);
  return FALSE;
}

/* The columns of a sheet from its header row; languages are registered in column order. */
static GPtrArray *
read_columns (Loader *l, const XSheet *sheet, const DftSheetRow *header, gboolean choices)
{
  g_autoptr (GPtrArray)  columns = g_ptr_array_new_with_free_func (column_free);
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < header->n_cells; i++)
    {
      Column          *c = g_new0 (Column, 1);
      g_autofree char *lang_name = NULL;
      g_autofree char *key = NULL;
      const char      *text = header->cells[i];

      g_ptr_array_add (columns, c);
      if (text == NULL || text[0] == '#')
        {
          c->kind = COL_IGNORED;
          continue;
        }
      c->header = g_strstrip (g_strdup (text));
      c->kind = classify_header (c->header, &lang_name);
      if (!choices && c->kind == COL_EXTRA)
        c->kind = COL_IGNORED;
      if (choices
          && (c->kind == COL_TYPE || c->kind == COL_CALCULATION || c->kind == COL_PARAMETERS))
        c->kind = COL_EXTRA;
      if (c->kind == COL_IGNORED)
        continue;

      if (is_translatable (c->kind) && lang_name != NULL && lang_name[0] != '\0')
        {
          c->lang = dft_language_code_from_name (lang_name);
          c->named = TRUE;
          dft_form_add_language (l->form, c->lang, lang_name);
        }
      else if (is_translatable (c->kind))
        {
          c->lang = g_strdup (l->plain_lang);
          /* Without a default_language, the plain column is a language of its own only beside
           * named ones (pyxform's "default"): known once every header is read. */
          if (strcmp (l->plain_lang, "und") != 0)
            dft_form_add_language (l->form, c->lang, NULL);
          else if (l->plain_pos < 0)
            l->plain_pos = (int) l->form->languages->len;
        }

      /* As pyxform: the same header twice is an error; two aliases of one column are not
       * (the first one with a value wins). */
      key = g_utf8_casefold (c->header, -1);
      if (g_hash_table_contains (seen, key))
        {
          row_error (l, DFT_FORM_ERROR_INVALID, sheet->name, header->number,
                     /* Translators: %s is a column header of a spreadsheet */
                     _ ("there are two columns “%s”."), c->header);
          return NULL;
        }
      g_hash_table_add (seen, g_steal_pointer (&key));
    }
  return g_steal_pointer (&columns);
}

static const char *
cell_of (const GPtrArray *columns, const DftSheetRow *row, ColumnKind kind)
{
  for (guint i = 0; i < columns->len && i < row->n_cells; i++)
    if (((Column *) g_ptr_array_index (columns, i))->kind == kind && row->cells[i] != NULL)
      return row->cells[i];
  return NULL;
}

/* yes/true → "true()", no/false → NULL, anything else is an expression. */
static char *
condition (const char *value)
{
  static const char *const yes[] = { "yes", "true", "true()" };
  static const char *const no[] = { "no", "false", "false()" };

  if (value == NULL)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (yes); i++)
    if (g_ascii_strcasecmp (value, yes[i]) == 0)
      return g_strdup ("true()");
  for (guint i = 0; i < G_N_ELEMENTS (no); i++)
    if (g_ascii_strcasecmp (value, no[i]) == 0)
      return NULL;
  return g_strdup (value);
}

static gboolean
is_yes (const char *value)
{
  g_autofree char *c = condition (value);

  return g_strcmp0 (c, "true()") == 0;
}

/* The text a cell of a translatable column holds. */
static char *
cell_text (const Loader *l, const char *cell)
{
  return l->markdown ? _dft_xlsform_md_decode_text (cell) : g_strdup (cell);
}

/* ---- Types ------------------------------------------------------------ */

typedef enum
{
  T_QUESTION,
  T_METADATA,
  T_SKIPPED, /* metadata and declarations Daftari does not keep */
  T_UNSUPPORTED,
  T_SELECT_ONE,
  T_SELECT_MULTIPLE,
  T_SELECT_ONE_FILE,
  T_SELECT_MULTIPLE_FILE,
  T_BEGIN_GROUP,
  T_END_GROUP,
  T_BEGIN_REPEAT,
  T_END_REPEAT,
  T_BEGIN_LOOP,
  T_END_LOOP,
  T_RANK,
} TypeClass;

typedef struct
{
  TypeClass       klass;
  DftQuestionType type;
  char           *word; /* metadata: the preload; unsupported: its name (simple_types) */
  char           *list; /* selects and loops: the list or file name */
  gboolean        or_other;
} TypeInfo;

static const struct
{
  const char     *name;
  TypeClass       klass;
  DftQuestionType type;
  const char     *word;
} simple_types[] = {
  { "text", T_QUESTION, DFT_QUESTION_TEXT, NULL },
  { "string", T_QUESTION, DFT_QUESTION_TEXT, NULL },
  { "q string", T_QUESTION, DFT_QUESTION_TEXT, NULL },
  { "add text prompt", T_QUESTION, DFT_QUESTION_TEXT, NULL },
  { "phone number", T_QUESTION, DFT_QUESTION_TEXT, NULL },
  { "integer", T_QUESTION, DFT_QUESTION_INTEGER, NULL },
  { "int", T_QUESTION, DFT_QUESTION_INTEGER, NULL },
  { "q int", T_QUESTION, DFT_QUESTION_INTEGER, NULL },
  { "add integer prompt", T_QUESTION, DFT_QUESTION_INTEGER, NULL },
  { "percentage", T_QUESTION, DFT_QUESTION_INTEGER, NULL },
  { "number of days in last month", T_QUESTION, DFT_QUESTION_INTEGER, NULL },
  { "number of days in last six months", T_QUESTION, DFT_QUESTION_INTEGER, NULL },
  { "number of days in last year", T_QUESTION, DFT_QUESTION_INTEGER, NULL },
  { "decimal", T_QUESTION, DFT_QUESTION_DECIMAL, NULL },
  { "q decimal", T_QUESTION, DFT_QUESTION_DECIMAL, NULL },
  { "add decimal prompt", T_QUESTION, DFT_QUESTION_DECIMAL, NULL },
  { "date", T_QUESTION, DFT_QUESTION_DATE, NULL },
  { "q date", T_QUESTION, DFT_QUESTION_DATE, NULL },
  { "add date prompt", T_QUESTION, DFT_QUESTION_DATE, NULL },
  { "time", T_QUESTION, DFT_QUESTION_TIME, NULL },
  { "datetime", T_QUESTION, DFT_QUESTION_DATETIME, NULL },
  { "date time", T_QUESTION, DFT_QUESTION_DATETIME, NULL },
  { "q date time", T_QUESTION, DFT_QUESTION_DATETIME, NULL },
  { "q datetime", T_QUESTION, DFT_QUESTION_DATETIME, NULL },
  { "add date time prompt", T_QUESTION, DFT_QUESTION_DATETIME, NULL },
  { "add datetime prompt", T_QUESTION, DFT_QUESTION_DATETIME, NULL },
  { "note", T_QUESTION, DFT_QUESTION_NOTE, NULL },
  { "q note", T_QUESTION, DFT_QUESTION_NOTE, NULL },
  { "add note prompt", T_QUESTION, DFT_QUESTION_NOTE, NULL },
  { "acknowledge", T_QUESTION, DFT_QUESTION_ACKNOWLEDGE, NULL },
  { "trigger", T_QUESTION, DFT_QUESTION_ACKNOWLEDGE, NULL },
  { "q acknowledge", T_QUESTION, DFT_QUESTION_ACKNOWLEDGE, NULL },
  { "add acknowledge prompt", T_QUESTION, DFT_QUESTION_ACKNOWLEDGE, NULL },
  { "calculate", T_QUESTION, DFT_QUESTION_CALCULATE, NULL },
  { "q calculate", T_QUESTION, DFT_QUESTION_CALCULATE, NULL },
  { "add calculate prompt", T_QUESTION, DFT_QUESTION_CALCULATE, NULL },
  /* Metadata Daftari fills in. */
  { "start", T_METADATA, 0, "start" },
  { "start time", T_METADATA, 0, "start" },
  { "get start time", T_METADATA, 0, "start" },
  { "end", T_METADATA, 0, "end" },
  { "end time", T_METADATA, 0, "end" },
  { "get end time", T_METADATA, 0, "end" },
  { "today", T_METADATA, 0, "today" },
  { "get today", T_METADATA, 0, "today" },
  { "deviceid", T_METADATA, 0, "deviceid" },
  { "device id", T_METADATA, 0, "deviceid" },
  { "get device id", T_METADATA, 0, "deviceid" },
  { "imei", T_METADATA, 0, "deviceid" },
  { "username", T_METADATA, 0, "username" },
  /* Metadata and declarations it does not keep. */
  { "simserial", T_UNSUPPORTED, 0, "simserial" },
  { "sim id", T_UNSUPPORTED, 0, "simserial" },
  { "get sim id", T_UNSUPPORTED, 0, "simserial" },
  { "subscriberid", T_UNSUPPORTED, 0, "subscriberid" },
  { "subscriber id", T_UNSUPPORTED, 0, "subscriberid" },
  { "get subscriber id", T_UNSUPPORTED, 0, "subscriberid" },
  { "phonenumber", T_UNSUPPORTED, 0, "phonenumber" },
  { "get phone number", T_UNSUPPORTED, 0, "phonenumber" },
  { "email", T_UNSUPPORTED, 0, "email" },
  { "audit", T_SKIPPED, 0, NULL },
  { "background-audio", T_SKIPPED, 0, NULL },
  { "start-geopoint", T_SKIPPED, 0, NULL },
  { "uri:subscriberid", T_UNSUPPORTED, 0, "subscriberid" },
  { "uri:phonenumber", T_UNSUPPORTED, 0, "phonenumber" },
  { "uri:simserial", T_UNSUPPORTED, 0, "simserial" },
  { "uri:deviceid", T_METADATA, 0, "deviceid" },
  { "uri:username", T_METADATA, 0, "username" },
  { "uri:email", T_UNSUPPORTED, 0, "email" },
  { "xml-external", T_SKIPPED, 0, NULL },
  { "csv-external", T_SKIPPED, 0, NULL },
  /* Typed in as latitude and longitude, or pasted from a GPS app: a laptop has no GPS. */
  { "geopoint", T_QUESTION, DFT_QUESTION_GEOPOINT, NULL },
  { "gps", T_QUESTION, DFT_QUESTION_GEOPOINT, NULL },
  { "location", T_QUESTION, DFT_QUESTION_GEOPOINT, NULL },
  { "q geopoint", T_QUESTION, DFT_QUESTION_GEOPOINT, NULL },
  { "q location", T_QUESTION, DFT_QUESTION_GEOPOINT, NULL },
  { "add location prompt", T_QUESTION, DFT_QUESTION_GEOPOINT, NULL },
  { "geotrace", T_QUESTION, DFT_QUESTION_GEOTRACE, NULL },
  { "q geotrace", T_QUESTION, DFT_QUESTION_GEOTRACE, NULL },
  { "geoshape", T_QUESTION, DFT_QUESTION_GEOSHAPE, NULL },
  { "q geoshape", T_QUESTION, DFT_QUESTION_GEOSHAPE, NULL },
  /* Typed in by hand: a laptop has no camera to scan with. */
  { "barcode", T_QUESTION, DFT_QUESTION_BARCODE, NULL },
  { "q barcode", T_QUESTION, DFT_QUESTION_BARCODE, NULL },
  { "add barcode prompt", T_QUESTION, DFT_QUESTION_BARCODE, NULL },
  /* Questions Daftari cannot show, named as the XForm importer names the control or bind type
   * pyxform makes of each: an upload of images is an "image", one of OpenStreetMap data a
   * "file". Warnings name the type as written. */
  { "image", T_QUESTION, DFT_QUESTION_IMAGE, NULL },
  { "photo", T_QUESTION, DFT_QUESTION_IMAGE, NULL },
  { "q picture", T_QUESTION, DFT_QUESTION_IMAGE, NULL },
  { "q image", T_QUESTION, DFT_QUESTION_IMAGE, NULL },
  { "add image prompt", T_QUESTION, DFT_QUESTION_IMAGE, NULL },
  { "add photo prompt", T_QUESTION, DFT_QUESTION_IMAGE, NULL },
  { "audio", T_QUESTION, DFT_QUESTION_AUDIO, NULL },
  { "q audio", T_QUESTION, DFT_QUESTION_AUDIO, NULL },
  { "add audio prompt", T_QUESTION, DFT_QUESTION_AUDIO, NULL },
  { "video", T_QUESTION, DFT_QUESTION_VIDEO, NULL },
  { "q video", T_QUESTION, DFT_QUESTION_VIDEO, NULL },
  { "add video prompt", T_QUESTION, DFT_QUESTION_VIDEO, NULL },
  { "file", T_QUESTION, DFT_QUESTION_FILE, NULL },
  { "add file prompt", T_QUESTION, DFT_QUESTION_FILE, NULL },
  { "osm", T_QUESTION, DFT_QUESTION_FILE, NULL },
  { "range", T_QUESTION, DFT_QUESTION_RANGE, NULL },
  { "hidden", T_UNSUPPORTED, 0, "hidden" },
  { "signature", T_UNSUPPORTED, 0, "signature" },
  { "include", T_UNSUPPORTED, 0, "include" },
};

/* Select prefixes, longest first so that "select one from" wins over "select one"; those
 * Daftari cannot show with their names as in simple_types. */
static const struct
{
  const char *prefix;
  TypeClass   klass;
  const char *word;
} select_types[] = {
  { "add select multiple prompt using", T_SELECT_MULTIPLE },
  { "add select one prompt using", T_SELECT_ONE },
  { "select all that apply from", T_SELECT_MULTIPLE },
  { "select multiple from file", T_SELECT_MULTIPLE_FILE },
  { "select one from file", T_SELECT_ONE_FILE },
  { "select_multiple_from_file", T_SELECT_MULTIPLE_FILE },
  { "select_one_from_file", T_SELECT_ONE_FILE },
  { "select all that apply", T_SELECT_MULTIPLE },
  { "select multiple using", T_SELECT_MULTIPLE },
  { "select multiple from", T_SELECT_MULTIPLE },
  { "select_one_external", T_UNSUPPORTED, "select one external" },
  { "select one external", T_UNSUPPORTED, "select one external" },
  { "select one using", T_SELECT_ONE },
  { "select one from", T_SELECT_ONE },
  { "select_multiple", T_SELECT_MULTIPLE },
  { "select_one", T_SELECT_ONE },
  { "select one", T_SELECT_ONE },
  { "select1", T_SELECT_ONE },
  { "q select1", T_SELECT_ONE },
  { "q select", T_SELECT_MULTIPLE },
  { "rank", T_RANK },
  { "osm", T_UNSUPPORTED, "file" },
};

/* Calculated, filled by the device or hidden: pyxform gives it a bind but no control, so the
 * XForm it makes shows no label, hint or appearance for it, and nobody is asked to meet its
 * requiredness. */
static gboolean
has_no_control (const TypeInfo *t)
{
  static const char *const words[]
      = { "simserial", "subscriberid", "phonenumber", "email", "hidden", NULL };

  return t->klass == T_METADATA || (t->klass == T_QUESTION && t->type == DFT_QUESTION_CALCULATE)
         || (t->klass == T_UNSUPPORTED && g_strv_contains (words, t->word));
}

static void
type_info_clear (TypeInfo *t)
{
  g_free (t->word);
  g_free (t->list);
}

/* Runs of white space as one space. */
static char *
collapse_spaces (const char *text)
{
  g_auto (GStrv)        words = g_strsplit_set (text, " \t\n\r", -1);
  g_autoptr (GPtrArray) kept = g_ptr_array_new ();

  for (guint i = 0; words[i] != NULL; i++)
    if (words[i][0] != '\0')
      g_ptr_array_add (kept, words[i]);
  g_ptr_array_add (kept, NULL);
  return g_strjoinv (" ", (char **) kept->pdata);
}

static gboolean
parse_type (const char *written, TypeInfo *t)
{
  g_autofree char *type = collapse_spaces (written);
  g_autofree char *lower = g_ascii_strdown (type, -1);
  gsize            n;

  memset (t, 0, sizeof *t);
  if (g_str_has_suffix (lower, " or specify other") || g_str_has_suffix (lower, " or_other"))
    {
      n = strlen (lower)
          - (g_str_has_suffix (lower, " or_other") ? strlen (" or_other")
                                                   : strlen (" or specify other"));
      lower[n] = type[n] = '\0';
      t->or_other = TRUE;
    }

  /* begin group, begin_group, end repeat, begin loop over list… */
  if (g_str_has_prefix (lower, "begin") || g_str_has_prefix (lower, "end"))
    {
      gboolean    begin = lower[0] == 'b';
      const char *rest = lower + (begin ? 5 : 3);

      if (*rest == ' ' || *rest == '_')
        {
          static const struct
          {
            const char *word;
            TypeClass   begin, end;
          } controls[] = {
            { "looped group", T_BEGIN_REPEAT, T_END_REPEAT },
            { "group", T_BEGIN_GROUP, T_END_GROUP },
            { "repeat", T_BEGIN_REPEAT, T_END_REPEAT },
            { "lgroup", T_BEGIN_REPEAT, T_END_REPEAT },
            { "loop", T_BEGIN_LOOP, T_END_LOOP },
          };

          rest++;
          for (guint i = 0; i < G_N_ELEMENTS (controls); i++)
            {
              gsize len = strlen (controls[i].word);

              if (strncmp (rest, controls[i].word, len) != 0
                  || (rest[len] != '\0' && rest[len] != ' '))
                continue;
              t->klass = begin ? controls[i].begin : controls[i].end;
              rest += len;
              if (*rest == ' ')
                {
                  rest++;
                  if (g_str_has_prefix (rest, "over "))
                    rest += 5;
                  t->list = g_strdup (type + (rest - lower));
                }
              return TRUE;
            }
        }
    }

  for (guint i = 0; i < G_N_ELEMENTS (select_types); i++)
    {
      gsize len = strlen (select_types[i].prefix);

      if (strncmp (lower, select_types[i].prefix, len) != 0 || lower[len] != ' ')
        continue;
      t->klass = select_types[i].klass;
      t->list = g_strdup (type + len + 1);
      /* A list name is one word; a third word (besides "or_other") is not a type. */
      if (strchr (t->list, ' ') != NULL)
        break;
      if (t->klass == T_UNSUPPORTED)
        t->word = g_strdup (select_types[i].word);
      return TRUE;
    }
  g_clear_pointer (&t->list, g_free);

  for (guint i = 0; i < G_N_ELEMENTS (simple_types); i++)
    if (strcmp (lower, simple_types[i].name) == 0)
      {
        t->klass = simple_types[i].klass;
        t->type = simple_types[i].type;
        t->word = g_strdup (simple_types[i].word != NULL ? simple_types[i].word : type);
        return !t->or_other;
      }
  return FALSE;
}

/* ---- Choices ---------------------------------------------------------- */

static gboolean
load_choices (Loader *l, XSheet *sheet)
{
  g_autoptr (GPtrArray) columns = NULL;
  DftSheetRow          *header;

  if (sheet == NULL || sheet->rows->len == 0)
    return TRUE;
  header = g_ptr_array_index (sheet->rows, 0);
  columns = read_columns (l, sheet, header, TRUE);
  if (columns == NULL)
    return FALSE;

  for (guint r = 1; r < sheet->rows->len; r++)
    {
      DftSheetRow   *row = g_ptr_array_index (sheet->rows, r);
      const char    *list_name = cell_of (columns, row, COL_LIST_NAME);
      const char    *value = cell_of (columns, row, COL_NAME);
      DftChoiceList *list;
      DftChoice     *choice;
      DftText       *label;

      if (list_name == NULL)
        continue;
      if (value == NULL)
        return row_error (l, DFT_FORM_ERROR_INVALID, sheet->name, row->number,
                          /* Translators: %s is the name of a list of choices */
                          _ ("a choice in the list “%s” has no name."), list_name);
      label = dft_text_new ();
      for (guint c = 0; c < columns->len && c < row->n_cells; c++)
        {
          Column *col = g_ptr_array_index (columns, c);

          if (col->kind == COL_LABEL && row->cells[c] != NULL && strcmp (row->cells[c], "-") != 0)
            {
              g_autofree char *text = cell_text (l, row->cells[c]);

              dft_text_set (label, col->lang, text);
              l->named_texts |= col->named;
            }
        }
      list = dft_form_ensure_choice_list (l->form, list_name);
      choice = dft_choice_list_add (list, value, label);
      for (guint c = 0; c < columns->len && c < row->n_cells; c++)
        {
          Column *col = g_ptr_array_index (columns, c);

          if (col->kind == COL_EXTRA && row->cells[c] != NULL)
            g_hash_table_insert (choice->extra, g_strdup (col->header), g_strdup (row->cells[c]));
        }
    }
  return TRUE;
}

/* Where ODK tools put a form's files, as the XForm path looks for them: beside the form, in
 * "media", in "<form>-media" (ODK Central, Collect), in "media/<form>-media", and in a "media"
 * folder beside the form's own (Collect's test forms). */
static char *
find_media_file (Loader *l, const char *file)
{
  g_autofree char  *stem_media = g_strconcat (l->stem != NULL ? l->stem : "", "-media", NULL);
  const char *const folders[][2] = {
    { ".", "." }, { "media", "." }, { stem_media, "." }, { "media", stem_media }, { "..", "media" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (folders); i++)
    {
      g_autofree char *path = g_build_filename (l->dir, folders[i][0], folders[i][1], file, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&path);
    }
  return NULL;
}

/* Choices from an XML file as ODK reads it: <root><item><name/><label/>…</item>…</root>, the
 * other children of an item kept as extra columns. */
static gboolean
load_choices_xml (Loader *l, const char *file, const char *data, gsize len, guint number)
{
  g_autoptr (GError) local = NULL;
  xmlDocPtr          doc = _dft_xml_read_file_data (file, data, len, &local);
  DftChoiceList     *list;

  if (doc == NULL)
    return row_error (l, DFT_FORM_ERROR_INVALID, "survey", number, "%s", local->message);
  list = dft_form_ensure_choice_list (l->form, file);
  for (xmlNodePtr item = xmlDocGetRootElement (doc)->children; item != NULL; item = item->next)
    {
      g_autofree char *value = NULL;
      DftText         *label;
      DftChoice       *choice;

      if (item->type != XML_ELEMENT_NODE)
        continue;
      for (xmlNodePtr c = item->children; c != NULL && value == NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE && xmlStrEqual (c->name, (const xmlChar *) "name"))
          value = (char *) xmlNodeGetContent (c);
      if (value == NULL)
        continue;
      label = dft_text_new ();
      choice = dft_choice_list_add (list, value, label);
      for (xmlNodePtr c = item->children; c != NULL; c = c->next)
        {
          g_autofree char *text = NULL;

          if (c->type != XML_ELEMENT_NODE || xmlStrEqual (c->name, (const xmlChar *) "name"))
            continue;
          text = (char *) xmlNodeGetContent (c);
          if (xmlStrEqual (c->name, (const xmlChar *) "label"))
            dft_text_set (label, l->plain_lang, text);
          else
            g_hash_table_insert (choice->extra, g_strdup ((const char *) c->name),
                                 g_steal_pointer (&text));
        }
    }
  xmlFreeDoc (doc);
  return TRUE;
}

/* Choices from a CSV file (columns "name" and "label") or an XML file beside the form
 * (select_one_from_file). */
static gboolean
load_choices_file (Loader *l, const char *file, guint number)
{
  g_autofree char        *path = NULL;
  g_autofree char        *data = NULL;
  g_autoptr (GError)      local = NULL;
  g_autoptr (DftWorkbook) wb = NULL;
  const DftSheet         *sheet = NULL;
  DftChoiceList          *list;
  DftSheetRow            *header;
  int                     name_col = -1, label_col = -1;
  gsize                   len = 0;

  if (g_hash_table_contains (l->form->choice_lists, file))
    return TRUE;
  if (l->dir != NULL && strchr (file, '/') == NULL && strchr (file, '\\') == NULL)
    path = find_media_file (l, file);
  if (path == NULL || !g_file_get_contents (path, &data, &len, &local))
    return row_error (l, DFT_FORM_ERROR_INVALID, "survey", number,
                      /* Translators: %s is a file name */
                      _ ("the choices are to come from the file “%s”, which is not beside the "
                         "form. Put it in the same folder as the form and open the form again."),
                      file);
  if (len > MAX_FILE_BYTES)
    return row_error (l, DFT_FORM_ERROR_INVALID, "survey", number,
                      /* Translators: %s is a file name */
                      _ ("the file of choices “%s” is too large."), file);
  if (g_str_has_suffix (file, ".xml"))
    return load_choices_xml (l, file, data, len, number);
  wb = dft_workbook_new_from_data (file, data, len, MAX_ROWS, MAX_COLUMNS, &local);
  if (wb != NULL)
    sheet = dft_workbook_read_sheet (wb, 0, &local);
  if (sheet == NULL)
    return row_error (l, DFT_FORM_ERROR_INVALID, "survey", number, "%s", local->message);
  list = dft_form_ensure_choice_list (l->form, file);
  if (sheet->rows->len == 0)
    return TRUE;
  header = g_ptr_array_index (sheet->rows, 0);
  for (guint c = 0; c < header->n_cells; c++)
    {
      if (g_ascii_strcasecmp (header->cells[c] ? header->cells[c] : "", "name") == 0)
        name_col = (int) c;
      else if (g_ascii_strcasecmp (header->cells[c] ? header->cells[c] : "", "label") == 0)
        label_col = (int) c;
    }
  if (name_col < 0)
    return row_error (l, DFT_FORM_ERROR_INVALID, "survey", number,
                      /* Translators: %s is a file name; do not translate “name” */
                      _ ("the file of choices “%s” has no column “name”."), file);
  for (guint r = 1; r < sheet->rows->len; r++)
    {
      DftSheetRow *row = g_ptr_array_index (sheet->rows, r);
      const char  *value = dft_sheet_row_get (row, (guint) name_col);
      const char  *text = label_col >= 0 ? dft_sheet_row_get (row, (guint) label_col) : NULL;
      DftText     *label = dft_text_new ();
      DftChoice   *choice;

      if (value == NULL)
        {
          g_hash_table_unref (label);
          continue;
        }
      if (text != NULL)
        dft_text_set (label, l->plain_lang, text);
      choice = dft_choice_list_add (list, value, label);
      for (guint c = 0; c < row->n_cells && c < header->n_cells; c++)
        if ((int) c != name_col && (int) c != label_col && header->cells[c] != NULL
            && row->cells[c] != NULL)
          g_hash_table_insert (choice->extra, g_strdup (header->cells[c]),
                               g_strdup (row->cells[c]));
    }
  return TRUE;
}

/* pyxform's "or_other": a choice "other" labelled "Other" in every language of the list. */
static void
add_other_choice (Loader *l, DftChoiceList *list)
{
  g_autoptr (GHashTable) langs = g_hash_table_new (g_str_hash, g_str_equal);
  DftText               *label = dft_text_new ();
  GHashTableIter         iter;
  gpointer               key;

  for (guint i = 0; i < list->choices->len; i++)
    {
      DftChoice *c = g_ptr_array_index (list->choices, i);

      if (strcmp (c->value, "other") == 0)
        {
          g_hash_table_unref (label);
          return;
        }
      g_hash_table_iter_init (&iter, c->label);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        g_hash_table_add (langs, key);
    }
  if (g_hash_table_size (langs) == 0)
    g_hash_table_add (langs, l->plain_lang);
  g_hash_table_iter_init (&iter, langs);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    dft_text_set (label, key, "Other");
  dft_choice_list_add (list, "other", label);
}

/* ---- Survey ----------------------------------------------------------- */

typedef struct
{
  const char *label_lang; /* NULL: no substitution */
  DftText    *label;      /* the loop's current choice label */
  const char *value;
} LoopItem;

/* "%(label)s" and "%(name)s" in a looped question's texts, as pyxform fills them. */
static char *
substitute (const char *text, const LoopItem *item, const char *lang)
{
  const char *label;
  GString    *out;

  if (item == NULL || strstr (text, "%(") == NULL)
    return g_strdup (text);
  label = dft_text_get (item->label, lang);
  if (label == NULL)
    label = dft_text_get (item->label, "und");
  if (label == NULL)
    label = item->value;
  out = g_string_new (text);
  g_string_replace (out, "%(label)s", label, 0);
  g_string_replace (out, "%(name)s", item->value, 0);
  return g_string_free (out, FALSE);
}

static void
set_texts (Loader *l, DftQuestion *q, const DftSheetRow *row, const LoopItem *item)
{
  for (guint c = 0; c < l->survey_columns->len && c < row->n_cells; c++)
    {
      Column          *col = g_ptr_array_index (l->survey_columns, c);
      DftText         *text = NULL;
      g_autofree char *cell = NULL;
      g_autofree char *value = NULL;

      if (row->cells[c] == NULL)
        continue;
      if (col->kind == COL_LABEL)
        text = q->label;
      else if (col->kind == COL_HINT)
        text = q->hint;
      else if (col->kind == COL_CONSTRAINT_MESSAGE)
        text = q->constraint_message;
      else if (col->kind == COL_REQUIRED_MESSAGE)
        text = q->required_message;
      else
        continue;
      /* pyxform's own forms write "-" in a translation column they leave empty. */
      if (strcmp (row->cells[c], "-") == 0)
        continue;
      cell = cell_text (l, row->cells[c]);
      value = substitute (cell, item, col->lang);
      dft_text_set (text, col->lang, value);
      l->named_texts |= col->named;
    }
}

/* pyxform's "table-list": a field-list group whose selects show as one table, made of a note
 * with the group's label and hint, a header row of the choices (appearance "label") and each
 * select without its choice labels ("list-nolabel"). Done the same way here, so the form is
 * the one pyxform makes. */
static void
expand_table_list (DftQuestion *group, guint row_number)
{
  DftQuestion *first = NULL;
  DftQuestion *note, *header;

  for (guint i = 0; i < group->children->len && first == NULL; i++)
    {
      DftQuestion *c = g_ptr_array_index (group->children, i);

      if (c->type == DFT_QUESTION_SELECT_ONE || c->type == DFT_QUESTION_SELECT_MULTIPLE)
        first = c;
    }
  if (first == NULL)
    return;
  for (guint i = 0; i < group->children->len; i++)
    {
      DftQuestion *c = g_ptr_array_index (group->children, i);

      if (c->type == DFT_QUESTION_SELECT_ONE || c->type == DFT_QUESTION_SELECT_MULTIPLE)
        {
          g_free (c->appearance);
          c->appearance = g_strdup ("list-nolabel");
        }
    }
  if (g_hash_table_size (group->label) == 0 && g_hash_table_size (group->hint) == 0)
    note = NULL;
  else
    note = dft_question_new (DFT_QUESTION_NOTE, NULL);
  if (note != NULL)
    {
      g_free (note->name);
      note->name = g_strdup_printf ("generated_table_list_label_%u", row_number);
      g_hash_table_unref (note->label);
      note->label = g_steal_pointer (&group->label);
      group->label = dft_text_new ();
      g_hash_table_unref (note->hint);
      note->hint = g_steal_pointer (&group->hint);
      group->hint = dft_text_new ();
      note->source_line = row_number;
      note->parent = group;
    }
  header = dft_question_new (first->type, NULL);
  g_free (header->name);
  header->name = g_strdup_printf ("reserved_name_for_field_list_labels_%u", row_number + 1);
  header->choice_list = g_strdup (first->choice_list);
  header->appearance = g_strdup ("label");
  header->source_line = row_number;
  header->parent = group;
  g_ptr_array_insert (group->children, 0, header);
  if (note != NULL)
    g_ptr_array_insert (group->children, 0, note);
  g_free (group->appearance);
  group->appearance = g_strdup ("field-list");
}

/* "${name}", alone but for spaces. */
static gboolean
is_single_reference (const char *s)
{
  const char *end;

  while (g_ascii_isspace (*s))
    s++;
  if (!g_str_has_prefix (s, "${") || (end = strchr (s, '}')) == NULL)
    return FALSE;
  for (end++; g_ascii_isspace (*end); end++)
    ;
  return *end == '\0';
}

static void
add_question (Loader *l, DftQuestion *parent, DftQuestion *q)
{
  if (parent != NULL)
    dft_question_add_child (parent, q);
  else
    dft_form_add_question (l->form, q);
}

/* pyxform's range parameters, "start=1 end=10 step=1" (separated by spaces, commas or
 * semicolons; each 1, 10 and 1 when not given): start, end and step must be numbers, as the
 * XForm path checks them on the <range> pyxform makes. */
static gboolean
take_range (Loader *l, const DftSheetRow *row, DftQuestion *q)
{
  const char    *name = q->name;
  const char    *cell = cell_of (l->survey_columns, row, COL_PARAMETERS);
  g_auto (GStrv) parts = g_strsplit_set (cell != NULL ? cell : "", " \t\n,;", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      char  *value = strchr (parts[i], '=');
      char  *end = NULL;
      double number;

      if (value == NULL)
        continue;
      *value++ = '\0';
      if (g_ascii_strcasecmp (parts[i], "start") != 0 && g_ascii_strcasecmp (parts[i], "end") != 0
          && g_ascii_strcasecmp (parts[i], "step") != 0)
        continue;
      number = g_ascii_strtod (value, &end);
      if (*value == '\0' || end == value || *end != '\0')
        return row_error (l, DFT_FORM_ERROR_INVALID, "survey", row->number,
                          /* Translators: the first %s is a question name, the second a range
                             parameter (start, end, step), the third its value */
                          _ ("the range “%s” has a %s of “%s”, which is not a number."), name,
                          parts[i], value);
      if (g_ascii_strcasecmp (parts[i], "start") == 0)
        q->range_start = number;
      else if (g_ascii_strcasecmp (parts[i], "end") == 0)
        q->range_end = number;
      else
        q->range_step = number;
    }
  return TRUE;
}

/* pyxform's select parameters "randomize=true seed=${s}" (separated as a range's are): the
 * choices are offered shuffled, with that seed when one is given. */
static void
take_randomize (Loader *l, const DftSheetRow *row, DftQuestion *q)
{
  const char    *cell = cell_of (l->survey_columns, row, COL_PARAMETERS);
  g_auto (GStrv) parts = g_strsplit_set (cell != NULL ? cell : "", " \t\n,;", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *value = strchr (parts[i], '=');

      if (value == NULL)
        continue;
      *value++ = '\0';
      if (g_ascii_strcasecmp (parts[i], "randomize") == 0)
        q->choice_randomize
            = g_ascii_strcasecmp (value, "true") == 0 || g_ascii_strcasecmp (value, "yes") == 0;
      else if (g_ascii_strcasecmp (parts[i], "seed") == 0 && *value != '\0')
        {
          g_free (q->choice_seed);
          q->choice_seed = g_strdup (value);
        }
    }
  if (!q->choice_randomize)
    g_clear_pointer (&q->choice_seed, g_free);
}

/* @value as an XPath string literal: in the quotes it has none of, else a concat() of the
 * parts between its apostrophes. */
static char *
xpath_literal (const char *value)
{
  g_auto (GStrv)   parts = NULL;
  g_autofree char *joined = NULL;

  if (strchr (value, '\'') == NULL)
    return g_strdup_printf ("'%s'", value);
  if (strchr (value, '"') == NULL)
    return g_strdup_printf ("\"%s\"", value);
  parts = g_strsplit (value, "'", -1);
  joined = g_strjoinv ("', \"'\", '", parts);
  return g_strdup_printf ("concat('%s')", joined);
}

static gboolean
is_default_expression (const char *value)
{
  /* pyxform's dynamic defaults: references and function calls; "2010-06-15" is a value. */
  if (strstr (value, "${") != NULL)
    return TRUE;
  for (const char *p = strchr (value, '('); p != NULL; p = strchr (p + 1, '('))
    if (p > value && (g_ascii_isalnum (p[-1]) || p[-1] == '_' || p[-1] == '-'))
      return TRUE;
  return FALSE;
}

/* The fields every kind of question shares, from @row; without a @control (has_no_control())
 * no texts or appearance. */
static gboolean
fill_question (
    Loader *l, DftQuestion *q, const DftSheetRow *row, const LoopItem *item, gboolean control)
{
  const GPtrArray *cols = l->survey_columns;
  const char      *s;

  q->source_line = row->number;
  if (control)
    set_texts (l, q, row, item);
  q->required = condition (cell_of (cols, row, COL_REQUIRED));
  q->relevant = g_strdup (cell_of (cols, row, COL_RELEVANT));
  /* A question Daftari cannot show keeps its columns too, as the XForm pyxform makes of it
   * does: its appearance says what it was ("ex:" another app, "signature") and its bind stays
   * in the submission. */
  q->constraint = g_strdup (cell_of (cols, row, COL_CONSTRAINT));
  q->calculate = g_strdup (cell_of (cols, row, COL_CALCULATION));
  q->read_only = condition (cell_of (cols, row, COL_READ_ONLY));
  if (control)
    q->appearance = g_strdup (cell_of (cols, row, COL_APPEARANCE));
  q->choice_filter = g_strdup (cell_of (cols, row, COL_CHOICE_FILTER));
  q->repeat_count = g_strdup (cell_of (cols, row, COL_REPEAT_COUNT));
  if ((s = cell_of (cols, row, COL_DEFAULT)) != NULL)
    {
      if (is_default_expression (s))
        q->default_expression = g_strdup (s);
      else
        q->default_value = g_strdup (s);
    }
  if ((s = cell_of (cols, row, COL_CORRECT_ANSWER)) != NULL)
    {
      g_auto (GStrv)           words = g_strsplit_set (s, " \t\n", -1);
      g_autoptr (GStrvBuilder) b = g_strv_builder_new ();

      for (guint i = 0; words[i] != NULL; i++)
        if (words[i][0] != '\0')
          g_strv_builder_add (b, words[i]);
      q->correct = g_strv_builder_end (b);
    }
  if ((s = cell_of (cols, row, COL_POINTS)) != NULL)
    {
      char *end = NULL;

      q->points = g_ascii_strtod (s, &end);
      if (end == s || *end != '\0')
        return row_error (l, DFT_FORM_ERROR_INVALID, "survey", row->number,
                          /* Translators: %s is what the "points" column holds */
                          _ ("the points “%s” are not a number."), s);
    }
  q->partial_credit = is_yes (cell_of (cols, row, COL_PARTIAL_CREDIT));
  return TRUE;
}

/* pyxform's "trigger" column: the question is set when the one it names changes, to its
 * "calculation" (then no calculation of the question), or emptied when there is none. With no
 * label or hint, or as a calculate, it has no control: data the form keeps, as the XForm path
 * reads the node pyxform writes for it. */
static void
take_trigger (Loader *l, DftQuestion *q, const DftSheetRow *row)
{
  const char *trigger = cell_of (l->survey_columns, row, COL_TRIGGER);
  DftAction  *a;

  if (trigger == NULL || q->type == DFT_QUESTION_GROUP || q->type == DFT_QUESTION_REPEAT)
    return;
  a = dft_question_add_action (q, DFT_EVENT_VALUE_CHANGED, FALSE);
  a->trigger = g_strdup (trigger);
  a->value = g_steal_pointer (&q->calculate);
  a->source_line = row->number;
  if (q->type == DFT_QUESTION_CALCULATE
      || (g_hash_table_size (q->label) == 0 && g_hash_table_size (q->hint) == 0))
    {
      q->type = DFT_QUESTION_METADATA;
      g_clear_pointer (&q->unsupported_type, g_free);
      g_clear_pointer (&q->required, g_free);
      g_clear_pointer (&q->appearance, g_free);
    }
}

static gboolean
load_rows (Loader *l, guint first, guint last, DftQuestion *parent, const LoopItem *item);

/* The row index of the end matching the begin at @first, or 0 when there is none. */
static guint
find_end (Loader *l, guint first, guint last, TypeClass begin, TypeClass end)
{
  guint depth = 0;

  for (guint r = first; r < last; r++)
    {
      DftSheetRow *row = g_ptr_array_index (l->survey->rows, r);
      const char  *type = dft_sheet_row_get (row, (guint) l->survey_type);
      TypeInfo     t;

      if (type == NULL || !parse_type (type, &t))
        continue;
      if (t.klass == begin)
        depth++;
      else if (t.klass == end && --depth == 0)
        {
          type_info_clear (&t);
          return r;
        }
      type_info_clear (&t);
    }
  return 0;
}

/* pyxform's "begin loop over list": a group per choice, the rows inside repeated in each. */
static gboolean
load_loop (Loader *l, guint first, guint end, DftQuestion *group, const char *list_name)
{
  DftChoiceList *list = g_hash_table_lookup (l->form->choice_lists, list_name);
  DftSheetRow   *row = g_ptr_array_index (l->survey->rows, first);

  if (list == NULL)
    return row_error (l, DFT_FORM_ERROR_INVALID, "survey", row->number,
                      /* Translators: %s is the name of a list of choices */
                      _ ("there is no list of choices “%s” in the choices sheet."), list_name);
  for (guint i = 0; i < list->choices->len; i++)
    {
      DftChoice     *choice = g_ptr_array_index (list->choices, i);
      DftQuestion   *sub = dft_question_new (DFT_QUESTION_GROUP, choice->value);
      LoopItem       item = { NULL, choice->label, choice->value };
      GHashTableIter iter;
      gpointer       k, v;

      sub->source_line = row->number;
      g_hash_table_iter_init (&iter, choice->label);
      while (g_hash_table_iter_next (&iter, &k, &v))
        dft_text_set (sub->label, k, v);
      dft_question_add_child (group, sub);
      if (!load_rows (l, first + 1, end, sub, &item))
        return FALSE;
    }
  return TRUE;
}

static gboolean
load_row (Loader *l, guint *index, guint last, DftQuestion *parent, const LoopItem *item)
{
  DftSheetRow     *row = g_ptr_array_index (l->survey->rows, *index);
  const char      *type = dft_sheet_row_get (row, (guint) l->survey_type);
  const char      *name = cell_of (l->survey_columns, row, COL_NAME);
  g_autofree char *generated = NULL;
  DftQuestion     *q = NULL;
  TypeInfo         t;
  gboolean         ok = TRUE;

  if (type == NULL)
    {
      /* A row with only a comment or a note to the author is not a question. */
      if (name == NULL && cell_of (l->survey_columns, row, COL_LABEL) == NULL)
        return TRUE;
      return row_error (l, DFT_FORM_ERROR_INVALID, "survey", row->number,
                        _ ("the question has no type."));
    }
  if (!parse_type (type, &t))
    {
      type_info_clear (&t);
      return row_error (l, DFT_FORM_ERROR_INVALID, "survey", row->number,
                        /* Translators: %s is what the "type" column holds */
                        _ ("“%s” is not a question type."), type);
    }

  if (t.klass == T_END_GROUP || t.klass == T_END_REPEAT || t.klass == T_END_LOOP)
    {
      /* Every end was matched with its begin; one left over closes nothing. */
      ok = row_error (l, DFT_FORM_ERROR_INVALID, "survey", row->number,
                      /* Translators: %s is what the "type" column holds: "end group" */
                      _ ("“%s” closes a group or repeat that was never begun."), type);
      goto out;
    }
  if (t.klass == T_SKIPPED)
    {
      dft_form_add_warning (l->form, row->number, name,
                            /* Translators: %u is a spreadsheet row, %s an XLSForm type */
                            _ ("Row %u of the survey sheet: Daftari does not record “%s”; the "
                               "row is left out."),
                            row->number, t.word);
      goto out;
    }

  /* pyxform names a note without a name after its row. */
  if (name == NULL && t.klass == T_QUESTION && t.type == DFT_QUESTION_NOTE)
    name = generated = g_strdup_printf ("generated_note_name_%u", row->number);
  if (name == NULL)
    {
      ok = row_error (l, DFT_FORM_ERROR_INVALID, "survey", row->number,
                      /* Translators: %s is what the "type" column holds */
                      _ ("the question or group (%s) has no name."), type);
      goto out;
    }

  switch (t.klass)
    {
    case T_BEGIN_GROUP:
    case T_BEGIN_REPEAT:
    case T_BEGIN_LOOP:
      {
        TypeClass end_class = t.klass == T_BEGIN_GROUP    ? T_END_GROUP
                              : t.klass == T_BEGIN_REPEAT ? T_END_REPEAT
                                                          : T_END_LOOP;
        guint     end = find_end (l, *index, last, t.klass, end_class);

        if (end == 0)
          {
            ok = row_error (l, DFT_FORM_ERROR_INVALID, "survey", row->number,
                            /* Translators: the first %s is what the "type" column holds ("begin
                               group"), the second a name */
                            _ ("“%s” “%s” is never ended."), type, name);
            goto out;
          }
        if (l->depth >= MAX_DEPTH)
          {
            ok = row_error (l, DFT_FORM_ERROR_INVALID, "survey", row->number,
                            _ ("groups are nested too deeply."));
            goto out;
          }
        q = dft_question_new (t.klass == T_BEGIN_REPEAT ? DFT_QUESTION_REPEAT : DFT_QUESTION_GROUP,
                              name);
        ok = fill_question (l, q, row, item, TRUE);
        if (q->appearance != NULL
            && (strstr (q->appearance, "field-list") != NULL
                || strstr (q->appearance, "table-list") != NULL))
          q->page = TRUE;
        if (ok && q->type == DFT_QUESTION_REPEAT && q->repeat_count != NULL
            && !is_single_reference (q->repeat_count))
          {
            /* As pyxform: a count that is not one question's answer is worked out by a
             * calculation of its own, "<repeat>_count", placed before the repeat. */
            DftQuestion *count = dft_question_new (DFT_QUESTION_CALCULATE, NULL);

            g_free (count->name);
            count->name = g_strdup_printf ("%s_count", name);
            count->calculate = g_steal_pointer (&q->repeat_count);
            count->read_only = g_strdup ("true()");
            count->source_line = row->number;
            q->repeat_count = g_strdup_printf ("${%s}", count->name);
            add_question (l, parent, count);
          }
        add_question (l, parent, q);
        l->depth++;
        if (ok && t.klass == T_BEGIN_LOOP)
          ok = load_loop (l, *index, end, q, t.list != NULL ? t.list : "");
        else if (ok)
          ok = load_rows (l, *index + 1, end, q, item);
        l->depth--;
        if (ok && q->appearance != NULL && strcmp (q->appearance, "table-list") == 0)
          expand_table_list (q, row->number);
        *index = end;
        goto out;
      }
    case T_METADATA:
      q = dft_question_new (DFT_QUESTION_METADATA, name);
      q->preload = g_strdup (t.word);
      break;
    case T_UNSUPPORTED:
      /* pyxform's select_one_external offers the list its external_choices sheet holds (as
       * itemsets.csv beside the XForm, which the XForm path reads the same). */
      if (g_strcmp0 (t.word, "select one external") == 0 && t.list != NULL
          && g_hash_table_contains (l->form->choice_lists, t.list))
        {
          q = dft_question_new (DFT_QUESTION_SELECT_ONE, name);
          q->choice_list = g_strdup (t.list);
          break;
        }
      /* "osm LIST": pyxform makes it an upload of an OpenStreetMap file, which the XForm path
       * reads as a file question; the tags of the list are not asked. */
      if (g_strcmp0 (t.word, "file") == 0)
        {
          q = dft_question_new (DFT_QUESTION_FILE, name);
          break;
        }
      /* Warned about below, once its appearance is known. */
      q = dft_question_new (DFT_QUESTION_UNSUPPORTED, name);
      q->unsupported_type = g_strdup (t.word);
      break;
    case T_SELECT_ONE_FILE:
    case T_SELECT_MULTIPLE_FILE:
      if (t.list == NULL
          || !(g_str_has_suffix (t.list, ".csv") || g_str_has_suffix (t.list, ".xml")))
        {
          q = dft_question_new (DFT_QUESTION_UNSUPPORTED, name);
          q->unsupported_type = g_strdup (
              t.klass == T_SELECT_ONE_FILE ? "select_one_from_file" : "select_multiple_from_file");
          dft_form_add_warning (l->form, row->number, name,
                                /* Translators: %u is a spreadsheet row, the first %s a question
                                   name, the second a file name */
                                _ ("Row %u of the survey sheet: the question “%s” takes its "
                                   "choices from “%s”, a kind of file Daftari cannot read; it is "
                                   "left out."),
                                row->number, name, t.list != NULL ? t.list : "");
          break;
        }
      if (!load_choices_file (l, t.list, row->number))
        {
          ok = FALSE;
          goto out;
        }
      q = dft_question_new (t.klass == T_SELECT_ONE_FILE ? DFT_QUESTION_SELECT_ONE
                                                         : DFT_QUESTION_SELECT_MULTIPLE,
                            name);
      q->choice_list = g_strdup (t.list);
      break;
    case T_SELECT_ONE:
    case T_SELECT_MULTIPLE:
    case T_RANK:
      if (!g_hash_table_contains (l->form->choice_lists, t.list))
        {
          ok = row_error (l, DFT_FORM_ERROR_INVALID, "survey", row->number,
                          /* Translators: the first %s is a question name, the second the name
                             of a list of choices */
                          _ ("the question “%s” offers the list of choices “%s”, which is not in "
                             "the choices sheet."),
                          name, t.list);
          goto out;
        }
      q = dft_question_new (t.klass == T_SELECT_ONE ? DFT_QUESTION_SELECT_ONE
                            : t.klass == T_RANK     ? DFT_QUESTION_RANK
                                                    : DFT_QUESTION_SELECT_MULTIPLE,
                            name);
      q->choice_list = g_strdup (t.list);
      break;
    case T_QUESTION:
    case T_SKIPPED:
    case T_END_GROUP:
    case T_END_REPEAT:
    case T_END_LOOP:
    default:
      q = dft_question_new (t.type, name);
      break;
    }

  ok = fill_question (l, q, row, item, !has_no_control (&t));
  if (ok)
    take_trigger (l, q, row);
  if (ok && q->type == DFT_QUESTION_RANGE)
    ok = take_range (l, row, q);
  if (ok && q->choice_list != NULL)
    take_randomize (l, row, q);
  if (has_no_control (&t) && q->type == DFT_QUESTION_UNSUPPORTED)
    g_clear_pointer (&q->required, g_free);
  /* A hidden value with a calculation or a fixed default is a calculation, as the XForm path
   * reads the bind and instance pyxform makes of it; without either it is data the form keeps,
   * as the XForm path reads a node with no control. */
  if (q->type == DFT_QUESTION_UNSUPPORTED && g_strcmp0 (q->unsupported_type, "hidden") == 0)
    {
      q->type = q->calculate != NULL || q->default_value != NULL ? DFT_QUESTION_CALCULATE
                                                                 : DFT_QUESTION_METADATA;
      g_clear_pointer (&q->unsupported_type, g_free);
      if (q->type == DFT_QUESTION_CALCULATE && q->calculate == NULL)
        q->calculate = xpath_literal (q->default_value);
      if (q->type == DFT_QUESTION_METADATA)
        g_clear_pointer (&q->required, g_free);
    }
  if (q->type == DFT_QUESTION_SELECT_ONE && q->appearance != NULL
      && strstr (q->appearance, "likert") != NULL)
    q->type = DFT_QUESTION_LIKERT;
  /* An "ex:" appearance hands the question to another Android app. */
  if (ok && q->appearance != NULL && g_str_has_prefix (q->appearance, "ex:")
      && q->type != DFT_QUESTION_GROUP && q->type != DFT_QUESTION_REPEAT)
    {
      q->type = DFT_QUESTION_UNSUPPORTED;
      g_free (q->unsupported_type);
      q->unsupported_type = g_strdup ("external app");
      dft_form_add_warning (l->form, row->number, name,
                            /* Translators: %u is a spreadsheet row, %s a question name */
                            _ ("Row %u of the survey sheet: the question “%s” is answered in "
                               "another app, which Daftari cannot start; it is left out."),
                            row->number, name);
    }
  else if (ok && q->type == DFT_QUESTION_UNSUPPORTED && t.klass == T_UNSUPPORTED)
    dft_form_add_warning (l->form, row->number, name,
                          /* Translators: %u is a spreadsheet row, the first %s a question
                             name, the second a question type as the sheet wrote it ("image",
                             "osm buildings") */
                          _ ("Row %u of the survey sheet: the question “%s” is of the type "
                             "“%s”, which Daftari cannot show; it is left out."),
                          row->number, name, type);
  if (ok && q->type == DFT_QUESTION_CALCULATE && q->calculate == NULL)
    ok = row_error (l, DFT_FORM_ERROR_INVALID, "survey", row->number,
                    /* Translators: %s is a question name; "calculation" is a column name */
                    _ ("the calculation “%s” has nothing in its “calculation” column."), name);
  add_question (l, parent, q);

  if (ok && t.or_other && q->choice_list != NULL)
    {
      g_autofree char *other_name = g_strdup_printf ("%s_other", name);
      DftQuestion     *other = dft_question_new (DFT_QUESTION_TEXT, other_name);

      add_other_choice (l, g_hash_table_lookup (l->form->choice_lists, q->choice_list));
      other->source_line = row->number;
      dft_text_set (other->label, l->form->default_language, "Specify other.");
      other->relevant = g_strdup_printf ("selected(${%s}, 'other')", name);
      add_question (l, parent, other);
    }

out:
  type_info_clear (&t);
  return ok;
}

static gboolean
load_rows (Loader *l, guint first, guint last, DftQuestion *parent, const LoopItem *item)
{
  for (guint r = first; r < last; r++)
    if (!load_row (l, &r, last, parent, item))
      return FALSE;
  return TRUE;
}

/* ---- Languages -------------------------------------------------------- */

typedef void (*TextFunc) (DftText *text, gpointer user_data);

static void
foreach_question_text (GPtrArray *questions, TextFunc func, gpointer user_data)
{
  for (guint i = 0; i < questions->len; i++)
    {
      DftQuestion *q = g_ptr_array_index (questions, i);

      func (q->label, user_data);
      func (q->hint, user_data);
      func (q->required_message, user_data);
      func (q->constraint_message, user_data);
      if (q->children != NULL)
        foreach_question_text (q->children, func, user_data);
    }
}

/* Every text of the form but its title. */
static void
foreach_text (DftForm *form, TextFunc func, gpointer user_data)
{
  GHashTableIter iter;
  gpointer       list;

  foreach_question_text (form->questions, func, user_data);
  g_hash_table_iter_init (&iter, form->choice_lists);
  while (g_hash_table_iter_next (&iter, NULL, &list))
    for (guint i = 0; i < ((DftChoiceList *) list)->choices->len; i++)
      func (((DftChoice *) g_ptr_array_index (((DftChoiceList *) list)->choices, i))->label,
            user_data);
}

static void
note_languages (DftText *text, gpointer user_data)
{
  GHashTableIter iter;
  gpointer       code, value;

  if (text == NULL)
    return;
  g_hash_table_iter_init (&iter, text);
  while (g_hash_table_iter_next (&iter, &code, &value))
    if (*(const char *) value != '\0')
      g_hash_table_add (user_data, code);
}

/* Moves a text from one language to another: @user_data is { from, to }. */
static void
move_language (DftText *text, gpointer user_data)
{
  const char *const *codes = user_data;
  g_autofree char   *key = NULL;
  g_autofree char   *value = NULL;

  if (text == NULL || g_str_equal (codes[0], codes[1])
      || !g_hash_table_steal_extended (text, codes[0], (gpointer *) &key, (gpointer *) &value))
    return;
  if (!g_hash_table_contains (text, codes[1]))
    g_hash_table_insert (text, g_strdup (codes[1]), g_steal_pointer (&value));
}

/*
 * As the XForm pyxform makes of the sheet: a language is a translation only when it has a text
 * (a column with a header and nothing in it, or a default_language nothing is written in, is
 * none), and a form whose texts are all in columns that name no language has no translations
 * at all, whatever default_language says. A default language without texts gives way to the
 * first language that has some, as ODK takes the first translation when none is the default.
 */
static void
settle_languages (Loader *l)
{
  DftForm               *form = l->form;
  g_autoptr (GHashTable) used = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char       *old_default = g_strdup (form->default_language);
  const char            *codes[2] = { old_default, NULL };

  if (!l->named_texts)
    {
      codes[1] = "und";
      foreach_text (form, move_language, codes);
      move_language (form->title, codes);
      g_ptr_array_set_size (form->languages, 0);
      dft_form_add_language (form, "und", NULL);
      g_free (form->default_language);
      form->default_language = g_strdup ("und");
      return;
    }

  /* Daftari's own title columns (form_title_translation::) keep their languages; the title
   * in the default language is the settings' form_title, not a translation. */
  note_languages (form->title, used);
  g_hash_table_remove (used, old_default);
  foreach_text (form, note_languages, used);
  for (guint i = form->languages->len; i-- > 0;)
    if (!g_hash_table_contains (used,
                                ((DftLanguage *) g_ptr_array_index (form->languages, i))->code))
      g_ptr_array_remove_index (form->languages, i);
  if (form->languages->len == 0)
    dft_form_add_language (form, "und", NULL);
  for (guint i = 0; i < form->languages->len; i++)
    if (g_str_equal (((DftLanguage *) g_ptr_array_index (form->languages, i))->code, old_default))
      return;
  g_free (form->default_language);
  form->default_language
      = g_strdup (((DftLanguage *) g_ptr_array_index (form->languages, 0))->code);
  codes[1] = form->default_language;
  move_language (form->title, codes);
}

/* ---- Settings --------------------------------------------------------- */

typedef struct
{
  const char *title, *id, *version, *root_name, *default_language, *pass_mark, *kind;
  /* The title in other languages: the language as written ("Русский (ru)"), then the title,
   * both borrowed from the sheet. */
  GPtrArray *titles;
  guint      row;
} Settings;

/* The language of a column holding the title in one, "form_title_translation::Русский (ru)",
 * as written; NULL for other columns. The column is Daftari's: pyxform leaves settings it does
 * not know alone, while "form_title::…" would make its title a table of languages. */
static const char *
title_translation_language (const char *header)
{
  static const char prefix[] = "form_title_translation:";

  if (g_ascii_strncasecmp (header, prefix, strlen (prefix)) != 0)
    return NULL;
  header += strlen (prefix);
  return header[0] == ':' ? header + 1 : header;
}

static void
read_settings (XSheet *sheet, Settings *s)
{
  DftSheetRow *header, *row;

  memset (s, 0, sizeof *s);
  s->titles = g_ptr_array_new ();
  if (sheet == NULL || sheet->rows->len < 2)
    return;
  header = g_ptr_array_index (sheet->rows, 0);
  row = g_ptr_array_index (sheet->rows, 1);
  s->row = row->number;
  for (guint c = 0; c < header->n_cells && c < row->n_cells; c++)
    {
      const char      *value = row->cells[c];
      const char      *language;
      g_autofree char *key = NULL;

      if (header->cells[c] == NULL || value == NULL)
        continue;
      key = g_ascii_strdown (header->cells[c], -1);
      language = title_translation_language (header->cells[c]);
      if (language != NULL)
        {
          g_ptr_array_add (s->titles, (gpointer) language);
          g_ptr_array_add (s->titles, (gpointer) value);
        }
      else if (strcmp (key, "form_title") == 0 || strcmp (key, "set form title") == 0)
        s->title = value;
      else if (strcmp (key, "form_id") == 0 || strcmp (key, "set form id") == 0
               || strcmp (key, "id_string") == 0)
        s->id = value;
      else if (strcmp (key, "version") == 0)
        s->version = value;
      else if (strcmp (key, "name") == 0)
        s->root_name = value;
      else if (strcmp (key, "default_language") == 0)
        s->default_language = value;
      else if (strcmp (key, "pass_mark") == 0)
        s->pass_mark = value;
      else if (strcmp (key, "kind") == 0)
        s->kind = value;
    }
}

static gboolean
is_xml_name (const char *name)
{
  if (name == NULL || !(g_ascii_isalpha (name[0]) || name[0] == '_'))
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!(g_ascii_isalnum (*p) || *p == '_' || *p == '-' || *p == '.'))
      return FALSE;
  return TRUE;
}

/* ---- Entry points ----------------------------------------------------- */

static DftForm *
load_sheets (
    GPtrArray *sheets, const char *file_name, const char *dir, gboolean markdown, GError **error)
{
  g_autofree char      *stem = NULL;
  g_autoptr (DftForm)   form = NULL;
  XSheet               *survey = find_xsheet (sheets, "survey");
  XSheet               *choices = find_xsheet (sheets, "choices");
  Settings              settings;
  Loader                l = { 0 };
  DftSheetRow          *header;
  const char           *dot;
  gboolean              ok;
  g_autoptr (GPtrArray) titles = NULL;

  if (survey == NULL)
    {
      g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE,
                   /* Translators: %s is a file name */
                   _ ("“%s” is not an XLSForm: it has no “survey” sheet."), file_name);
      return NULL;
    }
  if (survey->rows->len == 0)
    {
      g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                   /* Translators: %s is a file name */
                   _ ("The survey sheet of “%s” is empty."), file_name);
      return NULL;
    }
  read_settings (find_xsheet (sheets, "settings"), &settings);
  titles = settings.titles;

  dot = strrchr (file_name, '.');
  stem = dot != NULL && dot != file_name ? g_strndup (file_name, (gsize) (dot - file_name))
                                         : g_strdup (file_name);
  form = dft_form_new (settings.id != NULL ? settings.id : stem);
  g_free (form->root_name);
  form->root_name = g_strdup (settings.root_name != NULL ? settings.root_name
                              : is_xml_name (stem)       ? stem
                                                         : "data");
  form->version = g_strdup (settings.version);
  if (settings.kind != NULL)
    {
      g_free (form->kind);
      form->kind = g_ascii_strdown (settings.kind, -1);
    }
  if (settings.pass_mark != NULL)
    {
      g_autofree char *mark = g_strstrip (g_strdup (settings.pass_mark));
      char            *end = NULL;

      if (g_str_has_suffix (mark, "%"))
        mark[strlen (mark) - 1] = '\0';
      form->pass_percent = g_ascii_strtod (mark, &end);
      if (end == mark || *end != '\0' || form->pass_percent < 0 || form->pass_percent > 100)
        {
          g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                       /* Translators: %u is a spreadsheet row, %s what the pass_mark holds */
                       _ ("Row %u of the settings sheet: the pass mark “%s” is not a percentage "
                          "from 0 to 100."),
                       settings.row, settings.pass_mark);
          return NULL;
        }
    }

  l.form = form;
  l.dir = dir;
  l.stem = stem;
  l.markdown = markdown;
  l.plain_pos = -1;
  l.plain_lang = dft_language_code_from_name (settings.default_language);
  l.survey = survey;

  header = g_ptr_array_index (survey->rows, 0);
  l.survey_columns = read_columns (&l, survey, header, FALSE);
  ok = l.survey_columns != NULL;
  l.survey_type = -1;
  for (guint c = 0; ok && c < l.survey_columns->len; c++)
    if (((Column *) g_ptr_array_index (l.survey_columns, c))->kind == COL_TYPE)
      l.survey_type = (int) c;
  if (ok && l.survey_type < 0)
    ok = row_error (&l, DFT_FORM_ERROR_INVALID, "survey", header->number,
                    _ ("there is no “type” column."));
  ok = ok && load_choices (&l, choices);
  ok = ok && load_choices (&l, find_xsheet (sheets, "external_choices"));
  if (ok && l.plain_pos >= 0 && form->languages->len > 0)
    {
      dft_form_add_language (form, "und", NULL);
      g_ptr_array_insert (form->languages, l.plain_pos,
                          g_ptr_array_steal_index (form->languages, form->languages->len - 1));
    }

  if (ok)
    {
      g_free (form->default_language);
      /* As pyxform: the plain columns are the default translation when there are any. */
      if (settings.default_language != NULL || form->languages->len == 0 || l.plain_pos >= 0)
        form->default_language = g_strdup (l.plain_lang);
      else
        form->default_language
            = g_strdup (((DftLanguage *) g_ptr_array_index (form->languages, 0))->code);
      /* The title in other languages, then in the default one; the form's key when none. */
      for (guint i = 0; i + 1 < titles->len; i += 2)
        {
          g_autofree char *code = dft_language_code_from_name (titles->pdata[i]);
          g_autofree char *text = cell_text (&l, titles->pdata[i + 1]);

          dft_form_add_language (form, code, titles->pdata[i]);
          dft_text_set (form->title, code, text);
        }
      if (settings.title != NULL)
        {
          g_autofree char *text = cell_text (&l, settings.title);

          dft_text_set (form->title, form->default_language, text);
        }
      else if (g_hash_table_size (form->title) == 0)
        dft_text_set (form->title, form->default_language, form->id);
      ok = load_rows (&l, 1, survey->rows->len, NULL, NULL);
    }
  if (ok)
    settle_languages (&l);

  g_clear_pointer (&l.survey_columns, g_ptr_array_unref);
  g_free (l.plain_lang);
  if (!ok)
    {
      g_propagate_error (error, l.error);
      return NULL;
    }
  return g_steal_pointer (&form);
}

DftForm *
dft_xlsform_load_data (
    const char *name, const char *dir, const char *data, gsize len, GError **error)
{
  g_autoptr (GPtrArray) sheets = NULL;
  g_autofree char      *lower = NULL;
  gboolean              markdown = FALSE;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  lower = g_ascii_strdown (name, -1);
  if (g_str_has_suffix (lower, ".md") && dft_workbook_sniff (data, len) == DFT_WORKBOOK_CSV)
    {
      g_autofree char *text = g_strndup (data, len);

      if (strlen (text) != len || !g_utf8_validate (text, -1, NULL))
        {
          g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE,
                       /* Translators: %s is a file name */
                       _ ("“%s” is not text in UTF-8, so it cannot be a markdown XLSForm."), name);
          return NULL;
        }
      sheets = sheets_from_markdown (text);
      markdown = TRUE;
    }
  else
    {
      g_autoptr (GError)      local = NULL;
      g_autoptr (DftWorkbook) wb
          = dft_workbook_new_from_data (name, data, len, MAX_ROWS, MAX_COLUMNS, &local);

      if (wb == NULL)
        {
          g_set_error_literal (error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE, local->message);
          return NULL;
        }
      if (dft_workbook_get_kind (wb) == DFT_WORKBOOK_CSV)
        {
          const DftSheet *csv = dft_workbook_read_sheet (wb, 0, &local);

          g_assert (csv != NULL);
          sheets = sheets_from_flat_csv (csv);
        }
      else
        {
          static const char *const wanted[] = { "survey", "choices", "settings" };

          sheets = g_ptr_array_new_with_free_func (xsheet_free);
          for (guint w = 0; w < G_N_ELEMENTS (wanted); w++)
            {
              int             index = dft_workbook_find_sheet (wb, wanted[w]);
              const DftSheet *sheet;
              XSheet         *x;

              /* pyxform reads a workbook whose only sheet has another name as the survey. */
              if (index < 0 && w == 0 && dft_workbook_get_n_sheets (wb) == 1)
                index = 0;
              if (index < 0)
                continue;
              sheet = dft_workbook_read_sheet (wb, (guint) index, &local);
              if (sheet == NULL)
                {
                  g_set_error_literal (error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE, local->message);
                  return NULL;
                }
              x = xsheet_new (wanted[w]);
              for (guint r = 0; r < sheet->rows->len; r++)
                {
                  DftSheetRow *row = g_ptr_array_index (sheet->rows, r);
                  DftSheetRow *copy = row_new (row->number, row->cells, row->n_cells, 0);

                  if (copy != NULL)
                    g_ptr_array_add (x->rows, copy);
                }
              g_ptr_array_add (sheets, x);
            }
        }
    }
  return load_sheets (sheets, name, dir, markdown, error);
}

DftForm *
dft_xlsform_load_file (const char *path, GError **error)
{
  g_autofree char   *data = NULL;
  g_autofree char   *name = NULL;
  g_autofree char   *dir = NULL;
  g_autoptr (GError) local = NULL;
  GStatBuf           st;
  gsize              len = 0;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  name = g_path_get_basename (path);
  if (g_stat (path, &st) == 0 && S_ISREG (st.st_mode) && st.st_size > MAX_FILE_BYTES)
    {
      g_autofree char *shown = g_filename_display_basename (path);

      g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE,
                   /* Translators: %s is a file name */
                   _ ("“%s” is too large to be a form."), shown);
      return NULL;
    }
  if (!g_file_get_contents (path, &data, &len, &local))
    {
      g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE,
                   /* Translators: %s is the system's reason, already naming the file */
                   _ ("The form cannot be read: %s"), local->message);
      return NULL;
    }
  dir = g_path_get_dirname (path);
  return dft_xlsform_load_data (name, dir, data, len, error);
}
