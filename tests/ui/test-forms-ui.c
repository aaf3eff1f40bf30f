/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "dft-application.h"
#include "dft-evaluations-view.h"
#include "dft-forms-page.h"
#include "dft-forms-util.h"
#include "dft-kiosk-window-private.h"
#include "dft-preferences-window.h"
#include "dft-test-util.h"
#include "dft-ui-test-util.h"
#include "dft-tests-view.h"
#include "dft-window.h"
#include "dft-workshop-page.h"
#include "dft-xkeys.h"
#include "forms/dft-form-run.h"
#include "forms/dft-form-store.h"
#include "forms/dft-form-templates.h"

/*
 * The forms screens on the real window under a headless display: import an XForm through
 * the Forms page's worker (its warnings shown before saving), copy templates, pre/post test
 * results and their gain in the Tests view, and the Evaluations view's live count. With
 * --screenshots DIR it saves a PNG of each screen instead of asserting on them.
 */

#define TEST_APP_ID "org.daftari.Daftari.FormsTest"

static const char *screenshot_dir;

/* ---- Helpers ------------------------------------------------------------------------ */

typedef struct
{
  DftFormsPage *page;
  const char   *key;
} Listed;

static gboolean
form_listed (gpointer data)
{
  Listed *l = data;
  return !dft_forms_page_get_busy (l->page)
         && dft_forms_page_get_description (l->page, l->key) != NULL;
}

static gboolean
page_idle (gpointer data)
{
  return !dft_forms_page_get_busy (data);
}

static gboolean
warnings_or_listed (gpointer data)
{
  return dft_ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL || form_listed (data);
}

static void
answer (DftFormRun *run, const char *path, const char *value)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (dft_form_run_set_answer (run, path, value, NULL, &error));
  g_assert_no_error (error);
}

/* Answers the knowledge test: @right says which of its three scored questions are right. */
static void
submit_test (DftStore   *store,
             const char *key,
             const char *event_id,
             const char *person_id,
             const char *phase,
             gboolean    force_right,
             gboolean    torture_right,
             gboolean    judge_right)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) form_record = dft_form_store_latest (store, key, &error);
  g_autoptr (DftForm)   form = dft_form_store_load (store, dft_record_get_id (form_record), &error);
  g_autoptr (DftFormRun) run = dft_form_run_new (form, &error);
  g_autoptr (DftRecord)  saved = NULL;

  g_assert_no_error (error);
  answer (run, "/data/force_principles",
          force_right ? "legality necessity proportionality accountability" : "speed");
  answer (run, "/data/torture_exception", torture_right ? "false" : "true");
  answer (run, "/data/judge_detention", judge_right ? "prompt" : "week");
  saved = dft_form_store_submit (store, form_record, NULL, run, event_id, person_id, phase, TRUE,
                                 &error);
  g_assert_no_error (error);
  g_assert_nonnull (saved);
}

static void
submit_evaluation (DftStore *store, const char *key, const char *event_id, const char *rating)
{
  static const char *ratings[]
      = { "relevance", "content", "trainers", "materials", "organisation" };
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) form_record = dft_form_store_latest (store, key, &error);
  g_autoptr (DftForm)   form = dft_form_store_load (store, dft_record_get_id (form_record), &error);
  g_autoptr (DftFormRun) run = dft_form_run_new (form, &error);
  g_autoptr (DftRecord)  saved = NULL;

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (ratings); i++)
    {
      g_autofree char *path = g_strdup_printf ("/data/ratings/%s", ratings[i]);
      answer (run, path, rating);
    }
  answer (run, "/data/recommend", "yes");
  saved = dft_form_store_submit (store, form_record, NULL, run, event_id, NULL, NULL, TRUE, &error);
  g_assert_no_error (error);
}

typedef struct
{
  DftTestsView *view;
  guint         pairs;
} GainWait;

static gboolean
gain_ready (gpointer data)
{
  GainWait            *w = data;
  const DftGainReport *report = dft_tests_view_get_report (w->view);

  return !dft_tests_view_get_loading (w->view) && report != NULL && report->n_pairs == w->pairs;
}

static gboolean
tests_form_chosen (gpointer data)
{
  return dft_tests_view_set_form_key (data, "osh_test");
}

typedef struct
{
  DftEvaluationsView *view;
  guint               count;
} CountWait;

