/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
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

#define FORMAT_NAME    "daftari-form"
#define FORMAT_VERSION 1

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
};

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

static gboolean
is_select (const DftQuestion *q)
{
  return q->type == DFT_QUESTION_SELECT_ONE || q->type == DFT_QUESTION_SELECT_MULTIPLE
         || q->type == DFT_QUESTION_LIKERT;
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

static void
text_free (DftText *text)
{
  if (text != NULL)
    g_hash_table_unref (text);
}

static void
choice_free (gpointer data)
{
  DftChoice *c = data;

  g_free (c->value);
  text_free (c->label);
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
  q->children = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_question_free);
  return q;
}

void
dft_question_free (DftQuestion *q)
{
  if (q == NULL)
    return;
  g_free (q->name);
  g_free (q->path);
  text_free (q->label);
  text_free (q->hint);
  text_free (q->required_message);
  text_free (q->constraint_message);
  g_free (q->required);
  g_free (q->relevant);
  g_free (q->constraint);
  g_free (q->calculate);
  g_free (q->read_only);
  g_free (q->default_value);
  g_free (q->default_expression);
  g_free (q->choice_filter);
  g_free (q->choice_list);
  g_free (q->appearance);
  g_free (q->repeat_count);
  g_free (q->preload);
  g_free (q->unsupported_type);
  g_strfreev (q->correct);
  g_ptr_array_unref (q->children);
  g_free (q);
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
  return form;
}

DftForm *
dft_form_ref (DftForm *form)
{
  g_return_val_if_fail (form != NULL, NULL);

  g_atomic_ref_count_inc (&form->ref_count);
  return form;
}

static void
clear_prepared (DftForm *form)
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
  clear_prepared (form);
  g_free (form->id);
  g_free (form->version);
  text_free (form->title);
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
/* Preparing                                                                                  */
/* ------------------------------------------------------------------------------------------ */

/* "“age” (line 12)" or "“age”", for messages. */
static char *
describe (const DftQuestion *q)
{
  const char *name = q->name != NULL ? q->name : "";

  if (q->source_line > 0)
    /* Translators: a question's name and the line or row of the file it is on */
    return g_strdup_printf (_ ("“%s” (line %u)"), name, q->source_line);
  return g_strdup_printf ("“%s”", name);
}

static gboolean
name_is_valid (const char *name)
{
  const char *s = name;

  if (name == NULL || *name == '\0')
    return FALSE;
  if (!(g_ascii_isalpha (*s) || *s == '_' || (guchar) *s >= 0x80))
    return FALSE;
  for (; *s != '\0'; s++)
    if (!(g_ascii_isalnum (*s) || *s == '_' || *s == '-' || *s == '.' || (guchar) *s >= 0x80))
      return FALSE;
  return g_utf8_validate (name, -1, NULL);
}

typedef struct
{
  DftForm        *form;
  GHashTable     *name_to_path; /* for dft_expr_expand; ambiguous names are left out */
  GHashTable     *ambiguous;    /* names used more than once */
  DftExprContext *ctx;
  GError         *error;
} Prep;

static gboolean
assign_paths (Prep *p, GPtrArray *questions, const char *parent_path)
{
  for (guint i = 0; i < questions->len; i++)
    {
      DftQuestion     *q = g_ptr_array_index (questions, i);
      g_autofree char *what = describe (q);

      if (q->name == NULL && q->type == DFT_QUESTION_GROUP)
        {
          /* A group that only arranges the screen: its children sit in its parent's data. */
          g_clear_pointer (&q->path, g_free);
          q->path = g_strdup (parent_path);
        }
      else
        {
          if (!name_is_valid (q->name))
            {
              g_set_error (&p->error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                           /* Translators: %s names a question and its line */
                           _ ("The question %s has no valid name: a name starts with a letter "
                              "or “_” and holds only letters, digits, “_”, “-” and “.”."),
                           what);
              return FALSE;
            }
          g_free (q->path);
          q->path = g_strdup_printf ("%s/%s", parent_path, q->name);
          if (g_hash_table_contains (p->form->by_path, q->path))
            {
              g_set_error (&p->error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                           /* Translators: %s names a question and its line */
                           _ ("There is more than one question named %s in the same group."), what);
              return FALSE;
            }
          g_hash_table_insert (p->form->by_path, q->path, q);
          if (g_hash_table_contains (p->form->by_name, q->name))
            g_hash_table_add (p->ambiguous, q->name);
          else
            g_hash_table_insert (p->form->by_name, q->name, q);
        }
      if ((q->type == DFT_QUESTION_GROUP || q->type == DFT_QUESTION_REPEAT)
          && !assign_paths (p, q->children, q->path))
        return FALSE;
      if (q->type != DFT_QUESTION_GROUP && q->type != DFT_QUESTION_REPEAT && q->children->len > 0)
        {
          g_set_error (&p->error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                       /* Translators: %s names a question and its line */
                       _ ("The question %s holds other questions; only groups and repeats can."),
                       what);
          return FALSE;
        }
    }
  return TRUE;
}

static void
fill_name_map (gpointer key, gpointer value, gpointer user_data)
{
  Prep        *p = user_data;
  DftQuestion *q = value;

  if (!g_hash_table_contains (p->ambiguous, key))
    g_hash_table_insert (p->name_to_path, key, q->path);
}

/* The expression fields of a question, in the order they are checked. */
static char **
expr_slot (DftQuestion *q, guint i, const char **what)
{
  switch (i)
    {
    case 0:
      *what = "relevant";
      return &q->relevant;
    case 1:
      *what = "required";
      return &q->required;
    case 2:
      *what = "read_only";
      return &q->read_only;
    case 3:
      *what = "calculate";
      return &q->calculate;
    case 4:
      *what = "constraint";
      return &q->constraint;
    case 5:
      *what = "default_expression";
      return &q->default_expression;
    case 6:
      *what = "choice_filter";
      return &q->choice_filter;
    case 7:
      *what = "repeat_count";
      return &q->repeat_count;
    default:
      return NULL;
    }
}

