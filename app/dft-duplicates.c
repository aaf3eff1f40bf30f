/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdlib.h>
#include <string.h>

#include "dft-contact.h"
#include "dft-country.h"
#include "dft-duplicates.h"
#include "dft-name-match.h"
#include "dft-record.h"
#include "dft-store-merges.h"
#include "dft-search.h"

/*
 * How a pair is scored. The name gives up to NAME_WEIGHT: its similarity from
 * dft_name_key_compare() above NAME_FLOOR, scaled to 0..1, so that one word that does not
 * match at all leaves nothing. A name with a word missing on one side keeps
 * MISSING_WORD_FACTOR of that: "Aibek" alone may be anyone called Aibek, so it takes a phone,
 * an email or several agreeing fields to propose him.
 *
 * Every other field adds when both people have it and it agrees, and subtracts when both
 * have it and it differs; an unknown field counts for nothing. The weights say what tells two
 * namesakes apart: gender, agency and country rarely change, a phone number or a position do.
 * The default threshold and these weights were set on the labelled set in
 * tests/data/duplicates/ (tests/test-duplicates.c checks its precision and recall).
 */
#define NAME_WEIGHT         0.8
#define NAME_FLOOR          0.75
#define MISSING_WORD_FACTOR 0.75

static const struct
{
  double same;
  double differs;
} weights[] = {
#define PHONE    0
#define EMAIL    1
#define GENDER   2
#define AGENCY   3
#define COUNTRY  4
#define POSITION 5
  [PHONE] = { 0.2, -0.2 },  [EMAIL] = { 0.2, -0.05 },   [GENDER] = { 0.05, -0.5 },
  [AGENCY] = { 0.1, -0.3 }, [COUNTRY] = { 0.02, -0.2 }, [POSITION] = { 0.03, 0.0 },
};

/* A key shared by more people than this tells none of them apart. */
#define MAX_BLOCK 500

/* The last digits of a phone number: enough to tell numbers apart, and the same whether it
 * was written with its country code ("+996 555 123 456") or with a trunk 0 ("0555 123 456"). */
#define PHONE_DIGITS 9

/* One person as compared: their fields folded once. */
typedef struct
{
  DftDuplicatePerson *person;
  DftNameKey         *name;
  char               *phone;
  char               *email;
  char               *agency;
  char               *position;
  char               *country;
  int                 gender;  /* 0 unknown, 1 female, 2 male */
  char              **lookups; /* the keys a scan looks up for this person, once indexed */
} Entry;

struct _DftDuplicateFinder
{
  GObject parent_instance;

  GMutex      lock;
  GPtrArray  *people;    /* DftDuplicatePerson, owned */
  GArray     *entries;   /* Entry, one for each of the first entries->len people */
  GHashTable *index;     /* blocking key → GArray of guint entry positions */
  GHashTable *positions; /* id → entry position + 1 */
  GHashTable *countries; /* a country as written → its code, or "" when it names none */
};

G_DEFINE_FINAL_TYPE (DftDuplicateFinder, dft_duplicate_finder, G_TYPE_OBJECT)

const char *
dft_duplicate_reason_describe (DftDuplicateReason reason)
{
  switch (reason)
    {
    case DFT_DUPLICATE_REASON_NAME_EQUAL:
      return _ ("Names match");
    case DFT_DUPLICATE_REASON_NAME_SCRIPTS:
      return _ ("Names match across scripts");
    case DFT_DUPLICATE_REASON_NAME_SIMILAR:
      return _ ("Names are spelled alike");
    case DFT_DUPLICATE_REASON_NAME_CONSONANTS:
      return _ ("Names have the same consonants");
    case DFT_DUPLICATE_REASON_NAME_SWAPPED:
      return _ ("Given and family name swapped");
    case DFT_DUPLICATE_REASON_NAME_MISSING_WORD:
      return _ ("One name is missing a part");
    case DFT_DUPLICATE_REASON_SAME_PHONE:
      return _ ("Same phone number");
    case DFT_DUPLICATE_REASON_PHONE_DIFFERS:
      return _ ("Phone numbers differ");
    case DFT_DUPLICATE_REASON_SAME_EMAIL:
      return _ ("Same email address");
    case DFT_DUPLICATE_REASON_EMAIL_DIFFERS:
      return _ ("Email addresses differ");
    case DFT_DUPLICATE_REASON_SAME_GENDER:
      return _ ("Same gender");
    case DFT_DUPLICATE_REASON_GENDER_DIFFERS:
      return _ ("Gender differs");
    case DFT_DUPLICATE_REASON_SAME_AGENCY:
      return _ ("Same agency");
    case DFT_DUPLICATE_REASON_AGENCY_DIFFERS:
      return _ ("Agencies differ");
    case DFT_DUPLICATE_REASON_SAME_COUNTRY:
      return _ ("Same country");
    case DFT_DUPLICATE_REASON_COUNTRY_DIFFERS:
      return _ ("Countries differ");
    case DFT_DUPLICATE_REASON_SAME_POSITION:
      return _ ("Same position");
    case DFT_DUPLICATE_REASON_SAME_WORKSHOP:
      return _ ("Enrolled in the same workshop");
    default:
      g_return_val_if_reached (NULL);
    }
}

