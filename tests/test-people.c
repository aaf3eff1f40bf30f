/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dft-attendance.h"
#include "dft-people.h"
#include "dft-test-util.h"
#include "dft-uuid.h"

/*
 * The operations people do (app/dft-people.c, app/dft-attendance.c), blocking and in a
 * worker, with what goes wrong: a workshop that is not there, a deleted person, enrolling
 * twice.
 */

typedef struct
{
  DftStore  *store;
  char      *dir;
  DftRecord *event;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->store = dft_test_open_store (&f->dir);
  f->event = dft_test_add_event (f->store, "Osh", "2026-05-04", "2026-05-05");
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->event);
  dft_test_release_store (f->store);
  dft_test_dir_free (f->dir);
}

static const char *
event_id (Fixture *f)
{
  return dft_record_get_id (f->event);
}

static DftRecord *
new_person (const char *given)
{
  DftRecord *person = dft_record_new_for_entity (&dft_entity_person);

  dft_record_set_string (person, "given_name", given);
  return person;
}

/* The enrollment of @person_id in @event, NULL when there is none, deleted or not. */
static DftRecord *
load_enrollment (Fixture *f, const char *event, const char *person_id)
{
  g_autofree char   *id = dft_enrollment_id_for (event, person_id);
  g_autoptr (GError) error = NULL;
  DftRecord         *enrollment = dft_store_load (f->store, &dft_entity_enrollment, id, &error);

  if (enrollment == NULL)
    g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND);
  return enrollment;
}

/* The change log's last position: a write that failed or never began adds none. */
static gint64
count_changes (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  gint64             last = dft_store_last_seq (f->store, &error);

  g_assert_no_error (error);
  return last;
}

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static void
store_result_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

/* ---- Register --------------------------------------------------------------- */

static void
test_register_enrolls (Fixture *f, gconstpointer data)
{
  g_autoptr (DftRecord) person = new_person ("Айбек");
  g_autoptr (DftRecord) enrollment = NULL;
  g_autoptr (GError)    error = NULL;

  g_assert_true (dft_people_register (f->store, person, event_id (f), NULL, &error));
  g_assert_no_error (error);
  /* The id is made here, a UUIDv7 like every id made on the device. */
  g_assert_true (dft_uuid_is_valid (dft_record_get_id (person)));
  g_assert_false (dft_record_is_new (person));
  enrollment = load_enrollment (f, event_id (f), dft_record_get_id (person));
  g_assert_nonnull (enrollment);
  g_assert_cmpstr (dft_record_get_string (enrollment, "role"), ==, "participant");
  g_assert_cmpstr (dft_record_get_string (enrollment, "person_id"), ==, dft_record_get_id (person));
  g_assert_cmpstr (dft_record_get_string (enrollment, "event_id"), ==, event_id (f));
}

static void
test_register_role_and_no_workshop (Fixture *f, gconstpointer data)
{
  g_autoptr (DftRecord) trainer = new_person ("Amina");
  g_autoptr (DftRecord) loner = new_person ("Giorgi");
  g_autoptr (DftRecord) enrollment = NULL;
  g_autoptr (DftRecord) loaded = NULL;
  g_autoptr (GError)    error = NULL;

  g_assert_true (dft_people_register (f->store, trainer, event_id (f), "trainer", &error));
  g_assert_no_error (error);
  enrollment = load_enrollment (f, event_id (f), dft_record_get_id (trainer));
  g_assert_cmpstr (dft_record_get_string (enrollment, "role"), ==, "trainer");

  g_assert_true (dft_people_register (f->store, loner, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (dft_uuid_is_valid (dft_record_get_id (loner)));
  loaded = dft_store_load (f->store, &dft_entity_person, dft_record_get_id (loner), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dft_record_get_string (loaded, "given_name"), ==, "Giorgi");
  g_assert_null (load_enrollment (f, event_id (f), dft_record_get_id (loner)));
}

/* A workshop that is not there: refused, and the person is not saved without it. */
static void
test_register_unknown_workshop (Fixture *f, gconstpointer data)
{
  g_autoptr (DftRecord) person = new_person ("Nurlan");
  g_autoptr (GError)    error = NULL;
  g_autofree char      *nowhere = dft_uuid_v7_new ();
  gint64                before = count_changes (f);
  g_autoptr (DftRecord) loaded = NULL;

  g_assert_false (dft_people_register (f->store, person, nowhere, NULL, &error));
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpint (count_changes (f), ==, before);
  loaded = dft_store_load (f->store, &dft_entity_person, dft_record_get_id (person), &error);
  g_assert_null (loaded);
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND);
}

/* A person needs a given name: the store's message, nothing saved. */
static void
test_register_invalid_person (Fixture *f, gconstpointer data)
{
  g_autoptr (DftRecord) person = dft_record_new_for_entity (&dft_entity_person);
  g_autoptr (GError)    error = NULL;
  gint64                before = count_changes (f);

  g_assert_false (dft_people_register (f->store, person, event_id (f), NULL, &error));
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID);
  g_assert_cmpint (count_changes (f), ==, before);
}

