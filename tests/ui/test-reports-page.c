/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "dft-application.h"
#include "dft-dataset.h"
#include "dft-format.h"
#include "dft-indicators.h"
#include "dft-reports-page.h"
#include "dft-test-util.h"
#include "dft-ui-find.h"
#include "dft-ui-test-util.h"
#include "dft-window.h"
#include "dft-xkeys.h"

/*
 * The Reports page as a coordinator uses it, with real key presses through the X server:
 * Ctrl+Shift+R opens it on the sample workshops; the figures it shows are those of
 * dft_indicator_report() over the same selection; a country and a period typed in change
 * them; a period with no workshop shows the empty state; Save Report writes an XLSX and a
 * PDF that independent readers open. A trainer's laptop is offered no Reports page.
 */

#define TEST_APP_ID "org.daftari.Daftari.ReportsTest"

/* The sample's second workshop, the only one in February 2026: in Georgia. */
#define FEBRUARY_TITLE "Financial investigations 2"

typedef struct
{
  char *dir;
  char *db;
} Fixture;

static void
fixture_clear (Fixture *f)
{
  g_free (f->db);
  dft_test_dir_free (f->dir);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Fixture, fixture_clear)

/* A register holding the sample workshops, on a laptop with @role. */
static void
fixture_with_sample (Fixture *f, const char *role)
{
  g_autoptr (DftStore) store = NULL;
  g_autoptr (GError)   error = NULL;
  DftDatasetStats      stats = { 0 };

  f->dir = dft_test_make_dir ();
  f->db = g_build_filename (f->dir, "daftari.db", NULL);
  store = dft_test_open_replica (f->dir, "daftari.db");
  g_assert_true (
      dft_dataset_load (store, g_getenv ("DAFTARI_SAMPLE"), &stats, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  if (role != NULL)
    g_assert_true (dft_store_set_sync_state (store, "role", role, NULL));
  dft_test_release_store (g_steal_pointer (&store));
}

/* Runs @scenario on the application over @f's register. */
static void
run_app (Fixture *f, DftUiTestScenario scenario)
{
  dft_ui_reset_settings ();
  dft_ui_test_run_app (TEST_APP_ID, f->db, scenario, f);
}

static gboolean
desk_offered (gpointer data)
{
  return dft_window_get_desk_allowed (data);
}

static gboolean
report_shown (gpointer data)
{
  DftReportsPage *page = data;

  return !dft_reports_page_get_busy (page) && dft_reports_page_get_report (page) != NULL;
}

typedef struct
{
  DftReportsPage *page;
  const char     *from;
  const char     *to;
} PeriodWait;

/* Whether the report shown is over the period from @from to @to. */
static gboolean
period_shown (gpointer data)
{
  PeriodWait               *w = data;
  const DftIndicatorReport *report = dft_reports_page_get_report (w->page);

  return report_shown (w->page) && g_strcmp0 (report->selection->from, w->from) == 0
         && g_strcmp0 (report->selection->to, w->to) == 0;
}

/* Whether @data, an entry row, has the keyboard focus: the Selection row unfolds in an
 * animation, and its rows take the focus only once it has shown them. */
static gboolean
row_focused (gpointer data)
{
  GtkWidget *row = data;
  GtkWidget *focus;

  gtk_widget_grab_focus (row);
  focus = gtk_root_get_focus (gtk_widget_get_root (row));
  return focus != NULL && gtk_widget_is_ancestor (focus, row);
}

typedef struct
{
  AdwEntryRow *row;
  const char  *text;
} TextWait;

static gboolean
row_text_is (gpointer data)
{
  TextWait *w = data;

  return g_str_equal (gtk_editable_get_text (GTK_EDITABLE (w->row)), w->text);
}

/* Types @text in place of what the entry row @row holds, as a person does, and waits until
 * every key has reached it: keys still queued would go to the next field focused. */
static void
retype (DftWindow *window, AdwEntryRow *row, const char *text)
{
  const char *select_all[] = { "ctrl+a", "BackSpace", NULL };

  dft_test_wait_until (row_focused, row, "the field to take the focus");
  dft_xkeys_press (GTK_WINDOW (window), select_all);
  if (*text != '\0')
    dft_xkeys_type (GTK_WINDOW (window), text);
  dft_test_wait_until (row_text_is, &(TextWait){ row, text }, "the keys typed");
}

static void
assert_figure (DftReportsPage *page, const char *name, const char *expected)
{
  GtkLabel *label = dft_reports_page_get_figure (page, name);

  g_assert_nonnull (label);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (label)));
  g_assert_cmpstr (gtk_label_get_text (label), ==, expected);
}

