/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>

#include "dft-test-util.h"
#include "dft-uuid.h"

/* The command-line tool as a coordinator's script uses it: a real process, its output and exit
 * code. */

typedef struct
{
  char *out;
  char *err;
  int   code;
} Run;

static void
run_clear (Run *r)
{
  g_clear_pointer (&r->out, g_free);
  g_clear_pointer (&r->err, g_free);
}

static Run
cli (const char *db, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError)    error = NULL;
  Run                   r = { 0 };
  int                   status = 0;
  va_list               ap;
  const char           *arg;

  g_ptr_array_add (argv, (gpointer) g_getenv ("DAFTARI_CLI"));
  if (db != NULL)
    {
      g_ptr_array_add (argv, (gpointer) "--db");
      g_ptr_array_add (argv, (gpointer) db);
    }
  va_start (ap, db);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &r.out, &r.err, &status, &error));
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status));
  r.code = WEXITSTATUS (status);
  return r;
}

static char *
first_line (const char *text)
{
  const char *nl = strchr (text, '\n');
  return g_strndup (text, nl != NULL ? (gsize) (nl - text) : strlen (text));
}

static guint
count_lines (const char *text)
{
  guint n = 0;
  for (const char *p = text; *p != '\0'; p++)
    n += *p == '\n';
  return n;
}

static void
test_cli_usage (void)
{
  Run r = cli (NULL, NULL);

  g_assert_cmpint (r.code, ==, 2);
  g_assert_true (strstr (r.out, "import") != NULL);
  run_clear (&r);

  r = cli (NULL, "frobnicate", NULL);
  g_assert_cmpint (r.code, ==, 2);
  g_assert_true (strstr (r.err, "frobnicate") != NULL);
  run_clear (&r);

  /* Help needs no database. */
  r = cli ("/nonexistent/dir/x.db", "import", "--help", NULL);
  g_assert_cmpint (r.code, ==, 0);
  g_assert_true (strstr (r.out, "--map") != NULL);
  run_clear (&r);
}

