/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "dft-bundle.h"
#include "dft-change-log.h"
#include "dft-store-private.h"
#include "dft-test-util.h"

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

typedef struct
{
  char     *dir_a, *dir_b;
  DftStore *a, *b;
  GFile    *bundle;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  g_autofree char *path = NULL;

  f->a = dft_test_open_store (&f->dir_a);
  f->b = dft_test_open_store (&f->dir_b);
  path = g_build_filename (f->dir_a, "to-usb.daftari", NULL);
  f->bundle = g_file_new_for_path (path);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_object_unref (f->bundle);
  dft_test_release_store (f->a);
  dft_test_release_store (f->b);
  dft_test_dir_free (f->dir_a);
  dft_test_dir_free (f->dir_b);
}

static void
test_bundle_round_trip (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) event
      = dft_test_add_event (f->a, "Offline workshop", "2026-07-01", "2026-07-02");
  g_autoptr (DftRecord) person = dft_test_add_person (f->a, "Чолпон", "Садыкова");
  g_autoptr (DftRecord) mark = NULL;
  g_autoptr (DftRecord) seen = NULL;
  g_autofree char *session = dft_session_id_for (dft_record_get_id (event), "2026-07-01", "am");
  DftApplyStats    stats = { 0 };
  guint            n = 0;

  mark = dft_store_mark_attendance (f->a, session, dft_record_get_id (person), "late", "Bus",
                                    &error);
  g_assert_no_error (error);

  g_assert_true (dft_bundle_export (f->a, f->bundle, 0, &n, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 1 + 4 + 1 + 1);

  g_assert_true (dft_bundle_import (f->b, f->bundle, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.applied, ==, n);
  seen = dft_store_load (f->b, &dft_entity_attendance, dft_record_get_id (mark), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dft_record_get_string (seen, "status"), ==, "late");
  g_assert_cmpstr (dft_record_get_string (seen, "note"), ==, "Bus");
  {
    g_autoptr (GPtrArray) found = dft_store_find_people (f->b, "cholpon", 0, &error);
    g_assert_cmpuint (found->len, ==, 1);
  }

  /* Importing the same bundle again changes nothing. */
  {
    gint64 log = count (f->b, "SELECT count (*) FROM change_log");
    g_assert_true (dft_bundle_import (f->b, f->bundle, &stats, NULL, &error));
    g_assert_cmpuint (stats.applied, ==, 0);
    g_assert_cmpuint (stats.duplicates, ==, n);
    g_assert_cmpint (count (f->b, "SELECT count (*) FROM change_log"), ==, log);
  }

  /* B passes A's changes on, with their origin: A recognises its own. */
  g_assert_true (dft_bundle_export (f->b, f->bundle, 0, &n, NULL, &error));
  g_assert_true (dft_bundle_import (f->a, f->bundle, &stats, NULL, &error));
  g_assert_cmpuint (stats.duplicates, ==, n);
}

static void
expect_damaged (Fixture *f, const char *contents, gsize length)
{
  g_autoptr (GError) error = NULL;
  DftApplyStats      stats;

  g_assert_true (
      g_file_replace_contents (f->bundle, contents, length, NULL, FALSE, 0, NULL, NULL, NULL));
  g_assert_false (dft_bundle_import (f->b, f->bundle, &stats, NULL, &error));
  g_assert_error (error, DFT_BUNDLE_ERROR, DFT_BUNDLE_ERROR_DAMAGED);
  g_assert_cmpint (count (f->b, "SELECT count (*) FROM change_log"), ==, 0);
}

static void
test_bundle_damaged (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) p = dft_test_add_person (f->a, "Rehema", "Mushi");
  g_autofree char      *good = NULL;
  gsize                 length;

  g_assert_true (dft_bundle_export (f->a, f->bundle, 0, NULL, NULL, &error));
  g_assert_true (g_file_load_contents (f->bundle, NULL, &good, &length, NULL, NULL));

  /* Cut short, as a USB stick pulled out too early leaves it. */
  expect_damaged (f, good, length / 2);
  /* One byte changed in the middle. */
  good[length / 2] ^= 0x20;
  expect_damaged (f, good, length);
  /* Something else entirely. */
  expect_damaged (f, "PK\3\4 a spreadsheet", 19);
}

