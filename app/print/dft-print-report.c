/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dft-schema.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "dft-country.h"
#include "dft-format.h"
#include "dft-print-private.h"

/*
 * The indicator report as PDF, portrait: the headline figures with the women's share, two bar
 * charts drawn with cairo (gender by agency, stacked; gain per workshop), then the tables, whose
 * column headings repeat on each page a table runs onto. Laid out twice: once to count the
 * pages, so that each can say "Page N of M", then to draw.
 */

#define BODY_FONT      "8.5"
#define HEADING_FONT   "Bold 12"
#define TABLE_PAD      3.0
#define FOOTER_HEIGHT  20.0
#define MAX_CELL_LINES 3

typedef struct
{
  DftPrintDoc *doc;
  gboolean     measuring; /* counting pages: nothing is drawn */
  double       y, top, bottom, left, width;
  guint        page, n_pages;
  GError      *error;
} Flow;

typedef struct
{
  const char *heading;
  double      share;  /* of the table's width */
  gboolean    number; /* aligned to the end */
} Column;

static void
footer (Flow *flow)
{
  g_autofree char *text = NULL;

  if (flow->measuring)
    return;
  /* Translators: the footer of a printed page */
  text = g_strdup_printf (_ ("Page %u of %u"), flow->page, flow->n_pages);
  _dft_print_text (flow->doc, text, "8", flow->left, flow->bottom + 6, flow->width, 1,
                   PANGO_ALIGN_RIGHT);
}

/* Ends this page and starts the next; FALSE once anything failed or was cancelled. */
static gboolean
next_page (Flow *flow)
{
  if (flow->error != NULL)
    return FALSE;
  footer (flow);
  if (!flow->measuring && !_dft_print_doc_show_page (flow->doc, &flow->error))
    return FALSE;
  if (flow->measuring
      && g_cancellable_set_error_if_cancelled (flow->doc->cancellable, &flow->error))
    return FALSE;
  flow->page++;
  flow->y = flow->top;
  return TRUE;
}

/* Room for @height more on this page, or a new page. */
static gboolean
need (Flow *flow, double height)
{
  if (flow->y + height <= flow->bottom || flow->y == flow->top)
    return flow->error == NULL;
  return next_page (flow);
}

static double
text_at (Flow          *flow,
         const char    *text,
         const char    *font,
         double         x,
         double         width,
         int            max_lines,
         PangoAlignment alignment)
{
  g_autoptr (PangoLayout) layout
      = _dft_print_layout (flow->doc, text, font, width, max_lines, alignment);

  if (!flow->measuring)
    _dft_print_show (flow->doc, layout, x, flow->y);
  return _dft_print_layout_height (layout);
}

static void
paragraph (Flow *flow, const char *text, const char *font, double space_after)
{
  g_autoptr (PangoLayout) layout
      = _dft_print_layout (flow->doc, text, font, flow->width, 0, PANGO_ALIGN_LEFT);
  double height = _dft_print_layout_height (layout);

  if (!need (flow, height))
    return;
  if (!flow->measuring)
    _dft_print_show (flow->doc, layout, flow->left, flow->y);
  flow->y += height + space_after;
}

/* A section's heading, kept with what follows it (@keep points more). */
static void
heading (Flow *flow, const char *text, double keep)
{
  if (!need (flow, 30 + keep))
    return;
  flow->y += 8;
  flow->y += text_at (flow, text, HEADING_FONT, flow->left, flow->width, 2, PANGO_ALIGN_LEFT) + 4;
}

static double
row_height (
    Flow *flow, const Column *columns, guint n_columns, const char *const *cells, const char *font)
{
  double height = 0;

  for (guint i = 0; i < n_columns; i++)
    {
      g_autoptr (PangoLayout) layout = _dft_print_layout (
          flow->doc, cells[i], font, columns[i].share * flow->width - 2 * TABLE_PAD, MAX_CELL_LINES,
          PANGO_ALIGN_LEFT);

      height = MAX (height, _dft_print_layout_height (layout));
    }
  return height + 2 * TABLE_PAD;
}

