/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "dft-dataset.h"
#include "dft-indicators.h"
#include "dft-store-merges.h"
#include "dft-store-private.h"
#include "dft-test-util.h"
#include "forms/dft-assessment.h"

/*
 * The donor's indicators (dft-indicators.h). A small register built by hand, whose every figure
 * is known: three workshops (one with nobody), a person in two of them, a person recorded twice
 * and merged, a trainer, someone with no gender, agency or country, a knowledge test with a
 * retake and a correction, and an evaluation. Then the sample data set, counted a second time
 * by tests/indicators-hand-count.py straight from its JSON.
 */

typedef struct
{
  char      *dir;
  DftStore  *store;
  char      *e1, *e2, *e3; /* Alpha (KG, 4 sessions), Beta (TZ, 2), Empty (KG, 2, nobody) */
  char      *a, *b, *b2, *c, *d, *t;
  GPtrArray *e1_sessions, *e2_sessions;
} Fixture;

static char *
add_event (Fixture    *f,
           const char *title,
           const char *country,
           const char *track,
           const char *start,
           const char *end)
{
  g_autoptr (DftRecord) event = dft_record_new_for_entity (&dft_entity_event);

  dft_record_set_string (event, "title", title);
  dft_record_set_string (event, "country", country);
  dft_record_set_string (event, "track", track);
  dft_record_set_string (event, "start_date", start);
  dft_record_set_string (event, "end_date", end);
  dft_test_save (f->store, event);
  return g_strdup (dft_record_get_id (event));
}

static char *
add_person (
    Fixture *f, const char *given, const char *gender, const char *agency, const char *country)
{
  g_autoptr (DftRecord) person = dft_record_new_for_entity (&dft_entity_person);

  dft_record_set_string (person, "given_name", given);
  dft_record_set_string (person, "family_name", "Test");
  dft_record_set_string (person, "gender", gender);
  dft_record_set_string (person, "agency", agency);
  dft_record_set_string (person, "country", country);
  dft_test_save (f->store, person);
  return g_strdup (dft_record_get_id (person));
}

static void
enroll (Fixture *f, const char *event, const char *person, const char *role)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) record = dft_store_enroll (f->store, event, person, role, &error);

  g_assert_no_error (error);
  g_assert_nonnull (record);
}

static GPtrArray *
session_ids (Fixture *f, const char *event)
{
  g_autoptr (GError)    error = NULL;
  const char           *params[] = { event, NULL };
  g_autoptr (GPtrArray) sessions = _dft_store_query (
      f->store, &dft_entity_session, "deleted = 0 AND event_id = ?", params, "date, part", &error);
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);

  g_assert_no_error (error);
  /* By date and part: day 1 am, day 1 pm, day 2 am… */
  for (guint i = 0; i < sessions->len; i++)
    g_ptr_array_add (ids, g_strdup (dft_record_get_id (g_ptr_array_index (sessions, i))));
  return ids;
}

/* One status per session of @sessions, "-" for no mark. */
static void
mark_all (Fixture *f, GPtrArray *sessions, const char *person, const char *const *statuses)
{
  for (guint i = 0; i < sessions->len; i++)
    if (strcmp (statuses[i], "-") != 0)
      {
        g_autoptr (GError)    error = NULL;
        g_autoptr (DftRecord) record = dft_store_mark_attendance (
            f->store, g_ptr_array_index (sessions, i), person, statuses[i], NULL, &error);

        g_assert_no_error (error);
      }
}

static char *
add_form (Fixture *f, const char *key, const char *kind, const char *definition)
{
  g_autoptr (DftRecord) form = dft_record_new_for_entity (&dft_entity_form);

  g_object_set (form, "form-key", key, "version", (gint64) 1, "title", key, "kind", kind,
                "default-language", "en", "definition", definition, NULL);
  dft_test_save (f->store, form);
  return g_strdup (dft_record_get_id (form));
}

/* A final submission; @score < 0: none; @phase, @supersedes may be NULL. */
static char *
submit (Fixture    *f,
        const char *form,
        const char *event,
        const char *person,
        const char *phase,
        double      score,
        const char *finished,
        const char *answers,
        const char *supersedes,
        const char *status)
{
  g_autoptr (DftRecord) sub = dft_record_new_for_entity (&dft_entity_submission);

  g_object_set (sub, "form-id", form, "event-id", event, "status", status, "answers", answers,
                "finished-at", finished, NULL);
  if (person != NULL)
    dft_record_set_string (sub, "person_id", person);
  if (phase != NULL)
    dft_record_set_string (sub, "phase", phase);
  if (score >= 0)
    dft_record_set_real (sub, "score", score);
  if (supersedes != NULL)
    dft_record_set_string (sub, "supersedes", supersedes);
  dft_test_save (f->store, sub);
  return g_strdup (dft_record_get_id (sub));
}

static const char test_pre[]
    = "{\"format\": \"daftari-form\", \"id\": \"kt-pre\", \"kind\": \"assessment\","
      " \"phase\": \"pre\", \"pairs_with\": \"kt-post\","
      " \"questions\": [{\"type\": \"integer\", \"name\": \"q1\", \"correct\": \"1\"}]}";
static const char test_post[]
    = "{\"format\": \"daftari-form\", \"id\": \"kt-post\", \"kind\": \"assessment\","
      " \"phase\": \"post\", \"questions\": [{\"type\": \"integer\", \"name\": \"q1\","
      " \"correct\": \"1\"}]}";
