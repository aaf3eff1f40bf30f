/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dft-schema.h"
#include "dft-session.h"
#include "dft-test-util.h"

/*
 * Which session a register opens on, at fixed times: never the clock's. The workshop of the
 * issue runs 4–5 December, two half-days a day, as the store makes them.
 */

static DftRecord *
session_new (const char *date, const char *part, const char *start, const char *end)
{
  DftRecord *session = dft_record_new_for_entity (&dft_entity_session);

  dft_record_set_string (session, "date", date);
  dft_record_set_string (session, "part", part);
  dft_record_set_string (session, "start_time", start);
  dft_record_set_string (session, "end_time", end);
  return session;
}

/* 4 Dec am, 4 Dec pm, 5 Dec am, 5 Dec pm: positions 0 to 3. */
static GListModel *
two_days (void)
{
  GListStore *store = g_list_store_new (DFT_TYPE_RECORD);
  const char *dates[] = { "2026-12-04", "2026-12-05" };

  for (guint d = 0; d < G_N_ELEMENTS (dates); d++)
    {
      g_autoptr (DftRecord) am = session_new (dates[d], "am", "09:00", "12:30");
      g_autoptr (DftRecord) pm = session_new (dates[d], "pm", "14:00", "17:30");
      g_list_store_append (store, am);
      g_list_store_append (store, pm);
    }
  return G_LIST_MODEL (store);
}

static guint
current_at (GListModel *sessions, const char *iso)
{
  g_autoptr (GTimeZone) bishkek = g_time_zone_new_identifier ("+06:00");
  g_autoptr (GDateTime) now = g_date_time_new_from_iso8601 (iso, bishkek);

  g_assert_nonnull (now);
  return dft_session_current (sessions, now);
}

/* The issue: on 4 December at 13:05, between the two halves, the register opened on
 * 5 December. The afternoon about to start is the one to mark. */
static void
test_current_between_halves (void)
{
  g_autoptr (GListModel) sessions = two_days ();

  g_assert_cmpuint (current_at (sessions, "2026-12-04T13:05:00"), ==, 1);
  /* A restart asks again with the same time: the same answer, whatever ran before. */
  g_assert_cmpuint (current_at (sessions, "2026-12-04T13:05:00"), ==, 1);
}

static void
test_current_through_the_days (void)
{
  g_autoptr (GListModel) sessions = two_days ();
  struct
  {
    const char *now;
    guint       expected;
  } cases[] = {
    { "2026-11-30T10:00:00", 0 }, /* before the workshop: its first session */
    { "2026-12-04T07:30:00", 0 }, /* early on the first day: the morning to come */
    { "2026-12-04T09:00:00", 0 }, /* the morning's first minute */
    { "2026-12-04T12:30:00", 0 }, /* its last */
    { "2026-12-04T12:31:00", 1 }, /* lunch: the afternoon next */
    { "2026-12-04T16:00:00", 1 },
    { "2026-12-04T21:00:00", 1 }, /* the evening: today's last, not tomorrow's */
    { "2026-12-05T00:10:00", 2 }, /* just after midnight: the new day's morning */
    { "2026-12-05T11:00:00", 2 },
    { "2026-12-05T14:00:00", 3 },
    { "2026-12-09T10:00:00", 3 }, /* after the workshop: its last session */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("at %s", cases[i].now);
      g_assert_cmpuint (current_at (sessions, cases[i].now), ==, cases[i].expected);
    }
}

/* In the model's order or not, and whatever times a session was given or not given. */
static void
test_current_any_order_and_defaults (void)
{
  g_autoptr (GListStore) store = g_list_store_new (DFT_TYPE_RECORD);
  g_autoptr (DftRecord)  pm = session_new ("2026-12-04", "pm", NULL, NULL);
  g_autoptr (DftRecord)  am = session_new ("2026-12-04", "am", NULL, NULL);
  g_autoptr (DftRecord)  day = session_new ("2026-12-05", "day", NULL, NULL);
  g_autoptr (DftRecord)  bad = session_new ("not a date", "am", "late", NULL);

  g_list_store_append (store, day);
  g_list_store_append (store, bad);
  g_list_store_append (store, pm);
  g_list_store_append (store, am);
  g_assert_cmpuint (current_at (G_LIST_MODEL (store), "2026-12-04T13:05:00"), ==, 2);
  g_assert_cmpuint (current_at (G_LIST_MODEL (store), "2026-12-04T10:00:00"), ==, 3);
  g_assert_cmpuint (current_at (G_LIST_MODEL (store), "2026-12-05T18:00:00"), ==, 0);
  g_assert_cmpuint (current_at (G_LIST_MODEL (store), "2026-12-01T18:00:00"), ==, 3);
}

static void
test_current_none (void)
{
  g_autoptr (GListStore) store = g_list_store_new (DFT_TYPE_RECORD);
  g_autoptr (DftRecord)  bad = session_new (NULL, "am", NULL, NULL);

  g_assert_cmpuint (current_at (G_LIST_MODEL (store), "2026-12-04T13:05:00"), ==, G_MAXUINT);
  /* Sessions without a date still give one to open on. */
  g_list_store_append (store, bad);
  g_assert_cmpuint (current_at (G_LIST_MODEL (store), "2026-12-04T13:05:00"), ==, 0);
}

static gboolean
due_at (DftRecord *session, const char *iso)
{
  g_autoptr (GTimeZone) bishkek = g_time_zone_new_identifier ("+06:00");
  g_autoptr (GDateTime) now = g_date_time_new_from_iso8601 (iso, bishkek);

  return dft_session_is_due (session, now);
}

/* Marks go in without a question from an hour before the session, and ever after. */
static void
test_is_due (void)
{
  g_autoptr (DftRecord) pm = session_new ("2026-12-04", "pm", "14:00", "17:30");
  g_autoptr (DftRecord) am = session_new ("2026-12-05", "am", NULL, NULL);
  g_autoptr (DftRecord) undated = session_new (NULL, "am", NULL, NULL);

  g_assert_false (due_at (pm, "2026-12-04T10:00:00"));
  g_assert_false (due_at (pm, "2026-12-04T12:59:59"));
  g_assert_true (due_at (pm, "2026-12-04T13:00:00"));
  g_assert_true (due_at (pm, "2026-12-04T13:05:00"));
  g_assert_true (due_at (pm, "2026-12-05T09:00:00"));
  g_assert_false (due_at (am, "2026-12-04T13:05:00"));
  g_assert_false (due_at (am, "2026-12-05T07:59:59"));
  g_assert_true (due_at (am, "2026-12-05T08:00:00"));
  g_assert_true (due_at (undated, "2026-12-04T13:05:00"));
}

int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);
  g_test_add_func ("/session/current/between-halves", test_current_between_halves);
  g_test_add_func ("/session/current/through-the-days", test_current_through_the_days);
  g_test_add_func ("/session/current/any-order-and-defaults", test_current_any_order_and_defaults);
  g_test_add_func ("/session/current/none", test_current_none);
  g_test_add_func ("/session/is-due", test_is_due);
  return g_test_run ();
}