static char *
share_text (guint women, guint people)
{
  double share = dft_indicator_women_share (women, people);

  return isnan (share) ? g_strdup ("–") : dft_format_percent (share);
}

/* The figures on the page are those of the report computed here, independently, over what
 * the page's fields select; returns that report. */
static DftIndicatorReport *
assert_figures_match (DftStore *store, DftReportsPage *page)
{
  g_autoptr (DftReportSelection) selection = dft_reports_page_get_selection (page);
  g_autoptr (GError)             error = NULL;
  g_autoptr (DftIndicatorReport) expected = NULL;
  const DftIndicatorReport      *shown = dft_reports_page_get_report (page);
  g_autofree char               *workshops = NULL;
  g_autofree char               *people = NULL;
  g_autofree char               *women = NULL;
  g_autofree char               *share = NULL;
  g_autofree char               *participations = NULL;
  g_autofree char               *person_days = NULL;
  g_autofree char               *completed = NULL;
  g_autofree char               *completed_share = NULL;

  g_assert_nonnull (selection);
  expected = dft_indicator_report (store, selection, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (shown);
  g_assert_cmpuint (shown->n_workshops, ==, expected->n_workshops);
  g_assert_cmpuint (shown->people, ==, expected->people);
  g_assert_cmpuint (expected->n_workshops, >, 0);

  workshops = dft_format_integer (expected->n_workshops);
  people = dft_format_integer (expected->people);
  women = dft_format_integer (expected->women);
  share = share_text (expected->women, expected->people);
  participations = dft_format_integer (expected->participations);
  person_days = dft_format_integer (expected->person_days);
  completed = dft_format_integer (expected->completed_people);
  completed_share = share_text (expected->completed_women, expected->completed_people);
  assert_figure (page, "workshops", workshops);
  assert_figure (page, "people", people);
  assert_figure (page, "women", women);
  assert_figure (page, "women-share", share);
  assert_figure (page, "participations", participations);
  assert_figure (page, "person-days", person_days);
  assert_figure (page, "completed", completed);
  assert_figure (page, "completed-women-share", completed_share);
  return g_steal_pointer (&expected);
}

static gboolean
reports_open (gpointer data)
{
  DftWindow *window = data;
  GtkStack  *content = dft_ui_template_child (window, DFT_TYPE_WINDOW, "content_stack");

  return g_strcmp0 (gtk_stack_get_visible_child_name (content), "reports") == 0;
}

static DftReportsPage *
open_reports (DftWindow *window)
{
  DftReportsPage *page = DFT_REPORTS_PAGE (dft_window_get_reports_page (window));

  dft_test_wait_until (desk_offered, window, "the coordinator's pages to be offered");
  dft_xkeys_press (GTK_WINDOW (window), (const char *[]){ "ctrl+shift+r", NULL });
  dft_test_wait_until (reports_open, window, "the Reports page to open");
  dft_test_wait_until (report_shown, page, "the report to be computed");
  dft_test_wait_until (dft_ui_test_drawn, page, "the report on screen");
  return page;
}

/* ---- The figures follow the selection ----------------------------------------------------- */

/* Whether the page says why it computes nothing: To holds no date. */
static gboolean
date_refused (gpointer data)
{
  AdwEntryRow *to = dft_ui_template_child (data, DFT_TYPE_REPORTS_PAGE, "to_row");
  GtkRevealer *error = dft_ui_template_child (data, DFT_TYPE_REPORTS_PAGE, "error_revealer");
  g_autoptr (DftReportSelection) selection = dft_reports_page_get_selection (data);

  return !dft_reports_page_get_busy (data)
         && g_str_equal (gtk_editable_get_text (GTK_EDITABLE (to)), "2026-02-31")
         && gtk_revealer_get_reveal_child (error) && selection == NULL;
}

/* Whether the report shown counts data[1] workshops. */
static gboolean
workshops_shown (gpointer data)
{
  gpointer *args = data;

  return report_shown (args[0])
         && dft_reports_page_get_report (args[0])->n_workshops == GPOINTER_TO_UINT (args[1]);
}

static void
select_and_compare (DftApplication *app, DftWindow *window, gpointer data)
{

  DftStore                      *store = dft_application_get_store (app);
  DftReportsPage                *page = open_reports (window);
  g_autoptr (DftIndicatorReport) all = NULL;
  g_autoptr (DftIndicatorReport) kyrgyzstan = NULL;
  g_autoptr (DftIndicatorReport) february = NULL;
  GtkCheckButton                *kg;
  GtkStack    *results = dft_ui_template_child (page, DFT_TYPE_REPORTS_PAGE, "results_stack");
  AdwEntryRow *from = dft_ui_template_child (page, DFT_TYPE_REPORTS_PAGE, "from_row");
  AdwEntryRow *to = dft_ui_template_child (page, DFT_TYPE_REPORTS_PAGE, "to_row");
  GtkLabel    *error = dft_ui_template_child (page, DFT_TYPE_REPORTS_PAGE, "error_label");
  GtkWidget   *selection = dft_ui_template_child (page, DFT_TYPE_REPORTS_PAGE, "selection_row");

  /* Everything: the three sample workshops, 88 participants. */
  all = assert_figures_match (store, page);
  g_assert_cmpuint (all->n_workshops, ==, 3);
  g_assert_cmpuint (all->people, ==, 88);
  g_assert_cmpuint (all->women, ==, 43);
  dft_ui_test_screenshot (GTK_WIDGET (window), g_getenv ("DAFTARI_SCREENSHOTS"), "reports.png");

  /* Kyrgyzstan alone: the first workshop. */
  kg = dft_reports_page_get_check (page, DFT_REPORTS_FILTER_COUNTRIES, "KG");
  g_assert_nonnull (kg);
  gtk_check_button_set_active (kg, TRUE);
  g_assert_true (dft_reports_page_get_busy (page));
  dft_test_wait_until (report_shown, page, "the report for Kyrgyzstan");
  kyrgyzstan = assert_figures_match (store, page);
  g_assert_cmpuint (kyrgyzstan->n_workshops, ==, 1);
  g_assert_cmpuint (kyrgyzstan->people, ==, 35);
  g_assert_cmpuint (kyrgyzstan->women, ==, 16);
  gtk_check_button_set_active (kg, FALSE);

  /* February 2026, typed in the Selection row, unfolded: the second workshop. */
  gtk_widget_activate (selection);
  retype (window, from, "2026-02-01");
  retype (window, to, "2026-02-28");
  dft_test_wait_until (period_shown, &(PeriodWait){ page, "2026-02-01", "2026-02-28" },
                       "the report for February");
  february = assert_figures_match (store, page);
  g_assert_cmpuint (february->n_workshops, ==, 1);
  g_assert_cmpuint (february->people, ==, 18);
  g_assert_cmpstr (((DftWorkshopFigures *) g_ptr_array_index (february->workshops, 0))->title, ==,
                   FEBRUARY_TITLE);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (results), ==, "results");

  /* February and Kyrgyzstan: no workshop, said so rather than a table of zeros. */
  gtk_check_button_set_active (kg, TRUE);
  dft_test_wait_until (report_shown, page, "the report for nothing");
  g_assert_cmpuint (dft_reports_page_get_report (page)->n_workshops, ==, 0);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (results), ==, "empty");
  g_assert_null (dft_reports_page_get_figure (page, "people"));
  /* Folded, the selection's summary says what it holds, above the empty state. */
  gtk_widget_activate (selection);
  dft_ui_test_screenshot (GTK_WIDGET (window), g_getenv ("DAFTARI_SCREENSHOTS"),
                          "reports-empty.png");
  gtk_widget_activate (selection);

  /* A date that is no date: said so, and nothing computed from it. */
  retype (window, to, "2026-02-31");
  dft_test_wait_until (date_refused, page, "the date refused");
  g_assert_nonnull (strstr (gtk_label_get_text (error), "2026-02-31"));
  g_assert_cmpuint (dft_reports_page_get_report (page)->n_workshops, ==, 0);

  /* The quick choices, "today" being 15 February 2026: this quarter holds the three sample
   * workshops, last quarter none. */
  gtk_check_button_set_active (kg, FALSE);
  gtk_widget_activate_action (GTK_WIDGET (page), "reports.period", "s", "this-quarter");
  dft_test_wait_until (period_shown, &(PeriodWait){ page, "2026-01-01", "2026-03-31" },
                       "the report for this quarter");
  g_assert_cmpuint (dft_reports_page_get_report (page)->n_workshops, ==, 3);
  gtk_widget_activate_action (GTK_WIDGET (page), "reports.period", "s", "last-quarter");
  dft_test_wait_until (period_shown, &(PeriodWait){ page, "2025-10-01", "2025-12-31" },
                       "the report for last quarter");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (results), ==, "empty");
  gtk_widget_activate_action (GTK_WIDGET (page), "reports.period", "s", "this-year");
  dft_test_wait_until (period_shown, &(PeriodWait){ page, "2026-01-01", "2026-12-31" },
                       "the report for this year");
  g_assert_cmpuint (dft_reports_page_get_report (page)->n_workshops, ==, 3);
  retype (window, from, "2026-02-01");

  /* From February on, everywhere: two workshops; a new one in April, saved elsewhere (a sync),
   * is counted without touching the page. */
  retype (window, to, "");
  dft_test_wait_until (period_shown, &(PeriodWait){ page, "2026-02-01", NULL },
                       "the report from February on");
  g_assert_cmpuint (dft_reports_page_get_report (page)->n_workshops, ==, 2);
  g_assert_false (gtk_revealer_get_reveal_child (
      dft_ui_template_child (page, DFT_TYPE_REPORTS_PAGE, "error_revealer")));
  g_object_unref (
      dft_test_add_event (store, "Financial investigations 4", "2026-04-06", "2026-04-08"));
  dft_test_wait_until (workshops_shown, (gpointer[]){ page, GUINT_TO_POINTER (3) },
                       "the new workshop counted");
  dft_indicator_report_free (assert_figures_match (store, page));
}

