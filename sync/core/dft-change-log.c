/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "dft-change-log.h"
#include "dft-db.h"

DftChange *
dft_change_new (const char *entity, const char *record_id, JsonObject *fields)
{
  DftChange *change;

  g_return_val_if_fail (entity != NULL, NULL);
  g_return_val_if_fail (record_id != NULL, NULL);

  change = g_new0 (DftChange, 1);
  change->entity = g_strdup (entity);
  change->record_id = g_strdup (record_id);
  change->fields = fields != NULL ? json_object_ref (fields) : json_object_new ();
  return change;
}

void
dft_change_free (DftChange *change)
{
  if (change == NULL)
    return;
  g_free (change->device_id);
  g_free (change->entity);
  g_free (change->record_id);
  g_clear_pointer (&change->fields, json_object_unref);
  g_free (change);
}

char *
dft_change_fields_to_json (const DftChange *change)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, change->fields);
  return json_to_string (node, FALSE);
}

const char *
dft_change_log_schema_sql (void)
{
  /* seq is AUTOINCREMENT so a number is never reused, even after the newest
   * entries are purged: the server deduplicates by (device, seq). */
  return "CREATE TABLE change_log ("
         "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
         "  hlc INTEGER NOT NULL,"
         "  device_id TEXT NOT NULL,"
         "  entity TEXT NOT NULL,"
         "  record_id TEXT NOT NULL,"
         "  fields TEXT NOT NULL CHECK (json_valid (fields))"
         ");"
         "CREATE INDEX change_log_record ON change_log (entity, record_id);"
         "CREATE TABLE sync_state ("
         "  key TEXT PRIMARY KEY,"
         "  value TEXT NOT NULL"
         ") WITHOUT ROWID;";
}

const char *
dft_change_log_insert_sql (void)
{
  return "INSERT INTO change_log (hlc, device_id, entity, record_id, fields) VALUES (?, ?, ?, ?, "
         "?)";
}

/*
 * Appends with a statement prepared from dft_change_log_insert_sql(), so a
 * caller that writes thousands of changes prepares it once.
 */
