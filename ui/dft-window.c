/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "dft-bundle-dialogs.h"
#include "dft-bundle.h"
#include "dft-dataset.h"
#include "dft-format.h"
#include "dft-forms-page.h"
#include "dft-people-desk.h"
#include "dft-record-list.h"
#include "dft-reports-page.h"
#include "dft-status-bar.h"
#include "dft-toast-host.h"
#include "dft-ui-util.h"
#include "dft-window.h"
#include "dft-workshop-dialog.h"
#include "dft-workshop-list.h"
#include "dft-workshop-page.h"

struct _DftWindow
{
  AdwApplicationWindow parent_instance;

  AdwToastOverlay *toast_overlay;
  GtkStack        *main_stack;
  AdwStatusPage   *error_page;
  AdwStatusPage   *welcome_page;
  GtkProgressBar  *sample_progress;
  AdwLeaflet      *leaflet;
  GtkWidget       *sidebar;
  DftWorkshopList *workshop_list;
  GtkStack        *content_stack;
  DftWorkshopPage *workshop_page;
  DftFormsPage    *forms_page;
  DftPeopleDesk   *people_desk;
  GtkWidget       *desk_button;
  GtkLabel        *conflicts_label; /* the desk button's badge */
  DftReportsPage  *reports_page;
  GtkWidget       *reports_button;
  DftStatusBar    *status_bar;
  GMenuModel      *primary_menu;

  GListModel   *events;
  DftRecord    *event;
  GCancellable *cancellable;
  GCancellable *sync_cancellable;
  char         *pending_open; /* a workshop just saved, shown once the list has it */
  gboolean      shown_main;
  gboolean      loading_sample;
  gboolean      desk_allowed; /* a coordinator's, an administrator's or a single-user laptop */
  gint64        n_conflicts;
  gboolean      desk_reading;
  gboolean      desk_read_again;
};

static void dft_window_toast_host_init (DftToastHostInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DftWindow,
                               dft_window,
                               ADW_TYPE_APPLICATION_WINDOW,
                               G_IMPLEMENT_INTERFACE (DFT_TYPE_TOAST_HOST,
                                                      dft_window_toast_host_init))

static DftApplication *
get_app (DftWindow *self)
{
  return DFT_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
}

static DftStore *
get_store (DftWindow *self)
{
  DftApplication *app = get_app (self);

  return app != NULL ? dft_application_get_store (app) : NULL;
}

