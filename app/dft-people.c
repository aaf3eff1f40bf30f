/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dft-people.h"
#include "dft-record-private.h"
#include "dft-uuid.h"

DftRecord *
dft_people_enrollment_for (DftStore   *store,
                           const char *event_id,
                           DftRecord  *person,
                           const char *role,
                           gboolean    revive,
                           GError    **error)
{
  g_autofree char   *id = NULL;
  g_autoptr (GError) local_error = NULL;
  DftRecord         *enrollment = NULL;

  g_return_val_if_fail (DFT_IS_STORE (store), NULL);
  g_return_val_if_fail (event_id != NULL, NULL);
  g_return_val_if_fail (DFT_IS_RECORD (person), NULL);

  if (dft_record_get_id (person) == NULL)
    {
      g_autofree char *person_id = dft_uuid_v7_new ();

      _dft_record_set_identity (person, person_id, NULL, NULL, FALSE, TRUE);
    }
  id = dft_enrollment_id_for (event_id, dft_record_get_id (person));
  /* A person not saved yet has no enrollment to find (the enrollment refers to the person):
   * an importer of a long list saves a query a row. */
  if (!dft_record_is_new (person))
    enrollment = dft_store_load (store, &dft_entity_enrollment, id, &local_error);
  if (enrollment != NULL)
    {
      if (role != NULL)
        dft_record_set_string (enrollment, "role", role);
      if (revive)
        _dft_record_set_deleted (enrollment, FALSE);
      return enrollment;
    }
  if (local_error != NULL
      && !g_error_matches (local_error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  enrollment = dft_record_new_for_entity (&dft_entity_enrollment);
  _dft_record_set_identity (enrollment, id, NULL, NULL, FALSE, TRUE);
  dft_record_set_string (enrollment, "event_id", event_id);
  dft_record_set_string (enrollment, "person_id", dft_record_get_id (person));
  dft_record_set_string (enrollment, "role", role != NULL ? role : "participant");
  return enrollment;
}

/* The person and, with @event_id, their enrollment, in one transaction. */
static gboolean
save_person (
    DftStore *store, DftRecord *person, const char *event_id, const char *role, GError **error)
{
  g_autoptr (DftRecord) enrollment = NULL;
  DftRecord            *both[2];

  if (event_id == NULL)
    return dft_store_save (store, person, error);
  enrollment = dft_people_enrollment_for (store, event_id, person, role, FALSE, error);
  if (enrollment == NULL)
    return FALSE;
  both[0] = person;
  both[1] = enrollment;
  return dft_store_save_all (store, both, 2, error);
}

gboolean
dft_people_register (
    DftStore *store, DftRecord *person, const char *event_id, const char *role, GError **error)
{
  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);
  g_return_val_if_fail (DFT_IS_RECORD (person) && dft_record_is_new (person), FALSE);

  if (dft_record_get_id (person) == NULL)
    {
      g_autofree char *id = dft_uuid_v7_new ();

      _dft_record_set_identity (person, id, NULL, NULL, FALSE, TRUE);
    }
  return save_person (store, person, event_id, role, error);
}

gboolean
dft_people_update (
    DftStore *store, DftRecord *person, const char *event_id, const char *role, GError **error)
{
  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);
  g_return_val_if_fail (DFT_IS_RECORD (person) && !dft_record_is_new (person), FALSE);

  return save_person (store, person, event_id, role, error);
}

DftRecord *
dft_people_enroll (
    DftStore *store, const char *event_id, const char *person_id, const char *role, GError **error)
{
  g_return_val_if_fail (DFT_IS_STORE (store), NULL);
  g_return_val_if_fail (event_id != NULL && person_id != NULL, NULL);

  return dft_store_enroll (store, event_id, person_id, role, error);
}

static gboolean
set_removed (
    DftStore *store, const char *event_id, const char *person_id, gboolean removed, GError **error)
{
  g_autofree char      *id = dft_enrollment_id_for (event_id, person_id);
  g_autoptr (DftRecord) enrollment = dft_store_load (store, &dft_entity_enrollment, id, error);

  if (enrollment == NULL)
    return FALSE;
  /* A tombstone, not an erasure: it syncs, and undoing it brings the same record back. */
  return removed ? dft_store_delete (store, enrollment, error)
                 : dft_store_undelete (store, enrollment, error);
}

gboolean
dft_people_remove (DftStore *store, const char *event_id, const char *person_id, GError **error)
{
  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);
  g_return_val_if_fail (event_id != NULL && person_id != NULL, FALSE);

  return set_removed (store, event_id, person_id, TRUE, error);
}

gboolean
dft_people_restore (DftStore *store, const char *event_id, const char *person_id, GError **error)
{
  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);
  g_return_val_if_fail (event_id != NULL && person_id != NULL, FALSE);

  return set_removed (store, event_id, person_id, FALSE, error);
}

/* ---- In a worker ---------------------------------------------------------- */

typedef enum
{
  OP_REGISTER,
  OP_UPDATE,
  OP_ENROLL,
  OP_REMOVE,
  OP_RESTORE,
} Op;

/*
 * What an _async call was given, for its worker. The worker owns the record while it runs:
 * the caller hands it over and does not touch it until the callback.
 */
