/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/wait.h>

#include "dft-bundle.h"
#include "dft-dataset.h"
#include "dft-fault-proxy.h"
#include "dft-store-private.h"
#include "dft-sync-client.h"
#include "forms/dft-form-store.h"
#include "forms/dft-form-templates.h"
#include "dft-test-util.h"

/*
 * Sync end to end, with nothing faked: a real daftari-server process on
 * 127.0.0.1 with its own data folder, accounts made with its admin command,
 * and devices that each have a store and a sync client. Then the faults of
 * field links: a slow line that drops connections part way through a body
 * (the fault proxy), and a server killed in the middle of a push. Whatever
 * happens, every replica ends with the same records, the server holds each
 * change exactly once, and nothing the server acknowledged is lost.
 */

#define TEAM                 "North"
#define COORDINATOR          "coordinator"
#define PASSWORD_COORDINATOR "coordinator password 1"
#define TRAINER              "trainer"
#define PASSWORD_TRAINER     "trainer password 1"
/* For one sync or sign-in; generous, for a loaded machine and the sanitizer build. */
#define WAIT_SECONDS 120

/* ---- The server process ---- */

static char *
server_url (guint16 port)
{
  return g_strdup_printf ("http://127.0.0.1:%u/", port);
}

/* The server's data, with sqlite3 straight on the file; the server must not be running. */
static sqlite3 *
server_records (DftTestServer *server)
{
  g_autofree char *path
      = g_build_filename (dft_test_server_get_dir (server), "data", "records.db", NULL);
  sqlite3 *db = NULL;

  g_assert_false (dft_test_server_is_running (server));
  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  return db;
}

static gint64
query_int (sqlite3 *db, const char *sql, const char *param)
{
  sqlite3_stmt *stmt = NULL;
  gint64        value;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (param != NULL)
    sqlite3_bind_text (stmt, 1, param, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return value;
}

static void
assert_integrity (sqlite3 *db)
{
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "ok");
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
}

/* ---- Devices ---- */

typedef struct
{
  char          *dir;
  DftStore      *store;
  DftSyncClient *client;
} Device;

static GThread *main_thread;

static void
notify_on_main_thread_cb (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  /* The UI binds these properties: they must never change from the worker. */
  g_assert_true (g_thread_self () == main_thread);
}

/* A device on the database DIR/daftari.db (made when missing); it takes DIR over. */
static void
device_open_in (Device *device, const char *url, char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *path = g_build_filename (dir, "daftari.db", NULL);

  device->dir = dir;
  device->store = dft_store_open (path, &error);
  g_assert_no_error (error);
  /* What is tested is sync, not this device's disk: thousands of commits in a second. */
  sqlite3_exec (_dft_store_get_db (device->store), "PRAGMA synchronous = OFF", NULL, NULL, NULL);
  device->client = g_object_new (DFT_TYPE_SYNC_CLIENT, "store", device->store, "automatic", FALSE,
                                 "server-url", url, "retry-delay-ms", 20, "connect-timeout", 5,
                                 "stall-timeout", 10, "request-timeout", 120, NULL);
  g_signal_connect (device->client, "notify", G_CALLBACK (notify_on_main_thread_cb), NULL);
}

static void
device_open (Device *device, const char *url)
{
  device_open_in (device, url, dft_test_make_dir ());
}

/* A copy of @store's database, as a file copy or a backup would make it, in a new folder. */
static char *
copy_database (DftStore *store)
{
  char            *dir = dft_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "daftari.db", NULL);
  g_autofree char *sql = g_strdup_printf ("VACUUM INTO '%s'", path);

  g_assert_cmpint (sqlite3_exec (_dft_store_get_db (store), sql, NULL, NULL, NULL), ==, SQLITE_OK);
  return dir;
}

/* Background reads (the pending count) hold the client for a moment: let them end. */
static void
device_close (Device *device)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (G_OBJECT (device->client)->ref_count > 1 && g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  g_assert_finalize_object (g_steal_pointer (&device->client));
  dft_test_release_store (g_steal_pointer (&device->store));
  dft_test_dir_free (g_steal_pointer (&device->dir));
}

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
sign_in_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Wait *wait = user_data;

  if (g_task_get_source_tag (G_TASK (result)) == dft_sync_client_login_async)
    wait->ok = dft_sync_client_login_finish (DFT_SYNC_CLIENT (source), result, &wait->error);
  else
    wait->ok = dft_sync_client_enrol_finish (DFT_SYNC_CLIENT (source), result, &wait->error);
  wait->done = TRUE;
}

static void
login (Device *device, const char *username, const char *password)
{
  Wait wait = { 0 };

  dft_sync_client_login_async (device->client, username, password, NULL, sign_in_done_cb, &wait);
  wait_done (&wait);
  g_assert_no_error (wait.error);
  g_assert_true (wait.ok);
}

static void
enrol (Device *device, const char *code)
{
  Wait wait = { 0 };

  dft_sync_client_enrol_async (device->client, code, NULL, sign_in_done_cb, &wait);
  wait_done (&wait);
  g_assert_no_error (wait.error);
  g_assert_true (wait.ok);
}

static gboolean
sync_once (Device *device, DftSyncStats *stats, GError **error)
{
  Wait wait = { 0 };

  dft_sync_client_sync_async (device->client, NULL, sync_done_cb, &wait);
  wait_done (&wait);
  if (stats != NULL)
    *stats = wait.stats;
  if (wait.error != NULL)
    g_propagate_error (error, wait.error);
  return wait.ok;
}

static gint64
state_int (DftStore *store, const char *key)
{
  g_autofree char *text = dft_store_get_sync_state (store, key, NULL);

  return text != NULL ? g_ascii_strtoll (text, NULL, 10) : 0;
}

static gint64
pending (DftStore *store)
{
  g_autoptr (GError) error = NULL;
  gint64             n = dft_store_count_pending_changes (store, &error);

  g_assert_no_error (error);
  return n;
}

static DftSyncStats
device_sync (Device *device)
{
  g_autoptr (GError) error = NULL;
  DftSyncStats       stats = { 0 };

  /* The error first: it says what went wrong. */
  sync_once (device, &stats, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pending (device->store), ==, 0);
  return stats;
}

/*
 * Syncs again after each failure, as a person on a bad link would, at most
 * @max times. Returns how many requests were sent again, failed syncs
 * included.
 */
static guint
sync_until_done (Device *device, guint max)
{
  guint repeats = 0;

  for (guint attempt = 1; attempt <= max; attempt++)
    {
      g_autoptr (GError) error = NULL;
      DftSyncStats       stats = { 0 };

      if (sync_once (device, &stats, &error))
        {
          g_test_message ("synced on attempt %u: %u pushed, %u received, %u requests, %u retries",
                          attempt, stats.pushed, stats.received, stats.requests, stats.retries);
          g_assert_cmpint (pending (device->store), ==, 0);
          return repeats + stats.retries;
        }
      g_test_message ("attempt %u: %s", attempt, error->message);
      /* Only the link may fail: anything else is a bug, not bad luck. */
      g_assert_true (
          g_error_matches (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_NETWORK)
          || g_error_matches (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_TIMED_OUT));
      repeats++;
    }
  g_error ("no complete sync in %u attempts", max);
}

/* Starts a sync and returns once the server acknowledged the first batch, the sync going on. */
static void
start_sync_until_first_ack (Device *device, Wait *wait)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  dft_sync_client_sync_async (device->client, NULL, sync_done_cb, wait);
  while (state_int (device->store, "push_acked_seq") == 0)
    {
      g_assert_false (wait->done);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (500);
    }
}

/* ---- What the replicas hold ---- */

/*
 * The server, stopped, holds each change once: (device, origin seq) never
 * twice, and each device's own changes numbered 1 to n without a gap. Every
 * device, synced, holds the same log. Returns the length of the server's.
 */
static gint64
assert_server_log_exact (DftTestServer *server, Device **devices, guint n_devices)
{
  sqlite3 *db = server_records (server);
  gint64   total = query_int (db, "SELECT count(*) FROM change_log", NULL);
  gint64   distinct = query_int (
        db, "SELECT count(*) FROM (SELECT DISTINCT device_id, origin_seq FROM change_log)", NULL);

  assert_integrity (db);
  g_assert_cmpint (total, ==, distinct);
  for (guint i = 0; i < n_devices; i++)
    {
      DftStore   *store = devices[i]->store;
      const char *id = dft_store_get_device_id (store);
      gint64      own = dft_test_own_changes (store);

      g_assert_cmpint (query_int (db, "SELECT count(*) FROM change_log WHERE device_id = ?", id),
                       ==, own);
      g_assert_cmpint (query_int (db,
                                  "SELECT coalesce (max (origin_seq), 0) FROM change_log "
                                  "WHERE device_id = ?",
                                  id),
                       ==, own);
      g_assert_cmpuint (dft_test_log_length (store), ==, total);
    }
  sqlite3_close (db);
  return total;
}

/* ---- The fixture: a server with a team, two accounts and a code ---- */

typedef struct
{
  DftTestServer *server;
  DftFaultProxy *proxy;
  Device         devices[4];
  char          *code; /* enrols one trainer's device in the team */
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->server = dft_test_server_new (NULL, NULL, DFT_TEST_SERVER_DEFAULT);
  dft_test_server_add_account (f->server, COORDINATOR, "coordinator", TEAM, PASSWORD_COORDINATOR);
  dft_test_server_add_account (f->server, TRAINER, "trainer", TEAM, PASSWORD_TRAINER);
  f->code = dft_test_server_make_enrolment_code (f->server, TEAM);
  dft_test_server_start (f->server);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < G_N_ELEMENTS (f->devices); i++)
    if (f->devices[i].store != NULL)
      device_close (&f->devices[i]);
  g_clear_pointer (&f->proxy, dft_fault_proxy_free);
  g_clear_pointer (&f->server, dft_test_server_free);
  g_free (f->code);
}

static char *
fixture_url (Fixture *f)
{
  return g_strdup (dft_test_server_get_url (f->server));
}

/* ---- Editing ---- */

static void
set_field (
    DftStore *store, const DftEntity *entity, const char *id, const char *field, const char *value)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) record = dft_store_load (store, entity, id, &error);

  g_assert_no_error (error);
  g_assert_nonnull (record);
  dft_record_set_string (record, field, value);
  g_assert_true (dft_store_save (store, record, &error));
  g_assert_no_error (error);
}

static void
mark (DftStore *store, const char *session_id, const char *person_id, const char *status)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) record
      = dft_store_mark_attendance (store, session_id, person_id, status, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (record);
}

/* A workshop of @n_people, each enrolled and on the register of its first @n_sessions. */
static DftRecord *
add_workshop (DftStore *store, guint n_people, guint n_sessions, GPtrArray *people)
{
  static const char *parts[][2] = {
    { "2025-03-03", "am" }, { "2025-03-03", "pm" }, { "2025-03-04", "am" }, { "2025-03-04", "pm" }
  };
  g_autoptr (GError) error = NULL;
  DftRecord *event = dft_test_add_event (store, "Border management", "2025-03-03", "2025-03-04");

  g_assert_cmpuint (n_sessions, <=, G_N_ELEMENTS (parts));
  for (guint i = 0; i < n_people; i++)
    {
      g_autofree char      *given = g_strdup_printf ("Participant%u", i);
      g_autofree char      *email = g_strdup_printf ("participant%u@example.org", i);
      g_autoptr (DftRecord) person = dft_record_new_for_entity (&dft_entity_person);
      g_autoptr (DftRecord) enrollment = NULL;

      dft_record_set_string (person, "given_name", given);
      dft_record_set_string (person, "family_name", "Field");
      dft_record_set_string (person, "agency", "Police");
      dft_record_set_string (person, "email", email);
      g_assert_true (dft_store_save (store, person, &error));
      g_assert_no_error (error);
      enrollment = dft_store_enroll (store, dft_record_get_id (event), dft_record_get_id (person),
                                     "participant", &error);
      g_assert_no_error (error);
      for (guint s = 0; s < n_sessions; s++)
        {
          g_autofree char *session
              = dft_session_id_for (dft_record_get_id (event), parts[s][0], parts[s][1]);
          mark (store, session, dft_record_get_id (person), "present");
        }
      if (people != NULL)
        g_ptr_array_add (people, g_strdup (dft_record_get_id (person)));
    }
  return event;
}

