/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "dft-chart.h"
#include "dft-country.h"
#include "dft-format.h"
#include "dft-indicators-export.h"
#include "dft-print.h"
#include "dft-reports-page.h"
#include "dft-ui-util.h"

/* A selection typed or clicked settles for this long before the report is computed again:
 * the From and To fields change twice for one quick choice, and a person types a date one
 * digit at a time. */
#define DEBOUNCE_MS 150

/* Changes to the register (a sync brings hundreds) are gathered this long before the report
 * is computed again. */
#define REFRESH_MS 1000

/* The charts show this many agencies or workshops, then one bar for all the others. */
#define MAX_BARS 12

/* The page lists this many free-text answers to a question (a year's register holds tens of
 * thousands, and each is a label made on the UI thread); the saved report has them all. */
#define MAX_TEXTS 200

#define N_FILTERS 4

typedef struct
{
  AdwActionRow  *row;
  GtkMenuButton *button;
  GtkLabel      *summary;
  GtkBox        *list;
  GPtrArray     *checks; /* GtkCheckButton, each with its value as "value" */
} Filter;

struct _DftReportsPage
{
  AdwBin parent_instance;

  GtkSpinner          *spinner;
  GtkFlowBox          *period_box;
  GtkRevealer         *error_revealer;
  GtkLabel            *error_label;
  AdwEntryRow         *from_row;
  AdwEntryRow         *to_row;
  GtkSpinButton       *threshold_spin;
  AdwActionRow        *selection_row;
  GtkImage            *selection_arrow;
  AdwPreferencesGroup *selection_group;
  GtkStack            *results_stack;
  GtkBox              *results_box;

  Filter              filters[N_FILTERS];
  GHashTable         *figures; /* name → GtkLabel, in the report shown */
  DftStore           *store;
  DftIndicatorReport *report;
  GCancellable       *cancellable;         /* the report being computed */
  GCancellable       *choices_cancellable; /* the filters' choices being read */
  GCancellable       *save_cancellable;
  guint               debounce_id;
  guint               refresh_id; /* the store changed: read it again soon */
  guint               generation;
  gboolean            computing;
  gboolean            reading_choices;
  gboolean            saving;
  gboolean            folded;
  gboolean            updating; /* the fields are being set: one report at the end */
};

G_DEFINE_FINAL_TYPE (DftReportsPage, dft_reports_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_FOLDED,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef enum
{
  FORMAT_XLSX,
  FORMAT_PDF,
  FORMAT_CSV,
} Format;

static const struct
{
  const char *suffix;
  const char *name; /* of the file chooser's filter */
} formats[] = {
  [FORMAT_XLSX] = { ".xlsx", N_ ("Spreadsheet (XLSX)") },
  [FORMAT_PDF] = { ".pdf", N_ ("Document to print (PDF)") },
  [FORMAT_CSV] = { ".csv", N_ ("Comma-separated values (CSV)") },
};

static void  schedule_report (DftReportsPage *self);
static guint filter_n_active (Filter *filter);

/* ---- Busy ------------------------------------------------------------------------------ */

gboolean
dft_reports_page_get_busy (DftReportsPage *self)
{
  g_return_val_if_fail (DFT_IS_REPORTS_PAGE (self), FALSE);
  return self->computing || self->reading_choices || self->saving || self->debounce_id != 0
         || self->refresh_id != 0;
}

static void
update_busy (DftReportsPage *self)
{
  gboolean computing = self->computing || self->reading_choices || self->debounce_id != 0;

  gtk_widget_set_visible (GTK_WIDGET (self->spinner), computing || self->saving);
  gtk_spinner_set_spinning (self->spinner, computing || self->saving);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "reports.save", !self->saving);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "reports.save-to", !self->saving);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
show_error (DftReportsPage *self, const char *message)
{
  if (message != NULL)
    gtk_label_set_text (self->error_label, message);
  gtk_revealer_set_reveal_child (self->error_revealer, message != NULL);
}

/* ---- The selection ---------------------------------------------------------------------- */

/* The date in @row: TRUE with NULL when empty, FALSE with a message when not a date. */
static gboolean
row_date (AdwEntryRow *row, char **date, char **message)
{
  g_autofree char *text = dft_ui_editable_text (GTK_EDITABLE (row));
  GDate            parsed;

  *date = NULL;
  if (text == NULL)
    return TRUE;
  if (!dft_ui_parse_date (text, &parsed))
    {
      *message = g_strdup_printf (
          /* Translators: %s is what was typed in the From or To field of the Reports page */
          _ ("“%s” is not a date. Write it as year-month-day, for example 2026-03-31."), text);
      return FALSE;
    }
  *date = g_steal_pointer (&text);
  return TRUE;
}

static GStrv
filter_values (Filter *filter)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; filter->checks != NULL && i < filter->checks->len; i++)
    {
      GtkCheckButton *check = g_ptr_array_index (filter->checks, i);

      if (gtk_check_button_get_active (check))
        g_strv_builder_add (builder, g_object_get_data (G_OBJECT (check), "value"));
    }
  return g_strv_builder_end (builder);
}

static DftReportSelection *
read_selection (DftReportsPage *self, char **message)
{
  g_autoptr (DftReportSelection) selection = dft_report_selection_new ();

  if (!row_date (self->from_row, &selection->from, message)
      || !row_date (self->to_row, &selection->to, message))
    return NULL;
  if (selection->from != NULL && selection->to != NULL
      && strcmp (selection->from, selection->to) > 0)
    {
      *message = g_strdup (_ ("The period ends before it starts: the To date comes first."));
      return NULL;
    }
  selection->countries = filter_values (&self->filters[DFT_REPORTS_FILTER_COUNTRIES]);
  selection->tracks = filter_values (&self->filters[DFT_REPORTS_FILTER_TRACKS]);
  selection->event_ids = filter_values (&self->filters[DFT_REPORTS_FILTER_WORKSHOPS]);
  selection->agencies = filter_values (&self->filters[DFT_REPORTS_FILTER_AGENCIES]);
  selection->completion_share = gtk_spin_button_get_value (self->threshold_spin) / 100.0;
  return g_steal_pointer (&selection);
}

DftReportSelection *
dft_reports_page_get_selection (DftReportsPage *self)
{
  g_autofree char *message = NULL;

  g_return_val_if_fail (DFT_IS_REPORTS_PAGE (self), NULL);
  return read_selection (self, &message);
}

/* ---- The filters ------------------------------------------------------------------------- */

static const char *
filter_title (DftReportsFilter filter)
{
  switch (filter)
    {
    case DFT_REPORTS_FILTER_COUNTRIES:
      return _ ("Countries");
    case DFT_REPORTS_FILTER_TRACKS:
      return _ ("Tracks");
    case DFT_REPORTS_FILTER_WORKSHOPS:
      return _ ("Workshops");
    case DFT_REPORTS_FILTER_AGENCIES:
    default:
      return _ ("Agencies");
    }
}

