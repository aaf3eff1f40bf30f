/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include "dft-fault-proxy.h"

/*
 * fault-proxy: the test suite's fault-injecting TCP proxy as a program, for
 * benchmarks and for trying the app on a bad link by hand. Loopback only; it
 * runs until interrupted and then prints what passed.
 */

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char *argv[])
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError)         error = NULL;
  g_autoptr (GMainLoop)      loop = NULL;
  g_autoptr (DftFaultProxy)  proxy = NULL;
  DftFaultProxyCounters      counters;
  int                        listen_port = 0;
  int                        upstream_port = 0;
  int                        delay_ms = 0;
  gint64                     rate = 0;
  gint64                     cut_every = 0;
  gboolean                   refuse = FALSE;
  const GOptionEntry         entries[]
      = { { "listen-port", 0, 0, G_OPTION_ARG_INT, &listen_port,
            "Port on 127.0.0.1 to listen on (0: any)", "P" },
          { "upstream-port", 0, 0, G_OPTION_ARG_INT, &upstream_port,
            "Port on 127.0.0.1 to forward to", "U" },
          { "delay-ms", 0, 0, G_OPTION_ARG_INT, &delay_ms,
            "Added one-way latency in each direction", "MS" },
          { "rate", 0, 0, G_OPTION_ARG_INT64, &rate,
            "Bytes per second in each direction (8000 is 64 kbit/s; 0: no limit)", "BYTES" },
          { "cut-every", 0, 0, G_OPTION_ARG_INT64, &cut_every,
            "Close each connection after this many bytes (0: never)", "BYTES" },
          { "refuse", 0, 0, G_OPTION_ARG_NONE, &refuse, "Reset every connection at once", NULL },
          { NULL } };

  setlocale (LC_ALL, "");
  context = g_option_context_new ("- a fault-injecting TCP proxy on 127.0.0.1");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("fault-proxy: %s\n", error->message);
      return 2;
    }
  if (upstream_port <= 0 || upstream_port > 65535 || listen_port < 0 || listen_port > 65535
      || delay_ms < 0 || rate < 0 || cut_every < 0)
    {
      g_printerr ("fault-proxy: --upstream-port is required; ports are 1-65535, "
                  "other values not negative\n");
      return 2;
    }

  proxy = dft_fault_proxy_new_full ((guint16) listen_port, (guint16) upstream_port, &error);
  if (proxy == NULL)
    {
      g_printerr ("fault-proxy: %s\n", error->message);
      return 1;
    }
  dft_fault_proxy_set_delay (proxy, (guint) delay_ms, (guint) delay_ms);
  dft_fault_proxy_set_rate (proxy, (guint64) rate, (guint64) rate);
  dft_fault_proxy_set_cut_after (proxy, (guint64) cut_every);
  dft_fault_proxy_set_refuse (proxy, refuse);

  /* Scripts read the port from the first line. */
  printf ("%u\n", dft_fault_proxy_get_port (proxy));
  fflush (stdout);

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_main_loop_run (loop);

  dft_fault_proxy_get_counters (proxy, &counters);
  g_printerr ("fault-proxy: %u connections, %u cut, %u refused, %" G_GUINT64_FORMAT
              " bytes up, %" G_GUINT64_FORMAT " bytes down\n",
              counters.connections, counters.cuts, counters.refused, counters.bytes_up,
              counters.bytes_down);
  return 0;
}
