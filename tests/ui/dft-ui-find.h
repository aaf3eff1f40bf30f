/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dft-sync-client.h"
#include "dft-window.h"

G_BEGIN_DECLS

/*
 * Finding what a person sees on screen, for the flow and acceptance tests: widgets by what
 * they show, toasts, message dialogs and their buttons; waiting as long as a network round
 * does on a slow, loaded machine; and another laptop that syncs without a window.
 */

/* How long a wait that includes a sync may take before the test fails. */
#define DFT_UI_NETWORK_WAIT_SECONDS 90

/* Like dft_test_wait_until(), with DFT_UI_NETWORK_WAIT_SECONDS to spare. */
void dft_ui_wait_long (gboolean (*condition) (gpointer data), gpointer data, const char *what);

/* The template child @name of @widget, whose class is @type; fails the test when missing. */
gpointer dft_ui_template_child (gpointer widget, GType type, const char *name);

typedef gboolean (*DftUiWidgetMatch) (GtkWidget *widget, gconstpointer data);

/* The first widget under @root (itself included, depth first) that @match takes, or NULL. */
GtkWidget *dft_ui_find_widget (GtkWidget *root, DftUiWidgetMatch match, gconstpointer data);

/* Matches for dft_ui_find_widget(). */
gboolean dft_ui_is_button_labelled (GtkWidget *widget, gconstpointer label);
gboolean dft_ui_is_label_with_class (GtkWidget *widget, gconstpointer css_class);
gboolean dft_ui_is_of_type (GtkWidget *widget, gconstpointer type);

/* The toast on @window whose title holds @needle, or NULL; waiting for one. */
GtkWidget *dft_ui_find_toast (DftWindow *window, const char *needle);
void       dft_ui_wait_toast (DftWindow *window, const char *needle);

/* The visible message dialog headed @heading (English, translated as the app does), or NULL;
 * waiting for one, modal over @window. */
AdwMessageDialog *dft_ui_find_message_dialog (const char *heading);
AdwMessageDialog *dft_ui_wait_message_dialog (DftWindow *window, const char *heading);

/* Presses the dialog's button @label as a person would, and waits for the dialog to go. */
void dft_ui_press_response (AdwMessageDialog *dialog, const char *label);

/* The action row titled @title (English, translated) in @dialog; fails when missing. */
AdwActionRow *dft_ui_find_row (AdwMessageDialog *dialog, const char *title);

/* @store, another laptop driven by its sync client alone, signs in to @url as @username
 * (unless it already is signed in) and syncs once; fails the test on an error. */
DftSyncStats
dft_ui_laptop_sync (DftStore *store, const char *url, const char *username, const char *password);

/* Every GSettings key back to its default: each laptop of a test starts from the defaults. */
void dft_ui_reset_settings (void);

G_END_DECLS
