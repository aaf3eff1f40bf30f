/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "dft-application.h"
#include "dft-attendance-view.h"
#include "dft-participants-view.h"
#include "dft-person-dialog.h"
#include "dft-suggest.h"
#include "dft-preferences-window.h"
#include "dft-report.h"
#include "dft-summary-view.h"
#include "dft-ui-util.h"
#include "dft-test-util.h"
#include "dft-ui-find.h"
#include "dft-ui-test-util.h"
#include "dft-window.h"
#include "dft-workshop-dialog.h"
#include "dft-workshop-page.h"
#include "dft-xkeys.h"
#include "dft-form-filler.h"

/*
 * Drives the real windows through their actions, as menus, shortcuts and
 * buttons do, under a headless display; then checks what reached the store
 * and that every window is finalized when closed. With --screenshots DIR it
 * instead opens the sample workshops and saves a PNG of each main screen.
 */

#define TEST_APP_ID "org.daftari.Daftari.Test"

/* ---- The scenario ------------------------------------------------------ */

static gboolean
no_dialog (gpointer data)
{
  return dft_ui_test_find_toplevel (GPOINTER_TO_SIZE (data)) == NULL;
}

static void
add_person (GtkWidget *participants, const char *given, const char *family, const char *gender)
{
  DftPersonDialog *dialog;

  g_assert_true (gtk_widget_activate_action (participants, "participants.add", NULL));
  dialog = dft_ui_test_find_toplevel (DFT_TYPE_PERSON_DIALOG);
  g_assert_nonnull (dialog);
  dft_person_dialog_set_field (dialog, "given_name", given);
  dft_person_dialog_set_field (dialog, "family_name", family);
  dft_person_dialog_set_field (dialog, "gender", gender);
  dft_person_dialog_set_field (dialog, "agency", "Financial Intelligence Unit");
  dft_person_dialog_set_field (dialog, "country", "KG");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.save", NULL));
  dft_test_wait_until (no_dialog, GSIZE_TO_POINTER (DFT_TYPE_PERSON_DIALOG),
                       "the person dialog to close");
}

static gboolean
summary_ready (gpointer data)
{
  const DftEventReport *report = dft_summary_view_get_report (data);

  return report != NULL && !dft_summary_view_get_loading (data) && report->late == 1;
}