/* The value that won on @store and the one its conflict record kept are @one and @other. */
static void
assert_conflict_kept (DftStore        *store,
                      const DftEntity *entity,
                      const char      *id,
                      const char      *field,
                      const char      *one,
                      const char      *other)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) conflicts = dft_test_conflicts_about (store, id, field);
  g_autoptr (DftRecord) record = dft_store_load (store, entity, id, &error);
  const char           *won;
  const char           *lost;

  g_assert_no_error (error);
  g_assert_cmpuint (conflicts->len, ==, 1);
  won = dft_record_get_string (record, field);
  g_assert_true (g_strcmp0 (won, one) == 0 || g_strcmp0 (won, other) == 0);
  lost = dft_record_get_string (g_ptr_array_index (conflicts, 0), "lost_value");
  g_assert_nonnull (lost);
  g_assert_nonnull (strstr (lost, g_str_equal (won, one) ? other : one));
  g_assert_cmpstr (dft_record_get_string (g_ptr_array_index (conflicts, 0), "entity_name"), ==,
                   entity->name);
  g_test_message ("%s.%s: “%s” won, %s kept as a conflict", entity->name, field, won, lost);
}

/* A person enrolled in @event, so every device of the workshop's team sees them. */
static void
add_participant (DftStore *store, DftRecord *event, const char *given)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) person = dft_test_add_person (store, given, "Field");
  g_autoptr (DftRecord) enrollment = dft_store_enroll (
      store, dft_record_get_id (event), dft_record_get_id (person), "participant", &error);

  g_assert_no_error (error);
  g_assert_nonnull (enrollment);
}

static void
assert_has_person (DftStore *store, const char *given)
{
  g_autoptr (GError)    error = NULL;
  const char           *params[] = { given, NULL };
  g_autoptr (GPtrArray) rows
      = _dft_store_query (store, &dft_entity_person, "given_name = ?", params, NULL, &error);

  g_assert_no_error (error);
  if (rows->len != 1)
    g_error ("a replica holds %u people called %s", rows->len, given);
}

static guint sync_rounds (Device **devices, guint n_devices);

/*
 * @fresh, a new device, signs in as the coordinator; then every device of
 * @devices (@fresh among them) syncs until nothing moves, and each holds the
 * people @names and the same records as @fresh.
 */
static void
assert_all_hold (
    Device *fresh, const char *url, Device **devices, guint n, const char *const *names)
{
  device_open (fresh, url);
  login (fresh, COORDINATOR, PASSWORD_COORDINATOR);
  sync_rounds (devices, n);
  for (guint i = 0; i < n; i++)
    {
      for (guint j = 0; names[j] != NULL; j++)
        assert_has_person (devices[i]->store, names[j]);
      dft_test_assert_same_records (fresh->store, devices[i]->store);
    }
}

/* Everyone syncs in turn until a whole round moves nothing; returns the rounds it took. */
static guint
sync_rounds (Device **devices, guint n_devices)
{
  guint round;

  for (round = 1; round <= 6; round++)
    {
      guint moved = 0;

      for (guint i = 0; i < n_devices; i++)
        {
          DftSyncStats stats = device_sync (devices[i]);
          moved += stats.pushed + stats.received + stats.relayed;
        }
      if (moved == 0)
        return round;
    }
  g_error ("still moving changes after %u rounds", round);
}

/* The server's data folder, copied file by file while it is stopped, or put back. */
static void
copy_folder (const char *from, const char *to)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir)   dir = NULL;
  const char        *name;

  g_assert_cmpint (g_mkdir_with_parents (to, 0700), ==, 0);
  dir = g_dir_open (to, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (to, name, NULL);
      g_assert_cmpint (g_unlink (path), ==, 0);
    }
  g_clear_pointer (&dir, g_dir_close);
  dir = g_dir_open (from, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autoptr (GFile) source = g_file_new_build_filename (from, name, NULL);
      g_autoptr (GFile) target = g_file_new_build_filename (to, name, NULL);

      g_assert_true (g_file_copy (source, target, G_FILE_COPY_NONE, NULL, NULL, NULL, &error));
      g_assert_no_error (error);
    }
}

static gboolean
server_log_has (DftTestServer *server, const char *text)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *log = NULL;

  g_assert_true (g_file_get_contents (dft_test_server_get_log (server), &log, NULL, &error));
  g_assert_no_error (error);
  return strstr (log, text) != NULL;
}

static char *
server_data (DftTestServer *server)
{
  return g_build_filename (dft_test_server_get_dir (server), "data", NULL);
}

/* After a restart the server listens at another port. */
static void
follow_server (DftTestServer *server, Device **devices, guint n_devices)
{
  for (guint i = 0; i < n_devices; i++)
    dft_sync_client_set_server_url (devices[i]->client, dft_test_server_get_url (server));
}

/* ---- Tests ---- */

/*
 * Three devices: A signs in as a trainer, B enrols with a code, C is the
 * coordinator. A registers a workshop; everyone gets it; then, all offline,
 * A and B change the same person and mark the same attendance differently
 * while C changes another field of that person.
 */
static void
test_three_devices (Fixture *f, gconstpointer data)
{
  Device               *a = &f->devices[0], *b = &f->devices[1], *c = &f->devices[2];
  Device               *all[] = { a, b, c };
  g_autofree char      *url = fixture_url (f);
  g_autoptr (GPtrArray) people = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (DftRecord) event = NULL;
  g_autoptr (DftRecord) newcomer = NULL;
  g_autoptr (DftRecord) enrollment = NULL;
  g_autoptr (GError)    error = NULL;
  g_autofree char      *session = NULL;
  g_autofree char      *mark_id = NULL;
  const char           *x;
  guint                 round;

  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    device_open (all[i], url);
  login (a, TRAINER, PASSWORD_TRAINER);
  enrol (b, f->code);
  login (c, COORDINATOR, PASSWORD_COORDINATOR);

  event = add_workshop (a->store, 12, 2, people);
  device_sync (a);
  device_sync (b);
  device_sync (c);
  dft_test_assert_same_records (a->store, b->store);
  dft_test_assert_same_records (a->store, c->store);

  /* Offline, at the same time: two devices disagree, a third edits beside them. */
  x = g_ptr_array_index (people, 0);
  session = dft_session_id_for (dft_record_get_id (event), "2025-03-03", "am");
  mark_id = dft_attendance_id_for (session, x);
  set_field (a->store, &dft_entity_person, x, "agency", "Customs");
  mark (a->store, session, x, "late");
  set_field (b->store, &dft_entity_person, x, "agency", "Judiciary");
  mark (b->store, session, x, "excused");
  newcomer = dft_test_add_person (b->store, "Late", "Arrival");
  enrollment = dft_store_enroll (b->store, dft_record_get_id (event), dft_record_get_id (newcomer),
                                 "participant", &error);
  g_assert_no_error (error);
  set_field (c->store, &dft_entity_person, x, "phone", "+996555000111");

  /* Everyone syncs in turn until a whole round moves nothing. */
  for (round = 1; round <= 6; round++)
    {
      guint moved = 0;

      for (guint i = 0; i < G_N_ELEMENTS (all); i++)
        {
          DftSyncStats stats = device_sync (all[i]);

          g_test_message ("round %u, device %c: %u pushed, %u received, %u conflicts", round,
                          'A' + i, stats.pushed, stats.received, stats.conflicts);
          moved += stats.pushed + stats.received;
        }
      if (moved == 0)
        break;
    }
  g_assert_cmpuint (round, <=, 6);

  dft_test_assert_same_records (c->store, a->store);
  dft_test_assert_same_records (c->store, b->store);
  /* The coordinator sees both disagreements; the edit beside them stands. */
  assert_conflict_kept (c->store, &dft_entity_person, x, "agency", "Customs", "Judiciary");
  assert_conflict_kept (c->store, &dft_entity_attendance, mark_id, "status", "late", "excused");
  {
    g_autoptr (DftRecord) person = dft_store_load (a->store, &dft_entity_person, x, &error);
    g_autoptr (DftRecord) late
        = dft_store_load (a->store, &dft_entity_person, dft_record_get_id (newcomer), &error);

    g_assert_no_error (error);
    g_assert_cmpstr (dft_record_get_string (person, "phone"), ==, "+996555000111");
    g_assert_nonnull (late);
  }

  /* Nothing was applied twice, and the server holds what the devices hold. */
  dft_test_server_stop (f->server);
  {
    g_autofree char *path
        = g_build_filename (dft_test_server_get_dir (f->server), "data", "records.db", NULL);
    g_autoptr (DftStore) server = NULL;
    gint64               total = assert_server_log_exact (f->server, all, G_N_ELEMENTS (all));

    g_test_message ("the server holds %" G_GINT64_FORMAT " changes", total);
    server = dft_store_open (path, &error);
    g_assert_no_error (error);
    dft_test_assert_same_records (c->store, server);
  }
}

/*
 * A coordinator's device with the sample data set (three workshops) syncs
 * through a link of 64 kbit/s each way, 150 ms each way, that drops every
 * connection after 16 KB, so that bodies are cut part way; a trainer's
 * device then pulls all of it through the same link.
 */
