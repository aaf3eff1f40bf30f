/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dft-change-log.h"
#include "dft-db.h"
#include "dft-store-private.h"
#include "dft-test-util.h"

/*
 * A writer process (crash-writer.c) is killed with SIGKILL at a random
 * moment, again and again, on the same database. After each kill the store
 * opens, SQLite's integrity check passes, and every save the writer had
 * seen return TRUE is there with its change-log entry: from this round and
 * from all the rounds before.
 *
 * DAFTARI_CRASH_ROUNDS sets the number of rounds (100 by default); a failing
 * run repeats with the --seed it printed.
 */

#define DEFAULT_ROUNDS 100
#define MIN_DELAY_MS   5
#define MAX_DELAY_MS   120

static const char *tables[] = { "event", "session", "person", "enrollment", "attendance" };

typedef struct
{
  GHashTable *saved;   /* "ENTITY ID" -> round it was reported in, from 1 */
  GHashTable *updated; /* person ids saved a second time with position "Inspector" */
  guint       n_lines;
} Ledger;

static char *
writer_path (void)
{
  const char      *env = g_getenv ("DAFTARI_CRASH_WRITER");
  g_autofree char *self = NULL;
  g_autofree char *dir = NULL;

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  /* Run by hand: the writer is built beside this test. */
  self = g_file_read_link ("/proc/self/exe", NULL);
  g_assert_nonnull (self);
  dir = g_path_get_dirname (self);
  return g_build_filename (dir, "crash-writer", NULL);
}

static guint
n_rounds (void)
{
  const char *env = g_getenv ("DAFTARI_CRASH_ROUNDS");
  guint64     n;

  if (env == NULL || *env == '\0')
    return DEFAULT_ROUNDS;
  n = g_ascii_strtoull (env, NULL, 10);
  g_assert_cmpuint (n, >, 0);
  return (guint) n;
}

/*
 * Reads what the writer says until @deadline (monotonic µs; -1 for none),
 * until @stop_at appears, or until the writer closes the pipe: TRUE then.
 */
static gboolean
pump (int fd, GString *output, gint64 deadline, const char *stop_at)
{
  for (;;)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };
      char          buffer[8192];
      int           timeout = -1;
      gssize        n;
      int           ready;

      if (stop_at != NULL && strstr (output->str, stop_at) != NULL)
        return FALSE;
      if (deadline >= 0)
        {
          gint64 left = deadline - g_get_monotonic_time ();
          if (left <= 0)
            return FALSE;
          timeout = (int) ((left + 999) / 1000);
        }
      ready = poll (&pfd, 1, timeout);
      if (ready < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (ready, >=, 0);
      if (ready == 0)
        continue;

      n = read (fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (n, >=, 0);
      if (n == 0)
        return TRUE;
      g_string_append_len (output, buffer, n);
    }
}

/*
 * One writer, killed @delay_ms after it started or, with @after_ready, after
 * it said it had opened the store: starting a process under a sanitizer on a
 * busy machine can take longer than the longest delay, and a round that
 * never writes tests little. Returns the lines it completed.
 */
static GStrv
run_writer (
    const char *writer, const char *path, guint delay_ms, gboolean after_ready, gboolean *out_ready)
{
  g_autoptr (GError)  error = NULL;
  g_autoptr (GString) output = g_string_new (NULL);
  const char         *argv[] = { writer, path, NULL };
  gboolean            closed = FALSE;
  int                 status;
  int                 out_fd;
  GPid                pid;

  g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid,
                            NULL, &out_fd, NULL, &error);
  g_assert_no_error (error);

  if (after_ready)
    closed = pump (out_fd, output, g_get_monotonic_time () + 30 * G_USEC_PER_SEC, "ready -\n");
  if (!closed)
    closed
        = pump (out_fd, output, g_get_monotonic_time () + delay_ms * G_TIME_SPAN_MILLISECOND, NULL);
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  if (!closed)
    pump (out_fd, output, -1, NULL);
  g_assert_cmpint (close (out_fd), ==, 0);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_spawn_close_pid (pid);

  /* It writes until it is killed: stopping on its own is a failure, see its stderr. */
  if (!WIFSIGNALED (status) || WTERMSIG (status) != SIGKILL)
    g_test_message ("the writer stopped on its own (status 0x%x) after:\n%s", status, output->str);
  g_assert_false (closed);
  g_assert_true (WIFSIGNALED (status));
  g_assert_cmpint (WTERMSIG (status), ==, SIGKILL);

  /* Only whole lines: a line is written in one write(2), so there is no half line to drop. */
  g_assert_true (output->len == 0 || output->str[output->len - 1] == '\n');
  *out_ready = strstr (output->str, "ready -\n") != NULL;
  if (output->len > 0)
    g_string_truncate (output, output->len - 1);
  return output->len > 0 ? g_strsplit (output->str, "\n", -1) : g_new0 (char *, 1);
}

