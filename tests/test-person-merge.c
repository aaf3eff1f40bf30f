/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "dft-store-conflicts.h"
#include "dft-store-merges.h"
#include "dft-store-private.h"
#include "dft-test-util.h"

/*
 * One person once (dft-store-merges.h): a coordinator merges two records of one person on one
 * laptop, and every replica that syncs through the hub counts the two as one, a mark made
 * offline on the old id included; an undone merge gives both people back; "not the same
 * person" is remembered. Two coordinators who merge crosswise end with one person everywhere.
 */

typedef struct
{
  char     *dir;
  DftStore *hub;
  DftStore *a;
  DftStore *b;
  char     *event;
  char     *day1; /* sessions of the event */
  char     *day2;
  char     *keep;  /* "Aibek Sadykov" */
  char     *other; /* "Айбек Садыков", the same man */
} Fixture;

static void
sync_with_hub (Fixture *f, DftStore *device)
{
  dft_test_send_changes (device, f->hub);
  dft_test_send_changes (f->hub, device);
}

static void
assert_all_converge (Fixture *f)
{
  g_autoptr (DftStore) fresh = dft_test_open_replica (f->dir, "fresh.db");
  g_autofree char     *hub = NULL;
  g_autofree char     *a = NULL;
  g_autofree char     *b = NULL;
  g_autofree char     *c = NULL;

  for (guint round = 0; round < 3; round++)
    {
      sync_with_hub (f, f->a);
      sync_with_hub (f, f->b);
    }
  dft_test_send_changes (f->hub, fresh);
  hub = dft_test_dump_records (f->hub);
  a = dft_test_dump_records (f->a);
  b = dft_test_dump_records (f->b);
  c = dft_test_dump_records (fresh);
  g_assert_cmpstr (a, ==, hub);
  g_assert_cmpstr (b, ==, hub);
  g_assert_cmpstr (c, ==, hub);
  dft_test_release_store (g_steal_pointer (&fresh));
}

static void
mark (DftStore *store, const char *session, const char *person, const char *status)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) record
      = dft_store_mark_attendance (store, session, person, status, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (record);
}

static void
enroll (DftStore *store, const char *event, const char *person)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) record = dft_store_enroll (store, event, person, NULL, &error);

  g_assert_no_error (error);
}

static void
set_field (DftStore *store, const char *id, const char *field, const char *value)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) person = dft_store_load (store, &dft_entity_person, id, &error);

  g_assert_no_error (error);
  dft_record_set_string (person, field, value);
  g_assert_true (dft_store_save (store, person, &error));
  g_assert_no_error (error);
}