char **
dft_duplicate_reasons_describe (guint reasons)
{
  GStrvBuilder *builder = g_strv_builder_new ();
  char        **out;

  for (guint i = 0; i < DFT_DUPLICATE_N_REASONS; i++)
    {
      if (reasons & (1u << i))
        g_strv_builder_add (builder, dft_duplicate_reason_describe (1u << i));
    }
  out = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return out;
}

const char *
dft_duplicate_reason_code (DftDuplicateReason reason)
{
  static const char *const codes[DFT_DUPLICATE_N_REASONS] = {
    "name-equal",        "name-scripts",   "name-similar",  "name-consonants", "name-swapped",
    "name-missing-word", "same-phone",     "phone-differs", "same-email",      "email-differs",
    "same-gender",       "gender-differs", "same-agency",   "agency-differs",  "same-country",
    "country-differs",   "same-position",  "same-workshop",
  };

  for (guint i = 0; i < DFT_DUPLICATE_N_REASONS; i++)
    if ((guint) reason == 1u << i)
      return codes[i];
  g_return_val_if_reached (NULL);
}

DftDuplicatePerson *
dft_duplicate_person_new (const char *id)
{
  DftDuplicatePerson *person;

  g_return_val_if_fail (id != NULL, NULL);

  person = g_new0 (DftDuplicatePerson, 1);
  person->id = g_strdup (id);
  person->sessions = g_ptr_array_new_with_free_func (g_free);
  person->workshops = g_ptr_array_new_with_free_func (g_free);
  return person;
}

void
dft_duplicate_person_free (DftDuplicatePerson *person)
{
  if (person == NULL)
    return;

  g_free (person->id);
  g_free (person->given_name);
  g_free (person->family_name);
  g_free (person->gender);
  g_free (person->agency);
  g_free (person->position);
  g_free (person->country);
  g_free (person->phone);
  g_free (person->email);
  g_clear_pointer (&person->sessions, g_ptr_array_unref);
  g_clear_pointer (&person->workshops, g_ptr_array_unref);
  g_free (person);
}

static char *
_dft_dup_string (DftRecord *record, const char *field)
{
  const char *value = dft_record_get_string (record, field);

  return value != NULL && *value != '\0' ? g_strdup (value) : NULL;
}

GPtrArray *
dft_duplicate_people_from_records (GPtrArray *people, GPtrArray *enrollments, GPtrArray *attendance)
{
  g_autoptr (GHashTable) by_id = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray             *out;

  g_return_val_if_fail (people != NULL, NULL);

  out = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_duplicate_person_free);
  for (guint i = 0; i < people->len; i++)
    {
      DftRecord          *record = g_ptr_array_index (people, i);
      DftDuplicatePerson *person;

      g_return_val_if_fail (DFT_IS_PERSON (record), out);
      if (dft_record_get_deleted (record) || dft_record_get_id (record) == NULL)
        continue;

      person = dft_duplicate_person_new (dft_record_get_id (record));
      person->given_name = _dft_dup_string (record, "given_name");
      person->family_name = _dft_dup_string (record, "family_name");
      person->gender = _dft_dup_string (record, "gender");
      person->agency = _dft_dup_string (record, "agency");
      person->position = _dft_dup_string (record, "position");
      person->country = _dft_dup_string (record, "country");
      person->phone = _dft_dup_string (record, "phone");
      person->email = _dft_dup_string (record, "email");
      g_ptr_array_add (out, person);
      g_hash_table_insert (by_id, person->id, person);
    }

  for (guint i = 0; enrollments != NULL && i < enrollments->len; i++)
    {
      DftRecord          *record = g_ptr_array_index (enrollments, i);
      DftDuplicatePerson *person;

      g_return_val_if_fail (DFT_IS_ENROLLMENT (record), out);
      person = g_hash_table_lookup (by_id, dft_record_get_string (record, "person_id"));
      if (person != NULL && !dft_record_get_deleted (record))
        g_ptr_array_add (person->workshops, g_strdup (dft_record_get_string (record, "event_id")));
    }

  for (guint i = 0; attendance != NULL && i < attendance->len; i++)
    {
      DftRecord          *record = g_ptr_array_index (attendance, i);
      DftDuplicatePerson *person;
      const char         *status;

      g_return_val_if_fail (DFT_IS_ATTENDANCE (record), out);
      person = g_hash_table_lookup (by_id, dft_record_get_string (record, "person_id"));
      status = dft_record_get_string (record, "status");
      /* Someone marked absent was not in the room: a duplicate registration of a person who
       * was is typically marked so. */
      if (person != NULL && !dft_record_get_deleted (record)
          && (g_strcmp0 (status, "present") == 0 || g_strcmp0 (status, "late") == 0))
        g_ptr_array_add (person->sessions, g_strdup (dft_record_get_string (record, "session_id")));
    }

  return out;
}

