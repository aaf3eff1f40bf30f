/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "dft-search.h"

#include <string.h>

#include <unicode/ustring.h>
#include <unicode/utrans.h>

/*
 * Building a search key takes two steps.
 *
 * 1. ICU transliterates the text to plain ASCII. Names are lower-cased
 *    first, so that Georgian written in capitals (Mtavruli) becomes ordinary
 *    Mkhedruli that Any-Latin knows. Cyrillic goes through
 *    Russian-Latin/BGN rather than Any-Latin, because Any-Latin follows
 *    ISO 9 ("Ajbek", "Žyldyz", "Ûliâ"), which after Latin-ASCII loses the
 *    "y" of Юлия and Яна; BGN gives "Aybek", "Zhyldyz", "Yuliya", which is
 *    how people actually type these names. BGN leaves Kyrgyz, Kazakh and
 *    Tajik letters (ү, ө, ң, қ, ә, ...) alone and Any-Latin does not know
 *    all of them either, so they get explicit rules. Ukrainian letters
 *    (і, ї, є, ґ) are left to Any-Latin, which handles them well enough
 *    once the phonetic folding below has run.
 *
 *    Urdu writes several letters with code points of its own (ہ, ی, ک, ...)
 *    that Arabic-Latin does not know, so they are mapped to their Arabic
 *    counterparts first. A word-final heh or ta marbuta is almost always the
 *    vowel "a" in names (فاطمہ Fatma, عائشہ Aisha), and waw after a
 *    consonant is almost always the long vowel "u" (نور Nur, یوسف Yusuf).
 *    Short vowels are simply not written in Arabic script, so احمد can only
 *    become "ahmd"; see the tests for what that means for searching.
 *
 * 2. A small phonetic folding on the ASCII words (_dft_search_append_word())
 *    makes the common romanizations meet. It runs on keys and queries alike.
 */
static const char transliteration_rules[]
    = ":: NFKC ;\n"
      ":: Lower ;\n"
      /* Urdu letters to their Arabic equivalents; ھ only marks aspiration. */
      "ہ > ه ; ۂ > ه ; ۃ > ة ; ی > ي ; ى > ي ; ے > ي ; ۓ > ي ; ک > ك ;\n"
      "ٹ > ت ; ڈ > د ; ڑ > ر ; ں > ن ; ھ > h ;\n"
      ":: Null ;\n"
      "[هة] } [:^L:] > a ;\n"
      "[هة] } $ > a ;\n"
      "[[:Arabic:]&[:L:]-[ا]] { و > u ;\n"
      /* Kyrgyz, Kazakh, Tajik and Azerbaijani letters BGN Russian ignores. */
      "ү > u ; ө > o ; ң > ng ; ұ > u ; қ > k ; ә > a ; һ > h ; ҳ > h ;\n"
      "ҷ > j ; ӣ > i ; ӯ > u ; ə > a ;\n"
      ":: Russian-Latin/BGN ;\n"
      ":: Any-Latin ;\n"
      ":: Latin-ASCII ;\n";

/* One shared transliterator: opening it parses the rules of every script
 * involved and takes 15-30 ms, while a UTransliterator may not be used
 * from two threads at once. */
static GMutex translit_lock;

static UTransliterator *
_dft_search_get_transliterator (void)
{
  static UTransliterator *translit = NULL;
  static gsize            initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      UErrorCode  status = U_ZERO_ERROR;
      UParseError parse_error = { 0 };
      UChar       rules[G_N_ELEMENTS (transliteration_rules)];
      int32_t     rules_len = 0;

      u_strFromUTF8 (rules, G_N_ELEMENTS (rules), &rules_len, transliteration_rules, -1, &status);
      if (U_SUCCESS (status))
        translit = utrans_openU (u"x-daftari-search", -1, UTRANS_FORWARD, rules, rules_len,
                                 &parse_error, &status);

      /* Without ICU data search still works for Latin names through the
       * g_str_to_ascii() fallback, so this is not fatal, but it is a
       * packaging bug worth hearing about. */
      if (U_FAILURE (status))
        {
          g_critical ("Cannot open the search transliterator: %s (rule line %d, offset %d)",
                      u_errorName (status), parse_error.line, parse_error.offset);
          translit = NULL;
        }

      g_once_init_leave (&initialized, 1);
    }

  return translit;
}

