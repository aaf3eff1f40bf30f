/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <unistd.h>

#include "dft-form-filler-private.h"
#include "forms/dft-form-store.h"
#include "forms/dft-form-templates.h"
#include "dft-forms-util.h"
#include "dft-kiosk-window-private.h"
#include "dft-xkeys.h"
#include "dft-schema.h"
#include "dft-store-attachments.h"
#include "dft-test-util.h"
#include "dft-ui-find.h"
#include "dft-ui-test-util.h"

/*
 * The form filler and kiosk mode, driven through their actions and the widgets a person
 * would use, under a headless display; then what reached the store, and that every window
 * is finalized. With DAFTARI_SCREENSHOTS=DIR it also saves PNGs of the main screens.
 */

static GtkApplication *app;
static const char     *screenshot_dir; /* DAFTARI_SCREENSHOTS, or NULL: no PNGs */
static DftStore       *store;
static char           *store_dir;
static DftRecord      *knowledge, *evaluation, *tiny, *urdu, *event, *texts;

/* ---- Helpers ------------------------------------------------------------ */

static gboolean
filler_ready (gpointer data)
{
  DftFormFiller *filler = data;

  return !dft_form_filler_is_busy (filler)
         && g_strcmp0 (dft_form_filler_get_mode (filler), "loading") != 0;
}

static gboolean
filler_idle (gpointer data)
{
  return !dft_form_filler_is_busy (data);
}

typedef struct
{
  GtkWindow     *window;
  DftFormFiller *filler;
  DftRecord     *finished;
  DftRecord     *draft;
  guint          n_finished;
} Filling;

static void
finished_cb (DftFormFiller *filler, DftRecord *record, Filling *f)
{
  g_set_object (&f->finished, record);
  f->n_finished++;
}

static void
draft_saved_cb (DftFormFiller *filler, DftRecord *record, Filling *f)
{
  g_set_object (&f->draft, record);
}

static void open_filler_for (Filling    *f,
                             DftRecord  *form,
                             const char *event_id,
                             const char *phase,
                             DftRecord  *draft,
                             int         width);

static void
open_filler (Filling *f, DftRecord *form, const char *phase, DftRecord *draft, int width)
{
  open_filler_for (f, form, dft_record_get_id (event), phase, draft, width);
}

static void
open_filler_for (Filling    *f,
                 DftRecord  *form,
                 const char *event_id,
                 const char *phase,
                 DftRecord  *draft,
                 int         width)
{
  memset (f, 0, sizeof *f);
  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, width, 720);
  f->filler = DFT_FORM_FILLER (dft_form_filler_new (store));
  g_signal_connect (f->filler, "finished", G_CALLBACK (finished_cb), f);
  g_signal_connect (f->filler, "draft-saved", G_CALLBACK (draft_saved_cb), f);
  gtk_window_set_child (f->window, GTK_WIDGET (f->filler));
  gtk_window_present (f->window);
  dft_form_filler_start (f->filler, form, event_id, NULL, phase, draft);
  dft_test_wait_until (filler_ready, f->filler, "the form to load");
  g_assert_cmpstr (dft_form_filler_get_mode (f->filler), ==, "form");
}

static void
close_filler (Filling *f)
{
  gpointer filler = f->filler;

  g_clear_object (&f->finished);
  g_clear_object (&f->draft);
  g_object_add_weak_pointer (G_OBJECT (filler), &filler);
  dft_ui_test_close_and_check_finalized (f->window);
  dft_test_wait_until (dft_ui_test_pointer_cleared, &filler, "the filler to be finalized");
}

static void
action (Filling *f, const char *name, GVariant *param)
{
  g_assert_true (gtk_widget_activate_action_variant (GTK_WIDGET (f->filler), name, param));
}

static void
go_to (Filling *f, guint page)
{
  action (f, "filler.go-to-page", g_variant_new_uint32 (page));
  g_assert_cmpuint (dft_form_filler_get_page (f->filler), ==, page);
}

static void
pick (Filling *f, const char *path, guint n, gboolean on)
{
  GtkWidget *button = dft_form_filler_get_choice_button (f->filler, path, n);

  g_assert_nonnull (button);
  if (GTK_IS_CHECK_BUTTON (button))
    gtk_check_button_set_active (GTK_CHECK_BUTTON (button), on);
  else
    gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (button), on);
}

static gboolean
picked (Filling *f, const char *path, guint n)
{
  GtkWidget *button = dft_form_filler_get_choice_button (f->filler, path, n);

  g_assert_nonnull (button);
  return GTK_IS_CHECK_BUTTON (button) ? gtk_check_button_get_active (GTK_CHECK_BUTTON (button))
                                      : gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (button));
}

static void
type (Filling *f, const char *path, const char *text)
{
  GtkWidget *entry = dft_form_filler_get_widget_for_path (f->filler, path);

  g_assert_true (GTK_IS_EDITABLE (entry));
  gtk_editable_set_text (GTK_EDITABLE (entry), text);
}

static const char *
typed (Filling *f, const char *path)
{
  GtkWidget *entry = dft_form_filler_get_widget_for_path (f->filler, path);

  g_assert_true (GTK_IS_EDITABLE (entry));
  return gtk_editable_get_text (GTK_EDITABLE (entry));
}

static const char *
label_text (Filling *f, const char *path)
{
  GtkWidget *label = dft_form_filler_get_label_for_path (f->filler, path);

  g_assert_true (GTK_IS_LABEL (label));
  g_assert_false (gtk_label_get_use_markup (GTK_LABEL (label)));
  return gtk_label_get_text (GTK_LABEL (label));
}

/* The dim "↩ en" beside a label that fell back to another language. */
static GtkWidget *
fallback_tag (Filling *f, const char *path)
{
  return gtk_widget_get_next_sibling (dft_form_filler_get_label_for_path (f->filler, path));
}

static gboolean
has_finished (gpointer data)
{
  Filling *f = data;
  return f->finished != NULL;
}

static gboolean
has_draft (gpointer data)
{
  Filling *f = data;
  return f->draft != NULL;
}

/* ---- Tests -------------------------------------------------------------- */

static void
test_knowledge_test (void)
{
  Filling               f;
  g_auto (GStrv)        missing = NULL;
  g_autoptr (DftRecord) stored = NULL;
  g_autoptr (GError)    error = NULL;

  open_filler (&f, knowledge, "pre", NULL, 480);
  /* The note, then one page per question. */
  g_assert_cmpuint (dft_form_filler_get_n_pages (f.filler), ==, 6);
  g_assert_cmpuint (dft_form_filler_get_page (f.filler), ==, 0);
  dft_ui_test_screenshot (GTK_WIDGET (f.window), screenshot_dir, "form-knowledge-intro.png");
  action (&f, "filler.next", NULL);
  g_assert_cmpuint (dft_form_filler_get_page (f.filler), ==, 1);
  g_assert_true (g_str_has_suffix (label_text (&f, "/data/force_principles"), " *"));
  pick (&f, "/data/force_principles", 0, TRUE);
  pick (&f, "/data/force_principles", 1, TRUE);
  pick (&f, "/data/force_principles", 2, TRUE);
  pick (&f, "/data/force_principles", 4, TRUE);
  dft_ui_test_screenshot (GTK_WIDGET (f.window), screenshot_dir, "form-knowledge-question.png");
  action (&f, "filler.next", NULL);
  pick (&f, "/data/torture_exception", 1, TRUE);
  /* The judge question is left out on purpose. */
  go_to (&f, 4);

  /* A constraint: the message shows under the question, and Next stays. */
  type (&f, "/data/years_service", "99");
  action (&f, "filler.next", NULL);
  g_assert_cmpuint (dft_form_filler_get_page (f.filler), ==, 4);
  g_assert_cmpstr (dft_form_filler_get_message_for_path (f.filler, "/data/years_service"), ==,
                   "Enter a number from 0 to 50.");
  dft_ui_test_screenshot (GTK_WIDGET (f.window), screenshot_dir, "form-knowledge-constraint.png");
  type (&f, "/data/years_service", "12");
  action (&f, "filler.next", NULL);
  g_assert_cmpuint (dft_form_filler_get_page (f.filler), ==, 5);

  /* A required question left empty blocks finalizing; the summary lists it. */
  action (&f, "filler.finalize", NULL);
  g_assert_cmpstr (dft_form_filler_get_mode (f.filler), ==, "summary");
  missing = dft_form_filler_get_summary_paths (f.filler);
  g_assert_cmpuint (g_strv_length (missing), ==, 1);
  g_assert_cmpstr (missing[0], ==, "/data/judge_detention");
  dft_ui_test_screenshot (GTK_WIDGET (f.window), screenshot_dir, "form-summary.png");
  g_assert_null (f.finished);

  action (&f, "filler.go-to-path", g_variant_new_string ("/data/judge_detention"));
  g_assert_cmpstr (dft_form_filler_get_mode (f.filler), ==, "form");
  g_assert_cmpuint (dft_form_filler_get_page (f.filler), ==, 3);
  pick (&f, "/data/judge_detention", 2, TRUE);
  action (&f, "filler.finalize", NULL);
  dft_test_wait_until (has_finished, &f, "the final submission");
  g_assert_cmpstr (dft_form_filler_get_mode (f.filler), ==, "done");

  stored = dft_store_load (store, &dft_entity_submission, dft_record_get_id (f.finished), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dft_record_get_string (stored, "status"), ==, "final");
  g_assert_cmpstr (dft_record_get_string (stored, "phase"), ==, "pre");
  g_assert_cmpstr (dft_record_get_string (stored, "event_id"), ==, dft_record_get_id (event));
  g_assert_cmpfloat_with_epsilon (dft_record_get_real (stored, "score"), 100.0, 1e-9);
  close_filler (&f);
}

static void
test_draft_resume (void)
{
  Filling               f;
  g_autoptr (DftRecord) draft = NULL;

  open_filler (&f, knowledge, "post", NULL, 480);
  go_to (&f, 4);
  type (&f, "/data/years_service", "7");
  go_to (&f, 5);
  type (&f, "/data/comment", "More role plays, please");
  action (&f, "filler.save-draft", NULL);
  dft_test_wait_until (has_draft, &f, "the draft");
  g_assert_cmpstr (dft_record_get_string (f.draft, "status"), ==, "draft");
  draft = g_object_ref (f.draft);
  close_filler (&f);

  open_filler (&f, knowledge, "post", draft, 480);
  go_to (&f, 4);
  g_assert_cmpstr (typed (&f, "/data/years_service"), ==, "7");
  go_to (&f, 5);
  g_assert_cmpstr (typed (&f, "/data/comment"), ==, "More role plays, please");
  /* Saving again updates the same draft. */
  type (&f, "/data/comment", "More role plays");
  action (&f, "filler.save-draft", NULL);
  dft_test_wait_until (has_draft, &f, "the draft saved again");
  g_assert_cmpstr (dft_record_get_id (f.draft), ==, dft_record_get_id (draft));
  close_filler (&f);
}

static void
test_language (void)
{
  Filling f;

  open_filler (&f, knowledge, NULL, NULL, 480);
  g_assert_cmpstr (dft_form_filler_get_language (f.filler), ==, "en");
  g_assert_true (g_str_has_prefix (label_text (&f, "/data/intro"), "Answer on your own"));
  dft_form_filler_set_language (f.filler, "ru");
  g_assert_cmpstr (dft_form_filler_get_language (f.filler), ==, "ru");
  g_assert_true (g_str_has_prefix (label_text (&f, "/data/intro"), "Отвечайте самостоятельно"));
  g_assert_cmpint (gtk_widget_get_direction (GTK_WIDGET (f.filler)), ==, GTK_TEXT_DIR_LTR);
  close_filler (&f);
}

