/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gio.h>
#include <sqlite3.h>
#include <string.h>

#include "dft-bundle.h"
#include "dft-db.h"
#include "dft-change-log.h"
#include "dft-store-attachments.h"
#include "dft-store-private.h"
#include "dft-sync-client.h"
#include "dft-test-device.h"
#include "dft-test-pg.h"
#include "dft-test-util.h"

/*
 * "admin migrate-storage" (issue 20): a server that served alone on SQLite, its devices synced,
 * moved to PostgreSQL, accounts and register, and started again as a cluster of two processes
 * (cluster=yes): one on the old data folder, whose records.db must be found to match the
 * shared log and kept, one on an empty folder, which makes its replica from the log. Both
 * serve the same people: a new device gets all of them from 0, and a device that synced before
 * goes on from its cursor, under the same epoch, and gets only what came after.
 *
 * Needs PostgreSQL's server binaries (not as root, which initdb refuses); skips without them.
 */

#define TEAM                 "North"
#define COORDINATOR          "coordinator"
#define PASSWORD_COORDINATOR "coordinator password 1"
#define WAIT_SECONDS         120

/* ---- Devices ---- */

/* How long a link may say nothing before a device gives up on it. */
#define STALL_SECONDS 30

typedef DftTestDevice Device;

static void
login (Device *device)
{
  dft_test_device_login (device, COORDINATOR, PASSWORD_COORDINATOR);
}

static DftSyncStats
device_sync_any (Device *device)
{
  return dft_test_device_sync (device);
}

static DftSyncStats
device_sync (Device *device)
{
  DftSyncStats stats = device_sync_any (device);

  /* No epoch changed under the devices, and nothing was sent again. */
  g_assert_cmpuint (stats.restarts, ==, 0);
  g_assert_cmpuint (stats.relayed, ==, 0);
  return stats;
}

static gboolean
holds_person (DftStore *store, const char *id)
{
  g_autoptr (DftRecord) record = dft_store_load (store, &dft_entity_person, id, NULL);

  return record != NULL;
}

/* ---- The register, read here independently of the server ---- */

static char *
records_path (DftTestServer *server)
{
  return g_build_filename (dft_test_server_get_dir (server), "data", "records.db", NULL);
}

static void
append_field (GString *line, const char *value)
{
  if (value == NULL)
    {
      g_string_append (line, "\\N");
      return;
    }
  for (const char *p = value; *p != '\0'; p++)
    if (*p == '\\')
      g_string_append (line, "\\\\");
    else if (*p == '\t')
      g_string_append (line, "\\t");
    else if (*p == '\n')
      g_string_append (line, "\\n");
    else
      g_string_append_c (line, *p);
}

/*
 * The "TARGET\tROWS\tsha256:HEX" line migrate-storage is to print for what @sql reads of the
 * stopped server's records.db (@n columns, in the order the copy reads them): one line a row,
 * the values as text separated by tabs (sync/server/dft-server-cluster.c). *rows the count.
 */
static char *
expected_line (sqlite3 *db, const char *target, const char *sql, int n, guint *rows)
{
  g_autoptr (GChecksum)    sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr (sqlite3_stmt) stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  *rows = 0;
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr (GString) line = g_string_new (NULL);

      for (int i = 0; i < n; i++)
        {
          if (i > 0)
            g_string_append_c (line, '\t');
          append_field (line, (const char *) sqlite3_column_text (stmt, i));
        }
      g_string_append_c (line, '\n');
      g_checksum_update (sum, (const guchar *) line->str, (gssize) line->len);
      (*rows)++;
    }
  return g_strdup_printf ("%s\t%u\tsha256:%s\n", target, *rows, g_checksum_get_string (sum));
}

/*
 * The register_log line: the change log's entries in the order of their positions; *last the
 * highest position the log ever gave.
 */
