/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Forms (issue 4): how long loading takes for the largest corpus form (an XForm of about
 * 1.5 MB) and for a generated 1,000-question form, and how long re-evaluation takes after one
 * answer changes. Targets: load ≤ 300 ms, re-evaluation ≤ 5 ms at the 99th percentile.
 *
 *   bench-forms [LARGE_FORM.xml]
 *
 * Without an argument it looks for ../shared/corpora/xforms/javarosa/whova_form.xml from the
 * source tree.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "forms/dft-form-run.h"
#include "forms/dft-form.h"

#define LOAD_ROUNDS   15
#define ANSWER_ROUNDS 2000

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
percentile (double *v, guint n, double p)
{
  guint i = (guint) (p * (n - 1) + 0.5);

  qsort (v, n, sizeof *v, compare_doubles);
  return v[MIN (i, n - 1)];
}

/* 1,000 questions the way real forms use them: groups of ten, each with a select that
 * decides whether the rest of the group is asked, numbers with constraints, a calculation
 * summing the group, choice filters and a running total over every group. */
static char *
generated_form (void)
{
  GString *s = g_string_new ("{\"format\": \"daftari-form\", \"id\": \"big\", "
                             "\"default_language\": \"en\", \"choice_lists\": {"
                             "\"yn\": [{\"value\": \"yes\", \"label\": \"Yes\"}, "
                             "{\"value\": \"no\", \"label\": \"No\"}],"
                             "\"towns\": [");

  for (guint t = 0; t < 200; t++)
    g_string_append_printf (s,
                            "%s{\"value\": \"t%u\", \"label\": \"Town %u\", "
                            "\"extra\": {\"region\": \"r%u\"}}",
                            t ? ", " : "", t, t, t % 10);
  g_string_append (s, "]}, \"questions\": [");
  for (guint g = 0; g < 100; g++)
    {
      g_string_append_printf (s, "%s{\"type\": \"group\", \"name\": \"g%u\", \"children\": [",
                              g ? ", " : "", g);
      g_string_append_printf (s,
                              "{\"type\": \"select_one\", \"name\": \"ask%u\", "
                              "\"choices\": \"yn\", \"label\": \"Ask group %u?\"}",
                              g, g);
      for (guint q = 0; q < 6; q++)
        g_string_append_printf (s,
                                ", {\"type\": \"integer\", \"name\": \"n%u_%u\", "
                                "\"label\": \"Number %u\", \"relevant\": \"${ask%u} = 'yes'\", "
                                "\"constraint\": \". >= 0 and . < 1000\", \"required\": true}",
                                g, q, q, g);
      g_string_append_printf (s,
                              ", {\"type\": \"text\", \"name\": \"region%u\", \"label\": "
                              "\"Region\", \"default\": \"r%u\"}",
                              g, g % 10);
      g_string_append_printf (s,
                              ", {\"type\": \"select_one\", \"name\": \"town%u\", "
                              "\"label\": \"Town\", \"choices\": \"towns\", "
                              "\"choice_filter\": \"region = ${region%u}\"}",
                              g, g);
      g_string_append_printf (s,
                              ", {\"type\": \"calculate\", \"name\": \"sum%u\", "
                              "\"calculate\": \"${n%u_0} + ${n%u_1} + ${n%u_2} + ${n%u_3} + "
                              "${n%u_4} + ${n%u_5}\"}",
                              g, g, g, g, g, g, g);
      g_string_append (s, "]}");
    }
  g_string_append (s, ", {\"type\": \"calculate\", \"name\": \"total\", \"calculate\": \"");
  for (guint g = 0; g < 100; g++)
    g_string_append_printf (s, "%scoalesce(${sum%u}, 0)", g ? " + " : "", g);
  g_string_append (s, "\"}]}");
  return g_string_free (s, FALSE);
}

typedef DftForm *(*LoadFunc) (gconstpointer data, GError **error);

static DftForm *
load_file (gconstpointer data, GError **error)
{
  return dft_form_new_from_file (data, error);
}

static DftForm *
load_json (gconstpointer data, GError **error)
{
  DftForm *form = dft_form_new_from_json (data, -1, error);

  if (form != NULL && !dft_form_prepare (form, error))
    g_clear_pointer (&form, dft_form_unref);
  return form;
}

