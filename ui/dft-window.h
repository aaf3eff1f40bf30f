/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dft-application.h"

G_BEGIN_DECLS

#define DFT_TYPE_WINDOW (dft_window_get_type ())
G_DECLARE_FINAL_TYPE (DftWindow, dft_window, DFT, WINDOW, AdwApplicationWindow)

DftWindow *dft_window_new (DftApplication *application);
void       dft_window_add_toast (DftWindow *self, AdwToast *toast);
/* "loading", "error", "welcome" or "main". */
const char *dft_window_get_mode (DftWindow *self);
/* The workshop shown, or NULL. */
DftRecord *dft_window_get_event (DftWindow *self);
GtkWidget *dft_window_get_workshop_page (DftWindow *self);
/* The Forms screen (win.show-forms). */
GtkWidget *dft_window_get_forms_page (DftWindow *self);
/* The coordinator's desk (win.show-desk::duplicates, ::conflicts, ::merges); offered only on a
 * coordinator's, an administrator's or a never signed-in laptop. */
GtkWidget *dft_window_get_people_desk (DftWindow *self);
GtkWidget *dft_window_get_reports_page (DftWindow *self);
gboolean   dft_window_get_desk_allowed (DftWindow *self);
/* The open conflicts the header's button counts. */
gint64 dft_window_get_n_conflicts (DftWindow *self);

G_END_DECLS
