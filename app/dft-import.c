/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "dft-country.h"
#include "dft-import.h"
#include "dft-people.h"
#include "dft-search.h"
#include "dft-sheet.h"
#include "dft-store.h"

/*
 * Importing a sign-up sheet happens in two steps. Reading (CSV, .xlsx or
 * .xls, through dft-sheet.h) turns the file into rows of trimmed text and
 * guesses which column holds which field; nothing is written. Running converts and checks every
 * row, and only when all of them are right saves all people and enrollments in a single
 * dft_store_save_all() transaction: a sheet is imported whole or not at all,
 * so a coordinator never has to work out which half of a list got in.
 */

/* A sign-up sheet of 100,000 rows is far below this; a bigger file is not a sign-up sheet. */
#define MAX_FILE_BYTES ((goffset) 100 * 1024 * 1024)
/* Sign-up sheets often have a title line or two above the column headers. */
#define HEADER_SEARCH_ROWS 10

/* The quark's name is a string: the formatter would put spaces in it. */
/* clang-format off */
G_DEFINE_QUARK (dft-import-error-quark, dft_import_error)
/* clang-format on */

/* Rows as dft-sheet.h reads them; the header is usually row 1. */
typedef DftSheetRow Row;

struct _DftImport
{
  GObject parent_instance;

  Row         *header;
  GPtrArray   *rows; /* Row*: the rows below the header that are not empty */
  guint        n_columns;
  const char **mapping;   /* per column, a field name owned by the schema, or NULL */
  gboolean     from_xlsx; /* a number in a date column is then an Excel serial date */
  gboolean     date1904;
};

G_DEFINE_FINAL_TYPE (DftImport, dft_import, G_TYPE_OBJECT)

static void
row_free (gpointer data)
{
  Row *row = data;

  if (row == NULL)
    return;
  for (guint i = 0; i < row->n_cells; i++)
    g_free (row->cells[i]);
  g_free (row->cells);
  g_free (row);
}

static const char *
row_cell (const Row *row, guint column)
{
  return column < row->n_cells ? row->cells[column] : NULL;
}

static void
dft_import_finalize (GObject *object)
{
  DftImport *self = DFT_IMPORT (object);

  row_free (self->header);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_free (self->mapping);

  G_OBJECT_CLASS (dft_import_parent_class)->finalize (object);
}

static void
dft_import_class_init (DftImportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dft_import_finalize;
}

static void
dft_import_init (DftImport *self)
{
}

/* ---- Text helpers ----------------------------------------------------- */

/*
 * The text of a cell as Daftari keeps it: without surrounding white space,
 * with line breaks as "\n", and NULL when nothing is left. Everything else,
 * names in any script included, is kept byte for byte. @text is valid UTF-8.
 */
/* Lower-cased, compatibility-normalised text for comparing values with our word lists. */
static char *
value_key (const char *text)
{
  return dft_search_fold_words (text);
}

static gboolean
is_key_char (gunichar c)
{
  /* Modifier letters are left out so that "Імʼя" (U+02BC) meets "Ім'я". */
  return (g_unichar_isalnum (c) && g_unichar_type (c) != G_UNICODE_MODIFIER_LETTER)
         || g_unichar_ismark (c);
}

/*
 * A column header reduced to its letters and digits, lower-cased: "E-mail",
 * "Email " and "EMAIL:" all become "email". Text in brackets, such as
 * "Phone (with country code)", is left out unless it is all there is.
 */
static char *
header_key (const char *text)
{
  g_autofree char    *nfkc = NULL;
  g_autofree char    *folded = NULL;
  g_autoptr (GString) all = NULL;
  GString            *outside;
  int                 depth = 0;

  if (text == NULL)
    return g_strdup ("");
  nfkc = g_utf8_normalize (text, -1, G_NORMALIZE_NFKC);
  if (nfkc == NULL)
    return g_strdup ("");
  folded = g_utf8_casefold (nfkc, -1);
  all = g_string_new (NULL);
  outside = g_string_new (NULL);
  for (const char *p = folded; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '(' || c == '[' || c == '{')
        depth++;
      else if (c == ')' || c == ']' || c == '}')
        depth = MAX (depth - 1, 0);
      else if (is_key_char (c))
        {
          g_string_append_unichar (all, c);
          if (depth == 0)
            g_string_append_unichar (outside, c);
        }
    }
  if (outside->len == 0)
    {
      g_string_free (outside, TRUE);
      return g_strdup (all->str);
    }
  return g_string_free (outside, FALSE);
}

typedef struct
{
  const char *field;
  const char *header;
} Synonym;

/*
 * Column headers people write on sign-up sheets, in the languages of the
 * workshops. They are compared after header_key(), so case, spaces and
 * punctuation do not matter. A single name column ("Name", "Full name",
 * "ФИО", "Jina") goes whole into the given name: Daftari does not split it,
 * because the order differs ("ФИО" puts the family name first) and a wrong
 * split would quietly swap people's names; the search finds a person by any
 * word of either field, so nothing is lost by keeping the name whole.
 */
