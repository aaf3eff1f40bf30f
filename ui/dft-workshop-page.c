/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dft-attendance-view.h"
#include "dft-evaluations-view.h"
#include "dft-export.h"
#include "dft-participants-view.h"
#include "dft-print.h"
#include "dft-save-dialog.h"
#include "dft-summary-view.h"
#include "dft-tests-view.h"
#include "dft-ui-util.h"
#include "dft-workshop-page.h"

struct _DftWorkshopPage
{
  AdwBin parent_instance;

  AdwViewSwitcherTitle *switcher_title;
  AdwViewSwitcherBar   *switcher_bar;
  GtkMenuButton        *menu_button;
  AdwViewStack         *view_stack;
  DftParticipantsView  *participants_view;
  DftAttendanceView    *attendance_view;
  DftSummaryView       *summary_view;
  DftTestsView         *tests_view;
  DftEvaluationsView   *evaluations_view;

  DftStore  *store;
  DftRecord *event;
  GMenu     *menu; /* the workshop's commands, then the window's menu */
  gboolean   folded;
};

G_DEFINE_FINAL_TYPE (DftWorkshopPage, dft_workshop_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_FOLDED,
  PROP_EVENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

void
dft_workshop_page_set_event (DftWorkshopPage *self, DftStore *store, DftRecord *event)
{
  g_autofree char *dates = NULL;
  gboolean         same_workshop;

  g_return_if_fail (DFT_IS_WORKSHOP_PAGE (self));

  same_workshop = self->event != NULL && event != NULL
                  && g_strcmp0 (dft_record_get_id (self->event), dft_record_get_id (event)) == 0;
  g_set_object (&self->store, store);
  if (!g_set_object (&self->event, event))
    return;
  if (event != NULL)
    {
      dates = dft_ui_format_date_range (dft_record_get_string (event, "start_date"),
                                        dft_record_get_string (event, "end_date"));
      adw_view_switcher_title_set_title (self->switcher_title,
                                         dft_record_get_string (event, "title"));
      adw_view_switcher_title_set_subtitle (self->switcher_title, dates);
    }
  /* The same workshop saved again keeps the views as they are (focus, scroll, search). */
  dft_participants_view_set_event (self->participants_view, store, event);
  dft_attendance_view_set_event (self->attendance_view, store, event);
  dft_summary_view_set_event (self->summary_view, store, event);
  dft_tests_view_set_event (self->tests_view, store, event);
  dft_evaluations_view_set_event (self->evaluations_view, store, event);
  if (!same_workshop)
    adw_view_stack_set_visible_child_name (self->view_stack, "participants");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EVENT]);
}

DftRecord *
dft_workshop_page_get_event (DftWorkshopPage *self)
{
  g_return_val_if_fail (DFT_IS_WORKSHOP_PAGE (self), NULL);
  return self->event;
}

/* The workshop's own commands first, then the window's sections as they are. */
void
dft_workshop_page_set_menu_model (DftWorkshopPage *self, GMenuModel *menu)
{
  g_autoptr (GMenu) documents = g_menu_new ();

  g_return_if_fail (DFT_IS_WORKSHOP_PAGE (self));

  g_clear_object (&self->menu);
  self->menu = g_menu_new ();
  g_menu_append (documents, _ ("Export _Participants…"), "workshop.export-participants");
  g_menu_append (documents, _ ("Export _Attendance…"), "workshop.export-attendance");
  g_menu_append (documents, _ ("Print _Sign-in Sheet…"), "workshop.print-sign-in-sheet");
  g_menu_append (documents, _ ("_Certificates…"), "workshop.certificates");
  g_menu_append_section (self->menu, NULL, G_MENU_MODEL (documents));
  if (menu != NULL)
    for (int i = 0; i < g_menu_model_get_n_items (menu); i++)
      {
        g_autoptr (GMenuModel) section = g_menu_model_get_item_link (menu, i, G_MENU_LINK_SECTION);

        if (section != NULL)
          g_menu_append_section (self->menu, NULL, section);
        else
          {
            g_autoptr (GMenuItem) item = g_menu_item_new_from_model (menu, i);

            g_menu_append_item (self->menu, item);
          }
      }
  gtk_menu_button_set_menu_model (self->menu_button, G_MENU_MODEL (self->menu));
}