static void
test_bad_link (Fixture *f, gconstpointer data)
{
  Device               *a = &f->devices[0], *b = &f->devices[1];
  Device               *all[] = { a, b };
  const char           *sample = g_getenv ("DAFTARI_SAMPLE");
  g_autoptr (GError)    error = NULL;
  g_autofree char      *url = NULL;
  DftDatasetStats       loaded = { 0 };
  DftFaultProxyCounters counters;

  g_assert_nonnull (sample);
  f->proxy = dft_fault_proxy_new (dft_test_server_get_port (f->server), &error);
  g_assert_no_error (error);
  url = server_url (dft_fault_proxy_get_port (f->proxy));
  device_open (a, url);
  device_open (b, url);
  login (a, COORDINATOR, PASSWORD_COORDINATOR);
  login (b, TRAINER, PASSWORD_TRAINER);
  g_assert_true (dft_dataset_load (a->store, sample, &loaded, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_test_message (
      "sample: %u people, %u attendance marks, %u submissions: %" G_GINT64_FORMAT " changes",
      loaded.people, loaded.attendance, loaded.submissions, dft_test_own_changes (a->store));

  dft_fault_proxy_set_delay (f->proxy, 150, 150);
  dft_fault_proxy_set_rate (f->proxy, 8000, 8000);
  dft_fault_proxy_set_cut_after (f->proxy, 16 * 1024);
  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    {
      gint64 start = g_get_monotonic_time ();
      guint  repeats;

      dft_fault_proxy_reset_counters (f->proxy);
      repeats = sync_until_done (all[i], 20);
      dft_fault_proxy_get_counters (f->proxy, &counters);
      g_test_message ("device %c: %.1f s, %" G_GUINT64_FORMAT " bytes up, %" G_GUINT64_FORMAT
                      " down, %u connections, %u cut, %u requests repeated",
                      'A' + i, (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC,
                      counters.bytes_up, counters.bytes_down, counters.connections, counters.cuts,
                      repeats);
      g_assert_cmpuint (counters.cuts, >, 0);
      /* The first batch or page is larger than what a connection carries: cut in its body. */
      g_assert_cmpuint (repeats, >, 0);
    }

  dft_test_assert_same_records (a->store, b->store);
  dft_test_server_stop (f->server);
  g_assert_cmpint (assert_server_log_exact (f->server, all, G_N_ELEMENTS (all)), ==,
                   dft_test_own_changes (a->store));
}

/*
 * The server is killed (SIGKILL) while a device pushes thousands of changes
 * in small batches, just after it acknowledged the first. Everything it
 * acknowledged is in its files, which are sound; started again, it gets the
 * rest, each change once.
 */
static void
test_server_killed_during_push (Fixture *f, gconstpointer data)
{
  Device               *a = &f->devices[0], *fresh = &f->devices[1];
  Device               *all[] = { a, fresh };
  g_autofree char      *url = fixture_url (f);
  g_autofree char      *new_url = NULL;
  g_autoptr (DftRecord) event = NULL;
  Wait                  wait = { 0 };
  gint64                high, acked_at_kill, acked;
  DftSyncStats          stats;

  device_open (a, url);
  g_object_set (a->client, "batch-bytes", 4096, "max-attempts", 2, NULL);
  login (a, COORDINATOR, PASSWORD_COORDINATOR);
  event = add_workshop (a->store, 500, 4, NULL);
  high = dft_test_own_changes (a->store);
  g_assert_cmpint (high, >, 3000);

  start_sync_until_first_ack (a, &wait);
  dft_test_server_kill (f->server);
  /* An acknowledgement already on its way may still land: read the mark again once it failed. */
  acked_at_kill = state_int (a->store, "push_acked_seq");
  wait_done (&wait);
  g_assert_false (wait.ok);
  g_test_message ("killed with %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
                  " changes acknowledged; the sync failed: %s",
                  acked_at_kill, high, wait.error->message);
  g_assert_true (
      g_error_matches (wait.error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_NETWORK)
      || g_error_matches (wait.error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_TIMED_OUT));
  g_clear_error (&wait.error);
  acked = state_int (a->store, "push_acked_seq");
  g_assert_cmpint (acked, >=, acked_at_kill);
  g_assert_cmpint (acked, <, high);
  g_assert_cmpint (pending (a->store), ==, high - acked);

  /* The killed server's files: sound, and holding every change it acknowledged, with no gap. */
  {
    g_autofree char *path
        = g_build_filename (dft_test_server_get_dir (f->server), "data", "accounts.db", NULL);
    sqlite3    *db = server_records (f->server);
    sqlite3    *accounts = NULL;
    const char *id = dft_store_get_device_id (a->store);
    gint64      held;

    assert_integrity (db);
    held = query_int (
        db, "SELECT coalesce (max (origin_seq), 0) FROM change_log WHERE device_id = ?", id);
    g_test_message ("the killed server held %" G_GINT64_FORMAT " changes", held);
    g_assert_cmpint (held, >=, acked);
    g_assert_cmpint (query_int (db, "SELECT count(*) FROM change_log WHERE device_id = ?", id), ==,
                     held);
    sqlite3_close (db);
    g_assert_cmpint (sqlite3_open_v2 (path, &accounts, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
    assert_integrity (accounts);
    sqlite3_close (accounts);
  }

  /* Started again on the same data, at a new port: the device sends the rest. */
  dft_test_server_start (f->server);
  new_url = fixture_url (f);
  dft_sync_client_set_server_url (a->client, new_url);
  stats = device_sync (a);
  g_test_message ("after the restart: %u pushed, %u requests", stats.pushed, stats.requests);
  g_assert_cmpuint (stats.pushed, ==, high - acked);
  g_assert_cmpint (state_int (a->store, "push_acked_seq"), ==, high);

  /* A device that starts from nothing gets all of it, once. */
  device_open (fresh, new_url);
  login (fresh, COORDINATOR, PASSWORD_COORDINATOR);
  device_sync (fresh);
  dft_test_assert_same_records (a->store, fresh->store);
  dft_test_server_stop (f->server);
  g_assert_cmpint (assert_server_log_exact (f->server, all, G_N_ELEMENTS (all)), ==, high);
}

/* A revoked device's sync is refused, and it keeps what it has not sent. */
static void
test_revoked_device (Fixture *f, gconstpointer data)
{
  Device               *b = &f->devices[0];
  g_autofree char      *url = fixture_url (f);
  g_autoptr (DftRecord) event = NULL;
  g_autoptr (DftRecord) person = NULL;
  g_autoptr (DftRecord) kept = NULL;
  g_autoptr (GError)    error = NULL;
  gint64                acked;

  device_open (b, url);
  enrol (b, f->code);
  event = add_workshop (b->store, 3, 1, NULL);
  device_sync (b);
  acked = state_int (b->store, "push_acked_seq");
  g_assert_cmpint (acked, >, 0);

  person = dft_test_add_person (b->store, "Unsent", "Changes");
  g_assert_cmpint (pending (b->store), ==, 1);
  g_free (dft_test_server_admin (f->server, NULL, "revoke-device",
                                 dft_store_get_device_id (b->store), NULL));

  g_assert_false (sync_once (b, NULL, &error));
  g_assert_error (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_UNAUTHORIZED);
  g_assert_cmpint (dft_sync_client_get_state (b->client), ==, DFT_SYNC_STATE_ERROR);
  g_assert_cmpint (pending (b->store), ==, 1);
  g_assert_cmpint (state_int (b->store, "push_acked_seq"), ==, acked);
  kept = dft_store_load (b->store, &dft_entity_person, dft_record_get_id (person), NULL);
  g_assert_nonnull (kept);
}

/* ---- Issue 12: the paths around the merge ---- */

/* A new device of the coordinator pulls everything and holds what @reference holds. */
static void
assert_fresh_device_agrees (Device *fresh, const char *url, DftStore *reference)
{
  device_open (fresh, url);
  login (fresh, COORDINATOR, PASSWORD_COORDINATOR);
  device_sync (fresh);
  dft_test_assert_same_records (reference, fresh->store);
}

/*
 * The README's workshop day with a trainer account: the trainer copies the knowledge test and
 * the evaluation templates (step 1) and registers a workshop, then syncs. Everything is
 * accepted, and the team's coordinator receives the forms with the workshop. Before, the
 * server refused the trainer's forms, and with them every record behind them.
 */
static void
test_trainer_copies_templates (Fixture *f, gconstpointer data)
{
  Device               *trainer = &f->devices[0], *coordinator = &f->devices[1];
  g_autofree char      *url = fixture_url (f);
  g_autoptr (GPtrArray) people = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (DftRecord) event = NULL;
  const char           *templates[] = { "knowledge-test", "workshop-evaluation" };
  g_autoptr (GPtrArray) forms = g_ptr_array_new_with_free_func (g_object_unref);

  device_open (trainer, url);
  device_open (coordinator, url);
  login (trainer, TRAINER, PASSWORD_TRAINER);
  login (coordinator, COORDINATOR, PASSWORD_COORDINATOR);
  for (guint i = 0; i < G_N_ELEMENTS (templates); i++)
    {
      g_autoptr (GError)  error = NULL;
      g_autoptr (DftForm) form = dft_form_template_load (templates[i], &error);

      g_assert_no_error (error);
      g_ptr_array_add (forms, dft_form_store_save (trainer->store, form, &error));
      g_assert_no_error (error);
    }
  event = add_workshop (trainer->store, 5, 1, people);

  device_sync (trainer);
  device_sync (coordinator);
  for (guint i = 0; i < forms->len; i++)
    {
      g_autoptr (GError)    error = NULL;
      g_autoptr (DftRecord) got
          = dft_store_load (coordinator->store, &dft_entity_form,
                            dft_record_get_id (g_ptr_array_index (forms, i)), &error);

      g_assert_no_error (error);
      g_assert_nonnull (got);
    }
  dft_test_assert_same_records (trainer->store, coordinator->store);
}

/*
 * Issue 14, defect 1: a change the server refuses never holds back the
 * others. The coordinator publishes a form; the trainer's laptop edits it
 * (trainers may not) and then registers a participant and marks the day.
 * The sync sets the form edit aside with its reason and sends the rest: the
 * coordinator receives the participant, the published form is unchanged, the
 * server keeps the refused change for a coordinator to see, and the next sync
 * neither sends it again nor stops on it. The laptop keeps its edit.
 */
static void
test_refused_change_set_aside (Fixture *f, gconstpointer data)
{
  Device               *trainer = &f->devices[0], *coordinator = &f->devices[1];
  g_autofree char      *url = fixture_url (f);
  g_autoptr (GPtrArray) people = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftForm) template = NULL;
  g_autoptr (DftRecord) form = NULL;
  g_autoptr (DftRecord) event = NULL;
  g_autoptr (DftRecord) alpha = NULL;
  g_autoptr (DftRecord) got = NULL;
  g_autofree char      *reason = NULL;
  DftSyncStats          stats;
  sqlite3              *db;

  device_open (trainer, url);
  device_open (coordinator, url);
  login (trainer, TRAINER, PASSWORD_TRAINER);
  login (coordinator, COORDINATOR, PASSWORD_COORDINATOR);
  template = dft_form_template_load ("workshop-evaluation", &error);
  g_assert_no_error (error);
  form = dft_form_store_save (coordinator->store, template, &error);
  g_assert_no_error (error);
  device_sync (coordinator);
  event = add_workshop (trainer->store, 2, 1, people);
  device_sync (trainer);

  set_field (trainer->store, &dft_entity_form, dft_record_get_id (form), "title", "Mine now");
  alpha = dft_test_add_person (trainer->store, "Alpha", "Field");
  g_clear_object (&got);
  got = dft_store_enroll (trainer->store, dft_record_get_id (event), dft_record_get_id (alpha),
                          "participant", &error);
  g_assert_no_error (error);
  g_clear_object (&got);
  stats = device_sync (trainer);
  g_assert_cmpuint (stats.set_aside, ==, 1);
  g_assert_cmpuint (stats.pushed, >=, 2);
  g_assert_nonnull (dft_sync_client_get_set_aside_reason (trainer->client));
  g_assert_cmpuint (dft_store_count_set_aside (trainer->store, NULL, &reason, &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpstr (reason, ==, dft_sync_client_get_set_aside_reason (trainer->client));

  device_sync (coordinator);
  got = dft_store_load (coordinator->store, &dft_entity_form, dft_record_get_id (form), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dft_record_get_string (got, "title"), !=, "Mine now");
  g_clear_object (&got);
  got = dft_store_load (coordinator->store, &dft_entity_person, dft_record_get_id (alpha), &error);
  g_assert_no_error (error);
  g_assert_nonnull (got);
  g_assert_false (dft_record_is_new (got));
  g_clear_object (&got);
  got = dft_store_load (trainer->store, &dft_entity_form, dft_record_get_id (form), &error);
  g_assert_cmpstr (dft_record_get_string (got, "title"), ==, "Mine now");

  stats = device_sync (trainer);
  g_assert_cmpuint (stats.set_aside, ==, 0);
  g_assert_cmpuint (stats.pushed, ==, 0);

  dft_test_server_stop (f->server);
  db = server_records (f->server);
  g_assert_cmpint (query_int (db, "SELECT count (*) FROM set_aside WHERE device_id = ?",
                              dft_store_get_device_id (trainer->store)),
                   ==, 1);
  g_assert_cmpint (query_int (db,
                              "SELECT count (*) FROM set_aside WHERE change IS NOT NULL "
                              "AND entity = 'form' AND device_id = ?",
                              dft_store_get_device_id (trainer->store)),
                   ==, 1);
  sqlite3_close (db);
}

/*
 * Case 3: A holds a person read before a sync (an Edit Person dialog left
 * open); the sync brings B's phone and email; A's user then changes the
 * agency and the email and saves. B's phone stands everywhere, A's agency and
 * email win, and B's email is kept as a conflict on every replica.
 */
static void
test_stale_save (Fixture *f, gconstpointer data)
{
  Device               *a = &f->devices[0], *b = &f->devices[1], *fresh = &f->devices[2];
  g_autofree char      *url = fixture_url (f);
  g_autoptr (GPtrArray) people = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (DftRecord) event = NULL;
  g_autoptr (DftRecord) open = NULL;
  g_autoptr (DftRecord) person = NULL;
  g_autoptr (GError)    error = NULL;
  const char           *x;

  device_open (a, url);
  device_open (b, url);
  login (a, TRAINER, PASSWORD_TRAINER);
  enrol (b, f->code);
  event = add_workshop (a->store, 2, 1, people);
  device_sync (a);
  device_sync (b);

  x = g_ptr_array_index (people, 0);
  open = dft_store_load (a->store, &dft_entity_person, x, &error);
  g_assert_no_error (error);
  set_field (b->store, &dft_entity_person, x, "phone", "+996555100200");
  set_field (b->store, &dft_entity_person, x, "email", "b@example.org");
  device_sync (b);
  device_sync (a);

  dft_record_set_string (open, "agency", "Customs");
  dft_record_set_string (open, "email", "a@example.org");
  g_assert_true (dft_store_save (a->store, open, &error));
  g_assert_no_error (error);
  device_sync (a);
  device_sync (b);

  assert_fresh_device_agrees (fresh, url, a->store);
  dft_test_assert_same_records (a->store, b->store);
  person = dft_store_load (fresh->store, &dft_entity_person, x, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dft_record_get_string (person, "phone"), ==, "+996555100200");
  g_assert_cmpstr (dft_record_get_string (person, "agency"), ==, "Customs");
  g_assert_cmpstr (dft_record_get_string (person, "email"), ==, "a@example.org");
  dft_test_assert_lost_value (fresh->store, x, "email", "\"b@example.org\"");
  dft_test_assert_lost_value (b->store, x, "email", "\"b@example.org\"");
}

/* Milliseconds of 2200-01-01T00:00:00Z. */
#define YEAR_2200_MS G_GINT64_CONSTANT (7258118400000)

static char *
person_phone (DftStore *store, const char *id)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) person = dft_store_load (store, &dft_entity_person, id, &error);

  g_assert_no_error (error);
  return g_strdup (dft_record_get_string (person, "phone"));
}

/*
 * Issue 13: a laptop whose date says 2200 cannot freeze a record. The server refuses its
 * change and the trainer is told to fix the date; another device's later edit goes through;
 * once the date is right the laptop's change is sent with a clock value just after what it
 * knew, so that later edit still wins and the laptop's value is kept as a conflict; and the
 * record goes on changing.
 */
static void
test_wrong_date (Fixture *f, gconstpointer data)
{
  Device               *a = &f->devices[0], *b = &f->devices[1], *fresh = &f->devices[2];
  g_autofree char      *url = fixture_url (f);
  g_autoptr (GPtrArray) people = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (DftRecord) event = NULL;
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) log = NULL;
  g_autofree char      *phone_a = NULL;
  g_autofree char      *phone_b = NULL;
  DftSyncStats          stats = { 0 };
  const char           *x;

  device_open (a, url);
  device_open (b, url);
  login (a, TRAINER, PASSWORD_TRAINER);
  enrol (b, f->code);
  event = add_workshop (a->store, 1, 1, people);
  device_sync (a);
  device_sync (b);
  x = g_ptr_array_index (people, 0);

  /* The laptop's date goes wrong, and its trainer edits. */
  _dft_store_set_wall_offset (a->store, YEAR_2200_MS - dft_hlc_wall_ms ());
  set_field (a->store, &dft_entity_person, x, "phone", "+9962200");
  g_assert_false (sync_once (a, &stats, &error));
  g_assert_error (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_CLOCK_AHEAD);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "days ahead"));
  g_clear_error (&error);
  g_assert_cmpint (pending (a->store), ==, 1);
  dft_test_drain ();
  g_assert_cmpint (dft_sync_client_get_clock_drift_ms (a->client), <, -DFT_HLC_MAX_AHEAD_MS);

  /* Another device edits after it, and that goes through. */
  dft_test_wait_next_millisecond ();
  set_field (b->store, &dft_entity_person, x, "phone", "+996555000111");
  device_sync (b);

  /* The date is put right: the laptop's change goes, nothing is lost, the later edit wins. */
  _dft_store_set_wall_offset (a->store, 0);
  stats = device_sync (a);
  g_assert_cmpuint (stats.restamped, ==, 1);
  g_assert_cmpuint (stats.pushed, ==, 1);
  device_sync (b);
  phone_a = person_phone (a->store, x);
  phone_b = person_phone (b->store, x);
  g_assert_cmpstr (phone_a, ==, "+996555000111");
  g_assert_cmpstr (phone_b, ==, "+996555000111");
  dft_test_assert_lost_value (b->store, x, "phone", "\"+9962200\"");
  log = dft_store_read_log (a->store, 0, 0, NULL, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < log->len; i++)
    g_assert_false (dft_hlc_is_too_far_ahead (((DftChange *) g_ptr_array_index (log, i))->hlc,
                                              dft_hlc_wall_ms ()));

  /* The record is not frozen: each device's next edit wins everywhere. */
  dft_test_wait_next_millisecond ();
  set_field (a->store, &dft_entity_person, x, "phone", "+996555000222");
  device_sync (a);
  device_sync (b);
  g_clear_pointer (&phone_b, g_free);
  phone_b = person_phone (b->store, x);
  g_assert_cmpstr (phone_b, ==, "+996555000222");
  dft_test_wait_next_millisecond ();
  set_field (b->store, &dft_entity_person, x, "phone", "+996555000333");
  device_sync (b);
  device_sync (a);
  g_clear_pointer (&phone_a, g_free);
  phone_a = person_phone (a->store, x);
  g_assert_cmpstr (phone_a, ==, "+996555000333");
  dft_test_assert_same_records (a->store, b->store);
  assert_fresh_device_agrees (fresh, url, a->store);
}

/*
 * Case 4, in one workshop of three people: B edits Y, then A deletes X and Y
 * and removes Z's mark, then B, offline all along, edits X and marks Z late.
 * The later write wins everywhere: X is back with B's agency and the delete
 * kept as a conflict; Y stays deleted with B's edit kept as a conflict, and
 * Y's enrollment and mark are no longer listed; Z is marked late. @data: B
 * syncs first.
 */
static void
test_delete_against_edit (Fixture *f, gconstpointer data)
{
  Device               *a = &f->devices[0], *b = &f->devices[1], *fresh = &f->devices[2];
  g_autofree char      *url = fixture_url (f);
  g_autoptr (GPtrArray) people = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (DftRecord) event = NULL;
  g_autoptr (DftRecord) record = NULL;
  g_autoptr (GError)    error = NULL;
  g_autofree char      *session = NULL;
  g_autofree char      *mark_z = NULL;
  const char           *x, *y, *z, *event_id;

  device_open (a, url);
  device_open (b, url);
  login (a, TRAINER, PASSWORD_TRAINER);
  enrol (b, f->code);
  event = add_workshop (a->store, 3, 1, people);
  event_id = dft_record_get_id (event);
  device_sync (a);
  device_sync (b);
  x = g_ptr_array_index (people, 0);
  y = g_ptr_array_index (people, 1);
  z = g_ptr_array_index (people, 2);
  session = dft_session_id_for (event_id, "2025-03-03", "am");
  mark_z = dft_attendance_id_for (session, z);

  set_field (b->store, &dft_entity_person, y, "agency", "Customs");
  dft_test_wait_next_millisecond ();
  dft_test_delete (a->store, &dft_entity_person, x);
  dft_test_delete (a->store, &dft_entity_person, y);
  dft_test_delete (a->store, &dft_entity_attendance, mark_z);
  dft_test_wait_next_millisecond ();
  set_field (b->store, &dft_entity_person, x, "agency", "Customs");
  mark (b->store, session, z, "late");

  device_sync (GPOINTER_TO_INT (data) ? b : a);
  device_sync (GPOINTER_TO_INT (data) ? a : b);
  device_sync (GPOINTER_TO_INT (data) ? b : a);
  assert_fresh_device_agrees (fresh, url, a->store);
  dft_test_assert_same_records (a->store, b->store);

  record = dft_store_load (fresh->store, &dft_entity_person, x, &error);
  g_assert_no_error (error);
  g_assert_false (dft_record_get_deleted (record));
  g_assert_cmpstr (dft_record_get_string (record, "agency"), ==, "Customs");
  dft_test_assert_lost_value (fresh->store, x, "deleted", "true");
  g_clear_object (&record);
  record = dft_store_load (fresh->store, &dft_entity_person, y, &error);
  g_assert_no_error (error);
  g_assert_true (dft_record_get_deleted (record));
  dft_test_assert_lost_value (fresh->store, y, "deleted", "false");
  g_clear_object (&record);
  record = dft_store_load (fresh->store, &dft_entity_attendance, mark_z, &error);
  g_assert_no_error (error);
  g_assert_false (dft_record_get_deleted (record));
  g_assert_cmpstr (dft_record_get_string (record, "status"), ==, "late");
  dft_test_assert_lost_value (fresh->store, mark_z, "deleted", "true");

  /* X and Z are on the roster, the register and the enrollments; Y is not. */
  for (guint i = 0; i < 3; i++)
    {
      DftStore *store = (Device *[]){ a, b, fresh }[i]->store;

      g_assert_cmpuint (dft_test_count_listed (dft_store_list_people (store, event_id)), ==, 2);
      g_assert_cmpuint (dft_test_count_listed (dft_store_list_enrollments (store, event_id)), ==,
                        2);
      g_assert_cmpuint (dft_test_count_listed (dft_store_list_attendance (store, session)), ==, 2);
    }
}

/*
 * Case 5 and 6: the coordinator's device A and a trainer's device B finalize
 * the same draft with different answers, B later. B syncs first. A, whose
 * final lost, says one conflict kept (the server found it first and A pulled
 * it); every replica holds B's final and A's answers as a conflict.
 */
static void
test_double_final (Fixture *f, gconstpointer data)
{
  Device               *a = &f->devices[0], *b = &f->devices[1], *fresh = &f->devices[2];
  g_autofree char      *url = fixture_url (f);
  g_autoptr (DftRecord) event = NULL;
  g_autoptr (DftRecord) held = NULL;
  g_autoptr (GError)    error = NULL;
  g_autofree char      *id = NULL;
  DftSyncStats          stats;

  device_open (a, url);
  device_open (b, url);
  login (a, COORDINATOR, PASSWORD_COORDINATOR);
  login (b, TRAINER, PASSWORD_TRAINER);
  event = add_workshop (a->store, 1, 1, NULL);
  id = dft_test_add_draft (a->store, NULL, dft_record_get_id (event));
  device_sync (a);
  device_sync (b);

  dft_test_finalize (a->store, id, "{\"q1\":2}");
  dft_test_wait_next_millisecond ();
  dft_test_finalize (b->store, id, "{\"q1\":3}");
  device_sync (b);
  stats = device_sync (a);
  g_assert_cmpuint (stats.conflicts, ==, 1);
  device_sync (b);

  assert_fresh_device_agrees (fresh, url, a->store);
  dft_test_assert_same_records (a->store, b->store);
  held = dft_store_load (fresh->store, &dft_entity_submission, id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dft_record_get_string (held, "status"), ==, "final");
  g_assert_cmpstr (dft_record_get_string (held, "answers"), ==, "{\"q1\":3}");
  dft_test_assert_lost_value (fresh->store, id, "answers", "\"{\\\"q1\\\":2}\"");
}

/*
 * Issue 12, case 1: laptop A's database is copied to laptop B after a sync;
 * A adds Alpha, B adds Beta, both sync; D, a third copy that changes
 * nothing, syncs too. The second copy to push is refused as a fork and takes
 * a new device id by itself; the copy that made nothing finds out from what
 * the server holds of its id. A fresh device gets both changes, and all
 * replicas end equal.
 */
static void
test_copied_database (Fixture *f, gconstpointer data)
{
  Device               *a = &f->devices[0], *b = &f->devices[1], *c = &f->devices[2];
  Device               *d = &f->devices[3];
  Device               *all[] = { a, b, c, d };
  g_autofree char      *url = fixture_url (f);
  g_autoptr (DftRecord) event = NULL;
  DftSyncStats          stats;

  device_open (a, url);
  login (a, TRAINER, PASSWORD_TRAINER);
  event = add_workshop (a->store, 3, 1, NULL);
  device_sync (a);
  device_open_in (b, url, copy_database (a->store));
  device_open_in (d, url, copy_database (a->store));
  g_assert_cmpstr (dft_store_get_device_id (b->store), ==, dft_store_get_device_id (a->store));

  add_participant (a->store, event, "Alpha");
  add_participant (b->store, event, "Beta");
  stats = device_sync (b);
  g_assert_cmpuint (stats.pushed, ==, 2);
  g_assert_false (stats.new_identity);
  stats = device_sync (a);
  g_test_message ("A: %u pushed, %u received", stats.pushed, stats.received);
  g_assert_true (stats.new_identity);
  g_assert_cmpuint (stats.pushed, ==, 2);
  g_assert_cmpstr (dft_store_get_device_id (a->store), !=, dft_store_get_device_id (b->store));
  stats = device_sync (d);
  g_assert_true (stats.new_identity);

  assert_all_hold (c, url, all, G_N_ELEMENTS (all), (const char *[]){ "Alpha", "Beta", NULL });
  dft_test_server_stop (f->server);
  assert_server_log_exact (f->server, all, G_N_ELEMENTS (all));
}

/* What the app and daftari-cli do when they open a database: a copy takes its own id. */
static gboolean
device_check_place (Device *device)
{
  g_autoptr (GError) error = NULL;
  gboolean           copied = FALSE;

  g_assert_true (dft_store_check_place (device->store, &copied, &error));
  g_assert_no_error (error);
  return copied;
}

/*
 * Issue 12, case 1, found before anything is written: the copy on laptop B
 * is opened as the app opens it, sees it is not where it was made and takes
 * its own id at once; no change is ever refused as a fork. Its first sync
 * asks the server for a token of its own (the one line), the original's says
 * nothing, and a third device gets both.
 */
static void
test_copied_database_at_start (Fixture *f, gconstpointer data)
{
  Device               *a = &f->devices[0], *b = &f->devices[1], *c = &f->devices[2];
  Device               *all[] = { a, b, c };
  g_autofree char      *url = fixture_url (f);
  g_autofree char      *first_id = NULL;
  g_autoptr (DftRecord) event = NULL;
  DftSyncStats          stats;

  device_open (a, url);
  g_assert_false (device_check_place (a));
  login (a, TRAINER, PASSWORD_TRAINER);
  event = add_workshop (a->store, 3, 1, NULL);
  device_sync (a);
  first_id = g_strdup (dft_store_get_device_id (a->store));
  device_open_in (b, url, copy_database (a->store));
  g_assert_true (device_check_place (b));
  g_assert_cmpstr (dft_store_get_device_id (b->store), !=, first_id);
  /* The original, opened again where it lives, is still itself. */
  g_assert_false (device_check_place (a));
  g_assert_cmpstr (dft_store_get_device_id (a->store), ==, first_id);

  add_participant (a->store, event, "Alpha");
  add_participant (b->store, event, "Beta");
  stats = device_sync (b);
  g_assert_true (stats.new_identity);
  g_assert_cmpuint (stats.pushed, ==, 2);
  stats = device_sync (a);
  g_assert_false (stats.new_identity);
  g_assert_cmpuint (stats.pushed, ==, 2);
  device_sync (b);

  assert_all_hold (c, url, all, G_N_ELEMENTS (all), (const char *[]){ "Alpha", "Beta", NULL });
  dft_test_server_stop (f->server);
  assert_server_log_exact (f->server, all, G_N_ELEMENTS (all));
}

/*
 * Issue 12, case 1, from a backup: laptop A syncs, is backed up, adds Alpha
 * and syncs; its disk dies and the backup is put back; it adds Gamma and
 * syncs. Gamma is not taken for Alpha's duplicate, and A gets Alpha back.
 */
static void
test_restored_laptop (Fixture *f, gconstpointer data)
{
  Device               *a = &f->devices[0], *c = &f->devices[1];
  Device               *all[] = { a, c };
  g_autofree char      *url = fixture_url (f);
  g_autofree char      *backup = NULL;
  g_autoptr (DftRecord) event = NULL;
  DftSyncStats          stats;

  device_open (a, url);
  login (a, TRAINER, PASSWORD_TRAINER);
  event = add_workshop (a->store, 3, 1, NULL);
  device_sync (a);
  backup = copy_database (a->store);
  add_participant (a->store, event, "Alpha");
  device_sync (a);

  device_close (a);
  device_open_in (a, url, g_steal_pointer (&backup));
  add_participant (a->store, event, "Gamma");
  stats = device_sync (a);
  g_assert_true (stats.new_identity);

  assert_all_hold (c, url, all, G_N_ELEMENTS (all), (const char *[]){ "Alpha", "Gamma", NULL });
}

/*
 * Issue 12, case 2: the server's data folder is copied; A and B sync more
 * (A adds Alpha, B receives it and adds Beta); the server is stopped, the
 * copy put back and the server started, and A never syncs again. D, which
 * synced before the copy, pushes a new workshop first: more changes than the
 * server lost, which must not cover B's cursor. Nobody runs "admin
 * new-epoch": B's next sync finds the restore, the server takes a new epoch,
 * and B sends everything it holds, A's Alpha included.
 */
static void
test_restored_server (Fixture *f, gconstpointer data)
{
  Device               *a = &f->devices[0], *b = &f->devices[1], *c = &f->devices[2];
  Device               *d = &f->devices[3];
  Device               *abd[] = { a, b, d };
  Device               *bcd[] = { b, c, d };
  g_autofree char      *url = fixture_url (f);
  g_autofree char      *data_dir = server_data (f->server);
  g_autofree char      *copy = g_build_filename (dft_test_server_get_dir (f->server), "copy", NULL);
  g_autoptr (DftRecord) event = NULL;
  DftSyncStats          stats;

  device_open (a, url);
  device_open (b, url);
  device_open (d, url);
  login (a, TRAINER, PASSWORD_TRAINER);
  enrol (b, f->code);
  login (d, COORDINATOR, PASSWORD_COORDINATOR);
  event = add_workshop (a->store, 3, 1, NULL);
  device_sync (a);
  device_sync (b);
  device_sync (d);

  dft_test_server_stop (f->server);
  copy_folder (data_dir, copy);
  dft_test_server_start (f->server);
  follow_server (f->server, abd, G_N_ELEMENTS (abd));
  add_participant (a->store, event, "Alpha");
  device_sync (a);
  device_sync (b);
  add_participant (b->store, event, "Beta");
  device_sync (b);
  assert_has_person (b->store, "Alpha");

  dft_test_server_stop (f->server);
  copy_folder (copy, data_dir);
  dft_test_server_start (f->server);
  follow_server (f->server, abd, G_N_ELEMENTS (abd));
  device_close (a);

  g_clear_object (&event);
  event = add_workshop (d->store, 3, 1, NULL);
  device_sync (d);
  stats = device_sync (b);
  g_test_message ("B after the restore: %u restarts, %u relayed, %u pushed, %u received",
                  stats.restarts, stats.relayed, stats.pushed, stats.received);
  g_assert_cmpuint (stats.restarts, >=, 1);
  g_assert_cmpuint (stats.relayed, >, 0);
  g_assert_true (server_log_has (f->server, "restored from an earlier copy"));

  assert_all_hold (c, dft_test_server_get_url (f->server), bcd, G_N_ELEMENTS (bcd),
                   (const char *[]){ "Alpha", "Beta", NULL });
}

/*
 * Issue 12, cases 1 and 2 at once: A's database is copied to B; the server's
 * data folder is copied; A adds Alpha and pushes it, but the link drops before
 * it pulls; the server is put back from its copy; B adds Beta, made under the
 * same device id and the same numbers as Alpha, and pushes it: the server takes
 * it. A's mark and the server's count now agree, so A saw nothing wrong; only
 * the digest of its last acknowledged change, shown when it pulls, tells that
 * the server holds another one. A takes a new identity and sends Alpha again.
 */
static void
test_copied_database_restored_server (Fixture *f, gconstpointer data)
{
  Device               *a = &f->devices[0], *b = &f->devices[1], *c = &f->devices[2];
  Device               *ab[] = { a, b };
  Device               *all[] = { a, b, c };
  g_autofree char      *url = fixture_url (f);
  g_autofree char      *data_dir = server_data (f->server);
  g_autofree char      *copy = g_build_filename (dft_test_server_get_dir (f->server), "copy", NULL);
  g_autofree char      *cursor = NULL;
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) event = NULL;
  DftSyncStats          stats;

  device_open (a, url);
  login (a, TRAINER, PASSWORD_TRAINER);
  event = add_workshop (a->store, 3, 1, NULL);
  device_sync (a);
  device_open_in (b, url, copy_database (a->store));

  dft_test_server_stop (f->server);
  copy_folder (data_dir, copy);
  dft_test_server_start (f->server);
  follow_server (f->server, ab, G_N_ELEMENTS (ab));

  /* A's push goes through; the pull after it is cut, so A's cursor stays where it was. */
  cursor = dft_store_get_sync_state (a->store, "pull_cursor", &error);
  g_assert_no_error (error);
  add_participant (a->store, event, "Alpha");
  stats = device_sync (a);
  g_assert_cmpuint (stats.pushed, ==, 2);
  g_assert_true (dft_store_set_sync_state (a->store, "pull_cursor", cursor, &error));
  g_assert_no_error (error);

  dft_test_server_stop (f->server);
  copy_folder (copy, data_dir);
  dft_test_server_start (f->server);
  follow_server (f->server, ab, G_N_ELEMENTS (ab));

  add_participant (b->store, event, "Beta");
  stats = device_sync (b);
  g_assert_cmpuint (stats.pushed, ==, 2);
  g_assert_false (stats.new_identity);

  /* With another change of its own, A's sync pushes it before it pulls: the push must find
   * the fork too, or its mark moves past Alpha's number and Alpha is lost for good (convergence
   * seed 2367731538). */
  if (GPOINTER_TO_INT (data))
    add_participant (a->store, event, "Gamma");
  stats = device_sync (a);
  g_test_message ("A after the restore: %u restarts, %u pushed, new identity %d", stats.restarts,
                  stats.pushed, stats.new_identity);
  g_assert_true (stats.new_identity);
  g_assert_cmpstr (dft_store_get_device_id (a->store), !=, dft_store_get_device_id (b->store));

  assert_all_hold (c, dft_test_server_get_url (f->server), all, G_N_ELEMENTS (all),
                   GPOINTER_TO_INT (data) ? (const char *[]){ "Alpha", "Beta", "Gamma", NULL }
                                          : (const char *[]){ "Alpha", "Beta", NULL });
}

