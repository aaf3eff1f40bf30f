/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "dft-test-pg.h"
#include "dft-test-util.h"

#define PG_ROLE "daftari"
/* How long a starting PostgreSQL may take to accept connections, on a busy machine. */
#define READY_TIMEOUT_S 60

struct _DftTestPg
{
  char        *dir;  /* short: the socket's path, DIR/.s.PGSQL.5432, must fit in 107 bytes */
  char        *data; /* DIR/data */
  char        *log;  /* DIR/server.log */
  GSubprocess *postgres;
  guint        databases;
};

/* The newest /usr/lib/postgresql/N/bin that has initdb and postgres, or NULL. */
static const char *
bindir (void)
{
  static char *found;
  static gsize once;

  if (g_once_init_enter (&once))
    {
      const char *override = g_getenv ("DAFTARI_TEST_PG_BINDIR");
      GDir       *dir = g_dir_open ("/usr/lib/postgresql", 0, NULL);
      guint64     best = 0;
      const char *name;

      if (override != NULL)
        found = g_strdup (override);
      while (found == NULL && dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *bin = g_build_filename ("/usr/lib/postgresql", name, "bin", NULL);
          g_autofree char *initdb = g_build_filename (bin, "initdb", NULL);
          g_autofree char *postgres = g_build_filename (bin, "postgres", NULL);
          guint64          version = g_ascii_strtoull (name, NULL, 10);

          if (version > best && g_file_test (initdb, G_FILE_TEST_IS_EXECUTABLE)
              && g_file_test (postgres, G_FILE_TEST_IS_EXECUTABLE))
            {
              best = version;
              g_free (found);
              found = g_steal_pointer (&bin);
            }
        }
      if (dir != NULL)
        g_dir_close (dir);
      g_once_init_leave (&once, 1);
    }
  return found;
}

const char *
dft_test_pg_unavailable (void)
{
  if (geteuid () == 0)
    return "initdb refuses to run as root: run the tests as an ordinary user (as .ci/run does)";
  if (bindir () == NULL)
    return "no PostgreSQL server in /usr/lib/postgresql/*/bin: install Debian's postgresql";
  return NULL;
}

static void
run (const char *what, const char *const *argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *out = NULL;
  g_autofree char   *err = NULL;
  int                status = 0;

  /* Descriptors are not inherited (no G_SPAWN_LEAVE_DESCRIPTORS_OPEN). */
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
                &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s%s", what, out != NULL ? out : "", err != NULL ? err : "");
}

DftTestPg *
dft_test_pg_new (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *initdb = NULL;
  DftTestPg         *pg = g_new0 (DftTestPg, 1);

  g_assert_null (dft_test_pg_unavailable ());
  pg->dir = g_dir_make_tmp ("dpg-XXXXXX", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (pg->dir) + strlen ("/.s.PGSQL.5432"), <, 107);
  pg->data = g_build_filename (pg->dir, "data", NULL);
  pg->log = g_build_filename (pg->dir, "server.log", NULL);
  initdb = g_build_filename (bindir (), "initdb", NULL);
  {
    const char *argv[] = { initdb,      "-D", pg->data, "-A",       "trust",   "-U", PG_ROLE,
                           "--no-sync", "-E", "UTF8",   "--locale", "C.UTF-8", NULL };

    run ("initdb", argv);
  }
  dft_test_pg_start (pg);
  return pg;
}

static void
die_with_parent (gpointer user_data)
{
  /* A failed assertion aborts the test before its teardown: PostgreSQL must not outlive it.
   * SIGQUIT is its immediate shutdown, what "pg_ctl -m immediate stop" sends. That is why the
   * test runs postgres itself rather than through pg_ctl, whose server outlives pg_ctl. */
  prctl (PR_SET_PDEATHSIG, SIGQUIT);
}

void
dft_test_pg_start (DftTestPg *pg)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr (GError)              error = NULL;
  g_autofree char                *postgres = g_build_filename (bindir (), "postgres", NULL);
  g_autofree char                *conninfo = NULL;
  gint64 deadline = g_get_monotonic_time () + READY_TIMEOUT_S * G_USEC_PER_SEC;

  g_assert_null (pg->postgres);
  g_subprocess_launcher_set_stderr_file_path (launcher, pg->log);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  /* A unix socket in its own folder only: no TCP port to collide with another test's. */
  pg->postgres = g_subprocess_launcher_spawn (
      launcher, &error, postgres, "-D", pg->data, "-k", pg->dir, "-c", "listen_addresses=", "-c",
      "fsync=off", "-c", "full_page_writes=off", "-c", "max_connections=50", NULL);
  g_assert_no_error (error);

  conninfo = g_strdup_printf ("host=%s user=%s dbname=postgres", pg->dir, PG_ROLE);
  while (PQping (conninfo) != PQPING_OK)
    {
      if (g_get_monotonic_time () > deadline || g_subprocess_get_identifier (pg->postgres) == NULL)
        {
          g_autofree char *log = NULL;

          g_file_get_contents (pg->log, &log, NULL, NULL);
          g_error ("PostgreSQL did not start: %s", log != NULL ? log : "");
        }
      g_usleep (20 * 1000);
    }
}