gboolean
dft_workshop_page_focus_search (DftWorkshopPage *self)
{
  g_return_val_if_fail (DFT_IS_WORKSHOP_PAGE (self), FALSE);

  if (g_strcmp0 (adw_view_stack_get_visible_child_name (self->view_stack), "participants") != 0)
    return FALSE;
  dft_participants_view_focus_search (self->participants_view);
  return TRUE;
}

void
dft_workshop_page_show_view (DftWorkshopPage *self, const char *name)
{
  GtkWidget *child, *focus;

  g_return_if_fail (DFT_IS_WORKSHOP_PAGE (self));

  if (adw_view_stack_get_child_by_name (self->view_stack, name) == NULL)
    return;
  adw_view_stack_set_visible_child_name (self->view_stack, name);
  /* A view that knows where the keys go takes the focus there (the register: the session being
   * held); any other, its first control, unless the stack already moved the focus into it. */
  child = adw_view_stack_get_visible_child (self->view_stack);
  if (DFT_IS_ATTENDANCE_VIEW (child)
      && dft_attendance_view_focus_register (DFT_ATTENDANCE_VIEW (child)))
    return;
  focus = gtk_root_get_focus (gtk_widget_get_root (child));
  if (focus == NULL || !gtk_widget_is_ancestor (focus, child))
    gtk_widget_child_focus (child, GTK_DIR_TAB_FORWARD);
}

AdwViewStack *
dft_workshop_page_get_view_stack (DftWorkshopPage *self)
{
  g_return_val_if_fail (DFT_IS_WORKSHOP_PAGE (self), NULL);
  return self->view_stack;
}

GtkWidget *
dft_workshop_page_get_view (DftWorkshopPage *self, const char *name)
{
  g_return_val_if_fail (DFT_IS_WORKSHOP_PAGE (self), NULL);
  return adw_view_stack_get_child_by_name (self->view_stack, name);
}

/* ---- Spreadsheets and printable documents ------------------------------------------------ */

/* What a certificate asks: attended at least this share of the sessions. */
#define COMPLETION_SHARE 0.8

typedef struct
{
  DftStore     *store;
  char         *event_id;
  DftExportKind kind;
} FileJob;

static void
file_job_free (gpointer data)
{
  FileJob *job = data;

  g_object_unref (job->store);
  g_free (job->event_id);
  g_free (job);
}

static FileJob *
file_job_new (DftWorkshopPage *self, DftExportKind kind)
{
  FileJob *job = g_new0 (FileJob, 1);

  job->store = g_object_ref (self->store);
  job->event_id = g_strdup (dft_record_get_id (self->event));
  job->kind = kind;
  return job;
}

static gboolean
export_csv (gpointer data, GOutputStream *out, GCancellable *cancellable, GError **error)
{
  FileJob *job = data;

  return dft_export_csv (job->store, job->kind, job->event_id, out, cancellable, error);
}

static gboolean
export_work (gpointer data, DftSaveTarget *target, GCancellable *cancellable, GError **error)
{
  FileJob *job = data;

  if (target->format == DFT_SAVE_XLSX)
    return dft_export_xlsx (job->store, job->kind, job->event_id, target->path, cancellable, error);
  return dft_save_write_stream (target->path, export_csv, job, cancellable, error);
}

static DftPaper
target_paper (DftSaveTarget *target)
{
  DftPaper paper = DFT_PAPER_A4;

  dft_paper_from_string (dft_save_target_get_choice (target, "paper"), &paper);
  return paper;
}

static gboolean
sign_in_work (gpointer data, DftSaveTarget *target, GCancellable *cancellable, GError **error)
{
  FileJob    *job = data;
  const char *session = dft_save_target_get_choice (target, "session");

  return dft_sign_in_sheet_write_pdf (job->store, job->event_id,
                                      g_strcmp0 (session, "all") == 0 ? NULL : session,
                                      target_paper (target), target->path, cancellable, error);
}

