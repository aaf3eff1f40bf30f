/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dft-store.h"

G_BEGIN_DECLS

#define DFT_IMPORT_ERROR (dft_import_error_quark ())

typedef enum
{
  DFT_IMPORT_ERROR_UNREADABLE,     /* the file cannot be opened or read */
  DFT_IMPORT_ERROR_FORMAT,         /* not CSV or .xlsx, damaged, or a quote never closed */
  DFT_IMPORT_ERROR_ENCODING,       /* neither UTF-8 nor UTF-16/32 with a byte order mark */
  DFT_IMPORT_ERROR_EMPTY,          /* no header, no rows, or no row with anything to import */
  DFT_IMPORT_ERROR_NO_NAME_COLUMN, /* no column is mapped to given_name */
  DFT_IMPORT_ERROR_ROWS,           /* some rows are wrong; the details are in row_errors */
  DFT_IMPORT_ERROR_TOO_LARGE,      /* more rows, columns or bytes than an import takes */
  DFT_IMPORT_ERROR_UNKNOWN_FIELD,  /* dft_import_set_mapping() got a field people lack */
} DftImportError;

GQuark dft_import_error_quark (void);

/* Limits that keep a wrong or hostile file from exhausting the laptop. */
#define DFT_IMPORT_MAX_ROWS    100000
#define DFT_IMPORT_MAX_COLUMNS 200

#define DFT_TYPE_IMPORT (dft_import_get_type ())
G_DECLARE_FINAL_TYPE (DftImport, dft_import, DFT, IMPORT, GObject)

/*
 * A sign-up sheet read into memory, with a guess of which column holds which
 * field of a person. Reading never touches the store; dft_import_run() saves
 * every row or none.
 */
DftImport *dft_import_new_from_file (const char *path, GError **error);
void       dft_import_new_from_file_async (const char         *path,
                                           GCancellable       *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer            user_data);
DftImport *dft_import_new_from_file_finish (GAsyncResult *result, GError **error);

/* The person fields a column can be mapped to, in schema order. */
const char *const *dft_import_list_fields (void);

guint       dft_import_get_n_columns (DftImport *self);
guint       dft_import_get_n_rows (DftImport *self);
guint       dft_import_get_header_row_number (DftImport *self);
guint       dft_import_get_row_number (DftImport *self, guint row);
const char *dft_import_get_header (DftImport *self, guint column);
const char *dft_import_get_cell (DftImport *self, guint row, guint column);

const char *dft_import_get_mapping (DftImport *self, guint column);
gboolean dft_import_set_mapping (DftImport *self, guint column, const char *field, GError **error);

gboolean dft_import_run (DftImport  *self,
                         DftStore   *store,
                         const char *event_id,
                         guint      *n_created,
                         guint      *n_reused,
                         GPtrArray **row_errors,
                         GError    **error);
void     dft_import_run_async (DftImport          *self,
                               DftStore           *store,
                               const char         *event_id,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data);
gboolean dft_import_run_finish (DftImport    *self,
                                GAsyncResult *result,
                                guint        *n_created,
                                guint        *n_reused,
                                GPtrArray   **row_errors,
                                GError      **error);

G_END_DECLS