/* A path the expression reads that is a field of this form (or below one), else NULL. */
static DftQuestion *
field_for_ref (DftForm *form, const char *ref)
{
  g_autofree char *path = g_strdup (ref);

  while (path[0] == '/')
    {
      DftQuestion *q = g_hash_table_lookup (form->by_path, path);
      char        *slash;

      if (q != NULL)
        return q;
      slash = strrchr (path, '/');
      if (slash == path)
        break;
      *slash = '\0';
    }
  return NULL;
}

static gboolean
ref_is_known (DftForm *form, const char *ref)
{
  g_autofree char *root = g_strdup_printf ("/%s", form->root_name);
  g_autofree char *meta = g_strdup_printf ("/%s/meta/", form->root_name);

  if (ref[0] != '/')
    return TRUE; /* relative: ".", "..", names inside predicates */
  if (strcmp (ref, root) == 0 || g_str_has_prefix (ref, meta))
    return TRUE;
  return g_hash_table_contains (form->by_path, ref);
}

static gboolean
prepare_expressions (Prep *p, DftQuestion *q)
{
  g_autofree char *what_q = describe (q);

  for (guint i = 0;; i++)
    {
      const char        *what = NULL;
      char             **slot = expr_slot (q, i, &what);
      g_autofree char   *expanded = NULL;
      g_autofree char   *canonical = NULL;
      g_auto (GStrv)     refs = NULL;
      g_autoptr (GError) local = NULL;

      if (slot == NULL)
        break;
      if (*slot == NULL)
        continue;
      g_strstrip (*slot);
      if ((*slot)[0] == '\0')
        {
          g_clear_pointer (slot, g_free);
          continue;
        }
      /* A fixed repeat count is a number, which is an expression too. */
      expanded = dft_expr_expand (*slot, p->name_to_path, NULL, &local);
      if (expanded == NULL && g_error_matches (local, DFT_EXPR_ERROR, DFT_EXPR_ERROR_UNKNOWN_NAME))
        {
          g_set_error (&p->error, DFT_FORM_ERROR, DFT_FORM_ERROR_EXPRESSION,
                       /* Translators: the first %s names a question, the second is the kind of
                          expression ("relevant"), the third the reason */
                       _ ("The question %s: its %s refers to a question that is not in the form, "
                          "or whose name is used twice: %s"),
                       what_q, what, local->message);
          return FALSE;
        }
      if (expanded != NULL)
        canonical = dft_expr_normalize (expanded, q->path, &local);
      if (canonical != NULL && !dft_expr_context_check (p->ctx, canonical, &local))
        g_clear_pointer (&canonical, g_free);
      if (canonical != NULL)
        refs = dft_expr_references (canonical, &local);
      if (refs == NULL)
        {
          g_set_error (&p->error, DFT_FORM_ERROR, DFT_FORM_ERROR_EXPRESSION,
                       /* Translators: the first %s names a question, the second is the kind of
                          expression ("relevant"), the third the reason */
                       _ ("The question %s has a %s that cannot be used: %s"), what_q, what,
                       local->message);
          return FALSE;
        }
      for (guint r = 0; refs[r] != NULL; r++)
        if (!ref_is_known (p->form, refs[r]))
          {
            g_set_error (&p->error, DFT_FORM_ERROR, DFT_FORM_ERROR_EXPRESSION,
                         /* Translators: the first %s names a question, the second is the kind
                            of expression ("relevant"), the third a path like /data/age */
                         _ ("The question %s has a %s that reads %s, which is not a question "
                            "of this form."),
                         what_q, what, refs[r]);
            return FALSE;
          }
      g_free (*slot);
      *slot = g_steal_pointer (&canonical);
    }
  return TRUE;
}

/* Which fields each field's expressions read: @graph, which decides what to recompute, has
 * them all; @check, where cycles are refused, has only what a calculation, relevance,
 * requiredness or read-only state reads, as in JavaRosa. Nothing reads a constraint's or a
 * choice filter's result, and a repeat count is taken when instances are made (a count
 * that counts the repeat's own instances is how forms say "one more"). */
static gboolean
add_dependencies (Prep *p, DftQuestion *q, DftExprGraph *graph, DftExprGraph *check)
{
  g_autoptr (GPtrArray) checked = g_ptr_array_new_with_free_func (g_free);

  const char           *sources[] = { q->calculate,  q->relevant,      q->required,    q->read_only,
                                      q->constraint, q->choice_filter, q->repeat_count };
  g_autoptr (GPtrArray) reads = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
    {
      g_auto (GStrv) refs = NULL;

      if (sources[i] == NULL)
        continue;
      refs = dft_expr_references (sources[i], NULL);
      for (guint r = 0; refs != NULL && refs[r] != NULL; r++)
        {
          DftQuestion *target = field_for_ref (p->form, refs[r]);

          if (target == NULL)
            continue;
          /* A field reading its own value is how constraints and choice filters work. */
          if (target == q && i >= 4)
            continue;
          g_ptr_array_add (reads, g_strdup (target->path));
          if (i < 4)
            g_ptr_array_add (checked, g_strdup (target->path));
        }
    }
  g_ptr_array_add (reads, NULL);
  g_ptr_array_add (checked, NULL);
  dft_expr_graph_add (graph, q->path, (const char *const *) reads->pdata);
  dft_expr_graph_add (check, q->path, (const char *const *) checked->pdata);
  return TRUE;
}

/* One way to write what ODK treats as the same: a read-only text nobody fills is a note, a
 * note needs no read-only flag, and a date's default is a date. */
