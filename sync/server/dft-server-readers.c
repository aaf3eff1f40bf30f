/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Connections of their own for pulls. The server's store has one connection, which a push
 * holds, with push_lock, for the whole of its transaction: a pull that read through it waited
 * for every push queued before it, and fifty devices syncing at once waited seconds each.
 * SQLite's write-ahead log lets readers run beside the one writer, each reading the last commit
 * made before its read transaction began; so a pull takes one of a few stores opened on the
 * same file, reads everything it answers from one read transaction (the log's end, what the
 * server holds of the device, the page and the records its scope looks at all agree), and gives
 * the store back.
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "dft-change-log.h"
#include "dft-db.h"
#include "dft-server-private.h"
#include "dft-server-scope.h"
#include "dft-store-private.h"

/*
 * Opened with the server: opening a store takes the write lock for a moment (it checks its
 * migrations), which a push in progress would make it wait for. A pull is mostly work for a
 * processor, so a few more than the processors keep them busy while one waits on the disk.
 */
#define MIN_READERS 4
#define MAX_READERS 8

static DftStore *
open_reader (const char *path, GError **error)
{
  g_autoptr (DftStore) reader = dft_store_open (path, error);

  if (reader == NULL)
    return NULL;
  /* A pull never writes: should a change to it ever try, SQLite refuses it on this connection
   * instead of the write waiting behind the pushes, or racing them. */
  if (!dft_db_exec (_dft_store_get_db (reader), "PRAGMA query_only = ON", error))
    return NULL;
  return g_steal_pointer (&reader);
}

gboolean
_dft_server_readers_open (DftServer *self, GError **error)
{
  const char *path = dft_store_get_path (self->store);
  guint       n = CLAMP (g_get_num_processors () * 2, MIN_READERS, MAX_READERS);

  g_assert (self->readers == NULL);
  self->readers = g_async_queue_new_full (g_object_unref);
  for (guint i = 0; i < n; i++)
    {
      DftStore *reader = open_reader (path, error);

      if (reader == NULL)
        return FALSE;
      g_async_queue_push (self->readers, reader);
      self->n_readers++;
    }
  return TRUE;
}

void
_dft_server_readers_close (DftServer *self)
{
  g_clear_pointer (&self->readers, g_async_queue_unref);
}

/* Whether the commit @reader reads is data "admin restore" put back that the server has not
 * taken up yet: the mark goes in the same commit as the data, and goes once it is taken up. */
static gboolean
reads_restored (DftStore *reader, GError **error)
{
  g_autofree char *copy = dft_store_get_sync_state (reader, "backup_copy", error);

  return copy != NULL && *copy != '\0';
}

/* A reader, in a read transaction of its own: what every read through it sees is one commit.
 * Waits while every reader is taken. */
DftStore *
_dft_server_reader_take (DftServer *self, GError **error)
{
  DftStore *reader = g_async_queue_pop (self->readers);

  /*
   * A pull takes no push_lock, so it may be first to read a restore made while serving: the
   * server takes it up (new epoch, log positions) before this pull answers from it, and the
   * pull reads again from a commit after that. Tried twice at most: the next read follows the
   * writer's commit that removed the mark, unless taking it up failed, which the server logs.
   */
  for (guint tries = 0;; tries++)
    {
      g_autoptr (GError) local_error = NULL;

      if (!dft_db_exec (_dft_store_get_db (reader), "BEGIN", error))
        {
          g_async_queue_push (self->readers, reader);
          return NULL;
        }
      if (tries == 2 || !reads_restored (reader, &local_error))
        break;
      sqlite3_exec (_dft_store_get_db (reader), "COMMIT", NULL, NULL, NULL);
      g_mutex_lock (&self->push_lock);
      _dft_server_check_restored (self);
      g_mutex_unlock (&self->push_lock);
    }
  return reader;
}

void
_dft_server_reader_give (DftServer *self, DftStore *reader)
{
  if (reader == NULL)
    return;
  /* Ending the read transaction lets a checkpoint move past what it saw. */
  sqlite3_exec (_dft_store_get_db (reader), "COMMIT", NULL, NULL, NULL);
  g_async_queue_push (self->readers, reader);
}

