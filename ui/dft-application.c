/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "dft-application.h"
#include "dft-format.h"
#include "dft-kiosk-window.h"
#include "dft-preferences-window.h"
#include "dft-ui-resources.h"
#include "dft-window.h"
#include "dft-work-tracker.h"

struct _DftApplication
{
  AdwApplication parent_instance;

  GSettings     *settings;
  DftStore      *store;
  GError        *open_error;
  DftSyncClient *sync_client;
  GCancellable  *cancellable;
  guint          busy;
};

static void dft_application_work_tracker_init (DftWorkTrackerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DftApplication,
                               dft_application,
                               ADW_TYPE_APPLICATION,
                               G_IMPLEMENT_INTERFACE (DFT_TYPE_WORK_TRACKER,
                                                      dft_application_work_tracker_init))

enum
{
  PROP_0,
  PROP_STORE,
  PROP_SYNC_CLIENT,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define SCHEMA_ID "org.daftari.Daftari"

/* The settings, or NULL when the schema is not installed (a build tree without
 * GSETTINGS_SCHEMA_DIR). */
static GSettings *
settings_new (void)
{
  GSettingsSchemaSource      *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema
      = source != NULL ? g_settings_schema_source_lookup (source, SCHEMA_ID, TRUE) : NULL;

  if (schema == NULL)
    return NULL;
  return g_settings_new_full (schema, NULL, NULL);
}

void
dft_application_setup_locale (void)
{
  g_autoptr (GSettings) settings = settings_new ();
  g_autofree char      *language
      = settings != NULL ? g_settings_get_string (settings, "language") : NULL;

  const char *locale;
  const char *localedir = g_getenv ("DAFTARI_LOCALEDIR");

  /* LANGUAGE decides which translation gettext picks, whatever the system's locale is;
   * dates and numbers follow the same language (dft-format, through ICU). */
  if (language != NULL && *language != '\0')
    g_setenv ("LANGUAGE", language, TRUE);
  locale = setlocale (LC_ALL, "");
  /* gettext ignores LANGUAGE under the C locale, which is what a borrowed laptop whose
   * locale was never generated (LANG=ru_RU.UTF-8 without it) ends up with: C.UTF-8 is
   * always there and lets the chosen language through. */
  if (locale == NULL || g_str_equal (locale, "C") || g_str_equal (locale, "POSIX"))
    {
      const char *wanted = g_get_language_names ()[0];

      /* The system's language (LANG, LC_MESSAGES) still counts when only its locale is
       * missing. */
      if (g_getenv ("LANGUAGE") == NULL && !g_str_equal (wanted, "C")
          && !g_str_equal (wanted, "POSIX"))
        g_setenv ("LANGUAGE", wanted, TRUE);
      setlocale (LC_ALL, "C.UTF-8");
    }
  /* An uninstalled build (packaging/dev.sh, the tests) finds its catalogs in the build
   * folder, laid out as a locale folder. */
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL && *localedir != '\0' ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

char *
dft_application_find_sample (void)
{
  const char *env = g_getenv ("DAFTARI_SAMPLE");
  const char *candidates[] = { INSTALLED_SAMPLE, SOURCE_SAMPLE };

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    if (g_file_test (candidates[i], G_FILE_TEST_IS_REGULAR))
      return g_strdup (candidates[i]);
  return NULL;
}

static void
apply_sync_settings (DftApplication *self)
{
  g_autofree char *url = NULL;
  g_autofree char *pem = NULL;

  if (self->sync_client == NULL || self->settings == NULL)
    return;
  url = g_settings_get_string (self->settings, "server-url");
  pem = g_settings_get_string (self->settings, "pinned-certificate");
  /* Empty means "the address the device signed in to", which the store remembers. */
  if (*url != '\0')
    dft_sync_client_set_server_url (self->sync_client, url);
  dft_sync_client_set_pinned_certificate (self->sync_client, *pem != '\0' ? pem : NULL);
}

static void
store_opened_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (DftApplication) self = user_data;
  g_autoptr (GError)         error = NULL;
  DftStore                  *store = dft_store_open_finish (result, &error);

  if (store == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_warning ("%s", error->message);
      self->open_error = g_steal_pointer (&error);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORE]);
      return;
    }
  self->store = store;
  self->sync_client = dft_sync_client_new (store);
  apply_sync_settings (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SYNC_CLIENT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORE]);
}

/* The open kiosk, if any: while it is, the trainer's windows and commands stay shut. */
static GtkWindow *
find_kiosk (DftApplication *self)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (DFT_IS_KIOSK_WINDOW (l->data))
      return l->data;
  return NULL;
}

