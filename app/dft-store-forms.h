/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dft-record.h"
#include "dft-store.h"

G_BEGIN_DECLS

/*
 * What the forms read from and write to the store (app/forms/dft-form-store.c), each a
 * locked operation of the store: a worker thread that calls one never sees another thread's
 * write half done. Forms are records like any other (entity
 * "form", a version each, see dft-form-store.h); submissions answer one version.
 */

/* The newest version of @form_key, or NULL with no error when there is none or the newest
 * was deleted (a deleted version still holds its number). */
DftRecord *dft_store_load_latest_form (DftStore *self, const char *form_key, GError **error);

/*
 * Saves @version, a new form record holding a form key and a definition, as the next version of
 * its form key, in one transaction: its number is the highest one held plus one, and the newest
 * version, when nobody answered it, is deleted (a tombstone, like any delete). When the newest
 * version already holds the same definition, nothing is written and that version is returned.
 * Returns the version that holds the definition.
 */
DftRecord *dft_store_save_form_version (DftStore *self, DftRecord *version, GError **error);

/* Every version of @form_key, deleted ones too, newest first. */
GPtrArray *dft_store_list_form_versions (DftStore *self, const char *form_key, GError **error);

G_END_DECLS
