/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "dft-report.h"
#include "dft-test-util.h"

typedef struct
{
  DftStore  *store;
  char      *dir;
  DftRecord *event;
  GPtrArray *people;
} Fixture;

static void
enrol (Fixture *f, const char *given, const char *gender, const char *agency, const char *country)
{
  g_autoptr (GError)    error = NULL;
  DftRecord            *person = dft_test_add_person (f->store, given, NULL);
  g_autoptr (DftRecord) enrollment = NULL;

  dft_record_set_string (person, "gender", gender);
  dft_record_set_string (person, "agency", agency);
  dft_record_set_string (person, "country", country);
  dft_store_save (f->store, person, &error);
  g_assert_no_error (error);
  enrollment = dft_store_enroll (f->store, dft_record_get_id (f->event), dft_record_get_id (person),
                                 "participant", &error);
  g_assert_no_error (error);
  g_ptr_array_add (f->people, person);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->store = dft_test_open_store (&f->dir);
  f->event = dft_test_add_event (f->store, "Osh", "2026-05-04", "2026-05-05");
  f->people = g_ptr_array_new_with_free_func (g_object_unref);
  enrol (f, "Айбек", "male", "Police", "KG");
  enrol (f, "Amina", "female", "Customs", "KE");
  enrol (f, "Giorgi", "male", "Police", "GE");
  enrol (f, "Nurlan", NULL, "", "KG");
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->people, g_ptr_array_unref);
  g_clear_object (&f->event);
  dft_test_release_store (f->store);
  dft_test_dir_free (f->dir);
}

static const char *
session_id (Fixture *f, guint i)
{
  g_autoptr (GListModel) sessions
      = dft_store_list_sessions (f->store, dft_record_get_id (f->event));
  g_autoptr (DftRecord) session = NULL;

  g_assert_true (dft_record_list_reload_sync (DFT_RECORD_LIST (sessions), NULL));
  session = g_list_model_get_item (sessions, i);
  return g_intern_string (dft_record_get_id (session));
}

static void
mark (Fixture *f, const char *session, guint person, const char *status)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) record = dft_store_mark_attendance (
      f->store, session, dft_record_get_id (g_ptr_array_index (f->people, person)), status, NULL,
      &error);

  g_assert_no_error (error);
}

static guint
count_of (GPtrArray *counts, const char *name)
{
  for (guint i = 0; i < counts->len; i++)
    {
      DftReportCount *count = g_ptr_array_index (counts, i);
      if (g_str_equal (count->name, name))
        return count->count;
    }
  return 0;
}

static void
test_empty (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) other = dft_test_add_event (f->store, "Empty", "2026-06-01", "2026-06-01");
  g_autoptr (DftEventReport) report
      = dft_report_event (f->store, dft_record_get_id (other), &error);

  g_assert_no_error (error);
  g_assert_cmpuint (report->n_people, ==, 0);
  g_assert_cmpuint (report->n_sessions, ==, 2);
  g_assert_true (isnan (report->attendance_rate));
  g_assert_cmpuint (report->agencies->len, ==, 0);
}

static void
test_counts (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)         error = NULL;
  g_autoptr (DftEventReport) report = NULL;
  const char                *first = session_id (f, 0);
  const char                *second = session_id (f, 1);
  DftSessionCounts          *counts;

  mark (f, first, 0, "present");
  mark (f, first, 1, "late");
  mark (f, first, 2, "excused");
  mark (f, first, 3, "absent");
  mark (f, second, 0, "present");
  /* Marked twice: the second mark replaces the first. */
  mark (f, second, 1, "absent");
  mark (f, second, 1, "present");

  report = dft_report_event (f->store, dft_record_get_id (f->event), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (report->n_people, ==, 4);
  g_assert_cmpuint (report->n_sessions, ==, 4);
  g_assert_cmpuint (report->present, ==, 3);
  g_assert_cmpuint (report->late, ==, 1);
  g_assert_cmpuint (report->excused, ==, 1);
  g_assert_cmpuint (report->absent, ==, 1);
  g_assert_cmpfloat_with_epsilon (report->attendance_rate, 4.0 / 16.0, 1e-9);

  counts = g_ptr_array_index (report->sessions, 0);
  g_assert_cmpstr (counts->session_id, ==, first);
  g_assert_cmpstr (counts->date, ==, "2026-05-04");
  g_assert_cmpstr (counts->part, ==, "am");
  g_assert_cmpuint (counts->present, ==, 1);
  g_assert_cmpuint (counts->late, ==, 1);
  g_assert_cmpuint (counts->excused, ==, 1);
  g_assert_cmpuint (counts->absent, ==, 1);
  g_assert_cmpuint (counts->unmarked, ==, 0);
  g_assert_cmpfloat_with_epsilon (dft_session_counts_rate (counts), 0.5, 1e-9);
  counts = g_ptr_array_index (report->sessions, 1);
  g_assert_cmpuint (counts->present, ==, 2);
  g_assert_cmpuint (counts->unmarked, ==, 2);
  counts = g_ptr_array_index (report->sessions, 3);
  g_assert_cmpuint (counts->unmarked, ==, 4);

  g_assert_cmpuint (count_of (report->genders, "male"), ==, 2);
  g_assert_cmpuint (count_of (report->genders, "female"), ==, 1);
  g_assert_cmpuint (count_of (report->genders, ""), ==, 1);
  g_assert_cmpstr (((DftReportCount *) report->agencies->pdata[0])->name, ==, "Police");
  g_assert_cmpuint (count_of (report->agencies, "Police"), ==, 2);
  g_assert_cmpuint (count_of (report->countries, "KG"), ==, 2);
  g_assert_cmpuint (count_of (report->countries, "GE"), ==, 1);
}

static void
test_removed (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)         error = NULL;
  g_autoptr (DftEventReport) report = NULL;
  g_autofree char           *id = dft_enrollment_id_for (
                dft_record_get_id (f->event), dft_record_get_id (g_ptr_array_index (f->people, 1)));
  g_autoptr (DftRecord) enrollment = dft_store_load (f->store, &dft_entity_enrollment, id, &error);
  const char           *first = session_id (f, 0);

  mark (f, first, 1, "present");
  mark (f, first, 0, "present");
  g_assert_true (dft_store_delete (f->store, enrollment, &error));

  /* Someone removed from the workshop counts nowhere, their marks neither. */
  report = dft_report_event (f->store, dft_record_get_id (f->event), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (report->n_people, ==, 3);
  g_assert_cmpuint (report->present, ==, 1);
  g_assert_cmpuint (count_of (report->countries, "KE"), ==, 0);
}

static void
report_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftEventReport   **out = user_data;
  g_autoptr (GError) error = NULL;

  *out = dft_report_event_finish (result, &error);
  g_assert_no_error (error);
}

static void
test_async (Fixture *f, gconstpointer data)
{
  DftEventReport *report = NULL;

  dft_report_event_async (f->store, dft_record_get_id (f->event), NULL, report_done_cb, &report);
  while (report == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (report->n_people, ==, 4);
  dft_event_report_free (report);
}

int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);
  g_test_add ("/report/empty", Fixture, NULL, fixture_set_up, test_empty, fixture_tear_down);
  g_test_add ("/report/counts", Fixture, NULL, fixture_set_up, test_counts, fixture_tear_down);
  g_test_add ("/report/removed", Fixture, NULL, fixture_set_up, test_removed, fixture_tear_down);
  g_test_add ("/report/async", Fixture, NULL, fixture_set_up, test_async, fixture_tear_down);
  return g_test_run ();
}
