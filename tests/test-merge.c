/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "dft-change-log.h"
#include "dft-store-conflicts.h"
#include "dft-uuid.h"
#include "dft-store-private.h"
#include "dft-test-util.h"

/*
 * The paths around the merge, on stores that sync through a hub store with
 * the merge the server uses: a save of a record read before a sync, a delete
 * against an edit, two devices that finalize one submission, and what every
 * replica must hold the same (created_at, the count of conflicts kept). Each
 * case runs in both orders of arrival and ends with a fresh replica that
 * receives everything and holds what the others hold.
 */

typedef struct
{
  char     *dir;
  DftStore *hub;
  DftStore *a;
  DftStore *b;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->dir = dft_test_make_dir ();
  f->hub = dft_test_open_replica (f->dir, "hub.db");
  f->a = dft_test_open_replica (f->dir, "a.db");
  f->b = dft_test_open_replica (f->dir, "b.db");
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  dft_test_release_store (f->a);
  dft_test_release_store (f->b);
  dft_test_release_store (f->hub);
  dft_test_dir_free (f->dir);
}

/* Everything @from holds that @to has not, as a push or a pull would carry it. */
static DftApplyStats
send (DftStore *from, DftStore *to)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) log
      = dft_store_read_log (from, 0, 0, NULL, dft_store_get_device_id (to), &error);
  DftApplyStats stats = { 0 };

  g_assert_no_error (error);
  if (log->len > 0)
    g_assert_true (dft_store_apply_changes (to, log, &stats, &error));
  g_assert_no_error (error);
  return stats;
}

static void
sync_with_hub (Fixture *f, DftStore *device)
{
  send (device, f->hub);
  send (f->hub, device);
}

/* A and B sync until nothing moves (conflicts found on the way are changes too), then a
 * fresh device receives everything: all four hold the same. */
static void
assert_all_converge (Fixture *f)
{
  g_autoptr (DftStore) fresh = dft_test_open_replica (f->dir, "fresh.db");
  g_autofree char     *hub = NULL;

  for (guint round = 0; round < 3; round++)
    {
      sync_with_hub (f, f->a);
      sync_with_hub (f, f->b);
    }
  send (f->hub, fresh);
  hub = dft_test_dump_records (f->hub);
  {
    g_autofree char *a = dft_test_dump_records (f->a);
    g_autofree char *b = dft_test_dump_records (f->b);
    g_autofree char *c = dft_test_dump_records (fresh);

    g_assert_cmpstr (a, ==, hub);
    g_assert_cmpstr (b, ==, hub);
    g_assert_cmpstr (c, ==, hub);
  }
  g_clear_object (&fresh);
}

static DftRecord *
load (DftStore *store, const DftEntity *entity, const char *id)
{
  g_autoptr (GError) error = NULL;
  DftRecord         *record = dft_store_load (store, entity, id, &error);

  g_assert_no_error (error);
  return record;
}

static void
save (DftStore *store, DftRecord *record)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (dft_store_save (store, record, &error));
  g_assert_no_error (error);
}

static void
set_and_save (DftStore *store, const char *id, const char *field, const char *value)
{
  g_autoptr (DftRecord) person = load (store, &dft_entity_person, id);

  dft_record_set_string (person, field, value);
  save (store, person);
}

/* A person made on A, known to everyone. */
static char *
shared_person (Fixture *f)
{
  g_autoptr (DftRecord) person = dft_test_add_person (f->a, "Айгүл", "Токтогулова");

  dft_record_set_string (person, "agency", "Police");
  save (f->a, person);
  sync_with_hub (f, f->a);
  sync_with_hub (f, f->b);
  return g_strdup (dft_record_get_id (person));
}

/* ---- A save of a record read before a sync ---- */

/*
 * A reads a person; a sync brings B's new phone; A's user then types another
 * phone into what was read and saves. A's value is the newest and wins, B's
 * is kept as a conflict on every replica: never overwritten as if seen.
 */
