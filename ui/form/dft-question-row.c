/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "dft-form-filler-private.h"

/*
 * One question on the page shown: its title (with a tag when the text fell back to another
 * language), its hint, the control that takes the answer and the message under it, laid out
 * by dft-question-row.ui. A row writes what the person types into the run, and shows what the
 * run says back.
 */

G_DEFINE_FINAL_TYPE (DftQuestionRow, dft_question_row, GTK_TYPE_WIDGET)

/* The page is gone: the row no longer answers. Signals of its controls may still come while
 * they are taken down (focus leaving a widget of a page just replaced); they find it dead. */
void
_dft_question_row_kill (gpointer data)
{
  DftQuestionRow *field = data;

  field->alive = FALSE;
  _dft_question_row_stop_file (field);
  g_object_unref (field);
}

/* Handlers are disconnected when the row is finalized; the controls they watch are its own
 * children, so none outlives it. */
/* A calculated question shows its value; one whose calculation only suggests the answer is
 * answered like any other (dft_question_calculation_suggests()). */
static gboolean
shows_calculation (const DftQuestion *q)
{
  return q->calculate != NULL && !dft_question_calculation_suggests (q);
}

static void
connect_field (gpointer instance, const char *signal, GCallback callback, DftQuestionRow *field)
{
  g_signal_connect_object (instance, signal, callback, field, 0);
}

static gboolean
uses_dropdown (DftQuestionRow *field)
{
  DftQuestion *q = field->question;

  return q->type == DFT_QUESTION_SELECT_ONE
         && ((q->appearance != NULL && strstr (q->appearance, "minimal") != NULL)
             || (field->choices != NULL && field->choices->len > 12));
}

/* The language a fallen-back text came from. */
static const char *
fallback_lang (DftFormFiller *self, DftText *text, const char *shown)
{
  for (guint i = 0; i < self->form->languages->len; i++)
    {
      DftLanguage *l = g_ptr_array_index (self->form->languages, i);

      const char *own = dft_text_get (text, l->code);

      if (own != NULL && g_str_equal (own, g_str_has_prefix (shown, RLM) ? shown + 3 : shown))
        return l->code;
    }
  return self->form->default_language != NULL ? self->form->default_language : "und";
}

static const char *
language_name (DftFormFiller *self, const char *code)
{
  for (guint i = 0; i < self->form->languages->len; i++)
    {
      DftLanguage *l = g_ptr_array_index (self->form->languages, i);

      if (g_strcmp0 (l->code, code) == 0 && l->name != NULL)
        return l->name;
    }
  return code;
}

/* ---- Fields ------------------------------------------------------------- */

static void
set_message (DftQuestionRow *field, const char *message)
{
  gboolean shown = message != NULL && *message;

  gtk_label_set_text (GTK_LABEL (field->message), shown ? message : "");
  gtk_widget_set_visible (field->message, shown);
}

void
_dft_question_row_set_message (DftQuestionRow *field, const char *message)
{
  set_message (field, message);
}

void
_dft_question_row_set_store (DftQuestionRow *field, DftStore *store)
{
  g_set_object (&field->store, store);
}

gboolean
_dft_question_row_check (DftFormFiller *self, DftQuestionRow *field, gboolean for_finalize)
{
  g_autofree char *message = NULL;

  if (field->message == NULL || self->run == NULL)
    return TRUE;
  if (dft_form_run_check (self->run, field->path, _dft_form_filler_current_lang (self),
                          for_finalize, &message))
    {
      set_message (field, NULL);
      return TRUE;
    }
  set_message (field, message);
  return FALSE;
}

void
_dft_question_row_update_title (DftFormFiller *self, DftQuestionRow *field)
{
  gboolean    fell_back = FALSE;
  const char *label = _dft_form_filler_question_text (self, field->question->label, &fell_back);
  g_autofree char *text
      = _dft_form_filler_expand_refs (self, label != NULL ? label : "", field->path);

  if (field->title == NULL)
    return;
  if (dft_question_has_answer (field->question)
      && dft_form_run_is_required (self->run, field->path))
    {
      g_autofree char *marked = g_strconcat (text, " *", NULL);
      gtk_label_set_text (GTK_LABEL (field->title), marked);
    }
  else
    gtk_label_set_text (GTK_LABEL (field->title), text);
  gtk_widget_set_visible (field->title, *text != '\0');

  if (field->tag != NULL)
    {
      gtk_widget_set_visible (field->tag, fell_back && label != NULL);
      if (fell_back && label != NULL)
        {
          const char      *code = fallback_lang (self, field->question->label, label);
          g_autofree char *tag = g_strdup_printf ("↩ %s", code);
          g_autofree char *tooltip
              /* Translators: a question shown in another language; %s is that language's name */
              = g_strdup_printf (_ ("Not translated; shown in %s"), language_name (self, code));

          gtk_label_set_text (GTK_LABEL (field->tag), tag);
          gtk_widget_set_tooltip_text (field->tag, tooltip);
        }
    }
}