static char *
filter_summary (DftReportsFilter filter, guint n)
{
  switch (filter)
    {
    case DFT_REPORTS_FILTER_COUNTRIES:
      if (n == 0)
        return g_strdup (_ ("All countries"));
      /* Translators: how many countries the report is limited to */
      return g_strdup_printf (ngettext ("%u country", "%u countries", n), n);
    case DFT_REPORTS_FILTER_TRACKS:
      if (n == 0)
        return g_strdup (_ ("All tracks"));
      /* Translators: how many programme tracks the report is limited to */
      return g_strdup_printf (ngettext ("%u track", "%u tracks", n), n);
    case DFT_REPORTS_FILTER_WORKSHOPS:
      if (n == 0)
        return g_strdup (_ ("All workshops"));
      /* Translators: how many workshops the report is limited to */
      return g_strdup_printf (ngettext ("%u workshop", "%u workshops", n), n);
    case DFT_REPORTS_FILTER_AGENCIES:
    default:
      if (n == 0)
        return g_strdup (_ ("All agencies"));
      /* Translators: how many agencies the report is limited to */
      return g_strdup_printf (ngettext ("%u agency", "%u agencies", n), n);
    }
}

static void
update_summary (DftReportsPage *self, DftReportsFilter which)
{
  Filter          *filter = &self->filters[which];
  GtkCheckButton  *only = NULL;
  guint            n = filter_n_active (filter);
  g_autofree char *text = NULL;

  for (guint i = 0; n == 1 && i < filter->checks->len; i++)
    if (gtk_check_button_get_active (g_ptr_array_index (filter->checks, i)))
      only = g_ptr_array_index (filter->checks, i);
  /* One value is named, as its check button names it; more are counted. */
  text = n == 1 ? g_strdup (gtk_check_button_get_label (only)) : filter_summary (which, n);
  gtk_label_set_text (filter->summary, text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (filter->button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  filter_title (which), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text,
                                  -1);
}

static guint
filter_n_active (Filter *filter)
{
  guint n = 0;

  for (guint i = 0; filter->checks != NULL && i < filter->checks->len; i++)
    n += gtk_check_button_get_active (g_ptr_array_index (filter->checks, i));
  return n;
}

/* What the selection holds, on the Selection row even when it is folded: counts only, never
 * a value of the data (the row reads its subtitle as markup in some libadwaita versions). */
static void
update_selection_summary (DftReportsPage *self)
{
  g_autofree char    *from = dft_ui_editable_text (GTK_EDITABLE (self->from_row));
  g_autofree char    *to = dft_ui_editable_text (GTK_EDITABLE (self->to_row));
  GDate               date;
  g_autofree char    *period = NULL;
  g_autoptr (GString) text = g_string_new (NULL);

  if (from != NULL && !dft_ui_parse_date (from, &date))
    g_clear_pointer (&from, g_free);
  if (to != NULL && !dft_ui_parse_date (to, &date))
    g_clear_pointer (&to, g_free);
  if (from != NULL && to != NULL)
    period = dft_ui_format_date_range (from, to);
  else if (from != NULL)
    {
      g_autofree char *day = dft_ui_format_date (from, FALSE);
      /* Translators: the period of a report with no end: %s is its first day */
      period = g_strdup_printf (_ ("from %s"), day);
    }
  else if (to != NULL)
    {
      g_autofree char *day = dft_ui_format_date (to, FALSE);
      /* Translators: the period of a report with no start: %s is its last day */
      period = g_strdup_printf (_ ("until %s"), day);
    }
  else
    period = g_strdup (_ ("All time"));
  g_string_append (text, period);
  for (guint i = 0; i < N_FILTERS; i++)
    {
      g_autofree char *summary = filter_summary (i, filter_n_active (&self->filters[i]));

      /* Translators: the separator between the parts of the Selection row's summary */
      g_string_append (text, _ (" · "));
      g_string_append (text, summary);
    }
  adw_action_row_set_subtitle (self->selection_row, text->str);
}

static void
check_toggled_cb (GtkCheckButton *check, DftReportsPage *self)
{
  DftReportsFilter which = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (check), "filter"));

  update_summary (self, which);
  if (!self->updating)
    schedule_report (self);
}

static void
clear_filter_cb (GtkButton *button, DftReportsPage *self)
{
  DftReportsFilter which = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "filter"));
  Filter          *filter = &self->filters[which];

  self->updating = TRUE;
  for (guint i = 0; filter->checks != NULL && i < filter->checks->len; i++)
    gtk_check_button_set_active (g_ptr_array_index (filter->checks, i), FALSE);
  self->updating = FALSE;
  update_summary (self, which);
  schedule_report (self);
}

static void
build_filter (DftReportsPage *self, DftReportsFilter which)
{
  Filter    *filter = &self->filters[which];
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *clear = gtk_button_new_with_label (_ ("Any"));
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *popover = gtk_popover_new ();

  filter->row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (filter->row), filter_title (which));
  filter->summary = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (filter->summary, TRUE);
  gtk_label_set_wrap_mode (filter->summary, PANGO_WRAP_WORD_CHAR);
  gtk_label_set_max_width_chars (filter->summary, 24);
  gtk_label_set_justify (filter->summary, GTK_JUSTIFY_CENTER);
  filter->button = GTK_MENU_BUTTON (gtk_menu_button_new ());
  gtk_menu_button_set_child (filter->button, GTK_WIDGET (filter->summary));
  gtk_widget_set_valign (GTK_WIDGET (filter->button), GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (filter->row, GTK_WIDGET (filter->button));
  adw_action_row_set_activatable_widget (filter->row, GTK_WIDGET (filter->button));

  g_object_set_data (G_OBJECT (clear), "filter", GUINT_TO_POINTER (which));
  g_signal_connect_object (clear, "clicked", G_CALLBACK (clear_filter_cb), self, 0);
  gtk_box_append (GTK_BOX (box), clear);
  filter->list = GTK_BOX (gtk_box_new (GTK_ORIENTATION_VERTICAL, 0));
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), GTK_WIDGET (filter->list));
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_propagate_natural_width (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scroller), 320);
  gtk_box_append (GTK_BOX (box), scroller);
  gtk_popover_set_child (GTK_POPOVER (popover), box);
  gtk_menu_button_set_popover (filter->button, popover);
  filter->checks = g_ptr_array_new ();
  adw_preferences_group_add (self->selection_group, GTK_WIDGET (filter->row));
  update_summary (self, which);
}

/* Fills @which's popover with @values (shown as @labels), keeping the ticks of the values
 * that are still there. */
static void
fill_filter (DftReportsPage    *self,
             DftReportsFilter   which,
             const char *const *values,
             const char *const *labels)
{
  Filter        *filter = &self->filters[which];
  g_auto (GStrv) active = filter_values (filter);
  GtkWidget     *child;
  guint          n = values != NULL ? g_strv_length ((GStrv) values) : 0;

  self->updating = TRUE;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (filter->list))) != NULL)
    gtk_box_remove (filter->list, child);
  g_ptr_array_set_size (filter->checks, 0);
  for (guint i = 0; i < n; i++)
    {
      GtkWidget *check = gtk_check_button_new_with_label (labels[i]);
      GtkWidget *label = gtk_widget_get_last_child (check);

      /* A label from the data: plain text, wrapped rather than cut. */
      gtk_check_button_set_use_underline (GTK_CHECK_BUTTON (check), FALSE);
      if (GTK_IS_LABEL (label))
        {
          gtk_label_set_wrap (GTK_LABEL (label), TRUE);
          gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
          gtk_label_set_max_width_chars (GTK_LABEL (label), 36);
        }
      g_object_set_data_full (G_OBJECT (check), "value", g_strdup (values[i]), g_free);
      g_object_set_data (G_OBJECT (check), "filter", GUINT_TO_POINTER (which));
      gtk_check_button_set_active (GTK_CHECK_BUTTON (check),
                                   g_strv_contains ((const char *const *) active, values[i]));
      g_signal_connect_object (check, "toggled", G_CALLBACK (check_toggled_cb), self, 0);
      gtk_box_append (filter->list, check);
      g_ptr_array_add (filter->checks, check);
    }
  self->updating = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (filter->button), n > 0);
  adw_action_row_set_subtitle (filter->row, n > 0 ? "" : _ ("None in this register"));
  update_summary (self, which);
}

