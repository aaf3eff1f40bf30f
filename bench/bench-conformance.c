/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>
#include <string.h>

#include "dft-form-corpus.h"
#include "forms/dft-form-private.h"
#include "forms/dft-form.h"

/*
 * Form conformance (issue 18): imports every XForm and XLSForm of the form corpora
 * (../shared/corpora, see its README.md) with Daftari's own importers, as a user's "open form"
 * does (dft_form_new_from_file(), which also prepares the form), and prints per folder how
 * many forms loaded clean, loaded with warnings and were refused; the refusals and the
 * warnings grouped by reason (the message with its names, numbers and paths taken out); and
 * apart, the forms broken on purpose (the "negative" folders and the files their own project
 * refuses), which should all be refused. With --verbose, also the warnings by reason, the
 * questions left out by type, and each refused form that should load with its message, for a
 * developer to work through. It exits 1 when a form broken on purpose loads.
 *
 *   bench-conformance [--markdown] [--verbose] [CORPORA]
 *
 * CORPORA defaults to $DAFTARI_SHARED/corpora, then to the shared folder beside the source
 * tree. Nothing here is hard-coded but which files are broken on purpose.
 */

typedef struct
{
  guint clean;
  guint warned;
  guint refused;
} Count;

typedef struct
{
  GHashTable *forms; /* relative path set */
  guint       times;
} Reason;

static gboolean markdown;
static gboolean verbose;

static GHashTable *folders;          /* folder → Count *, forms that should load */
static GHashTable *negative_folders; /* folder → Count *, forms that should be refused */
static GHashTable *refusals;         /* reason → Reason * */
static GHashTable *warnings;         /* reason → Reason * */
static GHashTable *left_out;         /* unsupported_type → Reason *, questions of loaded forms */
static GPtrArray  *refused_forms;    /* "path: message", forms that should load */
static GPtrArray  *wrongly_loaded;   /* forms broken on purpose that loaded */

static void
reason_free (gpointer data)
{
  Reason *r = data;

  g_hash_table_unref (r->forms);
  g_free (r);
}

static const char *
error_code_name (const GError *error)
{
  if (error->domain != DFT_FORM_ERROR)
    return "other";
  switch ((DftFormError) error->code)
    {
    case DFT_FORM_ERROR_PARSE:
      return "parse";
    case DFT_FORM_ERROR_INVALID:
      return "invalid";
    case DFT_FORM_ERROR_UNSUPPORTED:
      return "unsupported";
    case DFT_FORM_ERROR_EXPRESSION:
      return "expression";
    case DFT_FORM_ERROR_CYCLE:
      return "cycle";
    default:
      return "other";
    }
}

/* A message with what names one form's case taken out, so that alike problems group: quoted
 * names become “…”, numbers N, paths /…. */
static char *
reason_of (const char *message)
{
  GString *out = g_string_new (NULL);

  for (const char *p = message; *p != '\0';)
    {
      if (g_str_has_prefix (p, "“"))
        {
          const char *end = strstr (p + strlen ("“"), "”");

          if (end != NULL)
            {
              g_string_append (out, "“…”");
              p = end + strlen ("”");
              continue;
            }
        }
      if (g_ascii_isdigit (*p))
        {
          g_string_append_c (out, 'N');
          while (g_ascii_isdigit (*p) || (*p == '.' && g_ascii_isdigit (p[1])))
            p++;
          continue;
        }
      if (*p == '/' && (p == message || p[-1] == ' ' || p[-1] == '(') && p[1] != '\0'
          && p[1] != ' ')
        {
          g_string_append (out, "/…");
          while (*p != '\0' && *p != ' ' && *p != ',' && *p != ')'
                 && !(*p == '.' && (p[1] == '\0' || p[1] == ' ')))
            p++;
          continue;
        }
      g_string_append_c (out, *p++);
    }
  return g_string_free (out, FALSE);
}

static void
note_reason (GHashTable *table, const char *reason, const char *relative)
{
  Reason *r = g_hash_table_lookup (table, reason);

  if (r == NULL)
    {
      r = g_new0 (Reason, 1);
      r->forms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_hash_table_insert (table, g_strdup (reason), r);
    }
  g_hash_table_add (r->forms, g_strdup (relative));
  r->times++;
}

static Count *
count_for (GHashTable *table, const char *folder)
{
  Count *count = g_hash_table_lookup (table, folder);

  if (count == NULL)
    {
      count = g_new0 (Count, 1);
      g_hash_table_insert (table, g_strdup (folder), count);
    }
  return count;
}

static void
note_left_out (DftQuestion *q, gpointer relative)
{
  if (q->type == DFT_QUESTION_UNSUPPORTED)
    note_reason (left_out, q->unsupported_type != NULL ? q->unsupported_type : "?", relative);
}

