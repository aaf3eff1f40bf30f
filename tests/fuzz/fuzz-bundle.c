/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "dft-bundle-private.h"
#include "dft-wire.h"
#include "fuzz-target.h"

/*
 * The USB bundle reader, applying into a store as bundle-import does. An input that starts
 * like a bundle ("DAFTARIB") is taken as a whole bundle file (header, decryption, signature);
 * any other input is taken as the JSON inside one and sealed and signed first, for the store's
 * own server key and by its own device, so that mutations get past the cryptography to the
 * decoder and the merge. The store is made once per process, in a folder of its own that is
 * removed at exit.
 */

static char     *folder;
static DftStore *store;

static void
remove_folder (void)
{
  g_autoptr (GDir) dir = NULL;
  const char      *name;

  g_clear_object (&store);
  dir = g_dir_open (folder, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (folder, name, NULL);
      g_unlink (path);
    }
  g_rmdir (folder);
}

static void
setup_once (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *path = NULL;
  g_autofree char   *key = NULL;

  if (store != NULL)
    return;
  folder = g_dir_make_tmp ("daftari-fuzz-bundle-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (folder, "daftari.db", NULL);
  store = dft_store_open (path, &error);
  g_assert_no_error (error);
  /* A server's records that its own laptop signed in to: it seals for itself. */
  key = dft_bundle_ensure_box_key (store, &error);
  g_assert_no_error (error);
  dft_store_set_sync_state (store, DFT_BUNDLE_STATE_SERVER_KEY, key, &error);
  g_assert_no_error (error);
  atexit (remove_folder);
}

/* The batch as the store's own bundle would name it, so that a mutated batch reaches the
 * merge; input that is not a JSON object is sealed as it is. */
static GBytes *
as_own_batch (const uint8_t *data, size_t size)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonNode)   root = NULL;
  g_autofree char       *text = NULL;
  JsonObject            *top;
  gsize                  length;

  if (!json_parser_load_from_data (parser, (const char *) data, (gssize) size, NULL)
      || json_parser_get_root (parser) == NULL
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return g_bytes_new (data, size);
  root = json_node_copy (json_parser_get_root (parser));
  top = json_node_get_object (root);
  json_object_set_int_member (top, "bundle", 2);
  json_object_set_string_member (top, "from", dft_store_get_device_id (store));
  text = json_to_string (root, FALSE);
  length = strlen (text);
  return g_bytes_new_take (g_steal_pointer (&text), length);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) input = NULL;
  g_autoptr (GFile)  file = NULL;
  g_autofree char   *path = NULL;
  DftApplyStats      stats = { 0 };

  setup_once ();
  path = g_build_filename (folder, "input.daftari", NULL);
  file = g_file_new_for_path (path);
  if (size >= 8 && memcmp (data, "DAFTARIB", 8) == 0)
    {
      if (!g_file_set_contents (path, (const char *) data, (gssize) size, &error))
        g_error ("Could not write %s: %s", path, error->message);
    }
  else if (!_dft_bundle_write (store, file, (input = as_own_batch (data, size)), NULL, NULL,
                               &error))
    g_error ("Could not write %s: %s", path, error->message);
  if (!dft_bundle_import (store, file, "fuzz", &stats, NULL, &error))
    g_assert (error != NULL);
  return 0;
}
