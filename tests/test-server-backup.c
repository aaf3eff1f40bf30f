/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "dft-fault-proxy.h"
#include "dft-store-private.h"
#include "dft-sync-client.h"
#include "dft-test-util.h"

/*
 * "daftari-server admin backup" and "restore" (issue 20), and the upgrade path, on a real
 * server process: a backup taken while a device pushes is whole and holds a prefix of what was
 * pushed; put back with restore, the server takes a new epoch and the device sends what the
 * copy lacks; a restore while the server serves, an existing folder, a full disk and data from
 * a newer Daftari are refused with a message and nothing changed.
 */

#define TEAM        "North"
#define COORDINATOR "coordinator"
#define PASSWORD    "coordinator password 1"
/* The server's DftServerDb schema version (dft-server-db.h), which tests cannot include. */
#define SERVER_DB_VERSION 2
#define WAIT_SECONDS      120
/* The server's log line when it takes up a restore made while it serves. */
#define TAKEN_UP "restored from a backup while serving: new epoch"

/* ---- Running the server's commands ---- */

typedef struct
{
  rlim_t file_limit; /* 0: none */
} ChildSetup;

static void
child_setup (gpointer data)
{
  ChildSetup *setup = data;

  /* A command that hangs instead of refusing fails the test rather than timing it out. */
  alarm (60);
  if (setup->file_limit > 0)
    {
      struct rlimit limit;

      /* A full disk for an ordinary user: writes past the limit fail (a short write, then
       * EFBIG) as they fail with ENOSPC on a full disk; the signal is ignored as a daemon would
       * not get one. */
      signal (SIGXFSZ, SIG_IGN);
      getrlimit (RLIMIT_FSIZE, &limit);
      limit.rlim_cur = setup->file_limit;
      setrlimit (RLIMIT_FSIZE, &limit);
    }
}

/* "daftari-server ARGS… --config CONFIG" (serve or admin), its exit status, out and error. */
static int
run_server (DftTestServer *server, rlim_t file_limit, char **out, char **err, ...)
{
  g_autoptr (GStrvBuilder)        builder = g_strv_builder_new ();
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError)      error = NULL;
  g_autofree char        *config
      = g_build_filename (dft_test_server_get_dir (server), "server.conf", NULL);
  g_auto (GStrv)   argv = NULL;
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;
  ChildSetup       setup = { file_limit };
  const char      *arg;
  va_list          ap;

  g_strv_builder_add (builder, dft_test_server_binary ());
  va_start (ap, err);
  arg = va_arg (ap, const char *);
  g_strv_builder_add_many (builder, arg, "--config", config, NULL);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_strv_builder_add (builder, arg);
  va_end (ap);
  argv = g_strv_builder_end (builder);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, &setup, NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &stdout_text, &stderr_text, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (process))
    g_test_message ("%s %s: signal %d\n%s%s", argv[1], argv[4] != NULL ? argv[4] : "",
                    g_subprocess_get_term_sig (process), stdout_text, stderr_text);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_test_message ("%s %s: exit %d\n%s%s", argv[1], argv[4] != NULL ? argv[4] : "",
                  g_subprocess_get_exit_status (process), stdout_text, stderr_text);
  if (out != NULL)
    *out = g_steal_pointer (&stdout_text);
  if (err != NULL)
    *err = g_steal_pointer (&stderr_text);
  return g_subprocess_get_exit_status (process);
}

static char *
data_path (DftTestServer *server, const char *name)
{
  return g_build_filename (dft_test_server_get_dir (server), "data", name, NULL);
}

static char *
file_digest (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *text = NULL;
  gsize              length;

  g_assert_true (g_file_get_contents (path, &text, &length, &error));
  g_assert_no_error (error);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) text, length);
}

static guint
count_entries (const char *folder)
{
  g_autoptr (GDir) dir = g_dir_open (folder, 0, NULL);
  guint            n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static gboolean
has_entry_prefixed (const char *folder, const char *prefix)
{
  g_autoptr (GDir) dir = g_dir_open (folder, 0, NULL);
  const char      *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, prefix))
      return TRUE;
  return FALSE;
}

static gint64
query_int (const char *path, const char *sql, const char *param)
{
  sqlite3      *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64        value;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (param != NULL)
    sqlite3_bind_text (stmt, 1, param, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

static void
assert_integrity (const char *path)
{
  sqlite3      *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "ok");
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

static void
exec_on (const char *path, const char *sql)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
}

/* ---- A device ---- */

typedef struct
{
  char          *dir;
  DftStore      *store;
  DftSyncClient *client;
} Device;

typedef struct
{
  gboolean     done;
  gboolean     ok;
  GError      *error;
  DftSyncStats stats;
} Wait;

static gboolean
timed_out_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
wait_done (Wait *wait)
{
  gboolean timed_out = FALSE;
  guint    id = g_timeout_add_seconds (WAIT_SECONDS, timed_out_cb, &timed_out);

  while (!wait->done && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!wait->done)
    g_error ("no result after %u seconds", WAIT_SECONDS);
  g_source_remove (id);
}

static void
sync_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Wait *wait = user_data;

  wait->ok
      = dft_sync_client_sync_finish (DFT_SYNC_CLIENT (source), result, &wait->stats, &wait->error);
  wait->done = TRUE;
}

