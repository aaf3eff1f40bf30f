/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "dft-preferences-window.h"
#include "dft-ui-util.h"

struct _DftPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  AdwEntryRow  *server_row;
  AdwActionRow *certificate_row;
  AdwEntryRow  *username_row;
  AdwEntryRow  *password_row;
  AdwActionRow *account_status_row;
  AdwEntryRow  *code_row;
  AdwComboRow  *language_row;

  DftApplication *app;
  GCancellable   *cancellable;
};

G_DEFINE_FINAL_TYPE (DftPreferencesWindow, dft_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static const DftUiLanguage languages[] = {
  { "", NULL }, /* "System", translated at run time */
  { "en", "English" }, { "ru", "Русский" },    { "ky", "Кыргызча" }, { "sw", "Kiswahili" },
  { "ka", "ქართული" }, { "uk", "Українська" }, { "ur", "اردو" },
};

const DftUiLanguage *
dft_preferences_languages (guint *n_languages)
{
  if (n_languages != NULL)
    *n_languages = G_N_ELEMENTS (languages);
  return languages;
}

static GSettings *
settings (DftPreferencesWindow *self)
{
  return dft_application_get_settings (self->app);
}

static void
update_rows (DftPreferencesWindow *self)
{
  DftSyncClient   *client = dft_application_get_sync_client (self->app);
  g_autofree char *pem = settings (self) != NULL
                             ? g_settings_get_string (settings (self), "pinned-certificate")
                             : g_strdup ("");

  adw_action_row_set_subtitle (self->certificate_row,
                               *pem != '\0' ? pem : _ ("The system’s certificate authorities"));
  if (client != NULL && dft_sync_client_get_signed_in (client))
    {
      g_autofree char *text = NULL;
      /* Translators: %s is the server's address */
      text = g_strdup_printf (_ ("This laptop is signed in to %s."),
                              dft_sync_client_get_server_url (client) ?: "");
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->account_status_row), text);
      /* The keyring, or the database and why (no keyring, or it refused). */
      adw_action_row_set_subtitle (self->account_status_row,
                                   dft_sync_client_get_token_storage (client) ?: "");
    }
  else
    {
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->account_status_row),
                                     _ ("This laptop is not signed in."));
      adw_action_row_set_subtitle (self->account_status_row, "");
    }
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "prefs.sign-out",
                                 client != NULL && dft_sync_client_get_signed_in (client)
                                     && self->cancellable == NULL);
}

static void
server_apply_cb (DftPreferencesWindow *self)
{
  g_autofree char *url = dft_ui_editable_text (GTK_EDITABLE (self->server_row));

  if (settings (self) != NULL)
    g_settings_set_string (settings (self), "server-url", url != NULL ? url : "");
}

static void
sign_in_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (DftPreferencesWindow) self = user_data;
  g_autoptr (GError)               error = NULL;
  gboolean                         ok;

  if (g_task_get_source_tag (G_TASK (result)) == dft_sync_client_login_async)
    ok = dft_sync_client_login_finish (DFT_SYNC_CLIENT (source), result, &error);
  else
    ok = dft_sync_client_enrol_finish (DFT_SYNC_CLIENT (source), result, &error);
  g_clear_object (&self->cancellable);
  if (!ok)
    {
      dft_ui_toast_error (GTK_WIDGET (self), error);
      return;
    }
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->code_row), "");
  dft_ui_toast (GTK_WIDGET (self), _ ("Signed in. Changes now sync with the server."));
  update_rows (self);
}

static DftSyncClient *
ready_client (DftPreferencesWindow *self)
{
  DftSyncClient *client = dft_application_get_sync_client (self->app);

  if (client == NULL || self->cancellable != NULL)
    return NULL;
  server_apply_cb (self);
  if (dft_sync_client_get_server_url (client) == NULL)
    {
      dft_ui_toast (GTK_WIDGET (self), _ ("Give the server’s address first."));
      return NULL;
    }
  self->cancellable = g_cancellable_new ();
  return client;
}

static void
sign_in_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftPreferencesWindow *self = DFT_PREFERENCES_WINDOW (widget);
  g_autofree char      *user = dft_ui_editable_text (GTK_EDITABLE (self->username_row));
  const char           *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));
  DftSyncClient        *client;

  if (user == NULL || *password == '\0')
    {
      dft_ui_toast (GTK_WIDGET (self), _ ("Give your user name and password."));
      return;
    }
  client = ready_client (self);
  if (client != NULL)
    dft_sync_client_login_async (client, user, password, self->cancellable, sign_in_done_cb,
                                 g_object_ref (self));
}

