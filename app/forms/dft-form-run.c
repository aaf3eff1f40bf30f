/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dft-form-private.h"
#include "dft-store-attachments.h"
#include "dft-form-run.h"

enum
{
  FLAG_IRRELEVANT = 1 << 0, /* its own relevant expression is false */
  FLAG_REQUIRED = 1 << 1,
  FLAG_READ_ONLY = 1 << 2,
};

struct _DftFormRun
{
  DftForm        *form;
  DftExprContext *ctx;
  GHashTable     *counts;    /* repeat base path ("/data/rep", "/data/o[1]/in") → count */
  GHashTable     *flags;     /* instance path → FLAG_* */
  GHashTable     *localized; /* "expr\x1fpath" → the expression for that instance */
  GHashTable     *metadata;  /* preload → value */
  GPtrArray      *order;     /* every question path, each after what it reads */
  GHashTable     *adjusting; /* repeat bases whose instances are being made or removed */
  /* Instance paths of suggested answers (dft_question_calculation_suggests()) the person
   * changed: their calculation no longer gives them. */
  GHashTable *edited;
  char       *lang; /* what jr:itext() reads: dft_form_run_set_language() */
  /* randomize()'s seed for choice lists shuffled without one: drawn once per run. */
  gint32 choice_seed;
};

/* "/data/rep[2]/x" → "/data/rep/x" */
static char *
strip_indexes (const char *path)
{
  GString *out = g_string_sized_new (strlen (path));

  for (const char *s = path; *s != '\0'; s++)
    {
      if (*s == '[')
        {
          while (*s != '\0' && *s != ']')
            s++;
          if (*s == '\0')
            break;
          continue;
        }
      g_string_append_c (out, *s);
    }
  return g_string_free (out, FALSE);
}

static gboolean
in_repeat (DftQuestion *q)
{
  for (DftQuestion *a = q->parent; a != NULL; a = a->parent)
    if (a->type == DFT_QUESTION_REPEAT)
      return TRUE;
  return FALSE;
}

/* The expression as it must be evaluated at @ipath (repeat indexes applied). */
static const char *
expr_at (DftFormRun *run, DftQuestion *q, const char *expr, const char *ipath)
{
  g_autofree char *key = NULL;
  char            *local;

  if (!in_repeat (q) && q->type != DFT_QUESTION_REPEAT)
    return expr;
  key = g_strdup_printf ("%s\x1f%s", expr, ipath);
  local = g_hash_table_lookup (run->localized, key);
  if (local == NULL)
    {
      local = dft_expr_localize (expr, ipath, NULL);
      if (local == NULL)
        local = g_strdup (expr);
      g_hash_table_insert (run->localized, g_steal_pointer (&key), local);
    }
  return local;
}

static gboolean
eval_bool (DftFormRun *run, DftQuestion *q, const char *expr, const char *ipath, gboolean fallback)
{
  g_autoptr (GError) error = NULL;
  gboolean           result = fallback;

  if (strcmp (expr, "true()") == 0)
    return TRUE;
  if (strcmp (expr, "false()") == 0)
    return FALSE;
  if (!dft_expr_eval_boolean (run->ctx, expr_at (run, q, expr, ipath), ipath, &result, &error))
    {
      /* A form may compute on answers not given yet (a date() of an empty string); ODK then
       * treats the expression as not holding, and so does Daftari, without failing. */
      g_debug ("%s: %s", q->path, error->message);
      return fallback;
    }
  return result;
}

/* ------------------------------------------------------------------------------------------ */
/* Instances                                                                                  */
/* ------------------------------------------------------------------------------------------ */

static GPtrArray *
instances_of (DftFormRun *run, DftQuestion *q)
{
  g_autoptr (GPtrArray) chain = g_ptr_array_new ();
  GPtrArray            *list = g_ptr_array_new_with_free_func (g_free);

  for (DftQuestion *a = q; a != NULL; a = a->parent)
    g_ptr_array_insert (chain, 0, a);
  g_ptr_array_add (list, g_strdup_printf ("/%s", run->form->root_name));
  for (guint c = 0; c < chain->len; c++)
    {
      DftQuestion *a = g_ptr_array_index (chain, c);
      GPtrArray   *next;

      if (a->name == NULL)
        continue;
      next = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; i < list->len; i++)
        {
          g_autofree char *base
              = g_strdup_printf ("%s/%s", (char *) g_ptr_array_index (list, i), a->name);

          if (a->type == DFT_QUESTION_REPEAT)
            {
              guint n = GPOINTER_TO_UINT (g_hash_table_lookup (run->counts, base));

              for (guint k = 1; k <= n; k++)
                g_ptr_array_add (next, g_strdup_printf ("%s[%u]", base, k));
            }
          else
            g_ptr_array_add (next, g_steal_pointer (&base));
        }
      g_ptr_array_unref (list);
      list = next;
    }
  return list;
}

GPtrArray *
dft_form_run_instances_of (DftFormRun *run, DftQuestion *question)
{
  g_return_val_if_fail (run != NULL && question != NULL, NULL);

  return instances_of (run, question);
}

static void recompute_field (DftFormRun *run, DftQuestion *q, const char *ipath);
static void run_actions (
    DftFormRun *run, DftEvents event, DftQuestion *trigger, const char *at, GPtrArray *changed);
static void create_children (DftFormRun *run, GPtrArray *children, const char *prefix);

/* The path of a question below an instance path of its parent. */
static char *
child_path (const char *prefix, DftQuestion *q)
{
  if (q->name == NULL)
    return g_strdup (prefix);
  return g_strdup_printf ("%s/%s", prefix, q->name);
}

static void
set_count (DftFormRun *run, const char *base, guint n)
{
  if (n == 0)
    g_hash_table_remove (run->counts, base);
  else
    g_hash_table_insert (run->counts, g_strdup (base), GUINT_TO_POINTER (n));
}

static guint
initial_count (DftFormRun *run, DftQuestion *repeat, const char *base)
{
  double n = 1;

  if (repeat->repeat_count != NULL)
    {
      g_autofree char *parent = g_path_get_dirname (base);

      if (!dft_expr_eval_number (run->ctx, expr_at (run, repeat, repeat->repeat_count, base),
                                 parent, &n, NULL)
          || !(n >= 0))
        n = 0;
      /* A fixed bound: a calculation gone wrong must not make a million pages. */
      n = MIN (n, 1000);
    }
  return (guint) n;
}