static void
set_action_enabled (DftWindow *self, const char *name, gboolean enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

void
dft_window_add_toast (DftWindow *self, AdwToast *toast)
{
  g_return_if_fail (DFT_IS_WINDOW (self));
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
toast_host_add_toast (DftToastHost *host, AdwToast *toast)
{
  dft_window_add_toast (DFT_WINDOW (host), toast);
}

static void
dft_window_toast_host_init (DftToastHostInterface *iface)
{
  iface->add_toast = toast_host_add_toast;
}

const char *
dft_window_get_mode (DftWindow *self)
{
  g_return_val_if_fail (DFT_IS_WINDOW (self), NULL);
  return gtk_stack_get_visible_child_name (self->main_stack);
}

DftRecord *
dft_window_get_event (DftWindow *self)
{
  g_return_val_if_fail (DFT_IS_WINDOW (self), NULL);
  return self->event;
}

GtkWidget *
dft_window_get_workshop_page (DftWindow *self)
{
  g_return_val_if_fail (DFT_IS_WINDOW (self), NULL);
  return GTK_WIDGET (self->workshop_page);
}

GtkWidget *
dft_window_get_forms_page (DftWindow *self)
{
  g_return_val_if_fail (DFT_IS_WINDOW (self), NULL);
  return GTK_WIDGET (self->forms_page);
}

GtkWidget *
dft_window_get_people_desk (DftWindow *self)
{
  g_return_val_if_fail (DFT_IS_WINDOW (self), NULL);
  return GTK_WIDGET (self->people_desk);
}

GtkWidget *
dft_window_get_reports_page (DftWindow *self)
{
  g_return_val_if_fail (DFT_IS_WINDOW (self), NULL);
  return GTK_WIDGET (self->reports_page);
}

gboolean
dft_window_get_desk_allowed (DftWindow *self)
{
  g_return_val_if_fail (DFT_IS_WINDOW (self), FALSE);
  return self->desk_allowed;
}

gint64
dft_window_get_n_conflicts (DftWindow *self)
{
  g_return_val_if_fail (DFT_IS_WINDOW (self), 0);
  return self->n_conflicts;
}

/* ---- The coordinator's desk: offered or not, and the conflicts' count ---------------- */

typedef struct
{
  DftStore *store;
  char     *role;
  gint64    n_conflicts;
} DeskJob;

static void
desk_job_free (gpointer data)
{
  DeskJob *job = data;

  g_object_unref (job->store);
  g_free (job->role);
  g_free (job);
}

static gboolean
desk_work (gpointer data, GCancellable *cancellable, GError **error)
{
  DeskJob *job = data;

  job->role = dft_store_get_sync_state (job->store, "role", NULL);
  job->n_conflicts = dft_store_count_open_conflicts (job->store, error);
  return job->n_conflicts >= 0;
}

static void refresh_desk (DftWindow *self);
static void show_event (DftWindow *self, DftRecord *event, gboolean navigate);

/* Whether the People desk or the Reports page is shown: pages that follow no workshop. */
static gboolean
showing_coordinator_page (DftWindow *self)
{
  const char *name = gtk_stack_get_visible_child_name (self->content_stack);

  return g_strcmp0 (name, "desk") == 0 || g_strcmp0 (name, "reports") == 0;
}

static void
desk_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftWindow         *self = DFT_WINDOW (source);
  DeskJob           *job = dft_ui_run_get_data (result);
  g_autoptr (GError) error = NULL;
  g_autofree char   *count = NULL;
  g_autofree char   *text = NULL;

  self->desk_reading = FALSE;
  if (!dft_ui_run_finish (result, &error))
    {
      dft_ui_toast_error (GTK_WIDGET (self), error);
      return;
    }
  /* Never signed in is a laptop of one's own; a trainer's receives what coordinators decide. */
  self->desk_allowed = job->role == NULL || *job->role == '\0'
                       || g_str_equal (job->role, "coordinator")
                       || g_str_equal (job->role, "admin");
  self->n_conflicts = job->n_conflicts;
  set_action_enabled (self, "show-desk", self->desk_allowed);
  gtk_widget_set_visible (self->desk_button, self->desk_allowed);
  /* The donor's report is the coordinator's too, offered on the same laptops. */
  set_action_enabled (self, "show-reports", self->desk_allowed);
  gtk_widget_set_visible (self->reports_button, self->desk_allowed);
  /* The count on the people button, which then opens the conflicts: it cannot be missed. */
  count = dft_format_integer (job->n_conflicts);
  gtk_label_set_text (self->conflicts_label, count);
  gtk_widget_set_visible (GTK_WIDGET (self->conflicts_label),
                          self->desk_allowed && job->n_conflicts > 0);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->desk_button), "s",
                                    job->n_conflicts > 0 ? "conflicts" : "duplicates");
  if (job->n_conflicts > 0)
    /* Translators: the people button's tooltip and name when there are conflicts to decide */
    text = g_strdup_printf (ngettext ("People: %s Conflict to Decide",
                                      "People: %s Conflicts to Decide", job->n_conflicts),
                            count);
  else
    text = g_strdup (_ ("People: Duplicates, Conflicts, Merges"));
  gtk_widget_set_tooltip_text (self->desk_button, text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->desk_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  job->n_conflicts > 0 ? text : _ ("People"), -1);
  if (!self->desk_allowed && showing_coordinator_page (self))
    show_event (self, self->event, FALSE);
  if (self->desk_read_again)
    {
      self->desk_read_again = FALSE;
      refresh_desk (self);
    }
}

/* Reads the role and the count in a worker; again once done when asked meanwhile. */
static void
refresh_desk (DftWindow *self)
{
  DeskJob *job;

  if (get_store (self) == NULL)
    return;
  if (self->desk_reading)
    {
      self->desk_read_again = TRUE;
      return;
    }
  self->desk_reading = TRUE;
  job = g_new0 (DeskJob, 1);
  job->store = g_object_ref (get_store (self));
  dft_ui_read_async (self, desk_work, job, desk_job_free, self->cancellable, desk_read_cb, NULL);
}

static DftRecord *
find_event (DftWindow *self, const char *id)
{
  guint n = self->events != NULL ? g_list_model_get_n_items (self->events) : 0;

  for (guint i = 0; id != NULL && i < n; i++)
    {
      g_autoptr (DftRecord) event = g_list_model_get_item (self->events, i);
      if (g_strcmp0 (dft_record_get_id (event), id) == 0)
        return g_steal_pointer (&event);
    }
  return NULL;
}

static void
show_event (DftWindow *self, DftRecord *event, gboolean navigate)
{
  DftApplication *app = get_app (self);
  gboolean        same = self->event != NULL && event != NULL
                  && g_strcmp0 (dft_record_get_id (self->event), dft_record_get_id (event)) == 0;

  g_set_object (&self->event, event);
  set_action_enabled (self, "edit-workshop", event != NULL);
  set_action_enabled (self, "show-view", event != NULL);
  if (event == NULL)
    {
      /* The desk and the reports follow no workshop: they stay while the list changes. */
      if (!showing_coordinator_page (self) || !self->desk_allowed)
        gtk_stack_set_visible_child_name (self->content_stack, "empty");
      return;
    }
  dft_workshop_page_set_event (self->workshop_page, get_store (self), event);
  gtk_stack_set_visible_child_name (self->content_stack, "workshop");
  if (navigate)
    adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->content_stack));
  if (!same && app != NULL && dft_application_get_settings (app) != NULL)
    g_settings_set_string (dft_application_get_settings (app), "last-workshop",
                           dft_record_get_id (event));
}

