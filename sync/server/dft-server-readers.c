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

/* A reader, in a read transaction of its own: what every read through it sees is one commit.
 * Waits while every reader is taken. */
DftStore *
_dft_server_reader_take (DftServer *self, GError **error)
{
  DftStore *reader = g_async_queue_pop (self->readers);

  if (!dft_db_exec (_dft_store_get_db (reader), "BEGIN", error))
    {
      g_async_queue_push (self->readers, reader);
      return NULL;
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
 * The log is read with the workshop each row's record is in (the store's indexes: by id, and
 * enrollments by person), and a row whose workshop is surely not the team's is passed over
 * without being decoded: dft_scope_filter_pull() would drop it. Only what the team may see,
 * and the kinds of record this does not place (forms, conflicts, merges, a submission outside
 * any workshop), are decoded and left to dft_scope_filter_pull() to decide, as before. The SQL
 * mirrors record_visible() in dft-server-scope.c: a record the store does not hold, or one
 * without a workshop, is not seen; a person is seen when the team owns it or a live enrollment
 * in one of the team's workshops names it.
 */
#define PAGE_SQL                                                                                   \
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

/* Rows a page passes over at most: the rest waits for the next pull, so that one request
 * stays short however much of the log a team does not see. */
#define PAGE_SCAN_MAX 100000

/* Whether dft_scope_filter_pull() surely drops the row: see PAGE_SQL. */
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

static void
finalize_statement (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

/* Prepared once for each reader and kept with it: every pull runs it. */
static sqlite3_stmt *
page_statement (DftStore *reader, GError **error)
{
  sqlite3      *db = _dft_store_get_db (reader);
  sqlite3_stmt *stmt = g_object_get_data (G_OBJECT (reader), "dft-pull-page");
  int           rc;

  if (stmt != NULL)
    return stmt;
  rc = sqlite3_prepare_v3 (db, PAGE_SQL, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      dft_db_set_error (error, db, rc, _ ("reading the change log"));
      return NULL;
    }
  /* Finalized after the store's connection is closed: sqlite3_close_v2() waits for it. */
  g_object_set_data_full (G_OBJECT (reader), "dft-pull-page", stmt, finalize_statement);
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

/*
 * The changes of other devices after @after that @device may see, read through @reader (taken
 * with _dft_server_reader_take()): at most @limit, in the log's order, each still to pass
 * dft_scope_filter_pull(). *cursor is the last position read, *more whether the log goes on.
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
  g_autoptr (GHashTable) owned = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char       *owned_json = NULL;
  sqlite3               *db = _dft_store_get_db (reader);
  sqlite3_stmt          *stmt;
  guint                  scanned = 0;
  int                    rc;

  g_return_val_if_fail (limit > 0, NULL);

  *cursor = after;
  *more = FALSE;
  if (!dft_scope_sees_everything (device))
    {
      g_autoptr (GPtrArray) ids = NULL;
      g_autoptr (JsonArray) array = json_array_new ();
      g_autoptr (JsonNode)  node = NULL;

      ids = device->team_id != NULL ? dft_server_db_list_owned (self->db, device->team_id, error)
                                    : g_ptr_array_new_with_free_func (g_free);
      if (ids == NULL)
        return NULL;
      owned = g_hash_table_new (g_str_hash, g_str_equal);
      for (guint i = 0; i < ids->len; i++)
        {
          g_hash_table_add (owned, g_ptr_array_index (ids, i));
          json_array_add_string_element (array, g_ptr_array_index (ids, i));
        }
      node = json_node_init_array (json_node_alloc (), array);
      owned_json = json_to_string (node, FALSE);
      /* The table holds the strings of @ids: kept until the page is read. */
      g_object_set_data_full (G_OBJECT (parser), "owned", g_steal_pointer (&ids),
                              (GDestroyNotify) g_ptr_array_unref);
    }

  stmt = page_statement (reader, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, after);
  sqlite3_bind_text (stmt, 2, device->id, -1, SQLITE_STATIC);
  if (owned_json != NULL)
    sqlite3_bind_text (stmt, 3, owned_json, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null (stmt, 3);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char            *entity = (const char *) sqlite3_column_text (stmt, 3);
      const char            *record_id = (const char *) sqlite3_column_text (stmt, 4);
      const char            *base_text;
      g_autoptr (JsonObject) fields = NULL;
      DftChange             *change;

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
      fields = parse_object (parser, (const char *) sqlite3_column_text (stmt, 6));
      if (fields == NULL || entity == NULL || record_id == NULL)
        {
          sqlite3_reset (stmt);
          g_set_error (error, DFT_DB_ERROR, DFT_DB_ERROR_CORRUPT,
                       /* Translators: %lld is a position in the change log */
                       _ ("Change number %lld in the change log is damaged."), (long long) *cursor);
          return NULL;
        }
      change = dft_change_new (entity, record_id, fields);
      change->seq = *cursor;
      change->hlc = (DftHlcValue) sqlite3_column_int64 (stmt, 1);
      change->device_id = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      change->origin_seq = sqlite3_column_int64 (stmt, 5);
      base_text = (const char *) sqlite3_column_text (stmt, 7);
      change->base = base_text != NULL ? parse_object (parser, base_text) : NULL;
      g_ptr_array_add (changes, change);
      if (changes->len >= limit || scanned >= PAGE_SCAN_MAX)
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
  return g_steal_pointer (&changes);
}
