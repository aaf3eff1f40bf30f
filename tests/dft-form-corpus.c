/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dft-form-corpus.h"

#include <string.h>

/* The form files Daftari's importers read; an importer adds its suffixes here. */
static const char *const form_suffixes[] = {
  ".xml",                         /* ODK XForms, pyxform's outputs among them (dft-xform.c) */
  ".xlsx", ".xls", ".csv", ".md", /* XLSForms (dft-xlsform.c) */
  NULL,
};

/* Files outside negative folders that their own project refuses too, each with the reason.
 * They must be refused here as well, with a message naming the problem. */
static const struct
{
  const char *file;
  const char *why;
} expected_refusals[] = {
  /* pyxform's test_bugs.py and SOURCES.txt */
  { "negative_bug_example_xls/group_name_test.xls", "no name" },
  { "negative_bug_example_xls/duplicate_columns.xlsx", "label" },
  { "negative_bug_example_xls/calculate_without_calculation.xls", "calculation" },
  { "negative_bug_example_xls/bad_calc.xlsx", "not closed" },
  /* pyxform's tests expect these two to fail: an unknown type, and a calculation ODK
   * Validate rejects. */
  { "example_xls/unknown_question_type.xls", "set form title" },
  { "example_xls/bad_calc.xlsx", "not closed" },
  /* pyxform's tests read these three but never make an XForm of them, and none can be one
   * here: the choices file of the first is not in the corpus, the second has a row whose type
   * is "party like it's 19999", and the third's choice_filter is not XPath (ODK Validate
   * refuses what pyxform would make of it). */
  { "negative_bug_example_xls/UCL_Biomass_Plot_Form.xlsx", "not beside the form" },
  { "negative_bug_example_xls/extra_columns.xls", "not a question type" },
  { "negative_bug_example_xls/xl_date_ambiguous.xlsx", "not XPath" },
  /* The itemset data of pull_data.xlsx, beside it: a CSV that is not a form. */
  { "example_xls/fruits.csv", "not an XLSForm" },
};

/* Files in negative folders that Daftari loads: valid ODK all the same (the engine whose folder
 * holds them loads them in its own tests, as Daftari must), or a design Daftari supports where
 * that engine does not (issue 18). */
static const char *const loaded_by_their_engine[] = {
  /* JavaRosa's parseFormWithTwoModels loads it with a warning about the second model. */
  "xforms/javarosa/negative/two-models.xml",
  /* Only its binds for nodes it lacks are wrong, which JavaRosa's verifyBindings warns about;
   * Collect's FormCalculationsTest opens it. */
  "xforms/collect/negative/randomTest_broken.xml",
  /* A calculated question the person may still change (a suggested default); Collect fills
   * it in during CatchFormDesignExceptionsTest. */
  "xforms/collect/negative/form_design_error.xml",
  /* A repeat inside a field-list group, which Collect refuses in CatchFormDesignExceptionsTest;
   * Daftari shows its instances on that group's page. */
  "xforms/collect/negative/g6Error.xml",
};

char *
dft_form_corpus_find (const char *dir)
{
  g_autofree char *path = NULL;

  if (dir != NULL)
    path = g_strdup (dir);
  else if (g_getenv ("DAFTARI_SHARED") != NULL)
    path = g_build_filename (g_getenv ("DAFTARI_SHARED"), "corpora", NULL);
  if (path == NULL || !g_file_test (path, G_FILE_TEST_IS_DIR))
    return NULL;
  return g_steal_pointer (&path);
}

static gboolean
is_form_file (const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);

  for (guint i = 0; form_suffixes[i] != NULL; i++)
    if (g_str_has_suffix (lower, form_suffixes[i]))
      return TRUE;
  return FALSE;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static void
collect (const char *corpora, const char *relative_dir, GPtrArray *files)
{
  g_autofree char      *dir_path = g_build_filename (corpora, relative_dir, NULL);
  g_autoptr (GDir)      dir = g_dir_open (dir_path, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char           *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      const char      *entry = g_ptr_array_index (names, i);
      g_autofree char *relative
          = *relative_dir != '\0' ? g_build_filename (relative_dir, entry, NULL) : g_strdup (entry);
      g_autofree char *full = g_build_filename (corpora, relative, NULL);

      if (g_file_test (full, G_FILE_TEST_IS_DIR))
        {
          /* External CSV instances live in media folders: they are data, not forms. */
          if (g_str_equal (entry, "media") || g_str_has_suffix (entry, "-media"))
            continue;
          collect (corpora, relative, files);
        }
      /* The corpora's own documentation. */
      else if (g_str_has_prefix (entry, "README") || g_str_has_prefix (entry, "SOURCES"))
        continue;
      else if (is_form_file (entry))
        g_ptr_array_add (files, g_steal_pointer (&relative));
    }
}

GPtrArray *
dft_form_corpus_list (const char *corpora)
{
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);

  collect (corpora, "", files);
  return files;
}

gboolean
dft_form_corpus_is_negative (const char *relative)
{
  g_auto (GStrv) parts = g_strsplit (relative, G_DIR_SEPARATOR_S, -1);

  for (guint i = 0; i < G_N_ELEMENTS (loaded_by_their_engine); i++)
    if (g_str_equal (relative, loaded_by_their_engine[i]))
      return FALSE;
  for (guint i = 0; parts[i] != NULL && parts[i + 1] != NULL; i++)
    if (g_str_equal (parts[i], "negative"))
      return TRUE;
  return FALSE;
}

gboolean
dft_form_corpus_in_pyxform_bugs (const char *relative)
{
  return strstr (relative, "negative_bug_example_xls" G_DIR_SEPARATOR_S) != NULL;
}

const char *
dft_form_corpus_expected_refusal (const char *relative)
{
  for (guint i = 0; i < G_N_ELEMENTS (expected_refusals); i++)
    if (g_str_has_suffix (relative, expected_refusals[i].file))
      return expected_refusals[i].why;
  return NULL;
}
