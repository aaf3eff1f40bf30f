/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "dft-format.h"
#include "dft-forms-util.h"
#include "dft-tests-view.h"
#include "dft-form-ui-resources.h"
#include "dft-save-dialog.h"
#include "dft-ui-util.h"

struct _DftTestsView
{
  AdwBin parent_instance;

  AdwComboRow *form_row;
  AdwComboRow *person_row;
  GtkStack    *stack;
  GtkGrid     *table;

  DftStore      *store;
  DftRecord     *event;
  GListModel    *forms;
  GListModel    *people;
  GSignalGroup  *store_signals;  /* the store's "changed" */
  GSignalGroup  *forms_signals;  /* the forms list's "items-changed" */
  GSignalGroup  *people_signals; /* the workshop's people's "items-changed" */
  GPtrArray     *tests;          /* DftFormInfo *, assessment forms */
  GPtrArray     *person_ids;     /* char *, in the person row's order */
  char          *form_key;
  char          *wanted_key; /* asked for before the forms were read */
  DftGainReport *report;
  GCancellable  *cancellable;
  GCancellable  *forms_cancellable;
  GtkLabel      *summary; /* owned by the summary view */
  guint          refresh_id;
  gboolean       updating;
};

G_DEFINE_FINAL_TYPE (DftTestsView, dft_tests_view, ADW_TYPE_BIN)

enum
{
  COL_NAME,
  COL_PRE,
  COL_POST,
  COL_GAIN,
  COL_NORMALIZED,
  N_COLUMNS
};

const DftGainReport *
dft_tests_view_get_report (DftTestsView *self)
{
  g_return_val_if_fail (DFT_IS_TESTS_VIEW (self), NULL);
  return self->report;
}

gboolean
dft_tests_view_get_loading (DftTestsView *self)
{
  g_return_val_if_fail (DFT_IS_TESTS_VIEW (self), FALSE);
  return self->cancellable != NULL || self->refresh_id != 0 || self->forms_cancellable != NULL;
}

const char *
dft_tests_view_get_form_key (DftTestsView *self)
{
  g_return_val_if_fail (DFT_IS_TESTS_VIEW (self), NULL);
  return self->form_key;
}

const char *
dft_tests_view_get_cell (DftTestsView *self, guint row, guint column)
{
  GtkWidget *child;

  g_return_val_if_fail (DFT_IS_TESTS_VIEW (self), NULL);
  child = gtk_grid_get_child_at (self->table, column, row);
  return GTK_IS_LABEL (child) ? gtk_label_get_text (GTK_LABEL (child)) : NULL;
}

GtkWidget *
dft_tests_view_get_summary (DftTestsView *self)
{
  g_return_val_if_fail (DFT_IS_TESTS_VIEW (self), NULL);
  return GTK_WIDGET (self->summary);
}

static DftFormInfo *
current_test (DftTestsView *self)
{
  for (guint i = 0; self->tests != NULL && i < self->tests->len; i++)
    {
      DftFormInfo *info = g_ptr_array_index (self->tests, i);
      if (g_strcmp0 (info->key, self->form_key) == 0)
        return info;
    }
  return NULL;
}

static void
update_actions (DftTestsView *self)
{
  gboolean has_test = current_test (self) != NULL && self->event != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "tests.room", has_test);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "tests.export-scores", has_test);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "tests.export-scores-to", has_test);
  gtk_widget_action_set_enabled (
      GTK_WIDGET (self), "tests.person",
      has_test && adw_combo_row_get_selected (self->person_row) < self->person_ids->len);
}

/* ---- The table ----------------------------------------------------------------- */

static char *
format_percent (gboolean has, double value)
{
  if (!has || isnan (value))
    return g_strdup ("–");
  /* Scores are out of 100. */
  return dft_format_percent (value / 100);
}

static char *
format_gain (gboolean has, double value)
{
  if (!has || isnan (value))
    return g_strdup ("–");
  /* Translators: a gain in percentage points between two tests, "+12" */
  return g_strdup_printf (_ ("%+.0f"), value);
}

