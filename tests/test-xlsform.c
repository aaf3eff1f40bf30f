/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "dft-sheet.h"
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
  return g_build_filename (dir, "forms", "xlsform", name, NULL);
}

static DftForm *
load (const char *name)
{
  g_autofree char   *path = data_path (name);
  g_autoptr (GError) error = NULL;
  DftForm           *form = dft_xlsform_load_file (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (form);
  g_assert_false (form->prepared);
  dft_form_prepare (form, &error);
  g_assert_no_error (error);
  return form;
}

/* Loads markdown text; NULL with @error set when the loader refuses it. */
static DftForm *
load_md (const char *text, GError **error)
{
  return dft_xlsform_load_data ("inline.md", NULL, text, strlen (text), error);
}

static void
assert_refused (const char *text, DftFormError code, const char *part1, const char *part2)
{
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = load_md (text, &error);

  g_assert_null (form);
  g_assert_error (error, DFT_FORM_ERROR, (int) code);
  if (strstr (error->message, part1) == NULL
      || (part2 != NULL && strstr (error->message, part2) == NULL))
    g_test_fail_printf ("message “%s” should name “%s” and “%s”", error->message, part1,
                        part2 != NULL ? part2 : "");
}

static const char *
label (DftQuestion *q, const char *lang)
{
  return dft_text_get (q->label, lang);
}

/* ---- Features --------------------------------------------------------- */

static void
test_basic_md (void)
{
  g_autoptr (DftForm) form = load ("basic.md");
  DftQuestion        *q;
  DftChoiceList      *colors;
  DftChoice          *c;

  g_assert_cmpstr (form->id, ==, "basic_v");
  g_assert_cmpstr (form->root_name, ==, "basic");
  g_assert_cmpstr (form->version, ==, "2024031501");
  g_assert_cmpstr (form->kind, ==, "assessment");
  g_assert_cmpfloat (form->pass_percent, ==, 60);
  g_assert_cmpstr (form->default_language, ==, "ru");
  g_assert_cmpstr (dft_text_get (form->title, "ru"), ==, "Basic form");
  g_assert_cmpuint (form->languages->len, ==, 2);
  g_assert_cmpstr (((DftLanguage *) form->languages->pdata[0])->code, ==, "en");
  g_assert_cmpstr (((DftLanguage *) form->languages->pdata[0])->name, ==, "English (en)");
  g_assert_cmpstr (((DftLanguage *) form->languages->pdata[1])->code, ==, "ru");

  q = dft_form_lookup (form, "started");
  g_assert_cmpint (q->type, ==, DFT_QUESTION_METADATA);
  g_assert_cmpstr (q->preload, ==, "start");
  g_assert_cmpuint (q->source_line, ==, 3);

  q = dft_form_lookup (form, "name");
  g_assert_cmpint (q->type, ==, DFT_QUESTION_TEXT);
  g_assert_cmpstr (label (q, "en"), ==, "Your name");
  g_assert_cmpstr (label (q, "ru"), ==, "Ваше имя");
  g_assert_cmpstr (dft_text_get (q->hint, "en"), ==, "First and last");
  g_assert_cmpstr (q->required, ==, "true()");
  g_assert_cmpuint (q->source_line, ==, 4);

  q = dft_form_lookup (form, "age");
  g_assert_cmpint (q->type, ==, DFT_QUESTION_INTEGER);
  g_assert_null (q->required);
  g_assert_nonnull (q->constraint);
  g_assert_cmpstr (dft_text_get (q->constraint_message, "en"), ==, "Too old");
  g_assert_cmpstr (q->default_value, ==, "30");

  q = dft_form_lookup (form, "household");
  g_assert_cmpint (q->type, ==, DFT_QUESTION_GROUP);
  g_assert_true (q->page);
  g_assert_cmpstr (q->appearance, ==, "field-list");
  g_assert_cmpstr (q->relevant, ==, "/basic/age > 17");
  g_assert_cmpuint (q->children->len, ==, 3);

  q = dft_form_lookup (form, "color");
  g_assert_cmpint (q->type, ==, DFT_QUESTION_SELECT_ONE);
  g_assert_cmpstr (q->choice_list, ==, "colors");
  g_assert_cmpuint (g_strv_length (q->correct), ==, 1);
  g_assert_cmpstr (q->correct[0], ==, "red");
  g_assert_cmpfloat (q->points, ==, 2);
  g_assert_false (q->partial_credit);

  q = dft_form_lookup (form, "pastel");
  g_assert_cmpstr (q->choice_filter, ==, "pastel = 'yes'");

  q = dft_form_lookup (form, "child");
  g_assert_cmpint (q->type, ==, DFT_QUESTION_REPEAT);
  q = dft_form_lookup (form, "likes");
  g_assert_cmpint (q->type, ==, DFT_QUESTION_SELECT_MULTIPLE);
  g_assert_cmpuint (g_strv_length (q->correct), ==, 2);
  g_assert_cmpfloat (q->points, ==, 4);
  g_assert_true (q->partial_credit);
  q = dft_form_lookup (form, "mood");
  g_assert_cmpint (q->type, ==, DFT_QUESTION_LIKERT);
  g_assert_cmpstr (q->appearance, ==, "likert");

  q = dft_form_lookup (form, "double");
  g_assert_cmpint (q->type, ==, DFT_QUESTION_CALCULATE);
  g_assert_cmpstr (q->calculate, ==, "/basic/age * 2");

  /* Unnamed notes are named after their row, as pyxform does; "\|" is a bar in a cell. */
  q = dft_form_lookup (form, "generated_note_name_16");
  g_assert_nonnull (q);
  g_assert_cmpstr (label (q, "en"), ==, "Thanks | bye");

  /* Extra choice columns stay with the choice, for choice filters. */
  colors = g_hash_table_lookup (form->choice_lists, "colors");
  c = g_ptr_array_index (colors->choices, 2);
  g_assert_cmpstr (c->value, ==, "mauve");
  g_assert_cmpstr (g_hash_table_lookup (c->extra, "pastel"), ==, "yes");
  g_assert_cmpstr (dft_text_get (c->label, "ru"), ==, "Лиловый");
}

static void
test_or_other (void)
{
  g_autoptr (DftForm) form = load ("basic.md");
  DftQuestion        *color = dft_form_lookup (form, "color");
  DftQuestion        *other = dft_form_lookup (form, "color_other");
  DftQuestion        *parent = color->parent;
  DftChoiceList      *colors = g_hash_table_lookup (form->choice_lists, "colors");
  DftChoice          *last = g_ptr_array_index (colors->choices, colors->choices->len - 1);

  /* Right after the select, in the same group, shown when "other" is picked. */
  g_assert_nonnull (other);
  g_assert_true (other->parent == parent);
  g_assert_true (g_ptr_array_index (parent->children, 1) == other);
  g_assert_cmpint (other->type, ==, DFT_QUESTION_TEXT);
  g_assert_cmpstr (other->relevant, ==, "selected(/basic/household/color, 'other')");
  g_assert_cmpstr (dft_form_text (form, other->label, "ru", NULL), ==, "Specify other.");
  /* The list gains "other" once, labelled in each of its languages. */
  g_assert_cmpstr (last->value, ==, "other");
  g_assert_cmpstr (dft_text_get (last->label, "en"), ==, "Other");
  g_assert_cmpstr (dft_text_get (last->label, "ru"), ==, "Other");
  g_assert_cmpuint (colors->choices->len, ==, 4);
}

static void
test_flat_csv (void)
{
  g_autoptr (DftForm) form = load ("flat.csv");
  DftQuestion        *q;

  /* The settings header sits on the sheet's own row here. */
  g_assert_cmpstr (form->root_name, ==, "visit");
  g_assert_cmpstr (form->id, ==, "flat");
  g_assert_cmpstr (dft_text_get (form->title, "und"), ==, "Flat form");
  g_assert_cmpstr (form->default_language, ==, "und");
  /* Prepared: the default language is the one language there is. */
  g_assert_cmpuint (form->languages->len, ==, 1);

  q = dft_form_lookup (form, "visitor");
  g_assert_cmpstr (q->required, ==, "true()");
  g_assert_cmpstr (label (q, "und"), ==, "Who are you?");
  g_assert_cmpuint (q->source_line, ==, 3);
  q = dft_form_lookup (form, "happy");
  g_assert_cmpint (q->type, ==, DFT_QUESTION_SELECT_ONE);
  g_assert_cmpstr (q->choice_list, ==, "yes_no");
  q = dft_form_lookup (form, "day");
  g_assert_cmpstr (q->preload, ==, "today");
  g_assert_cmpuint (q->source_line, ==, 6);
}

static void
test_xlsx (void)
{
  g_autoptr (DftForm) form = load ("basic.xlsx");
  DftQuestion        *q;

  /* Sheet names in any case; numbers read as Excel shows them. */
  g_assert_cmpstr (form->id, ==, "xlsx_form");
  g_assert_cmpstr (form->version, ==, "2024031501");
  g_assert_cmpstr (form->default_language, ==, "en");
  q = dft_form_lookup (form, "q_text");
  /* A read-only text with nothing to fill it is a note, as in ODK. */
  g_assert_cmpint (q->type, ==, DFT_QUESTION_NOTE);
  g_assert_cmpstr (label (q, "fr"), ==, "Texte");
  q = dft_form_lookup (form, "q_num");
  g_assert_cmpfloat (q->points, ==, 1);
  q = dft_form_lookup (form, "q_sel");
  g_assert_cmpint (q->type, ==, DFT_QUESTION_SELECT_MULTIPLE);
  g_assert_cmpstr (q->parent->name, ==, "grp");
  q = dft_form_lookup (form, "q_when");
  g_assert_cmpint (q->type, ==, DFT_QUESTION_DATETIME);
  g_assert_cmpuint (q->source_line, ==, 7);
}

static void
test_from_file (void)
{
  g_autoptr (DftForm) form = load ("from-file.md");
  DftChoiceList      *list = g_hash_table_lookup (form->choice_lists, "fruits.csv");
  DftChoice          *kiwi;

  g_assert_nonnull (list);
  g_assert_cmpuint (list->choices->len, ==, 2);
  kiwi = g_ptr_array_index (list->choices, 1);
  g_assert_cmpstr (kiwi->value, ==, "kiwi");
  g_assert_cmpstr (dft_text_get (kiwi->label, "und"), ==, "Kiwi");
  g_assert_cmpstr (g_hash_table_lookup (kiwi->extra, "colour"), ==, "green");

  /* Where ODK tools keep a form's files, as the XForm path looks: "<form>-media", "media". */
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char    *dir = dft_test_make_dir ();
      g_autofree char    *media = g_build_filename (dir, i == 0 ? "picks-media" : "media", NULL);
      g_autofree char    *md = g_build_filename (dir, "picks.md", NULL);
      g_autofree char    *csv = NULL;
      g_autofree char    *source = data_path ("fruits.csv");
      g_autofree char    *fruits = NULL;
      g_autoptr (GError)  error = NULL;
      g_autoptr (DftForm) found = NULL;

      g_assert_true (g_file_get_contents (source, &csv, NULL, NULL));
      g_assert_cmpint (g_mkdir_with_parents (media, 0700), ==, 0);
      fruits = g_build_filename (media, "fruits.csv", NULL);
      g_assert_true (g_file_set_contents (fruits, csv, -1, NULL));
      g_assert_true (g_file_set_contents (
          md,
          "| survey |\n| | type | name | label |\n| | select_one_from_file fruits.csv | f | F |\n",
          -1, NULL));
      found = dft_form_new_from_file (md, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (
          ((DftChoiceList *) g_hash_table_lookup (found->choice_lists, "fruits.csv"))->choices->len,
          ==, 2);
      dft_test_dir_free (g_steal_pointer (&dir));
    }

  /* Without the file beside it, the form is refused with the file's name. */
  assert_refused ("| survey |\n| | type | name | label |\n"
                  "| | select_one_from_file missing.csv | f | F |\n",
                  DFT_FORM_ERROR_INVALID, "missing.csv", "Row 3");
}

/* Loads the form "picks.md" selecting from @file_name, written beside it with @contents
 * (nothing when NULL). */
static DftForm *
load_picks_with (const char *file_name, const char *contents, GError **error)
{
  g_autofree char *dir = dft_test_make_dir ();
  g_autofree char *md = g_build_filename (dir, "picks.md", NULL);
  g_autofree char *file = g_build_filename (dir, file_name, NULL);
  g_autofree char *survey = g_strdup_printf (
      "| survey |\n| | type | name | label |\n| | select_one_from_file %s | t | T |\n", file_name);
  DftForm *form;

  if (contents != NULL)
    g_assert_true (g_file_set_contents (file, contents, -1, NULL));
  g_assert_true (g_file_set_contents (md, survey, -1, NULL));
  form = dft_form_new_from_file (md, error);
  dft_test_dir_free (g_steal_pointer (&dir));
  return form;
}

/* select_one_from_file towns.xml: the items of the XML file as ODK reads them (name, label,
 * the other children as extra columns); a missing or hostile file refuses the form. */
static void
test_from_xml_file (void)
{
  static const char *const towns
      = "<?xml version=\"1.0\"?>\n<root>\n"
        "  <item><name>nbo</name><label>Nairobi</label><region>ke</region></item>\n"
        "  <item><name>dar</name><label>Dar es Salaam</label><region>tz</region></item>\n"
        "</root>\n";
  static const char *const hostile
      = "<?xml version=\"1.0\"?>\n<!DOCTYPE root [<!ENTITY p SYSTEM \"file:///etc/passwd\">]>\n"
        "<root><item><name>&p;</name><label>x</label></item></root>\n";
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = load_picks_with ("towns.xml", towns, &error);
  DftChoiceList      *list;
  DftChoice          *dar;

  g_assert_no_error (error);
  g_assert_cmpint (dft_form_lookup (form, "t")->type, ==, DFT_QUESTION_SELECT_ONE);
  list = g_hash_table_lookup (form->choice_lists, "towns.xml");
  g_assert_nonnull (list);
  g_assert_cmpuint (list->choices->len, ==, 2);
  dar = g_ptr_array_index (list->choices, 1);
  g_assert_cmpstr (dar->value, ==, "dar");
  g_assert_cmpstr (dft_text_get (dar->label, "und"), ==, "Dar es Salaam");
  g_assert_cmpstr (g_hash_table_lookup (dar->extra, "region"), ==, "tz");
  g_clear_pointer (&form, dft_form_unref);

  form = load_picks_with ("towns.xml", NULL, &error);
  g_assert_null (form);
  g_assert_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "towns.xml"));
  g_clear_error (&error);

  form = load_picks_with ("towns.xml", hostile, &error);
  g_assert_null (form);
  g_assert_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "towns.xml"));
}

