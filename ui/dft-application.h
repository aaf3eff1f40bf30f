/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dft-store.h"
#include "dft-sync-client.h"

G_BEGIN_DECLS

#define DFT_TYPE_APPLICATION (dft_application_get_type ())
G_DECLARE_FINAL_TYPE (DftApplication, dft_application, DFT, APPLICATION, AdwApplication)

/* Before gtk_init(): the UI language from the settings, then setlocale() and gettext. */
void dft_application_setup_locale (void);

DftApplication *dft_application_new (const char *application_id, GApplicationFlags flags);

/* NULL until the store is open (it opens in a worker); see the "store" property. */
DftStore      *dft_application_get_store (DftApplication *self);
const GError  *dft_application_get_open_error (DftApplication *self);
DftSyncClient *dft_application_get_sync_client (DftApplication *self);
GSettings     *dft_application_get_settings (DftApplication *self);
/* Work under way in workers; the status bar says "Saving…" while it is not 0. */
guint dft_application_get_busy (DftApplication *self);
void  dft_application_begin_work (DftApplication *self);
void  dft_application_end_work (DftApplication *self);
/* The same on the running application, for a view that starts work in a worker itself; nothing
 * when the default application is not Daftari's (a test may show a view without one). */
void dft_application_default_begin_work (void);
void dft_application_default_end_work (void);
/* The sample workshops' file, or NULL when not installed. */
char *dft_application_find_sample (void);

G_END_DECLS
