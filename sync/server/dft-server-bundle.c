/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "dft-bundle.h"
#include "dft-db.h"
#include "dft-search.h"
#include "dft-server-bundle.h"
#include "dft-server-cluster-files.h"
#include "dft-server-scope.h"
#include "dft-store-attachments.h"
#include "dft-store-merges.h"

/* How long the copy of a register waits for a process that is writing to it. */
#define COPY_BUSY_MS 30000

/* The enrolled key of the device that claims to have made the bundle. */
static gboolean
enrolled_key (
    const char *device_id, const guint8 *claimed, guint8 *key, gpointer user_data, GError **error)
{
  DftServerDb          *db = user_data;
  g_autoptr (GError)    local_error = NULL;
  g_autoptr (DftDevice) device = dft_server_db_find_device (db, device_id, &local_error);
  g_autofree guchar    *raw = NULL;
  gsize                 length = 0;

  if (device == NULL
      && !g_error_matches (local_error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (device == NULL || device->sign_key == NULL)
    {
      g_set_error_literal (error, DFT_BUNDLE_ERROR, DFT_BUNDLE_ERROR_UNKNOWN_SIGNER,
                           _ ("This bundle was made by a device this server never enrolled, or "
                              "before it signed in with this version of Daftari. Nothing was "
                              "imported."));
      return FALSE;
    }
  if (device->revoked_at != 0)
    {
      g_set_error_literal (error, DFT_BUNDLE_ERROR, DFT_BUNDLE_ERROR_UNKNOWN_SIGNER,
                           _ ("This bundle was made by a device that was revoked. Nothing was "
                              "imported."));
      return FALSE;
    }
  raw = g_base64_decode (device->sign_key, &length);
  if (length != 32)
    return g_set_error_literal (error, DFT_BUNDLE_ERROR, DFT_BUNDLE_ERROR_UNKNOWN_SIGNER,
                                _ ("This device’s key on the server is damaged.")),
           FALSE;
  memcpy (key, raw, length);
  return TRUE;
}

/* The end of an import that applied nothing, in a cluster: its write lock goes. */
static gboolean
abort_import (DftServerCluster *cluster)
{
  if (cluster != NULL)
    dft_server_cluster_push_abort (cluster);
  return FALSE;
}

gboolean
dft_server_import_bundle (DftStore         *store,
                          DftServerDb      *db,
                          DftServerCluster *cluster,
                          GFile            *file,
                          const char       *passphrase,
                          DftApplyStats    *stats,
                          guint            *skipped,
                          char            **signer,
                          GCancellable     *cancellable,
                          GError          **error)
{
  g_autoptr (DftBundle) bundle = NULL;
  g_autoptr (DftDevice) device = NULL;
  g_autoptr (DftScope)  scope = NULL;
  g_autoptr (GPtrArray) accepted = NULL;
  g_autoptr (GPtrArray) claim_ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) claim_entities = g_ptr_array_new_with_free_func (g_free);
  GPtrArray            *changes;
  gboolean              forked = FALSE, applied, ahead = FALSE;
  guint                 index = 0, left_out = 0;

  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);
  g_return_val_if_fail (DFT_IS_SERVER_DB (db), FALSE);
  g_return_val_if_fail (G_IS_FILE (file), FALSE);

  bundle = dft_bundle_open (store, file, passphrase, enrolled_key, db, cancellable, error);
  if (bundle == NULL)
    return FALSE;
  device = dft_server_db_find_device (db, dft_bundle_get_signer (bundle), error);
  if (device == NULL)
    return FALSE;
  changes = dft_bundle_get_changes (bundle);

  /* In a cluster, as a push: one writer in every process, on a replica that holds the whole
   * shared log, so that what is checked below is checked against all there is. The search
   * keys' transliterator is opened before that lock, not under it. */
  dft_search_prepare ();
  if (cluster != NULL && !dft_server_cluster_push_begin (cluster, store, error))
    return FALSE;
  /* A clock far ahead of this one's would win every merge for as long as it lasts (issue 13):
   * the bundle is refused whole, as a push is. */
  if (!dft_store_check_clocks (store, changes, NULL, NULL, error))
    return abort_import (cluster);
  /* As at a laptop: a bundle that forks from what the server holds is refused whole. */
  if (!dft_store_find_fork (store, changes, &forked, &index, error))
    return abort_import (cluster);
  if (forked)
    {
      g_set_error_literal (error, DFT_STORE_ERROR, DFT_STORE_ERROR_FORKED,
                           _ ("This bundle holds changes that differ from those the server "
                              "holds under the same names: it comes from a copied database. "
                              "Sync that laptop instead. Nothing was imported."));
      return abort_import (cluster);
    }
  scope = dft_scope_new (store, db, device);
  accepted = dft_scope_filter_relay (scope, changes, claim_ids, claim_entities, &left_out, error);
  if (accepted == NULL
      || !dft_server_db_claim (db, claim_ids, claim_entities, device->team_id,
                               g_get_real_time () / G_USEC_PER_SEC, error))
    return abort_import (cluster);
  applied = accepted->len == 0 || dft_store_apply_changes (store, accepted, stats, error);
  /* Into the shared log; its commit lets the write lock go, failed or not. */
  if (!applied)
    abort_import (cluster);
  else if (cluster != NULL && !dft_server_cluster_push_commit (cluster, store, &ahead, error))
    applied = FALSE;
  if (!applied)
    {
      g_autoptr (GError) unclaim_error = NULL;

      /* Nothing of a refused bundle stays, its workshops' owners included. */
      if (!dft_server_db_unclaim (db, claim_ids, &unclaim_error))
        g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                          "could not undo workshop claims: %s", unclaim_error->message);
      return FALSE;
    }
  /* The files it carries, once its changes are in: nothing of a refused bundle is stored.
   * Should this fail, the laptop that made the bundle still holds them for its next sync. In
   * a cluster they go where every process finds them. */
  if (!dft_bundle_keep_files (bundle, store, NULL, NULL, cancellable, error))
    return FALSE;
  for (guint i = 0; cluster != NULL && i < dft_bundle_get_n_files (bundle); i++)
    {
      const char *sha256 = dft_bundle_get_file_sha256 (bundle, i);

      /* One whose bytes were not its hash's was not kept (dft_bundle_keep_files()). */
      if (dft_store_attachment_received (store, sha256) <= 0)
        continue;
      if (!dft_server_cluster_files_put (dft_server_cluster_get_files (cluster), store, sha256,
                                         error))
        return FALSE;
    }
  if (skipped != NULL)
    *skipped = left_out;
  if (signer != NULL)
    *signer = g_strdup (device->id);
  return TRUE;
}

