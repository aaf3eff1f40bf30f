/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <unistd.h>

#include "dft-db.h"
#include "dft-server-backup.h"
#include "dft-server-cluster.h"
#include "dft-server-db.h"
#include "dft-server-sql.h"
#include "dft-store.h"

/* A backup waits this long for a writer's checkpoint; a restore this long for the writer: a
 * serving server's push, or a short admin command (import-bundle), lets go within it. */
#define BACKUP_BUSY_MS 30000

#define RECORDS_NAME  "records.db"
#define ACCOUNTS_NAME "accounts.db"
/* With storage=postgresql://…, the accounts as pg_dump's custom format writes them. */
#define PG_DUMP_NAME "accounts.pgdump"
/* With cluster=yes, the shared database whole. */
#define CLUSTER_DUMP_NAME "cluster.pgdump"

/* ---- Reading a database ------------------------------------------------- */

static sqlite3 *
open_readonly (const char *path, GError **error)
{
  sqlite3 *db = NULL;
  int      rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL);

  if (rc != SQLITE_OK)
    {
      dft_db_set_error (error, db, rc, _ ("opening the database"));
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_extended_result_codes (db, 1);
  sqlite3_busy_timeout (db, BACKUP_BUSY_MS);
  return db;
}

/* The first column of @sql's first row; @missing when there is no row or no such table. */
static gboolean
query_int64 (sqlite3 *db, const char *sql, gint64 missing, gint64 *out, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int                      rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK && sqlite3_errcode (db) == SQLITE_ERROR
      && g_str_has_prefix (sqlite3_errmsg (db), "no such table"))
    {
      *out = missing;
      return TRUE;
    }
  if (rc != SQLITE_OK)
    return dft_db_set_error (error, db, rc, _ ("reading the database"));
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *out = sqlite3_column_int64 (stmt, 0);
  else if (rc == SQLITE_DONE)
    *out = missing;
  else
    return dft_db_set_error (error, db, rc, _ ("reading the database"));
  return TRUE;
}

static gboolean
store_version (sqlite3 *db, gint64 *version, GError **error)
{
  return query_int64 (db, "PRAGMA user_version", 0, version, error);
}

/* The server database numbers its migrations in a table of its own (dft-server-db.c). */
static gboolean
accounts_version (sqlite3 *db, gint64 *version, GError **error)
{
  return query_int64 (db, "SELECT version FROM server_schema", 0, version, error);
}

static gboolean
newer_error (GError **error, const char *path, gint64 version, int known)
{
  g_set_error (error, DFT_DB_ERROR, DFT_DB_ERROR_NEWER_VERSION,
               /* Translators: %s is a file; the numbers are data format versions */
               _ ("“%s” was written by a newer Daftari server (data format %lld; this one "
                  "knows up to %d). Nothing was opened for writing or changed. Run the newer "
                  "daftari-server again, or, to go back to this version, restore a backup made "
                  "before the upgrade with “admin restore”."),
               path, (long long) version, known);
  return FALSE;
}

/* FALSE when a database is too new; a file that cannot be read is left to the normal open,
 * which says why in its own words before it writes anything. */
static gboolean
check_version (const char *path, gboolean records, GError **error)
{
  sqlite3 *db;
  gint64   version = 0;
  gboolean read;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return TRUE;
  db = open_readonly (path, NULL);
  if (db == NULL)
    return TRUE;
  read = records ? store_version (db, &version, NULL) : accounts_version (db, &version, NULL);
  sqlite3_close (db);
  if (read && version > (records ? DFT_SCHEMA_VERSION : DFT_SERVER_DB_VERSION))
    return newer_error (error, path, version, records ? DFT_SCHEMA_VERSION : DFT_SERVER_DB_VERSION);
  return TRUE;
}

gboolean
dft_server_backup_check_versions (const DftServerConfig *config, GError **error)
{
  g_autofree char *records = NULL;
  g_autofree char *accounts = NULL;

  g_return_val_if_fail (config != NULL, FALSE);

  records = dft_server_config_store_path (config);
  accounts = dft_server_config_accounts_path (config);
  /* Both before either is opened: the store would otherwise be migrated, and its upgrade
   * copy made, before the server database is found too new. */
  return check_version (records, TRUE, error) && check_version (accounts, FALSE, error);
}

static gboolean
check_integrity (sqlite3 *db, const char *path, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  const char              *result;
  int                      rc;

  if (!dft_db_prepare (db, "PRAGMA integrity_check", &stmt, error))
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    return dft_db_set_error (error, db, rc, _ ("checking the database"));
  result = (const char *) sqlite3_column_text (stmt, 0);
  if (g_strcmp0 (result, "ok") != 0)
    {
      g_set_error (error, DFT_DB_ERROR, DFT_DB_ERROR_CORRUPT,
                   /* Translators: %s is a file, then SQLite's first finding (English) */
                   _ ("“%s” did not pass SQLite’s integrity check: %s"), path,
                   result != NULL ? result : "?");
      return FALSE;
    }
  return TRUE;
}

static gint64
file_size (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (gint64) st.st_size : 0;
}

/* What a finished copy holds, read back from the copy itself. */
static gboolean
count_copy (const char *records, const char *accounts, DftServerBackupInfo *info, GError **error)
{
  sqlite3 *db;
  gboolean ok;

  if ((db = open_readonly (records, error)) == NULL)
    return FALSE;
  ok = query_int64 (db, "SELECT count (*) FROM change_log", 0, &info->changes, error);
  sqlite3_close (db);
  info->bytes = file_size (records);
  /* NULL: the accounts are on PostgreSQL, counted there. */
  if (ok && accounts == NULL)
    return TRUE;
  if (!ok || (db = open_readonly (accounts, error)) == NULL)
    return FALSE;
  ok = query_int64 (db, "SELECT count (*) FROM device", 0, &info->devices, error);
  sqlite3_close (db);
  info->bytes += file_size (accounts);
  return ok;
}

