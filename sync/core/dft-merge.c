/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "dft-merge.h"

gboolean
dft_version_parse (const char *text, DftVersion *out)
{
  const char *slash = text != NULL ? strchr (text, '/') : NULL;
  char       *end = NULL;
  guint64     hlc;

  out->hlc = 0;
  out->device = NULL;
  if (slash == NULL || slash[1] == '\0')
    return FALSE;
  hlc = g_ascii_strtoull (text, &end, 10);
  if (end != slash || hlc == 0)
    return FALSE;
  out->hlc = hlc;
  out->device = g_strdup (slash + 1);
  return TRUE;
}

char *
dft_version_format (const DftVersion *version)
{
  if (version == NULL || version->device == NULL)
    return NULL;
  return g_strdup_printf ("%" G_GUINT64_FORMAT "/%s", version->hlc, version->device);
}

gboolean
dft_version_equal (const DftVersion *a, const DftVersion *b)
{
  gboolean a_none = a == NULL || a->device == NULL;
  gboolean b_none = b == NULL || b->device == NULL;

  if (a_none || b_none)
    return a_none && b_none;
  return a->hlc == b->hlc && strcmp (a->device, b->device) == 0;
}

void
dft_version_clear (DftVersion *version)
{
  g_clear_pointer (&version->device, g_free);
  version->hlc = 0;
}

DftMergeOutcome
dft_merge_field (const DftVersion *held,
                 const DftVersion *held_base,
                 const DftVersion *incoming,
                 const DftVersion *incoming_base,
                 gboolean          same_value,
                 gboolean         *conflict)
{
  return dft_merge_field_ranked (held, 0, held_base, incoming, 0, incoming_base, same_value,
                                 conflict);
}

DftMergeOutcome
dft_merge_field_ranked (const DftVersion *held,
                        guint             held_rank,
                        const DftVersion *held_base,
                        const DftVersion *incoming,
                        guint             incoming_rank,
                        const DftVersion *incoming_base,
                        gboolean          same_value,
                        gboolean         *conflict)
{
  int order;

  g_return_val_if_fail (incoming != NULL && incoming->device != NULL, DFT_MERGE_KEEP);

  *conflict = FALSE;
  if (held == NULL || held->device == NULL)
    return DFT_MERGE_TAKE;

  order = dft_hlc_compare (incoming->hlc, incoming->device, held->hlc, held->device);
  /* One version names one write, except where two copies of a database wrote under one id in
   * the same millisecond: the value the server settled on, which is what arrives, is kept. */
  if (order == 0)
    return same_value ? DFT_MERGE_KEEP : DFT_MERGE_TAKE;
  if (incoming_rank != held_rank)
    order = incoming_rank > held_rank ? 1 : -1;

  if (order > 0)
    {
      /* The held value loses; its writer's successor did not know it. */
      *conflict = !same_value && !dft_version_equal (incoming_base, held);
      return DFT_MERGE_TAKE;
    }

  /* The incoming value loses; the held value's writer did not know it. */
  *conflict = !same_value && !dft_version_equal (held_base, incoming);
  return DFT_MERGE_KEEP;
}
