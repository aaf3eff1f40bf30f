/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sqlite3.h>

#include "dft-server-sql.h"
#include "dft-store.h"

G_BEGIN_DECLS

/*
 * The bytes of attached files in a cluster (dft-server-cluster.h; sync/PROTOCOL.md,
 * "Attachments"). A device's pieces may reach a different process each (a balancer spreads
 * requests one by one), and the device that downloads the file may ask yet another: so the
 * pieces go to PostgreSQL as they arrive (table register_file_part, one row a piece), and a
 * file whose bytes were checked against its hash has a row in register_file. A process that
 * lacks a file copies it from there into its own store, a piece at a time, and serves it from
 * its disk as a lone server does. Who may see a file is the caller's to check, on the replica.
 *
 * Thread-safe: a connection of its own, apart from the change log's, so that a big file does
 * not hold up pushes; used under a lock of its own.
 */

typedef struct _DftServerClusterFiles DftServerClusterFiles;

typedef enum
{
  DFT_CLUSTER_PIECE_KEPT,        /* kept; more to come */
  DFT_CLUSTER_PIECE_COMPLETE,    /* the file is whole and checked (or was already) */
  DFT_CLUSTER_PIECE_WRONG_START, /* not where the received bytes end: nothing kept */
  DFT_CLUSTER_PIECE_DAMAGED,     /* whole, but not the bytes the hash names: all thrown away */
} DftClusterPiece;

/* Connects to @uri; the tables are made by dft_server_cluster_files_schema(). */
DftServerClusterFiles *dft_server_cluster_files_open (const char *uri, GError **error);
void                   dft_server_cluster_files_free (DftServerClusterFiles *files);
/* The tables, in a transaction already open on the change log's connection. */
const char *dft_server_cluster_files_schema (void);

/* Whether the shared database holds the file whole (*size its size), and otherwise how many of
 * its bytes were received (*size; 0 when none). */
gboolean dft_server_cluster_files_received (DftServerClusterFiles *files,
                                            const char            *sha256,
                                            gboolean              *whole,
                                            gint64                *size,
                                            GError               **error);
/* Keeps @data, the piece of the file at @start, of @size bytes in all, as
 * dft_store_add_attachment_piece() does; *received gets the bytes held after it (the whole size
 * when complete). Failures are the database's (DFT_SERVER_SQL_ERROR_UNAVAILABLE when it does
 * not answer): nothing of the piece was kept. */
gboolean dft_server_cluster_files_add_piece (DftServerClusterFiles *files,
                                             const char            *sha256,
                                             gint64                 start,
                                             GBytes                *data,
                                             gint64                 size,
                                             const char            *media_type,
                                             const char            *file_name,
                                             DftClusterPiece       *outcome,
                                             gint64                *received,
                                             GError               **error);
/* Copies the file into @store when the shared database holds it whole (*found), resuming from
 * the bytes @store holds of it already. The caller keeps other writers of the file's pieces
 * in @store away meanwhile. */
gboolean dft_server_cluster_files_fetch (DftServerClusterFiles *files,
                                         DftStore              *store,
                                         const char            *sha256,
                                         gboolean              *found,
                                         GError               **error);

/* Copies the file @sha256, which @store holds whole, into the shared database, unless it holds
 * it whole already, a piece at a time from where the bytes it received end. */
gboolean dft_server_cluster_files_put (DftServerClusterFiles *files,
                                       DftStore              *store,
                                       const char            *sha256,
                                       GError               **error);
/*
 * "admin migrate-storage" (dft_server_cluster_copy_register()): the files a server that served
 * alone holds whole (table attachment of @source, its records.db) copied into the empty tables
 * of @sql, in its transaction, a piece of at most 1 MiB at a time. Checked before returning:
 * PostgreSQL hashes each file's pieces, which must give its SHA-256 and size; the count and
 * SHA-256 of the list of files (hash, size, type, name) are appended to @report as
 * "register_file\tROWS\tsha256:HEX". Files still arriving are left: their devices send them
 * again.
 */
gboolean
dft_server_cluster_files_copy (DftServerSql *sql, sqlite3 *source, GString *report, GError **error);

G_END_DECLS
