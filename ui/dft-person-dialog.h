/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dft-store.h"

G_BEGIN_DECLS

#define DFT_TYPE_PERSON_DIALOG (dft_person_dialog_get_type ())
G_DECLARE_FINAL_TYPE (DftPersonDialog, dft_person_dialog, DFT, PERSON_DIALOG, AdwWindow)

/*
 * Registers a person and enrols them in @event_id (one transaction) when
 * @person is NULL, else edits @person. Its action dialog.save saves.
 */
DftPersonDialog *
dft_person_dialog_new (DftStore *store, const char *event_id, DftRecord *person, const char *role);
/* Fills a text field (schema name, such as "given_name"), or "gender" with a schema choice. */
void dft_person_dialog_set_field (DftPersonDialog *self, const char *field, const char *text);

G_END_DECLS
