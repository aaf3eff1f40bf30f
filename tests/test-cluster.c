/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>
#include <string.h>

#include "dft-bundle.h"
#include "dft-store-attachments.h"
#include "dft-store-private.h"
#include "dft-sync-client.h"
#include "dft-test-device.h"
#include "dft-test-haproxy.h"
#include "dft-test-pg.h"
#include "dft-test-util.h"
#include "dft-token-store.h"
#include "forms/dft-form-store.h"
#include "forms/dft-form-templates.h"

/*
 * Several daftari-server processes over one PostgreSQL ("cluster=yes", issue 20): three
 * processes, each with a data folder of its own, behind HAProxy (round robin, loopback only),
 * and devices syncing through it, each request landing on whichever process. Positions in the
 * log are PostgreSQL's, so a device that pushes to one process and pulls from another never
 * misses or repeats a change: every device and every process's replica end with the same
 * records, and the shared log holds each change once. Attached files are shared too: a photo
 * uploaded through one process is downloaded whole through another, its pieces may each reach
 * a different process, and a PostgreSQL that goes away during an upload loses none of it.
 *
 * Needs PostgreSQL's server binaries (not as root, which initdb refuses) and /usr/sbin/haproxy;
 * skips without them. The random case prints its seed and takes it back from
 * DAFTARI_CLUSTER_SEED.
 */

#define TEAM                 "North"
#define COORDINATOR          "coordinator"
#define PASSWORD_COORDINATOR "coordinator password 1"
#define TRAINER              "trainer"
#define OTHER_TEAM           "South"
#define OTHER_TRAINER        "other-trainer"
#define PASSWORD_TRAINER     "trainer password 1"
#define N_SERVERS            3
#define N_DEVICES            4
#define WAIT_SECONDS         120

/* ---- Devices ---- */

/* How long a link may say nothing before a device gives up on it. */
#define STALL_SECONDS 30

typedef DftTestDevice Device;

static void
login_as (Device *device, const char *username, const char *password)
{
  dft_test_device_login (device, username, password);
}

static void
login (Device *device)
{
  login_as (device, COORDINATOR, PASSWORD_COORDINATOR);
}

static DftSyncStats
device_sync (Device *device)
{
  DftSyncStats stats = dft_test_device_sync (device);

  /* No epoch changed under the devices: a process never took one of its own. */
  g_assert_cmpuint (stats.restarts, ==, 0);
  g_assert_cmpuint (stats.relayed, ==, 0);
  return stats;
}

/* ---- Editing ---- */

static void
set_agency (DftStore *store, const char *id, const char *value)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) record = dft_store_load (store, &dft_entity_person, id, &error);

  g_assert_no_error (error);
  g_assert_nonnull (record);
  dft_record_set_string (record, "agency", value);
  g_assert_true (dft_store_save (store, record, &error));
  g_assert_no_error (error);
}

static gboolean
holds_person (DftStore *store, const char *id)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) record = dft_store_load (store, &dft_entity_person, id, &error);

  return record != NULL;
}

/* ---- Attached files ---- */

/* A photo of several pieces, as a phone's: the client sends 256 KiB and more at a time. */
#define PHOTO_BYTES (2500 * 1000)
/* The pieces sent by hand. */
#define PIECE_BYTES (512 * 1024)

/* Bytes that are not all alike, from @seed. */
static GBytes *
make_bytes (gsize size, guint32 seed)
{
  guint8 *buffer = g_malloc (size);
  GRand  *rand = g_rand_new_with_seed (seed);

  for (gsize i = 0; i < size; i++)
    buffer[i] = (guint8) g_rand_int (rand);
  g_rand_free (rand);
  return g_bytes_new_take (buffer, size);
}

/* A final submission in a new workshop of @store whose answer names @answer. */
static void
add_submission_naming (DftStore *store, const char *answer)
{
  g_autoptr (DftRecord) event
      = dft_test_add_event (store, "Border management", "2025-03-03", "2025-03-04");
  g_autofree char *id = dft_test_add_draft (store, NULL, dft_record_get_id (event));
  g_autofree char *answers = g_strdup_printf ("{\"photo\":\"%s\"}", answer);

  dft_test_finalize (store, id, answers);
}

static void
assert_holds (DftStore *store, const char *sha256, GBytes *expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) held = dft_store_read_attachment (store, sha256, &error);

  g_assert_no_error (error);
  g_assert_nonnull (held);
  g_assert_true (g_bytes_equal (held, expected));
}

static JsonObject *
reply_object (DftTestReply *reply, JsonParser *parser)
{
  g_assert_true (json_parser_load_from_data (parser, (const char *) reply->body->data,
                                             (gssize) reply->body->len, NULL));
  return json_node_get_object (json_parser_get_root (parser));
}

/* The error code of a JSON error reply. */
static char *
error_code (DftTestReply *reply)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject            *object = reply_object (reply, parser);

  return g_strdup (
      json_object_get_string_member (json_object_get_object_member (object, "error"), "code"));
}

/* What attachments/missing answers for @sha256 at @url: -1 when the server holds it whole. */
static gint64
ask_missing (Device *device, const char *url, const char *sha256)
{
  g_autofree char       *text = g_strdup_printf ("{\"sha256\":[\"%s\"]}", sha256);
  g_autoptr (GBytes)     body = g_bytes_new (text, strlen (text));
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_auto (DftTestReply)  reply = { 0 };
  JsonObject            *missing;

  dft_test_device_request (device, url, "POST", "attachments/missing", body, &reply);
  g_assert_cmpint (reply.status, ==, 200);
  missing = json_object_get_object_member (reply_object (&reply, parser), "missing");
  return json_object_has_member (missing, sha256) ? json_object_get_int_member (missing, sha256)
                                                  : -1;
}

/* A PUT of the piece of @photo at @start, of @n bytes, to the process at @url: its status;
 * the reply in @reply. */
static long
put_piece (
    Device *device, const char *url, GBytes *photo, gsize start, gsize n, DftTestReply *reply)
{
  g_autofree char *sha256 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, photo);
  g_autofree char *path
      = g_strdup_printf ("attachments/%s?start=%" G_GSIZE_FORMAT "&size=%" G_GSIZE_FORMAT, sha256,
                         start, g_bytes_get_size (photo));
  g_autoptr (GBytes) piece = g_bytes_new_from_bytes (photo, start, n);

  dft_test_device_request (device, url, "PUT", path, piece, reply);
  return reply->status;
}

