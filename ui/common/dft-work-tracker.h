/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * The application counts the disk work under way, so that the status bar can say whether
 * everything is saved. It implements this, so that dft_ui_run_async() counts its work
 * without knowing the application's type.
 */

#define DFT_TYPE_WORK_TRACKER (dft_work_tracker_get_type ())
G_DECLARE_INTERFACE (DftWorkTracker, dft_work_tracker, DFT, WORK_TRACKER, GApplication)

struct _DftWorkTrackerInterface
{
  GTypeInterface parent_iface;

  void (*begin_work) (DftWorkTracker *self);
  void (*end_work) (DftWorkTracker *self);
};

void dft_work_tracker_begin_work (DftWorkTracker *self);
void dft_work_tracker_end_work (DftWorkTracker *self);

G_END_DECLS
