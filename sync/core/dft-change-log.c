/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

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
  g_clear_pointer (&change->base, json_object_unref);
  g_free (change);
}

char *
dft_change_fields_to_json (const DftChange *change)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, change->fields);
  return json_to_string (node, FALSE);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (a, b);
}

/* JSON written one way only: members sorted by name, values as json-glib writes them. */
static void
write_canonical (GString *out, JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject       *object = json_node_get_object (node);
      g_autoptr (GList) names = g_list_sort (json_object_get_members (object), compare_names);

      g_string_append_c (out, '{');
      for (GList *l = names; l != NULL; l = l->next)
        {
          g_autoptr (JsonNode) name = json_node_new (JSON_NODE_VALUE);
          g_autofree char     *quoted = NULL;

          json_node_set_string (name, l->data);
          quoted = json_to_string (name, FALSE);
          g_string_append_printf (out, "%s%s:", l == names ? "" : ",", quoted);
          write_canonical (out, json_object_get_member (object, l->data));
        }
      g_string_append_c (out, '}');
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      g_string_append_c (out, '[');
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          if (i > 0)
            g_string_append_c (out, ',');
          write_canonical (out, json_array_get_element (array, i));
        }
      g_string_append_c (out, ']');
    }
  else
    {
      g_autofree char *text = json_to_string (node, FALSE);

      g_string_append (out, text);
    }
}

char *
dft_change_digest (const DftChange *change)
{
  g_autoptr (GString)  text = g_string_new (NULL);
  g_autoptr (JsonNode) fields = json_node_new (JSON_NODE_OBJECT);

  g_return_val_if_fail (change != NULL, NULL);

  g_string_append_printf (text, "%" G_GUINT64_FORMAT "\n%s\n%s\n", (guint64) change->hlc,
                          change->entity, change->record_id);
  json_node_set_object (fields, change->fields);
  write_canonical (text, fields);
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, text->str, (gssize) text->len);
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

/*
 * Needs schema version 4 (origin_seq and base). A change made here gets the
 * next number of this device's own sequence; a received one keeps the number
 * it had on its device, and (device, origin_seq) is unique.
 */
const char *
dft_change_log_insert_sql (void)
{
  return "INSERT INTO change_log (hlc, device_id, entity, record_id, fields, origin_seq, base) "
         "VALUES (?1, ?2, ?3, ?4, ?5, coalesce (?6, (SELECT coalesce (max (origin_seq), 0) + 1 "
         "FROM change_log WHERE device_id = ?2)), ?7) RETURNING seq, origin_seq";
}

/*
 * The same for a change received with its number (origin_seq set): without RETURNING, which
 * SQLite serves through a temporary table for each row, the entry's seq is the row id. A push
 * of thousands of changes on the server appends with this one.
 */
