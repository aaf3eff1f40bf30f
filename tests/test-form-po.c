/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "dft-test-util.h"
#include "forms/dft-form-export.h"
#include "forms/dft-form-po.h"
#include "forms/dft-form-store.h"
#include "forms/dft-form-templates.h"
#include "forms/dft-form.h"

static char *
data_path (const char *kind, const char *name)
{
  const char *dir = g_getenv ("DAFTARI_TEST_DATA");

  g_assert_nonnull (dir);
  return g_build_filename (dir, "forms", kind, name, NULL);
}

static DftForm *
load_json (const char *json)
{
  g_autoptr (GError) error = NULL;
  DftForm           *form = dft_form_new_from_json (json, -1, &error);

  g_assert_no_error (error);
  g_assert_true (dft_form_prepare (form, &error));
  g_assert_no_error (error);
  return form;
}

static guint
count (const char *haystack, const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (haystack, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

static void
import_ok (DftForm *form, const char *lang, const char *po, DftFormPoStats *stats)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (dft_form_po_import (form, lang, po, stats, &error));
  g_assert_no_error (error);
}

/* Every language's texts, the title among them, as PO files without the header (which has
 * a date). */
static char *
texts_of (DftForm *form)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < form->languages->len; i++)
    {
      DftLanguage     *l = g_ptr_array_index (form->languages, i);
      g_autofree char *po = dft_form_po_export (form, l->code);
      const char      *first = strstr (po, "\n#. ");
      g_auto (GStrv)   entries = g_strsplit (first != NULL ? first : "", "\n\n", -1);

      g_string_append_printf (out, "== %s\n", l->code);
      for (guint e = 0; entries[e] != NULL; e++)
        g_string_append_printf (out, "%s\n\n", entries[e]);
    }
  return g_string_free (out, FALSE);
}

/* Drops every text in @lang from @questions and their children. */
static void
drop_language_from_questions (GPtrArray *questions, const char *lang)
{
  for (guint i = 0; i < questions->len; i++)
    {
      DftQuestion *q = g_ptr_array_index (questions, i);
      DftText     *texts[] = { q->label, q->hint, q->required_message, q->constraint_message };

      for (guint t = 0; t < G_N_ELEMENTS (texts); t++)
        if (texts[t] != NULL)
          g_hash_table_remove (texts[t], lang);
      drop_language_from_questions (q->children, lang);
    }
}

/* @form as if it had never been translated into @lang: no text, language or fallback. */
static void
drop_language (DftForm *form, const char *lang)
{
  GHashTableIter iter;
  gpointer       value;

  g_hash_table_remove (form->title, lang);
  drop_language_from_questions (form->questions, lang);
  g_hash_table_iter_init (&iter, form->choice_lists);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      DftChoiceList *list = value;

      for (guint c = 0; c < list->choices->len; c++)
        {
          DftChoice *choice = g_ptr_array_index (list->choices, c);

          if (choice->label != NULL)
            g_hash_table_remove (choice->label, lang);
        }
    }
  for (guint i = 0; i < form->languages->len; i++)
    if (g_str_equal (((DftLanguage *) g_ptr_array_index (form->languages, i))->code, lang))
      {
        g_ptr_array_remove_index (form->languages, i);
        break;
      }
  g_hash_table_remove (form->fallbacks, lang);
}

static const char same_label_form[]
    = "{\"format\": \"daftari-form\", \"id\": \"family\", \"default_language\": \"en\","
      " \"languages\": [{\"code\": \"en\", \"name\": \"English\"}],"
      " \"title\": {\"en\": \"Family\"},"
      " \"questions\": ["
      "  {\"type\": \"group\", \"name\": \"mother\", \"children\": ["
      "    {\"type\": \"text\", \"name\": \"name\", \"label\": {\"en\": \"Name\"}}]},"
      "  {\"type\": \"group\", \"name\": \"father\", \"children\": ["
      "    {\"type\": \"text\", \"name\": \"name\", \"label\": {\"en\": \"Name\"}}]}"
      "]}";