static char *
format_normalized (double value)
{
  if (isnan (value))
    return g_strdup ("–");
  return dft_format_decimal (value, 2);
}

static void
add_cell (DftTestsView *self, guint row, guint column, const char *text, gboolean heading)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), column == COL_NAME ? 0 : 1);
  if (column == COL_NAME && heading)
    gtk_widget_set_hexpand (label, TRUE);
  else if (column == COL_NAME)
    {
      /* Room for a name before it gives way to an ellipsis; on a narrow screen the table
       * scrolls sideways instead of squeezing the names away. */
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
      gtk_label_set_width_chars (GTK_LABEL (label), 18);
      gtk_label_set_max_width_chars (GTK_LABEL (label), 40);
      gtk_widget_set_hexpand (label, TRUE);
    }
  else
    gtk_widget_add_css_class (label, "numeric");
  if (heading)
    gtk_widget_add_css_class (label, "heading");
  gtk_grid_attach (self->table, label, column, row, 1, 1);
}

static char *
person_name (DftTestsView *self, const char *person_id)
{
  guint n = self->people != NULL ? g_list_model_get_n_items (self->people) : 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (DftRecord) person = g_list_model_get_item (self->people, i);
      if (g_strcmp0 (dft_record_get_id (person), person_id) == 0)
        return g_strjoin (" ", dft_record_get_string (person, "given_name") ?: "",
                          dft_record_get_string (person, "family_name") ?: "", NULL);
    }
  return g_strdup (_ ("Someone no longer enrolled"));
}

static void
show_report (DftTestsView *self)
{
  const DftGainReport *report = self->report;
  const char          *headings[N_COLUMNS]
      = { _ ("Name"), _ ("Pre-test"), _ ("Post-test"), _ ("Gain"), _ ("Normalized gain") };
  GtkWidget *child;
  guint      row = 1;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->table))) != NULL)
    gtk_grid_remove (self->table, child);
  gtk_stack_set_visible_child_name (self->stack, current_test (self) != NULL ? "table" : "none");
  if (report == NULL)
    {
      gtk_label_set_text (self->summary, _ ("No test results yet."));
      return;
    }
  for (guint c = 0; c < N_COLUMNS; c++)
    add_cell (self, 0, c, headings[c], TRUE);
  for (guint i = 0; i < report->rows->len; i++, row++)
    {
      DftGainRow      *r = g_ptr_array_index (report->rows, i);
      g_autofree char *name = person_name (self, r->person_id);
      g_autofree char *pre = format_percent (r->has_pre, r->pre);
      g_autofree char *post = format_percent (r->has_post, r->post);
      g_autofree char *gain = format_gain (r->has_pre && r->has_post, r->gain);
      g_autofree char *normalized = format_normalized (r->normalized);

      add_cell (self, row, COL_NAME, name, FALSE);
      add_cell (self, row, COL_PRE, pre, FALSE);
      add_cell (self, row, COL_POST, post, FALSE);
      add_cell (self, row, COL_GAIN, gain, FALSE);
      add_cell (self, row, COL_NORMALIZED, normalized, FALSE);
    }
  {
    g_autofree char *pre = format_percent (report->n_pre > 0, report->mean_pre);
    g_autofree char *post = format_percent (report->n_post > 0, report->mean_post);
    g_autofree char *gain = format_gain (report->n_pairs > 0, report->mean_gain);
    g_autofree char *normalized = format_normalized (report->normalized_gain);
    g_autofree char *summary = NULL;

    add_cell (self, row, COL_NAME, _ ("Class mean"), TRUE);
    add_cell (self, row, COL_PRE, pre, TRUE);
    add_cell (self, row, COL_POST, post, TRUE);
    add_cell (self, row, COL_GAIN, gain, TRUE);
    add_cell (self, row, COL_NORMALIZED, normalized, TRUE);

    if (report->n_pre == 0 && report->n_post == 0)
      summary = g_strdup (_ ("No test results yet."));
    else
      summary = g_strdup_printf (
          /* Translators: class means of a pre-test and a post-test ("54 %", "81 %"), the mean gain
             in points ("+27"), the normalized gain ("0.59"), and how many people took both tests */
          ngettext ("Pre-test %s, post-test %s, gain %s, normalized gain %s (%u person took both)",
                    "Pre-test %s, post-test %s, gain %s, normalized gain %s (%u people took both)",
                    report->n_pairs),
          pre, post, gain, normalized, report->n_pairs);
    gtk_label_set_text (self->summary, summary);
  }
}

