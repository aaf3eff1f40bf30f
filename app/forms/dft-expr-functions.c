/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dft-expr-private.h"

/* ------------------------------------------------------------------------------------------ */
/* Conversions                                                                                */
/* ------------------------------------------------------------------------------------------ */

static gboolean
is_xpath_number (const char *s)
{
  gboolean digits = FALSE;

  if (*s == '-')
    s++;
  while (g_ascii_isdigit (*s))
    s++, digits = TRUE;
  if (*s == '.')
    s++;
  while (g_ascii_isdigit (*s))
    s++, digits = TRUE;
  return digits && *s == '\0';
}

/* What earlier versions of Daftari wrote for numbers above 1e9 or under 1e-5 (libxml2's
 * "1.2345678901e+10", "1e-06"): XPath 1.0 has no exponents, but these answers are read as the
 * numbers they were, not lost. */
static gboolean
is_exponent_number (const char *s)
{
  const char *e = strpbrk (s, "eE");

  if (e == NULL || e == s)
    return FALSE;
  {
    g_autofree char *mantissa = g_strndup (s, e - s);

    if (!is_xpath_number (mantissa))
      return FALSE;
  }
  e++;
  if (*e == '+' || *e == '-')
    e++;
  if (!g_ascii_isdigit (*e))
    return FALSE;
  while (g_ascii_isdigit (*e))
    e++;
  return *e == '\0';
}

/* What _dft_expr_number_to_string() writes, read back to the same double: plain decimals,
 * "NaN", "Infinity" and "-Infinity"; and the exponents earlier versions wrote. */
static gboolean
read_number (const char *s, double *n)
{
  if (is_xpath_number (s) || is_exponent_number (s))
    *n = g_ascii_strtod (s, NULL);
  else if (strcmp (s, "Infinity") == 0)
    *n = INFINITY;
  else if (strcmp (s, "-Infinity") == 0)
    *n = -INFINITY;
  else
    return FALSE;
  return TRUE;
}

/* "YYYY-MM-DD" at the start of @s, as days since 1970-01-01. */
static gboolean
parse_date_prefix (const char *s, gint64 *days)
{
  int   y, m, d;
  GDate date, epoch;

  if (strlen (s) < 10 || s[4] != '-' || s[7] != '-')
    return FALSE;
  for (int i = 0; i < 10; i++)
    if (i != 4 && i != 7 && !g_ascii_isdigit (s[i]))
      return FALSE;
  y = atoi (s);
  m = atoi (s + 5);
  d = atoi (s + 8);
  if (!g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y))
    return FALSE;
  g_date_clear (&date, 1);
  g_date_clear (&epoch, 1);
  g_date_set_dmy (&date, (GDateDay) d, (GDateMonth) m, (GDateYear) y);
  g_date_set_dmy (&epoch, 1, G_DATE_JANUARY, 1970);
  *days = (gint64) g_date_get_julian (&date) - (gint64) g_date_get_julian (&epoch);
  return TRUE;
}

/* A dateTime (or a date, at local midnight, as JavaRosa's DateUtils.parseDateTime does). */
static GDateTime *
parse_date_time (const char *s)
{
  g_autoptr (GTimeZone) local = g_time_zone_new_local ();
  gint64                days;

  if (strlen (s) == 10 && parse_date_prefix (s, &days))
    {
      int y = atoi (s), m = atoi (s + 5), d = atoi (s + 8);

      return g_date_time_new (local, y, m, d, 0, 0, 0);
    }
  return g_date_time_new_from_iso8601 (s, local);
}

static double
decimal_days (GDateTime *dt)
{
  return ((double) g_date_time_to_unix (dt) + g_date_time_get_microsecond (dt) / 1e6) / 86400.0;
}

/* ODK's number(): XPath's rules, plus dates as days and dateTimes as decimal days since
 * 1970-01-01 (ODK XForms spec, number()). */
static double
string_to_number (const char *text)
{
  g_autofree char      *s = g_strstrip (g_strdup (text));
  g_autoptr (GDateTime) dt = NULL;
  gint64                days;
  double                n;

  if (read_number (s, &n))
    return n;
  if (strlen (s) == 10 && parse_date_prefix (s, &days))
    return (double) days;
  if (strlen (s) > 10 && parse_date_prefix (s, &days) && s[10] == 'T'
      && (dt = parse_date_time (s)) != NULL)
    return decimal_days (dt);
  return NAN;
}

double
_dft_expr_object_to_number (xmlXPathObjectPtr obj)
{
  xmlChar *s;
  double   n;

  if (obj == NULL)
    return NAN;
  if (obj->type == XPATH_NUMBER)
    return obj->floatval;
  if (obj->type == XPATH_BOOLEAN)
    return obj->boolval ? 1 : 0;
  s = xmlXPathCastToString (obj);
  n = string_to_number ((const char *) s);
  xmlFree (s);
  return n;
}

/* @n with the digits ODK writes, the fewest (15 to 17) that read back as the same double, as
 * Java's Double.toString chooses them: 1 div 3 is "0.3333333333333333", 0.1 + 0.2
 * "0.30000000000000004". Always in plain decimal, 2500000 × 4000 being "10000000000": XPath
 * has no exponents, so the next expression could not read "1e+10". Whole numbers have no ".0",
 * -0 is "0", and what is not a finite number is XPath's "NaN", "Infinity" or "-Infinity". */
char *
_dft_expr_number_to_string (double n)
{
  static const char *const formats[] = { "%.14e", "%.15e", "%.16e" };
  char                     buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_autoptr (GString)      digits = g_string_new (NULL);
  GString                 *out;
  const char              *p;
  int                      exponent, point;

  if (isnan (n))
    return g_strdup ("NaN");
  if (isinf (n))
    return g_strdup (n > 0 ? "Infinity" : "-Infinity");
  if (n == 0)
    return g_strdup ("0");

  /* "-d.ddddde±xx" with as few digits as round-trip; %.16e (17 digits) always does. */
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_ascii_formatd (buf, sizeof buf, formats[i], n);
      if (g_ascii_strtod (buf, NULL) == n)
        break;
    }
  for (p = buf + (buf[0] == '-'); *p != 'e'; p++)
    if (g_ascii_isdigit (*p))
      g_string_append_c (digits, *p);
  exponent = atoi (p + 1);
  while (digits->len > 1 && digits->str[digits->len - 1] == '0')
    g_string_truncate (digits, digits->len - 1);

  /* The decimal point goes after the first exponent + 1 digits. */
  out = g_string_new (n < 0 ? "-" : "");
  point = exponent + 1;
  if (point <= 0)
    {
      g_string_append (out, "0.");
      for (int i = 0; i < -point; i++)
        g_string_append_c (out, '0');
      g_string_append_len (out, digits->str, digits->len);
    }
  else if ((gsize) point >= digits->len)
    {
      g_string_append_len (out, digits->str, digits->len);
      for (gsize i = digits->len; i < (gsize) point; i++)
        g_string_append_c (out, '0');
    }
  else
    {
      g_string_append_len (out, digits->str, point);
      g_string_append_c (out, '.');
      g_string_append (out, digits->str + point);
    }
  return g_string_free (out, FALSE);
}

/* XPath's string() of @obj, with numbers written by _dft_expr_number_to_string(). */
char *
_dft_expr_object_to_string (xmlXPathObjectPtr obj)
{
  xmlChar *s;
  char    *out;

  if (obj == NULL)
    return g_strdup ("");
  if (obj->type == XPATH_NUMBER)
    return _dft_expr_number_to_string (obj->floatval);
  s = xmlXPathCastToString (obj);
  out = g_strdup (s ? (const char *) s : "");
  xmlFree (s);
  return out;
}

/* ------------------------------------------------------------------------------------------ */
/* ODK functions                                                                              */
/* ------------------------------------------------------------------------------------------ */

static DftExprContext *
self_of (xmlXPathParserContextPtr ctxt)
{
  return ctxt->context->userData;
}

G_GNUC_PRINTF (2, 3)
static void
function_failed (xmlXPathParserContextPtr ctxt, const char *format, ...)
{
  DftExprContext *self = self_of (ctxt);
  va_list         args;

  if (self->pending == NULL)
    {
      va_start (args, format);
      self->pending = g_error_new_valist (DFT_EXPR_ERROR, DFT_EXPR_ERROR_EVAL, format, args);
      va_end (args);
    }
  xmlXPathErr (ctxt, XPATH_EXPR_ERROR);
}

static gboolean
check_arity (xmlXPathParserContextPtr ctxt, int nargs, int min, int max, const char *name)
{
  if (nargs >= min && nargs <= max)
    return TRUE;
  function_failed (ctxt,
                   /* Translators: %s is a function name in a form expression, like round */
                   _ ("%s() is given the wrong number of arguments"), name);
  return FALSE;
}

static char *
pop_string (xmlXPathParserContextPtr ctxt)
{
  xmlXPathObjectPtr obj = valuePop (ctxt);
  char             *out = _dft_expr_object_to_string (obj);

  xmlXPathFreeObject (obj);
  return out;
}

static double
pop_number (xmlXPathParserContextPtr ctxt)
{
  xmlXPathObjectPtr obj = valuePop (ctxt);
  double            n = _dft_expr_object_to_number (obj);

  xmlXPathFreeObject (obj);
  return n;
}

static void
push_string (xmlXPathParserContextPtr ctxt, const char *s)
{
  valuePush (ctxt, xmlXPathNewString ((const xmlChar *) s));
}

static void
fn_num (xmlXPathParserContextPtr ctxt, int nargs)
{
  double n;

  if (nargs == 0)
    {
      xmlChar *s = xmlXPathCastNodeToString (ctxt->context->node);

      n = string_to_number ((const char *) s);
      xmlFree (s);
    }
  else if (!check_arity (ctxt, nargs, 0, 1, "number"))
    return;
  else
    n = pop_number (ctxt);
  valuePush (ctxt, xmlXPathNewFloat (n));
}

static gboolean
list_contains (const char *list, const char *value)
{
  g_auto (GStrv) items = g_strsplit_set (list, " \t\n\r", -1);

  return value[0] != '\0' && g_strv_contains ((const char *const *) items, value);
}

