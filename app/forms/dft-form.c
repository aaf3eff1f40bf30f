/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "dft-form-private.h"
#if __has_include("dft-xform.h")
#include "dft-xform.h"
#define HAVE_XFORM 1
#endif
#if __has_include("dft-xlsform.h")
#include "dft-xlsform.h"
#define HAVE_XLSFORM 1
#endif

/* clang-format off */
G_DEFINE_QUARK (dft-form-error-quark, dft_form_error)
/* clang-format on */

static const char *const type_names[] = {
  [DFT_QUESTION_TEXT] = "text",
  [DFT_QUESTION_INTEGER] = "integer",
  [DFT_QUESTION_DECIMAL] = "decimal",
  [DFT_QUESTION_DATE] = "date",
  [DFT_QUESTION_TIME] = "time",
  [DFT_QUESTION_DATETIME] = "datetime",
  [DFT_QUESTION_GEOPOINT] = "geopoint",
  [DFT_QUESTION_SELECT_ONE] = "select_one",
  [DFT_QUESTION_SELECT_MULTIPLE] = "select_multiple",
  [DFT_QUESTION_LIKERT] = "likert",
  [DFT_QUESTION_NOTE] = "note",
  [DFT_QUESTION_ACKNOWLEDGE] = "acknowledge",
  [DFT_QUESTION_CALCULATE] = "calculate",
  [DFT_QUESTION_METADATA] = "metadata",
  [DFT_QUESTION_GROUP] = "group",
  [DFT_QUESTION_REPEAT] = "repeat",
  [DFT_QUESTION_UNSUPPORTED] = "unsupported",
  [DFT_QUESTION_GEOTRACE] = "geotrace",
  [DFT_QUESTION_GEOSHAPE] = "geoshape",
  [DFT_QUESTION_BARCODE] = "barcode",
  [DFT_QUESTION_IMAGE] = "image",
  [DFT_QUESTION_AUDIO] = "audio",
  [DFT_QUESTION_VIDEO] = "video",
  [DFT_QUESTION_FILE] = "file",
  [DFT_QUESTION_RANGE] = "range",
  [DFT_QUESTION_RANK] = "rank",
};

const char *
_dft_question_media_type (const DftQuestion *q)
{
  if (q->type == DFT_QUESTION_IMAGE)
    return "image/*";
  if (q->type == DFT_QUESTION_AUDIO)
    return "audio/*";
  if (q->type == DFT_QUESTION_VIDEO)
    return "video/*";
  if (q->type == DFT_QUESTION_FILE)
    return "application/*";
  return NULL;
}

const char *
dft_question_type_to_string (DftQuestionType type)
{
  g_return_val_if_fail ((guint) type < G_N_ELEMENTS (type_names), NULL);
  return type_names[type];
}

gboolean
dft_question_type_from_string (const char *s, DftQuestionType *type)
{
  g_return_val_if_fail (type != NULL, FALSE);

  for (guint i = 0; s != NULL && i < G_N_ELEMENTS (type_names); i++)
    if (strcmp (s, type_names[i]) == 0)
      {
        *type = (DftQuestionType) i;
        return TRUE;
      }
  return FALSE;
}

gboolean
dft_question_has_answer (const DftQuestion *question)
{
  return question->type != DFT_QUESTION_NOTE && question->type != DFT_QUESTION_GROUP
         && question->type != DFT_QUESTION_REPEAT && question->type != DFT_QUESTION_UNSUPPORTED;
}

gboolean
dft_question_calculation_suggests (const DftQuestion *question)
{
  g_return_val_if_fail (question != NULL, FALSE);

  return question->calculate != NULL && dft_question_has_answer (question)
         && question->type != DFT_QUESTION_CALCULATE && question->type != DFT_QUESTION_METADATA
         && g_strcmp0 (question->read_only, "true()") != 0;
}

gboolean
_dft_question_is_select (const DftQuestion *q)
{
  return q->type == DFT_QUESTION_SELECT_ONE || q->type == DFT_QUESTION_SELECT_MULTIPLE
         || q->type == DFT_QUESTION_LIKERT || q->type == DFT_QUESTION_RANK;
}

int
_dft_form_compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
_dft_form_sorted_keys (GHashTable *table)
{
  GPtrArray     *keys = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer       key;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, key);
  g_ptr_array_sort (keys, _dft_form_compare_strings);
  return keys;
}

/* ------------------------------------------------------------------------------------------ */
/* Texts, choices, questions                                                                  */
/* ------------------------------------------------------------------------------------------ */

