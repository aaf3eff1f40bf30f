/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dft-server-config.h"

G_BEGIN_DECLS

/*
 * Backup, restore and the upgrade check of a server's data folder (records.db, the register as
 * a DftStore, and accounts.db, the DftServerDb). A backup is a folder holding a copy of both,
 * under the same names, so that it is also what an admin would put back by hand.
 *
 * - A backup runs while the server serves: one read transaction per database (VACUUM INTO), the
 *   records first, so the accounts copy owns every workshop the records copy holds. It is written
 *   to a hidden folder beside the target, checked (PRAGMA integrity_check), flushed to the disk,
 *   and only then renamed to the name given: a failure (a full disk) leaves nothing behind.
 * - A restore works while the server serves, and when it is stopped: the backup, checked, is
 *   written into the live databases with SQLite's backup API (one transaction each, the records
 *   first), so a serving server's connections stay valid and see all of the old data or all of
 *   the new. What it replaces is kept in a folder beside them, read under the same write lock.
 *   The register's content carries a mark saying it is a copy: a serving server takes it up at
 *   its next request (_dft_server_check_restored()), a stopped one when it starts, with a new
 *   epoch, so every device sends again what it holds (PROTOCOL.md, "Restores").
 * - A data folder written by a newer Daftari is refused before either database is opened for
 *   writing, so nothing is migrated or changed.
 */

typedef struct
{
  gint64 changes; /* rows of the change log */
  gint64 devices; /* enrolled devices, revoked ones included */
  gint64 bytes;   /* both files together */
} DftServerBackupInfo;

gboolean dft_server_backup_write (const DftServerConfig *config,
                                  const char            *folder,
                                  gboolean               force,
                                  DftServerBackupInfo   *info,
                                  GError               **error);
gboolean dft_server_backup_restore (const DftServerConfig *config,
                                    const char            *folder,
                                    char                 **kept,
                                    DftServerBackupInfo   *info,
                                    GError               **error);
/* FALSE with a message naming the file when a database of the data folder has a schema newer
 * than this binary knows; missing files are fine (a first start makes them). */
gboolean dft_server_backup_check_versions (const DftServerConfig *config, GError **error);

G_END_DECLS
