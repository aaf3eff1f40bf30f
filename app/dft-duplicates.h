/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dft-store.h"

G_BEGIN_DECLS

/*
 * Finding the same person registered twice: "Aibek Sadykov" typed by one trainer,
 * "Айбек Садыков" by another, "Aybek Sadikov" on an imported sign-up sheet. Donors count
 * unique people trained, so every duplicate inflates a report.
 *
 * The finder works on plain data (DftDuplicatePerson), not on a store, so that it can be fed
 * from any source: dft_duplicate_people_from_records() builds its input from records. It
 * proposes scored pairs with the reasons for each score; a coordinator decides.
 */

/* The score at and above which a pair is proposed by default. */
#define DFT_DUPLICATE_DEFAULT_MIN_SCORE 0.8

/* Why two people look like one; a pair carries a set of these. */
typedef enum
{
  DFT_DUPLICATE_REASON_NAME_EQUAL = 1 << 0,
  DFT_DUPLICATE_REASON_NAME_SCRIPTS = 1 << 1,
  DFT_DUPLICATE_REASON_NAME_SIMILAR = 1 << 2,
  DFT_DUPLICATE_REASON_NAME_CONSONANTS = 1 << 3,
  DFT_DUPLICATE_REASON_NAME_SWAPPED = 1 << 4,
  DFT_DUPLICATE_REASON_NAME_MISSING_WORD = 1 << 5,
  DFT_DUPLICATE_REASON_SAME_PHONE = 1 << 6,
  DFT_DUPLICATE_REASON_PHONE_DIFFERS = 1 << 7,
  DFT_DUPLICATE_REASON_SAME_EMAIL = 1 << 8,
  DFT_DUPLICATE_REASON_EMAIL_DIFFERS = 1 << 9,
  DFT_DUPLICATE_REASON_SAME_GENDER = 1 << 10,
  DFT_DUPLICATE_REASON_GENDER_DIFFERS = 1 << 11,
  DFT_DUPLICATE_REASON_SAME_AGENCY = 1 << 12,
  DFT_DUPLICATE_REASON_AGENCY_DIFFERS = 1 << 13,
  DFT_DUPLICATE_REASON_SAME_COUNTRY = 1 << 14,
  DFT_DUPLICATE_REASON_COUNTRY_DIFFERS = 1 << 15,
  DFT_DUPLICATE_REASON_SAME_POSITION = 1 << 16,
  DFT_DUPLICATE_REASON_SAME_WORKSHOP = 1 << 17,
} DftDuplicateReason;

#define DFT_DUPLICATE_N_REASONS 18

/* A sentence for one reason ("Same phone number"), translated. */
const char *dft_duplicate_reason_describe (DftDuplicateReason reason);

/*
 * The sentences for every reason in @reasons, in the order of the enumeration.
 *
 * Returns: (transfer full): a %NULL-terminated array; free with g_strfreev().
 */
char **dft_duplicate_reasons_describe (guint reasons);

/* A reason's fixed name for scripts ("name-scripts", "same-phone"...), never translated. */
const char *dft_duplicate_reason_code (DftDuplicateReason reason);

/*
 * One person as the finder sees them. Every string may be %NULL or empty (unknown).
 * @gender is one of dft_gender_choices; only "female" and "male" count as known. @country
 * may be a code or a name (dft_country_normalize() reads it). @sessions holds the ids of the
 * sessions the person attended (present or late), @workshops the workshops they are enrolled
 * in; both own their strings.
 */
typedef struct
{
  char      *id;
  char      *given_name;
  char      *family_name;
  char      *gender;
  char      *agency;
  char      *position;
  char      *country;
  char      *phone;
  char      *email;
  GPtrArray *sessions;
  GPtrArray *workshops;
} DftDuplicatePerson;

/* A person with @id and everything else unknown; fill the fields with g_strdup(). */
DftDuplicatePerson *dft_duplicate_person_new (const char *id);
void                dft_duplicate_person_free (DftDuplicatePerson *person);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftDuplicatePerson, dft_duplicate_person_free)

/*
 * The finder's input from records: one DftDuplicatePerson per live (saved, not deleted)
 * DftPerson in @people, with the workshops of its live DftEnrollment records in @enrollments and
 * the sessions of its DftAttendance marks in @attendance whose status is "present" or "late".
 * @enrollments and @attendance may be %NULL; records of other people are ignored.
 *
 * Returns: (transfer full) (element-type DftDuplicatePerson): the people, in the order of
 *   @people.
 */