/* pyxform's parameters randomize=true and seed=${s} on select rows: the choices are offered
 * shuffled with that seed; randomize=false or none leaves them in order. */
static void
test_select_randomize (void)
{
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = load_md (
      "| survey |\n| | type | name | label | parameters |\n"
      "| | integer | s | S | |\n"
      "| | select_one yn | seeded | A | randomize=true seed=${s} |\n"
      "| | select_multiple yn | free | B | randomize=true |\n"
      "| | select_one yn | plain | C | randomize=false seed=${s} |\n"
      "| choices |\n| | list_name | name | label |\n| | yn | yes | Yes |\n| | yn | no | No |\n",
      &error);
  DftQuestion *q;

  g_assert_no_error (error);
  g_assert_true (dft_form_prepare (form, &error));
  q = dft_form_lookup (form, "seeded");
  g_assert_true (q->choice_randomize);
  g_assert_cmpstr (q->choice_seed, ==, "/inline/s");
  q = dft_form_lookup (form, "free");
  g_assert_true (q->choice_randomize);
  g_assert_null (q->choice_seed);
  q = dft_form_lookup (form, "plain");
  g_assert_false (q->choice_randomize);
  g_assert_null (q->choice_seed);

  /* Exported and read again, the parameters are kept. */
  {
    g_autofree char    *md = dft_xlsform_export_md (form, &error);
    g_autoptr (DftForm) again = NULL;

    g_assert_no_error (error);
    again = load_md (md, &error);
    g_assert_no_error (error);
    g_assert_true (dft_form_prepare (again, &error));
    g_assert_true (dft_form_lookup (again, "seeded")->choice_randomize);
    g_assert_cmpstr (dft_form_lookup (again, "seeded")->choice_seed, ==, "/inline/s");
    g_assert_true (dft_form_lookup (again, "free")->choice_randomize);
    g_assert_null (dft_form_lookup (again, "free")->choice_seed);
    g_assert_false (dft_form_lookup (again, "plain")->choice_randomize);
  }
}

