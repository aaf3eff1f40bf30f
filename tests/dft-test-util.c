/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "dft-hlc.h"
#include "dft-store-private.h"
#include "dft-store-merges.h"
#include "dft-test-pg.h"
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
  /* DAFTARI_TEST_STORAGE=postgresql, where PostgreSQL cannot run, skips the program here. */
  dft_test_pg_wanted (*argc, *argv);
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
  GDir       *dir;
  const char *name;

  /* DAFTARI_TEST_KEEP=1 keeps a test's folders (servers' logs, stores) to look at after. */
  if (g_getenv ("DAFTARI_TEST_KEEP") != NULL)
    {
      g_printerr ("kept %s\n", path);
      return;
    }
  dir = g_dir_open (path, 0, NULL);

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

/*
 * Every record of every kind, one line each, as text without this replica's
 * own stamps (updated_at is when this replica wrote the row): replicas that
 * converged give the same text. created_at is the record's, the same on all.
 */
/* What the merges of people decide on this replica: who stands for whom, and which marks and
 * enrollments a list leaves out (dft-store-merges.c). */
static void
dump_merges (DftStore *store, GString *out)
{
  const DftEntity      *twice[] = { &dft_entity_attendance, &dft_entity_enrollment };
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) people
      = _dft_store_query (store, &dft_entity_person, NULL, NULL, "id", &error);

  g_assert_no_error (error);
  for (guint i = 0; i < people->len; i++)
    {
      const char      *id = dft_record_get_id (g_ptr_array_index (people, i));
      g_autofree char *survivor = dft_store_survivor_of (store, id);

      if (!g_str_equal (survivor, id))
        g_string_append_printf (out, "survivor %s=%s\n", id, survivor);
    }
  for (guint e = 0; e < G_N_ELEMENTS (twice); e++)
    {
      g_autoptr (GPtrArray) all = _dft_store_query (
          store, twice[e], "id IS NOT NULL AND deleted = 0", NULL, "id", &error);
      g_autoptr (GPtrArray) listed
          = _dft_store_query (store, twice[e], "deleted = 0", NULL, "id", &error);
      g_autoptr (GHashTable) shown = g_hash_table_new (g_str_hash, g_str_equal);

      g_assert_no_error (error);
      for (guint i = 0; i < listed->len; i++)
        g_hash_table_add (shown, (gpointer) dft_record_get_id (g_ptr_array_index (listed, i)));
      for (guint i = 0; i < all->len; i++)
        if (!g_hash_table_contains (shown, dft_record_get_id (g_ptr_array_index (all, i))))
          g_string_append_printf (out, "hidden %s %s\n", twice[e]->name,
                                  dft_record_get_id (g_ptr_array_index (all, i)));
    }
}

char *
dft_test_dump_records (DftStore *store)
{
  GString          *out = g_string_new (NULL);
  const DftEntity **entities;
  guint             n;

  entities = dft_entity_all (&n);
  for (guint e = 0; e < n; e++)
    {
      g_autoptr (GError)    error = NULL;
      g_autoptr (GPtrArray) rows = _dft_store_query (store, entities[e], NULL, NULL, "id", &error);

      g_assert_no_error (error);
      for (guint i = 0; i < rows->len; i++)
        {
          DftRecord *r = g_ptr_array_index (rows, i);

          g_string_append_printf (out, "%s %s created_at=%s deleted=%d", entities[e]->name,
                                  dft_record_get_id (r), dft_record_get_created_at (r),
                                  dft_record_get_deleted (r));
          for (guint f = 0; f < entities[e]->n_fields; f++)
            {
              g_auto (GValue) text = G_VALUE_INIT;

              g_value_init (&text, G_TYPE_STRING);
              g_value_transform (dft_record_get_value (r, f), &text);
              g_string_append_printf (
                  out, " %s=%s", entities[e]->fields[f].name,
                  g_value_get_string (&text) != NULL ? g_value_get_string (&text) : "∅");
            }
          g_string_append_c (out, '\n');
        }
    }
  dump_merges (store, out);
  return g_string_free (out, FALSE);
}