static void
login_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Wait *wait = user_data;

  wait->ok = dft_sync_client_login_finish (DFT_SYNC_CLIENT (source), result, &wait->error);
  wait->done = TRUE;
}

static void
device_open (Device *device, const char *url)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *path = NULL;
  Wait               wait = { 0 };

  device->dir = dft_test_make_dir ();
  path = g_build_filename (device->dir, "daftari.db", NULL);
  device->store = dft_store_open (path, &error);
  g_assert_no_error (error);
  sqlite3_exec (_dft_store_get_db (device->store), "PRAGMA synchronous = OFF", NULL, NULL, NULL);
  device->client = g_object_new (DFT_TYPE_SYNC_CLIENT, "store", device->store, "automatic", FALSE,
                                 "server-url", url, "retry-delay-ms", 20, "connect-timeout", 5,
                                 "stall-timeout", 10, "request-timeout", 120, NULL);
  dft_sync_client_login_async (device->client, COORDINATOR, PASSWORD, NULL, login_done_cb, &wait);
  wait_done (&wait);
  g_assert_no_error (wait.error);
  g_assert_true (wait.ok);
}

static void
device_close (Device *device)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  if (device->store == NULL)
    return;
  while (G_OBJECT (device->client)->ref_count > 1 && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  g_assert_finalize_object (g_steal_pointer (&device->client));
  dft_test_release_store (g_steal_pointer (&device->store));
  dft_test_dir_free (g_steal_pointer (&device->dir));
}

static DftSyncStats
device_sync (Device *device)
{
  Wait wait = { 0 };

  dft_sync_client_sync_async (device->client, NULL, sync_done_cb, &wait);
  wait_done (&wait);
  g_assert_no_error (wait.error);
  g_assert_true (wait.ok);
  return wait.stats;
}

static gint64
state_int (DftStore *store, const char *key)
{
  g_autofree char *text = dft_store_get_sync_state (store, key, NULL);

  return text != NULL ? g_ascii_strtoll (text, NULL, 10) : 0;
}

/* A workshop of @n people, each enrolled: a few thousand changes to push. */
static DftRecord *
add_workshop (DftStore *store, guint n)
{
  g_autoptr (GError) error = NULL;
  DftRecord *event = dft_test_add_event (store, "Border management", "2025-03-03", "2025-03-04");

  for (guint i = 0; i < n; i++)
    {
      g_autofree char      *given = g_strdup_printf ("Participant%u", i);
      g_autoptr (DftRecord) person = dft_test_add_person (store, given, "Field");
      g_autoptr (DftRecord) enrollment = dft_store_enroll (
          store, dft_record_get_id (event), dft_record_get_id (person), "participant", &error);

      g_assert_no_error (error);
    }
  return event;
}

static void
assert_has_person (DftStore *store, const char *given)
{
  g_autoptr (GError)    error = NULL;
  const char           *params[] = { given, NULL };
  g_autoptr (GPtrArray) rows
      = _dft_store_query (store, &dft_entity_person, "given_name = ?", params, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 1);
}

/* ---- The fixture: a server with a coordinator ---- */

typedef struct
{
  DftTestServer *server;
  DftFaultProxy *proxy;
  Device         devices[2];
  char          *backup; /* a folder name in the server's folder, not made */
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->server = dft_test_server_new (NULL, NULL, DFT_TEST_SERVER_DEFAULT);
  dft_test_server_add_account (f->server, COORDINATOR, "coordinator", TEAM, PASSWORD);
  dft_test_server_start (f->server);
  f->backup = g_build_filename (dft_test_server_get_dir (f->server), "backup", NULL);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < G_N_ELEMENTS (f->devices); i++)
    device_close (&f->devices[i]);
  g_clear_pointer (&f->proxy, dft_fault_proxy_free);
  g_clear_pointer (&f->server, dft_test_server_free);
  g_free (f->backup);
}

typedef struct
{
  Fixture *f;
  int      status;
  char    *out;
  gint     done;
} Backup;

static gpointer
backup_thread (gpointer data)
{
  Backup *backup = data;

  backup->status = run_server (backup->f->server, 0, &backup->out, NULL, "admin", "backup",
                               backup->f->backup, NULL);
  g_atomic_int_set (&backup->done, 1);
  return NULL;
}

/* ---- Tests ---- */

/*
 * A backup while a device pushes a workshop batch after batch through a slow link: whole, and
 * holding a prefix of the device's changes (numbered from 1 without a gap). The device then
 * adds Alpha. The server is stopped, restored, started: it takes a new epoch, the device sends
 * what the copy lacks, and a new device receives everything.
 */
