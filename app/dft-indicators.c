/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "dft-db.h"
#include "dft-indicators.h"
#include "dft-schema.h"
#include "dft-store-private.h"
#include "forms/dft-form-store.h"
#include "forms/dft-form.h"

/*
 * The report is a handful of aggregate queries in one read transaction, under the store's lock.
 * Temporary tables hold the selection: rpt_event the selected workshops (with their number of
 * sessions), rpt_part one row per live enrollment with the person's gender, agency and country
 * and what they attended (kept on write in participation_tally), rpt_group the finest breakdown
 * with people counted once, rpt_gain each person's latest pre-test and post-test per workshop
 * and test. Every figure is an aggregate over these, or over the evaluations' answers.
 */

/* ---- Selection -------------------------------------------------------- */

DftReportSelection *
dft_report_selection_new (void)
{
  DftReportSelection *selection = g_new0 (DftReportSelection, 1);

  selection->completion_share = 0.8;
  return selection;
}

DftReportSelection *
dft_report_selection_copy (const DftReportSelection *selection)
{
  DftReportSelection *copy = g_new0 (DftReportSelection, 1);

  g_return_val_if_fail (selection != NULL, NULL);

  copy->from = g_strdup (selection->from);
  copy->to = g_strdup (selection->to);
  copy->countries = g_strdupv (selection->countries);
  copy->tracks = g_strdupv (selection->tracks);
  copy->event_ids = g_strdupv (selection->event_ids);
  copy->agencies = g_strdupv (selection->agencies);
  copy->completion_share = selection->completion_share;
  return copy;
}

void
dft_report_selection_free (DftReportSelection *selection)
{
  if (selection == NULL)
    return;
  g_free (selection->from);
  g_free (selection->to);
  g_strfreev (selection->countries);
  g_strfreev (selection->tracks);
  g_strfreev (selection->event_ids);
  g_strfreev (selection->agencies);
  g_free (selection);
}

double
dft_indicator_women_share (guint women, guint people)
{
  return people > 0 ? (double) women / people : NAN;
}

/* ---- Freeing ---------------------------------------------------------- */

void
dft_indicator_group_free (DftIndicatorGroup *group)
{
  g_free (group->gender);
  g_free (group->agency);
  g_free (group->country);
  g_free (group->role);
  g_free (group);
}

void
dft_workshop_figures_free (DftWorkshopFigures *w)
{
  g_free (w->event_id);
  g_free (w->title);
  g_free (w->start_date);
  g_free (w->end_date);
  g_free (w->country);
  g_free (w->track);
  g_free (w->venue);
  g_free (w->language);
  g_free (w);
}

void
dft_gain_figures_free (DftGainFigures *g)
{
  g_free (g->event_id);
  g_free (g->event_title);
  g_free (g->form_key);
  g_free (g->form_title);
  g_free (g);
}

void
dft_indicator_choice_free (DftIndicatorChoice *c)
{
  g_free (c->value);
  g_free (c->label);
  g_free (c);
}

void
dft_evaluation_question_free (DftEvaluationQuestion *q)
{
  g_free (q->form_key);
  g_free (q->form_title);
  g_free (q->name);
  g_free (q->label);
  g_clear_pointer (&q->choices, g_ptr_array_unref);
  g_strfreev (q->texts);
  g_free (q);
}

void
dft_indicator_report_free (DftIndicatorReport *report)
{
  if (report == NULL)
    return;
  dft_report_selection_free (report->selection);
  g_clear_pointer (&report->breakdown, g_ptr_array_unref);
  g_clear_pointer (&report->by_gender, g_ptr_array_unref);
  g_clear_pointer (&report->by_agency, g_ptr_array_unref);
  g_clear_pointer (&report->by_country, g_ptr_array_unref);
  g_clear_pointer (&report->by_role, g_ptr_array_unref);
  g_clear_pointer (&report->gender_by_agency, g_ptr_array_unref);
  g_clear_pointer (&report->workshops, g_ptr_array_unref);
  g_clear_pointer (&report->gains, g_ptr_array_unref);
  g_clear_pointer (&report->evaluation, g_ptr_array_unref);
  g_free (report);
}

/* ---- Reading ---------------------------------------------------------- */

typedef struct
{
  DftStore     *store;
  sqlite3      *db;
  GCancellable *cancellable;
} Run;

static int
progress_cb (void *data)
{
  Run *run = data;

  return g_cancellable_is_cancelled (run->cancellable);
}

static gboolean
check_cancelled (Run *run, GError **error)
{
  return !g_cancellable_set_error_if_cancelled (run->cancellable, error);
}

static char *
column_dup (sqlite3_stmt *stmt, int column)
{
  const char *text = (const char *) sqlite3_column_text (stmt, column);

  return g_strdup (text != NULL ? text : "");
}

static char *
column_dup_or_null (sqlite3_stmt *stmt, int column)
{
  return sqlite3_column_type (stmt, column) == SQLITE_NULL ? NULL : column_dup (stmt, column);
}

static double
column_double_or_nan (sqlite3_stmt *stmt, int column)
{
  return sqlite3_column_type (stmt, column) == SQLITE_NULL ? NAN
                                                           : sqlite3_column_double (stmt, column);
}

/* A list as a JSON array for json_each(), NULL when it selects everything. */
static char *
list_json (GStrv list)
{
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (JsonNode)    root = NULL;

  if (list == NULL || list[0] == NULL)
    return NULL;
  builder = json_builder_new ();
  json_builder_begin_array (builder);
  for (guint i = 0; list[i] != NULL; i++)
    json_builder_add_string_value (builder, list[i]);
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static gboolean
prepare (Run *run, const char *sql, sqlite3_stmt **stmt, GError **error)
{
  if (!check_cancelled (run, error))
    return FALSE;
  return dft_db_prepare (run->db, sql, stmt, error);
}

/* Steps @stmt to the end, for statements that return no rows. */
static gboolean
run_done (Run *run, sqlite3_stmt *stmt, GError **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_INTERRUPT)
    return check_cancelled (run, error);
  if (rc != SQLITE_DONE)
    return dft_db_set_error (error, run->db, rc, _ ("computing the indicator report"));
  return TRUE;
}

/* Called after the last row: SQLITE_DONE, or the error that stopped it. */
static gboolean
rows_done (Run *run, int rc, GError **error)
{
  if (rc == SQLITE_INTERRUPT && !check_cancelled (run, error))
    return FALSE;
  if (rc != SQLITE_DONE)
    return dft_db_set_error (error, run->db, rc, _ ("computing the indicator report"));
  return TRUE;
}

/* The temporary tables of a report, emptied before and after. rpt_group holds the finest
 * breakdown (role × gender × agency × country) with its people counted once: gender, agency
 * and country are the person's, so the people of coarser groups are sums of its lines. */
static const char temp_tables_sql[]
    = "CREATE TEMP TABLE IF NOT EXISTS rpt_event (id TEXT PRIMARY KEY, title TEXT, start_date TEXT,"
      "  end_date TEXT, country TEXT, track TEXT, venue TEXT, language TEXT, sessions INTEGER);"
      "CREATE TEMP TABLE IF NOT EXISTS rpt_part (event_id TEXT, person_id TEXT, role TEXT,"
      "  gender TEXT, agency TEXT, country TEXT, sessions INTEGER, attended INTEGER,"
      "  days INTEGER, completed INTEGER, PRIMARY KEY (event_id, person_id)) WITHOUT ROWID;"
      "CREATE TEMP TABLE IF NOT EXISTS rpt_group (role TEXT, gender TEXT, agency TEXT,"
      "  country TEXT, people INTEGER, women INTEGER, completed_people INTEGER,"
      "  completed_women INTEGER, participations INTEGER, days INTEGER, attended INTEGER,"
      "  possible INTEGER, completed INTEGER);"
      "CREATE TEMP TABLE IF NOT EXISTS rpt_gain (event_id TEXT, test TEXT, person_id TEXT,"
      "  pre REAL, post REAL);";

