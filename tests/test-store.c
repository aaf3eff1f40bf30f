/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dft-change-log.h"
#include "dft-store-private.h"
#include "dft-test-util.h"

static char *
pragma_text (DftStore *store, const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  char         *value;

  g_assert_cmpint (sqlite3_prepare_v2 (_dft_store_get_db (store), sql, -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return value;
}

static void
test_store_create (void)
{
  g_autoptr (GError)   error = NULL;
  g_autofree char     *dir = dft_test_make_dir ();
  g_autofree char     *path = g_build_filename (dir, "nested", "deeper", "daftari.db", NULL);
  g_autoptr (DftStore) store = dft_store_open (path, &error);
  g_autofree char     *journal = NULL;
  g_autofree char     *fk = NULL;
  g_autofree char     *sync = NULL;
  g_autofree char     *version = NULL;
  GStatBuf             st;

  g_assert_no_error (error);
  g_assert_cmpstr (dft_store_get_path (store), ==, path);

  /* Personal data: the file and its folder are private to the user. */
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  {
    g_autofree char *folder = g_path_get_dirname (path);
    g_assert_cmpint (g_stat (folder, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  }

  journal = pragma_text (store, "PRAGMA journal_mode");
  fk = pragma_text (store, "PRAGMA foreign_keys");
  sync = pragma_text (store, "PRAGMA synchronous");
  version = pragma_text (store, "PRAGMA user_version");
  g_assert_cmpstr (journal, ==, "wal");
  g_assert_cmpstr (fk, ==, "1");
  g_assert_cmpstr (sync, ==, "2"); /* FULL */
  g_assert_cmpint (atoi (version), ==, DFT_SCHEMA_VERSION);
  g_assert_cmpint (dft_store_get_schema_version (store), ==, DFT_SCHEMA_VERSION);

  /* The WAL file holds personal data too. */
  {
    g_autoptr (DftRecord) p = dft_test_add_person (store, "Нурлан", "Осмонов");
    g_autofree char      *wal = g_strconcat (path, "-wal", NULL);
    g_assert_cmpint (g_stat (wal, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0077, ==, 0);
  }

  g_clear_object (&store);
  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_store_device_id_stable (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *dir = NULL;
  g_autofree char   *first = NULL;
  g_autofree char   *path = NULL;
  DftStore          *store = dft_test_open_store (&dir);
  DftStore          *again;

  first = g_strdup (dft_store_get_device_id (store));
  path = g_strdup (dft_store_get_path (store));
  g_assert_nonnull (first);
  g_assert_cmpuint (strlen (first), ==, 36);
  g_object_unref (store);

  again = dft_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dft_store_get_device_id (again), ==, first);
  g_object_unref (again);

  {
    g_autofree char     *dir2 = NULL;
    g_autoptr (DftStore) other = dft_test_open_store (&dir2);
    g_assert_cmpstr (dft_store_get_device_id (other), !=, first);
    g_clear_object (&other);
    dft_test_dir_free (g_steal_pointer (&dir2));
  }
  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_store_default_path (void)
{
  g_autofree char *path = NULL;
  g_autofree char *expected = NULL;

  g_unsetenv ("DAFTARI_DB");
  path = dft_store_default_path ();
  /* G_TEST_OPTION_ISOLATE_DIRS points XDG_DATA_HOME into a temporary folder. */
  g_assert_true (g_str_has_prefix (path, g_get_user_data_dir ()));
  g_assert_true (g_str_has_suffix (path, "daftari.db"));

  g_setenv ("DAFTARI_DB", "/tmp/elsewhere.db", TRUE);
  g_free (path);
  path = dft_store_default_path ();
  g_assert_cmpstr (path, ==, "/tmp/elsewhere.db");
  g_unsetenv ("DAFTARI_DB");
}

static void
open_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftStore         **out = user_data;
  g_autoptr (GError) error = NULL;

  *out = dft_store_open_finish (result, &error);
  g_assert_no_error (error);
}

static void
changed_cb (DftStore *store, const char *entity, GStrv ids, gpointer user_data)
{
  GThread **thread = user_data;

  *thread = g_thread_self ();
}

static void
test_store_open_async (void)
{
  g_autofree char *dir = dft_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "daftari.db", NULL);
  DftStore        *store = NULL;
  GThread         *signal_thread = NULL;

  dft_store_open_async (path, NULL, open_done_cb, &store);
  while (store == NULL)
    g_main_context_iteration (NULL, TRUE);

  /* Signals arrive in the context that opened the store, not in the worker's. */
  g_signal_connect (store, "changed", G_CALLBACK (changed_cb), &signal_thread);
  g_object_unref (dft_test_add_person (store, "Neema", "Kimaro"));
  while (signal_thread == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (signal_thread == g_thread_self ());

  g_object_unref (store);
  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_store_pending_changes (void)
{
  g_autofree char     *dir = NULL;
  g_autoptr (DftStore) store = dft_test_open_store (&dir);
  g_autoptr (GError)   error = NULL;

  g_assert_cmpint (dft_store_count_pending_changes (store, &error), ==, 0);
  g_object_unref (dft_test_add_person (store, "Juma", "Mollel"));
  g_object_unref (dft_test_add_person (store, "Baraka", "Mushi"));
  g_assert_cmpint (dft_store_count_pending_changes (store, &error), ==, 2);
  g_assert_no_error (error);

  g_clear_object (&store);
  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_store_two_connections (void)
{
  g_autoptr (GError)    error = NULL;
  g_autofree char      *dir = NULL;
  g_autoptr (DftStore)  a = dft_test_open_store (&dir);
  g_autoptr (DftStore)  b = dft_store_open (dft_store_get_path (a), &error);
  g_autoptr (DftRecord) p = NULL;
  g_autoptr (DftRecord) seen = NULL;

  /* The app and the command-line tool may have the same file open. */
  g_assert_no_error (error);
  p = dft_test_add_person (a, "Айгуль", "Исаева");
  seen = dft_store_load (b, &dft_entity_person, dft_record_get_id (p), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dft_record_get_string (seen, "given_name"), ==, "Айгуль");

  g_clear_object (&a);
  g_clear_object (&b);
  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_store_schema_matches_entities (void)
{
  g_autofree char     *dir = NULL;
  g_autoptr (DftStore) store = dft_test_open_store (&dir);
  const DftEntity    **entities;
  guint                n;

  /* Every field the records know has its column, so no write fails on a missing one. */
  entities = dft_entity_all (&n);
  for (guint e = 0; e < n; e++)
    for (guint f = 0; f < entities[e]->n_fields; f++)
      {
        g_autofree char *sql = g_strdup_printf ("SELECT %s FROM %s LIMIT 0",
                                                entities[e]->fields[f].name, entities[e]->name);
        sqlite3_stmt    *stmt = NULL;
        int              rc = sqlite3_prepare_v2 (_dft_store_get_db (store), sql, -1, &stmt, NULL);

        if (rc != SQLITE_OK)
          g_error ("%s.%s: %s", entities[e]->name, entities[e]->fields[f].name,
                   sqlite3_errmsg (_dft_store_get_db (store)));
        sqlite3_finalize (stmt);
      }

  g_clear_object (&store);
  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
count_changed (DftStore *store, const char *entity, GStrv ids, guint *count)
{
  (*count)++;
}

/*
 * A program that opens and closes stores without running a main loop (a script on the
 * library, a benchmark, the convergence test) must get its descriptors back each time:
 * the signals a write queues for the main loop must not keep the store, and its files,
 * open. Under a low limit on descriptors a leak fails within a few hundred rounds.
 */
static void
test_store_release_closes_files (void)
{
  g_autofree char *dir = dft_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "daftari.db", NULL);
  guint64          old_limit = dft_test_set_fd_limit (64);
  guint            before = dft_test_count_fds (0);
  guint            rounds = g_test_slow () ? 5000 : 1000;
  guint            changed = 0;

  for (guint i = 0; i < rounds; i++)
    {
      g_autoptr (GError) error = NULL;
      DftStore          *store = dft_store_open (path, &error);
      g_autofree char   *given = g_strdup_printf ("Aibek %u", i);

      g_assert_no_error (error);
      g_signal_connect (store, "changed", G_CALLBACK (count_changed), &changed);
      g_object_unref (dft_test_add_person (store, given, "Sadykov"));
      g_assert_finalize_object (store);
    }
  g_assert_cmpuint (dft_test_count_fds (0), ==, before);

  /* What was queued for the released stores is dropped: nothing reaches a dead object. */
  dft_test_drain ();
  g_assert_cmpuint (changed, ==, 0);

  /* A store that lives while the loop runs still says what changed. */
  {
    g_autoptr (GError)   error = NULL;
    g_autoptr (DftStore) store = dft_store_open (path, &error);

    g_assert_no_error (error);
    g_signal_connect (store, "changed", G_CALLBACK (count_changed), &changed);
    g_object_unref (dft_test_add_person (store, "Айбек", "Садыков"));
    dft_test_drain ();
    g_assert_cmpuint (changed, ==, 1);
  }

  dft_test_set_fd_limit (old_limit);
  dft_test_dir_free (g_steal_pointer (&dir));
}

static gboolean
check_place (DftStore *store)
{
  g_autoptr (GError) error = NULL;
  gboolean           copied = FALSE;

  g_assert_true (dft_store_check_place (store, &copied, &error));
  g_assert_no_error (error);
  return copied;
}

/* @from's bytes written into @to's file, as `cp` does: the same file (inode), other content. */
static void
copy_over (const char *from, const char *to)
{
  g_autofree char *wal = g_strconcat (to, "-wal", NULL);
  g_autofree char *shm = g_strconcat (to, "-shm", NULL);
  g_autofree char *contents = NULL;
  gsize            length = 0;
  FILE            *file;

  g_unlink (wal);
  g_unlink (shm);
  g_assert_true (g_file_get_contents (from, &contents, &length, NULL));
  file = fopen (to, "r+b");
  g_assert_nonnull (file);
  g_assert_cmpint (ftruncate (fileno (file), 0), ==, 0);
  g_assert_cmpuint (fwrite (contents, 1, length, file), ==, length);
  g_assert_cmpint (fclose (file), ==, 0);
}

static void
vacuum_into (DftStore *store, const char *path)
{
  g_autofree char *sql = g_strdup_printf ("VACUUM INTO '%s'", path);

  g_assert_cmpint (sqlite3_exec (_dft_store_get_db (store), sql, NULL, NULL, NULL), ==, SQLITE_OK);
}

/*
 * Issue 12: a database file copied to another place, or a backup copied back
 * over it, takes a new device id when it is opened, before it writes; the
 * original opened where it lives keeps its own. What the copy made before
 * stays under the old id (the original holds the same).
 */
static void
test_store_copied_file (void)
{
  g_autofree char      *dir = dft_test_make_dir ();
  g_autofree char      *path = g_build_filename (dir, "daftari.db", NULL);
  g_autofree char      *copy_path = g_build_filename (dir, "copy.db", NULL);
  g_autofree char      *backup_path = g_build_filename (dir, "backup.db", NULL);
  g_autofree char      *first = NULL;
  g_autofree char      *second = NULL;
  g_autoptr (GError)    error = NULL;
  DftStore             *store = dft_store_open (path, &error);
  DftStore             *copy;
  g_autoptr (DftRecord) alpha = NULL;
  g_autoptr (DftRecord) beta = NULL;

  g_assert_no_error (error);
  g_assert_false (check_place (store));
  first = g_strdup (dft_store_get_device_id (store));
  alpha = dft_test_add_person (store, "Нурлан", "Осмонов");
  vacuum_into (store, backup_path);
  beta = dft_test_add_person (store, "გიორგი", "ბერიძე");
  vacuum_into (store, copy_path);
  dft_test_release_store (store);

  /* Opened again where it lives: the same device. */
  store = dft_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_false (check_place (store));
  g_assert_cmpstr (dft_store_get_device_id (store), ==, first);
  dft_test_release_store (store);

  /* The copy beside it: a device of its own, its earlier changes still the original's. */
  copy = dft_store_open (copy_path, &error);
  g_assert_no_error (error);
  g_assert_true (check_place (copy));
  second = g_strdup (dft_store_get_device_id (copy));
  g_assert_cmpstr (second, !=, first);
  g_assert_cmpint (dft_store_origin_high (copy, first, NULL), >, 0);
  g_assert_cmpint (dft_store_origin_high (copy, second, NULL), ==, 0);
  /* Once is enough: opened again where it now lives, it stays what it became. */
  dft_test_release_store (copy);
  copy = dft_store_open (copy_path, &error);
  g_assert_no_error (error);
  g_assert_false (check_place (copy));
  g_assert_cmpstr (dft_store_get_device_id (copy), ==, second);
  dft_test_release_store (copy);

  /* The backup copied back over the original, as `cp` does: the same file, fewer changes
   * than the device had made, which the note beside it remembers. */
  copy_over (backup_path, path);
  store = dft_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (check_place (store));
  g_assert_cmpstr (dft_store_get_device_id (store), !=, first);
  dft_test_release_store (store);
  dft_test_dir_free (g_steal_pointer (&dir));
}

/* The values a person dialog offers: live records only, no blanks, most used first, then in
 * order, at most the limit asked. */
static void
test_store_list_values (void)
{
  g_autofree char   *dir = NULL;
  DftStore          *store = dft_test_open_store (&dir);
  const char        *agencies[] = { "Customs", "Police", "", "  ", "Police", "Audit", "Gone" };
  const char *const  all[] = { "Police", "Audit", "Customs", NULL };
  g_auto (GStrv)     values = NULL;
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (agencies); i++)
    {
      g_autoptr (DftRecord) person = dft_test_add_person (store, "Person", "Example");

      dft_record_set_string (person, "agency", agencies[i]);
      g_assert_true (dft_store_save (store, person, &error));
      g_assert_no_error (error);
      if (g_str_equal (agencies[i], "Gone"))
        {
          g_assert_true (dft_store_delete (store, person, &error));
          g_assert_no_error (error);
        }
    }
  values = dft_store_list_values (store, &dft_entity_person, "agency", 10, &error);
  g_assert_no_error (error);
  g_assert_true (g_strv_equal ((const char *const *) values, all));
  g_clear_pointer (&values, g_strfreev);
  values = dft_store_list_values (store, &dft_entity_person, "agency", 1, &error);
  g_assert_cmpuint (g_strv_length (values), ==, 1);
  g_assert_cmpstr (values[0], ==, "Police");
  dft_test_release_store (store);
  dft_test_dir_free (g_steal_pointer (&dir));
}

/* Named queries take field names from the schema only: anything else is refused, not run. */
static void
test_store_list_records (void)
{
  g_autofree char      *dir = NULL;
  DftStore             *store = dft_test_open_store (&dir);
  const char           *families[] = { "okafor", "Abebe", "Zulu", "Mensah" };
  const char           *agencies[] = { "Police", "Customs", "Police", "Police" };
  const char           *emails[] = { "o@example.org", NULL, "", "m@example.org" };
  const char *const     by_name[] = { "family_name COLLATE NOCASE", NULL };
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GError)    error = NULL;

  if (g_test_subprocess ())
    {
      /* A name that is not a column, as a caller slipping SQL through would pass. */
      records = dft_store_list_records (store, &dft_entity_person,
                                        (const char *[]){ "1 = 1 OR agency", "x", NULL }, NULL, 0,
                                        &error);
      g_assert_null (records);
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (families); i++)
    {
      g_autoptr (DftRecord) person = dft_test_add_person (store, "Person", families[i]);

      dft_record_set_string (person, "agency", agencies[i]);
      dft_record_set_string (person, "email", emails[i]);
      g_assert_true (dft_store_save (store, person, &error));
      g_assert_no_error (error);
      if (g_str_equal (families[i], "Mensah"))
        {
          g_assert_true (dft_store_delete (store, person, &error));
          g_assert_no_error (error);
        }
    }

  records = dft_store_list_records (
      store, &dft_entity_person, (const char *[]){ "agency", "Police", NULL }, by_name, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 2);
  g_assert_cmpstr (dft_record_get_string (g_ptr_array_index (records, 0), "family_name"), ==,
                   "okafor");
  g_assert_cmpstr (dft_record_get_string (g_ptr_array_index (records, 1), "family_name"), ==,
                   "Zulu");
  g_clear_pointer (&records, g_ptr_array_unref);

  /* A NULL value: the field holds something, not nothing and not "". */
  records = dft_store_list_records (store, &dft_entity_person,
                                    (const char *[]){ "email", NULL, NULL }, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 1);
  g_assert_cmpstr (dft_record_get_string (g_ptr_array_index (records, 0), "email"), ==,
                   "o@example.org");
  g_clear_pointer (&records, g_ptr_array_unref);

  records = dft_store_list_records (store, &dft_entity_person, NULL, by_name, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 2);
  g_assert_cmpstr (dft_record_get_string (g_ptr_array_index (records, 0), "family_name"), ==,
                   "Abebe");
  g_assert_cmpint (dft_store_count_records (store, &dft_entity_person, &error), ==, 3);
  g_assert_no_error (error);

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*is_column*");

  dft_test_release_store (store);
  dft_test_dir_free (g_steal_pointer (&dir));
}

/*
 * The purge (sync/PROTOCOL.md, "Purge"), at the store: a deleted person goes with their
 * enrollment only once every device of the positions holds their changes (their own, or at or
 * below the position); a dry run removes nothing; a late change to the person is set aside
 * and still counts as received, and brings nobody back.
 */
static void
test_store_purge (void)
{
  g_autoptr (GError)    error = NULL;
  g_autofree char      *dir = NULL;
  g_autofree char      *positions = NULL;
  g_autoptr (DftStore)  laptop = dft_test_open_store (&dir);
  g_autoptr (DftStore)  server = dft_test_open_replica (dir, "server.db");
  g_autoptr (DftRecord) event = dft_test_add_event (laptop, "Purge", "2025-03-03", "2025-03-04");
  g_autoptr (DftRecord) person = dft_test_add_person (laptop, "Gone", "Person");
  g_autoptr (DftRecord) kept = dft_test_add_person (laptop, "Kept", "Person");
  g_autoptr (DftRecord) enrollment = NULL;
  g_autoptr (DftRecord) loaded = NULL;
  g_autoptr (GPtrArray) since = NULL;
  const char           *id = dft_record_get_id (person);
  DftPurgeStats         stats = { 0 };
  gint64                high, last, listed = 0;
  gboolean              purged = TRUE, cut = TRUE;

  enrollment = dft_store_enroll (laptop, dft_record_get_id (event), id, "participant", &error);
  g_assert_no_error (error);
  dft_test_send_changes (laptop, server);
  dft_test_delete (server, &dft_entity_person, id);
  last = dft_store_last_seq (server, &error);
  g_assert_no_error (error);

  /* The laptop has not pulled the delete: nothing goes. */
  positions = g_strdup_printf ("{\"%s\": %" G_GINT64_FORMAT "}", dft_store_get_device_id (laptop),
                               last - 1);
  g_assert_true (dft_store_purge_deleted (server, positions, FALSE, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.people, ==, 0);
  g_free (positions);
  positions
      = g_strdup_printf ("{\"%s\": %" G_GINT64_FORMAT "}", dft_store_get_device_id (laptop), last);
  g_assert_true (dft_store_purge_deleted (server, positions, TRUE, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.people, ==, 1);
  g_assert_cmpuint (stats.enrollments, ==, 1);
  /* A dry run purges nothing: a server still asks about no change of a push. */
  g_assert_true (dft_store_has_purged (server, &purged, &error));
  g_assert_no_error (error);
  g_assert_false (purged);
  loaded = dft_store_load (server, &dft_entity_person, id, NULL);
  g_assert_nonnull (loaded);
  g_clear_object (&loaded);

  high = dft_store_origin_high (server, dft_store_get_device_id (laptop), &error);
  g_assert_true (dft_store_purge_deleted (server, positions, FALSE, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.people, ==, 1);
  loaded = dft_store_load (server, &dft_entity_person, id, NULL);
  g_assert_null (loaded);
  loaded = dft_store_load (server, &dft_entity_person, dft_record_get_id (kept), NULL);
  g_assert_nonnull (loaded);
  g_clear_object (&loaded);
  g_assert_true (dft_store_is_purged (server, id, &purged, &error));
  g_assert_true (purged);
  purged = FALSE;
  g_assert_true (dft_store_has_purged (server, &purged, &error));
  g_assert_true (purged);
  g_assert_cmpint (dft_store_origin_high (server, dft_store_get_device_id (laptop), &error), ==,
                   high);
  since = dft_store_purged_since (server, 1, G_MAXINT64, 10, &listed, &cut, &error);
  g_assert_cmpuint (since->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (since, 0), ==, id);
  g_assert_false (cut);
  g_clear_pointer (&since, g_ptr_array_unref);
  since = dft_store_purged_since (server, last, G_MAXINT64, 10, &listed, &cut, &error);
  g_assert_cmpuint (since->len, ==, 0);

  /* The laptop edits the person it still holds: set aside on the server, not applied. */
  dft_record_set_string (person, "family_name", "Late");
  dft_test_save (laptop, person);
  dft_test_send_changes (laptop, server);
  loaded = dft_store_load (server, &dft_entity_person, id, NULL);
  g_assert_null (loaded);
  g_assert_cmpuint (
      dft_store_count_set_aside (server, dft_store_get_device_id (laptop), NULL, &error), >=, 1);
  g_assert_cmpint (dft_store_origin_high (server, dft_store_get_device_id (laptop), &error), ==,
                   dft_store_origin_high (laptop, dft_store_get_device_id (laptop), &error));

  /* The laptop lets the person go; its own changes stay in its log. */
  since = dft_store_purged_since (server, 1, G_MAXINT64, 10, &listed, &cut, &error);
  g_assert_true (dft_store_forget_purged (laptop, since, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.people, ==, 1);
  loaded = dft_store_load (laptop, &dft_entity_person, id, NULL);
  g_assert_null (loaded);
  g_assert_cmpint (dft_store_origin_high (laptop, dft_store_get_device_id (laptop), &error), ==,
                   high + 1);

  dft_test_release_store (g_steal_pointer (&server));
  dft_test_release_store (g_steal_pointer (&laptop));
  dft_test_dir_free (g_steal_pointer (&dir));
}

int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);

  g_test_add_func ("/store/create", test_store_create);
  g_test_add_func ("/store/device-id-stable", test_store_device_id_stable);
  g_test_add_func ("/store/default-path", test_store_default_path);
  g_test_add_func ("/store/open-async", test_store_open_async);
  g_test_add_func ("/store/pending-changes", test_store_pending_changes);
  g_test_add_func ("/store/two-connections", test_store_two_connections);
  g_test_add_func ("/store/schema-matches-entities", test_store_schema_matches_entities);
  g_test_add_func ("/store/release-closes-files", test_store_release_closes_files);
  g_test_add_func ("/store/copied-file", test_store_copied_file);
  g_test_add_func ("/store/list-values", test_store_list_values);
  g_test_add_func ("/store/list-records", test_store_list_records);
  g_test_add_func ("/store/purge", test_store_purge);

  return g_test_run ();
}
