/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The sync benchmark of issue 3: a device loads the standard workshop data
 * set and syncs it to a real daftari-server on loopback through a
 * byte-counting proxy (tests/dft-fault-proxy.c), with and without a slow or
 * breaking link. Prints bytes each way (HTTP headers included), requests and
 * time, next to gzip -9 of the data set's JSON.
 *
 *   bench-sync ONE-WORKSHOP.json FIFTY-WORKSHOPS.json
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "dft-dataset.h"
#include "dft-fault-proxy.h"
#include "dft-store-private.h"
#include "dft-sync-client.h"

typedef struct
{
  char   *dir;
  GPid    pid;
  guint16 port;
} Server;

static void
run_admin (const char *config, const char *const *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError)    error = NULL;
  int                   status;

  g_ptr_array_add (argv, (gpointer) DAFTARI_SERVER_PATH);
  g_ptr_array_add (argv, (gpointer) "admin");
  g_ptr_array_add (argv, (gpointer) "--config");
  g_ptr_array_add (argv, (gpointer) config);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                     NULL, NULL, &status, &error)
      || !g_spawn_check_wait_status (status, &error))
    g_error ("daftari-server admin: %s", error->message);
}

/* The server logs every request on its output: read and drop it, or the pipe would fill and stall
 * it. */
static gboolean
drain_cb (GIOChannel *channel, GIOCondition condition, gpointer data)
{
  char  buf[4096];
  gsize n = 0;

  if (condition & G_IO_IN)
    g_io_channel_read_chars (channel, buf, sizeof buf, &n, NULL);
  return (condition & G_IO_HUP) == 0 || n > 0 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void
server_start (Server *s)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *config = g_build_filename (s->dir, "server.conf", NULL);
  g_autofree char   *password = g_build_filename (s->dir, "password", NULL);
  g_autofree char   *text
      = g_strdup_printf ("[server]\nlisten=127.0.0.1\nport=0\ndata=%s/data\n", s->dir);
  const char            *argv[] = { DAFTARI_SERVER_PATH, "serve", "--config", config, NULL };
  const char            *create[] = { "create-account", "--username",      "bench",  "--role",
                                      "admin",          "--password-file", password, NULL };
  int                    out_fd;
  g_autoptr (GIOChannel) channel = NULL;
  g_autofree char       *line = NULL;

  if (!g_file_test (config, G_FILE_TEST_EXISTS))
    {
      g_file_set_contents (config, text, -1, NULL);
      g_file_set_contents (password, "a bench password", -1, NULL);
      run_admin (config, create);
    }
  if (!g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                 &s->pid, NULL, &out_fd, NULL, &error))
    g_error ("%s", error->message);
  channel = g_io_channel_unix_new (out_fd);
  g_io_channel_set_close_on_unref (channel, TRUE);
  while (g_io_channel_read_line (channel, &line, NULL, NULL, NULL) == G_IO_STATUS_NORMAL)
    {
      const char *colon = strrchr (line, ':');
      if (g_str_has_prefix (line, "listening on") && colon != NULL)
        {
          s->port = (guint16) g_ascii_strtoull (colon + 1, NULL, 10);
          g_io_add_watch (channel, G_IO_IN | G_IO_HUP, drain_cb, NULL);
          return;
        }
      g_clear_pointer (&line, g_free);
    }
  g_error ("daftari-server did not start");
}

static void
server_stop (Server *s)
{
  int status;

  kill (s->pid, SIGTERM);
  waitpid (s->pid, &status, 0);
  g_spawn_close_pid (s->pid);
}

typedef struct
{
  gboolean     done, ok;
  GError      *error;
  DftSyncStats stats;
} Wait;

static void
login_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Wait *w = data;
  w->ok = dft_sync_client_login_finish (DFT_SYNC_CLIENT (source), result, &w->error);
  w->done = TRUE;
}

static void
sync_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Wait *w = data;
  w->ok = dft_sync_client_sync_finish (DFT_SYNC_CLIENT (source), result, &w->stats, &w->error);
  w->done = TRUE;
}

static void
wait_for (Wait *w)
{
  while (!w->done)
    g_main_context_iteration (NULL, TRUE);
}

typedef struct
{
  guint64 up, down;
  guint   requests, retries, cuts;
  double  seconds;
} Figures;

/* Syncs until it succeeds (a cut link fails a sync now and then) and adds up what it cost. */
static Figures
sync_all (DftSyncClient *client, DftFaultProxy *proxy)
{
  DftFaultProxyCounters c;
  Figures               f = { 0 };
  gint64                start = g_get_monotonic_time ();

  /* The proxy forwards in its own thread: let bytes of the last sync land before counting anew. */
  g_usleep (300 * 1000);
  dft_fault_proxy_reset_counters (proxy);
  start = g_get_monotonic_time ();
  for (guint attempt = 0; attempt < 50; attempt++)
    {
      Wait w = { 0 };

      dft_sync_client_sync_async (client, NULL, sync_cb, &w);
      wait_for (&w);
      f.requests += w.stats.requests;
      f.retries += w.stats.retries;
      if (w.ok && dft_sync_client_get_pending_changes (client) == 0)
        break;
      if (w.error != NULL)
        fprintf (stderr, "  (sync attempt %u: %s)\n", attempt + 1, w.error->message);
      g_clear_error (&w.error);
    }
  f.seconds = (g_get_monotonic_time () - start) / 1e6;
  g_usleep (300 * 1000);
  dft_fault_proxy_get_counters (proxy, &c);
  f.up = c.bytes_up;
  f.down = c.bytes_down;
  f.cuts = c.cuts;
  return f;
}

