/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The local write path: dft_store_save_all() and everything built on it (delete, undelete,
 * attendance, enrollment). One BEGIN IMMEDIATE transaction under the store's lock; each
 * changed record is normalized and validated (dft-store-validate.c), a workshop's sessions
 * planned, its row written, each changed field's version stamped with a tick of this
 * replica's hybrid logical clock, and one change-log entry appended under this device's id.
 * A field someone else changed since the record was read becomes a conflict record, saved
 * in the same transaction. Received changes take the other path, dft_store_apply_changes()
 * in dft-store-sync.c; both share write_row, the field versions, append_change, the person's
 * search key, commit_conflicts and the "changed" signal kept here.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "dft-db.h"
#include "dft-record-private.h"
#include "dft-search.h"
#include "dft-store-internal.h"
#include "dft-uuid.h"

#define SEARCH_KEY_UPDATE_SQL "UPDATE person SET search_key = ? WHERE id = ?"
#define SEARCH_INDEX_SQL                                                                           \
  "INSERT OR REPLACE INTO person_search (rowid, key) SELECT rowid, search_key FROM person WHERE "  \
  "id = ?"

static gboolean
update_search_key (sqlite3      *db,
                   sqlite3_stmt *update,
                   sqlite3_stmt *index,
                   const char   *id,
                   const char   *given_name,
                   const char   *family_name,
                   GError      **error)
{
  g_autofree char *full = g_strjoin (" ", given_name != NULL ? given_name : "",
                                     family_name != NULL ? family_name : "", NULL);
  g_autofree char *key = dft_search_key (full);
  gboolean         ok;

  sqlite3_reset (update);
  sqlite3_bind_text (update, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text (update, 2, id, -1, SQLITE_STATIC);
  ok = dft_db_step_done (db, update, error);
  sqlite3_reset (update);
  if (!ok)
    return FALSE;

  sqlite3_reset (index);
  sqlite3_bind_text (index, 1, id, -1, SQLITE_STATIC);
  ok = dft_db_step_done (db, index, error);
  sqlite3_reset (index);
  return ok;
}

gboolean
_dft_person_update_search_key (
    sqlite3 *db, const char *id, const char *given_name, const char *family_name, GError **error)
{
  g_autoptr (sqlite3_stmt) update = NULL;
  g_autoptr (sqlite3_stmt) index = NULL;

  if (!dft_db_prepare (db, SEARCH_KEY_UPDATE_SQL, &update, error)
      || !dft_db_prepare (db, SEARCH_INDEX_SQL, &index, error))
    return FALSE;
  return update_search_key (db, update, index, id, given_name, family_name, error);
}

/* ---- Writing ---------------------------------------------------------- */

JsonNode *
_dft_store_value_to_json (const DftField *field, const GValue *value)
{
  JsonNode *node = json_node_new (JSON_NODE_VALUE);

  switch (G_VALUE_TYPE (value))
    {
    case G_TYPE_INT64:
      json_node_set_int (node, g_value_get_int64 (value));
      break;
    case G_TYPE_DOUBLE:
      if (isnan (g_value_get_double (value)))
        json_node_init_null (node);
      else
        json_node_set_double (node, g_value_get_double (value));
      break;
    case G_TYPE_BOOLEAN:
      json_node_set_boolean (node, g_value_get_boolean (value));
      break;
    default:
      if (g_value_get_string (value) == NULL)
        json_node_init_null (node);
      else
        json_node_set_string (node, g_value_get_string (value));
      break;
    }
  return node;
}

static void
bind_value (sqlite3_stmt *stmt, int col, const GValue *value)
{
  switch (G_VALUE_TYPE (value))
    {
    case G_TYPE_INT64:
      sqlite3_bind_int64 (stmt, col, g_value_get_int64 (value));
      break;
    case G_TYPE_DOUBLE:
      if (isnan (g_value_get_double (value)))
        sqlite3_bind_null (stmt, col);
      else
        sqlite3_bind_double (stmt, col, g_value_get_double (value));
      break;
    case G_TYPE_BOOLEAN:
      sqlite3_bind_int (stmt, col, g_value_get_boolean (value) ? 1 : 0);
      break;
    default:
      if (g_value_get_string (value) == NULL)
        sqlite3_bind_null (stmt, col);
      else
        sqlite3_bind_text (stmt, col, g_value_get_string (value), -1, SQLITE_TRANSIENT);
      break;
    }
}

static gboolean finalizes (DftRecord *record);

/* "Whoever stands for the person bound twice here": the person itself unless merged away. */
#define SURVIVOR_SQL "coalesce ((SELECT survivor_id FROM person_redirect WHERE merged_id = ?), ?)"

/* The records that count for whoever a merged person now is (migration 8's origin_person_id). */
static gboolean
follows_merges (const DftEntity *entity)
{
  return entity == &dft_entity_enrollment || entity == &dft_entity_attendance
         || entity == &dft_entity_submission;
}

gboolean
_dft_store_write_row (DftStore *self, DftRecord *record, const char *stamp, GError **error)
{
  const DftEntity    *entity = dft_record_get_entity (record);
  gboolean            is_new = dft_record_is_new (record);
  g_autoptr (GString) sql = g_string_new (NULL);
  sqlite3_stmt       *stmt;
  int                 col = 1;
  /* A record read before a delete arrived still says "alive": the row's flag
   * changes only with a change that holds it (changed_fields()). */
  gboolean writes_deleted
      = is_new || _dft_record_deleted_is_changed (record) || !dft_record_get_deleted (record);
  gboolean all = finalizes (record);
  int      person = follows_merges (entity) ? dft_entity_field_index (entity, "person_id") : -1;

  if (is_new)
    {
      g_string_append_printf (sql, "INSERT INTO %s (id, created_at, updated_at, deleted",
                              entity->name);
      for (guint i = 0; i < entity->n_fields; i++)
        g_string_append_printf (sql, ", %s", entity->fields[i].name);
      if (person >= 0)
        g_string_append (sql, ", origin_person_id");
      g_string_append (sql, ") VALUES (?, ?, ?, ?");
      /* The person named, and in person_id whoever stands for that person after merges
       * (migrations 8 and 13). */
      for (guint i = 0; i < entity->n_fields; i++)
        g_string_append (sql, (int) i == person ? ", " SURVIVOR_SQL : ", ?");
      if (person >= 0)
        g_string_append (sql, ", ?");
      g_string_append (sql, ")");
    }
  else
    {
      g_string_append_printf (sql, "UPDATE %s SET updated_at = ?", entity->name);
      if (writes_deleted)
        g_string_append (sql, ", deleted = ?");
      for (guint i = 0; i < entity->n_fields; i++)
        if (all || dft_record_field_is_changed (record, i))
          g_string_append_printf (sql, ", %s = ?", entity->fields[i].name);
      g_string_append (sql, " WHERE id = ?");
    }

  stmt = _dft_store_cached_statement (self, sql->str, error);
  if (stmt == NULL)
    return FALSE;

  if (is_new)
    {
      const char *created = dft_record_get_created_at (record);

      sqlite3_bind_text (stmt, col++, dft_record_get_id (record), -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, col++, created != NULL ? created : stamp, -1, SQLITE_TRANSIENT);
    }
  sqlite3_bind_text (stmt, col++, stamp, -1, SQLITE_STATIC);
  if (writes_deleted)
    sqlite3_bind_int (stmt, col++, dft_record_get_deleted (record) ? 1 : 0);
  for (guint i = 0; i < entity->n_fields; i++)
    if (is_new || all || dft_record_field_is_changed (record, i))
      {
        bind_value (stmt, col++, dft_record_get_value (record, i));
        if (is_new && (int) i == person)
          bind_value (stmt, col++, dft_record_get_value (record, i));
      }
  if (is_new && person >= 0)
    bind_value (stmt, col++, dft_record_get_value (record, (guint) person));
  if (!is_new)
    sqlite3_bind_text (stmt, col++, dft_record_get_id (record), -1, SQLITE_STATIC);

  if (!dft_db_step_done (self->db, stmt, error))
    return FALSE;
  sqlite3_reset (stmt);

  if (!is_new && sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND,
                   /* Translators: %s is a kind of record, e.g. "person" */
                   _ ("The %s being saved no longer exists in the database."),
                   g_dgettext (GETTEXT_PACKAGE, entity->label));
      return FALSE;
    }
  return TRUE;
}

