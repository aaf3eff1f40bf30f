/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Real spreadsheets: every export written as XLSX is read back by an independent reader
 * (python3 with Debian's openpyxl, tests/check-xlsx.py) and compared, cell by cell, with the CSV
 * export of the same data. Skips when python3 with openpyxl is not there.
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "dft-export.h"
#include "dft-indicators-export.h"
#include "dft-store-attachments.h"
#include "dft-test-util.h"
#include "dft-xlsx.h"
#include "forms/dft-assessment.h"
#include "forms/dft-form-store.h"
#include "forms/dft-submission-export.h"

/* ---- The independent reader ------------------------------------------------------------ */

/* A python3 that has openpyxl: Debian's first (the one python3-openpyxl serves), then PATH's. */
static const char *
find_python (void)
{
  static char *found = NULL;
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      g_autofree char *in_path = g_find_program_in_path ("python3");
      const char      *candidates[] = { "/usr/bin/python3", in_path };

      for (guint i = 0; i < G_N_ELEMENTS (candidates) && found == NULL; i++)
        {
          const char *argv[] = { candidates[i], "-c", "import openpyxl", NULL };
          int         status = -1;

          if (candidates[i] == NULL || !g_file_test (candidates[i], G_FILE_TEST_IS_EXECUTABLE))
            continue;
          if (g_spawn_sync (NULL, (char **) argv, NULL,
                            G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                            NULL, NULL, &status, NULL)
              && g_spawn_check_wait_status (status, NULL))
            found = g_strdup (candidates[i]);
        }
      g_once_init_leave (&once, 1);
    }
  return found;
}

static gboolean
skip_without_reader (void)
{
  if (find_python () != NULL)
    return FALSE;
  g_test_skip ("python3 with openpyxl (python3-openpyxl) is not installed");
  return TRUE;
}

/* Runs tests/check-xlsx.py over @xlsx and @csv; fails the test on any problem it finds and
 * returns its dump of the workbook. */
static JsonNode *
check_workbook (const char *xlsx, const char *csv, gboolean titled)
{
  g_autofree char *script
      = g_build_filename (g_getenv ("DAFTARI_TEST_DATA"), "..", "check-xlsx.py", NULL);
  const char      *argv[] = { find_python (), script, xlsx, csv, titled ? "--titled" : NULL, NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GError)     error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonArray             *problems;
  int                    status = 0;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                               &status, &error));
  g_assert_no_error (error);
  if (err != NULL && *err != '\0')
    g_test_message ("check-xlsx.py: %s", err);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  problems = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                           "problems");
  for (guint i = 0; i < json_array_get_length (problems); i++)
    g_test_message ("%s", json_array_get_string_element (problems, i));
  g_assert_cmpuint (json_array_get_length (problems), ==, 0);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return json_node_copy (json_parser_get_root (parser));
}

static JsonArray *
sheets_of (JsonNode *dump)
{
  return json_object_get_array_member (json_node_get_object (dump), "sheets");
}

static JsonObject *
sheet_of (JsonNode *dump, guint i)
{
  return json_array_get_object_element (sheets_of (dump), i);
}

/* The cell of @sheet at @row (0: the header) whose header is @column. */
static JsonObject *
cell_of (JsonObject *sheet, guint row, const char *column)
{
  JsonArray *rows = json_object_get_array_member (sheet, "rows");
  JsonArray *header = json_array_get_array_element (rows, 0);

  g_assert_cmpuint (row, <, json_array_get_length (rows));
  for (guint c = 0; c < json_array_get_length (header); c++)
    {
      JsonObject *h = json_array_get_object_element (header, c);

      if (g_strcmp0 (json_object_get_string_member (h, "v"), column) == 0)
        return json_array_get_object_element (json_array_get_array_element (rows, row), c);
    }
  g_error ("no column %s in sheet %s", column, json_object_get_string_member (sheet, "name"));
  return NULL;
}

static guint
rows_of (JsonObject *sheet)
{
  return json_array_get_length (json_object_get_array_member (sheet, "rows"));
}

static const char *
text_at (JsonObject *sheet, guint row, const char *column)
{
  return json_object_get_string_member_with_default (cell_of (sheet, row, column), "v", NULL);
}

static double
number_at (JsonObject *sheet, guint row, const char *column)
{
  JsonObject *cell = cell_of (sheet, row, column);

  g_assert_cmpstr (json_object_get_string_member_with_default (cell, "t", ""), ==, "n");
  return json_object_get_double_member (cell, "v");
}

static void
assert_cell (JsonObject *cell, const char *type, const char *format_part)
{
  g_assert_cmpstr (json_object_get_string_member_with_default (cell, "t", "(empty)"), ==, type);
  if (format_part != NULL)
    g_assert_nonnull (strstr (json_object_get_string_member (cell, "fmt"), format_part));
}

/* The row of @sheet whose column @column holds the text @value. */
static guint
row_with (JsonObject *sheet, const char *column, const char *value)
{
  JsonArray *rows = json_object_get_array_member (sheet, "rows");

  for (guint r = 1; r < json_array_get_length (rows); r++)
    if (g_strcmp0 (json_object_get_string_member_with_default (cell_of (sheet, r, column), "v", ""),
                   value)
        == 0)
      return r;
  g_error ("no row with %s = %s", column, value);
  return 0;
}

/* ---- The store ------------------------------------------------------------------------- */

typedef struct
{
  char      *dir;
  DftStore  *store;
  char      *event_id;
  GPtrArray *people; /* person ids: Cyrillic, Georgian, Arabic script, Latin with diacritics */
  char      *note;   /* the longest a record's text holds: 20,000 bytes */
  char      *answer; /* 33,000 characters, more than a spreadsheet's cell holds (32,767) */
} Fixture;

