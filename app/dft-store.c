/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dft-change-log.h"
#include "dft-contact.h"
#include "dft-country.h"
#include "dft-merge.h"
#include "dft-db.h"
#include "dft-record-private.h"
#include "dft-record-list.h"
#include "dft-search.h"
#include "dft-store-private.h"
#include "dft-uuid.h"
#include "dft-wire.h"

/* A workshop longer than this is a typing error, not a programme. */
#define MAX_EVENT_DAYS  62
#define BUSY_TIMEOUT_MS 5000
/* A checkpoint is due past this many pages of write-ahead log (SQLite's own
 * default), and is made at once, quiet or not, past the larger figure. */
#define CHECKPOINT_PAGES       1000
#define CHECKPOINT_FORCE_PAGES 16000
#define CHECKPOINT_QUIET_USEC  (2 * G_USEC_PER_SEC)

struct _DftStore
{
  GObject parent_instance;

  char          *path;
  sqlite3       *db;
  char          *device_id;
  GPtrArray     *retired_ids; /* earlier device ids, kept for callers still holding one */
  DftHlc         clock;
  _Atomic gint64 wall_offset_ms; /* tests only: a laptop whose date is wrong */
  GRecMutex      lock;
  GHashTable    *statements; /* SQL text -> prepared sqlite3_stmt */
  GMainContext  *context;    /* where "changed" is emitted */
  GMutex         queue_lock; /* guards @queued and @checkpointer */
  GPtrArray     *queued;     /* GSources waiting in @context, each holding the store weakly */
  int            schema_version;
  gint           checkpointing;    /* atomic: a checkpoint is under way */
  GThread       *checkpointer;     /* the last checkpoint's thread, joined before the next */
  gint           checkpoint_armed; /* atomic: a quiet-time checkpoint is waiting */
  gint           damaged;          /* atomic: a check found damage; no more writes */
  _Atomic gint64 last_commit_usec;
  gboolean       place_watched; /* see dft_store_check_place() */
};

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

