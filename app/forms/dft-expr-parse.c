/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <libxml/tree.h>
#include <string.h>

#include "dft-expr-private.h"

/* ------------------------------------------------------------------------------------------ */
/* Tokens and a small recursive-descent parser.                                                */
/*                                                                                            */
/* libxml2 compiles and evaluates; this parser exists for what libxml2 cannot tell us: which   */
/* functions and paths an expression uses, and where ODK's number conversion must replace     */
/* XPath's. ODK converts date and dateTime strings to days for arithmetic and for <, <=, >,    */
/* >= (ODK XForms spec, "XPath Operators" and number()); libxml2's operators cannot be hooked, */
/* so each operand of those operators is rewritten into dft:num(operand).                     */
/* ------------------------------------------------------------------------------------------ */

typedef enum
{
  TOK_END,
  TOK_NAME,
  TOK_NUMBER,
  TOK_LITERAL,
  TOK_VAR,
  TOK_FIELD,
  TOK_OP,
} TokKind;

typedef struct
{
  TokKind kind;
  char   *text;
} Token;

static void
token_clear (gpointer data)
{
  Token *t = data;

  g_free (t->text);
}

gboolean
_dft_expr_syntax_error (GError **error, const char *expr, const char *why)
{
  g_set_error (error, DFT_EXPR_ERROR, DFT_EXPR_ERROR_SYNTAX,
               /* Translators: the first %s is a form expression, the second what is wrong */
               _ ("“%s” is not a valid expression: %s."), expr, why);
  return FALSE;
}

static gboolean
is_name_start (guchar c)
{
  return g_ascii_isalpha (c) || c == '_' || c >= 0x80;
}

static gboolean
is_name_char (guchar c)
{
  return is_name_start (c) || g_ascii_isdigit (c) || c == '.' || c == '-';
}

static const char *
scan_ncname (const char *s)
{
  if (!is_name_start ((guchar) *s))
    return s;
  while (is_name_char ((guchar) *s))
    s++;
  return s;
}

static void
push_token (GArray *toks, TokKind kind, const char *start, gsize len)
{
  Token t = { kind, g_strndup (start, len) };

  g_array_append_val (toks, t);
}

static GArray *
tokenize (const char *expr, GError **error)
{
  g_autoptr (GArray) toks = g_array_new (FALSE, TRUE, sizeof (Token));
  const char        *s = expr;

  g_array_set_clear_func (toks, token_clear);
  while (*s != '\0')
    {
      static const char *const ops[]
          = { "//", "::", "!=", "<=", ">=", "..", "/", "(", ")", "[", "]",
              "@",  ",",  "|",  "+",  "-",  "*",  "=", "<", ">", "." };
      const char *end;
      gboolean    matched = FALSE;

      if (g_ascii_isspace (*s))
        {
          s++;
          continue;
        }
      if (*s == '"' || *s == '\'')
        {
          end = strchr (s + 1, *s);
          if (end == NULL)
            {
              _dft_expr_syntax_error (error, expr, _ ("a string is not closed"));
              return NULL;
            }
          push_token (toks, TOK_LITERAL, s, end + 1 - s);
          s = end + 1;
          continue;
        }
      if (g_ascii_isdigit (*s) || (*s == '.' && g_ascii_isdigit (s[1])))
        {
          end = s;
          while (g_ascii_isdigit (*end))
            end++;
          if (*end == '.')
            end++;
          while (g_ascii_isdigit (*end))
            end++;
          push_token (toks, TOK_NUMBER, s, end - s);
          s = end;
          continue;
        }
      if (s[0] == '$' && s[1] == '{')
        {
          g_autofree char *name = NULL;

          end = strchr (s, '}');
          if (end == NULL)
            {
              _dft_expr_syntax_error (error, expr, _ ("a ${name} is not closed"));
              return NULL;
            }
          name = g_strstrip (g_strndup (s + 2, end - s - 2));
          push_token (toks, TOK_FIELD, name, strlen (name));
          s = end + 1;
          continue;
        }
      if (*s == '$' || is_name_start ((guchar) *s))
        {
          end = scan_ncname (*s == '$' ? s + 1 : s);
          if (end[0] == ':' && end[1] == '*')
            end += 2;
          else if (end[0] == ':' && end[1] != ':' && is_name_start ((guchar) end[1]))
            end = scan_ncname (end + 1);
          if (end == s + 1 && *s == '$')
            {
              _dft_expr_syntax_error (error, expr, _ ("“$” is not followed by a name"));
              return NULL;
            }
          push_token (toks, *s == '$' ? TOK_VAR : TOK_NAME, s, end - s);
          s = end;
          continue;
        }
      for (guint i = 0; i < G_N_ELEMENTS (ops) && !matched; i++)
        if (g_str_has_prefix (s, ops[i]))
          {
            push_token (toks, TOK_OP, s, strlen (ops[i]));
            s += strlen (ops[i]);
            matched = TRUE;
          }
      if (!matched)
        {
          g_autofree char *what = g_strndup (s, g_utf8_next_char (s) - s);
          g_autofree char *why =
              /* Translators: %s is one character of a form expression */
              g_strdup_printf (_ ("“%s” is not expected here"), what);

          _dft_expr_syntax_error (error, expr, why);
          return NULL;
        }
    }
  push_token (toks, TOK_END, "", 0);
  return g_steal_pointer (&toks);
}