/* Creates the elements of one repeat instance (or the whole form) with their defaults. */
static void
create_question (DftFormRun *run, DftQuestion *q, const char *prefix)
{
  g_autofree char *path = child_path (prefix, q);

  switch (q->type)
    {
    case DFT_QUESTION_GROUP:
      create_children (run, q->children, path);
      break;
    case DFT_QUESTION_REPEAT:
      {
        guint n = initial_count (run, q, path);

        set_count (run, path, n);
        for (guint i = 1; i <= n; i++)
          {
            g_autofree char *instance = g_strdup_printf ("%s[%u]", path, i);

            create_children (run, q->children, instance);
          }
      }
      break;
    case DFT_QUESTION_NOTE:
    case DFT_QUESTION_UNSUPPORTED:
    case DFT_QUESTION_TEXT:
    case DFT_QUESTION_INTEGER:
    case DFT_QUESTION_DECIMAL:
    case DFT_QUESTION_DATE:
    case DFT_QUESTION_TIME:
    case DFT_QUESTION_DATETIME:
    case DFT_QUESTION_GEOPOINT:
    case DFT_QUESTION_GEOTRACE:
    case DFT_QUESTION_GEOSHAPE:
    case DFT_QUESTION_BARCODE:
    case DFT_QUESTION_IMAGE:
    case DFT_QUESTION_AUDIO:
    case DFT_QUESTION_VIDEO:
    case DFT_QUESTION_FILE:
    case DFT_QUESTION_RANGE:
    case DFT_QUESTION_SELECT_ONE:
    case DFT_QUESTION_SELECT_MULTIPLE:
    case DFT_QUESTION_LIKERT:
    case DFT_QUESTION_RANK:
    case DFT_QUESTION_ACKNOWLEDGE:
    case DFT_QUESTION_CALCULATE:
    case DFT_QUESTION_METADATA:
    default:
      {
        const char *value = q->default_value;

        if (q->type == DFT_QUESTION_METADATA && q->preload != NULL)
          value = g_hash_table_lookup (run->metadata, q->preload);
        dft_expr_context_set (run->ctx, path, value != NULL ? value : "", NULL);
      }
      break;
    }
}

static void
create_children (DftFormRun *run, GPtrArray *children, const char *prefix)
{
  for (guint i = 0; i < children->len; i++)
    create_question (run, g_ptr_array_index (children, i), prefix);
}

