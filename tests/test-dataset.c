/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <json-glib/json-glib.h>
#include <math.h>

#include "dft-dataset.h"
#include "dft-store-private.h"
#include "dft-test-util.h"
#include "forms/dft-assessment.h"
#include "forms/dft-form-store.h"

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

/* The counts a data set file says it holds, read independently of the loader. */
static void
expected_counts (const char *path,
                 guint      *workshops,
                 guint      *people,
                 guint      *attendance,
                 guint      *submissions,
                 guint      *sessions)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject            *root;
  JsonArray             *ws;

  g_assert_true (json_parser_load_from_file (parser, path, NULL));
  root = json_node_get_object (json_parser_get_root (parser));
  ws = json_object_get_array_member (root, "workshops");
  *workshops = json_array_get_length (ws);
  *people = json_array_get_length (json_object_get_array_member (root, "participants"));
  *attendance = json_array_get_length (json_object_get_array_member (root, "attendance"));
  *submissions = json_array_get_length (json_object_get_array_member (root, "submissions"));
  *sessions = 0;
  for (guint i = 0; i < *workshops; i++)
    *sessions
        += 2 * (guint) json_object_get_int_member (json_array_get_object_element (ws, i), "days");
}

static void
check_load (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *dir = NULL;
  DftStore          *store = dft_test_open_store (&dir);
  DftDatasetStats    stats = { 0 };
  guint              workshops, people, attendance, submissions, sessions;
  gint64             log_after_first;

  expected_counts (path, &workshops, &people, &attendance, &submissions, &sessions);

  g_assert_true (dft_dataset_load (store, path, &stats, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.events, ==, workshops);
  g_assert_cmpuint (stats.people, ==, people);
  g_assert_cmpuint (stats.attendance, ==, attendance);
  g_assert_cmpuint (stats.submissions, ==, submissions);
  g_assert_cmpuint (stats.forms, ==, 3);

  g_assert_cmpint (count (store, "SELECT count (*) FROM event"), ==, workshops);
  g_assert_cmpint (count (store, "SELECT count (*) FROM person"), ==, people);
  g_assert_cmpint (count (store, "SELECT count (*) FROM enrollment WHERE role = 'participant'"), ==,
                   people);
  g_assert_cmpint (count (store, "SELECT count (*) FROM session"), ==, sessions);
  g_assert_cmpint (count (store, "SELECT count (*) FROM attendance"), ==, attendance);
  g_assert_cmpint (count (store, "SELECT count (*) FROM submission WHERE status = 'final'"), ==,
                   submissions);
  /* Evaluations are anonymous. */
  g_assert_cmpint (count (store,
                          "SELECT count (*) FROM submission s JOIN form f ON f.id = s.form_id "
                          "WHERE f.form_key = 'evaluation' AND s.person_id IS NOT NULL"),
                   ==, 0);
  /* Every record went through the change log. */
  g_assert_cmpint (count (store, "SELECT count (*) FROM change_log"), ==,
                   workshops + sessions + 2 * people + attendance + 3 + submissions);
  /* Names in three scripts are findable by their Latin spelling. */
  {
    g_autoptr (GPtrArray) found = dft_store_find_people (store, "a", 0, &error);
    g_assert_cmpuint (found->len, >, 0);
  }

  /* Every form the loader made opens: the filler, the kiosk and the reports can use it. */
  {
    sqlite3_stmt *stmt = NULL;

    g_assert_cmpint (sqlite3_prepare_v2 (_dft_store_get_db (store),
                                         "SELECT id, form_key, kind FROM form", -1, &stmt, NULL),
                     ==, SQLITE_OK);
    while (sqlite3_step (stmt) == SQLITE_ROW)
      {
        const char         *id = (const char *) sqlite3_column_text (stmt, 0);
        const char         *key = (const char *) sqlite3_column_text (stmt, 1);
        g_autoptr (DftForm) form = dft_form_store_load (store, id, &error);

        g_test_message ("form %s", key);
        g_assert_no_error (error);
        g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 2), ==,
                         g_str_equal (key, "evaluation") ? "evaluation" : "assessment");
        g_assert_cmpstr (form->kind, ==, (const char *) sqlite3_column_text (stmt, 2));
      }
    sqlite3_finalize (stmt);
  }
  /* The separate pre-test and post-test forms pair for gain: everyone took both. */
  {
    sqlite3_stmt *stmt = NULL;
    guint         n_pairs = 0;

    g_assert_cmpint (
        sqlite3_prepare_v2 (_dft_store_get_db (store), "SELECT id FROM event", -1, &stmt, NULL), ==,
        SQLITE_OK);
    while (sqlite3_step (stmt) == SQLITE_ROW)
      {
        const char               *event_id = (const char *) sqlite3_column_text (stmt, 0);
        g_autoptr (DftGainReport) report
            = dft_assessment_gain (store, event_id, "knowledge-test-pre", &error);
        g_autoptr (DftGainReport) from_post
            = dft_assessment_gain (store, event_id, "knowledge-test-post", &error);

        g_assert_no_error (error);
        g_assert_cmpuint (report->n_pre, >, 0);
        g_assert_cmpuint (report->n_pre, ==, report->n_post);
        g_assert_cmpuint (report->n_pairs, ==, report->n_pre);
        g_assert_cmpuint (from_post->n_pairs, ==, report->n_pairs);
        g_assert_false (isnan (report->mean_gain));
        n_pairs += report->n_pairs;
      }
    sqlite3_finalize (stmt);
    g_assert_cmpuint (
        n_pairs * 2, ==,
        count (store, "SELECT count (*) FROM submission WHERE person_id IS NOT NULL"));
    g_assert_cmpint (count (store, "SELECT count (*) FROM submission WHERE person_id IS NOT NULL"
                                   " AND (score IS NULL OR phase IS NULL)"),
                     ==, 0);
  }

  /* Loading again changes nothing: the data set's ids are kept. */
  log_after_first = count (store, "SELECT count (*) FROM change_log");
  g_assert_true (dft_dataset_load (store, path, &stats, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count (store, "SELECT count (*) FROM change_log"), ==, log_after_first);
  g_assert_cmpint (count (store, "SELECT count (*) FROM person"), ==, people);

  dft_test_release_store (store);
  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_dataset_sample (void)
{
  const char *sample = g_getenv ("DAFTARI_SAMPLE");

  g_assert_nonnull (sample);
  check_load (sample);
}

static void
test_dataset_generated (void)
{
  g_autofree char   *script = dft_test_shared_path ("bench/gen_dataset.py");
  g_autofree char   *dir = NULL;
  g_autofree char   *out = NULL;
  g_autofree char   *path = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char   *python = g_find_program_in_path ("python3");
  int                status = 0;

  if (script == NULL || python == NULL)
    {
      g_test_skip ("../shared/bench/gen_dataset.py or python3 is not here");
      return;
    }
  dir = dft_test_make_dir ();
  path = g_build_filename (dir, "one.json", NULL);
  {
    const char      *argv[] = { python, script, "4", "11", NULL };
    g_autofree char *err = NULL;
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                                 &err, &status, &error));
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
  }
  g_assert_true (g_file_set_contents (path, out, -1, &error));
  check_load (path);
  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
