/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "dft-test-util.h"
#include "forms/dft-assessment.h"
#include "forms/dft-form-store.h"
#include "forms/dft-submission-export.h"

static const char quiz[]
    = "{"
      "\"format\": \"daftari-form\", \"id\": \"cyber_test\", \"kind\": \"assessment\","
      "\"title\": \"Cybercrime test\", \"pass_percent\": 60,"
      "\"choice_lists\": {\"abc\": [{\"value\": \"a\"}, {\"value\": \"b\"}, {\"value\": \"c\"},"
      "                             {\"value\": \"d\"}]},"
      "\"questions\": ["
      "  {\"type\": \"select_one\", \"name\": \"q1\", \"choices\": \"abc\", \"correct\": \"b\","
      "   \"points\": 2},"
      "  {\"type\": \"select_multiple\", \"name\": \"q2\", \"choices\": \"abc\","
      "   \"correct\": [\"a\", \"c\"], \"points\": 4, \"partial_credit\": true},"
      "  {\"type\": \"select_multiple\", \"name\": \"q3\", \"choices\": \"abc\","
      "   \"correct\": [\"a\", \"d\"], \"points\": 1},"
      "  {\"type\": \"text\", \"name\": \"q4\", \"correct\": [\"Budapest Convention\"], "
      "\"points\": 1},"
      "  {\"type\": \"integer\", \"name\": \"q5\", \"correct\": \"72\", \"points\": 1},"
      "  {\"type\": \"select_one\", \"name\": \"bonus_shown\", \"choices\": \"abc\"},"
      "  {\"type\": \"select_one\", \"name\": \"bonus\", \"choices\": \"abc\", \"correct\": \"a\","
      "   \"points\": 10, \"relevant\": \"${bonus_shown} = 'a'\"}"
      "]}";

static DftForm *
load_quiz (void)
{
  g_autoptr (GError) error = NULL;
  DftForm           *form = dft_form_new_from_json (quiz, -1, &error);

  g_assert_no_error (error);
  g_assert_true (dft_form_prepare (form, &error));
  return form;
}

static void
answer (DftFormRun *run, const char *path, const char *value)
{
  g_autoptr (GError) error = NULL;

  dft_form_run_set_answer (run, path, value, NULL, &error);
  g_assert_no_error (error);
}

static void
test_question_scores (void)
{
  g_autoptr (DftForm) form = load_quiz ();
  DftQuestion        *q2 = dft_form_lookup (form, "q2");
  DftQuestion        *q3 = dft_form_lookup (form, "q3");
  DftQuestion        *q4 = dft_form_lookup (form, "q4");
  DftQuestion        *q5 = dft_form_lookup (form, "q5");

  g_assert_true (dft_form_is_assessment (form));
  /* Partial credit: (right − wrong) / right values. */
  g_assert_cmpfloat_with_epsilon (dft_question_score (q2, "a c"), 4, 1e-9);
  g_assert_cmpfloat_with_epsilon (dft_question_score (q2, "a"), 2, 1e-9);
  g_assert_cmpfloat_with_epsilon (dft_question_score (q2, "a b"), 0, 1e-9);
  g_assert_cmpfloat_with_epsilon (dft_question_score (q2, "a b c"), 2, 1e-9);
  /* Without it, all or nothing. */
  g_assert_cmpfloat_with_epsilon (dft_question_score (q3, "a d"), 1, 1e-9);
  g_assert_cmpfloat_with_epsilon (dft_question_score (q3, "a"), 0, 1e-9);
  g_assert_cmpfloat_with_epsilon (dft_question_score (q4, "  budapest convention "), 1, 1e-9);
  g_assert_cmpfloat_with_epsilon (dft_question_score (q5, "72.0"), 1, 1e-9);
  g_assert_cmpfloat_with_epsilon (dft_question_score (q5, "7"), 0, 1e-9);
  g_assert_cmpfloat_with_epsilon (dft_question_score (q5, ""), 0, 1e-9);
}