/* A submission made final now: all its fields go with it, ranked above any draft edit
 * (apply_one(), PROTOCOL.md). */
static gboolean
finalizes (DftRecord *record)
{
  const DftEntity *entity = dft_record_get_entity (record);

  return entity == &dft_entity_submission && !dft_record_is_new (record)
         && dft_record_field_is_changed (record, (guint) dft_entity_field_index (entity, "status"))
         && g_strcmp0 (dft_record_get_string (record, "status"), "final") == 0;
}

/*
 * The fields a save sends. A new record, and an edit of a record its writer
 * saw alive, also say "deleted": false, so that an edit made without knowing
 * of a delete meets it as a concurrent write of the same field, and a delete
 * names in its base the last write its writer saw (PROTOCOL.md, Merge).
 */
static JsonObject *
changed_fields (DftRecord *record, const char *stamp)
{
  const DftEntity *entity = dft_record_get_entity (record);
  gboolean         is_new = dft_record_is_new (record);
  gboolean         all = finalizes (record);
  JsonObject      *fields = json_object_new ();

  if (is_new)
    json_object_set_string_member (fields, "created_at", stamp);
  for (guint i = 0; i < entity->n_fields; i++)
    {
      const GValue *value = dft_record_get_value (record, i);

      if (!is_new && !all && !dft_record_field_is_changed (record, i))
        continue;
      /* A new record's empty optional fields say nothing worth sending. */
      if (is_new && G_VALUE_HOLDS_STRING (value) && g_value_get_string (value) == NULL)
        continue;
      json_object_set_member (fields, entity->fields[i].name,
                              _dft_store_value_to_json (&entity->fields[i], value));
    }
  if (is_new || _dft_record_deleted_is_changed (record) || !dft_record_get_deleted (record))
    json_object_set_boolean_member (fields, "deleted", dft_record_get_deleted (record));
  return fields;
}