static void
sign_in_cb (DftPreferencesWindow *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "prefs.sign-in", NULL);
}

static void
enrol_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftPreferencesWindow *self = DFT_PREFERENCES_WINDOW (widget);
  g_autofree char      *code = dft_ui_editable_text (GTK_EDITABLE (self->code_row));
  DftSyncClient        *client;

  if (code == NULL)
    {
      dft_ui_toast (GTK_WIDGET (self), _ ("Give the enrolment code."));
      return;
    }
  client = ready_client (self);
  if (client != NULL)
    dft_sync_client_enrol_async (client, code, self->cancellable, sign_in_done_cb,
                                 g_object_ref (self));
}

static void
sign_out_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (DftPreferencesWindow) self = user_data;
  g_autoptr (GError)               error = NULL;

  g_clear_object (&self->cancellable);
  if (!dft_sync_client_sign_out_finish (DFT_SYNC_CLIENT (source), result, &error))
    dft_ui_toast_error (GTK_WIDGET (self), error);
  else
    dft_ui_toast (GTK_WIDGET (self),
                  _ ("Signed out. The records stay on this laptop; sign in again to sync them."));
  update_rows (self);
}

static void
sign_out_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftPreferencesWindow *self = DFT_PREFERENCES_WINDOW (widget);
  DftSyncClient        *client = dft_application_get_sync_client (self->app);

  if (client == NULL || self->cancellable != NULL)
    return;
  self->cancellable = g_cancellable_new ();
  /* The keyring may ask to be unlocked: the client does it in a worker thread. */
  dft_sync_client_sign_out_async (client, self->cancellable, sign_out_done_cb, g_object_ref (self));
}

static void
enrol_cb (DftPreferencesWindow *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "prefs.enrol", NULL);
}

static void
certificate_chosen_cb (GtkNativeDialog *chooser, int response, gpointer user_data)
{
  DftPreferencesWindow *self = user_data;
  g_autoptr (GFile)     file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
  if (response == GTK_RESPONSE_ACCEPT && file != NULL && g_file_peek_path (file) != NULL
      && settings (self) != NULL)
    g_settings_set_string (settings (self), "pinned-certificate", g_file_peek_path (file));
  update_rows (self);
}

static void
choose_certificate_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  GtkFileChooserNative *chooser
      = gtk_file_chooser_native_new (_ ("Choose the Server’s Certificate"), GTK_WINDOW (widget),
                                     GTK_FILE_CHOOSER_ACTION_OPEN, _ ("_Trust"), _ ("_Cancel"));
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _ ("Certificates (PEM)"));
  gtk_file_filter_add_suffix (filter, "pem");
  gtk_file_filter_add_suffix (filter, "crt");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (certificate_chosen_cb), widget);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
clear_certificate_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftPreferencesWindow *self = DFT_PREFERENCES_WINDOW (widget);

  if (settings (self) != NULL)
    g_settings_set_string (settings (self), "pinned-certificate", "");
  update_rows (self);
}

/* ---- Language ------------------------------------------------------------ */

static void
restart_response_cb (AdwMessageDialog *dialog, const char *response, DftPreferencesWindow *self)
{
  g_autofree char   *exe = NULL;
  g_autoptr (GError) error = NULL;

  if (g_strcmp0 (response, "restart") != 0)
    return;
  /* A new process reads the language before GTK starts; this one ends once it runs. */
  exe = g_file_read_link ("/proc/self/exe", &error);
  if (exe != NULL)
    {
      char *argv[] = { exe, NULL };
      if (g_spawn_async (NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, &error))
        {
          g_application_quit (G_APPLICATION (self->app));
          return;
        }
    }
  dft_ui_toast_error (GTK_WIDGET (self), error);
}

