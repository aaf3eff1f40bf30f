/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <fcntl.h>
#include <glib-unix.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "dft-test-util.h"
#include "forms/dft-expr.h"

static DftExprContext *
new_context (void)
{
  g_autoptr (GError) error = NULL;
  DftExprContext    *ctx = dft_expr_context_new ("data", &error);

  g_assert_no_error (error);
  g_assert_nonnull (ctx);
  return ctx;
}

static void
set (DftExprContext *ctx, const char *path, const char *value)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (dft_expr_context_set (ctx, path, value, &error));
  g_assert_no_error (error);
}

static char *
eval_string (DftExprContext *ctx, const char *expr, const char *current)
{
  g_autoptr (GError) error = NULL;
  char              *s = dft_expr_eval_string (ctx, expr, current, &error);

  g_assert_no_error (error);
  g_assert_nonnull (s);
  return s;
}

static gboolean
eval_boolean (DftExprContext *ctx, const char *expr, const char *current)
{
  g_autoptr (GError) error = NULL;
  gboolean           result = FALSE;

  g_assert_true (dft_expr_eval_boolean (ctx, expr, current, &result, &error));
  g_assert_no_error (error);
  return result;
}

static double
eval_number (DftExprContext *ctx, const char *expr, const char *current)
{
  g_autoptr (GError) error = NULL;
  double             result = 0;

  g_assert_true (dft_expr_eval_number (ctx, expr, current, &result, &error));
  g_assert_no_error (error);
  return result;
}

#define assert_string(ctx, expr, current, expected)                                                \
  G_STMT_START                                                                                     \
  {                                                                                                \
    g_autofree char *s_ = eval_string (ctx, expr, current);                                        \
    g_assert_cmpstr (s_, ==, expected);                                                            \
  }                                                                                                \
  G_STMT_END

static GHashTable *
name_map (void)
{
  GHashTable *map = g_hash_table_new (g_str_hash, g_str_equal);

  g_hash_table_insert (map, "consent", "/data/consent");
  g_hash_table_insert (map, "age", "/data/age");
  g_hash_table_insert (map, "topics", "/data/topics");
  g_hash_table_insert (map, "pre", "/data/scores/pre");
  g_hash_table_insert (map, "post", "/data/scores/post");
  g_hash_table_insert (map, "score", "/data/score");
  g_hash_table_insert (map, "nickname", "/data/nickname");
  g_hash_table_insert (map, "given_name", "/data/given_name");
  g_hash_table_insert (map, "phone", "/data/phone");
  g_hash_table_insert (map, "country", "/data/country");
  g_hash_table_insert (map, "x", "/data/rep/x");
  g_hash_table_insert (map, "y", "/data/rep/y");
  return map;
}

/* Expands ${name} with name_map() and evaluates the result as a string. */
static char *
eval_named (DftExprContext *ctx, const char *expr, const char *current)
{
  g_autoptr (GHashTable) map = name_map ();
  g_autoptr (GError)     error = NULL;
  g_autofree char       *xpath = dft_expr_expand (expr, map, current, &error);

  g_assert_no_error (error);
  return eval_string (ctx, xpath, current);
}

