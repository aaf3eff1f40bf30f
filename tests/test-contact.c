/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dft-contact.h"
#include "dft-test-util.h"

static void
test_email (void)
{
  static const char *good[] = {
    "aibek@example.kg", "Aibek.Toktogulov@mvd.gov.kg", "a+b@x.co", "айбек@пример.рф", NULL,
  };
  static const char *bad[] = {
    "",
    "aibek",
    "aibek@",
    "@example.kg",
    "aibek@example",
    "aibek@@example.kg",
    "ai bek@example.kg",
    "aibek@example.kg ",
    "aibek@.example.kg",
    "aibek@example.kg.",
    "aibek@example..kg",
    "a@b@example.kg",
    "aibek@exa\tmple.kg",
    NULL,
  };

  for (guint i = 0; good[i] != NULL; i++)
    if (!dft_email_is_valid (good[i]))
      g_error ("“%s” refused", good[i]);
  for (guint i = 0; bad[i] != NULL; i++)
    if (dft_email_is_valid (bad[i]))
      g_error ("“%s” accepted", bad[i]);
  g_assert_false (dft_email_is_valid (NULL));
}

static void
test_phone (void)
{
  static const char *cases[][2] = {
    { "+996 555 123 456", "+996555123456" },
    { "+996 (555) 12-34-56", "+996555123456" },
    { "00996 555.123.456", "+996555123456" },
    { "+996555123456", "+996555123456" },
    { "0555 123 456", "0555123456" },
    { "996555123456", "996555123456" },
    { "+255 22 211\u00a04567", "+255222114567" }, /* a no-break space, as spreadsheets write */
    { "+995 32 2 12-34-56 / ", "+995322123456" },
    /* Refused: letters, a + that does not lead, too few or too many digits. */
    { "+996 555 CALL ME", NULL },
    { "555-1234 ext. 5", NULL },
    { "996+555123456", NULL },
    { "++996555123456", NULL },
    { "123", NULL },
    { "0012", NULL },
    { "+1234567890123456", NULL },
    { "", NULL },
    { "-- ()", NULL },
    { "+996 555 123 456 ٣", NULL }, /* a digit of another script is no ASCII digit */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *phone = dft_phone_normalize (cases[i][0]);

      if (g_strcmp0 (phone, cases[i][1]) != 0)
        g_error ("“%s” gave %s, not %s", cases[i][0], phone != NULL ? phone : "NULL",
                 cases[i][1] != NULL ? cases[i][1] : "NULL");
    }
  g_assert_null (dft_phone_normalize (NULL));
}

int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);

  g_test_add_func ("/contact/email", test_email);
  g_test_add_func ("/contact/phone", test_phone);

  return g_test_run ();
}