static void
test_language_texts (void)
{
  Filling f;

  open_filler (&f, texts, NULL, NULL, 480);
  g_assert_cmpstr (
      gtk_label_get_text (GTK_LABEL (dft_form_filler_get_widget_for_path (f.filler, "/data/hi"))),
      ==, "Hello");
  dft_form_filler_set_language (f.filler, "ru");
  g_assert_cmpstr (
      gtk_label_get_text (GTK_LABEL (dft_form_filler_get_widget_for_path (f.filler, "/data/hi"))),
      ==, "Привет");
  close_filler (&f);
}

static void
test_live (void)
{
  Filling f;

  open_filler (&f, tiny, NULL, NULL, 480);
  /* The field-list group is one page. */
  g_assert_cmpuint (dft_form_filler_get_n_pages (f.filler), ==, 1);
  g_assert_false (dft_form_filler_is_shown (f.filler, "/data/g/why"));
  pick (&f, "/data/g/pet", 0, TRUE);
  g_assert_true (dft_form_filler_is_shown (f.filler, "/data/g/why"));
  pick (&f, "/data/g/pet", 1, TRUE);
  g_assert_false (dft_form_filler_is_shown (f.filler, "/data/g/why"));

  type (&f, "/data/g/n", "4");
  g_assert_cmpstr (gtk_label_get_text (
                       GTK_LABEL (dft_form_filler_get_widget_for_path (f.filler, "/data/g/twice"))),
                   ==, "8");
  /* A calculation that only suggests the answer: an entry showing the suggestion, which the
   * person may change, and what they type stays when what it follows changes. */
  g_assert_cmpstr (typed (&f, "/data/g/guess"), ==, "5");
  g_assert_true (
      gtk_widget_get_sensitive (dft_form_filler_get_widget_for_path (f.filler, "/data/g/guess")));
  type (&f, "/data/g/guess", "7");
  type (&f, "/data/g/n", "5");
  g_assert_cmpstr (typed (&f, "/data/g/guess"), ==, "7");
  g_assert_cmpstr (gtk_label_get_text (
                       GTK_LABEL (dft_form_filler_get_widget_for_path (f.filler, "/data/g/twice"))),
                   ==, "10");
  type (&f, "/data/g/n", "4");
  /* A choice shows as its label, in the form's language, not as its value. */
  g_assert_cmpstr (label_text (&f, "/data/g/echo"), ==, "You typed 4 <b> (No)");
  /* Not translated into Russian: shown in English, and marked. */
  dft_form_filler_set_language (f.filler, "ru");
  g_assert_cmpstr (label_text (&f, "/data/g/n"), ==, "Число");
  g_assert_cmpstr (label_text (&f, "/data/g/echo"), ==, "You typed 4 <b> (Нет)");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (fallback_tag (&f, "/data/g/echo"))), ==, "↩ en");
  g_assert_true (gtk_widget_get_visible (fallback_tag (&f, "/data/g/echo")));
  g_assert_false (gtk_widget_get_visible (fallback_tag (&f, "/data/g/n")));
  close_filler (&f);
}

static void
test_urdu (void)
{
  Filling f;

  open_filler (&f, urdu, NULL, NULL, 360);
  g_assert_cmpstr (dft_form_filler_get_language (f.filler), ==, "ur");
  g_assert_cmpint (gtk_widget_get_direction (GTK_WIDGET (f.filler)), ==, GTK_TEXT_DIR_RTL);
  g_assert_cmpint (
      gtk_widget_get_direction (dft_form_filler_get_label_for_path (f.filler, "/data/p/name")), ==,
      GTK_TEXT_DIR_RTL);
  g_assert_cmpint (
      gtk_widget_get_direction (dft_form_filler_get_widget_for_path (f.filler, "/data/p/name")), ==,
      GTK_TEXT_DIR_RTL);
  dft_ui_test_screenshot (GTK_WIDGET (f.window), screenshot_dir, "form-urdu.png");
  /* An Urdu sentence that starts with a Latin acronym is still an Urdu paragraph: laid out
   * from the right, the acronym where an Urdu reader expects it. The English text it falls
   * back to elsewhere stays left to right. */
  {
    GtkLabel *note = GTK_LABEL (dft_form_filler_get_label_for_path (f.filler, "/data/p/unodc"));
    PangoLayoutLine *line = pango_layout_get_line_readonly (gtk_label_get_layout (note), 0);
    PangoLayoutLine *english = pango_layout_get_line_readonly (
        gtk_label_get_layout (
            GTK_LABEL (dft_form_filler_get_label_for_path (f.filler, "/data/p/since"))),
        0);

    g_assert_cmpint (line->resolved_dir, ==, PANGO_DIRECTION_RTL);
    g_assert_cmpint (english->resolved_dir, ==, PANGO_DIRECTION_LTR);
  }
  /* The calendar opens on the date typed, and picking a day types it. */
  {
    GtkWidget            *entry = dft_form_filler_get_widget_for_path (f.filler, "/data/p/since");
    GtkWidget            *button = gtk_widget_get_next_sibling (entry);
    GtkWidget            *calendar;
    g_autoptr (GDateTime) shown = NULL;
    g_autoptr (GDateTime) other = g_date_time_new_local (2019, 3, 1, 0, 0, 0);

    type (&f, "/data/p/since", "2018-11-05");
    gtk_menu_button_popup (GTK_MENU_BUTTON (button));
    calendar = gtk_popover_get_child (gtk_menu_button_get_popover (GTK_MENU_BUTTON (button)));
    shown = gtk_calendar_get_date (GTK_CALENDAR (calendar));
    g_assert_cmpint (g_date_time_get_year (shown), ==, 2018);
    g_assert_cmpint (g_date_time_get_month (shown), ==, 11);
    g_assert_cmpint (g_date_time_get_day_of_month (shown), ==, 5);
    gtk_calendar_select_day (GTK_CALENDAR (calendar), other);
    g_signal_emit_by_name (calendar, "day-selected");
    g_assert_cmpstr (typed (&f, "/data/p/since"), ==, "2019-03-01");
  }
  dft_form_filler_set_language (f.filler, "en");
  g_assert_cmpint (gtk_widget_get_direction (GTK_WIDGET (f.filler)), ==, GTK_TEXT_DIR_LTR);
  close_filler (&f);
}

static gboolean
press (Filling *f, guint keyval)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (f->filler));
  gboolean               handled = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr (GtkEventController) c = g_list_model_get_item (controllers, i);

      if (GTK_IS_EVENT_CONTROLLER_KEY (c)
          && gtk_event_controller_get_propagation_phase (c) == GTK_PHASE_CAPTURE)
        {
          g_signal_emit_by_name (c, "key-pressed", keyval, 0, 0, &handled);
          return handled;
        }
    }
  g_assert_not_reached ();
}

static void
test_keyboard (void)
{
  Filling          f;
  g_autofree char *answer = NULL;

  open_filler (&f, knowledge, NULL, NULL, 360);
  go_to (&f, 3);
  dft_ui_test_screenshot (GTK_WIDGET (f.window), screenshot_dir, "form-narrow.png");
  go_to (&f, 2);
  gtk_widget_grab_focus (
      dft_form_filler_get_choice_button (f.filler, "/data/torture_exception", 0));
  /* Digits pick the nth choice, 0 clears. */
  g_assert_true (press (&f, GDK_KEY_2));
  g_assert_true (picked (&f, "/data/torture_exception", 1));
  answer = dft_form_run_get_answer (dft_form_filler_get_run (f.filler), "/data/torture_exception");
  g_assert_cmpstr (answer, ==, "false");
  g_assert_true (press (&f, GDK_KEY_0));
  g_assert_false (picked (&f, "/data/torture_exception", 0));
  g_assert_false (picked (&f, "/data/torture_exception", 1));
  g_assert_true (press (&f, GDK_KEY_KP_1));
  g_assert_true (picked (&f, "/data/torture_exception", 0));
  /* Enter on the last question of a page goes to the next page. */
  g_assert_true (press (&f, GDK_KEY_Return));
  g_assert_cmpuint (dft_form_filler_get_page (f.filler), ==, 3);

  /* Enter with a wrong answer stays and says why; digits in a number field are typed. */
  go_to (&f, 4);
  gtk_widget_grab_focus (dft_form_filler_get_widget_for_path (f.filler, "/data/years_service"));
  g_assert_false (press (&f, GDK_KEY_5));
  type (&f, "/data/years_service", "-1");
  g_assert_true (press (&f, GDK_KEY_Return));
  g_assert_cmpuint (dft_form_filler_get_page (f.filler), ==, 4);
  g_assert_nonnull (dft_form_filler_get_message_for_path (f.filler, "/data/years_service"));
  type (&f, "/data/years_service", "5");
  g_assert_true (press (&f, GDK_KEY_Return));
  g_assert_cmpuint (dft_form_filler_get_page (f.filler), ==, 5);
  g_assert_true (press (&f, GDK_KEY_Page_Up));
  g_assert_cmpuint (dft_form_filler_get_page (f.filler), ==, 4);
  g_assert_true (press (&f, GDK_KEY_Page_Down));
  g_assert_cmpuint (dft_form_filler_get_page (f.filler), ==, 5);
  close_filler (&f);
}

/* Which question the keyboard focus is in (NULL: none of @paths). */
static const char *
focused_question (Filling *f, const char *const *paths)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (f->window));

  for (guint i = 0; focus != NULL && paths[i] != NULL; i++)
    {
      GtkWidget *control = dft_form_filler_get_widget_for_path (f->filler, paths[i]);

      if (control != NULL && (focus == control || gtk_widget_is_ancestor (focus, control)))
        return paths[i];
    }
  return NULL;
}

/* Entering a paper form with the keyboard alone, keys pressed through the X server as a
 * person types them: a digit picks a choice, Enter moves to the next question, typed text
 * lands in the focused question, Tab and Shift+Tab walk the questions in order. */
static void
test_keyboard_real (void)
{
  static const char *const order[] = { "/data/g/pet", "/data/g/why", "/data/g/n", NULL };
  Filling                  f;
  DftFormRun              *run;
  g_autofree char         *pet = NULL, *why = NULL, *n = NULL, *twice = NULL;

  open_filler (&f, tiny, NULL, NULL, 480);
  gtk_widget_grab_focus (dft_form_filler_get_choice_button (f.filler, "/data/g/pet", 0));
  dft_xkeys_press (f.window, (const char *[]){ "1", "Return", NULL });
  g_assert_true (picked (&f, "/data/g/pet", 0));
  g_assert_true (dft_form_filler_is_shown (f.filler, "/data/g/why"));
  g_assert_cmpstr (focused_question (&f, order), ==, "/data/g/why");
  dft_xkeys_type (f.window, "Cybercrime units");
  dft_xkeys_press (f.window, (const char *[]){ "Return", NULL });
  g_assert_cmpstr (focused_question (&f, order), ==, "/data/g/n");
  dft_xkeys_type (f.window, "4");
  g_assert_cmpstr (typed (&f, "/data/g/why"), ==, "Cybercrime units");
  g_assert_cmpstr (typed (&f, "/data/g/n"), ==, "4");
  dft_test_wait_until (filler_idle, f.filler, "the answers to be taken");
  run = dft_form_filler_get_run (f.filler);
  pet = dft_form_run_get_answer (run, "/data/g/pet");
  why = dft_form_run_get_answer (run, "/data/g/why");
  n = dft_form_run_get_answer (run, "/data/g/n");
  twice = dft_form_run_get_answer (run, "/data/g/twice");
  g_assert_cmpstr (pet, ==, "yes");
  g_assert_cmpstr (why, ==, "Cybercrime units");
  g_assert_cmpstr (n, ==, "4");
  g_assert_cmpstr (twice, ==, "8");

  /* Shift+Tab goes back through the questions in reading order, Tab forward again. */
  dft_xkeys_press (f.window, (const char *[]){ "shift+Tab", NULL });
  g_assert_cmpstr (focused_question (&f, order), ==, "/data/g/why");
  dft_xkeys_press (f.window, (const char *[]){ "Tab", NULL });
  g_assert_cmpstr (focused_question (&f, order), ==, "/data/g/n");
  close_filler (&f);
}

