/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "forms/dft-form-run.h"
#include "forms/dft-form-store.h"
#include "forms/dft-form-templates.h"
#include "forms/dft-form.h"
#include "dft-evaluations-view.h"
#include "dft-format.h"
#include "dft-forms-util.h"
#include "dft-form-ui-resources.h"
#include "dft-ui-util.h"

struct _DftEvaluationsView
{
  AdwBin parent_instance;

  GtkStack    *form_stack;
  AdwComboRow *form_row;
  GtkLabel    *count_label;
  GtkListBox  *means_box;

  DftStore     *store;
  DftRecord    *event;
  GListModel   *forms;
  GListModel   *submissions;
  GPtrArray    *evaluations; /* DftFormInfo *, evaluation forms */
  char         *form_key;
  GPtrArray    *means; /* Mean * */
  guint         count;
  GCancellable *cancellable;
  GCancellable *forms_cancellable;
  guint         refresh_id;
  gboolean      updating;
  gboolean      copying;
};

G_DEFINE_FINAL_TYPE (DftEvaluationsView, dft_evaluations_view, ADW_TYPE_BIN)

typedef struct
{
  char  *name;
  char  *label;
  double mean;
  guint  n_points;
  guint  n_answers;
} Mean;

static void
mean_free (gpointer data)
{
  Mean *mean = data;

  g_free (mean->name);
  g_free (mean->label);
  g_free (mean);
}

const char *
dft_evaluations_view_get_form_key (DftEvaluationsView *self)
{
  g_return_val_if_fail (DFT_IS_EVALUATIONS_VIEW (self), NULL);
  return self->form_key;
}

guint
dft_evaluations_view_get_count (DftEvaluationsView *self)
{
  g_return_val_if_fail (DFT_IS_EVALUATIONS_VIEW (self), 0);
  return self->count;
}

const char *
dft_evaluations_view_get_count_text (DftEvaluationsView *self)
{
  g_return_val_if_fail (DFT_IS_EVALUATIONS_VIEW (self), NULL);
  return gtk_label_get_text (self->count_label);
}

gboolean
dft_evaluations_view_get_loading (DftEvaluationsView *self)
{
  g_return_val_if_fail (DFT_IS_EVALUATIONS_VIEW (self), FALSE);
  return self->cancellable != NULL || self->refresh_id != 0 || self->forms_cancellable != NULL;
}

double
dft_evaluations_view_get_mean (DftEvaluationsView *self, const char *name)
{
  g_return_val_if_fail (DFT_IS_EVALUATIONS_VIEW (self), NAN);

  for (guint i = 0; self->means != NULL && i < self->means->len; i++)
    {
      Mean *mean = g_ptr_array_index (self->means, i);
      if (g_strcmp0 (mean->name, name) == 0)
        return mean->mean;
    }
  return NAN;
}

static DftFormInfo *
current_form (DftEvaluationsView *self)
{
  for (guint i = 0; self->evaluations != NULL && i < self->evaluations->len; i++)
    {
      DftFormInfo *info = g_ptr_array_index (self->evaluations, i);
      if (g_strcmp0 (info->key, self->form_key) == 0)
        return info;
    }
  return NULL;
}

static void
update_actions (DftEvaluationsView *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "evaluations.kiosk",
                                 current_form (self) != NULL && self->event != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "evaluations.copy-template",
                                 self->store != NULL && !self->copying);
}

/* ---- Means ------------------------------------------------------------------------ */

static void
show_means (DftEvaluationsView *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->means_box))) != NULL)
    gtk_list_box_remove (self->means_box, child);
  for (guint i = 0; self->means != NULL && i < self->means->len; i++)
    {
      Mean            *mean = g_ptr_array_index (self->means, i);
      GtkWidget       *row = adw_action_row_new ();
      GtkWidget       *bar = gtk_level_bar_new_for_interval (0, mean->n_points);
      g_autofree char *text = NULL;

      if (isnan (mean->mean))
        text = g_strdup (_ ("No answers yet"));
      else
        {
          g_autofree char *value = dft_format_decimal (mean->mean, 1);
          g_autofree char *top = dft_format_integer (mean->n_points);

          /* Translators: the mean of a rating ("4.2") and the top of its scale ("5"), both
             already written as your language writes numbers */
          text = g_strdup_printf (_ ("%s of %s"), value, top);
        }
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), mean->label);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), text);
      gtk_level_bar_set_mode (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_MODE_CONTINUOUS);
      gtk_level_bar_set_value (GTK_LEVEL_BAR (bar), isnan (mean->mean) ? 0 : mean->mean);
      gtk_widget_set_valign (bar, GTK_ALIGN_CENTER);
      gtk_widget_set_size_request (bar, 96, -1);
      gtk_accessible_update_property (GTK_ACCESSIBLE (bar), GTK_ACCESSIBLE_PROPERTY_LABEL, text,
                                      -1);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), bar);
      gtk_list_box_append (self->means_box, row);
    }
}

