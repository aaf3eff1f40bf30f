/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <string.h>

#include "dft-db.h"
#include "dft-server-sql.h"

#define BUSY_TIMEOUT_MS 5000
/* PostgreSQL's type of a 64-bit integer (pg_type.h is a server header). */
#define INT8OID 20
/* How long libpq waits for a PostgreSQL that does not answer, unless the URI says otherwise:
 * a request must not hang on it. */
#define CONNECT_TIMEOUT_S "10"
#define MAX_PARAMS        1000

/* clang-format off */
G_DEFINE_QUARK (dft-server-sql-error-quark, dft_server_sql_error)
/* clang-format on */

struct _DftServerSql
{
  sqlite3 *lite;
  PGconn  *pg;
  char    *name;
  gboolean in_transaction;
};

typedef struct
{
  char    *text;
  gboolean is_int;
} Param;

struct _DftServerSqlStmt
{
  DftServerSql *sql;
  /* SQLite */
  sqlite3_stmt *lite;
  /* PostgreSQL: the text and parameters, run at the first step */
  char     *text;
  Param    *params;
  int       n_params;
  PGresult *result;
  int       row;
  gint64    changes;
};

gboolean
dft_server_sql_is_postgresql_uri (const char *storage)
{
  return storage != NULL
         && (g_str_has_prefix (storage, "postgresql://")
             || g_str_has_prefix (storage, "postgres://"));
}

/* ---- Errors ------------------------------------------------------------- */

static gboolean
lite_error (GError **error, DftServerSql *sql, int rc, const char *what)
{
  int extended = sqlite3_extended_errcode (sql->lite);

  if (extended == SQLITE_CONSTRAINT_UNIQUE || extended == SQLITE_CONSTRAINT_PRIMARYKEY)
    g_set_error (error, DFT_SERVER_SQL_ERROR, DFT_SERVER_SQL_ERROR_UNIQUE, "%s",
                 sqlite3_errmsg (sql->lite));
  else if (extended == SQLITE_CONSTRAINT_FOREIGNKEY)
    g_set_error (error, DFT_SERVER_SQL_ERROR, DFT_SERVER_SQL_ERROR_FOREIGN_KEY, "%s",
                 sqlite3_errmsg (sql->lite));
  else
    dft_db_set_error (error, sql->lite, rc, what);
  return FALSE;
}

/* PostgreSQL is gone, or going: the request may be tried again once it is back. */
static gboolean
pg_unavailable (GError **error, DftServerSql *sql)
{
  g_autofree char *why = g_strdup (PQerrorMessage (sql->pg));

  g_set_error (error, DFT_SERVER_SQL_ERROR, DFT_SERVER_SQL_ERROR_UNAVAILABLE,
               /* Translators: first %s names a PostgreSQL database and its host, second is
                  PostgreSQL's own message */
               _ ("The database %s does not answer: %s"), sql->name, g_strstrip (why));
  return FALSE;
}

static gboolean
pg_error (GError **error, DftServerSql *sql, const PGresult *result)
{
  const char *state = result != NULL ? PQresultErrorField (result, PG_DIAG_SQLSTATE) : NULL;
  const char *message
      = result != NULL ? PQresultErrorField (result, PG_DIAG_MESSAGE_PRIMARY) : NULL;

  if (message == NULL)
    message = PQerrorMessage (sql->pg);
  /* Class 08 is the connection's; 57P01-03 a server shutting down or starting. */
  if (PQstatus (sql->pg) != CONNECTION_OK || state == NULL || g_str_has_prefix (state, "08")
      || g_str_has_prefix (state, "57P"))
    return pg_unavailable (error, sql);
  if (g_str_equal (state, "23505"))
    g_set_error (error, DFT_SERVER_SQL_ERROR, DFT_SERVER_SQL_ERROR_UNIQUE, "%s", message);
  else if (g_str_equal (state, "23503"))
    g_set_error (error, DFT_SERVER_SQL_ERROR, DFT_SERVER_SQL_ERROR_FOREIGN_KEY, "%s", message);
  else
    g_set_error (error, DFT_SERVER_SQL_ERROR, DFT_SERVER_SQL_ERROR_FAILED,
                 /* Translators: first %s names a database, second is PostgreSQL's message */
                 _ ("The database %s failed: %s"), sql->name, message);
  return FALSE;
}

/* ---- Opening ------------------------------------------------------------ */