/* Whether the piece's reply says the file is whole. */
static gboolean
reply_complete (DftTestReply *reply)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  return json_object_get_boolean_member (reply_object (reply, parser), "complete");
}

/* ---- HAProxy ---- */

typedef struct
{
  GSubprocess *process;
  char        *dir;
  guint16      port;
  char        *url;
} Balancer;

static void
balancer_start (Balancer *balancer, DftTestServer **servers, guint n_servers)
{
  guint16 ports[N_SERVERS];

  g_assert_cmpuint (n_servers, <=, N_SERVERS);
  for (guint i = 0; i < n_servers; i++)
    ports[i] = dft_test_server_get_port (servers[i]);
  balancer->dir = dft_test_make_dir ();
  balancer->process
      = dft_test_haproxy_start (balancer->dir, ports, n_servers, 200, &balancer->port);
  balancer->url = g_strdup_printf ("http://127.0.0.1:%u/", balancer->port);
}

static void
balancer_stop (Balancer *balancer)
{
  if (balancer->process != NULL)
    dft_test_haproxy_stop (g_steal_pointer (&balancer->process));
  if (balancer->dir != NULL)
    dft_test_dir_free (g_steal_pointer (&balancer->dir));
  g_clear_pointer (&balancer->url, g_free);
}

/* ---- The fixture: PostgreSQL, three processes over it, and the balancer ---- */

typedef struct
{
  DftTestPg     *pg;
  char          *uri;
  DftTestServer *servers[N_SERVERS];
  Balancer       balancer;
  Device         devices[N_DEVICES];
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autofree char *extra = NULL;

  f->pg = dft_test_pg_new ();
  f->uri = dft_test_pg_create_database (f->pg);
  extra = g_strdup_printf ("storage=%s\ncluster=yes\n", f->uri);
  for (guint i = 0; i < N_SERVERS; i++)
    f->servers[i] = dft_test_server_new (NULL, extra, DFT_TEST_SERVER_DEFAULT);
  /* The accounts live in the shared database: made once, through any process's admin. */
  dft_test_server_add_account (f->servers[0], COORDINATOR, "coordinator", TEAM,
                               PASSWORD_COORDINATOR);
  dft_test_server_add_account (f->servers[0], TRAINER, "trainer", TEAM, PASSWORD_TRAINER);
  dft_test_server_add_account (f->servers[0], OTHER_TRAINER, "trainer", OTHER_TEAM,
                               PASSWORD_TRAINER);
  for (guint i = 0; i < N_SERVERS; i++)
    dft_test_server_start (f->servers[i]);
  balancer_start (&f->balancer, f->servers, N_SERVERS);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < N_DEVICES; i++)
    dft_test_device_close (&f->devices[i]);
  balancer_stop (&f->balancer);
  for (guint i = 0; i < N_SERVERS; i++)
    g_clear_pointer (&f->servers[i], dft_test_server_free);
  g_clear_pointer (&f->pg, dft_test_pg_free);
  g_free (f->uri);
}

/* The rows a query on the shared database returns. */
static gint64
pg_rows (Fixture *f, const char *sql)
{
  return dft_test_pg_exec (f->uri, sql);
}

/* A process's replica, the process stopped. */
static DftStore *
open_replica (DftTestServer *server)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *path
      = g_build_filename (dft_test_server_get_dir (server), "data", "records.db", NULL);
  DftStore *store;

  g_assert_false (dft_test_server_is_running (server));
  store = dft_store_open (path, &error);
  g_assert_no_error (error);
  return store;
}

/*
 * The shared log holds each change once: each device's own, numbered 1 to n without a gap, and
 * the conflict records the processes made; every device holds all of it, and so does every
 * process's replica, at the same positions. Then every replica holds the devices' records.
 */