static void
test_while_pushing (Fixture *f, gconstpointer data)
{
  Device               *a = &f->devices[0], *c = &f->devices[1];
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) event = NULL;
  g_autofree char      *slow = NULL;
  g_autofree char      *copy = g_build_filename (f->backup, "records.db", NULL);
  g_autofree char      *out = NULL;
  g_autofree char      *err = NULL;
  g_autofree char      *data_dir = data_path (f->server, NULL);
  Backup                backup = { f };
  GThread              *thread;
  Wait                  wait = { 0 };
  gint64                held, acked;
  gint64                deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  device_open (a, dft_test_server_get_url (f->server));
  event = add_workshop (a->store, 300);
  f->proxy = dft_fault_proxy_new (dft_test_server_get_port (f->server), &error);
  g_assert_no_error (error);
  /* 16 KB/s and 4 KB batches: the push takes seconds, and the backup runs in the middle. */
  dft_fault_proxy_set_rate (f->proxy, 16000, 16000);
  slow = g_strdup_printf ("http://127.0.0.1:%u/", dft_fault_proxy_get_port (f->proxy));
  g_object_set (a->client, "batch-bytes", 4096, "server-url", slow, NULL);

  dft_sync_client_sync_async (a->client, NULL, sync_done_cb, &wait);
  while (state_int (a->store, "push_acked_seq") == 0)
    {
      g_assert_false (wait.done);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (500);
    }
  thread = g_thread_new ("backup", backup_thread, &backup);
  while (!g_atomic_int_get (&backup.done))
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);
  acked = state_int (a->store, "push_acked_seq");
  g_test_message ("backed up while %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
                  " changes were acknowledged",
                  acked, dft_test_own_changes (a->store));
  /* The pushes went on during the backup. */
  g_assert_false (wait.done);
  wait_done (&wait);
  g_assert_no_error (wait.error);
  g_assert_cmpint (backup.status, ==, 0);
  g_assert_nonnull (strstr (backup.out, "changes"));
  g_free (backup.out);

  /* Whole, and a prefix: the device's changes 1 to n, none missing, fewer than all. */
  assert_integrity (copy);
  held = query_int (copy, "SELECT count (*) FROM change_log WHERE device_id = ?",
                    dft_store_get_device_id (a->store));
  g_assert_cmpint (held, >, 0);
  g_assert_cmpint (held, <=, dft_test_own_changes (a->store));
  g_assert_cmpint (query_int (copy, "SELECT max (origin_seq) FROM change_log WHERE device_id = ?",
                              dft_store_get_device_id (a->store)),
                   ==, held);

  {
    g_autoptr (DftRecord) alpha = dft_test_add_person (a->store, "Alpha", "Field");
    g_autoptr (DftRecord) enrollment = dft_store_enroll (
        a->store, dft_record_get_id (event), dft_record_get_id (alpha), "participant", &error);
    g_assert_no_error (error);
  }
  dft_sync_client_set_server_url (a->client, dft_test_server_get_url (f->server));
  device_sync (a);

  dft_test_server_stop (f->server);
  g_assert_cmpint (run_server (f->server, 0, &out, &err, "admin", "restore", f->backup, NULL), ==,
                   0);
  g_assert_nonnull (strstr (out, "replaced-by-restore-"));
  g_assert_true (has_entry_prefixed (data_dir, "replaced-by-restore-"));
  dft_test_server_start (f->server);
  {
    g_autofree char *log = NULL;

    g_assert_true (g_file_get_contents (dft_test_server_get_log (f->server), &log, NULL, &error));
    g_assert_nonnull (strstr (log, "restored from a backup"));
  }
  dft_sync_client_set_server_url (a->client, dft_test_server_get_url (f->server));
  /* A relays what it holds: what the copy lacks comes back. */
  device_sync (a);
  device_open (c, dft_test_server_get_url (f->server));
  device_sync (c);
  assert_has_person (c->store, "Alpha");
  {
    g_autofree char *expected = dft_test_dump_records (a->store);
    g_autofree char *got = dft_test_dump_records (c->store);

    g_assert_cmpstr (got, ==, expected);
  }
  dft_test_server_stop (f->server);
  {
    g_autofree char *records = data_path (f->server, "records.db");

    /* Each of A's changes once on the server. */
    g_assert_cmpint (query_int (records, "SELECT count (*) FROM change_log WHERE device_id = ?",
                                dft_store_get_device_id (a->store)),
                     ==, dft_test_own_changes (a->store));
  }
}