void
dft_search_prepare (void)
{
  _dft_search_get_transliterator ();
}

char *
dft_search_transliterate_with (UTransliterator *translit, GMutex *lock, const char *text)
{
  UErrorCode        status = U_ZERO_ERROR;
  g_autofree UChar *source = NULL;
  g_autofree UChar *buffer = NULL;
  g_autofree char  *result = NULL;
  gsize             text_len = strlen (text);
  int32_t           source_len = 0;
  int32_t           capacity;
  int32_t           len;
  int32_t           limit;

  /* The size computations below must not overflow int32_t; nobody's name
   * is anywhere near this long. */
  if (translit == NULL || text_len > G_MAXINT32 / 16)
    return NULL;

  /* UTF-16 never needs more code units than UTF-8 needs bytes. */
  source = g_new (UChar, text_len + 1);
  u_strFromUTF8 (source, text_len + 1, &source_len, text, text_len, &status);
  if (U_FAILURE (status))
    return NULL;

  /* Transliteration makes text longer ("щ" becomes "shch", one Arabic
   * ligature a whole phrase). ICU reports the length it needed when the
   * buffer was too small, having possibly written over it, so retry from the
   * source with exactly that room. */
  capacity = source_len * 4 + 16;
  for (;;)
    {
      buffer = g_renew (UChar, buffer, capacity);
      memcpy (buffer, source, source_len * sizeof (UChar));
      len = source_len;
      limit = source_len;
      status = U_ZERO_ERROR;

      if (lock != NULL)
        g_mutex_lock (lock);
      utrans_transUChars (translit, buffer, &len, capacity, 0, &limit, &status);
      if (lock != NULL)
        g_mutex_unlock (lock);

      if (status == U_BUFFER_OVERFLOW_ERROR && len > capacity)
        capacity = len;
      else
        break;
    }

  if (U_FAILURE (status))
    return NULL;

  /* A UTF-16 code unit never takes more than three UTF-8 bytes. */
  result = g_malloc ((gsize) len * 3 + 1);
  status = U_ZERO_ERROR;
  u_strToUTF8 (result, len * 3 + 1, NULL, buffer, len, &status);
  if (U_FAILURE (status))
    return NULL;

  return g_steal_pointer (&result);
}

/* Returns the ASCII transliteration of @text, or %NULL if ICU failed. */
static char *
_dft_search_transliterate (const char *text)
{
  return dft_search_transliterate_with (_dft_search_get_transliterator (), &translit_lock, text);
}

static gboolean
_dft_search_is_ascii (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    {
      if ((guchar) *p >= 0x80)
        return FALSE;
    }

  return TRUE;
}

/* Characters that sit inside a word without separating it: apostrophes and
 * soft/hard signs (BGN writes ь as ʹ and Ukrainian ʼ as "), the middle dot
 * BGN puts in "t·s" so it is not read as ц, combining marks, and joiners
 * such as the ZWNJ of Persian and Urdu. Letters that no transliterator
 * knew are dropped here as well: a key must stay ASCII, and losing a letter
 * hurts less than splitting a name in two. */
