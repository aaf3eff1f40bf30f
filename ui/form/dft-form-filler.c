/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "dft-form-filler-private.h"
#include "dft-form-ui-resources.h"
#include "forms/dft-submission-save.h"

/*
 * The filler shows one page at a time. Pages are worked out from the form and the answers
 * (relevance, repeat instances) after every change, but only the page shown has widgets:
 * a Field per question instance on it, found by path, so that a change refreshes exactly the
 * paths the run reports as changed.
 */

typedef enum
{
  PAGE_QUESTION,
  PAGE_GROUP,       /* a field-list group: all of it on one page */
  PAGE_INSTANCE,    /* one instance of a repeat */
  PAGE_EMPTY_REPEAT /* a repeat without instances: only the Add button */
} PageKind;

typedef struct
{
  PageKind     kind;
  DftQuestion *question;
  char        *path; /* the instance path; for PAGE_EMPTY_REPEAT the repeat's base path */
  char        *base; /* repeats: the path without the instance index */
  guint        index, count;
} Page;

typedef struct _Field Field;

struct _Field
{
  DftFormFiller *self;
  DftQuestion   *question;
  char          *path;
  GtkWidget     *row;
  GtkWidget     *title;
  GtkWidget     *tag; /* "↩ en" when the label fell back to another language */
  GtkWidget     *hint;
  GtkWidget     *control;
  GtkWidget     *lat, *lon;
  GPtrArray     *buttons; /* GtkCheckButton or GtkToggleButton per choice */
  GPtrArray     *choices; /* DftChoice *, the choices offered, owned by the form */
  GtkWidget     *message;
  gboolean       alive; /* on the page shown; signals of a page gone may still arrive */
};

struct _DftFormFiller
{
  GtkWidget parent_instance;

  /* Texts in a right-to-left script with a right-to-left mark before them (form text →
   * marked copy, or NULL when the text needs none), so that one starting with a Latin acronym or a
   * number still reads from the right; emptied whenever the form changes. */
  GHashTable *marked_texts;

  AdwToastOverlay   *toasts;
  GtkWidget         *header;
  GtkLabel          *title_label;
  GtkLabel          *subtitle_label;
  GtkDropDown       *language_dropdown;
  GtkMenuButton     *pages_button;
  GtkListBox        *pages_list;
  GtkWidget         *close_button;
  GtkProgressBar    *progress;
  GtkRevealer       *error_revealer;
  GtkLabel          *error_label;
  GtkStack          *stack;
  AdwStatusPage     *error_page;
  GtkScrolledWindow *scrolled;
  GtkBox            *page_box;
  GtkLabel          *summary_title;
  GtkListBox        *problem_list;
  AdwStatusPage     *done_page;
  GtkWidget         *previous_button;
  GtkWidget         *next_button;
  GtkWidget         *finalize_button;
  GtkWidget         *draft_button;

  DftStore     *store;
  DftRecord    *form_record;
  DftRecord    *submission; /* the draft being edited, NULL for a new one */
  char         *event_id, *person_id, *phase;
  char         *person_name; /* whose form it is, NULL for an anonymous one */
  DftForm      *form;
  DftFormRun   *run;
  char         *lang;
  gboolean      preview, kiosk;
  GCancellable *cancellable;
  guint         busy;
  gboolean      retry_final;

  GPtrArray  *pages; /* Page * */
  guint       page;
  GHashTable *fields;      /* path → Field *, the page shown */
  GPtrArray  *field_order; /* Field *, in page order */
  GStrv       summary_paths;
  gboolean    updating; /* writing answers into widgets: their signals are ours */
  gboolean    clearing;
};

G_DEFINE_FINAL_TYPE (DftFormFiller, dft_form_filler, GTK_TYPE_WIDGET)

