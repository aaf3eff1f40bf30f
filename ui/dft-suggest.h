/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/*
 * Suggestions under a text row while it is typed in: the values that contain what was typed
 * (ignoring case), the ones the team uses most first. Down and Up choose one, Enter or Tab
 * takes it, Escape closes the list; a click takes one too. Typing on ignores them.
 */

/* Offers @values (most used first) under @row, an AdwEntryRow or any GtkEditable widget;
 * calling it again replaces them. */
void dft_suggest_set_values (GtkWidget *row, const char *const *values);

/* The suggestions shown now, for tests; NULL when the list is closed. */
GStrv dft_suggest_get_shown (GtkWidget *row);

G_END_DECLS
