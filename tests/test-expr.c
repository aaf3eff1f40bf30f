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

/* Numbers are written in plain decimal, with the fewest digits that read back as the same
 * double (as ODK does), so the next calculation can read them. */
static void
test_number_format (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();
  g_autofree char           *total = NULL;
  g_autofree char           *tiny = NULL;
  g_autoptr (GString)        huge = g_string_new ("1");
  g_autoptr (GString)        small = g_string_new ("0.");

  total = eval_string (ctx, "2500000 * 4000", NULL);
  g_assert_cmpstr (total, ==, "10000000000");
  set (ctx, "/data/total", total);
  assert_string (ctx, "/data/total * 1.1", NULL, "11000000000");
  g_assert_cmpfloat (eval_number (ctx, "/data/total * 1.1", NULL), ==, 1e10 * 1.1);
  assert_string (ctx, "/data/total + 0.5", NULL, "10000000000.5");
  assert_string (ctx, "123456789 * 100 + 0.01", NULL, "12345678900.01");

  assert_string (ctx, "1 div 1000000", NULL, "0.000001");
  assert_string (ctx, "15 div 100000000", NULL, "0.00000015");
  tiny = eval_string (ctx, "1 div 1000000", NULL);
  set (ctx, "/data/tiny", tiny);
  assert_string (ctx, "/data/tiny * 2", NULL, "0.000002");
  assert_string (ctx, "0.00001", NULL, "0.00001");

  assert_string (ctx, "1 div 3", NULL, "0.3333333333333333");
  assert_string (ctx, "string(1 div 3)", NULL, "0.3333333333333333");
  assert_string (ctx, "2 div 3", NULL, "0.6666666666666666");
  assert_string (ctx, "0.1 + 0.2", NULL, "0.30000000000000004");
  g_assert_cmpfloat (eval_number (ctx, "number('0.30000000000000004')", NULL), ==, 0.1 + 0.2);
  g_assert_cmpfloat (eval_number (ctx, "number('0.3')", NULL), ==, 0.3);

  assert_string (ctx, "1000000 * 1000000 * 1000000000", NULL, "1000000000000000000000");
  for (int i = 0; i < 300; i++)
    g_string_append_c (huge, '0');
  assert_string (ctx, "pow(10, 300)", NULL, huge->str);
  for (int i = 0; i < 299; i++)
    g_string_append_c (small, '0');
  g_string_append_c (small, '1');
  assert_string (ctx, "pow(10, -300)", NULL, small->str);

  assert_string (ctx, "-2500000 * 4000", NULL, "-10000000000");
  assert_string (ctx, "-1 div 3", NULL, "-0.3333333333333333");
  assert_string (ctx, "0 - 0.000001", NULL, "-0.000001");
  assert_string (ctx, "-1.5 * 2", NULL, "-3");
  assert_string (ctx, "0 * -1", NULL, "0");
  assert_string (ctx, "string(0 * -1)", NULL, "0");
  assert_string (ctx, "concat('a', 0 * -1)", NULL, "a0");

  /* Integers have no ".0". */
  assert_string (ctx, "2 + 3", NULL, "5");
  assert_string (ctx, "10 div 2", NULL, "5");
  assert_string (ctx, "1.5 * 2", NULL, "3");
  assert_string (ctx, "9007199254740993 * 1", NULL, "9007199254740992");

  /* XPath's words for what is not a finite number; a calculation over an empty answer stores
   * nothing rather than "NaN". */
  assert_string (ctx, "string(number('abc'))", NULL, "NaN");
  assert_string (ctx, "concat(number('abc'), '')", NULL, "NaN");
  assert_string (ctx, "number('abc')", NULL, "");
  assert_string (ctx, "1 div 0", NULL, "Infinity");
  assert_string (ctx, "string(-1 div 0)", NULL, "-Infinity");
  g_assert_true (isinf (eval_number (ctx, "number(string(1 div 0))", NULL)));
  g_assert_cmpfloat (eval_number (ctx, "number(string(-1 div 0))", NULL), <, 0);

  /* Every place that turns a number into text writes it the same way. */
  assert_string (ctx, "concat('x', 2500000 * 4000, '/', 1 div 3)", NULL,
                 "x10000000000/0.3333333333333333");
  assert_string (ctx, "join(' ', 2500000 * 4000, 0.000001)", NULL, "10000000000 0.000001");
  assert_string (ctx, "substr(2500000 * 4000, 0, 3)", NULL, "100");
  assert_string (ctx, "if(true(), 2500000 * 4000, 0)", NULL, "10000000000");
  g_assert_cmpfloat (eval_number (ctx, "string-length(2500000 * 4000)", NULL), ==, 11);
  g_assert_true (eval_boolean (ctx, "contains(0.000001, '0.0000')", NULL));
  g_assert_true (eval_boolean (ctx, "starts-with(1 div 3, '0.333333333333')", NULL));
  assert_string (ctx, "substring-after(10000000000 * 1, '1')", NULL, "0000000000");
  assert_string (ctx, "translate(0.000001, '0', 'o')", NULL, "o.ooooo1");
  {
    g_autoptr (GError) error = NULL;
    g_auto (GStrv)     values = dft_expr_eval_strings (ctx, "2500000 * 4000", NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (values[0], ==, "10000000000");
  }
}

/* Answers written by earlier versions of Daftari, with an exponent, still read as numbers. */
static void
test_number_exponent_input (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();
  static const char *const   not_numbers[] = { "e5", "1e", "1e+", "0x10", "1,5", "1e5x", "--1" };

  set (ctx, "/data/total", "1e+10");
  assert_string (ctx, "/data/total * 1.1", NULL, "11000000000");
  set (ctx, "/data/total", "1.2345678901e+10");
  assert_string (ctx, "/data/total", NULL, "1.2345678901e+10");
  assert_string (ctx, "/data/total * 1", NULL, "12345678901");
  set (ctx, "/data/total", "1e-06");
  assert_string (ctx, "/data/total + 0", NULL, "0.000001");
  assert_string (ctx, "number('-2.5e-07')", NULL, "-0.00000025");
  /* Functions that take a number as text read them too. */
  set (ctx, "/data/days", "2.0454e+4");
  assert_string (ctx, "date(/data/days)", NULL, "2026-01-01");
  assert_string (ctx, "format-date(/data/days, '%Y-%m-%d')", NULL, "2026-01-01");
  g_assert_cmpfloat (eval_number (ctx, "decimal-date-time(/data/days)", NULL), ==, 20454);
  set (ctx, "/data/days", "0e+00");
  g_assert_false (eval_boolean (ctx, "checklist(1, 1, /data/days)", NULL));
  /* Not numbers: an exponent without its digits or before them, other notations. */
  for (guint i = 0; i < G_N_ELEMENTS (not_numbers); i++)
    {
      set (ctx, "/data/total", not_numbers[i]);
      g_assert_true (isnan (eval_number (ctx, "number(/data/total)", NULL)));
    }
}

static guint32
test_seed (void)
{
  const char *env = g_getenv ("DAFTARI_TEST_SEED");
  guint32     seed = env != NULL ? (guint32) g_ascii_strtoull (env, NULL, 10) : g_random_int ();

  g_test_message ("seed %u (set DAFTARI_TEST_SEED=%u to repeat)", seed, seed);
  return seed;
}

/* number(string(x)) is x, over every magnitude. */
static void
test_number_round_trip (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();
  g_autoptr (GRand)          rand = g_rand_new_with_seed (test_seed ());

  for (int i = 0; i < 3000; i++)
    {
      int              exponent = g_rand_int_range (rand, -300, 301);
      double           x = g_rand_double_range (rand, 1, 10) * pow (10, exponent);
      char             input[G_ASCII_DTOSTR_BUF_SIZE];
      g_autofree char *written = NULL;
      double           back;

      if (g_rand_boolean (rand))
        x = -x;
      if (i % 7 == 0)
        x = round (x); /* whole numbers too */
      g_ascii_dtostr (input, sizeof input, x);
      set (ctx, "/data/x", input);
      written = eval_string (ctx, "/data/x * 1", NULL);
      g_assert_true (g_regex_match_simple ("^-?[0-9]+(\\.[0-9]*[1-9])?$", written, 0, 0));
      set (ctx, "/data/y", written);
      back = eval_number (ctx, "number(/data/y)", NULL);
      if (back != x)
        g_error ("%.17g was written as %s, which reads back as %.17g", x, written, back);
      g_assert_cmpfloat (eval_number (ctx, "/data/y + 0", NULL), ==, x);
    }
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
  /* Found by the fuzzer: days before year 1 made GLib complain; outside 0001-01-01 to
   * 9999-12-31 a date is empty, as any bad date is. */
  assert_string (ctx, "date(-719162)", NULL, "0001-01-01");
  assert_string (ctx, "date(2932896)", NULL, "9999-12-31");
  assert_string (ctx, "date(-831202)", NULL, "");
  assert_string (ctx, "date(2932897)", NULL, "");
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

/* Evaluates @expr expecting DFT_EXPR_ERROR_EVAL with @needle in the message. */
static void
assert_eval_fails (DftExprContext *ctx, const char *expr, const char *needle)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *s = dft_expr_eval_string (ctx, expr, NULL, &error);

  g_assert_null (s);
  g_assert_error (error, DFT_EXPR_ERROR, DFT_EXPR_ERROR_EVAL);
  g_assert_nonnull (strstr (error->message, needle));
}

#define assert_number(ctx, expr, expected)                                                         \
  g_assert_cmpfloat_with_epsilon (eval_number (ctx, expr, NULL), expected, 1e-9)
#define assert_number_near(ctx, expr, expected, epsilon)                                           \
  g_assert_cmpfloat_with_epsilon (eval_number (ctx, expr, NULL), expected, epsilon)

static void
test_fn_substr (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();

  assert_string (ctx, "substr('hello', 1, 3)", NULL, "el");
  assert_string (ctx, "substr('hello', 2)", NULL, "llo");
  assert_string (ctx, "substr('hello', 0, 99)", NULL, "hello");
  /* Negative positions count from the end (JavaRosa). */
  assert_string (ctx, "substr('hello', -3)", NULL, "llo");
  assert_string (ctx, "substr('hello', 1, -1)", NULL, "ell");
  assert_string (ctx, "substr('hello', -99, 2)", NULL, "he");
  assert_string (ctx, "substr('hello', 10)", NULL, "");
  assert_string (ctx, "substr('hello', 3, 1)", NULL, "");
  assert_string (ctx, "substr('', 0, 2)", NULL, "");
  /* Characters, not bytes. */
  assert_string (ctx, "substr('héllo', 1, 2)", NULL, "é");
  assert_string (ctx, "jr:substr('Dar es Salaam', 7)", NULL, "Salaam");
  /* A position that is not a number is 0, as Java's (int) NaN. */
  assert_string (ctx, "substr('hello', '', 2)", NULL, "he");
  set (ctx, "/data/phone", "0712345678");
  assert_string (ctx, "substr(/data/phone, 0, 4)", NULL, "0712");
  assert_eval_fails (ctx, "substr('hello')", "substr");
}

static void
test_fn_ends_with (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();

  g_assert_true (eval_boolean (ctx, "ends-with('report.pdf', '.pdf')", NULL));
  g_assert_false (eval_boolean (ctx, "ends-with('report.pdf', '.doc')", NULL));
  g_assert_true (eval_boolean (ctx, "ends-with('abc', '')", NULL));
  g_assert_false (eval_boolean (ctx, "ends-with('', 'a')", NULL));
  g_assert_false (eval_boolean (ctx, "ends-with('a', 'ba')", NULL));
  assert_eval_fails (ctx, "ends-with('a')", "ends-with");
}

static void
test_fn_join (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();

  set (ctx, "/data/rep[1]/x", "a");
  set (ctx, "/data/rep[2]/x", "b");
  set (ctx, "/data/rep[3]/x", "c");
  assert_string (ctx, "join(', ', /data/rep/x)", NULL, "a, b, c");
  assert_string (ctx, "join('-', 'x', 2, /data/rep[2]/x)", NULL, "x-2-b");
  /* Empty values keep their place. */
  assert_string (ctx, "join('-', 'a', '', 'b')", NULL, "a--b");
  assert_string (ctx, "join('-')", NULL, "");
  assert_string (ctx, "join('-', /data/nothing)", NULL, "");
  assert_string (ctx, "join('', /data/rep/x)", NULL, "abc");
  assert_eval_fails (ctx, "join()", "join");
}

static void
test_fn_string_length (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();

  /* libxml2 counts characters, not UTF-8 bytes. */
  assert_number (ctx, "string-length('héllo')", 5);
  assert_number (ctx, "string-length('Ẓ€𝄞')", 3);
  assert_number (ctx, "string-length('')", 0);
  set (ctx, "/data/name", "Zuhura");
  g_assert_cmpfloat (eval_number (ctx, "string-length()", "/data/name"), ==, 6);
  g_assert_cmpfloat (eval_number (ctx, "string-length(.)", "/data/name"), ==, 6);
  assert_string (ctx, "normalize-space('  a \t b\n ')", NULL, "a b");
  assert_string (ctx, "normalize-space('')", NULL, "");
}

static void
test_fn_uuid (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();
  g_autofree char           *a = eval_string (ctx, "uuid()", NULL);
  g_autofree char           *b = eval_string (ctx, "uuid()", NULL);
  g_autofree char           *shorter = eval_string (ctx, "uuid(12)", NULL);

  g_assert_true (g_regex_match_simple (
      "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", a, 0, 0));
  g_assert_cmpstr (a, !=, b);
  g_assert_true (g_regex_match_simple ("^[0-9A-Za-z]{12}$", shorter, 0, 0));
  assert_string (ctx, "uuid(0)", NULL, "");
  assert_string (ctx, "uuid(-4)", NULL, "");
  assert_string (ctx, "uuid('')", NULL, "");
  assert_eval_fails (ctx, "uuid(1000000)", "uuid");
  assert_eval_fails (ctx, "uuid(1, 2)", "uuid");
}

static void
test_fn_max_min (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();

  set (ctx, "/data/rep[1]/x", "4");
  set (ctx, "/data/rep[2]/x", "-6.5");
  set (ctx, "/data/rep[3]/x", "");
  /* Empty answers are skipped, as in JavaRosa. */
  assert_number (ctx, "max(/data/rep/x)", 4);
  assert_number (ctx, "min(/data/rep/x)", -6.5);
  assert_number (ctx, "max(1, 5, 3)", 5);
  assert_number (ctx, "min(3, '2', 7)", 2);
  assert_number (ctx, "max(-5, -3)", -3);
  assert_number (ctx, "jr:min(/data/rep/x, -10)", -10);
  assert_number (ctx, "max('2026-01-02', '2026-01-01')", 20455);
  /* Nothing to compare: NaN, which a calculation stores as nothing. */
  assert_string (ctx, "max(/data/nothing)", NULL, "");
  assert_string (ctx, "min(/data/rep[3]/x)", NULL, "");
  assert_string (ctx, "max('', 'abc')", NULL, "");
  g_assert_true (isnan (eval_number (ctx, "min(/data/nothing)", NULL)));
  assert_eval_fails (ctx, "max()", "max");
}

static void
test_fn_math (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();

  assert_number (ctx, "pow(2, 10)", 1024);
  assert_number (ctx, "pow(9, 0.5)", 3);
  assert_number (ctx, "pow(2, -1)", 0.5);
  assert_string (ctx, "pow('', 2)", NULL, "");
  assert_number (ctx, "abs(-3.5)", 3.5);
  assert_number (ctx, "abs(2)", 2);
  assert_string (ctx, "abs('')", NULL, "");
  assert_number (ctx, "log(exp(2))", 2);
  assert_number (ctx, "log10(1000)", 3);
  assert_number (ctx, "exp(0)", 1);
  assert_number (ctx, "exp10(2)", 100);
  assert_string (ctx, "log(0)", NULL, "-Infinity");
  assert_string (ctx, "log(-1)", NULL, "");
  assert_number (ctx, "sqrt(16)", 4);
  assert_string (ctx, "sqrt(-1)", NULL, "");
  assert_string (ctx, "sqrt('')", NULL, "");
  assert_number (ctx, "pi()", G_PI);
  assert_number (ctx, "sin(pi() div 2)", 1);
  assert_number (ctx, "cos(0)", 1);
  assert_number (ctx, "tan(pi() div 4)", 1);
  assert_number (ctx, "asin(1)", G_PI / 2);
  assert_number (ctx, "acos(1)", 0);
  assert_number (ctx, "atan(1)", G_PI / 4);
  /* atan2(y, x) */
  assert_number (ctx, "atan2(1, 0)", G_PI / 2);
  assert_number (ctx, "atan2(0, -1)", G_PI);
  assert_string (ctx, "asin(2)", NULL, "");
  set (ctx, "/data/radius", "2");
  assert_number (ctx, "round(pi() * pow(/data/radius, 2), 2)", 12.57);
  assert_eval_fails (ctx, "pow(2)", "pow");
  assert_eval_fails (ctx, "pi(1)", "pi");
  assert_eval_fails (ctx, "atan2(1)", "atan2");
  assert_eval_fails (ctx, "sqrt()", "sqrt");
}

static void
test_fn_random (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();
  gboolean                   differs = FALSE;
  double                     first = eval_number (ctx, "random()", NULL);

  for (int i = 0; i < 100; i++)
    {
      double n = eval_number (ctx, "random()", NULL);

      g_assert_cmpfloat (n, >=, 0);
      g_assert_cmpfloat (n, <, 1);
      differs |= n != first;
    }
  g_assert_true (differs);
  assert_eval_fails (ctx, "random(1)", "random");
}

static void
test_fn_count_non_empty (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();

  set (ctx, "/data/rep[1]/x", "4");
  set (ctx, "/data/rep[2]/x", "");
  set (ctx, "/data/rep[3]/x", "0");
  assert_number (ctx, "count-non-empty(/data/rep/x)", 2);
  assert_number (ctx, "count(/data/rep/x)", 3);
  /* Groups hold no value of their own. */
  assert_number (ctx, "count-non-empty(/data/rep)", 0);
  assert_number (ctx, "count-non-empty(/data/nothing)", 0);
  assert_eval_fails (ctx, "count-non-empty('a')", "count-non-empty");
  assert_eval_fails (ctx, "count-non-empty()", "count-non-empty");
}

static void
test_fn_checklist (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();

  g_assert_true (eval_boolean (ctx, "checklist(1, 2, true(), false(), true())", NULL));
  g_assert_false (eval_boolean (ctx, "checklist(3, 5, true(), false(), true())", NULL));
  g_assert_false (eval_boolean (ctx, "checklist(0, 1, true(), false(), true())", NULL));
  /* -1: no bound. */
  g_assert_true (eval_boolean (ctx, "checklist(2, -1, true(), true(), true())", NULL));
  g_assert_true (eval_boolean (ctx, "checklist(-1, 1, false(), false())", NULL));
  g_assert_false (eval_boolean (ctx, "checklist(-1, 1, true(), true())", NULL));
  g_assert_true (eval_boolean (ctx, "checklist(-1, -1)", NULL));
  g_assert_false (eval_boolean (ctx, "checklist(1, -1)", NULL));
  /* Answers: numbers count when not 0, other answers when not empty. */
  set (ctx, "/data/rep[1]/x", "yes");
  set (ctx, "/data/rep[2]/x", "");
  set (ctx, "/data/rep[3]/x", "0");
  set (ctx, "/data/rep[4]/x", "2");
  g_assert_true (eval_boolean (ctx, "checklist(2, 2, /data/rep/x)", NULL));
  g_assert_true (eval_boolean (ctx, "checklist(3, 3, /data/rep/x, 1 = 1)", NULL));
  g_assert_false (eval_boolean (ctx, "checklist(3, 3, /data/rep/x)", NULL));
  assert_eval_fails (ctx, "checklist(1)", "checklist");
}

static void
test_fn_weighted_checklist (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();

  g_assert_true (
      eval_boolean (ctx, "weighted-checklist(3, 5, true(), 2, true(), 2, false(), 10)", NULL));
  g_assert_false (
      eval_boolean (ctx, "weighted-checklist(3, 5, true(), 2, false(), 2, true(), 10)", NULL));
  g_assert_true (eval_boolean (ctx, "weighted-checklist(0, 0)", NULL));
  g_assert_true (eval_boolean (ctx, "weighted-checklist(1.5, 1.5, true(), '1.5')", NULL));
  /* Unlike checklist(), -1 is a bound like any other (JavaRosa). */
  g_assert_false (eval_boolean (ctx, "weighted-checklist(-1, -1, true(), 2)", NULL));
  g_assert_true (eval_boolean (ctx, "weighted-checklist(-1, 0, true(), -1)", NULL));
  /* Two node-sets pair their nodes. */
  set (ctx, "/data/rep[1]/x", "yes");
  set (ctx, "/data/rep[1]/w", "3");
  set (ctx, "/data/rep[2]/x", "");
  set (ctx, "/data/rep[2]/w", "10");
  set (ctx, "/data/rep[3]/x", "yes");
  set (ctx, "/data/rep[3]/w", "4");
  g_assert_true (eval_boolean (ctx, "weighted-checklist(7, 7, /data/rep/x, /data/rep/w)", NULL));
  g_assert_false (eval_boolean (ctx, "weighted-checklist(8, 20, /data/rep/x, /data/rep/w)", NULL));
  assert_eval_fails (ctx, "weighted-checklist(1, 2, true())", "weighted-checklist");
  assert_eval_fails (ctx, "weighted-checklist(1)", "weighted-checklist");
  assert_eval_fails (ctx, "weighted-checklist(1, 2, /data/rep/x, /data/rep[1]/w)",
                     "weighted-checklist");
}

static void
test_fn_once (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();
  g_autofree char           *first = NULL;
  g_autofree char           *again = NULL;

  set (ctx, "/data/id", "");
  first = eval_string (ctx, "once(concat('id-', uuid(4)))", "/data/id");
  g_assert_true (g_str_has_prefix (first, "id-"));
  set (ctx, "/data/id", first);
  again = eval_string (ctx, "once(concat('id-', uuid(4)))", "/data/id");
  g_assert_cmpstr (again, ==, first);
  set (ctx, "/data/n", "");
  g_assert_cmpfloat (eval_number (ctx, "once(2 + 3)", "/data/n"), ==, 5);
  set (ctx, "/data/n", "7");
  g_assert_cmpfloat (eval_number (ctx, "once(2 + 3)", "/data/n"), ==, 7);
  assert_eval_fails (ctx, "once()", "once");
}

static void
test_fn_format_date (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();
  g_autoptr (GDateTime)      now = g_date_time_new_now_local ();
  g_autofree char           *year = g_date_time_format (now, "%Y");
  g_autoptr (GTimeZone)      utc = g_time_zone_new_utc ();
  g_autoptr (GDateTime)      moment = g_date_time_new (utc, 2026, 3, 5, 7, 8, 9);
  g_autoptr (GDateTime)      here = g_date_time_to_local (moment);
  g_autofree char           *local = g_date_time_format (here, "%Y-%m-%d %H:%M");

  /* 2026-03-05 is a Thursday. */
  assert_string (ctx, "format-date('2026-03-05', '%Y/%m/%d %e.%n.%y %b %a')", NULL,
                 "2026/03/05 5.3.26 Mar Thu");
  assert_string (ctx, "format-date('2026-11-20', '%e %b %Y')", NULL, "20 Nov 2026");
  assert_string (ctx, "format-date-time('2026-03-05T07:08:09.045', '%H:%M:%S.%3 %h')", NULL,
                 "07:08:09.045 7");
  assert_string (ctx, "format-date-time('2026-03-05T17:00:00', '%h:%M')", NULL, "17:00");
  assert_string (ctx, "jr:format-date('2026-03-05', '%a %%Y %q')", NULL, "Thu %Y %q");
  /* A date at midnight; a number of days is a date. */
  assert_string (ctx, "format-date-time('2026-03-05', '%d %H:%M')", NULL, "05 00:00");
  assert_string (ctx, "format-date(20454, '%Y-%m-%d')", NULL, "2026-01-01");
  assert_string (ctx, "format-date('20454', '%Y-%m-%d')", NULL, "2026-01-01");
  assert_string (ctx, "format-date(date('2026-02-28') + 1, '%d/%m')", NULL, "01/03");
  assert_string (ctx, "format-date(-1, '%Y-%m-%d')", NULL, "1969-12-31");
  /* Decimal days are a moment, shown in local time. */
  assert_string (ctx,
                 "format-date-time(decimal-date-time('2026-03-05T07:08:09Z'), '%Y-%m-%d %H:%M')",
                 NULL, local);
  assert_string (ctx, "format-date-time('2026-03-05T07:08:09Z', '%Y-%m-%d %H:%M')", NULL, local);
  assert_string (ctx, "format-date(today(), '%Y')", NULL, year);
  assert_string (ctx, "format-date(now(), '%Y')", NULL, year);
  /* Empty, or not a date: nothing. */
  assert_string (ctx, "format-date('', '%Y')", NULL, "");
  assert_string (ctx, "format-date('soon', '%Y')", NULL, "");
  assert_string (ctx, "format-date('2026-02-30', '%Y')", NULL, "");
  assert_string (ctx, "format-date(number('x'), '%Y')", NULL, "");
  assert_string (ctx, "format-date(true(), '%Y')", NULL, "");
  set (ctx, "/data/dob", "");
  assert_string (ctx, "format-date(/data/dob, '%d %b')", NULL, "");
  set (ctx, "/data/dob", "1990-06-15");
  assert_string (ctx, "format-date(/data/dob, '%d %b')", NULL, "15 Jun");
  assert_eval_fails (ctx, "format-date('2026-03-05')", "format-date");
  assert_eval_fails (ctx, "format-date-time('2026-03-05')", "format-date-time");
}

static void
test_fn_indexed_repeat (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();
  g_autoptr (GError)         error = NULL;
  g_autofree char           *localized = NULL;
  g_autofree char           *previous = NULL;

  set (ctx, "/data/rep[1]/x", "4");
  set (ctx, "/data/rep[2]/x", "6");
  set (ctx, "/data/rep[3]/x", "");
  assert_string (ctx, "indexed-repeat(/data/rep/x, /data/rep, 2)", NULL, "6");
  assert_string (ctx, "indexed-repeat(/data/rep/x, /data/rep, 1)", NULL, "4");
  assert_string (ctx, "jr:indexed-repeat(/data/rep/x, /data/rep, 1 + 1)", NULL, "6");
  /* An index below 1 means 1 (JavaRosa); past the last instance there is nothing. */
  assert_string (ctx, "indexed-repeat(/data/rep/x, /data/rep, 0)", NULL, "4");
  assert_string (ctx, "indexed-repeat(/data/rep/x, /data/rep, '')", NULL, "4");
  assert_string (ctx, "indexed-repeat(/data/rep/x, /data/rep, 9)", NULL, "");
  assert_number (ctx, "indexed-repeat(/data/rep/x, /data/rep, 2) * 2", 12);
  assert_string (ctx, "indexed-repeat(/data/nothing/x, /data/nothing, 1)", NULL, "");

  /* Inside the repeat the paths are localized to the current instance; the index wins. */
  localized = dft_expr_localize ("indexed-repeat(/data/rep/x, /data/rep, position(..) - 1)",
                                 "/data/rep[3]/y", &error);
  g_assert_no_error (error);
  previous = eval_string (ctx, localized, "/data/rep[3]/y");
  g_assert_cmpstr (previous, ==, "6");

  /* Nested repeats. */
  set (ctx, "/data/hh[1]/member[1]/name", "Asha");
  set (ctx, "/data/hh[2]/member[1]/name", "Baraka");
  set (ctx, "/data/hh[2]/member[2]/name", "Chausiku");
  assert_string (ctx, "indexed-repeat(/data/hh/member/name, /data/hh, 2, /data/hh/member, 2)", NULL,
                 "Chausiku");
  assert_string (ctx, "indexed-repeat(/data/hh/member/name, /data/hh, 1, /data/hh/member, 1)", NULL,
                 "Asha");
  assert_string (ctx, "indexed-repeat(/data/hh/member/name, /data/hh, 1, /data/hh/member, 2)", NULL,
                 "");
  assert_string (ctx, "indexed-repeat(/data/hh[1]/member/name, /data/hh, 2)", NULL, "Baraka");

  assert_eval_fails (ctx, "indexed-repeat(/data/rep/x, /data/hh, 1)", "indexed-repeat");
  assert_eval_fails (ctx, "indexed-repeat(/data/rep/x, /data/rep/x, 1)", "indexed-repeat");
  assert_eval_fails (ctx, "indexed-repeat('x', /data/rep, 1)", "indexed-repeat");
  assert_eval_fails (ctx, "indexed-repeat(/, /data/rep, 1)", "indexed-repeat");
  assert_eval_fails (ctx, "indexed-repeat(/data/rep/x/text(), /data/rep, 1)", "indexed-repeat");
  assert_eval_fails (ctx, "indexed-repeat(/data/rep/x, /, 1)", "indexed-repeat");
  assert_eval_fails (ctx, "indexed-repeat(/data/rep, /data/rep, 1)", "indexed-repeat");
  assert_eval_fails (ctx, "indexed-repeat(/data/rep/x, /data/rep)", "indexed-repeat");
  assert_eval_fails (ctx, "indexed-repeat(/data/rep/x, /data/rep, 1, /data/rep)", "indexed-repeat");
}

static void
test_fn_pulldata (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();
  const char *const          names[] = { "name", "price", "unit", NULL };
  const char *const          mango[] = { "mango", "1500", "kg", NULL };
  const char *const          papaya[] = { "papaya", "2000", "", NULL };
  const char *const          other[] = { "mango", "9999", "box", NULL };

  dft_expr_context_add_instance_item (ctx, "fruits", names, mango);
  dft_expr_context_add_instance_item (ctx, "fruits", names, papaya);
  dft_expr_context_add_instance_item (ctx, "fruits", names, other);
  set (ctx, "/data/fruit", "papaya");
  assert_string (ctx, "pulldata('fruits', 'price', 'name', 'mango')", NULL, "1500");
  assert_string (ctx, "pulldata('fruits', 'unit', 'name', 'mango')", NULL, "kg");
  assert_string (ctx, "pulldata('fruits', 'price', 'name', /data/fruit)", NULL, "2000");
  assert_number (ctx, "pulldata('fruits', 'price', 'name', /data/fruit) * 2", 4000);
  assert_string (ctx, "pulldata('fruits', 'name', 'price', 2000)", NULL, "papaya");
  assert_string (ctx, "pulldata('fruits', 'unit', 'name', 'papaya')", NULL, "");
  /* Not found, no such column, no such instance: empty, not an error. */
  assert_string (ctx, "pulldata('fruits', 'price', 'name', 'durian')", NULL, "");
  assert_string (ctx, "pulldata('fruits', 'colour', 'name', 'mango')", NULL, "");
  assert_string (ctx, "pulldata('fruits', 'price', 'colour', 'mango')", NULL, "");
  assert_string (ctx, "pulldata('vegetables', 'price', 'name', 'mango')", NULL, "");
  assert_eval_fails (ctx, "pulldata('fruits', 'price', 'name')", "pulldata");
}

static void
test_fn_digest (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();

  /* JavaRosa's DigestTest values. */
  assert_string (ctx, "digest('some text', 'MD5', 'hex')", NULL,
                 "552e21cd4cd9918678e3c1a0df491bc3");
  assert_string (ctx, "digest('some text', 'SHA-1', 'hex')", NULL,
                 "37aa63c77398d954473262e1a0057c1e632eda77");
  assert_string (ctx, "digest('some text', 'SHA-256', 'hex')", NULL,
                 "b94f6f125c79e3a5ffaa826f584c10d52ada669e6762051b826b55776d05aed2");
  assert_string (ctx, "digest('some text', 'MD5', 'base64')", NULL, "VS4hzUzZkYZ448Gg30kbww==");
  assert_string (ctx, "digest('some text', 'SHA-384', 'base64')", NULL,
                 "zJTsPphzwLmnJIZEKVj2cQZ833e5QnQW0DFEDMYgQeLuE0RJhEfsDO2fcENGG9Hz");
  assert_string (
      ctx, "digest('some text', 'SHA-512', 'base64')", NULL,
      "4nMrrtyj6sFAeChjfeHbynAsP8ns4Wz1Nt241hOc2F3+dGS4I1spgm9gjM9KxkPimxnGN4WKPYcQpZER30LdtQ==");
  assert_string (ctx, "digest('', 'MD5', 'hex')", NULL, "d41d8cd98f00b204e9800998ecf8427e");
  /* base64 when no encoding is given; names as JavaRosa reads them. */
  assert_string (ctx, "digest('some text', 'SHA-256')", NULL,
                 "uU9vElx546X/qoJvWEwQ1SraZp5nYgUbgmtVd20FrtI=");
  assert_string (ctx, "jr:digest('some text', 'sha1', 'HEX')", NULL,
                 "37aa63c77398d954473262e1a0057c1e632eda77");
  set (ctx, "/data/text", "some text");
  set (ctx, "/data/algorithm", "SHA-1");
  assert_string (ctx, "digest(/data/text, /data/algorithm, 'hex')", NULL,
                 "37aa63c77398d954473262e1a0057c1e632eda77");
  assert_eval_fails (ctx, "digest('x', 'SHA-3')", "SHA-3");
  assert_eval_fails (ctx, "digest('x', 'MD5', 'base32')", "base32");
  assert_eval_fails (ctx, "digest('x')", "digest");
  assert_eval_fails (ctx, "digest('x', 'MD5', 'hex', 1)", "digest");
}

static void
test_fn_base64_decode (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();

  assert_string (ctx, "base64-decode('SGVsbG8=')", NULL, "Hello");
  assert_string (ctx, "base64-decode('RGFzc2Vs')", NULL, "Dassel");
  assert_string (ctx, "base64-decode('w6nDqMOx')", NULL, "éèñ");
  assert_string (ctx, "base64-decode('8J+lsA==')", NULL, "🥰");
  assert_string (ctx, "base64-decode('0J/RgNC40LLQtdGCLCDkuJbnlYw=')", NULL, "Привет, 世界");
  /* Without its padding, or broken over lines. */
  assert_string (ctx, "base64-decode('SGVsbG8')", NULL, "Hello");
  assert_string (ctx, "base64-decode(' SGVs\nbG8= ')", NULL, "Hello");
  assert_string (ctx, "base64-decode('')", NULL, "");
  set (ctx, "/data/encoded", "RGFzc2Vs");
  assert_string (ctx, "jr:base64-decode(/data/encoded)", NULL, "Dassel");
  /* Not base64: nothing, as in JavaRosa. */
  assert_string (ctx, "base64-decode('a')", NULL, "");
  assert_string (ctx, "base64-decode('not base64!')", NULL, "");
  assert_string (ctx, "base64-decode('SGV=sbG8')", NULL, "");
  /* Bytes that are not UTF-8 become U+FFFD; "abc" in UTF-16 loses the NULs XML cannot hold. */
  assert_string (ctx, "base64-decode('/w==')", NULL, "\xef\xbf\xbd");
  assert_string (ctx, "base64-decode('AGEAYgBj')", NULL, "abc");
  assert_eval_fails (ctx, "base64-decode()", "base64-decode");
}

/* The string values @expr selects, joined with no separator. */
static char *
eval_joined (DftExprContext *ctx, const char *expr)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv)     values = dft_expr_eval_strings (ctx, expr, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (values);
  return g_strjoinv ("", values);
}