enum
{
  FINISHED,
  DRAFT_SAVED,
  CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void show_page (DftFormFiller *self, guint page);
static void build_question (DftFormFiller *self, GtkBox *box, DftQuestion *q, const char *path);

/* ---- Helpers ------------------------------------------------------------ */

static gboolean
lang_is_rtl (const char *lang)
{
  static const char *const rtl[]
      = { "ar", "fa", "he", "ur", "ps", "sd", "ug", "yi", "dv", "ckb", NULL };
  g_autofree char *base = NULL;

  if (lang == NULL)
    return FALSE;
  base = g_strndup (lang, strcspn (lang, "-_"));
  return g_strv_contains (rtl, base);
}

static const char *
current_lang (DftFormFiller *self)
{
  if (self->lang != NULL)
    return self->lang;
  if (self->form != NULL && self->form->default_language != NULL)
    return self->form->default_language;
  return "und";
}

static void
set_direction_recursive (GtkWidget *widget, GtkTextDirection dir)
{
  gtk_widget_set_direction (widget, dir);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    set_direction_recursive (child, dir);
}

/* The form language's direction, on the filler and everything in it, whatever the UI's. */
static void
apply_direction (DftFormFiller *self)
{
  set_direction_recursive (GTK_WIDGET (self),
                           lang_is_rtl (current_lang (self)) ? GTK_TEXT_DIR_RTL : GTK_TEXT_DIR_LTR);
}

static void
page_free (gpointer data)
{
  Page *page = data;

  g_free (page->path);
  g_free (page->base);
  g_free (page);
}

/* Fields are reference-counted: each signal handler of their widgets holds one, so a late
 * signal (focus leaving a widget of a page just replaced) finds a dead field, not freed
 * memory. */
static void
field_clear (gpointer data)
{
  Field *field = data;

  g_free (field->path);
  g_clear_pointer (&field->buttons, g_ptr_array_unref);
  g_clear_pointer (&field->choices, g_ptr_array_unref);
}

static void
field_release (gpointer data, GClosure *closure)
{
  g_rc_box_release_full (data, field_clear);
}

/* The page is gone: the field no longer answers. */
static void
field_kill (gpointer data)
{
  Field *field = data;

  field->alive = FALSE;
  g_rc_box_release_full (field, field_clear);
}

static void
connect_field (gpointer instance, const char *signal, GCallback callback, Field *field)
{
  g_signal_connect_data (instance, signal, callback, g_rc_box_acquire (field), field_release, 0);
}

/* "/data/rep[2]/x" → "/data/rep/x" */
static char *
strip_indexes (const char *path)
{
  GString *s = g_string_new (NULL);

  for (const char *p = path; *p; p++)
    {
      if (*p == '[')
        {
          while (*p && *p != ']')
            p++;
          if (!*p)
            break;
          continue;
        }
      g_string_append_c (s, *p);
    }
  return g_string_free (s, FALSE);
}

static gboolean
is_hidden_type (DftQuestion *q)
{
  return q->type == DFT_QUESTION_CALCULATE || q->type == DFT_QUESTION_METADATA
         || q->type == DFT_QUESTION_UNSUPPORTED;
}

static gboolean
is_choice_type (DftQuestion *q)
{
  return q->type == DFT_QUESTION_SELECT_ONE || q->type == DFT_QUESTION_SELECT_MULTIPLE
         || q->type == DFT_QUESTION_LIKERT;
}

static gboolean
uses_dropdown (Field *field)
{
  DftQuestion *q = field->question;

  return q->type == DFT_QUESTION_SELECT_ONE
         && ((q->appearance != NULL && strstr (q->appearance, "minimal") != NULL)
             || (field->choices != NULL && field->choices->len > 12));
}

/* Whether @text is written in a right-to-left script (Urdu, Arabic, Persian, Hebrew…),
 * wherever those letters come in it. */
static gboolean
has_rtl_script (const char *text)
{
  static const GUnicodeScript rtl[]
      = { G_UNICODE_SCRIPT_ARABIC, G_UNICODE_SCRIPT_HEBREW, G_UNICODE_SCRIPT_SYRIAC,
          G_UNICODE_SCRIPT_THAANA, G_UNICODE_SCRIPT_NKO };

  for (const char *p = text; *p; p = g_utf8_next_char (p))
    {
      GUnicodeScript script = g_unichar_get_script (g_utf8_get_char (p));

      for (guint i = 0; i < G_N_ELEMENTS (rtl); i++)
        if (script == rtl[i])
          return TRUE;
    }
  return FALSE;
}

#define RLM "\u200F"

static const char *
question_text (DftFormFiller *self, DftText *text, gboolean *fell_back)
{
  const char *s;
  char       *marked;

  if (fell_back != NULL)
    *fell_back = FALSE;
  if (text == NULL)
    return NULL;
  s = dft_form_text (self->form, text, current_lang (self), fell_back);
  /* Pango takes a paragraph's direction from its first letter: "UNODC پروگرام…" would be
   * laid out left to right, its words in the wrong order. A right-to-left mark first makes
   * the Urdu sentence an Urdu paragraph, with the acronym and numbers inside it. */
  if (s == NULL)
    return NULL;
  /* Each text is looked at once; NULL remembers one that needs no mark. */
  if (!g_hash_table_lookup_extended (self->marked_texts, s, NULL, (gpointer *) &marked))
    {
      marked = !g_str_has_prefix (s, RLM) && has_rtl_script (s) ? g_strconcat (RLM, s, NULL) : NULL;
      g_hash_table_insert (self->marked_texts, (gpointer) s, marked);
    }
  return marked != NULL ? marked : s;
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

/* @ref_path ("/data/rep/x") as seen from @path ("/data/rep[2]/y"): in the same instances. */
static char *
resolve_in_context (const char *ref_path, const char *path)
{
  g_auto (GStrv) ref = g_strsplit (ref_path, "/", -1);
  g_auto (GStrv) here = g_strsplit (path, "/", -1);
  GString       *s = g_string_new (NULL);
  gboolean       same = TRUE;

  for (guint i = 1; ref[i] != NULL; i++)
    {
      g_string_append_c (s, '/');
      if (same && here[i] != NULL && g_str_has_prefix (here[i], ref[i])
          && (here[i][strlen (ref[i])] == '[' || here[i][strlen (ref[i])] == '\0'))
        g_string_append (s, here[i]);
      else
        {
          same = FALSE;
          g_string_append (s, ref[i]);
        }
    }
  return g_string_free (s, FALSE);
}

/* A choice question's answer as a person reads it: the label of each chosen value in the
 * form's current language (several joined by the language's list separator), the value
 * itself when a choice has no label. */
static void
append_answer_text (
    DftFormFiller *self, GString *s, DftQuestion *q, const char *ref, const char *value)
{
  g_autoptr (GPtrArray) choices = NULL;
  g_auto (GStrv)        values = NULL;

  if (q->type != DFT_QUESTION_SELECT_ONE && q->type != DFT_QUESTION_SELECT_MULTIPLE
      && q->type != DFT_QUESTION_LIKERT)
    {
      g_string_append (s, value);
      return;
    }
  choices = dft_form_run_get_choices (self->run, ref, NULL);
  values = g_strsplit_set (value, " ", -1);
  for (guint v = 0, shown = 0; values[v] != NULL; v++)
    {
      const char *text = values[v];

      if (*text == '\0')
        continue;
      for (guint i = 0; choices != NULL && i < choices->len; i++)
        {
          DftChoice  *c = g_ptr_array_index (choices, i);
          gboolean    fell_back = FALSE;
          const char *label;

          if (g_strcmp0 (c->value, values[v]) != 0)
            continue;
          label = question_text (self, c->label, &fell_back);
          if (label != NULL && *label != '\0')
            text = label;
          break;
        }
      /* Translators: what separates the chosen answers of a multiple choice shown inside
       * a question's text, as in "Radio, Phone". */
      if (shown++ > 0)
        g_string_append (s, _ (", "));
      g_string_append (s, text);
    }
}

/* ${name} in a label becomes the current answer. */
static char *
expand_refs (DftFormFiller *self, const char *text, const char *path)
{
  GString    *s;
  const char *p = text;

  if (text == NULL)
    return g_strdup ("");
  if (strstr (text, "${") == NULL || self->run == NULL)
    return g_strdup (text);
  s = g_string_new (NULL);
  while (*p)
    {
      const char *start = strstr (p, "${");
      const char *end;

      if (start == NULL || (end = strchr (start, '}')) == NULL)
        {
          g_string_append (s, p);
          break;
        }
      g_string_append_len (s, p, start - p);
      {
        g_autofree char *name = g_strndup (start + 2, end - start - 2);
        DftQuestion     *q = dft_form_lookup (self->form, name);

        if (q != NULL && q->path != NULL)
          {
            g_autofree char *ref = resolve_in_context (q->path, path);
            g_autofree char *value = dft_form_run_get_answer (self->run, ref);

            if (value != NULL)
              append_answer_text (self, s, q, ref, value);
          }
        else
          g_string_append_len (s, start, end - start + 1);
      }
      p = end + 1;
    }
  return g_string_free (s, FALSE);
}

static void
toast (DftFormFiller *self, const char *message)
{
  /* The title is Pango markup; a message can carry a question's text or a file name. */
  g_autofree char *escaped = g_markup_escape_text (message, -1);
  AdwToast        *t = adw_toast_new (escaped);

  adw_toast_set_priority (t, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_overlay_add_toast (self->toasts, t);
}

/* ---- Pages -------------------------------------------------------------- */

static void
collect_pages (DftFormFiller *self, GPtrArray *questions, const char *parent, GPtrArray *pages)
{
  for (guint i = 0; i < questions->len; i++)
    {
      DftQuestion     *q = g_ptr_array_index (questions, i);
      g_autofree char *path
          = parent == NULL ? g_strdup (q->path) : g_strconcat (parent, "/", q->name, NULL);
      Page *page;

      if (is_hidden_type (q))
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
  const char      *label = question_text (self, page->question->label, NULL);
  g_autofree char *text
      = expand_refs (self, label != NULL ? label : page->question->name, page->path);

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
  set_direction_recursive (GTK_WIDGET (self->pages_list),
                           gtk_widget_get_direction (GTK_WIDGET (self)));
}

static void
pages_popover_show_cb (DftFormFiller *self)
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

static int
find_page (DftFormFiller *self, const char *path)
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
static gboolean
recompute_pages (DftFormFiller *self)
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
  if (!same)
    self->page = MIN (self->page, self->pages->len > 0 ? self->pages->len - 1 : 0);
  update_progress (self);
  return same;
}

/* ---- Fields ------------------------------------------------------------- */

static void
set_message (Field *field, const char *message)
{
  gboolean shown = message != NULL && *message;

  gtk_label_set_text (GTK_LABEL (field->message), shown ? message : "");
  gtk_widget_set_visible (field->message, shown);
}

static gboolean
check_field (DftFormFiller *self, Field *field, gboolean for_finalize)
{
  g_autofree char *message = NULL;

  if (field->message == NULL || self->run == NULL)
    return TRUE;
  if (dft_form_run_check (self->run, field->path, current_lang (self), for_finalize, &message))
    {
      set_message (field, NULL);
      return TRUE;
    }
  set_message (field, message);
  return FALSE;
}

static void
update_title (DftFormFiller *self, Field *field)
{
  gboolean         fell_back = FALSE;
  const char      *label = question_text (self, field->question->label, &fell_back);
  g_autofree char *text = expand_refs (self, label != NULL ? label : "", field->path);

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
show_value (DftFormFiller *self, Field *field, const char *value)
{
  DftQuestion *q = field->question;

  self->updating = TRUE;
  if (q->calculate != NULL && field->control != NULL && GTK_IS_LABEL (field->control))
    gtk_label_set_text (GTK_LABEL (field->control), value);
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

      gtk_text_buffer_get_bounds (buffer, &start, &end);
      now = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
      if (g_strcmp0 (now, value) != 0)
        gtk_text_buffer_set_text (buffer, value, -1);
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

static void build_choices (DftFormFiller *self, Field *field);

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
refresh_field (DftFormFiller *self, Field *field)
{
  g_autofree char *value = dft_form_run_get_answer (self->run, field->path);
  gboolean         relevant = dft_form_run_is_relevant (self->run, field->path);

  gtk_widget_set_visible (field->row, relevant);
  update_title (self, field);
  if (field->control != NULL && dft_question_has_answer (field->question))
    gtk_widget_set_sensitive (field->control,
                              field->question->calculate == NULL
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
refresh_labels (DftFormFiller *self)
{
  for (guint i = 0; i < self->field_order->len; i++)
    {
      Field      *field = g_ptr_array_index (self->field_order, i);
      const char *label = question_text (self, field->question->label, NULL);

      if (label != NULL && strstr (label, "${") != NULL)
        update_title (self, field);
    }
}

static void
take_answer (Field *field, const char *value)
{
  DftFormFiller        *self = field->self;
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
    check_field (self, field, FALSE);
  for (guint i = 0; changed != NULL && i < changed->len; i++)
    {
      Field *other = g_hash_table_lookup (self->fields, g_ptr_array_index (changed, i));

      if (other != NULL && other != field)
        refresh_field (self, other);
    }
  update_title (self, field);
  refresh_labels (self);
  same_page = recompute_pages (self);
  if (!same_page)
    show_page (self, self->page);
}

/* ---- Controls ----------------------------------------------------------- */

static void
editable_changed_cb (GtkEditable *editable, Field *field)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (editable)));

  take_answer (field, text);
}

static void
geopoint_changed_cb (GtkEditable *editable, Field *field)
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
buffer_changed_cb (GtkTextBuffer *buffer, Field *field)
{
  GtkTextIter      start, end;
  g_autofree char *text = NULL;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  take_answer (field, text);
}

static void
dropdown_selected_cb (GtkDropDown *dropdown, GParamSpec *pspec, Field *field)
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
choice_toggled_cb (GtkWidget *button, Field *field)
{
  GString *value;

  if (!field->alive || field->self->updating)
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
focus_leave_cb (GtkEventControllerFocus *controller, Field *field)
{
  if (!field->alive || field->self->clearing || field->self->updating)
    return;
  check_field (field->self, field, FALSE);
}

static void
watch_focus (Field *field, GtkWidget *widget)
{
  GtkEventController *focus = gtk_event_controller_focus_new ();

  connect_field (focus, "leave", G_CALLBACK (focus_leave_cb), field);
  gtk_widget_add_controller (widget, focus);
}

static void
label_control (Field *field, GtkWidget *control)
{
  gtk_accessible_update_relation (GTK_ACCESSIBLE (control), GTK_ACCESSIBLE_RELATION_LABELLED_BY,
                                  field->title, NULL, GTK_ACCESSIBLE_RELATION_DESCRIBED_BY,
                                  field->message, NULL, -1);
}

static GtkWidget *
choice_label (DftFormFiller *self, DftChoice *choice)
{
  gboolean    fell_back = FALSE;
  const char *text = question_text (self, choice->label, &fell_back);

  return gtk_label_new (text != NULL ? text : choice->value);
}

static void
build_choices (DftFormFiller *self, Field *field)
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

  if (uses_dropdown (field))
    {
      GtkStringList *list = gtk_string_list_new (NULL);
      GtkWidget     *dropdown;

      gtk_string_list_append (list, _ ("Choose…"));
      for (guint i = 0; i < field->choices->len; i++)
        {
          DftChoice  *c = g_ptr_array_index (field->choices, i);
          const char *text = question_text (self, c->label, NULL);

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
      set_direction_recursive (container, gtk_widget_get_direction (GTK_WIDGET (self)));
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
  set_direction_recursive (container, gtk_widget_get_direction (GTK_WIDGET (self)));
}

static GtkWidget *
new_entry (Field *field, GtkInputPurpose purpose, const char *placeholder)
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
day_selected_cb (GtkCalendar *calendar, Field *field)
{
  g_autoptr (GDateTime) date = gtk_calendar_get_date (calendar);
  g_autofree char      *text = g_date_time_format (date, "%Y-%m-%d");
  GtkWidget            *popover = gtk_widget_get_ancestor (GTK_WIDGET (calendar), GTK_TYPE_POPOVER);

  if (!field->alive || field->self->updating)
    return;
  gtk_editable_set_text (GTK_EDITABLE (field->control), text);
  if (popover != NULL)
    gtk_popover_popdown (GTK_POPOVER (popover));
}

/* The calendar opens on the date typed, when there is one. */
static void
date_popover_show_cb (GtkPopover *popover, Field *field)
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

      field->self->updating = TRUE;
      gtk_calendar_select_day (GTK_CALENDAR (calendar), when);
      field->self->updating = FALSE;
    }
}

static GtkWidget *
date_picker (Field *field)
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

static GtkWidget *
new_label (const char *text, const char *css_class)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_use_markup (GTK_LABEL (label), FALSE);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_hexpand (label, TRUE);
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);
  return label;
}

/* @widget above a small label that says what it holds, visible once it is filled in too. */
static GtkWidget *
captioned (GtkWidget *widget, const char *caption)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  GtkWidget *label = new_label (caption, "caption");

  gtk_widget_add_css_class (label, "dim-label");
  gtk_box_append (GTK_BOX (box), widget);
  gtk_box_append (GTK_BOX (box), label);
  return box;
}

static void
build_field (DftFormFiller *self, GtkBox *box, DftQuestion *q, const char *path)
{
  Field      *field = g_rc_box_new0 (Field);
  GtkWidget  *title_box;
  const char *hint_text;

  field->self = self;
  field->alive = TRUE;
  field->question = q;
  field->path = g_strdup (path);
  field->row = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  g_object_set_data (G_OBJECT (field->row), "dft-field", field);

  title_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  field->title = new_label (NULL, q->type == DFT_QUESTION_NOTE ? NULL : "heading");
  field->tag = gtk_label_new (NULL);
  gtk_widget_add_css_class (field->tag, "dim-label");
  gtk_widget_add_css_class (field->tag, "caption");
  gtk_widget_set_valign (field->tag, GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (title_box), field->title);
  gtk_box_append (GTK_BOX (title_box), field->tag);
  gtk_box_append (GTK_BOX (field->row), title_box);

  hint_text = question_text (self, q->hint, NULL);
  if (hint_text != NULL)
    {
      field->hint = new_label (hint_text, "dim-label");
      gtk_box_append (GTK_BOX (field->row), field->hint);
    }

  field->message = new_label (NULL, "error");
  gtk_widget_set_visible (field->message, FALSE);

  if (q->type == DFT_QUESTION_NOTE && q->calculate == NULL)
    ; /* only the text */
  else if (q->calculate != NULL)
    {
      field->control = new_label (NULL, "numeric");
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
            gtk_box_append (GTK_BOX (field->row), frame);
            goto done;
          }
        field->control = new_entry (field, GTK_INPUT_PURPOSE_FREE_FORM, NULL);
        break;
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
          gtk_box_append (GTK_BOX (field->row), line);
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
          gtk_box_append (GTK_BOX (field->row), line);
          goto done;
        }
      case DFT_QUESTION_SELECT_ONE:
      case DFT_QUESTION_SELECT_MULTIPLE:
      case DFT_QUESTION_LIKERT:
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
          gtk_box_append (GTK_BOX (field->row), container);
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
    gtk_box_append (GTK_BOX (field->row), field->control);

done:
  gtk_box_append (GTK_BOX (field->row), field->message);
  gtk_box_append (box, field->row);
  g_hash_table_insert (self->fields, field->path, field);
  g_ptr_array_add (self->field_order, field);
  refresh_field (self, field);
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

static void
build_repeat (DftFormFiller *self, GtkBox *box, DftQuestion *q, const char *base)
{
  guint       count = dft_form_run_count_instances (self->run, base);
  const char *label = question_text (self, q->label, NULL);

  for (guint n = 1; n <= count; n++)
    {
      g_autofree char *instance = g_strdup_printf ("%s[%u]", base, n);
      /* Translators: a heading for one entry of a repeated part: "Child 2" */
      g_autofree char *heading = g_strdup_printf (_ ("%s %u"), label != NULL ? label : q->name, n);
      GtkWidget       *section = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);

      gtk_box_append (GTK_BOX (section), new_label (heading, "title-4"));
      build_children (self, GTK_BOX (section), q, instance);
      if (q->repeat_count == NULL)
        gtk_box_append (GTK_BOX (section), instance_button (_ ("_Remove"), "user-trash-symbolic",
                                                            "filler.remove-instance",
                                                            g_variant_new ("(su)", base, n)));
      gtk_box_append (box, section);
    }
  if (q->repeat_count == NULL)
    gtk_box_append (box, instance_button (_ ("_Add"), "list-add-symbolic", "filler.add-instance",
                                          g_variant_new_string (base)));
}

