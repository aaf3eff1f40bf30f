/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "dft-store.h"

G_BEGIN_DECLS

/*
 * The donor's indicators over a selection of workshops, computed in SQL with a few aggregate
 * queries (never by loading records). Over the benchmark store (100,000 people, a million
 * marks, 220,000 submissions) a full report takes seconds, one quarter a tenth of one
 * (bench/README.md).
 * dft_indicator_report() holds the store's lock while it reads: call it from a thread
 * (dft_indicator_report_async()) in the UI.
 *
 * Who counts: everyone enrolled (not deleted) in a selected workshop, with the role of that
 * enrollment. A person merged into another counts as the survivor, once; the hidden twin marks
 * and enrollments a merge leaves do not count. "People trained" are the unique people enrolled as
 * participants; the breakdown by role also shows trainers and observers.
 *
 * Which workshops: not deleted, starting (start_date) within [from, to], of the countries,
 * tracks and ids given. Which enrollments: live ones (not a merge's hidden twin) of live people
 * not merged away, of the agencies given (the person's agency; "" selects people with none).
 * Attendance: a session attended present or late; a participant completed a workshop with at
 * least one session when they attended at least completion_share of its sessions. Test gains
 * count the tests of people in the selection when agencies are selected, else every test taken
 * in the selected workshops (as dft_assessment_gain() does). Evaluations count every final
 * submission of a form of kind "evaluation" in the selected workshops (they are often
 * anonymous, so the agency selection does not narrow them).
 *
 * An empty selection is a report with zeros and NAN rates; from after to is an error
 * (G_IO_ERROR_INVALID_ARGUMENT), as is a completion share outside (0, 1].
 */

typedef struct
{
  char  *from;             /* YYYY-MM-DD, inclusive; NULL: no lower bound */
  char  *to;               /* YYYY-MM-DD, inclusive; NULL: no upper bound */
  GStrv  countries;        /* workshop countries (ISO codes as stored); NULL or empty: any */
  GStrv  tracks;           /* workshop programme tracks; NULL or empty: any */
  GStrv  event_ids;        /* workshops; NULL or empty: any */
  GStrv  agencies;         /* participants' agencies; NULL or empty: any */
  double completion_share; /* 0 < share ≤ 1; a participant completed a workshop when they
                            * attended (present or late) at least this share of its sessions */
} DftReportSelection;

/* A selection of everything, with the default completion share of 0.8. */
DftReportSelection *dft_report_selection_new (void);
DftReportSelection *dft_report_selection_copy (const DftReportSelection *selection);
void                dft_report_selection_free (DftReportSelection *selection);

/* One group of people: a line of the breakdown, or of a count by one dimension. */
typedef struct
{
  char *gender;  /* one of dft_gender_choices, or "" (not given); NULL when not grouped by it */
  char *agency;  /* as stored, "" when not given; NULL when not grouped by it */
  char *country; /* ISO code as stored, "" when not given; NULL when not grouped by it */
  char *role;    /* one of dft_role_choices; NULL when not grouped by it */
  guint people;  /* unique people */
  guint women;   /* of them, gender female */
  guint participations; /* enrollments */
  guint person_days;    /* distinct (participation, session date) attended present or late */
} DftIndicatorGroup;

/* A workshop in the selection, with its own figures. */
typedef struct
{
  char  *event_id;
  char  *title;
  char  *start_date, *end_date;
  char  *country, *track, *venue, *language;
  guint  participants; /* enrolled as participant */
  guint  women;        /* of them, female */
  guint  sessions;
  double attendance_rate; /* (present + late) / (participants × sessions); NAN when undefined */
  guint  completed;       /* participants who completed */
  guint  completed_women;
} DftWorkshopFigures;

/* Pre/post test figures, for one test in one workshop, or overall (event_id NULL). A test is a
 * form key together with the key its definition pairs it with ("pairs_with"); per person the
 * latest final scored pre-test and post-test stand, corrections replacing what they correct
 * (as dft_assessment_gain() reads them). */
typedef struct
{
  char  *event_id;    /* NULL for the overall line */
  char  *event_title; /* NULL for the overall line */
  char  *form_key;    /* the test's first key in C order; NULL for the overall line */
  char  *form_title;  /* NULL for the overall line */
  guint  n_pre, n_post, n_pairs;
  double mean_pre, mean_post; /* percent; NAN when nobody */
  double mean_gain;           /* mean of post − pre over the pairs; NAN when no pair */
  double normalized_gain; /* (post − pre) / (100 − pre) of the pairs' means; NAN if undefined */
} DftGainFigures;

typedef enum
{
  DFT_EVALUATION_SCALE, /* answers 1 to 5 */
  DFT_EVALUATION_CHOICE,
  DFT_EVALUATION_TEXT,
} DftEvaluationKind;

/* One question of an evaluation form, over the final submissions in the selection. */
typedef struct
{
  char             *form_key;
  char             *form_title;
  char             *name;  /* the question's name in the form */
  char             *label; /* its label in the form's default language */
  DftEvaluationKind kind;
  guint             n_answers; /* non-empty answers */
  double            average;   /* SCALE: mean of the answers; NAN otherwise or when none */
  guint             scale[5];  /* SCALE: how many answered 1, 2, 3, 4, 5 */
  GPtrArray        *choices;   /* CHOICE: of DftIndicatorChoice, most chosen first */
  GStrv             texts;     /* TEXT: every non-empty answer, in the order given */
} DftEvaluationQuestion;