static void
import_one (const char *corpora, const char *relative)
{
  g_autofree char    *path = g_build_filename (corpora, relative, NULL);
  g_autofree char    *folder = g_path_get_dirname (relative);
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = dft_form_new_from_file (path, &error);
  gboolean            should_refuse = dft_form_corpus_is_negative (relative)
                           || dft_form_corpus_expected_refusal (relative) != NULL;
  Count *count = count_for (should_refuse ? negative_folders : folders, folder);

  if (form == NULL)
    {
      g_autofree char *stripped = reason_of (error->message);
      g_autofree char *reason = g_strdup_printf ("%s: %s", error_code_name (error), stripped);

      count->refused++;
      if (!should_refuse)
        {
          note_reason (refusals, reason, relative);
          g_ptr_array_add (refused_forms, g_strdup_printf ("%s: %s", relative, error->message));
        }
      return;
    }
  if (should_refuse)
    g_ptr_array_add (wrongly_loaded, g_strdup (relative));
  else
    dft_form_foreach (form, note_left_out, (gpointer) relative);
  if (form->warnings->len == 0)
    {
      count->clean++;
      return;
    }
  count->warned++;
  if (should_refuse)
    return;
  for (guint i = 0; i < form->warnings->len; i++)
    {
      DftFormWarning  *w = g_ptr_array_index (form->warnings, i);
      g_autofree char *reason = reason_of (w->message);

      note_reason (warnings, reason, relative);
    }
}

/* ---- Printing --------------------------------------------------------- */

static void
heading (const char *text)
{
  if (markdown)
    g_print ("\n**%s**\n\n", text);
  else
    g_print ("\n%s\n", text);
}

/* A table row of @n cells; the first is text, the others numbers. */
static void
row (const char *const *cells, guint n, gboolean header)
{
  if (markdown)
    {
      GString *line = g_string_new ("|");

      for (guint i = 0; i < n; i++)
        {
          g_auto (GStrv)   parts = g_strsplit (cells[i], "|", -1);
          g_autofree char *escaped = g_strjoinv ("\\|", parts);

          g_string_append_printf (line, " %s |", escaped);
        }
      g_print ("%s\n", line->str);
      if (header)
        {
          g_string_assign (line, "|");
          for (guint i = 0; i < n; i++)
            g_string_append (line, i == 0 ? " --- |" : " ---: |");
          g_print ("%s\n", line->str);
        }
      g_string_free (line, TRUE);
      return;
    }
  g_print ("%-48s", cells[0]);
  for (guint i = 1; i < n; i++)
    g_print (" %8s", cells[i]);
  g_print ("\n");
}

static void
print_folders (GHashTable *table, gboolean should_refuse)
{
  g_autoptr (GPtrArray) keys = _dft_form_sorted_keys (table);
  Count                 all = { 0 };

  if (should_refuse)
    row ((const char *const[]){ "folder", "forms", "refused", "loaded" }, 4, TRUE);
  else
    row ((const char *const[]){ "folder", "forms", "clean", "warnings", "refused" }, 5, TRUE);
  for (guint i = 0; i <= keys->len; i++)
    {
      Count           *c = i < keys->len ? g_hash_table_lookup (table, keys->pdata[i]) : &all;
      const char      *name = i < keys->len ? keys->pdata[i] : markdown ? "**all**" : "all";
      g_autofree char *forms = g_strdup_printf ("%u", c->clean + c->warned + c->refused);
      g_autofree char *clean = g_strdup_printf ("%u", c->clean);
      g_autofree char *warned = g_strdup_printf ("%u", c->warned);
      g_autofree char *refused = g_strdup_printf ("%u", c->refused);
      g_autofree char *loaded = g_strdup_printf ("%u", c->clean + c->warned);

      if (should_refuse)
        row ((const char *const[]){ name, forms, refused, loaded }, 4, FALSE);
      else
        row ((const char *const[]){ name, forms, clean, warned, refused }, 5, FALSE);
      all.clean += c->clean;
      all.warned += c->warned;
      all.refused += c->refused;
    }
}

/* Most forms first, then by reason. */
static GHashTable *sorting_table;

static int
compare_reasons (gconstpointer a, gconstpointer b)
{
  const char *ka = *(const char *const *) a;
  const char *kb = *(const char *const *) b;
  Reason     *ra = g_hash_table_lookup (sorting_table, ka);
  Reason     *rb = g_hash_table_lookup (sorting_table, kb);
  guint       na = g_hash_table_size (ra->forms);
  guint       nb = g_hash_table_size (rb->forms);

  if (na != nb)
    return na > nb ? -1 : 1;
  return strcmp (ka, kb);
}

