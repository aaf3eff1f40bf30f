/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "dft-form-private.h"

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
      if (q->type == DFT_QUESTION_RANGE
          && (!isfinite (q->range_start) || !isfinite (q->range_end) || !isfinite (q->range_step)
              || q->range_step <= 0 || q->range_start == q->range_end
              || fabs (q->range_end - q->range_start) / q->range_step > 100000))
        {
          g_set_error (&p->error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                       /* Translators: %s names a question and its line */
                       _ ("The range %s needs a start and an end that differ and a step of more "
                          "than 0 that goes from one to the other in at most 100,000 steps."),
                       what);
          return FALSE;
        }
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
    case 8:
      *what = "choice_seed";
      return &q->choice_seed;
    default:
      /* Then each action's value and trigger. */
      if ((i - 9) / 2 >= q->actions->len)
        return NULL;
      {
        DftAction *a = g_ptr_array_index (q->actions, (i - 9) / 2);

        *what = (i - 9) % 2 == 1 ? "trigger" : a->setgeopoint ? "setgeopoint" : "setvalue";
        return (i - 9) % 2 == 0 ? &a->value : &a->trigger;
      }
    }
}

/* An action's trigger is a question the person answers (xforms-value-changed) or a repeat
 * (odk-new-repeat). */
static gboolean
check_triggers (Prep *p, DftQuestion *q)
{
  g_autofree char *what_q = describe (q);

  for (guint i = 0; i < q->actions->len; i++)
    {
      DftAction   *a = g_ptr_array_index (q->actions, i);
      DftQuestion *t
          = a->trigger != NULL ? g_hash_table_lookup (p->form->by_path, a->trigger) : NULL;
      gboolean ok = a->trigger == NULL;

      if (a->trigger == NULL && (a->events & DFT_EVENT_VALUE_CHANGED))
        {
          g_set_error (&p->error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                       /* Translators: %s names a question and its line; do not translate
                          xforms-value-changed */
                       _ ("The question %s is set on xforms-value-changed without saying which "
                          "question's change sets it."),
                       what_q);
          return FALSE;
        }
      /* Only a question with a control changes: not a calculation or data nobody fills. */
      if (t != NULL && (a->events & DFT_EVENT_VALUE_CHANGED))
        ok = dft_question_has_answer (t) && t->type != DFT_QUESTION_CALCULATE
             && t->type != DFT_QUESTION_METADATA;
      else if (t != NULL && (a->events & DFT_EVENT_NEW_REPEAT))
        ok = t->type == DFT_QUESTION_REPEAT;
      else if (t != NULL)
        ok = TRUE;
      if (ok)
        continue;
      if (a->events & DFT_EVENT_VALUE_CHANGED)
        g_set_error (&p->error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                     /* Translators: the first %s names a question and its line, the second
                        is a path like /data/age */
                     _ ("The question %s is set when %s changes, which is not a question to "
                        "answer of this form."),
                     what_q, a->trigger);
      else
        g_set_error (&p->error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                     /* Translators: the first %s names a question and its line, the second
                        is a path like /data/visits */
                     _ ("The question %s is set when %s gets a new instance, but that is not "
                        "a repeat of this form."),
                     what_q, a->trigger);
      return FALSE;
    }
  return TRUE;
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

/* The first id that a jr:itext('id') in @expr names and @form has no text for, or NULL. An id
 * worked out as the form runs (jr:itext(${code})) is looked up then, "" when missing. */
static char *
unknown_text_id (DftForm *form, const char *expr)
{
  for (const char *p = strstr (expr, "itext"); p != NULL; p = strstr (p + 1, "itext"))
    {
      const char      *s = p + strlen ("itext");
      const char      *end;
      g_autofree char *id = NULL;
      char             quote;

      if (p > expr && (g_ascii_isalnum (p[-1]) || p[-1] == '-' || p[-1] == '_' || p[-1] == '.'))
        continue;
      while (*s == ' ')
        s++;
      if (*s++ != '(')
        continue;
      while (*s == ' ')
        s++;
      quote = *s;
      if ((quote != '\'' && quote != '"') || (end = strchr (s + 1, quote)) == NULL)
        continue;
      id = g_strstrip (g_strndup (s + 1, end - s - 1));
      for (s = end + 1; *s == ' '; s++)
        ;
      if (*s == ')' && !g_hash_table_contains (form->texts, id))
        return g_steal_pointer (&id);
    }
  return NULL;
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
      g_autofree char   *missing = NULL;

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
      missing = unknown_text_id (p->form, canonical);
      if (missing != NULL)
        {
          g_set_error (&p->error, DFT_FORM_ERROR, DFT_FORM_ERROR_EXPRESSION,
                       /* Translators: the first %s names a question, the second is the kind
                          of expression ("calculate"), the third a text id; do not translate
                          jr:itext */
                       _ ("The question %s has a %s that reads the text “%s” with jr:itext(), "
                          "but the form has no text by that id."),
                       what_q, what, missing);
          return FALSE;
        }
      g_free (*slot);
      *slot = g_steal_pointer (&canonical);
    }
  return check_triggers (p, q);
}