static void
test_languages (void)
{
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) mixed = NULL;
  g_autoptr (DftForm) plain = NULL;
  g_autoptr (DftForm) old = NULL;
  DftQuestion        *q;

  /* A plain label beside named ones is pyxform's "default" language. */
  mixed = load_md ("| survey |\n| | type | name | label | label::Kiswahili (sw) |\n"
                   "| | text | a | A | A-sw |\n",
                   &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mixed->languages->len, ==, 2);
  g_assert_cmpstr (((DftLanguage *) mixed->languages->pdata[0])->code, ==, "und");
  g_assert_cmpstr (((DftLanguage *) mixed->languages->pdata[1])->code, ==, "sw");
  g_assert_cmpstr (mixed->default_language, ==, "und");
  q = mixed->questions->pdata[0];
  g_assert_cmpstr (label (q, "und"), ==, "A");
  g_assert_cmpstr (label (q, "sw"), ==, "A-sw");

  /* With default_language, the plain column is that language. */
  plain = load_md ("| survey |\n| | type | name | label | label::English (en) |\n"
                   "| | text | a | A-sw | A-en |\n"
                   "| settings |\n| | default_language |\n| | Swahili |\n",
                   &error);
  g_assert_no_error (error);
  g_assert_cmpstr (plain->default_language, ==, "sw");
  q = plain->questions->pdata[0];
  g_assert_cmpstr (label (q, "sw"), ==, "A-sw");
  g_assert_cmpstr (label (q, "en"), ==, "A-en");
  g_assert_null (label (q, "und"));

  /* The older single colon, column names in any case, bind:: prefixes. */
  old = load_md ("| SURVEY |\n| | TYPE | NAME | Label:English | Hint:English | bind::required "
                 "| jr:constraintMsg:English | REQUIRED_MESSAGE::English |\n"
                 "| | int | n | Number | Digits | TRUE() | Bad | Needed |\n",
                 &error);
  g_assert_no_error (error);
  q = old->questions->pdata[0];
  g_assert_cmpint (q->type, ==, DFT_QUESTION_INTEGER);
  g_assert_cmpstr (label (q, "en"), ==, "Number");
  g_assert_cmpstr (dft_text_get (q->hint, "en"), ==, "Digits");
  g_assert_cmpstr (q->required, ==, "true()");
  g_assert_cmpstr (dft_text_get (q->constraint_message, "en"), ==, "Bad");
  g_assert_cmpstr (dft_text_get (q->required_message, "en"), ==, "Needed");
}

static void
test_unsupported (void)
{
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) optional = NULL;
  g_autoptr (DftForm) required = NULL;
  DftFormWarning     *w;
  DftQuestion        *q;

  optional = load_md ("| survey |\n| | type | name | label |\n| | text | a | A |\n"
                      "| | select_one_external c | photo | Photo |\n| | audit | audit | |\n",
                      &error);
  g_assert_no_error (error);
  q = dft_form_lookup (optional, "photo");
  g_assert_null (q); /* not prepared yet */
  q = optional->questions->pdata[1];
  g_assert_cmpint (q->type, ==, DFT_QUESTION_UNSUPPORTED);
  g_assert_cmpstr (q->unsupported_type, ==, "select one external");
  /* Metadata Daftari does not record is left out, with a warning too. */
  g_assert_cmpuint (optional->questions->len, ==, 2);
  g_assert_cmpuint (optional->warnings->len, ==, 2);
  w = optional->warnings->pdata[0];
  g_assert_cmpuint (w->source_line, ==, 4);
  g_assert_cmpstr (w->name, ==, "photo");
  g_assert_nonnull (strstr (w->message, "select_one_external"));
  g_assert_nonnull (strstr (w->message, "Row 4"));
  g_assert_true (dft_form_prepare (optional, &error));
  g_assert_no_error (error);

  required = load_md ("| survey |\n| | type | name | label | required |\n"
                      "| | select_one_external c | where | Where | yes |\n",
                      &error);
  g_assert_no_error (error);
  g_assert_false (dft_form_prepare (required, &error));
  g_assert_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "select one external"));
  g_assert_nonnull (strstr (error->message, "where"));
}

