/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dft-application.h"

int
main (int argc, char *argv[])
{
  g_autoptr (DftApplication) app = NULL;

  /* Before GTK starts, so that its own strings follow the chosen language too. */
  dft_application_setup_locale ();
  app = dft_application_new (APPLICATION_ID, G_APPLICATION_DEFAULT_FLAGS);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
