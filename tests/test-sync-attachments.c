/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <curl/curl.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>
#include <string.h>

#include "dft-fault-proxy.h"
#include "dft-store-attachments.h"
#include "dft-store-private.h"
#include "dft-sync-client.h"
#include "dft-test-device.h"
#include "dft-test-util.h"
#include "dft-token-store.h"

/*
 * Files attached to submissions over sync (sync/PROTOCOL.md, "Attachments"), end to end: a
 * real daftari-server process, devices with stores and sync clients. A trainer's photo reaches
 * the coordinator's laptop whole, also over a link that drops every 16 KB; it never reaches
 * another team; and the server keeps no bytes a device sends that are not what a submission
 * names.
 */

#define TEAM_A       "North"
#define TEAM_B       "South"
#define TRAINER_A    "trainer-a"
#define TRAINER_B    "trainer-b"
#define COORDINATOR  "coordinator"
#define PASSWORD     "a password for tests 1"
#define WAIT_SECONDS 120
#define PHOTO_BYTES  (300 * 1000)
#define PIECE_MAX    (1024 * 1024)

/* ---- Devices ---- */

/* How long a link may say nothing before a device gives up on it. */
#define STALL_SECONDS 10

typedef DftTestDevice Device;

static void
login (Device *device, const char *username)
{
  dft_test_device_login (device, username, PASSWORD);
}

static DftSyncStats
device_sync (Device *device)
{
  return dft_test_device_sync (device);
}

/*
 * Syncs again after a failure of the link, as a person on a bad link would, at most @max
 * times; adds up what the syncs moved.
 */
static DftSyncStats
sync_until_done (Device *device, guint max)
{
  DftSyncStats total = { 0 };

  for (guint attempt = 1; attempt <= max; attempt++)
    {
      g_autoptr (GError) error = NULL;
      DftSyncStats       stats = { 0 };
      gboolean           ok = dft_test_device_try_sync (device, &stats, &error);

      total.files_sent += stats.files_sent;
      total.files_fetched += stats.files_fetched;
      total.file_bytes_sent += stats.file_bytes_sent;
      total.file_bytes_fetched += stats.file_bytes_fetched;
      total.retries += stats.retries;
      if (ok)
        {
          g_test_message ("synced on attempt %u: %u requests, %u retries", attempt, stats.requests,
                          stats.retries);
          return total;
        }
      g_test_message ("attempt %u: %s", attempt, error->message);
      /* Only the link may fail: anything else is a bug, not bad luck. */
      g_assert_true (
          g_error_matches (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_NETWORK)
          || g_error_matches (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_TIMED_OUT));
    }
  g_error ("no complete sync in %u attempts", max);
}

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

static char *
sha256_of (GBytes *data)
{
  return g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, data);
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

/* Keeps @data as a photo on @store and saves a submission naming it; returns its hash. */
static char *
add_photo (DftStore *store, GBytes *data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *answer
      = dft_store_add_attachment (store, data, "Photo 1.jpg", "image/jpeg", &error);

  g_assert_no_error (error);
  add_submission_naming (store, answer);
  return sha256_of (data);
}

static void
assert_holds (DftStore *store, const char *sha256, GBytes *expected)
{
  g_autoptr (GError)            error = NULL;
  g_autoptr (GBytes)            held = dft_store_read_attachment (store, sha256, &error);
  g_autoptr (DftAttachmentInfo) info = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (held);
  g_assert_true (g_bytes_equal (held, expected));
  info = dft_store_get_attachment_info (store, sha256, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->media_type, ==, "image/jpeg");
  g_assert_cmpstr (info->name, ==, "Photo 1.jpg");
}

/* ---- Requests by hand, as a hostile or broken device would send them ---- */

/* @method @path (after /api/v1/) with @device's token, and @body for a PUT or POST. Every
 * reply is the server's, raw bytes included. */
static void
request (Device       *device,
         const char   *url,
         const char   *method,
         const char   *path,
         GBytes       *body,
         DftTestReply *reply)
{
  dft_test_device_request (device, url, method, path, body, reply);
  g_assert_cmpstr (dft_test_reply_header (reply, "x-daftari-server"), ==, "1");
}

/* The size a reply's X-Daftari-Size says, -1 without one. */
static gint64
reply_size (DftTestReply *reply)
{
  const char *size = dft_test_reply_header (reply, "x-daftari-size");

  return size != NULL ? g_ascii_strtoll (size, NULL, 10) : -1;
}

/* The error code of a JSON error reply. */
static char *
error_code (DftTestReply *reply)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject            *error;

  g_assert_true (json_parser_load_from_data (parser, (const char *) reply->body->data,
                                             (gssize) reply->body->len, NULL));
  error = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)),
                                         "error");
  return g_strdup (json_object_get_string_member (error, "code"));
}