static char *
get_field (DftStore *store, const char *id, const char *field)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) person = dft_store_load (store, &dft_entity_person, id, &error);

  g_assert_no_error (error);
  return g_strdup (dft_record_get_string (person, field));
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The statuses the register shows for @session, one per person listed. */
static char *
shown_marks (DftStore *store, const char *session)
{
  g_autoptr (GError)    error = NULL;
  const char           *filters[] = { "session_id", session, NULL };
  g_autoptr (GPtrArray) marks
      = dft_store_list_records (store, &dft_entity_attendance, filters, NULL, 0, &error);
  g_autoptr (GString)   out = g_string_new (NULL);
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);

  g_assert_no_error (error);
  for (guint i = 0; i < marks->len; i++)
    {
      DftRecord *m = g_ptr_array_index (marks, i);
      g_ptr_array_add (lines, g_strdup_printf ("%s=%s", dft_record_get_string (m, "person_id"),
                                               dft_record_get_string (m, "status")));
    }
  g_ptr_array_sort (lines, compare_strings);
  for (guint i = 0; i < lines->len; i++)
    g_string_append_printf (out, "%s%s", i > 0 ? " " : "", (char *) g_ptr_array_index (lines, i));
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static guint
count_people (DftStore *store, const char *event)
{
  return dft_test_count_listed (dft_store_list_people (store, event));
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (DftRecord) event = NULL;
  g_autoptr (DftRecord) keep = NULL;
  g_autoptr (DftRecord) other = NULL;
  g_autoptr (GPtrArray) sessions = NULL;
  g_autoptr (GError)    error = NULL;

  f->dir = dft_test_make_dir ();
  f->hub = dft_test_open_replica (f->dir, "hub.db");
  f->a = dft_test_open_replica (f->dir, "a.db");
  f->b = dft_test_open_replica (f->dir, "b.db");

  event = dft_test_add_event (f->a, "Border control, Osh", "2026-05-04", "2026-05-05");
  f->event = g_strdup (dft_record_get_id (event));
  sessions = dft_store_list_records (f->a, &dft_entity_session,
                                     (const char *[]){ "event_id", f->event, NULL },
                                     (const char *[]){ "date", "part", NULL }, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sessions->len, >=, 2);
  f->day1 = g_strdup (dft_record_get_id (g_ptr_array_index (sessions, 0)));
  f->day2 = g_strdup (dft_record_get_id (g_ptr_array_index (sessions, sessions->len - 1)));

  keep = dft_test_add_person (f->a, "Aibek", "Sadykov");
  other = dft_test_add_person (f->a, "Айбек", "Садыков");
  f->keep = g_strdup (dft_record_get_id (keep));
  f->other = g_strdup (dft_record_get_id (other));
  set_field (f->a, f->other, "phone", "+996 555 123 456");
  enroll (f->a, f->event, f->keep);
  enroll (f->a, f->event, f->other);
  /* One trainer ticked him on the first day under one name, the other on the second. */
  mark (f->a, f->day1, f->keep, "present");
  mark (f->a, f->day1, f->other, "absent");
  mark (f->a, f->day2, f->other, "present");
  assert_all_converge (f);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  dft_test_release_store (f->a);
  dft_test_release_store (f->b);
  dft_test_release_store (f->hub);
  dft_test_dir_free (f->dir);
  g_free (f->event);
  g_free (f->day1);
  g_free (f->day2);
  g_free (f->keep);
  g_free (f->other);
}

static char *
merge (DftStore *store, const char *keep, const char *other, const char *const *take)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) record = dft_store_merge_people (store, keep, other, take, &error);

  g_assert_no_error (error);
  g_assert_nonnull (record);
  return g_strdup (dft_record_get_id (record));
}