static void
draw_row (Flow              *flow,
          const Column      *columns,
          guint              n_columns,
          const char *const *cells,
          const char        *font,
          double             height,
          gboolean           shaded)
{
  cairo_t *cr = flow->doc->cr;
  double   x = flow->left;

  if (!flow->measuring)
    {
      if (shaded)
        {
          cairo_set_source_rgb (cr, 0.9, 0.92, 0.95);
          cairo_rectangle (cr, flow->left, flow->y, flow->width, height);
          cairo_fill (cr);
        }
      cairo_set_source_rgb (cr, 0.75, 0.75, 0.75);
      cairo_set_line_width (cr, 0.4);
      cairo_move_to (cr, flow->left, flow->y + height);
      cairo_line_to (cr, flow->left + flow->width, flow->y + height);
      cairo_stroke (cr);
      cairo_set_source_rgb (cr, 0, 0, 0);
    }
  for (guint i = 0; i < n_columns; i++)
    {
      double width = columns[i].share * flow->width;
      double y = flow->y;

      flow->y += TABLE_PAD;
      text_at (flow, cells[i], font, x + TABLE_PAD, width - 2 * TABLE_PAD, MAX_CELL_LINES,
               columns[i].number ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT);
      flow->y = y;
      x += width;
    }
  flow->y += height;
}

static void
table_heading (Flow *flow, const Column *columns, guint n_columns)
{
  g_autofree const char **cells = g_new0 (const char *, n_columns);
  double                  height;

  for (guint i = 0; i < n_columns; i++)
    cells[i] = columns[i].heading;
  height = row_height (flow, columns, n_columns, cells, "Bold " BODY_FONT);
  draw_row (flow, columns, n_columns, cells, "Bold " BODY_FONT, height, TRUE);
}

/* A table of @rows (GStrv each, one cell per column); headings repeat on every page. */
static void
table (Flow *flow, const char *title, const Column *columns, guint n_columns, GPtrArray *rows)
{
  heading (flow, title, 50);
  if (flow->error != NULL)
    return;
  table_heading (flow, columns, n_columns);
  for (guint r = 0; r < rows->len && flow->error == NULL; r++)
    {
      const char *const *cells = rows->pdata[r];
      double             height = row_height (flow, columns, n_columns, cells, BODY_FONT);

      if (flow->y + height > flow->bottom)
        {
          if (!next_page (flow))
            return;
          table_heading (flow, columns, n_columns);
        }
      draw_row (flow, columns, n_columns, cells, BODY_FONT, height, FALSE);
    }
  flow->y += 6;
}

static char *
integer (guint value)
{
  return dft_format_integer (value);
}

/* "45 %", or "–" when undefined. */
static char *
percent (double fraction)
{
  g_autofree char *number = NULL;

  if (isnan (fraction))
    return g_strdup ("–");
  number = dft_format_decimal (fraction * 100, 0);
  /* Translators: a percentage; %s is the number */
  return g_strdup_printf (_ ("%s %%"), number);
}

static double
share_of (guint part, guint whole)
{
  return whole == 0 ? NAN : (double) part / whole;
}

static char *
country_label (const char *code)
{
  char *name;

  if (code == NULL || *code == '\0')
    return g_strdup (_ ("Not given"));
  name = dft_country_name (code, NULL);
  return name != NULL ? name : g_strdup (code);
}

static char *
agency_label (const char *agency)
{
  return g_strdup (agency == NULL || *agency == '\0' ? _ ("Not given") : agency);
}

static GStrv
row_new (const char *first, ...)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  va_list                  args;

  va_start (args, first);
  for (const char *cell = first; cell != NULL; cell = va_arg (args, const char *))
    g_strv_builder_add (builder, cell);
  va_end (args);
  return g_strv_builder_end (builder);
}

/* People, women and their share, participations and person-days of @groups, labelled by
 * @label_of. */
static void
group_table (Flow       *flow,
             const char *title,
             const char *what,
             GPtrArray  *groups,
             char *(*label_of) (const DftIndicatorGroup *group))
{
  const Column columns[] = {
    { what, 0.34, FALSE },
    /* Translators: a column of the indicator report: unique people */
    { _ ("People"), 0.13, TRUE },
    { _ ("Women"), 0.13, TRUE },
    /* Translators: a column of the indicator report: the women's share of the people */
    { _ ("Women’s share"), 0.13, TRUE },
    /* Translators: a column of the indicator report: enrollments in workshops */
    { _ ("Participations"), 0.14, TRUE },
    /* Translators: a column of the indicator report: days attended, summed over people */
    { _ ("Person-days"), 0.13, TRUE },
  };
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

  for (guint i = 0; groups != NULL && i < groups->len; i++)
    {
      const DftIndicatorGroup *group = groups->pdata[i];
      g_autofree char         *label = label_of (group);
      g_autofree char         *people = integer (group->people);
      g_autofree char         *women = integer (group->women);
      g_autofree char         *share = percent (share_of (group->women, group->people));
      g_autofree char         *participations = integer (group->participations);
      g_autofree char         *days = integer (group->person_days);

      g_ptr_array_add (rows, row_new (label, people, women, share, participations, days, NULL));
    }
  table (flow, title, columns, G_N_ELEMENTS (columns), rows);
}