static void
normalize_question (DftQuestion *q)
{
  gboolean always_read_only = q->read_only != NULL && strcmp (q->read_only, "true()") == 0;

  if (q->type == DFT_QUESTION_TEXT && always_read_only && q->calculate == NULL
      && q->default_value == NULL && q->default_expression == NULL)
    q->type = DFT_QUESTION_NOTE;
  if (q->type == DFT_QUESTION_NOTE && always_read_only)
    g_clear_pointer (&q->read_only, g_free);
  if (q->type == DFT_QUESTION_DATE && q->default_value != NULL && strlen (q->default_value) > 10
      && g_ascii_isdigit (q->default_value[0])
      && (q->default_value[10] == ' ' || q->default_value[10] == 'T'))
    q->default_value[10] = '\0';
}

static gboolean
prepare_question (Prep *p, DftQuestion *q)
{
  g_autofree char *what = describe (q);

  normalize_question (q);
  if (q->type == DFT_QUESTION_UNSUPPORTED && q->required != NULL
      && strcmp (q->required, "false()") != 0)
    {
      g_set_error (&p->error, DFT_FORM_ERROR, DFT_FORM_ERROR_UNSUPPORTED,
                   /* Translators: the first %s names a question and its line, the second is
                      a question type such as "geopoint" */
                   _ ("The question %s is of a type Daftari cannot show (%s) and it must be "
                      "answered, so the form cannot be filled in here."),
                   what, q->unsupported_type != NULL ? q->unsupported_type : "?");
      return FALSE;
    }
  if (is_select (q))
    {
      if (q->choice_list == NULL || !g_hash_table_contains (p->form->choice_lists, q->choice_list))
        {
          g_set_error (&p->error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                       /* Translators: the first %s names a question and its line, the second a
                          list of choices */
                       _ ("The question %s offers choices from a list “%s” that is not in the "
                          "form."),
                       what, q->choice_list != NULL ? q->choice_list : "");
          return FALSE;
        }
    }
  if (q->type == DFT_QUESTION_CALCULATE && q->calculate == NULL)
    {
      g_set_error (&p->error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                   /* Translators: %s names a question and its line */
                   _ ("The calculation %s has no expression to calculate."), what);
      return FALSE;
    }
  return prepare_expressions (p, q);
}

static gboolean
prepare_all (Prep *p, GPtrArray *questions, DftExprGraph *graph, DftExprGraph *check)
{
  for (guint i = 0; i < questions->len; i++)
    {
      DftQuestion *q = g_ptr_array_index (questions, i);

      if (!prepare_question (p, q) || !add_dependencies (p, q, graph, check)
          || !prepare_all (p, q->children, graph, check))
        return FALSE;
    }
  return TRUE;
}

static void
register_choice_lists (DftForm *form, DftExprContext *ctx)
{
  GHashTableIter iter;
  gpointer       value;

  g_hash_table_iter_init (&iter, form->choice_lists);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      DftChoiceList *list = value;

      for (guint i = 0; i < list->choices->len; i++)
        {
          DftChoice            *c = g_ptr_array_index (list->choices, i);
          g_autoptr (GPtrArray) names = g_ptr_array_new ();
          g_autoptr (GPtrArray) values = g_ptr_array_new ();
          const char    *label = dft_form_text (form, c->label, form->default_language, NULL);
          GHashTableIter extra;
          gpointer       k, v;

          g_ptr_array_add (names, "name");
          g_ptr_array_add (values, c->value);
          g_ptr_array_add (names, "label");
          g_ptr_array_add (values, (gpointer) (label != NULL ? label : c->value));
          g_hash_table_iter_init (&extra, c->extra);
          while (g_hash_table_iter_next (&extra, &k, &v))
            if (strcmp (k, "name") != 0 && strcmp (k, "label") != 0)
              {
                g_ptr_array_add (names, k);
                g_ptr_array_add (values, v);
              }
          g_ptr_array_add (names, NULL);
          g_ptr_array_add (values, NULL);
          dft_expr_context_add_instance_item (ctx, list->name, (const char *const *) names->pdata,
                                              (const char *const *) values->pdata);
        }
    }
}

DftExprContext *
_dft_form_new_context (DftForm *form, GError **error)
{
  DftExprContext *ctx = dft_expr_context_new (form->root_name, error);

  if (ctx != NULL)
    register_choice_lists (form, ctx);
  return ctx;
}

gboolean
dft_form_prepare (DftForm *form, GError **error)
{
  g_autoptr (GHashTable)   name_to_path = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable)   ambiguous = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (DftExprGraph) graph = dft_expr_graph_new ();
  g_autoptr (DftExprGraph) check = dft_expr_graph_new ();
  g_autoptr (GError)       local = NULL;
  g_autofree char         *root = NULL;
  Prep                     p = { form, name_to_path, ambiguous, NULL, NULL };

  g_return_val_if_fail (form != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (form->prepared)
    return TRUE;
  clear_prepared (form);
  form->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  form->by_path = g_hash_table_new (g_str_hash, g_str_equal);

  if (form->id == NULL || form->id[0] == '\0')
    {
      g_free (form->id);
      form->id = g_strdup (form->root_name);
    }
  if (!name_is_valid (form->root_name) || strchr (form->root_name, ':') != NULL)
    {
      g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                   /* Translators: %s is the name of a form's data element */
                   _ ("“%s” cannot name a form's data: use letters, digits and “_”."),
                   form->root_name != NULL ? form->root_name : "");
      clear_prepared (form);
      return FALSE;
    }
  /* The default language is always one of the form's languages. */
  dft_form_add_language (form, form->default_language, NULL);
  if (form->questions->len == 0)
    {
      g_set_error_literal (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                           _ ("The form has no questions."));
      clear_prepared (form);
      return FALSE;
    }
  root = g_strdup_printf ("/%s", form->root_name);
  p.ctx = _dft_form_new_context (form, &local);
  if (p.ctx == NULL)
    {
      g_set_error_literal (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID, local->message);
      clear_prepared (form);
      return FALSE;
    }
  if (assign_paths (&p, form->questions, root))
    {
      g_hash_table_foreach (form->by_name, fill_name_map, &p);
      if (prepare_all (&p, form->questions, graph, check) && !dft_expr_graph_check (check, &local))
        g_set_error (&p.error, DFT_FORM_ERROR, DFT_FORM_ERROR_CYCLE,
                     /* Translators: %s says which fields depend on each other */
                     _ ("The form cannot be worked out. %s"), local->message);
    }
  dft_expr_context_free (p.ctx);
  if (p.error != NULL)
    {
      g_propagate_error (error, p.error);
      clear_prepared (form);
      return FALSE;
    }
  form->graph = g_steal_pointer (&graph);
  form->prepared = TRUE;
  return TRUE;
}