typedef struct
{
  char      *definition;
  char      *lang;
  GPtrArray *answers; /* char * */
  GPtrArray *means;   /* Mean * */
} MeansJob;

static void
means_job_free (gpointer data)
{
  MeansJob *job = data;

  g_free (job->definition);
  g_free (job->lang);
  g_ptr_array_unref (job->answers);
  g_clear_pointer (&job->means, g_ptr_array_unref);
  g_free (job);
}

static void
collect_likert (DftQuestion *question, gpointer user_data)
{
  GPtrArray *likert = user_data;

  if (question->type == DFT_QUESTION_LIKERT)
    g_ptr_array_add (likert, question);
}

static gboolean
means_work (gpointer data, GCancellable *cancellable, GError **error)
{
  MeansJob             *job = data;
  g_autoptr (DftForm)   form = dft_form_new_from_json (job->definition, -1, error);
  g_autoptr (GPtrArray) likert = g_ptr_array_new ();
  g_autofree double    *sums = NULL;

  if (form == NULL || !dft_form_prepare (form, error))
    return FALSE;
  dft_form_foreach (form, collect_likert, likert);
  sums = g_new0 (double, likert->len + 1);
  job->means = g_ptr_array_new_with_free_func (mean_free);
  for (guint i = 0; i < likert->len; i++)
    {
      DftQuestion   *q = g_ptr_array_index (likert, i);
      DftChoiceList *list = g_hash_table_lookup (form->choice_lists, q->choice_list);
      const char    *label = dft_form_text (form, q->label, job->lang, NULL);
      Mean          *mean = g_new0 (Mean, 1);

      mean->name = g_strdup (q->name);
      mean->label = g_strdup (label != NULL ? label : q->name);
      mean->n_points = list != NULL ? list->choices->len : 0;
      mean->mean = NAN;
      g_ptr_array_add (job->means, mean);
    }
  for (guint s = 0; s < job->answers->len; s++)
    {
      g_autoptr (DftFormRun) run = dft_form_run_new (form, NULL);

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (run == NULL || !dft_form_run_load_json (run, g_ptr_array_index (job->answers, s), NULL))
        continue;
      for (guint i = 0; i < likert->len; i++)
        {
          DftQuestion     *q = g_ptr_array_index (likert, i);
          DftChoiceList   *list = g_hash_table_lookup (form->choice_lists, q->choice_list);
          Mean            *mean = g_ptr_array_index (job->means, i);
          g_autofree char *answer = dft_form_run_get_answer (run, q->path);

          /* A point's value is its place on the scale: 1 for the first choice. */
          for (guint c = 0; list != NULL && answer != NULL && c < list->choices->len; c++)
            if (g_strcmp0 (((DftChoice *) g_ptr_array_index (list->choices, c))->value, answer)
                == 0)
              {
                sums[i] += c + 1;
                mean->n_answers++;
                break;
              }
        }
    }
  for (guint i = 0; i < likert->len; i++)
    {
      Mean *mean = g_ptr_array_index (job->means, i);
      if (mean->n_answers > 0)
        mean->mean = sums[i] / mean->n_answers;
    }
  return TRUE;
}

static void
means_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftEvaluationsView *self = DFT_EVALUATIONS_VIEW (source);
  MeansJob           *job = dft_ui_run_get_data (result);
  g_autoptr (GError)  error = NULL;

  if (g_task_get_cancellable (G_TASK (result)) != self->cancellable)
    return;
  g_clear_object (&self->cancellable);
  if (!dft_ui_run_finish (result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        dft_ui_toast_error (GTK_WIDGET (self), error);
      return;
    }
  g_clear_pointer (&self->means, g_ptr_array_unref);
  self->means = g_steal_pointer (&job->means);
  show_means (self);
}