/* What attachments/missing answers for @sha256: -1 when the server holds it whole. */
static gint64
ask_missing (Device *device, const char *url, const char *sha256)
{
  g_autofree char       *text = g_strdup_printf ("{\"sha256\":[\"%s\"]}", sha256);
  g_autoptr (GBytes)     body = g_bytes_new (text, strlen (text));
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_auto (DftTestReply)  reply = { 0 };
  JsonObject            *missing;

  request (device, url, "POST", "attachments/missing", body, &reply);
  g_assert_cmpint (reply.status, ==, 200);
  g_assert_true (json_parser_load_from_data (parser, (const char *) reply.body->data,
                                             (gssize) reply.body->len, NULL));
  missing = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)),
                                           "missing");
  return json_object_has_member (missing, sha256) ? json_object_get_int_member (missing, sha256)
                                                  : -1;
}

/* A PUT of @data as the piece at @start of the file @sha256 of @size bytes: its status. */
static long
put_piece (Device     *device,
           const char *url,
           const char *sha256,
           gint64      start,
           gint64      size,
           GBytes     *data,
           char      **code)
{
  g_autofree char *path = g_strdup_printf (
      "attachments/%s?start=%" G_GINT64_FORMAT "&size=%" G_GINT64_FORMAT, sha256, start, size);
  g_auto (DftTestReply) reply = { 0 };

  request (device, url, "PUT", path, data, &reply);
  if (code != NULL)
    *code = reply.status != 200 ? error_code (&reply) : NULL;
  return reply.status;
}

/* ---- The fixture: a server with two teams ---- */

typedef struct
{
  DftTestServer *server;
  DftFaultProxy *proxy;
  Device         trainer_a, coordinator, trainer_b;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->server = dft_test_server_new (NULL, NULL, DFT_TEST_SERVER_DEFAULT);
  dft_test_server_add_account (f->server, TRAINER_A, "trainer", TEAM_A, PASSWORD);
  dft_test_server_add_account (f->server, COORDINATOR, "coordinator", TEAM_A, PASSWORD);
  dft_test_server_add_account (f->server, TRAINER_B, "trainer", TEAM_B, PASSWORD);
  dft_test_server_start (f->server);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  dft_test_device_close (&f->trainer_a);
  dft_test_device_close (&f->coordinator);
  dft_test_device_close (&f->trainer_b);
  g_clear_pointer (&f->proxy, dft_fault_proxy_free);
  g_clear_pointer (&f->server, dft_test_server_free);
}

/* ---- Tests ---- */

/* A trainer's photo reaches the coordinator of the team, and no one of another team. */
static void
test_round_trip (Fixture *f, gconstpointer data)
{
  const char           *url = dft_test_server_get_url (f->server);
  g_autoptr (GBytes)    photo = make_bytes (PHOTO_BYTES, 1);
  g_autofree char      *sha256 = NULL;
  g_autofree char      *path = NULL;
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) missing = NULL;
  DftSyncStats          stats;

  dft_test_device_open (&f->trainer_a, url, STALL_SECONDS);
  dft_test_device_open (&f->coordinator, url, STALL_SECONDS);
  dft_test_device_open (&f->trainer_b, url, STALL_SECONDS);
  login (&f->trainer_a, TRAINER_A);
  login (&f->coordinator, COORDINATOR);
  login (&f->trainer_b, TRAINER_B);

  sha256 = add_photo (f->trainer_a.store, photo);
  stats = device_sync (&f->trainer_a);
  g_assert_cmpuint (stats.files_sent, ==, 1);
  g_assert_cmpuint (stats.file_bytes_sent, ==, PHOTO_BYTES);
  g_assert_cmpint (ask_missing (&f->trainer_a, url, sha256), ==, -1);
  /* Sent once: the next sync sends nothing. */
  stats = device_sync (&f->trainer_a);
  g_assert_cmpuint (stats.files_sent, ==, 0);
  g_assert_cmpuint (stats.file_bytes_sent, ==, 0);

  stats = device_sync (&f->coordinator);
  g_assert_cmpuint (stats.files_fetched, ==, 1);
  g_assert_cmpuint (stats.file_bytes_fetched, ==, PHOTO_BYTES);
  g_assert_cmpuint (stats.files_unavailable, ==, 0);
  assert_holds (f->coordinator.store, sha256, photo);
  missing = dft_store_list_attachments_missing (f->coordinator.store, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (missing->len, ==, 0);

  /* Another team's trainer gets neither the submission nor the file, and asking for the file
   * by its hash is answered as for one that does not exist. */
  stats = device_sync (&f->trainer_b);
  g_assert_cmpuint (stats.files_fetched, ==, 0);
  g_assert_cmpuint (stats.file_bytes_fetched, ==, 0);
  g_assert_null (dft_store_get_attachment_info (f->trainer_b.store, sha256, NULL));
  path = g_strdup_printf ("attachments/%s?start=0&max=4096", sha256);
  {
    g_auto (DftTestReply) reply = { 0 };
    g_autofree char      *code = NULL;

    request (&f->trainer_b, url, "GET", path, NULL, &reply);
    g_assert_cmpint (reply.status, ==, 404);
    code = error_code (&reply);
    g_assert_cmpstr (code, ==, "not_found");
  }
  {
    g_auto (DftTestReply) reply = { 0 };
    g_autofree char      *other = NULL;
    g_autofree char      *other_path = NULL;
    g_autoptr (GBytes)    nothing = make_bytes (64, 99);

    other = sha256_of (nothing);
    other_path = g_strdup_printf ("attachments/%s?start=0&max=4096", other);
    request (&f->trainer_b, url, "GET", other_path, NULL, &reply);
    g_assert_cmpint (reply.status, ==, 404);
  }
  /* Nor does attachments/missing tell it that the server holds the file. */
  g_assert_cmpint (ask_missing (&f->trainer_b, url, sha256), ==, 0);

  /* The coordinator may read it piece by piece: raw bytes, with the file's size. */
  {
    g_auto (DftTestReply) reply = { 0 };

    request (&f->coordinator, url, "GET", path, NULL, &reply);
    g_assert_cmpint (reply.status, ==, 200);
    g_assert_cmpint (reply_size (&reply), ==, PHOTO_BYTES);
    g_assert_cmpuint (reply.body->len, ==, 4096);
    g_assert_cmpmem (reply.body->data, 4096, g_bytes_get_data (photo, NULL), 4096);
  }
}