/* ---- The accounts on PostgreSQL ------------------------------------------ */

/*
 * With storage=postgresql://…, the accounts database is PostgreSQL's, and its own tools copy
 * it: pg_dump in its custom format, which pg_restore reads back in one transaction. pg_dump
 * reads in one snapshot, so the copy is consistent while the server serves; pg_restore --clean
 * in one transaction replaces the tables all at once or not at all, which a serving server
 * sees at its next statement.
 */
static gboolean
on_postgresql (const DftServerConfig *config)
{
  return config->storage != NULL;
}

/* Runs pg_dump or pg_restore; its own message, in the admin's language, says what failed. */
static gboolean
run_pg_tool (const char *const *argv, GError **error)
{
  g_autofree char   *err = NULL;
  g_autoptr (GError) local = NULL;
  int                status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                     NULL, NULL, NULL, &err, &status, &local))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   /* Translators: %s is a program (pg_dump), then the system's reason */
                   _ ("Could not run %s, which copies a PostgreSQL database: %s. Install "
                      "PostgreSQL’s client programs (the package postgresql-client)."),
                   argv[0], local->message);
      return FALSE;
    }
  if (!g_spawn_check_wait_status (status, &local))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   /* Translators: %s is a program (pg_dump), then what it said */
                   _ ("%s failed: %s"), argv[0],
                   err != NULL && *g_strstrip (err) != '\0' ? err : local->message);
      return FALSE;
    }
  return TRUE;
}

/* @snapshot: one a transaction exported (pg_export_snapshot()), for the dump to read what it
 * read; NULL for a snapshot of pg_dump's own. */
static gboolean
pg_dump_to (const DftServerConfig *config, const char *snapshot, const char *path, GError **error)
{
  g_autofree char  *file = g_strdup_printf ("--file=%s", path);
  g_autofree char  *from = snapshot != NULL ? g_strdup_printf ("--snapshot=%s", snapshot) : NULL;
  const char *const argv[] = { "pg_dump",  "--format=custom", "--no-owner", "--no-privileges",
                               "--dbname", config->storage,   file,         from,
                               NULL };

  if (!run_pg_tool (argv, error))
    {
      g_unlink (path);
      return FALSE;
    }
  return TRUE;
}

static gboolean
pg_restore_from (const DftServerConfig *config, const char *path, GError **error)
{
  const char *const argv[]
      = { "pg_restore", "--clean",         "--if-exists", "--single-transaction", "--exit-on-error",
          "--no-owner", "--no-privileges", "--dbname",    config->storage,        path,
          NULL };

  return run_pg_tool (argv, error);
}

/* pg_restore reads the dump through without writing anything: a cut or foreign file fails. */
static gboolean
check_pg_dump (const char *path, GError **error)
{
  const char *const argv[] = { "pg_restore", "--list", path, NULL };

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   /* Translators: %s is a file */
                   _ ("“%s” is missing: a backup of a server on PostgreSQL holds records.db and "
                      "accounts.pgdump. Nothing was changed."),
                   path);
      return FALSE;
    }
  if (!run_pg_tool (argv, error))
    {
      g_prefix_error (error,
                      /* Translators: %s is a file; pg_restore's reason follows */
                      _ ("“%s” is not a PostgreSQL backup that can be read back. Nothing "
                         "was changed. "),
                      path);
      return FALSE;
    }
  return TRUE;
}

/* The devices enrolled, counted on the live database (the dump cannot be queried), and the
 * dump's size. */
static gboolean
count_pg_devices (const DftServerConfig *config,
                  const char            *dump,
                  DftServerBackupInfo   *info,
                  GError               **error)
{
  g_autofree char        *path = dft_server_config_accounts_path (config);
  g_autoptr (DftServerDb) db = dft_server_db_open_storage (config->storage, path, error);
  g_autoptr (GPtrArray)   devices = NULL;

  if (db == NULL || (devices = dft_server_db_list_devices (db, error)) == NULL)
    return FALSE;
  info->devices = devices->len;
  info->bytes += file_size (dump);
  return TRUE;
}

/* ---- Writing files ------------------------------------------------------ */

static gboolean
errno_error (GError **error, int saved, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
errno_error (GError **error, int saved, const char *format, ...)
{
  va_list          ap;
  g_autofree char *message = NULL;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error_literal (error, G_FILE_ERROR, g_file_error_from_errno (saved), message);
  return FALSE;
}

static gboolean
is_full (int saved)
{
  return saved == ENOSPC || saved == EFBIG || saved == EDQUOT;
}

static gboolean
full_error (GError **error, const char *folder)
{
  g_set_error (error, DFT_DB_ERROR, DFT_DB_ERROR_DISK_FULL,
               /* Translators: %s is a folder */
               _ ("The disk is full: the backup “%s” could not be written. Nothing was left "
                  "there, and the server’s data is untouched. Free some space or choose another "
                  "disk, and run the backup again."),
               folder);
  return FALSE;
}

/* Flushes a file or a folder (its entries) to the disk. */
static gboolean
sync_path (const char *path, const char *folder, GError **error)
{
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  int saved = errno;

  if (fd < 0)
    return errno_error (error, saved,
                        /* Translators: %s is a file, then the system's reason */
                        _ ("Could not write “%s”: %s"), path, g_strerror (saved));
  if (fsync (fd) == 0)
    {
      close (fd);
      return TRUE;
    }
  saved = errno;
  close (fd);
  if (is_full (saved))
    return full_error (error, folder);
  return errno_error (error, saved, _ ("Could not write “%s”: %s"), path, g_strerror (saved));
}

/* The temporary folder holds only files: the copies and their rollback journals. */
static void
remove_folder (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char      *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (path, name, NULL);
      g_unlink (file);
    }
  g_rmdir (path);
}

