/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "dft-window.h"

G_BEGIN_DECLS

/*
 * What the UI tests share beside dft-test-util: the application run around a scenario,
 * finding the windows a person would see, checking that closed windows are finalized, waiting
 * for what the store holds, and saving PNGs of what is on screen.
 */

/* What a test does with the application once its window is up and its store open. */
typedef void (*DftUiTestScenario) (DftApplication *app, DftWindow *window, gpointer data);

/*
 * Runs a DftApplication called @application_id on the database @db (a file in a folder the
 * caller owns), or, when @db is NULL, on a new one in a temporary folder removed afterwards.
 * Once the application's own activate has made the window and the store is open, calls
 * @scenario with @data, then closes the window, which ends the run. Asserts that the window,
 * the application and the store are all finalized before it returns.
 */
void dft_ui_test_run_app (const char       *application_id,
                          const char       *db,
                          DftUiTestScenario scenario,
                          gpointer          data);

/* The first visible toplevel window of @type (or a subtype), or NULL. */
gpointer dft_ui_test_find_toplevel (GType type);

/* A DftTestCondition: whether the weak pointer at @data has been cleared. */
gboolean dft_ui_test_pointer_cleared (gpointer data);
/* Waits until @object, which goes away by itself (a window that closes), is finalized;
 * fails the test with @what after 20 s. */
void dft_ui_test_wait_finalized (gpointer object, const char *what);
/* Closes @window and asserts nothing keeps it alive. */
void dft_ui_test_close_and_check_finalized (gpointer window);

/* Whether the store's report on the workshop @event_id counts @present marks "present" and
 * @late marks "late": the attendance register's marks have been saved. */
gboolean
dft_ui_test_attendance_is (DftStore *store, const char *event_id, guint present, guint late);
/* Waits until dft_ui_test_attendance_is() holds; fails the test with @what after 20 s. */
void dft_ui_test_wait_attendance (
    DftStore *store, const char *event_id, guint present, guint late, const char *what);

/* Waits until @model holds exactly @n items; fails the test with @what after 20 s. */
void dft_ui_test_wait_n_items (GListModel *model, guint n, const char *what);

/* Waits until @window shows @mode ("welcome", "main"…); with @with_workshop, also a workshop
 * open in it. */
void dft_ui_test_wait_mode (DftWindow *window, const char *mode, gboolean with_workshop);

/* Shows the workshop page's view @name ("participants", "attendance"…) through the window's
 * action, as the view switcher does, and returns it. */
GtkWidget *dft_ui_test_show_view (DftWindow *window, const char *name);

/* Opens the workshop @event_id through the window's action, as the list does, and returns the
 * workshop page once it shows it on screen. */
GtkWidget *dft_ui_test_open_workshop (DftWindow *window, const char *event_id);

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

/* Waits until @toast has slid in: libadwaita 1.2 frees a toast dismissed while it slides in,
 * then touches it; a person's Undo, and a test's, comes after. */
void dft_ui_test_wait_toast_in_place (GtkWidget *toast);

G_END_DECLS
