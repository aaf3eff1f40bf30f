/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dft-dataset.h"
#include "dft-print-private.h"
#include "dft-store-merges.h"
#include "dft-test-util.h"

/*
 * The printed documents, read back with poppler's tools (pdftotext, pdfinfo, pdffonts): every
 * name once, in its own script and in Latin letters beside it, the page count the layout
 * computes, the paper size, embedded fonts, no glyph missing, the header on every page, and
 * certificates in the workshop's language. Skipped when poppler-utils are not installed.
 */

typedef struct
{
  DftStore  *store;
  char      *dir;
  DftRecord *event;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->store = dft_test_open_store (&f->dir);
  f->event = dft_test_add_event (f->store, "Investigating trafficking", "2026-05-04", "2026-05-05");
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->event);
  dft_test_release_store (f->store);
  dft_test_dir_free (f->dir);
}

static gboolean
have_poppler (void)
{
  const char *tools[] = { "pdftotext", "pdfinfo", "pdffonts" };

  for (guint i = 0; i < G_N_ELEMENTS (tools); i++)
    {
      g_autofree char *path = g_find_program_in_path (tools[i]);

      if (path == NULL)
        {
          g_test_skip ("poppler-utils are not installed");
          return FALSE;
        }
    }
  return TRUE;
}

/* The standard output of a tool that must succeed. */
static char *
run (const char *first, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError)    error = NULL;
  g_autofree char      *err = NULL;
  char                 *out = NULL;
  int                   status = 0;
  va_list               args;

  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s", first, err);
  return out;
}

/* $DAFTARI_PRINT_KEEP names a folder to copy each PDF read into, to look at them. */
static void
keep (const char *path)
{
  const char      *folder = g_getenv ("DAFTARI_PRINT_KEEP");
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *copy = folder != NULL ? g_build_filename (folder, base, NULL) : NULL;
  g_autofree char *contents = NULL;
  gsize            length;

  if (copy != NULL && g_file_get_contents (path, &contents, &length, NULL))
    g_file_set_contents (copy, contents, length, NULL);
}

static char *
pdf_text (const char *path)
{
  keep (path);
  return run ("pdftotext", "-enc", "UTF-8", path, "-", NULL);
}

