/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "dft-db.h"
#include "dft-store-attachments.h"
#include "dft-store-internal.h"
#include "dft-uuid.h"

G_DEFINE_FINAL_TYPE (DftStore, dft_store, G_TYPE_OBJECT)
/* The quark's name is a string: the formatter would put spaces in it. */
/* clang-format off */
G_DEFINE_QUARK (dft-store-error-quark, dft_store_error)
/* clang-format on */

enum
{
  PROP_0,
  PROP_PATH,
  PROP_DEVICE_ID,
  PROP_DAMAGED,
  N_PROPS
};

enum
{
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint       signals[N_SIGNALS];

static void
dft_store_finalize (GObject *object)
{
  DftStore *self = DFT_STORE (object);

  /* Signals and timers still queued for the main loop hold the store only weakly: they are
   * dropped unrun, so the files close now, whether a main loop runs or not. */
  g_mutex_lock (&self->queue_lock);
  for (guint i = 0; i < self->queued->len; i++)
    g_source_destroy (g_ptr_array_index (self->queued, i));
  g_clear_pointer (&self->queued, g_ptr_array_unref);
  /* A checkpoint takes a moment; its connection is one of the files to close. */
  g_clear_pointer (&self->checkpointer, g_thread_join);
  g_mutex_unlock (&self->queue_lock);
  g_mutex_clear (&self->queue_lock);

  if (self->place_watched && self->db != NULL && !g_atomic_int_get (&self->damaged))
    _dft_store_write_sidecar (self);
  g_clear_pointer (&self->statements, g_hash_table_unref);
  if (self->db != NULL)
    sqlite3_close_v2 (self->db);
  g_free (self->path);
  g_free (self->device_id);
  g_clear_pointer (&self->retired_ids, g_ptr_array_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_rec_mutex_clear (&self->lock);

  G_OBJECT_CLASS (dft_store_parent_class)->finalize (object);
}

static void
dft_store_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  DftStore *self = DFT_STORE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_DEVICE_ID:
      g_value_set_string (value, self->device_id);
      break;
    case PROP_DAMAGED:
      g_value_set_boolean (value, g_atomic_int_get (&self->damaged));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dft_store_class_init (DftStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dft_store_finalize;
  object_class->get_property = dft_store_get_property;

  /* SQLite counts the memory it takes under one process-wide mutex unless told not to, which
   * makes the report's two reading threads take turns (dft-indicators.c). Only possible
   * before SQLite's first use in the process; refused harmlessly after. */
  sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0);

  properties[PROP_PATH]
      = g_param_spec_string ("path", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_DEVICE_ID] = g_param_spec_string ("device-id", NULL, NULL, NULL,
                                                    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * DftStore:damaged:
   *
   * Whether dft_store_check() found damage. A damaged store refuses every
   * write, so that nothing new is built on broken pages; reading still works
   * for whatever can be read, to help rescue it.
   */
  properties[PROP_DAMAGED]
      = g_param_spec_boolean ("damaged", NULL, NULL, FALSE,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * DftStore::changed:
   * @entity: the entity name, also the signal detail
   * @ids: the ids of the records written in one transaction
   *
   * Emitted in the thread-default main context of whoever opened the store,
   * after a transaction committed, once per entity it touched.
   */
  signals[CHANGED]
      = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                      0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRV);
}

static void
finalize_statement (gpointer data)
{
  sqlite3_finalize (data);
}

static void
dft_store_init (DftStore *self)
{
  g_rec_mutex_init (&self->lock);
  self->statements = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, finalize_statement);
  self->context = g_main_context_ref_thread_default ();
  g_mutex_init (&self->queue_lock);
  self->queued = g_ptr_array_new_with_free_func ((GDestroyNotify) g_source_unref);
}

/* ---- Work for the main loop ------------------------------------------- */

typedef struct
{
  GWeakRef        store;
  StoreSourceFunc func;
  gpointer        data;
  GDestroyNotify  notify;
} Queued;

static void
queued_free (gpointer user_data)
{
  Queued *q = user_data;

  g_weak_ref_clear (&q->store);
  if (q->notify != NULL)
    q->notify (q->data);
  g_free (q);
}

static gboolean
queued_dispatch (gpointer user_data)
{
  Queued              *q = user_data;
  g_autoptr (DftStore) self = g_weak_ref_get (&q->store);

  /* Released meanwhile: its finalize destroys this source, and the store is not to be touched. */
  if (self == NULL)
    return G_SOURCE_REMOVE;
  if (q->func (self, q->data) == G_SOURCE_CONTINUE)
    return G_SOURCE_CONTINUE;
  g_mutex_lock (&self->queue_lock);
  g_ptr_array_remove_fast (self->queued, g_main_current_source ());
  g_mutex_unlock (&self->queue_lock);
  return G_SOURCE_REMOVE;
}

/*
 * Runs @func in the store's context when @source fires (an idle source: always later, never
 * at once; g_main_context_invoke() would run it right away in a worker thread whenever that
 * context happens to be free, and signal handlers there would touch widgets off the UI thread).
 * The source holds the store weakly, so that queued work never keeps a released store's
 * files open; @func runs only while the store lives.
 */
void
_dft_store_queue_in_context (
    DftStore *self, GSource *source, StoreSourceFunc func, gpointer data, GDestroyNotify notify)
{
  Queued *q = g_new0 (Queued, 1);

  g_weak_ref_init (&q->store, self);
  q->func = func;
  q->data = data;
  q->notify = notify;
  g_source_set_callback (source, queued_dispatch, q, queued_free);
  g_mutex_lock (&self->queue_lock);
  g_ptr_array_add (self->queued, g_source_ref (source));
  g_source_attach (source, self->context);
  g_mutex_unlock (&self->queue_lock);
}

void
_dft_store_run_in_context (DftStore       *self,
                           StoreSourceFunc func,
                           gpointer        data,
                           GDestroyNotify  notify)
{
  g_autoptr (GSource) source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (source, "[daftari] store signal");
  _dft_store_queue_in_context (self, source, func, data, notify);
}

typedef struct
{
  char *entity;
  GStrv ids;
} ChangedEmission;

static void
changed_emission_free (gpointer data)
{
  ChangedEmission *e = data;

  g_free (e->entity);
  g_strfreev (e->ids);
  g_free (e);
}

static gboolean
emit_changed_cb (DftStore *self, gpointer data)
{
  ChangedEmission *e = data;

  g_signal_emit (self, signals[CHANGED], g_quark_from_string (e->entity), e->entity, e->ids);
  return G_SOURCE_REMOVE;
}

void
_dft_store_emit_changed (DftStore *self, GPtrArray *batch)
{
  g_autoptr (GHashTable) by_entity
      = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) g_ptr_array_unref);
  GHashTableIter iter;
  gpointer       key, value;

  for (guint i = 0; i < batch->len; i++)
    {
      DftRecord  *record = g_ptr_array_index (batch, i);
      const char *name = dft_record_get_entity (record)->name;
      GPtrArray  *ids = g_hash_table_lookup (by_entity, name);

      if (ids == NULL)
        {
          ids = g_ptr_array_new_with_free_func (g_free);
          g_hash_table_insert (by_entity, (gpointer) name, ids);
        }
      g_ptr_array_add (ids, g_strdup (dft_record_get_id (record)));
    }

  g_hash_table_iter_init (&iter, by_entity);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      ChangedEmission *e = g_new0 (ChangedEmission, 1);
      GPtrArray       *ids = value;

      g_ptr_array_add (ids, NULL);
      e->entity = g_strdup (key);
      e->ids = (GStrv) g_ptr_array_steal (ids, NULL);
      _dft_store_run_in_context (self, emit_changed_cb, e, changed_emission_free);
    }
}