static DftForm *
measure_load (const char *label, LoadFunc load, gconstpointer data)
{
  double   ms[LOAD_ROUNDS];
  DftForm *form = NULL;

  for (guint i = 0; i < LOAD_ROUNDS; i++)
    {
      g_autoptr (GError) error = NULL;
      gint64             start = g_get_monotonic_time ();

      g_clear_pointer (&form, dft_form_unref);
      form = load (data, &error);
      ms[i] = (g_get_monotonic_time () - start) / 1000.0;
      if (form == NULL)
        {
          fprintf (stderr, "%s: %s\n", label, error->message);
          return NULL;
        }
    }
  printf ("%-34s load median %7.1f ms, slowest %7.1f ms   (target ≤ 300 ms)\n", label,
          percentile (ms, LOAD_ROUNDS, 0.5), percentile (ms, LOAD_ROUNDS, 1.0));
  return form;
}

static void
count_question (DftQuestion *q, gpointer user_data)
{
  guint *n = user_data;

  if (dft_question_has_answer (q))
    (*n)++;
}

/* Answers questions one at a time, as a person does, timing each set_answer: the answer and
 * everything that depends on it re-evaluated. */
static void
measure_answers (const char        *label,
                 DftForm           *form,
                 const char *const *paths,
                 guint              n_paths,
                 const char *const *values,
                 guint              n_values)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (DftFormRun) run = NULL;
  g_autofree double     *ms = g_new (double, ANSWER_ROUNDS);
  gint64                 start = g_get_monotonic_time ();
  guint                  questions = 0;

  run = dft_form_run_new (form, &error);
  if (run == NULL)
    {
      fprintf (stderr, "%s: %s\n", label, error->message);
      return;
    }
  dft_form_foreach (form, count_question, &questions);
  printf ("%-34s %u questions with answers; starting a submission took %.1f ms\n", label, questions,
          (g_get_monotonic_time () - start) / 1000.0);
  for (guint i = 0; i < ANSWER_ROUNDS; i++)
    {
      const char *path = paths[g_random_int_range (0, (gint32) n_paths)];
      const char *value = values[g_random_int_range (0, (gint32) n_values)];

      start = g_get_monotonic_time ();
      dft_form_run_set_answer (run, path, value, NULL, NULL);
      ms[i] = (g_get_monotonic_time () - start) / 1000.0;
    }
  printf ("%-34s re-evaluation after one answer: median %.3f ms, p99 %.3f ms, slowest %.3f ms"
          "   (target p99 ≤ 5 ms)\n",
          label, percentile (ms, ANSWER_ROUNDS, 0.5), percentile (ms, ANSWER_ROUNDS, 0.99),
          percentile (ms, ANSWER_ROUNDS, 1.0));
}

static void
collect_answerable (DftQuestion *q, gpointer user_data)
{
  GPtrArray *paths = user_data;

  if (dft_question_has_answer (q) && q->calculate == NULL && q->type != DFT_QUESTION_CALCULATE
      && q->type != DFT_QUESTION_METADATA && q->read_only == NULL && strstr (q->path, "[") == NULL)
    {
      /* Questions outside repeats: inside them the first instance, which always exists. */
      g_ptr_array_add (paths, q->path);
    }
}

int
main (int argc, char **argv)
{
  g_autofree char    *large = NULL;
  g_autofree char    *json = generated_form ();
  g_autoptr (DftForm) big = NULL;
  g_autoptr (DftForm) whova = NULL;
  const char         *values[] = { "yes", "no", "1", "42", "999", "", "t3", "r1" };

  if (argc > 1)
    large = g_strdup (argv[1]);
  else
    large = g_build_filename (SOURCE_ROOT, "..", "shared", "corpora", "xforms", "javarosa",
                              "whova_form.xml", NULL);
  g_random_set_seed (4);

  printf ("Forms benchmark (%s)\n\n", PACKAGE_VERSION);
  if (g_file_test (large, G_FILE_TEST_EXISTS))
    {
      GStatBuf st;

      g_stat (large, &st);
      printf ("Largest corpus form: %s (%.2f MB)\n", large, st.st_size / 1e6);
      whova = measure_load ("corpus form, load + prepare", load_file, large);
    }
  else
    printf ("The corpus form %s is not here; skipping it.\n", large);
  printf ("Generated form: %zu bytes of JSON\n", strlen (json));
  big = measure_load ("1,000 questions, load + prepare", load_json, json);
  printf ("\n");

  if (whova != NULL)
    {
      g_autoptr (GPtrArray) paths = g_ptr_array_new ();

      dft_form_foreach (whova, collect_answerable, paths);
      measure_answers ("corpus form", whova, (const char *const *) paths->pdata, paths->len, values,
                       G_N_ELEMENTS (values));
    }
  if (big != NULL)
    {
      g_autoptr (GPtrArray) paths = g_ptr_array_new ();

      dft_form_foreach (big, collect_answerable, paths);
      measure_answers ("1,000 questions", big, (const char *const *) paths->pdata, paths->len,
                       values, G_N_ELEMENTS (values));
    }
  return 0;
}
