/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "dft-form-filler-private.h"

/*
 * A rank question: the choices' labels as a list in the person's order. A row moves with
 * Alt+Up / Alt+Down, with its Move up / Move down buttons, or by dragging it onto another
 * row. Showing the list is not answering it: as ODK Collect asks the person to open and
 * confirm the order, the question stays unanswered (and says so) until the person moves a
 * row, which answers with the whole order shown, or presses "Use this order". The rows stay
 * in place and only their texts change, so the focused row, button or drop target is never
 * taken down under the person's hand.
 */

/* What each row keeps: its place in the list, its labels and its move buttons; a move
 * button is marked when it moves up. */
#define ROW_INDEX "dft-rank-index"
#define PLACE     "dft-rank-place"
#define LABEL     "dft-rank-label"
#define UP        "dft-rank-up"
#define DOWN      "dft-rank-down"
#define IS_UP     "dft-rank-is-up"

/* The order shown for @value: its choices as it orders them, then those offered that it
 * leaves out (a draft written before a filter changed), in the list's order. */
static GPtrArray *
shown_order (DftQuestionRow *field, const char *value)
{
  GPtrArray     *order = g_ptr_array_new ();
  g_auto (GStrv) parts = g_strsplit (value != NULL ? value : "", " ", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    for (guint k = 0; k < field->choices->len; k++)
      {
        DftChoice *c = g_ptr_array_index (field->choices, k);

        if (g_strcmp0 (c->value, parts[i]) == 0 && !g_ptr_array_find (order, c, NULL))
          g_ptr_array_add (order, c);
      }
  for (guint k = 0; k < field->choices->len; k++)
    if (!g_ptr_array_find (order, g_ptr_array_index (field->choices, k), NULL))
      g_ptr_array_add (order, g_ptr_array_index (field->choices, k));
  return order;
}

static GPtrArray *
current_order (DftQuestionRow *field)
{
  g_autofree char *value = dft_form_run_get_answer (field->filler->run, field->path);

  return shown_order (field, value);
}

static char *
join_values (GPtrArray *order)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < order->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ' ');
      g_string_append (out, ((DftChoice *) g_ptr_array_index (order, i))->value);
    }
  return g_string_free (out, FALSE);
}

static guint
row_index (GtkWidget *widget)
{
  GtkWidget *row = gtk_widget_get_ancestor (widget, GTK_TYPE_LIST_BOX_ROW);

  return GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (row), ROW_INDEX));
}

/* Answers with @value and shows what the run took. FALSE when the answer changed which pages
 * there are and the row left the page; callers hold a reference to the row. */
static gboolean
answer_with (DftQuestionRow *field, const char *value)
{
  g_autofree char *now = NULL;

  _dft_question_row_answer (field, value);
  if (!field->alive)
    return FALSE;
  now = dft_form_run_get_answer (field->filler->run, field->path);
  _dft_question_row_show_rank (field->filler, field, now);
  return TRUE;
}

/* Moves the choice shown at @from to @to, answering with the new order; FALSE when nothing
 * moved or the row left the page. */
static gboolean
move (DftQuestionRow *field, guint from, guint to)
{
  g_autoptr (GPtrArray) order = NULL;
  g_autofree char      *value = NULL;
  gpointer              choice;

  if (!field->alive || field->filler->updating || field->filler->run == NULL)
    return FALSE;
  order = current_order (field);
  if (from >= order->len || to >= order->len || from == to)
    return FALSE;
  choice = g_ptr_array_steal_index (order, from);
  g_ptr_array_insert (order, (int) to, choice);
  value = join_values (order);
  return answer_with (field, value);
}

static void
focus_row (DftQuestionRow *field, guint index)
{
  GtkWidget *row = _dft_question_row_rank_row (field, index);

  if (row != NULL)
    gtk_widget_grab_focus (row);
}

