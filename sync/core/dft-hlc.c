/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "dft-hlc.h"

#define COUNTER_MASK ((DftHlcValue) 0xffff)

DftHlcValue
dft_hlc_pack (gint64 ms, guint counter)
{
  g_return_val_if_fail (ms >= 0, 0);
  return ((DftHlcValue) ms << DFT_HLC_COUNTER_BITS) | ((DftHlcValue) counter & COUNTER_MASK);
}

static DftHlcWallClock wall_clock;

gint64
dft_hlc_wall_ms (void)
{
  if (G_UNLIKELY (wall_clock != NULL))
    return wall_clock ();
  return g_get_real_time () / 1000;
}

/*
 * For tests only: a history that must replay exactly from its seed needs a
 * clock that does too. NULL goes back to the real time. Set it before any
 * thread reads the clock.
 */
void
_dft_hlc_set_wall_clock (DftHlcWallClock func)
{
  wall_clock = func;
}

/*
 * A local event: the new value is after everything this clock has seen and
 * after the wall clock. When the wall clock stands still or runs backwards
 * (a laptop whose time was corrected), the counter moves on instead, so
 * values stay strictly increasing on this device.
 */
DftHlcValue
dft_hlc_tick (DftHlc *hlc, gint64 wall_ms)
{
  DftHlcValue wall;

  g_return_val_if_fail (hlc != NULL, 0);

  wall = dft_hlc_pack (MAX (wall_ms, 0), 0);
  if (wall > hlc->last)
    hlc->last = wall;
  else
    hlc->last += 1; /* a counter overflow carries into the milliseconds, still ordered */

  return hlc->last;
}

/*
 * A value from another replica: afterwards this clock is past both, so a
 * change made here next is ordered after what was just received. A value
 * more than DFT_HLC_MAX_AHEAD_MS ahead of the wall clock is not followed
 * (see dft_hlc_receive_bounded()).
 */
DftHlcValue
dft_hlc_receive (DftHlc *hlc, DftHlcValue remote, gint64 wall_ms)
{
  return dft_hlc_receive_bounded (hlc, remote, wall_ms, NULL);
}

/*
 * The receive rule with DESIGN.md's bound: a clock set a year ahead would
 * otherwise carry this replica's clock, and every change made here after it,
 * a year ahead too, and they would win every merge. Such a value is only
 * noted (*too_far_ahead); the clock moves on as for a local event.
 */
DftHlcValue
dft_hlc_receive_bounded (DftHlc *hlc, DftHlcValue remote, gint64 wall_ms, gboolean *too_far_ahead)
{
  DftHlcValue wall;

  g_return_val_if_fail (hlc != NULL, 0);

  if (too_far_ahead != NULL)
    *too_far_ahead = FALSE;
  if (dft_hlc_is_too_far_ahead (remote, wall_ms))
    {
      if (too_far_ahead != NULL)
        *too_far_ahead = TRUE;
      return dft_hlc_tick (hlc, wall_ms);
    }

  wall = dft_hlc_pack (MAX (wall_ms, 0), 0);
  if (wall > hlc->last && wall > remote)
    hlc->last = wall;
  else
    hlc->last = MAX (hlc->last, remote) + 1;

  return hlc->last;
}

gint64
dft_hlc_ahead_ms (DftHlcValue v, gint64 wall_ms)
{
  return dft_hlc_value_ms (v) - wall_ms;
}

/* Whether @v is further ahead of @wall_ms than any replica takes (DFT_HLC_MAX_AHEAD_MS). */
gboolean
dft_hlc_is_too_far_ahead (DftHlcValue v, gint64 wall_ms)
{
  return dft_hlc_ahead_ms (v, wall_ms) > DFT_HLC_MAX_AHEAD_MS;
}

/*
 * Field laptops often have wrong clocks. A value more than a minute ahead of
 * our wall clock is flagged so that the caller can warn instead of letting a
 * clock set a year ahead silently win every merge.
 */
gboolean
dft_hlc_is_drifted (DftHlcValue remote, gint64 wall_ms, gint64 *drift_ms)
{
  gint64 drift = dft_hlc_value_ms (remote) - wall_ms;

  if (drift_ms != NULL)
    *drift_ms = drift;

  /* Values from the past are normal: changes made offline days ago. */
  return drift > DFT_HLC_MAX_DRIFT_MS;
}

char *
dft_hlc_to_string (DftHlcValue v)
{
  g_autoptr (GDateTime) dt = NULL;
  g_autofree char      *stamp = NULL;

  dt = g_date_time_new_from_unix_utc (dft_hlc_value_ms (v) / 1000);
  if (dt == NULL)
    return g_strdup_printf ("%" G_GUINT64_FORMAT, v);
  stamp = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf ("%s.%03dZ/%u", stamp, (int) (dft_hlc_value_ms (v) % 1000),
                          dft_hlc_value_counter (v));
}

/* Total order used by every merge: the clock first, then the device id. */
int
dft_hlc_compare (DftHlcValue a, const char *device_a, DftHlcValue b, const char *device_b)
{
  if (a != b)
    return a < b ? -1 : 1;
  return g_strcmp0 (device_a, device_b) < 0 ? -1 : (g_strcmp0 (device_a, device_b) > 0 ? 1 : 0);
}