static int
compare_chars (const void *a, const void *b)
{
  return *(const char *) a - *(const char *) b;
}

static void
test_fn_randomize (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();
  const char *const          names[] = { "name", "label", NULL };
  gboolean                   moved = FALSE;

  for (int i = 0; i < 6; i++)
    {
      g_autofree char *path = g_strdup_printf ("/data/rep[%d]/x", i + 1);
      char             letter[] = { (char) ('A' + i), '\0' };
      const char      *values[] = { letter, letter, NULL };

      set (ctx, path, letter);
      dft_expr_context_add_instance_item (ctx, "letters", names, values);
    }
  /* The seeded orders of openrosa-xpath-evaluator's randomize() tests: the inside-out
   * Fisher-Yates shuffle with a Park-Miller generator, as the ODK XForms spec says. */
  {
    static const struct
    {
      const char *expr;
      const char *order;
    } seeded[] = {
      { "randomize(/data/rep/x, 42)", "AFCBDE" },
      { "randomize(/data/rep/x, '42')", "AFCBDE" },
      { "randomize(/data/rep/x, -42)", "EDAFBC" },
      { "randomize(/data/rep/x, 1)", "BFEACD" },
      { "randomize(/data/rep/x, 11111111)", "ACDBFE" },
      { "randomize(/data/rep/x, 1.9)", "BFEACD" },
      { "randomize(instance('letters')/root/item, 42)/name", "AFCBDE" },
      { "randomize(/data/nothing, 42)", "" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (seeded); i++)
      {
        g_autofree char *order = eval_joined (ctx, seeded[i].expr);

        g_assert_cmpstr (order, ==, seeded[i].order);
      }
  }
  set (ctx, "/data/seed", "42");
  {
    g_autofree char *order = eval_joined (ctx, "randomize(/data/rep/x, /data/seed)");

    g_assert_cmpstr (order, ==, "AFCBDE");
  }
  /* Without a seed: every value once, in an order that changes. */
  for (int i = 0; i < 20; i++)
    {
      g_autofree char *order = eval_joined (ctx, "randomize(/data/rep/x)");
      g_autofree char *sorted = g_strdup (order);

      g_assert_cmpuint (strlen (sorted), ==, 6);
      qsort (sorted, 6, 1, compare_chars);
      g_assert_cmpstr (sorted, ==, "ABCDEF");
      moved |= strcmp (order, "ABCDEF") != 0;
    }
  g_assert_true (moved);
  assert_number (ctx, "count(randomize(/data/rep/x, 7))", 6);
  assert_string (ctx, "join('', randomize(/data/rep/x, 42))", NULL, "AFCBDE");
  assert_eval_fails (ctx, "randomize('ABC', 1)", "randomize");
  assert_eval_fails (ctx, "randomize()", "randomize");
  assert_eval_fails (ctx, "randomize(/data/rep/x, 1, 2)", "randomize");
}

/* Today's date at @time ("12:00:00Z") as a fraction of the local day. */
static double
local_fraction (const char *time)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char      *day = g_date_time_format (now, "%Y-%m-%d");
  g_autofree char      *iso = g_strdup_printf ("%sT%s", day, time);
  g_autoptr (GTimeZone) local = g_time_zone_new_local ();
  g_autoptr (GDateTime) dt = g_date_time_new_from_iso8601 (iso, local);
  g_autoptr (GDateTime) here = g_date_time_to_local (dt);

  return (g_date_time_get_hour (here) * 3600 + g_date_time_get_minute (here) * 60
          + g_date_time_get_seconds (here))
         / 86400.0;
}