static char *
expected_register_line (DftTestServer *server, guint *rows, gint64 *last)
{
  g_autofree char         *path = records_path (server);
  g_autoptr (sqlite3_stmt) stmt = NULL;
  sqlite3                 *db = NULL;
  char                    *line;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  line = expected_line (db, "register_log",
                        "SELECT seq, hlc, device_id, origin_seq, entity, record_id, fields, base "
                        "FROM change_log ORDER BY seq",
                        8, rows);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "SELECT seq FROM sqlite_sequence WHERE name = "
                                       "'change_log'",
                                       -1, &stmt, NULL),
                   ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  *last = sqlite3_column_int64 (stmt, 0);
  g_clear_pointer (&stmt, sqlite3_finalize);
  sqlite3_close (db);
  return line;
}

/* The register_purged line: the ids the purge kept, ordered by id. */
static char *
expected_purged_line (DftTestServer *server)
{
  g_autofree char *path = records_path (server);
  sqlite3         *db = NULL;
  guint            rows = 0;
  char            *line;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  line = expected_line (db, "register_purged",
                        "SELECT record_id, entity, log_seq, purged_at FROM purged "
                        "ORDER BY record_id",
                        4, &rows);
  sqlite3_close (db);
  /* The person and their enrollment. */
  g_assert_cmpuint (rows, ==, 2);
  return line;
}

static guint
count_set_aside (const char *data_dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir)   dir = g_dir_open (data_dir, 0, &error);
  const char        *name;
  guint              aside = 0;

  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    aside += g_str_has_prefix (name, "records.db.ahead-");
  return aside;
}

/* A process's replica, the process stopped. */
static DftStore *
open_replica (DftTestServer *server)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *path = records_path (server);
  DftStore          *store;

  g_assert_false (dft_test_server_is_running (server));
  store = dft_store_open (path, &error);
  g_assert_no_error (error);
  return store;
}

static gboolean
has_register_table (const char *uri)
{
  return dft_test_pg_exec (uri, "SELECT 1 FROM pg_tables WHERE tablename = 'register_log'") > 0;
}

#define ASIDE_DEVICE "0190a5c0-0000-7000-8000-0000000a51de"
#define ASIDE_REASON "A trainer may not change this form."
#define SCOPE_KEY    "scope/0190a5c0-0000-7000-8000-00000000team"
#define SCOPE_MARK   "0190a5c0-0000-7000-8000-00000000ma2c"

/*
 * Into the register of @server, stopped: a change set aside, as a push that was refused keeps
 * it, a team's scope mark, and a photo of a little over 3 MiB held whole (several pieces once
 * copied). Returns the photo's bytes.
 */
static GBytes *
keep_aside_and_file (DftTestServer *server)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (DftStore)   store = open_replica (server);
  g_autoptr (JsonObject) fields = json_object_new ();
  g_autoptr (GRand)      rand = g_rand_new_with_seed (20);
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  GBytes                *photo;
  g_autofree char       *sha256 = NULL;
  DftChange             *change;
  gboolean               complete = FALSE;

  json_object_set_string_member (fields, "title", "Mine now");
  change = dft_change_new ("form", "0190a5c0-0000-7000-8000-000000000f01", fields);
  change->device_id = g_strdup (ASIDE_DEVICE);
  change->origin_seq = 3;
  change->hlc = 1;
  g_assert_true (dft_store_set_aside (store, ASIDE_DEVICE, 3, change, ASIDE_REASON, &error));
  g_assert_no_error (error);
  dft_change_free (change);
  /* The mark "admin move-event" gives a team (dft_scope_note_move()). */
  g_assert_true (dft_store_set_sync_state (store, SCOPE_KEY, SCOPE_MARK, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < 3 * 1024 * 1024 + 5; i++)
    {
      guint8 byte = (guint8) g_rand_int (rand);

      g_byte_array_append (bytes, &byte, 1);
    }
  photo = g_byte_array_free_to_bytes (g_steal_pointer (&bytes));
  sha256 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, photo);
  g_assert_true (dft_store_add_attachment_piece (store, sha256, 0, photo,
                                                 (gint64) g_bytes_get_size (photo), "image/jpeg",
                                                 "photo.jpg", &complete, &error));
  g_assert_no_error (error);
  g_assert_true (complete);
  dft_test_release_store (g_steal_pointer (&store));
  return photo;
}

