/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dft-record.h"
#include "dft-store.h"

G_BEGIN_DECLS

/*
 * A fullscreen window for a shared computer at the back of the room: one form, filled in by
 * one person after another. After each submission a thank-you page, then a blank form; no
 * earlier answer is ever visible again. Leaving needs the trainer's PIN.
 */

#define DFT_TYPE_KIOSK_WINDOW (dft_kiosk_window_get_type ())
G_DECLARE_FINAL_TYPE (DftKioskWindow, dft_kiosk_window, DFT, KIOSK_WINDOW, AdwApplicationWindow)

/* @pin_hash_or_pin: the PIN, or its SHA-256 as 64 hex digits; only the hash is kept. */
GtkWidget *dft_kiosk_window_new (GtkApplication *app,
                                 DftStore       *store,
                                 DftRecord      *form_record,
                                 const char     *event_id,
                                 const char     *phase,
                                 const char     *pin_hash_or_pin);

G_END_DECLS
