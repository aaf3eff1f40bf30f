/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "dft-form-filler-private.h"

/*
 * The filler's commands, as widget actions (filler.*) so that buttons, shortcuts and tests
 * trigger the same thing, and the keys a person fills a form with.
 */

/* ---- Actions ------------------------------------------------------------ */

gboolean
_dft_form_filler_in_form (DftFormFiller *self)
{
  return self->run != NULL
         && g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "form") == 0;
}

void
_dft_form_filler_go_to (DftFormFiller *self, guint page)
{
  _dft_form_filler_show_page (self, page);
  _dft_form_filler_focus_first (self);
}

static void
next_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  DftFormFiller *self = DFT_FORM_FILLER (widget);

  if (!_dft_form_filler_in_form (self) || !_dft_form_filler_check_page (self))
    return;
  if (self->page + 1 < self->pages->len)
    _dft_form_filler_go_to (self, self->page + 1);
}

static void
previous_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  DftFormFiller *self = DFT_FORM_FILLER (widget);

  if (_dft_form_filler_in_form (self) && self->page > 0)
    _dft_form_filler_go_to (self, self->page - 1);
}

static void
go_to_page_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  DftFormFiller *self = DFT_FORM_FILLER (widget);
  guint          page = g_variant_get_uint32 (param);

  if (self->run != NULL && self->pages != NULL && page < self->pages->len)
    _dft_form_filler_go_to (self, page);
}

static void
go_to_path_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  DftFormFiller  *self = DFT_FORM_FILLER (widget);
  const char     *path = g_variant_get_string (param, NULL);
  int             page = _dft_form_filler_find_page (self, path);
  DftQuestionRow *field;

  if (self->run == NULL || page < 0)
    return;
  _dft_form_filler_go_to (self, page);
  field = g_hash_table_lookup (self->fields, path);
  if (field != NULL)
    {
      _dft_question_row_check (self, field, TRUE);
      if (_dft_question_row_focus_target (field) != NULL)
        gtk_widget_grab_focus (_dft_question_row_focus_target (field));
    }
}

static void
back_to_form_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  DftFormFiller *self = DFT_FORM_FILLER (widget);

  if (self->run != NULL)
    _dft_form_filler_go_to (self, self->page);
}

static void
save_draft_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  DftFormFiller *self = DFT_FORM_FILLER (widget);

  if (!self->kiosk)
    _dft_form_filler_submit (self, FALSE);
}

static void
finalize_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  DftFormFiller        *self = DFT_FORM_FILLER (widget);
  g_autoptr (GPtrArray) problems = NULL;

  if (self->run == NULL || self->busy > 0)
    return;
  problems = dft_form_run_problems (self->run, _dft_form_filler_current_lang (self));
  if (problems->len > 0)
    _dft_form_filler_show_summary (self, problems);
  else
    _dft_form_filler_submit (self, TRUE);
}

static void
retry_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  DftFormFiller *self = DFT_FORM_FILLER (widget);

  _dft_form_filler_submit (self, self->retry_final);
}

static void
close_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  DftFormFiller *self = DFT_FORM_FILLER (widget);

  if (!self->kiosk)
    g_signal_emit_by_name (self, "closed");
}

/* On a page that holds a whole repeat, the new instance's first question takes the focus. */
static void
focus_instance (DftFormFiller *self, const char *instance)
{
  g_autofree char *prefix = g_strconcat (instance, "/", NULL);

  for (guint i = 0; i < self->field_order->len; i++)
    {
      DftQuestionRow *field = g_ptr_array_index (self->field_order, i);

      if (g_str_has_prefix (field->path, prefix) && _dft_question_row_takes_focus (field))
        {
          gtk_widget_grab_focus (_dft_question_row_focus_target (field));
          return;
        }
    }
}

static void
add_instance_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  DftFormFiller     *self = DFT_FORM_FILLER (widget);
  const char        *base = g_variant_get_string (param, NULL);
  g_autoptr (GError) error = NULL;
  guint              index;
  g_autofree char   *instance = NULL;
  int                page;

  if (self->run == NULL)
    return;
  index = dft_form_run_add_instance (self->run, base, &error);
  if (index == 0)
    {
      _dft_form_filler_toast (self, error->message);
      return;
    }
  instance = g_strdup_printf ("%s[%u]", base, index);
  _dft_form_filler_recompute_pages (self);
  page = _dft_form_filler_find_page (self, instance);
  _dft_form_filler_go_to (self, page >= 0 ? (guint) page : self->page);
  focus_instance (self, instance);
}

static void
remove_instance_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  DftFormFiller     *self = DFT_FORM_FILLER (widget);
  const char        *base;
  guint              index;
  g_autoptr (GError) error = NULL;

  if (self->run == NULL)
    return;
  g_variant_get (param, "(&su)", &base, &index);
  if (!dft_form_run_remove_instance (self->run, base, index, &error))
    {
      _dft_form_filler_toast (self, error->message);
      return;
    }
  _dft_form_filler_recompute_pages (self);
  _dft_form_filler_go_to (self, self->page);
}

/* ---- Keyboard ----------------------------------------------------------- */