static void
test_run_score_and_pass_mark (void)
{
  g_autoptr (DftForm)    form = load_quiz ();
  g_autoptr (DftFormRun) run = dft_form_run_new (form, NULL);
  DftScore               score;

  answer (run, "/data/q1", "b");
  answer (run, "/data/q2", "a");
  answer (run, "/data/q5", "72");
  dft_form_run_score (run, &score);
  /* The hidden bonus counts neither way: 2 + 2 + 1 of 9. */
  g_assert_cmpfloat_with_epsilon (score.points, 5, 1e-9);
  g_assert_cmpfloat_with_epsilon (score.max, 9, 1e-9);
  g_assert_false (score.passed);
  answer (run, "/data/q2", "a c");
  dft_form_run_score (run, &score);
  g_assert_cmpfloat_with_epsilon (score.percent, 700.0 / 9, 1e-9);
  g_assert_true (score.passed);
  answer (run, "/data/bonus_shown", "a");
  dft_form_run_score (run, &score);
  g_assert_cmpfloat_with_epsilon (score.max, 19, 1e-9);
  g_assert_false (score.passed);
}

typedef struct
{
  char     *dir;
  DftStore *store;
  char     *event_id;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autofree char      *path = NULL;
  g_autoptr (DftRecord) event = NULL;

  f->dir = dft_test_make_dir ();
  path = g_build_filename (f->dir, "daftari.db", NULL);
  f->store = dft_store_open (path, &error);
  g_assert_no_error (error);
  event = dft_test_add_event (f->store, "Cybercrime", "2026-03-02", "2026-03-04");
  f->event_id = g_strdup (dft_record_get_id (event));
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_free (f->event_id);
  dft_test_release_store (f->store);
  dft_test_dir_free (f->dir);
}

static void
test_versions (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (DftForm)    form = load_quiz ();
  g_autoptr (DftRecord)  v1 = dft_form_store_save (f->store, form, &error);
  g_autoptr (DftRecord)  same = NULL;
  g_autoptr (DftRecord)  v2 = NULL;
  g_autoptr (DftRecord)  v3 = NULL;
  g_autoptr (DftRecord)  sub = NULL;
  g_autoptr (DftRecord)  reread = NULL;
  g_autoptr (DftFormRun) run = NULL;
  g_autoptr (DftForm)    old = NULL;
  DftQuestion           *q4;

  g_assert_no_error (error);
  g_assert_cmpint (dft_record_get_int (v1, "version"), ==, 1);
  same = dft_form_store_save (f->store, form, &error);
  g_assert_cmpstr (dft_record_get_id (same), ==, dft_record_get_id (v1));

  /* Nobody answered version 1: version 2 replaces it in the list. */
  q4 = dft_form_lookup (form, "q4");
  dft_text_set (q4->label, "en", "Which convention?");
  v2 = dft_form_store_save (f->store, form, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dft_record_get_int (v2, "version"), ==, 2);
  reread = dft_store_load (f->store, &dft_entity_form, dft_record_get_id (v1), &error);
  g_assert_true (dft_record_get_deleted (reread));

  /* Version 2 is answered, then changed: both stay, and the answer keeps its version. */
  old = dft_form_store_load (f->store, dft_record_get_id (v2), &error);
  g_assert_no_error (error);
  run = dft_form_run_new (old, &error);
  answer (run, "/data/q1", "b");
  sub = dft_form_store_submit (f->store, v2, NULL, run, f->event_id, NULL, NULL, TRUE, &error);
  g_assert_no_error (error);
  dft_text_set (q4->label, "en", "Which convention, exactly?");
  v3 = dft_form_store_save (f->store, form, &error);
  g_assert_cmpint (dft_record_get_int (v3, "version"), ==, 3);
  g_clear_object (&reread);
  reread = dft_store_load (f->store, &dft_entity_form, dft_record_get_id (v2), &error);
  g_assert_false (dft_record_get_deleted (reread));
  g_assert_cmpstr (dft_record_get_string (sub, "form_id"), ==, dft_record_get_id (v2));
  g_clear_pointer (&old, dft_form_unref);
  old = dft_form_store_load (f->store, dft_record_get_string (sub, "form_id"), &error);
  g_assert_cmpstr (dft_text_get (dft_form_lookup (old, "q4")->label, "en"), ==,
                   "Which convention?");
}