static guint
count_in (const char *text, const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (text, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

static guint
pdf_pages (const char *path, double *width, double *height)
{
  g_autofree char *info = run ("pdfinfo", path, NULL);
  const char      *pages = strstr (info, "\nPages:");
  const char      *size = strstr (info, "\nPage size:");

  g_assert_nonnull (pages);
  g_assert_nonnull (size);
  g_assert_cmpint (sscanf (size, "\nPage size: %lf x %lf", width, height), ==, 2);
  return (guint) g_ascii_strtoull (pages + strlen ("\nPages:"), NULL, 10);
}

/* Every font pdffonts lists is embedded. */
static void
assert_fonts_embedded (const char *path)
{
  g_autofree char *fonts = run ("pdffonts", path, NULL);
  g_auto (GStrv)   lines = g_strsplit (fonts, "\n", -1);
  guint            n = 0;

  /* Two lines of heading, then name, type, encoding, emb, sub, uni, object, id. */
  for (guint i = 2; lines[i] != NULL; i++)
    {
      g_auto (GStrv)        words = g_strsplit_set (g_strstrip (lines[i]), " ", -1);
      g_autoptr (GPtrArray) fields = g_ptr_array_new ();

      for (guint j = 0; words[j] != NULL; j++)
        if (*words[j] != '\0')
          g_ptr_array_add (fields, words[j]);
      if (fields->len < 7)
        continue;
      /* emb is the fourth field from the end of "yes yes yes 12 0". */
      g_assert_cmpstr (fields->pdata[fields->len - 5], ==, "yes");
      n++;
    }
  g_assert_cmpuint (n, >, 0);
}

static DftRecord *
add_person (Fixture *f, const char *given, const char *family, const char *agency, const char *role)
{
  g_autoptr (GError)    error = NULL;
  DftRecord            *person = dft_test_add_person (f->store, given, family);
  g_autoptr (DftRecord) enrollment = NULL;

  dft_record_set_string (person, "agency", agency);
  dft_store_save (f->store, person, &error);
  g_assert_no_error (error);
  enrollment = dft_store_enroll (f->store, dft_record_get_id (f->event), dft_record_get_id (person),
                                 role, &error);
  g_assert_no_error (error);
  return person;
}

static char *
out_path (Fixture *f, const char *name)
{
  return g_build_filename (f->dir, name, NULL);
}

/* Names in the scripts of the programme's workshops, how pdftotext gives them back, and their
 * Latin letters (NULL: Latin already). Arabic script comes back in logical order, as typed. */
static const struct
{
  const char *given, *family, *latin;
} names[] = {
  { "Иван", "Петров", "Petrov Ivan" },
  { "Айгүл", "Токтогулова", "Toktogulova Ajgül" },
  { "გიორგი", "ბერიძე", "Beridze Giorgi" },
  { "عائشہ", "خان", NULL },
  { "Şebnem", "Öztürk", NULL },
  { "Nguyễn", "Thị Hồng", NULL },
};

static void
test_sign_in_scripts (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autofree char      *path = out_path (f, "sheet.pdf");
  g_autofree char      *text = NULL;
  g_autoptr (DftRecord) trainer = NULL;
  g_autoptr (DftRecord) twin = NULL;
  g_autoptr (DftRecord) kept = NULL;
  g_autoptr (DftRecord) merge = NULL;
  g_autoptr (GPtrArray) people = g_ptr_array_new_with_free_func (g_object_unref);
  guint                 missing = _dft_print_missing_glyphs_total ();
  double                width, height;
  guint                 pages;

  if (!have_poppler ())
    return;
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_ptr_array_add (people,
                     add_person (f, names[i].given, names[i].family, "Police", "participant"));
  trainer = add_person (f, "Trainer", "Zhumabaeva", "UNODC", "trainer");
  /* One officer registered twice, then merged: listed once. */
  kept = add_person (f, "Bakyt", "Asanov", "Border Service", "participant");
  twin = add_person (f, "Bakyt", "Asanov-Twin", "Border Service", "participant");
  merge = dft_store_merge_people (f->store, dft_record_get_id (kept), dft_record_get_id (twin),
                                  NULL, &error);
  g_assert_no_error (error);

  g_assert_true (dft_sign_in_sheet_write_pdf (f->store, dft_record_get_id (f->event), NULL,
                                              DFT_PAPER_A4, path, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (_dft_print_missing_glyphs_total (), ==, missing);
  {
    GStatBuf st;

    /* Names of officers: readable by their owner alone, like the CSV exports. */
    g_assert_cmpint (g_stat (path, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0077, ==, 0);
  }

  pages = pdf_pages (path, &width, &height);
  g_assert_cmpfloat (width, ==, 842);
  g_assert_cmpfloat (height, ==, 595);
  g_assert_cmpuint (pages, ==, _dft_sign_in_sheet_count_pages (7, 4, DFT_PAPER_A4));
  g_assert_cmpuint (pages, ==, 1);
  assert_fonts_embedded (path);

  text = pdf_text (path);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *name = g_strdup_printf ("%s %s", names[i].family, names[i].given);

      g_test_message ("%s", name);
      g_assert_cmpuint (count_in (text, name), ==, 1);
      if (names[i].latin != NULL)
        g_assert_cmpuint (count_in (text, names[i].latin), ==, 1);
    }
  /* Latin names get nothing beside them: "Öztürk Şebnem" has no "Ozturk Sebnem". */
  g_assert_cmpuint (count_in (text, "Ozturk"), ==, 0);
  g_assert_cmpuint (count_in (text, "Asanov Bakyt"), ==, 1);
  g_assert_cmpuint (count_in (text, "Asanov-Twin"), ==, 0);
  g_assert_cmpuint (count_in (text, "Zhumabaeva"), ==, 0);
  g_assert_cmpuint (count_in (text, "Investigating trafficking"), ==, 1);
  g_assert_cmpuint (count_in (text, "Morning"), ==, 2);
  g_assert_cmpuint (count_in (text, "Afternoon"), ==, 2);
  g_assert_cmpuint (count_in (text, "Page 1 of 1"), ==, 1);
}

static void
add_many (Fixture *f, guint n)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) people = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) enrollments = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < n; i++)
    {
      DftRecord       *person = dft_record_new_for_entity (&dft_entity_person);
      g_autofree char *given = g_strdup_printf ("Officer%04u", i);

      dft_record_set_string (person, "given_name", given);
      dft_record_set_string (person, "family_name", i % 2 == 0 ? "Абдыкадыров" : "Sydykov");
      /* Long enough to wrap in its cell. */
      dft_record_set_string (person, "agency",
                             "Ministry of Internal Affairs of the Kyrgyz Republic, Department for "
                             "Combating Trafficking");
      g_ptr_array_add (people, person);
    }
  dft_store_save_all (f->store, (DftRecord **) people->pdata, people->len, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    {
      DftRecord *enrollment = dft_record_new_for_entity (&dft_entity_enrollment);

      dft_record_set_string (enrollment, "event_id", dft_record_get_id (f->event));
      dft_record_set_string (enrollment, "person_id", dft_record_get_id (people->pdata[i]));
      dft_record_set_string (enrollment, "role", "participant");
      g_ptr_array_add (enrollments, enrollment);
    }
  dft_store_save_all (f->store, (DftRecord **) enrollments->pdata, enrollments->len, &error);
  g_assert_no_error (error);
}

/* Splits pdftotext's output into its pages. */
static GStrv
split_pages (const char *text, guint pages)
{
  GStrv split = g_strsplit (text, "\f", -1);

  /* pdftotext ends every page with a form feed: the last piece is empty. */
  g_assert_cmpuint (g_strv_length (split), ==, pages + 1);
  return split;
}

static void
test_sign_in_many (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *path = out_path (f, "many.pdf");
  g_autofree char   *text = NULL;
  g_auto (GStrv)     page_texts = NULL;
  guint              n = 2000, pages, expected;
  double             width, height;

  if (!have_poppler ())
    return;
  add_many (f, n);
  g_assert_true (dft_sign_in_sheet_write_pdf (f->store, dft_record_get_id (f->event), NULL,
                                              DFT_PAPER_A4, path, NULL, &error));
  g_assert_no_error (error);
  expected = _dft_sign_in_sheet_count_pages (n, 4, DFT_PAPER_A4);
  pages = pdf_pages (path, &width, &height);
  g_assert_cmpuint (pages, ==, expected);
  g_assert_cmpuint (pages, >, 100);

  text = pdf_text (path);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name
          = g_strdup_printf ("%s Officer%04u", i % 2 == 0 ? "Абдыкадыров" : "Sydykov", i);

      if (count_in (text, name) != 1)
        g_error ("%s appears %u times", name, count_in (text, name));
    }
  /* Each page repeats the header and the column headings, and says where it is. */
  page_texts = split_pages (text, pages);
  for (guint i = 0; i < pages; i++)
    {
      g_autofree char *footer = g_strdup_printf ("Page %u of %u", i + 1, pages);

      g_assert_cmpuint (count_in (page_texts[i], "Investigating trafficking"), ==, 1);
      g_assert_cmpuint (count_in (page_texts[i], "Agency"), ==, 1);
      g_assert_cmpuint (count_in (page_texts[i], footer), ==, 1);
    }
}

