/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "dft-duplicates-labelled.h"
#include "dft-attendance.h"
#include "dft-duplicates.h"
#include "dft-people.h"
#include "dft-record-list.h"
#include "dft-name-match.h"
#include "dft-record-private.h"
#include "dft-record.h"
#include "dft-test-util.h"

static void
assert_same_fold (const char *const *names)
{
  g_autofree char *first = dft_name_match_fold (names[0]);

  g_assert_cmpstr (first, !=, "");
  for (guint i = 1; names[i] != NULL; i++)
    {
      g_autofree char *other = dft_name_match_fold (names[i]);

      if (g_strcmp0 (first, other) != 0)
        g_error ("“%s” folds to “%s” but “%s” to “%s”", names[0], first, names[i], other);
    }
}

static void
test_fold_variants (void)
{
  /* Each row is one name as different people type it. */
  static const char *const rows[][6] = {
    { "Aibek Sadykov", "Айбек Садыков", "Aybek Sadikov", "Ajbek Sadykov", "AIBEK  SADYKOV", NULL },
    { "Zhyldyz", "Jyldyz", "Žyldyz", "Жылдыз", NULL },
    { "Hussein", "Hussain", "Husayn", "Husain", NULL },
    { "Aleksandr", "Alexandr", "Александр", NULL },
    { "Sameer", "Samir", NULL },
    { "Noor", "Nur", "نور", NULL },
    { "Fatimah", "Fatima", NULL },
    { "Yuliya", "Julia", "Iuliia", "Юлия", NULL },
    { "Shevchenko", "Ševčenko", "Шевченко", NULL },
    { "Malick", "Malik", NULL },
    { "Zainab", "Zeinab", "Zaynab", NULL },
    { "Jeenbekov", "Zheenbekov", "Жээнбеков", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    assert_same_fold (rows[i]);
}

static void
test_fold_distinct (void)
{
  /* Folding must not merge names that are really different. */
  static const char *const pairs[][2] = {
    { "Amina", "Amani" },
    { "Nurlan", "Nurbek" },
    { "Isaev", "Isakov" },
    { "Salim", "Salma" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (pairs); i++)
    {
      g_autofree char *a = dft_name_match_fold (pairs[i][0]);
      g_autofree char *b = dft_name_match_fold (pairs[i][1]);

      g_assert_cmpstr (a, !=, b);
    }
}

static void
test_fold_bad_input (void)
{
  g_autofree char *empty = dft_name_match_fold ("");
  g_autofree char *spaces = dft_name_match_fold ("  \t ");
  g_autofree char *signs = dft_name_match_fold ("-- ?? --");
  g_autofree char *broken = dft_name_match_fold ("Ai\xff\xfe"
                                                 "bek");

  g_assert_cmpstr (empty, ==, "");
  g_assert_cmpstr (spaces, ==, "");
  g_assert_cmpstr (signs, ==, "");
  g_assert_true (g_str_has_prefix (broken, "ai"));
  g_assert_true (g_str_is_ascii (broken));
}

static void
test_skeleton (void)
{
  /* Arabic script writes no short vowels; the consonants still meet the Latin spellings. */
  static const char *const rows[][4] = {
    { "احمد", "Ahmed", "Ahmad", NULL },  { "محمد", "Muhammad", "Mohammed", NULL },
    { "عثمان", "Usman", "Osman", NULL }, { "فاطمہ", "Fatima", NULL },
    { "عمران", "Imran", NULL },          { "ملک", "Malik", "Malick", NULL },
    { "جمیل", "Jamil", "Jameel", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autofree char *folded = dft_name_match_fold (rows[i][0]);
      g_autofree char *first = dft_name_match_skeleton (folded);

      g_assert_cmpstr (first, !=, "");
      for (guint j = 1; rows[i][j] != NULL; j++)
        {
          g_autofree char *other_folded = dft_name_match_fold (rows[i][j]);
          g_autofree char *other = dft_name_match_skeleton (other_folded);

          if (g_strcmp0 (first, other) != 0)
            g_error ("skeleton of “%s” is “%s” but of “%s” “%s”", rows[i][0], first, rows[i][j],
                     other);
        }
    }

  {
    g_autofree char *vowels = dft_name_match_skeleton ("aia");
    g_autofree char *sasa = dft_name_match_skeleton ("sasa");

    g_assert_cmpstr (vowels, ==, "");
    g_assert_cmpstr (sasa, ==, "s");
  }
}

static void
test_jaro_winkler (void)
{
  /* The values of Winkler's paper. */
  g_assert_cmpfloat_with_epsilon (dft_name_match_jaro_winkler ("martha", "marhta"), 0.961, 0.001);
  g_assert_cmpfloat_with_epsilon (dft_name_match_jaro_winkler ("dwayne", "duane"), 0.84, 0.001);
  g_assert_cmpfloat_with_epsilon (dft_name_match_jaro_winkler ("dixon", "dicksonx"), 0.813, 0.001);
  g_assert_cmpfloat (dft_name_match_jaro_winkler ("aibek", "aibek"), ==, 1.0);
  g_assert_cmpfloat (dft_name_match_jaro_winkler ("", ""), ==, 1.0);
  g_assert_cmpfloat (dft_name_match_jaro_winkler ("aibek", ""), ==, 0.0);
  g_assert_cmpfloat (dft_name_match_jaro_winkler ("abc", "xyz"), ==, 0.0);
  g_assert_cmpfloat (dft_name_match_jaro_winkler ("a", "a"), ==, 1.0);
}

static double
compare (const char        *given_a,
         const char        *family_a,
         const char        *given_b,
         const char        *family_b,
         DftNameMatchFlags *flags)
{
  g_autoptr (DftNameKey) a = dft_name_key_new (given_a, family_a);
  g_autoptr (DftNameKey) b = dft_name_key_new (given_b, family_b);

  return dft_name_key_compare (a, b, flags);
}

static void
test_name_compare (void)
{
  DftNameMatchFlags flags;

  g_assert_cmpfloat (compare ("Айбек", "Садыков", "Aibek", "Sadykov", &flags), ==, 1.0);
  g_assert_true (flags & DFT_NAME_MATCH_EQUAL);
  g_assert_true (flags & DFT_NAME_MATCH_SCRIPTS);

  g_assert_cmpfloat (compare ("Sadykov", "Aibek", "Aibek", "Sadykov", &flags), ==, 1.0);
  g_assert_true (flags & DFT_NAME_MATCH_SWAPPED);

  /* Everything typed into the given name is not a swap. */
  g_assert_cmpfloat (compare ("Aibek Sadykov", NULL, "Aibek", "Sadykov", &flags), ==, 1.0);
  g_assert_false (flags & DFT_NAME_MATCH_SWAPPED);

  g_assert_cmpfloat (compare ("Aibek", "", "Aibek", "Sadykov", &flags), ==, 1.0);
  g_assert_true (flags & DFT_NAME_MATCH_MISSING_WORD);

  g_assert_cmpfloat (compare ("Aibek", "Sadykov", "Aibek", "Sadykvo", &flags), >, 0.9);
  g_assert_true (flags & DFT_NAME_MATCH_SIMILAR);

  g_assert_cmpfloat (compare ("احمد", "خان", "Ahmed", "Khan", &flags), >, 0.9);
  g_assert_true (flags & DFT_NAME_MATCH_CONSONANTS);

  /* A family name in common and nothing else is half a name. */
  g_assert_cmpfloat (compare ("Aibek", "Sadykov", "Bermet", "Sadykova", NULL), <, 0.6);

  /* No name at all. */
  g_assert_cmpfloat (compare ("", "", "Aibek", "Sadykov", &flags), ==, 0.0);
  g_assert_cmpint (flags, ==, 0);
  g_assert_cmpfloat (compare (NULL, NULL, NULL, NULL, NULL), ==, 0.0);
}

static gboolean
strv_has (char **strv, const char *key)
{
  return g_strv_contains ((const char *const *) strv, key);
}

static void
test_blocking_keys (void)
{
  g_autoptr (DftNameKey) full = dft_name_key_new ("Aibek", "Sadykov");
  g_autoptr (DftNameKey) swapped = dft_name_key_new ("Садыков", "Айбек");
  g_autoptr (DftNameKey) typo = dft_name_key_new ("Aibek", "Sadykow");
  g_autoptr (DftNameKey) one = dft_name_key_new ("Aibek", NULL);
  g_autoptr (DftNameKey) none = dft_name_key_new ("", NULL);
  g_auto (GStrv)         full_keys = dft_name_key_get_blocking_keys (full);
  g_auto (GStrv)         swapped_keys = dft_name_key_get_blocking_keys (swapped);
  g_auto (GStrv)         typo_keys = dft_name_key_get_blocking_keys (typo);
  g_auto (GStrv)         full_words = dft_name_key_get_word_keys (full);
  g_auto (GStrv)         full_probes = dft_name_key_get_probe_keys (full);
  g_auto (GStrv)         one_keys = dft_name_key_get_blocking_keys (one);
  g_auto (GStrv)         one_probes = dft_name_key_get_probe_keys (one);
  g_auto (GStrv)         one_words = dft_name_key_get_word_keys (one);
  g_auto (GStrv)         none_keys = dft_name_key_get_blocking_keys (none);
  guint                  shared = 0;

  g_assert_cmpuint (g_strv_length (full_keys), ==, 2);
  for (guint i = 0; full_keys[i] != NULL; i++)
    g_assert_true (strv_has (swapped_keys, full_keys[i]));
  for (guint i = 0; full_keys[i] != NULL; i++)
    shared += strv_has (typo_keys, full_keys[i]);
  g_assert_cmpuint (shared, >=, 1);

  /* A one-word name and a longer one find each other from both sides. */
  g_assert_cmpuint (g_strv_length (one_keys), ==, 1);
  g_assert_cmpuint (g_strv_length (one_words), ==, 0);
  g_assert_true (strv_has (full_probes, one_keys[0]));
  g_assert_true (strv_has (full_words, one_probes[0]));

  g_assert_cmpuint (g_strv_length (none_keys), ==, 0);
}

static DftDuplicatePerson *
person (const char *id, const char *given, const char *family, const char *agency)
{
  DftDuplicatePerson *p = dft_duplicate_person_new (id);

  p->given_name = g_strdup (given);
  p->family_name = g_strdup (family);
  p->agency = g_strdup (agency);
  p->gender = g_strdup ("male");
  p->country = g_strdup ("KG");
  return p;
}

static void
test_score_reasons (void)
{
  g_autoptr (DftDuplicatePerson) a = person ("a", "Aibek", "Sadykov", "Police");
  g_autoptr (DftDuplicatePerson) b = person ("b", "Айбек", "Садыков", "police ");
  g_autoptr (DftDuplicatePerson) c = person ("c", "Aibek", "Sadykov", "Customs");
  g_auto (GStrv)                 texts = NULL;
  guint                          reasons = 0;

  a->phone = g_strdup ("+996 555 12 34 56");
  b->phone = g_strdup ("0555 123 456");
  g_assert_cmpfloat (dft_duplicate_score (a, b, &reasons), >=, DFT_DUPLICATE_DEFAULT_MIN_SCORE);
  g_assert_true (reasons & DFT_DUPLICATE_REASON_NAME_SCRIPTS);
  g_assert_true (reasons & DFT_DUPLICATE_REASON_SAME_PHONE);
  g_assert_true (reasons & DFT_DUPLICATE_REASON_SAME_AGENCY);
  g_assert_true (reasons & DFT_DUPLICATE_REASON_SAME_GENDER);
  texts = dft_duplicate_reasons_describe (reasons);
  g_assert_true (strv_has (texts, "Same phone number"));
  g_assert_true (strv_has (texts, "Names match across scripts"));

  /* Two Aibek Sadykovs in different agencies are two people. */
  g_assert_cmpfloat (dft_duplicate_score (a, c, &reasons), <, DFT_DUPLICATE_DEFAULT_MIN_SCORE);
  g_assert_true (reasons & DFT_DUPLICATE_REASON_AGENCY_DIFFERS);

  /* Of different gender too. */
  g_free (b->gender);
  b->gender = g_strdup ("female");
  g_assert_cmpfloat (dft_duplicate_score (a, b, &reasons), <, DFT_DUPLICATE_DEFAULT_MIN_SCORE);
  g_assert_true (reasons & DFT_DUPLICATE_REASON_GENDER_DIFFERS);

  /* And in the same session, whatever else they share. */
  g_free (b->gender);
  b->gender = g_strdup ("male");
  g_ptr_array_add (a->sessions, g_strdup ("s1"));
  g_ptr_array_add (b->sessions, g_strdup ("s1"));
  g_assert_cmpfloat (dft_duplicate_score (a, b, &reasons), ==, 0.0);
  g_assert_cmpuint (reasons, ==, 0);
}

static void
test_score_bad_input (void)
{
  g_autoptr (DftDuplicatePerson) empty_a = dft_duplicate_person_new ("a");
  g_autoptr (DftDuplicatePerson) empty_b = dft_duplicate_person_new ("b");
  g_autoptr (DftDuplicatePerson) phone_a = dft_duplicate_person_new ("c");
  g_autoptr (DftDuplicatePerson) phone_b = person ("d", "Aibek", "Sadykov", NULL);
  g_autoptr (DftDuplicatePerson) one_word = person ("e", "Aibek", NULL, "Police");
  g_autoptr (DftDuplicatePerson) full = person ("f", "Aibek", "Sadykov", "Police");
  guint                          reasons = 0;

  g_assert_cmpfloat (dft_duplicate_score (empty_a, empty_b, &reasons), ==, 0.0);
  g_assert_cmpuint (reasons, ==, 0);

  /* A phone alone is a reason, not enough to propose anyone. */
  phone_a->phone = g_strdup ("+996555123456");
  phone_b->phone = g_strdup ("0555123456");
  g_assert_cmpfloat (dft_duplicate_score (phone_a, phone_b, &reasons), <,
                     DFT_DUPLICATE_DEFAULT_MIN_SCORE);
  g_assert_true (reasons & DFT_DUPLICATE_REASON_SAME_PHONE);

  /* "Aibek" alone is anyone called Aibek, until his phone says who he is. */
  g_assert_cmpfloat (dft_duplicate_score (one_word, full, &reasons), <,
                     DFT_DUPLICATE_DEFAULT_MIN_SCORE);
  g_assert_true (reasons & DFT_DUPLICATE_REASON_NAME_MISSING_WORD);
  one_word->phone = g_strdup ("555 12 34 56");
  full->phone = g_strdup ("+996 555 123 456");
  g_assert_cmpfloat (dft_duplicate_score (one_word, full, &reasons), >=,
                     DFT_DUPLICATE_DEFAULT_MIN_SCORE);

  /* A phone number that is not one is unknown, not different. */
  g_free (full->phone);
  full->phone = g_strdup ("ask the trainer");
  dft_duplicate_score (one_word, full, &reasons);
  g_assert_false (reasons & (DFT_DUPLICATE_REASON_SAME_PHONE | DFT_DUPLICATE_REASON_PHONE_DIFFERS));
}

static DftRecord *
record (const DftEntity *entity, const char *first_field, ...)
{
  DftRecord  *rec = dft_record_new_for_entity (entity);
  va_list     args;
  const char *field = first_field;

  va_start (args, first_field);
  while (field != NULL)
    {
      dft_record_set_string (rec, field, va_arg (args, const char *));
      field = va_arg (args, const char *);
    }
  va_end (args);
  return rec;
}

static void
test_from_records (void)
{
  g_autoptr (GPtrArray) people = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) enrollments = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) attendance = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) out = NULL;
  DftRecord            *a, *b, *gone, *unsaved;
  DftDuplicatePerson   *pa;

  a = record (&dft_entity_person, "given_name", "Aibek", "family_name", "Sadykov", "gender", "male",
              "agency", "Police", "phone", "+996555123456", NULL);
  b = record (&dft_entity_person, "given_name", "Айбек", "family_name", "Садыков", NULL);
  gone = record (&dft_entity_person, "given_name", "Deleted", NULL);
  unsaved = record (&dft_entity_person, "given_name", "Unsaved", NULL);
  /* As the store loads them. */
  _dft_record_set_identity (a, "id-a", NULL, NULL, FALSE, FALSE);
  _dft_record_set_identity (b, "id-b", NULL, NULL, FALSE, FALSE);
  _dft_record_set_identity (gone, "id-gone", NULL, NULL, TRUE, FALSE);
  g_ptr_array_add (people, a);
  g_ptr_array_add (people, b);
  g_ptr_array_add (people, gone);
  g_ptr_array_add (people, unsaved);

  g_ptr_array_add (enrollments, record (&dft_entity_enrollment, "event_id", "w1", "person_id",
                                        dft_record_get_id (a), "role", "participant", NULL));
  g_ptr_array_add (attendance, record (&dft_entity_attendance, "session_id", "s1", "person_id",
                                       dft_record_get_id (a), "status", "present", NULL));
  g_ptr_array_add (attendance, record (&dft_entity_attendance, "session_id", "s2", "person_id",
                                       dft_record_get_id (a), "status", "absent", NULL));
  g_ptr_array_add (attendance, record (&dft_entity_attendance, "session_id", "s1", "person_id",
                                       dft_record_get_id (b), "status", "late", NULL));

  out = dft_duplicate_people_from_records (people, enrollments, attendance);
  g_assert_cmpuint (out->len, ==, 2);
  pa = g_ptr_array_index (out, 0);
  g_assert_cmpstr (pa->id, ==, dft_record_get_id (a));
  g_assert_cmpstr (pa->given_name, ==, "Aibek");
  g_assert_cmpstr (pa->agency, ==, "Police");
  g_assert_cmpstr (pa->phone, ==, "+996555123456");
  g_assert_null (pa->country);
  g_assert_cmpuint (pa->workshops->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (pa->workshops, 0), ==, "w1");
  /* Absent from s2: only s1 was attended. */
  g_assert_cmpuint (pa->sessions->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (pa->sessions, 0), ==, "s1");

  /* Both were in s1, so the same name cannot make them one person. */
  g_assert_cmpfloat (
      dft_duplicate_score (g_ptr_array_index (out, 0), g_ptr_array_index (out, 1), NULL), ==, 0.0);
}

static DftDuplicateFinder *
small_finder (void)
{
  DftDuplicateFinder *finder = dft_duplicate_finder_new ();
  DftDuplicatePerson *p;

  dft_duplicate_finder_add (finder, person ("p1", "Aibek", "Sadykov", "Police"));
  dft_duplicate_finder_add (finder, person ("p2", "Айбек", "Садыков", "Police"));
  dft_duplicate_finder_add (finder, person ("p3", "Sadikov", "Aybek", "Police"));
  dft_duplicate_finder_add (finder, person ("p4", "Aibek", "Sadykov", "Customs"));
  dft_duplicate_finder_add (finder, person ("p5", "Nurlan", "Toktogulov", "Police"));
  p = person ("p6", "Nurlan", NULL, "Police");
  p->phone = g_strdup ("0555 11 22 33");
  dft_duplicate_finder_add (finder, p);
  p = person ("p7", "Токтогулов", "Нурлан", NULL);
  p->phone = g_strdup ("+996 555 112 233");
  dft_duplicate_finder_add (finder, p);
  dft_duplicate_finder_add (finder, dft_duplicate_person_new ("p8"));
  return finder;
}

static char *
describe_groups (DftDuplicateFinder *finder, GPtrArray *pairs)
{
  g_autoptr (GPtrArray) groups
      = dft_duplicate_finder_group (finder, pairs, DFT_DUPLICATE_DEFAULT_MIN_SCORE);
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < groups->len; i++)
    {
      g_autofree char *joined = g_strjoinv (",", g_ptr_array_index (groups, i));

      g_string_append_printf (out, "%s[%s]", i > 0 ? " " : "", joined);
    }
  return g_string_free (out, FALSE);
}

