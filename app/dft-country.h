/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Countries as the register keeps them: the ISO 3166-1 alpha-2 code in upper case ("KG"),
 * named to the user in the interface language by ICU's locale data. Free text that people
 * type or that spreadsheets hold ("kg", "Kyrgyzstan", "Киргизия", "KGZ") becomes a code
 * here, so that one country is counted once in the reports.
 *
 * Every function may be called from any thread.
 */

typedef struct
{
  char *code; /* "KG" */
  char *name; /* "Kyrgyzstan", "Киргизия" */
} DftCountry;

void dft_country_free (DftCountry *country);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftCountry, dft_country_free)

/* Whether @text is the upper-case alpha-2 code of a country ICU knows ("KG", not "kg"). */
gboolean dft_country_is_code (const char *text);

/*
 * The code @text stands for, or NULL when it names no country Daftari knows. @text may be
 * a code in any case (alpha-2 or alpha-3, "kg", "KGZ"), or a name in English, in the
 * interface language or in any of the languages Daftari is translated into, in any case
 * and with any spaces around it. Free with g_free().
 */
char *dft_country_normalize (const char *text);

/* The name of @code in @locale (an ICU locale such as "ru"; NULL for the interface
 * language), or NULL when @code is not a country's code. Free with g_free(). */
char *dft_country_name (const char *code, const char *locale);

/* Every country, as DftCountry, sorted by name as @locale (NULL for the interface language)
 * sorts its words. */
GPtrArray *dft_country_list (const char *locale);

G_END_DECLS
