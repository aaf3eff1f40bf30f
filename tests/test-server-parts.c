/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Parts of the server that need no server: the rate limit and the metrics' text. */
#include "config.h"

#include <string.h>

#include "dft-server-limit.h"
#include "dft-server-metrics.h"

#define S G_USEC_PER_SEC

/* A burst passes, the next request waits for a token, and another key is not held back. */
static void
test_rate_limit (void)
{
  g_autoptr (DftRateLimit) limit = dft_rate_limit_new (2.0, 5.0);
  gint64                   now = 1000 * S;
  guint                    retry = 0;

  for (guint i = 0; i < 5; i++)
    g_assert_true (dft_rate_limit_take (limit, "token-a", now, &retry));
  g_assert_false (dft_rate_limit_take (limit, "token-a", now, &retry));
  /* Two a second: one token is half a second away, said as one whole second. */
  g_assert_cmpuint (retry, ==, 1);
  g_assert_true (dft_rate_limit_take (limit, "token-b", now, &retry));

  /* Half a second later one more may go, then none. */
  g_assert_true (dft_rate_limit_take (limit, "token-a", now + S / 2, &retry));
  g_assert_false (dft_rate_limit_take (limit, "token-a", now + S / 2, &retry));

  /* A key that waits long enough has its whole burst again, and no more. */
  for (guint i = 0; i < 5; i++)
    g_assert_true (dft_rate_limit_take (limit, "token-a", now + 100 * S, &retry));
  g_assert_false (dft_rate_limit_take (limit, "token-a", now + 100 * S, &retry));
}

/* A slow rate says how long to wait in whole seconds, rounded up. */
static void
test_rate_limit_retry_after (void)
{
  g_autoptr (DftRateLimit) limit = dft_rate_limit_new (0.1, 1.0);
  guint                    retry = 0;

  g_assert_true (dft_rate_limit_take (limit, "10.0.0.1", 0, &retry));
  g_assert_false (dft_rate_limit_take (limit, "10.0.0.1", 0, &retry));
  g_assert_cmpuint (retry, ==, 10);
  g_assert_false (dft_rate_limit_take (limit, "10.0.0.1", 4 * S, &retry));
  g_assert_cmpuint (retry, ==, 6);
}

/* Keys idle long enough to be full again are forgotten: many addresses do not grow the table
 * for good. */
static void
test_rate_limit_forgets (void)
{
  g_autoptr (DftRateLimit) limit = dft_rate_limit_new (10.0, 20.0);

  for (guint i = 0; i < 1000; i++)
    {
      g_autofree char *key = g_strdup_printf ("address-%u", i);
      g_assert_true (dft_rate_limit_take (limit, key, 0, NULL));
    }
  g_assert_cmpuint (dft_rate_limit_size (limit), ==, 1000);
  g_assert_true (dft_rate_limit_take (limit, "late", 60 * S, NULL));
  g_assert_cmpuint (dft_rate_limit_size (limit), ==, 1);
}

static void
test_metrics_text (void)
{
  g_autoptr (DftServerMetrics) metrics = dft_server_metrics_new ();
  g_autofree char             *text = NULL;

  dft_server_metrics_request (metrics, "sync", 200, 0.02, "device-1");
  dft_server_metrics_request (metrics, "sync", 200, 0.3, "device-2");
  dft_server_metrics_request (metrics, "sync", 500, 0.01, "device-2");
  dft_server_metrics_request (metrics, "health", 200, 0.001, NULL);
  dft_server_metrics_changes (metrics, 40, 2);
  dft_server_metrics_limited (metrics);
  text = dft_server_metrics_text (metrics);

  g_assert_nonnull (strstr (text, "daftari_requests_total{endpoint=\"sync\",status=\"200\"} 2\n"));
  g_assert_nonnull (strstr (text, "daftari_requests_total{endpoint=\"sync\",status=\"500\"} 1\n"));
  g_assert_nonnull (strstr (text, "daftari_request_errors_total 1\n"));
  g_assert_nonnull (strstr (text, "daftari_changes_applied_total 40\n"));
  g_assert_nonnull (strstr (text, "daftari_changes_duplicate_total 2\n"));
  g_assert_nonnull (strstr (text, "daftari_rate_limited_total 1\n"));
  g_assert_nonnull (strstr (text, "daftari_devices_seen 2\n"));
  /* Cumulative buckets: 0.02 s is under 0.025, 0.3 s under 0.5, both under +Inf. */
  g_assert_nonnull (strstr (text, "daftari_push_duration_seconds_bucket{le=\"0.025\"} 1\n"));
  g_assert_nonnull (strstr (text, "daftari_push_duration_seconds_bucket{le=\"0.5\"} 2\n"));
  g_assert_nonnull (strstr (text, "daftari_push_duration_seconds_bucket{le=\"+Inf\"} 2\n"));
  g_assert_nonnull (strstr (text, "daftari_pull_duration_seconds_count 2\n"));
  /* Nothing in it names a device. */
  g_assert_null (strstr (text, "device-1"));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/server-parts/rate-limit", test_rate_limit);
  g_test_add_func ("/server-parts/rate-limit-retry-after", test_rate_limit_retry_after);
  g_test_add_func ("/server-parts/rate-limit-forgets", test_rate_limit_forgets);
  g_test_add_func ("/server-parts/metrics-text", test_metrics_text);
  return g_test_run ();
}
