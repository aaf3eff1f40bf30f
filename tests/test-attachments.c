/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "dft-store-attachments.h"
#include "dft-test-util.h"

/* Files attached to submissions, as the store keeps them (dft-store-attachments.h). */

typedef struct
{
  char     *dir;
  DftStore *store;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *path = NULL;

  f->dir = dft_test_make_dir ();
  path = g_build_filename (f->dir, "daftari.db", NULL);
  f->store = dft_store_open (path, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  dft_test_release_store (f->store);
  dft_test_dir_free (f->dir);
}

/* A photo's worth of bytes that are not all alike, from @seed. */
static GBytes *
make_bytes (gsize size, guint32 seed)
{
  guint8 *buffer = g_malloc (size);
  GRand  *rand = g_rand_new_with_seed (seed);

  for (gsize i = 0; i < size; i++)
    buffer[i] = (guint8) g_rand_int (rand);
  g_rand_free (rand);
  return g_bytes_new_take (buffer, size);
}

/* A draft names the files: deleting it (a draft thrown away) names them no more. */
static void
set_draft_answers (DftStore *store, const char *id, const char *answers)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) submission = dft_store_load (store, &dft_entity_submission, id, &error);

  g_assert_no_error (error);
  dft_record_set_string (submission, "answers", answers);
  g_assert_true (dft_store_save (store, submission, &error));
  g_assert_no_error (error);
}

static void
test_answers (void)
{
  char             sha[65];
  const char      *hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  g_autofree char *jpeg = dft_attachment_answer_for (hash, "/home/t/Photo 1.JPG");
  g_autofree char *none = dft_attachment_answer_for (hash, "README");
  g_autofree char *odd = dft_attachment_answer_for (hash, "x.t@r");

  g_assert_cmpstr (jpeg, ==,
                   "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.jpg");
  g_assert_true (g_str_has_suffix (none, ".bin"));
  g_assert_true (g_str_has_suffix (odd, ".bin"));
  g_assert_true (dft_attachment_parse_answer (jpeg, sha));
  g_assert_cmpstr (sha, ==, hash);
  g_assert_false (dft_attachment_parse_answer (hash, NULL));
  g_assert_false (dft_attachment_parse_answer ("photo.jpg", NULL));
  g_assert_false (dft_attachment_parse_answer (NULL, NULL));
  /* Upper-case hex is not what Daftari writes: no answer typed in by hand passes for one. */
  g_assert_false (dft_attachment_parse_answer (
      "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08.jpg", NULL));
  g_assert_false (dft_attachment_parse_answer (
      "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.j g", NULL));
}

static void
test_add_and_read (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = make_bytes (300000, 1);
  g_autofree char   *answer
      = dft_store_add_attachment (f->store, bytes, "/tmp/site.png", NULL, &error);
  g_autofree char              *again = NULL;
  g_autoptr (DftAttachmentInfo) info = NULL;
  g_autoptr (GBytes)            read = NULL;
  g_autoptr (GBytes)            piece = NULL;
  gint64                        size = 0;

  g_assert_no_error (error);
  g_assert_true (dft_attachment_parse_answer (answer, NULL));
  g_assert_true (g_str_has_suffix (answer, ".png"));

  info = dft_store_get_attachment_info (f->store, answer, &error);
  g_assert_no_error (error);
  g_assert_cmpint (info->size, ==, 300000);
  g_assert_cmpstr (info->name, ==, "site.png");
  g_assert_cmpstr (info->media_type, ==, "image/png");

  read = dft_store_read_attachment (f->store, answer, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (read, bytes));

  piece = dft_store_read_attachment_range (f->store, info->sha256, 299990, 64, &size, &error);
  g_assert_no_error (error);
  g_assert_cmpint (size, ==, 300000);
  g_assert_cmpuint (g_bytes_get_size (piece), ==, 10);
  g_assert_cmpmem (g_bytes_get_data (piece, NULL), 10,
                   (const guint8 *) g_bytes_get_data (bytes, NULL) + 299990, 10);

  /* A file no answer names yet (a draft still being filled) outlives the store's reopening. */
  {
    g_autofree char *path = g_strdup (dft_store_get_path (f->store));

    dft_test_release_store (g_steal_pointer (&f->store));
    f->store = dft_store_open (path, &error);
    g_assert_no_error (error);
    g_clear_pointer (&info, dft_attachment_info_free);
    info = dft_store_get_attachment_info (f->store, answer, &error);
    g_assert_no_error (error);
  }

  /* The same bytes again are kept once, whatever they are called. */
  again = dft_store_add_attachment (f->store, bytes, "copy.png", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, answer);
}

static void
test_refused (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) big = make_bytes (DFT_ATTACHMENT_MAX_BYTES + 1, 2);
  g_autoptr (GBytes) empty = g_bytes_new_static ("", 0);
  char              *answer;

  answer = dft_store_add_attachment (f->store, big, "film.mp4", NULL, &error);
  g_assert_null (answer);
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "10485761"));
  g_clear_error (&error);

  answer = dft_store_add_attachment (f->store, empty, "empty.txt", NULL, &error);
  g_assert_null (answer);
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_null (dft_store_get_attachment_info (
      f->store, "0000000000000000000000000000000000000000000000000000000000000000.jpg", &error));
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND);
}

