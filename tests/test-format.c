/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "dft-format.h"
#include "dft-test-util.h"

/*
 * ICU's wording moves a little between versions, so these look for the parts that make a
 * date Russian or Georgian (the month's name, the digits), not for whole strings; the
 * whole strings below are ones every ICU since long before Debian 12's 72 writes alike.
 */

typedef struct
{
  const char *language;
  const char *locale;     /* what dft_format_dup_locale() says */
  const char *native;     /* in "23 November 2026" or "Monday 23 November" */
  const char *not_native; /* English that must not show */
  gboolean    clock_24;   /* 14:05 rather than 2:05 PM */
} Language;

static const Language languages[] = {
  /* Plain English is written the British way: day first, 24-hour clock. */
  { "en", "en_GB", "Nov", "нояб", TRUE },
  { "en_US", "en_US", "Nov", "нояб", FALSE },
  { "ru", "ru", "нояб", "Nov", TRUE },
  { "uk", "uk", "лист", "Nov", TRUE },
  { "ka", "ka", "ნოე", "Nov", TRUE },
  /* Swahili shortens Novemba to "Nov" as English does; its weekday is its own. */
  { "sw", "sw", "Jumatatu", "Mon", TRUE },
  { "ur", "ur", "نومبر", "Nov", FALSE },
  { "ky", "ky", "ноя", "Nov", TRUE },
};

static void
assert_contains (const char *text, const char *part)
{
  if (strstr (text, part) == NULL)
    g_error ("\"%s\" does not contain \"%s\"", text, part);
}

static void
assert_lacks (const char *text, const char *part)
{
  if (strstr (text, part) != NULL)
    g_error ("\"%s\" contains \"%s\"", text, part);
}

static guint
count_of (const char *text, const char *part)
{
  guint n = 0;

  for (const char *at = strstr (text, part); at != NULL; at = strstr (at + 1, part))
    n++;
  return n;
}

/* Whether @text has a space that no line break splits at @at: U+00A0 or U+202F. */
static gboolean
no_break_space_at (const char *text, gsize at)
{
  gunichar c = g_utf8_get_char (text + at);

  return c == 0x00A0 || c == 0x202F;
}

static GDateTime *
date_in (const char *zone, int year, int month, int day, int hour, int minute)
{
  g_autoptr (GTimeZone) tz = g_time_zone_new_identifier (zone);

  g_assert_nonnull (tz);
  return g_date_time_new (tz, year, month, day, hour, minute, 0);
}

static void
test_languages (void)
{
  g_autoptr (GDateTime) date = date_in ("UTC", 2026, 11, 23, 14, 5);

  for (guint i = 0; i < G_N_ELEMENTS (languages); i++)
    {
      const Language  *l = &languages[i];
      g_autofree char *locale = NULL;
      g_autofree char *day_month = NULL;
      g_autofree char *full = NULL;
      g_autofree char *weekday = NULL;
      g_autofree char *time = NULL;
      g_autofree char *day_time = NULL;

      g_test_message ("language %s", l->language);
      dft_format_set_language (l->language);
      locale = dft_format_dup_locale ();
      g_assert_cmpstr (locale, ==, l->locale);

      day_month = dft_format_date (date, DFT_DATE_STYLE_DAY_MONTH);
      full = dft_format_date (date, DFT_DATE_STYLE_DAY_MONTH_YEAR);
      weekday = dft_format_date (date, DFT_DATE_STYLE_WEEKDAY_DAY_MONTH);
      time = dft_format_date (date, DFT_DATE_STYLE_TIME);
      day_time = dft_format_date (date, DFT_DATE_STYLE_DAY_MONTH_TIME);
      g_test_message ("%s | %s | %s | %s | %s", day_month, full, weekday, time, day_time);

      /* The month by name, in the language; in Swahili the weekday tells. */
      assert_contains (strcmp (l->language, "sw") == 0 ? weekday : full, l->native);
      assert_lacks (full, l->not_native);
      assert_lacks (weekday, l->not_native);
      assert_lacks (day_month, l->not_native);
      assert_lacks (day_month, "2026");
      assert_lacks (weekday, "2026");
      for (const char *const *t = (const char *const[]){ day_month, full, weekday, day_time, NULL };
           *t != NULL; t++)
        assert_contains (*t, "23");
      assert_contains (full, "2026");
      assert_lacks (full, "11"); /* by name, not by number */
      assert_contains (time, l->clock_24 ? "14:05" : "2:05");
      assert_contains (day_time, l->clock_24 ? "14:05" : "2:05");
    }
  dft_format_set_language (NULL);
}