static gboolean
names_changed (DftRecord *record)
{
  const DftEntity *entity = dft_record_get_entity (record);

  return dft_record_is_new (record)
         || dft_record_field_is_changed (record,
                                         (guint) dft_entity_field_index (entity, "given_name"))
         || dft_record_field_is_changed (record,
                                         (guint) dft_entity_field_index (entity, "family_name"));
}

/*
 * A workshop's sessions follow its dates: two half-days a day by default,
 * with ids derived from (workshop, date, part) so that two devices that both
 * generate them meet in the same records. When the dates shrink, a session
 * outside them is removed only if nobody's attendance was taken in it.
 * They go into the batch right after the workshop (at @at), before records
 * of the same batch that refer to them.
 */
static gboolean
plan_sessions (DftStore *self, DftRecord *event, GPtrArray *batch, guint at, GError **error)
{
  const DftEntity       *entity = &dft_entity_event;
  const char            *event_id = dft_record_get_id (event);
  const char            *params[] = { event_id, NULL };
  g_autoptr (GPtrArray)  existing = NULL;
  g_autoptr (GHashTable) have = g_hash_table_new (g_str_hash, g_str_equal);
  GDate                  start, end, day;

  if (!dft_record_is_new (event)
      && !dft_record_field_is_changed (event, (guint) dft_entity_field_index (entity, "start_date"))
      && !dft_record_field_is_changed (event, (guint) dft_entity_field_index (entity, "end_date")))
    return TRUE;

  _dft_store_parse_date (dft_record_get_string (event, "start_date"), &start);
  _dft_store_parse_date (dft_record_get_string (event, "end_date"), &end);

  existing = _dft_store_query (self, &dft_entity_session, "event_id = ?", params, NULL, error);
  if (existing == NULL)
    return FALSE;

  for (guint i = 0; i < existing->len; i++)
    {
      DftRecord *session = g_ptr_array_index (existing, i);
      GDate      date;
      gboolean   inside;

      g_hash_table_add (have, (gpointer) dft_record_get_id (session));
      _dft_store_parse_date (dft_record_get_string (session, "date"), &date);
      inside = g_date_compare (&date, &start) >= 0 && g_date_compare (&date, &end) <= 0;

      if (!inside && !dft_record_get_deleted (session))
        {
          const char           *sparams[] = { dft_record_get_id (session), NULL };
          g_autoptr (GPtrArray) marks
              = _dft_store_query (self, &dft_entity_attendance,
                                  "session_id = ? AND deleted = 0 LIMIT 1", sparams, NULL, error);
          if (marks == NULL)
            return FALSE;
          if (marks->len == 0)
            {
              _dft_record_set_deleted (session, TRUE);
              g_ptr_array_insert (batch, (int) at++, g_object_ref (session));
            }
        }
      else if (inside && dft_record_get_deleted (session))
        {
          _dft_record_set_deleted (session, FALSE);
          g_ptr_array_insert (batch, (int) at++, g_object_ref (session));
        }
    }

  for (day = start; g_date_compare (&day, &end) <= 0; g_date_add_days (&day, 1))
    {
      char date[11];

      g_snprintf (date, sizeof date, "%04u-%02u-%02u", g_date_get_year (&day),
                  g_date_get_month (&day), g_date_get_day (&day));
      for (guint p = 0; p < 2; p++)
        {
          const char      *part = p == 0 ? "am" : "pm";
          g_autofree char *id = dft_session_id_for (event_id, date, part);
          DftRecord       *session;

          if (g_hash_table_contains (have, id))
            continue;
          session = dft_record_new_for_entity (&dft_entity_session);
          _dft_record_set_identity (session, id, NULL, NULL, FALSE, TRUE);
          dft_record_set_string (session, "event_id", event_id);
          dft_record_set_string (session, "date", date);
          dft_record_set_string (session, "part", part);
          dft_record_set_string (session, "start_time", p == 0 ? "09:00" : "14:00");
          dft_record_set_string (session, "end_time", p == 0 ? "12:30" : "17:30");
          g_ptr_array_insert (batch, (int) at++, session);
        }
    }
  return TRUE;
}

/* ---- Field versions --------------------------------------------------- */

gboolean
_dft_store_read_field_version (DftStore   *self,
                               const char *entity,
                               const char *id,
                               const char *field,
                               DftVersion *version,
                               DftVersion *base,
                               GError    **error)
{
  sqlite3_stmt *stmt
      = _dft_store_cached_statement (self,
                                     "SELECT hlc, device_id, base FROM field_version WHERE "
                                     "entity = ? AND record_id = ? AND field = ?",
                                     error);
  int rc;

  version->hlc = 0;
  version->device = NULL;
  if (base != NULL)
    {
      base->hlc = 0;
      base->device = NULL;
    }
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, entity, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, field, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      version->hlc = (DftHlcValue) sqlite3_column_int64 (stmt, 0);
      version->device = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      if (base != NULL)
        dft_version_parse ((const char *) sqlite3_column_text (stmt, 2), base);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return dft_db_set_error (error, self->db, rc, _ ("reading the database"));
  return TRUE;
}

