/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A request rate limit per key (a token, an address): a token bucket that
 * refills at @rate requests a second up to @burst. A key that has been idle
 * long enough to fill its bucket is forgotten, so the table holds only keys in
 * use. Safe from any thread.
 */
typedef struct _DftRateLimit DftRateLimit;

DftRateLimit *dft_rate_limit_new (double rate, double burst);
void          dft_rate_limit_free (DftRateLimit *limit);
/* Takes one request for @key at @now_us (monotonic): TRUE when it may go on; otherwise
 * *retry_after_s is how many whole seconds until it may. */
gboolean
dft_rate_limit_take (DftRateLimit *limit, const char *key, gint64 now_us, guint *retry_after_s);
guint dft_rate_limit_size (DftRateLimit *limit);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftRateLimit, dft_rate_limit_free)

G_END_DECLS
