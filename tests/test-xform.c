/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <locale.h>

#include "dft-test-util.h"
#include "forms/dft-form-export.h"
#include "forms/dft-form-run.h"
#include "forms/dft-form.h"
#include "forms/dft-xform.h"
#include "forms/dft-xlsform.h"

static char *
data_path (const char *name)
{
  const char *dir = g_getenv ("DAFTARI_TEST_DATA");

  g_assert_nonnull (dir);
  return g_build_filename (dir, "forms", "xform", name, NULL);
}

static DftForm *
load_full (void)
{
  g_autofree char   *path = data_path ("full.xml");
  g_autoptr (GError) error = NULL;
  DftForm           *form = dft_xform_load_file (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (form);
  return form;
}

static DftQuestion *
find_in (GPtrArray *questions, const char *name)
{
  for (guint i = 0; i < questions->len; i++)
    {
      DftQuestion *q = g_ptr_array_index (questions, i);
      DftQuestion *found;

      if (g_strcmp0 (q->name, name) == 0)
        return q;
      found = find_in (q->children, name);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static DftQuestion *
find (DftForm *form, const char *name)
{
  DftQuestion *q = find_in (form->questions, name);

  g_assert_nonnull (q);
  return q;
}

static DftChoiceList *
list_of (DftForm *form, DftQuestion *q)
{
  DftChoiceList *list;

  g_assert_nonnull (q->choice_list);
  list = g_hash_table_lookup (form->choice_lists, q->choice_list);
  g_assert_nonnull (list);
  return list;
}

static DftChoice *
choice (DftChoiceList *list, guint i)
{
  g_assert_cmpuint (i, <, list->choices->len);
  return g_ptr_array_index (list->choices, i);
}

static gboolean
has_warning (DftForm *form, const char *name, const char *needle)
{
  for (guint i = 0; i < form->warnings->len; i++)
    {
      DftFormWarning *w = g_ptr_array_index (form->warnings, i);

      if ((name == NULL || g_strcmp0 (w->name, name) == 0) && strstr (w->message, needle) != NULL)
        return TRUE;
    }
  return FALSE;
}

static void
test_structure (void)
{
  g_autoptr (DftForm) form = load_full ();
  static const struct
  {
    const char     *name;
    DftQuestionType type;
  } expected[] = {
    { "start", DFT_QUESTION_METADATA },      { "end", DFT_QUESTION_METADATA },
    { "today", DFT_QUESTION_METADATA },      { "name", DFT_QUESTION_TEXT },
    { "age", DFT_QUESTION_INTEGER },         { "is_adult", DFT_QUESTION_CALCULATE },
    { "greeting", DFT_QUESTION_NOTE },       { "welcome", DFT_QUESTION_TEXT },
    { "markup", DFT_QUESTION_NOTE },         { "page", DFT_QUESTION_GROUP },
    { "colour", DFT_QUESTION_SELECT_ONE },   { "region", DFT_QUESTION_SELECT_ONE },
    { "town", DFT_QUESTION_SELECT_ONE },     { "fruit", DFT_QUESTION_SELECT_MULTIPLE },
    { "child_count", DFT_QUESTION_INTEGER }, { "children", DFT_QUESTION_REPEAT },
    { "location", DFT_QUESTION_GEOTRACE },   { "photo", DFT_QUESTION_IMAGE },
    { "ok", DFT_QUESTION_ACKNOWLEDGE },
  };

  g_assert_cmpstr (form->id, ==, "household_visit");
  g_assert_cmpstr (form->version, ==, "2024031501");
  g_assert_cmpstr (form->root_name, ==, "visit");
  g_assert_cmpstr (dft_text_get (form->title, "en"), ==, "Household visit");
  /* The question tree follows the instance; meta is not a question. */
  g_assert_cmpuint (form->questions->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      DftQuestion *q = g_ptr_array_index (form->questions, i);

      g_assert_cmpstr (q->name, ==, expected[i].name);
      g_assert_cmpint (q->type, ==, expected[i].type);
    }
  g_assert_null (find_in (form->questions, "meta"));
  g_assert_null (find_in (form->questions, "instanceID"));
  /* Lines are those of the body controls. */
  g_assert_cmpuint (find (form, "name")->source_line, ==, 94);
  g_assert_cmpuint (find (form, "is_adult")->source_line, ==, 74);
}

static void
test_itext_languages (void)
{
  g_autoptr (DftForm) form = load_full ();
  DftLanguage        *first;
  DftLanguage        *second;
  DftQuestion        *name;

  g_assert_cmpuint (form->languages->len, ==, 2);
  first = g_ptr_array_index (form->languages, 0);
  second = g_ptr_array_index (form->languages, 1);
  g_assert_cmpstr (first->code, ==, "fr");
  g_assert_cmpstr (first->name, ==, "French (fr)");
  g_assert_cmpstr (second->code, ==, "en");
  g_assert_cmpstr (form->default_language, ==, "en");
  name = find (form, "name");
  g_assert_cmpstr (dft_text_get (name->label, "en"), ==, "Name");
  g_assert_cmpstr (dft_text_get (name->label, "fr"), ==, "Nom");
  /* Plain labels and hints are in the default language. */
  g_assert_cmpstr (dft_text_get (name->hint, "en"), ==, "As on the ID card");
  g_assert_cmpstr (dft_text_get (find (form, "age")->label, "en"), ==, "Age");
  /* The image form is left out, with one warning. */
  g_assert_true (has_warning (form, NULL, "images"));
}

static void
test_messages (void)
{
  g_autoptr (DftForm) form = load_full ();
  DftQuestion        *age = find (form, "age");
  DftQuestion        *welcome = find (form, "welcome");

  g_assert_cmpstr (age->required, ==, "true()");
  g_assert_cmpstr (age->constraint, ==, ". >= 0 and . <= 120");
  g_assert_cmpstr (dft_text_get (age->constraint_message, "en"), ==, "Between 0 and 120");
  g_assert_cmpstr (dft_text_get (age->constraint_message, "fr"), ==, "Entre 0 et 120");
  g_assert_cmpstr (dft_text_get (age->required_message, "en"), ==, "Age is required");
  g_assert_cmpstr (dft_text_get (age->required_message, "fr"), ==, "L'âge est requis");
  g_assert_cmpstr (dft_text_get (welcome->constraint_message, "en"), ==, "Say hello");
  g_assert_null (find (form, "name")->constraint);
}

static void
test_relevant_calculate_readonly (void)
{
  g_autoptr (DftForm) form = load_full ();
  DftQuestion        *greeting = find (form, "greeting");

  g_assert_cmpstr (greeting->relevant, ==, "/visit/age > 0");
  g_assert_cmpstr (greeting->read_only, ==, "true()");
  g_assert_cmpstr (find (form, "is_adult")->calculate, ==, "if(../age >= 18, 'yes', 'no')");
  /* required="false()" is no requirement at all. */
  g_assert_null (find (form, "mood")->required);
  g_assert_null (find (form, "name")->read_only);
}

static void
test_repeat_count (void)
{
  g_autoptr (DftForm) form = load_full ();
  DftQuestion        *children = find (form, "children");

  g_assert_cmpint (children->type, ==, DFT_QUESTION_REPEAT);
  g_assert_cmpstr (children->repeat_count, ==, "/visit/child_count");
  g_assert_cmpstr (dft_text_get (children->label, "en"), ==, "Child");
  g_assert_cmpuint (children->children->len, ==, 1);
  g_assert_cmpstr (((DftQuestion *) g_ptr_array_index (children->children, 0))->name, ==,
                   "child_name");
}

static void
test_field_list (void)
{
  g_autoptr (DftForm) form = load_full ();
  DftQuestion        *page = find (form, "page");

  g_assert_cmpint (page->type, ==, DFT_QUESTION_GROUP);
  g_assert_true (page->page);
  g_assert_cmpstr (page->appearance, ==, "field-list");
  g_assert_cmpstr (dft_text_get (page->label, "en"), ==, "One page");
  g_assert_cmpuint (page->children->len, ==, 2);
  g_assert_false (find (form, "children")->page);
}

static void
test_appearances (void)
{
  g_autoptr (DftForm) form = load_full ();
  DftQuestion        *mood = find (form, "mood");
  DftQuestion        *kind = find (form, "kind");
  DftChoiceList      *kinds;

  g_assert_cmpint (mood->type, ==, DFT_QUESTION_LIKERT);
  g_assert_cmpstr (mood->appearance, ==, "likert");
  g_assert_cmpint (kind->type, ==, DFT_QUESTION_SELECT_ONE);
  g_assert_cmpstr (kind->appearance, ==, "minimal");
  /* A ref relative to its group, and choice labels from itext. */
  kinds = list_of (form, kind);
  g_assert_cmpuint (kinds->choices->len, ==, 2);
  g_assert_cmpstr (dft_text_get (choice (kinds, 1)->label, "en"), ==, "Two");
  g_assert_cmpstr (dft_text_get (choice (kinds, 1)->label, "fr"), ==, "Deux");
}

static void
test_inline_items (void)
{
  g_autoptr (DftForm) form = load_full ();
  DftQuestion        *region = find (form, "region");
  DftChoiceList      *list = list_of (form, region);

  g_assert_cmpstr (list->name, ==, "region");
  g_assert_cmpuint (list->choices->len, ==, 2);
  g_assert_cmpstr (choice (list, 0)->value, ==, "ke");
  g_assert_cmpstr (dft_text_get (choice (list, 0)->label, "en"), ==, "Kenya");
  g_assert_cmpstr (choice (list, 1)->value, ==, "tz");
  g_assert_cmpuint (list_of (form, find (form, "fruit"))->choices->len, ==, 1);
}

static void
test_itemset_filter (void)
{
  g_autoptr (DftForm) form = load_full ();
  DftQuestion        *town = find (form, "town");
  DftChoiceList      *list = list_of (form, town);

  g_assert_cmpstr (list->name, ==, "towns");
  g_assert_cmpstr (town->choice_filter, ==, "region= /visit/region");
  g_assert_cmpuint (list->choices->len, ==, 3);
  g_assert_cmpstr (choice (list, 2)->value, ==, "dar");
  g_assert_cmpstr (dft_text_get (choice (list, 2)->label, "en"), ==, "Dar es Salaam");
  g_assert_cmpstr (g_hash_table_lookup (choice (list, 2)->extra, "region"), ==, "tz");
  g_assert_false (g_hash_table_contains (choice (list, 2)->extra, "name"));
}

static void
test_external_csv (void)
{
  g_autoptr (DftForm) form = load_full ();
  DftChoiceList      *list = list_of (form, find (form, "colour"));

  g_assert_cmpstr (list->name, ==, "colours");
  g_assert_cmpuint (list->choices->len, ==, 2);
  g_assert_cmpstr (choice (list, 1)->value, ==, "blue");
  g_assert_cmpstr (dft_text_get (choice (list, 1)->label, "en"), ==, "Blue, deep");
  g_assert_cmpstr (g_hash_table_lookup (choice (list, 1)->extra, "warm"), ==, "no");
}

static void
test_external_csv_missing (void)
{
  g_autofree char    *path = data_path ("missing-csv.xml");
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = dft_xform_load_file (path, &error);

  g_assert_null (form);
  g_assert_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "animals.csv"));
}

/* An itemset randomize(nodes, seed?) as ODK writes it: the choices with their filter, offered
 * in the seeded order randomize() gives (letters A-F, seed 42: AFCBDE). */
static void
test_itemset_randomize (void)
{
  g_autofree char       *path = data_path ("randomize.xml");
  g_autoptr (GError)     error = NULL;
  g_autoptr (DftForm)    form = dft_xform_load_file (path, &error);
  g_autoptr (DftFormRun) run = NULL;
  g_autoptr (GPtrArray)  seeded = NULL;
  g_autoptr (GString)    order = g_string_new (NULL);
  DftQuestion           *q;

  g_assert_no_error (error);
  q = find (form, "seeded");
  g_assert_null (q->unsupported_type);
  g_assert_true (q->choice_randomize);
  g_assert_cmpstr (q->choice_seed, ==, "/data/s");
  g_assert_cmpstr (q->choice_filter, ==, "name != 'x'");
  q = find (form, "free");
  g_assert_null (q->unsupported_type);
  g_assert_true (q->choice_randomize);
  g_assert_null (q->choice_seed);
  g_assert_false (find (form, "s")->choice_randomize);

  g_assert_true (dft_form_prepare (form, &error));
  run = dft_form_run_new (form, &error);
  g_assert_no_error (error);
  g_assert_true (dft_form_run_set_answer (run, "/data/s", "42", NULL, &error));
  seeded = dft_form_run_get_choices (run, "/data/seeded", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < seeded->len; i++)
    g_string_append (order, ((DftChoice *) g_ptr_array_index (seeded, i))->value);
  g_assert_cmpstr (order->str, ==, "AFCBDE");

  /* Exported and read again, the shuffling and its seed are kept. */
  {
    g_autofree char    *xml = dft_xform_export (form, &error);
    g_autoptr (DftForm) again = NULL;

    g_assert_no_error (error);
    again = dft_xform_load_data (xml, strlen (xml), NULL, &error);
    g_assert_no_error (error);
    g_assert_true (find (again, "seeded")->choice_randomize);
    g_assert_cmpstr (find (again, "seeded")->choice_seed, ==, "/data/s");
    g_assert_true (find (again, "free")->choice_randomize);
    g_assert_null (find (again, "free")->choice_seed);
  }
}

/* jr://file/trees.xml in media/ is a secondary instance like an inline one: its items with their
 * extra columns for the filter; the optional question over a missing XML file is left out. */
static void
test_external_xml (void)
{
  g_autofree char    *path = data_path ("external-xml.xml");
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = dft_xform_load_file (path, &error);
  DftQuestion        *tree;
  DftChoiceList      *list;

  g_assert_no_error (error);
  tree = find (form, "tree");
  list = list_of (form, tree);
  g_assert_null (tree->unsupported_type);
  g_assert_cmpstr (tree->choice_filter, ==, "zone= /data/zone");
  g_assert_cmpuint (list->choices->len, ==, 3);
  g_assert_cmpstr (choice (list, 2)->value, ==, "acacia");
  g_assert_cmpstr (dft_text_get (choice (list, 2)->label, form->default_language), ==,
                   "Acacia, flat-top");
  g_assert_cmpstr (g_hash_table_lookup (choice (list, 1)->extra, "zone"), ==, "coast");
  g_assert_nonnull (find (form, "bird")->unsupported_type);
  g_assert_true (has_warning (form, "bird", "birds.xml"));
}

/* The same form with trees.xml missing: the required question refuses it, naming the file. */
static void
test_external_xml_missing (void)
{
  g_autofree char    *form_path = data_path ("external-xml.xml");
  g_autofree char    *xml = NULL;
  g_autofree char    *dir = dft_test_make_dir ();
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = NULL;
  gsize               len = 0;

  g_assert_true (g_file_get_contents (form_path, &xml, &len, NULL));
  form = dft_xform_load_data (xml, len, dir, &error);
  g_assert_null (form);
  g_assert_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "trees.xml"));
  g_assert_nonnull (strstr (error->message, "tree"));
  dft_test_dir_free (g_steal_pointer (&dir));
}