/* An existing folder is not replaced without --force; with it, it is, by the new backup. */
static void
test_refused_overwrite (Fixture *f, gconstpointer data)
{
  g_autofree char *accounts = g_build_filename (f->backup, "accounts.db", NULL);
  g_autofree char *before = NULL;
  g_autofree char *err = NULL;
  g_autofree char *parent = g_path_get_dirname (f->backup);
  guint            entries;

  /* An empty folder made beforehand (mkdir -p in a script) holds nothing to lose. */
  g_assert_cmpint (g_mkdir (f->backup, 0700), ==, 0);
  g_assert_cmpint (run_server (f->server, 0, NULL, NULL, "admin", "backup", f->backup, NULL), ==,
                   0);
  before = file_digest (accounts);
  entries = count_entries (parent);
  g_free (dft_test_server_admin (f->server, NULL, "create-team", "South", NULL));

  g_assert_cmpint (run_server (f->server, 0, NULL, &err, "admin", "backup", f->backup, NULL), ==,
                   1);
  g_assert_nonnull (strstr (err, "already exists"));
  g_assert_nonnull (strstr (err, "--force"));
  {
    g_autofree char *after = file_digest (accounts);
    g_assert_cmpstr (after, ==, before);
  }
  g_assert_cmpint (query_int (accounts, "SELECT count (*) FROM team WHERE name = 'South'", NULL),
                   ==, 0);

  g_assert_cmpint (
      run_server (f->server, 0, NULL, NULL, "admin", "backup", "--force", f->backup, NULL), ==, 0);
  g_assert_cmpint (query_int (accounts, "SELECT count (*) FROM team WHERE name = 'South'", NULL),
                   ==, 1);
  /* No temporary or old folder left beside it. */
  g_assert_cmpuint (count_entries (parent), ==, entries);
}

/*
 * A full disk while the server serves: the backup fails with a message that says so and
 * leaves nothing. Without root a disk cannot be filled, so the command runs with a file size
 * limit (RLIMIT_FSIZE) below the size of the copy, which fails its writes the same way.
 */
static void
test_full_disk (Fixture *f, gconstpointer data)
{
  g_autofree char *copy = g_build_filename (f->backup, "records.db", NULL);
  g_autofree char *parent = g_path_get_dirname (f->backup);
  g_autofree char *err = NULL;
  g_autofree char *missing = g_build_filename (parent, "no-such-folder", "backup", NULL);
  GStatBuf         st;
  guint            entries = count_entries (parent);
  const rlim_t     limit = 96 * 1024;

  g_assert_cmpint (run_server (f->server, limit, NULL, &err, "admin", "backup", f->backup, NULL),
                   ==, 1);
  g_assert_nonnull (strstr (err, "disk is full"));
  g_assert_false (g_file_test (f->backup, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count_entries (parent), ==, entries);
  g_clear_pointer (&err, g_free);

  /* A place that cannot be written: a clear message, nothing made. */
  g_assert_cmpint (run_server (f->server, 0, NULL, &err, "admin", "backup", missing, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "does not exist"));
  g_assert_cmpuint (count_entries (parent), ==, entries);

  /* The server went on serving, and a backup with room works. */
  g_free (dft_test_server_admin (f->server, NULL, "list-teams", NULL));
  g_assert_cmpint (run_server (f->server, 0, NULL, NULL, "admin", "backup", f->backup, NULL), ==,
                   0);
  /* The limit was below what the copy needs: the refusal above came from it. */
  g_assert_cmpint (g_stat (copy, &st), ==, 0);
  g_assert_cmpint (st.st_size, >, (goffset) limit);
}

static void
add_enrolled (DftStore *store, DftRecord *event, const char *given)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) person = dft_test_add_person (store, given, "Field");
  g_autoptr (DftRecord) enrollment = dft_store_enroll (
      store, dft_record_get_id (event), dft_record_get_id (person), "participant", &error);

  g_assert_no_error (error);
}

static void
assert_no_person (DftStore *store, const char *given)
{
  g_autoptr (GError)    error = NULL;
  const char           *params[] = { given, NULL };
  g_autoptr (GPtrArray) rows
      = _dft_store_query (store, &dft_entity_person, "given_name = ?", params, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 0);
}

static guint
count_in_log (DftTestServer *server, const char *text)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *log = NULL;
  guint              n = 0;

  g_assert_true (g_file_get_contents (dft_test_server_get_log (server), &log, NULL, &error));
  g_assert_no_error (error);
  for (const char *at = strstr (log, text); at != NULL; at = strstr (at + 1, text))
    n++;
  return n;
}

/* The two devices hold the same, and the server each of @a's changes once. */
static void
assert_converged (Fixture *f, Device *a, Device *c)
{
  g_autofree char *records = data_path (f->server, "records.db");
  g_autofree char *expected = dft_test_dump_records (a->store);
  g_autofree char *got = dft_test_dump_records (c->store);

  g_assert_cmpstr (got, ==, expected);
  g_assert_cmpint (query_int (records, "SELECT count (*) FROM change_log WHERE device_id = ?",
                              dft_store_get_device_id (a->store)),
                   ==, dft_test_own_changes (a->store));
}

/* The folders a restore would keep the replaced data in, for this second and the next few,
 * made as a restore made just before would have made them. */
static void
occupy_restore_names (DftTestServer *server)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();

  for (int i = 0; i < 5; i++)
    {
      g_autoptr (GDateTime) then = g_date_time_add_seconds (now, i);
      g_autofree char      *stamp = g_date_time_format (then, "%Y%m%dT%H%M%SZ");
      g_autofree char      *name = g_strdup_printf ("replaced-by-restore-%s", stamp);
      g_autofree char      *path = data_path (server, name);

      g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
    }
}

