/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dft-application.h"

G_BEGIN_DECLS

#define DFT_TYPE_STATUS_BAR (dft_status_bar_get_type ())
G_DECLARE_FINAL_TYPE (DftStatusBar, dft_status_bar, DFT, STATUS_BAR, AdwBin)

/*
 * Always says whether everything is saved and synced: work under way, changes
 * not yet sent, the last sync, no network; with Sync Now (win.sync) and, while
 * a sync runs, its progress and Cancel (win.cancel-sync).
 */
void        dft_status_bar_set_application (DftStatusBar *self, DftApplication *app);
const char *dft_status_bar_get_text (DftStatusBar *self);
/* Compact, for a narrow window: Sync Now shows as an icon and the status has the width. */
void     dft_status_bar_set_compact (DftStatusBar *self, gboolean compact);
gboolean dft_status_bar_get_compact (DftStatusBar *self);

G_END_DECLS