static void
test_register_async (Fixture *f, gconstpointer data)
{
  g_autoptr (DftRecord)    person = new_person ("Jean");
  g_autoptr (DftRecord)    unknown = new_person ("Marie");
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GAsyncResult) failed = NULL;
  g_autoptr (DftRecord)    enrollment = NULL;
  g_autoptr (GError)       error = NULL;
  g_autofree char         *nowhere = dft_uuid_v7_new ();

  dft_people_register_async (f->store, person, event_id (f), "observer", NULL, store_result_cb,
                             &result);
  g_assert_true (dft_people_register_finish (f->store, wait_result (&result), &error));
  g_assert_no_error (error);
  enrollment = load_enrollment (f, event_id (f), dft_record_get_id (person));
  g_assert_cmpstr (dft_record_get_string (enrollment, "role"), ==, "observer");

  dft_people_register_async (f->store, unknown, nowhere, NULL, NULL, store_result_cb, &failed);
  g_assert_false (dft_people_register_finish (f->store, wait_result (&failed), &error));
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID);
}

/* Cancelled before the worker began: nothing is written. */
static void
test_register_cancelled (Fixture *f, gconstpointer data)
{
  g_autoptr (DftRecord)    person = new_person ("Jean");
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError)       error = NULL;
  gint64                   before = count_changes (f);

  g_cancellable_cancel (cancellable);
  dft_people_register_async (f->store, person, event_id (f), NULL, cancellable, store_result_cb,
                             &result);
  g_assert_false (dft_people_register_finish (f->store, wait_result (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (count_changes (f), ==, before);
}

/* ---- Update ----------------------------------------------------------------- */

static void
test_update_role (Fixture *f, gconstpointer data)
{
  g_autoptr (DftRecord)    person = new_person ("Amina");
  g_autoptr (DftRecord)    enrollment = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError)       error = NULL;

  g_assert_true (dft_people_register (f->store, person, event_id (f), "trainer", &error));
  g_assert_no_error (error);

  /* No role given: the trainer stays a trainer while the name changes. */
  dft_record_set_string (person, "family_name", "Odhiambo");
  g_assert_true (dft_people_update (f->store, person, event_id (f), NULL, &error));
  g_assert_no_error (error);
  enrollment = load_enrollment (f, event_id (f), dft_record_get_id (person));
  g_assert_cmpstr (dft_record_get_string (enrollment, "role"), ==, "trainer");
  g_clear_object (&enrollment);

  dft_people_update_async (f->store, person, event_id (f), "observer", NULL, store_result_cb,
                           &result);
  g_assert_true (dft_people_update_finish (f->store, wait_result (&result), &error));
  g_assert_no_error (error);
  enrollment = load_enrollment (f, event_id (f), dft_record_get_id (person));
  g_assert_cmpstr (dft_record_get_string (enrollment, "role"), ==, "observer");
}

/* Correcting someone taken out of the workshop meanwhile does not put them back in. */
static void
test_update_keeps_removal (Fixture *f, gconstpointer data)
{
  g_autoptr (DftRecord) person = new_person ("Giorgi");
  g_autoptr (DftRecord) enrollment = NULL;
  g_autoptr (GError)    error = NULL;

  g_assert_true (dft_people_register (f->store, person, event_id (f), NULL, &error));
  g_assert_true (dft_people_remove (f->store, event_id (f), dft_record_get_id (person), &error));
  g_assert_no_error (error);
  dft_record_set_string (person, "agency", "Police");
  g_assert_true (dft_people_update (f->store, person, event_id (f), "trainer", &error));
  g_assert_no_error (error);
  enrollment = load_enrollment (f, event_id (f), dft_record_get_id (person));
  g_assert_true (dft_record_get_deleted (enrollment));
  g_assert_cmpstr (dft_record_get_string (enrollment, "role"), ==, "trainer");
}

/* ---- Enroll ----------------------------------------------------------------- */

/* Twice: the same record (its id is the pair's), the role of the second, one enrollment. */
static void
test_enroll_twice (Fixture *f, gconstpointer data)
{
  g_autoptr (DftRecord)  person = dft_test_add_person (f->store, "Jean", "Dupont");
  g_autoptr (DftRecord)  first = NULL;
  g_autoptr (DftRecord)  second = NULL;
  g_autoptr (GError)     error = NULL;
  g_autoptr (GListModel) enrollments = NULL;

  first = dft_people_enroll (f->store, event_id (f), dft_record_get_id (person), "trainer", &error);
  g_assert_no_error (error);
  second = dft_people_enroll (f->store, event_id (f), dft_record_get_id (person), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dft_record_get_id (first), ==, dft_record_get_id (second));
  g_assert_cmpstr (dft_record_get_string (second, "role"), ==, "participant");
  enrollments = dft_store_list_enrollments (f->store, event_id (f));
  g_assert_cmpuint (dft_test_count_listed (g_steal_pointer (&enrollments)), ==, 1);
}

static void
test_enroll_unknown_workshop (Fixture *f, gconstpointer data)
{
  g_autoptr (DftRecord) person = dft_test_add_person (f->store, "Jean", NULL);
  g_autoptr (DftRecord) enrollment = NULL;
  g_autoptr (GError)    error = NULL;
  g_autofree char      *nowhere = dft_uuid_v7_new ();

  enrollment = dft_people_enroll (f->store, nowhere, dft_record_get_id (person), NULL, &error);
  g_assert_null (enrollment);
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID);
}

