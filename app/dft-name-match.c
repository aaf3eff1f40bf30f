/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "dft-name-match.h"
#include "dft-search.h"

/* Below this similarity two words are not the same name at all: "Nurlan" and "Nurbek" score
 * 0.81 by Jaro-Winkler, "Aibek" and "Bakyt" 0.6. */
#define WORD_MATCH_MIN 0.75

/* A word matched only by its consonant skeleton is less sure than one spelled alike. */
#define SKELETON_WEIGHT 0.98

/* Blocking keys are made from this many words of a name at most: 4 words give 12 keys. */
#define BLOCKING_WORDS 4

/* How many consonants of the other word a blocking key takes. One would make the blocks of
 * common given names too large (every Aibek whose family name starts with an S); two still
 * let a typo after them through. */
#define BLOCKING_PREFIX 2

struct _DftNameKey
{
  guint    n_words;
  guint    n_given; /* the first n_given words come from the given name */
  char    *words[DFT_NAME_KEY_MAX_WORDS];
  char    *skeletons[DFT_NAME_KEY_MAX_WORDS];
  gboolean abjad[DFT_NAME_KEY_MAX_WORDS]; /* written in Arabic script, short vowels unwritten */
  GUnicodeScript script;                  /* of the first letter; COMMON when there is none */
};

/*
 * Letters replaced before transliteration. "ž" would become "z" through Latin-ASCII while its
 * other spellings "zh" and "j" fold to "j" (ISO 9 "Žyldyz" is "Zhyldyz"). Urdu pronounces
 * several Arabic letters alike and its speakers romanize them alike: ث, ص and س are all "s"
 * (عثمان is "Usman", not "Uthman"), ذ, ض, ظ and ز are all "z", ط and ت are "t". And ج is
 * always "j", but with no vowel written after it dft_search_key() would read its "j" as the
 * "y" of "Ajbek" (جمیل "jmyl" must stay "Jamil"), so it is given as "dzh", which folds to "j".
 */
static const struct
{
  const char *from;
  const char *to;
} raw_letters[] = {
  { "ž", "zh" }, { "ث", "س" }, { "ص", "س" }, { "ذ", "ز" },
  { "ض", "ز" },  { "ظ", "ز" }, { "ط", "ت" }, { "ج", "dzh" },
};

static gboolean
_dft_name_is_vowel (char c)
{
  return c != '\0' && strchr ("aeiou", c) != NULL;
}

static gboolean
_dft_name_is_abjad (const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      if (g_unichar_get_script (g_utf8_get_char (p)) == G_UNICODE_SCRIPT_ARABIC)
        return TRUE;
    }
  return FALSE;
}

/* @word lower-cased, with the letters of raw_letters[] replaced and a Latin final "h" after a
 * vowel dropped: "Fatimah" and "Fatima", "Hamzah" and "Hamza", "Shah" and شاہ (whose final
 * heh dft_search_key() reads as "a"). */
static char *
_dft_name_premap (const char *word)
{
  g_autofree char *lower = g_utf8_strdown (word, -1);
  GString         *out = g_string_new (NULL);
  gsize            len;

  for (const char *p = lower; *p != '\0';)
    {
      gboolean replaced = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (raw_letters); i++)
        {
          gsize from_len = strlen (raw_letters[i].from);

          if (strncmp (p, raw_letters[i].from, from_len) == 0)
            {
              g_string_append (out, raw_letters[i].to);
              p += from_len;
              replaced = TRUE;
              break;
            }
        }
      if (!replaced)
        {
          const char *next = g_utf8_next_char (p);

          g_string_append_len (out, p, next - p);
          p = next;
        }
    }

  len = out->len;
  if (len >= 3 && out->str[len - 1] == 'h' && _dft_name_is_vowel (out->str[len - 2]))
    g_string_truncate (out, len - 1);

  return g_string_free (out, FALSE);
}

/* Applies the spelling variants to one word of a search key, in place in @out. */
static void
_dft_name_append_variant (GString *out, const char *word)
{
  gsize start;

  if (out->len > 0)
    g_string_append_c (out, ' ');
  start = out->len;

  for (const char *p = word; *p != '\0'; p++)
    {
      /* "ay", "ai", "ey" and "ei" are one diphthong (y is already i in the key). */
      if (p[0] == 'e' && p[1] == 'i')
        {
          g_string_append (out, "ai");
          p++;
          continue;
        }
      if (p[0] == 'c' && p[1] == 'k')
        {
          g_string_append_c (out, 'k');
          p++;
          continue;
        }
      /* "Yuliya", "Iuliia" and "Julia": a y or i before a vowel starts like a j. */
      if (p == word && p[0] == 'i' && _dft_name_is_vowel (p[1]))
        {
          g_string_append_c (out, 'j');
          continue;
        }
      /* Vowel quality is what romanizations disagree on most: e/i, o/u. */
      if (*p == 'e')
        g_string_append_c (out, 'i');
      else if (*p == 'o')
        g_string_append_c (out, 'u');
      else
        g_string_append_c (out, *p);
    }

  /* The replacements above make new doubles ("ou" is "uu"); letters, not digits, collapse. */
  {
    gsize o = start;

    for (gsize i = start; i < out->len; i++)
      {
        char c = out->str[i];

        if (o > start && out->str[o - 1] == c && g_ascii_isalpha (c))
          continue;
        out->str[o++] = c;
      }
    g_string_truncate (out, o);
  }
}