static void
test_cli_workshop_day (void)
{
  g_autofree char *dir = dft_test_make_dir ();
  g_autofree char *db = g_build_filename (dir, "cli.db", NULL);
  g_autofree char *csv = g_build_filename (dir, "signup.csv", NULL);
  g_autofree char *event_id = NULL;
  g_autofree char *person_id = NULL;
  g_autofree char *session_id = NULL;
  Run              r;

  r = cli (db, "init", NULL);
  g_assert_cmpint (r.code, ==, 0);
  g_assert_true (strstr (r.out, db) != NULL);
  run_clear (&r);

  r = cli (db, "event-add", "--title", "Financial investigations", "--start", "2026-03-02", "--end",
           "2026-03-04", "--track", "NAPOR", "--country", "KG", "--city", "Bishkek", NULL);
  g_assert_cmpint (r.code, ==, 0);
  event_id = first_line (r.out);
  g_assert_true (dft_uuid_is_valid (event_id));
  run_clear (&r);

  r = cli (db, "event-add", "--title", "Backwards", "--start", "2026-03-04", "--end", "2026-03-02",
           NULL);
  g_assert_cmpint (r.code, ==, 1);
  g_assert_true (strstr (r.err, "before the start date") != NULL);
  run_clear (&r);

  r = cli (db, "person-add", "--given", "Айбек", "--family", "Токтогулов", "--gender", "male",
           "--agency", "Police", "--event", event_id, NULL);
  g_assert_cmpint (r.code, ==, 0);
  person_id = first_line (r.out);
  run_clear (&r);

  r = cli (db, "list", "sessions", "--event", event_id, NULL);
  g_assert_cmpint (r.code, ==, 0);
  g_assert_cmpuint (count_lines (r.out), ==, 6);
  session_id = first_line (r.out);
  session_id[36] = '\0';
  run_clear (&r);

  r = cli (db, "attend", "--session", session_id, "--person", person_id, "--status", "late", NULL);
  g_assert_cmpint (r.code, ==, 0);
  run_clear (&r);
  r = cli (db, "attend", "--session", session_id, "--person", person_id, "--status", "asleep",
           NULL);
  g_assert_cmpint (r.code, ==, 1);
  g_assert_true (strstr (r.err, "present, late, absent, excused") != NULL);
  run_clear (&r);

  /* A sign-up sheet: all rows or none. */
  g_assert_true (g_file_set_contents (csv,
                                      "First name,Surname,Gender,Email\n"
                                      "Nurlan,Osmonov,M,nurlan@example.org\n"
                                      "Жылдыз,Жумабекова,Ж,\n",
                                      -1, NULL));
  r = cli (db, "import", csv, "--event", event_id, NULL);
  g_assert_cmpint (r.code, ==, 0);
  run_clear (&r);

  r = cli (db, "list", "people", "--event", event_id, NULL);
  g_assert_cmpuint (count_lines (r.out), ==, 3);
  run_clear (&r);

  r = cli (db, "search", "zhyldyz", NULL);
  g_assert_cmpint (r.code, ==, 0);
  g_assert_true (strstr (r.out, "Жылдыз") != NULL);
  run_clear (&r);

  r = cli (db, "export", "attendance", "--event", event_id, NULL);
  g_assert_cmpint (r.code, ==, 0);
  g_assert_true (g_str_has_prefix (r.out, "\xEF\xBB\xBF"));
  g_assert_true (strstr (r.out, "Айбек,Токтогулов,male,Police,,late,") != NULL);
  run_clear (&r);

  r = cli (db, "info", NULL);
  g_assert_cmpint (r.code, ==, 0);
  g_assert_true (strstr (r.out, "People: 3") != NULL);
  run_clear (&r);

  r = cli (db, "check", NULL);
  g_assert_cmpint (r.code, ==, 0);
  run_clear (&r);

  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_cli_bad_database (void)
{
  g_autofree char *dir = dft_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "notes.txt", NULL);
  g_autofree char *after = NULL;
  const char      *text = "Shopping list: tea, bread, notebooks for the workshop.\n";
  Run              r;

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  r = cli (path, "info", NULL);
  g_assert_cmpint (r.code, ==, 1);
  g_assert_true (strstr (r.err, "not a Daftari database") != NULL);
  run_clear (&r);
  /* The file the user pointed at by mistake is untouched. */
  g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, text);

  dft_test_dir_free (g_steal_pointer (&dir));
}

static char *
cli_person (
    const char *db, const char *given, const char *family, const char *agency, const char *phone)
{
  Run r = cli (db, "person-add", "--given", given, "--family", family, "--gender", "male",
               "--agency", agency, "--phone", phone, NULL);

  g_assert_cmpint (r.code, ==, 0);
  g_free (r.err);
  return g_strstrip (r.out);
}

/*
 * A coordinator asks which people were registered twice: the same officer typed in Latin by
 * one trainer and in Cyrillic by another, with the phone written two ways, is proposed with
 * the reasons; a different person with another name and phone is not; a bad score is refused.
 */
