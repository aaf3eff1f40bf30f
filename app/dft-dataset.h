/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dft-store.h"

G_BEGIN_DECLS

#define DFT_DATASET_ERROR (dft_dataset_error_quark ())

typedef enum
{
  DFT_DATASET_ERROR_INVALID,
} DftDatasetError;

GQuark dft_dataset_error_quark (void);

typedef struct
{
  guint events;
  guint people;
  guint attendance;
  guint forms;
  guint submissions;
} DftDatasetStats;

typedef void (*DftProgressFunc) (double fraction, gpointer user_data);

/*
 * Loads the standard workshop data set (shared/bench/gen_dataset.py JSON)
 * through the ordinary write path, one transaction per workshop, so that a
 * benchmark measures what real use does. Loading the same file twice changes
 * nothing: records keep the data set's ids.
 */
gboolean dft_dataset_load (DftStore        *store,
                           const char      *path,
                           DftDatasetStats *stats,
                           DftProgressFunc  progress,
                           gpointer         progress_data,
                           GCancellable    *cancellable,
                           GError         **error);

G_END_DECLS
