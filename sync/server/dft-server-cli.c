/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "dft-bundle.h"
#include "dft-db.h"
#include "dft-server-auth.h"
#include "dft-server-backup.h"
#include "dft-server-bundle.h"
#include "dft-server-cli.h"
#include "dft-server-cluster.h"
#include "dft-store-merges.h"
#include "dft-server-db.h"
#include "dft-server-migrate.h"
#include "dft-server-purge.h"
#include "dft-server-reload.h"
#include "dft-server-scope.h"
#include "dft-server-sql.h"
#include "dft-server.h"
#include "dft-uuid.h"

#define EXIT_FAILED 1
#define EXIT_USAGE  2
/* How long to wait at exit for the store's background work (a checkpoint) to let go of it. */
#define CLOSE_TIMEOUT_MS 30000

typedef struct
{
  const char *name;
  const char *args;    /* shown in the help, untranslated: it is syntax */
  const char *summary; /* marked with N_() */
  int (*run) (DftServerConfig *config, GStrv *args);
} Command;

static int
fail (const GError *error)
{
  g_printerr ("%s\n", error->message);
  return EXIT_FAILED;
}

static int
usage_error (GOptionContext *context, const char *message)
{
  g_autofree char *help = context != NULL ? g_option_context_get_help (context, TRUE, NULL) : NULL;

  if (message != NULL)
    g_printerr ("%s\n\n", message);
  if (help != NULL)
    g_printerr ("%s", help);
  return EXIT_USAGE;
}

/* Parses options out of @args (argv[0] first), freeing what it removes. */
static gboolean
parse_options (GOptionContext *context, const GOptionEntry *entries, GStrv *args, int *status)
{
  g_autoptr (GError) error = NULL;

  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse_strv (context, args, &error))
    {
      *status = usage_error (context, error->message);
      return FALSE;
    }
  return TRUE;
}

static char *
format_time (gint64 seconds)
{
  g_autoptr (GDateTime) dt = NULL;

  if (seconds <= 0)
    return g_strdup ("-");
  dt = g_date_time_new_from_unix_utc (seconds);
  return g_date_time_format (dt, "%Y-%m-%d %H:%M UTC");
}

/* Waits until the store is closed: its file is whole and its write-ahead log folded in. */
static void
close_store (DftStore *store)
{
  GWeakRef  ref;
  gint64    deadline = g_get_monotonic_time () + CLOSE_TIMEOUT_MS * 1000;
  DftStore *held;

  g_weak_ref_init (&ref, store);
  g_object_unref (store);
  while ((held = g_weak_ref_get (&ref)) != NULL && g_get_monotonic_time () < deadline)
    {
      g_object_unref (held);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  if (held != NULL)
    g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                      "the store was still in use %d ms after stopping; closed as it was",
                      CLOSE_TIMEOUT_MS);
  g_clear_object (&held);
  g_weak_ref_clear (&ref);
}

/* ---- serve -------------------------------------------------------------- */

static void
unblock_signals_cb (gpointer data)
{
  pthread_sigmask (SIG_UNBLOCK, data, NULL);
}

static int
serve (DftServerConfig *config)
{
  sigset_t              signals;
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftServer) server = NULL;
  DftServerReload      *reload;
  DftStore             *store;
  int                   status;

  dft_server_install_log_writer ();
  /*
   * From the moment it says it listens, a SIGTERM must stop it cleanly, but the handlers that
   * do so are installed just after: the signals wait, blocked, until the main loop runs
   * (a supervisor or a test that stops it at once would otherwise kill it outright).
   */
  sigemptyset (&signals);
  sigaddset (&signals, SIGTERM);
  sigaddset (&signals, SIGINT);
  sigaddset (&signals, SIGHUP);
  pthread_sigmask (SIG_BLOCK, &signals, NULL);
  server = dft_server_new (config, &error);
  if (server == NULL || !dft_server_start (server, &error))
    {
      pthread_sigmask (SIG_UNBLOCK, &signals, NULL);
      /* Told to stop while it waited for its database: a clean stop. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE", "%s", error->message);
          return 0;
        }
      return fail (error);
    }
  /* Ready for systemd (Type=notify) and rereading the configuration on SIGHUP. */
  reload = dft_server_reload_watch (server, config);
  g_idle_add_once (unblock_signals_cb, &signals);
  status = dft_server_run (server);
  dft_server_reload_unwatch (reload);

  store = g_object_ref (dft_server_get_store (server));
  g_clear_object (&server);
  close_store (store);
  return status;
}

/* ---- admin -------------------------------------------------------------- */

static DftServerDb *
open_db (DftServerConfig *config, GError **error)
{
  g_autofree char *path = dft_server_config_accounts_path (config);

  if (!dft_server_auth_init (error))
    return NULL;
  /* An admin command does not wait for PostgreSQL: it says at once that it does not answer. */
  return dft_server_db_open_storage (config->storage, path, error);
}