static void
test_stale_save_same_field (Fixture *f, gconstpointer data)
{
  g_autofree char      *id = shared_person (f);
  g_autoptr (DftRecord) read_before = load (f->a, &dft_entity_person, id);

  set_and_save (f->b, id, "phone", "+996555100200");
  sync_with_hub (f, f->b);
  sync_with_hub (f, f->a);

  dft_test_wait_next_millisecond ();
  dft_record_set_string (read_before, "phone", "+996700000001");
  save (f->a, read_before);
  /* The loss is known where it happened, before any sync. */
  dft_test_assert_lost_value (f->a, id, "phone", "\"+996555100200\"");

  assert_all_converge (f);
  {
    g_autoptr (DftRecord) person = load (f->b, &dft_entity_person, id);
    g_assert_cmpstr (dft_record_get_string (person, "phone"), ==, "+996700000001");
  }
  dft_test_assert_lost_value (f->hub, id, "phone", "\"+996555100200\"");
  dft_test_assert_lost_value (f->b, id, "phone", "\"+996555100200\"");
}

/*
 * What a save does not change stays as the sync left it: the phone and email
 * B added while A's copy was open survive A's save of the agency, and a second
 * save of the same copy is a sequential edit of A's own value, not a conflict.
 */
static void
test_stale_save_other_fields (Fixture *f, gconstpointer data)
{
  g_autofree char      *id = shared_person (f);
  g_autoptr (DftRecord) read_before = load (f->a, &dft_entity_person, id);
  g_autoptr (DftRecord) person = NULL;
  g_autoptr (GPtrArray) conflicts = NULL;
  g_autoptr (GError)    error = NULL;

  set_and_save (f->b, id, "phone", "+996555100200");
  set_and_save (f->b, id, "email", "aigul@example.org");
  sync_with_hub (f, f->b);
  sync_with_hub (f, f->a);

  dft_record_set_string (read_before, "agency", "Customs");
  save (f->a, read_before);
  dft_record_set_string (read_before, "agency", "Judiciary");
  save (f->a, read_before);

  assert_all_converge (f);
  person = load (f->hub, &dft_entity_person, id);
  g_assert_cmpstr (dft_record_get_string (person, "phone"), ==, "+996555100200");
  g_assert_cmpstr (dft_record_get_string (person, "email"), ==, "aigul@example.org");
  g_assert_cmpstr (dft_record_get_string (person, "agency"), ==, "Judiciary");
  conflicts = _dft_store_query (f->hub, &dft_entity_conflict, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (conflicts->len, ==, 0);
}

/* ---- A delete against an edit ---- */

typedef enum
{
  EDIT_AFTER_DELETE,
  DELETE_AFTER_EDIT,
} Order;

/*
 * A deletes a person while B, offline, edits them; @data says which came
 * later by the clock and @order_data which device syncs first. The later
 * write wins on every replica, and the earlier one is kept as a conflict
 * about "deleted": a delete never hides an edit without a trace, and an edit
 * after a delete revives the person with their enrollment and marks.
 */
static void
run_delete_against_edit (Fixture *f, Order order, gboolean b_syncs_first)
{
  g_autofree char      *id = shared_person (f);
  g_autoptr (DftRecord) event = dft_test_add_event (f->a, "Delete", "2026-05-04", "2026-05-04");
  g_autofree char      *session = NULL;
  g_autoptr (DftRecord) enrollment = NULL;
  g_autoptr (DftRecord) mark = NULL;
  g_autoptr (DftRecord) person = NULL;
  g_autoptr (GError)    error = NULL;
  gboolean              alive = order == EDIT_AFTER_DELETE;
  DftStore             *first = b_syncs_first ? f->b : f->a;
  DftStore             *second = b_syncs_first ? f->a : f->b;

  session = dft_session_id_for (dft_record_get_id (event), "2026-05-04", "am");
  enrollment = dft_store_enroll (f->a, dft_record_get_id (event), id, "participant", &error);
  g_assert_no_error (error);
  mark = dft_store_mark_attendance (f->a, session, id, "present", NULL, &error);
  g_assert_no_error (error);
  sync_with_hub (f, f->a);
  sync_with_hub (f, f->b);

  if (order == EDIT_AFTER_DELETE)
    {
      dft_test_delete (f->a, &dft_entity_person, id);
      dft_test_wait_next_millisecond ();
      set_and_save (f->b, id, "agency", "Customs");
    }
  else
    {
      set_and_save (f->b, id, "agency", "Customs");
      dft_test_wait_next_millisecond ();
      dft_test_delete (f->a, &dft_entity_person, id);
    }
  sync_with_hub (f, first);
  sync_with_hub (f, second);
  assert_all_converge (f);

  person = load (f->hub, &dft_entity_person, id);
  g_assert_cmpint (dft_record_get_deleted (person), ==, !alive);
  /* The edit is there either way: standing, or in the row of a person kept deleted. */
  g_assert_cmpstr (dft_record_get_string (person, "agency"), ==, "Customs");
  dft_test_assert_lost_value (f->hub, id, "deleted", alive ? "true" : "false");

  /* Their enrollment and marks follow them, on every device. */
  for (guint i = 0; i < 2; i++)
    {
      DftStore *store = i == 0 ? f->a : f->b;

      g_assert_cmpuint (
          dft_test_count_listed (dft_store_list_people (store, dft_record_get_id (event))), ==,
          alive ? 1 : 0);
      g_assert_cmpuint (
          dft_test_count_listed (dft_store_list_enrollments (store, dft_record_get_id (event))), ==,
          alive ? 1 : 0);
      g_assert_cmpuint (dft_test_count_listed (dft_store_list_attendance (store, session)), ==,
                        alive ? 1 : 0);
    }
}

static void
test_edit_after_delete (Fixture *f, gconstpointer data)
{
  run_delete_against_edit (f, EDIT_AFTER_DELETE, GPOINTER_TO_INT (data));
}

static void
test_delete_after_edit (Fixture *f, gconstpointer data)
{
  run_delete_against_edit (f, DELETE_AFTER_EDIT, GPOINTER_TO_INT (data));
}

/*
 * A removes an attendance mark; B, offline, marks the person late afterwards.
 * The mark is "late" everywhere, and the export shows it.
 */
static void
test_remark_after_delete (Fixture *f, gconstpointer data)
{
  g_autofree char      *id = shared_person (f);
  g_autoptr (DftRecord) event = dft_test_add_event (f->a, "Marks", "2026-05-04", "2026-05-04");
  g_autofree char *session = dft_session_id_for (dft_record_get_id (event), "2026-05-04", "am");
  g_autofree char *mark_id = dft_attendance_id_for (session, id);
  g_autoptr (DftRecord) mark = NULL;
  g_autoptr (DftRecord) enrollment = NULL;
  g_autoptr (GError)    error = NULL;
  gboolean              b_syncs_first = GPOINTER_TO_INT (data);

  enrollment = dft_store_enroll (f->a, dft_record_get_id (event), id, "participant", &error);
  g_assert_no_error (error);
  mark = dft_store_mark_attendance (f->a, session, id, "present", NULL, &error);
  g_assert_no_error (error);
  sync_with_hub (f, f->a);
  sync_with_hub (f, f->b);

  g_assert_true (dft_store_delete (f->a, mark, &error));
  g_assert_no_error (error);
  dft_test_wait_next_millisecond ();
  g_clear_object (&mark);
  mark = dft_store_mark_attendance (f->b, session, id, "late", NULL, &error);
  g_assert_no_error (error);

  sync_with_hub (f, b_syncs_first ? f->b : f->a);
  sync_with_hub (f, b_syncs_first ? f->a : f->b);
  assert_all_converge (f);

  g_clear_object (&mark);
  mark = load (f->a, &dft_entity_attendance, mark_id);
  g_assert_false (dft_record_get_deleted (mark));
  g_assert_cmpstr (dft_record_get_string (mark, "status"), ==, "late");
  dft_test_assert_lost_value (f->hub, mark_id, "deleted", "true");
}

/* ---- Two devices finalize one submission ---- */

static char *
shared_draft (Fixture *f)
{
  g_autofree char *id = dft_test_add_draft (f->a, NULL, NULL);

  sync_with_hub (f, f->a);
  sync_with_hub (f, f->b);
  return g_steal_pointer (&id);
}

/*
 * A and B finalize the same draft with different answers, B later. Whichever
 * syncs first, every replica keeps B's final and A's answers as a conflict;
 * nobody keeps their own for ever.
 */
static void
test_double_final (Fixture *f, gconstpointer data)
{
  g_autofree char      *id = shared_draft (f);
  g_autoptr (DftRecord) held = NULL;
  gboolean              b_syncs_first = GPOINTER_TO_INT (data);

  dft_test_finalize (f->a, id, "{\"q1\":2}");
  dft_test_wait_next_millisecond ();
  dft_test_finalize (f->b, id, "{\"q1\":3}");
  sync_with_hub (f, b_syncs_first ? f->b : f->a);
  sync_with_hub (f, b_syncs_first ? f->a : f->b);
  assert_all_converge (f);

  held = load (f->a, &dft_entity_submission, id);
  g_assert_cmpstr (dft_record_get_string (held, "status"), ==, "final");
  g_assert_cmpstr (dft_record_get_string (held, "answers"), ==, "{\"q1\":3}");
  dft_test_assert_lost_value (f->hub, id, "answers", "\"{\\\"q1\\\":2}\"");
}

/*
 * A finalizes; B, offline, edits the draft later by the clock. The final
 * stands everywhere, whatever the clocks say, and B's edit is a conflict.
 */
static void
test_final_against_later_draft (Fixture *f, gconstpointer data)
{
  g_autofree char      *id = shared_draft (f);
  g_autoptr (DftRecord) held = NULL;
  g_autoptr (DftRecord) draft = NULL;
  gboolean              b_syncs_first = GPOINTER_TO_INT (data);

  dft_test_finalize (f->a, id, "{\"q1\":2}");
  dft_test_wait_next_millisecond ();
  draft = load (f->b, &dft_entity_submission, id);
  dft_record_set_string (draft, "answers", "{\"q1\":5}");
  save (f->b, draft);
  sync_with_hub (f, b_syncs_first ? f->b : f->a);
  sync_with_hub (f, b_syncs_first ? f->a : f->b);
  assert_all_converge (f);

  held = load (f->b, &dft_entity_submission, id);
  g_assert_cmpstr (dft_record_get_string (held, "status"), ==, "final");
  g_assert_cmpstr (dft_record_get_string (held, "answers"), ==, "{\"q1\":2}");
  dft_test_assert_lost_value (f->hub, id, "answers", "\"{\\\"q1\\\":5}\"");
}

/* ---- What every replica must hold the same ---- */

/* A record's created_at is the one it was made with, on every replica (it is exported). */
static void
test_created_at_replicated (Fixture *f, gconstpointer data)
{
  g_autoptr (DftRecord) person = dft_test_add_person (f->a, "Нурлан", "Осмонов");
  g_autoptr (DftRecord) on_b = NULL;

  sync_with_hub (f, f->a);
  dft_test_wait_next_millisecond ();
  assert_all_converge (f);
  on_b = load (f->b, &dft_entity_person, dft_record_get_id (person));
  g_assert_cmpstr (dft_record_get_created_at (on_b), ==, dft_record_get_created_at (person));
}

/*
 * Two devices each make the same derived record (one mark for a person in a
 * session): it was made when the first of them made it, on both.
 */
static void
test_created_at_earliest (Fixture *f, gconstpointer data)
{
  g_autoptr (DftRecord) person = dft_test_add_person (f->a, "Нурлан", "Осмонов");
  g_autoptr (DftRecord) event = dft_test_add_event (f->a, "Made", "2026-05-04", "2026-05-04");
  g_autofree char *session = dft_session_id_for (dft_record_get_id (event), "2026-05-04", "am");
  g_autoptr (DftRecord) first = NULL;
  g_autoptr (DftRecord) later = NULL;
  g_autoptr (DftRecord) held = NULL;
  g_autoptr (GError)    error = NULL;
  gboolean              b_syncs_first = GPOINTER_TO_INT (data);

  sync_with_hub (f, f->a);
  sync_with_hub (f, f->b);
  first = dft_store_mark_attendance (f->a, session, dft_record_get_id (person), "present", NULL,
                                     &error);
  g_assert_no_error (error);
  dft_test_wait_next_millisecond ();
  later = dft_store_mark_attendance (f->b, session, dft_record_get_id (person), "present", NULL,
                                     &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dft_record_get_created_at (first), <, dft_record_get_created_at (later));
  sync_with_hub (f, b_syncs_first ? f->b : f->a);
  sync_with_hub (f, b_syncs_first ? f->a : f->b);
  assert_all_converge (f);

  held = load (f->b, &dft_entity_attendance, dft_record_get_id (first));
  g_assert_cmpstr (dft_record_get_created_at (held), ==, dft_record_get_created_at (first));
}

/*
 * The device whose value lost hears of the conflict from the hub (the hub
 * found it first): receiving it counts as a conflict kept here too.
 */
static void
test_received_conflicts_counted (Fixture *f, gconstpointer data)
{
  g_autofree char *id = shared_person (f);
  DftApplyStats    stats;

  set_and_save (f->a, id, "agency", "Customs");
  dft_test_wait_next_millisecond ();
  set_and_save (f->b, id, "agency", "Judiciary");
  /* The hub gets B's first, then A's older value, which loses there. */
  send (f->b, f->hub);
  stats = send (f->a, f->hub);
  g_assert_cmpuint (stats.conflicts, ==, 1);
  /* A's pull brings B's value, which wins here too, and the hub's conflict record. */
  stats = send (f->hub, f->a);
  g_assert_cmpuint (stats.conflicts, ==, 1);
  dft_test_assert_lost_value (f->a, id, "agency", "\"Customs\"");
}

/* ---- Deciding a conflict ---- */

/*
 * A person A made, known to everyone, whose @field A and B then changed at once: B's value is
 * the newer and stands, A's is kept as the one open conflict every replica holds. Returns the
 * person's id; *conflict_id the conflict's.
 */
static char *
conflicted_person (
    Fixture *f, const char *field, const char *a_value, const char *b_value, char **conflict_id)
{
  g_autoptr (DftRecord) person = dft_test_add_person (f->a, "Айбек", "Садыков");
  g_autoptr (GPtrArray) views = NULL;
  g_autoptr (GError)    error = NULL;
  g_autofree char      *id = NULL;
  DftConflictView      *view;

  dft_record_set_bool (person, "consent", TRUE);
  save (f->a, person);
  id = g_strdup (dft_record_get_id (person));
  sync_with_hub (f, f->a);
  sync_with_hub (f, f->b);

  set_and_save (f->a, id, field, a_value);
  dft_test_wait_next_millisecond ();
  set_and_save (f->b, id, field, b_value);
  assert_all_converge (f);

  views = dft_store_list_open_conflicts (f->a, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (views->len, ==, 1);
  view = g_ptr_array_index (views, 0);
  g_assert_cmpstr (view->entity_name, ==, "person");
  g_assert_cmpstr (view->record_id, ==, id);
  g_assert_cmpstr (view->record_title, ==, "Айбек Садыков");
  g_assert_cmpstr (view->field, ==, field);
  g_assert_nonnull (view->field_label);
  g_assert_cmpstr (view->current_device, ==, dft_store_get_device_id (f->b));
  g_assert_cmpstr (view->other_device, ==, dft_store_get_device_id (f->a));
  g_assert_cmpint (view->current_ms, >, view->other_ms);
  g_assert_cmpint (view->other_ms, >, 0);
  {
    g_autofree char *current = dft_conflict_value_describe (view->current_value);
    g_autofree char *other = dft_conflict_value_describe (view->other_value);

    g_assert_cmpstr (current, ==, b_value);
    g_assert_cmpstr (other, ==, a_value);
  }
  *conflict_id = g_strdup (view->id);
  return g_steal_pointer (&id);
}

static void
assert_open_conflicts (Fixture *f, gint64 n)
{
  DftStore *stores[] = { f->a, f->b, f->hub };

  for (guint i = 0; i < G_N_ELEMENTS (stores); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_cmpint (dft_store_count_open_conflicts (stores[i], &error), ==, n);
      g_assert_no_error (error);
    }
}

static void
assert_field_everywhere (Fixture *f, const char *id, const char *field, const char *value)
{
  DftStore *stores[] = { f->a, f->b, f->hub };

  for (guint i = 0; i < G_N_ELEMENTS (stores); i++)
    {
      g_autoptr (DftRecord) person = load (stores[i], &dft_entity_person, id);

      g_assert_cmpstr (dft_record_get_string (person, field), ==, value);
    }
}

static void
resolve (DftStore *store, const char *id, DftConflictChoice choice, const char *value)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (dft_store_resolve_conflict (store, id, choice, value, &error));
  g_assert_no_error (error);
}

/* Kept current, taken back, or replaced: a normal change that syncs, the conflict closed
 * everywhere, and no new conflict from the decision itself. */
static void
test_resolve (Fixture *f, gconstpointer data)
{
  DftConflictChoice choice = GPOINTER_TO_UINT (data);
  g_autofree char  *conflict = NULL;
  g_autofree char  *id = conflicted_person (f, "agency", "Customs", "Judiciary", &conflict);
  const char       *expected = choice == DFT_CONFLICT_KEEP_CURRENT ? "Judiciary"
                               : choice == DFT_CONFLICT_KEEP_OTHER ? "Customs"
                                                                   : "Prosecutor’s office";

  resolve (f->a, conflict, choice, "Prosecutor’s office");
  {
    g_autoptr (GError)    error = NULL;
    g_autoptr (DftRecord) record = load (f->a, &dft_entity_conflict, conflict);

    g_assert_true (dft_record_get_bool (record, "resolved"));
    g_assert_cmpint (dft_store_count_open_conflicts (f->a, &error), ==, 0);
  }
  assert_all_converge (f);
  assert_open_conflicts (f, 0);
  assert_field_everywhere (f, id, "agency", expected);
  {
    g_autoptr (GError)    error = NULL;
    g_autoptr (GPtrArray) all
        = _dft_store_query (f->hub, &dft_entity_conflict, NULL, NULL, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (all->len, ==, 1);
  }
}

/* A new value is checked like any save: a date that is none, an emptied required name. */
static void
test_resolve_bad_value (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *conflict = NULL;
  g_autofree char   *id
      = conflicted_person (f, "consent_date", "2024-01-10", "2024-02-20", &conflict);
  gint64 before = dft_store_last_seq (f->a, NULL);

  g_assert_false (
      dft_store_resolve_conflict (f->a, conflict, DFT_CONFLICT_NEW_VALUE, "2024-13-45", &error));
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "Consent date"));
  g_assert_cmpint (dft_store_last_seq (f->a, NULL), ==, before);
  g_assert_cmpint (dft_store_count_open_conflicts (f->a, NULL), ==, 1);
  assert_field_everywhere (f, id, "consent_date", "2024-02-20");
}

