/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dft-store.h"

G_BEGIN_DECLS

/*
 * Two records of one person side by side, and the question that merges them: which record to
 * keep, and field by field which value survives.
 */

/* The person fields a coordinator compares and chooses between, in the order shown. */
extern const char *const dft_merge_person_fields[];

/* What the review queue and the merge dialog show about a pair, read from the store;
 * reference counted. */
typedef struct
{
  DftRecord *people[2];
  GStrv      workshops[2]; /* the titles of the workshops each is enrolled in */
  guint      history[2];   /* enrollments and attendance marks: what each record holds */
  GStrv      take[2];      /* dft_store_merge_suggest() with people[i] kept */
} DftMergeFacts;

/* Reads the facts about @a_id and @b_id (blocking: call it in a worker). */
DftMergeFacts *
dft_merge_facts_load (DftStore *store, const char *a_id, const char *b_id, GError **error);
DftMergeFacts *dft_merge_facts_ref (DftMergeFacts *facts);
void           dft_merge_facts_unref (DftMergeFacts *facts);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftMergeFacts, dft_merge_facts_unref)

/* What @person holds in @field, for people ("Female", the text, or "—" when empty). */
char *dft_merge_describe_field (DftRecord *person, const char *field);
/* "Aibek Sadykov": the person's name as it is written. */
char *dft_merge_person_name (DftRecord *person);

/*
 * The merge question as an AdwMessageDialog over @parent: the record with more history kept,
 * the newer value of each differing field chosen. Its response "merge" means go ahead.
 * The dialog holds a reference on @facts.
 */
GtkWidget *dft_merge_dialog_new (GtkWindow *parent, DftMergeFacts *facts);
/* The choice made in @dialog: which record stays, which goes, the fields the kept one takes
 * from the other. */
void dft_merge_dialog_get_choice (GtkWidget *dialog,
                                  char     **keep_id,
                                  char     **other_id,
                                  GStrv     *take_fields);
/* The check button that chooses @person_index's value of @field, or NULL when the two agree
 * (for tests). */
GtkCheckButton *
dft_merge_dialog_get_field_button (GtkWidget *dialog, const char *field, guint person_index);

G_END_DECLS
