/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dft-form-run.h"
#include "dft-form.h"
#include "dft-store.h"

G_BEGIN_DECLS

/*
 * Knowledge tests. A question is scored when the form gives its correct answers: a select
 * one, Likert, text or number question earns its points when the answer is one of them (text
 * compared without case or surrounding spaces, numbers by value); a select multiple earns
 * them when exactly the right values are picked, or with partial credit
 * points × max (0, right picks − wrong picks) / number of right values. Questions hidden by
 * skip logic count neither way.
 *
 * A submission's score is stored in percent of the points it could earn, so a pre-test and a
 * post-test compare even across form versions.
 */

typedef struct
{
  double   points;
  double   max;
  double   percent;  /* 0 when max is 0 */
  gboolean passed;   /* percent ≥ the form's pass mark; FALSE when it has none */
  guint    n_scored; /* questions that carry points */
} DftScore;

gboolean dft_form_is_assessment (DftForm *form);
/* Points for one answer to @question (0 when it has no correct answers). */
double dft_question_score (DftQuestion *question, const char *answer);
void   dft_form_run_score (DftFormRun *run, DftScore *score);

/* Pre/post gain for one test in one workshop: for each person, their latest final pre-test
 * and post-test (corrections replace what they correct) of any version of the form key. A
 * test given as two forms is one test: @form_key may be either, and the other is the one
 * named by "pairs_with" in either form's definition. A submission saved without a phase is
 * the pre-test or post-test its form's "phase" says. */
typedef struct
{
  char    *person_id;
  gboolean has_pre, has_post;
  double   pre, post;  /* percent */
  double   gain;       /* post − pre, when both */
  double   normalized; /* (post − pre) / (100 − pre); NAN when pre is 100 or one is missing */
} DftGainRow;

typedef struct
{
  GPtrArray *rows; /* DftGainRow *, by person id */
  guint      n_pre, n_post, n_pairs;
  double     mean_pre, mean_post; /* over everyone with that test; NAN when nobody */
  double     mean_gain;           /* over people with both; NAN when nobody */
  /* The class's normalized gain from the paired means: (post − pre) / (100 − pre), as Hake
   * defines it; NAN when undefined. */
  double normalized_gain;
} DftGainReport;

DftGainReport *
dft_assessment_gain (DftStore *store, const char *event_id, const char *form_key, GError **error);
void dft_gain_report_free (DftGainReport *report);

/* The gain as a table: one row per person (name, pre %, post %, gain in points, normalized gain,
 * person id), then the averages. CSV as dft-export.h writes it, or an XLSX workbook written
 * beside @path and renamed over it when complete. */
gboolean dft_gain_export_csv (DftStore      *store,
                              const char    *event_id,
                              const char    *form_key,
                              GOutputStream *out,
                              GCancellable  *cancellable,
                              GError       **error);
gboolean dft_gain_export_xlsx (DftStore     *store,
                               const char   *event_id,
                               const char   *form_key,
                               const char   *path,
                               GCancellable *cancellable,
                               GError      **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftGainReport, dft_gain_report_free)

G_END_DECLS
