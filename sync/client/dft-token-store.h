/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dft-store.h"

G_BEGIN_DECLS

/*
 * Where this device keeps the token the server gave it: the desktop's keyring
 * (the Secret Service, through libsecret), in an item of the schema
 * "org.daftari.DeviceToken" with the attributes server-url and device-id.
 * Where no keyring can be reached (no D-Bus session, no keyring daemon: a
 * laptop without a desktop, the command-line tool over ssh), or the keyring
 * refuses (locked, its prompt dismissed), the token stays in the database's
 * sync state, and the state says why, for the window and the command-line
 * tool to tell the user.
 *
 * A token in the database is always the newest one: every save that reaches
 * the keyring erases the database's copy. So a load takes the database's copy
 * when there is one (and tries to move it into the keyring), and the keyring's
 * otherwise.
 *
 * Every function but dft_token_store_get_place() may wait on D-Bus and on a
 * keyring's unlock prompt: call them from a worker thread, never the UI's.
 * DAFTARI_NO_KEYRING=1 in the environment keeps the token in the database
 * without asking any keyring (tests, and machines where asking would hang).
 */

#define DFT_TOKEN_STORE_ERROR (dft_token_store_error_quark ())

typedef enum
{
  DFT_TOKEN_STORE_ERROR_UNAVAILABLE, /* the token is in a keyring that cannot be read now */
} DftTokenStoreError;

GQuark dft_token_store_error_quark (void);

typedef enum
{
  DFT_TOKEN_PLACE_NONE,     /* no token: the device is not signed in */
  DFT_TOKEN_PLACE_KEYRING,  /* in the desktop's keyring */
  DFT_TOKEN_PLACE_DATABASE, /* in the database: no keyring is available, or it refused */
} DftTokenPlace;

/* Keeps @token, which the server gave @device_id at @server_url (NULL: the address the device
 * signed in to), replacing the one kept before (in either place). Fails only when the
 * database cannot be written. */
gboolean dft_token_store_save (DftStore   *store,
                               const char *server_url,
                               const char *device_id,
                               const char *token,
                               GError    **error);
/* The token, or NULL with no error when the device is not signed in. A token found in the
 * database moves into the keyring when one is available now. */
char *dft_token_store_load (DftStore *store, GError **error);
/* Forgets the token in both places (signing out, a revoked device). */
gboolean dft_token_store_clear (DftStore *store, GError **error);
/* Where the token is, from the database's state alone (no D-Bus), and in @message (may be
 * NULL) a sentence saying so for the user, or NULL when there is no token. */
DftTokenPlace dft_token_store_get_place (DftStore *store, char **message, GError **error);

G_END_DECLS
