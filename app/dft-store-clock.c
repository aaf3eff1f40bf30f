/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "dft-db.h"
#include "dft-store-private.h"

/*
 * Field laptops often have wrong dates (DESIGN.md). Last writer wins by the
 * clock, so one change stamped in 2200 would win every merge of its field
 * until 2200. Replicas therefore refuse changes whose clocks are more than
 * DFT_HLC_MAX_AHEAD_MS ahead of their own wall clock when a device pushes
 * them or a bundle brings them, and a laptop whose date was wrong gives its
 * unsent changes new clock values once its date is right again
 * (sync/PROTOCOL.md, "Clocks").
 */

gboolean
dft_store_check_clocks (
    DftStore *self, GPtrArray *changes, guint *index, gint64 *ahead_ms, GError **error)
{
  gint64 wall_ms;

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  g_return_val_if_fail (changes != NULL, FALSE);

  wall_ms = dft_store_wall_ms (self);
  for (guint i = 0; i < changes->len; i++)
    {
      DftChange *change = g_ptr_array_index (changes, i);
      gint64     ahead = dft_hlc_ahead_ms (change->hlc, wall_ms);
      gint64     days;

      if (!dft_hlc_is_too_far_ahead (change->hlc, wall_ms))
        continue;
      if (index != NULL)
        *index = i;
      if (ahead_ms != NULL)
        *ahead_ms = ahead;
      days = MIN (ahead / (24 * 60 * 60 * 1000), G_MAXINT);
      g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_CLOCK_AHEAD,
                   /* Translators: %d is a number of days */
                   ngettext ("A change was made on a device whose clock was %d day ahead of this "
                             "one’s. Nothing was applied: set that device’s date and time right "
                             "first.",
                             "A change was made on a device whose clock was %d days ahead of "
                             "this one’s. Nothing was applied: set that device’s date and time "
                             "right first.",
                             days),
                   (int) days);
      return FALSE;
    }
  return TRUE;
}

/*
 * The new values go just after the latest one this replica holds from before
 * its date went wrong, not at the time the date was put right: the changes
 * were made some time in between, and another device's edit made in that
 * time must not lose to them. A concurrent edit of the same field meets them
 * as any concurrent edit does: one wins by the clock, the other is kept as a
 * conflict.
 */
static const char *const restamp_sql[] = {
  "CREATE TEMP TABLE IF NOT EXISTS dft_restamped (old INTEGER PRIMARY KEY, new INTEGER NOT NULL)",
  "UPDATE change_log SET hlc = (SELECT new FROM temp.dft_restamped WHERE old = change_log.hlc) "
  "WHERE device_id = ?1 AND hlc IN (SELECT old FROM temp.dft_restamped)",
  "UPDATE field_version SET hlc = (SELECT new FROM temp.dft_restamped "
  "WHERE old = field_version.hlc) "
  "WHERE device_id = ?1 AND hlc IN (SELECT old FROM temp.dft_restamped)",
  /* Versions name a change as "HLC/DEVICE": the bases that named the old values follow. */
  "UPDATE field_version SET base = (SELECT m.new || '/' || ?1 FROM temp.dft_restamped m "
  "WHERE field_version.base = m.old || '/' || ?1) "
  "WHERE base IN (SELECT m.old || '/' || ?1 FROM temp.dft_restamped m)",
  "UPDATE change_log SET base = (SELECT json_group_object (key, coalesce ((SELECT m.new || '/' "
  "|| ?1 FROM temp.dft_restamped m WHERE value = m.old || '/' || ?1), value)) "
  "FROM json_each (change_log.base)) "
  "WHERE base IS NOT NULL AND instr (base, ?1) > 0",
  "DELETE FROM temp.dft_restamped",
};

static gboolean
exec_with_device (sqlite3 *db, const char *sql, const char *device_id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  if (!dft_db_prepare (db, sql, &stmt, error))
    return FALSE;
  if (sqlite3_bind_parameter_count (stmt) >= 1)
    sqlite3_bind_text (stmt, 1, device_id, -1, SQLITE_STATIC);
  return dft_db_step_done (db, stmt, error);
}

