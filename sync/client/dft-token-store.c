/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsecret/secret.h>

#include "dft-token-store.h"

/*
 * The sync state keys this module owns:
 *   token                 the token when the database keeps it, else ""
 *   token_device          the device id the token was given to (check_token_device() reads it)
 *   token_in_keyring      "1" when the keyring holds the token
 *   token_keyring_url     the attributes of the keyring's item, kept until the item is gone,
 *   token_keyring_device  so that a new sign-in or a sign-out removes the old one
 *   token_fallback        why the database keeps it: FALLBACK_* below
 *   token_refused_at      when a keyring last refused it (seconds since 1970)
 */

#define FALLBACK_NO_KEYRING "no-keyring" /* no Secret Service could be reached */
#define FALLBACK_REFUSED    "refused"    /* a keyring refused: locked, or a prompt dismissed */
#define FALLBACK_DISABLED   "disabled"   /* DAFTARI_NO_KEYRING=1 */

/* A keyring that refused is asked again after this long, not on every sync: asking a locked
 * keyring shows an unlock prompt each time. */
#define REFUSED_RETRY_SECONDS (24 * 60 * 60)

/* clang-format off */
G_DEFINE_QUARK (dft-token-store-error-quark, dft_token_store_error)
/* clang-format on */

static const SecretSchema *
token_schema (void)
{
  static const SecretSchema schema = {
    "org.daftari.DeviceToken",
    SECRET_SCHEMA_NONE,
    {
        { "server-url", SECRET_SCHEMA_ATTRIBUTE_STRING },
        { "device-id", SECRET_SCHEMA_ATTRIBUTE_STRING },
        { NULL, 0 },
    },
  };

  return &schema;
}

/* A stored value, NULL when absent or empty ("" stands for "none"). */
static char *
state_get (DftStore *store, const char *key, GError **error)
{
  g_autofree char *text = dft_store_get_sync_state (store, key, error);

  return text != NULL && *text != '\0' ? g_steal_pointer (&text) : NULL;
}

static gboolean
state_set_pairs (DftStore *store, const char *const *pairs, GError **error)
{
  for (guint i = 0; pairs[i] != NULL; i += 2)
    if (!dft_store_set_sync_state (store, pairs[i], pairs[i + 1], error))
      return FALSE;
  return TRUE;
}

/*
 * Whether to ask a keyring at all; if not, *why says why. Without a session bus's address
 * nor the user's bus socket GDBus would try to start a bus of its own (dbus-launch), which
 * holds no keyring: that is "no keyring", found without waiting.
 */
static gboolean
keyring_wanted (const char **why)
{
  const char      *disabled = g_getenv ("DAFTARI_NO_KEYRING");
  const char      *address = g_getenv ("DBUS_SESSION_BUS_ADDRESS");
  const char      *runtime = g_getenv ("XDG_RUNTIME_DIR");
  g_autofree char *socket = NULL;

  if (disabled != NULL && *disabled != '\0' && !g_str_equal (disabled, "0"))
    {
      *why = FALLBACK_DISABLED;
      return FALSE;
    }
  if (address != NULL && *address != '\0')
    return TRUE;
  if (runtime != NULL && *runtime != '\0')
    {
      socket = g_build_filename (runtime, "bus", NULL);
      if (g_file_test (socket, G_FILE_TEST_EXISTS))
        return TRUE;
    }
  *why = FALLBACK_NO_KEYRING;
  return FALSE;
}

/* A locked keyring, a dismissed prompt, a refusal: the keyring is there and said no. Anything
 * else (no bus, no Secret Service on it, no answer) means there is no keyring to use. */
static const char *
why_refused (const GError *error)
{
  if (error == NULL || error->domain == SECRET_ERROR
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED)
      || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_AUTH_FAILED))
    return FALLBACK_REFUSED;
  return FALLBACK_NO_KEYRING;
}

static gboolean
keyring_store (const char *server_url, const char *device_id, const char *token, const char **why)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *label = NULL;

  if (!keyring_wanted (why))
    return FALSE;
  /* Translators: the name of the device's token in the desktop's keyring (Passwords and Keys);
     %s is the server's address */
  label = g_strdup_printf (_ ("Daftari device token for %s"), server_url);
  if (secret_password_store_sync (token_schema (), SECRET_COLLECTION_DEFAULT, label, token, NULL,
                                  &error, "server-url", server_url, "device-id", device_id, NULL))
    return TRUE;
  *why = why_refused (error);
  g_debug ("token: the keyring did not take the token (%s): %s", *why,
           error != NULL ? error->message : "no reason given");
  return FALSE;
}