static const char clear_sql[]
    = "DELETE FROM temp.rpt_event;"
      "DELETE FROM temp.rpt_part; DELETE FROM temp.rpt_group; DELETE FROM temp.rpt_gain;";

/* ?1 from, ?2 to, ?3 countries, ?4 tracks, ?5 workshops (JSON arrays or NULL). */
static const char select_events_sql[]
    = "INSERT INTO temp.rpt_event"
      " SELECT e.id, coalesce (e.title, ''), coalesce (e.start_date, ''),"
      "  coalesce (e.end_date, ''), coalesce (e.country, ''), coalesce (e.track, ''),"
      "  coalesce (e.venue, ''), coalesce (e.language, ''),"
      "  (SELECT count (*) FROM session s WHERE s.event_id = e.id AND s.deleted = 0)"
      " FROM event e WHERE e.deleted = 0"
      "  AND (?1 IS NULL OR e.start_date >= ?1) AND (?2 IS NULL OR e.start_date <= ?2)"
      "  AND (?3 IS NULL OR e.country IN (SELECT value FROM json_each (?3)))"
      "  AND (?4 IS NULL OR e.track IN (SELECT value FROM json_each (?4)))"
      "  AND (?5 IS NULL OR e.id IN (SELECT value FROM json_each (?5)))";

/* ?1 agencies (JSON array or NULL), ?2 the completion share. One row per live enrollment of a
 * live person not merged away, with the marks (present or late) and distinct days the store
 * keeps for it in participation_tally (migration 10). */
static const char select_participations_sql[]
    = "INSERT OR IGNORE INTO temp.rpt_part"
      " SELECT n.event_id, n.person_id, coalesce (n.role, ''), coalesce (p.gender, ''),"
      "  coalesce (p.agency, ''), coalesce (p.country, ''), ev.sessions,"
      "  coalesce (t.attended, 0), coalesce (t.days, 0),"
      "  ev.sessions > 0 AND coalesce (t.attended, 0) >= ?2 * ev.sessions - 1e-9"
      " FROM temp.rpt_event ev CROSS JOIN enrollment n"
      " JOIN person p ON p.id = n.person_id AND p.deleted = 0 AND p.merged_into IS NULL"
      " LEFT JOIN participation_tally t ON t.event_id = n.event_id AND t.person_id = n.person_id"
      " WHERE n.event_id = ev.id AND n.deleted = 0 AND n.merge_hidden = 0"
      "  AND (?1 IS NULL OR coalesce (p.agency, '') IN (SELECT value FROM json_each (?1)))";

static const char select_groups_sql[]
    = "INSERT INTO temp.rpt_group"
      " SELECT role, gender, agency, country, dft_distinct (person_id),"
      "  CASE WHEN gender = 'female' THEN dft_distinct (person_id) ELSE 0 END,"
      "  dft_distinct (CASE WHEN completed THEN person_id END),"
      "  CASE WHEN gender = 'female' THEN dft_distinct (CASE WHEN completed THEN person_id END)"
      "   ELSE 0 END,"
      "  count (*), sum (days), sum (attended), sum (sessions), sum (completed)"
      " FROM temp.rpt_part GROUP BY role, gender, agency, country";

/* dft_distinct (value): count (DISTINCT value), with a hash table rather than the b-tree SQLite
 * builds for it; NULL is not counted. */
typedef struct
{
  GHashTable *seen;
} Distinct;

static void
distinct_step (sqlite3_context *context, int argc, sqlite3_value **argv)
{
  Distinct   *agg = sqlite3_aggregate_context (context, sizeof (Distinct));
  const char *value = (const char *) sqlite3_value_text (argv[0]);

  if (agg == NULL || value == NULL)
    return;
  if (agg->seen == NULL)
    agg->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (!g_hash_table_contains (agg->seen, value))
    g_hash_table_add (agg->seen, g_strdup (value));
}

static void
distinct_final (sqlite3_context *context)
{
  Distinct *agg = sqlite3_aggregate_context (context, 0);

  sqlite3_result_int (context,
                      agg != NULL && agg->seen != NULL ? (int) g_hash_table_size (agg->seen) : 0);
  if (agg != NULL)
    g_clear_pointer (&agg->seen, g_hash_table_unref);
}

/* dft_latest (at, id, value): the value of the row with the greatest (at, id), each compared
 * as bytes (as max () compares text), of the rows whose at is not NULL; NULL if none. Two
 * columns rather than one string made of both, built for each of 200,000 tests. */
typedef struct
{
  char          *at;
  char          *id;
  sqlite3_value *value;
} Latest;

static void
latest_step (sqlite3_context *context, int argc, sqlite3_value **argv)
{
  Latest     *agg = sqlite3_aggregate_context (context, sizeof (Latest));
  const char *at = (const char *) sqlite3_value_text (argv[0]);
  const char *id = (const char *) sqlite3_value_text (argv[1]);
  int         order;

  if (agg == NULL || at == NULL)
    return;
  if (agg->at != NULL)
    {
      order = strcmp (at, agg->at);
      if (order < 0 || (order == 0 && g_strcmp0 (id, agg->id) <= 0))
        return;
    }
  g_free (agg->at);
  agg->at = g_strdup (at);
  g_free (agg->id);
  agg->id = g_strdup (id);
  sqlite3_value_free (agg->value);
  agg->value = sqlite3_value_dup (argv[2]);
}

static void
latest_final (sqlite3_context *context)
{
  Latest *agg = sqlite3_aggregate_context (context, 0);

  if (agg == NULL)
    {
      sqlite3_result_null (context);
      return;
    }
  if (agg->value != NULL)
    sqlite3_result_value (context, agg->value);
  else
    sqlite3_result_null (context);
  g_clear_pointer (&agg->at, g_free);
  g_clear_pointer (&agg->id, g_free);
  g_clear_pointer (&agg->value, sqlite3_value_free);
}

static int
make_functions (sqlite3 *db)
{
  int rc = sqlite3_create_function_v2 (db, "dft_distinct", 1,
                                       SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL,
                                       NULL, distinct_step, distinct_final, NULL);

  if (rc == SQLITE_OK)
    rc = sqlite3_create_function_v2 (db, "dft_latest", 3,
                                     SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL,
                                     NULL, latest_step, latest_final, NULL);
  return rc;
}

/* Makes dft_distinct() and dft_latest() on the store's connection, once. */
static gboolean
make_store_functions (Run *run, GError **error)
{
  int rc;

  if (g_object_get_data (G_OBJECT (run->store), "dft-indicators-functions") != NULL)
    return TRUE;
  rc = make_functions (run->db);
  if (rc != SQLITE_OK)
    return dft_db_set_error (error, run->db, rc, _ ("computing the indicator report"));
  g_object_set_data (G_OBJECT (run->store), "dft-indicators-functions", GINT_TO_POINTER (TRUE));
  return TRUE;
}

/* Runs @sql, which has no parameters and returns no rows. */
static gboolean
run_sql (Run *run, const char *sql, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  return prepare (run, sql, &stmt, error) && run_done (run, stmt, error);
}

/* The selected workshops into rpt_event. */
static gboolean
select_events (Run *run, const DftReportSelection *selection, GError **error)
{
  g_autoptr (sqlite3_stmt) events = NULL;
  g_autofree char         *countries = list_json (selection->countries);
  g_autofree char         *tracks = list_json (selection->tracks);
  g_autofree char         *event_ids = list_json (selection->event_ids);

  if (!dft_db_exec (run->db, temp_tables_sql, error) || !dft_db_exec (run->db, clear_sql, error)
      || !prepare (run, select_events_sql, &events, error))
    return FALSE;
  sqlite3_bind_text (events, 1, selection->from, -1, SQLITE_STATIC);
  sqlite3_bind_text (events, 2, selection->to, -1, SQLITE_STATIC);
  sqlite3_bind_text (events, 3, countries, -1, SQLITE_STATIC);
  sqlite3_bind_text (events, 4, tracks, -1, SQLITE_STATIC);
  sqlite3_bind_text (events, 5, event_ids, -1, SQLITE_STATIC);
  return run_done (run, events, error);
}