static void
workshop_flow (DftApplication *app, DftWindow *window, gpointer data)
{
  DftWorkshopDialog    *dialog;
  GtkWidget            *participants, *attendance, *summary;
  DftRecord            *event;
  GListModel           *people, *sessions;
  const char           *session0;
  g_autofree char      *person1 = NULL;
  const DftEventReport *report;
  DftStore             *store;

  store = dft_application_get_store (app);
  dft_ui_test_wait_mode (window, "welcome", FALSE);

  /* A workshop: first with wrong dates, which the dialog refuses next to the field. */
  g_action_group_activate_action (G_ACTION_GROUP (window), "new-workshop", NULL);
  dialog = dft_ui_test_find_toplevel (DFT_TYPE_WORKSHOP_DIALOG);
  g_assert_nonnull (dialog);
  dft_workshop_dialog_set_field (dialog, "title", "Financial investigations, Osh");
  dft_workshop_dialog_set_field (dialog, "start_date", "2026-05-04");
  dft_workshop_dialog_set_field (dialog, "end_date", "2026-05-02");
  dft_workshop_dialog_set_field (dialog, "country", "KG");
  dft_workshop_dialog_set_field (dialog, "track", "NAPOR");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.save", NULL));
  dft_test_settle (100);
  g_assert_true (dft_ui_test_find_toplevel (DFT_TYPE_WORKSHOP_DIALOG) == dialog);
  g_assert_false (dft_workshop_dialog_validate (dialog));
  dft_workshop_dialog_set_field (dialog, "start_date", "2026-13-04");
  g_assert_false (dft_workshop_dialog_validate (dialog));
  dft_workshop_dialog_set_field (dialog, "start_date", "2026-05-04");
  dft_workshop_dialog_set_field (dialog, "end_date", "2026-05-06");
  g_assert_true (dft_workshop_dialog_validate (dialog));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.save", NULL));
  dft_test_wait_until (no_dialog, GSIZE_TO_POINTER (DFT_TYPE_WORKSHOP_DIALOG),
                       "the workshop dialog to close");
  dft_ui_test_wait_mode (window, "main", TRUE);
  event = dft_window_get_event (window);
  g_assert_cmpstr (dft_record_get_string (event, "title"), ==, "Financial investigations, Osh");
  g_assert_cmpstr (dft_record_get_string (event, "end_date"), ==, "2026-05-06");

  /* Three people, in three scripts. */
  participants = dft_ui_test_show_view (window, "participants");
  add_person (participants, "Айбек", "Токтогулов", "male");
  add_person (participants, "გიორგი", "ბერიძე", "male");
  add_person (participants, "Amina", "Yusuf", "female");
  people = dft_participants_view_get_people (DFT_PARTICIPANTS_VIEW (participants));
  dft_ui_test_wait_n_items (people, 3, "three people on the roster");

  /* Search in any script: "aibek" finds Айбек. */
  dft_participants_view_set_search (DFT_PARTICIPANTS_VIEW (participants), "aibek");
  dft_ui_test_wait_n_items (people, 1, "the search to find Айбек");
  {
    g_autoptr (DftRecord) found = g_list_model_get_item (people, 0);
    g_assert_cmpstr (dft_record_get_string (found, "given_name"), ==, "Айбек");
  }
  dft_participants_view_set_search (DFT_PARTICIPANTS_VIEW (participants), "");
  dft_ui_test_wait_n_items (people, 3, "the roster after the search");

  /* Attendance: everyone present in the first session, then one of them late. */
  attendance = dft_ui_test_show_view (window, "attendance");
  sessions = dft_attendance_view_get_sessions (DFT_ATTENDANCE_VIEW (attendance));
  dft_ui_test_wait_n_items (sessions, 6, "six half-day sessions");
  {
    g_autoptr (DftRecord) first = g_list_model_get_item (sessions, 0);
    g_autoptr (DftRecord) someone = g_list_model_get_item (
        dft_attendance_view_get_people (DFT_ATTENDANCE_VIEW (attendance)), 1);
    session0 = g_intern_string (dft_record_get_id (first));
    person1 = g_strdup (dft_record_get_id (someone));
  }
  /* DAFTARI_TODAY is the first day: its morning has the focus. */
  g_assert_cmpstr (dft_attendance_view_get_focus_session (DFT_ATTENDANCE_VIEW (attendance)), ==,
                   session0);
  g_assert_true (gtk_widget_activate_action (attendance, "attendance.mark-all-present", NULL));
  dft_ui_test_wait_attendance (store, dft_record_get_id (event), 3, 0, "everyone marked present");
  g_assert_true (gtk_widget_activate_action (attendance, "attendance.set-status", "(sss)", session0,
                                             person1, "late"));
  g_assert_cmpstr (
      dft_attendance_view_get_status (DFT_ATTENDANCE_VIEW (attendance), session0, person1), ==,
      "late");
  dft_ui_test_wait_attendance (store, dft_record_get_id (event), 2, 1, "one person marked late");

  /* The summary's figures. */
  summary = dft_ui_test_show_view (window, "summary");
  dft_test_wait_until (summary_ready, summary, "the summary's figures");
  report = dft_summary_view_get_report (DFT_SUMMARY_VIEW (summary));
  g_assert_cmpuint (report->n_people, ==, 3);
  g_assert_cmpuint (report->n_sessions, ==, 6);
  g_assert_cmpuint (report->present, ==, 2);
  g_assert_cmpuint (report->late, ==, 1);
  g_assert_cmpfloat_with_epsilon (report->attendance_rate, 3.0 / 18.0, 1e-9);
  g_assert_cmpuint (((DftReportCount *) report->genders->pdata[0])->count, ==, 1); /* female */
  g_assert_cmpuint (((DftReportCount *) report->genders->pdata[1])->count, ==, 2); /* male */

  /* Preferences: a new language is stored and a restart offered. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  {
    DftPreferencesWindow *prefs = dft_ui_test_find_toplevel (DFT_TYPE_PREFERENCES_WINDOW);
    AdwMessageDialog     *question;
    g_autofree char      *language = NULL;

    g_assert_nonnull (prefs);
    dft_preferences_window_select_language (prefs, "ru");
    language = g_settings_get_string (dft_application_get_settings (app), "language");
    g_assert_cmpstr (language, ==, "ru");
    question = dft_ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
    g_assert_nonnull (question);
    adw_message_dialog_response (question, "later");
    /* A button click closes the dialog after its response; emitting the response does not. */
    dft_ui_test_close_and_check_finalized (question);
    dft_ui_test_close_and_check_finalized (prefs);
  }

  /* The about window. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  {
    GtkWindow *about = dft_ui_test_find_toplevel (ADW_TYPE_ABOUT_WINDOW);
    g_assert_nonnull (about);
    dft_ui_test_close_and_check_finalized (about);
  }
}

static void
test_workshop_flow (void)
{
  dft_ui_test_run_app (TEST_APP_ID, NULL, workshop_flow, NULL);
}

/* ---- Dialogs opened before a sync -------------------------------------- */

/* Everything @from holds that @to has not, as a sync would bring it. */
static void
bring (DftStore *from, DftStore *to)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) log
      = dft_store_read_log (from, 0, 0, NULL, dft_store_get_device_id (to), &error);

  g_assert_no_error (error);
  g_assert_true (dft_store_apply_changes (to, log, NULL, &error));
  g_assert_no_error (error);
}

static void
save_on (DftStore *store, const DftEntity *entity, const char *id, const char *const *pairs)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) record = dft_store_load (store, entity, id, &error);

  g_assert_no_error (error);
  for (guint i = 0; pairs[i] != NULL; i += 2)
    dft_record_set_string (record, pairs[i], pairs[i + 1]);
  g_assert_true (dft_store_save (store, record, &error));
  g_assert_no_error (error);
}

/*
 * The Edit Person and Edit Workshop dialogs are open while a background sync
 * brings another device's phone, email, venue and notes. Saving the dialogs
 * sends only what the user changed: what the sync brought stands, and where
 * the user changed the same field (the email) the other device's value is kept
 * as a conflict, not blanked or overwritten without a trace.
 */