GtkCheckButton *
dft_reports_page_get_check (DftReportsPage *self, DftReportsFilter filter, const char *value)
{
  GPtrArray *checks;

  g_return_val_if_fail (DFT_IS_REPORTS_PAGE (self), NULL);
  g_return_val_if_fail (filter < N_FILTERS, NULL);
  checks = self->filters[filter].checks;
  for (guint i = 0; i < checks->len; i++)
    if (g_strcmp0 (g_object_get_data (g_ptr_array_index (checks, i), "value"), value) == 0)
      return g_ptr_array_index (checks, i);
  return NULL;
}

static char *
country_label (const char *code)
{
  char *name = dft_country_name (code, NULL);

  return name != NULL ? name : g_strdup (code);
}

static void
show_choices (DftReportsPage *self, const DftReportChoices *choices)
{
  g_autoptr (GPtrArray) values = g_ptr_array_new ();
  g_autoptr (GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; choices->countries != NULL && choices->countries[i] != NULL; i++)
    {
      g_ptr_array_add (values, choices->countries[i]);
      g_ptr_array_add (labels, country_label (choices->countries[i]));
    }
  g_ptr_array_add (values, NULL);
  g_ptr_array_add (labels, NULL);
  fill_filter (self, DFT_REPORTS_FILTER_COUNTRIES, (const char *const *) values->pdata,
               (const char *const *) labels->pdata);
  fill_filter (self, DFT_REPORTS_FILTER_TRACKS, (const char *const *) choices->tracks,
               (const char *const *) choices->tracks);
  fill_filter (self, DFT_REPORTS_FILTER_AGENCIES, (const char *const *) choices->agencies,
               (const char *const *) choices->agencies);

  g_ptr_array_set_size (values, 0);
  g_ptr_array_set_size (labels, 0);
  for (guint i = 0; choices->workshops != NULL && i < choices->workshops->len; i++)
    {
      const DftWorkshopFigures *workshop = g_ptr_array_index (choices->workshops, i);
      g_autofree char *dates = dft_ui_format_date_range (workshop->start_date, workshop->end_date);

      g_ptr_array_add (values, workshop->event_id);
      /* Translators: a workshop in the Reports page's list: its title, then its dates */
      g_ptr_array_add (labels, g_strdup_printf (_ ("%s, %s"), workshop->title, dates));
    }
  g_ptr_array_add (values, NULL);
  g_ptr_array_add (labels, NULL);
  fill_filter (self, DFT_REPORTS_FILTER_WORKSHOPS, (const char *const *) values->pdata,
               (const char *const *) labels->pdata);
}

typedef struct
{
  DftStore         *store;
  DftReportChoices *choices;
} ChoicesJob;

static void
choices_job_free (gpointer data)
{
  ChoicesJob *job = data;

  g_object_unref (job->store);
  g_clear_pointer (&job->choices, dft_report_choices_free);
  g_free (job);
}

static gboolean
choices_work (gpointer data, GCancellable *cancellable, GError **error)
{
  ChoicesJob *job = data;

  job->choices = dft_report_choices (job->store, error);
  return job->choices != NULL;
}

static void
choices_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftReportsPage    *self = DFT_REPORTS_PAGE (source);
  ChoicesJob        *job = dft_ui_run_get_data (result);
  g_autoptr (GError) error = NULL;

  if (!dft_ui_run_finish (result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      self->reading_choices = FALSE;
      show_error (self, error->message);
      update_busy (self);
      return;
    }
  self->reading_choices = FALSE;
  show_choices (self, job->choices);
  /* A value no longer there is no longer selected: the report follows. */
  schedule_report (self);
}

static void
read_choices (DftReportsPage *self)
{
  ChoicesJob *job;

  if (self->store == NULL)
    return;
  g_cancellable_cancel (self->choices_cancellable);
  g_clear_object (&self->choices_cancellable);
  self->choices_cancellable = g_cancellable_new ();
  self->reading_choices = TRUE;
  job = g_new0 (ChoicesJob, 1);
  job->store = g_object_ref (self->store);
  dft_ui_read_async (self, choices_work, job, choices_job_free, self->choices_cancellable,
                     choices_read_cb, NULL);
  update_busy (self);
}

/* ---- Showing a report ------------------------------------------------------------------ */

static char *
format_count (guint value)
{
  return dft_format_integer (value);
}

static char *
format_share (double fraction)
{
  if (isnan (fraction))
    return g_strdup ("–");
  return dft_format_percent (fraction);
}

static char *
format_points (double points)
{
  g_autofree char *number = NULL;

  if (isnan (points))
    return g_strdup ("–");
  number = dft_format_decimal (fabs (points), 1);
  /* A gain in percentage points, signed. */
  return g_strdup_printf ("%s%s", points > 0 ? "+" : points < 0 ? "−" : "", number);
}

static char *
format_score (double percent)
{
  return isnan (percent) ? g_strdup ("–") : dft_format_percent (percent / 100);
}

static GtkWidget *
new_label (const char *text, const char *css_class)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_text (GTK_LABEL (label), text);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);
  return label;
}

static void
add_heading (DftReportsPage *self, const char *text)
{
  GtkWidget *label = new_label (text, "title-4");

  gtk_widget_set_margin_top (label, 12);
  gtk_accessible_update_property (GTK_ACCESSIBLE (label), GTK_ACCESSIBLE_PROPERTY_LEVEL, 2, -1);
  gtk_box_append (self->results_box, label);
}