static void
assert_log_exact (Fixture *f, Device **devices, guint n_devices)
{
  gint64 total = pg_rows (f, "SELECT 1 FROM register_log");
  gint64 made = 0;

  g_assert_cmpint (pg_rows (f, "SELECT DISTINCT device_id, origin_seq FROM register_log"), ==,
                   total);
  /* Positions 1 to total, each once. */
  g_assert_cmpint (pg_rows (f, "SELECT 1 FROM register_log WHERE seq BETWEEN 1 AND (SELECT "
                               "count (*) FROM register_log)"),
                   ==, total);
  for (guint i = 0; i < n_devices; i++)
    {
      DftStore        *store = devices[i]->store;
      gint64           own = dft_test_own_changes (store);
      g_autofree char *sql = g_strdup_printf ("SELECT 1 FROM register_log WHERE device_id = '%s' "
                                              "AND origin_seq BETWEEN 1 AND %" G_GINT64_FORMAT,
                                              dft_store_get_device_id (store), own);
      g_autofree char *all = g_strdup_printf ("SELECT 1 FROM register_log WHERE device_id = '%s'",
                                              dft_store_get_device_id (store));

      g_assert_cmpint (pg_rows (f, sql), ==, own);
      g_assert_cmpint (pg_rows (f, all), ==, own);
      g_assert_cmpuint (dft_test_log_length (store), ==, total);
      made += own;
    }
  g_test_message ("the shared log holds %" G_GINT64_FORMAT " changes, %" G_GINT64_FORMAT
                  " of them the devices'",
                  total, made);

  /* A process's replica takes up the whole log at start: each is started once more, so that
   * it holds what the others received last, and compared stopped. */
  for (guint i = 0; i < N_SERVERS; i++)
    {
      g_autoptr (DftStore)  replica = NULL;
      g_autoptr (GError)    error = NULL;
      g_autoptr (GPtrArray) log = NULL;

      dft_test_server_stop (f->servers[i]);
      dft_test_server_start (f->servers[i]);
      dft_test_server_stop (f->servers[i]);
      replica = open_replica (f->servers[i]);
      log = dft_store_read_log (replica, 0, 0, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (log->len, ==, total);
      /* The same positions as the shared log: the last is its count. */
      if (log->len > 0)
        g_assert_cmpint (((DftChange *) g_ptr_array_index (log, log->len - 1))->seq, ==, total);
      dft_test_assert_same_records (devices[0]->store, replica);
      dft_test_release_store (g_steal_pointer (&replica));
    }
}

/* The server's key for bundles, as the server gave it to @device at sign-in. */
static char *
bundle_key (Device *device)
{
  g_autoptr (GError) error = NULL;
  char *key = dft_store_get_sync_state (device->store, DFT_BUNDLE_STATE_SERVER_KEY, &error);

  g_assert_no_error (error);
  return key;
}

/* ---- Tests ---- */

/*
 * Deterministic: A pushes to process 1, B pulls from process 2 directly and gets it, then
 * nothing again; C, new on process 3, gets all of it once.
 */
static void
test_push_here_pull_there (Fixture *f, gconstpointer data)
{
  Device               *a = &f->devices[0], *b = &f->devices[1], *c = &f->devices[2];
  g_autoptr (DftRecord) event = NULL;
  g_autofree char      *first = NULL;
  g_autofree char      *second = NULL;
  DftSyncStats          stats;
  gint64                before;

  dft_test_device_open (a, dft_test_server_get_url (f->servers[0]), STALL_SECONDS);
  dft_test_device_open (b, dft_test_server_get_url (f->servers[1]), STALL_SECONDS);
  dft_test_device_open (c, dft_test_server_get_url (f->servers[2]), STALL_SECONDS);
  login (a);
  login (b);

  event = dft_test_add_event (a->store, "Border management", "2025-03-03", "2025-03-04");
  first = dft_test_add_participant (a->store, dft_record_get_id (event), "First");
  stats = device_sync (a);
  g_assert_cmpint (stats.pushed, ==, dft_test_own_changes (a->store));

  stats = device_sync (b);
  g_assert_cmpint (stats.received, ==, dft_test_own_changes (a->store));
  g_assert_true (holds_person (b->store, first));
  dft_test_assert_same_records (a->store, b->store);
  stats = device_sync (b);
  g_assert_cmpuint (stats.received, ==, 0);

  before = dft_test_own_changes (a->store);
  second = dft_test_add_participant (a->store, dft_record_get_id (event), "Second");
  stats = device_sync (a);
  g_assert_cmpint (stats.pushed, ==, dft_test_own_changes (a->store) - before);
  stats = device_sync (b);
  g_assert_cmpint (stats.received, ==, dft_test_own_changes (a->store) - before);
  g_assert_true (holds_person (b->store, second));
  dft_test_assert_same_records (a->store, b->store);

  login (c);
  stats = device_sync (c);
  g_assert_cmpint (stats.received, ==, dft_test_own_changes (a->store));
  dft_test_assert_same_records (a->store, c->store);

  /* Each signed in through another process, and each was given the one bundle key: a bundle
   * any of them seals opens on every process. */
  {
    g_autofree char *key_a = bundle_key (a);
    g_autofree char *key_b = bundle_key (b);
    g_autofree char *key_c = bundle_key (c);

    g_assert_nonnull (key_a);
    g_assert_cmpstr (key_b, ==, key_a);
    g_assert_cmpstr (key_c, ==, key_a);
  }

  {
    Device *all[] = { a, b, c };

    assert_log_exact (f, all, G_N_ELEMENTS (all));
  }
}

/*
 * A replica that holds what the shared log lacks (a push applied here whose commit to
 * PostgreSQL failed; a register from before the cluster) is moved aside at start and made
 * again from the log. The admin commands that work on one replica are refused.
 */
static void
test_replica_ahead (Fixture *f, gconstpointer data)
{
  Device               *a = &f->devices[0];
  g_autoptr (DftRecord) event = NULL;
  g_autoptr (DftRecord) stray = NULL;
  g_autoptr (DftStore)  replica = NULL;
  g_autoptr (GDir)      dir = NULL;
  g_autoptr (GError)    error = NULL;
  g_autofree char      *data_dir = NULL;
  const char           *name;
  guint                 aside = 0;

  dft_test_device_open (a, f->balancer.url, STALL_SECONDS);
  login (a);
  event = dft_test_add_event (a->store, "Border management", "2025-03-03", "2025-03-04");
  g_free (dft_test_add_participant (a->store, dft_record_get_id (event), "First"));
  device_sync (a);

  g_assert_cmpint (
      dft_test_server_admin_status (f->servers[0], NULL, NULL, "purge", "--dry-run", NULL), ==, 1);

  /* A change in one replica only, at the position the log gives next. */
  dft_test_server_stop (f->servers[1]);
  replica = open_replica (f->servers[1]);
  stray = dft_test_add_person (replica, "Stray", "Change");
  dft_test_release_store (g_steal_pointer (&replica));
  dft_test_server_start (f->servers[1]);

  data_dir = g_build_filename (dft_test_server_get_dir (f->servers[1]), "data", NULL);
  dir = g_dir_open (data_dir, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    aside += g_str_has_prefix (name, "records.db.ahead-") && !g_str_has_suffix (name, "-wal")
             && !g_str_has_suffix (name, "-shm");
  g_assert_cmpuint (aside, ==, 1);
  g_assert_false (holds_person (a->store, dft_record_get_id (stray)));
  {
    Device *all[] = { a };

    assert_log_exact (f, all, G_N_ELEMENTS (all));
  }
}

/* The shared database as a pg_dump taken when the log was @kept long puts it back: what the log
 * received after that is gone. */
static void
put_back_log (Fixture *f, gint64 kept)
{
  g_autofree char *sql
      = g_strdup_printf ("DELETE FROM register_log WHERE seq > %" G_GINT64_FORMAT, kept);

  g_assert_cmpint (dft_test_pg_exec (f->uri, sql), >, 0);
}

static void
stop_all (Fixture *f)
{
  for (guint i = 0; i < N_SERVERS; i++)
    dft_test_server_stop (f->servers[i]);
}

/* A sync that finds the cluster's epoch changed, and sends again all the device holds. */
static DftSyncStats
new_epoch_sync (Device *device)
{
  DftSyncStats stats = dft_test_device_sync (device);

  g_assert_cmpuint (stats.restarts, ==, 1);
  g_assert_cmpint (stats.pushed, >=, dft_test_own_changes (device->store));
  return stats;
}

/* Points @device at process @i, which a restart moved to another port. */
static void
use_server (Fixture *f, Device *device, guint i)
{
  dft_sync_client_set_server_url (device->client, dft_test_server_get_url (f->servers[i]));
}

/*
 * Devices 0 and 1 signed in on processes 0 and 1; the first adds a workshop (*event) and a
 * person in it, and both sync. Returns the person's id.
 */
static char *
start_two (Fixture *f, DftRecord **event)
{
  Device *a = &f->devices[0], *b = &f->devices[1];
  char   *person;

  dft_test_device_open (a, dft_test_server_get_url (f->servers[0]), STALL_SECONDS);
  dft_test_device_open (b, dft_test_server_get_url (f->servers[1]), STALL_SECONDS);
  login (a);
  login (b);
  *event = dft_test_add_event (a->store, "Border management", "2025-03-03", "2025-03-04");
  person = dft_test_add_participant (a->store, dft_record_get_id (*event), "Before");
  device_sync (a);
  device_sync (b);
  return person;
}

/*
 * The shared database put back by hand from an earlier pg_dump (README, "Several server
 * processes"): the log no longer holds what devices were told it holds, nor the positions they
 * pulled after. "admin new-epoch" gives the cluster a new epoch, and so does, when it was
 * forgotten, the first device that holds more than the log; every process takes it up, even
 * while it serves, every device sends again what it holds, and a new device gets everyone.
 */
static void
test_put_back (Fixture *f, gconstpointer data)
{
  Device               *a = &f->devices[0], *b = &f->devices[1], *c = &f->devices[2];
  g_autoptr (DftRecord) event = NULL;
  g_autofree char      *before = NULL;
  g_autofree char      *after = NULL;
  g_autofree char      *again = NULL;
  g_autofree char      *out = NULL;
  DftSyncStats          stats;
  gint64                kept;

  before = start_two (f, &event);
  kept = pg_rows (f, "SELECT 1 FROM register_log");
  after = dft_test_add_participant (a->store, dft_record_get_id (event), "After");
  device_sync (a);
  device_sync (b);
  g_assert_true (holds_person (b->store, after));

  /* As the README says: the processes stopped, the dump put back, then new-epoch. */
  stop_all (f);
  put_back_log (f, kept);
  out = dft_test_server_admin (f->servers[0], NULL, "new-epoch", NULL);
  g_test_message ("%s", out);
  for (guint i = 0; i < N_SERVERS; i++)
    dft_test_server_start (f->servers[i]);
  use_server (f, a, 2);
  use_server (f, b, 1);
  new_epoch_sync (a);
  new_epoch_sync (b);
  dft_test_device_open (c, dft_test_server_get_url (f->servers[0]), STALL_SECONDS);
  login (c);
  device_sync (c);
  g_assert_true (holds_person (c->store, after));
  dft_test_assert_same_records (a->store, b->store);
  dft_test_assert_same_records (a->store, c->store);

  /* Put back again, and new-epoch forgotten: b pulled past the log's end. */
  kept = pg_rows (f, "SELECT 1 FROM register_log");
  again = dft_test_add_participant (a->store, dft_record_get_id (event), "After again");
  device_sync (a);
  device_sync (b);
  stop_all (f);
  put_back_log (f, kept);
  for (guint i = 0; i < N_SERVERS; i++)
    dft_test_server_start (f->servers[i]);
  use_server (f, a, 0);
  use_server (f, b, 1);
  use_server (f, c, 2);
  new_epoch_sync (b);
  new_epoch_sync (a);
  new_epoch_sync (c);
  device_sync (b);
  g_assert_true (holds_person (c->store, again));
  g_assert_true (holds_person (b->store, again));
  dft_test_assert_same_records (a->store, b->store);
  dft_test_assert_same_records (a->store, c->store);

  /* new-epoch while the processes serve: the one a syncs with next takes it up at once. */
  g_free (out);
  out = dft_test_server_admin (f->servers[2], NULL, "new-epoch", NULL);
  use_server (f, a, 1);
  new_epoch_sync (a);
  stats = device_sync (a);
  g_assert_cmpint (stats.pushed, ==, 0);
}

/*
 * "admin backup" in a cluster copies the shared database whole while the processes serve;
 * "admin restore" is refused while any process serves, and with them stopped puts it back: the
 * cluster takes a new epoch, each process makes its replica again from the restored log, every
 * device sends again what it holds, and a new device gets everyone, those added after the
 * backup too.
 */
static void
test_backup_restore (Fixture *f, gconstpointer data)
{
  Device               *a = &f->devices[0], *b = &f->devices[1], *c = &f->devices[2];
  g_autoptr (DftRecord) event = NULL;
  g_autofree char      *before = NULL;
  g_autofree char      *after = NULL;
  g_autofree char      *dir = dft_test_make_dir ();
  g_autofree char      *backup = g_build_filename (dir, "backup", NULL);
  g_autofree char      *dump = g_build_filename (backup, "cluster.pgdump", NULL);
  g_autofree char      *out = NULL;
  g_autofree char      *holds = NULL;
  gint64                kept, total;

  before = start_two (f, &event);
  kept = pg_rows (f, "SELECT 1 FROM register_log");

  /* While the processes serve, through any process's configuration. */
  g_assert_cmpint (dft_test_server_admin_status (f->servers[1], NULL, &out, "backup", backup, NULL),
                   ==, 0);
  g_test_message ("%s", out);
  g_assert_true (g_file_test (dump, G_FILE_TEST_IS_REGULAR));
  holds = g_strdup_printf ("It holds %" G_GINT64_FORMAT " changes", kept);
  g_assert_nonnull (strstr (out, holds));

  after = dft_test_add_participant (a->store, dft_record_get_id (event), "After");
  device_sync (a);
  device_sync (b);
  g_assert_true (holds_person (b->store, after));
  total = pg_rows (f, "SELECT 1 FROM register_log");
  g_assert_cmpint (total, >, kept);

  /* Refused while a process serves; a folder that is no cluster's backup, refused. */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (
      dft_test_server_admin_status (f->servers[0], NULL, &out, "restore", backup, NULL), ==, 1);
  g_assert_nonnull (strstr (out, "Stop every process of the cluster"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (dft_test_server_admin_status (f->servers[0], NULL, &out, "restore", dir, NULL),
                   ==, 1);
  g_assert_nonnull (strstr (out, "cluster.pgdump"));
  g_assert_cmpint (pg_rows (f, "SELECT 1 FROM register_log"), ==, total);

  stop_all (f);
  g_clear_pointer (&out, g_free);
  out = dft_test_server_admin (f->servers[2], NULL, "restore", backup, NULL);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, holds));
  g_assert_cmpint (pg_rows (f, "SELECT 1 FROM register_log"), ==, kept);

  for (guint i = 0; i < N_SERVERS; i++)
    dft_test_server_start (f->servers[i]);
  use_server (f, a, 2);
  use_server (f, b, 0);
  new_epoch_sync (a);
  new_epoch_sync (b);
  g_assert_cmpint (pg_rows (f, "SELECT 1 FROM register_log"), >=, total);
  dft_test_device_open (c, dft_test_server_get_url (f->servers[1]), STALL_SECONDS);
  login (c);
  device_sync (c);
  g_assert_true (holds_person (c->store, before));
  g_assert_true (holds_person (c->store, after));
  dft_test_assert_same_records (a->store, b->store);
  dft_test_assert_same_records (a->store, c->store);
  {
    Device *all[] = { a, b, c };

    assert_log_exact (f, all, G_N_ELEMENTS (all));
  }
  dft_test_dir_free (g_steal_pointer (&dir));
}

/*
 * "admin move-event" in a cluster: the workshop's owner and the receiving team's new mark are
 * the shared database's, so the team's devices get the workshop at their next sync through
 * whichever process, and once only, whichever process they ask next.
 */
static void
test_move_event (Fixture *f, gconstpointer data)
{
  Device               *a = &f->devices[0], *s = &f->devices[1];
  g_autoptr (DftRecord) event = NULL;
  g_autofree char      *person = NULL;
  DftSyncStats          stats;

  dft_test_device_open (a, dft_test_server_get_url (f->servers[0]), STALL_SECONDS);
  dft_test_device_open (s, dft_test_server_get_url (f->servers[1]), STALL_SECONDS);
  login_as (a, TRAINER, PASSWORD_TRAINER);
  login_as (s, OTHER_TRAINER, PASSWORD_TRAINER);
  event = dft_test_add_event (a->store, "Border management", "2025-03-03", "2025-03-04");
  person = dft_test_add_participant (a->store, dft_record_get_id (event), "Moved");
  device_sync (a);
  stats = device_sync (s);
  g_assert_cmpuint (stats.received, ==, 0);
  g_assert_false (holds_person (s->store, person));

  g_free (dft_test_server_admin (f->servers[2], NULL, "move-event", dft_record_get_id (event),
                                 OTHER_TEAM, NULL));
  use_server (f, s, 2);
  stats = device_sync (s);
  g_test_message ("the South device received %u changes", stats.received);
  g_assert_true (holds_person (s->store, person));
  dft_test_assert_same_records (a->store, s->store);
  for (guint i = 0; i < N_SERVERS; i++)
    {
      use_server (f, s, i);
      stats = device_sync (s);
      g_assert_cmpuint (stats.received, ==, 0);
    }
}

/*
 * "admin import-bundle" in a cluster, while the processes serve: a trainer's laptop, signed in
 * through one process, writes a workshop and a photo to a USB stick sealed for the server; the
 * admin imports it with another process's configuration, and a coordinator syncing through the
 * third gets the people and the photo. Importing it again adds nothing, and the import leaves
 * no folder of its own behind.
 */
static void
test_import_bundle (Fixture *f, gconstpointer data)
{
  Device               *trainer = &f->devices[0], *coordinator = &f->devices[1];
  g_autoptr (GBytes)    photo = make_bytes (PHOTO_BYTES, 7);
  g_autofree char      *sha256 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, photo);
  g_autofree char      *dir = dft_test_make_dir ();
  g_autofree char      *path = g_build_filename (dir, "to-the-office.daftari", NULL);
  g_autoptr (GFile)     file = g_file_new_for_path (path);
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) event = NULL;
  g_autofree char      *answer = NULL;
  g_autofree char      *person = NULL;
  g_autofree char      *out = NULL;
  g_autofree char      *data_dir = NULL;
  g_autoptr (GDir)      folder = NULL;
  const char           *name;
  DftSyncStats          stats;
  guint                 n = 0;
  gint64                before;

  dft_test_device_open (trainer, dft_test_server_get_url (f->servers[0]), STALL_SECONDS);
  dft_test_device_open (coordinator, dft_test_server_get_url (f->servers[2]), STALL_SECONDS);
  login_as (trainer, TRAINER, PASSWORD_TRAINER);
  login (coordinator);
  device_sync (coordinator);

  /* Offline from here: a workshop, a person and a photo, to the stick. */
  event = dft_test_add_event (trainer->store, "Border management", "2025-03-03", "2025-03-04");
  person = dft_test_add_participant (trainer->store, dft_record_get_id (event), "Zawadi");
  answer = dft_store_add_attachment (trainer->store, photo, "Photo 7.jpg", "image/jpeg", &error);
  g_assert_no_error (error);
  add_submission_naming (trainer->store, answer);
  g_assert_true (dft_bundle_export (trainer->store, file, 0, NULL, &n, NULL, &error));
  g_assert_no_error (error);

  before = pg_rows (f, "SELECT 1 FROM register_log");
  out = dft_test_server_admin (f->servers[1], NULL, "import-bundle", path, NULL);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "changes applied"));
  g_assert_cmpint (pg_rows (f, "SELECT 1 FROM register_log"), ==, before + n);
  g_assert_cmpint (pg_rows (f, "SELECT 1 FROM register_file"), ==, 1);

  stats = device_sync (coordinator);
  g_assert_true (holds_person (coordinator->store, person));
  g_assert_cmpuint (stats.files_fetched, ==, 1);
  assert_holds (coordinator->store, sha256, photo);
  dft_test_assert_same_records (trainer->store, coordinator->store);

  /* Again: all of it is there already. */
  g_clear_pointer (&out, g_free);
  out = dft_test_server_admin (f->servers[0], NULL, "import-bundle", path, NULL);
  g_test_message ("%s", out);
  g_assert_cmpint (pg_rows (f, "SELECT 1 FROM register_log"), ==, before + n);
  stats = device_sync (coordinator);
  g_assert_cmpuint (stats.received, ==, 0);

  data_dir = g_build_filename (dft_test_server_get_dir (f->servers[1]), "data", NULL);
  folder = g_dir_open (data_dir, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (folder)) != NULL)
    g_assert_false (g_str_has_prefix (name, ".import-"));
  {
    Device *all[] = { trainer, coordinator };

    assert_log_exact (f, all, G_N_ELEMENTS (all));
  }
  dft_test_dir_free (g_steal_pointer (&dir));
}