static void
quit_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  DftApplication   *self = user_data;
  g_autoptr (GList) windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));

  GtkWindow *kiosk = find_kiosk (self);

  /* While a kiosk is open only the trainer's PIN ends it, and with it nothing else. */
  if (kiosk != NULL)
    {
      gtk_window_close (kiosk);
      return;
    }
  /* Closing each window saves its size; the app ends with the last. */
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);
}

static void
about_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  DftApplication    *self = user_data;
  GtkWindow         *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  static const char *developers[] = { "The Daftari developers", NULL };
  AdwAboutWindow    *about;

  if (find_kiosk (self) != NULL)
    return;
  about = ADW_ABOUT_WINDOW (adw_about_window_new ());
  adw_about_window_set_application_name (about, _ ("Daftari"));
  adw_about_window_set_application_icon (about, APPLICATION_ID);
  adw_about_window_set_version (about, PACKAGE_VERSION);
  adw_about_window_set_developer_name (about, _ ("The Daftari developers"));
  adw_about_window_set_developers (about, developers);
  adw_about_window_set_comments (
      about, _ ("A field register for training workshops: participants, attendance and "
                "evaluations, offline first."));
  adw_about_window_set_license_type (about, GTK_LICENSE_GPL_3_0);
  adw_about_window_set_website (about, "https://daftari.example.org/");
  /* Translators: your names, one per line, to be credited in the about window */
  adw_about_window_set_translator_credits (about, _ ("translator-credits"));
  gtk_window_set_transient_for (GTK_WINDOW (about), parent);
  gtk_window_set_modal (GTK_WINDOW (about), TRUE);
  gtk_window_present (GTK_WINDOW (about));
}

static void
preferences_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  DftApplication *self = user_data;
  GtkWindow      *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  GtkWindow      *prefs;

  if (find_kiosk (self) != NULL)
    return;
  prefs = GTK_WINDOW (dft_preferences_window_new (self));
  gtk_window_set_transient_for (prefs, parent);
  gtk_window_present (prefs);
}

static const GActionEntry app_actions[] = {
  { "quit", quit_activated },
  { "about", about_activated },
  { "preferences", preferences_activated },
};

static const struct
{
  const char *action;
  const char *accels[3];
} accels[] = {
  { "app.quit", { "<Control>q", NULL } },
  { "app.preferences", { "<Control>comma", NULL } },
  { "win.new-workshop", { "<Control>n", NULL } },
  { "win.edit-workshop", { "<Control>e", NULL } },
  { "win.go-back", { "<Alt>Left", NULL } },
  { "win.search", { "<Control>f", NULL } },
  { "win.sync", { "F5", "<Control>r", NULL } },
  { "win.export-bundle", { "<Control><Shift>e", NULL } },
  { "win.import-bundle", { "<Control><Shift>o", NULL } },
  { "win.show-view::participants", { "<Alt>1", NULL } },
  { "win.show-view::attendance", { "<Alt>2", NULL } },
  { "win.show-view::summary", { "<Alt>3", NULL } },
  { "win.show-view::tests", { "<Alt>4", NULL } },
  { "win.show-view::evaluations", { "<Alt>5", NULL } },
  { "win.show-desk::duplicates", { "<Control><Shift>d", NULL } },
  { "win.show-desk::conflicts", { "<Control><Shift>k", NULL } },
  { "win.show-desk::merges", { "<Control><Shift>h", NULL } },
  { "win.show-reports", { "<Control><Shift>r", NULL } },
  { "window.close", { "<Control>w", NULL } },
};

static void
dft_application_startup (GApplication *app)
{
  DftApplication  *self = DFT_APPLICATION (app);
  g_autofree char *path = NULL;

  G_APPLICATION_CLASS (dft_application_parent_class)->startup (app);
  /* Urdu lays the whole window out from the right, whether or not GTK's own catalog (which
   * GTK asks) is installed for it. */
  gtk_widget_set_default_direction (dft_format_is_right_to_left () ? GTK_TEXT_DIR_RTL
                                                                   : GTK_TEXT_DIR_LTR);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions),
                                   self);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self), accels[i].action,
                                           accels[i].accels);

  self->settings = settings_new ();
  if (self->settings == NULL)
    g_warning ("The settings schema %s is not installed; settings will not be kept", SCHEMA_ID);
  else
    g_signal_connect_object (self->settings, "changed", G_CALLBACK (apply_sync_settings), self,
                             G_CONNECT_SWAPPED);

  /* Opening may migrate a big database: never on the UI thread. */
  path = dft_store_default_path ();
  self->cancellable = g_cancellable_new ();
  dft_store_open_async (path, self->cancellable, store_opened_cb, g_object_ref (self));
}

static void
dft_application_activate (GApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    window = GTK_WINDOW (dft_window_new (DFT_APPLICATION (app)));
  gtk_window_present (window);
}

