/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dft-hlc.h"
#include "dft-test-util.h"

static void
test_hlc_pack (void)
{
  DftHlcValue v = dft_hlc_pack (1700000000123, 7);

  g_assert_cmpint (dft_hlc_value_ms (v), ==, 1700000000123);
  g_assert_cmpuint (dft_hlc_value_counter (v), ==, 7);
  /* Later milliseconds order after any counter of an earlier one. */
  g_assert_cmpuint (dft_hlc_pack (1700000000124, 0), >, dft_hlc_pack (1700000000123, 0xffff));
}

static void
test_hlc_tick_monotonic (void)
{
  DftHlc      hlc = { 0 };
  DftHlcValue a, b, c, d;

  a = dft_hlc_tick (&hlc, 1000);
  b = dft_hlc_tick (&hlc, 1000); /* the wall clock stood still */
  c = dft_hlc_tick (&hlc, 900);  /* and then went backwards */
  d = dft_hlc_tick (&hlc, 2000);

  g_assert_cmpuint (a, <, b);
  g_assert_cmpuint (b, <, c);
  g_assert_cmpuint (c, <, d);
  g_assert_cmpint (dft_hlc_value_ms (c), ==, 1000);
  g_assert_cmpuint (dft_hlc_value_counter (c), ==, 2);
  g_assert_cmpuint (d, ==, dft_hlc_pack (2000, 0));
}

static void
test_hlc_receive (void)
{
  DftHlc      hlc = { 0 };
  DftHlcValue remote = dft_hlc_pack (5000, 3);
  DftHlcValue after;

  dft_hlc_tick (&hlc, 1000);
  after = dft_hlc_receive (&hlc, remote, 1000);
  g_assert_cmpuint (after, >, remote);
  /* Whatever happens here next is ordered after what was received. */
  g_assert_cmpuint (dft_hlc_tick (&hlc, 1000), >, after);

  /* A wall clock ahead of both wins with a zero counter. */
  g_assert_cmpuint (dft_hlc_receive (&hlc, remote, 9000), ==, dft_hlc_pack (9000, 0));
}

static void
test_hlc_counter_overflow (void)
{
  DftHlc      hlc = { dft_hlc_pack (1000, 0xffff) };
  DftHlcValue next = dft_hlc_tick (&hlc, 1000);

  g_assert_cmpuint (next, >, dft_hlc_pack (1000, 0xffff));
  g_assert_cmpint (dft_hlc_value_ms (next), ==, 1001);
}

static void
test_hlc_drift (void)
{
  gint64 drift = 0;

  g_assert_false (dft_hlc_is_drifted (dft_hlc_pack (1000 + 30000, 0), 1000, &drift));
  g_assert_cmpint (drift, ==, 30000);
  g_assert_true (dft_hlc_is_drifted (dft_hlc_pack (1000 + 61000, 0), 1000, &drift));
  /* A year ahead: a laptop with a wrong clock. */
  g_assert_true (dft_hlc_is_drifted (dft_hlc_pack (1000 + 365LL * 86400000, 0), 1000, NULL));
  /* Old changes arriving late are normal. */
  g_assert_false (dft_hlc_is_drifted (dft_hlc_pack (1000, 0), 1000 + 86400000, NULL));
}

/* Milliseconds of 2200-01-01T00:00:00Z: a laptop whose date is far ahead. */
#define YEAR_2200_MS G_GINT64_CONSTANT (7258118400000)

static void
test_hlc_receive_from_the_future (void)
{
  const gint64 wall = 1700000000000;
  DftHlcValue  futures[] = { G_MAXINT64, dft_hlc_pack (YEAR_2200_MS, 0),
                             dft_hlc_pack (wall + DFT_HLC_MAX_AHEAD_MS + 1, 0) };

  for (guint i = 0; i < G_N_ELEMENTS (futures); i++)
    {
      DftHlc      hlc = { 0 };
      DftHlcValue before, after;
      gboolean    ahead = FALSE;

      dft_hlc_tick (&hlc, wall);
      before = hlc.last;
      g_assert_true (dft_hlc_is_too_far_ahead (futures[i], wall));
      after = dft_hlc_receive_bounded (&hlc, futures[i], wall, &ahead);
      g_assert_true (ahead);
      /* The clock moved on as for a local event, not to the remote value. */
      g_assert_cmpuint (after, >, before);
      g_assert_cmpint (dft_hlc_value_ms (after), <=, wall + DFT_HLC_MAX_AHEAD_MS);
      g_assert_cmpuint (after, <, futures[i]);
      /* The plain rule is bounded too, and what is made here next stays near the wall clock. */
      dft_hlc_receive (&hlc, futures[i], wall);
      g_assert_cmpint (dft_hlc_value_ms (dft_hlc_tick (&hlc, wall + 1)), ==, wall + 1);
    }

  /* Up to the bound the clock follows, as a hybrid logical clock does. */
  {
    DftHlc      hlc = { 0 };
    DftHlcValue near = dft_hlc_pack (wall + DFT_HLC_MAX_AHEAD_MS, 0);
    gboolean    ahead = TRUE;

    g_assert_false (dft_hlc_is_too_far_ahead (near, wall));
    g_assert_cmpuint (dft_hlc_receive_bounded (&hlc, near, wall, &ahead), ==, near + 1);
    g_assert_false (ahead);
  }
  /* Clocks behind are normal: changes made offline days ago. */
  g_assert_false (dft_hlc_is_too_far_ahead (dft_hlc_pack (1000, 0), wall));
  g_assert_cmpint (dft_hlc_ahead_ms (dft_hlc_pack (wall + 5, 0), wall), ==, 5);
}

static void
test_hlc_compare (void)
{
  DftHlcValue v = dft_hlc_pack (1000, 1);

  g_assert_cmpint (dft_hlc_compare (v, "b", v + 1, "a"), <, 0);
  g_assert_cmpint (dft_hlc_compare (v, "b", v, "a"), >, 0);
  g_assert_cmpint (dft_hlc_compare (v, "a", v, "a"), ==, 0);
}

static void
test_hlc_to_string (void)
{
  g_autofree char *s = dft_hlc_to_string (dft_hlc_pack (1700000000123, 4));

  g_assert_cmpstr (s, ==, "2023-11-14T22:13:20.123Z/4");
}

int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);

  g_test_add_func ("/hlc/pack", test_hlc_pack);
  g_test_add_func ("/hlc/tick-monotonic", test_hlc_tick_monotonic);
  g_test_add_func ("/hlc/receive", test_hlc_receive);
  g_test_add_func ("/hlc/counter-overflow", test_hlc_counter_overflow);
  g_test_add_func ("/hlc/drift", test_hlc_drift);
  g_test_add_func ("/hlc/receive-from-the-future", test_hlc_receive_from_the_future);
  g_test_add_func ("/hlc/compare", test_hlc_compare);
  g_test_add_func ("/hlc/to-string", test_hlc_to_string);

  return g_test_run ();
}
