/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "dft-application.h"
#include "dft-forms-page.h"
#include "dft-tests-view.h"
#include "dft-attendance-view.h"
#include "dft-attendance.h"
#include "dft-test-util.h"
#include "dft-ui-find.h"
#include "dft-ui-test-util.h"
#include "dft-window.h"
#include "dft-workshop-page.h"
#include "dft-xkeys.h"
#include "forms/dft-form-run.h"
#include "forms/dft-form-store.h"
#include "forms/dft-form-templates.h"

/*
 * The workshop's files as a trainer saves them, with real key presses through the X server:
 * the main menu's Export Participants… through the Save dialog (GTK's own file chooser: the
 * test has no portal), as XLSX from the filter chosen and as CSV from the filter with the
 * suggested name left as it was, the sign-in sheet for one session and certificates as PDF;
 * "Saved …" toasts; the certificates of a workshop nobody completed, and a folder that cannot
 * be written, as a dialog with the reason, after which the window still works.
 *
 * The "…-to" actions (a path instead of the dialog) write the files the dialog is not needed
 * for; the dialog's own steps are taken once each.
 */

#define TEST_APP_ID "org.daftari.Daftari.ExportDialogsTest"
#define TITLE       "Financial investigations, Osh"

typedef struct
{
  char *dir;
  char *db;
  char *out; /* where the files go */
  char *event_id;
  char *empty_event_id; /* nobody attended */
  char *session_id;     /* its first morning */
  char *people[3];      /* Айбек, Amina, გიორგი */
  char *big_event_id;   /* 1,500 people */
} Fixture;

static void
fixture_clear (Fixture *f)
{
  g_free (f->db);
  g_free (f->out);
  g_free (f->event_id);
  g_free (f->empty_event_id);
  g_free (f->session_id);
  g_free (f->big_event_id);
  for (guint i = 0; i < G_N_ELEMENTS (f->people); i++)
    g_free (f->people[i]);
  dft_test_dir_free (f->dir);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Fixture, fixture_clear)

static char *
enroll (DftStore *store, const char *event_id, const char *given, const char *family)
{
  g_autoptr (DftRecord) person = dft_test_add_person (store, given, family);
  g_autoptr (DftRecord) enrollment = NULL;
  g_autoptr (GError)    error = NULL;

  enrollment
      = dft_store_enroll (store, event_id, dft_record_get_id (person), "participant", &error);
  g_assert_no_error (error);
  return g_strdup (dft_record_get_id (person));
}

/* A two-day workshop (four half-day sessions) of three people on a trainer's laptop: two
 * attended every session, the third none; and a workshop whose one person never came. */
static void
fixture_set_up (Fixture *f)
{
  g_autoptr (DftStore)  store = NULL;
  g_autoptr (DftRecord) event = NULL;
  g_autoptr (DftRecord) empty = NULL;
  const char           *names[][2]
      = { { "Айбек", "Абдыкадыров" }, { "Amina", "Bakirova" }, { "გიორგი", "Чолпонов" } };
  const char *dates[] = { "2026-12-04", "2026-12-05" };
  char      **people = f->people;

  f->dir = dft_test_make_dir ();
  f->db = g_build_filename (f->dir, "daftari.db", NULL);
  f->out = g_build_filename (f->dir, "out", NULL);
  g_assert_cmpint (g_mkdir (f->out, 0700), ==, 0);
  store = dft_test_open_replica (f->dir, "daftari.db");
  event = dft_test_add_event (store, TITLE, "2026-12-04", "2026-12-05");
  f->event_id = g_strdup (dft_record_get_id (event));
  f->session_id = dft_session_id_for (f->event_id, "2026-12-04", "am");
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    people[i] = enroll (store, f->event_id, names[i][0], names[i][1]);
  for (guint d = 0; d < G_N_ELEMENTS (dates); d++)
    for (guint p = 0; p < 2; p++)
      {
        g_autofree char *session = dft_session_id_for (f->event_id, dates[d], p ? "pm" : "am");

        for (guint i = 0; i < 2; i++)
          {
            g_autoptr (GError)    error = NULL;
            g_autoptr (DftRecord) mark
                = dft_attendance_mark (store, session, people[i], "present", NULL, &error);

            g_assert_no_error (error);
          }
      }
  empty = dft_test_add_event (store, "Nobody came", "2026-12-07", "2026-12-07");
  f->empty_event_id = g_strdup (dft_record_get_id (empty));
  g_free (enroll (store, f->empty_event_id, "Bolot", "Osmonov"));
  g_assert_true (dft_store_set_sync_state (store, "role", "trainer", NULL));
  dft_test_release_store (g_steal_pointer (&store));
}