static const Synonym synonyms[] = {
  { "given_name", "First name" },
  { "given_name", "Given name" },
  { "given_name", "Given names" },
  { "given_name", "Forename" },
  { "given_name", "Name" },
  { "given_name", "Full name" },
  { "given_name", "Name and surname" },
  { "given_name", "Participant" },
  { "given_name", "Participant name" },
  { "given_name", "Name of participant" },
  { "given_name", "Имя" },
  { "given_name", "ФИО" },
  { "given_name", "Фамилия, имя, отчество" },
  { "given_name", "Фамилия и имя" },
  { "given_name", "Имя и фамилия" },
  { "given_name", "Полное имя" },
  { "given_name", "Ім'я" },
  { "given_name", "ПІБ" },
  { "given_name", "Прізвище, ім'я, по батькові" },
  { "given_name", "Аты" },
  { "given_name", "Аты-жөнү" },
  { "given_name", "Jina" },
  { "given_name", "Jina la kwanza" },
  { "given_name", "Jina kamili" },
  { "given_name", "სახელი" },
  { "given_name", "სახელი და გვარი" },
  { "given_name", "نام" },

  { "family_name", "Last name" },
  { "family_name", "Surname" },
  { "family_name", "Family name" },
  { "family_name", "Фамилия" },
  { "family_name", "Прізвище" },
  { "family_name", "Фамилиясы" },
  { "family_name", "Jina la ukoo" },
  { "family_name", "Jina la familia" },
  { "family_name", "გვარი" },

  { "gender", "Gender" },
  { "gender", "Sex" },
  { "gender", "M/F" },
  { "gender", "Пол" },
  { "gender", "Стать" },
  { "gender", "Жынысы" },
  { "gender", "Jinsia" },
  { "gender", "სქესი" },

  { "agency", "Agency" },
  { "agency", "Organisation" },
  { "agency", "Organization" },
  { "agency", "Organisation/Organization" },
  { "agency", "Agency/Organisation" },
  { "agency", "Agency/Organization" },
  { "agency", "Institution" },
  { "agency", "Department" },
  { "agency", "Ministry" },
  { "agency", "Employer" },
  { "agency", "Name of agency" },
  { "agency", "Agency name" },
  { "agency", "Organisation name" },
  { "agency", "Organization name" },
  { "agency", "Ведомство" },
  { "agency", "Организация" },
  { "agency", "Учреждение" },
  { "agency", "Место работы" },
  { "agency", "Відомство" },
  { "agency", "Організація" },
  { "agency", "Установа" },
  { "agency", "Місце роботи" },
  { "agency", "Мекеме" },
  { "agency", "Taasisi" },
  { "agency", "Shirika" },
  { "agency", "ორგანიზაცია" },
  { "agency", "უწყება" },

  { "position", "Position" },
  { "position", "Rank" },
  { "position", "Position/Rank" },
  { "position", "Rank/Position" },
  { "position", "Job title" },
  { "position", "Designation" },
  { "position", "Post" },
  { "position", "Должность" },
  { "position", "Звание" },
  { "position", "Должность, звание" },
  { "position", "Посада" },
  { "position", "Звання" },
  { "position", "Кызматы" },
  { "position", "Cheo" },
  { "position", "Wadhifa" },
  { "position", "თანამდებობა" },
  { "position", "წოდება" },

  { "country", "Country" },
  { "country", "Страна" },
  { "country", "Країна" },
  { "country", "Өлкө" },
  { "country", "Nchi" },
  { "country", "ქვეყანა" },

  { "email", "Email" },
  { "email", "Email address" },
  { "email", "Mail" },
  { "email", "Email ID" },
  { "email", "Official email" },
  { "email", "Work email" },
  { "email", "Эл. почта" },
  { "email", "Электронная почта" },
  { "email", "Е-mail" }, /* with a Cyrillic Е, as a Russian keyboard types it */
  { "email", "Електронна пошта" },
  { "email", "Ел. пошта" },
  { "email", "Электрондук почта" },
  { "email", "Barua pepe" },
  { "email", "ელ. ფოსტა" },

  { "phone", "Phone" },
  { "phone", "Phone number" },
  { "phone", "Telephone" },
  { "phone", "Tel" },
  { "phone", "Tel no" },
  { "phone", "Phone no" },
  { "phone", "Telephone number" },
  { "phone", "Mobile no" },
  { "phone", "Mobile" },
  { "phone", "Mobile number" },
  { "phone", "Mobile phone" },
  { "phone", "Cell phone" },
  { "phone", "Contact number" },
  { "phone", "Телефон" },
  { "phone", "Тел" },
  { "phone", "Номер телефона" },
  { "phone", "Мобильный телефон" },
  { "phone", "Моб. телефон" },
  { "phone", "Номер телефону" },
  { "phone", "Simu" },
  { "phone", "Namba ya simu" },
  { "phone", "Nambari ya simu" },
  { "phone", "ტელეფონი" },

  { "consent", "Consent" },
  { "consent", "Consent given" },
  { "consent", "Consent to data processing" },
  { "consent", "Согласие" },
  { "consent", "Согласие на обработку персональных данных" },
  { "consent", "Згода" },
  { "consent", "Ridhaa" },
  { "consent", "თანხმობა" },

  { "consent_date", "Consent date" },
  { "consent_date", "Date of consent" },
  { "consent_date", "Дата согласия" },
  { "consent_date", "Дата згоди" },
  { "consent_date", "Tarehe ya ridhaa" },
  { "consent_date", "თანხმობის თარიღი" },
};

static const char *
schema_field_name (const char *field)
{
  int index;

  if (field == NULL)
    return NULL;
  index = dft_entity_field_index (&dft_entity_person, field);
  return index >= 0 ? dft_entity_person.fields[index].name : NULL;
}

static const char *
guess_field (const char *header)
{
  g_autofree char *key = header_key (header);

  if (key[0] == '\0')
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (synonyms); i++)
    {
      g_autofree char *candidate = header_key (synonyms[i].header);

      if (strcmp (candidate, key) == 0)
        return schema_field_name (synonyms[i].field);
    }
  return NULL;
}

static gboolean
row_has_name_header (const Row *row)
{
  for (guint i = 0; i < row->n_cells; i++)
    if (row->cells[i] != NULL && g_strcmp0 (guess_field (row->cells[i]), "given_name") == 0)
      return TRUE;
  return FALSE;
}

/*
 * The header is the first row, unless one of the first few rows names a name
 * column: sheets often carry the workshop's title above the headers.
 */