gboolean
_dft_store_notify_damaged_cb (DftStore *self, gpointer data)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DAMAGED]);
  return G_SOURCE_REMOVE;
}

void
_dft_store_lock (DftStore *self)
{
  g_rec_mutex_lock (&self->lock);
}

void
_dft_store_unlock (DftStore *self)
{
  g_rec_mutex_unlock (&self->lock);
}

sqlite3 *
_dft_store_get_db (DftStore *self)
{
  return self->db;
}

/*
 * Prepared once per SQL text and kept: the hot paths run the same few statements. Most callers
 * pass a string literal, the same pointer each time, so a small table by pointer answers before
 * the SQL text is hashed: a received record looks up half a dozen statements of a few hundred
 * characters each. The text is still compared, since a pointer of a string built and freed may
 * come back holding other SQL. Locked.
 */
sqlite3_stmt *
_dft_store_cached_statement (DftStore *self, const char *sql, GError **error)
{
  guint         slot = (guint) ((GPOINTER_TO_SIZE (sql) >> 3) % DFT_STORE_RECENT_STATEMENTS);
  sqlite3_stmt *stmt = NULL;
  const char   *key = NULL;
  int           rc;

  if (self->recent[slot].sql == sql && strcmp (self->recent[slot].key, sql) == 0)
    stmt = self->recent[slot].stmt;
  else if (g_hash_table_lookup_extended (self->statements, sql, (gpointer *) &key,
                                         (gpointer *) &stmt))
    {
      self->recent[slot].sql = sql;
      self->recent[slot].key = key;
      self->recent[slot].stmt = stmt;
    }
  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }

  rc = sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      dft_db_set_error (error, self->db, rc, _ ("reading the database"));
      return NULL;
    }
  g_hash_table_insert (self->statements, g_strdup (sql), stmt);
  return stmt;
}

