/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "dft-country.h"
#include "dft-db.h"
#include "dft-report.h"
#include "dft-schema.h"
#include "dft-store-private.h"

/* People enrolled in the workshop ?1, once each, neither they nor their enrollment deleted. */
#define ENROLLED_SQL                                                                               \
  "SELECT DISTINCT p.id, p.gender, p.agency, p.country FROM person p JOIN enrollment e ON "        \
  "e.person_id = p.id WHERE e.event_id = ?1 AND e.deleted = 0 AND p.deleted = 0"

static const char sessions_sql[]
    = "SELECT s.id, s.date, s.part,"
      " count (CASE WHEN a.status = 'present' THEN 1 END),"
      " count (CASE WHEN a.status = 'late' THEN 1 END),"
      " count (CASE WHEN a.status = 'excused' THEN 1 END),"
      " count (CASE WHEN a.status = 'absent' THEN 1 END)"
      " FROM session s LEFT JOIN attendance a ON a.session_id = s.id AND a.deleted = 0"
      " AND a.person_id IN (SELECT id FROM (" ENROLLED_SQL "))"
      " WHERE s.event_id = ?1 AND s.deleted = 0"
      " GROUP BY s.id ORDER BY s.date, s.part";

static void
session_counts_free (gpointer data)
{
  DftSessionCounts *counts = data;

  g_free (counts->session_id);
  g_free (counts->date);
  g_free (counts->part);
  g_free (counts);
}

static void
report_count_free (gpointer data)
{
  DftReportCount *count = data;

  g_free (count->name);
  g_free (count);
}

void
dft_event_report_free (DftEventReport *report)
{
  if (report == NULL)
    return;
  g_clear_pointer (&report->sessions, g_ptr_array_unref);
  g_clear_pointer (&report->genders, g_ptr_array_unref);
  g_clear_pointer (&report->agencies, g_ptr_array_unref);
  g_clear_pointer (&report->countries, g_ptr_array_unref);
  g_free (report);
}

double
dft_session_counts_rate (const DftSessionCounts *counts)
{
  guint total;

  g_return_val_if_fail (counts != NULL, NAN);

  total = counts->present + counts->late + counts->excused + counts->absent + counts->unmarked;
  if (total == 0)
    return NAN;
  return (double) (counts->present + counts->late) / total;
}

static const char *
column_text (sqlite3_stmt *stmt, int column)
{
  const char *text = (const char *) sqlite3_column_text (stmt, column);

  return text != NULL ? text : "";
}

static void
tally (GHashTable *table, const char *name)
{
  gpointer old = g_hash_table_lookup (table, name);

  g_hash_table_insert (table, g_strdup (name), GUINT_TO_POINTER (GPOINTER_TO_UINT (old) + 1));
}

static int
compare_counts (gconstpointer a, gconstpointer b)
{
  const DftReportCount *x = *(DftReportCount *const *) a;
  const DftReportCount *y = *(DftReportCount *const *) b;

  if (x->count != y->count)
    return x->count > y->count ? -1 : 1;
  return g_utf8_collate (x->name, y->name);
}

static GPtrArray *
sorted_counts (GHashTable *table)
{
  GPtrArray     *counts = g_ptr_array_new_with_free_func (report_count_free);
  GHashTableIter iter;
  gpointer       key, value;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      DftReportCount *count = g_new0 (DftReportCount, 1);
      count->name = g_strdup (key);
      count->count = GPOINTER_TO_UINT (value);
      g_ptr_array_add (counts, count);
    }
  g_ptr_array_sort (counts, compare_counts);
  return counts;
}

