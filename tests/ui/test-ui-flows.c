/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "dft-application.h"
#include "dft-attendance-view.h"
#include "dft-bundle.h"
#include "dft-country-row.h"
#include "dft-country.h"
#include "dft-duplicates.h"
#include "dft-import-dialog.h"
#include "dft-participants-view.h"
#include "dft-people.h"
#include "dft-person-dialog.h"
#include "dft-preferences-window.h"
#include "dft-status-bar.h"
#include "dft-ui-find.h"
#include "dft-test-util.h"
#include "dft-ui-test-util.h"
#include "dft-window.h"
#include "dft-workshop-dialog.h"
#include "dft-workshop-page.h"
#include "dft-xkeys.h"

/*
 * The flows test-ui does not cover, on the real window under a headless
 * display, driven through the same actions as its menus, buttons and
 * shortcuts: Sync Now against a real daftari-server on 127.0.0.1 (and with
 * that server stopped), a bundle written by one laptop and read by another,
 * the import dialog's mapping preview with a sheet in three scripts and one
 * bad row, removing a person with and without Undo, and the roster's hint
 * when a search shows only its first matches. Each flow checks what reached
 * the store or the server, and that every window and store is finalized.
 */

#define TEAM     "North"
#define TRAINER  "trainer"
#define PASSWORD "trainer password 1"
/* For a sign-in or a sync on loopback: generous, for a loaded machine and the sanitizer build. */

/* ---- Waiting ------------------------------------------------------------------------------- */

static gboolean
has_toplevel (gpointer data)
{
  return dft_ui_test_find_toplevel (GPOINTER_TO_SIZE (data)) != NULL;
}

/* ---- Finding widgets as a person sees them ------------------------------------------------- */

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

static gboolean
toast_gone (gpointer data)
{
  return !toast_shown (data);
}

/* ---- The application around a flow --------------------------------------------------------- */

#define TEST_APP_ID "org.daftari.Daftari.FlowsTest"

/* What a flow works on: the application's window and store, and the test's own @data. */
typedef struct _Flow Flow;
typedef void (*FlowFunc) (Flow *f);

struct _Flow
{
  DftApplication *app;
  DftWindow      *window;
  DftStore       *store;
  gpointer        data;
};

typedef struct
{
  FlowFunc func;
  gpointer data;
} FlowRun;

static void
flow_scenario (DftApplication *app, DftWindow *window, gpointer data)
{
  FlowRun *run = data;
  Flow     f = { app, window, dft_application_get_store (app), run->data };

  run->func (&f);
}

/* Runs the application with @func on the database @db (in a folder the caller owns), or on
 * a new one when @db is NULL. */
static void
run_app (const char *db, FlowFunc func, gpointer data)
{
  dft_ui_reset_settings ();
  dft_ui_test_run_app (TEST_APP_ID, db, flow_scenario, &(FlowRun){ func, data });
}

typedef struct
{
  DftWindow  *window;
  const char *event_id;
} EventWait;

static gboolean
event_shown (gpointer data)
{
  EventWait *w = data;
  DftRecord *event = dft_window_get_event (w->window);

  return g_strcmp0 (dft_window_get_mode (w->window), "main") == 0 && event != NULL
         && (w->event_id == NULL || g_strcmp0 (dft_record_get_id (event), w->event_id) == 0);
}

/* Opens the workshop @event_id through win.open-workshop, as the workshop list does. */
static void
open_workshop (Flow *f, const char *event_id)
{
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "open-workshop",
                                  g_variant_new_string (event_id));
  dft_test_wait_until (event_shown, &(EventWait){ f->window, event_id }, "the workshop to open");
}

/* A workshop through win.new-workshop and its dialog; returns its id. */
static char *
new_workshop (Flow *f, const char *title)
{
  DftWorkshopDialog *dialog;

  g_action_group_activate_action (G_ACTION_GROUP (f->window), "new-workshop", NULL);
  dialog = dft_ui_test_find_toplevel (DFT_TYPE_WORKSHOP_DIALOG);
  g_assert_nonnull (dialog);
  dft_workshop_dialog_set_field (dialog, "title", title);
  dft_workshop_dialog_set_field (dialog, "start_date", "2026-05-04");
  dft_workshop_dialog_set_field (dialog, "end_date", "2026-05-06");
  dft_workshop_dialog_set_field (dialog, "country", "KG");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.save", NULL));
  dft_ui_test_wait_finalized (dialog, "the workshop dialog to close");
  dft_test_wait_until (event_shown, &(EventWait){ f->window, NULL }, "the new workshop to open");
  g_assert_cmpstr (dft_record_get_string (dft_window_get_event (f->window), "title"), ==, title);
  return g_strdup (dft_record_get_id (dft_window_get_event (f->window)));
}

/* A person through participants.add and the person dialog. */
static void
add_person (GtkWidget *participants, const char *given, const char *family)
{
  DftPersonDialog *dialog;

  g_assert_true (gtk_widget_activate_action (participants, "participants.add", NULL));
  dialog = dft_ui_test_find_toplevel (DFT_TYPE_PERSON_DIALOG);
  g_assert_nonnull (dialog);
  dft_person_dialog_set_field (dialog, "given_name", given);
  dft_person_dialog_set_field (dialog, "family_name", family);
  dft_person_dialog_set_field (dialog, "agency", "Financial Intelligence Unit");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.save", NULL));
  dft_ui_test_wait_finalized (dialog, "the person dialog to close");
}

/* The roster's person called @given, or NULL (a new reference). */
static DftRecord *
find_in_model (GListModel *model, const char *given)
{
  guint n = g_list_model_get_n_items (model);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (DftRecord) person = g_list_model_get_item (model, i);
      if (g_strcmp0 (dft_record_get_string (person, "given_name"), given) == 0)
        return g_steal_pointer (&person);
    }
  return NULL;
}

static int
position_in_model (GListModel *model, const char *given)
{
  guint n = g_list_model_get_n_items (model);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (DftRecord) person = g_list_model_get_item (model, i);
      if (g_strcmp0 (dft_record_get_string (person, "given_name"), given) == 0)
        return (int) i;
    }
  return -1;
}

static DftRecord *
load (DftStore *store, const DftEntity *entity, const char *id)
{
  g_autoptr (GError) error = NULL;
  DftRecord         *record = dft_store_load (store, entity, id, &error);

  g_assert_no_error (error);
  g_assert_nonnull (record);
  return record;
}

/* The people enrolled in @event_id, read straight from the store. */
static GListModel *
people_of (DftStore *store, const char *event_id)
{
  g_autoptr (GError) error = NULL;
  GListModel        *people = dft_store_list_people (store, event_id);

  g_assert_true (dft_record_list_reload_sync (DFT_RECORD_LIST (people), &error));
  g_assert_no_error (error);
  return people;
}

/* ---- A daftari-server on 127.0.0.1 --------------------------------------------------------- */

/* A server in a fresh folder with one team and a trainer's account, started. */
static DftTestServer *
start_server (void)
{
  DftTestServer *server = dft_test_server_new (NULL, NULL, DFT_TEST_SERVER_DEFAULT);

  dft_test_server_add_account (server, TRAINER, "trainer", TEAM, PASSWORD);
  dft_test_server_start (server);
  return server;
}

/* ---- A second laptop, to see what the server holds ----------------------------------------- */

/* @store, a second laptop, signs in to @server as the trainer and syncs once. */
static void
laptop_sync (DftStore *store, DftTestServer *server)
{
  dft_ui_laptop_sync (store, dft_test_server_get_url (server), TRAINER, PASSWORD);
}

/* A fresh store that signs in to @server and pulls everything; the caller releases it. */
static DftStore *
pull_from_server (DftTestServer *server, char **out_dir)
{
  DftStore *store = dft_test_open_store (out_dir);

  laptop_sync (store, server);
  return store;
}

/* ---- Sync Now ------------------------------------------------------------------------------ */

static DftStatusBar *
status_bar (Flow *f)
{
  return dft_ui_template_child (f->window, DFT_TYPE_WINDOW, "status_bar");
}

static const char *
status_icon (DftStatusBar *bar)
{
  return gtk_image_get_icon_name (dft_ui_template_child (bar, DFT_TYPE_STATUS_BAR, "icon"));
}

static gboolean
status_says (DftStatusBar *bar, const char *msgid)
{
  return strstr (dft_status_bar_get_text (bar), g_dgettext (GETTEXT_PACKAGE, msgid)) != NULL;
}

static gboolean
status_has_pending (gpointer data)
{
  Flow          *f = data;
  DftSyncClient *client = dft_application_get_sync_client (f->app);

  /* Plural forms differ by language; the count's own words are the same in both English forms. */
  return dft_sync_client_get_pending_changes (client) > 0
         && strstr (dft_status_bar_get_text (status_bar (f)), "not synced yet") != NULL;
}

static gboolean
everything_synced (gpointer data)
{
  Flow          *f = data;
  DftSyncClient *client = dft_application_get_sync_client (f->app);

  return dft_sync_client_get_state (client) == DFT_SYNC_STATE_IDLE
         && dft_sync_client_get_pending_changes (client) == 0
         && dft_sync_client_get_last_sync (client) > 0
         && status_says (status_bar (f), "everything synced");
}

static gboolean
signed_in (gpointer data)
{
  return dft_sync_client_get_signed_in (data);
}

static gboolean
editable_empty (gpointer data)
{
  return *gtk_editable_get_text (data) == '\0';
}