/* The filler's window as the Tests view and the Forms page open it, with @filler set to the
 * filler inside; waits until the form has loaded. */
static GtkWindow *
open_filler_window (
    GtkWindow *parent, DftRecord *form, const char *person_id, const char *phase, Filling *f)
{
  memset (f, 0, sizeof *f);
  f->window = GTK_WINDOW (dft_forms_open_filler (
      GTK_WIDGET (parent), store, form, dft_record_get_id (event), person_id, phase, FALSE));
  f->filler = DFT_FORM_FILLER (adw_window_get_content (ADW_WINDOW (f->window)));
  dft_test_wait_until (filler_ready, f->filler, "the form to load");
  g_assert_cmpstr (dft_form_filler_get_mode (f->filler), ==, "form");
  return f->window;
}

static GtkWidget *
find_action_button (GtkWidget *w, const char *action)
{
  if (GTK_IS_BUTTON (w)
      && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (w)), action) == 0)
    return w;
  for (GtkWidget *c = gtk_widget_get_first_child (w); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_action_button (c, action);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/*
 * Return, typed as a person does, in the filler's own window: the focus starts on the first
 * question, so Return on the first page answers or moves on and never closes the form (it
 * pressed the close button); on a page with nothing to answer it goes to the next page; on the
 * last question of the last page it goes to Finish, and Return there finishes, through the
 * summary of what is left.
 */
static void
test_return_keys (void)
{
  static const char *const order[] = { "/data/g/pet", "/data/g/why", "/data/g/n", NULL };
  GtkWindow               *parent = GTK_WINDOW (gtk_window_new ());
  Filling                  f;
  gpointer                 weak;
  guint                    last;

  gtk_window_present (parent);
  open_filler_window (parent, tiny, NULL, NULL, &f);
  weak = f.window;
  g_object_add_weak_pointer (G_OBJECT (weak), &weak);
  g_assert_cmpstr (focused_question (&f, order), ==, "/data/g/pet");
  dft_xkeys_press (f.window, (const char *[]){ "Return", NULL });
  g_assert_nonnull (weak);
  g_assert_cmpstr (dft_form_filler_get_mode (f.filler), ==, "form");
  g_object_remove_weak_pointer (G_OBJECT (weak), &weak);
  close_filler (&f);

  /* The knowledge test opens on a note. */
  open_filler_window (parent, knowledge, NULL, NULL, &f);
  weak = f.window;
  g_object_add_weak_pointer (G_OBJECT (weak), &weak);
  g_assert_cmpuint (dft_form_filler_get_page (f.filler), ==, 0);
  dft_xkeys_press (f.window, (const char *[]){ "Return", NULL });
  g_assert_nonnull (weak);
  g_assert_cmpuint (dft_form_filler_get_page (f.filler), ==, 1);
  g_assert_cmpstr (focused_question (&f, (const char *const[]){ "/data/force_principles", NULL }),
                   ==, "/data/force_principles");

  /* The last page: Return in its last question goes to Finish and finishes nothing yet. */
  last = dft_form_filler_get_n_pages (f.filler) - 1;
  go_to (&f, last);
  g_assert_cmpstr (focused_question (&f, (const char *const[]){ "/data/comment", NULL }), ==,
                   "/data/comment");
  dft_xkeys_type (f.window, "Clear");
  dft_xkeys_press (f.window, (const char *[]){ "Return", NULL });
  g_assert_cmpuint (dft_form_filler_get_page (f.filler), ==, last);
  g_assert_cmpstr (dft_form_filler_get_mode (f.filler), ==, "form");
  g_assert_true (gtk_root_get_focus (GTK_ROOT (f.window))
                 == find_action_button (GTK_WIDGET (f.filler), "filler.finalize"));
  /* Return on Finish: the questions left unanswered are listed, nothing is saved. */
  dft_xkeys_press (f.window, (const char *[]){ "Return", NULL });
  g_assert_cmpstr (dft_form_filler_get_mode (f.filler), ==, "summary");
  g_assert_cmpuint (f.n_finished, ==, 0);
  g_assert_nonnull (weak);
  g_object_remove_weak_pointer (G_OBJECT (weak), &weak);
  close_filler (&f);
  dft_ui_test_close_and_check_finalized (parent);
}

static DftRecord *save_form (DftForm *form);

/* The header says whose form it is, as typed (markup and all), and whether it is the pre-test
 * or the post-test: as the Tests view opens it, or as the form itself says. */
static void
test_header (void)
{
  GtkWindow            *parent = GTK_WINDOW (gtk_window_new ());
  g_autoptr (DftRecord) person = dft_test_add_person (store, "Айгүл", "<b>Токтогулова</b>");
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftForm)   post = dft_form_template_load ("knowledge-test", &error);
  g_autoptr (DftRecord) post_record = NULL;
  Filling               f;

  g_assert_no_error (error);
  gtk_window_present (parent);
  open_filler_window (parent, knowledge, dft_record_get_id (person), "pre", &f);
  g_assert_cmpstr (dft_form_filler_get_subtitle (f.filler), ==,
                   "Айгүл <b>Токтогулова</b> · Pre-test");
  dft_ui_test_screenshot (GTK_WIDGET (f.window), screenshot_dir, "form-header.png");
  close_filler (&f);

  open_filler_window (parent, knowledge, dft_record_get_id (person), "post", &f);
  g_assert_cmpstr (dft_form_filler_get_subtitle (f.filler), ==,
                   "Айгүл <b>Токтогулова</b> · Post-test");
  close_filler (&f);

  /* Anonymous, and no test: nothing under the title. */
  open_filler_window (parent, evaluation, NULL, NULL, &f);
  g_assert_null (dft_form_filler_get_subtitle (f.filler));
  close_filler (&f);

  /* A form that is the post-test half of a pair says so without being told. */
  g_free (post->id);
  post->id = g_strdup ("knowledge_post");
  g_free (post->phase);
  post->phase = g_strdup ("post");
  post_record = save_form (post);
  open_filler_window (parent, post_record, NULL, NULL, &f);
  g_assert_cmpstr (dft_form_filler_get_subtitle (f.filler), ==, "Post-test");
  close_filler (&f);
  dft_ui_test_close_and_check_finalized (parent);
}

static const char repeat_json[]
    = "{\"format\": \"daftari-form\", \"format_version\": 1, \"id\": \"kids\", \"version\": \"1\","
      " \"title\": {\"en\": \"Kids\"}, \"kind\": \"survey\", \"root\": \"data\","
      " \"default_language\": \"en\", \"languages\": [{\"code\": \"en\", \"name\": \"English\"}],"
      " \"questions\": [{\"type\": \"repeat\", \"name\": \"kid\", \"label\": {\"en\": \"Child\"},"
      "   \"children\": [{\"type\": \"text\", \"name\": \"name\", \"label\": {\"en\": \"Name\"}},"
      "   {\"type\": \"note\", \"name\": \"hello\", \"label\": {\"en\": \"Hello ${name}\"}}]},"
      "  {\"type\": \"integer\", \"name\": \"n\", \"label\": {\"en\": \"How many rooms?\"}},"
      "  {\"type\": \"repeat\", \"name\": \"room\", \"repeat_count\": \"${n}\","
      "   \"label\": {\"en\": \"Room\"}, \"children\": [{\"type\": \"geopoint\", \"name\": "
      "\"where\","
      "   \"label\": {\"en\": \"Where\"}}, {\"type\": \"date\", \"name\": \"seen\","
      "   \"label\": {\"en\": \"Seen\"}}]}]}";

static DftRecord *kids;

static guint
kid_count (Filling *f)
{
  return dft_form_run_count_instances (dft_form_filler_get_run (f->filler), "/data/kid");
}

static void
test_repeats (void)
{
  Filling f;
  guint   kid_pages;

  open_filler (&f, kids, NULL, NULL, 480);
  kid_pages = MAX (kid_count (&f), 1);
  g_assert_cmpuint (dft_form_filler_get_n_pages (f.filler), ==, kid_pages + 1);
  action (&f, "filler.add-instance", g_variant_new_string ("/data/kid"));
  g_assert_cmpuint (kid_count (&f), >=, 1);
  {
    guint            n = kid_count (&f);
    g_autofree char *name = g_strdup_printf ("/data/kid[%u]/name", n);
    g_autofree char *hello = g_strdup_printf ("/data/kid[%u]/hello", n);

    type (&f, name, "Amina");
    g_assert_cmpstr (label_text (&f, hello), ==, "Hello Amina");
    action (&f, "filler.add-instance", g_variant_new_string ("/data/kid"));
    g_assert_cmpuint (kid_count (&f), ==, n + 1);
    g_assert_cmpuint (dft_form_filler_get_n_pages (f.filler), ==, n + 2);
    action (&f, "filler.remove-instance", g_variant_new ("(su)", "/data/kid", n + 1));
    g_assert_cmpuint (kid_count (&f), ==, n);
  }

  /* A counted repeat follows its count: a page per room. */
  go_to (&f, dft_form_filler_get_n_pages (f.filler) - 1);
  type (&f, "/data/n", "2");
  g_assert_cmpuint (dft_form_filler_get_n_pages (f.filler), ==, kid_count (&f) + 3);
  action (&f, "filler.next", NULL);
  {
    GtkWidget       *lat = dft_form_filler_get_widget_for_path (f.filler, "/data/room[1]/where");
    GtkWidget       *lon;
    g_autofree char *answer = NULL;

    g_assert_true (GTK_IS_EDITABLE (lat));
    gtk_editable_set_text (GTK_EDITABLE (lat), "41.7");
    /* Each entry sits above its caption; the longitude is in the next box. */
    lon = gtk_widget_get_first_child (gtk_widget_get_next_sibling (gtk_widget_get_parent (lat)));
    gtk_editable_set_text (GTK_EDITABLE (lon), "44.8");
    answer = dft_form_run_get_answer (dft_form_filler_get_run (f.filler), "/data/room[1]/where");
    g_assert_cmpstr (answer, ==, "41.7 44.8");
  }
  dft_ui_test_screenshot (GTK_WIDGET (f.window), screenshot_dir, "form-repeat.png");
  close_filler (&f);
}

static const char visits_json[]
    = "{\"format\": \"daftari-form\", \"format_version\": 1, \"id\": \"visits\", \"version\": "
      "\"1\","
      " \"title\": {\"en\": \"Visits\"}, \"kind\": \"survey\", \"root\": \"data\","
      " \"default_language\": \"en\", \"languages\": [{\"code\": \"en\", \"name\": \"English\"}],"
      " \"questions\": [{\"type\": \"group\", \"name\": \"p\", \"page\": true,"
      "   \"label\": {\"en\": \"Household visits\"}, \"children\": ["
      "   {\"type\": \"text\", \"name\": \"where\", \"label\": {\"en\": \"Village\"}},"
      "   {\"type\": \"repeat\", \"name\": \"visit\", \"label\": {\"en\": \"Visit <b>\"},"
      "    \"children\": [{\"type\": \"text\", \"name\": \"who\", \"required\": true,"
      "     \"label\": {\"en\": \"Who was seen?\"}},"
      "     {\"type\": \"integer\", \"name\": \"seen\", \"label\": {\"en\": \"Times seen\"}},"
      "     {\"type\": \"text\", \"name\": \"why\", \"relevant\": \"${seen} > 2\","
      "      \"label\": {\"en\": \"Why so often?\"}}]}]},"
      "  {\"type\": \"text\", \"name\": \"notes\", \"label\": {\"en\": \"Notes\"}}]}";

static DftRecord *visits;