typedef struct
{
  DftHlcValue hlc;
  char       *device;
  char       *base;
} HeldVersion;

static void
held_version_free (gpointer data)
{
  HeldVersion *held = data;

  g_free (held->device);
  g_free (held->base);
  g_free (held);
}

/*
 * Every field version of one record, by field name: one query for a received change instead of
 * one for each field it writes (a received change writes most of a record's fields, and the
 * lookups were a sixth of a push's time on the server). Read with
 * _dft_store_held_field_version(). NULL on a read error.
 */
GHashTable *
_dft_store_read_field_versions (DftStore *self, const char *entity, const char *id, GError **error)
{
  sqlite3_stmt *stmt
      = _dft_store_cached_statement (self,
                                     "SELECT field, hlc, device_id, base FROM field_version WHERE "
                                     "entity = ? AND record_id = ?",
                                     error);
  g_autoptr (GHashTable) versions = NULL;
  int                    rc;

  if (stmt == NULL)
    return NULL;
  versions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, held_version_free);
  sqlite3_bind_text (stmt, 1, entity, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      HeldVersion *held = g_new0 (HeldVersion, 1);

      held->hlc = (DftHlcValue) sqlite3_column_int64 (stmt, 1);
      held->device = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      held->base = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
      g_hash_table_insert (versions, g_strdup ((const char *) sqlite3_column_text (stmt, 0)), held);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      dft_db_set_error (error, self->db, rc, _ ("reading the database"));
      return NULL;
    }
  return g_steal_pointer (&versions);
}

/* What _dft_store_read_field_version() gives for @field, from _dft_store_read_field_versions(). */
void
_dft_store_held_field_version (GHashTable *versions,
                               const char *field,
                               DftVersion *version,
                               DftVersion *base)
{
  HeldVersion *held = g_hash_table_lookup (versions, field);

  version->hlc = 0;
  version->device = NULL;
  if (base != NULL)
    {
      base->hlc = 0;
      base->device = NULL;
    }
  if (held == NULL)
    return;
  version->hlc = held->hlc;
  version->device = g_strdup (held->device);
  if (base != NULL)
    dft_version_parse (held->base, base);
}

gboolean
_dft_store_write_field_version (DftStore   *self,
                                const char *entity,
                                const char *id,
                                const char *field,
                                DftHlcValue hlc,
                                const char *device,
                                const char *base,
                                GError    **error)
{
  sqlite3_stmt *stmt = _dft_store_cached_statement (
      self,
      "INSERT INTO field_version (entity, record_id, field, hlc, device_id, base) "
      "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (entity, record_id, field) DO UPDATE SET "
      "hlc = excluded.hlc, device_id = excluded.device_id, base = excluded.base",
      error);
  gboolean ok;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, entity, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, field, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, (sqlite3_int64) hlc);
  sqlite3_bind_text (stmt, 5, device, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, base, -1, SQLITE_STATIC);
  ok = dft_db_step_done (self->db, stmt, error);
  sqlite3_reset (stmt);
  return ok;
}

gboolean
_dft_store_append_change (DftStore *self, DftChange *change, GError **error)
{
  sqlite3_stmt *insert = _dft_store_cached_statement (
      self,
      change->origin_seq > 0 ? dft_change_log_insert_received_sql () : dft_change_log_insert_sql (),
      error);

  return insert != NULL && dft_change_log_append_with (self->db, insert, change, error);
}

/* From the row, not the record: a save changes only some fields of a record read earlier. */
gboolean
_dft_store_update_person_key (DftStore *self, DftRecord *record, GError **error)
{
  sqlite3_stmt *names = _dft_store_cached_statement (
      self, "SELECT given_name, family_name FROM person WHERE id = ?", error);
  sqlite3_stmt *update
      = names != NULL ? _dft_store_cached_statement (self, SEARCH_KEY_UPDATE_SQL, error) : NULL;
  sqlite3_stmt *index
      = update != NULL ? _dft_store_cached_statement (self, SEARCH_INDEX_SQL, error) : NULL;
  g_autofree char *given = NULL;
  g_autofree char *family = NULL;
  int              rc;

  if (index == NULL)
    return FALSE;
  sqlite3_bind_text (names, 1, dft_record_get_id (record), -1, SQLITE_STATIC);
  rc = sqlite3_step (names);
  if (rc == SQLITE_ROW)
    {
      given = g_strdup ((const char *) sqlite3_column_text (names, 0));
      family = g_strdup ((const char *) sqlite3_column_text (names, 1));
    }
  sqlite3_reset (names);
  if (rc != SQLITE_ROW)
    return dft_db_set_error (error, self->db, rc, _ ("reading the database"));
  return update_search_key (self->db, update, index, dft_record_get_id (record), given, family,
                            error);
}

/*
 * The version of @field that @record's values come from: the one it wrote
 * itself, else the newest this replica held when the record was read (the
 * merge keeps the newest), else, for a record the store did not read, the one
 * held now.
 */
