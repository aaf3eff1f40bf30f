/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dft-fault-proxy.h"
#include "dft-test-util.h"

/*
 * The proxy's tests run a small server in a thread of its own (echo, or one
 * that sends a fixed number of bytes and closes) and talk to it through the
 * proxy with blocking sockets from the test's thread: if the proxy needed the
 * test's main context, these tests would hang.
 */

typedef enum
{
  SERVER_ECHO,
  SERVER_SOURCE, /* sends source_bytes of the pattern, then closes */
} ServerMode;

typedef struct
{
  ServerMode      mode;
  gsize           source_bytes;
  GMainContext   *context;
  GThread        *thread;
  GSocketService *service;
  guint16         port;
  gint            quit;
  gint            ready;
} TestServer;

static guint8
pattern_at (gsize i)
{
  return (guint8) ((i * 31 + i / 251) & 0xff);
}

static gboolean
server_run_cb (GThreadedSocketService *service,
               GSocketConnection      *connection,
               GObject                *source_object,
               gpointer                user_data)
{
  TestServer    *server = user_data;
  GInputStream  *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  guint8         buffer[8192];

  if (server->mode == SERVER_SOURCE)
    {
      for (gsize done = 0; done < server->source_bytes;)
        {
          gsize n = MIN (sizeof buffer, server->source_bytes - done);

          for (gsize i = 0; i < n; i++)
            buffer[i] = pattern_at (done + i);
          if (!g_output_stream_write_all (out, buffer, n, NULL, NULL, NULL))
            break;
          done += n;
        }
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return TRUE;
    }

  for (;;)
    {
      gssize n = g_input_stream_read (in, buffer, sizeof buffer, NULL, NULL);

      if (n <= 0 || !g_output_stream_write_all (out, buffer, (gsize) n, NULL, NULL, NULL))
        break;
    }
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return TRUE;
}

static gpointer
server_thread (gpointer data)
{
  TestServer                *server = data;
  g_autoptr (GError)         error = NULL;
  g_autoptr (GInetAddress)   loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) effective = NULL;

  g_main_context_push_thread_default (server->context);
  server->service = g_threaded_socket_service_new (8);
  g_socket_listener_add_address (G_SOCKET_LISTENER (server->service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  server->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (server->service, "run", G_CALLBACK (server_run_cb), server);
  g_socket_service_start (server->service);
  g_atomic_int_set (&server->ready, 1);

  while (!g_atomic_int_get (&server->quit))
    g_main_context_iteration (server->context, TRUE);

  g_socket_service_stop (server->service);
  g_socket_listener_close (G_SOCKET_LISTENER (server->service));
  g_clear_object (&server->service);
  while (g_main_context_iteration (server->context, FALSE))
    ;
  g_main_context_pop_thread_default (server->context);
  return NULL;
}

static TestServer *
test_server_new (ServerMode mode, gsize source_bytes)
{
  TestServer *server = g_new0 (TestServer, 1);

  server->mode = mode;
  server->source_bytes = source_bytes;
  server->context = g_main_context_new ();
  server->thread = g_thread_new ("test-server", server_thread, server);
  while (!g_atomic_int_get (&server->ready))
    g_usleep (1000);
  return server;
}

static void
test_server_free (TestServer *server)
{
  g_atomic_int_set (&server->quit, 1);
  g_main_context_wakeup (server->context);
  g_thread_join (server->thread);
  g_main_context_unref (server->context);
  g_free (server);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestServer, test_server_free)

static GSocket *
connect_to (guint16 port)
{
  g_autoptr (GError)         error = NULL;
  g_autoptr (GInetAddress)   loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, port);
  g_autoptr (GSocket)        socket = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_connect (socket, address, NULL, &error);
  g_assert_no_error (error);
  /* No test waits this long on purpose: a hang fails instead of stalling the suite. */
  g_socket_set_timeout (socket, 10);
  return g_steal_pointer (&socket);
}