static DftImport *
import_from_sheet (DftWorkbook *workbook, const DftSheet *sheet, const char *name, GError **error)
{
  g_autoptr (DftImport) self = NULL;
  guint                 header_index = 0;

  if (sheet->rows->len == 0)
    {
      g_set_error (error, DFT_IMPORT_ERROR, DFT_IMPORT_ERROR_EMPTY,
                   /* Translators: %s is a file name */
                   _ ("“%s” is empty."), name);
      return NULL;
    }
  for (guint i = 0; i < MIN (sheet->rows->len, HEADER_SEARCH_ROWS); i++)
    if (row_has_name_header (g_ptr_array_index (sheet->rows, i)))
      {
        header_index = i;
        break;
      }
  if (header_index + 1 >= sheet->rows->len)
    {
      g_set_error (error, DFT_IMPORT_ERROR, DFT_IMPORT_ERROR_EMPTY,
                   /* Translators: %s is a file name */
                   _ ("“%s” has column headers but no participants below them."), name);
      return NULL;
    }

  self = g_object_new (DFT_TYPE_IMPORT, NULL);
  self->from_xlsx = dft_workbook_get_kind (workbook) != DFT_WORKBOOK_CSV;
  self->date1904 = dft_workbook_get_date1904 (workbook);
  /* The workbook is thrown away next: its rows are taken rather than copied. */
  self->header = g_steal_pointer (&sheet->rows->pdata[header_index]);
  self->rows = g_ptr_array_new_full (sheet->rows->len - header_index - 1, row_free);
  for (guint i = header_index + 1; i < sheet->rows->len; i++)
    g_ptr_array_add (self->rows, g_steal_pointer (&sheet->rows->pdata[i]));

  self->n_columns = self->header->n_cells;
  for (guint i = 0; i < self->rows->len; i++)
    self->n_columns = MAX (self->n_columns, ((Row *) g_ptr_array_index (self->rows, i))->n_cells);

  /* Each field goes to the first column that names it; a second one is left for the user. */
  self->mapping = g_new0 (const char *, MAX (self->n_columns, 1));
  for (guint c = 0; c < self->n_columns; c++)
    {
      const char *field = guess_field (row_cell (self->header, c));
      gboolean    taken = FALSE;

      for (guint k = 0; field != NULL && k < c; k++)
        taken |= self->mapping[k] == field;
      if (!taken)
        self->mapping[c] = field;
    }
  return g_steal_pointer (&self);
}

/* ---- Reading a file --------------------------------------------------- */

/* The reader's errors in the import's domain, with the same message. */
static void
set_sheet_error (GError **error, const GError *sheet_error, const char *name)
{
  DftImportError code = DFT_IMPORT_ERROR_FORMAT;

  if (sheet_error == NULL)
    {
      g_set_error (error, DFT_IMPORT_ERROR, DFT_IMPORT_ERROR_EMPTY,
                   /* Translators: %s is a file name */
                   _ ("“%s” has no worksheet to import."), name);
      return;
    }
  switch ((DftSheetError) sheet_error->code)
    {
    case DFT_SHEET_ERROR_ENCODING:
      code = DFT_IMPORT_ERROR_ENCODING;
      break;
    case DFT_SHEET_ERROR_EMPTY:
      code = DFT_IMPORT_ERROR_EMPTY;
      break;
    case DFT_SHEET_ERROR_TOO_LARGE:
      code = DFT_IMPORT_ERROR_TOO_LARGE;
      break;
    case DFT_SHEET_ERROR_FORMAT:
    default:
      break;
    }
  g_set_error_literal (error, DFT_IMPORT_ERROR, (int) code, sheet_error->message);
}

/**
 * dft_import_new_from_file:
 * @path: a CSV (comma, semicolon or tab separated), .xlsx or .xls file
 * @error: return location for a #DFT_IMPORT_ERROR
 *
 * Reads a sign-up sheet and guesses the mapping of its columns. The kind of
 * file is taken from its content, not its name: a .csv that is really an
 * Excel workbook is read as one. Nothing is written anywhere.
 *
 * Returns: (transfer full): the sheet, or %NULL with @error set
 */
DftImport *
dft_import_new_from_file (const char *path, GError **error)
{
  g_autoptr (GError)      local_error = NULL;
  g_autofree char        *name = NULL;
  g_autofree char        *data = NULL;
  g_autoptr (DftWorkbook) workbook = NULL;
  const DftSheet         *sheet;
  GStatBuf                st;
  gsize                   len = 0;
  int                     index;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  name = g_filename_display_basename (path);

  if (g_stat (path, &st) == 0 && S_ISREG (st.st_mode) && st.st_size > MAX_FILE_BYTES)
    {
      g_set_error (error, DFT_IMPORT_ERROR, DFT_IMPORT_ERROR_TOO_LARGE,
                   /* Translators: %s is a file name */
                   _ ("“%s” is too large to be a sign-up sheet (more than 100 MB)."), name);
      return NULL;
    }
  /* Read once, whole: the file cannot change between telling its kind and parsing it. */
  if (!g_file_get_contents (path, &data, &len, &local_error))
    {
      g_set_error (error, DFT_IMPORT_ERROR, DFT_IMPORT_ERROR_UNREADABLE,
                   /* Translators: %s is the system's reason, already naming the file */
                   _ ("The sheet cannot be read: %s"), local_error->message);
      return NULL;
    }
  if (len == 0)
    {
      g_set_error (error, DFT_IMPORT_ERROR, DFT_IMPORT_ERROR_EMPTY,
                   /* Translators: %s is a file name */
                   _ ("“%s” is empty."), name);
      return NULL;
    }

  /* One more row than the limit, for the header. */
  workbook = dft_workbook_new_from_data (name, data, len, DFT_IMPORT_MAX_ROWS,
                                         DFT_IMPORT_MAX_COLUMNS, &local_error);
  index = workbook != NULL ? dft_workbook_get_first_visible (workbook) : -1;
  /* People hide lookup tables; the sign-up list is the first sheet they can see. */
  sheet = index >= 0 ? dft_workbook_read_sheet (workbook, (guint) index, &local_error) : NULL;
  if (sheet == NULL)
    {
      set_sheet_error (error, local_error, name);
      return NULL;
    }
  return import_from_sheet (workbook, sheet, name, error);
}