static int
admin_create_team (DftServerConfig *config, GStrv *args)
{
  int                     argc = (int) g_strv_length (*args);
  char                  **argv = *args;
  g_autoptr (GError)      error = NULL;
  g_autoptr (DftServerDb) db = NULL;
  g_autoptr (DftTeam)     team = NULL;

  if (argc != 2)
    return usage_error (NULL, _ ("create-team takes one team name."));
  db = open_db (config, &error);
  if (db == NULL || (team = dft_server_db_create_team (db, argv[1], &error)) == NULL)
    return fail (error);
  g_print ("%s\t%s\n", team->id, team->name);
  return 0;
}

static int
admin_list_teams (DftServerConfig *config, GStrv *args)
{
  int                     argc = (int) g_strv_length (*args);
  g_autoptr (GError)      error = NULL;
  g_autoptr (DftServerDb) db = NULL;
  g_autoptr (GPtrArray)   teams = NULL;

  if (argc != 1)
    return usage_error (NULL, _ ("list-teams takes no arguments."));
  db = open_db (config, &error);
  if (db == NULL || (teams = dft_server_db_list_teams (db, &error)) == NULL)
    return fail (error);
  for (guint i = 0; i < teams->len; i++)
    {
      DftTeam *team = g_ptr_array_index (teams, i);
      g_print ("%s\t%s\n", team->id, team->name);
    }
  return 0;
}

/* One line from a file or standard input, without its line ending; never from the command line,
 * where other users of the machine could read it. */
static char *
read_secret (const char *file, const char *prompt, const char *missing, GError **error)
{
  g_autofree char *text = NULL;
  char            *end;

  if (file != NULL)
    {
      if (!g_file_get_contents (file, &text, NULL, error))
        return NULL;
    }
  else
    {
      struct termios saved, quiet;
      gboolean       tty = isatty (STDIN_FILENO);
      char           line[DFT_SERVER_PASSWORD_MAX + 2];

      if (tty)
        {
          g_printerr ("%s", prompt);
          tcgetattr (STDIN_FILENO, &saved);
          quiet = saved;
          quiet.c_lflag &= ~(tcflag_t) ECHO;
          tcsetattr (STDIN_FILENO, TCSANOW, &quiet);
        }
      end = fgets (line, sizeof line, stdin);
      if (tty)
        {
          tcsetattr (STDIN_FILENO, TCSANOW, &saved);
          g_printerr ("\n");
        }
      if (end == NULL)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, missing);
          return NULL;
        }
      text = g_strdup (line);
      explicit_bzero (line, sizeof line);
    }
  end = strpbrk (text, "\r\n");
  if (end != NULL)
    *end = '\0';
  return g_steal_pointer (&text);
}

static char *
read_password (const char *file, GError **error)
{
  return read_secret (file, _ ("Password: "), _ ("No password was given on standard input."),
                      error);
}