static gboolean
value_has (const char *answer, const char *value)
{
  g_auto (GStrv) parts = g_strsplit (answer != NULL ? answer : "", " ", -1);
  return g_strv_contains ((const char *const *) parts, value);
}

/* Shows @value in the field's widgets, without taking it as a new answer. */
static void
show_value (DftFormFiller *self, DftQuestionRow *field, const char *value)
{
  DftQuestion *q = field->question;

  self->updating = TRUE;
  if (shows_calculation (q) && field->control != NULL && GTK_IS_LABEL (field->control))
    gtk_label_set_text (GTK_LABEL (field->control), value);
  else if (q->type == DFT_QUESTION_RANK)
    _dft_question_row_show_rank (self, field, value);
  else if (_dft_question_row_is_file_type (q))
    _dft_question_row_show_file (self, field, value);
  else if (q->type == DFT_QUESTION_RANGE)
    _dft_question_row_show_range (self, field, value);
  else if (q->type == DFT_QUESTION_GEOPOINT)
    {
      g_auto (GStrv) parts = g_strsplit_set (value, " ", -1);
      const char    *lat = parts[0] != NULL ? parts[0] : "";
      const char    *lon = lat[0] != '\0' && parts[1] != NULL ? parts[1] : "";

      if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (field->lat)), lat) != 0)
        gtk_editable_set_text (GTK_EDITABLE (field->lat), lat);
      if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (field->lon)), lon) != 0)
        gtk_editable_set_text (GTK_EDITABLE (field->lon), lon);
    }
  else if (field->control != NULL && GTK_IS_EDITABLE (field->control))
    {
      if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (field->control)), value) != 0)
        gtk_editable_set_text (GTK_EDITABLE (field->control), value);
    }
  else if (field->control != NULL && GTK_IS_TEXT_VIEW (field->control))
    {
      GtkTextBuffer   *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (field->control));
      GtkTextIter      start, end;
      g_autofree char *now = NULL;
      g_autofree char *shown = g_strdup (value);

      /* A line or shape shows one point per line, as it is typed. */
      if (q->type == DFT_QUESTION_GEOTRACE || q->type == DFT_QUESTION_GEOSHAPE)
        g_strdelimit (shown, ";", '\n');
      gtk_text_buffer_get_bounds (buffer, &start, &end);
      now = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
      if (g_strcmp0 (now, shown) != 0)
        gtk_text_buffer_set_text (buffer, shown, -1);
    }
  else if (field->control != NULL && GTK_IS_DROP_DOWN (field->control))
    {
      guint selected = 0;

      for (guint i = 0; field->choices != NULL && i < field->choices->len; i++)
        if (g_strcmp0 (((DftChoice *) g_ptr_array_index (field->choices, i))->value, value) == 0)
          selected = i + 1;
      gtk_drop_down_set_selected (GTK_DROP_DOWN (field->control), selected);
    }
  else if (field->buttons != NULL)
    {
      for (guint i = 0; i < field->buttons->len; i++)
        {
          GtkWidget *b = g_ptr_array_index (field->buttons, i);
          gboolean   on;

          if (q->type == DFT_QUESTION_ACKNOWLEDGE)
            on = value[0] != '\0';
          else
            on = value_has (value, ((DftChoice *) g_ptr_array_index (field->choices, i))->value);
          if (GTK_IS_CHECK_BUTTON (b))
            gtk_check_button_set_active (GTK_CHECK_BUTTON (b), on);
          else
            gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (b), on);
        }
    }
  self->updating = FALSE;
}

static void build_choices (DftFormFiller *self, DftQuestionRow *field);