void
dft_test_assert_same_records (DftStore *reference, DftStore *other)
{
  g_autofree char *expected = dft_test_dump_records (reference);
  g_autofree char *got = dft_test_dump_records (other);

  g_assert_cmpstr (got, ==, expected);
}

gint64
dft_test_own_changes (DftStore *store)
{
  g_autoptr (GError) error = NULL;
  gint64             n = dft_store_origin_high (store, dft_store_get_device_id (store), &error);

  g_assert_no_error (error);
  return n;
}

guint
dft_test_log_length (DftStore *store)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) all = dft_store_read_log (store, 0, 0, NULL, NULL, &error);

  g_assert_no_error (error);
  return all->len;
}

char *
dft_test_add_participant (DftStore *store, const char *event_id, const char *given)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) person = dft_test_add_person (store, given, "Field");
  g_autoptr (DftRecord) enrollment
      = dft_store_enroll (store, event_id, dft_record_get_id (person), "participant", &error);

  g_assert_no_error (error);
  g_assert_nonnull (enrollment);
  return g_strdup (dft_record_get_id (person));
}

DftStore *
dft_test_open_replica (const char *dir, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *path = g_build_filename (dir, name, NULL);
  DftStore          *store = dft_store_open (path, &error);

  g_assert_no_error (error);
  /* What these tests look at is the merge, not the disk: thousands of commits a second. */
  sqlite3_exec (_dft_store_get_db (store), "PRAGMA synchronous = OFF", NULL, NULL, NULL);
  return store;
}

GPtrArray *
dft_test_conflicts_about (DftStore *store, const char *record_id, const char *field)
{
  g_autoptr (GError) error = NULL;
  const char        *params[] = { record_id, field, NULL };
  GPtrArray *rows = _dft_store_query (store, &dft_entity_conflict, "record_id = ? AND field = ?",
                                      params, NULL, &error);

  g_assert_no_error (error);
  return rows;
}

/* The clocks of test devices are the wall clock: the next write is later once it has moved. */
void
dft_test_wait_next_millisecond (void)
{
  gint64 start = dft_hlc_wall_ms ();

  while (dft_hlc_wall_ms () <= start + 1)
    g_usleep (200);
}

void
dft_test_send_changes (DftStore *from, DftStore *to)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) log
      = dft_store_read_log (from, 0, 0, NULL, dft_store_get_device_id (to), &error);
  DftApplyStats stats = { 0 };

  g_assert_no_error (error);
  if (log->len > 0)
    g_assert_true (dft_store_apply_changes (to, log, &stats, &error));
  g_assert_no_error (error);
}

void
dft_test_save (DftStore *store, DftRecord *record)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (dft_store_save (store, record, &error));
  g_assert_no_error (error);
}

guint
dft_test_count_listed (GListModel *list)
{
  g_autoptr (GListModel) owned = list;
  g_autoptr (GError)     error = NULL;

  g_assert_true (dft_record_list_reload_sync (DFT_RECORD_LIST (owned), &error));
  g_assert_no_error (error);
  return g_list_model_get_n_items (owned);
}

void
dft_test_delete (DftStore *store, const DftEntity *entity, const char *id)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) record = dft_store_load (store, entity, id, &error);

  g_assert_no_error (error);
  g_assert_true (dft_store_delete (store, record, &error));
  g_assert_no_error (error);
}

