/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dft-store.h"

G_BEGIN_DECLS

#define DFT_BUNDLE_ERROR (dft_bundle_error_quark ())

typedef enum
{
  DFT_BUNDLE_ERROR_DAMAGED,      /* not a bundle, cut short, or its checksum does not match */
  DFT_BUNDLE_ERROR_OTHER_SERVER, /* made for another server's data */
} DftBundleError;

GQuark dft_bundle_error_quark (void);

/*
 * File-based sync, for places with no link at all: a bundle holds changes
 * from this replica's log (its own and those it received) in the wire
 * format, compressed, with a checksum. Importing applies them with the same
 * merge as a pull; importing a bundle twice changes nothing.
 */
gboolean dft_bundle_export (DftStore     *store,
                            GFile        *file,
                            gint64        after_seq,
                            guint        *n_changes,
                            GCancellable *cancellable,
                            GError      **error);
gboolean dft_bundle_import (
    DftStore *store, GFile *file, DftApplyStats *stats, GCancellable *cancellable, GError **error);

G_END_DECLS
