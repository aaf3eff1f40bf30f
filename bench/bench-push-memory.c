/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "dft-uuid.h"
#include "dft-wire.h"

/*
 * What a hostile or broken push costs a real daftari-server in memory (issue
 * 13): 300,000 tiny changes (about 30 MiB of JSON, a few MiB of gzip) sent by
 * a trainer's device under another device's name, which the server refuses;
 * once alone and eight at once, each on a fresh server. It prints the server's
 * resident memory (VmRSS) before and after, and its peak (VmHWM), next to the
 * limits. Usage: bench-push-memory [DAFTARI-SERVER] [CHANGES]
 */

typedef struct
{
  char   *dir;
  GPid    pid;
  guint16 port;
  char   *token;
} Server;

static const char *server_path = DAFTARI_SERVER_PATH;

static void
run_admin (const char *config, const char *const *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError)    error = NULL;
  int                   status;

  g_ptr_array_add (argv, (gpointer) server_path);
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

/* One HTTP/1.1 request on a connection of its own; returns the status, *body the reply body. */
static guint
http (Server     *s,
      const char *method,
      const char *path,
      const char *headers,
      GBytes     *body,
      char      **reply)
{
  g_autoptr (GError)            error = NULL;
  g_autoptr (GSocketClient)     client = g_socket_client_new ();
  g_autoptr (GSocketConnection) conn
      = g_socket_client_connect_to_host (client, "127.0.0.1", s->port, NULL, &error);
  g_autoptr (GString)    head = g_string_new (NULL);
  g_autoptr (GByteArray) in = g_byte_array_new ();
  guint8                 buf[16384];
  gssize                 n;
  gsize                  length = 0;
  const void            *data = body != NULL ? g_bytes_get_data (body, &length) : NULL;
  const char            *end;

  if (conn == NULL)
    g_error ("connect: %s", error->message);
  g_string_append_printf (head,
                          "%s /api/v1/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                          "Content-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n",
                          method, path, length, headers != NULL ? headers : "");
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), head->str,
                             head->len, NULL, NULL, NULL);
  /* A server that refuses early closes: what it sent is still read. */
  if (length > 0)
    g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), data, length,
                               NULL, NULL, NULL);
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (conn)), buf,
                                   sizeof buf, NULL, NULL))
         > 0)
    g_byte_array_append (in, buf, (guint) n);
  g_byte_array_append (in, (const guint8 *) "", 1);
  end = strstr ((const char *) in->data, "\r\n\r\n");
  if (reply != NULL)
    *reply = g_strdup (end != NULL ? end + 4 : "");
  if (in->len < 13)
    return 0;
  return (guint) g_ascii_strtoull ((const char *) in->data + 9, NULL, 10);
}

static void
server_start (Server *s)
{
  g_autoptr (GError)     error = NULL;
  g_autofree char       *config = NULL;
  g_autofree char       *password = NULL;
  g_autofree char       *text = NULL;
  g_autofree char       *line = NULL;
  g_autofree char       *device = dft_uuid_v4_new ();
  g_autofree char       *login = NULL;
  g_autofree char       *reply = NULL;
  g_autoptr (GIOChannel) channel = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  int                    out_fd;

  s->dir = g_dir_make_tmp ("daftari-bench-push-XXXXXX", NULL);
  config = g_build_filename (s->dir, "server.conf", NULL);
  password = g_build_filename (s->dir, "password", NULL);
  text = g_strdup_printf ("[server]\nlisten=127.0.0.1\nport=0\ndata=%s/data\n", s->dir);
  g_file_set_contents (config, text, -1, NULL);
  g_file_set_contents (password, "a bench password", -1, NULL);
  {
    const char *team[] = { "create-team", "North", NULL };
    run_admin (config, team);
  }
  {
    const char *create[] = { "create-account", "--username", "trainer",         "--role", "trainer",
                             "--team",         "North",      "--password-file", password, NULL };
    run_admin (config, create);
  }
  {
    const char *argv[] = { server_path, "serve", "--config", config, NULL };

    /* Its request log goes to standard error: dropped. */
    if (!g_spawn_async_with_pipes (NULL, (char **) argv, NULL,
                                   G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                                   NULL, &s->pid, NULL, &out_fd, NULL, &error))
      g_error ("%s", error->message);
  }
  channel = g_io_channel_unix_new (out_fd);
  g_io_channel_set_close_on_unref (channel, TRUE);
  while (g_io_channel_read_line (channel, &line, NULL, NULL, NULL) == G_IO_STATUS_NORMAL)
    {
      const char *colon = strrchr (line, ':');
      if (g_str_has_prefix (line, "listening on") && colon != NULL)
        {
          s->port = (guint16) g_ascii_strtoull (colon + 1, NULL, 10);
          break;
        }
      g_clear_pointer (&line, g_free);
    }
  if (s->port == 0)
    g_error ("daftari-server did not start");

  login = g_strdup_printf ("{\"username\":\"trainer\",\"password\":\"a bench password\","
                           "\"device_id\":\"%s\",\"device_name\":\"bench\"}",
                           device);
  {
    g_autoptr (GBytes) body = g_bytes_new (login, strlen (login));

    if (http (s, "POST", "login", NULL, body, &reply) != 200
        || !json_parser_load_from_data (parser, reply, -1, NULL))
      g_error ("login failed: %s", reply);
  }
  s->token = g_strdup (json_object_get_string_member (
      json_node_get_object (json_parser_get_root (parser)), "token"));
}