/* ---- Tests ---- */

static void
test_single_to_cluster (void)
{
  g_autoptr (DftTestPg) pg = dft_test_pg_new ();
  g_autofree char      *uri = dft_test_pg_create_database (pg);
  g_autofree char      *extra = g_strdup_printf ("storage=%s\ncluster=yes\n", uri);
  g_autofree char      *out = NULL;
  g_autofree char      *refused = NULL;
  g_autofree char      *expected = NULL;
  g_autofree char      *data_dir = NULL;
  g_autoptr (GPtrArray) people = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (DftRecord) event = NULL;
  g_autoptr (GBytes)    photo = NULL;
  g_autofree char      *photo_sha = NULL;
  g_autofree char      *gone = NULL;
  g_autofree char      *purged_line = NULL;
  DftTestServer        *single, *old_folder, *fresh;
  Device                a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 };
  DftSyncStats          stats;
  guint                 rows;
  gint64                last, before, a_copied;
  char                 *line;

  /* A server alone on SQLite; two devices synced through it. */
  single = dft_test_server_new (NULL, "storage=sqlite\n", DFT_TEST_SERVER_DEFAULT);
  dft_test_server_add_account (single, COORDINATOR, "coordinator", TEAM, PASSWORD_COORDINATOR);
  dft_test_server_start (single);
  dft_test_device_open (&a, dft_test_server_get_url (single), STALL_SECONDS);
  dft_test_device_open (&b, dft_test_server_get_url (single), STALL_SECONDS);
  login (&a);
  login (&b);
  event = dft_test_add_event (a.store, "Border management", "2025-03-03", "2025-03-04");
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *given = g_strdup_printf ("Before%u", i);

      g_ptr_array_add (people,
                       dft_test_add_participant (a.store, dft_record_get_id (event), given));
    }
  stats = device_sync (&a);
  g_assert_cmpint (stats.pushed, ==, dft_test_own_changes (a.store));
  stats = device_sync (&b);
  g_assert_cmpint (stats.received, ==, dft_test_own_changes (a.store));
  dft_test_assert_same_records (a.store, b.store);

  /* A person D holds, deleted by A; A and B pull the delete, D stays away. */
  gone = dft_test_add_participant (a.store, dft_record_get_id (event), "Gone");
  device_sync (&a);
  dft_test_device_open (&d, dft_test_server_get_url (single), STALL_SECONDS);
  login (&d);
  device_sync (&d);
  g_assert_true (holds_person (d.store, gone));
  dft_test_delete (a.store, &dft_entity_person, gone);
  for (guint i = 0; i < 2; i++)
    {
      device_sync (&a);
      device_sync (&b);
    }

  /* Not while it serves: the register is open. */
  g_assert_cmpint (dft_test_server_admin_status (single, NULL, &refused, "migrate-storage",
                                                 "--from", "sqlite", "--to", uri, NULL),
                   ==, 1);
  g_assert_false (has_register_table (uri));
  dft_test_server_stop (single);
  /* Started once more and stopped with nothing pushed: its log's next positions now come
   * after a point no entry holds (dft-server.c, number_log_from_now()). */
  dft_test_server_start (single);
  dft_test_server_stop (single);

  /* D's token expired, so it no longer holds the purge back: the person goes from the
   * register before the move, and only their id stays (purged). */
  dft_test_server_expire_token (single, dft_store_get_device_id (d.store));
  {
    g_autofree char *purged = dft_test_server_admin (single, NULL, "purge", NULL);

    g_assert_nonnull (strstr (purged, "person\t1\n"));
  }
  purged_line = expected_purged_line (single);

  /* A change the server set aside, and a file it holds whole: they go along. */
  photo = keep_aside_and_file (single);
  photo_sha = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, photo);

  expected = expected_register_line (single, &rows, &last);
  /* The person's changes left the log with them. */
  a_copied = dft_test_own_changes (a.store);
  g_assert_cmpint (rows, <, a_copied);
  out = dft_test_server_admin (single, NULL, "migrate-storage", "--from", "sqlite", "--to", uri,
                               NULL);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "account\t1\tsha256:"));
  g_assert_nonnull (strstr (out, "register_set_aside\t1\tsha256:"));
  /* The person and their enrollment, and the number of A's last change that went. */
  g_assert_nonnull (strstr (out, purged_line));
  g_assert_nonnull (strstr (out, "register_purged_origin\t1\tsha256:"));
  g_assert_nonnull (strstr (out, "register_file\t1\tsha256:"));
  {
    g_autofree char *sql = g_strdup_printf (
        "SELECT 1 FROM register_file f WHERE sha256 = '%s' AND size = %" G_GSIZE_FORMAT
        " AND (SELECT encode (sha256 (string_agg (data, ''::bytea ORDER BY start)), 'hex') "
        "FROM register_file_part WHERE sha256 = f.sha256) = f.sha256",
        photo_sha, g_bytes_get_size (photo));

    g_assert_cmpint (dft_test_pg_exec (uri, sql), ==, 1);
  }
  line = strstr (out, "register_log\t");
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, expected));
  g_assert_cmpint (dft_test_pg_exec (uri, "SELECT 1 FROM register_log"), ==, rows);
  g_assert_cmpint (dft_test_pg_exec (uri, "SELECT 1 FROM register_state WHERE key = 'epoch'"), ==,
                   1);
  /* Never twice: the target holds a register now. */
  g_clear_pointer (&refused, g_free);
  g_assert_cmpint (dft_test_server_admin_status (single, NULL, &refused, "migrate-storage",
                                                 "--from", "sqlite", "--to", uri, NULL),
                   ==, 1);
  g_assert_cmpint (dft_test_pg_exec (uri, "SELECT 1 FROM register_log"), ==, rows);

  /* Two processes over it: the old data folder, and an empty one. */
  old_folder
      = dft_test_server_new (dft_test_server_get_dir (single), extra, DFT_TEST_SERVER_DEFAULT);
  fresh = dft_test_server_new (NULL, extra, DFT_TEST_SERVER_DEFAULT);
  /* The empty one first: what the log took from the old register is what it goes by. */
  dft_test_server_start (fresh);
  dft_test_server_start (old_folder);
  data_dir = g_build_filename (dft_test_server_get_dir (old_folder), "data", NULL);
  /* The old register matched the log: kept, not moved aside. */
  g_assert_cmpuint (count_set_aside (data_dir), ==, 0);

  /* A new device on the fresh process gets every person from 0, and the bundle key the
   * server alone gave: bundles sealed for it still open. */
  dft_test_device_open (&c, dft_test_server_get_url (fresh), STALL_SECONDS);
  login (&c);
  {
    g_autoptr (GError) error = NULL;
    g_autofree char   *key_a
        = dft_store_get_sync_state (a.store, DFT_BUNDLE_STATE_SERVER_KEY, &error);
    g_autofree char *key_c
        = dft_store_get_sync_state (c.store, DFT_BUNDLE_STATE_SERVER_KEY, &error);

    g_assert_no_error (error);
    g_assert_nonnull (key_a);
    g_assert_cmpstr (key_c, ==, key_a);
  }
  stats = device_sync (&c);
  g_assert_cmpint (stats.received, ==, rows);
  for (guint i = 0; i < people->len; i++)
    g_assert_true (holds_person (c.store, g_ptr_array_index (people, i)));
  /* Not the purged person, whose tombstone A keeps until its next pull. */
  g_assert_false (holds_person (c.store, gone));

  /* A pushes to the old folder's process; B, synced before the move, pulls from the fresh
   * one from its cursor: only what is new, nothing missed. */
  g_object_set (a.client, "server-url", dft_test_server_get_url (old_folder), NULL);
  g_object_set (b.client, "server-url", dft_test_server_get_url (fresh), NULL);
  before = dft_test_own_changes (a.store);
  g_ptr_array_add (people, dft_test_add_participant (a.store, dft_record_get_id (event), "After"));
  stats = device_sync (&a);
  g_assert_cmpint (stats.pushed, ==, dft_test_own_changes (a.store) - before);
  g_assert_cmpuint (stats.received, ==, 0);
  /* After the positions the single server gave, skipped ones included. */
  {
    g_autofree char *sql
        = g_strdup_printf ("SELECT 1 FROM register_log WHERE seq > %" G_GINT64_FORMAT, last);

    g_assert_cmpint (dft_test_pg_exec (uri, sql), ==, dft_test_own_changes (a.store) - before);
  }
  stats = device_sync (&b);
  g_assert_cmpint (stats.received, ==, dft_test_own_changes (a.store) - before);
  /* B pulled the delete before the purge and still holds the deleted row: the replica the log
   * made knows the person was purged, and tells B to let them go. */
  g_assert_cmpuint (stats.forgotten, ==, 1);
  g_assert_false (holds_person (b.store, gone));
  dft_test_assert_same_records (a.store, b.store);
  stats = device_sync (&b);
  g_assert_cmpuint (stats.received, ==, 0);

  /* And the other way: B pushes to the fresh one, A pulls it from the old folder's. */
  before = dft_test_own_changes (b.store);
  g_ptr_array_add (people, dft_test_add_participant (b.store, dft_record_get_id (event), "FromB"));
  stats = device_sync (&b);
  g_assert_cmpint (stats.pushed, ==, dft_test_own_changes (b.store) - before);
  stats = device_sync (&a);
  g_assert_cmpint (stats.received, ==, dft_test_own_changes (b.store) - before);

  /* D, away while it held the person, edited them offline; it signs in again, through the
   * process whose replica the log made. The edit is set aside there instead of bringing the
   * person back, and D lets them go. */
  {
    g_autoptr (GError)    error = NULL;
    g_autoptr (DftRecord) record = dft_store_load (d.store, &dft_entity_person, gone, &error);

    g_assert_no_error (error);
    g_assert_nonnull (record);
    dft_record_set_string (record, "family_name", "Edited offline");
    g_assert_true (dft_store_save (d.store, record, &error));
    g_assert_no_error (error);
  }
  g_object_set (d.client, "server-url", dft_test_server_get_url (fresh), NULL);
  login (&d);
  stats = device_sync_any (&d);
  g_assert_cmpuint (stats.set_aside, ==, 1);
  g_assert_cmpuint (stats.forgotten, ==, 1);
  g_assert_false (holds_person (d.store, gone));
  {
    g_autofree char *sql
        = g_strdup_printf ("SELECT 1 FROM register_set_aside WHERE device_id = '%s'",
                           dft_store_get_device_id (d.store));

    g_assert_cmpint (dft_test_pg_exec (uri, sql), ==, 1);
  }

  stats = device_sync (&c);
  g_assert_cmpint (stats.received, ==,
                   dft_test_own_changes (a.store) - a_copied + dft_test_own_changes (b.store));
  dft_test_assert_same_records (a.store, b.store);
  dft_test_assert_same_records (a.store, c.store);

  /* Both replicas hold the same people, at the log's positions. */
  dft_test_server_stop (old_folder);
  dft_test_server_stop (fresh);
  g_assert_cmpuint (count_set_aside (data_dir), ==, 0);
  {
    DftTestServer *both[] = { old_folder, fresh };

    for (guint i = 0; i < G_N_ELEMENTS (both); i++)
      {
        g_autoptr (DftStore) replica = open_replica (both[i]);
        g_autofree char     *reason = NULL;
        g_autofree char     *mark = NULL;
        g_autoptr (GError)   error = NULL;
        gboolean             purged = FALSE;

        dft_test_assert_same_records (a.store, replica);
        for (guint p = 0; p < people->len; p++)
          g_assert_true (holds_person (replica, g_ptr_array_index (people, p)));
        /* The purged person: kept as purged in both, held in neither. */
        g_assert_false (holds_person (replica, gone));
        g_assert_true (dft_store_is_purged (replica, gone, &purged, &error));
        g_assert_no_error (error);
        g_assert_true (purged);
        /* The change set aside: kept in the old register, taken up by the new replica. */
        g_assert_cmpuint (dft_store_count_set_aside (replica, ASIDE_DEVICE, &reason, &error), ==,
                          1);
        g_assert_no_error (error);
        g_assert_cmpstr (reason, ==, ASIDE_REASON);
        /* So is the team's mark: every process tells the devices the same. */
        mark = dft_store_get_sync_state (replica, SCOPE_KEY, &error);
        g_assert_no_error (error);
        g_assert_cmpstr (mark, ==, SCOPE_MARK);
        dft_test_release_store (g_steal_pointer (&replica));
      }
  }

  dft_test_device_close (&a);
  dft_test_device_close (&b);
  dft_test_device_close (&c);
  dft_test_device_close (&d);
  dft_test_server_free (fresh);
  dft_test_server_free (old_folder);
  dft_test_server_free (single);
}