/* ---- Looking at what the app shows and wrote ------------------------------------------- */

static DftWorkshopPage *
open_workshop (DftWindow *window, const char *event_id)
{
  return DFT_WORKSHOP_PAGE (dft_ui_test_open_workshop (window, event_id));
}

/* Waits for the toast that says @text, then closes it so that the next one shows at once. */
static void
wait_toast (DftWindow *window, const char *text)
{
  GtkWidget *toast;

  dft_ui_wait_toast (window, text);
  toast = dft_ui_find_toast (window, text);
  dft_ui_test_wait_toast_in_place (toast);
  gtk_widget_activate_action (toast, "toast.close", NULL);
}

static void
wait_saved_toast (DftWindow *window, const char *file)
{
  g_autofree char *needle = g_strdup_printf ("Saved “%s”", file);

  wait_toast (window, needle);
}

static char *
read_file (const char *path, gsize *length)
{
  g_autoptr (GError) error = NULL;
  char              *contents = NULL;

  g_file_get_contents (path, &contents, length, &error);
  g_assert_no_error (error);
  return contents;
}

/* An XLSX file: a zip archive holding xl/workbook.xml, and, when python3 has openpyxl (Debian's
 * first, the one python3-openpyxl serves), one that it reads with @name in a cell of its first
 * sheet. */
static void
assert_xlsx (const char *path, const char *name)
{
  gsize            length = 0;
  g_autofree char *contents = read_file (path, &length);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int              status = 0;
  const char      *argv[]
      = { g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE) ? "/usr/bin/python3"
                                                                      : "python3",
          "-c",
          "import sys, openpyxl\n"
          "wb = openpyxl.load_workbook(sys.argv[1])\n"
          "print('\\n'.join(str(c.value) for r in wb.worksheets[0].iter_rows() for c in r))\n",
          path, NULL };

  g_assert_cmpuint (length, >, 4);
  g_assert_cmpmem (contents, 4, "PK\003\004", 4);
  g_assert_nonnull (memmem (contents, length, "xl/workbook.xml", strlen ("xl/workbook.xml")));
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                     &status, NULL)
      || !g_spawn_check_wait_status (status, NULL))
    {
      g_test_message ("openpyxl did not read %s (%s): not checked further", path,
                      err != NULL ? err : "no python3");
      return;
    }
  g_assert_nonnull (strstr (out, name));
}

/* A PDF: it starts as one, and, when poppler's pdfinfo is there, has @pages pages (at least
 * one when @pages is 0) of @paper ("A4", "letter"). */
static void
assert_pdf (const char *path, guint pages, const char *paper)
{
  gsize            length = 0;
  g_autofree char *contents = read_file (path, &length);
  g_autofree char *out = NULL;
  int              status = 0;
  const char      *argv[] = { "pdfinfo", path, NULL };
  const char      *line;
  guint64          n = 0;

  g_assert_cmpuint (length, >, 5);
  g_assert_cmpmem (contents, 5, "%PDF-", 5);
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, &out, NULL, &status, NULL))
    {
      g_test_message ("no pdfinfo: the page count of %s is not checked", path);
      return;
    }
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  line = strstr (out, "Pages:");
  g_assert_nonnull (line);
  n = g_ascii_strtoull (line + strlen ("Pages:"), NULL, 10);
  if (pages == 0)
    g_assert_cmpuint (n, >=, 1);
  else
    g_assert_cmpuint (n, ==, pages);
  line = strstr (out, "Page size:");
  g_assert_nonnull (line);
  g_assert_nonnull (strstr (line, paper));
}