/* An external XML file with a DTD and entities (a billion laughs, a local file) is refused
 * without expanding them; the message names the file. */
static void
test_external_xml_hostile (void)
{
  static const char *const hostile[] = {
    "<?xml version=\"1.0\"?>\n<!DOCTYPE root [<!ENTITY a \"aaaaaaaaaa\">"
    "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>\n"
    "<root><item><name>&b;</name><label>x</label><zone>dry</zone></item></root>\n",
    "<?xml version=\"1.0\"?>\n<!DOCTYPE root [<!ENTITY p SYSTEM \"file:///etc/passwd\">]>\n"
    "<root><item><name>&p;</name><label>x</label><zone>dry</zone></item></root>\n",
    "<root><item><name>oak</name>",
  };
  g_autofree char *form_path = data_path ("external-xml.xml");
  g_autofree char *xml = NULL;
  gsize            len = 0;

  g_assert_true (g_file_get_contents (form_path, &xml, &len, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    {
      g_autofree char    *dir = dft_test_make_dir ();
      g_autofree char    *file = g_build_filename (dir, "trees.xml", NULL);
      g_autoptr (GError)  error = NULL;
      g_autoptr (DftForm) form = NULL;

      g_assert_true (g_file_set_contents (file, hostile[i], -1, NULL));
      form = dft_xform_load_data (xml, len, dir, &error);
      g_assert_null (form);
      g_assert_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, "trees.xml"));
      dft_test_dir_free (g_steal_pointer (&dir));
    }
}