typedef struct
{
  DftTestServer *server;
  char          *folder;
  gint           done;
} Backup;

static gpointer
backup_thread (gpointer data)
{
  Backup *backup = data;

  g_free (dft_test_server_admin (backup->server, NULL, "backup", backup->folder, NULL));
  g_atomic_int_set (&backup->done, 1);
  return NULL;
}

/*
 * "admin backup" while the server serves and a device pushes thousands of
 * changes in small batches through a slow link; the device then adds Alpha. Put back, the copy
 * is sound, the server starts a new epoch by itself, and the device sends
 * what the copy lacks: a fresh device gets everything, once.
 */
static void
test_backup_while_serving (Fixture *f, gconstpointer data)
{
  Device               *a = &f->devices[0], *c = &f->devices[1];
  Device               *all[] = { a, c };
  g_autofree char      *data_dir = server_data (f->server);
  g_autofree char      *url = fixture_url (f);
  g_autofree char      *slow = NULL;
  g_autoptr (DftRecord) event = NULL;
  g_autoptr (GError)    error = NULL;
  Backup                backup
      = { f->server, g_build_filename (dft_test_server_get_dir (f->server), "backup", NULL) };
  GThread     *thread;
  Wait         wait = { 0 };
  gint64       acked;
  DftSyncStats stats;

  device_open (a, url);
  login (a, COORDINATOR, PASSWORD_COORDINATOR);
  event = add_workshop (a->store, 300, 4, NULL);
  /* 16 KB/s: the push takes seconds, and the backup runs in the middle of it. */
  f->proxy = dft_fault_proxy_new (dft_test_server_get_port (f->server), &error);
  g_assert_no_error (error);
  dft_fault_proxy_set_rate (f->proxy, 16000, 16000);
  slow = server_url (dft_fault_proxy_get_port (f->proxy));
  g_object_set (a->client, "batch-bytes", 4096, "server-url", slow, NULL);

  start_sync_until_first_ack (a, &wait);
  thread = g_thread_new ("backup", backup_thread, &backup);
  while (!g_atomic_int_get (&backup.done))
    g_main_context_iteration (NULL, TRUE);
  acked = state_int (a->store, "push_acked_seq");
  g_test_message ("backed up while %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
                  " changes were acknowledged",
                  acked, dft_test_own_changes (a->store));
  g_assert_false (wait.done);
  g_thread_join (thread);
  wait_done (&wait);
  g_assert_no_error (wait.error);
  add_participant (a->store, event, "Alpha");
  device_sync (a);

  dft_test_server_stop (f->server);
  {
    g_autofree char *path = g_build_filename (backup.folder, "records.db", NULL);
    sqlite3         *db = NULL;

    g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
    assert_integrity (db);
    sqlite3_close (db);
  }
  copy_folder (backup.folder, data_dir);
  g_free (backup.folder);
  dft_test_server_start (f->server);
  g_assert_true (server_log_has (f->server, "restored from a backup"));
  follow_server (f->server, all, 1);
  stats = device_sync (a);
  g_assert_cmpuint (stats.restarts, >=, 1);

  assert_all_hold (c, dft_test_server_get_url (f->server), all, G_N_ELEMENTS (all),
                   (const char *[]){ "Alpha", NULL });
  dft_test_server_stop (f->server);
  assert_server_log_exact (f->server, all, G_N_ELEMENTS (all));
}

