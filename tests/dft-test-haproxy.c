/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "dft-test-haproxy.h"

static guint16
free_port (void)
{
  g_autoptr (GError)         error = NULL;
  g_autoptr (GSocket)        socket = NULL;
  g_autoptr (GInetAddress)   loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  if (socket == NULL || !g_socket_bind (socket, any, FALSE, &error)
      || (bound = g_socket_get_local_address (socket, &error)) == NULL)
    g_error ("a port for HAProxy: %s", error->message);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* Whether GET /api/v1/health at @port answers 200. */
static gboolean
healthy (guint16 port)
{
  g_autoptr (GSocketClient)     client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;
  g_autofree char              *request = NULL;
  g_autoptr (GString)           answer = g_string_new (NULL);
  char                          buffer[1024];
  GInputStream                 *input;
  gssize                        got;

  g_socket_client_set_timeout (client, 5);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);
  if (connection == NULL)
    return FALSE;
  request = g_strdup_printf ("GET /api/v1/health HTTP/1.0\r\nHost: 127.0.0.1:%u\r\n\r\n", port);
  if (!g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), request,
                                  strlen (request), NULL, NULL, NULL))
    return FALSE;
  /* To its end: a connection left with the answer unread is cut, and libsoup warns of a
   * client that went (a fatal warning in the tests). */
  input = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  while ((got = g_input_stream_read (input, buffer, sizeof buffer, NULL, NULL)) > 0)
    g_string_append_len (answer, buffer, got);
  return g_str_has_prefix (answer->str, "HTTP/1.") && strncmp (answer->str + 8, " 200", 4) == 0;
}

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

GSubprocess *
dft_test_haproxy_start (const char    *dir,
                        const guint16 *server_ports,
                        guint          n_servers,
                        guint          max_connections,
                        guint16       *port)
{
  g_autoptr (GError)              error = NULL;
  g_autoptr (GString)             config = g_string_new (NULL);
  g_autofree char                *path = g_build_filename (dir, "haproxy.cfg", NULL);
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  GSubprocess                    *process;
  gint64                          deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  *port = free_port ();
  /* Each request balanced on its own (the server side of a connection ends with it), so one
   * sync's requests land on several processes, as they would in production. */
  g_string_append_printf (config,
                          "global\n  maxconn %u\n"
                          "defaults\n  mode http\n  option http-server-close\n"
                          "  timeout connect 5s\n  timeout client 300s\n  timeout server 300s\n"
                          "frontend daftari\n  bind 127.0.0.1:%u\n  default_backend servers\n"
                          "backend servers\n  balance roundrobin\n",
                          max_connections, *port);
  for (guint i = 0; i < n_servers; i++)
    g_string_append_printf (config, "  server s%u 127.0.0.1:%u\n", i, server_ports[i]);
  if (!g_file_set_contents (path, config->str, -1, &error))
    g_error ("%s", error->message);
  /* -db: in the foreground, ours to stop, and gone with its parent if that dies. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  process
      = g_subprocess_launcher_spawn (launcher, &error, DFT_TEST_HAPROXY, "-db", "-f", path, NULL);
  if (process == NULL)
    g_error ("haproxy: %s", error->message);
  while (!healthy (*port))
    {
      if (g_subprocess_get_identifier (process) == NULL || g_get_monotonic_time () > deadline)
        g_error ("haproxy did not start (its messages are above)");
      g_usleep (10 * 1000);
    }
  return process;
}

void
dft_test_haproxy_stop (GSubprocess *haproxy)
{
  g_subprocess_send_signal (haproxy, SIGTERM);
  g_subprocess_wait (haproxy, NULL, NULL);
  g_object_unref (haproxy);
}
