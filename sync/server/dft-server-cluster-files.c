/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "dft-db.h"
#include "dft-server-cluster-files.h"
#include "dft-server-sql.h"
#include "dft-store-attachments.h"

/*
 * The failure story. A piece is kept in one PostgreSQL transaction: the received bytes are
 * read, the piece added after them and, when it is the last, every piece read back and checked
 * against the hash before the file is marked whole. PostgreSQL that goes away in the middle
 * takes the transaction with it: nothing of the piece was kept, the device is answered 503
 * and sends it again, to whichever process, from the received bytes it is told. Pieces of one
 * file are taken one at a time across the processes (an advisory lock on the hash), so two
 * devices that upload the same file take turns through 409s, as with one process.
 *
 * Values cross libpq as text (dft-server-sql.h): a piece goes as base64 and is read back so,
 * one piece a statement, so that a file of several MB is never held whole here.
 */

/* pg_advisory_xact_lock (key, hashtext (sha256)): the first key of a pair ("dft" in ASCII),
 * a space apart from the change log's single-key lock. */
#define FILES_LOCK_KEY "6581364"
/* The most of a file read and written at once when copying it. */
#define COPY_PIECE (1024 * 1024)

struct _DftServerClusterFiles
{
  GMutex        lock; /* the connection */
  DftServerSql *sql;
};

static const char *const schema_sql = "CREATE TABLE IF NOT EXISTS register_file_part ("
                                      "  sha256 TEXT NOT NULL,"
                                      "  start BIGINT NOT NULL,"
                                      "  data BYTEA NOT NULL,"
                                      "  PRIMARY KEY (sha256, start));"
                                      "CREATE TABLE IF NOT EXISTS register_file ("
                                      "  sha256 TEXT PRIMARY KEY,"
                                      "  size BIGINT NOT NULL,"
                                      "  media_type TEXT,"
                                      "  name TEXT)";

const char *
dft_server_cluster_files_schema (void)
{
  return schema_sql;
}

DftServerClusterFiles *
dft_server_cluster_files_open (const char *uri, GError **error)
{
  DftServerClusterFiles *files;
  DftServerSql          *sql;

  g_return_val_if_fail (uri != NULL, NULL);

  sql = dft_server_sql_open_postgresql (uri, error);
  if (sql == NULL)
    return NULL;
  files = g_new0 (DftServerClusterFiles, 1);
  g_mutex_init (&files->lock);
  files->sql = sql;
  return files;
}

void
dft_server_cluster_files_free (DftServerClusterFiles *files)
{
  if (files == NULL)
    return;
  dft_server_sql_close (files->sql);
  g_mutex_clear (&files->lock);
  g_free (files);
}

/* The file's size when held whole (*whole), otherwise its received bytes. Locked. */
static gboolean
received_locked (
    DftServerClusterFiles *files, const char *sha256, gboolean *whole, gint64 *size, GError **error)
{
  g_autoptr (DftServerSqlStmt) held = NULL;
  g_autoptr (DftServerSqlStmt) parts = NULL;

  *whole = FALSE;
  *size = 0;
  held = dft_server_sql_prepare (files->sql, "SELECT size FROM register_file WHERE sha256 = $1",
                                 error);
  if (held == NULL)
    return FALSE;
  dft_server_sql_bind_text (held, 1, sha256);
  switch (dft_server_sql_step (held, error))
    {
    case DFT_SERVER_SQL_ROW:
      *whole = TRUE;
      *size = dft_server_sql_column_int64 (held, 0);
      return TRUE;
    case DFT_SERVER_SQL_DONE:
      break;
    case DFT_SERVER_SQL_FAILED:
    default:
      return FALSE;
    }
  parts = dft_server_sql_prepare (
      files->sql,
      "SELECT coalesce (sum (length (data)), 0) FROM register_file_part WHERE sha256 = $1", error);
  if (parts == NULL)
    return FALSE;
  dft_server_sql_bind_text (parts, 1, sha256);
  if (dft_server_sql_step (parts, error) != DFT_SERVER_SQL_ROW)
    return FALSE;
  *size = dft_server_sql_column_int64 (parts, 0);
  return TRUE;
}

