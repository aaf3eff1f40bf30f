/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dft-attendance-view.h"
#include "dft-evaluations-view.h"
#include "dft-participants-view.h"
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

  DftRecord *event;
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

void
dft_workshop_page_set_menu_model (DftWorkshopPage *self, GMenuModel *menu)
{
  g_return_if_fail (DFT_IS_WORKSHOP_PAGE (self));
  gtk_menu_button_set_menu_model (self->menu_button, menu);
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

static void
dft_workshop_page_dispose (GObject *object)
{
  DftWorkshopPage *self = DFT_WORKSHOP_PAGE (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), DFT_TYPE_WORKSHOP_PAGE);
  g_clear_object (&self->event);

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
