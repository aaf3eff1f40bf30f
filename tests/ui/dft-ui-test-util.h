/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/*
 * What the UI tests share beside dft-test-util: finding the windows a person would see,
 * checking that closed windows are finalized, and saving PNGs of what is on screen.
 */

/* The first visible toplevel window of @type (or a subtype), or NULL. */
gpointer dft_ui_test_find_toplevel (GType type);

/* A DftTestCondition: whether the weak pointer at @data has been cleared. */
gboolean dft_ui_test_pointer_cleared (gpointer data);
/* Waits until @object, which goes away by itself (a window that closes), is finalized;
 * fails the test with @what after 20 s. */
void dft_ui_test_wait_finalized (gpointer object, const char *what);
/* Closes @window and asserts nothing keeps it alive. */
void dft_ui_test_close_and_check_finalized (gpointer window);

/* A DftTestCondition: whether the widget @data is mapped and has a width, drawn at least
 * once. */
gboolean dft_ui_test_drawn (gpointer data);

/* Saves what @widget shows now as DIR/NAME, making DIR if need be; @widget must have been
 * drawn. Returns FALSE, saving nothing, when @dir is NULL or there is nothing to draw. */
gboolean dft_ui_test_save_png (GtkWidget *widget, const char *dir, const char *name);
/* A screenshot for people to look at: waits until @widget is drawn and its animations have
 * ended, saves it as DIR/NAME and names the file in the test log. Does nothing when @dir is
 * NULL (screenshots were not asked for). */
void dft_ui_test_screenshot (GtkWidget *widget, const char *dir, const char *name);

G_END_DECLS