gboolean
dft_server_cluster_files_received (
    DftServerClusterFiles *files, const char *sha256, gboolean *whole, gint64 *size, GError **error)
{
  g_autoptr (GMutexLocker) locker = NULL;

  g_return_val_if_fail (files != NULL && sha256 != NULL, FALSE);

  locker = g_mutex_locker_new (&files->lock);
  return received_locked (files, sha256, whole, size, error);
}

/*
 * The piece that holds byte @at of the file: its start and bytes; NULL with *start -1 when
 * there is none. Locked.
 */
static GBytes *
read_piece_locked (
    DftServerClusterFiles *files, const char *sha256, gint64 at, gint64 *start, GError **error)
{
  g_autoptr (DftServerSqlStmt) stmt = NULL;
  const char                  *text;
  guchar                      *data;
  gsize                        length = 0;

  *start = -1;
  stmt = dft_server_sql_prepare (files->sql,
                                 "SELECT start, encode (data, 'base64') FROM register_file_part "
                                 "WHERE sha256 = $1 AND start <= $2 ORDER BY start DESC LIMIT 1",
                                 error);
  if (stmt == NULL)
    return NULL;
  dft_server_sql_bind_text (stmt, 1, sha256);
  dft_server_sql_bind_int64 (stmt, 2, at);
  switch (dft_server_sql_step (stmt, error))
    {
    case DFT_SERVER_SQL_ROW:
      break;
    case DFT_SERVER_SQL_DONE:
      return NULL;
    case DFT_SERVER_SQL_FAILED:
    default:
      return NULL;
    }
  text = dft_server_sql_column_text (stmt, 1);
  /* PostgreSQL breaks base64 into lines; g_base64_decode() skips the line ends. */
  data = g_base64_decode (text != NULL ? text : "", &length);
  *start = dft_server_sql_column_int64 (stmt, 0);
  return g_bytes_new_take (data, length);
}

static void
set_damaged (GError **error, const char *sha256)
{
  g_set_error (error, DFT_SERVER_SQL_ERROR, DFT_SERVER_SQL_ERROR_FAILED,
               /* Translators: %s is the SHA-256 of an attached file */
               _ ("The pieces of the file %s in the shared database do not follow each other."),
               sha256);
}

/* Whether the pieces held make @size bytes whose SHA-256 is @sha256, read one at a time.
 * Locked, in the transaction. */