/* The tests keep the token out of any keyring (DAFTARI_NO_KEYRING=1): the window says so. */
static gboolean
token_in_database_shown (gpointer data)
{
  return g_strcmp0 (adw_action_row_get_subtitle (data),
                    g_dgettext (GETTEXT_PACKAGE, "The device token is kept in this computer’s "
                                                 "database because no keyring is available."))
         == 0;
}

/* The trainer's side: the server's address, user name and password in Preferences. */
static void
sign_in_through_preferences (Flow *f, const char *url)
{
  DftSyncClient        *client = dft_application_get_sync_client (f->app);
  DftPreferencesWindow *prefs;
  GtkEditable          *password;
  g_autofree char      *saved_url = NULL;

  g_assert_true (status_says (status_bar (f), "not set up for sync (Preferences)"));
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "preferences", NULL);
  prefs = dft_ui_test_find_toplevel (DFT_TYPE_PREFERENCES_WINDOW);
  g_assert_nonnull (prefs);
  gtk_editable_set_text (dft_ui_template_child (prefs, DFT_TYPE_PREFERENCES_WINDOW, "server_row"),
                         url);
  gtk_editable_set_text (dft_ui_template_child (prefs, DFT_TYPE_PREFERENCES_WINDOW, "username_row"),
                         TRAINER);
  password = dft_ui_template_child (prefs, DFT_TYPE_PREFERENCES_WINDOW, "password_row");
  gtk_editable_set_text (password, PASSWORD);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (prefs), "prefs.sign-in", NULL));
  dft_ui_wait_long (signed_in, client, "the laptop to sign in");
  /* The window empties the password once it has the answer. */
  dft_ui_wait_long (editable_empty, password, "the preferences to take the sign-in's answer");
  saved_url = g_settings_get_string (dft_application_get_settings (f->app), "server-url");
  g_assert_cmpstr (saved_url, ==, url);
  dft_ui_wait_long (
      token_in_database_shown,
      dft_ui_template_child (prefs, DFT_TYPE_PREFERENCES_WINDOW, "account_status_row"),
      "the preferences to say where the device's token is kept");
  dft_ui_test_close_and_check_finalized (prefs);
  g_assert_false (status_says (status_bar (f), "not set up for sync (Preferences)"));
}

/* Background syncs (on a timer, when the network comes back) would race the flow's Sync Now;
 * retries are quick so a stopped server fails fast. */
static void
quiet_sync_client (Flow *f)
{
  g_object_set (dft_application_get_sync_client (f->app), "automatic", FALSE, "retry-delay-ms", 20,
                "connect-timeout", 10, NULL);
}

typedef struct
{
  DftTestServer *server;
  char          *event_id;
  char          *person_id;
  char          *offline_id;
} SyncData;

static char *
person_id_for (GtkWidget *participants, const char *given)
{
  GListModel *people = dft_participants_view_get_people (DFT_PARTICIPANTS_VIEW (participants));
  g_autoptr (DftRecord) person = find_in_model (people, given);

  g_assert_nonnull (person);
  return g_strdup (dft_record_get_id (person));
}

static void
sync_now_flow (Flow *f)
{
  SyncData   *d = f->data;
  GtkWidget  *participants;
  GListModel *people;

  quiet_sync_client (f);
  sign_in_through_preferences (f, dft_test_server_get_url (d->server));

  /* A change made in the window: a workshop and one person. */
  d->event_id = new_workshop (f, "Asset recovery, Bishkek");
  participants = dft_ui_test_show_view (f->window, "participants");
  add_person (participants, "Айбек", "Токтогулов");
  people = dft_participants_view_get_people (DFT_PARTICIPANTS_VIEW (participants));
  dft_ui_test_wait_n_items (people, 1, "Айбек on the roster");
  d->person_id = person_id_for (participants, "Айбек");
  dft_test_wait_until (status_has_pending, f, "the status bar to count changes not synced");
  g_assert_false (status_says (status_bar (f), "everything synced"));

  /* Sync Now, as the status bar's button and F5 do. */
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "sync", NULL);
  dft_ui_wait_long (everything_synced, f, "the status bar to say everything is synced");
  g_assert_cmpstr (status_icon (status_bar (f)), ==, "emblem-ok-symbolic");
  g_assert_true (status_says (status_bar (f), "All changes saved on this laptop"));
  g_assert_null (dft_sync_client_get_last_error (dft_application_get_sync_client (f->app)));
  dft_ui_wait_toast (f->window, "Synced:");
}

/* Sync Now sends the window's change to the server: a second laptop pulls it. */
static void
test_sync_now (void)
{
  SyncData         d = { start_server () };
  g_autofree char *other_dir = NULL;
  DftStore        *other;

  run_app (NULL, sync_now_flow, &d);

  other = pull_from_server (d.server, &other_dir);
  {
    g_autoptr (DftRecord)  event = load (other, &dft_entity_event, d.event_id);
    g_autoptr (DftRecord)  person = load (other, &dft_entity_person, d.person_id);
    g_autoptr (GListModel) people = people_of (other, d.event_id);

    g_assert_cmpstr (dft_record_get_string (event, "title"), ==, "Asset recovery, Bishkek");
    g_assert_cmpstr (dft_record_get_string (person, "given_name"), ==, "Айбек");
    g_assert_cmpstr (dft_record_get_string (person, "family_name"), ==, "Токтогулов");
    g_assert_cmpuint (g_list_model_get_n_items (people), ==, 1);
  }
  dft_test_release_store (other);
  dft_test_dir_free (g_steal_pointer (&other_dir));

  dft_test_server_free (d.server);
  g_free (d.event_id);
  g_free (d.person_id);
}

static gboolean
sync_failed_offline (gpointer data)
{
  DftSyncClient *client = data;

  return dft_sync_client_get_state (client) == DFT_SYNC_STATE_OFFLINE
         && dft_sync_client_get_last_error (client) != NULL;
}

/* Whether the status bar tells the trainer that the last sync did not reach the server. */
static gboolean
status_shows_failure (Flow *f)
{
  DftStatusBar *bar = status_bar (f);
  const char   *icon = status_icon (bar);
  const char   *error = dft_sync_client_get_last_error (dft_application_get_sync_client (f->app));

  return (status_says (bar, "offline") || strstr (dft_status_bar_get_text (bar), error) != NULL)
         && (g_str_equal (icon, "network-offline-symbolic")
             || g_str_equal (icon, "dialog-warning-symbolic"));
}

static void
server_down_flow (Flow *f)
{
  SyncData      *d = f->data;
  DftSyncClient *client = dft_application_get_sync_client (f->app);
  GtkWidget     *participants;
  GListModel    *people;

  quiet_sync_client (f);
  sign_in_through_preferences (f, dft_test_server_get_url (d->server));
  d->event_id = new_workshop (f, "Asset recovery, Osh");
  participants = dft_ui_test_show_view (f->window, "participants");
  add_person (participants, "გიორგი", "ბერიძე");
  people = dft_participants_view_get_people (DFT_PARTICIPANTS_VIEW (participants));
  dft_ui_test_wait_n_items (people, 1, "გიორგი on the roster");
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "sync", NULL);
  dft_ui_wait_long (everything_synced, f, "the first sync");

  /* The server goes away; the trainer goes on typing and presses Sync Now. */
  dft_test_server_stop (d->server);
  add_person (participants, "Amina", "Yusuf");
  dft_ui_test_wait_n_items (people, 2, "Amina on the roster");
  d->offline_id = person_id_for (participants, "Amina");
  dft_test_wait_until (status_has_pending, f, "the status bar to count the new changes");
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "sync", NULL);
  dft_ui_wait_long (sync_failed_offline, client, "the sync to fail with the server stopped");

  /* Told, and nothing lost: the error in a toast, the changes still counted as not synced,
   * Amina in the store and on the roster. */
  dft_ui_wait_toast (f->window, dft_sync_client_get_last_error (client));
  g_assert_true (status_has_pending (f));
  g_assert_false (status_says (status_bar (f), "everything synced"));
  g_assert_false (gtk_widget_get_visible (
      dft_ui_template_child (status_bar (f), DFT_TYPE_STATUS_BAR, "progress")));
  {
    g_autoptr (DftRecord) amina = load (f->store, &dft_entity_person, d->offline_id);
    g_autoptr (GError)    error = NULL;

    g_assert_false (dft_record_get_deleted (amina));
    g_assert_cmpstr (dft_record_get_string (amina, "family_name"), ==, "Yusuf");
    g_assert_cmpint (dft_store_count_pending_changes (f->store, &error), >, 0);
    g_assert_no_error (error);
  }
  g_assert_cmpuint (g_list_model_get_n_items (people), ==, 2);
  /* The status bar says the server could not be reached, not only the toast. */
  g_assert_true (status_shows_failure (f));

  /* The server back, at a new address given in the settings: the next Sync Now sends it all. */
  dft_test_server_start (d->server);
  g_settings_set_string (dft_application_get_settings (f->app), "server-url",
                         dft_test_server_get_url (d->server));
  g_assert_cmpstr (dft_sync_client_get_server_url (client), ==,
                   dft_test_server_get_url (d->server));
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "sync", NULL);
  dft_ui_wait_long (everything_synced, f, "the sync after the server came back");
  g_assert_cmpstr (status_icon (status_bar (f)), ==, "emblem-ok-symbolic");
}