static void
language_selected_cb (DftPreferencesWindow *self)
{
  guint             selected = adw_combo_row_get_selected (self->language_row);
  g_autofree char  *current = NULL;
  AdwMessageDialog *dialog;

  if (selected >= G_N_ELEMENTS (languages) || settings (self) == NULL)
    return;
  current = g_settings_get_string (settings (self), "language");
  if (g_str_equal (current, languages[selected].code))
    return;
  g_settings_set_string (settings (self), "language", languages[selected].code);

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (
      GTK_WINDOW (self), _ ("Restart Daftari?"),
      _ ("The new language is used from the next start. Everything is saved: restarting loses "
         "nothing.")));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "later", _ ("_Later"), "restart",
                                    _ ("_Restart Now"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "restart", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "restart");
  adw_message_dialog_set_close_response (dialog, "later");
  g_signal_connect_object (dialog, "response", G_CALLBACK (restart_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
dft_preferences_window_select_language (DftPreferencesWindow *self, const char *code)
{
  g_return_if_fail (DFT_IS_PREFERENCES_WINDOW (self));

  for (guint i = 0; i < G_N_ELEMENTS (languages); i++)
    if (g_strcmp0 (languages[i].code, code) == 0)
      adw_combo_row_set_selected (self->language_row, i);
}

/* ---- GObject ------------------------------------------------------------ */

static void
dft_preferences_window_dispose (GObject *object)
{
  DftPreferencesWindow *self = DFT_PREFERENCES_WINDOW (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), DFT_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->app);

  G_OBJECT_CLASS (dft_preferences_window_parent_class)->dispose (object);
}

static void
dft_preferences_window_class_init (DftPreferencesWindowClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dft_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/daftari/Daftari/dft-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DftPreferencesWindow, server_row);
  gtk_widget_class_bind_template_child (widget_class, DftPreferencesWindow, certificate_row);
  gtk_widget_class_bind_template_child (widget_class, DftPreferencesWindow, username_row);
  gtk_widget_class_bind_template_child (widget_class, DftPreferencesWindow, password_row);
  gtk_widget_class_bind_template_child (widget_class, DftPreferencesWindow, account_status_row);
  gtk_widget_class_bind_template_child (widget_class, DftPreferencesWindow, code_row);
  gtk_widget_class_bind_template_child (widget_class, DftPreferencesWindow, language_row);
  gtk_widget_class_bind_template_callback (widget_class, server_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, sign_in_cb);
  gtk_widget_class_bind_template_callback (widget_class, enrol_cb);

  gtk_widget_class_install_action (widget_class, "prefs.sign-in", NULL, sign_in_activated);
  gtk_widget_class_install_action (widget_class, "prefs.enrol", NULL, enrol_activated);
  gtk_widget_class_install_action (widget_class, "prefs.sign-out", NULL, sign_out_activated);
  gtk_widget_class_install_action (widget_class, "prefs.choose-certificate", NULL,
                                   choose_certificate_activated);
  gtk_widget_class_install_action (widget_class, "prefs.clear-certificate", NULL,
                                   clear_certificate_activated);
}

static void
dft_preferences_window_init (DftPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

DftPreferencesWindow *
dft_preferences_window_new (DftApplication *app)
{
  DftPreferencesWindow     *self;
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  g_autofree char          *language = NULL;
  g_autofree char          *url = NULL;

  g_return_val_if_fail (DFT_IS_APPLICATION (app), NULL);

  self = g_object_new (DFT_TYPE_PREFERENCES_WINDOW, NULL);
  self->app = g_object_ref (app);
  for (guint i = 0; i < G_N_ELEMENTS (languages); i++)
    gtk_string_list_append (names, languages[i].name != NULL ? languages[i].name : _ ("System"));
  adw_combo_row_set_model (self->language_row, G_LIST_MODEL (names));
  if (settings (self) != NULL)
    {
      language = g_settings_get_string (settings (self), "language");
      url = g_settings_get_string (settings (self), "server-url");
      dft_preferences_window_select_language (self, language);
      gtk_editable_set_text (GTK_EDITABLE (self->server_row), url);
    }
  else if (dft_application_get_sync_client (app) != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->server_row),
                           dft_sync_client_get_server_url (dft_application_get_sync_client (app))
                               ?: "");
  /* Connected after the current language is shown, so showing it asks nothing. */
  g_signal_connect_object (self->language_row, "notify::selected",
                           G_CALLBACK (language_selected_cb), self, G_CONNECT_SWAPPED);
  /* The client reads the store in a worker: the rows follow what it finds. */
  if (dft_application_get_sync_client (app) != NULL)
    {
      g_signal_connect_object (dft_application_get_sync_client (app), "notify::signed-in",
                               G_CALLBACK (update_rows), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (dft_application_get_sync_client (app), "notify::token-storage",
                               G_CALLBACK (update_rows), self, G_CONNECT_SWAPPED);
    }
  update_rows (self);
  return self;
}