static void
test_fn_decimal_time (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();

  assert_number (ctx, "decimal-time('12:00:00')", 0.5);
  assert_number (ctx, "decimal-time('18:00')", 0.75);
  assert_number (ctx, "decimal-time('06:00:00.000')", 0.25);
  assert_number (ctx, "decimal-time('00:00:00')", 0);
  assert_number (ctx, "decimal-time('12:00:00.000Z')", local_fraction ("12:00:00Z"));
  assert_number (ctx, "decimal-time('06:30:00.000+03:00')", local_fraction ("06:30:00+03:00"));
  /* A dateTime gives its time of day; a number its fraction. */
  assert_number (ctx, "decimal-time('2026-03-05T18:00:00')", 0.75);
  assert_number (ctx, "decimal-time(20454.25)", 0.25);
  set (ctx, "/data/start", "09:00:00.000");
  assert_number (ctx, "jr:decimal-time(/data/start) * 24", 9);
  assert_string (ctx, "decimal-time('')", NULL, "");
  assert_eval_fails (ctx, "decimal-time('noon')", "noon");
  assert_eval_fails (ctx, "decimal-time('25:00')", "25:00");
  assert_eval_fails (ctx, "decimal-time()", "decimal-time");
}

/* @days after 1970-01-01T00:00Z, written as now() writes, in the local zone. */
static char *
local_date_time (double days)
{
  g_autoptr (GDateTime) epoch = g_date_time_new_from_unix_utc (0);
  g_autoptr (GDateTime) utc = g_date_time_add (epoch, (GTimeSpan) (days * G_TIME_SPAN_DAY));
  g_autoptr (GDateTime) here = g_date_time_to_local (utc);
  g_autofree char      *s = g_date_time_format (here, "%Y-%m-%dT%H:%M:%S");
  g_autofree char      *zone = g_date_time_format (here, "%:z");

  return g_strdup_printf ("%s.%03d%s", s, g_date_time_get_microsecond (here) / 1000, zone);
}

