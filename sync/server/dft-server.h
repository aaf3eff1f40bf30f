/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dft-server-config.h"
#include "dft-server-db.h"
#include "dft-store.h"

G_BEGIN_DECLS

/*
 * daftari-server: the sync protocol of sync/PROTOCOL.md over libsoup 3.
 *
 * Health is answered in the main loop at once; every other request is
 * paused while a worker thread does its database work, so a big push being
 * applied never keeps the server from answering.
 */

#define DFT_TYPE_SERVER (dft_server_get_type ())
G_DECLARE_FINAL_TYPE (DftServer, dft_server, DFT, SERVER, GObject)

/* Opens the data (records.db and accounts.db in the configured folder), making them if new. */
DftServer *dft_server_new (const DftServerConfig *config, GError **error);
/* Listens, and prints "listening on URL" on standard output for each address. */
gboolean dft_server_start (DftServer *self, GError **error);
/* Runs the main loop until SIGTERM or SIGINT, finishes the requests under way, and returns 0. */
int  dft_server_run (DftServer *self);
void dft_server_stop (DftServer *self);

DftStore    *dft_server_get_store (DftServer *self);
DftServerDb *dft_server_get_db (DftServer *self);

/* The store's epoch, made when the data is created (sync/PROTOCOL.md). */
char    *dft_server_ensure_epoch (DftStore *store, GError **error);
gboolean dft_server_new_epoch (DftStore *store, char **epoch, GError **error);

/* Request logs: logfmt lines on standard error, or the journal's fields under systemd. */
void dft_server_install_log_writer (void);

G_END_DECLS