static void
fn_selected (xmlXPathParserContextPtr ctxt, int nargs)
{
  g_autofree char *value = NULL;
  g_autofree char *list = NULL;

  if (!check_arity (ctxt, nargs, 2, 2, "selected"))
    return;
  value = g_strstrip (pop_string (ctxt));
  list = pop_string (ctxt);
  valuePush (ctxt, xmlXPathNewBoolean (list_contains (list, value)));
}

static void
fn_count_selected (xmlXPathParserContextPtr ctxt, int nargs)
{
  g_autofree char *list = NULL;
  g_auto (GStrv)   items = NULL;
  int              count = 0;

  if (!check_arity (ctxt, nargs, 1, 1, "count-selected"))
    return;
  list = pop_string (ctxt);
  items = g_strsplit_set (list, " \t\n\r", -1);
  for (guint i = 0; items[i] != NULL; i++)
    count += items[i][0] != '\0';
  valuePush (ctxt, xmlXPathNewFloat (count));
}

static void
fn_selected_at (xmlXPathParserContextPtr ctxt, int nargs)
{
  g_autofree char      *list = NULL;
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv)        parts = NULL;
  double                index;

  if (!check_arity (ctxt, nargs, 2, 2, "selected-at"))
    return;
  index = trunc (pop_number (ctxt));
  list = pop_string (ctxt);
  parts = g_strsplit_set (list, " \t\n\r", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (parts[i][0] != '\0')
      g_ptr_array_add (items, g_strdup (parts[i]));
  push_string (ctxt,
               index >= 0 && index < items->len ? g_ptr_array_index (items, (guint) index) : "");
}

static void
fn_choice_name (xmlXPathParserContextPtr ctxt, int nargs)
{
  g_autofree char *list = NULL;
  g_autofree char *value = NULL;
  GHashTable      *labels;
  const char      *label = NULL;

  if (!check_arity (ctxt, nargs, 2, 2, "jr:choice-name"))
    return;
  list = g_strstrip (pop_string (ctxt));
  value = g_strstrip (pop_string (ctxt));
  labels = g_hash_table_lookup (self_of (ctxt)->choices, list);
  if (labels != NULL)
    label = g_hash_table_lookup (labels, value);
  push_string (ctxt, label ? label : "");
}

/* jr:itext(id): the form's text of that id in the current language (ODK XForms spec). */
static void
fn_itext (xmlXPathParserContextPtr ctxt, int nargs)
{
  DftExprContext  *self = self_of (ctxt);
  g_autofree char *id = NULL;
  const char      *text = NULL;

  if (!check_arity (ctxt, nargs, 1, 1, "jr:itext"))
    return;
  id = g_strstrip (pop_string (ctxt));
  if (self->text_func != NULL)
    text = self->text_func (id, self->text_data);
  push_string (ctxt, text != NULL ? text : "");
}

static void
fn_if (xmlXPathParserContextPtr ctxt, int nargs)
{
  xmlXPathObjectPtr otherwise, then;
  int               cond;

  if (!check_arity (ctxt, nargs, 3, 3, "if"))
    return;
  otherwise = valuePop (ctxt);
  then = valuePop (ctxt);
  cond = xmlXPathPopBoolean (ctxt);
  valuePush (ctxt, cond ? then : otherwise);
  xmlXPathFreeObject (cond ? otherwise : then);
}

static void
fn_coalesce (xmlXPathParserContextPtr ctxt, int nargs)
{
  g_autofree char *second = NULL;
  g_autofree char *first = NULL;

  if (!check_arity (ctxt, nargs, 2, 2, "coalesce"))
    return;
  second = pop_string (ctxt);
  first = pop_string (ctxt);
  push_string (ctxt, first[0] != '\0' ? first : second);
}

/* ODK Collect's JavaRosa tests the whole value: XPathFuncExpr.regex() is
 * Pattern.matches(re, str) (getodk/javarosa). Enketo tests with RegExp.test(), which finds a
 * match anywhere; forms that anchor with ^…$ behave the same in both. */
static void
fn_regex (xmlXPathParserContextPtr ctxt, int nargs)
{
  DftExprContext  *self = self_of (ctxt);
  g_autofree char *pattern = NULL;
  g_autofree char *value = NULL;
  GRegex          *re;

  if (!check_arity (ctxt, nargs, 2, 2, "regex"))
    return;
  pattern = pop_string (ctxt);
  value = pop_string (ctxt);
  re = g_hash_table_lookup (self->regexes, pattern);
  if (re == NULL)
    {
      g_autofree char   *whole = g_strdup_printf ("\\A(?:%s)\\z", pattern);
      g_autoptr (GError) error = NULL;

      re = g_regex_new (whole, 0, 0, &error);
      if (re == NULL)
        {
          function_failed (ctxt,
                           /* Translators: %s is a regular expression from a form */
                           _ ("“%s” is not a valid regular expression"), pattern);
          return;
        }
      g_hash_table_insert (self->regexes, g_strdup (pattern), re);
    }
  valuePush (ctxt, xmlXPathNewBoolean (g_regex_match (re, value, 0, NULL)));
}

static void
fn_today (xmlXPathParserContextPtr ctxt, int nargs)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char      *s = NULL;

  if (!check_arity (ctxt, nargs, 0, 0, "today"))
    return;
  s = g_date_time_format (now, "%Y-%m-%d");
  push_string (ctxt, s);
}

/* @dt as an ODK dateTime: "2026-03-05T07:08:09.045+03:00". */
static char *
format_date_time (GDateTime *dt)
{
  g_autofree char *day = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
  g_autofree char *zone = g_date_time_format (dt, "%:z");

  return g_strdup_printf ("%s.%03d%s", day, g_date_time_get_microsecond (dt) / 1000, zone);
}

static void
fn_now (xmlXPathParserContextPtr ctxt, int nargs)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char      *s = NULL;

  if (!check_arity (ctxt, nargs, 0, 0, "now"))
    return;
  s = format_date_time (now);
  push_string (ctxt, s);
}

/* Days since 1970-01-01 that name a date GLib can hold and a form can mean: from 0001-01-01
 * (-719,162) to 9999-12-31 (2,932,896). Outside it, date() is empty, as for any bad date. */
static gboolean
days_in_range (double days)
{
  return !isnan (days) && days >= -719162 && days <= 2932896;
}

static char *
days_to_date (double days)
{
  GDate date;

  g_date_clear (&date, 1);
  g_date_set_dmy (&date, 1, G_DATE_JANUARY, 1970);
  if (days >= 0)
    g_date_add_days (&date, (guint) days);
  else
    g_date_subtract_days (&date, (guint) -days);
  return g_strdup_printf ("%04d-%02d-%02d", g_date_get_year (&date), g_date_get_month (&date),
                          g_date_get_day (&date));
}

/* date(): a number is days since 1970-01-01 (truncated, as JavaRosa's toInt); a string is a
 * date or a dateTime, whose date part is kept; empty stays empty. */
static void
fn_date (xmlXPathParserContextPtr ctxt, int nargs)
{
  xmlXPathObjectPtr obj;
  g_autofree char  *s = NULL;
  double            days = NAN;
  gint64            whole;

  if (!check_arity (ctxt, nargs, 1, 1, "date"))
    return;
  obj = valuePop (ctxt);
  if (obj->type == XPATH_NUMBER || obj->type == XPATH_BOOLEAN)
    days = _dft_expr_object_to_number (obj);
  else
    {
      xmlChar *text = xmlXPathCastToString (obj);

      s = g_strstrip (g_strdup ((const char *) text));
      xmlFree (text);
      if (s[0] == '\0')
        ;
      else if (parse_date_prefix (s, &whole) && (s[10] == '\0' || s[10] == 'T'))
        days = (double) whole;
      else if (!read_number (s, &days))
        {
          xmlXPathFreeObject (obj);
          /* Translators: %s is a value from a form that should have been a date */
          function_failed (ctxt, _ ("“%s” is not a date"), s);
          return;
        }
    }
  xmlXPathFreeObject (obj);
  if (!days_in_range (days))
    push_string (ctxt, "");
  else
    {
      g_autofree char *date = days_to_date (trunc (days));

      push_string (ctxt, date);
    }
}

static void
fn_decimal_date_time (xmlXPathParserContextPtr ctxt, int nargs)
{
  xmlXPathObjectPtr     obj;
  xmlChar              *text;
  g_autofree char      *s = NULL;
  g_autoptr (GDateTime) dt = NULL;
  double                n;

  if (!check_arity (ctxt, nargs, 1, 1, "decimal-date-time"))
    return;
  obj = valuePop (ctxt);
  if (obj->type == XPATH_NUMBER)
    {
      valuePush (ctxt, obj);
      return;
    }
  text = xmlXPathCastToString (obj);
  xmlXPathFreeObject (obj);
  s = g_strstrip (g_strdup ((const char *) text));
  xmlFree (text);
  if (s[0] == '\0')
    push_string (ctxt, "");
  else if (read_number (s, &n))
    valuePush (ctxt, xmlXPathNewFloat (n));
  else if ((dt = parse_date_time (s)) != NULL)
    valuePush (ctxt, xmlXPathNewFloat (decimal_days (dt)));
  else
    /* Translators: %s is a value from a form that should have been a date and time */
    function_failed (ctxt, _ ("“%s” is not a date and time"), s);
}

/* A date with a time ("2026-03-05T07:08:09"), or NULL. */
static GDateTime *
parse_full_date_time (const char *s)
{
  gint64 days;

  if (!parse_date_prefix (s, &days) || s[10] != 'T')
    return NULL;
  return parse_date_time (s);
}

/* A time, "hh:mm", "hh:mm:ss" or "hh:mm:ss.sss" with or without a zone, today; without a zone,
 * in the local one. NULL when @s is not a time. */