static void
test_moves_records (Fixture *f, gconstpointer data)
{
  g_autofree char      *id = NULL;
  g_autofree char      *phone = NULL;
  g_autofree char      *marks1 = NULL;
  g_autofree char      *marks2 = NULL;
  g_autofree char      *expected1 = g_strdup_printf ("%s=present", f->keep);
  g_autofree char      *expected2 = g_strdup_printf ("%s=present", f->keep);
  g_autoptr (GPtrArray) merges = NULL;
  g_autoptr (GError)    error = NULL;
  DftMergeView         *view;

  g_assert_cmpuint (count_people (f->a, f->event), ==, 2);
  id = merge (f->a, f->keep, f->other, (const char *const[]){ "phone", NULL });

  /* One person, in the workshop and in the register. */
  g_assert_cmpuint (count_people (f->a, f->event), ==, 1);
  g_assert_cmpuint (count_people (f->a, NULL), ==, 1);
  g_assert_cmpint (dft_store_count_records (f->a, &dft_entity_person, NULL), ==, 1);
  g_assert_cmpuint (dft_test_count_listed (dft_store_list_enrollments (f->a, f->event)), ==, 1);
  /* Present wins over absent on the first day; the second day's mark is his. */
  marks1 = shown_marks (f->a, f->day1);
  marks2 = shown_marks (f->a, f->day2);
  g_assert_cmpstr (marks1, ==, expected1);
  g_assert_cmpstr (marks2, ==, expected2);
  phone = get_field (f->a, f->keep, "phone");
  g_assert_cmpstr (phone, ==, "+996555123456");

  /* The audit trail: which records now count for the survivor. */
  merges = dft_store_list_merges (f->a, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (merges->len, ==, 1);
  view = g_ptr_array_index (merges, 0);
  g_assert_cmpstr (view->id, ==, id);
  g_assert_cmpstr (view->kept_name, ==, "Aibek Sadykov");
  g_assert_cmpstr (view->merged_name, ==, "Айбек Садыков");
  g_assert_cmpstr (view->merged_on, ==, dft_store_get_device_id (f->a));
  g_assert_nonnull (view->merged_at);
  g_assert_cmpuint (g_strv_length (view->moved), ==, 3);
  g_assert_false (view->undone);

  /* Every replica, and one made afterwards, agrees. */
  assert_all_converge (f);
  g_assert_cmpuint (count_people (f->b, f->event), ==, 1);
  {
    g_autofree char *b1 = shown_marks (f->b, f->day1);
    g_assert_cmpstr (b1, ==, expected1);
  }
}

/* A trainer offline marks the merged-away id: it counts for the survivor everywhere. */
static void
test_late_mark (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_autofree char *marks = NULL;
  g_autofree char *expected = g_strdup_printf ("%s=late", f->keep);

  mark (f->b, f->day2, f->other, "late"); /* b has not heard of the merge */
  mark (f->b, f->day1, f->other, "late");
  id = merge (f->a, f->keep, f->other, NULL);
  sync_with_hub (f, f->a);
  sync_with_hub (f, f->b);
  sync_with_hub (f, f->a);

  /* Day 1: the survivor's own "present" outranks the other's "late". */
  marks = shown_marks (f->a, f->day1);
  {
    g_autofree char *present = g_strdup_printf ("%s=present", f->keep);
    g_assert_cmpstr (marks, ==, present);
  }
  g_clear_pointer (&marks, g_free);
  marks = shown_marks (f->b, f->day2);
  g_assert_cmpstr (marks, ==, expected);
  g_clear_pointer (&marks, g_free);
  marks = shown_marks (f->a, f->day2);
  g_assert_cmpstr (marks, ==, expected);
  assert_all_converge (f);
}

/* A correction of the survivor's mark holds over the merged marks. */
static void
test_correction (Fixture *f, gconstpointer data)
{
  g_autofree char   *id = merge (f->a, f->keep, f->other, NULL);
  g_autofree char   *marks = NULL;
  g_autofree char   *expected = g_strdup_printf ("%s=absent", f->keep);
  g_autoptr (GError) error = NULL;

  mark (f->a, f->day2, f->keep, "absent");
  marks = shown_marks (f->a, f->day2);
  g_assert_cmpstr (marks, ==, expected);
  /* Cleared: no mark at all, not the other's. */
  g_assert_true (dft_store_set_attendance (f->a, f->day2, (const char *const[]){ f->keep },
                                           (const char *const[]){ NULL }, 1, &error));
  g_assert_no_error (error);
  g_clear_pointer (&marks, g_free);
  marks = shown_marks (f->a, f->day2);
  g_assert_cmpstr (marks, ==, "");
  assert_all_converge (f);
}

static void
test_crosswise (Fixture *f, gconstpointer data)
{
  g_autofree char *one = NULL;
  g_autofree char *two = NULL;
  g_autofree char *survivor_a = NULL;
  g_autofree char *survivor_b = NULL;

  /* Both coordinators hold everything, and merge on their own laptops at once. */
  one = merge (f->a, f->keep, f->other, NULL);
  two = merge (f->b, f->other, f->keep, (const char *const[]){ "phone", NULL });
  assert_all_converge (f);

  survivor_a = dft_store_survivor_of (f->a, f->keep);
  survivor_b = dft_store_survivor_of (f->b, f->other);
  g_assert_cmpstr (survivor_a, ==, survivor_b);
  g_assert_cmpuint (count_people (f->a, NULL), ==, 1);
  g_assert_cmpuint (count_people (f->b, NULL), ==, 1);
  g_assert_cmpuint (count_people (f->hub, f->event), ==, 1);

  /* Undoing the merge that counted leaves the other one standing. */
  {
    g_autoptr (GError) error = NULL;
    const char        *first = strcmp (one, two) < 0 ? one : two;

    g_assert_true (dft_store_unmerge (f->a, first, &error));
    g_assert_no_error (error);
    assert_all_converge (f);
    g_assert_cmpuint (count_people (f->a, NULL), ==, 1);
  }
}

static void
test_unmerge (Fixture *f, gconstpointer data)
{
  g_autofree char   *before = dft_test_dump_records (f->a);
  g_autofree char   *id = merge (f->a, f->keep, f->other, (const char *const[]){ "phone", NULL });
  g_autofree char   *phone = NULL;
  g_autofree char   *marks = NULL;
  g_autofree char   *expected = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) merges = NULL;

  assert_all_converge (f);
  g_assert_true (dft_store_unmerge (f->b, id, &error));
  g_assert_no_error (error);
  assert_all_converge (f);

  g_assert_cmpuint (count_people (f->a, f->event), ==, 2);
  phone = get_field (f->a, f->keep, "phone");
  g_assert_null (phone);
  marks = shown_marks (f->a, f->day1);
  expected = strcmp (f->keep, f->other) < 0
                 ? g_strdup_printf ("%s=present %s=absent", f->keep, f->other)
                 : g_strdup_printf ("%s=absent %s=present", f->other, f->keep);
  g_assert_cmpstr (marks, ==, expected);

  /* Undone is in the trail, with who undid it. */
  merges = dft_store_list_merges (f->a, &error);
  g_assert_no_error (error);
  g_assert_true (((DftMergeView *) g_ptr_array_index (merges, 0))->undone);
  g_assert_cmpstr (((DftMergeView *) g_ptr_array_index (merges, 0))->undone_on, ==,
                   dft_store_get_device_id (f->b));

  /* Twice: refused, nothing changed. */
  g_free (before);
  before = dft_test_dump_records (f->a);
  g_assert_false (dft_store_unmerge (f->a, id, &error));
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID);
  {
    g_autofree char *after = dft_test_dump_records (f->a);
    g_assert_cmpstr (after, ==, before);
  }
}