static void
new_from_file_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError    *error = NULL;
  DftImport *import = dft_import_new_from_file (task_data, &error);

  if (import == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, import, g_object_unref);
}

void
dft_import_new_from_file_async (const char         *path,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (path != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, dft_import_new_from_file_async);
  g_task_set_task_data (task, g_strdup (path), g_free);
  /* The type and libxml2 are set up here, in the caller's thread, before any worker uses them. */
  g_type_ensure (DFT_TYPE_IMPORT);
  g_task_run_in_thread (task, new_from_file_thread);
}

DftImport *
dft_import_new_from_file_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- Accessors -------------------------------------------------------- */

const char *const *
dft_import_list_fields (void)
{
  static const char **fields = NULL;

  if (g_once_init_enter (&fields))
    {
      const char **list = g_new0 (const char *, dft_entity_person.n_fields + 1);

      for (guint i = 0; i < dft_entity_person.n_fields; i++)
        list[i] = dft_entity_person.fields[i].name;
      g_once_init_leave (&fields, list);
    }
  return fields;
}

guint
dft_import_get_n_columns (DftImport *self)
{
  g_return_val_if_fail (DFT_IS_IMPORT (self), 0);
  return self->n_columns;
}

/* Rows below the header that are not empty; empty rows are skipped, not counted. */
guint
dft_import_get_n_rows (DftImport *self)
{
  g_return_val_if_fail (DFT_IS_IMPORT (self), 0);
  return self->rows->len;
}

guint
dft_import_get_header_row_number (DftImport *self)
{
  g_return_val_if_fail (DFT_IS_IMPORT (self), 0);
  return self->header->number;
}

/* The number the spreadsheet shows for @row (the header being row 1 in most sheets). */
guint
dft_import_get_row_number (DftImport *self, guint row)
{
  g_return_val_if_fail (DFT_IS_IMPORT (self), 0);
  g_return_val_if_fail (row < self->rows->len, 0);
  return ((Row *) g_ptr_array_index (self->rows, row))->number;
}

/* Returns: the header of @column, "" when it has none. */
const char *
dft_import_get_header (DftImport *self, guint column)
{
  const char *text;

  g_return_val_if_fail (DFT_IS_IMPORT (self), NULL);
  g_return_val_if_fail (column < self->n_columns, NULL);
  text = row_cell (self->header, column);
  return text != NULL ? text : "";
}

/* Returns: the trimmed text of a cell, "" when it is empty. */
const char *
dft_import_get_cell (DftImport *self, guint row, guint column)
{
  const char *text;

  g_return_val_if_fail (DFT_IS_IMPORT (self), NULL);
  g_return_val_if_fail (row < self->rows->len, NULL);
  g_return_val_if_fail (column < self->n_columns, NULL);
  text = row_cell (g_ptr_array_index (self->rows, row), column);
  return text != NULL ? text : "";
}

/* Returns: the person field @column is imported into, such as "given_name", or %NULL. */
const char *
dft_import_get_mapping (DftImport *self, guint column)
{
  g_return_val_if_fail (DFT_IS_IMPORT (self), NULL);
  g_return_val_if_fail (column < self->n_columns, NULL);
  return self->mapping[column];
}

/**
 * dft_import_set_mapping:
 * @field: (nullable): a field of dft_import_list_fields(), or %NULL (or "") to ignore the column
 *
 * Chooses what @column is imported into. A field goes into one column only:
 * the column that had it before is ignored from now on.
 */
gboolean
dft_import_set_mapping (DftImport *self, guint column, const char *field, GError **error)
{
  const char *name = NULL;

  g_return_val_if_fail (DFT_IS_IMPORT (self), FALSE);
  g_return_val_if_fail (column < self->n_columns, FALSE);

  if (field != NULL && field[0] != '\0')
    {
      name = schema_field_name (field);
      if (name == NULL)
        {
          g_set_error (error, DFT_IMPORT_ERROR, DFT_IMPORT_ERROR_UNKNOWN_FIELD,
                       /* Translators: %s is a name a program gave, such as "birthday" */
                       _ ("People have no field “%s” to import a column into."), field);
          return FALSE;
        }
      for (guint c = 0; c < self->n_columns; c++)
        if (self->mapping[c] == name)
          self->mapping[c] = NULL;
    }
  self->mapping[column] = name;
  return TRUE;
}

/* ---- Values ----------------------------------------------------------- */

typedef struct
{
  const char *word;
  const char *value;
} Word;

/* Compared after value_key(): lower case, no dot at the end. */
static const Word gender_words[] = {
  { "female", "female" },
  { "f", "female" },
  { "woman", "female" },
  { "w", "female" },
  { "fem", "female" },
  { "ж", "female" },
  { "жен", "female" },
  { "женский", "female" },
  { "женщина", "female" },
  { "жін", "female" },
  { "жіноча", "female" },
  { "жінка", "female" },
  { "аял", "female" },
  { "ke", "female" },
  { "kike", "female" },
  { "mke", "female" },
  { "mwanamke", "female" },
  { "ქალი", "female" },
  { "male", "male" },
  { "m", "male" },
  { "man", "male" },
  { "м", "male" },
  { "муж", "male" },
  { "мужской", "male" },
  { "мужчина", "male" },
  { "ч", "male" },
  { "чол", "male" },
  { "чоловіча", "male" },
  { "чоловік", "male" },
  { "эркек", "male" },
  { "me", "male" },
  { "kiume", "male" },
  { "mme", "male" },
  { "mwanaume", "male" },
  { "კაცი", "male" },
  { "other", "other" },
  { "другое", "other" },
  { "другой", "other" },
  { "інше", "other" },
  { "nyingine", "other" },
  { "სხვა", "other" },
  { "undisclosed", "undisclosed" },
  { "prefer not to say", "undisclosed" },
  { "rather not say", "undisclosed" },
  { "not stated", "undisclosed" },
  { "не указано", "undisclosed" },
  { "не указан", "undisclosed" },
  { "не хочу указывать", "undisclosed" },
  { "не вказано", "undisclosed" },
};

