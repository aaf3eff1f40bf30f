/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dft-suggest.h"

#include <adwaita.h>

#define MAX_SHOWN 6

typedef struct
{
  GtkWidget *row; /* not owned: the suggestions live as long as it */
  GtkWidget *popover;
  GtkWidget *list;
  GStrv      values;
  GStrv      folded; /* @values case-folded, to match as typed */
  gboolean   taking; /* setting the row's text from a suggestion */
} Suggest;

static void
suggest_free (gpointer data)
{
  Suggest *s = data;

  if (s->popover != NULL)
    gtk_widget_unparent (s->popover);
  g_strfreev (s->values);
  g_strfreev (s->folded);
  g_free (s);
}

static void
hide (Suggest *s)
{
  if (s->popover != NULL)
    gtk_popover_popdown (GTK_POPOVER (s->popover));
}

static void
take (Suggest *s, GtkListBoxRow *item)
{
  const char *value = g_object_get_data (G_OBJECT (item), "value");

  s->taking = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (s->row), value);
  gtk_editable_set_position (GTK_EDITABLE (s->row), -1);
  s->taking = FALSE;
  hide (s);
}

static void
row_activated_cb (GtkListBox *list, GtkListBoxRow *item, Suggest *s)
{
  take (s, item);
  gtk_widget_grab_focus (s->row);
}

static gboolean
row_has_focus (Suggest *s)
{
  GtkRoot   *root = gtk_widget_get_root (s->row);
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

  return focus != NULL && (focus == s->row || gtk_widget_is_ancestor (focus, s->row));
}

static void
changed_cb (GtkEditable *editable, Suggest *s)
{
  const char      *text = gtk_editable_get_text (editable);
  g_autofree char *typed = g_utf8_casefold (text, -1);
  GtkWidget       *child;
  guint            shown = 0;

  if (s->taking || s->popover == NULL)
    return;
  while ((child = gtk_widget_get_first_child (s->list)) != NULL)
    gtk_list_box_remove (GTK_LIST_BOX (s->list), child);
  g_strstrip (typed);
  for (guint i = 0;
       *typed != '\0' && s->values != NULL && s->values[i] != NULL && shown < MAX_SHOWN; i++)
    {
      GtkWidget *label;

      /* What is already typed in full is no suggestion. */
      if (strstr (s->folded[i], typed) == NULL || g_str_equal (s->values[i], text))
        continue;
      /* A value from the data: plain text, never markup. */
      label = gtk_label_new (s->values[i]);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
      gtk_widget_set_margin_top (label, 6);
      gtk_widget_set_margin_bottom (label, 6);
      gtk_list_box_append (GTK_LIST_BOX (s->list), label);
      g_object_set_data_full (G_OBJECT (gtk_widget_get_parent (label)), "value",
                              g_strdup (s->values[i]), g_free);
      shown++;
    }
  if (shown == 0 || !row_has_focus (s))
    {
      hide (s);
      return;
    }
  gtk_list_box_unselect_all (GTK_LIST_BOX (s->list));
  /* As wide as the row it completes: a wrapped label alone would ask for a word's width. */
  gtk_widget_set_size_request (gtk_popover_get_child (GTK_POPOVER (s->popover)),
                               MAX (gtk_widget_get_width (s->row) - 24, 120), -1);
  gtk_popover_popup (GTK_POPOVER (s->popover));
}

static gboolean
key_pressed_cb (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                Suggest               *s)
{
  GtkListBox    *list = GTK_LIST_BOX (s->list);
  GtkListBoxRow *selected = gtk_list_box_get_selected_row (list);
  int            index = selected != NULL ? gtk_list_box_row_get_index (selected) : -1;
  GtkListBoxRow *next;

  if (s->popover == NULL || !gtk_widget_get_visible (s->popover)
      || (state & GDK_MODIFIER_MASK & ~GDK_SHIFT_MASK) != 0)
    return GDK_EVENT_PROPAGATE;
  switch (keyval)
    {
    case GDK_KEY_Down:
    case GDK_KEY_KP_Down:
    case GDK_KEY_Up:
    case GDK_KEY_KP_Up:
      index += keyval == GDK_KEY_Down || keyval == GDK_KEY_KP_Down ? 1 : -1;
      next = gtk_list_box_get_row_at_index (list, MAX (index, 0));
      if (next != NULL)
        gtk_list_box_select_row (list, next);
      return GDK_EVENT_STOP;
    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
    case GDK_KEY_ISO_Enter:
    case GDK_KEY_Tab:
      if (selected == NULL)
        {
          hide (s);
          return GDK_EVENT_PROPAGATE;
        }
      take (s, selected);
      return GDK_EVENT_STOP;
    case GDK_KEY_Escape:
      hide (s);
      return GDK_EVENT_STOP;
    default:
      return GDK_EVENT_PROPAGATE;
    }
}