/* A write to the backup failed: a full disk said as such, anything else with SQLite's words. */
static gboolean
copy_failed (GError **error, sqlite3 *db, int rc, const char *folder)
{
  int saved = db != NULL ? sqlite3_system_errno (db) : 0;

  if ((rc & 0xff) == SQLITE_FULL || is_full (saved) || is_full (errno))
    return full_error (error, folder);
  g_set_error (error, DFT_DB_ERROR, DFT_DB_ERROR_IO,
               /* Translators: %s is a folder, then SQLite's reason (English) */
               _ ("The backup “%s” could not be written: %s. Nothing was left there, and the "
                  "server’s data is untouched."),
               folder, db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
  return FALSE;
}

/*
 * A consistent copy of the database @from while the server may write to it: VACUUM INTO reads
 * one snapshot in one read transaction while writers go on in the write-ahead log. The copy is
 * marked when it is the register, checked, and flushed.
 */
static gboolean
copy_database (
    const char *from, const char *to, gboolean mark_copy, const char *folder, GError **error)
{
  g_autofree char *sql = NULL;
  sqlite3         *db;
  int              rc;

  if (!g_file_test (from, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   /* Translators: %s is a file */
                   _ ("There is no “%s”: the server has no data to back up yet."), from);
      return FALSE;
    }
  if ((db = open_readonly (from, error)) == NULL)
    return FALSE;
  sql = sqlite3_mprintf ("VACUUM INTO %Q", to);
  rc = sqlite3_exec (db, sql, NULL, NULL, NULL);
  sqlite3_free (g_steal_pointer (&sql));
  if (rc != SQLITE_OK)
    {
      copy_failed (error, db, rc, folder);
      sqlite3_close (db);
      return FALSE;
    }
  sqlite3_close (db);

  rc = sqlite3_open_v2 (to, &db, SQLITE_OPEN_READWRITE, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_extended_result_codes (db, 1);
      /* A server started on this copy knows it is one: devices hold changes made after it. */
      if (mark_copy)
        rc = sqlite3_exec (db,
                           "INSERT INTO sync_state (key, value) VALUES ('backup_copy', '1') "
                           "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                           NULL, NULL, NULL);
    }
  if (rc != SQLITE_OK)
    {
      copy_failed (error, db, rc, folder);
      sqlite3_close (db);
      return FALSE;
    }
  /* What is said to be a backup has been read back whole. */
  if (!check_integrity (db, to, error))
    {
      sqlite3_close (db);
      return FALSE;
    }
  sqlite3_close (db);
  return sync_path (to, folder, error);
}

/* ---- Backup ------------------------------------------------------------- */

static gboolean
is_empty_folder (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);

  return dir != NULL && g_dir_read_name (dir) == NULL;
}

/* The accounts database after the register: SQLite's file, or PostgreSQL's dump. */
static gboolean
copy_accounts (const DftServerConfig *config,
               const char            *live,
               const char            *copy,
               const char            *target,
               GError               **error)
{
  if (on_postgresql (config))
    return pg_dump_to (config, NULL, copy, error);
  return copy_database (live, copy, FALSE, target, error);
}

/* ---- A cluster ----------------------------------------------------------- */

/*
 * With cluster=yes the shared database holds all there is: the accounts, the change log,
 * changes set aside and attached files; each process's records.db is a replica of it, made
 * again from the log when in doubt, and needs no copy. A backup is that database whole, in
 * pg_dump's custom format, read in a snapshot this connection exported and counted in, so
 * that what the backup is said to hold is what it holds; the processes serve on meanwhile.
 */

/* The first column of the one row @text returns, as text. */
static char *
pg_value (DftServerSql *sql, const char *text, GError **error)
{
  g_autoptr (DftServerSqlStmt) stmt = dft_server_sql_prepare (sql, text, error);

  if (stmt == NULL || dft_server_sql_step (stmt, error) != DFT_SERVER_SQL_ROW)
    return NULL;
  return dft_server_sql_column_dup (stmt, 0);
}

/* What the shared database holds: changes in its log and devices enrolled. */
static gboolean
count_cluster (DftServerSql *sql, DftServerBackupInfo *info, GError **error)
{
  g_autofree char *changes = pg_value (sql, "SELECT count (*) FROM register_log", error);
  g_autofree char *devices
      = changes != NULL ? pg_value (sql, "SELECT count (*) FROM device", error) : NULL;

  if (devices == NULL)
    return FALSE;
  info->changes = g_ascii_strtoll (changes, NULL, 10);
  info->devices = g_ascii_strtoll (devices, NULL, 10);
  return TRUE;
}

static gboolean
cluster_dump (const DftServerConfig *config,
              const char            *path,
              DftServerBackupInfo   *info,
              GError               **error)
{
  DftServerCluster *cluster = NULL;
  DftServerSql     *sql = NULL;
  g_autofree char  *snapshot = NULL;
  gboolean          ok = FALSE;

  /* The tables as a process makes them, for a cluster none has served yet. */
  cluster = dft_server_cluster_open (config->storage, error);
  if (cluster == NULL)
    return FALSE;
  dft_server_cluster_free (cluster);
  sql = dft_server_sql_open_postgresql (config->storage, error);
  if (sql == NULL)
    return FALSE;
  /* The snapshot holds while this transaction is open: until pg_dump has read it. */
  if (dft_server_sql_exec (sql, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", error)
      && (snapshot = pg_value (sql, "SELECT pg_export_snapshot ()", error)) != NULL
      && count_cluster (sql, info, error) && pg_dump_to (config, snapshot, path, error))
    {
      info->bytes = file_size (path);
      ok = TRUE;
    }
  dft_server_sql_close (sql);
  return ok;
}

gboolean
dft_server_backup_write (const DftServerConfig *config,
                         const char            *folder,
                         gboolean               force,
                         DftServerBackupInfo   *info,
                         GError               **error)
{
  g_autofree char    *records = NULL;
  g_autofree char    *accounts = NULL;
  g_autofree char    *target = NULL;
  g_autofree char    *parent = NULL;
  g_autofree char    *name = NULL;
  g_autofree char    *part = NULL;
  g_autofree char    *old = NULL;
  g_autofree char    *records_copy = NULL;
  g_autofree char    *accounts_copy = NULL;
  DftServerBackupInfo counted = { 0 };

  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (folder != NULL, FALSE);

  records = dft_server_config_store_path (config);
  accounts = dft_server_config_accounts_path (config);
  target = g_canonicalize_filename (folder, NULL);
  parent = g_path_get_dirname (target);
  name = g_path_get_basename (target);

  /* An empty folder holds nothing to lose: a script may make it first (mkdir -p). */
  if (g_file_test (target, G_FILE_TEST_EXISTS) && !is_empty_folder (target))
    {
      if (!force)
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                       /* Translators: %s is a folder */
                       _ ("“%s” already exists and was left as it is. Name a new folder, or add "
                          "--force to replace it."),
                       target);
          return FALSE;
        }
      if (!g_file_test (target, G_FILE_TEST_IS_DIR))
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR,
                       /* Translators: %s is a file */
                       _ ("“%s” is a file, not a backup folder; it was left as it is."), target);
          return FALSE;
        }
    }
  if (!g_file_test (parent, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   /* Translators: %s is a folder */
                   _ ("The folder “%s” does not exist: make it first, or name another."), parent);
      return FALSE;
    }

  /* Beside the target, so that the last step is a rename on one file system. */
  part = g_strdup_printf ("%s/.%s.part-XXXXXX", parent, name);
  if (g_mkdtemp_full (part, 0700) == NULL)
    {
      int saved = errno;

      if (is_full (saved))
        return full_error (error, target);
      return errno_error (error, saved,
                          /* Translators: %s is a folder, then the system's reason */
                          _ ("Could not write the backup in “%s”: %s"), parent, g_strerror (saved));
    }
  records_copy = g_build_filename (part, RECORDS_NAME, NULL);
  accounts_copy = g_build_filename (part,
                                    config->cluster          ? CLUSTER_DUMP_NAME
                                    : on_postgresql (config) ? PG_DUMP_NAME
                                                             : ACCOUNTS_NAME,
                                    NULL);
  /* Records first: the accounts copy, made after, owns every workshop the records copy holds. */
  if ((config->cluster
           ? !cluster_dump (config, accounts_copy, &counted, error)
           : (!copy_database (records, records_copy, TRUE, target, error)
              || !copy_accounts (config, accounts, accounts_copy, target, error)
              || !count_copy (records_copy, on_postgresql (config) ? NULL : accounts_copy, &counted,
                              error)
              || (on_postgresql (config)
                  && !count_pg_devices (config, accounts_copy, &counted, error))))
      || !sync_path (part, target, error))
    {
      remove_folder (part);
      return FALSE;
    }

  if (g_file_test (target, G_FILE_TEST_IS_DIR) && !is_empty_folder (target))
    {
      /* --force: the old backup goes only once the new one is in its place. */
      old = g_strdup_printf ("%s/.%s.old-XXXXXX", parent, name);
      if (g_mkdtemp_full (old, 0700) == NULL || g_rename (target, old) != 0)
        {
          int saved = errno;

          remove_folder (part);
          return errno_error (error, saved, _ ("Could not write the backup in “%s”: %s"), parent,
                              g_strerror (saved));
        }
    }
  if (g_rename (part, target) != 0)
    {
      int saved = errno;

      if (old != NULL)
        g_rename (old, target);
      remove_folder (part);
      return errno_error (error, saved, _ ("Could not write the backup in “%s”: %s"), parent,
                          g_strerror (saved));
    }
  if (old != NULL)
    remove_folder (old);
  if (!sync_path (parent, target, error))
    return FALSE;
  if (info != NULL)
    *info = counted;
  return TRUE;
}

