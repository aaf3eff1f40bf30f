/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "dft-db.h"
#include "dft-record-private.h"
#include "dft-record-list.h"
#include "dft-search.h"
#include "dft-store-internal.h"

/* ---- Reading ---------------------------------------------------------- */

/*
 * What a list of live records leaves out besides deleted ones: a person merged into another
 * (person.merged_into), and the marks and enrollments a merge made twice over (merge_hidden,
 * dft-store-merges.c). A query for "deleted = 0" means a list of what the register holds now;
 * a query by id still finds every record.
 */
static const char *
merge_condition (const DftEntity *entity)
{
  if (entity == &dft_entity_person)
    return "merged_into IS NULL AND ";
  if (entity == &dft_entity_attendance || entity == &dft_entity_enrollment)
    return "merge_hidden = 0 AND ";
  return "";
}

static gboolean
lists_live (const char *where)
{
  return where != NULL && g_str_has_prefix (where, "deleted = 0");
}

static char *
select_sql (const DftEntity *entity, const char *where, const char *order_by, guint limit)
{
  GString *sql = g_string_new ("SELECT id, created_at, updated_at, deleted");

  for (guint i = 0; i < entity->n_fields; i++)
    g_string_append_printf (sql, ", %s", entity->fields[i].name);
  g_string_append_printf (sql, " FROM %s", entity->name);
  if (where != NULL)
    g_string_append_printf (sql, " WHERE %s%s", lists_live (where) ? merge_condition (entity) : "",
                            where);
  if (order_by != NULL)
    g_string_append_printf (sql, " ORDER BY %s", order_by);
  /* A bound limit keeps one cached statement for every limit. */
  if (limit > 0)
    g_string_append (sql, " LIMIT ?");
  return g_string_free (sql, FALSE);
}

static DftRecord *
record_from_row (const DftEntity *entity, sqlite3_stmt *stmt)
{
  DftRecord *record = dft_record_new_for_entity (entity);

  _dft_record_set_identity (record, (const char *) sqlite3_column_text (stmt, 0),
                            (const char *) sqlite3_column_text (stmt, 1),
                            (const char *) sqlite3_column_text (stmt, 2),
                            sqlite3_column_int (stmt, 3) != 0, FALSE);

  for (guint i = 0; i < entity->n_fields; i++)
    {
      int    col = (int) i + 4;
      GValue value = G_VALUE_INIT;

      g_value_init (&value, G_VALUE_TYPE (dft_record_get_value (record, i)));
      switch (entity->fields[i].type)
        {
        case DFT_FIELD_INT:
          g_value_set_int64 (&value, sqlite3_column_int64 (stmt, col));
          break;
        case DFT_FIELD_REAL:
          g_value_set_double (&value, sqlite3_column_type (stmt, col) == SQLITE_NULL
                                          ? NAN
                                          : sqlite3_column_double (stmt, col));
          break;
        case DFT_FIELD_BOOL:
          g_value_set_boolean (&value, sqlite3_column_int (stmt, col) != 0);
          break;
        case DFT_FIELD_TEXT:
        case DFT_FIELD_DATE:
        case DFT_FIELD_TIME:
        case DFT_FIELD_CHOICE:
        case DFT_FIELD_REF:
        case DFT_FIELD_JSON:
        case DFT_FIELD_STAMP:
        default:
          g_value_set_string (&value, (const char *) sqlite3_column_text (stmt, col));
          break;
        }
      _dft_record_take_loaded_value (record, i, &value);
    }
  return record;
}

/* The newest position in the change log; every row holds only what came before it. */
static gint64
log_position (DftStore *self, GError **error)
{
  sqlite3_stmt *stmt
      = _dft_store_cached_statement (self, "SELECT coalesce (max (seq), 0) FROM change_log", error);
  gint64 seq = -1;
  int    rc;

  if (stmt == NULL)
    return -1;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    seq = sqlite3_column_int64 (stmt, 0);
  else
    dft_db_set_error (error, self->db, rc, _ ("reading the change log"));
  sqlite3_reset (stmt);
  return seq;
}

GPtrArray *
_dft_store_query (DftStore          *self,
                  const DftEntity   *entity,
                  const char        *where,
                  const char *const *params,
                  const char        *order_by,
                  GError           **error)
{
  return _dft_store_query_limit (self, entity, where, params, order_by, 0, error);
}