/*
 * Issue 12, case 6: a workshop moved to another team with "admin
 * move-event" reaches that team's existing devices at their next sync, not
 * only devices signed in afterwards.
 */
static void
test_moved_workshop (Fixture *f, gconstpointer data)
{
  Device               *a = &f->devices[0], *s = &f->devices[1];
  g_autofree char      *url = fixture_url (f);
  g_autoptr (DftRecord) event = NULL;
  DftSyncStats          stats;

  dft_test_server_add_account (f->server, "south", "trainer", "South", "south password 1");
  device_open (a, url);
  device_open (s, url);
  login (a, TRAINER, PASSWORD_TRAINER);
  login (s, "south", "south password 1");
  event = add_workshop (a->store, 4, 2, NULL);
  device_sync (a);
  stats = device_sync (s);
  g_assert_cmpuint (stats.received, ==, 0);

  g_free (dft_test_server_admin (f->server, NULL, "move-event", dft_record_get_id (event), "South",
                                 NULL));
  stats = device_sync (s);
  g_test_message ("the South device received %u changes", stats.received);
  dft_test_assert_same_records (a->store, s->store);
  /* And once only. */
  stats = device_sync (s);
  g_assert_cmpuint (stats.received, ==, 0);
}

/* ---- Issue 13: USB bundles ---- */