static GDateTime *
parse_time (const char *s)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autoptr (GTimeZone) local = g_time_zone_new_local ();
  g_autofree char      *day = g_date_time_format (now, "%Y-%m-%d");
  g_autofree char      *iso = NULL;

  if (!g_ascii_isdigit (s[0]) || !g_ascii_isdigit (s[1]) || s[2] != ':' || !g_ascii_isdigit (s[3])
      || !g_ascii_isdigit (s[4]))
    return NULL;
  /* GLib reads a time with its seconds. */
  if (s[5] == ':')
    iso = g_strdup_printf ("%sT%s", day, s);
  else
    iso = g_strdup_printf ("%sT%.5s:00%s", day, s, s + 5);
  return g_date_time_new_from_iso8601 (iso, local);
}

/* The time of day of @dt in the local zone, as a fraction of the day: noon is 0.5. */
static double
local_day_fraction (GDateTime *dt)
{
  g_autoptr (GDateTime) here = g_date_time_to_local (dt);

  if (here == NULL)
    return NAN;
  return (g_date_time_get_hour (here) * 3600 + g_date_time_get_minute (here) * 60
          + g_date_time_get_seconds (here))
         / 86400.0;
}

/* Pops the argument of a date function: its number, or NAN with its text in @text. */
static double
pop_number_or_text (xmlXPathParserContextPtr ctxt, char **text)
{
  xmlXPathObjectPtr obj = valuePop (ctxt);
  double            n = NAN;

  *text = NULL;
  if (obj->type == XPATH_NUMBER || obj->type == XPATH_BOOLEAN)
    n = _dft_expr_object_to_number (obj);
  else
    {
      *text = g_strstrip (_dft_expr_object_to_string (obj));
      if (read_number (*text, &n))
        g_clear_pointer (text, g_free);
    }
  xmlXPathFreeObject (obj);
  return n;
}

/* decimal-time(time): the time of day in the local zone as a fraction of a day (ODK XForms
 * spec): noon is 0.5. A dateTime gives its time of day and a number its fraction, as in
 * JavaRosa; empty stays empty. */
static void
fn_decimal_time (xmlXPathParserContextPtr ctxt, int nargs)
{
  g_autofree char      *s = NULL;
  g_autoptr (GDateTime) dt = NULL;
  double                n;

  if (!check_arity (ctxt, nargs, 1, 1, "decimal-time"))
    return;
  n = pop_number_or_text (ctxt, &s);
  if (s == NULL)
    valuePush (ctxt, xmlXPathNewFloat (n - floor (n)));
  else if (s[0] == '\0')
    push_string (ctxt, "");
  else if ((dt = parse_time (s)) != NULL || (dt = parse_full_date_time (s)) != NULL)
    valuePush (ctxt, xmlXPathNewFloat (local_day_fraction (dt)));
  else
    /* Translators: %s is a value from a form that should have been a time of day */
    function_failed (ctxt, _ ("“%s” is not a time"), s);
}

/* date-time(value): a number of days since 1970-01-01T00:00Z (with a fraction for the time,
 * as decimal-date-time() gives) or a date or dateTime, written as a dateTime in the local zone
 * (JavaRosa's toDate with the time kept). Empty, or days outside 0001 to 9999, give "". */
static void
fn_date_time (xmlXPathParserContextPtr ctxt, int nargs)
{
  g_autofree char      *s = NULL;
  g_autofree char      *out = NULL;
  g_autoptr (GDateTime) dt = NULL;
  g_autoptr (GDateTime) here = NULL;
  double                days;

  if (!check_arity (ctxt, nargs, 1, 1, "date-time"))
    return;
  days = pop_number_or_text (ctxt, &s);
  if (s != NULL && s[0] != '\0' && (dt = parse_date_time (s)) == NULL)
    {
      /* Translators: %s is a value from a form that should have been a date and time */
      function_failed (ctxt, _ ("“%s” is not a date and time"), s);
      return;
    }
  if (s == NULL && days_in_range (days))
    {
      g_autoptr (GDateTime) epoch = g_date_time_new_from_unix_utc (0);

      /* Whole milliseconds, as JavaRosa's (long) (days × DAY_IN_MS). */
      dt = g_date_time_add (epoch, (GTimeSpan) trunc (days * 86400000.0) * 1000);
    }
  if (dt != NULL)
    here = g_date_time_to_local (dt);
  out = here != NULL ? format_date_time (here) : g_strdup ("");
  push_string (ctxt, out);
}

static void
fn_int (xmlXPathParserContextPtr ctxt, int nargs)
{
  if (!check_arity (ctxt, nargs, 1, 1, "int"))
    return;
  valuePush (ctxt, xmlXPathNewFloat (trunc (pop_number (ctxt))));
}

/* round(x, digits?): halves go away from zero, round(-2.5) = -3, as in ODK Web Forms and
 * Enketo (openrosa-xpath-evaluator's round tests: round(-1.5) = -2, round(-1.475, 2) = -1.48)
 * and in Excel, where XLSForm authors come from. JavaRosa rounds negative halves toward zero
 * (BigDecimal HALF_DOWN for x < 0). The value is taken as the decimal it prints as, so
 * 1.475 × 100, which is 147.4999… in binary, still rounds up. */
static void
fn_round (xmlXPathParserContextPtr ctxt, int nargs)
{
  double digits = 0, x, scale, scaled;

  if (!check_arity (ctxt, nargs, 1, 2, "round"))
    return;
  if (nargs == 2)
    digits = trunc (pop_number (ctxt));
  x = pop_number (ctxt);
  if (isnan (x) || isinf (x))
    {
      valuePush (ctxt, xmlXPathNewFloat (x));
      return;
    }
  if (isnan (digits) || fabs (digits) > 30)
    {
      valuePush (ctxt, xmlXPathNewFloat (NAN));
      return;
    }
  scale = pow (10, digits);
  scaled = x * scale;
  scaled += copysign (fabs (scaled) * 8 * DBL_EPSILON, scaled);
  valuePush (ctxt, xmlXPathNewFloat (round (scaled) / scale));
}

/* sum() skips values that are not numbers (empty answers), as JavaRosa does; XPath 1.0 would
 * give NaN for the whole sum. */
static void
fn_sum (xmlXPathParserContextPtr ctxt, int nargs)
{
  xmlXPathObjectPtr obj;
  double            total = 0;

  if (!check_arity (ctxt, nargs, 1, 1, "sum"))
    return;
  obj = valuePop (ctxt);
  if (obj->type != XPATH_NODESET)
    {
      xmlXPathFreeObject (obj);
      function_failed (ctxt, _ ("sum() needs fields to add up"));
      return;
    }
  for (int i = 0; obj->nodesetval != NULL && i < obj->nodesetval->nodeNr; i++)
    {
      xmlChar *s = xmlXPathCastNodeToString (obj->nodesetval->nodeTab[i]);
      double   n = string_to_number ((const char *) s);

      xmlFree (s);
      if (!isnan (n))
        total += n;
    }
  xmlXPathFreeObject (obj);
  valuePush (ctxt, xmlXPathNewFloat (total));
}

/* concat() takes one argument or more, and node-sets give all their values (ODK XForms spec). */
static void
fn_concat (xmlXPathParserContextPtr ctxt, int nargs)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func ((GDestroyNotify) xmlXPathFreeObject);
  g_autoptr (GString)   out = g_string_new (NULL);

  for (int i = 0; i < nargs; i++)
    g_ptr_array_insert (args, 0, valuePop (ctxt));
  for (guint i = 0; i < args->len; i++)
    {
      xmlXPathObjectPtr obj = g_ptr_array_index (args, i);

      if (obj->type == XPATH_NODESET)
        {
          for (int j = 0; obj->nodesetval != NULL && j < obj->nodesetval->nodeNr; j++)
            {
              xmlChar *s = xmlXPathCastNodeToString (obj->nodesetval->nodeTab[j]);

              g_string_append (out, (const char *) s);
              xmlFree (s);
            }
        }
      else
        {
          g_autofree char *s = _dft_expr_object_to_string (obj);

          g_string_append (out, s);
        }
    }
  push_string (ctxt, out->str);
}

static int
sibling_position (xmlNodePtr node)
{
  int n = 1;

  if (node == NULL)
    return 0;
  for (xmlNodePtr c = node->prev; c != NULL; c = c->prev)
    if (c->type == node->type && xmlStrEqual (c->name, node->name))
      n++;
  return n;
}

/* position(): inside a predicate, XPath's proximity position; elsewhere, and with a node
 * argument, the node's position among its same-named siblings (ODK XForms spec), which is the
 * repeat instance number for position(..) inside a repeat. */
static void
fn_position (xmlXPathParserContextPtr ctxt, int nargs)
{
  xmlXPathObjectPtr obj;
  xmlNodePtr        node = NULL;

  if (!check_arity (ctxt, nargs, 0, 1, "position"))
    return;
  if (nargs == 0)
    {
      if (ctxt->context->proximityPosition > 0)
        valuePush (ctxt, xmlXPathNewFloat (ctxt->context->proximityPosition));
      else
        valuePush (ctxt, xmlXPathNewFloat (sibling_position (ctxt->context->node)));
      return;
    }
  obj = valuePop (ctxt);
  if (obj->type != XPATH_NODESET)
    {
      xmlXPathFreeObject (obj);
      function_failed (ctxt, _ ("position() needs a field"));
      return;
    }
  if (obj->nodesetval != NULL && obj->nodesetval->nodeNr > 0)
    node = obj->nodesetval->nodeTab[0];
  valuePush (ctxt, xmlXPathNewFloat (sibling_position (node)));
  xmlXPathFreeObject (obj);
}

static void
fn_boolean_from_string (xmlXPathParserContextPtr ctxt, int nargs)
{
  g_autofree char *s = NULL;

  if (!check_arity (ctxt, nargs, 1, 1, "boolean-from-string"))
    return;
  s = g_strstrip (pop_string (ctxt));
  valuePush (ctxt,
             xmlXPathNewBoolean (g_ascii_strcasecmp (s, "true") == 0 || strcmp (s, "1") == 0));
}