static const char feedback[]
    = "{\"format\": \"daftari-form\", \"id\": \"feedback\", \"kind\": \"evaluation\","
      " \"default_language\": \"en\","
      " \"choice_lists\": {"
      "  \"scale\": [{\"value\": \"1\"}, {\"value\": \"2\"}, {\"value\": \"3\"}, {\"value\": "
      "\"4\"},"
      "             {\"value\": \"5\"}],"
      "  \"pace\": [{\"value\": \"slow\", \"label\": {\"en\": \"Too slow\"}},"
      "            {\"value\": \"right\", \"label\": {\"en\": \"Just right\"}},"
      "            {\"value\": \"fast\", \"label\": {\"en\": \"Too fast\"}}],"
      "  \"topics\": [{\"value\": \"aml\", \"label\": {\"en\": \"Money laundering\"}},"
      "              {\"value\": \"cyber\", \"label\": {\"en\": \"Cybercrime\"}}]},"
      " \"questions\": ["
      "  {\"type\": \"likert\", \"name\": \"overall\", \"label\": {\"en\": \"Overall\"},"
      "   \"choices\": \"scale\"},"
      "  {\"type\": \"select_one\", \"name\": \"pace\", \"label\": {\"en\": \"Pace\"},"
      "   \"choices\": \"pace\"},"
      "  {\"type\": \"select_multiple\", \"name\": \"topics\", \"choices\": \"topics\"},"
      "  {\"type\": \"text\", \"name\": \"comments\", \"label\": {\"en\": \"Comments\"}}]}";

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) merge = NULL;
  const char           *a1[] = { "present", "present", "late", "absent" };
  const char           *b1[] = { "present", "present", "-", "-" };
  const char           *b2[] = { "absent", "-", "present", "excused" };
  const char           *d1[] = { "present", "present", "present", "present" };
  const char           *a2[] = { "present", "present" };
  const char           *c2[] = { "late", "absent" };
  g_autofree char      *pre = NULL, *post = NULL, *eval = NULL, *a_post = NULL, *s6 = NULL;

  f->store = dft_test_open_store (&f->dir);
  f->e1 = add_event (f, "Alpha", "KG", "NAPOR", "2026-01-05", "2026-01-06");
  f->e2 = add_event (f, "Beta", "TZ", "CYBER", "2026-04-10", "2026-04-10");
  f->e3 = add_event (f, "Empty", "KG", "NAPOR", "2026-02-01", "2026-02-01");
  f->a = add_person (f, "Aigul", "female", "Police", "KG");
  f->b = add_person (f, "Bakyt", "male", "Prosecution", "KG");
  f->b2 = add_person (f, "Bakyt", "male", "Prosecution", "KG");
  f->c = add_person (f, "Chiku", "female", "Police", "TZ");
  f->d = add_person (f, "Dawit", NULL, NULL, NULL);
  f->t = add_person (f, "Tamar", "female", "Academy", "GE");

  enroll (f, f->e1, f->a, "participant");
  enroll (f, f->e1, f->b, "participant");
  enroll (f, f->e1, f->b2, "participant");
  enroll (f, f->e1, f->d, "participant");
  enroll (f, f->e1, f->t, "trainer");
  enroll (f, f->e2, f->a, "participant");
  enroll (f, f->e2, f->c, "participant");

  f->e1_sessions = session_ids (f, f->e1);
  f->e2_sessions = session_ids (f, f->e2);
  g_assert_cmpuint (f->e1_sessions->len, ==, 4);
  g_assert_cmpuint (f->e2_sessions->len, ==, 2);
  mark_all (f, f->e1_sessions, f->a, a1);
  mark_all (f, f->e1_sessions, f->b, b1);
  mark_all (f, f->e1_sessions, f->b2, b2);
  mark_all (f, f->e1_sessions, f->d, d1);
  mark_all (f, f->e1_sessions, f->t, d1);
  mark_all (f, f->e2_sessions, f->a, a2);
  mark_all (f, f->e2_sessions, f->c, c2);

  /* A knowledge test in two forms. Aigul retakes the pre-test (the later one stands) and her
   * post-test is corrected (the correction stands); Bakyt's twin took the pre-test. */
  pre = add_form (f, "kt-pre", "assessment", test_pre);
  post = add_form (f, "kt-post", "assessment", test_post);
  g_free (submit (f, pre, f->e1, f->a, NULL, 40, "2026-01-05T09:00:00Z", "{}", NULL, "final"));
  g_free (submit (f, pre, f->e1, f->a, "pre", 50, "2026-01-05T09:30:00Z", "{}", NULL, "final"));
  a_post = submit (f, post, f->e1, f->a, NULL, 80, "2026-01-06T16:00:00Z", "{}", NULL, "final");
  g_free (submit (f, post, f->e1, f->a, "post", 90, "2026-01-06T17:00:00Z", "{}", a_post, "final"));
  g_free (submit (f, pre, f->e1, f->b2, NULL, 20, "2026-01-05T09:00:00Z", "{}", NULL, "final"));
  g_free (submit (f, post, f->e1, f->b, NULL, 60, "2026-01-06T16:00:00Z", "{}", NULL, "final"));
  g_free (submit (f, pre, f->e1, f->d, NULL, 100, "2026-01-05T09:00:00Z", "{}", NULL, "final"));
  g_free (submit (f, post, f->e1, f->d, NULL, 100, "2026-01-06T16:00:00Z", "{}", NULL, "final"));
  g_free (submit (f, pre, f->e2, f->c, NULL, 30, "2026-04-10T09:00:00Z", "{}", NULL, "final"));
  /* A draft counts for nothing. */
  g_free (submit (f, post, f->e2, f->c, NULL, 99, "2026-04-10T16:00:00Z", "{}", NULL, "draft"));

  eval = add_form (f, "feedback", "evaluation", feedback);
  g_free (submit (f, eval, f->e1, NULL, NULL, -1, "2026-01-06T10:00:00Z",
                  "{\"/data/overall\": \"4\", \"/data/pace\": \"right\","
                  " \"/data/topics\": \"aml cyber\", \"/data/comments\": \"More cases\"}",
                  NULL, "final"));
  g_free (submit (f, eval, f->e1, NULL, NULL, -1, "2026-01-06T11:00:00Z",
                  "{\"/data/overall\": \"5\", \"/data/pace\": \"right\","
                  " \"/data/topics\": \"aml\", \"/data/comments\": \"\"}",
                  NULL, "final"));
  g_free (submit (f, eval, f->e1, NULL, NULL, -1, "2026-01-06T12:00:00Z",
                  "{\"/data/overall\": \"2\", \"/data/pace\": \"fast\","
                  " \"/data/comments\": \"  Longer breaks \"}",
                  NULL, "final"));
  g_free (submit (f, eval, f->e1, NULL, NULL, -1, "2026-01-06T12:30:00Z",
                  "{\"/data/overall\": \"1\"}", NULL, "draft"));
  s6 = submit (f, eval, f->e1, NULL, NULL, -1, "2026-01-06T12:40:00Z",
               "{\"/data/overall\": \"1\", \"/data/comments\": \"Wrong\"}", NULL, "final");
  g_free (submit (f, eval, f->e1, NULL, NULL, -1, "2026-01-06T13:00:00Z",
                  "{\"/data/overall\": \"5\", \"/data/comments\": \"Corrected\"}", s6, "final"));
  g_free (submit (f, eval, f->e2, NULL, NULL, -1, "2026-04-10T17:00:00Z",
                  "{\"/data/overall\": \"3\", \"/data/pace\": \"slow\","
                  " \"/data/comments\": \"Asante\"}",
                  NULL, "final"));

  /* Bakyt was recorded twice: one person from now on. */
  merge = dft_store_merge_people (f->store, f->b, f->b2, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (merge);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_ptr_array_unref (f->e1_sessions);
  g_ptr_array_unref (f->e2_sessions);
  g_free (f->e1);
  g_free (f->e2);
  g_free (f->e3);
  g_free (f->a);
  g_free (f->b);
  g_free (f->b2);
  g_free (f->c);
  g_free (f->d);
  g_free (f->t);
  dft_test_release_store (f->store);
  dft_test_dir_free (f->dir);
}

