/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "dft-bundle.h"
#include "dft-wire.h"
#include "fuzz-target.h"

/*
 * The USB bundle reader, applying into a store as bundle-import does. An input that starts
 * like gzip is taken as a whole bundle file (framing, checksum); any other input is taken as
 * the JSON inside one and packed with a good checksum first, so that mutations get past the
 * checksum to the decoder and the merge. The store is made once per process, in a folder of
 * its own that is removed at exit.
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

  if (store != NULL)
    return;
  folder = g_dir_make_tmp ("daftari-fuzz-bundle-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (folder, "daftari.db", NULL);
  store = dft_store_open (path, &error);
  g_assert_no_error (error);
  atexit (remove_folder);
}

static GBytes *
pack (const uint8_t *data, size_t size)
{
  g_autofree char    *checksum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, size);
  g_autoptr (GString) content = g_string_new_len ((const char *) data, (gssize) size);
  g_autoptr (GBytes)  plain = NULL;

  g_string_append_printf (content, "\nsha256:%s\n", checksum);
  plain = g_bytes_new (content->str, content->len);
  return dft_wire_gzip (plain);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) file_bytes = NULL;
  g_autoptr (GFile)  file = NULL;
  g_autofree char   *path = NULL;
  DftApplyStats      stats = { 0 };

  setup_once ();
  if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b)
    file_bytes = g_bytes_new (data, size);
  else
    file_bytes = pack (data, size);

  path = g_build_filename (folder, "input.daftari", NULL);
  if (!g_file_set_contents (path, g_bytes_get_data (file_bytes, NULL),
                            (gssize) g_bytes_get_size (file_bytes), &error))
    g_error ("Could not write %s: %s", path, error->message);
  file = g_file_new_for_path (path);
  if (!dft_bundle_import (store, file, &stats, NULL, &error))
    g_assert (error != NULL);
  return 0;
}