/*
 * The server served alone again after the copy, and a device pushed to it: the log lacks that,
 * under the epoch it copied. A cluster process on that data folder sets the register aside and
 * takes a new epoch, so that the device sends it again; nothing is lost.
 */
static void
test_served_after_copy (void)
{
  g_autoptr (DftTestPg) pg = dft_test_pg_new ();
  g_autofree char      *uri = dft_test_pg_create_database (pg);
  g_autofree char      *extra = g_strdup_printf ("storage=%s\ncluster=yes\n", uri);
  g_autofree char      *data_dir = NULL;
  g_autofree char      *first = NULL;
  g_autofree char      *late = NULL;
  g_autoptr (DftRecord) event = NULL;
  DftTestServer        *single, *cluster;
  Device                a = { 0 }, c = { 0 };
  DftSyncStats          stats;

  single = dft_test_server_new (NULL, "storage=sqlite\n", DFT_TEST_SERVER_DEFAULT);
  dft_test_server_add_account (single, COORDINATOR, "coordinator", TEAM, PASSWORD_COORDINATOR);
  dft_test_server_start (single);
  dft_test_device_open (&a, dft_test_server_get_url (single), STALL_SECONDS);
  login (&a);
  event = dft_test_add_event (a.store, "Border management", "2025-03-03", "2025-03-04");
  first = dft_test_add_participant (a.store, dft_record_get_id (event), "Copied");
  device_sync (&a);
  dft_test_server_stop (single);
  g_free (dft_test_server_admin (single, NULL, "migrate-storage", "--from", "sqlite", "--to", uri,
                                 NULL));

  /* Alone again, on the register just copied. */
  dft_test_server_start (single);
  g_object_set (a.client, "server-url", dft_test_server_get_url (single), NULL);
  late = dft_test_add_participant (a.store, dft_record_get_id (event), "Late");
  stats = device_sync (&a);
  g_assert_cmpuint (stats.pushed, >, 0);
  dft_test_server_stop (single);

  cluster = dft_test_server_new (dft_test_server_get_dir (single), extra, DFT_TEST_SERVER_DEFAULT);
  dft_test_server_start (cluster);
  data_dir = g_build_filename (dft_test_server_get_dir (cluster), "data", NULL);
  g_assert_cmpuint (count_set_aside (data_dir), ==, 1);
  g_object_set (a.client, "server-url", dft_test_server_get_url (cluster), NULL);
  stats = device_sync_any (&a);
  g_assert_cmpuint (stats.restarts, >=, 1);

  dft_test_device_open (&c, dft_test_server_get_url (cluster), STALL_SECONDS);
  login (&c);
  device_sync_any (&c);
  g_assert_true (holds_person (c.store, first));
  g_assert_true (holds_person (c.store, late));
  dft_test_assert_same_records (a.store, c.store);

  dft_test_device_close (&a);
  dft_test_device_close (&c);
  dft_test_server_free (cluster);
  dft_test_server_free (single);
}