static gboolean
path_is_below (const char *path, const char *prefix)
{
  gsize n = strlen (prefix);

  return strncmp (path, prefix, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static void
recompute_question (DftFormRun *run, DftQuestion *q, const char *prefix, GPtrArray *changed);

/* Evaluates default expressions, then every field in dependency order; limited to instance
 * paths below @prefix when it is given (a new repeat instance). */
static void
compute_below (DftFormRun *run, const char *prefix, gboolean defaults)
{
  for (guint i = 0; defaults && i < run->order->len; i++)
    {
      DftQuestion          *q = dft_form_lookup_path (run->form, g_ptr_array_index (run->order, i));
      g_autoptr (GPtrArray) paths = NULL;

      if (q == NULL || q->default_expression == NULL)
        continue;
      paths = instances_of (run, q);
      for (guint k = 0; k < paths->len; k++)
        {
          const char      *ipath = g_ptr_array_index (paths, k);
          g_autofree char *value = NULL;

          if (prefix != NULL && !path_is_below (ipath, prefix))
            continue;
          value = dft_expr_eval_string (run->ctx, expr_at (run, q, q->default_expression, ipath),
                                        ipath, NULL);
          if (value != NULL)
            dft_expr_context_set (run->ctx, ipath, value, NULL);
        }
    }
  for (guint i = 0; i < run->order->len; i++)
    {
      DftQuestion *q = dft_form_lookup_path (run->form, g_ptr_array_index (run->order, i));

      if (q != NULL)
        recompute_question (run, q, prefix, NULL);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Evaluation                                                                                 */
/* ------------------------------------------------------------------------------------------ */

/* Makes the repeat at @base ("/data/rep", "/data/o[2]/in") hold as many instances as its
 * repeat_count says now. */
static gboolean
adjust_repeat (DftFormRun *run, DftQuestion *q, const char *base)
{
  guint have = GPOINTER_TO_UINT (g_hash_table_lookup (run->counts, base));
  guint want;

  /* A count that reads the repeat's own instances ("one more until the last says stop")
   * would chase itself: each repeat is adjusted once per change, as JavaRosa takes the count
   * once per visit. */
  if (g_hash_table_contains (run->adjusting, base))
    return FALSE;
  want = initial_count (run, q, base);
  if (have == want)
    return FALSE;
  g_hash_table_add (run->adjusting, g_strdup (base));
  while (have > want)
    {
      g_autofree char *last = g_strdup_printf ("%s[%u]", base, have);

      dft_expr_context_remove (run->ctx, last);
      set_count (run, base, --have);
    }
  while (have < want)
    {
      g_autofree char *fresh = g_strdup_printf ("%s[%u]", base, ++have);

      set_count (run, base, have);
      create_children (run, q->children, fresh);
      compute_below (run, fresh, TRUE);
      run_actions (run, DFT_EVENT_NEW_REPEAT, q, fresh, NULL);
    }
  g_hash_table_remove (run->adjusting, base);
  return TRUE;
}

/* The bases of a repeat: one per instance of what holds it. */
static GPtrArray *
repeat_bases (DftFormRun *run, DftQuestion *q)
{
  GPtrArray   *out = g_ptr_array_new_with_free_func (g_free);
  DftQuestion *holder = q->parent;

  while (holder != NULL && holder->name == NULL)
    holder = holder->parent;
  if (holder == NULL)
    g_ptr_array_add (out, g_strdup_printf ("/%s/%s", run->form->root_name, q->name));
  else
    {
      g_autoptr (GPtrArray) parents = instances_of (run, holder);

      for (guint i = 0; i < parents->len; i++)
        g_ptr_array_add (
            out, g_strdup_printf ("%s/%s", (char *) g_ptr_array_index (parents, i), q->name));
    }
  return out;
}

static void recompute_dependents (DftFormRun *run, DftQuestion *q, GPtrArray *changed);

/* Instances came or went: whatever reads the repeat or anything inside it, sum() and count()
 * included, is worked out again. */
static void
recompute_readers_of_repeat (DftFormRun *run, DftQuestion *q, GPtrArray *changed)
{
  recompute_dependents (run, q, changed);
  for (guint i = 0; i < q->children->len; i++)
    {
      DftQuestion *child = g_ptr_array_index (q->children, i);

      if (child->type == DFT_QUESTION_REPEAT || child->type == DFT_QUESTION_GROUP)
        recompute_readers_of_repeat (run, child, changed);
      else
        recompute_dependents (run, child, changed);
    }
}

/* Recomputes every instance of @q; a counted repeat first gets the number of instances its
 * count says. Instance paths go to @changed when given. */
static void
recompute_question (DftFormRun *run, DftQuestion *q, const char *prefix, GPtrArray *changed)
{
  g_autoptr (GPtrArray) paths = NULL;

  if (q->type == DFT_QUESTION_REPEAT && q->repeat_count != NULL)
    {
      g_autoptr (GPtrArray) bases = repeat_bases (run, q);

      gboolean reshaped = FALSE;

      for (guint i = 0; i < bases->len; i++)
        if (prefix == NULL || path_is_below (g_ptr_array_index (bases, i), prefix))
          reshaped |= adjust_repeat (run, q, g_ptr_array_index (bases, i));
      if (reshaped)
        recompute_readers_of_repeat (run, q, changed);
    }
  paths = instances_of (run, q);
  for (guint k = 0; k < paths->len; k++)
    {
      const char *ipath = g_ptr_array_index (paths, k);

      if (prefix != NULL && !path_is_below (ipath, prefix))
        continue;
      recompute_field (run, q, ipath);
      if (changed != NULL)
        g_ptr_array_add (changed, g_strdup (ipath));
    }
}

static void
recompute_field (DftFormRun *run, DftQuestion *q, const char *ipath)
{
  guint flags = 0;

  if (q->relevant != NULL && !eval_bool (run, q, q->relevant, ipath, TRUE))
    flags |= FLAG_IRRELEVANT;
  if (q->required != NULL && eval_bool (run, q, q->required, ipath, FALSE))
    flags |= FLAG_REQUIRED;
  if (q->read_only != NULL && eval_bool (run, q, q->read_only, ipath, FALSE))
    flags |= FLAG_READ_ONLY;
  if (flags != 0)
    g_hash_table_insert (run->flags, g_strdup (ipath), GUINT_TO_POINTER (flags));
  else
    g_hash_table_remove (run->flags, ipath);

  if (q->calculate != NULL && q->type != DFT_QUESTION_GROUP && q->type != DFT_QUESTION_REPEAT
      && !g_hash_table_contains (run->edited, ipath))
    {
      g_autoptr (GError) error = NULL;
      g_autofree char   *value
          = dft_expr_eval_string (run->ctx, expr_at (run, q, q->calculate, ipath), ipath, &error);

      if (value == NULL)
        g_debug ("%s: %s", q->path, error->message);
      dft_expr_context_set (run->ctx, ipath, value != NULL ? value : "", NULL);
    }
}

/* jr:itext(): the form's text of @id in the run's language, with the form's fallbacks. */
static const char *
text_of (const char *id, gpointer user_data)
{
  DftFormRun *run = user_data;

  return dft_form_text (run->form, g_hash_table_lookup (run->form->texts, id), run->lang, NULL);
}

DftFormRun *
dft_form_run_new (DftForm *form, GError **error)
{
  g_autoptr (DftFormRun) run = NULL;
  g_autoptr (GDateTime)  now = g_date_time_new_now_local ();

  g_return_val_if_fail (form != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!dft_form_prepare (form, error))
    return NULL;
  run = g_new0 (DftFormRun, 1);
  run->form = dft_form_ref (form);
  run->ctx = _dft_form_new_context (form, error);
  if (run->ctx == NULL)
    return NULL;
  run->counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  run->flags = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  run->localized = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  run->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  run->order = dft_expr_graph_order (form->graph);
  run->adjusting = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  run->choice_seed = g_random_int_range (1, G_MAXINT32);
  run->edited = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  run->lang = g_strdup (form->default_language);
  dft_expr_context_set_text_func (run->ctx, text_of, run);
  g_hash_table_insert (run->metadata, g_strdup ("start"),
                       g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.000%:z"));
  g_hash_table_insert (run->metadata, g_strdup ("today"), g_date_time_format (now, "%Y-%m-%d"));
  {
    g_autofree char *root = g_strdup_printf ("/%s", form->root_name);

    create_children (run, form->questions, root);
  }
  compute_below (run, NULL, TRUE);
  run_actions (run, DFT_EVENT_INSTANCE_FIRST_LOAD | DFT_EVENT_INSTANCE_LOAD, NULL, NULL, NULL);
  return g_steal_pointer (&run);
}

void
dft_form_run_free (DftFormRun *run)
{
  if (run == NULL)
    return;
  g_clear_pointer (&run->ctx, dft_expr_context_free);
  g_clear_pointer (&run->counts, g_hash_table_unref);
  g_clear_pointer (&run->flags, g_hash_table_unref);
  g_clear_pointer (&run->localized, g_hash_table_unref);
  g_clear_pointer (&run->metadata, g_hash_table_unref);
  g_clear_pointer (&run->order, g_ptr_array_unref);
  g_clear_pointer (&run->adjusting, g_hash_table_unref);
  g_clear_pointer (&run->edited, g_hash_table_unref);
  g_clear_pointer (&run->lang, g_free);
  g_clear_pointer (&run->form, dft_form_unref);
  g_free (run);
}

DftForm *
dft_form_run_get_form (DftFormRun *run)
{
  g_return_val_if_fail (run != NULL, NULL);
  return run->form;
}

void
dft_form_run_set_metadata (DftFormRun *run, const char *preload, const char *value)
{
  g_return_if_fail (run != NULL && preload != NULL);

  g_hash_table_insert (run->metadata, g_strdup (preload), g_strdup (value));
  for (guint i = 0; i < run->order->len; i++)
    {
      DftQuestion *q = dft_form_lookup_path (run->form, g_ptr_array_index (run->order, i));

      if (q != NULL && q->type == DFT_QUESTION_METADATA && g_strcmp0 (q->preload, preload) == 0)
        {
          g_autoptr (GPtrArray) paths = instances_of (run, q);

          for (guint k = 0; k < paths->len; k++)
            dft_expr_context_set (run->ctx, g_ptr_array_index (paths, k), value, NULL);
        }
    }
}

void
dft_form_run_set_language (DftFormRun *run, const char *lang)
{
  g_return_if_fail (run != NULL && lang != NULL);

  if (g_strcmp0 (run->lang, lang) == 0)
    return;
  g_free (run->lang);
  run->lang = g_strdup (lang);
  /* What jr:itext() gave may read otherwise now. */
  g_hash_table_remove_all (run->flags);
  compute_below (run, NULL, FALSE);
}

/* The question an instance path names, or NULL with an error. */
static DftQuestion *
question_at (DftFormRun *run, const char *path, GError **error)
{
  g_autofree char *plain = strip_indexes (path);
  DftQuestion     *q = dft_form_lookup_path (run->form, plain);

  if (q == NULL)
    g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                 /* Translators: %s is a path in a form, like /data/age */
                 _ ("“%s” is not a question of this form."), path);
  return q;
}

/* A geotrace or geoshape as typed or pasted from a GPS app, in ODK's form: points separated
 * by ";" or new lines become "lat lon[ alt[ acc]];…", numbers separated by spaces or commas
 * ("42.87, 74.59") one space apart. A comma between digits of a point written without a
 * decimal point ("42,87 74,59") may be a decimal comma: it is kept, for the check to refuse
 * rather than read as two numbers. Empty points (blank lines, a ";" at the end) go. */
static char *
normalize_geo_points (const char *value)
{
  g_auto (GStrv)      points = g_strsplit_set (value, ";\n\r", -1);
  g_autoptr (GString) out = g_string_new (NULL);

  for (guint i = 0; points[i] != NULL; i++)
    {
      gboolean            decimal_point = strchr (points[i], '.') != NULL;
      g_autoptr (GString) point = g_string_new (NULL);

      for (const char *p = points[i]; *p != '\0'; p++)
        {
          gboolean separator
              = g_ascii_isspace (*p)
                || (*p == ',' && (decimal_point || p[1] == '\0' || g_ascii_isspace (p[1])));

          if (!separator)
            g_string_append_c (point, *p);
          else if (point->len > 0 && point->str[point->len - 1] != ' ')
            g_string_append_c (point, ' ');
        }
      if (point->len > 0 && point->str[point->len - 1] == ' ')
        g_string_truncate (point, point->len - 1);
      if (point->len == 0)
        continue;
      if (out->len > 0)
        g_string_append_c (out, ';');
      g_string_append_len (out, point->str, point->len);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static char *
clean_value (DftQuestion *q, const char *value)
{
  if (value == NULL)
    return g_strdup ("");
  if (q->type == DFT_QUESTION_GEOTRACE || q->type == DFT_QUESTION_GEOSHAPE)
    return normalize_geo_points (value);
  if (q->type == DFT_QUESTION_SELECT_MULTIPLE || q->type == DFT_QUESTION_RANK)
    {
      g_auto (GStrv)      parts = g_strsplit_set (value, " \t\n", -1);
      g_autoptr (GString) out = g_string_new (NULL);

      for (guint i = 0; parts[i] != NULL; i++)
        if (parts[i][0] != '\0')
          {
            if (out->len > 0)
              g_string_append_c (out, ' ');
            g_string_append (out, parts[i]);
          }
      return g_string_free (g_steal_pointer (&out), FALSE);
    }
  if (q->type == DFT_QUESTION_TEXT || q->type == DFT_QUESTION_BARCODE)
    return g_strdup (value);
  return g_strstrip (g_strdup (value));
}

static void
recompute_dependents (DftFormRun *run, DftQuestion *q, GPtrArray *changed)
{
  g_autoptr (GPtrArray) deps = dft_expr_graph_dependents (run->form->graph, q->path);

  for (guint i = 0; i < deps->len; i++)
    {
      DftQuestion *d = dft_form_lookup_path (run->form, g_ptr_array_index (deps, i));

      if (d != NULL)
        recompute_question (run, d, NULL, changed);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Actions                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/* Whether the instance path @ipath ("/data/rep[2]/x") is one @local names: each step alike,
 * a step without an index in @local standing for every instance. */
static gboolean
instance_matches (const char *ipath, const char *local)
{
  g_auto (GStrv) a = g_strsplit (ipath, "/", -1);
  g_auto (GStrv) b = g_strsplit (local, "/", -1);

  if (g_strv_length (a) != g_strv_length (b))
    return FALSE;
  for (guint i = 0; a[i] != NULL; i++)
    if (strcmp (a[i], b[i]) != 0
        && (strchr (b[i], '[') != NULL || !g_str_has_prefix (a[i], b[i])
            || a[i][strlen (b[i])] != '['))
      return FALSE;
  return TRUE;
}

/* Sets @q as the setvalue @a says, in the instances that go with @at (the instance path of
 * what fired it; NULL: every instance), then works out what reads it. */
static void
run_action (DftFormRun *run, DftQuestion *q, DftAction *a, const char *at, GPtrArray *changed)
{
  g_autofree char      *local = at != NULL ? dft_expr_localize (q->path, at, NULL) : NULL;
  g_autoptr (GPtrArray) paths = NULL;
  gboolean              set = FALSE;

  /* setgeopoint would need a location: Daftari has none and leaves the answer as it is. */
  if (a->setgeopoint)
    return;
  paths = instances_of (run, q);
  for (guint k = 0; k < paths->len; k++)
    {
      const char        *ipath = g_ptr_array_index (paths, k);
      g_autoptr (GError) error = NULL;
      g_autofree char   *value = NULL;
      g_autofree char   *clean = NULL;

      if (local != NULL && !instance_matches (ipath, local))
        continue;
      if (a->value != NULL)
        value = dft_expr_eval_string (run->ctx, expr_at (run, q, a->value, ipath), ipath, &error);
      if (value == NULL && error != NULL)
        g_debug ("%s: %s", q->path, error->message);
      clean = clean_value (q, value);
      dft_expr_context_set (run->ctx, ipath, clean, NULL);
      if (changed != NULL)
        g_ptr_array_add (changed, g_strdup (ipath));
      set = TRUE;
    }
  if (set)
    recompute_dependents (run, q, changed);
}

typedef struct
{
  DftFormRun *run;
  const char *at;
  GPtrArray  *changed;
} ActionRun;

static void
run_fired_action (DftQuestion *q, DftAction *a, gpointer user_data)
{
  ActionRun *ar = user_data;

  run_action (ar->run, q, a, ar->at, ar->changed);
}

/* Runs the actions @event fires, in form order: loading (@trigger NULL), a new instance
 * @at of the repeat @trigger, or a change of @trigger's answer at @at. */
static void
run_actions (
    DftFormRun *run, DftEvents event, DftQuestion *trigger, const char *at, GPtrArray *changed)
{
  ActionRun ar = { run, at, changed };

  _dft_form_foreach_action (run->form, event, trigger != NULL ? trigger->path : NULL,
                            run_fired_action, &ar);
}

gboolean
dft_form_run_set_answer (
    DftFormRun *run, const char *path, const char *value, GPtrArray **changed, GError **error)
{
  DftQuestion     *q;
  g_autofree char *clean = NULL;
  g_autofree char *old = NULL;
  GPtrArray       *out = NULL;

  g_return_val_if_fail (run != NULL && path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (changed != NULL)
    *changed = NULL;
  q = question_at (run, path, error);
  if (q == NULL)
    return FALSE;
  if (!dft_question_has_answer (q) || q->type == DFT_QUESTION_CALCULATE
      || q->type == DFT_QUESTION_METADATA
      || (q->calculate != NULL && !dft_question_calculation_suggests (q))
      || dft_form_run_is_read_only (run, path))
    {
      g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                   /* Translators: %s is a question's name */
                   _ ("The question “%s” cannot be answered here: it is read-only or "
                      "calculated."),
                   q->name != NULL ? q->name : path);
      return FALSE;
    }
  old = dft_expr_context_get (run->ctx, path);
  if (old == NULL)
    {
      g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                   /* Translators: %s is a path in a form, like /data/rep[3]/age */
                   _ ("“%s” is not a question of this form."), path);
      return FALSE;
    }
  clean = clean_value (q, value);
  if (changed != NULL)
    {
      out = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (out, g_strdup (path));
      *changed = out;
    }
  if (strcmp (old, clean) == 0)
    return TRUE;
  if (!dft_expr_context_set (run->ctx, path, clean, error))
    return FALSE;
  /* From now on the person's answer stands where the calculation only suggested one. */
  if (q->calculate != NULL)
    g_hash_table_add (run->edited, g_strdup (path));
  recompute_dependents (run, q, out);
  run_actions (run, DFT_EVENT_VALUE_CHANGED, q, path, out);
  return TRUE;
}

char *
dft_form_run_get_answer (DftFormRun *run, const char *path)
{
  g_return_val_if_fail (run != NULL && path != NULL, NULL);

  if (question_at (run, path, NULL) == NULL)
    return NULL;
  return dft_expr_context_get (run->ctx, path);
}

static guint
flags_of (DftFormRun *run, const char *path)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (run->flags, path));
}

gboolean
dft_form_run_is_relevant (DftFormRun *run, const char *path)
{
  g_autofree char *p = NULL;

  g_return_val_if_fail (run != NULL && path != NULL, FALSE);

  /* Its own flag, then each enclosing element's. */
  p = g_strdup (path);
  while (strchr (p + 1, '/') != NULL)
    {
      if (flags_of (run, p) & FLAG_IRRELEVANT)
        return FALSE;
      *strrchr (p, '/') = '\0';
    }
  return TRUE;
}

gboolean
dft_form_run_is_required (DftFormRun *run, const char *path)
{
  g_return_val_if_fail (run != NULL && path != NULL, FALSE);
  return (flags_of (run, path) & FLAG_REQUIRED) != 0;
}

gboolean
dft_form_run_is_read_only (DftFormRun *run, const char *path)
{
  g_autofree char *p = NULL;

  g_return_val_if_fail (run != NULL && path != NULL, FALSE);

  /* A read-only group makes everything in it read-only, as in ODK. */
  p = g_strdup (path);
  while (strchr (p + 1, '/') != NULL)
    {
      if (flags_of (run, p) & FLAG_READ_ONLY)
        return TRUE;
      *strrchr (p, '/') = '\0';
    }
  return FALSE;
}

/* ------------------------------------------------------------------------------------------ */
/* Checks                                                                                     */
/* ------------------------------------------------------------------------------------------ */

static gboolean
is_integer (const char *s)
{
  gint64 v;

  return g_ascii_string_to_signed (s, 10, G_MININT64, G_MAXINT64, &v, NULL);
}

static gboolean
is_decimal (const char *s)
{
  char  *end = NULL;
  double v = g_ascii_strtod (s, &end);

  return end != s && *end == '\0' && isfinite (v);
}

static gboolean
is_date (const char *s)
{
  guint y, m, d;
  char  tail;

  if (sscanf (s, "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3 || strlen (s) != 10)
    return FALSE;
  return g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y);
}

static gboolean
is_time (const char *s)
{
  guint h, m, sec = 0;

  if (sscanf (s, "%2u:%2u:%2u", &h, &m, &sec) < 2)
    return FALSE;
  return h < 24 && m < 60 && sec < 61;
}

static gboolean
is_datetime (const char *s)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_iso8601 (s, NULL);

  return dt != NULL;
}

typedef enum
{
  GEO_OK,
  GEO_NOT_NUMBERS,
  GEO_LATITUDE,
  GEO_LONGITUDE,
  GEO_ACCURACY,
} GeoProblem;

/* ODK's geopoint: latitude and longitude in degrees, then optional altitude and accuracy in
 * metres; its latitude and longitude in @lat_lon. */
static GeoProblem
check_geopoint (const char *s, double lat_lon[2])
{
  g_auto (GStrv) parts = g_strsplit_set (s, " \t", -1);
  double         v[4];
  guint          n = 0;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (parts[i][0] == '\0')
        continue;
      if (n == 4 || !is_decimal (parts[i]))
        return GEO_NOT_NUMBERS;
      v[n++] = g_ascii_strtod (parts[i], NULL);
    }
  if (n < 2)
    return GEO_NOT_NUMBERS;
  if (fabs (v[0]) > 90)
    return GEO_LATITUDE;
  if (fabs (v[1]) > 180)
    return GEO_LONGITUDE;
  if (n == 4 && v[3] < 0)
    return GEO_ACCURACY;
  lat_lon[0] = v[0];
  lat_lon[1] = v[1];
  return GEO_OK;
}

static gboolean
is_geopoint (const char *s)
{
  double lat_lon[2];

  return check_geopoint (s, lat_lon) == GEO_OK;
}

/* What is wrong with a geotrace or geoshape (ODK's "lat lon [alt [accuracy]]" points
 * separated by ";"), naming the point; NULL when nothing is. A line needs two points, a
 * shape four with its last point its first again, as ODK Collect closes it. */
static char *
geo_points_problem (DftQuestionType type, const char *value)
{
  g_auto (GStrv) points = g_strsplit (value, ";", -1);
  double         first[2] = { 0, 0 }, last[2] = { 0, 0 };
  const char    *first_text = NULL;
  guint          n = 0;

  for (guint i = 0; points[i] != NULL; i++)
    {
      const char *point = g_strstrip (points[i]);

      if (point[0] == '\0')
        continue;
      n++;
      switch (check_geopoint (point, last))
        {
        case GEO_NOT_NUMBERS:
          /* Translators: %u is a point's number in a line or shape (1, 2…), %s the point as
             typed; keep the example's numbers as they are */
          return g_strdup_printf (_ ("Point %u (“%s”) is not a latitude and a longitude: write "
                                     "two to four numbers, with a point for decimals, for "
                                     "example 42.87 74.59."),
                                  n, point);
        case GEO_LATITUDE:
          /* Translators: %u is a point's number in a line or shape (1, 2…), %s the point */
          return g_strdup_printf (_ ("Point %u (“%s”) has a latitude outside −90 to 90."), n,
                                  point);
        case GEO_LONGITUDE:
          /* Translators: %u is a point's number in a line or shape (1, 2…), %s the point */
          return g_strdup_printf (_ ("Point %u (“%s”) has a longitude outside −180 to 180."), n,
                                  point);
        case GEO_ACCURACY:
          /* Translators: %u is a point's number in a line or shape (1, 2…), %s the point;
             its 4th number is the accuracy in metres */
          return g_strdup_printf (_ ("Point %u (“%s”) has a negative accuracy."), n, point);
        case GEO_OK:
        default:
          break;
        }
      if (first_text == NULL)
        {
          first_text = point;
          first[0] = last[0];
          first[1] = last[1];
        }
    }
  if (type == DFT_QUESTION_GEOTRACE && n < 2)
    return g_strdup (_ ("A line needs at least two points, one per line."));
  if (type == DFT_QUESTION_GEOSHAPE && n < 4)
    return g_strdup (_ ("A shape needs at least four points, one per line: three corners, then "
                        "the first point again to close it."));
  if (type == DFT_QUESTION_GEOSHAPE && (first[0] != last[0] || first[1] != last[1]))
    /* Translators: %s is the first point of a shape, as typed */
    return g_strdup_printf (_ ("The shape is not closed: end it with its first point again "
                               "(%s)."),
                            first_text);
  return NULL;
}

static gboolean
in_list (DftForm *form, DftQuestion *q, const char *value)
{
  DftChoiceList *list
      = q->choice_list ? g_hash_table_lookup (form->choice_lists, q->choice_list) : NULL;

  for (guint i = 0; list != NULL && i < list->choices->len; i++)
    if (strcmp (((DftChoice *) g_ptr_array_index (list->choices, i))->value, value) == 0)
      return TRUE;
  return FALSE;
}

/* Whether @v is one of the numbers the range @q offers. */
static gboolean
range_ok (const DftQuestion *q, double v)
{
  double low = MIN (q->range_start, q->range_end);
  double high = MAX (q->range_start, q->range_end);
  double steps = fabs (v - q->range_start) / q->range_step;
  double slack = 1e-9 * MAX (1.0, steps);

  return isfinite (v) && v >= low - slack * q->range_step && v <= high + slack * q->range_step
         && fabs (steps - round (steps)) <= slack;
}

static char *
range_number (double v)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  return g_strdup (g_ascii_formatd (buffer, sizeof buffer, "%.15g", v));
}

static gboolean
type_ok (DftForm *form, DftQuestion *q, const char *value, char **why)
{
  const char      *msg = NULL;
  g_autofree char *problem = NULL;

  switch (q->type)
    {
    case DFT_QUESTION_INTEGER:
      if (!is_integer (value))
        msg = _ ("Enter a whole number.");
      break;
    case DFT_QUESTION_DECIMAL:
      if (!is_decimal (value))
        msg = _ ("Enter a number, with a point for decimals.");
      break;
    case DFT_QUESTION_RANGE:
      if (!is_decimal (value) || !range_ok (q, g_ascii_strtod (value, NULL)))
        {
          g_autofree char *from = range_number (q->range_start);
          g_autofree char *to = range_number (q->range_end);
          g_autofree char *step = range_number (q->range_step);

          problem = g_strdup_printf (
              /* Translators: the numbers a range question takes: "from 1 to 10 in steps of 1" */
              _ ("Choose a number from %s to %s in steps of %s."), from, to, step);
          msg = problem;
        }
      break;
    case DFT_QUESTION_DATE:
      if (!is_date (value))
        msg = _ ("Enter a date as year-month-day, for example 2026-03-15.");
      break;
    case DFT_QUESTION_TIME:
      if (!is_time (value))
        msg = _ ("Enter a time as hours:minutes, for example 14:30.");
      break;
    case DFT_QUESTION_DATETIME:
      if (!is_datetime (value))
        msg = _ ("Enter a date and time, for example 2026-03-15T14:30.");
      break;
    case DFT_QUESTION_GEOPOINT:
      if (!is_geopoint (value))
        msg = _ ("Enter latitude and longitude in degrees, separated by a space, for example "
                 "42.87 74.59.");
      break;
    case DFT_QUESTION_GEOTRACE:
    case DFT_QUESTION_GEOSHAPE:
      msg = problem = geo_points_problem (q->type, value);
      break;
    case DFT_QUESTION_SELECT_ONE:
    case DFT_QUESTION_LIKERT:
      if (!in_list (form, q, value))
        msg = _ ("Choose one of the answers offered.");
      break;
    case DFT_QUESTION_SELECT_MULTIPLE:
      {
        g_auto (GStrv) parts = g_strsplit (value, " ", -1);

        for (guint i = 0; parts[i] != NULL && msg == NULL; i++)
          if (parts[i][0] != '\0' && !in_list (form, q, parts[i]))
            msg = _ ("Choose only among the answers offered.");
      }
      break;
    case DFT_QUESTION_IMAGE:
    case DFT_QUESTION_AUDIO:
    case DFT_QUESTION_VIDEO:
    case DFT_QUESTION_FILE:
      if (!dft_attachment_parse_answer (value, NULL))
        msg = _ ("Choose the file again: this answer does not name a kept file.");
      break;
    case DFT_QUESTION_TEXT:
    case DFT_QUESTION_BARCODE:
    case DFT_QUESTION_NOTE:
    case DFT_QUESTION_ACKNOWLEDGE:
    case DFT_QUESTION_CALCULATE:
    case DFT_QUESTION_METADATA:
    case DFT_QUESTION_GROUP:
    case DFT_QUESTION_REPEAT:
    case DFT_QUESTION_UNSUPPORTED:
    case DFT_QUESTION_RANK: /* rank_ok(), which needs the choices the filter leaves */
    default:
      break;
    }
  if (msg != NULL && why != NULL)
    *why = g_strdup (msg);
  return msg == NULL;
}

/* A rank orders every choice offered, each once: a value twice, one not offered or one left
 * out is no order. */
static gboolean
rank_ok (DftFormRun *run, const char *path, const char *value, char **why)
{
  g_autoptr (GPtrArray)  offered = dft_form_run_get_choices (run, path, NULL);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_auto (GStrv)         parts = g_strsplit (value, " ", -1);
  g_autoptr (GHashTable) allowed = g_hash_table_new (g_str_hash, g_str_equal);
  const char            *msg = NULL;

  for (guint i = 0; offered != NULL && i < offered->len; i++)
    g_hash_table_add (allowed, ((DftChoice *) g_ptr_array_index (offered, i))->value);
  for (guint i = 0; parts[i] != NULL && msg == NULL; i++)
    {
      if (parts[i][0] == '\0')
        continue;
      if (!g_hash_table_contains (allowed, parts[i]))
        msg = _ ("Order only the answers offered.");
      else if (!g_hash_table_add (seen, parts[i]))
        msg = _ ("Put each answer in the order once.");
    }
  if (msg == NULL && g_hash_table_size (seen) != g_hash_table_size (allowed))
    msg = _ ("Put every answer offered in the order.");
  if (msg != NULL && why != NULL)
    *why = g_strdup (msg);
  return msg == NULL;
}

gboolean
dft_form_run_check (
    DftFormRun *run, const char *path, const char *lang, gboolean for_finalize, char **message)
{
  DftQuestion     *q;
  g_autofree char *value = NULL;
  const char      *text;

  g_return_val_if_fail (run != NULL && path != NULL, FALSE);

  if (message != NULL)
    *message = NULL;
  q = question_at (run, path, NULL);
  if (q == NULL || !dft_question_has_answer (q) || !dft_form_run_is_relevant (run, path))
    return TRUE;
  value = dft_expr_context_get (run->ctx, path);
  if (value == NULL || value[0] == '\0')
    {
      if (!for_finalize || !dft_form_run_is_required (run, path))
        return TRUE;
      if (message != NULL)
        {
          text = dft_form_text (run->form, q->required_message, lang, NULL);
          *message = g_strdup (text != NULL ? text : _ ("This question needs an answer."));
        }
      return FALSE;
    }
  if (q->type == DFT_QUESTION_CALCULATE || q->type == DFT_QUESTION_METADATA)
    return TRUE;
  if (!type_ok (run->form, q, value, message))
    return FALSE;
  if (q->type == DFT_QUESTION_RANK && !rank_ok (run, path, value, message))
    return FALSE;
  if (q->constraint != NULL && !eval_bool (run, q, q->constraint, path, FALSE))
    {
      if (message != NULL)
        {
          text = dft_form_text (run->form, q->constraint_message, lang, NULL);
          *message = g_strdup (text != NULL ? text : _ ("This answer is not accepted."));
        }
      return FALSE;
    }
  return TRUE;
}

static void
problem_free (gpointer data)
{
  DftFormProblem *p = data;

  g_free (p->path);
  g_free (p->message);
  g_free (p);
}

static void
collect_problems (DftFormRun *run, GPtrArray *questions, const char *lang, GPtrArray *out)
{
  for (guint i = 0; i < questions->len; i++)
    {
      DftQuestion          *q = g_ptr_array_index (questions, i);
      g_autoptr (GPtrArray) paths = NULL;

      if (q->type == DFT_QUESTION_GROUP || q->type == DFT_QUESTION_REPEAT)
        {
          collect_problems (run, q->children, lang, out);
          continue;
        }
      paths = instances_of (run, q);
      for (guint k = 0; k < paths->len; k++)
        {
          char *message = NULL;

          if (!dft_form_run_check (run, g_ptr_array_index (paths, k), lang, TRUE, &message))
            {
              DftFormProblem *p = g_new0 (DftFormProblem, 1);

              p->path = g_strdup (g_ptr_array_index (paths, k));
              p->message = message;
              g_ptr_array_add (out, p);
            }
        }
    }
}

GPtrArray *
dft_form_run_problems (DftFormRun *run, const char *lang)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (problem_free);

  g_return_val_if_fail (run != NULL, out);

  collect_problems (run, run->form->questions, lang, out);
  return out;
}

/* Puts @choices (of @q's @list) in the order randomize() gives the list's items, with @q's
 * seed or the run's own. */
static gboolean
shuffle_choices (DftFormRun    *run,
                 DftQuestion   *q,
                 DftChoiceList *list,
                 const char    *path,
                 GPtrArray     *choices,
                 GError       **error)
{
  g_autofree char       *seed = NULL;
  g_autofree char       *query = NULL;
  g_auto (GStrv)         values = NULL;
  g_autoptr (GHashTable) by_value = g_hash_table_new (g_str_hash, g_str_equal);

  seed = q->choice_seed != NULL ? g_strdup (expr_at (run, q, q->choice_seed, path))
                                : g_strdup_printf ("%" G_GINT32_FORMAT, run->choice_seed);
  /* Only the items the filter keeps are shuffled, as in ODK's randomize(…/item[filter]). */
  query = g_strdup_printf ("randomize(instance('%s')/root/item%s%s%s/name, %s)", list->name,
                           q->choice_filter != NULL ? "[" : "",
                           q->choice_filter != NULL ? expr_at (run, q, q->choice_filter, path) : "",
                           q->choice_filter != NULL ? "]" : "", seed);
  values = dft_expr_eval_strings (run->ctx, query, path, error);
  if (values == NULL)
    return FALSE;
  for (guint i = 0; i < choices->len; i++)
    {
      DftChoice *c = g_ptr_array_index (choices, i);

      g_hash_table_insert (by_value, c->value, c);
    }
  g_ptr_array_set_size (choices, 0);
  for (guint i = 0; values[i] != NULL; i++)
    {
      DftChoice *c = g_hash_table_lookup (by_value, values[i]);

      if (c != NULL && g_hash_table_remove (by_value, values[i]))
        g_ptr_array_add (choices, c);
    }
  return TRUE;
}

static GPtrArray *get_choices_in_order (DftFormRun *run, const char *path, GError **error);

GPtrArray *
dft_form_run_get_choices (DftFormRun *run, const char *path, GError **error)
{
  GPtrArray     *out = get_choices_in_order (run, path, error);
  DftQuestion   *q = out != NULL ? question_at (run, path, NULL) : NULL;
  DftChoiceList *list;

  if (q == NULL || !q->choice_randomize || out->len == 0)
    return out;
  list = g_hash_table_lookup (run->form->choice_lists, q->choice_list);
  if (!shuffle_choices (run, q, list, path, out, error))
    g_clear_pointer (&out, g_ptr_array_unref);
  return out;
}

/* The choices of the question at @path its filter keeps, in the list's order. */
static GPtrArray *
get_choices_in_order (DftFormRun *run, const char *path, GError **error)
{
  DftQuestion           *q;
  DftChoiceList         *list;
  GPtrArray             *out;
  g_autoptr (GHashTable) keep = NULL;
  g_auto (GStrv)         values = NULL;
  g_autofree char       *query = NULL;

  g_return_val_if_fail (run != NULL && path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  q = question_at (run, path, error);
  if (q == NULL)
    return NULL;
  out = g_ptr_array_new ();
  list = q->choice_list ? g_hash_table_lookup (run->form->choice_lists, q->choice_list) : NULL;
  if (list == NULL)
    return out;
  if (q->choice_filter == NULL)
    {
      g_ptr_array_extend (out, list->choices, NULL, NULL);
      return out;
    }
  /* The filter is a predicate over the list's items, as ODK writes it into the itemset:
   * instance('list')/root/item[filter]. */
  query = g_strdup_printf ("instance('%s')/root/item[%s]/name", list->name,
                           expr_at (run, q, q->choice_filter, path));
  values = dft_expr_eval_strings (run->ctx, query, path, error);
  if (values == NULL)
    {
      g_ptr_array_unref (out);
      return NULL;
    }
  keep = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; values[i] != NULL; i++)
    g_hash_table_add (keep, values[i]);
  for (guint i = 0; i < list->choices->len; i++)
    {
      DftChoice *c = g_ptr_array_index (list->choices, i);

      if (g_hash_table_contains (keep, c->value))
        g_ptr_array_add (out, c);
    }
  return out;
}

/* ------------------------------------------------------------------------------------------ */
/* Repeats                                                                                    */
/* ------------------------------------------------------------------------------------------ */

static DftQuestion *
repeat_at (DftFormRun *run, const char *path, GError **error)
{
  DftQuestion *q = question_at (run, path, error);

  if (q != NULL && q->type != DFT_QUESTION_REPEAT)
    {
      g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                   /* Translators: %s is a path in a form */
                   _ ("“%s” is not a repeat."), path);
      return NULL;
    }
  return q;
}

guint
dft_form_run_count_instances (DftFormRun *run, const char *path)
{
  g_return_val_if_fail (run != NULL && path != NULL, 0);
  return GPOINTER_TO_UINT (g_hash_table_lookup (run->counts, path));
}

guint
dft_form_run_add_instance (DftFormRun *run, const char *path, GError **error)
{
  DftQuestion     *q;
  guint            n;
  g_autofree char *fresh = NULL;

  g_return_val_if_fail (run != NULL && path != NULL, 0);

  q = repeat_at (run, path, error);
  if (q == NULL)
    return 0;
  if (q->repeat_count != NULL)
    {
      g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                   /* Translators: %s is a question's name */
                   _ ("“%s” repeats a number of times the form sets; none can be added."), q->name);
      return 0;
    }
  n = dft_form_run_count_instances (run, path) + 1;
  set_count (run, path, n);
  fresh = g_strdup_printf ("%s[%u]", path, n);
  create_children (run, q->children, fresh);
  compute_below (run, fresh, TRUE);
  run_actions (run, DFT_EVENT_NEW_REPEAT, q, fresh, NULL);
  recompute_readers_of_repeat (run, q, NULL);
  return n;
}