static void
add_figure (
    DftReportsPage *self, GtkFlowBox *box, const char *name, const char *value, const char *caption)
{
  GtkWidget       *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget       *number = gtk_label_new (value);
  GtkWidget       *text = gtk_label_new (caption);
  g_autofree char *label = g_strdup_printf ("%s: %s", caption, value);

  gtk_widget_add_css_class (card, "card");
  gtk_widget_add_css_class (card, "summary-number");
  gtk_widget_add_css_class (number, "title-2");
  gtk_widget_add_css_class (text, "dim-label");
  gtk_label_set_wrap (GTK_LABEL (number), TRUE);
  gtk_label_set_wrap (GTK_LABEL (text), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (text), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_justify (GTK_LABEL (text), GTK_JUSTIFY_CENTER);
  gtk_label_set_max_width_chars (GTK_LABEL (text), 14);
  gtk_box_append (GTK_BOX (card), number);
  gtk_box_append (GTK_BOX (card), text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (card), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  gtk_flow_box_append (box, card);
  g_hash_table_insert (self->figures, g_strdup (name), number);
}

GtkLabel *
dft_reports_page_get_figure (DftReportsPage *self, const char *name)
{
  g_return_val_if_fail (DFT_IS_REPORTS_PAGE (self), NULL);
  return g_hash_table_lookup (self->figures, name);
}

static void
show_figures (DftReportsPage *self, const DftIndicatorReport *report)
{
  GtkFlowBox      *box = GTK_FLOW_BOX (gtk_flow_box_new ());
  g_autofree char *workshops = format_count (report->n_workshops);
  g_autofree char *people = format_count (report->people);
  g_autofree char *women = format_count (report->women);
  g_autofree char *share = format_share (dft_indicator_women_share (report->women, report->people));
  g_autofree char *participations = format_count (report->participations);
  g_autofree char *person_days = format_count (report->person_days);
  g_autofree char *attendance = format_share (report->attendance_rate);
  g_autofree char *completed = format_count (report->completed_people);
  g_autofree char *completed_share = format_share (
      dft_indicator_women_share (report->completed_women, report->completed_people));

  gtk_flow_box_set_selection_mode (box, GTK_SELECTION_NONE);
  gtk_flow_box_set_homogeneous (box, TRUE);
  gtk_flow_box_set_min_children_per_line (box, 2);
  gtk_flow_box_set_max_children_per_line (box, 5);
  gtk_flow_box_set_column_spacing (box, 12);
  gtk_flow_box_set_row_spacing (box, 12);
  add_figure (self, box, "workshops", workshops,
              ngettext ("workshop", "workshops", report->n_workshops));
  add_figure (self, box, "people", people,
              ngettext ("person trained", "people trained", report->people));
  add_figure (self, box, "women", women, ngettext ("woman", "women", report->women));
  add_figure (self, box, "women-share", share, _ ("women’s share"));
  add_figure (self, box, "participations", participations,
              ngettext ("participation", "participations", report->participations));
  add_figure (self, box, "person-days", person_days,
              ngettext ("person-day", "person-days", report->person_days));
  add_figure (self, box, "attendance", attendance, _ ("attendance (present or late)"));
  add_figure (self, box, "completed", completed,
              ngettext ("person completed", "people completed", report->completed_people));
  add_figure (self, box, "completed-women-share", completed_share,
              _ ("women’s share of those who completed"));
  gtk_box_append (self->results_box, GTK_WIDGET (box));
  /* Figures to read, not controls: Tab goes past them (a screen reader reads each card). */
  gtk_widget_set_can_focus (GTK_WIDGET (box), FALSE);
}

/* A cell of a table, @chars wide whatever it holds, its words wrapped onto more lines: as
 * tall at any width, so that the frame that scrolls it sideways asks for no more height than
 * it shows. */
static GtkWidget *
table_label (const char *text, const char *css_class, int chars)
{
  GtkWidget *label = new_label (text, css_class);

  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_width_chars (GTK_LABEL (label), chars);
  gtk_label_set_max_width_chars (GTK_LABEL (label), chars);
  return label;
}

/* A table: its header row, in a frame that scrolls sideways when the page is narrower. */
static GtkGrid *
add_table (DftReportsPage *self, const char *title, const char *const *headers)
{
  GtkWidget *grid = gtk_grid_new ();
  GtkWidget *scroller = gtk_scrolled_window_new ();

  add_heading (self, title);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
  gtk_widget_set_margin_start (grid, 12);
  gtk_widget_set_margin_end (grid, 12);
  gtk_widget_set_margin_top (grid, 12);
  gtk_widget_set_margin_bottom (grid, 12);
  for (guint i = 0; headers[i] != NULL; i++)
    {
      GtkWidget *label = table_label (headers[i], "heading", i == 0 ? 14 : 10);

      if (i > 0)
        gtk_label_set_xalign (GTK_LABEL (label), 1);
      gtk_grid_attach (GTK_GRID (grid), label, (int) i, 0, 1, 1);
    }
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), grid);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_AUTOMATIC,
                                  GTK_POLICY_NEVER);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_widget_add_css_class (scroller, "card");
  gtk_accessible_update_property (GTK_ACCESSIBLE (grid), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  gtk_box_append (self->results_box, scroller);
  return GTK_GRID (grid);
}

/* A row of @grid: its first cell text that wraps, the others numbers. */
static void
table_row (GtkGrid *grid, int row, const char *const *cells)
{
  for (guint i = 0; cells[i] != NULL; i++)
    {
      GtkWidget *label = table_label (cells[i], i > 0 ? "numeric" : NULL, i == 0 ? 14 : 10);

      if (i > 0)
        gtk_label_set_xalign (GTK_LABEL (label), 1);
      gtk_grid_attach (grid, label, (int) i, row, 1, 1);
    }
}

static char *
group_name (const DftIndicatorGroup *group)
{
  if (group->gender != NULL)
    return g_strdup (*group->gender != '\0' ? dft_gender_label (group->gender) : _ ("Not given"));
  if (group->role != NULL)
    return g_strdup (dft_role_label (group->role));
  if (group->country != NULL)
    return *group->country != '\0' ? country_label (group->country) : g_strdup (_ ("Not given"));
  if (group->agency != NULL && *group->agency != '\0')
    return g_strdup (group->agency);
  return g_strdup (_ ("Not given"));
}

static void
show_groups (DftReportsPage *self, const char *title, GPtrArray *groups)
{
  const char *headers[]
      = { "", _ ("People"), _ ("Women"), _ ("Women’s share"), _ ("Participations"), NULL };
  GtkGrid *grid;
  int      row = 1;

  if (groups == NULL || groups->len == 0)
    return;
  headers[0] = title;
  grid = add_table (self, title, headers);
  for (guint i = 0; i < groups->len; i++)
    {
      const DftIndicatorGroup *group = g_ptr_array_index (groups, i);
      g_autofree char         *name = group_name (group);
      g_autofree char         *people = format_count (group->people);
      g_autofree char         *women = format_count (group->women);
      g_autofree char         *share
          = format_share (dft_indicator_women_share (group->women, group->people));
      g_autofree char *participations = format_count (group->participations);
      const char      *cells[] = { name, people, women, share, participations, NULL };

      /* A gender or role nobody has says nothing. */
      if (group->people == 0 && group->participations == 0)
        continue;
      table_row (grid, row++, cells);
    }
}

static void
show_workshops (DftReportsPage *self, const DftIndicatorReport *report)
{
  const char *headers[]
      = { _ ("Workshop"),  _ ("Participants"),        _ ("Women"), _ ("Sessions"), _ ("Attendance"),
          _ ("Completed"), _ ("Women who completed"), NULL };
  GtkGrid *grid = add_table (self, _ ("Workshops"), headers);

  for (guint i = 0; i < report->workshops->len; i++)
    {
      const DftWorkshopFigures *w = g_ptr_array_index (report->workshops, i);
      g_autofree char          *dates = dft_ui_format_date_range (w->start_date, w->end_date);
      g_autofree char          *country
          = w->country != NULL && *w->country != '\0' ? country_label (w->country) : NULL;
      g_autofree char *name
          = country != NULL
                /* Translators: a workshop in a Reports table: title, dates and country */
                ? g_strdup_printf (_ ("%s, %s, %s"), w->title, dates, country)
                : g_strdup_printf (_ ("%s, %s"), w->title, dates);
      g_autofree char *participants = format_count (w->participants);
      g_autofree char *women = format_count (w->women);
      g_autofree char *sessions = format_count (w->sessions);
      g_autofree char *attendance = format_share (w->attendance_rate);
      g_autofree char *completed = format_count (w->completed);
      g_autofree char *completed_women = format_count (w->completed_women);
      const char      *cells[]
          = { name, participants, women, sessions, attendance, completed, completed_women, NULL };

      table_row (grid, (int) i + 1, cells);
    }
}

