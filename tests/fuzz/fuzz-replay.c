/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib.h>

#include "fuzz-target.h"

/*
 * A main for a fuzz target without libFuzzer: runs LLVMFuzzerTestOneInput once on each file
 * named, and on every file below each folder named, in name order. A folder that is not there
 * (../shared on a machine without it) is skipped with a message.
 */

static guint
run_file (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *data = NULL;
  gsize              size = 0;

  if (!g_file_get_contents (path, &data, &size, &error))
    g_error ("Could not read %s: %s", path, error->message);
  /* Named before it runs: a crash leaves the name of the input in the log. */
  g_printerr ("%s\n", path);
  LLVMFuzzerTestOneInput ((const uint8_t *) data, size);
  return 1;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

static guint
run_path (const char *path)
{
  g_autoptr (GDir)      dir = NULL;
  g_autoptr (GPtrArray) names = NULL;
  const char           *name;
  guint                 n = 0;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    return run_file (path);
  dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    g_error ("Could not open the folder %s", path);
  names = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (names, g_build_filename (path, name, NULL));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    n += run_path (g_ptr_array_index (names, i));
  return n;
}

int
main (int argc, char **argv)
{
  guint n = 0;

  LLVMFuzzerInitialize (&argc, &argv);
  for (int i = 1; i < argc; i++)
    {
      if (!g_file_test (argv[i], G_FILE_TEST_EXISTS))
        {
          g_print ("%s is not there: skipped\n", argv[i]);
          continue;
        }
      n += run_path (argv[i]);
    }
  g_print ("%u inputs replayed, none crashed\n", n);
  return 0;
}
