/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "dft-db.h"
#include "dft-record-private.h"
#include "dft-store-internal.h"
#include "dft-store-merges.h"
#include "dft-uuid.h"

/*
 * People merged and told apart (dft-store-merges.h). The merge records are data; what follows
 * from them is derived on each replica, inside the transaction that wrote them
 * (_dft_store_refresh_merges_locked()), in the tables of migration 8.
 */

/* The records that name a person, and so count for whoever stands for that person now. */
static const char *const person_tables[] = { "enrollment", "attendance", "submission" };

void
dft_merge_view_free (DftMergeView *view)
{
  if (view == NULL)
    return;
  g_free (view->id);
  g_free (view->kept_id);
  g_free (view->merged_id);
  g_free (view->kept_name);
  g_free (view->merged_name);
  g_free (view->merged_by);
  g_free (view->merged_at);
  g_free (view->merged_on);
  g_strfreev (view->moved);
  g_free (view->undone_by);
  g_free (view->undone_at);
  g_free (view->undone_on);
  g_free (view);
}

void
dft_store_set_derives_merges (DftStore *self, gboolean derives)
{
  g_return_if_fail (DFT_IS_STORE (self));
  self->merges_off = !derives;
}

/* ---- Deriving --------------------------------------------------------- */

static const char *
find_root (GHashTable *parent, const char *id)
{
  const char *root = id;
  const char *next;

  while ((next = g_hash_table_lookup (parent, root)) != NULL)
    root = next;
  /* Path halving is not worth it: chains of merges are a few people long. */
  return root;
}

/*
 * Who stands for whom, from the live merges of two people this replica holds, taken in the
 * order of their ids (which every replica agrees on): a merge whose two people are one already
 * (B into A after A into B) joins nothing.
 */
static GHashTable *
compute_redirects (DftStore *self, GError **error)
{
  g_autoptr (GHashTable) parent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GHashTable) redirects
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  sqlite3_stmt  *stmt;
  GHashTableIter iter;
  gpointer       key;
  int            rc;

  stmt = _dft_store_cached_statement (
      self,
      "SELECT kept_id, merged_id FROM person_merge WHERE deleted = 0"
      " AND id NOT IN (SELECT merge_id FROM person_unmerge WHERE deleted = 0)"
      " AND kept_id IN (SELECT id FROM person) AND merged_id IN (SELECT id FROM person)"
      " ORDER BY id",
      error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *kept = (const char *) sqlite3_column_text (stmt, 0);
      const char *merged = (const char *) sqlite3_column_text (stmt, 1);
      const char *kept_root, *merged_root;

      if (kept == NULL || merged == NULL)
        continue;
      kept_root = find_root (parent, kept);
      merged_root = find_root (parent, merged);
      if (g_str_equal (kept_root, merged_root))
        continue;
      g_hash_table_insert (parent, g_strdup (merged_root), g_strdup (kept_root));
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      dft_db_set_error (error, self->db, rc, _ ("reading the merges of people"));
      return NULL;
    }

  g_hash_table_iter_init (&iter, parent);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_hash_table_insert (redirects, g_strdup (key), g_strdup (find_root (parent, key)));
  return g_steal_pointer (&redirects);
}

static GHashTable *
read_redirects (DftStore *self, GError **error)
{
  g_autoptr (GHashTable) redirects
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  sqlite3_stmt *stmt = _dft_store_cached_statement (
      self, "SELECT merged_id, survivor_id FROM person_redirect", error);
  int rc;

  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_hash_table_insert (redirects, g_strdup ((const char *) sqlite3_column_text (stmt, 0)),
                         g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      dft_db_set_error (error, self->db, rc, _ ("reading the merges of people"));
      return NULL;
    }
  return g_steal_pointer (&redirects);
}

static gboolean
exec_with_text (DftStore *self, const char *sql, const char *text, GError **error)
{
  sqlite3_stmt *stmt = _dft_store_cached_statement (self, sql, error);
  gboolean      ok;

  if (stmt == NULL)
    return FALSE;
  if (text != NULL)
    sqlite3_bind_text (stmt, 1, text, -1, SQLITE_STATIC);
  ok = dft_db_step_done (self->db, stmt, error);
  sqlite3_reset (stmt);
  return ok;
}