/* ---- The Save dialog ----------------------------------------------------------------------- */

static gboolean
chooser_shown (gpointer data)
{
  GtkWidget **found = data;

  *found = dft_ui_test_find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG);
  return *found != NULL && gtk_widget_get_mapped (*found);
}

static GtkFileChooser *
wait_chooser (void)
{
  GtkWidget *chooser = NULL;

  dft_test_wait_until (chooser_shown, &chooser, "the Save dialog");
  dft_test_wait_until (dft_ui_test_drawn, chooser, "the Save dialog on screen");
  return GTK_FILE_CHOOSER (chooser);
}

static GtkFileFilter *
filter_named (GtkFileChooser *chooser, const char *name)
{
  g_autoptr (GListModel) filters = gtk_file_chooser_get_filters (chooser);

  for (guint i = 0; i < g_list_model_get_n_items (filters); i++)
    {
      g_autoptr (GtkFileFilter) filter = g_list_model_get_item (filters, i);

      if (g_strcmp0 (gtk_file_filter_get_name (filter), name) == 0)
        return filter; /* the chooser keeps it */
    }
  g_error ("no filter named %s", name);
}

static void
set_folder (GtkFileChooser *chooser, const char *dir)
{
  g_autoptr (GFile)  folder = g_file_new_for_path (dir);
  g_autoptr (GError) error = NULL;

  gtk_file_chooser_set_current_folder (chooser, folder, &error);
  g_assert_no_error (error);
}

static gboolean
is_drop_down_with (GtkWidget *widget, gconstpointer text)
{
  GListModel *model
      = GTK_IS_DROP_DOWN (widget) ? gtk_drop_down_get_model (GTK_DROP_DOWN (widget)) : NULL;

  for (guint i = 0; GTK_IS_STRING_LIST (model) && i < g_list_model_get_n_items (model); i++)
    if (g_strcmp0 (gtk_string_list_get_string (GTK_STRING_LIST (model), i), text) == 0)
      return TRUE;
  return FALSE;
}

/* Picks @text in the chooser's drop-down that offers it, as a click on it would. */
static void
choose (GtkFileChooser *chooser, const char *text)
{
  GtkWidget  *drop_down = dft_ui_find_widget (GTK_WIDGET (chooser), is_drop_down_with, text);
  GListModel *model;

  g_assert_nonnull (drop_down);
  model = gtk_drop_down_get_model (GTK_DROP_DOWN (drop_down));
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    if (g_strcmp0 (gtk_string_list_get_string (GTK_STRING_LIST (model), i), text) == 0)
      gtk_drop_down_set_selected (GTK_DROP_DOWN (drop_down), i);
}

static gboolean
is_label_text (GtkWidget *widget, gconstpointer text)
{
  return GTK_IS_LABEL (widget) && gtk_widget_is_drawable (widget)
         && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0;
}

static gboolean
menu_shows (gpointer data)
{
  GtkMenuButton *button = data;
  GtkPopover    *popover = gtk_menu_button_get_popover (button);
  return popover != NULL && gtk_widget_get_mapped (GTK_WIDGET (popover))
         && dft_ui_find_widget (GTK_WIDGET (popover), is_label_text, "Export Participants…")
                != NULL;
}

/* A phone's width (360 px asked; the window's least is a little more), where the workshop
 * page alone fills the window. */
