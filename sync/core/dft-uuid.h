/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Canonical lower-case text form, 36 characters. */
#define DFT_UUID_STRING_LEN 36

char    *dft_uuid_v7_new (void);
char    *dft_uuid_v7_new_at (gint64 unix_ms);
char    *dft_uuid_v5 (const char *namespace_uuid, const char *name);
char    *dft_uuid_v4_new (void);
gboolean dft_uuid_is_valid (const char *str);

/* Namespace for ids derived from other ids, such as one attendance mark per (session, person). */
#define DFT_UUID_NAMESPACE "6f1c3b0e-2d4a-4c55-9d1e-8a7b5e3c2f10"

G_END_DECLS