/* Folds one word (or a piece of text without spaces) into @out, as one or more words. */
static void
_dft_name_fold_piece (GString *out, const char *piece)
{
  g_autofree char *premapped = _dft_name_premap (piece);
  g_autofree char *key = dft_search_key (premapped);
  g_auto (GStrv)   words = NULL;

  if (*key == '\0')
    return;
  words = g_strsplit (key, " ", -1);
  for (guint i = 0; words[i] != NULL; i++)
    _dft_name_append_variant (out, words[i]);
}

char *
dft_name_match_fold (const char *text)
{
  g_autofree char *valid = NULL;
  g_auto (GStrv)   pieces = NULL;
  GString         *out = g_string_new (NULL);

  g_return_val_if_fail (text != NULL, NULL);

  if (!g_utf8_validate (text, -1, NULL))
    text = valid = g_utf8_make_valid (text, -1);

  /* Word by word, so that a final "h" is seen at the end of each word. */
  pieces = g_strsplit_set (text, " \t\n\r", -1);
  for (guint i = 0; pieces[i] != NULL; i++)
    {
      if (*pieces[i] != '\0')
        _dft_name_fold_piece (out, pieces[i]);
    }

  return g_string_free (out, FALSE);
}

char *
dft_name_match_skeleton (const char *folded_word)
{
  GString *out;

  g_return_val_if_fail (folded_word != NULL, NULL);

  out = g_string_new (NULL);
  for (const char *p = folded_word; *p != '\0'; p++)
    {
      if (_dft_name_is_vowel (*p) || *p == ' ')
        continue;
      /* Dropping a vowel can bring two equal consonants together ("Sasa"). */
      if (out->len > 0 && out->str[out->len - 1] == *p)
        continue;
      g_string_append_c (out, *p);
    }

  return g_string_free (out, FALSE);
}

double
dft_name_match_jaro_winkler (const char *a, const char *b)
{
  gsize              la, lb, window, matches = 0, transpositions = 0, prefix = 0;
  guint8             a_stack[64], b_stack[64];
  g_autofree guint8 *a_heap = NULL;
  g_autofree guint8 *b_heap = NULL;
  guint8            *a_used, *b_used;
  double             jaro;

  g_return_val_if_fail (a != NULL && b != NULL, 0.0);

  la = strlen (a);
  lb = strlen (b);
  if (la == 0 && lb == 0)
    return 1.0;
  if (la == 0 || lb == 0)
    return 0.0;

  window = MAX (la, lb) / 2;
  window = window > 0 ? window - 1 : 0;
  /* Called for every candidate pair of a scan: names fit on the stack. */
  a_used = la <= sizeof a_stack ? memset (a_stack, 0, la) : (a_heap = g_new0 (guint8, la));
  b_used = lb <= sizeof b_stack ? memset (b_stack, 0, lb) : (b_heap = g_new0 (guint8, lb));

  for (gsize i = 0; i < la; i++)
    {
      gsize lo = i > window ? i - window : 0;
      gsize hi = MIN (i + window + 1, lb);

      for (gsize j = lo; j < hi; j++)
        {
          if (!b_used[j] && a[i] == b[j])
            {
              a_used[i] = b_used[j] = 1;
              matches++;
              break;
            }
        }
    }
  if (matches == 0)
    return 0.0;

  for (gsize i = 0, j = 0; i < la; i++)
    {
      if (!a_used[i])
        continue;
      while (!b_used[j])
        j++;
      if (a[i] != b[j])
        transpositions++;
      j++;
    }

  jaro = ((double) matches / la + (double) matches / lb
          + (double) (matches - transpositions / 2) / matches)
         / 3.0;

  while (prefix < 4 && prefix < la && prefix < lb && a[prefix] == b[prefix])
    prefix++;

  return jaro + prefix * 0.1 * (1.0 - jaro);
}