static void
build_question (DftFormFiller *self, GtkBox *box, DftQuestion *q, const char *path)
{
  if (is_hidden_type (q))
    return;
  if (q->type == DFT_QUESTION_GROUP)
    {
      const char *label = question_text (self, q->label, NULL);
      GtkWidget  *section = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);

      if (label != NULL)
        {
          g_autofree char *text = expand_refs (self, label, path);
          gtk_box_append (GTK_BOX (section), new_label (text, "title-4"));
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
  build_field (self, box, q, path);
}

static void
clear_page (DftFormFiller *self)
{
  GtkWidget *child;

  g_ptr_array_set_size (self->field_order, 0);
  g_hash_table_remove_all (self->fields);
  self->clearing = TRUE;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->page_box))) != NULL)
    gtk_box_remove (self->page_box, child);
  self->clearing = FALSE;
}

static GtkWidget *
field_focus_target (Field *field)
{
  if (field->lat != NULL)
    return field->lat;
  if (field->buttons != NULL && field->buttons->len > 0)
    {
      for (guint i = 0; i < field->buttons->len; i++)
        if (button_active (g_ptr_array_index (field->buttons, i)))
          return g_ptr_array_index (field->buttons, i);
      return g_ptr_array_index (field->buttons, 0);
    }
  return field->control;
}

