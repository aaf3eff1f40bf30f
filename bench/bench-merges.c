/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A coordinator's year (issue 16): the standard data set of ../shared/bench/gen_dataset.py
 * loaded into a coordinator's laptop, every pair the duplicate finder proposes merged, one merge
 * undone, and another laptop that receives it all, with what each step costs:
 *
 *  - the full scan for duplicates over the year's people;
 *  - a merge (one transaction: the merge record, the survivor's values, what follows from it),
 *    p50 and p99 over every proposed group;
 *  - marking attendance, p50 and p99, before any merge and with every merge in place (the peer
 *    is the register without merges: what merges add to the trainer's most common write);
 *  - undoing one merge;
 *  - a second laptop applying the first one's whole change log, then holding the same survivor
 *    for every person and listing the same number of people.
 *
 *   python3 ../shared/bench/gen_dataset.py 50 > /tmp/year.json
 *   _build/bench/bench-merges /tmp/year.json [--marks N]
 *
 * The data set's people are all different people; the finder proposes the namesakes its few
 * names make (same name, gender and country), so this merges far more than a real year would:
 * a worst case for the cost of merges, not a measure of the finder's precision (bench-duplicates
 * measures that on a labelled set).
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dft-dataset.h"
#include "dft-duplicates.h"
#include "dft-store-merges.h"
#include "dft-store-private.h"

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
percentile (GArray *samples, double p)
{
  if (samples->len == 0)
    return 0;
  g_array_sort (samples, compare_doubles);
  return g_array_index (samples, double, (guint) (p * (samples->len - 1)));
}

static void
fail (GError *error)
{
  fprintf (stderr, "bench-merges: %s\n", error->message);
  exit (1);
}

/* @n attendance marks on random (session, person) of the register, each a save; in ms. */
static GArray *
time_marks (DftStore *store, GPtrArray *marks, guint n, GRand *rand)
{
  static const char *statuses[] = { "present", "late", "absent", "excused" };
  GArray            *samples = g_array_new (FALSE, FALSE, sizeof (double));

  for (guint i = 0; i < n; i++)
    {
      DftRecord            *m = g_ptr_array_index (marks, g_rand_int_range (rand, 0, marks->len));
      g_autoptr (GError)    error = NULL;
      g_autoptr (DftRecord) saved = NULL;
      gint64                start = g_get_monotonic_time ();
      double                ms;

      saved = dft_store_mark_attendance (store, dft_record_get_string (m, "session_id"),
                                         dft_record_get_string (m, "person_id"),
                                         statuses[g_rand_int_range (rand, 0, 4)], NULL, &error);
      if (saved == NULL)
        fail (error);
      ms = (g_get_monotonic_time () - start) / 1000.0;
      g_array_append_val (samples, ms);
    }
  return samples;
}

int
main (int argc, char *argv[])
{
  g_autoptr (GError)             error = NULL;
  g_autofree char               *dir = g_dir_make_tmp ("daftari-bench-merges-XXXXXX", NULL);
  g_autofree char               *path_a = g_build_filename (dir, "coordinator.db", NULL);
  g_autofree char               *path_b = g_build_filename (dir, "other.db", NULL);
  g_autoptr (DftStore)           a = NULL;
  g_autoptr (DftStore)           b = NULL;
  g_autoptr (DftDuplicateFinder) finder = NULL;
  g_autoptr (GPtrArray)          pairs = NULL;
  g_autoptr (GPtrArray)          groups = NULL;
  g_autoptr (GPtrArray)          marks = NULL;
  g_autoptr (GPtrArray)          people = NULL;
  g_autoptr (GArray)             merge_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray)             before = NULL;
  g_autoptr (GArray)             after = NULL;
  g_autoptr (GRand)              rand = g_rand_new_with_seed (16);
  g_autofree char               *first_merge = NULL;
  guint                          n_marks = 300, merged = 0, refused = 0, differ = 0;
  gint64                         start;
  double                         scan_s, undo_ms, apply_s;

  for (int i = 2; i + 1 < argc; i += 2)
    if (g_str_equal (argv[i], "--marks"))
      n_marks = (guint) atoi (argv[i + 1]);
  if (argc < 2 || n_marks == 0)
    {
      fprintf (stderr, "usage: bench-merges DATASET.json [--marks N]\n");
      return 2;
    }

  a = dft_store_open (path_a, &error);
  if (a == NULL)
    fail (error);
  start = g_get_monotonic_time ();
  if (!dft_dataset_load (a, argv[1], NULL, NULL, NULL, NULL, &error))
    fail (error);
  people = dft_store_list_records (a, &dft_entity_person, NULL, NULL, 0, &error);
  marks = dft_store_list_records (a, &dft_entity_attendance, NULL, NULL, 0, &error);
  if (people == NULL || marks == NULL)
    fail (error);
  printf ("data set %s: %u people, %u attendance marks, loaded in %.1f s\n", argv[1], people->len,
          marks->len, (g_get_monotonic_time () - start) / 1e6);

  before = time_marks (a, marks, n_marks, rand);

  start = g_get_monotonic_time ();
  finder = dft_duplicate_finder_new_for_store (a, &error);
  pairs = finder != NULL ? dft_duplicate_finder_find_all (finder, DFT_DUPLICATE_DEFAULT_MIN_SCORE,
                                                          NULL, &error)
                         : NULL;
  if (pairs == NULL)
    fail (error);
  groups = dft_duplicate_finder_group (finder, pairs, DFT_DUPLICATE_DEFAULT_MIN_SCORE);
  scan_s = (g_get_monotonic_time () - start) / 1e6;
  printf ("full scan for duplicates: %.2f s, %u pairs in %u groups (limit 10 s on 100,000)\n",
          scan_s, pairs->len, groups->len);

  /* Every group becomes its first person, the rest merged into it one by one. */
  for (guint g = 0; g < groups->len; g++)
    {
      GStrv group = g_ptr_array_index (groups, g);

      for (guint i = 1; group[i] != NULL; i++)
        {
          g_autoptr (GError)    merge_error = NULL;
          g_autoptr (DftRecord) merge = NULL;
          double                ms;

          start = g_get_monotonic_time ();
          merge = dft_store_merge_people (a, group[0], group[i], NULL, &merge_error);
          ms = (g_get_monotonic_time () - start) / 1000.0;
          if (merge == NULL)
            {
              /* Two of a group were at one session after all: the store says no. */
              refused++;
              continue;
            }
          merged++;
          g_array_append_val (merge_ms, ms);
          if (first_merge == NULL)
            first_merge = g_strdup (dft_record_get_id (merge));
        }
    }
  printf ("merges: %u made (%u refused: both at one session), p50 %.1f ms, p99 %.1f ms each\n",
          merged, refused, percentile (merge_ms, 0.5), percentile (merge_ms, 0.99));
  printf ("people listed: %" G_GINT64_FORMAT " of %u records\n",
          dft_store_count_records (a, &dft_entity_person, NULL), people->len);

  after = time_marks (a, marks, n_marks, rand);
  printf ("mark attendance, %u saves: p50 %.2f ms, p99 %.2f ms without merges; "
          "p50 %.2f ms, p99 %.2f ms with %u merges (%.2fx at p50)\n",
          n_marks, percentile (before, 0.5), percentile (before, 0.99), percentile (after, 0.5),
          percentile (after, 0.99), merged, percentile (after, 0.5) / percentile (before, 0.5));

  if (first_merge != NULL)
    {
      start = g_get_monotonic_time ();
      if (!dft_store_unmerge (a, first_merge, &error))
        fail (error);
      undo_ms = (g_get_monotonic_time () - start) / 1000.0;
      printf ("undo one merge: %.1f ms\n", undo_ms);
    }

  /* Another laptop receives everything and must agree. */
  b = dft_store_open (path_b, &error);
  if (b == NULL)
    fail (error);
  {
    g_autoptr (GPtrArray) log = dft_store_read_log (a, 0, 0, NULL, NULL, &error);
    DftApplyStats         stats = { 0 };

    if (log == NULL)
      fail (error);
    start = g_get_monotonic_time ();
    if (!dft_store_apply_changes (b, log, &stats, &error))
      fail (error);
    apply_s = (g_get_monotonic_time () - start) / 1e6;
    printf ("another laptop applies all %u changes: %.1f s\n", log->len, apply_s);
  }
  for (guint i = 0; i < people->len; i++)
    {
      const char      *id = dft_record_get_id (g_ptr_array_index (people, i));
      g_autofree char *in_a = dft_store_survivor_of (a, id);
      g_autofree char *in_b = dft_store_survivor_of (b, id);

      differ += !g_str_equal (in_a, in_b);
    }
  printf ("people whose survivor differs between the two laptops: %u (must be 0); people listed: "
          "%" G_GINT64_FORMAT " and %" G_GINT64_FORMAT "\n",
          differ, dft_store_count_records (a, &dft_entity_person, NULL),
          dft_store_count_records (b, &dft_entity_person, NULL));

  g_clear_object (&a);
  g_clear_object (&b);
  {
    g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
    const char      *name;

    while (d != NULL && (name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *f = g_build_filename (dir, name, NULL);
        g_unlink (f);
      }
    g_rmdir (dir);
  }
  return differ == 0 ? 0 : 1;
}