static void
ledger_take (Ledger *ledger, GStrv lines, guint round, GPtrArray *fresh)
{
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) parts = g_strsplit (lines[i], " ", 2);

      g_assert_nonnull (parts[0]);
      g_assert_nonnull (parts[1]);
      if (g_str_equal (parts[0], "ready"))
        continue;
      ledger->n_lines++;
      if (g_str_equal (parts[0], "update"))
        {
          g_hash_table_add (ledger->updated, g_strdup (parts[1]));
          continue;
        }
      g_assert_nonnull (dft_entity_lookup (parts[0]));
      g_hash_table_insert (ledger->saved, g_strdup (lines[i]), GUINT_TO_POINTER (round));
      g_ptr_array_add (fresh, g_strdup (lines[i]));
    }
}

static gint64
count (sqlite3 *db, const char *sql)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  return sqlite3_column_int64 (stmt, 0);
}

/* Every row of @sql's first two columns joined by a space, as keys of a set. */
static void
collect (sqlite3 *db, const char *sql, GHashTable *into)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int                      rc;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_hash_table_add (into, g_strdup_printf ("%s %s", sqlite3_column_text (stmt, 0),
                                             sqlite3_column_text (stmt, 1)));
  g_assert_cmpint (rc, ==, SQLITE_DONE);
}

static void
verify (const char *path, Ledger *ledger, GPtrArray *fresh)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (GHashTable) rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) logged = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) inspectors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) relogged = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (sqlite3_stmt) check = NULL;
  DftStore                *store = dft_store_open (path, &error);
  GHashTableIter           iter;
  gpointer                 key, value;
  guint                    missing = 0;
  sqlite3                 *db;
  int                      rc;

  g_assert_no_error (error);
  db = _dft_store_get_db (store);

  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &check, NULL), ==,
                   SQLITE_OK);
  while ((rc = sqlite3_step (check)) == SQLITE_ROW)
    g_assert_cmpstr ((const char *) sqlite3_column_text (check, 0), ==, "ok");
  g_assert_cmpint (rc, ==, SQLITE_DONE);

  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      g_autofree char *ids = g_strdup_printf ("SELECT '%s', id FROM %s", tables[i], tables[i]);
      g_autofree char *orphans = g_strdup_printf (
          "SELECT count (*) FROM change_log c WHERE c.entity = '%s' AND NOT EXISTS "
          "(SELECT 1 FROM %s t WHERE t.id = c.record_id)",
          tables[i], tables[i]);
      g_autofree char *unlogged = g_strdup_printf (
          "SELECT count (*) FROM %s t WHERE NOT EXISTS "
          "(SELECT 1 FROM change_log c WHERE c.entity = '%s' AND c.record_id = t.id)",
          tables[i], tables[i]);

      collect (db, ids, rows);
      /* A row and its change-log entry are one transaction: never one without the other. */
      g_assert_cmpint (count (db, orphans), ==, 0);
      g_assert_cmpint (count (db, unlogged), ==, 0);
    }
  collect (db, "SELECT DISTINCT entity, record_id FROM change_log", logged);
  collect (db, "SELECT 'person', id FROM person WHERE position = 'Inspector'", inspectors);
  collect (db,
           "SELECT 'person', record_id FROM change_log WHERE entity = 'person' "
           "GROUP BY record_id HAVING count (*) >= 2",
           relogged);

  g_hash_table_iter_init (&iter, ledger->saved);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (rows, key) || !g_hash_table_contains (logged, key))
      {
        if (missing++ < 10)
          g_test_message ("lost: %s (saved in round %u)%s", (const char *) key,
                          GPOINTER_TO_UINT (value),
                          g_hash_table_contains (rows, key) ? ", row without log entry" : "");
      }
  g_assert_cmpuint (missing, ==, 0);

  g_hash_table_iter_init (&iter, ledger->updated);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      g_autofree char *person = g_strdup_printf ("person %s", (const char *) key);

      if (!g_hash_table_contains (inspectors, person) || !g_hash_table_contains (relogged, person))
        g_test_message ("lost update: %s", person);
      g_assert_true (g_hash_table_contains (inspectors, person));
      g_assert_true (g_hash_table_contains (relogged, person));
    }

  /* This round's saves once more, through the store's own API. */
  for (guint i = 0; i < fresh->len; i++)
    {
      g_auto (GStrv)        parts = g_strsplit (g_ptr_array_index (fresh, i), " ", 2);
      g_autoptr (DftRecord) record
          = dft_store_load (store, dft_entity_lookup (parts[0]), parts[1], &error);

      g_assert_no_error (error);
      g_assert_cmpstr (dft_record_get_id (record), ==, parts[1]);
      g_assert_cmpint (dft_change_log_count_for (db, parts[0], parts[1], NULL), >, 0);
    }

  dft_test_drain ();
  g_assert_finalize_object (store);
}