static void
test_same_label_two_contexts (void)
{
  g_autoptr (DftForm) form = load_json (same_label_form);
  g_autofree char    *pot = dft_form_po_template (form);
  DftFormPoStats      stats;
  const char         *po = "msgid \"\"\n"
                           "msgstr \"\"\n"
                           "\"Language: ru\\n\"\n"
                           "\"Language-Team: Русский <ru@li.org>\\n\"\n"
                           "\n"
                           "msgctxt \"/data/mother/name|label\"\n"
                           "msgid \"Name\"\n"
                           "msgstr \"Имя матери\"\n"
                           "\n"
                           "msgctxt \"/data/father/name|label\"\n"
                           "msgid \"Name\"\n"
                           "msgstr \"Имя отца\"\n";

  g_assert_nonnull (strstr (pot, "msgctxt \"/data/mother/name|label\"\nmsgid \"Name\"\n"));
  g_assert_nonnull (strstr (pot, "msgctxt \"/data/father/name|label\"\nmsgid \"Name\"\n"));
  g_assert_cmpuint (count (pot, "msgid \"Name\""), ==, 2);
  g_assert_nonnull (strstr (pot, "Content-Type: text/plain; charset=UTF-8"));
  g_assert_nonnull (strstr (pot, "Project-Id-Version: family"));
  g_assert_nonnull (strstr (pot, "#. Question “name” (text), its label"));

  import_ok (form, "ru", po, &stats);
  g_assert_cmpuint (stats.translated, ==, 2);
  g_assert_cmpstr (
      dft_form_text (form, dft_form_lookup_path (form, "/data/mother/name")->label, "ru", NULL), ==,
      "Имя матери");
  g_assert_cmpstr (
      dft_form_text (form, dft_form_lookup_path (form, "/data/father/name")->label, "ru", NULL), ==,
      "Имя отца");
  g_assert_cmpstr (((DftLanguage *) g_ptr_array_index (form->languages, 1))->name, ==, "Русский");
}

static const char ky_po[] = "# Kyrgyz translation\n"
                            "msgid \"\"\n"
                            "msgstr \"\"\n"
                            "\"Project-Id-Version: workshop_evaluation 1\\n\"\n"
                            "\"Language-Team: Кыргызча\\n\"\n"
                            "\"Language: ky\\n\"\n"
                            "\"Content-Type: text/plain; charset=UTF-8\\n\"\n"
                            "\n"
                            "msgctxt \"form|title\"\n"
                            "msgid \"Workshop evaluation\"\n"
                            "msgstr \"Семинарды баалоо\"\n"
                            "\n"
                            "#. Question “most_useful” (text), its label\n"
                            "msgctxt \"/data/most_useful|label\"\n"
                            "msgid \"What was most useful?\"\n"
                            "msgstr \"Эмне \"\n"
                            "\"эң пайдалуу болду?\"\n"
                            "\n"
                            "msgctxt \"/data/why_not|label\"\n"
                            "msgid \"Why not?\"\n"
                            "msgstr \"Эмне үчүн жок?\"\n"
                            "\n"
                            "msgctxt \"choices/recommend/yes|label\"\n"
                            "msgid \"Yes\"\n"
                            "msgstr \"Ооба\"\n"
                            "\n"
                            "msgctxt \"/data/improve|label\"\n"
                            "msgid \"What should we improve?\"\n"
                            "msgstr \"\"\n";

static const char ur_po[] = "msgid \"\"\n"
                            "msgstr \"\"\n"
                            "\"Language-Team: اردو\\n\"\n"
                            "\"Language: ur_PK\\n\"\n"
                            "\n"
                            "msgctxt \"form|title\"\n"
                            "msgid \"Workshop evaluation\"\n"
                            "msgstr \"ورکشاپ کا جائزہ\"\n"
                            "\n"
                            "msgctxt \"/data/most_useful|label\"\n"
                            "msgid \"What was most useful?\"\n"
                            "msgstr \"سب سے زیادہ مفید کیا تھا؟\"\n"
                            "\n"
                            "msgctxt \"/data/improve|label\"\n"
                            "msgid \"What should we improve?\"\n"
                            "msgstr \"ہمیں کیا بہتر کرنا چاہیے؟\"\n"
                            "\n"
                            "msgctxt \"/data/why_not|label\"\n"
                            "msgid \"Why not?\"\n"
                            "msgstr \"کیوں نہیں؟\"\n"
                            "\n"
                            "msgctxt \"choices/recommend/yes|label\"\n"
                            "msgid \"Yes\"\n"
                            "msgstr \"جی ہاں\"\n"
                            "\n"
                            "msgctxt \"choices/recommend/no|label\"\n"
                            "msgid \"No\"\n"
                            "msgstr \"نہیں\"\n";