/*
 * Devices add people and edit them at random, and sync through the balancer at random; then
 * all sync until a round moves nothing, and every replica holds the same.
 */
static void
test_random_through_balancer (Fixture *f, gconstpointer data)
{
  const char           *seed_text = g_getenv ("DAFTARI_CLUSTER_SEED");
  guint32               seed = seed_text != NULL && *seed_text != '\0'
                                   ? (guint32) g_ascii_strtoull (seed_text, NULL, 10)
                                   : g_random_int ();
  g_autoptr (GRand)     rand = g_rand_new_with_seed (seed);
  g_autoptr (GPtrArray) people = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (DftRecord) event = NULL;
  Device               *all[N_DEVICES];
  guint                 steps = g_test_slow () ? 200 : 60, round, synced = 0;

  g_test_message ("seed %u (DAFTARI_CLUSTER_SEED=%u repeats this run)", seed, seed);
  for (guint i = 0; i < N_DEVICES; i++)
    {
      all[i] = &f->devices[i];
      dft_test_device_open (all[i], f->balancer.url, STALL_SECONDS);
      login (all[i]);
    }
  event = dft_test_add_event (all[0]->store, "Border management", "2025-03-03", "2025-03-04");
  device_sync (all[0]);

  for (guint step = 0; step < steps; step++)
    {
      Device *device = all[g_rand_int_range (rand, 0, N_DEVICES)];
      guint   what = g_rand_int_range (rand, 0, 10);

      if (what < 3 || people->len == 0)
        {
          g_autofree char *given = g_strdup_printf ("Person%u", step);

          g_autoptr (DftRecord) held
              = dft_store_load (device->store, &dft_entity_event, dft_record_get_id (event), NULL);

          /* The event reaches a device with its first pull. */
          if (held == NULL)
            device_sync (device);
          g_ptr_array_add (
              people, dft_test_add_participant (device->store, dft_record_get_id (event), given));
        }
      else if (what < 6)
        {
          const char      *id = g_ptr_array_index (people, g_rand_int_range (rand, 0, people->len));
          g_autofree char *agency = g_strdup_printf ("Agency%u", step);

          if (holds_person (device->store, id))
            set_agency (device->store, id, agency);
        }
      else
        {
          device_sync (device);
          synced++;
        }
    }
  g_test_message ("%u steps, %u syncs, %u people", steps, synced, people->len);

  for (round = 1; round <= 8; round++)
    {
      guint moved = 0;

      for (guint i = 0; i < N_DEVICES; i++)
        {
          DftSyncStats stats = device_sync (all[i]);

          moved += stats.pushed + stats.received;
        }
      if (moved == 0)
        break;
    }
  g_assert_cmpuint (round, <=, 8);
  for (guint i = 1; i < N_DEVICES; i++)
    dft_test_assert_same_records (all[0]->store, all[i]->store);
  for (guint i = 0; i < people->len; i++)
    g_assert_true (holds_person (all[0]->store, g_ptr_array_index (people, i)));
  assert_log_exact (f, all, N_DEVICES);
}