static gint64
people_named (DftStore *store, const char *given)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) found = dft_store_find_people (store, given, 0, &error);

  g_assert_no_error (error);
  return found->len;
}

static gint64
forms_held (DftStore *store)
{
  sqlite3_stmt *stmt = NULL;
  gint64        n;

  g_assert_cmpint (
      sqlite3_prepare_v2 (_dft_store_get_db (store), "SELECT count (*) FROM form", -1, &stmt, NULL),
      ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return n;
}

/* Runs "admin import-bundle FILE", with @passphrase on standard input; its exit status. */
static int
import_on_server (Fixture *f, GFile *file, const char *passphrase, char **out)
{
  g_autofree char *path = g_file_get_path (file);
  g_autofree char *input = passphrase != NULL ? g_strdup_printf ("%s\n", passphrase) : NULL;

  return dft_test_server_admin_status (f->server, input, out, "import-bundle", path, NULL);
}

/*
 * A trainer's laptop with no link writes its changes to a USB stick, sealed
 * for the server; an admin imports the stick on the server while it serves,
 * and the coordinator receives the changes at the next sync. A forged
 * bundle (an unenrolled key, a clock at 2^63-1, a new form), a changed byte,
 * a wrong passphrase and a revoked device's bundle are refused, and change
 * nothing. A passphrase bundle goes from one laptop to another.
 */
static void
test_bundle_to_server (Fixture *f, gconstpointer data)
{
  Device               *trainer = &f->devices[0], *coordinator = &f->devices[1];
  Device               *forger = &f->devices[2];
  g_autofree char      *url = fixture_url (f);
  g_autofree char      *dir = dft_test_make_dir ();
  g_autofree char      *path = g_build_filename (dir, "to-the-office.daftari", NULL);
  g_autoptr (GFile)     file = g_file_new_for_path (path);
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) event = NULL;
  g_autofree char      *out = NULL;
  g_autofree char      *passphrase = dft_bundle_new_passphrase ();
  g_autoptr (GBytes)    good = NULL;
  DftApplyStats         stats = { 0 };
  guint                 n = 0;
  gint64                started;

  device_open (trainer, url);
  login (trainer, TRAINER, PASSWORD_TRAINER);
  device_open (coordinator, url);
  login (coordinator, COORDINATOR, PASSWORD_COORDINATOR);
  device_sync (coordinator);

  /* Offline: a workshop of 40 and one more person, to the USB stick. */
  event = add_workshop (trainer->store, 40, 4, NULL);
  add_participant (trainer->store, event, "Zawadi");
  g_assert_true (dft_bundle_export (trainer->store, file, 0, NULL, &n, NULL, &error));
  g_assert_no_error (error);
  good = g_file_load_bytes (file, NULL, NULL, &error);
  g_test_message ("bundle of %u changes: %" G_GSIZE_FORMAT " bytes", n, g_bytes_get_size (good));

  /* A forger's laptop: the server's public key (anyone can have it), a key of its own, a new
   * form with a clock at 2^63-1 in the trainer's name. */
  device_open (forger, url);
  {
    g_autoptr (GPtrArray) rogue = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
    g_autoptr (JsonObject) fields = json_object_new ();
    g_autofree char       *key
        = dft_store_get_sync_state (trainer->store, DFT_BUNDLE_STATE_SERVER_KEY, NULL);
    g_autofree char  *epoch = dft_store_get_sync_state (trainer->store, "epoch", NULL);
    g_autofree char  *forged = g_build_filename (dir, "forged.daftari", NULL);
    g_autoptr (GFile) forged_file = g_file_new_for_path (forged);
    DftChange        *c;

    json_object_set_string_member (fields, "form_key", "rogue");
    json_object_set_int_member (fields, "version", 1);
    json_object_set_string_member (fields, "title", "Rogue form");
    json_object_set_string_member (fields, "definition", "{}");
    c = dft_change_new ("form", "01900000-0000-7000-8000-0000000000aa", fields);
    c->device_id = g_strdup (dft_store_get_device_id (trainer->store));
    c->origin_seq = 999;
    c->hlc = G_MAXINT64;
    g_ptr_array_add (rogue, c);
    g_assert_true (dft_store_apply_changes (forger->store, rogue, &stats, &error));
    g_assert_nonnull (key);
    g_assert_true (
        dft_store_set_sync_state (forger->store, DFT_BUNDLE_STATE_SERVER_KEY, key, &error));
    g_assert_true (dft_bundle_export (forger->store, forged_file, 0, NULL, NULL, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpint (import_on_server (f, forged_file, NULL, NULL), ==, 1);
    /* In the trainer's name, signed with the forger's key. */
    g_assert_true (dft_store_take_identity (forger->store, dft_store_get_device_id (trainer->store),
                                            0, NULL, &error));
    g_assert_true (dft_bundle_export (forger->store, forged_file, 0, NULL, NULL, NULL, &error));
    g_assert_cmpint (import_on_server (f, forged_file, NULL, NULL), ==, 1);
  }
  /* One byte changed in the middle. */
  {
    gsize              size = g_bytes_get_size (good);
    g_autofree guint8 *bad = g_memdup2 (g_bytes_get_data (good, NULL), size);

    bad[size / 2] ^= 0x04;
    g_assert_true (g_file_replace_contents (file, (const char *) bad, size, NULL, FALSE, 0, NULL,
                                            NULL, &error));
    g_assert_cmpint (import_on_server (f, file, NULL, NULL), ==, 1);
  }
  device_sync (coordinator);
  g_assert_cmpint (people_named (coordinator->store, "Zawadi"), ==, 0);
  g_assert_cmpint (forms_held (coordinator->store), ==, 0);

  /* The file as the trainer made it. */
  g_assert_true (g_file_replace_contents (file, g_bytes_get_data (good, NULL),
                                          g_bytes_get_size (good), NULL, FALSE, 0, NULL, NULL,
                                          &error));
  started = g_get_monotonic_time ();
  g_assert_cmpint (import_on_server (f, file, NULL, &out), ==, 0);
  g_test_message ("imported on the server in %" G_GINT64_FORMAT " ms: %s",
                  (g_get_monotonic_time () - started) / 1000, out);
  {
    g_autofree char *expected = g_strdup_printf ("%u changes applied", n);
    g_assert_nonnull (strstr (out, dft_store_get_device_id (trainer->store)));
    g_assert_nonnull (strstr (out, expected));
  }
  device_sync (coordinator);
  g_assert_cmpint (people_named (coordinator->store, "Zawadi"), ==, 1);
  dft_test_assert_same_records (trainer->store, coordinator->store);
  /* The trainer's own sync later finds the server holding its changes. */
  device_sync (trainer);

  /* Laptop to laptop with a passphrase: the coordinator's laptop knows the trainer's key from
   * the server. */
  add_participant (trainer->store, event, "Baraka");
  g_assert_true (dft_bundle_export (trainer->store, file, 0, passphrase, NULL, NULL, &error));
  g_assert_false (
      dft_bundle_import (coordinator->store, file, "WRONG-PASSPHRASE", &stats, NULL, &error));
  g_assert_error (error, DFT_BUNDLE_ERROR, DFT_BUNDLE_ERROR_WRONG_PASSPHRASE);
  g_clear_error (&error);
  g_assert_true (dft_bundle_import (coordinator->store, file, passphrase, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (people_named (coordinator->store, "Baraka"), ==, 1);
  /* And to the server with the passphrase on standard input. */
  g_assert_cmpint (import_on_server (f, file, "WRONG-PASSPHRASE", NULL), ==, 1);
  g_assert_cmpint (import_on_server (f, file, passphrase, NULL), ==, 0);

  /* A revoked device's bundles are refused. */
  g_free (dft_test_server_admin (f->server, NULL, "revoke-device",
                                 dft_store_get_device_id (trainer->store), NULL));
  add_participant (trainer->store, event, "Revoked");
  g_assert_true (dft_bundle_export (trainer->store, file, 0, NULL, NULL, NULL, &error));
  g_assert_cmpint (import_on_server (f, file, NULL, NULL), ==, 1);
  device_sync (coordinator);
  g_assert_cmpint (people_named (coordinator->store, "Revoked"), ==, 0);
  g_assert_cmpint (forms_held (coordinator->store), ==, 0);
  dft_test_dir_free (g_steal_pointer (&dir));
}

/*
 * Issue 14, defect 6: two trainers mark the same person present and absent,
 * offline; A syncs, then B. With the data TRUE, B's mark is the later one and
 * wins; else A's does. Whichever wins, the sync that finds the disagreement
 * says one conflict kept, the other device's next sync says so too, a later
 * round says nothing new, and both count one conflict left to decide (what the
 * status bar and the command line show).
 */
static void
test_conflict_counted (Fixture *f, gconstpointer data)
{
  gboolean              b_later = GPOINTER_TO_INT (data);
  Device               *a = &f->devices[0], *b = &f->devices[1];
  g_autofree char      *url = fixture_url (f);
  g_autoptr (GPtrArray) people = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (DftRecord) event = NULL;
  g_autoptr (DftRecord) held = NULL;
  g_autoptr (GError)    error = NULL;
  g_autofree char      *session = NULL;
  g_autofree char      *mark_id = NULL;
  const char           *x;

  device_open (a, url);
  device_open (b, url);
  login (a, TRAINER, PASSWORD_TRAINER);
  enrol (b, f->code);
  event = add_workshop (a->store, 3, 1, people);
  device_sync (a);
  device_sync (b);
  g_assert_cmpint (dft_store_count_open_conflicts (a->store, &error), ==, 0);
  g_assert_no_error (error);

  /* The afternoon, which nobody has marked yet. */
  x = g_ptr_array_index (people, 0);
  session = dft_session_id_for (dft_record_get_id (event), "2025-03-03", "pm");
  mark_id = dft_attendance_id_for (session, x);
  mark (b_later ? a->store : b->store, session, x, b_later ? "present" : "absent");
  dft_test_wait_next_millisecond ();
  mark (b_later ? b->store : a->store, session, x, b_later ? "absent" : "present");

  g_assert_cmpuint (device_sync (a).conflicts, ==, 0);
  g_assert_cmpuint (device_sync (b).conflicts, ==, 1);
  g_assert_cmpint (dft_store_count_open_conflicts (b->store, &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpuint (device_sync (a).conflicts, ==, 1);
  g_assert_cmpint (dft_store_count_open_conflicts (a->store, &error), ==, 1);
  /* Nothing new on another round: the same conflict is not counted again. */
  g_assert_cmpuint (device_sync (b).conflicts, ==, 0);
  g_assert_cmpuint (device_sync (a).conflicts, ==, 0);
  g_assert_cmpint (dft_store_count_open_conflicts (a->store, &error), ==, 1);
  g_assert_cmpint (dft_store_count_open_conflicts (b->store, &error), ==, 1);
  held = dft_store_load (a->store, &dft_entity_attendance, mark_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dft_record_get_string (held, "status"), ==, b_later ? "absent" : "present");

  /* What "daftari-cli info" tells the trainer on either laptop. */
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *db = g_build_filename (f->devices[i].dir, "daftari.db", NULL);
      const char      *argv[] = { g_getenv ("DAFTARI_CLI"), "--db", db, "info", NULL };
      g_autofree char *out = NULL;
      int              status = 0;

      g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                                   NULL, &out, NULL, &status, &error));
      g_assert_no_error (error);
      g_assert_true (g_spawn_check_wait_status (status, NULL));
      g_assert_nonnull (strstr (out, "Conflicts to decide: 1\n"));
    }
}

/* daftari-cli on @db with the arguments after it; its output in *out, its exit code back. */
static int
cli (const char *db, char **out, char **err, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError)    error = NULL;
  int                   status = 0;
  va_list               ap;
  const char           *arg;

  g_ptr_array_add (argv, (gpointer) g_getenv ("DAFTARI_CLI"));
  g_ptr_array_add (argv, (gpointer) "--db");
  g_ptr_array_add (argv, (gpointer) db);
  va_start (ap, err);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out,
                               err, &status, &error));
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

/* Runs "daftari-cli info" on @db: the count of changes it has not sent. */
static gint64
cli_unsent (const char *db)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char      *line;

  g_assert_cmpint (cli (db, &out, &err, "info", NULL), ==, 0);
  line = strstr (out, "Changes not yet synced: ");
  g_assert_nonnull (line);
  return g_ascii_strtoll (line + strlen ("Changes not yet synced: "), NULL, 10);
}