static void
update_mode (DftWindow *self)
{
  guint n = g_list_model_get_n_items (self->events);

  if (n == 0 && dft_record_list_get_loading (DFT_RECORD_LIST (self->events)))
    return;
  if (n == 0 && !self->loading_sample)
    {
      gtk_stack_set_visible_child_name (self->main_stack, "welcome");
      show_event (self, NULL, FALSE);
      return;
    }
  if (n == 0)
    return;
  gtk_stack_set_visible_child_name (self->main_stack, "main");
  if (self->pending_open != NULL)
    {
      g_autoptr (DftRecord) event = find_event (self, self->pending_open);

      if (event != NULL)
        {
          self->shown_main = TRUE;
          g_clear_pointer (&self->pending_open, g_free);
          show_event (self, event, TRUE);
          return;
        }
    }
  if (!self->shown_main)
    {
      DftApplication       *app = get_app (self);
      g_autofree char      *last = NULL;
      g_autoptr (DftRecord) event = NULL;

      self->shown_main = TRUE;
      if (app != NULL && dft_application_get_settings (app) != NULL)
        last = g_settings_get_string (dft_application_get_settings (app), "last-workshop");
      event = find_event (self, last);
      if (event != NULL)
        show_event (self, event, FALSE);
    }
  else if (self->event != NULL)
    {
      /* The list reloaded: follow the current workshop's new record, or let go of it. */
      g_autoptr (DftRecord) event = find_event (self, dft_record_get_id (self->event));
      if (event == NULL)
        show_event (self, NULL, FALSE);
      else if (event != self->event)
        show_event (self, event, FALSE);
    }
}

static void
store_ready (DftWindow *self)
{
  DftApplication *app = get_app (self);
  DftStore       *store = dft_application_get_store (app);

  if (store == NULL)
    {
      const GError *error = dft_application_get_open_error (app);
      if (error != NULL)
        {
          /* A status page's description is markup; the message quotes a file name. */
          g_autofree char *escaped = g_markup_escape_text (error->message, -1);

          adw_status_page_set_description (self->error_page, escaped);
          gtk_stack_set_visible_child_name (self->main_stack, "error");
        }
      return;
    }
  if (self->events != NULL)
    return;
  self->events = dft_store_list_events (store);
  g_signal_connect_object (self->events, "items-changed", G_CALLBACK (update_mode), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->events, "notify::loading", G_CALLBACK (update_mode), self,
                           G_CONNECT_SWAPPED);
  dft_workshop_list_set_model (self->workshop_list, self->events);
  dft_forms_page_set_store (self->forms_page, store);
  dft_people_desk_set_store (self->people_desk, store);
  dft_reports_page_set_store (self->reports_page, store);
  g_signal_connect_object (store, "changed::conflict", G_CALLBACK (refresh_desk), self,
                           G_CONNECT_SWAPPED);
  if (dft_application_get_sync_client (app) != NULL)
    {
      /* Signing in sets the role; a sync brings conflicts. */
      g_signal_connect_object (dft_application_get_sync_client (app), "notify::signed-in",
                               G_CALLBACK (refresh_desk), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (dft_application_get_sync_client (app), "notify::state",
                               G_CALLBACK (refresh_desk), self, G_CONNECT_SWAPPED);
    }
  refresh_desk (self);
  dft_status_bar_set_application (self->status_bar, app);
  set_action_enabled (self, "new-workshop", TRUE);
  set_action_enabled (self, "load-sample", TRUE);
  set_action_enabled (self, "export-bundle", TRUE);
  set_action_enabled (self, "import-bundle", TRUE);
  set_action_enabled (self, "export-bundle-to", TRUE);
  set_action_enabled (self, "import-bundle-from", TRUE);
  set_action_enabled (self, "sync", TRUE);
  set_action_enabled (self, "show-forms", TRUE);
  update_mode (self);
}

/* ---- Actions ------------------------------------------------------------ */

static void
new_workshop_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  DftWindow *self = user_data;
  GtkWindow *dialog = GTK_WINDOW (dft_workshop_dialog_new (get_store (self), NULL));

  gtk_window_set_transient_for (dialog, GTK_WINDOW (self));
  gtk_window_present (dialog);
}

static void
edit_workshop_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  DftWindow *self = user_data;
  GtkWindow *dialog;

  if (self->event == NULL)
    return;
  dialog = GTK_WINDOW (dft_workshop_dialog_new (get_store (self), self->event));
  gtk_window_set_transient_for (dialog, GTK_WINDOW (self));
  gtk_window_present (dialog);
}