static DftIndicatorReport *
report_for (Fixture *f, const DftReportSelection *selection)
{
  g_autoptr (GError)  error = NULL;
  DftIndicatorReport *report = dft_indicator_report (f->store, selection, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (report);
  return report;
}

static void
assert_group (GPtrArray  *groups,
              guint       i,
              const char *gender,
              const char *agency,
              const char *country,
              const char *role,
              guint       people,
              guint       women,
              guint       participations,
              guint       person_days)
{
  DftIndicatorGroup *g;

  g_assert_cmpuint (i, <, groups->len);
  g = g_ptr_array_index (groups, i);
  g_assert_cmpstr (g->gender, ==, gender);
  g_assert_cmpstr (g->agency, ==, agency);
  g_assert_cmpstr (g->country, ==, country);
  g_assert_cmpstr (g->role, ==, role);
  g_assert_cmpuint (g->people, ==, people);
  g_assert_cmpuint (g->women, ==, women);
  g_assert_cmpuint (g->participations, ==, participations);
  g_assert_cmpuint (g->person_days, ==, person_days);
}

static void
assert_workshop (DftIndicatorReport *report,
                 guint               i,
                 const char         *title,
                 guint               participants,
                 guint               women,
                 guint               sessions,
                 double              rate,
                 guint               completed,
                 guint               completed_women)
{
  DftWorkshopFigures *w;

  g_assert_cmpuint (i, <, report->workshops->len);
  w = g_ptr_array_index (report->workshops, i);
  g_assert_cmpstr (w->title, ==, title);
  g_assert_cmpuint (w->participants, ==, participants);
  g_assert_cmpuint (w->women, ==, women);
  g_assert_cmpuint (w->sessions, ==, sessions);
  if (isnan (rate))
    g_assert_true (isnan (w->attendance_rate));
  else
    g_assert_cmpfloat_with_epsilon (w->attendance_rate, rate, 1e-9);
  g_assert_cmpuint (w->completed, ==, completed);
  g_assert_cmpuint (w->completed_women, ==, completed_women);
}

static void
assert_close_or_nan (double value, double expected)
{
  if (isnan (expected))
    g_assert_true (isnan (value));
  else
    g_assert_cmpfloat_with_epsilon (value, expected, 1e-9);
}

static void
assert_gain (DftGainFigures *g,
             guint           n_pre,
             guint           n_post,
             guint           n_pairs,
             double          mean_pre,
             double          mean_post,
             double          mean_gain,
             double          normalized)
{
  g_assert_cmpuint (g->n_pre, ==, n_pre);
  g_assert_cmpuint (g->n_post, ==, n_post);
  g_assert_cmpuint (g->n_pairs, ==, n_pairs);
  assert_close_or_nan (g->mean_pre, mean_pre);
  assert_close_or_nan (g->mean_post, mean_post);
  assert_close_or_nan (g->mean_gain, mean_gain);
  assert_close_or_nan (g->normalized_gain, normalized);
}

/* Everything selected: every table, counted by hand. */
static void
test_everything (Fixture *f, gconstpointer data)
{
  g_autoptr (DftReportSelection) selection = dft_report_selection_new ();
  g_autoptr (DftIndicatorReport) report = NULL;
  g_autoptr (GError)             error = NULL;
  g_autoptr (DftGainReport)      gain = NULL;
  DftGainFigures                *g;

  g_assert_cmpfloat (selection->completion_share, ==, 0.8);
  report = report_for (f, selection);

  g_assert_cmpuint (report->n_workshops, ==, 3);
  g_assert_cmpuint (report->sessions, ==, 8);
  /* Aigul, Bakyt (twice recorded, once counted), Chiku, Dawit; Aigul took part twice. */
  g_assert_cmpuint (report->people, ==, 4);
  g_assert_cmpuint (report->women, ==, 2);
  g_assert_cmpuint (report->participations, ==, 5);
  /* Alpha: Aigul 2 days, Bakyt 2 (his twin's mark on day 2 counts for him), Dawit 2; Beta:
   * Aigul 1, Chiku 1. */
  g_assert_cmpuint (report->person_days, ==, 8);
  /* Sessions attended: 3 + 3 + 4 of 12 in Alpha, 2 + 1 of 4 in Beta. */
  g_assert_cmpfloat_with_epsilon (report->attendance_rate, 13.0 / 16, 1e-9);
  /* At 80 %: Dawit in Alpha (4 of 4), Aigul in Beta (2 of 2). */
  g_assert_cmpuint (report->completed_participations, ==, 2);
  g_assert_cmpuint (report->completed_people, ==, 2);
  g_assert_cmpuint (report->completed_women, ==, 1);

  assert_group (report->by_gender, 0, "female", NULL, NULL, NULL, 2, 2, 3, 4);
  assert_group (report->by_gender, 1, "male", NULL, NULL, NULL, 1, 0, 1, 2);
  assert_group (report->by_gender, 2, "other", NULL, NULL, NULL, 0, 0, 0, 0);
  assert_group (report->by_gender, 3, "undisclosed", NULL, NULL, NULL, 0, 0, 0, 0);
  assert_group (report->by_gender, 4, "", NULL, NULL, NULL, 1, 0, 1, 2);
  g_assert_cmpuint (report->by_gender->len, ==, 5);

  assert_group (report->by_agency, 0, NULL, "Police", NULL, NULL, 2, 2, 3, 4);
  assert_group (report->by_agency, 1, NULL, "", NULL, NULL, 1, 0, 1, 2);
  assert_group (report->by_agency, 2, NULL, "Prosecution", NULL, NULL, 1, 0, 1, 2);
  g_assert_cmpuint (report->by_agency->len, ==, 3);

  assert_group (report->by_country, 0, NULL, NULL, "KG", NULL, 2, 1, 3, 5);
  assert_group (report->by_country, 1, NULL, NULL, "", NULL, 1, 0, 1, 2);
  assert_group (report->by_country, 2, NULL, NULL, "TZ", NULL, 1, 1, 1, 1);
  g_assert_cmpuint (report->by_country->len, ==, 3);

  assert_group (report->by_role, 0, NULL, NULL, NULL, "participant", 4, 2, 5, 8);
  assert_group (report->by_role, 1, NULL, NULL, NULL, "trainer", 1, 1, 1, 2);
  assert_group (report->by_role, 2, NULL, NULL, NULL, "observer", 0, 0, 0, 0);
  g_assert_cmpuint (report->by_role->len, ==, 3);

  assert_group (report->gender_by_agency, 0, "female", "Police", NULL, NULL, 2, 2, 3, 4);
  assert_group (report->gender_by_agency, 1, "", "", NULL, NULL, 1, 0, 1, 2);
  assert_group (report->gender_by_agency, 2, "male", "Prosecution", NULL, NULL, 1, 0, 1, 2);
  g_assert_cmpuint (report->gender_by_agency->len, ==, 3);

  assert_group (report->breakdown, 0, "", "", "", "participant", 1, 0, 1, 2);
  assert_group (report->breakdown, 1, "female", "Police", "KG", "participant", 1, 1, 2, 3);
  assert_group (report->breakdown, 2, "male", "Prosecution", "KG", "participant", 1, 0, 1, 2);
  assert_group (report->breakdown, 3, "female", "Police", "TZ", "participant", 1, 1, 1, 1);
  assert_group (report->breakdown, 4, "female", "Academy", "GE", "trainer", 1, 1, 1, 2);
  g_assert_cmpuint (report->breakdown->len, ==, 5);

  /* By start date; the workshop with nobody has its line, with no rate. */
  g_assert_cmpuint (report->workshops->len, ==, 3);
  assert_workshop (report, 0, "Alpha", 3, 1, 4, 10.0 / 12, 1, 0);
  assert_workshop (report, 1, "Empty", 0, 0, 2, NAN, 0, 0);
  assert_workshop (report, 2, "Beta", 2, 2, 2, 3.0 / 4, 1, 1);

  /* Alpha: Aigul 50 → 90 (retake, correction), Bakyt 20 → 60 (his twin's pre-test), Dawit
   * 100 → 100. Beta: Chiku 30, no post-test (her draft does not count). */
  g_assert_cmpuint (report->gains->len, ==, 3);
  g = g_ptr_array_index (report->gains, 0);
  g_assert_cmpstr (g->event_id, ==, f->e1);
  g_assert_cmpstr (g->event_title, ==, "Alpha");
  g_assert_cmpstr (g->form_key, ==, "kt-post");
  g_assert_cmpstr (g->form_title, ==, "kt-post");
  assert_gain (g, 3, 3, 3, 170.0 / 3, 250.0 / 3, 80.0 / 3, 80.0 / 130);
  /* The same as the workshop's own gain report. */
  gain = dft_assessment_gain (f->store, f->e1, "kt-pre", &error);
  g_assert_no_error (error);
  assert_gain (g, gain->n_pre, gain->n_post, gain->n_pairs, gain->mean_pre, gain->mean_post,
               gain->mean_gain, gain->normalized_gain);
  g = g_ptr_array_index (report->gains, 1);
  g_assert_cmpstr (g->event_title, ==, "Beta");
  assert_gain (g, 1, 0, 0, 30, NAN, NAN, NAN);
  g = g_ptr_array_index (report->gains, 2);
  g_assert_null (g->event_id);
  g_assert_null (g->form_key);
  assert_gain (g, 4, 3, 3, 50, 250.0 / 3, 80.0 / 3, 80.0 / 130);
}

static DftEvaluationQuestion *
question (DftIndicatorReport *report, guint i, const char *name, DftEvaluationKind kind)
{
  DftEvaluationQuestion *q;

  g_assert_cmpuint (i, <, report->evaluation->len);
  q = g_ptr_array_index (report->evaluation, i);
  g_assert_cmpstr (q->form_key, ==, "feedback");
  g_assert_cmpstr (q->name, ==, name);
  g_assert_cmpint (q->kind, ==, kind);
  return q;
}

static void
assert_choice (DftEvaluationQuestion *q, guint i, const char *value, const char *label, guint n)
{
  DftIndicatorChoice *c;

  g_assert_cmpuint (i, <, q->choices->len);
  c = g_ptr_array_index (q->choices, i);
  g_assert_cmpstr (c->value, ==, value);
  g_assert_cmpstr (c->label, ==, label);
  g_assert_cmpuint (c->count, ==, n);
}

/* Final submissions only, a correction for what it corrects, empty answers left out. */
static void
test_evaluation (Fixture *f, gconstpointer data)
{
  g_autoptr (DftReportSelection) selection = dft_report_selection_new ();
  g_autoptr (DftIndicatorReport) report = report_for (f, selection);
  DftEvaluationQuestion         *q;
  const char *const texts[] = { "More cases", "Longer breaks", "Corrected", "Asante", NULL };

  g_assert_cmpuint (report->evaluation->len, ==, 4);
  q = question (report, 0, "overall", DFT_EVALUATION_SCALE);
  g_assert_cmpstr (q->label, ==, "Overall");
  g_assert_cmpuint (q->n_answers, ==, 5); /* 4, 5, 2, 5 (corrected from 1), 3 */
  g_assert_cmpfloat_with_epsilon (q->average, 19.0 / 5, 1e-9);
  g_assert_cmpuint (q->scale[0], ==, 0);
  g_assert_cmpuint (q->scale[1], ==, 1);
  g_assert_cmpuint (q->scale[2], ==, 1);
  g_assert_cmpuint (q->scale[3], ==, 1);
  g_assert_cmpuint (q->scale[4], ==, 2);

  q = question (report, 1, "pace", DFT_EVALUATION_CHOICE);
  g_assert_cmpuint (q->n_answers, ==, 4);
  g_assert_true (isnan (q->average));
  assert_choice (q, 0, "right", "Just right", 2);
  assert_choice (q, 1, "slow", "Too slow", 1);
  assert_choice (q, 2, "fast", "Too fast", 1);
  g_assert_cmpuint (q->choices->len, ==, 3);

  q = question (report, 2, "topics", DFT_EVALUATION_CHOICE);
  g_assert_cmpstr (q->label, ==, "topics");
  g_assert_cmpuint (q->n_answers, ==, 2);
  assert_choice (q, 0, "aml", "Money laundering", 2);
  assert_choice (q, 1, "cyber", "Cybercrime", 1);

  q = question (report, 3, "comments", DFT_EVALUATION_TEXT);
  g_assert_cmpuint (q->n_answers, ==, 4);
  g_assert_cmpstrv (q->texts, texts);

  /* Beta alone. */
  {
    g_autoptr (DftReportSelection) beta = dft_report_selection_new ();
    g_autoptr (DftIndicatorReport) narrow = NULL;
    const char *const              asante[] = { "Asante", NULL };

    beta->event_ids = g_strdupv ((char *[]){ f->e2, NULL });
    narrow = report_for (f, beta);
    q = question (narrow, 0, "overall", DFT_EVALUATION_SCALE);
    g_assert_cmpuint (q->n_answers, ==, 1);
    g_assert_cmpfloat_with_epsilon (q->average, 3, 1e-9);
    q = question (narrow, 3, "comments", DFT_EVALUATION_TEXT);
    g_assert_cmpstrv (q->texts, asante);
  }
}

static void
test_completion_share (Fixture *f, gconstpointer data)
{
  g_autoptr (DftReportSelection) selection = dft_report_selection_new ();
  g_autoptr (DftIndicatorReport) report = NULL;

  /* At half the sessions everyone completed: Aigul 3 of 4, Bakyt 3 of 4, Chiku 1 of 2. */
  selection->completion_share = 0.5;
  report = report_for (f, selection);
  g_assert_cmpuint (report->completed_participations, ==, 5);
  g_assert_cmpuint (report->completed_people, ==, 4);
  g_assert_cmpuint (report->completed_women, ==, 2);
  assert_workshop (report, 0, "Alpha", 3, 1, 4, 10.0 / 12, 3, 1);
  assert_workshop (report, 2, "Beta", 2, 2, 2, 3.0 / 4, 2, 2);
}

static void
test_selections (Fixture *f, gconstpointer data)
{
  /* The first quarter: Alpha and Empty. */
  {
    g_autoptr (DftReportSelection) s = dft_report_selection_new ();
    g_autoptr (DftIndicatorReport) r = NULL;

    s->from = g_strdup ("2026-01-01");
    s->to = g_strdup ("2026-03-31");
    r = report_for (f, s);
    g_assert_cmpuint (r->n_workshops, ==, 2);
    g_assert_cmpuint (r->people, ==, 3);
    g_assert_cmpuint (r->women, ==, 1);
    g_assert_cmpuint (r->participations, ==, 3);
    g_assert_cmpuint (r->person_days, ==, 6);
    g_assert_cmpuint (r->gains->len, ==, 2); /* Alpha, and the overall line */
  }
  /* A bound on one side; the day a workshop starts is inside. */
  {
    g_autoptr (DftReportSelection) s = dft_report_selection_new ();
    g_autoptr (DftIndicatorReport) r = NULL;

    s->from = g_strdup ("2026-04-10");
    r = report_for (f, s);
    g_assert_cmpuint (r->n_workshops, ==, 1);
    g_assert_cmpuint (r->people, ==, 2);
  }
  /* A country: Beta. Aigul comes from Kyrgyzstan, but the workshop is in Tanzania. */
  {
    g_autoptr (DftReportSelection) s = dft_report_selection_new ();
    g_autoptr (DftIndicatorReport) r = NULL;

    s->countries = g_strdupv ((char *[]){ "TZ", NULL });
    r = report_for (f, s);
    g_assert_cmpuint (r->n_workshops, ==, 1);
    g_assert_cmpuint (r->people, ==, 2);
    g_assert_cmpuint (r->women, ==, 2);
    assert_group (r->by_country, 0, NULL, NULL, "KG", NULL, 1, 1, 1, 1);
    assert_group (r->by_country, 1, NULL, NULL, "TZ", NULL, 1, 1, 1, 1);
  }
  /* A track. */
  {
    g_autoptr (DftReportSelection) s = dft_report_selection_new ();
    g_autoptr (DftIndicatorReport) r = NULL;

    s->tracks = g_strdupv ((char *[]){ "NAPOR", NULL });
    r = report_for (f, s);
    g_assert_cmpuint (r->n_workshops, ==, 2);
    g_assert_cmpuint (r->participations, ==, 3);
  }
  /* Workshops by id; an id nobody knows selects nothing more. */
  {
    g_autoptr (DftReportSelection) s = dft_report_selection_new ();
    g_autoptr (DftIndicatorReport) r = NULL;

    s->event_ids = g_strdupv ((char *[]){ f->e1, "00000000-0000-0000-0000-000000000000", NULL });
    r = report_for (f, s);
    g_assert_cmpuint (r->n_workshops, ==, 1);
    g_assert_cmpuint (r->people, ==, 3);
    g_assert_cmpuint (r->completed_people, ==, 1);
  }
  /* An agency: Aigul and Chiku; the tests of the others stay out. */
  {
    g_autoptr (DftReportSelection) s = dft_report_selection_new ();
    g_autoptr (DftIndicatorReport) r = NULL;
    DftGainFigures                *g;

    s->agencies = g_strdupv ((char *[]){ "Police", NULL });
    r = report_for (f, s);
    g_assert_cmpuint (r->n_workshops, ==, 3);
    g_assert_cmpuint (r->people, ==, 2);
    g_assert_cmpuint (r->participations, ==, 3);
    g_assert_cmpuint (r->person_days, ==, 4);
    g_assert_cmpfloat_with_epsilon (r->attendance_rate, 6.0 / 8, 1e-9);
    g_assert_cmpuint (r->by_agency->len, ==, 1);
    g_assert_cmpuint (r->gains->len, ==, 3);
    g = g_ptr_array_index (r->gains, 0);
    assert_gain (g, 1, 1, 1, 50, 90, 40, 0.8);
  }
  /* People with no agency are selected by "". */
  {
    g_autoptr (DftReportSelection) s = dft_report_selection_new ();
    g_autoptr (DftIndicatorReport) r = NULL;

    s->agencies = g_strdupv ((char *[]){ "", NULL });
    r = report_for (f, s);
    g_assert_cmpuint (r->people, ==, 1);
    assert_group (r->by_gender, 4, "", NULL, NULL, NULL, 1, 0, 1, 2);
  }
}

static void
test_empty_selection (Fixture *f, gconstpointer data)
{
  g_autoptr (DftReportSelection) s = dft_report_selection_new ();
  g_autoptr (DftIndicatorReport) r = NULL;
  g_autoptr (JsonNode)           json = NULL;
  JsonObject                    *totals;

  s->countries = g_strdupv ((char *[]){ "XX", NULL });
  r = report_for (f, s);
  g_assert_cmpuint (r->n_workshops, ==, 0);
  g_assert_cmpuint (r->people, ==, 0);
  g_assert_cmpuint (r->participations, ==, 0);
  g_assert_true (isnan (r->attendance_rate));
  g_assert_cmpuint (r->workshops->len, ==, 0);
  g_assert_cmpuint (r->gains->len, ==, 0);
  g_assert_cmpuint (r->evaluation->len, ==, 0);
  g_assert_cmpuint (r->breakdown->len, ==, 0);
  g_assert_cmpuint (r->by_agency->len, ==, 0);
  /* The lines of every gender and role stay, with zeros. */
  g_assert_cmpuint (r->by_gender->len, ==, 4);
  g_assert_cmpuint (r->by_role->len, ==, 3);
  g_assert_true (isnan (dft_indicator_women_share (r->women, r->people)));

  json = dft_indicator_report_to_json (r);
  totals = json_object_get_object_member (json_node_get_object (json), "totals");
  g_assert_true (json_object_get_null_member (totals, "attendance_rate"));
  g_assert_true (json_object_get_null_member (totals, "women_share"));
  g_assert_cmpint (json_object_get_int_member (totals, "people"), ==, 0);
}

static void
test_bad_selection (Fixture *f, gconstpointer data)
{
  g_autoptr (DftReportSelection) s = dft_report_selection_new ();
  g_autoptr (GError)             error = NULL;
  DftIndicatorReport            *r;

  s->from = g_strdup ("2026-06-30");
  s->to = g_strdup ("2026-04-01");
  r = dft_indicator_report (f->store, s, NULL, &error);
  g_assert_null (r);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "2026-04-01"));
  g_clear_error (&error);

  g_clear_pointer (&s->to, g_free);
  s->completion_share = 0;
  r = dft_indicator_report (f->store, s, NULL, &error);
  g_assert_null (r);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static void