static gboolean
field_takes_focus (Field *field)
{
  return dft_question_has_answer (field->question) && field->question->calculate == NULL
         && gtk_widget_get_visible (field->row) && field_focus_target (field) != NULL
         && gtk_widget_get_sensitive (field_focus_target (field));
}

/* The button that goes on from the page shown: Next, or Finish on the last page (which checks
 * the whole form before it saves anything). */
static void
focus_onward (DftFormFiller *self)
{
  gboolean last = self->pages == NULL || self->page + 1 >= self->pages->len;

  gtk_widget_grab_focus (last ? self->finalize_button : self->next_button);
}

static void
focus_first (DftFormFiller *self)
{
  for (guint i = 0; i < self->field_order->len; i++)
    {
      Field *field = g_ptr_array_index (self->field_order, i);

      if (field_takes_focus (field))
        {
          gtk_widget_grab_focus (field_focus_target (field));
          return;
        }
    }
  /* A page with nothing to answer (a note): Return goes on, and the focus is never left for
   * the window to give to the first button it finds, which closes the form. */
  focus_onward (self);
}

static void
show_page (DftFormFiller *self, guint n)
{
  Page *page;

  clear_page (self);
  gtk_stack_set_visible_child_name (self->stack, "form");
  if (self->pages == NULL || self->pages->len == 0)
    return;
  self->page = MIN (n, self->pages->len - 1);
  page = g_ptr_array_index (self->pages, self->page);
  switch (page->kind)
    {
    case PAGE_QUESTION:
      build_field (self, self->page_box, page->question, page->path);
      break;
    case PAGE_GROUP:
      build_question (self, self->page_box, page->question, page->path);
      break;
    case PAGE_INSTANCE:
    case PAGE_EMPTY_REPEAT:
      {
        g_autofree char *title = page_title (self, page);
        gboolean         fixed = page->question->repeat_count != NULL;

        gtk_box_append (self->page_box, new_label (title, "title-2"));
        if (page->kind == PAGE_INSTANCE)
          build_children (self, self->page_box, page->question, page->path);
        else
          gtk_box_append (self->page_box, new_label (_ ("Nothing entered yet."), "dim-label"));
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
  update_progress (self);
  apply_direction (self);
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->scrolled), 0);
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    focus_first (self);
}

