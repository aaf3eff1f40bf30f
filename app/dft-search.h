/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib.h>
#include <unicode/utrans.h>

G_BEGIN_DECLS

/**
 * dft_search_key:
 * @text: a name or any other text to index, in any script
 *
 * Folds @text into a search key: every word is transliterated to Latin,
 * stripped of diacritics, lower-cased and passed through a small phonetic
 * folding so that the usual romanizations of one name meet ("Айбек",
 * "Aibek", "Aybek" and "Ajbek" all become "aibek").
 *
 * The key is only meant to be compared with the terms returned by
 * dft_search_query_terms(); it is not a readable spelling of the name.
 *
 * Returns: (transfer full): a newly allocated, ASCII-only, lower-case key made
 *   of the folded words of @text separated by single spaces (e.g.
 *   "Айбек Токтогулов" gives "aibek toktogulov"), or "" for empty or
 *   unprintable input. Never %NULL for non-%NULL input; invalid UTF-8 is
 *   repaired first. Thread-safe.
 */
char *dft_search_key (const char *text);

/**
 * dft_search_query_terms:
 * @query: what the user typed in a search entry
 *
 * Applies the folding of dft_search_key() to @query and splits the result
 * into words. A record matches when every term is a prefix of some word of
 * its key.
 *
 * The last word, unless a space follows it, is taken to be still being
 * typed: a final letter that may start a longer letter group is left out
 * ("Nurlan K" gives "nurlan", as "K" may become "Kh"), so that a person
 * shown after one keystroke is not hidden by the next. A query made of
 * such a letter alone keeps it ("K" gives "k").
 *
 * Returns: (transfer full) (array zero-terminated=1): the folded words of
 *   @query, an empty array if there are none; free with g_strfreev().
 *   Thread-safe.
 */
char **dft_search_query_terms (const char *query);

/*
 * Opens the transliterator dft_search_key() uses, which takes 20-40 ms once a process: a
 * server does it at start rather than in its first push, while every push waits.
 */
void dft_search_prepare (void);

/*
 * @text folded for comparing it with a list of words, in its own script: compatibility-
 * normalised (NFKC), case-folded, white space (and invisible marks) trimmed and collapsed
 * to single spaces, dots at the end dropped ("Жен." is "жен"). Never NULL for valid UTF-8.
 */
char *dft_search_fold_words (const char *text);

/*
 * @text through @translit (NULL: none), under @lock when one is given (a UTransliterator may
 * not be used from two threads at once): the result, or NULL when ICU failed.
 */
char *dft_search_transliterate_with (UTransliterator *translit, GMutex *lock, const char *text);

G_END_DECLS