/* With the server stopped, Sync Now fails visibly and keeps what was typed; it goes later. */
static void
test_sync_server_down (void)
{
  SyncData         d = { start_server () };
  g_autofree char *other_dir = NULL;
  DftStore        *other;

  run_app (NULL, server_down_flow, &d);

  other = pull_from_server (d.server, &other_dir);
  {
    g_autoptr (DftRecord)  amina = load (other, &dft_entity_person, d.offline_id);
    g_autoptr (GListModel) people = people_of (other, d.event_id);

    g_assert_cmpstr (dft_record_get_string (amina, "given_name"), ==, "Amina");
    g_assert_cmpuint (g_list_model_get_n_items (people), ==, 2);
  }
  dft_test_release_store (other);
  dft_test_dir_free (g_steal_pointer (&other_dir));

  dft_test_server_free (d.server);
  g_free (d.event_id);
  g_free (d.offline_id);
}

/* ---- A conflict, as the trainer sees it -------------------------------------------------- */

static void
rename_person (DftStore *store, const char *id, const char *family)
{
  g_autoptr (DftRecord) person = load (store, &dft_entity_person, id);
  g_autoptr (GError)    error = NULL;

  dft_record_set_string (person, "family_name", family);
  g_assert_true (dft_store_save (store, person, &error));
  g_assert_no_error (error);
}

static gboolean
status_counts_conflict (gpointer data)
{
  Flow *f = data;

  /* "1 conflict to decide", in whichever plural form the language has for one. */
  return everything_synced (f)
         && strstr (
                dft_status_bar_get_text (status_bar (f)),
                g_dngettext (GETTEXT_PACKAGE, "%s conflict to decide", "%s conflicts to decide", 1)
                    + 3)
                != NULL;
}

static void
conflict_flow (Flow *f)
{
  SyncData        *d = f->data;
  GtkWidget       *participants;
  GListModel      *people;
  g_autofree char *other_dir = NULL;
  DftStore        *other;

  quiet_sync_client (f);
  sign_in_through_preferences (f, dft_test_server_get_url (d->server));
  d->event_id = new_workshop (f, "Asset recovery, Tbilisi");
  participants = dft_ui_test_show_view (f->window, "participants");
  add_person (participants, "Nino", "Beridze");
  people = dft_participants_view_get_people (DFT_PARTICIPANTS_VIEW (participants));
  dft_ui_test_wait_n_items (people, 1, "Nino on the roster");
  d->person_id = person_id_for (participants, "Nino");
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "sync", NULL);
  dft_ui_wait_long (everything_synced, f, "the first sync");
  g_assert_false (status_counts_conflict (f));

  /* A second trainer pulls the roster and corrects the family name one way, this laptop
   * another way; the second trainer syncs first. */
  other = pull_from_server (d->server, &other_dir);
  rename_person (other, d->person_id, "Beridze-Kapanadze");
  laptop_sync (other, d->server);
  rename_person (f->store, d->person_id, "Beridse");
  dft_test_wait_until (status_has_pending, f, "the status bar to count the rename");

  /* Sync Now: the toast and the status bar both say a conflict is kept for a coordinator. */
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "sync", NULL);
  dft_ui_wait_toast (f->window, "conflict kept for a coordinator");
  dft_ui_wait_long (status_counts_conflict, f, "the status bar to count the conflict");
  g_assert_cmpstr (status_icon (status_bar (f)), ==, "dialog-warning-symbolic");
  g_assert_cmpuint (dft_sync_client_get_open_conflicts (dft_application_get_sync_client (f->app)),
                    ==, 1);

  dft_test_release_store (other);
  dft_test_dir_free (g_steal_pointer (&other_dir));
}

/* Two trainers change the same name: the trainer is told, in the toast and in the status bar,
 * which keeps saying it after the sync; nothing says "everything synced" alone. */
static void
test_sync_conflict (void)
{
  SyncData d = { start_server () };

  run_app (NULL, conflict_flow, &d);
  dft_test_server_free (d.server);
  g_free (d.event_id);
  g_free (d.person_id);
}

/* ---- Bundles ------------------------------------------------------------------------------- */

/* DAFTARI_SCREENSHOTS=DIR: PNGs of the bundle dialogs there, for people to look at. */
static const char *shots;

/* @dialog over a wide window, then over a phone-sized one. */
static void
screenshot_dialog (DftWindow *window, AdwMessageDialog *dialog, const char *name)
{
  g_autofree char *narrow = g_strdup_printf ("narrow-%s", name);
  int              width, height;

  if (shots == NULL)
    return;
  gtk_window_get_default_size (GTK_WINDOW (window), &width, &height);
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 720);
  dft_ui_test_screenshot (GTK_WIDGET (dialog), shots, name);
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 720);
  dft_ui_test_screenshot (GTK_WIDGET (dialog), shots, narrow);
  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
}

typedef struct
{
  char *path;        /* the bundle */
  char *server_path; /* one sealed for a server, which no laptop opens */
  char *passphrase;
  char *event_id;
  char *session_id;
  char *late_id; /* the person marked late */
} BundleData;

/* Whether @text is four groups of five Crockford base32 characters, with a space between. */
static gboolean
is_spoken_passphrase (const char *text)
{
  static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

  if (strlen (text) != 23)
    return FALSE;
  for (guint i = 0; i < 23; i++)
    if (i % 6 == 5 ? text[i] != ' ' : strchr (alphabet, text[i]) == NULL || text[i] == '\0')
      return FALSE;
  return TRUE;
}

static void
export_flow (Flow *f)
{
  BundleData       *d = f->data;
  GtkWidget        *participants, *attendance, *label, *copy;
  GListModel       *sessions;
  AdwMessageDialog *dialog;
  AdwActionRow     *server, *laptop;
  GdkClipboard     *clipboard;
  g_auto (GValue)   copied = G_VALUE_INIT;

  d->event_id = new_workshop (f, "Financial investigations, Tbilisi");
  participants = dft_ui_test_show_view (f->window, "participants");
  add_person (participants, "Айбек", "Токтогулов");
  add_person (participants, "გიორგი", "ბერიძე");
  dft_ui_test_wait_n_items (dft_participants_view_get_people (DFT_PARTICIPANTS_VIEW (participants)),
                            2, "two people on the roster");
  d->late_id = person_id_for (participants, "გიორგი");

  attendance = dft_ui_test_show_view (f->window, "attendance");
  sessions = dft_attendance_view_get_sessions (DFT_ATTENDANCE_VIEW (attendance));
  dft_ui_test_wait_n_items (sessions, 6, "six half-day sessions");
  {
    g_autoptr (DftRecord) first = g_list_model_get_item (sessions, 0);
    d->session_id = g_strdup (dft_record_get_id (first));
  }
  g_assert_true (gtk_widget_activate_action (attendance, "attendance.mark-all-present", NULL));
  dft_ui_test_wait_attendance (f->store, d->event_id, 2, 0, "everyone marked present");
  g_assert_true (gtk_widget_activate_action (attendance, "attendance.set-status", "(sss)",
                                             d->session_id, d->late_id, "late"));
  dft_ui_test_wait_attendance (f->store, d->event_id, 1, 1, "one person marked late");

  /* Who the file is for: this laptop never signed in, so not the server. */
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "export-bundle-to",
                                  g_variant_new_string (d->path));
  dialog = dft_ui_wait_message_dialog (f->window, "Export Changes");
  server = dft_ui_find_row (dialog, "The server");
  laptop = dft_ui_find_row (dialog, "Another laptop");
  g_assert_false (gtk_widget_is_sensitive (GTK_WIDGET (server)));
  adw_action_row_activate (laptop);
  g_assert_true (gtk_check_button_get_active (
      GTK_CHECK_BUTTON (adw_action_row_get_activatable_widget (laptop))));
  screenshot_dialog (f->window, dialog, "bundle-export.png");
  dft_ui_press_response (dialog, "_Export");

  /* The passphrase, once the file is written: large, to read aloud, and copied on request. */
  dialog = dft_ui_wait_message_dialog (f->window, "Passphrase for the File");
  screenshot_dialog (f->window, dialog, "bundle-passphrase.png");
  dft_ui_wait_toast (f->window, "to the file");
  g_assert_true (g_file_test (d->path, G_FILE_TEST_IS_REGULAR));
  label = dft_ui_find_widget (GTK_WIDGET (dialog), dft_ui_is_label_with_class, "monospace");
  g_assert_nonnull (label);
  g_assert_true (gtk_label_get_selectable (GTK_LABEL (label)));
  d->passphrase = g_strdup (gtk_label_get_text (GTK_LABEL (label)));
  g_test_message ("the passphrase shown: %s", d->passphrase);
  g_assert_true (is_spoken_passphrase (d->passphrase));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog),
                            g_dgettext (GETTEXT_PACKAGE, "only this once")));

  copy = dft_ui_find_widget (GTK_WIDGET (dialog), dft_ui_is_button_labelled,
                             g_dgettext (GETTEXT_PACKAGE, "_Copy"));
  g_assert_nonnull (copy);
  g_assert_true (gtk_widget_activate (copy));
  clipboard = gtk_widget_get_clipboard (copy);
  dft_test_wait_until ((DftTestCondition) gdk_clipboard_is_local, clipboard, "the copy");
  g_value_init (&copied, G_TYPE_STRING);
  g_assert_true (
      gdk_content_provider_get_value (gdk_clipboard_get_content (clipboard), &copied, NULL));
  {
    g_auto (GStrv)   groups = g_strsplit (g_value_get_string (&copied), "-", -1);
    g_autofree char *spoken = g_strjoinv (" ", groups);
    g_assert_cmpstr (spoken, ==, d->passphrase);
  }
  dft_ui_press_response (dialog, "_Done");
}