static void
server_stop (Server *s)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", s->dir);
  int              status;

  kill (s->pid, SIGTERM);
  waitpid (s->pid, &status, 0);
  g_spawn_close_pid (s->pid);
  if (system (cmd) != 0)
    fprintf (stderr, "could not remove %s\n", s->dir);
  g_free (s->dir);
  g_free (s->token);
}

/* VmRSS and VmHWM of @pid, in KiB. */
static void
memory (GPid pid, guint64 *rss, guint64 *hwm)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *text = NULL;
  const char      *p;

  *rss = *hwm = 0;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return;
  if ((p = strstr (text, "VmRSS:")) != NULL)
    *rss = g_ascii_strtoull (p + 6, NULL, 10);
  if ((p = strstr (text, "VmHWM:")) != NULL)
    *hwm = g_ascii_strtoull (p + 6, NULL, 10);
}

/* @n tiny changes to one record, under a device that is not the pushing one: about 100 bytes of
 * JSON each, which gzip takes to a few bytes, as a hostile client would send them. */
static GBytes *
make_batch (guint n, gsize *json_size)
{
  g_autoptr (GString) json = g_string_sized_new ((gsize) n * 104);
  g_autofree char    *other = dft_uuid_v4_new ();
  g_autofree char    *id = dft_uuid_v4_new ();
  g_autoptr (GBytes)  plain = NULL;

  g_string_append_printf (json,
                          "{\"server\":\"daftari\",\"protocol\":1,\"devices\":[\"%s\"],"
                          "\"ids\":[\"%s\"],\"changes\":[",
                          other, id);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (json,
                            "%s{\"d\":0,\"s\":1,\"h\":%s,\"e\":\"person\",\"r\":0,"
                            "\"f\":{\"given_name\":\"Aibek Abdykadyrov of the northern team\"}}",
                            i > 0 ? "," : "", i > 0 ? "1" : "116123456789012345");
  g_string_append (json, "]}");
  *json_size = json->len;
  plain = g_string_free_to_bytes (g_steal_pointer (&json));
  return dft_wire_gzip (plain);
}

/* Forgets the peak so far (Linux: writing 5 to clear_refs resets VmHWM): sign-in hashes a
 * password with 64 MiB, which is not what is measured. */
static void
reset_peak (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/clear_refs", (int) pid);
  FILE            *file = fopen (path, "w");

  if (file == NULL || fputs ("5", file) < 0 || fclose (file) != 0)
    fprintf (stderr, "could not reset the peak of %d; figures include sign-in\n", (int) pid);
}

typedef struct
{
  Server *server;
  GBytes *body;
  guint   status;
} Push;

static gpointer
push_thread (gpointer data)
{
  Push            *p = data;
  g_autofree char *headers = g_strdup_printf (
      "Authorization: Bearer %s\r\nContent-Encoding: gzip\r\n", p->server->token);

  p->status = http (p->server, "POST", "push", headers, p->body, NULL);
  return NULL;
}

static void
scenario (const char *label, guint n_changes, guint concurrent)
{
  Server               s = { 0 };
  gsize                json_size = 0;
  g_autoptr (GBytes)   body = make_batch (n_changes, &json_size);
  g_autofree Push     *pushes = g_new0 (Push, concurrent);
  g_autofree GThread **threads = g_new0 (GThread *, concurrent);
  g_autoptr (GString)  statuses = g_string_new (NULL);
  guint64              rss0, hwm0, rss1, hwm1;
  gint64               start;

  server_start (&s);
  reset_peak (s.pid);
  memory (s.pid, &rss0, &hwm0);
  start = g_get_monotonic_time ();
  for (guint i = 0; i < concurrent; i++)
    {
      pushes[i].server = &s;
      pushes[i].body = body;
      threads[i] = g_thread_new ("push", push_thread, &pushes[i]);
    }
  for (guint i = 0; i < concurrent; i++)
    {
      g_thread_join (threads[i]);
      g_string_append_printf (statuses, "%s%u", i > 0 ? "," : "", pushes[i].status);
    }
  memory (s.pid, &rss1, &hwm1);
  printf ("%-40s %7u changes, JSON %5.1f MiB, gzip %5.2f MiB, x%u  replies %-32s  %5.2f s\n"
          "%-40s RSS before %6.1f MiB, after %6.1f MiB, peak (VmHWM) %6.1f MiB, growth %6.1f MiB\n",
          label, n_changes, json_size / 1048576.0, g_bytes_get_size (body) / 1048576.0, concurrent,
          statuses->str, (g_get_monotonic_time () - start) / 1e6, "", rss0 / 1024.0, rss1 / 1024.0,
          hwm1 / 1024.0, (hwm1 - rss0) / 1024.0);
  fflush (stdout);
  server_stop (&s);
}

int
main (int argc, char *argv[])
{
  guint n = 300000;

  if (argc > 1)
    server_path = argv[1];
  if (argc > 2)
    n = (guint) g_ascii_strtoull (argv[2], NULL, 10);

  printf ("Daftari push memory: a real daftari-server (%s) on loopback\n", server_path);
  printf ("limits: %d changes and %d JSON values a push, %d MiB of JSON, %d MiB of gzip; "
          "pushes share a 256 MiB budget\n\n",
          DFT_WIRE_MAX_PUSH_CHANGES, DFT_WIRE_MAX_PUSH_VALUES, DFT_WIRE_MAX_JSON / 1048576,
          DFT_WIRE_MAX_GZIP / 1048576);
  scenario ("one push of tiny changes", n, 1);
  scenario ("eight such pushes at once", n, 8);
  scenario ("eight pushes at the limit at once", DFT_WIRE_MAX_PUSH_CHANGES, 8);
  return 0;
}