static gboolean
is_instance_button (GtkWidget *widget, gconstpointer target)
{
  GVariant *t;

  if (!GTK_IS_BUTTON (widget) || gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)) == NULL)
    return FALSE;
  t = gtk_actionable_get_action_target_value (GTK_ACTIONABLE (widget));
  return t != NULL && g_variant_equal (t, target);
}

/* The Add button of the repeat at @base, or the Remove button of its instance @n (from 1). */
static GtkWidget *
instance_button (Filling *f, const char *base, guint n)
{
  g_autoptr (GVariant) target
      = g_variant_ref_sink (n == 0 ? g_variant_new_string (base) : g_variant_new ("(su)", base, n));
  GtkWidget *button = dft_ui_find_widget (GTK_WIDGET (f->filler), is_instance_button, target);

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_visible (button));
  g_assert_true (gtk_widget_get_focusable (button));
  return button;
}

static gboolean
is_plain_label (GtkWidget *widget, gconstpointer text)
{
  return GTK_IS_LABEL (widget) && !gtk_label_get_use_markup (GTK_LABEL (widget))
         && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0;
}

static guint
visit_count (Filling *f)
{
  return dft_form_run_count_instances (dft_form_filler_get_run (f->filler), "/data/p/visit");
}

typedef struct
{
  Filling *f;
  guint    n;
} VisitWait;

static gboolean
has_visits (gpointer data)
{
  VisitWait *w = data;

  return visit_count (w->f) == w->n;
}

/* A button pressed from the keyboard clicks once its pressed look has been seen. */
static void
press_key_on (Filling *f, GtkWidget *button, const char *key, guint n_visits)
{
  gtk_widget_grab_focus (button);
  g_assert_true (gtk_widget_has_focus (button));
  dft_xkeys_press (f->window, (const char *[]){ key, NULL });
  dft_test_wait_until (has_visits, &(VisitWait){ f, n_visits }, "the visits to change");
}

/* A repeat inside a field-list group, on that page: each instance framed
 * under its heading with a Remove button, Add after the last, by pointer or keyboard; relevance
 * and required checks per instance; what is saved follows the instances left. */