static void
test_finder (void)
{
  g_autoptr (DftDuplicateFinder) finder = small_finder ();
  g_autoptr (GPtrArray)          pairs = NULL;
  g_autoptr (GPtrArray)          none = NULL;
  g_autoptr (DftDuplicatePerson) typed = person ("new", "Aybek", "Sadikov", "Police");
  g_autoptr (DftDuplicatePerson) same_id = person ("p1", "Aibek", "Sadykov", "Police");
  g_autoptr (GPtrArray)          candidates = NULL;
  g_autofree char               *groups = NULL;
  g_autoptr (GError)             error = NULL;

  pairs = dft_duplicate_finder_find_all (finder, DFT_DUPLICATE_DEFAULT_MIN_SCORE, NULL, &error);
  g_assert_no_error (error);
  groups = describe_groups (finder, pairs);
  /* p4 is in another agency; p5 and p6 are linked through p7's phone. */
  g_assert_cmpstr (groups, ==, "[p1,p2,p3] [p5,p6,p7]");
  for (guint i = 1; i < pairs->len; i++)
    {
      DftDuplicatePair *prev = g_ptr_array_index (pairs, i - 1);
      DftDuplicatePair *pair = g_ptr_array_index (pairs, i);

      g_assert_cmpfloat (prev->score, >=, pair->score);
    }

  candidates = dft_duplicate_finder_candidates_for (finder, typed, DFT_DUPLICATE_DEFAULT_MIN_SCORE);
  g_assert_cmpuint (candidates->len, ==, 3);
  for (guint i = 0; i < candidates->len; i++)
    {
      DftDuplicatePair *pair = g_ptr_array_index (candidates, i);

      g_assert_cmpstr (pair->id_a, ==, "new");
      g_assert_true (g_str_has_prefix (pair->id_b, "p") && strchr ("123", pair->id_b[1]) != NULL);
    }
  g_clear_pointer (&candidates, g_ptr_array_unref);

  candidates
      = dft_duplicate_finder_candidates_for (finder, same_id, DFT_DUPLICATE_DEFAULT_MIN_SCORE);
  g_assert_cmpuint (candidates->len, ==, 2);

  /* Added after a scan: indexed on the next. */
  g_assert_cmpuint (dft_duplicate_finder_get_n_people (finder), ==, 8);
  dft_duplicate_finder_add (finder, person ("p9", "Aibek", "Sadykov", "Police"));
  g_assert_cmpuint (dft_duplicate_finder_get_n_people (finder), ==, 9);
  g_clear_pointer (&pairs, g_ptr_array_unref);
  g_clear_pointer (&groups, g_free);
  pairs = dft_duplicate_finder_find_all (finder, DFT_DUPLICATE_DEFAULT_MIN_SCORE, NULL, &error);
  g_assert_no_error (error);
  groups = describe_groups (finder, pairs);
  g_assert_cmpstr (groups, ==, "[p1,p2,p3,p9] [p5,p6,p7]");

  none = dft_duplicate_finder_find_all (finder, 1.01, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->len, ==, 0);
}