static void
test_fn_date_time (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();
  g_autofree char           *epoch = local_date_time (0);
  g_autofree char           *later = local_date_time (20454.25);
  g_autofree char           *before = local_date_time (-1.5);
  g_autofree char           *moment = NULL;
  g_autoptr (GTimeZone)      local = g_time_zone_new_local ();
  g_autoptr (GDateTime)      midnight = g_date_time_new (local, 2026, 3, 5, 0, 0, 0);
  g_autofree char           *midnight_s = NULL;

  assert_string (ctx, "date-time(0)", NULL, epoch);
  assert_string (ctx, "date-time(20454.25)", NULL, later);
  assert_string (ctx, "date-time('20454.25')", NULL, later);
  assert_string (ctx, "date-time(-1.5)", NULL, before);
  assert_number (ctx, "decimal-date-time(date-time(20454.25))", 20454.25);
  assert_number (ctx, "decimal-date-time(date-time(-1.5))", -1.5);
  /* A date or dateTime is written in full. */
  moment = eval_string (ctx, "date-time('2026-03-05T07:08:09.045Z')", NULL);
  g_assert_cmpfloat (
      eval_number (ctx, "decimal-date-time('2026-03-05T07:08:09.045Z')", NULL), ==,
      eval_number (ctx, "decimal-date-time(date-time('2026-03-05T07:08:09.045Z'))", NULL));
  g_assert_true (g_regex_match_simple ("^2026-03-0[456]T\\d\\d:\\d\\d:09\\.045[+-]\\d\\d:\\d\\d$",
                                       moment, 0, 0));
  midnight_s = local_date_time (g_date_time_to_unix (midnight) / 86400.0);
  assert_string (ctx, "date-time('2026-03-05')", NULL, midnight_s);
  /* Nothing from nothing, or from days no calendar here holds; an error for words. */
  assert_string (ctx, "date-time('')", NULL, "");
  assert_string (ctx, "date-time(number('x'))", NULL, "");
  assert_string (ctx, "date-time(1 div 0)", NULL, "");
  assert_string (ctx, "date-time(999999999)", NULL, "");
  assert_eval_fails (ctx, "date-time('soon')", "soon");
  assert_eval_fails (ctx, "date-time()", "date-time");
}