static void
open_workshop_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  DftWindow            *self = user_data;
  g_autoptr (DftRecord) event = find_event (self, g_variant_get_string (parameter, NULL));

  g_clear_pointer (&self->pending_open, g_free);
  if (event != NULL)
    show_event (self, event, TRUE);
  else
    self->pending_open = g_variant_dup_string (parameter, NULL);
}

static void
go_back_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  DftWindow *self = user_data;

  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static void
search_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  DftWindow *self = user_data;
  gboolean   content_shown
      = !adw_leaflet_get_folded (self->leaflet)
        || adw_leaflet_get_visible_child (self->leaflet) == GTK_WIDGET (self->content_stack);

  if (content_shown && self->event != NULL && dft_workshop_page_focus_search (self->workshop_page))
    return;
  adw_leaflet_set_visible_child (self->leaflet, self->sidebar);
  dft_workshop_list_focus_search (self->workshop_list);
}

static void
show_view_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  DftWindow *self = user_data;

  if (self->event == NULL)
    return;
  gtk_stack_set_visible_child_name (self->content_stack, "workshop");
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->content_stack));
  dft_workshop_page_show_view (self->workshop_page, g_variant_get_string (parameter, NULL));
}

static void
show_forms_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  DftWindow *self = user_data;

  gtk_stack_set_visible_child_name (self->content_stack, "forms");
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->content_stack));
}

static void
show_desk_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  DftWindow *self = user_data;

  if (!self->desk_allowed)
    return;
  /* A coordinator's register may hold people before any workshop of this laptop's. */
  gtk_stack_set_visible_child_name (self->main_stack, "main");
  gtk_stack_set_visible_child_name (self->content_stack, "desk");
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->content_stack));
  dft_people_desk_show (self->people_desk, g_variant_get_string (parameter, NULL));
}

static void
show_reports_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  DftWindow *self = user_data;

  if (!self->desk_allowed)
    return;
  gtk_stack_set_visible_child_name (self->main_stack, "main");
  gtk_stack_set_visible_child_name (self->content_stack, "reports");
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->content_stack));
  /* Workshops and people may have come since it was last shown. */
  dft_reports_page_refresh (self->reports_page);
}

static void
sync_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (DftWindow) self = user_data;
  g_autoptr (GError)    error = NULL;
  DftSyncStats          stats = { 0 };

  g_clear_object (&self->sync_cancellable);
  set_action_enabled (self, "cancel-sync", FALSE);
  if (!dft_sync_client_sync_finish (DFT_SYNC_CLIENT (source), result, &stats, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        dft_ui_toast (GTK_WIDGET (self),
                      _ ("Sync stopped. Your changes are kept on this laptop and go with the next "
                         "sync."));
      else
        dft_ui_toast_error (GTK_WIDGET (self), error);
      return;
    }
  {
    g_autofree char *sent = NULL;
    g_autofree char *message = NULL;

    /* Translators: %u is a number of changes sent to the server */
    sent = g_strdup_printf (ngettext ("%u change sent", "%u changes sent", stats.pushed),
                            stats.pushed);
    message = g_strdup_printf (
        /* Translators: the first %s is "N changes sent", %u a number of changes received */
        ngettext ("Synced: %s, %u received", "Synced: %s, %u received", stats.received), sent,
        stats.received);
    if (stats.conflicts > 0)
      {
        g_autofree char *with = NULL;

        with = g_strdup_printf (
            /* Translators: the first %s is "Synced: N changes sent, N received"; %u is a number
             * of conflicts between two devices' changes this sync found */
            ngettext ("%s, %u conflict kept for a coordinator",
                      "%s, %u conflicts kept for a coordinator", stats.conflicts),
            message, stats.conflicts);
        g_free (message);
        message = g_steal_pointer (&with);
      }
    dft_ui_toast (GTK_WIDGET (self),
                  stats.new_identity ? dft_store_new_identity_message () : message);
  }
  /* A change the server refused alone: the trainer must read why, not glimpse it. */
  if (stats.set_aside > 0)
    {
      g_autofree char *body = dft_sync_set_aside_message (
          stats.set_aside, dft_sync_client_get_set_aside_reason (DFT_SYNC_CLIENT (source)));
      GtkWidget *dialog
          = adw_message_dialog_new (GTK_WINDOW (self), _ ("Some Changes Were Not Accepted"), NULL);

      /* The reason is the server's text: shown as it is, never as markup. */
      adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog), body);
      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _ ("_Close"));
      gtk_window_present (GTK_WINDOW (dialog));
    }
}

static void
sync_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  DftWindow     *self = user_data;
  DftSyncClient *client
      = get_app (self) != NULL ? dft_application_get_sync_client (get_app (self)) : NULL;

  if (client == NULL || self->sync_cancellable != NULL)
    return;
  self->sync_cancellable = g_cancellable_new ();
  set_action_enabled (self, "cancel-sync", TRUE);
  dft_sync_client_sync_async (client, self->sync_cancellable, sync_done_cb, g_object_ref (self));
}

