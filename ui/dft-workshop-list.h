/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

typedef enum
{
  DFT_WHEN_ANY,
  DFT_WHEN_UPCOMING,
  DFT_WHEN_RUNNING,
  DFT_WHEN_PAST,
} DftWhen;

#define DFT_TYPE_WORKSHOP_LIST (dft_workshop_list_get_type ())
G_DECLARE_FINAL_TYPE (DftWorkshopList, dft_workshop_list, DFT, WORKSHOP_LIST, AdwBin)

/* @events: the store's events (dft_store_list_events); activating one runs win.open-workshop. */
void dft_workshop_list_set_model (DftWorkshopList *self, GListModel *events);
void dft_workshop_list_focus_search (DftWorkshopList *self);
/* What the list shows after search and filters. */
GListModel *dft_workshop_list_get_shown (DftWorkshopList *self);
/* Where a workshop is relative to @today (YYYY-MM-DD). */
DftWhen dft_workshop_when (const char *start, const char *end, const char *today);

G_END_DECLS
