/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "dft-format.h"
#include "dft-toast-host.h"
#include "dft-ui-util.h"
#include "dft-work-tracker.h"

typedef struct
{
  DftUiWorkFunc       func;
  gpointer            data;
  GDestroyNotify      destroy;
  GAsyncReadyCallback callback;
  gpointer            user_data;
  gboolean            tracked; /* counted as work under way: it writes */
} Job;

static void
job_free (gpointer pointer)
{
  Job *job = pointer;

  if (job->destroy != NULL)
    job->destroy (job->data);
  g_free (job);
}

static void
job_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Job    *job = task_data;
  GError *error = NULL;

  if (job->func (job->data, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
job_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Job          *job = g_task_get_task_data (G_TASK (result));
  GApplication *app = g_application_get_default ();

  if (job->tracked && DFT_IS_WORK_TRACKER (app))
    dft_work_tracker_end_work (DFT_WORK_TRACKER (app));
  if (job->callback != NULL)
    job->callback (source, result, job->user_data);
}

static void
run_async (gpointer            source_object,
           DftUiWorkFunc       func,
           gpointer            data,
           GDestroyNotify      destroy,
           GCancellable       *cancellable,
           GAsyncReadyCallback callback,
           gpointer            user_data,
           gboolean            tracked)
{
  g_autoptr (GTask) task = NULL;
  Job              *job = g_new0 (Job, 1);
  GApplication     *app = g_application_get_default ();

  job->func = func;
  job->data = data;
  job->destroy = destroy;
  job->callback = callback;
  job->user_data = user_data;
  job->tracked = tracked;
  if (tracked && DFT_IS_WORK_TRACKER (app))
    dft_work_tracker_begin_work (DFT_WORK_TRACKER (app));
  task = g_task_new (source_object, cancellable, job_done_cb, NULL);
  g_task_set_source_tag (task, run_async);
  g_task_set_task_data (task, job, job_free);
  g_task_run_in_thread (task, job_thread);
}

void
dft_ui_run_async (gpointer            source_object,
                  DftUiWorkFunc       func,
                  gpointer            data,
                  GDestroyNotify      destroy,
                  GCancellable       *cancellable,
                  GAsyncReadyCallback callback,
                  gpointer            user_data)
{
  run_async (source_object, func, data, destroy, cancellable, callback, user_data, TRUE);
}

void
dft_ui_read_async (gpointer            source_object,
                   DftUiWorkFunc       func,
                   gpointer            data,
                   GDestroyNotify      destroy,
                   GCancellable       *cancellable,
                   GAsyncReadyCallback callback,
                   gpointer            user_data)
{
  run_async (source_object, func, data, destroy, cancellable, callback, user_data, FALSE);
}

gboolean
dft_ui_run_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == run_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gpointer
dft_ui_run_get_data (GAsyncResult *result)
{
  Job *job = g_task_get_task_data (G_TASK (result));

  return job->data;
}

typedef struct
{
  DftStore     *store;
  DftUiListFunc func;
  GPtrArray    *items;
} ListJob;

static void
list_job_free (gpointer data)
{
  ListJob *job = data;

  g_object_unref (job->store);
  g_clear_pointer (&job->items, g_ptr_array_unref);
  g_free (job);
}

static gboolean
list_work (gpointer data, GCancellable *cancellable, GError **error)
{
  ListJob *job = data;

  job->items = job->func (job->store, error);
  return job->items != NULL;
}

void
dft_ui_list_async (gpointer            source_object,
                   DftStore           *store,
                   DftUiListFunc       func,
                   GCancellable       *cancellable,
                   GAsyncReadyCallback callback,
                   gpointer            user_data)
{
  ListJob *job = g_new0 (ListJob, 1);

  g_return_if_fail (DFT_IS_STORE (store));
  job->store = g_object_ref (store);
  job->func = func;
  dft_ui_read_async (source_object, list_work, job, list_job_free, cancellable, callback,
                     user_data);
}

GPtrArray *
dft_ui_list_finish (GAsyncResult *result, GError **error)
{
  ListJob *job = dft_ui_run_get_data (result);

  if (!dft_ui_run_finish (result, error))
    return NULL;
  return g_steal_pointer (&job->items);
}

void
dft_ui_flow_box_unfocus_cells (GtkFlowBox *box)
{
  for (GtkWidget *c = gtk_widget_get_first_child (GTK_WIDGET (box)); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    gtk_widget_set_focusable (c, FALSE);
}

typedef struct
{
  DftStore  *store;
  GPtrArray *records;
} SaveJob;

static void
save_job_free (gpointer data)
{
  SaveJob *job = data;

  g_object_unref (job->store);
  g_ptr_array_unref (job->records);
  g_free (job);
}

static gboolean
save_work (gpointer data, GCancellable *cancellable, GError **error)
{
  SaveJob *job = data;

  return dft_store_save_all (job->store, (DftRecord **) job->records->pdata, job->records->len,
                             error);
}

void
dft_ui_save_records_async (gpointer            source_object,
                           DftStore           *store,
                           DftRecord         **records,
                           guint               n_records,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  SaveJob *job = g_new0 (SaveJob, 1);

  job->store = g_object_ref (store);
  job->records = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < n_records; i++)
    g_ptr_array_add (job->records, g_object_ref (records[i]));
  dft_ui_run_async (source_object, save_work, job, save_job_free, NULL, callback, user_data);
}

GDateTime *
dft_ui_now (void)
{
  const char *fixed = g_getenv ("DAFTARI_NOW");
  const char *today = g_getenv ("DAFTARI_TODAY");
  GDateTime  *now = NULL;

  if (fixed != NULL && *fixed != '\0')
    {
      g_autoptr (GTimeZone) local = g_time_zone_new_local ();
      now = g_date_time_new_from_iso8601 (fixed, local);
    }
  else if (today != NULL && *today != '\0')
    {
      g_autofree char      *text = g_strconcat (today, "T10:00:00", NULL);
      g_autoptr (GTimeZone) local = g_time_zone_new_local ();
      now = g_date_time_new_from_iso8601 (text, local);
    }
  return now != NULL ? now : g_date_time_new_now_local ();
}

char *
dft_ui_today (void)
{
  const char           *env = g_getenv ("DAFTARI_TODAY");
  g_autoptr (GDateTime) now = NULL;

  if (env != NULL && *env != '\0' && g_getenv ("DAFTARI_NOW") == NULL)
    return g_strdup (env);
  now = dft_ui_now ();
  return g_date_time_format (now, "%Y-%m-%d");
}

gboolean
dft_ui_parse_date (const char *text, GDate *date)
{
  int  y, m, d;
  char end;

  g_date_clear (date, 1);
  if (text == NULL || sscanf (text, "%4d-%2d-%2d%c", &y, &m, &d, &end) != 3)
    return FALSE;
  if (strlen (text) != 10 || !g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y))
    return FALSE;
  g_date_set_dmy (date, (GDateDay) d, (GDateMonth) m, (GDateYear) y);
  return TRUE;
}