/* An external CSV file as a European Excel saves it: a byte order mark, semicolons between the
 * values and a label with a line break inside quotes. It is read as a sign-up sheet is. */
static void
test_external_csv_excel (void)
{
  g_autofree char    *form_path = data_path ("missing-csv.xml");
  g_autofree char    *xml = NULL;
  g_autofree char    *dir = dft_test_make_dir ();
  g_autofree char    *csv_path = g_build_filename (dir, "animals.csv", NULL);
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = NULL;
  const char         *csv = "\xEF\xBB\xBFname;label;legs\r\n"
                            "cat;Cat;4\r\n"
                            "hen;\"Laying;\r\nhen\";2\r\n";
  gsize               len = 0;
  DftChoiceList      *list;

  g_assert_true (g_file_get_contents (form_path, &xml, &len, NULL));
  g_assert_true (g_file_set_contents (csv_path, csv, -1, NULL));
  form = dft_xform_load_data (xml, len, dir, &error);
  g_assert_no_error (error);
  list = list_of (form, find (form, "animal"));
  g_assert_cmpuint (list->choices->len, ==, 2);
  g_assert_cmpstr (choice (list, 0)->value, ==, "cat");
  g_assert_cmpstr (choice (list, 1)->value, ==, "hen");
  g_assert_cmpstr (dft_text_get (choice (list, 1)->label, form->default_language), ==,
                   "Laying;\nhen");
  g_assert_cmpstr (g_hash_table_lookup (choice (list, 1)->extra, "legs"), ==, "2");
  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_unsupported_optional (void)
{
  g_autoptr (DftForm) form = load_full ();
  DftQuestion        *photo = find (form, "photo");

  /* A photo and a geotrace are questions like any other now. */
  g_assert_cmpint (photo->type, ==, DFT_QUESTION_IMAGE);
  g_assert_null (photo->unsupported_type);
  g_assert_false (has_warning (form, "photo", "image"));
  g_assert_null (find (form, "location")->unsupported_type);
  g_assert_false (has_warning (form, "location", "geotrace"));
}

static void
test_unsupported_required (void)
{
  g_autofree char    *path = data_path ("required-external-app.xml");
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = dft_xform_load_file (path, &error);

  g_assert_null (form);
  g_assert_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "where"));
  g_assert_nonnull (strstr (error->message, "21"));
  g_assert_nonnull (strstr (error->message, "app"));
}

/* ODK's geotrace, geoshape and barcode bind types on an input, required or not, load as
 * those questions without a warning; on another control they are still left out. */