/* A deleted person can be enrolled (a sync may revive them); they are not listed while
 * deleted. */
static void
test_enroll_deleted_person (Fixture *f, gconstpointer data)
{
  g_autoptr (DftRecord)  person = dft_test_add_person (f->store, "Marie", NULL);
  g_autoptr (DftRecord)  enrollment = NULL;
  g_autoptr (GError)     error = NULL;
  g_autoptr (GListModel) people = NULL;

  dft_test_delete (f->store, &dft_entity_person, dft_record_get_id (person));
  enrollment = dft_people_enroll (f->store, event_id (f), dft_record_get_id (person), NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (enrollment);
  people = dft_store_list_people (f->store, event_id (f));
  g_assert_cmpuint (dft_test_count_listed (g_steal_pointer (&people)), ==, 0);
}

static void
test_enroll_async (Fixture *f, gconstpointer data)
{
  g_autoptr (DftRecord)    person = dft_test_add_person (f->store, "Aibek", NULL);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GAsyncResult) failed = NULL;
  g_autoptr (DftRecord)    enrollment = NULL;
  g_autoptr (GError)       error = NULL;
  g_autofree char         *nowhere = dft_uuid_v7_new ();

  dft_people_enroll_async (f->store, event_id (f), dft_record_get_id (person), "trainer", NULL,
                           store_result_cb, &result);
  enrollment = dft_people_enroll_finish (f->store, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dft_record_get_string (enrollment, "role"), ==, "trainer");

  dft_people_enroll_async (f->store, nowhere, dft_record_get_id (person), NULL, NULL,
                           store_result_cb, &failed);
  g_assert_null (dft_people_enroll_finish (f->store, wait_result (&failed), &error));
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID);
}

/* ---- The enrollment to save with a person ---------------------------------- */