char *
dft_test_add_draft (DftStore *store, const char *form_id, const char *event_id)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) draft = dft_record_new_for_entity (&dft_entity_submission);

  if (form_id == NULL)
    {
      g_autoptr (DftRecord) form = dft_record_new_for_entity (&dft_entity_form);

      dft_record_set_string (form, "form_key", "evaluation");
      dft_record_set_int (form, "version", 1);
      dft_record_set_string (form, "title", "Evaluation");
      dft_record_set_string (form, "definition", "{}");
      g_assert_true (dft_store_save (store, form, &error));
      g_assert_no_error (error);
      form_id = dft_record_get_id (form);
      dft_record_set_string (draft, "form_id", form_id);
    }
  else
    dft_record_set_string (draft, "form_id", form_id);
  dft_record_set_string (draft, "event_id", event_id);
  dft_record_set_string (draft, "status", "draft");
  dft_record_set_string (draft, "answers", "{}");
  g_assert_true (dft_store_save (store, draft, &error));
  g_assert_no_error (error);
  return g_strdup (dft_record_get_id (draft));
}

void
dft_test_finalize (DftStore *store, const char *id, const char *answers)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) submission = dft_store_load (store, &dft_entity_submission, id, &error);

  g_assert_no_error (error);
  dft_record_set_string (submission, "answers", answers);
  dft_record_set_string (submission, "status", "final");
  g_assert_true (dft_store_save (store, submission, &error));
  g_assert_no_error (error);
}

void
dft_test_assert_lost_value (DftStore   *store,
                            const char *record_id,
                            const char *field,
                            const char *lost_json)
{
  g_autoptr (GPtrArray) conflicts = dft_test_conflicts_about (store, record_id, field);

  g_assert_cmpuint (conflicts->len, ==, 1);
  g_assert_cmpstr (dft_record_get_string (g_ptr_array_index (conflicts, 0), "lost_value"), ==,
                   lost_json);
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
guint
dft_test_count_fds (GPid pid)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *path
      = pid == 0 ? g_strdup ("/proc/self/fd") : g_strdup_printf ("/proc/%d/fd", pid);
  g_autoptr (GDir) dir = g_dir_open (path, 0, &error);
  guint            n = 0;

  g_assert_no_error (error);
  while (g_dir_read_name (dir) != NULL)
    n++;
  /* Reading /proc/self/fd holds one descriptor of its own. */
  return pid == 0 ? n - 1 : n;
}

guint64
dft_test_set_fd_limit (guint64 limit)
{
  struct rlimit rl;
  guint64       old;

  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &rl), ==, 0);
  old = rl.rlim_cur;
  rl.rlim_cur = MIN ((rlim_t) limit, rl.rlim_max);
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &rl), ==, 0);
  return old;
}

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
  /* A condition that holds never waits this long; one that is late waits it out. 60 s, not
   * 20: a sign-in sheet's PDF drawn under the sanitizers beside other builds took longer. */
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

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

/* ---- A daftari-server process ---- */

struct _DftTestServer
{
  char              *dir;
  gboolean           own_dir; /* made here, removed by dft_test_server_free() */
  char              *config;
  char              *log;
  char              *url;
  GHashTable        *teams; /* made with dft_test_server_add_account() */
  GSubprocess       *process;
  DftTestServerFlags flags;
  guint16            port;
  guint              starts;
  gboolean           stopping; /* SIGTERM sent */
  char              *storage;  /* the libpq URI of its database on PostgreSQL, or NULL */
};