/* ------------------------------------------------------------------------------------------ */
/* JSON                                                                                       */
/* ------------------------------------------------------------------------------------------ */

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static GPtrArray *
sorted_keys (GHashTable *table)
{
  GPtrArray     *keys = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer       key;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, key);
  g_ptr_array_sort (keys, compare_strings);
  return keys;
}

/* For comparing: runs of white space as one space, none at the ends (an XForm's pretty
 * printing puts line breaks into texts a spreadsheet cell has on one line). */
static char *
collapse_space (const char *s)
{
  GString *out = g_string_new (NULL);
  gboolean space = FALSE;

  for (; *s != '\0'; s++)
    {
      if (g_ascii_isspace (*s))
        {
          space = out->len > 0;
          continue;
        }
      if (space)
        g_string_append_c (out, ' ');
      space = FALSE;
      g_string_append_c (out, *s);
    }
  return g_string_free (out, FALSE);
}

/* With DFT_FORM_JSON_CANONICAL, runs of white space in texts are written as one space. */
static void
write_text (JsonBuilder *b, const char *member, DftText *text, DftFormJsonFlags flags)
{
  g_autoptr (GPtrArray) keys = NULL;

  if (text == NULL || g_hash_table_size (text) == 0)
    return;
  keys = sorted_keys (text);
  json_builder_set_member_name (b, member);
  json_builder_begin_object (b);
  for (guint i = 0; i < keys->len; i++)
    {
      const char      *k = g_ptr_array_index (keys, i);
      g_autofree char *v = NULL;

      json_builder_set_member_name (b, k);
      if ((flags & DFT_FORM_JSON_CANONICAL) != 0)
        {
          v = collapse_space (g_hash_table_lookup (text, k));
          json_builder_add_string_value (b, v);
        }
      else
        json_builder_add_string_value (b, g_hash_table_lookup (text, k));
    }
  json_builder_end_object (b);
}

static void
write_string (JsonBuilder *b, const char *member, const char *value)
{
  if (value == NULL)
    return;
  json_builder_set_member_name (b, member);
  json_builder_add_string_value (b, value);
}

/* required and read_only: true when always, else the expression. */
static void
write_condition (JsonBuilder *b, const char *member, const char *value)
{
  if (value == NULL || strcmp (value, "false()") == 0)
    return;
  json_builder_set_member_name (b, member);
  if (strcmp (value, "true()") == 0)
    json_builder_add_boolean_value (b, TRUE);
  else
    json_builder_add_string_value (b, value);
}