/* Writes @redirects over what person_redirect held, and points every record of the people
 * whose survivor changed at the new one. */
static gboolean
store_redirects (DftStore *self, GHashTable *old, GHashTable *redirects, GError **error)
{
  GHashTableIter iter;
  gpointer       key, value;

  if (!dft_db_exec (self->db,
                    "CREATE TEMP TABLE IF NOT EXISTS dft_merge_changed (id TEXT PRIMARY KEY);"
                    "DELETE FROM temp.dft_merge_changed;"
                    "DELETE FROM person_redirect;",
                    error))
    return FALSE;

  g_hash_table_iter_init (&iter, redirects);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      sqlite3_stmt *stmt = _dft_store_cached_statement (
          self, "INSERT INTO person_redirect (merged_id, survivor_id) VALUES (?, ?)", error);
      gboolean ok;

      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, value, -1, SQLITE_STATIC);
      ok = dft_db_step_done (self->db, stmt, error);
      sqlite3_reset (stmt);
      if (!ok)
        return FALSE;
      if (g_strcmp0 (g_hash_table_lookup (old, key), value) != 0
          && !exec_with_text (self, "INSERT OR IGNORE INTO temp.dft_merge_changed VALUES (?)", key,
                              error))
        return FALSE;
    }
  g_hash_table_iter_init (&iter, old);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (redirects, key)
        && !exec_with_text (self, "INSERT OR IGNORE INTO temp.dft_merge_changed VALUES (?)", key,
                            error))
      return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (person_tables); i++)
    {
      /* person_id becomes what the triggers of migration 8 would make it: they do not fire. */
      g_autofree char *sql = g_strdup_printf (
          "UPDATE %s SET person_id = coalesce ((SELECT survivor_id FROM person_redirect"
          " WHERE merged_id = origin_person_id), origin_person_id)"
          " WHERE origin_person_id IN (SELECT id FROM temp.dft_merge_changed)",
          person_tables[i]);

      if (!dft_db_exec (self->db, sql, error))
        return FALSE;
    }
  return dft_db_exec (self->db,
                      "UPDATE person SET merged_into = (SELECT survivor_id FROM person_redirect"
                      " WHERE merged_id = person.id)"
                      " WHERE id IN (SELECT id FROM temp.dft_merge_changed)",
                      error);
}

/* Which of a survivor's records stands where two say the same: see dft-store-merges.h. */
/* clang-format off */
#define MARK_RANK(t) \
  "((CASE " t ".status WHEN 'present' THEN 4 WHEN 'late' THEN 3 WHEN 'excused' THEN 2" \
  " WHEN 'absent' THEN 1 ELSE 0 END) * 2 + (" t ".origin_person_id IS " t ".person_id))"
#define OWN_RANK(t) "(" t ".origin_person_id IS " t ".person_id)"
#define HIDE_SET(t, group, RANK) \
  "UPDATE " t " SET merge_hidden = EXISTS (SELECT 1 FROM " t " b" \
  " WHERE b." group " = " t "." group " AND b.person_id = " t ".person_id" \
  " AND b.deleted = 0 AND b.id != " t ".id" \
  " AND (" RANK ("b") " > " RANK (t) \
  " OR (" RANK ("b") " = " RANK (t) " AND b.id < " t ".id)))"
/* Every survivor's records, and those hidden before (each through its own index). */
#define HIDE_ALL(t, group, RANK) \
  HIDE_SET (t, group, RANK) " WHERE person_id IN (SELECT survivor_id FROM person_redirect);" \
  HIDE_SET (t, group, RANK) " WHERE merge_hidden = 1"
/* The records of one group, that of the record ?1. */
#define HIDE_GROUP(t, group, RANK) \
  HIDE_SET (t, group, RANK) " WHERE (" group ", person_id) =" \
  " (SELECT " group ", person_id FROM " t " WHERE id = ?1)"

