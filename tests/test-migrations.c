/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dft-change-log.h"
#include "dft-report.h"
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

/* People as versions before 7 kept them: countries and phone numbers as they were typed. */
static const char rows_typed[]
    = "INSERT INTO person (id, created_at, updated_at, given_name, country, phone) VALUES"
      " ('p-kg-lower', '2026-01-10T09:05:00.000Z', '2026-01-10T09:05:00.000Z', 'Bakyt', 'kg',"
      "  '+996 (555) 12-34-56'),"
      " ('p-kg-name', '2026-01-10T09:06:00.000Z', '2026-01-10T09:06:00.000Z', 'Cholpon',"
      "  'Kyrgyzstan', '+996555654321'),"
      " ('p-kg', '2026-01-10T09:07:00.000Z', '2026-01-10T09:07:00.000Z', 'Dinara', 'KG', NULL),"
      " ('p-odd', '2026-01-10T09:08:00.000Z', '2026-01-10T09:08:00.000Z', 'Emil', 'Atlantis',"
      "  'ask the office');"
      "INSERT INTO enrollment (id, created_at, updated_at, event_id, person_id, role) VALUES"
      " ('en-2', '2026-01-10T09:09:00.000Z', '2026-01-10T09:09:00.000Z', '" EVENT_ID
      "', 'p-kg-lower', 'participant'),"
      " ('en-3', '2026-01-10T09:09:00.000Z', '2026-01-10T09:09:00.000Z', '" EVENT_ID
      "', 'p-kg-name', 'participant'),"
      " ('en-4', '2026-01-10T09:09:00.000Z', '2026-01-10T09:09:00.000Z', '" EVENT_ID
      "', 'p-kg', 'participant'),"
      " ('en-5', '2026-01-10T09:09:00.000Z', '2026-01-10T09:09:00.000Z', '" EVENT_ID
      "', 'p-odd', 'participant');"
      "UPDATE event SET country = 'kg';";

static char *
text_of (sqlite3 *db, const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  char         *text;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return text;
}

static void
assert_text (sqlite3 *db, const char *sql, const char *expected)
{
  g_autofree char *text = text_of (db, sql);

  g_assert_cmpstr (text, ==, expected);
}

/*
 * Version 7 gives countries their codes and phone numbers their one form, as changes in the
 * change log like any save: a sync passes them to every other replica. What has no such
 * form stays as it was written.
 */
static void
test_migrate_normalizes_fields (void)
{
  g_autoptr (GError)         error = NULL;
  g_autofree char           *dir = dft_test_make_dir ();
  g_autofree char           *path = g_build_filename (dir, "daftari.db", NULL);
  g_autoptr (DftStore)       store = NULL;
  g_autoptr (DftEventReport) report = NULL;
  sqlite3                   *db;

  make_old_database (path, 6);
  {
    g_autoptr (DftStore) old = _dft_store_open_at_version (path, 6, &error);
    g_assert_no_error (error);
    g_assert_cmpint (sqlite3_exec (_dft_store_get_db (old), rows_typed, NULL, NULL, NULL), ==,
                     SQLITE_OK);
  }

  store = dft_store_open (path, &error);
  g_assert_no_error (error);
  db = _dft_store_get_db (store);

  assert_text (db, "SELECT country FROM person WHERE id = 'p-kg-lower'", "KG");
  assert_text (db, "SELECT phone FROM person WHERE id = 'p-kg-lower'", "+996555123456");
  assert_text (db, "SELECT country FROM person WHERE id = 'p-kg-name'", "KG");
  assert_text (db, "SELECT phone FROM person WHERE id = 'p-kg-name'", "+996555654321");
  assert_text (db, "SELECT country FROM person WHERE id = 'p-kg'", "KG");
  assert_text (db, "SELECT country FROM event", "KG");
  /* Never lose data: what is no country and no number is kept as written. */
  assert_text (db, "SELECT country FROM person WHERE id = 'p-odd'", "Atlantis");
  assert_text (db, "SELECT phone FROM person WHERE id = 'p-odd'", "ask the office");

  /* One change per record rewritten, with only the rewritten fields (and "deleted", as every
   * save of a live record sends), under this device's name and after its clock; the field
   * versions follow, so a merge ranks them. */
  g_assert_cmpint (count (db, "SELECT count (*) FROM change_log WHERE hlc > 116000000000000001 "
                              "AND device_id = 'old-device'"),
                   ==, 3);
  assert_text (db,
               "SELECT fields FROM change_log WHERE record_id = 'p-kg-lower' "
               "ORDER BY seq DESC LIMIT 1",
               "{\"country\":\"KG\",\"phone\":\"+996555123456\",\"deleted\":false}");
  assert_text (db,
               "SELECT fields FROM change_log WHERE record_id = 'p-kg-name' "
               "ORDER BY seq DESC LIMIT 1",
               "{\"country\":\"KG\",\"deleted\":false}");
  g_assert_cmpint (count (db, "SELECT count (*) FROM change_log WHERE record_id IN "
                              "('p-kg', 'p-odd')"),
                   ==, 0);
  g_assert_cmpint (count (db, "SELECT count (*) FROM field_version f JOIN change_log c ON "
                              "c.hlc = f.hlc AND c.device_id = f.device_id WHERE f.entity = "
                              "'person' AND f.record_id = 'p-kg-lower' AND f.field IN "
                              "('country', 'phone')"),
                   ==, 2);
  g_assert_cmpint (dft_store_count_pending_changes (store, &error), >=, 3);
  g_assert_no_error (error);

  /* The summary counts "kg", "Kyrgyzstan" and "KG" as one country. */
  report = dft_report_event (store, EVENT_ID, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (report->countries->len, ==, 3);
  g_assert_cmpstr (((DftReportCount *) g_ptr_array_index (report->countries, 0))->name, ==, "KG");
  g_assert_cmpuint (((DftReportCount *) g_ptr_array_index (report->countries, 0))->count, ==, 3);

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
  g_test_add_func ("/migrations/v7/normalizes-fields", test_migrate_normalizes_fields);
  g_test_add_func ("/migrations/fresh-no-backup", test_migrate_fresh_no_backup);
  g_test_add_func ("/migrations/reopen-is-noop", test_migrate_reopen_is_noop);

  return g_test_run ();
}
