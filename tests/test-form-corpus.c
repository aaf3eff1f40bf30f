/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

/* Not dft-test-util.h: dft-record.h declares a GObject also named DftForm. */
#include <locale.h>
#include "dft-form-corpus.h"
#include "forms/dft-form.h"

/*
 * Conformance over the form corpora in ../shared/corpora (see its README.md): every form file
 * outside a "negative" folder loads and prepares through dft_form_new_from_file(); every form
 * inside one is refused with a message that names the problem. One test per file, and a
 * summary per folder at the end. Then the pairs of an XLSForm and the XForm pyxform makes of
 * it, pyxform's own and the project's, which must give the same definition.
 */

typedef struct
{
  guint loaded;
  guint refused;
  guint failed;
} FolderCount;

static GHashTable *folder_counts; /* folder → FolderCount * */
static char       *corpora;

static FolderCount *
count_for (const char *relative)
{
  g_autofree char *folder = g_path_get_dirname (relative);
  FolderCount     *count = g_hash_table_lookup (folder_counts, folder);

  if (count == NULL)
    {
      count = g_new0 (FolderCount, 1);
      g_hash_table_insert (folder_counts, g_steal_pointer (&folder), count);
    }
  return count;
}

static void
test_form (gconstpointer data)
{
  const char         *relative = data;
  g_autofree char    *path = g_build_filename (corpora, relative, NULL);
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = NULL;
  FolderCount        *count = count_for (relative);
  gint64              start = g_get_monotonic_time ();

  form = dft_form_new_from_file (path, &error);
  g_test_message ("%s: %s (%" G_GINT64_FORMAT " ms)", relative,
                  form != NULL ? "loaded" : error->message,
                  (g_get_monotonic_time () - start) / 1000);

  if (dft_form_corpus_is_negative (relative) || dft_form_corpus_expected_refusal (relative) != NULL)
    {
      const char *why = dft_form_corpus_expected_refusal (relative);

      /* Refused, with a message that says what is wrong rather than that something is. */
      if (form != NULL)
        {
          count->failed++;
          g_test_fail_printf ("%s is broken on purpose but loaded", relative);
          return;
        }
      g_assert_true (error->domain == DFT_FORM_ERROR);
      if (strlen (error->message) < 20 || (why != NULL && strstr (error->message, why) == NULL))
        {
          count->failed++;
          g_test_fail_printf ("%s: the message “%s” does not name the problem", relative,
                              error->message);
          return;
        }
      count->refused++;
      return;
    }

  if (form != NULL)
    {
      g_assert_true (form->prepared);
      count->loaded++;
      return;
    }
  if (dft_form_corpus_in_pyxform_bugs (relative) && error->domain == DFT_FORM_ERROR
      && strlen (error->message) >= 20)
    {
      count->refused++;
      return;
    }
  count->failed++;
  g_test_fail_printf ("%s: %s", relative, error->message);
}

/*
 * pyxform's pairs: an XLSForm in example_xls/ and the XForm pyxform made of it in
 * test_expected_output/. Importing either must give the same definition, compared as
 * canonical JSON. Where the corpus's two files disagree for a reason outside Daftari, the
 * difference is named here and evened out before comparing; nothing else is.
 */
static const struct
{
  const char *name;
  const char *from, *to; /* replaced in the expected XForm's definition */
  const char *why;
} pair_allowances[] = {
  { "attribute_columns_test", "\\\"", "”",
    "one cell has typographic quotes; pyxform's output was made from a revision with plain ones" },
  { "xlsform_spec_test", "\\\"", "”",
    "one cell has typographic quotes; pyxform's output was made from a revision with plain ones" },
  { "repeat_date_test", "2012-12-12 00:00:00", "2012-12-12",
    "a date cell: pyxform writes Python's str() of it with a time of day" },
  { "survey_no_name", "/data/", "/survey_no_name/",
    "pyxform's test gave this form no name, so its root became \"data\"" },
};

static const char *const pairs_skipped[][2] = {
  { "flat_xlsform_test",
    "the expected output has no group \"everything\", which the sheet has; pyxform's test "
    "checks a flattening of its own" },
};

static char *
replace_all (const char *text, const char *from, const char *to)
{
  g_auto (GStrv) parts = g_strsplit (text, from, -1);

  return g_strjoinv (to, parts);
}

/* By path below the root, which the two files may name apart (survey_no_name). */
static void
index_question (DftQuestion *q, gpointer by_path)
{
  const char *below_root = q->path != NULL ? strchr (q->path + 1, '/') : NULL;

  if (below_root != NULL)
    g_hash_table_insert (by_path, (gpointer) below_root, q);
}

typedef struct
{
  GHashTable *xml_questions; /* path below the root → DftQuestion * */
  GString    *differences;
} KindComparison;

