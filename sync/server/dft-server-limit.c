/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "dft-server-limit.h"

/* Idle keys are swept at most this often. */
#define SWEEP_EVERY_US (10 * G_USEC_PER_SEC)

typedef struct
{
  double tokens;
  gint64 updated; /* µs */
} Bucket;

struct _DftRateLimit
{
  GMutex      lock;
  double      rate;  /* tokens a second */
  double      burst; /* the most a bucket holds */
  GHashTable *buckets;
  gint64      swept;
};

DftRateLimit *
dft_rate_limit_new (double rate, double burst)
{
  DftRateLimit *limit = g_new0 (DftRateLimit, 1);

  g_return_val_if_fail (rate > 0 && burst >= 1, NULL);
  g_mutex_init (&limit->lock);
  limit->rate = rate;
  limit->burst = burst;
  limit->buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return limit;
}

void
dft_rate_limit_free (DftRateLimit *limit)
{
  if (limit == NULL)
    return;
  g_hash_table_unref (limit->buckets);
  g_mutex_clear (&limit->lock);
  g_free (limit);
}

static double
refilled (DftRateLimit *limit, const Bucket *bucket, gint64 now_us)
{
  double elapsed = (double) MAX (now_us - bucket->updated, 0) / G_USEC_PER_SEC;

  return MIN (limit->burst, bucket->tokens + elapsed * limit->rate);
}

/* Forgets the buckets that are full again: they hold nothing a new one would not. */
static void
sweep (DftRateLimit *limit, gint64 now_us)
{
  GHashTableIter iter;
  gpointer       value;

  if (now_us - limit->swept < SWEEP_EVERY_US)
    return;
  limit->swept = now_us;
  g_hash_table_iter_init (&iter, limit->buckets);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (refilled (limit, value, now_us) >= limit->burst)
      g_hash_table_iter_remove (&iter);
}

gboolean
dft_rate_limit_take (DftRateLimit *limit, const char *key, gint64 now_us, guint *retry_after_s)
{
  Bucket  *bucket;
  gboolean taken;

  g_mutex_lock (&limit->lock);
  sweep (limit, now_us);
  bucket = g_hash_table_lookup (limit->buckets, key);
  if (bucket == NULL)
    {
      bucket = g_new0 (Bucket, 1);
      bucket->tokens = limit->burst;
      bucket->updated = now_us;
      g_hash_table_insert (limit->buckets, g_strdup (key), bucket);
    }
  bucket->tokens = refilled (limit, bucket, now_us);
  bucket->updated = now_us;
  taken = bucket->tokens >= 1.0;
  if (taken)
    bucket->tokens -= 1.0;
  else if (retry_after_s != NULL)
    *retry_after_s = (guint) MAX (1.0, ceil ((1.0 - bucket->tokens) / limit->rate));
  g_mutex_unlock (&limit->lock);
  return taken;
}

guint
dft_rate_limit_size (DftRateLimit *limit)
{
  guint size;

  g_mutex_lock (&limit->lock);
  size = g_hash_table_size (limit->buckets);
  g_mutex_unlock (&limit->lock);
  return size;
}