static char *
by_gender_label (const DftIndicatorGroup *group)
{
  return g_strdup (dft_gender_label (group->gender));
}

static char *
by_agency_label (const DftIndicatorGroup *group)
{
  return agency_label (group->agency);
}

static char *
by_country_label (const DftIndicatorGroup *group)
{
  return country_label (group->country);
}

static char *
by_role_label (const DftIndicatorGroup *group)
{
  return g_strdup (dft_role_label (group->role));
}

static void
headline (Flow *flow, const DftIndicatorReport *report)
{
  const Column columns[] = {
    /* Translators: a column of the indicator report's headline figures */
    { _ ("Figure"), 0.5, FALSE },
    { _ ("All"), 0.18, TRUE },
    { _ ("Women"), 0.16, TRUE },
    { _ ("Women’s share"), 0.16, TRUE },
  };
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autofree char      *people = integer (report->people), *women = integer (report->women);
  g_autofree char      *share = percent (share_of (report->women, report->people));
  g_autofree char      *completed = integer (report->completed_people);
  g_autofree char      *completed_women = integer (report->completed_women);
  g_autofree char      *completed_share
      = percent (share_of (report->completed_women, report->completed_people));
  g_autofree char *workshops = integer (report->n_workshops);
  g_autofree char *participations = integer (report->participations);
  g_autofree char *completions = integer (report->completed_participations);
  g_autofree char *days = integer (report->person_days);
  g_autofree char *sessions = integer (report->sessions);
  g_autofree char *rate = percent (report->attendance_rate);

  /* Translators: a line of the indicator report's headline figures */
  g_ptr_array_add (
      rows, row_new (_ ("People trained (participants, each once)"), people, women, share, NULL));
  /* Translators: a line of the indicator report's headline figures */
  g_ptr_array_add (rows, row_new (_ ("People who completed a workshop"), completed, completed_women,
                                  completed_share, NULL));
  g_ptr_array_add (rows, row_new (_ ("Workshops"), workshops, "", "", NULL));
  g_ptr_array_add (rows, row_new (_ ("Participations"), participations, "", "", NULL));
  /* Translators: a line of the indicator report's headline figures */
  g_ptr_array_add (rows, row_new (_ ("Participations completed"), completions, "", "", NULL));
  g_ptr_array_add (rows, row_new (_ ("Person-days"), days, "", "", NULL));
  /* Translators: a line of the indicator report's headline figures */
  g_ptr_array_add (rows, row_new (_ ("Sessions"), sessions, "", "", NULL));
  /* Translators: a line of the indicator report's headline figures */
  g_ptr_array_add (rows, row_new (_ ("Attendance rate"), rate, "", "", NULL));
  /* Translators: a heading of the indicator report */
  table (flow, _ ("Headline figures"), columns, G_N_ELEMENTS (columns), rows);
}

static const double gender_colours[][3] = {
  { 0.80, 0.30, 0.45 }, /* female */
  { 0.20, 0.45, 0.70 }, /* male */
  { 0.55, 0.45, 0.75 }, /* other */
  { 0.60, 0.60, 0.60 }, /* undisclosed */
  { 0.80, 0.80, 0.80 }, /* not given */
};

static guint
gender_index (const char *gender)
{
  for (guint i = 0; dft_gender_choices[i] != NULL; i++)
    if (g_strcmp0 (gender, dft_gender_choices[i]) == 0)
      return i;
  return G_N_ELEMENTS (gender_colours) - 1;
}

static void
bar (Flow *flow, double x, double y, double width, double height, const double *rgb)
{
  if (flow->measuring || width <= 0)
    return;
  cairo_set_source_rgb (flow->doc->cr, rgb[0], rgb[1], rgb[2]);
  cairo_rectangle (flow->doc->cr, x, y, width, height);
  cairo_fill (flow->doc->cr);
  cairo_set_source_rgb (flow->doc->cr, 0, 0, 0);
}