/* JavaRosa's GeoUtilsTest path 1, from mapdevelopers.com: 151,452 m² and 1,801 m. */
static const char *const path1[] = {
  "38.253094215699576 21.756382658677467 0 0", "38.25021274773806 21.756382658677467 0 0",
  "38.25007793942195 21.763892843919166 0 0",  "38.25290886154963 21.763935759263404 0 0",
  "38.25146813817506 21.758421137528785 0 0",  NULL,
};

static void
test_fn_geo (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();
  g_autofree char           *trace = g_strjoinv (";", (char **) path1);
  g_autofree char           *spaced = g_strjoinv (" ; ", (char **) path1);
  const double               equator = 2 * G_PI * 6378100;
  static const char *const   bad[][3] = {
      { "area('somewhere')", "area()", "“somewhere”" },
      { "distance('91 0;0 0')", "distance()", "“91 0”" },
      { "distance('0 181;0 0')", "distance()", "“0 181”" },
      { "distance('0;0 0')", "distance()", "“0”" },
      { "distance('0 0 0 0 0;0 0')", "distance()", "“0 0 0 0 0”" },
      { "enclosed-area('0 x;0 0')", "enclosed-area()", "“0 x”" },
      { "area()", "area()", "arguments" },
      { "distance(/data/shape, /data/shape)", "distance()", "arguments" },
  };

  set (ctx, "/data/shape", trace);
  assert_number_near (ctx, "area(/data/shape)", 151452, 0.5);
  assert_number_near (ctx, "enclosed-area(/data/shape)", 151452, 0.5);
  assert_number_near (ctx, "jr:area(/data/shape)", 151452, 0.5);
  assert_number_near (ctx, "distance(/data/shape)", 1801, 0.5);
  set (ctx, "/data/shape", spaced);
  assert_number_near (ctx, "area(/data/shape)", 151452, 0.5);
  /* Geopoints, one a repeat instance. */
  for (guint i = 0; path1[i] != NULL; i++)
    {
      g_autofree char *path = g_strdup_printf ("/data/walk[%u]/point", i + 1);

      set (ctx, path, path1[i]);
    }
  assert_number_near (ctx, "area(/data/walk/point)", 151452, 0.5);
  assert_number_near (ctx, "distance(/data/walk/point)", 1801, 0.5);
  /* A point not taken yet is skipped; with none taken there is nothing to store. */
  set (ctx, "/data/walk[6]/point", "");
  assert_number_near (ctx, "distance(/data/walk/point)", 1801, 0.5);
  set (ctx, "/data/walk[7]/point", "1 2;3 4");
  assert_eval_fails (ctx, "distance(/data/walk/point)", "“1 2;3 4”");
  set (ctx, "/data/none[1]/point", "");
  set (ctx, "/data/none[2]/point", "");
  assert_string (ctx, "distance(/data/none/point)", NULL, "");
  /* Around the equator, and along a meridian at the pole. */
  assert_number_near (ctx, "distance('0 0; 0 1')", equator / 360, 1e-6);
  assert_number_near (ctx, "distance('0 0;0 90')", equator / 4, 1e-6);
  assert_number_near (ctx, "distance('90 0;90 1')", 0, 1e-6);
  assert_number (ctx, "distance('10 10;10 10')", 0);
  /* Altitude and accuracy are optional; a trailing ";" is allowed. */
  assert_number_near (ctx, "distance('0 0;0 1;')", equator / 360, 1e-6);
  /* Too few points to enclose anything or go anywhere. */
  assert_number (ctx, "area('0 0;0 1')", 0);
  assert_number (ctx, "distance('0 0')", 0);
  assert_number (ctx, "distance(/data/nothing)", 0);
  /* An empty answer gives nothing to store, as arithmetic over it does. */
  set (ctx, "/data/empty", "");
  assert_string (ctx, "area(/data/empty)", NULL, "");
  assert_string (ctx, "distance(/data/empty)", NULL, "");
  /* Anything else is an error naming the function and the value. */
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      assert_eval_fails (ctx, bad[i][0], bad[i][1]);
      assert_eval_fails (ctx, bad[i][0], bad[i][2]);
    }
}