/* Every script the workshops use, and cells a spreadsheet would run as formulas. */
static const char *const names[][2] = {
  { "Айбек", "Токтогулов" },
  { "ნინო", "კაპანაძე" },
  { "فرید", "احمدی" },
  { "Zoë", "Łukasiewicz-Núñez" },
};

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) event = NULL;
  g_autoptr (GString)   note = g_string_new ("=HYPERLINK(\"http://evil.example\",\"click\")\t");
  const char           *positions[] = { "=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0",
                                        "Inspector\tLevel 2", "Line one\r\nline two\nthree" };
  const char           *statuses[] = { "present", "late", "absent", NULL };

  f->store = dft_test_open_store (&f->dir);
  f->people = g_ptr_array_new_with_free_func (g_free);

  while (g_utf8_strlen (note->str, -1) < 33000)
    g_string_append (note, "Заметка ნოტი ملاحظة. ");
  g_string_truncate (note, g_utf8_offset_to_pointer (note->str, 33000) - note->str);
  f->answer = g_strdup (note->str);
  g_string_truncate (note, g_utf8_find_prev_char (note->str, note->str + DFT_FIELD_MAX_TEXT + 1)
                               - note->str);
  f->note = g_strdup (note->str);

  event = dft_test_add_event (f->store, "Киберпреступность: [основы]/2026", "2026-03-02",
                              "2026-03-03");
  dft_record_set_string (event, "notes", f->note);
  dft_record_set_string (event, "venue", "@SUM(1+1)");
  dft_record_set_string (event, "city", "Bish\001kek");
  dft_store_save (f->store, event, &error);
  g_assert_no_error (error);
  f->event_id = g_strdup (dft_record_get_id (event));

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr (DftRecord) person = dft_test_add_person (f->store, names[i][0], names[i][1]);
      g_autofree char      *session = dft_session_id_for (f->event_id, "2026-03-02", "am");
      const char           *id = dft_record_get_id (person);

      dft_record_set_string (person, "gender", i % 2 == 0 ? "male" : "female");
      dft_record_set_string (person, "agency",
                             i == 2   ? "-2+3+cmd"
                             : i == 1 ? "МВД _x0041_"
                                      : "Прокуратура");
      dft_record_set_string (person, "position", positions[i]);
      dft_record_set_string (person, "phone", "+996 555 123 456");
      if (i == 1)
        {
          dft_record_set_bool (person, "consent", TRUE);
          dft_record_set_string (person, "consent_date", "2026-02-28");
        }
      dft_store_save (f->store, person, &error);
      g_assert_no_error (error);
      g_object_unref (
          dft_store_enroll (f->store, f->event_id, id, i == 3 ? "trainer" : NULL, &error));
      g_assert_no_error (error);
      if (statuses[i] != NULL)
        g_object_unref (
            dft_store_mark_attendance (f->store, session, id, statuses[i], NULL, &error));
      g_assert_no_error (error);
      g_ptr_array_add (f->people, g_strdup (id));
    }
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_free (f->event_id);
  g_free (f->note);
  g_free (f->answer);
  g_ptr_array_unref (f->people);
  dft_test_release_store (f->store);
  dft_test_dir_free (f->dir);
}

/* A path in the fixture's folder. */
static char *
path_in (Fixture *f, const char *name)
{
  return g_build_filename (f->dir, name, NULL);
}

typedef gboolean (*CsvWriter) (Fixture *f, GOutputStream *out, gconstpointer data, GError **error);