typedef gboolean (*StoreSourceFunc) (DftStore *self, gpointer data);

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
static void
queue_in_store_context (
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

static void
run_in_store_context (DftStore *self, StoreSourceFunc func, gpointer data, GDestroyNotify notify)
{
  g_autoptr (GSource) source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (source, "[daftari] store signal");
  queue_in_store_context (self, source, func, data, notify);
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

/* Prepared once per SQL text and kept: the hot paths run the same few statements. */
static sqlite3_stmt *
cached_statement (DftStore *self, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (self->statements, sql);
  int           rc;

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

static char *
now_stamp (void)
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

static gboolean
query_int (sqlite3 *db, const char *sql, int *out, GError **error)
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

  if (!query_int (self->db, "PRAGMA page_size", &page_size, error))
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

  if (!query_int (self->db, "PRAGMA user_version", &version, error))
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
      if (!query_int (self->db, "PRAGMA user_version", &current, error))
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

/*
 * SQLite's automatic checkpoint copies the write-ahead log into the database
 * inside whichever commit crosses the threshold, so every thousandth save of
 * an attendance mark would wait for it; even in another thread its disk
 * writes slow the commits around it. So it waits for a quiet moment: two
 * seconds without a commit, which a trainer's clicking always leaves, and
 * runs in a worker on its own connection, PASSIVE so that it never blocks a
 * writer. Only a log grown past CHECKPOINT_FORCE_PAGES is checkpointed at once.
 */
/* A thread of its own rather than a GTask, whose result would wait in the main loop holding
 * the store: the store joins it before the next checkpoint and when it is released. */
static gpointer
checkpoint_thread (gpointer data)
{
  DftStore *self = data;
  sqlite3  *db = NULL;

  if (sqlite3_open_v2 (self->path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK)
    {
      sqlite3_busy_timeout (db, BUSY_TIMEOUT_MS);
      sqlite3_wal_checkpoint_v2 (db, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    }
  sqlite3_close_v2 (db);
  g_atomic_int_set (&self->checkpointing, 0);
  return NULL;
}

static void
start_checkpoint (DftStore *self)
{
  g_mutex_lock (&self->queue_lock);
  if (g_atomic_int_compare_and_exchange (&self->checkpointing, 0, 1))
    {
      /* The flag was down: the last checkpoint's thread has finished, joining it is instant. */
      g_clear_pointer (&self->checkpointer, g_thread_join);
      self->checkpointer = g_thread_try_new ("daftari-checkpoint", checkpoint_thread, self, NULL);
      if (self->checkpointer == NULL)
        g_atomic_int_set (&self->checkpointing, 0);
    }
  g_mutex_unlock (&self->queue_lock);
}

static gboolean
quiet_checkpoint_cb (DftStore *self, gpointer data)
{
  if (g_get_monotonic_time () - atomic_load (&self->last_commit_usec) < CHECKPOINT_QUIET_USEC)
    return G_SOURCE_CONTINUE;
  g_atomic_int_set (&self->checkpoint_armed, 0);
  start_checkpoint (self);
  return G_SOURCE_REMOVE;
}

static int
wal_hook_cb (void *data, sqlite3 *db, const char *name, int pages)
{
  DftStore *self = data;

  atomic_store (&self->last_commit_usec, g_get_monotonic_time ());
  if (pages >= CHECKPOINT_FORCE_PAGES)
    start_checkpoint (self);
  else if (pages >= CHECKPOINT_PAGES
           && g_atomic_int_compare_and_exchange (&self->checkpoint_armed, 0, 1))
    {
      g_autoptr (GSource) source = g_timeout_source_new (CHECKPOINT_QUIET_USEC / 1000);

      g_source_set_static_name (source, "[daftari] quiet checkpoint");
      queue_in_store_context (self, source, quiet_checkpoint_cb, NULL, NULL);
    }
  return SQLITE_OK;
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
  if (!query_int (self->db, "PRAGMA user_version", &version, error))
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
  if (!query_int (self->db, "SELECT count (*) FROM sqlite_schema", &version, error))
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

  sqlite3_wal_hook (self->db, wal_hook_cb, self);

  /* A migration that rewrote records loaded it already, and ticked its clock since. */
  if (self->device_id == NULL && !load_device (self, error))
    return NULL;

  return g_steal_pointer (&self);
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

static gint64 origin_high_locked (DftStore *self, const char *device_id, GError **error);

gint64
dft_store_count_pending_changes (DftStore *self, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char   *acked = NULL;
  gint64             last;

  g_return_val_if_fail (DFT_IS_STORE (self), -1);

  _dft_store_lock (self);
  acked = dft_sync_state_get (self->db, "push_acked_seq", &local_error);
  last = local_error == NULL ? origin_high_locked (self, self->device_id, &local_error) : -1;
  _dft_store_unlock (self);

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return -1;
    }
  return last - (acked != NULL ? g_ascii_strtoll (acked, NULL, 10) : 0);
}

/* ---- Checking --------------------------------------------------------- */

static gboolean
notify_damaged_cb (DftStore *self, gpointer data)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DAMAGED]);
  return G_SOURCE_REMOVE;
}

/*
 * Reads every page (PRAGMA quick_check) on a connection of its own, so the
 * store stays usable meanwhile; on a big database this takes seconds, which
 * is why opening does not do it. Damage found marks the store damaged.
 */
gboolean
dft_store_check (DftStore *self, GCancellable *cancellable, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  sqlite3                 *db = NULL;
  gboolean                 ok = TRUE;
  int                      rc;

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);

  rc = sqlite3_open_v2 (self->path, &db, SQLITE_OPEN_READONLY, NULL);
  if (rc != SQLITE_OK)
    {
      dft_db_set_error (error, db, rc, _ ("checking the database"));
      sqlite3_close_v2 (db);
      return FALSE;
    }
  sqlite3_busy_timeout (db, BUSY_TIMEOUT_MS);

  rc = sqlite3_prepare_v2 (db, "PRAGMA quick_check", -1, &stmt, NULL);
  while (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *line = (const char *) sqlite3_column_text (stmt, 0);
      if (g_strcmp0 (line, "ok") != 0)
        {
          g_debug ("quick_check: %s", line);
          ok = FALSE;
        }
      if (g_cancellable_is_cancelled (cancellable))
        break;
    }
  if (rc != SQLITE_DONE && rc != SQLITE_ROW && rc != SQLITE_OK)
    {
      if ((rc & 0xff) != SQLITE_CORRUPT && (rc & 0xff) != SQLITE_NOTADB)
        {
          dft_db_set_error (error, db, rc, _ ("checking the database"));
          g_clear_pointer (&stmt, sqlite3_finalize);
          sqlite3_close_v2 (db);
          return FALSE;
        }
      ok = FALSE;
    }
  g_clear_pointer (&stmt, sqlite3_finalize);
  sqlite3_close_v2 (db);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  if (!ok)
    {
      if (g_atomic_int_compare_and_exchange (&self->damaged, 0, 1))
        run_in_store_context (self, notify_damaged_cb, NULL, NULL);
      g_set_error (error, DFT_DB_ERROR, DFT_DB_ERROR_CORRUPT,
                   /* Translators: %s is a file name */
                   _ ("The database “%s” is damaged. Daftari will not write to it any more; keep a "
                      "copy of the file and restore your data from a backup or ask for help."),
                   self->path);
      return FALSE;
    }
  return TRUE;
}

static void
check_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;

  if (dft_store_check (source, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
dft_store_check_async (DftStore           *self,
                       GCancellable       *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, dft_store_check_async);
  g_task_run_in_thread (task, check_thread);
}

gboolean
dft_store_check_finish (DftStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
dft_store_get_damaged (DftStore *self)
{
  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  return g_atomic_int_get (&self->damaged);
}

/* ---- Reading ---------------------------------------------------------- */

static char *
select_sql (const DftEntity *entity, const char *where, const char *order_by, guint limit)
{
  GString *sql = g_string_new ("SELECT id, created_at, updated_at, deleted");

  for (guint i = 0; i < entity->n_fields; i++)
    g_string_append_printf (sql, ", %s", entity->fields[i].name);
  g_string_append_printf (sql, " FROM %s", entity->name);
  if (where != NULL)
    g_string_append_printf (sql, " WHERE %s", where);
  if (order_by != NULL)
    g_string_append_printf (sql, " ORDER BY %s", order_by);
  /* A bound limit keeps one cached statement for every limit. */
  if (limit > 0)
    g_string_append (sql, " LIMIT ?");
  return g_string_free (sql, FALSE);
}

static DftRecord *
record_from_row (const DftEntity *entity, sqlite3_stmt *stmt)
{
  DftRecord *record = dft_record_new_for_entity (entity);

  _dft_record_set_identity (record, (const char *) sqlite3_column_text (stmt, 0),
                            (const char *) sqlite3_column_text (stmt, 1),
                            (const char *) sqlite3_column_text (stmt, 2),
                            sqlite3_column_int (stmt, 3) != 0, FALSE);

  for (guint i = 0; i < entity->n_fields; i++)
    {
      int    col = (int) i + 4;
      GValue value = G_VALUE_INIT;

      g_value_init (&value, G_VALUE_TYPE (dft_record_get_value (record, i)));
      switch (entity->fields[i].type)
        {
        case DFT_FIELD_INT:
          g_value_set_int64 (&value, sqlite3_column_int64 (stmt, col));
          break;
        case DFT_FIELD_REAL:
          g_value_set_double (&value, sqlite3_column_type (stmt, col) == SQLITE_NULL
                                          ? NAN
                                          : sqlite3_column_double (stmt, col));
          break;
        case DFT_FIELD_BOOL:
          g_value_set_boolean (&value, sqlite3_column_int (stmt, col) != 0);
          break;
        case DFT_FIELD_TEXT:
        case DFT_FIELD_DATE:
        case DFT_FIELD_TIME:
        case DFT_FIELD_CHOICE:
        case DFT_FIELD_REF:
        case DFT_FIELD_JSON:
        case DFT_FIELD_STAMP:
        default:
          g_value_set_string (&value, (const char *) sqlite3_column_text (stmt, col));
          break;
        }
      _dft_record_take_loaded_value (record, i, &value);
    }
  return record;
}

/* The newest position in the change log; every row holds only what came before it. */
static gint64
log_position (DftStore *self, GError **error)
{
  sqlite3_stmt *stmt
      = cached_statement (self, "SELECT coalesce (max (seq), 0) FROM change_log", error);
  gint64 seq = -1;
  int    rc;

  if (stmt == NULL)
    return -1;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    seq = sqlite3_column_int64 (stmt, 0);
  else
    dft_db_set_error (error, self->db, rc, _ ("reading the change log"));
  sqlite3_reset (stmt);
  return seq;
}

GPtrArray *
_dft_store_query (DftStore          *self,
                  const DftEntity   *entity,
                  const char        *where,
                  const char *const *params,
                  const char        *order_by,
                  GError           **error)
{
  return _dft_store_query_limit (self, entity, where, params, order_by, 0, error);
}

GPtrArray *
_dft_store_query_limit (DftStore          *self,
                        const DftEntity   *entity,
                        const char        *where,
                        const char *const *params,
                        const char        *order_by,
                        guint              limit,
                        GError           **error)
{
  g_autofree char      *sql = select_sql (entity, where, order_by, limit);
  g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func (g_object_unref);
  sqlite3_stmt         *stmt;
  int                   rc;
  guint                 n_params = 0;

  _dft_store_lock (self);
  stmt = cached_statement (self, sql, error);
  if (stmt == NULL)
    {
      _dft_store_unlock (self);
      return NULL;
    }
  for (; params != NULL && params[n_params] != NULL; n_params++)
    sqlite3_bind_text (stmt, (int) n_params + 1, params[n_params], -1, SQLITE_TRANSIENT);
  if (limit > 0)
    sqlite3_bind_int64 (stmt, (int) n_params + 1, limit);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (records, record_from_row (entity, stmt));
  sqlite3_reset (stmt);
  if (rc == SQLITE_DONE && records->len > 0)
    {
      /* What the rows were read at, under the same lock: a save names it as its base. */
      gint64 read_seq = log_position (self, error);

      if (read_seq < 0)
        {
          _dft_store_unlock (self);
          return NULL;
        }
      for (guint i = 0; i < records->len; i++)
        _dft_record_set_read_seq (g_ptr_array_index (records, i), read_seq);
    }
  _dft_store_unlock (self);

  if (rc != SQLITE_DONE)
    {
      dft_db_set_error (error, self->db, rc, _ ("reading the database"));
      return NULL;
    }
  return g_steal_pointer (&records);
}

DftRecord *
dft_store_load (DftStore *self, const DftEntity *entity, const char *id, GError **error)
{
  const char           *params[] = { id, NULL };
  g_autoptr (GPtrArray) rows = NULL;

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  g_return_val_if_fail (entity != NULL, NULL);
  g_return_val_if_fail (id != NULL, NULL);

  rows = _dft_store_query (self, entity, "id = ?", params, NULL, error);
  if (rows == NULL)
    return NULL;
  if (rows->len == 0)
    {
      g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND,
                   /* Translators: first %s is a kind of record, e.g. "person"; second an id */
                   _ ("There is no %s with the id %s."), _ (entity->label), id);
      return NULL;
    }
  return g_object_ref (g_ptr_array_index (rows, 0));
}

/* An FTS5 query of prefix terms: "aib"* "tok"*. Terms are ASCII letters and digits only. */
char *
_dft_store_match_expression (const char *query)
{
  g_auto (GStrv) terms = dft_search_query_terms (query);
  GString       *expr = g_string_new (NULL);

  for (guint i = 0; terms != NULL && terms[i] != NULL; i++)
    {
      if (*terms[i] == '\0')
        continue;
      if (expr->len > 0)
        g_string_append_c (expr, ' ');
      g_string_append_printf (expr, "\"%s\"*", terms[i]);
    }
  if (expr->len == 0)
    {
      g_string_free (expr, TRUE);
      return NULL;
    }
  return g_string_free (expr, FALSE);
}

GPtrArray *
dft_store_find_people (DftStore *self, const char *query, guint limit, GError **error)
{
  g_autofree char *match = NULL;
  g_autofree char *where = NULL;
  const char      *params[] = { NULL, NULL };

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  g_return_val_if_fail (query != NULL, NULL);

  match = _dft_store_match_expression (query);
  if (match == NULL)
    return g_ptr_array_new_with_free_func (g_object_unref);

  params[0] = match;
  where = g_strdup_printf ("deleted = 0 AND rowid IN (SELECT rowid FROM person_search "
                           "WHERE person_search MATCH ? LIMIT %u)",
                           limit > 0 ? limit : G_MAXINT);
  return _dft_store_query (self, &dft_entity_person, where, params,
                           "family_name COLLATE NOCASE, given_name COLLATE NOCASE", error);
}

#define SEARCH_KEY_UPDATE_SQL "UPDATE person SET search_key = ? WHERE id = ?"
#define SEARCH_INDEX_SQL                                                                           \
  "INSERT OR REPLACE INTO person_search (rowid, key) SELECT rowid, search_key FROM person WHERE "  \
  "id = ?"

static gboolean
update_search_key (sqlite3      *db,
                   sqlite3_stmt *update,
                   sqlite3_stmt *index,
                   const char   *id,
                   const char   *given_name,
                   const char   *family_name,
                   GError      **error)
{
  g_autofree char *full = g_strjoin (" ", given_name != NULL ? given_name : "",
                                     family_name != NULL ? family_name : "", NULL);
  g_autofree char *key = dft_search_key (full);
  gboolean         ok;

  sqlite3_reset (update);
  sqlite3_bind_text (update, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text (update, 2, id, -1, SQLITE_STATIC);
  ok = dft_db_step_done (db, update, error);
  sqlite3_reset (update);
  if (!ok)
    return FALSE;

  sqlite3_reset (index);
  sqlite3_bind_text (index, 1, id, -1, SQLITE_STATIC);
  ok = dft_db_step_done (db, index, error);
  sqlite3_reset (index);
  return ok;
}

gboolean
_dft_person_update_search_key (
    sqlite3 *db, const char *id, const char *given_name, const char *family_name, GError **error)
{
  g_autoptr (sqlite3_stmt) update = NULL;
  g_autoptr (sqlite3_stmt) index = NULL;

  if (!dft_db_prepare (db, SEARCH_KEY_UPDATE_SQL, &update, error)
      || !dft_db_prepare (db, SEARCH_INDEX_SQL, &index, error))
    return FALSE;
  return update_search_key (db, update, index, id, given_name, family_name, error);
}

/* ---- Validation ------------------------------------------------------- */

static gboolean
invalid (GError **error, const DftEntity *entity, const DftField *field, const char *message)
{
  g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID,
               /* Translators: "Workshop: Start date: must be a date like 2026-03-02." */
               _ ("%s: %s: %s"), g_dgettext (GETTEXT_PACKAGE, entity->label),
               g_dgettext (GETTEXT_PACKAGE, field->label), message);
  return FALSE;
}

static gboolean
parse_date (const char *text, GDate *date)
{
  unsigned y, m, d;
  char     end;

  if (text == NULL || strlen (text) != 10 || sscanf (text, "%4u-%2u-%2u%c", &y, &m, &d, &end) != 3)
    return FALSE;
  if (!g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y) || y < 1900 || y > 2200)
    return FALSE;
  g_date_clear (date, 1);
  g_date_set_dmy (date, (GDateDay) d, (GDateMonth) m, (GDateYear) y);
  return TRUE;
}

static gboolean
valid_time (const char *text)
{
  unsigned h, m;
  char     end;

  return text != NULL && strlen (text) == 5 && sscanf (text, "%2u:%2u%c", &h, &m, &end) == 2
         && h < 24 && m < 60;
}

static gboolean
ref_exists (DftStore *self, const char *entity, const char *id, GError **error)
{
  g_autofree char *sql = g_strdup_printf ("SELECT 1 FROM %s WHERE id = ?", entity);
  sqlite3_stmt    *stmt = cached_statement (self, sql, error);
  int              rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  return rc == SQLITE_ROW;
}

static gboolean
is_blank (const char *text)
{
  for (const char *p = text; p != NULL && *p != '\0'; p = g_utf8_next_char (p))
    if (!g_unichar_isspace (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

/*
 * Fields kept in one form, so that one country or one phone number is written one way
 * whoever typed it: a save turns what was typed into that form, and refuses what has none.
 */
static const struct
{
  const DftEntity *entity;
  const char      *field;
  char *(*normalize) (const char *text);
} normal_forms[] = {
  { &dft_entity_event, "country", dft_country_normalize },
  { &dft_entity_person, "country", dft_country_normalize },
  { &dft_entity_person, "phone", dft_phone_normalize },
};

/* Why @text is no value for @field, or NULL when it is one (a text field's own checks). */
static const char *
text_problem (const DftEntity *entity, const DftField *field, const char *text)
{
  for (guint n = 0; n < G_N_ELEMENTS (normal_forms); n++)
    if (normal_forms[n].entity == entity && g_str_equal (normal_forms[n].field, field->name))
      {
        g_autofree char *normal = normal_forms[n].normalize (text);

        if (normal != NULL)
          return NULL;
        if (normal_forms[n].normalize == dft_country_normalize)
          return _ ("is not a country Daftari knows; choose it from the list or write its "
                    "two-letter code, such as KG.");
        return _ ("is not a phone number; write its digits, with the country code after a +, "
                  "such as +996 555 123 456.");
      }
  if (entity == &dft_entity_person && g_str_equal (field->name, "email")
      && !dft_email_is_valid (text))
    return _ ("is not an email address.");
  return NULL;
}

/*
 * Puts the fields of @record that have one form in it, before it is checked and written.
 * A save does so to what was changed only (@only_changed): a value an earlier version kept
 * as it was written stays until someone edits it, or until migration 7 rewrites it.
 */
static void
normalize_fields (DftRecord *record, gboolean only_changed)
{
  const DftEntity *entity = dft_record_get_entity (record);

  for (guint n = 0; n < G_N_ELEMENTS (normal_forms); n++)
    {
      int              i = dft_entity_field_index (entity, normal_forms[n].field);
      const char      *text;
      g_autofree char *normal = NULL;

      if (normal_forms[n].entity != entity
          || (only_changed && !dft_record_is_new (record)
              && !dft_record_field_is_changed (record, (guint) i)))
        continue;
      text = dft_record_get_string (record, normal_forms[n].field);
      if (text == NULL || is_blank (text))
        continue;
      normal = normal_forms[n].normalize (text);
      if (normal != NULL && strcmp (normal, text) != 0)
        dft_record_set_string (record, normal_forms[n].field, normal);
    }
}

static gboolean
validate_field (DftStore *self, DftRecord *record, guint i, GError **error)
{
  const DftEntity *entity = dft_record_get_entity (record);
  const DftField  *field = &entity->fields[i];
  const GValue    *value = dft_record_get_value (record, i);
  const char      *text = G_VALUE_HOLDS_STRING (value) ? g_value_get_string (value) : NULL;
  gboolean         empty = G_VALUE_HOLDS_STRING (value) && is_blank (text);
  GDate            date;

  if ((field->flags & DFT_FIELD_IMMUTABLE) && !dft_record_is_new (record)
      && dft_record_field_is_changed (record, i))
    return invalid (error, entity, field, _ ("cannot be changed once saved."));

  if (empty)
    {
      if (field->flags & DFT_FIELD_REQUIRED)
        return invalid (error, entity, field, _ ("is required."));
      return TRUE;
    }

  if (text != NULL && !g_utf8_validate (text, -1, NULL))
    return invalid (error, entity, field, _ ("is not valid text."));
  if (text != NULL && strlen (text) > dft_field_max_length (field))
    return invalid (error, entity, field, _ ("is too long."));

  switch (field->type)
    {
    case DFT_FIELD_DATE:
      if (!parse_date (text, &date))
        return invalid (error, entity, field, _ ("must be a date like 2026-03-02."));
      break;
    case DFT_FIELD_TIME:
      if (!valid_time (text))
        return invalid (error, entity, field, _ ("must be a time like 09:30."));
      break;
    case DFT_FIELD_STAMP:
      {
        g_autoptr (GDateTime) dt = g_date_time_new_from_iso8601 (text, NULL);
        if (dt == NULL)
          return invalid (error, entity, field,
                          _ ("must be a date and time like 2026-03-02T08:00:00Z."));
      }
      break;
    case DFT_FIELD_CHOICE:
      if (!dft_field_has_choice (field, text))
        {
          g_autofree char *allowed = g_strjoinv (", ", (char **) field->choices);
          g_autofree char *message =
              /* Translators: %s is the list of allowed values, e.g. "present, late, absent,
                 excused" */
              g_strdup_printf (_ ("must be one of: %s."), allowed);
          return invalid (error, entity, field, message);
        }
      break;
    case DFT_FIELD_REF:
      if (dft_record_is_new (record) || dft_record_field_is_changed (record, i))
        {
          g_autoptr (GError) local_error = NULL;
          if (!ref_exists (self, field->ref_entity, text, &local_error))
            {
              if (local_error != NULL)
                {
                  g_propagate_error (error, g_steal_pointer (&local_error));
                  return FALSE;
                }
              return invalid (error, entity, field, _ ("refers to a record that does not exist."));
            }
        }
      break;
    case DFT_FIELD_JSON:
      if (dft_record_is_new (record) || dft_record_field_is_changed (record, i))
        {
          g_autoptr (JsonParser) parser = json_parser_new ();
          if (!json_parser_load_from_data (parser, text, -1, NULL))
            return invalid (error, entity, field, _ ("is not valid JSON."));
        }
      break;
    case DFT_FIELD_TEXT:
      /* Checked when written only: a value kept from before a check existed does not stop
       * a save of the record's other fields. */
      if (dft_record_is_new (record) || dft_record_field_is_changed (record, i))
        {
          const char *problem = text_problem (entity, field, text);

          if (problem != NULL)
            return invalid (error, entity, field, problem);
        }
      break;
    case DFT_FIELD_INT:
    case DFT_FIELD_REAL:
    case DFT_FIELD_BOOL:
    default:
      break;
    }
  return TRUE;
}

/* Final submissions are immutable: what the row says now, not what the record was set to. */
static gboolean
stored_status_is_final (DftStore *self, const char *id)
{
  sqlite3_stmt *stmt
      = cached_statement (self, "SELECT status = 'final' FROM submission WHERE id = ?", NULL);
  gboolean final = FALSE;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    final = sqlite3_column_int (stmt, 0) != 0;
  sqlite3_reset (stmt);
  return final;
}

static gboolean
validate_record (DftStore *self, DftRecord *record, GError **error)
{
  const DftEntity *entity = dft_record_get_entity (record);

  for (guint i = 0; i < entity->n_fields; i++)
    if (!validate_field (self, record, i, error))
      return FALSE;

  if (entity == &dft_entity_event)
    {
      GDate start, end;

      parse_date (dft_record_get_string (record, "start_date"), &start);
      parse_date (dft_record_get_string (record, "end_date"), &end);
      if (g_date_compare (&end, &start) < 0)
        return invalid (error, entity, &entity->fields[dft_entity_field_index (entity, "end_date")],
                        _ ("must not be before the start date."));
      if (g_date_days_between (&start, &end) >= MAX_EVENT_DAYS)
        {
          g_autofree char *message
              /* Translators: %d is the largest number of days a workshop can last */
              = g_strdup_printf (ngettext ("a workshop can last at most %d day.",
                                           "a workshop can last at most %d days.", MAX_EVENT_DAYS),
                                 MAX_EVENT_DAYS);
          return invalid (error, entity,
                          &entity->fields[dft_entity_field_index (entity, "end_date")], message);
        }
    }
  else if (entity == &dft_entity_submission && !dft_record_is_new (record)
           && stored_status_is_final (self, dft_record_get_id (record)))
    return invalid (
        error, entity, &entity->fields[dft_entity_field_index (entity, "status")],
        _ ("a final submission cannot be changed; save a correction that supersedes it."));
  else if (entity == &dft_entity_person)
    {
      if (dft_record_get_string (record, "consent_date") != NULL
          && !dft_record_get_bool (record, "consent"))
        return invalid (error, entity,
                        &entity->fields[dft_entity_field_index (entity, "consent_date")],
                        _ ("is set but consent was not given."));
    }

  return TRUE;
}

/*
 * The checks dft_store_save() makes, without saving: importers use it to
 * report every bad row at once instead of stopping at the first.
 */
gboolean
dft_store_validate (DftStore *self, DftRecord *record, GError **error)
{
  gboolean ok;

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  g_return_val_if_fail (DFT_IS_RECORD (record), FALSE);

  _dft_store_lock (self);
  ok = validate_record (self, record, error);
  _dft_store_unlock (self);
  return ok;
}

/* ---- Writing ---------------------------------------------------------- */

static JsonNode *
value_to_json (const DftField *field, const GValue *value)
{
  JsonNode *node = json_node_new (JSON_NODE_VALUE);

  switch (G_VALUE_TYPE (value))
    {
    case G_TYPE_INT64:
      json_node_set_int (node, g_value_get_int64 (value));
      break;
    case G_TYPE_DOUBLE:
      if (isnan (g_value_get_double (value)))
        json_node_init_null (node);
      else
        json_node_set_double (node, g_value_get_double (value));
      break;
    case G_TYPE_BOOLEAN:
      json_node_set_boolean (node, g_value_get_boolean (value));
      break;
    default:
      if (g_value_get_string (value) == NULL)
        json_node_init_null (node);
      else
        json_node_set_string (node, g_value_get_string (value));
      break;
    }
  return node;
}

static void
bind_value (sqlite3_stmt *stmt, int col, const GValue *value)
{
  switch (G_VALUE_TYPE (value))
    {
    case G_TYPE_INT64:
      sqlite3_bind_int64 (stmt, col, g_value_get_int64 (value));
      break;
    case G_TYPE_DOUBLE:
      if (isnan (g_value_get_double (value)))
        sqlite3_bind_null (stmt, col);
      else
        sqlite3_bind_double (stmt, col, g_value_get_double (value));
      break;
    case G_TYPE_BOOLEAN:
      sqlite3_bind_int (stmt, col, g_value_get_boolean (value) ? 1 : 0);
      break;
    default:
      if (g_value_get_string (value) == NULL)
        sqlite3_bind_null (stmt, col);
      else
        sqlite3_bind_text (stmt, col, g_value_get_string (value), -1, SQLITE_TRANSIENT);
      break;
    }
}

static gboolean finalizes (DftRecord *record);

static gboolean
write_row (DftStore *self, DftRecord *record, const char *stamp, GError **error)
{
  const DftEntity    *entity = dft_record_get_entity (record);
  gboolean            is_new = dft_record_is_new (record);
  g_autoptr (GString) sql = g_string_new (NULL);
  sqlite3_stmt       *stmt;
  int                 col = 1;
  /* A record read before a delete arrived still says "alive": the row's flag
   * changes only with a change that holds it (changed_fields()). */
  gboolean writes_deleted
      = is_new || _dft_record_deleted_is_changed (record) || !dft_record_get_deleted (record);
  gboolean all = finalizes (record);

  if (is_new)
    {
      g_string_append_printf (sql, "INSERT INTO %s (id, created_at, updated_at, deleted",
                              entity->name);
      for (guint i = 0; i < entity->n_fields; i++)
        g_string_append_printf (sql, ", %s", entity->fields[i].name);
      g_string_append (sql, ") VALUES (?, ?, ?, ?");
      for (guint i = 0; i < entity->n_fields; i++)
        g_string_append (sql, ", ?");
      g_string_append (sql, ")");
    }
  else
    {
      g_string_append_printf (sql, "UPDATE %s SET updated_at = ?", entity->name);
      if (writes_deleted)
        g_string_append (sql, ", deleted = ?");
      for (guint i = 0; i < entity->n_fields; i++)
        if (all || dft_record_field_is_changed (record, i))
          g_string_append_printf (sql, ", %s = ?", entity->fields[i].name);
      g_string_append (sql, " WHERE id = ?");
    }

  stmt = cached_statement (self, sql->str, error);
  if (stmt == NULL)
    return FALSE;

  if (is_new)
    {
      const char *created = dft_record_get_created_at (record);

      sqlite3_bind_text (stmt, col++, dft_record_get_id (record), -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, col++, created != NULL ? created : stamp, -1, SQLITE_TRANSIENT);
    }
  sqlite3_bind_text (stmt, col++, stamp, -1, SQLITE_STATIC);
  if (writes_deleted)
    sqlite3_bind_int (stmt, col++, dft_record_get_deleted (record) ? 1 : 0);
  for (guint i = 0; i < entity->n_fields; i++)
    if (is_new || all || dft_record_field_is_changed (record, i))
      bind_value (stmt, col++, dft_record_get_value (record, i));
  if (!is_new)
    sqlite3_bind_text (stmt, col++, dft_record_get_id (record), -1, SQLITE_STATIC);

  if (!dft_db_step_done (self->db, stmt, error))
    return FALSE;
  sqlite3_reset (stmt);

  if (!is_new && sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND,
                   /* Translators: %s is a kind of record, e.g. "person" */
                   _ ("The %s being saved no longer exists in the database."),
                   g_dgettext (GETTEXT_PACKAGE, entity->label));
      return FALSE;
    }
  return TRUE;
}

/* A submission made final now: all its fields go with it, ranked above any draft edit
 * (apply_one(), PROTOCOL.md). */
static gboolean
finalizes (DftRecord *record)
{
  const DftEntity *entity = dft_record_get_entity (record);

  return entity == &dft_entity_submission && !dft_record_is_new (record)
         && dft_record_field_is_changed (record, (guint) dft_entity_field_index (entity, "status"))
         && g_strcmp0 (dft_record_get_string (record, "status"), "final") == 0;
}

/*
 * The fields a save sends. A new record, and an edit of a record its writer
 * saw alive, also say "deleted": false, so that an edit made without knowing
 * of a delete meets it as a concurrent write of the same field, and a delete
 * names in its base the last write its writer saw (PROTOCOL.md, Merge).
 */
static JsonObject *
changed_fields (DftRecord *record, const char *stamp)
{
  const DftEntity *entity = dft_record_get_entity (record);
  gboolean         is_new = dft_record_is_new (record);
  gboolean         all = finalizes (record);
  JsonObject      *fields = json_object_new ();

  if (is_new)
    json_object_set_string_member (fields, "created_at", stamp);
  for (guint i = 0; i < entity->n_fields; i++)
    {
      const GValue *value = dft_record_get_value (record, i);

      if (!is_new && !all && !dft_record_field_is_changed (record, i))
        continue;
      /* A new record's empty optional fields say nothing worth sending. */
      if (is_new && G_VALUE_HOLDS_STRING (value) && g_value_get_string (value) == NULL)
        continue;
      json_object_set_member (fields, entity->fields[i].name,
                              value_to_json (&entity->fields[i], value));
    }
  if (is_new || _dft_record_deleted_is_changed (record) || !dft_record_get_deleted (record))
    json_object_set_boolean_member (fields, "deleted", dft_record_get_deleted (record));
  return fields;
}

static gboolean
names_changed (DftRecord *record)
{
  const DftEntity *entity = dft_record_get_entity (record);

  return dft_record_is_new (record)
         || dft_record_field_is_changed (record,
                                         (guint) dft_entity_field_index (entity, "given_name"))
         || dft_record_field_is_changed (record,
                                         (guint) dft_entity_field_index (entity, "family_name"));
}

/*
 * A workshop's sessions follow its dates: two half-days a day by default,
 * with ids derived from (workshop, date, part) so that two devices that both
 * generate them meet in the same records. When the dates shrink, a session
 * outside them is removed only if nobody's attendance was taken in it.
 * They go into the batch right after the workshop (at @at), before records
 * of the same batch that refer to them.
 */
static gboolean
plan_sessions (DftStore *self, DftRecord *event, GPtrArray *batch, guint at, GError **error)
{
  const DftEntity       *entity = &dft_entity_event;
  const char            *event_id = dft_record_get_id (event);
  const char            *params[] = { event_id, NULL };
  g_autoptr (GPtrArray)  existing = NULL;
  g_autoptr (GHashTable) have = g_hash_table_new (g_str_hash, g_str_equal);
  GDate                  start, end, day;

  if (!dft_record_is_new (event)
      && !dft_record_field_is_changed (event, (guint) dft_entity_field_index (entity, "start_date"))
      && !dft_record_field_is_changed (event, (guint) dft_entity_field_index (entity, "end_date")))
    return TRUE;

  parse_date (dft_record_get_string (event, "start_date"), &start);
  parse_date (dft_record_get_string (event, "end_date"), &end);

  existing = _dft_store_query (self, &dft_entity_session, "event_id = ?", params, NULL, error);
  if (existing == NULL)
    return FALSE;

  for (guint i = 0; i < existing->len; i++)
    {
      DftRecord *session = g_ptr_array_index (existing, i);
      GDate      date;
      gboolean   inside;

      g_hash_table_add (have, (gpointer) dft_record_get_id (session));
      parse_date (dft_record_get_string (session, "date"), &date);
      inside = g_date_compare (&date, &start) >= 0 && g_date_compare (&date, &end) <= 0;

      if (!inside && !dft_record_get_deleted (session))
        {
          const char           *sparams[] = { dft_record_get_id (session), NULL };
          g_autoptr (GPtrArray) marks
              = _dft_store_query (self, &dft_entity_attendance,
                                  "session_id = ? AND deleted = 0 LIMIT 1", sparams, NULL, error);
          if (marks == NULL)
            return FALSE;
          if (marks->len == 0)
            {
              _dft_record_set_deleted (session, TRUE);
              g_ptr_array_insert (batch, (int) at++, g_object_ref (session));
            }
        }
      else if (inside && dft_record_get_deleted (session))
        {
          _dft_record_set_deleted (session, FALSE);
          g_ptr_array_insert (batch, (int) at++, g_object_ref (session));
        }
    }

  for (day = start; g_date_compare (&day, &end) <= 0; g_date_add_days (&day, 1))
    {
      char date[11];

      g_snprintf (date, sizeof date, "%04u-%02u-%02u", g_date_get_year (&day),
                  g_date_get_month (&day), g_date_get_day (&day));
      for (guint p = 0; p < 2; p++)
        {
          const char      *part = p == 0 ? "am" : "pm";
          g_autofree char *id = dft_session_id_for (event_id, date, part);
          DftRecord       *session;

          if (g_hash_table_contains (have, id))
            continue;
          session = dft_record_new_for_entity (&dft_entity_session);
          _dft_record_set_identity (session, id, NULL, NULL, FALSE, TRUE);
          dft_record_set_string (session, "event_id", event_id);
          dft_record_set_string (session, "date", date);
          dft_record_set_string (session, "part", part);
          dft_record_set_string (session, "start_time", p == 0 ? "09:00" : "14:00");
          dft_record_set_string (session, "end_time", p == 0 ? "12:30" : "17:30");
          g_ptr_array_insert (batch, (int) at++, session);
        }
    }
  return TRUE;
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

static void
emit_changed (DftStore *self, GPtrArray *batch)
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
      run_in_store_context (self, emit_changed_cb, e, changed_emission_free);
    }
}

/* ---- Field versions --------------------------------------------------- */

static gboolean
read_field_version (DftStore   *self,
                    const char *entity,
                    const char *id,
                    const char *field,
                    DftVersion *version,
                    DftVersion *base,
                    GError    **error)
{
  sqlite3_stmt *stmt = cached_statement (self,
                                         "SELECT hlc, device_id, base FROM field_version WHERE "
                                         "entity = ? AND record_id = ? AND field = ?",
                                         error);
  int           rc;

  version->hlc = 0;
  version->device = NULL;
  if (base != NULL)
    {
      base->hlc = 0;
      base->device = NULL;
    }
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, entity, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, field, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      version->hlc = (DftHlcValue) sqlite3_column_int64 (stmt, 0);
      version->device = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      if (base != NULL)
        dft_version_parse ((const char *) sqlite3_column_text (stmt, 2), base);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return dft_db_set_error (error, self->db, rc, _ ("reading the database"));
  return TRUE;
}

static gboolean
write_field_version (DftStore   *self,
                     const char *entity,
                     const char *id,
                     const char *field,
                     DftHlcValue hlc,
                     const char *device,
                     const char *base,
                     GError    **error)
{
  sqlite3_stmt *stmt = cached_statement (
      self,
      "INSERT INTO field_version (entity, record_id, field, hlc, device_id, base) "
      "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (entity, record_id, field) DO UPDATE SET "
      "hlc = excluded.hlc, device_id = excluded.device_id, base = excluded.base",
      error);
  gboolean ok;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, entity, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, field, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, (sqlite3_int64) hlc);
  sqlite3_bind_text (stmt, 5, device, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, base, -1, SQLITE_STATIC);
  ok = dft_db_step_done (self->db, stmt, error);
  sqlite3_reset (stmt);
  return ok;
}

static gboolean
append_change (DftStore *self, DftChange *change, GError **error)
{
  sqlite3_stmt *insert = cached_statement (self, dft_change_log_insert_sql (), error);

  return insert != NULL && dft_change_log_append_with (self->db, insert, change, error);
}

/* From the row, not the record: a save changes only some fields of a record read earlier. */
static gboolean
update_person_key (DftStore *self, DftRecord *record, GError **error)
{
  sqlite3_stmt *names
      = cached_statement (self, "SELECT given_name, family_name FROM person WHERE id = ?", error);
  sqlite3_stmt *update
      = names != NULL ? cached_statement (self, SEARCH_KEY_UPDATE_SQL, error) : NULL;
  sqlite3_stmt    *index = update != NULL ? cached_statement (self, SEARCH_INDEX_SQL, error) : NULL;
  g_autofree char *given = NULL;
  g_autofree char *family = NULL;
  int              rc;

  if (index == NULL)
    return FALSE;
  sqlite3_bind_text (names, 1, dft_record_get_id (record), -1, SQLITE_STATIC);
  rc = sqlite3_step (names);
  if (rc == SQLITE_ROW)
    {
      given = g_strdup ((const char *) sqlite3_column_text (names, 0));
      family = g_strdup ((const char *) sqlite3_column_text (names, 1));
    }
  sqlite3_reset (names);
  if (rc != SQLITE_ROW)
    return dft_db_set_error (error, self->db, rc, _ ("reading the database"));
  return update_search_key (self->db, update, index, dft_record_get_id (record), given, family,
                            error);
}

static DftRecord *make_conflict (const char       *entity,
                                 const char       *record_id,
                                 const char       *field,
                                 JsonNode         *lost,
                                 const DftVersion *lost_version);

/*
 * The version of @field that @record's values come from: the one it wrote
 * itself, else the newest this replica held when the record was read (the
 * merge keeps the newest), else, for a record the store did not read, the one
 * held now.
 */
static gboolean
seen_version (DftStore         *self,
              DftRecord        *record,
              const char       *field,
              const DftVersion *held,
              DftVersion       *seen,
              GError          **error)
{
  const char   *written = _dft_record_get_seen (record, field);
  gint64        read_seq = _dft_record_get_read_seq (record);
  sqlite3_stmt *stmt;
  int           rc;

  if (written != NULL)
    {
      dft_version_parse (written, seen);
      return TRUE;
    }
  if (read_seq <= 0 || held->device == NULL)
    {
      seen->hlc = held->hlc;
      seen->device = g_strdup (held->device);
      return TRUE;
    }
  stmt = cached_statement (self,
                           "SELECT hlc, device_id FROM change_log WHERE entity = ? AND "
                           "record_id = ? AND seq <= ? AND json_type (fields, '$.' || ?) IS NOT "
                           "NULL ORDER BY hlc DESC, device_id DESC LIMIT 1",
                           error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, dft_record_get_entity (record)->name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, dft_record_get_id (record), -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, read_seq);
  sqlite3_bind_text (stmt, 4, field, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      seen->hlc = (DftHlcValue) sqlite3_column_int64 (stmt, 0);
      seen->device = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return dft_db_set_error (error, self->db, rc, _ ("reading the change log"));
  return TRUE;
}

/* What the row holds now for @field of @record, as a change would send it. */
static JsonNode *
stored_value (DftStore *self, DftRecord *record, const char *field, GError **error)
{
  const DftEntity      *entity = dft_record_get_entity (record);
  g_autoptr (DftRecord) row = dft_store_load (self, entity, dft_record_get_id (record), error);
  int                   index = dft_entity_field_index (entity, field);

  if (row == NULL)
    return NULL;
  if (index < 0)
    return json_node_init_boolean (json_node_alloc (), dft_record_get_deleted (row));
  return value_to_json (&entity->fields[index], dft_record_get_value (row, (guint) index));
}

/*
 * Writes one record changed here, inside the caller's transaction: its row,
 * the versions of its fields (each remembering the version its writer saw,
 * the base that tells a later merge whether this write knew the one before),
 * and its change-log entry. A field whose version changed after the record was
 * read (a sync brought another device's value) is a concurrent write: this
 * one, the newest, wins, and the value it replaces goes into @conflicts.
 */
static gboolean
write_local_record (DftStore   *self,
                    DftRecord  *record,
                    const char *stamp,
                    gint64      wall_ms,
                    GPtrArray  *written,
                    GPtrArray  *made,
                    GPtrArray  *conflicts,
                    GError    **error)
{
  const DftEntity      *entity = dft_record_get_entity (record);
  const char           *id;
  g_autoptr (DftChange) change = NULL;
  g_autoptr (GList)     names = NULL;

  id = dft_record_get_id (record);
  change = dft_change_new (entity->name, id, NULL);
  json_object_unref (change->fields);
  change->fields = changed_fields (record, stamp);
  change->device_id = g_strdup (self->device_id);
  change->hlc = dft_hlc_tick (&self->clock, wall_ms);

  names = json_object_get_members (change->fields);
  for (GList *l = names; l != NULL; l = l->next)
    {
      g_auto (DftVersion) held = { 0 };
      g_auto (DftVersion) seen = { 0 };
      g_autofree char    *base = NULL;

      if (!dft_record_is_new (record)
          && (!read_field_version (self, entity->name, id, l->data, &held, NULL, error)
              || !seen_version (self, record, l->data, &held, &seen, error)))
        return FALSE;
      if (!dft_version_equal (&seen, &held) && conflicts != NULL)
        {
          g_autoptr (JsonNode) current = stored_value (self, record, l->data, error);

          if (current == NULL)
            return FALSE;
          if (!json_node_equal (current, json_object_get_member (change->fields, l->data)))
            g_ptr_array_add (conflicts, make_conflict (entity->name, id, l->data, current, &held));
        }
      base = dft_version_format (&seen);
      if (base != NULL)
        {
          if (change->base == NULL)
            change->base = json_object_new ();
          json_object_set_string_member (change->base, l->data, base);
        }
      if (!write_field_version (self, entity->name, id, l->data, change->hlc, self->device_id, base,
                                error))
        return FALSE;
    }

  if (!write_row (self, record, stamp, error))
    return FALSE;
  if (entity == &dft_entity_person && names_changed (record)
      && !update_person_key (self, record, error))
    return FALSE;
  if (!append_change (self, change, error))
    return FALSE;
  g_ptr_array_add (written, g_object_ref (record));
  /* Once committed, the record has seen its own writes (see dft_store_save_all()). */
  if (made != NULL)
    g_ptr_array_add (made, g_steal_pointer (&change));
  return TRUE;
}

/* The same, for a record the user changed: checked first, and a workshop's sessions planned. */
static gboolean
commit_local_record (DftStore   *self,
                     DftRecord  *record,
                     GPtrArray  *batch,
                     guint       position,
                     const char *stamp,
                     gint64      wall_ms,
                     GPtrArray  *written,
                     GPtrArray  *made,
                     GPtrArray  *conflicts,
                     GError    **error)
{
  if (!dft_record_is_changed (record))
    return TRUE;
  normalize_fields (record, TRUE);
  if (!validate_record (self, record, error))
    return FALSE;
  if (dft_record_get_entity (record) == &dft_entity_event && batch != NULL
      && !plan_sessions (self, record, batch, position + 1, error))
    return FALSE;
  return write_local_record (self, record, stamp, wall_ms, written, made, conflicts, error);
}

/*
 * Migration 7: every country and phone number written before they had one form is given it,
 * where it has one (a value that has none stays as it was: it is still what someone wrote).
 * These are synced fields, so each rewrite is a change like any save, in the change log
 * under this device's name with its clock: written without one, this replica would differ
 * from every other with no change to tell them, and the server's reports would go on
 * counting "kg" apart from "KG". Replicas that rewrite the same field the same way meet
 * without a conflict (the values are equal). Nothing else of the record is checked: a
 * record some older check let through must not stop the database from opening.
 * Inside the migration's transaction.
 */
gboolean
_dft_store_normalize_fields_locked (DftStore *self, GError **error)
{
  const DftEntity      *entities[] = { &dft_entity_event, &dft_entity_person };
  g_autoptr (GPtrArray) written = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) made = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
  g_autofree char      *stamp = now_stamp ();
  gint64                wall_ms = dft_store_wall_ms (self);

  for (guint e = 0; e < G_N_ELEMENTS (entities); e++)
    {
      g_autoptr (GPtrArray) records = _dft_store_query (self, entities[e], NULL, NULL, "id", error);

      if (records == NULL)
        return FALSE;
      for (guint r = 0; r < records->len; r++)
        {
          DftRecord *record = g_ptr_array_index (records, r);

          normalize_fields (record, FALSE);
          if (dft_record_is_changed (record)
              && !write_local_record (self, record, stamp, wall_ms, written, made, NULL, error))
            return FALSE;
        }
    }
  return TRUE;
}

/*
 * Saves the conflict records a merge or a save found, each once: replicas that
 * find the same loss make the same record, and the first one made stands.
 */
static gboolean
commit_conflicts (DftStore   *self,
                  GPtrArray  *conflicts,
                  const char *stamp,
                  gint64      wall_ms,
                  GPtrArray  *written,
                  GPtrArray  *made,
                  guint      *n_made,
                  GError    **error)
{
  for (guint i = 0; i < conflicts->len; i++)
    {
      DftRecord            *conflict = g_ptr_array_index (conflicts, i);
      g_autoptr (GError)    load_error = NULL;
      g_autoptr (DftRecord) existing
          = dft_store_load (self, &dft_entity_conflict, dft_record_get_id (conflict), &load_error);

      if (existing != NULL)
        continue;
      if (!commit_local_record (self, conflict, NULL, 0, stamp, wall_ms, written, made, NULL,
                                error))
        return FALSE;
      if (n_made != NULL)
        (*n_made)++;
    }
  return TRUE;
}

/* This replica's wall clock, as its hybrid logical clock reads it. */
gint64
dft_store_wall_ms (DftStore *self)
{
  g_return_val_if_fail (DFT_IS_STORE (self), 0);
  return dft_hlc_wall_ms () + self->wall_offset_ms;
}

void
_dft_store_set_wall_offset (DftStore *self, gint64 offset_ms)
{
  g_return_if_fail (DFT_IS_STORE (self));
  self->wall_offset_ms = offset_ms;
}

DftHlc *
_dft_store_get_clock (DftStore *self)
{
  return &self->clock;
}

gboolean
_dft_store_save_prepared (DftStore           *self,
                          DftRecord         **records,
                          guint               n_records,
                          DftStorePrepareFunc prepare,
                          gpointer            user_data,
                          GError            **error)
{
  g_autoptr (GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) written = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) made = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
  g_autoptr (GPtrArray) conflicts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char      *stamp = now_stamp ();
  DftHlc                saved_clock;
  gint64                wall_ms = dft_store_wall_ms (self);

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  g_return_val_if_fail (records != NULL || n_records == 0, FALSE);

  for (guint i = 0; i < n_records; i++)
    {
      g_return_val_if_fail (DFT_IS_RECORD (records[i]), FALSE);
      if (dft_record_get_id (records[i]) == NULL)
        {
          g_autofree char *id = dft_uuid_v7_new ();
          _dft_record_set_identity (records[i], id, NULL, NULL, dft_record_get_deleted (records[i]),
                                    TRUE);
        }
      g_ptr_array_add (batch, g_object_ref (records[i]));
    }

  if (g_atomic_int_get (&self->damaged))
    {
      g_set_error (error, DFT_DB_ERROR, DFT_DB_ERROR_CORRUPT,
                   _ ("The database is damaged, so Daftari does not write to it. Nothing was "
                      "saved; keep a copy of the file and restore your data from a backup."));
      return FALSE;
    }

  _dft_store_lock (self);
  saved_clock = self->clock;

  if (!dft_db_exec (self->db, "BEGIN IMMEDIATE", error))
    goto fail_unlocked_txn;
  if (prepare != NULL && !prepare (self, batch, user_data, error))
    goto fail;

  /* The batch can grow while we walk it: a workshop adds its sessions. */
  for (guint i = 0; i < batch->len; i++)
    if (!commit_local_record (self, g_ptr_array_index (batch, i), batch, i, stamp, wall_ms, written,
                              made, conflicts, error))
      goto fail;
  if (!commit_conflicts (self, conflicts, stamp, wall_ms, written, made, NULL, error))
    goto fail;

  if (!dft_db_exec (self->db, "COMMIT", error))
    goto fail;

  _dft_store_unlock (self);

  g_assert (made->len == written->len);
  for (guint i = 0; i < written->len; i++)
    {
      DftRecord       *record = g_ptr_array_index (written, i);
      DftChange       *change = g_ptr_array_index (made, i);
      g_autofree char *version
          = g_strdup_printf ("%" G_GUINT64_FORMAT "/%s", change->hlc, change->device_id);
      g_autoptr (GList) names = json_object_get_members (change->fields);

      for (GList *l = names; l != NULL; l = l->next)
        _dft_record_set_seen (record, l->data, version);
      /* A record made here had nothing before it: it has seen all there was of it. */
      if (dft_record_is_new (record))
        _dft_record_set_read_seq (record, change->seq);
      _dft_record_mark_saved (record, stamp);
    }
  if (written->len > 0)
    emit_changed (self, written);
  return TRUE;

fail:
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
fail_unlocked_txn:
  self->clock = saved_clock;
  _dft_store_unlock (self);
  return FALSE;
}

