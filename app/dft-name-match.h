/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Comparing people's names the way a coordinator would: across scripts, romanization styles,
 * name order and typos. Built on dft_search_key(), whose transliteration and phonetic folding
 * make "Айбек Садыков", "Aibek Sadykov" and "Aybek Sadikov" one key; this adds what matching
 * two whole names needs beyond a search as you type. All functions are thread-safe.
 */

/* How two names matched; several may hold at once. */
typedef enum
{
  DFT_NAME_MATCH_EQUAL = 1 << 0,        /* every word folds to the same key */
  DFT_NAME_MATCH_SIMILAR = 1 << 1,      /* some word only looks alike (a typo, a variant) */
  DFT_NAME_MATCH_SCRIPTS = 1 << 2,      /* the two were written in different scripts */
  DFT_NAME_MATCH_SWAPPED = 1 << 3,      /* the given name of one is the family name of the other */
  DFT_NAME_MATCH_MISSING_WORD = 1 << 4, /* one has a word the other lacks */
  DFT_NAME_MATCH_CONSONANTS = 1 << 5,   /* a word matched only by its consonants (Arabic script) */
} DftNameMatchFlags;

/*
 * @text folded for matching: dft_search_key() of it, then per word the spelling variants one
 * transliteration cannot make meet: ay/ai/ey/ei ("Hussein", "Hussain", "Husayn"), e/i and o/u
 * ("Sameer", "Samir"; "Noor", "Nur"), ck/k, ž/zh, a silent final h ("Fatimah", "Fatima"),
 * a y/i/j before a vowel at the start of a word ("Yuliya", "Julia"), and the letters Urdu
 * pronounces alike (ث ص س, ذ ض ظ ز, ط ت). Words are separated by single spaces.
 * Never %NULL; "" for a name with no letters.
 */
char *dft_name_match_fold (const char *text);

/*
 * The consonant skeleton of @folded_word, a word as dft_name_match_fold() returns it: its
 * vowels dropped, so that Arabic-script names, written without short vowels, meet their Latin
 * spellings (احمد and "Ahmed" both give "gmd"). "" for a word of vowels only.
 */
char *dft_name_match_skeleton (const char *folded_word);

/*
 * The Jaro-Winkler similarity of two byte strings, from 0 (nothing alike) to 1 (equal), with
 * the usual prefix scale of 0.1 over at most four letters. Two empty strings are equal.
 */
double dft_name_match_jaro_winkler (const char *a, const char *b);

/* One person's name, folded once and compared many times. */
typedef struct _DftNameKey DftNameKey;

/*
 * Folds a name given as its given and family name (either may be %NULL or empty, either may
 * hold several words). A name of more than DFT_NAME_KEY_MAX_WORDS words keeps its first ones.
 */
#define DFT_NAME_KEY_MAX_WORDS 6
DftNameKey *dft_name_key_new (const char *given_name, const char *family_name);
void        dft_name_key_free (DftNameKey *key);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftNameKey, dft_name_key_free)

/* How many words the name has; 0 for a person known only by a phone or an email. */
guint dft_name_key_get_n_words (const DftNameKey *key);

/*
 * How alike two names are, from 0 to 1. Words are paired up whatever field or order they were
 * typed in, each with the most similar word of the other name; the score is the mean
 * similarity of the pairs over the shorter name, so "Aibek" alone scores 1 against
 * "Aibek Sadykov" with DFT_NAME_MATCH_MISSING_WORD set (the caller decides what a missing
 * family name costs). A word similarity below 0.75 counts as no match at all. 0 when either
 * name has no words. @flags, if not %NULL, receives how the names matched.
 */
double dft_name_key_compare (const DftNameKey *a, const DftNameKey *b, DftNameMatchFlags *flags);

/*
 * Blocking keys: people who share one are compared, people who share none are not. A name's
 * keys come in three kinds, so that a finder never has to compare all pairs:
 *
 * - dft_name_key_get_blocking_keys(): indexed and looked up. For a name of several words, one
 *   for each ordered pair of words: the consonant skeleton of one with the first two
 *   consonants of the other, so that a typo in either word (after its first two consonants),
 *   or the order swapped, still leaves a key in common. For a one-word name, the skeleton of its
 * word.
 * - dft_name_key_get_word_keys(): only indexed. For a name of several words, one for each
 *   word, so that a person known by one word ("Aibek" on a sign-up sheet) finds them.
 * - dft_name_key_get_probe_keys(): only looked up; the counterpart of the word keys. A
 *   one-word name looks up the word keys of longer names, and a longer name looks up the
 *   blocking keys of one-word names, so each such pair is found from both sides.
 *
 * Each returns a %NULL-terminated array of distinct keys (empty for a name with no words);
 * free with g_strfreev().
 */
char **dft_name_key_get_blocking_keys (const DftNameKey *key);
char **dft_name_key_get_word_keys (const DftNameKey *key);
char **dft_name_key_get_probe_keys (const DftNameKey *key);

G_END_DECLS