/* Checks the answers on the page shown; shows what is wrong and focuses the first. */
static gboolean
check_page (DftFormFiller *self)
{
  Field *first = NULL;

  for (guint i = 0; i < self->field_order->len; i++)
    {
      Field *field = g_ptr_array_index (self->field_order, i);

      if (gtk_widget_get_visible (field->row) && !check_field (self, field, FALSE) && first == NULL)
        first = field;
    }
  if (first != NULL && field_focus_target (first) != NULL)
    gtk_widget_grab_focus (field_focus_target (first));
  return first == NULL;
}

/* ---- Loading ------------------------------------------------------------ */

static void
update_actions (DftFormFiller *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "filler.save-draft",
                                 self->busy == 0 && self->run != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "filler.finalize",
                                 self->busy == 0 && self->run != NULL);
}

static void
set_busy (DftFormFiller *self, gboolean busy)
{
  if (busy)
    self->busy++;
  else
    self->busy--;
  update_actions (self);
}

static void
update_chrome (DftFormFiller *self)
{
  gtk_widget_set_visible (self->close_button, !self->kiosk);
  gtk_widget_set_visible (self->draft_button, !self->kiosk);
}

static void
fill_languages (DftFormFiller *self)
{
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  guint                     selected = 0;

  for (guint i = 0; i < self->form->languages->len; i++)
    {
      DftLanguage *l = g_ptr_array_index (self->form->languages, i);

      gtk_string_list_append (names, l->name != NULL ? l->name : l->code);
      if (g_strcmp0 (l->code, current_lang (self)) == 0)
        selected = i;
    }
  self->updating = TRUE;
  gtk_drop_down_set_model (self->language_dropdown, G_LIST_MODEL (names));
  gtk_drop_down_set_selected (self->language_dropdown, selected);
  self->updating = FALSE;
  gtk_widget_set_visible (GTK_WIDGET (self->language_dropdown), self->form->languages->len > 1);
}

static void
update_title_label (DftFormFiller *self)
{
  const char *title = self->form != NULL ? question_text (self, self->form->title, NULL) : NULL;
  const char *phase = self->phase;
  g_autoptr (GString) subtitle = g_string_new (self->person_name);

  gtk_label_set_text (self->title_label, title != NULL ? title : "");
  /* Whose form it is and which half of a test: a trainer handing the laptop round sees at a
   * glance that the right person has the right test. The name is data, set as plain text. */
  if (phase == NULL && self->form != NULL)
    phase = self->form->phase;
  if (g_strcmp0 (phase, "pre") == 0 || g_strcmp0 (phase, "post") == 0)
    {
      if (subtitle->len > 0)
        g_string_append (subtitle, " · ");
      g_string_append (subtitle, g_str_equal (phase, "pre") ? _ ("Pre-test") : _ ("Post-test"));
    }
  gtk_label_set_text (self->subtitle_label, subtitle->str);
  gtk_widget_set_visible (GTK_WIDGET (self->subtitle_label), subtitle->len > 0);
}

static gboolean
new_run (DftFormFiller *self, const char *answers, GError **error)
{
  g_autoptr (DftFormRun) run = dft_form_run_new (self->form, error);

  if (run == NULL)
    return FALSE;
  dft_form_run_set_metadata (run, "deviceid", g_get_host_name ());
  dft_form_run_set_metadata (run, "username", g_get_user_name ());
  if (answers != NULL && !dft_form_run_load_json (run, answers, error))
    return FALSE;
  clear_page (self);
  g_clear_pointer (&self->run, dft_form_run_free);
  self->run = g_steal_pointer (&run);
  return TRUE;
}

static void
show_error (DftFormFiller *self, const GError *error)
{
  /* A status page's description is markup; the message quotes the form's own text. */
  g_autofree char *escaped = g_markup_escape_text (error->message, -1);

  adw_status_page_set_description (self->error_page, escaped);
  gtk_stack_set_visible_child_name (self->stack, "error");
}

/* A blank form on its first page: for kiosk mode, and nothing of the last person remains. */
static void
restart (DftFormFiller *self)
{
  g_autoptr (GError) error = NULL;

  g_clear_object (&self->submission);
  g_clear_pointer (&self->summary_paths, g_strfreev);
  gtk_revealer_set_reveal_child (self->error_revealer, FALSE);
  if (!new_run (self, NULL, &error))
    {
      show_error (self, error);
      return;
    }
  self->page = 0;
  g_clear_pointer (&self->pages, g_ptr_array_unref);
  recompute_pages (self);
  show_page (self, 0);
  update_actions (self);
}

static void
load_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (DftFormFiller) self = user_data;
  g_autoptr (DftRecord)     person = NULL;
  g_autoptr (GError)        error = NULL;
  DftForm                  *form;

  form = dft_submission_load_form_finish (DFT_STORE (source), result, &person, &error);
  if (form == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          set_busy (self, FALSE);
          show_error (self, error);
        }
      return;
    }
  set_busy (self, FALSE);
  g_clear_pointer (&self->person_name, g_free);
  if (person != NULL)
    self->person_name
        = g_strstrip (g_strjoin (" ", dft_record_get_string (person, "given_name") ?: "",
                                 dft_record_get_string (person, "family_name") ?: "", NULL));
  g_hash_table_remove_all (self->marked_texts);
  g_clear_pointer (&self->form, dft_form_unref);
  self->form = form;
  if (self->lang != NULL)
    {
      gboolean known = FALSE;

      for (guint i = 0; i < self->form->languages->len; i++)
        known |= g_strcmp0 (((DftLanguage *) g_ptr_array_index (self->form->languages, i))->code,
                            self->lang)
                 == 0;
      if (!known)
        g_clear_pointer (&self->lang, g_free);
    }
  /* The draft dft_form_filler_start() was given: no save runs while a form loads. */
  if (!new_run (self,
                self->submission != NULL ? dft_record_get_string (self->submission, "answers")
                                         : NULL,
                &error))
    {
      show_error (self, error);
      return;
    }
  fill_languages (self);
  update_title_label (self);
  self->page = 0;
  g_clear_pointer (&self->pages, g_ptr_array_unref);
  recompute_pages (self);
  show_page (self, 0);
  update_actions (self);
}

/* ---- Saving ------------------------------------------------------------- */

