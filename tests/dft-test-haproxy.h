/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define DFT_TEST_HAPROXY "/usr/sbin/haproxy"

/*
 * HAProxy from Debian's haproxy package in front of daftari-server processes on loopback, as
 * tests/test-cluster.c and bench/bench-sync.c run it: round robin, each request balanced on its
 * own, in the foreground (-db), ended with its parent. Its configuration is written in @dir.
 * Returns once it answers GET /api/v1/health, with the port it listens on; fails the program if
 * it does not start within 30 s.
 */
GSubprocess *dft_test_haproxy_start (const char    *dir,
                                     const guint16 *server_ports,
                                     guint          n_servers,
                                     guint          max_connections,
                                     guint16       *port);
/* SIGTERM, then waits for it. */
void dft_test_haproxy_stop (GSubprocess *haproxy);

G_END_DECLS