/* An empty cell is "no", like an unticked box. */
static const Word consent_words[] = {
  { "yes", "1" },  { "y", "1" },     { "true", "1" },  { "1", "1" },      { "x", "1" },
  { "✓", "1" },    { "✔", "1" },     { "да", "1" },    { "д", "1" },      { "так", "1" },
  { "ооба", "1" }, { "ndiyo", "1" }, { "ndio", "1" },  { "დიახ", "1" },   { "კი", "1" },
  { "no", "0" },   { "n", "0" },     { "false", "0" }, { "0", "0" },      { "нет", "0" },
  { "н", "0" },    { "ні", "0" },    { "жок", "0" },   { "hapana", "0" }, { "არა", "0" },
};

static const char *
lookup_word (const Word *words, gsize n_words, const char *text)
{
  g_autofree char *key = value_key (text);

  for (gsize i = 0; i < n_words; i++)
    if (strcmp (words[i].word, key) == 0)
      return words[i].value;
  return NULL;
}

static gboolean
read_digits (const char **p, guint max_digits, guint *value, guint *n_digits)
{
  *value = 0;
  *n_digits = 0;
  while (g_ascii_isdigit (**p) && *n_digits < max_digits)
    {
      *value = *value * 10 + (guint) (**p - '0');
      (*n_digits)++;
      (*p)++;
    }
  return *n_digits > 0;
}

/*
 * A date as the store keeps it (YYYY-MM-DD), from 2026-03-02, 02.03.2026 or
 * 02/03/2026. Written with the year last, the day comes first, as in all the
 * countries Daftari works in; "03/25/2026" is refused, not turned around. A
 * time after the date is ignored. In a workbook, a number is an Excel serial
 * date (a date cell without a date format).
 */
static char *
parse_sheet_date (const char *text, gboolean serials, gboolean date1904)
{
  const char *p = text;
  guint       a, b, c, na, nb, nc;
  guint       day, month, year;
  char        sep;

  if (read_digits (&p, 4, &a, &na) && (*p == '-' || *p == '.' || *p == '/'))
    {
      sep = *p++;
      if (read_digits (&p, 2, &b, &nb) && *p == sep && (p++, read_digits (&p, 4, &c, &nc)))
        {
          if (*p == ' ' || *p == 'T')
            {
              for (const char *q = p + 1; *q != '\0'; q++)
                if (!g_ascii_isdigit (*q) && strchr (":.+-Z", *q) == NULL)
                  return NULL;
            }
          else if (*p != '\0')
            return NULL;

          if (na == 4 && nc <= 2)
            year = a, month = b, day = c;
          else if (na <= 2 && nc == 4)
            day = a, month = b, year = c;
          else
            return NULL;
          if (year < 1900 || year > 2200
              || !g_date_valid_dmy ((GDateDay) day, (GDateMonth) month, (GDateYear) year))
            return NULL;
          return g_strdup_printf ("%04u-%02u-%02u", year, month, day);
        }
      return NULL;
    }

  if (serials)
    {
      char            *end = NULL;
      double           serial = g_ascii_strtod (text, &end);
      g_autofree char *shown = NULL;

      if (end == text || *end != '\0')
        return NULL;
      shown = dft_sheet_serial_to_text (serial, date1904);
      if (shown == NULL)
        return NULL;
      shown[10] = '\0';
      return g_strdup (shown);
    }
  return NULL;
}

/* ---- Running ---------------------------------------------------------- */

static void
add_problem (GPtrArray *problems, guint row, const char *problem)
{
  g_ptr_array_add (problems,
                   /* Translators: "Row 7: Email: is not an email address." %u is a row number as
                    * the spreadsheet shows it, %s the problem */
                   g_strdup_printf (_ ("Row %u: %s"), row, problem));
}

static void
add_field_problem (GPtrArray *problems, guint row, const DftField *field, const char *message)
{
  g_autofree char *problem
      /* Translators: "Gender: “x” is not …": first %s is a field of a person, second the problem */
      = g_strdup_printf (_ ("%s: %s"), g_dgettext (GETTEXT_PACKAGE, field->label), message);

  add_problem (problems, row, problem);
}

static const DftField *
person_field (const char *name)
{
  return &dft_entity_person.fields[dft_entity_field_index (&dft_entity_person, name)];
}

/*
 * The store's message says "person: Email: is not an email address."; in a
 * list of rows of people the first part says nothing, so it goes.
 */
static const char *
without_entity (const char *message)
{
  const char *label = g_dgettext (GETTEXT_PACKAGE, dft_entity_person.label);
  gsize       n = strlen (label);

  if (g_ascii_strncasecmp (message, label, n) == 0 && strncmp (message + n, ": ", 2) == 0)
    return message + n + 2;
  return message;
}

static char *
person_full_name (DftRecord *person)
{
  const char *given = dft_record_get_string (person, "given_name");
  const char *family = dft_record_get_string (person, "family_name");

  if (family == NULL || family[0] == '\0')
    return g_strdup (given != NULL ? given : "");
  if (given == NULL || given[0] == '\0')
    return g_strdup (family);
  return g_strjoin (" ", given, family, NULL);
}

