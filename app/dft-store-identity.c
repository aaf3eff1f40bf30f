/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <math.h>

#include "dft-db.h"
#include "dft-store-private.h"
#include "dft-uuid.h"

/*
 * A device's identity is its id in sync_state plus the numbers it gives its
 * own changes. A database file copied to a second laptop, or put back from a
 * backup, carries both along: the two copies then number different changes
 * alike. Every replica therefore compares a change it already holds by name
 * with the one it receives, and a forked database takes a new identity for
 * the changes no one has acknowledged yet (sync/PROTOCOL.md, "Forks").
 */

/* Numbers that went through JSON text may come back a last bit apart. */
static gboolean
node_same (JsonNode *a, JsonNode *b)
{
  if (JSON_NODE_HOLDS_VALUE (a) && JSON_NODE_HOLDS_VALUE (b)
      && (json_node_get_value_type (a) == G_TYPE_DOUBLE
          || json_node_get_value_type (b) == G_TYPE_DOUBLE)
      && json_node_get_value_type (a) != G_TYPE_STRING
      && json_node_get_value_type (b) != G_TYPE_STRING)
    {
      double x = json_node_get_double (a), y = json_node_get_double (b);
      return x == y || fabs (x - y) <= 1e-12 * MAX (fabs (x), fabs (y));
    }
  return json_node_equal (a, b);
}

gboolean
_dft_change_matches (const DftChange *change,
                     DftHlcValue      hlc,
                     const char      *entity,
                     const char      *record_id,
                     const char      *fields)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GList)      names = NULL;
  JsonNode              *root;
  JsonObject            *held;

  if (change->hlc != hlc || g_strcmp0 (change->entity, entity) != 0
      || g_strcmp0 (change->record_id, record_id) != 0)
    return FALSE;
  if (fields == NULL || !json_parser_load_from_data (parser, fields, -1, NULL)
      || (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return FALSE;
  held = json_node_get_object (root);
  if (json_object_get_size (held) != json_object_get_size (change->fields))
    return FALSE;
  names = json_object_get_members (change->fields);
  for (GList *l = names; l != NULL; l = l->next)
    {
      JsonNode *mine = json_object_get_member (held, l->data);

      if (mine == NULL || !node_same (mine, json_object_get_member (change->fields, l->data)))
        return FALSE;
    }
  return TRUE;
}

gboolean
dft_store_set_fork_error (GError **error, const DftChange *change)
{
  g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_FORKED,
               /* Translators: %lld is a change's number, %s a device id */
               _ ("Change %lld of device %s differs from the one already held under that name: "
                  "a copy of a database is in use on two devices. Nothing of it was applied."),
               (long long) change->origin_seq, change->device_id);
  return FALSE;
}

gboolean
dft_store_find_fork (
    DftStore *self, GPtrArray *changes, gboolean *found, guint *index, GError **error)
{
  sqlite3                 *db;
  g_autoptr (sqlite3_stmt) stmt = NULL;
  gboolean                 ok = TRUE;

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  g_return_val_if_fail (changes != NULL && found != NULL && index != NULL, FALSE);

  *found = FALSE;
  _dft_store_lock (self);
  db = _dft_store_get_db (self);
  if (!dft_db_prepare (db,
                       "SELECT hlc, entity, record_id, fields FROM change_log "
                       "WHERE device_id = ? AND origin_seq = ?",
                       &stmt, error))
    ok = FALSE;
  for (guint i = 0; ok && !*found && i < changes->len; i++)
    {
      DftChange *change = g_ptr_array_index (changes, i);
      int        rc;

      sqlite3_reset (stmt);
      sqlite3_bind_text (stmt, 1, change->device_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 2, change->origin_seq);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW
          && !_dft_change_matches (change, (DftHlcValue) sqlite3_column_int64 (stmt, 0),
                                   (const char *) sqlite3_column_text (stmt, 1),
                                   (const char *) sqlite3_column_text (stmt, 2),
                                   (const char *) sqlite3_column_text (stmt, 3)))
        {
          *found = TRUE;
          *index = i;
        }
      else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        ok = dft_db_set_error (error, db, rc, _ ("reading the change log"));
    }
  _dft_store_unlock (self);
  return ok;
}