/* More sessions than fit across Letter: the columns split into stacks of pages, each over
 * everyone, the boxes still wide enough to sign. */
static void
test_sign_in_letter_groups (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autofree char      *path = out_path (f, "letter.pdf");
  g_autofree char      *text = NULL;
  g_autoptr (DftRecord) person = NULL;
  double                width, height;
  guint                 pages;

  if (!have_poppler ())
    return;
  dft_record_set_string (f->event, "end_date", "2026-05-08");
  dft_test_save (f->store, f->event);
  person = add_person (f, "Amina", "Wanjiru", "Kenya Police Service", "participant");
  g_assert_true (dft_sign_in_sheet_write_pdf (f->store, dft_record_get_id (f->event), NULL,
                                              DFT_PAPER_LETTER, path, NULL, &error));
  g_assert_no_error (error);
  pages = pdf_pages (path, &width, &height);
  g_assert_cmpfloat (width, ==, 792);
  g_assert_cmpfloat (height, ==, 612);
  g_assert_cmpuint (pages, ==, _dft_sign_in_sheet_count_pages (1, 10, DFT_PAPER_LETTER));
  g_assert_cmpuint (pages, ==, 2);
  text = pdf_text (path);
  g_assert_cmpuint (count_in (text, "Wanjiru Amina"), ==, 2);
  g_assert_cmpuint (count_in (text, "sessions 1–5 of 10"), ==, 1);
  g_assert_cmpuint (count_in (text, "sessions 6–10 of 10"), ==, 1);
  g_assert_cmpuint (count_in (text, "Morning"), ==, 5);
}

static void
test_sign_in_one_session (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)     error = NULL;
  g_autofree char       *path = out_path (f, "session.pdf");
  g_autofree char       *text = NULL;
  g_autoptr (GListModel) sessions
      = dft_store_list_sessions (f->store, dft_record_get_id (f->event));
  g_autoptr (DftRecord) session = NULL;
  g_autoptr (DftRecord) person = NULL;

  if (!have_poppler ())
    return;
  person = add_person (f, "Amina", "Wanjiru", "", "participant");
  g_assert_true (dft_record_list_reload_sync (DFT_RECORD_LIST (sessions), NULL));
  session = g_list_model_get_item (sessions, 3);
  g_assert_true (dft_sign_in_sheet_write_pdf (f->store, dft_record_get_id (f->event),
                                              dft_record_get_id (session), DFT_PAPER_A4, path, NULL,
                                              &error));
  g_assert_no_error (error);
  text = pdf_text (path);
  g_assert_cmpuint (count_in (text, "Afternoon"), ==, 2); /* the sheet's line and the column */
  g_assert_cmpuint (count_in (text, "Morning"), ==, 0);

  g_assert_false (dft_sign_in_sheet_write_pdf (f->store, dft_record_get_id (f->event), "nope",
                                               DFT_PAPER_A4, path, NULL, &error));
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND);
}

/* Nobody enrolled yet: a page of empty rows to fill by hand; no certificates, and no file. */
static void
test_nobody (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *path = out_path (f, "empty.pdf");
  g_autofree char   *certificates = out_path (f, "certificates.pdf");
  g_autofree char   *text = NULL;
  double             width, height;

  if (!have_poppler ())
    return;
  g_assert_true (dft_sign_in_sheet_write_pdf (f->store, dft_record_get_id (f->event), NULL,
                                              DFT_PAPER_LETTER, path, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (pdf_pages (path, &width, &height), ==, 1);
  text = pdf_text (path);
  g_assert_cmpuint (count_in (text, "Investigating trafficking"), ==, 1);
  g_assert_cmpuint (count_in (text, "Agency"), ==, 1);

  g_assert_false (dft_certificates_write_pdf (f->store, dft_record_get_id (f->event), 0.8,
                                              DFT_PAPER_A4, certificates, NULL, NULL, &error));
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND);
  g_assert_true (strstr (error->message, "Nobody has completed") != NULL);
  g_assert_false (g_file_test (certificates, G_FILE_TEST_EXISTS));
}

static guint
count_files (const char *dir)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);
  guint            n = 0;

  while (g_dir_read_name (handle) != NULL)
    n++;
  return n;
}

/* An unknown workshop, a folder that cannot be written, a cancelled write: a clear error, and
 * the file written before is still there, whole, with no temporary file beside it. */