/* A link that drops every 16 KB, both ways: the file arrives whole all the same. */
static void
test_bad_link (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GBytes)    photo = make_bytes (PHOTO_BYTES, 2);
  g_autofree char      *sha256 = NULL;
  g_autofree char      *url = NULL;
  DftFaultProxyCounters counters;
  DftSyncStats          stats;

  f->proxy = dft_fault_proxy_new (dft_test_server_get_port (f->server), &error);
  g_assert_no_error (error);
  url = g_strdup_printf ("http://127.0.0.1:%u/", dft_fault_proxy_get_port (f->proxy));
  dft_test_device_open (&f->trainer_a, url, STALL_SECONDS);
  dft_test_device_open (&f->coordinator, url, STALL_SECONDS);
  login (&f->trainer_a, TRAINER_A);
  login (&f->coordinator, COORDINATOR);
  sha256 = add_photo (f->trainer_a.store, photo);

  dft_fault_proxy_set_cut_after (f->proxy, 16 * 1024);
  dft_fault_proxy_reset_counters (f->proxy);
  stats = sync_until_done (&f->trainer_a, 20);
  g_assert_cmpuint (stats.files_sent, ==, 1);
  g_assert_cmpuint (stats.file_bytes_sent, >=, PHOTO_BYTES);
  stats = sync_until_done (&f->coordinator, 20);
  g_assert_cmpuint (stats.files_fetched, ==, 1);
  g_assert_cmpuint (stats.file_bytes_fetched, ==, PHOTO_BYTES);
  dft_fault_proxy_get_counters (f->proxy, &counters);
  g_test_message ("%u connections, %u cut", counters.connections, counters.cuts);
  /* The link did drop: 300 KB does not pass through 16 KB connections otherwise. */
  g_assert_cmpuint (counters.cuts, >, 10);
  assert_holds (f->coordinator.store, sha256, photo);
}