const char *
dft_change_log_insert_received_sql (void)
{
  return "INSERT INTO change_log (hlc, device_id, entity, record_id, fields, origin_seq, base) "
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
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

/*
 * Appends with a statement prepared from dft_change_log_insert_sql(), so a
 * caller that writes thousands of changes prepares it once; or, for a change
 * that has its origin_seq, from dft_change_log_insert_received_sql().
 */
gboolean
dft_change_log_append_with (sqlite3 *db, sqlite3_stmt *insert, DftChange *change, GError **error)
{
  g_autofree char *fields = NULL;
  g_autofree char *base = NULL;
  int              rc;

  g_return_val_if_fail (db != NULL, FALSE);
  g_return_val_if_fail (insert != NULL, FALSE);
  g_return_val_if_fail (change != NULL, FALSE);
  g_return_val_if_fail (change->device_id != NULL, FALSE);
  g_return_val_if_fail (change->hlc != 0, FALSE);

  fields = dft_change_fields_to_json (change);
  base = object_to_json (change->base);
  sqlite3_reset (insert);
  sqlite3_bind_int64 (insert, 1, (sqlite3_int64) change->hlc);
  sqlite3_bind_text (insert, 2, change->device_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (insert, 3, change->entity, -1, SQLITE_STATIC);
  sqlite3_bind_text (insert, 4, change->record_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (insert, 5, fields, -1, SQLITE_STATIC);
  if (change->origin_seq > 0)
    sqlite3_bind_int64 (insert, 6, change->origin_seq);
  else
    sqlite3_bind_null (insert, 6);
  if (base != NULL)
    sqlite3_bind_text (insert, 7, base, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null (insert, 7);

  rc = sqlite3_step (insert);
  if (rc == SQLITE_ROW)
    {
      change->seq = sqlite3_column_int64 (insert, 0);
      change->origin_seq = sqlite3_column_int64 (insert, 1);
      rc = sqlite3_step (insert);
    }
  else if (rc == SQLITE_DONE)
    {
      /* dft_change_log_insert_received_sql(): the number was bound, seq is the row id. A
       * change without its number needs dft_change_log_insert_sql(). */
      g_warn_if_fail (change->origin_seq > 0);
      change->seq = sqlite3_last_insert_rowid (db);
    }
  /* The bindings point at memory freed on return. */
  sqlite3_reset (insert);
  sqlite3_clear_bindings (insert);
  if (rc != SQLITE_DONE)
    return dft_db_set_error (error, db, rc, _ ("writing to the change log"));
  return TRUE;
}

/*
 * Schema version 4: a change is named by (device, origin seq) on every
 * replica, and remembers the versions its writer had seen (its base);
 * field_version holds the version of every field, which the merge compares.
 */
const char *
dft_change_log_schema_v4_sql (void)
{
  return "ALTER TABLE change_log ADD COLUMN origin_seq INTEGER;"
         "UPDATE change_log SET origin_seq = seq;"
         "ALTER TABLE change_log ADD COLUMN base TEXT CHECK (base IS NULL OR json_valid (base));"
         "CREATE UNIQUE INDEX change_log_origin ON change_log (device_id, origin_seq);"
         "CREATE TABLE field_version ("
         "  entity TEXT NOT NULL, record_id TEXT NOT NULL, field TEXT NOT NULL,"
         "  hlc INTEGER NOT NULL, device_id TEXT NOT NULL, base TEXT,"
         "  PRIMARY KEY (entity, record_id, field)) WITHOUT ROWID;"
         "INSERT INTO field_version (entity, record_id, field, hlc, device_id)"
         "  SELECT c.entity, c.record_id, f.key, c.hlc, c.device_id"
         "  FROM change_log c, json_each (c.fields) f WHERE true"
         "  ORDER BY c.hlc, c.device_id"
         "  ON CONFLICT (entity, record_id, field) DO UPDATE"
         "  SET hlc = excluded.hlc, device_id = excluded.device_id;";
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

GPtrArray *
dft_change_log_read (sqlite3    *db,
                     gint64      after_seq,
                     guint       limit,
                     const char *only_device,
                     const char *exclude_device,
                     GError    **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GPtrArray) changes = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
  g_autoptr (JsonParser) parser = json_parser_new ();
  int                    rc;

  /* With only_device, positions are that device's own numbers (origin seq): a
   * device's changes are numbered without gaps however many others it received. */
  if (!dft_db_prepare (
          db,
          only_device != NULL
              ? "SELECT seq, hlc, device_id, entity, record_id, fields, origin_seq, base "
                "FROM change_log WHERE device_id = ?3 AND origin_seq > ?1 "
                "AND (?4 IS NULL OR device_id <> ?4) ORDER BY origin_seq LIMIT ?2"
              : "SELECT seq, hlc, device_id, entity, record_id, fields, origin_seq, base "
                "FROM change_log WHERE seq > ?1 AND (?3 IS NULL OR device_id = ?3) "
                "AND (?4 IS NULL OR device_id <> ?4) ORDER BY seq LIMIT ?2",
          &stmt, error))
    return NULL;
  sqlite3_bind_int64 (stmt, 1, after_seq);
  sqlite3_bind_int64 (stmt, 2, limit > 0 ? (gint64) limit : G_MAXINT64);
  sqlite3_bind_text (stmt, 3, only_device, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, exclude_device, -1, SQLITE_STATIC);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr (JsonObject) fields
          = parse_object (parser, (const char *) sqlite3_column_text (stmt, 5));
      const char *base_text = (const char *) sqlite3_column_text (stmt, 7);
      DftChange  *change;

      if (fields == NULL)
        {
          g_set_error (error, DFT_DB_ERROR, DFT_DB_ERROR_CORRUPT,
                       /* Translators: %lld is a position in the change log */
                       _ ("Change number %lld in the change log is damaged."),
                       (long long) sqlite3_column_int64 (stmt, 0));
          return NULL;
        }

      change = dft_change_new ((const char *) sqlite3_column_text (stmt, 3),
                               (const char *) sqlite3_column_text (stmt, 4), fields);
      change->seq = sqlite3_column_int64 (stmt, 0);
      change->hlc = (DftHlcValue) sqlite3_column_int64 (stmt, 1);
      change->device_id = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      change->origin_seq = sqlite3_column_int64 (stmt, 6);
      change->base = base_text != NULL ? parse_object (parser, base_text) : NULL;
      g_ptr_array_add (changes, change);
    }

  if (rc != SQLITE_DONE)
    {
      dft_db_set_error (error, db, rc, _ ("reading the change log"));
      return NULL;
    }
  return g_steal_pointer (&changes);
}

GPtrArray *
dft_change_log_read_since (sqlite3 *db, gint64 after_seq, guint limit, GError **error)
{
  return dft_change_log_read (db, after_seq, limit, NULL, NULL, error);
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