static void
test_round_trip_three_languages (void)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftForm)   form = dft_form_template_load ("workshop-evaluation", &error);
  g_autoptr (DftForm)   stored = NULL;
  g_autoptr (DftRecord) v1 = NULL;
  g_autoptr (DftRecord) v2 = NULL;
  g_autofree char      *dir = NULL;
  g_autoptr (DftStore)  store = dft_test_open_store (&dir);
  g_autofree char      *pot = NULL;
  g_autofree char      *ru = NULL;
  guint                 total;
  DftFormPoStats        stats;
  DftQuestion          *improve, *most_useful;
  gboolean              fell_back = FALSE;
  const char           *ky_chain[] = { "ru", "en", NULL };
  const char           *translated[] = { "ky", "sw", "ka", "uk", "ur" };

  g_assert_no_error (error);
  /* The template comes translated into all seven languages; this round trip starts, as a
   * coordinator's own form would, from English and Russian only. */
  for (guint i = 0; i < G_N_ELEMENTS (translated); i++)
    drop_language (form, translated[i]);
  g_assert_cmpuint (form->languages->len, ==, 2);
  v1 = dft_form_store_save (store, form, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dft_record_get_int (v1, "version"), ==, 1);

  pot = dft_form_po_template (form);
  total = count (pot, "\nmsgctxt ");
  g_assert_cmpuint (total, ==, 21);
  /* Every msgstr is empty, the header's too (its text is on the lines after it). */
  g_assert_cmpuint (count (pot, "msgstr \"\"\n"), ==, total + 1);
  g_assert_true (dft_form_language_completeness (form, "en") == 1.0);
  g_assert_true (dft_form_language_completeness (form, "ru") == 1.0);
  g_assert_true (dft_form_language_completeness (form, "ky") == 0.0);
  /* The Russian PO file has the Russian texts. */
  ru = dft_form_po_export (form, "ru");
  g_assert_nonnull (strstr (ru, "msgctxt \"/data/why_not|label\"\nmsgid \"Why not?\"\n"
                                "msgstr \"Почему нет?\"\n"));
  g_assert_nonnull (strstr (ru, "Language: ru\\n"));

  import_ok (form, "ky", ky_po, &stats);
  g_assert_cmpuint (stats.translated, ==, 4);
  g_assert_cmpuint (stats.untranslated, ==, 1);
  g_assert_cmpuint (stats.fuzzy + stats.stale, ==, 0);
  import_ok (form, "ur", ur_po, &stats);
  g_assert_cmpuint (stats.translated, ==, 6);

  v2 = dft_form_store_save (store, form, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dft_record_get_int (v2, "version"), ==, 2);
  stored = dft_form_store_load (store, dft_record_get_id (v2), &error);
  g_assert_no_error (error);

  g_assert_cmpfloat_with_epsilon (dft_form_language_completeness (stored, "ky"), 4.0 / total, 1e-9);
  g_assert_cmpfloat_with_epsilon (dft_form_language_completeness (stored, "ur"), 6.0 / total, 1e-9);
  g_assert_cmpstr (((DftLanguage *) g_ptr_array_index (stored->languages, 2))->code, ==, "ky");
  g_assert_cmpstr (((DftLanguage *) g_ptr_array_index (stored->languages, 2))->name, ==,
                   "Кыргызча");
  g_assert_cmpstr (((DftLanguage *) g_ptr_array_index (stored->languages, 3))->name, ==, "اردو");

  dft_form_set_fallback (stored, "ky", ky_chain);
  most_useful = dft_form_lookup (stored, "most_useful");
  improve = dft_form_lookup (stored, "improve");
  g_assert_cmpstr (dft_form_text (stored, most_useful->label, "ky", &fell_back), ==,
                   "Эмне эң пайдалуу болду?");
  g_assert_false (fell_back);
  g_assert_cmpstr (dft_form_text (stored, improve->label, "ky", &fell_back), ==,
                   "Что нам следует улучшить?");
  g_assert_true (fell_back);
  g_assert_cmpstr (dft_form_text (stored, improve->label, "ur", &fell_back), ==,
                   "ہمیں کیا بہتر کرنا چاہیے؟");
  g_assert_false (fell_back);
  g_assert_cmpstr (dft_form_text (stored, stored->title, "ur", NULL), ==, "ورکشاپ کا جائزہ");

  /* Exported again, Kyrgyz has what was imported. */
  {
    g_autofree char *ky = dft_form_po_export (stored, "ky");

    g_assert_nonnull (strstr (ky, "msgstr \"Ооба\""));
    g_assert_nonnull (strstr (ky, "Language-Team: Кыргызча\\n"));
  }
  g_clear_object (&store);
  dft_test_dir_free (g_steal_pointer (&dir));
}

