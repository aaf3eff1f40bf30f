/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <curl/curl.h>
#include <sqlite3.h>
#include <string.h>

#include "dft-store-private.h"
#include "dft-test-device.h"
#include "dft-test-util.h"
#include "dft-token-store.h"

void
dft_test_device_open (DftTestDevice *device, const char *url, guint stall_timeout_s)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *path = NULL;

  device->dir = dft_test_make_dir ();
  path = g_build_filename (device->dir, "daftari.db", NULL);
  device->store = dft_store_open (path, &error);
  g_assert_no_error (error);
  /* A test's laptop need not survive a power cut: its disk writes are the slow part. */
  sqlite3_exec (_dft_store_get_db (device->store), "PRAGMA synchronous = OFF", NULL, NULL, NULL);
  device->client = g_object_new (DFT_TYPE_SYNC_CLIENT, "store", device->store, "automatic", FALSE,
                                 "server-url", url, "retry-delay-ms", 20, "connect-timeout", 5,
                                 "stall-timeout", stall_timeout_s, "request-timeout", 120, NULL);
}

void
dft_test_device_close (DftTestDevice *device)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  if (device->store == NULL)
    return;
  /* Background reads (the pending count) hold the client for a moment: let them end. */
  while (G_OBJECT (device->client)->ref_count > 1 && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
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

/* Runs the main loop until the call ends; a call that never ends fails the test. */
static void
wait_done (Wait *wait)
{
  gboolean timed_out = FALSE;
  guint    id = g_timeout_add_seconds (DFT_TEST_DEVICE_WAIT_SECONDS, timed_out_cb, &timed_out);

  while (!wait->done && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!wait->done)
    g_error ("no result after %u seconds", DFT_TEST_DEVICE_WAIT_SECONDS);
  g_source_remove (id);
}

static void
login_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Wait *wait = user_data;

  wait->ok = dft_sync_client_login_finish (DFT_SYNC_CLIENT (source), result, &wait->error);
  wait->done = TRUE;
}

static void
sync_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Wait *wait = user_data;

  wait->ok
      = dft_sync_client_sync_finish (DFT_SYNC_CLIENT (source), result, &wait->stats, &wait->error);
  wait->done = TRUE;
}

void
dft_test_device_login (DftTestDevice *device, const char *username, const char *password)
{
  Wait wait = { 0 };

  dft_sync_client_login_async (device->client, username, password, NULL, login_done_cb, &wait);
  wait_done (&wait);
  g_assert_no_error (wait.error);
  g_assert_true (wait.ok);
}

gboolean
dft_test_device_try_sync (DftTestDevice *device, DftSyncStats *stats, GError **error)
{
  Wait wait = { 0 };

  dft_sync_client_sync_async (device->client, NULL, sync_done_cb, &wait);
  wait_done (&wait);
  if (stats != NULL)
    *stats = wait.stats;
  if (!wait.ok)
    {
      g_propagate_error (error, wait.error);
      return FALSE;
    }
  return TRUE;
}

DftSyncStats
dft_test_device_sync (DftTestDevice *device)
{
  g_autoptr (GError) error = NULL;
  DftSyncStats       stats = { 0 };
  gboolean           ok = dft_test_device_try_sync (device, &stats, &error);

  g_assert_no_error (error);
  g_assert_true (ok);
  return stats;
}

void
dft_test_reply_clear (DftTestReply *reply)
{
  g_clear_pointer (&reply->body, g_byte_array_unref);
  g_clear_pointer (&reply->headers, g_hash_table_unref);
}

const char *
dft_test_reply_header (DftTestReply *reply, const char *name)
{
  return reply->headers != NULL ? g_hash_table_lookup (reply->headers, name) : NULL;
}

static size_t
reply_write_cb (char *data, size_t size, size_t n, void *user_data)
{
  DftTestReply *reply = user_data;

  g_byte_array_append (reply->body, (const guint8 *) data, (guint) (size * n));
  return size * n;
}

static size_t
reply_header_cb (char *data, size_t size, size_t n, void *user_data)
{
  DftTestReply    *reply = user_data;
  g_autofree char *line = g_strndup (data, size * n);
  char            *colon = strchr (line, ':');

  if (colon != NULL)
    {
      *colon = '\0';
      g_hash_table_replace (reply->headers, g_ascii_strdown (g_strstrip (line), -1),
                            g_strdup (g_strstrip (colon + 1)));
    }
  return size * n;
}

void
dft_test_device_request (DftTestDevice *device,
                         const char    *url,
                         const char    *method,
                         const char    *path,
                         GBytes        *body,
                         DftTestReply  *reply)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *token = dft_token_store_load (device->store, &error);
  g_autofree char   *auth = g_strconcat ("Authorization: Bearer ", token, NULL);
  g_autofree char   *full = g_strconcat (url, "api/v1/", path, NULL);
  struct curl_slist *headers = NULL;
  CURL              *curl = curl_easy_init ();
  gsize              size = 0;
  gconstpointer      data = body != NULL ? g_bytes_get_data (body, &size) : NULL;

  g_assert_no_error (error);
  g_assert_nonnull (token);
  reply->body = g_byte_array_new ();
  reply->headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  headers = curl_slist_append (headers, auth);
  headers = curl_slist_append (headers, "Expect:");
  headers
      = curl_slist_append (headers, g_str_equal (method, "POST") ? "Content-Type: application/json"
                                                                 : "Content-Type: image/jpeg");
  curl_easy_setopt (curl, CURLOPT_URL, full);
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, reply_write_cb);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, reply);
  curl_easy_setopt (curl, CURLOPT_HEADERFUNCTION, reply_header_cb);
  curl_easy_setopt (curl, CURLOPT_HEADERDATA, reply);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT, (long) DFT_TEST_DEVICE_WAIT_SECONDS);
  if (body != NULL)
    {
      curl_easy_setopt (curl, CURLOPT_POST, 1L);
      curl_easy_setopt (curl, CURLOPT_POSTFIELDS, data);
      curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) size);
    }
  curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, method);
  g_assert_cmpint (curl_easy_perform (curl), ==, CURLE_OK);
  curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &reply->status);
  curl_slist_free_all (headers);
  curl_easy_cleanup (curl);
}