static char *
gain_name (const DftGainFigures *gain)
{
  if (gain->event_id == NULL)
    return g_strdup (_ ("All workshops"));
  /* Translators: a line of the test gains: the workshop, then the test */
  return g_strdup_printf (_ ("%s: %s"), gain->event_title,
                          gain->form_title != NULL ? gain->form_title : gain->form_key);
}

static void
show_gains (DftReportsPage *self, const DftIndicatorReport *report)
{
  const char *headers[] = { _ ("Test"),          _ ("Pre-tests"),       _ ("Post-tests"),
                            _ ("Pairs"),         _ ("Mean before"),     _ ("Mean after"),
                            _ ("Gain (points)"), _ ("Normalized gain"), NULL };
  GtkGrid    *grid;
  DftChart   *chart;
  guint       n_bars = 0;

  if (report->gains == NULL || report->gains->len == 0)
    return;
  grid = add_table (self, _ ("Test Gains"), headers);
  for (guint i = 0; i < report->gains->len; i++)
    {
      const DftGainFigures *gain = g_ptr_array_index (report->gains, i);
      g_autofree char      *name = gain_name (gain);
      g_autofree char      *pre = format_count (gain->n_pre);
      g_autofree char      *post = format_count (gain->n_post);
      g_autofree char      *pairs = format_count (gain->n_pairs);
      g_autofree char      *mean_pre = format_score (gain->mean_pre);
      g_autofree char      *mean_post = format_score (gain->mean_post);
      g_autofree char      *points = format_points (gain->mean_gain);
      g_autofree char      *normalized = isnan (gain->normalized_gain)
                                             ? g_strdup ("–")
                                             : dft_format_decimal (gain->normalized_gain, 2);
      const char           *cells[]
          = { name, pre, post, pairs, mean_pre, mean_post, points, normalized, NULL };

      table_row (grid, (int) i + 1, cells);
    }

  add_heading (self, _ ("Gain per Workshop"));
  gtk_box_append (self->results_box,
                  new_label (_ ("Each bar is the mean score before the workshop (green), then "
                                "the gain to the mean after it (yellow)."),
                             "caption"));
  chart = dft_chart_new ();
  dft_chart_set_percent (chart, TRUE);
  dft_chart_set_maximum (chart, 100);
  for (guint i = 0; i < report->gains->len && n_bars < MAX_BARS; i++)
    {
      const DftGainFigures *gain = g_ptr_array_index (report->gains, i);
      g_autofree char      *name = gain_name (gain);
      double                values[2];

      if (gain->event_id == NULL || isnan (gain->mean_gain) || isnan (gain->mean_pre))
        continue;
      /* A loss draws the bar to the mean after, with no gain on it. */
      values[0] = gain->mean_gain >= 0 ? gain->mean_pre : gain->mean_pre + gain->mean_gain;
      values[1] = MAX (gain->mean_gain, 0);
      dft_chart_add_row (chart, name, values, 2);
      n_bars++;
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (chart), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Gain per workshop"), -1);
  if (n_bars > 0)
    gtk_box_append (self->results_box, GTK_WIDGET (chart));
  else
    {
      g_object_ref_sink (chart);
      g_object_unref (chart);
      gtk_box_append (self->results_box,
                      new_label (_ ("No one took both tests of a workshop yet."), "dim-label"));
    }
}

static void
show_gender_by_agency (DftReportsPage *self, const DftIndicatorReport *report)
{
  DftChart *chart;
  double    others[3] = { 0 };
  guint     n_agencies = 0;

  if (report->gender_by_agency == NULL || report->gender_by_agency->len == 0)
    return;
  add_heading (self, _ ("Women and Men by Agency"));
  gtk_box_append (self->results_box,
                  new_label (_ ("Green: women. Blue: men. Grey: other or not given."), "caption"));
  chart = dft_chart_new ();
  /* The groups come agency by agency, in the order of the agencies: one bar each. */
  for (guint i = 0; i < report->gender_by_agency->len;)
    {
      const DftIndicatorGroup *first = g_ptr_array_index (report->gender_by_agency, i);
      double                   values[4] = { 0 };
      g_autofree char         *name = g_strdup (
                  first->agency != NULL && *first->agency != '\0' ? first->agency : _ ("Not given"));

      for (; i < report->gender_by_agency->len; i++)
        {
          const DftIndicatorGroup *group = g_ptr_array_index (report->gender_by_agency, i);

          if (g_strcmp0 (group->agency, first->agency) != 0)
            break;
          if (g_strcmp0 (group->gender, "female") == 0)
            values[0] += group->people;
          else if (g_strcmp0 (group->gender, "male") == 0)
            values[1] += group->people;
          else
            values[2] += group->people;
        }
      if (n_agencies++ < MAX_BARS)
        {
          /* Green, then blue, then grey: the chart's first, fourth and fifth colours. */
          double segments[5] = { values[0], 0, 0, values[1], values[2] };

          dft_chart_add_row (chart, name, segments, 5);
        }
      else
        for (guint j = 0; j < 3; j++)
          others[j] += values[j];
    }
  if (n_agencies > MAX_BARS)
    {
      double segments[5] = { others[0], 0, 0, others[1], others[2] };

      dft_chart_add_row (chart, _ ("All others"), segments, 5);
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (chart), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Women and men by agency"), -1);
  gtk_box_append (self->results_box, GTK_WIDGET (chart));
}

static void
show_evaluation (DftReportsPage *self, const DftIndicatorReport *report)
{
  if (report->evaluation == NULL || report->evaluation->len == 0)
    return;
  add_heading (self, _ ("Evaluation"));
  for (guint i = 0; i < report->evaluation->len; i++)
    {
      const DftEvaluationQuestion *q = g_ptr_array_index (report->evaluation, i);
      GtkWidget                   *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
      g_autofree char             *answers = format_count (q->n_answers);
      g_autofree char             *count = NULL;

      gtk_widget_add_css_class (box, "card");
      gtk_widget_add_css_class (box, "summary-number");
      gtk_box_append (
          GTK_BOX (box),
          new_label (q->label != NULL && *q->label != '\0' ? q->label : q->name, "heading"));
      if (q->form_title != NULL)
        gtk_box_append (GTK_BOX (box), new_label (q->form_title, "dim-label"));
      switch (q->kind)
        {
        case DFT_EVALUATION_SCALE:
          {
            g_autofree char *average
                = isnan (q->average) ? g_strdup ("–") : dft_format_decimal (q->average, 1);
            GtkWidget *grid = gtk_grid_new ();

            /* Translators: an evaluation question's average on its 1 to 5 scale, then how
             * many answered it */
            count = g_strdup_printf (ngettext ("Average %s of 5, %s answer",
                                               "Average %s of 5, %s answers", q->n_answers),
                                     average, answers);
            gtk_box_append (GTK_BOX (box), new_label (count, NULL));
            gtk_grid_set_column_spacing (GTK_GRID (grid), 18);
            gtk_grid_set_column_homogeneous (GTK_GRID (grid), TRUE);
            for (guint j = 0; j < 5; j++)
              {
                g_autofree char *point = format_count (j + 1);
                g_autofree char *n = format_count (q->scale[j]);
                GtkWidget       *top = new_label (point, "dim-label");
                GtkWidget       *bottom = new_label (n, "numeric");

                gtk_label_set_xalign (GTK_LABEL (top), 0.5);
                gtk_label_set_xalign (GTK_LABEL (bottom), 0.5);
                gtk_grid_attach (GTK_GRID (grid), top, (int) j, 0, 1, 1);
                gtk_grid_attach (GTK_GRID (grid), bottom, (int) j, 1, 1, 1);
              }
            gtk_box_append (GTK_BOX (box), grid);
            break;
          }
        case DFT_EVALUATION_CHOICE:
          /* Translators: how many answered an evaluation question */
          count = g_strdup_printf (ngettext ("%s answer", "%s answers", q->n_answers), answers);
          gtk_box_append (GTK_BOX (box), new_label (count, NULL));
          for (guint j = 0; q->choices != NULL && j < q->choices->len; j++)
            {
              const DftIndicatorChoice *choice = g_ptr_array_index (q->choices, j);
              g_autofree char          *n = format_count (choice->count);
              /* Translators: a choice of an evaluation question, then how many chose it */
              g_autofree char *line = g_strdup_printf (
                  _ ("%s: %s"), choice->label != NULL ? choice->label : choice->value, n);

              gtk_box_append (GTK_BOX (box), new_label (line, NULL));
            }
          break;
        case DFT_EVALUATION_TEXT:
          {
            /* Every answer, folded away under its count: there may be hundreds. */
            GtkWidget *expander = gtk_expander_new (NULL);
            GtkWidget *list = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);

            /* Translators: unfolds the free-text answers to an evaluation question */
            count = g_strdup_printf (ngettext ("%s answer", "%s answers", q->n_answers), answers);
            gtk_expander_set_label_widget (GTK_EXPANDER (expander), new_label (count, NULL));
            for (guint j = 0; q->texts != NULL && q->texts[j] != NULL; j++)
              {
                g_autofree char *line = NULL;

                if (j == MAX_TEXTS)
                  {
                    guint            rest = g_strv_length (q->texts) - MAX_TEXTS;
                    g_autofree char *n = format_count (rest);

                    line = g_strdup_printf (
                        /* Translators: after the first answers listed on the Reports page */
                        ngettext ("And %s more answer, in the saved report",
                                  "And %s more answers, in the saved report", rest),
                        n);
                    gtk_box_append (GTK_BOX (list), new_label (line, "dim-label"));
                    break;
                  }
                /* Translators: a free-text answer listed in the report, quoted */
                line = g_strdup_printf (_ ("“%s”"), q->texts[j]);
                gtk_box_append (GTK_BOX (list), new_label (line, NULL));
              }
            gtk_widget_set_margin_top (list, 6);
            gtk_expander_set_child (GTK_EXPANDER (expander), list);
            gtk_box_append (GTK_BOX (box), expander);
            break;
          }
        default:
          break;
        }
      gtk_box_append (self->results_box, box);
    }
}

static void
clear_results (DftReportsPage *self)
{
  GtkWidget *child;

  g_hash_table_remove_all (self->figures);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->results_box))) != NULL)
    gtk_box_remove (self->results_box, child);
}