static gboolean
exec_bound (
    sqlite3 *db, const char *sql, const char *a, const char *b, gint64 n, gint64 m, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  if (!dft_db_prepare (db, sql, &stmt, error))
    return FALSE;
  /* Not every statement names every parameter. */
  if (sqlite3_bind_parameter_count (stmt) >= 1)
    sqlite3_bind_text (stmt, 1, a, -1, SQLITE_STATIC);
  if (sqlite3_bind_parameter_count (stmt) >= 2)
    sqlite3_bind_text (stmt, 2, b, -1, SQLITE_STATIC);
  if (sqlite3_bind_parameter_count (stmt) >= 3)
    sqlite3_bind_int64 (stmt, 3, n);
  if (sqlite3_bind_parameter_count (stmt) >= 4)
    sqlite3_bind_int64 (stmt, 4, m);
  return dft_db_step_done (db, stmt, error);
}

/*
 * The renumbered changes keep their clock values; versions that named them
 * ("HLC/DEVICE" in field_version and in later changes' bases) name the new
 * device, so the merge still sees a later edit of ours as having seen them.
 */
static const char *const renumber_sql[] = {
  "CREATE TEMP TABLE IF NOT EXISTS dft_renumbered (hlc INTEGER PRIMARY KEY)",
  "DELETE FROM temp.dft_renumbered",
  "INSERT INTO temp.dft_renumbered (hlc) SELECT hlc FROM change_log "
  "WHERE device_id = ?1 AND origin_seq > ?3",
  /* Own changes are numbered without a gap, so this numbers the moved ones on from ?4. */
  "UPDATE change_log SET device_id = ?2, origin_seq = origin_seq - ?3 + ?4 "
  "WHERE device_id = ?1 AND origin_seq > ?3",
  "UPDATE field_version SET device_id = ?2 "
  "WHERE device_id = ?1 AND hlc IN (SELECT hlc FROM temp.dft_renumbered)",
  "UPDATE field_version SET base = substr (base, 1, instr (base, '/')) || ?2 "
  "WHERE base = substr (base, 1, instr (base, '/')) || ?1 "
  "AND CAST (substr (base, 1, instr (base, '/') - 1) AS INTEGER) "
  "IN (SELECT hlc FROM temp.dft_renumbered)",
  "UPDATE change_log SET base = (SELECT json_group_object (key, CASE "
  "WHEN value = substr (value, 1, instr (value, '/')) || ?1 "
  "AND CAST (substr (value, 1, instr (value, '/') - 1) AS INTEGER) "
  "IN (SELECT hlc FROM temp.dft_renumbered) "
  "THEN substr (value, 1, instr (value, '/')) || ?2 ELSE value END) FROM json_each (base)) "
  "WHERE base IS NOT NULL AND instr (base, ?1) > 0",
};

/* Moves @from's changes numbered after @after_seq to @to, numbered on from @to_high. Locked,
 * inside a transaction. */
static gboolean
renumber_locked (
    sqlite3 *db, const char *from, const char *to, gint64 after_seq, gint64 to_high, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (renumber_sql); i++)
    if (!exec_bound (db, renumber_sql[i], from, to, after_seq, to_high, error))
      return FALSE;
  return TRUE;
}