static gboolean
same_choices (GPtrArray *a, GPtrArray *b)
{
  if (a == NULL || b == NULL || a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    if (g_ptr_array_index (a, i) != g_ptr_array_index (b, i))
      return FALSE;
  return TRUE;
}

static void
refresh_field (DftFormFiller *self, DftQuestionRow *field)
{
  g_autofree char *value = dft_form_run_get_answer (self->run, field->path);
  gboolean         relevant = dft_form_run_is_relevant (self->run, field->path);

  gtk_widget_set_visible (GTK_WIDGET (field), relevant);
  _dft_question_row_update_title (self, field);
  if (field->control != NULL && dft_question_has_answer (field->question))
    gtk_widget_set_sensitive (field->control,
                              !shows_calculation (field->question)
                                  && !dft_form_run_is_read_only (self->run, field->path));
  if (field->question->choice_filter != NULL && field->choices != NULL)
    {
      g_autoptr (GPtrArray) now = dft_form_run_get_choices (self->run, field->path, NULL);

      if (now != NULL && !same_choices (now, field->choices))
        build_choices (self, field);
    }
  if (dft_question_has_answer (field->question))
    show_value (self, field, value != NULL ? value : "");
  if (!relevant)
    set_message (field, NULL);
}

static void
take_answer (DftQuestionRow *field, const char *value)
{
  DftFormFiller        *self = field->filler;
  g_autoptr (GPtrArray) changed = NULL;
  g_autoptr (GError)    error = NULL;
  gboolean              same_page;

  if (!field->alive || self->updating || self->clearing || self->run == NULL)
    return;
  if (!dft_form_run_set_answer (self->run, field->path, value, &changed, &error))
    {
      set_message (field, error->message);
      return;
    }
  /* A message about the old answer no longer applies; the new one is checked on leaving. */
  if (gtk_widget_get_visible (field->message))
    _dft_question_row_check (self, field, FALSE);
  for (guint i = 0; changed != NULL && i < changed->len; i++)
    {
      DftQuestionRow *other = g_hash_table_lookup (self->fields, g_ptr_array_index (changed, i));

      if (other != NULL && other != field)
        refresh_field (self, other);
    }
  _dft_question_row_update_title (self, field);
  _dft_form_filler_refresh_labels (self);
  same_page = _dft_form_filler_recompute_pages (self);
  /* Instances coming or going on this page: the widget answering is still in its signal, so
   * the page is built again from the main loop. Another page: shown now, as before. */
  if (!same_page && self->repeats_changed)
    _dft_form_filler_rebuild_page_later (self, field->path);
  else if (!same_page)
    _dft_form_filler_show_page (self, self->page);
}

void
_dft_question_row_answer (DftQuestionRow *field, const char *value)
{
  take_answer (field, value);
}

/* ---- Controls ----------------------------------------------------------- */

static void
editable_changed_cb (GtkEditable *editable, DftQuestionRow *field)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (editable)));

  take_answer (field, text);
}

static void
geopoint_changed_cb (GtkEditable *editable, DftQuestionRow *field)
{
  g_autofree char *lat = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (field->lat))));
  g_autofree char *lon = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (field->lon))));
  g_autofree char *value = NULL;

  if (*lat == '\0' && *lon == '\0')
    value = g_strdup ("");
  else
    value = g_strdup_printf ("%s %s", lat, lon);
  take_answer (field, value);
}

static void
buffer_changed_cb (GtkTextBuffer *buffer, DftQuestionRow *field)
{
  GtkTextIter      start, end;
  g_autofree char *text = NULL;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  take_answer (field, text);
}

static void
dropdown_selected_cb (GtkDropDown *dropdown, GParamSpec *pspec, DftQuestionRow *field)
{
  guint selected = gtk_drop_down_get_selected (dropdown);

  if (selected == 0 || selected == GTK_INVALID_LIST_POSITION || field->choices == NULL
      || selected > field->choices->len)
    take_answer (field, "");
  else
    take_answer (field, ((DftChoice *) g_ptr_array_index (field->choices, selected - 1))->value);
}

static gboolean
button_active (GtkWidget *b)
{
  return GTK_IS_CHECK_BUTTON (b) ? gtk_check_button_get_active (GTK_CHECK_BUTTON (b))
                                 : gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (b));
}