static void
move_button_clicked_cb (GtkButton *button, DftQuestionRow *field)
{
  g_autoptr (DftQuestionRow) hold = g_object_ref (field);
  gboolean                   up = g_object_get_data (G_OBJECT (button), IS_UP) != NULL;
  guint                      from = row_index (GTK_WIDGET (button));
  guint                      to = up ? from - 1 : from + 1;
  GtkWidget                 *row;
  GtkWidget                 *same;

  if (!move (field, from, to))
    return;
  /* The focus follows the choice, so that pressing again moves it on. */
  row = _dft_question_row_rank_row (field, to);
  same = row != NULL ? g_object_get_data (G_OBJECT (row), up ? UP : DOWN) : NULL;
  if (same == NULL || !gtk_widget_get_sensitive (same) || !gtk_widget_grab_focus (same))
    focus_row (field, to);
}

static gboolean
row_key_pressed_cb (GtkEventControllerKey *controller,
                    guint                  keyval,
                    guint                  keycode,
                    GdkModifierType        state,
                    DftQuestionRow        *field)
{
  g_autoptr (DftQuestionRow) hold = g_object_ref (field);
  GtkWidget *row = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (controller));
  guint      from = row_index (row);
  gboolean   up = keyval == GDK_KEY_Up || keyval == GDK_KEY_KP_Up;
  gboolean   down = keyval == GDK_KEY_Down || keyval == GDK_KEY_KP_Down;

  if ((state & GDK_MODIFIER_MASK & ~GDK_LOCK_MASK) != GDK_ALT_MASK || (!up && !down))
    return FALSE;
  /* At the top or the bottom the key is used up all the same, moving nothing. */
  if ((up && from == 0) || (down && from + 1 >= field->choices->len))
    return TRUE;
  if (move (field, from, up ? from - 1 : from + 1))
    focus_row (field, up ? from - 1 : from + 1);
  return TRUE;
}

/* What a dragged row carries: its question's path and its place, so that a row dropped on
 * another rank question's list is refused. */
char *
_dft_question_row_rank_dragged (DftQuestionRow *field, guint index)
{
  return g_strdup_printf ("%s#%u", field->path, index);
}

static gboolean
parse_dragged (DftQuestionRow *field, const char *dragged, guint *index)
{
  gsize   n = strlen (field->path);
  guint64 value;

  if (strncmp (dragged, field->path, n) != 0 || dragged[n] != '#'
      || !g_ascii_string_to_unsigned (dragged + n + 1, 10, 0, G_MAXUINT, &value, NULL))
    return FALSE;
  *index = (guint) value;
  return TRUE;
}

static GdkContentProvider *
drag_prepare_cb (GtkDragSource *source, double x, double y, DftQuestionRow *field)
{
  GtkWidget       *row = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (source));
  g_autofree char *dragged = NULL;

  if (!field->alive || !gtk_widget_get_sensitive (field->control))
    return NULL;
  dragged = _dft_question_row_rank_dragged (field, row_index (row));
  return gdk_content_provider_new_typed (G_TYPE_STRING, dragged);
}

static void
drag_begin_cb (GtkDragSource *source, GdkDrag *drag, DftQuestionRow *field)
{
  GtkWidget               *row = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (source));
  g_autoptr (GdkPaintable) icon = gtk_widget_paintable_new (row);

  gtk_drag_source_set_icon (source, icon, 0, 0);
}

static gboolean
drop_cb (GtkDropTarget *target, const GValue *value, double x, double y, DftQuestionRow *field)
{
  g_autoptr (DftQuestionRow) hold = g_object_ref (field);
  GtkWidget                 *row = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (target));
  guint                      from;

  if (!G_VALUE_HOLDS_STRING (value) || !parse_dragged (field, g_value_get_string (value), &from))
    return FALSE;
  return move (field, from, row_index (row));
}

static void
use_order_clicked_cb (GtkButton *button, DftQuestionRow *field)
{
  g_autoptr (DftQuestionRow) hold = g_object_ref (field);
  g_autoptr (GPtrArray)      order = NULL;
  g_autofree char           *value = NULL;

  if (!field->alive || field->filler->run == NULL)
    return;
  order = current_order (field);
  value = join_values (order);
  if (answer_with (field, value))
    focus_row (field, 0);
}