static void
test_context_set_get (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();
  g_autoptr (GError)         error = NULL;
  g_autofree char           *q1 = NULL;
  g_autofree char           *q2 = NULL;
  g_autofree char           *first = NULL;
  g_autofree char           *second = NULL;
  g_autofree char           *missing = NULL;

  set (ctx, "/data/q1", "a & <b>");
  set (ctx, "/data/grp/q2", "3");
  set (ctx, "/data/rep[2]/x", "two");
  q1 = dft_expr_context_get (ctx, "/data/q1");
  g_assert_cmpstr (q1, ==, "a & <b>");
  q2 = dft_expr_context_get (ctx, "/data/grp/q2");
  g_assert_cmpstr (q2, ==, "3");
  /* Setting the second instance creates the first, empty. */
  first = dft_expr_context_get (ctx, "/data/rep[1]");
  g_assert_cmpstr (first, ==, "");
  second = dft_expr_context_get (ctx, "/data/rep[2]/x");
  g_assert_cmpstr (second, ==, "two");
  missing = dft_expr_context_get (ctx, "/data/rep[3]/x");
  g_assert_null (missing);
  g_assert_cmpfloat (eval_number (ctx, "count(/data/rep)", NULL), ==, 2);

  set (ctx, "/data/q1", "");
  assert_string (ctx, "/data/q1", NULL, "");

  g_assert_false (dft_expr_context_set (ctx, "/other/q1", "x", &error));
  g_assert_error (error, DFT_EXPR_ERROR, DFT_EXPR_ERROR_INVALID_PATH);
  g_clear_error (&error);
  g_assert_false (dft_expr_context_set (ctx, "/data/rep[0]/x", "x", &error));
  g_assert_error (error, DFT_EXPR_ERROR, DFT_EXPR_ERROR_INVALID_PATH);
  g_clear_error (&error);
  g_assert_false (dft_expr_context_set (ctx, "data/q1", "x", &error));
  g_assert_error (error, DFT_EXPR_ERROR, DFT_EXPR_ERROR_INVALID_PATH);
}