/* Photos, recordings, videos and other files are questions, required ones too, under ODK's
 * names for them; the XForm pyxform would make asks for the same kind of file. */
static void
test_file_questions (void)
{
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = NULL;
  g_autofree char    *xform = NULL;
  g_autoptr (DftForm) back = NULL;
  static const struct
  {
    const char     *name;
    DftQuestionType type;
    const char     *mediatype;
  } expected[] = {
    { "photo", DFT_QUESTION_IMAGE, "image/*" },     { "snap", DFT_QUESTION_IMAGE, "image/*" },
    { "voice", DFT_QUESTION_AUDIO, "audio/*" },     { "clip", DFT_QUESTION_VIDEO, "video/*" },
    { "scan", DFT_QUESTION_FILE, "application/*" },
  };

  form = load_md ("| survey |\n| | type | name | label | required |\n"
                  "| | image | photo | Photo | yes |\n| | photo | snap | Snap | |\n"
                  "| | audio | voice | Voice | |\n| | video | clip | Clip | |\n"
                  "| | file | scan | Scan | yes |\n",
                  &error);
  g_assert_no_error (error);
  g_assert_cmpuint (form->warnings->len, ==, 0);
  g_assert_true (dft_form_prepare (form, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      DftQuestion *q = dft_form_lookup (form, expected[i].name);

      g_assert_nonnull (q);
      g_assert_cmpint (q->type, ==, expected[i].type);
    }

  xform = dft_xform_export (form, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autofree char *control
          = g_strdup_printf ("<upload ref=\"/%s/%s\" mediatype=\"%s\"", form->root_name,
                             expected[i].name, expected[i].mediatype);

      g_assert_nonnull (strstr (xform, control));
    }
  back = dft_xform_load_data (xform, strlen (xform), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (dft_form_prepare (back, &error));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpint (dft_form_lookup (back, expected[i].name)->type, ==, expected[i].type);
}

/* geotrace, geoshape, barcode and their ODK aliases are questions, required ones too, with
 * no warning. */
static void
test_geo_barcode (void)
{
  g_autoptr (GError)           error = NULL;
  g_autoptr (DftForm)          form = load_md ("| survey |\n| | type | name | label | required |\n"
                                                        "| | geotrace | walk | Walk | yes |\n"
                                                        "| | q geotrace | walk2 | Walk again | |\n"
                                                        "| | geoshape | field | Field | yes |\n"
                                                        "| | q geoshape | field2 | Field again | |\n"
                                                        "| | barcode | code | Code | yes |\n"
                                                        "| | q barcode | code2 | Code again | |\n"
                                                        "| | add barcode prompt | code3 | And again | |\n",
                                               &error);
  static const DftQuestionType types[]
      = { DFT_QUESTION_GEOTRACE, DFT_QUESTION_GEOTRACE, DFT_QUESTION_GEOSHAPE,
          DFT_QUESTION_GEOSHAPE, DFT_QUESTION_BARCODE,  DFT_QUESTION_BARCODE,
          DFT_QUESTION_BARCODE };

  g_assert_no_error (error);
  g_assert_cmpuint (form->questions->len, ==, G_N_ELEMENTS (types));
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    g_assert_cmpint (((DftQuestion *) form->questions->pdata[i])->type, ==, types[i]);
  g_assert_cmpstr (((DftQuestion *) form->questions->pdata[0])->required, ==, "true()");
  g_assert_cmpuint (form->warnings->len, ==, 0);
  g_assert_true (dft_form_prepare (form, &error));
  g_assert_no_error (error);
}

static void
test_loop (void)
{
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = NULL;
  DftQuestion        *loop, *first;

  form = load_md ("| survey |\n| | type | name | label |\n"
                  "| | begin loop over rooms | rooms | Rooms |\n"
                  "| | integer | beds | Beds in the %(label)s |\n| | end loop | | |\n"
                  "| choices |\n| | list_name | name | label |\n"
                  "| | rooms | kitchen | kitchen |\n| | rooms | hall | hall |\n",
                  &error);
  g_assert_no_error (error);
  loop = form->questions->pdata[0];
  g_assert_cmpuint (loop->children->len, ==, 2);
  first = loop->children->pdata[0];
  g_assert_cmpstr (first->name, ==, "kitchen");
  g_assert_cmpstr (label (first->children->pdata[0], "und"), ==, "Beds in the kitchen");
  g_assert_true (dft_form_prepare (form, &error));
}

/* A field-list group may hold a repeat (Collect refuses that): its instances go on that page. */
static void
test_repeat_in_field_list (void)
{
  static const char   md[] = "| survey |\n| | type | name | label | appearance | required |\n"
                             "| | begin group | page | Page | field-list | |\n"
                             "| | text | where | Where | | |\n"
                             "| | begin repeat | visit | Visit | | |\n"
                             "| | date | day | Day | | yes |\n| | integer | seen | Seen | | |\n"
                             "| | end repeat | | | | |\n| | end group | | | | |\n";
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = load_md (md, &error);
  DftQuestion        *page, *visit;

  g_assert_no_error (error);
  g_assert_true (dft_form_prepare (form, &error));
  g_assert_no_error (error);
  page = form->questions->pdata[0];
  g_assert_true (page->page);
  g_assert_cmpuint (page->children->len, ==, 2);
  visit = page->children->pdata[1];
  g_assert_cmpint (visit->type, ==, DFT_QUESTION_REPEAT);
  g_assert_cmpstr (visit->name, ==, "visit");
  g_assert_cmpuint (visit->children->len, ==, 2);
}

/* ---- Errors ----------------------------------------------------------- */

static void
test_errors (void)
{
  /* Each names the row, as the spreadsheet numbers it. */
  assert_refused ("| survey |\n| | type | name | label |\n| | text | a | A |\n"
                  "| | begin group | | G |\n| | end group | | |\n",
                  DFT_FORM_ERROR_INVALID, "Row 4", "no name");
  assert_refused ("| survey |\n| | type | name | label |\n| | begin group | g | G |\n"
                  "| | text | a | A |\n",
                  DFT_FORM_ERROR_INVALID, "Row 3", "never ended");
  assert_refused ("| survey |\n| | type | name | label |\n| | text | a | A |\n"
                  "| | end repeat | | |\n",
                  DFT_FORM_ERROR_INVALID, "Row 4", "end repeat");
  assert_refused ("| survey |\n| | type | name | label |\n\n| | calculate | c | |\n",
                  DFT_FORM_ERROR_INVALID, "Row 4", "calculation");
  assert_refused ("| survey |\n| | type | name | label |\n| | teleport | t | T |\n",
                  DFT_FORM_ERROR_INVALID, "Row 3", "teleport");
  assert_refused ("| survey |\n| | type | name | label | LABEL |\n| | text | a | A | B |\n",
                  DFT_FORM_ERROR_INVALID, "Row 2", "LABEL");
  assert_refused ("| survey |\n| | type | name | label |\n| | select_one nowhere | s | S |\n",
                  DFT_FORM_ERROR_INVALID, "Row 3", "nowhere");
  assert_refused ("| survey |\n| | name | label |\n| | a | A |\n", DFT_FORM_ERROR_INVALID, "Row 2",
                  "type");
  assert_refused ("| choices |\n| | list_name | name |\n", DFT_FORM_ERROR_PARSE, "not an XLSForm",
                  NULL);
  /* As pyxform, and as the XForm path refuses the <range> it would make: a range's start, end
   * and step are numbers. */
  assert_refused ("| survey |\n| | type | name | label | parameters |\n"
                  "| | range | level | Level | start=1 end=ten step=1 |\n",
                  DFT_FORM_ERROR_INVALID, "level", "“ten”");
}

/* pyxform's select_one_external: a select one of the list its external_choices sheet holds,
 * filtered as the XForm's itemsets.csv query is; without that sheet it is still left out. */
static void
test_select_one_external (void)
{
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form
      = load_md ("| survey |\n| | type | name | label | choice_filter |\n"
                 "| | select_one state | state | State | |\n"
                 "| | select_one_external city | city | City | state=${state} |\n"
                 "| choices |\n| | list_name | name | label |\n"
                 "| | state | kg | Kyrgyzstan |\n| | state | ge | Georgia |\n"
                 "| external_choices |\n| | list_name | name | label | state |\n"
                 "| | city | bishkek | Bishkek | kg |\n| | city | osh | Osh | kg |\n"
                 "| | city | tbilisi | Tbilisi | ge |\n",
                 &error);
  g_autoptr (DftForm)    bare = NULL;
  g_autoptr (DftFormRun) run = NULL;
  g_autoptr (GPtrArray)  offered = NULL;
  g_autofree char       *state = NULL;
  g_autofree char       *city = NULL;
  DftQuestion           *q;

  g_assert_no_error (error);
  g_assert_cmpuint (form->warnings->len, ==, 0);
  q = form->questions->pdata[1];
  g_assert_cmpint (q->type, ==, DFT_QUESTION_SELECT_ONE);
  g_assert_cmpstr (q->choice_list, ==, "city");
  run = dft_form_run_new (form, &error);
  g_assert_no_error (error);
  state = g_strdup_printf ("/%s/state", form->root_name);
  city = g_strdup_printf ("/%s/city", form->root_name);
  g_assert_true (dft_form_run_set_answer (run, state, "kg", NULL, &error));
  offered = dft_form_run_get_choices (run, city, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (offered->len, ==, 2);

  bare = load_md ("| survey |\n| | type | name | label |\n"
                  "| | select_one_external city | city | City |\n",
                  &error);
  g_assert_no_error (error);
  g_assert_cmpint (((DftQuestion *) bare->questions->pdata[0])->type, ==, DFT_QUESTION_UNSUPPORTED);
}

static void
test_range (void)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (DftForm)    form = load_md ("| survey |\n| | type | name | label | parameters |\n"
                                            "| | range | level | Level | start=0;end=2.5 step=0.5 |\n"
                                            "| | range | plain | Plain | |\n",
                                         &error);
  g_autoptr (DftForm)    back = NULL;
  g_autoptr (DftFormRun) run = NULL;
  g_autofree char       *xform = NULL;
  g_autofree char       *path = NULL;
  DftQuestion           *q;

  /* A range is a question: its parameters, or pyxform's 1 to 10 in steps of 1. */
  g_assert_no_error (error);
  g_assert_cmpuint (form->warnings->len, ==, 0);
  q = form->questions->pdata[0];
  g_assert_cmpint (q->type, ==, DFT_QUESTION_RANGE);
  g_assert_cmpfloat (q->range_start, ==, 0);
  g_assert_cmpfloat (q->range_end, ==, 2.5);
  g_assert_cmpfloat (q->range_step, ==, 0.5);
  q = form->questions->pdata[1];
  g_assert_cmpint (q->type, ==, DFT_QUESTION_RANGE);
  g_assert_cmpfloat (q->range_start, ==, 1);
  g_assert_cmpfloat (q->range_end, ==, 10);
  g_assert_cmpfloat (q->range_step, ==, 1);

  /* The XForm pyxform makes of it is the same range. */
  xform = dft_xform_export (form, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (xform, "start=\"0\" end=\"2.5\" step=\"0.5\""));
  back = dft_xform_load_data (xform, strlen (xform), NULL, &error);
  g_assert_no_error (error);
  dft_test_assert_same_form (form, back);

  /* Only the numbers it offers are answers. */
  run = dft_form_run_new (form, &error);
  g_assert_no_error (error);
  path = g_strdup_printf ("/%s/level", form->root_name);
  for (guint i = 0; i < 4; i++)
    {
      static const char *const good[] = { "0", "1.5", "2.5", "2.50" };
      static const char *const bad[] = { "3", "-0.5", "1.2", "x" };

      dft_form_run_set_answer (run, path, good[i], NULL, NULL);
      g_assert_true (dft_form_run_check (run, path, "en", TRUE, NULL));
      dft_form_run_set_answer (run, path, bad[i], NULL, NULL);
      g_assert_false (dft_form_run_check (run, path, "en", TRUE, NULL));
    }
  /* A range going nowhere is refused. */
  for (guint i = 0; i < 2; i++)
    {
      static const char *const params[] = { "start=3 end=3", "step=-1" };
      g_autofree char *md = g_strdup_printf ("| survey |\n| | type | name | label | parameters |\n"
                                             "| | range | level | Level | %s |\n",
                                             params[i]);
      g_autoptr (DftForm) broken = load_md (md, &error);

      g_assert_no_error (error);
      g_assert_false (dft_form_prepare (broken, &error));
      g_assert_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, "level"));
      g_assert_nonnull (strstr (error->message, "step"));
      g_clear_error (&error);
    }
}