typedef struct
{
  DftStore      *store;
  char          *event_id;
  char          *form_key;
  DftGainReport *report;
} GainJob;

static void
gain_job_free (gpointer data)
{
  GainJob *job = data;

  g_object_unref (job->store);
  g_free (job->event_id);
  g_free (job->form_key);
  g_clear_pointer (&job->report, dft_gain_report_free);
  g_free (job);
}

static gboolean
gain_work (gpointer data, GCancellable *cancellable, GError **error)
{
  GainJob *job = data;

  job->report = dft_assessment_gain (job->store, job->event_id, job->form_key, error);
  return job->report != NULL;
}

static void
gain_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftTestsView      *self = DFT_TESTS_VIEW (source);
  GainJob           *job = dft_ui_run_get_data (result);
  g_autoptr (GError) error = NULL;

  if (g_task_get_cancellable (G_TASK (result)) != self->cancellable)
    return; /* a newer request is under way */
  g_clear_object (&self->cancellable);
  if (!dft_ui_run_finish (result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        dft_ui_toast_error (GTK_WIDGET (self), error);
      return;
    }
  g_clear_pointer (&self->report, dft_gain_report_free);
  self->report = g_steal_pointer (&job->report);
  show_report (self);
}

static gboolean
refresh_cb (gpointer data)
{
  DftTestsView *self = data;
  GainJob      *job;

  self->refresh_id = 0;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->event == NULL || current_test (self) == NULL)
    {
      g_clear_pointer (&self->report, dft_gain_report_free);
      show_report (self);
      return G_SOURCE_REMOVE;
    }
  job = g_new0 (GainJob, 1);
  job->store = g_object_ref (self->store);
  job->event_id = g_strdup (dft_record_get_id (self->event));
  job->form_key = g_strdup (self->form_key);
  self->cancellable = g_cancellable_new ();
  dft_ui_run_async (self, gain_work, job, gain_job_free, self->cancellable, gain_done_cb, NULL);
  return G_SOURCE_REMOVE;
}

static void
schedule_refresh (DftTestsView *self)
{
  /* A room finishing the test at once makes one query, not one each. */
  if (self->refresh_id == 0)
    self->refresh_id = g_timeout_add (150, refresh_cb, self);
}

static void
store_changed_cb (DftTestsView *self, const char *entity, GStrv ids, DftStore *store)
{
  if (g_strv_contains ((const char *const[]){ "submission", "enrollment", "person", NULL }, entity))
    schedule_refresh (self);
}

/* ---- Forms and people ---------------------------------------------------------- */

static void
people_changed_cb (DftTestsView *self)
{
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  guint                     n = g_list_model_get_n_items (self->people);

  g_ptr_array_set_size (self->person_ids, 0);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (DftRecord) person = g_list_model_get_item (self->people, i);
      g_autofree char      *name = person_name (self, dft_record_get_id (person));

      gtk_string_list_append (names, name);
      g_ptr_array_add (self->person_ids, g_strdup (dft_record_get_id (person)));
    }
  adw_combo_row_set_model (self->person_row, G_LIST_MODEL (names));
  update_actions (self);
  schedule_refresh (self);
}

static void
form_selected_cb (DftTestsView *self)
{
  guint        selected = adw_combo_row_get_selected (self->form_row);
  DftFormInfo *info;

  if (self->updating || self->tests == NULL || selected >= self->tests->len)
    return;
  info = g_ptr_array_index (self->tests, selected);
  if (g_strcmp0 (info->key, self->form_key) == 0)
    return;
  g_free (self->form_key);
  self->form_key = g_strdup (info->key);
  g_clear_pointer (&self->report, dft_gain_report_free);
  update_actions (self);
  schedule_refresh (self);
}

