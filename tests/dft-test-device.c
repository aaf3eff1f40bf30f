/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sqlite3.h>

#include "dft-store-private.h"
#include "dft-test-device.h"
#include "dft-test-util.h"

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