/*
 * Removes the keyring's item the state names, if any; TRUE when none is left. An item of
 * another device id is left alone: this database took a new id because it is a copy, and the
 * database it was copied from, on this computer, may still use that item.
 */
static gboolean
keyring_forget_old (DftStore *store, const char *keep_url, const char *keep_device)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *url = state_get (store, "token_keyring_url", NULL);
  g_autofree char   *device = state_get (store, "token_keyring_device", NULL);
  const char        *why;

  if (url == NULL || device == NULL)
    return TRUE;
  if (g_strcmp0 (url, keep_url) == 0 && g_strcmp0 (device, keep_device) == 0)
    return TRUE;
  if (!g_str_equal (device, dft_store_get_device_id (store)))
    return TRUE;
  if (!keyring_wanted (&why))
    return FALSE;
  secret_password_clear_sync (token_schema (), NULL, &error, "server-url", url, "device-id", device,
                              NULL);
  if (error != NULL)
    {
      g_debug ("token: the old token stays in the keyring: %s", error->message);
      return FALSE;
    }
  return TRUE;
}

/* The keyring holds @token now: say so, then erase the database's copy. */
static gboolean
note_in_keyring (DftStore *store, const char *server_url, const char *device_id, GError **error)
{
  const char *pairs[] = { "token_device",
                          device_id,
                          "token_in_keyring",
                          "1",
                          "token_fallback",
                          "",
                          "token_refused_at",
                          "",
                          NULL };
  const char *item[] = { "token_keyring_url", server_url, "token_keyring_device", device_id, NULL };

  if (!state_set_pairs (store, pairs, error))
    return FALSE;
  /* The item before this one goes, then the state names this one. */
  keyring_forget_old (store, server_url, device_id);
  return state_set_pairs (store, item, error) && dft_store_erase_sync_state (store, "token", error);
}

static gboolean
note_in_database (
    DftStore *store, const char *device_id, const char *token, const char *why, GError **error)
{
  g_autofree char *now = g_strdup_printf ("%" G_GINT64_FORMAT, g_get_real_time () / G_USEC_PER_SEC);
  const char      *pairs[] = { "token",
                               token,
                               "token_device",
                               device_id,
                               "token_in_keyring",
                               "0",
                               "token_fallback",
                               why,
                               "token_refused_at",
                          g_str_equal (why, FALLBACK_REFUSED) ? now : "",
                               NULL };
  const char      *no_item[] = { "token_keyring_url", "", "token_keyring_device", "", NULL };

  if (!state_set_pairs (store, pairs, error))
    return FALSE;
  /* An item a keyring still holds is of no use now; the state keeps naming it until it is gone. */
  if (keyring_forget_old (store, NULL, NULL))
    return state_set_pairs (store, no_item, error);
  return TRUE;
}

gboolean
dft_token_store_save (DftStore   *store,
                      const char *server_url,
                      const char *device_id,
                      const char *token,
                      GError    **error)
{
  g_autofree char *signed_in_to = NULL;
  const char      *why = FALLBACK_NO_KEYRING;

  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);
  g_return_val_if_fail (device_id != NULL && token != NULL, FALSE);

  if (server_url == NULL)
    server_url = signed_in_to = state_get (store, "server_url", NULL);
  if (server_url != NULL && keyring_store (server_url, device_id, token, &why))
    return note_in_keyring (store, server_url, device_id, error);
  return note_in_database (store, device_id, token, why, error);
}

/* Whether to try moving the database's token into the keyring now. */
static gboolean
should_migrate (DftStore *store)
{
  g_autofree char *fallback = state_get (store, "token_fallback", NULL);
  g_autofree char *refused = NULL;
  gint64           at;

  if (g_strcmp0 (fallback, FALLBACK_REFUSED) != 0)
    return TRUE;
  refused = state_get (store, "token_refused_at", NULL);
  at = refused != NULL ? g_ascii_strtoll (refused, NULL, 10) : 0;
  return g_get_real_time () / G_USEC_PER_SEC - at >= REFUSED_RETRY_SECONDS;
}

/* A token the database keeps moves into a keyring that has become available; when the
 * keyring refuses, the database's copy stays, so nothing is lost. */