static void
write_choices (JsonBuilder *b, DftChoiceList *list, DftFormJsonFlags flags)
{
  json_builder_begin_array (b);
  for (guint i = 0; i < list->choices->len; i++)
    {
      DftChoice *c = g_ptr_array_index (list->choices, i);

      json_builder_begin_object (b);
      write_string (b, "value", c->value);
      write_text (b, "label", c->label, flags);
      if (g_hash_table_size (c->extra) > 0)
        {
          g_autoptr (GPtrArray) keys = sorted_keys (c->extra);

          json_builder_set_member_name (b, "extra");
          json_builder_begin_object (b);
          for (guint k = 0; k < keys->len; k++)
            write_string (b, g_ptr_array_index (keys, k),
                          g_hash_table_lookup (c->extra, g_ptr_array_index (keys, k)));
          json_builder_end_object (b);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void write_questions (JsonBuilder *b, DftForm *form, GPtrArray *qs, DftFormJsonFlags flags);

static void
write_question (JsonBuilder *b, DftForm *form, DftQuestion *q, DftFormJsonFlags flags)
{
  json_builder_begin_object (b);
  write_string (b, "type", dft_question_type_to_string (q->type));
  write_string (b, "name", q->name);
  write_text (b, "label", q->label, flags);
  write_text (b, "hint", q->hint, flags);
  write_condition (b, "required", q->required);
  write_text (b, "required_message", q->required_message, flags);
  write_string (b, "relevant", q->relevant);
  write_string (b, "constraint", q->constraint);
  write_text (b, "constraint_message", q->constraint_message, flags);
  write_string (b, "calculate", q->calculate);
  write_condition (b, "read_only", q->read_only);
  write_string (b, "default", q->default_value);
  write_string (b, "default_expression", q->default_expression);
  if (q->choice_list != NULL)
    {
      DftChoiceList *list = g_hash_table_lookup (form->choice_lists, q->choice_list);

      if ((flags & DFT_FORM_JSON_CANONICAL) && list != NULL)
        {
          json_builder_set_member_name (b, "choices");
          write_choices (b, list, flags);
        }
      else
        write_string (b, "choices", q->choice_list);
    }
  write_string (b, "choice_filter", q->choice_filter);
  write_string (b, "appearance", q->appearance);
  write_string (b, "repeat_count", q->repeat_count);
  if (q->page)
    {
      json_builder_set_member_name (b, "page");
      json_builder_add_boolean_value (b, TRUE);
    }
  write_string (b, "preload", q->preload);
  write_string (b, "unsupported_type", q->unsupported_type);
  if (q->correct != NULL)
    {
      json_builder_set_member_name (b, "correct");
      json_builder_begin_array (b);
      for (guint i = 0; q->correct[i] != NULL; i++)
        json_builder_add_string_value (b, q->correct[i]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "points");
      json_builder_add_double_value (b, q->points);
      if (q->partial_credit)
        {
          json_builder_set_member_name (b, "partial_credit");
          json_builder_add_boolean_value (b, TRUE);
        }
    }
  if (q->source_line > 0 && !(flags & DFT_FORM_JSON_CANONICAL))
    {
      json_builder_set_member_name (b, "source_line");
      json_builder_add_int_value (b, q->source_line);
    }
  if (q->type == DFT_QUESTION_GROUP || q->type == DFT_QUESTION_REPEAT)
    {
      json_builder_set_member_name (b, "children");
      write_questions (b, form, q->children, flags);
    }
  json_builder_end_object (b);
}

static void
write_questions (JsonBuilder *b, DftForm *form, GPtrArray *qs, DftFormJsonFlags flags)
{
  json_builder_begin_array (b);
  for (guint i = 0; i < qs->len; i++)
    write_question (b, form, g_ptr_array_index (qs, i), flags);
  json_builder_end_array (b);
}

char *
dft_form_to_json (DftForm *form, DftFormJsonFlags flags)
{
  g_autoptr (JsonBuilder)   b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode)      root = NULL;

  g_return_val_if_fail (form != NULL, NULL);

  json_builder_begin_object (b);
  write_string (b, "format", FORMAT_NAME);
  json_builder_set_member_name (b, "format_version");
  json_builder_add_int_value (b, FORMAT_VERSION);
  write_string (b, "id", form->id);
  write_string (b, "version", form->version);
  write_text (b, "title", form->title, flags);
  write_string (b, "kind", form->kind);
  write_string (b, "root", form->root_name);
  write_string (b, "default_language", form->default_language);
  if ((flags & DFT_FORM_JSON_CANONICAL) != 0)
    {
      /* Codes only, sorted: names and order are how a file happened to list them. */
      g_autoptr (GPtrArray) codes = g_ptr_array_new ();

      for (guint i = 0; i < form->languages->len; i++)
        g_ptr_array_add (codes, ((DftLanguage *) g_ptr_array_index (form->languages, i))->code);
      g_ptr_array_sort (codes, compare_strings);
      json_builder_set_member_name (b, "languages");
      json_builder_begin_array (b);
      for (guint i = 0; i < codes->len; i++)
        json_builder_add_string_value (b, g_ptr_array_index (codes, i));
      json_builder_end_array (b);
    }
  else if (form->languages->len > 0)
    {
      json_builder_set_member_name (b, "languages");
      json_builder_begin_array (b);
      for (guint i = 0; i < form->languages->len; i++)
        {
          DftLanguage *l = g_ptr_array_index (form->languages, i);

          json_builder_begin_object (b);
          write_string (b, "code", l->code);
          write_string (b, "name", l->name);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }
  if (g_hash_table_size (form->fallbacks) > 0)
    {
      g_autoptr (GPtrArray) keys = sorted_keys (form->fallbacks);

      json_builder_set_member_name (b, "fallbacks");
      json_builder_begin_object (b);
      for (guint i = 0; i < keys->len; i++)
        {
          GStrv chain = g_hash_table_lookup (form->fallbacks, g_ptr_array_index (keys, i));

          json_builder_set_member_name (b, g_ptr_array_index (keys, i));
          json_builder_begin_array (b);
          for (guint c = 0; chain[c] != NULL; c++)
            json_builder_add_string_value (b, chain[c]);
          json_builder_end_array (b);
        }
      json_builder_end_object (b);
    }
  if (form->pass_percent >= 0)
    {
      json_builder_set_member_name (b, "pass_percent");
      json_builder_add_double_value (b, form->pass_percent);
    }
  write_string (b, "phase", form->phase);
  write_string (b, "pairs_with", form->pairs_with);
  if (!(flags & DFT_FORM_JSON_CANONICAL) && g_hash_table_size (form->choice_lists) > 0)
    {
      g_autoptr (GPtrArray) keys = sorted_keys (form->choice_lists);

      json_builder_set_member_name (b, "choice_lists");
      json_builder_begin_object (b);
      for (guint i = 0; i < keys->len; i++)
        {
          json_builder_set_member_name (b, g_ptr_array_index (keys, i));
          write_choices (b, g_hash_table_lookup (form->choice_lists, g_ptr_array_index (keys, i)),
                         flags);
        }
      json_builder_end_object (b);
    }
  json_builder_set_member_name (b, "questions");
  write_questions (b, form, form->questions, flags);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, (flags & DFT_FORM_JSON_PRETTY) != 0);
  return json_generator_to_data (gen, NULL);
}

/* Reading: every member is checked for its type; unknown members are refused, so a typo in a
 * hand-written form ("relevent") is an error rather than a silently ignored rule. */

typedef struct
{
  DftForm *form;
  GError  *error;
  char    *where; /* "question “age”", for messages */
} Reader;

static gboolean
bad (Reader *r, const char *member, const char *expected)
{
  if (r->error == NULL)
    g_set_error (&r->error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE,
                 /* Translators: the first %s is a member name ("label"), the second a place in
                    the form ("question “age”"), the third a kind of JSON value */
                 _ ("“%s” of %s must be %s."), member, r->where, expected);
  return FALSE;
}

static gboolean
read_string (Reader *r, JsonObject *o, const char *member, char **out)
{
  JsonNode *n = json_object_get_member (o, member);

  if (n == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    /* Translators: a kind of JSON value, used in "“x” of … must be …" */
    return bad (r, member, _ ("a string"));
  g_free (*out);
  *out = g_strdup (json_node_get_string (n));
  return TRUE;
}

static gboolean
read_text (Reader *r, JsonObject *o, const char *member, DftText *text)
{
  JsonNode   *n = json_object_get_member (o, member);
  JsonObject *langs;
  GList      *members;

  if (n == NULL)
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
    {
      dft_text_set (text, r->form->default_language, json_node_get_string (n));
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_OBJECT (n))
    /* Translators: a kind of JSON value, used in "“x” of … must be …" */
    return bad (r, member, _ ("a string or an object of language codes and strings"));
  langs = json_node_get_object (n);
  members = json_object_get_members (langs);
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *v = json_object_get_member (langs, l->data);

      if (!JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != G_TYPE_STRING)
        {
          g_list_free (members);
          return bad (r, member, _ ("a string or an object of language codes and strings"));
        }
      dft_text_set (text, l->data, json_node_get_string (v));
    }
  g_list_free (members);
  return TRUE;
}

static gboolean
read_bool (Reader *r, JsonObject *o, const char *member, gboolean *out)
{
  JsonNode *n = json_object_get_member (o, member);

  if (n == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_BOOLEAN)
    /* Translators: a kind of JSON value, used in "“x” of … must be …" */
    return bad (r, member, _ ("true or false"));
  *out = json_node_get_boolean (n);
  return TRUE;
}

static gboolean
read_number (Reader *r, JsonObject *o, const char *member, double *out)
{
  JsonNode *n = json_object_get_member (o, member);

  if (n == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (n)
      || (json_node_get_value_type (n) != G_TYPE_DOUBLE
          && json_node_get_value_type (n) != G_TYPE_INT64))
    /* Translators: a kind of JSON value, used in "“x” of … must be …" */
    return bad (r, member, _ ("a number"));
  *out = json_node_get_double (n);
  return TRUE;
}

/* required and read_only: true, false or an expression. */
static gboolean
read_condition (Reader *r, JsonObject *o, const char *member, char **out)
{
  JsonNode *n = json_object_get_member (o, member);

  if (n == NULL)
    return TRUE;
  g_clear_pointer (out, g_free);
  if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_BOOLEAN)
    {
      if (json_node_get_boolean (n))
        *out = g_strdup ("true()");
      return TRUE;
    }
  if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
    {
      *out = g_strdup (json_node_get_string (n));
      return TRUE;
    }
  /* Translators: a kind of JSON value, used in "“x” of … must be …" */
  return bad (r, member, _ ("true, false or an expression"));
}

static gboolean
only_members (Reader *r, JsonObject *o, const char *const *allowed)
{
  g_autoptr (GList) members = json_object_get_members (o);

  for (GList *l = members; l != NULL; l = l->next)
    if (!g_strv_contains (allowed, l->data))
      {
        g_set_error (&r->error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE,
                     /* Translators: the first %s is a member name, the second a place in the
                        form ("question “age”") */
                     _ ("Daftari does not know “%s” in %s."), (const char *) l->data, r->where);
        return FALSE;
      }
  return TRUE;
}

static gboolean
read_choices (Reader *r, JsonNode *n, DftChoiceList *list)
{
  static const char *const allowed[] = { "value", "label", "extra", NULL };
  JsonArray               *array;

  if (!JSON_NODE_HOLDS_ARRAY (n))
    /* Translators: a kind of JSON value, used in "“x” of … must be …" */
    return bad (r, "choices", _ ("a list of choices"));
  array = json_node_get_array (n);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode        *cn = json_array_get_element (array, i);
      JsonObject      *co;
      g_autofree char *value = NULL;
      DftText         *label = dft_text_new ();
      DftChoice       *c;

      if (!JSON_NODE_HOLDS_OBJECT (cn))
        {
          text_free (label);
          return bad (r, "choices", _ ("a list of choices"));
        }
      co = json_node_get_object (cn);
      if (!only_members (r, co, allowed) || !read_string (r, co, "value", &value)
          || !read_text (r, co, "label", label))
        {
          text_free (label);
          return FALSE;
        }
      if (value == NULL)
        {
          text_free (label);
          /* Translators: a kind of JSON value, used in "“x” of … must be …" */
          return bad (r, "value", _ ("given for every choice"));
        }
      c = dft_choice_list_add (list, value, label);
      if (json_object_has_member (co, "extra"))
        {
          JsonNode   *en = json_object_get_member (co, "extra");
          JsonObject *eo;
          GList      *members;

          if (!JSON_NODE_HOLDS_OBJECT (en))
            /* Translators: a kind of JSON value, used in "“x” of … must be …" */
            return bad (r, "extra", _ ("an object of strings"));
          eo = json_node_get_object (en);
          members = json_object_get_members (eo);
          for (GList *l = members; l != NULL; l = l->next)
            {
              JsonNode *v = json_object_get_member (eo, l->data);

              if (!JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != G_TYPE_STRING)
                {
                  g_list_free (members);
                  return bad (r, "extra", _ ("an object of strings"));
                }
              g_hash_table_insert (c->extra, g_strdup (l->data),
                                   g_strdup (json_node_get_string (v)));
            }
          g_list_free (members);
        }
    }
  return TRUE;
}

