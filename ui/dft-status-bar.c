/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dft-format.h"
#include "dft-status-bar.h"

struct _DftStatusBar
{
  AdwBin parent_instance;

  GtkImage       *icon;
  GtkLabel       *label;
  GtkProgressBar *progress;
  GtkWidget      *cancel_button;

  DftApplication  *app;
  DftSyncClient   *client;
  GSignalGroup    *app_signals;
  GSignalGroup    *client_signals;
  GNetworkMonitor *monitor;
  guint            tick_id;
  gboolean         compact;
};

G_DEFINE_FINAL_TYPE (DftStatusBar, dft_status_bar, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_COMPACT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char *
format_last_sync (gint64 ms)
{
  g_autoptr (GDateTime) when = g_date_time_new_from_unix_local (ms / 1000);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char      *time = NULL;

  if (when == NULL)
    return g_strdup ("");
  if (g_date_time_get_year (when) == g_date_time_get_year (now)
      && g_date_time_get_day_of_year (when) == g_date_time_get_day_of_year (now))
    {
      time = dft_format_date (when, DFT_DATE_STYLE_TIME);
      /* Translators: %s is a time of day */
      return g_strdup_printf (_ ("last synced at %s"), time);
    }
  time = dft_format_date (when, DFT_DATE_STYLE_DAY_MONTH_TIME);
  /* Translators: %s is a date and time */
  return g_strdup_printf (_ ("last synced %s"), time);
}

static void
update (DftStatusBar *self)
{
  g_autoptr (GString) text = g_string_new (NULL);
  const char         *icon = "emblem-ok-symbolic";
  gboolean            syncing = FALSE;
  gboolean            online = g_network_monitor_get_network_available (self->monitor);

  if (self->app != NULL && dft_application_get_busy (self->app) > 0)
    {
      g_string_append (text, _ ("Saving…"));
      icon = "document-save-symbolic";
    }
  else
    g_string_append (text, _ ("All changes saved on this laptop"));

  if (self->client != NULL)
    {
      gint64       pending = dft_sync_client_get_pending_changes (self->client);
      gint64       last = dft_sync_client_get_last_sync (self->client);
      DftSyncState state = dft_sync_client_get_state (self->client);

      g_string_append (text, " · ");
      syncing = state == DFT_SYNC_STATE_SYNCING;
      if (syncing)
        g_string_append (text, _ ("Syncing…"));
      else if (pending > 0)
        {
          g_autofree char *count = dft_format_integer (pending);

          g_string_append_printf (
              text,
              /* Translators: %s is a number of changes not yet sent to the server, already
               * written as your language writes numbers ("1 071") */
              ngettext ("%s change not synced yet", "%s changes not synced yet",
                        (gulong) MIN (pending, G_MAXINT)),
              count);
        }
      else if (dft_sync_client_get_signed_in (self->client))
        g_string_append (text, _ ("everything synced"));
      if (!syncing && !dft_sync_client_get_signed_in (self->client))
        {
          if (pending > 0)
            g_string_append (text, " · ");
          g_string_append (text, _ ("not set up for sync (Preferences)"));
        }
      /* Kept when two devices disagreed; a coordinator decides which value stands. */
      if (dft_sync_client_get_open_conflicts (self->client) > 0)
        {
          gint64           open = dft_sync_client_get_open_conflicts (self->client);
          g_autofree char *count = dft_format_integer (open);

          g_string_append (text, " · ");
          g_string_append_printf (text,
                                  /* Translators: %s is a number of conflicts between devices'
                                   * changes that a coordinator has not decided yet */
                                  ngettext ("%s conflict to decide", "%s conflicts to decide",
                                            (gulong) MIN (open, G_MAXINT)),
                                  count);
          icon = "dialog-warning-symbolic";
        }
      if (last > 0)
        {
          g_autofree char *when = format_last_sync (last);
          g_string_append_printf (text, " · %s", when);
        }
      /* A server that cannot be reached is offline too, even with a network: say why. */
      if ((state == DFT_SYNC_STATE_ERROR || state == DFT_SYNC_STATE_OFFLINE)
          && dft_sync_client_get_last_error (self->client) != NULL)
        {
          g_string_append_printf (text, " · %s", dft_sync_client_get_last_error (self->client));
          icon = state == DFT_SYNC_STATE_OFFLINE ? "network-offline-symbolic"
                                                 : "dialog-warning-symbolic";
        }
      else if (pending > 0 && g_str_equal (icon, "emblem-ok-symbolic"))
        icon = "emblem-synchronizing-symbolic";
      gtk_progress_bar_set_fraction (self->progress, dft_sync_client_get_progress (self->client));
    }
  if (!online)
    {
      g_string_append_printf (text, " · %s", _ ("offline"));
      icon = "network-offline-symbolic";
    }
  gtk_widget_set_visible (GTK_WIDGET (self->progress), syncing);
  gtk_widget_set_visible (self->cancel_button, syncing);
  gtk_image_set_from_icon_name (self->icon, icon);
  gtk_label_set_text (self->label, text->str);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->label), text->str);
}