static int
admin_create_account (DftServerConfig *config, GStrv *args)
{
  int                argc = (int) g_strv_length (*args);
  g_autofree char   *username = NULL;
  g_autofree char   *role_name = NULL;
  g_autofree char   *team_name = NULL;
  g_autofree char   *password_file = NULL;
  const GOptionEntry entries[] = {
    { "username", 0, 0, G_OPTION_ARG_STRING, &username, N_ ("The user name"), N_ ("NAME") },
    { "role", 0, 0, G_OPTION_ARG_STRING, &role_name, N_ ("admin, coordinator or trainer"),
      N_ ("ROLE") },
    { "team", 0, 0, G_OPTION_ARG_STRING, &team_name, N_ ("The team, by name or id"), N_ ("TEAM") },
    { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file,
      N_ ("Read the password from this file instead of standard input"), N_ ("FILE") },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (_ ("— create an account"));
  g_autoptr (GError)         error = NULL;
  g_autoptr (DftServerDb)    db = NULL;
  g_autoptr (DftTeam)        team = NULL;
  g_autoptr (DftAccount)     account = NULL;
  g_autofree char           *password = NULL;
  g_autofree char           *hash = NULL;
  DftServerRole              role;
  int                        status;

  if (!parse_options (context, entries, args, &status))
    return status;
  argc = (int) g_strv_length (*args);
  if (argc != 1 || username == NULL || role_name == NULL)
    return usage_error (context, _ ("create-account needs --username and --role."));
  if (!dft_server_role_from_string (role_name, &role))
    return usage_error (context, _ ("The role is admin, coordinator or trainer."));

  db = open_db (config, &error);
  if (db == NULL)
    return fail (error);
  if (team_name != NULL && (team = dft_server_db_find_team (db, team_name, &error)) == NULL)
    return fail (error);
  password = read_password (password_file, &error);
  if (password == NULL)
    return fail (error);
  hash = dft_server_auth_hash_password (password, &error);
  explicit_bzero (password, strlen (password));
  if (hash == NULL)
    return fail (error);
  account = dft_server_db_create_account (db, username, role, team != NULL ? team->id : NULL, hash,
                                          &error);
  if (account == NULL)
    return fail (error);
  g_print ("%s\t%s\t%s\t%s\n", account->id, account->username,
           dft_server_role_to_string (account->role),
           account->team_name != NULL ? account->team_name : "-");
  return 0;
}

static int
admin_list_accounts (DftServerConfig *config, GStrv *args)
{
  int                     argc = (int) g_strv_length (*args);
  g_autoptr (GError)      error = NULL;
  g_autoptr (DftServerDb) db = NULL;
  g_autoptr (GPtrArray)   accounts = NULL;

  if (argc != 1)
    return usage_error (NULL, _ ("list-accounts takes no arguments."));
  db = open_db (config, &error);
  if (db == NULL || (accounts = dft_server_db_list_accounts (db, &error)) == NULL)
    return fail (error);
  for (guint i = 0; i < accounts->len; i++)
    {
      DftAccount *account = g_ptr_array_index (accounts, i);
      g_print ("%s\t%s\t%s\t%s\n", account->id, account->username,
               dft_server_role_to_string (account->role),
               account->team_name != NULL ? account->team_name : "-");
    }
  return 0;
}

static int
admin_list_devices (DftServerConfig *config, GStrv *args)
{
  int                     argc = (int) g_strv_length (*args);
  g_autoptr (GError)      error = NULL;
  g_autoptr (DftServerDb) db = NULL;
  g_autoptr (GPtrArray)   devices = NULL;
  gint64                  now = g_get_real_time () / G_USEC_PER_SEC;

  if (argc != 1)
    return usage_error (NULL, _ ("list-devices takes no arguments."));
  db = open_db (config, &error);
  if (db == NULL || (devices = dft_server_db_list_devices (db, &error)) == NULL)
    return fail (error);
  for (guint i = 0; i < devices->len; i++)
    {
      DftDevice       *device = g_ptr_array_index (devices, i);
      g_autofree char *enrolled = format_time (device->enrolled_at);
      g_autofree char *seen = format_time (device->last_seen_at);
      const char      *state = device->revoked_at != 0     ? _ ("revoked")
                               : device->expires_at <= now ? _ ("expired")
                                                           : _ ("active");

      /* Translators: the columns of list-devices; keep the tabs */
      g_print (_ ("%s\t%s\t%s\t%s\t%s\tenrolled %s\tlast seen %s\t%s\n"), device->id, state,
               device->username != NULL ? device->username : _ ("(enrolment code)"),
               dft_server_role_to_string (device->role),
               device->team_name != NULL ? device->team_name : "-", enrolled, seen, device->name);
    }
  return 0;
}

static int
admin_revoke_device (DftServerConfig *config, GStrv *args)
{
  int                     argc = (int) g_strv_length (*args);
  char                  **argv = *args;
  g_autoptr (GError)      error = NULL;
  g_autoptr (DftServerDb) db = NULL;

  if (argc != 2)
    return usage_error (NULL, _ ("revoke-device takes one device id."));
  db = open_db (config, &error);
  if (db == NULL
      || !dft_server_db_revoke_device (db, argv[1], g_get_real_time () / G_USEC_PER_SEC, &error))
    return fail (error);
  /* Translators: %s is a device id */
  g_print (_ ("Device %s is revoked: its token no longer works.\n"), argv[1]);
  return 0;
}

/* "90s", "15m", "12h", "7d". */
static gboolean
parse_duration (const char *text, gint64 *seconds)
{
  guint64          number;
  gsize            length = text != NULL ? strlen (text) : 0;
  gint64           unit;
  g_autofree char *digits = NULL;

  if (length < 2)
    return FALSE;
  switch (text[length - 1])
    {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 24 * 3600;
      break;
    default:
      return FALSE;
    }
  digits = g_strndup (text, length - 1);
  if (!g_ascii_string_to_unsigned (digits, 10, 1, 365 * 24 * 3600, &number, NULL))
    return FALSE;
  *seconds = (gint64) number * unit;
  return *seconds <= 365 * 24 * 3600;
}

static int
admin_make_code (DftServerConfig *config, GStrv *args)
{
  int                argc = (int) g_strv_length (*args);
  g_autofree char   *team_name = NULL;
  g_autofree char   *role_name = NULL;
  g_autofree char   *expires = NULL;
  int                uses = 1;
  const GOptionEntry entries[] = {
    { "team", 0, 0, G_OPTION_ARG_STRING, &team_name, N_ ("The team, by name or id"), N_ ("TEAM") },
    { "role", 0, 0, G_OPTION_ARG_STRING, &role_name, N_ ("trainer (the default) or coordinator"),
      N_ ("ROLE") },
    { "expires-in", 0, 0, G_OPTION_ARG_STRING, &expires,
      N_ ("How long the code works: 90s, 15m, 12h or 7d (the default)"), N_ ("TIME") },
    { "uses", 0, 0, G_OPTION_ARG_INT, &uses, N_ ("How many devices may use it (1)"), N_ ("N") },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (_ ("— make an enrolment code"));
  g_autoptr (GError)         error = NULL;
  g_autoptr (DftServerDb)    db = NULL;
  g_autoptr (DftTeam)        team = NULL;
  g_autofree char           *code = NULL;
  g_autofree char           *normal = NULL;
  g_autofree char           *hash = NULL;
  g_autofree char           *until = NULL;
  DftServerRole              role = DFT_SERVER_ROLE_TRAINER;
  gint64                     seconds = 7 * 24 * 3600;
  gint64                     now = g_get_real_time () / G_USEC_PER_SEC;
  int                        status;

  if (!parse_options (context, entries, args, &status))
    return status;
  argc = (int) g_strv_length (*args);
  if (argc != 1)
    return usage_error (context, _ ("make-enrolment-code takes options only."));
  if (role_name != NULL
      && (!dft_server_role_from_string (role_name, &role) || role == DFT_SERVER_ROLE_ADMIN))
    return usage_error (context, _ ("An enrolment code is for a trainer or a coordinator."));
  if (expires != NULL && !parse_duration (expires, &seconds))
    return usage_error (context, _ ("--expires-in is a number and a unit: 90s, 15m, 12h or 7d, "
                                    "at most a year."));
  if (uses < 1 || uses > 1000)
    return usage_error (context, _ ("--uses is from 1 to 1000."));

  db = open_db (config, &error);
  if (db == NULL)
    return fail (error);
  if (team_name != NULL && (team = dft_server_db_find_team (db, team_name, &error)) == NULL)
    return fail (error);
  code = dft_server_auth_new_enrolment_code ();
  normal = dft_server_auth_normalize_code (code);
  hash = dft_server_auth_hash_secret (normal);
  if (!dft_server_db_add_enrolment_code (db, hash, team != NULL ? team->id : NULL, role,
                                         (guint) uses, now, now + seconds, NULL, &error))
    return fail (error);
  until = format_time (now + seconds);
  /* The code alone on the first line, for scripts. */
  g_print ("%s\n", code);
  /* Translators: %s is a date and time */
  g_print (_ ("It works until %s. It is shown only now: the server keeps only its hash.\n"), until);
  return 0;
}

static int
admin_move_event (DftServerConfig *config, GStrv *args)
{
  int                     argc = (int) g_strv_length (*args);
  char                  **argv = *args;
  g_autoptr (GError)      error = NULL;
  g_autoptr (DftServerDb) db = NULL;
  g_autoptr (DftTeam)     team = NULL;
  g_autofree char        *path = dft_server_config_store_path (config);
  DftStore               *store;
  gboolean                ok;

  if (argc != 3)
    return usage_error (NULL, _ ("move-event takes a workshop id and a team."));
  if (!dft_uuid_is_valid (argv[1]))
    return usage_error (NULL, _ ("The workshop id is not an id."));
  db = open_db (config, &error);
  if (db == NULL || (team = dft_server_db_find_team (db, argv[2], &error)) == NULL
      || !dft_server_db_set_owner (db, argv[1], "event", team->id,
                                   g_get_real_time () / G_USEC_PER_SEC, &error))
    return fail (error);
  /* The team's devices pulled past the workshop's records while it was another team's. In a
   * cluster the owner is the shared database's already, and so is the team's new mark, which
   * each process takes up at its next request. */
  if (config->cluster)
    {
      DftServerCluster *cluster = dft_server_cluster_open (config->storage, &error);

      ok = cluster != NULL && dft_server_cluster_note_move (cluster, team->id, &error);
      dft_server_cluster_free (cluster);
      if (!ok)
        return fail (error);
    }
  else
    {
      store = dft_store_open (path, &error);
      if (store == NULL)
        return fail (error);
      dft_store_set_derives_merges (store, FALSE);
      ok = dft_scope_note_move (store, team->id, &error);
      close_store (store);
      if (!ok)
        return fail (error);
    }
  /* Translators: first %s is a workshop id, second a team name */
  g_print (_ ("Workshop %s now belongs to the team “%s”. Devices of that team receive it at "
              "their next sync.\n"),
           argv[1], team->name);
  return 0;
}

static int
admin_new_epoch (DftServerConfig *config, GStrv *args)
{
  int                argc = (int) g_strv_length (*args);
  g_autoptr (GError) error = NULL;
  g_autofree char   *path = dft_server_config_store_path (config);
  g_autofree char   *epoch = NULL;
  DftStore          *store;
  gboolean           ok;

  if (argc != 1)
    return usage_error (NULL, _ ("new-epoch takes no arguments."));
  /* In a cluster the epoch is the shared database's: the processes take the new one up at
   * their next request, while they serve. */
  if (config->cluster)
    {
      DftServerCluster *cluster = dft_server_cluster_open (config->storage, &error);

      epoch = cluster != NULL ? dft_server_cluster_new_epoch (cluster, FALSE, &error) : NULL;
      dft_server_cluster_free (cluster);
      if (epoch == NULL)
        return fail (error);
      /* Translators: %s is an id */
      g_print (_ ("The cluster's epoch is now %s. Every server process takes it up at its next "
                  "request, and every device then sends again what it holds.\n"),
               epoch);
      return 0;
    }
  store = dft_store_open (path, &error);
  if (store == NULL)
    return fail (error);
  dft_store_set_derives_merges (store, FALSE);
  ok = dft_server_new_epoch (store, &epoch, &error);
  close_store (store);
  if (!ok)
    return fail (error);
  /* Translators: %s is an id */
  g_print (_ ("The server's epoch is now %s. Restart the server: every device then sends again "
              "what it holds.\n"),
           epoch);
  return 0;
}

/* The horizon rule by hand (dft-server-purge.c), safely while the server serves: SQLite keeps
 * the writes of the two processes apart, and a push checks what is purged in the transaction
 * that applies it. A running server writes the positions devices pulled after within a minute:
 * one this misses only holds the purge back. */
static int
admin_purge (DftServerConfig *config, GStrv *args)
{
  gboolean           dry_run = FALSE;
  const GOptionEntry entries[] = {
    { "dry-run", 0, 0, G_OPTION_ARG_NONE, &dry_run, N_ ("Only say what would be purged"), NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError)         error = NULL;
  g_autoptr (DftServerDb)    db = NULL;
  g_autofree char           *path = dft_server_config_store_path (config);
  DftPurgeStats              stats = { 0 };
  DftStore                  *store;
  gint64                     horizon = 0;
  int                        status;
  gboolean                   ok;

  if (!parse_options (context, entries, args, &status))
    return status;
  if (g_strv_length (*args) != 1)
    return usage_error (context, _ ("purge takes no arguments besides --dry-run."));
  db = open_db (config, &error);
  if (db == NULL)
    return fail (error);
  store = dft_store_open (path, &error);
  if (store == NULL)
    return fail (error);
  dft_store_set_derives_merges (store, FALSE);
  ok = dft_server_purge_run (store, db, dry_run, &horizon, &stats, &error);
  close_store (store);
  if (!ok)
    return fail (error);
  if (dry_run)
    /* Translators: %lld is a position in the server's change log */
    g_print (_ ("Every enrolled device pulled after position %lld at least. The purge would "
                "remove:\n"),
             (long long) horizon);
  else
    /* Translators: %lld is a position in the server's change log */
    g_print (_ ("Every enrolled device pulled after position %lld at least. The purge "
                "removed:\n"),
             (long long) horizon);
  /* The kinds of record as the protocol names them, one a line, for scripts; then the changes
   * set aside about them, which keep their row but not what they wrote. */
  g_print ("person\t%u\nenrollment\t%u\nattendance\t%u\nconflict\t%u\nset_aside\t%u\n",
           stats.people, stats.enrollments, stats.attendance, stats.conflicts, stats.set_aside);
  return 0;
}

static void
print_backup_info (const DftServerBackupInfo *info)
{
  g_autofree char *size = g_format_size ((guint64) info->bytes);
  g_autofree char *changes = g_strdup_printf (
      /* Translators: the first part of "It holds 12 changes and 3 devices, 2.1 MB." */
      ngettext ("%lld change", "%lld changes", (gulong) MIN (info->changes, G_MAXLONG)),
      (long long) info->changes);
  g_autofree char *devices = g_strdup_printf (
      /* Translators: the second part of "It holds 12 changes and 3 devices, 2.1 MB." */
      ngettext ("%lld device", "%lld devices", (gulong) MIN (info->devices, G_MAXLONG)),
      (long long) info->devices);

  /* Translators: "It holds 12 changes and 3 devices, 2.1 MB." */
  g_print (_ ("It holds %s and %s, %s.\n"), changes, devices, size);
}

static int
admin_backup (DftServerConfig *config, GStrv *args)
{
  gboolean           force = FALSE;
  const GOptionEntry entries[] = {
    { "force", 0, 0, G_OPTION_ARG_NONE, &force, N_ ("Replace the folder if it exists"), NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (_ ("FOLDER"));
  g_autoptr (GError)         error = NULL;
  DftServerBackupInfo        info = { 0 };
  int                        status;

  if (!parse_options (context, entries, args, &status))
    return status;
  if (g_strv_length (*args) != 2)
    return usage_error (context, _ ("backup takes the folder to write the copy to."));
  if (!dft_server_backup_write (config, (*args)[1], force, &info, &error))
    return fail (error);
  /* Translators: %s is a folder name */
  g_print (_ ("The server’s data was copied to “%s” and checked.\n"), (*args)[1]);
  print_backup_info (&info);
  if (config->cluster)
    g_print (_ ("It is the cluster’s shared database, taken while the processes served. To "
                "restore it, stop every process of the cluster, then run “admin restore” with "
                "this folder.\n"));
  else
    g_print (_ ("To restore it, run “admin restore” with this folder; the server may keep "
                "running.\n"));
  return 0;
}

static int
admin_restore (DftServerConfig *config, GStrv *args)
{
  int                 argc = (int) g_strv_length (*args);
  g_autoptr (GError)  error = NULL;
  g_autofree char    *kept = NULL;
  DftServerBackupInfo info = { 0 };

  if (argc != 2)
    return usage_error (NULL, _ ("restore takes the folder a backup wrote."));
  if (!dft_server_backup_restore (config, (*args)[1], &kept, &info, &error))
    return fail (error);
  /* Translators: %s is a folder name */
  g_print (_ ("The server’s data was restored from “%s”.\n"), (*args)[1]);
  print_backup_info (&info);
  if (config->cluster)
    /* Translators: %s is a folder name */
    g_print (_ ("The data it replaced is kept in “%s”. The cluster has a new epoch: start its "
                "processes, and each makes its copy of the register again from the restored "
                "log; every device sends again what it holds, so nothing made since the backup "
                "is lost.\n"),
             kept);
  else
    /* Translators: %s is a folder name */
    g_print (_ ("The data it replaced is kept in “%s”. A running server takes up the restored "
                "data at its next request, a stopped one when it starts: it takes a new epoch, "
                "and every device sends again what it holds, so nothing made since the backup "
                "is lost.\n"),
             kept);
  return 0;
}

/*
 * A server that served alone on SQLite moved to PostgreSQL (dft-server-migrate.h): the
 * accounts database and the register's change log and epoch, copied in one transaction,
 * refused when the target holds anything, checked table by table before it is committed. Run
 * with the server stopped, then set storage= (and cluster=yes) and start it.
 */
static int
admin_migrate_storage (DftServerConfig *config, GStrv *args)
{
  g_autofree char   *from = NULL;
  g_autofree char   *to = NULL;
  g_autofree char   *register_path = NULL;
  const GOptionEntry entries[] = {
    { "from", 0, 0, G_OPTION_ARG_STRING, &from,
      N_ ("The accounts database to copy: sqlite:FILE, or sqlite for accounts.db in data"),
      N_ ("FROM") },
    { "register", 0, 0, G_OPTION_ARG_FILENAME, &register_path,
      N_ ("The register to copy (default: records.db in data)"), N_ ("FILE") },
    { "to", 0, 0, G_OPTION_ARG_STRING, &to, N_ ("The empty PostgreSQL database to copy to"),
      N_ ("URI") },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError)         error = NULL;
  g_autoptr (GString)        report = g_string_new (NULL);
  g_autofree char           *path = NULL;
  DftServerMigrateResult     result = { report, FALSE };
  int                        status;

  g_option_context_set_summary (
      context, _ ("Copies the accounts and the register (its change log and epoch) of a stopped "
                  "server to an empty PostgreSQL database, in one transaction, and checks the "
                  "copy before committing it. Set-aside changes and attachments stay in the "
                  "data folder’s records.db."));
  if (!parse_options (context, entries, args, &status))
    return status;
  if (g_strv_length (*args) != 1 || from == NULL || to == NULL)
    return usage_error (context, _ ("migrate-storage takes --from and --to."));
  if (g_str_equal (from, "sqlite"))
    path = dft_server_config_accounts_path (config);
  else if (g_str_has_prefix (from, "sqlite:") && from[strlen ("sqlite:")] != '\0')
    path = g_strdup (from + strlen ("sqlite:"));
  else
    return usage_error (context, _ ("--from takes sqlite:FILE, or sqlite for the data folder’s."));
  if (!g_str_has_prefix (to, "postgresql://") && !g_str_has_prefix (to, "postgres://"))
    return usage_error (context, _ ("--to takes a PostgreSQL address, postgresql://…"));
  if (register_path == NULL)
    register_path = dft_server_config_store_path (config);
  if (!dft_server_auth_init (&error)
      || !dft_server_migrate_storage (path, register_path, to, &result, &error))
    return fail (error);
  g_print ("%s", report->str);
  if (!result.epoch_kept)
    g_print (_ ("The register was put back from a backup (or never served): the servers on "
                "PostgreSQL take a new epoch, and every device sends again what it holds.\n"));
  g_print (_ ("Copied and checked. Set storage= to the PostgreSQL address (and cluster=yes for "
              "more than one server) in the configuration and start the server.\n"));
  return 0;
}

/* A USB bundle from a laptop, imported while the server serves: SQLite keeps the writes of the
 * two processes apart, as it does for move-event. */
static int
admin_import_bundle (DftServerConfig *config, GStrv *args)
{
  g_autofree char   *passphrase_file = NULL;
  const GOptionEntry entries[] = {
    { "passphrase-file", 0, 0, G_OPTION_ARG_FILENAME, &passphrase_file,
      N_ ("Read a passphrase bundle’s passphrase from this file instead of standard input"),
      N_ ("FILE") },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (_ ("FILE"));
  g_autoptr (GError)         error = NULL;
  g_autoptr (DftServerDb)    db = NULL;
  g_autoptr (GFile)          file = NULL;
  g_autofree char           *path = dft_server_config_store_path (config);
  g_autofree char           *passphrase = NULL;
  g_autofree char           *signer = NULL;
  DftApplyStats              stats = { 0 };
  DftBundleMode              mode;
  DftStore                  *store;
  guint                      skipped = 0;
  int                        status;
  gboolean                   ok;

  if (!parse_options (context, entries, args, &status))
    return status;
  if (g_strv_length (*args) != 2)
    return usage_error (context, _ ("import-bundle takes the bundle file."));
  file = g_file_new_for_commandline_arg ((*args)[1]);
  if (!dft_bundle_read_mode (file, &mode, NULL, &error))
    return fail (error);
  if (mode == DFT_BUNDLE_MODE_PASSPHRASE
      && (passphrase = read_secret (passphrase_file, _ ("Passphrase: "),
                                    _ ("No passphrase was given on standard input."), &error))
             == NULL)
    return fail (error);
  db = open_db (config, &error);
  if (db == NULL)
    return fail (error);
  if (config->cluster)
    ok = dft_server_import_bundle_in_cluster (config->storage, config->data_dir, db, file,
                                              passphrase, &stats, &skipped, &signer, &error);
  else
    {
      store = dft_store_open (path, &error);
      if (store == NULL)
        return fail (error);
      dft_store_set_derives_merges (store, FALSE);
      ok = dft_server_import_bundle (store, db, NULL, file, passphrase, &stats, &skipped, &signer,
                                     NULL, &error);
      close_store (store);
    }
  if (passphrase != NULL)
    explicit_bzero (passphrase, strlen (passphrase));
  if (!ok)
    return fail (error);
  /* Translators: %s is a device id, then counts of changes */
  g_print (_ ("Imported the bundle of device %s: %u changes applied, %u already here, %u older "
              "than what is here, %u conflicts kept, %u left out (outside that device’s "
              "scope).\n"),
           signer, stats.applied, stats.duplicates, stats.outdated, stats.conflicts, skipped);
  return 0;
}

static const Command admin_commands[] = {
  { "create-team", "NAME", N_ ("Create a team"), admin_create_team },
  { "list-teams", "", N_ ("List the teams"), admin_list_teams },
  { "create-account", "--username U --role R [--team T] [--password-file F]",
    N_ ("Create an account; the password comes from standard input or a file"),
    admin_create_account },
  { "list-accounts", "", N_ ("List the accounts"), admin_list_accounts },
  { "list-devices", "", N_ ("List enrolled devices"), admin_list_devices },
  { "revoke-device", "ID", N_ ("Revoke a device’s token"), admin_revoke_device },
  { "make-enrolment-code", "--team T [--role R] [--expires-in 7d] [--uses N]",
    N_ ("Make a code a device enrols with"), admin_make_code },
  { "backup", "[--force] FOLDER",
    N_ ("Copy the server’s data to a new folder, safely while it serves"), admin_backup },
  { "restore", "FOLDER",
    N_ ("Put back the data a backup folder holds, while the server runs or not"), admin_restore },
  { "move-event", "EVENT TEAM", N_ ("Give a workshop to a team"), admin_move_event },
  { "new-epoch", "", N_ ("Start a new epoch after restoring the data from a backup"),
    admin_new_epoch },
  { "import-bundle", "[--passphrase-file F] FILE",
    N_ ("Import a USB bundle a device made, safely while the server serves"), admin_import_bundle },
  { "purge", "[--dry-run]",
    N_ ("Remove deleted people every enrolled device has pulled the delete of"), admin_purge },
  { "migrate-storage", "--from sqlite:FILE [--register FILE] --to postgresql://…",
    N_ ("Copy the accounts and the register to an empty PostgreSQL database; the server must "
        "be stopped"),
    admin_migrate_storage },
};

/*
 * With cluster=yes (dft-server-cluster.h) the register is PostgreSQL's shared log, and each
 * process's records.db a replica of it, made again from the log when in doubt: a command
 * that writes to one replica, or copies or puts back one, would leave the others, and the log,
 * without it. Those are refused until they work on the log; the accounts' commands work on the
 * shared database as they always do, and so does new-epoch, whose epoch is the cluster's.
 * backup and restore copy the shared database whole (dft-server-backup.c); move-event gives
 * the team a new mark there; import-bundle applies a bundle as a push, on a replica of its
 * own (dft-server-bundle.c).
 */
static gboolean
works_in_cluster (const char *command)
{
  static const char *const local[] = { "purge", NULL };

  return !g_strv_contains (local, command);
}

static char *
commands_help (void)
{
  GString *help = g_string_new (_ ("Commands:"));

  g_string_append (help, "\n  serve\n    ");
  g_string_append (help, _ ("Answer sync requests until stopped by SIGTERM or SIGINT"));
  for (guint i = 0; i < G_N_ELEMENTS (admin_commands); i++)
    g_string_append_printf (help, "\n  admin %s%s%s\n    %s", admin_commands[i].name,
                            *admin_commands[i].args != '\0' ? " " : "", admin_commands[i].args,
                            _ (admin_commands[i].summary));
  return g_string_free (help, FALSE);
}

int
dft_server_cli_run (int argc, char *argv[])
{
  g_autofree char   *config_path = NULL;
  gboolean           version = FALSE;
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, N_ ("The configuration file"),
      N_ ("FILE") },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_ ("Show the version"), NULL },
    { NULL },
  };
  g_autoptr (GOptionContext)  context = NULL;
  g_autoptr (GOptionContext)  sub = NULL;
  g_autoptr (GError)          error = NULL;
  g_autoptr (DftServerConfig) config = NULL;
  g_autofree char            *description = NULL;
  g_auto (GStrv)              args = NULL;
  g_auto (GStrv)              rest = NULL;
  int                         status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (_ ("serve | admin COMMAND … — the Daftari sync server"));
  description = commands_help ();
  g_option_context_set_description (context, description);
  /* Options after the command are the command's (create-account --username …). */
  g_option_context_set_strict_posix (context, TRUE);
  args = g_strdupv (argv);
  if (!parse_options (context, entries, &args, &status))
    return status;
  if (version)
    {
      g_print ("daftari-server %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (g_strv_length (args) < 2)
    return usage_error (context, _ ("Name a command: serve or admin."));
  if (!g_str_equal (args[1], "admin") && !g_str_equal (args[1], "serve"))
    {
      /* Translators: %s is what was typed as a command */
      g_autofree char *message = g_strdup_printf (_ ("Unknown command “%s”."), args[1]);
      return usage_error (context, message);
    }

  /* "admin --config FILE COMMAND" as well as "--config FILE admin COMMAND". */
  sub = g_option_context_new (NULL);
  g_option_context_set_strict_posix (sub, TRUE);
  g_option_context_set_help_enabled (sub, FALSE);
  g_option_context_add_main_entries (sub, entries, GETTEXT_PACKAGE);
  rest = g_strdupv (args + 1);
  if (!g_option_context_parse_strv (sub, &rest, &error))
    return usage_error (context, error->message);
  if (config_path == NULL)
    return usage_error (context, _ ("Give the configuration file with --config FILE."));
  config = dft_server_config_load (config_path, &error);
  if (config == NULL)
    return fail (error);
  /* Data a newer Daftari wrote is neither served nor changed; restore is how an admin goes
   * back to a backup made before the upgrade, so it alone may replace such data. */
  if (!(g_strv_length (rest) >= 2 && g_str_equal (rest[0], "admin")
        && g_str_equal (rest[1], "restore"))
      && !dft_server_backup_check_versions (config, &error))
    return fail (error);

  if (g_str_equal (rest[0], "serve"))
    {
      if (g_strv_length (rest) != 1)
        return usage_error (context, _ ("serve takes no arguments."));
      return serve (config);
    }
  if (g_strv_length (rest) < 2)
    return usage_error (context, _ ("Name an admin command."));
  dft_server_sql_set_application_name (DFT_SERVER_SQL_ADMIN_NAME);
  for (guint i = 0; i < G_N_ELEMENTS (admin_commands); i++)
    if (g_str_equal (rest[1], admin_commands[i].name))
      {
        g_auto (GStrv) command = g_strdupv (rest + 1);

        if (config->cluster && !works_in_cluster (rest[1]))
          {
            g_printerr (
                /* Translators: %s is an admin command such as "purge" */
                _ ("“%s” works on one server’s own copy of the register, and with cluster=yes "
                   "each process has its own: it is not available in a cluster yet.\n"),
                rest[1]);
            return EXIT_FAILED;
          }
        return admin_commands[i].run (config, &command);
      }
  {
    /* Translators: %s is what was typed as an admin command */
    g_autofree char *message = g_strdup_printf (_ ("Unknown admin command “%s”."), rest[1]);
    return usage_error (context, message);
  }
}