/*
 * Restore while the server serves (issue 20): the device synced Alpha, a backup was taken, the
 * device synced Bravo and a team was made. The backup goes back under the running server, which
 * takes a new epoch at its next request, without a restart: a new device receives the backup's
 * content from it (Alpha, not Bravo); the first device's next sync sends Bravo again, and the
 * server ends up holding both, each change once. The team made after the backup is gone.
 */
static void
test_restore_while_serving (Fixture *f, gconstpointer data)
{
  Device               *a = &f->devices[0], *c = &f->devices[1];
  g_autofree char      *accounts = data_path (f->server, "accounts.db");
  g_autofree char      *data_dir = data_path (f->server, NULL);
  g_autofree char      *out = NULL;
  g_autofree char      *teams = NULL;
  g_autoptr (DftRecord) event = NULL;
  GPid                  pid = dft_test_server_get_pid (f->server);

  device_open (a, dft_test_server_get_url (f->server));
  event = add_workshop (a->store, 5);
  add_enrolled (a->store, event, "Alpha");
  device_sync (a);
  g_assert_cmpint (run_server (f->server, 0, NULL, NULL, "admin", "backup", f->backup, NULL), ==,
                   0);
  g_free (dft_test_server_admin (f->server, NULL, "create-team", "South", NULL));
  add_enrolled (a->store, event, "Bravo");
  device_sync (a);

  g_assert_cmpint (run_server (f->server, 0, &out, NULL, "admin", "restore", f->backup, NULL), ==,
                   0);
  g_assert_nonnull (strstr (out, "replaced-by-restore-"));
  g_assert_true (has_entry_prefixed (data_dir, "replaced-by-restore-"));
  /* The same process serves on. */
  g_assert_true (dft_test_server_is_running (f->server));
  g_assert_cmpint (dft_test_server_get_pid (f->server), ==, pid);
  if (dft_test_server_get_storage (f->server) == NULL)
    g_assert_cmpint (query_int (accounts, "SELECT count (*) FROM team WHERE name = 'South'", NULL),
                     ==, 0);
  teams = dft_test_server_admin (f->server, NULL, "list-teams", NULL);
  g_assert_null (strstr (teams, "South"));
  g_assert_nonnull (strstr (teams, TEAM));

  device_open (c, dft_test_server_get_url (f->server));
  device_sync (c);
  assert_has_person (c->store, "Alpha");
  assert_no_person (c->store, "Bravo");
  g_assert_cmpuint (count_in_log (f->server, TAKEN_UP), ==, 1);

  device_sync (a);
  device_sync (c);
  assert_has_person (c->store, "Bravo");
  assert_converged (f, a, c);
  g_assert_cmpint (dft_test_server_get_pid (f->server), ==, pid);
  /* Taken up once: the server's own writes since are not taken for another restore. */
  g_assert_cmpuint (count_in_log (f->server, TAKEN_UP), ==, 1);

  /* Stopped, it works as before: the next start takes the new epoch. A restore in the same
   * second as another keeps what it replaces beside the first one's, not in it. */
  dft_test_server_stop (f->server);
  occupy_restore_names (f->server);
  g_assert_cmpint (run_server (f->server, 0, NULL, NULL, "admin", "restore", f->backup, NULL), ==,
                   0);
  dft_test_server_start (f->server);
  g_assert_cmpuint (count_in_log (f->server, "started on data restored from a backup"), ==, 1);
}

/* A restore that cannot write (a full disk) under a serving server: refused with a message,
 * the live data as it was, and nothing left behind. */
static void
test_restore_fails_unchanged (Fixture *f, gconstpointer data)
{
  g_autofree char *data_dir = data_path (f->server, NULL);
  g_autofree char *err = NULL;
  g_autofree char *teams = NULL;

  g_assert_cmpint (run_server (f->server, 0, NULL, NULL, "admin", "backup", f->backup, NULL), ==,
                   0);
  g_free (dft_test_server_admin (f->server, NULL, "create-team", "South", NULL));

  g_assert_cmpint (run_server (f->server, 4096, NULL, &err, "admin", "restore", f->backup, NULL),
                   ==, 1);
  g_assert_cmpstr (err, !=, "");
  g_assert_false (has_entry_prefixed (data_dir, "replaced-by-restore-"));
  teams = dft_test_server_admin (f->server, NULL, "list-teams", NULL);
  g_assert_nonnull (strstr (teams, "South"));
  g_assert_cmpuint (count_in_log (f->server, TAKEN_UP), ==, 0);
}

/* ---- Requests in flight during a restore ---- */

static char *gate_dir;

typedef struct
{
  Fixture *f;
  int      status;
  char    *err;
  gint     done;
} RestoreRun;

static gpointer
restore_thread (gpointer data)
{
  RestoreRun *run = data;

  run->status
      = run_server (run->f->server, 0, NULL, &run->err, "admin", "restore", run->f->backup, NULL);
  g_atomic_int_set (&run->done, 1);
  return NULL;
}