gboolean
dft_store_save_all (DftStore *self, DftRecord **records, guint n_records, GError **error)
{
  return _dft_store_save_prepared (self, records, n_records, NULL, NULL, error);
}

gboolean
dft_store_save (DftStore *self, DftRecord *record, GError **error)
{
  return dft_store_save_all (self, &record, 1, error);
}

static gboolean
set_deleted_and_save (DftStore *self, DftRecord *record, gboolean deleted, GError **error)
{
  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  g_return_val_if_fail (DFT_IS_RECORD (record), FALSE);
  g_return_val_if_fail (!dft_record_is_new (record), FALSE);

  _dft_record_set_deleted (record, deleted);
  if (!dft_store_save (self, record, error))
    {
      _dft_record_set_deleted (record, !deleted);
      return FALSE;
    }
  return TRUE;
}

/* A delete is a tombstone that syncs like any change and can be undone. */
gboolean
dft_store_delete (DftStore *self, DftRecord *record, GError **error)
{
  return set_deleted_and_save (self, record, TRUE, error);
}

gboolean
dft_store_undelete (DftStore *self, DftRecord *record, GError **error)
{
  return set_deleted_and_save (self, record, FALSE, error);
}

/*
 * The record with @id, or a new one that will be saved with that id: for
 * records whose id is derived from what they stand for, and for importing
 * records that keep their ids, so that doing it twice changes nothing.
 */