/* Two spellings of one name share a word once folded: "Айбек Токтогулов" and "Toktogulov A.". */
static gboolean
names_share_a_word (DftRecord *a, DftRecord *b)
{
  g_autofree char *name_a = person_full_name (a);
  g_autofree char *name_b = person_full_name (b);
  g_autofree char *key_a = dft_search_key (name_a);
  g_autofree char *key_b = dft_search_key (name_b);
  g_auto (GStrv)   words_a = g_strsplit (key_a, " ", -1);
  g_auto (GStrv)   words_b = g_strsplit (key_b, " ", -1);

  for (guint i = 0; words_a[i] != NULL; i++)
    if (words_a[i][0] != '\0' && g_strv_contains ((const char *const *) words_b, words_a[i]))
      return TRUE;
  return FALSE;
}

/* Adds what the sheet knows and the register does not; never overwrites what it holds. */
static void
fill_blanks (DftRecord *existing, DftRecord *incoming)
{
  const DftEntity *entity = &dft_entity_person;

  for (guint i = 0; i < entity->n_fields; i++)
    {
      const GValue *in = dft_record_get_value (incoming, i);
      const GValue *have = dft_record_get_value (existing, i);

      if (G_VALUE_HOLDS_BOOLEAN (in))
        {
          if (g_value_get_boolean (in) && !g_value_get_boolean (have))
            dft_record_set_value (existing, i, in);
        }
      else if (G_VALUE_HOLDS_STRING (in))
        {
          const char *value = g_value_get_string (in);
          const char *current = g_value_get_string (have);

          if (value != NULL && (current == NULL || current[0] == '\0'))
            dft_record_set_value (existing, i, in);
        }
    }
}

/* Converts one cell into @person; FALSE with a message for the user when it cannot. */
static gboolean
convert_cell (
    DftImport *self, DftRecord *person, const DftField *field, const char *text, char **message)
{
  switch (field->type)
    {
    case DFT_FIELD_CHOICE:
      {
        const char *choice = NULL;

        if (field->choices == dft_gender_choices)
          choice = lookup_word (gender_words, G_N_ELEMENTS (gender_words), text);
        if (choice == NULL)
          {
            g_autofree char *key = value_key (text);

            for (guint i = 0; field->choices[i] != NULL; i++)
              if (strcmp (field->choices[i], key) == 0)
                choice = field->choices[i];
          }
        if (choice == NULL)
          {
            if (field->choices == dft_gender_choices)
              *message = g_strdup_printf (
                  /* Translators: %s is what the sheet says. Translate the three words into the
                   * ones people write in your language: Daftari reads the usual Russian,
                   * Ukrainian, Kyrgyz, Swahili and Georgian words too (gender_words). */
                  _ ("“%s” is not understood; write female, male, other or leave it empty."), text);
            else
              {
                g_autofree char *allowed = g_strjoinv (", ", (char **) field->choices);
                /* Translators: first %s is what the sheet says, second a list of allowed words */
                *message = g_strdup_printf (_ ("“%s” is not one of: %s."), text, allowed);
              }
            return FALSE;
          }
        dft_record_set_string (person, field->name, choice);
        return TRUE;
      }

    case DFT_FIELD_BOOL:
      {
        const char *answer = lookup_word (consent_words, G_N_ELEMENTS (consent_words), text);

        if (answer == NULL)
          {
            /* Translators: %s is what the sheet says */
            *message = g_strdup_printf (_ ("“%s” is not understood; write yes or no."), text);
            return FALSE;
          }
        dft_record_set_bool (person, field->name, answer[0] == '1');
        return TRUE;
      }

    case DFT_FIELD_DATE:
      {
        g_autofree char *date = parse_sheet_date (text, self->from_xlsx, self->date1904);

        if (date == NULL)
          {
            *message = g_strdup_printf (
                /* Translators: %s is what the sheet says */
                _ ("“%s” is not a date; write it like 2026-03-02 or 02.03.2026 (day first)."),
                text);
            return FALSE;
          }
        dft_record_set_string (person, field->name, date);
        return TRUE;
      }

    case DFT_FIELD_TEXT:
      if (strcmp (field->name, "country") == 0)
        {
          g_autofree char *country = dft_country_normalize (text);

          if (country == NULL)
            {
              *message = g_strdup_printf (
                  /* Translators: %s is what the sheet says */
                  _ ("“%s” is not a country Daftari knows; write its name or its two-letter "
                     "code, such as KG."),
                  text);
              return FALSE;
            }
          dft_record_set_string (person, field->name, country);
          return TRUE;
        }
      /* A phone number and an email are checked, and the number put in its one form, by
       * the store like anything typed in. */
      dft_record_set_string (person, field->name, text);
      return TRUE;

    case DFT_FIELD_TIME:
    case DFT_FIELD_REF:
    case DFT_FIELD_JSON:
    case DFT_FIELD_STAMP:
      /* Checked by the store like anything typed in. */
      dft_record_set_string (person, field->name, text);
      return TRUE;

    case DFT_FIELD_INT:
    case DFT_FIELD_REAL:
    default:
      return TRUE;
    }
}

typedef struct
{
  DftStore    *store;
  char        *event_id;
  const char **mapping; /* a copy: the caller may change the mapping while a run goes on */
  guint        n_created;
  guint        n_reused;
  GPtrArray   *row_errors;
} Run;

static void
run_free (gpointer data)
{
  Run *run = data;

  g_clear_object (&run->store);
  g_free (run->event_id);
  g_free (run->mapping);
  g_clear_pointer (&run->row_errors, g_ptr_array_unref);
  g_free (run);
}

static Run *
run_new (DftImport *self, DftStore *store, const char *event_id)
{
  Run *run = g_new0 (Run, 1);

  run->store = g_object_ref (store);
  run->event_id = g_strdup (event_id);
  run->mapping = g_memdup2 (self->mapping, sizeof (const char *) * MAX (self->n_columns, 1));
  return run;
}

