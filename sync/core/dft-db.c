/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>

#include "dft-db.h"

/* The quark's name is a string: the formatter would put spaces in it. */
/* clang-format off */
G_DEFINE_QUARK (dft-db-error-quark, dft_db_error)
/* clang-format on */

/*
 * Turns an SQLite result into an error a user can act on. The primary code
 * says what kind of failure it was; the errno underneath tells a full disk
 * (ENOSPC) or a file size limit (EFBIG) apart from other I/O failures, which
 * SQLite reports as SQLITE_IOERR_WRITE.
 */
gboolean
dft_db_set_error (GError **error, sqlite3 *db, int rc, const char *what)
{
  /* Read before anything else: SQLite does not record the errno of a write
   * that fails while committing to the write-ahead log (sqlite3_system_errno()
   * stays 0), but the thread's errno still holds it. */
  int         thread_errno = errno;
  int         sys_errno = db != NULL ? sqlite3_system_errno (db) : 0;
  const char *detail = db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc);
  int         extended = db != NULL ? sqlite3_extended_errcode (db) : rc;
  int         primary = rc & 0xff;

  if (extended == SQLITE_IOERR_WRITE && sys_errno == 0)
    sys_errno = thread_errno;

  /* SQLite's own words stay in the log for whoever investigates; the user
   * gets a sentence in their language. */
  g_debug ("SQLite error %d (%s) while %s, errno %d", extended, detail, what, sys_errno);

  /* Only an I/O failure says anything about space: sqlite3_system_errno() keeps
   * its value until the next I/O failure, long after the disk had room again. */
  if (primary == SQLITE_FULL
      || (primary == SQLITE_IOERR
          && (sys_errno == ENOSPC || sys_errno == EFBIG || sys_errno == EDQUOT)))
    {
      g_set_error (error, DFT_DB_ERROR, DFT_DB_ERROR_DISK_FULL,
                   /* Translators: %s says what was being done, e.g. "saving the person" */
                   _ ("The disk is full while %s. Nothing of this change was saved and everything "
                      "saved before is intact. Free some space and try again."),
                   what);
      return FALSE;
    }

  switch (primary)
    {
    case SQLITE_NOTADB:
      g_set_error (error, DFT_DB_ERROR, DFT_DB_ERROR_NOT_A_DATABASE,
                   _ ("This file is not a Daftari database, or it is damaged beyond reading. "
                      "It was left as it is."));
      break;
    case SQLITE_CORRUPT:
      g_set_error (error, DFT_DB_ERROR, DFT_DB_ERROR_CORRUPT,
                   _ ("The database is damaged. It was left as it is; restore it from a backup "
                      "or ask for help before writing to it again."));
      break;
    case SQLITE_READONLY:
      if (extended == SQLITE_READONLY_DIRECTORY)
        {
          g_set_error (error, DFT_DB_ERROR, DFT_DB_ERROR_READ_ONLY,
                       _ ("The folder that holds the database cannot be written to. Daftari needs "
                          "to write beside the database; check the folder's permissions."));
          break;
        }
      G_GNUC_FALLTHROUGH;
    case SQLITE_PERM:
      g_set_error (error, DFT_DB_ERROR, DFT_DB_ERROR_READ_ONLY,
                   /* Translators: %s says what was being done */
                   _ ("The database cannot be written to while %s. Check that its folder and file "
                      "are writable by you."),
                   what);
      break;
    case SQLITE_CANTOPEN:
      g_set_error (error, DFT_DB_ERROR, DFT_DB_ERROR_CANNOT_OPEN,
                   /* Translators: %s is the system's reason, e.g. "Permission denied" */
                   _ ("The database file cannot be opened: %s."),
                   sys_errno != 0 ? g_strerror (sys_errno) : detail);
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      g_set_error (error, DFT_DB_ERROR, DFT_DB_ERROR_BUSY,
                   _ ("The database is in use by another program. Close other copies of Daftari "
                      "and try again."));
      break;
    case SQLITE_IOERR:
      g_set_error (
          error, DFT_DB_ERROR, DFT_DB_ERROR_IO,
          /* Translators: first %s says what was being done, second is the system's reason */
          _ ("The disk reported an error while %s: %s. Nothing of this change was saved."), what,
          sys_errno != 0 ? g_strerror (sys_errno) : detail);
      break;
    default:
      g_set_error (error, DFT_DB_ERROR, DFT_DB_ERROR_FAILED,
                   /* Translators: first %s says what was being done, second is SQLite's message */
                   _ ("The database failed while %s: %s."), what, detail);
      break;
    }
  return FALSE;
}

gboolean
dft_db_exec (sqlite3 *db, const char *sql, GError **error)
{
  int rc = sqlite3_exec (db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    return dft_db_set_error (error, db, rc, _ ("updating the database"));
  return TRUE;
}

gboolean
dft_db_prepare (sqlite3 *db, const char *sql, sqlite3_stmt **stmt, GError **error)
{
  int rc = sqlite3_prepare_v2 (db, sql, -1, stmt, NULL);

  if (rc != SQLITE_OK)
    return dft_db_set_error (error, db, rc, _ ("reading the database"));
  return TRUE;
}

gboolean
dft_db_step_done (sqlite3 *db, sqlite3_stmt *stmt, GError **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    return dft_db_set_error (error, db, rc, _ ("writing to the database"));
  return TRUE;
}