/* ---- Restore ------------------------------------------------------------ */

/*
 * A restore writes the backup into the live files with SQLite's backup API rather than
 * renaming files over them, so a server serving on them keeps its connections: each sees the
 * new content at its next transaction, all of it at once, since the copy into a file is one
 * write transaction that commits only when the last page is written (a failure part way rolls
 * it back, and the file is as it was). The server notices the "backup_copy" mark the register's
 * copy carries in that same commit and takes a new epoch without a restart (dft-server.c,
 * _dft_server_check_restored()); a stopped server does so when it starts.
 */

/* One of the two live databases being restored. */
typedef struct
{
  const char     *path;   /* the live file */
  const char     *from;   /* the backup's file */
  gboolean        marked; /* the register: carries the "backup_copy" mark */
  char           *staged; /* the backup's file made ready to be copied in */
  char           *kept;   /* where the live content goes before it is replaced */
  sqlite3        *live;
  sqlite3        *source;
  sqlite3_backup *backup;
} Restore;

static void
restore_clear (Restore *restore)
{
  g_clear_pointer (&restore->backup, sqlite3_backup_finish);
  g_clear_pointer (&restore->source, sqlite3_close);
  g_clear_pointer (&restore->live, sqlite3_close);
  if (restore->staged != NULL)
    {
      g_autofree char *journal = g_strconcat (restore->staged, "-journal", NULL);

      g_unlink (restore->staged);
      g_unlink (journal);
    }
  g_clear_pointer (&restore->staged, g_free);
  g_clear_pointer (&restore->kept, g_free);
}