typedef struct
{
  Op         op;
  DftRecord *person;
  char      *event_id;
  char      *person_id;
  char      *role;
} Job;

static void
job_free (gpointer data)
{
  Job *job = data;

  g_clear_object (&job->person);
  g_free (job->event_id);
  g_free (job->person_id);
  g_free (job->role);
  g_free (job);
}

static void
job_worker (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Job       *job = task_data;
  GError    *error = NULL;
  DftRecord *enrollment = NULL;
  gboolean   ok = FALSE;

  /* Cancelled before it began: nothing is written. Once begun, a transaction is not cut. */
  if (g_task_return_error_if_cancelled (task))
    return;
  switch (job->op)
    {
    case OP_REGISTER:
      ok = dft_people_register (source, job->person, job->event_id, job->role, &error);
      break;
    case OP_UPDATE:
      ok = dft_people_update (source, job->person, job->event_id, job->role, &error);
      break;
    case OP_ENROLL:
      enrollment = dft_people_enroll (source, job->event_id, job->person_id, job->role, &error);
      if (enrollment != NULL)
        {
          g_task_return_pointer (task, enrollment, g_object_unref);
          return;
        }
      break;
    case OP_REMOVE:
      ok = dft_people_remove (source, job->event_id, job->person_id, &error);
      break;
    case OP_RESTORE:
      ok = dft_people_restore (source, job->event_id, job->person_id, &error);
      break;
    default:
      g_assert_not_reached ();
    }
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
run_job (DftStore           *store,
         gpointer            source_tag,
         Op                  op,
         DftRecord          *person,
         const char         *event_id,
         const char         *person_id,
         const char         *role,
         GCancellable       *cancellable,
         GAsyncReadyCallback callback,
         gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (store, cancellable, callback, user_data);
  Job              *job = g_new0 (Job, 1);

  job->op = op;
  job->person = person != NULL ? g_object_ref (person) : NULL;
  job->event_id = g_strdup (event_id);
  job->person_id = g_strdup (person_id);
  job->role = g_strdup (role);
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, job, job_free);
  g_task_run_in_thread (task, job_worker);
}

static gboolean
finish_boolean (DftStore *store, GAsyncResult *result, gpointer source_tag, GError **error)
{
  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, store), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
dft_people_register_async (DftStore           *store,
                           DftRecord          *person,
                           const char         *event_id,
                           const char         *role,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  g_return_if_fail (DFT_IS_STORE (store));
  g_return_if_fail (DFT_IS_RECORD (person) && dft_record_is_new (person));

  run_job (store, dft_people_register_async, OP_REGISTER, person, event_id, NULL, role, cancellable,
           callback, user_data);
}

gboolean
dft_people_register_finish (DftStore *store, GAsyncResult *result, GError **error)
{
  return finish_boolean (store, result, dft_people_register_async, error);
}

void
dft_people_update_async (DftStore           *store,
                         DftRecord          *person,
                         const char         *event_id,
                         const char         *role,
                         GCancellable       *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer            user_data)
{
  g_return_if_fail (DFT_IS_STORE (store));
  g_return_if_fail (DFT_IS_RECORD (person) && !dft_record_is_new (person));

  run_job (store, dft_people_update_async, OP_UPDATE, person, event_id, NULL, role, cancellable,
           callback, user_data);
}

gboolean
dft_people_update_finish (DftStore *store, GAsyncResult *result, GError **error)
{
  return finish_boolean (store, result, dft_people_update_async, error);
}

void
dft_people_enroll_async (DftStore           *store,
                         const char         *event_id,
                         const char         *person_id,
                         const char         *role,
                         GCancellable       *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer            user_data)
{
  g_return_if_fail (DFT_IS_STORE (store));
  g_return_if_fail (event_id != NULL && person_id != NULL);

  run_job (store, dft_people_enroll_async, OP_ENROLL, NULL, event_id, person_id, role, cancellable,
           callback, user_data);
}

DftRecord *
dft_people_enroll_finish (DftStore *store, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (DFT_IS_STORE (store), NULL);
  g_return_val_if_fail (g_task_is_valid (result, store), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == dft_people_enroll_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
dft_people_remove_async (DftStore           *store,
                         const char         *event_id,
                         const char         *person_id,
                         GCancellable       *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer            user_data)
{
  g_return_if_fail (DFT_IS_STORE (store));
  g_return_if_fail (event_id != NULL && person_id != NULL);

  run_job (store, dft_people_remove_async, OP_REMOVE, NULL, event_id, person_id, NULL, cancellable,
           callback, user_data);
}

gboolean
dft_people_remove_finish (DftStore *store, GAsyncResult *result, GError **error)
{
  return finish_boolean (store, result, dft_people_remove_async, error);
}

void
dft_people_restore_async (DftStore           *store,
                          const char         *event_id,
                          const char         *person_id,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  g_return_if_fail (DFT_IS_STORE (store));
  g_return_if_fail (event_id != NULL && person_id != NULL);

  run_job (store, dft_people_restore_async, OP_RESTORE, NULL, event_id, person_id, NULL,
           cancellable, callback, user_data);
}

gboolean
dft_people_restore_finish (DftStore *store, GAsyncResult *result, GError **error)
{
  return finish_boolean (store, result, dft_people_restore_async, error);
}