static void
cancel_sync_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  DftWindow *self = user_data;

  if (self->sync_cancellable != NULL)
    g_cancellable_cancel (self->sync_cancellable);
}

/* Sample workshops: loaded in a worker, one transaction per workshop, with progress. */

typedef struct
{
  DftStore       *store;
  char           *path;
  DftDatasetStats stats;
  DftWindow      *window; /* the task, whose source it is, keeps it alive */
} SampleJob;

typedef struct
{
  DftWindow *window;
  double     fraction;
} SampleProgress;

static void
sample_job_free (gpointer data)
{
  SampleJob *job = data;

  g_object_unref (job->store);
  g_free (job->path);
  g_free (job);
}

static gboolean
sample_progress_idle_cb (gpointer data)
{
  SampleProgress *update = data;

  if (update->window->sample_progress != NULL)
    gtk_progress_bar_set_fraction (update->window->sample_progress, update->fraction);
  return G_SOURCE_REMOVE;
}

static void
sample_progress_free (gpointer data)
{
  SampleProgress *update = data;

  g_object_unref (update->window);
  g_free (update);
}

static void
sample_progress_cb (double fraction, gpointer user_data)
{
  SampleJob      *job = user_data;
  SampleProgress *update = g_new0 (SampleProgress, 1);

  /* Widgets are touched on the UI thread only; the update holds the window till then. */
  update->window = g_object_ref (job->window);
  update->fraction = fraction;
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, sample_progress_idle_cb, update,
                              sample_progress_free);
}

static gboolean
sample_work (gpointer data, GCancellable *cancellable, GError **error)
{
  SampleJob *job = data;

  return dft_dataset_load (job->store, job->path, &job->stats, sample_progress_cb, job, cancellable,
                           error);
}

static void
sample_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftWindow         *self = DFT_WINDOW (source);
  SampleJob         *job = dft_ui_run_get_data (result);
  g_autoptr (GError) error = NULL;

  self->loading_sample = FALSE;
  gtk_widget_set_visible (GTK_WIDGET (self->sample_progress), FALSE);
  set_action_enabled (self, "load-sample", TRUE);
  if (!dft_ui_run_finish (result, &error))
    dft_ui_toast_error (GTK_WIDGET (self), error);
  else
    {
      g_autofree char *message = NULL;

      message = g_strdup_printf (
          /* Translators: %u is a number of workshops */
          ngettext ("Loaded %u sample workshop", "Loaded %u sample workshops", job->stats.events),
          job->stats.events);
      dft_ui_toast (GTK_WIDGET (self), message);
    }
  update_mode (self);
}

static void
load_sample_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  DftWindow *self = user_data;
  SampleJob *job;
  char      *path = dft_application_find_sample ();

  if (path == NULL)
    {
      dft_ui_toast (GTK_WIDGET (self), _ ("The sample workshops are not installed."));
      return;
    }
  job = g_new0 (SampleJob, 1);
  job->store = g_object_ref (get_store (self));
  job->path = path;
  job->window = self;
  self->loading_sample = TRUE;
  set_action_enabled (self, "load-sample", FALSE);
  gtk_progress_bar_set_fraction (self->sample_progress, 0);
  gtk_widget_set_visible (GTK_WIDGET (self->sample_progress), TRUE);
  dft_ui_run_async (self, sample_work, job, sample_job_free, self->cancellable, sample_done_cb,
                    NULL);
}

/* Bundles: file-based sync for USB sticks. Export asks who the file is for (the server, or
 * another laptop with a passphrase it then shows once); import reads the file's header first and
 * asks for the passphrase when the file has one, again after a wrong one. */

typedef struct
{
  DftStore     *store;
  GFile        *file;
  char         *passphrase;
  DftBundleMode mode;
  guint         n_changes;
  DftApplyStats stats;
} BundleJob;

static void
bundle_job_free (gpointer data)
{
  BundleJob *job = data;

  g_object_unref (job->store);
  g_object_unref (job->file);
  if (job->passphrase != NULL)
    memset (job->passphrase, 0, strlen (job->passphrase));
  g_free (job->passphrase);
  g_free (job);
}

static BundleJob *
bundle_job_new (DftWindow *self, GFile *file, const char *passphrase)
{
  BundleJob *job = g_new0 (BundleJob, 1);

  job->store = g_object_ref (get_store (self));
  job->file = g_object_ref (file);
  job->passphrase = g_strdup (passphrase);
  return job;
}

static gboolean
bundle_export_work (gpointer data, GCancellable *cancellable, GError **error)
{
  BundleJob *job = data;

  return dft_bundle_export (job->store, job->file, 0, job->passphrase, &job->n_changes, cancellable,
                            error);
}

static gboolean
bundle_probe_work (gpointer data, GCancellable *cancellable, GError **error)
{
  BundleJob *job = data;

  return dft_bundle_read_mode (job->file, &job->mode, cancellable, error);
}