static void
test_bundle_other_server (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) p = dft_test_add_person (f->a, "Amani", "Said");
  DftApplyStats         stats;

  g_assert_true (dft_store_set_sync_state (f->a, "server_epoch", "epoch-of-programme-a", &error));
  g_assert_true (dft_store_set_sync_state (f->b, "server_epoch", "epoch-of-programme-b", &error));
  g_assert_true (dft_bundle_export (f->a, f->bundle, 0, NULL, NULL, &error));
  g_assert_false (dft_bundle_import (f->b, f->bundle, &stats, NULL, &error));
  g_assert_error (error, DFT_BUNDLE_ERROR, DFT_BUNDLE_ERROR_OTHER_SERVER);
  g_assert_cmpint (count (f->b, "SELECT count (*) FROM person"), ==, 0);
}

/* Laptops keep the epoch their server told them under "epoch" (sync/client), not the server's
 * own key: the check must run there too. */
static void
test_bundle_other_server_laptops (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) p = dft_test_add_person (f->a, "Amani", "Said");
  DftApplyStats         stats;

  g_assert_true (dft_store_set_sync_state (f->a, "epoch", "epoch-of-programme-a", &error));
  g_assert_true (dft_store_set_sync_state (f->b, "epoch", "epoch-of-programme-b", &error));
  g_assert_true (dft_bundle_export (f->a, f->bundle, 0, NULL, NULL, &error));
  g_assert_false (dft_bundle_import (f->b, f->bundle, &stats, NULL, &error));
  g_assert_error (error, DFT_BUNDLE_ERROR, DFT_BUNDLE_ERROR_OTHER_SERVER);
  g_assert_cmpint (count (f->b, "SELECT count (*) FROM person"), ==, 0);
  g_clear_error (&error);

  /* The same programme's laptops exchange bundles as before. */
  g_assert_true (dft_store_set_sync_state (f->b, "epoch", "epoch-of-programme-a", &error));
  g_assert_true (dft_bundle_import (f->b, f->bundle, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count (f->b, "SELECT count (*) FROM person"), ==, 1);
}

static void
test_final_submission_kept (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (DftRecord)  form = dft_record_new_for_entity (&dft_entity_form);
  g_autoptr (DftRecord)  sub = dft_record_new_for_entity (&dft_entity_submission);
  g_autoptr (DftRecord)  after = NULL;
  g_autoptr (GPtrArray)  rogue = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
  g_autoptr (JsonObject) fields = json_object_new ();
  DftChange             *c;
  DftApplyStats          stats;

  g_object_set (form, "form-key", "post", "version", (gint64) 1, "title", "Post-test", "definition",
                "{}", NULL);
  g_assert_true (dft_store_save (f->a, form, &error));
  g_object_set (sub, "form-id", dft_record_get_id (form), "status", "final", "answers",
                "{\"q1\":\"a\"}", NULL);
  g_assert_true (dft_store_save (f->a, sub, &error));

  /* Another device sends new answers for it, with a later clock. */
  json_object_set_string_member (fields, "answers", "{\"q1\":\"d\"}");
  c = dft_change_new ("submission", dft_record_get_id (sub), fields);
  c->device_id = g_strdup (dft_store_get_device_id (f->b));
  c->origin_seq = 1;
  c->hlc = dft_hlc_pack (dft_hlc_wall_ms () + 1000, 0);
  g_ptr_array_add (rogue, c);
  g_assert_true (dft_store_apply_changes (f->a, rogue, &stats, &error));
  g_assert_no_error (error);

  after = dft_store_load (f->a, &dft_entity_submission, dft_record_get_id (sub), &error);
  g_assert_cmpstr (dft_record_get_string (after, "answers"), ==, "{\"q1\":\"a\"}");
  g_assert_cmpuint (stats.conflicts, ==, 1);
  g_assert_cmpint (count (f->a, "SELECT count (*) FROM conflict WHERE field = 'answers'"), ==, 1);
}

int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, setup, fn, teardown)
  ADD ("/bundle/round-trip", test_bundle_round_trip);
  ADD ("/bundle/damaged", test_bundle_damaged);
  ADD ("/bundle/other-server", test_bundle_other_server);
  ADD ("/bundle/other-server-laptops", test_bundle_other_server_laptops);
  ADD ("/merge/final-submission-kept", test_final_submission_kept);
#undef ADD

  return g_test_run ();
}
