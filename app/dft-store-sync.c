/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The merge write path: dft_store_apply_changes() applies changes another replica made
 * (a pull, a push the server receives, a bundle import). One BEGIN IMMEDIATE transaction
 * under the store's lock, as dft_store_save_all() in dft-store-write.c; but a received change
 * is only checked for shape (a known entity and field, a value of its type), not against the
 * validation rules, because it was checked where it was made and every replica must end the
 * same. Each field is merged by its version (dft_merge_field_ranked()): the winner is written
 * with the row helpers the local path uses, the loser kept as a conflict record; the change
 * goes into the change log as it came, under its own device and number, and this replica's
 * clock follows it unless it is far ahead. Conflict records are then saved as this device's
 * own changes, through the local path's commit_conflicts, validated and stamped like a save.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "dft-db.h"
#include "dft-record-private.h"
#include "dft-record-list.h"
#include "dft-store-internal.h"
#include "dft-uuid.h"
#include "dft-wire.h"

/* ---- Sync ------------------------------------------------------------- */

char *
dft_store_get_sync_state (DftStore *self, const char *key, GError **error)
{
  char *value;

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  _dft_store_lock (self);
  value = dft_sync_state_get (self->db, key, error);
  _dft_store_unlock (self);
  return value;
}

gboolean
dft_store_set_sync_state (DftStore *self, const char *key, const char *value, GError **error)
{
  gboolean ok;

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  _dft_store_lock (self);
  ok = dft_sync_state_set (self->db, key, value, error);
  _dft_store_unlock (self);
  return ok;
}

/*
 * A secret that moved elsewhere (the device token, once the keyring holds it)
 * must leave no copy in the file: the freed space of its row is zeroed
 * (secure_delete) and the write-ahead log, which holds the pages it was on, is
 * emptied. The log is emptied only when no other connection reads it; a later
 * checkpoint overwrites the pages then.
 */