static const char hide_all_sql[] = HIDE_ALL ("attendance", "session_id", MARK_RANK) ";"
                                   HIDE_ALL ("enrollment", "event_id", OWN_RANK);
static const char *const hide_group_sql[] = {
  HIDE_GROUP ("attendance", "session_id", MARK_RANK),
  HIDE_GROUP ("enrollment", "event_id", OWN_RANK),
};
/* clang-format on */

static gboolean
touches (GPtrArray *written, const DftEntity *entity)
{
  for (guint i = 0; written != NULL && i < written->len; i++)
    if (dft_record_get_entity (g_ptr_array_index (written, i)) == entity)
      return TRUE;
  return FALSE;
}

/*
 * After a save, an apply or a merge of ties, before its COMMIT: brings what the merges of
 * people decide up to date with what @written wrote. Costs a query when no merge exists.
 * Locked, inside the caller's transaction.
 */
gboolean
_dft_store_refresh_merges_locked (DftStore *self, GPtrArray *written, GError **error)
{
  gboolean redirects_changed = FALSE;
  int      any = 0;

  if (self->merges_off)
    return TRUE;

  /* A new merge, an undone one, or a person one of them names arriving. */
  if (touches (written, &dft_entity_person_merge) || touches (written, &dft_entity_person_unmerge)
      || touches (written, &dft_entity_person))
    {
      g_autoptr (GHashTable) old = read_redirects (self, error);
      g_autoptr (GHashTable) redirects = old != NULL ? compute_redirects (self, error) : NULL;
      GHashTableIter         iter;
      gpointer               key, value;

      if (redirects == NULL)
        return FALSE;
      redirects_changed = g_hash_table_size (old) != g_hash_table_size (redirects);
      g_hash_table_iter_init (&iter, redirects);
      while (!redirects_changed && g_hash_table_iter_next (&iter, &key, &value))
        redirects_changed = g_strcmp0 (g_hash_table_lookup (old, key), value) != 0;
      if (redirects_changed && !store_redirects (self, old, redirects, error))
        return FALSE;
    }

  if (!redirects_changed && !touches (written, &dft_entity_attendance)
      && !touches (written, &dft_entity_enrollment))
    return TRUE;
  if (!redirects_changed
      && !_dft_store_query_int (self->db, "SELECT EXISTS (SELECT 1 FROM person_redirect)", &any,
                                error))
    return FALSE;
  if (!redirects_changed && !any)
    return TRUE;
  if (redirects_changed)
    return dft_db_exec (self->db, hide_all_sql, error);

  /* Only the sessions and workshops of the marks and enrollments written. */
  for (guint i = 0; i < written->len; i++)
    {
      DftRecord       *record = g_ptr_array_index (written, i);
      const DftEntity *entity = dft_record_get_entity (record);

      if ((entity == &dft_entity_attendance || entity == &dft_entity_enrollment)
          && !exec_with_text (self, hide_group_sql[entity == &dft_entity_attendance ? 0 : 1],
                              dft_record_get_id (record), error))
        return FALSE;
    }
  return TRUE;
}

/*
 * The other live marks that count for @person_id in @session_id (those of people merged into
 * it), but @except_id: a mark set for the survivor is set on them too, so the combined mark is
 * the one set. Locked by the caller or not; reads only.
 */
GPtrArray *
_dft_store_attendance_twins (DftStore   *self,
                             const char *session_id,
                             const char *person_id,
                             const char *except_id,
                             GError    **error)
{
  const char *params[] = { session_id, person_id, except_id, NULL };

  if (self->merges_off)
    return g_ptr_array_new_with_free_func (g_object_unref);
  /* Not "deleted = 0 AND ...": that would leave out the marks a merge hides. */
  return _dft_store_query (self, &dft_entity_attendance,
                           "session_id = ? AND person_id = ? AND id != ? AND deleted = 0", params,
                           "id", error);
}

/*
 * The person a record of @entity was written about, before any merge: what a change that
 * arrives for it meets. %NULL in *@out when the record names none.
 */