static void
assert_refused (DftStore *store, const char *keep, const char *other, int code)
{
  g_autofree char      *before = dft_test_dump_records (store);
  g_autofree char      *after = NULL;
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) record = dft_store_merge_people (store, keep, other, NULL, &error);

  g_assert_null (record);
  g_assert_error (error, DFT_STORE_ERROR, code);
  g_test_message ("refused: %s", error->message);
  after = dft_test_dump_records (store);
  g_assert_cmpstr (after, ==, before);
}

static void
test_refused (Fixture *f, gconstpointer data)
{
  g_autoptr (DftRecord) third = dft_test_add_person (f->a, "Aibek", "Abdykadyrov");
  g_autoptr (DftRecord) gone = dft_test_add_person (f->a, "Nurlan", "Beishenov");
  g_autoptr (DftRecord) twin = dft_test_add_person (f->a, "Aibek", "Sadykov");
  g_autoptr (GError)    error = NULL;
  g_autofree char      *id = NULL;

  assert_refused (f->a, f->keep, f->keep, DFT_STORE_ERROR_INVALID);
  assert_refused (f->a, f->keep, "0190a4d2-0000-7000-8000-000000000000", DFT_STORE_ERROR_NOT_FOUND);
  dft_test_delete (f->a, &dft_entity_person, dft_record_get_id (gone));
  assert_refused (f->a, f->keep, dft_record_get_id (gone), DFT_STORE_ERROR_INVALID);

  /* Both at the first session: two people. */
  mark (f->a, f->day1, dft_record_get_id (third), "present");
  assert_refused (f->a, f->keep, dft_record_get_id (third), DFT_STORE_ERROR_INVALID);

  /* Said to be different people. */
  g_assert_true (dft_store_mark_distinct (f->a, dft_record_get_id (twin), f->keep, &error));
  g_assert_no_error (error);
  g_assert_true (dft_store_mark_distinct (f->a, f->keep, dft_record_get_id (twin), &error));
  g_assert_true (dft_store_is_distinct (f->a, f->keep, dft_record_get_id (twin)));
  assert_refused (f->a, dft_record_get_id (twin), f->keep, DFT_STORE_ERROR_INVALID);

  /* Twice, and into the one merged away. */
  id = merge (f->a, f->keep, f->other, NULL);
  assert_refused (f->a, f->keep, f->other, DFT_STORE_ERROR_INVALID);
  assert_refused (f->a, f->other, f->keep, DFT_STORE_ERROR_INVALID);
  g_assert_false (dft_store_unmerge (f->a, "0190a4d2-0000-7000-8000-000000000000", &error));
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* The distinct pair reaches the other laptop. */
  assert_all_converge (f);
  g_assert_true (dft_store_is_distinct (f->b, f->keep, dft_record_get_id (twin)));

  /* A laptop signed in with a trainer's account decides nothing. */
  g_assert_true (dft_store_set_sync_state (f->b, "role", "trainer", &error));
  g_assert_true (dft_store_unmerge (f->b, id, &error) == FALSE);
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_ALLOWED);
  g_clear_error (&error);
  g_assert_false (dft_store_mark_distinct (f->b, f->keep, dft_record_get_id (third), &error));
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_ALLOWED);
  g_clear_error (&error);
  {
    g_autoptr (DftRecord) fresh = dft_test_add_person (f->b, "Aibek", "Sadykov");
    assert_refused (f->b, f->keep, dft_record_get_id (fresh), DFT_STORE_ERROR_NOT_ALLOWED);
  }
}