/* Counts on the UI thread (the records are in memory); the means are read in a worker. */
static gboolean
refresh_cb (gpointer data)
{
  DftEvaluationsView    *self = data;
  DftFormInfo           *info = current_form (self);
  g_autoptr (GHashTable) ids = NULL;
  g_autofree char       *text = NULL;
  MeansJob              *job;
  guint                  n;

  self->refresh_id = 0;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_stack_set_visible_child_name (self->form_stack, info != NULL ? "form" : "none");
  if (info == NULL || self->submissions == NULL)
    {
      self->count = 0;
      g_clear_pointer (&self->means, g_ptr_array_unref);
      show_means (self);
      return G_SOURCE_REMOVE;
    }
  ids = dft_forms_version_ids (self->forms, info->key);
  job = g_new0 (MeansJob, 1);
  job->definition = g_strdup (dft_record_get_string (info->record, "definition"));
  job->lang = g_strdup (dft_record_get_string (info->record, "default_language"));
  job->answers = g_ptr_array_new_with_free_func (g_free);
  n = g_list_model_get_n_items (self->submissions);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (DftRecord) submission = g_list_model_get_item (self->submissions, i);

      if (g_strcmp0 (dft_record_get_string (submission, "status"), "final") == 0
          && g_hash_table_contains (ids, dft_record_get_string (submission, "form_id")))
        g_ptr_array_add (job->answers, g_strdup (dft_record_get_string (submission, "answers")));
    }
  self->count = job->answers->len;
  /* Translators: %d is a number of filled-in workshop evaluations */
  text = g_strdup_printf (ngettext ("%d evaluation", "%d evaluations", self->count),
                          (int) self->count);
  gtk_label_set_text (self->count_label, text);
  self->cancellable = g_cancellable_new ();
  dft_ui_run_async (self, means_work, job, means_job_free, self->cancellable, means_done_cb, NULL);
  return G_SOURCE_REMOVE;
}

static void
schedule_refresh (DftEvaluationsView *self)
{
  if (self->refresh_id == 0)
    self->refresh_id = g_timeout_add (100, refresh_cb, self);
}

/* ---- Forms ------------------------------------------------------------------------- */

static void
form_selected_cb (DftEvaluationsView *self)
{
  guint        selected = adw_combo_row_get_selected (self->form_row);
  DftFormInfo *info;

  if (self->updating || self->evaluations == NULL || selected >= self->evaluations->len)
    return;
  info = g_ptr_array_index (self->evaluations, selected);
  if (g_strcmp0 (info->key, self->form_key) == 0)
    return;
  g_free (self->form_key);
  self->form_key = g_strdup (info->key);
  update_actions (self);
  schedule_refresh (self);
}

static void
infos_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftEvaluationsView       *self = DFT_EVALUATIONS_VIEW (source);
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
  g_clear_pointer (&self->evaluations, g_ptr_array_unref);
  self->evaluations = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_form_info_free);
  keep = g_steal_pointer (&self->form_key);
  for (guint i = 0; i < infos->len; i++)
    {
      DftFormInfo *info = g_ptr_array_index (infos, i);

      /* A form that cannot be opened is never offered, nor chosen for the trainer. */
      if (info->error != NULL && g_strcmp0 (info->kind, "evaluation") == 0)
        n_left_out++;
      if (info->error != NULL)
        continue;
      if (g_strcmp0 (info->kind, "evaluation") != 0)
        continue;
      if (g_strcmp0 (info->key, keep) == 0)
        selected = self->evaluations->len;
      gtk_string_list_append (titles, info->title);
      g_ptr_array_add (self->evaluations, g_steal_pointer (&infos->pdata[i]));
    }
  left_out = dft_forms_left_out_text (n_left_out);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self->form_row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->form_row), left_out != NULL ? left_out : "");
  self->updating = TRUE;
  adw_combo_row_set_model (self->form_row, G_LIST_MODEL (titles));
  adw_combo_row_set_selected (self->form_row, selected);
  self->updating = FALSE;
  if (self->evaluations->len > 0)
    self->form_key = g_strdup (((DftFormInfo *) self->evaluations->pdata[selected])->key);
  update_actions (self);
  schedule_refresh (self);
}

static void
forms_changed_cb (DftEvaluationsView *self)
{
  g_autoptr (GPtrArray) latest = dft_forms_latest (self->forms);

  if (self->forms_cancellable != NULL)
    g_cancellable_cancel (self->forms_cancellable);
  g_clear_object (&self->forms_cancellable);
  self->forms_cancellable = g_cancellable_new ();
  dft_form_infos_load_async (self, latest, self->forms_cancellable, infos_done_cb, NULL);
}

void
dft_evaluations_view_set_event (DftEvaluationsView *self, DftStore *store, DftRecord *event)
{
  g_return_if_fail (DFT_IS_EVALUATIONS_VIEW (self));

  if (self->store != store)
    {
      g_set_object (&self->store, store);
      g_clear_object (&self->forms);
      if (store != NULL)
        {
          self->forms = dft_store_list_forms (store);
          g_signal_connect_object (self->forms, "items-changed", G_CALLBACK (forms_changed_cb),
                                   self, G_CONNECT_SWAPPED);
          forms_changed_cb (self);
        }
    }
  if (self->event == NULL || event == NULL
      || g_strcmp0 (dft_record_get_id (self->event), dft_record_get_id (event)) != 0)
    {
      g_clear_object (&self->submissions);
      if (store != NULL && event != NULL)
        {
          /* The list follows the store: evaluations arriving from the kiosk count at once. */
          self->submissions = dft_store_list_submissions (store, dft_record_get_id (event));
          g_signal_connect_object (self->submissions, "items-changed",
                                   G_CALLBACK (schedule_refresh), self, G_CONNECT_SWAPPED);
        }
    }
  g_set_object (&self->event, event);
  update_actions (self);
  schedule_refresh (self);
}