static void
find_all_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
test_finder_async (void)
{
  g_autoptr (DftDuplicateFinder) finder = small_finder ();
  g_autoptr (GCancellable)       cancellable = g_cancellable_new ();
  g_autoptr (GAsyncResult)       result = NULL;
  g_autoptr (GPtrArray)          pairs = NULL;
  g_autoptr (GError)             error = NULL;

  dft_duplicate_finder_find_all_async (finder, DFT_DUPLICATE_DEFAULT_MIN_SCORE, NULL, find_all_cb,
                                       &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  pairs = dft_duplicate_finder_find_all_finish (finder, result, &error);
  g_assert_no_error (error);
  /* p1~p2, p1~p3, p2~p3, p5~p7, p6~p7: p5 and p6 meet only through p7. */
  g_assert_cmpuint (pairs->len, ==, 5);
  g_clear_object (&result);

  g_cancellable_cancel (cancellable);
  dft_duplicate_finder_find_all_async (finder, DFT_DUPLICATE_DEFAULT_MIN_SCORE, cancellable,
                                       find_all_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (dft_duplicate_finder_find_all_finish (finder, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* The labelled set of tests/data/duplicates (its make_people.py says how it was made). */
static void
test_labelled (void)
{
  const char        *data = g_getenv ("DAFTARI_TEST_DATA");
  g_autofree char   *path = NULL;
  g_autoptr (GError) error = NULL;
  DftLabelledResult  result;

  g_assert_nonnull (data);
  path = g_build_filename (data, "duplicates", "people.csv", NULL);
  dft_labelled_evaluate (path, DFT_DUPLICATE_DEFAULT_MIN_SCORE, g_test_verbose (), &result, &error);
  g_assert_no_error (error);
  g_test_message ("labelled set: %u people, %u true pairs, %u proposed, precision %.3f, "
                  "recall %.3f at %.2f",
                  result.people, result.true_pairs, result.proposed, result.precision,
                  result.recall, DFT_DUPLICATE_DEFAULT_MIN_SCORE);
  g_assert_cmpuint (result.people, >=, 300);
  g_assert_cmpfloat (result.recall, >=, 0.95);
  g_assert_cmpfloat (result.precision, >=, 0.98);
}

static void
finder_ready_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  DftDuplicateFinder **out = data;
  g_autoptr (GError)   error = NULL;

  *out = dft_duplicate_finder_new_for_store_finish (DFT_STORE (source), result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (*out);
}

static DftRecord *
register_person (DftStore *store, const char *given, const char *family, const char *event_id)
{
  g_autoptr (GError) error = NULL;
  DftRecord         *person = dft_record_new_for_entity (&dft_entity_person);

  g_object_set (person, "given-name", given, "family-name", family, "gender", "male", "agency",
                "Prosecutor General", NULL);
  g_assert_true (dft_people_register (store, person, event_id, NULL, &error));
  g_assert_no_error (error);
  return person;
}

/*
 * The finder a coordinator's laptop builds from its store: three records of one officer
 * across scripts, two of them marked present in the same session of one workshop, so those
 * two are two people sitting side by side; the third, from another workshop, pairs with both.
 * A deleted person is not proposed.
 */
static void
test_finder_from_store (void)
{
  g_autofree char      *dir = NULL;
  DftStore             *store = dft_test_open_store (&dir);
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) event
      = dft_test_add_event (store, "Case files", "2026-03-02", "2026-03-03");
  g_autoptr (DftRecord) later
      = dft_test_add_event (store, "Interviews", "2026-05-04", "2026-05-05");
  g_autoptr (GListModel) sessions = dft_store_list_sessions (store, dft_record_get_id (event));
  g_autoptr (DftRecord)  session = NULL;
  g_autoptr (DftRecord)  a = NULL, b = NULL, c = NULL, gone = NULL;
  g_autoptr (DftRecord)  mark_a = NULL, mark_b = NULL;
  g_autoptr (GPtrArray)  pairs = NULL;
  DftDuplicateFinder    *finder = NULL;
  gboolean               a_c = FALSE, b_c = FALSE;

  dft_test_drain ();
  g_assert_true (dft_record_list_reload_sync (DFT_RECORD_LIST (sessions), &error));
  g_assert_no_error (error);
  session = g_list_model_get_item (sessions, 0);
  a = register_person (store, "Aibek", "Sadykov", dft_record_get_id (event));
  b = register_person (store, "Айбек", "Садыков", dft_record_get_id (event));
  c = register_person (store, "Aybek", "Sadikov", dft_record_get_id (later));
  gone = register_person (store, "Aibek", "Sadykov", NULL);
  g_assert_true (dft_store_delete (store, gone, &error));
  g_assert_no_error (error);
  mark_a = dft_attendance_mark (store, dft_record_get_id (session), dft_record_get_id (a),
                                "present", NULL, &error);
  g_assert_no_error (error);
  mark_b = dft_attendance_mark (store, dft_record_get_id (session), dft_record_get_id (b), "late",
                                NULL, &error);
  g_assert_no_error (error);

  dft_duplicate_finder_new_for_store_async (store, NULL, finder_ready_cb, &finder);
  while (finder == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (dft_duplicate_finder_get_n_people (finder), ==, 3);
  pairs = dft_duplicate_finder_find_all (finder, DFT_DUPLICATE_DEFAULT_MIN_SCORE, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < pairs->len; i++)
    {
      DftDuplicatePair *pair = g_ptr_array_index (pairs, i);
      const char       *ids[] = { pair->id_a, pair->id_b };
      gboolean          has_a = FALSE, has_b = FALSE, has_c = FALSE;

      for (guint k = 0; k < 2; k++)
        {
          has_a |= g_str_equal (ids[k], dft_record_get_id (a));
          has_b |= g_str_equal (ids[k], dft_record_get_id (b));
          has_c |= g_str_equal (ids[k], dft_record_get_id (c));
        }
      g_assert_false (has_a && has_b);
      a_c |= has_a && has_c;
      b_c |= has_b && has_c;
    }
  g_assert_true (a_c);
  g_assert_true (b_c);

  g_object_unref (finder);
  g_clear_object (&sessions); /* it holds the store */
  dft_test_release_store (store);
  dft_test_dir_free (g_steal_pointer (&dir));
}

int
main (int argc, char **argv)
{
  dft_test_init (&argc, &argv);

  g_test_add_func ("/duplicates/fold/variants", test_fold_variants);
  g_test_add_func ("/duplicates/fold/distinct", test_fold_distinct);
  g_test_add_func ("/duplicates/fold/bad-input", test_fold_bad_input);
  g_test_add_func ("/duplicates/skeleton", test_skeleton);
  g_test_add_func ("/duplicates/jaro-winkler", test_jaro_winkler);
  g_test_add_func ("/duplicates/name/compare", test_name_compare);
  g_test_add_func ("/duplicates/name/blocking-keys", test_blocking_keys);
  g_test_add_func ("/duplicates/score/reasons", test_score_reasons);
  g_test_add_func ("/duplicates/score/bad-input", test_score_bad_input);
  g_test_add_func ("/duplicates/from-records", test_from_records);
  g_test_add_func ("/duplicates/finder", test_finder);
  g_test_add_func ("/duplicates/finder/async", test_finder_async);
  g_test_add_func ("/duplicates/finder/from-store", test_finder_from_store);
  g_test_add_func ("/duplicates/labelled", test_labelled);

  return g_test_run ();
}
