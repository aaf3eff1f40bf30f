/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "dft-assessment.h"
#include "dft-store-forms.h"
#include "dft-xlsx.h"

static void
has_correct (DftQuestion *q, gpointer user_data)
{
  gboolean *found = user_data;

  if (q->correct != NULL && q->correct[0] != NULL)
    *found = TRUE;
}

gboolean
dft_form_is_assessment (DftForm *form)
{
  gboolean found = FALSE;

  g_return_val_if_fail (form != NULL, FALSE);

  dft_form_foreach (form, has_correct, &found);
  return found;
}

static gboolean
same_answer (DftQuestion *q, const char *a, const char *b)
{
  if (q->type == DFT_QUESTION_INTEGER || q->type == DFT_QUESTION_DECIMAL)
    {
      char  *end_a = NULL, *end_b = NULL;
      double x = g_ascii_strtod (a, &end_a);
      double y = g_ascii_strtod (b, &end_b);

      return end_a != a && *end_a == '\0' && end_b != b && *end_b == '\0' && x == y;
    }
  if (q->type == DFT_QUESTION_TEXT)
    {
      g_autofree char *x = g_utf8_casefold (a, -1);
      g_autofree char *y = g_utf8_casefold (b, -1);

      return strcmp (g_strstrip (x), g_strstrip (y)) == 0;
    }
  return strcmp (a, b) == 0;
}

double
dft_question_score (DftQuestion *q, const char *answer)
{
  g_return_val_if_fail (q != NULL, 0);

  if (q->correct == NULL || q->correct[0] == NULL || answer == NULL || answer[0] == '\0')
    return 0;
  if (q->type == DFT_QUESTION_SELECT_MULTIPLE)
    {
      g_auto (GStrv) picked = g_strsplit (answer, " ", -1);
      guint          n_correct = g_strv_length (q->correct);
      guint          right = 0, wrong = 0;

      for (guint i = 0; picked[i] != NULL; i++)
        {
          if (picked[i][0] == '\0')
            continue;
          if (g_strv_contains ((const char *const *) q->correct, picked[i]))
            right++;
          else
            wrong++;
        }
      if (q->partial_credit)
        return right > wrong ? q->points * (double) (right - wrong) / n_correct : 0;
      return right == n_correct && wrong == 0 ? q->points : 0;
    }
  for (guint i = 0; q->correct[i] != NULL; i++)
    if (same_answer (q, answer, q->correct[i]))
      return q->points;
  return 0;
}

typedef struct
{
  DftFormRun *run;
  DftScore   *score;
} ScoreWalk;

static void
score_question (DftQuestion *q, gpointer user_data)
{
  ScoreWalk            *w = user_data;
  g_autoptr (GPtrArray) paths = NULL;

  if (q->correct == NULL || q->correct[0] == NULL)
    return;
  w->score->n_scored++;
  paths = dft_form_run_instances_of (w->run, q);
  for (guint i = 0; i < paths->len; i++)
    {
      const char      *path = g_ptr_array_index (paths, i);
      g_autofree char *answer = NULL;

      if (!dft_form_run_is_relevant (w->run, path))
        continue;
      answer = dft_form_run_get_answer (w->run, path);
      w->score->max += q->points;
      w->score->points += dft_question_score (q, answer);
    }
}

void
dft_form_run_score (DftFormRun *run, DftScore *score)
{
  DftForm  *form;
  ScoreWalk w = { run, score };

  g_return_if_fail (run != NULL && score != NULL);

  memset (score, 0, sizeof *score);
  form = dft_form_run_get_form (run);
  dft_form_foreach (form, score_question, &w);
  score->percent = score->max > 0 ? 100.0 * score->points / score->max : 0;
  score->passed
      = form->pass_percent >= 0 && score->max > 0 && score->percent + 1e-9 >= form->pass_percent;
}

/* ------------------------------------------------------------------------------------------ */
/* Gain                                                                                       */
/* ------------------------------------------------------------------------------------------ */

static void
gain_row_free (gpointer data)
{
  DftGainRow *row = data;

  g_free (row->person_id);
  g_free (row);
}

void
dft_gain_report_free (DftGainReport *report)
{
  if (report == NULL)
    return;
  g_ptr_array_unref (report->rows);
  g_free (report);
}

