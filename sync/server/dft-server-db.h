/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dft-server-sql.h"

G_BEGIN_DECLS

/*
 * The server's own storage: teams, accounts, enrolled devices and their
 * tokens, enrolment codes, and which team each workshop belongs to. The
 * workshop register itself lives in a DftStore beside it.
 *
 * A narrow interface on purpose: SQLite is the embedded default and
 * PostgreSQL the other backend (dft-server-sql.h), so the SQL is portable (no
 * AUTOINCREMENT, no INSERT OR REPLACE, no SQLite date functions: times are Unix
 * seconds made in C) and the schema has its own numbered migrations in its own
 * table. Each public call is one transaction; nothing is cached in memory, so
 * several processes may share one PostgreSQL database.
 */

#define DFT_SERVER_DB_ERROR (dft_server_db_error_quark ())

typedef enum
{
  DFT_SERVER_DB_ERROR_NOT_FOUND,
  DFT_SERVER_DB_ERROR_EXISTS,       /* a team or user name already taken */
  DFT_SERVER_DB_ERROR_CONFLICT,     /* a device id enrolled to someone else */
  DFT_SERVER_DB_ERROR_CODE_INVALID, /* an enrolment code unknown, expired or used up */
  DFT_SERVER_DB_ERROR_INVALID,      /* a name or role that is not allowed */
  DFT_SERVER_DB_ERROR_UNAVAILABLE,  /* PostgreSQL does not answer: nothing was written, retry */
} DftServerDbError;

GQuark dft_server_db_error_quark (void);

/* Migrations of this file; see dft-server-db.c. */
#define DFT_SERVER_DB_VERSION 2

typedef enum
{
  DFT_SERVER_ROLE_ADMIN,
  DFT_SERVER_ROLE_COORDINATOR,
  DFT_SERVER_ROLE_TRAINER,
} DftServerRole;

const char *dft_server_role_to_string (DftServerRole role);
gboolean    dft_server_role_from_string (const char *text, DftServerRole *role);

typedef struct
{
  char  *id;
  char  *name;
  gint64 created_at;
} DftTeam;

typedef struct
{
  char         *id;
  char         *username;
  DftServerRole role;
  char         *team_id; /* NULL: no team (an admin, or a coordinator of everything) */
  char         *team_name;
  char         *password_hash;
  gint64        created_at;
} DftAccount;

typedef struct
{
  char         *id; /* the device's own id: its store's device_id */
  char         *name;
  char         *account_id; /* NULL when enrolled with a code */
  char         *username;
  DftServerRole role; /* the account's, or the code's */
  char         *team_id;
  char         *team_name;
  gint64        enrolled_at;
  gint64        expires_at; /* of its token */
  gint64        revoked_at; /* 0: not revoked */
  gint64        last_seen_at;
  char         *sign_key; /* its bundles' Ed25519 public key, base64; NULL if it sent none */
} DftDevice;

void dft_team_free (DftTeam *team);
void dft_account_free (DftAccount *account);
void dft_device_free (DftDevice *device);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftTeam, dft_team_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftAccount, dft_account_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftDevice, dft_device_free)

#define DFT_TYPE_SERVER_DB (dft_server_db_get_type ())
G_DECLARE_FINAL_TYPE (DftServerDb, dft_server_db, DFT, SERVER_DB, GObject)

/* Creates the file (mode 0600) and its folder (0700) when missing. Safe from any thread. */
DftServerDb *dft_server_db_open (const char *path, GError **error);
/*
 * The database the configuration's storage= names: a libpq URI ("postgresql://…") opens that
 * PostgreSQL database, anything else (NULL, "sqlite") the file @path as above. A PostgreSQL
 * that does not answer fails with DFT_SERVER_DB_ERROR_UNAVAILABLE, saying why and where.
 */
DftServerDb *dft_server_db_open_storage (const char *storage, const char *path, GError **error);
int          dft_server_db_get_version (DftServerDb *self);

/* Teams. */
DftTeam   *dft_server_db_create_team (DftServerDb *self, const char *name, GError **error);
DftTeam   *dft_server_db_find_team (DftServerDb *self, const char *name_or_id, GError **error);
GPtrArray *dft_server_db_list_teams (DftServerDb *self, GError **error);

/* Accounts. User names are compared case-insensitively (Unicode case folding). */
DftAccount *dft_server_db_create_account (DftServerDb  *self,
                                          const char   *username,
                                          DftServerRole role,
                                          const char   *team_id,
                                          const char   *password_hash,
                                          GError      **error);
DftAccount *dft_server_db_find_account (DftServerDb *self, const char *username, GError **error);
GPtrArray  *dft_server_db_list_accounts (DftServerDb *self, GError **error);

/*
 * Devices. A device id may be enrolled again by the same account (a new
 * sign-in replaces the token), or by anyone once its token is revoked or
 * expired; otherwise enrolment fails with DFT_SERVER_DB_ERROR_CONFLICT.
 * @sign_key is the device's bundle signing key (base64), or NULL.
 */