static void
show_report (DftReportsPage *self)
{
  const DftIndicatorReport *report = self->report;

  clear_results (self);
  if (report == NULL)
    return;
  if (report->n_workshops == 0)
    {
      gtk_stack_set_visible_child_name (self->results_stack, "empty");
      return;
    }
  show_figures (self, report);
  show_gender_by_agency (self, report);
  show_groups (self, _ ("By Gender"), report->by_gender);
  show_groups (self, _ ("By Agency"), report->by_agency);
  show_groups (self, _ ("By Country"), report->by_country);
  show_groups (self, _ ("By Role"), report->by_role);
  show_workshops (self, report);
  show_gains (self, report);
  show_evaluation (self, report);
  gtk_stack_set_visible_child_name (self->results_stack, "results");
}

const DftIndicatorReport *
dft_reports_page_get_report (DftReportsPage *self)
{
  g_return_val_if_fail (DFT_IS_REPORTS_PAGE (self), NULL);
  return self->report;
}

/* ---- Computing ------------------------------------------------------------------------- */

typedef struct
{
  GWeakRef page;
  guint    generation;
} ReportCall;

static void
report_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ReportCall                    *call = user_data;
  g_autoptr (DftReportsPage)     self = g_weak_ref_get (&call->page);
  g_autoptr (GError)             error = NULL;
  g_autoptr (DftIndicatorReport) report = dft_indicator_report_finish (result, &error);
  guint                          generation = call->generation;

  g_weak_ref_clear (&call->page);
  g_free (call);
  /* A newer selection is being computed, or the page is gone. */
  if (self == NULL || generation != self->generation)
    return;
  self->computing = FALSE;
  g_clear_object (&self->cancellable);
  if (report == NULL)
    {
      g_clear_pointer (&self->report, dft_indicator_report_free);
      clear_results (self);
      gtk_stack_set_visible_child_name (self->results_stack, "empty");
      show_error (self, error->message);
      update_busy (self);
      return;
    }
  show_error (self, NULL);
  g_clear_pointer (&self->report, dft_indicator_report_free);
  self->report = g_steal_pointer (&report);
  show_report (self);
  update_busy (self);
}

static void
run_report (DftReportsPage *self)
{
  g_autoptr (DftReportSelection) selection = NULL;
  g_autofree char               *message = NULL;
  ReportCall                    *call;

  if (self->store == NULL)
    return;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->generation++;
  selection = read_selection (self, &message);
  if (selection == NULL)
    {
      /* Nothing is computed from a date half typed: the last report stays, under the reason. */
      self->computing = FALSE;
      show_error (self, message);
      update_busy (self);
      return;
    }
  self->cancellable = g_cancellable_new ();
  self->computing = TRUE;
  if (self->report == NULL)
    gtk_stack_set_visible_child_name (self->results_stack, "loading");
  call = g_new0 (ReportCall, 1);
  g_weak_ref_init (&call->page, self);
  call->generation = self->generation;
  dft_indicator_report_async (self->store, selection, self->cancellable, report_done_cb, call);
  update_busy (self);
}

