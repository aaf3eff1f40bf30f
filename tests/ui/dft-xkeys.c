/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gdk/x11/gdkx.h>

#include "dft-test-util.h"
#include "dft-xkeys.h"

static char *
window_xid (GtkWindow *window)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));

  g_assert_true (GDK_IS_X11_SURFACE (surface));
  return g_strdup_printf ("%lu", (unsigned long) gdk_x11_surface_get_xid (surface));
}

static void
run_xdotool (GStrv argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *err = NULL;
  int                status = 0;

  /* The display is the test's own Xvfb; xdotool is in the packages the tests install. */
  g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("xdotool failed: %s", err != NULL ? err : "");
}

static void
focus_then (GtkWindow *window, const char *command, const char *const *args)
{
  g_autofree char         *xid = NULL;
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv)           argv = NULL;

  gtk_window_present (window);
  dft_test_settle (100);
  xid = window_xid (window);
  g_strv_builder_add_many (builder, "xdotool", "windowfocus", "--sync", xid, command, "--delay",
                           "30", NULL);
  g_strv_builder_addv (builder, (const char **) args);
  argv = g_strv_builder_end (builder);
  run_xdotool (argv);
  /* The presses are in the server's queue; let GTK read and handle every one. */
  dft_test_settle (150);
}

void
dft_xkeys_press (GtkWindow *window, const char *const *keys)
{
  g_return_if_fail (GTK_IS_WINDOW (window));
  g_return_if_fail (keys != NULL && keys[0] != NULL);

  focus_then (window, "key", keys);
}

void
dft_xkeys_type (GtkWindow *window, const char *text)
{
  const char *args[] = { text, NULL };

  g_return_if_fail (GTK_IS_WINDOW (window));
  focus_then (window, "type", args);
}

gboolean
dft_xkeys_have_layouts (void)
{
  g_autofree char *setxkbmap = g_find_program_in_path ("setxkbmap");

  return setxkbmap != NULL && g_file_test ("/usr/share/X11/xkb/symbols/ru", G_FILE_TEST_EXISTS)
         && g_file_test ("/usr/share/X11/xkb/symbols/kg", G_FILE_TEST_EXISTS);
}

void
dft_xkeys_set_layout (const char *layout)
{
  g_autoptr (GError) error = NULL;
  int                status = 0;
  const char        *argv[] = { "setxkbmap", "-layout", layout, NULL };

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status,
                &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  /* GTK reads the new keymap when the server says it changed. */
  dft_test_settle (300);
}