gboolean
_dft_store_origin_person (
    DftStore *self, const DftEntity *entity, const char *id, char **out, GError **error)
{
  g_autofree char *sql = NULL;
  sqlite3_stmt    *stmt;
  int              rc;

  *out = NULL;
  sql = g_strdup_printf ("SELECT origin_person_id FROM %s WHERE id = ?", entity->name);
  stmt = _dft_store_cached_statement (self, sql, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *out = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      dft_db_set_error (error, self->db, rc, _ ("reading the database"));
      return FALSE;
    }
  return TRUE;
}

gboolean
_dft_store_names_person (const DftEntity *entity)
{
  return entity == &dft_entity_enrollment || entity == &dft_entity_attendance
         || entity == &dft_entity_submission;
}

/* ---- Reading ---------------------------------------------------------- */

char *
dft_store_survivor_of (DftStore *self, const char *person_id)
{
  sqlite3_stmt *stmt;
  char         *survivor = NULL;

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  g_return_val_if_fail (person_id != NULL, NULL);

  _dft_store_lock (self);
  stmt = _dft_store_cached_statement (
      self, "SELECT survivor_id FROM person_redirect WHERE merged_id = ?", NULL);
  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, person_id, -1, SQLITE_STATIC);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        survivor = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      sqlite3_reset (stmt);
    }
  _dft_store_unlock (self);
  return survivor != NULL ? survivor : g_strdup (person_id);
}

static char *
distinct_id (const char *a_id, const char *b_id)
{
  g_autofree char *name = strcmp (a_id, b_id) < 0
                              ? g_strjoin ("/", "person_distinct", a_id, b_id, NULL)
                              : g_strjoin ("/", "person_distinct", b_id, a_id, NULL);
  return dft_uuid_v5 (DFT_UUID_NAMESPACE, name);
}

gboolean
dft_store_is_distinct (DftStore *self, const char *a_id, const char *b_id)
{
  g_autofree char      *id = NULL;
  g_autoptr (DftRecord) record = NULL;

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  g_return_val_if_fail (a_id != NULL && b_id != NULL, FALSE);

  id = distinct_id (a_id, b_id);
  record = dft_store_load (self, &dft_entity_person_distinct, id, NULL);
  return record != NULL && !dft_record_get_deleted (record);
}

static char *
person_name (DftStore *self, const char *id)
{
  g_autoptr (DftRecord) person = dft_store_load (self, &dft_entity_person, id, NULL);

  if (person == NULL)
    return NULL;
  return g_strstrip (g_strdup_printf ("%s %s", dft_record_get_string (person, "given_name") ?: "",
                                      dft_record_get_string (person, "family_name") ?: ""));
}

static char *
writer_of (DftStore *self, const char *entity, const char *id, const char *field)
{
  g_auto (DftVersion) version = { 0 };
  gboolean            ok;

  _dft_store_lock (self);
  ok = _dft_store_read_field_version (self, entity, id, field, &version, NULL, NULL);
  _dft_store_unlock (self);
  return ok ? g_steal_pointer (&version.device) : NULL;
}

static GStrv
moved_from_json (const char *text)
{
  g_autoptr (JsonNode)     node = text != NULL ? json_from_string (text, NULL) : NULL;
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);

          if (JSON_NODE_HOLDS_VALUE (element)
              && json_node_get_value_type (element) == G_TYPE_STRING)
            g_strv_builder_add (builder, json_node_get_string (element));
        }
    }
  return g_strv_builder_end (builder);
}

/* The first live record undoing @merge_id, or %NULL (with @error set if reading failed). */
static DftRecord *
first_unmerge (DftStore *self, const char *merge_id, GError **error)
{
  g_autoptr (GPtrArray) unmerges = dft_store_list_records (
      self, &dft_entity_person_unmerge, (const char *const[]){ "merge_id", merge_id, NULL },
      (const char *const[]){ "id", NULL }, 1, error);

  if (unmerges == NULL || unmerges->len == 0)
    return NULL;
  return g_object_ref (g_ptr_array_index (unmerges, 0));
}