static gboolean
debounce_cb (gpointer data)
{
  DftReportsPage *self = data;

  self->debounce_id = 0;
  run_report (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_report (DftReportsPage *self)
{
  update_selection_summary (self);
  if (self->store == NULL || self->reading_choices)
    return;
  g_clear_handle_id (&self->debounce_id, g_source_remove);
  self->debounce_id = g_timeout_add (DEBOUNCE_MS, debounce_cb, self);
  update_busy (self);
}

void
dft_reports_page_refresh (DftReportsPage *self)
{
  g_return_if_fail (DFT_IS_REPORTS_PAGE (self));
  read_choices (self);
}

static gboolean
refresh_cb (gpointer data)
{
  DftReportsPage *self = data;

  self->refresh_id = 0;
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    read_choices (self);
  update_busy (self);
  return G_SOURCE_REMOVE;
}

/* A sync, an import or another window changed the register: the report shown follows, once
 * the changes have settled, and only while it is shown (the page reads everything again when
 * it is opened). */
static void
store_changed_cb (DftReportsPage *self)
{
  if (self->refresh_id == 0 && gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      self->refresh_id = g_timeout_add (REFRESH_MS, refresh_cb, self);
      update_busy (self);
    }
}

void
dft_reports_page_set_store (DftReportsPage *self, DftStore *store)
{
  g_return_if_fail (DFT_IS_REPORTS_PAGE (self));
  g_return_if_fail (store == NULL || DFT_IS_STORE (store));

  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  if (!g_set_object (&self->store, store))
    return;
  g_clear_pointer (&self->report, dft_indicator_report_free);
  clear_results (self);
  if (store != NULL)
    g_signal_connect_object (store, "changed", G_CALLBACK (store_changed_cb), self,
                             G_CONNECT_SWAPPED);
}

/* ---- The period's quick choices ------------------------------------------------------------ */

static char *
format_day (GDate *date)
{
  return g_strdup_printf ("%04u-%02u-%02u", g_date_get_year (date), g_date_get_month (date),
                          g_date_get_day (date));
}

/* Sets From and To to @from and @to (NULL: empty), and computes the report once. */
static void
set_period (DftReportsPage *self, const char *from, const char *to)
{
  self->updating = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->from_row), from != NULL ? from : "");
  gtk_editable_set_text (GTK_EDITABLE (self->to_row), to != NULL ? to : "");
  self->updating = FALSE;
  schedule_report (self);
}

static void
period_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftReportsPage  *self = DFT_REPORTS_PAGE (widget);
  const char      *name = g_variant_get_string (parameter, NULL);
  g_autofree char *today = dft_ui_today ();
  GDate            day, start, end;
  int              quarter;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;

  if (g_str_equal (name, "all") || !dft_ui_parse_date (today, &day))
    {
      set_period (self, NULL, NULL);
      return;
    }
  quarter = (g_date_get_month (&day) - 1) / 3;
  g_date_clear (&start, 1);
  if (g_str_equal (name, "this-year"))
    {
      g_date_set_dmy (&start, 1, G_DATE_JANUARY, g_date_get_year (&day));
      end = start;
      g_date_add_years (&end, 1);
    }
  else
    {
      g_date_set_dmy (&start, 1, (GDateMonth) (quarter * 3 + 1), g_date_get_year (&day));
      if (g_str_equal (name, "last-quarter"))
        g_date_subtract_months (&start, 3);
      end = start;
      g_date_add_months (&end, 3);
    }
  g_date_subtract_days (&end, 1);
  from = format_day (&start);
  to = format_day (&end);
  set_period (self, from, to);
}

/* Unfolds the selection's fields under its summary row, or folds them away. */
static void
selection_activated_cb (DftReportsPage *self)
{
  gboolean shown = !gtk_widget_get_visible (GTK_WIDGET (self->selection_group));

  gtk_widget_set_visible (GTK_WIDGET (self->selection_group), shown);
  gtk_image_set_from_icon_name (self->selection_arrow,
                                shown ? "pan-up-symbolic" : "pan-down-symbolic");
  gtk_accessible_update_state (GTK_ACCESSIBLE (self->selection_row), GTK_ACCESSIBLE_STATE_EXPANDED,
                               shown, -1);
}

static void
field_changed_cb (DftReportsPage *self)
{
  if (!self->updating)
    schedule_report (self);
}

/* ---- Saving ------------------------------------------------------------------------------ */

typedef struct
{
  DftStore           *store;
  DftReportSelection *selection;
  Format              format;
  DftPaper            paper;
  GFile              *file;
} SaveJob;

static void
save_job_free (gpointer data)
{
  SaveJob *job = data;

  g_object_unref (job->store);
  dft_report_selection_free (job->selection);
  g_object_unref (job->file);
  g_free (job);
}

static gboolean
write_csv (const DftIndicatorReport *report, GFile *file, GCancellable *cancellable, GError **error)
{
  g_autoptr (GOutputStream) out = g_memory_output_stream_new_resizable ();
  GMemoryOutputStream      *memory = G_MEMORY_OUTPUT_STREAM (out);

  if (!dft_indicator_report_write_csv (report, out, cancellable, error)
      || !g_output_stream_close (out, cancellable, error))
    return FALSE;
  /* Written whole beside the file, then renamed over it: a failure keeps the old one. */
  return g_file_replace_contents (file, g_memory_output_stream_get_data (memory),
                                  g_memory_output_stream_get_data_size (memory), NULL, FALSE,
                                  G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION, NULL,
                                  cancellable, error);
}

static gboolean
save_work (gpointer data, GCancellable *cancellable, GError **error)
{
  SaveJob                       *job = data;
  g_autofree char               *path = g_file_get_path (job->file);
  g_autoptr (DftIndicatorReport) report = NULL;

  if (path == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _ ("The report can only be saved in a folder of this computer."));
      return FALSE;
    }
  report = dft_indicator_report (job->store, job->selection, cancellable, error);
  if (report == NULL)
    return FALSE;
  switch (job->format)
    {
    case FORMAT_XLSX:
      return dft_indicator_report_write_xlsx (report, path, cancellable, error);
    case FORMAT_PDF:
      return dft_indicator_report_write_pdf (report, job->paper, path, cancellable, error);
    case FORMAT_CSV:
      return write_csv (report, job->file, cancellable, error);
    default:
      g_assert_not_reached ();
    }
}

static void
saved_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftReportsPage    *self = DFT_REPORTS_PAGE (source);
  SaveJob           *job = dft_ui_run_get_data (result);
  g_autoptr (GError) error = NULL;
  g_autofree char   *name = g_file_get_basename (job->file);
  g_autofree char   *message = NULL;

  self->saving = FALSE;
  g_clear_object (&self->save_cancellable);
  update_busy (self);
  if (!dft_ui_run_finish (result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          message = g_strdup_printf (
              /* Translators: %s is the file name, then why the report could not be saved */
              _ ("The report was not saved as %s: %s"), name, error->message);
          dft_ui_toast (GTK_WIDGET (self), message);
        }
      return;
    }
  /* Translators: %s is the name of the file the report was saved as */
  message = g_strdup_printf (_ ("Saved the report as %s"), name);
  dft_ui_toast (GTK_WIDGET (self), message);
}

static gboolean
format_from_name (const char *name, Format *format)
{
  g_autofree char *lower = g_utf8_strdown (name, -1);

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    if (g_str_has_suffix (lower, formats[i].suffix))
      {
        *format = (Format) i;
        return TRUE;
      }
  return FALSE;
}

static DftPaper
default_paper (void)
{
  const char *name = gtk_paper_size_get_default ();

  return g_strcmp0 (name, GTK_PAPER_NAME_LETTER) == 0 ? DFT_PAPER_LETTER : DFT_PAPER_A4;
}

/* Saves the report of the page's selection as @file, in the format its name ends with. */
static void
start_save (DftReportsPage *self, GFile *file, Format format)
{
  g_autofree char               *message = NULL;
  g_autoptr (DftReportSelection) selection = read_selection (self, &message);
  SaveJob                       *job;

  if (self->store == NULL || self->saving)
    return;
  if (selection == NULL)
    {
      dft_ui_toast (GTK_WIDGET (self), message);
      return;
    }
  job = g_new0 (SaveJob, 1);
  job->store = g_object_ref (self->store);
  job->selection = g_steal_pointer (&selection);
  job->format = format;
  job->paper = default_paper ();
  job->file = g_object_ref (file);
  self->saving = TRUE;
  self->save_cancellable = g_cancellable_new ();
  update_busy (self);
  dft_ui_run_async (self, save_work, job, save_job_free, self->save_cancellable, saved_cb, NULL);
}