static void
submit_done (DftFormFiller *self, DftStore *store, GAsyncResult *result, gboolean final)
{
  g_autoptr (DftRecord) saved = NULL;
  g_autoptr (GError)    error = NULL;

  saved = dft_submission_save_finish (store, result, &error);
  if (saved == NULL)
    {
      g_autofree char *message = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_busy (self, FALSE);
      /* The answers stay in the run: nothing typed is lost, and Retry tries again. */
      self->retry_final = final;
      /* Translators: %s is why saving failed */
      message = g_strdup_printf (_ ("The answers were not saved: %s"), error->message);
      gtk_label_set_text (self->error_label, message);
      gtk_revealer_set_reveal_child (self->error_revealer, TRUE);
      gtk_widget_error_bell (GTK_WIDGET (self));
      return;
    }
  set_busy (self, FALSE);
  gtk_revealer_set_reveal_child (self->error_revealer, FALSE);
  if (final)
    {
      g_clear_object (&self->submission);
      if (self->kiosk)
        restart (self);
      else
        {
          adw_status_page_set_description (self->done_page, _ ("The answers are saved."));
          gtk_stack_set_visible_child_name (self->stack, "done");
        }
      g_signal_emit (self, signals[FINISHED], 0, saved);
    }
  else
    {
      g_set_object (&self->submission, saved);
      toast (self, _ ("Draft saved"));
      g_signal_emit (self, signals[DRAFT_SAVED], 0, saved);
    }
}

static void
submit_final_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (DftFormFiller) self = user_data;

  submit_done (self, DFT_STORE (source), result, TRUE);
}

static void
submit_draft_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (DftFormFiller) self = user_data;

  submit_done (self, DFT_STORE (source), result, FALSE);
}

static void
submit (DftFormFiller *self, gboolean final)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (DftFormRun) copy = NULL;
  g_autofree char       *answers = NULL;

  if (self->run == NULL || self->busy > 0)
    return;
  if (self->preview)
    {
      if (final)
        {
          if (self->kiosk)
            restart (self);
          else
            {
              adw_status_page_set_description (self->done_page,
                                               _ ("This is a preview: nothing was saved."));
              gtk_stack_set_visible_child_name (self->stack, "done");
            }
        }
      else
        toast (self, _ ("This is a preview: nothing was saved."));
      return;
    }
  copy = dft_form_run_new (self->form, &error);
  answers = dft_form_run_to_json (self->run, FALSE);
  if (copy == NULL || !dft_form_run_load_json (copy, answers, &error))
    {
      toast (self, error->message);
      return;
    }
  set_busy (self, TRUE);
  /* The worker saves a copy: the person may go on typing while it is saved. */
  dft_submission_save_async (
      self->store, self->form_record, self->submission, g_steal_pointer (&copy), self->event_id,
      self->person_id, self->phase, final, self->cancellable,
      final ? submit_final_done_cb : submit_draft_done_cb, g_object_ref (self));
}

/* ---- Summary ------------------------------------------------------------ */

static void
show_summary (DftFormFiller *self, GPtrArray *problems)
{
  GtkWidget       *child;
  g_autofree char *title = NULL;
  GStrvBuilder    *paths = g_strv_builder_new ();

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->problem_list))) != NULL)
    gtk_list_box_remove (self->problem_list, child);
  /* Translators: summary heading; %d is how many questions still need an answer or a fix */
  title = g_strdup_printf (ngettext ("%d question left", "%d questions left", problems->len),
                           (int) problems->len);
  gtk_label_set_text (self->summary_title, title);
  for (guint i = 0; i < problems->len; i++)
    {
      DftFormProblem  *problem = g_ptr_array_index (problems, i);
      g_autofree char *plain = strip_indexes (problem->path);
      DftQuestion     *q = dft_form_lookup_path (self->form, plain);
      const char      *label = q != NULL ? question_text (self, q->label, NULL) : NULL;
      g_autofree char *text
          = expand_refs (self, label != NULL ? label : problem->path, problem->path);
      GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
      GtkWidget *labels = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
      GtkWidget *button = gtk_button_new_with_mnemonic (_ ("_Go"));
      GtkWidget *question_label = new_label (text, NULL);

      gtk_widget_set_margin_start (row, 12);
      gtk_widget_set_margin_end (row, 12);
      gtk_widget_set_margin_top (row, 9);
      gtk_widget_set_margin_bottom (row, 9);
      gtk_box_append (GTK_BOX (labels), question_label);
      gtk_box_append (GTK_BOX (labels), new_label (problem->message, "error"));
      gtk_box_append (GTK_BOX (row), labels);
      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "filler.go-to-path");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", problem->path);
      gtk_widget_set_tooltip_text (button, _ ("Go to the question"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _ ("Go to the question"), -1);
      gtk_accessible_update_relation (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_RELATION_DESCRIBED_BY,
                                      question_label, NULL, -1);
      gtk_box_append (GTK_BOX (row), button);
      gtk_list_box_append (self->problem_list, row);
      g_strv_builder_add (paths, problem->path);
    }
  g_strfreev (self->summary_paths);
  self->summary_paths = g_strv_builder_end (paths);
  g_strv_builder_unref (paths);
  gtk_stack_set_visible_child_name (self->stack, "summary");
  apply_direction (self);
}

/* ---- Actions ------------------------------------------------------------ */

static gboolean
in_form (DftFormFiller *self)
{
  return self->run != NULL
         && g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "form") == 0;
}

static void
go_to (DftFormFiller *self, guint page)
{
  show_page (self, page);
  focus_first (self);
}

static void
next_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  DftFormFiller *self = DFT_FORM_FILLER (widget);

  if (!in_form (self) || !check_page (self))
    return;
  if (self->page + 1 < self->pages->len)
    go_to (self, self->page + 1);
}

static void
previous_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  DftFormFiller *self = DFT_FORM_FILLER (widget);

  if (in_form (self) && self->page > 0)
    go_to (self, self->page - 1);
}

static void
go_to_page_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  DftFormFiller *self = DFT_FORM_FILLER (widget);
  guint          page = g_variant_get_uint32 (param);

  if (self->run != NULL && self->pages != NULL && page < self->pages->len)
    go_to (self, page);
}

static void
go_to_path_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  DftFormFiller *self = DFT_FORM_FILLER (widget);
  const char    *path = g_variant_get_string (param, NULL);
  int            page = find_page (self, path);
  Field         *field;

  if (self->run == NULL || page < 0)
    return;
  go_to (self, page);
  field = g_hash_table_lookup (self->fields, path);
  if (field != NULL)
    {
      check_field (self, field, TRUE);
      if (field_focus_target (field) != NULL)
        gtk_widget_grab_focus (field_focus_target (field));
    }
}

static void
back_to_form_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  DftFormFiller *self = DFT_FORM_FILLER (widget);

  if (self->run != NULL)
    go_to (self, self->page);
}

static void
save_draft_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  DftFormFiller *self = DFT_FORM_FILLER (widget);

  if (!self->kiosk)
    submit (self, FALSE);
}

static void
finalize_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  DftFormFiller        *self = DFT_FORM_FILLER (widget);
  g_autoptr (GPtrArray) problems = NULL;

  if (self->run == NULL || self->busy > 0)
    return;
  problems = dft_form_run_problems (self->run, current_lang (self));
  if (problems->len > 0)
    show_summary (self, problems);
  else
    submit (self, TRUE);
}