GPtrArray *
dft_store_list_merges (DftStore *self, GError **error)
{
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GPtrArray) views = NULL;

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);

  records = dft_store_list_records (self, &dft_entity_person_merge, NULL,
                                    (const char *const[]){ "id", NULL }, 0, error);
  if (records == NULL)
    return NULL;
  views = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_merge_view_free);
  /* Ids are UUIDv7, so in the order they were made: the newest first. */
  for (guint i = records->len; i-- > 0;)
    {
      DftRecord            *record = g_ptr_array_index (records, i);
      DftMergeView         *view = g_new0 (DftMergeView, 1);
      g_autoptr (DftRecord) unmerge = NULL;
      const char           *by = dft_record_get_string (record, "merged_by");

      view->id = g_strdup (dft_record_get_id (record));
      view->kept_id = g_strdup (dft_record_get_string (record, "kept_id"));
      view->merged_id = g_strdup (dft_record_get_string (record, "merged_id"));
      view->kept_name = person_name (self, view->kept_id);
      view->merged_name = person_name (self, view->merged_id);
      view->merged_by = g_strdup (by);
      view->merged_at = g_strdup (dft_record_get_created_at (record));
      view->merged_on = writer_of (self, "person_merge", view->id, "kept_id");
      view->moved = moved_from_json (dft_record_get_string (record, "moved"));
      /* Two coordinators may both have undone it: the first stands in the trail. */
      unmerge = first_unmerge (self, view->id, error);
      if (unmerge == NULL && error != NULL && *error != NULL)
        return NULL;
      view->undone = unmerge != NULL;
      if (view->undone)
        {
          view->undone_by = g_strdup (dft_record_get_string (unmerge, "unmerged_by"));
          view->undone_at = g_strdup (dft_record_get_created_at (unmerge));
          view->undone_on
              = writer_of (self, "person_unmerge", dft_record_get_id (unmerge), "merge_id");
        }
      g_ptr_array_add (views, view);
    }
  return g_steal_pointer (&views);
}

static gboolean
newer_than (DftStore *self, const char *a_id, const char *b_id, const char *field, GError **error)
{
  g_auto (DftVersion) a = { 0 };
  g_auto (DftVersion) b = { 0 };
  gboolean            ok;

  _dft_store_lock (self);
  ok = _dft_store_read_field_version (self, "person", a_id, field, &a, NULL, error)
       && _dft_store_read_field_version (self, "person", b_id, field, &b, NULL, error);
  _dft_store_unlock (self);
  if (!ok || a.device == NULL)
    return FALSE;
  if (b.device == NULL)
    return TRUE;
  return dft_hlc_compare (a.hlc, a.device, b.hlc, b.device) > 0;
}

GStrv
dft_store_merge_suggest (DftStore *self, const char *keep_id, const char *other_id, GError **error)
{
  g_autoptr (DftRecord)    keep = NULL;
  g_autoptr (DftRecord)    other = NULL;
  g_autoptr (GStrvBuilder) take = g_strv_builder_new ();

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  g_return_val_if_fail (keep_id != NULL && other_id != NULL, NULL);

  if ((keep = dft_store_load (self, &dft_entity_person, keep_id, error)) == NULL
      || (other = dft_store_load (self, &dft_entity_person, other_id, error)) == NULL)
    return NULL;
  for (guint i = 0; i < dft_entity_person.n_fields; i++)
    {
      const DftField      *field = &dft_entity_person.fields[i];
      g_autoptr (JsonNode) mine = _dft_store_value_to_json (field, dft_record_get_value (keep, i));
      g_autoptr (JsonNode) theirs
          = _dft_store_value_to_json (field, dft_record_get_value (other, i));
      g_autoptr (GError) local_error = NULL;

      if (json_node_equal (mine, theirs) || JSON_NODE_HOLDS_NULL (theirs))
        continue;
      if (JSON_NODE_HOLDS_NULL (mine)
          || newer_than (self, other_id, keep_id, field->name, &local_error))
        g_strv_builder_add (take, field->name);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
    }
  return g_strv_builder_end (take);
}