static void
test_repeat_in_page (void)
{
  static const char *const order[] = { "/data/p/where", "/data/p/visit[1]/who",
                                       "/data/p/visit[2]/who", "/data/p/visit[3]/who", NULL };
  Filling                  f;
  g_autoptr (GError)       error = NULL;
  g_autoptr (DftRecord)    stored = NULL;
  g_autoptr (JsonNode)     answers = NULL;
  g_auto (GStrv)           missing = NULL;
  JsonObject              *a;
  GtkWidget               *remove;

  open_filler (&f, visits, NULL, NULL, 360);
  g_assert_cmpuint (dft_form_filler_get_n_pages (f.filler), ==, 2);
  g_assert_cmpuint (visit_count (&f), ==, 1);
  /* The heading is the label as written, never markup. */
  g_assert_nonnull (dft_ui_find_widget (GTK_WIDGET (f.filler), is_plain_label, "Visit <b> 1"));
  gtk_test_accessible_assert_property (instance_button (&f, "/data/p/visit", 0),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Add Visit <b>");

  /* Add with the pointer: the page stays, the new instance's first question has the focus. */
  g_signal_emit_by_name (instance_button (&f, "/data/p/visit", 0), "clicked");
  g_assert_cmpuint (visit_count (&f), ==, 2);
  g_assert_cmpuint (dft_form_filler_get_page (f.filler), ==, 0);
  g_assert_cmpuint (dft_form_filler_get_n_pages (f.filler), ==, 2);
  g_assert_cmpstr (focused_question (&f, order), ==, "/data/p/visit[2]/who");
  dft_xkeys_type (f.window, "Zawadi");
  g_assert_cmpstr (typed (&f, "/data/p/visit[2]/who"), ==, "Zawadi");

  /* Add with the keyboard alone. */
  press_key_on (&f, instance_button (&f, "/data/p/visit", 0), "space", 3);
  g_assert_cmpstr (focused_question (&f, order), ==, "/data/p/visit[3]/who");
  g_assert_cmpstr (typed (&f, "/data/p/visit[2]/who"), ==, "Zawadi");

  /* Relevance per instance: the second's "why" shows, the first's does not. */
  type (&f, "/data/p/visit[1]/who", "Amina");
  type (&f, "/data/p/visit[2]/seen", "4");
  g_assert_true (dft_form_filler_is_shown (f.filler, "/data/p/visit[2]/why"));
  g_assert_false (dft_form_filler_is_shown (f.filler, "/data/p/visit[1]/why"));
  type (&f, "/data/p/visit[2]/why", "Sick child");
  dft_ui_test_screenshot (GTK_WIDGET (f.window), screenshot_dir, "form-repeat-in-page.png");

  /* Required per instance: the third, left empty, keeps the form from being finished, and
   * the summary leads back to it on its page. */
  action (&f, "filler.finalize", NULL);
  g_assert_cmpstr (dft_form_filler_get_mode (f.filler), ==, "summary");
  missing = dft_form_filler_get_summary_paths (f.filler);
  g_assert_cmpuint (g_strv_length (missing), ==, 1);
  g_assert_cmpstr (missing[0], ==, "/data/p/visit[3]/who");
  action (&f, "filler.go-to-path", g_variant_new_string (missing[0]));
  g_assert_cmpstr (dft_form_filler_get_mode (f.filler), ==, "form");
  g_assert_cmpuint (dft_form_filler_get_page (f.filler), ==, 0);
  g_assert_nonnull (dft_form_filler_get_message_for_path (f.filler, "/data/p/visit[3]/who"));
  g_assert_null (dft_form_filler_get_message_for_path (f.filler, "/data/p/visit[2]/who"));

  /* Remove the third, and the first with the keyboard: Zawadi's visit is the first left. */
  remove = instance_button (&f, "/data/p/visit", 3);
  gtk_test_accessible_assert_property (remove, GTK_ACCESSIBLE_PROPERTY_LABEL, "Remove Visit <b> 3");
  g_signal_emit_by_name (remove, "clicked");
  g_assert_cmpuint (visit_count (&f), ==, 2);
  press_key_on (&f, instance_button (&f, "/data/p/visit", 1), "Return", 1);
  g_assert_cmpstr (typed (&f, "/data/p/visit[1]/who"), ==, "Zawadi");
  g_assert_null (dft_form_filler_get_widget_for_path (f.filler, "/data/p/visit[2]/who"));

  action (&f, "filler.next", NULL);
  g_assert_cmpuint (dft_form_filler_get_page (f.filler), ==, 1);
  action (&f, "filler.finalize", NULL);
  dft_test_wait_until (has_finished, &f, "the final submission");
  stored = dft_store_load (store, &dft_entity_submission, dft_record_get_id (f.finished), &error);
  g_assert_no_error (error);
  answers = json_from_string (dft_record_get_string (stored, "answers"), &error);
  g_assert_no_error (error);
  a = json_node_get_object (answers);
  g_assert_cmpstr (json_object_get_string_member (a, "/data/p/visit[1]/who"), ==, "Zawadi");
  g_assert_cmpstr (json_object_get_string_member (a, "/data/p/visit[1]/seen"), ==, "4");
  g_assert_cmpstr (json_object_get_string_member (a, "/data/p/visit[1]/why"), ==, "Sick child");
  g_assert_false (json_object_has_member (a, "/data/p/visit[2]/who"));
  close_filler (&f);
}

static const char geo_json[]
    = "{\"format\": \"daftari-form\", \"format_version\": 1, \"id\": \"walks\", \"version\": \"1\","
      " \"title\": {\"en\": \"Walks\"}, \"kind\": \"survey\", \"root\": \"data\","
      " \"default_language\": \"en\", \"languages\": [{\"code\": \"en\", \"name\": \"English\"}],"
      " \"questions\": [{\"type\": \"group\", \"name\": \"g\", \"page\": true, \"children\": ["
      "   {\"type\": \"geotrace\", \"name\": \"walk\", \"required\": true,"
      "    \"label\": {\"en\": \"The route walked\"}},"
      "   {\"type\": \"geoshape\", \"name\": \"field\", \"label\": {\"en\": \"The field\"}},"
      "   {\"type\": \"barcode\", \"name\": \"code\", \"label\": {\"en\": \"Tag code\"}}]},"
      "  {\"type\": \"note\", \"name\": \"bye\", \"label\": {\"en\": \"Thank you\"}}]}";

static DftRecord *walks;

/* The text in the text area of @path. */
static GtkTextBuffer *
text_area (Filling *f, const char *path)
{
  GtkWidget *view = dft_form_filler_get_widget_for_path (f->filler, path);

  g_assert_true (GTK_IS_TEXT_VIEW (view));
  return gtk_text_view_get_buffer (GTK_TEXT_VIEW (view));
}

/* Types @text into the text area of @path, as a paste does. */
static void
type_lines (Filling *f, const char *path, const char *text)
{
  gtk_text_buffer_set_text (text_area (f, path), text, -1);
}

static char *
typed_lines (Filling *f, const char *path)
{
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (text_area (f, path), &start, &end);
  return gtk_text_buffer_get_text (text_area (f, path), &start, &end, FALSE);
}

static char *
answer_at (Filling *f, const char *path)
{
  return dft_form_run_get_answer (dft_form_filler_get_run (f->filler), path);
}

/* A line pasted from a GPS app, a wrong point named under it, a shape and a barcode. */
static void
test_geo_barcode (void)
{
  Filling          f;
  g_autofree char *walk = NULL;
  g_autofree char *code = NULL;
  g_autofree char *shown = NULL;
  const char      *message;

  open_filler (&f, walks, NULL, NULL, 480);
  g_assert_cmpuint (dft_form_filler_get_n_pages (f.filler), ==, 2);
  /* Commas and one point per line, as a GPS app gives them; kept as ODK writes them. */
  type_lines (&f, "/data/g/walk", "42.87, 74.59\n42.88, 74.60\n");
  walk = answer_at (&f, "/data/g/walk");
  g_assert_cmpstr (walk, ==, "42.87 74.59;42.88 74.60");

  /* A latitude past the pole: the message names the point, and Next stays. */
  type_lines (&f, "/data/g/walk", "42.87 74.59\n95 74.6");
  action (&f, "filler.next", NULL);
  g_assert_cmpuint (dft_form_filler_get_page (f.filler), ==, 0);
  message = dft_form_filler_get_message_for_path (f.filler, "/data/g/walk");
  g_assert_nonnull (message);
  g_assert_nonnull (strstr (message, "Point 2 (“95 74.6”)"));
  dft_ui_test_screenshot (GTK_WIDGET (f.window), screenshot_dir, "form-geotrace.png");

  /* A shape not closed is refused too. */
  type_lines (&f, "/data/g/walk", "42.87 74.59\n42.88 74.6");
  type_lines (&f, "/data/g/field", "1 2\n1 3\n2 3");
  action (&f, "filler.next", NULL);
  g_assert_cmpuint (dft_form_filler_get_page (f.filler), ==, 0);
  g_assert_null (dft_form_filler_get_message_for_path (f.filler, "/data/g/walk"));
  g_assert_nonnull (dft_form_filler_get_message_for_path (f.filler, "/data/g/field"));

  /* A barcode is a one-line entry, kept as typed. */
  type (&f, "/data/g/code", "00012345");
  code = answer_at (&f, "/data/g/code");
  g_assert_cmpstr (code, ==, "00012345");
  type_lines (&f, "/data/g/field", "1 2\n1 3\n2 3\n1 2");
  action (&f, "filler.next", NULL);
  g_assert_cmpuint (dft_form_filler_get_page (f.filler), ==, 1);

  /* Back on the page, the line shows one point per line again. */
  go_to (&f, 0);
  shown = typed_lines (&f, "/data/g/walk");
  g_assert_cmpstr (shown, ==, "42.87 74.59\n42.88 74.6");
  close_filler (&f);
}

static const char range_json[]
    = "{\"format\": \"daftari-form\", \"format_version\": 1, \"id\": \"ranges\", \"version\": "
      "\"1\","
      " \"title\": {\"en\": \"Ranges\"}, \"kind\": \"evaluation\", \"root\": \"data\","
      " \"default_language\": \"en\", \"languages\": [{\"code\": \"en\", \"name\": \"English\"}],"
      " \"questions\": [{\"type\": \"group\", \"name\": \"r\", \"page\": true, \"children\": ["
      "   {\"type\": \"range\", \"name\": \"rating\", \"required\": true,"
      "    \"range_start\": 1, \"range_end\": 5, \"range_step\": 1,"
      "    \"label\": {\"en\": \"How useful was the day?\"}},"
      "   {\"type\": \"range\", \"name\": \"share\", \"range_start\": 0, \"range_end\": 1,"
      "    \"range_step\": 0.1, \"label\": {\"en\": \"Share of it new to you\"}}]},"
      "  {\"type\": \"note\", \"name\": \"bye\", \"label\": {\"en\": \"Thank you\"}}]}";

static DftRecord *ranges;

static const char counted_json[]
    = "{\"format\": \"daftari-form\", \"format_version\": 1, \"id\": \"counted\","
      " \"version\": \"1\", \"title\": {\"en\": \"Household\"}, \"kind\": \"survey\","
      " \"root\": \"data\", \"default_language\": \"en\","
      " \"languages\": [{\"code\": \"en\", \"name\": \"English\"}],"
      " \"questions\": [{\"type\": \"group\", \"name\": \"p\", \"page\": true, \"children\": ["
      "   {\"type\": \"integer\", \"name\": \"kids\", \"label\": {\"en\": \"Children\"}},"
      "   {\"type\": \"repeat\", \"name\": \"child\", \"repeat_count\": \"${kids}\","
      "    \"label\": {\"en\": \"Child\"}, \"children\": [{\"type\": \"text\", \"name\": \"name\","
      "     \"label\": {\"en\": \"Name\"}}]}]},"
      "  {\"type\": \"note\", \"name\": \"bye\", \"label\": {\"en\": \"Thank you\"}}]}";

static DftRecord *counted;

typedef struct
{
  Filling    *f;
  const char *path;
  gboolean    shown;
} RowWait;

static gboolean
row_is_shown (gpointer data)
{
  RowWait *w = data;

  return (dft_form_filler_get_widget_for_path (w->f->filler, w->path) != NULL) == w->shown;
}

/* A repeat counted by an answer on its own field-list page: the instances come and go on the
 * page as the count is typed, and the focus stays in the count. */
static void
test_repeat_counted_in_page (void)
{
  static const char *const count_path[] = { "/data/p/kids", NULL };
  Filling                  f;

  open_filler (&f, counted, NULL, NULL, 480);
  g_assert_null (dft_form_filler_get_widget_for_path (f.filler, "/data/p/child[1]/name"));
  gtk_widget_grab_focus (dft_form_filler_get_widget_for_path (f.filler, "/data/p/kids"));
  type (&f, "/data/p/kids", "2");
  dft_test_wait_until (row_is_shown, &(RowWait){ &f, "/data/p/child[2]/name", TRUE },
                       "the second child on the page");
  g_assert_nonnull (dft_form_filler_get_widget_for_path (f.filler, "/data/p/child[1]/name"));
  g_assert_nonnull (dft_form_filler_get_widget_for_path (f.filler, "/data/p/child[2]/name"));
  g_assert_cmpuint (dft_form_filler_get_page (f.filler), ==, 0);
  g_assert_cmpstr (focused_question (&f, count_path), ==, "/data/p/kids");

  type (&f, "/data/p/child[2]/name", "Amina");
  type (&f, "/data/p/kids", "1");
  dft_test_wait_until (row_is_shown, &(RowWait){ &f, "/data/p/child[2]/name", FALSE },
                       "the second child gone from the page");
  g_assert_nonnull (dft_form_filler_get_widget_for_path (f.filler, "/data/p/child[1]/name"));
  g_assert_null (dft_form_filler_get_widget_for_path (f.filler, "/data/p/child[2]/name"));
  g_assert_cmpstr (focused_question (&f, count_path), ==, "/data/p/kids");
  close_filler (&f);
}

/* A range is a scale that answers once moved, by mouse or arrow keys, on the range's steps;
 * Clear takes the answer back, and a reopened draft shows it again. */
static void
test_range (void)
{
  Filling               f;
  GtkWidget            *scale;
  GtkWidget            *clear;
  g_autofree char      *rating = NULL;
  g_autofree char      *share = NULL;
  g_autofree char      *cleared = NULL;
  g_autofree char      *again = NULL;
  g_autoptr (DftRecord) draft = NULL;

  open_filler (&f, ranges, NULL, NULL, 360);
  scale = dft_form_filler_get_widget_for_path (f.filler, "/data/r/rating");
  g_assert_true (GTK_IS_SCALE (scale));
  {
    g_autofree char *before = answer_at (&f, "/data/r/rating");
    g_assert_cmpstr (before, ==, "");
  }
  /* Shown, not answered: the required range cannot be finished so. */
  g_assert_false (
      dft_form_run_check (dft_form_filler_get_run (f.filler), "/data/r/rating", "en", TRUE, NULL));

  /* Dragged between steps, it lands on one. */
  gtk_range_set_value (GTK_RANGE (scale), 3.4);
  rating = answer_at (&f, "/data/r/rating");
  g_assert_cmpstr (rating, ==, "3");
  /* An arrow key moves one step. */
  gtk_widget_grab_focus (scale);
  g_signal_emit_by_name (scale, "move-slider", GTK_SCROLL_STEP_RIGHT);
  g_clear_pointer (&rating, g_free);
  rating = answer_at (&f, "/data/r/rating");
  g_assert_cmpstr (rating, ==, "4");
  /* Tenths are kept as typed ones would be, not as 0.30000000000000004. */
  gtk_range_set_value (GTK_RANGE (dft_form_filler_get_widget_for_path (f.filler, "/data/r/share")),
                       0.3);
  share = answer_at (&f, "/data/r/share");
  g_assert_cmpstr (share, ==, "0.3");
  dft_ui_test_screenshot (GTK_WIDGET (f.window), screenshot_dir, "form-range.png");

  /* Clear, beside the number, takes the answer back. */
  clear = gtk_widget_get_last_child (
      gtk_widget_get_parent (dft_form_filler_get_widget_for_path (f.filler, "/data/r/share")));
  g_assert_true (GTK_IS_BUTTON (clear));
  g_signal_emit_by_name (clear, "clicked");
  cleared = answer_at (&f, "/data/r/share");
  g_assert_cmpstr (cleared, ==, "");

  action (&f, "filler.save-draft", NULL);
  dft_test_wait_until (has_draft, &f, "the draft");
  draft = g_object_ref (f.draft);
  close_filler (&f);

  open_filler (&f, ranges, NULL, draft, 480);
  scale = dft_form_filler_get_widget_for_path (f.filler, "/data/r/rating");
  g_assert_cmpfloat (gtk_range_get_value (GTK_RANGE (scale)), ==, 4);
  again = answer_at (&f, "/data/r/rating");
  g_assert_cmpstr (again, ==, "4");
  close_filler (&f);
}

/* A save the store refuses: nothing typed is lost, and Retry tries again. */
static void
test_save_error (void)
{
  Filling          f;
  g_autofree char *answer = NULL;

  open_filler_for (&f, knowledge, "no-such-workshop", NULL, NULL, 480);
  go_to (&f, 5);
  type (&f, "/data/comment", "Keep this");
  action (&f, "filler.save-draft", NULL);
  g_assert_true (dft_form_filler_is_busy (f.filler));
  dft_test_wait_until (filler_idle, f.filler, "the refused save");
  g_assert_null (f.draft);
  g_assert_cmpstr (dft_form_filler_get_mode (f.filler), ==, "form");
  g_assert_cmpstr (typed (&f, "/data/comment"), ==, "Keep this");
  g_assert_nonnull (dft_form_filler_get_error (f.filler));
  answer = dft_form_run_get_answer (dft_form_filler_get_run (f.filler), "/data/comment");
  g_assert_cmpstr (answer, ==, "Keep this");
  dft_ui_test_screenshot (GTK_WIDGET (f.window), screenshot_dir, "form-save-error.png");
  action (&f, "filler.retry", NULL);
  dft_test_wait_until (filler_idle, f.filler, "the retried save");
  g_assert_null (f.draft);
  close_filler (&f);
}

static void
closed_cb (DftFormFiller *filler, gboolean *closed)
{
  *closed = TRUE;
}

static void
test_preview (void)
{
  Filling  f;
  gboolean closed = FALSE;

  open_filler (&f, tiny, NULL, NULL, 480);
  dft_form_filler_set_preview (f.filler, TRUE);
  g_signal_connect (f.filler, "closed", G_CALLBACK (closed_cb), &closed);
  pick (&f, "/data/g/pet", 0, TRUE);
  action (&f, "filler.save-draft", NULL);
  action (&f, "filler.finalize", NULL);
  g_assert_cmpstr (dft_form_filler_get_mode (f.filler), ==, "done");
  g_assert_false (dft_form_filler_is_busy (f.filler));
  g_assert_null (f.draft);
  g_assert_null (f.finished);
  action (&f, "filler.close", NULL);
  g_assert_true (closed);
  close_filler (&f);
}

static gboolean
kiosk_mode_is (gpointer data)
{
  DftKioskWindow *kiosk = data;
  const char     *want = g_object_get_data (G_OBJECT (kiosk), "want-mode");

  return g_strcmp0 (dft_kiosk_window_get_mode (kiosk), want) == 0
         && filler_idle (dft_kiosk_window_get_filler (kiosk));
}

static void
wait_kiosk (DftKioskWindow *kiosk, const char *mode)
{
  g_object_set_data (G_OBJECT (kiosk), "want-mode", (gpointer) mode);
  dft_test_wait_until (kiosk_mode_is, kiosk, mode);
}

static const char *const ratings[]
    = { "/data/ratings/relevance", "/data/ratings/content",      "/data/ratings/trainers",
        "/data/ratings/materials", "/data/ratings/organisation", NULL };

static void
assert_blank (Filling *f)
{
  g_assert_cmpstr (dft_form_filler_get_mode (f->filler), ==, "form");
  g_assert_cmpuint (dft_form_filler_get_page (f->filler), ==, 0);
  go_to (f, 1);
  for (guint i = 0; ratings[i] != NULL; i++)
    for (guint n = 0; n < 5; n++)
      g_assert_false (picked (f, ratings[i], n));
  go_to (f, 2);
  g_assert_cmpstr (typed (f, "/data/most_useful"), ==, "");
  go_to (f, 4);
  for (guint n = 0; n < 3; n++)
    g_assert_false (picked (f, "/data/recommend", n));
  go_to (f, 0);
}

static void
test_kiosk (void)
{
  DftKioskWindow  *kiosk;
  Filling          f = { 0 };
  gpointer         weak;
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, "2468", -1);

  kiosk = DFT_KIOSK_WINDOW (
      dft_kiosk_window_new (app, store, evaluation, dft_record_get_id (event), NULL, hash));
  dft_kiosk_window_set_thanks_delay (kiosk, 1000);
  gtk_window_set_default_size (GTK_WINDOW (kiosk), 900, 700);
  gtk_window_present (GTK_WINDOW (kiosk));
  f.window = GTK_WINDOW (kiosk);
  f.filler = dft_kiosk_window_get_filler (kiosk);
  g_signal_connect (f.filler, "finished", G_CALLBACK (finished_cb), &f);
  dft_test_wait_until (filler_ready, f.filler, "the kiosk form");

  for (guint person = 0; person < 2; person++)
    {
      assert_blank (&f);
      go_to (&f, 1);
      for (guint i = 0; ratings[i] != NULL; i++)
        pick (&f, ratings[i], (i + person) % 5, TRUE);
      if (person == 0)
        dft_ui_test_screenshot (GTK_WIDGET (kiosk), screenshot_dir, "form-likert.png");
      go_to (&f, 2);
      type (&f, "/data/most_useful", person == 0 ? "Role plays" : "The case studies");
      go_to (&f, 4);
      pick (&f, "/data/recommend", person, TRUE);
      g_clear_object (&f.finished);
      action (&f, "filler.finalize", NULL);
      dft_test_wait_until (has_finished, &f, "the evaluation to be saved");
      g_assert_cmpstr (dft_record_get_string (f.finished, "status"), ==, "final");
      g_assert_cmpstr (dft_kiosk_window_get_mode (kiosk), ==, "thanks");
      if (person == 0)
        dft_ui_test_screenshot (GTK_WIDGET (kiosk), screenshot_dir, "kiosk-thanks.png");
      /* Behind the thank-you page the form is already blank. */
      g_assert_cmpuint (dft_form_filler_get_page (f.filler), ==, 0);
      wait_kiosk (kiosk, "form");
    }
  g_assert_cmpuint (f.n_finished, ==, 2);
  assert_blank (&f);
  g_clear_object (&f.finished);

  /* Closing without the PIN is refused and asks for it; a wrong PIN keeps the kiosk. */
  weak = kiosk;
  g_object_add_weak_pointer (G_OBJECT (kiosk), &weak);
  gtk_window_close (GTK_WINDOW (kiosk));
  dft_test_settle (100);
  g_assert_nonnull (weak);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (kiosk)));
  g_assert_nonnull (dft_kiosk_window_get_pin_entry (kiosk));
  dft_ui_test_screenshot (GTK_WIDGET (gtk_widget_get_root (dft_kiosk_window_get_pin_entry (kiosk))),
                          screenshot_dir, "kiosk-pin.png");
  gtk_editable_set_text (GTK_EDITABLE (dft_kiosk_window_get_pin_entry (kiosk)), "1357");
  g_signal_emit_by_name (dft_kiosk_window_get_pin_entry (kiosk), "activate");
  dft_test_settle (100);
  g_assert_nonnull (weak);
  g_assert_nonnull (dft_kiosk_window_get_pin_entry (kiosk));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (dft_kiosk_window_get_pin_entry (kiosk))),
                   ==, "");
  /* Escape in the kiosk also asks, and only asks. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (kiosk), "kiosk.exit", NULL));
  g_assert_nonnull (weak);

  gtk_editable_set_text (GTK_EDITABLE (dft_kiosk_window_get_pin_entry (kiosk)), "2468");
  g_signal_emit_by_name (dft_kiosk_window_get_pin_entry (kiosk), "activate");
  dft_test_wait_until (dft_ui_test_pointer_cleared, &weak, "the kiosk to be finalized");
}

/* ---- Rank --------------------------------------------------------------- */

