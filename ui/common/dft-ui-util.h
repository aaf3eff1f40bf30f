/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dft-store.h"

G_BEGIN_DECLS

/*
 * Blocking work (SQLite, files) runs here, in a worker thread: the UI thread
 * never waits on the disk. The task holds @source_object until it is done, and
 * the application counts the work under way so the status bar can say whether
 * everything is saved.
 */
typedef gboolean (*DftUiWorkFunc) (gpointer data, GCancellable *cancellable, GError **error);

/*
 * Lets every label inside @widget wrap onto more lines instead of being cut with an ellipsis:
 * for a view switcher bar at the foot of a narrow window, which gives each view a share of
 * 360 px and cuts a longer name ("Посещаем…", "Карама-каршы…"). Call it once the views exist.
 */
void dft_ui_wrap_labels (GtkWidget *widget);

void dft_ui_run_async (gpointer            source_object,
                       DftUiWorkFunc       func,
                       gpointer            data,
                       GDestroyNotify      destroy,
                       GCancellable       *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer            user_data);
/* The same for work that only reads: not counted as work under way, so the status bar does
 * not say "saving" while a list is read. dft_ui_run_finish() and _get_data() take its result. */
void     dft_ui_read_async (gpointer            source_object,
                            DftUiWorkFunc       func,
                            gpointer            data,
                            GDestroyNotify      destroy,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data);
gboolean dft_ui_run_finish (GAsyncResult *result, GError **error);
gpointer dft_ui_run_get_data (GAsyncResult *result);

/* Saves @records in one transaction (dft_store_save_all) in a worker. */
void dft_ui_save_records_async (gpointer            source_object,
                                DftStore           *store,
                                DftRecord         **records,
                                guint               n_records,
                                GAsyncReadyCallback callback,
                                gpointer            user_data);

/* A list read from @store in a worker (dft_ui_read_async): @func's array of records or
 * views. */
typedef GPtrArray *(*DftUiListFunc) (DftStore *store, GError **error);

void dft_ui_list_async (gpointer            source_object,
                        DftStore           *store,
                        DftUiListFunc       func,
                        GCancellable       *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer            user_data);
/* Returns: (transfer full): what @func returned, or NULL with @error set. */
GPtrArray *dft_ui_list_finish (GAsyncResult *result, GError **error);

/* Takes the focus off a flow box's cells, so that Tab goes from control to control inside
 * them; call once the children are added. */
void dft_ui_flow_box_unfocus_cells (GtkFlowBox *box);

/* Today as YYYY-MM-DD; $DAFTARI_NOW or $DAFTARI_TODAY overrides it for tests and screenshots. */
char *dft_ui_today (void);
/* The local time now. For tests and screenshots $DAFTARI_NOW (ISO 8601, local unless it names
 * a zone) fixes it; else $DAFTARI_TODAY fixes the day, taken at 10:00, in its morning. */
GDateTime *dft_ui_now (void);
/* "1–3 Jan 2026", in the user's language. */
char    *dft_ui_format_date_range (const char *start, const char *end);
char    *dft_ui_format_date (const char *date, gboolean with_weekday);
gboolean dft_ui_parse_date (const char *text, GDate *date);

/* A toast on the window that holds @widget, or a warning when there is none. */
void dft_ui_toast (GtkWidget *widget, const char *message);
/* Takes @toast (floating or not). */
void dft_ui_add_toast (GtkWidget *widget, AdwToast *toast);
void dft_ui_toast_error (GtkWidget *widget, const GError *error);

/* The text of an editable, stripped; NULL when empty. */
char *dft_ui_editable_text (GtkEditable *editable);

/* Shows @row's choices (GtkStringObject items) whole, wrapped onto more lines where they are
 * long, where libadwaita's own cuts them after 20 characters with an ellipsis. */
void dft_ui_combo_row_wrap_choices (AdwComboRow *row);

/* The keys of a dialog that saves: Enter in any of @dialog's fields presses @save_button
 * (whose action checks the form first), and Ctrl+Enter runs the button's action from anywhere
 * in @dialog. Call once the dialog's template is built. */
void dft_ui_dialog_save_keys (GtkWindow *dialog, GtkWidget *save_button);

G_END_DECLS