static gboolean
evaluations_counted (gpointer data)
{
  CountWait *w = data;

  return dft_evaluations_view_get_form_key (w->view) != NULL
         && !dft_evaluations_view_get_loading (w->view)
         && dft_evaluations_view_get_count (w->view) == w->count;
}

/* The row of the tests table whose name is @name. */
static guint
row_of (DftTestsView *view, const char *name)
{
  for (guint row = 1; dft_tests_view_get_cell (view, row, 0) != NULL; row++)
    if (g_strcmp0 (dft_tests_view_get_cell (view, row, 0), name) == 0)
      return row;
  g_error ("No row for %s", name);
  return 0;
}

static void
assert_row (DftTestsView *view,
            guint         row,
            const char   *pre,
            const char   *post,
            const char   *gain,
            const char   *normalized)
{
  g_assert_cmpstr (dft_tests_view_get_cell (view, row, 1), ==, pre);
  g_assert_cmpstr (dft_tests_view_get_cell (view, row, 2), ==, post);
  g_assert_cmpstr (dft_tests_view_get_cell (view, row, 3), ==, gain);
  g_assert_cmpstr (dft_tests_view_get_cell (view, row, 4), ==, normalized);
}

/* ---- The scenario --------------------------------------------------------------------- */

static void
forms_flow (DftApplication *app, DftWindow *window, gpointer data)
{
  DftStore             *store = dft_application_get_store (app);
  DftFormsPage         *page = DFT_FORMS_PAGE (dft_window_get_forms_page (window));
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) event = NULL;
  g_autofree char      *full = g_build_filename (FORMS_TEST_DATA, "xform", "full.xml", NULL);
  g_autoptr (GFile)     file = g_file_new_for_path (full);
  const char           *names[][2]
      = { { "Айбек", "Токтогулов" }, { "Amina", "Yusuf" }, { "გიორგი", "ბერიძე" } };
  char               *people[3];
  DftTestsView       *tests;
  DftEvaluationsView *evaluations;
  AdwMessageDialog   *dialog;

  if (screenshot_dir != NULL)
    gtk_window_set_default_size (GTK_WINDOW (window), 1000, 720);

  /* A workshop with three people, written straight to the store. */
  event = dft_test_add_event (store, "Financial investigations, Osh", "2026-05-04", "2026-05-06");
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr (DftRecord) person = dft_test_add_person (store, names[i][0], names[i][1]);
      g_autoptr (DftRecord) enrollment = dft_store_enroll (
          store, dft_record_get_id (event), dft_record_get_id (person), "participant", &error);
      g_assert_no_error (error);
      people[i] = g_strdup (dft_record_get_id (person));
    }

  /* The Forms screen: an ODK XForm imported through the page's worker. */
  dft_ui_test_wait_mode (window, "main", FALSE);
  g_action_group_activate_action (G_ACTION_GROUP (window), "show-forms", NULL);
  dft_test_wait_until (page_idle, page, "the forms page to settle");
  dft_forms_page_import_file (page, file);
  g_assert_true (dft_forms_page_get_busy (page));
  dft_test_wait_until (warnings_or_listed, &(Listed){ page, "household_visit" },
                       "the import's warnings or the imported form");
  dialog = dft_ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  if (dialog != NULL)
    {
      GtkWidget *scrolled = adw_message_dialog_get_extra_child (dialog);
      GtkWidget *label = gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (scrolled));

      if (GTK_IS_VIEWPORT (label))
        label = gtk_viewport_get_child (GTK_VIEWPORT (label));
      g_assert_true (g_str_has_prefix (gtk_label_get_text (GTK_LABEL (label)), "• "));
      g_test_message ("Import warnings: %s", gtk_label_get_text (GTK_LABEL (label)));
      dft_ui_test_screenshot (GTK_WIDGET (dialog), screenshot_dir, "forms-import-warnings.png");
      adw_message_dialog_response (dialog, "save");
      dft_ui_test_close_and_check_finalized (dialog);
    }
  dft_test_wait_until (form_listed, &(Listed){ page, "household_visit" },
                       "the imported form listed");
  g_assert_true (
      g_str_has_prefix (dft_forms_page_get_description (page, "household_visit"), "Survey · "));

  /* Templates: the knowledge test under a key of ours, and the evaluation as it comes. */
  dft_forms_page_copy_template (page, "knowledge-test", "Osh test", "osh_test");
  dft_test_wait_until (form_listed, &(Listed){ page, "osh_test" }, "the copied knowledge test");
  dft_forms_page_copy_template (page, "workshop-evaluation", NULL, NULL);
  dft_test_wait_until (form_listed, &(Listed){ page, "workshop_evaluation" },
                       "the copied evaluation");
  g_assert_cmpstr (dft_forms_page_get_description (page, "osh_test"), ==,
                   "Test · English, Русский, Кыргызча, Kiswahili, ქართული, Українська, اردو · "
                   "version 1 · 0 submissions");
  dft_ui_test_screenshot (GTK_WIDGET (window), screenshot_dir, "forms-page.png");

  /* Preview opens a filler window that saves nothing; it goes away whole when closed. */
  {
    g_autoptr (DftRecord) record = dft_form_store_latest (store, "osh_test", &error);
    GtkWidget            *preview;

    g_assert_no_error (error);
    preview = dft_forms_open_filler (GTK_WIDGET (page), store, record, NULL, NULL, NULL, TRUE);
    dft_test_settle (300);
    dft_ui_test_close_and_check_finalized (preview);
  }

  /* The Tests view: three people's pre-tests and post-tests and the gain. */
  g_action_group_activate_action (G_ACTION_GROUP (window), "open-workshop",
                                  g_variant_new_string (dft_record_get_id (event)));
  dft_ui_test_wait_mode (window, "main", TRUE);
  tests = DFT_TESTS_VIEW (dft_ui_test_show_view (window, "tests"));
  dft_test_wait_until (tests_form_chosen, tests, "the test form in the tests view");
  submit_test (store, "osh_test", dft_record_get_id (event), people[0], "pre", FALSE, FALSE, FALSE);
  submit_test (store, "osh_test", dft_record_get_id (event), people[0], "post", TRUE, TRUE, TRUE);
  submit_test (store, "osh_test", dft_record_get_id (event), people[1], "pre", FALSE, TRUE, FALSE);
  submit_test (store, "osh_test", dft_record_get_id (event), people[1], "post", TRUE, TRUE, FALSE);
  submit_test (store, "osh_test", dft_record_get_id (event), people[2], "pre", TRUE, TRUE, TRUE);
  submit_test (store, "osh_test", dft_record_get_id (event), people[2], "post", TRUE, TRUE, TRUE);
  dft_test_wait_until (gain_ready, &(GainWait){ tests, 3 }, "the gain of three people");
  assert_row (tests, row_of (tests, "Айбек Токтогулов"), "0%", "100%", "+100", "1.00");
  assert_row (tests, row_of (tests, "Amina Yusuf"), "25%", "75%", "+50", "0.67");
  assert_row (tests, row_of (tests, "გიორგი ბერიძე"), "100%", "100%", "+0", "–");
  assert_row (tests, 4, "42%", "92%", "+50", "0.86");
  g_assert_cmpstr (dft_tests_view_get_cell (tests, 4, 0), ==, "Class mean");
  /* The summary shows the class means too. */
  g_assert_nonnull (
      strstr (gtk_label_get_text (GTK_LABEL (dft_tests_view_get_summary (tests))), "0.86"));
  dft_ui_test_screenshot (GTK_WIDGET (window), screenshot_dir, "tests-gain.png");
  if (screenshot_dir != NULL)
    {
      dft_ui_test_show_view (window, "summary");
      dft_ui_test_screenshot (GTK_WIDGET (window), screenshot_dir, "tests-summary.png");
    }

  /* The Evaluations view counts final evaluations as they arrive. */
  evaluations = DFT_EVALUATIONS_VIEW (dft_ui_test_show_view (window, "evaluations"));
  dft_test_wait_until (evaluations_counted, &(CountWait){ evaluations, 0 }, "no evaluations yet");
  g_assert_cmpstr (dft_evaluations_view_get_form_key (evaluations), ==, "workshop_evaluation");
  submit_evaluation (store, "workshop_evaluation", dft_record_get_id (event), "5");
  dft_test_wait_until (evaluations_counted, &(CountWait){ evaluations, 1 }, "one evaluation");
  g_assert_cmpstr (dft_evaluations_view_get_count_text (evaluations), ==, "1 evaluation");
  submit_evaluation (store, "workshop_evaluation", dft_record_get_id (event), "4");
  dft_test_wait_until (evaluations_counted, &(CountWait){ evaluations, 2 }, "two evaluations");
  g_assert_cmpstr (dft_evaluations_view_get_count_text (evaluations), ==, "2 evaluations");
  g_assert_cmpfloat_with_epsilon (dft_evaluations_view_get_mean (evaluations, "relevance"), 4.5,
                                  1e-9);
  dft_ui_test_screenshot (GTK_WIDGET (window), screenshot_dir, "evaluations.png");

  /* The forms page counts the submissions. */
  g_action_group_activate_action (G_ACTION_GROUP (window), "show-forms", NULL);
  dft_test_wait_until (form_listed, &(Listed){ page, "osh_test" },
                       "the forms list after submissions");
  dft_test_settle (300);
  dft_test_wait_until (page_idle, page, "the forms page to settle");
  g_assert_cmpstr (dft_forms_page_get_description (page, "osh_test"), ==,
                   "Test · English, Русский, Кыргызча, Kiswahili, ქართული, Українська, اردو · "
                   "version 1 · 6 submissions");

  if (screenshot_dir != NULL)
    {
      gtk_window_set_default_size (GTK_WINDOW (window), 360, 720);
      dft_test_settle (500);
      dft_ui_test_screenshot (GTK_WIDGET (window), screenshot_dir, "forms-narrow.png");
      dft_ui_test_show_view (window, "tests");
      dft_ui_test_screenshot (GTK_WIDGET (window), screenshot_dir, "tests-narrow.png");
      dft_ui_test_show_view (window, "evaluations");
      dft_ui_test_screenshot (GTK_WIDGET (window), screenshot_dir, "evaluations-narrow.png");
    }
  for (guint i = 0; i < G_N_ELEMENTS (people); i++)
    g_free (people[i]);
}

