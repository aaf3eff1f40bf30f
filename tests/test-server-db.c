/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "dft-server-db.h"
#include "dft-server-sql.h"
#include "dft-test-pg.h"
#include "dft-test-util.h"

/*
 * The server's own database through its public calls, on SQLite, or on PostgreSQL with
 * DAFTARI_TEST_STORAGE=postgresql (test-server-db-postgresql): both must answer alike, the
 * errors callers branch on included.
 */

typedef struct
{
  char        *dir;
  char        *storage; /* a libpq URI, or NULL for the SQLite file */
  DftServerDb *db;
} Fixture;

static DftServerDb *
reopen (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *path = g_build_filename (f->dir, "accounts.db", NULL);
  DftServerDb       *db = dft_server_db_open_storage (f->storage, path, &error);

  g_assert_no_error (error);
  return db;
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autofree char *line = dft_test_pg_storage_line ();

  f->dir = dft_test_make_dir ();
  if (line != NULL)
    f->storage = g_strstrip (g_strdup (line + strlen ("storage=")));
  f->db = reopen (f);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->db);
  dft_test_dir_free (f->dir);
  g_free (f->storage);
}

static void
test_migrations (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)      error = NULL;
  g_autoptr (DftTeam)     team = NULL;
  g_autoptr (DftServerDb) again = NULL;
  g_autoptr (DftTeam)     found = NULL;

  g_assert_cmpint (dft_server_db_get_version (f->db), ==, DFT_SERVER_DB_VERSION);
  team = dft_server_db_create_team (f->db, "Team A", &error);
  g_assert_no_error (error);
  /* Opened again, nothing is migrated twice and what was written is there. */
  again = reopen (f);
  g_assert_cmpint (dft_server_db_get_version (again), ==, DFT_SERVER_DB_VERSION);
  found = dft_server_db_find_team (again, team->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found->name, ==, "Team A");
}