gboolean
dft_store_take_identity (DftStore          *self,
                         const char        *device_id,
                         gint64             after_seq,
                         const char *const *state,
                         GError           **error)
{
  sqlite3         *db;
  g_autofree char *old = NULL;
  g_autofree char *retired = NULL;
  g_autofree char *all_retired = NULL;
  gboolean         drops_cursor = FALSE;

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  g_return_val_if_fail (device_id != NULL && after_seq >= 0, FALSE);

  _dft_store_lock (self);
  db = _dft_store_get_db (self);
  old = g_strdup (dft_store_get_device_id (self));
  if (!dft_db_exec (db, "BEGIN IMMEDIATE", error))
    goto fail_no_txn;
  if (!renumber_locked (db, old, device_id, after_seq, 0, error)
      || !_dft_store_remerge_ties_locked (self, device_id, error))
    goto fail;
  /* The ids this database had: what it once sent stays under them. */
  retired = dft_sync_state_get (db, "retired_device_ids", NULL);
  all_retired
      = retired != NULL && *retired != '\0' ? g_strjoin (" ", retired, old, NULL) : g_strdup (old);
  if (!dft_sync_state_set (db, "retired_device_ids", all_retired, error)
      || !dft_sync_state_set (db, "device_id", device_id, error))
    goto fail;
  /* A pull cursor past the end of the server's log is how a server put back from a copy
   * learns it lost changes (PROTOCOL.md, "Restores"); a cursor dropped for the new identity
   * tells it nothing any more. What the server may have lost that only this database holds (a
   * conflict record the server itself made, say) then comes back as after a new epoch: the
   * next sync relays everything held (convergence seed 2302611479). */
  for (guint i = 0; state != NULL && state[i] != NULL && state[i + 1] != NULL; i += 2)
    drops_cursor |= g_str_equal (state[i], "pull_cursor");
  if (drops_cursor && !dft_sync_state_set (db, "relay_after", "0", error))
    goto fail;
  for (guint i = 0; state != NULL && state[i] != NULL && state[i + 1] != NULL; i += 2)
    if (!dft_sync_state_set (db, state[i], state[i + 1], error))
      goto fail;
  if (!dft_db_exec (db, "COMMIT", error))
    goto fail;
  _dft_store_set_device_id (self, device_id);
  _dft_store_unlock (self);
  g_debug ("store: this database was a copy; it is now device %s (was %s)", device_id, old);
  return TRUE;

fail:
  sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
fail_no_txn:
  _dft_store_unlock (self);
  return FALSE;
}

/*
 * The highest position this log ever gave, purged entries included: a
 * replica that was told of a later one was told by data that is gone.
 */
gint64
dft_store_last_seq (DftStore *self, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  sqlite3                 *db;
  gint64                   last = -1;
  int                      rc;

  g_return_val_if_fail (DFT_IS_STORE (self), -1);

  _dft_store_lock (self);
  db = _dft_store_get_db (self);
  if (dft_db_prepare (db,
                      "SELECT max (coalesce ((SELECT seq FROM sqlite_sequence "
                      "WHERE name = 'change_log'), 0), coalesce ((SELECT max (seq) "
                      "FROM change_log), 0))",
                      &stmt, error))
    {
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        last = sqlite3_column_int64 (stmt, 0);
      else
        dft_db_set_error (error, db, rc, _ ("reading the change log"));
    }
  _dft_store_unlock (self);
  return last;
}

const char *
dft_store_new_identity_message (void)
{
  return _ ("This database is a copy of another laptop’s, so it now syncs as a device of its "
            "own; nothing was lost.");
}

gboolean
dft_store_skip_log_positions (DftStore *self, gint64 position, GError **error)
{
  sqlite3 *db;
  gboolean ok;

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);

  _dft_store_lock (self);
  db = _dft_store_get_db (self);
  /* sqlite_sequence has the row once the log has had an entry. */
  ok = exec_bound (db, "UPDATE sqlite_sequence SET seq = max (seq, ?3) WHERE name = 'change_log'",
                   NULL, NULL, position, 0, error)
       && exec_bound (db,
                      "INSERT INTO sqlite_sequence (name, seq) SELECT 'change_log', ?3 "
                      "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'change_log')",
                      NULL, NULL, position, 0, error);
  _dft_store_unlock (self);
  return ok;
}

static gboolean
is_retired (sqlite3 *db, const char *device_id)
{
  g_autofree char *retired = dft_sync_state_get (db, "retired_device_ids", NULL);
  g_auto (GStrv)   ids = retired != NULL ? g_strsplit (retired, " ", -1) : NULL;

  return ids != NULL && g_strv_contains ((const char *const *) ids, device_id);
}