static gboolean
narrow (gpointer data)
{
  gboolean folded = FALSE;

  g_object_get (dft_window_get_workshop_page (data), "folded", &folded, NULL);
  return folded && gtk_widget_get_width (GTK_WIDGET (data)) < 400;
}

static gboolean
file_exists (gpointer path)
{
  return g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

/* ---- The scenario ---------------------------------------------------------------------- */

static void
save_files (DftApplication *app, DftWindow *window, gpointer data)
{
  Fixture         *f = data;
  const char      *shots = g_getenv ("DAFTARI_SCREENSHOTS");
  DftWorkshopPage *page;
  GtkMenuButton   *menu_button;
  GtkFileChooser  *chooser;
  g_autofree char *xlsx = g_build_filename (f->out, "people.xlsx", NULL);
  g_autofree char *csv_name = g_strdup (TITLE " Participants 2026-12-04.csv");
  g_autofree char *csv = g_build_filename (f->out, csv_name, NULL);
  g_autofree char *sheet = g_build_filename (f->out, TITLE " Sign-in Sheet 2026-12-04.pdf", NULL);
  g_autofree char *certificates = g_build_filename (f->out, "certificates.pdf", NULL);
  g_autofree char *contents = NULL;
  gsize            length = 0;
  GtkWidget       *register_view;
  const char      *focus_session;

  page = open_workshop (window, f->event_id);
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 720);
  dft_test_wait_until (narrow, window, "the window at a phone's width");
  menu_button = dft_ui_template_child (page, DFT_TYPE_WORKSHOP_PAGE, "menu_button");

  /* The main menu from its button, the workshop's commands first: Return runs Export
   * Participants…, whose dialog suggests a name and offers both formats. (F10 opens the
   * sidebar's menu, hidden at this width: see the report.) */
  gtk_widget_grab_focus (GTK_WIDGET (menu_button));
  dft_xkeys_press (GTK_WINDOW (window), (const char *[]){ "Return", NULL });
  dft_test_wait_until (menu_shows, menu_button, "the main menu with the workshop's commands");
  g_assert_nonnull (dft_ui_find_widget (GTK_WIDGET (gtk_menu_button_get_popover (menu_button)),
                                        is_label_text, "Print Sign-in Sheet…"));
  g_assert_nonnull (dft_ui_find_widget (GTK_WIDGET (gtk_menu_button_get_popover (menu_button)),
                                        is_label_text, "Certificates…"));
  dft_ui_test_screenshot (GTK_WIDGET (gtk_menu_button_get_popover (menu_button)), shots,
                          "export-menu.png");
  dft_xkeys_press (GTK_WINDOW (window), (const char *[]){ "Return", NULL });
  chooser = wait_chooser ();
  {
    g_autofree char *name = gtk_file_chooser_get_current_name (chooser);

    g_assert_cmpstr (name, ==, TITLE " Participants 2026-12-04.xlsx");
  }
  g_assert_cmpstr (gtk_file_filter_get_name (gtk_file_chooser_get_filter (chooser)), ==,
                   "Excel workbook (.xlsx)");
  dft_ui_test_screenshot (GTK_WIDGET (chooser), shots, "export-save-dialog.png");
  /* A name typed without a suffix takes the chosen filter's. */
  set_folder (chooser, f->out);
  dft_xkeys_press (GTK_WINDOW (chooser), (const char *[]){ "ctrl+a", NULL });
  dft_xkeys_type (GTK_WINDOW (chooser), "people");
  dft_xkeys_press (GTK_WINDOW (chooser), (const char *[]){ "Return", NULL });
  wait_saved_toast (window, "people.xlsx");
  assert_xlsx (xlsx, "Bakirova");

  /* The CSV filter chosen and the suggested name left: the file is CSV, named so. */
  g_assert_true (
      gtk_widget_activate_action (GTK_WIDGET (page), "workshop.export-participants", NULL));
  chooser = wait_chooser ();
  set_folder (chooser, f->out);
  gtk_file_chooser_set_filter (chooser, filter_named (chooser, "CSV (.csv)"));
  dft_xkeys_press (GTK_WINDOW (chooser), (const char *[]){ "Return", NULL });
  wait_saved_toast (window, csv_name);
  contents = read_file (csv, &length);
  g_assert_true (g_str_has_prefix (contents, "\xEF\xBB\xBF"));
  g_assert_nonnull (strstr (contents, "Bakirova"));
  g_assert_nonnull (strstr (contents, "Абдыкадыров"));

  /* The sign-in sheet of the first morning alone, on Letter paper, chosen in the dialog. From
   * the register, the dialog offers the session in focus there first. */
  register_view = dft_ui_test_show_view (window, "attendance");
  focus_session = dft_attendance_view_get_focus_session (DFT_ATTENDANCE_VIEW (register_view));
  g_assert_nonnull (focus_session);
  g_assert_true (
      gtk_widget_activate_action (GTK_WIDGET (page), "workshop.print-sign-in-sheet", NULL));
  chooser = wait_chooser ();
  g_assert_cmpstr (gtk_file_chooser_get_choice (chooser, "session"), ==, focus_session);
  g_assert_cmpstr (gtk_file_chooser_get_choice (chooser, "paper"), ==, "a4");
  choose (chooser, "Fri, 4 Dec, Morning");
  choose (chooser, "US Letter");
  g_assert_cmpstr (gtk_file_chooser_get_choice (chooser, "session"), ==, f->session_id);
  g_assert_cmpstr (gtk_file_chooser_get_choice (chooser, "paper"), ==, "letter");
  dft_ui_test_screenshot (GTK_WIDGET (chooser), shots, "export-sign-in-dialog.png");
  set_folder (chooser, f->out);
  dft_xkeys_press (GTK_WINDOW (chooser), (const char *[]){ "Return", NULL });
  wait_saved_toast (window, TITLE " Sign-in Sheet 2026-12-04.pdf");
  assert_pdf (sheet, 0, "(letter)");

  /* Certificates: one page for each of the two who attended every session. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "workshop.certificates-to", "s",
                                             certificates));
  wait_toast (window, "Saved 2 certificates in “certificates.pdf”");
  assert_pdf (certificates, 2, "(A4)");

  /* The attendance grid, by the path alone, as XLSX from its suffix. */
  {
    g_autofree char *grid = g_build_filename (f->out, "grid.xlsx", NULL);

    g_assert_true (
        gtk_widget_activate_action (GTK_WIDGET (page), "workshop.export-attendance-to", "s", grid));
    wait_saved_toast (window, "grid.xlsx");
    assert_xlsx (grid, "Bakirova");
  }
}