static void
compare_kind (DftQuestion *a, gpointer data)
{
  KindComparison *c = data;
  const char     *key = a->path != NULL ? strchr (a->path + 1, '/') : NULL;
  DftQuestion    *b = key != NULL ? g_hash_table_lookup (c->xml_questions, key) : NULL;

  if (b == NULL)
    return;
  if (a->type != b->type || g_strcmp0 (a->unsupported_type, b->unsupported_type) != 0)
    g_string_append_printf (c->differences,
                            " %s: %s (%s) from the XLSForm, %s (%s) from the XForm;", key,
                            dft_question_type_to_string (a->type),
                            a->unsupported_type != NULL ? a->unsupported_type : "-",
                            dft_question_type_to_string (b->type),
                            b->unsupported_type != NULL ? b->unsupported_type : "-");
  if (g_strcmp0 (a->appearance, b->appearance) != 0)
    g_string_append_printf (
        c->differences, " %s: appearance “%s” from the XLSForm, “%s” from the XForm;", key,
        a->appearance != NULL ? a->appearance : "", b->appearance != NULL ? b->appearance : "");
}

/* Each question's kind, the name of the type Daftari cannot show it as, and its appearance,
 * named one by one, in the XLSForm's order: the first things a reader of a failed comparison
 * looks for. A question only one side has is left to the whole comparison. Returns the
 * differences, or NULL. */
static char *
compare_kinds (DftForm *from_xls, DftForm *from_xml)
{
  g_autoptr (GHashTable) xml_questions = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GString)    differences = g_string_new (NULL);
  KindComparison         c = { xml_questions, differences };

  dft_form_foreach (from_xml, index_question, xml_questions);
  dft_form_foreach (from_xls, compare_kind, &c);
  return differences->len > 0 ? g_strdup (differences->str) : NULL;
}

/* Imports @xls and @xml and fails unless both give the same definition, apart from the
 * corpus's own disagreements for @name (pair_allowances). The canonical JSON holds every
 * question's type, the type Daftari cannot show it as (unsupported_type), its appearance, its
 * texts in each language and the form's languages. */
static void
compare_pair (const char *name, const char *xls, const char *xml)
{
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) from_xml = NULL;
  g_autoptr (DftForm) from_xls = NULL;
  g_autofree char    *a = NULL;
  g_autofree char    *b = NULL;
  g_autofree char    *kinds = NULL;

  from_xml = dft_form_new_from_file (xml, &error);
  if (from_xml == NULL)
    {
      g_test_fail_printf ("%s: the XForm is refused: %s", name, error->message);
      return;
    }
  from_xls = dft_form_new_from_file (xls, &error);
  if (from_xls == NULL)
    {
      g_test_fail_printf ("%s: the XLSForm is refused: %s", name, error->message);
      return;
    }
  kinds = compare_kinds (from_xls, from_xml);
  a = dft_form_to_json (from_xls, DFT_FORM_JSON_CANONICAL | DFT_FORM_JSON_PRETTY);
  b = dft_form_to_json (from_xml, DFT_FORM_JSON_CANONICAL | DFT_FORM_JSON_PRETTY);
  for (guint i = 0; i < G_N_ELEMENTS (pair_allowances); i++)
    if (g_str_equal (name, pair_allowances[i].name))
      {
        char *evened = replace_all (b, pair_allowances[i].from, pair_allowances[i].to);

        g_test_message ("%s: allowed: %s", name, pair_allowances[i].why);
        g_free (b);
        b = evened;
        if (g_str_equal (name, "survey_no_name"))
          {
            evened = replace_all (b, "\"root\" : \"data\"", "\"root\" : \"survey_no_name\"");
            g_free (b);
            b = evened;
            evened = replace_all (b, "\"id\" : \"data\"", "\"id\" : \"survey_no_name\"");
            g_free (b);
            b = evened;
          }
        if (g_str_has_prefix (pair_allowances[i].why, "one cell"))
          {
            /* Both sides alike: plain and opening quotes as closing ones. */
            evened = replace_all (a, "“", "”");
            g_free (a);
            a = replace_all (evened, "\\\"", "”");
            g_free (evened);
          }
      }
  if (g_strcmp0 (a, b) != 0 || kinds != NULL)
    {
      g_test_message ("from the XLSForm:\n%s", a);
      g_test_message ("from the XForm:\n%s", b);
      g_test_fail_printf ("%s: the XLSForm and pyxform's XForm of it give different forms:%s", name,
                          kinds != NULL ? kinds : " see the two definitions above");
    }
}