DftText *
dft_text_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

void
dft_text_set (DftText *text, const char *lang, const char *value)
{
  g_return_if_fail (text != NULL && lang != NULL);

  if (value == NULL)
    g_hash_table_remove (text, lang);
  else
    g_hash_table_insert (text, g_strdup (lang), g_strdup (value));
}

const char *
dft_text_get (DftText *text, const char *lang)
{
  if (text == NULL || lang == NULL)
    return NULL;
  return g_hash_table_lookup (text, lang);
}

void
_dft_text_free (DftText *text)
{
  if (text != NULL)
    g_hash_table_unref (text);
}

static void
choice_free (gpointer data)
{
  DftChoice *c = data;

  g_free (c->value);
  _dft_text_free (c->label);
  g_hash_table_unref (c->extra);
  g_free (c);
}

static void
choice_list_free (gpointer data)
{
  DftChoiceList *l = data;

  g_free (l->name);
  g_ptr_array_unref (l->choices);
  g_free (l);
}

DftChoiceList *
dft_form_ensure_choice_list (DftForm *form, const char *name)
{
  DftChoiceList *list;

  g_return_val_if_fail (form != NULL && name != NULL, NULL);

  list = g_hash_table_lookup (form->choice_lists, name);
  if (list == NULL)
    {
      list = g_new0 (DftChoiceList, 1);
      list->name = g_strdup (name);
      list->choices = g_ptr_array_new_with_free_func (choice_free);
      g_hash_table_insert (form->choice_lists, list->name, list);
    }
  return list;
}

DftChoice *
dft_choice_list_add (DftChoiceList *list, const char *value, DftText *label)
{
  DftChoice *c;

  g_return_val_if_fail (list != NULL && value != NULL, NULL);

  c = g_new0 (DftChoice, 1);
  c->value = g_strdup (value);
  c->label = label != NULL ? label : dft_text_new ();
  c->extra = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_ptr_array_add (list->choices, c);
  return c;
}

void
_dft_action_free (gpointer data)
{
  DftAction *a = data;

  g_free (a->value);
  g_free (a->trigger);
  g_free (a);
}

const char *
_dft_action_repeat (const DftQuestion *q, const DftAction *a)
{
  if (a->trigger != NULL)
    return a->trigger;
  for (DftQuestion *r = q->parent; r != NULL; r = r->parent)
    if (r->type == DFT_QUESTION_REPEAT)
      return r->path;
  return NULL;
}

typedef struct
{
  DftEvents     event;
  const char   *source;
  DftActionFunc func;
  gpointer      user_data;
} ActionWalk;

static void
walk_actions (DftQuestion *q, gpointer user_data)
{
  ActionWalk *w = user_data;

  for (guint i = 0; i < q->actions->len; i++)
    {
      DftAction  *a = g_ptr_array_index (q->actions, i);
      const char *from = NULL;

      if ((a->events & w->event) == 0)
        continue;
      if (w->event == DFT_EVENT_VALUE_CHANGED)
        from = a->trigger;
      else if (w->event == DFT_EVENT_NEW_REPEAT)
        from = _dft_action_repeat (q, a);
      if (g_strcmp0 (from, w->source) == 0)
        w->func (q, a, w->user_data);
    }
}

void
_dft_form_foreach_action (
    DftForm *form, DftEvents event, const char *source, DftActionFunc func, gpointer user_data)
{
  ActionWalk w = { event, source, func, user_data };

  dft_form_foreach (form, walk_actions, &w);
}

DftQuestion *
dft_question_new (DftQuestionType type, const char *name)
{
  DftQuestion *q = g_new0 (DftQuestion, 1);

  q->type = type;
  q->name = g_strdup (name);
  q->label = dft_text_new ();
  q->hint = dft_text_new ();
  q->required_message = dft_text_new ();
  q->constraint_message = dft_text_new ();
  q->actions = g_ptr_array_new_with_free_func (_dft_action_free);
  q->children = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_question_free);
  /* pyxform's defaults for a range without parameters. */
  q->range_start = 1;
  q->range_end = 10;
  q->range_step = 1;
  return q;
}