gboolean
dft_store_erase_sync_state (DftStore *self, const char *key, GError **error)
{
  gboolean ok;
  int      secure = 0;

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  _dft_store_lock (self);
  ok = _dft_store_query_int (self->db, "PRAGMA secure_delete", &secure, error)
       && dft_db_exec (self->db, "PRAGMA secure_delete = ON", error)
       && dft_sync_state_set (self->db, key, "", error);
  /* As it was (SQLite's build decides): zeroing every freed byte slows a pull's deletes. */
  if (secure == 0)
    dft_db_exec (self->db, "PRAGMA secure_delete = OFF", NULL);
  if (ok)
    sqlite3_wal_checkpoint_v2 (self->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
  _dft_store_unlock (self);
  return ok;
}

GPtrArray *
dft_store_read_log (DftStore   *self,
                    gint64      after_seq,
                    guint       limit,
                    const char *only_device,
                    const char *exclude_device,
                    GError    **error)
{
  GPtrArray *changes;

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  _dft_store_lock (self);
  changes = dft_change_log_read (self->db, after_seq, limit, only_device, exclude_device, error);
  _dft_store_unlock (self);
  return changes;
}

gint64
_dft_store_origin_high_locked (DftStore *self, const char *device_id, GError **error)
{
  sqlite3_stmt *stmt = _dft_store_cached_statement (
      self,
      "SELECT max (coalesce ((SELECT max (origin_seq) FROM change_log WHERE device_id = ?1), 0),"
      " coalesce ((SELECT max (origin_seq) FROM set_aside WHERE device_id = ?1), 0),"
      " coalesce ((SELECT origin_seq FROM purged_origin WHERE device_id = ?1), 0))",
      error);
  gint64 high = -1;
  int    rc;

  if (stmt == NULL)
    return -1;
  sqlite3_bind_text (stmt, 1, device_id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    high = sqlite3_column_int64 (stmt, 0);
  else
    dft_db_set_error (error, self->db, rc, _ ("reading the change log"));
  sqlite3_reset (stmt);
  return high;
}

gint64
dft_store_origin_high (DftStore *self, const char *device_id, GError **error)
{
  gint64 high;

  g_return_val_if_fail (DFT_IS_STORE (self), -1);
  g_return_val_if_fail (device_id != NULL, -1);
  _dft_store_lock (self);
  high = _dft_store_origin_high_locked (self, device_id, error);
  _dft_store_unlock (self);
  return high;
}

/*
 * Whether this replica holds a change of the same name (device, origin seq),
 * and whether it is the same change: a copied or restored database numbers
 * its next changes as the original does, and a different change under a held
 * name is a fork, never a duplicate (dft-store-identity.c).
 */
static gboolean
change_is_known (DftStore *self, DftChange *change, gboolean *known, GError **error)
{
  sqlite3_stmt *stmt
      = _dft_store_cached_statement (self,
                                     "SELECT hlc, entity, record_id, fields FROM change_log "
                                     "WHERE device_id = ? AND origin_seq = ?",
                                     error);
  gboolean same = TRUE;
  int      rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, change->device_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, change->origin_seq);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    same = _dft_change_matches (change, (DftHlcValue) sqlite3_column_int64 (stmt, 0),
                                (const char *) sqlite3_column_text (stmt, 1),
                                (const char *) sqlite3_column_text (stmt, 2),
                                (const char *) sqlite3_column_text (stmt, 3));
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return dft_db_set_error (error, self->db, rc, _ ("reading the change log"));
  *known = rc == SQLITE_ROW;
  if (!same)
    return dft_store_set_fork_error (error, change);
  return TRUE;
}

static gboolean
bad_change (GError **error, DftChange *change, const char *field)
{
  g_set_error (
      error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID,
      /* Translators: a received change is refused; first %s is a kind of record, second a
         field name */
      _ ("A received change to a %s has a field “%s” that is unknown or of the wrong type; "
         "nothing of this sync was applied."),
      change->entity, field);
  return FALSE;
}

/* A received value as the record's field holds it; FALSE when its type does not fit. */
gboolean
_dft_store_json_to_value (const DftField *field, JsonNode *node, GValue *value)
{
  gboolean null = JSON_NODE_HOLDS_NULL (node);
  GType    type = null ? G_TYPE_INVALID : json_node_get_value_type (node);

  switch (G_VALUE_TYPE (value))
    {
    case G_TYPE_INT64:
      if (type != G_TYPE_INT64)
        return FALSE;
      g_value_set_int64 (value, json_node_get_int (node));
      return TRUE;
    case G_TYPE_DOUBLE:
      if (null)
        g_value_set_double (value, NAN);
      else if (type == G_TYPE_DOUBLE || type == G_TYPE_INT64)
        g_value_set_double (value, json_node_get_double (node));
      else
        return FALSE;
      return TRUE;
    case G_TYPE_BOOLEAN:
      if (type != G_TYPE_BOOLEAN)
        return FALSE;
      g_value_set_boolean (value, json_node_get_boolean (node));
      return TRUE;
    default:
      if (null)
        {
          g_value_set_string (value, NULL);
          return TRUE;
        }
      if (type != G_TYPE_STRING)
        return FALSE;
      if (field->type == DFT_FIELD_CHOICE
          && !dft_field_has_choice (field, json_node_get_string (node)))
        return FALSE;
      g_value_set_string (value, json_node_get_string (node));
      return TRUE;
    }
}

static gboolean
set_created_at (
    DftStore *self, const DftEntity *entity, const char *id, const char *created_at, GError **error)
{
  g_autofree char *sql = g_strdup_printf (
      "UPDATE %s SET created_at = ?1 WHERE id = ?2 AND created_at > ?1", entity->name);
  sqlite3_stmt *stmt = _dft_store_cached_statement (self, sql, error);
  gboolean      ok;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, created_at, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
  ok = dft_db_step_done (self->db, stmt, error);
  sqlite3_reset (stmt);
  return ok;
}

/*
 * A conflict record for the value that lost. Its id comes from what it is
 * about, so replicas that find the same loss make the same record, and it is
 * saved like any change here, so it reaches the coordinators through sync.
 */
DftRecord *
_dft_store_make_conflict (const char       *entity,
                          const char       *record_id,
                          const char       *field,
                          JsonNode         *lost,
                          const DftVersion *lost_version)
{
  g_autofree char *version = dft_version_format (lost_version);
  g_autofree char *name = g_strjoin ("/", "conflict", entity, record_id, field, version, NULL);
  g_autofree char *id = dft_uuid_v5 (DFT_UUID_NAMESPACE, name);
  g_autofree char *value = json_to_string (lost, FALSE);
  DftRecord       *conflict = dft_record_new_for_entity (&dft_entity_conflict);

  _dft_record_set_identity (conflict, id, NULL, NULL, FALSE, TRUE);
  g_object_set (conflict, "entity-name", entity, "record-id", record_id, "field", field,
                "lost-value", value, "lost-version", version, NULL);
  return conflict;
}

static gboolean
apply_one (DftStore      *self,
           DftChange     *change,
           const char    *only_field,
           const char    *stamp,
           GPtrArray     *conflicts,
           GPtrArray     *written,
           DftApplyStats *stats,
           GError       **error)
{
  const DftEntity       *entity = dft_entity_lookup (change->entity);
  g_autoptr (DftRecord)  record = NULL;
  g_autoptr (GList)      names = NULL;
  g_autoptr (GHashTable) versions = NULL;
  DftVersion             incoming = { change->hlc, change->device_id };
  g_auto (DftVersion)    final_version = { 0 };
  const char            *created_at = NULL;
  gboolean               known = FALSE, taken = FALSE, names_taken = FALSE;
  gboolean               was_new, held_final = FALSE, incoming_final = FALSE;

  /* Merged again (see remerge_ties()): held already, it meets what holds the field now. */
  if (only_field == NULL && !change_is_known (self, change, &known, error))
    return FALSE;
  if (known)
    {
      stats->duplicates++;
      return TRUE;
    }
  if (entity == NULL || !dft_uuid_is_valid (change->device_id))
    return bad_change (error, change, "-");

  record = dft_store_load_or_new (self, entity, change->record_id, error);
  if (record == NULL)
    return FALSE;

  /* A final submission never changes: the fields of a change that made it
   * final rank above every other change to it, whatever the clocks say, and
   * two changes that both made it final meet by their clocks like any two
   * writes (PROTOCOL.md, Merge). Both ranks come from the changes, so every
   * order of arrival ends the same. */
  was_new = dft_record_is_new (record);
  versions = _dft_store_read_field_versions (self, entity->name, change->record_id, error);
  if (versions == NULL)
    return FALSE;
  if (entity == &dft_entity_submission)
    {
      JsonNode *status = json_object_get_member (change->fields, "status");

      incoming_final = status != NULL && JSON_NODE_HOLDS_VALUE (status)
                       && json_node_get_value_type (status) == G_TYPE_STRING
                       && g_str_equal (json_node_get_string (status), "final");
      held_final = !was_new && _dft_store_stored_status_is_final (self, change->record_id);
      if (held_final)
        _dft_store_held_field_version (versions, "status", &final_version, NULL);
    }
  names = json_object_get_members (change->fields);
  for (GList *l = names; l != NULL; l = l->next)
    {
      const char          *name = l->data;
      JsonNode            *node = json_object_get_member (change->fields, name);
      g_auto (DftVersion)  held = { 0 };
      g_auto (DftVersion)  held_base = { 0 };
      g_auto (DftVersion)  incoming_base = { 0 };
      g_auto (GValue)      value = G_VALUE_INIT;
      g_autoptr (JsonNode) current = NULL;
      int                  index = -1;
      gboolean             conflict = FALSE;
      DftMergeOutcome      outcome;

      if (only_field != NULL && !g_str_equal (name, only_field))
        continue;
      if (g_str_equal (name, "created_at"))
        {
          /* The earliest any device made it with, so that every replica holds the same. */
          if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
            created_at = json_node_get_string (node);
          if (was_new && created_at != NULL)
            _dft_record_set_identity (record, change->record_id, created_at, NULL,
                                      dft_record_get_deleted (record), TRUE);
          continue;
        }
      if (g_str_equal (name, "deleted"))
        {
          if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
            return bad_change (error, change, name);
          current = json_node_init_boolean (json_node_alloc (), dft_record_get_deleted (record));
        }
      else
        {
          index = dft_entity_field_index (entity, name);
          if (index < 0 || (!JSON_NODE_HOLDS_VALUE (node) && !JSON_NODE_HOLDS_NULL (node)))
            return bad_change (error, change, name);
          g_value_init (&value, G_VALUE_TYPE (dft_record_get_value (record, (guint) index)));
          if (!_dft_store_json_to_value (&entity->fields[index], node, &value))
            return bad_change (error, change, name);
          current = _dft_store_value_to_json (&entity->fields[index],
                                              dft_record_get_value (record, (guint) index));
          /* A merge of people changes whom the row names, not what was written: the change
           * meets the person its writer named (dft-store-merges.c). */
          if (!was_new && g_str_equal (name, "person_id") && _dft_store_names_person (entity))
            {
              g_autofree char *origin = NULL;

              if (!_dft_store_origin_person (self, entity, change->record_id, &origin, error))
                return FALSE;
              g_clear_pointer (&current, json_node_unref);
              current = origin != NULL ? json_node_init_string (json_node_alloc (), origin)
                                       : json_node_init_null (json_node_alloc ());
            }
        }

      /* Read before this change wrote any: it names each field once. */
      _dft_store_held_field_version (versions, name, &held, &held_base);
      if (change->base != NULL && json_object_has_member (change->base, name))
        dft_version_parse (json_object_get_string_member (change->base, name), &incoming_base);

      if (entity == &dft_entity_conflict && g_str_equal (name, "resolved"))
        {
          /* Resolved outranks open, as a final submission outranks a draft: once anybody
           * decided a conflict it stays decided on every replica, in any order of arrival,
           * and a resolution meeting an older "open" is no new conflict to decide. */
          outcome = dft_merge_field_ranked (
              &held, g_value_get_boolean (dft_record_get_value (record, (guint) index)) ? 1 : 0,
              &held_base, &incoming, json_node_get_boolean (node), &incoming_base,
              json_node_equal (current, node), &conflict);
          conflict = FALSE;
        }
      else
        outcome = dft_merge_field_ranked (
            &held, held_final && dft_version_equal (&held, &final_version) ? 1 : 0, &held_base,
            &incoming, incoming_final ? 1 : 0, &incoming_base, json_node_equal (current, node),
            &conflict);
      if (conflict)
        g_ptr_array_add (conflicts, outcome == DFT_MERGE_TAKE
                                        ? _dft_store_make_conflict (entity->name, change->record_id,
                                                                    name, current, &held)
                                        : _dft_store_make_conflict (entity->name, change->record_id,
                                                                    name, node, &incoming));
      if (outcome != DFT_MERGE_TAKE)
        continue;

      {
        g_autofree char *base_text = dft_version_format (&incoming_base);
        if (!_dft_store_write_field_version (self, entity->name, change->record_id, name,
                                             change->hlc, change->device_id, base_text, error))
          return FALSE;
      }
      if (index < 0)
        _dft_record_set_deleted (record, json_node_get_boolean (node));
      else
        dft_record_set_value (record, (guint) index, &value);
      names_taken |= g_str_equal (name, "given_name") || g_str_equal (name, "family_name");
      taken = TRUE;
    }

  if (taken || dft_record_is_new (record))
    {
      if (!_dft_store_write_row (self, record, stamp, error))
        return FALSE;
      if (entity == &dft_entity_person && (names_taken || dft_record_is_new (record))
          && !_dft_store_update_person_key (self, record, error))
        return FALSE;
      g_ptr_array_add (written, g_object_ref (record));
    }
  if (only_field != NULL)
    return TRUE;
  if (created_at != NULL && !was_new
      && !set_created_at (self, entity, change->record_id, created_at, error))
    return FALSE;
  if (taken)
    stats->applied++;
  else
    stats->outdated++;
  /* A conflict found elsewhere and received is one this replica now keeps too. */
  if (entity == &dft_entity_conflict && was_new)
    stats->conflicts++;

  /* Kept whether it won or not: this replica now holds it, and passes it on. */
  return _dft_store_append_change (self, change, error);
}

/*
 * Changes of this database that took a new device id (their clock values
 * listed in temp.dft_renumbered) now meet other writes by the new name. Only
 * a write with the very same clock value can rank the other way than it did
 * (the device id breaks that tie), so each field such a change wrote whose
 * holder has that clock value is merged again among every write to it with
 * that value, as a replica that received them under these names merges them.
 * Locked, inside the caller's transaction.
 */
gboolean
_dft_store_remerge_ties_locked (DftStore *self, const char *device_id, GError **error)
{
  g_autoptr (GPtrArray)    log = dft_change_log_read (self->db, 0, 0, NULL, NULL, error);
  g_autoptr (GPtrArray)    written = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray)    conflicts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GHashTable)   renamed = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autofree char         *stamp = _dft_store_now_stamp ();
  DftApplyStats            stats = { 0 };
  int                      rc;

  if (log == NULL
      || !dft_db_prepare (self->db, "SELECT hlc FROM temp.dft_renumbered", &stmt, error))
    return FALSE;
  /* The log holds the values the table lists; the table only says which. */
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 hlc = sqlite3_column_int64 (stmt, 0);

      for (guint i = 0; i < log->len; i++)
        {
          DftChange *c = g_ptr_array_index (log, i);

          if ((gint64) c->hlc == hlc && g_str_equal (c->device_id, device_id))
            g_hash_table_add (renamed, &c->hlc);
        }
    }
  if (rc != SQLITE_DONE)
    return dft_db_set_error (error, self->db, rc, _ ("reading the change log"));

  for (guint i = 0; i < log->len; i++)
    {
      DftChange        *mine = g_ptr_array_index (log, i);
      g_autoptr (GList) fields = NULL;

      if (!g_str_equal (mine->device_id, device_id) || !g_hash_table_contains (renamed, &mine->hlc))
        continue;
      fields = json_object_get_members (mine->fields);
      for (GList *l = fields; l != NULL; l = l->next)
        {
          g_auto (DftVersion) held = { 0 };

          if (g_str_equal (l->data, "created_at"))
            continue;
          if (!_dft_store_read_field_version (self, mine->entity, mine->record_id, l->data, &held,
                                              NULL, error))
            return FALSE;
          if (held.device == NULL || held.hlc != mine->hlc)
            continue;
          /* Every write of this field with this clock value, in the log's order. */
          for (guint j = 0; j < log->len; j++)
            {
              DftChange *other = g_ptr_array_index (log, j);

              if (other->hlc == mine->hlc && g_str_equal (other->entity, mine->entity)
                  && g_str_equal (other->record_id, mine->record_id)
                  && json_object_has_member (other->fields, l->data)
                  && !apply_one (self, other, l->data, stamp, conflicts, written, &stats, error))
                return FALSE;
            }
        }
    }
  if (!_dft_store_commit_conflicts (self, conflicts, stamp, dft_hlc_wall_ms (), written, NULL, NULL,
                                    error))
    return FALSE;
  for (guint i = 0; i < written->len; i++)
    _dft_record_mark_saved (g_ptr_array_index (written, i), stamp);
  if (written->len > 0)
    _dft_store_emit_changed (self, written);
  return TRUE;
}