static void
stale_dialogs_flow (DftApplication *app, DftWindow *window, gpointer data)
{
  DftStore             *store = dft_application_get_store (app);
  g_autofree char      *dir = dft_test_make_dir ();
  g_autoptr (DftStore)  other = dft_test_open_replica (dir, "other.db");
  g_autoptr (DftRecord) event
      = dft_test_add_event (store, "Border control", "2026-05-04", "2026-05-05");
  g_autoptr (DftRecord) person = dft_test_add_person (store, "Айгүл", "Токтогулова");
  g_autoptr (DftRecord) enrollment = NULL;
  g_autoptr (DftRecord) held = NULL;
  g_autoptr (GPtrArray) conflicts = NULL;
  g_autoptr (GError)    error = NULL;
  const char           *person_id = dft_record_get_id (person);
  const char           *event_id = dft_record_get_id (event);
  DftPersonDialog      *person_dialog;
  DftWorkshopDialog    *workshop_dialog;

  enrollment = dft_store_enroll (store, event_id, person_id, "participant", &error);
  g_assert_no_error (error);
  bring (store, other);

  person_dialog = dft_person_dialog_new (store, event_id, person, "participant");
  gtk_window_present (GTK_WINDOW (person_dialog));
  workshop_dialog = dft_workshop_dialog_new (store, event);
  gtk_window_present (GTK_WINDOW (workshop_dialog));

  save_on (other, &dft_entity_person, person_id,
           (const char *const[]){ "phone", "+996555100200", "email", "aigul@example.org", NULL });
  save_on (other, &dft_entity_event, event_id,
           (const char *const[]){ "venue", "Hotel Ak-Say", "notes", "Bring passports", NULL });
  bring (other, store);

  dft_person_dialog_set_field (person_dialog, "agency", "Border Service");
  dft_person_dialog_set_field (person_dialog, "email", "a.toktogulova@example.org");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (person_dialog), "dialog.save", NULL));
  dft_test_wait_until (no_dialog, GSIZE_TO_POINTER (DFT_TYPE_PERSON_DIALOG),
                       "the person dialog to close");
  dft_workshop_dialog_set_field (workshop_dialog, "title", "Border control, Osh");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (workshop_dialog), "dialog.save", NULL));
  dft_test_wait_until (no_dialog, GSIZE_TO_POINTER (DFT_TYPE_WORKSHOP_DIALOG),
                       "the workshop dialog to close");

  held = dft_store_load (store, &dft_entity_person, person_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dft_record_get_string (held, "phone"), ==, "+996555100200");
  g_assert_cmpstr (dft_record_get_string (held, "agency"), ==, "Border Service");
  g_assert_cmpstr (dft_record_get_string (held, "email"), ==, "a.toktogulova@example.org");
  conflicts = dft_test_conflicts_about (store, person_id, "email");
  g_assert_cmpuint (conflicts->len, ==, 1);
  g_assert_cmpstr (dft_record_get_string (g_ptr_array_index (conflicts, 0), "lost_value"), ==,
                   "\"aigul@example.org\"");
  g_clear_object (&held);
  held = dft_store_load (store, &dft_entity_event, event_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dft_record_get_string (held, "title"), ==, "Border control, Osh");
  g_assert_cmpstr (dft_record_get_string (held, "venue"), ==, "Hotel Ak-Say");
  g_assert_cmpstr (dft_record_get_string (held, "notes"), ==, "Bring passports");

  /* What the dialogs saved reaches the other device the same way. */
  bring (store, other);
  {
    g_autofree char *here = dft_test_dump_records (store);
    g_autofree char *there = dft_test_dump_records (other);
    g_assert_cmpstr (there, ==, here);
  }
  dft_test_release_store (g_steal_pointer (&other));
  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_stale_dialogs (void)
{
  dft_ui_test_run_app (TEST_APP_ID, NULL, stale_dialogs_flow, NULL);
}

/* ---- Dialogs by keyboard --------------------------------------------------- */

/* The last widget of @type inside @w, in the order of the tree. */
static GtkWidget *
last_of_type (GtkWidget *w, GType type)
{
  GtkWidget *found = G_TYPE_CHECK_INSTANCE_TYPE (w, type) ? w : NULL;

  for (GtkWidget *c = gtk_widget_get_first_child (w); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *inner = last_of_type (c, type);

      if (inner != NULL)
        found = inner;
    }
  return found;
}

static void
press_keys (gpointer window, const char *key)
{
  dft_xkeys_press (GTK_WINDOW (window), (const char *[]){ key, NULL });
}

static gboolean
notes_saved (gpointer data)
{
  DftWindow *window = data;
  DftRecord *event = dft_window_get_event (window);

  return event != NULL
         && g_strcmp0 (dft_record_get_string (event, "notes"), "Bring passports") == 0;
}

/*
 * New Workshop and Add Person typed like a person would: Enter in a field saves when the form
 * is right (and, when it is not, keeps the dialog open with what is wrong), Ctrl+Enter saves
 * from anywhere in the dialog, whatever has the focus.
 */