static gboolean
has_events (gpointer data)
{
  return g_strcmp0 (dft_window_get_mode (data), "main") == 0;
}

typedef struct
{
  GtkWidget  *attendance;
  BundleData *d;
} LateWait;

static gboolean
register_shows_late (gpointer data)
{
  LateWait *w = data;

  return g_strcmp0 (dft_attendance_view_get_status (DFT_ATTENDANCE_VIEW (w->attendance),
                                                    w->d->session_id, w->d->late_id),
                    "late")
         == 0;
}

/* Whether the passphrase dialog that is up says why the last passphrase was refused. */
static gboolean
unlock_shows_problem (gpointer data)
{
  AdwMessageDialog *dialog = dft_ui_find_message_dialog ("Passphrase Needed");
  GtkWidget        *label;

  if (dialog == NULL)
    return FALSE;
  label = dft_ui_find_widget (GTK_WIDGET (dialog), dft_ui_is_label_with_class, "error");
  return label != NULL && gtk_widget_get_visible (label);
}

/* Types @typed into the passphrase dialog and presses Import. */
static void
unlock (DftWindow *window, const char *typed, gboolean after_refusal)
{
  AdwMessageDialog *dialog = dft_ui_wait_message_dialog (window, "Passphrase Needed");
  GtkWidget        *entry, *error_label, *import;

  entry = dft_ui_find_widget (GTK_WIDGET (dialog), dft_ui_is_of_type,
                              GSIZE_TO_POINTER (GTK_TYPE_PASSWORD_ENTRY));
  g_assert_nonnull (entry);
  error_label = dft_ui_find_widget (GTK_WIDGET (dialog), dft_ui_is_label_with_class, "error");
  g_assert_nonnull (error_label);
  g_assert_true (gtk_widget_get_visible (error_label) == after_refusal);
  if (after_refusal)
    g_assert_cmpstr (
        gtk_label_get_text (GTK_LABEL (error_label)), ==,
        g_dgettext (GETTEXT_PACKAGE,
                    "The passphrase is wrong or the file was changed. Nothing was imported."));

  /* Nothing to import with until something is typed. */
  import = dft_ui_find_widget (GTK_WIDGET (dialog), dft_ui_is_button_labelled,
                               g_dgettext (GETTEXT_PACKAGE, "_Import"));
  g_assert_false (gtk_widget_is_sensitive (import));
  gtk_editable_set_text (GTK_EDITABLE (entry), typed);
  if (after_refusal)
    screenshot_dialog (window, dialog, "bundle-unlock-refused.png");
  dft_ui_press_response (dialog, "_Import");
}

/* The passphrase as a person might type it: small letters, a space and a dash, O for 0. */
static char *
typed_loosely (const char *spoken)
{
  g_autofree char *lower = g_ascii_strdown (spoken, -1);
  GString         *typed = g_string_new (NULL);

  for (const char *p = lower; *p != '\0'; p++)
    {
      if (*p == ' ')
        g_string_append (typed, p - lower == 11 ? "-" : p - lower == 17 ? "" : " ");
      else if (*p == '0')
        g_string_append_c (typed, 'o');
      else
        g_string_append_c (typed, *p);
    }
  return g_string_free (typed, FALSE);
}

static void
import_flow (Flow *f)
{
  BundleData           *d = f->data;
  GtkWidget            *participants, *attendance;
  GListModel           *people;
  g_autoptr (DftRecord) late = NULL;
  g_autoptr (DftRecord) aibek = NULL;
  g_autofree char      *before = NULL;
  g_autofree char      *after = NULL;
  g_autofree char      *keys = NULL;
  g_autofree char      *typed = typed_loosely (d->passphrase);

  dft_ui_test_wait_mode (f->window, "welcome", FALSE);
  before = dft_test_dump_records (f->store);

  /* A file for the server is refused with the reason, without asking anything. */
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "import-bundle-from",
                                  g_variant_new_string (d->server_path));
  dft_ui_wait_toast (f->window, "only the server can open it");
  g_assert_null (dft_ui_find_message_dialog ("Passphrase Needed"));

  /* A wrong passphrase is refused, nothing changes, and the dialog asks again. */
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "import-bundle-from",
                                  g_variant_new_string (d->path));
  unlock (f->window, "AAAAA-BBBBB-CCCCC-DDDDD", FALSE);
  dft_test_wait_until (unlock_shows_problem, NULL, "the passphrase to be refused");
  after = dft_test_dump_records (f->store);
  g_assert_cmpstr (after, ==, before);
  keys = dft_store_get_sync_state (f->store, DFT_BUNDLE_STATE_DEVICE_KEYS, NULL);
  g_assert_null (keys);
  g_assert_cmpstr (dft_window_get_mode (f->window), ==, "welcome");

  /* The right one, typed loosely. */
  g_test_message ("typed: %s", typed);
  unlock (f->window, typed, TRUE);
  dft_ui_wait_toast (f->window, "Imported the file");
  dft_test_wait_until (has_events, f->window, "the imported workshop in the list");
  open_workshop (f, d->event_id);
  g_assert_cmpstr (dft_record_get_string (dft_window_get_event (f->window), "title"), ==,
                   "Financial investigations, Tbilisi");

  /* The people and their attendance, as the roster and the register show them. */
  participants = dft_ui_test_show_view (f->window, "participants");
  people = dft_participants_view_get_people (DFT_PARTICIPANTS_VIEW (participants));
  dft_ui_test_wait_n_items (people, 2, "the two imported people");
  late = find_in_model (people, "გიორგი");
  g_assert_nonnull (late);
  g_assert_cmpstr (dft_record_get_id (late), ==, d->late_id);
  g_assert_cmpstr (dft_record_get_string (late, "family_name"), ==, "ბერიძე");
  aibek = find_in_model (people, "Айбек");
  g_assert_nonnull (aibek);

  attendance = dft_ui_test_show_view (f->window, "attendance");
  dft_ui_test_wait_n_items (dft_attendance_view_get_sessions (DFT_ATTENDANCE_VIEW (attendance)), 6,
                            "the imported sessions");
  dft_test_wait_until (register_shows_late, &(LateWait){ attendance, d }, "the register's marks");
  g_assert_true (dft_ui_test_attendance_is (f->store, d->event_id, 1, 1));

  /* The same bundle again changes nothing. */
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "import-bundle-from",
                                  g_variant_new_string (d->path));
  unlock (f->window, d->passphrase, FALSE);
  dft_ui_wait_toast (f->window, "0 changes applied");
  g_assert_cmpuint (g_list_model_get_n_items (people), ==, 2);
}

/* A bundle sealed for a server, as a signed-in laptop makes it. */
static char *
make_server_bundle (const char *dir)
{
  g_autofree char   *db = g_build_filename (dir, "signed-in.db", NULL);
  char              *path = g_build_filename (dir, "for the server.daftari", NULL);
  g_autoptr (GFile)  file = g_file_new_for_path (path);
  g_autoptr (GError) error = NULL;
  g_autofree char   *server_key = NULL;
  DftStore          *store = dft_store_open (db, &error);
  guint              n = 0;

  g_assert_no_error (error);
  server_key = dft_bundle_ensure_box_key (store, &error);
  g_assert_no_error (error);
  g_assert_true (dft_store_set_sync_state (store, DFT_BUNDLE_STATE_SERVER_KEY, server_key, &error));
  g_assert_true (dft_bundle_export (store, file, 0, NULL, &n, NULL, &error));
  g_assert_no_error (error);
  dft_test_release_store (store);
  return path;
}

static void
bundle_data_clear (BundleData *d)
{
  g_free (d->path);
  g_free (d->server_path);
  g_free (d->passphrase);
  g_free (d->event_id);
  g_free (d->session_id);
  g_free (d->late_id);
}

/* One laptop writes a passphrase bundle through the window; a fresh one refuses a bundle for
 * the server and a wrong passphrase, changing nothing, then reads it. */
static void
test_bundle_round_trip (void)
{
  BundleData       d = { 0 };
  g_autofree char *dir = dft_test_make_dir ();
  g_autofree char *first = g_build_filename (dir, "first.db", NULL);
  g_autofree char *second = g_build_filename (dir, "second.db", NULL);

  d.path = g_build_filename (dir, "to the office.daftari", NULL);
  d.server_path = make_server_bundle (dir);
  run_app (first, export_flow, &d);
  run_app (second, import_flow, &d);

  bundle_data_clear (&d);
  dft_test_dir_free (g_steal_pointer (&dir));
}

/* ---- The import dialog --------------------------------------------------------------------- */

/* Headers in three scripts; "Org" is not a heading the importer knows; row 5's consent is not
 * an answer it understands. */
static const char sheet[] = "Имя,გვარი,Пол,Org,Email,Согласие\n"
                            "Айбек,Токтогулов,м,Financial Intelligence Unit,aibek@example.org,да\n"
                            "გიორგი,ბერიძე,male,Prosecutor's Office,giorgi@example.ge,კი\n"
                            "أمينة,يوسف,ж,Central Bank,amina@example.org,yes\n"
                            "Нурлан,Осмонов,male,Customs Service,nurlan@example.org,не знаю\n";

static GtkDropDown *
mapping_dropdown (DftImportDialog *dialog, int column)
{
  GtkGrid   *grid = dft_ui_template_child (dialog, DFT_TYPE_IMPORT_DIALOG, "grid");
  GtkWidget *dropdown = gtk_grid_get_child_at (grid, column, 0);

  g_assert_true (GTK_IS_DROP_DOWN (dropdown));
  return GTK_DROP_DOWN (dropdown);
}