gboolean
dft_store_set_aside (DftStore   *self,
                     const char *device_id,
                     gint64      origin_seq,
                     gpointer    change_ptr,
                     const char *reason,
                     GError    **error)
{
  DftChange            *change = change_ptr;
  g_autofree char      *stamp = _dft_store_now_stamp ();
  g_autofree char      *text = NULL;
  g_autoptr (GPtrArray) own = NULL;
  const char           *entity = change != NULL ? change->entity : NULL;
  const char           *record_id = change != NULL ? change->record_id : NULL;
  sqlite3_stmt         *stmt;
  gboolean              ok = FALSE;

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  g_return_val_if_fail (device_id != NULL && reason != NULL, FALSE);

  if (change != NULL)
    {
      g_autoptr (GPtrArray) one = g_ptr_array_new ();
      g_autoptr (GBytes)    bytes = NULL;

      g_ptr_array_add (one, change);
      bytes = dft_wire_encode_batch (one, NULL);
      text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
    }
  else
    {
      /* A laptop's own: its log holds the change; the row names the record. */
      own = dft_store_read_log (self, 0, 0, device_id, NULL, error);
      if (own == NULL)
        return FALSE;
      for (guint i = 0; i < own->len; i++)
        {
          DftChange *c = g_ptr_array_index (own, i);

          if (c->origin_seq == origin_seq)
            {
              entity = c->entity;
              record_id = c->record_id;
            }
        }
      if (entity == NULL)
        return TRUE; /* not one of ours: nothing to tell anyone */
    }

  _dft_store_lock (self);
  stmt = _dft_store_cached_statement (
      self,
      "INSERT OR IGNORE INTO set_aside (device_id, origin_seq, entity, "
      "record_id, change, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      error);
  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, device_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 2, origin_seq);
      sqlite3_bind_text (stmt, 3, entity, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 4, record_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 5, text, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 6, reason, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 7, stamp, -1, SQLITE_TRANSIENT);
      ok = dft_db_step_done (self->db, stmt, error);
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
    }
  _dft_store_unlock (self);
  return ok;
}