static DftRecord *rank_form;

static char *
rank_answer (Filling *f)
{
  dft_test_wait_until (filler_idle, f->filler, "the answer to be taken");
  return dft_form_run_get_answer (dft_form_filler_get_run (f->filler), "/data/needs");
}

/* The choices' labels as the rows show them, top to bottom, joined by "|". */
static char *
rank_shown (DftQuestionRow *field)
{
  GString   *out = g_string_new (NULL);
  GtkWidget *row;

  for (guint i = 0; (row = _dft_question_row_rank_row (field, i)) != NULL; i++)
    {
      GtkLabel *label = g_object_get_data (G_OBJECT (row), "dft-rank-label");

      g_string_append_printf (out, "%s%s", i > 0 ? "|" : "", gtk_label_get_text (label));
      g_assert_false (gtk_label_get_use_markup (label));
    }
  return g_string_free (out, FALSE);
}

typedef struct
{
  Filling    *f;
  const char *answer;
} RankWait;

static gboolean
rank_is (gpointer data)
{
  RankWait        *w = data;
  g_autofree char *value
      = dft_form_run_get_answer (dft_form_filler_get_run (w->f->filler), "/data/needs");

  return g_strcmp0 (value, w->answer) == 0;
}

static void
assert_rank (Filling *f, DftQuestionRow *field, const char *answer, const char *shown)
{
  g_autofree char *value = NULL;
  g_autofree char *rows = NULL;
  gboolean         answered = *answer != '\0';
  gint64           until = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  /* The presses are handled in the order sent, but on a loaded machine some after xdotool
   * returns: wait for the order they make (a wrong one still fails, once the wait is over). */
  while (!rank_is (&(RankWait){ f, answer }) && g_get_monotonic_time () < until)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (2000);
  value = rank_answer (f);
  rows = rank_shown (field);
  g_assert_cmpstr (value, ==, answer);
  g_assert_cmpstr (rows, ==, shown);
  g_assert_true (gtk_widget_get_visible (field->rank_status) == !answered);
  g_assert_true (gtk_widget_get_visible (field->rank_use) == !answered);
  g_assert_true (gtk_widget_get_visible (field->rank_clear) == answered);
}

static GtkWidget *
rank_focus (Filling *f)
{
  return gtk_root_get_focus (GTK_ROOT (f->window));
}

/* A rank question put in order with real key presses, Alt+Up and Alt+Down on the focused
 * row, then with its buttons pressed from the keyboard, then by dropping a row on another;
 * unanswered (and saying so) until the person touches it. Labels are data, never markup. */
static void
test_rank (void)
{
  Filling                f;
  DftQuestionRow        *field;
  GtkWidget             *row;
  GtkWidget             *down;
  GValue                 dragged = G_VALUE_INIT;
  gboolean               dropped = FALSE;
  g_autoptr (GListModel) controllers = NULL;

  open_filler (&f, rank_form, NULL, NULL, 480);
  field = g_hash_table_lookup (f.filler->fields, "/data/needs");
  g_assert_nonnull (field);
  assert_rank (&f, field, "", "Water|<b>Roads</b>|School");
  dft_ui_test_screenshot (GTK_WIDGET (f.window), screenshot_dir, "form-rank-unanswered.png");

  gtk_widget_grab_focus (_dft_question_row_rank_row (field, 0));
  dft_xkeys_press (f.window, (const char *[]){ "alt+Down", NULL });
  assert_rank (&f, field, "roads water school", "<b>Roads</b>|Water|School");
  /* The focus follows the choice moved; at the bottom it stays. */
  g_assert_true (rank_focus (&f) == _dft_question_row_rank_row (field, 1));
  dft_xkeys_press (f.window, (const char *[]){ "alt+Down", "alt+Down", NULL });
  assert_rank (&f, field, "roads school water", "<b>Roads</b>|School|Water");
  g_assert_true (rank_focus (&f) == _dft_question_row_rank_row (field, 2));
  dft_xkeys_press (f.window, (const char *[]){ "alt+Up", "alt+Up", NULL });
  assert_rank (&f, field, "water roads school", "Water|<b>Roads</b>|School");
  g_assert_true (rank_focus (&f) == _dft_question_row_rank_row (field, 0));

  /* Clear order takes the answer back; Use this order answers with the order shown. */
  gtk_widget_grab_focus (field->rank_clear);
  dft_xkeys_press (f.window, (const char *[]){ "space", NULL });
  assert_rank (&f, field, "", "Water|<b>Roads</b>|School");
  g_assert_true (rank_focus (&f) == field->rank_use);
  dft_xkeys_press (f.window, (const char *[]){ "space", NULL });
  assert_rank (&f, field, "water roads school", "Water|<b>Roads</b>|School");

  /* A row's Move down button moves its choice and keeps the focus on it. */
  row = _dft_question_row_rank_row (field, 0);
  down = g_object_get_data (G_OBJECT (row), "dft-rank-down");
  g_assert_true (gtk_widget_get_focusable (down));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (down), ==, "Move “Water” down");
  gtk_widget_grab_focus (down);
  dft_xkeys_press (f.window, (const char *[]){ "space", "space", NULL });
  assert_rank (&f, field, "roads school water", "<b>Roads</b>|School|Water");
  g_assert_true (rank_focus (&f) == _dft_question_row_rank_row (field, 2));
  dft_ui_test_screenshot (GTK_WIDGET (f.window), screenshot_dir, "form-rank.png");

  /* A row dropped on the first goes first. */
  controllers = gtk_widget_observe_controllers (_dft_question_row_rank_row (field, 0));
  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr (GObject) c = g_list_model_get_item (controllers, i);

      if (GTK_IS_DROP_TARGET (c))
        {
          g_value_init (&dragged, G_TYPE_STRING);
          /* Another question's row is refused; this one's goes where it is dropped. */
          g_value_set_string (&dragged, "/data/other#2");
          g_signal_emit_by_name (c, "drop", &dragged, 1.0, 1.0, &dropped);
          g_assert_false (dropped);
          g_value_take_string (&dragged, _dft_question_row_rank_dragged (field, 2));
          g_signal_emit_by_name (c, "drop", &dragged, 1.0, 1.0, &dropped);
          g_value_unset (&dragged);
        }
    }
  g_clear_object (&controllers);
  g_assert_true (dropped);
  assert_rank (&f, field, "water roads school", "Water|<b>Roads</b>|School");
  close_filler (&f);
}

/* ---- File questions ------------------------------------------------------ */

static const char venue_json[]
    = "{\"format\": \"daftari-form\", \"format_version\": 1, \"id\": \"venue\", \"version\": \"1\","
      " \"title\": {\"en\": \"Venue\"}, \"kind\": \"survey\", \"root\": \"data\","
      " \"questions\": [{\"type\": \"group\", \"name\": \"g\", \"page\": true, \"children\": ["
      "   {\"type\": \"image\", \"name\": \"photo\", \"required\": true,"
      "    \"label\": \"A photo of the room\"},"
      "   {\"type\": \"file\", \"name\": \"plan\", \"label\": \"The seating plan\"},"
      "   {\"type\": \"image\", \"name\": \"stamp\", \"read_only\": true,"
      "    \"label\": \"The office's stamp\"}]}]}";

static DftRecord *venue;

/* A file another laptop added, that no sync has brought here. */
#define ABSENT_FILE "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.pdf"

static DftQuestionRow *
file_row (Filling *f, const char *path)
{
  DftQuestionRow *field = g_hash_table_lookup (f->filler->fields, path);

  g_assert_nonnull (field);
  return field;
}

static gboolean
file_row_idle (gpointer data)
{
  return ((DftQuestionRow *) data)->file_busy == 0;
}

/* Chooses @file for @field as the file chooser would, and waits until it is kept and shown, or
 * refused. */
static void
choose_file (DftQuestionRow *field, GFile *file)
{
  dft_question_row_choose_file_for_test (field, file);
  g_assert_cmpuint (field->file_busy, >, 0);
  dft_test_wait_until (file_row_idle, field, "the file to be kept and shown, or refused");
}

/* A picture of @width × @height pixels in shades of blue, saved as @dir/@name. */
static GFile *
write_png (const char *dir, const char *name, int width, int height, GBytes **png)
{
  g_autofree guchar     *pixels = g_malloc ((gsize) width * height * 3);
  g_autoptr (GBytes)     bytes = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  g_autoptr (GError)     error = NULL;
  g_autofree char       *path = g_build_filename (dir, name, NULL);

  for (int i = 0; i < width * height; i++)
    {
      pixels[3 * i] = 40;
      pixels[3 * i + 1] = (guchar) (90 + (i % width) * 100 / width);
      pixels[3 * i + 2] = (guchar) (160 + (i / width) * 90 / height);
    }
  bytes = g_bytes_new_take (g_steal_pointer (&pixels), (gsize) width * height * 3);
  texture = gdk_memory_texture_new (width, height, GDK_MEMORY_R8G8B8, bytes, (gsize) width * 3);
  *png = gdk_texture_save_to_png_bytes (texture);
  g_file_set_contents (path, g_bytes_get_data (*png, NULL), (gssize) g_bytes_get_size (*png),
                       &error);
  g_assert_no_error (error);
  return g_file_new_for_path (path);
}