static const char *
grid_text (DftImportDialog *dialog, int column, int row)
{
  GtkGrid   *grid = dft_ui_template_child (dialog, DFT_TYPE_IMPORT_DIALOG, "grid");
  GtkWidget *label = gtk_grid_get_child_at (grid, column, row);

  g_assert_true (GTK_IS_LABEL (label));
  return gtk_label_get_text (GTK_LABEL (label));
}

static const char *
mapping_shown (DftImportDialog *dialog, int column)
{
  GtkStringObject *item = gtk_drop_down_get_selected_item (mapping_dropdown (dialog, column));

  return item != NULL ? gtk_string_object_get_string (item) : NULL;
}

/* Chooses what @column holds as a person would: the dropdown's entry with @label. */
static void
choose_mapping (DftImportDialog *dialog, int column, const char *label)
{
  GtkDropDown *dropdown = mapping_dropdown (dialog, column);
  GListModel  *choices = gtk_drop_down_get_model (dropdown);
  const char  *wanted = g_dgettext (GETTEXT_PACKAGE, label);

  for (guint i = 0; i < g_list_model_get_n_items (choices); i++)
    {
      g_autoptr (GtkStringObject) choice = g_list_model_get_item (choices, i);
      if (g_str_equal (gtk_string_object_get_string (choice), wanted))
        {
          gtk_drop_down_set_selected (dropdown, i);
          g_assert_cmpstr (mapping_shown (dialog, column), ==, wanted);
          return;
        }
    }
  g_error ("The mapping dropdown offers no “%s”", label);
}

static gboolean
import_answered (gpointer data)
{
  DftImportDialog *dialog = data;

  return gtk_widget_get_visible (
             dft_ui_template_child (dialog, DFT_TYPE_IMPORT_DIALOG, "error_label"))
         && gtk_widget_get_sensitive (
             dft_ui_template_child (dialog, DFT_TYPE_IMPORT_DIALOG, "import_button"));
}

typedef struct
{
  char *csv;
  char *event_id;
} ImportData;

static void
import_dialog_flow (Flow *f)
{
  ImportData           *d = f->data;
  g_autoptr (DftRecord) event
      = dft_test_add_event (f->store, "Sanctions screening, Nairobi", "2026-05-04", "2026-05-05");
  GtkWidget       *participants;
  DftImportDialog *dialog;
  GListModel      *people;
  const char      *error_text;

  d->event_id = g_strdup (dft_record_get_id (event));
  open_workshop (f, d->event_id);
  participants = dft_ui_test_show_view (f->window, "participants");
  g_assert_true (
      gtk_widget_activate_action (participants, "participants.import-file", "s", d->csv));
  dft_test_wait_until (has_toplevel, GSIZE_TO_POINTER (DFT_TYPE_IMPORT_DIALOG),
                       "the import dialog");
  dialog = dft_ui_test_find_toplevel (DFT_TYPE_IMPORT_DIALOG);
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == GTK_WINDOW (f->window));

  /* The preview: four people, each column's heading, what the importer guessed for it. */
  g_assert_nonnull (strstr (
      gtk_label_get_text (dft_ui_template_child (dialog, DFT_TYPE_IMPORT_DIALOG, "summary_label")),
      "4 people"));
  g_assert_cmpstr (grid_text (dialog, 0, 1), ==, "Имя");
  g_assert_cmpstr (grid_text (dialog, 1, 1), ==, "გვარი");
  g_assert_cmpstr (grid_text (dialog, 0, 4), ==, "أمينة");
  g_assert_cmpstr (grid_text (dialog, 1, 4), ==, "يوسف");
  g_assert_cmpstr (mapping_shown (dialog, 0), ==, g_dgettext (GETTEXT_PACKAGE, "Given name"));
  g_assert_cmpstr (mapping_shown (dialog, 1), ==, g_dgettext (GETTEXT_PACKAGE, "Family name"));
  g_assert_cmpstr (mapping_shown (dialog, 2), ==, g_dgettext (GETTEXT_PACKAGE, "Gender"));
  g_assert_cmpstr (mapping_shown (dialog, 3), ==, g_dgettext (GETTEXT_PACKAGE, "Do not import"));
  g_assert_cmpstr (mapping_shown (dialog, 4), ==, g_dgettext (GETTEXT_PACKAGE, "Email"));
  g_assert_cmpstr (mapping_shown (dialog, 5), ==, g_dgettext (GETTEXT_PACKAGE, "Consent"));

  /* "Org" holds the agency. */
  choose_mapping (dialog, 3, "Agency");

  /* Row 5 is refused, by number and with what it says; nobody is imported, not even the
   * three good rows, and the dialog stays open to put it right. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "import.run", NULL));
  dft_test_wait_until (import_answered, dialog, "the import to report the bad row");
  error_text
      = gtk_label_get_text (dft_ui_template_child (dialog, DFT_TYPE_IMPORT_DIALOG, "error_label"));
  g_test_message ("the import said: %s", error_text);
  g_assert_nonnull (strstr (error_text, "Row 5:"));
  g_assert_nonnull (strstr (error_text, "не знаю"));
  g_assert_true (dft_ui_test_find_toplevel (DFT_TYPE_IMPORT_DIALOG) == dialog);
  {
    g_autoptr (GListModel) stored = people_of (f->store, d->event_id);
    g_assert_cmpuint (g_list_model_get_n_items (stored), ==, 0);
  }

  /* Consent is asked at the workshop instead: that column is left out, and all four come in. */
  choose_mapping (dialog, 5, "Do not import");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "import.run", NULL));
  dft_ui_test_wait_finalized (dialog, "the import dialog to close after importing");
  dft_ui_wait_toast (f->window, "Imported 4 people");

  people = dft_participants_view_get_people (DFT_PARTICIPANTS_VIEW (participants));
  dft_ui_test_wait_n_items (people, 4, "four people on the roster");
}

static void
test_import_dialog (void)
{
  ImportData         d = { 0 };
  g_autofree char   *dir = dft_test_make_dir ();
  g_autofree char   *db = g_build_filename (dir, "daftari.db", NULL);
  g_autoptr (GError) error = NULL;
  DftStore          *store;

  d.csv = g_build_filename (dir, "sign-up sheet.csv", NULL);
  g_file_set_contents (d.csv, sheet, -1, &error);
  g_assert_no_error (error);
  run_app (db, import_dialog_flow, &d);

  /* What the store kept, read again from the file. */
  store = dft_store_open (db, &error);
  g_assert_no_error (error);
  {
    g_autoptr (GListModel) people = people_of (store, d.event_id);
    g_autoptr (DftRecord)  aibek = find_in_model (people, "Айбек");
    g_autoptr (DftRecord)  giorgi = find_in_model (people, "გიორგი");
    g_autoptr (DftRecord)  amina = find_in_model (people, "أمينة");
    g_autoptr (DftRecord)  nurlan = find_in_model (people, "Нурлан");

    g_assert_cmpuint (g_list_model_get_n_items (people), ==, 4);
    g_assert_nonnull (aibek);
    g_assert_nonnull (giorgi);
    g_assert_nonnull (amina);
    g_assert_nonnull (nurlan);
    g_assert_cmpstr (dft_record_get_string (aibek, "family_name"), ==, "Токтогулов");
    g_assert_cmpstr (dft_record_get_string (aibek, "gender"), ==, "male");
    g_assert_cmpstr (dft_record_get_string (aibek, "agency"), ==, "Financial Intelligence Unit");
    g_assert_cmpstr (dft_record_get_string (giorgi, "family_name"), ==, "ბერიძე");
    g_assert_cmpstr (dft_record_get_string (amina, "family_name"), ==, "يوسف");
    g_assert_cmpstr (dft_record_get_string (amina, "gender"), ==, "female");
    g_assert_cmpstr (dft_record_get_string (amina, "email"), ==, "amina@example.org");
    /* The row refused at first, in full but for the column left out. */
    g_assert_cmpstr (dft_record_get_string (nurlan, "agency"), ==, "Customs Service");
    g_assert_false (dft_record_get_bool (nurlan, "consent"));
    g_assert_false (dft_record_get_bool (aibek, "consent"));
  }
  dft_test_release_store (store);

  g_free (d.csv);
  g_free (d.event_id);
  dft_test_dir_free (g_steal_pointer (&dir));
}

/* ---- Remove, with and without Undo --------------------------------------------------------- */

typedef struct
{
  DftStore *store;
  char     *enrollment_id;
  gboolean  deleted;
} EnrollmentWait;

static gboolean
enrollment_is (gpointer data)
{
  EnrollmentWait       *w = data;
  g_autoptr (DftRecord) enrollment = load (w->store, &dft_entity_enrollment, w->enrollment_id);

  return dft_record_get_deleted (enrollment) == w->deleted;
}

typedef struct
{
  GListModel *model;
  const char *given;
} NameWait;

static gboolean
in_model (gpointer data)
{
  NameWait             *w = data;
  g_autoptr (DftRecord) person = find_in_model (w->model, w->given);

  return person != NULL;
}

static gboolean
not_in_model (gpointer data)
{
  return !in_model (data);
}

