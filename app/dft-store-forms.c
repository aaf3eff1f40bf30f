/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
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