static void
choice_toggled_cb (GtkWidget *button, DftQuestionRow *field)
{
  GString *value;

  if (!field->alive || field->filler->updating)
    return;
  value = g_string_new (NULL);
  if (field->question->type == DFT_QUESTION_ACKNOWLEDGE)
    g_string_append (value, button_active (button) ? "OK" : "");
  else
    for (guint i = 0; i < field->buttons->len; i++)
      if (button_active (g_ptr_array_index (field->buttons, i)))
        {
          if (value->len > 0)
            g_string_append_c (value, ' ');
          g_string_append (value, ((DftChoice *) g_ptr_array_index (field->choices, i))->value);
        }
  /* A radio group sends one signal for the button turned off and one for the one turned on;
   * only the second says where it ends. */
  if (field->question->type != DFT_QUESTION_SELECT_MULTIPLE
      && field->question->type != DFT_QUESTION_ACKNOWLEDGE && !button_active (button))
    {
      for (guint i = 0; i < field->buttons->len; i++)
        if (button_active (g_ptr_array_index (field->buttons, i)))
          {
            g_string_free (value, TRUE);
            return;
          }
    }
  take_answer (field, value->str);
  g_string_free (value, TRUE);
}

static void
focus_leave_cb (GtkEventControllerFocus *controller, DftQuestionRow *field)
{
  if (!field->alive || field->filler->clearing || field->filler->updating)
    return;
  _dft_question_row_check (field->filler, field, FALSE);
}

static void
watch_focus (DftQuestionRow *field, GtkWidget *widget)
{
  GtkEventController *focus = gtk_event_controller_focus_new ();

  connect_field (focus, "leave", G_CALLBACK (focus_leave_cb), field);
  gtk_widget_add_controller (widget, focus);
}

static void
label_control (DftQuestionRow *field, GtkWidget *control)
{
  gtk_accessible_update_relation (GTK_ACCESSIBLE (control), GTK_ACCESSIBLE_RELATION_LABELLED_BY,
                                  field->title, NULL, GTK_ACCESSIBLE_RELATION_DESCRIBED_BY,
                                  field->message, NULL, -1);
}

static GtkWidget *
choice_label (DftFormFiller *self, DftChoice *choice)
{
  gboolean    fell_back = FALSE;
  const char *text = _dft_form_filler_question_text (self, choice->label, &fell_back);

  return gtk_label_new (text != NULL ? text : choice->value);
}

static void
build_choices (DftFormFiller *self, DftQuestionRow *field)
{
  DftQuestion *q = field->question;
  GtkWidget   *container = field->control;
  GtkWidget   *child;
  GtkWidget   *first = NULL;

  g_clear_pointer (&field->choices, g_ptr_array_unref);
  g_clear_pointer (&field->buttons, g_ptr_array_unref);
  field->choices = dft_form_run_get_choices (self->run, field->path, NULL);
  if (field->choices == NULL)
    field->choices = g_ptr_array_new ();
  field->buttons = g_ptr_array_new ();
  while ((child = gtk_widget_get_first_child (container)) != NULL)
    gtk_box_remove (GTK_BOX (container), child);

  if (q->type == DFT_QUESTION_RANK)
    {
      _dft_question_row_build_rank (self, field);
      return;
    }
  if (uses_dropdown (field))
    {
      GtkStringList *list = gtk_string_list_new (NULL);
      GtkWidget     *dropdown;

      gtk_string_list_append (list, _ ("Choose…"));
      for (guint i = 0; i < field->choices->len; i++)
        {
          DftChoice  *c = g_ptr_array_index (field->choices, i);
          const char *text = _dft_form_filler_question_text (self, c->label, NULL);

          gtk_string_list_append (list, text != NULL ? text : c->value);
        }
      dropdown = gtk_drop_down_new (G_LIST_MODEL (list), NULL);
      gtk_drop_down_set_enable_search (GTK_DROP_DOWN (dropdown), field->choices->len > 12);
      if (field->choices->len > 12)
        gtk_drop_down_set_expression (
            GTK_DROP_DOWN (dropdown),
            gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL, "string"));
      gtk_widget_set_halign (dropdown, GTK_ALIGN_START);
      connect_field (dropdown, "notify::selected", G_CALLBACK (dropdown_selected_cb), field);
      label_control (field, dropdown);
      gtk_box_append (GTK_BOX (container), dropdown);
      _dft_form_filler_set_direction_recursive (container,
                                                gtk_widget_get_direction (GTK_WIDGET (self)));
      /* The dropdown itself is what shows the answer. */
      field->control = dropdown;
      return;
    }

  for (guint i = 0; i < field->choices->len; i++)
    {
      DftChoice *c = g_ptr_array_index (field->choices, i);
      GtkWidget *label = choice_label (self, c);
      GtkWidget *button;

      gtk_label_set_use_markup (GTK_LABEL (label), FALSE);
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
      if (q->type == DFT_QUESTION_LIKERT)
        {
          GtkWidget       *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
          g_autofree char *n = g_strdup_printf ("%u", i + 1);
          GtkWidget       *digit = gtk_label_new (n);

          gtk_widget_add_css_class (digit, "heading");
          gtk_widget_add_css_class (label, "caption");
          gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_CENTER);
          gtk_label_set_max_width_chars (GTK_LABEL (label), 10);
          gtk_box_append (GTK_BOX (box), digit);
          gtk_box_append (GTK_BOX (box), label);
          button = gtk_toggle_button_new ();
          gtk_button_set_child (GTK_BUTTON (button), box);
          gtk_widget_set_hexpand (button, TRUE);
          if (first != NULL)
            gtk_toggle_button_set_group (GTK_TOGGLE_BUTTON (button), GTK_TOGGLE_BUTTON (first));
          gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                          gtk_label_get_text (GTK_LABEL (label)), -1);
        }
      else
        {
          button = gtk_check_button_new ();
          gtk_label_set_xalign (GTK_LABEL (label), 0);
          gtk_check_button_set_child (GTK_CHECK_BUTTON (button), label);
          if (q->type == DFT_QUESTION_SELECT_ONE && first != NULL)
            gtk_check_button_set_group (GTK_CHECK_BUTTON (button), GTK_CHECK_BUTTON (first));
        }
      if (first == NULL)
        first = button;
      connect_field (button, "toggled", G_CALLBACK (choice_toggled_cb), field);
      gtk_accessible_update_relation (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_RELATION_DESCRIBED_BY,
                                      field->title, NULL, -1);
      g_ptr_array_add (field->buttons, button);
      gtk_box_append (GTK_BOX (container), button);
    }
  _dft_form_filler_set_direction_recursive (container,
                                            gtk_widget_get_direction (GTK_WIDGET (self)));
}