guint
dft_store_count_set_aside (DftStore   *self,
                           const char *device_id,
                           char      **latest_reason,
                           GError    **error)
{
  sqlite3_stmt *stmt;
  guint         count = 0;
  int           rc;

  g_return_val_if_fail (DFT_IS_STORE (self), 0);

  if (latest_reason != NULL)
    *latest_reason = NULL;
  _dft_store_lock (self);
  stmt = _dft_store_cached_statement (
      self,
      "SELECT count (*) OVER (), reason FROM set_aside "
      "WHERE ?1 IS NULL OR device_id = ?1 ORDER BY at DESC, origin_seq DESC "
      "LIMIT 1",
      error);
  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, device_id, -1, SQLITE_TRANSIENT);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          count = (guint) sqlite3_column_int64 (stmt, 0);
          if (latest_reason != NULL)
            *latest_reason = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
        }
      else if (rc != SQLITE_DONE)
        dft_db_set_error (error, self->db, rc, _ ("reading the changes the server set aside"));
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
    }
  _dft_store_unlock (self);
  return count;
}

gint64
dft_store_count_open_conflicts (DftStore *self, GError **error)
{
  sqlite3_stmt *stmt;
  gint64        count = -1;
  int           rc;

  g_return_val_if_fail (DFT_IS_STORE (self), -1);

  _dft_store_lock (self);
  stmt = _dft_store_cached_statement (
      self, "SELECT count (*) FROM conflict WHERE deleted = 0 AND resolved = 0", error);
  if (stmt != NULL)
    {
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        count = sqlite3_column_int64 (stmt, 0);
      else
        dft_db_set_error (error, self->db, rc, _ ("counting the conflicts to decide"));
      sqlite3_reset (stmt);
    }
  _dft_store_unlock (self);
  return count;
}

/*
 * The values of @field the register already holds in live @entity records, most used first
 * (then in order), at most @limit: what a person dialog offers while an agency or a position
 * is typed, so that the team writes one agency one way.
 */
GStrv
dft_store_list_values (
    DftStore *self, const DftEntity *entity, const char *field, guint limit, GError **error)
{
  g_autoptr (GStrvBuilder) values = g_strv_builder_new ();
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autofree char         *sql = NULL;
  int                      rc;

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  g_return_val_if_fail (entity != NULL && field != NULL, NULL);
  /* Names from the schema only: they are written into the statement. */
  g_return_val_if_fail (dft_entity_field_index (entity, field) >= 0, NULL);

  sql = g_strdup_printf ("SELECT \"%s\", count (*) AS n FROM \"%s\" WHERE deleted = 0 AND "
                         "trim (coalesce (\"%s\", '')) != '' GROUP BY \"%s\" "
                         "ORDER BY n DESC, \"%s\" LIMIT ?",
                         field, entity->name, field, field, field);
  _dft_store_lock (self);
  if (!dft_db_prepare (self->db, sql, &stmt, error))
    {
      _dft_store_unlock (self);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, limit);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_strv_builder_add (values, (const char *) sqlite3_column_text (stmt, 0));
  if (rc != SQLITE_DONE)
    {
      dft_db_set_error (error, self->db, rc, _ ("reading the values already used"));
      _dft_store_unlock (self);
      return NULL;
    }
  _dft_store_unlock (self);
  return g_strv_builder_end (values);
}

gboolean
dft_store_apply_changes (DftStore *self, GPtrArray *changes, DftApplyStats *stats, GError **error)
{
  return _dft_store_apply_changes_then (self, changes, NULL, NULL, stats, error);
}

/* Whether @change is of a purged record or names a purged person (dft_store_purge_deleted()).
 * Locked. */
