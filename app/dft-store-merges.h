/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dft-store.h"

G_BEGIN_DECLS

/*
 * One person once: a coordinator merges two records of the same police officer, undoes a
 * merge, or says that two people the duplicate finder proposes are not one.
 *
 * A merge is a person_merge record: ordinary data, written through the one write path, synced
 * to every device and the server. Nothing of the two people is rewritten: every replica derives
 * from the merge records who stands for whom (the "survivor"), and the records that name the
 * person merged away (enrollments, attendance marks, submissions) count for the survivor, a
 * mark that arrives later for the old id included. So two coordinators who merge the same pair,
 * or A into B on one laptop and B into A on another, end with one person everywhere: merges are
 * taken in the order of their ids and one that would join two people already joined does
 * nothing. Undoing a merge is a record of its own (person_unmerge) that names it; both people
 * and everything each had are there again.
 *
 * Where both were in one session, the marks are combined: present, then late, then excused,
 * then absent: the one that says the person came wins, and between equal marks the survivor's
 * own. Marking the survivor in that session later marks both records, so a correction holds.
 *
 * Only a coordinator or an administrator merges: on a laptop whose account is a trainer's,
 * these functions refuse, and the server sets aside a merge a trainer's device sends.
 */

/* One merge, for the audit trail. Times are ISO 8601 stamps, devices the writers' device ids. */
typedef struct
{
  char    *id;
  char    *kept_id;
  char    *merged_id;
  char    *kept_name; /* the people's names now, or NULL when this replica does not hold them */
  char    *merged_name;
  char    *merged_by; /* the account, or NULL when signed in nowhere */
  char    *merged_at;
  char    *merged_on; /* device */
  GStrv    moved;     /* "entity/id" of each record that counted for the survivor from then on */
  gboolean undone;
  char    *undone_by;
  char    *undone_at;
  char    *undone_on;
} DftMergeView;

void dft_merge_view_free (DftMergeView *view);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftMergeView, dft_merge_view_free)

/*
 * Merges @other_id into @keep_id. @take_fields names the person fields whose value @keep_id
 * takes from @other_id (the rest keep @keep_id's). Refused, with nothing changed, when the two
 * are one id, when either is unknown, deleted or merged away already, when they are one person
 * already, when they were both at one session, when a coordinator said they are different
 * people, or when this laptop's account is a trainer's.
 *
 * Returns: (transfer full): the person_merge record, or %NULL with @error set.
 */
DftRecord *dft_store_merge_people (DftStore          *self,
                                   const char        *keep_id,
                                   const char        *other_id,
                                   const char *const *take_fields,
                                   GError           **error);

/*
 * The fields of a person whose value a merge of @other_id into @keep_id should take from
 * @other_id, as the coordinator is first offered: those where the two differ and @other_id's
 * value is the newer, or @keep_id has none.
 *
 * Returns: (transfer full): a %NULL-terminated array of field names, or %NULL with @error set.
 */
GStrv
dft_store_merge_suggest (DftStore *self, const char *keep_id, const char *other_id, GError **error);

/*
 * Undoes the merge @merge_id: both people are two again, and the kept person's fields that
 * took the other's value get their own back where nobody changed them since. Refused when
 * the merge is unknown or undone already.
 */
gboolean dft_store_unmerge (DftStore *self, const char *merge_id, GError **error);

/*
 * Records that @a_id and @b_id are two people, so that the duplicate finder never proposes the
 * pair again (on every device). Doing it twice is harmless.
 */
gboolean
dft_store_mark_distinct (DftStore *self, const char *a_id, const char *b_id, GError **error);

/* Whether @a_id and @b_id were marked as two people. */
gboolean dft_store_is_distinct (DftStore *self, const char *a_id, const char *b_id);

/* The person who stands for @person_id now: itself, or the one it was merged into. */
char *dft_store_survivor_of (DftStore *self, const char *person_id);

/*
 * The audit trail: every merge this replica holds, the newest first.
 *
 * Returns: (transfer full) (element-type DftMergeView): the merges, or %NULL with @error set.
 */
GPtrArray *dft_store_list_merges (DftStore *self, GError **error);

/*
 * A server's store relays merges and applies none: it keeps every record as it was written, so
 * that what each team may see is read from what the teams wrote. Call once, after opening.
 */
void dft_store_set_derives_merges (DftStore *self, gboolean derives);

G_END_DECLS