static void
send_all (GSocket *socket, const guint8 *data, gsize len)
{
  while (len > 0)
    {
      g_autoptr (GError) error = NULL;
      gssize             n = g_socket_send (socket, (const char *) data, len, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpint (n, >, 0);
      data += n;
      len -= (gsize) n;
    }
}

/* Reads until @len bytes or the end; returns how many came. Errors (a reset) end it too. */
static gsize
receive_up_to (GSocket *socket, guint8 *data, gsize len)
{
  gsize got = 0;

  while (got < len)
    {
      g_autoptr (GError) error = NULL;
      gssize n = g_socket_receive (socket, (char *) data + got, len - got, NULL, &error);

      if (n <= 0)
        {
          g_assert_false (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
          break;
        }
      got += (gsize) n;
    }
  return got;
}

static double
elapsed_s (gint64 start)
{
  return (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
}

static void
echo_round_trip (GSocket *socket, gsize total, gsize step)
{
  g_autofree guint8 *out = g_malloc (step);
  g_autofree guint8 *in = g_malloc (step);

  for (gsize done = 0; done < total; done += step)
    {
      gsize n = MIN (step, total - done);

      for (gsize i = 0; i < n; i++)
        out[i] = pattern_at (done + i);
      send_all (socket, out, n);
      g_assert_cmpuint (receive_up_to (socket, in, n), ==, n);
      g_assert_cmpmem (in, n, out, n);
    }
}

static void
test_proxy_passes_bytes (void)
{
  g_autoptr (GError)        error = NULL;
  g_autoptr (TestServer)    server = test_server_new (SERVER_ECHO, 0);
  g_autoptr (DftFaultProxy) proxy = dft_fault_proxy_new (server->port, &error);
  g_autoptr (GSocket)       socket = NULL;
  DftFaultProxyCounters     counters;

  g_assert_no_error (error);
  g_assert_cmpuint (dft_fault_proxy_get_port (proxy), !=, 0);
  g_assert_cmpuint (dft_fault_proxy_get_port (proxy), !=, server->port);

  socket = connect_to (dft_fault_proxy_get_port (proxy));
  echo_round_trip (socket, 300 * 1024, 20000);

  /* The proxy counts a write once it returns, which may be just after the bytes arrived. */
  for (guint i = 0; i < 2000; i++)
    {
      dft_fault_proxy_get_counters (proxy, &counters);
      if (counters.bytes_down == 300 * 1024)
        break;
      g_usleep (1000);
    }
  g_assert_cmpuint (counters.bytes_up, ==, 300 * 1024);
  g_assert_cmpuint (counters.bytes_down, ==, 300 * 1024);
  g_assert_cmpuint (counters.connections, ==, 1);
  g_assert_cmpuint (counters.cuts, ==, 0);
  g_assert_cmpuint (dft_fault_proxy_get_open_connections (proxy), ==, 1);

  /* The client's close reaches the server and back: the connection ends. */
  g_socket_close (socket, NULL);
  for (guint i = 0; i < 2000 && dft_fault_proxy_get_open_connections (proxy) > 0; i++)
    g_usleep (1000);
  g_assert_cmpuint (dft_fault_proxy_get_open_connections (proxy), ==, 0);
}

static void
test_proxy_delay (void)
{
  g_autoptr (GError)        error = NULL;
  g_autoptr (TestServer)    server = test_server_new (SERVER_ECHO, 0);
  g_autoptr (DftFaultProxy) proxy = dft_fault_proxy_new (server->port, &error);
  g_autoptr (GSocket)       socket = NULL;
  gint64                    start;

  g_assert_no_error (error);
  socket = connect_to (dft_fault_proxy_get_port (proxy));

  start = g_get_monotonic_time ();
  echo_round_trip (socket, 10, 10);
  g_assert_cmpfloat (elapsed_s (start), <, 0.1);

  dft_fault_proxy_set_delay (proxy, 100, 150);
  for (guint i = 0; i < 3; i++)
    {
      start = g_get_monotonic_time ();
      echo_round_trip (socket, 10, 10);
      g_assert_cmpfloat (elapsed_s (start), >=, 0.25);
      g_assert_cmpfloat (elapsed_s (start), <, 2.0);
    }
}

static void
test_proxy_rate (void)
{
  g_autoptr (GError)        error = NULL;
  g_autoptr (TestServer)    echo = test_server_new (SERVER_ECHO, 0);
  g_autoptr (TestServer)    source = test_server_new (SERVER_SOURCE, 16000);
  g_autoptr (DftFaultProxy) up = dft_fault_proxy_new (echo->port, &error);
  g_autoptr (DftFaultProxy) down = dft_fault_proxy_new (source->port, &error);
  g_autoptr (GSocket)       socket = NULL;
  g_autofree guint8        *data = g_malloc (20000);
  gint64                    start;

  g_assert_no_error (error);

  /* 64 kbit/s would be 8000 B/s; twice that keeps the test short. 16000 bytes
   * at 16000 B/s take about a second whichever way the limit applies. */
  dft_fault_proxy_set_rate (up, 16000, 0);
  socket = connect_to (dft_fault_proxy_get_port (up));
  start = g_get_monotonic_time ();
  echo_round_trip (socket, 16000, 4000);
  g_assert_cmpfloat (elapsed_s (start), >=, 0.9);
  g_assert_cmpfloat (elapsed_s (start), <, 5.0);
  g_clear_object (&socket);

  dft_fault_proxy_set_rate (down, 0, 16000);
  socket = connect_to (dft_fault_proxy_get_port (down));
  start = g_get_monotonic_time ();
  g_assert_cmpuint (receive_up_to (socket, data, 20000), ==, 16000);
  g_assert_cmpfloat (elapsed_s (start), >=, 0.9);
  g_assert_cmpfloat (elapsed_s (start), <, 5.0);
  for (gsize i = 0; i < 16000; i++)
    g_assert_cmpuint (data[i], ==, pattern_at (i));
}

static void
test_proxy_cut (void)
{
  g_autoptr (GError)        error = NULL;
  g_autoptr (TestServer)    source = test_server_new (SERVER_SOURCE, 100000);
  g_autoptr (TestServer)    echo = test_server_new (SERVER_ECHO, 0);
  g_autoptr (DftFaultProxy) proxy = dft_fault_proxy_new (source->port, &error);
  g_autoptr (DftFaultProxy) echo_proxy = dft_fault_proxy_new (echo->port, &error);
  g_autoptr (GSocket)       socket = NULL;
  g_autofree guint8        *data = g_malloc (100000);
  DftFaultProxyCounters     counters;
  gsize                     got;

  g_assert_no_error (error);

  /* One direction: the client gets exactly the first 3000 bytes, then the end. */
  dft_fault_proxy_set_cut_after (proxy, 3000);
  for (guint round = 0; round < 2; round++)
    {
      socket = connect_to (dft_fault_proxy_get_port (proxy));
      g_assert_cmpuint (receive_up_to (socket, data, 100000), ==, 3000);
      for (gsize i = 0; i < 3000; i++)
        g_assert_cmpuint (data[i], ==, pattern_at (i));
      g_clear_object (&socket);
    }
  dft_fault_proxy_get_counters (proxy, &counters);
  g_assert_cmpuint (counters.connections, ==, 2);
  g_assert_cmpuint (counters.cuts, ==, 2);
  g_assert_cmpuint (counters.bytes_down, ==, 6000);
  g_assert_cmpuint (counters.bytes_up, ==, 0);

  /* Both directions count: what went up plus what came back is exactly the limit. */
  dft_fault_proxy_set_cut_after (echo_proxy, 3000);
  socket = connect_to (dft_fault_proxy_get_port (echo_proxy));
  for (gsize i = 0; i < 2000; i++)
    data[i] = pattern_at (i);
  send_all (socket, data, 2000);
  got = receive_up_to (socket, data, 100000);
  dft_fault_proxy_get_counters (echo_proxy, &counters);
  g_assert_cmpuint (counters.cuts, ==, 1);
  g_assert_cmpuint (counters.bytes_up + counters.bytes_down, ==, 3000);
  g_assert_cmpuint (got, ==, counters.bytes_down);
  g_assert_cmpuint (got, >=, 1000);
  for (gsize i = 0; i < got; i++)
    g_assert_cmpuint (data[i], ==, pattern_at (i));
}

static void
test_proxy_refuse (void)
{
  g_autoptr (GError)        error = NULL;
  g_autoptr (TestServer)    server = test_server_new (SERVER_ECHO, 0);
  g_autoptr (DftFaultProxy) proxy = dft_fault_proxy_new (server->port, &error);
  g_autoptr (GSocket)       socket = NULL;
  DftFaultProxyCounters     counters;
  guint8                    byte = 'x';

  g_assert_no_error (error);
  dft_fault_proxy_set_refuse (proxy, TRUE);
  {
    /* The reset may reach the client while it is still connecting, under load:
     * a refused connection either way. */
    g_autoptr (GInetAddress)   loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    g_autoptr (GSocketAddress) address
        = g_inet_socket_address_new (loopback, dft_fault_proxy_get_port (proxy));
    g_autoptr (GError) connect_error = NULL;

    socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
    g_socket_set_timeout (socket, 10);
    if (g_socket_connect (socket, address, NULL, &connect_error))
      {
        g_socket_send (socket, (const char *) &byte, 1, NULL, NULL);
        g_assert_cmpuint (receive_up_to (socket, &byte, 1), ==, 0);
      }
    else
      g_assert_error (connect_error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
    g_clear_object (&socket);
  }
  /* The proxy counts the refusal in its own thread. */
  for (guint i = 0; i < 200; i++)
    {
      dft_fault_proxy_get_counters (proxy, &counters);
      if (counters.refused == 1)
        break;
      g_usleep (10 * 1000);
    }

  dft_fault_proxy_set_refuse (proxy, FALSE);
  socket = connect_to (dft_fault_proxy_get_port (proxy));
  echo_round_trip (socket, 100, 100);

  dft_fault_proxy_get_counters (proxy, &counters);
  g_assert_cmpuint (counters.refused, ==, 1);
  g_assert_cmpuint (counters.connections, ==, 1);
}

static void
test_proxy_pause (void)
{
  g_autoptr (GError)        error = NULL;
  g_autoptr (TestServer)    server = test_server_new (SERVER_ECHO, 0);
  g_autoptr (DftFaultProxy) proxy = dft_fault_proxy_new (server->port, &error);
  g_autoptr (GSocket)       socket = NULL;
  guint8                    byte = 'x';
  gssize                    n;

  g_assert_no_error (error);
  socket = connect_to (dft_fault_proxy_get_port (proxy));
  dft_fault_proxy_set_paused (proxy, TRUE);
  send_all (socket, &byte, 1);

  /* A stalled link: nothing comes back, and the connection stays open. */
  g_socket_set_timeout (socket, 1);
  n = g_socket_receive (socket, (char *) &byte, 1, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpint (n, ==, -1);
  g_clear_error (&error);
  g_assert_cmpuint (dft_fault_proxy_get_open_connections (proxy), ==, 1);

  dft_fault_proxy_set_paused (proxy, FALSE);
  g_socket_set_timeout (socket, 10);
  g_assert_cmpuint (receive_up_to (socket, &byte, 1), ==, 1);
  g_assert_cmpuint (byte, ==, 'x');
}

static void
test_proxy_free_closes (void)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (TestServer) server = test_server_new (SERVER_ECHO, 0);
  DftFaultProxy         *proxy = dft_fault_proxy_new (server->port, &error);
  g_autoptr (GSocket)    socket = NULL;
  guint8                 byte;

  g_assert_no_error (error);
  socket = connect_to (dft_fault_proxy_get_port (proxy));
  dft_fault_proxy_set_delay (proxy, 5000, 5000);
  send_all (socket, (const guint8 *) "x", 1);
  /* Bytes still held for their delay do not keep it alive: freeing it stops it. */
  dft_fault_proxy_free (proxy);
  g_assert_cmpuint (receive_up_to (socket, &byte, 1), ==, 0);
}

int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);

  g_test_add_func ("/fault-proxy/passes-bytes", test_proxy_passes_bytes);
  g_test_add_func ("/fault-proxy/delay", test_proxy_delay);
  g_test_add_func ("/fault-proxy/rate", test_proxy_rate);
  g_test_add_func ("/fault-proxy/cut", test_proxy_cut);
  g_test_add_func ("/fault-proxy/refuse", test_proxy_refuse);
  g_test_add_func ("/fault-proxy/pause", test_proxy_pause);
  g_test_add_func ("/fault-proxy/free-closes", test_proxy_free_closes);

  return g_test_run ();
}