static void
write_csv (Fixture *f, const char *path, CsvWriter write, gconstpointer data)
{
  g_autoptr (GError)            error = NULL;
  g_autoptr (GFile)             file = g_file_new_for_path (path);
  g_autoptr (GFileOutputStream) out = g_file_replace (file, NULL, FALSE, 0, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (write (f, G_OUTPUT_STREAM (out), data, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_close (G_OUTPUT_STREAM (out), NULL, &error));
}

/* ---- Unit tests of the writer ---------------------------------------------------------- */

static void
test_sheet_names (void)
{
  g_autoptr (GPtrArray) taken = g_ptr_array_new_with_free_func (g_free);
  g_autofree char      *a = dft_xlsx_sheet_name ("Отчёт: [Q1]/2026*?\\", taken);
  g_autofree char      *b = dft_xlsx_sheet_name ("отчёт_ _Q1__2026___", taken);
  g_autofree char      *c = dft_xlsx_sheet_name ("A very long sheet name that goes past 31", taken);
  g_autofree char *d = dft_xlsx_sheet_name ("A very long sheet name that goes past 31!", taken);
  g_autofree char *e = dft_xlsx_sheet_name ("'quoted'", taken);
  g_autofree char *empty = dft_xlsx_sheet_name ("", taken);
  g_autofree char *georgian = dft_xlsx_sheet_name ("ტრენინგის დასწრება და შედეგები 2026 წ.", taken);

  g_assert_cmpstr (a, ==, "Отчёт_ _Q1__2026___");
  /* Excel compares names without case: "отчёт" is "Отчёт" taken. */
  g_assert_cmpstr (b, ==, "отчёт_ _Q1__2026___ (2)");
  g_assert_cmpstr (c, ==, "A very long sheet name that goe");
  g_assert_cmpstr (d, ==, "A very long sheet name that (2)");
  g_assert_cmpstr (e, ==, "quoted");
  g_assert_cmpstr (empty, ==, "Sheet");
  g_assert_cmpint (g_utf8_strlen (georgian, -1), ==, 31);
  g_assert_cmpuint (taken->len, ==, 7);
}

static void
test_text_width (void)
{
  g_assert_cmpuint (dft_xlsx_text_width ("Айбек"), ==, 5);
  g_assert_cmpuint (dft_xlsx_text_width ("北京警察学院"), ==, 12);
  g_assert_cmpuint (dft_xlsx_text_width ("short\nmuch longer line\nx"), ==, 16);
  g_assert_cmpuint (dft_xlsx_text_width ("e\xCC\x81"), ==, 1); /* e and a combining acute */
  g_assert_cmpuint (dft_xlsx_text_width (NULL), ==, 0);
}

/* ---- Exports --------------------------------------------------------------------------- */

static gboolean
export_csv (Fixture *f, GOutputStream *out, gconstpointer data, GError **error)
{
  return dft_export_csv (f->store, GPOINTER_TO_INT (data),
                         GPOINTER_TO_INT (data) == DFT_EXPORT_EVENTS ? NULL : f->event_id, out,
                         NULL, error);
}

/* Writes @kind as CSV and as XLSX and compares them; returns the workbook's dump, one sheet
 * named @name. */
static JsonNode *
export_both (Fixture *f, DftExportKind kind, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *csv = path_in (f, "export.csv");
  g_autofree char   *xlsx = path_in (f, "export.xlsx");

  JsonNode *dump;

  write_csv (f, csv, export_csv, GINT_TO_POINTER (kind));
  g_assert_true (dft_export_xlsx (f->store, kind, kind == DFT_EXPORT_EVENTS ? NULL : f->event_id,
                                  xlsx, NULL, &error));
  g_assert_no_error (error);
  dump = check_workbook (xlsx, csv, FALSE);
  g_assert_cmpuint (json_array_get_length (sheets_of (dump)), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (sheet_of (dump, 0), "name"), ==, name);
  return dump;
}

static void
test_export_events (Fixture *f, gconstpointer data)
{
  g_autoptr (JsonNode) dump = NULL;
  JsonObject          *sheet;
  const char          *notes;

  if (skip_without_reader ())
    return;
  dump = export_both (f, DFT_EXPORT_EVENTS, "Workshops");
  sheet = sheet_of (dump, 0);
  assert_cell (cell_of (sheet, 1, "title"), "s", NULL);
  assert_cell (cell_of (sheet, 1, "start_date"), "d", "yyyy-mm-dd");
  g_assert_cmpstr (text_at (sheet, 1, "start_date"), ==, "2026-03-02T00:00:00");
  assert_cell (cell_of (sheet, 1, "created_at"), "d", "hh:mm");
  /* A formula stays text, never a formula. */
  assert_cell (cell_of (sheet, 1, "venue"), "s", NULL);
  g_assert_cmpstr (text_at (sheet, 1, "venue"), ==, "@SUM(1+1)");
  /* The longest note a workshop holds fits a cell whole: tabs, scripts, formula and all. */
  notes = text_at (sheet, 1, "notes");
  g_assert_cmpstr (notes, ==, f->note);
}

static void
test_export_people (Fixture *f, gconstpointer data)
{
  g_autoptr (JsonNode) dump = NULL;
  JsonObject          *sheet;
  guint                row;

  if (skip_without_reader ())
    return;
  dump = export_both (f, DFT_EXPORT_PEOPLE, "People");
  sheet = sheet_of (dump, 0);
  g_assert_cmpuint (rows_of (sheet), ==, 1 + G_N_ELEMENTS (names));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      row = row_with (sheet, "given_name", names[i][0]);
      g_assert_cmpstr (text_at (sheet, row, "family_name"), ==, names[i][1]);
      /* A phone number is text as typed, never a number. */
      assert_cell (cell_of (sheet, row, "phone"), "s", NULL);
    }
  row = row_with (sheet, "given_name", "ნინო");
  assert_cell (cell_of (sheet, row, "consent_date"), "d", "yyyy-mm-dd");
  /* Not read as the escape of "A". */
  g_assert_cmpstr (text_at (sheet, row, "agency"), ==, "МВД _x0041_");
  row = row_with (sheet, "given_name", "Айбек");
  g_assert_cmpstr (text_at (sheet, row, "position"), ==, "=HYPERLINK(\"http://x\",\"y\")");
  row = row_with (sheet, "given_name", "Zoë");
  g_assert_cmpstr (text_at (sheet, row, "position"), ==, "Line one\nline two\nthree");
  g_assert_cmpstr (text_at (sheet, row, "role"), ==, "trainer");
}

static void
test_export_attendance (Fixture *f, gconstpointer data)
{
  g_autoptr (JsonNode) dump = NULL;
  JsonObject          *sheet;
  guint                row;

  if (skip_without_reader ())
    return;
  dump = export_both (f, DFT_EXPORT_ATTENDANCE, "Attendance");
  sheet = sheet_of (dump, 0);
  row = row_with (sheet, "given_name", "ნინო");
  /* The mark as stored, the counts and the rate as numbers, the rate shown in percent. */
  g_assert_cmpstr (text_at (sheet, row, "2026-03-02 am"), ==, "late");
  assert_cell (cell_of (sheet, row, "late"), "n", NULL);
  assert_cell (cell_of (sheet, row, "attendance_rate"), "n", "%");
  g_assert_cmpfloat_with_epsilon (number_at (sheet, row, "attendance_rate"), 0.25, 1e-9);
  row = row_with (sheet, "given_name", "Zoë");
  assert_cell (cell_of (sheet, row, "2026-03-02 am"), "(empty)", NULL);
}

/* An empty register still gives a workbook with its header, frozen and filtered. */
static void
test_export_empty (void)
{
  g_autoptr (GError)        error = NULL;
  g_autofree char          *dir = NULL;
  DftStore                 *store = dft_test_open_store (&dir);
  g_autofree char          *csv = g_build_filename (dir, "people.csv", NULL);
  g_autofree char          *xlsx = g_build_filename (dir, "people.xlsx", NULL);
  g_autoptr (GFile)         file = g_file_new_for_path (csv);
  g_autoptr (GOutputStream) out = NULL;
  g_autoptr (JsonNode)      dump = NULL;

  if (skip_without_reader ())
    {
      dft_test_release_store (store);
      dft_test_dir_free (g_steal_pointer (&dir));
      return;
    }
  out = G_OUTPUT_STREAM (g_file_replace (file, NULL, FALSE, 0, NULL, &error));
  g_assert_true (dft_export_csv (store, DFT_EXPORT_PEOPLE, NULL, out, NULL, &error));
  g_assert_true (g_output_stream_close (out, NULL, &error));
  g_assert_true (dft_export_xlsx (store, DFT_EXPORT_PEOPLE, NULL, xlsx, NULL, &error));
  g_assert_no_error (error);
  {
    GStatBuf st;

    /* Names of officers: readable by their owner alone, like the CSV exports. */
    g_assert_cmpint (g_stat (xlsx, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0077, ==, 0);
  }
  dump = check_workbook (xlsx, csv, FALSE);
  g_assert_cmpuint (
      json_array_get_length (json_object_get_array_member (sheet_of (dump, 0), "rows")), ==, 1);
  dft_test_release_store (store);
  dft_test_dir_free (g_steal_pointer (&dir));
}

/* ---- Submissions and gain -------------------------------------------------------------- */

static const char quiz[]
    = "{\"format\": \"daftari-form\", \"id\": \"quiz\", \"kind\": \"assessment\","
      "\"title\": \"Тест\","
      "\"choice_lists\": {\"ab\": [{\"value\": \"a\"}, {\"value\": \"b\"}]},"
      "\"questions\": ["
      "  {\"type\": \"select_one\", \"name\": \"q1\", \"choices\": \"ab\", \"correct\": \"b\","
      "   \"points\": 1},"
      "  {\"type\": \"integer\", \"name\": \"years\"},"
      "  {\"type\": \"decimal\", \"name\": \"hours\"},"
      "  {\"type\": \"date\", \"name\": \"when\"},"
      "  {\"type\": \"text\", \"name\": \"comment\"},"
      "  {\"type\": \"barcode\", \"name\": \"tag\"},"
      "  {\"type\": \"geotrace\", \"name\": \"route\"}"
      "]}";

static void
take_quiz (Fixture    *f,
           DftRecord  *version,
           DftForm    *form,
           const char *person,
           const char *phase,
           const char *q1,
           const char *comment)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (DftFormRun) run = dft_form_run_new (form, &error);
  g_autoptr (DftRecord)  sub = NULL;
  const char            *answers[][2] = {
               { "/data/q1", q1 },
               { "/data/years", "7" },
               { "/data/hours", "3.50" },
               { "/data/when", "2026-03-03" },
               { "/data/comment", comment },
               { "/data/tag", "00012345" },
               { "/data/route", "42.87, 74.59\n42.88, 74.6" },
  };

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (answers); i++)
    {
      dft_form_run_set_answer (run, answers[i][0], answers[i][1], NULL, &error);
      g_assert_no_error (error);
    }
  sub = dft_form_store_submit (f->store, version, NULL, run, f->event_id, person, phase, TRUE,
                               &error);
  g_assert_no_error (error);
}