/* ---- Actions --------------------------------------------------------------------- */

static void
kiosk_pin_cb (const char *pin, gpointer user_data)
{
  DftEvaluationsView *self = user_data;
  DftFormInfo        *info = current_form (self);

  /* Anonymous: no person, no phase. */
  if (info != NULL && self->event != NULL)
    dft_forms_open_kiosk (GTK_WIDGET (self), self->store, info->record,
                          dft_record_get_id (self->event), NULL, pin);
}

static void
kiosk_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  dft_forms_ask_pin (widget, kiosk_pin_cb, g_object_ref (widget), g_object_unref);
}

typedef struct
{
  DftStore  *store;
  DftRecord *saved;
} CopyJob;

static void
copy_job_free (gpointer data)
{
  CopyJob *job = data;

  g_object_unref (job->store);
  g_clear_object (&job->saved);
  g_free (job);
}

static gboolean
copy_work (gpointer data, GCancellable *cancellable, GError **error)
{
  CopyJob            *job = data;
  g_autoptr (DftForm) form = dft_form_template_load ("workshop-evaluation", error);

  if (form == NULL)
    return FALSE;
  job->saved = dft_form_store_save (job->store, form, error);
  return job->saved != NULL;
}

static void
copied_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftEvaluationsView *self = DFT_EVALUATIONS_VIEW (source);
  CopyJob            *job = dft_ui_run_get_data (result);
  g_autoptr (GError)  error = NULL;

  self->copying = FALSE;
  update_actions (self);
  if (!dft_ui_run_finish (result, &error))
    {
      dft_ui_toast_error (GTK_WIDGET (self), error);
      return;
    }
  /* The forms list reloads and picks the copy; choose it once it is there. */
  g_free (self->form_key);
  self->form_key = g_strdup (dft_record_get_string (job->saved, "form_key"));
}

static void
copy_template_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftEvaluationsView *self = DFT_EVALUATIONS_VIEW (widget);
  CopyJob            *job;

  if (self->store == NULL || self->copying)
    return;
  job = g_new0 (CopyJob, 1);
  job->store = g_object_ref (self->store);
  self->copying = TRUE;
  update_actions (self);
  dft_ui_run_async (self, copy_work, job, copy_job_free, NULL, copied_cb, NULL);
}

/* ---- GObject ----------------------------------------------------------------------- */

static void
dft_evaluations_view_dispose (GObject *object)
{
  DftEvaluationsView *self = DFT_EVALUATIONS_VIEW (object);

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->forms_cancellable != NULL)
    g_cancellable_cancel (self->forms_cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->forms_cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), DFT_TYPE_EVALUATIONS_VIEW);
  g_clear_object (&self->forms);
  g_clear_object (&self->submissions);
  g_clear_object (&self->event);
  g_clear_object (&self->store);
  g_clear_pointer (&self->evaluations, g_ptr_array_unref);
  g_clear_pointer (&self->means, g_ptr_array_unref);
  g_clear_pointer (&self->form_key, g_free);

  G_OBJECT_CLASS (dft_evaluations_view_parent_class)->dispose (object);
}

static void
dft_evaluations_view_class_init (DftEvaluationsViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dft_evaluations_view_dispose;

  /* Links the resource in, whose constructor registers it. */
  g_assert (dft_form_ui_get_resource () != NULL);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/daftari/Daftari/form/dft-evaluations-view.ui");
  gtk_widget_class_bind_template_child (widget_class, DftEvaluationsView, form_stack);
  gtk_widget_class_bind_template_child (widget_class, DftEvaluationsView, form_row);
  gtk_widget_class_bind_template_child (widget_class, DftEvaluationsView, count_label);
  gtk_widget_class_bind_template_child (widget_class, DftEvaluationsView, means_box);
  gtk_widget_class_bind_template_callback (widget_class, form_selected_cb);

  gtk_widget_class_install_action (widget_class, "evaluations.kiosk", NULL, kiosk_activated);
  gtk_widget_class_install_action (widget_class, "evaluations.copy-template", NULL,
                                   copy_template_activated);
}

static void
dft_evaluations_view_init (DftEvaluationsView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  dft_ui_combo_row_wrap_choices (self->form_row);
  update_actions (self);
}