DftRecord *
dft_store_load_or_new (DftStore *self, const DftEntity *entity, const char *id, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  DftRecord         *record = dft_store_load (self, entity, id, &local_error);

  if (record != NULL)
    return record;
  if (!g_error_matches (local_error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  record = dft_record_new_for_entity (entity);
  _dft_record_set_identity (record, id, NULL, NULL, FALSE, TRUE);
  return record;
}

DftRecord *
dft_store_mark_attendance (DftStore   *self,
                           const char *session_id,
                           const char *person_id,
                           const char *status,
                           const char *note,
                           GError    **error)
{
  g_autofree char      *id = NULL;
  g_autoptr (DftRecord) mark = NULL;

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  g_return_val_if_fail (session_id != NULL && person_id != NULL, NULL);

  id = dft_attendance_id_for (session_id, person_id);
  mark = dft_store_load_or_new (self, &dft_entity_attendance, id, error);
  if (mark == NULL)
    return NULL;

  dft_record_set_string (mark, "session_id", session_id);
  dft_record_set_string (mark, "person_id", person_id);
  dft_record_set_string (mark, "status", status);
  if (note != NULL)
    dft_record_set_string (mark, "note", *note != '\0' ? note : NULL);
  _dft_record_set_deleted (mark, FALSE);

  if (!dft_store_save (self, mark, error))
    return NULL;
  return g_steal_pointer (&mark);
}

gboolean
dft_store_set_attendance (DftStore          *self,
                          const char        *session_id,
                          const char *const *person_ids,
                          const char *const *statuses,
                          guint              n,
                          GError           **error)
{
  g_autoptr (GPtrArray) marks = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  g_return_val_if_fail (session_id != NULL, FALSE);
  g_return_val_if_fail (n == 0 || (person_ids != NULL && statuses != NULL), FALSE);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char      *id = dft_attendance_id_for (session_id, person_ids[i]);
      g_autoptr (DftRecord) mark = dft_store_load_or_new (self, &dft_entity_attendance, id, error);

      if (mark == NULL)
        return FALSE;
      if (statuses[i] == NULL)
        {
          /* Nothing to clear: never marked, or cleared already. */
          if (dft_record_is_new (mark) || dft_record_get_deleted (mark))
            continue;
          _dft_record_set_deleted (mark, TRUE);
        }
      else
        {
          dft_record_set_string (mark, "session_id", session_id);
          dft_record_set_string (mark, "person_id", person_ids[i]);
          dft_record_set_string (mark, "status", statuses[i]);
          _dft_record_set_deleted (mark, FALSE);
        }
      g_ptr_array_add (marks, g_steal_pointer (&mark));
    }
  if (marks->len == 0)
    return TRUE;
  return dft_store_save_all (self, (DftRecord **) marks->pdata, marks->len, error);
}

DftRecord *
dft_store_enroll (
    DftStore *self, const char *event_id, const char *person_id, const char *role, GError **error)
{
  g_autofree char      *id = NULL;
  g_autoptr (DftRecord) enrollment = NULL;

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  g_return_val_if_fail (event_id != NULL && person_id != NULL, NULL);

  id = dft_enrollment_id_for (event_id, person_id);
  enrollment = dft_store_load_or_new (self, &dft_entity_enrollment, id, error);
  if (enrollment == NULL)
    return NULL;

  dft_record_set_string (enrollment, "event_id", event_id);
  dft_record_set_string (enrollment, "person_id", person_id);
  dft_record_set_string (enrollment, "role", role != NULL ? role : "participant");
  _dft_record_set_deleted (enrollment, FALSE);

  if (!dft_store_save (self, enrollment, error))
    return NULL;
  return g_steal_pointer (&enrollment);
}

static char *
derived_id (const char *kind, const char *a, const char *b, const char *c)
{
  g_autofree char *name = g_strjoin ("/", kind, a, b, c, NULL);
  return dft_uuid_v5 (DFT_UUID_NAMESPACE, name);
}

char *
dft_attendance_id_for (const char *session_id, const char *person_id)
{
  return derived_id ("attendance", session_id, person_id, NULL);
}

char *
dft_enrollment_id_for (const char *event_id, const char *person_id)
{
  return derived_id ("enrollment", event_id, person_id, NULL);
}

char *
dft_session_id_for (const char *event_id, const char *date, const char *part)
{
  return derived_id ("session", event_id, date, part);
}

/* ---- Lists ------------------------------------------------------------ */

GListModel *
dft_store_list_events (DftStore *self)
{
  return G_LIST_MODEL (
      dft_record_list_new (self, &dft_entity_event, "deleted = 0", NULL, "start_date DESC, title"));
}

GListModel *
dft_store_list_sessions (DftStore *self, const char *event_id)
{
  return G_LIST_MODEL (dft_record_list_new (
      self, &dft_entity_session, "deleted = 0 AND event_id = ?", event_id, "date, part"));
}

GListModel *
dft_store_list_people (DftStore *self, const char *event_id)
{
  if (event_id == NULL)
    return G_LIST_MODEL (
        dft_record_list_new (self, &dft_entity_person, "deleted = 0", NULL,
                             "family_name COLLATE NOCASE, given_name COLLATE NOCASE"));
  return G_LIST_MODEL (
      dft_record_list_new (self, &dft_entity_person,
                           "deleted = 0 AND id IN (SELECT person_id FROM enrollment "
                           "WHERE event_id = ? AND deleted = 0)",
                           event_id, "family_name COLLATE NOCASE, given_name COLLATE NOCASE"));
}

GListModel *
dft_store_list_enrollments (DftStore *self, const char *event_id)
{
  return G_LIST_MODEL (dft_record_list_new (
      self, &dft_entity_enrollment,
      "deleted = 0 AND event_id = ? AND " DFT_SQL_PERSON_LIVE ("enrollment.person_id"), event_id,
      "created_at"));
}

GListModel *
dft_store_list_attendance (DftStore *self, const char *session_id)
{
  return G_LIST_MODEL (dft_record_list_new (
      self, &dft_entity_attendance,
      "deleted = 0 AND session_id = ? AND " DFT_SQL_PERSON_LIVE ("attendance.person_id"),
      session_id, "person_id"));
}

GListModel *
dft_store_list_forms (DftStore *self)
{
  return G_LIST_MODEL (
      dft_record_list_new (self, &dft_entity_form, "deleted = 0", NULL, "title, version"));
}

GListModel *
dft_store_list_submissions (DftStore *self, const char *event_id)
{
  return G_LIST_MODEL (dft_record_list_new (
      self, &dft_entity_submission, "deleted = 0 AND event_id = ?", event_id, "created_at"));
}

/* ---- Sync ------------------------------------------------------------- */

char *
dft_store_get_sync_state (DftStore *self, const char *key, GError **error)
{
  char *value;

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  _dft_store_lock (self);
  value = dft_sync_state_get (self->db, key, error);
  _dft_store_unlock (self);
  return value;
}

gboolean
dft_store_set_sync_state (DftStore *self, const char *key, const char *value, GError **error)
{
  gboolean ok;

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  _dft_store_lock (self);
  ok = dft_sync_state_set (self->db, key, value, error);
  _dft_store_unlock (self);
  return ok;
}

/*
 * A secret that moved elsewhere (the device token, once the keyring holds it)
 * must leave no copy in the file: the freed space of its row is zeroed
 * (secure_delete) and the write-ahead log, which holds the pages it was on, is
 * emptied. The log is emptied only when no other connection reads it; a later
 * checkpoint overwrites the pages then.
 */
gboolean
dft_store_erase_sync_state (DftStore *self, const char *key, GError **error)
{
  gboolean ok;
  int      secure = 0;

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  _dft_store_lock (self);
  ok = query_int (self->db, "PRAGMA secure_delete", &secure, error)
       && dft_db_exec (self->db, "PRAGMA secure_delete = ON", error)
       && dft_sync_state_set (self->db, key, "", error);
  /* As it was (SQLite's build decides): zeroing every freed byte slows a pull's deletes. */
  if (secure == 0)
    dft_db_exec (self->db, "PRAGMA secure_delete = OFF", NULL);
  if (ok)
    sqlite3_wal_checkpoint_v2 (self->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
  _dft_store_unlock (self);
  return ok;
}

GPtrArray *
dft_store_read_log (DftStore   *self,
                    gint64      after_seq,
                    guint       limit,
                    const char *only_device,
                    const char *exclude_device,
                    GError    **error)
{
  GPtrArray *changes;

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  _dft_store_lock (self);
  changes = dft_change_log_read (self->db, after_seq, limit, only_device, exclude_device, error);
  _dft_store_unlock (self);
  return changes;
}

static gint64
origin_high_locked (DftStore *self, const char *device_id, GError **error)
{
  sqlite3_stmt *stmt = cached_statement (
      self,
      "SELECT max (coalesce ((SELECT max (origin_seq) FROM change_log WHERE device_id = ?1), 0),"
      " coalesce ((SELECT max (origin_seq) FROM set_aside WHERE device_id = ?1), 0))",
      error);
  gint64 high = -1;
  int    rc;

  if (stmt == NULL)
    return -1;
  sqlite3_bind_text (stmt, 1, device_id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    high = sqlite3_column_int64 (stmt, 0);
  else
    dft_db_set_error (error, self->db, rc, _ ("reading the change log"));
  sqlite3_reset (stmt);
  return high;
}

gint64
dft_store_origin_high (DftStore *self, const char *device_id, GError **error)
{
  gint64 high;

  g_return_val_if_fail (DFT_IS_STORE (self), -1);
  g_return_val_if_fail (device_id != NULL, -1);
  _dft_store_lock (self);
  high = origin_high_locked (self, device_id, error);
  _dft_store_unlock (self);
  return high;
}

/*
 * Whether this replica holds a change of the same name (device, origin seq),
 * and whether it is the same change: a copied or restored database numbers
 * its next changes as the original does, and a different change under a held
 * name is a fork, never a duplicate (dft-store-identity.c).
 */
static gboolean
change_is_known (DftStore *self, DftChange *change, gboolean *known, GError **error)
{
  sqlite3_stmt *stmt = cached_statement (self,
                                         "SELECT hlc, entity, record_id, fields FROM change_log "
                                         "WHERE device_id = ? AND origin_seq = ?",
                                         error);
  gboolean      same = TRUE;
  int           rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, change->device_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, change->origin_seq);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    same = _dft_change_matches (change, (DftHlcValue) sqlite3_column_int64 (stmt, 0),
                                (const char *) sqlite3_column_text (stmt, 1),
                                (const char *) sqlite3_column_text (stmt, 2),
                                (const char *) sqlite3_column_text (stmt, 3));
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return dft_db_set_error (error, self->db, rc, _ ("reading the change log"));
  *known = rc == SQLITE_ROW;
  if (!same)
    return _dft_store_set_fork_error (error, change);
  return TRUE;
}

static gboolean
bad_change (GError **error, DftChange *change, const char *field)
{
  g_set_error (
      error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID,
      /* Translators: a received change is refused; first %s is a kind of record, second a
         field name */
      _ ("A received change to a %s has a field “%s” that is unknown or of the wrong type; "
         "nothing of this sync was applied."),
      change->entity, field);
  return FALSE;
}

/* A received value as the record's field holds it; FALSE when its type does not fit. */
static gboolean
json_to_value (const DftField *field, JsonNode *node, GValue *value)
{
  gboolean null = JSON_NODE_HOLDS_NULL (node);
  GType    type = null ? G_TYPE_INVALID : json_node_get_value_type (node);

  switch (G_VALUE_TYPE (value))
    {
    case G_TYPE_INT64:
      if (type != G_TYPE_INT64)
        return FALSE;
      g_value_set_int64 (value, json_node_get_int (node));
      return TRUE;
    case G_TYPE_DOUBLE:
      if (null)
        g_value_set_double (value, NAN);
      else if (type == G_TYPE_DOUBLE || type == G_TYPE_INT64)
        g_value_set_double (value, json_node_get_double (node));
      else
        return FALSE;
      return TRUE;
    case G_TYPE_BOOLEAN:
      if (type != G_TYPE_BOOLEAN)
        return FALSE;
      g_value_set_boolean (value, json_node_get_boolean (node));
      return TRUE;
    default:
      if (null)
        {
          g_value_set_string (value, NULL);
          return TRUE;
        }
      if (type != G_TYPE_STRING)
        return FALSE;
      if (field->type == DFT_FIELD_CHOICE
          && !dft_field_has_choice (field, json_node_get_string (node)))
        return FALSE;
      g_value_set_string (value, json_node_get_string (node));
      return TRUE;
    }
}

static gboolean
set_created_at (
    DftStore *self, const DftEntity *entity, const char *id, const char *created_at, GError **error)
{
  g_autofree char *sql = g_strdup_printf (
      "UPDATE %s SET created_at = ?1 WHERE id = ?2 AND created_at > ?1", entity->name);
  sqlite3_stmt *stmt = cached_statement (self, sql, error);
  gboolean      ok;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, created_at, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
  ok = dft_db_step_done (self->db, stmt, error);
  sqlite3_reset (stmt);
  return ok;
}

/*
 * A conflict record for the value that lost. Its id comes from what it is
 * about, so replicas that find the same loss make the same record, and it is
 * saved like any change here, so it reaches the coordinators through sync.
 */
static DftRecord *
make_conflict (const char       *entity,
               const char       *record_id,
               const char       *field,
               JsonNode         *lost,
               const DftVersion *lost_version)
{
  g_autofree char *version = dft_version_format (lost_version);
  g_autofree char *name = g_strjoin ("/", "conflict", entity, record_id, field, version, NULL);
  g_autofree char *id = dft_uuid_v5 (DFT_UUID_NAMESPACE, name);
  g_autofree char *value = json_to_string (lost, FALSE);
  DftRecord       *conflict = dft_record_new_for_entity (&dft_entity_conflict);

  _dft_record_set_identity (conflict, id, NULL, NULL, FALSE, TRUE);
  g_object_set (conflict, "entity-name", entity, "record-id", record_id, "field", field,
                "lost-value", value, "lost-version", version, NULL);
  return conflict;
}

static gboolean
apply_one (DftStore      *self,
           DftChange     *change,
           const char    *only_field,
           const char    *stamp,
           GPtrArray     *conflicts,
           GPtrArray     *written,
           DftApplyStats *stats,
           GError       **error)
{
  const DftEntity      *entity = dft_entity_lookup (change->entity);
  g_autoptr (DftRecord) record = NULL;
  g_autoptr (GList)     names = NULL;
  DftVersion            incoming = { change->hlc, change->device_id };
  g_auto (DftVersion)   final_version = { 0 };
  const char           *created_at = NULL;
  gboolean              known = FALSE, taken = FALSE, names_taken = FALSE;
  gboolean              was_new, held_final = FALSE, incoming_final = FALSE;

  /* Merged again (see remerge_ties()): held already, it meets what holds the field now. */
  if (only_field == NULL && !change_is_known (self, change, &known, error))
    return FALSE;
  if (known)
    {
      stats->duplicates++;
      return TRUE;
    }
  if (entity == NULL || !dft_uuid_is_valid (change->device_id))
    return bad_change (error, change, "-");

  record = dft_store_load_or_new (self, entity, change->record_id, error);
  if (record == NULL)
    return FALSE;

  /* A final submission never changes: the fields of a change that made it
   * final rank above every other change to it, whatever the clocks say, and
   * two changes that both made it final meet by their clocks like any two
   * writes (PROTOCOL.md, Merge). Both ranks come from the changes, so every
   * order of arrival ends the same. */
  was_new = dft_record_is_new (record);
  if (entity == &dft_entity_submission)
    {
      JsonNode *status = json_object_get_member (change->fields, "status");

      incoming_final = status != NULL && JSON_NODE_HOLDS_VALUE (status)
                       && json_node_get_value_type (status) == G_TYPE_STRING
                       && g_str_equal (json_node_get_string (status), "final");
      held_final = !was_new && stored_status_is_final (self, change->record_id);
      if (held_final
          && !read_field_version (self, entity->name, change->record_id, "status", &final_version,
                                  NULL, error))
        return FALSE;
    }
  names = json_object_get_members (change->fields);
  for (GList *l = names; l != NULL; l = l->next)
    {
      const char          *name = l->data;
      JsonNode            *node = json_object_get_member (change->fields, name);
      g_auto (DftVersion)  held = { 0 };
      g_auto (DftVersion)  held_base = { 0 };
      g_auto (DftVersion)  incoming_base = { 0 };
      g_auto (GValue)      value = G_VALUE_INIT;
      g_autoptr (JsonNode) current = NULL;
      int                  index = -1;
      gboolean             conflict = FALSE;
      DftMergeOutcome      outcome;

      if (only_field != NULL && !g_str_equal (name, only_field))
        continue;
      if (g_str_equal (name, "created_at"))
        {
          /* The earliest any device made it with, so that every replica holds the same. */
          if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
            created_at = json_node_get_string (node);
          if (was_new && created_at != NULL)
            _dft_record_set_identity (record, change->record_id, created_at, NULL,
                                      dft_record_get_deleted (record), TRUE);
          continue;
        }
      if (g_str_equal (name, "deleted"))
        {
          if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
            return bad_change (error, change, name);
          current = json_node_init_boolean (json_node_alloc (), dft_record_get_deleted (record));
        }
      else
        {
          index = dft_entity_field_index (entity, name);
          if (index < 0 || (!JSON_NODE_HOLDS_VALUE (node) && !JSON_NODE_HOLDS_NULL (node)))
            return bad_change (error, change, name);
          g_value_init (&value, G_VALUE_TYPE (dft_record_get_value (record, (guint) index)));
          if (!json_to_value (&entity->fields[index], node, &value))
            return bad_change (error, change, name);
          current = value_to_json (&entity->fields[index],
                                   dft_record_get_value (record, (guint) index));
        }

      if (!read_field_version (self, entity->name, change->record_id, name, &held, &held_base,
                               error))
        return FALSE;
      if (change->base != NULL && json_object_has_member (change->base, name))
        dft_version_parse (json_object_get_string_member (change->base, name), &incoming_base);

      outcome = dft_merge_field_ranked (
          &held, held_final && dft_version_equal (&held, &final_version) ? 1 : 0, &held_base,
          &incoming, incoming_final ? 1 : 0, &incoming_base, json_node_equal (current, node),
          &conflict);
      if (conflict)
        g_ptr_array_add (
            conflicts,
            outcome == DFT_MERGE_TAKE
                ? make_conflict (entity->name, change->record_id, name, current, &held)
                : make_conflict (entity->name, change->record_id, name, node, &incoming));
      if (outcome != DFT_MERGE_TAKE)
        continue;

      {
        g_autofree char *base_text = dft_version_format (&incoming_base);
        if (!write_field_version (self, entity->name, change->record_id, name, change->hlc,
                                  change->device_id, base_text, error))
          return FALSE;
      }
      if (index < 0)
        _dft_record_set_deleted (record, json_node_get_boolean (node));
      else
        dft_record_set_value (record, (guint) index, &value);
      names_taken |= g_str_equal (name, "given_name") || g_str_equal (name, "family_name");
      taken = TRUE;
    }

  if (taken || dft_record_is_new (record))
    {
      if (!write_row (self, record, stamp, error))
        return FALSE;
      if (entity == &dft_entity_person && (names_taken || dft_record_is_new (record))
          && !update_person_key (self, record, error))
        return FALSE;
      g_ptr_array_add (written, g_object_ref (record));
    }
  if (only_field != NULL)
    return TRUE;
  if (created_at != NULL && !was_new
      && !set_created_at (self, entity, change->record_id, created_at, error))
    return FALSE;
  if (taken)
    stats->applied++;
  else
    stats->outdated++;
  /* A conflict found elsewhere and received is one this replica now keeps too. */
  if (entity == &dft_entity_conflict && was_new)
    stats->conflicts++;

  /* Kept whether it won or not: this replica now holds it, and passes it on. */
  return append_change (self, change, error);
}

/*
 * Changes of this database that took a new device id (their clock values
 * listed in temp.dft_renumbered) now meet other writes by the new name. Only
 * a write with the very same clock value can rank the other way than it did
 * (the device id breaks that tie), so each field such a change wrote whose
 * holder has that clock value is merged again among every write to it with
 * that value, as a replica that received them under these names merges them.
 * Locked, inside the caller's transaction.
 */
gboolean
_dft_store_remerge_ties_locked (DftStore *self, const char *device_id, GError **error)
{
  g_autoptr (GPtrArray)    log = dft_change_log_read (self->db, 0, 0, NULL, NULL, error);
  g_autoptr (GPtrArray)    written = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray)    conflicts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GHashTable)   renamed = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autofree char         *stamp = now_stamp ();
  DftApplyStats            stats = { 0 };
  int                      rc;

  if (log == NULL
      || !dft_db_prepare (self->db, "SELECT hlc FROM temp.dft_renumbered", &stmt, error))
    return FALSE;
  /* The log holds the values the table lists; the table only says which. */
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 hlc = sqlite3_column_int64 (stmt, 0);

      for (guint i = 0; i < log->len; i++)
        {
          DftChange *c = g_ptr_array_index (log, i);

          if ((gint64) c->hlc == hlc && g_str_equal (c->device_id, device_id))
            g_hash_table_add (renamed, &c->hlc);
        }
    }
  if (rc != SQLITE_DONE)
    return dft_db_set_error (error, self->db, rc, _ ("reading the change log"));

  for (guint i = 0; i < log->len; i++)
    {
      DftChange        *mine = g_ptr_array_index (log, i);
      g_autoptr (GList) fields = NULL;

      if (!g_str_equal (mine->device_id, device_id) || !g_hash_table_contains (renamed, &mine->hlc))
        continue;
      fields = json_object_get_members (mine->fields);
      for (GList *l = fields; l != NULL; l = l->next)
        {
          g_auto (DftVersion) held = { 0 };

          if (g_str_equal (l->data, "created_at"))
            continue;
          if (!read_field_version (self, mine->entity, mine->record_id, l->data, &held, NULL,
                                   error))
            return FALSE;
          if (held.device == NULL || held.hlc != mine->hlc)
            continue;
          /* Every write of this field with this clock value, in the log's order. */
          for (guint j = 0; j < log->len; j++)
            {
              DftChange *other = g_ptr_array_index (log, j);

              if (other->hlc == mine->hlc && g_str_equal (other->entity, mine->entity)
                  && g_str_equal (other->record_id, mine->record_id)
                  && json_object_has_member (other->fields, l->data)
                  && !apply_one (self, other, l->data, stamp, conflicts, written, &stats, error))
                return FALSE;
            }
        }
    }
  if (!commit_conflicts (self, conflicts, stamp, dft_hlc_wall_ms (), written, NULL, NULL, error))
    return FALSE;
  for (guint i = 0; i < written->len; i++)
    _dft_record_mark_saved (g_ptr_array_index (written, i), stamp);
  if (written->len > 0)
    emit_changed (self, written);
  return TRUE;
}

