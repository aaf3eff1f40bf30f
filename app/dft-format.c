/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <unicode/udat.h>
#include <unicode/udateintervalformat.h>
#include <unicode/udatpg.h>
#include <unicode/uloc.h>
#include <unicode/unum.h>
#include <unicode/ustring.h>

#include "dft-format.h"

#define N_DATE_STYLES (DFT_DATE_STYLE_DAY_MONTH_TIME + 1)

/* No date or number ICU writes for us comes near this many UTF-16 units. */
#define OUTPUT_CAPACITY 256

/* The language-neutral parts of each style; ICU picks the order, words and punctuation. */
static const UChar *const date_skeletons[N_DATE_STYLES] = {
  [DFT_DATE_STYLE_DAY_MONTH] = u"dMMM",
  [DFT_DATE_STYLE_DAY_MONTH_YEAR] = u"yMMMd",
  [DFT_DATE_STYLE_WEEKDAY_DAY_MONTH] = u"EEEdMMM",
  [DFT_DATE_STYLE_TIME] = u"jm",
  [DFT_DATE_STYLE_DAY_MONTH_TIME] = u"dMMMjm",
};

/*
 * Every formatter is opened in GMT and handed a GDateTime's wall-clock time as if it were
 * GMT, so no time zone (ours or the date's) ever moves a day.
 */
static const UChar gmt[] = u"GMT";

/*
 * One set of formatters for one ICU locale. ICU's formatters are not safe to share between
 * threads, so they are used under @lock only; formatting is quick, and the UI thread is the
 * one that formats nearly always.
 */
static GMutex lock;
/* dft_format_set_language()'s language, NULL for the default. */
static char *override;
/* @override and g_get_language_names() when @locale was chosen from them. */
static char *override_seen;
static GStrv names_seen;

/* The ICU locale of the formatters below. */
static char                      *locale;
static UDateTimePatternGenerator *generator;
static UDateFormat               *date_formats[N_DATE_STYLES];
static UDateIntervalFormat       *range_format;
static UDateFormat               *month_format;
static UNumberFormat             *integer_format;
static UNumberFormat             *decimal_format;
static UNumberFormat             *percent_format;

static void
close_formatters (void)
{
  g_clear_pointer (&generator, udatpg_close);
  for (guint i = 0; i < N_DATE_STYLES; i++)
    g_clear_pointer (&date_formats[i], udat_close);
  g_clear_pointer (&range_format, udtitvfmt_close);
  g_clear_pointer (&month_format, udat_close);
  g_clear_pointer (&integer_format, unum_close);
  g_clear_pointer (&decimal_format, unum_close);
  g_clear_pointer (&percent_format, unum_close);
  g_clear_pointer (&locale, g_free);
}

/* Whether ICU has data for the language of @id; for any other, ICU would quietly use the
 * process's default locale (en_US_POSIX under LC_ALL=C, which does not group digits). */
static gboolean
icu_has_language (const char *id)
{
  char       language[ULOC_LANG_CAPACITY];
  UErrorCode status = U_ZERO_ERROR;

  uloc_getLanguage (id, language, sizeof language, &status);
  if (U_FAILURE (status) || status == U_STRING_NOT_TERMINATED_WARNING || *language == '\0')
    return FALSE;
  for (int32_t i = 0, n = uloc_countAvailable (); i < n; i++)
    if (strcmp (uloc_getAvailable (i), language) == 0)
      return TRUE;
  return FALSE;
}