static void
dialog_keys (DftApplication *app, DftWindow *window, gpointer data)
{
  DftWorkshopDialog *workshop;
  DftPersonDialog   *person;
  GtkWidget         *participants;
  GListModel        *people;
  DftRecord         *event;

  dft_ui_test_wait_mode (window, "welcome", FALSE);
  g_action_group_activate_action (G_ACTION_GROUP (window), "new-workshop", NULL);
  workshop = dft_ui_test_find_toplevel (DFT_TYPE_WORKSHOP_DIALOG);
  g_assert_nonnull (workshop);
  dft_workshop_dialog_set_field (workshop, "start_date", "2026-05-04");
  dft_workshop_dialog_set_field (workshop, "end_date", "2026-05-06");
  /* The title is missing: Enter shows why and saves nothing. */
  press_keys (workshop, "Return");
  g_assert_true (dft_ui_test_find_toplevel (DFT_TYPE_WORKSHOP_DIALOG) == workshop);
  g_assert_false (dft_workshop_dialog_validate (workshop));
  dft_xkeys_type (GTK_WINDOW (workshop), "Border control");
  press_keys (workshop, "Return");
  dft_test_wait_until (no_dialog, GSIZE_TO_POINTER (DFT_TYPE_WORKSHOP_DIALOG),
                       "Enter to save the workshop");
  dft_ui_test_wait_mode (window, "main", TRUE);
  event = dft_window_get_event (window);
  g_assert_cmpstr (dft_record_get_string (event, "title"), ==, "Border control");

  /* Ctrl+Enter with the focus on the last field. */
  g_action_group_activate_action (G_ACTION_GROUP (window), "edit-workshop", NULL);
  workshop = dft_ui_test_find_toplevel (DFT_TYPE_WORKSHOP_DIALOG);
  g_assert_nonnull (workshop);
  dft_workshop_dialog_set_field (workshop, "notes", "Bring passports");
  gtk_widget_grab_focus (last_of_type (GTK_WIDGET (workshop), ADW_TYPE_ENTRY_ROW));
  press_keys (workshop, "ctrl+Return");
  dft_test_wait_until (no_dialog, GSIZE_TO_POINTER (DFT_TYPE_WORKSHOP_DIALOG),
                       "Ctrl+Enter to save the workshop");
  dft_test_wait_until (notes_saved, window, "the notes saved");

  /* Add Person: the given name typed, Enter in the field saves. */
  participants = dft_ui_test_show_view (window, "participants");
  people = dft_participants_view_get_people (DFT_PARTICIPANTS_VIEW (participants));
  g_assert_true (gtk_widget_activate_action (participants, "participants.add", NULL));
  person = dft_ui_test_find_toplevel (DFT_TYPE_PERSON_DIALOG);
  g_assert_nonnull (person);
  dft_person_dialog_set_field (person, "family_name", "Токтогулова");
  dft_xkeys_type (GTK_WINDOW (person), "Aigul");
  press_keys (person, "Return");
  dft_test_wait_until (no_dialog, GSIZE_TO_POINTER (DFT_TYPE_PERSON_DIALOG),
                       "Enter to save the person");
  dft_ui_test_wait_n_items (people, 1, "the person added by Enter");

  /* Ctrl+Enter on the consent switch, not in a field. */
  g_assert_true (gtk_widget_activate_action (participants, "participants.add", NULL));
  person = dft_ui_test_find_toplevel (DFT_TYPE_PERSON_DIALOG);
  g_assert_nonnull (person);
  dft_person_dialog_set_field (person, "given_name", "Amina");
  dft_person_dialog_set_field (person, "family_name", "Yusuf");
  gtk_widget_grab_focus (last_of_type (GTK_WIDGET (person), GTK_TYPE_SWITCH));
  press_keys (person, "ctrl+Return");
  dft_test_wait_until (no_dialog, GSIZE_TO_POINTER (DFT_TYPE_PERSON_DIALOG),
                       "Ctrl+Enter to save the person");
  dft_ui_test_wait_n_items (people, 2, "the person added by Ctrl+Enter");
}

static void
test_dialog_keys (void)
{
  dft_ui_test_run_app (TEST_APP_ID, NULL, dialog_keys, NULL);
}

/* ---- Issue 14, defect 7: agencies the team already wrote ------------------------------------ */

typedef struct
{
  GtkWidget         *row;
  const char *const *expected;
} ShownWait;

typedef struct
{
  GtkWidget  *editable;
  const char *text;
} TextWait;

/* Keys typed with xdotool reach GTK when the loop reads them, later on a loaded machine. */
static gboolean
text_is (gpointer data)
{
  TextWait *w = data;

  return g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (w->editable)), w->text) == 0;
}

static void
wait_text (GtkWidget *editable, const char *text)
{
  dft_test_wait_until (text_is, &(TextWait){ editable, text }, "the keys typed");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (editable)), ==, text);
}

static gboolean
suggestions_are (gpointer data)
{
  ShownWait     *w = data;
  g_auto (GStrv) shown = dft_suggest_get_shown (w->row);

  if (w->expected == NULL)
    return shown == NULL;
  return shown != NULL && g_strv_equal ((const char *const *) shown, w->expected);
}

static GtkWidget *
person_row (DftPersonDialog *dialog, const char *name)
{
  GObject *row = gtk_widget_get_template_child (GTK_WIDGET (dialog), DFT_TYPE_PERSON_DIALOG, name);

  g_assert_nonnull (row);
  return GTK_WIDGET (row);
}

/*
 * The agency typed in part offers the agencies the register already holds that contain it,
 * the most used first; Down and Enter take one (and do not save the dialog); a value nobody
 * used is typed as it is. Keys through the X server.
 */
