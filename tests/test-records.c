/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "dft-change-log.h"
#include "dft-db.h"
#include "dft-store-private.h"
#include "dft-test-util.h"

typedef struct
{
  char     *dir;
  DftStore *store;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->store = dft_test_open_store (&f->dir);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  dft_test_release_store (f->store);
  dft_test_dir_free (f->dir);
}

static GPtrArray *
read_log (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  GPtrArray         *log = dft_change_log_read_since (_dft_store_get_db (f->store), 0, 0, &error);

  g_assert_no_error (error);
  return log;
}

static gint64
count_rows (Fixture *f, const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64        n;

  g_assert_cmpint (sqlite3_prepare_v2 (_dft_store_get_db (f->store), sql, -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return n;
}

static void
test_person_create_logs_change (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) person = dft_record_new_for_entity (&dft_entity_person);
  g_autoptr (DftRecord) loaded = NULL;
  g_autoptr (GPtrArray) log = NULL;
  DftChange            *change;

  g_object_set (person, "given-name", "გიორგი", "family-name", "ბერიძე", "gender", "male", "agency",
                "Police", "consent", TRUE, "consent-date", "2026-03-02", NULL);
  g_assert_true (dft_record_is_new (person));
  g_assert_true (dft_store_save (f->store, person, &error));
  g_assert_no_error (error);
  g_assert_false (dft_record_is_new (person));
  g_assert_false (dft_record_is_changed (person));
  g_assert_nonnull (dft_record_get_created_at (person));
  g_assert_true (g_str_has_suffix (dft_record_get_updated_at (person), "Z"));
  /* Ids are UUIDv7 made on this device. */
  g_assert_cmpint (dft_record_get_id (person)[14], ==, '7');

  loaded = dft_store_load (f->store, &dft_entity_person, dft_record_get_id (person), &error);
  g_assert_no_error (error);
  g_assert_true (DFT_IS_PERSON (loaded));
  g_assert_cmpstr (dft_record_get_string (loaded, "given_name"), ==, "გიორგი");
  g_assert_true (dft_record_get_bool (loaded, "consent"));
  g_assert_false (dft_record_is_changed (loaded));

  log = read_log (f);
  g_assert_cmpuint (log->len, ==, 1);
  change = g_ptr_array_index (log, 0);
  g_assert_cmpstr (change->entity, ==, "person");
  g_assert_cmpstr (change->record_id, ==, dft_record_get_id (person));
  g_assert_cmpstr (change->device_id, ==, dft_store_get_device_id (f->store));
  g_assert_cmpuint (change->hlc, >, 0);
  g_assert_cmpstr (json_object_get_string_member (change->fields, "family_name"), ==, "ბერიძე");
  g_assert_true (json_object_get_boolean_member (change->fields, "consent"));
  g_assert_true (json_object_has_member (change->fields, "created_at"));
  /* Empty optional fields of a new record are not sent. */
  g_assert_false (json_object_has_member (change->fields, "email"));
}

static void
test_update_logs_only_changed_fields (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DftRecord) person = dft_test_add_person (f->store, "Айбек", "Абдыкадыров");
  g_autoptr (GPtrArray) log = NULL;
  DftChange            *change;
  DftHlcValue           first_hlc;

  dft_record_set_string (person, "agency", "Customs");
  dft_record_set_string (person, "given_name", "Айбек"); /* unchanged: not a change */
  g_assert_true (dft_record_field_is_changed (
      person, (guint) dft_entity_field_index (&dft_entity_person, "agency")));
  g_assert_false (dft_record_field_is_changed (
      person, (guint) dft_entity_field_index (&dft_entity_person, "given_name")));
  g_assert_true (dft_store_save (f->store, person, &error));
  g_assert_no_error (error);

  /* Saving an unchanged record writes nothing. */
  g_assert_true (dft_store_save (f->store, person, &error));

  log = read_log (f);
  g_assert_cmpuint (log->len, ==, 2);
  first_hlc = ((DftChange *) g_ptr_array_index (log, 0))->hlc;
  change = g_ptr_array_index (log, 1);
  g_assert_cmpuint (change->hlc, >, first_hlc);
  /* An edit also says the record it edited was alive (PROTOCOL.md, Merge). */
  g_assert_cmpuint (json_object_get_size (change->fields), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (change->fields, "agency"), ==, "Customs");
  g_assert_false (json_object_get_boolean_member (change->fields, "deleted"));
}