/* A file of @size bytes, all but none of them on the disk. */
static GFile *
write_large (const char *dir, const char *name, goffset size)
{
  g_autofree char   *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, "", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (truncate (path, size), ==, 0);
  return g_file_new_for_path (path);
}

static char *
stored_answer (DftRecord *submission, const char *path)
{
  g_autoptr (DftRecord) stored = NULL;
  g_autoptr (JsonNode)  answers = NULL;
  g_autoptr (GError)    error = NULL;
  JsonObject           *a;

  stored = dft_store_load (store, &dft_entity_submission, dft_record_get_id (submission), &error);
  g_assert_no_error (error);
  answers = json_from_string (dft_record_get_string (stored, "answers"), &error);
  g_assert_no_error (error);
  a = json_node_get_object (answers);
  return json_object_has_member (a, path) ? g_strdup (json_object_get_string_member (a, path))
                                          : NULL;
}

/* A required photo: Finish refuses the form without it; a file over the limit is refused with
 * the store's message and leaves the answer as it was; a photo chosen is kept in the store and
 * shown with its name (data, never markup), its size and a small preview; Remove takes it back;
 * a draft reopened shows it again, and a file not on this laptop says so. A read-only question
 * has no buttons. */
static void
test_file_question (void)
{
  Filling                       f;
  DftQuestionRow               *photo, *plan, *stamp;
  g_autofree char              *dir = dft_test_make_dir ();
  g_autoptr (GBytes)            png = NULL;
  g_autoptr (GFile)             room = NULL;
  g_autoptr (GFile)             large = NULL;
  g_autoptr (DftRecord)         draft = NULL;
  g_autoptr (DftAttachmentInfo) info = NULL;
  g_autoptr (GBytes)            kept = NULL;
  g_autoptr (GError)            error = NULL;
  g_auto (GStrv)                missing = NULL;
  g_autofree char              *answer = NULL;
  g_autofree char              *expected = NULL;
  g_autofree char              *saved = NULL;
  g_autofree char              *size = NULL;
  g_autofree char              *sha = NULL;
  g_autofree char              *too_large = NULL;
  const char                   *message;
  GdkPaintable                 *preview;

  room = write_png (dir, "<b>Room & hall.png", 1200, 900, &png);
  large = write_large (dir, "video.mp4", DFT_ATTACHMENT_MAX_BYTES + 1);
  sha = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, png);
  expected = g_strconcat (sha, ".png", NULL);
  size = g_format_size (g_bytes_get_size (png));
  {
    g_autofree char *have = g_format_size (DFT_ATTACHMENT_MAX_BYTES + 1);
    g_autofree char *limit = g_format_size (DFT_ATTACHMENT_MAX_BYTES);

    too_large
        = g_strdup_printf ("This file is %s; a question takes files of at most %s.", have, limit);
  }

  open_filler (&f, venue, NULL, NULL, 480);
  photo = file_row (&f, "/data/g/photo");
  stamp = file_row (&f, "/data/g/stamp");
  g_assert_true (gtk_widget_get_visible (photo->file_choose));
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (photo->file_choose)), ==, "_Choose Photo…");
  g_assert_true (gtk_button_get_use_underline (GTK_BUTTON (photo->file_choose)));
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (file_row (&f, "/data/g/plan")->file_choose)),
                   ==, "_Choose File…");
  g_assert_false (gtk_widget_get_visible (photo->file_remove));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (photo->file_status)), ==, "No file chosen.");
  g_assert_false (gtk_widget_get_visible (stamp->file_choose));
  g_assert_false (gtk_widget_get_visible (stamp->file_remove));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (stamp->file_status)), ==, "No file.");

  /* The photo is required. */
  action (&f, "filler.finalize", NULL);
  g_assert_cmpstr (dft_form_filler_get_mode (f.filler), ==, "summary");
  missing = dft_form_filler_get_summary_paths (f.filler);
  g_assert_cmpuint (g_strv_length (missing), ==, 1);
  g_assert_cmpstr (missing[0], ==, "/data/g/photo");
  g_assert_null (f.finished);
  action (&f, "filler.go-to-path", g_variant_new_string (missing[0]));
  g_assert_cmpstr (dft_form_filler_get_mode (f.filler), ==, "form");
  photo = file_row (&f, "/data/g/photo");

  /* Over the limit: refused before it is read, with the store's message. */
  choose_file (photo, large);
  message = dft_form_filler_get_message_for_path (f.filler, "/data/g/photo");
  g_assert_nonnull (message);
  g_assert_true (g_str_has_prefix (message, too_large));
  answer = answer_at (&f, "/data/g/photo");
  g_assert_cmpstr (answer, ==, "");
  g_clear_pointer (&answer, g_free);
  g_assert_false (gtk_widget_get_visible (photo->file_remove));
  dft_ui_test_screenshot (GTK_WIDGET (f.window), screenshot_dir, "form-file-too-large.png");

  /* A photo: kept, and shown by the name it had, its size and a preview, made no bigger than
   * twice the height it is shown at. */
  choose_file (photo, room);
  answer = answer_at (&f, "/data/g/photo");
  g_assert_cmpstr (answer, ==, expected);
  g_clear_pointer (&answer, g_free);
  g_assert_null (dft_form_filler_get_message_for_path (f.filler, "/data/g/photo"));
  g_assert_false (gtk_label_get_use_markup (GTK_LABEL (photo->file_name)));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (photo->file_name)), ==, "<b>Room & hall.png");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (photo->file_size)), ==, size);
  g_assert_true (gtk_widget_get_visible (photo->file_line));
  g_assert_false (gtk_widget_get_visible (photo->file_status));
  g_assert_true (gtk_widget_get_visible (photo->file_remove));
  g_assert_true (gtk_widget_get_visible (photo->file_preview));
  preview = gtk_picture_get_paintable (GTK_PICTURE (photo->file_picture));
  g_assert_nonnull (preview);
  g_assert_cmpint (gdk_paintable_get_intrinsic_height (preview), ==, 320);
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (preview), ==, 427);
  g_assert_cmpint (adw_clamp_get_maximum_size (ADW_CLAMP (photo->file_preview)), ==, 160);
  info = dft_store_get_attachment_info (store, expected, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->name, ==, "<b>Room & hall.png");
  g_assert_cmpstr (info->media_type, ==, "image/png");
  dft_ui_test_screenshot (GTK_WIDGET (f.window), screenshot_dir, "form-file.png");
  gtk_window_set_default_size (f.window, 360, 720);
  dft_ui_test_screenshot (GTK_WIDGET (f.window), screenshot_dir, "form-file-narrow.png");

  /* Too large again: the photo stays. */
  choose_file (photo, large);
  g_assert_nonnull (dft_form_filler_get_message_for_path (f.filler, "/data/g/photo"));
  answer = answer_at (&f, "/data/g/photo");
  g_assert_cmpstr (answer, ==, expected);
  g_clear_pointer (&answer, g_free);
  g_assert_true (gtk_widget_get_visible (photo->file_preview));

  /* A file gone from the disk since it was chosen: said so by its name; the photo stays. */
  {
    g_autofree char  *gone_path = g_build_filename (dir, "gone.png", NULL);
    g_autoptr (GFile) gone = g_file_new_for_path (gone_path);

    choose_file (photo, gone);
    message = dft_form_filler_get_message_for_path (f.filler, "/data/g/photo");
    g_assert_nonnull (message);
    g_assert_true (g_str_has_prefix (message, "“gone.png” could not be read: "));
    answer = answer_at (&f, "/data/g/photo");
    g_assert_cmpstr (answer, ==, expected);
    g_clear_pointer (&answer, g_free);
  }

  /* Remove takes it back; the same photo again answers the same. */
  g_signal_emit_by_name (photo->file_remove, "clicked");
  answer = answer_at (&f, "/data/g/photo");
  g_assert_cmpstr (answer, ==, "");
  g_clear_pointer (&answer, g_free);
  g_assert_false (gtk_widget_get_visible (photo->file_preview));
  g_assert_false (gtk_widget_get_visible (photo->file_remove));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (photo->file_status)), ==, "No file chosen.");
  choose_file (photo, room);
  answer = answer_at (&f, "/data/g/photo");
  g_assert_cmpstr (answer, ==, expected);
  g_clear_pointer (&answer, g_free);

  /* A file another laptop added, not synced yet. */
  _dft_question_row_answer (file_row (&f, "/data/g/plan"), ABSENT_FILE);
  action (&f, "filler.save-draft", NULL);
  dft_test_wait_until (has_draft, &f, "the draft");
  draft = g_object_ref (f.draft);
  close_filler (&f);

  /* The draft reopened, in a narrow window: both shown as they were, from the store. */
  open_filler (&f, venue, NULL, draft, 360);
  photo = file_row (&f, "/data/g/photo");
  plan = file_row (&f, "/data/g/plan");
  dft_test_wait_until (file_row_idle, photo, "the photo to be shown");
  dft_test_wait_until (file_row_idle, plan, "the plan to be looked for");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (photo->file_name)), ==, "<b>Room & hall.png");
  g_assert_true (gtk_widget_get_visible (photo->file_preview));
  g_assert_false (gtk_widget_get_visible (plan->file_line));
  g_assert_true (gtk_widget_get_visible (plan->file_status));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (plan->file_status)), ==,
                   "This file is not on this computer yet. Sync to fetch it.");
  g_assert_true (gtk_widget_get_visible (plan->file_remove));
  dft_ui_test_screenshot (GTK_WIDGET (f.window), screenshot_dir, "form-file-draft-narrow.png");

  action (&f, "filler.finalize", NULL);
  dft_test_wait_until (has_finished, &f, "the final submission");
  saved = stored_answer (f.finished, "/data/g/photo");
  g_assert_cmpstr (saved, ==, expected);
  kept = dft_store_read_attachment (store, saved, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (kept, png));
  close_filler (&f);
  dft_test_dir_free (g_steal_pointer (&dir));
}

/* The window closed while a file is being added: the work is cancelled, nothing is answered,
 * and the row and the filler go. */
static void
test_file_question_closed (void)
{
  Filling            f;
  g_autofree char   *dir = dft_test_make_dir ();
  g_autoptr (GBytes) png = NULL;
  g_autoptr (GFile)  room = write_png (dir, "room.png", 64, 48, &png);
  gpointer           row;

  open_filler (&f, venue, NULL, NULL, 480);
  row = file_row (&f, "/data/g/photo");
  g_object_add_weak_pointer (G_OBJECT (row), &row);
  dft_question_row_choose_file_for_test (row, room);
  g_assert_cmpuint (((DftQuestionRow *) row)->file_busy, >, 0);
  close_filler (&f);
  dft_test_wait_until (dft_ui_test_pointer_cleared, &row, "the row to be finalized");
  dft_test_dir_free (g_steal_pointer (&dir));
}

static gboolean
chooser_has_file (gpointer data)
{
  g_autoptr (GFile) file = gtk_file_chooser_get_file (data);

  return file != NULL;
}

/* Choose opens the file chooser for the kind, with All Files beside it; the window closed with
 * the chooser open takes the chooser with it. */