/* What a submission names is what sync uploads and fetches; a deleted one names nothing. */
static void
test_named_by_submissions (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = make_bytes (1000, 3);
  g_autofree char   *answer = dft_store_add_attachment (f->store, bytes, "a.jpg", NULL, &error);
  const char      *absent = "1111111111111111111111111111111111111111111111111111111111111111.ogg";
  g_autofree char *both = NULL;
  g_autofree char *draft = NULL;
  g_autoptr (GPtrArray) upload = NULL;
  g_autoptr (GPtrArray) missing = NULL;
  g_auto (GStrv)        named = NULL;
  char                  sha[65];

  g_assert_no_error (error);
  dft_attachment_parse_answer (answer, sha);

  upload = dft_store_list_attachments_to_upload (f->store, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (upload->len, ==, 0); /* chosen, not yet saved in an answer */
  g_clear_pointer (&upload, g_ptr_array_unref);

  draft = dft_test_add_draft (f->store, NULL, NULL);
  both = g_strdup_printf ("{\"photo\":\"%s\",\"visits\":[{\"sound\":\"%s\"}]}", answer, absent);
  set_draft_answers (f->store, draft, both);

  named = dft_store_list_submission_attachments (f->store, draft);
  g_assert_cmpuint (g_strv_length (named), ==, 2);
  g_assert_true (dft_store_attachment_is_named (f->store, sha));

  upload = dft_store_list_attachments_to_upload (f->store, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (upload->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (upload, 0), ==, sha);
  g_clear_pointer (&upload, g_ptr_array_unref);

  missing = dft_store_list_attachments_missing (f->store, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (missing->len, ==, 1);
  g_assert_true (g_str_has_prefix (absent, g_ptr_array_index (missing, 0)));
  g_clear_pointer (&missing, g_ptr_array_unref);

  g_assert_true (dft_store_mark_attachment_uploaded (f->store, sha, &error));
  upload = dft_store_list_attachments_to_upload (f->store, 0, &error);
  g_assert_cmpuint (upload->len, ==, 0);
  g_clear_pointer (&upload, g_ptr_array_unref);
  g_assert_true (dft_store_forget_attachment_uploads (f->store, &error));
  upload = dft_store_list_attachments_to_upload (f->store, 0, &error);
  g_assert_cmpuint (upload->len, ==, 1);
  g_clear_pointer (&upload, g_ptr_array_unref);

  /* Kept while named, even when old; pruned once nothing names it. */
  g_assert_cmpuint (dft_store_prune_attachments (f->store, -60, &error), ==, 0);
  g_assert_no_error (error);
  dft_test_delete (f->store, &dft_entity_submission, draft);
  g_assert_false (dft_store_attachment_is_named (f->store, sha));
  missing = dft_store_list_attachments_missing (f->store, 0, &error);
  g_assert_cmpuint (missing->len, ==, 0);
  g_assert_cmpuint (dft_store_prune_attachments (f->store, 3600, &error), ==, 0);
  g_assert_cmpuint (dft_store_prune_attachments (f->store, -60, &error), ==, 1);
  g_assert_null (dft_store_get_attachment_info (f->store, sha, NULL));
}

/* A file arriving in pieces over a link that drops: resumed where it stopped, checked whole. */
static void
test_pieces (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = make_bytes (50000, 4);
  g_autofree char   *sha = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
  g_autoptr (GBytes) read = NULL;
  g_autoptr (GBytes) wrong = NULL;
  gboolean           complete = TRUE;
  gint64             start = 0;

  while (start < 50000)
    {
      gsize              n = MIN (7000, 50000 - start);
      g_autoptr (GBytes) piece = g_bytes_new_from_bytes (bytes, (gsize) start, n);

      g_assert_cmpint (dft_store_attachment_received (f->store, sha), ==, start);
      g_assert_true (dft_store_add_attachment_piece (f->store, sha, start, piece, 50000,
                                                     "audio/ogg", "talk.ogg", &complete, &error));
      g_assert_no_error (error);
      start += n;
      g_assert_cmpint (complete, ==, start == 50000);
      if (start == 14000)
        {
          /* A piece sent twice after a drop is refused: the sender asks where to go on. */
          g_autoptr (GBytes) again = g_bytes_new_from_bytes (bytes, 7000, 7000);

          g_assert_false (dft_store_add_attachment_piece (f->store, sha, 7000, again, 50000, NULL,
                                                          NULL, &complete, &error));
          g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID);
          g_clear_error (&error);
        }
    }
  read = dft_store_read_attachment (f->store, sha, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (read, bytes));
  g_assert_cmpint (dft_store_attachment_received (f->store, sha), ==, 50000);

  /* Bytes that are not the hash's are thrown away. */
  wrong = make_bytes (100, 5);
  g_assert_false (dft_store_add_attachment_piece (
      f->store, "2222222222222222222222222222222222222222222222222222222222222222", 0, wrong, 100,
      NULL, NULL, &complete, &error));
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID);
  g_assert_false (complete);
  g_assert_cmpint (
      dft_store_attachment_received (
          f->store, "2222222222222222222222222222222222222222222222222222222222222222"),
      ==, 0);
  g_clear_error (&error);

  /* A size past the limit is refused before anything is kept. */
  g_assert_false (dft_store_add_attachment_piece (
      f->store, sha, 0, wrong, DFT_ATTACHMENT_MAX_BYTES + 1, NULL, NULL, &complete, &error));
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID);
}

int
main (int argc, char **argv)
{
  dft_test_init (&argc, &argv);

  g_test_add_func ("/attachments/answers", test_answers);
  g_test_add ("/attachments/add-and-read", Fixture, NULL, fixture_set_up, test_add_and_read,
              fixture_tear_down);
  g_test_add ("/attachments/refused", Fixture, NULL, fixture_set_up, test_refused,
              fixture_tear_down);
  g_test_add ("/attachments/named-by-submissions", Fixture, NULL, fixture_set_up,
              test_named_by_submissions, fixture_tear_down);
  g_test_add ("/attachments/pieces", Fixture, NULL, fixture_set_up, test_pieces, fixture_tear_down);
  return g_test_run ();
}