static gboolean
certificates_work (gpointer data, DftSaveTarget *target, GCancellable *cancellable, GError **error)
{
  FileJob         *job = data;
  guint            n_certificates = 0;
  g_autofree char *base = g_filename_display_basename (target->path);

  if (!dft_certificates_write_pdf (job->store, job->event_id, COMPLETION_SHARE,
                                   target_paper (target), target->path, &n_certificates,
                                   cancellable, error))
    return FALSE;
  target->message = g_strdup_printf (
      /* Translators: %u is a number of certificates, %s the name of the file that holds them */
      ngettext ("Saved %u certificate in “%s”", "Saved %u certificates in “%s”", n_certificates),
      n_certificates, base);
  return TRUE;
}

/* The file's name: the workshop's title, what it holds, and its first day. */
static char *
suggested_name (DftWorkshopPage *self, const char *what)
{
  return dft_save_suggested_name (dft_record_get_string (self->event, "title"), what,
                                  dft_record_get_string (self->event, "start_date"));
}

/* A4, or Letter where the locale's paper is (LC_PAPER, as GTK reads it). */
static void
add_paper_choice (DftSaveDialog *dialog)
{
  const char *options[] = { "a4", "letter", NULL };
  /* Translators: paper sizes, in a Save dialog's choice of paper */
  const char *labels[] = { C_ ("paper", "A4"), C_ ("paper", "US Letter"), NULL };
  gboolean    letter = g_strcmp0 (gtk_paper_size_get_default (), GTK_PAPER_NAME_LETTER) == 0;

  dft_save_dialog_add_choice (dialog, "paper", _ ("Paper"), options, labels,
                              letter ? "letter" : "a4");
}

static int
compare_sessions (gconstpointer a, gconstpointer b)
{
  DftRecord *x = *(DftRecord **) a;
  DftRecord *y = *(DftRecord **) b;
  int by_date = g_strcmp0 (dft_record_get_string (x, "date"), dft_record_get_string (y, "date"));

  /* "am" before "pm" */
  return by_date != 0
             ? by_date
             : g_strcmp0 (dft_record_get_string (x, "part"), dft_record_get_string (y, "part"));
}

/* Every session, or one, by day and half-day: the one in focus in the register first when the
 * register is on screen. */
static void
add_session_choice (DftWorkshopPage *self, DftSaveDialog *dialog)
{
  GListModel              *model = dft_attendance_view_get_sessions (self->attendance_view);
  guint                    n = model != NULL ? g_list_model_get_n_items (model) : 0;
  g_autoptr (GPtrArray)    sessions = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GStrvBuilder) options = g_strv_builder_new ();
  g_autoptr (GStrvBuilder) labels = g_strv_builder_new ();
  g_auto (GStrv)           option_list = NULL;
  g_auto (GStrv)           label_list = NULL;
  const char              *selected = NULL;

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (sessions, g_list_model_get_item (model, i));
  g_ptr_array_sort (sessions, compare_sessions);
  g_strv_builder_add (options, "all");
  g_strv_builder_add (labels, _ ("Every Session"));
  for (guint i = 0; i < sessions->len; i++)
    {
      DftRecord       *session = g_ptr_array_index (sessions, i);
      g_autofree char *date = dft_ui_format_date (dft_record_get_string (session, "date"), TRUE);
      g_autofree char *label = g_strdup_printf (
          /* Translators: a session in a Save dialog's choice: its day, then "Morning",
             "Afternoon" or "All day" */
          C_ ("session", "%s, %s"), date,
          dft_session_part_label (dft_record_get_string (session, "part")));

      g_strv_builder_add (options, dft_record_get_id (session));
      g_strv_builder_add (labels, label);
    }
  if (g_strcmp0 (adw_view_stack_get_visible_child_name (self->view_stack), "attendance") == 0)
    selected = dft_attendance_view_get_focus_session (self->attendance_view);
  option_list = g_strv_builder_end (options);
  label_list = g_strv_builder_end (labels);
  dft_save_dialog_add_choice (dialog, "session", _ ("Sessions"), (const char *const *) option_list,
                              (const char *const *) label_list, selected);
}

