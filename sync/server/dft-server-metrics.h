/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * What the server counts for whoever runs it, served as Prometheus text at
 * GET /metrics: requests by endpoint and status, changes applied, devices
 * seen, and how long pushes and pulls take. Counts only: nothing in them names
 * a person or a device. Safe from any thread.
 */
typedef struct _DftServerMetrics DftServerMetrics;

DftServerMetrics *dft_server_metrics_new (void);
void              dft_server_metrics_free (DftServerMetrics *metrics);

/* One request answered: @endpoint is the route's path ("sync", "pull", … or "other"), @status
 * its HTTP status (0 when the client cut it), @seconds how long it took, @device_id whose it
 * was (NULL when none). */
void dft_server_metrics_request (DftServerMetrics *metrics,
                                 const char       *endpoint,
                                 guint             status,
                                 double            seconds,
                                 const char       *device_id);
/* Changes a push or a sync applied, and those it found it held already. */
void dft_server_metrics_changes (DftServerMetrics *metrics, guint applied, guint duplicates);
/* Requests refused by the rate limit. */
void dft_server_metrics_limited (DftServerMetrics *metrics);
/* Records the purge removed (sync/PROTOCOL.md, "Purge"): people, with their marks and
 * enrollments. */
void dft_server_metrics_purged (DftServerMetrics *metrics, guint records);

/* The exposition text (text/plain; version=0.0.4). */
char *dft_server_metrics_text (DftServerMetrics *metrics);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftServerMetrics, dft_server_metrics_free)

G_END_DECLS