DftDevice *dft_server_db_enrol_with_account (DftServerDb *self,
                                             const char  *account_id,
                                             const char  *device_id,
                                             const char  *device_name,
                                             const char  *token_hash,
                                             const char  *sign_key,
                                             gint64       now,
                                             gint64       expires_at,
                                             GError     **error);
/* Uses one of the code's uses and enrols the device, in one transaction. */
DftDevice *dft_server_db_enrol_with_code (DftServerDb *self,
                                          const char  *code_hash,
                                          const char  *device_id,
                                          const char  *device_name,
                                          const char  *token_hash,
                                          const char  *sign_key,
                                          gint64       now,
                                          gint64       expires_at,
                                          GError     **error);
/*
 * A copy of @parent's database took a new device id: it is enrolled with
 * @parent's account, role, team and token expiry, under a token of its own.
 */
DftDevice *
dft_server_db_enrol_like (DftServerDb     *self,
                          const DftDevice *parent,
                          const char      *device_id,
                          const char      *device_name,
                          const char      *token_hash,
                          const char      *sign_key, /* NULL: @parent's, the copied database's */
                          gint64           now,
                          GError         **error);
/* The device a token belongs to, revoked or expired ones included: the caller decides. */
DftDevice *
dft_server_db_find_device_by_token (DftServerDb *self, const char *token_hash, GError **error);
DftDevice *dft_server_db_find_device (DftServerDb *self, const char *device_id, GError **error);
GPtrArray *dft_server_db_list_devices (DftServerDb *self, GError **error);
gboolean
dft_server_db_revoke_device (DftServerDb *self, const char *device_id, gint64 now, GError **error);
gboolean
dft_server_db_touch_device (DftServerDb *self, const char *device_id, gint64 now, GError **error);

/* Enrolment codes: only the hash of a code is kept. Codes give the trainer or coordinator role. */
gboolean dft_server_db_add_enrolment_code (DftServerDb  *self,
                                           const char   *code_hash,
                                           const char   *team_id,
                                           DftServerRole role,
                                           guint         uses,
                                           gint64        now,
                                           gint64        expires_at,
                                           const char   *created_by,
                                           GError      **error);

/*
 * Scope: the team a record belongs to. Kept for workshops (entity "event")
 * and for submissions made outside any workshop; every other record follows
 * its workshop. A record claimed with a NULL team is visible to admins and to
 * coordinators without a team only.
 */
gboolean dft_server_db_get_owner (
    DftServerDb *self, const char *record_id, gboolean *claimed, char **team_id, GError **error);
/* The owners of those of @record_ids (strings) that are claimed: record id -> team id (NULL for
 * none), in a few queries. */
GHashTable *dft_server_db_get_owners (DftServerDb *self, GPtrArray *record_ids, GError **error);
/* @record_ids and @entities hold strings; records already claimed keep their team. */
gboolean dft_server_db_claim (DftServerDb *self,
                              GPtrArray   *record_ids,
                              GPtrArray   *entities,
                              const char  *team_id,
                              gint64       now,
                              GError     **error);
gboolean dft_server_db_unclaim (DftServerDb *self, GPtrArray *record_ids, GError **error);
/* The ids of every record @team_id owns (strings), and how many of them are workshops: for a
 * pull to pass over what the team cannot see. */
GPtrArray *dft_server_db_list_owned (DftServerDb *self,
                                     const char  *team_id,
                                     guint       *n_workshops,
                                     GError     **error);
/* Moves a workshop to a team, claimed or not yet. */
gboolean dft_server_db_set_owner (DftServerDb *self,
                                  const char  *record_id,
                                  const char  *entity,
                                  const char  *team_id,
                                  gint64       now,
                                  GError     **error);

/*
 * Copies every row of @self into @target, which must be empty (just made by opening it), in
 * one transaction on each, and checks the copy before committing it: row counts and a SHA-256
 * per table over its rows as text, sorted. Appends "TABLE\tROWS\tsha256:HEX" lines to @report.
 */
gboolean
dft_server_db_copy_to (DftServerDb *self, DftServerDb *target, GString *report, GError **error);
/* What else to write to @target's connection (@sql) in the copy's transaction, after the
 * accounts' tables are copied and checked; FALSE rolls all of it back. */
typedef gboolean (*DftServerDbCopyFunc) (DftServerSql *sql,
                                         GString      *report,
                                         gpointer      data,
                                         GError      **error);
/* dft_server_db_copy_to(), and @also (may be NULL) before the commit. */
gboolean dft_server_db_copy_to_with (DftServerDb        *self,
                                     DftServerDb        *target,
                                     DftServerDbCopyFunc also,
                                     gpointer            data,
                                     GString            *report,
                                     GError            **error);

/* Appends @value as one field of a line that migrate-storage checksums: \N for NULL, tab,
 * newline and backslash escaped, so both databases' rows sum the same. */
void dft_server_db_append_field (GString *line, const char *value);

G_END_DECLS
