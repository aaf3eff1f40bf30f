/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "dft-bundle.h"
#include "dft-change-log.h"
#include "dft-db.h"
#include "dft-server-cluster.h"
#include "dft-server-db.h"
#include "dft-server-cluster-files.h"
#include "dft-server-sql.h"
#include "dft-store-private.h"
#include "dft-uuid.h"
#include "dft-wire.h"

/*
 * The failure story. A push applies to the local replica in one SQLite transaction, then
 * copies the entries it appended into register_log and commits PostgreSQL, which lets the
 * advisory lock go. Until that commit no other process writes, so the positions the push took
 * (past the log's end) are free. Three cases:
 *  - PostgreSQL fails before the local commit: nothing was applied anywhere; the push is
 *    refused (the device sends it again) and the lock goes with the transaction.
 *  - The local commit fails: PostgreSQL is rolled back; nothing was applied anywhere.
 *  - PostgreSQL fails after the local commit: the replica holds changes the log lacks, and the
 *    next push of another process will take their positions for other changes. The replica is
 *    marked ("cluster_ahead" in its sync state) and the process exits non-zero (systemd starts
 *    it again); at start a marked replica, or one whose last change the log holds otherwise
 *    or not at all, is moved aside and made again from the log. The device whose push it was
 *    had no reply, so it sends the push again, to whichever process.
 */

/* pg_advisory_xact_lock() key of the register's writes: "daftari" in ASCII. */
#define WRITE_LOCK_KEY "111523779864416"
/* register_state's key for the highest position a register moved into the log gave. */
#define LOG_FLOOR_KEY "log_floor"
/* register_state's key for the log's end just after a register was moved into it. */
#define MOVED_AT_KEY "moved_at"
/* register_state's keys of the teams' scope marks, as a lone server's sync state names them
 * (dft_scope_note_move()): "scope/TEAM". */
#define SCOPE_PREFIX "scope/"
/* register_state's key for the cluster's bundle key pair (dft_server_cluster_share_box_secret()),
 * under the name a lone server's sync state gives it. */
#define BOX_KEY DFT_BUNDLE_STATE_BOX_SECRET
/* Rows read from the log per statement while catching up. */
#define CATCH_UP_PAGE 2000

struct _DftServerCluster
{
  GMutex        lock; /* the connection; held from push_begin to its end */
  DftServerSql *sql;
  gint64        mark; /* the log's end when this push began */
  /* This push set changes aside (dft_server_cluster_push_set_aside()). */
  gboolean set_aside;
  /* The teams' scope marks the replica was last given: key -> mark. Under lock. */
  GHashTable *scopes;
  /* Attached files' bytes, on a connection of their own (dft-server-cluster-files.h). */
  DftServerClusterFiles *files;
  /* The epoch as the last catch-up read it, NULL before one; under epoch_lock, which a push
   * holding lock may take. */
  GMutex epoch_lock;
  char  *epoch;
};

static const char *const schema_sql
    = "CREATE TABLE IF NOT EXISTS register_log ("
      "  seq BIGINT PRIMARY KEY,"
      "  hlc BIGINT NOT NULL,"
      "  device_id TEXT NOT NULL,"
      "  origin_seq BIGINT NOT NULL,"
      "  entity TEXT NOT NULL,"
      "  record_id TEXT NOT NULL,"
      "  fields TEXT NOT NULL,"
      "  base TEXT,"
      "  UNIQUE (device_id, origin_seq));"
      "CREATE TABLE IF NOT EXISTS register_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)";

/* Changes a push set aside (dft_server_cluster_push_set_aside()); id orders them, as pushes
 * are written one at a time. */
static const char *const set_aside_schema_sql = "CREATE TABLE IF NOT EXISTS register_set_aside ("
                                                "  id BIGSERIAL PRIMARY KEY,"
                                                "  device_id TEXT NOT NULL,"
                                                "  origin_seq BIGINT NOT NULL,"
                                                "  change TEXT NOT NULL,"
                                                "  reason TEXT NOT NULL,"
                                                "  UNIQUE (device_id, origin_seq))";
/* What a server alone purged before its register moved here (dft_store_take_purged()). */
static const char *const purged_schema_sql = "CREATE TABLE IF NOT EXISTS register_purged ("
                                             "  record_id TEXT PRIMARY KEY,"
                                             "  entity TEXT NOT NULL,"
                                             "  log_seq BIGINT NOT NULL,"
                                             "  purged_at TEXT NOT NULL);"
                                             "CREATE TABLE IF NOT EXISTS register_purged_origin ("
                                             "  device_id TEXT PRIMARY KEY,"
                                             "  origin_seq BIGINT NOT NULL)";
/* The replica's sync state: the last register_set_aside id it holds. */
#define SET_ASIDE_SEEN "cluster_set_aside_seen"

static gboolean
catch_up_set_aside_locked (DftServerCluster *cluster, DftStore *store, GError **error);

DftServerCluster *
dft_server_cluster_open (const char *uri, GError **error)
{
  DftServerCluster *cluster;
  DftServerSql     *sql;

  g_return_val_if_fail (uri != NULL, NULL);

  sql = dft_server_sql_open_postgresql (uri, error);
  if (sql == NULL)
    return NULL;
  /* Processes started together would race on CREATE TABLE IF NOT EXISTS (the catalogue's
   * unique names): one at a time. */
  if (!dft_server_sql_begin (sql, error)
      || !dft_server_sql_exec (sql, "SELECT pg_advisory_xact_lock (" WRITE_LOCK_KEY ")", error)
      || !dft_server_sql_exec (sql, schema_sql, error)
      || !dft_server_sql_exec (sql, dft_server_cluster_files_schema (), error)
      || !dft_server_sql_exec (sql, set_aside_schema_sql, error)
      || !dft_server_sql_exec (sql, purged_schema_sql, error)
      || !dft_server_sql_commit (sql, error))
    {
      dft_server_sql_close (sql);
      return NULL;
    }
  cluster = g_new0 (DftServerCluster, 1);
  g_mutex_init (&cluster->lock);
  g_mutex_init (&cluster->epoch_lock);
  cluster->sql = sql;
  cluster->scopes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  cluster->files = dft_server_cluster_files_open (uri, error);
  if (cluster->files == NULL)
    {
      dft_server_cluster_free (cluster);
      return NULL;
    }
  return cluster;
}

void
dft_server_cluster_free (DftServerCluster *cluster)
{
  if (cluster == NULL)
    return;
  dft_server_cluster_files_free (cluster->files);
  dft_server_sql_close (cluster->sql);
  g_clear_pointer (&cluster->scopes, g_hash_table_unref);
  g_mutex_clear (&cluster->lock);
  g_mutex_clear (&cluster->epoch_lock);
  g_free (cluster->epoch);
  g_free (cluster);
}

