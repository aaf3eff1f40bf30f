/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Secrets of the server: passwords (Argon2id), device tokens and enrolment
 * codes. Only hashes of them are ever stored; the clear text leaves the
 * server once, in the reply that issues it, and is never logged.
 */

#define DFT_SERVER_AUTH_ERROR (dft_server_auth_error_quark ())

typedef enum
{
  DFT_SERVER_AUTH_ERROR_WEAK_PASSWORD,
  DFT_SERVER_AUTH_ERROR_FAILED,
} DftServerAuthError;

GQuark dft_server_auth_error_quark (void);

/* The shortest and longest password an account may have, in bytes. */
#define DFT_SERVER_PASSWORD_MIN 10
#define DFT_SERVER_PASSWORD_MAX 1024

gboolean dft_server_auth_init (GError **error);

/* An Argon2id string ("$argon2id$v=19$…"); one hash at a time, as each takes 64 MiB. */
char    *dft_server_auth_hash_password (const char *password, GError **error);
gboolean dft_server_auth_verify_password (const char *hash, const char *password);
/* Spends the time a verification takes, so that an unknown user name is not told apart. */
void dft_server_auth_waste_verification (const char *password);

/* A device token: 32 random bytes, URL-safe base64 behind the prefix "dft1_". */
char *dft_server_auth_new_token (void);
/* An enrolment code a person can type: 16 characters of Crockford base32 in groups of four. */
char *dft_server_auth_new_enrolment_code (void);
/* The code as typed (any case, with or without dashes, O for 0, I or L for 1) in canonical form. */
char *dft_server_auth_normalize_code (const char *typed);
/* The hash by which a token or a normalized code is stored and looked up: BLAKE2b, hex. */
char *dft_server_auth_hash_secret (const char *secret);

G_END_DECLS
