/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

/* Storage failures a user can act on, shared by the device store and the server store. */
#define DFT_DB_ERROR (dft_db_error_quark ())

typedef enum
{
  DFT_DB_ERROR_FAILED,
  DFT_DB_ERROR_NOT_A_DATABASE,
  DFT_DB_ERROR_CORRUPT,
  DFT_DB_ERROR_NEWER_VERSION,
  DFT_DB_ERROR_READ_ONLY,
  DFT_DB_ERROR_CANNOT_OPEN,
  DFT_DB_ERROR_DISK_FULL,
  DFT_DB_ERROR_BUSY,
  DFT_DB_ERROR_IO,
} DftDbError;

GQuark dft_db_error_quark (void);

gboolean dft_db_set_error (GError **error, sqlite3 *db, int rc, const char *what);
gboolean dft_db_exec (sqlite3 *db, const char *sql, GError **error);
gboolean dft_db_prepare (sqlite3 *db, const char *sql, sqlite3_stmt **stmt, GError **error);
gboolean dft_db_step_done (sqlite3 *db, sqlite3_stmt *stmt, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

G_END_DECLS