typedef struct
{
  char *value;
  char *label;
  guint count;
} DftIndicatorChoice;

typedef struct
{
  DftReportSelection *selection; /* a copy of what was asked */
  guint               n_workshops;
  guint               people;           /* unique participants */
  guint               women;            /* of them, female */
  guint               participations;   /* participant enrollments */
  guint               person_days;      /* of participants */
  guint               sessions;         /* in the selected workshops */
  double              attendance_rate;  /* over participants; NAN when undefined */
  guint               completed_people; /* unique participants who completed a workshop */
  guint               completed_women;
  guint               completed_participations;

  GPtrArray *breakdown; /* DftIndicatorGroup: gender × agency × country × role, all roles,
                         * by role, country, agency, gender */
  GPtrArray *by_gender; /* DftIndicatorGroup (participants): dft_gender_choices in order, then "" */
  GPtrArray *by_agency; /* DftIndicatorGroup (participants): most people first, then by name */
  GPtrArray *by_country; /* DftIndicatorGroup (participants): most people first, then by code */
  GPtrArray *by_role;    /* DftIndicatorGroup (everyone): dft_role_choices in order */
  GPtrArray *gender_by_agency; /* DftIndicatorGroup (participants): agency × gender, as by_agency */
  GPtrArray *workshops;        /* DftWorkshopFigures, by start date then title */
  GPtrArray *gains;            /* DftGainFigures: per workshop and test, by start date; then one
                                * overall line (event_id NULL) when any test was taken */
  GPtrArray *evaluation;       /* DftEvaluationQuestion, by form key then question order */
} DftIndicatorReport;

DftIndicatorReport *dft_indicator_report (DftStore                 *store,
                                          const DftReportSelection *selection,
                                          GCancellable             *cancellable,
                                          GError                  **error);
void                dft_indicator_report_async (DftStore                 *store,
                                                const DftReportSelection *selection,
                                                GCancellable             *cancellable,
                                                GAsyncReadyCallback       callback,
                                                gpointer                  user_data);
DftIndicatorReport *dft_indicator_report_finish (GAsyncResult *result, GError **error);
void                dft_indicator_report_free (DftIndicatorReport *report);

/* Each frees one element of the report's arrays (the arrays free theirs with them); for code
 * that builds a report of its own, such as the writers' tests. */
void dft_indicator_group_free (DftIndicatorGroup *group);
void dft_workshop_figures_free (DftWorkshopFigures *workshop);
void dft_gain_figures_free (DftGainFigures *gain);
void dft_indicator_choice_free (DftIndicatorChoice *choice);
void dft_evaluation_question_free (DftEvaluationQuestion *question);

/* The share of women among @people, NAN when @people is 0. */
double dft_indicator_women_share (guint women, guint people);

/* The values the selection can take in this store, for the Reports page's filters: distinct
 * non-empty workshop countries, tracks, and participants' agencies, each sorted; and the
 * workshops (id, title, start date) by start date. */
typedef struct
{
  GStrv      countries;
  GStrv      tracks;
  GStrv      agencies;
  GPtrArray *workshops; /* DftWorkshopFigures with only event_id, title, dates, country, track */
} DftReportChoices;

DftReportChoices *dft_report_choices (DftStore *store, GError **error);
void              dft_report_choices_free (DftReportChoices *choices);

/*
 * The report as JSON (numbers as numbers, NAN as null), with these members, stable:
 *   selection: { from, to (string or null), countries, tracks, event_ids, agencies (arrays of
 *                strings), completion_share }
 *   totals:    { workshops, sessions, people, women, women_share, participations, person_days,
 *                attendance_rate, completed_people, completed_women, completed_women_share,
 *                completed_participations }
 *   breakdown, by_gender, by_agency, by_country, by_role, gender_by_agency: arrays of
 *                { gender, agency, country, role (each only when grouped by it), people, women,
 *                  women_share, participations, person_days }
 *   workshops: [ { event_id, title, start_date, end_date, country, track, venue, language,
 *                  participants, women, women_share, sessions, attendance_rate, completed,
 *                  completed_women } ]
 *   gains:     [ { event_id, event_title, form_key, form_title (null on the overall line), n_pre,
 *                  n_post, n_pairs, mean_pre, mean_post, mean_gain, normalized_gain } ]
 *   evaluation: [ { form_key, form_title, name, label, kind ("scale", "choice", "text"),
 *                   n_answers, average, scale (five counts, empty unless "scale"),
 *                   choices ([ { value, label, count } ]), texts (array of strings) } ]
 * Shares and rates are fractions (0 to 1), scores and gains percent, normalized gain a fraction.
 */
JsonNode *dft_indicator_report_to_json (const DftIndicatorReport *report);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftReportSelection, dft_report_selection_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftIndicatorReport, dft_indicator_report_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftReportChoices, dft_report_choices_free)

G_END_DECLS