static void
assert_refused (Fixture          *f,
                const char       *conflict,
                DftConflictChoice choice,
                int               code,
                const char       *words,
                gint64            open)
{
  g_autoptr (GError) error = NULL;
  gint64             before = dft_store_last_seq (f->a, NULL);

  g_assert_false (dft_store_resolve_conflict (f->a, conflict, choice, "Ministry", &error));
  g_assert_error (error, DFT_STORE_ERROR, code);
  g_assert_nonnull (strstr (error->message, words));
  /* Nothing changed: no change made, the conflict as it was. */
  g_assert_cmpint (dft_store_last_seq (f->a, NULL), ==, before);
  g_assert_cmpint (dft_store_count_open_conflicts (f->a, NULL), ==, open);
}

static void
test_resolve_refused_trainer (Fixture *f, gconstpointer data)
{
  g_autofree char *conflict = NULL;
  g_autofree char *id = conflicted_person (f, "agency", "Customs", "Judiciary", &conflict);

  g_assert_true (dft_store_set_sync_state (f->a, "role", "trainer", NULL));
  assert_refused (f, conflict, DFT_CONFLICT_KEEP_OTHER, DFT_STORE_ERROR_NOT_ALLOWED, "coordinator",
                  1);
  assert_field_everywhere (f, id, "agency", "Judiciary");
  /* A coordinator's device decides. */
  g_assert_true (dft_store_set_sync_state (f->a, "role", "coordinator", NULL));
  resolve (f->a, conflict, DFT_CONFLICT_KEEP_OTHER, NULL);
  g_assert_cmpint (dft_store_count_open_conflicts (f->a, NULL), ==, 0);
}