/* The chooser, or with @parameter (a path) none: the "…-to" actions for tests and scripts. */
static void
run_save (DftSaveDialog *dialog, GVariant *parameter)
{
  if (parameter != NULL)
    dft_save_dialog_save_to (dialog, g_variant_get_string (parameter, NULL));
  else
    dft_save_dialog_show (dialog);
}

static void
export_participants_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftWorkshopPage *self = DFT_WORKSHOP_PAGE (widget);
  g_autofree char *name = NULL;

  if (self->event == NULL || self->store == NULL)
    return;
  /* Translators: part of a suggested file name: "<workshop> Participants <date>.xlsx" */
  name = suggested_name (self, _ ("Participants"));
  run_save (dft_save_dialog_new (widget, _ ("Export Participants"), name,
                                 DFT_SAVE_XLSX | DFT_SAVE_CSV, export_work,
                                 file_job_new (self, DFT_EXPORT_PEOPLE), file_job_free),
            parameter);
}

static void
export_attendance_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftWorkshopPage *self = DFT_WORKSHOP_PAGE (widget);
  g_autofree char *name = NULL;

  if (self->event == NULL || self->store == NULL)
    return;
  /* Translators: part of a suggested file name: "<workshop> Attendance <date>.xlsx" */
  name = suggested_name (self, _ ("Attendance"));
  run_save (dft_save_dialog_new (widget, _ ("Export Attendance"), name,
                                 DFT_SAVE_XLSX | DFT_SAVE_CSV, export_work,
                                 file_job_new (self, DFT_EXPORT_ATTENDANCE), file_job_free),
            parameter);
}

static void
print_sign_in_sheet_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftWorkshopPage *self = DFT_WORKSHOP_PAGE (widget);
  g_autofree char *name = NULL;
  DftSaveDialog   *dialog;

  if (self->event == NULL || self->store == NULL)
    return;
  /* Translators: part of a suggested file name: "<workshop> Sign-in Sheet <date>.pdf" */
  name = suggested_name (self, _ ("Sign-in Sheet"));
  dialog = dft_save_dialog_new (widget, _ ("Print Sign-in Sheet"), name, DFT_SAVE_PDF, sign_in_work,
                                file_job_new (self, DFT_EXPORT_ATTENDANCE), file_job_free);
  add_session_choice (self, dialog);
  add_paper_choice (dialog);
  run_save (dialog, parameter);
}

static void
certificates_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftWorkshopPage *self = DFT_WORKSHOP_PAGE (widget);
  g_autofree char *name = NULL;
  DftSaveDialog   *dialog;

  if (self->event == NULL || self->store == NULL)
    return;
  /* Translators: part of a suggested file name: "<workshop> Certificates <date>.pdf" */
  name = suggested_name (self, _ ("Certificates"));
  dialog = dft_save_dialog_new (widget, _ ("Certificates of Completion"), name, DFT_SAVE_PDF,
                                certificates_work, file_job_new (self, DFT_EXPORT_PEOPLE),
                                file_job_free);
  add_paper_choice (dialog);
  run_save (dialog, parameter);
}

static void
dft_workshop_page_dispose (GObject *object)
{
  DftWorkshopPage *self = DFT_WORKSHOP_PAGE (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), DFT_TYPE_WORKSHOP_PAGE);
  g_clear_object (&self->event);
  g_clear_object (&self->store);
  g_clear_object (&self->menu);

  G_OBJECT_CLASS (dft_workshop_page_parent_class)->dispose (object);
}