/* instance('id'): the root of a secondary instance, so that instance('id')/root/item works. */
static void
fn_instance (xmlXPathParserContextPtr ctxt, int nargs)
{
  DftExprContext  *self = ctxt->context->userData;
  g_autofree char *id = NULL;
  xmlDocPtr        doc;

  if (!check_arity (ctxt, nargs, 1, 1, "instance"))
    return;
  id = pop_string (ctxt);
  doc = g_hash_table_lookup (self->instances, id);
  if (doc == NULL)
    {
      /* Translators: %s is the id of a list of choices or other data inside a form */
      function_failed (ctxt, _ ("the form has no data called “%s”"), id);
      return;
    }
  valuePush (ctxt, xmlXPathNewNodeSet ((xmlNodePtr) doc));
}

/* dft:doc(): the form's own data document, for absolute paths inside predicates. */
static void
fn_doc (xmlXPathParserContextPtr ctxt, int nargs)
{
  DftExprContext *self = ctxt->context->userData;

  if (!check_arity (ctxt, nargs, 0, 0, "doc"))
    return;
  valuePush (ctxt, xmlXPathNewNodeSet ((xmlNodePtr) self->doc));
}

/* current(): the node the whole expression belongs to, also inside predicates. */
static void
fn_current (xmlXPathParserContextPtr ctxt, int nargs)
{
  DftExprContext *self = ctxt->context->userData;

  if (!check_arity (ctxt, nargs, 0, 0, "current"))
    return;
  valuePush (ctxt, xmlXPathNewNodeSet (self->current));
}

/* The arguments, first to last; the caller frees them. */
static GPtrArray *
pop_args (xmlXPathParserContextPtr ctxt, int nargs)
{
  GPtrArray *args = g_ptr_array_new_with_free_func ((GDestroyNotify) xmlXPathFreeObject);

  for (int i = 0; i < nargs; i++)
    g_ptr_array_insert (args, 0, valuePop (ctxt));
  return args;
}

/* Appends the string value of each node of a node-set, or the object's string. */
static void
append_strings (xmlXPathObjectPtr obj, GPtrArray *out)
{
  xmlChar *s;

  if (obj->type == XPATH_NODESET)
    {
      for (int i = 0; obj->nodesetval != NULL && i < obj->nodesetval->nodeNr; i++)
        {
          s = xmlXPathCastNodeToString (obj->nodesetval->nodeTab[i]);
          g_ptr_array_add (out, g_strdup ((const char *) s));
          xmlFree (s);
        }
      return;
    }
  g_ptr_array_add (out, _dft_expr_object_to_string (obj));
}

/* Appends ODK's number() of each node of a node-set, or of the object. */
static void
append_numbers (xmlXPathObjectPtr obj, GArray *out)
{
  double n;

  if (obj->type == XPATH_NODESET)
    {
      for (int i = 0; obj->nodesetval != NULL && i < obj->nodesetval->nodeNr; i++)
        {
          xmlChar *s = xmlXPathCastNodeToString (obj->nodesetval->nodeTab[i]);

          n = string_to_number ((const char *) s);
          xmlFree (s);
          g_array_append_val (out, n);
        }
      return;
    }
  n = _dft_expr_object_to_number (obj);
  g_array_append_val (out, n);
}

/* A field's answer as a checklist factor. JavaRosa reads typed answers, so a number answer
 * counts when it is not 0 and any other answer when it is not empty. */
static gboolean
answer_is_true (const char *s)
{
  double n;

  if (read_number (s, &n))
    return n != 0;
  return s[0] != '\0';
}

/* Appends the truth of each node of a node-set, or XPath boolean() of the object. */
static void
append_truths (xmlXPathObjectPtr obj, GArray *out)
{
  gboolean b;

  if (obj->type == XPATH_NODESET)
    {
      for (int i = 0; obj->nodesetval != NULL && i < obj->nodesetval->nodeNr; i++)
        {
          xmlChar *s = xmlXPathCastNodeToString (obj->nodesetval->nodeTab[i]);

          b = answer_is_true ((const char *) s);
          xmlFree (s);
          g_array_append_val (out, b);
        }
      return;
    }
  b = xmlXPathCastToBoolean (obj);
  g_array_append_val (out, b);
}

/* Java's (int) of a double: NaN is 0, and values beyond int's range stop at its ends. */
static int
to_int (double n)
{
  if (isnan (n))
    return 0;
  if (n >= G_MAXINT)
    return G_MAXINT;
  if (n <= G_MININT)
    return G_MININT;
  return (int) trunc (n);
}

/* substr(s, start, end?): characters start to end (exclusive), counted from 0; negative
 * positions count from the end, and both are clamped to the string (JavaRosa). Positions are
 * Unicode characters, where JavaRosa counts UTF-16 units. */
static void
fn_substr (xmlXPathParserContextPtr ctxt, int nargs)
{
  g_autofree char *s = NULL;
  int              start, end, len;

  if (!check_arity (ctxt, nargs, 2, 3, "substr"))
    return;
  end = nargs == 3 ? to_int (pop_number (ctxt)) : G_MAXINT;
  start = to_int (pop_number (ctxt));
  s = pop_string (ctxt);
  len = (int) MIN (g_utf8_strlen (s, -1), G_MAXINT);
  if (start < 0)
    start += len;
  if (end < 0)
    end += len;
  start = CLAMP (start, 0, len);
  end = CLAMP (end, 0, len);
  if (start >= end)
    push_string (ctxt, "");
  else
    {
      const char      *from = g_utf8_offset_to_pointer (s, start);
      const char      *to = g_utf8_offset_to_pointer (s, end);
      g_autofree char *out = g_strndup (from, to - from);

      push_string (ctxt, out);
    }
}

static void
fn_ends_with (xmlXPathParserContextPtr ctxt, int nargs)
{
  g_autofree char *suffix = NULL;
  g_autofree char *s = NULL;

  if (!check_arity (ctxt, nargs, 2, 2, "ends-with"))
    return;
  suffix = pop_string (ctxt);
  s = pop_string (ctxt);
  valuePush (ctxt, xmlXPathNewBoolean (g_str_has_suffix (s, suffix)));
}

/* join(sep, values…): every value, node-sets giving all of theirs, with sep between. */
static void
fn_join (xmlXPathParserContextPtr ctxt, int nargs)
{
  g_autoptr (GPtrArray) args = NULL;
  g_autoptr (GPtrArray) values = g_ptr_array_new_with_free_func (g_free);
  g_autofree char      *sep = NULL;
  g_autofree char      *out = NULL;

  if (!check_arity (ctxt, nargs, 1, G_MAXINT, "join"))
    return;
  args = pop_args (ctxt, nargs);
  sep = _dft_expr_object_to_string (g_ptr_array_index (args, 0));
  for (guint i = 1; i < args->len; i++)
    append_strings (g_ptr_array_index (args, i), values);
  g_ptr_array_add (values, NULL);
  out = g_strjoinv (sep, (char **) values->pdata);
  push_string (ctxt, out);
}

/* uuid(): a random (version 4) UUID; uuid(n): n random letters and digits. */
static void
fn_uuid (xmlXPathParserContextPtr ctxt, int nargs)
{
  static const char   alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  g_autoptr (GString) out = NULL;
  int                 len;

  if (!check_arity (ctxt, nargs, 0, 1, "uuid"))
    return;
  if (nargs == 0)
    {
      g_autofree char *uuid = g_uuid_string_random ();

      push_string (ctxt, uuid);
      return;
    }
  len = to_int (pop_number (ctxt));
  if (len > 4096)
    {
      function_failed (ctxt,
                       /* Translators: %d is a number of characters */
                       _ ("uuid() cannot make an identifier of %d characters"), len);
      return;
    }
  out = g_string_new (NULL);
  for (int i = 0; i < len; i++)
    g_string_append_c (out, alphabet[g_random_int_range (0, sizeof alphabet - 1)]);
  push_string (ctxt, out->str);
}

/* max() and min() of numbers and node-sets: values that are not numbers (empty answers) are
 * skipped, as in JavaRosa; with none left the result is NaN. */
static void
extremum (xmlXPathParserContextPtr ctxt, int nargs, const char *name, gboolean want_max)
{
  g_autoptr (GPtrArray) args = NULL;
  g_autoptr (GArray)    numbers = g_array_new (FALSE, FALSE, sizeof (double));
  double                best = NAN;

  if (!check_arity (ctxt, nargs, 1, G_MAXINT, name))
    return;
  args = pop_args (ctxt, nargs);
  for (guint i = 0; i < args->len; i++)
    append_numbers (g_ptr_array_index (args, i), numbers);
  for (guint i = 0; i < numbers->len; i++)
    {
      double n = g_array_index (numbers, double, i);

      if (!isnan (n) && (isnan (best) || (want_max ? n > best : n < best)))
        best = n;
    }
  valuePush (ctxt, xmlXPathNewFloat (best));
}

static void
fn_max (xmlXPathParserContextPtr ctxt, int nargs)
{
  extremum (ctxt, nargs, "max", TRUE);
}

static void
fn_min (xmlXPathParserContextPtr ctxt, int nargs)
{
  extremum (ctxt, nargs, "min", FALSE);
}

static void
unary_math (xmlXPathParserContextPtr ctxt, int nargs, const char *name, double (*f) (double))
{
  if (!check_arity (ctxt, nargs, 1, 1, name))
    return;
  valuePush (ctxt, xmlXPathNewFloat (f (pop_number (ctxt))));
}

static double
exp10_of (double x)
{
  return pow (10, x);
}

static void
fn_abs (xmlXPathParserContextPtr ctxt, int nargs)
{
  unary_math (ctxt, nargs, "abs", fabs);
}

static void
fn_log (xmlXPathParserContextPtr ctxt, int nargs)
{
  unary_math (ctxt, nargs, "log", log);
}

static void
fn_log10 (xmlXPathParserContextPtr ctxt, int nargs)
{
  unary_math (ctxt, nargs, "log10", log10);
}

static void
fn_exp (xmlXPathParserContextPtr ctxt, int nargs)
{
  unary_math (ctxt, nargs, "exp", exp);
}

static void
fn_exp10 (xmlXPathParserContextPtr ctxt, int nargs)
{
  unary_math (ctxt, nargs, "exp10", exp10_of);
}

static void
fn_sqrt (xmlXPathParserContextPtr ctxt, int nargs)
{
  unary_math (ctxt, nargs, "sqrt", sqrt);
}

