/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <sqlite3.h>
#include <string.h>

#include "dft-assessment.h"
#include "dft-db.h"
#include "dft-form-store.h"
#include "dft-store-private.h"

/* The id of the latest version of @form_key and its number; FALSE on error. */
static gboolean
latest_version (DftStore *store, const char *form_key, char **id, gint64 *version, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  sqlite3                 *db = _dft_store_get_db (store);
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
        *id = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      return TRUE;
    }
  if (rc != SQLITE_DONE)
    return dft_db_set_error (error, db, rc, _ ("reading forms"));
  return TRUE;
}

static gboolean
has_submissions (DftStore *store, const char *form_id, gboolean *result, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  sqlite3                 *db = _dft_store_get_db (store);
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

DftRecord *
dft_form_store_latest (DftStore *store, const char *form_key, GError **error)
{
  g_autofree char *id = NULL;
  gint64           version;

  g_return_val_if_fail (DFT_IS_STORE (store), NULL);
  g_return_val_if_fail (form_key != NULL, NULL);

  if (!latest_version (store, form_key, &id, &version, error) || id == NULL)
    return NULL;
  return dft_store_load (store, &dft_entity_form, id, error);
}

DftRecord *
dft_form_store_save (DftStore *store, DftForm *form, GError **error)
{
  g_autofree char      *json = NULL;
  g_autofree char      *latest_id = NULL;
  g_autoptr (DftRecord) latest = NULL;
  g_autoptr (DftRecord) fresh = NULL;
  const char           *title;
  gint64                version = 0;
  gboolean              answered = TRUE;

  g_return_val_if_fail (DFT_IS_STORE (store), NULL);
  g_return_val_if_fail (form != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Only a form that works is stored: the filler must never meet a broken one. */
  if (!dft_form_prepare (form, error))
    return NULL;
  json = dft_form_to_json (form, DFT_FORM_JSON_DEFAULT);
  if (!latest_version (store, form->id, &latest_id, &version, error))
    return NULL;
  if (latest_id != NULL)
    {
      latest = dft_store_load (store, &dft_entity_form, latest_id, error);
      if (latest == NULL)
        return NULL;
      if (g_strcmp0 (dft_record_get_string (latest, "definition"), json) == 0)
        return g_steal_pointer (&latest);
      if (!has_submissions (store, latest_id, &answered, error))
        return NULL;
    }

  fresh = dft_record_new_for_entity (&dft_entity_form);
  title = dft_form_text (form, form->title, form->default_language, NULL);
  dft_record_set_string (fresh, "form_key", form->id);
  dft_record_set_int (fresh, "version", version + 1);
  dft_record_set_string (fresh, "title", title != NULL && title[0] != '\0' ? title : form->id);
  dft_record_set_string (fresh, "kind", form->kind);
  dft_record_set_string (fresh, "default_language", form->default_language);
  dft_record_set_string (fresh, "definition", json);
  if (latest != NULL && !answered)
    {
      /* The previous version was never answered: the new one replaces it in the list. */
      if (!dft_store_delete (store, latest, error))
        return NULL;
    }
  if (!dft_store_save (store, fresh, error))
    return NULL;
  return g_steal_pointer (&fresh);
}

DftForm *
dft_form_store_open (const char *json, GError **error)
{
  g_autoptr (DftForm) form = NULL;

  if (json == NULL)
    {
      g_set_error_literal (error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE,
                           _ ("This form version has no definition."));
      return NULL;
    }
  form = dft_form_new_from_json (json, -1, error);
  if (form == NULL || !dft_form_prepare (form, error))
    return NULL;
  return g_steal_pointer (&form);
}

DftForm *
dft_form_store_load (DftStore *store, const char *form_record_id, GError **error)
{
  g_autoptr (DftRecord) record = NULL;

  g_return_val_if_fail (DFT_IS_STORE (store), NULL);
  g_return_val_if_fail (form_record_id != NULL, NULL);

  record = dft_store_load (store, &dft_entity_form, form_record_id, error);
  if (record == NULL)
    return NULL;
  return dft_form_store_open (dft_record_get_string (record, "definition"), error);
}

DftRecord *
dft_form_store_submit (DftStore   *store,
                       DftRecord  *form_record,
                       DftRecord  *submission,
                       DftFormRun *run,
                       const char *event_id,
                       const char *person_id,
                       const char *phase,
                       gboolean    final,
                       GError    **error)
{
  g_autoptr (DftRecord) record = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char      *stamp = g_date_time_format_iso8601 (now);
  g_autofree char      *answers = NULL;

  g_return_val_if_fail (DFT_IS_STORE (store), NULL);
  g_return_val_if_fail (DFT_IS_RECORD (form_record), NULL);
  g_return_val_if_fail (run != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (final)
    {
      g_autoptr (GPtrArray) problems
          = dft_form_run_problems (run, dft_form_run_get_form (run)->default_language);

      if (problems->len > 0)
        {
          DftFormProblem *first = g_ptr_array_index (problems, 0);

          g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                       /* Translators: %s is a path to a question, the second %s the reason */
                       _ ("The form cannot be finalized yet: %s: %s"), first->path, first->message);
          return NULL;
        }
    }
  record = submission != NULL ? g_object_ref (submission)
                              : dft_record_new_for_entity (&dft_entity_submission);
  if (dft_record_is_new (record))
    {
      dft_record_set_string (record, "form_id", dft_record_get_id (form_record));
      dft_record_set_string (record, "started_at", stamp);
    }
  dft_record_set_string (record, "event_id", event_id);
  dft_record_set_string (record, "person_id", person_id);
  dft_record_set_string (record, "phase", phase);
  answers = dft_form_run_to_json (run, final);
  dft_record_set_string (record, "answers", answers);
  dft_record_set_string (record, "status", final ? "final" : "draft");
  if (final)
    {
      DftScore score;

      dft_record_set_string (record, "finished_at", stamp);
      dft_form_run_score (run, &score);
      if (score.n_scored > 0)
        dft_record_set_real (record, "score", score.percent);
    }
  if (!dft_store_save (store, record, error))
    return NULL;
  return g_steal_pointer (&record);
}
