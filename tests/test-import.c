/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <gsf/gsf-outfile-zip.h>
#include <gsf/gsf-outfile.h>
#include <gsf/gsf-output-stdio.h>
#include <gsf/gsf-output.h>
#include <string.h>

#include "dft-import.h"
#include "dft-record-list.h"
#include "dft-sheet.h"
#include "dft-store-private.h"
#include "dft-test-util.h"

/* ---- Helpers ---------------------------------------------------------- */

static char *
fixture_path (const char *name)
{
  const char *dir = g_getenv ("DAFTARI_TEST_DATA");

  if (dir != NULL)
    return g_build_filename (dir, "import", name, NULL);
  return g_test_build_filename (G_TEST_DIST, "data", "import", name, NULL);
}

static DftImport *
open_fixture (const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *path = fixture_path (name);
  DftImport         *import = dft_import_new_from_file (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (import);
  return import;
}

static char *
write_file (const char *dir, const char *name, const char *data, gssize len)
{
  g_autoptr (GError) error = NULL;
  char              *path = g_build_filename (dir, name, NULL);

  g_file_set_contents (path, data, len, &error);
  g_assert_no_error (error);
  return path;
}

static DftImport *
open_text (const char *dir, const char *name, const char *text)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *path = write_file (dir, name, text, -1);
  DftImport         *import = dft_import_new_from_file (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (import);
  return import;
}

static void
assert_open_fails (const char *path, DftImportError code, const char *part_of_message)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftImport) import = dft_import_new_from_file (path, &error);

  g_assert_null (import);
  g_assert_error (error, DFT_IMPORT_ERROR, (int) code);
  if (strstr (error->message, part_of_message) == NULL)
    g_test_fail_printf ("message “%s” should contain “%s”", error->message, part_of_message);
}

/* A ZIP archive made of (name, content) pairs, as Excel writes an .xlsx. */
static void
write_zip (const char *path, const char *const *parts)
{
  g_autoptr (GError) error = NULL;
  GsfOutput         *sink = gsf_output_stdio_new (path, &error);
  GsfOutfile        *zip;

  g_assert_no_error (error);
  zip = gsf_outfile_zip_new (sink, &error);
  g_assert_no_error (error);
  for (guint i = 0; parts[i] != NULL; i += 2)
    {
      GsfOutput *child = gsf_outfile_new_child (zip, parts[i], FALSE);

      g_assert_true (
          gsf_output_write (child, strlen (parts[i + 1]), (const guint8 *) parts[i + 1]));
      g_assert_true (gsf_output_close (child));
      g_object_unref (child);
    }
  g_assert_true (gsf_output_close (GSF_OUTPUT (zip)));
  g_object_unref (zip);
  gsf_output_close (sink);
  g_object_unref (sink);
}

static gint64
count (DftStore *store, const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64        n;

  g_assert_cmpint (sqlite3_prepare_v2 (_dft_store_get_db (store), sql, -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return n;
}

/* The one person, not deleted, with this email (compared exactly). */
static DftRecord *
person_by_email (DftStore *store, const char *email)
{
  g_autoptr (GError)    error = NULL;
  const char           *params[] = { email, NULL };
  g_autoptr (GPtrArray) rows = _dft_store_query (store, &dft_entity_person,
                                                 "deleted = 0 AND email = ?", params, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 1);
  return g_object_ref (g_ptr_array_index (rows, 0));
}

static DftRecord *
person_by_name (DftStore *store, const char *given)
{
  g_autoptr (GError)    error = NULL;
  const char           *params[] = { given, NULL };
  g_autoptr (GPtrArray) rows = _dft_store_query (
      store, &dft_entity_person, "deleted = 0 AND given_name = ?", params, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 1);
  return g_object_ref (g_ptr_array_index (rows, 0));
}

static void
assert_has_line (GPtrArray *lines, const char *expected)
{
  for (guint i = 0; i < lines->len; i++)
    if (g_str_equal (g_ptr_array_index (lines, i), expected))
      return;
  g_test_message ("%u lines:", lines->len);
  for (guint i = 0; i < lines->len; i++)
    g_test_message ("  %s", (const char *) g_ptr_array_index (lines, i));
  g_test_fail_printf ("no line “%s”", expected);
}

static void
assert_has_line_starting (GPtrArray *lines, const char *prefix, const char *also)
{
  for (guint i = 0; i < lines->len; i++)
    {
      const char *line = g_ptr_array_index (lines, i);

      if (g_str_has_prefix (line, prefix) && (also == NULL || strstr (line, also) != NULL))
        return;
    }
  for (guint i = 0; i < lines->len; i++)
    g_test_message ("  %s", (const char *) g_ptr_array_index (lines, i));
  g_test_fail_printf ("no line starting “%s” with “%s”", prefix, also != NULL ? also : "");
}

/* Runs an import that must succeed. */
static void
run_ok (DftImport *import, DftStore *store, const char *event_id, guint created, guint reused)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) row_errors = NULL;
  guint                 n_created = 99, n_reused = 99;
  gboolean              ok
      = dft_import_run (import, store, event_id, &n_created, &n_reused, &row_errors, &error);

  for (guint i = 0; row_errors != NULL && i < row_errors->len; i++)
    g_test_message ("%s", (const char *) g_ptr_array_index (row_errors, i));
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_nonnull (row_errors);
  g_assert_cmpuint (row_errors->len, ==, 0);
  g_assert_cmpuint (n_created, ==, created);
  g_assert_cmpuint (n_reused, ==, reused);
}

/* Runs an import that must fail because of its rows; returns the lines. */
static GPtrArray *
run_rows_fail (DftImport *import, DftStore *store, const char *event_id)
{
  g_autoptr (GError) error = NULL;
  GPtrArray         *row_errors = NULL;
  guint              n_created = 99, n_reused = 99;

  g_assert_false (
      dft_import_run (import, store, event_id, &n_created, &n_reused, &row_errors, &error));
  g_assert_error (error, DFT_IMPORT_ERROR, DFT_IMPORT_ERROR_ROWS);
  g_assert_nonnull (row_errors);
  g_assert_cmpuint (row_errors->len, >, 0);
  /* The summary names the first problem, for callers that show one line. */
  g_assert_nonnull (strstr (error->message, g_ptr_array_index (row_errors, 0)));
  g_assert_cmpuint (n_created, ==, 0);
  g_assert_cmpuint (n_reused, ==, 0);
  return row_errors;
}

/* ---- CSV -------------------------------------------------------------- */