static void
test_hostile (void)
{
  g_autofree char         *dir = dft_test_make_dir ();
  static const char *const junk[] = { "junk.xls", "junk.xlsx", "junk.csv", "junk.md" };
  static const char        bytes[] = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0\xff\xfe garbage";

  for (guint i = 0; i < G_N_ELEMENTS (junk); i++)
    {
      g_autofree char    *path = g_build_filename (dir, junk[i], NULL);
      g_autoptr (GError)  error = NULL;
      g_autoptr (DftForm) form = NULL;

      g_assert_true (g_file_set_contents (path, bytes, sizeof bytes, NULL));
      form = dft_xlsform_load_file (path, &error);
      g_assert_null (form);
      g_assert_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE);
    }
  {
    g_autofree char   *path = g_build_filename (dir, "zip.xlsx", NULL);
    g_autoptr (GError) error = NULL;

    g_assert_true (g_file_set_contents (path, "PK\3\4 not a zip", -1, NULL));
    g_assert_null (dft_xlsform_load_file (path, &error));
    g_assert_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE);
  }
  {
    g_autoptr (GError) error = NULL;

    g_assert_null (dft_xlsform_load_file ("/nonexistent/form.xlsx", &error));
    g_assert_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE);
  }
  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_plain_csv (void)
{
  static const char   csv[] = "name_key,name\nmango,Mango\norange,Orange\n";
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = dft_xlsform_load_data ("fruits.csv", NULL, csv, strlen (csv), &error);

  g_assert_null (form);
  g_assert_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE);
  g_assert_nonnull (strstr (error->message, "not an XLSForm"));
}

