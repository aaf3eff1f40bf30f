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
#include "dft-server-db.h"
#include "dft-store.h"

/* A backup waits this long for a writer's checkpoint; a restore this long for a short admin
 * command (import-bundle) to let go. A serving server never lets go, so not longer. */
#define BACKUP_BUSY_MS  30000
#define RESTORE_BUSY_MS 3000

#define RECORDS_NAME  "records.db"
#define ACCOUNTS_NAME "accounts.db"

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
  if (!ok || (db = open_readonly (accounts, error)) == NULL)
    return FALSE;
  ok = query_int64 (db, "SELECT count (*) FROM device", 0, &info->devices, error);
  sqlite3_close (db);
  info->bytes = file_size (records) + file_size (accounts);
  return ok;
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
  accounts_copy = g_build_filename (part, ACCOUNTS_NAME, NULL);
  /* Records first: the accounts copy, made after, owns every workshop the records copy holds. */
  if (!copy_database (records, records_copy, TRUE, target, error)
      || !copy_database (accounts, accounts_copy, FALSE, target, error)
      || !count_copy (records_copy, accounts_copy, &counted, error)
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

static gboolean
in_use_error (GError **error, const char *path)
{
  g_set_error (error, DFT_DB_ERROR, DFT_DB_ERROR_BUSY,
               /* Translators: %s is a file */
               _ ("“%s” is in use: the server (or another daftari-server command) has it open. "
                  "Nothing was changed. Stop the server first (sudo systemctl stop "
                  "daftari-server), restore, then start it again."),
               path);
  return FALSE;
}

/*
 * The live database @path, held with SQLite's exclusive lock until closed: a serving server
 * keeps a shared lock on its files for as long as it runs, so taking it fails while one does,
 * and a server started meanwhile waits, then fails, rather than read a half-restored file.
 */
static sqlite3 *
lock_live (const char *path, const char *keep, gboolean retry, GError **error)
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
      sqlite3_busy_timeout (db, RESTORE_BUSY_MS);
      rc = sqlite3_exec (db,
                         "PRAGMA locking_mode = EXCLUSIVE;"
                         "BEGIN EXCLUSIVE; SELECT count (*) FROM sqlite_schema; COMMIT",
                         NULL, NULL, NULL);
    }
  if (rc != SQLITE_OK && retry && ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT))
    {
      const char *const suffixes[] = { "", "-wal", "-shm" };
      g_autofree char  *name = g_path_get_basename (path);

      /* Damaged past reading, the usual reason to restore: no server can be using it, and it
       * is kept as it is, moved aside whole, before a new file takes its place. */
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
      return lock_live (path, keep, FALSE, error);
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

/* What is replaced is kept: the file as it was, with its write-ahead log. */
static gboolean
keep_live (const char *path, const char *kept, GError **error)
{
  const char *const suffixes[] = { "", "-wal" };
  g_autofree char  *name = g_path_get_basename (path);

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char  *from = g_strconcat (path, suffixes[i], NULL);
      g_autofree char  *to = g_strconcat (kept, G_DIR_SEPARATOR_S, name, suffixes[i], NULL);
      g_autoptr (GFile) source = g_file_new_for_path (from);
      g_autoptr (GFile) target = g_file_new_for_path (to);

      /* Nothing to keep, or a damaged file lock_live() moved there already. */
      if (!g_file_test (from, G_FILE_TEST_IS_REGULAR) || file_size (from) == 0
          || g_file_test (to, G_FILE_TEST_EXISTS))
        continue;
      if (!g_file_copy (source, target, G_FILE_COPY_NONE, NULL, NULL, NULL, error))
        return FALSE;
    }
  return TRUE;
}

/* The backup's file @from, whole and not newer than this binary, copied over the locked @live
 * as one transaction. */