void
dft_duplicate_pair_free (DftDuplicatePair *pair)
{
  if (pair == NULL)
    return;

  g_free (pair->id_a);
  g_free (pair->id_b);
  g_free (pair);
}

static gboolean
_dft_is_empty (const char *text)
{
  return text == NULL || *text == '\0';
}

/* Folded free text ("Police", "police ", "POLICE"), or NULL when there is none. */
static char *
_dft_fold_text (const char *text)
{
  char *key;

  if (_dft_is_empty (text))
    return NULL;
  key = dft_search_key (text);
  if (*key == '\0')
    g_clear_pointer (&key, g_free);
  return key;
}

static char *
_dft_fold_phone (const char *text)
{
  g_autofree char *normal = NULL;
  gsize            len;

  if (_dft_is_empty (text))
    return NULL;
  normal = dft_phone_normalize (text);
  if (normal == NULL)
    return NULL;
  len = strlen (normal);
  /* A short local number says too little to compare; "+" is not a digit. */
  if (len < 7 || (normal[0] == '+' && len < 8))
    return NULL;
  return g_strdup (normal + (len > PHONE_DIGITS ? len - PHONE_DIGITS : 0));
}

static char *
_dft_fold_country (const char *text, GHashTable *cache)
{
  const char *cached;
  char       *code;

  if (_dft_is_empty (text))
    return NULL;
  if (cache != NULL && g_hash_table_lookup_extended (cache, text, NULL, (gpointer *) &cached))
    return *cached != '\0' ? g_strdup (cached) : NULL;

  code = dft_country_normalize (text);
  /* A country Daftari does not know is still compared as written. */
  if (code == NULL)
    code = _dft_fold_text (text);
  if (cache != NULL)
    g_hash_table_insert (cache, g_strdup (text), g_strdup (code != NULL ? code : ""));
  return code;
}

static void
_dft_entry_init (Entry *entry, DftDuplicatePerson *person, GHashTable *countries)
{
  entry->person = person;
  entry->name = dft_name_key_new (person->given_name, person->family_name);
  entry->phone = _dft_fold_phone (person->phone);
  entry->email = _dft_is_empty (person->email) ? NULL : g_utf8_casefold (person->email, -1);
  entry->agency = _dft_fold_text (person->agency);
  entry->position = _dft_fold_text (person->position);
  entry->country = _dft_fold_country (person->country, countries);
  entry->gender = g_strcmp0 (person->gender, "female") == 0 ? 1
                  : g_strcmp0 (person->gender, "male") == 0 ? 2
                                                            : 0;
}

static void
_dft_entry_clear (Entry *entry)
{
  g_clear_pointer (&entry->name, dft_name_key_free);
  g_clear_pointer (&entry->phone, g_free);
  g_clear_pointer (&entry->email, g_free);
  g_clear_pointer (&entry->agency, g_free);
  g_clear_pointer (&entry->position, g_free);
  g_clear_pointer (&entry->country, g_free);
  g_clear_pointer (&entry->lookups, g_strfreev);
}

static gboolean
_dft_share_string (GPtrArray *a, GPtrArray *b)
{
  if (a == NULL || b == NULL)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    for (guint j = 0; j < b->len; j++)
      if (g_strcmp0 (g_ptr_array_index (a, i), g_ptr_array_index (b, j)) == 0)
        return TRUE;
  return FALSE;
}

/* Adds the weight of one field to *@score: @same when both are known and agree, @differs when
 * both are known and do not. */
static void
_dft_weigh (const char *a,
            const char *b,
            guint       field,
            guint       same_reason,
            guint       differs_reason,
            double     *score,
            guint      *reasons)
{
  if (a == NULL || b == NULL)
    return;

  if (strcmp (a, b) == 0)
    {
      *score += weights[field].same;
      *reasons |= same_reason;
    }
  else
    {
      *score += weights[field].differs;
      *reasons |= differs_reason;
    }
}