static gboolean read_questions (Reader *r, JsonNode *n, DftQuestion *parent, guint depth);

static gboolean
read_question (Reader *r, JsonObject *o, DftQuestion *parent, guint depth)
{
  static const char *const allowed[] = { "type",
                                         "name",
                                         "label",
                                         "hint",
                                         "required",
                                         "required_message",
                                         "relevant",
                                         "constraint",
                                         "constraint_message",
                                         "calculate",
                                         "read_only",
                                         "default",
                                         "default_expression",
                                         "choices",
                                         "choice_filter",
                                         "appearance",
                                         "repeat_count",
                                         "page",
                                         "preload",
                                         "unsupported_type",
                                         "correct",
                                         "points",
                                         "partial_credit",
                                         "source_line",
                                         "children",
                                         NULL };
  g_autofree char         *type_name = NULL;
  g_autofree char         *name = NULL;
  DftQuestionType          type;
  DftQuestion             *q;
  double                   line = 0;
  JsonNode                *n;

  if (!read_string (r, o, "type", &type_name) || !read_string (r, o, "name", &name))
    return FALSE;
  g_free (r->where);
  /* Translators: a place in a form, used in messages: question “age” */
  r->where = g_strdup_printf (_ ("question “%s”"), name != NULL ? name : "");
  if (!only_members (r, o, allowed))
    return FALSE;
  if (!dft_question_type_from_string (type_name, &type))
    {
      g_set_error (&r->error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE,
                   /* Translators: the first %s is a question type as written, the second a
                      question's name */
                   _ ("“%s” is not a question type Daftari knows (question “%s”)."),
                   type_name != NULL ? type_name : "", name != NULL ? name : "");
      return FALSE;
    }
  q = dft_question_new (type, name);
  if (parent != NULL)
    dft_question_add_child (parent, q);
  else
    dft_form_add_question (r->form, q);

  if (!read_text (r, o, "label", q->label) || !read_text (r, o, "hint", q->hint)
      || !read_condition (r, o, "required", &q->required)
      || !read_text (r, o, "required_message", q->required_message)
      || !read_string (r, o, "relevant", &q->relevant)
      || !read_string (r, o, "constraint", &q->constraint)
      || !read_text (r, o, "constraint_message", q->constraint_message)
      || !read_string (r, o, "calculate", &q->calculate)
      || !read_condition (r, o, "read_only", &q->read_only)
      || !read_string (r, o, "default", &q->default_value)
      || !read_string (r, o, "default_expression", &q->default_expression)
      || !read_string (r, o, "choice_filter", &q->choice_filter)
      || !read_string (r, o, "appearance", &q->appearance)
      || !read_string (r, o, "repeat_count", &q->repeat_count)
      || !read_bool (r, o, "page", &q->page) || !read_string (r, o, "preload", &q->preload)
      || !read_string (r, o, "unsupported_type", &q->unsupported_type)
      || !read_number (r, o, "points", &q->points)
      || !read_bool (r, o, "partial_credit", &q->partial_credit)
      || !read_number (r, o, "source_line", &line))
    return FALSE;
  q->source_line = line > 0 && line < G_MAXUINT ? (guint) line : 0;

  n = json_object_get_member (o, "choices");
  if (n != NULL && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
    q->choice_list = g_strdup (json_node_get_string (n));
  else if (n != NULL)
    {
      /* Choices written inline belong to a list of the question's own name. */
      g_autofree char *list_name = g_strdup (name != NULL ? name : "choices");

      for (guint i = 2; g_hash_table_contains (r->form->choice_lists, list_name); i++)
        {
          g_free (list_name);
          list_name = g_strdup_printf ("%s_%u", name != NULL ? name : "choices", i);
        }
      if (!read_choices (r, n, dft_form_ensure_choice_list (r->form, list_name)))
        return FALSE;
      q->choice_list = g_steal_pointer (&list_name);
    }

  n = json_object_get_member (o, "correct");
  if (n != NULL)
    {
      g_autoptr (GStrvBuilder) values = g_strv_builder_new ();

      if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
        g_strv_builder_add (values, json_node_get_string (n));
      else if (JSON_NODE_HOLDS_ARRAY (n))
        {
          JsonArray *a = json_node_get_array (n);

          for (guint i = 0; i < json_array_get_length (a); i++)
            {
              JsonNode *v = json_array_get_element (a, i);

              if (!JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != G_TYPE_STRING)
                /* Translators: a kind of JSON value, used in "“x” of … must be …" */
                return bad (r, "correct", _ ("a value or a list of values"));
              g_strv_builder_add (values, json_node_get_string (v));
            }
        }
      else
        return bad (r, "correct", _ ("a value or a list of values"));
      q->correct = g_strv_builder_end (values);
      if (!json_object_has_member (o, "points"))
        q->points = 1;
    }

  n = json_object_get_member (o, "children");
  if (n != NULL)
    {
      if (type != DFT_QUESTION_GROUP && type != DFT_QUESTION_REPEAT)
        {
          g_set_error (&r->error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE,
                       /* Translators: %s is a question's name */
                       _ ("Only groups and repeats hold other questions (question “%s”)."),
                       name != NULL ? name : "");
          return FALSE;
        }
      return read_questions (r, n, q, depth + 1);
    }
  return TRUE;
}

static gboolean
read_questions (Reader *r, JsonNode *n, DftQuestion *parent, guint depth)
{
  JsonArray *a;

  /* Deep enough for any real form, shallow enough that a hostile file cannot exhaust the
   * stack. */
  if (depth > 32)
    {
      g_set_error_literal (&r->error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE,
                           _ ("The form nests groups more than 32 deep."));
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_ARRAY (n))
    /* Translators: a kind of JSON value, used in "“x” of … must be …" */
    return bad (r, "questions", _ ("a list of questions"));
  a = json_node_get_array (n);
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonNode *qn = json_array_get_element (a, i);

      if (!JSON_NODE_HOLDS_OBJECT (qn))
        return bad (r, "questions", _ ("a list of questions"));
      if (!read_question (r, json_node_get_object (qn), parent, depth))
        return FALSE;
    }
  return TRUE;
}