static gboolean
check_pieces_locked (DftServerClusterFiles *files,
                     const char            *sha256,
                     gint64                 size,
                     gboolean              *matches,
                     GError               **error)
{
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  gint64                at = 0;

  *matches = FALSE;
  while (at < size)
    {
      g_autoptr (GError) local = NULL;
      g_autoptr (GBytes) piece = NULL;
      gint64             start;
      gsize              n;

      piece = read_piece_locked (files, sha256, at, &start, &local);
      if (local != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      /* Pieces are kept only where the received bytes end: a gap or an overlap is not the
       * file. */
      if (piece == NULL || start != at || g_bytes_get_size (piece) == 0)
        return TRUE;
      n = g_bytes_get_size (piece);
      g_checksum_update (checksum, g_bytes_get_data (piece, NULL), n);
      at += (gint64) n;
    }
  *matches = at == size && g_str_equal (g_checksum_get_string (checksum), sha256);
  return TRUE;
}

static gboolean
run_with_sha (DftServerClusterFiles *files, const char *text, const char *sha256, GError **error)
{
  g_autoptr (DftServerSqlStmt) stmt = dft_server_sql_prepare (files->sql, text, error);

  if (stmt == NULL)
    return FALSE;
  dft_server_sql_bind_text (stmt, 1, sha256);
  return dft_server_sql_step (stmt, error) != DFT_SERVER_SQL_FAILED;
}

gboolean
dft_server_cluster_files_add_piece (DftServerClusterFiles *files,
                                    const char            *sha256,
                                    gint64                 start,
                                    GBytes                *data,
                                    gint64                 size,
                                    const char            *media_type,
                                    const char            *file_name,
                                    DftClusterPiece       *outcome,
                                    gint64                *received,
                                    GError               **error)
{
  g_autoptr (GMutexLocker)     locker = NULL;
  g_autoptr (DftServerSqlStmt) insert = NULL;
  g_autofree char             *encoded = NULL;
  gsize                        n;
  gboolean                     whole = FALSE, matches = FALSE;

  g_return_val_if_fail (files != NULL && sha256 != NULL && data != NULL, FALSE);
  g_return_val_if_fail (outcome != NULL && received != NULL, FALSE);

  n = g_bytes_get_size (data);
  locker = g_mutex_locker_new (&files->lock);
  if (!dft_server_sql_begin (files->sql, error))
    return FALSE;
  if (!run_with_sha (files, "SELECT pg_advisory_xact_lock (" FILES_LOCK_KEY ", hashtext ($1))",
                     sha256, error)
      || !received_locked (files, sha256, &whole, received, error))
    goto rollback;
  if (whole)
    {
      /* Another device sent it first. */
      *outcome = DFT_CLUSTER_PIECE_COMPLETE;
      dft_server_sql_rollback (files->sql);
      return TRUE;
    }
  if (start != *received)
    {
      *outcome = DFT_CLUSTER_PIECE_WRONG_START;
      dft_server_sql_rollback (files->sql);
      return TRUE;
    }
  if (n > 0)
    {
      insert = dft_server_sql_prepare (files->sql,
                                       "INSERT INTO register_file_part (sha256, start, data) "
                                       "VALUES ($1, $2, decode ($3, 'base64'))",
                                       error);
      if (insert == NULL)
        goto rollback;
      encoded = g_base64_encode (g_bytes_get_data (data, NULL), n);
      dft_server_sql_bind_text (insert, 1, sha256);
      dft_server_sql_bind_int64 (insert, 2, start);
      dft_server_sql_bind_text (insert, 3, encoded);
      if (!dft_server_sql_step_done (insert, error))
        goto rollback;
      g_clear_pointer (&encoded, g_free);
    }
  *received = start + (gint64) n;
  *outcome = DFT_CLUSTER_PIECE_KEPT;
  if (*received == size)
    {
      if (!check_pieces_locked (files, sha256, size, &matches, error))
        goto rollback;
      if (matches)
        {
          g_autoptr (DftServerSqlStmt) mark = dft_server_sql_prepare (
              files->sql,
              "INSERT INTO register_file (sha256, size, media_type, name) "
              "VALUES ($1, $2, $3, $4)",
              error);

          if (mark == NULL)
            goto rollback;
          dft_server_sql_bind_text (mark, 1, sha256);
          dft_server_sql_bind_int64 (mark, 2, size);
          dft_server_sql_bind_text (mark, 3, media_type);
          dft_server_sql_bind_text (mark, 4, file_name);
          if (!dft_server_sql_step_done (mark, error))
            goto rollback;
          *outcome = DFT_CLUSTER_PIECE_COMPLETE;
        }
      else
        {
          /* Every piece goes: the next try starts again from 0. */
          if (!run_with_sha (files, "DELETE FROM register_file_part WHERE sha256 = $1", sha256,
                             error))
            goto rollback;
          *outcome = DFT_CLUSTER_PIECE_DAMAGED;
          *received = 0;
        }
    }
  return dft_server_sql_commit (files->sql, error);

rollback:
  dft_server_sql_rollback (files->sql);
  return FALSE;
}

gboolean
dft_server_cluster_files_fetch (DftServerClusterFiles *files,
                                DftStore              *store,
                                const char            *sha256,
                                gboolean              *found,
                                GError               **error)
{
  g_autoptr (GMutexLocker)     locker = NULL;
  g_autoptr (DftServerSqlStmt) stmt = NULL;
  g_autofree char             *media_type = NULL;
  g_autofree char             *name = NULL;
  gint64                       size, at;

  g_return_val_if_fail (files != NULL && DFT_IS_STORE (store) && sha256 != NULL, FALSE);
  g_return_val_if_fail (found != NULL, FALSE);

  *found = FALSE;
  locker = g_mutex_locker_new (&files->lock);
  stmt = dft_server_sql_prepare (
      files->sql, "SELECT size, media_type, name FROM register_file WHERE sha256 = $1", error);
  if (stmt == NULL)
    return FALSE;
  dft_server_sql_bind_text (stmt, 1, sha256);
  switch (dft_server_sql_step (stmt, error))
    {
    case DFT_SERVER_SQL_ROW:
      break;
    case DFT_SERVER_SQL_DONE:
      return TRUE;
    case DFT_SERVER_SQL_FAILED:
    default:
      return FALSE;
    }
  size = dft_server_sql_column_int64 (stmt, 0);
  media_type = dft_server_sql_column_dup (stmt, 1);
  name = dft_server_sql_column_dup (stmt, 2);

  /* A whole file's pieces never change: no transaction. A copy cut short (PostgreSQL went
   * away) is taken up where the store's bytes end by the next device that asks. */
  at = dft_store_attachment_received (store, sha256);
  while (at < size)
    {
      g_autoptr (GError) local = NULL;
      g_autoptr (GBytes) piece = NULL;
      g_autoptr (GBytes) rest = NULL;
      gint64             start;
      gsize              n;
      gboolean           complete = FALSE;

      piece = read_piece_locked (files, sha256, at, &start, &local);
      if (local != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      n = piece != NULL ? g_bytes_get_size (piece) : 0;
      if (piece == NULL || start + (gint64) n <= at)
        {
          set_damaged (error, sha256);
          return FALSE;
        }
      /* The store's bytes may end inside a piece (a copy from before the cluster). */
      rest = g_bytes_new_from_bytes (piece, (gsize) (at - start), n - (gsize) (at - start));
      if (!dft_store_add_attachment_piece (store, sha256, at, rest, size, media_type, name,
                                           &complete, error))
        return FALSE;
      at += (gint64) g_bytes_get_size (rest);
      if (complete)
        break;
    }
  *found = TRUE;
  return TRUE;
}

gboolean
dft_server_cluster_files_put (DftServerClusterFiles *files,
                              DftStore              *store,
                              const char            *sha256,
                              GError               **error)
{
  g_autoptr (DftAttachmentInfo) info = NULL;
  gboolean                      whole = FALSE;
  gint64                        at = 0;

  g_return_val_if_fail (files != NULL && DFT_IS_STORE (store) && sha256 != NULL, FALSE);

  info = dft_store_get_attachment_info (store, sha256, error);
  if (info == NULL || !dft_server_cluster_files_received (files, sha256, &whole, &at, error))
    return FALSE;
  while (!whole)
    {
      g_autoptr (GBytes) piece = NULL;
      DftClusterPiece    outcome;
      gint64             size = 0;

      piece = dft_store_read_attachment_range (store, sha256, at, COPY_PIECE, &size, error);
      if (piece == NULL
          || !dft_server_cluster_files_add_piece (files, sha256, at, piece, info->size,
                                                  info->media_type, info->name, &outcome, &at,
                                                  error))
        return FALSE;
      switch (outcome)
        {
        case DFT_CLUSTER_PIECE_COMPLETE:
          whole = TRUE;
          break;
        case DFT_CLUSTER_PIECE_KEPT:
        case DFT_CLUSTER_PIECE_WRONG_START: /* a device sent a piece meanwhile: on from there */
          break;
        case DFT_CLUSTER_PIECE_DAMAGED:
        default:
          set_damaged (error, sha256);
          return FALSE;
        }
    }
  return TRUE;
}

/* ---- Files moved from a server alone -------------------------------------- */

/* One line of the list of files, as both sides read it, added to @sum. */
static void
sum_file (GChecksum *sum, const char *sha256, gint64 size, const char *media_type, const char *name)
{
  g_autoptr (GString) line = g_string_new (NULL);
  const char *const   values[] = { sha256, media_type, name };

  g_string_append_printf (line, "%" G_GINT64_FORMAT, size);
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_string_append_c (line, '\t');
      if (values[i] == NULL)
        g_string_append (line, "\\N");
      else
        g_string_append (line, values[i]);
    }
  g_string_append_c (line, '\n');
  g_checksum_update (sum, (const guchar *) line->str, (gssize) line->len);
}

/* Copies the bytes of the file @sha256, @size long, a piece at a time. */
static gboolean
copy_file_bytes (
    sqlite3 *source, DftServerSql *sql, const char *sha256, gint64 size, GError **error)
{
  g_autoptr (sqlite3_stmt)     read = NULL;
  g_autoptr (DftServerSqlStmt) insert = NULL;

  if (!dft_db_prepare (source, "SELECT substr (data, ?, ?) FROM attachment WHERE sha256 = ?", &read,
                       error))
    return FALSE;
  insert = dft_server_sql_prepare (sql,
                                   "INSERT INTO register_file_part (sha256, start, data) "
                                   "VALUES ($1, $2, decode ($3, 'base64'))",
                                   error);
  if (insert == NULL)
    return FALSE;
  for (gint64 at = 0; at < size; at += COPY_PIECE)
    {
      g_autofree char *encoded = NULL;
      int              rc, n;

      sqlite3_reset (read);
      sqlite3_bind_int64 (read, 1, at + 1); /* substr() counts from 1 */
      sqlite3_bind_int (read, 2, COPY_PIECE);
      sqlite3_bind_text (read, 3, sha256, -1, SQLITE_STATIC);
      rc = sqlite3_step (read);
      if (rc != SQLITE_ROW)
        return dft_db_set_error (error, source, rc, _ ("reading the register’s attached files"));
      n = sqlite3_column_bytes (read, 0);
      /* A row whose bytes are fewer than it says: PostgreSQL's check below finds it. */
      if (n == 0)
        break;
      encoded = g_base64_encode (sqlite3_column_blob (read, 0), (gsize) n);
      dft_server_sql_reset (insert);
      dft_server_sql_bind_text (insert, 1, sha256);
      dft_server_sql_bind_int64 (insert, 2, at);
      dft_server_sql_bind_text (insert, 3, encoded);
      if (!dft_server_sql_step_done (insert, error))
        return FALSE;
    }
  return TRUE;
}

/* What the shared tables hold, summed as the copy summed the source, each file's pieces hashed
 * by PostgreSQL and checked against the hash that names it. */
static gboolean
check_files (DftServerSql *sql, GChecksum *sum, guint *rows, GError **error)
{
  g_autoptr (DftServerSqlStmt) stmt = NULL;
  DftServerSqlStep             step;

  stmt = dft_server_sql_prepare (
      sql,
      "SELECT f.sha256, f.size, f.media_type, f.name, encode (sha256 (coalesce (string_agg "
      "(p.data, ''::bytea ORDER BY p.start), ''::bytea)), 'hex'), coalesce (sum (length "
      "(p.data)), 0) FROM register_file f LEFT JOIN register_file_part p USING (sha256) "
      "GROUP BY f.sha256, f.size, f.media_type, f.name ORDER BY f.sha256 COLLATE \"C\"",
      error);
  if (stmt == NULL)
    return FALSE;
  *rows = 0;
  while ((step = dft_server_sql_step (stmt, error)) == DFT_SERVER_SQL_ROW)
    {
      const char *sha256 = dft_server_sql_column_text (stmt, 0);
      gint64      size = dft_server_sql_column_int64 (stmt, 1);

      if (g_strcmp0 (dft_server_sql_column_text (stmt, 4), sha256) != 0
          || dft_server_sql_column_int64 (stmt, 5) != size)
        {
          g_set_error (error, DFT_SERVER_SQL_ERROR, DFT_SERVER_SQL_ERROR_FAILED,
                       /* Translators: %s is the SHA-256 of an attached file */
                       _ ("The copy of the attached file %s is not the file its hash names: "
                          "nothing was copied."),
                       sha256);
          return FALSE;
        }
      sum_file (
          sum, sha256, size,
          dft_server_sql_column_is_null (stmt, 2) ? NULL : dft_server_sql_column_text (stmt, 2),
          dft_server_sql_column_is_null (stmt, 3) ? NULL : dft_server_sql_column_text (stmt, 3));
      (*rows)++;
    }
  return step == DFT_SERVER_SQL_DONE;
}

gboolean
dft_server_cluster_files_copy (DftServerSql *sql, sqlite3 *source, GString *report, GError **error)
{
  g_autoptr (sqlite3_stmt)     list = NULL;
  g_autoptr (DftServerSqlStmt) mark = NULL;
  g_autoptr (GChecksum)        had = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr (GChecksum)        has = g_checksum_new (G_CHECKSUM_SHA256);
  guint                        had_rows = 0, has_rows = 0;
  int                          rc;

  g_return_val_if_fail (sql != NULL && source != NULL && report != NULL, FALSE);

  if (!dft_db_prepare (source,
                       "SELECT sha256, size, media_type, name FROM attachment ORDER BY sha256",
                       &list, error))
    return FALSE;
  mark = dft_server_sql_prepare (
      sql, "INSERT INTO register_file (sha256, size, media_type, name) VALUES ($1, $2, $3, $4)",
      error);
  if (mark == NULL)
    return FALSE;
  while ((rc = sqlite3_step (list)) == SQLITE_ROW)
    {
      const char *sha256 = (const char *) sqlite3_column_text (list, 0);
      gint64      size = sqlite3_column_int64 (list, 1);
      const char *media_type = (const char *) sqlite3_column_text (list, 2);
      const char *name = (const char *) sqlite3_column_text (list, 3);

      sum_file (had, sha256, size, media_type, name);
      if (!copy_file_bytes (source, sql, sha256, size, error))
        return FALSE;
      dft_server_sql_reset (mark);
      dft_server_sql_bind_text (mark, 1, sha256);
      dft_server_sql_bind_int64 (mark, 2, size);
      dft_server_sql_bind_text (mark, 3, media_type);
      dft_server_sql_bind_text (mark, 4, name);
      if (!dft_server_sql_step_done (mark, error))
        return FALSE;
      had_rows++;
    }
  if (rc != SQLITE_DONE)
    return dft_db_set_error (error, source, rc, _ ("reading the register’s attached files"));
  if (!check_files (sql, has, &has_rows, error))
    return FALSE;
  if (had_rows != has_rows
      || !g_str_equal (g_checksum_get_string (had), g_checksum_get_string (has)))
    {
      g_set_error (error, DFT_SERVER_SQL_ERROR, DFT_SERVER_SQL_ERROR_FAILED,
                   /* Translators: %s is a table's name */
                   _ ("The copy of the table %s differs from the original: nothing was copied."),
                   "register_file");
      return FALSE;
    }
  g_string_append_printf (report, "register_file\t%u\tsha256:%s\n", has_rows,
                          g_checksum_get_string (has));
  return TRUE;
}