/*
 * A trainer's photo, uploaded through process 1, reaches the team's coordinator through
 * process 2 byte for byte; a trainer of another team is told by every process that no such
 * file exists. Without the shared files, process 2 has no bytes of it.
 */
static void
test_file_here_download_there (Fixture *f, gconstpointer data)
{
  Device            *trainer = &f->devices[0], *coordinator = &f->devices[1];
  Device            *other = &f->devices[2];
  g_autoptr (GBytes) photo = make_bytes (PHOTO_BYTES, 1);
  g_autoptr (GError) error = NULL;
  g_autofree char   *answer = NULL;
  g_autofree char   *sha256 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, photo);
  g_autofree char   *path = g_strdup_printf ("attachments/%s?start=0&max=4096", sha256);
  DftSyncStats       stats;

  dft_test_device_open (trainer, dft_test_server_get_url (f->servers[0]), STALL_SECONDS);
  dft_test_device_open (coordinator, dft_test_server_get_url (f->servers[1]), STALL_SECONDS);
  dft_test_device_open (other, dft_test_server_get_url (f->servers[2]), STALL_SECONDS);
  login_as (trainer, TRAINER, PASSWORD_TRAINER);
  login (coordinator);
  login_as (other, OTHER_TRAINER, PASSWORD_TRAINER);

  answer = dft_store_add_attachment (trainer->store, photo, "Photo 1.jpg", "image/jpeg", &error);
  g_assert_no_error (error);
  add_submission_naming (trainer->store, answer);
  stats = device_sync (trainer);
  g_assert_cmpuint (stats.files_sent, ==, 1);
  g_assert_cmpuint (stats.file_bytes_sent, ==, PHOTO_BYTES);
  g_assert_cmpint (pg_rows (f, "SELECT 1 FROM register_file"), ==, 1);
  /* Every process knows it is held: the trainer is not asked for it again, wherever it asks. */
  for (guint i = 0; i < N_SERVERS; i++)
    g_assert_cmpint (ask_missing (trainer, dft_test_server_get_url (f->servers[i]), sha256), ==,
                     -1);
  stats = device_sync (trainer);
  g_assert_cmpuint (stats.files_sent, ==, 0);

  stats = device_sync (coordinator);
  g_assert_cmpuint (stats.files_fetched, ==, 1);
  g_assert_cmpuint (stats.file_bytes_fetched, ==, PHOTO_BYTES);
  g_assert_cmpuint (stats.files_unavailable, ==, 0);
  assert_holds (coordinator->store, sha256, photo);
  {
    g_autoptr (DftAttachmentInfo) info
        = dft_store_get_attachment_info (coordinator->store, sha256, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (info->media_type, ==, "image/jpeg");
    g_assert_cmpstr (info->name, ==, "Photo 1.jpg");
  }

  /* Another team: neither the submission nor the file, from any process. */
  stats = device_sync (other);
  g_assert_cmpuint (stats.files_fetched, ==, 0);
  g_assert_null (dft_store_get_attachment_info (other->store, sha256, NULL));
  for (guint i = 0; i < N_SERVERS; i++)
    {
      const char           *url = dft_test_server_get_url (f->servers[i]);
      g_auto (DftTestReply) reply = { 0 };
      g_autofree char      *code = NULL;

      dft_test_device_request (other, url, "GET", path, NULL, &reply);
      g_assert_cmpint (reply.status, ==, 404);
      code = error_code (&reply);
      g_assert_cmpstr (code, ==, "not_found");
      g_assert_cmpint (ask_missing (other, url, sha256), ==, 0);
    }
}