static void
test_pair (gconstpointer data)
{
  const char      *name = data;
  g_autofree char *xml
      = g_strdup_printf ("%s/xlsform/pyxform/test_expected_output/%s.xml", corpora, name);
  g_autofree char *xls = g_strdup_printf ("%s/xlsform/pyxform/example_xls/%s.xls", corpora, name);

  for (guint i = 0; i < G_N_ELEMENTS (pairs_skipped); i++)
    if (g_str_equal (name, pairs_skipped[i][0]))
      {
        g_test_skip (pairs_skipped[i][1]);
        return;
      }
  if (!g_file_test (xls, G_FILE_TEST_EXISTS))
    {
      g_free (xls);
      xls = g_strdup_printf ("%s/xlsform/pyxform/example_xls/%s.xlsx", corpora, name);
    }
  if (!g_file_test (xls, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no XLSForm beside this expected output");
      return;
    }
  compare_pair (name, xls, xml);
}

/*
 * The project's own pairs, in tests/data/forms/pairs/: an XLSForm (NAME.md) and the XForm
 * pyxform makes of it (NAME.xml), each for what the corpus's pairs do not show (question types
 * Daftari cannot show and their appearances, languages, metadata). They run without the
 * corpora too.
 */
static void
test_own_pair (gconstpointer data)
{
  const char      *name = data;
  const char      *dir = g_getenv ("DAFTARI_TEST_DATA");
  g_autofree char *md_name = g_strconcat (name, ".md", NULL);
  g_autofree char *xml_name = g_strconcat (name, ".xml", NULL);
  g_autofree char *xls = NULL;
  g_autofree char *xml = NULL;

  g_assert_nonnull (dir);
  xls = g_build_filename (dir, "forms", "pairs", md_name, NULL);
  xml = g_build_filename (dir, "forms", "pairs", xml_name, NULL);
  compare_pair (name, xls, xml);
}

/* After every test: GLib runs a suite's own tests before its sub-suites. */
static void
print_summary (void)
{
  g_autoptr (GList) folders
      = g_list_sort (g_hash_table_get_keys (folder_counts), (GCompareFunc) g_strcmp0);

  for (GList *l = folders; l != NULL; l = l->next)
    {
      FolderCount *c = g_hash_table_lookup (folder_counts, l->data);

      g_print ("# %s: %u loaded, %u refused as they should be, %u failed\n", (const char *) l->data,
               c->loaded, c->refused, c->failed);
    }
}

static void
test_absent (void)
{
  g_test_skip ("the form corpora (../shared/corpora, DAFTARI_SHARED) are not here");
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The names in @dir_path that have an XForm. */
static GPtrArray *
collect_pairs (const char *dir_path)
{
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  GPtrArray       *names = g_ptr_array_new_with_free_func (g_free);
  const char      *entry;

  while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (entry, ".xml"))
      g_ptr_array_add (names, g_strndup (entry, strlen (entry) - 4));
  g_ptr_array_sort (names, compare_names);
  return names;
}

int
main (int argc, char **argv)
{
  g_autoptr (GPtrArray) files = NULL;
  g_autoptr (GPtrArray) pairs = NULL;
  g_autoptr (GPtrArray) own_pairs = NULL;
  g_autofree char      *pairs_dir = NULL;
  g_autofree char      *own_dir = NULL;
  int                   ret;

  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);
  corpora = dft_form_corpus_find (NULL);
  folder_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  if (corpora == NULL)
    g_test_add_func ("/form-corpus/absent", test_absent);
  else
    {
      files = dft_form_corpus_list (corpora);
      g_assert_cmpuint (files->len, >, 0);
      for (guint i = 0; i < files->len; i++)
        {
          g_autofree char *test_path
              = g_strconcat ("/form-corpus/", (const char *) g_ptr_array_index (files, i), NULL);

          g_test_add_data_func (test_path, g_ptr_array_index (files, i), test_form);
        }
      pairs_dir = g_build_filename (corpora, "xlsform", "pyxform", "test_expected_output", NULL);
      pairs = collect_pairs (pairs_dir);
      for (guint i = 0; i < pairs->len; i++)
        {
          g_autofree char *test_path
              = g_strconcat ("/form-pairs/", (const char *) g_ptr_array_index (pairs, i), NULL);

          g_test_add_data_func (test_path, g_ptr_array_index (pairs, i), test_pair);
        }
    }
  g_assert_nonnull (g_getenv ("DAFTARI_TEST_DATA"));
  own_dir = g_build_filename (g_getenv ("DAFTARI_TEST_DATA"), "forms", "pairs", NULL);
  own_pairs = collect_pairs (own_dir);
  g_assert_cmpuint (own_pairs->len, >, 0);
  for (guint i = 0; i < own_pairs->len; i++)
    {
      g_autofree char *test_path
          = g_strconcat ("/form-pairs/own/", (const char *) g_ptr_array_index (own_pairs, i), NULL);

      g_test_add_data_func (test_path, g_ptr_array_index (own_pairs, i), test_own_pair);
    }
  ret = g_test_run ();
  print_summary ();
  g_hash_table_unref (folder_counts);
  g_free (corpora);
  return ret;
}