static void
dft_workshop_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  DftWorkshopPage *self = DFT_WORKSHOP_PAGE (object);

  switch (prop_id)
    {
    case PROP_FOLDED:
      g_value_set_boolean (value, self->folded);
      break;
    case PROP_EVENT:
      g_value_set_object (value, self->event);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dft_workshop_page_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  DftWorkshopPage *self = DFT_WORKSHOP_PAGE (object);

  switch (prop_id)
    {
    case PROP_FOLDED:
      if (self->folded != g_value_get_boolean (value))
        {
          self->folded = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dft_workshop_page_class_init (DftWorkshopPageClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dft_workshop_page_dispose;
  object_class->get_property = dft_workshop_page_get_property;
  object_class->set_property = dft_workshop_page_set_property;

  properties[PROP_FOLDED]
      = g_param_spec_boolean ("folded", NULL, NULL, FALSE,
                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_EVENT]
      = g_param_spec_object ("event", NULL, NULL, DFT_TYPE_RECORD,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (DFT_TYPE_PARTICIPANTS_VIEW);
  g_type_ensure (DFT_TYPE_ATTENDANCE_VIEW);
  g_type_ensure (DFT_TYPE_SUMMARY_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/daftari/Daftari/dft-workshop-page.ui");
  gtk_widget_class_bind_template_child (widget_class, DftWorkshopPage, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, DftWorkshopPage, switcher_bar);
  gtk_widget_class_bind_template_child (widget_class, DftWorkshopPage, menu_button);
  gtk_widget_class_bind_template_child (widget_class, DftWorkshopPage, view_stack);
  gtk_widget_class_bind_template_child (widget_class, DftWorkshopPage, participants_view);
  gtk_widget_class_bind_template_child (widget_class, DftWorkshopPage, attendance_view);
  gtk_widget_class_bind_template_child (widget_class, DftWorkshopPage, summary_view);

  /* Offered on every laptop, a trainer's too: the trainer prints the sign-in sheet at the
   * workshop. Each with a "…-to" twin that takes the file's path instead of asking. */
  gtk_widget_class_install_action (widget_class, "workshop.export-participants", NULL,
                                   export_participants_activated);
  gtk_widget_class_install_action (widget_class, "workshop.export-participants-to", "s",
                                   export_participants_activated);
  gtk_widget_class_install_action (widget_class, "workshop.export-attendance", NULL,
                                   export_attendance_activated);
  gtk_widget_class_install_action (widget_class, "workshop.export-attendance-to", "s",
                                   export_attendance_activated);
  gtk_widget_class_install_action (widget_class, "workshop.print-sign-in-sheet", NULL,
                                   print_sign_in_sheet_activated);
  gtk_widget_class_install_action (widget_class, "workshop.print-sign-in-sheet-to", "s",
                                   print_sign_in_sheet_activated);
  gtk_widget_class_install_action (widget_class, "workshop.certificates", NULL,
                                   certificates_activated);
  gtk_widget_class_install_action (widget_class, "workshop.certificates-to", "s",
                                   certificates_activated);
}

/* The forms module's views: tests (scores and gain) and evaluations, and the tests' class
 * means as a section of the summary. */
static void
add_form_views (DftWorkshopPage *self)
{
  AdwViewStackPage *page;

  self->tests_view = g_object_new (DFT_TYPE_TESTS_VIEW, NULL);
  page = adw_view_stack_add_titled (self->view_stack, GTK_WIDGET (self->tests_view), "tests",
                                    _ ("Tests"));
  adw_view_stack_page_set_icon_name (page, "document-edit-symbolic");
  self->evaluations_view = g_object_new (DFT_TYPE_EVALUATIONS_VIEW, NULL);
  page = adw_view_stack_add_titled (self->view_stack, GTK_WIDGET (self->evaluations_view),
                                    "evaluations", _ ("Evaluations"));
  adw_view_stack_page_set_icon_name (page, "emblem-favorite-symbolic");
  dft_summary_view_add_section (self->summary_view, _ ("Average Scores and Gain"),
                                dft_tests_view_get_summary (self->tests_view));
}

static void
dft_workshop_page_init (DftWorkshopPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  add_form_views (self);
  /* The bar's buttons exist once the views are added. */
  dft_ui_wrap_labels (GTK_WIDGET (self->switcher_bar));
}