static void
test_csv_basic (void)
{
  g_autofree char      *dir = NULL;
  g_autoptr (DftStore)  store = dft_test_open_store (&dir);
  g_autoptr (DftImport) import = open_fixture ("basic.csv");
  g_autoptr (DftRecord) aibek = NULL;
  g_autoptr (DftRecord) amina = NULL;
  g_autoptr (DftRecord) nino = NULL;
  static const char    *expected[]
      = { "given_name", "family_name", "gender", "agency",  "position",
          "country",    "email",       "phone",  "consent", "consent_date" };

  g_assert_cmpuint (dft_import_get_n_columns (import), ==, 10);
  /* The empty row 4 and the blank line at the end are not rows to import. */
  g_assert_cmpuint (dft_import_get_n_rows (import), ==, 3);
  g_assert_cmpuint (dft_import_get_header_row_number (import), ==, 1);
  g_assert_cmpuint (dft_import_get_row_number (import, 0), ==, 2);
  g_assert_cmpuint (dft_import_get_row_number (import, 2), ==, 5);
  g_assert_cmpstr (dft_import_get_header (import, 6), ==, "E-mail");
  for (guint c = 0; c < G_N_ELEMENTS (expected); c++)
    g_assert_cmpstr (dft_import_get_mapping (import, c), ==, expected[c]);
  g_assert_cmpstr (dft_import_get_cell (import, 2, 0), ==, "Nino"); /* trimmed */
  g_assert_cmpstr (dft_import_get_cell (import, 2, 2), ==, "");

  run_ok (import, store, NULL, 3, 0);
  g_assert_cmpint (count (store, "SELECT count(*) FROM person WHERE deleted = 0"), ==, 3);
  /* Saved like anything typed in: every person is in the change log, to be synced. */
  g_assert_cmpint (count (store, "SELECT count(*) FROM change_log WHERE entity = 'person'"), ==, 3);

  aibek = person_by_email (store, "aibek@example.kg");
  g_assert_cmpstr (dft_record_get_string (aibek, "given_name"), ==, "Aibek");
  g_assert_cmpstr (dft_record_get_string (aibek, "family_name"), ==, "Toktogulov");
  g_assert_cmpstr (dft_record_get_string (aibek, "gender"), ==, "male");
  g_assert_cmpstr (dft_record_get_string (aibek, "position"), ==, "Major");
  g_assert_cmpstr (dft_record_get_string (aibek, "country"), ==, "KG");
  /* A phone number is kept in one form, for finding the person by it later. */
  g_assert_cmpstr (dft_record_get_string (aibek, "phone"), ==, "+996555123456");
  g_assert_true (dft_record_get_bool (aibek, "consent"));
  g_assert_cmpstr (dft_record_get_string (aibek, "consent_date"), ==, "2026-03-02");

  amina = person_by_email (store, "amina@example.tz");
  g_assert_cmpstr (dft_record_get_string (amina, "gender"), ==, "female");
  g_assert_cmpstr (dft_record_get_string (amina, "country"), ==, "TZ");
  g_assert_true (dft_record_get_bool (amina, "consent"));
  g_assert_cmpstr (dft_record_get_string (amina, "consent_date"), ==, "2026-03-02");

  nino = person_by_name (store, "Nino");
  g_assert_null (dft_record_get_string (nino, "gender"));
  g_assert_null (dft_record_get_string (nino, "email"));
  g_assert_null (dft_record_get_string (nino, "position"));
  g_assert_cmpstr (dft_record_get_string (nino, "country"), ==, "GE");
  g_assert_false (dft_record_get_bool (nino, "consent"));

  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_csv_semicolon_bom (void)
{
  g_autofree char      *dir = NULL;
  g_autoptr (DftStore)  store = dft_test_open_store (&dir);
  g_autoptr (DftImport) import = open_fixture ("semicolon-bom.csv");
  g_autoptr (DftRecord) gulnara = NULL;

  /* Commas inside values do not fool the delimiter sniffer. */
  g_assert_cmpuint (dft_import_get_n_columns (import), ==, 4);
  /* The byte order mark is not part of the first header. */
  g_assert_cmpstr (dft_import_get_header (import, 0), ==, "Name");
  g_assert_cmpstr (dft_import_get_mapping (import, 0), ==, "given_name");
  g_assert_cmpstr (dft_import_get_mapping (import, 1), ==, "family_name");
  g_assert_cmpstr (dft_import_get_cell (import, 0, 2), ==, "Ministry of Interior, Osh");
  g_assert_cmpstr (dft_import_get_cell (import, 1, 2), ==, "Police Academy, Bishkek, Kyrgyzstan");

  run_ok (import, store, NULL, 2, 0);
  gulnara = person_by_name (store, "Gulnara");
  g_assert_cmpstr (dft_record_get_string (gulnara, "agency"), ==,
                   "Police Academy, Bishkek, Kyrgyzstan");
  g_clear_object (&gulnara);

  /* Excel's "sep=" line decides, even when commas look more regular; Excel hides the line, so
   * the header is row 1. */
  {
    g_autoptr (DftImport) hinted = open_text (
        dir, "hinted.csv", "sep=;\r\nName, given;Agency, full\r\nA, b;x, y\r\nC, d;z, w\r\n");

    g_assert_cmpuint (dft_import_get_n_columns (hinted), ==, 2);
    g_assert_cmpuint (dft_import_get_header_row_number (hinted), ==, 1);
    g_assert_cmpstr (dft_import_get_cell (hinted, 1, 1), ==, "z, w");
  }

  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
check_utf16 (const char *dir, const char *charset, const char *bom, gsize bom_len)
{
  g_autoptr (GError)     error = NULL;
  const char            *text = "Имя\tФамилия\tЭл. почта\r\nАйбек\tТоктогулов\taibek@example.kg\r\n"
                                "გიორგი\tბერიძე\tgiorgi@example.ge\r\n";
  gsize                  len = 0;
  g_autofree char       *encoded = g_convert (text, -1, charset, "UTF-8", NULL, &len, &error);
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  g_autofree char       *name = g_strdup_printf ("unicode-%s.txt", charset);
  g_autofree char       *path = NULL;
  g_autoptr (DftImport)  import = NULL;

  g_assert_no_error (error);
  g_byte_array_append (bytes, (const guint8 *) bom, (guint) bom_len);
  g_byte_array_append (bytes, (const guint8 *) encoded, (guint) len);
  path = write_file (dir, name, (const char *) bytes->data, bytes->len);

  import = dft_import_new_from_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dft_import_get_n_columns (import), ==, 3);
  g_assert_cmpuint (dft_import_get_n_rows (import), ==, 2);
  g_assert_cmpstr (dft_import_get_header (import, 0), ==, "Имя");
  g_assert_cmpstr (dft_import_get_mapping (import, 0), ==, "given_name");
  g_assert_cmpstr (dft_import_get_mapping (import, 1), ==, "family_name");
  g_assert_cmpstr (dft_import_get_mapping (import, 2), ==, "email");
  g_assert_cmpstr (dft_import_get_cell (import, 0, 0), ==, "Айбек");
  g_assert_cmpstr (dft_import_get_cell (import, 1, 1), ==, "ბერიძე");
}

static void
test_csv_utf16 (void)
{
  g_autofree char *dir = dft_test_make_dir ();
  g_autofree char *path = NULL;

  /* Excel's "Unicode text": UTF-16 little-endian with a byte order mark, tab separated. */
  check_utf16 (dir, "UTF-16LE", "\xFF\xFE", 2);
  check_utf16 (dir, "UTF-16BE", "\xFE\xFF", 2);

  /* An odd number of bytes after a UTF-16 mark cannot be UTF-16. */
  path = write_file (dir, "broken.txt", "\xFF\xFEN\0a\0m", 7);
  assert_open_fails (path, DFT_IMPORT_ERROR_ENCODING, "UTF-16LE");

  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_csv_quoted_newlines (void)
{
  g_autofree char      *dir = NULL;
  g_autoptr (DftStore)  store = dft_test_open_store (&dir);
  g_autoptr (DftImport) import = open_fixture ("quoted-newlines.csv");
  g_autoptr (GPtrArray) lines = NULL;
  g_autoptr (GError)    error = NULL;

  g_assert_cmpuint (dft_import_get_n_columns (import), ==, 4);
  g_assert_cmpuint (dft_import_get_n_rows (import), ==, 3);
  /* Quoted commas, doubled quotes and a CRLF inside quotes, which becomes "\n". */
  g_assert_cmpstr (dft_import_get_cell (import, 0, 2), ==,
                   "Ministry of Internal Affairs,\nDepartment of \"Training\"");
  /* A space before an opening quote does not make the quotes part of the value. */
  g_assert_cmpstr (dft_import_get_cell (import, 1, 1), ==, "Beridze, Jr.");
  g_assert_cmpstr (dft_import_get_cell (import, 1, 2), ==, "Line one\nLine two");
  g_assert_cmpstr (dft_import_get_cell (import, 2, 2), ==, "");
  /* A record spread over two lines is still one row of the spreadsheet. */
  g_assert_cmpuint (dft_import_get_row_number (import, 2), ==, 4);

  lines = run_rows_fail (import, store, NULL);
  g_assert_cmpuint (lines->len, ==, 1);
  assert_has_line (lines, "Row 4: Email: is not an email address.");
  g_assert_cmpint (count (store, "SELECT count(*) FROM person"), ==, 0);

  /* Corrected in the sheet, the same rows go in. */
  g_assert_true (dft_import_set_mapping (import, 3, NULL, &error));
  g_assert_no_error (error);
  run_ok (import, store, NULL, 3, 0);

  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_csv_not_utf8 (void)
{
  g_autofree char *path = fixture_path ("not-utf8.csv");
  g_autofree char *dir = dft_test_make_dir ();
  g_autofree char *binary = NULL;

  /* Windows-1251 is refused, never guessed; the message says how to save the sheet. */
  assert_open_fails (path, DFT_IMPORT_ERROR_ENCODING, "CSV UTF-8");
  assert_open_fails (path, DFT_IMPORT_ERROR_ENCODING, "line 3");
  assert_open_fails (path, DFT_IMPORT_ERROR_ENCODING, "not-utf8.csv");

  /* Bytes that are no text at all. */
  binary = write_file (dir, "photo.csv", "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
  assert_open_fails (binary, DFT_IMPORT_ERROR_FORMAT, "CSV");

  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_csv_unterminated_quote (void)
{
  g_autofree char *path = fixture_path ("unterminated-quote.csv");

  assert_open_fails (path, DFT_IMPORT_ERROR_FORMAT, "row 2");
  assert_open_fails (path, DFT_IMPORT_ERROR_FORMAT, "line 2");
}

static void
test_csv_empty (void)
{
  g_autofree char *dir = dft_test_make_dir ();
  g_autofree char *empty = write_file (dir, "empty.csv", "", 0);
  g_autofree char *blank = write_file (dir, "blank.csv", "\n ,  ,\n\n", -1);
  g_autofree char *header_only = write_file (dir, "header.csv", "Name,Email\n,\n", -1);
  g_autofree char *missing = g_build_filename (dir, "missing.csv", NULL);

  assert_open_fails (empty, DFT_IMPORT_ERROR_EMPTY, "empty.csv");
  assert_open_fails (blank, DFT_IMPORT_ERROR_EMPTY, "blank.csv");
  assert_open_fails (header_only, DFT_IMPORT_ERROR_EMPTY, "no participants");
  assert_open_fails (missing, DFT_IMPORT_ERROR_UNREADABLE, "missing.csv");
  assert_open_fails (dir, DFT_IMPORT_ERROR_UNREADABLE, "");

  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_csv_limits (void)
{
  g_autofree char      *dir = dft_test_make_dir ();
  g_autoptr (GString)   wide = g_string_new ("Name");
  g_autoptr (GString)   trailing = g_string_new ("Name,Email");
  g_autoptr (GString)   tall = g_string_new ("Name\n");
  g_autofree char      *wide_path = NULL;
  g_autofree char      *tall_path = NULL;
  g_autoptr (DftImport) import = NULL;

  for (guint i = 1; i <= DFT_IMPORT_MAX_COLUMNS; i++)
    g_string_append_printf (wide, ",c%u", i);
  g_string_append (wide, "\nAibek\n");
  wide_path = write_file (dir, "wide.csv", wide->str, -1);
  assert_open_fails (wide_path, DFT_IMPORT_ERROR_TOO_LARGE, "200");

  /* Empty columns beyond the limit, as Excel leaves them, are fine. */
  for (guint i = 0; i < 3 * DFT_IMPORT_MAX_COLUMNS; i++)
    g_string_append_c (trailing, ',');
  g_string_append (trailing, "\nAibek,a@example.kg\n");
  import = open_text (dir, "trailing.csv", trailing->str);
  g_assert_cmpuint (dft_import_get_n_columns (import), ==, 2);

  for (guint i = 0; i <= DFT_IMPORT_MAX_ROWS; i++)
    g_string_append (tall, "A\n");
  tall_path = write_file (dir, "tall.csv", tall->str, -1);
  assert_open_fails (tall_path, DFT_IMPORT_ERROR_TOO_LARGE, "100000");

  dft_test_dir_free (g_steal_pointer (&dir));
}

/* ---- Mapping ---------------------------------------------------------- */

static void
test_mapping_guess_russian (void)
{
  g_autofree char      *dir = NULL;
  g_autoptr (DftStore)  store = dft_test_open_store (&dir);
  g_autoptr (DftImport) import = open_fixture ("russian.csv");
  g_autoptr (DftRecord) aibek = NULL;
  g_autoptr (DftRecord) gulnara = NULL;
  static const char    *expected[]
      = { NULL,       "family_name", "given_name", NULL,    "gender",  "agency",
          "position", "country",     "email",      "phone", "consent", "consent_date" };

  /* The title line above the headers is left out. */
  g_assert_cmpuint (dft_import_get_header_row_number (import), ==, 2);
  g_assert_cmpuint (dft_import_get_n_columns (import), ==, G_N_ELEMENTS (expected));
  for (guint c = 0; c < G_N_ELEMENTS (expected); c++)
    g_assert_cmpstr (dft_import_get_mapping (import, c), ==, expected[c]);

  /* Rows 5 and 6 only carry their number in the "№" column: nobody to import. */
  run_ok (import, store, NULL, 2, 0);

  aibek = person_by_email (store, "aibek@example.kg");
  g_assert_cmpstr (dft_record_get_string (aibek, "given_name"), ==, "Айбек");
  g_assert_cmpstr (dft_record_get_string (aibek, "family_name"), ==, "Токтогулов");
  g_assert_cmpstr (dft_record_get_string (aibek, "gender"), ==, "male");
  g_assert_cmpstr (dft_record_get_string (aibek, "agency"), ==, "МВД КР");
  g_assert_cmpstr (dft_record_get_string (aibek, "position"), ==, "майор");
  g_assert_cmpstr (dft_record_get_string (aibek, "country"), ==, "KG");
  g_assert_true (dft_record_get_bool (aibek, "consent"));
  g_assert_cmpstr (dft_record_get_string (aibek, "consent_date"), ==, "2026-03-02");

  gulnara = person_by_name (store, "Гульнара");
  g_assert_cmpstr (dft_record_get_string (gulnara, "gender"), ==, "female");
  g_assert_cmpstr (dft_record_get_string (gulnara, "country"), ==, "KG");
  g_assert_false (dft_record_get_bool (gulnara, "consent"));

  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
check_guess (const char *dir, const char *header, const char *field)
{
  g_autofree char      *text = g_strdup_printf ("\"%s\",Other\nx,y\n", header);
  g_autoptr (DftImport) import = open_text (dir, "guess.csv", text);

  if (g_strcmp0 (dft_import_get_mapping (import, 0), field) != 0)
    g_test_fail_printf ("“%s” was guessed as %s, not %s", header,
                        dft_import_get_mapping (import, 0), field);
}

static void
test_mapping_guess_languages (void)
{
  g_autofree char *dir = dft_test_make_dir ();
  struct
  {
    const char *header;
    const char *field;
  } cases[] = {
    { "FIRST NAME", "given_name" },
    { "first_name", "given_name" },
    { "Given name:", "given_name" },
    { "Full name", "given_name" },
    { "Ф.И.О.", "given_name" },
    { "Ім’я", "given_name" },
    { "Jina la kwanza", "given_name" },
    { "სახელი", "given_name" },
    { "Last Name *", "family_name" },
    { "Surname", "family_name" },
    { "Jina la ukoo", "family_name" },
    { "გვარი", "family_name" },
    { "Прізвище", "family_name" },
    { "Sex", "gender" },
    { "Jinsia", "gender" },
    { "ПОЛ", "gender" },
    { "Organization", "agency" },
    { "Organisation/Organization", "agency" },
    { "Организация", "agency" },
    { "Ведомство", "agency" },
    { "Rank", "position" },
    { "Звание", "position" },
    { "Должность", "position" },
    { "Designation", "position" },
    { "Email ID", "email" },
    { "Mobile No.", "phone" },
    { "Agency name", "agency" },
    { "Nchi", "country" },
    { "Страна", "country" },
    { "E-mail", "email" },
    { "Email address (work)", "email" },
    { "Эл. почта", "email" },
    { "Barua pepe", "email" },
    { "Tel.", "phone" },
    { "Phone number", "phone" },
    { "Телефон", "phone" },
    { "Simu", "phone" },
    { "Consent", "consent" },
    { "Согласие", "consent" },
    { "Consent date", "consent_date" },
    { "Дата согласия", "consent_date" },
    { "Отчество", NULL },
    { "No.", NULL },
    { "Timestamp", NULL },
    { "Notes", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    check_guess (dir, cases[i].header, cases[i].field);

  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_mapping_override (void)
{
  g_autofree char      *dir = NULL;
  g_autoptr (DftStore)  store = dft_test_open_store (&dir);
  g_autoptr (DftImport) import
      = open_text (dir, "codes.csv",
                   "Code,Participant A,Participant B,Email,Work mail\n"
                   "17,Aibek,Toktogulov,aibek@home.example,aibek@mvd.example\n");
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) aibek = NULL;
  const char *const    *fields = dft_import_list_fields ();

  g_assert_true (g_strv_contains (fields, "given_name"));
  g_assert_true (g_strv_contains (fields, "consent_date"));
  g_assert_cmpuint (g_strv_length ((char **) fields), ==, dft_entity_person.n_fields);

  g_assert_null (dft_import_get_mapping (import, 1));
  g_assert_cmpstr (dft_import_get_mapping (import, 3), ==, "email");

  g_assert_true (dft_import_set_mapping (import, 1, "given_name", &error));
  g_assert_no_error (error);
  g_assert_true (dft_import_set_mapping (import, 2, "family_name", &error));
  g_assert_no_error (error);

  /* A field goes into one column: choosing the work address leaves the other one out. */
  g_assert_true (dft_import_set_mapping (import, 4, "email", &error));
  g_assert_no_error (error);
  g_assert_null (dft_import_get_mapping (import, 3));
  g_assert_cmpstr (dft_import_get_mapping (import, 4), ==, "email");

  /* Unknown fields are refused and change nothing. */
  g_assert_false (dft_import_set_mapping (import, 0, "birthday", &error));
  g_assert_error (error, DFT_IMPORT_ERROR, DFT_IMPORT_ERROR_UNKNOWN_FIELD);
  g_assert_nonnull (strstr (error->message, "birthday"));
  g_clear_error (&error);
  g_assert_false (dft_import_set_mapping (import, 0, "id", &error));
  g_assert_error (error, DFT_IMPORT_ERROR, DFT_IMPORT_ERROR_UNKNOWN_FIELD);
  g_clear_error (&error);
  g_assert_null (dft_import_get_mapping (import, 0));

  /* "" and NULL both mean "ignore this column". */
  g_assert_true (dft_import_set_mapping (import, 0, "phone", &error));
  g_assert_true (dft_import_set_mapping (import, 0, "", &error));
  g_assert_no_error (error);
  g_assert_null (dft_import_get_mapping (import, 0));

  run_ok (import, store, NULL, 1, 0);
  aibek = person_by_email (store, "aibek@mvd.example");
  g_assert_cmpstr (dft_record_get_string (aibek, "given_name"), ==, "Aibek");
  g_assert_cmpstr (dft_record_get_string (aibek, "family_name"), ==, "Toktogulov");
  g_assert_null (dft_record_get_string (aibek, "phone"));

  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_mapping_no_name_column (void)
{
  g_autofree char      *dir = NULL;
  g_autoptr (DftStore)  store = dft_test_open_store (&dir);
  g_autoptr (DftImport) import
      = open_text (dir, "no-name.csv", "Nom,Courriel,Agency\nAibek,aibek@example.kg,MVD\n");
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) row_errors = NULL;

  g_assert_false (dft_import_run (import, store, NULL, NULL, NULL, &row_errors, &error));
  g_assert_error (error, DFT_IMPORT_ERROR, DFT_IMPORT_ERROR_NO_NAME_COLUMN);
  /* The message lists what the sheet has, so the user can choose. */
  g_assert_nonnull (strstr (error->message, "“Nom”"));
  g_assert_nonnull (strstr (error->message, "“Courriel”"));
  g_assert_nonnull (strstr (error->message, "Given name"));
  g_assert_cmpuint (row_errors->len, ==, 0);
  g_assert_cmpint (count (store, "SELECT count(*) FROM change_log"), ==, 0);

  /* Mapping the column is the fix. */
  g_clear_error (&error);
  g_assert_true (dft_import_set_mapping (import, 0, "given_name", &error));
  run_ok (import, store, NULL, 1, 0);

  dft_test_dir_free (g_steal_pointer (&dir));
}

/* ---- Rows ------------------------------------------------------------- */

static void
test_rows_errors_nothing_saved (void)
{
  g_autofree char      *dir = NULL;
  g_autoptr (DftStore)  store = dft_test_open_store (&dir);
  g_autoptr (DftRecord) event = dft_test_add_event (store, "Bishkek", "2026-03-02", "2026-03-06");
  g_autoptr (DftImport) import = open_fixture ("rows-with-errors.csv");
  g_autoptr (GPtrArray) lines = NULL;
  gint64                log_before = count (store, "SELECT count(*) FROM change_log");

  g_assert_cmpint (log_before, >, 0); /* the workshop and its sessions */

  lines = run_rows_fail (import, store, dft_record_get_id (event));
  assert_has_line (lines, "Row 3: Email: is not an email address.");
  assert_has_line (lines, "Row 5: Given name: is required.");
  assert_has_line (lines, "Row 6: Gender: “banana” is not understood; write female, male, other "
                          "or leave it empty.");
  assert_has_line (lines, "Row 6: Consent date: “31.02.2026” is not a date; write it like "
                          "2026-03-02 or 02.03.2026 (day first).");
  g_assert_cmpuint (lines->len, ==, 4);

  /* The good rows 2 and 4 were not saved either, and nothing reached the change log. */
  g_assert_cmpint (count (store, "SELECT count(*) FROM person"), ==, 0);
  g_assert_cmpint (count (store, "SELECT count(*) FROM enrollment"), ==, 0);
  g_assert_cmpint (count (store, "SELECT count(*) FROM change_log"), ==, log_before);

  dft_test_dir_free (g_steal_pointer (&dir));
}

/* The store fails in the middle of the transaction: the people already written go too. */
static void
test_rows_atomic_on_store_failure (void)
{
  g_autofree char      *dir = NULL;
  g_autoptr (DftStore)  store = dft_test_open_store (&dir);
  g_autoptr (DftRecord) event = dft_test_add_event (store, "Tbilisi", "2026-04-06", "2026-04-08");
  g_autoptr (DftImport) import = open_fixture ("basic.csv");
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) row_errors = NULL;
  gint64                log_before = count (store, "SELECT count(*) FROM change_log");
  guint                 n_created = 99;

  g_assert_cmpint (sqlite3_exec (_dft_store_get_db (store),
                                 "CREATE TEMP TRIGGER fail_enroll BEFORE INSERT ON enrollment "
                                 "BEGIN SELECT RAISE (ABORT, 'disk full'); END",
                                 NULL, NULL, NULL),
                   ==, SQLITE_OK);

  g_assert_false (dft_import_run (import, store, dft_record_get_id (event), &n_created, NULL,
                                  &row_errors, &error));
  g_assert_nonnull (error);
  g_assert_cmpuint (n_created, ==, 0);
  g_assert_cmpint (count (store, "SELECT count(*) FROM person"), ==, 0);
  g_assert_cmpint (count (store, "SELECT count(*) FROM change_log"), ==, log_before);

  g_assert_cmpint (
      sqlite3_exec (_dft_store_get_db (store), "DROP TRIGGER fail_enroll", NULL, NULL, NULL), ==,
      SQLITE_OK);
  run_ok (import, store, dft_record_get_id (event), 3, 0);

  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_rows_enroll_into_event (void)
{
  g_autofree char       *dir = NULL;
  g_autoptr (DftStore)   store = dft_test_open_store (&dir);
  g_autoptr (DftRecord)  event = dft_test_add_event (store, "Kyiv", "2026-05-11", "2026-05-15");
  g_autoptr (DftRecord)  trainer = dft_test_add_person (store, "Aibek", "Toktogulov");
  g_autoptr (DftRecord)  enrollment = NULL;
  g_autoptr (DftImport)  import = open_fixture ("basic.csv");
  g_autoptr (GListModel) people = NULL;
  g_autoptr (GListModel) enrollments = NULL;
  g_autoptr (GError)     error = NULL;
  const char            *event_id = dft_record_get_id (event);
  guint                  n_trainers = 0;

  /* Aibek is in the register already, as this workshop's trainer. */
  dft_record_set_string (trainer, "email", "AIBEK@example.kg");
  g_assert_true (dft_store_save (store, trainer, &error));
  g_assert_no_error (error);
  enrollment = dft_store_enroll (store, event_id, dft_record_get_id (trainer), "trainer", &error);
  g_assert_no_error (error);

  run_ok (import, store, event_id, 2, 1);

  people = dft_store_list_people (store, event_id);
  g_assert_true (dft_record_list_reload_sync (DFT_RECORD_LIST (people), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (people), ==, 3);

  enrollments = dft_store_list_enrollments (store, event_id);
  g_assert_true (dft_record_list_reload_sync (DFT_RECORD_LIST (enrollments), &error));
  g_assert_cmpuint (g_list_model_get_n_items (enrollments), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (DftRecord) e = g_list_model_get_item (enrollments, i);

      if (g_str_equal (dft_record_get_string (e, "role"), "trainer"))
        n_trainers++;
      else
        g_assert_cmpstr (dft_record_get_string (e, "role"), ==, "participant");
    }
  /* An existing enrollment keeps its role. */
  g_assert_cmpuint (n_trainers, ==, 1);
  g_assert_cmpint (count (store, "SELECT count(*) FROM person"), ==, 3);

  /* Importing the same sheet again duplicates no one who has an email. */
  {
    g_autoptr (DftImport) again = open_fixture ("basic.csv");

    run_ok (again, store, event_id, 1, 2); /* Nino has no email: a second Nino */
    g_assert_cmpint (count (store, "SELECT count(*) FROM enrollment WHERE deleted = 0"), ==, 4);
  }

  /* A workshop that does not exist is refused before anything is saved. */
  {
    g_autoptr (DftImport) third = open_fixture ("semicolon-bom.csv");
    gint64                before = count (store, "SELECT count(*) FROM change_log");

    g_assert_false (dft_import_run (third, store, "no-such-workshop", NULL, NULL, NULL, &error));
    g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND);
    g_assert_cmpint (count (store, "SELECT count(*) FROM change_log"), ==, before);
    g_clear_error (&error);
  }

  /* Amina was enrolled in another workshop and taken off its list; the sheet brings her back,
   * in the same enrollment record rather than a second one. */
  {
    g_autoptr (DftRecord) other
        = dft_test_add_event (store, "Dar es Salaam", "2026-07-06", "2026-07-10");
    g_autoptr (DftRecord) amina = person_by_email (store, "amina@example.tz");
    g_autoptr (DftRecord) removed = NULL;
    g_autoptr (DftImport) amina_sheet
        = open_text (dir, "amina.csv", "Name,Surname,Email\nAmina,Juma,amina@example.tz\n");
    g_autofree char *sql = NULL;

    removed = dft_store_enroll (store, dft_record_get_id (other), dft_record_get_id (amina), NULL,
                                &error);
    g_assert_no_error (error);
    g_assert_true (dft_store_delete (store, removed, &error));
    g_assert_no_error (error);

    run_ok (amina_sheet, store, dft_record_get_id (other), 0, 1);
    sql = g_strdup_printf ("SELECT count(*) FROM enrollment WHERE event_id = '%s' AND deleted = 0",
                           dft_record_get_id (other));
    g_assert_cmpint (count (store, sql), ==, 1);
    g_free (sql);
    sql = g_strdup_printf ("SELECT count(*) FROM enrollment WHERE event_id = '%s'",
                           dft_record_get_id (other));
    g_assert_cmpint (count (store, sql), ==, 1);
  }

  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_email_reuse (void)
{
  g_autofree char      *dir = NULL;
  g_autoptr (DftStore)  store = dft_test_open_store (&dir);
  g_autoptr (DftRecord) aibek = dft_test_add_person (store, "Айбек", "Токтогулов");
  g_autoptr (DftRecord) gone = dft_test_add_person (store, "Nino", "Beridze");
  g_autoptr (DftRecord) reloaded = NULL;
  g_autoptr (DftImport) first = NULL;
  g_autoptr (DftImport) second = NULL;
  g_autoptr (GPtrArray) lines = NULL;
  g_autoptr (GError)    error = NULL;
  gint64                log_before;

  dft_record_set_string (aibek, "email", "Aibek@Example.KG");
  dft_record_set_string (aibek, "agency", "MVD");
  g_assert_true (dft_store_save (store, aibek, &error));
  dft_record_set_string (gone, "email", "nino@example.ge");
  g_assert_true (dft_store_save (store, gone, &error));
  g_assert_true (dft_store_delete (store, gone, &error));
  g_assert_no_error (error);

  /* The address in another case is the same person, spelled in Latin letters. A deleted
   * person is not brought back: the row makes a new one. */
  first = open_text (dir, "first.csv",
                     "First name,Last name,Email,Phone,Agency\n"
                     "Aibek,Toktogulov,aibek@example.kg,+996 555 000 111,Ministry of Interior\n"
                     "Nino,Beridze,nino@example.ge,,\n");
  run_ok (first, store, NULL, 1, 1);
  g_assert_cmpint (count (store, "SELECT count(*) FROM person WHERE deleted = 0"), ==, 2);

  reloaded = dft_store_load (store, &dft_entity_person, dft_record_get_id (aibek), &error);
  g_assert_no_error (error);
  /* What the register held stays; what it lacked is added. */
  g_assert_cmpstr (dft_record_get_string (reloaded, "given_name"), ==, "Айбек");
  g_assert_cmpstr (dft_record_get_string (reloaded, "email"), ==, "Aibek@Example.KG");
  g_assert_cmpstr (dft_record_get_string (reloaded, "agency"), ==, "MVD");
  g_assert_cmpstr (dft_record_get_string (reloaded, "phone"), ==, "+996555000111");

  /* Two rows with one address, and an address of someone else: the user decides. */
  second = open_text (dir, "second.csv",
                      "First name,Last name,Email\n"
                      "Amina,Juma,amina@example.tz\n"
                      "Amina,Juma,AMINA@example.tz\n"
                      "John,Smith,aibek@example.kg\n"
                      "Gulnara,Asanova,\n");
  log_before = count (store, "SELECT count(*) FROM change_log");
  lines = run_rows_fail (second, store, NULL);
  g_assert_cmpuint (lines->len, ==, 2);
  assert_has_line_starting (lines, "Row 3: Email: AMINA@example.tz is also on row 2.", NULL);
  assert_has_line_starting (lines,
                            "Row 4: Email: aibek@example.kg already belongs to Айбек "
                            "Токтогулов",
                            "John Smith");
  g_assert_cmpint (count (store, "SELECT count(*) FROM change_log"), ==, log_before);
  g_assert_cmpint (count (store, "SELECT count(*) FROM person WHERE deleted = 0"), ==, 2);

  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_values (void)
{
  g_autofree char      *dir = NULL;
  g_autoptr (DftStore)  store = dft_test_open_store (&dir);
  g_autoptr (DftImport) good = open_text (dir, "good.csv",
                                          "Name,Gender,Consent,Consent date,Country\n"
                                          "A1,Ж,Да,2.3.2026,Кыргызстан\n"
                                          "A2,мужской,нет,,ua\n"
                                          "A3,ke,ndiyo,02/03/2026,Tanzania\n"
                                          "A4,me,hapana,,Грузия\n"
                                          "A5,Other,X,2026-03-02 10:15,Pakistan\n"
                                          "A6,,TRUE,2026/03/02,germany\n"
                                          "A7,Woman,1,02-03-2026,UKRAINE\n"
                                          "A8,F.,0,,Tajikistan\n");
  g_autoptr (DftImport) bad = open_text (dir, "bad.csv",
                                         "Name,Gender,Consent,Consent date,Country,Phone\n"
                                         "B1,maybe,yes,,,\n"
                                         "B2,m,perhaps,,,\n"
                                         "B3,m,yes,03/25/2026,,\n"
                                         "B4,m,yes,2.3.26,,\n"
                                         "B5,m,no,02.03.2026,,\n"
                                         "B6,m,no,,Atlantis,\n"
                                         "B7,m,no,,kg,call me\n");
  g_autoptr (GPtrArray) lines = NULL;
  struct
  {
    const char *name, *gender, *date, *country;
    gboolean    consent;
  } expect[] = {
    { "A1", "female", "2026-03-02", "KG", TRUE }, { "A2", "male", NULL, "UA", FALSE },
    { "A3", "female", "2026-03-02", "TZ", TRUE }, { "A4", "male", NULL, "GE", FALSE },
    { "A5", "other", "2026-03-02", "PK", TRUE },  { "A6", NULL, "2026-03-02", "DE", TRUE },
    { "A7", "female", "2026-03-02", "UA", TRUE }, { "A8", "female", NULL, "TJ", FALSE },
  };

  run_ok (good, store, NULL, G_N_ELEMENTS (expect), 0);
  for (guint i = 0; i < G_N_ELEMENTS (expect); i++)
    {
      g_autoptr (DftRecord) p = person_by_name (store, expect[i].name);

      g_assert_cmpstr (dft_record_get_string (p, "gender"), ==, expect[i].gender);
      g_assert_cmpstr (dft_record_get_string (p, "consent_date"), ==, expect[i].date);
      g_assert_cmpstr (dft_record_get_string (p, "country"), ==, expect[i].country);
      g_assert_cmpint (dft_record_get_bool (p, "consent"), ==, expect[i].consent);
    }

  lines = run_rows_fail (bad, store, NULL);
  assert_has_line_starting (lines, "Row 2: Gender: “maybe” is not understood", NULL);
  assert_has_line (lines, "Row 3: Consent: “perhaps” is not understood; write yes or no.");
  /* Month first is not turned around: it is refused. */
  assert_has_line_starting (lines, "Row 4: Consent date: “03/25/2026” is not a date", NULL);
  assert_has_line_starting (lines, "Row 5: Consent date: “2.3.26” is not a date", NULL);
  assert_has_line (lines, "Row 6: Consent date: is set but consent was not given.");
  /* A country that is no country is not kept as written: the row waits for a correction. */
  assert_has_line (lines, "Row 7: Country: “Atlantis” is not a country Daftari knows; write its "
                          "name or its two-letter code, such as KG.");
  assert_has_line_starting (lines, "Row 8: Phone: is not a phone number", NULL);
  g_assert_cmpuint (lines->len, ==, 7);

  dft_test_dir_free (g_steal_pointer (&dir));
}

/* ---- XLSX ------------------------------------------------------------- */

#define MAIN_NS "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define DOC_REL "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define PKG_REL "http://schemas.openxmlformats.org/package/2006/relationships"

static const char content_types[]
    = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
      "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
      "<Default Extension=\"rels\" "
      "ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
      "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
      "<Override PartName=\"/xl/workbook.xml\" "
      "ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>"
      "</Types>";

static const char package_rels[]
    = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<Relationships xmlns=\"" PKG_REL "\">"
      "<Relationship Id=\"rId1\" Type=\"" DOC_REL "/officeDocument\" Target=\"xl/workbook.xml\"/>"
      "</Relationships>";

/* The first sheet is a hidden list of choices; the participants are on the second. */
static const char workbook[]
    = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<workbook xmlns=\"" MAIN_NS "\" xmlns:r=\"" DOC_REL "\">"
      "<workbookPr defaultThemeVersion=\"164011\"/>"
      "<sheets>"
      "<sheet name=\"Lists\" sheetId=\"2\" state=\"hidden\" r:id=\"rId2\"/>"
      "<sheet name=\"Participants\" sheetId=\"1\" r:id=\"rId1\"/>"
      "</sheets></workbook>";

static const char workbook_rels[]
    = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<Relationships xmlns=\"" PKG_REL "\">"
      "<Relationship Id=\"rId1\" Type=\"" DOC_REL "/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
      "<Relationship Id=\"rId2\" Type=\"" DOC_REL
      "/worksheet\" Target=\"/xl/worksheets/sheet2.xml\"/>"
      "<Relationship Id=\"rId3\" Type=\"" DOC_REL "/styles\" Target=\"styles.xml\"/>"
      "<Relationship Id=\"rId4\" Type=\"" DOC_REL "/sharedStrings\" Target=\"sharedStrings.xml\"/>"
      "</Relationships>";

/* Cell formats: 0 general, 1 built-in date (14), 2 custom date, 3 text. The date in
 * cellStyleXfs must not shift the indexes of cellXfs. */
static const char styles[]
    = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<styleSheet xmlns=\"" MAIN_NS "\">"
      "<numFmts count=\"2\"><numFmt numFmtId=\"164\" formatCode=\"dd/mm/yyyy;@\"/>"
      "<numFmt numFmtId=\"165\" formatCode=\"&quot;day &quot;0\"/></numFmts>"
      "<cellStyleXfs count=\"1\"><xf numFmtId=\"14\"/></cellStyleXfs>"
      "<cellXfs count=\"5\"><xf numFmtId=\"0\" xfId=\"0\"/>"
      "<xf numFmtId=\"14\" xfId=\"0\" applyNumberFormat=\"1\"/>"
      "<xf numFmtId=\"164\" xfId=\"0\" applyNumberFormat=\"1\"/>"
      "<xf numFmtId=\"49\" xfId=\"0\" applyNumberFormat=\"1\"/>"
      "<xf numFmtId=\"165\" xfId=\"0\" applyNumberFormat=\"1\"/></cellXfs>"
      "</styleSheet>";

static const char shared_strings[]
    = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<sst xmlns=\"" MAIN_NS "\" count=\"13\" uniqueCount=\"13\">"
      "<si><t>First name</t></si>"
      "<si><t>Surname</t></si>"
      "<si><t>E-mail</t></si>"
      "<si><t>Phone</t></si>"
      "<si><t>Consent</t></si>"
      "<si><t>Consent date</t></si>"
      "<si><t>Gender</t></si>"
      "<si><t>Agency</t></si>"
      /* 8: rich text in two runs, with a phonetic guide that is not part of the text */
      "<si><r><t>Ai</t></r><r><rPr><b/><sz val=\"11\"/></rPr><t>bek</t></r>"
      "<rPh sb=\"0\" eb=\"2\"><t>アイ</t></rPh></si>"
      "<si><t xml:space=\"preserve\"> Toktogulov </t></si>"
      "<si><t>Айгуль</t></si>"
      /* 11: Excel's escape for a carriage return */
      "<si><t>Ministry_x000D_\nof Interior</t></si>"
      "<si><t>Nino</t></si>"
      "</sst>";

static const char sheet1[]
    = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<worksheet xmlns=\"" MAIN_NS "\" xmlns:r=\"" DOC_REL "\">"
      "<dimension ref=\"A1:H6\"/><sheetData>"
      "<row r=\"1\" spans=\"1:8\">"
      "<c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c><c r=\"C1\" "
      "t=\"s\"><v>2</v></c>"
      "<c r=\"D1\" t=\"s\"><v>3</v></c><c r=\"E1\" t=\"s\"><v>4</v></c><c r=\"F1\" "
      "t=\"s\"><v>5</v></c>"
      "<c r=\"G1\" t=\"s\"><v>6</v></c><c r=\"H1\" t=\"s\"><v>7</v></c>"
      "<c r=\"I1\" t=\"inlineStr\"><is><t>Score</t></is></c></row>"
      "<row r=\"2\">"
      "<c r=\"A2\" t=\"s\"><v>8</v></c><c r=\"B2\" t=\"s\"><v>9</v></c>"
      "<c r=\"C2\" t=\"inlineStr\"><is><t>aibek@example.kg</t></is></c>"
      "<c r=\"D2\"><v>9.96555123456E+11</v></c>"
      "<c r=\"E2\" t=\"b\"><v>1</v></c>"
      "<c r=\"F2\" s=\"1\"><v>46083</v></c>"
      "<c r=\"G2\" t=\"inlineStr\"><is><r><t>m</t></r></is></c>"
      "<c r=\"H2\" t=\"s\"><v>11</v></c><c r=\"I2\"><v>0.30000000000000004</v></c></row>"
      /* Row 3 is missing; C4 is missing but D4 stays in column D. */
      "<row r=\"4\">"
      "<c r=\"A4\" t=\"s\"><v>10</v></c>"
      "<c r=\"B4\" t=\"inlineStr\"><is><t>Асанова</t></is></c>"
      "<c r=\"D4\" t=\"str\"><f>\"+996 700 \"&amp;\"000 000\"</f><v>+996 700 000 000</v></c>"
      "<c r=\"E4\" t=\"b\"><v>1</v></c>"
      "<c r=\"F4\" s=\"2\"><v>46084</v></c>"
      "<c r=\"G4\" t=\"inlineStr\"><is><t>ж</t></is></c>"
      "<c r=\"H4\" s=\"4\"><v>7</v></c><c r=\"I4\"><v>-0</v></c></row>"
      /* Formatted but empty cells: not a row. */
      "<row r=\"5\"><c r=\"A5\" s=\"3\"/><c r=\"B5\" s=\"3\"/></row>"
      /* A date typed into a cell without a date format is the bare serial number. */
      "<row r=\"6\">"
      "<c r=\"A6\" t=\"s\"><v>12</v></c><c r=\"E6\"><v>1</v></c><c r=\"F6\"><v>46085</v></c>"
      "<c r=\"G6\" t=\"inlineStr\"><is><t>F</t></is></c></row>"
      "</sheetData></worksheet>";

static const char sheet2[]
    = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<worksheet xmlns=\"" MAIN_NS "\"><sheetData>"
      "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>Name</t></is></c></row>"
      "<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>Wrong sheet</t></is></c></row>"
      "</sheetData></worksheet>";

static char *
write_workbook (
    const char *dir, const char *name, const char *book, const char *sheet, const char *strings)
{
  char       *path = g_build_filename (dir, name, NULL);
  const char *parts[] = {
    "[Content_Types].xml",
    content_types,
    "_rels/.rels",
    package_rels,
    "xl/workbook.xml",
    book,
    "xl/_rels/workbook.xml.rels",
    workbook_rels,
    "xl/styles.xml",
    styles,
    "xl/sharedStrings.xml",
    strings,
    "xl/worksheets/sheet1.xml",
    sheet,
    "xl/worksheets/sheet2.xml",
    sheet2,
    NULL,
  };

  write_zip (path, parts);
  return path;
}

static char *
write_xlsx (const char *dir, const char *name, const char *sheet, const char *strings)
{
  return write_workbook (dir, name, workbook, sheet, strings);
}

static void
test_xlsx_basic (void)
{
  g_autofree char      *dir = NULL;
  g_autoptr (DftStore)  store = dft_test_open_store (&dir);
  g_autofree char      *path = write_xlsx (dir, "signup.xlsx", sheet1, shared_strings);
  g_autofree char      *disguised = NULL;
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftImport) import = dft_import_new_from_file (path, &error);
  g_autoptr (DftRecord) aibek = NULL;
  g_autoptr (DftRecord) aigul = NULL;
  g_autoptr (DftRecord) nino = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (dft_import_get_n_columns (import), ==, 9);
  g_assert_cmpuint (dft_import_get_n_rows (import), ==, 3);
  g_assert_cmpstr (dft_import_get_header (import, 2), ==, "E-mail");
  g_assert_cmpstr (dft_import_get_mapping (import, 0), ==, "given_name");
  g_assert_cmpstr (dft_import_get_mapping (import, 5), ==, "consent_date");
  g_assert_cmpstr (dft_import_get_mapping (import, 7), ==, "agency");
  g_assert_null (dft_import_get_mapping (import, 8));

  g_assert_cmpstr (dft_import_get_cell (import, 0, 0), ==, "Aibek");
  g_assert_cmpstr (dft_import_get_cell (import, 0, 1), ==, "Toktogulov");
  g_assert_cmpstr (dft_import_get_cell (import, 0, 2), ==, "aibek@example.kg");
  g_assert_cmpstr (dft_import_get_cell (import, 0, 3), ==, "996555123456");
  g_assert_cmpstr (dft_import_get_cell (import, 0, 4), ==, "TRUE");
  g_assert_cmpstr (dft_import_get_cell (import, 0, 5), ==, "2026-03-02");
  g_assert_cmpstr (dft_import_get_cell (import, 0, 7), ==, "Ministry\nof Interior");
  g_assert_cmpstr (dft_import_get_cell (import, 0, 8), ==, "0.3");
  g_assert_cmpuint (dft_import_get_row_number (import, 1), ==, 4);
  g_assert_cmpstr (dft_import_get_cell (import, 1, 2), ==, "");
  g_assert_cmpstr (dft_import_get_cell (import, 1, 3), ==, "+996 700 000 000");
  g_assert_cmpstr (dft_import_get_cell (import, 1, 5), ==, "2026-03-03");
  g_assert_cmpstr (dft_import_get_cell (import, 1, 7), ==, "7"); /* "day 7" is no date */
  g_assert_cmpstr (dft_import_get_cell (import, 1, 8), ==, "0");
  g_assert_cmpuint (dft_import_get_row_number (import, 2), ==, 6);
  g_assert_cmpstr (dft_import_get_cell (import, 2, 5), ==, "46085");

  run_ok (import, store, NULL, 3, 0);

  aibek = person_by_email (store, "aibek@example.kg");
  g_assert_cmpstr (dft_record_get_string (aibek, "given_name"), ==, "Aibek");
  g_assert_cmpstr (dft_record_get_string (aibek, "phone"), ==, "996555123456");
  g_assert_cmpstr (dft_record_get_string (aibek, "gender"), ==, "male");
  g_assert_true (dft_record_get_bool (aibek, "consent"));
  g_assert_cmpstr (dft_record_get_string (aibek, "consent_date"), ==, "2026-03-02");

  aigul = person_by_name (store, "Айгуль");
  g_assert_cmpstr (dft_record_get_string (aigul, "family_name"), ==, "Асанова");
  g_assert_cmpstr (dft_record_get_string (aigul, "gender"), ==, "female");
  g_assert_cmpstr (dft_record_get_string (aigul, "consent_date"), ==, "2026-03-03");

  nino = person_by_name (store, "Nino");
  g_assert_true (dft_record_get_bool (nino, "consent"));
  g_assert_cmpstr (dft_record_get_string (nino, "consent_date"), ==, "2026-03-04");

  /* The content decides, not the name: a workbook called .csv is still a workbook. */
  disguised = write_xlsx (dir, "signup.csv", sheet1, shared_strings);
  {
    g_autoptr (DftImport) again = dft_import_new_from_file (disguised, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (dft_import_get_cell (again, 0, 0), ==, "Aibek");
  }

  dft_test_dir_free (g_steal_pointer (&dir));
}

static const char dates_sheet[]
    = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<worksheet xmlns=\"" MAIN_NS "\"><sheetData>"
      "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>4</v></c>"
      "<c r=\"C1\" t=\"s\"><v>5</v></c></row>"
      "<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>D2</t></is></c><c r=\"B2\" "
      "t=\"b\"><v>1</v></c>"
      "<c r=\"C2\" s=\"1\"><v>%s</v></c></row>"
      "<row r=\"3\"><c r=\"A3\" t=\"inlineStr\"><is><t>D3</t></is></c><c r=\"B3\" "
      "t=\"b\"><v>1</v></c>"
      "<c r=\"C3\"><v>%s</v></c></row>"
      "</sheetData></worksheet>";

static void
check_dates (const char *dir,
             const char *book,
             const char *serial_a,
             const char *serial_b,
             const char *shown_a,
             const char *date_a,
             const char *date_b)
{
  g_autofree char      *sheet = g_strdup_printf (dates_sheet, serial_a, serial_b);
  g_autofree char      *path = write_workbook (dir, "dates.xlsx", book, sheet, shared_strings);
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftImport) import = dft_import_new_from_file (path, &error);
  g_autofree char      *store_dir = NULL;
  g_autoptr (DftStore)  store = dft_test_open_store (&store_dir);
  g_autoptr (DftRecord) a = NULL;
  g_autoptr (DftRecord) b = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (dft_import_get_cell (import, 0, 2), ==, shown_a);
  run_ok (import, store, NULL, 2, 0);
  a = person_by_name (store, "D2");
  b = person_by_name (store, "D3");
  g_assert_cmpstr (dft_record_get_string (a, "consent_date"), ==, date_a);
  g_assert_cmpstr (dft_record_get_string (b, "consent_date"), ==, date_b);
  dft_test_dir_free (g_steal_pointer (&store_dir));
}

static void
test_xlsx_dates (void)
{
  g_autofree char      *dir = dft_test_make_dir ();
  g_autofree char      *book_1904 = NULL;
  g_autofree char      *path = NULL;
  g_autofree char      *sheet = NULL;
  g_autoptr (DftImport) import = NULL;
  g_autoptr (GError)    error = NULL;
  g_autofree char      *store_dir = NULL;
  g_autoptr (DftStore)  store = dft_test_open_store (&store_dir);
  g_autoptr (GPtrArray) lines = NULL;

  /* The 1900 date system counts a 29 February 1900 that never was: serial 59 is
   * 28 February, 61 is 1 March. A time of day after the date is dropped. */
  check_dates (dir, workbook, "46083.75", "59", "2026-03-02 18:00", "2026-03-02", "1900-02-28");
  check_dates (dir, workbook, "61", "46085", "1900-03-01", "1900-03-01", "2026-03-04");

  /* Workbooks from old Macs count from 1904. */
  {
    g_auto (GStrv) halves = g_strsplit (workbook, "<workbookPr ", 2);

    g_assert_cmpuint (g_strv_length (halves), ==, 2);
    book_1904 = g_strjoin ("", halves[0], "<workbookPr date1904=\"true\" ", halves[1], NULL);
  }
  check_dates (dir, book_1904, "44621", "44622", "2026-03-02", "2026-03-02", "2026-03-03");

  /* The day that never was is no date. */
  sheet = g_strdup_printf (dates_sheet, "46083", "60");
  path = write_workbook (dir, "lotus.xlsx", workbook, sheet, shared_strings);
  import = dft_import_new_from_file (path, &error);
  g_assert_no_error (error);
  lines = run_rows_fail (import, store, NULL);
  assert_has_line_starting (lines, "Row 3: Consent date: “60” is not a date", NULL);

  dft_test_dir_free (g_steal_pointer (&store_dir));
  dft_test_dir_free (g_steal_pointer (&dir));
}

/* A workbook read through daftari-xls-reader, the error it gave or NULL. */
static GError *
read_xls (const char *path, DftWorkbook **out)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *data = NULL;
  gsize              len = 0;
  DftWorkbook       *wb;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  wb = dft_workbook_new_from_data ("sheet.xls", data, len, 1000, 100, &error);
  if (wb != NULL && out != NULL)
    *out = wb;
  else if (wb != NULL)
    {
      /* Whatever the reader gave, every sheet of it reads or fails cleanly. */
      for (guint i = 0; i < dft_workbook_get_n_sheets (wb) && error == NULL; i++)
        dft_workbook_read_sheet (wb, i, &error);
      dft_workbook_free (wb);
    }
  return g_steal_pointer (&error);
}

static char *
write_reader (const char *dir, const char *name, const char *script)
{
  char *path = write_file (dir, name, script, -1);

  g_assert_cmpint (g_chmod (path, 0755), ==, 0);
  return path;
}

/* FreeXL runs in a process of its own: whatever it does with a damaged file, Daftari gets an
 * error that says so and goes on. */
static void
test_xls_reader_process (void)
{
  g_autofree char *dir = dft_test_make_dir ();
  g_autofree char *reader = g_strdup (g_getenv ("DAFTARI_XLS_READER"));
  g_autofree char *good
      = g_build_filename (g_getenv ("DAFTARI_TEST_DATA"), "import", "group.xls", NULL);
  g_autofree char *huge = g_build_filename (g_getenv ("DAFTARI_TEST_DATA"), "..", "fuzz", "crashes",
                                            "sheet-xls", "freexl-open-4gib-malloc.xls", NULL);
  g_autofree char *crashing = write_reader (dir, "crash.sh", "#!/bin/sh\nkill -SEGV $$\n");
  g_autofree char *echoing = write_reader (dir, "echo.sh", "#!/bin/sh\ncat \"$1\"\n");
  g_autofree char *shuffled = NULL;
  g_autofree char *shuffled_reader = NULL;
  g_autoptr (GVariant) out_of_order = NULL;
  g_autoptr (GError)   error = NULL;
  DftWorkbook         *wb = NULL;
  const DftSheet      *sheet;

  g_assert_nonnull (reader);

  /* The real reader reads a real workbook: XLSForm's survey sheet. */
  error = read_xls (good, &wb);
  g_assert_no_error (error);
  g_assert_cmpuint (dft_workbook_get_n_sheets (wb), >=, 1);
  sheet = dft_workbook_read_sheet (wb, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sheet->name, ==, "survey");
  g_assert_cmpuint (sheet->rows->len, >, 3);
  g_assert_cmpstr (((DftSheetRow *) sheet->rows->pdata[0])->cells[0], ==, "type");
  g_assert_cmpstr (((DftSheetRow *) sheet->rows->pdata[0])->cells[1], ==, "name");
  g_clear_pointer (&wb, dft_workbook_free);

  /* A 6 KB file whose directory declares 4 GB: the reader's memory limit stops FreeXL. */
  error = read_xls (huge, NULL);
  g_assert_error (error, DFT_SHEET_ERROR, DFT_SHEET_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "damaged"));
  g_clear_error (&error);

  /* A reader that crashes, as FreeXL did on damaged files. */
  g_setenv ("DAFTARI_XLS_READER", crashing, TRUE);
  error = read_xls (good, NULL);
  g_assert_error (error, DFT_SHEET_ERROR, DFT_SHEET_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "damaged"));
  g_clear_error (&error);

  /* A reader that writes anything at all (the file itself): read as untrusted data. */
  g_setenv ("DAFTARI_XLS_READER", echoing, TRUE);
  g_clear_error (&error);
  error = read_xls (good, NULL);
  g_clear_error (&error);
  error = read_xls (huge, NULL);
  g_clear_error (&error);

  /* Rows out of order, as only a broken reader writes them. */
  out_of_order = g_variant_ref_sink (
      g_variant_new_parsed ("[('survey', [(uint32 3, [(uint16 0, 'b')]), (2, [(0, 'a')])])]"));
  shuffled = write_file (dir, "shuffled.gvariant", g_variant_get_data (out_of_order),
                         (gssize) g_variant_get_size (out_of_order));
  shuffled_reader = g_strdup_printf ("#!/bin/sh\ncat '%s'\n", shuffled);
  g_free (g_steal_pointer (&shuffled));
  shuffled = write_reader (dir, "shuffled.sh", shuffled_reader);
  g_setenv ("DAFTARI_XLS_READER", shuffled, TRUE);
  error = read_xls (good, NULL);
  g_assert_error (error, DFT_SHEET_ERROR, DFT_SHEET_ERROR_FORMAT);
  g_clear_error (&error);

  /* No reader at all: the message names it and offers .xlsx. */
  g_setenv ("DAFTARI_XLS_READER", "/nonexistent/daftari-xls-reader", TRUE);
  error = read_xls (good, NULL);
  g_assert_error (error, DFT_SHEET_ERROR, DFT_SHEET_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "/nonexistent/daftari-xls-reader"));
  g_assert_nonnull (strstr (error->message, ".xlsx"));
  g_clear_error (&error);

  g_setenv ("DAFTARI_XLS_READER", reader, TRUE);
  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_xlsx_corrupt (void)
{
  g_autofree char *dir = dft_test_make_dir ();
  g_autofree char *garbage = write_file (dir, "garbage.xlsx", "PK\3\4 this is not a zip", -1);
  g_autofree char *good = write_xlsx (dir, "good.xlsx", sheet1, shared_strings);
  g_autofree char *truncated = NULL;
  g_autofree char *ods = g_build_filename (dir, "sheet.ods", NULL);
  g_autofree char *docx = g_build_filename (dir, "letter.docx", NULL);
  g_autofree char *xls = write_file (dir, "old.xls", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0", 10);
  g_autofree char *broken_xml = NULL;
  g_autofree char *bad_index = NULL;
  g_autofree char *wide = NULL;
  g_autofree char *contents = NULL;
  const char      *ods_parts[] = {
         "mimetype",    "application/vnd.oasis.opendocument.spreadsheet",
         "content.xml", "<office:document-content/>",
         NULL,
  };
  const char *docx_parts[] = { "word/document.xml", "<w:document/>", NULL };
  gsize       len = 0;

  assert_open_fails (garbage, DFT_IMPORT_ERROR_FORMAT, "damaged");

  /* Half a workbook, as an interrupted copy leaves it. */
  g_assert_true (g_file_get_contents (good, &contents, &len, NULL));
  truncated = write_file (dir, "truncated.xlsx", contents, (gssize) (len / 2));
  assert_open_fails (truncated, DFT_IMPORT_ERROR_FORMAT, "truncated.xlsx");

  /* The directory at the end is whole, but a member's own header is not: libgsf would warn
   * (fatal in tests) if asked the usual way. */
  {
    const char      *member = "xl/worksheets/sheet1.xml";
    char            *at = memmem (contents, len, member, strlen (member));
    g_autofree char *damaged = NULL;

    g_assert_nonnull (at);
    g_assert_cmpint (memcmp (at - 30, "PK\3\4", 4), ==, 0);
    memcpy (at - 30, "XX", 2);
    damaged = write_file (dir, "member.xlsx", contents, (gssize) len);
    assert_open_fails (damaged, DFT_IMPORT_ERROR_FORMAT, member);
  }

  write_zip (ods, ods_parts);
  assert_open_fails (ods, DFT_IMPORT_ERROR_FORMAT, "OpenDocument spreadsheet");
  write_zip (docx, docx_parts);
  assert_open_fails (docx, DFT_IMPORT_ERROR_FORMAT, "not an Excel workbook");
  assert_open_fails (xls, DFT_IMPORT_ERROR_FORMAT, ".xls");

  broken_xml = write_xlsx (dir, "broken.xlsx",
                           "<worksheet xmlns=\"" MAIN_NS "\"><sheetData><row r=\"1\">"
                           "<c r=\"A1\" t=\"inlineStr\"><is><t>Name</t></is></c></row><row",
                           shared_strings);
  assert_open_fails (broken_xml, DFT_IMPORT_ERROR_FORMAT, "xl/worksheets/sheet1.xml");

  bad_index = write_xlsx (dir, "index.xlsx",
                          "<worksheet xmlns=\"" MAIN_NS "\"><sheetData>"
                          "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>"
                          "<row r=\"2\"><c r=\"A2\" t=\"s\"><v>4000</v></c></row>"
                          "</sheetData></worksheet>",
                          shared_strings);
  assert_open_fails (bad_index, DFT_IMPORT_ERROR_FORMAT, "damaged");

  /* Column GT is the 202nd. */
  wide = write_xlsx (dir, "wide.xlsx",
                     "<worksheet xmlns=\"" MAIN_NS "\"><sheetData>"
                     "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c>"
                     "<c r=\"GT1\" t=\"inlineStr\"><is><t>far away</t></is></c></row>"
                     "</sheetData></worksheet>",
                     shared_strings);
  assert_open_fails (wide, DFT_IMPORT_ERROR_TOO_LARGE, "200");

  dft_test_dir_free (g_steal_pointer (&dir));
}

/*
 * A small file whose compressed parts expand into hundreds of megabytes of shared strings, or
 * whose cells repeat one huge shared string, is refused before it fills the laptop's memory.
 */
static void
test_xlsx_bombs (void)
{
  g_autofree char    *dir = dft_test_make_dir ();
  g_autoptr (GString) many = g_string_new ("<sst xmlns=\"" MAIN_NS "\">");
  g_autoptr (GString) big = g_string_new ("<sst xmlns=\"" MAIN_NS "\">");
  g_autoptr (GString) huge_one = g_string_new ("<sst xmlns=\"" MAIN_NS "\"><si><t>");
  g_autoptr (GString) repeats = g_string_new ("<worksheet xmlns=\"" MAIN_NS "\"><sheetData>");
  g_autofree char    *megabyte = g_strnfill (1000 * 1000, 'a');
  g_autofree char    *path = NULL;

  /* Half a million and one strings of one letter. */
  for (guint i = 0; i <= 500000; i++)
    g_string_append (many, "<si><t>x</t></si>");
  g_string_append (many, "</sst>");
  path = write_xlsx (dir, "many.xlsx", "<worksheet xmlns=\"" MAIN_NS "\"><sheetData/></worksheet>",
                     many->str);
  assert_open_fails (path, DFT_IMPORT_ERROR_TOO_LARGE, "more text");
  g_clear_pointer (&path, g_free);

  /* Forty strings of a megabyte. */
  for (guint i = 0; i < 40; i++)
    g_string_append_printf (big, "<si><t>%s</t></si>", megabyte);
  g_string_append (big, "</sst>");
  path = write_xlsx (dir, "big.xlsx", "<worksheet xmlns=\"" MAIN_NS "\"><sheetData/></worksheet>",
                     big->str);
  assert_open_fails (path, DFT_IMPORT_ERROR_TOO_LARGE, "more text");
  g_clear_pointer (&path, g_free);

  /* One megabyte string, in 70 cells: 70 MB of cells from a 1 MB part. */
  g_string_append_printf (huge_one, "%s</t></si></sst>", megabyte);
  for (guint r = 1; r <= 70; r++)
    g_string_append_printf (repeats, "<row r=\"%u\"><c r=\"A%u\" t=\"s\"><v>0</v></c></row>", r, r);
  g_string_append (repeats, "</sheetData></worksheet>");
  path = write_xlsx (dir, "repeats.xlsx", repeats->str, huge_one->str);
  assert_open_fails (path, DFT_IMPORT_ERROR_TOO_LARGE, "more text");

  dft_test_dir_free (g_steal_pointer (&dir));
}

/* ---- Scripts ---------------------------------------------------------- */

static void
assert_found (DftStore *store, const char *query, const char *given)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) found = dft_store_find_people (store, query, 10, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < found->len; i++)
    if (g_strcmp0 (dft_record_get_string (g_ptr_array_index (found, i), "given_name"), given) == 0)
      return;
  g_test_fail_printf ("“%s” does not find %s", query, given);
}

static void
test_scripts (void)
{
  g_autofree char      *dir = NULL;
  g_autoptr (DftStore)  store = dft_test_open_store (&dir);
  g_autoptr (DftImport) import = open_fixture ("scripts.csv");
  struct
  {
    const char *given, *family, *country;
  } expect[] = {
    { "Айбек", "Токтогулов", "KG" },
    { "გიორგი", "ბერიძე", "GE" },
    { "محمد", "خان", "PK" },
    { "Олександр", "Шевченко", "UA" },
  };

  run_ok (import, store, NULL, G_N_ELEMENTS (expect), 0);
  for (guint i = 0; i < G_N_ELEMENTS (expect); i++)
    {
      g_autoptr (DftRecord) p = person_by_name (store, expect[i].given);
      const char           *family = dft_record_get_string (p, "family_name");

      /* Byte for byte: no normalisation, no transliteration of what is stored. */
      g_assert_cmpuint (strlen (family), ==, strlen (expect[i].family));
      g_assert_cmpint (memcmp (family, expect[i].family, strlen (family)), ==, 0);
      g_assert_cmpstr (dft_record_get_string (p, "country"), ==, expect[i].country);
    }

  assert_found (store, "aibek", "Айбек");
  assert_found (store, "Toktogulov", "Айбек");
  assert_found (store, "giorgi", "გიორგი");
  assert_found (store, "beridze", "გიორგი");
  assert_found (store, "محمد", "محمد");
  assert_found (store, "oleksandr", "Олександр");

  dft_test_dir_free (g_steal_pointer (&dir));
}

/* ---- Async ------------------------------------------------------------ */

static void
result_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  GAsyncResult **out = data;

  *out = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static void
test_async (void)
{
  g_autofree char      *dir = NULL;
  g_autoptr (DftStore)  store = dft_test_open_store (&dir);
  g_autoptr (DftRecord) event = dft_test_add_event (store, "Islamabad", "2026-06-01", "2026-06-03");
  g_autofree char      *path = fixture_path ("basic.csv");
  g_autofree char      *bad = fixture_path ("rows-with-errors.csv");
  g_autoptr (GAsyncResult) opened = NULL;
  g_autoptr (GAsyncResult) ran = NULL;
  g_autoptr (GAsyncResult) bad_opened = NULL;
  g_autoptr (GAsyncResult) bad_ran = NULL;
  g_autoptr (DftImport)    import = NULL;
  g_autoptr (DftImport)    bad_import = NULL;
  g_autoptr (GPtrArray)    row_errors = NULL;
  g_autoptr (GError)       error = NULL;
  guint                    n_created = 0, n_reused = 99;

  dft_import_new_from_file_async (path, NULL, result_cb, &opened);
  import = dft_import_new_from_file_finish (wait_result (&opened), &error);
  g_assert_no_error (error);

  dft_import_run_async (import, store, dft_record_get_id (event), NULL, result_cb, &ran);
  /* The mapping was copied when the run started. */
  g_assert_true (dft_import_set_mapping (import, 0, NULL, &error));
  g_assert_true (dft_import_run_finish (import, wait_result (&ran), &n_created, &n_reused,
                                        &row_errors, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_created, ==, 3);
  g_assert_cmpuint (n_reused, ==, 0);
  g_assert_cmpuint (row_errors->len, ==, 0);
  g_clear_pointer (&row_errors, g_ptr_array_unref);

  dft_import_new_from_file_async (bad, NULL, result_cb, &bad_opened);
  bad_import = dft_import_new_from_file_finish (wait_result (&bad_opened), &error);
  g_assert_no_error (error);
  dft_import_run_async (bad_import, store, NULL, NULL, result_cb, &bad_ran);
  g_assert_false (
      dft_import_run_finish (bad_import, wait_result (&bad_ran), NULL, NULL, &row_errors, &error));
  g_assert_error (error, DFT_IMPORT_ERROR, DFT_IMPORT_ERROR_ROWS);
  g_assert_cmpuint (row_errors->len, ==, 4);
  g_assert_cmpint (count (store, "SELECT count(*) FROM person"), ==, 3);

  /* A cancelled run saves nothing. */
  {
    g_autoptr (GCancellable) cancellable = g_cancellable_new ();
    g_autoptr (GAsyncResult) cancelled = NULL;
    g_autoptr (DftImport)    third = open_fixture ("semicolon-bom.csv");
    gint64                   before = count (store, "SELECT count(*) FROM change_log");

    g_clear_error (&error);
    g_cancellable_cancel (cancellable);
    dft_import_run_async (third, store, NULL, cancellable, result_cb, &cancelled);
    g_assert_false (
        dft_import_run_finish (third, wait_result (&cancelled), NULL, NULL, NULL, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_assert_cmpint (count (store, "SELECT count(*) FROM change_log"), ==, before);
  }

  dft_test_drain ();
  dft_test_dir_free (g_steal_pointer (&dir));
}

int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);

  g_test_add_func ("/import/csv/basic", test_csv_basic);
  g_test_add_func ("/import/csv/semicolon-bom", test_csv_semicolon_bom);
  g_test_add_func ("/import/csv/utf16", test_csv_utf16);
  g_test_add_func ("/import/csv/quoted-newlines", test_csv_quoted_newlines);
  g_test_add_func ("/import/csv/not-utf8", test_csv_not_utf8);
  g_test_add_func ("/import/csv/unterminated-quote", test_csv_unterminated_quote);
  g_test_add_func ("/import/csv/empty", test_csv_empty);
  g_test_add_func ("/import/csv/limits", test_csv_limits);
  g_test_add_func ("/import/mapping/guess-russian", test_mapping_guess_russian);
  g_test_add_func ("/import/mapping/guess-languages", test_mapping_guess_languages);
  g_test_add_func ("/import/mapping/override", test_mapping_override);
  g_test_add_func ("/import/mapping/no-name-column", test_mapping_no_name_column);
  g_test_add_func ("/import/rows/errors-nothing-saved", test_rows_errors_nothing_saved);
  g_test_add_func ("/import/rows/atomic-on-store-failure", test_rows_atomic_on_store_failure);
  g_test_add_func ("/import/rows/enroll-into-event", test_rows_enroll_into_event);
  g_test_add_func ("/import/email-reuse", test_email_reuse);
  g_test_add_func ("/import/values", test_values);
  g_test_add_func ("/import/xlsx/basic", test_xlsx_basic);
  g_test_add_func ("/import/xlsx/dates", test_xlsx_dates);
  g_test_add_func ("/import/xlsx/corrupt", test_xlsx_corrupt);
  g_test_add_func ("/import/xlsx/bombs", test_xlsx_bombs);
  g_test_add_func ("/import/xls/reader-process", test_xls_reader_process);
  g_test_add_func ("/import/scripts", test_scripts);
  g_test_add_func ("/import/async", test_async);

  return g_test_run ();
}