/* ---- Writing ---------------------------------------------------------- */

/* Merging is a coordinator's decision: a laptop signed in with a trainer's account refuses. */
static gboolean
may_decide (DftStore *self, GError **error)
{
  g_autofree char *role = dft_store_get_sync_state (self, "role", NULL);

  if (g_strcmp0 (role, "trainer") != 0)
    return TRUE;
  g_set_error_literal (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_ALLOWED,
                       _ ("Only a coordinator or an administrator can merge people or undo a "
                          "merge. This laptop is signed in with a trainer’s account."));
  return FALSE;
}

static char *
account_name (DftStore *self)
{
  g_autofree char *account = dft_store_get_sync_state (self, "account", NULL);

  return account != NULL && *account != '\0' ? g_steal_pointer (&account) : NULL;
}

static DftRecord *
load_live_person (DftStore *self, const char *id, GError **error)
{
  g_autoptr (GError)    local_error = NULL;
  g_autoptr (DftRecord) person = dft_store_load (self, &dft_entity_person, id, &local_error);
  g_autofree char      *survivor = NULL;

  if (person == NULL)
    {
      if (g_error_matches (local_error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND))
        g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND,
                     /* Translators: %s is the id of a person record */
                     _ ("No person has the id %s."), id);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (dft_record_get_deleted (person))
    {
      g_autofree char *name = person_name (self, id);

      g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID,
                   /* Translators: %s is a person's name */
                   _ ("%s was deleted. Restore the person first to merge them."), name);
      return NULL;
    }
  survivor = dft_store_survivor_of (self, id);
  if (!g_str_equal (survivor, id))
    {
      g_autofree char *name = person_name (self, id);
      g_autofree char *into = person_name (self, survivor);

      g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID,
                   /* Translators: both %s are people's names */
                   _ ("%s was merged into %s already."), name, into);
      return NULL;
    }
  return g_steal_pointer (&person);
}

static gboolean
attended_together (
    DftStore *self, const char *a_id, const char *b_id, gboolean *together, GError **error)
{
  sqlite3_stmt *stmt;
  int           rc;

  _dft_store_lock (self);
  stmt = _dft_store_cached_statement (
      self,
      "SELECT 1 FROM attendance a JOIN attendance b ON a.session_id = b.session_id"
      " WHERE a.person_id = ?1 AND b.person_id = ?2 AND a.deleted = 0 AND b.deleted = 0"
      " AND a.status IN ('present', 'late') AND b.status IN ('present', 'late') LIMIT 1",
      error);
  if (stmt == NULL)
    {
      _dft_store_unlock (self);
      return FALSE;
    }
  sqlite3_bind_text (stmt, 1, a_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, b_id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  *together = rc == SQLITE_ROW;
  sqlite3_reset (stmt);
  _dft_store_unlock (self);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      dft_db_set_error (error, self->db, rc, _ ("reading the database"));
      return FALSE;
    }
  return TRUE;
}

/* "entity/id" of every live record that counts for @person_id now, conflicts about it too. */
static char *
moved_records (DftStore *self, const char *person_id, GError **error)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode)    root = NULL;
  const DftEntity        *entities[] = { &dft_entity_enrollment, &dft_entity_attendance,
                                         &dft_entity_submission, &dft_entity_conflict };

  json_builder_begin_array (builder);
  for (guint e = 0; e < G_N_ELEMENTS (entities); e++)
    {
      const char           *field = entities[e] == &dft_entity_conflict ? "record_id" : "person_id";
      const char           *filters[] = { field, person_id, NULL };
      g_autoptr (GPtrArray) records
          = dft_store_list_records (self, entities[e], filters, NULL, 0, error);

      if (records == NULL)
        return NULL;
      for (guint i = 0; i < records->len; i++)
        {
          g_autofree char *name = g_strconcat (
              entities[e]->name, "/", dft_record_get_id (g_ptr_array_index (records, i)), NULL);
          json_builder_add_string_value (builder, name);
        }
    }
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