#define CHART_LABEL_WIDTH 170.0
#define CHART_BAR_HEIGHT  13.0
#define CHART_ROW_HEIGHT  19.0

/* Participants by agency, each bar stacked by gender, with a legend. */
static void
gender_by_agency_chart (Flow *flow, const DftIndicatorReport *report)
{
  GPtrArray *agencies = report->by_agency;
  double     plot = flow->width - CHART_LABEL_WIDTH - 40;
  guint      most = 0;
  double     x;

  if (agencies == NULL || agencies->len == 0)
    return;
  for (guint i = 0; i < agencies->len; i++)
    most = MAX (most, ((DftIndicatorGroup *) agencies->pdata[i])->people);
  /* Translators: a chart's heading in the indicator report */
  heading (flow, _ ("Participants by agency and gender"), 3 * CHART_ROW_HEIGHT);
  if (flow->error != NULL)
    return;

  /* The legend. */
  x = flow->left;
  for (guint g = 0; g < G_N_ELEMENTS (gender_colours); g++)
    {
      const char             *label = dft_gender_label (g < 4 ? dft_gender_choices[g] : "");
      g_autoptr (PangoLayout) layout
          = _dft_print_layout (flow->doc, label, "8", 0, 1, PANGO_ALIGN_LEFT);
      int label_width;

      pango_layout_get_size (layout, &label_width, NULL);
      bar (flow, x, flow->y + 2, 9, 9, gender_colours[g]);
      if (!flow->measuring)
        _dft_print_show (flow->doc, layout, x + 12, flow->y);
      x += 12 + (double) label_width / PANGO_SCALE + 14;
    }
  flow->y += 18;

  for (guint i = 0; i < agencies->len && flow->error == NULL; i++)
    {
      const DftIndicatorGroup *agency = agencies->pdata[i];
      g_autofree char         *label = agency_label (agency->agency);
      g_autofree char         *total = integer (agency->people);
      double                   left = flow->left + CHART_LABEL_WIDTH;

      if (!need (flow, CHART_ROW_HEIGHT))
        return;
      text_at (flow, label, "8", flow->left, CHART_LABEL_WIDTH - 6, 1, PANGO_ALIGN_RIGHT);
      /* The segments in the order of dft_gender_choices, then "not given". */
      for (guint g = 0; g < G_N_ELEMENTS (gender_colours); g++)
        for (guint j = 0; report->gender_by_agency != NULL && j < report->gender_by_agency->len;
             j++)
          {
            const DftIndicatorGroup *cell = report->gender_by_agency->pdata[j];
            double                   width;

            if (g_strcmp0 (cell->agency, agency->agency) != 0 || gender_index (cell->gender) != g)
              continue;
            width = most > 0 ? plot * cell->people / most : 0;
            bar (flow, left, flow->y + 1, width, CHART_BAR_HEIGHT, gender_colours[g]);
            left += width;
          }
      text_at (flow, total, "8", left + 4, 40, 1, PANGO_ALIGN_LEFT);
      flow->y += CHART_ROW_HEIGHT;
    }
  flow->y += 6;
}

static char *
gain_label (const DftGainFigures *gain)
{
  if (gain->event_id == NULL)
    /* Translators: the line of every workshop together in the gain chart and table */
    return g_strdup (_ ("All workshops"));
  if (gain->form_title != NULL && *gain->form_title != '\0')
    return g_strdup_printf ("%s · %s", gain->event_title != NULL ? gain->event_title : "",
                            gain->form_title);
  return g_strdup (gain->event_title != NULL ? gain->event_title : "");
}