static GtkWidget *
new_entry (DftQuestionRow *field, GtkInputPurpose purpose, const char *placeholder)
{
  GtkWidget *entry = gtk_entry_new ();

  gtk_entry_set_input_purpose (GTK_ENTRY (entry), purpose);
  if (placeholder != NULL)
    gtk_entry_set_placeholder_text (GTK_ENTRY (entry), placeholder);
  connect_field (entry, "changed", G_CALLBACK (editable_changed_cb), field);
  watch_focus (field, entry);
  label_control (field, entry);
  return entry;
}

static void
day_selected_cb (GtkCalendar *calendar, DftQuestionRow *field)
{
  g_autoptr (GDateTime) date = gtk_calendar_get_date (calendar);
  g_autofree char      *text = g_date_time_format (date, "%Y-%m-%d");
  GtkWidget            *popover = gtk_widget_get_ancestor (GTK_WIDGET (calendar), GTK_TYPE_POPOVER);

  if (!field->alive || field->filler->updating)
    return;
  gtk_editable_set_text (GTK_EDITABLE (field->control), text);
  if (popover != NULL)
    gtk_popover_popdown (GTK_POPOVER (popover));
}

/* The calendar opens on the date typed, when there is one. */
static void
date_popover_show_cb (GtkPopover *popover, DftQuestionRow *field)
{
  GtkWidget  *calendar = gtk_popover_get_child (popover);
  GDate       date;
  const char *text;

  if (!field->alive)
    return;
  text = gtk_editable_get_text (GTK_EDITABLE (field->control));
  g_date_clear (&date, 1);
  g_date_set_parse (&date, text);
  if (strlen (text) == 10 && g_date_valid (&date))
    {
      g_autoptr (GDateTime) when = g_date_time_new_local (
          g_date_get_year (&date), g_date_get_month (&date), g_date_get_day (&date), 0, 0, 0);

      field->filler->updating = TRUE;
      gtk_calendar_select_day (GTK_CALENDAR (calendar), when);
      field->filler->updating = FALSE;
    }
}

static GtkWidget *
date_picker (DftQuestionRow *field)
{
  GtkWidget *button = gtk_menu_button_new ();
  GtkWidget *popover = gtk_popover_new ();
  GtkWidget *calendar = gtk_calendar_new ();

  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (button), "x-office-calendar-symbolic");
  gtk_widget_set_tooltip_text (button, _ ("Pick a date"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Pick a date"), -1);
  gtk_popover_set_child (GTK_POPOVER (popover), calendar);
  gtk_menu_button_set_popover (GTK_MENU_BUTTON (button), popover);
  connect_field (calendar, "day-selected", G_CALLBACK (day_selected_cb), field);
  connect_field (popover, "show", G_CALLBACK (date_popover_show_cb), field);
  return button;
}

/* @widget above a small label that says what it holds, visible once it is filled in too. */
static GtkWidget *
captioned (GtkWidget *widget, const char *caption)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  GtkWidget *label = _dft_form_filler_new_label (caption, "caption");

  gtk_widget_add_css_class (label, "dim-label");
  gtk_box_append (GTK_BOX (box), widget);
  gtk_box_append (GTK_BOX (box), label);
  return box;
}