char *
_dft_store_now_stamp (void)
{
  gint64                us = g_get_real_time ();
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);
  g_autofree char      *base = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");

  return g_strdup_printf ("%s.%03dZ", base, (int) ((us / 1000) % 1000));
}

char *
dft_store_default_path (void)
{
  const char *env = g_getenv ("DAFTARI_DB");

  if (env != NULL && *env != '\0')
    return g_strdup (env);

  /* A development build keeps its own data, so trying things never touches real records. */
  return g_build_filename (g_get_user_data_dir (),
                           g_str_equal (PROFILE, "development") ? "daftari-devel" : "daftari",
                           "daftari.db", NULL);
}

/* ---- Opening ---------------------------------------------------------- */

static gboolean
ensure_file (const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int              fd;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_FOLDER,
                   /* Translators: first %s is a folder, second the system's reason */
                   _ ("Daftari cannot create its data folder “%s”: %s."), dir, g_strerror (saved));
      return FALSE;
    }

  /* Created here rather than by SQLite so that it is private from the first byte:
   * it holds personal data. SQLite gives its -wal and -shm files the same mode. */
  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0)
    {
      close (fd);
      return TRUE;
    }
  if (errno == EEXIST)
    return TRUE;

  {
    int saved = errno;
    g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_FOLDER,
                 /* Translators: first %s is a file, second the system's reason */
                 _ ("Daftari cannot create its database “%s”: %s."), path, g_strerror (saved));
  }
  return FALSE;
}

gboolean
_dft_store_query_int (sqlite3 *db, const char *sql, int *out, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int                      rc;

  if (!dft_db_prepare (db, sql, &stmt, error))
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    return dft_db_set_error (error, db, rc, _ ("reading the database"));
  *out = sqlite3_column_int (stmt, 0);
  return TRUE;
}

static gboolean
pragma_text_is (sqlite3 *db, const char *sql, const char *expected, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int                      rc;

  if (!dft_db_prepare (db, sql, &stmt, error))
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    return dft_db_set_error (error, db, rc, _ ("opening the database"));
  return g_ascii_strcasecmp ((const char *) sqlite3_column_text (stmt, 0), expected) == 0;
}