/* Adds the words of @text to @key, up to DFT_NAME_KEY_MAX_WORDS in all. */
static void
_dft_name_key_add (DftNameKey *key, const char *text)
{
  g_auto (GStrv) pieces = NULL;

  if (text == NULL || *text == '\0')
    return;

  if (!g_utf8_validate (text, -1, NULL))
    return;

  if (key->script == G_UNICODE_SCRIPT_COMMON)
    {
      for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
        {
          GUnicodeScript script = g_unichar_get_script (g_utf8_get_char (p));

          if (script != G_UNICODE_SCRIPT_COMMON && script != G_UNICODE_SCRIPT_INHERITED)
            {
              key->script = script;
              break;
            }
        }
    }

  pieces = g_strsplit_set (text, " \t\n\r", -1);
  for (guint i = 0; pieces[i] != NULL && key->n_words < DFT_NAME_KEY_MAX_WORDS; i++)
    {
      g_autoptr (GString) folded = g_string_new (NULL);
      g_auto (GStrv)      words = NULL;
      gboolean            abjad;

      if (*pieces[i] == '\0')
        continue;
      _dft_name_fold_piece (folded, pieces[i]);
      if (folded->len == 0)
        continue;
      abjad = _dft_name_is_abjad (pieces[i]);
      words = g_strsplit (folded->str, " ", -1);
      for (guint j = 0; words[j] != NULL && key->n_words < DFT_NAME_KEY_MAX_WORDS; j++)
        {
          key->words[key->n_words] = g_strdup (words[j]);
          key->skeletons[key->n_words] = dft_name_match_skeleton (words[j]);
          key->abjad[key->n_words] = abjad;
          key->n_words++;
        }
    }
}

DftNameKey *
dft_name_key_new (const char *given_name, const char *family_name)
{
  DftNameKey *key = g_new0 (DftNameKey, 1);

  key->script = G_UNICODE_SCRIPT_COMMON;
  _dft_name_key_add (key, given_name);
  key->n_given = key->n_words;
  _dft_name_key_add (key, family_name);

  return key;
}

void
dft_name_key_free (DftNameKey *key)
{
  if (key == NULL)
    return;

  for (guint i = 0; i < key->n_words; i++)
    {
      g_free (key->words[i]);
      g_free (key->skeletons[i]);
    }
  g_free (key);
}

guint
dft_name_key_get_n_words (const DftNameKey *key)
{
  g_return_val_if_fail (key != NULL, 0);

  return key->n_words;
}

/* How alike word @i of @a and word @j of @b are; sets *@consonants when only their skeletons
 * made them alike. */
static double
_dft_name_word_similarity (
    const DftNameKey *a, guint i, const DftNameKey *b, guint j, gboolean *consonants)
{
  double sim = dft_name_match_jaro_winkler (a->words[i], b->words[j]);

  *consonants = FALSE;
  if ((a->abjad[i] || b->abjad[j]) && sim < 1.0)
    {
      const char *sa = a->skeletons[i];
      const char *sb = b->skeletons[j];
      double      by_skeleton;

      if (*sa == '\0' || *sb == '\0')
        return sim;
      by_skeleton = SKELETON_WEIGHT * dft_name_match_jaro_winkler (sa, sb);
      if (by_skeleton > sim)
        {
          sim = by_skeleton;
          *consonants = TRUE;
        }
    }

  return sim;
}

double
dft_name_key_compare (const DftNameKey *a, const DftNameKey *b, DftNameMatchFlags *flags)
{
  double            sim[DFT_NAME_KEY_MAX_WORDS][DFT_NAME_KEY_MAX_WORDS];
  gboolean          by_skeleton[DFT_NAME_KEY_MAX_WORDS][DFT_NAME_KEY_MAX_WORDS];
  gboolean          a_done[DFT_NAME_KEY_MAX_WORDS] = { FALSE };
  gboolean          b_done[DFT_NAME_KEY_MAX_WORDS] = { FALSE };
  DftNameMatchFlags out = 0;
  guint             pairs;
  double            total = 0.0;
  gboolean          all_equal = TRUE;

  g_return_val_if_fail (a != NULL && b != NULL, 0.0);

  if (flags != NULL)
    *flags = 0;
  if (a->n_words == 0 || b->n_words == 0)
    return 0.0;

  for (guint i = 0; i < a->n_words; i++)
    for (guint j = 0; j < b->n_words; j++)
      sim[i][j] = _dft_name_word_similarity (a, i, b, j, &by_skeleton[i][j]);

  /* Pair the words greedily, the most similar first; names have a handful of words, and the
   * greedy pairing is the best one whenever each word has one clear partner. */
  pairs = MIN (a->n_words, b->n_words);
  for (guint n = 0; n < pairs; n++)
    {
      guint  bi = 0, bj = 0;
      double best = -1.0;

      for (guint i = 0; i < a->n_words; i++)
        for (guint j = 0; j < b->n_words; j++)
          if (!a_done[i] && !b_done[j] && sim[i][j] > best)
            {
              best = sim[i][j];
              bi = i;
              bj = j;
            }
      a_done[bi] = b_done[bj] = TRUE;

      if (best < WORD_MATCH_MIN)
        {
          all_equal = FALSE;
          continue;
        }
      total += best;
      if (strcmp (a->words[bi], b->words[bj]) != 0)
        {
          all_equal = FALSE;
          out |= by_skeleton[bi][bj] ? DFT_NAME_MATCH_CONSONANTS : DFT_NAME_MATCH_SIMILAR;
        }
      /* A given name paired with a family name, where both people have both. */
      if (a->n_given > 0 && a->n_given < a->n_words && b->n_given > 0 && b->n_given < b->n_words
          && (bi < a->n_given) != (bj < b->n_given))
        out |= DFT_NAME_MATCH_SWAPPED;
    }

  if (a->n_words != b->n_words)
    out |= DFT_NAME_MATCH_MISSING_WORD;
  if (all_equal)
    out |= DFT_NAME_MATCH_EQUAL;
  if (a->script != b->script && a->script != G_UNICODE_SCRIPT_COMMON
      && b->script != G_UNICODE_SCRIPT_COMMON)
    out |= DFT_NAME_MATCH_SCRIPTS;

  if (flags != NULL)
    *flags = out;
  return total / pairs;
}