typedef struct
{
  GArray     *toks;
  guint       pos;
  const char *expr;
  GPtrArray  *refs;  /* char *, in order, each once */
  GPtrArray  *funcs; /* char *, function QNames as written */
  GError    **error;
  /* dft_expr_normalize(): no dft:num() rewriting, and relative paths resolved against
   * @context (an absolute path without indexes) when it is set. */
  gboolean    canonical;
  const char *context;
  guint       depth; /* inside how many predicates */
  /* dft_expr_localize(): absolute paths outside predicates take this path's repeat indexes
   * where they share its repeats. */
  const char *localize;
} Parser;

static char *expand_one (const char *target, const char *current_path, GError **error);

static Token *
peek_at (Parser *p, guint ahead)
{
  guint i = MIN (p->pos + ahead, p->toks->len - 1);

  return &g_array_index (p->toks, Token, i);
}

static Token *
peek (Parser *p)
{
  return peek_at (p, 0);
}

static Token *
advance (Parser *p)
{
  Token *t = peek (p);

  if (t->kind != TOK_END)
    p->pos++;
  return t;
}

static gboolean
is_op (Token *t, const char *op)
{
  return t->kind == TOK_OP && strcmp (t->text, op) == 0;
}

static gboolean
is_word (Token *t, const char *word)
{
  return t->kind == TOK_NAME && strcmp (t->text, word) == 0;
}

static gboolean
unexpected (Parser *p)
{
  Token           *t = peek (p);
  g_autofree char *why = NULL;

  if (t->kind == TOK_END)
    return _dft_expr_syntax_error (p->error, p->expr, _ ("it ends too early"));
  /* Translators: %s is a word or sign of a form expression */
  why = g_strdup_printf (_ ("“%s” is not expected here"), t->text);
  return _dft_expr_syntax_error (p->error, p->expr, why);
}

static gboolean
expect (Parser *p, const char *op, GString *out)
{
  if (!is_op (peek (p), op))
    return unexpected (p);
  g_string_append (out, advance (p)->text);
  return TRUE;
}

static void
add_unique (GPtrArray *array, const char *s)
{
  for (guint i = 0; i < array->len; i++)
    if (strcmp (g_ptr_array_index (array, i), s) == 0)
      return;
  g_ptr_array_add (array, g_strdup (s));
}

/* A path is known only once its predicates are parsed, and they may hold paths of their own:
 * it goes where it started, so references stay in order of appearance. */
static void
add_unique_at (GPtrArray *array, guint index, const char *s)
{
  for (guint i = 0; i < array->len; i++)
    if (strcmp (g_ptr_array_index (array, i), s) == 0)
      return;
  g_ptr_array_insert (array, (gint) MIN (index, array->len), g_strdup (s));
}

static gboolean parse_expr (Parser *p, GString *out);

