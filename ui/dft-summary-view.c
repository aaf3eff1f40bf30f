/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "dft-chart.h"
#include "dft-format.h"
#include "dft-summary-view.h"
#include "dft-ui-util.h"

#define MAX_BARS 8

struct _DftSummaryView
{
  AdwBin parent_instance;

  GtkFlowBox *numbers;
  GtkLabel   *legend;
  DftChart   *sessions_chart;
  GtkBox     *extra_sections;
  DftChart   *gender_chart;
  DftChart   *agency_chart;
  DftChart   *country_chart;

  DftStore       *store;
  GSignalGroup   *store_signals; /* on the store shown: its "changed" */
  DftRecord      *event;
  DftEventReport *report;
  GCancellable   *cancellable;
  guint           refresh_id;
};

G_DEFINE_FINAL_TYPE (DftSummaryView, dft_summary_view, ADW_TYPE_BIN)

const DftEventReport *
dft_summary_view_get_report (DftSummaryView *self)
{
  g_return_val_if_fail (DFT_IS_SUMMARY_VIEW (self), NULL);
  return self->report;
}

gboolean
dft_summary_view_get_loading (DftSummaryView *self)
{
  g_return_val_if_fail (DFT_IS_SUMMARY_VIEW (self), FALSE);
  return self->cancellable != NULL || self->refresh_id != 0;
}

void
dft_summary_view_add_section (DftSummaryView *self, const char *title, GtkWidget *section)
{
  GtkWidget *heading;

  g_return_if_fail (DFT_IS_SUMMARY_VIEW (self));
  g_return_if_fail (GTK_IS_WIDGET (section));

  heading = gtk_label_new (title);
  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_label_set_wrap (GTK_LABEL (heading), TRUE);
  gtk_widget_add_css_class (heading, "title-4");
  gtk_box_append (self->extra_sections, heading);
  gtk_box_append (self->extra_sections, section);
}

static void
add_number (DftSummaryView *self, const char *value, const char *caption)
{
  GtkWidget       *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget       *number = gtk_label_new (value);
  GtkWidget       *text = gtk_label_new (caption);
  g_autofree char *label = g_strdup_printf ("%s: %s", caption, value);

  gtk_widget_add_css_class (box, "card");
  gtk_widget_add_css_class (box, "summary-number");
  gtk_widget_add_css_class (number, "title-1");
  gtk_widget_add_css_class (text, "dim-label");
  gtk_label_set_wrap (GTK_LABEL (text), TRUE);
  gtk_label_set_justify (GTK_LABEL (text), GTK_JUSTIFY_CENTER);
  gtk_box_append (GTK_BOX (box), number);
  gtk_box_append (GTK_BOX (box), text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (box), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  gtk_flow_box_append (self->numbers, box);
}

static char *
format_rate (double rate)
{
  if (isnan (rate))
    return g_strdup ("–");
  return dft_format_percent (rate);
}

static void
add_counts (DftChart *chart, GPtrArray *counts, const char *(*label_func) (const char *) )
{
  guint  others = 0;
  double value;

  for (guint i = 0; i < counts->len; i++)
    {
      DftReportCount *count = g_ptr_array_index (counts, i);
      const char     *label = label_func != NULL     ? label_func (count->name)
                              : *count->name != '\0' ? count->name
                                                     : _ ("Not given");

      if (label_func != NULL && count->count == 0)
        continue;
      if (i >= MAX_BARS)
        {
          others += count->count;
          continue;
        }
      value = count->count;
      dft_chart_add_row (chart, label, &value, 1);
    }
  if (others > 0)
    {
      value = others;
      dft_chart_add_row (chart, _ ("All others"), &value, 1);
    }
}

static void
show_report (DftSummaryView *self)
{
  const DftEventReport *report = self->report;
  GtkWidget            *child;
  g_autofree char      *people = NULL;
  g_autofree char      *sessions = NULL;
  g_autofree char      *rate = NULL;
  g_autofree char      *marks = NULL;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->numbers))) != NULL)
    gtk_flow_box_remove (self->numbers, child);
  dft_chart_clear (self->sessions_chart);
  dft_chart_clear (self->gender_chart);
  dft_chart_clear (self->agency_chart);
  dft_chart_clear (self->country_chart);
  if (report == NULL)
    return;

  people = dft_format_integer (report->n_people);
  add_number (self, people, ngettext ("person registered", "people registered", report->n_people));
  sessions = dft_format_integer (report->n_sessions);
  add_number (self, sessions,
              ngettext ("workshop session", "workshop sessions", report->n_sessions));
  rate = format_rate (report->attendance_rate);
  add_number (self, rate, _ ("attendance (present or late)"));
  marks = g_strdup_printf ("%u / %u / %u", report->late, report->excused, report->absent);
  add_number (self, marks, _ ("late / excused / absent"));

  dft_chart_set_maximum (self->sessions_chart, report->n_people);
  for (guint i = 0; i < report->sessions->len; i++)
    {
      const DftSessionCounts *counts = g_ptr_array_index (report->sessions, i);
      g_autofree char        *date = dft_ui_format_date (counts->date, TRUE);
      g_autofree char        *label
          = g_strdup_printf ("%s, %s", date, dft_session_part_label (counts->part));
      double values[] = { counts->present, counts->late, counts->absent, counts->excused };

      dft_chart_add_row (self->sessions_chart, label, values, G_N_ELEMENTS (values));
    }
  add_counts (self->gender_chart, report->genders, dft_gender_label);
  add_counts (self->agency_chart, report->agencies, NULL);
  add_counts (self->country_chart, report->countries, NULL);
}

