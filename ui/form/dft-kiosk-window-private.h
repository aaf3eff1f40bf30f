/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dft-form-filler.h"
#include "dft-kiosk-window.h"

G_BEGIN_DECLS

/* For tests. */
DftFormFiller *dft_kiosk_window_get_filler (DftKioskWindow *self);
/* The PIN dialog's entry while the dialog is open, else NULL. */
GtkWidget *dft_kiosk_window_get_pin_entry (DftKioskWindow *self);
/* "form" or "thanks". */
const char *dft_kiosk_window_get_mode (DftKioskWindow *self);
/* How long the thank-you page stays, in milliseconds. */
void dft_kiosk_window_set_thanks_delay (DftKioskWindow *self, guint ms);

G_END_DECLS