static void
notify_count_cb (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  (*(guint *) user_data)++;
}

static void
test_properties_notify (Fixture *f, gconstpointer data)
{
  g_autoptr (DftRecord) person = dft_record_new_for_entity (&dft_entity_person);
  g_autofree char      *agency = NULL;
  guint                 notified = 0;

  g_signal_connect (person, "notify::agency", G_CALLBACK (notify_count_cb), &notified);
  g_object_set (person, "agency", "Judiciary", NULL);
  g_object_set (person, "agency", "Judiciary", NULL);
  g_assert_cmpuint (notified, ==, 1);
  g_object_get (person, "agency", &agency, NULL);
  g_assert_cmpstr (agency, ==, "Judiciary");
  g_assert_nonnull (g_object_class_find_property (G_OBJECT_GET_CLASS (person), "consent-date"));
}

static void
expect_invalid (Fixture *f, DftRecord *record, const char *fragment)
{
  g_autoptr (GError) error = NULL;
  gint64             before = count_rows (f, "SELECT count (*) FROM change_log");

  g_assert_false (dft_store_save (f->store, record, &error));
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID);
  if (strstr (error->message, fragment) == NULL)
    g_error ("“%s” does not mention “%s”", error->message, fragment);
  /* Nothing was written and what was typed is still there to fix. */
  g_assert_cmpint (count_rows (f, "SELECT count (*) FROM change_log"), ==, before);
  g_assert_true (dft_record_is_changed (record));
}

static void
test_validation (Fixture *f, gconstpointer data)
{
  g_autoptr (DftRecord) nameless = dft_record_new_for_entity (&dft_entity_person);
  g_autoptr (DftRecord) bad_gender = dft_record_new_for_entity (&dft_entity_person);
  g_autoptr (DftRecord) bad_email = dft_record_new_for_entity (&dft_entity_person);
  g_autoptr (DftRecord) consent_date = dft_record_new_for_entity (&dft_entity_person);
  g_autoptr (DftRecord) backwards = dft_record_new_for_entity (&dft_entity_event);
  g_autoptr (DftRecord) bad_date = dft_record_new_for_entity (&dft_entity_event);
  g_autoptr (DftRecord) endless = dft_record_new_for_entity (&dft_entity_event);
  g_autoptr (DftRecord) orphan = dft_record_new_for_entity (&dft_entity_enrollment);

  dft_record_set_string (nameless, "given_name", "   ");
  expect_invalid (f, nameless, "Given name");

  dft_record_set_string (bad_gender, "given_name", "Hina");
  dft_record_set_string (bad_gender, "gender", "f");
  expect_invalid (f, bad_gender, "female, male");

  dft_record_set_string (bad_email, "given_name", "Usman");
  dft_record_set_string (bad_email, "email", "usman at example.org");
  expect_invalid (f, bad_email, "Email");

  dft_record_set_string (consent_date, "given_name", "Sana");
  dft_record_set_string (consent_date, "consent_date", "2026-03-02");
  expect_invalid (f, consent_date, "consent");

  g_object_set (backwards, "title", "Financial investigations", "start-date", "2026-03-05",
                "end-date", "2026-03-02", NULL);
  expect_invalid (f, backwards, "before the start date");

  g_object_set (bad_date, "title", "Cyber", "start-date", "2026-02-30", "end-date", "2026-03-02",
                NULL);
  expect_invalid (f, bad_date, "2026-03-02");

  g_object_set (endless, "title", "Typo", "start-date", "2026-03-02", "end-date", "2062-03-02",
                NULL);
  expect_invalid (f, endless, "at most");

  g_object_set (orphan, "event-id", "0190aaaa-0000-7000-8000-000000000000", "person-id",
                "0190aaaa-0000-7000-8000-000000000001", "role", "participant", NULL);
  expect_invalid (f, orphan, "does not exist");
}