/* The participations in the selected workshops and the finest breakdown. */
static gboolean
select_participations (Run *run, const DftReportSelection *selection, GError **error)
{
  g_autoptr (sqlite3_stmt) participations = NULL;
  g_autofree char         *agencies = list_json (selection->agencies);

  if (!make_store_functions (run, error)
      || !prepare (run, select_participations_sql, &participations, error))
    return FALSE;
  sqlite3_bind_text (participations, 1, agencies, -1, SQLITE_STATIC);
  sqlite3_bind_double (participations, 2, selection->completion_share);
  return run_done (run, participations, error) && run_sql (run, select_groups_sql, error);
}

static const char totals_sql[]
    = "SELECT (SELECT count (*) FROM temp.rpt_event), (SELECT total (sessions) FROM "
      "temp.rpt_event),"
      " total (people), total (women), total (participations), total (days),"
      " total (attended), total (possible), total (completed_people),"
      " total (completed_women), total (completed)"
      " FROM temp.rpt_group WHERE role = 'participant'";

static gboolean
read_totals (Run *run, DftIndicatorReport *report, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int                      rc;

  if (!prepare (run, totals_sql, &stmt, error))
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      double attended = sqlite3_column_double (stmt, 6);
      double possible = sqlite3_column_double (stmt, 7);

      report->n_workshops = (guint) sqlite3_column_int (stmt, 0);
      report->sessions = (guint) sqlite3_column_double (stmt, 1);
      report->people = (guint) sqlite3_column_double (stmt, 2);
      report->women = (guint) sqlite3_column_double (stmt, 3);
      report->participations = (guint) sqlite3_column_double (stmt, 4);
      report->person_days = (guint) sqlite3_column_double (stmt, 5);
      report->attendance_rate = possible > 0 ? attended / possible : NAN;
      report->completed_people = (guint) sqlite3_column_double (stmt, 8);
      report->completed_women = (guint) sqlite3_column_double (stmt, 9);
      report->completed_participations = (guint) sqlite3_column_double (stmt, 10);
      rc = SQLITE_DONE;
    }
  return rows_done (run, rc, error);
}

/* Orders of the choices, as SQL. */
#define GENDER_ORDER(c)                                                                            \
  "CASE " c " WHEN 'female' THEN 0 WHEN 'male' THEN 1 WHEN 'other' THEN 2"                         \
  " WHEN 'undisclosed' THEN 3 ELSE 4 END"
#define ROLE_ORDER(c)                                                                              \
  "CASE " c " WHEN 'participant' THEN 0 WHEN 'trainer' THEN 1 WHEN 'observer' THEN 2 ELSE 3 END"

/* The groups of one breakdown: @dims chooses the columns (the others are NULL). */
typedef enum
{
  BY_GENDER = 1 << 0,
  BY_AGENCY = 1 << 1,
  BY_COUNTRY = 1 << 2,
  BY_ROLE = 1 << 3,
} Dims;

static GPtrArray *
read_groups (Run *run, Dims dims, gboolean participants, const char *order_by, GError **error)
{
  g_autoptr (GPtrArray) groups
      = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_indicator_group_free);
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GString)      group_by = g_string_new (NULL);
  g_autofree char         *sql = NULL;
  const char              *names[] = { "gender", "agency", "country", "role" };
  int                      rc;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (dims & (1 << i))
      g_string_append_printf (group_by, "%s%s", group_by->len > 0 ? ", " : "", names[i]);
  sql = g_strdup_printf (
      "SELECT %s, %s, %s, %s, total (people), total (women), total (participations),"
      " total (days) FROM temp.rpt_group %s GROUP BY %s ORDER BY %s",
      dims & BY_GENDER ? "gender" : "NULL", dims & BY_AGENCY ? "agency" : "NULL",
      dims & BY_COUNTRY ? "country" : "NULL", dims & BY_ROLE ? "role" : "NULL",
      participants ? "WHERE role = 'participant'" : "", group_by->str, order_by);
  if (!prepare (run, sql, &stmt, error))
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      DftIndicatorGroup *group = g_new0 (DftIndicatorGroup, 1);

      group->gender = column_dup_or_null (stmt, 0);
      group->agency = column_dup_or_null (stmt, 1);
      group->country = column_dup_or_null (stmt, 2);
      group->role = column_dup_or_null (stmt, 3);
      group->people = (guint) sqlite3_column_double (stmt, 4);
      group->women = (guint) sqlite3_column_double (stmt, 5);
      group->participations = (guint) sqlite3_column_double (stmt, 6);
      group->person_days = (guint) sqlite3_column_double (stmt, 7);
      g_ptr_array_add (groups, group);
    }
  if (!rows_done (run, rc, error))
    return NULL;
  return g_steal_pointer (&groups);
}

/* Every one of @choices has its line, with zeros when nobody has it, in the choices' order;
 * then the lines of other values ("" for not given) as they came. */
static void
complete_groups (GPtrArray *groups, const char *const *choices, gboolean by_role)
{
  g_autoptr (GPtrArray) others = g_ptr_array_new ();
  g_autoptr (GPtrArray) ordered = g_ptr_array_new ();

  for (guint c = 0; choices[c] != NULL; c++)
    {
      DftIndicatorGroup *found = NULL;

      for (guint i = 0; i < groups->len && found == NULL; i++)
        {
          DftIndicatorGroup *g = g_ptr_array_index (groups, i);

          if (g_strcmp0 (by_role ? g->role : g->gender, choices[c]) == 0)
            found = g;
        }
      if (found == NULL)
        {
          found = g_new0 (DftIndicatorGroup, 1);
          if (by_role)
            found->role = g_strdup (choices[c]);
          else
            found->gender = g_strdup (choices[c]);
        }
      g_ptr_array_add (ordered, found);
    }
  for (guint i = 0; i < groups->len; i++)
    {
      DftIndicatorGroup *g = g_ptr_array_index (groups, i);

      if (!g_strv_contains (choices, by_role ? g->role : g->gender))
        g_ptr_array_add (others, g);
    }
  /* Move the groups over without freeing them. */
  g_ptr_array_set_free_func (groups, NULL);
  g_ptr_array_set_size (groups, 0);
  g_ptr_array_set_free_func (groups, (GDestroyNotify) dft_indicator_group_free);
  g_ptr_array_extend (groups, ordered, NULL, NULL);
  g_ptr_array_extend (groups, others, NULL, NULL);
}

static gboolean
read_breakdowns (Run *run, DftIndicatorReport *report, GError **error)
{
  report->breakdown = read_groups (
      run, BY_GENDER | BY_AGENCY | BY_COUNTRY | BY_ROLE, FALSE,
      ROLE_ORDER ("role") ", country, agency, " GENDER_ORDER ("gender") ", gender", error);
  if (report->breakdown == NULL)
    return FALSE;
  report->by_gender = read_groups (run, BY_GENDER, TRUE, GENDER_ORDER ("gender") ", gender", error);
  if (report->by_gender == NULL)
    return FALSE;
  complete_groups (report->by_gender, dft_gender_choices, FALSE);
  report->by_agency = read_groups (run, BY_AGENCY, TRUE, "5 DESC, agency", error);
  if (report->by_agency == NULL)
    return FALSE;
  report->by_country = read_groups (run, BY_COUNTRY, TRUE, "5 DESC, country", error);
  if (report->by_country == NULL)
    return FALSE;
  report->by_role = read_groups (run, BY_ROLE, FALSE, ROLE_ORDER ("role") ", role", error);
  if (report->by_role == NULL)
    return FALSE;
  complete_groups (report->by_role, dft_role_choices, TRUE);
  /* A person has one agency: the agency's people are the sum over its genders. */
  report->gender_by_agency
      = read_groups (run, BY_GENDER | BY_AGENCY, TRUE,
                     "sum (total (people)) OVER (PARTITION BY agency) DESC, agency, " GENDER_ORDER (
                         "gender") ", gender",
                     error);
  return report->gender_by_agency != NULL;
}