static gboolean
_dft_search_is_joiner (gunichar c)
{
  if (c < 0x80)
    return c == '\'' || c == '"' || c == '`';

  if (c == 0x00B7)
    return TRUE;

  switch ((int) g_unichar_type (c))
    {
    case G_UNICODE_LOWERCASE_LETTER:
    case G_UNICODE_MODIFIER_LETTER:
    case G_UNICODE_OTHER_LETTER:
    case G_UNICODE_TITLECASE_LETTER:
    case G_UNICODE_UPPERCASE_LETTER:
    case G_UNICODE_MODIFIER_SYMBOL:
    case G_UNICODE_SPACING_MARK:
    case G_UNICODE_ENCLOSING_MARK:
    case G_UNICODE_NON_SPACING_MARK:
    case G_UNICODE_FORMAT:
    case G_UNICODE_INITIAL_PUNCTUATION:
    case G_UNICODE_FINAL_PUNCTUATION:
      return TRUE;

    default:
      return FALSE;
    }
}

static gboolean
_dft_search_is_vowel (char c)
{
  return c != '\0' && strchr ("aeiouy", c) != NULL;
}

/*
 * Letter groups that different romanizations spell differently, tried in
 * this order (longest first) at every position of a word. Each was chosen
 * from real pairs of spellings:
 *
 *  - shch/sch/sh → s, ch/tch/tsh/tsch → c: BGN and English write Шевченко
 *    "Shevchenko", Latin-ASCII turns Czech/Turkish "Ševčenko", "Çelik" into
 *    "Sevcenko", "Celik", and German writes "Sch". That "Sasha" and "Sasa"
 *    then meet is the price for finding "Sevcenko" and "Shevchenko" alike.
 *  - zh/dzh/dj → j: Kyrgyz names are written both ways, "Zhyldyz" and
 *    "Jyldyz", "Zhumabekova" and "Jumabekova"; Джамшид is "Dzhamshid" or
 *    "Jamshid". A "j" that is not followed by a vowel is a "y" in
 *    disguise, see below.
 *  - ts/tz → c: Цой is "Tsoy", Georgian ც is "ts", German writes "tz",
 *    Polish and Czech write "c".
 *  - kh → g, gh → g, and every other h → g: Ukrainian г is "h" (Сергій
 *    "Serhii", Ольга "Olha", Григоренко "Hryhorenko") where Russian
 *    spells the same letter "g"; Russian also writes foreign h as г or х
 *    (Гасан, Хасан for Hasan). A name typed in Cyrillic can't say whether
 *    it is Russian or Ukrainian, so only merging g, h and kh lets
 *    "Серг" find "Serhii" while typing. It is the widest merge here; it
 *    makes "Gul" and "Hul" collide, which a registration desk can live with.
 *  - ph → f, th → t: older Georgian romanizations ("Thamar") and Greek-born
 *    names ("Sophia" and Софія "Sofiia").
 *  - ye → e: BGN writes е as "ye" after vowels and at the start of words
 *    (Исаева "Isayeva", Елена "Yelena") and Ukrainian passports write
 *    Євген "Yevhen", while people just as often write "Isaeva", "Elena",
 *    "Evgen".
 *  - y → i, and j → i when no vowel follows: "Aibek", "Aybek", "Ajbek";
 *    "Iryna", "Irina"; "Andrii", "Andriy", "Andrij".
 *  - w → v, q → k, x → ks: Cyrillic and Georgian have no w, q or x, so
 *    "William", "Qasym", "Alexandr" come back as в, к, кс.
 *
 * Finally doubled letters collapse ("Anna" and "Ana", "Andrii" and "Andri",
 * "Nataliia" and "Natalia").
 */
static const struct
{
  const char *from;
  const char *to;
} letter_groups[] = {
  { "shch", "s" }, { "tsch", "c" }, { "dzh", "j" }, { "sch", "s" }, { "tsh", "c" }, { "tch", "c" },
  { "sh", "s" },   { "ch", "c" },   { "zh", "j" },  { "dj", "j" },  { "kh", "g" },  { "gh", "g" },
  { "ph", "f" },   { "th", "t" },   { "ts", "c" },  { "tz", "c" },  { "ye", "e" },
};