static void
report_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (DftSummaryView) self = user_data;
  g_autoptr (GError)         error = NULL;
  DftEventReport            *report = dft_report_event_finish (result, &error);

  if (report == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        dft_ui_toast_error (GTK_WIDGET (self), error);
      if (g_task_get_cancellable (G_TASK (result)) == self->cancellable)
        g_clear_object (&self->cancellable);
      return;
    }
  if (g_task_get_cancellable (G_TASK (result)) != self->cancellable)
    {
      /* A newer request is under way, or the view let go of the workshop. */
      dft_event_report_free (report);
      return;
    }
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->report, dft_event_report_free);
  self->report = report;
  show_report (self);
}

static gboolean
refresh_cb (gpointer data)
{
  DftSummaryView *self = data;

  self->refresh_id = 0;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->event == NULL)
    return G_SOURCE_REMOVE;
  self->cancellable = g_cancellable_new ();
  dft_report_event_async (self->store, dft_record_get_id (self->event), self->cancellable,
                          report_done_cb, g_object_ref (self));
  return G_SOURCE_REMOVE;
}

static void
schedule_refresh (DftSummaryView *self)
{
  /* A burst of marks (everyone present) makes one report, not one each. */
  if (self->refresh_id == 0)
    self->refresh_id = g_timeout_add (150, refresh_cb, self);
}

static void
store_changed_cb (DftSummaryView *self, const char *entity, GStrv ids, DftStore *store)
{
  if (g_strv_contains (
          (const char *const[]){ "attendance", "enrollment", "person", "session", NULL }, entity))
    schedule_refresh (self);
}

void
dft_summary_view_set_event (DftSummaryView *self, DftStore *store, DftRecord *event)
{
  g_return_if_fail (DFT_IS_SUMMARY_VIEW (self));

  g_set_object (&self->store, store);
  g_signal_group_set_target (self->store_signals, store);
  if (self->event == NULL || event == NULL
      || g_strcmp0 (dft_record_get_id (self->event), dft_record_get_id (event)) != 0)
    {
      g_clear_pointer (&self->report, dft_event_report_free);
      show_report (self);
    }
  g_set_object (&self->event, event);
  schedule_refresh (self);
}

static void
dft_summary_view_dispose (GObject *object)
{
  DftSummaryView *self = DFT_SUMMARY_VIEW (object);

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), DFT_TYPE_SUMMARY_VIEW);
  g_clear_object (&self->store_signals);
  g_clear_object (&self->event);
  g_clear_object (&self->store);
  g_clear_pointer (&self->report, dft_event_report_free);

  G_OBJECT_CLASS (dft_summary_view_parent_class)->dispose (object);
}

static void
dft_summary_view_class_init (DftSummaryViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dft_summary_view_dispose;

  g_type_ensure (DFT_TYPE_CHART);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/daftari/Daftari/dft-summary-view.ui");
  gtk_widget_class_bind_template_child (widget_class, DftSummaryView, numbers);
  gtk_widget_class_bind_template_child (widget_class, DftSummaryView, legend);
  gtk_widget_class_bind_template_child (widget_class, DftSummaryView, sessions_chart);
  gtk_widget_class_bind_template_child (widget_class, DftSummaryView, extra_sections);
  gtk_widget_class_bind_template_child (widget_class, DftSummaryView, gender_chart);
  gtk_widget_class_bind_template_child (widget_class, DftSummaryView, agency_chart);
  gtk_widget_class_bind_template_child (widget_class, DftSummaryView, country_chart);
}

static void
dft_summary_view_init (DftSummaryView *self)
{
  g_autofree char *legend = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->store_signals = g_signal_group_new (DFT_TYPE_STORE);
  g_signal_group_connect_object (self->store_signals, "changed", G_CALLBACK (store_changed_cb),
                                 self, G_CONNECT_SWAPPED);
  /* The same colours as the bars, so the legend needs no picture. */
  legend = g_markup_printf_escaped ("<span foreground=\"#2ec27e\">■</span> %s  "
                                    "<span foreground=\"#f6d32d\">■</span> %s  "
                                    "<span foreground=\"#e01b24\">■</span> %s  "
                                    "<span foreground=\"#3584e4\">■</span> %s",
                                    _ ("Present"), _ ("Late"), _ ("Absent"), _ ("Excused"));
  gtk_label_set_markup (self->legend, legend);
}