static const char workshops_sql[]
    = "SELECT ev.id, ev.title, ev.start_date, ev.end_date, ev.country, ev.track, ev.venue,"
      " ev.language, ev.sessions, count (p.person_id),"
      " count (CASE WHEN p.gender = 'female' THEN 1 END), total (p.attended),"
      " total (p.completed), total (CASE WHEN p.completed AND p.gender = 'female' THEN 1 END)"
      " FROM temp.rpt_event ev"
      " LEFT JOIN temp.rpt_part p ON p.event_id = ev.id AND p.role = 'participant'"
      " GROUP BY ev.id ORDER BY ev.start_date, ev.title, ev.id";

static gboolean
read_workshops (Run *run, DftIndicatorReport *report, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int                      rc;

  report->workshops = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_workshop_figures_free);
  if (!prepare (run, workshops_sql, &stmt, error))
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      DftWorkshopFigures *w = g_new0 (DftWorkshopFigures, 1);
      double              possible;

      w->event_id = column_dup (stmt, 0);
      w->title = column_dup (stmt, 1);
      w->start_date = column_dup (stmt, 2);
      w->end_date = column_dup (stmt, 3);
      w->country = column_dup (stmt, 4);
      w->track = column_dup (stmt, 5);
      w->venue = column_dup (stmt, 6);
      w->language = column_dup (stmt, 7);
      w->sessions = (guint) sqlite3_column_int (stmt, 8);
      w->participants = (guint) sqlite3_column_int (stmt, 9);
      w->women = (guint) sqlite3_column_int (stmt, 10);
      possible = (double) w->participants * w->sessions;
      w->attendance_rate = possible > 0 ? sqlite3_column_double (stmt, 11) / possible : NAN;
      w->completed = (guint) sqlite3_column_double (stmt, 12);
      w->completed_women = (guint) sqlite3_column_double (stmt, 13);
      g_ptr_array_add (report->workshops, w);
    }
  return rows_done (run, rc, error);
}

/*
 * Gains: the rules of dft_store_list_test_scores(). A test is a form key with the keys it is
 * paired with (either form naming the other as "pairs_with"), named by the first of them in C
 * order. Per workshop, test, person and phase the latest final scored submission stands, a
 * correction standing for what it corrects; a submission without a phase takes its form's.
 * With agencies selected, only the tests of people in the selection count. ?1: agencies.
 */
static const char select_gains_sql[]
    = "INSERT INTO temp.rpt_gain"
      " WITH pairs (a, b) AS ("
      "   SELECT DISTINCT form_key, json_extract (definition, '$.pairs_with') FROM form"
      "   WHERE json_extract (definition, '$.pairs_with') IS NOT NULL),"
      " tests (form_id, test, phase) AS MATERIALIZED ("
      "   SELECT f.id, min (f.form_key,"
      "     coalesce ((SELECT min (b) FROM pairs WHERE a = f.form_key), f.form_key),"
      "     coalesce ((SELECT min (a) FROM pairs WHERE b = f.form_key), f.form_key)),"
      "    json_extract (f.definition, '$.phase')"
      "   FROM form f),"
      /* Every scored submission of the selected workshops, from the index submission_score. */
      " taken AS ("
      "   SELECT s.event_id, t.test, s.person_id, coalesce (s.phase, t.phase) AS phase, s.score,"
      "    coalesce (s.finished_at, s.updated_at) AS at, s.id"
      "   FROM temp.rpt_event ev CROSS JOIN submission s INDEXED BY submission_score"
      "   JOIN tests t ON t.form_id = s.form_id"
      "   WHERE s.event_id = ev.id AND s.score IS NOT NULL AND s.deleted = 0"
      "    AND s.status = 'final' AND s.person_id IS NOT NULL"
      "    AND coalesce (s.phase, t.phase) IN ('pre', 'post')"
      "    AND NOT EXISTS (SELECT 1 FROM submission c WHERE c.supersedes = s.id"
      "                    AND c.deleted = 0 AND c.status = 'final')"
      "    AND (?1 IS NULL OR EXISTS (SELECT 1 FROM temp.rpt_part r"
      "                               WHERE r.event_id = s.event_id AND r.person_id = "
      "s.person_id)))"
      /* The latest of each phase, when finished, then id, as dft_store_list_test_scores()
       * orders them: one grouping, rather than one per phase and one to pair them. */
      " SELECT event_id, test, person_id,"
      "  dft_latest (CASE WHEN phase = 'pre' THEN at END, id, score),"
      "  dft_latest (CASE WHEN phase = 'post' THEN at END, id, score)"
      " FROM taken GROUP BY event_id, test, person_id";

#define GAIN_FIGURES                                                                               \
  " count (g.pre), count (g.post), count (g.pre + g.post), avg (g.pre), avg (g.post),"             \
  " avg (g.post - g.pre), avg (CASE WHEN g.post IS NOT NULL THEN g.pre END),"                      \
  " avg (CASE WHEN g.pre IS NOT NULL THEN g.post END)"

static const char gains_sql[]
    = "SELECT g.event_id, ev.title, g.test,"
      " (SELECT title FROM form WHERE form_key = g.test ORDER BY version DESC LIMIT "
      "1)," GAIN_FIGURES " FROM temp.rpt_gain g JOIN temp.rpt_event ev ON ev.id = g.event_id"
      " GROUP BY g.event_id, g.test ORDER BY ev.start_date, ev.title, g.event_id, g.test";

static const char overall_gain_sql[]
    = "SELECT NULL, NULL, NULL, NULL," GAIN_FIGURES " FROM temp.rpt_gain g"
      " HAVING count (*) > 0";

static gboolean
read_gain_rows (Run *run, const char *sql, GPtrArray *gains, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int                      rc;

  if (!prepare (run, sql, &stmt, error))
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      DftGainFigures *g = g_new0 (DftGainFigures, 1);
      double          pair_pre, pair_post;

      g->event_id = column_dup_or_null (stmt, 0);
      g->event_title = column_dup_or_null (stmt, 1);
      g->form_key = column_dup_or_null (stmt, 2);
      g->form_title = column_dup_or_null (stmt, 3);
      if (g->form_key != NULL && g->form_title == NULL)
        g->form_title = g_strdup (g->form_key);
      g->n_pre = (guint) sqlite3_column_int (stmt, 4);
      g->n_post = (guint) sqlite3_column_int (stmt, 5);
      g->n_pairs = (guint) sqlite3_column_int (stmt, 6);
      g->mean_pre = column_double_or_nan (stmt, 7);
      g->mean_post = column_double_or_nan (stmt, 8);
      g->mean_gain = column_double_or_nan (stmt, 9);
      pair_pre = column_double_or_nan (stmt, 10);
      pair_post = column_double_or_nan (stmt, 11);
      /* Hake's gain of the class, from the pairs' means, as dft_assessment_gain(). */
      g->normalized_gain
          = g->n_pairs > 0 && pair_pre < 100 ? (pair_post - pair_pre) / (100 - pair_pre) : NAN;
      g_ptr_array_add (gains, g);
    }
  return rows_done (run, rc, error);
}

static gboolean
read_gains (Run                      *run,
            const DftReportSelection *selection,
            DftIndicatorReport       *report,
            GError                  **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autofree char         *agencies = list_json (selection->agencies);

  report->gains = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_gain_figures_free);
  if (!prepare (run, select_gains_sql, &stmt, error))
    return FALSE;
  sqlite3_bind_text (stmt, 1, agencies, -1, SQLITE_STATIC);
  return run_done (run, stmt, error) && read_gain_rows (run, gains_sql, report->gains, error)
         && read_gain_rows (run, overall_gain_sql, report->gains, error);
}