static void
agency_suggestions (DftApplication *app, DftWindow *window, gpointer data)
{
  DftStore             *store = dft_application_get_store (app);
  g_autoptr (DftRecord) event
      = dft_test_add_event (store, "Border control", "2026-05-04", "2026-05-05");
  const char       *agencies[] = { "State Financial Intelligence Service", "Prosecutor's Office",
                                   "State Customs Service", "State Financial Intelligence Service" };
  const char *const state[]
      = { "State Financial Intelligence Service", "State Customs Service", NULL };
  const char *const customs[] = { "State Customs Service", NULL };
  GtkWidget        *participants, *agency;
  DftPersonDialog  *person;

  for (guint i = 0; i < G_N_ELEMENTS (agencies); i++)
    {
      g_autoptr (DftRecord) p = dft_test_add_person (store, "Person", agencies[i]);
      g_autoptr (GError)    error = NULL;

      dft_record_set_string (p, "agency", agencies[i]);
      g_assert_true (dft_store_save (store, p, &error));
      g_assert_no_error (error);
    }
  g_action_group_activate_action (G_ACTION_GROUP (window), "open-workshop",
                                  g_variant_new_string (dft_record_get_id (event)));
  dft_ui_test_wait_mode (window, "main", TRUE);
  participants = dft_ui_test_show_view (window, "participants");
  g_assert_true (gtk_widget_activate_action (participants, "participants.add", NULL));
  person = dft_ui_test_find_toplevel (DFT_TYPE_PERSON_DIALOG);
  g_assert_nonnull (person);
  dft_person_dialog_set_field (person, "given_name", "Aigul");
  dft_person_dialog_set_field (person, "family_name", "Toktogulova");
  agency = person_row (person, "agency_row");

  gtk_widget_grab_focus (agency);
  dft_xkeys_type (GTK_WINDOW (person), "state");
  dft_test_wait_until (suggestions_are, &(ShownWait){ agency, state },
                       "the two State agencies, the most used first");
  dft_xkeys_type (GTK_WINDOW (person), " cu");
  dft_test_wait_until (suggestions_are, &(ShownWait){ agency, customs }, "the customs service");
  press_keys (person, "Down");
  press_keys (person, "Return");
  wait_text (agency, "State Customs Service");
  g_assert_true (suggestions_are (&(ShownWait){ agency, NULL }));
  g_assert_true (dft_ui_test_find_toplevel (DFT_TYPE_PERSON_DIALOG) == person);

  /* Escape closes the list and not the dialog; a new agency is kept as typed. */
  gtk_editable_set_text (GTK_EDITABLE (agency), "");
  dft_xkeys_type (GTK_WINDOW (person), "Pros");
  dft_test_wait_until (suggestions_are,
                       &(ShownWait){ agency, (const char *const[]){ "Prosecutor's Office", NULL } },
                       "the prosecutor's office");
  press_keys (person, "Escape");
  g_assert_true (suggestions_are (&(ShownWait){ agency, NULL }));
  g_assert_true (dft_ui_test_find_toplevel (DFT_TYPE_PERSON_DIALOG) == person);
  dft_xkeys_type (GTK_WINDOW (person), "ecutor General");
  wait_text (agency, "Prosecutor General");
  dft_ui_test_close_and_check_finalized (person);
}

static void
test_agency_suggestions (void)
{
  dft_ui_test_run_app (TEST_APP_ID, NULL, agency_suggestions, NULL);
}

/* ---- Shortcuts ------------------------------------------------------------ */

static const char *
shown_view (DftWindow *window)
{
  AdwViewStack *stack = dft_workshop_page_get_view_stack (
      DFT_WORKSHOP_PAGE (dft_window_get_workshop_page (window)));

  return adw_view_stack_get_visible_child_name (stack);
}

/* Alt and a digit, typed on the keyboard, show each of the workshop's five views. */
static void
view_keys (DftApplication *app, DftWindow *window, gpointer data)
{
  static const char *const order[][2]
      = { { "alt+4", "tests" },      { "alt+1", "participants" }, { "alt+5", "evaluations" },
          { "alt+2", "attendance" }, { "alt+3", "summary" },      { "alt+4", "tests" } };
  g_autoptr (DftRecord) event = dft_test_add_event (dft_application_get_store (app),
                                                    "Border control", "2026-05-04", "2026-05-05");

  dft_ui_test_wait_mode (window, "main", FALSE);
  g_action_group_activate_action (G_ACTION_GROUP (window), "open-workshop",
                                  g_variant_new_string (dft_record_get_id (event)));
  dft_ui_test_wait_mode (window, "main", TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      dft_xkeys_press (GTK_WINDOW (window), (const char *[]){ order[i][0], NULL });
      g_assert_cmpstr (shown_view (window), ==, order[i][1]);
    }
}

static void
test_view_keys (void)
{
  dft_ui_test_run_app (TEST_APP_ID, NULL, view_keys, NULL);
}

/* A key with its modifiers, as a shortcut compares them: the keypad's Enter is Enter. */
static char *
accel_key (guint keyval, GdkModifierType mods)
{
  keyval = gdk_keyval_to_lower (keyval);
  if (keyval == GDK_KEY_KP_Enter || keyval == GDK_KEY_ISO_Enter)
    keyval = GDK_KEY_Return;
  return gtk_accelerator_name (keyval, mods & gtk_accelerator_get_default_mod_mask ());
}

static void
add_accel (GHashTable *set, const char *accel, const char *source)
{
  guint           keyval = 0;
  GdkModifierType mods = 0;

  g_assert_true (gtk_accelerator_parse (accel, &keyval, &mods));
  g_hash_table_insert (set, accel_key (keyval, mods), g_strdup (source));
}