/* Drops the keys of @table below instance @index of the repeat @base ("/data/rep") and moves
 * those of later instances one index down, each keeping its value. */
static void
renumber_after_removal (GHashTable *table, const char *base, guint index)
{
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray)    values = g_array_new (FALSE, FALSE, sizeof (gpointer));
  gsize                 n = strlen (base);
  GHashTableIter        iter;
  gpointer              key, value;

  /* Taken out first, then put back, so that a moved key never lands on one still to move. */
  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (strncmp (key, base, n) == 0 && ((char *) key)[n] == '[')
      {
        g_ptr_array_add (keys, g_strdup (key));
        g_array_append_val (values, value);
        g_hash_table_iter_remove (&iter);
      }
  for (guint i = 0; i < keys->len; i++)
    {
      const char *k = g_ptr_array_index (keys, i);
      guint       at = (guint) g_ascii_strtoull (k + n + 1, NULL, 10);
      const char *rest = strchr (k + n, ']');

      if (at < index)
        g_hash_table_insert (table, g_strdup (k), g_array_index (values, gpointer, i));
      else if (at > index && rest != NULL)
        g_hash_table_insert (table, g_strdup_printf ("%s[%u]%s", base, at - 1, rest + 1),
                             g_array_index (values, gpointer, i));
    }
}