static gboolean
in_use_error (GError **error, const char *path)
{
  g_set_error (error, DFT_DB_ERROR, DFT_DB_ERROR_BUSY,
               /* Translators: %s is a file */
               _ ("“%s” stayed busy: another daftari-server command, or a very long request of "
                  "the server, held it for writing. Nothing was changed. Run the restore again."),
               path);
  return FALSE;
}

/*
 * The live database @path, opened beside a server that may be serving on it. A file damaged
 * past reading, the usual reason to restore, is moved aside whole into @keep (no server can be
 * serving on it) and a new file takes its place.
 */
static sqlite3 *
open_live (const char *path, const char *keep, gboolean retry, GError **error)
{
  sqlite3 *db = NULL;
  int      fd;
  int      rc;

  /* Private from the first byte, like the files the server makes. */
  fd = g_open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;

      errno_error (error, saved,
                   /* Translators: %s is a file, then the system's reason */
                   _ ("Could not open “%s”: %s"), path, g_strerror (saved));
      return NULL;
    }
  close (fd);
  rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_extended_result_codes (db, 1);
      sqlite3_busy_timeout (db, BACKUP_BUSY_MS);
      rc = sqlite3_exec (db, "SELECT count (*) FROM sqlite_schema", NULL, NULL, NULL);
    }
  if (rc != SQLITE_OK && retry && ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT))
    {
      const char *const suffixes[] = { "", "-wal", "-shm" };
      g_autofree char  *name = g_path_get_basename (path);

      sqlite3_close (db);
      for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
        {
          g_autofree char *from = g_strconcat (path, suffixes[i], NULL);
          g_autofree char *to = g_strconcat (keep, G_DIR_SEPARATOR_S, name, suffixes[i], NULL);

          if (g_file_test (from, G_FILE_TEST_EXISTS) && g_rename (from, to) != 0)
            {
              int saved = errno;

              errno_error (error, saved, _ ("Could not open “%s”: %s"), path, g_strerror (saved));
              return NULL;
            }
        }
      return open_live (path, keep, FALSE, error);
    }
  if (rc != SQLITE_OK)
    {
      if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
        in_use_error (error, path);
      else
        dft_db_set_error (error, db, rc, _ ("opening the database"));
      sqlite3_close (db);
      return NULL;
    }
  return db;
}

/*
 * The backup's file copied next to the live one, ready to be copied in: the live file may be in
 * write-ahead log mode, where SQLite copies pages in only at the page size the file has, and
 * the register's copy is marked, in the very content that goes in, so that whoever reads the
 * restored data also reads that it is a copy.
 */
static gboolean
stage (Restore *restore, const char *keep, GError **error)
{
  g_autofree char *name = g_path_get_basename (restore->path);
  g_autofree char *sql = NULL;
  sqlite3         *db;
  gint64           live_size = 0;
  gint64           size = 0;
  int              rc;

  if (!query_int64 (restore->live, "PRAGMA page_size", 0, &live_size, error))
    return FALSE;
  restore->staged = g_strdup_printf ("%s/.%s.staged", keep, name);
  if ((db = open_readonly (restore->from, error)) == NULL)
    return FALSE;
  sql = sqlite3_mprintf ("VACUUM INTO %Q", restore->staged);
  rc = sqlite3_exec (db, sql, NULL, NULL, NULL);
  sqlite3_free (g_steal_pointer (&sql));
  if (rc != SQLITE_OK)
    {
      dft_db_set_error (error, db, rc, _ ("restoring the database"));
      sqlite3_close (db);
      return FALSE;
    }
  sqlite3_close (db);

  rc = sqlite3_open_v2 (restore->staged, &restore->source, SQLITE_OPEN_READWRITE, NULL);
  if (rc != SQLITE_OK)
    return dft_db_set_error (error, restore->source, rc, _ ("restoring the database"));
  sqlite3_extended_result_codes (restore->source, 1);
  if (!dft_db_exec (restore->source, "PRAGMA journal_mode = DELETE", error)
      || !query_int64 (restore->source, "PRAGMA page_size", 0, &size, error))
    return FALSE;
  if (size != live_size && live_size > 0)
    {
      sql = g_strdup_printf ("PRAGMA page_size = %" G_GINT64_FORMAT "; VACUUM", live_size);
      if (!dft_db_exec (restore->source, sql, error))
        return FALSE;
    }
  /* Copied by hand rather than by "admin backup": still a copy, which must take a new epoch. */
  return !restore->marked
         || dft_db_exec (restore->source,
                         "INSERT INTO sync_state (key, value) VALUES ('backup_copy', '1') "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                         error);
}

