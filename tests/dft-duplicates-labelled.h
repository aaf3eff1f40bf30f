/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How the duplicate finder does on a labelled set (tests/data/duplicates/people.csv),
 * counted over pairs of people: a pair is proposed when the finder's groups put the two
 * together, and right when they belong to one cluster. */
typedef struct
{
  guint  people;
  guint  true_pairs;
  guint  proposed;
  guint  right;
  double precision;
  double recall;
} DftLabelledResult;

/* Runs the finder over the labelled set at @path at @min_score. With @verbose, every pair
 * wrongly put together and every true pair missed goes to g_test_message(). */
gboolean dft_labelled_evaluate (const char        *path,
                                double             min_score,
                                gboolean           verbose,
                                DftLabelledResult *result,
                                GError           **error);

G_END_DECLS