DftServerSql *
dft_server_sql_open_sqlite (const char *path, GError **error)
{
  DftServerSql *sql = g_new0 (DftServerSql, 1);
  int           rc;

  g_return_val_if_fail (path != NULL, NULL);

  sql->name = g_strdup (path);
  rc = sqlite3_open_v2 (path, &sql->lite, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      dft_db_set_error (error, sql->lite, rc, _ ("opening the database"));
      dft_server_sql_close (sql);
      return NULL;
    }
  sqlite3_extended_result_codes (sql->lite, 1);
  sqlite3_busy_timeout (sql->lite, BUSY_TIMEOUT_MS);
  if (!dft_db_exec (sql->lite, "PRAGMA journal_mode = WAL", error)
      || !dft_db_exec (sql->lite, "PRAGMA synchronous = FULL", error)
      || !dft_db_exec (sql->lite, "PRAGMA foreign_keys = ON", error))
    {
      dft_server_sql_close (sql);
      return NULL;
    }
  return sql;
}

static void
pg_notice (void *data, const char *message)
{
  /* "relation already exists, skipping" and the like: nothing for whoever runs the server. */
  g_debug ("PostgreSQL: %s", message);
}

static const char *application_name = DFT_SERVER_SQL_SERVING_NAME;

void
dft_server_sql_set_application_name (const char *name)
{
  g_return_if_fail (name != NULL);
  application_name = g_intern_string (name);
}

DftServerSql *
dft_server_sql_open_postgresql (const char *uri, GError **error)
{
  /* The URI is read last, so a connect_timeout it gives wins over ours. */
  const char *const keys[] = { "connect_timeout", "application_name", "dbname", NULL };
  const char *const values[] = { CONNECT_TIMEOUT_S, application_name, uri, NULL };
  DftServerSql     *sql = g_new0 (DftServerSql, 1);
  const char       *host;

  g_return_val_if_fail (uri != NULL, NULL);

  sql->pg = PQconnectdbParams (keys, values, TRUE);
  if (sql->pg == NULL)
    g_error ("libpq could not allocate a connection");
  host = PQhost (sql->pg);
  /* Translators: first %s is a database's name, second a host name or a socket's folder */
  sql->name = g_strdup_printf (_ ("“%s” on %s"), PQdb (sql->pg) != NULL ? PQdb (sql->pg) : "?",
                               host != NULL && *host != '\0' ? host : "localhost");
  if (PQstatus (sql->pg) != CONNECTION_OK)
    {
      pg_unavailable (error, sql);
      dft_server_sql_close (sql);
      return NULL;
    }
  PQsetNoticeProcessor (sql->pg, pg_notice, NULL);
  return sql;
}

void
dft_server_sql_close (DftServerSql *sql)
{
  if (sql == NULL)
    return;
  if (sql->lite != NULL)
    sqlite3_close_v2 (sql->lite);
  if (sql->pg != NULL)
    PQfinish (sql->pg);
  g_free (sql->name);
  g_free (sql);
}

gboolean
dft_server_sql_is_postgresql (DftServerSql *sql)
{
  return sql->pg != NULL;
}

const char *
dft_server_sql_get_name (DftServerSql *sql)
{
  return sql->name;
}

/*
 * A connection PostgreSQL dropped (it restarted, or went away and came back) is made again
 * before the next statement outside a transaction: a request that saw it go got an error it
 * may retry, the next one works. Inside a transaction there is nothing to resume.
 */
static gboolean
pg_ensure_connected (DftServerSql *sql, GError **error)
{
  if (sql->in_transaction)
    return PQstatus (sql->pg) == CONNECTION_OK || pg_unavailable (error, sql);
  /*
   * Reads what came while the connection was idle: a PostgreSQL that restarted since closed
   * it, and this finds out here, with reads that do not wait, rather than from a request. A
   * server going away says goodbye first (an error message), and the end of the connection
   * is only seen by the read after the one that took that message.
   */
  for (guint i = 0; i < 2 && PQstatus (sql->pg) == CONNECTION_OK; i++)
    PQconsumeInput (sql->pg);
  if (PQstatus (sql->pg) == CONNECTION_OK)
    return TRUE;
  PQreset (sql->pg);
  if (PQstatus (sql->pg) != CONNECTION_OK)
    return pg_unavailable (error, sql);
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                    "connected again to the database %s", sql->name);
  return TRUE;
}

/* ---- Statements without parameters -------------------------------------- */