static gboolean
read_form (Reader *r, JsonObject *o)
{
  static const char *const allowed[]
      = { "format",    "format_version", "id",           "version",
          "title",     "kind",           "root",         "default_language",
          "languages", "fallbacks",      "pass_percent", "choice_lists",
          "questions", "phase",          "pairs_with",   NULL };
  DftForm         *form = r->form;
  g_autofree char *format = NULL;
  double           format_version = FORMAT_VERSION;
  JsonNode        *n;

  /* Translators: a place in a form, used in messages */
  r->where = g_strdup (_ ("the form"));
  if (!only_members (r, o, allowed) || !read_string (r, o, "format", &format)
      || !read_number (r, o, "format_version", &format_version))
    return FALSE;
  if (format == NULL || strcmp (format, FORMAT_NAME) != 0)
    {
      g_set_error_literal (&r->error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE,
                           _ ("This JSON file is not a Daftari form: it does not say "
                              "“\"format\": \"daftari-form\"”."));
      return FALSE;
    }
  if (format_version > FORMAT_VERSION)
    {
      g_set_error (&r->error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE,
                   /* Translators: %d is a number */
                   _ ("This form was written by a newer version of Daftari (form format %d); "
                      "update Daftari to open it."),
                   (int) format_version);
      return FALSE;
    }
  if (!read_string (r, o, "id", &form->id) || !read_string (r, o, "version", &form->version)
      || !read_string (r, o, "kind", &form->kind) || !read_string (r, o, "root", &form->root_name)
      || !read_string (r, o, "default_language", &form->default_language)
      || !read_text (r, o, "title", form->title)
      || !read_number (r, o, "pass_percent", &form->pass_percent)
      || !read_string (r, o, "phase", &form->phase)
      || !read_string (r, o, "pairs_with", &form->pairs_with))
    return FALSE;
  if (form->phase != NULL && g_strcmp0 (form->phase, "pre") != 0
      && g_strcmp0 (form->phase, "post") != 0)
    /* Translators: a kind of JSON value, used in "“x” of … must be …"; keep the quoted
       words as they are */
    return bad (r, "phase", _ ("“pre” or “post”"));

  n = json_object_get_member (o, "languages");
  if (n != NULL)
    {
      JsonArray *a = JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;

      if (a == NULL)
        /* Translators: a kind of JSON value, used in "“x” of … must be …" */
        return bad (r, "languages", _ ("a list of {\"code\", \"name\"} objects"));
      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          JsonNode        *ln = json_array_get_element (a, i);
          g_autofree char *code = NULL;
          g_autofree char *name = NULL;

          if (!JSON_NODE_HOLDS_OBJECT (ln))
            return bad (r, "languages", _ ("a list of {\"code\", \"name\"} objects"));
          if (!read_string (r, json_node_get_object (ln), "code", &code)
              || !read_string (r, json_node_get_object (ln), "name", &name))
            return FALSE;
          if (code == NULL)
            return bad (r, "languages", _ ("a list of {\"code\", \"name\"} objects"));
          dft_form_add_language (form, code, name);
        }
    }
  n = json_object_get_member (o, "fallbacks");
  if (n != NULL)
    {
      JsonObject *fo = JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
      GList      *members;

      if (fo == NULL)
        /* Translators: a kind of JSON value, used in "“x” of … must be …" */
        return bad (r, "fallbacks", _ ("an object of language codes and lists of codes"));
      members = json_object_get_members (fo);
      for (GList *l = members; l != NULL; l = l->next)
        {
          JsonNode                *cn = json_object_get_member (fo, l->data);
          g_autoptr (GStrvBuilder) chain = g_strv_builder_new ();
          g_auto (GStrv)           codes = NULL;

          for (guint i = 0;
               JSON_NODE_HOLDS_ARRAY (cn) && i < json_array_get_length (json_node_get_array (cn));
               i++)
            {
              JsonNode *v = json_array_get_element (json_node_get_array (cn), i);

              if (JSON_NODE_HOLDS_VALUE (v) && json_node_get_value_type (v) == G_TYPE_STRING)
                g_strv_builder_add (chain, json_node_get_string (v));
            }
          codes = g_strv_builder_end (chain);
          if (!JSON_NODE_HOLDS_ARRAY (cn))
            {
              g_list_free (members);
              return bad (r, "fallbacks", _ ("an object of language codes and lists of codes"));
            }
          dft_form_set_fallback (form, l->data, (const char *const *) codes);
        }
      g_list_free (members);
    }
  n = json_object_get_member (o, "choice_lists");
  if (n != NULL)
    {
      JsonObject *lo = JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
      GList      *members;
      gboolean    ok = TRUE;

      if (lo == NULL)
        /* Translators: a kind of JSON value, used in "“x” of … must be …" */
        return bad (r, "choice_lists", _ ("an object of named lists of choices"));
      members = json_object_get_members (lo);
      for (GList *l = members; l != NULL && ok; l = l->next)
        ok = read_choices (r, json_object_get_member (lo, l->data),
                           dft_form_ensure_choice_list (form, l->data));
      g_list_free (members);
      if (!ok)
        return FALSE;
    }
  n = json_object_get_member (o, "questions");
  if (n == NULL)
    {
      g_set_error_literal (&r->error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE,
                           _ ("The form has no “questions”."));
      return FALSE;
    }
  return read_questions (r, n, NULL, 0);
}