gboolean
dft_tests_view_set_form_key (DftTestsView *self, const char *form_key)
{
  g_return_val_if_fail (DFT_IS_TESTS_VIEW (self), FALSE);

  for (guint i = 0; self->tests != NULL && i < self->tests->len; i++)
    {
      DftFormInfo *info = g_ptr_array_index (self->tests, i);

      if (g_strcmp0 (info->key, form_key) == 0)
        {
          adw_combo_row_set_selected (self->form_row, i);
          form_selected_cb (self);
          return TRUE;
        }
    }
  g_free (self->wanted_key);
  self->wanted_key = g_strdup (form_key);
  return FALSE;
}

static void
infos_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftTestsView             *self = DFT_TESTS_VIEW (source);
  g_autoptr (GError)        error = NULL;
  g_autoptr (GPtrArray)     infos = dft_form_infos_load_finish (result, &error);
  g_autoptr (GtkStringList) titles = gtk_string_list_new (NULL);
  g_autofree char          *keep = NULL;
  g_autofree char          *left_out = NULL;
  guint                     selected = 0;
  guint                     n_left_out = 0;

  if (g_task_get_cancellable (G_TASK (result)) != self->forms_cancellable)
    return;
  g_clear_object (&self->forms_cancellable);
  if (infos == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        dft_ui_toast_error (GTK_WIDGET (self), error);
      return;
    }
  g_clear_pointer (&self->tests, g_ptr_array_unref);
  self->tests = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_form_info_free);
  keep = g_strdup (self->wanted_key != NULL ? self->wanted_key : self->form_key);
  for (guint i = 0; i < infos->len; i++)
    {
      DftFormInfo *info = g_ptr_array_index (infos, i);

      /* A form that cannot be opened is never offered, nor chosen for the trainer. */
      if (info->error != NULL && g_strcmp0 (info->kind, "assessment") == 0)
        n_left_out++;
      if (info->error != NULL)
        continue;
      if (!info->is_assessment)
        continue;
      if (g_strcmp0 (info->key, keep) == 0)
        selected = self->tests->len;
      gtk_string_list_append (titles, info->title);
      g_ptr_array_add (self->tests, g_steal_pointer (&infos->pdata[i]));
    }
  left_out = dft_forms_left_out_text (n_left_out);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self->form_row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->form_row), left_out != NULL ? left_out : "");
  self->updating = TRUE;
  adw_combo_row_set_model (self->form_row, G_LIST_MODEL (titles));
  adw_combo_row_set_selected (self->form_row, selected);
  self->updating = FALSE;
  g_clear_pointer (&self->form_key, g_free);
  g_clear_pointer (&self->wanted_key, g_free);
  if (self->tests->len > 0)
    self->form_key = g_strdup (((DftFormInfo *) self->tests->pdata[selected])->key);
  gtk_widget_set_sensitive (GTK_WIDGET (self->form_row), self->tests->len > 0);
  update_actions (self);
  schedule_refresh (self);
}

static void
forms_changed_cb (DftTestsView *self)
{
  g_autoptr (GPtrArray) latest = dft_forms_latest (self->forms);

  if (self->forms_cancellable != NULL)
    g_cancellable_cancel (self->forms_cancellable);
  g_clear_object (&self->forms_cancellable);
  self->forms_cancellable = g_cancellable_new ();
  dft_form_infos_load_async (self, latest, self->forms_cancellable, infos_done_cb, NULL);
}