static gboolean
bundle_import_work (gpointer data, GCancellable *cancellable, GError **error)
{
  BundleJob *job = data;

  return dft_bundle_import (job->store, job->file, job->passphrase, &job->stats, cancellable,
                            error);
}

static void
bundle_exported_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftWindow         *self = DFT_WINDOW (source);
  BundleJob         *job = dft_ui_run_get_data (result);
  g_autoptr (GError) error = NULL;
  g_autofree char   *message = NULL;

  if (!dft_ui_run_finish (result, &error))
    {
      dft_ui_toast_error (GTK_WIDGET (self), error);
      return;
    }
  message = g_strdup_printf (
      /* Translators: %u is a number of changes written to a file */
      ngettext ("Wrote %u change to the file", "Wrote %u changes to the file", job->n_changes),
      job->n_changes);
  dft_ui_toast (GTK_WIDGET (self), message);
  /* Only now that the file is there: a passphrase for a file that failed is no use. */
  if (job->passphrase != NULL && gtk_widget_get_mapped (GTK_WIDGET (self)))
    gtk_window_present (
        GTK_WINDOW (dft_bundle_passphrase_dialog_new (GTK_WINDOW (self), job->passphrase)));
}

static void
run_export (DftWindow *self, GFile *file, gboolean for_server)
{
  g_autofree char *passphrase = NULL;

  if (get_store (self) == NULL)
    return;
  if (!for_server)
    passphrase = dft_bundle_new_passphrase ();
  dft_ui_run_async (self, bundle_export_work, bundle_job_new (self, file, passphrase),
                    bundle_job_free, self->cancellable, bundle_exported_cb, NULL);
  if (passphrase != NULL)
    memset (passphrase, 0, strlen (passphrase));
}

static void ask_passphrase (DftWindow *self, GFile *file, const char *problem);

static void
bundle_imported_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftWindow         *self = DFT_WINDOW (source);
  BundleJob         *job = dft_ui_run_get_data (result);
  g_autoptr (GError) error = NULL;
  g_autofree char   *message = NULL;

  if (!dft_ui_run_finish (result, &error))
    {
      /* Nothing was applied: the same file can be tried again with another passphrase. */
      if (g_error_matches (error, DFT_BUNDLE_ERROR, DFT_BUNDLE_ERROR_WRONG_PASSPHRASE)
          && gtk_widget_get_mapped (GTK_WIDGET (self)))
        ask_passphrase (self, job->file, error->message);
      else
        dft_ui_toast_error (GTK_WIDGET (self), error);
      return;
    }
  message
      /* Translators: %u is a number of changes that changed something on this laptop */
      = g_strdup_printf (ngettext ("Imported the file: %u change applied",
                                   "Imported the file: %u changes applied", job->stats.applied),
                         job->stats.applied);
  dft_ui_toast (GTK_WIDGET (self),
                job->stats.new_identity ? dft_store_new_identity_message () : message);
}

static void
run_import (DftWindow *self, GFile *file, const char *passphrase)
{
  if (get_store (self) == NULL)
    return;
  dft_ui_run_async (self, bundle_import_work, bundle_job_new (self, file, passphrase),
                    bundle_job_free, self->cancellable, bundle_imported_cb, NULL);
}

static void
unlock_response_cb (AdwMessageDialog *dialog, const char *response, DftWindow *self)
{
  if (g_str_equal (response, "import"))
    run_import (self, g_object_get_data (G_OBJECT (dialog), "file"),
                dft_bundle_unlock_dialog_get_passphrase (GTK_WIDGET (dialog)));
}

static void
ask_passphrase (DftWindow *self, GFile *file, const char *problem)
{
  GtkWidget *dialog = dft_bundle_unlock_dialog_new (GTK_WINDOW (self), file, problem);

  g_object_set_data_full (G_OBJECT (dialog), "file", g_object_ref (file), g_object_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (unlock_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
bundle_probed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftWindow         *self = DFT_WINDOW (source);
  BundleJob         *job = dft_ui_run_get_data (result);
  g_autoptr (GError) error = NULL;

  if (!dft_ui_run_finish (result, &error))
    dft_ui_toast_error (GTK_WIDGET (self), error);
  else if (job->mode == DFT_BUNDLE_MODE_PASSPHRASE)
    {
      if (gtk_widget_get_mapped (GTK_WIDGET (self)))
        ask_passphrase (self, job->file, NULL);
    }
  else
    /* A file for the server: the import refuses it with the reason, or a server opens it. */
    run_import (self, job->file, NULL);
}

/* Reads the file's header in a worker, then asks for a passphrase if the file has one. */
static void
start_import (DftWindow *self, GFile *file)
{
  if (get_store (self) == NULL)
    return;
  dft_ui_run_async (self, bundle_probe_work, bundle_job_new (self, file, NULL), bundle_job_free,
                    self->cancellable, bundle_probed_cb, NULL);
}

static void
bundle_chooser_response_cb (GtkNativeDialog *chooser, int response, gpointer user_data)
{
  DftWindow *self = user_data;
  gboolean   exporting
      = gtk_file_chooser_get_action (GTK_FILE_CHOOSER (chooser)) == GTK_FILE_CHOOSER_ACTION_SAVE;
  gboolean for_server = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (chooser), "for-server"));
  g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
  if (response != GTK_RESPONSE_ACCEPT || file == NULL)
    return;
  if (exporting)
    run_export (self, file, for_server);
  else
    start_import (self, file);
}