static void
fn_sin (xmlXPathParserContextPtr ctxt, int nargs)
{
  unary_math (ctxt, nargs, "sin", sin);
}

static void
fn_cos (xmlXPathParserContextPtr ctxt, int nargs)
{
  unary_math (ctxt, nargs, "cos", cos);
}

static void
fn_tan (xmlXPathParserContextPtr ctxt, int nargs)
{
  unary_math (ctxt, nargs, "tan", tan);
}

static void
fn_asin (xmlXPathParserContextPtr ctxt, int nargs)
{
  unary_math (ctxt, nargs, "asin", asin);
}

static void
fn_acos (xmlXPathParserContextPtr ctxt, int nargs)
{
  unary_math (ctxt, nargs, "acos", acos);
}

static void
fn_atan (xmlXPathParserContextPtr ctxt, int nargs)
{
  unary_math (ctxt, nargs, "atan", atan);
}

static void
fn_atan2 (xmlXPathParserContextPtr ctxt, int nargs)
{
  double x, y;

  if (!check_arity (ctxt, nargs, 2, 2, "atan2"))
    return;
  x = pop_number (ctxt);
  y = pop_number (ctxt);
  valuePush (ctxt, xmlXPathNewFloat (atan2 (y, x)));
}

static void
fn_pow (xmlXPathParserContextPtr ctxt, int nargs)
{
  double base, exponent;

  if (!check_arity (ctxt, nargs, 2, 2, "pow"))
    return;
  exponent = pop_number (ctxt);
  base = pop_number (ctxt);
  valuePush (ctxt, xmlXPathNewFloat (pow (base, exponent)));
}

static void
fn_pi (xmlXPathParserContextPtr ctxt, int nargs)
{
  if (!check_arity (ctxt, nargs, 0, 0, "pi"))
    return;
  valuePush (ctxt, xmlXPathNewFloat (G_PI));
}

/* random(): a number from 0 (included) to 1 (excluded), new at each evaluation. */
static void
fn_random (xmlXPathParserContextPtr ctxt, int nargs)
{
  if (!check_arity (ctxt, nargs, 0, 0, "random"))
    return;
  valuePush (ctxt, xmlXPathNewFloat (g_random_double ()));
}

/* count-non-empty(nodes): how many of the nodes hold a value; groups hold none (JavaRosa). */
static void
fn_count_non_empty (xmlXPathParserContextPtr ctxt, int nargs)
{
  xmlXPathObjectPtr obj;
  int               count = 0;

  if (!check_arity (ctxt, nargs, 1, 1, "count-non-empty"))
    return;
  obj = valuePop (ctxt);
  if (obj->type != XPATH_NODESET)
    {
      xmlXPathFreeObject (obj);
      /* Translators: count-non-empty is a function name; do not translate it */
      function_failed (ctxt, _ ("count-non-empty() needs fields to count"));
      return;
    }
  for (int i = 0; obj->nodesetval != NULL && i < obj->nodesetval->nodeNr; i++)
    {
      xmlNodePtr node = obj->nodesetval->nodeTab[i];
      gboolean   group = FALSE;
      xmlChar   *s;

      for (xmlNodePtr c = node->type == XML_ELEMENT_NODE ? node->children : NULL; c != NULL;
           c = c->next)
        group |= c->type == XML_ELEMENT_NODE;
      if (group)
        continue;
      s = xmlXPathCastNodeToString (node);
      count += s != NULL && s[0] != '\0';
      xmlFree (s);
    }
  xmlXPathFreeObject (obj);
  valuePush (ctxt, xmlXPathNewFloat (count));
}

/* checklist(min, max, v…): whether the number of true factors is from min to max, either
 * being -1 for no bound (JavaRosa). Node-sets give a factor per node. */
static void
fn_checklist (xmlXPathParserContextPtr ctxt, int nargs)
{
  g_autoptr (GPtrArray) args = NULL;
  g_autoptr (GArray)    truths = g_array_new (FALSE, FALSE, sizeof (gboolean));
  int                   min, max, count = 0;

  if (!check_arity (ctxt, nargs, 2, G_MAXINT, "checklist"))
    return;
  args = pop_args (ctxt, nargs);
  min = to_int (_dft_expr_object_to_number (g_ptr_array_index (args, 0)));
  max = to_int (_dft_expr_object_to_number (g_ptr_array_index (args, 1)));
  for (guint i = 2; i < args->len; i++)
    append_truths (g_ptr_array_index (args, i), truths);
  for (guint i = 0; i < truths->len; i++)
    count += g_array_index (truths, gboolean, i) ? 1 : 0;
  valuePush (ctxt, xmlXPathNewBoolean ((min < 0 || count >= min) && (max < 0 || count <= max)));
}

/* weighted-checklist(min, max, v, w, …): whether the sum of the weights of the true factors is
 * from min to max. As in JavaRosa, -1 is a bound like any other here, and two node-sets pair
 * their nodes. */
static void
fn_weighted_checklist (xmlXPathParserContextPtr ctxt, int nargs)
{
  g_autoptr (GPtrArray) args = NULL;
  g_autoptr (GArray)    truths = g_array_new (FALSE, FALSE, sizeof (gboolean));
  g_autoptr (GArray)    weights = g_array_new (FALSE, FALSE, sizeof (double));
  double                min, max, sum = 0;

  if (!check_arity (ctxt, nargs, 2, G_MAXINT, "weighted-checklist"))
    return;
  if (nargs % 2 != 0)
    {
      check_arity (ctxt, nargs, nargs + 1, nargs + 1, "weighted-checklist");
      return;
    }
  args = pop_args (ctxt, nargs);
  min = _dft_expr_object_to_number (g_ptr_array_index (args, 0));
  max = _dft_expr_object_to_number (g_ptr_array_index (args, 1));
  for (guint i = 2; i + 1 < args->len; i += 2)
    {
      append_truths (g_ptr_array_index (args, i), truths);
      append_numbers (g_ptr_array_index (args, i + 1), weights);
      if (truths->len != weights->len)
        {
          /* Translators: weighted-checklist is a function name; do not translate it */
          function_failed (ctxt, _ ("weighted-checklist() needs as many weights as values"));
          return;
        }
    }
  for (guint i = 0; i < truths->len; i++)
    if (g_array_index (truths, gboolean, i))
      sum += g_array_index (weights, double, i);
  valuePush (ctxt, xmlXPathNewBoolean (sum >= min && sum <= max));
}

/* once(x): the value the expression's own field already has, or x when it is empty. */
static void
fn_once (xmlXPathParserContextPtr ctxt, int nargs)
{
  DftExprContext *self = self_of (ctxt);
  xmlChar        *current;

  if (!check_arity (ctxt, nargs, 1, 1, "once"))
    return;
  current = self->current ? xmlXPathCastNodeToString (self->current) : NULL;
  if (current != NULL && current[0] != '\0')
    {
      xmlXPathFreeObject (valuePop (ctxt));
      push_string (ctxt, (const char *) current);
    }
  xmlFree (current);
}

/* A date or dateTime for format-date(): an ISO 8601 string, or a number of days since
 * 1970-01-01 (a whole number a day, at local midnight as date() gives; with a fraction, a
 * moment as decimal-date-time() gives). NULL when empty or not a date; in the local zone. */
static GDateTime *
object_to_date_time (xmlXPathObjectPtr obj)
{
  g_autoptr (GTimeZone) local = g_time_zone_new_local ();
  g_autoptr (GDateTime) epoch = NULL;
  g_autoptr (GDateTime) dt = NULL;
  g_autofree char      *s = NULL;
  double                days;
  gint64                whole;

  if (obj->type == XPATH_NUMBER)
    days = obj->floatval;
  else if (obj->type == XPATH_BOOLEAN)
    return NULL;
  else
    {
      xmlChar *text = xmlXPathCastToString (obj);

      s = g_strstrip (g_strdup ((const char *) text));
      xmlFree (text);
      if (!read_number (s, &days))
        {
          if (s[0] == '\0' || !parse_date_prefix (s, &whole) || (s[10] != '\0' && s[10] != 'T')
              || (dt = parse_date_time (s)) == NULL)
            return NULL;
          return g_date_time_to_timezone (dt, local);
        }
    }
  if (!days_in_range (days))
    return NULL;
  if (days == trunc (days))
    {
      g_autofree char *date = days_to_date (days);

      return parse_date_time (date);
    }
  epoch = g_date_time_new_from_unix_utc (0);
  dt = g_date_time_add (epoch, (GTimeSpan) llround (days * G_TIME_SPAN_DAY));
  return g_date_time_to_timezone (dt, local);
}

/* ODK's date format: %Y %y %m %n %b %d %e %a %H %h %M %S %3 and %%; month and day names are
 * English, as in JavaRosa. Other % sequences are copied as they are. */
static char *
format_date (GDateTime *dt, const char *format)
{
  static const char *const months[]
      = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
  GString                 *out = g_string_new (NULL);

  for (const char *f = format; *f != '\0'; f++)
    {
      if (*f != '%' || f[1] == '\0')
        {
          g_string_append_c (out, *f);
          continue;
        }
      switch (*++f)
        {
        case 'Y':
          g_string_append_printf (out, "%04d", g_date_time_get_year (dt));
          break;
        case 'y':
          g_string_append_printf (out, "%02d", g_date_time_get_year (dt) % 100);
          break;
        case 'm':
          g_string_append_printf (out, "%02d", g_date_time_get_month (dt));
          break;
        case 'n':
          g_string_append_printf (out, "%d", g_date_time_get_month (dt));
          break;
        case 'b':
          g_string_append (out, months[g_date_time_get_month (dt) - 1]);
          break;
        case 'd':
          g_string_append_printf (out, "%02d", g_date_time_get_day_of_month (dt));
          break;
        case 'e':
          g_string_append_printf (out, "%d", g_date_time_get_day_of_month (dt));
          break;
        case 'a':
          g_string_append (out, days[g_date_time_get_day_of_week (dt) - 1]);
          break;
        case 'H':
          g_string_append_printf (out, "%02d", g_date_time_get_hour (dt));
          break;
        case 'h':
          g_string_append_printf (out, "%d", g_date_time_get_hour (dt));
          break;
        case 'M':
          g_string_append_printf (out, "%02d", g_date_time_get_minute (dt));
          break;
        case 'S':
          g_string_append_printf (out, "%02d", g_date_time_get_second (dt));
          break;
        case '3':
          g_string_append_printf (out, "%03d", g_date_time_get_microsecond (dt) / 1000);
          break;
        case '%':
          g_string_append_c (out, '%');
          break;
        default:
          g_string_append_c (out, '%');
          g_string_append_c (out, *f);
          break;
        }
    }
  return g_string_free (out, FALSE);
}