static gboolean
is_node_type (Token *t)
{
  return is_word (t, "node") || is_word (t, "text") || is_word (t, "comment")
         || is_word (t, "processing-instruction");
}

static gboolean
starts_step (Parser *p)
{
  Token *t = peek (p);

  if (is_op (t, ".") || is_op (t, "..") || is_op (t, "@") || is_op (t, "*"))
    return TRUE;
  return t->kind == TOK_NAME && (!is_op (peek_at (p, 1), "(") || is_node_type (t));
}

static gboolean
parse_predicates (Parser *p, GString *out)
{
  while (is_op (peek (p), "["))
    {
      gboolean ok;

      g_string_append (out, advance (p)->text);
      p->depth++;
      ok = parse_expr (p, out) && expect (p, "]", out);
      p->depth--;
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

static gboolean
parse_step (Parser *p, GString *out, GString *ref)
{
  Token *t = peek (p);

  if (is_op (t, ".") || is_op (t, ".."))
    {
      g_string_append (out, t->text);
      g_string_append (ref, advance (p)->text);
      return TRUE;
    }
  if (is_op (t, "@") || (t->kind == TOK_NAME && is_op (peek_at (p, 1), "::")))
    {
      g_string_append (out, t->text);
      g_string_append (ref, advance (p)->text);
      if (is_op (peek (p), "::"))
        {
          g_string_append (out, "::");
          g_string_append (ref, advance (p)->text);
        }
      t = peek (p);
    }
  if (t->kind == TOK_NAME && is_node_type (t) && is_op (peek_at (p, 1), "("))
    {
      g_string_append (out, t->text);
      g_string_append (ref, advance (p)->text);
      g_string_append (out, advance (p)->text);
      if (peek (p)->kind == TOK_LITERAL)
        g_string_append (out, advance (p)->text);
      if (!expect (p, ")", out))
        return FALSE;
      g_string_append (ref, "()");
    }
  else if (t->kind == TOK_NAME || is_op (t, "*"))
    {
      g_string_append (out, t->text);
      g_string_append (ref, advance (p)->text);
    }
  else
    return unexpected (p);
  return parse_predicates (p, out);
}

static gboolean
parse_relative (Parser *p, GString *out, GString *ref)
{
  if (!parse_step (p, out, ref))
    return FALSE;
  while (is_op (peek (p), "/") || is_op (peek (p), "//"))
    {
      g_string_append (out, peek (p)->text);
      g_string_append (ref, advance (p)->text);
      if (!parse_step (p, out, ref))
        return FALSE;
    }
  return TRUE;
}

static gboolean
parse_primary (Parser *p, GString *out)
{
  Token *t = peek (p);

  switch (t->kind)
    {
    case TOK_LITERAL:
    case TOK_NUMBER:
    case TOK_VAR:
      g_string_append (out, advance (p)->text);
      return TRUE;
    case TOK_FIELD:
      {
        g_autofree char *ref = g_strdup_printf ("${%s}", advance (p)->text);

        g_string_append (out, ref);
        add_unique (p->refs, ref);
        return TRUE;
      }
    case TOK_NAME:
      if (!is_op (peek_at (p, 1), "("))
        return unexpected (p);
      add_unique (p->funcs, t->text);
      g_string_append (out, advance (p)->text);
      g_string_append (out, advance (p)->text);
      if (!is_op (peek (p), ")"))
        {
          if (!parse_expr (p, out))
            return FALSE;
          while (is_op (peek (p), ","))
            {
              advance (p);
              g_string_append (out, ", ");
              if (!parse_expr (p, out))
                return FALSE;
            }
        }
      return expect (p, ")", out);
    case TOK_OP:
      if (is_op (t, "("))
        {
          g_string_append (out, advance (p)->text);
          return parse_expr (p, out) && expect (p, ")", out);
        }
      return unexpected (p);
    case TOK_END:
    default:
      return unexpected (p);
    }
}

/* Rewrites @path ("../x", ".././y", "./z") in place into an absolute path as seen from
 * @context ("/data/grp/q"); leaves it alone when it climbs above the root or has predicates. */
static void
resolve_relative (GString *path, const char *context)
{
  g_auto (GStrv)      here = g_strsplit (context + (context[0] == '/'), "/", -1);
  g_auto (GStrv)      steps = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  guint               depth = g_strv_length (here);
  guint               i;

  if (strchr (path->str, '[') != NULL || strstr (path->str, "//") != NULL || context[0] != '/')
    return;
  steps = g_strsplit (path->str, "/", -1);
  for (i = 0; steps[i] != NULL; i++)
    {
      if (strcmp (steps[i], "..") == 0)
        {
          if (depth <= 1)
            return;
          depth--;
        }
      else if (strcmp (steps[i], ".") != 0)
        break;
    }
  for (guint j = 0; j < depth; j++)
    g_string_append_printf (out, "/%s", here[j]);
  for (; steps[i] != NULL; i++)
    g_string_append_printf (out, "/%s", steps[i]);
  g_string_assign (path, out->str);
}

static gboolean
parse_path (Parser *p, GString *out)
{
  g_autoptr (GString) ref = g_string_new (NULL);
  Token              *t = peek (p);
  guint               start = p->refs->len;

  if (is_op (t, "/") || is_op (t, "//"))
    {
      gboolean slash = is_op (t, "/");

      g_autoptr (GString) abs = g_string_new (t->text);

      g_string_append (ref, advance (p)->text);
      /* A lone "/" is the document node. */
      if (slash && !starts_step (p))
        {
          g_string_append_len (out, abs->str, abs->len);
          return TRUE;
        }
      if (!parse_relative (p, abs, ref))
        return FALSE;
      if (p->localize != NULL && slash && p->depth == 0 && strchr (abs->str, '[') == NULL
          && strchr (abs->str, '.') == NULL && strchr (abs->str, '*') == NULL
          && strstr (abs->str, "//") == NULL && strstr (abs->str, "::") == NULL)
        {
          g_autofree char *local = expand_one (abs->str, p->localize, NULL);

          if (local != NULL)
            g_string_assign (abs, local);
        }
      /* Inside a predicate over a secondary instance, libxml2 takes "/" to be that
       * instance's root; ODK means the form's own data, which dft:doc() names. */
      if (!p->canonical && p->depth > 0)
        g_string_append (out, "dft:doc()");
      g_string_append_len (out, abs->str, abs->len);
      add_unique_at (p->refs, start, ref->str);
      return TRUE;
    }
  if (starts_step (p))
    {
      g_autoptr (GString) step = g_string_new (NULL);

      if (!parse_relative (p, step, ref))
        return FALSE;
      /* Only outside predicates: inside one, a relative path starts at the filtered node. */
      if (p->canonical && p->context != NULL && p->depth == 0 && g_str_has_prefix (step->str, ".."))
        resolve_relative (step, p->context);
      g_string_append_len (out, step->str, step->len);
      add_unique_at (p->refs, start, ref->str);
      return TRUE;
    }
  /* A filter expression: what follows it is relative to a computed node-set, not a field. */
  {
    gsize    mark = out->len;
    gboolean is_current = is_word (peek (p), "current") && is_op (peek_at (p, 1), "(")
                          && is_op (peek_at (p, 2), ")");

    if (!parse_primary (p, out) || !parse_predicates (p, out))
      return FALSE;
    if (is_op (peek (p), "/") || is_op (peek (p), "//"))
      {
        g_autoptr (GString) step = g_string_new (NULL);

        if (!is_op (peek (p), "/"))
          is_current = FALSE;
        g_string_append (step, advance (p)->text);
        if (!parse_relative (p, step, ref))
          return FALSE;
        /* current()/../x names a field of the form wherever it is written. */
        if (p->canonical && p->context != NULL && is_current && strchr (step->str, '[') == NULL)
          {
            g_string_prepend_c (step, '.');
            resolve_relative (step, p->context);
            g_string_truncate (out, mark);
            add_unique_at (p->refs, start, step->str);
          }
        g_string_append_len (out, step->str, step->len);
      }
  }
  return TRUE;
}

static gboolean
parse_union (Parser *p, GString *out)
{
  if (!parse_path (p, out))
    return FALSE;
  while (is_op (peek (p), "|"))
    {
      advance (p);
      g_string_append (out, " | ");
      if (!parse_path (p, out))
        return FALSE;
    }
  return TRUE;
}

static gboolean
parse_unary (Parser *p, GString *out)
{
  while (is_op (peek (p), "-"))
    g_string_append (out, advance (p)->text);
  return parse_union (p, out);
}

typedef gboolean (*ParseFunc) (Parser *p, GString *out);

static gboolean
is_one_of (Token *t, const char *const *ops)
{
  if (t->kind != TOK_OP && t->kind != TOK_NAME)
    return FALSE;
  return g_strv_contains (ops, t->text);
}

/* A level whose operators convert their operands to numbers: each operand becomes dft:num(…). */
static gboolean
parse_numeric_level (Parser *p, GString *out, ParseFunc operand, const char *const *ops)
{
  g_autoptr (GString) first = g_string_new (NULL);

  if (!operand (p, first))
    return FALSE;
  if (!is_one_of (peek (p), ops))
    {
      g_string_append_len (out, first->str, first->len);
      return TRUE;
    }
  g_string_append_printf (out, p->canonical ? "%s" : "dft:num(%s)", first->str);
  while (is_one_of (peek (p), ops))
    {
      g_autoptr (GString) next = g_string_new (NULL);

      g_string_append_printf (out, " %s ", advance (p)->text);
      if (!operand (p, next))
        return FALSE;
      g_string_append_printf (out, p->canonical ? "%s" : "dft:num(%s)", next->str);
    }
  return TRUE;
}

static gboolean
parse_multiplicative (Parser *p, GString *out)
{
  static const char *const ops[] = { "*", "div", "mod", NULL };

  return parse_numeric_level (p, out, parse_unary, ops);
}

static gboolean
parse_additive (Parser *p, GString *out)
{
  static const char *const ops[] = { "+", "-", NULL };

  return parse_numeric_level (p, out, parse_multiplicative, ops);
}

static gboolean
parse_relational (Parser *p, GString *out)
{
  static const char *const ops[] = { "<", "<=", ">", ">=", NULL };

  return parse_numeric_level (p, out, parse_additive, ops);
}

static gboolean
parse_plain_level (Parser *p, GString *out, ParseFunc operand, const char *const *ops)
{
  if (!operand (p, out))
    return FALSE;
  while (is_one_of (peek (p), ops))
    {
      g_string_append_printf (out, " %s ", advance (p)->text);
      if (!operand (p, out))
        return FALSE;
    }
  return TRUE;
}

static gboolean
parse_equality (Parser *p, GString *out)
{
  static const char *const ops[] = { "=", "!=", NULL };

  return parse_plain_level (p, out, parse_relational, ops);
}

static gboolean
parse_and (Parser *p, GString *out)
{
  static const char *const ops[] = { "and", NULL };

  return parse_plain_level (p, out, parse_equality, ops);
}

static gboolean
parse_expr (Parser *p, GString *out)
{
  static const char *const ops[] = { "or", NULL };

  return parse_plain_level (p, out, parse_and, ops);
}

/* Parses @expr; on success fills @out with the rewritten expression, @refs and @funcs. */
gboolean
_dft_expr_parse_all (
    const char *expr, GString *out, GPtrArray *refs, GPtrArray *funcs, GError **error)
{
  g_autoptr (GArray) toks = tokenize (expr, error);
  Parser             p = { 0 };

  if (toks == NULL)
    return FALSE;
  p.toks = toks;
  p.expr = expr;
  p.refs = refs;
  p.funcs = funcs;
  p.error = error;
  if (!parse_expr (&p, out))
    return FALSE;
  if (peek (&p)->kind != TOK_END)
    return unexpected (&p);
  return TRUE;
}

static char *
rewrite (const char *expr, const char *context_path, const char *localize, GError **error)
{
  g_autoptr (GArray)    toks = NULL;
  g_autoptr (GString)   out = g_string_new (NULL);
  g_autoptr (GPtrArray) refs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) funcs = g_ptr_array_new_with_free_func (g_free);
  Parser                p = { 0 };

  toks = tokenize (expr, error);
  if (toks == NULL)
    return NULL;
  p.toks = toks;
  p.expr = expr;
  p.refs = refs;
  p.funcs = funcs;
  p.error = error;
  p.canonical = TRUE;
  p.context = context_path;
  p.localize = localize;
  if (!parse_expr (&p, out))
    return NULL;
  if (peek (&p)->kind != TOK_END)
    return unexpected (&p), NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
dft_expr_localize (const char *expr, const char *current_path, GError **error)
{
  g_return_val_if_fail (expr != NULL, NULL);
  g_return_val_if_fail (current_path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return rewrite (expr, NULL, current_path, error);
}

char *
dft_expr_normalize (const char *expr, const char *context_path, GError **error)
{
  g_return_val_if_fail (expr != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return rewrite (expr, context_path, NULL, error);
}

GStrv
dft_expr_references (const char *expr, GError **error)
{
  g_autoptr (GString)   out = g_string_new (NULL);
  g_autoptr (GPtrArray) refs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) funcs = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (expr != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!_dft_expr_parse_all (expr, out, refs, funcs, error))
    return NULL;
  g_ptr_array_add (refs, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&refs), FALSE);
}

/* ------------------------------------------------------------------------------------------ */
/* Instance paths: /root/name[n]/name                                                          */
/* ------------------------------------------------------------------------------------------ */

typedef struct
{
  char *name;
  int   index; /* 1-based */
  char *text;  /* the step as written, "rep[2]" */
} PathStep;

static void
path_step_clear (gpointer data)
{
  PathStep *s = data;

  g_free (s->name);
  g_free (s->text);
}

static GArray *
split_path (const char *path, GError **error)
{
  g_autoptr (GArray) steps = g_array_new (FALSE, TRUE, sizeof (PathStep));
  g_auto (GStrv)     parts = NULL;

  g_array_set_clear_func (steps, path_step_clear);
  if (path == NULL || path[0] != '/' || path[1] == '\0')
    goto bad;
  parts = g_strsplit (path + 1, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      PathStep    step = { 0 };
      const char *bracket = strchr (parts[i], '[');
      char       *end = NULL;

      step.index = 1;
      step.name = bracket ? g_strndup (parts[i], bracket - parts[i]) : g_strdup (parts[i]);
      step.text = g_strdup (parts[i]);
      g_array_append_val (steps, step);
      if (xmlValidateNCName ((const xmlChar *) step.name, 0) != 0)
        goto bad;
      if (bracket != NULL)
        {
          gint64 n = g_ascii_strtoll (bracket + 1, &end, 10);

          if (end == bracket + 1 || strcmp (end, "]") != 0 || n < 1 || n > G_MAXINT)
            goto bad;
          g_array_index (steps, PathStep, steps->len - 1).index = (int) n;
        }
    }
  return g_steal_pointer (&steps);

bad:
  g_set_error (error, DFT_EXPR_ERROR, DFT_EXPR_ERROR_INVALID_PATH,
               /* Translators: %s is a path in a form's data, like /data/group/question */
               _ ("“%s” is not a path to a form field."), path ? path : "");
  return NULL;
}

xmlNodePtr
_dft_expr_nth_child (xmlNodePtr parent, const char *name, int index, xmlNodePtr *last_same)
{
  int n = 0;

  *last_same = NULL;
  for (xmlNodePtr c = parent->children; c != NULL; c = c->next)
    if (c->type == XML_ELEMENT_NODE && xmlStrEqual (c->name, (const xmlChar *) name))
      {
        *last_same = c;
        if (++n == index)
          return c;
      }
  return NULL;
}

xmlNodePtr
_dft_expr_find_node (DftExprContext *self, const char *path, gboolean create, GError **error)
{
  g_autoptr (GArray) steps = split_path (path, error);
  xmlNodePtr         node = xmlDocGetRootElement (self->doc);
  PathStep          *root;

  if (steps == NULL)
    return NULL;
  root = &g_array_index (steps, PathStep, 0);
  if (!xmlStrEqual (node->name, (const xmlChar *) root->name) || root->index != 1)
    {
      g_set_error (error, DFT_EXPR_ERROR, DFT_EXPR_ERROR_INVALID_PATH,
                   /* Translators: %s is a path in a form's data, like /data/group/question */
                   _ ("“%s” is not a path to a form field."), path);
      return NULL;
    }
  for (guint i = 1; i < steps->len; i++)
    {
      PathStep  *step = &g_array_index (steps, PathStep, i);
      xmlNodePtr last = NULL;
      xmlNodePtr child = _dft_expr_nth_child (node, step->name, step->index, &last);

      if (child == NULL && !create)
        return NULL;
      if (child == NULL)
        {
          int have = 0;

          for (xmlNodePtr c = node->children; c != NULL; c = c->next)
            if (c->type == XML_ELEMENT_NODE && xmlStrEqual (c->name, (const xmlChar *) step->name))
              have++;
          /* Missing repeat instances are added after the last one there is. */
          for (; have < step->index; have++)
            {
              xmlNodePtr fresh
                  = xmlNewDocNode (self->doc, NULL, (const xmlChar *) step->name, NULL);

              last = last ? xmlAddNextSibling (last, fresh) : xmlAddChild (node, fresh);
            }
          child = last;
        }
      node = child;
    }
  return node;
}

/* ------------------------------------------------------------------------------------------ */
/* ${name} expansion                                                                          */
/* ------------------------------------------------------------------------------------------ */

static char *
expand_one (const char *target, const char *current_path, GError **error)
{
  g_autoptr (GArray)  to = split_path (target, error);
  g_autoptr (GArray)  here = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  gboolean            shared = TRUE;

  if (to == NULL)
    return NULL;
  if (current_path != NULL && (here = split_path (current_path, error)) == NULL)
    return NULL;
  for (guint i = 0; i < to->len; i++)
    {
      PathStep *step = &g_array_index (to, PathStep, i);
      PathStep *mine = here && i < here->len ? &g_array_index (here, PathStep, i) : NULL;

      /* Steps shared with the current node's path take its repeat indexes. */
      shared = shared && mine != NULL && strcmp (mine->name, step->name) == 0;
      g_string_append_c (out, '/');
      g_string_append (out, shared ? mine->text : step->text);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
dft_expr_expand (const char *expr,
                 GHashTable *name_to_path,
                 const char *current_path,
                 GError    **error)
{
  g_autoptr (GString) out = g_string_new (NULL);
  const char         *s = expr;

  g_return_val_if_fail (expr != NULL, NULL);
  g_return_val_if_fail (name_to_path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  while (*s != '\0')
    {
      if (*s == '"' || *s == '\'')
        {
          const char *end = strchr (s + 1, *s);

          if (end == NULL)
            {
              _dft_expr_syntax_error (error, expr, _ ("a string is not closed"));
              return NULL;
            }
          g_string_append_len (out, s, end + 1 - s);
          s = end + 1;
        }
      else if (s[0] == '$' && s[1] == '{')
        {
          const char      *end = strchr (s, '}');
          g_autofree char *name = NULL;
          g_autofree char *path = NULL;
          const char      *target;

          if (end == NULL)
            {
              _dft_expr_syntax_error (error, expr, _ ("a ${name} is not closed"));
              return NULL;
            }
          name = g_strstrip (g_strndup (s + 2, end - s - 2));
          target = g_hash_table_lookup (name_to_path, name);
          if (target == NULL)
            {
              g_set_error (error, DFT_EXPR_ERROR, DFT_EXPR_ERROR_UNKNOWN_NAME,
                           /* Translators: the first %s is a field name, the second an expression */
                           _ ("There is no field named “%s” for “%s”."), name, expr);
              return NULL;
            }
          path = expand_one (target, current_path, error);
          if (path == NULL)
            return NULL;
          g_string_append (out, path);
          s = end + 1;
        }
      else
        g_string_append_c (out, *s++);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}
