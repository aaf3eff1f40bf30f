/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dft-schema.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "dft-country.h"
#include "dft-indicators-export.h"
#include "dft-xlsx.h"

typedef enum
{
  BY_GENDER = 1 << 0,
  BY_AGENCY = 1 << 1,
  BY_COUNTRY = 1 << 2,
  BY_ROLE = 1 << 3,
} Dimensions;

/* The code as stored, then the country's name in the interface language. */
static void
add_country (DftTableWriter *writer, const char *code)
{
  g_autofree char *name = code != NULL && *code != '\0' ? dft_country_name (code, NULL) : NULL;

  dft_table_writer_add_text (writer, code);
  dft_table_writer_add_text (writer, name);
}

static gboolean
end_row (DftTableWriter *writer, GCancellable *cancellable, GError **error)
{
  return dft_table_writer_end_row (writer, cancellable, error);
}

/* ------------------------------------------------------------------------------------------ */
/* Summary                                                                                    */
/* ------------------------------------------------------------------------------------------ */

static gboolean
summary_text (DftTableWriter *writer, const char *label, const char *text, GError **error)
{
  dft_table_writer_add_text (writer, label);
  dft_table_writer_add_text (writer, text);
  return end_row (writer, NULL, error);
}

static gboolean
summary_count (DftTableWriter *writer, const char *label, guint count, GError **error)
{
  dft_table_writer_add_text (writer, label);
  dft_table_writer_add_number (writer, count, 0);
  return end_row (writer, NULL, error);
}

static gboolean
summary_share (DftTableWriter *writer, const char *label, double value, GError **error)
{
  dft_table_writer_add_text (writer, label);
  dft_table_writer_add_percent (writer, value);
  return end_row (writer, NULL, error);
}