static gboolean
check_whole_pages (DftStore *self, GError **error)
{
  GStatBuf st;
  int      page_size;

  if (!_dft_store_query_int (self->db, "PRAGMA page_size", &page_size, error))
    return FALSE;
  if (g_stat (self->path, &st) == 0 && page_size > 0 && st.st_size % page_size != 0)
    {
      g_set_error (error, DFT_DB_ERROR, DFT_DB_ERROR_CORRUPT,
                   /* Translators: %s is a file name */
                   _ ("The database “%s” is incomplete: it ends in the middle of a page, as a copy "
                      "that did not finish does. It was left as it is; restore it from a backup."),
                   self->path);
      return FALSE;
    }
  return TRUE;
}

/*
 * Before changing the schema of a database that holds data, keep a copy of
 * it as it was. VACUUM INTO writes a consistent snapshot even in WAL mode.
 */
static gboolean
backup_before_migration (DftStore *self, int from_version, GError **error)
{
  g_autofree char         *backup = g_strdup_printf ("%s.v%d.bak", self->path, from_version);
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int                      rc;

  if (g_file_test (backup, G_FILE_TEST_EXISTS))
    return TRUE;
  if (!dft_db_prepare (self->db, "VACUUM INTO ?", &stmt, error))
    return FALSE;
  sqlite3_bind_text (stmt, 1, backup, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    {
      g_unlink (backup);
      return dft_db_set_error (error, self->db, rc,
                               _ ("backing up the database before an upgrade"));
    }
  g_chmod (backup, 0600);
  return TRUE;
}

static gboolean load_device (DftStore *self, GError **error);

static gboolean
migrate (DftStore *self, int target, GError **error)
{
  const DftMigration *migrations;
  guint               n_migrations;
  int                 version;

  if (!_dft_store_query_int (self->db, "PRAGMA user_version", &version, error))
    return FALSE;

  if (version > 0 && version < target && !backup_before_migration (self, version, error))
    return FALSE;

  migrations = _dft_migrations (&n_migrations);
  for (guint i = 0; i < n_migrations && migrations[i].version <= target; i++)
    {
      const DftMigration *m = &migrations[i];
      g_autofree char    *bump = NULL;
      int                 current;

      if (!dft_db_exec (self->db, "BEGIN IMMEDIATE", error))
        return FALSE;
      /* Another process may have migrated while we waited for the lock. */
      if (!_dft_store_query_int (self->db, "PRAGMA user_version", &current, error))
        goto fail;
      if (current >= m->version)
        {
          dft_db_exec (self->db, "COMMIT", NULL);
          continue;
        }

      bump = g_strdup_printf ("PRAGMA user_version = %d", m->version);
      if (!dft_db_exec (self->db, m->sql, error) || (m->post != NULL && !m->post (self->db, error)))
        goto fail;
      /* A rewrite writes changes: they need this device's name and clock. */
      if (m->rewrite != NULL
          && ((self->device_id == NULL && !load_device (self, error)) || !m->rewrite (self, error)))
        goto fail;
      if (!dft_db_exec (self->db, bump, error) || !dft_db_exec (self->db, "COMMIT", error))
        goto fail;
      continue;

    fail:
      sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      return FALSE;
    }

  self->schema_version = target;
  return TRUE;
}

static gboolean
load_device (DftStore *self, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  self->device_id = dft_sync_state_get (self->db, "device_id", &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (self->device_id == NULL)
    {
      /* Made on the first run and never changed: the server deduplicates pushes by it. */
      self->device_id = dft_uuid_v4_new ();
      if (!dft_sync_state_set (self->db, "device_id", self->device_id, error))
        return FALSE;
    }

  return dft_change_log_load_clock (self->db, &self->clock, error);
}

static DftStore *
open_store (const char *path, int target_version, GError **error)
{
  g_autoptr (DftStore) self = g_object_new (DFT_TYPE_STORE, NULL);
  int                  version;
  int                  rc;

  self->path = path != NULL ? g_strdup (path) : dft_store_default_path ();

  if (!ensure_file (self->path, error))
    return NULL;

  /* FULLMUTEX: worker threads share this connection; our own lock makes
   * each transaction whole. */
  rc = sqlite3_open_v2 (self->path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL);
  if (rc != SQLITE_OK)
    return dft_db_set_error (error, self->db, rc, _ ("opening the database")), NULL;

  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);

  if (sqlite3_db_readonly (self->db, "main") == 1)
    {
      g_set_error (error, DFT_DB_ERROR, DFT_DB_ERROR_READ_ONLY,
                   /* Translators: %s is a file name */
                   _ ("Daftari cannot write to its database “%s”. Check that the file and its "
                      "folder are writable by you; the file was not changed."),
                   self->path);
      return NULL;
    }

  /* Reading the version reads the header: a file that is not a database fails
   * here, before anything is written to it. */
  if (!_dft_store_query_int (self->db, "PRAGMA user_version", &version, error))
    return NULL;

  if (version > DFT_SCHEMA_VERSION)
    {
      g_set_error (
          error, DFT_DB_ERROR, DFT_DB_ERROR_NEWER_VERSION,
          /* Translators: %s is a file name; %d are schema version numbers */
          _ ("The database “%s” was written by a newer version of Daftari (data format %d; "
             "this version reads up to %d). Update Daftari to open it. The file was not "
             "changed."),
          self->path, version, DFT_SCHEMA_VERSION);
      return NULL;
    }

  /* A structural check that reads the whole schema: a damaged header or
   * schema page is refused here rather than in the middle of a write. */
  if (!_dft_store_query_int (self->db, "SELECT count (*) FROM sqlite_schema", &version, error))
    return NULL;

  /* SQLite only ever writes whole pages. A file that ends inside a page was
   * cut short (a copy that did not finish, a full USB stick), and SQLite would
   * read the missing half as empty rows without a word. The full check of
   * every page is dft_store_check(): too slow to run on every open. */
  if (!check_whole_pages (self, error))
    return NULL;

  if (!pragma_text_is (self->db, "PRAGMA journal_mode = WAL", "wal", error))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, DFT_DB_ERROR, DFT_DB_ERROR_FAILED,
                     _ ("The database cannot use write-ahead logging on this disk. Keep Daftari's "
                        "data on a local disk, not a network share."));
      return NULL;
    }

  /* FULL: every commit is on the disk before Daftari says it is saved, so a
   * laptop whose battery dies keeps the last attendance tick too. */
  if (!dft_db_exec (self->db,
                    "PRAGMA synchronous = FULL;"
                    "PRAGMA foreign_keys = ON;"
                    "PRAGMA temp_store = MEMORY;"
                    "PRAGMA cache_size = -32768;",
                    error))
    return NULL;

  if (!migrate (self, target_version, error))
    return NULL;

  sqlite3_wal_hook (self->db, _dft_store_wal_hook_cb, self);

  /* A migration that rewrote records loaded it already, and ticked its clock since. */
  if (self->device_id == NULL && !load_device (self, error))
    return NULL;

  /* Files chosen for an answer that was never saved, or replaced since, go after a week: long
   * enough for a draft being filled, short enough not to fill a laptop's disk. */
  if (target_version >= 11)
    {
      g_autoptr (GError) ignored = NULL;
      guint              pruned = dft_store_prune_attachments (self, 7 * 24 * 60 * 60, &ignored);

      if (ignored != NULL)
        g_debug ("store: attached files not pruned: %s", ignored->message);
      else if (pruned > 0)
        g_debug ("store: %u attached files no answer names were pruned", pruned);
    }

  return g_steal_pointer (&self);
}