static void
test_figures (void)
{
  g_auto (Fixture) f = { 0 };

  fixture_with_sample (&f, "coordinator");
  run_app (&f, select_and_compare);
}

/* ---- Save Report -------------------------------------------------------------------------- */

static gboolean
run_tool (const char *const *argv, char **out)
{
  g_autoptr (GError) error = NULL;
  int                status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, out, NULL,
                     &status, &error))
    return FALSE;
  return g_spawn_check_wait_status (status, NULL);
}

/* Saves the report as @name in @dir through reports.save-to, as the Save dialog's answer
 * does, and waits for the toast that says so. */
static char *
save_as (DftWindow *window, DftReportsPage *page, const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  gtk_widget_activate_action (GTK_WIDGET (page), "reports.save-to", "s", path);
  g_assert_true (dft_reports_page_get_busy (page));
  dft_ui_wait_toast (window, name);
  dft_test_wait_until (report_shown, page, "the report to be saved");
  g_assert_nonnull (dft_ui_find_toast (window, "Saved the report"));
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  return g_steal_pointer (&path);
}

/* A python3 that has openpyxl: Debian's (which python3-openpyxl serves), then PATH's. */
static char *
find_python (void)
{
  g_autofree char *in_path = g_find_program_in_path ("python3");
  const char      *candidates[] = { "/usr/bin/python3", in_path };

  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    if (candidates[i] != NULL
        && run_tool ((const char *const[]){ candidates[i], "-c", "import openpyxl", NULL }, NULL))
      return g_strdup (candidates[i]);
  return NULL;
}