/* The most all fields but the name can add to a score. */
static double
_dft_max_evidence (void)
{
  double total = 0.0;

  for (guint i = 0; i < G_N_ELEMENTS (weights); i++)
    total += weights[i].same;
  return total;
}

/* How likely @a and @b are one person, not asking whether they attended a common session
 * (which costs more, so callers ask only of pairs that score enough). Below @cutoff the score
 * is not worth finishing: 0 is returned without reasons. */
static double
_dft_entry_score (const Entry *a, const Entry *b, double cutoff, guint *reasons_out)
{
  DftNameMatchFlags flags = 0;
  double            name, score;
  guint             reasons = 0;

  *reasons_out = 0;
  name = dft_name_key_compare (a->name, b->name, &flags);
  score = NAME_WEIGHT * CLAMP ((name - NAME_FLOOR) / (1.0 - NAME_FLOOR), 0.0, 1.0);
  if (flags & DFT_NAME_MATCH_MISSING_WORD)
    score *= MISSING_WORD_FACTOR;
  if (score + _dft_max_evidence () < cutoff)
    return 0.0;
  if (score > 0.0)
    {
      if (flags & DFT_NAME_MATCH_MISSING_WORD)
        reasons |= DFT_DUPLICATE_REASON_NAME_MISSING_WORD;
      if ((flags & DFT_NAME_MATCH_EQUAL) && !(flags & DFT_NAME_MATCH_SCRIPTS))
        reasons |= DFT_DUPLICATE_REASON_NAME_EQUAL;
      if (flags & DFT_NAME_MATCH_SCRIPTS)
        reasons |= DFT_DUPLICATE_REASON_NAME_SCRIPTS;
      if (flags & DFT_NAME_MATCH_SIMILAR)
        reasons |= DFT_DUPLICATE_REASON_NAME_SIMILAR;
      if (flags & DFT_NAME_MATCH_CONSONANTS)
        reasons |= DFT_DUPLICATE_REASON_NAME_CONSONANTS;
      if (flags & DFT_NAME_MATCH_SWAPPED)
        reasons |= DFT_DUPLICATE_REASON_NAME_SWAPPED;
    }

  _dft_weigh (a->phone, b->phone, PHONE, DFT_DUPLICATE_REASON_SAME_PHONE,
              DFT_DUPLICATE_REASON_PHONE_DIFFERS, &score, &reasons);
  _dft_weigh (a->email, b->email, EMAIL, DFT_DUPLICATE_REASON_SAME_EMAIL,
              DFT_DUPLICATE_REASON_EMAIL_DIFFERS, &score, &reasons);
  _dft_weigh (a->agency, b->agency, AGENCY, DFT_DUPLICATE_REASON_SAME_AGENCY,
              DFT_DUPLICATE_REASON_AGENCY_DIFFERS, &score, &reasons);
  _dft_weigh (a->country, b->country, COUNTRY, DFT_DUPLICATE_REASON_SAME_COUNTRY,
              DFT_DUPLICATE_REASON_COUNTRY_DIFFERS, &score, &reasons);
  /* A new position is a promotion more often than another person. */
  _dft_weigh (a->position, b->position, POSITION, DFT_DUPLICATE_REASON_SAME_POSITION, 0, &score,
              &reasons);
  if (a->gender != 0 && b->gender != 0)
    {
      score += a->gender == b->gender ? weights[GENDER].same : weights[GENDER].differs;
      reasons |= a->gender == b->gender ? DFT_DUPLICATE_REASON_SAME_GENDER
                                        : DFT_DUPLICATE_REASON_GENDER_DIFFERS;
    }
  if (_dft_share_string (a->person->workshops, b->person->workshops))
    reasons |= DFT_DUPLICATE_REASON_SAME_WORKSHOP;

  *reasons_out = reasons;
  return CLAMP (score, 0.0, 1.0);
}

double
dft_duplicate_score (const DftDuplicatePerson *a, const DftDuplicatePerson *b, guint *reasons)
{
  Entry  ea = { 0 }, eb = { 0 };
  guint  out = 0;
  double score;

  g_return_val_if_fail (a != NULL && b != NULL, 0.0);

  if (reasons != NULL)
    *reasons = 0;
  if (_dft_share_string (a->sessions, b->sessions))
    return 0.0;

  _dft_entry_init (&ea, (DftDuplicatePerson *) a, NULL);
  _dft_entry_init (&eb, (DftDuplicatePerson *) b, NULL);
  score = _dft_entry_score (&ea, &eb, 0.0, &out);
  _dft_entry_clear (&ea);
  _dft_entry_clear (&eb);

  if (reasons != NULL)
    *reasons = out;
  return score;
}

