/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dft-work-tracker.h"

G_DEFINE_INTERFACE (DftWorkTracker, dft_work_tracker, G_TYPE_APPLICATION)

static void
dft_work_tracker_default_init (DftWorkTrackerInterface *iface)
{
}

void
dft_work_tracker_begin_work (DftWorkTracker *self)
{
  g_return_if_fail (DFT_IS_WORK_TRACKER (self));
  DFT_WORK_TRACKER_GET_IFACE (self)->begin_work (self);
}

void
dft_work_tracker_end_work (DftWorkTracker *self)
{
  g_return_if_fail (DFT_IS_WORK_TRACKER (self));
  DFT_WORK_TRACKER_GET_IFACE (self)->end_work (self);
}
