/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "dft-db.h"
#include "dft-server-db.h"
#include "dft-server-sql.h"
#include "dft-uuid.h"

#define MAX_NAME_LENGTH 200

struct _DftServerDb
{
  GObject parent_instance;

  DftServerSql *sql;
  int           version;
  /* One operation, and so one transaction, at a time: SQLite's one connection, or
   * PostgreSQL's, used by the server's worker threads in turn. */
  GMutex lock;
};

G_DEFINE_FINAL_TYPE (DftServerDb, dft_server_db, G_TYPE_OBJECT)
/* The quark's name is a string: the formatter would put spaces in it. */
/* clang-format off */
G_DEFINE_QUARK (dft-server-db-error-quark, dft_server_db_error)
/* clang-format on */

/*
 * Numbered, forward-only migrations, recorded in the table server_schema
 * rather than in SQLite's user_version so that the same numbers serve a
 * PostgreSQL backend. Types are the portable ones (TEXT, BIGINT, INTEGER);
 * ids are UUIDs made here, never sequences.
 */
static const char *const migrations[] = {
  /* 1: teams, accounts, devices and their tokens, enrolment codes, record owners. */
  "CREATE TABLE team ("
  "  id TEXT NOT NULL PRIMARY KEY,"
  "  name TEXT NOT NULL UNIQUE,"
  "  created_at BIGINT NOT NULL);"
  "CREATE TABLE account ("
  "  id TEXT NOT NULL PRIMARY KEY,"
  "  username TEXT NOT NULL UNIQUE,"
  "  role TEXT NOT NULL CHECK (role IN ('admin', 'coordinator', 'trainer')),"
  "  team_id TEXT REFERENCES team (id),"
  "  password_hash TEXT NOT NULL,"
  "  created_at BIGINT NOT NULL);"
  "CREATE TABLE device ("
  "  id TEXT NOT NULL PRIMARY KEY,"
  "  name TEXT NOT NULL,"
  "  account_id TEXT REFERENCES account (id),"
  "  role TEXT NOT NULL CHECK (role IN ('admin', 'coordinator', 'trainer')),"
  "  team_id TEXT REFERENCES team (id),"
  "  token_hash TEXT NOT NULL UNIQUE,"
  "  enrolled_at BIGINT NOT NULL,"
  "  expires_at BIGINT NOT NULL,"
  "  revoked_at BIGINT,"
  "  last_seen_at BIGINT);"
  "CREATE INDEX device_account ON device (account_id);"
  "CREATE TABLE enrolment_code ("
  "  code_hash TEXT NOT NULL PRIMARY KEY,"
  "  team_id TEXT REFERENCES team (id),"
  "  role TEXT NOT NULL CHECK (role IN ('coordinator', 'trainer')),"
  "  uses_left INTEGER NOT NULL,"
  "  expires_at BIGINT NOT NULL,"
  "  created_by TEXT,"
  "  created_at BIGINT NOT NULL);"
  "CREATE TABLE record_owner ("
  "  record_id TEXT NOT NULL PRIMARY KEY,"
  "  entity TEXT NOT NULL,"
  "  team_id TEXT REFERENCES team (id),"
  "  claimed_at BIGINT NOT NULL);"
  "CREATE INDEX record_owner_team ON record_owner (team_id);",
  /* 2: each device's Ed25519 public key, that its USB bundles are signed with (base64). */
  "ALTER TABLE device ADD COLUMN sign_key TEXT;",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == DFT_SERVER_DB_VERSION);

/* A device's role and team: its account's when it has one, else those of the code it used. */
#define DEVICE_SELECT                                                                              \
  "SELECT d.id, d.name, d.account_id, a.username,"                                                 \
  "  CASE WHEN d.account_id IS NULL THEN d.role ELSE a.role END,"                                  \
  "  t.id, t.name, d.enrolled_at, d.expires_at, d.revoked_at, d.last_seen_at, d.sign_key"          \
  " FROM device d"                                                                                 \
  " LEFT JOIN account a ON a.id = d.account_id"                                                    \
  " LEFT JOIN team t ON t.id = CASE WHEN d.account_id IS NULL THEN d.team_id ELSE a.team_id END"

#define ACCOUNT_SELECT                                                                             \
  "SELECT a.id, a.username, a.role, a.team_id, t.name, a.password_hash, a.created_at"              \
  " FROM account a LEFT JOIN team t ON t.id = a.team_id"

static const char *const role_names[] = { "admin", "coordinator", "trainer" };

const char *
dft_server_role_to_string (DftServerRole role)
{
  g_return_val_if_fail (role <= DFT_SERVER_ROLE_TRAINER, NULL);
  return role_names[role];
}

gboolean
dft_server_role_from_string (const char *text, DftServerRole *role)
{
  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (role_names); i++)
    if (g_str_equal (text, role_names[i]))
      {
        *role = (DftServerRole) i;
        return TRUE;
      }
  return FALSE;
}

void
dft_team_free (DftTeam *team)
{
  if (team == NULL)
    return;
  g_free (team->id);
  g_free (team->name);
  g_free (team);
}

void
dft_account_free (DftAccount *account)
{
  if (account == NULL)
    return;
  g_free (account->id);
  g_free (account->username);
  g_free (account->team_id);
  g_free (account->team_name);
  g_free (account->password_hash);
  g_free (account);
}

void
dft_device_free (DftDevice *device)
{
  if (device == NULL)
    return;
  g_free (device->id);
  g_free (device->name);
  g_free (device->account_id);
  g_free (device->username);
  g_free (device->team_id);
  g_free (device->team_name);
  g_free (device->sign_key);
  g_free (device);
}

static void
dft_server_db_finalize (GObject *object)
{
  DftServerDb *self = DFT_SERVER_DB (object);

  g_clear_pointer (&self->sql, dft_server_sql_close);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (dft_server_db_parent_class)->finalize (object);
}

static void
dft_server_db_class_init (DftServerDbClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dft_server_db_finalize;
}

static void
dft_server_db_init (DftServerDb *self)
{
  g_mutex_init (&self->lock);
}

/* ---- Helpers ------------------------------------------------------------ */

#define column_dup dft_server_sql_column_dup
#define bind_text  dft_server_sql_bind_text

/* A failure as the layer gave it, but for PostgreSQL being away, which a device may try
 * again: that is DFT_SERVER_DB_ERROR_UNAVAILABLE. */
static gboolean
propagate (GError **error, GError *local)
{
  if (g_error_matches (local, DFT_SERVER_SQL_ERROR, DFT_SERVER_SQL_ERROR_UNAVAILABLE))
    {
      local->domain = DFT_SERVER_DB_ERROR;
      local->code = DFT_SERVER_DB_ERROR_UNAVAILABLE;
    }
  g_propagate_error (error, local);
  return FALSE;
}

