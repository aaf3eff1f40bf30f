/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/*
 * The store's own header: DftStore's struct and the functions its files share
 * (dft-store.c opening and the main loop, dft-store-check.c, dft-store-read.c,
 * dft-store-validate.c, dft-store-write.c, dft-store-sync.c, dft-store-conflicts.c). Nothing
 * outside those files includes it.
 */

#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "dft-hlc.h"
#include "dft-merge.h"
#include "dft-store-private.h"

G_BEGIN_DECLS

#define BUSY_TIMEOUT_MS 5000

#define DFT_STORE_RECENT_STATEMENTS 64

struct _DftStore
{
  GObject parent_instance;

  char          *path;
  sqlite3       *db;
  char          *device_id;
  GPtrArray     *retired_ids; /* earlier device ids, kept for callers still holding one */
  DftHlc         clock;
  _Atomic gint64 wall_offset_ms; /* tests only: a laptop whose date is wrong */
  GRecMutex      lock;
  GHashTable    *statements; /* SQL text -> prepared sqlite3_stmt */
  struct
  {
    const char   *sql; /* the caller's pointer */
    const char   *key; /* the text, owned by @statements */
    sqlite3_stmt *stmt;
  } recent[DFT_STORE_RECENT_STATEMENTS]; /* see _dft_store_cached_statement() */
  GMainContext  *context;                /* where "changed" is emitted */
  GMutex         queue_lock;             /* guards @queued and @checkpointer */
  GPtrArray     *queued; /* GSources waiting in @context, each holding the store weakly */
  int            schema_version;
  gint           checkpointing;    /* atomic: a checkpoint is under way */
  GThread       *checkpointer;     /* the last checkpoint's thread, joined before the next */
  gint           checkpoint_armed; /* atomic: a quiet-time checkpoint is waiting */
  gint           damaged;          /* atomic: a check found damage; no more writes */
  _Atomic gint64 last_commit_usec;
  gboolean       place_watched; /* see dft_store_check_place() */
  gboolean       merges_off;    /* a server's: see dft_store_set_derives_merges() */
};

/* dft-store.c */
typedef gboolean (*StoreSourceFunc) (DftStore *self, gpointer data);

void _dft_store_queue_in_context (
    DftStore *self, GSource *source, StoreSourceFunc func, gpointer data, GDestroyNotify notify);
void     _dft_store_run_in_context (DftStore       *self,
                                    StoreSourceFunc func,
                                    gpointer        data,
                                    GDestroyNotify  notify);
void     _dft_store_emit_changed (DftStore *self, GPtrArray *batch);
gboolean _dft_store_notify_damaged_cb (DftStore *self, gpointer data);
/* FALSE with @error set when a check found the database damaged: nothing is written to it. */
gboolean      _dft_store_may_write (DftStore *self, GError **error);
sqlite3_stmt *_dft_store_cached_statement (DftStore *self, const char *sql, GError **error);
char         *_dft_store_now_stamp (void);
gboolean      _dft_store_query_int (sqlite3 *db, const char *sql, int *out, GError **error);

/* dft-store-check.c */
int _dft_store_wal_hook_cb (void *data, sqlite3 *db, const char *name, int pages);

/* dft-store-validate.c */
gboolean _dft_store_parse_date (const char *text, GDate *date);
void     _dft_store_normalize_fields (DftRecord *record, gboolean only_changed);
gboolean _dft_store_validate_record (DftStore *self, DftRecord *record, GError **error);
gboolean _dft_store_stored_status_is_final (DftStore *self, const char *id);
gboolean _dft_store_stored_conflict_is_resolved (DftStore *self, const char *id);

/* dft-store-write.c */
JsonNode *_dft_store_value_to_json (const DftField *field, const GValue *value);
gboolean
_dft_store_write_row (DftStore *self, DftRecord *record, const char *stamp, GError **error);
gboolean _dft_store_read_field_version (DftStore   *self,
                                        const char *entity,
                                        const char *id,
                                        const char *field,
                                        DftVersion *version,
                                        DftVersion *base,
                                        GError    **error);
GHashTable *
_dft_store_read_field_versions (DftStore *self, const char *entity, const char *id, GError **error);
void     _dft_store_held_field_version (GHashTable *versions,
                                        const char *field,
                                        DftVersion *version,
                                        DftVersion *base);
gboolean _dft_store_write_field_version (DftStore   *self,
                                         const char *entity,
                                         const char *id,
                                         const char *field,
                                         DftHlcValue hlc,
                                         const char *device,
                                         const char *base,
                                         GError    **error);
gboolean _dft_store_append_change (DftStore *self, DftChange *change, GError **error);
gboolean _dft_store_update_person_key (DftStore *self, DftRecord *record, GError **error);
gboolean _dft_store_commit_conflicts (DftStore   *self,
                                      GPtrArray  *conflicts,
                                      const char *stamp,
                                      gint64      wall_ms,
                                      GPtrArray  *written,
                                      GPtrArray  *made,
                                      guint      *n_made,
                                      GError    **error);

/* dft-store-merges.c */
gboolean   _dft_store_refresh_merges_locked (DftStore *self, GPtrArray *written, GError **error);
GPtrArray *_dft_store_attendance_twins (DftStore   *self,
                                        const char *session_id,
                                        const char *person_id,
                                        const char *except_id,
                                        GError    **error);
gboolean   _dft_store_origin_person (
      DftStore *self, const DftEntity *entity, const char *id, char **out, GError **error);
gboolean _dft_store_names_person (const DftEntity *entity);

/* dft-store-sync.c */
gboolean   _dft_store_json_to_value (const DftField *field, JsonNode *node, GValue *value);
gint64     _dft_store_origin_high_locked (DftStore *self, const char *device_id, GError **error);
DftRecord *_dft_store_make_conflict (const char       *entity,
                                     const char       *record_id,
                                     const char       *field,
                                     JsonNode         *lost,
                                     const DftVersion *lost_version);

G_END_DECLS