gboolean
dft_server_sql_exec (DftServerSql *sql, const char *script, GError **error)
{
  g_autoptr (GError) local = NULL;
  PGresult          *result;
  gboolean           ok;

  if (sql->lite != NULL)
    {
      char *message = NULL;
      int   rc = sqlite3_exec (sql->lite, script, NULL, NULL, &message);

      sqlite3_free (message);
      return rc == SQLITE_OK || lite_error (error, sql, rc, _ ("updating the database"));
    }
  if (!pg_ensure_connected (sql, error))
    return FALSE;
  result = PQexec (sql->pg, script);
  ok = result != NULL
       && (PQresultStatus (result) == PGRES_COMMAND_OK
           || PQresultStatus (result) == PGRES_TUPLES_OK);
  if (!ok)
    pg_error (error, sql, result);
  PQclear (result);
  return ok;
}

gboolean
dft_server_sql_begin (DftServerSql *sql, GError **error)
{
  /* IMMEDIATE takes SQLite's write lock at once, so two processes (the server and an admin
   * command) never deadlock upgrading a read lock; PostgreSQL locks rows as they are written. */
  if (!dft_server_sql_exec (sql, sql->lite != NULL ? "BEGIN IMMEDIATE" : "BEGIN", error))
    return FALSE;
  sql->in_transaction = TRUE;
  return TRUE;
}

gboolean
dft_server_sql_commit (DftServerSql *sql, GError **error)
{
  if (dft_server_sql_exec (sql, "COMMIT", error))
    {
      sql->in_transaction = FALSE;
      return TRUE;
    }
  dft_server_sql_rollback (sql);
  return FALSE;
}

void
dft_server_sql_rollback (DftServerSql *sql)
{
  /* A connection that is gone took its transaction with it. */
  if (sql->lite != NULL)
    sqlite3_exec (sql->lite, "ROLLBACK", NULL, NULL, NULL);
  else if (PQstatus (sql->pg) == CONNECTION_OK)
    PQclear (PQexec (sql->pg, "ROLLBACK"));
  sql->in_transaction = FALSE;
}

/* ---- Statements --------------------------------------------------------- */

DftServerSqlStmt *
dft_server_sql_prepare (DftServerSql *sql, const char *text, GError **error)
{
  g_autoptr (DftServerSqlStmt) stmt = g_new0 (DftServerSqlStmt, 1);

  stmt->sql = sql;
  stmt->row = -1;
  if (sql->lite != NULL)
    {
      int rc = sqlite3_prepare_v2 (sql->lite, text, -1, &stmt->lite, NULL);

      if (rc != SQLITE_OK)
        return lite_error (error, sql, rc, _ ("reading the database")), NULL;
      return g_steal_pointer (&stmt);
    }
  if (!pg_ensure_connected (sql, error))
    return NULL;
  stmt->text = g_strdup (text);
  return g_steal_pointer (&stmt);
}

static void
clear_result (DftServerSqlStmt *stmt)
{
  g_clear_pointer (&stmt->result, PQclear);
  stmt->row = -1;
}

void
dft_server_sql_stmt_free (DftServerSqlStmt *stmt)
{
  if (stmt == NULL)
    return;
  if (stmt->lite != NULL)
    sqlite3_finalize (stmt->lite);
  clear_result (stmt);
  for (int i = 0; i < stmt->n_params; i++)
    g_free (stmt->params[i].text);
  g_free (stmt->params);
  g_free (stmt->text);
  g_free (stmt);
}

static Param *
pg_param (DftServerSqlStmt *stmt, int index)
{
  g_assert (index >= 1 && index <= MAX_PARAMS);
  if (index > stmt->n_params)
    {
      stmt->params = g_renew (Param, stmt->params, index);
      memset (stmt->params + stmt->n_params, 0, sizeof (Param) * (index - stmt->n_params));
      stmt->n_params = index;
    }
  g_clear_pointer (&stmt->params[index - 1].text, g_free);
  return &stmt->params[index - 1];
}

/* SQLite reads $1 as a parameter named "$1"; numbered by first appearance, so by name. */
static int
lite_index (DftServerSqlStmt *stmt, int index)
{
  char name[16];

  g_snprintf (name, sizeof name, "$%d", index);
  return sqlite3_bind_parameter_index (stmt->lite, name);
}

void
dft_server_sql_bind_text (DftServerSqlStmt *stmt, int index, const char *value)
{
  if (stmt->lite != NULL)
    {
      int at = lite_index (stmt, index);

      if (value != NULL)
        sqlite3_bind_text (stmt->lite, at, value, -1, SQLITE_TRANSIENT);
      else
        sqlite3_bind_null (stmt->lite, at);
      return;
    }
  pg_param (stmt, index)->text = g_strdup (value);
}