/* A text area of a few lines in a frame, returned; the text view is the field's control. */
static GtkWidget *
new_text_area (DftQuestionRow *field)
{
  GtkWidget *frame = gtk_frame_new (NULL);

  field->control = gtk_text_view_new ();
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (field->control), GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_accepts_tab (GTK_TEXT_VIEW (field->control), FALSE);
  gtk_widget_set_size_request (field->control, -1, 96);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (field->control), 6);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (field->control), 6);
  gtk_text_view_set_right_margin (GTK_TEXT_VIEW (field->control), 6);
  g_signal_connect (gtk_text_view_get_buffer (GTK_TEXT_VIEW (field->control)), "changed",
                    G_CALLBACK (buffer_changed_cb), field);
  watch_focus (field, field->control);
  label_control (field, field->control);
  gtk_frame_set_child (GTK_FRAME (frame), field->control);
  return frame;
}

/* Under the title and hint, above the message. */
static void
append_control (DftQuestionRow *field, GtkWidget *control)
{
  gtk_widget_insert_before (control, GTK_WIDGET (field), field->message);
}

void
_dft_question_row_build_field (DftFormFiller *self, GtkBox *box, DftQuestion *q, const char *path)
{
  DftQuestionRow *field = g_object_ref_sink (g_object_new (DFT_TYPE_QUESTION_ROW, NULL));
  const char     *hint_text;

  field->filler = self;
  field->alive = TRUE;
  field->question = q;
  field->path = g_strdup (path);
  _dft_question_row_set_store (field, self->store);

  if (q->type == DFT_QUESTION_NOTE)
    gtk_widget_remove_css_class (field->title, "heading");
  hint_text = _dft_form_filler_question_text (self, q->hint, NULL);
  if (hint_text != NULL)
    {
      gtk_label_set_text (GTK_LABEL (field->hint), hint_text);
      gtk_widget_set_visible (field->hint, TRUE);
    }

  if (q->type == DFT_QUESTION_NOTE && q->calculate == NULL)
    ; /* only the text */
  else if (shows_calculation (q))
    {
      field->control = _dft_form_filler_new_label (NULL, "numeric");
      gtk_widget_set_focusable (field->control, TRUE);
      gtk_label_set_selectable (GTK_LABEL (field->control), TRUE);
      label_control (field, field->control);
    }
  else
    switch (q->type)
      {
      case DFT_QUESTION_TEXT:
        if (q->appearance != NULL
            && (strstr (q->appearance, "multiline") != NULL
                || strstr (q->appearance, "multi-line") != NULL))
          {
            append_control (field, new_text_area (field));
            goto done;
          }
        field->control = new_entry (field, GTK_INPUT_PURPOSE_FREE_FORM, NULL);
        break;
      case DFT_QUESTION_BARCODE:
        /* Typed by hand: a laptop has no camera to scan with. */
        field->control = new_entry (field, GTK_INPUT_PURPOSE_FREE_FORM, NULL);
        break;
      case DFT_QUESTION_GEOTRACE:
      case DFT_QUESTION_GEOSHAPE:
        {
          /* Typed in or pasted from a GPS app; the run keeps it as ODK writes it. */
          GtkWidget  *area = new_text_area (field);
          const char *format;

          if (q->type == DFT_QUESTION_GEOTRACE)
            /* Translators: how to type a line of GPS points; keep the example's numbers */
            format = _ ("One point per line: latitude longitude, for example 42.87 74.59");
          else
            /* Translators: how to type a shape of GPS points; keep the example's numbers */
            format = _ ("One point per line: latitude longitude, for example 42.87 74.59; "
                        "end with the first point again");
          gtk_accessible_update_property (GTK_ACCESSIBLE (field->control),
                                          GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, format, -1);
          append_control (field, captioned (area, format));
          goto done;
        }
      case DFT_QUESTION_INTEGER:
        field->control = new_entry (field, GTK_INPUT_PURPOSE_DIGITS, NULL);
        break;
      case DFT_QUESTION_DECIMAL:
        field->control = new_entry (field, GTK_INPUT_PURPOSE_NUMBER, NULL);
        break;
      case DFT_QUESTION_DATE:
        {
          GtkWidget *line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

          /* Translators: the format a date is typed in; keep the letters' meaning */
          field->control = new_entry (field, GTK_INPUT_PURPOSE_FREE_FORM, _ ("YYYY-MM-DD"));
          gtk_widget_set_hexpand (field->control, TRUE);
          gtk_box_append (GTK_BOX (line), field->control);
          gtk_box_append (GTK_BOX (line), date_picker (field));
          append_control (field, line);
          goto done;
        }
      case DFT_QUESTION_TIME:
        /* Translators: the format a time is typed in */
        field->control = new_entry (field, GTK_INPUT_PURPOSE_FREE_FORM, _ ("HH:MM"));
        break;
      case DFT_QUESTION_DATETIME:
        /* Translators: the format a date and time is typed in */
        field->control = new_entry (field, GTK_INPUT_PURPOSE_FREE_FORM, _ ("YYYY-MM-DDTHH:MM"));
        break;
      case DFT_QUESTION_GEOPOINT:
        {
          GtkWidget *line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

          field->lat = gtk_entry_new ();
          field->lon = gtk_entry_new ();
          gtk_entry_set_input_purpose (GTK_ENTRY (field->lat), GTK_INPUT_PURPOSE_NUMBER);
          gtk_entry_set_input_purpose (GTK_ENTRY (field->lon), GTK_INPUT_PURPOSE_NUMBER);
          gtk_entry_set_placeholder_text (GTK_ENTRY (field->lat), _ ("Latitude"));
          gtk_entry_set_placeholder_text (GTK_ENTRY (field->lon), _ ("Longitude"));
          gtk_widget_set_hexpand (field->lat, TRUE);
          gtk_widget_set_hexpand (field->lon, TRUE);
          gtk_editable_set_width_chars (GTK_EDITABLE (field->lat), 6);
          gtk_editable_set_width_chars (GTK_EDITABLE (field->lon), 6);
          gtk_accessible_update_property (GTK_ACCESSIBLE (field->lat),
                                          GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, _ ("Latitude"), -1);
          gtk_accessible_update_property (GTK_ACCESSIBLE (field->lon),
                                          GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, _ ("Longitude"), -1);
          label_control (field, field->lat);
          label_control (field, field->lon);
          connect_field (field->lat, "changed", G_CALLBACK (geopoint_changed_cb), field);
          connect_field (field->lon, "changed", G_CALLBACK (geopoint_changed_cb), field);
          watch_focus (field, field->lat);
          watch_focus (field, field->lon);
          gtk_box_set_homogeneous (GTK_BOX (line), TRUE);
          gtk_box_append (GTK_BOX (line), captioned (field->lat, _ ("Latitude")));
          gtk_box_append (GTK_BOX (line), captioned (field->lon, _ ("Longitude")));
          field->control = line;
          append_control (field, line);
          goto done;
        }
      case DFT_QUESTION_SELECT_ONE:
      case DFT_QUESTION_SELECT_MULTIPLE:
      case DFT_QUESTION_LIKERT:
      case DFT_QUESTION_RANK:
        {
          GtkWidget *container
              = gtk_box_new (q->type == DFT_QUESTION_LIKERT ? GTK_ORIENTATION_HORIZONTAL
                                                            : GTK_ORIENTATION_VERTICAL,
                             q->type == DFT_QUESTION_LIKERT ? 4 : 2);

          if (q->type == DFT_QUESTION_LIKERT)
            {
              gtk_box_set_homogeneous (GTK_BOX (container), TRUE);
              gtk_widget_add_css_class (container, "linked");
              gtk_widget_add_css_class (container, "likert");
            }
          field->control = container;
          build_choices (self, field);
          append_control (field, container);
          goto done;
        }
      case DFT_QUESTION_ACKNOWLEDGE:
        {
          GtkWidget *button = gtk_check_button_new_with_label (_ ("OK"));

          field->buttons = g_ptr_array_new ();
          g_ptr_array_add (field->buttons, button);
          connect_field (button, "toggled", G_CALLBACK (choice_toggled_cb), field);
          label_control (field, button);
          field->control = button;
          break;
        }
      case DFT_QUESTION_IMAGE:
      case DFT_QUESTION_AUDIO:
      case DFT_QUESTION_VIDEO:
      case DFT_QUESTION_FILE:
        _dft_question_row_build_file (self, field);
        goto done;
      case DFT_QUESTION_RANGE:
        _dft_question_row_build_range (self, field);
        goto done;
      case DFT_QUESTION_NOTE:
      case DFT_QUESTION_CALCULATE:
      case DFT_QUESTION_METADATA:
      case DFT_QUESTION_GROUP:
      case DFT_QUESTION_REPEAT:
      case DFT_QUESTION_UNSUPPORTED:
      default:
        break;
      }
  if (field->control != NULL)
    append_control (field, field->control);

done:
  gtk_box_append (box, GTK_WIDGET (field));
  g_hash_table_insert (self->fields, field->path, field);
  g_ptr_array_add (self->field_order, field);
  refresh_field (self, field);
}