/* format-date(value, format) and format-date-time(value, format), which are the same function
 * in JavaRosa: "" when the value is empty or not a date. */
static void
format_date_function (xmlXPathParserContextPtr ctxt, int nargs, const char *name)
{
  g_autofree char      *format = NULL;
  g_autofree char      *out = NULL;
  g_autoptr (GDateTime) dt = NULL;
  xmlXPathObjectPtr     obj;

  if (!check_arity (ctxt, nargs, 2, 2, name))
    return;
  format = pop_string (ctxt);
  obj = valuePop (ctxt);
  dt = object_to_date_time (obj);
  xmlXPathFreeObject (obj);
  out = dt ? format_date (dt, format) : g_strdup ("");
  push_string (ctxt, out);
}

static void
fn_format_date (xmlXPathParserContextPtr ctxt, int nargs)
{
  format_date_function (ctxt, nargs, "format-date");
}

static void
fn_format_date_time (xmlXPathParserContextPtr ctxt, int nargs)
{
  format_date_function (ctxt, nargs, "format-date-time");
}

/* The element ancestors of @node from its document's root element down to @node. */
static GPtrArray *
element_chain (xmlNodePtr node)
{
  GPtrArray *chain = g_ptr_array_new ();

  for (; node != NULL && node->type == XML_ELEMENT_NODE; node = node->parent)
    g_ptr_array_insert (chain, 0, node);
  return chain;
}

/* indexed-repeat(field, repeat, index, repeat2, index2, …): @field in instance @index of
 * @repeat (and of the nested @repeat2…), counted from 1; an index below 1 means 1 (JavaRosa).
 * The paths may carry indexes already (a localized expression), which the given ones replace. */
static void
fn_indexed_repeat (xmlXPathParserContextPtr ctxt, int nargs)
{
  g_autoptr (GPtrArray) args = NULL;
  g_autoptr (GPtrArray) chain = NULL;
  g_autofree int       *positions = NULL;
  xmlXPathObjectPtr     target;
  xmlNodePtr            node;

  if (!check_arity (ctxt, nargs, 3, 11, "indexed-repeat"))
    return;
  if (nargs % 2 == 0)
    {
      check_arity (ctxt, nargs, nargs + 1, nargs + 1, "indexed-repeat");
      return;
    }
  args = pop_args (ctxt, nargs);
  for (int i = 0; i < nargs; i += i == 0 ? 1 : 2)
    if (((xmlXPathObjectPtr) g_ptr_array_index (args, i))->type != XPATH_NODESET)
      {
        /* Translators: indexed-repeat is a function name; do not translate it */
        function_failed (ctxt, _ ("indexed-repeat() needs a field and the repeats around it"));
        return;
      }
  target = g_ptr_array_index (args, 0);
  if (target->nodesetval == NULL || target->nodesetval->nodeNr == 0)
    {
      valuePush (ctxt, xmlXPathNewNodeSet (NULL));
      return;
    }
  chain = element_chain (target->nodesetval->nodeTab[0]);
  if (chain->len == 0)
    {
      /* Translators: indexed-repeat is a function name; do not translate it */
      function_failed (ctxt, _ ("indexed-repeat() needs a field and the repeats around it"));
      return;
    }
  positions = g_new0 (int, chain->len + 1);
  for (guint i = 0; i < chain->len; i++)
    positions[i] = sibling_position (g_ptr_array_index (chain, i));
  for (int i = 1; i + 1 < nargs; i += 2)
    {
      xmlXPathObjectPtr     repeat = g_ptr_array_index (args, i);
      g_autoptr (GPtrArray) outer = NULL;
      double                index;

      if (repeat->nodesetval == NULL || repeat->nodesetval->nodeNr == 0)
        {
          valuePush (ctxt, xmlXPathNewNodeSet (NULL));
          return;
        }
      outer = element_chain (repeat->nodesetval->nodeTab[0]);
      for (guint j = 0; j < MAX (outer->len, 1); j++)
        if (outer->len == 0 || outer->len >= chain->len
            || !xmlStrEqual (((xmlNodePtr) g_ptr_array_index (outer, j))->name,
                             ((xmlNodePtr) g_ptr_array_index (chain, j))->name))
          {
            function_failed (ctxt,
                             /* Translators: indexed-repeat is a function name; do not
                              * translate it */
                             _ ("indexed-repeat() is given a repeat that is not around its "
                                "field"));
            return;
          }
      index = _dft_expr_object_to_number (g_ptr_array_index (args, i + 1));
      positions[outer->len - 1] = isnan (index) || index < 1 ? 1 : to_int (index);
    }
  node = g_ptr_array_index (chain, 0);
  for (guint i = 1; i < chain->len && node != NULL; i++)
    {
      xmlNodePtr last;

      node = _dft_expr_nth_child (node,
                                  (const char *) ((xmlNodePtr) g_ptr_array_index (chain, i))->name,
                                  positions[i], &last);
    }
  valuePush (ctxt, xmlXPathNewNodeSet (node));
}

/* pulldata(instance, return_column, lookup_column, value): @return_column of the first item of
 * the secondary instance (an external CSV file) whose @lookup_column is @value; "" when there is
 * none or no such instance, as in ODK Collect. */
static void
fn_pulldata (xmlXPathParserContextPtr ctxt, int nargs)
{
  DftExprContext  *self = self_of (ctxt);
  g_autofree char *value = NULL;
  g_autofree char *lookup = NULL;
  g_autofree char *wanted = NULL;
  g_autofree char *id = NULL;
  xmlDocPtr        doc;

  if (!check_arity (ctxt, nargs, 4, 4, "pulldata"))
    return;
  value = pop_string (ctxt);
  lookup = g_strstrip (pop_string (ctxt));
  wanted = g_strstrip (pop_string (ctxt));
  id = g_strstrip (pop_string (ctxt));
  doc = g_hash_table_lookup (self->instances, id);
  for (xmlNodePtr item = doc ? xmlDocGetRootElement (doc)->children : NULL; item != NULL;
       item = item->next)
    {
      xmlNodePtr found = NULL;
      gboolean   match = FALSE;

      for (xmlNodePtr c = item->children; c != NULL; c = c->next)
        {
          if (c->type != XML_ELEMENT_NODE)
            continue;
          if (xmlStrEqual (c->name, (const xmlChar *) lookup))
            {
              xmlChar *s = xmlNodeGetContent (c);

              match = g_strcmp0 ((const char *) s, value) == 0 || (s == NULL && value[0] == '\0');
              xmlFree (s);
            }
          if (xmlStrEqual (c->name, (const xmlChar *) wanted))
            found = c;
        }
      if (match)
        {
          xmlChar *s = found ? xmlNodeGetContent (found) : NULL;

          push_string (ctxt, s ? (const char *) s : "");
          xmlFree (s);
          return;
        }
    }
  push_string (ctxt, "");
}

/* ------------------------------------------------------------------------------------------ */
/* Geographic functions, on a sphere with the Earth's equatorial radius, as JavaRosa computes  */
/* them (org.javarosa.core.util.GeoUtils)                                                      */
/* ------------------------------------------------------------------------------------------ */

#define EARTH_RADIUS_M 6378100.0

typedef struct
{
  double lat, lon;
} GeoPoint;

/* A geopoint, "lat lon [altitude [accuracy]]" in decimal degrees and metres. */
static gboolean
parse_geopoint (const char *s, GeoPoint *point)
{
  g_auto (GStrv) parts = g_strsplit_set (s, " \t\n\r", -1);
  double         values[4];
  guint          n = 0;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (parts[i][0] == '\0')
        continue;
      if (n == G_N_ELEMENTS (values) || !read_number (parts[i], &values[n])
          || !isfinite (values[n]))
        return FALSE;
      n++;
    }
  if (n < 2 || fabs (values[0]) > 90 || fabs (values[1]) > 180)
    return FALSE;
  point->lat = values[0];
  point->lon = values[1];
  return TRUE;
}

/* Appends the points of a geopoint, geotrace or geoshape ("…;…;…", a ";" may end it); FALSE
 * with the bad point in @bad when one is not a geopoint. */
static gboolean
parse_geo_points (const char *s, GArray *points, char **bad)
{
  g_auto (GStrv) parts = g_strsplit (s, ";", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      GeoPoint point;

      g_strstrip (parts[i]);
      if (parts[i][0] == '\0' && parts[i + 1] == NULL && i > 0)
        break;
      if (!parse_geopoint (parts[i], &point))
        {
          *bad = g_strdup (parts[i]);
          return FALSE;
        }
      g_array_append_val (points, point);
    }
  return TRUE;
}

/* The points of the argument of @name(): one value (a field's or a string) holding a geotrace or
 * geoshape, or several fields each holding a geopoint, where empty answers (a point not taken
 * yet) are skipped as sum() skips them. NULL after an error; an empty array when there are no
 * fields, or no value (@empty set). */
static GArray *
pop_geo_points (xmlXPathParserContextPtr ctxt, const char *name, gboolean *empty)
{
  xmlXPathObjectPtr     obj = valuePop (ctxt);
  g_autoptr (GArray)    points = g_array_new (FALSE, FALSE, sizeof (GeoPoint));
  g_autoptr (GPtrArray) values = g_ptr_array_new_with_free_func (g_free);
  g_autofree char      *bad = NULL;
  guint                 answered = 0;

  append_strings (obj, values);
  xmlXPathFreeObject (obj);
  for (guint i = 0; i < values->len; i++)
    {
      char    *value = g_strstrip ((char *) g_ptr_array_index (values, i));
      GeoPoint point;

      if (value[0] == '\0')
        continue;
      answered++;
      if (values->len == 1 ? !parse_geo_points (value, points, &bad)
                           : !parse_geopoint (value, &point))
        {
          function_failed (ctxt,
                           /* Translators: the first %s is a function name (area, distance,
                              geofence), the second a value from a form */
                           _ ("%s() was given “%s”, which is not a GPS location"), name,
                           bad != NULL ? bad : value);
          return NULL;
        }
      if (values->len > 1)
        g_array_append_val (points, point);
    }
  *empty = values->len > 0 && answered == 0;
  return g_steal_pointer (&points);
}