/* What the status bar shows of the sync client: it follows each. */
static const char *const client_props[]
    = { "notify::pending-changes", "notify::last-sync", "notify::state",
        "notify::progress",        "notify::signed-in", "notify::last-error",
        "notify::open-conflicts" };

void
dft_status_bar_set_application (DftStatusBar *self, DftApplication *app)
{
  g_return_if_fail (DFT_IS_STATUS_BAR (self));

  g_set_object (&self->app, app);
  g_clear_object (&self->client);
  if (app != NULL && dft_application_get_sync_client (app) != NULL)
    self->client = g_object_ref (dft_application_get_sync_client (app));
  g_signal_group_set_target (self->app_signals, app);
  g_signal_group_set_target (self->client_signals, self->client);
  update (self);
}

const char *
dft_status_bar_get_text (DftStatusBar *self)
{
  g_return_val_if_fail (DFT_IS_STATUS_BAR (self), NULL);
  return gtk_label_get_text (self->label);
}

void
dft_status_bar_set_compact (DftStatusBar *self, gboolean compact)
{
  g_return_if_fail (DFT_IS_STATUS_BAR (self));

  compact = !!compact;
  if (self->compact == compact)
    return;
  self->compact = compact;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPACT]);
}

gboolean
dft_status_bar_get_compact (DftStatusBar *self)
{
  g_return_val_if_fail (DFT_IS_STATUS_BAR (self), FALSE);
  return self->compact;
}

static void
dft_status_bar_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  DftStatusBar *self = DFT_STATUS_BAR (object);

  switch (prop_id)
    {
    case PROP_COMPACT:
      g_value_set_boolean (value, self->compact);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dft_status_bar_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  DftStatusBar *self = DFT_STATUS_BAR (object);

  switch (prop_id)
    {
    case PROP_COMPACT:
      dft_status_bar_set_compact (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static gboolean
tick_cb (gpointer data)
{
  /* "last synced at" moves to a date at midnight. */
  update (data);
  return G_SOURCE_CONTINUE;
}

static void
dft_status_bar_dispose (GObject *object)
{
  DftStatusBar *self = DFT_STATUS_BAR (object);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), DFT_TYPE_STATUS_BAR);
  g_clear_object (&self->app_signals);
  g_clear_object (&self->client_signals);
  g_clear_object (&self->client);
  g_clear_object (&self->app);
  g_clear_object (&self->monitor);

  G_OBJECT_CLASS (dft_status_bar_parent_class)->dispose (object);
}

static void
dft_status_bar_class_init (DftStatusBarClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dft_status_bar_dispose;
  object_class->get_property = dft_status_bar_get_property;
  object_class->set_property = dft_status_bar_set_property;

  properties[PROP_COMPACT]
      = g_param_spec_boolean ("compact", NULL, NULL, FALSE,
                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/daftari/Daftari/dft-status-bar.ui");
  gtk_widget_class_bind_template_child (widget_class, DftStatusBar, icon);
  gtk_widget_class_bind_template_child (widget_class, DftStatusBar, label);
  gtk_widget_class_bind_template_child (widget_class, DftStatusBar, progress);
  gtk_widget_class_bind_template_child (widget_class, DftStatusBar, cancel_button);
}

static void
dft_status_bar_init (DftStatusBar *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->monitor = g_object_ref (g_network_monitor_get_default ());
  g_signal_connect_object (self->monitor, "notify::network-available", G_CALLBACK (update), self,
                           G_CONNECT_SWAPPED);
  self->tick_id = g_timeout_add_seconds (60, tick_cb, self);
  self->app_signals = g_signal_group_new (DFT_TYPE_APPLICATION);
  g_signal_group_connect_object (self->app_signals, "notify::busy", G_CALLBACK (update), self,
                                 G_CONNECT_SWAPPED);
  self->client_signals = g_signal_group_new (DFT_TYPE_SYNC_CLIENT);
  for (guint i = 0; i < G_N_ELEMENTS (client_props); i++)
    g_signal_group_connect_object (self->client_signals, client_props[i], G_CALLBACK (update), self,
                                   G_CONNECT_SWAPPED);
  update (self);
}