typedef struct
{
  Device     *device;
  RestoreRun *restore;
  guint       answered;
  guint       failed;
  gboolean    running;
  GError     *error;
} PullLoop;

static void pull_loop_next (PullLoop *loop);

static void
pull_loop_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PullLoop          *loop = user_data;
  g_autoptr (GError) error = NULL;

  if (dft_sync_client_sync_finish (DFT_SYNC_CLIENT (source), result, NULL, &error))
    loop->answered++;
  else
    {
      g_test_message ("a sync during the restore failed: %s", error->message);
      loop->failed++;
      if (loop->error == NULL)
        loop->error = g_steal_pointer (&error);
    }
  pull_loop_next (loop);
}

/* Syncs of a device with nothing to send, one after another until the restore is over. */
static void
pull_loop_next (PullLoop *loop)
{
  loop->running = !g_atomic_int_get (&loop->restore->done) || loop->answered + loop->failed == 0;
  if (loop->running)
    dft_sync_client_sync_async (loop->device->client, NULL, pull_loop_done_cb, loop);
}

static gboolean
pull_loop_stopped (gpointer data)
{
  return !((PullLoop *) data)->running;
}

static gboolean
wait_is_done (gpointer data)
{
  return ((Wait *) data)->done;
}

static gboolean
gate_held (gpointer data)
{
  g_autofree char *held = g_build_filename (gate_dir, "held", NULL);

  return g_file_test (held, G_FILE_TEST_EXISTS);
}

/* The restore has staged both files and goes for the writer, or is over. */
static gboolean
restore_staged (gpointer data)
{
  RestoreRun      *run = data;
  g_autofree char *data_dir = data_path (run->f->server, NULL);
  g_autoptr (GDir) dir = g_dir_open (data_dir, 0, NULL);
  const char      *name;

  if (g_atomic_int_get (&run->done))
    return TRUE;
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      /* On PostgreSQL only the register is a file to stage; pg_restore takes the accounts. */
      g_autofree char *staged = g_build_filename (
          data_dir, name,
          dft_test_server_get_storage (run->f->server) != NULL ? ".records.db.staged"
                                                               : ".accounts.db.staged",
          NULL);

      if (g_str_has_prefix (name, "replaced-by-restore-")
          && g_file_test (staged, G_FILE_TEST_EXISTS))
        return TRUE;
    }
  return FALSE;
}

static gboolean
restore_done (gpointer data)
{
  return g_atomic_int_get (&((RestoreRun *) data)->done);
}

/*
 * Requests in flight while a restore runs under the server. A push is stopped in the middle of
 * its apply (the server's test gate: push_lock and the writer held) when the restore starts;
 * the restore waits for the writer, the push completes with a whole answer, and another
 * device's syncs go on being answered throughout. Afterwards both devices hold everything and
 * the server each change once.
 */
static void
test_restore_in_flight (Fixture *f, gconstpointer data)
{
  Device               *a = &f->devices[0], *c = &f->devices[1];
  g_autofree char      *armed = g_build_filename (gate_dir, "armed", NULL);
  g_autofree char      *held = g_build_filename (gate_dir, "held", NULL);
  g_autofree char      *release = g_build_filename (gate_dir, "release", NULL);
  g_autoptr (DftRecord) event = NULL;
  RestoreRun            restore = { f };
  PullLoop              loop = { c, &restore };
  Wait                  push = { 0 };
  GThread              *thread;

  /* Both devices enrolled before the backup, which holds their access. */
  device_open (a, dft_test_server_get_url (f->server));
  device_open (c, dft_test_server_get_url (f->server));
  event = add_workshop (a->store, 5);
  add_enrolled (a->store, event, "Alpha");
  device_sync (a);
  g_assert_cmpint (run_server (f->server, 0, NULL, NULL, "admin", "backup", f->backup, NULL), ==,
                   0);
  add_enrolled (a->store, event, "Bravo");
  device_sync (a);
  device_sync (c);

  /* A's push of Charlie stops with the writer held. */
  add_enrolled (a->store, event, "Charlie");
  g_assert_true (g_file_set_contents (armed, "", 0, NULL));
  dft_sync_client_sync_async (a->client, NULL, sync_done_cb, &push);
  dft_test_wait_until (gate_held, NULL, "a push to stop in the middle of its apply");
  g_assert_cmpint (g_unlink (armed), ==, 0);

  thread = g_thread_new ("restore", restore_thread, &restore);
  pull_loop_next (&loop);
  dft_test_wait_until (restore_staged, &restore, "the restore to go for the writer");
  g_assert_false (push.done);
  g_assert_true (g_file_set_contents (release, "", 0, NULL));

  dft_test_wait_until (wait_is_done, &push, "the push let go to be answered");
  dft_test_wait_until (restore_done, &restore, "the restore");
  dft_test_wait_until (pull_loop_stopped, &loop, "the syncs during the restore");
  g_thread_join (thread);
  g_unlink (held);
  g_unlink (release);

  g_assert_cmpint (restore.status, ==, 0);
  g_free (restore.err);
  g_assert_no_error (push.error);
  g_assert_true (push.ok);
  g_assert_no_error (loop.error);
  g_assert_cmpuint (loop.failed, ==, 0);
  g_assert_cmpuint (loop.answered, >, 0);
  g_test_message ("%u syncs answered during the restore", loop.answered);

  /* Nothing lost: what the backup lacks comes back from A. */
  device_sync (a);
  device_sync (c);
  assert_has_person (c->store, "Bravo");
  assert_has_person (c->store, "Charlie");
  assert_converged (f, a, c);
  g_assert_cmpuint (count_in_log (f->server, TAKEN_UP), ==, 1);
}

