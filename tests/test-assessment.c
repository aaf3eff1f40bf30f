/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dft-store-forms.h"
#include "dft-store-private.h"
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

/* The submissions of @form_key in the fixture's event as CSV. */
static char *
export_csv (Fixture *f, const char *form_key)
{
  g_autoptr (GError)        error = NULL;
  g_autoptr (GOutputStream) out = g_memory_output_stream_new_resizable ();

  g_assert_true (dft_submissions_export_csv (f->store, form_key, f->event_id, out, NULL, &error));
  g_assert_no_error (error);
  g_output_stream_write_all (out, "", 1, NULL, NULL, NULL);
  g_output_stream_close (out, NULL, NULL);
  return g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (out));
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
  g_autoptr (DftRecord)  v1 = dft_form_store_save (f->store, form, &error);
  g_autoptr (DftRecord)  v2 = NULL;
  g_autoptr (DftRecord)  s1 = NULL;
  g_autoptr (DftRecord)  s2 = NULL;
  g_autoptr (DftFormRun) run = dft_form_run_new (form, &error);
  g_autoptr (DftFormRun) run2 = NULL;
  g_autofree char       *csv = NULL;
  DftQuestion           *extra = dft_question_new (DFT_QUESTION_TEXT, "worst");

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

  csv = export_csv (f, "eval");
  g_test_message ("%s", csv);
  g_assert_true (g_str_has_prefix (csv, "\xEF\xBB\xBFsubmission,form version,"));
  g_assert_nonnull (strstr (csv, ",best,r/x,worst\r\n"));
  /* Version 1's row: its answers, the repeat's instances joined, a formula made inert. */
  g_assert_nonnull (strstr (csv, ",1,final,"));
  g_assert_nonnull (strstr (csv, ",'=cmd|' /C calc'!A0,\"one | two, three\",\r\n"));
  g_assert_nonnull (strstr (csv, ",2,final,"));
  g_assert_nonnull (strstr (csv, ",,,Coffee\r\n"));
}

/* A rank's answer exports as the person ordered it, the values as the form wrote them. */
static void
test_export_rank (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = dft_form_new_from_json (
      "{\"format\": \"daftari-form\", \"id\": \"needs\", \"questions\": ["
      "{\"type\": \"rank\", \"name\": \"needs\", \"choices\": ["
      "  {\"value\": \"water\"}, {\"value\": \"roads\"}, {\"value\": \"school\"}]}]}",
      -1, &error);
  g_autoptr (DftRecord)  version = dft_form_store_save (f->store, form, &error);
  g_autoptr (DftRecord)  submission = NULL;
  g_autoptr (DftFormRun) run = dft_form_run_new (form, &error);
  g_autofree char       *csv = NULL;

  g_assert_no_error (error);
  answer (run, "/data/needs", "school water roads");
  g_assert_true (dft_form_run_check (run, "/data/needs", "und", TRUE, NULL));
  submission
      = dft_form_store_submit (f->store, version, NULL, run, f->event_id, NULL, NULL, TRUE, &error);
  g_assert_no_error (error);
  csv = export_csv (f, "needs");
  g_assert_nonnull (strstr (csv, ",needs\r\n"));
  g_assert_nonnull (strstr (csv, ",school water roads\r\n"));
}

/* ---- A form save is one write -------------------------------------------------------- */

/* The quiz with question 4 asking @label: each label a new definition of "cyber_test". */
static DftForm *
load_quiz_asking (const char *label)
{
  DftForm *form = load_quiz ();

  dft_text_set (dft_form_lookup (form, "q4")->label, "en", label);
  return form;
}

/*
 * A new version that replaces one nobody answered is two changes that sync, in this order:
 * the old version's delete, then the new version with all its fields.
 */
static void
test_versions_change_log (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) old = load_quiz_asking ("Which convention?");
  g_autoptr (DftForm) new = load_quiz_asking ("Which convention, exactly?");
  g_autoptr (DftRecord) v1 = dft_form_store_save (f->store, old, &error);
  g_autoptr (DftRecord) v2 = NULL;
  g_autoptr (GPtrArray) log = NULL;
  gint64                before = dft_store_last_seq (f->store, &error);
  DftChange *delete, *create;

  g_assert_no_error (error);
  v2 = dft_form_store_save (f->store, new, &error);
  g_assert_no_error (error);
  log = dft_store_read_log (f->store, before, 0, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (log->len, ==, 2);
  delete = g_ptr_array_index (log, 0);
  create = g_ptr_array_index (log, 1);
  g_assert_cmpstr (delete->entity, ==, "form");
  g_assert_cmpstr (delete->record_id, ==, dft_record_get_id (v1));
  g_assert_cmpuint (json_object_get_size (delete->fields), ==, 1);
  g_assert_true (json_object_get_boolean_member (delete->fields, "deleted"));
  g_assert_cmpstr (create->entity, ==, "form");
  g_assert_cmpstr (create->record_id, ==, dft_record_get_id (v2));
  g_assert_cmpint (json_object_get_int_member (create->fields, "version"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (create->fields, "definition"), ==,
                   dft_record_get_string (v2, "definition"));
  g_assert_false (json_object_get_boolean_member (create->fields, "deleted"));
  g_assert_cmpuint (create->hlc, >, delete->hlc);
}

/* How many versions of the quiz the store holds, and how many are on the list. */
static guint
count_versions (DftStore *store, guint *n_live)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) versions = dft_store_list_form_versions (store, "cyber_test", &error);

  g_assert_no_error (error);
  *n_live = 0;
  for (guint i = 0; i < versions->len; i++)
    if (!dft_record_get_deleted (g_ptr_array_index (versions, i)))
      (*n_live)++;
  return versions->len;
}