/*
 * Issue 19: "daftari-cli sync --push-only" sends and receives nothing, "--pull-only" receives
 * and sends nothing, both together is a usage error; against the real server.
 */
static void
test_cli_push_pull_only (Fixture *f, gconstpointer data)
{
  g_autofree char   *dir = dft_test_make_dir ();
  g_autofree char   *db_a = g_build_filename (dir, "a.db", NULL);
  g_autofree char   *db_b = g_build_filename (dir, "b.db", NULL);
  g_autofree char   *password = g_build_filename (dir, "password", NULL);
  g_autofree char   *url = fixture_url (f);
  g_autoptr (GError) error = NULL;
  const char        *dbs[] = { db_a, db_b };

  g_assert_true (g_file_set_contents (password, PASSWORD_TRAINER, -1, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (dbs); i++)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      g_autofree char *given = g_strdup_printf ("Person%c", 'A' + i);

      g_assert_cmpint (cli (dbs[i], &out, &err, "login", "--server", url, "--username", TRAINER,
                            "--password-file", password, NULL),
                       ==, 0);
      g_clear_pointer (&out, g_free);
      g_clear_pointer (&err, g_free);
      g_assert_cmpint (
          cli (dbs[i], &out, &err, "person-add", "--given", given, "--family", "Cli", NULL), ==, 0);
      g_assert_cmpint (cli_unsent (dbs[i]), >, 0);
    }

  /* Both together: a usage error that says why, and nothing sent. */
  {
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    g_assert_cmpint (cli (db_a, &out, &err, "sync", "--push-only", "--pull-only", NULL), ==, 2);
    g_assert_nonnull (strstr (err, "cannot go together"));
    g_assert_cmpint (cli_unsent (db_a), >, 0);
  }
  /* And --help names them. */
  {
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    g_assert_cmpint (cli (db_a, &out, &err, "sync", "--help", NULL), ==, 0);
    g_assert_nonnull (strstr (out, "--push-only"));
    g_assert_nonnull (strstr (out, "--pull-only"));
  }

  /* B sends only, so that the server holds a change A has not seen. */
  {
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    g_assert_cmpint (cli (db_b, &out, &err, "sync", "--push-only", NULL), ==, 0);
    g_test_message ("B --push-only: %s", out);
    g_assert_nonnull (strstr (out, "nothing received"));
    g_assert_cmpint (cli_unsent (db_b), ==, 0);
  }
  {
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *list = NULL;

    /* A pushes only: B's person, on the server now, does not come. */
    g_assert_cmpint (cli (db_a, &out, &err, "sync", "--push-only", NULL), ==, 0);
    g_test_message ("A --push-only: %s", out);
    g_assert_cmpint (cli_unsent (db_a), ==, 0);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (cli (db_a, &list, &err, "list", "people", NULL), ==, 0);
    g_assert_nonnull (strstr (list, "PersonA"));
    g_assert_null (strstr (list, "PersonB"));
  }
  {
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *list = NULL;

    /* A makes another change, then pulls only: B's person comes, A's change stays here. */
    g_assert_cmpint (
        cli (db_a, &out, &err, "person-add", "--given", "LaterA", "--family", "Cli", NULL), ==, 0);
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (cli (db_a, &out, &err, "sync", "--pull-only", NULL), ==, 0);
    g_test_message ("A --pull-only: %s", out);
    g_assert_nonnull (strstr (out, "nothing sent"));
    g_assert_cmpint (cli_unsent (db_a), >, 0);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (cli (db_a, &list, &err, "list", "people", NULL), ==, 0);
    g_assert_nonnull (strstr (list, "PersonB"));
  }
  {
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *list = NULL;

    /* B pulls only: PersonA comes, LaterA (never sent) does not. A whole sync sends it. */
    g_assert_cmpint (cli (db_b, &out, &err, "sync", "--pull-only", NULL), ==, 0);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (cli (db_b, &list, &err, "list", "people", NULL), ==, 0);
    g_assert_nonnull (strstr (list, "PersonA"));
    g_assert_null (strstr (list, "LaterA"));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (cli (db_a, &out, &err, "sync", NULL), ==, 0);
    g_assert_cmpint (cli_unsent (db_a), ==, 0);
  }
}

/* ---- Issue 20: tombstones purged by the horizon rule ---- */

/* What "admin purge" (with --dry-run when @dry_run) says it removed of @entity. */
static guint
purge_count (DftTestServer *server, gboolean dry_run, const char *entity)
{
  g_autofree char *out = dry_run ? dft_test_server_admin (server, NULL, "purge", "--dry-run", NULL)
                                 : dft_test_server_admin (server, NULL, "purge", NULL);
  g_autofree char *prefix = g_strdup_printf ("%s\t", entity);
  g_auto (GStrv)   lines = g_strsplit (out, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], prefix))
      return (guint) g_ascii_strtoull (lines[i] + strlen (prefix), NULL, 10);
  g_error ("purge printed no count of %s: %s", entity, out);
}

/* Syncs @device twice: the first pull moves its cursor past what it holds, the second tells
 * the server so. */
static void
sync_past (Device *device)
{
  device_sync (device);
  device_sync (device);
}

static gint64
server_count (DftTestServer *server, const char *sql, const char *param)
{
  sqlite3 *db = server_records (server);
  gint64   n = query_int (db, sql, param);

  sqlite3_close (db);
  return n;
}

/* GET /api/v1/metrics of the running server, the whole reply. */
static char *
server_metrics (DftTestServer *server)
{
  g_autoptr (GSocketClient)     client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GError)            error = NULL;
  g_autoptr (GByteArray)        reply = g_byte_array_new ();
  const char                   *request = "GET /api/v1/metrics HTTP/1.0\r\n\r\n";
  guint8                        buffer[4096];
  gssize                        n;

  connection = g_socket_client_connect_to_host (client, "127.0.0.1",
                                                dft_test_server_get_port (server), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (
      g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), request,
                                 strlen (request), NULL, NULL, &error));
  g_assert_no_error (error);
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)), buffer,
                                   sizeof buffer, NULL, &error))
         > 0)
    g_byte_array_append (reply, buffer, (guint) n);
  g_assert_no_error (error);
  g_byte_array_append (reply, (const guint8 *) "", 1);
  return g_strdup ((const char *) reply->data);
}

static gboolean
purge_logged_cb (gpointer data)
{
  return server_log_has (
      data, "purged 1 deleted people, 1 enrollments, 1 attendance marks and 0 conflicts");
}

/*
 * A deletes a person; the purge waits for every enrolled device (X, which never synced,
 * included) but not for a revoked one (R) or one whose token expired (C); then it removes the
 * person with their enrollment and mark, and reports it. C, which held the person alive and
 * edited them offline, signs in again later: it lets the person go, its edit is set aside on
 * the server instead of bringing them back, and its own new person reaches the server. The
 * conflict A and C made about the person goes with them, on the server and on C, and the
 * change set aside keeps its row but not what it wrote. With @data, C's cursor was put back to
 * 0 (a restored laptop): no page names the person then, and C asks about those it holds.
 */