static const char fr_po_for_full[] = "msgid \"\"\n"
                                     "msgstr \"\"\n"
                                     "\"Language: ur\\n\"\n"
                                     "\n"
                                     "msgctxt \"/visit/age|constraint_message\"\n"
                                     "msgid \"Between 0 and 120\"\n"
                                     "msgstr \"0 اور 120 کے درمیان\"\n"
                                     "\n"
                                     "msgctxt \"choices/kind/a|label\"\n"
                                     "msgid \"One\"\n"
                                     "msgstr \"ایک\"\n";

static void
test_xform_round_trip (void)
{
  g_autoptr (GError)  error = NULL;
  g_autofree char    *path = data_path ("xform", "full.xml");
  g_autoptr (DftForm) form = dft_form_new_from_file (path, &error);
  g_autoptr (DftForm) again = NULL;
  g_autofree char    *xml = NULL;
  g_autofree char    *dir = dft_test_make_dir ();
  g_autofree char    *out = g_build_filename (dir, "visit.xml", NULL);
  g_autofree char    *before = NULL;
  g_autofree char    *after = NULL;
  DftFormPoStats      stats;

  g_assert_no_error (error);
  g_assert_cmpuint (form->languages->len, >=, 2);
  import_ok (form, "ur", fr_po_for_full, &stats);
  /* The list's name is what the XForm called it; a context that is not there is stale. */
  g_assert_cmpuint (stats.translated + stats.stale, ==, 2);
  g_assert_cmpuint (stats.translated, >=, 1);

  xml = dft_xform_export (form, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (xml, "<itext>"));
  g_assert_nonnull (strstr (xml, "jr:constraintMsg=\"jr:itext("));
  g_assert_true (g_file_set_contents (out, xml, -1, &error));
  again = dft_form_new_from_file (out, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (again->languages->len, ==, form->languages->len);
  for (guint i = 0; i < form->languages->len; i++)
    g_assert_cmpstr (((DftLanguage *) g_ptr_array_index (again->languages, i))->code, ==,
                     ((DftLanguage *) g_ptr_array_index (form->languages, i))->code);
  g_assert_cmpstr (again->default_language, ==, form->default_language);
  before = texts_of (form);
  after = texts_of (again);
  g_assert_cmpstr (after, ==, before);
  g_assert_nonnull (strstr (after, "0 اور 120 کے درمیان"));
  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_xlsform_round_trip (void)
{
  g_autoptr (GError)  error = NULL;
  g_autofree char    *path = data_path ("xlsform", "basic.md");
  g_autoptr (DftForm) form = dft_form_new_from_file (path, &error);
  g_autoptr (DftForm) again = NULL;
  g_autofree char    *md = NULL;
  g_autofree char    *dir = dft_test_make_dir ();
  g_autofree char    *out = g_build_filename (dir, "basic.md", NULL);
  g_autofree char    *before = NULL;
  g_autofree char    *after = NULL;
  DftFormPoStats      stats;
  const char         *po = "msgid \"\"\n"
                           "msgstr \"\"\n"
                           "\"Language-Team: اردو\\n\"\n"
                           "\n"
                           "msgctxt \"/basic/age|label\"\n"
                           "msgid \"Возраст\"\n"
                           "msgstr \"عمر\"\n"
                           "\n"
                           "msgctxt \"choices/colors/red|label\"\n"
                           "msgid \"Красный\"\n"
                           "msgstr \"سرخ\"\n";

  g_assert_no_error (error);
  g_assert_cmpstr (form->default_language, ==, "ru");
  import_ok (form, "ur", po, &stats);
  g_assert_cmpuint (stats.translated, ==, 2);

  md = dft_xlsform_export_md (form, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (md, "label::English (en)"));
  g_assert_nonnull (strstr (md, "label::اردو "));
  g_assert_true (g_file_set_contents (out, md, -1, &error));
  again = dft_form_new_from_file (out, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (again->languages->len, ==, 3);
  g_assert_cmpstr (again->default_language, ==, "ru");
  before = texts_of (form);
  after = texts_of (again);
  g_assert_cmpstr (after, ==, before);
  g_assert_nonnull (strstr (after, "msgstr \"سرخ\""));
  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_refusals_and_counts (void)
{
  g_autoptr (DftForm) form = load_json (same_label_form);
  g_autofree char    *before = dft_form_to_json (form, DFT_FORM_JSON_CANONICAL);
  g_autofree char    *after = NULL;
  DftFormPoStats      stats;
  const struct
  {
    const char *po;
    const char *line;
  } bad[] = {
    { "msgctxt \"/data/mother/name|label\"\nmsgid \"Name\"\nmsgstr \"Имя\n", "Line 3" },
    { "msgstr \"Имя\"\n", "Line 1" },
    { "\n\nmsgctxt \"/data/mother/name|label\"\nmsgstr \"Имя\"\n", "Line 4" },
    { "msgctxt \"/data/mother/name|label\"\nmsgid \"Name\"\n", "Line 1" },
    { "msgid \"Name\"\nmsgstr \"a\\q\"\n", "Line 2" },
    { "msgid \"Name\"\nmsgstr \"a\"\nnonsense\n", "Line 3" },
    { "msgid \"\"\nmsgstr \"Language: ky\\n\"\n", "“ky”" },
  };
  /* A fuzzy entry, one whose English changed since export and one for a question that is
   * gone: counted, none applied; the good one is. */
  const char *mixed = "msgid \"\"\n"
                      "msgstr \"\"\n"
                      "\"Language: ru\\n\"\n"
                      "\n"
                      "#, fuzzy\n"
                      "msgctxt \"/data/mother/name|label\"\n"
                      "msgid \"Name\"\n"
                      "msgstr \"Имя?\"\n"
                      "\n"
                      "msgctxt \"/data/father/name|label\"\n"
                      "msgid \"Father's name\"\n"
                      "msgstr \"Имя отца\"\n"
                      "\n"
                      "msgctxt \"/data/uncle/name|label\"\n"
                      "msgid \"Name\"\n"
                      "msgstr \"Имя дяди\"\n"
                      "#~ msgctxt \"/data/aunt/name|label\"\n"
                      "#~ msgid \"Name\"\n"
                      "#~ msgstr \"Имя тёти\"\n"
                      "\n"
                      "msgctxt \"form|title\"\n"
                      "msgid \"Family\"\n"
                      "msgstr \"Семья\"\n";

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_false (dft_form_po_import (form, "ru", bad[i].po, NULL, &error));
      g_assert_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE);
      if (strstr (error->message, bad[i].line) == NULL)
        g_error ("case %u: “%s” does not name %s", i, error->message, bad[i].line);
    }
  after = dft_form_to_json (form, DFT_FORM_JSON_CANONICAL);
  g_assert_cmpstr (after, ==, before);
  g_assert_cmpuint (form->languages->len, ==, 1);

  import_ok (form, "ru", mixed, &stats);
  g_assert_cmpuint (stats.fuzzy, ==, 1);
  g_assert_cmpuint (stats.stale, ==, 2);
  g_assert_cmpuint (stats.translated, ==, 1);
  g_assert_null (dft_text_get (dft_form_lookup_path (form, "/data/mother/name")->label, "ru"));
  g_assert_null (dft_text_get (dft_form_lookup_path (form, "/data/father/name")->label, "ru"));
  g_assert_cmpstr (dft_text_get (form->title, "ru"), ==, "Семья");
  g_assert_cmpfloat_with_epsilon (dft_form_language_completeness (form, "ru"), 1.0 / 3, 1e-9);
}

/* What Daftari writes, gettext's own tools accept. */
static void
test_msgfmt_accepts (void)
{
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = dft_form_template_load ("workshop-evaluation", &error);
  g_autofree char    *msgfmt = g_find_program_in_path ("msgfmt");
  g_autofree char    *dir = NULL;
  const char         *langs[] = { NULL, "ru" };

  g_assert_no_error (error);
  if (msgfmt == NULL)
    {
      g_test_skip ("msgfmt is not installed");
      return;
    }
  dir = dft_test_make_dir ();
  for (guint i = 0; i < G_N_ELEMENTS (langs); i++)
    {
      g_autofree char *text
          = langs[i] != NULL ? dft_form_po_export (form, langs[i]) : dft_form_po_template (form);
      g_autofree char *file = g_build_filename (dir, "form.po", NULL);
      g_autofree char *err = NULL;
      int              status = 0;
      const char      *argv[] = { msgfmt, "--check", "-o", "/dev/null", file, NULL };

      g_assert_true (g_file_set_contents (file, text, -1, &error));
      g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                                   NULL, NULL, &err, &status, &error));
      g_assert_no_error (error);
      if (!g_spawn_check_wait_status (status, NULL))
        g_error ("msgfmt refused the %s file: %s", langs[i] != NULL ? langs[i] : "template", err);
    }
  dft_test_dir_free (g_steal_pointer (&dir));
}