/* The keys @trigger answers to, one or alternatives. */
static void
add_trigger (GHashTable *set, GtkShortcutTrigger *trigger, const char *source)
{
  if (GTK_IS_ALTERNATIVE_TRIGGER (trigger))
    {
      add_trigger (set, gtk_alternative_trigger_get_first (GTK_ALTERNATIVE_TRIGGER (trigger)),
                   source);
      add_trigger (set, gtk_alternative_trigger_get_second (GTK_ALTERNATIVE_TRIGGER (trigger)),
                   source);
    }
  else if (GTK_IS_KEYVAL_TRIGGER (trigger))
    g_hash_table_insert (
        set,
        accel_key (gtk_keyval_trigger_get_keyval (GTK_KEYVAL_TRIGGER (trigger)),
                   gtk_keyval_trigger_get_modifiers (GTK_KEYVAL_TRIGGER (trigger))),
        g_strdup (source));
}

/* Every key @w and the widgets inside it of Daftari's own types (not GTK's, whose editing
 * keys are GTK's to document) answer through a shortcut: their classes' key bindings. */
static void
collect_widget_accels (GtkWidget *w, GHashTable *set)
{
  if (g_str_has_prefix (G_OBJECT_TYPE_NAME (w), "Dft"))
    {
      g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (w);

      for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
        {
          g_autoptr (GObject) controller = g_list_model_get_item (controllers, i);

          if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
            continue;
          for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
            {
              g_autoptr (GtkShortcut) shortcut
                  = g_list_model_get_item (G_LIST_MODEL (controller), j);
              GtkShortcutTrigger *trigger = gtk_shortcut_get_trigger (shortcut);
              g_autofree char    *action
                  = gtk_shortcut_action_to_string (gtk_shortcut_get_action (shortcut));
              g_autofree char *source = g_strdup_printf ("%s %s", G_OBJECT_TYPE_NAME (w), action);

              /* Actions by name are ours; signals and callbacks are the parent classes' (the
               * window's own focus keys). */
              if (GTK_IS_NAMED_ACTION (gtk_shortcut_get_action (shortcut)))
                add_trigger (set, trigger, source);
            }
        }
    }
  for (GtkWidget *c = gtk_widget_get_first_child (w); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    collect_widget_accels (c, set);
}

static void
collect_listed (GObject *object, GtkApplication *app, GHashTable *listed)
{
  if (GTK_IS_SHORTCUTS_SHORTCUT (object))
    {
      g_autofree char *accelerator = NULL, *action = NULL;

      g_object_get (object, "accelerator", &accelerator, "action-name", &action, NULL);
      if (action != NULL)
        {
          g_auto (GStrv) accels = gtk_application_get_accels_for_action (app, action);

          for (guint i = 0; accels[i] != NULL; i++)
            add_accel (listed, accels[i], action);
        }
      if (accelerator != NULL)
        {
          g_auto (GStrv) accels = g_strsplit (accelerator, " ", -1);

          for (guint i = 0; accels[i] != NULL; i++)
            if (*accels[i] != '\0')
              add_accel (listed, accels[i], accelerator);
        }
    }
  if (GTK_IS_WIDGET (object))
    for (GtkWidget *c = gtk_widget_get_first_child (GTK_WIDGET (object)); c != NULL;
         c = gtk_widget_get_next_sibling (c))
      collect_listed (G_OBJECT (c), app, listed);
}

/*
 * The shortcuts window lists every shortcut there is: each accelerator the application sets
 * for an action, and each key binding of Daftari's own widgets on the main window, the form
 * filler and the two dialogs. A shortcut added later without a listing fails here.
 */
static void
shortcuts_listed (DftApplication *app, DftWindow *window, gpointer data)
{
  g_autoptr (GHashTable) have = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GHashTable) listed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto (GStrv)         actions = gtk_application_list_action_descriptions (GTK_APPLICATION (app));
  GtkShortcutsWindow    *overlay
      = gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window));
  g_autoptr (DftRecord) event = dft_test_add_event (dft_application_get_store (app),
                                                    "Border control", "2026-05-04", "2026-05-05");
  GtkWidget            *others[3];
  GHashTableIter        iter;
  gpointer              key, value;
  g_autoptr (GString)   missing = g_string_new (NULL);

  g_assert_nonnull (overlay);
  for (guint i = 0; actions[i] != NULL; i++)
    {
      g_auto (GStrv) accels
          = gtk_application_get_accels_for_action (GTK_APPLICATION (app), actions[i]);

      for (guint j = 0; accels[j] != NULL; j++)
        add_accel (have, accels[j], actions[i]);
    }
  g_assert_cmpuint (g_hash_table_size (have), >=, 10);

  dft_ui_test_wait_mode (window, "main", FALSE);
  g_action_group_activate_action (G_ACTION_GROUP (window), "open-workshop",
                                  g_variant_new_string (dft_record_get_id (event)));
  dft_ui_test_wait_mode (window, "main", TRUE);
  collect_widget_accels (GTK_WIDGET (window), have);
  others[0] = g_object_ref_sink (dft_form_filler_new (dft_application_get_store (app)));
  others[1] = GTK_WIDGET (dft_workshop_dialog_new (dft_application_get_store (app), NULL));
  others[2] = GTK_WIDGET (dft_person_dialog_new (dft_application_get_store (app),
                                                 dft_record_get_id (event), NULL, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (others); i++)
    collect_widget_accels (others[i], have);

  collect_listed (G_OBJECT (overlay), GTK_APPLICATION (app), listed);
  g_hash_table_iter_init (&iter, have);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (listed, key))
      g_string_append_printf (missing, " %s (%s);", (char *) key, (char *) value);
  if (missing->len > 0)
    g_error ("Shortcuts missing from the shortcuts window:%s", missing->str);

  g_object_unref (others[0]);
  gtk_window_destroy (GTK_WINDOW (others[1]));
  gtk_window_destroy (GTK_WINDOW (others[2]));
}

