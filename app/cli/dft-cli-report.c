/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The donor's indicator report from the command line: "report" selects workshops by period,
 * country, track, workshop and agency, and prints the figures, or writes them as JSON, CSV, an
 * XLSX workbook or a PDF (dft-indicators.h computes them; the writers are the app's).
 */
#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>

#include "dft-cli-private.h"
#include "dft-country.h"
#include "dft-format.h"
#include "dft-indicators-export.h"
#include "dft-indicators.h"
#include "dft-print.h"
#include "dft-schema.h"

/* Free-text answers a question shows on the terminal; the files hold them all. */
#define MAX_TEXTS 10

typedef enum
{
  FORMAT_TEXT,
  FORMAT_JSON,
  FORMAT_CSV,
  FORMAT_XLSX,
  FORMAT_PDF,
} Format;

static gboolean
format_from_name (const char *name, Format *format)
{
  static const char *const names[] = { "text", "json", "csv", "xlsx", "pdf", NULL };

  for (guint i = 0; names[i] != NULL; i++)
    if (g_ascii_strcasecmp (name, names[i]) == 0)
      {
        *format = (Format) i;
        return TRUE;
      }
  return FALSE;
}

/* The format an output file's name asks for: its suffix, else text. */
static Format
format_from_path (const char *path)
{
  const char *dot = path != NULL ? strrchr (path, '.') : NULL;
  Format      format = FORMAT_TEXT;

  if (dot == NULL || !format_from_name (dot + 1, &format) || format == FORMAT_TEXT)
    return FORMAT_TEXT;
  return format;
}

static gboolean
valid_date (const char *text)
{
  g_autoptr (GDateTime) time = NULL;
  g_autofree char      *iso = NULL;

  if (text == NULL || strlen (text) != 10)
    return FALSE;
  iso = g_strconcat (text, "T00:00:00Z", NULL);
  time = g_date_time_new_from_iso8601 (iso, NULL);
  return time != NULL;
}

static char *
number (guint value)
{
  return g_strdup_printf ("%u", value);
}

static char *
percent (double fraction)
{
  if (isnan (fraction))
    return g_strdup ("–");
  return dft_format_percent (fraction);
}

static char *
women_share (guint women, guint people)
{
  return percent (dft_indicator_women_share (women, people));
}

/* @text followed by spaces to @width characters (not bytes: names are in any script). */
static char *
pad (const char *text, guint width)
{
  glong    length = g_utf8_strlen (text, -1);
  GString *padded = g_string_new (text);

  for (glong i = length; i < (glong) width; i++)
    g_string_append_c (padded, ' ');
  return g_string_free (padded, FALSE);
}

static const char *
or_not_given (const char *text)
{
  return text == NULL || *text == '\0' ? _ ("Not given") : text;
}

static void
print_groups (const char *title, GPtrArray *groups, char *(*label) (const DftIndicatorGroup *) )
{
  if (groups == NULL || groups->len == 0)
    return;
  g_print ("\n%s\n", title);
  /* Translators: column headings of a report's table; keep the widths */
  g_print ("  %32s %8s %8s %8s %10s %11s\n", "", _ ("People"), _ ("Women"), _ ("Women %"),
           _ ("Enrolled"), _ ("Person-days"));
  for (guint i = 0; i < groups->len; i++)
    {
      const DftIndicatorGroup *group = g_ptr_array_index (groups, i);
      g_autofree char         *share = women_share (group->women, group->people);
      g_autofree char         *name = label (group);
      g_autofree char         *padded = pad (name, 32);

      g_print ("  %s %8u %8u %8s %10u %11u\n", padded, group->people, group->women, share,
               group->participations, group->person_days);
    }
}

static char *
group_gender (const DftIndicatorGroup *group)
{
  return g_strdup (dft_gender_label (group->gender));
}

static char *
group_agency (const DftIndicatorGroup *group)
{
  return g_strdup (or_not_given (group->agency));
}

static char *
group_country (const DftIndicatorGroup *group)
{
  g_autofree char *name = NULL;

  if (group->country == NULL || *group->country == '\0')
    return g_strdup (or_not_given (group->country));
  name = dft_country_name (group->country, NULL);
  return name != NULL ? g_strdup_printf ("%s (%s)", name, group->country)
                      : g_strdup (group->country);
}

static char *
group_role (const DftIndicatorGroup *group)
{
  return g_strdup (dft_role_label (group->role));
}

static void
print_headline (const char *label, const char *value)
{
  g_autofree char *padded = pad (label, 34);

  g_print ("  %s %s\n", padded, value);
}

static void
print_text (const DftIndicatorReport *report)
{
  g_autofree char *workshops = number (report->n_workshops);
  g_autofree char *people = number (report->people);
  g_autofree char *women = NULL;
  g_autofree char *participations = number (report->participations);
  g_autofree char *person_days = number (report->person_days);
  g_autofree char *attendance = percent (report->attendance_rate);
  g_autofree char *completed = NULL;

  {
    g_autofree char *share = women_share (report->women, report->people);
    /* Translators: a number of women, then their share of the people counted */
    women = g_strdup_printf (_ ("%u (%s)"), report->women, share);
  }
  {
    g_autofree char *share = women_share (report->completed_women, report->completed_people);
    /* Translators: people who completed a workshop, then how many of them were women and their
     * share */
    completed = g_strdup_printf (_ ("%u, of them %u women (%s)"), report->completed_people,
                                 report->completed_women, share);
  }

  if (report->n_workshops == 0)
    {
      g_print (_ ("No workshop matches this selection.\n"));
      return;
    }
  print_headline (_ ("Workshops"), workshops);
  print_headline (_ ("People trained"), people);
  print_headline (_ ("Women"), women);
  print_headline (_ ("Participations"), participations);
  print_headline (_ ("Person-days"), person_days);
  print_headline (_ ("Attendance rate"), attendance);
  {
    g_autofree char *share = dft_format_percent (report->selection->completion_share);
    /* Translators: %s is the share of sessions a participant must attend, e.g. “80 %” */
    g_autofree char *label = g_strdup_printf (_ ("Completed (attended ≥ %s)"), share);

    print_headline (label, completed);
  }

  print_groups (_ ("Participants by gender"), report->by_gender, group_gender);
  print_groups (_ ("Participants by agency"), report->by_agency, group_agency);
  print_groups (_ ("Participants by country"), report->by_country, group_country);
  print_groups (_ ("Everyone by role"), report->by_role, group_role);

  if (report->workshops->len > 0)
    {
      g_print ("\n%s\n", _ ("Workshops"));
      for (guint i = 0; i < report->workshops->len; i++)
        {
          const DftWorkshopFigures *w = g_ptr_array_index (report->workshops, i);
          g_autofree char          *rate = percent (w->attendance_rate);
          g_autofree char          *share = women_share (w->women, w->participants);

          /* Translators: a workshop in a report: its start date and title, then its participants,
           * the women among them and their share, its attendance rate, and how many completed */
          g_print (_ ("  %s  %s: %u participants, %u women (%s), attendance %s, %u completed\n"),
                   w->start_date != NULL ? w->start_date : "", w->title != NULL ? w->title : "",
                   w->participants, w->women, share, rate, w->completed);
        }
    }

  if (report->gains->len > 0)
    {
      g_print ("\n%s\n", _ ("Pre-test and post-test"));
      for (guint i = 0; i < report->gains->len; i++)
        {
          const DftGainFigures *g = g_ptr_array_index (report->gains, i);
          g_autofree char      *pre = dft_format_decimal (g->mean_pre, 1);
          g_autofree char      *post = dft_format_decimal (g->mean_post, 1);
          g_autofree char      *gain = dft_format_decimal (g->mean_gain, 1);
          g_autofree char      *normalized = dft_format_decimal (g->normalized_gain, 2);
          /* Translators: the line of a report with every workshop's tests together */
          const char *what = g->event_id == NULL ? _ ("Overall") : g->event_title;

          /* Translators: a test's figures: the workshop (or “Overall”), the test, the number of
           * people with both tests, average scores in percent, the gain in points and the
           * normalized gain */
          g_print (_ ("  %s, %s: %u pairs, pre %s %%, post %s %%, gain %s points, normalized %s\n"),
                   what != NULL ? what : "", g->form_title != NULL ? g->form_title : "", g->n_pairs,
                   pre, post, gain, normalized);
        }
    }

  if (report->evaluation->len > 0)
    {
      g_print ("\n%s\n", _ ("Evaluation"));
      for (guint i = 0; i < report->evaluation->len; i++)
        {
          const DftEvaluationQuestion *q = g_ptr_array_index (report->evaluation, i);
          const char *label = q->label != NULL && *q->label != '\0' ? q->label : q->name;

          switch (q->kind)
            {
            case DFT_EVALUATION_SCALE:
              {
                g_autofree char *average = dft_format_decimal (q->average, 2);

                /* Translators: a five-point question: its text, the average answer, the number
                 * of answers, then how many answered 1, 2, 3, 4 and 5 */
                g_print (_ ("  %s: average %s of %u answers (1: %u, 2: %u, 3: %u, 4: %u, 5: %u)\n"),
                         label, average, q->n_answers, q->scale[0], q->scale[1], q->scale[2],
                         q->scale[3], q->scale[4]);
                break;
              }
            case DFT_EVALUATION_CHOICE:
              g_print ("  %s:", label);
              for (guint j = 0; q->choices != NULL && j < q->choices->len; j++)
                {
                  const DftIndicatorChoice *c = g_ptr_array_index (q->choices, j);

                  g_print ("%s %s %u", j > 0 ? "," : "", c->label != NULL ? c->label : c->value,
                           c->count);
                }
              g_print ("\n");
              break;
            case DFT_EVALUATION_TEXT:
              {
                guint n = q->texts != NULL ? g_strv_length (q->texts) : 0;

                g_print ("  %s:\n", label);
                for (guint j = 0; j < MIN (n, MAX_TEXTS); j++)
                  g_print ("    – %s\n", q->texts[j]);
                if (n > MAX_TEXTS)
                  /* Translators: after the first answers to a question of an evaluation; %u is
                   * how many more there are */
                  g_print (ngettext ("    … and %u more answer: every one is in the CSV, XLSX "
                                     "and PDF.\n",
                                     "    … and %u more answers: every one is in the CSV, XLSX "
                                     "and PDF.\n",
                                     n - MAX_TEXTS),
                           n - MAX_TEXTS);
                break;
              }
            default:
              break;
            }
        }
    }
}

static int
write_json (const DftIndicatorReport *report, GOutputStream *out)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode)      root = dft_indicator_report_to_json (report);
  g_autoptr (GError)        error = NULL;
  g_autofree char          *text = NULL;
  gsize                     length;

  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, &length);
  if (!g_output_stream_write_all (out, text, length, NULL, NULL, &error)
      || !g_output_stream_write_all (out, "\n", 1, NULL, NULL, &error)
      || !g_output_stream_close (out, NULL, &error))
    return _dft_cli_fail (error);
  return 0;
}

