/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "dft-bundle.h"
#include "dft-server-bundle.h"
#include "dft-server-scope.h"

/* The enrolled key of the device that claims to have made the bundle. */
static gboolean
enrolled_key (
    const char *device_id, const guint8 *claimed, guint8 *key, gpointer user_data, GError **error)
{
  DftServerDb          *db = user_data;
  g_autoptr (GError)    local_error = NULL;
  g_autoptr (DftDevice) device = dft_server_db_find_device (db, device_id, &local_error);
  g_autofree guchar    *raw = NULL;
  gsize                 length = 0;

  if (device == NULL
      && !g_error_matches (local_error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (device == NULL || device->sign_key == NULL)
    {
      g_set_error_literal (error, DFT_BUNDLE_ERROR, DFT_BUNDLE_ERROR_UNKNOWN_SIGNER,
                           _ ("This bundle was made by a device this server never enrolled, or "
                              "before it signed in with this version of Daftari. Nothing was "
                              "imported."));
      return FALSE;
    }
  if (device->revoked_at != 0)
    {
      g_set_error_literal (error, DFT_BUNDLE_ERROR, DFT_BUNDLE_ERROR_UNKNOWN_SIGNER,
                           _ ("This bundle was made by a device that was revoked. Nothing was "
                              "imported."));
      return FALSE;
    }
  raw = g_base64_decode (device->sign_key, &length);
  if (length != 32)
    return g_set_error_literal (error, DFT_BUNDLE_ERROR, DFT_BUNDLE_ERROR_UNKNOWN_SIGNER,
                                _ ("This device’s key on the server is damaged.")),
           FALSE;
  memcpy (key, raw, length);
  return TRUE;
}

gboolean
dft_server_import_bundle (DftStore      *store,
                          DftServerDb   *db,
                          GFile         *file,
                          const char    *passphrase,
                          DftApplyStats *stats,
                          guint         *skipped,
                          char         **signer,
                          GCancellable  *cancellable,
                          GError       **error)
{
  g_autoptr (DftBundle) bundle = NULL;
  g_autoptr (DftDevice) device = NULL;
  g_autoptr (DftScope)  scope = NULL;
  g_autoptr (GPtrArray) accepted = NULL;
  g_autoptr (GPtrArray) claim_ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) claim_entities = g_ptr_array_new_with_free_func (g_free);
  GPtrArray            *changes;
  gboolean              forked = FALSE;
  guint                 index = 0, left_out = 0;

  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);
  g_return_val_if_fail (DFT_IS_SERVER_DB (db), FALSE);
  g_return_val_if_fail (G_IS_FILE (file), FALSE);

  bundle = dft_bundle_open (store, file, passphrase, enrolled_key, db, cancellable, error);
  if (bundle == NULL)
    return FALSE;
  device = dft_server_db_find_device (db, dft_bundle_get_signer (bundle), error);
  if (device == NULL)
    return FALSE;
  changes = dft_bundle_get_changes (bundle);

  /* A clock far ahead of this one's would win every merge for as long as it lasts (issue 13):
   * the bundle is refused whole, as a push is. */
  if (!dft_store_check_clocks (store, changes, NULL, NULL, error))
    return FALSE;
  /* As at a laptop: a bundle that forks from what the server holds is refused whole. */
  if (!dft_store_find_fork (store, changes, &forked, &index, error))
    return FALSE;
  if (forked)
    {
      g_set_error_literal (error, DFT_STORE_ERROR, DFT_STORE_ERROR_FORKED,
                           _ ("This bundle holds changes that differ from those the server "
                              "holds under the same names: it comes from a copied database. "
                              "Sync that laptop instead. Nothing was imported."));
      return FALSE;
    }
  scope = dft_scope_new (store, db, device);
  accepted = dft_scope_filter_relay (scope, changes, claim_ids, claim_entities, &left_out, error);
  if (accepted == NULL
      || !dft_server_db_claim (db, claim_ids, claim_entities, device->team_id,
                               g_get_real_time () / G_USEC_PER_SEC, error))
    return FALSE;
  if (accepted->len > 0 && !dft_store_apply_changes (store, accepted, stats, error))
    {
      g_autoptr (GError) unclaim_error = NULL;

      /* Nothing of a refused bundle stays, its workshops' owners included. */
      if (!dft_server_db_unclaim (db, claim_ids, &unclaim_error))
        g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                          "could not undo workshop claims: %s", unclaim_error->message);
      return FALSE;
    }
  /* The files it carries, once its changes are in: nothing of a refused bundle is stored.
   * Should this fail, the laptop that made the bundle still holds them for its next sync. */
  if (!dft_bundle_keep_files (bundle, store, NULL, NULL, cancellable, error))
    return FALSE;
  if (skipped != NULL)
    *skipped = left_out;
  if (signer != NULL)
    *signer = g_strdup (device->id);
  return TRUE;
}