static void
test_crash_kill_writer (void)
{
  g_autofree char      *writer = writer_path ();
  g_autofree char      *dir = dft_test_make_dir ();
  g_autofree char      *path = g_build_filename (dir, "daftari.db", NULL);
  g_autoptr (GPtrArray) fresh = g_ptr_array_new_with_free_func (g_free);
  Ledger                ledger = { 0 };
  guint                 rounds = n_rounds ();
  guint                 rounds_ready = 0;
  guint                 rounds_verified = 0;
  gint64                started = g_get_monotonic_time ();

  g_assert_true (g_file_test (writer, G_FILE_TEST_IS_EXECUTABLE));
  ledger.saved = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ledger.updated = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_test_message ("%u rounds on %s", rounds, path);

  for (guint round = 1; round <= rounds; round++)
    {
      guint delay_ms = (guint) g_test_rand_int_range (MIN_DELAY_MS, MAX_DELAY_MS + 1);
      /* One round in four counts from the start, so kills also land while the
       * writer opens the store; it is the round after one left unchecked
       * (below), so that writer also replays the log of the one killed before. */
      gboolean       after_ready = round % 4 != 0;
      gboolean       ready = FALSE;
      g_auto (GStrv) lines = run_writer (writer, path, delay_ms, after_ready, &ready);

      ledger_take (&ledger, lines, round, fresh);
      rounds_ready += ready ? 1 : 0;

      /* Unchecked, so the next writer starts on the log the killed one left,
       * not on a database our own opening has recovered and checkpointed. */
      if (round % 4 == 3 && round != rounds)
        continue;
      verify (path, &ledger, fresh);
      g_ptr_array_set_size (fresh, 0);
      rounds_verified++;
    }

  g_test_message ("%u rounds in %.1f s: %u writers opened the store, %u checks; "
                  "%u saves verified (%u records, %u updates)",
                  rounds, (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC,
                  rounds_ready, rounds_verified, ledger.n_lines, g_hash_table_size (ledger.saved),
                  g_hash_table_size (ledger.updated));
  /* A test that never saw a write proves nothing. */
  g_assert_cmpuint (rounds_ready, >=, rounds / 2);
  g_assert_cmpuint (g_hash_table_size (ledger.saved), >, rounds);

  g_hash_table_unref (ledger.saved);
  g_hash_table_unref (ledger.updated);
  dft_test_dir_free (g_steal_pointer (&dir));
}

int
main (int argc, char **argv)
{
  dft_test_init (&argc, &argv);

  g_test_add_func ("/crash/kill-writer", test_crash_kill_writer);

  return g_test_run ();
}