/* ---- Evaluation ------------------------------------------------------- */

/* The live final submissions of evaluation forms in the selected workshops, none superseded;
 * one row per non-empty answer. The schema keeps answers valid JSON; answers that are not an
 * object give keys that name no question. SQLite 3.40 parses the JSON again for every json_*
 * call, so json_each is the only one. */
#define EVALUATION_ANSWERS                                                                         \
  " FROM temp.rpt_event ev CROSS JOIN form f CROSS JOIN submission s, json_each (s.answers) j"     \
  " WHERE f.kind = 'evaluation' AND s.event_id = ev.id AND s.form_id = f.id"                       \
  "  AND s.deleted = 0 AND s.status = 'final'"                                                     \
  "  AND NOT EXISTS (SELECT 1 FROM submission c WHERE c.supersedes = s.id AND c.deleted = 0"       \
  "                  AND c.status = 'final')"                                                      \
  "  AND j.type IN ('text', 'integer', 'real') AND trim (j.value) <> ''"

static const char evaluation_forms_sql[]
    = "SELECT form_key, title, definition FROM form f"
      " WHERE kind = 'evaluation' AND deleted = 0"
      "  AND EXISTS (SELECT 1 FROM form f2 CROSS JOIN submission s"
      "              WHERE f2.form_key = f.form_key AND s.form_id = f2.id AND s.deleted = 0"
      "               AND s.event_id IN (SELECT id FROM temp.rpt_event))"
      " ORDER BY form_key, version DESC";

static const char evaluation_counts_sql[]
    = "SELECT f.form_key, j.key, trim (j.value), count (*)" EVALUATION_ANSWERS
      " GROUP BY f.form_key, j.key, trim (j.value)";

static const char evaluation_texts_sql[]
    = "SELECT trim (j.value)" EVALUATION_ANSWERS " AND f.form_key = ?1 AND j.key = ?2"
      " ORDER BY coalesce (s.finished_at, s.started_at, s.created_at), s.id";

typedef struct
{
  DftEvaluationQuestion *question;
  DftQuestion           *definition;
  DftForm               *form;
  GHashTable            *counts; /* value → count, CHOICE */
  GPtrArray             *texts;
  char                  *path;
} Asked;

static void
asked_free (Asked *asked)
{
  if (asked->question != NULL)
    dft_evaluation_question_free (asked->question);
  g_clear_pointer (&asked->counts, g_hash_table_unref);
  g_clear_pointer (&asked->texts, g_ptr_array_unref);
  g_free (asked->path);
  g_free (asked);
}

/* A scale question: its answers are the numbers 1 to 5. */
static gboolean
is_scale (DftForm *form, DftQuestion *q)
{
  DftChoiceList *list;

  if (q->type == DFT_QUESTION_INTEGER)
    return TRUE;
  if (q->type != DFT_QUESTION_LIKERT && q->type != DFT_QUESTION_SELECT_ONE)
    return FALSE;
  list = q->choice_list != NULL ? g_hash_table_lookup (form->choice_lists, q->choice_list) : NULL;
  if (list == NULL || list->choices->len != 5)
    return FALSE;
  for (guint i = 0; i < 5; i++)
    {
      DftChoice *c = g_ptr_array_index (list->choices, i);
      char       want[2] = { (char) ('1' + i), 0 };

      if (g_strcmp0 (c->value, want) != 0)
        return FALSE;
    }
  return TRUE;
}

typedef struct
{
  DftForm    *form;
  const char *form_key;
  const char *form_title;
  GPtrArray  *asked;
} CollectQuestions;

static void
collect_question_cb (DftQuestion *q, gpointer user_data)
{
  CollectQuestions *collect = user_data;
  DftEvaluationKind kind;
  Asked            *asked;
  const char       *label;

  switch (q->type)
    {
    case DFT_QUESTION_TEXT:
      kind = DFT_EVALUATION_TEXT;
      break;
    case DFT_QUESTION_INTEGER:
    case DFT_QUESTION_SELECT_ONE:
    case DFT_QUESTION_SELECT_MULTIPLE:
    case DFT_QUESTION_LIKERT:
      kind = is_scale (collect->form, q) ? DFT_EVALUATION_SCALE : DFT_EVALUATION_CHOICE;
      break;
    case DFT_QUESTION_DECIMAL:
    case DFT_QUESTION_DATE:
    case DFT_QUESTION_TIME:
    case DFT_QUESTION_DATETIME:
    case DFT_QUESTION_GEOPOINT:
    case DFT_QUESTION_GEOTRACE:
    case DFT_QUESTION_GEOSHAPE:
    case DFT_QUESTION_BARCODE:
    case DFT_QUESTION_IMAGE:
    case DFT_QUESTION_AUDIO:
    case DFT_QUESTION_VIDEO:
    case DFT_QUESTION_FILE:
    case DFT_QUESTION_RANGE:
    case DFT_QUESTION_NOTE:
    case DFT_QUESTION_ACKNOWLEDGE:
    case DFT_QUESTION_CALCULATE:
    case DFT_QUESTION_METADATA:
    case DFT_QUESTION_GROUP:
    case DFT_QUESTION_REPEAT:
    case DFT_QUESTION_UNSUPPORTED:
    case DFT_QUESTION_RANK: /* an order, which no count of choices sums up */
    default:
      return;
    }
  asked = g_new0 (Asked, 1);
  asked->definition = q;
  asked->form = collect->form;
  asked->path = g_strdup (q->path);
  asked->question = g_new0 (DftEvaluationQuestion, 1);
  asked->question->form_key = g_strdup (collect->form_key);
  asked->question->form_title = g_strdup (collect->form_title);
  asked->question->name = g_strdup (q->name);
  label = q->label != NULL
              ? dft_form_text (collect->form, q->label, collect->form->default_language, NULL)
              : NULL;
  asked->question->label = g_strdup (label != NULL ? label : q->name);
  asked->question->kind = kind;
  asked->question->average = NAN;
  asked->counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  asked->texts = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (collect->asked, asked);
}

/* The question an answer's key names: its path ("/data/q1"), or its bare name. */
static Asked *
find_asked (GPtrArray *asked, const char *form_key, const char *key)
{
  const char *slash = strrchr (key, '/');

  for (guint i = 0; i < asked->len; i++)
    {
      Asked *a = g_ptr_array_index (asked, i);

      if (strcmp (a->question->form_key, form_key) != 0)
        continue;
      if (g_strcmp0 (a->path, key) == 0 || (slash == NULL && strcmp (a->question->name, key) == 0))
        return a;
    }
  return NULL;
}

static void
count_answer (Asked *asked, const char *value, guint n)
{
  DftEvaluationQuestion *q = asked->question;

  switch (q->kind)
    {
    case DFT_EVALUATION_SCALE:
      {
        char  *end = NULL;
        gint64 v = g_ascii_strtoll (value, &end, 10);

        q->n_answers += n;
        if (end != value && *end == '\0' && v >= 1 && v <= 5)
          q->scale[v - 1] += n;
        break;
      }
    case DFT_EVALUATION_CHOICE:
      {
        /* A select multiple answers its values separated by spaces. */
        g_auto (GStrv) picks = asked->definition->type == DFT_QUESTION_SELECT_MULTIPLE
                                   ? g_strsplit_set (value, " ", -1)
                                   : g_strdupv ((char *[]){ (char *) value, NULL });

        q->n_answers += n;
        for (guint i = 0; picks[i] != NULL; i++)
          if (picks[i][0] != '\0')
            {
              guint before = GPOINTER_TO_UINT (g_hash_table_lookup (asked->counts, picks[i]));

              g_hash_table_insert (asked->counts, g_strdup (picks[i]),
                                   GUINT_TO_POINTER (before + n));
            }
        break;
      }
    case DFT_EVALUATION_TEXT:
      q->n_answers += n;
      break;
    default:
      break;
    }
}

