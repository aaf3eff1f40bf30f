/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "dft-expr.h"

/* ------------------------------------------------------------------------------------------ */
/* Dependency graph                                                                           */
/* ------------------------------------------------------------------------------------------ */

typedef struct
{
  char      *name;
  guint      order;
  GPtrArray *reads; /* GraphNode *, unowned */
} GraphNode;

struct _DftExprGraph
{
  GHashTable *nodes; /* name → GraphNode * */
  GPtrArray  *order; /* GraphNode *, owned, in order of appearance */
};

static void
graph_node_free (gpointer data)
{
  GraphNode *n = data;

  g_free (n->name);
  g_ptr_array_unref (n->reads);
  g_free (n);
}

DftExprGraph *
dft_expr_graph_new (void)
{
  DftExprGraph *g = g_new0 (DftExprGraph, 1);

  g->nodes = g_hash_table_new (g_str_hash, g_str_equal);
  g->order = g_ptr_array_new_with_free_func (graph_node_free);
  return g;
}

void
dft_expr_graph_free (DftExprGraph *g)
{
  if (g == NULL)
    return;
  g_hash_table_unref (g->nodes);
  g_ptr_array_unref (g->order);
  g_free (g);
}

static GraphNode *
graph_node (DftExprGraph *g, const char *name)
{
  GraphNode *n = g_hash_table_lookup (g->nodes, name);

  if (n == NULL)
    {
      n = g_new0 (GraphNode, 1);
      n->name = g_strdup (name);
      n->order = g->order->len;
      n->reads = g_ptr_array_new ();
      g_ptr_array_add (g->order, n);
      g_hash_table_insert (g->nodes, n->name, n);
    }
  return n;
}

void
dft_expr_graph_add (DftExprGraph *g, const char *field, const char *const *depends_on)
{
  GraphNode *n;

  g_return_if_fail (g != NULL);
  g_return_if_fail (field != NULL);

  n = graph_node (g, field);
  for (guint i = 0; depends_on != NULL && depends_on[i] != NULL; i++)
    {
      GraphNode *d = graph_node (g, depends_on[i]);

      if (!g_ptr_array_find (n->reads, d, NULL))
        g_ptr_array_add (n->reads, d);
    }
}

enum
{
  WHITE,
  GREY,
  BLACK
};

/* Depth-first along "reads"; @stack holds the grey path. Returns the node closing a cycle. */
static GraphNode *
find_cycle (GraphNode *n, guint8 *color, GPtrArray *stack)
{
  color[n->order] = GREY;
  g_ptr_array_add (stack, n);
  for (guint i = 0; i < n->reads->len; i++)
    {
      GraphNode *d = g_ptr_array_index (n->reads, i);
      GraphNode *found;

      if (color[d->order] == GREY)
        return d;
      if (color[d->order] == WHITE && (found = find_cycle (d, color, stack)) != NULL)
        return found;
    }
  color[n->order] = BLACK;
  g_ptr_array_remove_index (stack, stack->len - 1);
  return NULL;
}

gboolean
dft_expr_graph_check (DftExprGraph *g, GError **error)
{
  g_autofree guint8    *color = NULL;
  g_autoptr (GPtrArray) stack = g_ptr_array_new ();

  g_return_val_if_fail (g != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  color = g_new0 (guint8, g->order->len + 1);
  for (guint i = 0; i < g->order->len; i++)
    {
      GraphNode *start = g_ptr_array_index (g->order, i);
      GraphNode *closing;

      if (color[start->order] != WHITE)
        continue;
      closing = find_cycle (start, color, stack);
      if (closing != NULL)
        {
          g_autoptr (GString) names = g_string_new (NULL);
          guint               from = 0;

          g_ptr_array_find (stack, closing, &from);
          for (guint j = from; j < stack->len; j++)
            {
              g_string_append (names, ((GraphNode *) g_ptr_array_index (stack, j))->name);
              g_string_append (names, " → ");
            }
          g_string_append (names, closing->name);
          g_set_error (error, DFT_EXPR_ERROR, DFT_EXPR_ERROR_CYCLE,
                       /* Translators: %s lists fields that depend on each other, "a → b → a" */
                       _ ("These fields depend on themselves: %s."), names->str);
          return FALSE;
        }
    }
  return TRUE;
}

static void
visit_dependents (GraphNode *n, guint8 *state, GPtrArray *out)
{
  /* state: 1 = reads the changed field, 2 = placed in @out. */
  state[n->order] = 2;
  for (guint i = 0; i < n->reads->len; i++)
    {
      GraphNode *d = g_ptr_array_index (n->reads, i);

      if (state[d->order] == 1)
        visit_dependents (d, state, out);
    }
  g_ptr_array_add (out, g_strdup (n->name));
}

static void
visit_all (GraphNode *n, guint8 *placed, GPtrArray *out)
{
  placed[n->order] = 1;
  for (guint i = 0; i < n->reads->len; i++)
    {
      GraphNode *d = g_ptr_array_index (n->reads, i);

      if (!placed[d->order])
        visit_all (d, placed, out);
    }
  g_ptr_array_add (out, g_strdup (n->name));
}

GPtrArray *
dft_expr_graph_order (DftExprGraph *g)
{
  g_autofree guint8 *placed = NULL;
  GPtrArray         *out = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (g != NULL, out);

  placed = g_new0 (guint8, g->order->len + 1);
  for (guint i = 0; i < g->order->len; i++)
    {
      GraphNode *n = g_ptr_array_index (g->order, i);

      if (!placed[n->order])
        visit_all (n, placed, out);
    }
  return out;
}

GPtrArray *
dft_expr_graph_dependents (DftExprGraph *g, const char *changed)
{
  g_autofree guint8 *state = NULL;
  GPtrArray         *out = g_ptr_array_new_with_free_func (g_free);
  GraphNode         *start;
  gboolean           grew = TRUE;

  g_return_val_if_fail (g != NULL, out);
  g_return_val_if_fail (changed != NULL, out);

  start = g_hash_table_lookup (g->nodes, changed);
  if (start == NULL)
    return out;
  /* Mark every field that reads @changed, directly or through others. */
  state = g_new0 (guint8, g->order->len + 1);
  while (grew)
    {
      grew = FALSE;
      for (guint i = 0; i < g->order->len; i++)
        {
          GraphNode *n = g_ptr_array_index (g->order, i);

          if (state[n->order] != 0 || n == start)
            continue;
          for (guint j = 0; j < n->reads->len; j++)
            {
              GraphNode *d = g_ptr_array_index (n->reads, j);

              if (d == start || state[d->order] == 1)
                {
                  state[n->order] = 1;
                  grew = TRUE;
                  break;
                }
            }
        }
    }
  /* Then place each after what it reads. */
  for (guint i = 0; i < g->order->len; i++)
    {
      GraphNode *n = g_ptr_array_index (g->order, i);

      if (state[n->order] == 1)
        visit_dependents (n, state, out);
    }
  return out;
}