DftRecord *
dft_store_merge_people (DftStore          *self,
                        const char        *keep_id,
                        const char        *other_id,
                        const char *const *take_fields,
                        GError           **error)
{
  g_autoptr (DftRecord)  keep = NULL;
  g_autoptr (DftRecord)  other = NULL;
  g_autoptr (DftRecord)  merge = NULL;
  g_autoptr (JsonObject) before = json_object_new ();
  g_autofree char       *moved = NULL;
  g_autofree char       *by = NULL;
  gboolean               together = FALSE;
  DftRecord             *batch[2];

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  g_return_val_if_fail (keep_id != NULL && other_id != NULL, NULL);

  if (!may_decide (self, error))
    return NULL;
  if (g_str_equal (keep_id, other_id))
    {
      g_set_error_literal (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID,
                           _ ("A person cannot be merged with themselves."));
      return NULL;
    }
  if ((keep = load_live_person (self, keep_id, error)) == NULL
      || (other = load_live_person (self, other_id, error)) == NULL)
    return NULL;
  if (dft_store_is_distinct (self, keep_id, other_id))
    {
      g_autofree char *a = person_name (self, keep_id);
      g_autofree char *b = person_name (self, other_id);

      g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID,
                   /* Translators: both %s are people's names */
                   _ ("%s and %s were marked as two different people."), a, b);
      return NULL;
    }
  if (!attended_together (self, keep_id, other_id, &together, error))
    return NULL;
  if (together)
    {
      g_autofree char *a = person_name (self, keep_id);
      g_autofree char *b = person_name (self, other_id);

      g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID,
                   /* Translators: both %s are people's names */
                   _ ("%s and %s were both at one session, so they are two people."), a, b);
      return NULL;
    }

  for (guint i = 0; take_fields != NULL && take_fields[i] != NULL; i++)
    {
      int             index = dft_entity_field_index (&dft_entity_person, take_fields[i]);
      const DftField *field;

      if (index < 0)
        {
          g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID,
                       /* Translators: %s is the name of a field, e.g. "agency" */
                       _ ("“%s” is not a field of a person."), take_fields[i]);
          return NULL;
        }
      field = &dft_entity_person.fields[index];
      json_object_set_member (before, field->name,
                              _dft_store_value_to_json (field, dft_record_get_value (keep, index)));
      dft_record_set_value (keep, (guint) index, dft_record_get_value (other, (guint) index));
    }

  if ((moved = moved_records (self, other_id, error)) == NULL)
    return NULL;
  by = account_name (self);
  merge = dft_record_new_for_entity (&dft_entity_person_merge);
  dft_record_set_string (merge, "kept_id", keep_id);
  dft_record_set_string (merge, "merged_id", other_id);
  if (json_object_get_size (before) > 0)
    {
      g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), before);
      g_autofree char     *text = json_to_string (node, FALSE);

      dft_record_set_string (merge, "kept_before", text);
    }
  dft_record_set_string (merge, "moved", moved);
  dft_record_set_string (merge, "merged_by", by);

  /* One transaction: the survivor's new values and the merge stand or fall together. */
  batch[0] = merge;
  batch[1] = keep;
  if (!dft_store_save_all (self, batch, dft_record_is_changed (keep) ? 2 : 1, error))
    return NULL;
  return g_steal_pointer (&merge);
}