static void
add_quiz_results (Fixture *f)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftForm)   form = dft_form_new_from_json (quiz, -1, &error);
  g_autoptr (DftRecord) version = NULL;

  g_assert_no_error (error);
  g_assert_true (dft_form_prepare (form, &error));
  version = dft_form_store_save (f->store, form, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < f->people->len; i++)
    {
      const char *id = g_ptr_array_index (f->people, i);

      take_quiz (f, version, form, id, "pre", "a", "=1+1");
      if (i != 2) /* one person missed the post-test */
        take_quiz (f, version, form, id, "post", i == 0 ? "a" : "b",
                   i == 3 ? f->answer : "Хорошо,\t\"очень\"");
    }
}

static gboolean
submissions_csv (Fixture *f, GOutputStream *out, gconstpointer data, GError **error)
{
  return dft_submissions_export_csv (f->store, "quiz", f->event_id, out, NULL, error);
}

static void
test_submissions (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)   error = NULL;
  g_autofree char     *csv = path_in (f, "submissions.csv");
  g_autofree char     *xlsx = path_in (f, "submissions.xlsx");
  g_autoptr (JsonNode) dump = NULL;
  JsonObject          *sheet;
  const char          *comment;
  guint                n_long = 0;

  if (skip_without_reader ())
    return;
  add_quiz_results (f);
  write_csv (f, csv, submissions_csv, NULL);
  g_assert_true (dft_submissions_export_xlsx (f->store, "quiz", f->event_id, xlsx, NULL, &error));
  g_assert_no_error (error);
  dump = check_workbook (xlsx, csv, FALSE);
  sheet = sheet_of (dump, 0);
  g_assert_cmpuint (rows_of (sheet), ==, 1 + 7);
  for (guint r = 1; r <= 7; r++)
    {
      assert_cell (cell_of (sheet, r, "score %"), "n", "0.0");
      assert_cell (cell_of (sheet, r, "started"), "d", "hh:mm");
      assert_cell (cell_of (sheet, r, "finished"), "d", "hh:mm");
      assert_cell (cell_of (sheet, r, "years"), "n", NULL);
      assert_cell (cell_of (sheet, r, "hours"), "n", NULL);
      g_assert_cmpfloat (number_at (sheet, r, "hours"), ==, 3.5);
      assert_cell (cell_of (sheet, r, "when"), "d", "yyyy-mm-dd");
      assert_cell (cell_of (sheet, r, "comment"), "s", NULL);
      /* A barcode and a line are text, as ODK writes them: no number eats leading zeros. */
      assert_cell (cell_of (sheet, r, "tag"), "s", NULL);
      g_assert_cmpstr (text_at (sheet, r, "tag"), ==, "00012345");
      assert_cell (cell_of (sheet, r, "route"), "s", NULL);
      g_assert_cmpstr (text_at (sheet, r, "route"), ==, "42.87 74.59;42.88 74.6");
      /* Cut to what a cell holds, and marked so; the checker compared the rest with the CSV. */
      comment = text_at (sheet, r, "comment");
      if (g_str_has_prefix (comment, "=HYPERLINK("))
        {
          g_assert_cmpint (g_utf8_strlen (comment, -1), ==, DFT_XLSX_CELL_MAX);
          g_assert_true (g_str_has_suffix (comment, "…"));
          n_long++;
        }
    }
  g_assert_cmpuint (n_long, ==, 1);
}

static gboolean
gain_csv (Fixture *f, GOutputStream *out, gconstpointer data, GError **error)
{
  return dft_gain_export_csv (f->store, f->event_id, "quiz", out, NULL, error);
}

static void
test_gain (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)   error = NULL;
  g_autofree char     *csv = path_in (f, "gain.csv");
  g_autofree char     *xlsx = path_in (f, "gain.xlsx");
  g_autoptr (JsonNode) dump = NULL;
  JsonObject          *sheet;
  guint                row;

  if (skip_without_reader ())
    return;
  add_quiz_results (f);
  write_csv (f, csv, gain_csv, NULL);
  g_assert_true (dft_gain_export_xlsx (f->store, f->event_id, "quiz", xlsx, NULL, &error));
  g_assert_no_error (error);
  dump = check_workbook (xlsx, csv, FALSE);
  sheet = sheet_of (dump, 0);
  /* Four people, then the averages. */
  g_assert_cmpuint (rows_of (sheet), ==, 1 + 4 + 1);
  row = row_with (sheet, "person", "ნინო კაპანაძე");
  g_assert_cmpfloat (number_at (sheet, row, "pre %"), ==, 0);
  g_assert_cmpfloat (number_at (sheet, row, "post %"), ==, 100);
  g_assert_cmpfloat (number_at (sheet, row, "gain"), ==, 100);
  g_assert_cmpfloat (number_at (sheet, row, "normalized gain"), ==, 1);
  row = row_with (sheet, "person", "فرید احمدی");
  assert_cell (cell_of (sheet, row, "post %"), "(empty)", NULL);
  row = row_with (sheet, "person", "Average");
  g_assert_cmpuint (row, ==, 5);
  /* Pre 0 for all four; post 0, 100, 100 for the three who took it. */
  g_assert_cmpfloat_with_epsilon (number_at (sheet, row, "post %"), 200.0 / 3, 1e-9);
}

