/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dft-duplicates-labelled.h"
#include "dft-duplicates.h"

#define HEADER                                                                                     \
  "cluster,id,given_name,family_name,gender,agency,position,country,phone,email,sessions"

/* One row of the set as a person, and its cluster into @cluster_of. The set is written by
 * make_people.py, whose fields never hold a comma. */
static DftDuplicatePerson *
_dft_labelled_parse (const char *line, GHashTable *cluster_of, GError **error)
{
  g_auto (GStrv)      f = g_strsplit (line, ",", -1);
  DftDuplicatePerson *p;

  if (g_strv_length (f) != 11)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not 11 fields: %s", line);
      return NULL;
    }
  p = dft_duplicate_person_new (f[1]);
  p->given_name = g_strdup (f[2]);
  p->family_name = g_strdup (f[3]);
  p->gender = g_strdup (f[4]);
  p->agency = g_strdup (f[5]);
  p->position = g_strdup (f[6]);
  p->country = g_strdup (f[7]);
  p->phone = g_strdup (f[8]);
  p->email = g_strdup (f[9]);
  if (*f[10] != '\0')
    {
      g_auto (GStrv) sessions = g_strsplit (f[10], ";", -1);

      for (guint s = 0; sessions[s] != NULL; s++)
        g_ptr_array_add (p->sessions, g_strdup (sessions[s]));
    }
  g_hash_table_insert (cluster_of, g_strdup (f[1]), g_strdup (f[0]));
  return p;
}

/* The true pairs: people of one cluster, each pair once. */
static guint
_dft_labelled_count_true_pairs (GHashTable *cluster_of)
{
  g_autoptr (GHashTable) sizes = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter         iter;
  gpointer               value;
  guint                  pairs = 0;

  g_hash_table_iter_init (&iter, cluster_of);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (sizes, value));

      g_hash_table_insert (sizes, value, GUINT_TO_POINTER (n + 1));
    }
  g_hash_table_iter_init (&iter, sizes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    pairs += GPOINTER_TO_UINT (value) * (GPOINTER_TO_UINT (value) - 1) / 2;
  return pairs;
}

gboolean
dft_labelled_evaluate (
    const char *path, double min_score, gboolean verbose, DftLabelledResult *result, GError **error)
{
  g_autofree char       *text = NULL;
  g_auto (GStrv)         lines = NULL;
  g_autoptr (GHashTable) cluster_of
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GHashTable)         group_of = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (DftDuplicateFinder) finder = dft_duplicate_finder_new ();
  g_autoptr (GPtrArray)          pairs = NULL;
  g_autoptr (GPtrArray)          groups = NULL;
  g_autoptr (GPtrArray)          ids = g_ptr_array_new_with_free_func (g_free);
  DftLabelledResult              out = { 0 };

  if (!g_file_get_contents (path, &text, NULL, error))
    return FALSE;
  lines = g_strsplit (text, "\n", -1);
  if (g_strcmp0 (lines[0], HEADER) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: unexpected header", path);
      return FALSE;
    }
  for (guint i = 1; lines[i] != NULL; i++)
    {
      DftDuplicatePerson *p;

      if (*lines[i] == '\0')
        continue;
      p = _dft_labelled_parse (lines[i], cluster_of, error);
      if (p == NULL)
        return FALSE;
      g_ptr_array_add (ids, g_strdup (p->id));
      dft_duplicate_finder_add (finder, p);
      out.people++;
    }
  out.true_pairs = _dft_labelled_count_true_pairs (cluster_of);

  pairs = dft_duplicate_finder_find_all (finder, min_score, NULL, error);
  if (pairs == NULL)
    return FALSE;
  groups = dft_duplicate_finder_group (finder, pairs, min_score);
  for (guint g = 0; g < groups->len; g++)
    {
      char **members = g_ptr_array_index (groups, g);

      for (guint i = 0; members[i] != NULL; i++)
        {
          g_hash_table_insert (group_of, members[i], GUINT_TO_POINTER (g + 1));
          for (guint j = i + 1; members[j] != NULL; j++)
            {
              const char *ci = g_hash_table_lookup (cluster_of, members[i]);
              const char *cj = g_hash_table_lookup (cluster_of, members[j]);

              out.proposed++;
              if (g_strcmp0 (ci, cj) == 0)
                out.right++;
              else if (verbose)
                g_test_message ("wrongly together: %s (%s) and %s (%s)", members[i], ci, members[j],
                                cj);
            }
        }
    }

  /* The true pairs the groups do not hold. */
  for (guint i = 0; verbose && i < ids->len; i++)
    for (guint j = i + 1; j < ids->len; j++)
      {
        const char *a = g_ptr_array_index (ids, i), *b = g_ptr_array_index (ids, j);
        gpointer    ga = g_hash_table_lookup (group_of, a), gb = g_hash_table_lookup (group_of, b);

        if (g_strcmp0 (g_hash_table_lookup (cluster_of, a), g_hash_table_lookup (cluster_of, b))
                == 0
            && (ga == NULL || ga != gb))
          g_test_message ("missed: %s and %s (%s)", a, b,
                          (const char *) g_hash_table_lookup (cluster_of, a));
      }

  out.precision = out.proposed > 0 ? (double) out.right / out.proposed : 1.0;
  out.recall = out.true_pairs > 0 ? (double) out.right / out.true_pairs : 1.0;
  *result = out;
  return TRUE;
}
