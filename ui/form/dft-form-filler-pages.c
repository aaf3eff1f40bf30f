/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "dft-form-filler-private.h"

/*
 * The filler's pages: worked out from the form and the answers (relevance, repeat instances)
 * after every change, and the widgets of the one page shown.
 */

static void build_question (DftFormFiller *self, GtkBox *box, DftQuestion *q, const char *path);

static void
page_free (gpointer data)
{
  Page *page = data;

  g_free (page->path);
  g_free (page->base);
  g_free (page);
}

/* ---- Pages -------------------------------------------------------------- */

static char *repeats_shown (DftFormFiller *self);

static void
collect_pages (DftFormFiller *self, GPtrArray *questions, const char *parent, GPtrArray *pages)
{
  for (guint i = 0; i < questions->len; i++)
    {
      DftQuestion     *q = g_ptr_array_index (questions, i);
      g_autofree char *path
          = parent == NULL ? g_strdup (q->path) : g_strconcat (parent, "/", q->name, NULL);
      Page *page;

      if (_dft_form_filler_is_hidden_type (q))
        continue;
      if (q->type == DFT_QUESTION_GROUP && !q->page)
        {
          if (dft_form_run_is_relevant (self->run, path))
            collect_pages (self, q->children, path, pages);
          continue;
        }
      if (q->type == DFT_QUESTION_REPEAT)
        {
          guint count = dft_form_run_count_instances (self->run, path);

          if (count == 0 && q->repeat_count == NULL)
            {
              page = g_new0 (Page, 1);
              page->kind = PAGE_EMPTY_REPEAT;
              page->question = q;
              page->path = g_strdup (path);
              page->base = g_strdup (path);
              g_ptr_array_add (pages, page);
            }
          for (guint n = 1; n <= count; n++)
            {
              g_autofree char *instance = g_strdup_printf ("%s[%u]", path, n);

              if (!dft_form_run_is_relevant (self->run, instance))
                continue;
              page = g_new0 (Page, 1);
              page->kind = PAGE_INSTANCE;
              page->question = q;
              page->path = g_steal_pointer (&instance);
              page->base = g_strdup (path);
              page->index = n;
              page->count = count;
              g_ptr_array_add (pages, page);
            }
          continue;
        }
      if (!dft_form_run_is_relevant (self->run, path))
        continue;
      page = g_new0 (Page, 1);
      page->kind = q->type == DFT_QUESTION_GROUP ? PAGE_GROUP : PAGE_QUESTION;
      page->question = q;
      page->path = g_steal_pointer (&path);
      g_ptr_array_add (pages, page);
    }
}

static char *
page_title (DftFormFiller *self, Page *page)
{
  const char      *label = _dft_form_filler_question_text (self, page->question->label, NULL);
  g_autofree char *text = _dft_form_filler_expand_refs (
      self, label != NULL ? label : page->question->name, page->path);

  if (page->kind == PAGE_INSTANCE)
    /* Translators: a repeated part of a form: "Vehicle 2 of 3" */
    return g_strdup_printf (_ ("%s %u of %u"), text, page->index, page->count);
  return g_steal_pointer (&text);
}

/* The page list is filled when it is opened, not on every keystroke. */
static void
fill_pages_list (DftFormFiller *self)
{
  guint      n = self->pages != NULL ? self->pages->len : 0;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->pages_list))) != NULL)
    gtk_list_box_remove (self->pages_list, child);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *title = page_title (self, g_ptr_array_index (self->pages, i));
      g_autofree char *text = g_strdup_printf ("%u. %s", i + 1, title);
      GtkWidget       *l = gtk_label_new (text);

      gtk_label_set_use_markup (GTK_LABEL (l), FALSE);
      gtk_label_set_xalign (GTK_LABEL (l), 0);
      gtk_label_set_ellipsize (GTK_LABEL (l), PANGO_ELLIPSIZE_END);
      gtk_label_set_max_width_chars (GTK_LABEL (l), 40);
      if (i == self->page)
        gtk_widget_add_css_class (l, "heading");
      gtk_list_box_append (self->pages_list, l);
    }
  _dft_form_filler_set_direction_recursive (GTK_WIDGET (self->pages_list),
                                            gtk_widget_get_direction (GTK_WIDGET (self)));
}

void
_dft_form_filler_pages_popover_show_cb (DftFormFiller *self)
{
  fill_pages_list (self);
}