/* ---- Files the answers name ----------------------------------------------------------- */

/* That @dir holds one entry, @name. */
static void
assert_only_file (const char *dir, const char *name)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char      *entry;
  guint            n = 0;

  g_assert_nonnull (d);
  while ((entry = g_dir_read_name (d)) != NULL)
    {
      g_assert_cmpstr (entry, ==, name);
      n++;
    }
  g_assert_cmpuint (n, ==, 1);
}

static const char photos[]
    = "{\"format\": \"daftari-form\", \"id\": \"photos\", \"title\": \"Site visit\","
      "\"questions\": ["
      "  {\"type\": \"image\", \"name\": \"photo\"},"
      "  {\"type\": \"text\", \"name\": \"note\"}"
      "]}";

/* A submission of the photos form by @person. */
static void
submit_photo (Fixture *f, DftRecord *version, DftForm *form, const char *person, const char *photo)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (DftFormRun) run = dft_form_run_new (form, &error);
  g_autoptr (DftRecord)  sub = NULL;

  g_assert_no_error (error);
  dft_form_run_set_answer (run, "/data/photo", photo, NULL, &error);
  g_assert_no_error (error);
  dft_form_run_set_answer (run, "/data/note", "Roof", NULL, &error);
  g_assert_no_error (error);
  sub = dft_form_store_submit (f->store, version, NULL, run, f->event_id, person, NULL, TRUE,
                               &error);
  g_assert_no_error (error);
}

/* A link as the workbook holds it, with "/" between folder and file whichever the writer used
 * (libxlsxwriter writes Windows' "\\" into external links). */
static char *
link_at (JsonObject *sheet, guint row, const char *column)
{
  const char *link
      = json_object_get_string_member_with_default (cell_of (sheet, row, column), "link", NULL);
  g_autoptr (GString) path = NULL;

  if (link == NULL)
    return NULL;
  g_test_message ("link: %s", link);
  path = g_string_new (link);
  g_string_replace (path, "\\", "/", 0);
  return g_string_free (g_steal_pointer (&path), FALSE);
}

static void
test_media_dir (void)
{
  g_autofree char *a = dft_submissions_export_media_dir ("/x/evaluations.xlsx");
  g_autofree char *b = dft_submissions_export_media_dir ("/x/y.d/notes");
  g_autofree char *c = dft_submissions_export_media_dir ("/x/.csv");
  g_autofree char *d = dft_submissions_export_media_dir ("out.tar.csv");

  g_assert_cmpstr (a, ==, "/x/evaluations-media");
  g_assert_cmpstr (b, ==, "/x/y.d/notes-media");
  g_assert_cmpstr (c, ==, "/x/.csv-media");
  g_assert_cmpstr (d, ==, "./out.tar-media");
}

/* The files go with the table, in a folder beside it, as ODK Central's media/ does; one not
 * synced yet is reported, not fatal. */