gboolean
dft_store_set_aside (DftStore   *self,
                     const char *device_id,
                     gint64      origin_seq,
                     gpointer    change_ptr,
                     const char *reason,
                     GError    **error)
{
  DftChange            *change = change_ptr;
  g_autofree char      *stamp = now_stamp ();
  g_autofree char      *text = NULL;
  g_autoptr (GPtrArray) own = NULL;
  const char           *entity = change != NULL ? change->entity : NULL;
  const char           *record_id = change != NULL ? change->record_id : NULL;
  sqlite3_stmt         *stmt;
  gboolean              ok = FALSE;

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  g_return_val_if_fail (device_id != NULL && reason != NULL, FALSE);

  if (change != NULL)
    {
      g_autoptr (GPtrArray) one = g_ptr_array_new ();
      g_autoptr (GBytes)    bytes = NULL;

      g_ptr_array_add (one, change);
      bytes = dft_wire_encode_batch (one, NULL);
      text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
    }
  else
    {
      /* A laptop's own: its log holds the change; the row names the record. */
      own = dft_store_read_log (self, 0, 0, device_id, NULL, error);
      if (own == NULL)
        return FALSE;
      for (guint i = 0; i < own->len; i++)
        {
          DftChange *c = g_ptr_array_index (own, i);

          if (c->origin_seq == origin_seq)
            {
              entity = c->entity;
              record_id = c->record_id;
            }
        }
      if (entity == NULL)
        return TRUE; /* not one of ours: nothing to tell anyone */
    }

  _dft_store_lock (self);
  stmt = cached_statement (self,
                           "INSERT OR IGNORE INTO set_aside (device_id, origin_seq, entity, "
                           "record_id, change, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           error);
  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, device_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 2, origin_seq);
      sqlite3_bind_text (stmt, 3, entity, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 4, record_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 5, text, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 6, reason, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 7, stamp, -1, SQLITE_TRANSIENT);
      ok = dft_db_step_done (self->db, stmt, error);
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
    }
  _dft_store_unlock (self);
  return ok;
}