static void
test_forms_flow (void)
{
  dft_ui_test_run_app (TEST_APP_ID, NULL, forms_flow, NULL);
}

/* ---- Kiosk lockdown ------------------------------------------------------------------ */

static gboolean
pin_asked (gpointer data)
{
  return dft_kiosk_window_get_pin_entry (data) != NULL;
}

static gboolean
pin_not_asked (gpointer data)
{
  return dft_kiosk_window_get_pin_entry (data) == NULL;
}

static gboolean
shown (gpointer data)
{
  return gtk_widget_get_visible (data) && gtk_widget_get_mapped (data);
}

/* A participant at the kiosk reaches neither the trainer's register nor the application's
 * commands: the main window is hidden while the kiosk is open, Quit only asks for the PIN,
 * and Control shortcuts typed on the keyboard do nothing; the PIN brings the register back. */
static void
kiosk_lockdown (DftApplication *app, DftWindow *window, gpointer data)
{
  DftStore             *store = dft_application_get_store (app);
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftForm)   form = dft_form_template_load ("workshop-evaluation", &error);
  g_autoptr (DftRecord) record = NULL;
  g_autoptr (DftRecord) event = NULL;
  DftKioskWindow       *kiosk;
  GtkWindow            *pin_window;
  gpointer              weak_kiosk, weak_window = window;

  g_assert_no_error (error);
  record = dft_form_store_save (store, form, &error);
  g_assert_no_error (error);
  event = dft_test_add_event (store, "Cybercrime basics, Tbilisi", "2026-05-04", "2026-05-05");
  dft_test_wait_until (shown, window, "the main window");

  kiosk = DFT_KIOSK_WINDOW (dft_forms_open_kiosk (GTK_WIDGET (window), store, record,
                                                  dft_record_get_id (event), NULL, "2468"));
  weak_kiosk = kiosk;
  g_object_add_weak_pointer (G_OBJECT (kiosk), &weak_kiosk);
  g_object_add_weak_pointer (G_OBJECT (window), &weak_window);
  dft_test_wait_until (shown, kiosk, "the kiosk");
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (window)));

  /* Keys typed at the kiosk: Preferences and Quit shortcuts do nothing … */
  dft_xkeys_press (GTK_WINDOW (kiosk), (const char *[]){ "ctrl+comma", "ctrl+q", "F5", NULL });
  dft_test_settle (200);
  g_assert_null (dft_ui_test_find_toplevel (DFT_TYPE_PREFERENCES_WINDOW));
  g_assert_nonnull (weak_window);
  g_assert_null (dft_kiosk_window_get_pin_entry (kiosk));
  g_assert_true (shown (kiosk));
  /* … while Escape, a key the kiosk means to hear, asks for the PIN, and Escape again in
   * that dialog dismisses it (so the presses above did reach the window). */
  dft_xkeys_press (GTK_WINDOW (kiosk), (const char *[]){ "Escape", NULL });
  dft_test_wait_until (pin_asked, kiosk, "the PIN dialog after Escape");
  pin_window = GTK_WINDOW (gtk_widget_get_root (dft_kiosk_window_get_pin_entry (kiosk)));
  dft_xkeys_press (pin_window, (const char *[]){ "Escape", NULL });
  dft_test_wait_until (pin_not_asked, kiosk, "the PIN dialog to close");

  /* The application's Quit and Preferences, however reached, leave the register shut. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  dft_test_settle (200);
  g_assert_null (dft_ui_test_find_toplevel (DFT_TYPE_PREFERENCES_WINDOW));
  g_assert_nonnull (weak_window);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (window)));
  g_assert_nonnull (weak_kiosk);
  g_assert_nonnull (dft_kiosk_window_get_pin_entry (kiosk));

  /* The trainer types the PIN: the kiosk goes and the register comes back. */
  pin_window = GTK_WINDOW (gtk_widget_get_root (dft_kiosk_window_get_pin_entry (kiosk)));
  dft_xkeys_type (pin_window, "2468");
  dft_xkeys_press (pin_window, (const char *[]){ "Return", NULL });
  dft_test_wait_until (dft_ui_test_pointer_cleared, &weak_kiosk, "the kiosk to be finalized");
  dft_test_wait_until (shown, window, "the main window to come back");
  g_object_remove_weak_pointer (G_OBJECT (window), &weak_window);
}

