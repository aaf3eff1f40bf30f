/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "dft-bundle.h"
#include "dft-change-log.h"
#include "dft-store-private.h"
#include "dft-uuid.h"
#include "dft-wire.h"

/* The quark's name is a string: the formatter would put spaces in it. */
/* clang-format off */
G_DEFINE_QUARK (dft-bundle-error-quark, dft_bundle_error)
/* clang-format on */

#define CHECKSUM_PREFIX "\nsha256:"

/*
 * Which server's data the store belongs to: a server keeps its own epoch as "server_epoch", a
 * laptop the epoch its server told it at the last sync as "epoch". NULL for a laptop that has
 * never synced.
 */
static char *
server_mark (DftStore *store)
{
  char *epoch = dft_store_get_sync_state (store, "server_epoch", NULL);

  return epoch != NULL ? epoch : dft_store_get_sync_state (store, "epoch", NULL);
}

gboolean
dft_bundle_export (DftStore     *store,
                   GFile        *file,
                   gint64        after_seq,
                   guint        *n_changes,
                   GCancellable *cancellable,
                   GError      **error)
{
  g_autoptr (GPtrArray)  changes = NULL;
  g_autoptr (JsonObject) extra = json_object_new ();
  g_autoptr (GBytes)     json = NULL;
  g_autoptr (GBytes)     packed = NULL;
  g_autoptr (GByteArray) content = g_byte_array_new ();
  g_autofree char       *epoch = NULL;
  g_autofree char       *checksum = NULL;
  gsize                  size;
  const guint8          *data;

  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);
  g_return_val_if_fail (G_IS_FILE (file), FALSE);

  changes = dft_store_read_log (store, after_seq, 0, NULL, NULL, error);
  if (changes == NULL)
    return FALSE;
  epoch = server_mark (store);

  json_object_set_int_member (extra, "bundle", 1);
  json_object_set_string_member (extra, "from", dft_store_get_device_id (store));
  if (epoch != NULL)
    json_object_set_string_member (extra, "for", epoch);
  json_object_set_int_member (extra, "created", g_get_real_time () / 1000);
  json = dft_wire_encode_batch (changes, extra);

  /* The checksum covers the JSON: a bundle damaged on a USB stick is refused whole. */
  data = g_bytes_get_data (json, &size);
  checksum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, size);
  g_byte_array_append (content, data, (guint) size);
  g_byte_array_append (content, (const guint8 *) CHECKSUM_PREFIX, strlen (CHECKSUM_PREFIX));
  g_byte_array_append (content, (const guint8 *) checksum, (guint) strlen (checksum));
  g_byte_array_append (content, (const guint8 *) "\n", 1);
  {
    g_autoptr (GBytes) plain = g_byte_array_free_to_bytes (g_steal_pointer (&content));
    packed = dft_wire_gzip (plain);
  }

  /* Written beside the target and renamed over it when complete. */
  if (!g_file_replace_contents (file, g_bytes_get_data (packed, NULL), g_bytes_get_size (packed),
                                NULL, FALSE, G_FILE_CREATE_PRIVATE, NULL, cancellable, error))
    return FALSE;
  if (n_changes != NULL)
    *n_changes = changes->len;
  return TRUE;
}

static gboolean
damaged (GError **error)
{
  g_set_error (
      error, DFT_BUNDLE_ERROR, DFT_BUNDLE_ERROR_DAMAGED,
      _ ("This file is not a complete Daftari bundle: it may have been cut short or damaged "
         "while it was copied. Nothing was imported; copy it again from the device that made "
         "it."));
  return FALSE;
}

gboolean
dft_bundle_import (
    DftStore *store, GFile *file, DftApplyStats *stats, GCancellable *cancellable, GError **error)
{
  g_autoptr (GBytes)     packed = NULL;
  g_autoptr (GBytes)     plain = NULL;
  g_autoptr (GBytes)     json = NULL;
  g_autoptr (GPtrArray)  changes = NULL;
  g_autoptr (JsonObject) top = NULL;
  g_autoptr (GError)     local_error = NULL;
  g_autofree char       *checksum = NULL;
  g_autofree char       *epoch = NULL;
  const char            *data, *mark;
  gsize                  size;
  gboolean               forked = FALSE;
  guint                  index = 0;

  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);
  g_return_val_if_fail (G_IS_FILE (file), FALSE);

  packed = g_file_load_bytes (file, cancellable, NULL, error);
  if (packed == NULL)
    return FALSE;
  if (g_bytes_get_size (packed) > DFT_WIRE_MAX_GZIP * 16)
    return damaged (error);
  plain = dft_wire_gunzip (packed, DFT_WIRE_MAX_JSON, &local_error);
  if (plain == NULL)
    return damaged (error);

  data = g_bytes_get_data (plain, &size);
  mark = g_strrstr_len (data, (gssize) size, CHECKSUM_PREFIX);
  if (mark == NULL)
    return damaged (error);
  json = g_bytes_new_from_bytes (plain, 0, (gsize) (mark - data));
  checksum = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, json);
  if (size - (gsize) (mark - data) != strlen (CHECKSUM_PREFIX) + strlen (checksum) + 1
      || strncmp (mark + strlen (CHECKSUM_PREFIX), checksum, strlen (checksum)) != 0)
    return damaged (error);

  changes = dft_wire_decode_batch (json, &top, &local_error);
  if (changes == NULL || !json_object_has_member (top, "bundle"))
    return damaged (error);

  /* A bundle made for another server's data would mix two programmes' records. */
  epoch = server_mark (store);
  if (epoch != NULL && json_object_has_member (top, "for")
      && g_strcmp0 (json_object_get_string_member (top, "for"), epoch) != 0)
    {
      g_set_error (
          error, DFT_BUNDLE_ERROR, DFT_BUNDLE_ERROR_OTHER_SERVER,
          _ ("This bundle was made for another Daftari server's data. Nothing was imported."));
      return FALSE;
    }

  if (!dft_store_find_fork (store, changes, &forked, &index, error))
    return FALSE;
  if (forked)
    {
      DftChange       *change = g_ptr_array_index (changes, index);
      g_autofree char *fresh = NULL;
      /* The other copy's changes under the shared id were never pulled here: pull again. */
      const char *state[] = { "push_acked_seq", "0", "pull_cursor", "0", NULL };

      if (g_strcmp0 (change->device_id, dft_store_get_device_id (store)) != 0)
        return _dft_store_set_fork_error (error, change);
      /* This database and the bundle's maker are copies of one file: this one takes a new id
       * for what it made since they parted, and both keep everything. */
      fresh = dft_uuid_v4_new ();
      if (!dft_store_take_identity (store, fresh, change->origin_seq - 1, state, error))
        return FALSE;
    }
  if (!dft_store_apply_changes (store, changes, stats, error))
    return FALSE;
  if (stats != NULL)
    stats->new_identity = forked;
  return TRUE;
}