static gboolean
seen_version (DftStore         *self,
              DftRecord        *record,
              const char       *field,
              const DftVersion *held,
              DftVersion       *seen,
              GError          **error)
{
  const char   *written = _dft_record_get_seen (record, field);
  gint64        read_seq = _dft_record_get_read_seq (record);
  sqlite3_stmt *stmt;
  int           rc;

  if (written != NULL)
    {
      dft_version_parse (written, seen);
      return TRUE;
    }
  if (read_seq <= 0 || held->device == NULL)
    {
      seen->hlc = held->hlc;
      seen->device = g_strdup (held->device);
      return TRUE;
    }
  stmt = _dft_store_cached_statement (
      self,
      "SELECT hlc, device_id FROM change_log WHERE entity = ? AND "
      "record_id = ? AND seq <= ? AND json_type (fields, '$.' || ?) IS NOT "
      "NULL ORDER BY hlc DESC, device_id DESC LIMIT 1",
      error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, dft_record_get_entity (record)->name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, dft_record_get_id (record), -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, read_seq);
  sqlite3_bind_text (stmt, 4, field, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      seen->hlc = (DftHlcValue) sqlite3_column_int64 (stmt, 0);
      seen->device = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return dft_db_set_error (error, self->db, rc, _ ("reading the change log"));
  return TRUE;
}

/* What the row holds now for @field of @record, as a change would send it. */
static JsonNode *
stored_value (DftStore *self, DftRecord *record, const char *field, GError **error)
{
  const DftEntity      *entity = dft_record_get_entity (record);
  g_autoptr (DftRecord) row = dft_store_load (self, entity, dft_record_get_id (record), error);
  int                   index = dft_entity_field_index (entity, field);

  if (row == NULL)
    return NULL;
  if (index < 0)
    return json_node_init_boolean (json_node_alloc (), dft_record_get_deleted (row));
  return _dft_store_value_to_json (&entity->fields[index],
                                   dft_record_get_value (row, (guint) index));
}

/*
 * Writes one record changed here, inside the caller's transaction: its row,
 * the versions of its fields (each remembering the version its writer saw,
 * the base that tells a later merge whether this write knew the one before),
 * and its change-log entry. A field whose version changed after the record was
 * read (a sync brought another device's value) is a concurrent write: this
 * one, the newest, wins, and the value it replaces goes into @conflicts.
 */
static gboolean
write_local_record (DftStore   *self,
                    DftRecord  *record,
                    const char *stamp,
                    gint64      wall_ms,
                    GPtrArray  *written,
                    GPtrArray  *made,
                    GPtrArray  *conflicts,
                    GError    **error)
{
  const DftEntity      *entity = dft_record_get_entity (record);
  const char           *id;
  g_autoptr (DftChange) change = NULL;
  g_autoptr (GList)     names = NULL;

  id = dft_record_get_id (record);
  change = dft_change_new (entity->name, id, NULL);
  json_object_unref (change->fields);
  change->fields = changed_fields (record, stamp);
  change->device_id = g_strdup (self->device_id);
  change->hlc = dft_hlc_tick (&self->clock, wall_ms);

  names = json_object_get_members (change->fields);
  for (GList *l = names; l != NULL; l = l->next)
    {
      g_auto (DftVersion) held = { 0 };
      g_auto (DftVersion) seen = { 0 };
      g_autofree char    *base = NULL;

      if (!dft_record_is_new (record)
          && (!_dft_store_read_field_version (self, entity->name, id, l->data, &held, NULL, error)
              || !seen_version (self, record, l->data, &held, &seen, error)))
        return FALSE;
      if (!dft_version_equal (&seen, &held) && conflicts != NULL)
        {
          g_autoptr (JsonNode) current = stored_value (self, record, l->data, error);

          if (current == NULL)
            return FALSE;
          if (!json_node_equal (current, json_object_get_member (change->fields, l->data)))
            g_ptr_array_add (conflicts,
                             _dft_store_make_conflict (entity->name, id, l->data, current, &held));
        }
      base = dft_version_format (&seen);
      if (base != NULL)
        {
          if (change->base == NULL)
            change->base = json_object_new ();
          json_object_set_string_member (change->base, l->data, base);
        }
      if (!_dft_store_write_field_version (self, entity->name, id, l->data, change->hlc,
                                           self->device_id, base, error))
        return FALSE;
    }

  if (!_dft_store_write_row (self, record, stamp, error))
    return FALSE;
  if (entity == &dft_entity_person && names_changed (record)
      && !_dft_store_update_person_key (self, record, error))
    return FALSE;
  if (!_dft_store_append_change (self, change, error))
    return FALSE;
  g_ptr_array_add (written, g_object_ref (record));
  /* Once committed, the record has seen its own writes (see dft_store_save_all()). */
  if (made != NULL)
    g_ptr_array_add (made, g_steal_pointer (&change));
  return TRUE;
}

/* The same, for a record the user changed: checked first, and a workshop's sessions planned. */
static gboolean
commit_local_record (DftStore   *self,
                     DftRecord  *record,
                     GPtrArray  *batch,
                     guint       position,
                     const char *stamp,
                     gint64      wall_ms,
                     GPtrArray  *written,
                     GPtrArray  *made,
                     GPtrArray  *conflicts,
                     GError    **error)
{
  if (!dft_record_is_changed (record))
    return TRUE;
  _dft_store_normalize_fields (record, TRUE);
  if (!_dft_store_validate_record (self, record, error))
    return FALSE;
  if (dft_record_get_entity (record) == &dft_entity_event && batch != NULL
      && !plan_sessions (self, record, batch, position + 1, error))
    return FALSE;
  return write_local_record (self, record, stamp, wall_ms, written, made, conflicts, error);
}

/*
 * Migration 7: every country and phone number written before they had one form is given it,
 * where it has one (a value that has none stays as it was: it is still what someone wrote).
 * These are synced fields, so each rewrite is a change like any save, in the change log
 * under this device's name with its clock: written without one, this replica would differ
 * from every other with no change to tell them, and the server's reports would go on
 * counting "kg" apart from "KG". Replicas that rewrite the same field the same way meet
 * without a conflict (the values are equal). Nothing else of the record is checked: a
 * record some older check let through must not stop the database from opening.
 * Inside the migration's transaction.
 */
gboolean
_dft_store_normalize_fields_locked (DftStore *self, GError **error)
{
  const DftEntity      *entities[] = { &dft_entity_event, &dft_entity_person };
  g_autoptr (GPtrArray) written = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) made = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
  g_autofree char      *stamp = _dft_store_now_stamp ();
  gint64                wall_ms = dft_store_wall_ms (self);

  for (guint e = 0; e < G_N_ELEMENTS (entities); e++)
    {
      g_autoptr (GPtrArray) records = _dft_store_query (self, entities[e], NULL, NULL, "id", error);

      if (records == NULL)
        return FALSE;
      for (guint r = 0; r < records->len; r++)
        {
          DftRecord *record = g_ptr_array_index (records, r);

          _dft_store_normalize_fields (record, FALSE);
          if (dft_record_is_changed (record)
              && !write_local_record (self, record, stamp, wall_ms, written, made, NULL, error))
            return FALSE;
        }
    }
  return TRUE;
}