static double
radians (double degrees)
{
  return degrees * G_PI / 180;
}

/* The great-circle distance on JavaRosa's sphere. JavaRosa writes it with the spherical law of
 * cosines, whose rounding leaves up to ~0.1 m between points very close together (and 0.095 m
 * between a point and itself); the haversine form is the same distance without that error. */
static double
geo_distance (const GeoPoint *a, const GeoPoint *b)
{
  double dlat = sin (radians (b->lat - a->lat) / 2);
  double dlon = sin (radians (b->lon - a->lon) / 2);
  double h = dlat * dlat + cos (radians (a->lat)) * cos (radians (b->lat)) * dlon * dlon;

  return 2 * asin (sqrt (CLAMP (h, 0.0, 1.0))) * EARTH_RADIUS_M;
}

/* JavaRosa's area: the polygon projected onto a plane at its first point, summed as triangles
 * from it (http://mathworld.wolfram.com/PolygonArea.html). */
static double
geo_area (GArray *points)
{
  const double    circumference = 2 * G_PI * EARTH_RADIUS_M;
  const GeoPoint *p0;
  double          sum = 0, x0 = 0, y0 = 0;

  if (points->len < 3)
    return 0;
  p0 = &g_array_index (points, GeoPoint, 0);
  for (guint i = 1; i < points->len; i++)
    {
      const GeoPoint *p = &g_array_index (points, GeoPoint, i);
      double          y = (p->lat - p0->lat) * circumference / 360;
      double          x = (p->lon - p0->lon) * circumference * cos (radians (p->lat)) / 360;

      if (i > 1)
        sum += (y0 * x - x0 * y) / 2;
      x0 = x;
      y0 = y;
    }
  return fabs (sum);
}

/* area(shape | points) in square metres; enclosed-area() is JavaRosa's other name for it. */
static void
area_function (xmlXPathParserContextPtr ctxt, int nargs, const char *name)
{
  g_autoptr (GArray) points = NULL;
  gboolean           empty;

  if (!check_arity (ctxt, nargs, 1, 1, name))
    return;
  points = pop_geo_points (ctxt, name, &empty);
  if (points != NULL)
    valuePush (ctxt, xmlXPathNewFloat (empty ? NAN : geo_area (points)));
}

static void
fn_area (xmlXPathParserContextPtr ctxt, int nargs)
{
  area_function (ctxt, nargs, "area");
}

static void
fn_enclosed_area (xmlXPathParserContextPtr ctxt, int nargs)
{
  area_function (ctxt, nargs, "enclosed-area");
}

/* distance(trace | shape | points) in metres: from each point to the next. */
static void
fn_distance (xmlXPathParserContextPtr ctxt, int nargs)
{
  g_autoptr (GArray) points = NULL;
  gboolean           empty;
  double             total = 0;

  if (!check_arity (ctxt, nargs, 1, 1, "distance"))
    return;
  points = pop_geo_points (ctxt, "distance", &empty);
  if (points == NULL)
    return;
  for (guint i = 1; i < points->len; i++)
    total += geo_distance (&g_array_index (points, GeoPoint, i - 1),
                           &g_array_index (points, GeoPoint, i));
  valuePush (ctxt, xmlXPathNewFloat (empty ? NAN : total));
}

/* geofence(point, shape): whether the point is inside the shape, by JavaRosa's crossing test
 * (W. R. Franklin's pnpoly) on latitudes and longitudes. A shape that does not end where it
 * starts is closed; no point, or a shape of fewer than three points, is not inside. */
static void
fn_geofence (xmlXPathParserContextPtr ctxt, int nargs)
{
  g_autoptr (GArray) shape = NULL;
  g_autoptr (GArray) here = NULL;
  gboolean           no_shape, no_point, inside = FALSE;
  GeoPoint          *p, *q;

  if (!check_arity (ctxt, nargs, 2, 2, "geofence"))
    return;
  shape = pop_geo_points (ctxt, "geofence", &no_shape);
  if (shape == NULL)
    return;
  here = pop_geo_points (ctxt, "geofence", &no_point);
  if (here == NULL)
    return;
  if (no_point || here->len != 1 || shape->len < 3)
    {
      if (!no_point && here->len != 1)
        {
          /* Translators: geofence is a function name; do not translate it */
          function_failed (ctxt, _ ("geofence() needs one GPS location to test"));
          return;
        }
      valuePush (ctxt, xmlXPathNewBoolean (FALSE));
      return;
    }
  p = &g_array_index (here, GeoPoint, 0);
  for (guint i = 0; i < shape->len; i++)
    {
      GeoPoint *a = &g_array_index (shape, GeoPoint, i);

      q = &g_array_index (shape, GeoPoint, i == 0 ? shape->len - 1 : i - 1);
      if ((a->lat > p->lat) != (q->lat > p->lat)
          && p->lon < (q->lon - a->lon) * (p->lat - a->lat) / (q->lat - a->lat) + a->lon)
        inside = !inside;
    }
  valuePush (ctxt, xmlXPathNewBoolean (inside));
}

/* digest(data, algorithm, encoding?): the hash of @data's UTF-8 bytes, in base64 (the default)
 * or lowercase hex. Algorithm and encoding names are read as JavaRosa reads them: without
 * regard to case, and "SHA-256" the same as "SHA256". */
static void
fn_digest (xmlXPathParserContextPtr ctxt, int nargs)
{
  static const struct
  {
    const char   *name;
    GChecksumType type;
  } algorithms[] = {
    { "MD5", G_CHECKSUM_MD5 },       { "SHA1", G_CHECKSUM_SHA1 },
    { "SHA256", G_CHECKSUM_SHA256 }, { "SHA384", G_CHECKSUM_SHA384 },
    { "SHA512", G_CHECKSUM_SHA512 },
  };
  g_autofree char      *encoding = NULL;
  g_autofree char      *algorithm = NULL;
  g_autofree char      *data = NULL;
  g_autoptr (GString)   wanted = g_string_new (NULL);
  g_autoptr (GChecksum) checksum = NULL;
  g_autofree char      *out = NULL;
  guint8                bytes[64];
  gsize                 len = sizeof bytes;
  gboolean              hex;

  if (!check_arity (ctxt, nargs, 2, 3, "digest"))
    return;
  encoding = g_strstrip (nargs == 3 ? pop_string (ctxt) : g_strdup ("base64"));
  algorithm = g_strstrip (pop_string (ctxt));
  data = pop_string (ctxt);
  for (const char *p = algorithm; *p != '\0'; p++)
    if (*p != '-')
      g_string_append_c (wanted, g_ascii_toupper (*p));
  for (guint i = 0; i < G_N_ELEMENTS (algorithms) && checksum == NULL; i++)
    if (strcmp (wanted->str, algorithms[i].name) == 0)
      checksum = g_checksum_new (algorithms[i].type);
  if (checksum == NULL)
    {
      function_failed (ctxt,
                       /* Translators: digest is a function name; do not translate it or the
                          names of the algorithms. %s is what the form gave instead */
                       _ ("digest() does not know the algorithm “%s”: it takes MD5, SHA-1, "
                          "SHA-256, SHA-384 or SHA-512"),
                       algorithm);
      return;
    }
  hex = g_ascii_strcasecmp (encoding, "hex") == 0;
  if (!hex && g_ascii_strcasecmp (encoding, "base64") != 0)
    {
      function_failed (ctxt,
                       /* Translators: digest is a function name; do not translate it, base64
                          or hex. %s is what the form gave instead */
                       _ ("digest() cannot write its result as “%s”: it writes base64 or hex"),
                       encoding);
      return;
    }
  g_checksum_update (checksum, (const guchar *) data, strlen (data));
  if (hex)
    out = g_strdup (g_checksum_get_string (checksum));
  else
    {
      g_checksum_get_digest (checksum, bytes, &len);
      out = g_base64_encode (bytes, len);
    }
  push_string (ctxt, out);
}

/* Whether @s (without white space) is base64: the alphabet, then at most two "=" that end it,
 * and a length that can hold whole bytes. */
static gboolean
is_base64 (const char *s)
{
  gsize len = strlen (s), data = strspn (s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                            "0123456789+/");

  if (len - data > 2 || strspn (s + data, "=") != len - data)
    return FALSE;
  return data % 4 != 1 && (len == data || len % 4 == 0);
}

/* base64-decode(s): the UTF-8 text @s encodes. As in JavaRosa, what is not base64 gives "" and
 * bytes that are not UTF-8 become U+FFFD; NUL characters, which XML cannot hold, are dropped. */
static void
fn_base64_decode (xmlXPathParserContextPtr ctxt, int nargs)
{
  g_autofree char    *text = NULL;
  g_autoptr (GString) clean = g_string_new (NULL);
  g_autofree guchar  *bytes = NULL;
  g_autofree char    *valid = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  gsize               len = 0;

  if (!check_arity (ctxt, nargs, 1, 1, "base64-decode"))
    return;
  text = pop_string (ctxt);
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isspace (*p))
      g_string_append_c (clean, *p);
  if (!is_base64 (clean->str))
    {
      push_string (ctxt, "");
      return;
    }
  while (clean->len % 4 != 0)
    g_string_append_c (clean, '=');
  bytes = g_base64_decode (clean->str, &len);
  for (gsize i = 0; i < len; i++)
    if (bytes[i] != '\0')
      g_string_append_c (out, (char) bytes[i]);
  valid = g_utf8_make_valid (out->str, (gssize) out->len);
  push_string (ctxt, valid);
}