/* The part of a blocking key that stands for a whole word: its skeleton, or the word itself
 * for a word of vowels only ("Ia", "Aia"). */
static const char *
_dft_name_word_core (const DftNameKey *key, guint i, gboolean *is_skeleton)
{
  *is_skeleton = key->skeletons[i][0] != '\0';
  return *is_skeleton ? key->skeletons[i] : key->words[i];
}

static void
_dft_name_add_unique (GPtrArray *keys, char *key)
{
  for (guint i = 0; i < keys->len; i++)
    {
      if (strcmp (g_ptr_array_index (keys, i), key) == 0)
        {
          g_free (key);
          return;
        }
    }
  g_ptr_array_add (keys, key);
}

/* The key of word @i for finding names of one word: @one_word_kind says whether it stands for
 * a one-word name ("1") or for one word of a longer name ("+"). */
static char *
_dft_name_word_key (const DftNameKey *key, guint i, gboolean one_word_kind)
{
  gboolean    is_skeleton;
  const char *core = _dft_name_word_core (key, i, &is_skeleton);

  return g_strconcat (one_word_kind ? "1" : "+", is_skeleton ? ":" : "=", core, NULL);
}

/* The keys of every word (at most BLOCKING_WORDS) of a name of several words. */
static char **
_dft_name_word_keys (const DftNameKey *key, gboolean one_word_kind)
{
  GPtrArray *keys = g_ptr_array_new ();

  if (key->n_words > 1)
    {
      for (guint i = 0; i < MIN (key->n_words, BLOCKING_WORDS); i++)
        _dft_name_add_unique (keys, _dft_name_word_key (key, i, one_word_kind));
    }

  g_ptr_array_add (keys, NULL);
  return (char **) g_ptr_array_free (keys, FALSE);
}

char **
dft_name_key_get_blocking_keys (const DftNameKey *key)
{
  GPtrArray *keys;
  guint      n;

  g_return_val_if_fail (key != NULL, NULL);

  keys = g_ptr_array_new ();
  n = MIN (key->n_words, BLOCKING_WORDS);
  if (n == 1)
    g_ptr_array_add (keys, _dft_name_word_key (key, 0, TRUE));

  for (guint i = 0; i < n; i++)
    for (guint j = 0; j < n; j++)
      {
        gboolean    core_skeleton, first_skeleton;
        const char *core, *first;

        if (i == j)
          continue;
        core = _dft_name_word_core (key, j, &core_skeleton);
        first = _dft_name_word_core (key, i, &first_skeleton);
        _dft_name_add_unique (keys, g_strdup_printf ("n%c%s/%.*s", core_skeleton ? ':' : '=', core,
                                                     BLOCKING_PREFIX, first));
      }

  g_ptr_array_add (keys, NULL);
  return (char **) g_ptr_array_free (keys, FALSE);
}

char **
dft_name_key_get_word_keys (const DftNameKey *key)
{
  g_return_val_if_fail (key != NULL, NULL);

  return _dft_name_word_keys (key, FALSE);
}

char **
dft_name_key_get_probe_keys (const DftNameKey *key)
{
  GPtrArray *keys;

  g_return_val_if_fail (key != NULL, NULL);

  if (key->n_words > 1)
    return _dft_name_word_keys (key, TRUE);

  keys = g_ptr_array_new ();
  if (key->n_words == 1)
    g_ptr_array_add (keys, _dft_name_word_key (key, 0, FALSE));
  g_ptr_array_add (keys, NULL);
  return (char **) g_ptr_array_free (keys, FALSE);
}