static void
test_file_question_chooser (void)
{
  Filling                f;
  DftQuestionRow        *photo;
  gpointer               chooser;
  g_autoptr (GListModel) filters = NULL;
  g_autoptr (GObject)    kind = NULL;
  g_autoptr (GObject)    all = NULL;

  open_filler (&f, venue, NULL, NULL, 480);
  photo = file_row (&f, "/data/g/photo");
  g_signal_emit_by_name (photo->file_choose, "clicked");
  chooser = photo->file_chooser;
  g_assert_nonnull (chooser);
  g_assert_true (gtk_native_dialog_get_visible (chooser));
  g_assert_cmpstr (gtk_native_dialog_get_title (chooser), ==, "Choose a Photo");
  g_assert_true (gtk_native_dialog_get_modal (chooser));
  filters = gtk_file_chooser_get_filters (chooser);
  g_assert_cmpuint (g_list_model_get_n_items (filters), ==, 2);
  kind = g_list_model_get_item (filters, 0);
  all = g_list_model_get_item (filters, 1);
  g_assert_cmpstr (gtk_file_filter_get_name (GTK_FILE_FILTER (kind)), ==, "Photos and Pictures");
  g_assert_cmpstr (gtk_file_filter_get_name (GTK_FILE_FILTER (all)), ==, "All Files");
  g_clear_object (&kind);
  g_clear_object (&all);
  g_clear_object (&filters);
  /* A second press while it is open opens no second one. */
  g_signal_emit_by_name (photo->file_choose, "clicked");
  g_assert_true (photo->file_chooser == chooser);

  /* A file chosen in it is taken as the answer, as dft_question_row_choose_file_for_test() does
   * in the other tests. */
  {
    g_autofree char   *dir = dft_test_make_dir ();
    g_autoptr (GBytes) png = NULL;
    g_autoptr (GFile)  room = write_png (dir, "room.png", 64, 48, &png);
    g_autoptr (GError) error = NULL;
    g_autofree char   *answer = NULL;

    g_assert_true (gtk_file_chooser_set_file (chooser, room, &error));
    g_assert_no_error (error);
    /* GTK's own chooser (no portal here) selects the file once it has read its folder. */
    dft_test_wait_until (chooser_has_file, chooser, "the file to be selected in the chooser");
    g_object_add_weak_pointer (G_OBJECT (chooser), &chooser);
    g_signal_emit_by_name (chooser, "response", GTK_RESPONSE_ACCEPT);
    g_assert_null (photo->file_chooser);
    g_assert_null (chooser);
    dft_test_wait_until (file_row_idle, photo, "the chosen file to be kept");
    answer = answer_at (&f, "/data/g/photo");
    g_assert_true (g_str_has_suffix (answer, ".png"));
    dft_test_dir_free (g_steal_pointer (&dir));
  }

  /* The window closed with the chooser open: the chooser goes with it. */
  g_signal_emit_by_name (photo->file_choose, "clicked");
  chooser = photo->file_chooser;
  g_assert_nonnull (chooser);
  g_object_add_weak_pointer (G_OBJECT (chooser), &chooser);
  close_filler (&f);
  dft_test_wait_until (dft_ui_test_pointer_cleared, &chooser, "the chooser to be finalized");
}

/* ---- Setup -------------------------------------------------------------- */

static const char tiny_json[]
    = "{\"format\": \"daftari-form\", \"format_version\": 1, \"id\": \"tiny\", \"version\": \"1\","
      " \"title\": {\"en\": \"Tiny\"}, \"kind\": \"survey\", \"root\": \"data\","
      " \"default_language\": \"en\","
      " \"languages\": [{\"code\": \"en\", \"name\": \"English\"}, {\"code\": \"ru\", \"name\": "
      "\"Русский\"}],"
      " \"choice_lists\": {\"yn\": [{\"value\": \"yes\", \"label\": {\"en\": \"Yes\", \"ru\": "
      "\"Да\"}},"
      "   {\"value\": \"no\", \"label\": {\"en\": \"No\", \"ru\": \"Нет\"}}]},"
      " \"questions\": [{\"type\": \"group\", \"name\": \"g\", \"page\": true,"
      "   \"label\": {\"en\": \"All on one page\"}, \"children\": ["
      "   {\"type\": \"select_one\", \"name\": \"pet\", \"choices\": \"yn\", \"label\": {\"en\": "
      "\"A pet?\", \"ru\": \"Питомец?\"}},"
      "   {\"type\": \"text\", \"name\": \"why\", \"relevant\": \"${pet} = 'yes'\", \"label\": "
      "{\"en\": \"Which?\"}},"
      "   {\"type\": \"integer\", \"name\": \"n\", \"label\": {\"en\": \"A number\", \"ru\": "
      "\"Число\"}},"
      "   {\"type\": \"decimal\", \"name\": \"twice\", \"calculate\": \"${n} * 2\", \"label\": "
      "{\"en\": \"Twice that\"}, \"read_only\": true},"
      "   {\"type\": \"integer\", \"name\": \"guess\", \"calculate\": \"${n} + 1\", \"label\": "
      "{\"en\": \"One more, or what you say\"}},"
      "   {\"type\": \"note\", \"name\": \"echo\", \"label\": {\"en\": \"You typed ${n} <b> "
      "(${pet})\"}}"
      " ]}]}";

static const char rank_json[]
    = "{\"format\": \"daftari-form\", \"format_version\": 1, \"id\": \"needs\", \"version\": \"1\","
      " \"title\": {\"en\": \"Needs\"}, \"kind\": \"survey\", \"root\": \"data\","
      " \"choice_lists\": {\"needs\": [{\"value\": \"water\", \"label\": \"Water\"},"
      "   {\"value\": \"roads\", \"label\": \"<b>Roads</b>\"},"
      "   {\"value\": \"school\", \"label\": \"School\"}]},"
      " \"questions\": [{\"type\": \"rank\", \"name\": \"needs\", \"choices\": \"needs\","
      "   \"required\": true, \"label\": \"Order the needs\"}]}";

/* jr:itext() in a calculation follows the language the person picks. */
static const char texts_json[]
    = "{\"format\": \"daftari-form\", \"format_version\": 1, \"id\": \"texts\", \"version\": \"1\","
      " \"root\": \"data\", \"default_language\": \"en\","
      " \"languages\": [{\"code\": \"en\", \"name\": \"English\"}, {\"code\": \"ru\", \"name\": "
      "\"Русский\"}],"
      " \"texts\": {\"greeting\": {\"en\": \"Hello\", \"ru\": \"Привет\"}},"
      " \"questions\": [{\"type\": \"text\", \"name\": \"hi\", \"read_only\": true,"
      "   \"calculate\": \"jr:itext('greeting')\", \"label\": {\"en\": \"Greeting\"}}]}";

static const char urdu_json[]
    = "{\"format\": \"daftari-form\", \"format_version\": 1, \"id\": \"urdu\", \"version\": \"1\","
      " \"title\": {\"ur\": \"رجسٹریشن\", \"en\": \"Registration\"}, \"kind\": \"survey\","
      " \"root\": \"data\", \"default_language\": \"ur\","
      " \"languages\": [{\"code\": \"ur\", \"name\": \"اردو\"}, {\"code\": \"en\", \"name\": "
      "\"English\"}],"
      " \"choice_lists\": {\"yn\": [{\"value\": \"yes\", \"label\": {\"ur\": \"ہاں\", \"en\": "
      "\"Yes\"}},"
      "   {\"value\": \"no\", \"label\": {\"ur\": \"نہیں\", \"en\": \"No\"}}]},"
      " \"questions\": [{\"type\": \"group\", \"name\": \"p\", \"page\": true, \"label\": {\"ur\": "
      "\"آپ کے بارے میں\", \"en\": \"About you\"},"
      "   \"children\": ["
      "   {\"type\": \"text\", \"name\": \"name\", \"required\": true, \"label\": {\"ur\": \"آپ کا "
      "نام\", \"en\": \"Your name\"}},"
      "   {\"type\": \"select_one\", \"name\": \"first\", \"choices\": \"yn\", \"label\": {\"ur\": "
      "\"کیا یہ آپ کی پہلی تربیت ہے؟\", \"en\": \"Is this your first training?\"}},"
      "   {\"type\": \"date\", \"name\": \"since\", \"label\": {\"en\": \"In service since\"}},"
      "   {\"type\": \"note\", \"name\": \"unodc\", \"label\": {\"ur\": \"UNODC پروگرام کے تحت "
      "3 میں سے سیشن 2\", \"en\": \"UNODC programme, session 2 of 3\"}}"
      " ]}]}";

static DftRecord *
save_form (DftForm *form)
{
  g_autoptr (GError) error = NULL;
  DftRecord         *record = dft_form_store_save (store, form, &error);

  g_assert_no_error (error);
  g_assert_nonnull (record);
  return record;
}

static DftRecord *
save_template (const char *name)
{
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = dft_form_template_load (name, &error);

  g_assert_no_error (error);
  return save_form (form);
}

static DftRecord *
save_json (const char *json)
{
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = dft_form_new_from_json (json, -1, &error);

  g_assert_no_error (error);
  g_assert_true (dft_form_prepare (form, &error));
  g_assert_no_error (error);
  return save_form (form);
}

int
main (int argc, char *argv[])
{
  g_autoptr (GError) error = NULL;
  int                status;

  dft_test_init (&argc, &argv);
  screenshot_dir = g_getenv ("DAFTARI_SCREENSHOTS");
  gtk_init ();
  adw_init ();

  app = GTK_APPLICATION (
      adw_application_new ("org.daftari.Daftari.FillerTest", G_APPLICATION_NON_UNIQUE));
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);

  store = dft_test_open_store (&store_dir);
  event = dft_test_add_event (store, "Use of force", "2026-05-04", "2026-05-08");
  knowledge = save_template ("knowledge-test");
  evaluation = save_template ("workshop-evaluation");
  tiny = save_json (tiny_json);
  urdu = save_json (urdu_json);
  kids = save_json (repeat_json);
  visits = save_json (visits_json);
  walks = save_json (geo_json);
  ranges = save_json (range_json);
  counted = save_json (counted_json);
  rank_form = save_json (rank_json);
  texts = save_json (texts_json);
  venue = save_json (venue_json);

  g_test_add_func ("/filler/knowledge-test", test_knowledge_test);
  g_test_add_func ("/filler/draft-resume", test_draft_resume);
  g_test_add_func ("/filler/language", test_language);
  g_test_add_func ("/filler/language/texts", test_language_texts);
  g_test_add_func ("/filler/live", test_live);
  g_test_add_func ("/filler/urdu", test_urdu);
  g_test_add_func ("/filler/keyboard", test_keyboard);
  g_test_add_func ("/filler/keyboard-real", test_keyboard_real);
  g_test_add_func ("/filler/return-keys", test_return_keys);
  g_test_add_func ("/filler/header", test_header);
  g_test_add_func ("/filler/repeats", test_repeats);
  g_test_add_func ("/filler/repeat-in-page", test_repeat_in_page);
  g_test_add_func ("/filler/geotrace-geoshape-barcode", test_geo_barcode);
  g_test_add_func ("/filler/range", test_range);
  g_test_add_func ("/filler/repeat-counted-in-page", test_repeat_counted_in_page);
  g_test_add_func ("/filler/preview", test_preview);
  g_test_add_func ("/filler/save-error", test_save_error);
  g_test_add_func ("/filler/kiosk", test_kiosk);
  g_test_add_func ("/filler/rank", test_rank);
  g_test_add_func ("/filler/file-question", test_file_question);
  g_test_add_func ("/filler/file-question/closed", test_file_question_closed);
  g_test_add_func ("/filler/file-question/chooser", test_file_question_chooser);
  status = g_test_run ();

  g_clear_object (&knowledge);
  g_clear_object (&evaluation);
  g_clear_object (&tiny);
  g_clear_object (&texts);
  g_clear_object (&urdu);
  g_clear_object (&kids);
  g_clear_object (&visits);
  g_clear_object (&walks);
  g_clear_object (&ranges);
  g_clear_object (&counted);
  g_clear_object (&rank_form);
  g_clear_object (&venue);
  g_clear_object (&event);
  dft_test_release_store (g_steal_pointer (&store));
  dft_test_dir_free (g_steal_pointer (&store_dir));
  g_clear_object (&app);
  return status;
}
