/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dft-server-db.h"
#include "dft-server.h"
#include "dft-store.h"

G_BEGIN_DECLS

/*
 * Tombstones purged by the horizon rule (DESIGN.md; sync/PROTOCOL.md, "Purge"). A device that
 * pulls after position N holds everything up to N: the server keeps that position per device
 * (sync state "pulled:DEVICE" of the register store). The horizon is those positions of the
 * devices enrolled, not revoked and whose token has not expired (a device that never pulled
 * counts as 0): a deleted person is purged once each such device holds all of their changes,
 * those at or below its position and its own (its pulls skip its own).
 */

/* The devices that count, each with the position it pulled after, as the JSON object
 * dft_store_purge_deleted() takes; *lowest the lowest of them (with no device that counts, the
 * last position the log gave). */
gboolean dft_server_purge_positions (
    DftStore *store, DftServerDb *db, char **positions, gint64 *lowest, GError **error);
/* Purges what the horizon lets go (@dry_run: only counts it); *lowest as above. */
gboolean dft_server_purge_run (DftStore      *store,
                               DftServerDb   *db,
                               gboolean       dry_run,
                               gint64        *lowest,
                               DftPurgeStats *stats,
                               GError       **error);

/* A pull's "resync" names at most this many people; the rest come with the next page. */
#define DFT_SERVER_RESYNC_MAX 2000
/* POST purged asks about at most this many people (within SMALL_BODY_MAX). */
#define DFT_SERVER_PURGED_ASK_MAX 1000

/* In the running server: a pull after @after by @device_id, noted in memory and written with
 * the next purge or within a minute (any thread). */
void _dft_server_note_pulled (DftServer *self, const char *device_id, gint64 after);
/* The purge at start and every few hours, and the minute's writing of pulled positions, in a
 * worker under push_lock; stop waits for a worker under way and writes what is left. */
void _dft_server_purge_start (DftServer *self);
void _dft_server_purge_stop (DftServer *self);

G_END_DECLS
