/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dft-change-log.h"
#include "dft-store-private.h"
#include "dft-test-util.h"

/*
 * Databases as earlier versions of Daftari left them, with real rows written
 * in the SQL of their own schema version, then opened by this version.
 */

#define EVENT_ID   "0195f1a0-0000-7000-8000-00000000e001"
#define SESSION_ID "0195f1a0-0000-7000-8000-00000000s001"
#define FORM_ID    "0195f1a0-0000-7000-8000-00000000f001"

static const char rows_v1[]
    = "INSERT INTO event (id, created_at, updated_at, title, track, country, city, start_date, "
      "end_date) "
      "VALUES ('" EVENT_ID "', '2026-01-10T09:00:00.000Z', '2026-01-10T09:00:00.000Z',"
      "        'Financial investigations', 'NAPOR', 'KG', 'Bishkek', '2026-01-12', '2026-01-14');"
      "INSERT INTO session (id, created_at, updated_at, event_id, date, part) "
      "VALUES ('" SESSION_ID "', '2026-01-10T09:00:00.000Z', '2026-01-10T09:00:00.000Z',"
      "        '" EVENT_ID "', '2026-01-12', 'am');"
      "INSERT INTO person (id, created_at, updated_at, given_name, family_name, gender, agency, "
      "consent) VALUES"
      " ('p-aibek', '2026-01-10T09:01:00.000Z', '2026-01-10T09:01:00.000Z', 'Айбек', 'Токтогулов', "
      "'male', 'Police', 1),"
      " ('p-nino', '2026-01-10T09:02:00.000Z', '2026-01-10T09:02:00.000Z', 'ნინო', 'კაპანაძე', "
      "'female', 'Judiciary', 1),"
      " ('p-juma', '2026-01-10T09:03:00.000Z', '2026-01-10T09:03:00.000Z', 'Juma', 'Mwakyusa', "
      "'male', 'Customs', 0);"
      "INSERT INTO enrollment (id, created_at, updated_at, event_id, person_id, role) VALUES"
      " ('en-1', '2026-01-10T09:04:00.000Z', '2026-01-10T09:04:00.000Z', '" EVENT_ID
      "', 'p-aibek', 'participant');"
      "INSERT INTO attendance (id, created_at, updated_at, session_id, person_id, status, note) "
      "VALUES"
      " ('at-1', '2026-01-12T09:05:00.000Z', '2026-01-12T09:05:00.000Z', '" SESSION_ID
      "', 'p-aibek', 'late', 'Bus');"
      "INSERT INTO change_log (hlc, device_id, entity, record_id, fields) VALUES"
      " (116000000000000000, 'old-device', 'person', 'p-aibek', '{\"given_name\":\"Айбек\"}'),"
      " (116000000000000001, 'old-device', 'attendance', 'at-1', '{\"status\":\"late\"}');"
      "INSERT INTO sync_state (key, value) VALUES ('device_id', 'old-device');";

static const char rows_v2[]
    = "INSERT INTO form (id, created_at, updated_at, form_key, version, title, definition) VALUES"
      " ('" FORM_ID "', '2026-01-10T09:00:00.000Z', '2026-01-10T09:00:00.000Z', 'evaluation', 2,"
      "  'Workshop evaluation', '{\"questions\":[{\"name\":\"l1\"}]}');"
      "INSERT INTO submission (id, created_at, updated_at, form_id, event_id, status, answers, "
      "score) VALUES"
      " ('sub-1', '2026-01-14T15:00:00.000Z', '2026-01-14T15:00:00.000Z', '" FORM_ID "', '" EVENT_ID
      "',"
      "  'final', '{\"l1\":5}', NULL);";

static gint64
count (sqlite3 *db, const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64        n;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return n;
}

static void
make_old_database (const char *path, int version)
{
  g_autoptr (GError)   error = NULL;
  g_autoptr (DftStore) old = _dft_store_open_at_version (path, version, &error);
  sqlite3             *db;

  g_assert_no_error (error);
  db = _dft_store_get_db (old);
  g_assert_cmpint (count (db, "PRAGMA user_version"), ==, version);
  /* The store made a device id of its own on first open; the rows below replace it. */
  g_assert_cmpint (sqlite3_exec (db, "DELETE FROM sync_state", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, rows_v1, NULL, NULL, NULL), ==, SQLITE_OK);
  if (version >= 2)
    g_assert_cmpint (sqlite3_exec (db, rows_v2, NULL, NULL, NULL), ==, SQLITE_OK);
  /* Version 4 wrote each change with its origin number and each field's version. */
  if (version >= 4)
    g_assert_cmpint (sqlite3_exec (db,
                                   "UPDATE change_log SET origin_seq = seq;"
                                   "INSERT INTO field_version (entity, record_id, field, hlc, "
                                   "device_id) SELECT c.entity, c.record_id, f.key, c.hlc, "
                                   "c.device_id FROM change_log c, json_each (c.fields) f;",
                                   NULL, NULL, NULL),
                     ==, SQLITE_OK);
  /* Version 3 wrote each person's search key as it saved them. */
  if (version >= 3)
    {
      const char *people[][3] = { { "p-aibek", "Айбек", "Токтогулов" },
                                  { "p-nino", "ნინო", "კაპანაძე" },
                                  { "p-juma", "Juma", "Mwakyusa" } };
      for (guint i = 0; i < G_N_ELEMENTS (people); i++)
        {
          g_autoptr (GError) key_error = NULL;
          g_assert_true (_dft_person_update_search_key (db, people[i][0], people[i][1],
                                                        people[i][2], &key_error));
        }
    }
}