/*
 * Saves the conflict records a merge or a save found, each once: replicas that
 * find the same loss make the same record, and the first one made stands. Then
 * brings the merges of people up to date with everything the transaction wrote.
 */
gboolean
_dft_store_commit_conflicts (DftStore   *self,
                             GPtrArray  *conflicts,
                             const char *stamp,
                             gint64      wall_ms,
                             GPtrArray  *written,
                             GPtrArray  *made,
                             guint      *n_made,
                             GError    **error)
{
  for (guint i = 0; i < conflicts->len; i++)
    {
      DftRecord            *conflict = g_ptr_array_index (conflicts, i);
      g_autoptr (GError)    load_error = NULL;
      g_autoptr (DftRecord) existing
          = dft_store_load (self, &dft_entity_conflict, dft_record_get_id (conflict), &load_error);

      if (existing != NULL)
        continue;
      if (!commit_local_record (self, conflict, NULL, 0, stamp, wall_ms, written, made, NULL,
                                error))
        return FALSE;
      if (n_made != NULL)
        (*n_made)++;
    }
  /* The last writes of every transaction are here: what merges of people decide follows. */
  return _dft_store_refresh_merges_locked (self, written, error);
}

/* This replica's wall clock, as its hybrid logical clock reads it. */
gint64
dft_store_wall_ms (DftStore *self)
{
  g_return_val_if_fail (DFT_IS_STORE (self), 0);
  return dft_hlc_wall_ms () + self->wall_offset_ms;
}

void
_dft_store_set_wall_offset (DftStore *self, gint64 offset_ms)
{
  g_return_if_fail (DFT_IS_STORE (self));
  self->wall_offset_ms = offset_ms;
}

DftHlc *
_dft_store_get_clock (DftStore *self)
{
  return &self->clock;
}