static void
retry_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  DftFormFiller *self = DFT_FORM_FILLER (widget);

  submit (self, self->retry_final);
}

static void
close_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  DftFormFiller *self = DFT_FORM_FILLER (widget);

  if (!self->kiosk)
    g_signal_emit (self, signals[CLOSED], 0);
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
      toast (self, error->message);
      return;
    }
  instance = g_strdup_printf ("%s[%u]", base, index);
  recompute_pages (self);
  page = find_page (self, instance);
  go_to (self, page >= 0 ? (guint) page : self->page);
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
      toast (self, error->message);
      return;
    }
  recompute_pages (self);
  go_to (self, self->page);
}

static void
page_row_activated_cb (DftFormFiller *self, GtkListBoxRow *row)
{
  gtk_menu_button_popdown (self->pages_button);
  go_to (self, gtk_list_box_row_get_index (row));
}

static void
language_selected_cb (DftFormFiller *self)
{
  guint selected = gtk_drop_down_get_selected (self->language_dropdown);

  if (self->updating || self->form == NULL || selected >= self->form->languages->len)
    return;
  dft_form_filler_set_language (
      self, ((DftLanguage *) g_ptr_array_index (self->form->languages, selected))->code);
}

/* ---- Keyboard ----------------------------------------------------------- */

static Field *
focused_field (DftFormFiller *self)
{
  GtkRoot   *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

  for (GtkWidget *w = focus; w != NULL && w != GTK_WIDGET (self); w = gtk_widget_get_parent (w))
    {
      if (GTK_IS_POPOVER (w))
        return NULL;
      if (g_object_get_data (G_OBJECT (w), "dft-field") != NULL)
        return g_object_get_data (G_OBJECT (w), "dft-field");
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
move_on (DftFormFiller *self, Field *from)
{
  gboolean after = FALSE;

  if (!check_field (self, from, FALSE))
    return;
  for (guint i = 0; i < self->field_order->len; i++)
    {
      Field *field = g_ptr_array_index (self->field_order, i);

      if (after && field_takes_focus (field))
        {
          gtk_widget_grab_focus (field_focus_target (field));
          return;
        }
      after |= field == from;
    }
  if (self->page + 1 < self->pages->len)
    gtk_widget_activate_action (GTK_WIDGET (self), "filler.next", NULL);
  else
    focus_onward (self);
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

static void
pick_choice (Field *field, int digit)
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

static gboolean
key_pressed_cb (DftFormFiller         *self,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                GtkEventControllerKey *controller)
{
  Field   *field;
  int      digit;
  gboolean enter
      = keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter || keyval == GDK_KEY_ISO_Enter;

  if (!in_form (self) || focus_in_popover (self))
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
      && (is_choice_type (field->question) || field->question->type == DFT_QUESTION_ACKNOWLEDGE))
    {
      if (field->question->type == DFT_QUESTION_ACKNOWLEDGE)
        gtk_check_button_set_active (GTK_CHECK_BUTTON (field->control), digit > 0);
      else
        pick_choice (field, digit);
      return TRUE;
    }
  if (enter && !GTK_IS_TEXT_VIEW (field->control) && !GTK_IS_DROP_DOWN (field->control))
    {
      move_on (self, field);
      return TRUE;
    }
  return FALSE;
}

/* ---- GObject ------------------------------------------------------------ */

static void
dft_form_filler_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (dft_form_filler_parent_class)->map (widget);
  if (in_form (DFT_FORM_FILLER (widget)))
    focus_first (DFT_FORM_FILLER (widget));
}

static void
dft_form_filler_dispose (GObject *object)
{
  DftFormFiller *self = DFT_FORM_FILLER (object);

  g_cancellable_cancel (self->cancellable);
  if (self->page_box != NULL)
    clear_page (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), DFT_TYPE_FORM_FILLER);
  g_clear_object (&self->store);
  g_clear_object (&self->form_record);
  g_clear_object (&self->submission);
  G_OBJECT_CLASS (dft_form_filler_parent_class)->dispose (object);
}

static void
dft_form_filler_finalize (GObject *object)
{
  DftFormFiller *self = DFT_FORM_FILLER (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->run, dft_form_run_free);
  g_clear_pointer (&self->form, dft_form_unref);
  g_clear_pointer (&self->marked_texts, g_hash_table_unref);
  g_clear_pointer (&self->pages, g_ptr_array_unref);
  g_clear_pointer (&self->fields, g_hash_table_unref);
  g_clear_pointer (&self->field_order, g_ptr_array_unref);
  g_clear_pointer (&self->summary_paths, g_strfreev);
  g_free (self->event_id);
  g_free (self->person_id);
  g_free (self->person_name);
  g_free (self->phase);
  g_free (self->lang);
  G_OBJECT_CLASS (dft_form_filler_parent_class)->finalize (object);
}