static void
test_cli_duplicates (void)
{
  g_autofree char     *dir = dft_test_make_dir ();
  g_autofree char     *db = g_build_filename (dir, "daftari.db", NULL);
  g_autofree char     *latin = NULL, *cyrillic = NULL, *other = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError)   error = NULL;
  JsonArray           *pairs;
  JsonObject          *pair;
  Run                  r;

  r = cli (db, "duplicates", NULL);
  g_assert_cmpint (r.code, ==, 0);
  g_assert_cmpstr (r.out, ==, "");
  g_assert_nonnull (strstr (r.err, "No one seems to be registered twice"));
  run_clear (&r);

  latin = cli_person (db, "Aibek", "Sadykov", "Police", "+996 555 123 456");
  cyrillic = cli_person (db, "Айбек", "Садыков", "Police", "0555 123456");
  other = cli_person (db, "Nurlan", "Toktogulov", "Customs", "+996 700 000 111");

  r = cli (db, "duplicates", NULL);
  g_assert_cmpint (r.code, ==, 0);
  g_assert_nonnull (strstr (r.out, latin));
  g_assert_nonnull (strstr (r.out, cyrillic));
  g_assert_null (strstr (r.out, other));
  g_assert_nonnull (strstr (r.out, "Names match across scripts"));
  g_assert_nonnull (strstr (r.out, "Same phone number"));
  g_assert_nonnull (strstr (r.err, "1 pair of records may be one person"));
  run_clear (&r);

  r = cli (db, "duplicates", "--json", NULL);
  g_assert_cmpint (r.code, ==, 0);
  root = json_from_string (r.out, &error);
  g_assert_no_error (error);
  pairs = json_object_get_array_member (json_node_get_object (root), "pairs");
  g_assert_cmpuint (json_array_get_length (pairs), ==, 1);
  pair = json_array_get_object_element (pairs, 0);
  g_assert_cmpfloat (json_object_get_double_member (pair, "score"), >=, 0.8);
  g_assert_true (
      (g_str_equal (json_object_get_string_member (json_object_get_object_member (pair, "a"), "id"),
                    latin)
       && g_str_equal (
           json_object_get_string_member (json_object_get_object_member (pair, "b"), "id"),
           cyrillic))
      || (g_str_equal (
              json_object_get_string_member (json_object_get_object_member (pair, "a"), "id"),
              cyrillic)
          && g_str_equal (
              json_object_get_string_member (json_object_get_object_member (pair, "b"), "id"),
              latin)));
  g_assert_cmpstr (
      json_array_get_string_element (json_object_get_array_member (pair, "reasons"), 0), ==,
      "name-scripts");
  run_clear (&r);

  /* Bad input: a usage error, nothing printed on standard output. */
  r = cli (db, "duplicates", "--min-score", "1.5", NULL);
  g_assert_cmpint (r.code, ==, 2);
  g_assert_cmpstr (r.out, ==, "");
  g_assert_nonnull (strstr (r.err, "more than 0 and at most 1"));
  run_clear (&r);
  r = cli (db, "duplicates", "Aibek", NULL);
  g_assert_cmpint (r.code, ==, 2);
  run_clear (&r);

  dft_test_dir_free (g_steal_pointer (&dir));
}

/* Everything @from holds that @to has not, as a sync would carry it. */
static void
send_changes (DftStore *from, DftStore *to)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) log
      = dft_store_read_log (from, 0, 0, NULL, dft_store_get_device_id (to), &error);

  g_assert_no_error (error);
  if (log->len > 0)
    g_assert_true (dft_store_apply_changes (to, log, NULL, &error));
  g_assert_no_error (error);
}

/* In @dir, a.db where B's agency for Айбек Садыков stands and A's is the conflict kept. */
static char *
conflicted_database (const char *dir, char **b_device)
{
  g_autoptr (DftStore)  a = dft_test_open_replica (dir, "a.db");
  g_autoptr (DftStore)  b = dft_test_open_replica (dir, "b.db");
  g_autoptr (DftRecord) person = dft_test_add_person (a, "Айбек", "Садыков");
  g_autoptr (DftRecord) on_a = NULL;
  g_autoptr (DftRecord) on_b = NULL;
  g_autoptr (GError)    error = NULL;

  send_changes (a, b);
  on_a = dft_store_load (a, &dft_entity_person, dft_record_get_id (person), &error);
  on_b = dft_store_load (b, &dft_entity_person, dft_record_get_id (person), &error);
  g_assert_no_error (error);
  dft_record_set_string (on_a, "agency", "Customs");
  g_assert_true (dft_store_save (a, on_a, &error));
  dft_test_wait_next_millisecond ();
  dft_record_set_string (on_b, "agency", "Judiciary");
  g_assert_true (dft_store_save (b, on_b, &error));
  g_assert_no_error (error);
  send_changes (b, a);
  g_assert_cmpint (dft_store_count_open_conflicts (a, NULL), ==, 1);
  *b_device = g_strdup (dft_store_get_device_id (b));
  dft_test_release_store (g_steal_pointer (&a));
  dft_test_release_store (g_steal_pointer (&b));
  return g_strdup (dft_record_get_id (person));
}

static void
set_role (const char *db, const char *role)
{
  g_autoptr (GError)   error = NULL;
  g_autoptr (DftStore) store = dft_store_open (db, &error);

  g_assert_no_error (error);
  g_assert_true (dft_store_set_sync_state (store, "role", role, &error));
  dft_test_release_store (g_steal_pointer (&store));
}