static int
compare_choices (gconstpointer a, gconstpointer b)
{
  const DftIndicatorChoice *x = *(DftIndicatorChoice *const *) a;
  const DftIndicatorChoice *y = *(DftIndicatorChoice *const *) b;

  return x->count != y->count ? (x->count > y->count ? -1 : 1) : 0;
}

static void
finish_question (Asked *asked)
{
  DftEvaluationQuestion *q = asked->question;
  DftChoiceList         *list = NULL;
  guint                  n = 0;
  double                 sum = 0;

  switch (q->kind)
    {
    case DFT_EVALUATION_SCALE:
      for (guint i = 0; i < 5; i++)
        {
          n += q->scale[i];
          sum += (double) (i + 1) * q->scale[i];
        }
      q->average = n > 0 ? sum / n : NAN;
      break;
    case DFT_EVALUATION_CHOICE:
      q->choices = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_indicator_choice_free);
      if (asked->definition->choice_list != NULL)
        list = g_hash_table_lookup (asked->form->choice_lists, asked->definition->choice_list);
      for (guint i = 0; list != NULL && i < list->choices->len; i++)
        {
          DftChoice          *c = g_ptr_array_index (list->choices, i);
          DftIndicatorChoice *choice = g_new0 (DftIndicatorChoice, 1);
          const char         *label = c->label != NULL ? dft_form_text (asked->form, c->label,
                                                                        asked->form->default_language, NULL)
                                                       : NULL;

          choice->value = g_strdup (c->value);
          choice->label = g_strdup (label != NULL ? label : c->value);
          choice->count = GPOINTER_TO_UINT (g_hash_table_lookup (asked->counts, c->value));
          g_hash_table_remove (asked->counts, c->value);
          g_ptr_array_add (q->choices, choice);
        }
      {
        /* Answers the definition does not list (an older version's choices): by value. */
        g_autoptr (GList) rest
            = g_list_sort (g_hash_table_get_keys (asked->counts), (GCompareFunc) strcmp);

        for (GList *l = rest; l != NULL; l = l->next)
          {
            DftIndicatorChoice *choice = g_new0 (DftIndicatorChoice, 1);

            choice->value = g_strdup (l->data);
            choice->label = g_strdup (l->data);
            choice->count = GPOINTER_TO_UINT (g_hash_table_lookup (asked->counts, l->data));
            g_ptr_array_add (q->choices, choice);
          }
      }
      /* g_ptr_array_sort() is stable: equal counts keep the form's order. */
      g_ptr_array_sort (q->choices, compare_choices);
      break;
    case DFT_EVALUATION_TEXT:
    default:
      break;
    }
}

static gboolean
read_texts (Run *run, Asked *asked, const char *key, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int                      rc;

  if (!prepare (run, evaluation_texts_sql, &stmt, error))
    return FALSE;
  sqlite3_bind_text (stmt, 1, asked->question->form_key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, key, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (asked->texts, column_dup (stmt, 0));
  return rows_done (run, rc, error);
}

static gboolean
read_evaluation (Run *run, DftIndicatorReport *report, GError **error)
{
  g_autoptr (GPtrArray)    forms = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_form_unref);
  g_autoptr (GPtrArray)    asked = g_ptr_array_new_with_free_func ((GDestroyNotify) asked_free);
  g_autoptr (GPtrArray)    text_keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray)    text_asked = g_ptr_array_new ();
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autofree char         *last_key = NULL;
  int                      rc;

  report->evaluation
      = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_evaluation_question_free);

  /* The newest version of each evaluation form answered in the selection says what its
   * questions are. */
  if (!prepare (run, evaluation_forms_sql, &stmt, error))
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char         *key = (const char *) sqlite3_column_text (stmt, 0);
      g_autoptr (DftForm) form = NULL;
      CollectQuestions    collect;

      if (key == NULL || g_strcmp0 (key, last_key) == 0)
        continue;
      g_free (last_key);
      last_key = g_strdup (key);
      form = dft_form_store_open ((const char *) sqlite3_column_text (stmt, 2), NULL);
      if (form == NULL)
        continue; /* a definition that does not open has no questions to report */
      collect.form = form;
      collect.form_key = key;
      collect.form_title = (const char *) sqlite3_column_text (stmt, 1);
      collect.asked = asked;
      dft_form_foreach (form, collect_question_cb, &collect);
      g_ptr_array_add (forms, g_steal_pointer (&form));
    }
  if (!rows_done (run, rc, error))
    return FALSE;
  g_clear_pointer (&stmt, sqlite3_finalize);
  if (asked->len == 0)
    return TRUE;

  if (!prepare (run, evaluation_counts_sql, &stmt, error))
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *form_key = (const char *) sqlite3_column_text (stmt, 0);
      const char *key = (const char *) sqlite3_column_text (stmt, 1);
      const char *value = (const char *) sqlite3_column_text (stmt, 2);
      Asked      *a = form_key != NULL && key != NULL ? find_asked (asked, form_key, key) : NULL;

      if (a == NULL || value == NULL)
        continue;
      count_answer (a, value, (guint) sqlite3_column_int (stmt, 3));
      if (a->question->kind == DFT_EVALUATION_TEXT)
        {
          g_ptr_array_add (text_keys, g_strdup (key));
          g_ptr_array_add (text_asked, a);
        }
    }
  if (!rows_done (run, rc, error))
    return FALSE;
  /* Free text in the order it was given, one key at a time (a key once per value above: a
   * set, since thousands of different answers make thousands of rows). */
  {
    g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

    for (guint i = 0; i < text_keys->len; i++)
      {
        Asked      *a = g_ptr_array_index (text_asked, i);
        const char *key = g_ptr_array_index (text_keys, i);

        if (!g_hash_table_add (seen, g_strdup_printf ("%p\n%s", (void *) a, key)))
          continue;
        if (!read_texts (run, a, key, error))
          return FALSE;
      }
  }

  for (guint i = 0; i < asked->len; i++)
    {
      Asked *a = g_ptr_array_index (asked, i);

      finish_question (a);
      if (a->question->kind == DFT_EVALUATION_TEXT)
        {
          g_ptr_array_add (a->texts, NULL);
          a->question->texts = (GStrv) g_ptr_array_steal (a->texts, NULL);
        }
      g_ptr_array_add (report->evaluation, g_steal_pointer (&a->question));
    }
  return TRUE;
}

/* ---- The report ------------------------------------------------------- */

/* ---- The second reader ------------------------------------------------ */

/*
 * The gains read other rows than the rest of the report, so a second connection to the
 * store's file reads them on a thread of their own while the store's connection reads the
 * participations and the evaluation: on two cores a full report takes about the time of the
 * longer half (a half each, over the benchmark store). Its read transaction begins while the
 * store's lock is held and the store's own has begun, and every write of this process takes
 * that lock, so both read the same data (only another process writing the file in between
 * could put a transaction between them). With agencies selected the gains count only the
 * tests of people in rpt_part, a temporary table of the store's connection, so then all is
 * read there, as it is for a store whose file cannot be opened a second time.
 */
typedef struct
{
  Run                       run;
  const DftReportSelection *selection;
  DftIndicatorReport       *report;
  gboolean                  ok;
  GError                   *error;
} Side;

static void
side_db_close (gpointer db)
{
  sqlite3_close (db);
}