/* Appends the folded form of the first @limit letters of @word (lower-case
 * ASCII letters and digits) to @key, preceded by a space unless it is the
 * first word. The letters after @limit still decide how the ones before
 * them fold: the "j" of "Wanj|iru" stays "j" because a vowel follows. */
static void
_dft_search_append_word (GString *key, const char *word, gsize limit)
{
  const char *p = word;
  const char *end = word + limit;
  gsize       start;
  gsize       out;

  g_assert (key != NULL);
  g_assert (word != NULL);
  g_assert (limit <= strlen (word));

  if (limit == 0)
    return;

  if (key->len > 0)
    g_string_append_c (key, ' ');
  start = key->len;

  while (p < end)
    {
      const char *group_to = NULL;
      gsize       group_len = 0;

      for (guint i = 0; i < G_N_ELEMENTS (letter_groups); i++)
        {
          group_len = strlen (letter_groups[i].from);
          if (strncmp (p, letter_groups[i].from, group_len) == 0)
            {
              group_to = letter_groups[i].to;
              break;
            }
        }

      if (group_to != NULL)
        {
          /* A group running past @limit is not finished yet. */
          if (p + group_len > end)
            break;

          g_string_append (key, group_to);
          p += group_len;
          continue;
        }

      switch (*p)
        {
        case 'h':
          g_string_append_c (key, 'g');
          break;

        case 'w':
          g_string_append_c (key, 'v');
          break;

        case 'q':
          g_string_append_c (key, 'k');
          break;

        case 'x':
          g_string_append (key, "ks");
          break;

        case 'y':
          g_string_append_c (key, 'i');
          break;

        case 'j':
          g_string_append_c (key, _dft_search_is_vowel (p[1]) ? 'j' : 'i');
          break;

        default:
          g_string_append_c (key, *p);
          break;
        }

      p++;
    }

  /* Digits keep their doubles: "1100" is not "10". */
  out = start;
  for (gsize in = start; in < key->len; in++)
    {
      char c = key->str[in];

      if (out > start && key->str[out - 1] == c && g_ascii_isalpha (c))
        continue;
      key->str[out++] = c;
    }
  g_string_truncate (key, out);

  /* Everything was cut away: do not leave a trailing separator behind. */
  if (out == start && start > 0)
    g_string_truncate (key, start - 1);
}

/*
 * A query is searched while it is being typed, so its last word may stop in
 * the middle of a letter group: "K" may become "Kh" (folded to "g"), "Wanj"
 * may become "Wanji" (where j stays j, not i), "Isay" may become "Isaye"
 * (where "ye" folds to "e"). Folding such a tail as it stands would hide the
 * person being typed for one keystroke and show them again on the next.
 * Dropping it instead only widens the result until the letter group is
 * complete. Each entry is a raw ending and how many of its letters to drop;
 * what is left must fold to a prefix of every possible continuation, which
 * test-search.c checks exhaustively over short words.
 */
static const struct
{
  const char *tail;
  guint       drop;
} open_tails[] = {
  { "shc", 1 }, { "sc", 1 }, { "dj", 2 }, { "dz", 2 }, { "tc", 2 }, { "tz", 2 }, { "d", 1 },
  { "j", 1 },   { "k", 1 },  { "p", 1 },  { "t", 1 },  { "y", 1 },  { "z", 1 },
};

static gboolean
_dft_search_is_heh (gunichar c)
{
  /* ه, ة, ہ, ۃ: the letters the rules above read as a final "a". */
  return c == 0x0647 || c == 0x0629 || c == 0x06C1 || c == 0x06C3;
}

/* Returns how many letters of @word, the last word of a query, can be
 * folded without guessing how the user will go on typing. */
static gsize
_dft_search_open_tail_limit (const GString *word, gunichar last_typed)
{
  g_assert (word != NULL);

  /* A heh typed last reads as a final "a" but may be followed by more
   * letters (مه of مهدی is "m", not "ma"). */
  if (_dft_search_is_heh (last_typed))
    return word->len > 0 && word->str[word->len - 1] == 'a' ? word->len - 1 : word->len;

  for (guint i = 0; i < G_N_ELEMENTS (open_tails); i++)
    {
      if (g_str_has_suffix (word->str, open_tails[i].tail))
        return word->len - open_tails[i].drop;
    }

  return word->len;
}

