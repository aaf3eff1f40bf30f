/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * ODK expressions (XPath 1.0 plus ODK's functions) evaluated with libxml2's XPath engine against
 * an XML instance document such as
 *   <data><q1>a</q1><grp><q2>3</q2></grp><rep><x>1</x></rep><rep><x>2</x></rep></data>
 *
 * Answers are element text; an empty answer is an empty string, as in ODK. Expressions given to
 * the dft_expr_eval_*() functions are plain XPath: run ${name} references through
 * dft_expr_expand() first.
 */

#define DFT_EXPR_ERROR (dft_expr_error_quark ())

typedef enum
{
  DFT_EXPR_ERROR_SYNTAX,           /* the expression does not compile */
  DFT_EXPR_ERROR_UNKNOWN_FUNCTION, /* it calls a function nobody registered */
  DFT_EXPR_ERROR_UNKNOWN_NAME,     /* a ${name} missing from the name map */
  DFT_EXPR_ERROR_CYCLE,            /* fields that depend on themselves */
  DFT_EXPR_ERROR_EVAL,             /* evaluation failed: bad regex, bad date, wrong arity */
  DFT_EXPR_ERROR_INVALID_PATH,     /* an instance path that is not /root/name[n]/... */
} DftExprError;

GQuark dft_expr_error_quark (void);

/* An instance document plus an XPath context with ODK's functions registered, without and
 * with the "jr" prefix (http://openrosa.org/javarosa). Compiled expressions are cached. */
typedef struct _DftExprContext DftExprContext;

DftExprContext *dft_expr_context_new (const char *root_name, GError **error);
void            dft_expr_context_free (DftExprContext *ctx);

/* @path is absolute, "/data/grp/q2"; a repeat instance is "/data/rep[2]/x" (a missing index
 * means 1). set creates missing elements, repeat instances included, and replaces the text of
 * the last one. get returns NULL when the element does not exist and "" when it is empty. */
gboolean
dft_expr_context_set (DftExprContext *ctx, const char *path, const char *value, GError **error);
char *dft_expr_context_get (DftExprContext *ctx, const char *path);
/* Removes the element at @path with everything in it (a repeat instance); later instances
 * move up one index. Nothing happens when it does not exist. */
void dft_expr_context_remove (DftExprContext *ctx, const char *path);

/* Labels for jr:choice-name(value, 'path'). The form engine registers each select question's
 * choices under the question's absolute path ("/data/country") as @list: the second argument
 * of jr:choice-name is that path as a string (surrounding spaces, as pyxform writes them,
 * are ignored). */
void dft_expr_context_add_choice (DftExprContext *ctx,
                                  const char     *list,
                                  const char     *value,
                                  const char     *label);

/* Texts for jr:itext('id'): @func gives the text of an id in the current language (with the
 * form's fallbacks), or NULL when there is none; jr:itext() then gives "". Without a function
 * every id gives "". @user_data must outlive the context. */
typedef const char *(*DftExprTextFunc) (const char *id, gpointer user_data);
void dft_expr_context_set_text_func (DftExprContext *ctx, DftExprTextFunc func, gpointer user_data);

/* Secondary instances for instance('id')/root/item[…]: each call adds one <item> whose
 * children are @names (NULL-terminated) with @values (parallel). The form engine registers
 * every choice list this way (children "name", "label" and the list's extra columns), so
 * choice filters run as XPath predicates. */
void dft_expr_context_add_instance_item (DftExprContext    *ctx,
                                         const char        *instance_id,
                                         const char *const *names,
                                         const char *const *values);

/* @expr written the one way Daftari stores expressions: tokens spaced alike ("a+ b" and
 * "a + b" give "a + b"), and, when @context_path (absolute, no indexes) is given, relative
 * paths outside predicates ("../x") and current()/… paths made absolute. An expression
 * written in an XLSForm and the one pyxform writes for it normalize to the same text once
 * ${name} is expanded. */
char *dft_expr_normalize (const char *expr, const char *context_path, GError **error);

/* @expr (normalized, absolute paths) made ready to evaluate at @current_path ("/data/rep[2]/y"):
 * absolute paths outside predicates that share repeats with it take its indexes, so
 * "/data/rep/x" there means "/data/rep[2]/x" while sum(/data/rep/x) from outside the repeat
 * still means every instance. */
char *dft_expr_localize (const char *expr, const char *current_path, GError **error);

/* Rewrites every ${name} outside string literals into its path from @name_to_path (name →
 * absolute path without indexes, "/data/rep/x"). When @current_path (the node the expression
 * belongs to, with indexes: "/data/rep[2]/y") shares repeats with the target, the shared steps
 * take the current path's indexes, so ${x} inside a repeat means the same instance
 * ("/data/rep[2]/x") while sum(${x}) outside it still means all instances. */
char *dft_expr_expand (const char *expr,
                       GHashTable *name_to_path,
                       const char *current_path,
                       GError    **error);

/* Evaluate with "." = @current_path (created if missing; NULL means the root element).
 * string: XPath string() of the result, numbers in plain decimal with the fewest digits that
 * read back as the same double ("10000000000", "0.000001", "0.3333333333333333"), except that
 * NaN gives "" (a calculation over an empty answer stores nothing, as in JavaRosa). boolean: XPath
 * boolean(). number: ODK number(), which also turns "YYYY-MM-DD" into days since 1970-01-01 and a
 * dateTime into decimal days. */
char *dft_expr_eval_string (DftExprContext *ctx,
                            const char     *expr,
                            const char     *current_path,
                            GError        **error);
/* Compiles @expr (plain XPath) without evaluating it: syntax and unknown functions. */
gboolean dft_expr_context_check (DftExprContext *ctx, const char *expr, GError **error);

/* The string value of each node the expression selects (for a non-node-set result, its
 * string as the only element). */
GStrv    dft_expr_eval_strings (DftExprContext *ctx,
                                const char     *expr,
                                const char     *current_path,
                                GError        **error);
gboolean dft_expr_eval_boolean (DftExprContext *ctx,
                                const char     *expr,
                                const char     *current_path,
                                gboolean       *result,
                                GError        **error);
gboolean dft_expr_eval_number (DftExprContext *ctx,
                               const char     *expr,
                               const char     *current_path,
                               double         *result,
                               GError        **error);

/* What @expr reads, in order of first appearance, each once: "${name}" as written, and
 * location paths without their predicates ("/data/rep/x" for /data/rep[2]/x); references
 * inside predicates are listed too. Relative paths ("../x", ".") are returned as written for
 * the caller to resolve against the node the expression belongs to. */
GStrv dft_expr_references (const char *expr, GError **error);

/* Which fields to recompute. dft_expr_graph_add (g, field, reads) records that @field's
 * expressions read @depends_on (NULL-terminated; fields may be added more than once). */
typedef struct _DftExprGraph DftExprGraph;

DftExprGraph *dft_expr_graph_new (void);
void          dft_expr_graph_free (DftExprGraph *g);
void dft_expr_graph_add (DftExprGraph *g, const char *field, const char *const *depends_on);
/* Fails with DFT_EXPR_ERROR_CYCLE naming the fields of the first cycle found, each reading the
 * next: "a → b → c → a". */
gboolean dft_expr_graph_check (DftExprGraph *g, GError **error);
/* The fields that read @changed, directly or not, each after the fields it reads (a topological
 * order; ties in the order fields were added). @changed itself is not included. Element type:
 * char *, owned by the array. */
GPtrArray *dft_expr_graph_dependents (DftExprGraph *g, const char *changed);
/* Every field, each after the fields it reads (the graph must have passed check()). */
GPtrArray *dft_expr_graph_order (DftExprGraph *g);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftExprContext, dft_expr_context_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftExprGraph, dft_expr_graph_free)

G_END_DECLS