/* Nobody completed: the writer's reason in a dialog, no file; then a folder that refuses the
 * file: the same; and the window still saves where it can. */
static void
refusals (DftApplication *app, DftWindow *window, gpointer data)
{
  Fixture          *f = data;
  DftWorkshopPage  *page = open_workshop (window, f->empty_event_id);
  g_autofree char  *none = g_build_filename (f->out, "none.pdf", NULL);
  g_autofree char  *locked_dir = g_build_filename (f->out, "locked", NULL);
  g_autofree char  *locked = g_build_filename (locked_dir, "people.csv", NULL);
  g_autofree char  *fine = g_build_filename (f->out, "fine.csv", NULL);
  AdwMessageDialog *dialog;

  g_assert_true (
      gtk_widget_activate_action (GTK_WIDGET (page), "workshop.certificates-to", "s", none));
  dialog = dft_ui_wait_message_dialog (window, "Could Not Save “none.pdf”");
  g_assert_true (adw_message_dialog_get_body (dialog) != NULL
                 && *adw_message_dialog_get_body (dialog) != '\0');
  g_test_message ("Certificates of nobody: %s", adw_message_dialog_get_body (dialog));
  dft_ui_test_screenshot (GTK_WIDGET (dialog), g_getenv ("DAFTARI_SCREENSHOTS"),
                          "export-error.png");
  dft_ui_press_response (dialog, "_Close");
  g_assert_false (g_file_test (none, G_FILE_TEST_EXISTS));

  /* A folder without write permission; as root, which writes there all the same, a "folder"
   * that is a file. */
  g_assert_cmpint (g_mkdir (locked_dir, 0500), ==, 0);
  if (access (locked_dir, W_OK) == 0)
    {
      g_assert_cmpint (g_rmdir (locked_dir), ==, 0);
      g_assert_true (g_file_set_contents (locked_dir, "", 0, NULL));
    }
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "workshop.export-participants-to",
                                             "s", locked));
  dialog = dft_ui_wait_message_dialog (window, "Could Not Save “people.csv”");
  g_test_message ("A locked folder: %s", adw_message_dialog_get_body (dialog));
  dft_ui_press_response (dialog, "_Close");
  g_assert_false (g_file_test (locked, G_FILE_TEST_EXISTS));
  g_assert_true (
      gtk_widget_activate_action (GTK_WIDGET (page), "workshop.export-participants-to", "s", fine));
  wait_saved_toast (window, "fine.csv");
  dft_ui_wait_long (file_exists, fine, "the file written after the refusals");
  if (g_file_test (locked_dir, G_FILE_TEST_IS_DIR))
    g_chmod (locked_dir, 0700);
}