/*
 * The pieces of one upload each reach another process, as a balancer sends them: each
 * process takes up where the last left off. PostgreSQL gone in the middle is a 503 with
 * Retry-After and nothing lost: once it is back, the upload goes on from the same byte.
 */
static void
test_file_pieces_anywhere (Fixture *f, gconstpointer data)
{
  Device            *trainer = &f->devices[0], *coordinator = &f->devices[1];
  g_autoptr (GBytes) photo = make_bytes (3 * PIECE_BYTES + 1000, 2);
  g_autofree char   *sha256 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, photo);
  g_autofree char   *answer = dft_attachment_answer_for (sha256, "Photo 2.jpg");
  gsize              size = g_bytes_get_size (photo);
  gint64             deadline;
  DftSyncStats       stats;

  /* The trainer's submission names the photo, which its store does not hold: its sync
   * uploads nothing, and the pieces go by hand. */
  dft_test_device_open (trainer, f->balancer.url, STALL_SECONDS);
  login_as (trainer, TRAINER, PASSWORD_TRAINER);
  add_submission_naming (trainer->store, answer);
  stats = device_sync (trainer);
  g_assert_cmpuint (stats.files_sent, ==, 0);

  for (guint i = 0; i < N_SERVERS; i++)
    {
      const char           *url = dft_test_server_get_url (f->servers[i]);
      g_auto (DftTestReply) reply = { 0 };

      g_assert_cmpint (ask_missing (trainer, url, sha256), ==, (gint64) (i * PIECE_BYTES));
      g_assert_cmpint (put_piece (trainer, url, photo, i * PIECE_BYTES, PIECE_BYTES, &reply), ==,
                       200);
      g_assert_false (reply_complete (&reply));
    }
  /* A piece sent again, to another process: where the received bytes end is a 409. */
  {
    g_auto (DftTestReply) reply = { 0 };
    g_autofree char      *code = NULL;

    g_assert_cmpint (put_piece (trainer, dft_test_server_get_url (f->servers[0]), photo,
                                PIECE_BYTES, PIECE_BYTES, &reply),
                     ==, 409);
    code = error_code (&reply);
    g_assert_cmpstr (code, ==, "conflict");
  }

  /* The last piece while PostgreSQL is away: try again later, nothing kept. */
  dft_test_pg_stop (f->pg);
  {
    g_auto (DftTestReply) reply = { 0 };
    g_autofree char      *code = NULL;

    g_assert_cmpint (put_piece (trainer, dft_test_server_get_url (f->servers[1]), photo,
                                3 * PIECE_BYTES, size - 3 * PIECE_BYTES, &reply),
                     ==, 503);
    g_assert_nonnull (dft_test_reply_header (&reply, "retry-after"));
    code = error_code (&reply);
    g_assert_cmpstr (code, ==, "unavailable");
  }
  dft_test_pg_start (f->pg);
  g_assert_cmpint (pg_rows (f, "SELECT 1 FROM register_file"), ==, 0);
  /* A process finds its connection gone at its next request and makes it again: a 503 until
   * then. */
  deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;
  for (;;)
    {
      g_auto (DftTestReply) reply = { 0 };
      long status = put_piece (trainer, dft_test_server_get_url (f->servers[1]), photo,
                               3 * PIECE_BYTES, size - 3 * PIECE_BYTES, &reply);

      if (status == 503 && g_get_monotonic_time () < deadline)
        {
          g_usleep (50 * 1000);
          continue;
        }
      g_assert_cmpint (status, ==, 200);
      g_assert_true (reply_complete (&reply));
      break;
    }
  g_assert_cmpint (pg_rows (f, "SELECT 1 FROM register_file"), ==, 1);
  for (guint i = 0; i < N_SERVERS; i++)
    g_assert_cmpint (ask_missing (trainer, dft_test_server_get_url (f->servers[i]), sha256), ==,
                     -1);

  /* The coordinator gets it whole through the balancer, each piece from whichever process. */
  dft_test_device_open (coordinator, f->balancer.url, STALL_SECONDS);
  login (coordinator);
  stats = device_sync (coordinator);
  g_assert_cmpuint (stats.files_fetched, ==, 1);
  g_assert_cmpuint (stats.file_bytes_fetched, ==, size);
  assert_holds (coordinator->store, sha256, photo);
}

