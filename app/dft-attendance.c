/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dft-attendance.h"

DftRecord *
dft_attendance_mark (DftStore   *store,
                     const char *session_id,
                     const char *person_id,
                     const char *status,
                     const char *note,
                     GError    **error)
{
  g_return_val_if_fail (DFT_IS_STORE (store), NULL);
  g_return_val_if_fail (session_id != NULL && person_id != NULL, NULL);

  return dft_store_mark_attendance (store, session_id, person_id, status, note, error);
}

gboolean
dft_attendance_mark_session (DftStore          *store,
                             const char        *session_id,
                             const char *const *person_ids,
                             const char *const *statuses,
                             guint              n,
                             GError           **error)
{
  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);
  g_return_val_if_fail (session_id != NULL, FALSE);
  g_return_val_if_fail (n == 0 || (person_ids != NULL && statuses != NULL), FALSE);

  return dft_store_set_attendance (store, session_id, person_ids, statuses, n, error);
}

/* ---- In a worker ---------------------------------------------------------- */

/* What an _async call was given, copied: the caller's arrays may go as soon as it returns. */
typedef struct
{
  char      *session_id;
  GPtrArray *person_ids;
  GPtrArray *statuses; /* may hold NULLs: marks to clear */
  char      *note;
} Job;

static void
job_free (gpointer data)
{
  Job *job = data;

  g_free (job->session_id);
  g_ptr_array_unref (job->person_ids);
  g_ptr_array_unref (job->statuses);
  g_free (job->note);
  g_free (job);
}

static GTask *
job_task_new (DftStore           *store,
              gpointer            source_tag,
              const char         *session_id,
              const char *const  *person_ids,
              const char *const  *statuses,
              guint               n,
              const char         *note,
              GCancellable       *cancellable,
              GAsyncReadyCallback callback,
              gpointer            user_data)
{
  GTask *task = g_task_new (store, cancellable, callback, user_data);
  Job   *job = g_new0 (Job, 1);

  job->session_id = g_strdup (session_id);
  job->person_ids = g_ptr_array_new_full (n, g_free);
  job->statuses = g_ptr_array_new_full (n, g_free);
  for (guint i = 0; i < n; i++)
    {
      g_ptr_array_add (job->person_ids, g_strdup (person_ids[i]));
      g_ptr_array_add (job->statuses, g_strdup (statuses[i]));
    }
  job->note = g_strdup (note);
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, job, job_free);
  return task;
}

static void
mark_worker (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Job       *job = task_data;
  GError    *error = NULL;
  DftRecord *mark;

  /* Cancelled before it began: nothing is written. Once begun, a transaction is not cut. */
  if (g_task_return_error_if_cancelled (task))
    return;
  mark = dft_attendance_mark (source, job->session_id, g_ptr_array_index (job->person_ids, 0),
                              g_ptr_array_index (job->statuses, 0), job->note, &error);
  if (mark != NULL)
    g_task_return_pointer (task, mark, g_object_unref);
  else
    g_task_return_error (task, error);
}

static void
mark_session_worker (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Job    *job = task_data;
  GError *error = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;
  if (dft_attendance_mark_session (
          source, job->session_id, (const char *const *) job->person_ids->pdata,
          (const char *const *) job->statuses->pdata, job->person_ids->len, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
dft_attendance_mark_async (DftStore           *store,
                           const char         *session_id,
                           const char         *person_id,
                           const char         *status,
                           const char         *note,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (DFT_IS_STORE (store));
  g_return_if_fail (session_id != NULL && person_id != NULL);

  task = job_task_new (store, dft_attendance_mark_async, session_id, &person_id, &status, 1, note,
                       cancellable, callback, user_data);
  g_task_run_in_thread (task, mark_worker);
}

DftRecord *
dft_attendance_mark_finish (DftStore *store, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (DFT_IS_STORE (store), NULL);
  g_return_val_if_fail (g_task_is_valid (result, store), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == dft_attendance_mark_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
dft_attendance_mark_session_async (DftStore           *store,
                                   const char         *session_id,
                                   const char *const  *person_ids,
                                   const char *const  *statuses,
                                   guint               n,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (DFT_IS_STORE (store));
  g_return_if_fail (session_id != NULL);
  g_return_if_fail (n == 0 || (person_ids != NULL && statuses != NULL));

  task = job_task_new (store, dft_attendance_mark_session_async, session_id, person_ids, statuses,
                       n, NULL, cancellable, callback, user_data);
  g_task_run_in_thread (task, mark_session_worker);
}

gboolean
dft_attendance_mark_session_finish (DftStore *store, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, store), FALSE);
  g_return_val_if_fail (
      g_task_get_source_tag (G_TASK (result)) == dft_attendance_mark_session_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
