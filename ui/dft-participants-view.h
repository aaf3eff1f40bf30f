/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dft-store.h"

G_BEGIN_DECLS

#define DFT_TYPE_PARTICIPANTS_VIEW (dft_participants_view_get_type ())
G_DECLARE_FINAL_TYPE (DftParticipantsView, dft_participants_view, DFT, PARTICIPANTS_VIEW, AdwBin)

/*
 * The roster of a workshop. Actions: participants.add, participants.edit,
 * participants.remove (soft delete of the enrollment, with an Undo toast),
 * participants.import (CSV or XLSX with a preview of the column mapping).
 */
void dft_participants_view_set_event (DftParticipantsView *self, DftStore *store, DftRecord *event);
void dft_participants_view_focus_search (DftParticipantsView *self);
void dft_participants_view_set_search (DftParticipantsView *self, const char *text);
GListModel *dft_participants_view_get_people (DftParticipantsView *self);
void        dft_participants_view_select (DftParticipantsView *self, guint position);

G_END_DECLS