static char *
list_or_any (GStrv values)
{
  g_autoptr (GString) text = NULL;

  if (values == NULL || values[0] == NULL)
    /* Translators: a filter of the report's selection that takes every value */
    return g_strdup (_ ("any"));
  text = g_string_new (NULL);
  for (guint i = 0; values[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append (text, ", ");
      /* Translators: in the report's selection, people whose agency is not given */
      g_string_append (text, *values[i] != '\0' ? values[i] : _ ("(not given)"));
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static gboolean
write_summary (DftTableWriter *writer, const DftIndicatorReport *report, GError **error)
{
  const DftReportSelection *sel = report->selection;
  /* Translators: column headings of the report's summary */
  const char      *header[] = { _ ("Figure"), _ ("Value") };
  g_autofree char *countries = list_or_any (sel != NULL ? sel->countries : NULL);
  g_autofree char *tracks = list_or_any (sel != NULL ? sel->tracks : NULL);
  g_autofree char *workshops = list_or_any (sel != NULL ? sel->event_ids : NULL);
  g_autofree char *agencies = list_or_any (sel != NULL ? sel->agencies : NULL);

  /* Translators: the name of a spreadsheet's sheet (at most 31 characters) */
  return dft_table_writer_begin_table (writer, _ ("Summary"), header, G_N_ELEMENTS (header), error)
         /* Translators: the report's selection: its first day, or "any" */
         && summary_text (writer, _ ("From"), sel != NULL && sel->from ? sel->from : _ ("any"),
                          error)
         && summary_text (writer, _ ("To"), sel != NULL && sel->to ? sel->to : _ ("any"), error)
         && summary_text (writer, _ ("Countries"), countries, error)
         && summary_text (writer, _ ("Tracks"), tracks, error)
         && summary_text (writer, _ ("Workshops selected"), workshops, error)
         && summary_text (writer, _ ("Agencies"), agencies, error)
         && summary_share (writer, _ ("Completion threshold (share of sessions)"),
                           sel != NULL ? sel->completion_share : NAN, error)
         && summary_count (writer, _ ("Workshops"), report->n_workshops, error)
         && summary_count (writer, _ ("People trained"), report->people, error)
         && summary_count (writer, _ ("Women trained"), report->women, error)
         && summary_share (writer, _ ("Women’s share"),
                           dft_indicator_women_share (report->women, report->people), error)
         && summary_count (writer, _ ("Participations"), report->participations, error)
         && summary_count (writer, _ ("Person-days"), report->person_days, error)
         && summary_count (writer, _ ("Sessions"), report->sessions, error)
         && summary_share (writer, _ ("Attendance rate"), report->attendance_rate, error)
         && summary_count (writer, _ ("People who completed"), report->completed_people, error)
         && summary_count (writer, _ ("Women who completed"), report->completed_women, error)
         && summary_share (
             writer, _ ("Women’s share of those who completed"),
             dft_indicator_women_share (report->completed_women, report->completed_people), error)
         && summary_count (writer, _ ("Participations completed"), report->completed_participations,
                           error)
         && dft_table_writer_end_table (writer, error);
}

/* ------------------------------------------------------------------------------------------ */
/* Groups of people                                                                           */
/* ------------------------------------------------------------------------------------------ */

static gboolean
write_groups (DftTableWriter *writer,
              const char     *title,
              GPtrArray      *groups,
              Dimensions      dimensions,
              GCancellable   *cancellable,
              GError        **error)
{
  g_autoptr (GPtrArray) header = g_ptr_array_new ();

  if (dimensions & BY_GENDER)
    /* Translators: column headings of the report's tables of people */
    g_ptr_array_add (header, _ ("Gender"));
  if (dimensions & BY_AGENCY)
    g_ptr_array_add (header, _ ("Agency"));
  if (dimensions & BY_COUNTRY)
    {
      g_ptr_array_add (header, _ ("Country code"));
      g_ptr_array_add (header, _ ("Country"));
    }
  if (dimensions & BY_ROLE)
    g_ptr_array_add (header, _ ("Role"));
  g_ptr_array_add (header, _ ("People"));
  g_ptr_array_add (header, _ ("Women"));
  g_ptr_array_add (header, _ ("Women’s share"));
  g_ptr_array_add (header, _ ("Participations"));
  g_ptr_array_add (header, _ ("Person-days"));
  if (!dft_table_writer_begin_table (writer, title, (const char *const *) header->pdata,
                                     header->len, error))
    return FALSE;

  for (guint i = 0; groups != NULL && i < groups->len; i++)
    {
      const DftIndicatorGroup *g = g_ptr_array_index (groups, i);

      if (dimensions & BY_GENDER)
        dft_table_writer_add_text (writer, dft_gender_label (g->gender));
      if (dimensions & BY_AGENCY)
        dft_table_writer_add_text (writer, g->agency);
      if (dimensions & BY_COUNTRY)
        add_country (writer, g->country);
      if (dimensions & BY_ROLE)
        dft_table_writer_add_text (writer, dft_role_label (g->role));
      dft_table_writer_add_number (writer, g->people, 0);
      dft_table_writer_add_number (writer, g->women, 0);
      dft_table_writer_add_percent (writer, dft_indicator_women_share (g->women, g->people));
      dft_table_writer_add_number (writer, g->participations, 0);
      dft_table_writer_add_number (writer, g->person_days, 0);
      if (!end_row (writer, cancellable, error))
        return FALSE;
    }
  return dft_table_writer_end_table (writer, error);
}

/* ------------------------------------------------------------------------------------------ */
/* Workshops, gains, evaluation                                                               */
/* ------------------------------------------------------------------------------------------ */

static gboolean
write_workshops (DftTableWriter           *writer,
                 const DftIndicatorReport *report,
                 GCancellable             *cancellable,
                 GError                  **error)
{
  const char *header[] = {
    /* Translators: column headings of the report's table of workshops */
    _ ("Workshop"),        _ ("Start"),         _ ("End"),
    _ ("Country code"),    _ ("Country"),       _ ("Track"),
    _ ("Venue"),           _ ("Language"),      _ ("Participants"),
    _ ("Women"),           _ ("Women’s share"), _ ("Sessions"),
    _ ("Attendance rate"), _ ("Completed"),     _ ("Women who completed"),
    _ ("Workshop id"),
  };

  /* Translators: the name of a spreadsheet's sheet (at most 31 characters) */
  if (!dft_table_writer_begin_table (writer, _ ("Workshops"), header, G_N_ELEMENTS (header), error))
    return FALSE;
  for (guint i = 0; report->workshops != NULL && i < report->workshops->len; i++)
    {
      const DftWorkshopFigures *w = g_ptr_array_index (report->workshops, i);

      dft_table_writer_add_text (writer, w->title);
      dft_table_writer_add_date (writer, w->start_date);
      dft_table_writer_add_date (writer, w->end_date);
      add_country (writer, w->country);
      dft_table_writer_add_text (writer, w->track);
      dft_table_writer_add_text (writer, w->venue);
      dft_table_writer_add_text (writer, w->language);
      dft_table_writer_add_number (writer, w->participants, 0);
      dft_table_writer_add_number (writer, w->women, 0);
      dft_table_writer_add_percent (writer, dft_indicator_women_share (w->women, w->participants));
      dft_table_writer_add_number (writer, w->sessions, 0);
      dft_table_writer_add_percent (writer, w->attendance_rate);
      dft_table_writer_add_number (writer, w->completed, 0);
      dft_table_writer_add_number (writer, w->completed_women, 0);
      dft_table_writer_add_text (writer, w->event_id);
      if (!end_row (writer, cancellable, error))
        return FALSE;
    }
  return dft_table_writer_end_table (writer, error);
}

static gboolean
write_gains (DftTableWriter           *writer,
             const DftIndicatorReport *report,
             GCancellable             *cancellable,
             GError                  **error)
{
  const char *header[] = {
    /* Translators: column headings of the report's table of pre/post test gains */
    _ ("Workshop"),  _ ("Test"),  _ ("Form key"), _ ("Took the pre-test"), _ ("Took the post-test"),
    _ ("Took both"), _ ("Pre %"), _ ("Post %"),   _ ("Gain (points)"),     _ ("Normalized gain"),
  };

  /* Translators: the name of a spreadsheet's sheet (at most 31 characters) */
  if (!dft_table_writer_begin_table (writer, _ ("Test gains"), header, G_N_ELEMENTS (header),
                                     error))
    return FALSE;
  for (guint i = 0; report->gains != NULL && i < report->gains->len; i++)
    {
      const DftGainFigures *g = g_ptr_array_index (report->gains, i);

      /* Translators: the overall line of the table of test gains */
      dft_table_writer_add_text (writer,
                                 g->event_id != NULL ? g->event_title : _ ("All workshops"));
      dft_table_writer_add_text (writer, g->form_title);
      dft_table_writer_add_text (writer, g->form_key);
      dft_table_writer_add_number (writer, g->n_pre, 0);
      dft_table_writer_add_number (writer, g->n_post, 0);
      dft_table_writer_add_number (writer, g->n_pairs, 0);
      dft_table_writer_add_number (writer, g->mean_pre, 1);
      dft_table_writer_add_number (writer, g->mean_post, 1);
      dft_table_writer_add_number (writer, g->mean_gain, 1);
      dft_table_writer_add_number (writer, g->normalized_gain, 2);
      if (!end_row (writer, cancellable, error))
        return FALSE;
    }
  return dft_table_writer_end_table (writer, error);
}

static const char *
kind_label (DftEvaluationKind kind)
{
  switch (kind)
    {
    case DFT_EVALUATION_SCALE:
      /* Translators: a kind of evaluation question: answered on a scale of 1 to 5 */
      return _ ("scale");
    case DFT_EVALUATION_CHOICE:
      /* Translators: a kind of evaluation question: answered by picking a choice */
      return _ ("choice");
    case DFT_EVALUATION_TEXT:
      /* Translators: a kind of evaluation question: answered in words */
      return _ ("free text");
    default:
      return "";
    }
}

static char *
choices_text (GPtrArray *choices)
{
  g_autoptr (GString) text = g_string_new (NULL);

  for (guint i = 0; choices != NULL && i < choices->len; i++)
    {
      const DftIndicatorChoice *c = g_ptr_array_index (choices, i);

      if (i > 0)
        g_string_append (text, "; ");
      g_string_append_printf (
          text, "%s: %u", c->label != NULL && *c->label != '\0' ? c->label : c->value, c->count);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static gboolean
write_evaluation (DftTableWriter           *writer,
                  const DftIndicatorReport *report,
                  GCancellable             *cancellable,
                  GError                  **error)
{
  const char *header[] = {
    /* Translators: column headings of the report's table of evaluation questions; "1" to "5"
     * are the points of the scale */
    _ ("Form"),    _ ("Question"),
    _ ("Label"),   _ ("Kind"),
    _ ("Answers"), _ ("Average"),
    "1",           "2",
    "3",           "4",
    "5",           _ ("Choices"),
  };

  /* Translators: the name of a spreadsheet's sheet (at most 31 characters) */
  if (!dft_table_writer_begin_table (writer, _ ("Evaluation"), header, G_N_ELEMENTS (header),
                                     error))
    return FALSE;
  for (guint i = 0; report->evaluation != NULL && i < report->evaluation->len; i++)
    {
      const DftEvaluationQuestion *q = g_ptr_array_index (report->evaluation, i);
      g_autofree char             *choices = choices_text (q->choices);

      dft_table_writer_add_text (writer, q->form_title != NULL ? q->form_title : q->form_key);
      dft_table_writer_add_text (writer, q->name);
      dft_table_writer_add_text (writer, q->label);
      dft_table_writer_add_text (writer, kind_label (q->kind));
      dft_table_writer_add_number (writer, q->n_answers, 0);
      dft_table_writer_add_number (writer, q->kind == DFT_EVALUATION_SCALE ? q->average : NAN, 2);
      for (guint s = 0; s < 5; s++)
        {
          if (q->kind == DFT_EVALUATION_SCALE)
            dft_table_writer_add_number (writer, q->scale[s], 0);
          else
            dft_table_writer_add_text (writer, NULL);
        }
      dft_table_writer_add_text (writer, choices);
      if (!end_row (writer, cancellable, error))
        return FALSE;
    }
  return dft_table_writer_end_table (writer, error);
}

static gboolean
write_texts (DftTableWriter           *writer,
             const DftIndicatorReport *report,
             GCancellable             *cancellable,
             GError                  **error)
{
  /* Translators: column headings of the report's list of free-text answers */
  const char *header[] = { _ ("Form"), _ ("Question"), _ ("Label"), _ ("Answer") };

  /* Translators: the name of a spreadsheet's sheet (at most 31 characters) */
  if (!dft_table_writer_begin_table (writer, _ ("Free-text answers"), header, G_N_ELEMENTS (header),
                                     error))
    return FALSE;
  for (guint i = 0; report->evaluation != NULL && i < report->evaluation->len; i++)
    {
      const DftEvaluationQuestion *q = g_ptr_array_index (report->evaluation, i);

      for (guint t = 0; q->texts != NULL && q->texts[t] != NULL; t++)
        {
          dft_table_writer_add_text (writer, q->form_title != NULL ? q->form_title : q->form_key);
          dft_table_writer_add_text (writer, q->name);
          dft_table_writer_add_text (writer, q->label);
          dft_table_writer_add_text (writer, q->texts[t]);
          if (!end_row (writer, cancellable, error))
            return FALSE;
        }
    }
  return dft_table_writer_end_table (writer, error);
}

/* The one row source of the report's tables, for CSV and XLSX alike. */
static gboolean
write_report (DftTableWriter *writer, gconstpointer data, GCancellable *cancellable, GError **error)
{
  const DftIndicatorReport *report = data;

  return write_summary (writer, report, error)
         /* Translators: a spreadsheet sheet's name (at most 31 characters) */
         && write_groups (writer, _ ("Breakdown"), report->breakdown,
                          BY_GENDER | BY_AGENCY | BY_COUNTRY | BY_ROLE, cancellable, error)
         /* Translators: a spreadsheet sheet's name (at most 31 characters) */
         && write_groups (writer, _ ("By gender"), report->by_gender, BY_GENDER, cancellable, error)
         /* Translators: a spreadsheet sheet's name (at most 31 characters) */
         && write_groups (writer, _ ("By agency"), report->by_agency, BY_AGENCY, cancellable, error)
         /* Translators: a spreadsheet sheet's name (at most 31 characters) */
         && write_groups (writer, _ ("Gender by agency"), report->gender_by_agency,
                          BY_AGENCY | BY_GENDER, cancellable, error)
         /* Translators: a spreadsheet sheet's name (at most 31 characters) */
         && write_groups (writer, _ ("By country"), report->by_country, BY_COUNTRY, cancellable,
                          error)
         /* Translators: a spreadsheet sheet's name (at most 31 characters) */
         && write_groups (writer, _ ("By role"), report->by_role, BY_ROLE, cancellable, error)
         && write_workshops (writer, report, cancellable, error)
         && write_gains (writer, report, cancellable, error)
         && write_evaluation (writer, report, cancellable, error)
         && write_texts (writer, report, cancellable, error);
}

gboolean
dft_indicator_report_write_xlsx (const DftIndicatorReport *report,
                                 const char               *path,
                                 GCancellable             *cancellable,
                                 GError                  **error)
{
  g_return_val_if_fail (report != NULL, FALSE);

  return dft_table_write_xlsx (write_report, report, path, cancellable, error);
}

gboolean
dft_indicator_report_write_csv (const DftIndicatorReport *report,
                                GOutputStream            *out,
                                GCancellable             *cancellable,
                                GError                  **error)
{
  g_return_val_if_fail (report != NULL, FALSE);

  return dft_table_write_csv (write_report, report, out, TRUE, cancellable, error);
}