static void
test_submit_draft_then_final (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = dft_form_new_from_json (
      "{\"format\": \"daftari-form\", \"id\": \"t\", \"pass_percent\": 50, \"questions\": ["
      "{\"type\": \"integer\", \"name\": \"n\", \"required\": true, \"correct\": \"4\"},"
      "{\"type\": \"text\", \"name\": \"why\", \"relevant\": \"${n} = 5\"}]}",
      -1, &error);
  g_autoptr (DftRecord)  version = dft_form_store_save (f->store, form, &error);
  g_autoptr (DftFormRun) run = dft_form_run_new (form, &error);
  g_autoptr (DftRecord)  draft = NULL;
  g_autoptr (DftRecord)  final = NULL;
  g_autoptr (DftRecord)  reread = NULL;

  g_assert_no_error (error);
  draft = dft_form_store_submit (f->store, version, NULL, run, f->event_id, NULL, "pre", FALSE,
                                 &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dft_record_get_string (draft, "status"), ==, "draft");
  /* Finalizing with the required answer missing is refused and changes nothing. */
  g_assert_null (dft_form_store_submit (f->store, version, draft, run, f->event_id, NULL, "pre",
                                        TRUE, &error));
  g_assert_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "/data/n"));
  g_clear_error (&error);
  answer (run, "/data/n", "5");
  answer (run, "/data/why", "guess");
  answer (run, "/data/n", "4");
  final = dft_form_store_submit (f->store, version, draft, run, f->event_id, NULL, "pre", TRUE,
                                 &error);
  g_assert_no_error (error);
  reread = dft_store_load (f->store, &dft_entity_submission, dft_record_get_id (draft), &error);
  g_assert_cmpstr (dft_record_get_string (reread, "status"), ==, "final");
  g_assert_cmpstr (dft_record_get_string (reread, "phase"), ==, "pre");
  g_assert_cmpfloat_with_epsilon (dft_record_get_real (reread, "score"), 100, 1e-9);
  /* The answer to a question that got hidden again is not kept. */
  g_assert_null (strstr (dft_record_get_string (reread, "answers"), "guess"));
}

static void
take_test (Fixture           *f,
           DftRecord         *version,
           DftForm           *form,
           const char        *person,
           const char        *phase,
           const char *const *answers)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (DftFormRun) run = dft_form_run_new (form, &error);
  g_autoptr (DftRecord)  sub = NULL;
  const char            *names[] = { "/data/q1", "/data/q2", "/data/q3", "/data/q4", "/data/q5" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    answer (run, names[i], answers[i]);
  sub = dft_form_store_submit (f->store, version, NULL, run, f->event_id, person, phase, TRUE,
                               &error);
  g_assert_no_error (error);
}

static void
test_gain (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftForm)   form = load_quiz ();
  g_autoptr (DftRecord) version = dft_form_store_save (f->store, form, &error);
  g_autoptr (DftRecord) aibek = dft_test_add_person (f->store, "Айбек", "Токтогулов");
  g_autoptr (DftRecord) nino = dft_test_add_person (f->store, "ნინო", "კაპანაძე");
  g_autoptr (DftRecord)     juma = dft_test_add_person (f->store, "Juma", "Mwakyusa");
  g_autoptr (DftGainReport) report = NULL;
  const char               *none[] = { "", "", "", "", "" };
  const char               *some[] = { "b", "a", "", "", "" };     /* 2 + 2 = 4 of 9 */
  const char               *most[] = { "b", "a c", "", "", "72" }; /* 7 of 9 */
  const char               *all[] = { "b", "a c", "a d", "budapest convention", "72" };
  const char               *a = dft_record_get_id (aibek), *n = dft_record_get_id (nino);

  take_test (f, version, form, a, "pre", none);
  take_test (f, version, form, a, "pre", some); /* a retake: the later one counts */
  take_test (f, version, form, a, "post", most);
  take_test (f, version, form, n, "pre", all);
  take_test (f, version, form, n, "post", all);
  take_test (f, version, form, dft_record_get_id (juma), "pre", some);

  report = dft_assessment_gain (f->store, f->event_id, "cyber_test", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (report->rows->len, ==, 3);
  g_assert_cmpuint (report->n_pre, ==, 3);
  g_assert_cmpuint (report->n_post, ==, 2);
  g_assert_cmpuint (report->n_pairs, ==, 2);
  for (guint i = 0; i < report->rows->len; i++)
    {
      DftGainRow *row = g_ptr_array_index (report->rows, i);

      if (g_strcmp0 (row->person_id, a) == 0)
        {
          g_assert_cmpfloat_with_epsilon (row->pre, 400.0 / 9, 1e-9);
          g_assert_cmpfloat_with_epsilon (row->gain, 300.0 / 9, 1e-9);
          g_assert_cmpfloat_with_epsilon (row->normalized, 3.0 / 5, 1e-9);
        }
      else if (g_strcmp0 (row->person_id, n) == 0)
        {
          g_assert_cmpfloat_with_epsilon (row->gain, 0, 1e-9);
          g_assert_true (isnan (row->normalized)); /* a full pre-test has nothing to gain */
        }
      else
        {
          g_assert_false (row->has_post);
          g_assert_true (isnan (row->gain));
        }
    }
  g_assert_cmpfloat_with_epsilon (report->mean_gain, 150.0 / 9, 1e-9);
  /* Hake: (mean post − mean pre) / (100 − mean pre) over the pairs. */
  {
    double pre = (400.0 / 9 + 100) / 2, post = (700.0 / 9 + 100) / 2;

    g_assert_cmpfloat_with_epsilon (report->normalized_gain, (post - pre) / (100 - pre), 1e-9);
  }
}