static gboolean
restore_one (sqlite3 *live, const char *path, const char *from, GError **error)
{
  sqlite3        *source;
  sqlite3_backup *backup;
  int             rc;

  if ((source = open_readonly (from, error)) == NULL)
    return FALSE;
  /* A rollback journal for the copy: the page size may differ, and a crash part way through
   * is rolled back. The server goes back to its write-ahead log when it starts. */
  if (!dft_db_exec (live, "PRAGMA journal_mode = DELETE", error))
    {
      sqlite3_close (source);
      return FALSE;
    }
  backup = sqlite3_backup_init (live, "main", source, "main");
  if (backup == NULL)
    {
      dft_db_set_error (error, live, sqlite3_errcode (live), _ ("restoring the database"));
      sqlite3_close (source);
      return FALSE;
    }
  rc = sqlite3_backup_step (backup, -1);
  sqlite3_backup_finish (backup);
  sqlite3_close (source);
  if (rc != SQLITE_DONE)
    {
      dft_db_set_error (error, live, rc, _ ("restoring the database"));
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  return TRUE;
}

/* The backup's two files: present, whole, Daftari's, and not newer than this binary. */
static gboolean
check_backup (const char *records, const char *accounts, GError **error)
{
  const char *const paths[] = { records, accounts };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
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

gboolean
dft_server_backup_restore (const DftServerConfig *config,
                           const char            *folder,
                           char                 **kept,
                           DftServerBackupInfo   *info,
                           GError               **error)
{
  g_autofree char      *records = NULL;
  g_autofree char      *accounts = NULL;
  g_autofree char      *records_copy = NULL;
  g_autofree char      *accounts_copy = NULL;
  g_autofree char      *keep = NULL;
  g_autofree char      *stamp = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  sqlite3              *live_records = NULL;
  sqlite3              *live_accounts = NULL;
  DftServerBackupInfo   counted = { 0 };
  gboolean              ok = FALSE;

  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (folder != NULL, FALSE);

  records = dft_server_config_store_path (config);
  accounts = dft_server_config_accounts_path (config);
  records_copy = g_build_filename (folder, RECORDS_NAME, NULL);
  accounts_copy = g_build_filename (folder, ACCOUNTS_NAME, NULL);
  if (!check_backup (records_copy, accounts_copy, error)
      || !count_copy (records_copy, accounts_copy, &counted, error))
    return FALSE;
  if (g_mkdir_with_parents (config->data_dir, 0700) != 0)
    {
      int saved = errno;

      return errno_error (error, saved,
                          /* Translators: %s is a folder, then the system's reason */
                          _ ("Could not make the folder “%s”: %s"), config->data_dir,
                          g_strerror (saved));
    }

  stamp = g_date_time_format (now, "%Y%m%dT%H%M%SZ");
  keep = g_strdup_printf ("%s/replaced-by-restore-%s", config->data_dir, stamp);
  if (g_mkdir (keep, 0700) != 0)
    {
      int saved = errno;

      return errno_error (error, saved, _ ("Could not make the folder “%s”: %s"), keep,
                          g_strerror (saved));
    }
  /* Both held before either is changed: the two are restored together or not at all. */
  live_records = lock_live (records, keep, TRUE, error);
  if (live_records == NULL)
    goto out;
  live_accounts = lock_live (accounts, keep, TRUE, error);
  if (live_accounts == NULL)
    goto out;

  if (!keep_live (records, keep, error) || !keep_live (accounts, keep, error)
      || !restore_one (live_records, records, records_copy, error)
      /* Copied by hand rather than by "admin backup": still a copy, and the next start must
       * take a new epoch. */
      || !dft_db_exec (live_records,
                       "INSERT INTO sync_state (key, value) VALUES ('backup_copy', '1') "
                       "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                       error)
      || !restore_one (live_accounts, accounts, accounts_copy, error))
    goto out;
  ok = TRUE;
  if (kept != NULL)
    *kept = g_steal_pointer (&keep);
  if (info != NULL)
    *info = counted;

out:
  sqlite3_close (live_accounts);
  sqlite3_close (live_records);
  /* Nothing was kept when nothing was replaced; otherwise the admin must know where it is. */
  if (!ok && keep != NULL && g_rmdir (keep) != 0)
    /* Translators: %s is a folder; the reason the restore failed follows */
    g_prefix_error (error, _ ("The data as it was is kept in “%s”. "), keep);
  return ok;
}