static void
test_resolve_refused_unknown (Fixture *f, gconstpointer data)
{
  g_autofree char *conflict = NULL;
  g_autofree char *id = conflicted_person (f, "agency", "Customs", "Judiciary", &conflict);

  assert_refused (f, "0190a0a0-0000-7000-8000-000000000000", DFT_CONFLICT_KEEP_CURRENT,
                  DFT_STORE_ERROR_NOT_FOUND, "no conflict", 1);
  /* A person's id is no conflict's. */
  assert_refused (f, id, DFT_CONFLICT_KEEP_CURRENT, DFT_STORE_ERROR_NOT_FOUND, "no conflict", 1);
}

static void
test_resolve_refused_resolved (Fixture *f, gconstpointer data)
{
  g_autofree char *conflict = NULL;
  g_autofree char *id = conflicted_person (f, "agency", "Customs", "Judiciary", &conflict);

  resolve (f->a, conflict, DFT_CONFLICT_KEEP_CURRENT, NULL);
  assert_refused (f, conflict, DFT_CONFLICT_KEEP_OTHER, DFT_STORE_ERROR_INVALID, "already", 0);
  assert_refused (f, conflict, DFT_CONFLICT_NEW_VALUE, DFT_STORE_ERROR_INVALID, "already", 0);
  {
    g_autoptr (DftRecord) person = load (f->a, &dft_entity_person, id);
    g_assert_cmpstr (dft_record_get_string (person, "agency"), ==, "Judiciary");
  }
  /* Nor does a save reopen it: every replica keeps it resolved. */
  {
    g_autoptr (GError)    error = NULL;
    g_autoptr (DftRecord) record = load (f->a, &dft_entity_conflict, conflict);

    dft_record_set_bool (record, "resolved", FALSE);
    g_assert_false (dft_store_save (f->a, record, &error));
    g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID);
  }
}