GtkWidget *
_dft_question_row_focus_target (DftQuestionRow *field)
{
  if (field->lat != NULL)
    return field->lat;
  if (field->rank_list != NULL)
    return _dft_question_row_rank_row (field, 0);
  if (field->buttons != NULL && field->buttons->len > 0)
    {
      for (guint i = 0; i < field->buttons->len; i++)
        if (button_active (g_ptr_array_index (field->buttons, i)))
          return g_ptr_array_index (field->buttons, i);
      return g_ptr_array_index (field->buttons, 0);
    }
  return field->control;
}

gboolean
_dft_question_row_takes_focus (DftQuestionRow *field)
{
  return dft_question_has_answer (field->question) && !shows_calculation (field->question)
         && gtk_widget_get_visible (GTK_WIDGET (field))
         && _dft_question_row_focus_target (field) != NULL
         && gtk_widget_get_sensitive (_dft_question_row_focus_target (field));
}

void
_dft_question_row_pick_choice (DftQuestionRow *field, int digit)
{
  if (GTK_IS_DROP_DOWN (field->control))
    {
      if (digit <= (int) field->choices->len)
        gtk_drop_down_set_selected (GTK_DROP_DOWN (field->control), digit);
      return;
    }
  if (field->buttons == NULL)
    return;
  if (digit == 0)
    {
      for (guint i = 0; i < field->buttons->len; i++)
        {
          GtkWidget *b = g_ptr_array_index (field->buttons, i);

          if (GTK_IS_CHECK_BUTTON (b))
            gtk_check_button_set_active (GTK_CHECK_BUTTON (b), FALSE);
          else
            gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (b), FALSE);
        }
      return;
    }
  if (digit > (int) field->buttons->len)
    return;
  {
    GtkWidget *b = g_ptr_array_index (field->buttons, digit - 1);
    gboolean on = field->question->type == DFT_QUESTION_SELECT_MULTIPLE ? !button_active (b) : TRUE;

    if (GTK_IS_CHECK_BUTTON (b))
      gtk_check_button_set_active (GTK_CHECK_BUTTON (b), on);
    else
      gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (b), on);
    gtk_widget_grab_focus (b);
  }
}