guint
dft_store_count_set_aside (DftStore   *self,
                           const char *device_id,
                           char      **latest_reason,
                           GError    **error)
{
  sqlite3_stmt *stmt;
  guint         count = 0;
  int           rc;

  g_return_val_if_fail (DFT_IS_STORE (self), 0);

  if (latest_reason != NULL)
    *latest_reason = NULL;
  _dft_store_lock (self);
  stmt = cached_statement (self,
                           "SELECT count (*) OVER (), reason FROM set_aside "
                           "WHERE ?1 IS NULL OR device_id = ?1 ORDER BY at DESC, origin_seq DESC "
                           "LIMIT 1",
                           error);
  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, device_id, -1, SQLITE_TRANSIENT);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          count = (guint) sqlite3_column_int64 (stmt, 0);
          if (latest_reason != NULL)
            *latest_reason = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
        }
      else if (rc != SQLITE_DONE)
        dft_db_set_error (error, self->db, rc, _ ("reading the changes the server set aside"));
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
    }
  _dft_store_unlock (self);
  return count;
}

gint64
dft_store_count_open_conflicts (DftStore *self, GError **error)
{
  sqlite3_stmt *stmt;
  gint64        count = -1;
  int           rc;

  g_return_val_if_fail (DFT_IS_STORE (self), -1);

  _dft_store_lock (self);
  stmt = cached_statement (
      self, "SELECT count (*) FROM conflict WHERE deleted = 0 AND resolved = 0", error);
  if (stmt != NULL)
    {
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        count = sqlite3_column_int64 (stmt, 0);
      else
        dft_db_set_error (error, self->db, rc, _ ("counting the conflicts to decide"));
      sqlite3_reset (stmt);
    }
  _dft_store_unlock (self);
  return count;
}

