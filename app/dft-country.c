/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unicode/ucol.h>
#include <unicode/uloc.h>
#include <unicode/ustring.h>

#include "dft-country.h"
#include "dft-format.h"
#include "dft-search.h"

/*
 * ICU's list of ISO 3166 codes holds, beside the countries, three codes ISO only reserves
 * (Ceuta and Melilla, the Canary Islands, Diego Garcia): nobody registers as coming from
 * them. Kosovo's XK, not in ISO 3166 but what every register uses, stays.
 */
static const char *const reserved[] = { "EA", "IC", "DG", NULL };

/* Names are matched in English, in the languages Daftari is translated into, and in the
 * interface language (looked up when it is none of these). */
static const char *const name_locales[] = { "en", "ru", "uk", "ky", "ka", "sw", "ur", NULL };

/* Other names people write that ICU does not give, as dft_country_normalize() folds them. */
static const struct
{
  const char *name;
  const char *code;
} aliases[] = {
  { "kyrgyz republic", "KG" },
  { "kirghizia", "KG" },
  { "киргизстан", "KG" },
  { "кыргызстан", "KG" },
  { "кыргызская республика", "KG" },
  { "кыргыз республикасы", "KG" },
  { "united republic of tanzania", "TZ" },
  { "tanzania, united republic of", "TZ" },
  { "sakartvelo", "GE" },
  { "грузія", "GE" },
  { "republic of moldova", "MD" },
};

void
dft_country_free (DftCountry *country)
{
  if (country == NULL)
    return;
  g_free (country->code);
  g_free (country->name);
  g_free (country);
}

/* ICU's codes less the reserved ones, in ICU's (alphabetical) order. */
static const char *const *
codes (void)
{
  static const char **list;
  static gsize        made_list;

  if (g_once_init_enter (&made_list))
    {
      const char *const *all = uloc_getISOCountries ();
      GPtrArray         *kept = g_ptr_array_new ();

      for (guint i = 0; all[i] != NULL; i++)
        if (!g_strv_contains (reserved, all[i]))
          g_ptr_array_add (kept, (gpointer) all[i]);
      g_ptr_array_add (kept, NULL);
      list = (const char **) g_ptr_array_free (kept, FALSE);
      g_once_init_leave (&made_list, 1);
    }
  return list;
}

static gboolean
is_known_code (const char *code)
{
  const char *const *list = codes ();

  for (guint i = 0; list[i] != NULL; i++)
    if (strcmp (list[i], code) == 0)
      return TRUE;
  return FALSE;
}

gboolean
dft_country_is_code (const char *text)
{
  return text != NULL && strlen (text) == 2 && g_ascii_isupper (text[0])
         && g_ascii_isupper (text[1]) && is_known_code (text);
}

char *
dft_country_name (const char *code, const char *locale)
{
  g_autofree char *ui_locale = NULL;
  g_autofree char *id = NULL;
  UChar            name[256];
  UErrorCode       status = U_ZERO_ERROR;
  int32_t          length;

  if (code == NULL || !dft_country_is_code (code))
    return NULL;
  if (locale == NULL)
    locale = ui_locale = dft_format_dup_locale ();
  id = g_strconcat ("_", code, NULL);
  length = uloc_getDisplayCountry (id, locale, name, G_N_ELEMENTS (name), &status);
  if (U_FAILURE (status) || status == U_STRING_NOT_TERMINATED_WARNING || length <= 0)
    return g_strdup (code);
  return g_utf16_to_utf8 (name, length, NULL, NULL, NULL);
}

/* A name as typed, folded for comparison: "  Côte d’Ivoire " and "CÔTE D'IVOIRE." meet. */
static char *
fold (const char *text)
{
  g_autofree char *folded = dft_search_fold_words (text);
  GString         *key = g_string_new (folded);

  g_string_replace (key, "’", "'", 0);
  return g_string_free (key, FALSE);
}

static void
add_names (GHashTable *table, const char *locale)
{
  const char *const *list = codes ();

  for (guint i = 0; list[i] != NULL; i++)
    {
      g_autofree char *name = dft_country_name (list[i], locale);

      if (name != NULL && strcmp (name, list[i]) != 0)
        g_hash_table_insert (table, fold (name), (gpointer) list[i]);
    }
}