static void
save_reports (DftApplication *app, DftWindow *window, gpointer data)
{
  Fixture                       *f = data;
  DftReportsPage                *page = open_reports (window);
  g_autoptr (DftIndicatorReport) all = assert_figures_match (dft_application_get_store (app), page);
  g_autofree char               *xlsx = save_as (window, page, f->dir, "donor report.xlsx");
  g_autofree char               *pdf = save_as (window, page, f->dir, "donor report.pdf");
  g_autofree char               *csv = save_as (window, page, f->dir, "donor report.csv");
  g_autofree char               *python = find_python ();
  g_autofree char               *people = g_strdup_printf ("%u", all->people);
  g_autofree char               *out = NULL;
  g_autofree char               *text = NULL;
  /* openpyxl, an independent reader: a sheet per table, the people trained as a number. */
  const char *read_xlsx[]
      = { python,
          "-c",
          "import sys, openpyxl\n"
          "wb = openpyxl.load_workbook(sys.argv[1])\n"
          "print(len(wb.sheetnames) > 1 and any(c.value == int(sys.argv[2]) for ws in wb"
          " for row in ws.iter_rows() for c in row if type(c.value) in (int, float)))\n",
          xlsx,
          people,
          NULL };
  const char *read_pdf[] = { "pdftotext", pdf, "-", NULL };

  g_assert_true (run_tool (read_xlsx, &out));
  g_assert_cmpstr (g_strstrip (out), ==, "True");
  g_clear_pointer (&out, g_free);
  g_assert_true (run_tool (read_pdf, &out));
  g_assert_nonnull (strstr (out, FEBRUARY_TITLE));
  g_assert_true (g_file_get_contents (csv, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, FEBRUARY_TITLE));

  /* A folder that is not there: a clear error, not a crash, and nothing claimed saved. */
  {
    g_autofree char *missing = g_build_filename (f->dir, "no such folder", "report.xlsx", NULL);

    gtk_widget_activate_action (GTK_WIDGET (page), "reports.save-to", "s", missing);
    dft_ui_wait_toast (window, "was not saved");
    g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
  }
}