int
_dft_cli_report (DftStore *store, int argc, char **argv)
{
  g_autoptr (GOptionContext)     context = g_option_context_new (NULL);
  g_autoptr (GError)             error = NULL;
  g_autoptr (DftReportSelection) selection = dft_report_selection_new ();
  g_autoptr (DftIndicatorReport) report = NULL;
  g_autofree char *from = NULL, *to = NULL, *format_name = NULL, *output = NULL, *paper_name = NULL;
  g_auto (GStrv)   countries = NULL, tracks = NULL, events = NULL, agencies = NULL;
  double           completion = 80;
  Format           format;
  DftPaper         paper = DFT_PAPER_A4;
  const GOptionEntry entries[] = {
    { "from", 0, 0, G_OPTION_ARG_STRING, &from, N_ ("Workshops starting on or after this day"),
      N_ ("YYYY-MM-DD") },
    { "to", 0, 0, G_OPTION_ARG_STRING, &to, N_ ("Workshops starting on or before this day"),
      N_ ("YYYY-MM-DD") },
    { "country", 0, 0, G_OPTION_ARG_STRING_ARRAY, &countries,
      N_ ("Workshops held in this country (repeat for more)"), N_ ("CODE") },
    { "track", 0, 0, G_OPTION_ARG_STRING_ARRAY, &tracks,
      N_ ("Workshops of this programme track (repeat for more)"), N_ ("TRACK") },
    { "event", 0, 0, G_OPTION_ARG_STRING_ARRAY, &events,
      N_ ("Only this workshop (repeat for more)"), N_ ("ID") },
    { "agency", 0, 0, G_OPTION_ARG_STRING_ARRAY, &agencies,
      N_ ("Only people of this agency (repeat for more)"), N_ ("AGENCY") },
    { "completion", 0, 0, G_OPTION_ARG_DOUBLE, &completion,
      N_ ("Share of sessions a participant must attend to complete (default 80)"), N_ ("PERCENT") },
    { "format", 0, 0, G_OPTION_ARG_STRING, &format_name,
      N_ ("text, json, csv, xlsx or pdf (default: from the file's suffix, else text)"),
      N_ ("FORMAT") },
    { "paper", 0, 0, G_OPTION_ARG_STRING, &paper_name, N_ ("a4 or letter (PDF)"), N_ ("PAPER") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      N_ ("Write to this file (default: standard output)"), N_ ("FILE") },
    { NULL }
  };
  int status;

  g_option_context_set_summary (
      context, _ ("The donor’s indicators across workshops: people trained by gender, agency, "
                  "country and role, attendance, completion, test gains and evaluations."));
  if (!_dft_cli_parse (context, entries, &argc, &argv, &status))
    return status;
  if (argc != 1)
    return _dft_cli_usage (context, _ ("The report takes options only."));
  if ((from != NULL && !valid_date (from)) || (to != NULL && !valid_date (to)))
    return _dft_cli_usage (context, _ ("Give dates as YYYY-MM-DD, for example 2026-01-31."));
  if (!(completion > 0 && completion <= 100))
    return _dft_cli_usage (context, _ ("The completion share is a percentage above 0, up to 100."));
  if (format_name != NULL)
    {
      if (!format_from_name (format_name, &format))
        return _dft_cli_usage (context, _ ("The format is text, json, csv, xlsx or pdf."));
    }
  else
    format = format_from_path (output);
  if (paper_name != NULL && !dft_paper_from_string (paper_name, &paper))
    return _dft_cli_usage (context, _ ("The paper is a4 or letter."));
  if ((format == FORMAT_XLSX || format == FORMAT_PDF) && output == NULL)
    return _dft_cli_usage (context, _ ("A workbook or a PDF needs a file: give -o FILE."));

  selection->from = g_steal_pointer (&from);
  selection->to = g_steal_pointer (&to);
  selection->countries = g_steal_pointer (&countries);
  selection->tracks = g_steal_pointer (&tracks);
  selection->event_ids = g_steal_pointer (&events);
  selection->agencies = g_steal_pointer (&agencies);
  selection->completion_share = completion / 100;

  report = dft_indicator_report (store, selection, NULL, &error);
  if (report == NULL)
    return _dft_cli_fail (error);

  switch (format)
    {
    case FORMAT_TEXT:
      if (output != NULL)
        return _dft_cli_usage (context, _ ("Give the format of the file: --format json, csv, xlsx "
                                           "or pdf."));
      print_text (report);
      return 0;
    case FORMAT_JSON:
    case FORMAT_CSV:
      {
        g_autoptr (GOutputStream) out = _dft_cli_open_output (output, &error);

        if (out == NULL)
          return _dft_cli_fail (error);
        if (format == FORMAT_JSON)
          return write_json (report, out);
        if (!dft_indicator_report_write_csv (report, out, NULL, &error)
            || !g_output_stream_close (out, NULL, &error))
          return _dft_cli_fail (error);
        return 0;
      }
    case FORMAT_XLSX:
      if (!dft_indicator_report_write_xlsx (report, output, NULL, &error))
        return _dft_cli_fail (error);
      return 0;
    case FORMAT_PDF:
      if (!dft_indicator_report_write_pdf (report, paper, output, NULL, &error))
        return _dft_cli_fail (error);
      return 0;
    default:
      g_assert_not_reached ();
    }
}