/* A workshop day is a plain date: a zone far from ours, or from GMT, moves no day or hour. */
static void
test_wall_clock (void)
{
  g_autoptr (GDateTime) late = date_in ("+05:00", 2026, 11, 23, 23, 30);
  g_autoptr (GDateTime) early = date_in ("+05:00", 2026, 11, 23, 0, 30);
  g_autoptr (GDateTime) west = date_in ("-10:00", 2026, 11, 23, 23, 30);
  g_autoptr (GDateTime) utc = date_in ("UTC", 2026, 11, 24, 0, 30);
  const struct
  {
    GDateTime  *date;
    const char *day;
    const char *time;
  } cases[] = {
    { late, "23", "23:30" },
    { early, "23", "00:30" },
    { west, "23", "23:30" },
    { utc, "24", "00:30" },
  };

  dft_format_set_language ("ru");
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *day = dft_format_date (cases[i].date, DFT_DATE_STYLE_DAY_MONTH);
      g_autofree char *time = dft_format_date (cases[i].date, DFT_DATE_STYLE_TIME);
      g_autofree char *both = dft_format_date (cases[i].date, DFT_DATE_STYLE_DAY_MONTH_TIME);
      g_autofree char *expected_day = g_strconcat (cases[i].day, " нояб", NULL);

      g_assert_true (g_str_has_prefix (day, expected_day));
      g_assert_cmpstr (time, ==, cases[i].time);
      assert_contains (both, expected_day);
      assert_contains (both, cases[i].time);
    }
  dft_format_set_language (NULL);
}

