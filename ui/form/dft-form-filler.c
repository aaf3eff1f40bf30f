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
 * a DftQuestionRow per question instance on it, found by path, so that a change refreshes exactly
 * the paths the run reports as changed.
 */

G_DEFINE_FINAL_TYPE (DftFormFiller, dft_form_filler, GTK_TYPE_WIDGET)

enum
{
  FINISHED,
  DRAFT_SAVED,
  CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

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

const char *
_dft_form_filler_current_lang (DftFormFiller *self)
{
  if (self->lang != NULL)
    return self->lang;
  if (self->form != NULL && self->form->default_language != NULL)
    return self->form->default_language;
  return "und";
}

void
_dft_form_filler_set_direction_recursive (GtkWidget *widget, GtkTextDirection dir)
{
  gtk_widget_set_direction (widget, dir);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    _dft_form_filler_set_direction_recursive (child, dir);
}

/* The form language's direction, on the filler and everything in it, whatever the UI's. */
void
_dft_form_filler_apply_direction (DftFormFiller *self)
{
  _dft_form_filler_set_direction_recursive (
      GTK_WIDGET (self),
      lang_is_rtl (_dft_form_filler_current_lang (self)) ? GTK_TEXT_DIR_RTL : GTK_TEXT_DIR_LTR);
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

gboolean
_dft_form_filler_is_hidden_type (DftQuestion *q)
{
  return q->type == DFT_QUESTION_CALCULATE || q->type == DFT_QUESTION_METADATA
         || q->type == DFT_QUESTION_UNSUPPORTED;
}

gboolean
_dft_form_filler_is_choice_type (DftQuestion *q)
{
  return q->type == DFT_QUESTION_SELECT_ONE || q->type == DFT_QUESTION_SELECT_MULTIPLE
         || q->type == DFT_QUESTION_LIKERT;
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

const char *
_dft_form_filler_question_text (DftFormFiller *self, DftText *text, gboolean *fell_back)
{
  const char *s;
  char       *marked;

  if (fell_back != NULL)
    *fell_back = FALSE;
  if (text == NULL)
    return NULL;
  s = dft_form_text (self->form, text, _dft_form_filler_current_lang (self), fell_back);
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
      && q->type != DFT_QUESTION_LIKERT && q->type != DFT_QUESTION_RANK)
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
          label = _dft_form_filler_question_text (self, c->label, &fell_back);
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
char *
_dft_form_filler_expand_refs (DftFormFiller *self, const char *text, const char *path)
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

GtkWidget *
_dft_form_filler_new_label (const char *text, const char *css_class)
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

void
_dft_form_filler_toast (DftFormFiller *self, const char *message)
{
  /* The title is Pango markup; a message can carry a question's text or a file name. */
  g_autofree char *escaped = g_markup_escape_text (message, -1);
  AdwToast        *t = adw_toast_new (escaped);

  adw_toast_set_priority (t, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_overlay_add_toast (self->toasts, t);
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
      if (g_strcmp0 (l->code, _dft_form_filler_current_lang (self)) == 0)
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
  const char *title
      = self->form != NULL ? _dft_form_filler_question_text (self, self->form->title, NULL) : NULL;
  const char         *phase = self->phase;
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
  dft_form_run_set_language (run, _dft_form_filler_current_lang (self));
  if (answers != NULL && !dft_form_run_open_draft (run, answers, error))
    return FALSE;
  _dft_form_filler_clear_page (self);
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
  _dft_form_filler_recompute_pages (self);
  _dft_form_filler_show_page (self, 0);
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
  _dft_form_filler_recompute_pages (self);
  _dft_form_filler_show_page (self, 0);
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
      _dft_form_filler_toast (self, _ ("Draft saved"));
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

void
_dft_form_filler_submit (DftFormFiller *self, gboolean final)
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
        _dft_form_filler_toast (self, _ ("This is a preview: nothing was saved."));
      return;
    }
  copy = dft_form_run_new (self->form, &error);
  answers = dft_form_run_to_json (self->run, FALSE);
  /* jr:itext() in a calculation gives what the person saw. */
  if (copy != NULL)
    dft_form_run_set_language (copy, _dft_form_filler_current_lang (self));
  if (copy == NULL || !dft_form_run_load_json (copy, answers, &error))
    {
      _dft_form_filler_toast (self, error->message);
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

void
_dft_form_filler_show_summary (DftFormFiller *self, GPtrArray *problems)
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
      const char *label = q != NULL ? _dft_form_filler_question_text (self, q->label, NULL) : NULL;
      g_autofree char *text = _dft_form_filler_expand_refs (
          self, label != NULL ? label : problem->path, problem->path);
      GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
      GtkWidget *labels = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
      GtkWidget *button = gtk_button_new_with_mnemonic (_ ("_Go"));
      GtkWidget *question_label = _dft_form_filler_new_label (text, NULL);

      gtk_widget_set_margin_start (row, 12);
      gtk_widget_set_margin_end (row, 12);
      gtk_widget_set_margin_top (row, 9);
      gtk_widget_set_margin_bottom (row, 9);
      gtk_box_append (GTK_BOX (labels), question_label);
      gtk_box_append (GTK_BOX (labels), _dft_form_filler_new_label (problem->message, "error"));
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
  _dft_form_filler_apply_direction (self);
}

static void
page_row_activated_cb (DftFormFiller *self, GtkListBoxRow *row)
{
  gtk_menu_button_popdown (self->pages_button);
  _dft_form_filler_go_to (self, gtk_list_box_row_get_index (row));
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

/* ---- GObject ------------------------------------------------------------ */

static void
dft_form_filler_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (dft_form_filler_parent_class)->map (widget);
  if (_dft_form_filler_in_form (DFT_FORM_FILLER (widget)))
    _dft_form_filler_focus_first (DFT_FORM_FILLER (widget));
}

static void
dft_form_filler_dispose (GObject *object)
{
  DftFormFiller *self = DFT_FORM_FILLER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->rebuild_id, g_source_remove);
  if (self->page_box != NULL)
    _dft_form_filler_clear_page (self);
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
  g_clear_pointer (&self->page_repeats, g_ptr_array_unref);
  g_clear_pointer (&self->rebuild_focus, g_free);
  g_clear_pointer (&self->page_repeats_shown, g_free);
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

  _dft_form_filler_class_actions_init (klass);
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
  gtk_widget_init_template (GTK_WIDGET (self));
  load_css ();
  self->cancellable = g_cancellable_new ();
  self->marked_texts = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  self->fields = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, _dft_question_row_kill);
  self->field_order = g_ptr_array_new ();
  self->page_repeats = g_ptr_array_new_with_free_func (g_free);
  _dft_form_filler_actions_init (self);
  g_signal_connect_object (gtk_menu_button_get_popover (self->pages_button), "show",
                           G_CALLBACK (_dft_form_filler_pages_popover_show_cb), self,
                           G_CONNECT_SWAPPED);
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

  _dft_form_filler_clear_page (self);
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

      dft_form_run_set_language (self->run, _dft_form_filler_current_lang (self));
      _dft_form_filler_recompute_pages (self);
      if (g_strcmp0 (mode, "form") == 0)
        _dft_form_filler_show_page (self, self->page);
      else if (g_strcmp0 (mode, "summary") == 0)
        {
          g_autoptr (GPtrArray) problems
              = dft_form_run_problems (self->run, _dft_form_filler_current_lang (self));
          _dft_form_filler_show_summary (self, problems);
        }
    }
  _dft_form_filler_apply_direction (self);
}

const char *
dft_form_filler_get_language (DftFormFiller *self)
{
  g_return_val_if_fail (DFT_IS_FORM_FILLER (self), NULL);
  return _dft_form_filler_current_lang (self);
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
  DftQuestionRow *field = g_hash_table_lookup (self->fields, path);

  if (field == NULL)
    return NULL;
  return field->lat != NULL ? field->lat : field->control;
}

GtkWidget *
dft_form_filler_get_choice_button (DftFormFiller *self, const char *path, guint n)
{
  DftQuestionRow *field = g_hash_table_lookup (self->fields, path);

  if (field == NULL || field->buttons == NULL || n >= field->buttons->len)
    return NULL;
  return g_ptr_array_index (field->buttons, n);
}

GtkWidget *
dft_form_filler_get_label_for_path (DftFormFiller *self, const char *path)
{
  DftQuestionRow *field = g_hash_table_lookup (self->fields, path);

  return field != NULL ? field->title : NULL;
}

const char *
dft_form_filler_get_message_for_path (DftFormFiller *self, const char *path)
{
  DftQuestionRow *field = g_hash_table_lookup (self->fields, path);

  if (field == NULL || !gtk_widget_get_visible (field->message))
    return NULL;
  return gtk_label_get_text (GTK_LABEL (field->message));
}

gboolean
dft_form_filler_is_shown (DftFormFiller *self, const char *path)
{
  DftQuestionRow *field = g_hash_table_lookup (self->fields, path);

  return field != NULL && gtk_widget_get_visible (GTK_WIDGET (field));
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