/* The log's last position, 0 when empty. Locked. */
static gint64
log_end (DftServerCluster *cluster, GError **error)
{
  g_autoptr (DftServerSqlStmt) stmt = NULL;

  /* A register moved from a server alone (dft_server_cluster_copy_register()) gave positions
   * past its last entry (skipped at its starts, or purged): the log's end is never below them. */
  stmt = dft_server_sql_prepare (cluster->sql,
                                 "SELECT greatest (coalesce (max (seq), 0), coalesce ((SELECT "
                                 "value::bigint FROM register_state WHERE key = '" LOG_FLOOR_KEY
                                 "'), 0)) FROM register_log",
                                 error);
  if (stmt == NULL || dft_server_sql_step (stmt, error) != DFT_SERVER_SQL_ROW)
    return -1;
  return dft_server_sql_column_int64 (stmt, 0);
}

/*
 * A replica ahead of a log that still holds only what "admin migrate-storage" moved into it
 * (dft_server_cluster_copy_register()): the server served alone on that register after the
 * copy, and its devices hold under the copied epoch what the log lacks. The epoch goes, so
 * that the cluster takes a new one (dft_server_cluster_epoch()) and they send it again, as
 * for a register never moved. Once anything is pushed to the log, its end is past the mark.
 * Locked.
 */
static gboolean
forget_moved_epoch (DftServerCluster *cluster, gint64 end, GError **error)
{
  g_autoptr (DftServerSqlStmt) stmt = NULL;
  g_autofree char             *at = g_strdup_printf ("%" G_GINT64_FORMAT, end);

  stmt = dft_server_sql_prepare (
      cluster->sql,
      "DELETE FROM register_state WHERE key IN ('epoch', '" MOVED_AT_KEY
      "') AND EXISTS (SELECT 1 FROM register_state WHERE key = '" MOVED_AT_KEY "' AND value = $1)",
      error);
  if (stmt == NULL)
    return FALSE;
  dft_server_sql_bind_text (stmt, 1, at);
  return dft_server_sql_step_done (stmt, error);
}

gboolean
dft_server_cluster_check_replica (DftServerCluster *cluster,
                                  DftStore         *store,
                                  gboolean         *ahead,
                                  GError          **error)
{
  g_autoptr (GMutexLocker)     locker = g_mutex_locker_new (&cluster->lock);
  g_autoptr (DftServerSqlStmt) stmt = NULL;
  g_autoptr (GPtrArray)        last = NULL;
  g_autofree char             *mark = NULL;
  g_autoptr (GError)           local = NULL;
  gint64                       end, held;
  DftChange                   *change;

  *ahead = FALSE;
  mark = dft_store_get_sync_state (store, "cluster_ahead", &local);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (mark != NULL && *mark != '\0')
    {
      *ahead = TRUE;
      return TRUE;
    }
  end = log_end (cluster, error);
  held = end >= 0 ? dft_store_last_seq (store, error) : -1;
  if (held < 0)
    return FALSE;
  if (held > end)
    {
      *ahead = TRUE;
      return forget_moved_epoch (cluster, end, error);
    }
  /* The last change the replica holds is the log's at that position. */
  last = dft_store_read_log (store, MAX (held - 1, 0), 1, NULL, NULL, error);
  if (last == NULL)
    return FALSE;
  if (last->len == 0)
    return TRUE;
  change = g_ptr_array_index (last, 0);
  stmt = dft_server_sql_prepare (
      cluster->sql, "SELECT device_id, origin_seq FROM register_log WHERE seq = $1", error);
  if (stmt == NULL)
    return FALSE;
  dft_server_sql_bind_int64 (stmt, 1, change->seq);
  switch (dft_server_sql_step (stmt, error))
    {
    case DFT_SERVER_SQL_ROW:
      *ahead = g_strcmp0 (dft_server_sql_column_text (stmt, 0), change->device_id) != 0
               || dft_server_sql_column_int64 (stmt, 1) != change->origin_seq;
      return !*ahead || forget_moved_epoch (cluster, end, error);
    case DFT_SERVER_SQL_DONE:
      *ahead = TRUE;
      return forget_moved_epoch (cluster, end, error);
    case DFT_SERVER_SQL_FAILED:
    default:
      return FALSE;
    }
}

/* register_state's @key: given @value unless it has one already; returns the one it has.
 * Locked. */
static char *
state_or_default_locked (DftServerCluster *cluster,
                         const char       *key,
                         const char       *value,
                         GError          **error)
{
  g_autoptr (DftServerSqlStmt) insert = NULL;
  g_autoptr (DftServerSqlStmt) select = NULL;

  insert = dft_server_sql_prepare (cluster->sql,
                                   "INSERT INTO register_state (key, value) VALUES ($1, $2) "
                                   "ON CONFLICT (key) DO NOTHING",
                                   error);
  if (insert == NULL)
    return NULL;
  dft_server_sql_bind_text (insert, 1, key);
  dft_server_sql_bind_text (insert, 2, value);
  if (!dft_server_sql_step_done (insert, error))
    return NULL;
  select = dft_server_sql_prepare (cluster->sql, "SELECT value FROM register_state WHERE key = $1",
                                   error);
  if (select == NULL)
    return NULL;
  dft_server_sql_bind_text (select, 1, key);
  if (dft_server_sql_step (select, error) != DFT_SERVER_SQL_ROW)
    return NULL;
  return dft_server_sql_column_dup (select, 0);
}

char *
dft_server_cluster_epoch (DftServerCluster *cluster, GError **error)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&cluster->lock);
  g_autofree char         *fresh = dft_uuid_v7_new ();

  return state_or_default_locked (cluster, "epoch", fresh, error);
}

gboolean
dft_server_cluster_share_box_secret (DftServerCluster *cluster, DftStore *store, GError **error)
{
  g_autoptr (GMutexLocker) locker = NULL;
  g_autoptr (GError)       local = NULL;
  g_autofree char         *public_key = NULL;
  g_autofree char         *own = NULL;
  g_autofree char         *shared = NULL;

  g_return_val_if_fail (cluster != NULL && DFT_IS_STORE (store), FALSE);

  /* The replica's own, made if it has none: the first process's becomes everyone's, so a
   * register moved from a server alone keeps the key its laptops know. */
  public_key = dft_bundle_ensure_box_key (store, error);
  if (public_key == NULL)
    return FALSE;
  own = dft_store_get_sync_state (store, DFT_BUNDLE_STATE_BOX_SECRET, &local);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  g_return_val_if_fail (own != NULL, FALSE);
  locker = g_mutex_locker_new (&cluster->lock);
  shared = state_or_default_locked (cluster, BOX_KEY, own, error);
  if (shared == NULL)
    return FALSE;
  if (g_strcmp0 (shared, own) == 0)
    return TRUE;
  return dft_store_set_sync_state (store, DFT_BUNDLE_STATE_BOX_SECRET, shared, error);
}

