/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dft-store.h"

G_BEGIN_DECLS

#define DFT_TYPE_WORKSHOP_DIALOG (dft_workshop_dialog_get_type ())
G_DECLARE_FINAL_TYPE (DftWorkshopDialog, dft_workshop_dialog, DFT, WORKSHOP_DIALOG, AdwWindow)

/* Creates a workshop when @event is NULL, else edits it. Its action dialog.save saves. */
DftWorkshopDialog *dft_workshop_dialog_new (DftStore *store, DftRecord *event);
/* Fills a field (schema name, such as "start_date"), as a person typing would. */
void dft_workshop_dialog_set_field (DftWorkshopDialog *self, const char *field, const char *text);
/* Checks the fields and shows what is wrong next to them; TRUE when all is right. */
gboolean dft_workshop_dialog_validate (DftWorkshopDialog *self);

G_END_DECLS