gboolean
dft_form_run_remove_instance (DftFormRun *run, const char *path, guint index, GError **error)
{
  DftQuestion     *q;
  guint            n;
  g_autofree char *victim = NULL;

  g_return_val_if_fail (run != NULL && path != NULL, FALSE);

  q = repeat_at (run, path, error);
  if (q == NULL)
    return FALSE;
  n = dft_form_run_count_instances (run, path);
  if (index == 0 || index > n || q->repeat_count != NULL)
    {
      g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                   /* Translators: %u is a number, %s a path in a form */
                   _ ("There is no instance %u of “%s” to remove."), index, path);
      return FALSE;
    }
  victim = g_strdup_printf ("%s[%u]", path, index);
  dft_expr_context_remove (run->ctx, victim);
  set_count (run, path, n - 1);
  /* Indexes after the removed one moved: nested counts and edited answers below the repeat
   * follow their instance; cached states are recomputed rather than renumbered. */
  renumber_after_removal (run->counts, path, index);
  renumber_after_removal (run->edited, path, index);
  g_hash_table_remove_all (run->flags);
  compute_below (run, NULL, FALSE);
  return TRUE;
}

/* ------------------------------------------------------------------------------------------ */
/* JSON                                                                                       */
/* ------------------------------------------------------------------------------------------ */