/* ---- Tallies a server does without -------------------------------------- */

/* Set in the sync state while participation_tally is not kept. */
#define TALLIES_OFF_KEY "participation_tally_off"

/* Runs @sql and sets or clears the mark in one transaction. Locked. */
static gboolean
change_tallies_locked (DftStore *self, const char *sql, const char *mark, GError **error)
{
  if (!dft_db_exec (self->db, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!dft_db_exec (self->db, sql, error)
      || !(mark != NULL
               ? dft_sync_state_set (self->db, TALLIES_OFF_KEY, mark, error)
               : dft_db_exec (self->db, "DELETE FROM sync_state WHERE key = '" TALLIES_OFF_KEY "'",
                              error))
      || !dft_db_exec (self->db, "COMMIT", error))
    {
      sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      return FALSE;
    }
  return TRUE;
}

/* Whether the tallies are not kept. Locked. */
static gboolean
tallies_off_locked (DftStore *self, gboolean *off, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autofree char   *mark = dft_sync_state_get (self->db, TALLIES_OFF_KEY, &local);

  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  *off = mark != NULL && *mark != '\0';
  return TRUE;
}

gboolean
_dft_store_ensure_tallies_locked (DftStore *self, GError **error)
{
  gboolean off = FALSE;

  if (!tallies_off_locked (self, &off, error))
    return FALSE;
  return !off || change_tallies_locked (self, _dft_tally_rebuild_sql, NULL, error);
}

gboolean
dft_store_set_keeps_tallies (DftStore *self, gboolean keeps, GError **error)
{
  gboolean off = FALSE, ok;

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);

  _dft_store_lock (self);
  ok = tallies_off_locked (self, &off, error);
  if (ok && keeps && off)
    ok = change_tallies_locked (self, _dft_tally_rebuild_sql, NULL, error);
  else if (ok && !keeps && !off)
    ok = change_tallies_locked (self, _dft_tally_drop_sql, "1", error);
  _dft_store_unlock (self);
  return ok;
}

