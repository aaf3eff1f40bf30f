/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "dft-wire.h"

G_BEGIN_DECLS

/*
 * The column format of sync/PROTOCOL.md ("The column format"): a batch of
 * changes laid out by column (ids and field names once per batch, clocks as
 * deltas) and compressed with zstd and a dictionary trained on Daftari's own
 * batches, which both sides carry. JSON stays the readable format; this one is
 * for bytes on the wire.
 */

#define DFT_WIRE_COLS_MEDIA_TYPE "application/vnd.daftari.changes" /* Content-Type of a frame */
#define DFT_WIRE_COLS_VERSION    1 /* format+dictionary version; a decoder names what it takes */
/*
 * Beside @max_changes, a frame may hold at most this many field values and bases per change
 * it is allowed: the same bound DFT_WIRE_MAX_PUSH_VALUES puts on a JSON push, since each one
 * is an object the decoder builds.
 */
#define DFT_WIRE_COLS_VALUES_PER_CHANGE 64

/* @changes holds DftChange; @extra's members are carried as they are (as for
 * dft_wire_encode_batch(), less "server" and "protocol", which the frame's own header says). */
GBytes *dft_wire_cols_encode (GPtrArray *changes, JsonObject *extra);
/* Checks what dft_wire_decode_batch() checks; *top holds @extra's members. Refuses frames that
 * are too large or hold more than @max_changes changes (0: no limit) before building any. */
GPtrArray          *
dft_wire_cols_decode (GBytes *frame, guint max_changes, JsonObject **top, GError **error);
gboolean dft_wire_cols_is_frame (GBytes *data);

/*
 * The zstd levels sync uses, chosen by measuring (bench-wire): past level 6 a page of 4096
 * changes costs many times the time for a few percent fewer bytes, while a payload under
 * DFT_WIRE_COLS_SMALL bytes (a push of a few changes, a reply) takes well under a millisecond
 * at the highest level, where every byte shows.
 */
#define DFT_WIRE_COLS_LEVEL       6
#define DFT_WIRE_COLS_LEVEL_SMALL 19
#define DFT_WIRE_COLS_SMALL       (16 * 1024)

/* For bench-wire and the dictionary trainer (bench/train-wire-dict.c), not for sync itself. */
/* The frame's contents before compression. */
GBytes *_dft_wire_cols_payload (GPtrArray *changes, JsonObject *extra);
/* As dft_wire_cols_encode(), at another compression level. */
GBytes *_dft_wire_cols_encode_level (GPtrArray *changes, JsonObject *extra, int level);
/* The shipped dictionary of DFT_WIRE_COLS_VERSION, and the id zstd knows it by. */
GBytes *_dft_wire_cols_dictionary (guint *dict_id);

G_END_DECLS
