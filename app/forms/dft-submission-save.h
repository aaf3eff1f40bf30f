/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dft-form-run.h"
#include "dft-form.h"
#include "dft-record.h"
#include "dft-store.h"

G_BEGIN_DECLS

/*
 * Filling in a form without waiting on the disk: the form's definition read, and the answers
 * saved, in a worker thread (dft-form-store.h does the work). The callback runs in the thread
 * default main context of the caller.
 */

/* Loads the definition of the form version @form_record_id (dft_form_store_load) and, when
 * @person_id is not NULL, whose form it is. */
void dft_submission_load_form_async (DftStore           *store,
                                     const char         *form_record_id,
                                     const char         *person_id,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data);
/* Returns the form. @person (may be NULL) gets the person's record, NULL when none was asked
 * for or it cannot be read: that only names the form's owner, it is no reason to refuse it. */
DftForm *dft_submission_load_form_finish (DftStore     *store,
                                          GAsyncResult *result,
                                          DftRecord   **person,
                                          GError      **error);

/* Saves the answers of @run as dft_form_store_submit() does. Takes @run, which the worker
 * reads: hand it a copy when the answers shown may change meanwhile. */
void dft_submission_save_async (DftStore           *store,
                                DftRecord          *form_record,
                                DftRecord          *submission,
                                DftFormRun         *run,
                                const char         *event_id,
                                const char         *person_id,
                                const char         *phase,
                                gboolean            final,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data);
/* The saved submission. */
DftRecord *dft_submission_save_finish (DftStore *store, GAsyncResult *result, GError **error);

G_END_DECLS
