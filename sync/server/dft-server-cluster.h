/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sqlite3.h>

#include "dft-server-cluster-files.h"
#include "dft-server-sql.h"
#include "dft-store.h"

G_BEGIN_DECLS

/*
 * Several server processes over one PostgreSQL ("cluster=yes" beside storage=postgresql://…,
 * sync/PROTOCOL.md, "Several server processes"). PostgreSQL holds the one ordered change log
 * of the register (table register_log) and the epoch (register_state); each process's
 * records.db is a replica of it that the push and pull code reads and writes as it always
 * does. A position in the log is a register_log seq, the same change in every process, so a
 * device's cursor from one process is good on any other.
 *
 * Writes go one at a time across the processes: a push runs between
 * dft_server_cluster_push_begin(), which takes a PostgreSQL advisory lock for the length of a
 * transaction and brings the replica up to the log's end, and dft_server_cluster_push_commit(),
 * which copies what the push appended to the replica into register_log and commits. Pulls
 * bring the replica up to date first (dft_server_cluster_catch_up()).
 *
 * Thread-safe: one connection, used under a lock of its own, held from push_begin to its
 * commit or abort.
 */

typedef struct _DftServerCluster DftServerCluster;

/* Connects to @uri and makes the tables if missing. */
DftServerCluster *dft_server_cluster_open (const char *uri, GError **error);
void              dft_server_cluster_free (DftServerCluster *cluster);
/*
 * Whether @store, a replica, holds what the log lacks: left ahead by a push whose commit to
 * PostgreSQL failed, or data from before the cluster. Such a replica is to be made again from
 * the log, from an empty store. When the log holds only what migrate-storage moved into it, the
 * epoch it moved goes too: the register was served on alone after the copy.
 */
gboolean dft_server_cluster_check_replica (DftServerCluster *cluster,
                                           DftStore         *store,
                                           gboolean         *ahead,
                                           GError          **error);
/* The cluster's one bundle key pair (a server's, dft_bundle_ensure_box_key()), put in @store:
 * the first process to ask shares the one its replica holds, or makes. */
gboolean
dft_server_cluster_share_box_secret (DftServerCluster *cluster, DftStore *store, GError **error);
/* The people a server alone purged before its register moved here (register_purged and
 * register_purged_origin, dft_server_cluster_copy_register()), kept in @store
 * (dft_store_take_purged()): a replica made from the log, which lacks their changes, sets a
 * late change to one aside and tells a device that holds one to let them go, as the server
 * alone did. Once, before the process serves: nothing else writes those tables. */
gboolean
dft_server_cluster_take_purged (DftServerCluster *cluster, DftStore *store, GError **error);
/* The cluster's epoch: the first process to ask makes it. */
char *dft_server_cluster_epoch (DftServerCluster *cluster, GError **error);
/*
 * A new epoch for the whole cluster ("admin new-epoch", or a device that holds more than the
 * shared log: it was put back from an earlier copy). Every process takes it up at its next
 * catch-up (dft_server_cluster_dup_epoch()), and every device then sends again what it holds.
 * @in_push: called between push_begin() and its end, in that push's transaction.
 */
char *dft_server_cluster_new_epoch (DftServerCluster *cluster, gboolean in_push, GError **error);
/* The epoch as the last catch-up or push_begin() read it, or NULL before any. */
char *dft_server_cluster_dup_epoch (DftServerCluster *cluster);
/* A new scope mark for the team @team_id, to which "admin move-event" gave a workshop: every
 * process takes it up at its next catch-up, and the team's devices pull again from the start
 * (dft_scope_note_move() is a lone server's). */
gboolean
dft_server_cluster_note_move (DftServerCluster *cluster, const char *team_id, GError **error);
/* Applies to @store what the log holds past it, and takes up the epoch and scope marks. */
gboolean dft_server_cluster_catch_up (DftServerCluster *cluster, DftStore *store, GError **error);
/* Takes the cluster's write lock and brings @store to the log's end; on success the caller
 * ends with push_commit() or push_abort(). */
gboolean dft_server_cluster_push_begin (DftServerCluster *cluster, DftStore *store, GError **error);
/* Adds to the log what @store gained since push_begin() and lets the lock go. A failure with
 * *ahead TRUE left the replica ahead of the log: it is marked so, and the process must stop
 * serving (see dft-server-cluster.c); with *ahead FALSE the push added nothing. */
gboolean dft_server_cluster_push_commit (DftServerCluster *cluster,
                                         DftStore         *store,
                                         gboolean         *ahead,
                                         GError          **error);
void     dft_server_cluster_push_abort (DftServerCluster *cluster);
/* Keeps @change (a DftChange), which a push set aside for @reason, where every process finds
 * it; between push_begin() and its end. */
gboolean dft_server_cluster_push_set_aside (DftServerCluster *cluster,
                                            const char       *device_id,
                                            gpointer          change,
                                            const char       *reason,
                                            GError          **error);
/*
 * "admin restore" in a cluster (dft-server-backup.c). count_serving() gives the connections
 * serving processes hold to the shared database now, which must be none: each process holds a
 * replica of the log a restore replaces. set_aside_mark() is the last change set aside
 * so far, read before the restore; restored(), after it, gives the cluster a new epoch and has
 * changes set aside from now on numbered past @set_aside_mark, since a replica may have taken
 * up to it; both in one transaction. Returns the epoch.
 */
gint64 dft_server_cluster_count_serving (DftServerCluster *cluster, GError **error);
gint64 dft_server_cluster_set_aside_mark (DftServerCluster *cluster, GError **error);
char *
dft_server_cluster_restored (DftServerCluster *cluster, gint64 set_aside_mark, GError **error);
/* The bytes of attached files, shared by the processes. */
DftServerClusterFiles *dft_server_cluster_get_files (DftServerCluster *cluster);

/*
 * "admin migrate-storage": the register of a server that served alone, @source (its
 * records.db, read in a transaction the caller holds), copied into the empty register_log of
 * @sql, a PostgreSQL connection in a transaction the caller commits, at the same positions,
 * with its epoch (*epoch_kept; not the epoch of a register put back from a backup, which takes
 * a new one) and its last given position, so that devices go on from their cursors; and the
 * log's end then, for dft_server_cluster_check_replica(). The tables
 * are made if missing; refused when they hold anything. Checked before returning: the count
 * and SHA-256 of the entries as both read them, appended to @report as
 * "register_log\tROWS\tsha256:HEX"; then the changes set aside, checked and reported so as
 * "register_set_aside", the ids of people purged and the numbers of changes that left the log
 * with them ("register_purged", "register_purged_origin"), and the files held whole
 * (dft_server_cluster_files_copy()).
 */
gboolean dft_server_cluster_copy_register (
    DftServerSql *sql, sqlite3 *source, GString *report, gboolean *epoch_kept, GError **error);

G_END_DECLS