static DftQuestionRow *
focused_field (DftFormFiller *self)
{
  GtkRoot   *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

  for (GtkWidget *w = focus; w != NULL && w != GTK_WIDGET (self); w = gtk_widget_get_parent (w))
    {
      if (GTK_IS_POPOVER (w))
        return NULL;
      if (DFT_IS_QUESTION_ROW (w))
        return DFT_QUESTION_ROW (w);
    }
  return NULL;
}

static gboolean
focus_in_popover (DftFormFiller *self)
{
  GtkRoot   *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

  return focus != NULL && gtk_widget_get_ancestor (focus, GTK_TYPE_POPOVER) != NULL;
}

static void
move_on (DftFormFiller *self, DftQuestionRow *from)
{
  gboolean after = FALSE;

  if (!_dft_question_row_check (self, from, FALSE))
    return;
  for (guint i = 0; i < self->field_order->len; i++)
    {
      DftQuestionRow *field = g_ptr_array_index (self->field_order, i);

      if (after && _dft_question_row_takes_focus (field))
        {
          gtk_widget_grab_focus (_dft_question_row_focus_target (field));
          return;
        }
      after |= field == from;
    }
  if (self->page + 1 < self->pages->len)
    gtk_widget_activate_action (GTK_WIDGET (self), "filler.next", NULL);
  else
    _dft_form_filler_focus_onward (self);
}

static int
digit_of (guint keyval)
{
  if (keyval >= GDK_KEY_0 && keyval <= GDK_KEY_9)
    return keyval - GDK_KEY_0;
  if (keyval >= GDK_KEY_KP_0 && keyval <= GDK_KEY_KP_9)
    return keyval - GDK_KEY_KP_0;
  return -1;
}

static gboolean
key_pressed_cb (DftFormFiller         *self,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                GtkEventControllerKey *controller)
{
  DftQuestionRow *field;
  int             digit;
  gboolean        enter
      = keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter || keyval == GDK_KEY_ISO_Enter;

  if (!_dft_form_filler_in_form (self) || focus_in_popover (self))
    return FALSE;
  /* Before the focused control sees them: a scrolled window would take Page Up and Down. */
  if ((state & GDK_MODIFIER_MASK & ~GDK_LOCK_MASK) == GDK_CONTROL_MASK
      && (enter || keyval == GDK_KEY_s))
    return gtk_widget_activate_action (GTK_WIDGET (self),
                                       enter ? "filler.finalize" : "filler.save-draft", NULL);
  if ((state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SUPER_MASK)) != 0)
    return FALSE;
  if (keyval == GDK_KEY_Page_Down || keyval == GDK_KEY_Page_Up)
    {
      gtk_widget_activate_action (
          GTK_WIDGET (self), keyval == GDK_KEY_Page_Down ? "filler.next" : "filler.previous", NULL);
      return TRUE;
    }
  field = focused_field (self);
  if (field == NULL)
    return FALSE;
  digit = digit_of (keyval);
  if (digit >= 0
      && (_dft_form_filler_is_choice_type (field->question)
          || field->question->type == DFT_QUESTION_ACKNOWLEDGE))
    {
      if (field->question->type == DFT_QUESTION_ACKNOWLEDGE)
        gtk_check_button_set_active (GTK_CHECK_BUTTON (field->control), digit > 0);
      else
        _dft_question_row_pick_choice (field, digit);
      return TRUE;
    }
  if (enter && !GTK_IS_TEXT_VIEW (field->control) && !GTK_IS_DROP_DOWN (field->control))
    {
      move_on (self, field);
      return TRUE;
    }
  return FALSE;
}

void
_dft_form_filler_class_actions_init (DftFormFillerClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_install_action (widget_class, "filler.next", NULL, next_activated);
  gtk_widget_class_install_action (widget_class, "filler.previous", NULL, previous_activated);
  gtk_widget_class_install_action (widget_class, "filler.go-to-page", "u", go_to_page_activated);
  gtk_widget_class_install_action (widget_class, "filler.go-to-path", "s", go_to_path_activated);
  gtk_widget_class_install_action (widget_class, "filler.back-to-form", NULL,
                                   back_to_form_activated);
  gtk_widget_class_install_action (widget_class, "filler.save-draft", NULL, save_draft_activated);
  gtk_widget_class_install_action (widget_class, "filler.finalize", NULL, finalize_activated);
  gtk_widget_class_install_action (widget_class, "filler.retry", NULL, retry_activated);
  gtk_widget_class_install_action (widget_class, "filler.close", NULL, close_activated);
  gtk_widget_class_install_action (widget_class, "filler.add-instance", "s",
                                   add_instance_activated);
  gtk_widget_class_install_action (widget_class, "filler.remove-instance", "(su)",
                                   remove_instance_activated);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK,
                                       "filler.save-draft", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK,
                                       "filler.finalize", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Enter, GDK_CONTROL_MASK,
                                       "filler.finalize", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Page_Down, 0, "filler.next", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Page_Up, 0, "filler.previous", NULL);
}

void
_dft_form_filler_actions_init (DftFormFiller *self)
{
  GtkEventController *keys = gtk_event_controller_key_new ();

  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect_swapped (keys, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);
}
