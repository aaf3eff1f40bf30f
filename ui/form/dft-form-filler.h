/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dft-record.h"
#include "dft-store.h"

G_BEGIN_DECLS

/*
 * Fills in one form: any form definition the form engine reads, a page per question or per
 * field-list group, skip logic and calculations updated live, drafts, and a final submission
 * saved in a worker. Kiosk mode starts again with a blank form after each submission.
 */

#define DFT_TYPE_FORM_FILLER (dft_form_filler_get_type ())
G_DECLARE_FINAL_TYPE (DftFormFiller, dft_form_filler, DFT, FORM_FILLER, GtkWidget)

GtkWidget *dft_form_filler_new (DftStore *store);
/* Loads @form_record's definition in a worker and shows its first page. @draft (may be NULL)
 * resumes a draft submission. @event_id, @person_id, @phase ("pre"/"post"/NULL) go into the
 * submission. */
void dft_form_filler_start (DftFormFiller *self,
                            DftRecord     *form_record,
                            const char    *event_id,
                            const char    *person_id,
                            const char    *phase,
                            DftRecord     *draft);
/* Preview: everything works but nothing is saved. */
void dft_form_filler_set_preview (DftFormFiller *self, gboolean preview);
/* The form language (a code from the form's languages), independent of the UI language;
 * NULL = the form's default. */
void        dft_form_filler_set_language (DftFormFiller *self, const char *lang);
const char *dft_form_filler_get_language (DftFormFiller *self);
/* Kiosk: after finalizing, clear and start again with nothing of the earlier answers visible. */
void dft_form_filler_set_kiosk (DftFormFiller *self, gboolean kiosk);

/* Signals: "finished" (DftRecord *submission) after a final submission is saved;
 * "draft-saved" (DftRecord *submission); "closed" when the user leaves. */

G_END_DECLS