static void
test_save (void)
{
  g_autofree char *python = find_python ();
  g_autofree char *pdftotext = g_find_program_in_path ("pdftotext");
  g_auto (Fixture) f = { 0 };

  if (python == NULL || pdftotext == NULL)
    {
      g_test_skip ("python3 with openpyxl, or pdftotext (poppler-utils), is not installed");
      return;
    }
  fixture_with_sample (&f, "admin");
  run_app (&f, save_reports);
}

/* ---- A trainer's laptop ------------------------------------------------------------------- */

/* Whether the window has read the laptop's role: it then shows the conflicts' count on the
 * people button's badge, "0" here. */
static gboolean
role_read (gpointer data)
{
  GtkLabel *count = dft_ui_template_child (data, DFT_TYPE_WINDOW, "conflicts_label");

  return *gtk_label_get_text (count) != '\0';
}

static void
not_offered (DftApplication *app, DftWindow *window, gpointer data)
{

  GtkWidget *button = dft_ui_template_child (window, DFT_TYPE_WINDOW, "reports_button");
  GtkStack  *content = dft_ui_template_child (window, DFT_TYPE_WINDOW, "content_stack");

  dft_test_wait_until (role_read, window, "the role read");
  g_assert_false (dft_window_get_desk_allowed (window));
  g_assert_false (gtk_widget_get_visible (button));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "show-reports"));
  dft_xkeys_press (GTK_WINDOW (window), (const char *[]){ "ctrl+shift+r", NULL });
  g_assert_cmpstr (gtk_stack_get_visible_child_name (content), !=, "reports");
}

static void
offered (DftApplication *app, DftWindow *window, gpointer data)
{

  GtkWidget *button = dft_ui_template_child (window, DFT_TYPE_WINDOW, "reports_button");

  dft_test_wait_until (role_read, window, "the role read");
  g_assert_true (dft_window_get_desk_allowed (window));
  g_assert_true (gtk_widget_get_visible (button));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "show-reports"));
}

static void
test_trainer (void)
{
  {
    g_auto (Fixture) f = { 0 };

    fixture_with_sample (&f, "coordinator");
    run_app (&f, offered);
  }
  {
    g_auto (Fixture) f = { 0 };

    fixture_with_sample (&f, "trainer");
    run_app (&f, not_offered);
  }
}

int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);
  /* "This quarter" and "last quarter" are counted from this day. */
  g_setenv ("DAFTARI_TODAY", "2026-02-15", TRUE);
  gtk_init ();
  adw_init ();

  g_test_add_func ("/reports/figures", test_figures);
  g_test_add_func ("/reports/save", test_save);
  g_test_add_func ("/reports/trainer", test_trainer);
  return g_test_run ();
}