static void
check_find (DftStore *store, const char *query, const char *expected_id)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) found = dft_store_find_people (store, query, 0, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (dft_record_get_id (g_ptr_array_index (found, 0)), ==, expected_id);
}

static void
test_migrate_from (gconstpointer data)
{
  int                   from = GPOINTER_TO_INT (data);
  g_autoptr (GError)    error = NULL;
  g_autofree char      *dir = dft_test_make_dir ();
  g_autofree char      *path = g_build_filename (dir, "daftari.db", NULL);
  g_autofree char      *backup = g_strdup_printf ("%s.v%d.bak", path, from);
  g_autoptr (DftStore)  store = NULL;
  g_autoptr (DftRecord) attendance = NULL;
  g_autoptr (DftRecord) added = NULL;
  sqlite3              *db;

  make_old_database (path, from);

  store = dft_store_open (path, &error);
  g_assert_no_error (error);
  db = _dft_store_get_db (store);
  g_assert_cmpint (count (db, "PRAGMA user_version"), ==, DFT_SCHEMA_VERSION);

  /* Every row came through. */
  g_assert_cmpint (count (db, "SELECT count (*) FROM person"), ==, 3);
  g_assert_cmpint (count (db, "SELECT count (*) FROM event"), ==, 1);
  g_assert_cmpint (count (db, "SELECT count (*) FROM change_log"), ==, 2);
  attendance = dft_store_load (store, &dft_entity_attendance, "at-1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dft_record_get_string (attendance, "status"), ==, "late");
  g_assert_cmpstr (dft_record_get_string (attendance, "note"), ==, "Bus");
  if (from >= 2)
    {
      g_autoptr (DftRecord) sub = dft_store_load (store, &dft_entity_submission, "sub-1", &error);
      g_assert_no_error (error);
      g_assert_cmpstr (dft_record_get_string (sub, "answers"), ==, "{\"l1\":5}");
    }

  /* Sync (version 4): every old change has its origin number and every field a version. */
  g_assert_cmpint (count (db, "SELECT count (*) FROM change_log WHERE origin_seq = seq"), ==, 2);
  g_assert_cmpint (count (db, "SELECT count (*) FROM field_version WHERE entity = 'attendance' "
                              "AND record_id = 'at-1' AND field = 'status'"),
                   ==, 1);

  /* The device keeps its identity, so the server does not see a stranger. */
  g_assert_cmpstr (dft_store_get_device_id (store), ==, "old-device");

  /* People written before search keys existed are found in every script. */
  check_find (store, "aibek", "p-aibek");
  check_find (store, "nino", "p-nino");
  check_find (store, "mwak", "p-juma");

  /* The clock continues after the old entries. */
  added = dft_test_add_person (store, "Медер", "Садыков");
  g_assert_cmpint (count (db, "SELECT count (*) FROM change_log WHERE hlc > 116000000000000001"),
                   ==, 1);

  /* A copy of the database as it was stays beside it. */
  g_assert_true (g_file_test (backup, G_FILE_TEST_IS_REGULAR));
  {
    sqlite3 *bak = NULL;
    g_assert_cmpint (sqlite3_open_v2 (backup, &bak, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
    g_assert_cmpint (count (bak, "PRAGMA user_version"), ==, from);
    g_assert_cmpint (count (bak, "SELECT count (*) FROM person"), ==, 3);
    sqlite3_close (bak);
  }

  g_clear_object (&store);
  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_migrate_fresh_no_backup (void)
{
  g_autofree char     *dir = NULL;
  g_autoptr (DftStore) store = dft_test_open_store (&dir);
  g_autofree char     *backup = g_strdup_printf ("%s.v1.bak", dft_store_get_path (store));

  /* A brand-new database has nothing to back up. */
  g_assert_false (g_file_test (backup, G_FILE_TEST_EXISTS));
  g_clear_object (&store);
  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_migrate_reopen_is_noop (void)
{
  g_autoptr (GError)    error = NULL;
  g_autofree char      *dir = NULL;
  g_autoptr (DftStore)  store = dft_test_open_store (&dir);
  g_autofree char      *path = g_strdup (dft_store_get_path (store));
  g_autoptr (DftRecord) p = dft_test_add_person (store, "Upendo", "Kimaro");

  g_clear_object (&store);
  store = dft_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (count (_dft_store_get_db (store), "SELECT count (*) FROM person"), ==, 1);
  g_clear_object (&store);
  dft_test_dir_free (g_steal_pointer (&dir));
}

int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);

  for (int v = 1; v < DFT_SCHEMA_VERSION; v++)
    {
      g_autofree char *path = g_strdup_printf ("/migrations/from-v%d", v);
      g_test_add_data_func (path, GINT_TO_POINTER (v), test_migrate_from);
    }
  g_test_add_func ("/migrations/fresh-no-backup", test_migrate_fresh_no_backup);
  g_test_add_func ("/migrations/reopen-is-noop", test_migrate_reopen_is_noop);

  return g_test_run ();
}