/* @what names the first column ("reason"); @times, when not NULL, a column of how many times
 * in all. */
static void
print_reasons (GHashTable *table, const char *what, const char *times)
{
  g_autoptr (GPtrArray) keys = _dft_form_sorted_keys (table);

  if (keys->len == 0)
    {
      g_print (markdown ? "None.\n" : "  none\n");
      return;
    }
  sorting_table = table;
  g_ptr_array_sort (keys, compare_reasons);
  if (markdown)
    row ((const char *const[]){ what, "forms", times }, times != NULL ? 3 : 2, TRUE);
  else
    g_print ("%5s %9s  %s\n", "forms", times != NULL ? times : "", what);
  for (guint i = 0; i < keys->len; i++)
    {
      Reason          *r = g_hash_table_lookup (table, keys->pdata[i]);
      g_autofree char *forms = g_strdup_printf ("%u", g_hash_table_size (r->forms));
      g_autofree char *n = g_strdup_printf ("%u", r->times);

      if (markdown)
        row ((const char *const[]){ keys->pdata[i], forms, n }, times != NULL ? 3 : 2, FALSE);
      else
        g_print ("%5s %9s  %s\n", forms, times != NULL ? n : "", (const char *) keys->pdata[i]);
    }
}

static void
print_list (GPtrArray *lines)
{
  if (lines->len == 0)
    g_print (markdown ? "None.\n" : "  none\n");
  for (guint i = 0; i < lines->len; i++)
    g_print (markdown ? "- %s\n" : "  %s\n", (const char *) lines->pdata[i]);
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new ("[CORPORA]");
  g_autoptr (GError)         error = NULL;
  g_autofree char           *corpora = NULL;
  g_autoptr (GPtrArray)      files = NULL;
  const GOptionEntry         entries[] = {
            { "markdown", 'm', 0, G_OPTION_ARG_NONE, &markdown, "Print the tables as Markdown", NULL },
            { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
              "Also print the warnings by reason, the questions left out by type and every refused form "
                      "that should load, with its message",
              NULL },
            { NULL },
  };
  gint64 start;
  int    ret;

  setlocale (LC_ALL, "");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context,
                                "Imports every form of the corpora and prints how many load.");
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (argc > 1)
    corpora = dft_form_corpus_find (argv[1]);
  else if ((corpora = dft_form_corpus_find (NULL)) == NULL)
    {
      g_autofree char *beside = g_build_filename (SOURCE_ROOT, "..", "shared", "corpora", NULL);

      corpora = dft_form_corpus_find (beside);
    }
  if (corpora == NULL)
    {
      g_printerr ("No form corpora: give their folder, or set DAFTARI_SHARED.\n");
      return 2;
    }

  folders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  negative_folders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  refusals = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, reason_free);
  warnings = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, reason_free);
  left_out = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, reason_free);
  refused_forms = g_ptr_array_new_with_free_func (g_free);
  wrongly_loaded = g_ptr_array_new_with_free_func (g_free);

  files = dft_form_corpus_list (corpora);
  start = g_get_monotonic_time ();
  for (guint i = 0; i < files->len; i++)
    import_one (corpora, files->pdata[i]);

  if (markdown)
    g_print ("%u form files.\n", files->len); /* no time: the README's copy stays the same */
  else
    g_print ("Form conformance: %u form files in %s, imported in %.1f s\n", files->len, corpora,
             (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC);
  heading ("Forms their projects load: Daftari should load them");
  print_folders (folders, FALSE);
  heading ("Refused, by reason (error code: message without its names)");
  print_reasons (refusals, "reason", NULL);
  heading ("Forms broken on purpose (negative folders, files their project refuses): Daftari "
           "should refuse them");
  print_folders (negative_folders, TRUE);
  if (wrongly_loaded->len > 0)
    {
      heading ("Broken on purpose but loaded");
      print_list (wrongly_loaded);
    }
  if (verbose)
    {
      heading ("Warnings, by reason");
      print_reasons (warnings, "reason", "warnings");
      heading ("Questions left out (of a type Daftari cannot show), by type");
      print_reasons (left_out, "type", "questions");
      heading ("Refused forms that should load");
      print_list (refused_forms);
    }

  ret = wrongly_loaded->len > 0 ? 1 : 0;
  g_hash_table_unref (folders);
  g_hash_table_unref (negative_folders);
  g_hash_table_unref (refusals);
  g_hash_table_unref (warnings);
  g_hash_table_unref (left_out);
  g_ptr_array_unref (refused_forms);
  g_ptr_array_unref (wrongly_loaded);
  return ret;
}