static void
dft_application_shutdown (GApplication *app)
{
  DftApplication *self = DFT_APPLICATION (app);

  g_cancellable_cancel (self->cancellable);
  if (self->sync_client != NULL)
    dft_sync_client_cancel (self->sync_client);
  /* Work the windows started (a save, a list's reload) may still be running in a worker when
   * the last window closes. Let it end and its result be delivered: a save the user made just
   * before quitting is then on disk, and nothing is left half done when the process exits.
   * The windows are gone, so nobody waits on this loop but the process's end. */
  while (self->busy > 0)
    g_main_context_iteration (NULL, TRUE);
  G_APPLICATION_CLASS (dft_application_parent_class)->shutdown (app);
}

static void
dft_application_dispose (GObject *object)
{
  DftApplication *self = DFT_APPLICATION (object);

  g_clear_object (&self->sync_client);
  g_clear_object (&self->store);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (dft_application_parent_class)->dispose (object);
}

static void
dft_application_finalize (GObject *object)
{
  DftApplication *self = DFT_APPLICATION (object);

  g_clear_error (&self->open_error);

  G_OBJECT_CLASS (dft_application_parent_class)->finalize (object);
}

static void
dft_application_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  DftApplication *self = DFT_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    case PROP_SYNC_CLIENT:
      g_value_set_object (value, self->sync_client);
      break;
    case PROP_BUSY:
      g_value_set_uint (value, self->busy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dft_application_class_init (DftApplicationClass *klass)
{
  GObjectClass      *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = dft_application_dispose;
  object_class->finalize = dft_application_finalize;
  object_class->get_property = dft_application_get_property;
  app_class->startup = dft_application_startup;
  app_class->activate = dft_application_activate;
  app_class->shutdown = dft_application_shutdown;

  /* The resources live in the static library: referring to them links them in, and the
   * constructor GLib generates for them registers them before main(). */
  g_assert (dft_ui_get_resource () != NULL);

  properties[PROP_STORE]
      = g_param_spec_object ("store", NULL, NULL, DFT_TYPE_STORE,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SYNC_CLIENT]
      = g_param_spec_object ("sync-client", NULL, NULL, DFT_TYPE_SYNC_CLIENT,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY]
      = g_param_spec_uint ("busy", NULL, NULL, 0, G_MAXUINT, 0,
                           G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dft_application_init (DftApplication *self)
{
}

DftApplication *
dft_application_new (const char *application_id, GApplicationFlags flags)
{
  /* The resources live under one path whatever the profile's application id. */
  return g_object_new (DFT_TYPE_APPLICATION, "application-id", application_id, "flags", flags,
                       "resource-base-path", "/org/daftari/Daftari", NULL);
}

DftStore *
dft_application_get_store (DftApplication *self)
{
  g_return_val_if_fail (DFT_IS_APPLICATION (self), NULL);
  return self->store;
}

const GError *
dft_application_get_open_error (DftApplication *self)
{
  g_return_val_if_fail (DFT_IS_APPLICATION (self), NULL);
  return self->open_error;
}

DftSyncClient *
dft_application_get_sync_client (DftApplication *self)
{
  g_return_val_if_fail (DFT_IS_APPLICATION (self), NULL);
  return self->sync_client;
}

GSettings *
dft_application_get_settings (DftApplication *self)
{
  g_return_val_if_fail (DFT_IS_APPLICATION (self), NULL);
  return self->settings;
}

guint
dft_application_get_busy (DftApplication *self)
{
  g_return_val_if_fail (DFT_IS_APPLICATION (self), 0);
  return self->busy;
}

void
dft_application_begin_work (DftApplication *self)
{
  g_return_if_fail (DFT_IS_APPLICATION (self));
  if (self->busy++ == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

void
dft_application_end_work (DftApplication *self)
{
  g_return_if_fail (DFT_IS_APPLICATION (self));
  g_return_if_fail (self->busy > 0);
  if (--self->busy == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

void
dft_application_default_begin_work (void)
{
  GApplication *app = g_application_get_default ();

  if (DFT_IS_APPLICATION (app))
    dft_application_begin_work (DFT_APPLICATION (app));
}

void
dft_application_default_end_work (void)
{
  GApplication *app = g_application_get_default ();

  if (DFT_IS_APPLICATION (app))
    dft_application_end_work (DFT_APPLICATION (app));
}

static void
work_tracker_begin_work (DftWorkTracker *tracker)
{
  dft_application_begin_work (DFT_APPLICATION (tracker));
}

static void
work_tracker_end_work (DftWorkTracker *tracker)
{
  dft_application_end_work (DFT_APPLICATION (tracker));
}

static void
dft_application_work_tracker_init (DftWorkTrackerInterface *iface)
{
  iface->begin_work = work_tracker_begin_work;
  iface->end_work = work_tracker_end_work;
}