GPtrArray *dft_duplicate_people_from_records (GPtrArray *people,
                                              GPtrArray *enrollments,
                                              GPtrArray *attendance);

/* Two people who are probably one, @score from 0 to 1, @reasons a set of DftDuplicateReason. */
typedef struct
{
  char  *id_a;
  char  *id_b;
  double score;
  guint  reasons;
} DftDuplicatePair;

void dft_duplicate_pair_free (DftDuplicatePair *pair);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftDuplicatePair, dft_duplicate_pair_free)

/*
 * How likely @a and @b are one person, from 0 to 1, and why (@reasons, may be %NULL).
 * People who attended a common session are two people and score 0 with no reasons.
 */
double
dft_duplicate_score (const DftDuplicatePerson *a, const DftDuplicatePerson *b, guint *reasons);

#define DFT_TYPE_DUPLICATE_FINDER (dft_duplicate_finder_get_type ())
G_DECLARE_FINAL_TYPE (DftDuplicateFinder, dft_duplicate_finder, DFT, DUPLICATE_FINDER, GObject)

DftDuplicateFinder *dft_duplicate_finder_new (void);

/*
 * Adds @person (transfer full) to the people the finder compares. Adding is cheap; the
 * names are folded and indexed by the first search, and incrementally after it.
 */
void  dft_duplicate_finder_add (DftDuplicateFinder *self, DftDuplicatePerson *person);
guint dft_duplicate_finder_get_n_people (DftDuplicateFinder *self);

/*
 * Every pair of people scoring at least @min_score, the highest score first. Candidates come
 * from shared blocking keys (name skeletons, phone, email), never from comparing all pairs.
 * Blocking keys shared by more than a few hundred people (an office switchboard's number,
 * "Muhammad Khan") are too common to tell anyone apart and are not used.
 *
 * Returns: (transfer full) (element-type DftDuplicatePair): the pairs, or %NULL with @error
 *   set when @cancellable was cancelled.
 */
GPtrArray *dft_duplicate_finder_find_all (DftDuplicateFinder *self,
                                          double              min_score,
                                          GCancellable       *cancellable,
                                          GError            **error);

void       dft_duplicate_finder_find_all_async (DftDuplicateFinder *self,
                                                double              min_score,
                                                GCancellable       *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer            user_data);
GPtrArray *dft_duplicate_finder_find_all_finish (DftDuplicateFinder *self,
                                                 GAsyncResult       *result,
                                                 GError            **error);

/*
 * The people already known who may be @person (who need not have been added), scoring at
 * least @min_score, the highest first: for "A person with a similar name already exists"
 * while registering. A person with @person's id is never among them.
 *
 * Returns: (transfer full) (element-type DftDuplicatePair): pairs whose id_a is @person's id.
 */
GPtrArray *dft_duplicate_finder_candidates_for (DftDuplicateFinder       *self,
                                                const DftDuplicatePerson *person,
                                                double                    min_score);

/*
 * Groups @pairs (as dft_duplicate_finder_find_all() returns them, the highest score first)
 * into sets of people who are probably one: A~B and B~C make {A, B, C}, unless that would put
 * together two people who attended one session, or two who score below @min_score with a
 * field that says they differ (gender, agency, country, phone). So a namesake linked to one
 * record of a person does not join the others it contradicts.
 *
 * Returns: (transfer full) (element-type GStrv): the groups of two people or more, each a
 *   sorted %NULL-terminated array of ids, the groups in the order of their first id.
 */
GPtrArray *
dft_duplicate_finder_group (DftDuplicateFinder *self, GPtrArray *pairs, double min_score);

/*
 * A finder holding every live person of @store, with the workshops they are enrolled in and
 * the sessions they attended: on a coordinator's laptop, everyone in the coordinator's scope.
 * Reads the store (blocking); the _async version runs in a worker.
 */
DftDuplicateFinder *dft_duplicate_finder_new_for_store (DftStore *store, GError **error);
void                dft_duplicate_finder_new_for_store_async (DftStore           *store,
                                                              GCancellable       *cancellable,
                                                              GAsyncReadyCallback callback,
                                                              gpointer            user_data);
DftDuplicateFinder *
dft_duplicate_finder_new_for_store_finish (DftStore *store, GAsyncResult *result, GError **error);

/*
 * Leaves out of @pairs those a coordinator already decided: marked as two people
 * (dft_store_mark_distinct()), or one already (merged).
 */
void dft_duplicate_pairs_drop_decided (DftStore *store, GPtrArray *pairs);

G_END_DECLS