static void
test_shortcuts_listed (void)
{
  dft_ui_test_run_app (TEST_APP_ID, NULL, shortcuts_listed, NULL);
}

/* ---- Screenshots ------------------------------------------------------- */

static gboolean
widget_visible (gpointer data)
{
  return gtk_widget_get_visible (data);
}

static void
take_screenshots (DftApplication *app, DftWindow *window, gpointer data)
{
  const char *dir = data;

  g_mkdir_with_parents (dir, 0755);
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 720);
  dft_ui_test_wait_mode (window, "welcome", FALSE);
  dft_ui_test_screenshot (GTK_WIDGET (window), dir, "welcome.png");

  g_action_group_activate_action (G_ACTION_GROUP (window), "load-sample", NULL);
  dft_ui_test_wait_mode (window, "main", FALSE);
  dft_test_settle (500);
  {
    GListModel           *events = dft_store_list_events (dft_application_get_store (app));
    g_autoptr (DftRecord) tbilisi = NULL;

    dft_record_list_reload_sync (DFT_RECORD_LIST (events), NULL);
    for (guint i = 0; i < g_list_model_get_n_items (events) && tbilisi == NULL; i++)
      {
        g_autoptr (DftRecord) e = g_list_model_get_item (events, i);
        if (g_strcmp0 (dft_record_get_string (e, "city"), "Tbilisi") == 0)
          tbilisi = g_steal_pointer (&e);
      }
    g_assert_nonnull (tbilisi);
    g_action_group_activate_action (G_ACTION_GROUP (window), "open-workshop",
                                    g_variant_new_string (dft_record_get_id (tbilisi)));
    g_object_unref (events);
  }
  dft_ui_test_wait_mode (window, "main", TRUE);
  dft_ui_test_show_view (window, "participants");
  dft_ui_test_screenshot (GTK_WIDGET (window), dir, "participants.png");
  dft_ui_test_show_view (window, "attendance");
  dft_ui_test_screenshot (GTK_WIDGET (window), dir, "attendance.png");
  dft_ui_test_show_view (window, "summary");
  dft_ui_test_screenshot (GTK_WIDGET (window), dir, "summary.png");

  /* A phone-sized window: the list and the page fold into one column. */
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 720);
  dft_test_settle (500);
  dft_ui_test_show_view (window, "attendance");
  dft_ui_test_screenshot (GTK_WIDGET (window), dir, "narrow-attendance.png");
  g_action_group_activate_action (G_ACTION_GROUP (window), "go-back", NULL);
  dft_ui_test_screenshot (GTK_WIDGET (window), dir, "narrow-workshops.png");
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 720);

  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  {
    GtkWidget *prefs = dft_ui_test_find_toplevel (DFT_TYPE_PREFERENCES_WINDOW);
    dft_ui_test_screenshot (prefs, dir, "preferences.png");
    gtk_window_destroy (GTK_WINDOW (prefs));
  }
  g_action_group_activate_action (G_ACTION_GROUP (window), "new-workshop", NULL);
  {
    DftWorkshopDialog *dialog = dft_ui_test_find_toplevel (DFT_TYPE_WORKSHOP_DIALOG);
    dft_workshop_dialog_set_field (dialog, "title", "");
    dft_workshop_dialog_set_field (dialog, "start_date", "2026-05-04");
    dft_workshop_dialog_set_field (dialog, "end_date", "2026-05-01");
    gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.save", NULL);
    dft_ui_test_screenshot (GTK_WIDGET (dialog), dir, "workshop-dialog.png");
    gtk_window_destroy (GTK_WINDOW (dialog));
  }
  /* Registering Айбек Абдыкадыров of the Bishkek workshop again, typed in Latin letters. */
  {
    GtkWidget       *participants = dft_ui_test_show_view (window, "participants");
    DftPersonDialog *dialog;
    GtkWidget       *offer;

    g_assert_true (gtk_widget_activate_action (participants, "participants.add", NULL));
    dialog = dft_ui_test_find_toplevel (DFT_TYPE_PERSON_DIALOG);
    offer = dft_ui_template_child (dialog, DFT_TYPE_PERSON_DIALOG, "duplicates_box");
    gtk_window_set_default_size (GTK_WINDOW (dialog), 480, 760);
    dft_person_dialog_set_field (dialog, "given_name", "Aibek");
    dft_person_dialog_set_field (dialog, "family_name", "Abdykadyrov");
    dft_test_wait_until (widget_visible, offer, "the people of a similar name");
    dft_ui_test_screenshot (GTK_WIDGET (dialog), dir, "person-dialog-similar.png");
    gtk_window_destroy (GTK_WINDOW (dialog));
  }
}

/* ---- Quitting with work under way ------------------------------------------ */

/* Work a window started (a save, a list's reload) that is still running when the last window
 * closes must still end, and its result reach the window's code, before the app is gone: the
 * app waits for it at shutdown. The job here holds until the app starts shutting down. */
typedef struct
{
  GMutex   lock;
  GCond    cond;
  gboolean released;
  gboolean started;
  gboolean delivered;
  gboolean delivered_at_shutdown;
} QuitWork;