/* Counts commits down and kills this process at the one that would make it reach zero. */
static int
kill_at_commit_cb (void *data)
{
  int *left = data;

  if (--*left == 0)
    kill (getpid (), SIGKILL);
  return 0;
}

/* In a child process: saves @form into the store at @path and is killed at its @kill_at-th
 * commit. Exits 0 when the save ended before that. Returns the child's wait status. */
static int
save_and_kill (const char *path, DftForm *form, int kill_at)
{
  int   status;
  pid_t pid;

  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      g_autoptr (GError)    error = NULL;
      g_autoptr (DftStore)  store = dft_store_open (path, &error);
      g_autoptr (DftRecord) saved = NULL;
      int                   left = kill_at;

      if (store == NULL)
        _exit (2);
      sqlite3_commit_hook (_dft_store_get_db (store), kill_at_commit_cb, &left);
      saved = dft_form_store_save (store, form, &error);
      if (saved == NULL)
        {
          g_printerr ("saving the form: %s\n", error->message);
          _exit (1);
        }
      /* Whatever else would run at exit is the parent's. */
      _exit (0);
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  return status;
}

/*
 * A process killed in the middle of saving a new version of a form leaves the old version
 * or the new one, never neither: the save is killed at its first commit, then at its second,
 * and so on until one run finishes.
 */
static void
test_versions_crash (void)
{
  g_autoptr (DftForm) old = load_quiz_asking ("Which convention?");
  g_autoptr (DftForm) new = load_quiz_asking ("Which convention, exactly?");
  g_autofree char *old_json = NULL;
  g_autofree char *new_json = NULL;
  gboolean         finished = FALSE;

  g_assert_true (dft_form_prepare (old, NULL) && dft_form_prepare (new, NULL));
  old_json = dft_form_to_json (old, DFT_FORM_JSON_DEFAULT);
  new_json = dft_form_to_json (new, DFT_FORM_JSON_DEFAULT);

  for (int kill_at = 1; !finished; kill_at++)
    {
      g_autoptr (GError)    error = NULL;
      g_autofree char      *dir = dft_test_make_dir ();
      g_autofree char      *path = g_build_filename (dir, "daftari.db", NULL);
      g_autoptr (DftStore)  store = dft_store_open (path, &error);
      g_autoptr (DftRecord) v1 = NULL;
      g_autoptr (DftRecord) latest = NULL;
      const char           *definition;
      guint                 n_live;
      int                   status;

      g_assert_no_error (error);
      v1 = dft_form_store_save (store, old, &error);
      g_assert_no_error (error);
      dft_test_release_store (g_steal_pointer (&store));

      status = save_and_kill (path, new, kill_at);
      if (WIFEXITED (status))
        {
          g_assert_cmpint (WEXITSTATUS (status), ==, 0);
          finished = TRUE;
        }
      else
        {
          g_assert_true (WIFSIGNALED (status));
          g_assert_cmpint (WTERMSIG (status), ==, SIGKILL);
        }

      store = dft_store_open (path, &error);
      g_assert_no_error (error);
      latest = dft_form_store_latest (store, "cyber_test", &error);
      g_assert_no_error (error);
      g_test_message ("killed at commit %d: %s", kill_at,
                      finished         ? "not killed"
                      : latest == NULL ? "no form left"
                                       : "a form left");
      g_assert_nonnull (latest);
      definition = dft_record_get_string (latest, "definition");
      if (finished)
        g_assert_cmpstr (definition, ==, new_json);
      else
        g_assert_true (g_str_equal (definition, old_json) || g_str_equal (definition, new_json));
      /* One version on the list: the other one is its tombstone, or was never written. */
      count_versions (store, &n_live);
      g_assert_cmpuint (n_live, ==, 1);
      dft_test_release_store (g_steal_pointer (&store));
      dft_test_dir_free (g_steal_pointer (&dir));
      g_assert_cmpint (kill_at, <, 10);
    }
}

