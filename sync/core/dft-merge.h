/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dft-hlc.h"

G_BEGIN_DECLS

/* A field's version: who wrote it, when. A NULL device means "no version". */
typedef struct
{
  DftHlcValue hlc;
  char       *device;
} DftVersion;

gboolean dft_version_parse (const char *text, DftVersion *out);
char    *dft_version_format (const DftVersion *version);
gboolean dft_version_equal (const DftVersion *a, const DftVersion *b);
void     dft_version_clear (DftVersion *version);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (DftVersion, dft_version_clear)

typedef enum
{
  DFT_MERGE_KEEP, /* what is held stays: the incoming write is older, or the same one */
  DFT_MERGE_TAKE, /* the incoming write wins */
} DftMergeOutcome;

/*
 * The merge rule for one field, the same on every replica: the last writer
 * by (HLC, device) wins. The loser is a conflict when its value differs and
 * it was not seen by the winner's writer, that is when the winner's base is
 * not the loser's version: an overwrite made without knowing the other
 * value. Sequential edits (the second writer had the first value) are not
 * conflicts.
 */
DftMergeOutcome dft_merge_field (const DftVersion *held,
                                 const DftVersion *held_base,
                                 const DftVersion *incoming,
                                 const DftVersion *incoming_base,
                                 gboolean          same_value,
                                 gboolean         *conflict);

/*
 * The same with a rank that comes before the clock: a write of a higher rank
 * wins whatever its clock says (a final submission's fields against a draft's
 * edit), and among writes of one rank the last writer wins. Ranks come from
 * the changes themselves, so the order is total and the same everywhere.
 */
DftMergeOutcome dft_merge_field_ranked (const DftVersion *held,
                                        guint             held_rank,
                                        const DftVersion *held_base,
                                        const DftVersion *incoming,
                                        guint             incoming_rank,
                                        const DftVersion *incoming_base,
                                        gboolean          same_value,
                                        gboolean         *conflict);

G_END_DECLS