void
dft_tests_view_set_event (DftTestsView *self, DftStore *store, DftRecord *event)
{
  g_return_if_fail (DFT_IS_TESTS_VIEW (self));

  if (self->store != store)
    {
      g_set_object (&self->store, store);
      g_signal_group_set_target (self->store_signals, store);
      g_clear_object (&self->forms);
      if (store != NULL)
        self->forms = dft_store_list_forms (store);
      g_signal_group_set_target (self->forms_signals, self->forms);
      if (store != NULL)
        forms_changed_cb (self);
    }
  if (self->event == NULL || event == NULL
      || g_strcmp0 (dft_record_get_id (self->event), dft_record_get_id (event)) != 0)
    {
      g_clear_object (&self->people);
      g_clear_pointer (&self->report, dft_gain_report_free);
      if (store != NULL && event != NULL)
        self->people = dft_store_list_people (store, dft_record_get_id (event));
      g_signal_group_set_target (self->people_signals, self->people);
      show_report (self);
    }
  g_set_object (&self->event, event);
  update_actions (self);
  schedule_refresh (self);
}

/* ---- Actions --------------------------------------------------------------------- */

static void
person_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftTestsView *self = DFT_TESTS_VIEW (widget);
  DftFormInfo  *info = current_test (self);
  guint         selected = adw_combo_row_get_selected (self->person_row);

  if (info == NULL || self->event == NULL || selected >= self->person_ids->len)
    return;
  dft_forms_open_filler (widget, self->store, info->record, dft_record_get_id (self->event),
                         g_ptr_array_index (self->person_ids, selected),
                         g_variant_get_string (parameter, NULL), FALSE);
}

typedef struct
{
  DftTestsView *view;
  char         *phase;
} RoomRequest;

static void
room_pin_cb (const char *pin, gpointer user_data)
{
  RoomRequest  *request = user_data;
  DftTestsView *self = request->view;
  DftFormInfo  *info = current_test (self);

  if (info != NULL && self->event != NULL)
    dft_forms_open_kiosk (GTK_WIDGET (self), self->store, info->record,
                          dft_record_get_id (self->event), request->phase, pin);
}

static void
room_request_free (gpointer data)
{
  RoomRequest *request = data;

  g_object_unref (request->view);
  g_free (request->phase);
  g_free (request);
}

static void
room_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  RoomRequest *request = g_new0 (RoomRequest, 1);

  request->view = g_object_ref (DFT_TESTS_VIEW (widget));
  request->phase = g_variant_dup_string (parameter, NULL);
  dft_forms_ask_pin (widget, room_pin_cb, request, room_request_free);
}

typedef struct
{
  DftStore *store;
  char     *event_id;
  char     *form_key;
} ScoresJob;

static void
scores_job_free (gpointer data)
{
  ScoresJob *job = data;

  g_object_unref (job->store);
  g_free (job->event_id);
  g_free (job->form_key);
  g_free (job);
}

static gboolean
scores_csv (gpointer data, GOutputStream *out, GCancellable *cancellable, GError **error)
{
  ScoresJob *job = data;

  return dft_gain_export_csv (job->store, job->event_id, job->form_key, out, cancellable, error);
}

static gboolean
scores_work (gpointer data, DftSaveTarget *target, GCancellable *cancellable, GError **error)
{
  ScoresJob *job = data;

  if (target->format == DFT_SAVE_XLSX)
    return dft_gain_export_xlsx (job->store, job->event_id, job->form_key, target->path,
                                 cancellable, error);
  return dft_save_write_stream (target->path, scores_csv, job, cancellable, error);
}

/* The pre/post scores and gain of the test shown, as a spreadsheet; with a path (the "-to"
 * twin, for tests and scripts) without asking where. */
static void
export_scores_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftTestsView    *self = DFT_TESTS_VIEW (widget);
  DftFormInfo     *info = current_test (self);
  ScoresJob       *job;
  DftSaveDialog   *dialog;
  g_autofree char *what = NULL;
  g_autofree char *name = NULL;

  if (info == NULL || self->event == NULL || self->store == NULL)
    return;
  job = g_new0 (ScoresJob, 1);
  job->store = g_object_ref (self->store);
  job->event_id = g_strdup (dft_record_get_id (self->event));
  job->form_key = g_strdup (info->key);
  /* Translators: part of a suggested file name, "<workshop> <test> Scores <date>.xlsx"; %s is
     the test's title */
  what = g_strdup_printf (_ ("%s Scores"), info->title);
  name = dft_save_suggested_name (dft_record_get_string (self->event, "title"), what,
                                  dft_record_get_string (self->event, "start_date"));
  dialog = dft_save_dialog_new (widget, _ ("Export Scores"), name, DFT_SAVE_XLSX | DFT_SAVE_CSV,
                                scores_work, job, scores_job_free);
  if (parameter != NULL)
    dft_save_dialog_save_to (dialog, g_variant_get_string (parameter, NULL));
  else
    dft_save_dialog_show (dialog);
}