/*
 * A change one process set aside is kept where every process finds it: it counts as received
 * of the device whichever process the device asks next, and each replica holds it for a
 * coordinator to see.
 */
static void
test_set_aside_shared (Fixture *f, gconstpointer data)
{
  Device            *trainer = &f->devices[0], *coordinator = &f->devices[1];
  g_autoptr (GError) error = NULL;
  g_autoptr (DftForm) template = NULL;
  g_autoptr (DftRecord) form = NULL;
  g_autoptr (DftRecord) held = NULL;
  g_autoptr (DftRecord) event = NULL;
  g_autofree char      *reason = NULL;
  g_autofree char      *sql = NULL;
  g_autofree char      *dir = dft_test_make_dir ();
  g_autofree char      *backup = g_build_filename (dir, "backup", NULL);
  DftSyncStats          stats;

  dft_test_device_open (trainer, dft_test_server_get_url (f->servers[0]), STALL_SECONDS);
  dft_test_device_open (coordinator, dft_test_server_get_url (f->servers[1]), STALL_SECONDS);
  login_as (trainer, TRAINER, PASSWORD_TRAINER);
  login (coordinator);
  template = dft_form_template_load ("workshop-evaluation", &error);
  g_assert_no_error (error);
  form = dft_form_store_save (coordinator->store, template, &error);
  g_assert_no_error (error);
  device_sync (coordinator);
  event = dft_test_add_event (trainer->store, "Border management", "2025-03-03", "2025-03-04");
  g_free (dft_test_add_participant (trainer->store, dft_record_get_id (event), "First"));
  device_sync (trainer);
  g_free (dft_test_server_admin (f->servers[2], NULL, "backup", backup, NULL));

  /* A trainer may not change the form a coordinator published: set aside by process 1. */
  held = dft_store_load (trainer->store, &dft_entity_form, dft_record_get_id (form), &error);
  g_assert_no_error (error);
  g_assert_nonnull (held);
  dft_record_set_string (held, "title", "Mine now");
  g_assert_true (dft_store_save (trainer->store, held, &error));
  g_assert_no_error (error);
  stats = device_sync (trainer);
  g_assert_cmpuint (stats.set_aside, ==, 1);
  sql = g_strdup_printf ("SELECT 1 FROM register_set_aside WHERE device_id = '%s'",
                         dft_store_get_device_id (trainer->store));
  g_assert_cmpint (pg_rows (f, sql), ==, 1);

  /* Every replica holds it, made again from the shared database at start or not. */
  for (guint i = 0; i < N_SERVERS; i++)
    {
      g_autoptr (DftStore) replica = NULL;

      dft_test_server_stop (f->servers[i]);
      dft_test_server_start (f->servers[i]);
      dft_test_server_stop (f->servers[i]);
      replica = open_replica (f->servers[i]);
      g_assert_cmpuint (dft_store_count_set_aside (
                            replica, dft_store_get_device_id (trainer->store), &reason, &error),
                        ==, 1);
      g_assert_no_error (error);
      g_assert_nonnull (reason);
      g_clear_pointer (&reason, g_free);
      /* It counts as received: what the device sent is acknowledged up to it everywhere. */
      g_assert_cmpint (
          dft_store_origin_high (replica, dft_store_get_device_id (trainer->store), &error), ==,
          dft_test_own_changes (trainer->store));
      g_assert_no_error (error);
      dft_test_release_store (g_steal_pointer (&replica));
      dft_test_server_start (f->servers[i]);
    }

  /* The backup taken before it put back: the replicas took it up, so what is set aside from
   * now on is numbered past it, or they would pass it over (catch_up_set_aside_locked()). */
  stop_all (f);
  g_free (dft_test_server_admin (f->servers[0], NULL, "restore", backup, NULL));
  g_assert_cmpint (pg_rows (f, "SELECT 1 FROM register_set_aside"), ==, 0);
  g_assert_cmpint (pg_rows (f, "SELECT 1 FROM pg_sequences WHERE sequencename = "
                               "'register_set_aside_id_seq' AND last_value >= 1"),
                   ==, 1);
  dft_test_dir_free (g_steal_pointer (&dir));
}