const char *
dft_test_server_binary (void)
{
  const char *path = g_getenv ("DAFTARI_SERVER");

  if (path == NULL || !g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
    return NULL;
  return path;
}

static const char *
server_binary (void)
{
  const char *path = dft_test_server_binary ();

  if (path == NULL)
    g_error ("DAFTARI_SERVER does not name a built daftari-server");
  return path;
}

DftTestServer *
dft_test_server_new (const char *dir, const char *extra_config, DftTestServerFlags flags)
{
  g_autoptr (GError) error = NULL;
  DftTestServer     *server = g_new0 (DftTestServer, 1);
  /* DAFTARI_TEST_STORAGE=postgresql: each server on a database of its own (dft-test-pg.h),
   * unless the test names its storage itself. */
  g_autofree char *storage = extra_config == NULL || strstr (extra_config, "storage=") == NULL
                                 ? dft_test_pg_storage_line ()
                                 : NULL;
  g_autofree char *text
      = g_strdup_printf ("[server]\nlisten=127.0.0.1\nport=0\ndata=data\n%s%s",
                         storage != NULL ? storage : "", extra_config != NULL ? extra_config : "");

  server->own_dir = dir == NULL;
  server->dir = dir != NULL ? g_strdup (dir) : dft_test_make_dir ();
  server->config = g_build_filename (server->dir, "server.conf", NULL);
  server->teams = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  server->flags = flags;
  if (storage != NULL)
    server->storage = g_strstrip (g_strdup (storage + strlen ("storage=")));
  g_file_set_contents (server->config, text, -1, &error);
  g_assert_no_error (error);
  return server;
}

void
dft_test_server_free (DftTestServer *server)
{
  if (server == NULL)
    return;
  if (server->process != NULL)
    dft_test_server_stop (server);
  if (server->own_dir)
    dft_test_dir_free (g_steal_pointer (&server->dir));
  g_free (server->dir);
  g_free (server->config);
  g_free (server->log);
  g_free (server->url);
  g_free (server->storage);
  g_hash_table_unref (server->teams);
  g_free (server);
}

static void
die_with_parent (gpointer user_data)
{
  /* A failed assertion aborts the test before its teardown: the server must not outlive it. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

void
dft_test_server_start (DftTestServer *server)
{
  dft_test_server_begin_start (server);
  dft_test_server_finish_start (server);
}

void
dft_test_server_begin_start (DftTestServer *server)
{
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr (GError) error = NULL;
  g_autofree char   *name = NULL;
  gboolean           tls = (server->flags & DFT_TEST_SERVER_TLS) != 0;

  g_assert_null (server->process);
  name = g_strdup_printf ("server-%u.log", ++server->starts);
  g_free (server->log);
  server->log = g_build_filename (server->dir, name, NULL);
  g_subprocess_launcher_set_stderr_file_path (launcher, server->log);
  if (tls)
    {
      /* LeakSanitizer (GCC 12) crashes reading the thread-local storage of the TLS module GIO
       * loads with dlopen (glib-networking, GnuTLS) unless it leaves __tls_get_addr alone;
       * leaks are still checked. Without the sanitizers the option is not read. */
      g_autofree char *asan
          = g_strdup_printf ("%s:intercept_tls_get_addr=0", g_getenv ("ASAN_OPTIONS") ?: "");
      g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", asan, TRUE);
    }
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  server->process = g_subprocess_launcher_spawn (launcher, &error, server_binary (), "serve",
                                                 "--config", server->config, NULL);
  g_assert_no_error (error);
  server->stopping = FALSE;
}

void
dft_test_server_finish_start (DftTestServer *server)
{
  g_autoptr (GDataInputStream) out = NULL;
  g_autoptr (GError)           error = NULL;
  g_autofree char             *line = NULL;
  gboolean                     tls = (server->flags & DFT_TEST_SERVER_TLS) != 0;
  const char                  *scheme = tls ? "https" : "http";
  g_autofree char             *prefix = g_strdup_printf ("listening on %s://127.0.0.1:", scheme);
  guint64                      port;

  g_assert_nonnull (server->process);
  /* Its first line says where it listens: the port the system picked. */
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, prefix));
  port = g_ascii_strtoull (strrchr (line, ':') + 1, NULL, 10);
  g_assert_cmpuint (port, >, 0);
  g_assert_cmpuint (port, <=, G_MAXUINT16);
  server->port = (guint16) port;
  g_free (server->url);
  server->url = g_strdup_printf ("%s://127.0.0.1:%u/", scheme, server->port);
}

void
dft_test_server_begin_stop (DftTestServer *server)
{
  g_assert_nonnull (server->process);
  g_assert_false (server->stopping);
  g_subprocess_send_signal (server->process, SIGTERM);
  server->stopping = TRUE;
}