void
dft_question_free (DftQuestion *q)
{
  if (q == NULL)
    return;
  g_free (q->name);
  g_free (q->path);
  _dft_text_free (q->label);
  _dft_text_free (q->hint);
  _dft_text_free (q->required_message);
  _dft_text_free (q->constraint_message);
  g_free (q->required);
  g_free (q->relevant);
  g_free (q->constraint);
  g_free (q->calculate);
  g_free (q->read_only);
  g_free (q->default_value);
  g_free (q->default_expression);
  g_free (q->choice_filter);
  g_free (q->choice_seed);
  g_free (q->choice_list);
  g_free (q->appearance);
  g_free (q->repeat_count);
  g_free (q->preload);
  g_free (q->unsupported_type);
  g_strfreev (q->correct);
  g_ptr_array_unref (q->actions);
  g_ptr_array_unref (q->children);
  g_free (q);
}

static const char *const event_names[] = { "odk-instance-first-load", "odk-instance-load",
                                           "odk-new-repeat", "xforms-value-changed", NULL };

DftAction *
dft_question_add_action (DftQuestion *question, DftEvents events, gboolean setgeopoint)
{
  DftAction *a;

  g_return_val_if_fail (question != NULL, NULL);

  a = g_new0 (DftAction, 1);
  a->events = events;
  a->setgeopoint = setgeopoint;
  g_ptr_array_add (question->actions, a);
  return a;
}

DftEvents
dft_events_from_string (const char *names, char **unknown)
{
  g_auto (GStrv) parts = g_strsplit_set (names != NULL ? names : "", " \t\r\n", -1);
  DftEvents      events = 0;

  if (unknown != NULL)
    *unknown = NULL;
  for (guint i = 0; parts[i] != NULL; i++)
    {
      guint k;

      if (parts[i][0] == '\0')
        continue;
      for (k = 0; event_names[k] != NULL; k++)
        if (strcmp (parts[i], event_names[k]) == 0)
          break;
      if (event_names[k] != NULL)
        events |= 1u << k;
      else if (unknown != NULL && *unknown == NULL)
        *unknown = g_strdup (parts[i]);
    }
  return events;
}

char *
dft_events_to_string (DftEvents events)
{
  GString *s = g_string_new (NULL);

  for (guint k = 0; event_names[k] != NULL; k++)
    if (events & (1u << k))
      {
        if (s->len > 0)
          g_string_append_c (s, ' ');
        g_string_append (s, event_names[k]);
      }
  return g_string_free (s, FALSE);
}

void
dft_question_add_child (DftQuestion *parent, DftQuestion *child)
{
  g_return_if_fail (parent != NULL && child != NULL);

  child->parent = parent;
  g_ptr_array_add (parent->children, child);
}

void
dft_form_add_question (DftForm *form, DftQuestion *question)
{
  g_return_if_fail (form != NULL && question != NULL);

  question->parent = NULL;
  g_ptr_array_add (form->questions, question);
  form->prepared = FALSE;
}

/* ------------------------------------------------------------------------------------------ */
/* The form                                                                                   */
/* ------------------------------------------------------------------------------------------ */

static void
language_free (gpointer data)
{
  DftLanguage *l = data;

  g_free (l->code);
  g_free (l->name);
  g_free (l);
}

static void
warning_free (gpointer data)
{
  DftFormWarning *w = data;

  g_free (w->name);
  g_free (w->message);
  g_free (w);
}

DftForm *
dft_form_new (const char *id)
{
  DftForm *form = g_new0 (DftForm, 1);

  g_atomic_ref_count_init (&form->ref_count);
  form->id = g_strdup (id);
  form->title = dft_text_new ();
  form->kind = g_strdup ("survey");
  form->root_name = g_strdup ("data");
  form->default_language = g_strdup ("und");
  form->languages = g_ptr_array_new_with_free_func (language_free);
  form->fallbacks
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_strfreev);
  form->questions = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_question_free);
  form->choice_lists = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, choice_list_free);
  form->pass_percent = -1;
  form->warnings = g_ptr_array_new_with_free_func (warning_free);
  form->texts
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) _dft_text_free);
  return form;
}

DftForm *
dft_form_ref (DftForm *form)
{
  g_return_val_if_fail (form != NULL, NULL);

  g_atomic_ref_count_inc (&form->ref_count);
  return form;
}

void
_dft_form_clear_prepared (DftForm *form)
{
  g_clear_pointer (&form->by_name, g_hash_table_unref);
  g_clear_pointer (&form->by_path, g_hash_table_unref);
  g_clear_pointer ((DftExprGraph **) &form->graph, dft_expr_graph_free);
  form->prepared = FALSE;
}