/* ---- In a cluster ---------------------------------------------------------- */

/* A copy of the register at @from, made with SQLite's backup API while a process may be
 * serving from it. */
static gboolean
copy_register (const char *from, const char *to, GError **error)
{
  sqlite3        *source = NULL, *target = NULL;
  sqlite3_backup *backup;
  int             rc;

  rc = sqlite3_open_v2 (from, &source, SQLITE_OPEN_READONLY, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_open_v2 (to, &target, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_busy_timeout (source, COPY_BUSY_MS);
      backup = sqlite3_backup_init (target, "main", source, "main");
      rc = backup != NULL ? sqlite3_backup_step (backup, -1) : sqlite3_errcode (target);
      if (backup != NULL && sqlite3_backup_finish (backup) != SQLITE_OK && rc == SQLITE_DONE)
        rc = sqlite3_errcode (target);
    }
  if (rc != SQLITE_DONE)
    dft_db_set_error (error, target != NULL ? target : source, rc,
                      _ ("copying the register for the import"));
  sqlite3_close (source);
  sqlite3_close (target);
  return rc == SQLITE_DONE;
}

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char      *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

/*
 * The replica the import uses: a copy of @replica_path, the one this configuration's process
 * serves from, brought to the log's end by the import's push_begin(); or a new one made from
 * the whole log when there is none, it cannot be copied, or it holds what the log lacks. The
 * cluster's bundle key and epoch go in, as a process's own replica has them.
 */
static DftStore *
open_import_replica (DftServerCluster *cluster,
                     const char       *replica_path,
                     const char       *path,
                     GError          **error)
{
  g_autoptr (GError)   local = NULL;
  g_autofree char     *epoch = NULL;
  g_autoptr (DftStore) store = NULL;
  gboolean             ahead = TRUE;

  if (g_file_test (replica_path, G_FILE_TEST_IS_REGULAR)
      && copy_register (replica_path, path, &local))
    {
      store = dft_store_open (path, &local);
      if (store != NULL && !dft_server_cluster_check_replica (cluster, store, &ahead, &local))
        ahead = TRUE;
    }
  if (local != NULL)
    g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                      "the import makes its register from the shared log: %s", local->message);
  if (ahead)
    {
      const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };

      g_clear_object (&store);
      for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
        {
          g_autofree char *file = g_strconcat (path, suffixes[i], NULL);

          g_unlink (file);
        }
      store = dft_store_open (path, error);
      if (store == NULL)
        return NULL;
    }
  dft_store_set_derives_merges (store, FALSE);
  epoch = dft_server_cluster_epoch (cluster, error);
  /* As a serving process's own register: one made from the whole log would otherwise count
   * attendance tallies for every mark of a register thrown away after the import. */
  if (epoch == NULL || !dft_store_set_keeps_tallies (store, FALSE, error)
      || !dft_server_cluster_share_box_secret (cluster, store, error)
      /* A late change to a person purged before the register moved is set aside here too. */
      || !dft_server_cluster_take_purged (cluster, store, error)
      /* A bundle names the epoch of the data it was made for (dft-bundle.c). */
      || !dft_store_set_sync_state (store, "server_epoch", epoch, error))
    return NULL;
  return g_steal_pointer (&store);
}

gboolean
dft_server_import_bundle_in_cluster (const char    *uri,
                                     const char    *data_dir,
                                     DftServerDb   *db,
                                     GFile         *file,
                                     const char    *passphrase,
                                     DftApplyStats *stats,
                                     guint         *skipped,
                                     char         **signer,
                                     GError       **error)
{
  g_autofree char  *replica_path = g_build_filename (data_dir, "records.db", NULL);
  g_autofree char  *work = g_build_filename (data_dir, ".import-XXXXXX", NULL);
  g_autofree char  *path = NULL;
  DftServerCluster *cluster;
  DftStore         *store = NULL;
  gboolean          ok = FALSE;

  g_return_val_if_fail (uri != NULL && data_dir != NULL && DFT_IS_SERVER_DB (db), FALSE);

  cluster = dft_server_cluster_open (uri, error);
  if (cluster == NULL)
    return FALSE;
  if (g_mkdir_with_parents (data_dir, 0700) != 0 || g_mkdtemp_full (work, 0700) == NULL)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   /* Translators: %s is a folder, then the system's reason */
                   _ ("Could not make the folder “%s”: %s"), data_dir, g_strerror (saved));
      dft_server_cluster_free (cluster);
      return FALSE;
    }
  path = g_build_filename (work, "records.db", NULL);
  store = open_import_replica (cluster, replica_path, path, error);
  if (store != NULL)
    ok = dft_server_import_bundle (store, db, cluster, file, passphrase, stats, skipped, signer,
                                   NULL, error);
  g_clear_object (&store);
  dft_server_cluster_free (cluster);
  remove_tree (work);
  return ok;
}