int
main (int argc, char *argv[])
{
  const char *why;

  g_setenv ("no_proxy", "127.0.0.1,localhost", TRUE);
  g_setenv ("NO_PROXY", "127.0.0.1,localhost", TRUE);
  g_setenv ("GIO_USE_NETWORK_MONITOR", "base", TRUE);
  dft_test_init (&argc, &argv);
  /* HAProxy ends its connections to a server with a reset, which libsoup warns about ("could
   * not get remote address") when it comes before the connection is set up; under
   * fatal-warnings that would abort a server in the middle of the test. GLib read G_DEBUG
   * for this process already: only the servers and HAProxy start without it. */
  g_unsetenv ("G_DEBUG");

  why = dft_test_pg_unavailable ();
  if (why == NULL && !g_file_test (DFT_TEST_HAPROXY, G_FILE_TEST_IS_EXECUTABLE))
    why = "no " DFT_TEST_HAPROXY ": install Debian's haproxy";
  if (why == NULL && dft_test_server_binary () == NULL)
    why = "DAFTARI_SERVER names no built daftari-server";
  if (why != NULL)
    {
      g_print ("1..0 # SKIP %s\n", why);
      return 0;
    }

  g_test_add ("/cluster/push-here-pull-there", Fixture, NULL, fixture_set_up,
              test_push_here_pull_there, fixture_tear_down);
  g_test_add ("/cluster/replica-ahead", Fixture, NULL, fixture_set_up, test_replica_ahead,
              fixture_tear_down);
  g_test_add ("/cluster/file-here-download-there", Fixture, NULL, fixture_set_up,
              test_file_here_download_there, fixture_tear_down);
  g_test_add ("/cluster/file-pieces-anywhere", Fixture, NULL, fixture_set_up,
              test_file_pieces_anywhere, fixture_tear_down);
  g_test_add ("/cluster/put-back", Fixture, NULL, fixture_set_up, test_put_back, fixture_tear_down);
  g_test_add ("/cluster/backup-restore", Fixture, NULL, fixture_set_up, test_backup_restore,
              fixture_tear_down);
  g_test_add ("/cluster/move-event", Fixture, NULL, fixture_set_up, test_move_event,
              fixture_tear_down);
  g_test_add ("/cluster/import-bundle", Fixture, NULL, fixture_set_up, test_import_bundle,
              fixture_tear_down);
  g_test_add ("/cluster/set-aside-shared", Fixture, NULL, fixture_set_up, test_set_aside_shared,
              fixture_tear_down);
  g_test_add ("/cluster/random-through-balancer", Fixture, NULL, fixture_set_up,
              test_random_through_balancer, fixture_tear_down);
  return g_test_run ();
}