static void
write_answers (DftFormRun *run, GPtrArray *questions, gboolean final, JsonBuilder *b)
{
  for (guint i = 0; i < questions->len; i++)
    {
      DftQuestion          *q = g_ptr_array_index (questions, i);
      g_autoptr (GPtrArray) paths = NULL;

      if (q->type == DFT_QUESTION_GROUP || q->type == DFT_QUESTION_REPEAT)
        {
          if (q->type == DFT_QUESTION_REPEAT)
            {
              /* Counts first, so that a reader makes the instances before filling them. */
              g_autoptr (GPtrArray)  parents = instances_of (run, q);
              g_autoptr (GHashTable) seen
                  = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

              for (guint k = 0; k < parents->len; k++)
                {
                  const char *ip = g_ptr_array_index (parents, k);
                  char       *base = g_strndup (ip, strrchr (ip, '[') - ip);

                  if (!g_hash_table_add (seen, base))
                    continue;
                  json_builder_set_member_name (b, base);
                  json_builder_add_int_value (b, dft_form_run_count_instances (run, base));
                }
            }
          write_answers (run, q->children, final, b);
          continue;
        }
      if (!dft_question_has_answer (q))
        continue;
      paths = instances_of (run, q);
      for (guint k = 0; k < paths->len; k++)
        {
          const char      *ipath = g_ptr_array_index (paths, k);
          g_autofree char *value = dft_expr_context_get (run->ctx, ipath);

          if (value == NULL || value[0] == '\0')
            continue;
          if (final && !dft_form_run_is_relevant (run, ipath))
            continue;
          json_builder_set_member_name (b, ipath);
          json_builder_add_string_value (b, value);
        }
    }
}