static DftSyncClient *
device (const char *dir, const char *name, guint16 port, DftStore **store_out)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *path = g_build_filename (dir, name, NULL);
  g_autofree char   *url = g_strdup_printf ("http://127.0.0.1:%u", port);
  DftStore          *store = dft_store_open (path, &error);
  DftSyncClient     *client;
  Wait               w = { 0 };

  if (store == NULL)
    g_error ("%s", error->message);
  client = dft_sync_client_new (store);
  dft_sync_client_set_server_url (client, url);
  g_object_set (client, "retry-delay-ms", 200, NULL);
  dft_sync_client_login_async (client, "bench", "a bench password", NULL, login_cb, &w);
  wait_for (&w);
  if (!w.ok)
    g_error ("login: %s", w.error->message);
  *store_out = store;
  return client;
}

static gsize
gzip9 (const char *path)
{
  g_autofree char            *data = NULL;
  gsize                       len;
  g_autoptr (GZlibCompressor) gz = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 9);
  g_autoptr (GOutputStream)   mem = g_memory_output_stream_new_resizable ();
  g_autoptr (GOutputStream)   out = g_converter_output_stream_new (mem, G_CONVERTER (gz));

  g_file_get_contents (path, &data, &len, NULL);
  g_output_stream_write_all (out, data, len, NULL, NULL, NULL);
  g_output_stream_close (out, NULL, NULL);
  return g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (mem));
}

static void
print (const char *label, const Figures *f, const char *target)
{
  printf ("%-46s up %8" G_GUINT64_FORMAT " B  down %8" G_GUINT64_FORMAT
          " B  total %8" G_GUINT64_FORMAT " B  %3u requests  %2u cuts  %6.2f s   %s\n",
          label, f->up, f->down, f->up + f->down, f->requests, f->cuts, f->seconds, target);
}

/* One scenario: a fresh server and device, the data set loaded, then synced through @proxy's
 * settings. */
static Figures
scenario (const char *dataset,
          guint       delay_ms,
          guint64     rate,
          guint64     cut,
          gboolean    then_one_change,
          Figures    *one_change)
{
  g_autoptr (GError) error = NULL;
  Server             server = { g_dir_make_tmp ("daftari-bench-sync-XXXXXX", NULL) };
  DftFaultProxy     *proxy;
  DftStore          *store = NULL;
  DftSyncClient     *client;
  Figures            f;

  server_start (&server);
  proxy = dft_fault_proxy_new (server.port, &error);
  client = device (server.dir, "device.db", dft_fault_proxy_get_port (proxy), &store);
  sqlite3_exec (_dft_store_get_db (store), "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
  if (!dft_dataset_load (store, dataset, NULL, NULL, NULL, NULL, &error))
    g_error ("%s", error->message);

  dft_fault_proxy_set_delay (proxy, delay_ms, delay_ms);
  dft_fault_proxy_set_rate (proxy, rate, rate);
  dft_fault_proxy_set_cut_after (proxy, cut);
  f = sync_all (client, proxy);

  if (then_one_change)
    {
      g_autoptr (GPtrArray) marks
          = _dft_store_query (store, &dft_entity_attendance, NULL, NULL, NULL, &error);
      DftRecord            *m = g_ptr_array_index (marks, 0);
      g_autoptr (DftRecord) again = dft_store_mark_attendance (
          store, dft_record_get_string (m, "session_id"), dft_record_get_string (m, "person_id"),
          "excused", NULL, &error);
      *one_change = sync_all (client, proxy);
    }

  g_object_unref (client);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_object_unref (store);
  dft_fault_proxy_free (proxy);
  server_stop (&server);
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", server.dir);
    if (system (cmd) != 0)
      fprintf (stderr, "could not remove %s\n", server.dir);
  }
  g_free (server.dir);
  return f;
}

int
main (int argc, char *argv[])
{
  Figures one, fifty, slow, cut, change;

  if (argc < 3)
    {
      fprintf (stderr, "usage: bench-sync ONE-WORKSHOP.json FIFTY-WORKSHOPS.json\n");
      return 2;
    }
  signal (SIGPIPE, SIG_IGN);

  printf ("Daftari sync benchmark: real daftari-server on loopback, bytes counted by a proxy (HTTP "
          "included)\n");
  printf ("reference: gzip -9 of the data set JSON: one workshop %zu B, fifty workshops %zu B\n\n",
          gzip9 (argv[1]), gzip9 (argv[2]));

  one = scenario (argv[1], 0, 0, 0, TRUE, &change);
  print ("one workshop, first sync", &one, "target <= 20000 B, <= 4 requests");
  print ("one workshop, then one attendance tick", &change, "target <= 1000 B");
  slow = scenario (argv[1], 150, 8000, 0, FALSE, NULL);
  print ("one workshop, 64 kbit/s with 150 ms delay", &slow, "target <= 5 s");
  fifty = scenario (argv[2], 0, 0, 0, FALSE, NULL);
  print ("fifty workshops", &fifty, "target <= 800000 B");
  cut = scenario (argv[2], 0, 0, 16 * 1024, FALSE, NULL);
  print ("fifty workshops, link cut every 16 KB", &cut, "target <= 1.3x the uncut bytes");
  printf ("\ncut link: %.2fx the bytes of the uncut sync\n",
          (double) (cut.up + cut.down) / (fifty.up + fifty.down));
  return 0;
}