void
dft_form_unref (DftForm *form)
{
  if (form == NULL || !g_atomic_ref_count_dec (&form->ref_count))
    return;
  _dft_form_clear_prepared (form);
  g_free (form->id);
  g_free (form->version);
  _dft_text_free (form->title);
  g_free (form->kind);
  g_free (form->root_name);
  g_free (form->phase);
  g_free (form->pairs_with);
  g_free (form->default_language);
  g_ptr_array_unref (form->languages);
  g_hash_table_unref (form->fallbacks);
  g_ptr_array_unref (form->questions);
  g_hash_table_unref (form->choice_lists);
  g_ptr_array_unref (form->warnings);
  g_hash_table_unref (form->texts);
  g_free (form);
}

void
dft_form_add_language (DftForm *form, const char *code, const char *name)
{
  DftLanguage *l;

  g_return_if_fail (form != NULL && code != NULL);

  for (guint i = 0; i < form->languages->len; i++)
    if (strcmp (((DftLanguage *) g_ptr_array_index (form->languages, i))->code, code) == 0)
      return;
  l = g_new0 (DftLanguage, 1);
  l->code = g_strdup (code);
  l->name = g_strdup (name != NULL ? name : code);
  g_ptr_array_add (form->languages, l);
}

void
dft_form_set_fallback (DftForm *form, const char *code, const char *const *chain)
{
  g_return_if_fail (form != NULL && code != NULL);

  if (chain == NULL || chain[0] == NULL)
    g_hash_table_remove (form->fallbacks, code);
  else
    g_hash_table_insert (form->fallbacks, g_strdup (code), g_strdupv ((GStrv) chain));
}

void
dft_form_add_warning (DftForm *form, guint source_line, const char *name, const char *format, ...)
{
  DftFormWarning *w;
  va_list         args;

  g_return_if_fail (form != NULL && format != NULL);

  w = g_new0 (DftFormWarning, 1);
  w->source_line = source_line;
  w->name = g_strdup (name);
  va_start (args, format);
  w->message = g_strdup_vprintf (format, args);
  va_end (args);
  g_ptr_array_add (form->warnings, w);
}

static const struct
{
  const char *name;
  const char *code;
} known_languages[] = {
  { "english", "en" },  { "russian", "ru" },    { "русский", "ru" },    { "kyrgyz", "ky" },
  { "кыргызча", "ky" }, { "swahili", "sw" },    { "kiswahili", "sw" },  { "georgian", "ka" },
  { "ქართული", "ka" },  { "ukrainian", "uk" },  { "українська", "uk" }, { "urdu", "ur" },
  { "اردو", "ur" },     { "french", "fr" },     { "français", "fr" },   { "spanish", "es" },
  { "español", "es" },  { "portuguese", "pt" }, { "arabic", "ar" },     { "hindi", "hi" },
  { "german", "de" },   { "kazakh", "kk" },     { "tajik", "tg" },      { "uzbek", "uz" },
  { "chinese", "zh" },  { "italian", "it" },    { "turkish", "tr" },    { "amharic", "am" },
  { "somali", "so" },   { "hausa", "ha" },      { "pashto", "ps" },     { "dari", "prs" },
};

char *
dft_language_code_from_name (const char *name)
{
  g_autofree char *trimmed = NULL;
  g_autofree char *lower = NULL;
  const char      *open;

  if (name == NULL)
    return g_strdup ("und");
  trimmed = g_strstrip (g_strdup (name));
  if (trimmed[0] == '\0' || g_ascii_strcasecmp (trimmed, "default") == 0)
    return g_strdup ("und");
  open = strrchr (trimmed, '(');
  if (open != NULL && g_str_has_suffix (trimmed, ")"))
    {
      g_autofree char *code = g_strstrip (g_strndup (open + 1, strlen (open + 1) - 1));

      if (code[0] != '\0')
        return g_ascii_strdown (code, -1);
    }
  lower = g_utf8_strdown (trimmed, -1);
  for (guint i = 0; i < G_N_ELEMENTS (known_languages); i++)
    if (strcmp (lower, known_languages[i].name) == 0)
      return g_strdup (known_languages[i].code);
  return g_steal_pointer (&lower);
}

