/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Dates, times and numbers as the user's language writes them, through ICU's own
 * locale data: the UI language is chosen in Daftari's preferences, and the system
 * seldom has a glibc locale generated for it, so setlocale() and strftime() cannot
 * be trusted with this.
 *
 * The language is the first of g_get_language_names() that is not "C" or "POSIX"
 * (so $LANGUAGE, which dft_application_setup_locale() sets, decides), unless
 * dft_format_set_language() overrides it; English when ICU knows neither.
 *
 * Every function may be called from any thread. The formatters are opened once per
 * language and kept, so formatting a row of a long list costs no more than ICU's
 * formatting itself.
 */

typedef enum
{
  DFT_DATE_STYLE_DAY_MONTH,         /* "23 нояб.", "Nov 23" (skeleton dMMM) */
  DFT_DATE_STYLE_DAY_MONTH_YEAR,    /* "23 нояб. 2026 г.", "Nov 23, 2026" (yMMMd) */
  DFT_DATE_STYLE_WEEKDAY_DAY_MONTH, /* "пн, 23 нояб.", "Mon, Nov 23" (EEEdMMM) */
  DFT_DATE_STYLE_TIME,              /* "14:05", "2:05 PM" (jm: the language's clock) */
  DFT_DATE_STYLE_DAY_MONTH_TIME,    /* "23 нояб., 14:05", "Nov 23, 2:05 PM" (dMMMjm) */
} DftDateStyle;

/*
 * Makes @language (a POSIX name such as "ru", "uk_UA.UTF-8" or "sr@latin", or a BCP 47
 * tag such as "uz-Cyrl") the language of everything formatted from now on, in every
 * thread. NULL goes back to the default, which follows $LANGUAGE.
 */
void dft_format_set_language (const char *language);

/* The ICU locale in use now, such as "ru" or "en_US". Free with g_free(). */
char *dft_format_dup_locale (void);

/* Whether the language in use is written right to left (Urdu, Arabic, Persian…), so that a
 * window in it should be laid out from the right. */
gboolean dft_format_is_right_to_left (void);

/*
 * @date in @style. Its wall-clock time is written as it is, whatever its time zone:
 * a workshop day is a plain date, and 23 November stays 23 November everywhere.
 */
char *dft_format_date (GDateTime *date, DftDateStyle style);

/*
 * The days from @start to @end (their wall-clock dates), with no part written twice:
 * "23–25 нояб. 2026 г.", "Nov 23 – Dec 2, 2026". Equal days give one date.
 */
char *dft_format_date_range (GDateTime *start, GDateTime *end);

/* @value with the language's digits and grouping: "1 234" in Russian, "1,234" in English. */
char *dft_format_integer (gint64 value);

/* @value rounded to exactly @fraction_digits (at most 15) digits: "1 234,50" for 2 in Russian. */
char *dft_format_decimal (double value, guint fraction_digits);

/*
 * @fraction (0.873) as a whole percentage: "87 %" in Russian, "87%" in English.
 * Callers write their own text for a missing value: NaN is not special here.
 */
char *dft_format_percent (double fraction);

G_END_DECLS
