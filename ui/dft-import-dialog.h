/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dft-import.h"

G_BEGIN_DECLS

#define DFT_TYPE_IMPORT_DIALOG (dft_import_dialog_get_type ())
G_DECLARE_FINAL_TYPE (DftImportDialog, dft_import_dialog, DFT, IMPORT_DIALOG, AdwWindow)

/*
 * A preview of a sign-up sheet: a dropdown above each column says which field
 * of a person it holds (the importer's guess first). Import runs in a worker
 * and can be cancelled; every row is saved or none.
 */
DftImportDialog *dft_import_dialog_new (DftImport *import, DftStore *store, const char *event_id);

G_END_DECLS