GPtrArray *
_dft_store_query_limit (DftStore          *self,
                        const DftEntity   *entity,
                        const char        *where,
                        const char *const *params,
                        const char        *order_by,
                        guint              limit,
                        GError           **error)
{
  g_autofree char      *sql = select_sql (entity, where, order_by, limit);
  g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func (g_object_unref);
  sqlite3_stmt         *stmt;
  int                   rc;
  guint                 n_params = 0;

  _dft_store_lock (self);
  stmt = _dft_store_cached_statement (self, sql, error);
  if (stmt == NULL)
    {
      _dft_store_unlock (self);
      return NULL;
    }
  for (; params != NULL && params[n_params] != NULL; n_params++)
    sqlite3_bind_text (stmt, (int) n_params + 1, params[n_params], -1, SQLITE_TRANSIENT);
  if (limit > 0)
    sqlite3_bind_int64 (stmt, (int) n_params + 1, limit);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (records, record_from_row (entity, stmt));
  sqlite3_reset (stmt);
  if (rc == SQLITE_DONE && records->len > 0)
    {
      /* What the rows were read at, under the same lock: a save names it as its base. */
      gint64 read_seq = log_position (self, error);

      if (read_seq < 0)
        {
          _dft_store_unlock (self);
          return NULL;
        }
      for (guint i = 0; i < records->len; i++)
        _dft_record_set_read_seq (g_ptr_array_index (records, i), read_seq);
    }
  _dft_store_unlock (self);

  if (rc != SQLITE_DONE)
    {
      dft_db_set_error (error, self->db, rc, _ ("reading the database"));
      return NULL;
    }
  return g_steal_pointer (&records);
}

DftRecord *
dft_store_load (DftStore *self, const DftEntity *entity, const char *id, GError **error)
{
  const char           *params[] = { id, NULL };
  g_autoptr (GPtrArray) rows = NULL;

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  g_return_val_if_fail (entity != NULL, NULL);
  g_return_val_if_fail (id != NULL, NULL);

  rows = _dft_store_query (self, entity, "id = ?", params, NULL, error);
  if (rows == NULL)
    return NULL;
  if (rows->len == 0)
    {
      g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND,
                   /* Translators: first %s is a kind of record, e.g. "person"; second an id */
                   _ ("There is no %s with the id %s."), _ (entity->label), id);
      return NULL;
    }
  return g_object_ref (g_ptr_array_index (rows, 0));
}

/* An FTS5 query of prefix terms: "aib"* "tok"*. Terms are ASCII letters and digits only. */
char *
_dft_store_match_expression (const char *query)
{
  g_auto (GStrv) terms = dft_search_query_terms (query);
  GString       *expr = g_string_new (NULL);

  for (guint i = 0; terms != NULL && terms[i] != NULL; i++)
    {
      if (*terms[i] == '\0')
        continue;
      if (expr->len > 0)
        g_string_append_c (expr, ' ');
      g_string_append_printf (expr, "\"%s\"*", terms[i]);
    }
  if (expr->len == 0)
    {
      g_string_free (expr, TRUE);
      return NULL;
    }
  return g_string_free (expr, FALSE);
}

GPtrArray *
dft_store_find_people (DftStore *self, const char *query, guint limit, GError **error)
{
  g_autofree char *match = NULL;
  g_autofree char *where = NULL;
  const char      *params[] = { NULL, NULL };

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  g_return_val_if_fail (query != NULL, NULL);

  match = _dft_store_match_expression (query);
  if (match == NULL)
    return g_ptr_array_new_with_free_func (g_object_unref);

  params[0] = match;
  where = g_strdup_printf ("deleted = 0 AND rowid IN (SELECT rowid FROM person_search "
                           "WHERE person_search MATCH ? LIMIT %u)",
                           limit > 0 ? limit : G_MAXINT);
  return _dft_store_query (self, &dft_entity_person, where, params,
                           "family_name COLLATE NOCASE, given_name COLLATE NOCASE", error);
}

/* ---- Lists ------------------------------------------------------------ */

GListModel *
dft_store_list_events (DftStore *self)
{
  return G_LIST_MODEL (
      dft_record_list_new (self, &dft_entity_event, "deleted = 0", NULL, "start_date DESC, title"));
}

GListModel *
dft_store_list_sessions (DftStore *self, const char *event_id)
{
  return G_LIST_MODEL (dft_record_list_new (
      self, &dft_entity_session, "deleted = 0 AND event_id = ?", event_id, "date, part"));
}