void
dft_test_server_stop (DftTestServer *server)
{
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (server->process);
  if (!server->stopping)
    dft_test_server_begin_stop (server);
  g_subprocess_wait (server->process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (server->process));
  g_assert_cmpint (g_subprocess_get_exit_status (server->process), ==, 0);
  g_clear_object (&server->process);
}

void
dft_test_server_kill (DftTestServer *server)
{
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (server->process);
  g_subprocess_force_exit (server->process);
  g_subprocess_wait (server->process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_signaled (server->process));
  g_assert_cmpint (g_subprocess_get_term_sig (server->process), ==, SIGKILL);
  g_clear_object (&server->process);
}

gboolean
dft_test_server_is_running (DftTestServer *server)
{
  return server->process != NULL;
}

/* Runs the admin command with the arguments in @ap; returns its exit status, after failing
 * the test if it did not succeed and @must_succeed. */
static int
server_admin_valist (
    DftTestServer *server, const char *input, char **out, gboolean must_succeed, va_list ap)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr (GSubprocess)  process = NULL;
  g_autoptr (GError)       error = NULL;
  g_auto (GStrv)           argv = NULL;
  g_autofree char         *stdout_text = NULL;
  g_autofree char         *stderr_text = NULL;
  const char              *arg;
  int                      status;

  g_strv_builder_add_many (builder, server_binary (), "admin", "--config", server->config, NULL);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_strv_builder_add (builder, arg);
  argv = g_strv_builder_end (builder);
  process = g_subprocess_newv ((const char *const *) argv,
                               G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                   | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input != NULL ? input : "", NULL, &stdout_text,
                                 &stderr_text, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  status = g_subprocess_get_exit_status (process);
  if (status != 0 && must_succeed)
    g_error ("daftari-server admin %s failed: %s", argv[4], stderr_text);
  if (status != 0)
    g_test_message ("admin %s: %s", argv[4], stderr_text);
  /* A command that failed says why on standard error: that follows. */
  if (out != NULL)
    *out = status != 0 ? g_strconcat (stdout_text, stderr_text, NULL)
                       : g_steal_pointer (&stdout_text);
  return status;
}

char *
dft_test_server_admin (DftTestServer *server, const char *input, ...)
{
  char   *out = NULL;
  va_list ap;

  va_start (ap, input);
  server_admin_valist (server, input, &out, TRUE, ap);
  va_end (ap);
  return out;
}

int
dft_test_server_admin_status (DftTestServer *server, const char *input, char **out, ...)
{
  va_list ap;
  int     status;

  va_start (ap, out);
  status = server_admin_valist (server, input, out, FALSE, ap);
  va_end (ap);
  return status;
}

void
dft_test_server_add_account (DftTestServer *server,
                             const char    *username,
                             const char    *role,
                             const char    *team,
                             const char    *password)
{
  g_autofree char *input = g_strdup_printf ("%s\n", password);
  g_autofree char *out = NULL;
  g_autofree char *line
      = g_strdup_printf ("\t%s\t%s\t%s\n", username, role, team != NULL ? team : "-");

  if (team != NULL && !g_hash_table_contains (server->teams, team))
    {
      g_free (dft_test_server_admin (server, NULL, "create-team", team, NULL));
      g_hash_table_add (server->teams, g_strdup (team));
    }
  if (team != NULL)
    out = dft_test_server_admin (server, input, "create-account", "--username", username, "--role",
                                 role, "--team", team, NULL);
  else
    out = dft_test_server_admin (server, input, "create-account", "--username", username, "--role",
                                 role, NULL);
  g_assert_nonnull (strstr (out, line));
}

char *
dft_test_server_make_enrolment_code (DftTestServer *server, const char *team)
{
  g_autofree char *out
      = dft_test_server_admin (server, NULL, "make-enrolment-code", "--team", team, NULL);

  return g_strndup (out, strcspn (out, "\n"));
}

const char *
dft_test_server_get_storage (DftTestServer *server)
{
  return server->storage;
}

