/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The few SQL calls the server's own database (dft-server-db.c) makes, over
 * SQLite or PostgreSQL (libpq). One SQL text serves both: parameters are
 * written $1, $2… (PostgreSQL's own, and a named parameter to SQLite, which
 * binds them by name), values go as text or 64-bit integers, and a unique or
 * foreign-key violation is the same error whichever database found it.
 *
 * Not thread-safe: the caller holds one lock around each use of a connection.
 */

#define DFT_SERVER_SQL_ERROR (dft_server_sql_error_quark ())
/* The application_name of a serving process's PostgreSQL connections. */
#define DFT_SERVER_SQL_SERVING_NAME "daftari-server"
/* An admin command's. */
#define DFT_SERVER_SQL_ADMIN_NAME "daftari-server admin"

typedef enum
{
  DFT_SERVER_SQL_ERROR_FAILED,
  DFT_SERVER_SQL_ERROR_UNIQUE,      /* SQLite CONSTRAINT_UNIQUE/PRIMARYKEY, SQLSTATE 23505 */
  DFT_SERVER_SQL_ERROR_FOREIGN_KEY, /* SQLite CONSTRAINT_FOREIGNKEY, SQLSTATE 23503 */
  DFT_SERVER_SQL_ERROR_UNAVAILABLE, /* the database server does not answer: try again later */
} DftServerSqlError;

GQuark dft_server_sql_error_quark (void);

typedef struct _DftServerSql     DftServerSql;
typedef struct _DftServerSqlStmt DftServerSqlStmt;

typedef enum
{
  DFT_SERVER_SQL_ROW,
  DFT_SERVER_SQL_DONE,
  DFT_SERVER_SQL_FAILED,
} DftServerSqlStep;

/* Whether @storage is a libpq URI ("postgresql://…" or "postgres://…"). */
gboolean dft_server_sql_is_postgresql_uri (const char *storage);

/* The file at @path, which must exist. */
DftServerSql *dft_server_sql_open_sqlite (const char *path, GError **error);
/* What PostgreSQL shows as the application_name of the connections made after (the default,
 * "daftari-server", is a serving process's; an admin command names itself otherwise, so that
 * "admin restore" in a cluster can tell a process that serves). Before any thread opens one. */
void dft_server_sql_set_application_name (const char *name);
/* A PostgreSQL database, by a libpq URI. Fails with DFT_SERVER_SQL_ERROR_UNAVAILABLE when it
 * does not answer, saying why and where. */
DftServerSql *dft_server_sql_open_postgresql (const char *uri, GError **error);
void          dft_server_sql_close (DftServerSql *sql);
gboolean      dft_server_sql_is_postgresql (DftServerSql *sql);
/* The file, or the database and host, for messages: never a password. */
const char *dft_server_sql_get_name (DftServerSql *sql);

/* Runs statements without parameters, several separated by ';' allowed. */
gboolean dft_server_sql_exec (DftServerSql *sql, const char *script, GError **error);
/* A transaction that writes: SQLite takes its write lock at once (BEGIN IMMEDIATE). */
gboolean dft_server_sql_begin (DftServerSql *sql, GError **error);
/* Commits; rolls back when that fails. */
gboolean dft_server_sql_commit (DftServerSql *sql, GError **error);
void     dft_server_sql_rollback (DftServerSql *sql);

DftServerSqlStmt *dft_server_sql_prepare (DftServerSql *sql, const char *text, GError **error);
void              dft_server_sql_stmt_free (DftServerSqlStmt *stmt);
/* @index counts from 1, as $1 does; a NULL @value binds NULL. */
void             dft_server_sql_bind_text (DftServerSqlStmt *stmt, int index, const char *value);
void             dft_server_sql_bind_int64 (DftServerSqlStmt *stmt, int index, gint64 value);
DftServerSqlStep dft_server_sql_step (DftServerSqlStmt *stmt, GError **error);
/* Steps a statement that returns no rows. */
gboolean dft_server_sql_step_done (DftServerSqlStmt *stmt, GError **error);
/* Makes the statement ready to run again; its bindings stay until bound anew. */
void dft_server_sql_reset (DftServerSqlStmt *stmt);
/* The rows the statement, run to its end, inserted, updated or deleted. */
gint64 dft_server_sql_changes (DftServerSqlStmt *stmt);

/* Columns of the current row, counted from 0. Text is valid until the next step. */
const char *dft_server_sql_column_text (DftServerSqlStmt *stmt, int column);
char       *dft_server_sql_column_dup (DftServerSqlStmt *stmt, int column);
gint64      dft_server_sql_column_int64 (DftServerSqlStmt *stmt, int column);
gboolean    dft_server_sql_column_is_null (DftServerSqlStmt *stmt, int column);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftServerSqlStmt, dft_server_sql_stmt_free)

G_END_DECLS