DftStore *
dft_store_open (const char *path, GError **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  return open_store (path, DFT_SCHEMA_VERSION, error);
}

DftStore *
_dft_store_open_at_version (const char *path, int version, GError **error)
{
  g_return_val_if_fail (version >= 1 && version <= DFT_SCHEMA_VERSION, NULL);
  return open_store (path, version, error);
}

static void
open_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError   *error = NULL;
  DftStore *store = dft_store_open (task_data, &error);
  gboolean  copied = FALSE;

  if (store == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* Not fatal: a copy that could not take its own id now is found when it syncs (a fork). */
  if (!dft_store_check_place (store, &copied, &error))
    {
      g_warning ("%s", error->message);
      g_clear_error (&error);
    }
  /* Signals belong to the caller's context, not to this worker's. */
  g_clear_pointer (&store->context, g_main_context_unref);
  store->context = g_main_context_ref (g_task_get_context (task));
  g_task_return_pointer (task, store, g_object_unref);
}

void
dft_store_open_async (const char         *path,
                      GCancellable       *cancellable,
                      GAsyncReadyCallback callback,
                      gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, dft_store_open_async);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, open_thread);
}

DftStore *
dft_store_open_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

const char *
dft_store_get_path (DftStore *self)
{
  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  return self->path;
}

const char *
dft_store_get_device_id (DftStore *self)
{
  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  return self->device_id;
}

/* Called with the store locked, inside the transaction that renumbers its changes. */
void
_dft_store_watch_place (DftStore *self)
{
  self->place_watched = TRUE;
}

void
_dft_store_set_device_id (DftStore *self, const char *device_id)
{
  if (self->retired_ids == NULL)
    self->retired_ids = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->retired_ids, self->device_id);
  self->device_id = g_strdup (device_id);
}

int
dft_store_get_schema_version (DftStore *self)
{
  g_return_val_if_fail (DFT_IS_STORE (self), 0);
  return self->schema_version;
}

gint64
dft_store_count_pending_changes (DftStore *self, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char   *acked = NULL;
  gint64             last;

  g_return_val_if_fail (DFT_IS_STORE (self), -1);

  _dft_store_lock (self);
  acked = dft_sync_state_get (self->db, "push_acked_seq", &local_error);
  last = local_error == NULL ? _dft_store_origin_high_locked (self, self->device_id, &local_error)
                             : -1;
  _dft_store_unlock (self);

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return -1;
    }
  return last - (acked != NULL ? g_ascii_strtoll (acked, NULL, 10) : 0);
}
