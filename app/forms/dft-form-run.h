/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "dft-form.h"

G_BEGIN_DECLS

/*
 * One person filling in one form: the answers, and what the form's expressions say about
 * them (which questions are relevant, required, read-only, valid; what calculations give;
 * which choices a filter leaves). Answers live in an XML instance evaluated with libxml2's
 * XPath (dft-expr.h).
 *
 * Paths name one instance of a question: "/data/grp/q", and inside repeats
 * "/data/rep[2]/x" (1-based). A select multiple's answer is its values separated by spaces,
 * as in ODK.
 *
 * After an answer changes, only the fields whose expressions read it, directly or not, are
 * evaluated again, in dependency order (the graph dft_form_prepare() built).
 */

typedef struct _DftFormRun DftFormRun;

/* @form must be prepared. Fills defaults, start/today metadata and default expressions, and
 * evaluates every calculation. */
DftFormRun *dft_form_run_new (DftForm *form, GError **error);
void        dft_form_run_free (DftFormRun *run);
DftForm    *dft_form_run_get_form (DftFormRun *run);

/* The language jr:itext() reads texts in (the form's fallbacks apply), the form's default
 * language at first; calculations are worked out again in the new one. */
void dft_form_run_set_language (DftFormRun *run, const char *lang);

/* Values for metadata questions ("deviceid", "username"); set before answers are loaded. */
void dft_form_run_set_metadata (DftFormRun *run, const char *preload, const char *value);

/* Sets one answer and re-evaluates what depends on it. @changed, when not NULL, receives the
 * paths (with indexes) whose value, relevance, requiredness or read-only state may have
 * changed, for a screen to refresh. Fails for a path that is not a question of the form or is
 * read-only or calculated; a question whose calculation only suggests its answer
 * (dft_question_calculation_suggests()) takes it, and from then on keeps it. */
gboolean dft_form_run_set_answer (
    DftFormRun *run, const char *path, const char *value, GPtrArray **changed, GError **error);
/* The answer, "" when empty; NULL for a path that is not in the form. */
char *dft_form_run_get_answer (DftFormRun *run, const char *path);

/* Relevant: its own relevance and every enclosing group's. */
gboolean dft_form_run_is_relevant (DftFormRun *run, const char *path);
gboolean dft_form_run_is_required (DftFormRun *run, const char *path);
gboolean dft_form_run_is_read_only (DftFormRun *run, const char *path);

/* Whether the answer at @path is acceptable as it stands: of its type (a whole number, a
 * date…), within its constraint, and given when required (@for_finalize also checks
 * requiredness). On FALSE *message (may be NULL) says why in @lang, from the form's own
 * message when it has one. Irrelevant and empty optional questions are always acceptable. */
gboolean dft_form_run_check (
    DftFormRun *run, const char *path, const char *lang, gboolean for_finalize, char **message);

/* The choices offered at @path: its list, less what the choice filter leaves out. Element
 * type: DftChoice *, owned by the form. */
GPtrArray *dft_form_run_get_choices (DftFormRun *run, const char *path, GError **error);

/* Repeats: @path is a repeat without its own index ("/data/rep", "/data/outer[1]/inner"). */
guint dft_form_run_count_instances (DftFormRun *run, const char *path);
/* Adds an instance at the end; returns its index (1-based), 0 on error. */
guint dft_form_run_add_instance (DftFormRun *run, const char *path, GError **error);
gboolean
dft_form_run_remove_instance (DftFormRun *run, const char *path, guint index, GError **error);

/* Every instance path of @question, in order: one for a question outside repeats. */
GPtrArray *dft_form_run_instances_of (DftFormRun *run, DftQuestion *question);

typedef struct
{
  char *path;    /* "/data/rep[2]/x" */
  char *message; /* why it cannot be finalized */
} DftFormProblem;

/* What stands between these answers and a final submission, in form order: required
 * questions left empty and answers the constraints or types refuse. Element type:
 * DftFormProblem *. Empty when the form can be finalized. */
GPtrArray *dft_form_run_problems (DftFormRun *run, const char *lang);

/* The answers as a JSON object {"/data/q": "a", "/data/rep[1]/x": "2"}; with @final, answers of
 * irrelevant questions are left out (ODK keeps no answer a person could not see) and the
 * "end" metadata is stamped. */
char *dft_form_run_to_json (DftFormRun *run, gboolean final);
/* Reads saved answers, to show, export or save them: no action runs. */
gboolean dft_form_run_load_json (DftFormRun *run, const char *json, GError **error);
/* Reads a draft to go on filling it in: the form's odk-instance-load actions run then (its
 * odk-instance-first-load ones ran for the new submission only, when it started). */
gboolean dft_form_run_open_draft (DftFormRun *run, const char *json, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftFormRun, dft_form_run_free)

G_END_DECLS