DftForm *
dft_form_new_from_json (const char *json, gssize length, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError)     local = NULL;
  g_autoptr (DftForm)    form = dft_form_new (NULL);
  JsonNode              *root;
  Reader                 r = { form, NULL, NULL };
  gboolean               ok;

  g_return_val_if_fail (json != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!json_parser_load_from_data (parser, json, length, &local))
    {
      g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE,
                   /* Translators: %s is the JSON parser's own message */
                   _ ("The form is not valid JSON: %s"), local->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE,
                           _ ("This JSON file is not a Daftari form: it does not say "
                              "“\"format\": \"daftari-form\"”."));
      return NULL;
    }
  /* default_language decides where plain-string texts go, so it is read first. */
  {
    JsonNode *dl = json_object_get_member (json_node_get_object (root), "default_language");

    if (dl != NULL && JSON_NODE_HOLDS_VALUE (dl) && json_node_get_value_type (dl) == G_TYPE_STRING)
      {
        g_free (form->default_language);
        form->default_language = g_strdup (json_node_get_string (dl));
      }
  }
  ok = read_form (&r, json_node_get_object (root));
  g_free (r.where);
  if (!ok)
    {
      g_propagate_error (error, r.error);
      return NULL;
    }
  if (form->default_language == NULL || form->default_language[0] == '\0')
    {
      g_free (form->default_language);
      form->default_language = g_strdup ("und");
    }
  if (form->languages->len == 0)
    dft_form_add_language (form, form->default_language, NULL);
  return g_steal_pointer (&form);
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