gboolean
dft_change_log_append_with (sqlite3 *db, sqlite3_stmt *insert, DftChange *change, GError **error)
{
  g_autofree char *fields = NULL;
  gboolean         ok;

  g_return_val_if_fail (db != NULL, FALSE);
  g_return_val_if_fail (insert != NULL, FALSE);
  g_return_val_if_fail (change != NULL, FALSE);
  g_return_val_if_fail (change->device_id != NULL, FALSE);
  g_return_val_if_fail (change->hlc != 0, FALSE);

  fields = dft_change_fields_to_json (change);
  sqlite3_reset (insert);
  sqlite3_bind_int64 (insert, 1, (sqlite3_int64) change->hlc);
  sqlite3_bind_text (insert, 2, change->device_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (insert, 3, change->entity, -1, SQLITE_STATIC);
  sqlite3_bind_text (insert, 4, change->record_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (insert, 5, fields, -1, SQLITE_STATIC);

  ok = dft_db_step_done (db, insert, error);
  /* The bindings point at memory freed on return. */
  sqlite3_reset (insert);
  sqlite3_clear_bindings (insert);
  if (!ok)
    return FALSE;

  change->seq = sqlite3_last_insert_rowid (db);
  return TRUE;
}

gboolean
dft_change_log_append (sqlite3 *db, DftChange *change, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (db != NULL, FALSE);

  if (!dft_db_prepare (db, dft_change_log_insert_sql (), &stmt, error))
    return FALSE;
  return dft_change_log_append_with (db, stmt, change, error);
}

GPtrArray *
dft_change_log_read_since (sqlite3 *db, gint64 after_seq, guint limit, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GPtrArray) changes = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
  g_autoptr (JsonParser) parser = json_parser_new ();
  int                    rc;

  if (!dft_db_prepare (db,
                       "SELECT seq, hlc, device_id, entity, record_id, fields FROM change_log "
                       "WHERE seq > ? ORDER BY seq LIMIT ?",
                       &stmt, error))
    return NULL;
  sqlite3_bind_int64 (stmt, 1, after_seq);
  sqlite3_bind_int64 (stmt, 2, limit > 0 ? (gint64) limit : G_MAXINT64);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char        *fields = (const char *) sqlite3_column_text (stmt, 5);
      g_autoptr (GError) local_error = NULL;
      DftChange         *change;
      JsonNode          *root;

      if (!json_parser_load_from_data (parser, fields, -1, &local_error)
          || (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
        {
          g_set_error (error, DFT_DB_ERROR, DFT_DB_ERROR_CORRUPT,
                       /* Translators: %lld is a position in the change log */
                       _ ("Change number %lld in the change log is damaged."),
                       (long long) sqlite3_column_int64 (stmt, 0));
          return NULL;
        }

      change = dft_change_new ((const char *) sqlite3_column_text (stmt, 3),
                               (const char *) sqlite3_column_text (stmt, 4),
                               json_node_get_object (root));
      change->seq = sqlite3_column_int64 (stmt, 0);
      change->hlc = (DftHlcValue) sqlite3_column_int64 (stmt, 1);
      change->device_id = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      g_ptr_array_add (changes, change);
    }

  if (rc != SQLITE_DONE)
    {
      dft_db_set_error (error, db, rc, _ ("reading the change log"));
      return NULL;
    }
  return g_steal_pointer (&changes);
}

static gint64
query_int64 (sqlite3 *db, const char *sql, const char *a, const char *b, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int                      rc;

  if (!dft_db_prepare (db, sql, &stmt, error))
    return -1;
  if (a != NULL)
    sqlite3_bind_text (stmt, 1, a, -1, SQLITE_STATIC);
  if (b != NULL)
    sqlite3_bind_text (stmt, 2, b, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      dft_db_set_error (error, db, rc, _ ("reading the change log"));
      return -1;
    }
  return sqlite3_column_int64 (stmt, 0);
}

gint64
dft_change_log_last_seq (sqlite3 *db, GError **error)
{
  return query_int64 (db, "SELECT coalesce (max (seq), 0) FROM change_log", NULL, NULL, error);
}

gint64
dft_change_log_count_for (sqlite3 *db, const char *entity, const char *record_id, GError **error)
{
  return query_int64 (db, "SELECT count (*) FROM change_log WHERE entity = ? AND record_id = ?",
                      entity, record_id, error);
}

/*
 * The clock restarts after everything this device has stamped or received,
 * even if the wall clock went backwards while Daftari was closed. Our own
 * values grow with seq, so the newest entry holds the largest one.
 */
gboolean
dft_change_log_load_clock (sqlite3 *db, DftHlc *hlc, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char   *saved = NULL;
  gint64             last;

  last = query_int64 (db,
                      "SELECT coalesce ((SELECT hlc FROM change_log ORDER BY seq DESC LIMIT 1), 0)",
                      NULL, NULL, error);
  if (last < 0)
    return FALSE;

  saved = dft_sync_state_get (db, "hlc", &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  hlc->last = MAX ((DftHlcValue) last, saved != NULL ? g_ascii_strtoull (saved, NULL, 10) : 0);
  return TRUE;
}

char *
dft_sync_state_get (sqlite3 *db, const char *key, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int                      rc;

  if (!dft_db_prepare (db, "SELECT value FROM sync_state WHERE key = ?", &stmt, error))
    return NULL;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  if (rc != SQLITE_DONE)
    dft_db_set_error (error, db, rc, _ ("reading the sync state"));
  return NULL;
}

gboolean
dft_sync_state_set (sqlite3 *db, const char *key, const char *value, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  if (!dft_db_prepare (db,
                       "INSERT INTO sync_state (key, value) VALUES (?, ?) "
                       "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                       &stmt, error))
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, value, -1, SQLITE_STATIC);
  return dft_db_step_done (db, stmt, error);
}