static void
test_bad_input (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)       error = NULL;
  g_autofree char         *folder = out_path (f, "out");
  g_autofree char         *path = g_build_filename (folder, "sheet.pdf", NULL);
  g_autofree char         *before = NULL, *after = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (DftRecord)    person = NULL;
  gsize                    before_len, after_len;

  person = add_person (f, "Amina", "Wanjiru", "", "participant");
  g_assert_false (dft_sign_in_sheet_write_pdf (f->store, "no-such-workshop", NULL, DFT_PAPER_A4,
                                               path, NULL, &error));
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND);
  g_assert_true (strstr (error->message, "no-such-workshop") != NULL);
  g_clear_error (&error);
  g_assert_false (dft_certificates_write_pdf (f->store, "no-such-workshop", 0.8, DFT_PAPER_A4, path,
                                              NULL, NULL, &error));
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A folder that does not exist. */
  g_assert_false (dft_sign_in_sheet_write_pdf (f->store, dft_record_get_id (f->event), NULL,
                                               DFT_PAPER_A4, path, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_true (strstr (error->message, "sheet.pdf") != NULL);
  g_clear_error (&error);

  g_assert_cmpint (g_mkdir (folder, 0700), ==, 0);
  g_assert_true (dft_sign_in_sheet_write_pdf (f->store, dft_record_get_id (f->event), NULL,
                                              DFT_PAPER_A4, path, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &before, &before_len, NULL));

  /* Cancelled: the earlier sheet stays, alone in its folder. */
  dft_record_set_string (f->event, "title", "Renamed");
  dft_test_save (f->store, f->event);
  g_cancellable_cancel (cancellable);
  g_assert_false (dft_sign_in_sheet_write_pdf (f->store, dft_record_get_id (f->event), NULL,
                                               DFT_PAPER_A4, path, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_true (g_file_get_contents (path, &after, &after_len, NULL));
  g_assert_cmpmem (before, before_len, after, after_len);
  g_assert_cmpuint (count_files (folder), ==, 1);
  g_clear_pointer (&after, g_free);

  /* A folder that cannot be written (root writes anyway). */
  if (geteuid () != 0)
    {
      g_assert_cmpint (g_chmod (folder, 0500), ==, 0);
      g_assert_false (dft_sign_in_sheet_write_pdf (f->store, dft_record_get_id (f->event), NULL,
                                                   DFT_PAPER_A4, path, NULL, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
      g_clear_error (&error);
      g_assert_cmpint (g_chmod (folder, 0700), ==, 0);
      g_assert_true (g_file_get_contents (path, &after, &after_len, NULL));
      g_assert_cmpmem (before, before_len, after, after_len);
      g_assert_cmpuint (count_files (folder), ==, 1);
    }
}

static void
mark (Fixture *f, guint session, DftRecord *person, const char *status)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (GListModel) sessions
      = dft_store_list_sessions (f->store, dft_record_get_id (f->event));
  g_autoptr (DftRecord) record = NULL;
  g_autoptr (DftRecord) mark_record = NULL;

  g_assert_true (dft_record_list_reload_sync (DFT_RECORD_LIST (sessions), NULL));
  record = g_list_model_get_item (sessions, session);
  mark_record = dft_store_mark_attendance (f->store, dft_record_get_id (record),
                                           dft_record_get_id (person), status, NULL, &error);
  g_assert_no_error (error);
}

/* A catalogue of @language for Daftari compiled from @po under @localedir. */
static void
write_catalogue (const char *localedir, const char *language, const char *po)
{
  g_autofree char   *messages = g_build_filename (localedir, language, "LC_MESSAGES", NULL);
  g_autofree char   *po_path = g_build_filename (localedir, "test.po", NULL);
  g_autofree char   *mo_path = g_build_filename (messages, GETTEXT_PACKAGE ".mo", NULL);
  g_autofree char   *out = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (messages, 0700), ==, 0);
  g_file_set_contents (po_path, po, -1, &error);
  g_assert_no_error (error);
  out = run ("msgfmt", "-o", mo_path, po_path, NULL);
}

static void
test_certificates (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autofree char      *path = out_path (f, "certificates.pdf");
  g_autofree char      *localedir = out_path (f, "locale");
  g_autofree char      *text = NULL;
  g_autoptr (DftRecord) ivan = NULL, aigul = NULL, giorgi = NULL, trainer = NULL;
  g_autofree char      *msgfmt = g_find_program_in_path ("msgfmt");
  guint                 missing = _dft_print_missing_glyphs_total ();
  guint                 n = 0;
  double                width, height;

  if (!have_poppler ())
    return;
  if (msgfmt == NULL)
    {
      g_test_skip ("msgfmt is not installed");
      return;
    }
  write_catalogue (localedir, "ru",
                   "msgid \"\"\nmsgstr \"Content-Type: text/plain; charset=UTF-8\\n\"\n\n"
                   "msgid \"Certificate of completion\"\nmsgstr \"Свидетельство об окончании\"\n\n"
                   "msgid \"has completed the workshop\"\nmsgstr \"прошёл(-ла) семинар\"\n\n"
                   "msgid \"Trainers: %s\"\nmsgstr \"Тренеры: %s\"\n");
  g_setenv ("DAFTARI_LOCALEDIR", localedir, TRUE);
  dft_record_set_string (f->event, "language", "ru");
  dft_record_set_string (f->event, "city", "Бишкек");
  dft_test_save (f->store, f->event);

  ivan = add_person (f, "Иван", "Петров", "МВД", "participant");
  aigul = add_person (f, "Айгүл", "Токтогулова", "ГПС", "participant");
  giorgi = add_person (f, "გიორგი", "ბერიძე", "Police", "participant");
  trainer = add_person (f, "Dana", "Mentor", "UNODC", "trainer");
  /* Four sessions: Ivan at all, Aigul at three (75 %), Giorgi late at all four. */
  for (guint s = 0; s < 4; s++)
    {
      mark (f, s, ivan, "present");
      mark (f, s, aigul, s < 3 ? "present" : "absent");
      mark (f, s, giorgi, "late");
      mark (f, s, trainer, "present");
    }

  g_assert_true (dft_certificates_write_pdf (f->store, dft_record_get_id (f->event), 0.8,
                                             DFT_PAPER_A4, path, &n, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpuint (pdf_pages (path, &width, &height), ==, 2);
  g_assert_cmpfloat (width, ==, 842);
  g_assert_cmpfloat (height, ==, 595);
  assert_fonts_embedded (path);
  g_assert_cmpuint (_dft_print_missing_glyphs_total (), ==, missing);
  text = pdf_text (path);
  g_assert_cmpuint (count_in (text, "Свидетельство об окончании"), ==, 2);
  g_assert_cmpuint (count_in (text, "прошёл(-ла) семинар"), ==, 2);
  g_assert_cmpuint (count_in (text, "Certificate"), ==, 0);
  g_assert_cmpuint (count_in (text, "Иван Петров"), ==, 1);
  g_assert_cmpuint (count_in (text, "Ivan Petrov"), ==, 1);
  g_assert_cmpuint (count_in (text, "გიორგი ბერიძე"), ==, 1);
  g_assert_cmpuint (count_in (text, "Айгүл"), ==, 0);
  /* The trainer is named on each certificate, and has none. */
  g_assert_cmpuint (count_in (text, "Dana Mentor"), ==, 2);
  g_assert_cmpuint (count_in (text, "Тренеры: Dana Mentor"), ==, 2);
  /* Dates and the country in Russian, by ICU. */
  g_assert_cmpuint (count_in (text, "мая 2026"), ==, 2);
  g_assert_cmpuint (count_in (text, "Бишкек, Киргизия"), ==, 2);
  g_clear_pointer (&text, g_free);

  /* At 75 %, Айгүл too. */
  g_assert_true (dft_certificates_write_pdf (f->store, dft_record_get_id (f->event), 0.75,
                                             DFT_PAPER_LETTER, path, &n, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpuint (pdf_pages (path, &width, &height), ==, 3);
  g_assert_cmpfloat (width, ==, 792);

  /* A language with no catalogue: English. */
  dft_record_set_string (f->event, "language", "sw");
  dft_test_save (f->store, f->event);
  g_assert_true (dft_certificates_write_pdf (f->store, dft_record_get_id (f->event), 0.8,
                                             DFT_PAPER_A4, path, &n, NULL, &error));
  g_assert_no_error (error);
  text = pdf_text (path);
  g_assert_cmpuint (count_in (text, "Certificate of completion"), ==, 2);
  g_unsetenv ("DAFTARI_LOCALEDIR");
}

/* @text without white space and bidirectional embedding marks. */
static char *
strip_spaces (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (!g_unichar_isspace (c) && !(c >= 0x202A && c <= 0x202E) && !(c >= 0x2066 && c <= 0x2069))
        g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}

/* Urdu: right to left, in Nastaliq, every glyph there. */
static void
test_certificates_urdu (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autofree char      *path = out_path (f, "urdu.pdf");
  g_autofree char      *text = NULL;
  g_autofree char      *stripped = NULL;
  g_autoptr (DftRecord) aisha = NULL;
  guint                 missing = _dft_print_missing_glyphs_total ();
  guint                 n = 0;

  if (!have_poppler ())
    return;
  dft_record_set_string (f->event, "language", "ur");
  dft_record_set_string (f->event, "country", "PK");
  dft_test_save (f->store, f->event);
  aisha = add_person (f, "عائشہ", "خان", "پولیس", "participant");
  for (guint s = 0; s < 4; s++)
    mark (f, s, aisha, "present");
  g_assert_true (dft_certificates_write_pdf (f->store, dft_record_get_id (f->event), 0.8,
                                             DFT_PAPER_A4, path, &n, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpuint (_dft_print_missing_glyphs_total (), ==, missing);
  assert_fonts_embedded (path);
  /* pdftotext gives Arabic script in logical order, but between the glyphs of Nastaliq, which
   * sit on a slanting line, it puts spaces, and it wraps right-to-left lines in embedding
   * marks: compare without either. */
  text = pdf_text (path);
  stripped = strip_spaces (text);
  g_assert_cmpuint (count_in (stripped, "عائشہخان"), ==, 1);
  /* The country in Urdu. */
  g_assert_cmpuint (count_in (stripped, "پاکستان"), ==, 1);
}

static DftIndicatorGroup *
group_new (const char *gender,
           const char *agency,
           const char *country,
           const char *role,
           guint       people,
           guint       women)
{
  DftIndicatorGroup *group = g_new0 (DftIndicatorGroup, 1);

  group->gender = g_strdup (gender);
  group->agency = g_strdup (agency);
  group->country = g_strdup (country);
  group->role = g_strdup (role);
  group->people = people;
  group->women = women;
  group->participations = people + 1;
  group->person_days = people * 3;
  return group;
}

/* A report as the engine (dft-indicators.h) gives it, built by hand: @n_agencies agencies, so
 * that the agency table runs over pages. */
static DftIndicatorReport *
report_new (guint n_agencies)
{
  DftIndicatorReport    *report = g_new0 (DftIndicatorReport, 1);
  DftReportSelection    *selection = g_new0 (DftReportSelection, 1);
  DftWorkshopFigures    *w;
  DftGainFigures        *g;
  DftEvaluationQuestion *q;
  const char            *countries[] = { "KG", "GE", "PK" };

  selection->from = g_strdup ("2026-01-01");
  selection->to = g_strdup ("2026-03-31");
  selection->completion_share = 0.8;
  report->selection = selection;
  report->n_workshops = 3;
  report->people = 83;
  report->women = 37;
  report->participations = 90;
  report->person_days = 250;
  report->sessions = 22;
  report->attendance_rate = 0.87;
  report->completed_people = 70;
  report->completed_women = 31;
  report->completed_participations = 75;

  report->by_gender = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_indicator_group_free);
  g_ptr_array_add (report->by_gender, group_new ("female", NULL, NULL, NULL, 37, 37));
  g_ptr_array_add (report->by_gender, group_new ("male", NULL, NULL, NULL, 44, 0));
  g_ptr_array_add (report->by_gender, group_new ("", NULL, NULL, NULL, 2, 0));
  report->by_agency = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_indicator_group_free);
  report->gender_by_agency
      = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_indicator_group_free);
  for (guint i = 0; i < n_agencies; i++)
    {
      g_autofree char *agency = g_strdup_printf ("Agency%02u", i);

      g_ptr_array_add (report->by_agency, group_new (NULL, agency, NULL, NULL, 40 - i % 40, i % 7));
      g_ptr_array_add (report->gender_by_agency,
                       group_new ("female", agency, NULL, NULL, i % 7, i % 7));
      g_ptr_array_add (report->gender_by_agency,
                       group_new ("male", agency, NULL, NULL, 40 - i % 40 - i % 7, 0));
    }
  report->by_country = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_indicator_group_free);
  for (guint i = 0; i < G_N_ELEMENTS (countries); i++)
    g_ptr_array_add (report->by_country, group_new (NULL, NULL, countries[i], NULL, 30, 12));
  report->by_role = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_indicator_group_free);
  g_ptr_array_add (report->by_role, group_new (NULL, NULL, NULL, "participant", 83, 37));
  g_ptr_array_add (report->by_role, group_new (NULL, NULL, NULL, "trainer", 4, 2));
  report->breakdown = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_indicator_group_free);

  report->workshops = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_workshop_figures_free);
  report->gains = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_gain_figures_free);
  for (guint i = 0; i < 3; i++)
    {
      w = g_new0 (DftWorkshopFigures, 1);
      w->event_id = g_strdup_printf ("event-%u", i);
      w->title = g_strdup_printf ("Финансы %u", i + 1);
      w->start_date = g_strdup_printf ("2026-0%u-02", i + 1);
      w->end_date = g_strdup_printf ("2026-0%u-04", i + 1);
      w->country = g_strdup (countries[i]);
      w->participants = 30;
      w->women = 12;
      w->sessions = 6;
      w->attendance_rate = 0.85;
      w->completed = 25;
      g_ptr_array_add (report->workshops, w);

      g = g_new0 (DftGainFigures, 1);
      g->event_id = g_strdup (w->event_id);
      g->event_title = g_strdup (w->title);
      g->form_key = g_strdup ("knowledge");
      g->form_title = g_strdup ("Knowledge test");
      g->n_pre = g->n_post = g->n_pairs = 28;
      g->mean_pre = 50;
      g->mean_post = i == 2 ? 45 : 70 + i;
      g->mean_gain = g->mean_post - g->mean_pre;
      g->normalized_gain = g->mean_gain / 50;
      g_ptr_array_add (report->gains, g);
    }
  g = g_new0 (DftGainFigures, 1);
  g->n_pre = g->n_post = g->n_pairs = 84;
  g->mean_pre = 50;
  g->mean_post = 62;
  g->mean_gain = 12;
  g->normalized_gain = 0.24;
  g_ptr_array_add (report->gains, g);

  report->evaluation
      = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_evaluation_question_free);
  q = g_new0 (DftEvaluationQuestion, 1);
  q->form_key = g_strdup ("evaluation");
  q->form_title = g_strdup ("Evaluation");
  q->name = g_strdup ("useful");
  q->label = g_strdup ("How useful was the workshop?");
  q->kind = DFT_EVALUATION_SCALE;
  q->n_answers = 20;
  q->average = 4.25;
  q->scale[2] = 3;
  q->scale[3] = 9;
  q->scale[4] = 8;
  g_ptr_array_add (report->evaluation, q);
  q = g_new0 (DftEvaluationQuestion, 1);
  q->form_key = g_strdup ("evaluation");
  q->form_title = g_strdup ("Evaluation");
  q->name = g_strdup ("comments");
  q->label = g_strdup ("What would you change?");
  q->kind = DFT_EVALUATION_TEXT;
  q->n_answers = 3;
  q->average = NAN;
  q->texts = g_strdupv ((char *[]){ "Больше практических кейсов", "ორშაბათს დავიწყოთ",
                                    "Mehr Zeit für Übungen", NULL });
  g_ptr_array_add (report->evaluation, q);
  return report;
}

