/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

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
 */
gboolean dft_server_import_bundle (DftStore      *store,
                                   DftServerDb   *db,
                                   GFile         *file,
                                   const char    *passphrase,
                                   DftApplyStats *stats,
                                   guint         *skipped,
                                   char         **signer,
                                   GCancellable  *cancellable,
                                   GError       **error);

G_END_DECLS