static void
clear_order_clicked_cb (GtkButton *button, DftQuestionRow *field)
{
  g_autoptr (DftQuestionRow) hold = g_object_ref (field);

  if (!field->alive || field->filler->run == NULL)
    return;
  if (answer_with (field, ""))
    gtk_widget_grab_focus (field->rank_use);
}

static GtkWidget *
move_button (DftQuestionRow *field, GtkWidget *row, gboolean up)
{
  GtkWidget *button = gtk_button_new_from_icon_name (up ? "go-up-symbolic" : "go-down-symbolic");

  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  g_object_set_data (G_OBJECT (button), IS_UP, GINT_TO_POINTER (up));
  g_object_set_data (G_OBJECT (row), up ? UP : DOWN, button);
  g_signal_connect_object (button, "clicked", G_CALLBACK (move_button_clicked_cb), field, 0);
  return button;
}

static GtkWidget *
new_row (DftQuestionRow *field, guint index)
{
  GtkWidget          *row = gtk_list_box_row_new ();
  GtkWidget          *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget          *place = gtk_label_new (NULL);
  GtkWidget          *label = _dft_form_filler_new_label (NULL, NULL);
  GtkEventController *keys = gtk_event_controller_key_new ();
  GtkDragSource      *source = gtk_drag_source_new ();
  GtkDropTarget      *target = gtk_drop_target_new (G_TYPE_STRING, GDK_ACTION_MOVE);

  g_object_set_data (G_OBJECT (row), ROW_INDEX, GUINT_TO_POINTER (index));
  g_object_set_data (G_OBJECT (row), PLACE, place);
  g_object_set_data (G_OBJECT (row), LABEL, label);
  gtk_widget_add_css_class (place, "numeric");
  gtk_widget_add_css_class (place, "dim-label");
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_top (box, 3);
  gtk_widget_set_margin_bottom (box, 3);
  gtk_box_append (GTK_BOX (box), place);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), move_button (field, row, TRUE));
  gtk_box_append (GTK_BOX (box), move_button (field, row, FALSE));
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);

  g_signal_connect_object (keys, "key-pressed", G_CALLBACK (row_key_pressed_cb), field, 0);
  gtk_widget_add_controller (row, keys);
  gtk_drag_source_set_actions (source, GDK_ACTION_MOVE);
  g_signal_connect_object (source, "prepare", G_CALLBACK (drag_prepare_cb), field, 0);
  g_signal_connect_object (source, "drag-begin", G_CALLBACK (drag_begin_cb), field, 0);
  gtk_widget_add_controller (row, GTK_EVENT_CONTROLLER (source));
  g_signal_connect_object (target, "drop", G_CALLBACK (drop_cb), field, 0);
  gtk_widget_add_controller (row, GTK_EVENT_CONTROLLER (target));
  return row;
}