/* Bad input: a clear message, and nothing written to PostgreSQL. */
static void
test_refused (void)
{
  g_autoptr (DftTestPg) pg = dft_test_pg_new ();
  g_autofree char      *uri = dft_test_pg_create_database (pg);
  g_autofree char      *nowhere = dft_test_pg_uri (pg, "no_such_database");
  g_autofree char      *garbage = NULL;
  g_autofree char      *missing = NULL;
  g_autoptr (GError)    error = NULL;
  DftTestServer        *single;
  struct
  {
    const char *register_path;
    const char *to;
  } cases[3];

  single = dft_test_server_new (NULL, "storage=sqlite\n", DFT_TEST_SERVER_DEFAULT);
  dft_test_server_add_account (single, COORDINATOR, "coordinator", TEAM, PASSWORD_COORDINATOR);
  dft_test_server_start (single);
  dft_test_server_stop (single);
  garbage = g_build_filename (dft_test_server_get_dir (single), "garbage.db", NULL);
  g_file_set_contents (garbage,
                       "not a database at all, but long enough to look like a header "
                       "of one to someone who does not check",
                       -1, &error);
  g_assert_no_error (error);
  missing = g_build_filename (dft_test_server_get_dir (single), "missing.db", NULL);
  cases[0].register_path = garbage;
  cases[0].to = uri;
  cases[1].register_path = missing;
  cases[1].to = uri;
  cases[2].register_path = NULL;
  cases[2].to = nowhere;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = NULL;
      int              status;

      if (cases[i].register_path != NULL)
        status = dft_test_server_admin_status (single, NULL, &out, "migrate-storage", "--from",
                                               "sqlite", "--register", cases[i].register_path,
                                               "--to", cases[i].to, NULL);
      else
        status = dft_test_server_admin_status (single, NULL, &out, "migrate-storage", "--from",
                                               "sqlite", "--to", cases[i].to, NULL);
      g_assert_cmpint (status, ==, 1);
      g_assert_false (has_register_table (uri));
      g_assert_cmpint (dft_test_pg_exec (uri, "SELECT 1 FROM pg_tables WHERE tablename = "
                                              "'account'"),
                       ==, 0);
    }
  /* The same, good, goes through. */
  g_free (dft_test_server_admin (single, NULL, "migrate-storage", "--from", "sqlite", "--to", uri,
                                 NULL));
  g_assert_true (has_register_table (uri));
  dft_test_server_free (single);
}

int
main (int argc, char *argv[])
{
  const char *why;

  g_setenv ("no_proxy", "127.0.0.1,localhost", TRUE);
  g_setenv ("NO_PROXY", "127.0.0.1,localhost", TRUE);
  g_setenv ("GIO_USE_NETWORK_MONITOR", "base", TRUE);
  dft_test_init (&argc, &argv);

  why = dft_test_pg_unavailable ();
  if (why == NULL && dft_test_server_binary () == NULL)
    why = "DAFTARI_SERVER names no built daftari-server";
  if (why != NULL)
    {
      g_print ("1..0 # SKIP %s\n", why);
      return 0;
    }

  g_test_add_func ("/migrate-storage/single-to-cluster", test_single_to_cluster);
  g_test_add_func ("/migrate-storage/served-after-copy", test_served_after_copy);
  g_test_add_func ("/migrate-storage/refused", test_refused);
  return g_test_run ();
}
