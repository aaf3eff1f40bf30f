/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "dft-country.h"
#include "dft-report.h"
#include "dft-schema.h"
#include "dft-store.h"

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

/* A text field's value, "" when it has none. */
static const char *
field_text (DftRecord *record, const char *field)
{
  const char *text = dft_record_get_string (record, field);

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

static void
count_people (GPtrArray *people, DftEventReport *report)
{
  g_autoptr (GHashTable) genders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) agencies = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) countries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < people->len; i++)
    {
      DftRecord  *person = g_ptr_array_index (people, i);
      const char *gender = field_text (person, "gender");

      report->n_people++;
      /* A word the schema does not know counts as not given, never as a category of its own. */
      tally (genders, g_strv_contains (dft_gender_choices, gender) ? gender : "");
      tally (agencies, field_text (person, "agency"));
      /* A change from a laptop still on an older version can bring "kg" after migration 7
       * wrote "KG": one country is counted once all the same. */
      {
        g_autofree char *code = dft_country_normalize (field_text (person, "country"));
        tally (countries, code != NULL ? code : field_text (person, "country"));
      }
    }

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
}

static void
count_sessions (GPtrArray *tallies, DftEventReport *report)
{
  report->sessions = g_ptr_array_new_with_free_func (session_counts_free);
  for (guint i = 0; i < tallies->len; i++)
    {
      const DftSessionTally *tally = g_ptr_array_index (tallies, i);
      DftSessionCounts      *counts = g_new0 (DftSessionCounts, 1);
      guint                  marked;

      counts->session_id = g_strdup (tally->session_id);
      counts->date = g_strdup (tally->date);
      counts->part = g_strdup (tally->part);
      counts->present = tally->present;
      counts->late = tally->late;
      counts->excused = tally->excused;
      counts->absent = tally->absent;
      marked = counts->present + counts->late + counts->excused + counts->absent;
      counts->unmarked = report->n_people > marked ? report->n_people - marked : 0;
      g_ptr_array_add (report->sessions, counts);

      report->present += counts->present;
      report->late += counts->late;
      report->excused += counts->excused;
      report->absent += counts->absent;
    }
  report->n_sessions = report->sessions->len;
}

DftEventReport *
dft_report_event (DftStore *store, const char *event_id, GError **error)
{
  g_autoptr (DftEventReport) report = g_new0 (DftEventReport, 1);
  g_autoptr (GPtrArray)      people = NULL;
  g_autoptr (GPtrArray)      tallies = NULL;

  g_return_val_if_fail (DFT_IS_STORE (store), NULL);
  g_return_val_if_fail (event_id != NULL, NULL);

  report->attendance_rate = NAN;
  if (!dft_store_read_event_figures (store, event_id, &people, &tallies, error))
    return NULL;
  count_people (people, report);
  count_sessions (tallies, report);

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
