/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdatomic.h>

#include "dft-db.h"
#include "dft-store-internal.h"

/* A checkpoint is due past this many pages of write-ahead log (SQLite's own
 * default), and is made at once, quiet or not, past the larger figure. */
#define CHECKPOINT_PAGES       1000
#define CHECKPOINT_FORCE_PAGES 16000
#define CHECKPOINT_QUIET_USEC  (2 * G_USEC_PER_SEC)

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

int
_dft_store_wal_hook_cb (void *data, sqlite3 *db, const char *name, int pages)
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
      _dft_store_queue_in_context (self, source, quiet_checkpoint_cb, NULL, NULL);
    }
  return SQLITE_OK;
}

/* ---- Checking --------------------------------------------------------- */

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
        _dft_store_run_in_context (self, _dft_store_notify_damaged_cb, NULL, NULL);
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