gboolean
_dft_store_save_prepared (DftStore           *self,
                          DftRecord         **records,
                          guint               n_records,
                          DftStorePrepareFunc prepare,
                          gpointer            user_data,
                          GError            **error)
{
  g_autoptr (GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) written = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) made = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
  g_autoptr (GPtrArray) conflicts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char      *stamp = _dft_store_now_stamp ();
  DftHlc                saved_clock;
  gint64                wall_ms = dft_store_wall_ms (self);

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  g_return_val_if_fail (records != NULL || n_records == 0, FALSE);

  for (guint i = 0; i < n_records; i++)
    {
      g_return_val_if_fail (DFT_IS_RECORD (records[i]), FALSE);
      if (dft_record_get_id (records[i]) == NULL)
        {
          g_autofree char *id = dft_uuid_v7_new ();
          _dft_record_set_identity (records[i], id, NULL, NULL, dft_record_get_deleted (records[i]),
                                    TRUE);
        }
      g_ptr_array_add (batch, g_object_ref (records[i]));
    }

  if (!_dft_store_may_write (self, error))
    return FALSE;

  _dft_store_lock (self);
  saved_clock = self->clock;

  if (!dft_db_exec (self->db, "BEGIN IMMEDIATE", error))
    goto fail_unlocked_txn;
  if (prepare != NULL && !prepare (self, batch, user_data, error))
    goto fail;

  /* The batch can grow while we walk it: a workshop adds its sessions. */
  for (guint i = 0; i < batch->len; i++)
    if (!commit_local_record (self, g_ptr_array_index (batch, i), batch, i, stamp, wall_ms, written,
                              made, conflicts, error))
      goto fail;
  if (!_dft_store_commit_conflicts (self, conflicts, stamp, wall_ms, written, made, NULL, error))
    goto fail;

  if (!dft_db_exec (self->db, "COMMIT", error))
    goto fail;

  _dft_store_unlock (self);

  g_assert (made->len == written->len);
  for (guint i = 0; i < written->len; i++)
    {
      DftRecord       *record = g_ptr_array_index (written, i);
      DftChange       *change = g_ptr_array_index (made, i);
      g_autofree char *version
          = g_strdup_printf ("%" G_GUINT64_FORMAT "/%s", change->hlc, change->device_id);
      g_autoptr (GList) names = json_object_get_members (change->fields);

      for (GList *l = names; l != NULL; l = l->next)
        _dft_record_set_seen (record, l->data, version);
      /* A record made here had nothing before it: it has seen all there was of it. */
      if (dft_record_is_new (record))
        _dft_record_set_read_seq (record, change->seq);
      _dft_record_mark_saved (record, stamp);
    }
  if (written->len > 0)
    _dft_store_emit_changed (self, written);
  return TRUE;

fail:
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
fail_unlocked_txn:
  self->clock = saved_clock;
  _dft_store_unlock (self);
  return FALSE;
}

gboolean
dft_store_save_all (DftStore *self, DftRecord **records, guint n_records, GError **error)
{
  return _dft_store_save_prepared (self, records, n_records, NULL, NULL, error);
}

gboolean
dft_store_save (DftStore *self, DftRecord *record, GError **error)
{
  return dft_store_save_all (self, &record, 1, error);
}

static gboolean
set_deleted_and_save (DftStore *self, DftRecord *record, gboolean deleted, GError **error)
{
  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  g_return_val_if_fail (DFT_IS_RECORD (record), FALSE);
  g_return_val_if_fail (!dft_record_is_new (record), FALSE);

  _dft_record_set_deleted (record, deleted);
  if (!dft_store_save (self, record, error))
    {
      _dft_record_set_deleted (record, !deleted);
      return FALSE;
    }
  return TRUE;
}

/* A delete is a tombstone that syncs like any change and can be undone. */
gboolean
dft_store_delete (DftStore *self, DftRecord *record, GError **error)
{
  return set_deleted_and_save (self, record, TRUE, error);
}

gboolean
dft_store_undelete (DftStore *self, DftRecord *record, GError **error)
{
  return set_deleted_and_save (self, record, FALSE, error);
}

/*
 * The record with @id, or a new one that will be saved with that id: for
 * records whose id is derived from what they stand for, and for importing
 * records that keep their ids, so that doing it twice changes nothing.
 */
DftRecord *
dft_store_load_or_new (DftStore *self, const DftEntity *entity, const char *id, GError **error)
{
  const char           *params[] = { id, NULL };
  g_autoptr (GPtrArray) rows = NULL;
  DftRecord            *record;

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  g_return_val_if_fail (entity != NULL && id != NULL, NULL);

  /* As dft_store_load(), without the translated "not found" error it would make and this would
   * drop: a server pushed a new workshop asks for every record of it twice. */
  rows = _dft_store_query (self, entity, "id = ?", params, NULL, error);
  if (rows == NULL)
    return NULL;
  if (rows->len > 0)
    return g_object_ref (g_ptr_array_index (rows, 0));
  record = dft_record_new_for_entity (entity);
  _dft_record_set_identity (record, id, NULL, NULL, FALSE, TRUE);
  return record;
}

static gboolean add_twins (DftStore   *self,
                           GPtrArray  *marks,
                           const char *session_id,
                           const char *person_id,
                           const char *mark_id,
                           const char *status,
                           GError    **error);

DftRecord *
dft_store_mark_attendance (DftStore   *self,
                           const char *session_id,
                           const char *person_id,
                           const char *status,
                           const char *note,
                           GError    **error)
{
  g_autofree char      *id = NULL;
  g_autoptr (DftRecord) mark = NULL;
  g_autoptr (GPtrArray) marks = NULL;

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  g_return_val_if_fail (session_id != NULL && person_id != NULL, NULL);

  id = dft_attendance_id_for (session_id, person_id);
  mark = dft_store_load_or_new (self, &dft_entity_attendance, id, error);
  if (mark == NULL)
    return NULL;

  /* Fixed once made, and named by the id; a person merged since names the survivor here. */
  if (dft_record_is_new (mark))
    {
      dft_record_set_string (mark, "session_id", session_id);
      dft_record_set_string (mark, "person_id", person_id);
    }
  dft_record_set_string (mark, "status", status);
  if (note != NULL)
    dft_record_set_string (mark, "note", *note != '\0' ? note : NULL);
  _dft_record_set_deleted (mark, FALSE);

  marks = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (marks, g_object_ref (mark));
  if (!add_twins (self, marks, session_id, person_id, id, status, error)
      || !dft_store_save_all (self, (DftRecord **) marks->pdata, marks->len, error))
    return NULL;
  return g_steal_pointer (&mark);
}