/* ---- GObject ----------------------------------------------------------------------- */

static void
dft_tests_view_dispose (GObject *object)
{
  DftTestsView *self = DFT_TESTS_VIEW (object);

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->forms_cancellable != NULL)
    g_cancellable_cancel (self->forms_cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->forms_cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), DFT_TYPE_TESTS_VIEW);
  g_clear_object (&self->store_signals);
  g_clear_object (&self->forms_signals);
  g_clear_object (&self->people_signals);
  g_clear_object (&self->forms);
  g_clear_object (&self->people);
  g_clear_object (&self->event);
  g_clear_object (&self->store);
  g_clear_object (&self->summary);
  g_clear_pointer (&self->tests, g_ptr_array_unref);
  g_clear_pointer (&self->person_ids, g_ptr_array_unref);
  g_clear_pointer (&self->report, dft_gain_report_free);
  g_clear_pointer (&self->form_key, g_free);
  g_clear_pointer (&self->wanted_key, g_free);

  G_OBJECT_CLASS (dft_tests_view_parent_class)->dispose (object);
}

static void
dft_tests_view_class_init (DftTestsViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dft_tests_view_dispose;

  /* Links the resource in, whose constructor registers it. */
  g_assert (dft_form_ui_get_resource () != NULL);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/daftari/Daftari/form/dft-tests-view.ui");
  gtk_widget_class_bind_template_child (widget_class, DftTestsView, form_row);
  gtk_widget_class_bind_template_child (widget_class, DftTestsView, person_row);
  gtk_widget_class_bind_template_child (widget_class, DftTestsView, stack);
  gtk_widget_class_bind_template_child (widget_class, DftTestsView, table);
  gtk_widget_class_bind_template_callback (widget_class, form_selected_cb);

  gtk_widget_class_install_action (widget_class, "tests.person", "s", person_activated);
  gtk_widget_class_install_action (widget_class, "tests.room", "s", room_activated);
  gtk_widget_class_install_action (widget_class, "tests.export-scores", NULL,
                                   export_scores_activated);
  gtk_widget_class_install_action (widget_class, "tests.export-scores-to", "s",
                                   export_scores_activated);
}

static void
dft_tests_view_init (DftTestsView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  dft_ui_combo_row_wrap_choices (self->form_row);
  dft_ui_combo_row_wrap_choices (self->person_row);
  self->person_ids = g_ptr_array_new_with_free_func (g_free);
  /* Connected once; set_event() only changes what they follow. */
  self->store_signals = g_signal_group_new (DFT_TYPE_STORE);
  g_signal_group_connect_object (self->store_signals, "changed", G_CALLBACK (store_changed_cb),
                                 self, G_CONNECT_SWAPPED);
  self->forms_signals = g_signal_group_new (G_TYPE_LIST_MODEL);
  g_signal_group_connect_object (self->forms_signals, "items-changed",
                                 G_CALLBACK (forms_changed_cb), self, G_CONNECT_SWAPPED);
  self->people_signals = g_signal_group_new (G_TYPE_LIST_MODEL);
  g_signal_group_connect_object (self->people_signals, "items-changed",
                                 G_CALLBACK (people_changed_cb), self, G_CONNECT_SWAPPED);
  self->summary = GTK_LABEL (g_object_ref_sink (gtk_label_new (_ ("No test results yet."))));
  gtk_label_set_wrap (self->summary, TRUE);
  gtk_label_set_xalign (self->summary, 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->form_row), FALSE);
  update_actions (self);
  show_report (self);
}