/* Folded name or alpha-3 code → alpha-2 code, for the fixed languages. */
static GHashTable *
names (void)
{
  static GHashTable *table;
  static gsize       made_table;

  if (g_once_init_enter (&made_table))
    {
      GHashTable        *made = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      const char *const *list = codes ();

      /* Later languages do not replace a name an earlier one gave. */
      for (int l = (int) g_strv_length ((char **) name_locales) - 1; l >= 0; l--)
        add_names (made, name_locales[l]);
      for (guint i = 0; i < G_N_ELEMENTS (aliases); i++)
        g_hash_table_insert (made, g_strdup (aliases[i].name), (gpointer) aliases[i].code);
      for (guint i = 0; list[i] != NULL; i++)
        {
          g_autofree char *id = g_strconcat ("_", list[i], NULL);
          const char      *alpha3 = uloc_getISO3Country (id);

          if (alpha3 != NULL && strlen (alpha3) == 3)
            g_hash_table_insert (made, g_ascii_strdown (alpha3, -1), (gpointer) list[i]);
        }
      table = made;
      g_once_init_leave (&made_table, 1);
    }
  return table;
}

char *
dft_country_normalize (const char *text)
{
  g_autofree char *key = NULL;
  g_autofree char *upper = NULL;
  const char      *code;

  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return NULL;
  key = fold (text);
  upper = g_ascii_strup (key, -1);
  if (dft_country_is_code (upper))
    return g_steal_pointer (&upper);

  code = g_hash_table_lookup (names (), key);
  if (code == NULL && *key != '\0')
    {
      g_autofree char *locale = dft_format_dup_locale ();
      char             language[ULOC_LANG_CAPACITY] = "";
      UErrorCode       status = U_ZERO_ERROR;

      uloc_getLanguage (locale, language, sizeof language, &status);
      /* The interface language, when it is none of the fixed ones: rare, so not kept. */
      if (U_FAILURE (status) || !g_strv_contains (name_locales, language))
        {
          g_autoptr (GHashTable) ui_names
              = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

          add_names (ui_names, locale);
          code = g_hash_table_lookup (ui_names, key);
        }
    }
  return g_strdup (code);
}

typedef struct
{
  DftCountry *country;
  guint8     *sort_key;
} Sorted;

static int
compare_sorted (gconstpointer a, gconstpointer b)
{
  const Sorted *x = a;
  const Sorted *y = b;

  return strcmp ((const char *) x->sort_key, (const char *) y->sort_key);
}

/* A sort key of @name for @collator, or a copy of @name when ICU cannot make one. */
static guint8 *
sort_key (UCollator *collator, const char *name)
{
  g_autofree gunichar2 *utf16 = g_utf8_to_utf16 (name, -1, NULL, NULL, NULL);
  int32_t               length;
  guint8               *key;

  if (collator == NULL || utf16 == NULL)
    return (guint8 *) g_strdup (name);
  length = ucol_getSortKey (collator, utf16, -1, NULL, 0);
  key = g_malloc0 ((gsize) length + 1);
  ucol_getSortKey (collator, utf16, -1, key, length + 1);
  return key;
}

GPtrArray *
dft_country_list (const char *locale)
{
  g_autofree char   *ui_locale = NULL;
  const char *const *list = codes ();
  guint              n = g_strv_length ((char **) list);
  g_autofree Sorted *sorted = g_new0 (Sorted, n);
  GPtrArray         *countries = g_ptr_array_new_full (n, (GDestroyNotify) dft_country_free);
  UErrorCode         status = U_ZERO_ERROR;
  UCollator         *collator;

  if (locale == NULL)
    locale = ui_locale = dft_format_dup_locale ();
  collator = ucol_open (locale, &status);
  if (U_FAILURE (status))
    g_clear_pointer (&collator, ucol_close);

  for (guint i = 0; i < n; i++)
    {
      sorted[i].country = g_new0 (DftCountry, 1);
      sorted[i].country->code = g_strdup (list[i]);
      sorted[i].country->name = dft_country_name (list[i], locale);
      sorted[i].sort_key = sort_key (collator, sorted[i].country->name);
    }
  qsort (sorted, n, sizeof (Sorted), compare_sorted);
  for (guint i = 0; i < n; i++)
    {
      g_ptr_array_add (countries, sorted[i].country);
      g_free (sorted[i].sort_key);
    }
  g_clear_pointer (&collator, ucol_close);
  return countries;
}