/* A test given as two forms, a pre-test form and a post-test form that names it: their
 * submissions pair for gain from either key, and one without a phase of its own takes its
 * form's. */
static DftRecord *
save_half (Fixture *f, const char *id, const char *phase, const char *pairs_with, DftForm **out)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *json = NULL;
  DftRecord         *version;

  json = g_strdup_printf ("{\"format\": \"daftari-form\", \"id\": \"%s\", \"kind\": "
                          "\"assessment\", \"phase\": \"%s\"%s%s%s,"
                          "\"questions\": [{\"type\": \"integer\", \"name\": \"q1\","
                          " \"correct\": \"72\"}, {\"type\": \"integer\", \"name\": \"q2\","
                          " \"correct\": \"1\"}]}",
                          id, phase, pairs_with != NULL ? ", \"pairs_with\": \"" : "",
                          pairs_with != NULL ? pairs_with : "", pairs_with != NULL ? "\"" : "");
  *out = dft_form_new_from_json (json, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr ((*out)->phase, ==, phase);
  g_assert_cmpstr ((*out)->pairs_with, ==, pairs_with);
  version = dft_form_store_save (f->store, *out, &error);
  g_assert_no_error (error);
  return version;
}

static void
take_half (Fixture *f, DftRecord *version, DftForm *form, const char *person, const char *q1)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (DftFormRun) run = dft_form_run_new (form, &error);
  g_autoptr (DftRecord)  sub = NULL;

  answer (run, "/data/q1", q1);
  answer (run, "/data/q2", "1");
  /* No phase given: the form says which test it is. */
  sub = dft_form_store_submit (f->store, version, NULL, run, f->event_id, person, NULL, TRUE,
                               &error);
  g_assert_no_error (error);
}

static void
test_gain_paired_forms (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftForm)   pre_form = NULL;
  g_autoptr (DftForm)   post_form = NULL;
  g_autoptr (DftRecord) pre = save_half (f, "osh-pre", "pre", NULL, &pre_form);
  g_autoptr (DftRecord) post = save_half (f, "osh-post", "post", "osh-pre", &post_form);
  g_autoptr (DftRecord) aibek = dft_test_add_person (f->store, "Айбек", "Токтогулов");
  g_autoptr (DftRecord) nino = dft_test_add_person (f->store, "ნინო", "კაპანაძე");
  const char           *keys[] = { "osh-pre", "osh-post" };

  take_half (f, pre, pre_form, dft_record_get_id (aibek), "0");    /* 50 % */
  take_half (f, post, post_form, dft_record_get_id (aibek), "72"); /* 100 % */
  take_half (f, pre, pre_form, dft_record_get_id (nino), "72");
  /* Either key of the pair gives the same report. */
  for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
    {
      g_autoptr (DftGainReport) report
          = dft_assessment_gain (f->store, f->event_id, keys[k], &error);

      g_assert_no_error (error);
      g_assert_cmpuint (report->n_pre, ==, 2);
      g_assert_cmpuint (report->n_post, ==, 1);
      g_assert_cmpuint (report->n_pairs, ==, 1);
      g_assert_cmpfloat_with_epsilon (report->mean_gain, 50, 1e-9);
    }
  /* A form of another test stays out. */
  {
    g_autoptr (DftForm)       other = load_quiz ();
    g_autoptr (DftRecord)     version = dft_form_store_save (f->store, other, &error);
    g_autoptr (DftGainReport) report = NULL;

    g_assert_no_error (error);
    report = dft_assessment_gain (f->store, f->event_id, "cyber_test", &error);
    g_assert_no_error (error);
    g_assert_cmpuint (report->n_pre, ==, 0);
  }
}