/*
 * SQLite's write lock on the live file, held from here until the copy commits: a push waits
 * for it (and pulls go on reading the content before), so that what is kept is exactly what is
 * replaced. A step of no pages takes the lock and copies nothing.
 */
static gboolean
hold (Restore *restore, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + BACKUP_BUSY_MS * G_TIME_SPAN_MILLISECOND;
  int    rc;

  restore->backup = sqlite3_backup_init (restore->live, "main", restore->source, "main");
  if (restore->backup == NULL)
    return dft_db_set_error (error, restore->live, sqlite3_errcode (restore->live),
                             _ ("restoring the database"));
  while (((rc = sqlite3_backup_step (restore->backup, 0)) & 0xff) == SQLITE_BUSY
         || (rc & 0xff) == SQLITE_LOCKED)
    {
      if (g_get_monotonic_time () >= deadline)
        return in_use_error (error, restore->path);
      sqlite3_sleep (20);
    }
  if (rc != SQLITE_OK && rc != SQLITE_DONE)
    return dft_db_set_error (error, restore->live, rc, _ ("restoring the database"));
  return TRUE;
}

/* What is replaced is kept, read under the write lock hold() took: a copy of the live content
 * as one snapshot, marked as a copy should it ever be put back. A damaged file open_live()
 * moved there already, or a new empty one, leaves nothing to keep. */
static gboolean
keep_live (Restore *restore, const char *keep, GError **error)
{
  g_autofree char *name = g_path_get_basename (restore->path);
  g_autofree char *kept = g_build_filename (keep, name, NULL);
  g_autofree char *sql = NULL;
  sqlite3         *db;
  gint64           tables = 0;
  int              rc;

  if (g_file_test (kept, G_FILE_TEST_EXISTS))
    return TRUE;
  if ((db = open_readonly (restore->path, error)) == NULL)
    return FALSE;
  if (!query_int64 (db, "SELECT count (*) FROM sqlite_schema", 0, &tables, error))
    {
      sqlite3_close (db);
      return FALSE;
    }
  if (tables == 0)
    {
      sqlite3_close (db);
      return TRUE;
    }
  sql = sqlite3_mprintf ("VACUUM INTO %Q", kept);
  rc = sqlite3_exec (db, sql, NULL, NULL, NULL);
  sqlite3_free (g_steal_pointer (&sql));
  if (rc != SQLITE_OK)
    {
      dft_db_set_error (error, db, rc, _ ("keeping the data as it was"));
      sqlite3_close (db);
      return FALSE;
    }
  sqlite3_close (db);
  restore->kept = g_steal_pointer (&kept);
  if (!restore->marked)
    return TRUE;
  rc = sqlite3_open_v2 (restore->kept, &db, SQLITE_OPEN_READWRITE, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec (db,
                       "INSERT INTO sync_state (key, value) VALUES ('backup_copy', '1') "
                       "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                       NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    dft_db_set_error (error, db, rc, _ ("keeping the data as it was"));
  sqlite3_close (db);
  return rc == SQLITE_OK;
}

/* The rest of the pages, and the commit: the live file holds the backup's content. */
static gboolean
finish (Restore *restore, GError **error)
{
  int rc = sqlite3_backup_step (restore->backup, -1);

  g_clear_pointer (&restore->backup, sqlite3_backup_finish);
  if (rc != SQLITE_DONE)
    {
      dft_db_set_error (error, restore->live, rc, _ ("restoring the database"));
      g_prefix_error (error, "%s: ", restore->path);
      return FALSE;
    }
  return TRUE;
}

/* The register was restored and the accounts could not be: the register goes back to what it
 * held, marked too, so a server that took the restored one for a while takes yet another
 * epoch rather than keep the one it gave out on data that is gone. */
static void
put_back (Restore *restore)
{
  sqlite3        *db = NULL;
  sqlite3_backup *backup;

  if (restore->kept == NULL || (db = open_readonly (restore->kept, NULL)) == NULL)
    return;
  backup = sqlite3_backup_init (restore->live, "main", db, "main");
  if (backup != NULL)
    {
      sqlite3_backup_step (backup, -1);
      sqlite3_backup_finish (backup);
    }
  sqlite3_close (db);
}

/* The backup's two files: present, whole, Daftari's, and not newer than this binary. */
static gboolean
check_backup (const char *records, const char *accounts, GError **error)
{
  const char *const paths[] = { records, accounts };

  /* accounts NULL: a backup of a server on PostgreSQL, whose dump check_pg_dump() reads. */
  for (guint i = 0; i < G_N_ELEMENTS (paths) && paths[i] != NULL; i++)
    {
      sqlite3 *db;
      gint64   version = 0;
      gint64   tables = 0;
      gboolean ok;

      if (!g_file_test (paths[i], G_FILE_TEST_IS_REGULAR))
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                       /* Translators: %s is a file */
                       _ ("“%s” is missing: a backup folder holds records.db and accounts.db. "
                          "Nothing was changed."),
                       paths[i]);
          return FALSE;
        }
      if ((db = open_readonly (paths[i], error)) == NULL)
        return FALSE;
      ok = check_integrity (db, paths[i], error)
           && (i == 0 ? store_version (db, &version, error)
                      : accounts_version (db, &version, error))
           && query_int64 (db,
                           i == 0 ? "SELECT count (*) FROM sqlite_schema WHERE name IN "
                                    "('change_log', 'sync_state')"
                                  : "SELECT count (*) FROM sqlite_schema WHERE name = "
                                    "'server_schema'",
                           0, &tables, error);
      sqlite3_close (db);
      if (!ok)
        return FALSE;
      if (version > (i == 0 ? DFT_SCHEMA_VERSION : DFT_SERVER_DB_VERSION))
        {
          g_set_error (error, DFT_DB_ERROR, DFT_DB_ERROR_NEWER_VERSION,
                       /* Translators: %s is a file; the numbers are data format versions */
                       _ ("“%s” is from a newer Daftari server (data format %lld; this one "
                          "knows up to %d): restore it with that version. Nothing was "
                          "changed."),
                       paths[i], (long long) version,
                       i == 0 ? DFT_SCHEMA_VERSION : DFT_SERVER_DB_VERSION);
          return FALSE;
        }
      if (tables != (i == 0 ? 2 : 1) || version < 1)
        {
          g_set_error (error, DFT_DB_ERROR, DFT_DB_ERROR_NOT_A_DATABASE,
                       /* Translators: %s is a file */
                       _ ("“%s” is not a Daftari server’s database. Nothing was changed."),
                       paths[i]);
          return FALSE;
        }
    }
  return TRUE;
}

