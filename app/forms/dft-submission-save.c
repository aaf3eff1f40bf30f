/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dft-form-store.h"
#include "dft-schema.h"
#include "dft-submission-save.h"

typedef struct
{
  char      *form_record_id;
  char      *person_id;
  DftRecord *person;
} LoadData;

static void
load_data_free (gpointer pointer)
{
  LoadData *data = pointer;

  g_free (data->form_record_id);
  g_free (data->person_id);
  g_clear_object (&data->person);
  g_free (data);
}

static void
load_form_worker (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  DftStore *store = source;
  LoadData *data = task_data;
  GError   *error = NULL;
  DftForm  *form = dft_form_store_load (store, data->form_record_id, &error);

  if (form == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (data->person_id != NULL)
    data->person = dft_store_load (store, &dft_entity_person, data->person_id, NULL);
  g_task_return_pointer (task, form, (GDestroyNotify) dft_form_unref);
}

void
dft_submission_load_form_async (DftStore           *store,
                                const char         *form_record_id,
                                const char         *person_id,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  LoadData         *data;

  g_return_if_fail (DFT_IS_STORE (store));
  g_return_if_fail (form_record_id != NULL);

  data = g_new0 (LoadData, 1);
  data->form_record_id = g_strdup (form_record_id);
  data->person_id = g_strdup (person_id);
  task = g_task_new (store, cancellable, callback, user_data);
  g_task_set_source_tag (task, dft_submission_load_form_async);
  g_task_set_task_data (task, data, load_data_free);
  g_task_run_in_thread (task, load_form_worker);
}

DftForm *
dft_submission_load_form_finish (DftStore     *store,
                                 GAsyncResult *result,
                                 DftRecord   **person,
                                 GError      **error)
{
  LoadData *data;
  DftForm  *form;

  g_return_val_if_fail (g_task_is_valid (result, store), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == dft_submission_load_form_async,
                        NULL);

  data = g_task_get_task_data (G_TASK (result));
  form = g_task_propagate_pointer (G_TASK (result), error);
  if (person != NULL)
    *person = form != NULL ? g_steal_pointer (&data->person) : NULL;
  return form;
}

typedef struct
{
  DftRecord  *form_record;
  DftRecord  *submission;
  DftFormRun *run;
  char       *event_id, *person_id, *phase;
  gboolean    final;
} SaveData;

static void
save_data_free (gpointer pointer)
{
  SaveData *data = pointer;

  g_object_unref (data->form_record);
  g_clear_object (&data->submission);
  g_clear_pointer (&data->run, dft_form_run_free);
  g_free (data->event_id);
  g_free (data->person_id);
  g_free (data->phase);
  g_free (data);
}

static void
save_worker (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  SaveData  *data = task_data;
  GError    *error = NULL;
  DftRecord *saved
      = dft_form_store_submit (source, data->form_record, data->submission, data->run,
                               data->event_id, data->person_id, data->phase, data->final, &error);

  if (saved == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, saved, g_object_unref);
}

void
dft_submission_save_async (DftStore           *store,
                           DftRecord          *form_record,
                           DftRecord          *submission,
                           DftFormRun         *run,
                           const char         *event_id,
                           const char         *person_id,
                           const char         *phase,
                           gboolean            final,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  SaveData         *data;

  g_return_if_fail (DFT_IS_STORE (store));
  g_return_if_fail (DFT_IS_RECORD (form_record));
  g_return_if_fail (submission == NULL || DFT_IS_RECORD (submission));
  g_return_if_fail (run != NULL);

  data = g_new0 (SaveData, 1);
  data->form_record = g_object_ref (form_record);
  data->submission = submission != NULL ? g_object_ref (submission) : NULL;
  data->run = run;
  data->event_id = g_strdup (event_id);
  data->person_id = g_strdup (person_id);
  data->phase = g_strdup (phase);
  data->final = final;
  task = g_task_new (store, cancellable, callback, user_data);
  g_task_set_source_tag (task, dft_submission_save_async);
  g_task_set_task_data (task, data, save_data_free);
  g_task_run_in_thread (task, save_worker);
}

DftRecord *
dft_submission_save_finish (DftStore *store, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == dft_submission_save_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
