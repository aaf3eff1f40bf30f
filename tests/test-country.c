/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <unicode/uloc.h>

#include "dft-country.h"
#include "dft-format.h"
#include "dft-test-util.h"

static void
assert_normal (const char *text, const char *expected)
{
  g_autofree char *code = dft_country_normalize (text);

  if (g_strcmp0 (code, expected) != 0)
    g_error ("“%s” gave %s, not %s", text, code != NULL ? code : "NULL",
             expected != NULL ? expected : "NULL");
}

/* What ICU itself calls @code in @locale: its wording moves between versions. */
static char *
icu_name (const char *code, const char *locale)
{
  g_autofree char *id = g_strconcat ("_", code, NULL);
  UChar            name[128];
  UErrorCode       status = U_ZERO_ERROR;
  int32_t          length = uloc_getDisplayCountry (id, locale, name, 128, &status);

  g_assert_true (U_SUCCESS (status));
  return g_utf16_to_utf8 (name, length, NULL, NULL, NULL);
}

static void
test_codes (void)
{
  /* Codes in any case and with spaces, as typed: all one country. */
  assert_normal ("KG", "KG");
  assert_normal ("kg", "KG");
  assert_normal (" Kg ", "KG");
  assert_normal ("tz", "TZ");
  /* ISO 3166 alpha-3. */
  assert_normal ("KGZ", "KG");
  assert_normal ("geo", "GE");

  g_assert_true (dft_country_is_code ("KG"));
  g_assert_false (dft_country_is_code ("kg"));
  g_assert_false (dft_country_is_code ("QQ"));
  g_assert_false (dft_country_is_code ("KGZ"));
  g_assert_false (dft_country_is_code (NULL));
}

static void
test_names (void)
{
  g_autofree char *russian = icu_name ("KG", "ru");
  g_autofree char *georgian = icu_name ("GE", "ka");

  /* English, in any case, and the names people write that ICU does not give. */
  assert_normal ("Kyrgyzstan", "KG");
  assert_normal ("KYRGYZSTAN", "KG");
  assert_normal ("kyrgyz republic", "KG");
  assert_normal ("Kyrgyzstan.", "KG");
  assert_normal ("United Republic of Tanzania", "TZ");
  assert_normal ("Germany", "DE");
  /* Russian, Kyrgyz, Ukrainian, Georgian and Urdu, whatever the interface language. */
  assert_normal (russian, "KG");
  assert_normal ("Кыргызстан", "KG");
  assert_normal ("Киргизстан", "KG");
  assert_normal ("Грузия", "GE");
  assert_normal ("Україна", "UA");
  assert_normal (georgian, "GE");
  assert_normal ("پاکستان", "PK");
  /* The words the importer knew before this module: none is lost. */
  assert_normal ("Kirghizia", "KG");
  assert_normal ("Sakartvelo", "GE");
  assert_normal ("Tanzania, United Republic of", "TZ");
  assert_normal ("Молдова", "MD");
  assert_normal ("Таджикистан", "TJ");
}

static void
test_unknown (void)
{
  assert_normal ("Atlantis", NULL);
  assert_normal ("", NULL);
  assert_normal ("   ", NULL);
  assert_normal ("K", NULL);
  assert_normal ("QQ", NULL);
  /* Codes ISO only reserves are not countries anyone comes from. */
  assert_normal ("IC", NULL);
  assert_normal (NULL, NULL);
  assert_normal ("\xff\xfe", NULL);
}

static void
test_interface_language (void)
{
  g_autofree char *english = NULL;
  g_autofree char *russian = NULL;
  g_autofree char *expected = icu_name ("KG", "ru");
  g_autofree char *german = icu_name ("DE", "de");

  english = dft_country_name ("KG", NULL);
  g_assert_cmpstr (english, ==, "Kyrgyzstan");

  dft_format_set_language ("ru");
  russian = dft_country_name ("KG", NULL);
  g_assert_cmpstr (russian, ==, expected);
  g_assert_cmpstr (russian, !=, "Kyrgyzstan");
  /* A code is no name. */
  g_assert_null (dft_country_name ("kg", NULL));

  /* An interface language Daftari is not translated into still names countries. */
  dft_format_set_language ("de");
  assert_normal (german, "DE");
  dft_format_set_language (NULL);
  assert_normal (german, NULL);
}

static int
position_of (GPtrArray *countries, const char *code)
{
  for (guint i = 0; i < countries->len; i++)
    if (g_str_equal (((DftCountry *) g_ptr_array_index (countries, i))->code, code))
      return (int) i;
  g_error ("%s is not listed", code);
}

static void
test_list (void)
{
  g_autoptr (GPtrArray) english = dft_country_list ("en");
  g_autoptr (GPtrArray) russian = dft_country_list ("ru");
  g_autofree char      *russian_kg = icu_name ("KG", "ru");
  DftCountry           *first;
  gboolean              found = FALSE;

  /* Every country once (ICU 72 knows about 250). */
  g_assert_cmpuint (english->len, >, 240);
  g_assert_cmpuint (english->len, ==, russian->len);
  /* Sorted as the language sorts, not by code nor by bytes: Afghanistan first and Zimbabwe
   * last in English, a name in А first in Russian. */
  first = g_ptr_array_index (english, 0);
  g_assert_cmpstr (first->code, ==, "AF");
  g_assert_cmpstr (((DftCountry *) g_ptr_array_index (english, english->len - 1))->code, ==, "ZW");
  /* Åland Islands sort as Aland, before Albania. */
  g_assert_cmpint (position_of (english, "AX"), <, position_of (english, "AL"));
  g_assert_cmpint (position_of (english, "AX"), >, position_of (english, "AF"));
  first = g_ptr_array_index (russian, 0);
  g_assert_true (g_str_has_prefix (first->name, "А"));
  for (guint i = 0; i < russian->len; i++)
    {
      DftCountry *c = g_ptr_array_index (russian, i);
      g_assert_true (dft_country_is_code (c->code));
      if (g_str_equal (c->code, "KG"))
        {
          g_assert_cmpstr (c->name, ==, russian_kg);
          found = TRUE;
        }
    }
  g_assert_true (found);
}

int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);

  g_test_add_func ("/country/normalize/codes", test_codes);
  g_test_add_func ("/country/normalize/names", test_names);
  g_test_add_func ("/country/normalize/unknown", test_unknown);
  g_test_add_func ("/country/interface-language", test_interface_language);
  g_test_add_func ("/country/list", test_list);

  return g_test_run ();
}