report_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static gboolean
result_arrived (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

static void
test_async (Fixture *f, gconstpointer data)
{
  g_autoptr (DftReportSelection) s = dft_report_selection_new ();
  g_autoptr (GAsyncResult)       result = NULL;
  g_autoptr (GAsyncResult)       cancelled_result = NULL;
  g_autoptr (DftIndicatorReport) r = NULL;
  g_autoptr (GCancellable)       cancellable = g_cancellable_new ();
  g_autoptr (GError)             error = NULL;
  DftIndicatorReport            *none;

  dft_indicator_report_async (f->store, s, NULL, report_done_cb, &result);
  dft_test_wait_until (result_arrived, &result, "the report");
  r = dft_indicator_report_finish (result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->people, ==, 4);
  g_assert_cmpfloat (r->selection->completion_share, ==, 0.8);

  g_cancellable_cancel (cancellable);
  dft_indicator_report_async (f->store, s, cancellable, report_done_cb, &cancelled_result);
  dft_test_wait_until (result_arrived, &cancelled_result, "the cancelled report");
  none = dft_indicator_report_finish (cancelled_result, &error);
  g_assert_null (none);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_choices (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)           error = NULL;
  g_autoptr (DftReportChoices) choices = dft_report_choices (f->store, &error);
  const char *const            countries[] = { "KG", "TZ", NULL };
  const char *const            tracks[] = { "CYBER", "NAPOR", NULL };
  const char *const            agencies[] = { "Police", "Prosecution", NULL };
  DftWorkshopFigures          *w;

  g_assert_no_error (error);
  g_assert_cmpstrv (choices->countries, countries);
  g_assert_cmpstrv (choices->tracks, tracks);
  g_assert_cmpstrv (choices->agencies, agencies);
  g_assert_cmpuint (choices->workshops->len, ==, 3);
  w = g_ptr_array_index (choices->workshops, 1);
  g_assert_cmpstr (w->title, ==, "Empty");
  g_assert_cmpstr (w->start_date, ==, "2026-02-01");
}

static void
test_json (Fixture *f, gconstpointer data)
{
  g_autoptr (DftReportSelection) s = dft_report_selection_new ();
  g_autoptr (DftIndicatorReport) r = report_for (f, s);
  g_autoptr (JsonNode)           json = dft_indicator_report_to_json (r);
  JsonObject                    *root = json_node_get_object (json);
  JsonObject                    *o;
  JsonArray                     *a;

  o = json_object_get_object_member (root, "totals");
  g_assert_cmpint (json_object_get_int_member (o, "people"), ==, 4);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "attendance_rate"), 13.0 / 16,
                                  1e-9);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "women_share"), 0.5, 1e-9);
  a = json_object_get_array_member (root, "workshops");
  g_assert_cmpuint (json_array_get_length (a), ==, 3);
  o = json_array_get_object_element (a, 1);
  g_assert_cmpstr (json_object_get_string_member (o, "title"), ==, "Empty");
  g_assert_true (json_object_get_null_member (o, "attendance_rate"));
  a = json_object_get_array_member (root, "gains");
  o = json_array_get_object_element (a, 2);
  g_assert_true (json_object_get_null_member (o, "event_id"));
  g_assert_cmpint (json_object_get_int_member (o, "n_pre"), ==, 4);
  a = json_object_get_array_member (root, "by_gender");
  o = json_array_get_object_element (a, 0);
  g_assert_cmpstr (json_object_get_string_member (o, "gender"), ==, "female");
  g_assert_false (json_object_has_member (o, "agency"));
  a = json_object_get_array_member (root, "evaluation");
  o = json_array_get_object_element (a, 0);
  g_assert_cmpstr (json_object_get_string_member (o, "kind"), ==, "scale");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "scale")), ==, 5);
  o = json_array_get_object_element (a, 3);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "texts")), ==, 4);
  g_assert_true (json_object_has_member (root, "breakdown"));
  g_assert_true (json_object_has_member (root, "gender_by_agency"));
  g_assert_true (json_object_has_member (root, "by_role"));
  g_assert_true (json_object_has_member (root, "selection"));
}