void
dft_test_pg_stop (DftTestPg *pg)
{
  g_autoptr (GError) error = NULL;

  if (pg->postgres == NULL)
    return;
  g_subprocess_send_signal (pg->postgres, SIGQUIT);
  g_subprocess_wait (pg->postgres, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&pg->postgres);
}

static void
remove_tree (const char *path)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  GFileEnumerator  *children = g_file_enumerate_children (
       file, G_FILE_ATTRIBUTE_STANDARD_NAME, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  GFileInfo *info;

  while (children != NULL && (info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, g_file_info_get_name (info), NULL);

      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        remove_tree (child);
      else
        g_unlink (child);
      g_object_unref (info);
    }
  g_clear_object (&children);
  g_rmdir (path);
}

void
dft_test_pg_free (DftTestPg *pg)
{
  if (pg == NULL)
    return;
  dft_test_pg_stop (pg);
  if (g_getenv ("DAFTARI_TEST_KEEP") != NULL)
    g_printerr ("kept %s\n", pg->dir);
  else
    remove_tree (pg->dir);
  g_free (pg->dir);
  g_free (pg->data);
  g_free (pg->log);
  g_free (pg);
}

char *
dft_test_pg_uri (DftTestPg *pg, const char *database)
{
  return g_strdup_printf ("postgresql:///%s?host=%s&user=%s", database, pg->dir, PG_ROLE);
}

char *
dft_test_pg_create_database (DftTestPg *pg)
{
  g_autofree char *uri = dft_test_pg_uri (pg, "postgres");
  g_autofree char *name = g_strdup_printf ("d_%u", ++pg->databases);
  g_autofree char *sql = g_strdup_printf ("CREATE DATABASE %s", name);
  PGconn          *conn = PQconnectdb (uri);
  PGresult        *result;

  if (PQstatus (conn) != CONNECTION_OK)
    g_error ("cannot reach the test PostgreSQL: %s", PQerrorMessage (conn));
  result = PQexec (conn, sql);
  if (PQresultStatus (result) != PGRES_COMMAND_OK)
    g_error ("%s: %s", sql, PQerrorMessage (conn));
  PQclear (result);
  PQfinish (conn);
  return dft_test_pg_uri (pg, name);
}

gint64
dft_test_pg_exec (const char *uri, const char *sql)
{
  PGconn   *conn = PQconnectdb (uri);
  PGresult *result;
  gint64    changes;

  if (PQstatus (conn) != CONNECTION_OK)
    g_error ("cannot reach the test PostgreSQL: %s", PQerrorMessage (conn));
  result = PQexec (conn, sql);
  if (PQresultStatus (result) != PGRES_COMMAND_OK && PQresultStatus (result) != PGRES_TUPLES_OK)
    g_error ("%s: %s", sql, PQerrorMessage (conn));
  changes = g_ascii_strtoll (PQcmdTuples (result), NULL, 10);
  PQclear (result);
  PQfinish (conn);
  return changes;
}

/* ---- One cluster for a test program's servers ---------------------------- */

static gboolean   wanted;
static DftTestPg *shared;

static void
free_shared (void)
{
  g_clear_pointer (&shared, dft_test_pg_free);
}

gboolean
dft_test_pg_wanted (int argc, char **argv)
{
  const char *why;

  wanted = g_strcmp0 (g_getenv ("DAFTARI_TEST_STORAGE"), "postgresql") == 0;
  if (!wanted)
    return FALSE;
  why = dft_test_pg_unavailable ();
  if (why == NULL)
    return TRUE;
  for (int i = 1; i < argc; i++)
    if (g_str_equal (argv[i], "--tap"))
      {
        printf ("1..0 # SKIP %s\n", why);
        exit (0);
      }
  g_printerr ("skipped: %s\n", why);
  exit (77);
}

char *
dft_test_pg_storage_line (void)
{
  g_autofree char *uri = NULL;

  if (!wanted)
    return NULL;
  if (shared == NULL)
    {
      shared = dft_test_pg_new ();
      atexit (free_shared);
    }
  uri = dft_test_pg_create_database (shared);
  return g_strdup_printf ("storage=%s\n", uri);
}