static void
update_progress (DftFormFiller *self)
{
  guint            n = self->pages != NULL ? self->pages->len : 0;
  g_autofree char *label = NULL;

  /* Translators: progress through a form: "Page 3 of 7" */
  label = g_strdup_printf (_ ("Page %u of %u"), n > 0 ? self->page + 1 : 0, n);
  gtk_menu_button_set_label (self->pages_button, label);
  gtk_progress_bar_set_fraction (self->progress, n > 0 ? (double) (self->page + 1) / n : 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "filler.previous", self->page > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "filler.next", self->page + 1 < n);
}

int
_dft_form_filler_find_page (DftFormFiller *self, const char *path)
{
  if (path == NULL || self->pages == NULL)
    return -1;
  for (guint i = 0; i < self->pages->len; i++)
    {
      Page *page = g_ptr_array_index (self->pages, i);

      if (g_strcmp0 (page->path, path) == 0
          || (g_str_has_prefix (path, page->path) && path[strlen (page->path)] == '/'))
        return i;
    }
  return -1;
}

/* Works the pages out again; keeps the page shown when it is still there. Returns whether
 * the page shown is still the same one. */
gboolean
_dft_form_filler_recompute_pages (DftFormFiller *self)
{
  g_autofree char *shown = NULL;
  PageKind         kind = PAGE_QUESTION;
  gboolean         same = FALSE;

  if (self->pages != NULL && self->page < self->pages->len)
    {
      Page *p = g_ptr_array_index (self->pages, self->page);

      shown = g_strdup (p->path);
      kind = p->kind;
    }
  g_clear_pointer (&self->pages, g_ptr_array_unref);
  self->pages = g_ptr_array_new_with_free_func (page_free);
  collect_pages (self, self->form->questions, NULL, self->pages);
  for (guint i = 0; shown != NULL && i < self->pages->len; i++)
    {
      Page *p = g_ptr_array_index (self->pages, i);

      if (g_strcmp0 (p->path, shown) == 0 && p->kind == kind)
        {
          self->page = i;
          same = TRUE;
          break;
        }
    }
  self->repeats_changed = FALSE;
  if (!same)
    self->page = MIN (self->page, self->pages->len > 0 ? self->pages->len - 1 : 0);
  else if (self->page_repeats->len > 0)
    {
      /* The same page, but a repeat on it gained or lost an instance: not the same to see. */
      g_autofree char *now = repeats_shown (self);

      same = g_strcmp0 (now, self->page_repeats_shown) == 0;
      self->repeats_changed = !same;
    }
  update_progress (self);
  return same;
}

void
_dft_form_filler_refresh_labels (DftFormFiller *self)
{
  for (guint i = 0; i < self->field_order->len; i++)
    {
      DftQuestionRow *field = g_ptr_array_index (self->field_order, i);
      const char     *label = _dft_form_filler_question_text (self, field->question->label, NULL);

      if (label != NULL && strstr (label, "${") != NULL)
        _dft_question_row_update_title (self, field);
    }
}

static GtkWidget *
instance_button (const char *label, const char *icon, const char *action, GVariant *target)
{
  GtkWidget *button = gtk_button_new ();
  GtkWidget *content = adw_button_content_new ();

  adw_button_content_set_label (ADW_BUTTON_CONTENT (content), label);
  adw_button_content_set_icon_name (ADW_BUTTON_CONTENT (content), icon);
  adw_button_content_set_use_underline (ADW_BUTTON_CONTENT (content), TRUE);
  gtk_button_set_child (GTK_BUTTON (button), content);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (button), target);
  gtk_widget_set_halign (button, GTK_ALIGN_START);
  return button;
}

static void
build_children (DftFormFiller *self, GtkBox *box, DftQuestion *group, const char *path)
{
  for (guint i = 0; i < group->children->len; i++)
    {
      DftQuestion     *child = g_ptr_array_index (group->children, i);
      g_autofree char *child_path = g_strconcat (path, "/", child->name, NULL);

      build_question (self, box, child, child_path);
    }
}

/* Which instances of the page's repeats are shown: "3:1,2,3;1:" */
static char *
repeats_shown (DftFormFiller *self)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < self->page_repeats->len; i++)
    {
      const char *base = g_ptr_array_index (self->page_repeats, i);
      guint       count = dft_form_run_count_instances (self->run, base);

      g_string_append_printf (out, "%u:", count);
      for (guint n = 1; n <= count; n++)
        {
          g_autofree char *instance = g_strdup_printf ("%s[%u]", base, n);

          if (dft_form_run_is_relevant (self->run, instance))
            g_string_append_printf (out, "%u,", n);
        }
      g_string_append_c (out, ';');
    }
  return g_string_free (out, FALSE);
}