const char *
dft_form_text (DftForm *form, DftText *text, const char *lang, gboolean *fell_back)
{
  const char *value;
  GStrv       chain;

  g_return_val_if_fail (form != NULL, NULL);

  if (fell_back != NULL)
    *fell_back = FALSE;
  if (text == NULL || g_hash_table_size (text) == 0)
    return NULL;
  if (lang != NULL && (value = dft_text_get (text, lang)) != NULL && value[0] != '\0')
    return value;
  if (fell_back != NULL)
    *fell_back = TRUE;
  chain = lang != NULL ? g_hash_table_lookup (form->fallbacks, lang) : NULL;
  for (guint i = 0; chain != NULL && chain[i] != NULL; i++)
    if ((value = dft_text_get (text, chain[i])) != NULL && value[0] != '\0')
      return value;
  if ((value = dft_text_get (text, form->default_language)) != NULL && value[0] != '\0')
    return value;
  if ((value = dft_text_get (text, "und")) != NULL && value[0] != '\0')
    return value;
  /* Any language there is, the form's order first, so the choice does not depend on hashing. */
  for (guint i = 0; i < form->languages->len; i++)
    {
      DftLanguage *l = g_ptr_array_index (form->languages, i);

      if ((value = dft_text_get (text, l->code)) != NULL && value[0] != '\0')
        return value;
    }
  {
    GHashTableIter iter;
    gpointer       v;

    g_hash_table_iter_init (&iter, text);
    while (g_hash_table_iter_next (&iter, NULL, &v))
      if (((const char *) v)[0] != '\0')
        return v;
  }
  return NULL;
}

static void
foreach_in (GPtrArray *questions, DftQuestionFunc func, gpointer user_data)
{
  for (guint i = 0; i < questions->len; i++)
    {
      DftQuestion *q = g_ptr_array_index (questions, i);

      func (q, user_data);
      foreach_in (q->children, func, user_data);
    }
}

void
dft_form_foreach (DftForm *form, DftQuestionFunc func, gpointer user_data)
{
  g_return_if_fail (form != NULL && func != NULL);

  foreach_in (form->questions, func, user_data);
}

DftQuestion *
dft_form_lookup (DftForm *form, const char *name)
{
  g_return_val_if_fail (form != NULL && name != NULL, NULL);

  if (form->by_name == NULL)
    return NULL;
  return g_hash_table_lookup (form->by_name, name);
}

DftQuestion *
dft_form_lookup_path (DftForm *form, const char *path)
{
  g_return_val_if_fail (form != NULL && path != NULL, NULL);

  if (form->by_path == NULL)
    return NULL;
  return g_hash_table_lookup (form->by_path, path);
}

/* ------------------------------------------------------------------------------------------ */
/* Files                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* Form files are small; anything past this is not a form a person wrote. */
#define MAX_JSON_FORM_BYTES (64 * 1024 * 1024)

DftForm *
dft_form_new_from_file (const char *path, GError **error)
{
  g_autofree char    *lower = NULL;
  g_autoptr (DftForm) form = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  lower = g_ascii_strdown (path, -1);
  if (g_str_has_suffix (lower, ".json"))
    {
      g_autofree char   *data = NULL;
      gsize              len = 0;
      g_autoptr (GError) local = NULL;

      if (!g_file_get_contents (path, &data, &len, &local))
        {
          g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE,
                       /* Translators: the first %s is a file name, the second the reason */
                       _ ("Could not read “%s”: %s"), path, local->message);
          return NULL;
        }
      if (len > MAX_JSON_FORM_BYTES)
        {
          g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE,
                       /* Translators: %s is a file name */
                       _ ("“%s” is too large to be a form."), path);
          return NULL;
        }
      form = dft_form_new_from_json (data, (gssize) len, error);
    }
#ifdef HAVE_XFORM
  else if (g_str_has_suffix (lower, ".xml") || g_str_has_suffix (lower, ".xhtml"))
    form = dft_xform_load_file (path, error);
#endif
#ifdef HAVE_XLSFORM
  else if (g_str_has_suffix (lower, ".xlsx") || g_str_has_suffix (lower, ".xlsm")
           || g_str_has_suffix (lower, ".xls") || g_str_has_suffix (lower, ".csv")
           || g_str_has_suffix (lower, ".md"))
    form = dft_xlsform_load_file (path, error);
#endif
  else
    {
      g_autofree char *base = g_path_get_basename (path);

      g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE,
                   /* Translators: %s is a file name */
                   _ ("“%s” is not a form Daftari can open: choose a Daftari form (.json), an "
                      "ODK XForm (.xml) or an XLSForm (.xlsx, .xls, .csv)."),
                   base);
      return NULL;
    }
  if (form == NULL || !dft_form_prepare (form, error))
    return NULL;
  return g_steal_pointer (&form);
}
