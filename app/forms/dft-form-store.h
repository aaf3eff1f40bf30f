/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dft-form-run.h"
#include "dft-form.h"
#include "dft-record.h"
#include "dft-store.h"

G_BEGIN_DECLS

/*
 * Forms and submissions in the store. A form key ("pre_test") has numbered versions; each
 * version's definition never changes. Saving a changed definition makes the next version, so
 * a submission keeps the version it was answered with and still reads correctly; an earlier
 * version nobody answered is removed from the list (soft-deleted, like any record).
 */

/* Saves @form under its id as form key. Returns the version record that holds @form's
 * definition: the latest one when nothing changed, else a new version. */
DftRecord *dft_form_store_save (DftStore *store, DftForm *form, GError **error);

/* The latest version of @form_key, or NULL (no error) when there is none. */
DftRecord *dft_form_store_latest (DftStore *store, const char *form_key, GError **error);

/* The prepared form of a form version's @definition (its "definition" field, which may be
 * NULL); the reason when it cannot be opened. Reads no file: any thread may call it. */
DftForm *dft_form_store_open (const char *definition, GError **error);

/* The prepared definition a form version record holds. */
DftForm *dft_form_store_load (DftStore *store, const char *form_record_id, GError **error);

/* Saves the answers of @run as a submission: a new one when @submission is NULL, else
 * @submission (a draft) updated. Final submissions are scored (percent, see
 * dft-assessment.h) and keep only the answers a person could see; a final submission with
 * problems (dft_form_run_problems) is refused with the first one. @phase is "pre", "post" or
 * NULL. Returns the saved record. */
DftRecord *dft_form_store_submit (DftStore   *store,
                                  DftRecord  *form_record,
                                  DftRecord  *submission,
                                  DftFormRun *run,
                                  const char *event_id,
                                  const char *person_id,
                                  const char *phase,
                                  gboolean    final,
                                  GError    **error);

G_END_DECLS