/* Selects @given on the roster and presses Delete (participants.remove). */
static void
remove_person (GtkWidget *participants, const char *given)
{
  GListModel *people = dft_participants_view_get_people (DFT_PARTICIPANTS_VIEW (participants));
  int         position = position_in_model (people, given);

  g_assert_cmpint (position, >=, 0);
  dft_participants_view_select (DFT_PARTICIPANTS_VIEW (participants), (guint) position);
  g_assert_true (gtk_widget_activate_action (participants, "participants.remove", NULL));
}

static void
remove_flow (Flow *f)
{
  g_autoptr (DftRecord) event
      = dft_test_add_event (f->store, "Cash couriers, Almaty", "2026-05-04", "2026-05-05");
  /* Names come from sign-up sheets as typed: the toast shows them as they are, not as markup. */
  g_autoptr (DftRecord) jean = dft_test_add_person (f->store, "Jean & Marie", "Dupont <Jr>");
  g_autoptr (DftRecord) aibek = dft_test_add_person (f->store, "Айбек", "Токтогулов");
  g_autoptr (DftRecord) e1 = NULL, e2 = NULL;
  g_autoptr (GError)    error = NULL;
  const char           *event_id = dft_record_get_id (event);
  GtkWidget            *participants, *toast, *undo;
  GListModel           *people;
  EnrollmentWait        aibek_wait, jean_wait;

  e1 = dft_store_enroll (f->store, event_id, dft_record_get_id (jean), "participant", &error);
  g_assert_no_error (error);
  e2 = dft_store_enroll (f->store, event_id, dft_record_get_id (aibek), "participant", &error);
  g_assert_no_error (error);
  open_workshop (f, event_id);
  participants = dft_ui_test_show_view (f->window, "participants");
  people = dft_participants_view_get_people (DFT_PARTICIPANTS_VIEW (participants));
  dft_ui_test_wait_n_items (people, 2, "two people on the roster");

  /* Removed, then Undo on the toast: Айбек is back, with the same enrollment. */
  aibek_wait = (EnrollmentWait){ f->store, g_strdup (dft_record_get_id (e2)), TRUE };
  remove_person (participants, "Айбек");
  dft_test_wait_until (enrollment_is, &aibek_wait, "Айбек's enrollment to be removed");
  dft_test_wait_until (not_in_model, &(NameWait){ people, "Айбек" }, "Айбек to leave the roster");
  dft_ui_wait_toast (f->window, "Айбек Токтогулов");
  toast = dft_ui_find_toast (f->window, "Айбек Токтогулов");
  dft_ui_test_wait_toast_in_place (toast);
  g_assert_true (dft_ui_find_toast (f->window, "Айбек Токтогулов") == toast);
  undo = dft_ui_find_widget (toast, dft_ui_is_button_labelled,
                             g_dgettext (GETTEXT_PACKAGE, "_Undo"));
  g_assert_nonnull (undo);
  g_signal_emit_by_name (undo, "clicked");
  aibek_wait.deleted = FALSE;
  dft_test_wait_until (enrollment_is, &aibek_wait, "Undo to bring Айбек's enrollment back");
  dft_test_wait_until (in_model, &(NameWait){ people, "Айбек" }, "Айбек back on the roster");
  g_assert_cmpuint (g_list_model_get_n_items (people), ==, 2);

  /* Removed, and the toast left to go by itself: it stays removed. */
  jean_wait = (EnrollmentWait){ f->store, g_strdup (dft_record_get_id (e1)), TRUE };
  remove_person (participants, "Jean & Marie");
  dft_test_wait_until (enrollment_is, &jean_wait, "Jean & Marie's enrollment to be removed");
  dft_ui_wait_toast (f->window, "Jean & Marie Dupont <Jr> was removed");
  /* A toast stays five seconds; the wait allows twenty. */
  dft_test_wait_until (toast_gone, &(ToastWait){ f->window, "Jean & Marie Dupont <Jr>" },
                       "the toast to go");
  g_assert_true (enrollment_is (&jean_wait));
  g_assert_cmpuint (g_list_model_get_n_items (people), ==, 1);
  g_assert_null (find_in_model (people, "Jean & Marie"));
  {
    /* The enrollment is gone, not the person: they stay in the register for other workshops. */
    g_autoptr (DftRecord) person = load (f->store, &dft_entity_person, dft_record_get_id (jean));
    g_assert_false (dft_record_get_deleted (person));
  }
  g_free (aibek_wait.enrollment_id);
  g_free (jean_wait.enrollment_id);
}

static void
test_remove_undo (void)
{
  run_app (NULL, remove_flow, NULL);
}

/* ---- The roster's hint when a search shows only its first matches -------------------------- */

#define N_NAMESAKES 600

static gboolean
hint_visible (gpointer data)
{
  return gtk_widget_get_visible (
      dft_ui_template_child (data, DFT_TYPE_PARTICIPANTS_VIEW, "truncated_label"));
}

static gboolean
hint_hidden (gpointer data)
{
  return !hint_visible (data);
}

/* Six hundred people with the same given name, enrolled, in two transactions. */
static char *
add_namesakes (DftStore *store)
{
  g_autoptr (DftRecord) event
      = dft_test_add_event (store, "Regional workshop, Osh", "2026-05-04", "2026-05-05");
  g_autoptr (GPtrArray) people = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) enrollments = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GError)    error = NULL;

  for (guint i = 0; i < N_NAMESAKES; i++)
    {
      DftRecord       *person = dft_record_new_for_entity (&dft_entity_person);
      g_autofree char *family = g_strdup_printf ("Sample%04u", i);

      dft_record_set_string (person, "given_name", "Айнура");
      dft_record_set_string (person, "family_name", family);
      g_ptr_array_add (people, person);
    }
  g_assert_true (dft_store_save_all (store, (DftRecord **) people->pdata, people->len, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < people->len; i++)
    {
      const char      *person_id = dft_record_get_id (g_ptr_array_index (people, i));
      g_autofree char *id = dft_enrollment_id_for (dft_record_get_id (event), person_id);
      DftRecord *enrollment = dft_store_load_or_new (store, &dft_entity_enrollment, id, &error);

      g_assert_no_error (error);
      dft_record_set_string (enrollment, "event_id", dft_record_get_id (event));
      dft_record_set_string (enrollment, "person_id", person_id);
      dft_record_set_string (enrollment, "role", "participant");
      g_ptr_array_add (enrollments, enrollment);
    }
  g_assert_true (
      dft_store_save_all (store, (DftRecord **) enrollments->pdata, enrollments->len, &error));
  g_assert_no_error (error);
  return g_strdup (dft_record_get_id (event));
}

static void
search_hint_flow (Flow *f)
{
  g_autofree char *event_id = add_namesakes (f->store);
  GtkWidget       *participants;
  GtkEditable     *search;
  GtkLabel        *hint;
  GListModel      *people;
  g_autofree char *number = g_strdup_printf ("%d", DFT_RECORD_LIST_SEARCH_LIMIT);

  open_workshop (f, event_id);
  participants = dft_ui_test_show_view (f->window, "participants");
  people = dft_participants_view_get_people (DFT_PARTICIPANTS_VIEW (participants));
  search = dft_ui_template_child (participants, DFT_TYPE_PARTICIPANTS_VIEW, "search_entry");
  hint = dft_ui_template_child (participants, DFT_TYPE_PARTICIPANTS_VIEW, "truncated_label");

  /* The whole roster is no search: everyone, and no hint. */
  dft_ui_test_wait_n_items (people, N_NAMESAKES, "the whole roster");
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (hint)));

  /* Typed into the search entry: its first 500 matches, and the hint says so. */
  gtk_editable_set_text (search, "Айнура");
  dft_ui_test_wait_n_items (people, DFT_RECORD_LIST_SEARCH_LIMIT, "the search's first matches");
  dft_test_wait_until (hint_visible, participants, "the hint that the search was cut");
  g_assert_true (dft_record_list_get_truncated (DFT_RECORD_LIST (people)));
  g_assert_nonnull (strstr (gtk_label_get_text (hint), number));
  g_assert_true (gtk_widget_is_visible (GTK_WIDGET (hint)));

  /* Narrower: a hundred matches, all shown, no hint. */
  gtk_editable_set_text (search, "Айнура sample01");
  dft_ui_test_wait_n_items (people, 100, "the narrower search");
  dft_test_wait_until (hint_hidden, participants, "the hint to go");

  /* Wide again, then cleared. */
  gtk_editable_set_text (search, "Айнура");
  dft_test_wait_until (hint_visible, participants, "the hint to come back");
  gtk_editable_set_text (search, "");
  dft_ui_test_wait_n_items (people, N_NAMESAKES, "the whole roster again");
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (hint)));
}

static void
test_search_hint (void)
{
  run_app (NULL, search_hint_flow, NULL);
}

/* ---- Country, email and phone in the person dialog --------------------------------------- */

static guint
position_of_name (GtkDropDown *drop_down, const char *name)
{
  GListModel *names = gtk_drop_down_get_model (drop_down);

  for (guint i = 0; i < g_list_model_get_n_items (names); i++)
    {
      g_autoptr (GtkStringObject) item = g_list_model_get_item (names, i);
      if (g_strcmp0 (gtk_string_object_get_string (item), name) == 0)
        return i;
    }
  g_error ("%s is not in the list", name);
}