/* Damaged data, the usual reason to restore: put back all the same, the damaged file kept. */
static void
test_restore_over_damaged (Fixture *f, gconstpointer data)
{
  g_autofree char *records = data_path (f->server, "records.db");
  g_autofree char *data_dir = data_path (f->server, NULL);
  g_autofree char *garbage = g_strnfill (8192, 'x');
  g_autofree char *out = NULL;
  g_autofree char *teams = NULL;
  g_autofree char *kept = NULL;
  g_autofree char *damaged = NULL;
  char            *end;

  g_assert_cmpint (run_server (f->server, 0, NULL, NULL, "admin", "backup", f->backup, NULL), ==,
                   0);
  dft_test_server_stop (f->server);
  g_assert_true (g_file_set_contents (records, garbage, -1, NULL));

  g_assert_cmpint (run_server (f->server, 0, &out, NULL, "admin", "restore", f->backup, NULL), ==,
                   0);
  kept = g_strdup (strstr (out, data_dir));
  g_assert_nonnull (kept);
  end = strstr (kept, "”");
  g_assert_nonnull (end);
  *end = '\0';
  damaged = g_build_filename (kept, "records.db", NULL);
  {
    g_autofree char *was = NULL;

    g_assert_true (g_file_get_contents (damaged, &was, NULL, NULL));
    g_assert_cmpstr (was, ==, garbage);
  }
  assert_integrity (records);
  dft_test_server_start (f->server);
  teams = dft_test_server_admin (f->server, NULL, "list-teams", NULL);
  g_assert_nonnull (strstr (teams, TEAM));
}

/* Data from a newer Daftari: serve and admin refuse it, name the file, and change nothing;
 * restore refuses a backup from one, and is how to go back to a backup from before. */
static void
test_newer_schema (Fixture *f, gconstpointer data)
{
  g_autofree char *records = data_path (f->server, "records.db");
  g_autofree char *accounts = data_path (f->server, "accounts.db");
  g_autofree char *backup_records = g_build_filename (f->backup, "records.db", NULL);
  const char      *files[] = { records, accounts };

  g_assert_cmpint (run_server (f->server, 0, NULL, NULL, "admin", "backup", f->backup, NULL), ==,
                   0);
  dft_test_server_stop (f->server);

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *sql = NULL;
      /* Not g_autofree: on an array it would free the first entry only. */
      g_auto (GStrv)   digests = g_new0 (char *, 3);
      g_autofree char *err = NULL;
      g_autofree char *name = g_path_get_basename (files[i]);

      if (i == 0)
        sql = g_strdup_printf ("PRAGMA user_version = %d", DFT_SCHEMA_VERSION + 1);
      else
        {
          /* The register as this binary knows it, the accounts from a newer one: neither may
           * be opened for writing, the register not migrated either. */
          g_autofree char *back = g_strdup_printf ("PRAGMA user_version = %d", DFT_SCHEMA_VERSION);

          exec_on (records, back);
          sql = g_strdup_printf ("UPDATE server_schema SET version = %d", SERVER_DB_VERSION + 1);
        }
      exec_on (files[i], sql);
      digests[0] = file_digest (records);
      digests[1] = file_digest (accounts);

      g_assert_cmpint (run_server (f->server, 0, NULL, &err, "serve", NULL), ==, 1);
      g_assert_nonnull (strstr (err, "newer Daftari server"));
      g_assert_nonnull (strstr (err, name));
      g_clear_pointer (&err, g_free);
      g_assert_cmpint (run_server (f->server, 0, NULL, &err, "admin", "list-teams", NULL), ==, 1);
      g_assert_nonnull (strstr (err, "newer Daftari server"));
      for (guint j = 0; j < G_N_ELEMENTS (files); j++)
        {
          g_autofree char *after = file_digest (files[j]);
          g_autofree char *upgrade_copy
              = g_strdup_printf ("%s.v%d.bak", files[j], DFT_SCHEMA_VERSION);

          g_assert_cmpstr (after, ==, digests[j]);
          g_assert_false (g_file_test (upgrade_copy, G_FILE_TEST_EXISTS));
        }
    }

  /* A backup from a newer Daftari is not restored over anything. */
  {
    g_autofree char *sql = g_strdup_printf ("PRAGMA user_version = %d", DFT_SCHEMA_VERSION + 1);
    g_autofree char *newer = g_build_filename (dft_test_server_get_dir (f->server), "newer", NULL);
    g_autofree char *newer_records = g_build_filename (newer, "records.db", NULL);
    g_autofree char *newer_accounts = g_build_filename (newer, "accounts.db", NULL);
    g_autofree char *backup_accounts = g_build_filename (f->backup, "accounts.db", NULL);
    g_autofree char *err = NULL;
    g_autofree char *before = file_digest (accounts);

    g_assert_cmpint (g_mkdir (newer, 0700), ==, 0);
    {
      g_autoptr (GFile) from = g_file_new_for_path (backup_records);
      g_autoptr (GFile) to = g_file_new_for_path (newer_records);
      g_autoptr (GFile) from_accounts = g_file_new_for_path (backup_accounts);
      g_autoptr (GFile) to_accounts = g_file_new_for_path (newer_accounts);

      g_assert_true (g_file_copy (from, to, G_FILE_COPY_NONE, NULL, NULL, NULL, NULL));
      g_assert_true (
          g_file_copy (from_accounts, to_accounts, G_FILE_COPY_NONE, NULL, NULL, NULL, NULL));
    }
    exec_on (newer_records, sql);
    g_assert_cmpint (run_server (f->server, 0, NULL, &err, "admin", "restore", newer, NULL), ==, 1);
    g_assert_nonnull (strstr (err, "from a newer Daftari server"));
    {
      g_autofree char *after = file_digest (accounts);
      g_assert_cmpstr (after, ==, before);
    }
  }

  /* Going back: the backup from before the "upgrade" is restored over the newer data. */
  g_assert_cmpint (run_server (f->server, 0, NULL, NULL, "admin", "restore", f->backup, NULL), ==,
                   0);
  g_assert_cmpint (query_int (records, "PRAGMA user_version", NULL), ==, DFT_SCHEMA_VERSION);
  dft_test_server_start (f->server);
  g_free (dft_test_server_admin (f->server, NULL, "list-teams", NULL));
}