/*
 * The marks of people merged into @person_id in @session_id, set to @status too (cleared when
 * it is %NULL): the survivor's mark is combined from them all (dft-store-merges.h), so a
 * correction must reach each.
 */
static gboolean
add_twins (DftStore   *self,
           GPtrArray  *marks,
           const char *session_id,
           const char *person_id,
           const char *mark_id,
           const char *status,
           GError    **error)
{
  g_autoptr (GPtrArray) twins
      = _dft_store_attendance_twins (self, session_id, person_id, mark_id, error);

  if (twins == NULL)
    return FALSE;
  for (guint j = 0; j < twins->len; j++)
    {
      DftRecord *twin = g_ptr_array_index (twins, j);

      if (status == NULL)
        _dft_record_set_deleted (twin, TRUE);
      else if (g_strcmp0 (dft_record_get_string (twin, "status"), status) != 0)
        dft_record_set_string (twin, "status", status);
      else
        continue;
      g_ptr_array_add (marks, g_object_ref (twin));
    }
  return TRUE;
}

gboolean
dft_store_set_attendance (DftStore          *self,
                          const char        *session_id,
                          const char *const *person_ids,
                          const char *const *statuses,
                          guint              n,
                          GError           **error)
{
  g_autoptr (GPtrArray) marks = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  g_return_val_if_fail (session_id != NULL, FALSE);
  g_return_val_if_fail (n == 0 || (person_ids != NULL && statuses != NULL), FALSE);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char      *id = dft_attendance_id_for (session_id, person_ids[i]);
      g_autoptr (DftRecord) mark = dft_store_load_or_new (self, &dft_entity_attendance, id, error);

      if (mark == NULL)
        return FALSE;
      if (statuses[i] == NULL)
        {
          /* Nothing to clear: never marked, or cleared already. */
          if (dft_record_is_new (mark) || dft_record_get_deleted (mark))
            {
              if (!add_twins (self, marks, session_id, person_ids[i], id, NULL, error))
                return FALSE;
              continue;
            }
          _dft_record_set_deleted (mark, TRUE);
        }
      else
        {
          if (dft_record_is_new (mark))
            {
              dft_record_set_string (mark, "session_id", session_id);
              dft_record_set_string (mark, "person_id", person_ids[i]);
            }
          dft_record_set_string (mark, "status", statuses[i]);
          _dft_record_set_deleted (mark, FALSE);
        }
      if (!add_twins (self, marks, session_id, person_ids[i], id, statuses[i], error))
        return FALSE;
      g_ptr_array_add (marks, g_steal_pointer (&mark));
    }
  if (marks->len == 0)
    return TRUE;
  return dft_store_save_all (self, (DftRecord **) marks->pdata, marks->len, error);
}

DftRecord *
dft_store_enroll (
    DftStore *self, const char *event_id, const char *person_id, const char *role, GError **error)
{
  g_autofree char      *id = NULL;
  g_autoptr (DftRecord) enrollment = NULL;

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  g_return_val_if_fail (event_id != NULL && person_id != NULL, NULL);

  id = dft_enrollment_id_for (event_id, person_id);
  enrollment = dft_store_load_or_new (self, &dft_entity_enrollment, id, error);
  if (enrollment == NULL)
    return NULL;

  if (dft_record_is_new (enrollment))
    {
      dft_record_set_string (enrollment, "event_id", event_id);
      dft_record_set_string (enrollment, "person_id", person_id);
    }
  dft_record_set_string (enrollment, "role", role != NULL ? role : "participant");
  _dft_record_set_deleted (enrollment, FALSE);

  if (!dft_store_save (self, enrollment, error))
    return NULL;
  return g_steal_pointer (&enrollment);
}

static char *
derived_id (const char *kind, const char *a, const char *b, const char *c)
{
  g_autofree char *name = g_strjoin ("/", kind, a, b, c, NULL);
  return dft_uuid_v5 (DFT_UUID_NAMESPACE, name);
}

char *
dft_attendance_id_for (const char *session_id, const char *person_id)
{
  return derived_id ("attendance", session_id, person_id, NULL);
}

char *
dft_enrollment_id_for (const char *event_id, const char *person_id)
{
  return derived_id ("enrollment", event_id, person_id, NULL);
}

char *
dft_session_id_for (const char *event_id, const char *date, const char *part)
{
  return derived_id ("session", event_id, date, part);
}

gboolean
_dft_store_may_write (DftStore *self, GError **error)
{
  if (!g_atomic_int_get (&self->damaged))
    return TRUE;
  g_set_error (error, DFT_DB_ERROR, DFT_DB_ERROR_CORRUPT,
               _ ("The database is damaged, so Daftari does not write to it. Nothing was "
                  "saved; keep a copy of the file and restore your data from a backup."));
  return FALSE;
}