/* A new folder in the data folder for what a restore replaces. */
static char *
make_keep_folder (const DftServerConfig *config, GError **error)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char      *stamp = NULL;
  g_autofree char      *keep = NULL;

  if (g_mkdir_with_parents (config->data_dir, 0700) != 0)
    {
      int saved = errno;

      errno_error (error, saved,
                   /* Translators: %s is a folder, then the system's reason */
                   _ ("Could not make the folder “%s”: %s"), config->data_dir, g_strerror (saved));
      return NULL;
    }

  stamp = g_date_time_format (now, "%Y%m%dT%H%M%SZ");
  /* Two restores within one second (a mistaken one put right at once) each keep their own. */
  keep = g_strdup_printf ("%s/replaced-by-restore-%s", config->data_dir, stamp);
  for (guint n = 2; g_mkdir (keep, 0700) != 0; n++)
    {
      int saved = errno;

      if (saved == EEXIST && n < 100)
        {
          g_free (keep);
          keep = g_strdup_printf ("%s/replaced-by-restore-%s-%u", config->data_dir, stamp, n);
          continue;
        }

      errno_error (error, saved, _ ("Could not make the folder “%s”: %s"), keep,
                   g_strerror (saved));
      return NULL;
    }
  return g_steal_pointer (&keep);
}

/*
 * A cluster's backup put back (see "A cluster" above), with every process stopped: each holds
 * a replica of the log this replaces, and one serving meanwhile would go on from positions the
 * restored log gives again. pg_restore replaces the tables in one transaction, after a dump of
 * the database as it was is kept; then the cluster takes a new epoch, so that every device
 * sends again what it holds, and each process, at its start, finds its replica ahead of the
 * restored log and makes it again from it.
 */
static gboolean
restore_cluster (const DftServerConfig *config,
                 const char            *folder,
                 char                 **kept,
                 DftServerBackupInfo   *info,
                 GError               **error)
{
  g_autofree char  *dump = g_build_filename (folder, CLUSTER_DUMP_NAME, NULL);
  g_autofree char  *alone = g_build_filename (folder, RECORDS_NAME, NULL);
  g_autofree char  *keep = NULL;
  g_autofree char  *live = NULL;
  g_autofree char  *epoch = NULL;
  DftServerCluster *cluster = NULL;
  DftServerSql     *sql = NULL;
  gint64            serving, mark;

  if (!g_file_test (dump, G_FILE_TEST_IS_REGULAR))
    {
      if (g_file_test (alone, G_FILE_TEST_IS_REGULAR))
        g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                     /* Translators: %s is a folder */
                     _ ("“%s” is a backup of a server that served alone, and this configuration "
                        "is a cluster’s (cluster=yes): restore it with a configuration without "
                        "cluster=yes, then move it with “admin migrate-storage”. Nothing was "
                        "changed."),
                     folder);
      else
        g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                     /* Translators: %s is a file */
                     _ ("“%s” is missing: a backup of a cluster holds cluster.pgdump. Nothing was "
                        "changed."),
                     dump);
      return FALSE;
    }
  if (!check_pg_dump (dump, error))
    return FALSE;

  cluster = dft_server_cluster_open (config->storage, error);
  if (cluster == NULL)
    return FALSE;
  serving = dft_server_cluster_count_serving (cluster, error);
  mark = serving == 0 ? dft_server_cluster_set_aside_mark (cluster, error) : -1;
  dft_server_cluster_free (g_steal_pointer (&cluster));
  if (serving > 0)
    {
      g_autofree char *message = g_strdup_printf (
          /* Translators: %lld is a number of database connections */
          ngettext ("The cluster’s database has %lld connection of a serving daftari-server. "
                    "Stop every process of the cluster, then restore: nothing was changed.",
                    "The cluster’s database has %lld connections of serving daftari-server "
                    "processes. Stop every process of the cluster, then restore: nothing was "
                    "changed.",
                    (gulong) MIN (serving, G_MAXLONG)),
          (long long) serving);

      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY, message);
      return FALSE;
    }
  if (mark < 0)
    return FALSE;

  keep = make_keep_folder (config, error);
  if (keep == NULL)
    return FALSE;
  live = g_build_filename (keep, CLUSTER_DUMP_NAME, NULL);
  if (!pg_dump_to (config, NULL, live, error))
    {
      g_rmdir (keep);
      return FALSE;
    }
  /* In one transaction: on failure the database is as it was. */
  if (!pg_restore_from (config, dump, error))
    {
      g_unlink (live);
      g_rmdir (keep);
      return FALSE;
    }

  cluster = dft_server_cluster_open (config->storage, error);
  epoch = cluster != NULL ? dft_server_cluster_restored (cluster, mark, error) : NULL;
  dft_server_cluster_free (cluster);
  if (epoch == NULL)
    {
      g_prefix_error (error,
                      /* Translators: %s is a folder; the reason follows */
                      _ ("The backup was restored (what it replaced is kept in “%s”), but the "
                         "cluster could not take a new epoch: run “admin new-epoch” before "
                         "starting the processes. "),
                      keep);
      return FALSE;
    }
  /* What the restored database holds; a count that fails takes nothing back. */
  sql = dft_server_sql_open_postgresql (config->storage, NULL);
  if (sql != NULL)
    count_cluster (sql, info, NULL);
  dft_server_sql_close (sql);
  info->bytes = file_size (dump);
  *kept = g_steal_pointer (&keep);
  return TRUE;
}