static GDateTime *
date_time_from (const char *text)
{
  GDate date;

  if (!dft_ui_parse_date (text, &date))
    return NULL;
  return g_date_time_new_local ((int) g_date_get_year (&date), g_date_get_month (&date),
                                g_date_get_day (&date), 12, 0, 0);
}

char *
dft_ui_format_date (const char *date, gboolean with_weekday)
{
  g_autoptr (GDateTime) dt = date_time_from (date);

  if (dt == NULL)
    return g_strdup (date != NULL ? date : "");
  return dft_format_date (dt, with_weekday ? DFT_DATE_STYLE_WEEKDAY_DAY_MONTH
                                           : DFT_DATE_STYLE_DAY_MONTH_YEAR);
}

char *
dft_ui_format_date_range (const char *start, const char *end)
{
  g_autoptr (GDateTime) s = date_time_from (start);
  g_autoptr (GDateTime) e = date_time_from (end);

  if (s == NULL)
    return g_strdup ("");
  if (e == NULL)
    return dft_ui_format_date (start, FALSE);
  /* One day gives that day alone. */
  return dft_format_date_range (s, e);
}

void
dft_ui_add_toast (GtkWidget *widget, AdwToast *toast)
{
  GtkRoot   *root = widget != NULL ? gtk_widget_get_root (widget) : NULL;
  GtkWindow *parent
      = GTK_IS_WINDOW (root) ? gtk_window_get_transient_for (GTK_WINDOW (root)) : NULL;

  if (DFT_IS_TOAST_HOST (root))
    dft_toast_host_add_toast (DFT_TOAST_HOST (root), toast);
  else if (ADW_IS_PREFERENCES_WINDOW (root))
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (root), toast);
  else if (DFT_IS_TOAST_HOST (parent))
    dft_toast_host_add_toast (DFT_TOAST_HOST (parent), toast);
  else
    {
      g_message ("%s", adw_toast_get_title (toast));
      g_object_unref (toast);
    }
}