static void
report_free (DftIndicatorReport *report)
{
  g_free (report->selection->from);
  g_free (report->selection->to);
  g_free (report->selection);
  g_ptr_array_unref (report->breakdown);
  g_ptr_array_unref (report->by_gender);
  g_ptr_array_unref (report->by_agency);
  g_ptr_array_unref (report->by_country);
  g_ptr_array_unref (report->by_role);
  g_ptr_array_unref (report->gender_by_agency);
  g_ptr_array_unref (report->workshops);
  g_ptr_array_unref (report->gains);
  g_ptr_array_unref (report->evaluation);
  g_free (report);
}

static guint
page_of (GStrv pages, const char *needle)
{
  for (guint i = 0; pages[i] != NULL; i++)
    if (strstr (pages[i], needle) != NULL)
      return i;
  g_error ("No page holds “%s”", needle);
}

static void
test_report (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)  error = NULL;
  g_autofree char    *path = out_path (f, "report.pdf");
  g_autofree char    *text = NULL;
  g_auto (GStrv)      pages = NULL;
  DftIndicatorReport *report = report_new (60);
  guint               missing = _dft_print_missing_glyphs_total ();
  guint               n, first, last;
  double              width, height;

  if (!have_poppler ())
    {
      report_free (report);
      return;
    }
  g_assert_true (dft_indicator_report_write_pdf (report, DFT_PAPER_A4, path, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (_dft_print_missing_glyphs_total (), ==, missing);
  assert_fonts_embedded (path);
  n = pdf_pages (path, &width, &height);
  g_assert_cmpfloat (width, ==, 595);
  g_assert_cmpfloat (height, ==, 842);
  g_assert_cmpuint (n, >=, 3);
  text = pdf_text (path);
  pages = split_pages (text, n);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *footer = g_strdup_printf ("Page %u of %u", i + 1, n);

      g_assert_cmpuint (count_in (pages[i], footer), ==, 1);
    }
  /* Each agency in the chart and in the table. */
  for (guint i = 0; i < 60; i++)
    {
      g_autofree char *agency = g_strdup_printf ("Agency%02u", i);

      g_assert_cmpuint (count_in (text, agency), ==, 2);
    }
  /* The agency table runs over pages, its headings on each. */
  first = page_of (pages, "Participants by agency\n");
  last = page_of (pages, "Participants by country");
  g_assert_cmpuint (last, >, first);
  for (guint i = first; i <= last; i++)
    g_assert_cmpuint (count_in (pages[i], "Person-days"), >=, 1);
  g_assert_cmpuint (count_in (text, "Headline figures"), ==, 1);
  /* Each workshop in its table, in the gain chart and in the gain table. */
  g_assert_cmpuint (count_in (text, "Финансы 2"), ==, 3);
  g_assert_cmpuint (count_in (text, "Больше практических кейсов"), ==, 1);
  g_assert_cmpuint (count_in (text, "ორშაბათს დავიწყოთ"), ==, 1);
  g_assert_cmpuint (count_in (text, "Mehr Zeit für Übungen"), ==, 1);
  g_assert_cmpuint (count_in (text, "45 %"), >=, 1); /* the women's share, 37 of 83 */
  g_clear_pointer (&text, g_free);

  g_assert_true (dft_indicator_report_write_pdf (report, DFT_PAPER_LETTER, path, NULL, &error));
  g_assert_no_error (error);
  pdf_pages (path, &width, &height);
  g_assert_cmpfloat (width, ==, 612);
  g_assert_cmpfloat (height, ==, 792);
  report_free (report);
}