/* ---- Sheets ----------------------------------------------------------- */

static void
test_sheet_csv (void)
{
  static const char       csv[] = "\xEF\xBB\xBF"
                                  "a;b\n\n1;\"x;y\"\n";
  g_autoptr (GError)      error = NULL;
  g_autoptr (DftWorkbook) wb
      = dft_workbook_new_from_data ("t.csv", csv, strlen (csv), 10, 10, &error);
  const DftSheet *sheet;
  DftSheetRow    *row;

  g_assert_no_error (error);
  g_assert_cmpint (dft_workbook_get_kind (wb), ==, DFT_WORKBOOK_CSV);
  g_assert_cmpuint (dft_workbook_get_n_sheets (wb), ==, 1);
  sheet = dft_workbook_read_sheet (wb, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sheet->rows->len, ==, 2);
  row = sheet->rows->pdata[1];
  g_assert_cmpuint (row->number, ==, 3);
  g_assert_cmpstr (dft_sheet_row_get (row, 1), ==, "x;y");
  g_assert_null (dft_sheet_row_get (row, 7));
}

static void
test_sheet_xlsx (void)
{
  g_autofree char        *path = data_path ("basic.xlsx");
  g_autofree char        *data = NULL;
  gsize                   len = 0;
  g_autoptr (GError)      error = NULL;
  g_autoptr (DftWorkbook) wb = NULL;
  const DftSheet         *sheet;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  wb = dft_workbook_new_from_data ("basic.xlsx", data, len, 100, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dft_workbook_get_kind (wb), ==, DFT_WORKBOOK_XLSX);
  g_assert_cmpuint (dft_workbook_get_n_sheets (wb), ==, 3);
  g_assert_cmpstr (dft_workbook_get_sheet (wb, 1)->name, ==, "CHOICES");
  g_assert_null (dft_workbook_get_sheet (wb, 1)->rows);
  g_assert_cmpint (dft_workbook_find_sheet (wb, " choices "), ==, 1);
  g_assert_cmpint (dft_workbook_find_sheet (wb, "external_choices"), ==, -1);
  sheet = dft_workbook_read_sheet (wb, 2, &error);
  g_assert_no_error (error);
  /* A number stored as 2024031501 reads as Excel shows it, and 1.0 as "1". */
  g_assert_cmpstr (dft_sheet_row_get (sheet->rows->pdata[1], 1), ==, "2024031501");
  sheet = dft_workbook_read_sheet (wb, 0, &error);
  g_assert_cmpstr (dft_sheet_row_get (sheet->rows->pdata[2], 4), ==, "1");
  /* Too many columns for the caller's limit. */
  g_clear_pointer (&wb, dft_workbook_free);
  wb = dft_workbook_new_from_data ("basic.xlsx", data, len, 100, 3, &error);
  g_assert_no_error (error);
  g_assert_null (dft_workbook_read_sheet (wb, 0, &error));
  g_assert_error (error, DFT_SHEET_ERROR, DFT_SHEET_ERROR_TOO_LARGE);
}

/* ---- Corpus ----------------------------------------------------------- */

static gboolean
corpus_dir (const char *relative, char **out)
{
  *out = dft_test_shared_path (relative);
  if (*out == NULL)
    {
      g_test_skip ("the shared corpora are not beside the checkout (DAFTARI_SHARED)");
      return FALSE;
    }
  return TRUE;
}

static gboolean
is_form_file (const char *name)
{
  return g_str_has_suffix (name, ".xls") || g_str_has_suffix (name, ".xlsx")
         || g_str_has_suffix (name, ".xlsm") || g_str_has_suffix (name, ".csv")
         || g_str_has_suffix (name, ".md");
}

static void
test_corpus_examples (void)
{
  /* pyxform refuses these too: an unknown type, and a calculation that is not XPath. */
  static const char *const refused[] = { "unknown_question_type.xls", "bad_calc.xlsx" };
  g_autofree char         *dir_path = NULL;
  g_autoptr (GDir)         dir = NULL;
  const char              *name;
  guint                    loaded = 0, not_forms = 0, total = 0;

  if (!corpus_dir ("corpora/xlsform/pyxform/example_xls", &dir_path))
    return;
  dir = g_dir_open (dir_path, 0, NULL);
  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char    *path = g_build_filename (dir_path, name, NULL);
      g_autoptr (GError)  error = NULL;
      g_autoptr (DftForm) form = NULL;

      if (!is_form_file (name))
        continue;
      total++;
      form = dft_xlsform_load_file (path, &error);
      if (form != NULL)
        dft_form_prepare (form, &error);
      if (error == NULL)
        {
          loaded++;
          continue;
        }
      if (g_strv_contains (refused, name))
        {
          g_test_message ("%s refused as expected: %s", name, error->message);
          continue;
        }
      if (g_error_matches (error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE)
          && strstr (error->message, "not an XLSForm") != NULL && g_str_has_suffix (name, ".csv"))
        {
          not_forms++;
          continue;
        }
      g_test_fail_printf ("%s: %s", name, error->message);
    }
  g_test_message ("pyxform example_xls: %u of %u files loaded, %u data files refused as not "
                  "XLSForms, %u refused as pyxform does",
                  loaded, total, not_forms, total - loaded - not_forms);
  g_assert_cmpuint (loaded, >, 50);
}

