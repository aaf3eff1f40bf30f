/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <sodium.h>
#include <string.h>

#include "dft-server-auth.h"

/* The quark's name is a string: the formatter would put spaces in it. */
/* clang-format off */
G_DEFINE_QUARK (dft-server-auth-error-quark, dft_server_auth_error)
/* clang-format on */

#define TOKEN_PREFIX "dft1_"
#define TOKEN_BYTES  32
#define CODE_CHARS   16
#define CODE_GROUP   4

/* Crockford's base32: no I, L, O or U, so that a code read aloud or copied by hand survives. */
static const char code_alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/*
 * Argon2id at libsodium's "interactive" cost (64 MiB, 2 passes): about a
 * tenth of a second on a small server. As many hashes at once as there are
 * processors (four at most): a burst of sign-ins uses every core, and its
 * memory stays bounded (64 MiB a hash).
 */
#define MAX_HASHES 4

static GMutex hash_lock;
static GCond  hash_free;
static guint  hashing;

static void
hash_begin (void)
{
  guint slots = CLAMP (g_get_num_processors (), 1, MAX_HASHES);

  g_mutex_lock (&hash_lock);
  while (hashing >= slots)
    g_cond_wait (&hash_free, &hash_lock);
  hashing++;
  g_mutex_unlock (&hash_lock);
}

static void
hash_end (void)
{
  g_mutex_lock (&hash_lock);
  hashing--;
  g_cond_signal (&hash_free);
  g_mutex_unlock (&hash_lock);
}

gboolean
dft_server_auth_init (GError **error)
{
  if (sodium_init () < 0)
    {
      g_set_error (error, DFT_SERVER_AUTH_ERROR, DFT_SERVER_AUTH_ERROR_FAILED,
                   _ ("The cryptography library could not start."));
      return FALSE;
    }
  return TRUE;
}

char *
dft_server_auth_hash_password (const char *password, GError **error)
{
  char  out[crypto_pwhash_STRBYTES];
  gsize length;
  int   rc;

  g_return_val_if_fail (password != NULL, NULL);

  length = strlen (password);
  if (length < DFT_SERVER_PASSWORD_MIN || length > DFT_SERVER_PASSWORD_MAX)
    {
      g_set_error (error, DFT_SERVER_AUTH_ERROR, DFT_SERVER_AUTH_ERROR_WEAK_PASSWORD,
                   /* Translators: the numbers are the shortest and longest password allowed */
                   _ ("A password must have between %d and %d characters."),
                   DFT_SERVER_PASSWORD_MIN, DFT_SERVER_PASSWORD_MAX);
      return NULL;
    }

  hash_begin ();
  rc = crypto_pwhash_str (out, password, length, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE);
  hash_end ();
  if (rc != 0)
    {
      g_set_error (error, DFT_SERVER_AUTH_ERROR, DFT_SERVER_AUTH_ERROR_FAILED,
                   _ ("The password could not be hashed: the server is out of memory."));
      return NULL;
    }
  return g_strdup (out);
}

gboolean
dft_server_auth_verify_password (const char *hash, const char *password)
{
  gsize length;
  int   rc;

  g_return_val_if_fail (password != NULL, FALSE);

  length = strlen (password);
  if (hash == NULL || length > DFT_SERVER_PASSWORD_MAX || strlen (hash) >= crypto_pwhash_STRBYTES)
    return FALSE;

  hash_begin ();
  rc = crypto_pwhash_str_verify (hash, password, length);
  hash_end ();
  return rc == 0;
}

void
dft_server_auth_waste_verification (const char *password)
{
  static char  dummy[crypto_pwhash_STRBYTES];
  static gsize made = 0;

  if (g_once_init_enter (&made))
    {
      unsigned char random[16];

      randombytes_buf (random, sizeof random);
      if (crypto_pwhash_str (dummy, (const char *) random, sizeof random,
                             crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE)
          != 0)
        dummy[0] = '\0';
      g_once_init_leave (&made, 1);
    }
  dft_server_auth_verify_password (dummy[0] != '\0' ? dummy : NULL, password);
}

char *
dft_server_auth_new_token (void)
{
  unsigned char bytes[TOKEN_BYTES];
  char b64[sodium_base64_ENCODED_LEN (TOKEN_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

  randombytes_buf (bytes, sizeof bytes);
  sodium_bin2base64 (b64, sizeof b64, bytes, sizeof bytes,
                     sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero (bytes, sizeof bytes);
  return g_strconcat (TOKEN_PREFIX, b64, NULL);
}

char *
dft_server_auth_new_enrolment_code (void)
{
  GString *code = g_string_new (NULL);

  for (guint i = 0; i < CODE_CHARS; i++)
    {
      if (i > 0 && i % CODE_GROUP == 0)
        g_string_append_c (code, '-');
      /* 32 divides 2^32: uniform. */
      g_string_append_c (code, code_alphabet[randombytes_uniform (32)]);
    }
  return g_string_free (code, FALSE);
}

char *
dft_server_auth_normalize_code (const char *typed)
{
  GString *code;

  g_return_val_if_fail (typed != NULL, NULL);

  code = g_string_new (NULL);
  for (const char *p = typed; *p != '\0'; p++)
    {
      char c = g_ascii_toupper (*p);

      if (c == '-' || c == ' ')
        continue;
      if (c == 'O')
        c = '0';
      else if (c == 'I' || c == 'L')
        c = '1';
      if (strchr (code_alphabet, c) == NULL || code->len >= CODE_CHARS)
        {
          g_string_free (code, TRUE);
          return NULL;
        }
      g_string_append_c (code, c);
    }
  if (code->len != CODE_CHARS)
    {
      g_string_free (code, TRUE);
      return NULL;
    }
  return g_string_free (code, FALSE);
}

char *
dft_server_auth_hash_secret (const char *secret)
{
  unsigned char hash[crypto_generichash_BYTES];
  char          hex[crypto_generichash_BYTES * 2 + 1];

  g_return_val_if_fail (secret != NULL, NULL);

  crypto_generichash (hash, sizeof hash, (const unsigned char *) secret, strlen (secret), NULL, 0);
  sodium_bin2hex (hex, sizeof hex, hash, sizeof hash);
  return g_strdup (hex);
}