static void
focus_leave_cb (GtkEventControllerFocus *controller, Suggest *s)
{
  hide (s);
}

/* A child popover must go before its parent is finalized. */
static void
row_destroy_cb (GtkWidget *row, Suggest *s)
{
  g_clear_pointer (&s->popover, gtk_widget_unparent);
}

static Suggest *
suggest_for (GtkWidget *row)
{
  Suggest            *s = g_object_get_data (G_OBJECT (row), "dft-suggest");
  GtkEventController *keys, *focus;
  GtkWidget          *scrolled;

  if (s != NULL)
    return s;
  s = g_new0 (Suggest, 1);
  s->row = row;
  s->list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (s->list), GTK_SELECTION_SINGLE);
  gtk_list_box_set_activate_on_single_click (GTK_LIST_BOX (s->list), TRUE);
  g_signal_connect (s->list, "row-activated", G_CALLBACK (row_activated_cb), s);
  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 240);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), s->list);
  s->popover = gtk_popover_new ();
  /* The typing stays in the row: the list never takes the focus by itself. */
  gtk_popover_set_autohide (GTK_POPOVER (s->popover), FALSE);
  gtk_popover_set_has_arrow (GTK_POPOVER (s->popover), FALSE);
  gtk_popover_set_position (GTK_POPOVER (s->popover), GTK_POS_BOTTOM);
  gtk_widget_set_halign (s->popover, GTK_ALIGN_START);
  gtk_widget_add_css_class (s->popover, "menu");
  gtk_popover_set_child (GTK_POPOVER (s->popover), scrolled);
  gtk_widget_set_parent (s->popover, row);

  /* Before the row's own keys and the dialog's Enter-saves: a chosen suggestion comes first. */
  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (key_pressed_cb), s);
  gtk_widget_add_controller (row, keys);
  focus = gtk_event_controller_focus_new ();
  g_signal_connect (focus, "leave", G_CALLBACK (focus_leave_cb), s);
  gtk_widget_add_controller (row, focus);
  g_signal_connect (row, "changed", G_CALLBACK (changed_cb), s);
  g_signal_connect (row, "destroy", G_CALLBACK (row_destroy_cb), s);
  g_object_set_data_full (G_OBJECT (row), "dft-suggest", s, suggest_free);
  return s;
}

void
dft_suggest_set_values (GtkWidget *row, const char *const *values)
{
  Suggest *s;
  guint    n = values != NULL ? g_strv_length ((GStrv) values) : 0;

  g_return_if_fail (GTK_IS_EDITABLE (row));

  s = suggest_for (row);
  g_strfreev (s->values);
  g_strfreev (s->folded);
  s->values = g_strdupv ((GStrv) values);
  s->folded = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    s->folded[i] = g_utf8_casefold (values[i], -1);
}

GStrv
dft_suggest_get_shown (GtkWidget *row)
{
  Suggest                 *s = g_object_get_data (G_OBJECT (row), "dft-suggest");
  g_autoptr (GStrvBuilder) shown = NULL;

  if (s == NULL || s->popover == NULL || !gtk_widget_get_visible (s->popover))
    return NULL;
  shown = g_strv_builder_new ();
  for (GtkWidget *child = gtk_widget_get_first_child (s->list); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    g_strv_builder_add (shown, g_object_get_data (G_OBJECT (child), "value"));
  return g_strv_builder_end (shown);
}