/* The script a glibc locale modifier stands for ("sr_RS@latin"), or NULL. */
static const char *
script_of_modifier (const char *modifier)
{
  static const struct
  {
    const char *modifier;
    const char *script;
  } scripts[] = {
    { "latin", "Latn" },  { "cyrillic", "Cyrl" }, { "devanagari", "Deva" },
    { "arabic", "Arab" }, { "iqtelif", "Latn" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (scripts); i++)
    if (g_ascii_strcasecmp (modifier, scripts[i].modifier) == 0)
      return scripts[i].script;
  return NULL;
}

/*
 * The ICU locale for a language name as gettext and GLib know it ("uk", "ru_RU.UTF-8",
 * "sr_RS@latin") or a BCP 47 tag ("uz-Cyrl-UZ"); NULL for C, POSIX and what ICU has no
 * data for.
 */
static char *
icu_locale_for (const char *name)
{
  char             id[ULOC_FULLNAME_CAPACITY];
  UErrorCode       status = U_ZERO_ERROR;
  const char      *at;
  const char      *script = NULL;
  g_autofree char *base = NULL;
  g_auto (GStrv)   parts = NULL;
  char            *dot;

  if (name == NULL || *name == '\0' || strcmp (name, "C") == 0 || strcmp (name, "POSIX") == 0
      || g_str_has_prefix (name, "C.") || g_str_has_prefix (name, "C@"))
    return NULL;

  /* "ru_RU.UTF-8" has a hyphen too, in its codeset. */
  if (strchr (name, '-') != NULL && strpbrk (name, "_.@") == NULL)
    {
      uloc_forLanguageTag (name, id, sizeof id, NULL, &status);
    }
  else
    {
      at = strchr (name, '@');
      base = g_strndup (name, at != NULL ? (gsize) (at - name) : strlen (name));
      if ((dot = strchr (base, '.')) != NULL)
        *dot = '\0';
      if (at != NULL)
        script = script_of_modifier (at + 1);
      parts = g_strsplit (base, "_", 2);
      if (parts[0] == NULL || *parts[0] == '\0')
        return NULL;
      g_clear_pointer (&base, g_free);
      base = g_strjoin ("_", parts[0], script != NULL ? script : parts[1],
                        script != NULL ? parts[1] : NULL, NULL);
      uloc_getName (base, id, sizeof id, &status);
    }
  if (U_FAILURE (status) || status == U_STRING_NOT_TERMINATED_WARNING || !icu_has_language (id))
    return NULL;
  return g_strdup (id);
}

/*
 * Makes the formatters those of the language in force now, closing them (to be reopened
 * lazily, each when first used) when it has changed since the last call. $LANGUAGE can
 * change between calls (the tests change it): GLib notices and gives a new list, so
 * comparing lists is enough to see it at once. Called with @lock held.
 */
static void
update_locale (void)
{
  const char *const *names = g_get_language_names ();
  g_autofree char   *id = NULL;

  if (locale != NULL && g_strcmp0 (override, override_seen) == 0
      && g_strv_equal ((const char *const *) names_seen, names))
    return;

  if (override != NULL)
    id = icu_locale_for (override);
  for (guint i = 0; id == NULL && names[i] != NULL; i++)
    id = icu_locale_for (names[i]);
  /* Plain English, as Preferences offers it and as the fallback, is written the way the
   * trainers' countries write it (Pakistan, Tanzania, Kenya): day before month and a
   * 24-hour clock, as in British English, not the United States' "Nov 23, 2:05 PM". */
  if (id == NULL || g_str_equal (id, "en"))
    {
      g_free (id);
      id = g_strdup ("en_GB");
    }

  g_free (override_seen);
  override_seen = g_strdup (override);
  g_strfreev (names_seen);
  names_seen = g_strdupv ((char **) names);
  if (g_strcmp0 (id, locale) != 0)
    {
      close_formatters ();
      locale = g_steal_pointer (&id);
    }
}

/* The UTF-8 of what ICU wrote, or NULL (after a warning) when it failed. */
static char *
utf8_of (const UChar *text, int32_t length, UErrorCode status, const char *what)
{
  if (U_FAILURE (status) || status == U_STRING_NOT_TERMINATED_WARNING)
    {
      g_warning ("ICU could not format %s for %s: %s", what, locale, u_errorName (status));
      return NULL;
    }
  return g_utf16_to_utf8 ((const gunichar2 *) text, length, NULL, NULL, NULL);
}

static UDateFormat *
ensure_date_format (DftDateStyle style)
{
  UChar      pattern[OUTPUT_CAPACITY];
  int32_t    length;
  UErrorCode status = U_ZERO_ERROR;

  if (date_formats[style] != NULL)
    return date_formats[style];
  if (generator == NULL)
    generator = udatpg_open (locale, &status);
  length = udatpg_getBestPattern (generator, date_skeletons[style], -1, pattern,
                                  G_N_ELEMENTS (pattern), &status);
  date_formats[style]
      = udat_open (UDAT_PATTERN, UDAT_PATTERN, locale, gmt, -1, pattern, length, &status);
  if (U_FAILURE (status))
    {
      g_warning ("ICU has no date format for %s: %s", locale, u_errorName (status));
      g_clear_pointer (&date_formats[style], udat_close);
    }
  return date_formats[style];
}

static UNumberFormat *
open_number_format (UNumberFormatStyle style)
{
  UErrorCode     status = U_ZERO_ERROR;
  UNumberFormat *format = unum_open (style, NULL, 0, locale, NULL, &status);

  if (U_FAILURE (status))
    {
      g_warning ("ICU has no number format for %s: %s", locale, u_errorName (status));
      g_clear_pointer (&format, unum_close);
      return NULL;
    }
  /* Halves round away from zero, as people round by hand: 12.5 % is "13 %". */
  unum_setAttribute (format, UNUM_ROUNDING_MODE, UNUM_ROUND_HALFUP);
  return format;
}

/* Milliseconds from 1970-01-01 00:00 to @date's wall-clock time, counted as if in GMT. */
static UDate
wall_clock_of (GDateTime *date)
{
  gint64 seconds
      = g_date_time_to_unix (date) + g_date_time_get_utc_offset (date) / G_TIME_SPAN_SECOND;

  return (UDate) seconds * 1000.0 + g_date_time_get_microsecond (date) / 1000;
}

void
dft_format_set_language (const char *language)
{
  g_mutex_lock (&lock);
  if (g_strcmp0 (language, override) != 0)
    {
      g_free (override);
      override = g_strdup (language);
    }
  g_mutex_unlock (&lock);
}

char *
dft_format_dup_locale (void)
{
  char *result;

  g_mutex_lock (&lock);
  update_locale ();
  result = g_strdup (locale);
  g_mutex_unlock (&lock);
  return result;
}

gboolean
dft_format_is_right_to_left (void)
{
  g_autofree char *id = dft_format_dup_locale ();

  return uloc_isRightToLeft (id);
}

char *
dft_format_date (GDateTime *date, DftDateStyle style)
{
  UChar        text[OUTPUT_CAPACITY];
  int32_t      length = 0;
  UErrorCode   status = U_ZERO_ERROR;
  UDateFormat *format;
  char        *result = NULL;

  g_return_val_if_fail (date != NULL, NULL);
  g_return_val_if_fail (style < N_DATE_STYLES, NULL);

  g_mutex_lock (&lock);
  update_locale ();
  if ((format = ensure_date_format (style)) != NULL)
    {
      length = udat_format (format, wall_clock_of (date), text, G_N_ELEMENTS (text), NULL, &status);
      result = utf8_of (text, length, status, "a date");
    }
  g_mutex_unlock (&lock);
  /* Only when ICU failed, which it has warned about: ISO 8601 is readable in any language. */
  if (result == NULL && style == DFT_DATE_STYLE_TIME)
    result = g_date_time_format (date, "%H:%M");
  else if (result == NULL)
    result = g_date_time_format (date, style == DFT_DATE_STYLE_DAY_MONTH_TIME ? "%Y-%m-%d %H:%M"
                                                                              : "%Y-%m-%d");
  return result;
}

/*
 * Whether @range, ICU's text for the days from @start to @end, names the month of @start
 * whenever that differs from the month of @end. ICU 72's Swahili data drops it
 * ("23 – 2 Des 2026" for 23 November to 2 December), which misleads a reader badly.
 * Called with @lock held.
 */
static gboolean
range_names_first_month (const UChar *range, UDate start, UDate end)
{
  UChar      first[OUTPUT_CAPACITY];
  UChar      last[OUTPUT_CAPACITY];
  UErrorCode status = U_ZERO_ERROR;

  if (month_format == NULL)
    month_format = udat_open (UDAT_PATTERN, UDAT_PATTERN, locale, gmt, -1, u"MMM y", -1, &status);
  if (month_format == NULL)
    return TRUE;
  udat_format (month_format, start, first, G_N_ELEMENTS (first), NULL, &status);
  udat_format (month_format, end, last, G_N_ELEMENTS (last), NULL, &status);
  if (U_FAILURE (status) || u_strcmp (first, last) == 0)
    return TRUE;
  /* Now the month alone: the year was there only to tell November 2026 from November 2027. */
  udat_applyPattern (month_format, FALSE, u"MMM", -1);
  udat_format (month_format, start, first, G_N_ELEMENTS (first), NULL, &status);
  udat_applyPattern (month_format, FALSE, u"MMM y", -1);
  return U_FAILURE (status) || u_strstr (range, first) != NULL;
}

char *
dft_format_date_range (GDateTime *start, GDateTime *end)
{
  UChar      text[OUTPUT_CAPACITY];
  int32_t    length;
  UErrorCode status = U_ZERO_ERROR;
  UDate      from;
  UDate      to;
  char      *result = NULL;
  gboolean   whole;

  g_return_val_if_fail (start != NULL, NULL);
  g_return_val_if_fail (end != NULL, NULL);

  from = wall_clock_of (start);
  to = wall_clock_of (end);
  g_mutex_lock (&lock);
  update_locale ();
  if (range_format == NULL)
    range_format = udtitvfmt_open (locale, u"yMMMd", -1, gmt, -1, &status);
  if (U_SUCCESS (status))
    {
      length = udtitvfmt_format (range_format, from, to, text, G_N_ELEMENTS (text), NULL, &status);
      whole = U_SUCCESS (status) && length < OUTPUT_CAPACITY
              && range_names_first_month (text, from, to);
      if (whole)
        result = utf8_of (text, length, status, "a range of dates");
    }
  else
    {
      g_warning ("ICU has no format for ranges of dates in %s: %s", locale, u_errorName (status));
      g_clear_pointer (&range_format, udtitvfmt_close);
    }
  g_mutex_unlock (&lock);
  if (result == NULL)
    {
      /* Both ends in full, each as the language writes a date. */
      gboolean         same_year = g_date_time_get_year (start) == g_date_time_get_year (end);
      g_autofree char *first = dft_format_date (start, same_year ? DFT_DATE_STYLE_DAY_MONTH
                                                                 : DFT_DATE_STYLE_DAY_MONTH_YEAR);
      g_autofree char *last = dft_format_date (end, DFT_DATE_STYLE_DAY_MONTH_YEAR);

      result = g_strconcat (first, " – ", last, NULL);
    }
  return result;
}

char *
dft_format_integer (gint64 value)
{
  UChar      text[OUTPUT_CAPACITY];
  int32_t    length;
  UErrorCode status = U_ZERO_ERROR;
  char      *result = NULL;

  g_mutex_lock (&lock);
  update_locale ();
  if (integer_format == NULL && (integer_format = open_number_format (UNUM_DECIMAL)) != NULL)
    unum_setAttribute (integer_format, UNUM_MAX_FRACTION_DIGITS, 0);
  if (integer_format != NULL)
    {
      length = unum_formatInt64 (integer_format, value, text, G_N_ELEMENTS (text), NULL, &status);
      result = utf8_of (text, length, status, "a number");
    }
  g_mutex_unlock (&lock);
  return result != NULL ? result : g_strdup_printf ("%" G_GINT64_FORMAT, value);
}

char *
dft_format_decimal (double value, guint fraction_digits)
{
  UChar      text[OUTPUT_CAPACITY];
  int32_t    length;
  UErrorCode status = U_ZERO_ERROR;
  char      *result = NULL;

  g_return_val_if_fail (fraction_digits <= 15, NULL);

  g_mutex_lock (&lock);
  update_locale ();
  if (decimal_format == NULL)
    decimal_format = open_number_format (UNUM_DECIMAL);
  if (decimal_format != NULL)
    {
      unum_setAttribute (decimal_format, UNUM_MIN_FRACTION_DIGITS, (int32_t) fraction_digits);
      unum_setAttribute (decimal_format, UNUM_MAX_FRACTION_DIGITS, (int32_t) fraction_digits);
      length = unum_formatDouble (decimal_format, value, text, G_N_ELEMENTS (text), NULL, &status);
      result = utf8_of (text, length, status, "a number");
    }
  g_mutex_unlock (&lock);
  return result != NULL ? result : g_strdup_printf ("%.*f", (int) fraction_digits, value);
}

char *
dft_format_percent (double fraction)
{
  UChar      text[OUTPUT_CAPACITY];
  int32_t    length;
  UErrorCode status = U_ZERO_ERROR;
  char      *result = NULL;

  g_mutex_lock (&lock);
  update_locale ();
  if (percent_format == NULL)
    percent_format = open_number_format (UNUM_PERCENT);
  if (percent_format != NULL)
    {
      length
          = unum_formatDouble (percent_format, fraction, text, G_N_ELEMENTS (text), NULL, &status);
      result = utf8_of (text, length, status, "a percentage");
    }
  g_mutex_unlock (&lock);
  return result != NULL ? result : g_strdup_printf ("%.0f%%", fraction * 100);
}