static void
migrate (DftStore *store, const char *token)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *server_url = state_get (store, "server_url", NULL);
  g_autofree char   *device_id = state_get (store, "token_device", NULL);
  g_autofree char   *fallback = NULL;
  const char        *why = NULL;

  if (server_url == NULL || !should_migrate (store))
    return;
  if (device_id == NULL)
    device_id = g_strdup (dft_store_get_device_id (store));
  if (keyring_store (server_url, device_id, token, &why))
    {
      if (!note_in_keyring (store, server_url, device_id, &error))
        g_warning ("token: moved into the keyring, but the database still holds it: %s",
                   error->message);
      return;
    }
  /* Still in the database: record why now, when that changed. */
  fallback = state_get (store, "token_fallback", NULL);
  if (g_strcmp0 (fallback, why) != 0 || g_str_equal (why, FALLBACK_REFUSED))
    {
      g_autofree char *now
          = g_strdup_printf ("%" G_GINT64_FORMAT, g_get_real_time () / G_USEC_PER_SEC);
      const char *pairs[] = { "token_fallback", why, "token_refused_at",
                              g_str_equal (why, FALLBACK_REFUSED) ? now : "", NULL };

      state_set_pairs (store, pairs, NULL);
    }
}

char *
dft_token_store_load (DftStore *store, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char   *token = NULL;
  g_autofree char   *in_keyring = NULL;
  g_autofree char   *url = NULL;
  g_autofree char   *device = NULL;
  char              *secret;
  const char        *why = NULL;

  g_return_val_if_fail (DFT_IS_STORE (store), NULL);

  token = state_get (store, "token", &local_error);
  if (local_error == NULL && token != NULL)
    {
      migrate (store, token);
      return g_steal_pointer (&token);
    }
  if (local_error == NULL)
    in_keyring = state_get (store, "token_in_keyring", &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (g_strcmp0 (in_keyring, "1") != 0)
    return NULL;

  url = state_get (store, "token_keyring_url", NULL);
  device = state_get (store, "token_keyring_device", NULL);
  if (url == NULL || device == NULL)
    return NULL;
  if (!keyring_wanted (&why))
    {
      g_set_error_literal (error, DFT_TOKEN_STORE_ERROR, DFT_TOKEN_STORE_ERROR_UNAVAILABLE,
                           _ ("This device’s token is in the desktop’s keyring, which cannot be "
                              "reached here. Sync from the desktop session, or sign in again."));
      return NULL;
    }
  secret = secret_password_lookup_sync (token_schema (), NULL, &local_error, "server-url", url,
                                        "device-id", device, NULL);
  if (secret == NULL)
    {
      g_debug ("token: not read from the keyring: %s",
               local_error != NULL ? local_error->message : "no such item, or locked");
      g_set_error_literal (error, DFT_TOKEN_STORE_ERROR, DFT_TOKEN_STORE_ERROR_UNAVAILABLE,
                           _ ("This device’s token could not be read from the desktop’s keyring: "
                              "the keyring may be locked, or the token was removed from it. "
                              "Unlock the keyring, or sign in again."));
      return NULL;
    }
  token = g_strdup (secret);
  secret_password_free (secret);
  return g_steal_pointer (&token);
}

gboolean
dft_token_store_clear (DftStore *store, GError **error)
{
  const char *pairs[]
      = { "token_in_keyring", "0", "token_fallback", "", "token_refused_at", "", NULL };
  const char *no_item[] = { "token_keyring_url", "", "token_keyring_device", "", NULL };

  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);

  if (!dft_store_erase_sync_state (store, "token", error) || !state_set_pairs (store, pairs, error))
    return FALSE;
  /* A keyring out of reach now keeps its item until a later sign-in or sign-out removes it. */
  if (keyring_forget_old (store, NULL, NULL))
    return state_set_pairs (store, no_item, error);
  return TRUE;
}

DftTokenPlace
dft_token_store_get_place (DftStore *store, char **message, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char   *token = NULL;
  g_autofree char   *in_keyring = NULL;
  g_autofree char   *fallback = NULL;

  g_return_val_if_fail (DFT_IS_STORE (store), DFT_TOKEN_PLACE_NONE);

  if (message != NULL)
    *message = NULL;
  token = state_get (store, "token", &local_error);
  if (local_error == NULL)
    in_keyring = state_get (store, "token_in_keyring", &local_error);
  if (local_error == NULL)
    fallback = state_get (store, "token_fallback", &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return DFT_TOKEN_PLACE_NONE;
    }

  if (token != NULL)
    {
      if (message != NULL)
        *message = g_strdup (
            g_strcmp0 (fallback, FALLBACK_REFUSED) == 0
                ? _ ("The device token is kept in this computer’s database because the keyring "
                     "refused it (it may be locked).")
                : _ ("The device token is kept in this computer’s database because no keyring "
                     "is available."));
      return DFT_TOKEN_PLACE_DATABASE;
    }
  if (g_strcmp0 (in_keyring, "1") == 0)
    {
      if (message != NULL)
        *message = g_strdup (_ ("The device token is kept in the desktop’s keyring."));
      return DFT_TOKEN_PLACE_KEYRING;
    }
  return DFT_TOKEN_PLACE_NONE;
}