/* ---- A test's scores and a form's submissions ---------------------------------------------- */

/* Answers the knowledge test's three scored questions, @n_right of them right. */
static void
submit_test (DftStore   *store,
             DftRecord  *form_record,
             const char *event_id,
             const char *person_id,
             const char *phase,
             guint       n_right)
{
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = dft_form_store_load (store, dft_record_get_id (form_record), &error);
  g_autoptr (DftFormRun) run = dft_form_run_new (form, &error);
  g_autoptr (DftRecord)  saved = NULL;
  const char            *answers[][2]
      = { { "/data/force_principles", "legality necessity proportionality accountability" },
          { "/data/torture_exception", "false" },
          { "/data/judge_detention", "prompt" } };
  const char *wrong[] = { "speed", "true", "week" };

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (answers); i++)
    {
      g_assert_true (dft_form_run_set_answer (
          run, answers[i][0], i < n_right ? answers[i][1] : wrong[i], NULL, &error));
      g_assert_no_error (error);
    }
  saved = dft_form_store_submit (store, form_record, NULL, run, event_id, person_id, phase, TRUE,
                                 &error);
  g_assert_no_error (error);
}

/* ---- Cancel --------------------------------------------------------------------------------- */

/* A workshop of 1,500 people, whose sign-in sheet takes about a second to write. */
static void
add_big_workshop (Fixture *f)
{
  g_autoptr (DftStore)  store = dft_test_open_replica (f->dir, "daftari.db");
  g_autoptr (DftRecord) event = dft_test_add_event (store, "Big", "2026-12-08", "2026-12-09");

  f->big_event_id = g_strdup (dft_record_get_id (event));
  for (guint i = 0; i < 1500; i++)
    {
      g_autofree char *given = g_strdup_printf ("Person %u", i);

      g_free (enroll (store, f->big_event_id, given, "Тестов"));
    }
  dft_test_release_store (g_steal_pointer (&store));
}

static gboolean
saving_or_saved (gpointer data)
{
  return dft_ui_find_toast (data, "Saving “big.pdf”") != NULL
         || dft_ui_find_toast (data, "Saved “big.pdf”") != NULL;
}

static gboolean
canceled_or_saved (gpointer data)
{
  return dft_ui_find_toast (data, "Not saved: canceled") != NULL
         || dft_ui_find_toast (data, "Saved “big.pdf”") != NULL;
}