static void
test_kiosk_lockdown (void)
{
  dft_ui_test_run_app (TEST_APP_ID, NULL, kiosk_lockdown, NULL);
}

/* ---- A form that cannot open ------------------------------------------------------------ */

/* A form record as an older data set loader wrote it: its definition names a member Daftari
 * does not know, so the form cannot be opened. */
static DftRecord *
add_broken_form (DftStore *store, const char *key, const char *title, const char *kind)
{
  g_autoptr (GError) error = NULL;
  DftRecord         *form = dft_record_new_for_entity (&dft_entity_form);

  g_object_set (form, "form-key", key, "version", (gint64) 1, "title", title, "kind", kind,
                "default-language", "en", "definition",
                "{\"derived_from\": \"gen_dataset\", \"questions\": [{\"name\": \"l1\","
                " \"type\": \"integer\"}]}",
                NULL);
  g_assert_true (dft_store_save (store, form, &error));
  g_assert_no_error (error);
  return form;
}

static gboolean
evaluations_settled (gpointer data)
{
  return !dft_evaluations_view_get_loading (data) && dft_evaluations_view_get_form_key (data);
}

static gboolean
evaluations_settled_or_none (gpointer data)
{
  return !dft_evaluations_view_get_loading (data);
}

/* The subtitle of the first combo row under @widget: a form chooser's line about the forms
 * it leaves out. */
