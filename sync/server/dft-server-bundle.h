/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dft-server-cluster.h"
#include "dft-server-db.h"
#include "dft-store.h"

G_BEGIN_DECLS

/*
 * A USB bundle brought to the server (sync/PROTOCOL.md, "Bundles"): it is
 * opened with the server's key pair (or @passphrase), its signature checked
 * against the key the device that made it was enrolled with, and its changes
 * applied as if that device relayed them: each one it could not have made is
 * left out (*@skipped), and the workshops it brings become its team's. A
 * bundle from an unknown or revoked device, or one that forks from what the
 * server holds, is refused whole; nothing of a refused bundle is stored.
 *
 * With @cluster, @store is a replica this import alone uses: the changes are applied to it as
 * a push is (dft_server_cluster_push_begin() to push_commit()), into the shared log, and the
 * files the bundle carries go to the shared database too.
 */
gboolean dft_server_import_bundle (DftStore         *store,
                                   DftServerDb      *db,
                                   DftServerCluster *cluster,
                                   GFile            *file,
                                   const char       *passphrase,
                                   DftApplyStats    *stats,
                                   guint            *skipped,
                                   char            **signer,
                                   GCancellable     *cancellable,
                                   GError          **error);

/*
 * "admin import-bundle" with cluster=yes (@uri the shared database's): the import runs on a
 * replica of its own in a new folder in @data_dir, a copy of @data_dir's records.db when it
 * can be used (one process may be serving from it), removed afterwards; the serving processes
 * take the changes up from the shared log at their next request.
 */
gboolean dft_server_import_bundle_in_cluster (const char    *uri,
                                              const char    *data_dir,
                                              DftServerDb   *db,
                                              GFile         *file,
                                              const char    *passphrase,
                                              DftApplyStats *stats,
                                              guint         *skipped,
                                              char         **signer,
                                              GError       **error);

G_END_DECLS