gboolean
dft_store_unmerge (DftStore *self, const char *merge_id, GError **error)
{
  g_autoptr (GError)    local_error = NULL;
  g_autoptr (DftRecord) merge = NULL;
  g_autoptr (DftRecord) unmerge = NULL;
  g_autoptr (DftRecord) keep = NULL;
  g_autoptr (DftRecord) other = NULL;
  g_autoptr (JsonNode)  before = NULL;
  g_autofree char      *by = NULL;
  DftRecord            *batch[2];
  guint                 n = 1;

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  g_return_val_if_fail (merge_id != NULL, FALSE);

  if (!may_decide (self, error))
    return FALSE;
  merge = dft_store_load (self, &dft_entity_person_merge, merge_id, &local_error);
  if (merge == NULL || dft_record_get_deleted (merge))
    {
      if (merge == NULL
          && !g_error_matches (local_error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND,
                   /* Translators: %s is the id of a merge of two people */
                   _ ("No merge has the id %s."), merge_id);
      return FALSE;
    }
  unmerge = first_unmerge (self, merge_id, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (unmerge != NULL)
    {
      g_set_error_literal (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID,
                           _ ("This merge was undone already."));
      return FALSE;
    }

  by = account_name (self);
  unmerge = dft_record_new_for_entity (&dft_entity_person_unmerge);
  dft_record_set_string (unmerge, "merge_id", merge_id);
  dft_record_set_string (unmerge, "unmerged_by", by);
  batch[0] = unmerge;

  /* The kept person's own values come back where they still hold what was taken. */
  keep = dft_store_load (self, &dft_entity_person, dft_record_get_string (merge, "kept_id"), NULL);
  other
      = dft_store_load (self, &dft_entity_person, dft_record_get_string (merge, "merged_id"), NULL);
  if (dft_record_get_string (merge, "kept_before") != NULL)
    before = json_from_string (dft_record_get_string (merge, "kept_before"), NULL);
  if (keep != NULL && other != NULL && before != NULL && JSON_NODE_HOLDS_OBJECT (before))
    {
      JsonObject       *object = json_node_get_object (before);
      g_autoptr (GList) names = json_object_get_members (object);

      for (GList *l = names; l != NULL; l = l->next)
        {
          int                  index = dft_entity_field_index (&dft_entity_person, l->data);
          const DftField      *field;
          g_autoptr (JsonNode) now = NULL;
          g_autoptr (JsonNode) taken = NULL;
          g_auto (GValue)      value = G_VALUE_INIT;

          if (index < 0)
            continue;
          field = &dft_entity_person.fields[index];
          now = _dft_store_value_to_json (field, dft_record_get_value (keep, (guint) index));
          taken = _dft_store_value_to_json (field, dft_record_get_value (other, (guint) index));
          if (!json_node_equal (now, taken))
            continue;
          g_value_init (&value, G_VALUE_TYPE (dft_record_get_value (keep, (guint) index)));
          if (_dft_store_json_to_value (field, json_object_get_member (object, l->data), &value))
            dft_record_set_value (keep, (guint) index, &value);
        }
      if (dft_record_is_changed (keep))
        batch[n++] = keep;
    }
  return dft_store_save_all (self, batch, n, error);
}

gboolean
dft_store_mark_distinct (DftStore *self, const char *a_id, const char *b_id, GError **error)
{
  g_autofree char      *id = NULL;
  g_autofree char      *by = NULL;
  g_autoptr (DftRecord) record = NULL;
  g_autoptr (DftRecord) a = NULL;
  g_autoptr (DftRecord) b = NULL;

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  g_return_val_if_fail (a_id != NULL && b_id != NULL, FALSE);

  if (!may_decide (self, error))
    return FALSE;
  if (g_str_equal (a_id, b_id))
    {
      g_set_error_literal (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID,
                           _ ("A person is always the same person as themselves."));
      return FALSE;
    }
  if ((a = dft_store_load (self, &dft_entity_person, a_id, error)) == NULL
      || (b = dft_store_load (self, &dft_entity_person, b_id, error)) == NULL)
    return FALSE;

  id = distinct_id (a_id, b_id);
  record = dft_store_load_or_new (self, &dft_entity_person_distinct, id, error);
  if (record == NULL)
    return FALSE;
  if (!dft_record_is_new (record) && !dft_record_get_deleted (record))
    return TRUE;
  by = account_name (self);
  if (dft_record_is_new (record))
    {
      /* In one order, so that two coordinators who decide it make one record. */
      dft_record_set_string (record, "person_a", strcmp (a_id, b_id) < 0 ? a_id : b_id);
      dft_record_set_string (record, "person_b", strcmp (a_id, b_id) < 0 ? b_id : a_id);
      dft_record_set_string (record, "decided_by", by);
    }
  _dft_record_set_deleted (record, FALSE);
  return dft_store_save (self, record, error);
}