static const char *
chooser_note (GtkWidget *widget)
{
  if (ADW_IS_COMBO_ROW (widget))
    return adw_action_row_get_subtitle (ADW_ACTION_ROW (widget));
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      const char *note = chooser_note (child);

      if (note != NULL)
        return note;
    }
  return NULL;
}

/* A form that cannot open is shown greyed with the reason on the Forms page, never chosen in
 * the Evaluations view, and kiosk mode refuses it before it locks the laptop. */
static void
broken_form (DftApplication *app, DftWindow *window, gpointer data)
{
  DftStore             *store = dft_application_get_store (app);
  DftFormsPage         *page = DFT_FORMS_PAGE (dft_window_get_forms_page (window));
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftForm)   good = dft_form_template_load ("workshop-evaluation", &error);
  g_autoptr (DftRecord) saved = NULL;
  g_autoptr (DftRecord) broken = NULL;
  g_autoptr (DftRecord) test = NULL;
  g_autoptr (DftRecord) event = NULL;
  DftEvaluationsView   *evaluations;
  DftTestsView         *tests;
  GtkWidget            *kiosk;
  const char           *description;

  g_assert_no_error (error);
  saved = dft_form_store_save (store, good, &error);
  g_assert_no_error (error);
  /* Listed first by title, so a view that took the first form would take it. */
  broken = add_broken_form (store, "evaluation", "A broken evaluation", "evaluation");
  test = add_broken_form (store, "knowledge-test-pre", "A broken test", "assessment");
  event = dft_test_add_event (store, "Financial investigations, Osh", "2026-05-04", "2026-05-06");

  dft_ui_test_wait_mode (window, "main", FALSE);
  g_action_group_activate_action (G_ACTION_GROUP (window), "show-forms", NULL);
  dft_test_wait_until (form_listed, &(Listed){ page, "evaluation" }, "the broken form listed");
  description = dft_forms_page_get_description (page, "evaluation");
  g_test_message ("%s", description);
  g_assert_true (g_str_has_prefix (description, "Cannot be opened: "));
  g_assert_nonnull (strstr (description, "derived_from"));
  dft_ui_test_screenshot (GTK_WIDGET (window), screenshot_dir, "forms-broken.png");

  g_action_group_activate_action (G_ACTION_GROUP (window), "open-workshop",
                                  g_variant_new_string (dft_record_get_id (event)));
  dft_ui_test_wait_mode (window, "main", TRUE);
  evaluations = DFT_EVALUATIONS_VIEW (dft_ui_test_show_view (window, "evaluations"));
  dft_test_wait_until (evaluations_settled, evaluations, "the evaluations view");
  dft_test_settle (300);
  g_assert_cmpstr (dft_evaluations_view_get_form_key (evaluations), ==, "workshop_evaluation");
  g_assert_cmpstr (chooser_note (GTK_WIDGET (evaluations)), ==,
                   "1 form that cannot be opened is left out: Forms says why.");
  dft_ui_test_screenshot (GTK_WIDGET (window), screenshot_dir, "evaluations-broken.png");

  /* The Tests view offers no test rather than the broken one. */
  tests = DFT_TESTS_VIEW (dft_ui_test_show_view (window, "tests"));
  dft_test_settle (500);
  g_assert_false (dft_tests_view_get_loading (tests));
  g_assert_null (dft_tests_view_get_form_key (tests));
  g_assert_cmpstr (chooser_note (GTK_WIDGET (tests)), ==,
                   "1 form that cannot be opened is left out: Forms says why.");

  /* Kiosk mode on the broken form: a message, no kiosk, the register stays open. */
  kiosk = dft_forms_open_kiosk (GTK_WIDGET (window), store, broken, dft_record_get_id (event), NULL,
                                "2468");
  g_assert_null (kiosk);
  dft_test_settle (300);
  g_assert_null (dft_ui_test_find_toplevel (DFT_TYPE_KIOSK_WINDOW));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  dft_ui_test_screenshot (GTK_WIDGET (window), screenshot_dir, "kiosk-refused.png");
}