static gboolean
prepare (DftServerDb *self, const char *text, DftServerSqlStmt **stmt, GError **error)
{
  GError *local = NULL;

  g_assert (*stmt == NULL);
  *stmt = dft_server_sql_prepare (self->sql, text, &local);
  return *stmt != NULL || propagate (error, local);
}

static DftServerSqlStep
step (DftServerSqlStmt *stmt, GError **error)
{
  GError          *local = NULL;
  DftServerSqlStep rc = dft_server_sql_step (stmt, &local);

  if (rc == DFT_SERVER_SQL_FAILED)
    propagate (error, local);
  return rc;
}

static gboolean
step_done (DftServerSqlStmt *stmt, GError **error)
{
  GError *local = NULL;

  return dft_server_sql_step_done (stmt, &local) || propagate (error, local);
}

static gboolean
exec (DftServerDb *self, const char *script, GError **error)
{
  GError *local = NULL;

  return dft_server_sql_exec (self->sql, script, &local) || propagate (error, local);
}

static gboolean
begin (DftServerDb *self, GError **error)
{
  GError *local = NULL;

  return dft_server_sql_begin (self->sql, &local) || propagate (error, local);
}

static gboolean
commit (DftServerDb *self, GError **error)
{
  GError *local = NULL;

  return dft_server_sql_commit (self->sql, &local) || propagate (error, local);
}

static void
rollback (DftServerDb *self)
{
  dft_server_sql_rollback (self->sql);
}

static gboolean
not_found (GError **error, const char *message)
{
  g_set_error_literal (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_NOT_FOUND, message);
  return FALSE;
}

/* A name as people type it, trimmed, with no control characters, of a sane length. */
static char *
clean_name (const char *name, GError **error)
{
  g_autofree char *normal = NULL;

  if (name == NULL || !g_utf8_validate (name, -1, NULL))
    goto invalid;
  normal = g_utf8_normalize (name, -1, G_NORMALIZE_NFC);
  g_strstrip (normal);
  if (*normal == '\0' || g_utf8_strlen (normal, -1) > MAX_NAME_LENGTH)
    goto invalid;
  for (const char *p = normal; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      goto invalid;
  return g_steal_pointer (&normal);

invalid:
  g_set_error (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_INVALID,
               /* Translators: %d is a number of characters */
               _ ("A name must have between 1 and %d characters and no control characters."),
               MAX_NAME_LENGTH);
  return NULL;
}

/* User names meet whatever case they are typed in: "Aibek" and "aibek" are one account. */
static char *
username_key (const char *username, GError **error)
{
  g_autofree char *clean = clean_name (username, error);

  if (clean == NULL)
    return NULL;
  return g_utf8_casefold (clean, -1);
}

/* ---- Opening ------------------------------------------------------------ */

static gboolean
ensure_file (const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int              fd;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   /* Translators: first %s is a folder, second the system's reason */
                   _ ("The server cannot create its data folder “%s”: %s."), dir,
                   g_strerror (saved));
      return FALSE;
    }
  /* Private from the first byte: it holds password and token hashes. */
  fd = g_open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   /* Translators: first %s is a file, second the system's reason */
                   _ ("The server cannot create its database “%s”: %s."), path, g_strerror (saved));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

static gboolean
read_version (DftServerDb *self, int *version, GError **error)
{
  g_autoptr (DftServerSqlStmt) stmt = NULL;
  DftServerSqlStep             rc;

  if (!prepare (self, "SELECT version FROM server_schema", &stmt, error))
    return FALSE;
  rc = step (stmt, error);
  if (rc == DFT_SERVER_SQL_ROW)
    *version = (int) dft_server_sql_column_int64 (stmt, 0);
  else if (rc == DFT_SERVER_SQL_DONE)
    *version = 0;
  else
    return FALSE;
  return TRUE;
}

static gboolean
migrate (DftServerDb *self, GError **error)
{
  int version = 0;

  if (!begin (self, error))
    return FALSE;
  /* Servers sharing one PostgreSQL may start together: one migrates, the others then see it
   * done. (SQLite's BEGIN IMMEDIATE already keeps them apart.) The number is arbitrary, ours. */
  if (dft_server_sql_is_postgresql (self->sql)
      && !exec (self, "SELECT pg_advisory_xact_lock (2020020)", error))
    goto fail;
  if (!exec (self, "CREATE TABLE IF NOT EXISTS server_schema (version INTEGER NOT NULL)", error)
      || !read_version (self, &version, error))
    goto fail;

  if (version > DFT_SERVER_DB_VERSION)
    {
      if (dft_server_sql_is_postgresql (self->sql))
        g_set_error (error, DFT_DB_ERROR, DFT_DB_ERROR_NEWER_VERSION,
                     /* Translators: %s names a PostgreSQL database and its host */
                     _ ("The server database %s was written by a newer Daftari server. It was "
                        "left as it is; run the newer server."),
                     dft_server_sql_get_name (self->sql));
      else
        g_set_error (error, DFT_DB_ERROR, DFT_DB_ERROR_NEWER_VERSION,
                     /* Translators: %s is a file name */
                     _ ("The server database “%s” was written by a newer Daftari server. It was "
                        "left as it is; run the newer server."),
                     dft_server_sql_get_name (self->sql));
      goto fail;
    }

  for (int v = version; v < DFT_SERVER_DB_VERSION; v++)
    {
      g_autofree char *bump = NULL;

      if (!exec (self, migrations[v], error))
        goto fail;
      bump = v == 0 ? g_strdup_printf ("INSERT INTO server_schema (version) VALUES (%d)", v + 1)
                    : g_strdup_printf ("UPDATE server_schema SET version = %d", v + 1);
      if (!exec (self, bump, error))
        goto fail;
    }
  if (!commit (self, error))
    return FALSE;
  self->version = DFT_SERVER_DB_VERSION;
  return TRUE;

fail:
  rollback (self);
  return FALSE;
}

