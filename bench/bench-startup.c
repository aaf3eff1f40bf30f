/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Cold start to first frame (issue 5): Daftari against the smallest libadwaita window, in the
 * same run, alternating, each started fresh as a new process and timed from spawn to its exit
 * after the first frame. Target: Daftari within 1.5× the minimal window. Needs a display:
 *
 *   xvfb-run -a _build/bench/bench-startup [ROUNDS]
 *
 * Daftari starts on an empty store in a temporary data folder (its welcome page), so the run
 * touches no real data.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
run_once (const char *program, char **env)
{
  const char        *argv[] = { program, NULL };
  g_autoptr (GError) error = NULL;
  gint64             start = g_get_monotonic_time ();
  int                status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                     &status, &error))
    {
      fprintf (stderr, "%s: %s\n", program, error->message);
      exit (1);
    }
  if (!g_spawn_check_wait_status (status, &error))
    {
      fprintf (stderr, "%s: %s\n", program, error->message);
      exit (1);
    }
  return (g_get_monotonic_time () - start) / 1000.0;
}

int
main (int argc, char **argv)
{
  guint              rounds = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 10;
  g_autofree char   *home = g_dir_make_tmp ("daftari-bench-XXXXXX", NULL);
  g_autofree char   *data = g_build_filename (home, "data", NULL);
  g_autofree char   *config = g_build_filename (home, "config", NULL);
  g_autofree char   *cache = g_build_filename (home, "cache", NULL);
  g_auto (GStrv)     env = g_get_environ ();
  g_autofree double *app = NULL;
  g_autofree double *peer = NULL;
  double             app_median, peer_median;

  if (rounds < 3)
    rounds = 3;
  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      fprintf (stderr, "bench-startup needs a display: run it under xvfb-run -a\n");
      return 2;
    }
  env = g_environ_setenv (env, "XDG_DATA_HOME", data, TRUE);
  env = g_environ_setenv (env, "XDG_CONFIG_HOME", config, TRUE);
  env = g_environ_setenv (env, "XDG_CACHE_HOME", cache, TRUE);
  env = g_environ_setenv (env, "GSETTINGS_BACKEND", "memory", TRUE);
  env = g_environ_setenv (env, "GSETTINGS_SCHEMA_DIR", SCHEMA_DIR, TRUE);
  env = g_environ_setenv (env, "DAFTARI_EXIT_AFTER_FIRST_FRAME", "1", TRUE);
  env = g_environ_setenv (env, "NO_AT_BRIDGE", "1", TRUE);

  /* One of each first, untimed: the first start of any program reads its libraries from disk. */
  run_once (DAFTARI_PATH, env);
  run_once (MINIMAL_PATH, env);
  app = g_new (double, rounds);
  peer = g_new (double, rounds);
  for (guint i = 0; i < rounds; i++)
    {
      app[i] = run_once (DAFTARI_PATH, env);
      peer[i] = run_once (MINIMAL_PATH, env);
    }
  qsort (app, rounds, sizeof *app, compare_doubles);
  qsort (peer, rounds, sizeof *peer, compare_doubles);
  app_median = app[rounds / 2];
  peer_median = peer[rounds / 2];
  printf ("Cold start to first frame, %u rounds each, alternating (%s)\n\n", rounds,
          PACKAGE_VERSION);
  printf ("minimal libadwaita window   median %7.1f ms   fastest %7.1f ms   slowest %7.1f ms\n",
          peer_median, peer[0], peer[rounds - 1]);
  printf ("Daftari (welcome page)      median %7.1f ms   fastest %7.1f ms   slowest %7.1f ms\n",
          app_median, app[0], app[rounds - 1]);
  printf ("\nratio %.2f (target ≤ 1.50): %s\n", app_median / peer_median,
          app_median <= 1.5 * peer_median ? "met" : "MISSED");
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", home);

    (void) system (cmd);
  }
  return 0;
}