gboolean
dft_server_backup_restore (const DftServerConfig *config,
                           const char            *folder,
                           char                 **kept,
                           DftServerBackupInfo   *info,
                           GError               **error)
{
  g_autofree char    *records = NULL;
  g_autofree char    *accounts = NULL;
  g_autofree char    *records_copy = NULL;
  g_autofree char    *accounts_copy = NULL;
  g_autofree char    *keep = NULL;
  Restore             parts[2] = { { 0 } };
  DftServerBackupInfo counted = { 0 };
  gboolean            replaced = FALSE;
  gboolean            ok = FALSE;
  guint               n_parts;

  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (folder != NULL, FALSE);

  if (config->cluster)
    {
      g_autofree char *keep_cluster = NULL;

      if (!restore_cluster (config, folder, &keep_cluster, &counted, error))
        return FALSE;
      if (kept != NULL)
        *kept = g_steal_pointer (&keep_cluster);
      if (info != NULL)
        *info = counted;
      return TRUE;
    }
  records = dft_server_config_store_path (config);
  accounts = dft_server_config_accounts_path (config);
  records_copy = g_build_filename (folder, RECORDS_NAME, NULL);
  if (on_postgresql (config))
    {
      accounts_copy = g_build_filename (folder, PG_DUMP_NAME, NULL);
      if (!check_backup (records_copy, NULL, error) || !check_pg_dump (accounts_copy, error)
          || !count_copy (records_copy, NULL, &counted, error))
        return FALSE;
    }
  else
    {
      accounts_copy = g_build_filename (folder, ACCOUNTS_NAME, NULL);
      if (!check_backup (records_copy, accounts_copy, error)
          || !count_copy (records_copy, accounts_copy, &counted, error))
        return FALSE;
    }
  keep = make_keep_folder (config, error);
  if (keep == NULL)
    return FALSE;

  /*
   * The register first, then the accounts, as a backup copies them: a request the server
   * answers between the two commits reads the backup's register with the accounts as they
   * were, which are newer and so own every workshop the register holds, the same relation the
   * backup's two files have. Both are held for writing before either is kept or replaced, so
   * that either both are restored or, when one cannot be held, neither.
   */
  parts[0] = (Restore){ .path = records, .from = records_copy, .marked = TRUE };
  parts[1] = (Restore){ .path = accounts, .from = accounts_copy };
  /* On PostgreSQL the accounts are not a file here: pg_restore writes them, in the same place
   * in the order, and what it replaces is dumped first into the same folder. */
  n_parts = on_postgresql (config) ? 1 : G_N_ELEMENTS (parts);
  for (guint i = 0; i < n_parts; i++)
    if ((parts[i].live = open_live (parts[i].path, keep, TRUE, error)) == NULL
        || !stage (&parts[i], keep, error))
      goto out;
  for (guint i = 0; i < n_parts; i++)
    if (!hold (&parts[i], error) || !keep_live (&parts[i], keep, error))
      goto out;
  if (on_postgresql (config))
    {
      g_autofree char *pg_kept = g_build_filename (keep, PG_DUMP_NAME, NULL);

      if (!pg_dump_to (config, NULL, pg_kept, error))
        goto out;
    }
  if (!finish (&parts[0], error))
    goto out;
  replaced = TRUE;
  if (on_postgresql (config) ? !pg_restore_from (config, accounts_copy, error)
                             : !finish (&parts[1], error))
    {
      /* The accounts' copy rolled back whole; the register is written back as it was. */
      put_back (&parts[0]);
      goto out;
    }
  ok = TRUE;
  /* The devices the restored accounts hold; a count that fails takes nothing back. */
  if (on_postgresql (config))
    count_pg_devices (config, accounts_copy, &counted, NULL);
  if (kept != NULL)
    *kept = g_strdup (keep);
  if (info != NULL)
    *info = counted;

out:
  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      /* Copies made in case, of data that was not replaced after all. */
      if (!ok && !replaced && parts[i].kept != NULL)
        g_unlink (parts[i].kept);
      restore_clear (&parts[i]);
    }
  if (!ok && !replaced)
    {
      g_autofree char *pg_kept = g_build_filename (keep, PG_DUMP_NAME, NULL);

      g_unlink (pg_kept);
    }
  /* Nothing was kept when nothing was replaced (but a damaged file moved aside); otherwise
   * the admin must know where it is. */
  if (!ok && g_rmdir (keep) != 0)
    /* Translators: %s is a folder; the reason the restore failed follows */
    g_prefix_error (error, _ ("The data as it was is kept in “%s”. "), keep);
  return ok;
}