static DftServerDb *
open_sql (DftServerSql *sql, GError **error)
{
  g_autoptr (DftServerDb) self = g_object_new (DFT_TYPE_SERVER_DB, NULL);

  self->sql = sql;
  if (!migrate (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

DftServerDb *
dft_server_db_open (const char *path, GError **error)
{
  DftServerSql *sql;

  g_return_val_if_fail (path != NULL, NULL);

  if (!ensure_file (path, error))
    return NULL;
  sql = dft_server_sql_open_sqlite (path, error);
  return sql != NULL ? open_sql (sql, error) : NULL;
}

DftServerDb *
dft_server_db_open_storage (const char *storage, const char *path, GError **error)
{
  GError       *local = NULL;
  DftServerSql *sql;

  g_return_val_if_fail (path != NULL, NULL);

  if (!dft_server_sql_is_postgresql_uri (storage))
    return dft_server_db_open (path, error);
  sql = dft_server_sql_open_postgresql (storage, &local);
  if (sql == NULL)
    return propagate (error, local), NULL;
  return open_sql (sql, error);
}

int
dft_server_db_get_version (DftServerDb *self)
{
  g_return_val_if_fail (DFT_IS_SERVER_DB (self), 0);
  return self->version;
}

/* ---- Teams -------------------------------------------------------------- */

static DftTeam *
team_from_row (DftServerSqlStmt *stmt)
{
  DftTeam *team = g_new0 (DftTeam, 1);

  team->id = column_dup (stmt, 0);
  team->name = column_dup (stmt, 1);
  team->created_at = dft_server_sql_column_int64 (stmt, 2);
  return team;
}

DftTeam *
dft_server_db_create_team (DftServerDb *self, const char *name, GError **error)
{
  g_autoptr (GError)           local = NULL;
  g_autoptr (DftServerSqlStmt) stmt = NULL;
  g_autofree char             *clean = NULL;
  g_autoptr (DftTeam)          team = NULL;
  DftServerSqlStep             rc;

  g_return_val_if_fail (DFT_IS_SERVER_DB (self), NULL);

  clean = clean_name (name, error);
  if (clean == NULL)
    return NULL;

  team = g_new0 (DftTeam, 1);
  team->id = dft_uuid_v7_new ();
  team->name = g_steal_pointer (&clean);
  team->created_at = g_get_real_time () / G_USEC_PER_SEC;

  g_mutex_lock (&self->lock);
  if (!prepare (self, "INSERT INTO team (id, name, created_at) VALUES ($1, $2, $3)", &stmt, error))
    goto out;
  bind_text (stmt, 1, team->id);
  bind_text (stmt, 2, team->name);
  dft_server_sql_bind_int64 (stmt, 3, team->created_at);
  rc = dft_server_sql_step (stmt, &local);
  if (rc == DFT_SERVER_SQL_DONE)
    {
      g_mutex_unlock (&self->lock);
      return g_steal_pointer (&team);
    }
  if (g_error_matches (local, DFT_SERVER_SQL_ERROR, DFT_SERVER_SQL_ERROR_UNIQUE))
    g_set_error (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_EXISTS,
                 /* Translators: %s is a team name */
                 _ ("There is already a team named “%s”."), team->name);
  else
    propagate (error, g_steal_pointer (&local));
out:
  g_mutex_unlock (&self->lock);
  return NULL;
}

DftTeam *
dft_server_db_find_team (DftServerDb *self, const char *name_or_id, GError **error)
{
  g_autoptr (DftServerSqlStmt) stmt = NULL;
  g_autofree char             *clean = NULL;
  DftTeam                     *team = NULL;
  DftServerSqlStep             rc;

  g_return_val_if_fail (DFT_IS_SERVER_DB (self), NULL);

  clean = clean_name (name_or_id, NULL);
  g_mutex_lock (&self->lock);
  if (!prepare (self, "SELECT id, name, created_at FROM team WHERE id = $1 OR name = $2", &stmt,
                error))
    goto out;
  bind_text (stmt, 1, name_or_id);
  bind_text (stmt, 2, clean != NULL ? clean : name_or_id);
  rc = step (stmt, error);
  if (rc == DFT_SERVER_SQL_ROW)
    team = team_from_row (stmt);
  else if (rc == DFT_SERVER_SQL_DONE)
    g_set_error (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_NOT_FOUND,
                 /* Translators: %s is what was typed as a team name */
                 _ ("There is no team “%s”."), name_or_id);
out:
  g_mutex_unlock (&self->lock);
  return team;
}

typedef gpointer (*RowFunc) (DftServerSqlStmt *stmt);

static GPtrArray *
list_rows (
    DftServerDb *self, const char *sql, RowFunc row, GDestroyNotify free_func, GError **error)
{
  g_autoptr (DftServerSqlStmt) stmt = NULL;
  g_autoptr (GPtrArray)        rows = g_ptr_array_new_with_free_func (free_func);
  DftServerSqlStep             rc;

  g_mutex_lock (&self->lock);
  if (!prepare (self, sql, &stmt, error))
    {
      g_mutex_unlock (&self->lock);
      return NULL;
    }
  while ((rc = step (stmt, error)) == DFT_SERVER_SQL_ROW)
    g_ptr_array_add (rows, row (stmt));
  if (rc != DFT_SERVER_SQL_DONE)
    {
      g_mutex_unlock (&self->lock);
      return NULL;
    }
  g_mutex_unlock (&self->lock);
  return g_steal_pointer (&rows);
}

GPtrArray *
dft_server_db_list_teams (DftServerDb *self, GError **error)
{
  g_return_val_if_fail (DFT_IS_SERVER_DB (self), NULL);
  return list_rows (self, "SELECT id, name, created_at FROM team ORDER BY name",
                    (RowFunc) team_from_row, (GDestroyNotify) dft_team_free, error);
}

/* ---- Accounts ----------------------------------------------------------- */

static DftAccount *
account_from_row (DftServerSqlStmt *stmt)
{
  DftAccount *account = g_new0 (DftAccount, 1);

  account->id = column_dup (stmt, 0);
  account->username = column_dup (stmt, 1);
  dft_server_role_from_string (dft_server_sql_column_text (stmt, 2), &account->role);
  account->team_id = column_dup (stmt, 3);
  account->team_name = column_dup (stmt, 4);
  account->password_hash = column_dup (stmt, 5);
  account->created_at = dft_server_sql_column_int64 (stmt, 6);
  return account;
}

static DftAccount *
find_account_locked (DftServerDb *self, const char *where, const char *value, GError **error)
{
  g_autoptr (DftServerSqlStmt) stmt = NULL;
  g_autofree char             *sql = g_strconcat (ACCOUNT_SELECT " WHERE ", where, NULL);
  DftServerSqlStep             rc;

  if (!prepare (self, sql, &stmt, error))
    return NULL;
  bind_text (stmt, 1, value);
  rc = step (stmt, error);
  if (rc == DFT_SERVER_SQL_ROW)
    return account_from_row (stmt);
  if (rc == DFT_SERVER_SQL_DONE)
    not_found (error, _ ("There is no such account."));
  return NULL;
}

DftAccount *
dft_server_db_create_account (DftServerDb  *self,
                              const char   *username,
                              DftServerRole role,
                              const char   *team_id,
                              const char   *password_hash,
                              GError      **error)
{
  g_autoptr (GError)           local = NULL;
  g_autoptr (DftServerSqlStmt) stmt = NULL;
  g_autofree char             *key = NULL;
  g_autofree char             *id = NULL;
  DftAccount                  *account = NULL;
  DftServerSqlStep             rc;

  g_return_val_if_fail (DFT_IS_SERVER_DB (self), NULL);
  g_return_val_if_fail (password_hash != NULL, NULL);

  key = username_key (username, error);
  if (key == NULL)
    return NULL;
  if (role == DFT_SERVER_ROLE_TRAINER && team_id == NULL)
    {
      g_set_error_literal (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_INVALID,
                           _ ("A trainer belongs to a team: name one."));
      return NULL;
    }
  if (role == DFT_SERVER_ROLE_ADMIN && team_id != NULL)
    {
      g_set_error_literal (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_INVALID,
                           _ ("An admin sees every team and belongs to none."));
      return NULL;
    }

  id = dft_uuid_v7_new ();
  g_mutex_lock (&self->lock);
  if (!prepare (self,
                "INSERT INTO account (id, username, role, team_id, password_hash, created_at)"
                " VALUES ($1, $2, $3, $4, $5, $6)",
                &stmt, error))
    goto out;
  bind_text (stmt, 1, id);
  bind_text (stmt, 2, key);
  bind_text (stmt, 3, dft_server_role_to_string (role));
  bind_text (stmt, 4, team_id);
  bind_text (stmt, 5, password_hash);
  dft_server_sql_bind_int64 (stmt, 6, g_get_real_time () / G_USEC_PER_SEC);
  rc = dft_server_sql_step (stmt, &local);
  if (rc == DFT_SERVER_SQL_DONE)
    account = find_account_locked (self, "a.id = $1", id, error);
  else if (g_error_matches (local, DFT_SERVER_SQL_ERROR, DFT_SERVER_SQL_ERROR_UNIQUE))
    g_set_error (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_EXISTS,
                 /* Translators: %s is a user name */
                 _ ("There is already an account “%s”."), key);
  else if (g_error_matches (local, DFT_SERVER_SQL_ERROR, DFT_SERVER_SQL_ERROR_FOREIGN_KEY))
    not_found (error, _ ("There is no such team."));
  else
    propagate (error, g_steal_pointer (&local));
out:
  g_mutex_unlock (&self->lock);
  return account;
}

DftAccount *
dft_server_db_find_account (DftServerDb *self, const char *username, GError **error)
{
  g_autofree char *key = NULL;
  DftAccount      *account;

  g_return_val_if_fail (DFT_IS_SERVER_DB (self), NULL);

  key = username_key (username, NULL);
  if (key == NULL)
    return not_found (error, _ ("There is no such account.")), NULL;
  g_mutex_lock (&self->lock);
  account = find_account_locked (self, "a.username = $1", key, error);
  g_mutex_unlock (&self->lock);
  return account;
}

GPtrArray *
dft_server_db_list_accounts (DftServerDb *self, GError **error)
{
  g_return_val_if_fail (DFT_IS_SERVER_DB (self), NULL);
  return list_rows (self, ACCOUNT_SELECT " ORDER BY a.username", (RowFunc) account_from_row,
                    (GDestroyNotify) dft_account_free, error);
}

/* ---- Devices ------------------------------------------------------------ */

static DftDevice *
device_from_row (DftServerSqlStmt *stmt)
{
  DftDevice *device = g_new0 (DftDevice, 1);

  device->id = column_dup (stmt, 0);
  device->name = column_dup (stmt, 1);
  device->account_id = column_dup (stmt, 2);
  device->username = column_dup (stmt, 3);
  dft_server_role_from_string (dft_server_sql_column_text (stmt, 4), &device->role);
  device->team_id = column_dup (stmt, 5);
  device->team_name = column_dup (stmt, 6);
  device->enrolled_at = dft_server_sql_column_int64 (stmt, 7);
  device->expires_at = dft_server_sql_column_int64 (stmt, 8);
  device->revoked_at = dft_server_sql_column_int64 (stmt, 9);
  device->last_seen_at = dft_server_sql_column_int64 (stmt, 10);
  device->sign_key = column_dup (stmt, 11);
  return device;
}

static DftDevice *
find_device_locked (DftServerDb *self, const char *where, const char *value, GError **error)
{
  g_autoptr (DftServerSqlStmt) stmt = NULL;
  g_autofree char             *sql = g_strconcat (DEVICE_SELECT " WHERE ", where, NULL);
  DftServerSqlStep             rc;

  if (!prepare (self, sql, &stmt, error))
    return NULL;
  bind_text (stmt, 1, value);
  rc = step (stmt, error);
  if (rc == DFT_SERVER_SQL_ROW)
    return device_from_row (stmt);
  if (rc == DFT_SERVER_SQL_DONE)
    not_found (error, _ ("There is no such device."));
  return NULL;
}

/*
 * Writes the device row, replacing an earlier enrolment of the same device id
 * when that is allowed: the same account signing in again, or a token that
 * has expired. A revoked device id is never enrolled again. Runs inside the
 * caller's transaction.
 */
static gboolean
write_device_locked (DftServerDb *self,
                     const char  *device_id,
                     const char  *device_name,
                     const char  *account_id,
                     const char  *role,
                     const char  *team_id,
                     const char  *token_hash,
                     const char  *sign_key,
                     gint64       now,
                     gint64       expires_at,
                     GError     **error)
{
  g_autoptr (DftServerSqlStmt) find = NULL;
  g_autoptr (DftServerSqlStmt) write = NULL;
  gboolean                     exists = FALSE;
  DftServerSqlStep             rc;

  if (!prepare (self, "SELECT account_id, revoked_at, expires_at FROM device WHERE id = $1", &find,
                error))
    return FALSE;
  bind_text (find, 1, device_id);
  rc = step (find, error);
  if (rc == DFT_SERVER_SQL_ROW)
    {
      const char *held_account = dft_server_sql_column_text (find, 0);
      gboolean    revoked = !dft_server_sql_column_is_null (find, 1);
      gboolean    expired = dft_server_sql_column_int64 (find, 2) <= now;
      gboolean    same_account = account_id != NULL && g_strcmp0 (held_account, account_id) == 0;

      /* A revoked device id stays revoked: whoever holds the laptop (or only knows its id)
       * does not get its place, its history or its team back by signing in again. */
      if (revoked)
        {
          g_set_error_literal (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_CONFLICT,
                               _ ("This device was revoked and cannot be enrolled again. Sign in "
                                  "from a new Daftari database, or ask a coordinator."));
          return FALSE;
        }
      if (!expired && !same_account)
        {
          g_set_error_literal (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_CONFLICT,
                               _ ("This device is already enrolled for another account. Ask a "
                                  "coordinator to revoke it first."));
          return FALSE;
        }
      exists = TRUE;
    }
  else if (rc != DFT_SERVER_SQL_DONE)
    return FALSE;

  if (!prepare (self,
                exists ? "UPDATE device SET name = $2, account_id = $3, role = $4, team_id = $5,"
                         " token_hash = $6, enrolled_at = $7, expires_at = $8, revoked_at = NULL,"
                         " last_seen_at = $7, sign_key = $9 WHERE id = $1"
                       : "INSERT INTO device (id, name, account_id, role, team_id, token_hash,"
                         " enrolled_at, expires_at, revoked_at, last_seen_at, sign_key)"
                         " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $7, $9)",
                &write, error))
    return FALSE;
  bind_text (write, 1, device_id);
  bind_text (write, 2, device_name != NULL ? device_name : "");
  bind_text (write, 3, account_id);
  bind_text (write, 4, role);
  bind_text (write, 5, team_id);
  bind_text (write, 6, token_hash);
  dft_server_sql_bind_int64 (write, 7, now);
  dft_server_sql_bind_int64 (write, 8, expires_at);
  bind_text (write, 9, sign_key);
  rc = step (write, error);
  if (rc != DFT_SERVER_SQL_DONE)
    return FALSE;
  return TRUE;
}

/* Writes the device row and commits the transaction the caller began; rolls back on failure. */
static DftDevice *
enrol_and_commit_locked (DftServerDb  *self,
                         const char   *device_id,
                         const char   *device_name,
                         const char   *account_id,
                         DftServerRole role,
                         const char   *team_id,
                         const char   *token_hash,
                         const char   *sign_key,
                         gint64        now,
                         gint64        expires_at,
                         GError      **error)
{
  if (!write_device_locked (self, device_id, device_name, account_id,
                            dft_server_role_to_string (role), team_id, token_hash, sign_key, now,
                            expires_at, error))
    {
      rollback (self);
      return NULL;
    }
  if (!commit (self, error))
    return NULL;
  return find_device_locked (self, "d.id = $1", device_id, error);
}

DftDevice *
dft_server_db_enrol_with_account (DftServerDb *self,
                                  const char  *account_id,
                                  const char  *device_id,
                                  const char  *device_name,
                                  const char  *token_hash,
                                  const char  *sign_key,
                                  gint64       now,
                                  gint64       expires_at,
                                  GError     **error)
{
  g_autoptr (DftAccount) account = NULL;
  DftDevice             *device = NULL;

  g_return_val_if_fail (DFT_IS_SERVER_DB (self), NULL);
  g_return_val_if_fail (account_id != NULL && device_id != NULL && token_hash != NULL, NULL);

  g_mutex_lock (&self->lock);
  if (!begin (self, error))
    goto out;
  account = find_account_locked (self, "a.id = $1", account_id, error);
  if (account == NULL)
    rollback (self);
  else
    device
        = enrol_and_commit_locked (self, device_id, device_name, account_id, account->role,
                                   account->team_id, token_hash, sign_key, now, expires_at, error);
out:
  g_mutex_unlock (&self->lock);
  return device;
}

DftDevice *
dft_server_db_enrol_like (DftServerDb     *self,
                          const DftDevice *parent,
                          const char      *device_id,
                          const char      *device_name,
                          const char      *token_hash,
                          const char      *sign_key,
                          gint64           now,
                          GError         **error)
{
  DftDevice *device = NULL;

  g_return_val_if_fail (DFT_IS_SERVER_DB (self), NULL);
  g_return_val_if_fail (parent != NULL && device_id != NULL && token_hash != NULL, NULL);

  g_mutex_lock (&self->lock);
  if (begin (self, error))
    device = enrol_and_commit_locked (
        self, device_id, device_name, parent->account_id, parent->role, parent->team_id, token_hash,
        sign_key != NULL ? sign_key : parent->sign_key, now, parent->expires_at, error);
  g_mutex_unlock (&self->lock);
  return device;
}

DftDevice *
dft_server_db_enrol_with_code (DftServerDb *self,
                               const char  *code_hash,
                               const char  *device_id,
                               const char  *device_name,
                               const char  *token_hash,
                               const char  *sign_key,
                               gint64       now,
                               gint64       expires_at,
                               GError     **error)
{
  g_autoptr (DftServerSqlStmt) find = NULL;
  g_autoptr (DftServerSqlStmt) use = NULL;
  g_autofree char             *team_id = NULL;
  g_autofree char             *role = NULL;
  DftDevice                   *device = NULL;
  DftServerSqlStep             rc;

  g_return_val_if_fail (DFT_IS_SERVER_DB (self), NULL);
  g_return_val_if_fail (code_hash != NULL && device_id != NULL && token_hash != NULL, NULL);

  g_mutex_lock (&self->lock);
  if (!begin (self, error))
    goto out;
  if (!prepare (self,
                "SELECT team_id, role FROM enrolment_code"
                " WHERE code_hash = $1 AND uses_left > 0 AND expires_at > $2",
                &find, error))
    goto fail;
  bind_text (find, 1, code_hash);
  dft_server_sql_bind_int64 (find, 2, now);
  rc = step (find, error);
  if (rc == DFT_SERVER_SQL_DONE)
    {
      /* One message for unknown, expired and used up: a guesser learns nothing. */
      g_set_error_literal (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_CODE_INVALID,
                           _ ("This enrolment code is not valid: it may have expired or been "
                              "used already. Ask your coordinator for a new one."));
      goto fail;
    }
  if (rc != DFT_SERVER_SQL_ROW)
    {
      goto fail;
    }
  team_id = column_dup (find, 0);
  role = column_dup (find, 1);

  /* "uses_left > 0" again: another server process on the same PostgreSQL may have used the
   * last use since the SELECT; its row lock makes this UPDATE wait and then see it. */
  if (!prepare (self,
                "UPDATE enrolment_code SET uses_left = uses_left - 1"
                " WHERE code_hash = $1 AND uses_left > 0",
                &use, error))
    goto fail;
  bind_text (use, 1, code_hash);
  if (!step_done (use, error))
    goto fail;
  if (dft_server_sql_changes (use) != 1)
    {
      g_set_error_literal (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_CODE_INVALID,
                           _ ("This enrolment code is not valid: it may have expired or been "
                              "used already. Ask your coordinator for a new one."));
      goto fail;
    }
  if (!write_device_locked (self, device_id, device_name, NULL, role, team_id, token_hash, sign_key,
                            now, expires_at, error))
    goto fail;
  if (commit (self, error))
    device = find_device_locked (self, "d.id = $1", device_id, error);
  goto out;

fail:
  rollback (self);
out:
  g_mutex_unlock (&self->lock);
  return device;
}

DftDevice *
dft_server_db_find_device_by_token (DftServerDb *self, const char *token_hash, GError **error)
{
  DftDevice *device;

  g_return_val_if_fail (DFT_IS_SERVER_DB (self), NULL);
  g_return_val_if_fail (token_hash != NULL, NULL);

  g_mutex_lock (&self->lock);
  device = find_device_locked (self, "d.token_hash = $1", token_hash, error);
  g_mutex_unlock (&self->lock);
  return device;
}

DftDevice *
dft_server_db_find_device (DftServerDb *self, const char *device_id, GError **error)
{
  DftDevice *device;

  g_return_val_if_fail (DFT_IS_SERVER_DB (self), NULL);
  g_return_val_if_fail (device_id != NULL, NULL);

  g_mutex_lock (&self->lock);
  device = find_device_locked (self, "d.id = $1", device_id, error);
  g_mutex_unlock (&self->lock);
  return device;
}

GPtrArray *
dft_server_db_list_devices (DftServerDb *self, GError **error)
{
  g_return_val_if_fail (DFT_IS_SERVER_DB (self), NULL);
  return list_rows (self, DEVICE_SELECT " ORDER BY d.enrolled_at, d.id", (RowFunc) device_from_row,
                    (GDestroyNotify) dft_device_free, error);
}

static gboolean
update_device (DftServerDb *self,
               const char  *sql,
               const char  *device_id,
               gint64       now,
               gboolean     must_exist,
               GError     **error)
{
  g_autoptr (DftServerSqlStmt) stmt = NULL;
  gboolean                     ok = FALSE;

  g_mutex_lock (&self->lock);
  if (prepare (self, sql, &stmt, error))
    {
      dft_server_sql_bind_int64 (stmt, 1, now);
      bind_text (stmt, 2, device_id);
      ok = step_done (stmt, error);
      if (ok && must_exist && dft_server_sql_changes (stmt) == 0)
        ok = not_found (error, _ ("There is no such device."));
    }
  g_mutex_unlock (&self->lock);
  return ok;
}

gboolean
dft_server_db_revoke_device (DftServerDb *self, const char *device_id, gint64 now, GError **error)
{
  g_return_val_if_fail (DFT_IS_SERVER_DB (self), FALSE);
  g_return_val_if_fail (device_id != NULL, FALSE);

  /* Revoking twice keeps the first time: that is when the device was lost. */
  return update_device (self,
                        "UPDATE device SET revoked_at = COALESCE (revoked_at, $1) WHERE id = $2",
                        device_id, now, TRUE, error);
}

gboolean
dft_server_db_touch_device (DftServerDb *self, const char *device_id, gint64 now, GError **error)
{
  g_return_val_if_fail (DFT_IS_SERVER_DB (self), FALSE);
  g_return_val_if_fail (device_id != NULL, FALSE);

  return update_device (self, "UPDATE device SET last_seen_at = $1 WHERE id = $2", device_id, now,
                        FALSE, error);
}

/* ---- Enrolment codes ---------------------------------------------------- */

gboolean
dft_server_db_add_enrolment_code (DftServerDb  *self,
                                  const char   *code_hash,
                                  const char   *team_id,
                                  DftServerRole role,
                                  guint         uses,
                                  gint64        now,
                                  gint64        expires_at,
                                  const char   *created_by,
                                  GError      **error)
{
  g_autoptr (GError)           local = NULL;
  g_autoptr (DftServerSqlStmt) stmt = NULL;
  gboolean                     ok = FALSE;
  DftServerSqlStep             rc;

  g_return_val_if_fail (DFT_IS_SERVER_DB (self), FALSE);
  g_return_val_if_fail (code_hash != NULL, FALSE);

  if (role == DFT_SERVER_ROLE_ADMIN || uses == 0
      || (role == DFT_SERVER_ROLE_TRAINER && team_id == NULL))
    {
      g_set_error_literal (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_INVALID,
                           _ ("An enrolment code makes a trainer of a team or a coordinator, for "
                              "one use or more."));
      return FALSE;
    }

  g_mutex_lock (&self->lock);
  if (prepare (self,
               "INSERT INTO enrolment_code (code_hash, team_id, role, uses_left, expires_at,"
               " created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
               &stmt, error))
    {
      bind_text (stmt, 1, code_hash);
      bind_text (stmt, 2, team_id);
      bind_text (stmt, 3, dft_server_role_to_string (role));
      dft_server_sql_bind_int64 (stmt, 4, uses);
      dft_server_sql_bind_int64 (stmt, 5, expires_at);
      bind_text (stmt, 6, created_by);
      dft_server_sql_bind_int64 (stmt, 7, now);
      rc = dft_server_sql_step (stmt, &local);
      if (rc == DFT_SERVER_SQL_DONE)
        ok = TRUE;
      else if (g_error_matches (local, DFT_SERVER_SQL_ERROR, DFT_SERVER_SQL_ERROR_FOREIGN_KEY))
        not_found (error, _ ("There is no such team."));
      else
        propagate (error, g_steal_pointer (&local));
    }
  g_mutex_unlock (&self->lock);
  return ok;
}

/* ---- Record owners ------------------------------------------------------ */

gboolean
dft_server_db_get_owner (
    DftServerDb *self, const char *record_id, gboolean *claimed, char **team_id, GError **error)
{
  g_autoptr (DftServerSqlStmt) stmt = NULL;
  gboolean                     ok = FALSE;
  DftServerSqlStep             rc;

  g_return_val_if_fail (DFT_IS_SERVER_DB (self), FALSE);
  g_return_val_if_fail (record_id != NULL && claimed != NULL && team_id != NULL, FALSE);

  *claimed = FALSE;
  *team_id = NULL;
  g_mutex_lock (&self->lock);
  if (prepare (self, "SELECT team_id FROM record_owner WHERE record_id = $1", &stmt, error))
    {
      bind_text (stmt, 1, record_id);
      rc = step (stmt, error);
      if (rc == DFT_SERVER_SQL_ROW)
        {
          *claimed = TRUE;
          *team_id = column_dup (stmt, 0);
          ok = TRUE;
        }
      else if (rc == DFT_SERVER_SQL_DONE)
        ok = TRUE;
    }
  g_mutex_unlock (&self->lock);
  return ok;
}

/* Ids asked in one statement: well under the 999 parameters every SQLite allows. */
#define OWNERS_CHUNK 256

GHashTable *
dft_server_db_get_owners (DftServerDb *self, GPtrArray *record_ids, GError **error)
{
  g_autoptr (GHashTable) owners = NULL;

  g_return_val_if_fail (DFT_IS_SERVER_DB (self), NULL);
  g_return_val_if_fail (record_ids != NULL, NULL);

  owners = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_mutex_lock (&self->lock);
  for (guint start = 0; start < record_ids->len; start += OWNERS_CHUNK)
    {
      guint               n = MIN (OWNERS_CHUNK, record_ids->len - start);
      g_autoptr (GString) sql
          = g_string_new ("SELECT record_id, team_id FROM record_owner WHERE record_id IN ($1");
      g_autoptr (DftServerSqlStmt) stmt = NULL;
      DftServerSqlStep             rc;

      /* Plain IN (?, ?, …), not a JSON function: PostgreSQL reads it as well. */
      for (guint i = 1; i < n; i++)
        g_string_append_printf (sql, ", $%u", i + 1);
      g_string_append_c (sql, ')');
      if (!prepare (self, sql->str, &stmt, error))
        goto fail;
      for (guint i = 0; i < n; i++)
        bind_text (stmt, (int) i + 1, g_ptr_array_index (record_ids, start + i));
      while ((rc = step (stmt, error)) == DFT_SERVER_SQL_ROW)
        g_hash_table_insert (owners, column_dup (stmt, 0), column_dup (stmt, 1));
      if (rc != DFT_SERVER_SQL_DONE)
        {
          goto fail;
        }
    }
  g_mutex_unlock (&self->lock);
  return g_steal_pointer (&owners);

fail:
  g_mutex_unlock (&self->lock);
  return NULL;
}

gboolean
dft_server_db_claim (DftServerDb *self,
                     GPtrArray   *record_ids,
                     GPtrArray   *entities,
                     const char  *team_id,
                     gint64       now,
                     GError     **error)
{
  g_autoptr (DftServerSqlStmt) stmt = NULL;

  g_return_val_if_fail (DFT_IS_SERVER_DB (self), FALSE);
  g_return_val_if_fail (record_ids != NULL && entities != NULL, FALSE);
  g_return_val_if_fail (record_ids->len == entities->len, FALSE);

  if (record_ids->len == 0)
    return TRUE;

  g_mutex_lock (&self->lock);
  if (!begin (self, error))
    goto out;
  /* ON CONFLICT DO NOTHING: SQLite 3.24 and PostgreSQL 9.5 both read it. */
  if (!prepare (self,
                "INSERT INTO record_owner (record_id, entity, team_id, claimed_at)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT (record_id) DO NOTHING",
                &stmt, error))
    goto fail;
  for (guint i = 0; i < record_ids->len; i++)
    {
      dft_server_sql_reset (stmt);
      bind_text (stmt, 1, g_ptr_array_index (record_ids, i));
      bind_text (stmt, 2, g_ptr_array_index (entities, i));
      bind_text (stmt, 3, team_id);
      dft_server_sql_bind_int64 (stmt, 4, now);
      if (!step_done (stmt, error))
        goto fail;
    }
  if (commit (self, error))
    {
      g_mutex_unlock (&self->lock);
      return TRUE;
    }
  goto out;

fail:
  rollback (self);
out:
  g_mutex_unlock (&self->lock);
  return FALSE;
}

gboolean
dft_server_db_unclaim (DftServerDb *self, GPtrArray *record_ids, GError **error)
{
  g_autoptr (DftServerSqlStmt) stmt = NULL;

  g_return_val_if_fail (DFT_IS_SERVER_DB (self), FALSE);
  g_return_val_if_fail (record_ids != NULL, FALSE);

  if (record_ids->len == 0)
    return TRUE;

  g_mutex_lock (&self->lock);
  if (!begin (self, error))
    goto out;
  if (!prepare (self, "DELETE FROM record_owner WHERE record_id = $1", &stmt, error))
    goto fail;
  for (guint i = 0; i < record_ids->len; i++)
    {
      dft_server_sql_reset (stmt);
      bind_text (stmt, 1, g_ptr_array_index (record_ids, i));
      if (!step_done (stmt, error))
        goto fail;
    }
  if (commit (self, error))
    {
      g_mutex_unlock (&self->lock);
      return TRUE;
    }
  goto out;

fail:
  rollback (self);
out:
  g_mutex_unlock (&self->lock);
  return FALSE;
}

GPtrArray *
dft_server_db_list_owned (DftServerDb *self,
                          const char  *team_id,
                          guint       *n_workshops,
                          GError     **error)
{
  g_autoptr (DftServerSqlStmt) stmt = NULL;
  g_autoptr (GPtrArray)        ids = g_ptr_array_new_with_free_func (g_free);
  DftServerSqlStep             rc = DFT_SERVER_SQL_FAILED;

  g_return_val_if_fail (DFT_IS_SERVER_DB (self), NULL);
  g_return_val_if_fail (team_id != NULL && n_workshops != NULL, NULL);

  *n_workshops = 0;
  g_mutex_lock (&self->lock);
  if (prepare (self, "SELECT record_id, entity FROM record_owner WHERE team_id = $1", &stmt, error))
    {
      bind_text (stmt, 1, team_id);
      while ((rc = step (stmt, error)) == DFT_SERVER_SQL_ROW)
        {
          g_ptr_array_add (ids, column_dup (stmt, 0));
          if (g_strcmp0 (dft_server_sql_column_text (stmt, 1), "event") == 0)
            (*n_workshops)++;
        }
    }
  g_mutex_unlock (&self->lock);
  return rc == DFT_SERVER_SQL_DONE ? g_steal_pointer (&ids) : NULL;
}

gboolean
dft_server_db_set_owner (DftServerDb *self,
                         const char  *record_id,
                         const char  *entity,
                         const char  *team_id,
                         gint64       now,
                         GError     **error)
{
  g_autoptr (DftServerSqlStmt) stmt = NULL;
  gboolean                     ok = FALSE;

  g_return_val_if_fail (DFT_IS_SERVER_DB (self), FALSE);
  g_return_val_if_fail (record_id != NULL && entity != NULL, FALSE);

  g_mutex_lock (&self->lock);
  if (prepare (self,
               "INSERT INTO record_owner (record_id, entity, team_id, claimed_at)"
               " VALUES ($1, $2, $3, $4) ON CONFLICT (record_id) DO UPDATE"
               " SET team_id = excluded.team_id, claimed_at = excluded.claimed_at",
               &stmt, error))
    {
      bind_text (stmt, 1, record_id);
      bind_text (stmt, 2, entity);
      bind_text (stmt, 3, team_id);
      dft_server_sql_bind_int64 (stmt, 4, now);
      ok = step_done (stmt, error);
    }
  g_mutex_unlock (&self->lock);
  return ok;
}

/* ---- Copying to another database ---------------------------------------- */

typedef struct
{
  const char *name;
  const char *columns;  /* in the order they are read and written */
  const char *integers; /* which of them are integers: 'i' for each, '-' for text */
} Table;

/* Parents before children, for the foreign keys. */
static const Table tables[] = {
  { "team", "id, name, created_at", "--i" },
  { "account", "id, username, role, team_id, password_hash, created_at", "-----i" },
  { "device",
    "id, name, account_id, role, team_id, token_hash, enrolled_at, expires_at, revoked_at,"
    " last_seen_at, sign_key",
    "------iiii-" },
  { "enrolment_code", "code_hash, team_id, role, uses_left, expires_at, created_by, created_at",
    "---ii-i" },
  { "record_owner", "record_id, entity, team_id, claimed_at", "---i" },
};

void
dft_server_db_append_field (GString *line, const char *value)
{
  if (value == NULL)
    {
      g_string_append (line, "\\N");
      return;
    }
  for (const char *p = value; *p != '\0'; p++)
    if (*p == '\\')
      g_string_append (line, "\\\\");
    else if (*p == '\t')
      g_string_append (line, "\\t");
    else if (*p == '\n')
      g_string_append (line, "\\n");
    else
      g_string_append_c (line, *p);
}

static int
compare_lines (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/*
 * Every row of @table as text, and the SHA-256 of those lines sorted bytewise (primary key
 * first, so in key order): the same on SQLite and PostgreSQL, whose own collations may differ.
 * Integers read back as the same decimal text on both.
 */
static gboolean
table_digest (DftServerDb *self, const Table *table, guint *rows, char **digest, GError **error)
{
  g_autoptr (DftServerSqlStmt) stmt = NULL;
  g_autoptr (GPtrArray)        lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GChecksum)        sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *sql = g_strdup_printf ("SELECT %s FROM %s", table->columns, table->name);
  guint            n = (guint) strlen (table->integers);
  DftServerSqlStep rc;

  if (!prepare (self, sql, &stmt, error))
    return FALSE;
  while ((rc = step (stmt, error)) == DFT_SERVER_SQL_ROW)
    {
      GString *line = g_string_new (NULL);

      for (guint i = 0; i < n; i++)
        {
          if (i > 0)
            g_string_append_c (line, '\t');
          dft_server_db_append_field (line, dft_server_sql_column_text (stmt, (int) i));
        }
      g_string_append_c (line, '\n');
      g_ptr_array_add (lines, g_string_free (line, FALSE));
    }
  if (rc != DFT_SERVER_SQL_DONE)
    return FALSE;
  g_ptr_array_sort (lines, compare_lines);
  for (guint i = 0; i < lines->len; i++)
    g_checksum_update (sum, g_ptr_array_index (lines, i), -1);
  *rows = lines->len;
  *digest = g_strdup (g_checksum_get_string (sum));
  return TRUE;
}

static gboolean
copy_table (DftServerDb *from, DftServerDb *to, const Table *table, GError **error)
{
  g_autoptr (DftServerSqlStmt) read = NULL;
  g_autoptr (DftServerSqlStmt) write = NULL;
  g_autofree char    *select = g_strdup_printf ("SELECT %s FROM %s", table->columns, table->name);
  g_autoptr (GString) insert = g_string_new (NULL);
  guint               n = (guint) strlen (table->integers);
  DftServerSqlStep    rc;

  g_string_printf (insert, "INSERT INTO %s (%s) VALUES ($1", table->name, table->columns);
  for (guint i = 2; i <= n; i++)
    g_string_append_printf (insert, ", $%u", i);
  g_string_append_c (insert, ')');
  if (!prepare (from, select, &read, error) || !prepare (to, insert->str, &write, error))
    return FALSE;
  while ((rc = step (read, error)) == DFT_SERVER_SQL_ROW)
    {
      dft_server_sql_reset (write);
      for (guint i = 0; i < n; i++)
        if (table->integers[i] == 'i' && !dft_server_sql_column_is_null (read, (int) i))
          dft_server_sql_bind_int64 (write, (int) i + 1,
                                     dft_server_sql_column_int64 (read, (int) i));
        else
          bind_text (write, (int) i + 1, dft_server_sql_column_text (read, (int) i));
      if (!step_done (write, error))
        return FALSE;
    }
  return rc == DFT_SERVER_SQL_DONE;
}

gboolean
dft_server_db_copy_to (DftServerDb *self, DftServerDb *target, GString *report, GError **error)
{
  return dft_server_db_copy_to_with (self, target, NULL, NULL, report, error);
}

gboolean
dft_server_db_copy_to_with (DftServerDb        *self,
                            DftServerDb        *target,
                            DftServerDbCopyFunc also,
                            gpointer            data,
                            GString            *report,
                            GError            **error)
{
  gboolean ok = FALSE;

  g_return_val_if_fail (DFT_IS_SERVER_DB (self) && DFT_IS_SERVER_DB (target), FALSE);
  g_return_val_if_fail (self != target && report != NULL, FALSE);

  g_mutex_lock (&self->lock);
  g_mutex_lock (&target->lock);
  /* The source read in one transaction, so that the copy is of one moment; the target written
   * in one, so that a failure leaves it empty. */
  if (!begin (self, error))
    goto out;
  if (!begin (target, error))
    {
      rollback (self);
      goto out;
    }
  for (guint t = 0; t < G_N_ELEMENTS (tables); t++)
    {
      g_autofree char *digest = NULL;
      guint            rows;

      if (!table_digest (target, &tables[t], &rows, &digest, error))
        goto fail;
      if (rows > 0)
        {
          g_set_error (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_EXISTS,
                       /* Translators: first %s names a database, second a table, %u a number */
                       _ ("The database %s is not empty (its table %s has %u rows): nothing was "
                          "copied. Copy to a new, empty database."),
                       dft_server_sql_get_name (target->sql), tables[t].name, rows);
          goto fail;
        }
    }
  for (guint t = 0; t < G_N_ELEMENTS (tables); t++)
    if (!copy_table (self, target, &tables[t], error))
      goto fail;
  /* Checked before it is committed: the same rows, the same values. */
  for (guint t = 0; t < G_N_ELEMENTS (tables); t++)
    {
      g_autofree char *had = NULL;
      g_autofree char *has = NULL;
      guint            had_rows, has_rows;

      if (!table_digest (self, &tables[t], &had_rows, &had, error)
          || !table_digest (target, &tables[t], &has_rows, &has, error))
        goto fail;
      if (had_rows != has_rows || !g_str_equal (had, has))
        {
          g_set_error (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_CONFLICT,
                       /* Translators: %s is a table's name */
                       _ ("The copy of the table %s differs from the original: nothing was "
                          "copied."),
                       tables[t].name);
          goto fail;
        }
      g_string_append_printf (report, "%s\t%u\tsha256:%s\n", tables[t].name, has_rows, has);
    }
  /* In the same transaction: the target gets all of it or nothing. */
  if (also != NULL && !also (target->sql, report, data, error))
    goto fail;
  if (!commit (target, error))
    {
      rollback (self);
      goto out;
    }
  rollback (self);
  ok = TRUE;
  goto out;

fail:
  rollback (target);
  rollback (self);
out:
  g_mutex_unlock (&target->lock);
  g_mutex_unlock (&self->lock);
  return ok;
}