static void
test_geo_barcode (void)
{
  static const char xml[]
      = "<h:html xmlns='http://www.w3.org/2002/xforms' xmlns:h='http://www.w3.org/1999/xhtml'>"
        "<h:head><h:title>t</h:title><model><instance><data id='t'>"
        "<walk/><field/><code/><scan/></data></instance>"
        "<bind nodeset='/data/walk' type='geotrace' required='true()'/>"
        "<bind nodeset='/data/field' type='geoshape'/>"
        "<bind nodeset='/data/code' type='barcode' required='true()'/>"
        "<bind nodeset='/data/scan' type='barcode'/>"
        "</model></h:head><h:body>"
        "<input ref='/data/walk' appearance='maps'><label>Walk</label></input>"
        "<input ref='/data/field'><label>Field</label></input>"
        "<input ref='/data/code'><label>Code</label></input>"
        "<trigger ref='/data/scan'><label>Scan</label></trigger>"
        "</h:body></h:html>";
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = dft_xform_load_data (xml, strlen (xml), NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpint (find (form, "walk")->type, ==, DFT_QUESTION_GEOTRACE);
  g_assert_cmpstr (find (form, "walk")->required, ==, "true()");
  g_assert_cmpstr (find (form, "walk")->appearance, ==, "maps");
  g_assert_cmpint (find (form, "field")->type, ==, DFT_QUESTION_GEOSHAPE);
  g_assert_cmpint (find (form, "code")->type, ==, DFT_QUESTION_BARCODE);
  g_assert_cmpstr (find (form, "code")->required, ==, "true()");
  g_assert_cmpint (find (form, "scan")->type, ==, DFT_QUESTION_UNSUPPORTED);
  g_assert_cmpstr (find (form, "scan")->unsupported_type, ==, "barcode");
  g_assert_cmpuint (form->warnings->len, ==, 1);
  g_assert_true (has_warning (form, "scan", "barcode"));
  g_assert_true (dft_form_prepare (form, &error));
  g_assert_no_error (error);
}

static void
test_markup_is_text (void)
{
  g_autoptr (DftForm) form = load_full ();

  /* Escaped markup stays as written; elements give their text, never formatting. */
  g_assert_cmpstr (dft_text_get (find (form, "markup")->label, "en"), ==, "<b>Bold</b> and red");
  g_assert_cmpstr (dft_text_get (find (form, "greeting")->label, "en"), ==, "Welcome, ${name}!");
}

static void
test_defaults_and_preloads (void)
{
  g_autoptr (DftForm) form = load_full ();

  g_assert_cmpstr (find (form, "age")->default_value, ==, "30");
  g_assert_cmpstr (find (form, "welcome")->default_expression, ==, "concat('Hello ', 'there')");
  g_assert_cmpstr (find (form, "start")->preload, ==, "start");
  g_assert_cmpstr (find (form, "end")->preload, ==, "end");
  g_assert_cmpstr (find (form, "today")->preload, ==, "today");
}

static void
test_prepares (void)
{
  g_autofree char    *path = data_path ("full.xml");
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = dft_form_new_from_file (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (form);
  g_assert_nonnull (dft_form_lookup (form, "child_name"));
  g_assert_cmpstr (dft_form_lookup (form, "child_name")->path, ==, "/visit/children/child_name");
}

#define HEAD                                                                                       \
  "<h:html xmlns='http://www.w3.org/2002/xforms' xmlns:h='http://www.w3.org/1999/xhtml' "          \
  "xmlns:odk='http://www.opendatakit.org/xforms' xmlns:jr='http://openrosa.org/javarosa'>"
#define MODEL(binds)                                                                               \
  "<h:head><h:title>t</h:title><model><instance><data id='t'><a/><b/></data></instance>" binds     \
  "</model></h:head>"

static void
test_negative (void)
{
  static const struct
  {
    const char *xml;
    const char *needle;
  } cases[] = {
    { "this is not xml", "XML" },
    { "<data/>", "<data>" },
    { HEAD "<h:head/></h:html>", "<model>" },
    { HEAD "<h:head><model/></h:head></h:html>", "primary instance" },
    { HEAD "<h:body/>" MODEL ("") "</h:html>", "before its head" },
    { HEAD MODEL (
          "<setvalue event='odk-instance-frist-load' ref='/data/a' value='1'/>") "</h:html>",
      "odk-instance-frist-load" },
    { HEAD MODEL ("<setgeopoint event='odk-instance-first-load' ref='/data/a'/>") "</h:html>",
      "namespace" },
    { HEAD MODEL ("") "<h:body><range ref='/data/a' start='1..2' end='3'><label>r</label></range>"
                      "</h:body></h:html>",
      "1..2" },
    { HEAD MODEL ("") "<h:body><input ref='/data/nothing'><label>x</label></input></h:body>"
                      "</h:html>",
      "/data/nothing" },
    { "<!DOCTYPE h:html [<!ENTITY x 'boom'>]>" HEAD MODEL ("") "</h:html>", "DOCTYPE" },
    { HEAD MODEL (
          "") "<h:body><select1 ref='/data/a'><itemset nodeset=\"instance('nope')/root/item\">"
              "<value ref='name'/><label ref='label'/></itemset></select1></h:body></h:html>",
      "nope" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError)  error = NULL;
      g_autoptr (DftForm) form
          = dft_xform_load_data (cases[i].xml, strlen (cases[i].xml), NULL, &error);

      g_test_message ("case %u: %s", i, error != NULL ? error->message : "(loaded)");
      g_assert_null (form);
      g_assert_nonnull (error);
      g_assert_true (error->domain == DFT_FORM_ERROR);
      g_assert_nonnull (strstr (error->message, cases[i].needle));
    }
}

static void
test_hostile (void)
{
  g_autofree char *path = data_path ("full.xml");
  g_autofree char *data = NULL;
  gsize            length = 0;
  GString         *deep = g_string_new (HEAD "<h:head><model><instance><data id='d'>");

  g_assert_true (g_file_get_contents (path, &data, &length, NULL));
  /* Every truncation either loads or fails with a message; none crashes. */
  for (gsize n = 0; n < length; n += 7)
    {
      g_autoptr (GError)  error = NULL;
      g_autoptr (DftForm) form = dft_xform_load_data (data, n, NULL, &error);

      g_assert_true (form != NULL || (error != NULL && error->message[0] != '\0'));
    }
  /* Nesting past libxml2's limit is refused, not recursed into. */
  for (guint i = 0; i < 100000; i++)
    g_string_append (deep, "<g>");
  {
    g_autoptr (GError)  error = NULL;
    g_autoptr (DftForm) form = dft_xform_load_data (deep->str, deep->len, NULL, &error);

    g_assert_null (form);
    g_assert_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE);
  }
  g_string_free (deep, TRUE);
}

/* ---- Export and import again ------------------------------------------ */

/* tests/data/forms/round-trip.json has what exports used to lose: a title in four languages,
 * a read-only text that nothing calculates, notes (one of them calculated), line breaks in
 * labels, hints and choices, text that looks like the markdown encoding of a line break,
 * Urdu mixed with a Latin acronym and digits, and a line, a shape and a barcode (with leading
 * zeros). */
static void
test_export_round_trip (void)
{
  g_autoptr (DftForm) form = dft_test_load_form ("round-trip.json");
  g_autoptr (DftForm) again = NULL;
  g_autoptr (GError)  error = NULL;
  g_autofree char    *xml = dft_xform_export (form, &error);
  g_autofree char    *before = NULL;
  g_autofree char    *after = NULL;
  g_autofree char    *texts_before = dft_test_form_texts (form);
  g_autofree char    *texts_after = NULL;
  DftQuestion        *ref;

  g_assert_no_error (error);
  /* ODK shows the default language's title; the others ride along in itext. */
  g_assert_nonnull (strstr (xml, "<h:title>Field visit</h:title>"));
  again = dft_xform_load_data (xml, strlen (xml), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (dft_form_prepare (again, &error));
  g_assert_no_error (error);

  /* Each loss by name first, then the whole definition. */
  g_assert_cmpstr (dft_text_get (again->title, "en"), ==, "Field visit");
  g_assert_cmpstr (dft_text_get (again->title, "ky"), ==, "Талаа сапары");
  g_assert_cmpstr (dft_text_get (again->title, "ur"), ==, "فیلڈ کا دورہ");
  ref = find (again, "ref");
  g_assert_cmpint (ref->type, ==, DFT_QUESTION_TEXT);
  g_assert_cmpstr (ref->read_only, ==, "true()");
  g_assert_cmpstr (ref->default_value, ==, "KG-2024-17");
  g_assert_cmpint (find (again, "intro")->type, ==, DFT_QUESTION_NOTE);
  g_assert_cmpint (find (again, "route")->type, ==, DFT_QUESTION_GEOTRACE);
  g_assert_cmpint (find (again, "plot")->type, ==, DFT_QUESTION_GEOSHAPE);
  g_assert_cmpint (find (again, "tag")->type, ==, DFT_QUESTION_BARCODE);
  g_assert_cmpstr (find (again, "tag")->default_value, ==, "00012345");
  g_assert_cmpint (find (again, "code_note")->type, ==, DFT_QUESTION_NOTE);
  g_assert_cmpstr (dft_text_get (find (again, "notes")->label, "ru"), ==, "Заметки\nо визите");
  g_assert_cmpstr (dft_text_get (find (again, "notes")->hint, "ur"), ==,
                   "اگر بی ایم آئی (BMI) 25 سے زیادہ ہو\nتو WHO کا چارٹ 3 دیکھیں");

  before = dft_form_to_json (form, DFT_FORM_JSON_CANONICAL | DFT_FORM_JSON_PRETTY);
  after = dft_form_to_json (again, DFT_FORM_JSON_CANONICAL | DFT_FORM_JSON_PRETTY);
  g_assert_cmpstr (after, ==, before);
  texts_after = dft_test_form_texts (again);
  g_assert_cmpstr (texts_after, ==, texts_before);
}

/* What Daftari adds for itself stays out of ODK's way: an XForm without it reads as ODK
 * reads it, a read-only text input nothing calculates being a note. */
static void
test_readonly_input_is_note (void)
{
  static const char xml[]
      = HEAD "<h:head><h:title>t</h:title><model><instance><data id='t'><a/><b>x</b></data>"
             "</instance><bind nodeset='/data/a' type='string' readonly='true()'/>"
             "<bind nodeset='/data/b' type='string' readonly='true()'/></model></h:head>"
             "<h:body><input ref='/data/a'><label>A</label></input>"
             "<input ref='/data/b'><label>B</label></input></h:body></h:html>";
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = dft_xform_load_data (xml, strlen (xml), NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpint (find (form, "a")->type, ==, DFT_QUESTION_NOTE);
  g_assert_cmpint (find (form, "b")->type, ==, DFT_QUESTION_NOTE);
  g_assert_cmpstr (dft_text_get (form->title, form->default_language), ==, "t");
}

/* ---- Valid ODK forms Daftari used to refuse (issue 18) ---------------- */

/* @xml loaded and prepared, with no error. */
static DftForm *
load_valid (const char *xml)
{
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = dft_xform_load_data (xml, strlen (xml), NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (form);
  g_assert_true (dft_form_prepare (form, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&form);
}

/* The first instance is the primary one, whatever attributes it has; later ones with an id
 * are secondary. */
static void
test_primary_instance_with_id (void)
{
  static const char xml[]
      = HEAD "<h:head><h:title>t</h:title><model>"
             "<instance id='main'><data id='t'><a/></data></instance>"
             "<instance id='list'><root><item><name>x</name><label>X</label></item></root>"
             "</instance></model></h:head>"
             "<h:body><select1 ref='/data/a'><label>A</label>"
             "<itemset nodeset=\"instance('list')/root/item\"><value ref='name'/>"
             "<label ref='label'/></itemset></select1></h:body></h:html>";
  g_autoptr (DftForm) form = load_valid (xml);

  g_assert_cmpstr (form->root_name, ==, "data");
  g_assert_cmpint (find (form, "a")->type, ==, DFT_QUESTION_SELECT_ONE);
  g_assert_cmpuint (list_of (form, find (form, "a"))->choices->len, ==, 1);
}

/* A field-list group may hold a repeat (Collect refuses that): its instances go on that page. */
static void
test_repeat_in_field_list (void)
{
  static const char xml[]
      = HEAD "<h:head><h:title>t</h:title><model><instance><data id='t'><page><where/>"
             "<visit jr:template=''><day/><seen/></visit></page></data></instance>"
             "<bind nodeset='/data/page/visit/day' type='date' required='true()'/>"
             "<bind nodeset='/data/page/visit/seen' type='int'/></model></h:head>"
             "<h:body><group ref='/data/page' appearance='field-list'><label>P</label>"
             "<input ref='/data/page/where'><label>W</label></input>"
             "<group ref='/data/page/visit'><label>Visit</label>"
             "<repeat nodeset='/data/page/visit'>"
             "<input ref='/data/page/visit/day'><label>D</label></input>"
             "<input ref='seen'><label>S</label></input>"
             "</repeat></group></group></h:body></h:html>";
  g_autoptr (DftForm) form = load_valid (xml);
  DftQuestion        *page = find (form, "page");
  DftQuestion        *visit = find_in (page->children, "visit");

  g_assert_true (page->page);
  g_assert_true (visit == find (form, "visit"));
  g_assert_cmpint (visit->type, ==, DFT_QUESTION_REPEAT);
  g_assert_cmpuint (visit->children->len, ==, 2);
  g_assert_cmpint (find (form, "day")->type, ==, DFT_QUESTION_DATE);
  g_assert_cmpstr (find (form, "seen")->path, ==, "/data/page/visit/seen");
}

/* current() in a control's ref is the node of what holds the control: inside a repeat,
 * "current()/name" is the repeat's "name". */
static void
test_current_in_ref (void)
{
  static const char xml[]
      = HEAD "<h:head><h:title>t</h:title><model><instance><data id='t'>"
             "<rep jr:template=''><name/><age/></rep></data></instance>"
             "<bind nodeset='/data/rep/age' type='int'/></model></h:head>"
             "<h:body><group ref='/data/rep'><label>R</label><repeat nodeset='/data/rep'>"
             "<input ref='current()/name'><label>N</label></input>"
             "<input ref=' current()/age '><label>A</label></input>"
             "</repeat></group></h:body></h:html>";
  g_autoptr (DftForm) form = load_valid (xml);
  DftQuestion        *name = find (form, "name");

  g_assert_cmpint (name->type, ==, DFT_QUESTION_TEXT);
  g_assert_cmpstr (name->path, ==, "/data/rep/name");
  g_assert_cmpstr (dft_text_get (name->label, form->default_language), ==, "N");
  g_assert_cmpint (find (form, "age")->type, ==, DFT_QUESTION_INTEGER);
}

/* As JavaRosa: a bind for a node the instance does not have and a second model are warned
 * about, naming them, and ignored. */
static void
test_stray_bind_and_model (void)
{
  static const char xml[]
      = HEAD "<h:head><h:title>t</h:title><model><instance><data id='t'><a/></data></instance>"
             "<bind nodeset='/data/a' type='int'/>\n"
             "<bind nodeset='/data/deviceid' jr:preload='property' jr:preloadParams='deviceid'/>"
             "</model>\n<model><instance><other id='o'><b/></other></instance></model></h:head>"
             "<h:body><input ref='/data/a'><label>A</label></input></h:body></h:html>";
  g_autoptr (DftForm) form = load_valid (xml);

  g_assert_cmpstr (form->root_name, ==, "data");
  g_assert_cmpint (find (form, "a")->type, ==, DFT_QUESTION_INTEGER);
  g_assert_null (find_in (form->questions, "deviceid"));
  g_assert_true (has_warning (form, "deviceid", "/data/deviceid"));
  g_assert_true (has_warning (form, "deviceid", "line 2"));
  g_assert_true (has_warning (form, NULL, "second <model> on line 3"));
}

/* A form whose only field is its metadata, or whose body is empty, opens as other engines
 * open it, with a warning that it asks nothing. */
static void
test_nothing_to_ask (void)
{
  static const char *const forms[] = {
    HEAD "<h:head><h:title>t</h:title><model><instance><data id='t'><meta><instanceID/></meta>"
         "</data></instance><bind nodeset='/data/meta/instanceID' type='string' "
         "readonly='true()' calculate=\"concat('uuid:', uuid())\"/></model></h:head>"
         "<h:body/></h:html>",
    HEAD "<h:head><h:title>t</h:title><model><instance><data id='t'><text/></data></instance>"
         "</model></h:head><h:body/></h:html>",
  };

  for (guint i = 0; i < G_N_ELEMENTS (forms); i++)
    {
      g_autoptr (DftForm)    form = load_valid (forms[i]);
      g_autoptr (GError)     error = NULL;
      g_autoptr (DftFormRun) run = dft_form_run_new (form, &error);
      g_autoptr (GPtrArray)  problems = NULL;

      g_assert_true (has_warning (form, NULL, "no question to show"));
      /* Filling it in is finalizing it straight away. */
      g_assert_no_error (error);
      problems = dft_form_run_problems (run, form->default_language);
      g_assert_cmpuint (problems->len, ==, 0);
    }
}

/* A question the person answers with a calculation that copies another answer is ODK's
 * suggested default: the calculation suggests, the person may change it. */
static void
test_answerable_and_calculated (void)
{
  static const char xml[] = HEAD MODEL (
      "<bind nodeset='/data/b' calculate=' /data/a ' type='string'/>") "<h:body><input "
                                                                       "ref='/data/a'/><input "
                                                                       "ref='/data/b'/></"
                                                                       "h:body></h:html>";
  g_autoptr (DftForm) form = load_valid (xml);
  DftQuestion        *b = find (form, "b");

  g_assert_cmpint (b->type, ==, DFT_QUESTION_TEXT);
  g_assert_cmpstr (b->calculate, ==, "/data/a");
  g_assert_true (dft_question_calculation_suggests (b));
}

/* An instance node with no control, calculation or default is data the form keeps (set by
 * other tools, read by expressions): hidden, saved with the answers, never a warning. */
static void
test_hidden_node_is_data (void)
{
  static const char xml[]
      = HEAD "<h:head><h:title>t</h:title><model><instance><data id='t'><a/><kept/></data>"
             "</instance><bind nodeset='/data/kept' type='string' required='true()'/>"
             "<bind nodeset='/data/a' type='string' relevant=\"/data/kept != 'skip'\"/>"
             "</model></h:head><h:body><input ref='/data/a'><label>A</label></input></h:body>"
             "</h:html>";
  g_autoptr (DftForm)    form = load_valid (xml);
  g_autoptr (DftForm)    again = NULL;
  g_autoptr (DftFormRun) run = NULL;
  g_autoptr (GPtrArray)  problems = NULL;
  g_autoptr (GError)     error = NULL;
  g_autofree char       *json = NULL;
  g_autofree char       *saved = NULL;
  g_autofree char       *exported = NULL;
  g_autofree char       *markdown = NULL;
  DftQuestion           *kept = find (form, "kept");

  g_assert_cmpint (kept->type, ==, DFT_QUESTION_METADATA);
  g_assert_null (kept->preload);
  g_assert_null (kept->required);
  g_assert_cmpuint (form->warnings->len, ==, 0);

  run = dft_form_run_new (form, &error);
  g_assert_no_error (error);
  problems = dft_form_run_problems (run, form->default_language);
  g_assert_cmpuint (problems->len, ==, 0);
  g_assert_true (dft_form_run_load_json (run, "{\"/data/kept\": \"skip\"}", &error));
  g_assert_no_error (error);
  g_assert_false (dft_form_run_is_relevant (run, "/data/a"));
  saved = dft_form_run_to_json (run, TRUE);
  g_assert_nonnull (strstr (saved, "\"/data/kept\":\"skip\""));

  /* Daftari's JSON and an exported XForm keep it as it is. */
  json = dft_form_to_json (form, DFT_FORM_JSON_DEFAULT);
  again = dft_form_new_from_json (json, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (find (again, "kept")->type, ==, DFT_QUESTION_METADATA);
  exported = dft_xform_export (form, &error);
  g_assert_no_error (error);
  g_clear_pointer (&again, dft_form_unref);
  again = load_valid (exported);
  g_assert_cmpint (find (again, "kept")->type, ==, DFT_QUESTION_METADATA);
  g_assert_null (find (again, "kept")->preload);
  /* An XLSForm names it as pyxform does. */
  markdown = dft_xlsform_export_md (form, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (markdown, "| hidden | kept |"));
  g_clear_pointer (&again, dft_form_unref);
  again = dft_xlsform_load_data ("t.md", NULL, markdown, strlen (markdown), &error);
  g_assert_no_error (error);
  g_assert_nonnull (find_in (again->questions, "kept"));
}

/* Forms of the corpora (../shared/corpora) that JavaRosa and Collect open, kept among their
 * projects' test forms: JavaRosa's parser test loads two-models.xml with one warning, Collect's
 * tests fill in randomTest_broken.xml and form_design_error.xml. They open here too. */
static void
test_corpus_forms_engines_open (void)
{
  const char      *shared = g_getenv ("DAFTARI_SHARED");
  g_autofree char *corpora = shared != NULL ? g_build_filename (shared, "corpora", NULL) : NULL;
  static const struct
  {
    const char *file;
    const char *name; /* the warning's question, or NULL */
    const char *warning;
    const char *suggested; /* a question whose calculation suggests its answer, or NULL */
  } cases[] = {
    { "javarosa/negative/two-models.xml", NULL, "second <model> on line 12", NULL },
    { "collect/negative/randomTest_broken.xml", "deviceid", "/randomTest_broken/deviceid", NULL },
    { "collect/negative/form_design_error.xml", NULL, NULL, "fullName" },
  };

  if (corpora == NULL || !g_file_test (corpora, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("the form corpora (../shared/corpora, DAFTARI_SHARED) are not here");
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char    *path = g_build_filename (corpora, "xforms", cases[i].file, NULL);
      g_autoptr (GError)  error = NULL;
      g_autoptr (DftForm) form = dft_form_new_from_file (path, &error);

      g_test_message ("%s", cases[i].file);
      g_assert_no_error (error);
      if (cases[i].warning != NULL)
        g_assert_true (has_warning (form, cases[i].name, cases[i].warning));
      if (cases[i].suggested != NULL)
        g_assert_true (dft_question_calculation_suggests (find (form, cases[i].suggested)));
    }
}

/* ODK's <odk:rank> (bind type odk:rank) orders its items or its itemset's, and Daftari writes
 * it back the same way. */
static void
test_rank (void)
{
  static const char xml[]
      = HEAD "<h:head><h:title>t</h:title><model><instance><data id='t'><a/><b/></data></instance>"
             "<instance id='needs'><root><item><name>water</name><label>Water</label></item>"
             "<item><name>roads</name><label>Roads</label></item></root></instance>"
             "<bind nodeset='/data/a' type='odk:rank' required='true()'/>"
             "<bind nodeset='/data/b' type='odk:rank'/></model></h:head>"
             "<h:body><odk:rank ref='/data/a'><label>A</label>"
             "<item><label>First</label><value>x</value></item>"
             "<item><label>Second</label><value>y</value></item></odk:rank>"
             "<odk:rank ref='/data/b'><label>B</label>"
             "<itemset nodeset=\"instance('needs')/root/item\"><value ref='name'/>"
             "<label ref='label'/></itemset></odk:rank></h:body></h:html>";
  g_autoptr (DftForm) form = load_valid (xml);
  g_autoptr (DftForm) again = NULL;
  g_autoptr (GError)  error = NULL;
  g_autofree char    *exported = NULL;
  DftQuestion        *a = find (form, "a");
  DftQuestion        *b = find (form, "b");

  g_assert_cmpint (a->type, ==, DFT_QUESTION_RANK);
  g_assert_cmpstr (a->required, ==, "true()");
  g_assert_cmpuint (list_of (form, a)->choices->len, ==, 2);
  g_assert_cmpstr (choice (list_of (form, a), 1)->value, ==, "y");
  g_assert_cmpstr (dft_text_get (choice (list_of (form, a), 1)->label, "und"), ==, "Second");
  g_assert_cmpint (b->type, ==, DFT_QUESTION_RANK);
  g_assert_cmpstr (list_of (form, b)->name, ==, "needs");
  g_assert_cmpstr (choice (list_of (form, b), 0)->value, ==, "water");
  g_assert_cmpuint (form->warnings->len, ==, 0);

  exported = dft_xform_export (form, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (exported, "<odk:rank ref=\"/data/a\""));
  g_assert_nonnull (strstr (exported, "type=\"odk:rank\""));
  again = load_valid (exported);
  dft_test_assert_same_form (form, again);
}

/* The rank forms of the corpora open with their rank question shown, not left out. */
static void
test_rank_corpus (void)
{
  static const struct
  {
    const char *file, *name;
    guint       choices;
  } cases[] = {
    { "javarosa/rank-form.xml", "rankWidget", 7 },
    { "collect/all-widgets.xml", "rank_widget", 4 },
  };
  g_autofree char *corpora = dft_test_shared_path ("corpora/xforms");

  if (corpora == NULL)
    {
      g_test_skip ("the form corpora (../shared/corpora, DAFTARI_SHARED) are not here");
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char    *path = g_build_filename (corpora, cases[i].file, NULL);
      g_autoptr (GError)  error = NULL;
      g_autoptr (DftForm) form = dft_xform_load_file (path, &error);
      DftQuestion        *q;

      g_test_message ("%s", cases[i].file);
      g_assert_no_error (error);
      g_assert_true (dft_form_prepare (form, &error));
      g_assert_no_error (error);
      q = find (form, cases[i].name);
      g_assert_cmpint (q->type, ==, DFT_QUESTION_RANK);
      g_assert_cmpuint (list_of (form, q)->choices->len, ==, cases[i].choices);
      g_assert_false (has_warning (form, cases[i].name, "rank"));
    }
}

/* ---- Actions (issue 18) ----------------------------------------------- */

static const char actions_xml[]
    = HEAD "<h:head><h:title>t</h:title><model><instance><data id='t'><name/><stamp/>"
           "<loads>0</loads><where/><rep><x/><n/></rep><count>0</count></data></instance>"
           "<bind nodeset='/data/name' type='string'/><bind nodeset='/data/stamp' type='string'/>"
           "<bind nodeset='/data/loads' type='int'/><bind nodeset='/data/where' type='geopoint'/>"
           "<bind nodeset='/data/rep/x' type='string'/><bind nodeset='/data/rep/n' type='int'/>"
           "<bind nodeset='/data/count' type='string'/>"
           "<setvalue event='odk-instance-load' ref='/data/loads' value='/data/loads + 1'/>"
           "<odk:setgeopoint event='odk-instance-first-load' ref='/data/where'/>"
           "</model></h:head><h:body>"
           "<input ref='/data/name'><label>Name</label><setvalue event='xforms-value-changed' "
           "ref='/data/stamp' value=\"concat('by ', /data/name)\"/></input>"
           "<input ref='/data/where'><label>Where</label></input>"
           "<repeat nodeset='/data/rep'>"
           "<setvalue event='odk-new-repeat' ref='/data/rep/n' value='position(..)'/>"
           "<setvalue event='odk-new-repeat' ref='/data/count'>it's many</setvalue>"
           "<input ref='/data/rep/x'><label>X</label></input></repeat></h:body></h:html>";

static void
assert_run_answer (DftFormRun *run, const char *path, const char *expected)
{
  g_autofree char *value = dft_form_run_get_answer (run, path);

  g_assert_cmpstr (value, ==, expected);
}

static DftAction *
only_action (DftForm *form, const char *name)
{
  DftQuestion *q = find (form, name);

  g_assert_cmpuint (q->actions->len, ==, 1);
  return g_ptr_array_index (q->actions, 0);
}

/* setvalue on odk-instance-load, odk-new-repeat and xforms-value-changed become the target's
 * actions; setgeopoint is kept, with a warning that Daftari has no location to give. */
static void
test_actions_import (void)
{
  g_autoptr (DftForm) form = load_valid (actions_xml);
  g_autoptr (DftForm) again = NULL;
  g_autoptr (GError)  error = NULL;
  g_autofree char    *json = NULL;
  g_autofree char    *json2 = NULL;
  g_autofree char    *xml = NULL;
  DftAction          *a;

  a = only_action (form, "stamp");
  g_assert_cmpint (a->events, ==, DFT_EVENT_VALUE_CHANGED);
  g_assert_cmpstr (a->trigger, ==, "/data/name");
  g_assert_cmpstr (a->value, ==, "concat('by ', /data/name)");
  a = only_action (form, "loads");
  g_assert_cmpint (a->events, ==, DFT_EVENT_INSTANCE_LOAD);
  g_assert_null (a->trigger);
  a = only_action (form, "n");
  g_assert_cmpint (a->events, ==, DFT_EVENT_NEW_REPEAT);
  g_assert_null (a->trigger);
  a = only_action (form, "count");
  g_assert_cmpstr (a->trigger, ==, "/data/rep");
  g_assert_cmpstr (a->value, ==, "\"it's many\"");
  a = only_action (form, "where");
  g_assert_true (a->setgeopoint);
  g_assert_cmpint (a->events, ==, DFT_EVENT_INSTANCE_FIRST_LOAD);
  g_assert_true (has_warning (form, "where", "no location"));
  g_assert_false (has_warning (form, NULL, "not supported"));

  /* A saved definition keeps them. */
  json = dft_form_to_json (form, DFT_FORM_JSON_DEFAULT);
  again = dft_form_new_from_json (json, -1, &error);
  g_assert_no_error (error);
  g_assert_true (dft_form_prepare (again, &error));
  g_assert_no_error (error);
  json2 = dft_form_to_json (again, DFT_FORM_JSON_DEFAULT);
  g_assert_cmpstr (json2, ==, json);

  /* An exported XForm has them where ODK has them, and reads back the same. */
  xml = dft_xform_export (form, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (xml, "<setvalue event=\"odk-instance-load\" ref=\"/data/loads\""));
  g_assert_nonnull (strstr (xml, "<odk:setgeopoint event=\"odk-instance-first-load\""));
  g_clear_pointer (&again, dft_form_unref);
  again = load_valid (xml);
  g_clear_pointer (&json, g_free);
  g_clear_pointer (&json2, g_free);
  json = dft_form_to_json (form, DFT_FORM_JSON_CANONICAL | DFT_FORM_JSON_PRETTY);
  json2 = dft_form_to_json (again, DFT_FORM_JSON_CANONICAL | DFT_FORM_JSON_PRETTY);
  g_assert_cmpstr (json2, ==, json);
}

/* Each action runs on its event: a new submission and every opening, each new repeat
 * instance (not the one the form starts with), each change of the control it is in. */
static void
test_actions_run (void)
{
  g_autoptr (DftForm)    form = load_valid (actions_xml);
  g_autoptr (DftFormRun) run = NULL;
  g_autoptr (DftFormRun) again = NULL;
  g_autoptr (GError)     error = NULL;
  g_autofree char       *draft = NULL;
  struct
  {
    const char *path;
    const char *value;
  } before[] = { { "/data/loads", "1" },
                 { "/data/stamp", "" },
                 { "/data/where", "" },
                 { "/data/rep[1]/n", "" },
                 { "/data/count", "0" } };

  run = dft_form_run_new (form, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (before); i++)
    assert_run_answer (run, before[i].path, before[i].value);
  g_assert_true (dft_form_run_set_answer (run, "/data/name", "Ann", NULL, &error));
  g_assert_no_error (error);
  assert_run_answer (run, "/data/stamp", "by Ann");
  g_assert_cmpuint (dft_form_run_add_instance (run, "/data/rep", &error), ==, 2);
  g_assert_no_error (error);
  assert_run_answer (run, "/data/rep[2]/n", "2");
  assert_run_answer (run, "/data/rep[1]/n", "");
  assert_run_answer (run, "/data/count", "it's many");

  /* Opening the draft is odk-instance-load, not a first load; nothing else runs again. */
  draft = dft_form_run_to_json (run, FALSE);
  again = dft_form_run_new (form, &error);
  g_assert_no_error (error);
  g_assert_true (dft_form_run_open_draft (again, draft, &error));
  g_assert_no_error (error);
  assert_run_answer (again, "/data/loads", "2");
  assert_run_answer (again, "/data/stamp", "by Ann");
  assert_run_answer (again, "/data/rep[2]/n", "2");
  g_assert_cmpuint (dft_form_run_count_instances (again, "/data/rep"), ==, 2);

  /* Reading the answers to show or save them runs nothing. */
  g_clear_pointer (&again, dft_form_run_free);
  again = dft_form_run_new (form, &error);
  g_assert_no_error (error);
  g_assert_true (dft_form_run_load_json (again, draft, &error));
  g_assert_no_error (error);
  assert_run_answer (again, "/data/loads", "1");
}

/* ---- jr:itext() in expressions (issue 18) ------------------------------ */

#define ITEXT_XML(hello)                                                                                \
  HEAD "<h:head><h:title>t</h:title><model><itext>"                                                     \
       "<translation lang='English (en)' default='true()'>"                                             \
       "<text id='greeting'><value>Hello</value></text><text id='c-1'><value>One</value></text>"        \
       "<text id='/data/code:label'><value>Code</value></text></translation>"                           \
       "<translation lang='Русский (ru)'><text id='greeting'><value>Привет</value></text>" \
       "<text id='/data/code:label'><value>Код</value></text></translation></itext>"                 \
       "<instance><data id='t'><code/><hello/><named/></data></instance>"                               \
       "<bind nodeset='/data/code' type='string'/>"                                                     \
       "<bind nodeset='/data/hello' type='string' calculate=\"" hello "\"/>"                            \
       "<bind nodeset='/data/named' type='string' "                                                     \
       "calculate=\"jr:itext(concat('c-', /data/code))\"/></model></h:head>"                            \
       "<h:body><input ref='/data/code'><label ref=\"jr:itext('/data/code:label')\"/></input>"          \
       "</h:body></h:html>"

/* The texts in the language the run is in, falling back as labels do. */
static void
assert_itext_run (DftForm *form)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (DftFormRun) run = dft_form_run_new (form, &error);

  g_assert_no_error (error);
  assert_run_answer (run, "/data/hello", "Hello");
  g_assert_true (dft_form_run_set_answer (run, "/data/code", "1", NULL, &error));
  g_assert_no_error (error);
  assert_run_answer (run, "/data/named", "One");
  dft_form_run_set_language (run, "ru");
  assert_run_answer (run, "/data/hello", "Привет");
  assert_run_answer (run, "/data/named", "One");
  dft_form_run_set_language (run, "ky");
  assert_run_answer (run, "/data/hello", "Hello");
}

static void
test_itext_in_expressions (void)
{
  static const char   xml[] = ITEXT_XML ("jr:itext('greeting')");
  static const char   broken[] = ITEXT_XML ("jr:itext('nope')");
  g_autoptr (DftForm) form = load_valid (xml);
  g_autoptr (DftForm) again = NULL;
  g_autoptr (GError)  error = NULL;
  g_autofree char    *json = NULL;
  g_autofree char    *exported = NULL;
  DftText            *greeting = g_hash_table_lookup (form->texts, "greeting");

  g_assert_nonnull (greeting);
  g_assert_cmpstr (dft_text_get (greeting, "ru"), ==, "Привет");
  assert_itext_run (form);

  /* A saved definition and an exported XForm keep the texts. */
  json = dft_form_to_json (form, DFT_FORM_JSON_DEFAULT);
  again = dft_form_new_from_json (json, -1, &error);
  g_assert_no_error (error);
  assert_itext_run (again);
  exported = dft_xform_export (form, &error);
  g_assert_no_error (error);
  g_clear_pointer (&again, dft_form_unref);
  again = load_valid (exported);
  assert_itext_run (again);

  /* An id the form has no text for is an error that names it. */
  g_clear_pointer (&again, dft_form_unref);
  again = dft_xform_load_data (broken, strlen (broken), NULL, &error);
  g_assert_no_error (error);
  g_assert_false (dft_form_prepare (again, &error));
  g_assert_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_EXPRESSION);
  g_assert_nonnull (strstr (error->message, "“nope”"));
  g_assert_nonnull (strstr (error->message, "hello"));
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/xform/structure", test_structure);
  g_test_add_func ("/xform/itext-languages", test_itext_languages);
  g_test_add_func ("/xform/messages", test_messages);
  g_test_add_func ("/xform/relevant-calculate-readonly", test_relevant_calculate_readonly);
  g_test_add_func ("/xform/repeat-count", test_repeat_count);
  g_test_add_func ("/xform/field-list", test_field_list);
  g_test_add_func ("/xform/repeat-in-field-list", test_repeat_in_field_list);
  g_test_add_func ("/xform/appearances", test_appearances);
  g_test_add_func ("/xform/inline-items", test_inline_items);
  g_test_add_func ("/xform/itemset-filter", test_itemset_filter);
  g_test_add_func ("/xform/external-csv", test_external_csv);
  g_test_add_func ("/xform/external-csv-missing", test_external_csv_missing);
  g_test_add_func ("/xform/external-xml", test_external_xml);
  g_test_add_func ("/xform/external-xml-missing", test_external_xml_missing);
  g_test_add_func ("/xform/external-xml-hostile", test_external_xml_hostile);
  g_test_add_func ("/xform/itemset-randomize", test_itemset_randomize);
  g_test_add_func ("/xform/external-csv-excel", test_external_csv_excel);
  g_test_add_func ("/xform/unsupported/optional", test_unsupported_optional);
  g_test_add_func ("/xform/unsupported/required", test_unsupported_required);
  g_test_add_func ("/xform/geotrace-geoshape-barcode", test_geo_barcode);
  g_test_add_func ("/xform/markup-is-text", test_markup_is_text);
  g_test_add_func ("/xform/defaults-and-preloads", test_defaults_and_preloads);
  g_test_add_func ("/xform/prepares", test_prepares);
  g_test_add_func ("/xform/negative", test_negative);
  g_test_add_func ("/xform/hostile", test_hostile);
  g_test_add_func ("/xform/export/round-trip", test_export_round_trip);
  g_test_add_func ("/xform/readonly-input-is-note", test_readonly_input_is_note);
  g_test_add_func ("/xform/valid/primary-instance-with-id", test_primary_instance_with_id);
  g_test_add_func ("/xform/valid/current-in-ref", test_current_in_ref);
  g_test_add_func ("/xform/valid/stray-bind-and-model", test_stray_bind_and_model);
  g_test_add_func ("/xform/valid/nothing-to-ask", test_nothing_to_ask);
  g_test_add_func ("/xform/valid/answerable-and-calculated", test_answerable_and_calculated);
  g_test_add_func ("/xform/valid/hidden-node-is-data", test_hidden_node_is_data);
  g_test_add_func ("/xform/valid/corpus-forms-engines-open", test_corpus_forms_engines_open);
  g_test_add_func ("/xform/rank", test_rank);
  g_test_add_func ("/xform/rank/corpus", test_rank_corpus);
  g_test_add_func ("/xform/actions/import", test_actions_import);
  g_test_add_func ("/xform/actions/run", test_actions_run);
  g_test_add_func ("/xform/itext-in-expressions", test_itext_in_expressions);

  return g_test_run ();
}