/* What a hostile or broken device sends is refused, and nothing of it is kept. */
static void
test_hostile (Fixture *f, gconstpointer data)
{
  const char        *url = dft_test_server_get_url (f->server);
  g_autoptr (GBytes) promised = make_bytes (20000, 3);
  g_autoptr (GBytes) other = make_bytes (20000, 4);
  g_autoptr (GBytes) unnamed = make_bytes (5000, 5);
  g_autoptr (GBytes) huge = make_bytes (PIECE_MAX + 1, 6);
  g_autofree char   *sha256 = sha256_of (promised);
  g_autofree char   *unnamed_sha = sha256_of (unnamed);
  g_autofree char   *answer = dft_attachment_answer_for (sha256, "photo.jpg");
  g_autofree char   *code = NULL;
  g_autofree char   *path = NULL;
  g_autoptr (GBytes) first = g_bytes_new_from_bytes (other, 0, 8000);
  g_autoptr (GBytes) rest = g_bytes_new_from_bytes (other, 8000, 12000);
  g_autoptr (GBytes) tail = g_bytes_new_from_bytes (other, 12000, 8000);
  DftSyncStats       stats;

  dft_test_device_open (&f->trainer_a, url, STALL_SECONDS);
  login (&f->trainer_a, TRAINER_A);
  /* A submission that names a file whose bytes no one has sent. */
  add_submission_naming (f->trainer_a.store, answer);
  stats = device_sync (&f->trainer_a);
  g_assert_cmpuint (stats.files_sent, ==, 0);
  /* Named here but not on the server: counted and skipped, never the end of the sync. */
  g_assert_cmpuint (stats.files_unavailable, ==, 1);
  g_assert_cmpint (ask_missing (&f->trainer_a, url, sha256), ==, 0);

  /* Bytes that are not the ones the hash names, in two pieces: the first is kept for now, the
   * last shows the whole does not match, and nothing is kept. */
  g_assert_cmpint (put_piece (&f->trainer_a, url, sha256, 0, 20000, first, &code), ==, 200);
  g_assert_cmpint (ask_missing (&f->trainer_a, url, sha256), ==, 8000);
  /* A piece elsewhere than where the server is: 409, and where to resume. */
  g_assert_cmpint (put_piece (&f->trainer_a, url, sha256, 12000, 20000, tail, &code), ==, 409);
  g_assert_cmpstr (code, ==, "conflict");
  g_clear_pointer (&code, g_free);
  g_assert_cmpint (put_piece (&f->trainer_a, url, sha256, 8000, 20000, rest, &code), ==, 422);
  g_assert_cmpstr (code, ==, "damaged");
  g_clear_pointer (&code, g_free);
  g_assert_cmpint (ask_missing (&f->trainer_a, url, sha256), ==, 0);
  path = g_strdup_printf ("attachments/%s?start=0", sha256);
  {
    g_auto (DftTestReply) reply = { 0 };

    request (&f->trainer_a, url, "GET", path, NULL, &reply);
    g_assert_cmpint (reply.status, ==, 404);
  }

  /* A hash no submission names: no free storage. */
  g_assert_cmpint (put_piece (&f->trainer_a, url, unnamed_sha, 0, 5000, unnamed, &code), ==, 404);
  g_clear_pointer (&code, g_free);
  g_assert_cmpint (ask_missing (&f->trainer_a, url, unnamed_sha), ==, 0);

  /* Too large: a file over 10 MiB, and a piece over 1 MiB. */
  g_assert_cmpint (
      put_piece (&f->trainer_a, url, sha256, 0, DFT_ATTACHMENT_MAX_BYTES + 1, first, &code), ==,
      413);
  g_assert_cmpstr (code, ==, "too_large");
  g_clear_pointer (&code, g_free);
  g_assert_cmpint (put_piece (&f->trainer_a, url, sha256, 0, DFT_ATTACHMENT_MAX_BYTES, huge, &code),
                   ==, 413);
  g_assert_cmpstr (code, ==, "too_large");
  g_clear_pointer (&code, g_free);
  g_assert_cmpint (ask_missing (&f->trainer_a, url, sha256), ==, 0);

  /* The right bytes go through, and the device that named them then holds them too. */
  g_assert_cmpint (put_piece (&f->trainer_a, url, sha256, 0, 20000, promised, &code), ==, 200);
  g_assert_cmpint (ask_missing (&f->trainer_a, url, sha256), ==, -1);
  stats = device_sync (&f->trainer_a);
  g_assert_cmpuint (stats.files_fetched, ==, 1);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (GBytes) held = dft_store_read_attachment (f->trainer_a.store, sha256, &error);

    g_assert_no_error (error);
    g_assert_true (g_bytes_equal (held, promised));
  }
}

int
main (int argc, char **argv)
{
  /* Before any thread starts: loopback only, whatever proxy the environment names, and a
   * network monitor that says the network is there. */
  g_setenv ("no_proxy", "127.0.0.1,localhost", TRUE);
  g_setenv ("NO_PROXY", "127.0.0.1,localhost", TRUE);
  g_setenv ("GIO_USE_NETWORK_MONITOR", "base", TRUE);
  dft_test_init (&argc, &argv);
  curl_global_init (CURL_GLOBAL_DEFAULT);

#define ADD(path, func)                                                                            \
  g_test_add ("/sync-attachments/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("round-trip", test_round_trip);
  ADD ("bad-link", test_bad_link);
  ADD ("hostile", test_hostile);
#undef ADD
  return g_test_run ();
}