DftGainReport *
dft_assessment_gain (DftStore *store, const char *event_id, const char *form_key, GError **error)
{
  g_autoptr (DftGainReport) report = g_new0 (DftGainReport, 1);
  g_autoptr (GPtrArray)     scores = NULL;
  DftGainRow               *row = NULL;
  double                    sum_pre = 0, sum_post = 0, sum_gain = 0;
  double                    pair_pre = 0, pair_post = 0;

  g_return_val_if_fail (DFT_IS_STORE (store), NULL);
  g_return_val_if_fail (event_id != NULL && form_key != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  report->rows = g_ptr_array_new_with_free_func (gain_row_free);
  scores = dft_store_list_test_scores (store, event_id, form_key, error);
  if (scores == NULL)
    return NULL;
  for (guint i = 0; i < scores->len; i++)
    {
      DftTestScore *score = g_ptr_array_index (scores, i);

      if (row == NULL || strcmp (row->person_id, score->person_id) != 0)
        {
          row = g_new0 (DftGainRow, 1);
          row->person_id = g_strdup (score->person_id);
          row->gain = NAN;
          row->normalized = NAN;
          g_ptr_array_add (report->rows, row);
        }
      /* Later rows of the same phase are later submissions: the last one stands. */
      if (strcmp (score->phase, "pre") == 0)
        {
          row->has_pre = TRUE;
          row->pre = score->score;
        }
      else
        {
          row->has_post = TRUE;
          row->post = score->score;
        }
    }
  for (guint i = 0; i < report->rows->len; i++)
    {
      DftGainRow *r = g_ptr_array_index (report->rows, i);

      if (r->has_pre)
        {
          report->n_pre++;
          sum_pre += r->pre;
        }
      if (r->has_post)
        {
          report->n_post++;
          sum_post += r->post;
        }
      if (r->has_pre && r->has_post)
        {
          report->n_pairs++;
          r->gain = r->post - r->pre;
          if (r->pre < 100)
            r->normalized = r->gain / (100 - r->pre);
          sum_gain += r->gain;
          pair_pre += r->pre;
          pair_post += r->post;
        }
    }
  report->mean_pre = report->n_pre > 0 ? sum_pre / report->n_pre : NAN;
  report->mean_post = report->n_post > 0 ? sum_post / report->n_post : NAN;
  report->mean_gain = report->n_pairs > 0 ? sum_gain / report->n_pairs : NAN;
  report->normalized_gain = NAN;
  if (report->n_pairs > 0 && pair_pre / report->n_pairs < 100)
    report->normalized_gain
        = (pair_post - pair_pre) / report->n_pairs / (100 - pair_pre / report->n_pairs);
  return g_steal_pointer (&report);
}

/* ------------------------------------------------------------------------------------------ */
/* Gain as a table                                                                            */
/* ------------------------------------------------------------------------------------------ */

static char *
person_name (DftStore *store, const char *person_id)
{
  g_autoptr (DftRecord) person = dft_store_load (store, &dft_entity_person, person_id, NULL);
  g_autofree char      *name = NULL;

  if (person == NULL)
    return g_strdup (person_id);
  name = g_strjoin (" ", dft_record_get_string (person, "given_name"),
                    dft_record_get_string (person, "family_name"), NULL);
  g_strstrip (name);
  return *name != '\0' ? g_steal_pointer (&name) : g_strdup (person_id);
}

static void
add_gain_figures (DftTableWriter *writer, double pre, double post, double gain, double normalized)
{
  dft_table_writer_add_number (writer, pre, 1);
  dft_table_writer_add_number (writer, post, 1);
  dft_table_writer_add_number (writer, gain, 1);
  dft_table_writer_add_number (writer, normalized, 2);
}

/* The one row source of the gain table, for CSV and XLSX alike. */
typedef struct
{
  DftStore   *store;
  const char *event_id;
  const char *form_key;
} GainArgs;

static gboolean
export_gain (DftTableWriter *writer, gconstpointer data, GCancellable *cancellable, GError **error)
{
  const GainArgs           *args = data;
  g_autoptr (DftGainReport) report
      = dft_assessment_gain (args->store, args->event_id, args->form_key, error);
  const char *header[] = {
    /* Translators: column headings of the pre/post test gain table */
    _ ("person"), _ ("pre %"), _ ("post %"), _ ("gain"), _ ("normalized gain"), _ ("person id"),
  };

  if (report == NULL)
    return FALSE;
  /* Translators: the name of a spreadsheet's sheet (at most 31 characters) */
  if (!dft_table_writer_begin_table (writer, _ ("Test gain"), header, G_N_ELEMENTS (header), error))
    return FALSE;
  for (guint i = 0; i < report->rows->len; i++)
    {
      DftGainRow      *row = g_ptr_array_index (report->rows, i);
      g_autofree char *name = person_name (args->store, row->person_id);

      dft_table_writer_add_text (writer, name);
      add_gain_figures (writer, row->has_pre ? row->pre : NAN, row->has_post ? row->post : NAN,
                        row->gain, row->normalized);
      dft_table_writer_add_text (writer, row->person_id);
      if (!dft_table_writer_end_row (writer, cancellable, error))
        return FALSE;
    }
  /* Translators: the last row of the gain table, below the people */
  dft_table_writer_add_text (writer, _ ("Average"));
  add_gain_figures (writer, report->mean_pre, report->mean_post, report->mean_gain,
                    report->normalized_gain);
  dft_table_writer_add_text (writer, NULL);
  return dft_table_writer_end_row (writer, cancellable, error)
         && dft_table_writer_end_table (writer, error);
}

gboolean
dft_gain_export_csv (DftStore      *store,
                     const char    *event_id,
                     const char    *form_key,
                     GOutputStream *out,
                     GCancellable  *cancellable,
                     GError       **error)
{
  GainArgs args = { store, event_id, form_key };

  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);
  g_return_val_if_fail (event_id != NULL && form_key != NULL, FALSE);

  return dft_table_write_csv (export_gain, &args, out, FALSE, cancellable, error);
}

gboolean
dft_gain_export_xlsx (DftStore     *store,
                      const char   *event_id,
                      const char   *form_key,
                      const char   *path,
                      GCancellable *cancellable,
                      GError      **error)
{
  GainArgs args = { store, event_id, form_key };

  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);
  g_return_val_if_fail (event_id != NULL && form_key != NULL, FALSE);

  return dft_table_write_xlsx (export_gain, &args, path, cancellable, error);
}