/*
 * A country is saved as its code and a phone number in its one form, whoever typed them,
 * and that form is what the change log sends; what has no such form is refused.
 */
static void
test_contact_fields (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) person = dft_record_new_for_entity (&dft_entity_person);
  g_autoptr (DftRecord) loaded = NULL;
  g_autoptr (DftRecord) atlantis = dft_record_new_for_entity (&dft_entity_person);
  g_autoptr (DftRecord) no_phone = dft_record_new_for_entity (&dft_entity_person);
  g_autoptr (DftRecord) no_domain = dft_record_new_for_entity (&dft_entity_person);
  g_autoptr (DftRecord) event = dft_record_new_for_entity (&dft_entity_event);
  g_autoptr (GPtrArray) log = NULL;
  DftChange            *change;

  g_object_set (person, "given-name", "Aibek", "country", " kg ", "phone", "00996 (555) 12-34-56",
                "email", "aibek@example.kg", NULL);
  g_assert_true (dft_store_validate (f->store, person, &error));
  g_assert_true (dft_store_save (f->store, person, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (dft_record_get_string (person, "country"), ==, "KG");
  loaded = dft_store_load (f->store, &dft_entity_person, dft_record_get_id (person), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dft_record_get_string (loaded, "country"), ==, "KG");
  g_assert_cmpstr (dft_record_get_string (loaded, "phone"), ==, "+996555123456");
  log = read_log (f);
  change = g_ptr_array_index (log, log->len - 1);
  g_assert_cmpstr (json_object_get_string_member (change->fields, "country"), ==, "KG");
  g_assert_cmpstr (json_object_get_string_member (change->fields, "phone"), ==, "+996555123456");

  /* A name in the interface language or another is a country too; a workshop's as well. */
  dft_record_set_string (loaded, "country", "Kyrgyzstan");
  g_assert_true (dft_store_save (f->store, loaded, &error));
  g_assert_cmpstr (dft_record_get_string (loaded, "country"), ==, "KG");
  g_object_set (event, "title", "Cyber", "start-date", "2026-03-02", "end-date", "2026-03-02",
                "country", "tanzania", NULL);
  g_assert_true (dft_store_save (f->store, event, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (dft_record_get_string (event, "country"), ==, "TZ");

  g_object_set (atlantis, "given-name", "Sana", "country", "Atlantis", NULL);
  expect_invalid (f, atlantis, "Country");
  g_object_set (no_phone, "given-name", "Sana", "phone", "call me", NULL);
  expect_invalid (f, no_phone, "Phone");
  g_object_set (no_domain, "given-name", "Sana", "email", "sana@example", NULL);
  expect_invalid (f, no_domain, "Email");
}

/* A value kept from before the checks (a sync from an older version) does not stop a save
 * of the record's other fields, and stays as it was until someone edits it. */
static void
test_contact_fields_kept (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) person = dft_test_add_person (f->store, "Rehema", "Said");
  g_autoptr (DftRecord) loaded = NULL;
  g_autofree char      *sql
      = g_strdup_printf ("UPDATE person SET country = 'Atlantis', email = 'rehema@example' "
                         "WHERE id = '%s'",
                         dft_record_get_id (person));

  g_assert_cmpint (sqlite3_exec (_dft_store_get_db (f->store), sql, NULL, NULL, NULL), ==,
                   SQLITE_OK);
  loaded = dft_store_load (f->store, &dft_entity_person, dft_record_get_id (person), &error);
  g_assert_no_error (error);
  dft_record_set_string (loaded, "agency", "Police");
  g_assert_true (dft_store_save (f->store, loaded, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (dft_record_get_string (loaded, "country"), ==, "Atlantis");
  g_assert_cmpstr (dft_record_get_string (loaded, "email"), ==, "rehema@example");
}

static void
test_immutable_fields (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) a = dft_test_add_event (f->store, "A", "2026-03-02", "2026-03-02");
  g_autoptr (DftRecord) b = dft_test_add_event (f->store, "B", "2026-04-02", "2026-04-02");
  g_autoptr (DftRecord) p = dft_test_add_person (f->store, "Rehema", "Said");
  g_autoptr (DftRecord) enrollment = dft_store_enroll (
      f->store, dft_record_get_id (a), dft_record_get_id (p), "participant", &error);

  g_assert_no_error (error);
  dft_record_set_string (enrollment, "event_id", dft_record_get_id (b));
  expect_invalid (f, enrollment, "cannot be changed");
}

static void
test_event_generates_sessions (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (DftRecord)  event = dft_test_add_event (f->store, "Cyber", "2026-03-02", "2026-03-04");
  g_autoptr (DftRecord)  person = dft_test_add_person (f->store, "Zawadi", "Nyerere");
  g_autoptr (GListModel) sessions = dft_store_list_sessions (f->store, dft_record_get_id (event));
  g_autoptr (DftRecord)  first = NULL;
  g_autoptr (DftRecord)  last = NULL;
  g_autoptr (DftRecord)  mark = NULL;
  g_autofree char       *expected_id = NULL;

  g_assert_true (dft_record_list_reload_sync ((DftRecordList *) sessions, &error));
  g_assert_cmpuint (g_list_model_get_n_items (sessions), ==, 6);
  first = g_list_model_get_item (sessions, 0);
  last = g_list_model_get_item (sessions, 5);
  g_assert_cmpstr (dft_record_get_string (first, "date"), ==, "2026-03-02");
  g_assert_cmpstr (dft_record_get_string (first, "part"), ==, "am");
  g_assert_cmpstr (dft_record_get_string (last, "date"), ==, "2026-03-04");
  g_assert_cmpstr (dft_record_get_string (last, "part"), ==, "pm");
  /* Two devices generating the same workshop's sessions meet in the same ids. */
  expected_id = dft_session_id_for (dft_record_get_id (event), "2026-03-02", "am");
  g_assert_cmpstr (dft_record_get_id (first), ==, expected_id);
  /* One change-log entry each: the event and six sessions, plus the person. */
  g_assert_cmpint (count_rows (f, "SELECT count (*) FROM change_log WHERE entity = 'session'"), ==,
                   6);

  /* Attendance on the last day keeps that day when the workshop is shortened. */
  mark = dft_store_mark_attendance (f->store, dft_record_get_id (last), dft_record_get_id (person),
                                    "present", NULL, &error);
  g_assert_no_error (error);
  dft_record_set_string (event, "end_date", "2026-03-03");
  g_assert_true (dft_store_save (f->store, event, &error));
  g_assert_no_error (error);
  g_assert_true (dft_record_list_reload_sync ((DftRecordList *) sessions, &error));
  /* 03-04 am had no attendance and goes; 03-04 pm keeps its mark. */
  g_assert_cmpuint (g_list_model_get_n_items (sessions), ==, 5);

  /* Longer again: new days appear, the removed one comes back. */
  dft_record_set_string (event, "end_date", "2026-03-05");
  g_assert_true (dft_store_save (f->store, event, &error));
  g_assert_true (dft_record_list_reload_sync ((DftRecordList *) sessions, &error));
  g_assert_cmpuint (g_list_model_get_n_items (sessions), ==, 8);
}

static void
test_attendance_one_mark_per_person_session (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) event = dft_test_add_event (f->store, "NAPOR", "2026-05-11", "2026-05-11");
  g_autoptr (DftRecord) person = dft_test_add_person (f->store, "Олена", "Шевченко");
  g_autofree char *session_id = dft_session_id_for (dft_record_get_id (event), "2026-05-11", "am");
  g_autoptr (DftRecord) m1 = NULL;
  g_autoptr (DftRecord) m2 = NULL;
  g_autoptr (DftRecord) bad = NULL;
  g_autofree char      *expected = NULL;

  m1 = dft_store_mark_attendance (f->store, session_id, dft_record_get_id (person), "late",
                                  "Traffic", &error);
  g_assert_no_error (error);
  m2 = dft_store_mark_attendance (f->store, session_id, dft_record_get_id (person), "present", NULL,
                                  &error);
  g_assert_no_error (error);
  expected = dft_attendance_id_for (session_id, dft_record_get_id (person));
  g_assert_cmpstr (dft_record_get_id (m1), ==, expected);
  g_assert_cmpstr (dft_record_get_id (m2), ==, expected);
  g_assert_cmpstr (dft_record_get_string (m2, "status"), ==, "present");
  g_assert_cmpstr (dft_record_get_string (m2, "note"), ==, "Traffic");
  g_assert_cmpint (count_rows (f, "SELECT count (*) FROM attendance"), ==, 1);
  g_assert_cmpint (count_rows (f, "SELECT count (*) FROM change_log WHERE entity = 'attendance'"),
                   ==, 2);

  bad = dft_store_mark_attendance (f->store, session_id, dft_record_get_id (person), "asleep", NULL,
                                   &error);
  g_assert_null (bad);
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID);
}

/* Several marks at once, a cleared mark among them: a tombstone, revived by the next mark. */
static void
test_attendance_set_and_clear (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) event = dft_test_add_event (f->store, "NAPOR", "2026-12-04", "2026-12-05");
  g_autoptr (DftRecord) a = dft_test_add_person (f->store, "Айбек", "Токтогулов");
  g_autoptr (DftRecord) b = dft_test_add_person (f->store, "Amina", "Yusuf");
  g_autofree char *session = dft_session_id_for (dft_record_get_id (event), "2026-12-04", "pm");
  const char      *people[] = { dft_record_get_id (a), dft_record_get_id (b) };
  const char      *present[] = { "present", "present" };
  const char      *clear_a[] = { NULL, "late" };
  const char      *clear_both[] = { NULL, NULL };
  const char      *bad[] = { "present", "asleep" };
  g_autoptr (GPtrArray) log = NULL;
  DftChange            *tombstone;

  g_assert_true (dft_store_set_attendance (f->store, session, people, present, 2, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (f, "SELECT count (*) FROM attendance WHERE deleted = 0"), ==, 2);

  /* Cleared: the row stays as a tombstone that syncs; the other mark changes with it. */
  g_assert_true (dft_store_set_attendance (f->store, session, people, clear_a, 2, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (f, "SELECT count (*) FROM attendance WHERE deleted = 1"), ==, 1);
  g_assert_cmpint (count_rows (f, "SELECT count (*) FROM attendance WHERE status = 'late' AND "
                                  "deleted = 0"),
                   ==, 1);
  g_assert_cmpuint (dft_test_count_listed (dft_store_list_attendance (f->store, session)), ==, 1);
  log = read_log (f);
  tombstone = g_ptr_array_index (log, log->len - 2);
  g_assert_true (json_object_get_boolean_member (tombstone->fields, "deleted"));

  /* Clearing what is not marked writes nothing. */
  g_clear_pointer (&log, g_ptr_array_unref);
  g_assert_true (dft_store_set_attendance (f->store, session, people, clear_both, 2, &error));
  g_assert_true (dft_store_set_attendance (f->store, session, people, clear_both, 2, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (f, "SELECT count (*) FROM change_log WHERE entity = 'attendance'"),
                   ==, 2 + 2 + 1);

  /* A mark on a cleared one revives it. */
  g_assert_true (dft_store_set_attendance (f->store, session, people, present, 2, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (dft_test_count_listed (dft_store_list_attendance (f->store, session)), ==, 2);

  /* All or nothing. */
  g_assert_false (dft_store_set_attendance (f->store, session, people, bad, 2, &error));
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID);
  g_assert_cmpint (count_rows (f, "SELECT count (*) FROM attendance WHERE status = 'present' AND "
                                  "deleted = 0"),
                   ==, 2);
}

static void
test_soft_delete_and_undo (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) person = dft_test_add_person (f->store, "Bilal", "Qureshi");
  g_autoptr (GPtrArray) found = NULL;
  g_autoptr (GPtrArray) log = NULL;
  DftChange            *tombstone;

  g_assert_true (dft_store_delete (f->store, person, &error));
  g_assert_true (dft_record_get_deleted (person));
  /* The row stays: a tombstone syncs, and the delete can be undone. */
  g_assert_cmpint (count_rows (f, "SELECT count (*) FROM person WHERE deleted = 1"), ==, 1);
  found = dft_store_find_people (f->store, "bilal", 0, &error);
  g_assert_cmpuint (found->len, ==, 0);

  log = read_log (f);
  tombstone = g_ptr_array_index (log, log->len - 1);
  g_assert_true (json_object_get_boolean_member (tombstone->fields, "deleted"));
  g_assert_cmpuint (json_object_get_size (tombstone->fields), ==, 1);

  g_assert_true (dft_store_undelete (f->store, person, &error));
  g_clear_pointer (&found, g_ptr_array_unref);
  found = dft_store_find_people (f->store, "bilal", 0, &error);
  g_assert_cmpuint (found->len, ==, 1);
}

static void
test_save_all_is_atomic (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) good = dft_record_new_for_entity (&dft_entity_person);
  g_autoptr (DftRecord) bad = dft_record_new_for_entity (&dft_entity_person);
  DftRecord            *batch[] = { good, bad };

  dft_record_set_string (good, "given_name", "Imran");
  dft_record_set_string (bad, "given_name", "Ayesha");
  dft_record_set_string (bad, "gender", "unknown");

  g_assert_false (dft_store_save_all (f->store, batch, 2, &error));
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID);
  g_assert_cmpint (count_rows (f, "SELECT count (*) FROM person"), ==, 0);
  g_assert_cmpint (count_rows (f, "SELECT count (*) FROM change_log"), ==, 0);
  g_assert_true (dft_record_is_new (good));

  /* Fixed, the same batch goes through, and the clock did not skip backwards. */
  g_clear_error (&error);
  dft_record_set_string (bad, "gender", "female");
  g_assert_true (dft_store_save_all (f->store, batch, 2, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (f, "SELECT count (*) FROM change_log"), ==, 2);
}

static void
test_submission_fields (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) form = dft_record_new_for_entity (&dft_entity_form);
  g_autoptr (DftRecord) submission = dft_record_new_for_entity (&dft_entity_submission);
  g_autoptr (DftRecord) loaded = NULL;
  g_autoptr (DftRecord) bad_json = dft_record_new_for_entity (&dft_entity_submission);

  g_object_set (form, "form-key", "evaluation", "version", (gint64) 2, "title", "Evaluation",
                "definition", "{\"questions\": []}", NULL);
  g_assert_true (dft_store_save (f->store, form, &error));
  g_assert_no_error (error);

  g_object_set (submission, "form-id", dft_record_get_id (form), "status", "draft", "answers",
                "{\"l1\": 5}", "started-at", "2026-03-06T15:00:00Z", NULL);
  g_assert_true (dft_store_save (f->store, submission, &error));
  g_assert_no_error (error);
  loaded
      = dft_store_load (f->store, &dft_entity_submission, dft_record_get_id (submission), &error);
  g_assert_true (isnan (dft_record_get_real (loaded, "score")));
  dft_record_set_real (loaded, "score", 17.5);
  dft_record_set_string (loaded, "status", "final");
  g_assert_true (dft_store_save (f->store, loaded, &error));
  g_clear_object (&loaded);
  loaded
      = dft_store_load (f->store, &dft_entity_submission, dft_record_get_id (submission), &error);
  g_assert_cmpfloat (dft_record_get_real (loaded, "score"), ==, 17.5);
  g_assert_null (dft_record_get_string (loaded, "person_id"));

  g_object_set (bad_json, "form-id", dft_record_get_id (form), "status", "draft", "answers",
                "{oops", NULL);
  expect_invalid (f, bad_json, "JSON");
}

static void
test_rename_updates_search (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) person = dft_test_add_person (f->store, "Айбек", "Токтогулов");
  g_autoptr (GPtrArray) old_name = NULL;
  g_autoptr (GPtrArray) new_name = NULL;

  /* A typo fixed after registration: the old spelling must stop matching. */
  dft_record_set_string (person, "given_name", "Нурлан");
  g_assert_true (dft_store_save (f->store, person, &error));
  old_name = dft_store_find_people (f->store, "aibek", 0, &error);
  new_name = dft_store_find_people (f->store, "nurlan tok", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (old_name->len, ==, 0);
  g_assert_cmpuint (new_name->len, ==, 1);
}

static void
test_final_submission_immutable (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) form = dft_record_new_for_entity (&dft_entity_form);
  g_autoptr (DftRecord) sub = dft_record_new_for_entity (&dft_entity_submission);
  g_autoptr (DftRecord) correction = dft_record_new_for_entity (&dft_entity_submission);

  g_object_set (form, "form-key", "pre", "version", (gint64) 1, "title", "Pre-test", "definition",
                "{}", NULL);
  g_assert_true (dft_store_save (f->store, form, &error));
  g_object_set (sub, "form-id", dft_record_get_id (form), "status", "final", "answers",
                "{\"q1\": \"a\"}", NULL);
  g_assert_true (dft_store_save (f->store, sub, &error));

  /* Changing the answers of a final submission is refused; a correction supersedes it. */
  dft_record_set_string (sub, "answers", "{\"q1\": \"b\"}");
  expect_invalid (f, sub, "supersedes");
  g_object_set (correction, "form-id", dft_record_get_id (form), "status", "final", "answers",
                "{\"q1\": \"b\"}", "supersedes", dft_record_get_id (sub), NULL);
  g_assert_true (dft_store_save (f->store, correction, &error));
  g_assert_no_error (error);
}

