/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "forms/dft-expr.h"
#include "fuzz-target.h"

/*
 * The ODK expression parser (references, normalizing, localizing, ${name} expansion) and the
 * evaluation of what it accepts, with ODK's functions, against a small instance with a repeat.
 * The input is one expression; forms hold expressions as UTF-8 text without NUL.
 */

static DftExprContext *
make_context (void)
{
  static const char *const names[] = { "name", "label", "region", NULL };
  static const char *const values[] = { "osh", "Osh", "south", NULL };
  g_autoptr (GError)       error = NULL;
  DftExprContext          *ctx = dft_expr_context_new ("data", &error);

  g_assert_no_error (error);
  dft_expr_context_set (ctx, "/data/q1", "a b", &error);
  dft_expr_context_set (ctx, "/data/grp/q2", "3", &error);
  dft_expr_context_set (ctx, "/data/when", "2026-03-02", &error);
  dft_expr_context_set (ctx, "/data/rep[1]/x", "1", &error);
  dft_expr_context_set (ctx, "/data/rep[2]/x", "2", &error);
  g_assert_no_error (error);
  dft_expr_context_add_choice (ctx, "/data/q1", "a", "Alpha");
  dft_expr_context_add_instance_item (ctx, "cities", (const char *const *) names,
                                      (const char *const *) values);
  return ctx;
}

static void
evaluate (const char *expr)
{
  g_autoptr (DftExprContext) ctx = make_context ();
  g_autoptr (GError)         error = NULL;
  g_autofree char           *text = NULL;
  g_auto (GStrv)             strings = NULL;
  gboolean                   truth;
  double                     number;

  if (!dft_expr_context_check (ctx, expr, &error))
    return;
  text = dft_expr_eval_string (ctx, expr, "/data/rep[2]/x", NULL);
  strings = dft_expr_eval_strings (ctx, expr, "/data/grp/q2", NULL);
  dft_expr_eval_boolean (ctx, expr, NULL, &truth, NULL);
  dft_expr_eval_number (ctx, expr, "/data/rep[1]/x", &number, NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char       *expr = g_strndup ((const char *) data, size);
  g_autoptr (GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char       *normal = NULL;
  g_autofree char       *expanded = NULL;
  g_auto (GStrv)         refs = NULL;

  if (strlen (expr) != size || !g_utf8_validate (expr, -1, NULL))
    return 0;

  refs = dft_expr_references (expr, NULL);
  normal = dft_expr_normalize (expr, "/data/grp/q2", NULL);
  if (normal != NULL)
    {
      g_autofree char *again = dft_expr_normalize (normal, "/data/grp/q2", NULL);

      g_free (dft_expr_localize (normal, "/data/rep[2]/x", NULL));

      /* Normalized text is the form Daftari stores: normalizing it again changes nothing. */
      g_assert_cmpstr (again, ==, normal);
    }

  g_hash_table_insert (names, "q1", "/data/q1");
  g_hash_table_insert (names, "q2", "/data/grp/q2");
  g_hash_table_insert (names, "x", "/data/rep/x");
  g_hash_table_insert (names, "when", "/data/when");
  expanded = dft_expr_expand (expr, names, "/data/rep[2]/y", NULL);
  if (expanded != NULL)
    evaluate (expanded);
  return 0;
}