static void
test_corpus_negative (void)
{
  static const struct
  {
    const char *file, *part;
  } expected[] = {
    { "group_name_test.xls", "no name" },
    { "duplicate_columns.xlsx", "two columns" },
    { "calculate_without_calculation.xls", "calculation" },
    { "bad_calc.xlsx", "calculate" },
  };
  g_autofree char *dir_path = NULL;

  if (!corpus_dir ("corpora/xlsform/pyxform/negative_bug_example_xls", &dir_path))
    return;
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autofree char    *path = g_build_filename (dir_path, expected[i].file, NULL);
      g_autoptr (GError)  error = NULL;
      g_autoptr (DftForm) form = dft_xlsform_load_file (path, &error);

      if (form != NULL)
        g_assert_false (dft_form_prepare (form, &error));
      g_assert_nonnull (error);
      g_test_message ("%s: %s", expected[i].file, error->message);
      if (strstr (error->message, expected[i].part) == NULL)
        g_test_fail_printf ("%s: “%s” should say “%s”", expected[i].file, error->message,
                            expected[i].part);
    }
  /* The others must never crash; what they give is reported. */
  {
    g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
    const char      *name;

    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char    *path = g_build_filename (dir_path, name, NULL);
        g_autoptr (GError)  error = NULL;
        g_autoptr (DftForm) form = dft_xlsform_load_file (path, &error);

        if (form != NULL)
          dft_form_prepare (form, &error);
        g_test_message ("%s: %s", name, error != NULL ? error->message : "loaded");
      }
  }
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
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = dft_test_load_form ("round-trip.json");
  g_autoptr (DftForm) again = NULL;
  g_autofree char    *md = NULL;
  g_autofree char    *before = NULL;
  g_autofree char    *after = NULL;
  g_autofree char    *texts_before = NULL;
  g_autofree char    *texts_after = NULL;
  DftQuestion        *q;

  md = dft_xlsform_export_md (form, &error);
  g_assert_no_error (error);
  /* Each line is one row: a line break in a cell is written <br>. Titles in other languages
   * are settings pyxform ignores. */
  g_assert_nonnull (strstr (md, "| Notes<br>from the visit |"));
  g_assert_nonnull (strstr (md, "| form_title | form_title_translation::Русский |"));
  again = load_md (md, &error);
  g_assert_no_error (error);
  g_assert_true (dft_form_prepare (again, &error));
  g_assert_no_error (error);

  /* Each loss by name first, then the whole definition. */
  g_assert_cmpstr (dft_text_get (again->title, "en"), ==, "Field visit");
  g_assert_cmpstr (dft_text_get (again->title, "ru"), ==, "Полевой визит");
  g_assert_cmpstr (dft_text_get (again->title, "ky"), ==, "Талаа сапары");
  g_assert_cmpstr (dft_text_get (again->title, "ur"), ==, "فیلڈ کا دورہ");
  q = dft_form_lookup (again, "notes");
  g_assert_cmpstr (dft_text_get (q->hint, "en"), ==,
                   "One line per topic.\nWrite <br>, <BR/> or &lt;br> as they are.");
  g_assert_cmpstr (dft_text_get (q->hint, "ur"), ==,
                   "اگر بی ایم آئی (BMI) 25 سے زیادہ ہو\nتو WHO کا چارٹ 3 دیکھیں");
  q = dft_form_lookup (again, "ref");
  g_assert_cmpint (q->type, ==, DFT_QUESTION_TEXT);
  g_assert_cmpstr (q->read_only, ==, "true()");
  g_assert_cmpint (dft_form_lookup (again, "intro")->type, ==, DFT_QUESTION_NOTE);
  g_assert_cmpint (dft_form_lookup (again, "route")->type, ==, DFT_QUESTION_GEOTRACE);
  g_assert_cmpint (dft_form_lookup (again, "plot")->type, ==, DFT_QUESTION_GEOSHAPE);
  g_assert_cmpint (dft_form_lookup (again, "tag")->type, ==, DFT_QUESTION_BARCODE);
  g_assert_cmpstr (dft_form_lookup (again, "tag")->default_value, ==, "00012345");
  g_assert_cmpint (dft_form_lookup (again, "code_note")->type, ==, DFT_QUESTION_NOTE);

  before = dft_form_to_json (form, DFT_FORM_JSON_CANONICAL | DFT_FORM_JSON_PRETTY);
  after = dft_form_to_json (again, DFT_FORM_JSON_CANONICAL | DFT_FORM_JSON_PRETTY);
  g_assert_cmpstr (after, ==, before);
  texts_before = dft_test_form_texts (form);
  texts_after = dft_test_form_texts (again);
  g_assert_cmpstr (texts_after, ==, texts_before);
}

/* pyxform's markdown reader keeps a cell as written; Daftari's reads <br> in a text as a line
 * break, which is also how ODK Collect shows it, and leaves other columns alone. */
static void
test_md_line_breaks (void)
{
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form
      = load_md ("| survey |\n"
                 "| | type | name | label | hint | constraint |\n"
                 "| | text | a | One<br>two<br/>three<BR />four | &lt;br> &amp;lt;br> &lt;bread"
                 " | regex(., '<br>') |\n"
                 "| settings |\n"
                 "| | form_title | form_title_translation::Русский (ru) |\n"
                 "| | Title<br>two | Заголовок<br>два |\n",
                 &error);
  DftQuestion *q;

  g_assert_no_error (error);
  q = g_ptr_array_index (form->questions, 0);
  g_assert_cmpstr (label (q, "und"), ==, "One\ntwo\nthree\nfour");
  g_assert_cmpstr (dft_text_get (q->hint, "und"), ==, "<br> &lt;br> &lt;bread");
  g_assert_cmpstr (q->constraint, ==, "regex(., '<br>')");
  g_assert_cmpstr (dft_text_get (form->title, "und"), ==, "Title\ntwo");
  g_assert_cmpstr (dft_text_get (form->title, "ru"), ==, "Заголовок\nдва");
}

