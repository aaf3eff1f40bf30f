/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dft-store.h"

G_BEGIN_DECLS

/*
 * The coordinator's desk: the duplicates review queue (one pair at a time, side by side, Merge
 * / Not the Same Person / Later, keyboard driven), the Conflicts screen and the merges history
 * with Undo Merge. Every read and write runs in a worker.
 */

#define DFT_TYPE_PEOPLE_DESK (dft_people_desk_get_type ())
G_DECLARE_FINAL_TYPE (DftPeopleDesk, dft_people_desk, DFT, PEOPLE_DESK, AdwBin)

void dft_people_desk_set_store (DftPeopleDesk *self, DftStore *store);
/* Shows the view @name: "duplicates", "conflicts" or "merges". The duplicates are looked for
 * the first time they are shown, and again with desk.rescan. */
void dft_people_desk_show (DftPeopleDesk *self, const char *name);
/* Whether a scan, a read or a decision is under way. */
gboolean dft_people_desk_get_busy (DftPeopleDesk *self);
/* The pairs in the queue (Later ones included) and the one shown, or -1 when none is. */
guint dft_people_desk_get_n_pairs (DftPeopleDesk *self);
int   dft_people_desk_get_position (DftPeopleDesk *self);
/* The ids of the pair shown (tests): FALSE when none is. */
gboolean dft_people_desk_get_pair (DftPeopleDesk *self, const char **a_id, const char **b_id);
/* The merges listed in the history. */
guint      dft_people_desk_get_n_merges (DftPeopleDesk *self);
GtkWidget *dft_people_desk_get_conflicts_view (DftPeopleDesk *self);

G_END_DECLS