static void
test_skip_logic (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();
  g_autoptr (GHashTable)     map = name_map ();
  g_autoptr (GError)         error = NULL;
  g_autofree char *relevant = dft_expr_expand ("${consent} = 'yes'", map, "/data/age", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (relevant, ==, "/data/consent = 'yes'");
  set (ctx, "/data/consent", "");
  g_assert_false (eval_boolean (ctx, relevant, "/data/age"));
  set (ctx, "/data/consent", "yes");
  g_assert_true (eval_boolean (ctx, relevant, "/data/age"));
  set (ctx, "/data/consent", "no");
  g_assert_false (eval_boolean (ctx, relevant, "/data/age"));
  g_assert_true (eval_boolean (ctx, "not(/data/consent = 'yes')", NULL));
}

static void
test_constraint (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();
  const char                *constraint = ". >= 18 and . <= 99";

  set (ctx, "/data/age", "17");
  g_assert_false (eval_boolean (ctx, constraint, "/data/age"));
  set (ctx, "/data/age", "18");
  g_assert_true (eval_boolean (ctx, constraint, "/data/age"));
  set (ctx, "/data/age", "99");
  g_assert_true (eval_boolean (ctx, constraint, "/data/age"));
  set (ctx, "/data/age", "100");
  g_assert_false (eval_boolean (ctx, constraint, "/data/age"));
  /* An empty answer is an empty string: no comparison with it holds. */
  set (ctx, "/data/age", "");
  g_assert_false (eval_boolean (ctx, constraint, "/data/age"));
  g_assert_false (eval_boolean (ctx, "/data/age > 18", NULL));
  g_assert_false (eval_boolean (ctx, "/data/age < 18", NULL));
  g_assert_true (eval_boolean (ctx, "/data/age = ''", NULL));
  g_assert_true (eval_boolean (ctx, "string-length(/data/age) = 0", NULL));
}

static void
test_selects (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();
  g_autofree char           *one = NULL;
  g_autofree char           *two = NULL;

  set (ctx, "/data/topics", "aml cyber");
  one = eval_named (ctx, "selected(${topics}, 'aml')", NULL);
  g_assert_cmpstr (one, ==, "true");
  g_assert_false (eval_boolean (ctx, "selected(/data/topics, 'am')", NULL));
  g_assert_false (eval_boolean (ctx, "selected(/data/topics, '')", NULL));
  g_assert_true (eval_boolean (ctx, "jr:selected(/data/topics, 'cyber')", NULL));
  two = eval_named (ctx, "count-selected(${topics}) >= 2", NULL);
  g_assert_cmpstr (two, ==, "true");
  set (ctx, "/data/topics", "  aml  ");
  g_assert_cmpfloat (eval_number (ctx, "count-selected(/data/topics)", NULL), ==, 1);
  assert_string (ctx, "selected-at(/data/topics, 0)", NULL, "aml");
  set (ctx, "/data/topics", "");
  g_assert_cmpfloat (eval_number (ctx, "count-selected(/data/topics)", NULL), ==, 0);
  g_assert_false (eval_boolean (ctx, "selected(/data/topics, 'aml')", NULL));
}

static void
test_calculate (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();
  g_autofree char           *gain = NULL;
  g_autofree char           *empty = NULL;
  g_autofree char           *pass = NULL;
  g_autofree char           *fail = NULL;
  g_autofree char           *name = NULL;
  g_autofree char           *nick = NULL;

  set (ctx, "/data/scores/pre", "9");
  set (ctx, "/data/scores/post", "17.5");
  gain = eval_named (ctx, "${post} - ${pre}", NULL);
  g_assert_cmpstr (gain, ==, "8.5");
  set (ctx, "/data/scores/pre", "");
  /* A calculation over an empty answer stores nothing rather than "NaN". */
  empty = eval_named (ctx, "${post} - ${pre}", NULL);
  g_assert_cmpstr (empty, ==, "");

  set (ctx, "/data/score", "16");
  pass = eval_named (ctx, "if(${score} >= 16, 'pass', 'fail')", NULL);
  g_assert_cmpstr (pass, ==, "pass");
  set (ctx, "/data/score", "15");
  fail = eval_named (ctx, "if(${score} >= 16, 'pass', 'fail')", NULL);
  g_assert_cmpstr (fail, ==, "fail");

  set (ctx, "/data/nickname", "");
  set (ctx, "/data/given_name", "Amina");
  name = eval_named (ctx, "coalesce(${nickname}, ${given_name})", NULL);
  g_assert_cmpstr (name, ==, "Amina");
  set (ctx, "/data/nickname", "Mina");
  nick = eval_named (ctx, "coalesce(${nickname}, ${given_name})", NULL);
  g_assert_cmpstr (nick, ==, "Mina");

  assert_string (ctx, "concat('a', 'b', 3)", NULL, "ab3");
  assert_string (ctx, "concat(/data/nickname)", NULL, "Mina");
  g_assert_cmpfloat (eval_number (ctx, "string-length('Amina')", NULL), ==, 5);
  g_assert_cmpfloat (eval_number (ctx, "7 mod 3 + 2 * 3 - 10 div 4", NULL), ==, 4.5);
  g_assert_cmpfloat (eval_number (ctx, "number('12.5')", NULL), ==, 12.5);
  g_assert_true (isnan (eval_number (ctx, "number('abc')", NULL)));
  g_assert_true (eval_boolean (ctx, "boolean-from-string('true')", NULL));
}

static void
test_regex (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();
  g_autoptr (GError)         error = NULL;
  const char                *constraint = "regex(${phone}, '^\\+?[0-9 ]{7,15}$')";
  gboolean                   result = TRUE;
  g_autofree char           *good = NULL;
  g_autofree char           *bad = NULL;

  set (ctx, "/data/phone", "+255 712 345 678");
  good = eval_named (ctx, constraint, NULL);
  g_assert_cmpstr (good, ==, "true");
  set (ctx, "/data/phone", "call me");
  bad = eval_named (ctx, constraint, NULL);
  g_assert_cmpstr (bad, ==, "false");
  /* Whole-value matching, as JavaRosa's Pattern.matches. */
  g_assert_false (eval_boolean (ctx, "regex('abc123', '[0-9]+')", NULL));
  g_assert_true (eval_boolean (ctx, "regex('123', '[0-9]+')", NULL));
  g_assert_true (eval_boolean (ctx, "regex('ab', 'a|ab')", NULL));

  g_assert_false (dft_expr_eval_boolean (ctx, "regex('a', '[')", NULL, &result, &error));
  g_assert_error (error, DFT_EXPR_ERROR, DFT_EXPR_ERROR_EVAL);
  g_assert_nonnull (strstr (error->message, "["));
}

static void
test_choice_name (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();
  g_autofree char           *label = NULL;

  dft_expr_context_add_choice (ctx, "/data/country", "tz", "Tanzania");
  dft_expr_context_add_choice (ctx, "/data/country", "ke", "Kenya");
  set (ctx, "/data/country", "ke");
  label = eval_named (ctx, "jr:choice-name(${country}, '/data/country')", NULL);
  g_assert_cmpstr (label, ==, "Kenya");
  /* pyxform writes the path with spaces around it. */
  assert_string (ctx, "jr:choice-name('tz', ' /data/country ')", NULL, "Tanzania");
  assert_string (ctx, "jr:choice-name('ug', '/data/country')", NULL, "");
  assert_string (ctx, "jr:choice-name('tz', '/data/other')", NULL, "");
}

static void
test_numbers (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();

  g_assert_cmpfloat (eval_number (ctx, "round(2.5, 0)", NULL), ==, 3);
  g_assert_cmpfloat (eval_number (ctx, "round(-2.5, 0)", NULL), ==, -3);
  g_assert_cmpfloat (eval_number (ctx, "round(2.5)", NULL), ==, 3);
  g_assert_cmpfloat (eval_number (ctx, "round(-1.4)", NULL), ==, -1);
  assert_string (ctx, "round(1.475, 2)", NULL, "1.48");
  assert_string (ctx, "round(-1.475, 2)", NULL, "-1.48");
  assert_string (ctx, "round(23.7825, 1)", NULL, "23.8");
  g_assert_cmpfloat (eval_number (ctx, "round(1234.5, -2)", NULL), ==, 1200);
  g_assert_cmpfloat (eval_number (ctx, "int(-3.7)", NULL), ==, -3);
  g_assert_cmpfloat (eval_number (ctx, "int(3.7)", NULL), ==, 3);
  assert_string (ctx, "int('')", NULL, "");
}

static void
test_dates (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();
  g_autoptr (GDateTime)      now = g_date_time_new_now_local ();
  g_autofree char           *today = g_date_time_format (now, "%Y-%m-%d");
  g_autofree char           *stamp = NULL;
  g_autoptr (GError)         error = NULL;
  GDate                      jan1, here;
  double                     since;
  gboolean                   result;

  assert_string (ctx, "today()", NULL, today);
  stamp = eval_string (ctx, "now()", NULL);
  g_assert_true (g_regex_match_simple (
      "^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}[+-]\\d\\d:\\d\\d$", stamp, 0, 0));

  assert_string (ctx, "date(0)", NULL, "1970-01-01");
  assert_string (ctx, "date(20454)", NULL, "2026-01-01");
  assert_string (ctx, "date('2026-03-01T10:00:00.000+03:00')", NULL, "2026-03-01");
  assert_string (ctx, "date('')", NULL, "");
  g_assert_cmpfloat (eval_number (ctx, "number('2026-01-01')", NULL), ==, 20454);
  g_assert_cmpfloat (eval_number (ctx, "decimal-date-time('1970-01-02T12:00:00.000Z')", NULL), ==,
                     1.5);
  g_assert_cmpfloat (eval_number (ctx, "date('2026-03-01') - date('2026-01-01')", NULL), ==, 59);

  g_date_clear (&jan1, 1);
  g_date_clear (&here, 1);
  g_date_set_dmy (&jan1, 1, G_DATE_JANUARY, 2026);
  g_date_set_dmy (&here, g_date_time_get_day_of_month (now), g_date_time_get_month (now),
                  g_date_time_get_year (now));
  since = eval_number (ctx, "today() - date('2026-01-01')", NULL);
  g_assert_cmpfloat (since, ==, (double) g_date_get_julian (&here) - g_date_get_julian (&jan1));

  /* A constraint on a date question, and an age from a date of birth. */
  set (ctx, "/data/dob", "1990-06-15");
  g_assert_true (eval_boolean (ctx, ". <= today()", "/data/dob"));
  g_assert_true (eval_boolean (ctx, "int((today() - /data/dob) div 365.25) >= 35", NULL));
  set (ctx, "/data/dob", "2999-01-01");
  g_assert_false (eval_boolean (ctx, ". <= today()", "/data/dob"));
  g_assert_true (eval_boolean (ctx, "/data/dob = '2999-01-01'", NULL));

  g_assert_false (dft_expr_eval_boolean (ctx, "date('soon')", NULL, &result, &error));
  g_assert_error (error, DFT_EXPR_ERROR, DFT_EXPR_ERROR_EVAL);
  g_assert_nonnull (strstr (error->message, "soon"));
}

static void
test_repeat (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();
  g_autoptr (GHashTable)     map = name_map ();
  g_autoptr (GError)         error = NULL;
  g_autofree char           *inside = NULL;
  g_autofree char           *outside = NULL;
  g_autofree char           *nested = NULL;
  g_autofree char           *doubled = NULL;

  set (ctx, "/data/rep[1]/x", "4");
  set (ctx, "/data/rep[2]/x", "6");
  set (ctx, "/data/rep[3]/x", "");
  /* JavaRosa skips empty answers in sum(); XPath 1.0 alone would give NaN. */
  g_assert_cmpfloat (eval_number (ctx, "sum(/data/rep/x)", NULL), ==, 10);
  g_assert_cmpfloat (eval_number (ctx, "count(/data/rep)", NULL), ==, 3);
  g_assert_cmpfloat (eval_number (ctx, "position(..)", "/data/rep[2]/y"), ==, 2);
  g_assert_cmpfloat (eval_number (ctx, "position(..)", "/data/rep[3]/x"), ==, 3);
  g_assert_cmpfloat (eval_number (ctx, "count(/data/rep[position() = 2])", NULL), ==, 1);
  g_assert_cmpfloat (eval_number (ctx, "/data/rep[position() = 2]/x", NULL), ==, 6);

  /* Inside a repeat, ${x} is the x of the same instance; outside, all of them. */
  inside = dft_expr_expand ("${x} * 2", map, "/data/rep[2]/y", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (inside, ==, "/data/rep[2]/x * 2");
  g_assert_cmpfloat (eval_number (ctx, inside, "/data/rep[2]/y"), ==, 12);
  doubled = eval_named (ctx, "${x} * 2", "/data/rep[1]/y");
  g_assert_cmpstr (doubled, ==, "8");
  outside = dft_expr_expand ("sum(${x})", map, "/data/score", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (outside, ==, "sum(/data/rep/x)");
  nested = dft_expr_expand ("${score} + ${x} + '${x}'", map, "/data/rep[2]/y", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (nested, ==, "/data/score + /data/rep[2]/x + '${x}'");
}

/* Runs @expr with stderr sent into a pipe, and returns what was written there. */
static char *
stderr_of_eval (DftExprContext *ctx, const char *expr, GError **error)
{
  int                 fds[2];
  int                 saved;
  char                buf[4096];
  ssize_t             n;
  gboolean            result;
  g_autoptr (GString) out = g_string_new (NULL);

  g_assert_true (g_unix_open_pipe (fds, FD_CLOEXEC, NULL));
  g_assert_true (g_unix_set_fd_nonblocking (fds[0], TRUE, NULL));
  fflush (stderr);
  saved = dup (STDERR_FILENO);
  g_assert_cmpint (saved, >=, 0);
  g_assert_cmpint (dup2 (fds[1], STDERR_FILENO), >=, 0);
  dft_expr_eval_boolean (ctx, expr, NULL, &result, error);
  fflush (stderr);
  dup2 (saved, STDERR_FILENO);
  close (saved);
  close (fds[1]);
  while ((n = read (fds[0], buf, sizeof buf)) > 0)
    g_string_append_len (out, buf, n);
  close (fds[0]);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
test_errors_syntax (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();
  static const char *const bad[] = { "1 +", "/data/q1 = 'yes", "if(1, 2", "/data/[", "${age} > 1" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char   *printed = stderr_of_eval (ctx, bad[i], &error);

      g_assert_error (error, DFT_EXPR_ERROR, DFT_EXPR_ERROR_SYNTAX);
      g_assert_nonnull (strstr (error->message, bad[i]));
      g_assert_cmpstr (printed, ==, "");
    }
}

static void
test_errors_unknown (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();
  g_autoptr (GHashTable)     map = name_map ();
  g_autoptr (GError)         error = NULL;
  g_autofree char           *printed = NULL;
  g_autofree char           *expanded = NULL;
  gboolean                   result;

  printed = stderr_of_eval (ctx, "frobnicate(1) > 2", &error);
  g_assert_error (error, DFT_EXPR_ERROR, DFT_EXPR_ERROR_UNKNOWN_FUNCTION);
  g_assert_nonnull (strstr (error->message, "frobnicate"));
  g_assert_cmpstr (printed, ==, "");
  g_clear_error (&error);
  g_clear_pointer (&printed, g_free);

  printed = stderr_of_eval (ctx, "zz:today()", &error);
  g_assert_error (error, DFT_EXPR_ERROR, DFT_EXPR_ERROR_UNKNOWN_FUNCTION);
  g_assert_cmpstr (printed, ==, "");
  g_clear_error (&error);

  g_assert_false (dft_expr_eval_boolean (ctx, "jr:nothing-here('a')", NULL, &result, &error));
  g_assert_error (error, DFT_EXPR_ERROR, DFT_EXPR_ERROR_UNKNOWN_FUNCTION);
  g_clear_error (&error);

  /* A wrong number of arguments is caught when the function runs. */
  g_assert_false (dft_expr_eval_boolean (ctx, "selected('a')", NULL, &result, &error));
  g_assert_error (error, DFT_EXPR_ERROR, DFT_EXPR_ERROR_EVAL);
  g_assert_nonnull (strstr (error->message, "selected"));
  g_clear_error (&error);

  expanded = dft_expr_expand ("${consent} = 'yes' and ${nobody} > 1", map, NULL, &error);
  g_assert_null (expanded);
  g_assert_error (error, DFT_EXPR_ERROR, DFT_EXPR_ERROR_UNKNOWN_NAME);
  g_assert_nonnull (strstr (error->message, "nobody"));
}

static void
test_references (void)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) named = dft_expr_references ("if(${score} >= 16, ${pass_label}, 'fail')", &error);
  g_auto (GStrv) paths = NULL;
  g_auto (GStrv) bad = NULL;
  const char    *named_want[] = { "${score}", "${pass_label}", NULL };
  const char    *paths_want[] = { "/data/rep/x", "/data/n", "../y", ".", "/data/a-b", NULL };

  g_assert_no_error (error);
  g_assert_true (g_strv_equal ((const char *const *) named, named_want));
  paths = dft_expr_references (
      "sum(/data/rep[position() <= /data/n]/x) + ../y * . - /data/a-b div count(/data/rep/x)",
      &error);
  g_assert_no_error (error);
  g_assert_true (g_strv_equal ((const char *const *) paths, paths_want));
  bad = dft_expr_references ("1 + + ", &error);
  g_assert_null (bad);
  g_assert_error (error, DFT_EXPR_ERROR, DFT_EXPR_ERROR_SYNTAX);
}

static void
test_graph_cycle (void)
{
  g_autoptr (DftExprGraph) g = dft_expr_graph_new ();
  g_autoptr (GError)       error = NULL;
  const char              *a_reads[] = { "b", NULL };
  const char              *b_reads[] = { "c", "input", NULL };
  const char              *c_reads[] = { "a", NULL };

  dft_expr_graph_add (g, "a", a_reads);
  dft_expr_graph_add (g, "b", b_reads);
  g_assert_true (dft_expr_graph_check (g, &error));
  g_assert_no_error (error);
  dft_expr_graph_add (g, "c", c_reads);
  g_assert_false (dft_expr_graph_check (g, &error));
  g_assert_error (error, DFT_EXPR_ERROR, DFT_EXPR_ERROR_CYCLE);
  g_assert_nonnull (strstr (error->message, "a → b → c → a"));
}

static void
test_graph_self_cycle (void)
{
  g_autoptr (DftExprGraph) g = dft_expr_graph_new ();
  g_autoptr (GError)       error = NULL;
  const char              *reads[] = { "total", NULL };

  dft_expr_graph_add (g, "total", reads);
  g_assert_false (dft_expr_graph_check (g, &error));
  g_assert_error (error, DFT_EXPR_ERROR, DFT_EXPR_ERROR_CYCLE);
  g_assert_nonnull (strstr (error->message, "total → total"));
}

static void
test_graph_dependents (void)
{
  g_autoptr (DftExprGraph) g = dft_expr_graph_new ();
  g_autoptr (GError)       error = NULL;
  g_autoptr (GPtrArray)    after_pre = NULL;
  g_autoptr (GPtrArray)    after_name = NULL;
  g_autoptr (GPtrArray)    after_pass = NULL;
  const char              *pass_reads[] = { "gain", "post", NULL };
  const char              *gain_reads[] = { "post", "pre", NULL };
  const char              *greeting_reads[] = { "name", NULL };

  /* Added in an order that is not the evaluation order. */
  dft_expr_graph_add (g, "pass", pass_reads);
  dft_expr_graph_add (g, "greeting", greeting_reads);
  dft_expr_graph_add (g, "gain", gain_reads);
  g_assert_true (dft_expr_graph_check (g, &error));
  g_assert_no_error (error);

  after_pre = dft_expr_graph_dependents (g, "pre");
  g_assert_cmpuint (after_pre->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (after_pre, 0), ==, "gain");
  g_assert_cmpstr (g_ptr_array_index (after_pre, 1), ==, "pass");

  after_name = dft_expr_graph_dependents (g, "name");
  g_assert_cmpuint (after_name->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (after_name, 0), ==, "greeting");

  after_pass = dft_expr_graph_dependents (g, "pass");
  g_assert_cmpuint (after_pass->len, ==, 0);
}

int
main (int argc, char **argv)
{
  dft_test_init (&argc, &argv);

  g_test_add_func ("/expr/context/set-get", test_context_set_get);
  g_test_add_func ("/expr/eval/skip-logic", test_skip_logic);
  g_test_add_func ("/expr/eval/constraint", test_constraint);
  g_test_add_func ("/expr/eval/selects", test_selects);
  g_test_add_func ("/expr/eval/calculate", test_calculate);
  g_test_add_func ("/expr/eval/regex", test_regex);
  g_test_add_func ("/expr/eval/choice-name", test_choice_name);
  g_test_add_func ("/expr/eval/numbers", test_numbers);
  g_test_add_func ("/expr/eval/dates", test_dates);
  g_test_add_func ("/expr/eval/repeat", test_repeat);
  g_test_add_func ("/expr/errors/syntax", test_errors_syntax);
  g_test_add_func ("/expr/errors/unknown", test_errors_unknown);
  g_test_add_func ("/expr/references", test_references);
  g_test_add_func ("/expr/graph/cycle", test_graph_cycle);
  g_test_add_func ("/expr/graph/self-cycle", test_graph_self_cycle);
  g_test_add_func ("/expr/graph/dependents", test_graph_dependents);

  return g_test_run ();
}