/* Mean gain (points) of each workshop's test, bars from a zero line. */
static void
gain_chart (Flow *flow, const DftIndicatorReport *report)
{
  static const double colour[] = { 0.20, 0.55, 0.35 };
  static const double loss[] = { 0.80, 0.35, 0.25 };
  double              plot = flow->width - CHART_LABEL_WIDTH - 50;
  double              most = 0, least = 0, scale, zero;
  guint               n = 0;

  for (guint i = 0; report->gains != NULL && i < report->gains->len; i++)
    {
      const DftGainFigures *gain = report->gains->pdata[i];

      if (isnan (gain->mean_gain))
        continue;
      most = MAX (most, gain->mean_gain);
      least = MIN (least, gain->mean_gain);
      n++;
    }
  if (n == 0)
    return;
  /* Translators: a chart's heading in the indicator report: mean post-test minus pre-test
   * score, in percentage points */
  heading (flow, _ ("Gain per workshop (percentage points)"), 2 * CHART_ROW_HEIGHT);
  scale = most - least > 0 ? plot / (most - least) : 0;
  zero = flow->left + CHART_LABEL_WIDTH + 20 - least * scale;
  for (guint i = 0; i < report->gains->len && flow->error == NULL; i++)
    {
      const DftGainFigures *gain = report->gains->pdata[i];
      g_autofree char      *label = NULL;
      g_autofree char      *value = NULL;
      double                width;

      if (isnan (gain->mean_gain) || !need (flow, CHART_ROW_HEIGHT))
        continue;
      label = gain_label (gain);
      value = dft_format_decimal (gain->mean_gain, 1);
      width = gain->mean_gain * scale;
      text_at (flow, label, "8", flow->left, CHART_LABEL_WIDTH - 6, 1, PANGO_ALIGN_RIGHT);
      bar (flow, width >= 0 ? zero : zero + width, flow->y + 1, fabs (width), CHART_BAR_HEIGHT,
           gain->mean_gain >= 0 ? colour : loss);
      text_at (flow, value, "8", width >= 0 ? zero + width + 4 : zero + 4, 45, 1, PANGO_ALIGN_LEFT);
      flow->y += CHART_ROW_HEIGHT;
    }
  if (!flow->measuring)
    {
      cairo_set_line_width (flow->doc->cr, 0.6);
      cairo_move_to (flow->doc->cr, zero, flow->y - n * CHART_ROW_HEIGHT);
      cairo_line_to (flow->doc->cr, zero, flow->y);
      cairo_stroke (flow->doc->cr);
    }
  flow->y += 6;
}

static void
workshops_table (Flow *flow, const DftIndicatorReport *report)
{
  const Column columns[] = {
    /* Translators: a column of the indicator report */
    { _ ("Workshop"), 0.23, FALSE },
    { _ ("Dates"), 0.14, FALSE },
    { _ ("Country"), 0.11, FALSE },
    { _ ("Participants"), 0.12, TRUE },
    { _ ("Women"), 0.08, TRUE },
    { _ ("Sessions"), 0.09, TRUE },
    /* Translators: a column of the indicator report */
    { _ ("Attendance"), 0.12, TRUE },
    /* Translators: a column of the indicator report: participants who completed */
    { _ ("Completed"), 0.11, TRUE },
  };
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

  for (guint i = 0; report->workshops != NULL && i < report->workshops->len; i++)
    {
      const DftWorkshopFigures *w = report->workshops->pdata[i];
      g_autoptr (GDateTime)     start = _dft_print_parse_date (w->start_date);
      g_autoptr (GDateTime)     end = _dft_print_parse_date (w->end_date);
      g_autofree char          *dates = start != NULL
                                            ? dft_format_date_range (start, end != NULL ? end : start)
                                            : g_strdup (w->start_date != NULL ? w->start_date : "");
      g_autofree char          *country = country_label (w->country);
      g_autofree char          *participants = integer (w->participants);
      g_autofree char          *women = integer (w->women);
      g_autofree char          *sessions = integer (w->sessions);
      g_autofree char          *rate = percent (w->attendance_rate);
      g_autofree char          *completed = integer (w->completed);

      g_ptr_array_add (rows, row_new (w->title != NULL ? w->title : "", dates, country,
                                      participants, women, sessions, rate, completed, NULL));
    }
  /* Translators: a heading of the indicator report */
  table (flow, _ ("Workshops"), columns, G_N_ELEMENTS (columns), rows);
}

static char *
decimal_or_dash (double value, guint digits)
{
  return isnan (value) ? g_strdup ("–") : dft_format_decimal (value, digits);
}

