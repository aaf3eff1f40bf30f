/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dft-bundle.h"

G_BEGIN_DECLS

/* Seals and signs @json (a batch, as dft_bundle_export() makes it) into @file: for the fuzzer. */
gboolean _dft_bundle_write (DftStore     *store,
                            GFile        *file,
                            GBytes       *json,
                            const char   *passphrase,
                            GCancellable *cancellable,
                            GError      **error);

/* The same with @n_files files after the batch, @data[i] carried as the file of hash @hashes[i]
 * whether or not it is (a version 3 bundle): for tests. */
gboolean _dft_bundle_write_files (DftStore          *store,
                                  GFile             *file,
                                  GBytes            *json,
                                  const char *const *hashes,
                                  GBytes *const     *data,
                                  guint              n_files,
                                  const char        *passphrase,
                                  GCancellable      *cancellable,
                                  GError           **error);

G_END_DECLS
