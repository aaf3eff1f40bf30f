/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dft-store.h"

G_BEGIN_DECLS

#define DFT_TYPE_WORKSHOP_PAGE (dft_workshop_page_get_type ())
G_DECLARE_FINAL_TYPE (DftWorkshopPage, dft_workshop_page, DFT, WORKSHOP_PAGE, AdwBin)

void       dft_workshop_page_set_event (DftWorkshopPage *self, DftStore *store, DftRecord *event);
DftRecord *dft_workshop_page_get_event (DftWorkshopPage *self);
void       dft_workshop_page_set_menu_model (DftWorkshopPage *self, GMenuModel *menu);
gboolean   dft_workshop_page_focus_search (DftWorkshopPage *self);
void       dft_workshop_page_show_view (DftWorkshopPage *self, const char *name);

/*
 * The page's views live in this AdwViewStack; more views (tests, evaluations)
 * are added with adw_view_stack_add_titled() and appear in the view switcher.
 * A view that needs the workshop implements it through the "event" property of
 * the page: connect to notify::event and read dft_workshop_page_get_event().
 */
AdwViewStack *dft_workshop_page_get_view_stack (DftWorkshopPage *self);
GtkWidget    *dft_workshop_page_get_view (DftWorkshopPage *self, const char *name);

G_END_DECLS