/* Submissions of two versions export together, each read with its own version. */
static void
test_export (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form
      = dft_form_new_from_json ("{\"format\": \"daftari-form\", \"id\": \"eval\", \"questions\": ["
                                "{\"type\": \"text\", \"name\": \"best\"},"
                                "{\"type\": \"repeat\", \"name\": \"r\", \"children\": ["
                                "  {\"type\": \"text\", \"name\": \"x\"}]}]}",
                                -1, &error);
  g_autoptr (DftRecord)     v1 = dft_form_store_save (f->store, form, &error);
  g_autoptr (DftRecord)     v2 = NULL;
  g_autoptr (DftRecord)     s1 = NULL;
  g_autoptr (DftRecord)     s2 = NULL;
  g_autoptr (DftFormRun)    run = dft_form_run_new (form, &error);
  g_autoptr (DftFormRun)    run2 = NULL;
  g_autoptr (GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autofree char          *csv = NULL;
  DftQuestion              *extra = dft_question_new (DFT_QUESTION_TEXT, "worst");

  g_assert_no_error (error);
  answer (run, "/data/best", "=cmd|' /C calc'!A0");
  g_assert_cmpuint (dft_form_run_add_instance (run, "/data/r", &error), ==, 2);
  answer (run, "/data/r[1]/x", "one");
  answer (run, "/data/r[2]/x", "two, three");
  s1 = dft_form_store_submit (f->store, v1, NULL, run, f->event_id, NULL, NULL, TRUE, &error);
  g_assert_no_error (error);

  dft_form_add_question (form, extra);
  v2 = dft_form_store_save (f->store, form, &error);
  g_assert_no_error (error);
  run2 = dft_form_run_new (form, &error);
  answer (run2, "/data/worst", "Coffee");
  s2 = dft_form_store_submit (f->store, v2, NULL, run2, f->event_id, NULL, NULL, TRUE, &error);

  g_assert_true (dft_submissions_export_csv (f->store, "eval", f->event_id, out, NULL, &error));
  g_assert_no_error (error);
  g_output_stream_write_all (out, "", 1, NULL, NULL, NULL);
  g_output_stream_close (out, NULL, NULL);
  csv = g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (out));
  g_test_message ("%s", csv);
  g_assert_true (g_str_has_prefix (csv, "\xEF\xBB\xBFsubmission,form version,"));
  g_assert_nonnull (strstr (csv, ",best,r/x,worst\r\n"));
  /* Version 1's row: its answers, the repeat's instances joined, a formula made inert. */
  g_assert_nonnull (strstr (csv, ",1,final,"));
  g_assert_nonnull (strstr (csv, ",'=cmd|' /C calc'!A0,\"one | two, three\",\r\n"));
  g_assert_nonnull (strstr (csv, ",2,final,"));
  g_assert_nonnull (strstr (csv, ",,,Coffee\r\n"));
}

int
main (int argc, char **argv)
{
  dft_test_init (&argc, &argv);
  g_test_add_func ("/assessment/question-scores", test_question_scores);
  g_test_add_func ("/assessment/run-score", test_run_score_and_pass_mark);
  g_test_add ("/assessment/form-versions", Fixture, NULL, fixture_set_up, test_versions,
              fixture_tear_down);
  g_test_add ("/assessment/submit", Fixture, NULL, fixture_set_up, test_submit_draft_then_final,
              fixture_tear_down);
  g_test_add ("/assessment/gain", Fixture, NULL, fixture_set_up, test_gain, fixture_tear_down);
  g_test_add ("/assessment/gain/paired-forms", Fixture, NULL, fixture_set_up,
              test_gain_paired_forms, fixture_tear_down);
  g_test_add ("/assessment/export", Fixture, NULL, fixture_set_up, test_export, fixture_tear_down);
  return g_test_run ();
}