#define SAVERS       2
#define SAVER_ROUNDS 25

typedef struct
{
  DftStore *store;
  guint     saver;
  gint64    versions[SAVER_ROUNDS];
  char     *ids[SAVER_ROUNDS];
} Saver;

static gpointer
saver_thread (gpointer data)
{
  Saver *saver = data;

  for (guint round = 0; round < SAVER_ROUNDS; round++)
    {
      g_autofree char      *label = g_strdup_printf ("saver %u, round %u", saver->saver, round);
      g_autoptr (DftForm)   form = load_quiz_asking (label);
      g_autoptr (GError)    error = NULL;
      g_autoptr (DftRecord) saved = dft_form_store_save (saver->store, form, &error);

      g_assert_no_error (error);
      saver->versions[round] = dft_record_get_int (saved, "version");
      saver->ids[round] = g_strdup (dft_record_get_id (saved));
    }
  return NULL;
}

/*
 * Two savers make new versions of the same form at once, on one store (two threads of the
 * app) or each on its own store of the same file (two processes): every number is taken
 * once, and every save is in the store with the number it was given.
 */
static void
test_versions_concurrent (gconstpointer data)
{
  gboolean               one_store = GPOINTER_TO_INT (data);
  g_autoptr (GError)     error = NULL;
  g_autofree char       *dir = dft_test_make_dir ();
  g_autoptr (DftForm)    form = load_quiz ();
  g_autoptr (DftRecord)  v1 = NULL;
  g_autoptr (GHashTable) taken = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr (GArray)     numbers = g_array_new (FALSE, FALSE, sizeof (gint64));
  Saver                  savers[SAVERS] = { 0 };
  guint                  n_live;
  GThread               *threads[SAVERS];

  for (guint i = 0; i < SAVERS; i++)
    {
      savers[i].saver = i;
      savers[i].store = one_store && i > 0 ? g_object_ref (savers[0].store)
                                           : dft_test_open_replica (dir, "daftari.db");
    }
  v1 = dft_form_store_save (savers[0].store, form, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < SAVERS; i++)
    threads[i] = g_thread_new ("saver", saver_thread, &savers[i]);
  for (guint i = 0; i < SAVERS; i++)
    g_thread_join (threads[i]);

  g_array_append_val (numbers, *(gint64[]){ 1 });
  for (guint i = 0; i < SAVERS; i++)
    for (guint round = 0; round < SAVER_ROUNDS; round++)
      {
        g_autoptr (DftRecord) reread
            = dft_store_load (savers[0].store, &dft_entity_form, savers[i].ids[round], &error);

        g_assert_no_error (error);
        g_assert_cmpint (dft_record_get_int (reread, "version"), ==, savers[i].versions[round]);
        g_array_append_val (numbers, savers[i].versions[round]);
      }
  for (guint n = 0; n < numbers->len; n++)
    {
      gint64 *number = &g_array_index (numbers, gint64, n);

      if (g_hash_table_contains (taken, number))
        g_test_message ("version %" G_GINT64_FORMAT " was taken twice", *number);
      g_assert_false (g_hash_table_contains (taken, number));
      g_hash_table_add (taken, number);
      g_assert_cmpint (*number, >=, 1);
      g_assert_cmpint (*number, <=, 1 + SAVERS * SAVER_ROUNDS);
    }
  /* No version but the saved ones, and only the newest on the list. */
  g_assert_cmpuint (count_versions (savers[0].store, &n_live), ==, 1 + SAVERS * SAVER_ROUNDS);
  g_assert_cmpuint (n_live, ==, 1);

  /* The first saver's store goes last: in one store, the others hold it too. */
  for (guint i = SAVERS; i-- > 0;)
    {
      for (guint round = 0; round < SAVER_ROUNDS; round++)
        g_free (savers[i].ids[round]);
      if (one_store && i > 0)
        g_object_unref (savers[i].store);
      else
        dft_test_release_store (savers[i].store);
    }
  dft_test_dir_free (g_steal_pointer (&dir));
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
  g_test_add ("/assessment/export/rank", Fixture, NULL, fixture_set_up, test_export_rank,
              fixture_tear_down);
  g_test_add ("/assessment/form-versions/change-log", Fixture, NULL, fixture_set_up,
              test_versions_change_log, fixture_tear_down);
  g_test_add_func ("/assessment/form-versions/crash", test_versions_crash);
  g_test_add_data_func ("/assessment/form-versions/concurrent/one-store", GINT_TO_POINTER (TRUE),
                        test_versions_concurrent);
  g_test_add_data_func ("/assessment/form-versions/concurrent/two-stores", GINT_TO_POINTER (FALSE),
                        test_versions_concurrent);
  return g_test_run ();
}