const char *
dft_test_server_get_dir (DftTestServer *server)
{
  return server->dir;
}

void
dft_test_server_expire_token (DftTestServer *server, const char *device_id)
{
  g_autofree char *path = g_build_filename (server->dir, "data", "accounts.db", NULL);
  sqlite3         *db = NULL;
  sqlite3_stmt    *stmt = NULL;

  g_assert_false (dft_test_server_is_running (server));
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (
      sqlite3_prepare_v2 (db, "UPDATE device SET expires_at = 1 WHERE id = ?", -1, &stmt, NULL), ==,
      SQLITE_OK);
  sqlite3_bind_text (stmt, 1, device_id, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  g_assert_cmpint (sqlite3_changes (db), ==, 1);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

const char *
dft_test_server_get_log (DftTestServer *server)
{
  return server->log;
}

GPid
dft_test_server_get_pid (DftTestServer *server)
{
  const char *id;

  g_assert_nonnull (server->process);
  id = g_subprocess_get_identifier (server->process);
  g_assert_nonnull (id);
  return (GPid) g_ascii_strtoll (id, NULL, 10);
}

guint16
dft_test_server_get_port (DftTestServer *server)
{
  g_assert_cmpuint (server->port, >, 0);
  return server->port;
}

const char *
dft_test_server_get_url (DftTestServer *server)
{
  g_assert_nonnull (server->url);
  return server->url;
}

DftForm *
dft_test_load_form (const char *name)
{
  g_autofree char   *path = g_build_filename (g_getenv ("DAFTARI_TEST_DATA"), "forms", name, NULL);
  g_autoptr (GError) error = NULL;
  DftForm           *form = dft_form_new_from_file (path, &error);

  g_assert_no_error (error);
  g_assert_true (dft_form_prepare (form, &error));
  g_assert_no_error (error);
  return form;
}

static void
dump_text (GString *out, const char *what, DftText *text)
{
  g_autoptr (GList) langs = NULL;

  if (text == NULL)
    return;
  langs = g_list_sort (g_hash_table_get_keys (text), (GCompareFunc) strcmp);
  for (GList *l = langs; l != NULL; l = l->next)
    g_string_append_printf (out, "%s[%s] = «%s»\n", what, (const char *) l->data,
                            (const char *) g_hash_table_lookup (text, l->data));
}

typedef struct
{
  DftForm *form;
  GString *out;
} DumpData;

static void
dump_question (DftQuestion *q, gpointer user_data)
{
  DumpData        *d = user_data;
  g_autofree char *label = g_strconcat (q->name, ".label", NULL);
  g_autofree char *hint = g_strconcat (q->name, ".hint", NULL);
  DftChoiceList   *list
      = q->choice_list != NULL ? g_hash_table_lookup (d->form->choice_lists, q->choice_list) : NULL;

  dump_text (d->out, label, q->label);
  dump_text (d->out, hint, q->hint);
  for (guint i = 0; list != NULL && i < list->choices->len; i++)
    {
      DftChoice       *c = g_ptr_array_index (list->choices, i);
      g_autofree char *what = g_strdup_printf ("%s/%s.label", q->name, c->value);

      dump_text (d->out, what, c->label);
    }
}

char *
dft_test_form_texts (DftForm *form)
{
  DumpData d = { form, g_string_new (NULL) };

  dump_text (d.out, "title", form->title);
  dft_form_foreach (form, dump_question, &d);
  return g_string_free (d.out, FALSE);
}

void
dft_test_assert_same_form (DftForm *expected, DftForm *actual)
{
  g_autofree char *before
      = dft_form_to_json (expected, DFT_FORM_JSON_CANONICAL | DFT_FORM_JSON_PRETTY);
  g_autofree char *after
      = dft_form_to_json (actual, DFT_FORM_JSON_CANONICAL | DFT_FORM_JSON_PRETTY);

  g_assert_cmpstr (after, ==, before);
}