/*
 * The values of @field the register already holds in live @entity records, most used first
 * (then in order), at most @limit: what a person dialog offers while an agency or a position
 * is typed, so that the team writes one agency one way.
 */
GStrv
dft_store_list_values (
    DftStore *self, const DftEntity *entity, const char *field, guint limit, GError **error)
{
  g_autoptr (GStrvBuilder) values = g_strv_builder_new ();
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autofree char         *sql = NULL;
  int                      rc;

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  g_return_val_if_fail (entity != NULL && field != NULL, NULL);
  /* Names from the schema only: they are written into the statement. */
  g_return_val_if_fail (dft_entity_field_index (entity, field) >= 0, NULL);

  sql = g_strdup_printf ("SELECT \"%s\", count (*) AS n FROM \"%s\" WHERE deleted = 0 AND "
                         "trim (coalesce (\"%s\", '')) != '' GROUP BY \"%s\" "
                         "ORDER BY n DESC, \"%s\" LIMIT ?",
                         field, entity->name, field, field, field);
  _dft_store_lock (self);
  if (!dft_db_prepare (self->db, sql, &stmt, error))
    {
      _dft_store_unlock (self);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, limit);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_strv_builder_add (values, (const char *) sqlite3_column_text (stmt, 0));
  if (rc != SQLITE_DONE)
    {
      dft_db_set_error (error, self->db, rc, _ ("reading the values already used"));
      _dft_store_unlock (self);
      return NULL;
    }
  _dft_store_unlock (self);
  return g_strv_builder_end (values);
}

