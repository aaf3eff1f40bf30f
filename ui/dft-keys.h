/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/*
 * Single-letter shortcuts by the key pressed, not the letter it gives now. Trainers switch to a
 * Russian or Kyrgyz layout to type names, and the key marked P then gives "з": a shortcut read
 * from the letter would stop working whenever the layout changed.
 *
 * The lower-case keyval of the key with @keycode in a Latin layout, where @keyval is a letter
 * of another script: from a Latin layout the person has among theirs, else the letter on that
 * key of a US keyboard. Any other @keyval (a Latin letter, a digit, an arrow) comes back as
 * it is, lower-cased: the letter a person typed in their own Latin layout is the one they meant.
 */
guint dft_keys_latin_keyval (GdkDisplay *display, guint keyval, guint keycode);

G_END_DECLS