static gboolean
held_work (gpointer data, GCancellable *cancellable, GError **error)
{
  QuitWork *w = data;

  g_mutex_lock (&w->lock);
  w->started = TRUE;
  g_cond_broadcast (&w->cond);
  while (!w->released)
    g_cond_wait (&w->cond, &w->lock);
  g_mutex_unlock (&w->lock);
  return TRUE;
}

static void
held_work_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  QuitWork *w = user_data;

  g_assert_true (dft_ui_run_finish (result, NULL));
  w->delivered = TRUE;
}

static void
release_work_cb (GApplication *app, QuitWork *w)
{
  g_mutex_lock (&w->lock);
  w->released = TRUE;
  g_cond_broadcast (&w->cond);
  g_mutex_unlock (&w->lock);
}

static void
shutdown_done_cb (GApplication *app, QuitWork *w)
{
  w->delivered_at_shutdown = w->delivered;
}

static gboolean
work_started (gpointer data)
{
  QuitWork *w = data;
  gboolean  started;

  g_mutex_lock (&w->lock);
  started = w->started;
  g_mutex_unlock (&w->lock);
  return started;
}

static void
quit_with_work_flow (DftApplication *app, DftWindow *window, gpointer data)
{
  QuitWork *w = data;

  g_signal_connect (app, "shutdown", G_CALLBACK (release_work_cb), w);
  g_signal_connect_after (app, "shutdown", G_CALLBACK (shutdown_done_cb), w);
  dft_ui_run_async (app, held_work, w, NULL, NULL, held_work_done_cb, w);
  dft_test_wait_until (work_started, w, "the work to start");
  g_assert_cmpuint (dft_application_get_busy (app), ==, 1);
}

static void
test_quit_with_work (void)
{
  QuitWork w = { 0 };

  g_mutex_init (&w.lock);
  g_cond_init (&w.cond);
  dft_ui_test_run_app (TEST_APP_ID, NULL, quit_with_work_flow, &w);
  g_assert_true (w.released);
  g_assert_true (w.delivered_at_shutdown);
  g_mutex_clear (&w.lock);
  g_cond_clear (&w.cond);
}

/* A machine so busy that GTK takes @ms to handle each key press. */
static gboolean
slow_key (GtkEventControllerKey *controller,
          guint                  keyval,
          guint                  keycode,
          GdkModifierType        state,
          gpointer               ms)
{
  g_usleep (GPOINTER_TO_UINT (ms) * 1000);
  return GDK_EVENT_PROPAGATE;
}

/*
 * The key presses the UI tests make wait until GTK has handled every key, however long that
 * takes: a check right after them sees what the keys did. A fixed pause let a check run
 * before its Tab on a loaded machine (test-ui-flows, CI of the week of 2026-12-07).
 */
static void
test_keys_handled (void)
{
  GtkWidget          *window = gtk_window_new ();
  GtkWidget          *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget          *first = gtk_entry_new ();
  GtkWidget          *second = gtk_entry_new ();
  GtkEventController *slow = gtk_event_controller_key_new ();

  gtk_box_append (GTK_BOX (box), first);
  gtk_box_append (GTK_BOX (box), second);
  gtk_window_set_child (GTK_WINDOW (window), box);
  gtk_event_controller_set_propagation_phase (slow, GTK_PHASE_CAPTURE);
  g_signal_connect (slow, "key-pressed", G_CALLBACK (slow_key), GUINT_TO_POINTER (120));
  gtk_widget_add_controller (window, slow);
  gtk_window_present (GTK_WINDOW (window));
  dft_test_wait_until (dft_ui_test_drawn, window, "the window to show");
  gtk_widget_grab_focus (first);

  dft_xkeys_type (GTK_WINDOW (window), "Osh 2026");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (first)), ==, "Osh 2026");
  dft_xkeys_press (GTK_WINDOW (window), (const char *[]){ "Tab", "B", NULL });
  g_assert_true (gtk_widget_is_ancestor (gtk_root_get_focus (GTK_ROOT (window)), second));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (second)), ==, "B");
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int argc, char *argv[])
{
  const char *screenshots = NULL;

  if (argc == 3 && g_str_equal (argv[1], "--screenshots"))
    {
      screenshots = argv[2];
      argc = 1;
    }
  dft_test_init (&argc, &argv);
  if (g_getenv ("DAFTARI_TODAY") == NULL)
    g_setenv ("DAFTARI_TODAY", screenshots != NULL ? "2026-02-03" : "2026-05-04", TRUE);
  gtk_init ();
  adw_init ();
  if (screenshots != NULL)
    {
      dft_ui_test_run_app (TEST_APP_ID, NULL, take_screenshots, (gpointer) screenshots);
      return 0;
    }

  g_test_add_func ("/ui/workshop-flow", test_workshop_flow);
  g_test_add_func ("/ui/stale-dialogs", test_stale_dialogs);
  g_test_add_func ("/ui/view-keys", test_view_keys);
  g_test_add_func ("/ui/dialog-keys", test_dialog_keys);
  g_test_add_func ("/ui/agency-suggestions", test_agency_suggestions);
  g_test_add_func ("/ui/shortcuts-listed", test_shortcuts_listed);
  g_test_add_func ("/ui/quit-with-work", test_quit_with_work);
  g_test_add_func ("/ui/keys-handled", test_keys_handled);
  return g_test_run ();
}