/* A write that takes more than a second shows "Saving…" with Cancel; Cancel stops it and
 * leaves no file. The sheet takes about as long as the toast's delay: when it ends first, or
 * before Cancel reaches it, the test says so and checks the file instead; either way the
 * toast goes while it may still slide in, which libadwaita 1.2 would crash on. (By hand, with
 * the app slower, Cancel stopped a 1,500-person sheet and left no file.) */
static void
cancel_saving (DftApplication *app, DftWindow *window, gpointer data)
{
  Fixture         *f = data;
  DftWorkshopPage *page = open_workshop (window, f->big_event_id);
  g_autofree char *path = g_build_filename (f->out, "big.pdf", NULL);
  GtkWidget       *toast;
  GtkWidget       *cancel;

  g_assert_true (
      gtk_widget_activate_action (GTK_WIDGET (page), "workshop.print-sign-in-sheet-to", "s", path));
  dft_ui_wait_long (saving_or_saved, window, "“Saving…” or “Saved”");
  toast = dft_ui_find_toast (window, "Saving “big.pdf”");
  if (toast == NULL)
    {
      g_test_message ("the sheet was written within a second: nothing to cancel");
      assert_pdf (path, 0, "(A4)");
      return;
    }
  /* Pressed at once, while the toast may still slide in: the save ends, and its toast goes,
   * while it does (libadwaita 1.2 would crash on a toast dismissed then). */
  cancel = dft_ui_find_widget (toast, dft_ui_is_button_labelled, "_Cancel");
  g_assert_nonnull (cancel);
  g_signal_emit_by_name (cancel, "clicked");
  dft_ui_wait_long (canceled_or_saved, window, "“Not saved” or “Saved”");
  if (dft_ui_find_toast (window, "Not saved: canceled") != NULL)
    g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  else
    {
      g_test_message ("the sheet was written before Cancel reached it");
      assert_pdf (path, 0, "(A4)");
    }
}

static void
test_cancel (void)
{
  g_auto (Fixture) f = { 0 };

  fixture_set_up (&f);
  add_big_workshop (&f);
  dft_ui_reset_settings ();
  dft_ui_test_run_app (TEST_APP_ID, f.db, cancel_saving, &f);
}

static gboolean
gain_of_two (gpointer data)
{
  DftTestsView        *view = data;
  const DftGainReport *report = NULL;

  if (!dft_tests_view_set_form_key (view, "knowledge_test"))
    return FALSE;
  report = dft_tests_view_get_report (view);
  return !dft_tests_view_get_loading (view) && report != NULL && report->n_pairs == 2;
}

static gboolean
is_export_submissions_button (GtkWidget *widget, gconstpointer key)
{
  GVariant *target = GTK_IS_BUTTON (widget)
                         ? gtk_actionable_get_action_target_value (GTK_ACTIONABLE (widget))
                         : NULL;

  return target != NULL
         && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)),
                       "forms.export-submissions")
                == 0
         && g_variant_is_of_type (target, G_VARIANT_TYPE_STRING)
         && g_strcmp0 (g_variant_get_string (target, NULL), key) == 0;
}

static gboolean
submissions_listed (gpointer data)
{
  DftFormsPage *page = data;

  return !dft_forms_page_get_busy (page)
         && dft_ui_find_widget (GTK_WIDGET (page), is_export_submissions_button, "knowledge_test")
                != NULL;
}

/* Two people's pre-tests and post-tests: the Tests view's Export Scores… and the Forms page's
 * Export Submissions…, each as XLSX and CSV. */