progress_cb (double fraction, gpointer user_data)
{
  double *last = user_data;

  g_assert_cmpfloat (fraction, >, *last);
  *last = fraction;
}

static void
test_dataset_progress_and_cancel (void)
{
  g_autoptr (GError)       error = NULL;
  g_autofree char         *dir = NULL;
  DftStore                *store = dft_test_open_store (&dir);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  double                   last = 0;

  g_cancellable_cancel (cancellable);
  g_assert_false (
      dft_dataset_load (store, g_getenv ("DAFTARI_SAMPLE"), NULL, NULL, NULL, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (count (store, "SELECT count (*) FROM change_log"), ==, 0);

  g_assert_true (
      dft_dataset_load (store, g_getenv ("DAFTARI_SAMPLE"), NULL, progress_cb, &last, NULL, NULL));
  g_assert_cmpfloat (last, ==, 1.0);

  dft_test_release_store (store);
  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
expect_refused (const char *json)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *dir = NULL;
  DftStore          *store = dft_test_open_store (&dir);
  g_autofree char   *path = g_build_filename (dir, "bad.json", NULL);

  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  g_assert_false (dft_dataset_load (store, path, NULL, NULL, NULL, NULL, &error));
  g_assert_nonnull (error);
  g_assert_cmpstr (error->message, !=, "");
  g_assert_cmpint (count (store, "SELECT count (*) FROM change_log"), ==, 0);

  dft_test_release_store (store);
  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_dataset_bad_input (void)
{
  expect_refused ("this is not json");
  expect_refused ("[1, 2, 3]");
  expect_refused ("{\"participants\": []}");
  expect_refused ("{\"workshops\": [{\"title\": \"no id\"}]}");
  /* An attendance mark for a workshop the file does not hold. */
  expect_refused (
      "{\"workshops\": [{\"id\": \"8306d03b-f38b-4ffc-80a4-df5a51c9bc70\", \"start\": "
      "\"2026-01-01\", "
      "\"days\": 1, \"title\": \"A\"}], \"attendance\": [{\"workshop\": \"elsewhere\"}]}");
  /* A workshop whose participant breaks a rule is refused whole. */
  expect_refused ("{\"workshops\": [{\"id\": \"8306d03b-f38b-4ffc-80a4-df5a51c9bc70\", \"start\": "
                  "\"2026-01-01\", "
                  "\"days\": 1, \"title\": \"A\"}], \"participants\": [{\"id\": "
                  "\"9306d03b-f38b-4ffc-80a4-df5a51c9bc70\", "
                  "\"workshop\": \"8306d03b-f38b-4ffc-80a4-df5a51c9bc70\", \"given_name\": \"X\", "
                  "\"gender\": \"robot\"}]}");
}

int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);

  g_test_add_func ("/dataset/sample", test_dataset_sample);
  g_test_add_func ("/dataset/generated", test_dataset_generated);
  g_test_add_func ("/dataset/progress-and-cancel", test_dataset_progress_and_cancel);
  g_test_add_func ("/dataset/bad-input", test_dataset_bad_input);

  return g_test_run ();
}