static void
test_range (void)
{
  g_autoptr (GDateTime) start = date_in ("+05:00", 2026, 11, 23, 12, 0);
  g_autoptr (GDateTime) end = date_in ("+05:00", 2026, 11, 25, 12, 0);
  g_autoptr (GDateTime) december = date_in ("+05:00", 2026, 12, 2, 12, 0);
  g_autoptr (GDateTime) next_year = date_in ("+05:00", 2027, 1, 2, 12, 0);
  g_autoptr (GDateTime) same_day = date_in ("+05:00", 2026, 11, 23, 17, 0);
  /* Each language's November, December and January as its short dates write them. */
  const struct
  {
    const char *language;
    const char *november;
    const char *december;
    const char *january;
  } cases[] = {
    { "en", "Nov", "Dec", "Jan" },   { "ru", "нояб", "дек", "янв" },
    { "uk", "лист", "груд", "січ" }, { "ka", "ნოე", "დეკ", "იან" },
    { "sw", "Nov", "Des", "Jan" },   { "ur", "نومبر", "دسمبر", "جنوری" },
    { "ky", "ноя", "дек", "янв" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *days = NULL;
      g_autofree char *months = NULL;
      g_autofree char *years = NULL;
      g_autofree char *one = NULL;
      g_autofree char *single = NULL;

      dft_format_set_language (cases[i].language);
      days = dft_format_date_range (start, end);
      months = dft_format_date_range (start, december);
      years = dft_format_date_range (start, next_year);
      one = dft_format_date_range (start, same_day);
      single = dft_format_date (start, DFT_DATE_STYLE_DAY_MONTH_YEAR);
      g_test_message ("%s: %s | %s | %s | %s", cases[i].language, days, months, years, one);

      /* Within a month: both days, the month and the year once each. */
      assert_contains (days, "23");
      assert_contains (days, "25");
      g_assert_cmpuint (count_of (days, cases[i].november), ==, 1);
      g_assert_cmpuint (count_of (days, "2026"), ==, 1);
      /* Across months both months show (ICU 72's Swahili forgets the first on its own). */
      assert_contains (months, cases[i].november);
      assert_contains (months, cases[i].december);
      g_assert_cmpuint (count_of (months, "2026"), ==, 1);
      /* Across years both years. */
      assert_contains (years, cases[i].november);
      assert_contains (years, cases[i].january);
      assert_contains (years, "2026");
      assert_contains (years, "2027");
      /* One day, whatever its hours, is that day. */
      g_assert_cmpstr (one, ==, single);
    }

  dft_format_set_language ("en_US");
  {
    g_autofree char *months = dft_format_date_range (start, december);

    /* ICU 72 puts thin spaces around the dash, older ones plain spaces. */
    g_assert_true (g_str_has_prefix (months, "Nov 23"));
    assert_contains (months, "–");
    g_assert_true (g_str_has_suffix (months, "Dec 2, 2026"));
  }
  dft_format_set_language ("en");
  {
    g_autofree char *months = dft_format_date_range (start, december);

    g_assert_true (g_str_has_prefix (months, "23 Nov"));
    assert_contains (months, "–");
    g_assert_true (g_str_has_suffix (months, "2 Dec 2026"));
  }
  dft_format_set_language (NULL);
}

static void
test_numbers (void)
{
  g_autofree char *integer = NULL;
  g_autofree char *decimal = NULL;
  g_autofree char *percent = NULL;
  g_autofree char *gain = NULL;

  dft_format_set_language ("en");
  integer = dft_format_integer (1234567);
  g_assert_cmpstr (integer, ==, "1,234,567");
  g_clear_pointer (&integer, g_free);
  integer = dft_format_integer (-42);
  g_assert_cmpstr (integer, ==, "-42");
  decimal = dft_format_decimal (1234.5, 1);
  g_assert_cmpstr (decimal, ==, "1,234.5");
  g_clear_pointer (&decimal, g_free);
  /* Exactly as many fraction digits as asked for, trailing zeros kept; halves round up. */
  decimal = dft_format_decimal (4.2, 2);
  g_assert_cmpstr (decimal, ==, "4.20");
  g_clear_pointer (&decimal, g_free);
  decimal = dft_format_decimal (2.5, 0);
  g_assert_cmpstr (decimal, ==, "3");
  percent = dft_format_percent (0.873);
  g_assert_cmpstr (percent, ==, "87%");
  g_clear_pointer (&percent, g_free);
  percent = dft_format_percent (0.125);
  g_assert_cmpstr (percent, ==, "13%");
  g_clear_pointer (&percent, g_free);

  /* Russian: a no-break space between groups and a decimal comma, whatever glibc has. */
  dft_format_set_language ("ru");
  g_clear_pointer (&decimal, g_free);
  decimal = dft_format_decimal (1234.5, 1);
  g_assert_true (g_str_has_prefix (decimal, "1"));
  g_assert_true (no_break_space_at (decimal, 1));
  g_assert_true (g_str_has_suffix (decimal, "234,5"));
  g_assert_cmpuint (g_utf8_strlen (decimal, -1), ==, 7);
  g_clear_pointer (&integer, g_free);
  integer = dft_format_integer (1234567);
  g_assert_true (g_str_has_prefix (integer, "1"));
  g_assert_true (no_break_space_at (integer, 1));
  assert_lacks (integer, ",");
  assert_lacks (integer, ".");
  gain = dft_format_decimal (0.666, 2);
  g_assert_cmpstr (gain, ==, "0,67");
  /* "87 %" with a space that keeps the sign beside its number. */
  g_clear_pointer (&percent, g_free);
  percent = dft_format_percent (0.873);
  g_assert_true (g_str_has_prefix (percent, "87"));
  g_assert_true (no_break_space_at (percent, 2));
  g_assert_true (g_str_has_suffix (percent, "%"));

  /* The other languages: their own separators, and digits a reader of each knows. */
  for (guint i = 0; i < G_N_ELEMENTS (languages); i++)
    {
      gboolean comma = !g_str_has_prefix (languages[i].language, "en")
                       && strcmp (languages[i].language, "sw") != 0
                       && strcmp (languages[i].language, "ur") != 0;

      dft_format_set_language (languages[i].language);
      g_clear_pointer (&decimal, g_free);
      decimal = dft_format_decimal (1234.5, 1);
      g_clear_pointer (&percent, g_free);
      percent = dft_format_percent (0.873);
      g_test_message ("%s: %s, %s", languages[i].language, decimal, percent);
      g_assert_true (g_str_has_suffix (decimal, comma ? "234,5" : "234.5"));
      if (comma)
        g_assert_true (no_break_space_at (decimal, 1));
      assert_contains (percent, "87");
      assert_contains (percent, "%");
    }
  dft_format_set_language (NULL);
}

/* $LANGUAGE decides until the app says otherwise, and again once it stops saying. */
static void
test_language_choice (void)
{
  const struct
  {
    const char *name;
    const char *locale;
  } names[] = {
    { "uk_UA.UTF-8", "uk_UA" },
    { "ky_KG", "ky_KG" },
    { "sr_RS@latin", "sr_Latn_RS" },
    { "uz-Cyrl", "uz_Cyrl" },
    { "ur_PK.utf8", "ur_PK" },
    /* ICU knows no such language: the default, which follows $LANGUAGE, stands in. */
    { "xx", "ru" },
    { "C", "ru" },
  };
  g_autofree char *previous = g_strdup (g_getenv ("LANGUAGE"));
  char            *locale;

  g_setenv ("LANGUAGE", "ru", TRUE);
  dft_format_set_language (NULL);
  locale = dft_format_dup_locale ();
  g_assert_cmpstr (locale, ==, "ru");
  g_free (locale);

  dft_format_set_language ("ka");
  locale = dft_format_dup_locale ();
  g_assert_cmpstr (locale, ==, "ka");
  g_free (locale);

  dft_format_set_language (NULL);
  locale = dft_format_dup_locale ();
  g_assert_cmpstr (locale, ==, "ru");
  g_free (locale);

  /* A change of $LANGUAGE is seen at once, with the formatters of the old language gone. */
  {
    g_autoptr (GDateTime) date = date_in ("UTC", 2026, 11, 23, 14, 5);
    g_autofree char      *russian = dft_format_date (date, DFT_DATE_STYLE_DAY_MONTH_YEAR);
    g_autofree char      *ukrainian = NULL;

    assert_contains (russian, "нояб");
    g_setenv ("LANGUAGE", "uk:ru", TRUE);
    ukrainian = dft_format_date (date, DFT_DATE_STYLE_DAY_MONTH_YEAR);
    assert_contains (ukrainian, "лист");
  }

  /* The first language ICU knows wins; C and POSIX are no language. */
  g_setenv ("LANGUAGE", "xx:ky", TRUE);
  locale = dft_format_dup_locale ();
  g_assert_cmpstr (locale, ==, "ky");
  g_free (locale);

  g_setenv ("LANGUAGE", "ru", TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      dft_format_set_language (names[i].name);
      locale = dft_format_dup_locale ();
      g_assert_cmpstr (locale, ==, names[i].locale);
      g_free (locale);
    }
  dft_format_set_language (NULL);

  /* The tests run under LC_ALL=C.UTF-8: with no $LANGUAGE, English. */
  g_unsetenv ("LANGUAGE");
  if (g_strcmp0 (g_getenv ("LC_ALL"), "C.UTF-8") == 0)
    {
      locale = dft_format_dup_locale ();
      g_assert_cmpstr (locale, ==, "en_GB");
      g_free (locale);
    }

  if (previous != NULL)
    g_setenv ("LANGUAGE", previous, TRUE);
}

static gpointer
format_many (gpointer data)
{
  g_autoptr (GDateTime) date = date_in ("+05:00", 2026, 11, 23, 14, 5);

  for (guint i = 0; i < 2000; i++)
    {
      g_autofree char *day = dft_format_date (date, DFT_DATE_STYLE_DAY_MONTH_YEAR);
      g_autofree char *number = dft_format_decimal (1234.5, 1);
      g_autofree char *percent = dft_format_percent (0.873);

      if (!g_str_has_prefix (day, "23 нояб") || !g_str_has_suffix (number, "234,5")
          || !g_str_has_prefix (percent, "87"))
        return GINT_TO_POINTER (FALSE);
    }
  return GINT_TO_POINTER (TRUE);
}

/* Worker threads format too (exports, reports): one set of formatters serves them all. */
static void
test_threads (void)
{
  GThread *threads[4];

  dft_format_set_language ("ru");
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("format", format_many, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_assert_true (GPOINTER_TO_INT (g_thread_join (threads[i])));
  dft_format_set_language (NULL);
}

int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);
  g_test_add_func ("/format/date/languages", test_languages);
  g_test_add_func ("/format/date/wall-clock", test_wall_clock);
  g_test_add_func ("/format/date/range", test_range);
  g_test_add_func ("/format/number", test_numbers);
  g_test_add_func ("/format/language", test_language_choice);
  g_test_add_func ("/format/threads", test_threads);
  return g_test_run ();
}