/* The engine's report over the sample workshops (Cyrillic, Georgian and Urdu names), printed. */
static void
test_report_sample (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)             error = NULL;
  g_autofree char               *path = out_path (f, "sample-report.pdf");
  g_autofree char               *text = NULL;
  g_autoptr (DftReportSelection) selection = dft_report_selection_new ();
  g_autoptr (DftIndicatorReport) report = NULL;
  DftDatasetStats                stats = { 0 };
  guint                          missing = _dft_print_missing_glyphs_total ();
  double                         width, height;

  if (!have_poppler ())
    return;
  g_assert_true (
      dft_dataset_load (f->store, g_getenv ("DAFTARI_SAMPLE"), &stats, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  report = dft_indicator_report (f->store, selection, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (dft_indicator_report_write_pdf (report, DFT_PAPER_A4, path, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (_dft_print_missing_glyphs_total (), ==, missing);
  assert_fonts_embedded (path);
  g_assert_cmpuint (pdf_pages (path, &width, &height), >=, 1);
  text = pdf_text (path);
  for (guint i = 0; i < report->workshops->len; i++)
    {
      const DftWorkshopFigures *w = report->workshops->pdata[i];

      g_assert_cmpuint (count_in (text, w->title), >=, 1);
    }
  for (guint i = 0; i < report->by_agency->len; i++)
    {
      const DftIndicatorGroup *agency = report->by_agency->pdata[i];

      /* In the chart and in the table. */
      if (*agency->agency != '\0')
        g_assert_cmpuint (count_in (text, agency->agency), >=, 2);
    }
}

/* daftari-cli's exit status, with its standard error in *@err. */
static int
cli (Fixture *f, char **err, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError)    error = NULL;
  g_autofree char      *out = NULL;
  int                   status = 0;
  va_list               args;

  g_ptr_array_add (argv, g_strdup (g_getenv ("DAFTARI_CLI")));
  g_ptr_array_add (argv, g_strdup ("--db"));
  g_ptr_array_add (argv, g_build_filename (f->dir, "daftari.db", NULL));
  va_start (args, err);
  for (const char *arg = va_arg (args, const char *); arg != NULL;
       arg = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, err, &status,
                &error);
  g_assert_no_error (error);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static void
test_cli (Fixture *f, gconstpointer data)
{
  g_autofree char      *path = out_path (f, "cli.pdf");
  g_autofree char      *err = NULL;
  g_autofree char      *text = NULL;
  g_autoptr (DftRecord) person = NULL;
  const char           *id = dft_record_get_id (f->event);
  double                width, height;

  if (!have_poppler () || g_getenv ("DAFTARI_CLI") == NULL)
    {
      g_test_skip ("DAFTARI_CLI is not set");
      return;
    }
  person = add_person (f, "Иван", "Петров", "МВД", "participant");
  g_assert_cmpint (
      cli (f, &err, "sign-in-sheet", "--event", id, "--paper", "letter", "-o", path, NULL), ==, 0);
  g_assert_cmpuint (pdf_pages (path, &width, &height), ==, 1);
  g_assert_cmpfloat (width, ==, 792);
  text = pdf_text (path);
  g_assert_cmpuint (count_in (text, "Петров Иван"), ==, 1);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (
      cli (f, &err, "sign-in-sheet", "--event", id, "--paper", "legal", "-o", path, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "“legal” is not a paper size"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cli (f, &err, "sign-in-sheet", "--event", id, NULL), ==, 2);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cli (f, &err, "certificates", "--event", "nope", "-o", path, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "There is no workshop “nope”"));
  g_clear_pointer (&err, g_free);
  /* Nobody attended: an error, and the sheet written before is still there. */
  g_assert_cmpint (cli (f, &err, "certificates", "--event", id, "-o", path, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "Nobody has completed this workshop"));
  g_assert_cmpuint (pdf_pages (path, &width, &height), ==, 1);
  g_assert_cmpfloat (width, ==, 792);
}

typedef struct
{
  Fixture *f;
  char    *path;
  gboolean certificates;
} Job;

static gpointer
write_in_thread (gpointer data)
{
  Job               *job = data;
  g_autoptr (GError) error = NULL;
  gboolean           ok;

  if (job->certificates)
    ok = dft_certificates_write_pdf (job->f->store, dft_record_get_id (job->f->event), 0.5,
                                     DFT_PAPER_A4, job->path, NULL, NULL, &error);
  else
    ok = dft_sign_in_sheet_write_pdf (job->f->store, dft_record_get_id (job->f->event), NULL,
                                      DFT_PAPER_A4, job->path, NULL, &error);
  g_assert_no_error (error);
  return GINT_TO_POINTER (ok);
}

/* The app writes in worker threads, several at once. */
static void
test_threads (Fixture *f, gconstpointer data)
{
  g_autoptr (DftRecord) person = NULL;
  Job                   jobs[4];
  GThread              *threads[G_N_ELEMENTS (jobs)];
  guint                 missing = _dft_print_missing_glyphs_total ();

  if (!have_poppler ())
    return;
  person = add_person (f, "გიორგი", "ბერიძე", "Police", "participant");
  mark (f, 0, person, "present");
  mark (f, 1, person, "present");
  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    {
      jobs[i].f = f;
      jobs[i].path = g_strdup_printf ("%s/thread-%u.pdf", f->dir, i);
      jobs[i].certificates = i % 2 == 1;
      threads[i] = g_thread_new ("print", write_in_thread, &jobs[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    {
      g_autofree char *text = NULL;
      double           width, height;

      g_assert_true (GPOINTER_TO_INT (g_thread_join (threads[i])));
      g_assert_cmpuint (pdf_pages (jobs[i].path, &width, &height), ==, 1);
      text = pdf_text (jobs[i].path);
      g_assert_cmpuint (count_in (text, jobs[i].certificates ? "Giorgi Beridze" : "Beridze Giorgi"),
                        ==, 1);
      g_free (jobs[i].path);
    }
  g_assert_cmpuint (_dft_print_missing_glyphs_total (), ==, missing);
}

int
main (int argc, char **argv)
{
  dft_test_init (&argc, &argv);

#define ADD(name, func) g_test_add (name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/print/sign-in/scripts", test_sign_in_scripts);
  ADD ("/print/sign-in/many", test_sign_in_many);
  ADD ("/print/sign-in/letter-groups", test_sign_in_letter_groups);
  ADD ("/print/sign-in/one-session", test_sign_in_one_session);
  ADD ("/print/nobody", test_nobody);
  ADD ("/print/bad-input", test_bad_input);
  ADD ("/print/certificates", test_certificates);
  ADD ("/print/certificates/urdu", test_certificates_urdu);
  ADD ("/print/cli", test_cli);
  ADD ("/print/threads", test_threads);
  ADD ("/print/report", test_report);
  ADD ("/print/report/sample", test_report_sample);
#undef ADD
  return g_test_run ();
}
