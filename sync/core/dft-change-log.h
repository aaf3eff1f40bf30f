/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "dft-hlc.h"

G_BEGIN_DECLS

/*
 * One change to one record: the fields that changed and their new values,
 * stamped with the clock and the device that made it. A delete is the field
 * "deleted" set to true (a tombstone), never a missing row.
 */
typedef struct
{
  gint64 seq;        /* position in this replica's log, set on append (the server's cursor) */
  gint64 origin_seq; /* the seq it had on the device that made it: (device_id, origin_seq)
                        names a change on every replica; equal to seq for our own */
  DftHlcValue hlc;
  char       *device_id;
  char       *entity;
  char       *record_id;
  JsonObject *fields;
  JsonObject *base; /* field -> "HLC/DEVICE" the writer had seen before, or NULL */
} DftChange;

DftChange *dft_change_new (const char *entity, const char *record_id, JsonObject *fields);
void       dft_change_free (DftChange *change);
char      *dft_change_fields_to_json (const DftChange *change);
/* What the change is, whatever name it goes by: its clock value, record and fields (in any
 * member order), as SHA-256 hex. Two changes with one name and another digest are a fork. */
char *dft_change_digest (const DftChange *change);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftChange, dft_change_free)

/* The SQL that creates the change log and sync state tables (schema version 1). */
const char *dft_change_log_schema_sql (void);

const char *dft_change_log_schema_v4_sql (void);
const char *dft_change_log_insert_sql (void);
const char *dft_change_log_insert_received_sql (void);
gboolean    dft_change_log_append (sqlite3 *db, DftChange *change, GError **error);
gboolean
dft_change_log_append_with (sqlite3 *db, sqlite3_stmt *insert, DftChange *change, GError **error);
GPtrArray *dft_change_log_read (sqlite3    *db,
                                gint64      after_seq,
                                guint       limit,
                                const char *only_device,
                                const char *exclude_device,
                                GError    **error);
GPtrArray *dft_change_log_read_since (sqlite3 *db, gint64 after_seq, guint limit, GError **error);
gint64     dft_change_log_last_seq (sqlite3 *db, GError **error);
gint64
dft_change_log_count_for (sqlite3 *db, const char *entity, const char *record_id, GError **error);
gboolean dft_change_log_load_clock (sqlite3 *db, DftHlc *hlc, GError **error);

char    *dft_sync_state_get (sqlite3 *db, const char *key, GError **error);
gboolean dft_sync_state_set (sqlite3 *db, const char *key, const char *value, GError **error);

G_END_DECLS