/* A coordinator translates the title with the rest in PO files, then sends the form to ODK as
 * an XForm and to its author as an XLSForm: read back, both still have every title. */
static void
test_translated_title_survives_export (void)
{
  g_autoptr (DftForm) form = load_json (same_label_form);
  static const struct
  {
    const char *lang;
    const char *title;
  } titles[] = {
    { "ru", "Семья" },
    { "ky", "Үй-бүлө" },
    { "ur", "خاندان (NGO) فارم 2" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    {
      g_autofree char *po = g_strdup_printf ("msgid \"\"\nmsgstr \"\"\n\"Language: %s\\n\"\n\n"
                                             "msgctxt \"form|title\"\nmsgid \"Family\"\n"
                                             "msgstr \"%s\"\n",
                                             titles[i].lang, titles[i].title);
      DftFormPoStats   stats;

      import_ok (form, titles[i].lang, po, &stats);
      g_assert_cmpuint (stats.translated, ==, 1);
    }

  for (guint format = 0; format < 2; format++)
    {
      g_autoptr (GError)  error = NULL;
      g_autoptr (DftForm) again = NULL;
      g_autofree char    *data
          = format == 0 ? dft_xform_export (form, &error) : dft_xlsform_export_md (form, &error);
      g_autofree char *dir = dft_test_make_dir ();
      g_autofree char *out = g_build_filename (dir, format == 0 ? "family.xml" : "family.md", NULL);

      g_assert_no_error (error);
      g_assert_true (g_file_set_contents (out, data, -1, &error));
      again = dft_form_new_from_file (out, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (dft_text_get (again->title, "en"), ==, "Family");
      for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
        {
          g_autofree char *po = dft_form_po_export (again, titles[i].lang);
          g_autofree char *entry = g_strdup_printf ("msgctxt \"form|title\"\nmsgid \"Family\"\n"
                                                    "msgstr \"%s\"\n",
                                                    titles[i].title);

          g_assert_cmpstr (dft_text_get (again->title, titles[i].lang), ==, titles[i].title);
          g_assert_nonnull (strstr (po, entry));
        }
      dft_test_dir_free (g_steal_pointer (&dir));
    }
}

int
main (int argc, char **argv)
{
  dft_test_init (&argc, &argv);
  g_test_add_func ("/form-po/template/same-label", test_same_label_two_contexts);
  g_test_add_func ("/form-po/round-trip/three-languages", test_round_trip_three_languages);
  g_test_add_func ("/form-po/round-trip/xform", test_xform_round_trip);
  g_test_add_func ("/form-po/round-trip/xlsform", test_xlsform_round_trip);
  g_test_add_func ("/form-po/import/refusals", test_refusals_and_counts);
  g_test_add_func ("/form-po/msgfmt", test_msgfmt_accepts);
  g_test_add_func ("/form-po/round-trip/title", test_translated_title_survives_export);
  return g_test_run ();
}