static gboolean
read_people (sqlite3 *db, const char *event_id, DftEventReport *report, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GHashTable)   genders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable)   agencies = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) countries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  int                    rc;

  if (!dft_db_prepare (db, ENROLLED_SQL, &stmt, error))
    return FALSE;
  sqlite3_bind_text (stmt, 1, event_id, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *gender = column_text (stmt, 1);

      report->n_people++;
      /* A word the schema does not know counts as not given, never as a category of its own. */
      tally (genders, g_strv_contains (dft_gender_choices, gender) ? gender : "");
      tally (agencies, column_text (stmt, 2));
      /* A change from a laptop still on an older version can bring "kg" after migration 7
       * wrote "KG": one country is counted once all the same. */
      {
        g_autofree char *code = dft_country_normalize (column_text (stmt, 3));
        tally (countries, code != NULL ? code : column_text (stmt, 3));
      }
    }
  if (rc != SQLITE_DONE)
    return dft_db_set_error (error, db, rc, _ ("reading the workshop’s figures"));

  report->genders = g_ptr_array_new_with_free_func (report_count_free);
  for (guint i = 0; dft_gender_choices[i] != NULL; i++)
    {
      DftReportCount *count = g_new0 (DftReportCount, 1);
      count->name = g_strdup (dft_gender_choices[i]);
      count->count = GPOINTER_TO_UINT (g_hash_table_lookup (genders, dft_gender_choices[i]));
      g_ptr_array_add (report->genders, count);
    }
  {
    DftReportCount *count = g_new0 (DftReportCount, 1);
    count->name = g_strdup ("");
    count->count = GPOINTER_TO_UINT (g_hash_table_lookup (genders, ""));
    g_ptr_array_add (report->genders, count);
  }
  report->agencies = sorted_counts (agencies);
  report->countries = sorted_counts (countries);
  return TRUE;
}

static gboolean
read_sessions (sqlite3 *db, const char *event_id, DftEventReport *report, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int                      rc;

  if (!dft_db_prepare (db, sessions_sql, &stmt, error))
    return FALSE;
  sqlite3_bind_text (stmt, 1, event_id, -1, SQLITE_TRANSIENT);
  report->sessions = g_ptr_array_new_with_free_func (session_counts_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      DftSessionCounts *counts = g_new0 (DftSessionCounts, 1);
      guint             marked;

      counts->session_id = g_strdup (column_text (stmt, 0));
      counts->date = g_strdup (column_text (stmt, 1));
      counts->part = g_strdup (column_text (stmt, 2));
      counts->present = (guint) sqlite3_column_int (stmt, 3);
      counts->late = (guint) sqlite3_column_int (stmt, 4);
      counts->excused = (guint) sqlite3_column_int (stmt, 5);
      counts->absent = (guint) sqlite3_column_int (stmt, 6);
      marked = counts->present + counts->late + counts->excused + counts->absent;
      counts->unmarked = report->n_people > marked ? report->n_people - marked : 0;
      g_ptr_array_add (report->sessions, counts);

      report->present += counts->present;
      report->late += counts->late;
      report->excused += counts->excused;
      report->absent += counts->absent;
    }
  if (rc != SQLITE_DONE)
    return dft_db_set_error (error, db, rc, _ ("reading the workshop’s figures"));
  report->n_sessions = report->sessions->len;
  return TRUE;
}

DftEventReport *
dft_report_event (DftStore *store, const char *event_id, GError **error)
{
  g_autoptr (DftEventReport) report = g_new0 (DftEventReport, 1);
  sqlite3                   *db;
  gboolean                   ok;

  g_return_val_if_fail (DFT_IS_STORE (store), NULL);
  g_return_val_if_fail (event_id != NULL, NULL);

  report->attendance_rate = NAN;
  _dft_store_lock (store);
  db = _dft_store_get_db (store);
  /* One read transaction: the figures agree with each other even while a sync writes. */
  ok = dft_db_exec (db, "BEGIN", error);
  if (ok)
    {
      ok = read_people (db, event_id, report, error) && read_sessions (db, event_id, report, error);
      dft_db_exec (db, "COMMIT", NULL);
    }
  _dft_store_unlock (store);
  if (!ok)
    return NULL;

  if (report->n_people > 0 && report->n_sessions > 0)
    report->attendance_rate = (double) (report->present + report->late)
                              / ((double) report->n_people * report->n_sessions);
  return g_steal_pointer (&report);
}

static void
report_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError         *error = NULL;
  DftEventReport *report = dft_report_event (DFT_STORE (source), task_data, &error);

  if (report == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, report, (GDestroyNotify) dft_event_report_free);
}

void
dft_report_event_async (DftStore           *store,
                        const char         *event_id,
                        GCancellable       *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (DFT_IS_STORE (store));
  g_return_if_fail (event_id != NULL);

  task = g_task_new (store, cancellable, callback, user_data);
  g_task_set_source_tag (task, dft_report_event_async);
  g_task_set_task_data (task, g_strdup (event_id), g_free);
  g_task_run_in_thread (task, report_thread);
}

DftEventReport *
dft_report_event_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == dft_report_event_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