static void
dft_form_filler_class_init (DftFormFillerClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  g_assert (dft_form_ui_get_resource () != NULL);
  object_class->dispose = dft_form_filler_dispose;
  object_class->finalize = dft_form_filler_finalize;
  widget_class->map = dft_form_filler_map;

  signals[FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                    NULL, NULL, NULL, G_TYPE_NONE, 1, DFT_TYPE_RECORD);
  signals[DRAFT_SAVED] = g_signal_new ("draft-saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 1, DFT_TYPE_RECORD);
  signals[CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                  NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/daftari/Daftari/form/dft-form-filler.ui");
  gtk_widget_class_bind_template_child (widget_class, DftFormFiller, toasts);
  gtk_widget_class_bind_template_child (widget_class, DftFormFiller, header);
  gtk_widget_class_bind_template_child (widget_class, DftFormFiller, title_label);
  gtk_widget_class_bind_template_child (widget_class, DftFormFiller, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, DftFormFiller, language_dropdown);
  gtk_widget_class_bind_template_child (widget_class, DftFormFiller, pages_button);
  gtk_widget_class_bind_template_child (widget_class, DftFormFiller, pages_list);
  gtk_widget_class_bind_template_child (widget_class, DftFormFiller, close_button);
  gtk_widget_class_bind_template_child (widget_class, DftFormFiller, progress);
  gtk_widget_class_bind_template_child (widget_class, DftFormFiller, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, DftFormFiller, error_label);
  gtk_widget_class_bind_template_child (widget_class, DftFormFiller, stack);
  gtk_widget_class_bind_template_child (widget_class, DftFormFiller, error_page);
  gtk_widget_class_bind_template_child (widget_class, DftFormFiller, scrolled);
  gtk_widget_class_bind_template_child (widget_class, DftFormFiller, page_box);
  gtk_widget_class_bind_template_child (widget_class, DftFormFiller, summary_title);
  gtk_widget_class_bind_template_child (widget_class, DftFormFiller, problem_list);
  gtk_widget_class_bind_template_child (widget_class, DftFormFiller, done_page);
  gtk_widget_class_bind_template_child (widget_class, DftFormFiller, previous_button);
  gtk_widget_class_bind_template_child (widget_class, DftFormFiller, next_button);
  gtk_widget_class_bind_template_child (widget_class, DftFormFiller, finalize_button);
  gtk_widget_class_bind_template_child (widget_class, DftFormFiller, draft_button);
  gtk_widget_class_bind_template_callback (widget_class, page_row_activated_cb);

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

/* The point picked on a scale must be plain to see across the room. */
static void
load_css (void)
{
  static gboolean            loaded;
  GdkDisplay                *display = gdk_display_get_default ();
  g_autoptr (GtkCssProvider) provider = NULL;

  if (loaded || display == NULL)
    return;
  loaded = TRUE;
  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (provider, "/org/daftari/Daftari/form/form.css");
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

static void
dft_form_filler_init (DftFormFiller *self)
{
  GtkEventController *keys = gtk_event_controller_key_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  load_css ();
  self->cancellable = g_cancellable_new ();
  self->marked_texts = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  self->fields = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, field_kill);
  self->field_order = g_ptr_array_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect_swapped (keys, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);
  g_signal_connect_object (gtk_menu_button_get_popover (self->pages_button), "show",
                           G_CALLBACK (pages_popover_show_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->language_dropdown, "notify::selected",
                           G_CALLBACK (language_selected_cb), self, G_CONNECT_SWAPPED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "filler.save-draft", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "filler.finalize", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "filler.previous", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "filler.next", FALSE);
  gtk_stack_set_visible_child_name (self->stack, "loading");
}

/* ---- Public ------------------------------------------------------------- */

GtkWidget *
dft_form_filler_new (DftStore *store)
{
  DftFormFiller *self;

  g_return_val_if_fail (DFT_IS_STORE (store), NULL);

  self = g_object_new (DFT_TYPE_FORM_FILLER, NULL);
  self->store = g_object_ref (store);
  return GTK_WIDGET (self);
}

void
dft_form_filler_start (DftFormFiller *self,
                       DftRecord     *form_record,
                       const char    *event_id,
                       const char    *person_id,
                       const char    *phase,
                       DftRecord     *draft)
{
  g_return_if_fail (DFT_IS_FORM_FILLER (self));
  g_return_if_fail (DFT_IS_RECORD (form_record));
  g_return_if_fail (draft == NULL || DFT_IS_RECORD (draft));

  /* A start while another load runs: the earlier one's answer is no longer wanted. */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->busy = 0;

  clear_page (self);
  g_clear_pointer (&self->run, dft_form_run_free);
  g_set_object (&self->form_record, form_record);
  g_set_object (&self->submission, draft);
  g_free (self->event_id);
  self->event_id = g_strdup (event_id);
  g_free (self->person_id);
  self->person_id = g_strdup (person_id);
  g_free (self->phase);
  self->phase = g_strdup (phase);
  gtk_stack_set_visible_child_name (self->stack, "loading");

  set_busy (self, TRUE);
  dft_submission_load_form_async (self->store, dft_record_get_id (form_record), person_id,
                                  self->cancellable, load_done_cb, g_object_ref (self));
}

void
dft_form_filler_set_preview (DftFormFiller *self, gboolean preview)
{
  g_return_if_fail (DFT_IS_FORM_FILLER (self));
  self->preview = !!preview;
}

void
dft_form_filler_set_language (DftFormFiller *self, const char *lang)
{
  g_return_if_fail (DFT_IS_FORM_FILLER (self));

  if (g_strcmp0 (self->lang, lang) == 0)
    return;
  g_free (self->lang);
  self->lang = g_strdup (lang);
  if (self->form == NULL)
    return;
  fill_languages (self);
  update_title_label (self);
  if (self->run != NULL)
    {
      const char *mode = gtk_stack_get_visible_child_name (self->stack);

      recompute_pages (self);
      if (g_strcmp0 (mode, "form") == 0)
        show_page (self, self->page);
      else if (g_strcmp0 (mode, "summary") == 0)
        {
          g_autoptr (GPtrArray) problems = dft_form_run_problems (self->run, current_lang (self));
          show_summary (self, problems);
        }
    }
  apply_direction (self);
}

const char *
dft_form_filler_get_language (DftFormFiller *self)
{
  g_return_val_if_fail (DFT_IS_FORM_FILLER (self), NULL);
  return current_lang (self);
}

void
dft_form_filler_set_kiosk (DftFormFiller *self, gboolean kiosk)
{
  g_return_if_fail (DFT_IS_FORM_FILLER (self));
  self->kiosk = !!kiosk;
  update_chrome (self);
}

/* ---- Private, for tests --------------------------------------------------- */

GtkWidget *
dft_form_filler_get_widget_for_path (DftFormFiller *self, const char *path)
{
  Field *field = g_hash_table_lookup (self->fields, path);

  if (field == NULL)
    return NULL;
  return field->lat != NULL ? field->lat : field->control;
}

GtkWidget *
dft_form_filler_get_choice_button (DftFormFiller *self, const char *path, guint n)
{
  Field *field = g_hash_table_lookup (self->fields, path);

  if (field == NULL || field->buttons == NULL || n >= field->buttons->len)
    return NULL;
  return g_ptr_array_index (field->buttons, n);
}

GtkWidget *
dft_form_filler_get_label_for_path (DftFormFiller *self, const char *path)
{
  Field *field = g_hash_table_lookup (self->fields, path);

  return field != NULL ? field->title : NULL;
}

const char *
dft_form_filler_get_message_for_path (DftFormFiller *self, const char *path)
{
  Field *field = g_hash_table_lookup (self->fields, path);

  if (field == NULL || !gtk_widget_get_visible (field->message))
    return NULL;
  return gtk_label_get_text (GTK_LABEL (field->message));
}

gboolean
dft_form_filler_is_shown (DftFormFiller *self, const char *path)
{
  Field *field = g_hash_table_lookup (self->fields, path);

  return field != NULL && gtk_widget_get_visible (field->row);
}

const char *
dft_form_filler_get_mode (DftFormFiller *self)
{
  return gtk_stack_get_visible_child_name (self->stack);
}

guint
dft_form_filler_get_page (DftFormFiller *self)
{
  return self->page;
}

guint
dft_form_filler_get_n_pages (DftFormFiller *self)
{
  return self->pages != NULL ? self->pages->len : 0;
}

GStrv
dft_form_filler_get_summary_paths (DftFormFiller *self)
{
  return g_strdupv (self->summary_paths);
}

DftFormRun *
dft_form_filler_get_run (DftFormFiller *self)
{
  return self->run;
}

gboolean
dft_form_filler_is_busy (DftFormFiller *self)
{
  return self->busy > 0;
}

const char *
dft_form_filler_get_error (DftFormFiller *self)
{
  if (!gtk_revealer_get_reveal_child (self->error_revealer))
    return NULL;
  return gtk_label_get_text (self->error_label);
}

const char *
dft_form_filler_get_subtitle (DftFormFiller *self)
{
  if (!gtk_widget_get_visible (GTK_WIDGET (self->subtitle_label)))
    return NULL;
  return gtk_label_get_text (self->subtitle_label);
}