void
_dft_question_row_build_rank (DftFormFiller *self, DftQuestionRow *field)
{
  GtkWidget *container = field->control;
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

  g_assert (field->choices != NULL);

  field->rank_status = _dft_form_filler_new_label (
      _ ("Not answered yet: move the choices into your order, or use the order shown."),
      "dim-label");
  field->rank_list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (field->rank_list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (field->rank_list, "boxed-list");
  gtk_accessible_update_relation (GTK_ACCESSIBLE (field->rank_list),
                                  GTK_ACCESSIBLE_RELATION_LABELLED_BY, field->title, NULL,
                                  GTK_ACCESSIBLE_RELATION_DESCRIBED_BY, field->message, NULL, -1);
  for (guint i = 0; i < field->choices->len; i++)
    gtk_list_box_append (GTK_LIST_BOX (field->rank_list), new_row (field, i));
  /* Translators: a button under a list of choices to put in order; it answers the question
     with the order as it stands */
  field->rank_use = gtk_button_new_with_label (_ ("Use this order"));
  /* Translators: a button under a list of choices put in order; it takes the answer back */
  field->rank_clear = gtk_button_new_with_label (_ ("Clear order"));
  g_signal_connect_object (field->rank_use, "clicked", G_CALLBACK (use_order_clicked_cb), field, 0);
  g_signal_connect_object (field->rank_clear, "clicked", G_CALLBACK (clear_order_clicked_cb), field,
                           0);
  gtk_widget_set_margin_top (buttons, 4);
  gtk_box_append (GTK_BOX (buttons), field->rank_use);
  gtk_box_append (GTK_BOX (buttons), field->rank_clear);
  gtk_box_append (GTK_BOX (container), field->rank_status);
  gtk_box_append (GTK_BOX (container), field->rank_list);
  gtk_box_append (GTK_BOX (container), buttons);
  _dft_form_filler_set_direction_recursive (container,
                                            gtk_widget_get_direction (GTK_WIDGET (self)));
}

void
_dft_question_row_show_rank (DftFormFiller *self, DftQuestionRow *field, const char *value)
{
  g_autoptr (GPtrArray) order = NULL;
  gboolean              answered = value != NULL && *value != '\0';

  if (field->rank_list == NULL)
    return;
  order = shown_order (field, value);
  for (guint i = 0; i < order->len; i++)
    {
      GtkWidget *row
          = GTK_WIDGET (gtk_list_box_get_row_at_index (GTK_LIST_BOX (field->rank_list), (int) i));
      DftChoice       *c = g_ptr_array_index (order, i);
      const char      *text = _dft_form_filler_question_text (self, c->label, NULL);
      g_autofree char *place = g_strdup_printf ("%u.", i + 1);
      g_autofree char *row_name = NULL;
      g_autofree char *up_name = NULL;
      g_autofree char *down_name = NULL;

      if (row == NULL)
        break;
      if (text == NULL || *text == '\0')
        text = c->value;
      gtk_label_set_text (g_object_get_data (G_OBJECT (row), PLACE), place);
      gtk_label_set_text (g_object_get_data (G_OBJECT (row), LABEL), text);
      /* Translators: how a screen reader names a choice in a list put in order: the first %s
         is the choice, then its place and how many there are ("Water, 1 of 3") */
      row_name = g_strdup_printf (_ ("%s, %u of %u"), text, i + 1, order->len);
      /* Translators: a button's name for screen readers; %s is a choice in a list put in order */
      up_name = g_strdup_printf (_ ("Move “%s” up"), text);
      /* Translators: a button's name for screen readers; %s is a choice in a list put in order */
      down_name = g_strdup_printf (_ ("Move “%s” down"), text);
      gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, row_name,
                                      -1);
      {
        GtkWidget *up = g_object_get_data (G_OBJECT (row), UP);
        GtkWidget *down = g_object_get_data (G_OBJECT (row), DOWN);

        gtk_widget_set_tooltip_text (up, up_name);
        gtk_accessible_update_property (GTK_ACCESSIBLE (up), GTK_ACCESSIBLE_PROPERTY_LABEL, up_name,
                                        -1);
        gtk_widget_set_sensitive (up, i > 0);
        gtk_widget_set_tooltip_text (down, down_name);
        gtk_accessible_update_property (GTK_ACCESSIBLE (down), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                        down_name, -1);
        gtk_widget_set_sensitive (down, i + 1 < order->len);
      }
    }
  gtk_widget_set_visible (field->rank_status, !answered);
  gtk_widget_set_visible (field->rank_use, !answered);
  gtk_widget_set_visible (field->rank_clear, answered);
}

GtkWidget *
_dft_question_row_rank_row (DftQuestionRow *field, guint index)
{
  if (field->rank_list == NULL)
    return NULL;
  return GTK_WIDGET (gtk_list_box_get_row_at_index (GTK_LIST_BOX (field->rank_list), (int) index));
}