/* ---- A test's gate -------------------------------------------------------- */

/*
 * For tests (tests/test-server.c, /server/pull-beside-push): with DAFTARI_SERVER_TEST_PUSH_GATE
 * naming a folder that holds a file "armed", a push in the middle of its apply (push_lock held,
 * the writer's transaction open) makes "held" there and waits for "release", so a test sees
 * what the server answers meanwhile. Unset, as it is outside tests, it costs one getenv a push.
 */
void
_dft_server_test_push_gate (void)
{
  const char      *dir = g_getenv ("DAFTARI_SERVER_TEST_PUSH_GATE");
  g_autofree char *armed = NULL;
  g_autofree char *held = NULL;
  g_autofree char *release = NULL;
  gint64           deadline;

  if (dir == NULL)
    return;
  armed = g_build_filename (dir, "armed", NULL);
  if (!g_file_test (armed, G_FILE_TEST_EXISTS))
    return;
  held = g_build_filename (dir, "held", NULL);
  release = g_build_filename (dir, "release", NULL);
  g_file_set_contents (held, "", 0, NULL);
  /* Bounded, so that a test that fails before it releases the push does not hang the server. */
  deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  while (!g_file_test (release, G_FILE_TEST_EXISTS) && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
}

/* ---- A pull's page ------------------------------------------------------ */

/*
 * A device of a team sees its team's workshops and little else, yet every other device's
 * changes sit in the same log: before this, its pull decoded each of them and looked up its
 * record one query at a time, only to drop it, a page of a few hundred at a time, so that fifty
 * trainers syncing at once read the whole log fifty times over in thousands of requests.
 *
 * Two ways to read a team's page, both through the store's own indexes; either way only the
 * changes that may be seen are decoded and left to dft_scope_filter_pull() to decide, as before,
 * so what a device sees is unchanged. The SQL mirrors record_visible() in dft-server-scope.c: a
 * record the store does not hold, or one without a workshop, is not seen; a person is seen when
 * the team owns it or a live enrollment in one of the team's workshops names it; forms,
 * conflicts, merges and submissions outside any workshop are left to the C check.
 *
 * - SCAN_SQL reads the log in order with the workshop of each change's record, and passes over
 *   a change surely outside the team's workshops undecoded: a few lookups by id for each change
 *   of the log, for a short stretch of it (the pull of a device that pulled a moment ago).
 * - TEAM_PAGE_SQL starts from the team's records instead (its workshops' sessions, enrollments,
 *   submissions, marks and people) and finds their changes by record: for a long stretch of the
 *   log that is mostly other teams' (a first pull), it reads only what the team may see.
 */
#define SCAN_SQL                                                                                   \
  "SELECT c.seq, c.hlc, c.device_id, c.entity, c.record_id, c.origin_seq, c.fields, c.base,"       \
  " CASE WHEN ?3 IS NULL THEN NULL"                                                                \
  "  WHEN c.entity = 'event' THEN c.record_id"                                                     \
  "  WHEN c.entity = 'session' THEN (SELECT event_id FROM session WHERE id = c.record_id)"         \
  "  WHEN c.entity = 'enrollment' THEN (SELECT event_id FROM enrollment WHERE id = c.record_id)"   \
  "  WHEN c.entity = 'submission' THEN (SELECT event_id FROM submission WHERE id = c.record_id)"   \
  "  WHEN c.entity = 'attendance' THEN (SELECT s.event_id FROM attendance a"                       \
  "   JOIN session s ON s.id = a.session_id WHERE a.id = c.record_id)"                             \
  "  WHEN c.entity = 'person' THEN (SELECT e.event_id FROM enrollment e"                           \
  "   WHERE e.person_id = c.record_id AND e.deleted = 0 AND e.merge_hidden = 0"                    \
  "   AND e.event_id IN (SELECT value FROM json_each (?3)) LIMIT 1)"                               \
  " END"                                                                                           \
  " FROM change_log c WHERE c.seq > ?1 AND c.device_id <> ?2 ORDER BY c.seq"

/* Rows a scanned page passes over at most: the rest waits for the next pull, so that one
 * request stays short however much of the log a team does not see. */
#define PAGE_SCAN_MAX 100000

#define TEAM_PAGE_SQL                                                                              \
  "WITH team (id) AS MATERIALIZED (SELECT value FROM json_each (?3)),"                             \
  " seen (entity, id) AS ("                                                                        \
  "  SELECT 'event', id FROM team"                                                                 \
  "  UNION SELECT 'person', id FROM team"                                                          \
  "  UNION SELECT 'session', id FROM session WHERE event_id IN team"                               \
  "  UNION SELECT 'enrollment', id FROM enrollment WHERE event_id IN team"                         \
  "  UNION SELECT 'submission', id FROM submission WHERE event_id IN team"                         \
  "  UNION SELECT 'submission', id FROM submission WHERE event_id IS NULL"                         \
  "  UNION SELECT 'attendance', a.id FROM session s JOIN attendance a ON a.session_id = s.id"      \
  "   WHERE s.event_id IN team"                                                                    \
  "  UNION SELECT 'person', person_id FROM enrollment WHERE event_id IN team AND deleted = 0"      \
  "   AND merge_hidden = 0 AND person_id IS NOT NULL)"                                             \
  " SELECT c.seq, c.hlc, c.device_id, c.entity, c.record_id, c.origin_seq, c.fields, c.base"       \
  " FROM seen JOIN change_log c ON c.entity = seen.entity AND c.record_id = seen.id"               \
  " WHERE c.seq > ?1 AND c.device_id <> ?2"                                                        \
  " UNION ALL"                                                                                     \
  " SELECT c.seq, c.hlc, c.device_id, c.entity, c.record_id, c.origin_seq, c.fields, c.base"       \
  " FROM change_log c WHERE c.entity IN (SELECT value FROM json_each (?4))"                        \
  " AND c.seq > ?1 AND c.device_id <> ?2"                                                          \
  " ORDER BY 1 LIMIT ?5"

/* About how many records a workshop holds at most (people, enrollments, sessions, marks,
 * answers): the stretch of log past which TEAM_PAGE_SQL reads less than SCAN_SQL. */
#define RECORDS_PER_WORKSHOP 1000

/* Whether dft_scope_filter_pull() surely drops the row: see SCAN_SQL. */
static gboolean
surely_hidden (GHashTable *owned, const char *entity, const char *record_id, const char *workshop)
{
  if (g_str_equal (entity, "event") || g_str_equal (entity, "session")
      || g_str_equal (entity, "enrollment") || g_str_equal (entity, "attendance"))
    return workshop == NULL || !g_hash_table_contains (owned, workshop);
  if (g_str_equal (entity, "submission"))
    return workshop != NULL && !g_hash_table_contains (owned, workshop);
  if (g_str_equal (entity, "person"))
    return workshop == NULL && !g_hash_table_contains (owned, record_id);
  return FALSE;
}

/* The kinds of record TEAM_PAGE_SQL finds by their workshop. */
static const char *const placed[]
    = { "event", "session", "enrollment", "submission", "attendance", "person", NULL };

static void
finalize_statement (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

/* Prepared once for each reader and kept with it: every pull runs one of them. */
static sqlite3_stmt *
reader_statement (DftStore *reader, const char *key, const char *sql, GError **error)
{
  sqlite3      *db = _dft_store_get_db (reader);
  sqlite3_stmt *stmt = g_object_get_data (G_OBJECT (reader), key);
  int           rc;

  if (stmt != NULL)
    return stmt;
  rc = sqlite3_prepare_v3 (db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      dft_db_set_error (error, db, rc, _ ("reading the change log"));
      return NULL;
    }
  /* Finalized after the store's connection is closed: sqlite3_close_v2() waits for it. */
  g_object_set_data_full (G_OBJECT (reader), key, stmt, finalize_statement);
  return stmt;
}

static JsonObject *
parse_object (JsonParser *parser, const char *text)
{
  JsonNode *root;

  if (text == NULL || !json_parser_load_from_data (parser, text, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

static char *
json_strings (const char *const *strings, guint n)
{
  g_autoptr (JsonArray) array = json_array_new ();
  g_autoptr (JsonNode)  node = NULL;

  for (guint i = 0; i < n; i++)
    json_array_add_string_element (array, strings[i]);
  node = json_node_init_array (json_node_alloc (), array);
  return json_to_string (node, FALSE);
}

/* The kinds of record the schema knows that TEAM_PAGE_SQL does not place, as a JSON array. */
static char *
unplaced_entities (void)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  guint                 n = 0;
  const DftEntity     **all = dft_entity_all (&n);

  for (guint i = 0; i < n; i++)
    if (!g_strv_contains ((const char *const *) placed, all[i]->name))
      g_ptr_array_add (names, (gpointer) all[i]->name);
  return json_strings ((const char *const *) names->pdata, names->len);
}

/* The changes after @after, up to @cap of them: how long a stretch of the log a page covers. */
static gint64
count_tail (DftStore *reader, gint64 after, gint64 cap, GError **error)
{
  sqlite3_stmt *stmt = reader_statement (
      reader, "dft-pull-tail",
      "SELECT count (*) FROM (SELECT 1 FROM change_log WHERE seq > ?1 LIMIT ?2)", error);
  gint64 n = -1;
  int    rc;

  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, after);
  sqlite3_bind_int64 (stmt, 2, cap);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    n = sqlite3_column_int64 (stmt, 0);
  else
    dft_db_set_error (error, _dft_store_get_db (reader), rc, _ ("reading the change log"));
  sqlite3_reset (stmt);
  return n;
}

static DftChange *
change_from_row (sqlite3_stmt *stmt, JsonParser *parser, GError **error)
{
  const char            *entity = (const char *) sqlite3_column_text (stmt, 3);
  const char            *record_id = (const char *) sqlite3_column_text (stmt, 4);
  const char            *base_text;
  g_autoptr (JsonObject) fields
      = parse_object (parser, (const char *) sqlite3_column_text (stmt, 6));
  DftChange *change;

  if (fields == NULL || entity == NULL || record_id == NULL)
    {
      g_set_error (error, DFT_DB_ERROR, DFT_DB_ERROR_CORRUPT,
                   /* Translators: %lld is a position in the change log */
                   _ ("Change number %lld in the change log is damaged."),
                   (long long) sqlite3_column_int64 (stmt, 0));
      return NULL;
    }
  change = dft_change_new (entity, record_id, fields);
  change->seq = sqlite3_column_int64 (stmt, 0);
  change->hlc = (DftHlcValue) sqlite3_column_int64 (stmt, 1);
  change->device_id = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
  change->origin_seq = sqlite3_column_int64 (stmt, 5);
  base_text = (const char *) sqlite3_column_text (stmt, 7);
  change->base = base_text != NULL ? parse_object (parser, base_text) : NULL;
  return change;
}

/*
 * The changes of other devices after @after that @device may see, read through @reader (taken
 * with _dft_server_reader_take()): at most @limit, in the log's order, each still to pass
 * dft_scope_filter_pull(). *cursor is the last position the page covers, *more whether the log
 * may go on past it.
 */
GPtrArray *
_dft_server_read_pull_page (DftServer       *self,
                            DftStore        *reader,
                            const DftDevice *device,
                            gint64           after,
                            guint            limit,
                            gint64          *cursor,
                            gboolean        *more,
                            GError         **error)
{
  g_autoptr (GPtrArray) changes = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
  g_autoptr (GPtrArray) ids = NULL;
  g_autoptr (GHashTable) owned = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char       *team_json = NULL;
  g_autofree char       *others_json = NULL;
  sqlite3               *db = _dft_store_get_db (reader);
  sqlite3_stmt          *stmt;
  gboolean               by_team = FALSE;
  guint                  scanned = 0, workshops = 0;
  int                    rc;

  g_return_val_if_fail (limit > 0, NULL);

  *cursor = after;
  *more = FALSE;
  if (!dft_scope_sees_everything (device))
    {
      gint64 stretch, tail;

      ids = device->team_id != NULL
                ? dft_server_db_list_owned (self->db, device->team_id, &workshops, error)
                : g_ptr_array_new_with_free_func (g_free);
      if (ids == NULL)
        return NULL;
      team_json = json_strings ((const char *const *) ids->pdata, ids->len);
      stretch = ((gint64) workshops + 1) * RECORDS_PER_WORKSHOP;
      tail = count_tail (reader, after, stretch + 1, error);
      if (tail < 0)
        return NULL;
      by_team = tail > stretch;
      /* For tests: the small logs of the authorization tests read either way. */
      if (g_strcmp0 (g_getenv ("DAFTARI_SERVER_TEST_PULL_BY"), "team") == 0)
        by_team = TRUE;
      else if (g_strcmp0 (g_getenv ("DAFTARI_SERVER_TEST_PULL_BY"), "scan") == 0)
        by_team = FALSE;
      if (by_team)
        others_json = unplaced_entities ();
      else
        {
          owned = g_hash_table_new (g_str_hash, g_str_equal);
          for (guint i = 0; i < ids->len; i++)
            g_hash_table_add (owned, g_ptr_array_index (ids, i));
        }
    }
  stmt = by_team ? reader_statement (reader, "dft-pull-team-page", TEAM_PAGE_SQL, error)
                 : reader_statement (reader, "dft-pull-scan", SCAN_SQL, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, after);
  sqlite3_bind_text (stmt, 2, device->id, -1, SQLITE_STATIC);
  if (team_json != NULL)
    sqlite3_bind_text (stmt, 3, team_json, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null (stmt, 3);
  if (by_team)
    {
      sqlite3_bind_text (stmt, 4, others_json, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 5, limit);
    }

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *entity = (const char *) sqlite3_column_text (stmt, 3);
      const char *record_id = (const char *) sqlite3_column_text (stmt, 4);
      DftChange  *change;

      *cursor = sqlite3_column_int64 (stmt, 0);
      scanned++;
      if (owned != NULL && entity != NULL && record_id != NULL
          && surely_hidden (owned, entity, record_id, (const char *) sqlite3_column_text (stmt, 8)))
        {
          if (scanned >= PAGE_SCAN_MAX)
            {
              *more = TRUE;
              break;
            }
          continue;
        }
      change = change_from_row (stmt, parser, error);
      if (change == NULL)
        {
          sqlite3_reset (stmt);
          sqlite3_clear_bindings (stmt);
          return NULL;
        }
      g_ptr_array_add (changes, change);
      /* TEAM_PAGE_SQL stops at @limit itself. */
      if (!by_team && (changes->len >= limit || scanned >= PAGE_SCAN_MAX))
        {
          *more = TRUE;
          break;
        }
    }
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      dft_db_set_error (error, db, rc, _ ("reading the change log"));
      return NULL;
    }
  if (!by_team)
    return g_steal_pointer (&changes);

  /* As a page always said: a full page may have more after it. One that is not full covers the
   * whole log of this read: what it passed over, the device cannot see, and the next pull
   * starts after the last change the log holds (not dft_store_last_seq(): positions this run
   * skipped are never to be given as a cursor). */
  *more = changes->len == limit;
  if (!*more)
    {
      stmt = reader_statement (reader, "dft-pull-log-end",
                               "SELECT coalesce (max (seq), 0) FROM change_log", error);
      if (stmt == NULL)
        return NULL;
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        *cursor = MAX (*cursor, sqlite3_column_int64 (stmt, 0));
      sqlite3_reset (stmt);
      if (rc != SQLITE_ROW)
        {
          dft_db_set_error (error, db, rc, _ ("reading the change log"));
          return NULL;
        }
    }
  return g_steal_pointer (&changes);
}