/* The store's second connection, opened on first use and closed with the store. */
static sqlite3 *
side_db (DftStore *store)
{
  sqlite3 *db = g_object_get_data (G_OBJECT (store), "dft-indicators-reader");

  if (db != NULL)
    return db;
  if (sqlite3_open_v2 (dft_store_get_path (store), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                       NULL)
          != SQLITE_OK
      || sqlite3_exec (db, "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -32768;", NULL, NULL,
                       NULL)
             != SQLITE_OK
      || make_functions (db) != SQLITE_OK)
    {
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_extended_result_codes (db, 1);
  sqlite3_busy_timeout (db, 5000);
  g_object_set_data_full (G_OBJECT (store), "dft-indicators-reader", db, side_db_close);
  return db;
}

static gpointer
side_thread (gpointer data)
{
  Side *side = data;
  Run  *run = &side->run;

  if (run->cancellable != NULL)
    sqlite3_progress_handler (run->db, 1000, progress_cb, run);
  side->ok = dft_db_exec (run->db, "BEGIN", &side->error);
  if (side->ok)
    {
      side->ok = select_events (run, side->selection, &side->error)
                 && read_gains (run, side->selection, side->report, &side->error);
      dft_db_exec (run->db, clear_sql, NULL);
      dft_db_exec (run->db, "COMMIT", NULL);
    }
  if (run->cancellable != NULL)
    sqlite3_progress_handler (run->db, 0, NULL, NULL);
  return NULL;
}

static gboolean
check_selection (const DftReportSelection *selection, GError **error)
{
  if (selection->from != NULL && selection->to != NULL
      && strcmp (selection->from, selection->to) > 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   /* Translators: the report's period; both are dates, YYYY-MM-DD */
                   _ ("The period of the report ends (%s) before it starts (%s)."), selection->to,
                   selection->from);
      return FALSE;
    }
  if (!(selection->completion_share > 0 && selection->completion_share <= 1))
    {
      g_set_error_literal (
          error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          _ ("The share of sessions that completes a workshop must be more than 0 % and at most "
             "100 %."));
      return FALSE;
    }
  return TRUE;
}

DftIndicatorReport *
dft_indicator_report (DftStore                 *store,
                      const DftReportSelection *selection,
                      GCancellable             *cancellable,
                      GError                  **error)
{
  g_autoptr (DftIndicatorReport) report = NULL;
  Run                            run = { store, NULL, cancellable };
  Side     side = { { store, NULL, cancellable }, selection, NULL, FALSE, NULL };
  GThread *thread = NULL;
  gboolean ok;

  g_return_val_if_fail (DFT_IS_STORE (store), NULL);
  g_return_val_if_fail (selection != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_selection (selection, error))
    return NULL;
  report = g_new0 (DftIndicatorReport, 1);
  report->selection = dft_report_selection_copy (selection);
  report->attendance_rate = NAN;

  _dft_store_lock (store);
  run.db = _dft_store_get_db (store);
  if (cancellable != NULL)
    sqlite3_progress_handler (run.db, 1000, progress_cb, &run);
  /* One read transaction: the figures agree with each other even while a sync writes. A
   * server's register keeps no tallies: counted first (dft_store_set_keeps_tallies()). */
  ok = _dft_store_ensure_tallies_locked (store, error) && dft_db_exec (run.db, "BEGIN", error);
  if (ok)
    {
      ok = select_events (&run, selection, error);
      /* With agencies selected, the gains read rpt_part: then all is read here. */
      side.run.db = ok && (selection->agencies == NULL || selection->agencies[0] == NULL)
                        ? side_db (store)
                        : NULL;
      if (side.run.db != NULL)
        {
          side.report = report;
          thread = g_thread_try_new ("dft-report", side_thread, &side, NULL);
        }
      ok = ok && select_participations (&run, selection, error) && read_totals (&run, report, error)
           && read_breakdowns (&run, report, error) && read_workshops (&run, report, error)
           && read_evaluation (&run, report, error)
           && (thread != NULL || read_gains (&run, selection, report, error));
      if (thread != NULL)
        {
          g_thread_join (thread);
          if (ok && !side.ok)
            {
              g_propagate_error (error, g_steal_pointer (&side.error));
              ok = FALSE;
            }
          g_clear_error (&side.error);
        }
      dft_db_exec (run.db, clear_sql, NULL);
      dft_db_exec (run.db, "COMMIT", NULL);
    }
  if (cancellable != NULL)
    sqlite3_progress_handler (run.db, 0, NULL, NULL);
  _dft_store_unlock (store);
  if (!ok)
    return NULL;
  return g_steal_pointer (&report);
}

static void
report_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError             *error = NULL;
  DftIndicatorReport *report = dft_indicator_report (source, task_data, cancellable, &error);

  if (report == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, report, (GDestroyNotify) dft_indicator_report_free);
}

void
dft_indicator_report_async (DftStore                 *store,
                            const DftReportSelection *selection,
                            GCancellable             *cancellable,
                            GAsyncReadyCallback       callback,
                            gpointer                  user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (DFT_IS_STORE (store));
  g_return_if_fail (selection != NULL);

  task = g_task_new (store, cancellable, callback, user_data);
  g_task_set_source_tag (task, dft_indicator_report_async);
  g_task_set_task_data (task, dft_report_selection_copy (selection),
                        (GDestroyNotify) dft_report_selection_free);
  g_task_run_in_thread (task, report_thread);
}

DftIndicatorReport *
dft_indicator_report_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == dft_indicator_report_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- Choices ---------------------------------------------------------- */

void
dft_report_choices_free (DftReportChoices *choices)
{
  if (choices == NULL)
    return;
  g_strfreev (choices->countries);
  g_strfreev (choices->tracks);
  g_strfreev (choices->agencies);
  g_clear_pointer (&choices->workshops, g_ptr_array_unref);
  g_free (choices);
}

static GStrv
read_strings (sqlite3 *db, const char *sql, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  int                      rc;

  if (!dft_db_prepare (db, sql, &stmt, error))
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_strv_builder_add (builder, (const char *) sqlite3_column_text (stmt, 0));
  if (rc != SQLITE_DONE)
    {
      dft_db_set_error (error, db, rc, _ ("reading the report’s choices"));
      return NULL;
    }
  return g_strv_builder_end (builder);
}

static gboolean
read_choices_locked (sqlite3 *db, DftReportChoices *choices, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int                      rc;

  choices->countries = read_strings (
      db,
      "SELECT DISTINCT country FROM event WHERE deleted = 0 AND coalesce (country, '') <> ''"
      " ORDER BY country",
      error);
  if (choices->countries == NULL)
    return FALSE;
  choices->tracks = read_strings (
      db,
      "SELECT DISTINCT track FROM event WHERE deleted = 0 AND coalesce (track, '') <> ''"
      " ORDER BY track",
      error);
  if (choices->tracks == NULL)
    return FALSE;
  choices->agencies = read_strings (
      db,
      "SELECT DISTINCT p.agency FROM person p"
      " WHERE p.deleted = 0 AND p.merged_into IS NULL AND coalesce (p.agency, '') <> ''"
      "  AND EXISTS (SELECT 1 FROM enrollment n WHERE n.person_id = p.id AND n.deleted = 0"
      "              AND n.merge_hidden = 0 AND n.role = 'participant')"
      " ORDER BY p.agency",
      error);
  if (choices->agencies == NULL)
    return FALSE;
  choices->workshops = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_workshop_figures_free);
  if (!dft_db_prepare (db,
                       "SELECT id, coalesce (title, ''), coalesce (start_date, ''),"
                       " coalesce (end_date, ''), coalesce (country, ''), coalesce (track, '')"
                       " FROM event WHERE deleted = 0 ORDER BY start_date, title, id",
                       &stmt, error))
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      DftWorkshopFigures *w = g_new0 (DftWorkshopFigures, 1);

      w->event_id = column_dup (stmt, 0);
      w->title = column_dup (stmt, 1);
      w->start_date = column_dup (stmt, 2);
      w->end_date = column_dup (stmt, 3);
      w->country = column_dup (stmt, 4);
      w->track = column_dup (stmt, 5);
      w->attendance_rate = NAN;
      g_ptr_array_add (choices->workshops, w);
    }
  if (rc != SQLITE_DONE)
    return dft_db_set_error (error, db, rc, _ ("reading the report’s choices"));
  return TRUE;
}