static void
test_purge (Fixture *f, gconstpointer data)
{
  gboolean              from_zero = GPOINTER_TO_INT (data);
  g_autoptr (GPtrArray) conflicts = NULL;
  Device               *a = &f->devices[0], *b = &f->devices[1], *c = &f->devices[2];
  Device               *x = &f->devices[3];
  Device                revoked = { 0 }, *r = &revoked;
  Device               *all[] = { a, b, c, x, r };
  g_autofree char      *url = fixture_url (f);
  g_autoptr (GPtrArray) people = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (DftRecord) event = NULL;
  g_autoptr (DftRecord) held = NULL;
  g_autoptr (DftRecord) fresh = NULL;
  g_autoptr (GError)    error = NULL;
  const char           *p;
  DftSyncStats          stats;

  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    {
      device_open (all[i], url);
      login (all[i], COORDINATOR, PASSWORD_COORDINATOR);
    }

  /* Two people, each enrolled and marked present; C and R pull them alive. */
  event = add_workshop (a->store, 2, 1, people);
  p = g_ptr_array_index (people, 0);
  device_sync (a);
  device_sync (c);
  device_sync (r);
  held = dft_store_load (c->store, &dft_entity_person, p, NULL);
  g_assert_nonnull (held);
  /* A and C give the person two different names: a conflict keeps the one that lost. */
  set_field (a->store, &dft_entity_person, p, "family_name", "NameFromA");
  set_field (c->store, &dft_entity_person, p, "family_name", "NameFromC");
  device_sync (a);
  device_sync (c);
  device_sync (a);
  conflicts = dft_test_conflicts_about (c->store, p, "family_name");
  g_assert_cmpuint (conflicts->len, ==, 1);
  g_clear_pointer (&conflicts, g_ptr_array_unref);

  dft_test_delete (a->store, &dft_entity_person, p);
  sync_past (a);
  sync_past (b);

  /* C, R and X have not pulled the delete (X never pulled at all): nothing goes. */
  dft_test_server_stop (f->server);
  g_assert_cmpuint (purge_count (f->server, TRUE, "person"), ==, 0);
  g_assert_cmpuint (purge_count (f->server, FALSE, "person"), ==, 0);
  /* R is revoked and C's token expired: they no longer hold anything back; X still does. */
  g_free (dft_test_server_admin (f->server, NULL, "revoke-device",
                                 dft_store_get_device_id (r->store), NULL));
  dft_test_server_expire_token (f->server, dft_store_get_device_id (c->store));
  g_assert_cmpuint (purge_count (f->server, TRUE, "person"), ==, 0);

  dft_test_server_start (f->server);
  follow_server (f->server, all, G_N_ELEMENTS (all));
  sync_past (x);
  dft_test_server_stop (f->server);
  g_assert_cmpuint (purge_count (f->server, TRUE, "person"), ==, 1);
  /* Still there after a dry run; gone with its enrollment and mark after the purge. */
  g_assert_cmpint (server_count (f->server, "SELECT count (*) FROM person WHERE id = ?", p), ==, 1);
  g_assert_cmpint (
      server_count (f->server, "SELECT count (*) FROM conflict WHERE record_id = ?", p), ==, 1);
  {
    g_autofree char *out = dft_test_server_admin (f->server, NULL, "purge", NULL);

    g_assert_nonnull (strstr (out, "person\t1\n"));
    g_assert_nonnull (strstr (out, "enrollment\t1\n"));
    g_assert_nonnull (strstr (out, "attendance\t1\n"));
    g_assert_nonnull (strstr (out, "conflict\t1\n"));
  }
  g_assert_cmpint (
      server_count (f->server, "SELECT count (*) FROM conflict WHERE record_id = ?", p), ==, 0);
  g_assert_cmpint (
      server_count (f->server,
                    "SELECT count (*) FROM change_log WHERE entity = 'conflict'"
                    " AND record_id NOT IN (SELECT id FROM conflict) AND ? IS NOT NULL",
                    p),
      ==, 0);
  g_assert_cmpint (server_count (f->server, "SELECT count (*) FROM person WHERE id = ?", p), ==, 0);
  g_assert_cmpint (
      server_count (f->server, "SELECT count (*) FROM enrollment WHERE person_id = ?", p), ==, 0);
  g_assert_cmpint (
      server_count (f->server, "SELECT count (*) FROM attendance WHERE person_id = ?", p), ==, 0);
  g_assert_cmpint (
      server_count (f->server, "SELECT count (*) FROM change_log WHERE record_id = ?", p), ==, 0);
  g_assert_cmpint (
      server_count (f->server, "SELECT count (*) FROM field_version WHERE record_id = ?", p), ==,
      0);
  g_assert_cmpint (server_count (f->server, "SELECT count (*) FROM purged WHERE record_id = ?", p),
                   ==, 1);
  /* The other person is untouched, and nothing more goes. */
  g_assert_cmpint (server_count (f->server, "SELECT count (*) FROM person WHERE id = ?",
                                 g_ptr_array_index (people, 1)),
                   ==, 1);
  g_assert_cmpuint (purge_count (f->server, FALSE, "person"), ==, 0);
  dft_test_server_start (f->server);
  follow_server (f->server, all, G_N_ELEMENTS (all));

  /* A and B, which had the delete, sync on as before: nothing to send again, nothing lost.
   * A's pulls skip its own changes, so its cursor lies before its own delete: it is told of
   * the person too, once, and lets its tombstone go. */
  stats = device_sync (a);
  g_assert_cmpuint (stats.pushed, ==, 0);
  g_assert_cmpuint (stats.forgotten, ==, 1);
  g_assert_cmpuint (device_sync (a).forgotten, ==, 0);
  /* B pulled A's delete before the purge, so no page names the person; but its deleted row
   * still holds their name and the rest: it asks about the deleted people it holds, once after
   * a purge, and lets the row go. */
  g_assert_cmpint (query_int (_dft_store_get_db (b->store),
                              "SELECT count (*) FROM person WHERE id = ? AND deleted = 1", p),
                   ==, 1);
  g_assert_cmpuint (device_sync (b).forgotten, ==, 1);
  g_assert_cmpint (
      query_int (_dft_store_get_db (b->store), "SELECT count (*) FROM person WHERE id = ?", p), ==,
      0);
  g_assert_cmpuint (device_sync (b).forgotten, ==, 0);

  /* C, offline all along, edited the person and added one of its own; it signs in again. */
  set_field (c->store, &dft_entity_person, p, "family_name", "Edited offline");
  fresh = dft_test_add_person (c->store, "Fresh", "Offline");
  /* In the field the server keeps its address; here each start takes a new port, which a
   * sign-in would take for another server (and pull everything from 0). */
  g_assert_true (dft_store_set_sync_state (c->store, "server_url",
                                           dft_test_server_get_url (f->server), &error));
  g_assert_no_error (error);
  login (c, COORDINATOR, PASSWORD_COORDINATOR);
  /* A laptop put back from a copy pulls from 0: no page names the person. */
  if (from_zero)
    {
      g_assert_true (dft_store_set_sync_state (c->store, "pull_cursor", "0", &error));
      g_assert_no_error (error);
    }
  stats = device_sync (c);
  g_assert_cmpuint (stats.forgotten, ==, 1);
  g_assert_cmpuint (stats.set_aside, ==, 1);
  g_clear_object (&held);
  held = dft_store_load (c->store, &dft_entity_person, p, NULL);
  g_assert_null (held);
  conflicts = dft_test_conflicts_about (c->store, p, "family_name");
  g_assert_cmpuint (conflicts->len, ==, 0);
  g_clear_pointer (&conflicts, g_ptr_array_unref);
  {
    const char           *params[] = { p, NULL };
    g_autoptr (GPtrArray) rows = _dft_store_query (c->store, &dft_entity_enrollment,
                                                   "person_id = ?", params, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (rows->len, ==, 0);
  }
  /* Nothing brings it back: syncing on, C's own person reaches A and nothing of P moves. */
  sync_past (c);
  sync_past (a);
  held = dft_store_load (c->store, &dft_entity_person, p, NULL);
  g_assert_null (held);
  assert_has_person (a->store, "Fresh");
  assert_has_person (c->store, "Participant1");

  dft_test_server_stop (f->server);
  g_assert_cmpint (server_count (f->server, "SELECT count (*) FROM person WHERE id = ?", p), ==, 0);
  g_assert_cmpint (
      server_count (f->server, "SELECT count (*) FROM set_aside WHERE record_id = ?", p), ==, 1);
  /* C's edit, set aside, still says what it wrote; the purge keeps the row without it. */
  g_assert_cmpint (server_count (f->server,
                                 "SELECT count (*) FROM set_aside WHERE record_id = ?"
                                 " AND change LIKE '%Edited offline%'",
                                 p),
                   ==, 1);
  g_assert_cmpuint (purge_count (f->server, TRUE, "set_aside"), ==, 1);
  g_assert_cmpuint (purge_count (f->server, FALSE, "set_aside"), ==, 1);
  g_assert_cmpint (server_count (f->server,
                                 "SELECT count (*) FROM set_aside WHERE record_id = ?"
                                 " AND change IS NULL",
                                 p),
                   ==, 1);
  g_assert_cmpuint (purge_count (f->server, TRUE, "set_aside"), ==, 0);
  g_assert_cmpint (server_count (f->server, "SELECT count (*) FROM person WHERE id = ?",
                                 dft_record_get_id (fresh)),
                   ==, 1);

  /* The running server purges by itself, at start, and counts what it removed. */
  dft_test_server_start (f->server);
  follow_server (f->server, all, G_N_ELEMENTS (all));
  dft_test_delete (a->store, &dft_entity_person, g_ptr_array_index (people, 1));
  sync_past (a);
  sync_past (b);
  sync_past (c);
  sync_past (x);
  dft_test_server_stop (f->server);
  dft_test_server_start (f->server);
  dft_test_wait_until (purge_logged_cb, f->server, "the purge at start");
  {
    g_autofree char *metrics = server_metrics (f->server);

    g_assert_nonnull (strstr (metrics, "\ndaftari_purged_records_total 3\n"));
  }
  device_close (r);
}

/*
 * A device that missed the delete of three people is told to let them go one a page when the
 * server names one a reply (DAFTARI_SERVER_TEST_RESYNC_MAX): three pages at least, and the
 * cursor skips nothing (the person added after the deletes arrives).
 */
static void
test_purge_resync_bounded (Fixture *f, gconstpointer data)
{
  Device               *a = &f->devices[0], *c = &f->devices[2];
  Device               *all[] = { a, c };
  g_autofree char      *url = fixture_url (f);
  g_autoptr (GPtrArray) people = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (DftRecord) event = NULL;
  g_autoptr (DftRecord) later = NULL;
  g_autoptr (GError)    error = NULL;
  DftSyncStats          stats;

  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    {
      device_open (all[i], url);
      login (all[i], COORDINATOR, PASSWORD_COORDINATOR);
    }
  event = add_workshop (a->store, 4, 1, people);
  device_sync (a);
  device_sync (c);
  for (guint i = 0; i < 3; i++)
    dft_test_delete (a->store, &dft_entity_person, g_ptr_array_index (people, i));
  later = dft_test_add_person (a->store, "Later", "Added");
  sync_past (a);

  dft_test_server_stop (f->server);
  dft_test_server_expire_token (f->server, dft_store_get_device_id (c->store));
  g_assert_cmpuint (purge_count (f->server, FALSE, "person"), ==, 3);
  g_setenv ("DAFTARI_SERVER_TEST_RESYNC_MAX", "1", TRUE);
  dft_test_server_start (f->server);
  /* Empty: the servers the next tests start name as many as the protocol lets them. */
  g_setenv ("DAFTARI_SERVER_TEST_RESYNC_MAX", "", TRUE);
  follow_server (f->server, all, G_N_ELEMENTS (all));

  g_assert_true (dft_store_set_sync_state (c->store, "server_url",
                                           dft_test_server_get_url (f->server), &error));
  g_assert_no_error (error);
  login (c, COORDINATOR, PASSWORD_COORDINATOR);
  stats = device_sync (c);
  g_test_message ("%u requests, %u forgotten", stats.requests, stats.forgotten);
  g_assert_cmpuint (stats.forgotten, ==, 3);
  g_assert_cmpuint (stats.requests, >=, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (DftRecord) gone
          = dft_store_load (c->store, &dft_entity_person, g_ptr_array_index (people, i), NULL);

      g_assert_null (gone);
    }
  assert_has_person (c->store, "Later");
  assert_has_person (c->store, "Participant3");
}

int
main (int argc, char *argv[])
{
  /* Before any thread starts: loopback only, whatever proxy the environment names, and a
   * network monitor that says the network is there (nothing here syncs by itself anyway). */
  g_setenv ("no_proxy", "127.0.0.1,localhost", TRUE);
  g_setenv ("NO_PROXY", "127.0.0.1,localhost", TRUE);
  g_setenv ("GIO_USE_NETWORK_MONITOR", "base", TRUE);
  dft_test_init (&argc, &argv);
  main_thread = g_thread_self ();

#define ADD(path, func)                                                                            \
  g_test_add ("/e2e/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("trainer-copies-templates", test_trainer_copies_templates);
  ADD ("three-devices", test_three_devices);
  ADD ("bad-link", test_bad_link);
  ADD ("server-killed-during-push", test_server_killed_during_push);
  ADD ("revoked-device", test_revoked_device);
  ADD ("stale-save", test_stale_save);
  ADD ("wrong-date", test_wrong_date);
  ADD ("double-final", test_double_final);
  ADD ("copied-database", test_copied_database);
  ADD ("copied-database-at-start", test_copied_database_at_start);
  ADD ("refused-change-set-aside", test_refused_change_set_aside);
  ADD ("restored-laptop", test_restored_laptop);
  ADD ("restored-server", test_restored_server);
  ADD ("copied-database-restored-server", test_copied_database_restored_server);
  g_test_add ("/e2e/copied-database-restored-server/then-edits", Fixture, GINT_TO_POINTER (TRUE),
              fixture_set_up, test_copied_database_restored_server, fixture_tear_down);
  ADD ("backup-while-serving", test_backup_while_serving);
  ADD ("moved-workshop", test_moved_workshop);
  ADD ("bundle-to-server", test_bundle_to_server);
  ADD ("cli-push-pull-only", test_cli_push_pull_only);
  ADD ("purge", test_purge);
  g_test_add ("/e2e/purge/from-zero", Fixture, GINT_TO_POINTER (TRUE), fixture_set_up, test_purge,
              fixture_tear_down);
  ADD ("purge/resync-bounded", test_purge_resync_bounded);
#undef ADD
  g_test_add ("/e2e/conflict-counted/later-mark-syncs-second", Fixture, GINT_TO_POINTER (TRUE),
              fixture_set_up, test_conflict_counted, fixture_tear_down);
  g_test_add ("/e2e/conflict-counted/later-mark-syncs-first", Fixture, GINT_TO_POINTER (FALSE),
              fixture_set_up, test_conflict_counted, fixture_tear_down);
  g_test_add ("/e2e/delete-against-edit/deleter-syncs-first", Fixture, GINT_TO_POINTER (FALSE),
              fixture_set_up, test_delete_against_edit, fixture_tear_down);
  g_test_add ("/e2e/delete-against-edit/editor-syncs-first", Fixture, GINT_TO_POINTER (TRUE),
              fixture_set_up, test_delete_against_edit, fixture_tear_down);

  return g_test_run ();
}
