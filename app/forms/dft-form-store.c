/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "dft-assessment.h"
#include "dft-form-store.h"
#include "dft-store-forms.h"

DftRecord *
dft_form_store_latest (DftStore *store, const char *form_key, GError **error)
{
  g_return_val_if_fail (DFT_IS_STORE (store), NULL);
  g_return_val_if_fail (form_key != NULL, NULL);

  return dft_store_load_latest_form (store, form_key, error);
}

DftRecord *
dft_form_store_save (DftStore *store, DftForm *form, GError **error)
{
  g_autofree char      *json = NULL;
  g_autoptr (DftRecord) fresh = NULL;
  const char           *title;

  g_return_val_if_fail (DFT_IS_STORE (store), NULL);
  g_return_val_if_fail (form != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Only a form that works is stored: the filler must never meet a broken one. */
  if (!dft_form_prepare (form, error))
    return NULL;
  json = dft_form_to_json (form, DFT_FORM_JSON_DEFAULT);
  fresh = dft_record_new_for_entity (&dft_entity_form);
  title = dft_form_text (form, form->title, form->default_language, NULL);
  dft_record_set_string (fresh, "form_key", form->id);
  dft_record_set_string (fresh, "title", title != NULL && title[0] != '\0' ? title : form->id);
  dft_record_set_string (fresh, "kind", form->kind);
  dft_record_set_string (fresh, "default_language", form->default_language);
  dft_record_set_string (fresh, "definition", json);
  /* The version number, and the delete of a version nobody answered, are decided in the
   * save's own transaction. */
  return dft_store_save_form_version (store, fresh, error);
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