/* A repeat inside a field-list group, on that group's page: each instance
 * framed with its heading and its Remove button, and Add after the last. */
static void
build_repeat (DftFormFiller *self, GtkBox *box, DftQuestion *q, const char *base)
{
  guint            count = dft_form_run_count_instances (self->run, base);
  const char      *label = _dft_form_filler_question_text (self, q->label, NULL);
  g_autofree char *name
      = _dft_form_filler_expand_refs (self, label != NULL ? label : q->name, base);

  g_ptr_array_add (self->page_repeats, g_strdup (base));
  for (guint n = 1; n <= count; n++)
    {
      g_autofree char *instance = g_strdup_printf ("%s[%u]", base, n);
      /* Translators: a heading for one entry of a repeated part: "Child 2" */
      g_autofree char *heading = g_strdup_printf (_ ("%s %u"), name, n);
      GtkWidget       *section;

      if (!dft_form_run_is_relevant (self->run, instance))
        continue;
      section = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
      gtk_widget_add_css_class (section, "card");
      gtk_widget_add_css_class (section, "repeat-instance");
      gtk_box_append (GTK_BOX (section), _dft_form_filler_new_label (heading, "title-4"));
      build_children (self, GTK_BOX (section), q, instance);
      if (q->repeat_count == NULL)
        {
          GtkWidget *remove
              = instance_button (_ ("_Remove"), "user-trash-symbolic", "filler.remove-instance",
                                 g_variant_new ("(su)", base, n));
          /* Translators: what a screen reader says for the button that removes one entry
             of a repeated part; %s is that entry's heading, "Child 2" */
          g_autofree char *spoken = g_strdup_printf (_ ("Remove %s"), heading);

          gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                          spoken, -1);
          gtk_box_append (GTK_BOX (section), remove);
        }
      gtk_box_append (box, section);
    }
  if (q->repeat_count == NULL)
    {
      GtkWidget *add = instance_button (_ ("_Add"), "list-add-symbolic", "filler.add-instance",
                                        g_variant_new_string (base));
      /* Translators: what a screen reader says for the button that adds an entry to a
         repeated part; %s is the part's label, "Child" */
      g_autofree char *spoken = g_strdup_printf (_ ("Add %s"), name);

      gtk_accessible_update_property (GTK_ACCESSIBLE (add), GTK_ACCESSIBLE_PROPERTY_LABEL, spoken,
                                      -1);
      gtk_box_append (box, add);
    }
}

static void
build_question (DftFormFiller *self, GtkBox *box, DftQuestion *q, const char *path)
{
  if (_dft_form_filler_is_hidden_type (q))
    return;
  if (q->type == DFT_QUESTION_GROUP)
    {
      const char *label = _dft_form_filler_question_text (self, q->label, NULL);
      GtkWidget  *section = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);

      if (label != NULL)
        {
          g_autofree char *text = _dft_form_filler_expand_refs (self, label, path);
          gtk_box_append (GTK_BOX (section), _dft_form_filler_new_label (text, "title-4"));
        }
      build_children (self, GTK_BOX (section), q, path);
      gtk_widget_set_visible (section, dft_form_run_is_relevant (self->run, path));
      gtk_box_append (box, section);
      return;
    }
  if (q->type == DFT_QUESTION_REPEAT)
    {
      build_repeat (self, box, q, path);
      return;
    }
  _dft_question_row_build_field (self, box, q, path);
}

void
_dft_form_filler_clear_page (DftFormFiller *self)
{
  GtkWidget *child;

  g_ptr_array_set_size (self->field_order, 0);
  g_hash_table_remove_all (self->fields);
  g_ptr_array_set_size (self->page_repeats, 0);
  g_clear_pointer (&self->page_repeats_shown, g_free);
  self->clearing = TRUE;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->page_box))) != NULL)
    gtk_box_remove (self->page_box, child);
  self->clearing = FALSE;
}

/* The button that goes on from the page shown: Next, or Finish on the last page (which checks
 * the whole form before it saves anything). */
void
_dft_form_filler_focus_onward (DftFormFiller *self)
{
  gboolean last = self->pages == NULL || self->page + 1 >= self->pages->len;

  gtk_widget_grab_focus (last ? self->finalize_button : self->next_button);
}

void
_dft_form_filler_focus_first (DftFormFiller *self)
{
  for (guint i = 0; i < self->field_order->len; i++)
    {
      DftQuestionRow *field = g_ptr_array_index (self->field_order, i);

      if (_dft_question_row_takes_focus (field))
        {
          gtk_widget_grab_focus (_dft_question_row_focus_target (field));
          return;
        }
    }
  /* A page with nothing to answer (a note): Return goes on, and the focus is never left for
   * the window to give to the first button it finds, which closes the form. */
  _dft_form_filler_focus_onward (self);
}

