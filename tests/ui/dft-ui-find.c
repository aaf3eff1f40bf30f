/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dft-ui-find.h"

#include "dft-test-util.h"
#include "dft-ui-test-util.h"

void
dft_ui_wait_long (gboolean (*condition) (gpointer data), gpointer data, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + DFT_UI_NETWORK_WAIT_SECONDS * G_USEC_PER_SEC;

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for %s", what);
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (2000);
    }
}

gpointer
dft_ui_template_child (gpointer widget, GType type, const char *name)
{
  GObject *child = gtk_widget_get_template_child (GTK_WIDGET (widget), type, name);

  g_assert_nonnull (child);
  return child;
}

GtkWidget *
dft_ui_find_widget (GtkWidget *root, DftUiWidgetMatch match, gconstpointer data)
{
  if (match (root, data))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = dft_ui_find_widget (child, match, data);

      if (found != NULL)
        return found;
    }
  return NULL;
}

gboolean
dft_ui_is_button_labelled (GtkWidget *widget, gconstpointer label)
{
  return GTK_IS_BUTTON (widget)
         && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0;
}

gboolean
dft_ui_is_label_with_class (GtkWidget *widget, gconstpointer css_class)
{
  return GTK_IS_LABEL (widget) && gtk_widget_has_css_class (widget, css_class);
}

gboolean
dft_ui_is_of_type (GtkWidget *widget, gconstpointer type)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (type));
}

/* libadwaita's toast widget is private: found by its type name, once a toast has made it. */
static GtkWidget *
toast_of (GtkWidget *widget)
{
  GType type = g_type_from_name ("AdwToastWidget");

  return type != 0 ? gtk_widget_get_ancestor (widget, type) : NULL;
}

static gboolean
is_toast_label_with (GtkWidget *widget, gconstpointer needle)
{
  return GTK_IS_LABEL (widget) && toast_of (widget) != NULL
         && strstr (gtk_label_get_text (GTK_LABEL (widget)), needle) != NULL;
}

GtkWidget *
dft_ui_find_toast (DftWindow *window, const char *needle)
{
  GtkWidget *label = dft_ui_find_widget (GTK_WIDGET (window), is_toast_label_with, needle);

  return label != NULL ? toast_of (label) : NULL;
}

typedef struct
{
  DftWindow  *window;
  const char *needle;
} ToastWait;

static gboolean
toast_shown (gpointer data)
{
  ToastWait *w = data;

  return dft_ui_find_toast (w->window, w->needle) != NULL;
}

void
dft_ui_wait_toast (DftWindow *window, const char *needle)
{
  g_autofree char *what = g_strdup_printf ("a toast saying “%s”", needle);

  dft_test_wait_until (toast_shown, &(ToastWait){ window, needle }, what);
}

AdwMessageDialog *
dft_ui_find_message_dialog (const char *heading)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  const char *wanted = g_dgettext (GETTEXT_PACKAGE, heading);

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GObject) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window))
          && g_strcmp0 (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (window)), wanted) == 0)
        return ADW_MESSAGE_DIALOG (window);
    }
  return NULL;
}

static gboolean
message_dialog_shown (gpointer heading)
{
  return dft_ui_find_message_dialog (heading) != NULL;
}

AdwMessageDialog *
dft_ui_wait_message_dialog (DftWindow *window, const char *heading)
{
  g_autofree char  *what = g_strdup_printf ("the dialog “%s”", heading);
  AdwMessageDialog *dialog;

  dft_test_wait_until (message_dialog_shown, (gpointer) heading, what);
  dialog = dft_ui_find_message_dialog (heading);
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == GTK_WINDOW (window));
  g_assert_true (gtk_window_get_modal (GTK_WINDOW (dialog)));
  return dialog;
}

void
dft_ui_press_response (AdwMessageDialog *dialog, const char *label)
{
  GtkWidget *button = dft_ui_find_widget (GTK_WIDGET (dialog), dft_ui_is_button_labelled,
                                          g_dgettext (GETTEXT_PACKAGE, label));

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_is_sensitive (button));
  g_assert_true (gtk_widget_activate (button));
  dft_ui_test_wait_finalized (dialog, "the dialog to close");
}

static gboolean
is_row_titled (GtkWidget *widget, gconstpointer title)
{
  return ADW_IS_ACTION_ROW (widget)
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

AdwActionRow *
dft_ui_find_row (AdwMessageDialog *dialog, const char *title)
{
  GtkWidget *row = dft_ui_find_widget (GTK_WIDGET (dialog), is_row_titled,
                                       g_dgettext (GETTEXT_PACKAGE, title));

  g_assert_nonnull (row);
  return ADW_ACTION_ROW (row);
}

void
dft_ui_reset_settings (void)
{
  g_autoptr (GSettings)       settings = g_settings_new ("org.daftari.Daftari");
  g_autoptr (GSettingsSchema) schema = NULL;
  g_auto (GStrv)              keys = NULL;

  g_object_get (settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i] != NULL; i++)
    g_settings_reset (settings, keys[i]);
}

typedef struct
{
  gboolean     done;
  gboolean     ok;
  GError      *error;
  DftSyncStats stats;
} AsyncWait;

static gboolean
async_done (gpointer data)
{
  return ((AsyncWait *) data)->done;
}

static void
login_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AsyncWait *w = user_data;

  w->ok = dft_sync_client_login_finish (DFT_SYNC_CLIENT (source), result, &w->error);
  w->done = TRUE;
}

static void
sync_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AsyncWait *w = user_data;

  w->ok = dft_sync_client_sync_finish (DFT_SYNC_CLIENT (source), result, &w->stats, &w->error);
  w->done = TRUE;
}

DftSyncStats
dft_ui_laptop_sync (DftStore *store, const char *url, const char *username, const char *password)
{
  DftSyncClient *client = g_object_new (DFT_TYPE_SYNC_CLIENT, "store", store, "automatic", FALSE,
                                        "server-url", url, "retry-delay-ms", 20, NULL);
  AsyncWait      login = { 0 }, sync = { 0 };
  gint64         deadline;

  if (!dft_sync_client_get_signed_in (client))
    {
      dft_sync_client_login_async (client, username, password, NULL, login_done_cb, &login);
      dft_ui_wait_long (async_done, &login, "the other laptop to sign in");
      g_assert_no_error (login.error);
      g_assert_true (login.ok);
    }
  dft_sync_client_sync_async (client, NULL, sync_done_cb, &sync);
  dft_ui_wait_long (async_done, &sync, "the other laptop to sync");
  g_assert_no_error (sync.error);
  g_assert_true (sync.ok);
  /* Its background reads (the pending count) hold the client for a moment. */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (G_OBJECT (client)->ref_count > 1 && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  g_assert_finalize_object (client);
  return sync.stats;
}
