/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dft-store.h"

G_BEGIN_DECLS

/*
 * The conflicts a coordinator decides: each kept conflict with the record, the field, both
 * values and who wrote each when, and Keep Current, Keep Other and Other Value…. The list is
 * read in a worker and read again whenever the store's conflicts change.
 */

#define DFT_TYPE_CONFLICTS_VIEW (dft_conflicts_view_get_type ())
G_DECLARE_FINAL_TYPE (DftConflictsView, dft_conflicts_view, DFT, CONFLICTS_VIEW, AdwBin)

void dft_conflicts_view_set_store (DftConflictsView *self, DftStore *store);
/* Reads the open conflicts again (in a worker). */
void dft_conflicts_view_reload (DftConflictsView *self);
/* How many conflicts the list shows; "n-conflicts" notifies changes. */
guint dft_conflicts_view_get_n_conflicts (DftConflictsView *self);
/* Whether a read or a decision is under way. */
gboolean dft_conflicts_view_get_busy (DftConflictsView *self);

G_END_DECLS