static gint64
own_high (sqlite3 *db, const char *device_id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int                      rc;

  if (!dft_db_prepare (db,
                       "SELECT coalesce (max (origin_seq), 0) FROM change_log WHERE device_id = ?",
                       &stmt, error))
    return -1;
  sqlite3_bind_text (stmt, 1, device_id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    return dft_db_set_error (error, db, rc, _ ("reading the change log")), -1;
  return sqlite3_column_int64 (stmt, 0);
}

/* Where this file lives: the machine, the file's inode and its full path. A copy on another
 * laptop, beside the original or put back from a backup differs in at least one. */
static char *
file_place (const char *path)
{
  static const char *const machine_files[] = { "/etc/machine-id", "/var/lib/dbus/machine-id" };
  g_autofree char         *machine = NULL;
  g_autofree char         *full = NULL;
  GStatBuf                 st;

  for (guint i = 0; machine == NULL && i < G_N_ELEMENTS (machine_files); i++)
    if (!g_file_get_contents (machine_files[i], &machine, NULL, NULL))
      g_clear_pointer (&machine, g_free);
  if (machine == NULL)
    machine = g_strdup (g_get_host_name ());
  if (g_stat (path, &st) != 0)
    return NULL;
  full = g_canonicalize_filename (path, NULL);
  return g_strdup_printf ("%s %" G_GUINT64_FORMAT " %s", g_strstrip (machine), (guint64) st.st_ino,
                          full);
}

/*
 * Beside the file, "PATH.device" names the device and the highest change it
 * had made when it was last opened or closed. A backup copied back over the
 * file (same place, same inode) is found by it: it made fewer changes than
 * the device already had.
 */
static char *
sidecar_path (DftStore *self)
{
  return g_strconcat (dft_store_get_path (self), ".device", NULL);
}

/* Whether the note beside the file says this database went back or is another's. */
static gboolean
sidecar_says_replaced (DftStore *self, sqlite3 *db, gint64 high)
{
  g_autofree char *path = sidecar_path (self);
  g_autofree char *text = NULL;
  g_auto (GStrv)   parts = NULL;
  g_autofree char *retired = NULL;
  g_auto (GStrv)   ids = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return FALSE;
  parts = g_strsplit (g_strstrip (text), " ", 2);
  if (g_strv_length (parts) != 2 || !dft_uuid_is_valid (parts[0]))
    return FALSE; /* not ours to read: written again below */
  if (g_str_equal (parts[0], dft_store_get_device_id (self)))
    return g_ascii_strtoll (parts[1], NULL, 10) > high;
  /* An id it had before is history; one it never had means the file is another device's. */
  retired = dft_sync_state_get (db, "retired_device_ids", NULL);
  ids = retired != NULL ? g_strsplit (retired, " ", -1) : NULL;
  return ids == NULL || !g_strv_contains ((const char *const *) ids, parts[0]);
}

void
_dft_store_write_sidecar (DftStore *self)
{
  g_autofree char   *path = sidecar_path (self);
  g_autofree char   *text = NULL;
  g_autoptr (GError) error = NULL;
  gint64             high;

  _dft_store_lock (self);
  high = own_high (_dft_store_get_db (self), dft_store_get_device_id (self), &error);
  _dft_store_unlock (self);
  if (high < 0)
    return;
  text = g_strdup_printf ("%s %" G_GINT64_FORMAT "\n", dft_store_get_device_id (self), high);
  /* Only a hint: a missing or stale note never stops the database opening. */
  if (!g_file_set_contents (path, text, -1, &error))
    g_debug ("store: %s", error->message);
}

gboolean
dft_store_check_place (DftStore *self, gboolean *copied, GError **error)
{
  g_autofree char *place = NULL;
  g_autofree char *held = NULL;
  g_autofree char *fresh = NULL;
  sqlite3         *db;
  gint64           high;
  gboolean         moved, replaced;

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);

  *copied = FALSE;
  place = file_place (dft_store_get_path (self));
  if (place == NULL)
    return TRUE; /* a database in memory, or one whose file cannot be looked at: nothing to say */
  _dft_store_lock (self);
  db = _dft_store_get_db (self);
  held = dft_sync_state_get (db, "file_place", NULL);
  high = own_high (db, dft_store_get_device_id (self), error);
  moved = held != NULL && !g_str_equal (held, place);
  replaced = high >= 0 && !moved && sidecar_says_replaced (self, db, high);
  /* First opened here, or by a version that did not keep the place: it is this file's now. */
  if (high >= 0 && held == NULL && !dft_sync_state_set (db, "file_place", place, error))
    high = -1;
  _dft_store_unlock (self);
  if (high < 0)
    return FALSE;
  _dft_store_watch_place (self);

  if (moved || replaced)
    {
      /* A copy, or a backup put back: it takes its own id before it writes anything, so its
       * changes and the original's never share a name. What it made before stays under the
       * old id (the original or the server holds the same), and it pulls everything again:
       * more may have been sent under that id. Its token still names the old id; the next
       * sync asks the server for one of its own. */
      const char *state[] = { "file_place",  place, "push_acked_seq", "0",
                              "pull_cursor", "0",   "scope_mark",     "",
                              NULL };

      fresh = dft_uuid_v4_new ();
      if (!dft_store_take_identity (self, fresh, high, state, error))
        return FALSE;
      *copied = TRUE;
    }
  _dft_store_write_sidecar (self);
  return TRUE;
}