static void
choose_bundle (DftWindow *self, gboolean exporting, gboolean for_server)
{
  GtkFileChooserNative *chooser = gtk_file_chooser_native_new (
      exporting ? _ ("Export Changes") : _ ("Import Changes"), GTK_WINDOW (self),
      exporting ? GTK_FILE_CHOOSER_ACTION_SAVE : GTK_FILE_CHOOSER_ACTION_OPEN,
      exporting ? _ ("_Export") : _ ("_Import"), _ ("_Cancel"));
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _ ("Daftari bundles"));
  gtk_file_filter_add_pattern (filter, "*.daftari");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  if (exporting)
    {
      g_autofree char *today = dft_ui_today ();
      g_autofree char *name = g_strdup_printf ("daftari-%s.daftari", today);
      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
    }
  g_object_set_data (G_OBJECT (chooser), "for-server", GINT_TO_POINTER (for_server));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (bundle_chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
recipient_response_cb (AdwMessageDialog *dialog, const char *response, DftWindow *self)
{
  GFile   *file = g_object_get_data (G_OBJECT (dialog), "file");
  gboolean for_server = dft_bundle_recipient_dialog_get_for_server (GTK_WIDGET (dialog));

  if (!g_str_equal (response, "export"))
    return;
  if (file != NULL)
    run_export (self, file, for_server);
  else
    choose_bundle (self, TRUE, for_server);
}

/* Asks who the file is for, then where to write it unless @file says. */
static void
ask_recipient (DftWindow *self, GFile *file)
{
  DftSyncClient *client = dft_application_get_sync_client (get_app (self));
  GtkWidget     *dialog = dft_bundle_recipient_dialog_new (
          GTK_WINDOW (self), client != NULL && dft_sync_client_get_signed_in (client));

  if (file != NULL)
    g_object_set_data_full (G_OBJECT (dialog), "file", g_object_ref (file), g_object_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (recipient_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
export_bundle_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  ask_recipient (user_data, NULL);
}

static void
import_bundle_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  choose_bundle (user_data, FALSE, FALSE);
}

/* The same with the file named by the caller (a path or a URI), without the file chooser but
 * with the other questions: for tests, scripts and a drop target. */
static void
export_bundle_to_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  g_autoptr (GFile) file = g_file_new_for_commandline_arg (g_variant_get_string (parameter, NULL));

  ask_recipient (user_data, file);
}

static void
import_bundle_from_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  g_autoptr (GFile) file = g_file_new_for_commandline_arg (g_variant_get_string (parameter, NULL));

  start_import (user_data, file);
}

static const GActionEntry win_actions[] = {
  { "new-workshop", new_workshop_activated },
  { "edit-workshop", edit_workshop_activated },
  { "open-workshop", open_workshop_activated, "s" },
  { "go-back", go_back_activated },
  { "search", search_activated },
  { "show-view", show_view_activated, "s" },
  { "show-forms", show_forms_activated },
  { "show-desk", show_desk_activated, "s" },
  { "show-reports", show_reports_activated },
  { "sync", sync_activated },
  { "cancel-sync", cancel_sync_activated },
  { "load-sample", load_sample_activated },
  { "export-bundle", export_bundle_activated },
  { "import-bundle", import_bundle_activated },
  { "export-bundle-to", export_bundle_to_activated, "s" },
  { "import-bundle-from", import_bundle_from_activated, "s" },
};

/* ---- GObject -------------------------------------------------------------- */

static gboolean
dft_window_close_request (GtkWindow *window)
{
  DftWindow      *self = DFT_WINDOW (window);
  DftApplication *app = get_app (self);
  GSettings      *settings = app != NULL ? dft_application_get_settings (app) : NULL;

  if (settings != NULL)
    {
      int width, height;

      gtk_window_get_default_size (window, &width, &height);
      g_settings_set_boolean (settings, "window-maximized", gtk_window_is_maximized (window));
      if (!gtk_window_is_maximized (window))
        {
          g_settings_set_int (settings, "window-width", width);
          g_settings_set_int (settings, "window-height", height);
        }
    }
  g_cancellable_cancel (self->cancellable);
  if (self->sync_cancellable != NULL)
    g_cancellable_cancel (self->sync_cancellable);
  return GTK_WINDOW_CLASS (dft_window_parent_class)->close_request (window);
}