static void
dft_duplicate_finder_finalize (GObject *object)
{
  DftDuplicateFinder *self = DFT_DUPLICATE_FINDER (object);

  for (guint i = 0; i < self->entries->len; i++)
    _dft_entry_clear (&g_array_index (self->entries, Entry, i));
  g_array_unref (self->entries);
  g_ptr_array_unref (self->people);
  g_hash_table_unref (self->index);
  g_hash_table_unref (self->positions);
  g_hash_table_unref (self->countries);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (dft_duplicate_finder_parent_class)->finalize (object);
}

static void
dft_duplicate_finder_class_init (DftDuplicateFinderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dft_duplicate_finder_finalize;
}

static void
dft_duplicate_finder_init (DftDuplicateFinder *self)
{
  g_mutex_init (&self->lock);
  self->people = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_duplicate_person_free);
  self->entries = g_array_new (FALSE, TRUE, sizeof (Entry));
  self->index
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_array_unref);
  self->countries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->positions = g_hash_table_new (g_str_hash, g_str_equal);
}

DftDuplicateFinder *
dft_duplicate_finder_new (void)
{
  return g_object_new (DFT_TYPE_DUPLICATE_FINDER, NULL);
}

void
dft_duplicate_finder_add (DftDuplicateFinder *self, DftDuplicatePerson *person)
{
  g_return_if_fail (DFT_IS_DUPLICATE_FINDER (self));
  g_return_if_fail (person != NULL && person->id != NULL);

  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->people, person);
  g_mutex_unlock (&self->lock);
}

guint
dft_duplicate_finder_get_n_people (DftDuplicateFinder *self)
{
  guint n;

  g_return_val_if_fail (DFT_IS_DUPLICATE_FINDER (self), 0);

  g_mutex_lock (&self->lock);
  n = self->people->len;
  g_mutex_unlock (&self->lock);
  return n;
}

/* The keys @entry is indexed under (@indexed) and the keys it looks up (@looked_up), as
 * dft-name-match.h describes them, with its phone and email in both. */
static void
_dft_entry_keys (const Entry *entry, GPtrArray *indexed, GPtrArray *looked_up)
{
  g_auto (GStrv) blocking = dft_name_key_get_blocking_keys (entry->name);
  g_auto (GStrv) words = dft_name_key_get_word_keys (entry->name);
  g_auto (GStrv) probes = dft_name_key_get_probe_keys (entry->name);

  for (guint i = 0; blocking[i] != NULL; i++)
    {
      if (indexed != NULL)
        g_ptr_array_add (indexed, g_strdup (blocking[i]));
      if (looked_up != NULL)
        g_ptr_array_add (looked_up, g_strdup (blocking[i]));
    }
  for (guint i = 0; indexed != NULL && words[i] != NULL; i++)
    g_ptr_array_add (indexed, g_strdup (words[i]));
  for (guint i = 0; looked_up != NULL && probes[i] != NULL; i++)
    g_ptr_array_add (looked_up, g_strdup (probes[i]));

  if (entry->phone != NULL)
    {
      if (indexed != NULL)
        g_ptr_array_add (indexed, g_strconcat ("p:", entry->phone, NULL));
      if (looked_up != NULL)
        g_ptr_array_add (looked_up, g_strconcat ("p:", entry->phone, NULL));
    }
  if (entry->email != NULL)
    {
      if (indexed != NULL)
        g_ptr_array_add (indexed, g_strconcat ("e:", entry->email, NULL));
      if (looked_up != NULL)
        g_ptr_array_add (looked_up, g_strconcat ("e:", entry->email, NULL));
    }
}

/* Folds and indexes the people added since the last call. Called with the lock held. */
static void
_dft_duplicate_finder_update_index (DftDuplicateFinder *self)
{
  for (guint i = self->entries->len; i < self->people->len; i++)
    {
      g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
      GPtrArray            *lookups = g_ptr_array_new ();
      Entry                 entry = { 0 };

      _dft_entry_init (&entry, g_ptr_array_index (self->people, i), self->countries);
      _dft_entry_keys (&entry, keys, lookups);
      g_ptr_array_add (lookups, NULL);
      /* Kept: a scan looks them up for every person, and making them again costs more than
       * most of the comparisons they lead to. */
      entry.lookups = (char **) g_ptr_array_free (lookups, FALSE);
      g_array_append_val (self->entries, entry);
      g_hash_table_insert (self->positions, entry.person->id, GUINT_TO_POINTER (i + 1));

      for (guint k = 0; k < keys->len; k++)
        {
          const char *key = g_ptr_array_index (keys, k);
          GArray     *members = g_hash_table_lookup (self->index, key);

          if (members == NULL)
            {
              members = g_array_sized_new (FALSE, FALSE, sizeof (guint), 2);
              g_hash_table_insert (self->index, g_strdup (key), members);
            }
          /* A person whose two keys are equal (a phone typed twice) is listed once. */
          if (members->len == 0 || g_array_index (members, guint, members->len - 1) != i)
            g_array_append_val (members, i);
        }
    }
}