/* Replaces the cluster's epoch with a new one; in the caller's transaction, if any. Locked. */
static char *
new_epoch_locked (DftServerCluster *cluster, GError **error)
{
  g_autoptr (DftServerSqlStmt) stmt = NULL;
  g_autofree char             *fresh = dft_uuid_v7_new ();

  stmt = dft_server_sql_prepare (cluster->sql,
                                 "INSERT INTO register_state (key, value) VALUES ('epoch', $1) "
                                 "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                                 error);
  if (stmt == NULL)
    return NULL;
  dft_server_sql_bind_text (stmt, 1, fresh);
  if (!dft_server_sql_step_done (stmt, error))
    return NULL;
  g_mutex_lock (&cluster->epoch_lock);
  g_free (cluster->epoch);
  cluster->epoch = g_strdup (fresh);
  g_mutex_unlock (&cluster->epoch_lock);
  return g_steal_pointer (&fresh);
}

char *
dft_server_cluster_new_epoch (DftServerCluster *cluster, gboolean in_push, GError **error)
{
  g_autoptr (GMutexLocker) locker = NULL;

  if (!in_push)
    locker = g_mutex_locker_new (&cluster->lock);
  return new_epoch_locked (cluster, error);
}

/* The number the first column of the one row @text returns, -1 on failure. */
static gint64
query_int64 (DftServerCluster *cluster, const char *text, const char *param, GError **error)
{
  g_autoptr (GMutexLocker)     locker = g_mutex_locker_new (&cluster->lock);
  g_autoptr (DftServerSqlStmt) stmt = dft_server_sql_prepare (cluster->sql, text, error);

  if (stmt == NULL)
    return -1;
  if (param != NULL)
    dft_server_sql_bind_text (stmt, 1, param);
  if (dft_server_sql_step (stmt, error) != DFT_SERVER_SQL_ROW)
    return -1;
  return dft_server_sql_column_int64 (stmt, 0);
}

gint64
dft_server_cluster_count_serving (DftServerCluster *cluster, GError **error)
{
  g_return_val_if_fail (cluster != NULL, -1);

  /* application_name is shown to every role, not only the connection's own. */
  return query_int64 (cluster,
                      "SELECT count (*) FROM pg_stat_activity WHERE datname = current_database () "
                      "AND application_name = $1 AND pid <> pg_backend_pid ()",
                      DFT_SERVER_SQL_SERVING_NAME, error);
}

gint64
dft_server_cluster_set_aside_mark (DftServerCluster *cluster, GError **error)
{
  g_return_val_if_fail (cluster != NULL, -1);

  return query_int64 (cluster, "SELECT coalesce (max (id), 0) FROM register_set_aside", NULL,
                      error);
}

char *
dft_server_cluster_restored (DftServerCluster *cluster, gint64 set_aside_mark, GError **error)
{
  g_autoptr (GMutexLocker) locker = NULL;
  g_autofree char         *epoch = NULL;

  g_return_val_if_fail (cluster != NULL, NULL);

  locker = g_mutex_locker_new (&cluster->lock);
  if (!dft_server_sql_begin (cluster->sql, error))
    return NULL;
  {
    g_autoptr (DftServerSqlStmt) stmt = NULL;

    /* A replica's catch-up takes the changes set aside past the last it took
     * (catch_up_set_aside_locked()): numbers the dump gives again would be passed over. */
    stmt = dft_server_sql_prepare (cluster->sql,
                                   "SELECT setval (pg_get_serial_sequence ('register_set_aside', "
                                   "'id'), greatest ($1::bigint, (SELECT coalesce (max (id), 0) "
                                   "FROM register_set_aside), 1))",
                                   error);
    if (stmt == NULL)
      goto fail;
    dft_server_sql_bind_int64 (stmt, 1, set_aside_mark);
    if (dft_server_sql_step (stmt, error) != DFT_SERVER_SQL_ROW)
      goto fail;
  }
  epoch = new_epoch_locked (cluster, error);
  if (epoch == NULL || !dft_server_sql_commit (cluster->sql, error))
    goto fail;
  return g_steal_pointer (&epoch);

fail:
  dft_server_sql_rollback (cluster->sql);
  return NULL;
}

char *
dft_server_cluster_dup_epoch (DftServerCluster *cluster)
{
  char *epoch;

  g_mutex_lock (&cluster->epoch_lock);
  epoch = g_strdup (cluster->epoch);
  g_mutex_unlock (&cluster->epoch_lock);
  return epoch;
}

/* Keeps in @store a team's scope mark @value as the log holds it, unless it has it. Locked. */
static gboolean
take_scope_mark_locked (
    DftServerCluster *cluster, DftStore *store, const char *key, const char *value, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autofree char   *held = NULL;

  if (g_strcmp0 (g_hash_table_lookup (cluster->scopes, key), value) == 0)
    return TRUE;
  held = dft_store_get_sync_state (store, key, &local);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (g_strcmp0 (held, value) != 0 && !dft_store_set_sync_state (store, key, value, error))
    return FALSE;
  g_hash_table_replace (cluster->scopes, g_strdup (key), g_strdup (value));
  return TRUE;
}

/*
 * Reads the epoch, which "admin new-epoch" or another process may have replaced, and the
 * teams' scope marks, which "admin move-event" renews (dft_server_cluster_note_move()), into
 * @store for its pulls to tell the devices. One statement: no round trip more. Locked.
 */
static gboolean
read_state_locked (DftServerCluster *cluster, DftStore *store, GError **error)
{
  g_autoptr (DftServerSqlStmt) stmt = NULL;
  DftServerSqlStep             step;

  stmt = dft_server_sql_prepare (cluster->sql,
                                 "SELECT key, value FROM register_state WHERE key = 'epoch' OR "
                                 "key LIKE '" SCOPE_PREFIX "%'",
                                 error);
  if (stmt == NULL)
    return FALSE;
  /* No epoch yet: the process's start makes it (dft_server_cluster_epoch()). */
  while ((step = dft_server_sql_step (stmt, error)) == DFT_SERVER_SQL_ROW)
    {
      const char *key = dft_server_sql_column_text (stmt, 0);
      const char *value = dft_server_sql_column_text (stmt, 1);

      if (g_str_has_prefix (key, SCOPE_PREFIX))
        {
          if (!take_scope_mark_locked (cluster, store, key, value, error))
            return FALSE;
          continue;
        }
      g_mutex_lock (&cluster->epoch_lock);
      if (g_strcmp0 (cluster->epoch, value) != 0)
        {
          g_free (cluster->epoch);
          cluster->epoch = g_strdup (value);
        }
      g_mutex_unlock (&cluster->epoch_lock);
    }
  return step == DFT_SERVER_SQL_DONE;
}

gboolean
dft_server_cluster_note_move (DftServerCluster *cluster, const char *team_id, GError **error)
{
  g_autoptr (GMutexLocker)     locker = NULL;
  g_autoptr (DftServerSqlStmt) stmt = NULL;
  g_autofree char             *key = NULL;
  g_autofree char             *mark = dft_uuid_v7_new ();

  g_return_val_if_fail (cluster != NULL && team_id != NULL, FALSE);

  key = g_strconcat (SCOPE_PREFIX, team_id, NULL);
  locker = g_mutex_locker_new (&cluster->lock);
  stmt = dft_server_sql_prepare (cluster->sql,
                                 "INSERT INTO register_state (key, value) VALUES ($1, $2) "
                                 "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                                 error);
  if (stmt == NULL)
    return FALSE;
  dft_server_sql_bind_text (stmt, 1, key);
  dft_server_sql_bind_text (stmt, 2, mark);
  return dft_server_sql_step_done (stmt, error);
}

static JsonObject *
parse_object (JsonParser *parser, const char *text)
{
  JsonNode *root;

  if (text == NULL || !json_parser_load_from_data (parser, text, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

static char *
object_to_json (JsonObject *object)
{
  g_autoptr (JsonNode) node = NULL;

  if (object == NULL || json_object_get_size (object) == 0)
    return NULL;
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, object);
  return json_to_string (node, FALSE);
}

/* Applies the log past what @store holds, a page at a time. Locked. */
static gboolean
catch_up_locked (DftServerCluster *cluster, DftStore *store, GError **error)
{
  g_autoptr (DftServerSqlStmt) stmt = NULL;
  g_autoptr (JsonParser)       parser = json_parser_new ();
  gint64                       after = dft_store_last_seq (store, error);

  /* The epoch before the log: a new one was made when positions a device may hold went. */
  if (after < 0 || !read_state_locked (cluster, store, error))
    return FALSE;
  stmt = dft_server_sql_prepare (cluster->sql,
                                 "SELECT seq, hlc, device_id, origin_seq, entity, record_id, "
                                 "fields, base FROM register_log WHERE seq > $1 ORDER BY seq "
                                 "LIMIT " G_STRINGIFY (CATCH_UP_PAGE),
                                 error);
  if (stmt == NULL)
    return FALSE;
  for (;;)
    {
      g_autoptr (GPtrArray) changes
          = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
      DftServerSqlStep step;

      dft_server_sql_reset (stmt);
      dft_server_sql_bind_int64 (stmt, 1, after);
      while ((step = dft_server_sql_step (stmt, error)) == DFT_SERVER_SQL_ROW)
        {
          g_autoptr (JsonObject) fields
              = parse_object (parser, dft_server_sql_column_text (stmt, 6));
          DftChange *change;

          if (fields == NULL)
            {
              g_set_error (error, DFT_SERVER_SQL_ERROR, DFT_SERVER_SQL_ERROR_FAILED,
                           /* Translators: %lld is a position in the change log */
                           _ ("Change number %lld in the shared change log is damaged."),
                           (long long) dft_server_sql_column_int64 (stmt, 0));
              return FALSE;
            }
          change = dft_change_new (dft_server_sql_column_text (stmt, 4),
                                   dft_server_sql_column_text (stmt, 5), fields);
          change->seq = dft_server_sql_column_int64 (stmt, 0);
          change->hlc = (DftHlcValue) dft_server_sql_column_int64 (stmt, 1);
          change->device_id = dft_server_sql_column_dup (stmt, 2);
          change->origin_seq = dft_server_sql_column_int64 (stmt, 3);
          if (!dft_server_sql_column_is_null (stmt, 7))
            change->base = parse_object (parser, dft_server_sql_column_text (stmt, 7));
          g_ptr_array_add (changes, change);
        }
      if (step == DFT_SERVER_SQL_FAILED)
        return FALSE;
      if (changes->len == 0)
        return catch_up_set_aside_locked (cluster, store, error);
      after = ((DftChange *) g_ptr_array_index (changes, changes->len - 1))->seq;
      if (!_dft_store_apply_at_positions (store, changes, error))
        return FALSE;
      if (changes->len < CATCH_UP_PAGE)
        return catch_up_set_aside_locked (cluster, store, error);
    }
}

gboolean
dft_server_cluster_catch_up (DftServerCluster *cluster, DftStore *store, GError **error)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&cluster->lock);

  return catch_up_locked (cluster, store, error);
}

gboolean
dft_server_cluster_push_begin (DftServerCluster *cluster, DftStore *store, GError **error)
{
  g_mutex_lock (&cluster->lock);
  if (!dft_server_sql_begin (cluster->sql, error))
    goto fail;
  /* Released by the commit or rollback: a process that dies mid-push holds nothing. */
  if (!dft_server_sql_exec (cluster->sql, "SELECT pg_advisory_xact_lock (" WRITE_LOCK_KEY ")",
                            error)
      || !catch_up_locked (cluster, store, error))
    goto rollback;
  cluster->mark = log_end (cluster, error);
  cluster->set_aside = FALSE;
  /* The push's entries follow the log's end, even when its last entries were not applied
   * here (a purged person's). */
  if (cluster->mark < 0 || !dft_store_skip_log_positions (store, cluster->mark, error))
    goto rollback;
  return TRUE;

rollback:
  dft_server_sql_rollback (cluster->sql);
fail:
  g_mutex_unlock (&cluster->lock);
  return FALSE;
}

void
dft_server_cluster_push_abort (DftServerCluster *cluster)
{
  dft_server_sql_rollback (cluster->sql);
  g_mutex_unlock (&cluster->lock);
}

gboolean
dft_server_cluster_push_commit (DftServerCluster *cluster,
                                DftStore         *store,
                                gboolean         *ahead,
                                GError          **error)
{
  g_autoptr (DftServerSqlStmt) insert = NULL;
  g_autoptr (GPtrArray) added = dft_store_read_log (store, cluster->mark, 0, NULL, NULL, error);

  if (added == NULL)
    goto fail;
  if (added->len > 0)
    {
      insert = dft_server_sql_prepare (
          cluster->sql,
          "INSERT INTO register_log (seq, hlc, device_id, origin_seq, entity, record_id, fields, "
          "base) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
          error);
      if (insert == NULL)
        goto fail;
    }
  for (guint i = 0; i < added->len; i++)
    {
      DftChange       *change = g_ptr_array_index (added, i);
      g_autofree char *fields = object_to_json (change->fields);
      g_autofree char *base = object_to_json (change->base);

      dft_server_sql_reset (insert);
      dft_server_sql_bind_int64 (insert, 1, change->seq);
      dft_server_sql_bind_int64 (insert, 2, (gint64) change->hlc);
      dft_server_sql_bind_text (insert, 3, change->device_id);
      dft_server_sql_bind_int64 (insert, 4, change->origin_seq);
      dft_server_sql_bind_text (insert, 5, change->entity);
      dft_server_sql_bind_text (insert, 6, change->record_id);
      dft_server_sql_bind_text (insert, 7, fields != NULL ? fields : "{}");
      dft_server_sql_bind_text (insert, 8, base);
      if (!dft_server_sql_step_done (insert, error))
        goto fail;
    }
  if (!dft_server_sql_commit (cluster->sql, error))
    goto fail_committed;
  g_mutex_unlock (&cluster->lock);
  return TRUE;

fail:
  dft_server_sql_rollback (cluster->sql);
fail_committed:
  /* The replica now holds what the log lacks (see the top of this file); changes set aside
   * too, which it counts as received when the others do not. */
  *ahead = added == NULL || added->len > 0 || cluster->set_aside;
  if (*ahead)
    dft_store_set_sync_state (store, "cluster_ahead", "1", NULL);
  g_mutex_unlock (&cluster->lock);
  return FALSE;
}

/* ---- A register moved from a server alone --------------------------------- */

/* The columns of a log entry, in the order both sides read them for the checksum. */
#define REGISTER_COLUMNS   "seq, hlc, device_id, origin_seq, entity, record_id, fields, base"
#define REGISTER_N_COLUMNS 8

/* Adds one row, its @n values as text (integers in decimal, which both databases write the
 * same), to @sum: one line, in the order the rows are read. */
static void
sum_values (GChecksum *sum, const char *const *values, guint n)
{
  g_autoptr (GString) line = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (line, '\t');
      dft_server_db_append_field (line, values[i]);
    }
  g_string_append_c (line, '\n');
  g_checksum_update (sum, (const guchar *) line->str, (gssize) line->len);
}

/* Rows of a table of the target, to refuse one that holds anything. */
static gint64
count_rows (DftServerSql *sql, const char *table, GError **error)
{
  g_autoptr (DftServerSqlStmt) stmt = NULL;
  g_autofree char             *text = g_strdup_printf ("SELECT count (*) FROM %s", table);

  stmt = dft_server_sql_prepare (sql, text, error);
  if (stmt == NULL || dft_server_sql_step (stmt, error) != DFT_SERVER_SQL_ROW)
    return -1;
  return dft_server_sql_column_int64 (stmt, 0);
}

static gboolean
put_state (DftServerSql *sql, const char *key, const char *value, GError **error)
{
  g_autoptr (DftServerSqlStmt) stmt = NULL;

  stmt = dft_server_sql_prepare (sql, "INSERT INTO register_state (key, value) VALUES ($1, $2)",
                                 error);
  if (stmt == NULL)
    return FALSE;
  dft_server_sql_bind_text (stmt, 1, key);
  dft_server_sql_bind_text (stmt, 2, value);
  return dft_server_sql_step_done (stmt, error);
}

/* Copies the change log of @source into register_log, summing what it read. */
static gboolean
copy_entries (
    sqlite3 *source, DftServerSql *sql, GChecksum *sum, guint *rows, gint64 *last, GError **error)
{
  g_autoptr (sqlite3_stmt)     read = NULL;
  g_autoptr (DftServerSqlStmt) insert = NULL;
  int                          rc;

  if (!dft_db_prepare (source, "SELECT " REGISTER_COLUMNS " FROM change_log ORDER BY seq", &read,
                       error))
    return FALSE;
  insert = dft_server_sql_prepare (sql,
                                   "INSERT INTO register_log (" REGISTER_COLUMNS
                                   ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                                   error);
  if (insert == NULL)
    return FALSE;
  *rows = 0;
  *last = 0;
  while ((rc = sqlite3_step (read)) == SQLITE_ROW)
    {
      const char *values[REGISTER_N_COLUMNS];

      for (guint i = 0; i < REGISTER_N_COLUMNS; i++)
        values[i] = (const char *) sqlite3_column_text (read, (int) i);
      sum_values (sum, values, REGISTER_N_COLUMNS);
      /* Positions, clocks and numbers as integers; the fields and base as the JSON text the
       * register holds, unchanged. */
      dft_server_sql_reset (insert);
      dft_server_sql_bind_int64 (insert, 1, sqlite3_column_int64 (read, 0));
      dft_server_sql_bind_int64 (insert, 2, sqlite3_column_int64 (read, 1));
      dft_server_sql_bind_text (insert, 3, values[2]);
      dft_server_sql_bind_int64 (insert, 4, sqlite3_column_int64 (read, 3));
      for (int i = 4; i < REGISTER_N_COLUMNS; i++)
        dft_server_sql_bind_text (insert, i + 1, values[i]);
      if (!dft_server_sql_step_done (insert, error))
        return FALSE;
      *last = sqlite3_column_int64 (read, 0);
      (*rows)++;
    }
  if (rc != SQLITE_DONE)
    return dft_db_set_error (error, source, rc, _ ("reading the register’s change log"));
  return TRUE;
}

/* What register_log holds, summed as copy_entries() summed the source. */
static gboolean
sum_log (DftServerSql *sql, GChecksum *sum, guint *rows, GError **error)
{
  g_autoptr (DftServerSqlStmt) stmt = NULL;
  DftServerSqlStep             step;

  stmt = dft_server_sql_prepare (sql, "SELECT " REGISTER_COLUMNS " FROM register_log ORDER BY seq",
                                 error);
  if (stmt == NULL)
    return FALSE;
  *rows = 0;
  while ((step = dft_server_sql_step (stmt, error)) == DFT_SERVER_SQL_ROW)
    {
      const char *values[REGISTER_N_COLUMNS];

      for (guint i = 0; i < REGISTER_N_COLUMNS; i++)
        values[i] = dft_server_sql_column_is_null (stmt, (int) i)
                        ? NULL
                        : dft_server_sql_column_text (stmt, (int) i);
      sum_values (sum, values, REGISTER_N_COLUMNS);
      (*rows)++;
    }
  return step == DFT_SERVER_SQL_DONE;
}

/* The highest position @source's log ever gave, as dft_store_last_seq() reads it. */
static gboolean
source_last_seq (sqlite3 *source, gint64 *last, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int                      rc;

  if (!dft_db_prepare (source,
                       "SELECT max (coalesce ((SELECT seq FROM sqlite_sequence "
                       "WHERE name = 'change_log'), 0), coalesce ((SELECT max (seq) "
                       "FROM change_log), 0))",
                       &stmt, error))
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    return dft_db_set_error (error, source, rc, _ ("reading the register’s change log"));
  *last = sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

/* The marks dft_scope_note_move() kept in @source's sync state, and its bundle key pair, into
 * register_state. */
static gboolean
copy_scope_marks (sqlite3 *source, DftServerSql *sql, GError **error)
{
  g_autoptr (sqlite3_stmt) read = NULL;
  int                      rc;

  if (!dft_db_prepare (source,
                       "SELECT key, value FROM sync_state WHERE (key LIKE '" SCOPE_PREFIX
                       "%' OR key = '" BOX_KEY "') AND value IS NOT NULL ORDER BY key",
                       &read, error))
    return FALSE;
  while ((rc = sqlite3_step (read)) == SQLITE_ROW)
    if (!put_state (sql, (const char *) sqlite3_column_text (read, 0),
                    (const char *) sqlite3_column_text (read, 1), error))
      return FALSE;
  if (rc != SQLITE_DONE)
    return dft_db_set_error (error, source, rc, _ ("reading the sync state"));
  return TRUE;
}

#define SET_ASIDE_COLUMNS   "device_id, origin_seq, change, reason"
#define SET_ASIDE_N_COLUMNS 4

/* What register_set_aside holds, summed as copy_set_aside() summed the source. */
static gboolean
sum_set_aside (DftServerSql *sql, GChecksum *sum, guint *rows, GError **error)
{
  g_autoptr (DftServerSqlStmt) stmt = NULL;
  DftServerSqlStep             step;

  stmt = dft_server_sql_prepare (
      sql, "SELECT " SET_ASIDE_COLUMNS " FROM register_set_aside ORDER BY id", error);
  if (stmt == NULL)
    return FALSE;
  *rows = 0;
  while ((step = dft_server_sql_step (stmt, error)) == DFT_SERVER_SQL_ROW)
    {
      const char *values[SET_ASIDE_N_COLUMNS];

      for (guint i = 0; i < SET_ASIDE_N_COLUMNS; i++)
        values[i] = dft_server_sql_column_text (stmt, (int) i);
      sum_values (sum, values, SET_ASIDE_N_COLUMNS);
      (*rows)++;
    }
  return step == DFT_SERVER_SQL_DONE;
}

/*
 * The changes the server set aside, kept for a coordinator (table set_aside), into
 * register_set_aside, in the order they were set aside, where every process takes them up
 * with the log (catch_up_set_aside_locked()): a replica made from the log holds them, and one
 * that is the old register has them already. Checked as the log is.
 */
static gboolean
copy_set_aside (sqlite3 *source, DftServerSql *sql, GString *report, GError **error)
{
  g_autoptr (sqlite3_stmt)     read = NULL;
  g_autoptr (DftServerSqlStmt) insert = NULL;
  g_autoptr (GChecksum)        had = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr (GChecksum)        has = g_checksum_new (G_CHECKSUM_SHA256);
  guint                        had_rows = 0, has_rows = 0;
  int                          rc;

  /* A server's rows all hold the change; a laptop's own (no change) are not a server's. */
  if (!dft_db_prepare (source,
                       "SELECT " SET_ASIDE_COLUMNS " FROM set_aside WHERE change IS NOT NULL "
                       "ORDER BY at, device_id, origin_seq",
                       &read, error))
    return FALSE;
  insert = dft_server_sql_prepare (
      sql, "INSERT INTO register_set_aside (" SET_ASIDE_COLUMNS ") VALUES ($1, $2, $3, $4)", error);
  if (insert == NULL)
    return FALSE;
  while ((rc = sqlite3_step (read)) == SQLITE_ROW)
    {
      const char *values[SET_ASIDE_N_COLUMNS];

      for (guint i = 0; i < SET_ASIDE_N_COLUMNS; i++)
        values[i] = (const char *) sqlite3_column_text (read, (int) i);
      sum_values (had, values, SET_ASIDE_N_COLUMNS);
      dft_server_sql_reset (insert);
      dft_server_sql_bind_text (insert, 1, values[0]);
      dft_server_sql_bind_int64 (insert, 2, sqlite3_column_int64 (read, 1));
      dft_server_sql_bind_text (insert, 3, values[2]);
      dft_server_sql_bind_text (insert, 4, values[3]);
      if (!dft_server_sql_step_done (insert, error))
        return FALSE;
      had_rows++;
    }
  if (rc != SQLITE_DONE)
    return dft_db_set_error (error, source, rc, _ ("reading the register’s changes set aside"));
  if (!sum_set_aside (sql, has, &has_rows, error))
    return FALSE;
  if (had_rows != has_rows
      || !g_str_equal (g_checksum_get_string (had), g_checksum_get_string (has)))
    {
      g_set_error (error, DFT_SERVER_SQL_ERROR, DFT_SERVER_SQL_ERROR_FAILED,
                   /* Translators: %s is a table's name */
                   _ ("The copy of the table %s differs from the original: nothing was copied."),
                   "register_set_aside");
      return FALSE;
    }
  g_string_append_printf (report, "register_set_aside\t%u\tsha256:%s\n", has_rows,
                          g_checksum_get_string (has));
  return TRUE;
}

#define PURGED_COLUMNS          "record_id, entity, log_seq, purged_at"
#define PURGED_N_COLUMNS        4
#define PURGED_ORIGIN_COLUMNS   "device_id, origin_seq"
#define PURGED_ORIGIN_N_COLUMNS 2
G_STATIC_ASSERT (PURGED_ORIGIN_N_COLUMNS <= PURGED_N_COLUMNS);

/* One of the purge's tables, as copy_purged() moves it: @source's in the register, @target's in
 * PostgreSQL, @n @columns the first of which is its key (an id), and @insert the target's
 * INSERT of them, its numbers cast from the text both databases give. */
typedef struct
{
  const char *source;
  const char *target;
  const char *columns;
  guint       n;
  const char *insert;
} PurgedTable;

static const PurgedTable purged_table
    = { "purged", "register_purged", PURGED_COLUMNS, PURGED_N_COLUMNS,
        "INSERT INTO register_purged (" PURGED_COLUMNS ") VALUES ($1, $2, $3::bigint, $4)" };
static const PurgedTable purged_origin_table
    = { "purged_origin", "register_purged_origin", PURGED_ORIGIN_COLUMNS, PURGED_ORIGIN_N_COLUMNS,
        "INSERT INTO register_purged_origin (" PURGED_ORIGIN_COLUMNS ") VALUES ($1, $2::bigint)" };

/* Whether @source has @table: a register older than version 12 has no purged tables. */
static gboolean
source_has_table (sqlite3 *source, const char *table, gboolean *has, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int                      rc;

  if (!dft_db_prepare (source, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                       &stmt, error))
    return FALSE;
  sqlite3_bind_text (stmt, 1, table, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return dft_db_set_error (error, source, rc, _ ("reading the register"));
  *has = rc == SQLITE_ROW;
  return TRUE;
}

/*
 * One of the purge's tables of @source into PostgreSQL (@table), ordered by its key on both
 * sides (byte order: SQLite's BINARY, PostgreSQL's "C"); numbers are compared as the decimal
 * text both databases give. Checked and reported as the log is.
 */
static gboolean
copy_purged (
    sqlite3 *source, DftServerSql *sql, GString *report, const PurgedTable *table, GError **error)
{
  const char                  *target = table->target;
  const char                  *columns = table->columns;
  guint                        n = table->n;
  g_autofree char             *key = g_strndup (columns, strcspn (columns, ","));
  g_autoptr (sqlite3_stmt)     read = NULL;
  g_autoptr (DftServerSqlStmt) insert = NULL;
  g_autoptr (DftServerSqlStmt) check = NULL;
  g_autoptr (GChecksum)        had = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr (GChecksum)        has = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char             *select = NULL;
  g_autofree char             *again = NULL;
  guint                        had_rows = 0, has_rows = 0;
  gboolean                     exists = FALSE;
  DftServerSqlStep             step;
  int                          rc;

  if (!source_has_table (source, table->source, &exists, error))
    return FALSE;
  if (exists)
    {
      select = g_strdup_printf ("SELECT %s FROM %s ORDER BY %s", columns, table->source, key);
      if (!dft_db_prepare (source, select, &read, error))
        return FALSE;
      insert = dft_server_sql_prepare (sql, table->insert, error);
      if (insert == NULL)
        return FALSE;
      while ((rc = sqlite3_step (read)) == SQLITE_ROW)
        {
          const char *values[PURGED_N_COLUMNS];

          for (guint i = 0; i < n; i++)
            values[i] = (const char *) sqlite3_column_text (read, (int) i);
          sum_values (had, values, n);
          dft_server_sql_reset (insert);
          for (guint i = 0; i < n; i++)
            dft_server_sql_bind_text (insert, (int) i + 1, values[i]);
          if (!dft_server_sql_step_done (insert, error))
            return FALSE;
          had_rows++;
        }
      if (rc != SQLITE_DONE)
        return dft_db_set_error (error, source, rc, _ ("reading the register’s purged people"));
    }
  again = g_strdup_printf ("SELECT %s FROM %s ORDER BY %s COLLATE \"C\"", columns, target, key);
  check = dft_server_sql_prepare (sql, again, error);
  if (check == NULL)
    return FALSE;
  while ((step = dft_server_sql_step (check, error)) == DFT_SERVER_SQL_ROW)
    {
      const char *values[PURGED_N_COLUMNS];

      for (guint i = 0; i < n; i++)
        values[i] = dft_server_sql_column_text (check, (int) i);
      sum_values (has, values, n);
      has_rows++;
    }
  if (step != DFT_SERVER_SQL_DONE)
    return FALSE;
  if (had_rows != has_rows
      || !g_str_equal (g_checksum_get_string (had), g_checksum_get_string (has)))
    {
      g_set_error (error, DFT_SERVER_SQL_ERROR, DFT_SERVER_SQL_ERROR_FAILED,
                   /* Translators: %s is a table's name */
                   _ ("The copy of the table %s differs from the original: nothing was copied."),
                   target);
      return FALSE;
    }
  g_string_append_printf (report, "%s\t%u\tsha256:%s\n", target, has_rows,
                          g_checksum_get_string (has));
  return TRUE;
}

gboolean
dft_server_cluster_take_purged (DftServerCluster *cluster, DftStore *store, GError **error)
{
  g_autoptr (GMutexLocker)     locker = NULL;
  g_autoptr (DftServerSqlStmt) stmt = NULL;
  g_autoptr (GPtrArray)        purged
      = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_purged_record_free);
  g_autoptr (GPtrArray) origins
      = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_purged_origin_free);
  DftServerSqlStep step;

  g_return_val_if_fail (cluster != NULL && DFT_IS_STORE (store), FALSE);

  locker = g_mutex_locker_new (&cluster->lock);
  stmt = dft_server_sql_prepare (cluster->sql, "SELECT " PURGED_COLUMNS " FROM register_purged",
                                 error);
  if (stmt == NULL)
    return FALSE;
  while ((step = dft_server_sql_step (stmt, error)) == DFT_SERVER_SQL_ROW)
    {
      DftPurgedRecord *record = g_new0 (DftPurgedRecord, 1);

      record->record_id = dft_server_sql_column_dup (stmt, 0);
      record->entity = dft_server_sql_column_dup (stmt, 1);
      record->log_seq = dft_server_sql_column_int64 (stmt, 2);
      record->purged_at = dft_server_sql_column_dup (stmt, 3);
      g_ptr_array_add (purged, record);
    }
  if (step != DFT_SERVER_SQL_DONE)
    return FALSE;
  g_clear_pointer (&stmt, dft_server_sql_stmt_free);
  stmt = dft_server_sql_prepare (
      cluster->sql, "SELECT " PURGED_ORIGIN_COLUMNS " FROM register_purged_origin", error);
  if (stmt == NULL)
    return FALSE;
  while ((step = dft_server_sql_step (stmt, error)) == DFT_SERVER_SQL_ROW)
    {
      DftPurgedOrigin *origin = g_new0 (DftPurgedOrigin, 1);

      origin->device_id = dft_server_sql_column_dup (stmt, 0);
      origin->origin_seq = dft_server_sql_column_int64 (stmt, 1);
      g_ptr_array_add (origins, origin);
    }
  if (step != DFT_SERVER_SQL_DONE)
    return FALSE;
  /* Read; the replica is written without holding up the process's other requests. */
  g_clear_pointer (&stmt, dft_server_sql_stmt_free);
  g_clear_pointer (&locker, g_mutex_locker_free);
  return dft_store_take_purged (store, purged, origins, error);
}

gboolean
dft_server_cluster_copy_register (
    DftServerSql *sql, sqlite3 *source, GString *report, gboolean *epoch_kept, GError **error)
{
  static const char *const tables[]
      = { "register_log",           "register_state", "register_set_aside", "register_purged",
          "register_purged_origin", "register_file",  "register_file_part" };
  g_autoptr (GChecksum) had = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr (GChecksum) has = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char      *epoch = NULL;
  g_autofree char      *copy_mark = NULL;
  g_autoptr (GError)    local = NULL;
  guint                 had_rows, has_rows;
  gint64                last_entry = 0, last_given = 0;

  g_return_val_if_fail (sql != NULL && source != NULL && report != NULL, FALSE);

  /* The tables as a process makes them, under the lock their writers take. */
  if (!dft_server_sql_exec (sql, "SELECT pg_advisory_xact_lock (" WRITE_LOCK_KEY ")", error)
      || !dft_server_sql_exec (sql, schema_sql, error)
      || !dft_server_sql_exec (sql, dft_server_cluster_files_schema (), error)
      || !dft_server_sql_exec (sql, set_aside_schema_sql, error)
      || !dft_server_sql_exec (sql, purged_schema_sql, error))
    return FALSE;
  for (guint t = 0; t < G_N_ELEMENTS (tables); t++)
    {
      gint64 rows = count_rows (sql, tables[t], error);

      if (rows < 0)
        return FALSE;
      if (rows > 0)
        {
          g_set_error (error, DFT_SERVER_SQL_ERROR, DFT_SERVER_SQL_ERROR_FAILED,
                       /* Translators: first %s names a database, second a table, %lld a number */
                       _ ("The database %s already holds a register (its table %s has %lld "
                          "rows): nothing was copied. Copy to a new, empty database."),
                       dft_server_sql_get_name (sql), tables[t], (long long) rows);
          return FALSE;
        }
    }

  if (!copy_entries (source, sql, had, &had_rows, &last_entry, error)
      || !source_last_seq (source, &last_given, error))
    return FALSE;
  /* Positions the register gave past its last entry (skipped at a start, or the entries
   * purged) are never given again: a device may hold one as its cursor. */
  if (last_given > last_entry)
    {
      g_autofree char *floor = g_strdup_printf ("%" G_GINT64_FORMAT, last_given);

      if (!put_state (sql, LOG_FLOOR_KEY, floor, error))
        return FALSE;
    }
  /* The devices' epoch goes along, so that they go on from their cursors; but a register put
   * back from a backup takes a new one at its next start, as the cluster does without it. */
  epoch = dft_sync_state_get (source, "server_epoch", &local);
  copy_mark = local == NULL ? dft_sync_state_get (source, "backup_copy", &local) : NULL;
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  *epoch_kept = epoch != NULL && *epoch != '\0' && (copy_mark == NULL || *copy_mark == '\0');
  if (*epoch_kept && !put_state (sql, "epoch", epoch, error))
    return FALSE;
  /* The teams' scope marks, so that no process tells a device another one than it was told;
   * the bundle key pair, so that bundles sealed for the server alone still open. */
  if (!copy_scope_marks (source, sql, error))
    return FALSE;
  /* Where the log ends now, for check_replica() to know the register served on alone after. */
  {
    g_autofree char *at = g_strdup_printf ("%" G_GINT64_FORMAT, MAX (last_given, last_entry));

    if (!put_state (sql, MOVED_AT_KEY, at, error))
      return FALSE;
  }

  /* Checked before the caller commits: the same entries, at the same positions. */
  if (!sum_log (sql, has, &has_rows, error))
    return FALSE;
  if (had_rows != has_rows
      || !g_str_equal (g_checksum_get_string (had), g_checksum_get_string (has)))
    {
      g_set_error (error, DFT_SERVER_SQL_ERROR, DFT_SERVER_SQL_ERROR_FAILED,
                   /* Translators: %s is a table's name */
                   _ ("The copy of the table %s differs from the original: nothing was copied."),
                   "register_log");
      return FALSE;
    }
  g_string_append_printf (report, "register_log\t%u\tsha256:%s\n", has_rows,
                          g_checksum_get_string (has));
  return copy_set_aside (source, sql, report, error)
         && copy_purged (source, sql, report, &purged_table, error)
         && copy_purged (source, sql, report, &purged_origin_table, error)
         && dft_server_cluster_files_copy (sql, source, report, error);
}

DftServerClusterFiles *
dft_server_cluster_get_files (DftServerCluster *cluster)
{
  g_return_val_if_fail (cluster != NULL, NULL);
  return cluster->files;
}

/*
 * Changes set aside are the cluster's too: they count in what the server received of a device
 * (dft_store_origin_high()), so a device that pushes to one process and then to another is
 * told the same, and a coordinator finds them in every replica. Written in the push's
 * transaction (the caller holds the write lock since push_begin()), taken up by the others
 * with the log.
 */
gboolean
dft_server_cluster_push_set_aside (DftServerCluster *cluster,
                                   const char       *device_id,
                                   gpointer          change_ptr,
                                   const char       *reason,
                                   GError          **error)
{
  DftChange                   *change = change_ptr;
  g_autoptr (GPtrArray)        one = g_ptr_array_new ();
  g_autoptr (GBytes)           bytes = NULL;
  g_autofree char             *text = NULL;
  g_autoptr (DftServerSqlStmt) insert = NULL;

  g_return_val_if_fail (cluster != NULL && device_id != NULL && change != NULL, FALSE);
  g_return_val_if_fail (reason != NULL, FALSE);

  g_ptr_array_add (one, change);
  bytes = dft_wire_encode_batch (one, NULL);
  text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  insert = dft_server_sql_prepare (cluster->sql,
                                   "INSERT INTO register_set_aside (device_id, origin_seq, change, "
                                   "reason) VALUES ($1, $2, $3, $4) "
                                   "ON CONFLICT (device_id, origin_seq) DO NOTHING",
                                   error);
  if (insert == NULL)
    return FALSE;
  dft_server_sql_bind_text (insert, 1, device_id);
  dft_server_sql_bind_int64 (insert, 2, change->origin_seq);
  dft_server_sql_bind_text (insert, 3, text);
  dft_server_sql_bind_text (insert, 4, reason);
  cluster->set_aside = TRUE;
  return dft_server_sql_step_done (insert, error);
}

/* Keeps in @store the changes other processes set aside since it last looked. Locked. */
static gboolean
catch_up_set_aside_locked (DftServerCluster *cluster, DftStore *store, GError **error)
{
  g_autoptr (DftServerSqlStmt) stmt = NULL;
  g_autoptr (GError)           local = NULL;
  g_autofree char             *seen_text = dft_store_get_sync_state (store, SET_ASIDE_SEEN, &local);
  g_autofree char             *mark = NULL;
  DftServerSqlStep             step;
  gint64                       seen = 0, last;

  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (seen_text != NULL)
    seen = g_ascii_strtoll (seen_text, NULL, 10);
  last = seen;
  stmt = dft_server_sql_prepare (cluster->sql,
                                 "SELECT id, device_id, origin_seq, change, reason "
                                 "FROM register_set_aside WHERE id > $1 ORDER BY id",
                                 error);
  if (stmt == NULL)
    return FALSE;
  dft_server_sql_bind_int64 (stmt, 1, seen);
  while ((step = dft_server_sql_step (stmt, error)) == DFT_SERVER_SQL_ROW)
    {
      const char           *text = dft_server_sql_column_text (stmt, 3);
      g_autoptr (GBytes)    bytes = g_bytes_new (text, strlen (text));
      g_autoptr (GPtrArray) changes = dft_wire_decode_batch (bytes, NULL, NULL);

      last = dft_server_sql_column_int64 (stmt, 0);
      /* A row damaged by hand is left out rather than stop every pull of this process. */
      if (changes == NULL || changes->len != 1)
        {
          g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                            "change %" G_GINT64_FORMAT " set aside in the shared database is "
                            "damaged: left out",
                            last);
          continue;
        }
      if (!dft_store_set_aside (
              store, dft_server_sql_column_text (stmt, 1), dft_server_sql_column_int64 (stmt, 2),
              g_ptr_array_index (changes, 0), dft_server_sql_column_text (stmt, 4), error))
        return FALSE;
    }
  if (step == DFT_SERVER_SQL_FAILED)
    return FALSE;
  if (last == seen)
    return TRUE;
  mark = g_strdup_printf ("%" G_GINT64_FORMAT, last);
  return dft_store_set_sync_state (store, SET_ASIDE_SEEN, mark, error);
}