/* "application" is not a construct property: set up once it is there. */
static void
setup_with_application (DftWindow *self)
{
  DftApplication *app = get_app (self);
  GSettings      *settings = app != NULL ? dft_application_get_settings (app) : NULL;

  if (settings != NULL)
    {
      gtk_window_set_default_size (GTK_WINDOW (self), g_settings_get_int (settings, "window-width"),
                                   g_settings_get_int (settings, "window-height"));
      if (g_settings_get_boolean (settings, "window-maximized"))
        gtk_window_maximize (GTK_WINDOW (self));
    }
  if (app != NULL)
    {
      g_signal_connect_object (app, "notify::store", G_CALLBACK (store_ready), self,
                               G_CONNECT_SWAPPED);
      store_ready (self);
    }
}

static void
dft_window_dispose (GObject *object)
{
  DftWindow *self = DFT_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->events);
  g_clear_object (&self->event);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->sync_cancellable);
  g_clear_pointer (&self->pending_open, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), DFT_TYPE_WINDOW);

  G_OBJECT_CLASS (dft_window_parent_class)->dispose (object);
}

static void
dft_window_class_init (DftWindowClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = dft_window_dispose;
  window_class->close_request = dft_window_close_request;

  g_type_ensure (DFT_TYPE_WORKSHOP_LIST);
  g_type_ensure (DFT_TYPE_WORKSHOP_PAGE);
  g_type_ensure (DFT_TYPE_STATUS_BAR);
  g_type_ensure (DFT_TYPE_FORMS_PAGE);
  g_type_ensure (DFT_TYPE_PEOPLE_DESK);
  g_type_ensure (DFT_TYPE_REPORTS_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/daftari/Daftari/dft-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DftWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, DftWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, DftWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, DftWindow, welcome_page);
  gtk_widget_class_bind_template_child (widget_class, DftWindow, sample_progress);
  gtk_widget_class_bind_template_child (widget_class, DftWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, DftWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, DftWindow, workshop_list);
  gtk_widget_class_bind_template_child (widget_class, DftWindow, content_stack);
  gtk_widget_class_bind_template_child (widget_class, DftWindow, workshop_page);
  gtk_widget_class_bind_template_child (widget_class, DftWindow, forms_page);
  gtk_widget_class_bind_template_child (widget_class, DftWindow, people_desk);
  gtk_widget_class_bind_template_child (widget_class, DftWindow, desk_button);
  gtk_widget_class_bind_template_child (widget_class, DftWindow, conflicts_label);
  gtk_widget_class_bind_template_child (widget_class, DftWindow, reports_page);
  gtk_widget_class_bind_template_child (widget_class, DftWindow, reports_button);
  gtk_widget_class_bind_template_child (widget_class, DftWindow, status_bar);
  gtk_widget_class_bind_template_child (widget_class, DftWindow, primary_menu);
}

/* Folded on a narrow screen, the leaflet keeps its hidden page beside the window, mapped: the
 * Tab key must not wander into what cannot be seen. */
static void
update_focusable_panes (DftWindow *self)
{
  gboolean   folded = adw_leaflet_get_folded (self->leaflet);
  GtkWidget *shown = adw_leaflet_get_visible_child (self->leaflet);

  gtk_widget_set_can_focus (self->sidebar, !folded || shown == self->sidebar);
  gtk_widget_set_can_focus (GTK_WIDGET (self->content_stack),
                            !folded || shown == GTK_WIDGET (self->content_stack));
}

static void
dft_window_init (DftWindow *self)
{
  static const char *need_store[]
      = { "new-workshop",       "load-sample", "export-bundle", "import-bundle", "export-bundle-to",
          "import-bundle-from", "sync",        "cancel-sync",   "edit-workshop", "show-view",
          "show-forms",         "show-desk",   "show-reports" };

  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  g_action_map_add_action_entries (G_ACTION_MAP (self), win_actions, G_N_ELEMENTS (win_actions),
                                   self);
  for (guint i = 0; i < G_N_ELEMENTS (need_store); i++)
    set_action_enabled (self, need_store[i], FALSE);
  adw_status_page_set_icon_name (self->welcome_page, APPLICATION_ID);
  if (g_str_equal (PROFILE, "development"))
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
  dft_workshop_page_set_menu_model (self->workshop_page, self->primary_menu);
  g_signal_connect_object (self->leaflet, "notify::folded", G_CALLBACK (update_focusable_panes),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->leaflet, "notify::visible-child",
                           G_CALLBACK (update_focusable_panes), self, G_CONNECT_SWAPPED);
  update_focusable_panes (self);
}

DftWindow *
dft_window_new (DftApplication *application)
{
  DftWindow *self = g_object_new (DFT_TYPE_WINDOW, "application", application, NULL);

  setup_with_application (self);
  return self;
}