static void
test_fn_geofence (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();
  const char                *square = "0 0;0 10;10 10;10 0;0 0";

  set (ctx, "/data/fence", square);
  set (ctx, "/data/here", "5 5 1200 4.5");
  g_assert_true (eval_boolean (ctx, "geofence(/data/here, /data/fence)", NULL));
  g_assert_true (eval_boolean (ctx, "geofence('1 9', /data/fence)", NULL));
  g_assert_false (eval_boolean (ctx, "geofence('15 5', /data/fence)", NULL));
  g_assert_false (eval_boolean (ctx, "geofence('-1 5', /data/fence)", NULL));
  g_assert_false (eval_boolean (ctx, "geofence('5 10.5', /data/fence)", NULL));
  /* A shape not closed is closed for it; a triangle. */
  g_assert_true (eval_boolean (ctx, "geofence('2 1', '0 0;5 5;5 0')", NULL));
  g_assert_false (eval_boolean (ctx, "geofence('1 2', '0 0;5 5;5 0')", NULL));
  /* No point, or no shape: not inside. */
  g_assert_false (eval_boolean (ctx, "geofence('', /data/fence)", NULL));
  g_assert_false (eval_boolean (ctx, "geofence('5 5', '')", NULL));
  g_assert_false (eval_boolean (ctx, "geofence('5 5', '0 0;0 10')", NULL));
  assert_eval_fails (ctx, "geofence('here', /data/fence)", "here");
  assert_eval_fails (ctx, "geofence('5 5', '0 0;0 x;1 1')", "0 x");
  assert_eval_fails (ctx, "geofence('5 5')", "geofence");
}

