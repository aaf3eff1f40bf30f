/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "dft-form-private.h"

#define FORMAT_NAME    "daftari-form"
#define FORMAT_VERSION 1

/* ------------------------------------------------------------------------------------------ */
/* JSON                                                                                       */
/* ------------------------------------------------------------------------------------------ */

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
  keys = _dft_form_sorted_keys (text);
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
          g_autoptr (GPtrArray) keys = _dft_form_sorted_keys (c->extra);

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
write_actions (JsonBuilder *b, GPtrArray *actions, DftFormJsonFlags flags)
{
  if (actions->len == 0)
    return;
  json_builder_set_member_name (b, "actions");
  json_builder_begin_array (b);
  for (guint i = 0; i < actions->len; i++)
    {
      DftAction       *a = g_ptr_array_index (actions, i);
      g_autofree char *events = dft_events_to_string (a->events);

      json_builder_begin_object (b);
      write_string (b, "action", a->setgeopoint ? "setgeopoint" : "setvalue");
      write_string (b, "event", events);
      write_string (b, "trigger", a->trigger);
      write_string (b, "value", a->value);
      if (a->source_line > 0 && !(flags & DFT_FORM_JSON_CANONICAL))
        {
          json_builder_set_member_name (b, "source_line");
          json_builder_add_int_value (b, a->source_line);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

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
  write_actions (b, q->actions, flags);
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
  if (q->choice_randomize)
    {
      json_builder_set_member_name (b, "choice_randomize");
      json_builder_add_boolean_value (b, TRUE);
    }
  write_string (b, "choice_seed", q->choice_seed);
  if (q->type == DFT_QUESTION_RANGE)
    {
      json_builder_set_member_name (b, "range_start");
      json_builder_add_double_value (b, q->range_start);
      json_builder_set_member_name (b, "range_end");
      json_builder_add_double_value (b, q->range_end);
      json_builder_set_member_name (b, "range_step");
      json_builder_add_double_value (b, q->range_step);
    }
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
      g_ptr_array_sort (codes, _dft_form_compare_strings);
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
      g_autoptr (GPtrArray) keys = _dft_form_sorted_keys (form->fallbacks);

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
  if (g_hash_table_size (form->texts) > 0)
    {
      g_autoptr (GPtrArray) keys = _dft_form_sorted_keys (form->texts);

      json_builder_set_member_name (b, "texts");
      json_builder_begin_object (b);
      for (guint i = 0; i < keys->len; i++)
        write_text (b, g_ptr_array_index (keys, i),
                    g_hash_table_lookup (form->texts, g_ptr_array_index (keys, i)), flags);
      json_builder_end_object (b);
    }
  if (!(flags & DFT_FORM_JSON_CANONICAL) && g_hash_table_size (form->choice_lists) > 0)
    {
      g_autoptr (GPtrArray) keys = _dft_form_sorted_keys (form->choice_lists);

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
          _dft_text_free (label);
          return bad (r, "choices", _ ("a list of choices"));
        }
      co = json_node_get_object (cn);
      if (!only_members (r, co, allowed) || !read_string (r, co, "value", &value)
          || !read_text (r, co, "label", label))
        {
          _dft_text_free (label);
          return FALSE;
        }
      if (value == NULL)
        {
          _dft_text_free (label);
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
read_actions (Reader *r, JsonObject *o, DftQuestion *q)
{
  static const char *const allowed[]
      = { "action", "event", "trigger", "value", "source_line", NULL };
  JsonNode  *n = json_object_get_member (o, "actions");
  JsonArray *array;

  if (n == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (n))
    /* Translators: a kind of JSON value, used in "“x” of … must be …" */
    return bad (r, "actions", _ ("a list of actions"));
  array = json_node_get_array (n);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode        *an = json_array_get_element (array, i);
      JsonObject      *ao;
      g_autofree char *kind = NULL;
      g_autofree char *names = NULL;
      g_autofree char *unknown = NULL;
      DftEvents        events;
      DftAction       *a;
      double           line = 0;

      if (!JSON_NODE_HOLDS_OBJECT (an))
        return bad (r, "actions", _ ("a list of actions"));
      ao = json_node_get_object (an);
      if (!only_members (r, ao, allowed) || !read_string (r, ao, "action", &kind)
          || !read_string (r, ao, "event", &names))
        return FALSE;
      if (kind != NULL && strcmp (kind, "setvalue") != 0 && strcmp (kind, "setgeopoint") != 0)
        /* Translators: a kind of JSON value, used in "“x” of … must be …"; do not translate
           the quoted words */
        return bad (r, "action", _ ("“setvalue” or “setgeopoint”"));
      events = dft_events_from_string (names, &unknown);
      if (events == 0 || unknown != NULL)
        /* Translators: a kind of JSON value, used in "“x” of … must be …"; do not translate
           the quoted words */
        return bad (r, "event",
                    _ ("events among “odk-instance-first-load”, "
                       "“odk-instance-load”, “odk-new-repeat” and "
                       "“xforms-value-changed”"));
      a = dft_question_add_action (q, events, g_strcmp0 (kind, "setgeopoint") == 0);
      if (!read_string (r, ao, "trigger", &a->trigger) || !read_string (r, ao, "value", &a->value)
          || !read_number (r, ao, "source_line", &line))
        return FALSE;
      a->source_line = line > 0 && line < G_MAXUINT ? (guint) line : 0;
    }
  return TRUE;
}

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
                                         "actions",
                                         "choices",
                                         "choice_filter",
                                         "choice_randomize",
                                         "choice_seed",
                                         "range_start",
                                         "range_end",
                                         "range_step",
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
      || !read_bool (r, o, "choice_randomize", &q->choice_randomize)
      || !read_string (r, o, "choice_seed", &q->choice_seed)
      || !read_number (r, o, "range_start", &q->range_start)
      || !read_number (r, o, "range_end", &q->range_end)
      || !read_number (r, o, "range_step", &q->range_step)
      || !read_string (r, o, "appearance", &q->appearance)
      || !read_string (r, o, "repeat_count", &q->repeat_count)
      || !read_bool (r, o, "page", &q->page) || !read_string (r, o, "preload", &q->preload)
      || !read_string (r, o, "unsupported_type", &q->unsupported_type)
      || !read_number (r, o, "points", &q->points)
      || !read_bool (r, o, "partial_credit", &q->partial_credit)
      || !read_number (r, o, "source_line", &line) || !read_actions (r, o, q))
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

/* Reads each member of the object @member of @o with @read_one (its name); none is fine. */
static gboolean
read_named (Reader     *r,
            JsonObject *o,
            const char *member,
            const char *expected,
            gboolean (*read_one) (Reader *r, JsonObject *parent, const char *name))
{
  JsonNode         *n = json_object_get_member (o, member);
  JsonObject       *named;
  g_autoptr (GList) members = NULL;

  if (n == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (n))
    return bad (r, member, expected);
  named = json_node_get_object (n);
  members = json_object_get_members (named);
  for (GList *l = members; l != NULL; l = l->next)
    if (!read_one (r, named, l->data))
      return FALSE;
  return TRUE;
}

static gboolean
read_list (Reader *r, JsonObject *parent, const char *name)
{
  return read_choices (r, json_object_get_member (parent, name),
                       dft_form_ensure_choice_list (r->form, name));
}

static gboolean
read_form_text (Reader *r, JsonObject *parent, const char *name)
{
  DftText *text = dft_text_new ();

  g_hash_table_replace (r->form->texts, g_strdup (name), text);
  return read_text (r, parent, name, text);
}

static gboolean
read_form (Reader *r, JsonObject *o)
{
  static const char *const allowed[]
      = { "format",    "format_version", "id",           "version",
          "title",     "kind",           "root",         "default_language",
          "languages", "fallbacks",      "pass_percent", "choice_lists",
          "questions", "phase",          "pairs_with",   "texts",
          NULL };
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
  /* Translators: a kind of JSON value, used in "“x” of … must be …" */
  if (!read_named (r, o, "choice_lists", _ ("an object of named lists of choices"), read_list)
      /* Translators: a kind of JSON value, used in "“x” of … must be …" */
      || !read_named (r, o, "texts", _ ("an object of text ids and texts"), read_form_text))
    return FALSE;
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