/* Folds @text into a key. With @open_tail, @text is a query whose last word
 * may still be being typed. */
static char *
_dft_search_fold (const char *text, gboolean open_tail)
{
  g_autofree char    *valid = NULL;
  g_autofree char    *ascii = NULL;
  g_autoptr (GString) key = g_string_new (NULL);
  g_autoptr (GString) word = g_string_new (NULL);
  gunichar            last_typed = 0;

  g_assert (text != NULL);

  if (!g_utf8_validate (text, -1, NULL))
    text = valid = g_utf8_make_valid (text, -1);

  if (*text != '\0')
    last_typed = g_utf8_get_char (g_utf8_prev_char (text + strlen (text)));

  /* Most queries and many names are typed in plain ASCII, for which the
   * whole ICU chain is the identity apart from case; skipping it keeps
   * every keystroke cheap. */
  if (!_dft_search_is_ascii (text))
    {
      ascii = _dft_search_transliterate (text);
      if (ascii == NULL)
        ascii = g_str_to_ascii (text, "C");
      text = ascii;
    }

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c < 0x80 && g_ascii_isalnum (c))
        {
          g_string_append_c (word, g_ascii_tolower (c));
        }
      else if (!_dft_search_is_joiner (c))
        {
          _dft_search_append_word (key, word->str, word->len);
          g_string_truncate (word, 0);
        }
    }

  /* A word still open at the end of the text was cut by the end of input,
   * not by a separator. */
  _dft_search_append_word (key, word->str,
                           open_tail ? _dft_search_open_tail_limit (word, last_typed) : word->len);

  return g_string_free (g_steal_pointer (&key), FALSE);
}

char *
dft_search_key (const char *text)
{
  g_return_val_if_fail (text != NULL, NULL);

  return _dft_search_fold (text, FALSE);
}

char **
dft_search_query_terms (const char *query)
{
  g_autofree char *folded = NULL;

  g_return_val_if_fail (query != NULL, NULL);

  folded = _dft_search_fold (query, TRUE);

  /* A single ambiguous letter ("K", "Dz") would leave no term at all and
   * match either everyone or no one; its plain folding is more useful. No
   * earlier keystroke had shown anyone, so nobody can disappear. */
  if (*folded == '\0')
    {
      g_free (folded);
      folded = _dft_search_fold (query, FALSE);
    }

  /* The folded text has single spaces and no leading or trailing ones, so
   * the only empty piece g_strsplit() could produce is for "". */
  if (*folded == '\0')
    return g_new0 (char *, 1);

  return g_strsplit (folded, " ", -1);
}

char *
dft_search_fold_words (const char *text)
{
  g_autofree char *nfkc = g_utf8_normalize (text, -1, G_NORMALIZE_NFKC);
  g_autofree char *folded = NULL;
  GString         *key;
  gboolean         space = FALSE;

  if (nfkc == NULL)
    return g_strdup ("");
  folded = g_utf8_casefold (nfkc, -1);
  key = g_string_new (NULL);
  for (const char *p = folded; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      /* A byte order mark or a zero-width space left inside a cell is as invisible as a
       * space. */
      if (g_unichar_isspace (c) || c == 0xFEFF || c == 0x200B)
        {
          space = key->len > 0;
          continue;
        }
      if (space)
        g_string_append_c (key, ' ');
      space = FALSE;
      g_string_append_unichar (key, c);
    }
  /* "Жен." and "M." are abbreviations, not different answers. */
  while (key->len > 0 && key->str[key->len - 1] == '.')
    g_string_truncate (key, key->len - 1);
  return g_string_free (key, FALSE);
}
