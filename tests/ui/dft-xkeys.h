/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/*
 * Real key presses for UI tests: they go through the X server (xdotool's XTEST), so they
 * reach the window the way a person's typing does — through GTK's input methods, shortcut
 * controllers, focus handling and key bindings — not by calling a handler directly.
 */

/* Gives @window the keyboard focus, then presses each of @keys in turn, written as xdotool
 * names them ("Tab", "Return", "ctrl+q", "3", "shift+Tab"); waits until GTK has handled
 * them. */
void dft_xkeys_press (GtkWindow *window, const char *const *keys);

/* Types @text into the focused widget of @window, character by character. */
void dft_xkeys_type (GtkWindow *window, const char *text);

/* Whether setxkbmap and xkb-data's ru and kg layouts are there, for the tests of the keys in
 * a Cyrillic layout. */
gboolean dft_xkeys_have_layouts (void);
/* Switches the X server to the keyboard @layout ("ru", "kg,us", "us") and waits until GTK has
 * read the new keymap. */
void dft_xkeys_set_layout (const char *layout);

G_END_DECLS