static gboolean
names_purged_locked (DftStore *self, DftChange *change, gboolean *purged, GError **error)
{
  JsonNode     *person = json_object_get_member (change->fields, "person_id");
  const char   *person_id = NULL;
  sqlite3_stmt *stmt;
  int           rc;

  if (person != NULL && JSON_NODE_HOLDS_VALUE (person)
      && json_node_get_value_type (person) == G_TYPE_STRING)
    person_id = json_node_get_string (person);
  stmt = _dft_store_cached_statement (self, "SELECT 1 FROM purged WHERE record_id IN (?1, ?2)",
                                      error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, change->record_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, person_id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  *purged = rc == SQLITE_ROW;
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return dft_db_set_error (error, self->db, rc, _ ("reading the change log"));
  return TRUE;
}

gboolean
_dft_store_apply_changes_then (DftStore        *self,
                               GPtrArray       *changes,
                               DftStoreThenFunc then,
                               gpointer         user_data,
                               DftApplyStats   *stats,
                               GError         **error)
{
  g_autoptr (GPtrArray) written = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) conflicts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char      *stamp = _dft_store_now_stamp ();
  DftApplyStats         local = { 0 };
  DftHlc                saved_clock;
  gint64                wall_ms = dft_store_wall_ms (self);
  gint64                most_ahead = 0;
  gboolean              any_purged = FALSE;

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  g_return_val_if_fail (changes != NULL, FALSE);

  if (!_dft_store_may_write (self, error))
    return FALSE;

  _dft_store_lock (self);
  saved_clock = self->clock;
  if (!dft_db_exec (self->db, "BEGIN IMMEDIATE", error))
    goto fail_no_txn;
  /* Asked once, inside the write transaction: when nothing was ever purged, no change can name
   * a purged record, and no purge can commit before this apply does. */
  if (!dft_store_has_purged (self, &any_purged, error))
    goto fail;

  for (guint i = 0; i < changes->len; i++)
    {
      DftChange *change = g_ptr_array_index (changes, i);

      gboolean ahead = FALSE, purged = FALSE;

      /* A purged person, or a record naming one, is not brought back (sync/PROTOCOL.md,
       * "Purge"): checked here as well as where a push is sorted, since "admin purge" may
       * commit in between from another process. Set aside, it still counts as received. */
      if (any_purged && !names_purged_locked (self, change, &purged, error))
        goto fail;
      if (purged)
        {
          if (!dft_store_set_aside (
                  self, change->device_id, change->origin_seq, change,
                  _ ("This person was deleted and then removed from the server; the change was "
                     "kept for a coordinator to see."),
                  error))
            goto fail;
          continue;
        }
      if (!apply_one (self, change, NULL, stamp, conflicts, written, &local, error))
        goto fail;
      /* A change from a clock set far ahead is kept, but this clock does not follow it
       * (DESIGN.md): what is made here next is stamped by this replica's own time. */
      dft_hlc_receive_bounded (&self->clock, change->hlc, wall_ms, &ahead);
      if (ahead)
        {
          local.clocks_ahead++;
          most_ahead = MAX (most_ahead, dft_hlc_ahead_ms (change->hlc, wall_ms));
        }
    }
  if (local.clocks_ahead > 0)
    {
      g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, most_ahead);

      g_debug ("store: %u received changes carry clocks up to %" G_GINT64_FORMAT
               " ms ahead of this one; not followed",
               local.clocks_ahead, most_ahead);
      if (!dft_sync_state_set (self->db, "clock_ahead_ms", text, error))
        goto fail;
    }

  /* Conflicts are this replica's own changes, made after what it received. */
  if (!_dft_store_commit_conflicts (self, conflicts, stamp, wall_ms, written, NULL,
                                    &local.conflicts, error))
    goto fail;

  {
    g_autofree char *clock = g_strdup_printf ("%" G_GUINT64_FORMAT, self->clock.last);
    if (!dft_sync_state_set (self->db, "hlc", clock, error))
      goto fail;
  }
  if (then != NULL && !then (self, user_data, error))
    goto fail;
  if (sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    {
      if (sqlite3_extended_errcode (self->db) == SQLITE_CONSTRAINT_FOREIGNKEY)
        g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID,
                     _ ("Received changes refer to records this device does not hold; nothing of "
                        "this sync was applied."));
      else
        dft_db_set_error (error, self->db, sqlite3_extended_errcode (self->db),
                          _ ("saving received changes"));
      goto fail;
    }
  _dft_store_unlock (self);

  for (guint i = 0; i < written->len; i++)
    _dft_record_mark_saved (g_ptr_array_index (written, i), stamp);
  if (written->len > 0)
    _dft_store_emit_changed (self, written);
  if (stats != NULL)
    *stats = local;
  return TRUE;

fail:
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
fail_no_txn:
  self->clock = saved_clock;
  _dft_store_unlock (self);
  return FALSE;
}

gboolean
_dft_store_apply_at_positions (DftStore *self, GPtrArray *changes, GError **error)
{
  g_autoptr (GPtrArray) written = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) conflicts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char      *stamp = _dft_store_now_stamp ();
  DftApplyStats         stats = { 0 };
  DftHlc                saved_clock;
  gint64                wall_ms = dft_store_wall_ms (self);
  sqlite3_stmt         *position;
  gboolean              any_purged = FALSE;

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  g_return_val_if_fail (changes != NULL, FALSE);

  _dft_store_lock (self);
  saved_clock = self->clock;
  if (!dft_db_exec (self->db, "BEGIN IMMEDIATE", error))
    goto fail_no_txn;
  /* The log has had an entry (or this makes the row) so that the next one follows ?1. */
  if (!dft_db_exec (self->db,
                    "INSERT INTO sqlite_sequence (name, seq) SELECT 'change_log', 0 "
                    "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'change_log')",
                    error))
    goto fail;
  position = _dft_store_cached_statement (
      self, "UPDATE sqlite_sequence SET seq = max (seq, ?1) WHERE name = 'change_log'", error);
  if (position == NULL || !dft_store_has_purged (self, &any_purged, error))
    goto fail;
  for (guint i = 0; i < changes->len; i++)
    {
      DftChange *change = g_ptr_array_index (changes, i);
      gboolean   purged = FALSE, ahead = FALSE;
      int        rc;

      sqlite3_bind_int64 (position, 1, change->seq - 1);
      rc = sqlite3_step (position);
      sqlite3_reset (position);
      if (rc != SQLITE_DONE)
        {
          dft_db_set_error (error, self->db, rc, _ ("saving received changes"));
          goto fail;
        }
      if (any_purged && !names_purged_locked (self, change, &purged, error))
        goto fail;
      if (purged)
        continue;
      g_ptr_array_set_size (conflicts, 0);
      if (!apply_one (self, change, NULL, stamp, conflicts, written, &stats, error))
        goto fail;
      dft_hlc_receive_bounded (&self->clock, change->hlc, wall_ms, &ahead);
    }
  {
    g_autofree char *clock = g_strdup_printf ("%" G_GUINT64_FORMAT, self->clock.last);
    if (!dft_sync_state_set (self->db, "hlc", clock, error))
      goto fail;
  }
  if (!dft_db_exec (self->db, "COMMIT", error))
    goto fail;
  _dft_store_unlock (self);
  for (guint i = 0; i < written->len; i++)
    _dft_record_mark_saved (g_ptr_array_index (written, i), stamp);
  if (written->len > 0)
    _dft_store_emit_changed (self, written);
  return TRUE;

fail:
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
fail_no_txn:
  self->clock = saved_clock;
  _dft_store_unlock (self);
  return FALSE;
}

GListModel *
dft_store_list_conflicts (DftStore *self)
{
  return G_LIST_MODEL (dft_record_list_new (self, &dft_entity_conflict,
                                            "deleted = 0 AND resolved = 0", NULL, "created_at"));
}

