/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * A TCP proxy on 127.0.0.1 that makes a loopback link behave like a bad one:
 * latency, a slow line, connections cut part way through, connections
 * refused, a link that stalls. It runs in a thread of its own with its own
 * main context, so a test may block on a client call while it forwards.
 * Every knob may be turned at any time from any thread; freeing it stops it.
 */
typedef struct _DftFaultProxy DftFaultProxy;

typedef struct
{
  guint64 bytes_up;    /* client to upstream, as delivered */
  guint64 bytes_down;  /* upstream to client, as delivered */
  guint   connections; /* accepted and forwarded */
  guint   refused;     /* accepted and reset because refusing was on */
  guint   cuts;        /* connections closed by the cut-after knob */
} DftFaultProxyCounters;

/* Listens on an ephemeral port of 127.0.0.1 and forwards to 127.0.0.1:@upstream_port. */
DftFaultProxy *dft_fault_proxy_new (guint16 upstream_port, GError **error);
/* The same on @listen_port (0 for an ephemeral one). */
DftFaultProxy         *
dft_fault_proxy_new_full (guint16 listen_port, guint16 upstream_port, GError **error);
void    dft_fault_proxy_free (DftFaultProxy *self);
guint16 dft_fault_proxy_get_port (DftFaultProxy *self);

/* Added one-way latency in milliseconds for each direction. */
void dft_fault_proxy_set_delay (DftFaultProxy *self, guint up_ms, guint down_ms);
/* Throughput per direction in bytes per second, 0 for no limit (64 kbit/s is 8000). */
void dft_fault_proxy_set_rate (DftFaultProxy *self, guint64 up_bps, guint64 down_bps);
/* Closes each connection once @bytes (both directions together) have passed; 0 never. */
void dft_fault_proxy_set_cut_after (DftFaultProxy *self, guint64 bytes);
/* New connections are accepted and reset at once, as a firewall or dead host would. */
void dft_fault_proxy_set_refuse (DftFaultProxy *self, gboolean refuse);
/* Holds every byte without forwarding it and keeps connections open: a stalled link. */
void dft_fault_proxy_set_paused (DftFaultProxy *self, gboolean paused);

void dft_fault_proxy_get_counters (DftFaultProxy *self, DftFaultProxyCounters *counters);
void dft_fault_proxy_reset_counters (DftFaultProxy *self);
/* Connections open right now. */
guint dft_fault_proxy_get_open_connections (DftFaultProxy *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftFaultProxy, dft_fault_proxy_free)

G_END_DECLS