GListModel *
dft_store_list_people (DftStore *self, const char *event_id)
{
  if (event_id == NULL)
    return G_LIST_MODEL (
        dft_record_list_new (self, &dft_entity_person, "deleted = 0", NULL,
                             "family_name COLLATE NOCASE, given_name COLLATE NOCASE"));
  return G_LIST_MODEL (
      dft_record_list_new (self, &dft_entity_person,
                           "deleted = 0 AND id IN (SELECT person_id FROM enrollment "
                           "WHERE event_id = ? AND deleted = 0)",
                           event_id, "family_name COLLATE NOCASE, given_name COLLATE NOCASE"));
}

GListModel *
dft_store_list_enrollments (DftStore *self, const char *event_id)
{
  return G_LIST_MODEL (dft_record_list_new (
      self, &dft_entity_enrollment,
      "deleted = 0 AND event_id = ? AND " DFT_SQL_PERSON_LIVE ("enrollment.person_id"), event_id,
      "created_at"));
}

GListModel *
dft_store_list_attendance (DftStore *self, const char *session_id)
{
  return G_LIST_MODEL (dft_record_list_new (
      self, &dft_entity_attendance,
      "deleted = 0 AND session_id = ? AND " DFT_SQL_PERSON_LIVE ("attendance.person_id"),
      session_id, "person_id"));
}

GListModel *
dft_store_list_forms (DftStore *self)
{
  return G_LIST_MODEL (
      dft_record_list_new (self, &dft_entity_form, "deleted = 0", NULL, "title, version"));
}

GListModel *
dft_store_list_submissions (DftStore *self, const char *event_id)
{
  return G_LIST_MODEL (dft_record_list_new (
      self, &dft_entity_submission, "deleted = 0 AND event_id = ?", event_id, "created_at"));
}

/* ---- Named queries ---------------------------------------------------- */

static gboolean
is_column (const DftEntity *entity, const char *name)
{
  return g_str_equal (name, "id") || g_str_equal (name, "created_at")
         || g_str_equal (name, "updated_at") || dft_entity_field_index (entity, name) >= 0;
}

GPtrArray *
dft_store_list_records (DftStore          *self,
                        const DftEntity   *entity,
                        const char *const *filters,
                        const char *const *order_by,
                        guint              limit,
                        GError           **error)
{
  g_autoptr (GString)   where = g_string_new ("deleted = 0");
  g_autoptr (GString)   order = g_string_new (NULL);
  g_autoptr (GPtrArray) params = g_ptr_array_new ();

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  g_return_val_if_fail (entity != NULL, NULL);

  /* Names are checked against the schema, never passed through: only values are bound. */
  for (guint i = 0; filters != NULL && filters[i] != NULL; i += 2)
    {
      g_return_val_if_fail (is_column (entity, filters[i]), NULL);
      if (filters[i + 1] == NULL)
        {
          g_string_append_printf (where, " AND %s IS NOT NULL AND %s != ''", filters[i],
                                  filters[i]);
          continue;
        }
      g_string_append_printf (where, " AND %s = ?", filters[i]);
      g_ptr_array_add (params, (gpointer) filters[i + 1]);
    }
  g_ptr_array_add (params, NULL);

  for (guint i = 0; order_by != NULL && order_by[i] != NULL; i++)
    {
      const char      *nocase = g_strstr_len (order_by[i], -1, " COLLATE NOCASE");
      g_autofree char *name = g_strndup (
          order_by[i], nocase != NULL ? (gsize) (nocase - order_by[i]) : strlen (order_by[i]));

      g_return_val_if_fail (is_column (entity, name), NULL);
      g_return_val_if_fail (nocase == NULL || nocase[strlen (" COLLATE NOCASE")] == '\0', NULL);
      g_string_append_printf (order, "%s%s", i > 0 ? ", " : "", order_by[i]);
    }

  return _dft_store_query_limit (self, entity, where->str, (const char *const *) params->pdata,
                                 order->len > 0 ? order->str : NULL, limit, error);
}

gint64
dft_store_count_records (DftStore *self, const DftEntity *entity, GError **error)
{
  g_autofree char *sql = NULL;
  sqlite3_stmt    *stmt;
  gint64           n = -1;
  int              rc;

  g_return_val_if_fail (DFT_IS_STORE (self), -1);
  g_return_val_if_fail (entity != NULL, -1);

  sql = g_strdup_printf ("SELECT count (*) FROM %s WHERE %sdeleted = 0", entity->name,
                         merge_condition (entity));
  _dft_store_lock (self);
  stmt = _dft_store_cached_statement (self, sql, error);
  if (stmt != NULL)
    {
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        n = sqlite3_column_int64 (stmt, 0);
      else
        dft_db_set_error (error, self->db, rc, _ ("reading the database"));
      sqlite3_reset (stmt);
    }
  _dft_store_unlock (self);
  return n;
}

