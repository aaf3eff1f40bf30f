/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "dft-test-util.h"

/*
 * Where the device's token is kept (sync/client/dft-token-store.h), as a user sees it: the
 * command-line tool signs in to a real daftari-server on loopback and syncs, with and without
 * a desktop keyring. The keyring is a gnome-keyring-daemon on a D-Bus session bus of the
 * test's own, in a home folder of its own: never the keyring of the session the test runs in.
 * Tests that need one skip when dbus-daemon or gnome-keyring-daemon is not installed.
 *
 * Every token the server gives starts with "dft1_": a database file (and its write-ahead log)
 * that holds that string holds a token.
 */

#define TOKEN_PREFIX "dft1_"
#define USERNAME     "trainer"
#define PASSWORD     "trainer password 1"
#define TEAM         "North"

#define SAYS_KEYRING "kept in the desktop’s keyring"
#define SAYS_NO_RING "because no keyring is available"
#define SAYS_REFUSED "because the keyring refused it"

typedef struct
{
  char            *dir;
  char            *home;
  char            *runtime;
  GSubprocess     *bus;
  char            *bus_address;
  GSubprocess     *keyring;
  GDBusConnection *connection; /* the test's own, private: never the process's session bus */
} Session;

typedef struct
{
  DftTestServer *server;
  char          *dir;
  char          *db;
  char          *password_file;
  Session        session;
} Fixture;

/* ---- A session bus and a keyring of the test's own ---- */

static gboolean
have_programs (void)
{
  g_autofree char *bus = g_find_program_in_path ("dbus-daemon");
  g_autofree char *keyring = g_find_program_in_path ("gnome-keyring-daemon");

  if (bus == NULL || keyring == NULL)
    {
      g_test_skip (bus == NULL ? "dbus-daemon is not installed (Debian package dbus-daemon)"
                               : "gnome-keyring-daemon is not installed (Debian package "
                                 "gnome-keyring)");
      return FALSE;
    }
  return TRUE;
}

/* The environment of every program the test starts: a home and runtime folder of its own, no
 * display (a keyring's prompt fails at once instead of waiting for a person). */
static char **
session_environ (Session *s, gboolean with_bus, gboolean force_database)
{
  char **env = g_get_environ ();

  env = g_environ_unsetenv (env, "DISPLAY");
  env = g_environ_unsetenv (env, "WAYLAND_DISPLAY");
  env = g_environ_unsetenv (env, "DBUS_SESSION_BUS_ADDRESS");
  env = g_environ_unsetenv (env, "DAFTARI_NO_KEYRING");
  env = g_environ_setenv (env, "HOME", s->home, TRUE);
  env = g_environ_setenv (env, "XDG_RUNTIME_DIR", s->runtime, TRUE);
  env = g_environ_setenv (env, "XDG_DATA_HOME", s->home, TRUE);
  env = g_environ_setenv (env, "XDG_CONFIG_HOME", s->home, TRUE);
  if (with_bus && s->bus_address != NULL)
    env = g_environ_setenv (env, "DBUS_SESSION_BUS_ADDRESS", s->bus_address, TRUE);
  if (force_database)
    env = g_environ_setenv (env, "DAFTARI_NO_KEYRING", "1", TRUE);
  return env;
}

/* The bus and the keyring go with the test, even when it fails half-way. */
static void
die_with_test (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* The daemons are not ours to test: they keep their warnings (no display for a prompt). */
static GSubprocessLauncher *
daemon_launcher (Session *s, GSubprocessFlags flags, gboolean with_bus)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);
  g_auto (GStrv)       env = session_environ (s, with_bus, FALSE);

  env = g_environ_unsetenv (env, "G_DEBUG");
  g_subprocess_launcher_set_environ (launcher, env);
  g_subprocess_launcher_set_child_setup (launcher, die_with_test, NULL, NULL);
  return launcher;
}