static void
test_enrollment_for (Fixture *f, gconstpointer data)
{
  g_autoptr (DftRecord) fresh = new_person ("Jean");
  g_autoptr (DftRecord) held = dft_test_add_person (f->store, "Amina", NULL);
  g_autoptr (DftRecord) enrollment = NULL;
  g_autoptr (GError)    error = NULL;

  /* A new person gets an id, and a new enrollment as a participant, nothing saved. */
  enrollment = dft_people_enrollment_for (f->store, event_id (f), fresh, NULL, TRUE, &error);
  g_assert_no_error (error);
  g_assert_true (dft_uuid_is_valid (dft_record_get_id (fresh)));
  g_assert_true (dft_record_is_new (enrollment));
  g_assert_cmpstr (dft_record_get_string (enrollment, "role"), ==, "participant");
  g_assert_null (load_enrollment (f, event_id (f), dft_record_get_id (fresh)));
  g_clear_object (&enrollment);

  /* A held trainer, removed: the role stays without one given; revived only when asked. */
  g_object_unref (
      dft_people_enroll (f->store, event_id (f), dft_record_get_id (held), "trainer", &error));
  g_assert_true (dft_people_remove (f->store, event_id (f), dft_record_get_id (held), &error));
  enrollment = dft_people_enrollment_for (f->store, event_id (f), held, NULL, FALSE, &error);
  g_assert_no_error (error);
  g_assert_false (dft_record_is_new (enrollment));
  g_assert_true (dft_record_get_deleted (enrollment));
  g_assert_cmpstr (dft_record_get_string (enrollment, "role"), ==, "trainer");
  g_clear_object (&enrollment);
  enrollment = dft_people_enrollment_for (f->store, event_id (f), held, "observer", TRUE, &error);
  g_assert_false (dft_record_get_deleted (enrollment));
  g_assert_cmpstr (dft_record_get_string (enrollment, "role"), ==, "observer");
}

/* ---- Remove ----------------------------------------------------------------- */

static void
test_remove_and_restore (Fixture *f, gconstpointer data)
{
  g_autoptr (DftRecord)    person = dft_test_add_person (f->store, "Jean", NULL);
  g_autoptr (DftRecord)    enrollment = NULL;
  g_autoptr (GAsyncResult) removed = NULL;
  g_autoptr (GAsyncResult) restored = NULL;
  g_autoptr (GError)       error = NULL;
  const char              *person_id = dft_record_get_id (person);

  g_object_unref (dft_people_enroll (f->store, event_id (f), person_id, "trainer", &error));
  dft_people_remove_async (f->store, event_id (f), person_id, NULL, store_result_cb, &removed);
  g_assert_true (dft_people_remove_finish (f->store, wait_result (&removed), &error));
  g_assert_no_error (error);
  enrollment = load_enrollment (f, event_id (f), person_id);
  g_assert_true (dft_record_get_deleted (enrollment));
  g_clear_object (&enrollment);

  /* Undone: the same record, its role as it was. */
  dft_people_restore_async (f->store, event_id (f), person_id, NULL, store_result_cb, &restored);
  g_assert_true (dft_people_restore_finish (f->store, wait_result (&restored), &error));
  g_assert_no_error (error);
  enrollment = load_enrollment (f, event_id (f), person_id);
  g_assert_false (dft_record_get_deleted (enrollment));
  g_assert_cmpstr (dft_record_get_string (enrollment, "role"), ==, "trainer");

  /* Blocking, the same. */
  g_assert_true (dft_people_remove (f->store, event_id (f), person_id, &error));
  g_assert_true (dft_people_restore (f->store, event_id (f), person_id, &error));
  g_assert_no_error (error);
}

static void
test_remove_never_enrolled (Fixture *f, gconstpointer data)
{
  g_autoptr (DftRecord) person = dft_test_add_person (f->store, "Jean", NULL);
  g_autoptr (GError)    error = NULL;

  g_assert_false (dft_people_remove (f->store, event_id (f), dft_record_get_id (person), &error));
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND);
}

/* ---- Attendance ------------------------------------------------------------- */

static const char *
first_session (Fixture *f)
{
  g_autoptr (GListModel) sessions = dft_store_list_sessions (f->store, event_id (f));
  g_autoptr (DftRecord)  session = NULL;

  g_assert_true (dft_record_list_reload_sync (DFT_RECORD_LIST (sessions), NULL));
  session = g_list_model_get_item (sessions, 0);
  return g_intern_string (dft_record_get_id (session));
}

static const char *
status_of (Fixture *f, const char *session_id, const char *person_id)
{
  g_autofree char      *id = dft_attendance_id_for (session_id, person_id);
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) mark = dft_store_load (f->store, &dft_entity_attendance, id, &error);

  if (mark == NULL || dft_record_get_deleted (mark))
    return NULL;
  return g_intern_string (dft_record_get_string (mark, "status"));
}