static void
test_resolve_refused_deleted (Fixture *f, gconstpointer data)
{
  g_autofree char *conflict = NULL;
  g_autofree char *id = conflicted_person (f, "agency", "Customs", "Judiciary", &conflict);

  dft_test_delete (f->a, &dft_entity_person, id);
  assert_refused (f, conflict, DFT_CONFLICT_KEEP_OTHER, DFT_STORE_ERROR_INVALID, "deleted", 1);
  assert_refused (f, conflict, DFT_CONFLICT_KEEP_CURRENT, DFT_STORE_ERROR_INVALID, "deleted", 1);
}

/*
 * A resolves; meanwhile a device that had not heard of it wrote the conflict open, before
 * A's decision or after it, and B received that. Whichever reaches the hub first, every
 * replica ends with the conflict resolved, and the two writes of "resolved" make no
 * conflict of their own.
 */
static DftChange *
open_again (const char *conflict, gint64 at_ms)
{
  DftChange *change = dft_change_new ("conflict", conflict, NULL);

  json_object_set_boolean_member (change->fields, "resolved", FALSE);
  change->device_id = dft_uuid_v7_new ();
  change->origin_seq = 1;
  change->hlc = dft_hlc_pack (at_ms, 0);
  return change;
}

static void
test_stays_resolved (Fixture *f, gconstpointer data)
{
  guint                 flags = GPOINTER_TO_UINT (data);
  gboolean              newer = (flags & 1) != 0, b_first = (flags & 2) != 0;
  g_autofree char      *conflict = NULL;
  g_autofree char      *id = conflicted_person (f, "agency", "Customs", "Judiciary", &conflict);
  g_autoptr (GPtrArray) changes = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
  g_autoptr (GError)    error = NULL;
  gint64                before_ms;

  dft_test_wait_next_millisecond ();
  before_ms = dft_hlc_wall_ms ();
  dft_test_wait_next_millisecond ();
  resolve (f->a, conflict, DFT_CONFLICT_KEEP_OTHER, NULL);
  dft_test_wait_next_millisecond ();
  g_ptr_array_add (changes, open_again (conflict, newer ? dft_hlc_wall_ms () : before_ms));
  g_assert_true (dft_store_apply_changes (f->b, changes, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (dft_store_count_open_conflicts (f->b, NULL), ==, 1);

  if (b_first)
    {
      sync_with_hub (f, f->b);
      sync_with_hub (f, f->a);
    }
  else
    {
      sync_with_hub (f, f->a);
      sync_with_hub (f, f->b);
    }
  assert_all_converge (f);
  assert_open_conflicts (f, 0);
  assert_field_everywhere (f, id, "agency", "Customs");
  {
    DftStore *stores[] = { f->a, f->b, f->hub };

    for (guint i = 0; i < G_N_ELEMENTS (stores); i++)
      {
        g_autoptr (GPtrArray) all
            = _dft_store_query (stores[i], &dft_entity_conflict, NULL, NULL, NULL, NULL);

        g_assert_cmpuint (all->len, ==, 1);
      }
  }
}

int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);

#define ADD(path, func, data)                                                                      \
  g_test_add ("/merge/" path, Fixture, GINT_TO_POINTER (data), fixture_set_up, func,               \
              fixture_tear_down)
  ADD ("stale-save/same-field", test_stale_save_same_field, 0);
  ADD ("stale-save/other-fields", test_stale_save_other_fields, 0);
  ADD ("delete/edit-after-delete/deleter-syncs-first", test_edit_after_delete, FALSE);
  ADD ("delete/edit-after-delete/editor-syncs-first", test_edit_after_delete, TRUE);
  ADD ("delete/delete-after-edit/deleter-syncs-first", test_delete_after_edit, FALSE);
  ADD ("delete/delete-after-edit/editor-syncs-first", test_delete_after_edit, TRUE);
  ADD ("delete/remark-after-delete/deleter-syncs-first", test_remark_after_delete, FALSE);
  ADD ("delete/remark-after-delete/marker-syncs-first", test_remark_after_delete, TRUE);
  ADD ("final/double/a-syncs-first", test_double_final, FALSE);
  ADD ("final/double/b-syncs-first", test_double_final, TRUE);
  ADD ("final/later-draft/final-syncs-first", test_final_against_later_draft, FALSE);
  ADD ("final/later-draft/draft-syncs-first", test_final_against_later_draft, TRUE);
  ADD ("created-at/replicated", test_created_at_replicated, 0);
  ADD ("created-at/earliest/a-syncs-first", test_created_at_earliest, FALSE);
  ADD ("created-at/earliest/b-syncs-first", test_created_at_earliest, TRUE);
  ADD ("received-conflicts-counted", test_received_conflicts_counted, 0);
  ADD ("resolve/keep-current", test_resolve, DFT_CONFLICT_KEEP_CURRENT);
  ADD ("resolve/keep-other", test_resolve, DFT_CONFLICT_KEEP_OTHER);
  ADD ("resolve/new-value", test_resolve, DFT_CONFLICT_NEW_VALUE);
  ADD ("resolve/bad-value", test_resolve_bad_value, 0);
  ADD ("resolve/refused/trainer", test_resolve_refused_trainer, 0);
  ADD ("resolve/refused/unknown", test_resolve_refused_unknown, 0);
  ADD ("resolve/refused/already-resolved", test_resolve_refused_resolved, 0);
  ADD ("resolve/refused/deleted-record", test_resolve_refused_deleted, 0);
  ADD ("resolve/stays-resolved/older-open/resolver-syncs-first", test_stays_resolved, 0);
  ADD ("resolve/stays-resolved/newer-open/resolver-syncs-first", test_stays_resolved, 1);
  ADD ("resolve/stays-resolved/older-open/opener-syncs-first", test_stays_resolved, 2);
  ADD ("resolve/stays-resolved/newer-open/opener-syncs-first", test_stays_resolved, 3);
#undef ADD

  return g_test_run ();
}
