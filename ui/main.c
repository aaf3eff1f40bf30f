/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dft-application.h"

/* bench/bench-startup measures cold start to first frame: with DAFTARI_EXIT_AFTER_FIRST_FRAME
 * set, the app quits once its first window has painted. */
static void
after_paint_cb (GdkFrameClock *clock, GApplication *app)
{
  g_signal_handlers_disconnect_by_func (clock, after_paint_cb, app);
  g_application_quit (app);
}

static void
window_mapped_cb (GtkWidget *window, GApplication *app)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (window);

  g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), app);
}

static void
window_added_cb (GtkApplication *app, GtkWindow *window)
{
  g_signal_connect (window, "map", G_CALLBACK (window_mapped_cb), app);
}

int
main (int argc, char *argv[])
{
  g_autoptr (DftApplication) app = NULL;

  /* Before GTK starts, so that its own strings follow the chosen language too. */
  dft_application_setup_locale ();
  app = dft_application_new (APPLICATION_ID, G_APPLICATION_DEFAULT_FLAGS);
  if (g_getenv ("DAFTARI_EXIT_AFTER_FIRST_FRAME") != NULL)
    g_signal_connect (app, "window-added", G_CALLBACK (window_added_cb), NULL);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