static void
gains_table (Flow *flow, const DftIndicatorReport *report)
{
  const Column columns[] = {
    { _ ("Workshop"), 0.30, FALSE },
    /* Translators: a column of the indicator report: people who took the pre-test */
    { _ ("Pre-tests"), 0.10, TRUE },
    { _ ("Post-tests"), 0.10, TRUE },
    /* Translators: a column of the indicator report: people who took both tests */
    { _ ("Pairs"), 0.08, TRUE },
    /* Translators: a column of the indicator report: mean pre-test score, percent */
    { _ ("Mean pre"), 0.10, TRUE },
    { _ ("Mean post"), 0.10, TRUE },
    /* Translators: a column of the indicator report: mean gain, percentage points */
    { _ ("Gain"), 0.10, TRUE },
    /* Translators: a column of the indicator report: (post − pre) / (100 − pre) */
    { _ ("Normalized gain"), 0.12, TRUE },
  };
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

  if (report->gains == NULL || report->gains->len == 0)
    return;
  for (guint i = 0; i < report->gains->len; i++)
    {
      const DftGainFigures *g = report->gains->pdata[i];
      g_autofree char      *label = gain_label (g);
      g_autofree char      *pre = integer (g->n_pre), *post = integer (g->n_post);
      g_autofree char      *pairs = integer (g->n_pairs);
      g_autofree char      *mean_pre = decimal_or_dash (g->mean_pre, 1);
      g_autofree char      *mean_post = decimal_or_dash (g->mean_post, 1);
      g_autofree char      *gain = decimal_or_dash (g->mean_gain, 1);
      g_autofree char      *normalized = decimal_or_dash (g->normalized_gain, 2);

      g_ptr_array_add (
          rows, row_new (label, pre, post, pairs, mean_pre, mean_post, gain, normalized, NULL));
    }
  /* Translators: a heading of the indicator report */
  table (flow, _ ("Pre-test and post-test"), columns, G_N_ELEMENTS (columns), rows);
}

static void
evaluation (Flow *flow, const DftIndicatorReport *report)
{
  const Column scale_columns[] = {
    /* Translators: a column of the evaluation table: the number of answers */
    { _ ("Answers"), 0.16, TRUE },
    /* Translators: a column of the evaluation table: the mean of a 1 to 5 scale */
    { _ ("Average"), 0.16, TRUE },
    { "1", 0.136, TRUE },
    { "2", 0.136, TRUE },
    { "3", 0.136, TRUE },
    { "4", 0.136, TRUE },
    { "5", 0.136, TRUE },
  };
  const Column choice_columns[] = {
    /* Translators: a column of the evaluation table: an answer chosen */
    { _ ("Answer"), 0.7, FALSE },
    /* Translators: a column of the evaluation table: how many chose it */
    { _ ("Chosen by"), 0.3, TRUE },
  };

  if (report->evaluation == NULL || report->evaluation->len == 0)
    return;
  /* Translators: a heading of the indicator report */
  heading (flow, _ ("Evaluation"), 40);
  for (guint i = 0; i < report->evaluation->len && flow->error == NULL; i++)
    {
      const DftEvaluationQuestion *q = report->evaluation->pdata[i];
      g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
      g_autofree char      *title
          = g_strdup_printf ("%s — %s", q->form_title != NULL ? q->form_title : "",
                             q->label != NULL ? q->label : q->name);

      switch (q->kind)
        {
        case DFT_EVALUATION_SCALE:
          {
            g_autofree char *answers = integer (q->n_answers);
            g_autofree char *average = decimal_or_dash (q->average, 2);
            char            *counts[5];

            for (guint s = 0; s < 5; s++)
              counts[s] = integer (q->scale[s]);
            g_ptr_array_add (rows, row_new (answers, average, counts[0], counts[1], counts[2],
                                            counts[3], counts[4], NULL));
            for (guint s = 0; s < 5; s++)
              g_free (counts[s]);
            table (flow, title, scale_columns, G_N_ELEMENTS (scale_columns), rows);
            break;
          }
        case DFT_EVALUATION_CHOICE:
          for (guint c = 0; q->choices != NULL && c < q->choices->len; c++)
            {
              const DftIndicatorChoice *choice = q->choices->pdata[c];
              g_autofree char          *count = integer (choice->count);

              g_ptr_array_add (rows, row_new (choice->label != NULL ? choice->label : choice->value,
                                              count, NULL));
            }
          table (flow, title, choice_columns, G_N_ELEMENTS (choice_columns), rows);
          break;
        case DFT_EVALUATION_TEXT:
          heading (flow, title, 14);
          for (guint t = 0; q->texts != NULL && q->texts[t] != NULL; t++)
            {
              g_autofree char *item = g_strdup_printf ("• %s", q->texts[t]);

              paragraph (flow, item, BODY_FONT, 3);
            }
          flow->y += 6;
          break;
        default:
          g_assert_not_reached ();
        }
    }
}