/*
 * Before applying what the server sends: a held change of another device
 * that the server holds otherwise under the same name came from data the
 * server lost (restored) while a copy of that device's database made the
 * other one. The server's is the one every replica keeps; the copy that made
 * ours finds the fork when it pushes and sends it again under a new id, and
 * when that copy is this database (the id is one it had), it moves its own
 * to its current id at once.
 */
gboolean
dft_store_yield_forks (DftStore *self, GPtrArray *changes, guint *yielded, GError **error)
{
  sqlite3                 *db;
  g_autoptr (sqlite3_stmt) drop = NULL;
  gboolean                 found = TRUE, ok = TRUE;
  guint                    index = 0, from = 0;

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);

  *yielded = 0;
  while (ok && found && from < changes->len)
    {
      g_autoptr (GPtrArray) rest = g_ptr_array_new ();
      DftChange            *change;

      for (guint i = from; i < changes->len; i++)
        g_ptr_array_add (rest, g_ptr_array_index (changes, i));
      if (!dft_store_find_fork (self, rest, &found, &index, error))
        return FALSE;
      if (!found)
        break;
      change = g_ptr_array_index (rest, index);
      from += index + 1;
      if (g_strcmp0 (change->device_id, dft_store_get_device_id (self)) == 0)
        return dft_store_set_fork_error (error, change);
      _dft_store_lock (self);
      db = _dft_store_get_db (self);
      if (is_retired (db, change->device_id))
        {
          /* Ours, made under an id this database had: the server lost it and another copy
           * used the name since. It goes on under the current id, to be sent again. */
          gint64 high = -1;

          ok = dft_db_exec (db, "BEGIN IMMEDIATE", error)
               && (high = own_high (db, dft_store_get_device_id (self), error)) >= 0
               && renumber_locked (db, change->device_id, dft_store_get_device_id (self),
                                   change->origin_seq - 1, high, error)
               && _dft_store_remerge_ties_locked (self, dft_store_get_device_id (self), error)
               && dft_db_exec (db, "COMMIT", error);
          if (!ok)
            sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
        }
      else
        {
          ok = dft_db_prepare (db, "DELETE FROM change_log WHERE device_id = ? AND origin_seq = ?",
                               &drop, error);
          if (ok)
            {
              sqlite3_bind_text (drop, 1, change->device_id, -1, SQLITE_TRANSIENT);
              sqlite3_bind_int64 (drop, 2, change->origin_seq);
              ok = dft_db_step_done (db, drop, error);
            }
          g_clear_pointer (&drop, sqlite3_finalize);
        }
      _dft_store_unlock (self);
      (*yielded)++;
    }
  return ok;
}