void
dft_ui_toast (GtkWidget *widget, const char *message)
{
  /* A toast's title is Pango markup; messages carry names, file names and server replies. */
  g_autofree char *escaped = g_markup_escape_text (message, -1);

  dft_ui_add_toast (widget, adw_toast_new (escaped));
}

void
dft_ui_toast_error (GtkWidget *widget, const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  dft_ui_toast (widget, error->message);
}

char *
dft_ui_editable_text (GtkEditable *editable)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (editable)));

  if (*text == '\0')
    return NULL;
  return g_steal_pointer (&text);
}

static void
activate_default_in (GtkWidget *widget)
{
  if (ADW_IS_ENTRY_ROW (widget))
    adw_entry_row_set_activates_default (ADW_ENTRY_ROW (widget), TRUE);
  else if (GTK_IS_ENTRY (widget))
    gtk_entry_set_activates_default (GTK_ENTRY (widget), TRUE);
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    activate_default_in (c);
}

void
dft_ui_dialog_save_keys (GtkWindow *dialog, GtkWidget *save_button)
{
  GtkEventController *shortcuts;
  GtkShortcutTrigger *trigger;

  g_return_if_fail (GTK_IS_WINDOW (dialog));
  g_return_if_fail (GTK_IS_ACTIONABLE (save_button));
  g_return_if_fail (gtk_actionable_get_action_name (GTK_ACTIONABLE (save_button)) != NULL);

  gtk_window_set_default_widget (dialog, save_button);
  activate_default_in (GTK_WIDGET (dialog));
  trigger
      = gtk_alternative_trigger_new (gtk_keyval_trigger_new (GDK_KEY_Return, GDK_CONTROL_MASK),
                                     gtk_keyval_trigger_new (GDK_KEY_KP_Enter, GDK_CONTROL_MASK));
  shortcuts = gtk_shortcut_controller_new ();
  gtk_shortcut_controller_add_shortcut (
      GTK_SHORTCUT_CONTROLLER (shortcuts),
      gtk_shortcut_new (trigger, gtk_named_action_new (gtk_actionable_get_action_name (
                                     GTK_ACTIONABLE (save_button)))));
  gtk_widget_add_controller (GTK_WIDGET (dialog), shortcuts);
}

static void
wrapped_choice_setup_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 30);
  gtk_list_item_set_child (item, label);
}

static void
wrapped_choice_bind_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GtkStringObject *choice = gtk_list_item_get_item (item);

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)),
                      GTK_IS_STRING_OBJECT (choice) ? gtk_string_object_get_string (choice) : "");
}

void
dft_ui_combo_row_wrap_choices (AdwComboRow *row)
{
  g_autoptr (GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  g_return_if_fail (ADW_IS_COMBO_ROW (row));

  g_signal_connect (factory, "setup", G_CALLBACK (wrapped_choice_setup_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (wrapped_choice_bind_cb), NULL);
  adw_combo_row_set_factory (row, factory);
  /* A factory of one's own leaves the row's expression unset: typing to search and the
   * accessible value read the strings through it. */
  adw_combo_row_set_expression (
      row, gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL, "string"));
}

void
dft_ui_wrap_labels (GtkWidget *widget)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));

  if (GTK_IS_LABEL (widget))
    {
      gtk_label_set_ellipsize (GTK_LABEL (widget), PANGO_ELLIPSIZE_NONE);
      gtk_label_set_wrap (GTK_LABEL (widget), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (widget), PANGO_WRAP_WORD_CHAR);
      gtk_label_set_justify (GTK_LABEL (widget), GTK_JUSTIFY_CENTER);
    }
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    dft_ui_wrap_labels (c);
}