static void
save_to (DftReportsPage *self, GFile *file, Format fallback)
{
  g_autofree char *name = g_file_get_basename (file);
  Format           format;

  if (name == NULL || !format_from_name (name, &format))
    {
      /* No known ending: the one of the chosen kind is added. */
      g_autofree char *named
          = g_strconcat (name != NULL ? name : "report", formats[fallback].suffix, NULL);
      g_autoptr (GFile) parent = g_file_get_parent (file);
      g_autoptr (GFile) with_suffix
          = parent != NULL ? g_file_get_child (parent, named) : g_file_new_for_path (named);

      start_save (self, with_suffix, fallback);
      return;
    }
  start_save (self, file, format);
}

static void
chooser_response_cb (GtkNativeDialog *chooser, int response, gpointer user_data)
{
  DftReportsPage   *self = user_data;
  g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  GtkFileFilter    *filter = gtk_file_chooser_get_filter (GTK_FILE_CHOOSER (chooser));
  Format            fallback = filter != NULL
                                   ? GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (filter), "format"))
                                   : FORMAT_XLSX;

  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
  if (response == GTK_RESPONSE_ACCEPT && file != NULL)
    save_to (self, file, fallback);
  g_object_unref (self);
}

static void
save_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftReportsPage       *self = DFT_REPORTS_PAGE (widget);
  GtkRoot              *root = gtk_widget_get_root (widget);
  GtkFileChooserNative *chooser = gtk_file_chooser_native_new (
      _ ("Save Report"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
      GTK_FILE_CHOOSER_ACTION_SAVE, _ ("_Save"), _ ("_Cancel"));
  g_autofree char *today = dft_ui_today ();
  /* Translators: the file name the Save Report dialog suggests; %s is today's date. Keep it
   * short, with no slash */
  g_autofree char *name = g_strdup_printf (_ ("report-%s.xlsx"), today);

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();
      g_autofree char          *pattern = g_strconcat ("*", formats[i].suffix, NULL);

      gtk_file_filter_set_name (filter, _ (formats[i].name));
      gtk_file_filter_add_pattern (filter, pattern);
      g_object_set_data (G_OBJECT (filter), "format", GUINT_TO_POINTER (i));
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
      if (i == FORMAT_XLSX)
        gtk_file_chooser_set_filter (GTK_FILE_CHOOSER (chooser), filter);
    }
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (chooser_response_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* The same with the file named by the caller (a path or a URI), without the file chooser:
 * for tests and scripts. */
static void
save_to_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  g_autoptr (GFile) file = g_file_new_for_commandline_arg (g_variant_get_string (parameter, NULL));

  save_to (DFT_REPORTS_PAGE (widget), file, FORMAT_XLSX);
}

/* ---- GObject ----------------------------------------------------------------------------- */

static void
dft_reports_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  DftReportsPage *self = DFT_REPORTS_PAGE (object);

  switch (prop_id)
    {
    case PROP_FOLDED:
      g_value_set_boolean (value, self->folded);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, dft_reports_page_get_busy (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dft_reports_page_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  DftReportsPage *self = DFT_REPORTS_PAGE (object);

  switch (prop_id)
    {
    case PROP_FOLDED:
      if (self->folded != g_value_get_boolean (value))
        {
          self->folded = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dft_reports_page_dispose (GObject *object)
{
  DftReportsPage *self = DFT_REPORTS_PAGE (object);

  g_clear_handle_id (&self->debounce_id, g_source_remove);
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->choices_cancellable != NULL)
    g_cancellable_cancel (self->choices_cancellable);
  if (self->save_cancellable != NULL)
    g_cancellable_cancel (self->save_cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->choices_cancellable);
  g_clear_object (&self->save_cancellable);
  g_clear_object (&self->store);
  g_clear_pointer (&self->report, dft_indicator_report_free);
  if (self->figures != NULL)
    g_hash_table_remove_all (self->figures);
  for (guint i = 0; i < N_FILTERS; i++)
    g_clear_pointer (&self->filters[i].checks, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), DFT_TYPE_REPORTS_PAGE);

  G_OBJECT_CLASS (dft_reports_page_parent_class)->dispose (object);
}

static void
dft_reports_page_finalize (GObject *object)
{
  DftReportsPage *self = DFT_REPORTS_PAGE (object);

  g_clear_pointer (&self->figures, g_hash_table_unref);

  G_OBJECT_CLASS (dft_reports_page_parent_class)->finalize (object);
}

static void
dft_reports_page_class_init (DftReportsPageClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = dft_reports_page_get_property;
  object_class->set_property = dft_reports_page_set_property;
  object_class->dispose = dft_reports_page_dispose;
  object_class->finalize = dft_reports_page_finalize;

  properties[PROP_FOLDED]
      = g_param_spec_boolean ("folded", NULL, NULL, FALSE,
                              G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_BUSY]
      = g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                              G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (DFT_TYPE_CHART);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/daftari/Daftari/dft-reports-page.ui");
  gtk_widget_class_bind_template_child (widget_class, DftReportsPage, spinner);
  gtk_widget_class_bind_template_child (widget_class, DftReportsPage, period_box);
  gtk_widget_class_bind_template_child (widget_class, DftReportsPage, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, DftReportsPage, error_label);
  gtk_widget_class_bind_template_child (widget_class, DftReportsPage, from_row);
  gtk_widget_class_bind_template_child (widget_class, DftReportsPage, to_row);
  gtk_widget_class_bind_template_child (widget_class, DftReportsPage, threshold_spin);
  gtk_widget_class_bind_template_child (widget_class, DftReportsPage, selection_row);
  gtk_widget_class_bind_template_child (widget_class, DftReportsPage, selection_arrow);
  gtk_widget_class_bind_template_child (widget_class, DftReportsPage, selection_group);
  gtk_widget_class_bind_template_child (widget_class, DftReportsPage, results_stack);
  gtk_widget_class_bind_template_child (widget_class, DftReportsPage, results_box);

  gtk_widget_class_install_action (widget_class, "reports.period", "s", period_activated);
  gtk_widget_class_install_action (widget_class, "reports.save", NULL, save_activated);
  gtk_widget_class_install_action (widget_class, "reports.save-to", "s", save_to_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "reports.save",
                                       NULL);
}

static void
dft_reports_page_init (DftReportsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  dft_ui_flow_box_unfocus_cells (self->period_box);
  self->figures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < N_FILTERS; i++)
    build_filter (self, (DftReportsFilter) i);
  g_signal_connect_object (self->from_row, "changed", G_CALLBACK (field_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->to_row, "changed", G_CALLBACK (field_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->threshold_spin, "value-changed", G_CALLBACK (field_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->selection_row, "activated", G_CALLBACK (selection_activated_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_accessible_update_state (GTK_ACCESSIBLE (self->selection_row), GTK_ACCESSIBLE_STATE_EXPANDED,
                               FALSE, -1);
  update_selection_summary (self);
}