/* Functions Daftari refuses say why when the form loads. */
static void
test_errors_refused (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();
  static const struct
  {
    const char *expr;
    const char *needle;
  } refused[] = {
    { "concat('v', version())", "Enketo" },
    { "jr:version()", "Enketo" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_false (dft_expr_context_check (ctx, refused[i].expr, &error));
      g_assert_error (error, DFT_EXPR_ERROR, DFT_EXPR_ERROR_UNKNOWN_FUNCTION);
      g_assert_nonnull (strstr (error->message, refused[i].needle));
      g_assert_nonnull (strstr (error->message, refused[i].expr));
    }
}

static const char *
lookup_text (const char *id, gpointer user_data)
{
  return g_hash_table_lookup (user_data, id);
}

/* jr:itext(id) gives the text the form engine looks up: in an expression, from a computed id,
 * "" for an id with no text and when nobody gives texts. */
static void
test_itext (void)
{
  g_autoptr (DftExprContext) ctx = new_context ();
  g_autoptr (GHashTable)     texts = g_hash_table_new (g_str_hash, g_str_equal);

  assert_string (ctx, "jr:itext('greeting')", NULL, "");
  g_hash_table_insert (texts, "greeting", "Hello");
  g_hash_table_insert (texts, "c-2", "Two");
  dft_expr_context_set_text_func (ctx, lookup_text, texts);
  assert_string (ctx, "jr:itext('greeting')", NULL, "Hello");
  assert_string (ctx, "concat(jr:itext(' greeting '), '!')", NULL, "Hello!");
  set (ctx, "/data/code", "2");
  assert_string (ctx, "jr:itext(concat('c-', /data/code))", NULL, "Two");
  assert_string (ctx, "jr:itext('nothing')", NULL, "");
  assert_eval_fails (ctx, "jr:itext()", "itext");
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
  g_test_add_func ("/expr/eval/itext", test_itext);
  g_test_add_func ("/expr/eval/numbers", test_numbers);
  g_test_add_func ("/expr/eval/number-format", test_number_format);
  g_test_add_func ("/expr/eval/number-exponent-input", test_number_exponent_input);
  g_test_add_func ("/expr/eval/number-round-trip", test_number_round_trip);
  g_test_add_func ("/expr/eval/dates", test_dates);
  g_test_add_func ("/expr/eval/repeat", test_repeat);
  g_test_add_func ("/expr/errors/syntax", test_errors_syntax);
  g_test_add_func ("/expr/errors/unknown", test_errors_unknown);
  g_test_add_func ("/expr/errors/refused", test_errors_refused);
  g_test_add_func ("/expr/functions/substr", test_fn_substr);
  g_test_add_func ("/expr/functions/ends-with", test_fn_ends_with);
  g_test_add_func ("/expr/functions/join", test_fn_join);
  g_test_add_func ("/expr/functions/string-length", test_fn_string_length);
  g_test_add_func ("/expr/functions/uuid", test_fn_uuid);
  g_test_add_func ("/expr/functions/max-min", test_fn_max_min);
  g_test_add_func ("/expr/functions/math", test_fn_math);
  g_test_add_func ("/expr/functions/random", test_fn_random);
  g_test_add_func ("/expr/functions/count-non-empty", test_fn_count_non_empty);
  g_test_add_func ("/expr/functions/checklist", test_fn_checklist);
  g_test_add_func ("/expr/functions/weighted-checklist", test_fn_weighted_checklist);
  g_test_add_func ("/expr/functions/once", test_fn_once);
  g_test_add_func ("/expr/functions/format-date", test_fn_format_date);
  g_test_add_func ("/expr/functions/indexed-repeat", test_fn_indexed_repeat);
  g_test_add_func ("/expr/functions/pulldata", test_fn_pulldata);
  g_test_add_func ("/expr/functions/geo", test_fn_geo);
  g_test_add_func ("/expr/functions/geofence", test_fn_geofence);
  g_test_add_func ("/expr/functions/digest", test_fn_digest);
  g_test_add_func ("/expr/functions/base64-decode", test_fn_base64_decode);
  g_test_add_func ("/expr/functions/randomize", test_fn_randomize);
  g_test_add_func ("/expr/functions/decimal-time", test_fn_decimal_time);
  g_test_add_func ("/expr/functions/date-time", test_fn_date_time);
  g_test_add_func ("/expr/references", test_references);
  g_test_add_func ("/expr/graph/cycle", test_graph_cycle);
  g_test_add_func ("/expr/graph/self-cycle", test_graph_self_cycle);
  g_test_add_func ("/expr/graph/dependents", test_graph_dependents);

  return g_test_run ();
}