/* The live people enrolled in the workshop ?1, their enrollment live too. */
#define ENROLLED_WHERE                                                                             \
  "deleted = 0 AND merged_into IS NULL AND id IN (SELECT person_id FROM enrollment WHERE "         \
  "event_id = ?1 AND deleted = 0)"
#define BY_NAME "family_name COLLATE NOCASE, given_name COLLATE NOCASE"

GPtrArray *
dft_store_list_enrolled_people (DftStore *self, const char *event_id, GError **error)
{
  const char *params[] = { event_id, NULL };

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  g_return_val_if_fail (event_id != NULL, NULL);

  return _dft_store_query (self, &dft_entity_person, ENROLLED_WHERE, params, BY_NAME, error);
}

GPtrArray *
dft_store_list_event_attendance (DftStore *self, const char *event_id, GError **error)
{
  const char *params[] = { event_id, NULL };

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  g_return_val_if_fail (event_id != NULL, NULL);

  return _dft_store_query (
      self, &dft_entity_attendance,
      "deleted = 0 AND session_id IN (SELECT id FROM session WHERE event_id = ?)", params, NULL,
      error);
}

void
dft_session_tally_free (DftSessionTally *tally)
{
  if (tally == NULL)
    return;
  g_free (tally->session_id);
  g_free (tally->date);
  g_free (tally->part);
  g_free (tally);
}

static const char tally_sql[]
    = "SELECT s.id, s.date, s.part,"
      " count (CASE WHEN a.status = 'present' THEN 1 END),"
      " count (CASE WHEN a.status = 'late' THEN 1 END),"
      " count (CASE WHEN a.status = 'excused' THEN 1 END),"
      " count (CASE WHEN a.status = 'absent' THEN 1 END)"
      " FROM session s LEFT JOIN attendance a ON a.session_id = s.id AND a.deleted = 0"
      " AND a.merge_hidden = 0"
      " AND a.person_id IN (SELECT id FROM person WHERE " ENROLLED_WHERE ")"
      " WHERE s.event_id = ?1 AND s.deleted = 0"
      " GROUP BY s.id ORDER BY s.date, s.part";

static char *
column_dup (sqlite3_stmt *stmt, int column)
{
  const char *text = (const char *) sqlite3_column_text (stmt, column);

  return g_strdup (text != NULL ? text : "");
}

static GPtrArray *
tally_sessions_locked (DftStore *self, const char *event_id, GError **error)
{
  g_autoptr (GPtrArray) tallies
      = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_session_tally_free);
  sqlite3_stmt *stmt = _dft_store_cached_statement (self, tally_sql, error);
  int           rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, event_id, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      DftSessionTally *tally = g_new0 (DftSessionTally, 1);

      tally->session_id = column_dup (stmt, 0);
      tally->date = column_dup (stmt, 1);
      tally->part = column_dup (stmt, 2);
      tally->present = (guint) sqlite3_column_int (stmt, 3);
      tally->late = (guint) sqlite3_column_int (stmt, 4);
      tally->excused = (guint) sqlite3_column_int (stmt, 5);
      tally->absent = (guint) sqlite3_column_int (stmt, 6);
      g_ptr_array_add (tallies, tally);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      dft_db_set_error (error, self->db, rc, _ ("reading the workshop’s figures"));
      return NULL;
    }
  return g_steal_pointer (&tallies);
}

gboolean
dft_store_read_event_figures (
    DftStore *self, const char *event_id, GPtrArray **people, GPtrArray **tallies, GError **error)
{
  g_autoptr (GPtrArray) enrolled = NULL;
  g_autoptr (GPtrArray) sessions = NULL;
  gboolean              ok;

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  g_return_val_if_fail (event_id != NULL, FALSE);
  g_return_val_if_fail (people != NULL && tallies != NULL, FALSE);

  _dft_store_lock (self);
  /* One read transaction: the figures agree with each other even while a sync writes. */
  ok = dft_db_exec (self->db, "BEGIN", error);
  if (ok)
    {
      ok = (enrolled = dft_store_list_enrolled_people (self, event_id, error)) != NULL
           && (sessions = tally_sessions_locked (self, event_id, error)) != NULL;
      dft_db_exec (self->db, "COMMIT", NULL);
    }
  _dft_store_unlock (self);
  if (!ok)
    return FALSE;
  *people = g_steal_pointer (&enrolled);
  *tallies = g_steal_pointer (&sessions);
  return TRUE;
}