/* Which fields each field's expressions read: @graph, which decides what to recompute, has
 * them all; @check, where cycles are refused, has only what a calculation, relevance,
 * requiredness or read-only state reads, as in JavaRosa, less a calculation's own value. Nothing
 * reads a constraint's or a choice filter's result, and a repeat count is taken when instances are
 * made (a count that counts the repeat's own instances is how forms say "one more"). */
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
          /* A field reading its own value is how constraints and choice filters work, and a
           * calculation that reads itself reads the value it had ("coalesce(., ${a})"). */
          if (target == q && (i == 0 || i >= 4))
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
  /* A setvalue run when a submission starts (and in each new instance of its own repeat) is
   * what a default expression does, and an XForm writes both alike. */
  for (guint i = 0; i < q->actions->len; i++)
    {
      DftAction *a = g_ptr_array_index (q->actions, i);

      if (a->setgeopoint || a->trigger != NULL || a->value == NULL
          || (a->events & ~(DFT_EVENT_INSTANCE_FIRST_LOAD | DFT_EVENT_NEW_REPEAT))
          || !(a->events & DFT_EVENT_INSTANCE_FIRST_LOAD) || q->default_expression != NULL
          || (!(a->events & DFT_EVENT_NEW_REPEAT) && _dft_action_repeat (q, a) != NULL))
        continue;
      q->default_expression = g_steal_pointer (&a->value);
      g_ptr_array_remove_index (q->actions, i--);
    }
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
  if (_dft_question_is_select (q))
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

/* Whether any of @questions, or of what they hold, is shown to the person filling in. */
static gboolean
shows_something (GPtrArray *questions)
{
  for (guint i = 0; i < questions->len; i++)
    {
      DftQuestion *q = g_ptr_array_index (questions, i);

      if (q->type == DFT_QUESTION_GROUP || q->type == DFT_QUESTION_REPEAT)
        {
          if (shows_something (q->children))
            return TRUE;
        }
      else if (q->type != DFT_QUESTION_CALCULATE && q->type != DFT_QUESTION_METADATA
               && q->type != DFT_QUESTION_UNSUPPORTED)
        return TRUE;
    }
  return FALSE;
}

/* Adds @message as a form-wide warning unless an earlier preparation added it. */
static void
warn_once (DftForm *form, const char *message)
{
  for (guint i = 0; i < form->warnings->len; i++)
    {
      DftFormWarning *w = g_ptr_array_index (form->warnings, i);

      if (w->name == NULL && g_strcmp0 (w->message, message) == 0)
        return;
    }
  dft_form_add_warning (form, 0, NULL, "%s", message);
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
  _dft_form_clear_prepared (form);
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
      _dft_form_clear_prepared (form);
      return FALSE;
    }
  /* The default language is always one of the form's languages. */
  dft_form_add_language (form, form->default_language, NULL);
  /* A form of metadata alone, or an XForm with an empty body, opens as in other engines. */
  if (!shows_something (form->questions))
    warn_once (form, _ ("The form has no question to show: it opens, but there is nothing to "
                        "fill in."));
  root = g_strdup_printf ("/%s", form->root_name);
  p.ctx = _dft_form_new_context (form, &local);
  if (p.ctx == NULL)
    {
      g_set_error_literal (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID, local->message);
      _dft_form_clear_prepared (form);
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
      _dft_form_clear_prepared (form);
      return FALSE;
    }
  form->graph = g_steal_pointer (&graph);
  form->prepared = TRUE;
  return TRUE;
}