/* ---- The sample data set, counted a second time from its JSON ---------- */

static void
write_report (DftStore *store, DftReportSelection *selection, const char *path)
{
  g_autoptr (GError)             error = NULL;
  g_autoptr (DftIndicatorReport) report = dft_indicator_report (store, selection, NULL, &error);
  g_autoptr (JsonGenerator)      generator = json_generator_new ();
  g_autoptr (JsonNode)           json = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (report->people, >, 0);
  json = dft_indicator_report_to_json (report);
  json_generator_set_root (generator, json);
  json_generator_to_file (generator, path, &error);
  g_assert_no_error (error);
}

/* Rows of participation_tally. */
static gint64
tally_rows (DftStore *store)
{
  sqlite3_stmt *stmt = NULL;
  gint64        n;

  g_assert_cmpint (sqlite3_prepare_v2 (_dft_store_get_db (store),
                                       "SELECT count (*) FROM participation_tally", -1, &stmt,
                                       NULL),
                   ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return n;
}

/*
 * The sample data set loaded, its report checked against a count made by hand from its JSON.
 * @data non-NULL: loaded as a sync server receives it, with tallies not kept
 * (dft_store_set_keeps_tallies()); the report counts them first.
 */
static void
test_sample_hand_count (gconstpointer data)
{
  gboolean                       server = data != NULL;
  const char                    *sample = g_getenv ("DAFTARI_SAMPLE");
  const char                    *script = g_getenv ("DAFTARI_INDICATORS_CHECK");
  g_autofree char               *python = g_find_program_in_path ("python3");
  g_autofree char               *dir = NULL;
  g_autoptr (DftStore)           store = NULL;
  g_autoptr (GError)             error = NULL;
  g_autoptr (DftReportSelection) all = dft_report_selection_new ();
  g_autoptr (DftReportSelection) country = dft_report_selection_new ();
  g_autoptr (DftReportSelection) period = dft_report_selection_new ();
  g_autofree char               *all_path = NULL, *country_path = NULL, *period_path = NULL;
  g_autofree char               *out = NULL, *err = NULL;
  DftDatasetStats                stats = { 0 };
  int                            status = 0;

  if (python == NULL)
    {
      g_test_skip ("python3 is not installed");
      return;
    }
  g_assert_nonnull (sample);
  g_assert_nonnull (script);
  store = dft_test_open_store (&dir);
  if (server)
    {
      g_assert_true (dft_store_set_keeps_tallies (store, FALSE, &error));
      g_assert_no_error (error);
    }
  g_assert_true (dft_dataset_load (store, sample, &stats, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  /* Nothing counted on write; the first report counts it all. */
  if (server)
    g_assert_cmpint (tally_rows (store), ==, 0);

  all_path = g_build_filename (dir, "all.json", NULL);
  country_path = g_build_filename (dir, "country.json", NULL);
  period_path = g_build_filename (dir, "period.json", NULL);
  write_report (store, all, all_path);
  country->countries = g_strdupv ((char *[]){ "GE", NULL });
  write_report (store, country, country_path);
  period->from = g_strdup ("2026-01-01");
  period->to = g_strdup ("2026-02-28");
  write_report (store, period, period_path);

  {
    const char *argv[] = { python, script, sample, all_path, country_path, period_path, NULL };

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
                  &error);
    g_assert_no_error (error);
  }
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("The hand count disagrees with the report:\n%s%s", out, err);
  /* The script says what it compared: it must have counted something. */
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "agree"));
  /* Kept from the first report on. */
  g_assert_cmpint (tally_rows (store), >, 0);

  dft_test_release_store (g_steal_pointer (&store));
  dft_test_dir_free (g_steal_pointer (&dir));
}