#define CHOICE_SEED_MEMBER "#choice-seed"

static gboolean
form_shuffles_unseeded (GPtrArray *questions)
{
  for (guint i = 0; questions != NULL && i < questions->len; i++)
    {
      DftQuestion *q = g_ptr_array_index (questions, i);

      if ((q->choice_randomize && q->choice_seed == NULL) || form_shuffles_unseeded (q->children))
        return TRUE;
    }
  return FALSE;
}

char *
dft_form_run_to_json (DftFormRun *run, gboolean final)
{
  g_autoptr (JsonBuilder)   b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode)      root = NULL;

  g_return_val_if_fail (run != NULL, NULL);

  if (final)
    {
      g_autoptr (GDateTime) now = g_date_time_new_now_local ();
      g_autofree char      *end = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.000%:z");

      dft_form_run_set_metadata (run, "end", end);
    }
  json_builder_begin_object (b);
  write_answers (run, run->form->questions, final, b);
  /* Choices shuffled without a seed of the form's own keep their order when the submission is
   * opened again: the run's seed is saved with it (a string, so no reader takes it for a
   * repeat's count; no question has this name). */
  if (form_shuffles_unseeded (run->form->questions))
    {
      g_autofree char *seed = g_strdup_printf ("%" G_GINT32_FORMAT, run->choice_seed);

      json_builder_set_member_name (b, CHOICE_SEED_MEMBER);
      json_builder_add_string_value (b, seed);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

static gint
by_depth (gconstpointer a, gconstpointer b)
{
  const char *pa = *(const char *const *) a;
  const char *pb = *(const char *const *) b;
  guint       da = 0, db = 0;

  for (const char *s = pa; *s; s++)
    da += *s == '/';
  for (const char *s = pb; *s; s++)
    db += *s == '/';
  return da != db ? (int) da - (int) db : strcmp (pa, pb);
}

gboolean
dft_form_run_load_json (DftFormRun *run, const char *json, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError)     local = NULL;
  g_autoptr (GPtrArray)  repeats = g_ptr_array_new ();
  g_autoptr (GPtrArray)  suggested = g_ptr_array_new ();
  g_autoptr (GList)      members = NULL;
  JsonObject            *o;
  JsonNode              *root;

  g_return_val_if_fail (run != NULL && json != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!json_parser_load_from_data (parser, json, -1, &local)
      || (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE,
                   /* Translators: %s is the reason */
                   _ ("The saved answers cannot be read: %s"),
                   local != NULL ? local->message : _ ("not a JSON object"));
      return FALSE;
    }
  o = json_node_get_object (root);
  members = json_object_get_members (o);
  /* Repeat counts, outer repeats first: each makes its instances with their defaults. */
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *n = json_object_get_member (o, l->data);

      if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_INT64)
        g_ptr_array_add (repeats, l->data);
    }
  g_ptr_array_sort (repeats, by_depth);
  for (guint i = 0; i < repeats->len; i++)
    {
      const char  *base = g_ptr_array_index (repeats, i);
      gint64       want = json_object_get_int_member (o, base);
      DftQuestion *q = repeat_at (run, base, NULL);
      guint        have;

      if (q == NULL || want < 0 || want > 10000)
        continue;
      have = dft_form_run_count_instances (run, base);
      for (; have < want; have++)
        {
          g_autofree char *fresh = g_strdup_printf ("%s[%u]", base, have + 1);

          set_count (run, base, have + 1);
          create_children (run, q->children, fresh);
        }
      for (; have > want; have--)
        {
          g_autofree char *last = g_strdup_printf ("%s[%u]", base, have);

          dft_expr_context_remove (run->ctx, last);
          set_count (run, base, have - 1);
        }
    }
  if (json_object_has_member (o, CHOICE_SEED_MEMBER))
    {
      const char *seed = json_object_get_string_member_with_default (o, CHOICE_SEED_MEMBER, "");
      gint64      value = 0;

      if (g_ascii_string_to_signed (seed, 10, 1, G_MAXINT32, &value, NULL))
        run->choice_seed = (gint32) value;
    }
  g_hash_table_remove_all (run->edited);
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode    *n = json_object_get_member (o, l->data);
      DftQuestion *q;

      if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
        continue;
      q = question_at (run, l->data, NULL);
      /* An answer to a question this version does not have is kept out, not an error: the
       * submission still shows what it can. */
      if (q == NULL || !dft_question_has_answer (q))
        continue;
      dft_expr_context_set (run->ctx, l->data, json_node_get_string (n), NULL);
      if (dft_question_calculation_suggests (q))
        g_ptr_array_add (suggested, l->data);
    }
  g_hash_table_remove_all (run->flags);
  compute_below (run, NULL, FALSE);
  /* A suggested answer saved with another value than its calculation gives was the person's:
   * it stands again, and what reads it is worked out anew. */
  for (guint i = 0; i < suggested->len; i++)
    {
      const char      *path = g_ptr_array_index (suggested, i);
      const char      *saved = json_object_get_string_member (o, path);
      g_autofree char *now = dft_expr_context_get (run->ctx, path);

      if (g_strcmp0 (now, saved) == 0)
        continue;
      g_hash_table_add (run->edited, g_strdup (path));
      dft_expr_context_set (run->ctx, path, saved, NULL);
    }
  if (g_hash_table_size (run->edited) > 0)
    {
      g_hash_table_remove_all (run->flags);
      compute_below (run, NULL, FALSE);
    }
  return TRUE;
}

gboolean
dft_form_run_open_draft (DftFormRun *run, const char *json, GError **error)
{
  g_return_val_if_fail (run != NULL && json != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!dft_form_run_load_json (run, json, error))
    return FALSE;
  /* Opening a draft is odk-instance-load, never odk-instance-first-load. */
  run_actions (run, DFT_EVENT_INSTANCE_LOAD, NULL, NULL, NULL);
  return TRUE;
}
