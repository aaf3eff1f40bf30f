/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <locale.h>
#include <stdlib.h>

#include "dft-test-util.h"

/*
 * Tests never touch the real user's folders. GLib's G_TEST_OPTION_ISOLATE_DIRS
 * would do this, but it leaks its paths, which LeakSanitizer reports in every
 * sanitizer run; so each test process gets its own folders here, before
 * anything in GLib reads them.
 */
static char *test_home;

static void remove_tree (const char *path);

static void
remove_test_home (void)
{
  if (test_home != NULL)
    remove_tree (test_home);
  g_clear_pointer (&test_home, g_free);
}

void
dft_test_init (int *argc, char ***argv)
{
  static const char *vars[] = { "XDG_DATA_HOME",  "XDG_CONFIG_HOME", "XDG_CACHE_HOME",
                                "XDG_STATE_HOME", "XDG_RUNTIME_DIR", "HOME" };
  const char        *root;

  setlocale (LC_ALL, "");
  test_home = g_dir_make_tmp ("daftari-home-XXXXXX", NULL);
  g_assert (test_home != NULL);
  root = test_home;
  atexit (remove_test_home);
  for (guint i = 0; i < G_N_ELEMENTS (vars); i++)
    {
      g_autofree char *dir = g_build_filename (root, vars[i], NULL);
      g_mkdir_with_parents (dir, 0700);
      g_setenv (vars[i], dir, TRUE);
    }
  g_unsetenv ("DAFTARI_DB");
  g_test_init (argc, argv, NULL);
}

char *
dft_test_make_dir (void)
{
  g_autoptr (GError) error = NULL;
  char              *dir = g_dir_make_tmp ("daftari-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
remove_tree (const char *path)
{
  GDir       *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          if (g_file_test (child, G_FILE_TEST_IS_DIR)
              && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            remove_tree (child);
          else
            g_unlink (child);
        }
      g_dir_close (dir);
    }
  g_chmod (path, 0700);
  g_rmdir (path);
}

void
dft_test_dir_free (char *dir)
{
  if (dir == NULL)
    return;
  remove_tree (dir);
  g_free (dir);
}

DftStore *
dft_test_open_store (char **out_dir)
{
  g_autoptr (GError) error = NULL;
  char              *dir = dft_test_make_dir ();
  g_autofree char   *path = g_build_filename (dir, "daftari.db", NULL);
  DftStore          *store = dft_store_open (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (store);
  *out_dir = dir;
  return store;
}

char *
dft_test_shared_path (const char *relative)
{
  const char      *shared = g_getenv ("DAFTARI_SHARED");
  g_autofree char *path = NULL;

  if (shared == NULL)
    return NULL;
  path = g_build_filename (shared, relative, NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return NULL;
  return g_steal_pointer (&path);
}

DftRecord *
dft_test_add_event (DftStore *store, const char *title, const char *start, const char *end)
{
  g_autoptr (GError) error = NULL;
  DftRecord         *event = dft_record_new_for_entity (&dft_entity_event);

  dft_record_set_string (event, "title", title);
  dft_record_set_string (event, "start_date", start);
  dft_record_set_string (event, "end_date", end);
  dft_record_set_string (event, "country", "KG");
  dft_store_save (store, event, &error);
  g_assert_no_error (error);
  return event;
}

DftRecord *
dft_test_add_person (DftStore *store, const char *given, const char *family)
{
  g_autoptr (GError) error = NULL;
  DftRecord         *person = dft_record_new_for_entity (&dft_entity_person);

  dft_record_set_string (person, "given_name", given);
  dft_record_set_string (person, "family_name", family);
  dft_store_save (store, person, &error);
  g_assert_no_error (error);
  return person;
}

void
dft_test_drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/*
 * List reloads run in worker threads and "changed" is delivered from the main
 * context; both hold the store. Let them finish before asserting it is freed.
 */
void
dft_test_release_store (DftStore *store)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (G_OBJECT (store)->ref_count > 1 && g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  g_assert_finalize_object (store);
}

static gboolean
timeout_cb (gpointer data)
{
  g_error ("Timed out waiting for an asynchronous result");
  return G_SOURCE_REMOVE;
}

void
dft_test_wait_for (gboolean *flag)
{
  guint id = g_timeout_add_seconds (20, timeout_cb, NULL);

  while (!*flag)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (id);
}

void
dft_test_wait_until (DftTestCondition condition, gpointer data, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for %s", what);
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (2000);
    }
}

void
dft_test_settle (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (2000);
}