/*
 * The tallies the store keeps on write (participation_tally, migration 10) against a count made
 * again from scratch, after each of a few hundred random writes: marks made, changed and
 * deleted, sessions added, moved to another day and deleted, people merged and
 * unmerged. DAFTARI_TALLY_SEED=N replays the history a failure names.
 */
static const char recount_sql[]
    = "SELECT s.event_id, m.person_id, count (*), count (DISTINCT coalesce (s.date, ''))"
      " FROM attendance m JOIN session s ON s.id = m.session_id"
      " WHERE s.deleted = 0 AND m.deleted = 0 AND m.merge_hidden = 0"
      "  AND m.status IN ('present', 'late') AND s.event_id IS NOT NULL"
      "  AND m.person_id IS NOT NULL GROUP BY s.event_id, m.person_id";

static int
tally_differences (Fixture *f)
{
  g_autofree char *sql = g_strdup_printf (
      "SELECT count (*) FROM (SELECT * FROM (SELECT event_id, person_id, attended, days"
      " FROM participation_tally EXCEPT %s) UNION ALL SELECT * FROM (%s EXCEPT"
      " SELECT event_id, person_id, attended, days FROM participation_tally))",
      recount_sql, recount_sql);
  sqlite3_stmt *stmt = NULL;
  int           n;

  _dft_store_lock (f->store);
  g_assert_cmpint (sqlite3_prepare_v2 (_dft_store_get_db (f->store), sql, -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  _dft_store_unlock (f->store);
  return n;
}

static DftRecord *
random_record (Fixture *f, GRand *rand, const DftEntity *entity)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) records
      = _dft_store_query (f->store, entity, "deleted = 0", NULL, "id", &error);

  g_assert_no_error (error);
  if (records->len == 0)
    return NULL;
  return g_object_ref (g_ptr_array_index (records, g_rand_int_range (rand, 0, records->len)));
}