static void
scores_and_submissions (DftApplication *app, DftWindow *window, gpointer data)
{
  Fixture              *f = data;
  DftStore             *store = dft_application_get_store (app);
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftForm)   form = dft_form_template_load ("knowledge-test", &error);
  g_autoptr (DftRecord) record = NULL;
  DftTestsView         *tests;
  DftFormsPage         *forms;
  const char           *formats[] = { "xlsx", "csv" };

  g_assert_no_error (error);
  record = dft_form_store_save (store, form, &error);
  g_assert_no_error (error);
  submit_test (store, record, f->event_id, f->people[0], "pre", 1);
  submit_test (store, record, f->event_id, f->people[0], "post", 3);
  submit_test (store, record, f->event_id, f->people[1], "pre", 0);
  submit_test (store, record, f->event_id, f->people[1], "post", 2);

  open_workshop (window, f->event_id);
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 720);
  dft_test_wait_until (narrow, window, "the window at a phone's width");
  tests = DFT_TESTS_VIEW (dft_ui_test_show_view (window, "tests"));
  dft_test_wait_until (gain_of_two, tests, "two people's gain in the Tests view");
  dft_ui_test_screenshot (GTK_WIDGET (window), g_getenv ("DAFTARI_SCREENSHOTS"),
                          "export-scores.png");
  g_assert_nonnull (dft_ui_find_widget (GTK_WIDGET (tests), is_label_text, "Export Scores…"));
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autofree char *name = g_strdup_printf ("scores.%s", formats[i]);
      g_autofree char *path = g_build_filename (f->out, name, NULL);

      g_assert_true (
          gtk_widget_activate_action (GTK_WIDGET (tests), "tests.export-scores-to", "s", path));
      wait_saved_toast (window, name);
      if (i == 0)
        assert_xlsx (path, "Bakirova");
      else
        {
          g_autofree char *contents = read_file (path, NULL);

          g_assert_nonnull (strstr (contents, "Bakirova"));
          g_assert_nonnull (strstr (contents, "Абдыкадыров"));
        }
    }

  g_action_group_activate_action (G_ACTION_GROUP (window), "show-forms", NULL);
  forms = DFT_FORMS_PAGE (dft_window_get_forms_page (window));
  dft_test_wait_until (submissions_listed, forms, "the test's Export Submissions… button");
  dft_ui_test_screenshot (GTK_WIDGET (window), g_getenv ("DAFTARI_SCREENSHOTS"),
                          "export-submissions.png");
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autofree char *name = g_strdup_printf ("submissions.%s", formats[i]);
      g_autofree char *path = g_build_filename (f->out, name, NULL);

      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (forms), "forms.export-submissions-to",
                                                 "(ss)", "knowledge_test", path));
      wait_saved_toast (window, name);
      if (i == 0)
        assert_xlsx (path, "post");
      else
        {
          g_autofree char *contents = read_file (path, NULL);

          g_assert_nonnull (strstr (contents, "post"));
          g_assert_nonnull (strstr (contents, "judge_detention"));
        }
    }
}

static void
test_scores_and_submissions (void)
{
  g_auto (Fixture) f = { 0 };

  fixture_set_up (&f);
  dft_ui_reset_settings ();
  dft_ui_test_run_app (TEST_APP_ID, f.db, scores_and_submissions, &f);
}

static void
test_save_files (void)
{
  g_auto (Fixture) f = { 0 };

  fixture_set_up (&f);
  dft_ui_reset_settings ();
  dft_ui_test_run_app (TEST_APP_ID, f.db, save_files, &f);
}

static void
test_refusals (void)
{
  g_auto (Fixture) f = { 0 };

  fixture_set_up (&f);
  dft_ui_reset_settings ();
  dft_ui_test_run_app (TEST_APP_ID, f.db, refusals, &f);
}

int
main (int argc, char **argv)
{
  dft_test_init (&argc, &argv);
  gtk_init ();
  adw_init ();
  g_test_add_func ("/export-dialogs/save-files", test_save_files);
  g_test_add_func ("/export-dialogs/refusals", test_refusals);
  g_test_add_func ("/export-dialogs/scores-and-submissions", test_scores_and_submissions);
  g_test_add_func ("/export-dialogs/cancel", test_cancel);
  return g_test_run ();
}