/* Java's long of a double (JavaRosa's seed): NaN is 0, and values beyond the range stop at its
 * ends. */
static gint64
to_long (double n)
{
  if (isnan (n))
    return 0;
  if (n >= (double) G_MAXINT64)
    return G_MAXINT64;
  if (n <= (double) G_MININT64)
    return G_MININT64;
  return (gint64) trunc (n);
}

/* The Park-Miller "minimal standard" generator the ODK XForms spec names for randomize() with
 * a seed, written as JavaRosa and openrosa-xpath-evaluator write it. */
typedef struct
{
  gint64 state;
} ParkMiller;

static void
park_miller_init (ParkMiller *pm, gint64 seed)
{
  pm->state = seed % 2147483647;
  if (pm->state <= 0)
    pm->state += 2147483646;
}

/* From 0 (included) to 1 (excluded). */
static double
park_miller_next (ParkMiller *pm)
{
  pm->state = pm->state * 16807 % 2147483647;
  return (double) (pm->state - 1) / 2147483646;
}

/* A node-set of @nodes in their order. libxml2 sorts node-sets into document order, so the set
 * holds copies of the nodes as the children of a new element, in that order: their values are
 * the originals', but they are not in the form's data. The copies last until the next
 * evaluation. */
static xmlXPathObjectPtr
ordered_node_set (DftExprContext *self, xmlNodePtr *nodes, int n)
{
  xmlXPathObjectPtr set = xmlXPathNewNodeSet (NULL);
  xmlDocPtr         doc = xmlNewDoc ((const xmlChar *) "1.0");
  xmlNodePtr        root = xmlNewDocNode (doc, NULL, (const xmlChar *) "ordered", NULL);

  xmlDocSetRootElement (doc, root);
  g_ptr_array_add (self->scratch, doc);
  for (int i = 0; i < n; i++)
    {
      xmlNodePtr copy = NULL;

      if (nodes[i]->type == XML_ELEMENT_NODE || nodes[i]->type == XML_TEXT_NODE)
        copy = xmlDocCopyNode (nodes[i], doc, 1);
      else if (nodes[i]->type == XML_ATTRIBUTE_NODE)
        {
          xmlChar *value = xmlNodeGetContent (nodes[i]);

          copy = xmlNewDocNode (doc, NULL, nodes[i]->name, NULL);
          xmlNodeAddContent (copy, value);
          xmlFree (value);
        }
      if (copy == NULL)
        continue;
      xmlAddChild (root, copy);
      xmlXPathNodeSetAddUnique (set->nodesetval, copy);
    }
  return set;
}

/* randomize(nodes, seed?): the nodes shuffled with the "inside-out" Fisher-Yates algorithm, as
 * the ODK XForms spec says; with a seed (truncated to a whole number, as JavaRosa does) the
 * order is always the same, and the same as in ODK Collect and Enketo. */
static void
fn_randomize (xmlXPathParserContextPtr ctxt, int nargs)
{
  ParkMiller        pm = { 0 };
  gboolean          seeded = nargs == 2;
  xmlXPathObjectPtr obj;
  xmlNodeSetPtr     in;
  xmlNodePtr       *order;
  int               n;

  if (!check_arity (ctxt, nargs, 1, 2, "randomize"))
    return;
  if (seeded)
    park_miller_init (&pm, to_long (pop_number (ctxt)));
  obj = valuePop (ctxt);
  if (obj->type != XPATH_NODESET)
    {
      xmlXPathFreeObject (obj);
      /* Translators: randomize is a function name; do not translate it */
      function_failed (ctxt, _ ("randomize() needs fields or choices to shuffle"));
      return;
    }
  in = obj->nodesetval;
  n = in != NULL ? in->nodeNr : 0;
  order = g_new0 (xmlNodePtr, MAX (n, 1));
  for (int i = 0; i < n; i++)
    {
      int j = (int) floor ((seeded ? park_miller_next (&pm) : g_random_double ()) * (i + 1));

      if (j != i)
        order[i] = order[j];
      order[j] = in->nodeTab[i];
    }
  valuePush (ctxt, ordered_node_set (self_of (ctxt), order, n));
  g_free (order);
  xmlXPathFreeObject (obj);
}

/* XPath's own string functions, given numbers written as _dft_expr_number_to_string() writes
 * them rather than as libxml2 does ("1e+10"): each argument in @text_args (a bit per
 * argument, first argument lowest) that is a number becomes its string, then libxml2's
 * function runs. */
static void
with_numbers_as_text (xmlXPathParserContextPtr ctxt,
                      int                      nargs,
                      guint                    text_args,
                      xmlXPathFunction         func)
{
  for (int i = 0; i < nargs && i < 32 && nargs <= ctxt->valueNr; i++)
    {
      xmlXPathObjectPtr *slot = &ctxt->valueTab[ctxt->valueNr - nargs + i];

      if ((text_args & (1u << i)) != 0 && *slot != NULL && (*slot)->type == XPATH_NUMBER)
        {
          g_autofree char *s = _dft_expr_number_to_string ((*slot)->floatval);

          xmlXPathFreeObject (*slot);
          *slot = xmlXPathNewString ((const xmlChar *) s);
        }
    }
  if (ctxt->valueNr > 0)
    ctxt->value = ctxt->valueTab[ctxt->valueNr - 1];
  func (ctxt, nargs);
}

#define TEXT_ARGS_WRAPPER(fn, text_args, xml_func)                                                 \
  static void fn (xmlXPathParserContextPtr ctxt, int nargs)                                        \
  {                                                                                                \
    with_numbers_as_text (ctxt, nargs, text_args, xml_func);                                       \
  }

TEXT_ARGS_WRAPPER (fn_string, 0x1, xmlXPathStringFunction)
TEXT_ARGS_WRAPPER (fn_string_length, 0x1, xmlXPathStringLengthFunction)
TEXT_ARGS_WRAPPER (fn_normalize_space, 0x1, xmlXPathNormalizeFunction)
TEXT_ARGS_WRAPPER (fn_contains, 0x3, xmlXPathContainsFunction)
TEXT_ARGS_WRAPPER (fn_starts_with, 0x3, xmlXPathStartsWithFunction)
TEXT_ARGS_WRAPPER (fn_substring_before, 0x3, xmlXPathSubstringBeforeFunction)
TEXT_ARGS_WRAPPER (fn_substring_after, 0x3, xmlXPathSubstringAfterFunction)
TEXT_ARGS_WRAPPER (fn_translate, 0x7, xmlXPathTranslateFunction)
/* substring(s, start, length?): only the string; the positions stay numbers. */
TEXT_ARGS_WRAPPER (fn_substring, 0x1, xmlXPathSubstringFunction)

static const struct
{
  const char      *name;
  xmlXPathFunction func;
} odk_functions[] = {
  { "instance", fn_instance },
  { "current", fn_current },
  { "selected", fn_selected },
  { "is-selected", fn_selected },
  { "count-selected", fn_count_selected },
  { "selected-at", fn_selected_at },
  { "choice-name", fn_choice_name },
  { "itext", fn_itext },
  { "if", fn_if },
  { "coalesce", fn_coalesce },
  { "regex", fn_regex },
  { "today", fn_today },
  { "now", fn_now },
  { "date", fn_date },
  { "decimal-date-time", fn_decimal_date_time },
  { "decimal-time", fn_decimal_time },
  { "date-time", fn_date_time },
  { "int", fn_int },
  { "round", fn_round },
  { "number", fn_num },
  { "sum", fn_sum },
  { "concat", fn_concat },
  { "position", fn_position },
  { "boolean-from-string", fn_boolean_from_string },
  { "substr", fn_substr },
  { "ends-with", fn_ends_with },
  { "join", fn_join },
  { "uuid", fn_uuid },
  { "max", fn_max },
  { "min", fn_min },
  { "pow", fn_pow },
  { "abs", fn_abs },
  { "log", fn_log },
  { "log10", fn_log10 },
  { "exp", fn_exp },
  { "exp10", fn_exp10 },
  { "sqrt", fn_sqrt },
  { "pi", fn_pi },
  { "sin", fn_sin },
  { "cos", fn_cos },
  { "tan", fn_tan },
  { "asin", fn_asin },
  { "acos", fn_acos },
  { "atan", fn_atan },
  { "atan2", fn_atan2 },
  { "random", fn_random },
  { "count-non-empty", fn_count_non_empty },
  { "checklist", fn_checklist },
  { "weighted-checklist", fn_weighted_checklist },
  { "once", fn_once },
  { "format-date", fn_format_date },
  { "format-date-time", fn_format_date_time },
  { "indexed-repeat", fn_indexed_repeat },
  { "pulldata", fn_pulldata },
  { "digest", fn_digest },
  { "base64-decode", fn_base64_decode },
  { "randomize", fn_randomize },
  { "string", fn_string },
  { "string-length", fn_string_length },
  { "normalize-space", fn_normalize_space },
  { "contains", fn_contains },
  { "starts-with", fn_starts_with },
  { "substring-before", fn_substring_before },
  { "substring-after", fn_substring_after },
  { "translate", fn_translate },
  { "substring", fn_substring },
  { "area", fn_area },
  { "enclosed-area", fn_enclosed_area },
  { "distance", fn_distance },
  { "geofence", fn_geofence },
};

void
_dft_expr_register_functions (xmlXPathContextPtr xpath)
{
  xmlXPathRegisterFuncNS (xpath, (const xmlChar *) "num", (const xmlChar *) DFT_NS, fn_num);
  xmlXPathRegisterFuncNS (xpath, (const xmlChar *) "doc", (const xmlChar *) DFT_NS, fn_doc);
  for (guint i = 0; i < G_N_ELEMENTS (odk_functions); i++)
    {
      const xmlChar *name = (const xmlChar *) odk_functions[i].name;

      /* Replacing one of XPath's own functions takes removing it first. */
      xmlXPathRegisterFuncNS (xpath, name, NULL, NULL);
      xmlXPathRegisterFuncNS (xpath, name, NULL, odk_functions[i].func);
      xmlXPathRegisterFuncNS (xpath, name, (const xmlChar *) JR_NS, odk_functions[i].func);
    }
}
