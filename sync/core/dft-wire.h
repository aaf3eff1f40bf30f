/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The wire format of sync/PROTOCOL.md: batches of changes, compressed. */

#define DFT_WIRE_PROTOCOL  1
#define DFT_WIRE_MAX_GZIP  (4 * 1024 * 1024)
#define DFT_WIRE_MAX_JSON  (32 * 1024 * 1024)
#define DFT_WIRE_MAX_DEPTH 16
/*
 * A push holds at most this many changes, and its JSON at most this many values
 * (members and list entries, each string or number counting one): decoding
 * builds an object for each, so these bound what one push costs the server in
 * memory, whatever its bytes compress to (sync/PROTOCOL.md, "Limits").
 */
#define DFT_WIRE_MAX_PUSH_CHANGES 5000
#define DFT_WIRE_MAX_PUSH_VALUES  (DFT_WIRE_MAX_PUSH_CHANGES * 64)

#define DFT_WIRE_ERROR (dft_wire_error_quark ())

typedef enum
{
  DFT_WIRE_ERROR_INVALID, /* not a batch: the message says what is wrong */
  DFT_WIRE_ERROR_TOO_LARGE,
  DFT_WIRE_ERROR_NOT_SERVER, /* a reply that is not from a Daftari server (a captive portal) */
} DftWireError;

GQuark dft_wire_error_quark (void);

/* The kinds of record a change may be for, NULL-terminated; both formats refuse any other. */
extern const char *const dft_wire_entities[];

/* @changes holds DftChange; @extra's members (epoch, cursor, more…) are added at the top level. */
GBytes *dft_wire_encode_batch (GPtrArray *changes, JsonObject *extra);
/* Checks every type and name; on success *top holds the top-level object (for epoch, cursor…). */
GPtrArray *dft_wire_decode_batch (GBytes *json, JsonObject **top, GError **error);

gboolean dft_wire_json_depth_ok (const char *data, gsize length, guint max_depth);
gboolean dft_wire_json_has_nul (const char *data, gsize length);
/* Whether @data is UTF-8 with only the escapes JSON has, no NUL and no half characters. */
gboolean dft_wire_json_strict (const char *data, gsize length);
/* Whether @data is one JSON object or array with nothing after it but white space. */
gboolean dft_wire_json_single (const char *data, gsize length);
GBytes  *dft_wire_gzip (GBytes *data);

/* What a batch's JSON text holds, counted without building anything. */
typedef struct
{
  gsize   bytes;   /* of JSON text */
  guint64 values;  /* members and list entries, at any depth */
  guint64 changes; /* objects that are entries of a top-level list: at most the changes */
  /* private */
  guint    depth;
  gboolean in_string;
  gboolean escaped;
} DftWireCount;

void dft_wire_count_feed (DftWireCount *count, const char *data, gsize length);
/* Counts the JSON text that @body (gzip when @gzip) holds, inflating it a piece at a time and
 * keeping none of it; fails like dft_wire_gunzip() past @max_size. */
gboolean dft_wire_count_body (
    GBytes *body, gboolean gzip, gsize max_size, DftWireCount *count, GError **error);
GBytes *dft_wire_gunzip (GBytes *data, gsize max_size, GError **error);

G_END_DECLS