static void
test_broken_form (void)
{
  dft_ui_test_run_app (TEST_APP_ID, NULL, broken_form, NULL);
}

/* ---- Views without a form ------------------------------------------------------------ */

/* The first button under @widget, drawn, that runs @action. */
static GtkWidget *
button_for_action (GtkWidget *widget, const char *action)
{
  if (GTK_IS_ACTIONABLE (widget) && gtk_widget_get_mapped (widget)
      && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = button_for_action (child, action);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
mapped (gpointer data)
{
  return gtk_widget_get_mapped (data);
}

static gboolean
tests_settled (gpointer data)
{
  return !dft_tests_view_get_loading (data);
}

/* With no test or evaluation form yet, the Tests and Evaluations views say so and offer a
 * button that opens Forms, where one is copied or imported. */
static void
empty_views (DftApplication *app, DftWindow *window, gpointer data)
{
  static const char *const views[] = { "tests", "evaluations" };
  DftStore                *store = dft_application_get_store (app);
  g_autoptr (DftRecord)    event
      = dft_test_add_event (store, "Financial investigations, Osh", "2026-05-04", "2026-05-06");

  dft_ui_test_wait_mode (window, "main", FALSE);
  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    {
      GtkWidget *view, *button;

      g_action_group_activate_action (G_ACTION_GROUP (window), "open-workshop",
                                      g_variant_new_string (dft_record_get_id (event)));
      dft_ui_test_wait_mode (window, "main", TRUE);
      view = dft_ui_test_show_view (window, views[i]);
      if (DFT_IS_TESTS_VIEW (view))
        dft_test_wait_until (tests_settled, view, "the tests view");
      else
        dft_test_wait_until (evaluations_settled_or_none, view, "the evaluations view");
      dft_test_wait_until (mapped, view, "the view shown");
      g_assert_false (gtk_widget_get_mapped (dft_window_get_forms_page (window)));
      button = button_for_action (view, "win.show-forms");
      g_assert_nonnull (button);
      g_assert_true (gtk_widget_is_sensitive (button));
      gtk_widget_activate (button);
      dft_test_wait_until (mapped, dft_window_get_forms_page (window), "the Forms page");
    }
}

static void
test_empty_views (void)
{
  dft_ui_test_run_app (TEST_APP_ID, NULL, empty_views, NULL);
}

/* ---- Copy a Template ----------------------------------------------------------------- */

static GtkLabel *
label_starting (GtkWidget *widget, const char *start)
{
  if (GTK_IS_LABEL (widget) && g_str_has_prefix (gtk_label_get_text (GTK_LABEL (widget)), start))
    return GTK_LABEL (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkLabel *found = label_starting (child, start);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The key's hint names the underscore a key may hold: shown as one, not read as the mark of
 * an access key (which left "letters, digits and )"). */
static void
template_dialog (DftApplication *app, DftWindow *window, gpointer data)
{
  GtkWidget            *page = dft_window_get_forms_page (window);
  g_autoptr (DftRecord) event = dft_test_add_event (dft_application_get_store (app),
                                                    "Border control", "2026-05-04", "2026-05-05");
  AdwMessageDialog     *dialog;
  GtkLabel             *hint;

  dft_ui_test_wait_mode (window, "main", FALSE);
  g_action_group_activate_action (G_ACTION_GROUP (window), "show-forms", NULL);
  dft_test_wait_until (page_idle, page, "the forms page to settle");
  g_assert_true (gtk_widget_activate_action (page, "forms.copy-template", NULL));
  dialog = dft_ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_nonnull (dialog);
  hint = label_starting (adw_message_dialog_get_extra_child (dialog), "Key");
  g_assert_nonnull (hint);
  g_assert_cmpstr (gtk_label_get_text (hint), ==, "Key (letters, digits and _)");
  /* The K still takes the keyboard to the key's entry. */
  g_assert_cmpuint (gdk_keyval_to_lower (gtk_label_get_mnemonic_keyval (hint)), ==, GDK_KEY_k);
  adw_message_dialog_response (dialog, "cancel");
  dft_ui_test_close_and_check_finalized (dialog);
}

static void
test_template_dialog (void)
{
  dft_ui_test_run_app (TEST_APP_ID, NULL, template_dialog, NULL);
}

int
main (int argc, char *argv[])
{
  if (argc == 3 && g_str_equal (argv[1], "--screenshots"))
    {
      screenshot_dir = argv[2];
      argc = 1;
    }
  dft_test_init (&argc, &argv);
  if (g_getenv ("DAFTARI_TODAY") == NULL)
    g_setenv ("DAFTARI_TODAY", "2026-05-04", TRUE);
  gtk_init ();
  adw_init ();
  if (screenshot_dir != NULL)
    {
      g_mkdir_with_parents (screenshot_dir, 0755);
      dft_ui_test_run_app (TEST_APP_ID, NULL, forms_flow, NULL);
      dft_ui_test_run_app (TEST_APP_ID, NULL, broken_form, NULL);
      return 0;
    }
  g_test_add_func ("/ui/forms/flow", test_forms_flow);
  g_test_add_func ("/ui/forms/kiosk-lockdown", test_kiosk_lockdown);
  g_test_add_func ("/ui/forms/broken-form", test_broken_form);
  g_test_add_func ("/ui/forms/empty-views", test_empty_views);
  g_test_add_func ("/ui/forms/template-dialog", test_template_dialog);
  return g_test_run ();
}