static void
test_load_missing (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) none = dft_store_load (f->store, &dft_entity_event, "nope", &error);

  g_assert_null (none);
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND);
}

int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/records/person/create-logs-change", test_person_create_logs_change);
  ADD ("/records/person/update-logs-changed-fields", test_update_logs_only_changed_fields);
  ADD ("/records/properties-notify", test_properties_notify);
  ADD ("/records/validation", test_validation);
  ADD ("/records/contact-fields", test_contact_fields);
  ADD ("/records/contact-fields/kept", test_contact_fields_kept);
  ADD ("/records/immutable-fields", test_immutable_fields);
  ADD ("/records/event/generates-sessions", test_event_generates_sessions);
  ADD ("/records/attendance/one-mark", test_attendance_one_mark_per_person_session);
  ADD ("/records/attendance/set-and-clear", test_attendance_set_and_clear);
  ADD ("/records/soft-delete-and-undo", test_soft_delete_and_undo);
  ADD ("/records/save-all-atomic", test_save_all_is_atomic);
  ADD ("/records/submission", test_submission_fields);
  ADD ("/records/load-missing", test_load_missing);
  ADD ("/records/submission/final-is-immutable", test_final_submission_immutable);
  ADD ("/records/person/rename-updates-search", test_rename_updates_search);
#undef ADD

  return g_test_run ();
}