static void
test_submissions_media (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftForm)   form = dft_form_new_from_json (photos, -1, &error);
  g_autoptr (DftRecord) version = NULL;
  static const char     held_data[] = "\xff\xd8\xff\xe0 not quite a JPEG";
  g_autoptr (GBytes)    held_bytes = g_bytes_new_static (held_data, sizeof held_data - 1);
  g_autofree char      *held = NULL;
  const char      *missing = "1111111111111111111111111111111111111111111111111111111111111111.png";
  g_autofree char *csv = path_in (f, "photos.csv");
  g_autofree char *csv_media = path_in (f, "photos-csv-media");
  g_autofree char *xlsx = path_in (f, "photos.xlsx");
  g_autofree char *xlsx_media = path_in (f, "photos-media");
  g_autofree char *written = NULL, *link = NULL, *target = NULL;
  g_autofree char *content = NULL;
  gsize            length = 0;
  g_auto (DftExportMedia) media = { 0 };
  g_autoptr (JsonNode)    dump = NULL;
  JsonObject             *sheet;
  guint                   r_held, r_missing;

  if (skip_without_reader ())
    return;
  g_assert_no_error (error);
  g_assert_true (dft_form_prepare (form, &error));
  version = dft_form_store_save (f->store, form, &error);
  g_assert_no_error (error);
  held = dft_store_add_attachment (f->store, held_bytes, "Roof 1.JPG", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (held, ".jpg"));
  submit_photo (f, version, form, g_ptr_array_index (f->people, 0), held);
  submit_photo (f, version, form, g_ptr_array_index (f->people, 1), missing);

  /* CSV: the cells name the files, the folder holds the one this store has. */
  {
    g_autoptr (GFile)             file = g_file_new_for_path (csv);
    g_autoptr (GFileOutputStream) out = g_file_replace (file, NULL, FALSE, 0, NULL, &error);

    g_assert_no_error (error);
    g_assert_true (dft_submissions_export_csv_with_media (
        f->store, "photos", f->event_id, G_OUTPUT_STREAM (out), csv_media, &media, NULL, &error));
    g_assert_no_error (error);
    g_assert_true (g_output_stream_close (G_OUTPUT_STREAM (out), NULL, &error));
  }
  g_assert_cmpuint (media.n_files, ==, 2);
  g_assert_cmpuint (media.n_written, ==, 1);
  g_assert_cmpuint (media.missing->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (media.missing, 0), ==, missing);
  assert_only_file (csv_media, held);
  dft_export_media_clear (&media);

  /* XLSX: the same cells, the held one a link to its file in the folder beside the workbook. */
  g_assert_true (dft_submissions_export_xlsx_with_media (f->store, "photos", f->event_id, xlsx,
                                                         &media, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (media.n_files, ==, 2);
  g_assert_cmpuint (media.n_written, ==, 1);
  g_assert_cmpuint (media.missing->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (media.missing, 0), ==, missing);
  assert_only_file (xlsx_media, held);

  dump = check_workbook (xlsx, csv, FALSE);
  sheet = sheet_of (dump, 0);
  g_assert_cmpuint (rows_of (sheet), ==, 1 + 2);
  r_held = row_with (sheet, "photo", held);
  r_missing = row_with (sheet, "photo", missing);
  assert_cell (cell_of (sheet, r_held, "photo"), "s", NULL);
  link = link_at (sheet, r_held, "photo");
  written = g_strconcat ("photos-media/", held, NULL);
  g_assert_cmpstr (link, ==, written);
  /* The link, read from the workbook's folder, opens the file with the bytes kept. */
  target = g_build_filename (f->dir, link, NULL);
  g_assert_true (g_file_get_contents (target, &content, &length, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (content, length, g_bytes_get_data (held_bytes, NULL),
                   g_bytes_get_size (held_bytes));
  /* No link to a file the folder does not hold; the cell still names it. */
  g_assert_null (link_at (sheet, r_missing, "photo"));
  g_assert_null (link_at (sheet, r_held, "note"));

  /* The plain export is as it was: no folder, no link. */
  g_assert_true (dft_submissions_export_xlsx (f->store, "photos", f->event_id, xlsx, NULL, &error));
  g_assert_no_error (error);
  g_clear_pointer (&dump, json_node_unref);
  dump = check_workbook (xlsx, csv, FALSE);
  g_assert_null (link_at (sheet_of (dump, 0), r_held, "photo"));
}

/* ---- Failure leaves the earlier file -------------------------------------------------- */

static void
test_unwritable (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)       error = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autofree char         *dir = path_in (f, "out");
  g_autofree char         *path = g_build_filename (dir, "people.xlsx", NULL);
  g_autofree char         *content = NULL;

  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, "the earlier export", -1, NULL));

  /* Cancelled: the earlier file stays, no temporary file is left. */
  g_cancellable_cancel (cancellable);
  g_assert_false (dft_export_xlsx (f->store, DFT_EXPORT_PEOPLE, NULL, path, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_true (g_file_get_contents (path, &content, NULL, NULL));
  g_assert_cmpstr (content, ==, "the earlier export");
  assert_only_file (dir, "people.xlsx");

  /* A folder nobody may write to. Root writes anywhere: there, a folder that is not there. */
  g_assert_cmpint (g_chmod (dir, 0500), ==, 0);
  if (access (dir, W_OK) == 0)
    {
      g_autofree char *missing = path_in (f, "no-such-folder/people.xlsx");

      g_test_message ("running as root: writing to a missing folder instead");
      g_assert_false (dft_export_xlsx (f->store, DFT_EXPORT_PEOPLE, NULL, missing, NULL, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    }
  else
    {
      g_assert_false (dft_export_xlsx (f->store, DFT_EXPORT_PEOPLE, NULL, path, NULL, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
    }
  /* The message names the file. */
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "people.xlsx"));
  g_clear_error (&error);
  g_clear_pointer (&content, g_free);
  g_assert_true (g_file_get_contents (path, &content, NULL, NULL));
  g_assert_cmpstr (content, ==, "the earlier export");
  assert_only_file (dir, "people.xlsx");
  g_assert_cmpint (g_chmod (dir, 0700), ==, 0);

  /* And where it can write, the workbook replaces the earlier file. */
  g_assert_true (dft_export_xlsx (f->store, DFT_EXPORT_PEOPLE, NULL, path, NULL, &error));
  g_assert_no_error (error);
  g_clear_pointer (&content, g_free);
  g_assert_true (g_file_get_contents (path, &content, NULL, NULL));
  g_assert_true (g_str_has_prefix (content, "PK"));
  assert_only_file (dir, "people.xlsx");
}

/* ---- The indicator report ------------------------------------------------------------- */

static DftIndicatorGroup *
group (const char *gender,
       const char *agency,
       const char *country,
       const char *role,
       guint       people,
       guint       women)
{
  DftIndicatorGroup *g = g_new0 (DftIndicatorGroup, 1);

  g->gender = g_strdup (gender);
  g->agency = g_strdup (agency);
  g->country = g_strdup (country);
  g->role = g_strdup (role);
  g->people = people;
  g->women = women;
  g->participations = people + 1;
  g->person_days = 3 * people;
  return g;
}

/* A report as the engine hands it over, built by hand: the writer's own test, whatever the
 * engine computes. */
static void
test_indicator_report (void)
{
  g_autofree char          *dir = dft_test_make_dir ();
  g_autofree char          *csv = g_build_filename (dir, "report.csv", NULL);
  g_autofree char          *xlsx = g_build_filename (dir, "report.xlsx", NULL);
  g_autoptr (GError)        error = NULL;
  g_autoptr (GFile)         file = g_file_new_for_path (csv);
  g_autoptr (GOutputStream) out = NULL;
  g_autoptr (JsonNode)      dump = NULL;
  char                     *countries[] = { (char *) "KG", (char *) "GE", NULL };
  DftReportSelection        selection = { .from = (char *) "2026-01-01",
                                          .to = (char *) "2026-03-31",
                                          .countries = countries,
                                          .completion_share = 0.8 };
  DftWorkshopFigures        workshop = { .event_id = (char *) "e1",
                                         .title = (char *) "Киберпреступность",
                                         .start_date = (char *) "2026-03-02",
                                         .end_date = (char *) "2026-03-04",
                                         .country = (char *) "KG",
                                         .participants = 4,
                                         .women = 3,
                                         .sessions = 6,
                                         .attendance_rate = 0.875,
                                         .completed = 3,
                                         .completed_women = 2 };
  DftGainFigures            gain = { .event_id = (char *) "e1",
                                     .event_title = (char *) "Киберпреступность",
                                     .form_key = (char *) "quiz",
                                     .form_title = (char *) "Тест",
                                     .n_pre = 4,
                                     .n_post = 3,
                                     .n_pairs = 3,
                                     .mean_pre = 40,
                                     .mean_post = 70,
                                     .mean_gain = 30,
                                     .normalized_gain = 0.5 };
  DftGainFigures            overall = { .n_pre = 4,
                                        .n_post = 3,
                                        .n_pairs = 3,
                                        .mean_pre = 40,
                                        .mean_post = 70,
                                        .mean_gain = 30,
                                        .normalized_gain = 0.5 };
  DftIndicatorChoice        yes = { (char *) "yes", (char *) "Да", 3 };
  DftIndicatorChoice        no = { (char *) "no", (char *) "Нет", 1 };
  char *texts[] = { (char *) "=1+2 отлично", (char *) "شكرا\nجزيلا", NULL };
  DftEvaluationQuestion    scale = { .form_key = (char *) "eval",
                                     .name = (char *) "useful",
                                     .label = (char *) "Полезно?",
                                     .kind = DFT_EVALUATION_SCALE,
                                     .n_answers = 4,
                                     .average = 4.25,
                                     .scale = { 0, 0, 1, 1, 2 } };
  DftEvaluationQuestion    choice = { .form_key = (char *) "eval",
                                      .name = (char *) "again",
                                      .label = (char *) "Again?",
                                      .kind = DFT_EVALUATION_CHOICE,
                                      .n_answers = 4,
                                      .average = NAN };
  DftEvaluationQuestion    words = { .form_key = (char *) "eval",
                                     .name = (char *) "best",
                                     .label = (char *) "Best part",
                                     .kind = DFT_EVALUATION_TEXT,
                                     .n_answers = 2,
                                     .average = NAN,
                                     .texts = texts };
  DftIndicatorReport       report = { .selection = &selection,
                                      .n_workshops = 1,
                                      .people = 5,
                                      .women = 3,
                                      .participations = 6,
                                      .person_days = 15,
                                      .sessions = 6,
                                      .attendance_rate = 0.875,
                                      .completed_people = 3,
                                      .completed_women = 2,
                                      .completed_participations = 3 };
  static const char *const sheets[] = {
    "Summary", "Breakdown", "By gender",  "By agency",  "Gender by agency",  "By country",
    "By role", "Workshops", "Test gains", "Evaluation", "Free-text answers",
  };
  JsonObject *sheet;
  guint       row;

  if (skip_without_reader ())
    return;
  report.breakdown = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_indicator_group_free);
  g_ptr_array_add (report.breakdown, group ("female", "Прокуратура", "KG", "participant", 3, 3));
  g_ptr_array_add (report.breakdown, group ("male", "+cmd", "", "trainer", 1, 0));
  report.by_gender = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_indicator_group_free);
  g_ptr_array_add (report.by_gender, group ("female", NULL, NULL, NULL, 3, 3));
  g_ptr_array_add (report.by_gender, group ("", NULL, NULL, NULL, 2, 0));
  report.by_agency = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_indicator_group_free);
  g_ptr_array_add (report.by_agency, group (NULL, "Прокуратура", NULL, NULL, 5, 3));
  report.gender_by_agency
      = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_indicator_group_free);
  g_ptr_array_add (report.gender_by_agency, group ("female", "Прокуратура", NULL, NULL, 3, 3));
  report.by_country = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_indicator_group_free);
  g_ptr_array_add (report.by_country, group (NULL, NULL, "KG", NULL, 4, 3));
  g_ptr_array_add (report.by_country, group (NULL, NULL, "", NULL, 1, 0));
  report.by_role = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_indicator_group_free);
  g_ptr_array_add (report.by_role, group (NULL, NULL, NULL, "participant", 4, 3));
  g_ptr_array_add (report.by_role, group (NULL, NULL, NULL, "trainer", 1, 0));
  report.workshops = g_ptr_array_new ();
  g_ptr_array_add (report.workshops, &workshop);
  report.gains = g_ptr_array_new ();
  g_ptr_array_add (report.gains, &gain);
  g_ptr_array_add (report.gains, &overall);
  choice.choices = g_ptr_array_new ();
  g_ptr_array_add (choice.choices, &yes);
  g_ptr_array_add (choice.choices, &no);
  report.evaluation = g_ptr_array_new ();
  g_ptr_array_add (report.evaluation, &scale);
  g_ptr_array_add (report.evaluation, &choice);
  g_ptr_array_add (report.evaluation, &words);

  out = G_OUTPUT_STREAM (g_file_replace (file, NULL, FALSE, 0, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (dft_indicator_report_write_csv (&report, out, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_close (out, NULL, &error));
  g_assert_true (dft_indicator_report_write_xlsx (&report, xlsx, NULL, &error));
  g_assert_no_error (error);
  /* Every table of the CSV is a sheet, cell for cell. */
  dump = check_workbook (xlsx, csv, TRUE);

  g_assert_cmpuint (json_array_get_length (sheets_of (dump)), ==, G_N_ELEMENTS (sheets));
  for (guint i = 0; i < G_N_ELEMENTS (sheets); i++)
    {
      g_assert_cmpstr (json_object_get_string_member (sheet_of (dump, i), "name"), ==, sheets[i]);
      g_assert_cmpstr (json_object_get_string_member (sheet_of (dump, i), "title"), ==, sheets[i]);
    }
  sheet = sheet_of (dump, 0);
  row = row_with (sheet, "Figure", "People trained");
  g_assert_cmpfloat (number_at (sheet, row, "Value"), ==, 5);
  row = row_with (sheet, "Figure", "Women’s share");
  assert_cell (cell_of (sheet, row, "Value"), "n", "%");
  g_assert_cmpfloat_with_epsilon (number_at (sheet, row, "Value"), 0.6, 1e-9);
  row = row_with (sheet, "Figure", "Countries");
  g_assert_cmpstr (text_at (sheet, row, "Value"), ==, "KG, GE");

  sheet = sheet_of (dump, 1);
  row = row_with (sheet, "Agency", "+cmd");
  g_assert_cmpstr (text_at (sheet, row, "Gender"), ==, "Male");
  g_assert_cmpstr (text_at (sheet, row, "Role"), ==, "Trainer");
  g_assert_cmpfloat (number_at (sheet, row, "Women’s share"), ==, 0);
  sheet = sheet_of (dump, 2);
  g_assert_cmpuint (row_with (sheet, "Gender", "Not given"), ==, 2);
  sheet = sheet_of (dump, 5);
  row = row_with (sheet, "Country code", "KG");
  g_assert_cmpstr (text_at (sheet, row, "Country"), ==, "Kyrgyzstan");
  sheet = sheet_of (dump, 7);
  assert_cell (cell_of (sheet, 1, "Start"), "d", "yyyy-mm-dd");
  assert_cell (cell_of (sheet, 1, "Attendance rate"), "n", "%");
  sheet = sheet_of (dump, 8);
  g_assert_cmpuint (row_with (sheet, "Workshop", "All workshops"), ==, 2);
  g_assert_cmpfloat (number_at (sheet, 2, "Normalized gain"), ==, 0.5);
  sheet = sheet_of (dump, 9);
  row = row_with (sheet, "Question", "useful");
  g_assert_cmpfloat (number_at (sheet, row, "5"), ==, 2);
  g_assert_cmpfloat (number_at (sheet, row, "Average"), ==, 4.25);
  row = row_with (sheet, "Question", "again");
  g_assert_cmpstr (text_at (sheet, row, "Choices"), ==, "Да: 3; Нет: 1");
  sheet = sheet_of (dump, 10);
  g_assert_cmpuint (rows_of (sheet), ==, 3);
  row = row_with (sheet, "Answer", "=1+2 отлично");
  g_assert_cmpstr (text_at (sheet, row, "Question"), ==, "best");

  g_ptr_array_unref (report.breakdown);
  g_ptr_array_unref (report.by_gender);
  g_ptr_array_unref (report.by_agency);
  g_ptr_array_unref (report.gender_by_agency);
  g_ptr_array_unref (report.by_country);
  g_ptr_array_unref (report.by_role);
  g_ptr_array_unref (report.workshops);
  g_ptr_array_unref (report.gains);
  g_ptr_array_unref (report.evaluation);
  g_ptr_array_unref (choice.choices);
  dft_test_dir_free (g_steal_pointer (&dir));
}

/* The engine's report over a small register, as a workbook: every sheet there, with the
 * figures a hand count gives. */
static void
test_indicator_store (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)             error = NULL;
  g_autoptr (DftReportSelection) selection = dft_report_selection_new ();
  g_autoptr (DftIndicatorReport) report = NULL;
  g_autofree char               *csv = path_in (f, "report.csv");
  g_autofree char               *xlsx = path_in (f, "report.xlsx");
  g_autoptr (GFile)              file = g_file_new_for_path (csv);
  g_autoptr (GOutputStream)      out = NULL;
  g_autoptr (JsonNode)           dump = NULL;
  JsonObject                    *sheet;
  guint                          row;

  if (skip_without_reader ())
    return;
  add_quiz_results (f);
  report = dft_indicator_report (f->store, selection, NULL, &error);
  g_assert_no_error (error);
  out = G_OUTPUT_STREAM (g_file_replace (file, NULL, FALSE, 0, NULL, &error));
  g_assert_true (dft_indicator_report_write_csv (report, out, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_close (out, NULL, &error));
  g_assert_true (dft_indicator_report_write_xlsx (report, xlsx, NULL, &error));
  g_assert_no_error (error);
  dump = check_workbook (xlsx, csv, TRUE);
  g_assert_cmpuint (json_array_get_length (sheets_of (dump)), ==, 11);

  /* Three participants (the fourth person is a trainer), one of them a woman. */
  sheet = sheet_of (dump, 0);
  row = row_with (sheet, "Figure", "People trained");
  g_assert_cmpfloat (number_at (sheet, row, "Value"), ==, 3);
  row = row_with (sheet, "Figure", "Women trained");
  g_assert_cmpfloat (number_at (sheet, row, "Value"), ==, 1);
  row = row_with (sheet, "Figure", "Women’s share");
  g_assert_cmpfloat_with_epsilon (number_at (sheet, row, "Value"), 1.0 / 3, 1e-9);
  row = row_with (sheet, "Figure", "Workshops");
  g_assert_cmpfloat (number_at (sheet, row, "Value"), ==, 1);

  sheet = sheet_of (dump, 6); /* By role */
  row = row_with (sheet, "Role", "Trainer");
  g_assert_cmpfloat (number_at (sheet, row, "People"), ==, 1);
  row = row_with (sheet, "Role", "Participant");
  g_assert_cmpfloat (number_at (sheet, row, "People"), ==, 3);

  sheet = sheet_of (dump, 7); /* Workshops */
  row = row_with (sheet, "Workshop", "Киберпреступность: [основы]/2026");
  g_assert_cmpstr (text_at (sheet, row, "Country"), ==, "Kyrgyzstan");
  g_assert_cmpfloat (number_at (sheet, row, "Participants"), ==, 3);

  /* One line per workshop and test, then the overall line, each with the engine's pairs. */
  sheet = sheet_of (dump, 8);
  g_assert_cmpuint (rows_of (sheet), ==, 1 + report->gains->len);
  g_assert_cmpuint (report->gains->len, >=, 1);
  for (guint i = 0; i < report->gains->len; i++)
    {
      DftGainFigures *g = g_ptr_array_index (report->gains, i);

      g_assert_cmpfloat (number_at (sheet, i + 1, "Took both"), ==, g->n_pairs);
    }
}

int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);

  g_test_add_func ("/xlsx/sheet-names", test_sheet_names);
  g_test_add_func ("/xlsx/text-width", test_text_width);
  g_test_add_func ("/xlsx/indicator-report", test_indicator_report);
  g_test_add_func ("/xlsx/export/empty", test_export_empty);
  g_test_add_func ("/xlsx/submissions/media-dir", test_media_dir);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/xlsx/export/events", test_export_events);
  ADD ("/xlsx/export/people", test_export_people);
  ADD ("/xlsx/export/attendance", test_export_attendance);
  ADD ("/xlsx/submissions", test_submissions);
  ADD ("/xlsx/submissions/media", test_submissions_media);
  ADD ("/xlsx/gain", test_gain);
  ADD ("/xlsx/unwritable", test_unwritable);
  ADD ("/xlsx/indicator-report/store", test_indicator_store);
#undef ADD
  return g_test_run ();
}