static void
country_contacts_flow (Flow *f)
{
  g_autofree char      *event_id = new_workshop (f, "Cyber investigations, Dushanbe");
  g_autofree char      *kyrgyzstan = dft_country_name ("KG", NULL);
  g_autofree char      *tajikistan = dft_country_name ("TJ", NULL);
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) found = NULL;
  g_autoptr (DftRecord) event = NULL;
  DftPersonDialog      *dialog;
  DftCountryRow        *country;
  GtkDropDown          *drop_down;
  GtkLabel             *contact_error;
  GtkWidget            *email_row;
  GtkWidget            *participants;
  DftRecord            *person;

  /* The workshop's country was chosen from the list and kept as its code. */
  event = load (f->store, &dft_entity_event, event_id);
  g_assert_cmpstr (dft_record_get_string (event, "country"), ==, "KG");

  participants = dft_ui_test_show_view (f->window, "participants");
  g_assert_true (gtk_widget_activate_action (participants, "participants.add", NULL));
  dialog = dft_ui_test_find_toplevel (DFT_TYPE_PERSON_DIALOG);
  g_assert_nonnull (dialog);
  country = dft_ui_template_child (dialog, DFT_TYPE_PERSON_DIALOG, "country_row");
  drop_down = dft_country_row_get_drop_down (country);
  contact_error = dft_ui_template_child (dialog, DFT_TYPE_PERSON_DIALOG, "contact_error");
  email_row = dft_ui_template_child (dialog, DFT_TYPE_PERSON_DIALOG, "email_row");

  /* A new participant comes from the workshop's country, shown by its name. */
  g_assert_cmpstr (dft_country_row_get_value (country), ==, "KG");
  g_assert_cmpstr (gtk_string_object_get_string (gtk_drop_down_get_selected_item (drop_down)), ==,
                   kyrgyzstan);

  /* Another country, picked by its name; an address without its domain's dot. */
  gtk_drop_down_set_selected (drop_down, position_of_name (drop_down, tajikistan));
  g_assert_cmpstr (dft_country_row_get_value (country), ==, "TJ");
  dft_person_dialog_set_field (dialog, "given_name", "Farrukh");
  dft_person_dialog_set_field (dialog, "email", "farrukh@mail");
  dft_person_dialog_set_field (dialog, "phone", "+992 (37) 221-00-00");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.save", NULL));

  /* Refused beside the field, in the interface language, and nothing saved. */
  g_assert_true (dft_ui_test_find_toplevel (DFT_TYPE_PERSON_DIALOG) == dialog);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (contact_error)));
  g_assert_cmpstr (gtk_label_get_text (contact_error), ==,
                   g_dgettext (GETTEXT_PACKAGE, "The email address is not complete: write it "
                                                "like name@example.org."));
  g_assert_true (gtk_widget_has_css_class (email_row, "error"));
  found = dft_store_find_people (f->store, "farrukh", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 0);
  g_clear_pointer (&found, g_ptr_array_unref);

  /* Corrected, the message goes as the user types, and the person is saved. */
  dft_person_dialog_set_field (dialog, "email", "farrukh@mail.tj");
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (contact_error)));
  g_assert_false (gtk_widget_has_css_class (email_row, "error"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.save", NULL));
  dft_ui_test_wait_finalized (dialog, "the person dialog to close");

  found = dft_store_find_people (f->store, "farrukh", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 1);
  person = g_ptr_array_index (found, 0);
  g_assert_cmpstr (dft_record_get_string (person, "country"), ==, "TJ");
  g_assert_cmpstr (dft_record_get_string (person, "email"), ==, "farrukh@mail.tj");
  g_assert_cmpstr (dft_record_get_string (person, "phone"), ==, "+992372210000");
}

static void
test_country_contacts (void)
{
  run_app (NULL, country_contacts_flow, NULL);
}

/* ---- A person with a similar name already exists ------------------------------------------- */

static gboolean
is_label_with_text (GtkWidget *widget, gconstpointer text)
{
  return GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0;
}

static gboolean
is_label_containing (GtkWidget *widget, gconstpointer text)
{
  return GTK_IS_LABEL (widget) && strstr (gtk_label_get_text (GTK_LABEL (widget)), text) != NULL;
}

static GtkWidget *
duplicates_box (DftPersonDialog *dialog)
{
  GtkWidget *box = dft_ui_template_child (dialog, DFT_TYPE_PERSON_DIALOG, "duplicates_box");

  g_assert_nonnull (box);
  return box;
}

typedef struct
{
  DftPersonDialog *dialog;
  const char      *name;
} OfferWait;

/* Whether the dialog offers the person called @name (as the store writes them). */
static gboolean
offer_shown (gpointer data)
{
  OfferWait *w = data;
  GtkWidget *box = duplicates_box (w->dialog);

  return gtk_widget_get_visible (box) && dft_ui_find_widget (box, is_label_with_text, w->name);
}

static const char *
enrol_label (void)
{
  return g_dgettext (GETTEXT_PACKAGE, "Enrol This Person");
}

/* Whether the offer's enrol button is shown and has its size. */
static gboolean
enrol_button_placed (gpointer box)
{
  GtkWidget *button = dft_ui_find_widget (box, dft_ui_is_button_labelled, enrol_label ());

  return button != NULL && gtk_widget_get_mapped (button) && gtk_widget_get_width (button) > 0;
}

/* A new person's dialog, with the focus in the given name, as participants.add opens it. */
static DftPersonDialog *
open_add_dialog (GtkWidget *participants)
{
  DftPersonDialog *dialog;

  g_assert_true (gtk_widget_activate_action (participants, "participants.add", NULL));
  dialog = dft_ui_test_find_toplevel (DFT_TYPE_PERSON_DIALOG);
  g_assert_nonnull (dialog);
  dft_test_wait_until (dft_ui_test_drawn, dialog, "the person dialog to show");
  return dialog;
}

/* Types @given, Tab, @family, as a trainer fills in the two name fields. */
static void
type_names (DftPersonDialog *dialog, const char *given, const char *family)
{
  dft_xkeys_type (GTK_WINDOW (dialog), given);
  dft_xkeys_press (GTK_WINDOW (dialog), (const char *[]){ "Tab", NULL });
  dft_xkeys_type (GTK_WINDOW (dialog), family);
}

static DftRecord *
person_named (DftStore *store, const char *given, const char *family, const char *agency)
{
  g_autoptr (DftRecord) person = dft_record_new_for_entity (&dft_entity_person);
  g_autoptr (GError)    error = NULL;

  dft_record_set_string (person, "given_name", given);
  dft_record_set_string (person, "family_name", family);
  dft_record_set_string (person, "agency", agency);
  dft_record_set_string (person, "country", "KG");
  g_assert_true (dft_store_save (store, person, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&person);
}

static gboolean
enrolled_in (DftStore *store, const char *event_id, const char *person_id, const char *role)
{
  const char           *filters[] = { "event_id", event_id, "person_id", person_id, NULL };
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) found
      = dft_store_list_records (store, &dft_entity_enrollment, filters, NULL, 0, &error);

  g_assert_no_error (error);
  return found->len == 1
         && g_strcmp0 (dft_record_get_string (g_ptr_array_index (found, 0), "role"), role) == 0;
}

/*
 * "Айбек Садыков" took a workshop in Osh last year; a trainer registering "Aybek Sadikov" for
 * this one is told, enrols him with Tab and Enter, and no second record of him is made. Typed
 * again, he is no longer offered (he is enrolled already); a different name offers no one.
 */
static void
duplicate_offer_flow (Flow *f)
{
  g_autoptr (DftRecord) old_event
      = dft_test_add_event (f->store, "Border management, Osh", "2025-03-02", "2025-03-04");
  g_autoptr (DftRecord) aybek = person_named (f->store, "Айбек", "Садыков", "Border Service");
  g_autoptr (DftRecord) enrollment = NULL;
  g_autoptr (GError)    error = NULL;
  g_autofree char      *event_id = NULL;
  DftPersonDialog      *dialog;
  GtkWidget            *participants;
  GtkWidget            *box;
  GtkWidget            *focus;
  GListModel           *people;
  gint64                n_people;

  enrollment = dft_people_enroll (f->store, dft_record_get_id (old_event),
                                  dft_record_get_id (aybek), "participant", &error);
  g_assert_nonnull (enrollment);
  g_assert_no_error (error);
  event_id = new_workshop (f, "Cyber investigations, Bishkek");
  participants = dft_ui_test_show_view (f->window, "participants");
  people = dft_participants_view_get_people (DFT_PARTICIPANTS_VIEW (participants));
  dft_ui_test_wait_n_items (people, 0, "the new workshop's empty roster");
  n_people = dft_store_count_records (f->store, &dft_entity_person, &error);
  g_assert_no_error (error);

  /* Typed in Latin letters: the person written in Cyrillic is offered, with what is known of
   * him and why. */
  dialog = open_add_dialog (participants);
  type_names (dialog, "Aybek", "Sadikov");
  dft_test_wait_until (offer_shown, &(OfferWait){ dialog, "Айбек Садыков" },
                       "Айбек Садыков to be offered");
  box = duplicates_box (dialog);
  g_assert_nonnull (dft_ui_find_widget (box, is_label_containing, "Border Service"));
  g_assert_nonnull (dft_ui_find_widget (box, is_label_containing, "Border management, Osh"));
  g_assert_nonnull (dft_ui_find_widget (
      box, is_label_containing, dft_duplicate_reason_describe (DFT_DUPLICATE_REASON_NAME_SCRIPTS)));

  /* Tab from the family name reaches his button; Enter enrols him and closes the dialog. GTK
   * orders Tab by where widgets are, so the button has its place first. */
  dft_test_wait_until (enrol_button_placed, box, "the offer's button to be laid out");
  dft_xkeys_press (GTK_WINDOW (dialog), (const char *[]){ "Tab", NULL });
  focus = gtk_root_get_focus (GTK_ROOT (dialog));
  if (!GTK_IS_BUTTON (focus))
    g_test_message ("Tab went to %s", focus != NULL ? G_OBJECT_TYPE_NAME (focus) : "nothing");
  g_assert_true (GTK_IS_BUTTON (focus));
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (focus)), ==, enrol_label ());
  g_assert_true (gtk_widget_is_ancestor (focus, box));
  /* The enrolment may be over before the key press returns. */
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  dft_xkeys_press (GTK_WINDOW (dialog), (const char *[]){ "Return", NULL });
  dft_test_wait_until (dft_ui_test_pointer_cleared, &dialog, "Enter to enrol him");
  dft_ui_test_wait_n_items (people, 1, "him in the roster");
  g_assert_cmpint (dft_store_count_records (f->store, &dft_entity_person, &error), ==, n_people);
  g_assert_no_error (error);
  g_assert_true (enrolled_in (f->store, event_id, dft_record_get_id (aybek), "participant"));

  /* Typed again: he is shown as enrolled, with nothing to press. */
  dialog = open_add_dialog (participants);
  type_names (dialog, "Aybek", "Sadikov");
  dft_test_wait_until (offer_shown, &(OfferWait){ dialog, "Айбек Садыков" },
                       "Айбек Садыков to be shown again");
  box = duplicates_box (dialog);
  g_assert_nonnull (dft_ui_find_widget (
      box, is_label_with_text, g_dgettext (GETTEXT_PACKAGE, "Already enrolled in this workshop")));
  g_assert_null (dft_ui_find_widget (box, dft_ui_is_button_labelled, enrol_label ()));
  dft_ui_test_close_and_check_finalized (dialog);

  /* Someone else: no one is offered. The same dialog then offers him, so the wait was long
   * enough for an offer to come. */
  dialog = open_add_dialog (participants);
  type_names (dialog, "Nurlan", "Usmonov");
  dft_test_settle (1500);
  g_assert_false (gtk_widget_get_visible (duplicates_box (dialog)));
  dft_person_dialog_set_field (dialog, "given_name", "Aybek");
  dft_person_dialog_set_field (dialog, "family_name", "Sadikov");
  dft_test_wait_until (offer_shown, &(OfferWait){ dialog, "Айбек Садыков" },
                       "the control: Айбек Садыков offered");
  /* A name typed away from him takes the offer away. */
  dft_person_dialog_set_field (dialog, "family_name", "Usmonov");
  dft_person_dialog_set_field (dialog, "given_name", "Nurlan");
  dft_test_settle (1500);
  g_assert_false (gtk_widget_get_visible (duplicates_box (dialog)));
  dft_ui_test_close_and_check_finalized (dialog);
  g_assert_cmpint (dft_store_count_records (f->store, &dft_entity_person, &error), ==, n_people);
}

