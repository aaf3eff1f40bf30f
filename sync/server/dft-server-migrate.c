/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <sqlite3.h>

#include "dft-db.h"
#include "dft-server-cluster.h"
#include "dft-server-db.h"
#include "dft-server-migrate.h"
#include "dft-store.h"

/* How long to wait for a lock a server that is just stopping lets go of. */
#define REGISTER_BUSY_MS 2000
/* The first register format whose log names each change by (device, origin seq) and keeps
 * its base (dft-change-log.c): the columns register_log has. */
#define REGISTER_FIRST_VERSION 4

/* The quark's name is a string: the formatter would put spaces in it. */
/* clang-format off */
G_DEFINE_QUARK (dft-server-migrate-error-quark, dft_server_migrate_error)
/* clang-format on */

static gboolean
damaged_error (GError **error, const char *path, const char *why)
{
  g_set_error (error, DFT_SERVER_MIGRATE_ERROR, DFT_SERVER_MIGRATE_ERROR_DAMAGED,
               /* Translators: the first %s is a file, the second says what is wrong with it */
               _ ("The register “%s” cannot be copied: %s Nothing was copied."), path, why);
  return FALSE;
}

/* SQLite's answer to taking the register's lock or reading it, in words an admin can act
 * on. */
static gboolean
register_error (GError **error, sqlite3 *db, int rc, const char *path)
{
  g_autoptr (GError) local = NULL;

  switch (rc & 0xff)
    {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      g_set_error (error, DFT_SERVER_MIGRATE_ERROR, DFT_SERVER_MIGRATE_ERROR_IN_USE,
                   /* Translators: %s is a file */
                   _ ("The register “%s” is open in a running daftari-server (or another "
                      "program). Stop the server, then migrate: nothing was copied."),
                   path);
      return FALSE;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return damaged_error (error, path, _ ("it is not a Daftari register, or it is damaged."));
    default:
      dft_db_set_error (&local, db, rc, _ ("reading the register"));
      return damaged_error (error, path, local->message);
    }
}

static gboolean
query_int (sqlite3 *db, const char *sql, const char *path, gint64 *value, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int                      rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);

  if (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      *value = sqlite3_column_int64 (stmt, 0);
      return TRUE;
    }
  return register_error (error, db, rc, path);
}

/*
 * The register, opened for reading under SQLite's exclusive lock, in a transaction the caller
 * ends: a running server's connections each hold a shared lock on the file as long as they
 * are open (write-ahead logging), so the lock is refused while one runs, and no server can
 * start on the register while it is being copied.
 */
static sqlite3 *
open_register (const char *path, GError **error)
{
  sqlite3         *db = NULL;
  g_autofree char *check = NULL;
  gint64           version = 0, tables = 0;
  int              rc;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, DFT_SERVER_MIGRATE_ERROR, DFT_SERVER_MIGRATE_ERROR_MISSING,
                   /* Translators: %s is a file */
                   _ ("There is no register “%s” to copy: nothing was copied. Name it with "
                      "--register FILE, or check data= in the configuration."),
                   path);
      return NULL;
    }
  /* Read-write only to take the exclusive lock; nothing is written. */
  rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL);
  if (rc != SQLITE_OK)
    goto fail;
  sqlite3_extended_result_codes (db, 1);
  sqlite3_busy_timeout (db, REGISTER_BUSY_MS);
  if ((rc = sqlite3_exec (db, "PRAGMA locking_mode = EXCLUSIVE", NULL, NULL, NULL)) != SQLITE_OK
      || (rc = sqlite3_exec (db, "BEGIN EXCLUSIVE", NULL, NULL, NULL)) != SQLITE_OK)
    goto fail;
  if (!query_int (db, "PRAGMA user_version", path, &version, error)
      || !query_int (db,
                     "SELECT count (*) FROM sqlite_master WHERE type = 'table' AND name IN "
                     "('change_log', 'sync_state')",
                     path, &tables, error))
    goto out;
  if (tables != 2 || version < REGISTER_FIRST_VERSION)
    {
      damaged_error (error, path,
                     _ ("it is not a Daftari register, or one of a version older than this "
                        "server can copy (start this daftari-server on it once, stop it, "
                        "then migrate)."));
      goto out;
    }
  if (version > DFT_SCHEMA_VERSION)
    {
      damaged_error (error, path, _ ("a newer Daftari server wrote it."));
      goto out;
    }
  {
    g_autoptr (sqlite3_stmt) stmt = NULL;

    /* The whole file read once: damage found now, rather than half-way through the copy. */
    rc = sqlite3_prepare_v2 (db, "PRAGMA quick_check", -1, &stmt, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
      check = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
    else
      goto fail;
  }
  if (g_strcmp0 (check, "ok") != 0)
    {
      /* Translators: %s is SQLite's first finding, in English */
      g_autofree char *why = g_strdup_printf (_ ("SQLite’s check found damage (%s)."), check);

      damaged_error (error, path, why);
      goto out;
    }
  return db;

fail:
  register_error (error, db, rc, path);
out:
  sqlite3_close (db);
  return NULL;
}

typedef struct
{
  sqlite3  *records;
  gboolean *epoch_kept;
} CopyRegister;

static gboolean
copy_register_cb (DftServerSql *sql, GString *report, gpointer data, GError **error)
{
  CopyRegister *copy = data;

  return dft_server_cluster_copy_register (sql, copy->records, report, copy->epoch_kept, error);
}

gboolean
dft_server_migrate_storage (const char             *accounts_path,
                            const char             *register_path,
                            const char             *uri,
                            DftServerMigrateResult *result,
                            GError                **error)
{
  g_autoptr (DftServerDb) source = NULL;
  g_autoptr (DftServerDb) target = NULL;
  sqlite3                *records;
  CopyRegister            copy;
  gboolean                ok;

  g_return_val_if_fail (accounts_path != NULL && register_path != NULL, FALSE);
  g_return_val_if_fail (uri != NULL && result != NULL && result->report != NULL, FALSE);

  /* Everything that can be found wrong with the files before PostgreSQL is written to. */
  if (!g_file_test (accounts_path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, DFT_SERVER_MIGRATE_ERROR, DFT_SERVER_MIGRATE_ERROR_MISSING,
                   /* Translators: %s is a file name */
                   _ ("There is no database “%s” to copy."), accounts_path);
      return FALSE;
    }
  records = open_register (register_path, error);
  if (records == NULL)
    return FALSE;
  source = dft_server_db_open (accounts_path, error);
  if (source != NULL)
    target = dft_server_db_open_storage (uri, accounts_path, error);
  copy.records = records;
  copy.epoch_kept = &result->epoch_kept;
  ok = target != NULL
       && dft_server_db_copy_to_with (source, target, copy_register_cb, &copy, result->report,
                                      error);
  sqlite3_exec (records, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close (records);
  return ok;
}