static void
test_tally_follows_writes (Fixture *f, gconstpointer data)
{
  const char *seed_env = g_getenv ("DAFTARI_TALLY_SEED");
  guint32     seed
      = seed_env != NULL ? (guint32) g_ascii_strtoull (seed_env, NULL, 10) : g_random_int ();
  g_autoptr (GRand)     rand = g_rand_new_with_seed (seed);
  g_autoptr (GPtrArray) merges = g_ptr_array_new_with_free_func (g_free);
  const char           *people[] = { f->a, f->b, f->b2, f->c, f->d, f->t };
  const char           *events[] = { f->e1, f->e2, f->e3 };
  const char           *statuses[] = { "present", "late", "absent", "excused" };
  const char           *dates[] = { "2026-01-05", "2026-01-06", "2026-01-07" };

  g_test_message ("seed %u (DAFTARI_TALLY_SEED=%u replays it)", seed, seed);
  g_assert_cmpint (tally_differences (f), ==, 0);
  for (guint step = 0; step < 300; step++)
    {
      g_autoptr (GError)    error = NULL;
      g_autoptr (DftRecord) record = NULL;
      const char           *person = people[g_rand_int_range (rand, 0, G_N_ELEMENTS (people))];
      int                   what = g_rand_int_range (rand, 0, 10);

      if (what <= 3 && (record = random_record (f, rand, &dft_entity_session)) != NULL)
        {
          g_autoptr (DftRecord) mark = dft_store_mark_attendance (
              f->store, dft_record_get_id (record), person,
              statuses[g_rand_int_range (rand, 0, G_N_ELEMENTS (statuses))], NULL, &error);
          g_assert_no_error (error);
        }
      else if (what == 4 && (record = random_record (f, rand, &dft_entity_attendance)) != NULL)
        g_assert_true (dft_store_delete (f->store, record, &error));
      else if (what == 5 && (record = random_record (f, rand, &dft_entity_session)) != NULL)
        {
          /* To another day, or the same (a session cannot move to another workshop). */
          dft_record_set_string (record, "date",
                                 dates[g_rand_int_range (rand, 0, G_N_ELEMENTS (dates))]);
          g_assert_true (dft_store_save (f->store, record, &error));
        }
      else if (what == 6 && (record = random_record (f, rand, &dft_entity_session)) != NULL)
        g_assert_true (dft_store_delete (f->store, record, &error));
      else if (what == 7)
        {
          g_autoptr (DftRecord) session = dft_record_new_for_entity (&dft_entity_session);

          dft_record_set_string (session, "event_id",
                                 events[g_rand_int_range (rand, 0, G_N_ELEMENTS (events))]);
          dft_record_set_string (session, "date",
                                 dates[g_rand_int_range (rand, 0, G_N_ELEMENTS (dates))]);
          dft_record_set_string (session, "part", "am");
          g_assert_true (dft_store_save (f->store, session, &error));
        }
      else if (what == 8)
        {
          const char           *other = people[g_rand_int_range (rand, 0, G_N_ELEMENTS (people))];
          g_autoptr (DftRecord) merge
              = dft_store_merge_people (f->store, person, other, NULL, &error);

          /* Refused when the two are one already, were at one session, or were told apart. */
          if (merge != NULL)
            g_ptr_array_add (merges, g_strdup (dft_record_get_id (merge)));
        }
      else if (what == 9 && merges->len > 0)
        {
          guint i = g_rand_int_range (rand, 0, merges->len);

          /* Refused when a later merge builds on it. */
          if (dft_store_unmerge (f->store, g_ptr_array_index (merges, i), &error))
            g_ptr_array_remove_index (merges, i);
        }
      if (tally_differences (f) != 0)
        g_error ("seed %u, step %u (write %d): the kept tallies differ from a count made again",
                 seed, step, what);
    }
}

int
main (int argc, char **argv)
{
  dft_test_init (&argc, &argv);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/indicators/everything", test_everything);
  ADD ("/indicators/evaluation", test_evaluation);
  ADD ("/indicators/completion-share", test_completion_share);
  ADD ("/indicators/selections", test_selections);
  ADD ("/indicators/empty-selection", test_empty_selection);
  ADD ("/indicators/bad-selection", test_bad_selection);
  ADD ("/indicators/async", test_async);
  ADD ("/indicators/choices", test_choices);
  ADD ("/indicators/json", test_json);
  ADD ("/indicators/tally-follows-writes", test_tally_follows_writes);
#undef ADD
  g_test_add_data_func ("/indicators/sample-hand-count", NULL, test_sample_hand_count);
  g_test_add_data_func ("/indicators/sample-hand-count-server", "server", test_sample_hand_count);
  return g_test_run ();
}
