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

/*
 * How many keys GTK has let go of since the presses began, in every window of the process:
 * a key that opens a dialog or moves the focus has its release delivered to the window that
 * has the focus then, not always the one it was pressed in.
 */
typedef struct
{
  guint       released; /* releases of keys that are not modifiers */
  GPtrArray  *controllers;
  GListModel *toplevels;
  GtkWindow  *window; /* weak: a press may close it */
} KeyWait;

static void
key_released (GtkEventControllerKey *controller,
              guint                  keyval,
              guint                  keycode,
              GdkModifierType        state,
              KeyWait               *w)
{
  GdkEvent *event = gtk_event_controller_get_current_event (GTK_EVENT_CONTROLLER (controller));

  /* "ctrl+q" lets go of Control too; one key a name is what is counted. */
  if (event == NULL || !gdk_key_event_is_modifier (event))
    w->released++;
}

static void
watch_window (KeyWait *w, GtkWidget *window)
{
  GtkEventController *controller = gtk_event_controller_key_new ();

  /* Before any widget of the window sees the key, and whatever they do with it. */
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect (controller, "key-released", G_CALLBACK (key_released), w);
  gtk_widget_add_controller (window, controller);
  g_ptr_array_add (w->controllers, g_object_ref (controller));
}

static void
toplevels_changed (GListModel *toplevels, guint position, guint removed, guint added, KeyWait *w)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr (GtkWidget) window = g_list_model_get_item (toplevels, i);

      watch_window (w, window);
    }
}

static gboolean
keys_handled (KeyWait *w, guint n_keys)
{
  /* A key that closed or hid the window may have its release go nowhere GTK sees. */
  return w->released >= n_keys || w->window == NULL
         || !gtk_widget_get_visible (GTK_WIDGET (w->window));
}

static void
focus_then (GtkWindow *window, const char *command, const char *const *args, guint n_keys)
{
  g_autofree char         *xid = NULL;
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv)           argv = NULL;
  KeyWait                  w = { 0 };
  gint64                   deadline;
  guint                    n;

  gtk_window_present (window);
  dft_test_settle (100);
  xid = window_xid (window);
  g_strv_builder_add_many (builder, "xdotool", "windowfocus", "--sync", xid, command, "--delay",
                           "30", NULL);
  g_strv_builder_addv (builder, (const char **) args);
  argv = g_strv_builder_end (builder);

  /* Releases still queued from earlier presses are not these keys'. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  w.controllers = g_ptr_array_new_with_free_func (g_object_unref);
  w.toplevels = gtk_window_get_toplevels ();
  n = g_list_model_get_n_items (w.toplevels);
  toplevels_changed (w.toplevels, 0, 0, n, &w);
  g_signal_connect (w.toplevels, "items-changed", G_CALLBACK (toplevels_changed), &w);
  w.window = window;
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &w.window);

  run_xdotool (argv);

  /* The presses are in the X server's queue. GTK has handled a key when its release reached a
   * window: it reads events in order, and handles a press before the release after it. A busy
   * machine can take seconds; a fixed pause was what let a check run before its Tab. */
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (!keys_handled (&w, n_keys) && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (2000);
  if (!keys_handled (&w, n_keys))
    g_test_message ("GTK saw %u of %u keys let go within 30 s", w.released, n_keys);
  /* What the keys started in idle handlers. */
  dft_test_settle (50);

  g_signal_handlers_disconnect_by_func (w.toplevels, toplevels_changed, &w);
  if (w.window != NULL)
    g_object_remove_weak_pointer (G_OBJECT (window), (gpointer *) &w.window);
  for (guint i = 0; i < w.controllers->len; i++)
    {
      GtkEventController *controller = g_ptr_array_index (w.controllers, i);
      GtkWidget          *widget = gtk_event_controller_get_widget (controller);

      g_signal_handlers_disconnect_by_func (controller, key_released, &w);
      if (widget != NULL)
        gtk_widget_remove_controller (widget, controller);
    }
  g_ptr_array_unref (w.controllers);
}

void
dft_xkeys_press (GtkWindow *window, const char *const *keys)
{
  g_return_if_fail (GTK_IS_WINDOW (window));
  g_return_if_fail (keys != NULL && keys[0] != NULL);

  focus_then (window, "key", keys, g_strv_length ((GStrv) keys));
}

void
dft_xkeys_type (GtkWindow *window, const char *text)
{
  const char *args[] = { text, NULL };

  g_return_if_fail (GTK_IS_WINDOW (window));
  focus_then (window, "type", args, g_utf8_strlen (text, -1));
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