/* "1 Jan 2026 – 31 Mar 2026 · KG, TJ · 3 workshops" */
static char *
selection_line (const DftIndicatorReport *report)
{
  const DftReportSelection *selection = report->selection;
  g_autoptr (GPtrArray)     parts = g_ptr_array_new_with_free_func (g_free);
  g_autofree char          *count = integer (report->n_workshops);

  if (selection != NULL && (selection->from != NULL || selection->to != NULL))
    /* Translators: the period of the indicator report; either end may be "…" */
    g_ptr_array_add (parts, g_strdup_printf (_ ("From %s to %s"),
                                             selection->from != NULL ? selection->from : "…",
                                             selection->to != NULL ? selection->to : "…"));
  if (selection != NULL && selection->countries != NULL && selection->countries[0] != NULL)
    g_ptr_array_add (parts, g_strjoinv (", ", selection->countries));
  if (selection != NULL && selection->tracks != NULL && selection->tracks[0] != NULL)
    g_ptr_array_add (parts, g_strjoinv (", ", selection->tracks));
  if (selection != NULL && selection->agencies != NULL && selection->agencies[0] != NULL)
    g_ptr_array_add (parts, g_strjoinv (", ", selection->agencies));
  g_ptr_array_add (parts,
                   g_strdup_printf (
                       /* Translators: how many workshops the indicator report covers */
                       ngettext ("%s workshop", "%s workshops", report->n_workshops), count));
  if (selection != NULL)
    {
      g_autofree char *share = percent (selection->completion_share);

      g_ptr_array_add (parts,
                       /* Translators: the completion threshold of the indicator report; %s is a
                        * percentage, as "80 %" */
                       g_strdup_printf (_ ("completed: attended %s of the sessions"), share));
    }
  g_ptr_array_add (parts, NULL);
  return g_strjoinv (" · ", (char **) parts->pdata);
}

static void
layout_report (Flow *flow, const DftIndicatorReport *report)
{
  g_autofree char *line = selection_line (report);

  flow->page = 1;
  flow->y = flow->top;
  /* Translators: the title of the printed indicator report */
  paragraph (flow, _ ("Indicator report"), "Bold 18", 2);
  paragraph (flow, line, "9", 6);
  headline (flow, report);
  gender_by_agency_chart (flow, report);
  gain_chart (flow, report);
  /* Translators: a heading of the indicator report; the first column's heading follows */
  group_table (flow, _ ("Participants by gender"), _ ("Gender"), report->by_gender,
               by_gender_label);
  group_table (flow, _ ("Participants by agency"), _ ("Agency"), report->by_agency,
               by_agency_label);
  group_table (flow, _ ("Participants by country"), _ ("Country"), report->by_country,
               by_country_label);
  group_table (flow, _ ("Everyone by role"), _ ("Role"), report->by_role, by_role_label);
  workshops_table (flow, report);
  gains_table (flow, report);
  evaluation (flow, report);
  if (flow->error == NULL)
    footer (flow);
}

gboolean
dft_indicator_report_write_pdf (const DftIndicatorReport *report,
                                DftPaper                  paper,
                                const char               *path,
                                GCancellable             *cancellable,
                                GError                  **error)
{
  g_autoptr (DftPrintDoc) doc = NULL;
  double                  width, height;
  Flow                    flow = { 0 };

  g_return_val_if_fail (report != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  _dft_print_paper_size (paper, FALSE, &width, &height);
  doc = _dft_print_doc_new (path, width, height, cancellable, error);
  if (doc == NULL)
    return FALSE;
  flow.doc = doc;
  flow.left = DFT_PRINT_MARGIN;
  flow.width = width - 2 * DFT_PRINT_MARGIN;
  flow.top = DFT_PRINT_MARGIN;
  flow.bottom = height - DFT_PRINT_MARGIN - FOOTER_HEIGHT;

  /* First count the pages, then draw them. */
  flow.measuring = TRUE;
  layout_report (&flow, report);
  flow.n_pages = flow.page;
  flow.measuring = FALSE;
  if (flow.error == NULL)
    layout_report (&flow, report);
  if (flow.error == NULL)
    _dft_print_doc_show_page (doc, &flow.error);
  if (flow.error != NULL)
    {
      g_propagate_error (error, flow.error);
      return FALSE;
    }
  g_assert (doc->n_pages == flow.n_pages);
  return _dft_print_doc_finish (doc, error);
}