/* The latest clock value the log holds that is not too far ahead of @bound. */
static gboolean
latest_sane (sqlite3 *db, DftHlcValue bound, DftHlcValue *latest, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int                      rc;

  if (!dft_db_prepare (db, "SELECT coalesce (max (hlc), 0) FROM change_log WHERE hlc <= ?", &stmt,
                       error))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) bound);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    return dft_db_set_error (error, db, rc, _ ("reading the change log"));
  *latest = (DftHlcValue) sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

gboolean
dft_store_restamp_ahead (DftStore *self, gint64 after_seq, guint *n_restamped, GError **error)
{
  g_autoptr (sqlite3_stmt) select = NULL;
  g_autoptr (sqlite3_stmt) map = NULL;
  g_autofree char         *device_id = NULL;
  DftHlc                  *clock;
  DftHlc                   saved, fresh;
  DftHlcValue              bound;
  sqlite3                 *db;
  gint64                   wall_ms;
  guint                    n = 0;
  int                      rc;

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);

  if (n_restamped != NULL)
    *n_restamped = 0;
  wall_ms = dft_store_wall_ms (self);
  /* The largest value that is not too far ahead: any counter of the bound's millisecond. */
  bound = dft_hlc_pack (MAX (wall_ms + DFT_HLC_MAX_AHEAD_MS, 0), 0xffff);

  _dft_store_lock (self);
  clock = _dft_store_get_clock (self);
  saved = *clock;
  /* Nothing to do for a clock that never ran ahead: the common case costs one comparison. */
  if (clock->last <= bound)
    {
      _dft_store_unlock (self);
      return TRUE;
    }

  db = _dft_store_get_db (self);
  device_id = g_strdup (dft_store_get_device_id (self));
  if (!dft_db_exec (db, "BEGIN IMMEDIATE", error))
    goto fail_no_txn;
  if (!latest_sane (db, bound, &fresh.last, error)
      || !exec_with_device (db, restamp_sql[0], device_id, error)
      || !exec_with_device (db, "DELETE FROM temp.dft_restamped", device_id, error)
      || !dft_db_prepare (db,
                          "SELECT hlc FROM change_log WHERE device_id = ? AND origin_seq > ? "
                          "AND hlc > ? ORDER BY origin_seq",
                          &select, error)
      || !dft_db_prepare (db, "INSERT INTO temp.dft_restamped (old, new) VALUES (?, ?)", &map,
                          error))
    goto fail;
  sqlite3_bind_text (select, 1, device_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (select, 2, after_seq);
  sqlite3_bind_int64 (select, 3, (sqlite3_int64) bound);
  while ((rc = sqlite3_step (select)) == SQLITE_ROW)
    {
      /* One counter step each, in their order: still after everything held before. */
      DftHlcValue next = dft_hlc_tick (&fresh, 0);

      sqlite3_reset (map);
      sqlite3_bind_int64 (map, 1, sqlite3_column_int64 (select, 0));
      sqlite3_bind_int64 (map, 2, (sqlite3_int64) next);
      if (!dft_db_step_done (db, map, error))
        goto fail;
      n++;
    }
  if (rc != SQLITE_DONE)
    {
      dft_db_set_error (error, db, rc, _ ("reading the change log"));
      goto fail;
    }
  for (guint i = 1; i < G_N_ELEMENTS (restamp_sql); i++)
    if (!exec_with_device (db, restamp_sql[i], device_id, error))
      goto fail;

  /* The clock itself came back from the wrong date: what is made next follows the wall clock. */
  *clock = fresh;
  {
    g_autofree char *text = g_strdup_printf ("%" G_GUINT64_FORMAT, clock->last);

    if (!dft_sync_state_set (db, "hlc", text, error))
      goto fail;
  }
  if (!dft_db_exec (db, "COMMIT", error))
    goto fail;
  _dft_store_unlock (self);
  if (n > 0)
    g_debug ("store: %u changes made while this device's date was wrong have new clock values", n);
  if (n_restamped != NULL)
    *n_restamped = n;
  return TRUE;

fail:
  sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
fail_no_txn:
  *clock = saved;
  _dft_store_unlock (self);
  return FALSE;
}
