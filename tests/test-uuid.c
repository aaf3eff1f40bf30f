/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dft-test-util.h"
#include "dft-uuid.h"

static void
test_uuid_v7 (void)
{
  g_autofree char *a = dft_uuid_v7_new_at (1700000000000);
  g_autofree char *b = dft_uuid_v7_new_at (1700000000001);
  g_autofree char *c = dft_uuid_v7_new ();

  g_assert_true (dft_uuid_is_valid (a));
  g_assert_true (dft_uuid_is_valid (c));
  g_assert_cmpint (a[14], ==, '7');
  g_assert_true (a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b');
  /* Time-ordered: the text sorts like the time. */
  g_assert_cmpstr (a, <, b);
  g_assert_true (g_str_has_prefix (a, "018bcfe5-6800"));
}

static void
test_uuid_v7_unique (void)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < 10000; i++)
    g_assert_true (g_hash_table_add (seen, dft_uuid_v7_new_at (1700000000000)));
}

static void
test_uuid_v5 (void)
{
  /* RFC 9562 appendix A.4: DNS namespace, "www.example.com". */
  g_autofree char *rfc = dft_uuid_v5 ("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com");
  g_autofree char *a = dft_uuid_v5 (DFT_UUID_NAMESPACE, "attendance/s1/p1");
  g_autofree char *b = dft_uuid_v5 (DFT_UUID_NAMESPACE, "attendance/s1/p1");
  g_autofree char *c = dft_uuid_v5 (DFT_UUID_NAMESPACE, "attendance/s1/p2");

  g_assert_cmpstr (rfc, ==, "2ed6657d-e927-568b-95e1-2665a8aea6a2");
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpstr (a, !=, c);
  g_assert_cmpint (a[14], ==, '5');
}

static void
test_uuid_valid (void)
{
  g_assert_false (dft_uuid_is_valid (NULL));
  g_assert_false (dft_uuid_is_valid (""));
  g_assert_false (dft_uuid_is_valid ("2ed6657d-e927-568b-95e1-2665a8aea6a"));
  g_assert_false (dft_uuid_is_valid ("2ed6657d_e927-568b-95e1-2665a8aea6a2"));
  g_assert_false (dft_uuid_is_valid ("2ed6657d-e927-568b-95e1-2665a8aea6g2"));
  g_assert_true (dft_uuid_is_valid ("2ED6657D-E927-568B-95E1-2665A8AEA6A2"));
}

int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);

  g_test_add_func ("/uuid/v7", test_uuid_v7);
  g_test_add_func ("/uuid/v7-unique", test_uuid_v7_unique);
  g_test_add_func ("/uuid/v5", test_uuid_v5);
  g_test_add_func ("/uuid/valid", test_uuid_valid);

  return g_test_run ();
}