/* ---- Purge (sync/PROTOCOL.md, "Purge") --------------------------------- */

/*
 * A purged person goes with their enrollments and attendance marks: those are never
 * tombstoned themselves ("Children follow their parent"), they only hide while the person is
 * deleted, so a person's row gone would bring them back into every list. RECORDS is the
 * (entity, id) of the person ?1 and of the records that name them; FAMILY adds the conflicts
 * about those, which copy the values that lost (a name, a telephone number) and would keep
 * them after the person is gone.
 */
#define RECORDS                                                                                    \
  "SELECT 'person' AS entity, ?1 AS id UNION ALL SELECT 'enrollment', id FROM enrollment "         \
  "WHERE person_id = ?1 UNION ALL SELECT 'attendance', id FROM attendance WHERE person_id = ?1"
#define CONFLICTS_ABOUT                                                                            \
  " UNION ALL SELECT 'conflict', id FROM conflict WHERE (entity_name, record_id) IN ("
#define FAMILY RECORDS CONFLICTS_ABOUT RECORDS ")"

static gboolean
purge_exec (DftStore   *self,
            const char *sql,
            const char *person_id,
            const char *keep_device,
            const char *stamp,
            guint      *changed,
            GError    **error)
{
  sqlite3_stmt *stmt = _dft_store_cached_statement (self, sql, error);
  gboolean      ok;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, person_id, -1, SQLITE_STATIC);
  if (sqlite3_bind_parameter_count (stmt) >= 2)
    sqlite3_bind_text (stmt, 2, keep_device, -1, SQLITE_STATIC);
  if (sqlite3_bind_parameter_count (stmt) >= 3)
    sqlite3_bind_text (stmt, 3, stamp, -1, SQLITE_STATIC);
  ok = dft_db_step_done (self->db, stmt, error);
  sqlite3_reset (stmt);
  if (ok && changed != NULL)
    *changed += (guint) sqlite3_changes (self->db);
  return ok;
}

/*
 * Removes the person @person_id and the records that name them, their field versions and
 * their changes, keeping the ids in purged. @keep_device's own changes stay in the log (a
 * laptop's, which number its next ones and may still be on their way to the server); the
 * highest number of each other device's changes that leave it stays in purged_origin, since
 * the replica still received them. Locked, in a transaction.
 */
static gboolean
purge_person_locked (DftStore      *self,
                     const char    *person_id,
                     const char    *keep_device,
                     const char    *stamp,
                     DftPurgeStats *stats,
                     GError       **error)
{
  guint people = 0, enrollments = 0, marks = 0, conflicts = 0;

  if (!purge_exec (self,
                   "INSERT OR IGNORE INTO purged (record_id, entity, log_seq, purged_at)"
                   " SELECT f.id, f.entity, coalesce ((SELECT max (c.seq) FROM change_log c"
                   "  WHERE c.entity = f.entity AND c.record_id = f.id), 0), ?3"
                   " FROM (" FAMILY ") f",
                   person_id, keep_device, stamp, NULL, error)
      || !purge_exec (self,
                      "INSERT INTO purged_origin (device_id, origin_seq)"
                      " SELECT device_id, max (origin_seq) FROM change_log"
                      " WHERE (entity, record_id) IN (" FAMILY ")"
                      " AND (?2 IS NULL OR device_id <> ?2) GROUP BY device_id"
                      " ON CONFLICT (device_id) DO UPDATE"
                      " SET origin_seq = max (origin_seq, excluded.origin_seq)",
                      person_id, keep_device, NULL, NULL, error)
      || !purge_exec (self,
                      "DELETE FROM change_log WHERE (entity, record_id) IN (" FAMILY ")"
                      " AND (?2 IS NULL OR device_id <> ?2)",
                      person_id, keep_device, NULL, NULL, error)
      || !purge_exec (self, "DELETE FROM field_version WHERE (entity, record_id) IN (" FAMILY ")",
                      person_id, NULL, NULL, NULL, error)
      || !purge_exec (self, "DELETE FROM conflict WHERE (entity_name, record_id) IN (" RECORDS ")",
                      person_id, NULL, NULL, &conflicts, error)
      || !purge_exec (self, "DELETE FROM attendance WHERE person_id = ?1", person_id, NULL, NULL,
                      &marks, error)
      || !purge_exec (self, "DELETE FROM enrollment WHERE person_id = ?1", person_id, NULL, NULL,
                      &enrollments, error)
      || !purge_exec (
          self,
          "DELETE FROM person_search WHERE rowid = (SELECT rowid FROM person WHERE id = "
          "?1)",
          person_id, NULL, NULL, NULL, error)
      || !purge_exec (self, "DELETE FROM person WHERE id = ?1", person_id, NULL, NULL, &people,
                      error))
    return FALSE;
  if (stats != NULL)
    {
      stats->people += people;
      stats->enrollments += enrollments;
      stats->attendance += marks;
      stats->conflicts += conflicts;
    }
  return TRUE;
}

/*
 * A change set aside keeps what it wrote (the server's "kept for a coordinator to see"); one
 * of a purged record, or one naming a purged person (a mark, an enrollment, a conflict made
 * offline), keeps its row without it: the row counts as received (dft_store_origin_high()) and
 * says that something was set aside and why, but nothing of the person stays. Asked at every
 * purge, since such changes arrive after it. A laptop's rows hold no change: nothing to do.
 */
static gboolean
scrub_set_aside_locked (DftStore *self, guint *scrubbed, GError **error)
{
  return purge_exec (
      self,
      "UPDATE set_aside SET change = NULL WHERE change IS NOT NULL"
      " AND (record_id IN (SELECT record_id FROM purged)"
      "  OR (json_valid (change) AND (json_extract (change, '$.changes[0].f.person_id')"
      "   IN (SELECT record_id FROM purged WHERE entity = 'person')"
      "  OR json_extract (change, '$.changes[0].f.record_id')"
      "   IN (SELECT record_id FROM purged))))",
      NULL, NULL, NULL, scrubbed, error);
}

/* The people @ids (NULL: those the horizon lets go) purged by @keep_device's rule, in one
 * transaction; @dry_run counts them and rolls back. */
/* A change c (of change_log) some device d (of json_each) has not pulled. */
#define UNSEEN " AND c.device_id <> d.key AND c.seq > d.value"

