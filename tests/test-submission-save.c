/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dft-test-util.h"
#include "forms/dft-form-store.h"
#include "forms/dft-submission-save.h"

/* The form filler's disk work, in a worker: the form read, the answers saved. */

typedef struct
{
  char      *dir;
  DftStore  *store;
  DftForm   *form;
  DftRecord *version;
  char      *event_id;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) event = NULL;

  f->store = dft_test_open_store (&f->dir);
  event = dft_test_add_event (f->store, "Cybercrime", "2026-03-02", "2026-03-04");
  f->event_id = g_strdup (dft_record_get_id (event));
  f->form = dft_form_new_from_json (
      "{\"format\": \"daftari-form\", \"id\": \"t\", \"title\": \"Test\", \"questions\": ["
      "{\"type\": \"integer\", \"name\": \"n\", \"required\": true}]}",
      -1, &error);
  g_assert_no_error (error);
  f->version = dft_form_store_save (f->store, f->form, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->version);
  g_clear_pointer (&f->form, dft_form_unref);
  g_free (f->event_id);
  dft_test_release_store (f->store);
  dft_test_dir_free (f->dir);
}

static void
got_result_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* Runs the main loop until the callback has come, as the UI thread would. */
static GAsyncResult *
wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

static DftFormRun *
run_with (DftForm *form, const char *n)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (DftFormRun) run = dft_form_run_new (form, &error);

  g_assert_no_error (error);
  if (n != NULL)
    {
      dft_form_run_set_answer (run, "/data/n", n, NULL, &error);
      g_assert_no_error (error);
    }
  return g_steal_pointer (&run);
}

static void
test_load (Fixture *f, gconstpointer data)
{
  g_autoptr (DftRecord)    person = dft_test_add_person (f->store, "Aigerim", "Bekova");
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (DftRecord)    owner = NULL;
  g_autoptr (GError)       error = NULL;
  g_autoptr (DftForm)      form = NULL;

  dft_submission_load_form_async (f->store, dft_record_get_id (f->version),
                                  dft_record_get_id (person), NULL, got_result_cb, &result);
  /* Nothing comes back before the main loop runs: the work is in a worker. */
  g_assert_null (result);
  form = dft_submission_load_form_finish (f->store, wait_for (&result), &owner, &error);
  g_assert_no_error (error);
  g_assert_nonnull (form);
  g_assert_nonnull (dft_form_lookup (form, "n"));
  g_assert_nonnull (owner);
  g_assert_cmpstr (dft_record_get_id (owner), ==, dft_record_get_id (person));
  g_assert_cmpstr (dft_record_get_string (owner, "family_name"), ==, "Bekova");
}

/* A person who cannot be read only leaves the form without a name; a form that cannot be read
 * is an error, and no person comes with it. */
static void
test_load_missing (Fixture *f, gconstpointer data)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GAsyncResult) missing = NULL;
  g_autoptr (DftRecord)    owner = NULL;
  g_autoptr (GError)       error = NULL;
  g_autoptr (DftForm)      form = NULL;

  dft_submission_load_form_async (f->store, dft_record_get_id (f->version), "no-such-person", NULL,
                                  got_result_cb, &result);
  form = dft_submission_load_form_finish (f->store, wait_for (&result), &owner, &error);
  g_assert_no_error (error);
  g_assert_nonnull (form);
  g_assert_null (owner);

  dft_submission_load_form_async (f->store, "no-such-form", "no-such-person", NULL, got_result_cb,
                                  &missing);
  g_assert_null (dft_submission_load_form_finish (f->store, wait_for (&missing), &owner, &error));
  g_assert_nonnull (error);
  g_assert_null (owner);
}

static void
test_save_draft_then_final (Fixture *f, gconstpointer data)
{
  g_autoptr (GAsyncResult) draft_result = NULL;
  g_autoptr (GAsyncResult) refused_result = NULL;
  g_autoptr (GAsyncResult) final_result = NULL;
  g_autoptr (DftRecord)    draft = NULL;
  g_autoptr (DftRecord)    final = NULL;
  g_autoptr (DftRecord)    reread = NULL;
  g_autoptr (GError)       error = NULL;

  dft_submission_save_async (f->store, f->version, NULL, run_with (f->form, NULL), f->event_id,
                             NULL, "pre", FALSE, NULL, got_result_cb, &draft_result);
  draft = dft_submission_save_finish (f->store, wait_for (&draft_result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dft_record_get_string (draft, "status"), ==, "draft");

  /* A final submission without the required answer is refused, as dft_form_store_submit()
   * refuses it. */
  dft_submission_save_async (f->store, f->version, draft, run_with (f->form, NULL), f->event_id,
                             NULL, "pre", TRUE, NULL, got_result_cb, &refused_result);
  g_assert_null (dft_submission_save_finish (f->store, wait_for (&refused_result), &error));
  g_assert_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID);
  g_clear_error (&error);

  dft_submission_save_async (f->store, f->version, draft, run_with (f->form, "4"), f->event_id,
                             NULL, "pre", TRUE, NULL, got_result_cb, &final_result);
  final = dft_submission_save_finish (f->store, wait_for (&final_result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dft_record_get_id (final), ==, dft_record_get_id (draft));
  reread = dft_store_load (f->store, &dft_entity_submission, dft_record_get_id (draft), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dft_record_get_string (reread, "status"), ==, "final");
  g_assert_cmpstr (dft_record_get_string (reread, "phase"), ==, "pre");
  g_assert_cmpstr (dft_record_get_string (reread, "event_id"), ==, f->event_id);
}

/* Cancelled before it reports, a save says so, whatever the worker did: the filler drops the
 * answer of a form it no longer shows. */
static void
test_cancelled (Fixture *f, gconstpointer data)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError)       error = NULL;

  dft_submission_save_async (f->store, f->version, NULL, run_with (f->form, "4"), f->event_id, NULL,
                             NULL, FALSE, cancellable, got_result_cb, &result);
  g_cancellable_cancel (cancellable);
  g_assert_null (dft_submission_save_finish (f->store, wait_for (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

int
main (int argc, char **argv)
{
  dft_test_init (&argc, &argv);
  g_test_add ("/submission-save/load", Fixture, NULL, fixture_set_up, test_load, fixture_tear_down);
  g_test_add ("/submission-save/load/missing", Fixture, NULL, fixture_set_up, test_load_missing,
              fixture_tear_down);
  g_test_add ("/submission-save/save", Fixture, NULL, fixture_set_up, test_save_draft_then_final,
              fixture_tear_down);
  g_test_add ("/submission-save/cancelled", Fixture, NULL, fixture_set_up, test_cancelled,
              fixture_tear_down);
  return g_test_run ();
}