static void
session_init (Session *s, const char *dir)
{
  s->dir = g_strdup (dir);
  s->home = g_build_filename (dir, "home", NULL);
  s->runtime = g_build_filename (dir, "run", NULL);
  g_assert_cmpint (g_mkdir_with_parents (s->home, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (s->runtime, 0700), ==, 0);
}

static gboolean
name_owned (gpointer data)
{
  gboolean *owned = data;

  return *owned;
}

static void
name_appeared_cb (GDBusConnection *connection,
                  const char      *name,
                  const char      *owner,
                  gpointer         user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* Starts the bus and the keyring, unlocked, and returns once the keyring owns its name. */
static void
session_start_keyring (Session *s)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GDataInputStream)    lines = NULL;
  g_autoptr (GError)              error = NULL;
  GOutputStream                  *input;
  gboolean                        owned = FALSE;
  guint                           watch;

  /* The bus: it prints its address once it listens, on a socket under /tmp. */
  launcher = daemon_launcher (s, G_SUBPROCESS_FLAGS_STDOUT_PIPE, FALSE);
  s->bus = g_subprocess_launcher_spawn (launcher, &error, "dbus-daemon", "--session", "--nofork",
                                        "--print-address=1", NULL);
  g_assert_no_error (error);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (s->bus));
  s->bus_address = g_data_input_stream_read_line (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (s->bus_address);
  g_test_message ("private session bus at %s", s->bus_address);
  g_clear_object (&launcher);

  /* The keyring, its login keyring made and unlocked with the password on its input. */
  launcher = daemon_launcher (s, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE,
                              TRUE);
  s->keyring
      = g_subprocess_launcher_spawn (launcher, &error, "gnome-keyring-daemon", "--foreground",
                                     "--unlock", "--components=secrets", NULL);
  g_assert_no_error (error);
  input = g_subprocess_get_stdin_pipe (s->keyring);
  g_output_stream_write_all (input, "keyring password", strlen ("keyring password"), NULL, NULL,
                             &error);
  g_assert_no_error (error);
  g_output_stream_close (input, NULL, &error);
  g_assert_no_error (error);

  s->connection = g_dbus_connection_new_for_address_sync (
      s->bus_address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_set_exit_on_close (s->connection, FALSE);
  watch = g_bus_watch_name_on_connection (s->connection, "org.freedesktop.secrets",
                                          G_BUS_NAME_WATCHER_FLAGS_NONE, name_appeared_cb, NULL,
                                          &owned, NULL);
  dft_test_wait_until (name_owned, &owned, "the keyring on the private bus");
  g_bus_unwatch_name (watch);
}

static void
stop (GSubprocess *process)
{
  g_autoptr (GError) error = NULL;

  if (process == NULL)
    return;
  g_subprocess_send_signal (process, SIGTERM);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
}

static void
session_clear (Session *s)
{
  if (s->connection != NULL)
    g_dbus_connection_close_sync (s->connection, NULL, NULL);
  g_clear_object (&s->connection);
  stop (s->keyring);
  stop (s->bus);
  g_clear_object (&s->keyring);
  g_clear_object (&s->bus);
  g_clear_pointer (&s->bus_address, g_free);
  g_clear_pointer (&s->home, g_free);
  g_clear_pointer (&s->runtime, g_free);
  g_clear_pointer (&s->dir, g_free);
}

/* How many items of Daftari's schema the keyring holds, unlocked and locked; with @device_id,
 * only that device's. */
static guint
keyring_items (Session *s, const char *device_id)
{
  g_autoptr (GError)          error = NULL;
  g_autoptr (GVariant)        reply = NULL;
  g_autoptr (GVariant)        unlocked = NULL;
  g_autoptr (GVariant)        locked = NULL;
  g_autoptr (GVariantBuilder) attributes = g_variant_builder_new (G_VARIANT_TYPE ("a{ss}"));

  g_variant_builder_add (attributes, "{ss}", "xdg:schema", "org.daftari.DeviceToken");
  if (device_id != NULL)
    g_variant_builder_add (attributes, "{ss}", "device-id", device_id);
  reply = g_dbus_connection_call_sync (
      s->connection, "org.freedesktop.secrets", "/org/freedesktop/secrets",
      "org.freedesktop.Secret.Service", "SearchItems", g_variant_new ("(a{ss})", attributes),
      G_VARIANT_TYPE ("(aoao)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(@ao@ao)", &unlocked, &locked);
  return (guint) (g_variant_n_children (unlocked) + g_variant_n_children (locked));
}

/* Locks the login keyring, as a screen lock or a timeout would. */
static void
keyring_lock (Session *s)
{
  g_autoptr (GError)   error = NULL;
  g_autoptr (GVariant) reply = NULL;
  const char          *login[] = { "/org/freedesktop/secrets/collection/login" };

  reply = g_dbus_connection_call_sync (
      s->connection, "org.freedesktop.secrets", "/org/freedesktop/secrets",
      "org.freedesktop.Secret.Service", "Lock",
      g_variant_new ("(@ao)", g_variant_new_objv (login, G_N_ELEMENTS (login))),
      G_VARIANT_TYPE ("(aoo)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
}

/* ---- The command-line tool and the files it writes ---- */

typedef struct
{
  int   code;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *r)
{
  g_clear_pointer (&r->out, g_free);
  g_clear_pointer (&r->err, g_free);
}

typedef enum
{
  NO_BUS,         /* neither a bus address nor a bus socket: a laptop without a desktop */
  WITH_KEYRING,   /* the private bus and its keyring */
  FORCE_DATABASE, /* the private bus, with DAFTARI_NO_KEYRING=1 */
} Where;

static Run
cli (Fixture *f, Where where, const char *input, ...)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess)         process = NULL;
  g_autoptr (GPtrArray)           argv = g_ptr_array_new ();
  g_autoptr (GError)              error = NULL;
  g_auto (GStrv) env = session_environ (&f->session, where != NO_BUS, where == FORCE_DATABASE);
  Run            r = { 0 };
  va_list        ap;
  const char    *arg;

  g_ptr_array_add (argv, (gpointer) g_getenv ("DAFTARI_CLI"));
  g_ptr_array_add (argv, (gpointer) "--db");
  g_ptr_array_add (argv, f->db);
  va_start (ap, input);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                   | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_environ (launcher, env);
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input, NULL, &r.out, &r.err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (process))
    g_error ("daftari-cli %s died of signal %d:\n%s%s", (const char *) argv->pdata[3],
             g_subprocess_get_term_sig (process), r.out, r.err);
  r.code = g_subprocess_get_exit_status (process);
  g_test_message ("daftari-cli %s: %d\n%s%s", (const char *) argv->pdata[3], r.code, r.out, r.err);
  return r;
}

/* Runs one command that takes no arguments; it must succeed and say @expect. */
static void
cli_ok (Fixture *f, Where where, const char *expect, const char *command)
{
  Run r = cli (f, where, NULL, command, NULL);

  g_assert_cmpint (r.code, ==, 0);
  g_assert_nonnull (strstr (r.out, expect));
  run_clear (&r);
}

static void
login (Fixture *f, Where where, const char *expect)
{
  Run r = cli (f, where, PASSWORD "\n", "login", "--server", dft_test_server_get_url (f->server),
               "--username", USERNAME, NULL);

  g_assert_cmpint (r.code, ==, 0);
  g_assert_nonnull (strstr (r.out, expect));
  run_clear (&r);
}

/* Adds a person and syncs: the server must take the change, so the token worked. */
static void
sync_one_change (Fixture *f, Where where)
{
  Run r = cli (f, where, NULL, "person-add", "--given", "Aigerim", "--family", "Bekova", NULL);

  g_assert_cmpint (r.code, ==, 0);
  run_clear (&r);
  r = cli (f, where, NULL, "sync", NULL);
  g_assert_cmpint (r.code, ==, 0);
  g_assert_nonnull (strstr (r.out, "Synced: 1 changes sent"));
  run_clear (&r);
}

/* Whether the database's file or its write-ahead log holds a token, anywhere in their bytes. */
static gboolean
database_holds_token (Fixture *f)
{
  const char *suffixes[] = { "", "-wal" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *path = g_strconcat (f->db, suffixes[i], NULL);
      g_autofree char *bytes = NULL;
      gsize            len = 0;

      if (!g_file_get_contents (path, &bytes, &len, NULL))
        continue;
      if (memmem (bytes, len, TOKEN_PREFIX, strlen (TOKEN_PREFIX)) != NULL)
        return TRUE;
    }
  return FALSE;
}

static char *
device_id (Fixture *f)
{
  g_autoptr (GError)   error = NULL;
  g_autoptr (DftStore) store = dft_store_open (f->db, &error);
  char                *id;

  g_assert_no_error (error);
  id = g_strdup (dft_store_get_device_id (store));
  dft_test_release_store (g_steal_pointer (&store));
  return id;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->dir = dft_test_make_dir ();
  f->db = g_build_filename (f->dir, "daftari.db", NULL);
  session_init (&f->session, f->dir);
  f->server = dft_test_server_new (NULL, NULL, DFT_TEST_SERVER_DEFAULT);
  dft_test_server_add_account (f->server, USERNAME, "trainer", TEAM, PASSWORD);
  dft_test_server_start (f->server);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  session_clear (&f->session);
  dft_test_server_free (f->server);
  dft_test_dir_free (f->dir);
  g_free (f->db);
}

/* ---- Tests ---- */

/*
 * With a keyring: the token never reaches the database, a sync reads it from the keyring, and
 * signing out and a revocation take it out of the keyring.
 */
static void
test_keyring (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  Run              r;

  if (!have_programs ())
    return;
  session_start_keyring (&f->session);

  login (f, WITH_KEYRING, SAYS_KEYRING);
  g_assert_false (database_holds_token (f));
  id = device_id (f);
  g_assert_cmpuint (keyring_items (&f->session, id), ==, 1);
  sync_one_change (f, WITH_KEYRING);
  cli_ok (f, WITH_KEYRING, SAYS_KEYRING, "info");
  g_assert_false (database_holds_token (f));

  /* The token is in a keyring this session cannot reach (ssh, say): the sync says so. */
  r = cli (f, NO_BUS, NULL, "sync", NULL);
  g_assert_cmpint (r.code, !=, 0);
  g_assert_nonnull (strstr (r.err, "keyring"));
  run_clear (&r);

  /* Signing out empties both places; a sync then asks to sign in. */
  cli_ok (f, WITH_KEYRING, "Signed out", "logout");
  g_assert_cmpuint (keyring_items (&f->session, NULL), ==, 0);
  r = cli (f, WITH_KEYRING, NULL, "sync", NULL);
  g_assert_cmpint (r.code, !=, 0);
  g_assert_nonnull (strstr (r.err, "not signed in"));
  run_clear (&r);

  /* Signed in again, then revoked: the refused sync forgets the token. */
  login (f, WITH_KEYRING, SAYS_KEYRING);
  g_assert_cmpuint (keyring_items (&f->session, id), ==, 1);
  g_free (dft_test_server_admin (f->server, NULL, "revoke-device", id, NULL));
  r = cli (f, WITH_KEYRING, NULL, "sync", NULL);
  g_assert_cmpint (r.code, !=, 0);
  g_assert_nonnull (strstr (r.err, "no longer accepts"));
  run_clear (&r);
  g_assert_cmpuint (keyring_items (&f->session, NULL), ==, 0);
  g_assert_false (database_holds_token (f));
}

/* No D-Bus session at all: the token is in the database, and the tool says so and why. */
static void
test_no_keyring (Fixture *f, gconstpointer data)
{
  login (f, NO_BUS, SAYS_NO_RING);
  g_assert_true (database_holds_token (f));
  sync_one_change (f, NO_BUS);
  cli_ok (f, NO_BUS, SAYS_NO_RING, "info");

  cli_ok (f, NO_BUS, "Signed out", "logout");
  g_assert_false (database_holds_token (f));
}

/* A token the database kept moves into a keyring that became available, and leaves no copy in
 * the database's files. */
static void
test_migrate (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;

  if (!have_programs ())
    return;
  session_start_keyring (&f->session);

  login (f, FORCE_DATABASE, SAYS_NO_RING);
  g_assert_true (database_holds_token (f));
  id = device_id (f);
  g_assert_cmpuint (keyring_items (&f->session, NULL), ==, 0);

  sync_one_change (f, WITH_KEYRING);
  g_assert_cmpuint (keyring_items (&f->session, id), ==, 1);
  g_assert_false (database_holds_token (f));
  cli_ok (f, WITH_KEYRING, SAYS_KEYRING, "info");
  sync_one_change (f, WITH_KEYRING);
}

/* A locked keyring (and no one to unlock it): the token stays in the database, nothing is
 * lost, and the tool says why. */
static void
test_refused (Fixture *f, gconstpointer data)
{
  if (!have_programs ())
    return;
  session_start_keyring (&f->session);
  keyring_lock (&f->session);

  login (f, WITH_KEYRING, SAYS_REFUSED);
  g_assert_true (database_holds_token (f));
  g_assert_cmpuint (keyring_items (&f->session, NULL), ==, 0);
  sync_one_change (f, WITH_KEYRING);
  cli_ok (f, WITH_KEYRING, SAYS_REFUSED, "info");
  g_assert_true (database_holds_token (f));
}

int
main (int argc, char **argv)
{
  dft_test_init (&argc, &argv);

  g_test_add ("/token-store/keyring", Fixture, NULL, fixture_set_up, test_keyring,
              fixture_tear_down);
  g_test_add ("/token-store/no-keyring", Fixture, NULL, fixture_set_up, test_no_keyring,
              fixture_tear_down);
  g_test_add ("/token-store/migrate", Fixture, NULL, fixture_set_up, test_migrate,
              fixture_tear_down);
  g_test_add ("/token-store/refused", Fixture, NULL, fixture_set_up, test_refused,
              fixture_tear_down);
  return g_test_run ();
}