static gboolean
check_name_column (DftImport *self, Run *run, GError **error)
{
  g_autoptr (GString) found = g_string_new (NULL);

  for (guint c = 0; c < self->n_columns; c++)
    if (g_strcmp0 (run->mapping[c], "given_name") == 0)
      return TRUE;

  for (guint c = 0; c < self->n_columns; c++)
    {
      const char *header = row_cell (self->header, c);

      if (header == NULL)
        continue;
      if (found->len > 0)
        g_string_append (found, ", ");
      /* Translators: a column header quoted in a list of them */
      g_string_append_printf (found, _ ("“%s”"), header);
    }
  g_set_error (error, DFT_IMPORT_ERROR, DFT_IMPORT_ERROR_NO_NAME_COLUMN,
               /* Translators: first %s is the name of a field, "Given name"; second the list of
                * column headers found in the sheet */
               _ ("No column is chosen for the participants’ names. Choose which column holds "
                  "“%s”. The columns of the sheet are: %s."),
               g_dgettext (GETTEXT_PACKAGE, person_field ("given_name")->label),
               found->len > 0 ? found->str : _ ("(none has a header)"));
  return FALSE;
}

static gboolean
check_event (Run *run, GError **error)
{
  g_autoptr (DftRecord) event = NULL;

  if (run->event_id == NULL)
    return TRUE;
  event = dft_store_load (run->store, &dft_entity_event, run->event_id, error);
  if (event == NULL)
    return FALSE;
  if (dft_record_get_deleted (event))
    {
      g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND,
                   /* Translators: %s is the title of a workshop */
                   _ ("The workshop “%s” was deleted. Restore it before importing participants "
                      "into it."),
                   dft_record_get_string (event, "title"));
      return FALSE;
    }
  return TRUE;
}

/* People in the register by email, folded so that case does not matter; the oldest wins. */
static GHashTable *
people_by_email (DftStore *store, GError **error)
{
  g_autoptr (GPtrArray) people = NULL;
  GHashTable           *by_email;

  people
      = dft_store_list_records (store, &dft_entity_person, (const char *[]){ "email", NULL, NULL },
                                (const char *[]){ "created_at", "id", NULL }, 0, error);
  if (people == NULL)
    return NULL;
  by_email = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  for (guint i = 0; i < people->len; i++)
    {
      DftRecord *person = g_ptr_array_index (people, i);
      char      *key = g_utf8_casefold (dft_record_get_string (person, "email"), -1);

      if (g_hash_table_contains (by_email, key))
        g_free (key);
      else
        g_hash_table_insert (by_email, key, g_object_ref (person));
    }
  return by_email;
}

static gboolean
row_has_mapped_value (const Row *row, const char *const *mapping, guint n_columns)
{
  for (guint c = 0; c < MIN (row->n_cells, n_columns); c++)
    if (mapping[c] != NULL && row->cells[c] != NULL)
      return TRUE;
  return FALSE;
}

static gboolean
set_rows_error (GError **error, GPtrArray *problems, guint n_bad_rows)
{
  g_set_error (error, DFT_IMPORT_ERROR, DFT_IMPORT_ERROR_ROWS,
               /* Translators: %u is a number of rows, %s the first problem, such as
                * "Row 7: Email: is not an email address." */
               ngettext ("Nothing was imported: %u row has a problem (%s). Correct the sheet and "
                         "import it again.",
                         "Nothing was imported: %u rows have problems (the first: %s). Correct "
                         "the sheet and import it again.",
                         n_bad_rows),
               n_bad_rows, (const char *) g_ptr_array_index (problems, 0));
  return FALSE;
}