/* A typing error in the configuration is refused by its line number. */
static void
test_config_typo (Fixture *f, gconstpointer data)
{
  g_autofree char *config
      = g_build_filename (dft_test_server_get_dir (f->server), "server.conf", NULL);
  g_autofree char *good = NULL;
  const char      *cases[][2] = {
         { "[server]\nlisten=127.0.0.1\n# the port\nprot=0\ndata=data\n", "line 4" },
         { "[server]\nlisten=127.0.0.1\nport 0\ndata=data\n", "line 3" },
         { "[server]\n\nlisten=127.0.0.1\nport=0\ndata=data\ntoken-days=forever\n", "line 6" },
  };

  dft_test_server_stop (f->server);
  g_assert_true (g_file_get_contents (config, &good, NULL, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *err = NULL;

      g_assert_true (g_file_set_contents (config, cases[i][0], -1, NULL));
      g_assert_cmpint (run_server (f->server, 0, NULL, &err, "serve", NULL), ==, 1);
      g_assert_nonnull (strstr (err, cases[i][1]));
    }
  g_assert_true (g_file_set_contents (config, good, -1, NULL));
  dft_test_server_start (f->server);
}

int
main (int argc, char *argv[])
{
  int status;

  g_setenv ("no_proxy", "127.0.0.1,localhost", TRUE);
  g_setenv ("NO_PROXY", "127.0.0.1,localhost", TRUE);
  g_setenv ("GIO_USE_NETWORK_MONITOR", "base", TRUE);
  dft_test_init (&argc, &argv);
  /* Before any server starts, which reads it; the gate stays shut until a test arms it. */
  gate_dir = dft_test_make_dir ();
  g_setenv ("DAFTARI_SERVER_TEST_PUSH_GATE", gate_dir, TRUE);

#define ADD(path, func)                                                                            \
  g_test_add ("/server-backup/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("restore-while-serving", test_restore_while_serving);
  ADD ("restore-in-flight", test_restore_in_flight);
  /* On PostgreSQL (DAFTARI_TEST_STORAGE): the accounts are copied by pg_dump and put back by
   * pg_restore; the tests below read or damage accounts.db itself, or (while-pushing) need the
   * backup to end well before a push at 16 KB/s does, which pg_dump's start-up does not. */
  if (g_getenv ("DAFTARI_TEST_STORAGE") != NULL)
    {
      status = g_test_run ();
      dft_test_dir_free (gate_dir);
      return status;
    }
  ADD ("while-pushing", test_while_pushing);
  ADD ("refused-overwrite", test_refused_overwrite);
  ADD ("full-disk", test_full_disk);
  ADD ("restore-fails-unchanged", test_restore_fails_unchanged);
  ADD ("restore-over-damaged", test_restore_over_damaged);
  ADD ("newer-schema", test_newer_schema);
  ADD ("config-typo", test_config_typo);
#undef ADD

  status = g_test_run ();
  dft_test_dir_free (gate_dir);
  return status;
}