DftReportChoices *
dft_report_choices (DftStore *store, GError **error)
{
  g_autoptr (DftReportChoices) choices = g_new0 (DftReportChoices, 1);
  sqlite3                     *db;
  gboolean                     ok;

  g_return_val_if_fail (DFT_IS_STORE (store), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  _dft_store_lock (store);
  db = _dft_store_get_db (store);
  ok = dft_db_exec (db, "BEGIN", error);
  if (ok)
    {
      ok = read_choices_locked (db, choices, error);
      dft_db_exec (db, "COMMIT", NULL);
    }
  _dft_store_unlock (store);
  return ok ? g_steal_pointer (&choices) : NULL;
}

/* ---- JSON ------------------------------------------------------------- */

static void
add_string (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  if (value == NULL)
    json_builder_add_null_value (b);
  else
    json_builder_add_string_value (b, value);
}

static void
add_uint (JsonBuilder *b, const char *name, guint value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
add_double (JsonBuilder *b, const char *name, double value)
{
  json_builder_set_member_name (b, name);
  if (isnan (value) || isinf (value))
    json_builder_add_null_value (b);
  else
    json_builder_add_double_value (b, value);
}

static void
add_strv (JsonBuilder *b, const char *name, GStrv values)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    json_builder_add_string_value (b, values[i]);
  json_builder_end_array (b);
}

static void
add_groups (JsonBuilder *b, const char *name, GPtrArray *groups)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; groups != NULL && i < groups->len; i++)
    {
      DftIndicatorGroup *g = g_ptr_array_index (groups, i);

      json_builder_begin_object (b);
      if (g->gender != NULL)
        add_string (b, "gender", g->gender);
      if (g->agency != NULL)
        add_string (b, "agency", g->agency);
      if (g->country != NULL)
        add_string (b, "country", g->country);
      if (g->role != NULL)
        add_string (b, "role", g->role);
      add_uint (b, "people", g->people);
      add_uint (b, "women", g->women);
      add_double (b, "women_share", dft_indicator_women_share (g->women, g->people));
      add_uint (b, "participations", g->participations);
      add_uint (b, "person_days", g->person_days);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void
add_selection (JsonBuilder *b, const DftReportSelection *s)
{
  json_builder_set_member_name (b, "selection");
  json_builder_begin_object (b);
  add_string (b, "from", s->from);
  add_string (b, "to", s->to);
  add_strv (b, "countries", s->countries);
  add_strv (b, "tracks", s->tracks);
  add_strv (b, "event_ids", s->event_ids);
  add_strv (b, "agencies", s->agencies);
  add_double (b, "completion_share", s->completion_share);
  json_builder_end_object (b);
}

static void
add_workshops (JsonBuilder *b, GPtrArray *workshops)
{
  json_builder_set_member_name (b, "workshops");
  json_builder_begin_array (b);
  for (guint i = 0; i < workshops->len; i++)
    {
      DftWorkshopFigures *w = g_ptr_array_index (workshops, i);

      json_builder_begin_object (b);
      add_string (b, "event_id", w->event_id);
      add_string (b, "title", w->title);
      add_string (b, "start_date", w->start_date);
      add_string (b, "end_date", w->end_date);
      add_string (b, "country", w->country);
      add_string (b, "track", w->track);
      add_string (b, "venue", w->venue);
      add_string (b, "language", w->language);
      add_uint (b, "participants", w->participants);
      add_uint (b, "women", w->women);
      add_double (b, "women_share", dft_indicator_women_share (w->women, w->participants));
      add_uint (b, "sessions", w->sessions);
      add_double (b, "attendance_rate", w->attendance_rate);
      add_uint (b, "completed", w->completed);
      add_uint (b, "completed_women", w->completed_women);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void
add_gains (JsonBuilder *b, GPtrArray *gains)
{
  json_builder_set_member_name (b, "gains");
  json_builder_begin_array (b);
  for (guint i = 0; i < gains->len; i++)
    {
      DftGainFigures *g = g_ptr_array_index (gains, i);

      json_builder_begin_object (b);
      add_string (b, "event_id", g->event_id);
      add_string (b, "event_title", g->event_title);
      add_string (b, "form_key", g->form_key);
      add_string (b, "form_title", g->form_title);
      add_uint (b, "n_pre", g->n_pre);
      add_uint (b, "n_post", g->n_post);
      add_uint (b, "n_pairs", g->n_pairs);
      add_double (b, "mean_pre", g->mean_pre);
      add_double (b, "mean_post", g->mean_post);
      add_double (b, "mean_gain", g->mean_gain);
      add_double (b, "normalized_gain", g->normalized_gain);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static const char *
evaluation_kind_name (DftEvaluationKind kind)
{
  switch (kind)
    {
    case DFT_EVALUATION_SCALE:
      return "scale";
    case DFT_EVALUATION_CHOICE:
      return "choice";
    case DFT_EVALUATION_TEXT:
      return "text";
    default:
      return "";
    }
}

static void
add_evaluation (JsonBuilder *b, GPtrArray *evaluation)
{
  json_builder_set_member_name (b, "evaluation");
  json_builder_begin_array (b);
  for (guint i = 0; i < evaluation->len; i++)
    {
      DftEvaluationQuestion *q = g_ptr_array_index (evaluation, i);

      json_builder_begin_object (b);
      add_string (b, "form_key", q->form_key);
      add_string (b, "form_title", q->form_title);
      add_string (b, "name", q->name);
      add_string (b, "label", q->label);
      add_string (b, "kind", evaluation_kind_name (q->kind));
      add_uint (b, "n_answers", q->n_answers);
      add_double (b, "average", q->average);
      json_builder_set_member_name (b, "scale");
      json_builder_begin_array (b);
      for (guint s = 0; q->kind == DFT_EVALUATION_SCALE && s < 5; s++)
        json_builder_add_int_value (b, q->scale[s]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "choices");
      json_builder_begin_array (b);
      for (guint c = 0; q->choices != NULL && c < q->choices->len; c++)
        {
          DftIndicatorChoice *choice = g_ptr_array_index (q->choices, c);

          json_builder_begin_object (b);
          add_string (b, "value", choice->value);
          add_string (b, "label", choice->label);
          add_uint (b, "count", choice->count);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      add_strv (b, "texts", q->texts);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

JsonNode *
dft_indicator_report_to_json (const DftIndicatorReport *report)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  g_return_val_if_fail (report != NULL, NULL);

  json_builder_begin_object (b);
  add_selection (b, report->selection);
  json_builder_set_member_name (b, "totals");
  json_builder_begin_object (b);
  add_uint (b, "workshops", report->n_workshops);
  add_uint (b, "sessions", report->sessions);
  add_uint (b, "people", report->people);
  add_uint (b, "women", report->women);
  add_double (b, "women_share", dft_indicator_women_share (report->women, report->people));
  add_uint (b, "participations", report->participations);
  add_uint (b, "person_days", report->person_days);
  add_double (b, "attendance_rate", report->attendance_rate);
  add_uint (b, "completed_people", report->completed_people);
  add_uint (b, "completed_women", report->completed_women);
  add_double (b, "completed_women_share",
              dft_indicator_women_share (report->completed_women, report->completed_people));
  add_uint (b, "completed_participations", report->completed_participations);
  json_builder_end_object (b);
  add_groups (b, "breakdown", report->breakdown);
  add_groups (b, "by_gender", report->by_gender);
  add_groups (b, "by_agency", report->by_agency);
  add_groups (b, "by_country", report->by_country);
  add_groups (b, "by_role", report->by_role);
  add_groups (b, "gender_by_agency", report->gender_by_agency);
  add_workshops (b, report->workshops);
  add_gains (b, report->gains);
  add_evaluation (b, report->evaluation);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
