/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A hybrid logical clock value: 48 bits of Unix milliseconds and a 16-bit
 * counter, packed so that comparing two values as integers orders them.
 * Ties between devices are broken by the device id, never by the value.
 */
typedef guint64 DftHlcValue;

#define DFT_HLC_COUNTER_BITS 16
#define DFT_HLC_MAX_DRIFT_MS (60 * 1000)
/*
 * How far a clock value may be ahead of the wall clock of the replica that
 * receives it. A push or bundle holding a value further ahead is refused, and
 * a pulled one is applied without this replica's clock following it: one
 * laptop whose date is set a year ahead must not win every merge forever.
 */
#define DFT_HLC_MAX_AHEAD_MS ((gint64) 24 * 60 * 60 * 1000)

typedef struct
{
  DftHlcValue last;
} DftHlc;

static inline gint64
dft_hlc_value_ms (DftHlcValue v)
{
  return (gint64) (v >> DFT_HLC_COUNTER_BITS);
}

static inline guint
dft_hlc_value_counter (DftHlcValue v)
{
  return (guint) (v & 0xffff);
}

DftHlcValue dft_hlc_pack (gint64 ms, guint counter);
DftHlcValue dft_hlc_tick (DftHlc *hlc, gint64 wall_ms);
DftHlcValue dft_hlc_receive (DftHlc *hlc, DftHlcValue remote, gint64 wall_ms);
DftHlcValue
dft_hlc_receive_bounded (DftHlc *hlc, DftHlcValue remote, gint64 wall_ms, gboolean *too_far_ahead);
/* How many milliseconds @v is ahead of @wall_ms (negative when behind). */
gint64   dft_hlc_ahead_ms (DftHlcValue v, gint64 wall_ms);
gboolean dft_hlc_is_too_far_ahead (DftHlcValue v, gint64 wall_ms);
gboolean dft_hlc_is_drifted (DftHlcValue remote, gint64 wall_ms, gint64 *drift_ms);
gint64   dft_hlc_wall_ms (void);
char    *dft_hlc_to_string (DftHlcValue v);
int      dft_hlc_compare (DftHlcValue a, const char *device_a, DftHlcValue b, const char *device_b);

typedef gint64 (*DftHlcWallClock) (void);
void _dft_hlc_set_wall_clock (DftHlcWallClock func);

G_END_DECLS