/* A merge in a chain: C into B, then B into A: C's marks count for A. */
static void
test_chain (Fixture *f, gconstpointer data)
{
  g_autoptr (DftRecord) third = dft_test_add_person (f->a, "Aybek", "Sadikov");
  g_autofree char      *one = NULL;
  g_autofree char      *two = NULL;
  g_autofree char      *survivor = NULL;
  g_autoptr (GError)    error = NULL;

  mark (f->a, f->day2, dft_record_get_id (third), "absent");
  one = merge (f->a, f->other, dft_record_get_id (third), NULL);
  two = merge (f->b == NULL ? f->a : f->a, f->keep, f->other, NULL);
  survivor = dft_store_survivor_of (f->a, dft_record_get_id (third));
  g_assert_cmpstr (survivor, ==, f->keep);
  g_assert_cmpuint (count_people (f->a, NULL), ==, 1);
  assert_all_converge (f);

  /* Undoing the first leaves the third person on their own again. */
  g_assert_true (dft_store_unmerge (f->b, one, &error));
  g_assert_no_error (error);
  assert_all_converge (f);
  g_clear_pointer (&survivor, g_free);
  survivor = dft_store_survivor_of (f->a, dft_record_get_id (third));
  g_assert_cmpstr (survivor, ==, dft_record_get_id (third));
  g_assert_cmpuint (count_people (f->a, NULL), ==, 2);
}

/* Two trainers changed the other record's agency offline; after the merge the conflict is
 * decided on the person kept, and the other value lands there. */
static void
test_conflict_follows (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) conflicts = NULL;
  g_autofree char      *id = NULL;
  g_autofree char      *agency = NULL;
  DftConflictView      *view;

  set_field (f->a, f->other, "agency", "Border Service");
  dft_test_wait_next_millisecond ();
  set_field (f->b, f->other, "agency", "Customs");
  assert_all_converge (f);
  id = merge (f->a, f->keep, f->other, NULL);

  conflicts = dft_store_list_open_conflicts (f->a, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (conflicts->len, ==, 1);
  view = g_ptr_array_index (conflicts, 0);
  g_assert_cmpstr (view->record_id, ==, f->keep);
  g_assert_cmpstr (view->record_title, ==, "Aibek Sadykov");
  g_assert_true (
      dft_store_resolve_conflict (f->a, view->id, DFT_CONFLICT_KEEP_OTHER, NULL, &error));
  g_assert_no_error (error);
  agency = get_field (f->a, f->keep, "agency");
  g_assert_cmpstr (agency, ==, "Border Service");
  assert_all_converge (f);
  g_assert_cmpint (dft_store_count_open_conflicts (f->b, &error), ==, 0);
}

int
main (int argc, char **argv)
{
  dft_test_init (&argc, &argv);

#define ADD(path, func)                                                                            \
  g_test_add ("/person-merge/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("moves-records", test_moves_records);
  ADD ("late-mark", test_late_mark);
  ADD ("correction", test_correction);
  ADD ("crosswise", test_crosswise);
  ADD ("unmerge", test_unmerge);
  ADD ("refused", test_refused);
  ADD ("chain", test_chain);
  ADD ("conflict-follows", test_conflict_follows);
#undef ADD
  return g_test_run ();
}