static int
_dft_compare_guint (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;

  return x < y ? -1 : x > y;
}

static int
_dft_compare_pairs (gconstpointer a, gconstpointer b)
{
  const DftDuplicatePair *pa = *(const DftDuplicatePair *const *) a;
  const DftDuplicatePair *pb = *(const DftDuplicatePair *const *) b;

  if (pa->score != pb->score)
    return pa->score > pb->score ? -1 : 1;
  if (strcmp (pa->id_a, pb->id_a) != 0)
    return strcmp (pa->id_a, pb->id_a);
  return strcmp (pa->id_b, pb->id_b);
}

/* The positions of the people sharing a looked-up key with @entry, each once, sorted, those
 * at @above or below left out. Called with the lock held. */
static void
_dft_duplicate_finder_candidates (DftDuplicateFinder *self,
                                  char *const        *looked_up,
                                  gint64              above,
                                  GArray             *out)
{
  guint n = 0;

  g_array_set_size (out, 0);
  for (guint k = 0; looked_up[k] != NULL; k++)
    {
      GArray *members = g_hash_table_lookup (self->index, looked_up[k]);

      if (members == NULL || members->len > MAX_BLOCK)
        continue;
      for (guint m = 0; m < members->len; m++)
        {
          guint j = g_array_index (members, guint, m);

          if ((gint64) j > above)
            g_array_append_val (out, j);
        }
    }
  g_array_sort (out, _dft_compare_guint);
  for (guint i = 0; i < out->len; i++)
    {
      if (n == 0 || g_array_index (out, guint, n - 1) != g_array_index (out, guint, i))
        g_array_index (out, guint, n++) = g_array_index (out, guint, i);
    }
  g_array_set_size (out, n);
}

static DftDuplicatePair *
_dft_pair_new (const char *id_a, const char *id_b, double score, guint reasons)
{
  DftDuplicatePair *pair = g_new0 (DftDuplicatePair, 1);

  pair->id_a = g_strdup (id_a);
  pair->id_b = g_strdup (id_b);
  pair->score = score;
  pair->reasons = reasons;
  return pair;
}

GPtrArray *
dft_duplicate_finder_find_all (DftDuplicateFinder *self,
                               double              min_score,
                               GCancellable       *cancellable,
                               GError            **error)
{
  g_autoptr (GPtrArray) pairs = NULL;
  g_autoptr (GArray)    candidates = NULL;

  g_return_val_if_fail (DFT_IS_DUPLICATE_FINDER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  pairs = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_duplicate_pair_free);
  candidates = g_array_new (FALSE, FALSE, sizeof (guint));

  g_mutex_lock (&self->lock);
  _dft_duplicate_finder_update_index (self);

  for (guint i = 0; i < self->entries->len; i++)
    {
      const Entry *a = &g_array_index (self->entries, Entry, i);

      if (i % 1024 == 0 && g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          g_mutex_unlock (&self->lock);
          return NULL;
        }

      /* Every key relation is symmetric (dft-name-match.h), so each pair is met from both
       * sides and kept from the first. */
      _dft_duplicate_finder_candidates (self, a->lookups, i, candidates);

      for (guint c = 0; c < candidates->len; c++)
        {
          const Entry *b
              = &g_array_index (self->entries, Entry, g_array_index (candidates, guint, c));
          guint  reasons = 0;
          double score = _dft_entry_score (a, b, min_score, &reasons);

          if (score >= min_score && score > 0.0
              && !_dft_share_string (a->person->sessions, b->person->sessions))
            g_ptr_array_add (pairs, _dft_pair_new (a->person->id, b->person->id, score, reasons));
        }
    }
  g_mutex_unlock (&self->lock);

  g_ptr_array_sort (pairs, _dft_compare_pairs);
  return g_steal_pointer (&pairs);
}

static void
_dft_find_all_worker (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  GError    *error = NULL;
  GPtrArray *pairs;

  pairs = dft_duplicate_finder_find_all (source_object, *(double *) task_data, cancellable, &error);
  if (pairs == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, pairs, (GDestroyNotify) g_ptr_array_unref);
}

void
dft_duplicate_finder_find_all_async (DftDuplicateFinder *self,
                                     double              min_score,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (DFT_IS_DUPLICATE_FINDER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dft_duplicate_finder_find_all_async);
  g_task_set_task_data (task, g_memdup2 (&min_score, sizeof min_score), g_free);
  g_task_run_in_thread (task, _dft_find_all_worker);
}