static void
test_attendance_mark (Fixture *f, gconstpointer data)
{
  g_autoptr (DftRecord)    person = dft_test_add_person (f->store, "Jean", NULL);
  g_autoptr (DftRecord)    mark = NULL;
  g_autoptr (DftRecord)    again = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GAsyncResult) failed = NULL;
  g_autoptr (GError)       error = NULL;
  const char              *session = first_session (f);
  g_autofree char         *nowhere = dft_uuid_v7_new ();

  mark = dft_attendance_mark (f->store, session, dft_record_get_id (person), "late", "bus", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dft_record_get_string (mark, "note"), ==, "bus");

  /* Marked again: the same record; a NULL note leaves the note, "" clears it. */
  dft_attendance_mark_async (f->store, session, dft_record_get_id (person), "present", NULL, NULL,
                             store_result_cb, &result);
  again = dft_attendance_mark_finish (f->store, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dft_record_get_id (again), ==, dft_record_get_id (mark));
  g_assert_cmpstr (dft_record_get_string (again, "note"), ==, "bus");
  g_assert_cmpstr (status_of (f, session, dft_record_get_id (person)), ==, "present");

  /* A session that is not there, and a status that is not one. */
  dft_attendance_mark_async (f->store, nowhere, dft_record_get_id (person), "present", NULL, NULL,
                             store_result_cb, &failed);
  g_assert_null (dft_attendance_mark_finish (f->store, wait_result (&failed), &error));
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (
      dft_attendance_mark (f->store, session, dft_record_get_id (person), "asleep", NULL, &error));
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID);
}

static void
test_attendance_mark_session (Fixture *f, gconstpointer data)
{
  g_autoptr (DftRecord)    jean = dft_test_add_person (f->store, "Jean", NULL);
  g_autoptr (DftRecord)    amina = dft_test_add_person (f->store, "Amina", NULL);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GAsyncResult) failed = NULL;
  g_autoptr (GError)       error = NULL;
  const char              *session = first_session (f);
  const char              *ids[] = { dft_record_get_id (jean), dft_record_get_id (amina) };
  const char              *present[] = { "present", "present" };
  const char              *undo[] = { "late", NULL };
  const char              *bad[] = { "present", "asleep" };

  g_object_unref (
      dft_attendance_mark (f->store, session, dft_record_get_id (jean), "late", NULL, &error));
  g_assert_true (dft_attendance_mark_session (f->store, session, ids, present, 2, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (status_of (f, session, ids[0]), ==, "present");
  g_assert_cmpstr (status_of (f, session, ids[1]), ==, "present");

  /* Its undo: one mark back as it was, one cleared. */
  dft_attendance_mark_session_async (f->store, session, ids, undo, 2, NULL, store_result_cb,
                                     &result);
  g_assert_true (dft_attendance_mark_session_finish (f->store, wait_result (&result), &error));
  g_assert_no_error (error);
  g_assert_cmpstr (status_of (f, session, ids[0]), ==, "late");
  g_assert_null (status_of (f, session, ids[1]));

  /* One transaction: one bad mark, and neither is written. */
  dft_attendance_mark_session_async (f->store, session, ids, bad, 2, NULL, store_result_cb,
                                     &failed);
  g_assert_false (dft_attendance_mark_session_finish (f->store, wait_result (&failed), &error));
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID);
  g_assert_cmpstr (status_of (f, session, ids[0]), ==, "late");
  g_assert_null (status_of (f, session, ids[1]));
}

int
main (int argc, char **argv)
{
  dft_test_init (&argc, &argv);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/people/register/enrolls", test_register_enrolls);
  ADD ("/people/register/role-and-no-workshop", test_register_role_and_no_workshop);
  ADD ("/people/register/unknown-workshop", test_register_unknown_workshop);
  ADD ("/people/register/invalid-person", test_register_invalid_person);
  ADD ("/people/register/async", test_register_async);
  ADD ("/people/register/cancelled", test_register_cancelled);
  ADD ("/people/update/role", test_update_role);
  ADD ("/people/update/keeps-removal", test_update_keeps_removal);
  ADD ("/people/enroll/twice", test_enroll_twice);
  ADD ("/people/enroll/unknown-workshop", test_enroll_unknown_workshop);
  ADD ("/people/enroll/deleted-person", test_enroll_deleted_person);
  ADD ("/people/enroll/async", test_enroll_async);
  ADD ("/people/enrollment-for", test_enrollment_for);
  ADD ("/people/remove/and-restore", test_remove_and_restore);
  ADD ("/people/remove/never-enrolled", test_remove_never_enrolled);
  ADD ("/attendance/mark", test_attendance_mark);
  ADD ("/attendance/mark-session", test_attendance_mark_session);
#undef ADD

  return g_test_run ();
}