/*
 * A coordinator lists the conflicts, as text and as JSON, and decides one with a typed value;
 * a trainer's device, bad arguments, an unknown id and a second decision are refused with a
 * clear message and change nothing.
 */
static void
test_cli_conflicts (void)
{
  g_autofree char     *dir = dft_test_make_dir ();
  g_autofree char     *db = g_build_filename (dir, "a.db", NULL);
  g_autofree char     *b_device = NULL;
  g_autofree char     *person = conflicted_database (dir, &b_device);
  g_autofree char     *id = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError)   error = NULL;
  JsonArray           *conflicts;
  JsonObject          *conflict;
  Run                  r;

  r = cli (db, "conflicts", NULL);
  g_assert_cmpint (r.code, ==, 0);
  g_assert_nonnull (strstr (r.out, "person “Айбек Садыков”, Agency"));
  g_assert_nonnull (strstr (r.out, "now:   Judiciary — device"));
  g_assert_nonnull (strstr (r.out, "other: Customs — device"));
  g_assert_nonnull (strstr (r.out, b_device));
  g_assert_nonnull (strstr (r.err, "1 conflict to decide"));
  run_clear (&r);

  r = cli (db, "conflicts", "--json", NULL);
  g_assert_cmpint (r.code, ==, 0);
  root = json_from_string (r.out, &error);
  g_assert_no_error (error);
  conflicts = json_object_get_array_member (json_node_get_object (root), "conflicts");
  g_assert_cmpuint (json_array_get_length (conflicts), ==, 1);
  conflict = json_array_get_object_element (conflicts, 0);
  g_assert_cmpstr (json_object_get_string_member (conflict, "record_id"), ==, person);
  g_assert_cmpstr (json_object_get_string_member (conflict, "field"), ==, "agency");
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (conflict, "current"), "value"),
      ==, "Judiciary");
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (conflict, "other"), "value"),
      ==, "Customs");
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (conflict, "current"), "device"),
      ==, b_device);
  id = g_strdup (json_object_get_string_member (conflict, "id"));
  run_clear (&r);

  /* Bad arguments: a usage error, nothing decided. */
  r = cli (db, "resolve", id, NULL);
  g_assert_cmpint (r.code, ==, 2);
  g_assert_nonnull (strstr (r.err, "exactly one of"));
  run_clear (&r);
  r = cli (db, "resolve", id, "--keep-current", "--value", "Police", NULL);
  g_assert_cmpint (r.code, ==, 2);
  run_clear (&r);
  r = cli (db, "resolve", "--keep-other", NULL);
  g_assert_cmpint (r.code, ==, 2);
  g_assert_nonnull (strstr (r.err, "id of one conflict"));
  run_clear (&r);
  r = cli (db, "conflicts", id, NULL);
  g_assert_cmpint (r.code, ==, 2);
  run_clear (&r);
  r = cli (db, "resolve", person, "--keep-other", NULL);
  g_assert_cmpint (r.code, ==, 1);
  g_assert_nonnull (strstr (r.err, "There is no conflict with the id"));
  run_clear (&r);

  /* A trainer's device does not decide. */
  set_role (db, "trainer");
  r = cli (db, "resolve", id, "--keep-other", NULL);
  g_assert_cmpint (r.code, ==, 1);
  g_assert_nonnull (strstr (r.err, "Only a coordinator or an administrator"));
  run_clear (&r);

  set_role (db, "coordinator");
  r = cli (db, "resolve", id, "--value", "Prosecutor’s office", NULL);
  g_assert_cmpint (r.code, ==, 0);
  g_assert_nonnull (strstr (r.out, "resolved"));
  run_clear (&r);
  r = cli (db, "conflicts", NULL);
  g_assert_cmpint (r.code, ==, 0);
  g_assert_cmpstr (r.out, ==, "");
  g_assert_nonnull (strstr (r.err, "No conflicts to decide"));
  run_clear (&r);
  r = cli (db, "resolve", id, "--keep-current", NULL);
  g_assert_cmpint (r.code, ==, 1);
  g_assert_nonnull (strstr (r.err, "already resolved"));
  run_clear (&r);
  r = cli (db, "list", "people", NULL);
  g_assert_cmpint (r.code, ==, 0);
  g_assert_nonnull (strstr (r.out, "Prosecutor’s office"));
  run_clear (&r);

  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_cli_sample (void)
{
  g_autofree char *dir = dft_test_make_dir ();
  g_autofree char *db = g_build_filename (dir, "sample.db", NULL);
  Run              r = cli (db, "sample", NULL);

  g_assert_cmpint (r.code, ==, 0);
  run_clear (&r);
  r = cli (db, "list", "events", NULL);
  g_assert_cmpuint (count_lines (r.out), ==, 3);
  run_clear (&r);
  r = cli (db, "search", "giorgi", NULL);
  g_assert_true (strstr (r.out, "გიორგი") != NULL);
  run_clear (&r);
  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
assert_workbook (const char *path)
{
  g_autofree char *content = NULL;
  gsize            length = 0;

  g_assert_true (g_file_get_contents (path, &content, &length, NULL));
  /* A ZIP container, as every XLSX workbook is (test-xlsx reads them cell by cell). */
  g_assert_cmpuint (length, >, 1000);
  g_assert_true (memcmp (content, "PK\x03\x04", 4) == 0);
}

/* Spreadsheets from the command line: the format from --format or the file's name, a workbook
 * only to a file, the text table of gain only to standard output. */
static void
test_cli_spreadsheets (void)
{
  g_autofree char *dir = dft_test_make_dir ();
  g_autofree char *db = g_build_filename (dir, "sample.db", NULL);
  g_autofree char *xlsx = g_build_filename (dir, "people.xlsx", NULL);
  g_autofree char *gain = g_build_filename (dir, "gain.xlsx", NULL);
  g_autofree char *subs = g_build_filename (dir, "submissions.xlsx", NULL);
  g_autofree char *csv = g_build_filename (dir, "people.csv", NULL);
  g_autofree char *text = NULL;
  g_autofree char *event = NULL;
  Run              r = cli (db, "sample", NULL);

  g_assert_cmpint (r.code, ==, 0);
  run_clear (&r);
  r = cli (db, "list", "events", NULL);
  event = g_strndup (r.out, strcspn (r.out, " "));
  run_clear (&r);

  r = cli (db, "export", "people", "-o", xlsx, NULL);
  g_assert_cmpint (r.code, ==, 0);
  run_clear (&r);
  assert_workbook (xlsx);
  r = cli (db, "export", "people", "--format", "csv", "-o", csv, NULL);
  g_assert_cmpint (r.code, ==, 0);
  run_clear (&r);
  g_assert_true (g_file_get_contents (csv, &text, NULL, NULL));
  g_assert_true (g_str_has_prefix (text, "\xEF\xBB\xBFid,given_name,"));

  r = cli (db, "export", "people", "--format", "xlsx", NULL);
  g_assert_cmpint (r.code, ==, 2);
  g_assert_nonnull (strstr (r.err, "-o FILE"));
  run_clear (&r);
  r = cli (db, "export", "people", "--format", "ods", "-o", csv, NULL);
  g_assert_cmpint (r.code, ==, 2);
  g_assert_nonnull (strstr (r.err, "ods"));
  run_clear (&r);

  r = cli (db, "gain", "knowledge-test-pre", "--event", event, "--format", "csv", NULL);
  g_assert_cmpint (r.code, ==, 0);
  g_assert_true (g_str_has_prefix (r.out, "\xEF\xBB\xBFperson,pre %,post %,gain,"));
  g_assert_nonnull (strstr (r.out, "\r\nAverage,"));
  run_clear (&r);
  r = cli (db, "gain", "knowledge-test-pre", "--event", event, "-o", gain, NULL);
  g_assert_cmpint (r.code, ==, 0);
  run_clear (&r);
  assert_workbook (gain);
  r = cli (db, "gain", "knowledge-test-pre", "--event", event, "--format", "text", "-o", csv, NULL);
  g_assert_cmpint (r.code, ==, 2);
  run_clear (&r);
  r = cli (db, "submissions", "knowledge-test-pre", "--format", "xlsx", "-o", subs, NULL);
  g_assert_cmpint (r.code, ==, 0);
  run_clear (&r);
  assert_workbook (subs);
  dft_test_dir_free (g_steal_pointer (&dir));
}

/* A coordinator's round with a form: copy a template, send it to a translator as PO, read the
 * translation back as a new version, give it to ODK as an XForm, and import that again. */
static void
test_cli_forms (void)
{
  g_autofree char    *dir = dft_test_make_dir ();
  g_autofree char    *db = g_build_filename (dir, "forms.db", NULL);
  g_autofree char    *po = g_build_filename (dir, "ky.po", NULL);
  g_autofree char    *xml = g_build_filename (dir, "evaluation.xml", NULL);
  g_autofree char    *text = NULL;
  g_autoptr (GString) translated = g_string_new (NULL);
  Run                 r = cli (db, "form-template", "workshop-evaluation", "--key", "eval", NULL);

  g_assert_cmpint (r.code, ==, 0);
  g_assert_nonnull (strstr (r.out, "version 1"));
  run_clear (&r);

  r = cli (db, "form-po-export", "eval", "ky", "-o", po, NULL);
  g_assert_cmpint (r.code, ==, 0);
  run_clear (&r);
  g_assert_true (g_file_get_contents (po, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "msgctxt \"/data/ratings/relevance|label\""));
  /* The template comes with every text in Kyrgyz: the translator words the title anew. */
  g_string_append (translated, text);
  g_assert_cmpuint (
      g_string_replace (translated, "msgid \"Workshop evaluation\"\nmsgstr \"Семинарды баалоо\"",
                        "msgid \"Workshop evaluation\"\nmsgstr \"Семинарга баа берүү\"", 1),
      ==, 1);
  g_assert_true (g_file_set_contents (po, translated->str, -1, NULL));

  r = cli (db, "form-po-import", "eval", "ky", po, NULL);
  g_assert_cmpint (r.code, ==, 0);
  g_assert_nonnull (strstr (r.out, "21 translated, 0 untranslated"));
  g_assert_nonnull (strstr (r.out, "100 %"));
  g_assert_nonnull (strstr (r.out, "version 2"));
  run_clear (&r);

  r = cli (db, "form-export", "eval", xml, NULL);
  g_assert_cmpint (r.code, ==, 0);
  run_clear (&r);
  r = cli (db, "form-import", xml, NULL);
  g_assert_cmpint (r.code, ==, 0);
  run_clear (&r);
  r = cli (db, "forms", NULL);
  g_assert_nonnull (strstr (r.out, "eval"));
  run_clear (&r);

  r = cli (db, "submissions", "eval", NULL);
  g_assert_cmpint (r.code, ==, 0);
  g_assert_nonnull (strstr (r.out, "ratings/relevance"));
  run_clear (&r);

  /* A broken form file is refused with the reason. */
  g_assert_true (g_file_set_contents (xml, "<h:html><body/>", -1, NULL));
  r = cli (db, "form-import", xml, NULL);
  g_assert_cmpint (r.code, ==, 1);
  g_assert_cmpstr (r.err, !=, "");
  run_clear (&r);
  r = cli (db, "form-po-export", "nothing", "ky", NULL);
  g_assert_cmpint (r.code, ==, 1);
  g_assert_nonnull (strstr (r.err, "nothing"));
  run_clear (&r);
  dft_test_dir_free (g_steal_pointer (&dir));
}

int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);

  g_test_add_func ("/cli/usage", test_cli_usage);
  g_test_add_func ("/cli/workshop-day", test_cli_workshop_day);
  g_test_add_func ("/cli/bad-database", test_cli_bad_database);
  g_test_add_func ("/cli/sample", test_cli_sample);
  g_test_add_func ("/cli/forms", test_cli_forms);
  g_test_add_func ("/cli/spreadsheets", test_cli_spreadsheets);
  g_test_add_func ("/cli/duplicates", test_cli_duplicates);
  g_test_add_func ("/cli/conflicts", test_cli_conflicts);

  return g_test_run ();
}
