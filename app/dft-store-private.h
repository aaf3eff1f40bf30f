/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sqlite3.h>

#include "dft-change-log.h"
#include "dft-store.h"

G_BEGIN_DECLS

typedef struct
{
  int         version;
  const char *sql;
  /* Work SQL cannot do, run inside the same transaction after sql. */
  gboolean (*post) (sqlite3 *db, GError **error);
  /* Then records rewritten through the store, as changes in the change log under this
   * device's name (see _dft_store_normalize_fields_locked()). */
  gboolean (*rewrite) (DftStore *self, GError **error);
} DftMigration;

const DftMigration *_dft_migrations (guint *n_migrations);
/* participation_tally's triggers dropped and its rows gone; made and counted again
 * (dft-migrations.c, version 10). */
extern const char _dft_tally_drop_sql[];
extern const char _dft_tally_rebuild_sql[];
/* Counts participation_tally again when a server left it uncounted (dft_store_set_keeps_tallies
 * ()); the store's lock held. */
gboolean _dft_store_ensure_tallies_locked (DftStore *self, GError **error);

/* For tests of migrations: open a database and stop after schema version @version. */
DftStore *_dft_store_open_at_version (const char *path, int version, GError **error);
sqlite3  *_dft_store_get_db (DftStore *self);

/* Rows of @entity matching @where (SQL after WHERE, with ? for each of @params). */
GPtrArray *_dft_store_query (DftStore          *self,
                             const DftEntity   *entity,
                             const char        *where,
                             const char *const *params,
                             const char        *order_by,
                             GError           **error);

/* The same, stopping after @limit rows (0: no limit). */
GPtrArray *_dft_store_query_limit (DftStore          *self,
                                   const DftEntity   *entity,
                                   const char        *where,
                                   const char *const *params,
                                   const char        *order_by,
                                   guint              limit,
                                   GError           **error);

char *_dft_store_match_expression (const char *query);

void _dft_store_lock (DftStore *self);
void _dft_store_unlock (DftStore *self);

/* dft_store_save_all() of @records, with @prepare run first inside its transaction, under the
 * lock: it reads what the write depends on, seeing every commit before it and none after, and
 * may change @batch (the records to save, in order, each with its id) before anything is
 * written. */
typedef gboolean (*DftStorePrepareFunc) (DftStore  *self,
                                         GPtrArray *batch,
                                         gpointer   user_data,
                                         GError   **error);
gboolean _dft_store_save_prepared (DftStore           *self,
                                   DftRecord         **records,
                                   guint               n_records,
                                   DftStorePrepareFunc prepare,
                                   gpointer            user_data,
                                   GError            **error);

/*
 * A server's replica of a log another holds (sync/server/dft-server-cluster.c): each of
 * @changes, in order, is applied as received and appended at its own change->seq, which must
 * rise past every position the log holds. No conflict record is made: the log being copied
 * holds the ones the replica that first applied these changes made, right after them.
 */
gboolean _dft_store_apply_at_positions (DftStore *self, GPtrArray *changes, GError **error);

/* dft_store_apply_changes(), with @then run inside its transaction after the changes are
 * applied, under the lock: what it writes commits with them, or nothing does (a server keeps
 * the changes of a push it set aside in the same transaction as the rest). */
typedef gboolean (*DftStoreThenFunc) (DftStore *self, gpointer user_data, GError **error);
gboolean _dft_store_apply_changes_then (DftStore        *self,
                                        GPtrArray       *changes,
                                        DftStoreThenFunc then,
                                        gpointer         user_data,
                                        DftApplyStats   *stats,
                                        GError         **error);

/* Gives countries and phone numbers written before they had one form that form. */
gboolean _dft_store_normalize_fields_locked (DftStore *self, GError **error);

gboolean _dft_person_update_search_key (
    sqlite3 *db, const char *id, const char *given_name, const char *family_name, GError **error);

/* Identity (dft-store-identity.c). */
void _dft_store_set_device_id (DftStore *self, const char *device_id);
/* dft_store_check_place() ran: the note beside the file is written again when it closes. */
void     _dft_store_watch_place (DftStore *self);
void     _dft_store_write_sidecar (DftStore *self);
gboolean _dft_store_remerge_ties_locked (DftStore *self, const char *device_id, GError **error);
gboolean _dft_change_matches (const DftChange *change,
                              DftHlcValue      hlc,
                              const char      *entity,
                              const char      *record_id,
                              const char      *fields);

/* Clocks. For tests: this store's wall clock runs @offset_ms ahead of the machine's (a laptop
 * whose date is wrong). */
void    _dft_store_set_wall_offset (DftStore *self, gint64 offset_ms);
DftHlc *_dft_store_get_clock (DftStore *self);

G_END_DECLS
