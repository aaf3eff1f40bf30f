/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <sqlite3.h>

#include "dft-db.h"
#include "dft-record-private.h"
#include "dft-store-forms.h"
#include "dft-store-private.h"

/*
 * The forms' queries. Each runs under the store's lock, as the store's own reads do: the
 * connection is shared by every thread, and a read between another thread's BEGIN and COMMIT
 * would see its rows before they are committed, or lose them to its rollback.
 */

static char *
column_dup (sqlite3_stmt *stmt, int col)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, col));
}

/* Makes one element of a list from the row @stmt is on. */
typedef gpointer (*RowFunc) (sqlite3_stmt *stmt);

/* The rows of @sql, with @params bound to ?1, ?2…, each made by @make_row, read under the lock
 * in one go; @what says what was being read when it fails. */
static GPtrArray *
list_rows (DftStore          *self,
           const char        *sql,
           const char *const *params,
           guint              n_params,
           RowFunc            make_row,
           GDestroyNotify     free_row,
           const char        *what,
           GError           **error)
{
  g_autoptr (GPtrArray)    rows = g_ptr_array_new_with_free_func (free_row);
  g_autoptr (sqlite3_stmt) stmt = NULL;
  sqlite3                 *db;
  int                      rc;

  _dft_store_lock (self);
  db = _dft_store_get_db (self);
  if (!dft_db_prepare (db, sql, &stmt, error))
    {
      _dft_store_unlock (self);
      return NULL;
    }
  /* A NULL parameter binds SQL NULL. */
  for (guint i = 0; i < n_params; i++)
    sqlite3_bind_text (stmt, (int) i + 1, params[i], -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (rows, make_row (stmt));
  if (rc != SQLITE_DONE)
    dft_db_set_error (error, db, rc, what);
  g_clear_pointer (&stmt, sqlite3_finalize);
  _dft_store_unlock (self);
  return rc == SQLITE_DONE ? g_steal_pointer (&rows) : NULL;
}

/* The id of the newest version of @form_key (NULL when it was deleted) and its number, 0 when
 * there is none. Under the lock. */
static gboolean
latest_version_locked (
    DftStore *self, const char *form_key, char **id, gint64 *version, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  sqlite3                 *db = _dft_store_get_db (self);
  int                      rc;

  *id = NULL;
  *version = 0;
  /* Deleted versions still count, so that numbers are never reused. */
  if (!dft_db_prepare (db,
                       "SELECT id, version, deleted FROM form WHERE form_key = ?"
                       " ORDER BY version DESC, deleted ASC LIMIT 1",
                       &stmt, error))
    return FALSE;
  sqlite3_bind_text (stmt, 1, form_key, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *version = sqlite3_column_int64 (stmt, 1);
      if (sqlite3_column_int (stmt, 2) == 0)
        *id = column_dup (stmt, 0);
      return TRUE;
    }
  if (rc != SQLITE_DONE)
    return dft_db_set_error (error, db, rc, _ ("reading forms"));
  return TRUE;
}

DftRecord *
dft_store_load_latest_form (DftStore *self, const char *form_key, GError **error)
{
  g_autofree char *id = NULL;
  gint64           version;
  DftRecord       *latest = NULL;

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  g_return_val_if_fail (form_key != NULL, NULL);

  _dft_store_lock (self);
  if (latest_version_locked (self, form_key, &id, &version, error) && id != NULL)
    latest = dft_store_load (self, &dft_entity_form, id, error);
  _dft_store_unlock (self);
  return latest;
}

GPtrArray *
dft_store_list_form_versions (DftStore *self, const char *form_key, GError **error)
{
  const char *params[] = { form_key, NULL };

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  g_return_val_if_fail (form_key != NULL, NULL);

  return _dft_store_query (self, &dft_entity_form, "form_key = ?", params, "version DESC", error);
}

/* Has anyone answered the form version @form_id? Under the lock. */
static gboolean
has_submissions_locked (DftStore *self, const char *form_id, gboolean *result, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  sqlite3                 *db = _dft_store_get_db (self);
  int                      rc;

  if (!dft_db_prepare (db, "SELECT EXISTS (SELECT 1 FROM submission WHERE form_id = ?)", &stmt,
                       error))
    return FALSE;
  sqlite3_bind_text (stmt, 1, form_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    return dft_db_set_error (error, db, rc, _ ("reading submissions"));
  *result = sqlite3_column_int (stmt, 0) != 0;
  return TRUE;
}

typedef struct
{
  DftRecord *version;   /* the version to save */
  DftRecord *unchanged; /* the newest version, when it holds the same definition */
} SaveVersion;

/* Inside the save's transaction: the number and the delete of the version it replaces are
 * decided on what is committed, so two saves, even from two connections, never take the same
 * number, and a crash keeps the old version or the new one, never neither. */
static gboolean
prepare_version_cb (DftStore *self, GPtrArray *batch, gpointer user_data, GError **error)
{
  SaveVersion          *save = user_data;
  g_autofree char      *latest_id = NULL;
  g_autoptr (DftRecord) latest = NULL;
  gint64                number = 0;
  gboolean              answered = TRUE;

  if (!latest_version_locked (self, dft_record_get_string (save->version, "form_key"), &latest_id,
                              &number, error))
    return FALSE;
  if (latest_id != NULL)
    {
      latest = dft_store_load (self, &dft_entity_form, latest_id, error);
      if (latest == NULL)
        return FALSE;
      if (g_strcmp0 (dft_record_get_string (latest, "definition"),
                     dft_record_get_string (save->version, "definition"))
          == 0)
        {
          g_ptr_array_set_size (batch, 0);
          save->unchanged = g_steal_pointer (&latest);
          return TRUE;
        }
      if (!has_submissions_locked (self, latest_id, &answered, error))
        return FALSE;
    }
  dft_record_set_int (save->version, "version", number + 1);
  if (latest != NULL && !answered)
    {
      /* The previous version was never answered: the new one replaces it in the list. */
      _dft_record_set_deleted (latest, TRUE);
      g_ptr_array_insert (batch, 0, g_steal_pointer (&latest));
    }
  return TRUE;
}

DftRecord *
dft_store_save_form_version (DftStore *self, DftRecord *version, GError **error)
{
  SaveVersion save = { version, NULL };

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  g_return_val_if_fail (DFT_IS_RECORD (version), NULL);
  g_return_val_if_fail (dft_record_get_entity (version) == &dft_entity_form, NULL);
  g_return_val_if_fail (dft_record_is_new (version), NULL);
  g_return_val_if_fail (dft_record_get_string (version, "form_key") != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!_dft_store_save_prepared (self, &version, 1, prepare_version_cb, &save, error))
    {
      g_clear_object (&save.unchanged);
      return NULL;
    }
  return save.unchanged != NULL ? save.unchanged : g_object_ref (version);
}

void
dft_test_score_free (DftTestScore *score)
{
  if (score == NULL)
    return;
  g_free (score->person_id);
  g_free (score->phase);
  g_free (score);
}

static gpointer
test_score_from_row (sqlite3_stmt *stmt)
{
  DftTestScore *score = g_new0 (DftTestScore, 1);

  score->person_id = column_dup (stmt, 0);
  score->phase = column_dup (stmt, 1);
  score->score = sqlite3_column_double (stmt, 2);
  return score;
}

GPtrArray *
dft_store_list_test_scores (DftStore   *self,
                            const char *event_id,
                            const char *form_key,
                            GError    **error)
{
  /* The latest final submission per person and phase; a correction stands in for what it
   * corrects. The test is the form key and the keys paired with it (either form may name the
   * other); a submission without a phase takes its form's. Ordered by person so the rows
   * come out grouped. */
  static const char sql[]
      = "WITH test (key) AS ("
        "   SELECT ?2"
        "   UNION SELECT json_extract (definition, '$.pairs_with') FROM form WHERE form_key = ?2"
        "   UNION SELECT form_key FROM form WHERE json_extract (definition, '$.pairs_with') = ?2),"
        " taken AS ("
        "   SELECT s.id, s.person_id, s.score, s.finished_at, s.updated_at,"
        "          coalesce (s.phase, json_extract (f.definition, '$.phase')) AS phase"
        "   FROM submission s JOIN form f ON f.id = s.form_id"
        "   WHERE s.deleted = 0 AND s.status = 'final' AND s.event_id = ?1"
        "     AND f.form_key IN (SELECT key FROM test)"
        "     AND s.score IS NOT NULL AND s.person_id IS NOT NULL"
        "     AND NOT EXISTS (SELECT 1 FROM submission c"
        "                     WHERE c.supersedes = s.id AND c.deleted = 0 AND c.status = 'final'))"
        " SELECT person_id, phase, score FROM taken WHERE phase IN ('pre', 'post')"
        " ORDER BY person_id, phase, coalesce (finished_at, updated_at), id";
  const char *params[] = { event_id, form_key };

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  g_return_val_if_fail (event_id != NULL && form_key != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return list_rows (self, sql, params, G_N_ELEMENTS (params), test_score_from_row,
                    (GDestroyNotify) dft_test_score_free, _ ("reading test scores"), error);
}

void
dft_submission_row_free (DftSubmissionRow *row)
{
  if (row == NULL)
    return;
  g_free (row->id);
  g_free (row->form_id);
  g_free (row->form_version);
  g_free (row->status);
  g_free (row->phase);
  g_free (row->person_name);
  g_free (row->event_title);
  g_free (row->started_at);
  g_free (row->finished_at);
  g_free (row->answers);
  g_free (row);
}

static gpointer
submission_row_from_row (sqlite3_stmt *stmt)
{
  DftSubmissionRow *row = g_new0 (DftSubmissionRow, 1);

  row->id = column_dup (stmt, 0);
  row->form_version = column_dup (stmt, 1);
  row->status = column_dup (stmt, 2);
  row->phase = column_dup (stmt, 3);
  row->person_name = column_dup (stmt, 4);
  row->event_title = column_dup (stmt, 5);
  row->started_at = column_dup (stmt, 6);
  row->finished_at = column_dup (stmt, 7);
  row->score = sqlite3_column_type (stmt, 8) == SQLITE_NULL ? NAN : sqlite3_column_double (stmt, 8);
  row->answers = column_dup (stmt, 9);
  row->form_id = column_dup (stmt, 10);
  return row;
}

GPtrArray *
dft_store_list_form_submissions (DftStore   *self,
                                 const char *form_key,
                                 const char *event_id,
                                 GError    **error)
{
  static const char sql[]
      = "SELECT s.id, f.version, s.status, s.phase,"
        "       trim (coalesce (p.given_name, '') || ' ' || coalesce (p.family_name, '')),"
        "       e.title, s.started_at, s.finished_at, s.score, s.answers, s.form_id"
        "  FROM submission s JOIN form f ON f.id = s.form_id"
        "  LEFT JOIN person p ON p.id = s.person_id LEFT JOIN event e ON e.id = s.event_id"
        " WHERE s.deleted = 0 AND f.form_key = ?1 AND (?2 IS NULL OR s.event_id = ?2)"
        " ORDER BY coalesce (s.finished_at, s.started_at, s.created_at), s.id";
  const char *params[] = { form_key, event_id };

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  g_return_val_if_fail (form_key != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return list_rows (self, sql, params, G_N_ELEMENTS (params), submission_row_from_row,
                    (GDestroyNotify) dft_submission_row_free, _ ("reading submissions"), error);
}