void
dft_server_sql_bind_int64 (DftServerSqlStmt *stmt, int index, gint64 value)
{
  Param *param;

  if (stmt->lite != NULL)
    {
      sqlite3_bind_int64 (stmt->lite, lite_index (stmt, index), value);
      return;
    }
  param = pg_param (stmt, index);
  param->text = g_strdup_printf ("%" G_GINT64_FORMAT, value);
  param->is_int = TRUE;
}

static gboolean
pg_run (DftServerSqlStmt *stmt, GError **error)
{
  g_autofree Oid         *types = g_new0 (Oid, MAX (stmt->n_params, 1));
  g_autofree const char **values = g_new0 (const char *, MAX (stmt->n_params, 1));
  ExecStatusType          status;

  /* Integers say so; text is left for PostgreSQL to infer from where it is used. */
  for (int i = 0; i < stmt->n_params; i++)
    {
      types[i] = stmt->params[i].is_int ? INT8OID : 0;
      values[i] = stmt->params[i].text;
    }
  stmt->result
      = PQexecParams (stmt->sql->pg, stmt->text, stmt->n_params, types, values, NULL, NULL, 0);
  status = stmt->result != NULL ? PQresultStatus (stmt->result) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    {
      pg_error (error, stmt->sql, stmt->result);
      clear_result (stmt);
      return FALSE;
    }
  stmt->changes = g_ascii_strtoll (PQcmdTuples (stmt->result), NULL, 10);
  return TRUE;
}

DftServerSqlStep
dft_server_sql_step (DftServerSqlStmt *stmt, GError **error)
{
  if (stmt->lite != NULL)
    {
      int rc = sqlite3_step (stmt->lite);

      if (rc == SQLITE_ROW)
        return DFT_SERVER_SQL_ROW;
      if (rc == SQLITE_DONE)
        {
          stmt->changes = sqlite3_changes64 (stmt->sql->lite);
          return DFT_SERVER_SQL_DONE;
        }
      lite_error (error, stmt->sql, rc, _ ("reading the database"));
      return DFT_SERVER_SQL_FAILED;
    }
  if (stmt->result == NULL && !pg_run (stmt, error))
    return DFT_SERVER_SQL_FAILED;
  stmt->row++;
  return stmt->row < PQntuples (stmt->result) ? DFT_SERVER_SQL_ROW : DFT_SERVER_SQL_DONE;
}

gboolean
dft_server_sql_step_done (DftServerSqlStmt *stmt, GError **error)
{
  switch (dft_server_sql_step (stmt, error))
    {
    case DFT_SERVER_SQL_DONE:
      return TRUE;
    case DFT_SERVER_SQL_ROW:
      /* A mistake in the server's own SQL, not in the data. */
      g_set_error (error, DFT_SERVER_SQL_ERROR, DFT_SERVER_SQL_ERROR_FAILED,
                   /* Translators: %s names a database */
                   _ ("The database %s returned rows where the server expected none."),
                   stmt->sql->name);
      return FALSE;
    case DFT_SERVER_SQL_FAILED:
    default:
      return FALSE;
    }
}

void
dft_server_sql_reset (DftServerSqlStmt *stmt)
{
  if (stmt->lite != NULL)
    sqlite3_reset (stmt->lite);
  clear_result (stmt);
  stmt->changes = 0;
}

gint64
dft_server_sql_changes (DftServerSqlStmt *stmt)
{
  return stmt->changes;
}

const char *
dft_server_sql_column_text (DftServerSqlStmt *stmt, int column)
{
  if (stmt->lite != NULL)
    return (const char *) sqlite3_column_text (stmt->lite, column);
  g_assert (stmt->result != NULL && stmt->row >= 0);
  if (PQgetisnull (stmt->result, stmt->row, column))
    return NULL;
  return PQgetvalue (stmt->result, stmt->row, column);
}

char *
dft_server_sql_column_dup (DftServerSqlStmt *stmt, int column)
{
  return g_strdup (dft_server_sql_column_text (stmt, column));
}

gint64
dft_server_sql_column_int64 (DftServerSqlStmt *stmt, int column)
{
  const char *text;

  if (stmt->lite != NULL)
    return sqlite3_column_int64 (stmt->lite, column);
  text = dft_server_sql_column_text (stmt, column);
  return text != NULL ? g_ascii_strtoll (text, NULL, 10) : 0;
}

gboolean
dft_server_sql_column_is_null (DftServerSqlStmt *stmt, int column)
{
  if (stmt->lite != NULL)
    return sqlite3_column_type (stmt->lite, column) == SQLITE_NULL;
  g_assert (stmt->result != NULL && stmt->row >= 0);
  return PQgetisnull (stmt->result, stmt->row, column);
}
