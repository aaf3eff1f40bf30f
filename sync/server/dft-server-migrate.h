/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * "admin migrate-storage" (issue 20): a server that served alone on SQLite moved to an empty
 * PostgreSQL database, the accounts (dft_server_db_copy_to()) and the register's change log
 * and epoch (dft_server_cluster_copy_register()) in one transaction, checked table by table
 * before it is committed. The server must be stopped: the register is held with SQLite's
 * exclusive lock for the length of the copy, which a running server's connections prevent.
 */

#define DFT_SERVER_MIGRATE_ERROR (dft_server_migrate_error_quark ())

typedef enum
{
  DFT_SERVER_MIGRATE_ERROR_MISSING, /* no register (or accounts) file where named */
  DFT_SERVER_MIGRATE_ERROR_IN_USE,  /* a running server has the register open */
  DFT_SERVER_MIGRATE_ERROR_DAMAGED, /* not a register, or SQLite's check found damage */
} DftServerMigrateError;

GQuark dft_server_migrate_error_quark (void);

typedef struct
{
  GString *report;     /* "TABLE\tROWS\tsha256:HEX" lines, the accounts' then register_log */
  gboolean epoch_kept; /* the devices' epoch went along (not so for a register put back
                        * from a backup: the cluster takes a new one) */
} DftServerMigrateResult;

/* Copies @accounts_path and @register_path (SQLite files) into the PostgreSQL database @uri,
 * which holds nothing yet; on failure nothing was written there. */
gboolean dft_server_migrate_storage (const char             *accounts_path,
                                     const char             *register_path,
                                     const char             *uri,
                                     DftServerMigrateResult *result,
                                     GError                **error);

G_END_DECLS
