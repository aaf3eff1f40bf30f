/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/*
 * "Choose a file and write it in a worker", for every Export…/Print… command: a Save dialog
 * (GtkFileChooserNative) with a suggested name and one filter per format offered, the format
 * taken from the typed suffix or else from the chosen filter, the writing done in a worker
 * (dft_ui_run_async), a "Saving…" toast with Cancel when it takes more than a second, a
 * "Saved …" toast when done, and a message dialog with the writer's error otherwise.
 */

typedef enum
{
  DFT_SAVE_XLSX = 1 << 0,
  DFT_SAVE_CSV = 1 << 1,
  DFT_SAVE_PDF = 1 << 2,
} DftSaveFormat;

typedef struct _DftSaveDialog DftSaveDialog;

/* Where and how to write, as the person chose it. */
typedef struct
{
  DftSaveFormat format;
  const char   *path;
  GHashTable   *choices; /* a choice's id → the chosen option's id */
  char         *message; /* the writer may set it: the toast instead of "Saved “name”" */
} DftSaveTarget;

/* Runs in a worker: writes @target->path (whole, or not at all) and returns TRUE, or FALSE
 * with @error set to a message a person can act on. */
typedef gboolean (*DftSaveFunc) (gpointer       data,
                                 DftSaveTarget *target,
                                 GCancellable  *cancellable,
                                 GError       **error);

/*
 * A save of @formats (one or more) for @widget, whose window shows the toasts and owns the
 * dialogs. @title heads the chooser ("Export Participants"); @name is the suggested file name
 * without its suffix. @func writes the file with @data, which @destroy frees afterwards.
 */
DftSaveDialog *dft_save_dialog_new (GtkWidget     *widget,
                                    const char    *title,
                                    const char    *name,
                                    DftSaveFormat  formats,
                                    DftSaveFunc    func,
                                    gpointer       data,
                                    GDestroyNotify destroy);

/* A choice shown in the chooser (GtkFileChooser's choices): @options and @labels have the same
 * length, NULL-terminated; @selected is the option chosen at first, and the one used by
 * dft_save_dialog_save_to(). */
void dft_save_dialog_add_choice (DftSaveDialog     *self,
                                 const char        *id,
                                 const char        *label,
                                 const char *const *options,
                                 const char *const *labels,
                                 const char        *selected);

/* Shows the chooser and, once a file is chosen, writes it. Takes @self. */
void dft_save_dialog_show (DftSaveDialog *self);

/* Writes @path without the chooser, with each choice at its first selection, the format from
 * @path's suffix (the first format offered when it names none): for the "…-to" actions that
 * tests, scripts and drop targets use. Takes @self. */
void dft_save_dialog_save_to (DftSaveDialog *self, const char *path);

/* The format @path's suffix names among @formats, or 0. */
DftSaveFormat dft_save_format_for_path (const char *path, DftSaveFormat formats);

/* The choice @id in @target, or NULL. */
const char *dft_save_target_get_choice (const DftSaveTarget *target, const char *id);

/* A file name without suffix: "@title @what @date", with what a file system refuses
 * (slashes, colons…) turned into dashes; @title and @date may be NULL. */
char *dft_save_suggested_name (const char *title, const char *what, const char *date);

/* Writes what @func writes to a stream into @path, through a temporary file beside it renamed
 * over @path only when complete: for the CSV writers, which write to a stream. */
typedef gboolean (*DftSaveStreamFunc) (gpointer       data,
                                       GOutputStream *out,
                                       GCancellable  *cancellable,
                                       GError       **error);
gboolean dft_save_write_stream (const char       *path,
                                DftSaveStreamFunc func,
                                gpointer          data,
                                GCancellable     *cancellable,
                                GError          **error);

G_END_DECLS
