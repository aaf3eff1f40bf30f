/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "dft-server-metrics.h"

/* Upper bounds of the latency histograms' buckets, in seconds (Prometheus' "le"). */
static const double buckets[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define N_BUCKETS G_N_ELEMENTS (buckets)

typedef struct
{
  guint64 counts[N_BUCKETS + 1]; /* the last: above every bound (+Inf adds them all) */
  guint64 count;
  double  sum;
} Histogram;

struct _DftServerMetrics
{
  GMutex      lock;
  GHashTable *requests; /* "endpoint\tstatus" -> guint64 * */
  GHashTable *devices;  /* device ids seen since start */
  guint64     applied;
  guint64     duplicates;
  guint64     limited;
  guint64     purged;
  Histogram   push; /* push and the push half of a sync */
  Histogram   pull;
  gint64      started; /* real time, µs */
};

DftServerMetrics *
dft_server_metrics_new (void)
{
  DftServerMetrics *metrics = g_new0 (DftServerMetrics, 1);

  g_mutex_init (&metrics->lock);
  metrics->requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  metrics->devices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  metrics->started = g_get_real_time ();
  return metrics;
}

void
dft_server_metrics_free (DftServerMetrics *metrics)
{
  if (metrics == NULL)
    return;
  g_hash_table_unref (metrics->requests);
  g_hash_table_unref (metrics->devices);
  g_mutex_clear (&metrics->lock);
  g_free (metrics);
}

static void
observe (Histogram *histogram, double seconds)
{
  guint i = 0;

  while (i < N_BUCKETS && seconds > buckets[i])
    i++;
  histogram->counts[i]++;
  histogram->count++;
  histogram->sum += seconds;
}

void
dft_server_metrics_request (DftServerMetrics *metrics,
                            const char       *endpoint,
                            guint             status,
                            double            seconds,
                            const char       *device_id)
{
  g_autofree char *key = g_strdup_printf ("%s\t%u", endpoint, status);
  guint64         *count;

  g_mutex_lock (&metrics->lock);
  count = g_hash_table_lookup (metrics->requests, key);
  if (count == NULL)
    {
      count = g_new0 (guint64, 1);
      g_hash_table_insert (metrics->requests, g_steal_pointer (&key), count);
    }
  (*count)++;
  /* Bounded by the devices enrolled: only an authenticated request names one. */
  if (device_id != NULL && !g_hash_table_contains (metrics->devices, device_id))
    g_hash_table_add (metrics->devices, g_strdup (device_id));
  if (status == 200 && (g_str_equal (endpoint, "push") || g_str_equal (endpoint, "sync")))
    observe (&metrics->push, seconds);
  if (status == 200 && (g_str_equal (endpoint, "pull") || g_str_equal (endpoint, "sync")))
    observe (&metrics->pull, seconds);
  g_mutex_unlock (&metrics->lock);
}

void
dft_server_metrics_changes (DftServerMetrics *metrics, guint applied, guint duplicates)
{
  g_mutex_lock (&metrics->lock);
  metrics->applied += applied;
  metrics->duplicates += duplicates;
  g_mutex_unlock (&metrics->lock);
}

void
dft_server_metrics_limited (DftServerMetrics *metrics)
{
  g_mutex_lock (&metrics->lock);
  metrics->limited++;
  g_mutex_unlock (&metrics->lock);
}

void
dft_server_metrics_purged (DftServerMetrics *metrics, guint records)
{
  g_mutex_lock (&metrics->lock);
  metrics->purged += records;
  g_mutex_unlock (&metrics->lock);
}

static void
append_histogram (GString *out, const char *name, const char *help, const Histogram *histogram)
{
  guint64 cumulative = 0;

  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
  for (guint i = 0; i < N_BUCKETS; i++)
    {
      char bound[G_ASCII_DTOSTR_BUF_SIZE];

      cumulative += histogram->counts[i];
      g_ascii_formatd (bound, sizeof bound, "%g", buckets[i]);
      g_string_append_printf (out, "%s_bucket{le=\"%s\"} %" G_GUINT64_FORMAT "\n", name, bound,
                              cumulative);
    }
  {
    char sum[G_ASCII_DTOSTR_BUF_SIZE];

    g_ascii_dtostr (sum, sizeof sum, histogram->sum);
    g_string_append_printf (out,
                            "%s_bucket{le=\"+Inf\"} %" G_GUINT64_FORMAT "\n%s_sum %s\n"
                            "%s_count %" G_GUINT64_FORMAT "\n",
                            name, histogram->count, name, sum, name, histogram->count);
  }
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

char *
dft_server_metrics_text (DftServerMetrics *metrics)
{
  GString              *out = g_string_new (NULL);
  g_autoptr (GPtrArray) keys = g_ptr_array_new ();
  GHashTableIter        iter;
  gpointer              key;

  g_mutex_lock (&metrics->lock);
  g_string_append (out, "# HELP daftari_requests_total Requests answered, by endpoint and "
                        "HTTP status (0: cut by the client).\n"
                        "# TYPE daftari_requests_total counter\n");
  g_hash_table_iter_init (&iter, metrics->requests);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, key);
  g_ptr_array_sort (keys, compare_strings);
  for (guint i = 0; i < keys->len; i++)
    {
      const char      *k = g_ptr_array_index (keys, i);
      const char      *tab = strchr (k, '\t');
      g_autofree char *endpoint = g_strndup (k, (gsize) (tab - k));
      guint64          n = *(guint64 *) g_hash_table_lookup (metrics->requests, k);

      g_string_append_printf (out,
                              "daftari_requests_total{endpoint=\"%s\",status=\"%s\"} "
                              "%" G_GUINT64_FORMAT "\n",
                              endpoint, tab + 1, n);
    }
  {
    guint64 errors = 0;

    for (guint i = 0; i < keys->len; i++)
      {
        const char *k = g_ptr_array_index (keys, i);

        if (strchr (k, '\t')[1] == '5')
          errors += *(guint64 *) g_hash_table_lookup (metrics->requests, k);
      }
    g_string_append_printf (out,
                            "# HELP daftari_request_errors_total Requests the server failed "
                            "(status 5xx).\n"
                            "# TYPE daftari_request_errors_total counter\n"
                            "daftari_request_errors_total %" G_GUINT64_FORMAT "\n",
                            errors);
  }
  g_string_append_printf (
      out,
      "# HELP daftari_changes_applied_total Changes pushes applied.\n"
      "# TYPE daftari_changes_applied_total counter\n"
      "daftari_changes_applied_total %" G_GUINT64_FORMAT "\n"
      "# HELP daftari_changes_duplicate_total Changes pushed again that the server held.\n"
      "# TYPE daftari_changes_duplicate_total counter\n"
      "daftari_changes_duplicate_total %" G_GUINT64_FORMAT "\n"
      "# HELP daftari_rate_limited_total Requests refused with 429 by the rate limit.\n"
      "# TYPE daftari_rate_limited_total counter\n"
      "daftari_rate_limited_total %" G_GUINT64_FORMAT "\n"
      "# HELP daftari_purged_records_total Deleted records purged (with what names them).\n"
      "# TYPE daftari_purged_records_total counter\n"
      "daftari_purged_records_total %" G_GUINT64_FORMAT "\n"
      "# HELP daftari_devices_seen Devices that made a request since the server started.\n"
      "# TYPE daftari_devices_seen gauge\n"
      "daftari_devices_seen %u\n"
      "# HELP daftari_start_time_seconds When the server started, in seconds since 1970.\n"
      "# TYPE daftari_start_time_seconds gauge\n"
      "daftari_start_time_seconds %" G_GINT64_FORMAT "\n",
      metrics->applied, metrics->duplicates, metrics->limited, metrics->purged,
      g_hash_table_size (metrics->devices), metrics->started / G_USEC_PER_SEC);
  append_histogram (out, "daftari_push_duration_seconds",
                    "Time to answer a push or a sync, successful ones.", &metrics->push);
  append_histogram (out, "daftari_pull_duration_seconds",
                    "Time to answer a pull or a sync, successful ones.", &metrics->pull);
  g_mutex_unlock (&metrics->lock);
  return g_string_free (out, FALSE);
}
