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
 * - A restore needs the server stopped: the running server keeps its epoch, its own device id and
 *   its log positions in memory, and only a start renews them from restored data (PROTOCOL.md,
 *   "Restores"). It takes SQLite's exclusive lock on both live databases (refused while any
 *   process has them open), keeps what it replaces in a folder beside them, and marks the data
 *   as a copy so the next start takes a new epoch and every device sends again what it holds.
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
