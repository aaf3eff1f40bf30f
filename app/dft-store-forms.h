/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dft-record.h"
#include "dft-store.h"

G_BEGIN_DECLS

/*
 * What the forms read from and write to the store (app/forms/dft-form-store.c,
 * dft-assessment.c, dft-submission-export.c), each a locked operation of the store: a worker
 * thread that calls one never sees another thread's write half done. Forms are records like any
 * other (entity "form", a version each, see dft-form-store.h); submissions answer one version.
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

typedef struct
{
  char  *person_id;
  char  *phase; /* "pre" or "post" */
  double score; /* percent */
} DftTestScore;

void dft_test_score_free (DftTestScore *score);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftTestScore, dft_test_score_free)

/*
 * The scores of the test @form_key in the workshop @event_id: of each person and phase, the
 * final submissions (a correction stands in for what it corrects), oldest first. The test is
 * @form_key and the keys paired with it (either form may name the other); a submission
 * without a phase takes its form's. Grouped by person. Elements are DftTestScore.
 */
GPtrArray *dft_store_list_test_scores (DftStore   *self,
                                       const char *event_id,
                                       const char *form_key,
                                       GError    **error);

typedef struct
{
  char  *id;
  char  *form_id;      /* the version answered */
  char  *form_version; /* its number, as text */
  char  *status;
  char  *phase;
  char  *person_name; /* given and family name; "" when there is no such person */
  char  *event_title;
  char  *started_at;
  char  *finished_at;
  double score; /* NAN when not scored */
  char  *answers;
} DftSubmissionRow;

void dft_submission_row_free (DftSubmissionRow *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftSubmissionRow, dft_submission_row_free)

/* The live submissions of every version of @form_key, of the workshop @event_id (all when
 * NULL), in the order they were finished (or started). Elements are DftSubmissionRow. */
GPtrArray *dft_store_list_form_submissions (DftStore   *self,
                                            const char *form_key,
                                            const char *event_id,
                                            GError    **error);

G_END_DECLS