static gboolean
run_import (DftImport *self, Run *run, GCancellable *cancellable, GError **error)
{
  g_autoptr (GHashTable) existing = NULL;
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray)  problems = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray)  people = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray)  batch = g_ptr_array_new_with_free_func (g_object_unref);
  const DftField        *email_field = person_field ("email");
  guint                  n_bad_rows = 0;
  guint                  n_created = 0;
  guint                  n_reused = 0;

  if (!check_name_column (self, run, error) || !check_event (run, error))
    return FALSE;
  existing = people_by_email (run->store, error);
  if (existing == NULL)
    return FALSE;

  for (guint r = 0; r < self->rows->len; r++)
    {
      const Row            *row = g_ptr_array_index (self->rows, r);
      g_autoptr (DftRecord) person = NULL;
      g_autoptr (GError)    invalid = NULL;
      g_autofree char      *email_key = NULL;
      DftRecord            *reuse = NULL;
      guint                 before = problems->len;
      const char           *email;

      if (r % 1000 == 0 && g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;

      /* Sign-up sheets number their empty lines; a row with nothing to import is not a person. */
      if (!row_has_mapped_value (row, run->mapping, self->n_columns))
        continue;

      person = dft_record_new_for_entity (&dft_entity_person);
      for (guint c = 0; c < MIN (row->n_cells, self->n_columns); c++)
        {
          g_autofree char *message = NULL;
          const DftField  *field;

          if (run->mapping[c] == NULL || row->cells[c] == NULL)
            continue;
          field = person_field (run->mapping[c]);
          if (!convert_cell (self, person, field, row->cells[c], &message))
            add_field_problem (problems, row->number, field, message);
        }
      if (!dft_store_validate (run->store, person, &invalid))
        add_problem (problems, row->number, without_entity (invalid->message));

      /*
       * Email is how a person already in the register is recognised, so one
       * email must not stand for two rows. Whether two rows with the same
       * address are one person entered twice or two colleagues sharing an
       * office address, Daftari cannot tell: merging them would lose a
       * participant, keeping both would make a duplicate. The user decides.
       */
      email = dft_record_get_string (person, "email");
      if (email != NULL && email[0] != '\0')
        {
          gpointer first_row;

          email_key = g_utf8_casefold (email, -1);
          if (g_hash_table_lookup_extended (seen, email_key, NULL, &first_row))
            {
              g_autofree char *message =
                  /* Translators: %s is an email address, %u the row where it first appears */
                  g_strdup_printf (_ ("%s is also on row %u. Each person needs their own email: "
                                      "delete the repeated row, or leave the email empty on one of "
                                      "them."),
                                   email, GPOINTER_TO_UINT (first_row));
              add_field_problem (problems, row->number, email_field, message);
            }
          else
            g_hash_table_insert (seen, g_strdup (email_key), GUINT_TO_POINTER (row->number));

          /* The same email with an unrelated name is a typing error, not the same person. */
          reuse = g_hash_table_lookup (existing, email_key);
          if (reuse != NULL && !names_share_a_word (reuse, person))
            {
              g_autofree char *theirs = person_full_name (reuse);
              g_autofree char *ours = person_full_name (person);
              g_autofree char *message = g_strdup_printf (
                  /* Translators: first %s is an email address, second and third people's names */
                  _ ("%s already belongs to %s in the register, but this row names "
                     "%s. Correct the email, or the name if it is the same person."),
                  email, theirs, ours);
              add_field_problem (problems, row->number, email_field, message);
            }
        }

      if (problems->len > before)
        {
          n_bad_rows++;
          continue;
        }

      if (reuse != NULL)
        {
          g_autoptr (GError) merged_invalid = NULL;

          fill_blanks (reuse, person);
          if (!dft_store_validate (run->store, reuse, &merged_invalid))
            {
              add_problem (problems, row->number, without_entity (merged_invalid->message));
              n_bad_rows++;
              continue;
            }
          g_ptr_array_add (people, g_object_ref (reuse));
          n_reused++;
        }
      else
        {
          g_ptr_array_add (people, g_steal_pointer (&person));
          n_created++;
        }
    }

  if (problems->len > 0)
    {
      set_rows_error (error, problems, n_bad_rows);
      run->row_errors = g_steal_pointer (&problems);
      return FALSE;
    }
  if (people->len == 0)
    {
      g_set_error (error, DFT_IMPORT_ERROR, DFT_IMPORT_ERROR_EMPTY,
                   _ ("No row has anything in the columns chosen for import, so there is nobody "
                      "to import."));
      return FALSE;
    }

  /* People first: an enrollment is checked against a person saved earlier in the transaction. */
  for (guint i = 0; i < people->len; i++)
    g_ptr_array_add (batch, g_object_ref (g_ptr_array_index (people, i)));
  for (guint i = 0; run->event_id != NULL && i < people->len; i++)
    {
      /* Already enrolled, perhaps as a trainer: the role stays; a removal is undone. A new
       * person gets their id here, for the enrollment saved with them. */
      DftRecord *enrollment = dft_people_enrollment_for (
          run->store, run->event_id, g_ptr_array_index (people, i), NULL, TRUE, error);

      if (enrollment == NULL)
        return FALSE;
      g_ptr_array_add (batch, enrollment);
    }

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  /* One transaction: every person and enrollment, or, if anything fails, none. */
  if (!dft_store_save_all (run->store, (DftRecord **) batch->pdata, batch->len, error))
    return FALSE;

  run->n_created = n_created;
  run->n_reused = n_reused;
  return TRUE;
}

static gboolean
finish_run (Run *run, gboolean ok, guint *n_created, guint *n_reused, GPtrArray **row_errors)
{
  if (n_created != NULL)
    *n_created = ok ? run->n_created : 0;
  if (n_reused != NULL)
    *n_reused = ok ? run->n_reused : 0;
  if (row_errors != NULL)
    *row_errors = run->row_errors != NULL ? g_steal_pointer (&run->row_errors)
                                          : g_ptr_array_new_with_free_func (g_free);
  return ok;
}

/**
 * dft_import_run:
 * @store: where the people go
 * @event_id: (nullable): the workshop to enroll them in as participants, or %NULL
 * @n_created: (out) (optional): people added to the register
 * @n_reused: (out) (optional): rows matched by email to people already in it
 * @row_errors: (out) (optional) (transfer full) (element-type utf8): one line per problem,
 *   such as "Row 7: Email: is not an email address.", empty when there is none
 * @error: return location for an error
 *
 * Converts and checks every row first, and saves only when every row is
 * right, in one transaction with the enrollments: all or nothing. A row
 * whose email belongs to a person already in the register (same address
 * in any case, not deleted) reuses that person, adding to it only what it
 * does not have yet, and enrolls them.
 *
 * Returns: %TRUE when the people were saved; %FALSE with
 *   %DFT_IMPORT_ERROR_ROWS (and @row_errors filled) when rows are wrong
 */
gboolean
dft_import_run (DftImport  *self,
                DftStore   *store,
                const char *event_id,
                guint      *n_created,
                guint      *n_reused,
                GPtrArray **row_errors,
                GError    **error)
{
  Run     *run;
  gboolean ok;

  g_return_val_if_fail (DFT_IS_IMPORT (self), FALSE);
  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  run = run_new (self, store, event_id);
  ok = run_import (self, run, NULL, error);
  finish_run (run, ok, n_created, n_reused, row_errors);
  run_free (run);
  return ok;
}

static void
run_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;

  if (run_import (source, task_data, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* The rows are not changed while the run goes on; the mapping is copied at the start. */
void
dft_import_run_async (DftImport          *self,
                      DftStore           *store,
                      const char         *event_id,
                      GCancellable       *cancellable,
                      GAsyncReadyCallback callback,
                      gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (DFT_IS_IMPORT (self));
  g_return_if_fail (DFT_IS_STORE (store));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dft_import_run_async);
  g_task_set_task_data (task, run_new (self, store, event_id), run_free);
  g_task_run_in_thread (task, run_thread);
}

gboolean
dft_import_run_finish (DftImport    *self,
                       GAsyncResult *result,
                       guint        *n_created,
                       guint        *n_reused,
                       GPtrArray   **row_errors,
                       GError      **error)
{
  gboolean ok;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  ok = g_task_propagate_boolean (G_TASK (result), error);
  return finish_run (g_task_get_task_data (G_TASK (result)), ok, n_created, n_reused, row_errors);
}