static void
test_duplicate_offer (void)
{
  run_app (NULL, duplicate_offer_flow, NULL);
}

/*
 * A given name alone is too little to go on; with the same phone number, typed and left, it
 * is enough to offer the person.
 */
static void
duplicate_by_phone_flow (Flow *f)
{
  g_autoptr (DftRecord) gulnara = person_named (f->store, "Гульнара", "Исаева", "Customs");
  g_autoptr (GError) error = NULL;
  g_autofree char   *event_id = NULL;
  GtkWidget         *participants;
  GtkWidget         *phone_row;
  DftPersonDialog   *dialog;

  dft_record_set_string (gulnara, "phone", "+996 555 123 456");
  g_assert_true (dft_store_save (f->store, gulnara, &error));
  g_assert_no_error (error);
  event_id = new_workshop (f, "Cyber investigations, Bishkek");
  participants = dft_ui_test_show_view (f->window, "participants");

  dialog = open_add_dialog (participants);
  dft_xkeys_type (GTK_WINDOW (dialog), "Gulnara");
  dft_test_settle (1500);
  g_assert_false (gtk_widget_get_visible (duplicates_box (dialog)));
  /* The number typed with other spaces; it counts once the trainer leaves the field. */
  phone_row = dft_ui_template_child (dialog, DFT_TYPE_PERSON_DIALOG, "phone_row");
  gtk_widget_grab_focus (phone_row);
  dft_xkeys_type (GTK_WINDOW (dialog), "+996555 12 34 56");
  dft_xkeys_press (GTK_WINDOW (dialog), (const char *[]){ "Tab", NULL });
  dft_test_wait_until (offer_shown, &(OfferWait){ dialog, "Гульнара Исаева" },
                       "Гульнара Исаева to be offered by her phone");
  g_assert_nonnull (
      dft_ui_find_widget (duplicates_box (dialog), is_label_containing,
                          dft_duplicate_reason_describe (DFT_DUPLICATE_REASON_SAME_PHONE)));
  dft_ui_test_close_and_check_finalized (dialog);
}

static void
test_duplicate_by_phone (void)
{
  run_app (NULL, duplicate_by_phone_flow, NULL);
}

/* Editing a person never offers anyone, even one of a near name: only a new one is checked. */
static void
duplicate_not_on_edit_flow (Flow *f)
{
  g_autoptr (DftRecord) aybek = person_named (f->store, "Айбек", "Садыков", "Border Service");
  g_autoptr (DftRecord) aibek = person_named (f->store, "Aibek", "Sadykov", "Border Service");
  g_autofree char      *event_id = new_workshop (f, "Cyber investigations, Bishkek");
  g_autoptr (DftRecord) enrollment = NULL;
  g_autoptr (GError)    error = NULL;
  GtkWidget            *participants = dft_ui_test_show_view (f->window, "participants");
  DftPersonDialog      *dialog;

  enrollment
      = dft_people_enroll (f->store, event_id, dft_record_get_id (aibek), "participant", &error);
  g_assert_nonnull (enrollment);
  g_assert_no_error (error);
  dialog = dft_person_dialog_new (f->store, event_id, aibek, "participant");
  gtk_window_present (GTK_WINDOW (dialog));
  dft_test_wait_until (dft_ui_test_drawn, dialog, "the edit dialog to show");
  /* The given name retyped as in the other record, the family name touched. */
  dft_xkeys_press (GTK_WINDOW (dialog), (const char *[]){ "ctrl+a", "BackSpace", NULL });
  dft_xkeys_type (GTK_WINDOW (dialog), "Aybek");
  dft_xkeys_press (GTK_WINDOW (dialog), (const char *[]){ "Tab", "End", "x", "BackSpace", NULL });
  dft_test_settle (1500);
  g_assert_false (gtk_widget_get_visible (duplicates_box (dialog)));
  dft_ui_test_close_and_check_finalized (dialog);

  /* The control: the same names in a new person's dialog offer both. */
  dialog = open_add_dialog (participants);
  type_names (dialog, "Aybek", "Sadikov");
  dft_test_wait_until (offer_shown, &(OfferWait){ dialog, "Айбек Садыков" },
                       "the control: Айбек Садыков offered");
  dft_ui_test_close_and_check_finalized (dialog);
}

static void
test_duplicate_not_on_edit (void)
{
  run_app (NULL, duplicate_not_on_edit_flow, NULL);
}

int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);
  /* The server built beside this test, unless the environment names one. */
  g_setenv ("DAFTARI_SERVER", DAFTARI_SERVER_PATH, FALSE);
  if (g_getenv ("DAFTARI_TODAY") == NULL)
    g_setenv ("DAFTARI_TODAY", "2026-05-04", TRUE);
  /* Whatever network this machine has, GIO's plain monitor says there is one: an "offline"
   * state then comes only from the server this test stops. */
  g_setenv ("GIO_USE_NETWORK_MONITOR", "base", TRUE);
  /* The windows draw with cairo (GSK_RENDERER); without this GDK still probes GL, and Mesa's
   * driver, loaded and unloaded again, leaves an allocation LeakSanitizer cannot name or
   * suppress. */
  if (g_getenv ("GDK_DEBUG") == NULL)
    g_setenv ("GDK_DEBUG", "gl-disable", TRUE);
  shots = g_getenv ("DAFTARI_SCREENSHOTS");
  /* Screenshots in the language LANGUAGE names, from the catalogs in DAFTARI_LOCALEDIR. */
  if (shots != NULL)
    dft_application_setup_locale ();
  gtk_init ();
  adw_init ();

  g_test_add_func ("/ui-flows/sync/now", test_sync_now);
  g_test_add_func ("/ui-flows/sync/server-down", test_sync_server_down);
  g_test_add_func ("/ui-flows/sync/conflict", test_sync_conflict);
  g_test_add_func ("/ui-flows/bundle/round-trip", test_bundle_round_trip);
  g_test_add_func ("/ui-flows/import-dialog/mapping-and-bad-row", test_import_dialog);
  g_test_add_func ("/ui-flows/participants/remove-undo", test_remove_undo);
  g_test_add_func ("/ui-flows/participants/search-hint", test_search_hint);
  g_test_add_func ("/ui-flows/person-dialog/country-email-phone", test_country_contacts);
  g_test_add_func ("/ui-flows/person-dialog/similar-name-offered", test_duplicate_offer);
  g_test_add_func ("/ui-flows/person-dialog/similar-name-not-on-edit", test_duplicate_not_on_edit);
  g_test_add_func ("/ui-flows/person-dialog/similar-name-and-phone", test_duplicate_by_phone);
  return g_test_run ();
}