gboolean
dft_store_apply_changes (DftStore *self, GPtrArray *changes, DftApplyStats *stats, GError **error)
{
  g_autoptr (GPtrArray) written = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) conflicts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char      *stamp = now_stamp ();
  DftApplyStats         local = { 0 };
  DftHlc                saved_clock;
  gint64                wall_ms = dft_store_wall_ms (self);
  gint64                most_ahead = 0;

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  g_return_val_if_fail (changes != NULL, FALSE);

  if (g_atomic_int_get (&self->damaged))
    {
      g_set_error (error, DFT_DB_ERROR, DFT_DB_ERROR_CORRUPT,
                   _ ("The database is damaged, so Daftari does not write to it. Nothing was "
                      "saved; keep a copy of the file and restore your data from a backup."));
      return FALSE;
    }

  _dft_store_lock (self);
  saved_clock = self->clock;
  if (!dft_db_exec (self->db, "BEGIN IMMEDIATE", error))
    goto fail_no_txn;

  for (guint i = 0; i < changes->len; i++)
    {
      DftChange *change = g_ptr_array_index (changes, i);

      gboolean ahead = FALSE;

      if (!apply_one (self, change, NULL, stamp, conflicts, written, &local, error))
        goto fail;
      /* A change from a clock set far ahead is kept, but this clock does not follow it
       * (DESIGN.md): what is made here next is stamped by this replica's own time. */
      dft_hlc_receive_bounded (&self->clock, change->hlc, wall_ms, &ahead);
      if (ahead)
        {
          local.clocks_ahead++;
          most_ahead = MAX (most_ahead, dft_hlc_ahead_ms (change->hlc, wall_ms));
        }
    }
  if (local.clocks_ahead > 0)
    {
      g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, most_ahead);

      g_debug ("store: %u received changes carry clocks up to %" G_GINT64_FORMAT
               " ms ahead of this one; not followed",
               local.clocks_ahead, most_ahead);
      if (!dft_sync_state_set (self->db, "clock_ahead_ms", text, error))
        goto fail;
    }

  /* Conflicts are this replica's own changes, made after what it received. */
  if (!commit_conflicts (self, conflicts, stamp, wall_ms, written, NULL, &local.conflicts, error))
    goto fail;

  {
    g_autofree char *clock = g_strdup_printf ("%" G_GUINT64_FORMAT, self->clock.last);
    if (!dft_sync_state_set (self->db, "hlc", clock, error))
      goto fail;
  }
  if (sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    {
      if (sqlite3_extended_errcode (self->db) == SQLITE_CONSTRAINT_FOREIGNKEY)
        g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID,
                     _ ("Received changes refer to records this device does not hold; nothing of "
                        "this sync was applied."));
      else
        dft_db_set_error (error, self->db, sqlite3_extended_errcode (self->db),
                          _ ("saving received changes"));
      goto fail;
    }
  _dft_store_unlock (self);

  for (guint i = 0; i < written->len; i++)
    _dft_record_mark_saved (g_ptr_array_index (written, i), stamp);
  if (written->len > 0)
    emit_changed (self, written);
  if (stats != NULL)
    *stats = local;
  return TRUE;

fail:
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
fail_no_txn:
  self->clock = saved_clock;
  _dft_store_unlock (self);
  return FALSE;
}

GListModel *
dft_store_list_conflicts (DftStore *self)
{
  return G_LIST_MODEL (dft_record_list_new (self, &dft_entity_conflict,
                                            "deleted = 0 AND resolved = 0", NULL, "created_at"));
}