static void
test_unique_and_missing (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (DftTeam)    team = dft_server_db_create_team (f->db, "Team A", &error);
  g_autoptr (DftTeam)    twice = NULL;
  g_autoptr (DftAccount) account = NULL;
  g_autoptr (DftAccount) same = NULL;
  g_autoptr (DftAccount) lost = NULL;

  g_assert_no_error (error);
  twice = dft_server_db_create_team (f->db, "Team A", &error);
  g_assert_error (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_EXISTS);
  g_assert_null (twice);
  g_clear_error (&error);

  account = dft_server_db_create_account (f->db, "Aibek", DFT_SERVER_ROLE_TRAINER, team->id, "hash",
                                          &error);
  g_assert_no_error (error);
  g_assert_cmpstr (account->team_name, ==, "Team A");
  /* User names meet whatever case they are typed in, on either database. */
  same = dft_server_db_create_account (f->db, "AIBEK", DFT_SERVER_ROLE_TRAINER, team->id, "hash",
                                       &error);
  g_assert_error (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_EXISTS);
  g_assert_null (same);
  g_clear_error (&error);
  g_clear_pointer (&same, dft_account_free);
  same = dft_server_db_find_account (f->db, "aibek", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (same->id, ==, account->id);

  lost = dft_server_db_create_account (f->db, "nobody", DFT_SERVER_ROLE_TRAINER, "no-such-team",
                                       "hash", &error);
  g_assert_error (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_NOT_FOUND);
  g_assert_null (lost);
  g_clear_error (&error);
  g_assert_false (dft_server_db_add_enrolment_code (
      f->db, "code", "no-such-team", DFT_SERVER_ROLE_TRAINER, 1, 10, 1000, NULL, &error));
  g_assert_error (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_NOT_FOUND);
}

static void
test_devices (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (DftTeam)    team = dft_server_db_create_team (f->db, "Team A", &error);
  g_autoptr (DftAccount) a = NULL;
  g_autoptr (DftAccount) b = NULL;
  g_autoptr (DftDevice)  device = NULL;
  g_autoptr (DftDevice)  again = NULL;
  g_autoptr (DftDevice)  taken = NULL;
  g_autoptr (DftDevice)  coded = NULL;
  g_autoptr (DftDevice)  twice = NULL;
  g_autoptr (GPtrArray)  devices = NULL;

  g_assert_no_error (error);
  a = dft_server_db_create_account (f->db, "a", DFT_SERVER_ROLE_TRAINER, team->id, "h", &error);
  g_assert_no_error (error);
  b = dft_server_db_create_account (f->db, "b", DFT_SERVER_ROLE_COORDINATOR, NULL, "h", &error);
  g_assert_no_error (error);

  device = dft_server_db_enrol_with_account (f->db, a->id, "dev-1", "Laptop", "token-1", "key", 100,
                                             1000, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (device->team_name, ==, "Team A");
  g_assert_cmpint (device->expires_at, ==, 1000);
  g_assert_cmpint (device->revoked_at, ==, 0);
  /* The same account again: the row is rewritten (parameters named out of order, $2 … $1). */
  again = dft_server_db_enrol_with_account (f->db, a->id, "dev-1", "Laptop 2", "token-2", NULL, 200,
                                            2000, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->name, ==, "Laptop 2");
  g_assert_cmpint (again->enrolled_at, ==, 200);
  g_assert_null (again->sign_key);
  taken = dft_server_db_enrol_with_account (f->db, b->id, "dev-1", "Other", "token-3", NULL, 300,
                                            3000, &error);
  g_assert_error (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_CONFLICT);
  g_assert_null (taken);
  g_clear_error (&error);

  /* A code of one use: the second device is refused, and nothing of it was written. */
  g_assert_true (dft_server_db_add_enrolment_code (f->db, "code", team->id, DFT_SERVER_ROLE_TRAINER,
                                                   1, 100, 1000, NULL, &error));
  g_assert_no_error (error);
  coded = dft_server_db_enrol_with_code (f->db, "code", "dev-2", "Tablet", "token-4", NULL, 150,
                                         900, &error);
  g_assert_no_error (error);
  g_assert_cmpint (coded->role, ==, DFT_SERVER_ROLE_TRAINER);
  twice = dft_server_db_enrol_with_code (f->db, "code", "dev-3", "Tablet", "token-5", NULL, 160,
                                         900, &error);
  g_assert_error (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_CODE_INVALID);
  g_clear_error (&error);

  g_assert_true (dft_server_db_revoke_device (f->db, "dev-2", 500, &error));
  g_assert_true (dft_server_db_revoke_device (f->db, "dev-2", 600, &error));
  g_assert_false (dft_server_db_revoke_device (f->db, "dev-9", 600, &error));
  g_assert_error (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_clear_pointer (&coded, dft_device_free);
  coded = dft_server_db_find_device_by_token (f->db, "token-4", &error);
  g_assert_no_error (error);
  g_assert_cmpint (coded->revoked_at, ==, 500);

  devices = dft_server_db_list_devices (f->db, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (devices->len, ==, 2);
}

static void
test_owners (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (DftTeam)    team = dft_server_db_create_team (f->db, "Team A", &error);
  g_autoptr (GPtrArray)  ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray)  entities = g_ptr_array_new ();
  g_autoptr (GHashTable) owners = NULL;
  g_autoptr (GPtrArray)  owned = NULL;
  g_autofree char       *owner = NULL;
  gboolean               claimed;
  guint                  n_workshops;

  g_assert_no_error (error);
  /* More than one chunk of IN ($1, … $256). */
  for (guint i = 0; i < 300; i++)
    {
      g_ptr_array_add (ids, g_strdup_printf ("record-%03u", i));
      g_ptr_array_add (entities, i % 3 == 0 ? "event" : "submission");
    }
  g_assert_true (dft_server_db_claim (f->db, ids, entities, team->id, 10, &error));
  g_assert_no_error (error);
  /* Claimed again: they keep their team. */
  g_assert_true (dft_server_db_claim (f->db, ids, entities, NULL, 20, &error));
  owners = dft_server_db_get_owners (f->db, ids, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (owners), ==, 300);
  g_assert_cmpstr (g_hash_table_lookup (owners, "record-299"), ==, team->id);
  owned = dft_server_db_list_owned (f->db, team->id, &n_workshops, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (owned->len, ==, 300);
  g_assert_cmpuint (n_workshops, ==, 100);

  g_assert_true (dft_server_db_set_owner (f->db, "record-000", "event", NULL, 30, &error));
  g_assert_true (dft_server_db_get_owner (f->db, "record-000", &claimed, &owner, &error));
  g_assert_no_error (error);
  g_assert_true (claimed);
  g_assert_null (owner);
  g_ptr_array_set_size (ids, 1);
  g_assert_true (dft_server_db_unclaim (f->db, ids, &error));
  g_assert_true (dft_server_db_get_owner (f->db, "record-000", &claimed, &owner, &error));
  g_assert_false (claimed);
}

/* SQLite reads $1 as a named parameter: one SQL text serves both, in any order of use. */
static void
test_sql_parameters (void)
{
  g_autoptr (GError)           error = NULL;
  g_autofree char             *dir = dft_test_make_dir ();
  g_autofree char             *path = g_build_filename (dir, "t.db", NULL);
  DftServerSql                *sql;
  g_autoptr (DftServerSqlStmt) stmt = NULL;

  g_assert_true (g_file_set_contents (path, "", 0, NULL));
  sql = dft_server_sql_open_sqlite (path, &error);
  g_assert_no_error (error);
  stmt = dft_server_sql_prepare (sql, "SELECT $2 || '-' || $1, $3 + 1, $2", &error);
  g_assert_no_error (error);
  dft_server_sql_bind_text (stmt, 1, "one");
  dft_server_sql_bind_text (stmt, 2, "two");
  dft_server_sql_bind_int64 (stmt, 3, G_GINT64_CONSTANT (5000000000));
  g_assert_cmpint (dft_server_sql_step (stmt, &error), ==, DFT_SERVER_SQL_ROW);
  g_assert_cmpstr (dft_server_sql_column_text (stmt, 0), ==, "two-one");
  g_assert_cmpint (dft_server_sql_column_int64 (stmt, 1), ==, G_GINT64_CONSTANT (5000000001));
  g_assert_cmpint (dft_server_sql_step (stmt, &error), ==, DFT_SERVER_SQL_DONE);
  g_clear_pointer (&stmt, dft_server_sql_stmt_free);
  dft_server_sql_close (sql);
  dft_test_dir_free (g_steal_pointer (&dir));
}

/* PostgreSQL gone and back: the call in between fails as "unavailable", the next one works. */
static void
test_postgresql_reconnects (void)
{
  const char             *why = dft_test_pg_unavailable ();
  g_autoptr (GError)      error = NULL;
  g_autoptr (DftTestPg)   pg = NULL;
  g_autofree char        *uri = NULL;
  g_autofree char        *dir = NULL;
  g_autofree char        *path = NULL;
  g_autoptr (DftServerDb) db = NULL;
  g_autoptr (DftTeam)     team = NULL;
  g_autoptr (GPtrArray)   teams = NULL;

  if (why != NULL)
    {
      g_test_skip (why);
      return;
    }
  pg = dft_test_pg_new ();
  uri = dft_test_pg_create_database (pg);
  dir = dft_test_make_dir ();
  path = g_build_filename (dir, "accounts.db", NULL);
  db = dft_server_db_open_storage (uri, path, &error);
  g_assert_no_error (error);

  dft_test_pg_stop (pg);
  team = dft_server_db_create_team (db, "Team A", &error);
  g_assert_error (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_UNAVAILABLE);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  teams = dft_server_db_list_teams (db, &error);
  g_assert_error (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_UNAVAILABLE);
  g_clear_error (&error);
  g_clear_object (&db);
  /* Opening fails the same way, saying where it looked. */
  db = dft_server_db_open_storage (uri, path, &error);
  g_assert_error (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_UNAVAILABLE);
  g_assert_nonnull (strstr (error->message, "dpg-"));
  g_clear_error (&error);

  dft_test_pg_start (pg);
  db = dft_server_db_open_storage (uri, path, &error);
  g_assert_no_error (error);
  dft_test_pg_stop (pg);
  dft_test_pg_start (pg);
  team = dft_server_db_create_team (db, "Team A", &error);
  g_assert_no_error (error);
  teams = dft_server_db_list_teams (db, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (teams->len, ==, 1);
  g_clear_object (&db);
  dft_test_dir_free (g_steal_pointer (&dir));
}

/* admin migrate-storage's copy: everything, checked, and never into a database in use. */
static void
test_copy_to_postgresql (void)
{
  const char             *why = dft_test_pg_unavailable ();
  g_autoptr (GError)      error = NULL;
  g_autoptr (DftTestPg)   pg = NULL;
  g_autofree char        *uri = NULL;
  g_autofree char        *dir = NULL;
  g_autofree char        *path = NULL;
  g_autoptr (DftServerDb) from = NULL;
  g_autoptr (DftServerDb) to = NULL;
  g_autoptr (DftTeam)     team = NULL;
  g_autoptr (DftAccount)  account = NULL;
  g_autoptr (DftAccount)  copied = NULL;
  g_autoptr (DftDevice)   device = NULL;
  g_autoptr (DftDevice)   copied_device = NULL;
  g_autoptr (GPtrArray)   ids = g_ptr_array_new ();
  g_autoptr (GPtrArray)   entities = g_ptr_array_new ();
  g_autoptr (GString)     report = g_string_new (NULL);
  g_autoptr (GString)     again = g_string_new (NULL);
  g_auto (GStrv)          lines = NULL;

  if (why != NULL)
    {
      g_test_skip (why);
      return;
    }
  dir = dft_test_make_dir ();
  path = g_build_filename (dir, "accounts.db", NULL);
  from = dft_server_db_open (path, &error);
  g_assert_no_error (error);
  team = dft_server_db_create_team (from, "Team A \\ “quoted”", &error);
  g_assert_no_error (error);
  account = dft_server_db_create_account (from, "Aibek", DFT_SERVER_ROLE_TRAINER, team->id, "hash",
                                          &error);
  g_assert_no_error (error);
  device = dft_server_db_enrol_with_account (from, account->id, "dev-1", "Laptop", "token", NULL,
                                             100, G_GINT64_CONSTANT (9000000000), &error);
  g_assert_no_error (error);
  g_assert_true (dft_server_db_add_enrolment_code (from, "code", NULL, DFT_SERVER_ROLE_COORDINATOR,
                                                   3, 10, 1000, NULL, &error));
  g_ptr_array_add (ids, "record-1");
  g_ptr_array_add (entities, "event");
  g_assert_true (dft_server_db_claim (from, ids, entities, NULL, 50, &error));
  g_assert_no_error (error);

  pg = dft_test_pg_new ();
  uri = dft_test_pg_create_database (pg);
  to = dft_server_db_open_storage (uri, path, &error);
  g_assert_no_error (error);
  g_assert_true (dft_server_db_copy_to (from, to, report, &error));
  g_assert_no_error (error);
  g_test_message ("%s", report->str);
  lines = g_strsplit (report->str, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 6);
  g_assert_true (g_str_has_prefix (lines[0], "team\t1\tsha256:"));
  g_assert_true (g_str_has_prefix (lines[2], "device\t1\tsha256:"));
  g_assert_true (g_str_has_prefix (lines[4], "record_owner\t1\tsha256:"));

  copied = dft_server_db_find_account (to, "aibek", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (copied->id, ==, account->id);
  g_assert_cmpstr (copied->team_name, ==, team->name);
  copied_device = dft_server_db_find_device_by_token (to, "token", &error);
  g_assert_no_error (error);
  g_assert_cmpint (copied_device->expires_at, ==, G_GINT64_CONSTANT (9000000000));
  g_assert_cmpint (copied_device->revoked_at, ==, 0);

  /* A second time, onto what the first wrote: refused, nothing changed. */
  g_assert_false (dft_server_db_copy_to (from, to, again, &error));
  g_assert_error (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_EXISTS);
  g_assert_cmpuint (again->len, ==, 0);
  g_clear_object (&to);
  g_clear_object (&from);
  dft_test_dir_free (g_steal_pointer (&dir));
}

int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);

  g_test_add ("/server-db/migrations", Fixture, NULL, setup, test_migrations, teardown);
  g_test_add ("/server-db/unique-and-missing", Fixture, NULL, setup, test_unique_and_missing,
              teardown);
  g_test_add ("/server-db/devices", Fixture, NULL, setup, test_devices, teardown);
  g_test_add ("/server-db/owners", Fixture, NULL, setup, test_owners, teardown);
  g_test_add_func ("/server-db/sql-parameters", test_sql_parameters);
  g_test_add_func ("/server-db/postgresql-reconnects", test_postgresql_reconnects);
  g_test_add_func ("/server-db/copy-to-postgresql", test_copy_to_postgresql);
  return g_test_run ();
}