GPtrArray *
dft_duplicate_finder_find_all_finish (DftDuplicateFinder *self,
                                      GAsyncResult       *result,
                                      GError            **error)
{
  g_return_val_if_fail (DFT_IS_DUPLICATE_FINDER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (
      g_task_get_source_tag (G_TASK (result)) == dft_duplicate_finder_find_all_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

GPtrArray *
dft_duplicate_finder_candidates_for (DftDuplicateFinder       *self,
                                     const DftDuplicatePerson *person,
                                     double                    min_score)
{
  g_autoptr (GPtrArray) pairs = NULL;
  g_autoptr (GArray)    candidates = NULL;
  g_autoptr (GPtrArray) looked_up = NULL;
  Entry                 entry = { 0 };

  g_return_val_if_fail (DFT_IS_DUPLICATE_FINDER (self), NULL);
  g_return_val_if_fail (person != NULL && person->id != NULL, NULL);

  pairs = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_duplicate_pair_free);
  candidates = g_array_new (FALSE, FALSE, sizeof (guint));
  looked_up = g_ptr_array_new_with_free_func (g_free);

  g_mutex_lock (&self->lock);
  _dft_duplicate_finder_update_index (self);
  _dft_entry_init (&entry, (DftDuplicatePerson *) person, self->countries);
  _dft_entry_keys (&entry, NULL, looked_up);
  g_ptr_array_add (looked_up, NULL);
  _dft_duplicate_finder_candidates (self, (char *const *) looked_up->pdata, -1, candidates);

  for (guint c = 0; c < candidates->len; c++)
    {
      const Entry *b = &g_array_index (self->entries, Entry, g_array_index (candidates, guint, c));
      guint        reasons = 0;
      double       score;

      if (strcmp (b->person->id, person->id) == 0)
        continue;
      score = _dft_entry_score (&entry, b, min_score, &reasons);
      if (score >= min_score && score > 0.0
          && !_dft_share_string (person->sessions, b->person->sessions))
        g_ptr_array_add (pairs, _dft_pair_new (person->id, b->person->id, score, reasons));
    }
  g_mutex_unlock (&self->lock);
  _dft_entry_clear (&entry);

  g_ptr_array_sort (pairs, _dft_compare_pairs);
  return g_steal_pointer (&pairs);
}

/* What makes two people two, when it is known of both. */
#define CONFLICTS                                                                                  \
  (DFT_DUPLICATE_REASON_GENDER_DIFFERS | DFT_DUPLICATE_REASON_AGENCY_DIFFERS                       \
   | DFT_DUPLICATE_REASON_COUNTRY_DIFFERS | DFT_DUPLICATE_REASON_PHONE_DIFFERS)

/* Whether the groups @a and @b (entry positions) may become one: not when two of their people
 * attended one session, nor when two of them score below @min_score with a field that says
 * they differ. Called with the lock held. */
static gboolean
_dft_duplicate_finder_may_merge (DftDuplicateFinder *self, GArray *a, GArray *b, double min_score)
{
  for (guint i = 0; i < a->len; i++)
    for (guint j = 0; j < b->len; j++)
      {
        const Entry *x = &g_array_index (self->entries, Entry, g_array_index (a, guint, i));
        const Entry *y = &g_array_index (self->entries, Entry, g_array_index (b, guint, j));
        guint        reasons = 0;
        double       score;

        if (_dft_share_string (x->person->sessions, y->person->sessions))
          return FALSE;
        score = _dft_entry_score (x, y, 0.0, &reasons);
        if (score < min_score && (reasons & CONFLICTS) != 0)
          return FALSE;
      }
  return TRUE;
}

static int
_dft_compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static int
_dft_compare_groups (gconstpointer a, gconstpointer b)
{
  const char *const *ga = *(const char *const *const *) a;
  const char *const *gb = *(const char *const *const *) b;

  return strcmp (ga[0], gb[0]);
}

GPtrArray *
dft_duplicate_finder_group (DftDuplicateFinder *self, GPtrArray *pairs, double min_score)
{
  /* position → the GArray of its group's positions, shared by all members */
  g_autoptr (GHashTable) group_of = g_hash_table_new (NULL, NULL);
  g_autoptr (GPtrArray)  all_groups
      = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  GPtrArray *out;

  g_return_val_if_fail (DFT_IS_DUPLICATE_FINDER (self), NULL);
  g_return_val_if_fail (pairs != NULL, NULL);

  g_mutex_lock (&self->lock);
  _dft_duplicate_finder_update_index (self);

  for (guint p = 0; p < pairs->len; p++)
    {
      DftDuplicatePair *pair = g_ptr_array_index (pairs, p);
      guint             ends[2];
      GArray           *groups[2];
      GArray           *into, *from;

      ends[0] = GPOINTER_TO_UINT (g_hash_table_lookup (self->positions, pair->id_a));
      ends[1] = GPOINTER_TO_UINT (g_hash_table_lookup (self->positions, pair->id_b));
      if (ends[0] == 0 || ends[1] == 0)
        continue;
      for (guint e = 0; e < 2; e++)
        {
          groups[e] = g_hash_table_lookup (group_of, GUINT_TO_POINTER (ends[e]));
          if (groups[e] == NULL)
            {
              guint position = ends[e] - 1;

              groups[e] = g_array_new (FALSE, FALSE, sizeof (guint));
              g_array_append_val (groups[e], position);
              g_ptr_array_add (all_groups, groups[e]);
              g_hash_table_insert (group_of, GUINT_TO_POINTER (ends[e]), groups[e]);
            }
        }
      if (groups[0] == groups[1]
          || !_dft_duplicate_finder_may_merge (self, groups[0], groups[1], min_score))
        continue;

      into = groups[0]->len >= groups[1]->len ? groups[0] : groups[1];
      from = into == groups[0] ? groups[1] : groups[0];
      for (guint i = 0; i < from->len; i++)
        {
          guint position = g_array_index (from, guint, i);

          g_array_append_val (into, position);
          g_hash_table_insert (group_of, GUINT_TO_POINTER (position + 1), into);
        }
      g_array_set_size (from, 0);
    }

  out = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  for (guint g = 0; g < all_groups->len; g++)
    {
      GArray *group = g_ptr_array_index (all_groups, g);
      char  **ids;

      if (group->len < 2)
        continue;
      ids = g_new0 (char *, group->len + 1);
      for (guint i = 0; i < group->len; i++)
        ids[i] = g_strdup (
            g_array_index (self->entries, Entry, g_array_index (group, guint, i)).person->id);
      qsort (ids, group->len, sizeof (char *), _dft_compare_strings);
      g_ptr_array_add (out, ids);
    }
  g_mutex_unlock (&self->lock);

  g_ptr_array_sort (out, _dft_compare_groups);
  return out;
}

/* ---- From a store ----------------------------------------------------------------------- */

DftDuplicateFinder *
dft_duplicate_finder_new_for_store (DftStore *store, GError **error)
{
  g_autoptr (GPtrArray) people = NULL;
  g_autoptr (GPtrArray) enrollments = NULL;
  g_autoptr (GPtrArray) attendance = NULL;
  g_autoptr (GPtrArray) input = NULL;
  DftDuplicateFinder   *self;

  g_return_val_if_fail (DFT_IS_STORE (store), NULL);

  people = dft_store_list_records (store, &dft_entity_person, NULL, NULL, 0, error);
  if (people == NULL)
    return NULL;
  enrollments = dft_store_list_records (store, &dft_entity_enrollment, NULL, NULL, 0, error);
  if (enrollments == NULL)
    return NULL;
  attendance = dft_store_list_records (store, &dft_entity_attendance, NULL, NULL, 0, error);
  if (attendance == NULL)
    return NULL;
  input = dft_duplicate_people_from_records (people, enrollments, attendance);
  self = dft_duplicate_finder_new ();
  for (guint i = 0; i < input->len; i++)
    dft_duplicate_finder_add (self, g_steal_pointer (&g_ptr_array_index (input, i)));
  return self;
}

static void
new_for_store_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError             *error = NULL;
  DftDuplicateFinder *finder = dft_duplicate_finder_new_for_store (source, &error);

  if (finder == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, finder, g_object_unref);
}

void
dft_duplicate_finder_new_for_store_async (DftStore           *store,
                                          GCancellable       *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (DFT_IS_STORE (store));

  task = g_task_new (store, cancellable, callback, user_data);
  g_task_set_source_tag (task, dft_duplicate_finder_new_for_store_async);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_run_in_thread (task, new_for_store_thread);
}

DftDuplicateFinder *
dft_duplicate_finder_new_for_store_finish (DftStore *store, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
dft_duplicate_pairs_drop_decided (DftStore *store, GPtrArray *pairs)
{
  g_return_if_fail (DFT_IS_STORE (store));
  g_return_if_fail (pairs != NULL);

  for (guint i = pairs->len; i-- > 0;)
    {
      DftDuplicatePair *pair = g_ptr_array_index (pairs, i);
      g_autofree char  *a = dft_store_survivor_of (store, pair->id_a);
      g_autofree char  *b = dft_store_survivor_of (store, pair->id_b);

      if (g_str_equal (a, b) || dft_store_is_distinct (store, pair->id_a, pair->id_b))
        g_ptr_array_remove_index (pairs, i);
    }
}