static gboolean
purge_people (DftStore      *self,
              GPtrArray     *ids,
              const char    *positions,
              const char    *keep_device,
              gboolean       dry_run,
              DftPurgeStats *stats,
              GError       **error)
{
  g_autoptr (GPtrArray) found = NULL;
  g_autofree char      *stamp = _dft_store_now_stamp ();
  DftPurgeStats         local = { 0 };

  _dft_store_lock (self);
  if (!dft_db_exec (self->db, "BEGIN IMMEDIATE", error))
    {
      _dft_store_unlock (self);
      return FALSE;
    }
  if (ids == NULL)
    {
      /* Deleted, and every change of them and of what names them held by every device that
       * counts: its own, or at or below the position it pulled after (a device's pulls skip its
       * own changes, so its cursor need not pass them). People a merge or a "not the same
       * person" names, and people a submission names, stay: those would point at nobody. */
      sqlite3_stmt *stmt = _dft_store_cached_statement (
          self,
          "SELECT p.id FROM person p WHERE p.deleted = 1"
          " AND NOT EXISTS (SELECT 1 FROM submission s WHERE s.person_id = p.id"
          "  OR s.origin_person_id = p.id)"
          " AND NOT EXISTS (SELECT 1 FROM person_merge m WHERE m.kept_id = p.id"
          "  OR m.merged_id = p.id)"
          " AND NOT EXISTS (SELECT 1 FROM person_distinct d WHERE d.person_a = p.id"
          "  OR d.person_b = p.id)"
          " AND NOT EXISTS (SELECT 1 FROM change_log c, json_each (?1) d"
          "  WHERE c.entity = 'person' AND c.record_id = p.id" UNSEEN ")"
          " AND NOT EXISTS (SELECT 1 FROM enrollment e, change_log c, json_each (?1) d"
          "  WHERE e.person_id = p.id AND c.entity = 'enrollment' AND c.record_id = e.id" UNSEEN ")"
          " AND NOT EXISTS (SELECT 1 FROM attendance a, change_log c, json_each (?1) d"
          "  WHERE a.person_id = p.id AND c.entity = 'attendance' AND c.record_id = a.id" UNSEEN ")"
          " ORDER BY p.id",
          error);
      int rc;

      if (stmt == NULL)
        goto fail;
      found = g_ptr_array_new_with_free_func (g_free);
      sqlite3_bind_text (stmt, 1, positions, -1, SQLITE_STATIC);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        g_ptr_array_add (found, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
      sqlite3_reset (stmt);
      if (rc != SQLITE_DONE)
        {
          dft_db_set_error (error, self->db, rc, _ ("reading deleted records"));
          goto fail;
        }
      ids = found;
    }
  for (guint i = 0; i < ids->len; i++)
    {
      const char *id = g_ptr_array_index (ids, i);
      int         named = 0;

      /* A laptop's submission that names the person (its own, which the server set aside)
       * holds the row: the person is only hidden, as the delete it missed would have. */
      if (keep_device != NULL)
        {
          sqlite3_stmt *stmt = _dft_store_cached_statement (
              self,
              "SELECT count (*) FROM submission WHERE person_id = ?1 OR origin_person_id = ?1",
              error);

          if (stmt == NULL)
            goto fail;
          sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
          if (sqlite3_step (stmt) == SQLITE_ROW)
            named = sqlite3_column_int (stmt, 0);
          sqlite3_reset (stmt);
        }
      if (named > 0)
        {
          if (!purge_exec (self, "UPDATE person SET deleted = 1 WHERE id = ?1", id, NULL, NULL,
                           NULL, error))
            goto fail;
          continue;
        }
      if (!purge_person_locked (self, id, keep_device, stamp, &local, error))
        goto fail;
    }
  if (!scrub_set_aside_locked (self, &local.set_aside, error))
    goto fail;
  if (!dft_db_exec (self->db, dry_run ? "ROLLBACK" : "COMMIT", error))
    goto fail;
  _dft_store_unlock (self);
  if (stats != NULL)
    *stats = local;
  return TRUE;

fail:
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
  _dft_store_unlock (self);
  return FALSE;
}

gboolean
dft_store_purge_deleted (
    DftStore *self, const char *positions, gboolean dry_run, DftPurgeStats *stats, GError **error)
{
  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  g_return_val_if_fail (positions != NULL, FALSE);
  return purge_people (self, NULL, positions, NULL, dry_run, stats, error);
}

gboolean
dft_store_forget_purged (DftStore      *self,
                         GPtrArray     *person_ids,
                         DftPurgeStats *stats,
                         GError       **error)
{
  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  g_return_val_if_fail (person_ids != NULL, FALSE);
  return purge_people (self, person_ids, NULL, self->device_id, FALSE, stats, error);
}

gboolean
dft_store_is_purged (DftStore *self, const char *record_id, gboolean *purged, GError **error)
{
  sqlite3_stmt *stmt;
  int           rc;

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  _dft_store_lock (self);
  stmt = _dft_store_cached_statement (self, "SELECT 1 FROM purged WHERE record_id = ?", error);
  if (stmt == NULL)
    {
      _dft_store_unlock (self);
      return FALSE;
    }
  sqlite3_bind_text (stmt, 1, record_id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  *purged = rc == SQLITE_ROW;
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    dft_db_set_error (error, self->db, rc, _ ("reading the change log"));
  _dft_store_unlock (self);
  return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

/*
 * Whether any record was ever purged here: a server that never purged (most, most of the time)
 * skips asking dft_store_is_purged() about every change of a push, a query and a read
 * transaction each.
 */
gboolean
dft_store_has_purged (DftStore *self, gboolean *any, GError **error)
{
  sqlite3_stmt *stmt;
  int           rc;

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  g_return_val_if_fail (any != NULL, FALSE);

  _dft_store_lock (self);
  stmt = _dft_store_cached_statement (self, "SELECT 1 FROM purged LIMIT 1", error);
  if (stmt == NULL)
    {
      _dft_store_unlock (self);
      return FALSE;
    }
  rc = sqlite3_step (stmt);
  *any = rc == SQLITE_ROW;
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    dft_db_set_error (error, self->db, rc, _ ("reading the change log"));
  _dft_store_unlock (self);
  return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

gint64
dft_store_count_purged (DftStore *self, GError **error)
{
  sqlite3_stmt *stmt;
  gint64        count = -1;
  int           rc;

  g_return_val_if_fail (DFT_IS_STORE (self), -1);
  _dft_store_lock (self);
  stmt = _dft_store_cached_statement (self, "SELECT count (*) FROM purged WHERE entity = 'person'",
                                      error);
  if (stmt == NULL)
    {
      _dft_store_unlock (self);
      return -1;
    }
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    count = sqlite3_column_int64 (stmt, 0);
  else
    dft_db_set_error (error, self->db, rc, _ ("reading the change log"));
  sqlite3_reset (stmt);
  _dft_store_unlock (self);
  return count;
}

GPtrArray *
dft_store_purged_since (DftStore *self,
                        gint64    after,
                        gint64    upto,
                        guint     limit,
                        gint64   *last_listed,
                        gboolean *cut,
                        GError  **error)
{
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray)    seqs = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_stmt         *stmt;
  int                   rc;

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  g_return_val_if_fail (limit > 0 && last_listed != NULL && cut != NULL, NULL);
  _dft_store_lock (self);
  stmt = _dft_store_cached_statement (self,
                                      "SELECT record_id, log_seq FROM purged WHERE log_seq > ?1"
                                      " AND log_seq <= ?2 AND entity = 'person'"
                                      " ORDER BY log_seq, record_id LIMIT ?3",
                                      error);
  if (stmt == NULL)
    {
      _dft_store_unlock (self);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, after);
  sqlite3_bind_int64 (stmt, 2, upto);
  sqlite3_bind_int64 (stmt, 3, (gint64) limit + 1);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 seq = sqlite3_column_int64 (stmt, 1);

      g_ptr_array_add (ids, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
      g_array_append_val (seqs, seq);
    }
  sqlite3_reset (stmt);
  _dft_store_unlock (self);
  if (rc != SQLITE_DONE)
    {
      dft_db_set_error (error, self->db, rc, _ ("reading the change log"));
      return NULL;
    }
  *cut = ids->len > limit;
  if (*cut)
    {
      /* Whole up to the position of the last one kept, less the ones that share the position
       * of the first one left out (two people's last changes are never one, but a list must
       * not rely on it): the rest are all after it. */
      gint64 next = g_array_index (seqs, gint64, limit);
      guint  keep = limit;

      while (keep > 0 && g_array_index (seqs, gint64, keep - 1) == next)
        keep--;
      /* Only if @limit people share one position: one more than asked, not none. */
      g_ptr_array_set_size (ids, keep > 0 ? keep : limit + 1);
      g_array_set_size (seqs, ids->len);
    }
  *last_listed = seqs->len > 0 ? g_array_index (seqs, gint64, seqs->len - 1) : after;
  return g_steal_pointer (&ids);
}

GPtrArray *
dft_store_which_purged (DftStore *self, GPtrArray *ids, GError **error)
{
  g_autoptr (GPtrArray) purged = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt         *stmt;
  int                   rc = SQLITE_DONE;

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  g_return_val_if_fail (ids != NULL, NULL);
  _dft_store_lock (self);
  stmt = _dft_store_cached_statement (
      self, "SELECT 1 FROM purged WHERE record_id = ? AND entity = 'person'", error);
  if (stmt == NULL)
    {
      _dft_store_unlock (self);
      return NULL;
    }
  for (guint i = 0; i < ids->len && (rc == SQLITE_ROW || rc == SQLITE_DONE); i++)
    {
      sqlite3_bind_text (stmt, 1, g_ptr_array_index (ids, i), -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        g_ptr_array_add (purged, g_strdup (g_ptr_array_index (ids, i)));
      sqlite3_reset (stmt);
    }
  _dft_store_unlock (self);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      dft_db_set_error (error, self->db, rc, _ ("reading the change log"));
      return NULL;
    }
  return g_steal_pointer (&purged);
}

GPtrArray *
dft_store_list_person_ids (DftStore *self, gboolean deleted_only, GError **error)
{
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt         *stmt;
  int                   rc;

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  _dft_store_lock (self);
  stmt = _dft_store_cached_statement (self,
                                      deleted_only
                                          ? "SELECT id FROM person WHERE deleted = 1 ORDER BY id"
                                          : "SELECT id FROM person ORDER BY id",
                                      error);
  if (stmt == NULL)
    {
      _dft_store_unlock (self);
      return NULL;
    }
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (ids, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  sqlite3_reset (stmt);
  _dft_store_unlock (self);
  if (rc != SQLITE_DONE)
    {
      dft_db_set_error (error, self->db, rc, _ ("reading the database"));
      return NULL;
    }
  return g_steal_pointer (&ids);
}

void
dft_purged_record_free (DftPurgedRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->record_id);
  g_free (record->entity);
  g_free (record->purged_at);
  g_free (record);
}

void
dft_purged_origin_free (DftPurgedOrigin *origin)
{
  if (origin == NULL)
    return;
  g_free (origin->device_id);
  g_free (origin);
}

gboolean
dft_store_take_purged (DftStore *self, GPtrArray *purged, GPtrArray *origins, GError **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  g_return_val_if_fail (purged != NULL && origins != NULL, FALSE);

  if (purged->len == 0 && origins->len == 0)
    return TRUE;
  if (!_dft_store_may_write (self, error))
    return FALSE;
  _dft_store_lock (self);
  if (!dft_db_exec (self->db, "BEGIN IMMEDIATE", error))
    {
      _dft_store_unlock (self);
      return FALSE;
    }
  stmt = _dft_store_cached_statement (
      self,
      "INSERT OR IGNORE INTO purged (record_id, entity, log_seq, purged_at) VALUES (?, ?, ?, ?)",
      error);
  for (guint i = 0; stmt != NULL && i < purged->len; i++)
    {
      DftPurgedRecord *record = g_ptr_array_index (purged, i);
      gboolean         ok;

      sqlite3_bind_text (stmt, 1, record->record_id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, record->entity, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 3, record->log_seq);
      sqlite3_bind_text (stmt, 4, record->purged_at, -1, SQLITE_STATIC);
      ok = dft_db_step_done (self->db, stmt, error);
      sqlite3_reset (stmt);
      if (!ok)
        goto fail;
    }
  if (stmt == NULL)
    goto fail;
  stmt = _dft_store_cached_statement (self,
                                      "INSERT INTO purged_origin (device_id, origin_seq)"
                                      " VALUES (?, ?) ON CONFLICT (device_id) DO UPDATE"
                                      " SET origin_seq = max (origin_seq, excluded.origin_seq)",
                                      error);
  for (guint i = 0; stmt != NULL && i < origins->len; i++)
    {
      DftPurgedOrigin *origin = g_ptr_array_index (origins, i);
      gboolean         ok;

      sqlite3_bind_text (stmt, 1, origin->device_id, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 2, origin->origin_seq);
      ok = dft_db_step_done (self->db, stmt, error);
      sqlite3_reset (stmt);
      if (!ok)
        goto fail;
    }
  if (stmt == NULL || !dft_db_exec (self->db, "COMMIT", error))
    goto fail;
  _dft_store_unlock (self);
  return TRUE;

fail:
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
  _dft_store_unlock (self);
  return FALSE;
}