static void
dft_question_row_dispose (GObject *object)
{
  GtkWidget *child;

  _dft_question_row_stop_file (DFT_QUESTION_ROW (object));
  g_clear_object (&DFT_QUESTION_ROW (object)->store);
  gtk_widget_dispose_template (GTK_WIDGET (object), DFT_TYPE_QUESTION_ROW);
  /* The controls the filler put in. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (dft_question_row_parent_class)->dispose (object);
}

static void
dft_question_row_finalize (GObject *object)
{
  DftQuestionRow *self = DFT_QUESTION_ROW (object);

  g_free (self->path);
  g_free (self->file_shown);
  g_clear_object (&self->file_cancellable);
  g_clear_pointer (&self->buttons, g_ptr_array_unref);
  g_clear_pointer (&self->choices, g_ptr_array_unref);
  G_OBJECT_CLASS (dft_question_row_parent_class)->finalize (object);
}

static void
dft_question_row_class_init (DftQuestionRowClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dft_question_row_dispose;
  object_class->finalize = dft_question_row_finalize;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/daftari/Daftari/form/dft-question-row.ui");
  gtk_widget_class_bind_template_child (widget_class, DftQuestionRow, title);
  gtk_widget_class_bind_template_child (widget_class, DftQuestionRow, tag);
  gtk_widget_class_bind_template_child (widget_class, DftQuestionRow, hint);
  gtk_widget_class_bind_template_child (widget_class, DftQuestionRow, message);
}

static void
dft_question_row_init (DftQuestionRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