void
_dft_form_filler_show_page (DftFormFiller *self, guint n)
{
  Page *page;

  _dft_form_filler_clear_page (self);
  gtk_stack_set_visible_child_name (self->stack, "form");
  if (self->pages == NULL || self->pages->len == 0)
    return;
  self->page = MIN (n, self->pages->len - 1);
  page = g_ptr_array_index (self->pages, self->page);
  switch (page->kind)
    {
    case PAGE_QUESTION:
      _dft_question_row_build_field (self, self->page_box, page->question, page->path);
      break;
    case PAGE_GROUP:
      build_question (self, self->page_box, page->question, page->path);
      break;
    case PAGE_INSTANCE:
    case PAGE_EMPTY_REPEAT:
      {
        g_autofree char *title = page_title (self, page);
        gboolean         fixed = page->question->repeat_count != NULL;

        gtk_box_append (self->page_box, _dft_form_filler_new_label (title, "title-2"));
        if (page->kind == PAGE_INSTANCE)
          build_children (self, self->page_box, page->question, page->path);
        else
          gtk_box_append (self->page_box,
                          _dft_form_filler_new_label (_ ("Nothing entered yet."), "dim-label"));
        if (!fixed)
          {
            GtkWidget *line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

            gtk_box_append (GTK_BOX (line),
                            instance_button (_ ("_Add"), "list-add-symbolic", "filler.add-instance",
                                             g_variant_new_string (page->base)));
            if (page->kind == PAGE_INSTANCE)
              gtk_box_append (GTK_BOX (line),
                              instance_button (_ ("_Remove"), "user-trash-symbolic",
                                               "filler.remove-instance",
                                               g_variant_new ("(su)", page->base, page->index)));
            gtk_box_append (self->page_box, line);
          }
        break;
      }
    default:
      g_assert_not_reached ();
    }
  g_free (self->page_repeats_shown);
  self->page_repeats_shown = repeats_shown (self);
  update_progress (self);
  _dft_form_filler_apply_direction (self);
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->scrolled), 0);
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    _dft_form_filler_focus_first (self);
}

static gboolean
rebuild_cb (gpointer data)
{
  DftFormFiller   *self = data;
  g_autofree char *path = g_steal_pointer (&self->rebuild_focus);

  self->rebuild_id = 0;
  _dft_form_filler_rebuild_page (self, path);
  return G_SOURCE_REMOVE;
}

void
_dft_form_filler_rebuild_page_later (DftFormFiller *self, const char *path)
{
  g_free (self->rebuild_focus);
  self->rebuild_focus = g_strdup (path);
  if (self->rebuild_id == 0)
    self->rebuild_id = g_idle_add (rebuild_cb, self);
}

void
_dft_form_filler_rebuild_page (DftFormFiller *self, const char *path)
{
  g_autofree char *kept = g_strdup (path);
  GtkAdjustment   *scroll = gtk_scrolled_window_get_vadjustment (self->scrolled);
  double           at = gtk_adjustment_get_value (scroll);
  DftQuestionRow  *field;
  GtkWidget       *target;

  _dft_form_filler_show_page (self, self->page);
  /* The person was typing there (a count of children, say): the page grows or shrinks under
   * their hand, but the focus and the place on the page stay. */
  gtk_adjustment_set_value (scroll, at);
  field = kept != NULL ? g_hash_table_lookup (self->fields, kept) : NULL;
  target = field != NULL ? _dft_question_row_focus_target (field) : NULL;
  if (target == NULL || !gtk_widget_get_mapped (GTK_WIDGET (self)))
    return;
  gtk_widget_grab_focus (target);
  if (GTK_IS_EDITABLE (target))
    gtk_editable_set_position (GTK_EDITABLE (target), -1);
}

/* Checks the answers on the page shown; shows what is wrong and focuses the first. */
gboolean
_dft_form_filler_check_page (DftFormFiller *self)
{
  DftQuestionRow *first = NULL;

  for (guint i = 0; i < self->field_order->len; i++)
    {
      DftQuestionRow *field = g_ptr_array_index (self->field_order, i);

      if (gtk_widget_get_visible (GTK_WIDGET (field))
          && !_dft_question_row_check (self, field, FALSE) && first == NULL)
        first = field;
    }
  if (first != NULL && _dft_question_row_focus_target (first) != NULL)
    gtk_widget_grab_focus (_dft_question_row_focus_target (first));
  return first == NULL;
}