/* "rank LIST" orders a list's choices; exported, it reads back the same from either format. */
static void
test_rank (void)
{
  static const char   md[] = "| survey |\n"
                             "| | type | name | label | required | choice_filter |\n"
                             "| | select_one yn | town | Town? | | |\n"
                             "| | rank needs | needs | Order the needs | yes | |\n"
                             "| | rank needs | local | Order the town's | | town = ${town} |\n"
                             "| choices |\n"
                             "| | list_name | name | label | town |\n"
                             "| | yn | y | Yes | |\n| | yn | n | No | |\n"
                             "| | needs | water | Water | y |\n"
                             "| | needs | roads | Roads | n |\n";
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = load_md (md, &error);
  g_autoptr (DftForm) from_md = NULL;
  g_autoptr (DftForm) from_xml = NULL;
  g_autofree char    *md_again = NULL;
  g_autofree char    *xml = NULL;
  DftQuestion        *q;

  g_assert_no_error (error);
  g_assert_true (dft_form_prepare (form, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (form->warnings->len, ==, 0);
  q = dft_form_lookup (form, "needs");
  g_assert_cmpint (q->type, ==, DFT_QUESTION_RANK);
  g_assert_cmpstr (q->choice_list, ==, "needs");
  g_assert_cmpstr (q->required, ==, "true()");
  q = dft_form_lookup (form, "local");
  g_assert_cmpint (q->type, ==, DFT_QUESTION_RANK);
  g_assert_cmpstr (q->choice_filter, ==, "town = /inline/town");

  md_again = dft_xlsform_export_md (form, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (md_again, "| rank needs |"));
  from_md = load_md (md_again, &error);
  g_assert_no_error (error);
  g_assert_true (dft_form_prepare (from_md, &error));
  g_assert_no_error (error);
  xml = dft_xform_export (form, &error);
  g_assert_no_error (error);
  from_xml = dft_xform_load_data (xml, strlen (xml), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (dft_form_prepare (from_xml, &error));
  g_assert_no_error (error);

  dft_test_assert_same_form (form, from_md);
  dft_test_assert_same_form (form, from_xml);
}

/* Sets the answer at @rel below the run's root. */
static void
set_at (DftFormRun *run, const char *rel, const char *value)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *path = g_strdup_printf ("/%s/%s", dft_form_run_get_form (run)->root_name, rel);

  g_assert_true (dft_form_run_set_answer (run, path, value, NULL, &error));
  g_assert_no_error (error);
}

static void
assert_at (DftFormRun *run, const char *rel, const char *expected)
{
  g_autofree char *path = g_strdup_printf ("/%s/%s", dft_form_run_get_form (run)->root_name, rel);
  g_autofree char *value = dft_form_run_get_answer (run, path);

  g_assert_cmpstr (value, ==, expected);
}

/* pyxform's trigger column (its test_trigger.py): the calculation is set when the named
 * question changes, in the same repeat instance; a row with no label or hint has no control. */
static void
test_trigger_column (void)
{
  static const char md[]
      = "| survey |              |       |            |                       |         |\n"
        "|        | type         | name  | label      | calculation           | trigger |\n"
        "|        | text         | a     | Enter text |                       |         |\n"
        "|        | dateTime     | b     |            | now()                 | ${a}    |\n"
        "|        | text         | c     | Length     | string-length(${a})   | ${a}    |\n"
        "|        | decimal      | d     | Cleared    |                       | ${a}    |\n"
        "|        | calculate    | e     |            | concat(${a}, '!')     | ${a}    |\n"
        "|        | begin repeat | rep   | R          |                       |         |\n"
        "|        | text         | one   | One        |                       |         |\n"
        "|        | text         | three | Three      | concat(${one}, '?')   | ${one}  |\n"
        "|        | end repeat   |       |            |                       |         |\n";
  g_autoptr (GError)     error = NULL;
  g_autoptr (DftForm)    form = load_md (md, &error);
  g_autoptr (DftFormRun) run = NULL;
  g_autofree char       *root = NULL;
  g_autofree char       *path = NULL;
  g_autofree char       *value = NULL;
  g_autofree char       *markdown = NULL;
  g_autofree char       *before = NULL;
  g_autofree char       *after = NULL;
  g_autoptr (DftForm)    again = NULL;
  DftQuestion           *q;
  DftAction             *a;

  g_assert_no_error (error);
  g_assert_true (dft_form_prepare (form, &error));
  g_assert_no_error (error);
  root = g_strdup_printf ("/%s", form->root_name);
  path = g_strdup_printf ("%s/a", root);
  q = dft_form_lookup (form, "b");
  g_assert_cmpint (q->type, ==, DFT_QUESTION_METADATA);
  g_assert_null (q->calculate);
  g_assert_cmpuint (q->actions->len, ==, 1);
  a = g_ptr_array_index (q->actions, 0);
  g_assert_cmpint (a->events, ==, DFT_EVENT_VALUE_CHANGED);
  g_assert_cmpstr (a->trigger, ==, path);
  g_assert_cmpstr (a->value, ==, "now()");
  g_assert_cmpint (dft_form_lookup (form, "c")->type, ==, DFT_QUESTION_TEXT);
  g_assert_null (dft_form_lookup (form, "c")->calculate);
  g_assert_cmpint (dft_form_lookup (form, "e")->type, ==, DFT_QUESTION_METADATA);
  a = g_ptr_array_index (dft_form_lookup (form, "d")->actions, 0);
  g_assert_null (a->value);

  run = dft_form_run_new (form, &error);
  g_assert_no_error (error);
  set_at (run, "a", "abc");
  assert_at (run, "c", "3");
  assert_at (run, "e", "abc!");
  assert_at (run, "d", "");
  set_at (run, "rep[1]/one", "x");
  assert_at (run, "rep[1]/three", "x?");
  /* now(), whatever it is, fills it. */
  g_clear_pointer (&path, g_free);
  path = g_strdup_printf ("%s/b", root);
  value = dft_form_run_get_answer (run, path);
  g_assert_cmpuint (strlen (value), >, 0);

  /* An exported XLSForm has the column again and reads back the same. */
  markdown = dft_xlsform_export_md (form, &error);
  g_assert_no_error (error);
  again = load_md (markdown, &error);
  g_assert_no_error (error);
  g_assert_true (dft_form_prepare (again, &error));
  g_assert_no_error (error);
  before = dft_form_to_json (form, DFT_FORM_JSON_CANONICAL | DFT_FORM_JSON_PRETTY);
  after = dft_form_to_json (again, DFT_FORM_JSON_CANONICAL | DFT_FORM_JSON_PRETTY);
  g_assert_cmpstr (after, ==, before);
}

int
main (int argc, char **argv)
{
  dft_test_init (&argc, &argv);

  g_test_add_func ("/xlsform/markdown/basic", test_basic_md);
  g_test_add_func ("/xlsform/or-other", test_or_other);
  g_test_add_func ("/xlsform/csv/flat", test_flat_csv);
  g_test_add_func ("/xlsform/csv/not-a-form", test_plain_csv);
  g_test_add_func ("/xlsform/xlsx/basic", test_xlsx);
  g_test_add_func ("/xlsform/select-from-file", test_from_file);
  g_test_add_func ("/xlsform/select-from-xml-file", test_from_xml_file);
  g_test_add_func ("/xlsform/select-randomize", test_select_randomize);
  g_test_add_func ("/xlsform/languages", test_languages);
  g_test_add_func ("/xlsform/unsupported", test_unsupported);
  g_test_add_func ("/xlsform/file-questions", test_file_questions);
  g_test_add_func ("/xlsform/select-one-external", test_select_one_external);
  g_test_add_func ("/xlsform/geotrace-geoshape-barcode", test_geo_barcode);
  g_test_add_func ("/xlsform/loop", test_loop);
  g_test_add_func ("/xlsform/repeat-in-field-list", test_repeat_in_field_list);
  g_test_add_func ("/xlsform/errors", test_errors);
  g_test_add_func ("/xlsform/range", test_range);
  g_test_add_func ("/xlsform/hostile", test_hostile);
  g_test_add_func ("/xlsform/sheet/csv", test_sheet_csv);
  g_test_add_func ("/xlsform/sheet/xlsx", test_sheet_xlsx);
  g_test_add_func ("/xlsform/corpus/examples", test_corpus_examples);
  g_test_add_func ("/xlsform/corpus/negative", test_corpus_negative);
  g_test_add_func ("/xlsform/export/round-trip", test_export_round_trip);
  g_test_add_func ("/xlsform/markdown/line-breaks", test_md_line_breaks);
  g_test_add_func ("/xlsform/rank", test_rank);
  g_test_add_func ("/xlsform/trigger-column", test_trigger_column);
  return g_test_run ();
}
