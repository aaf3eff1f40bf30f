/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The horizon rule (DESIGN.md, "Sync details"): a deleted record's tombstone is purged once
 * every enrolled device has pulled past it. Which position each device pulled after is noted
 * by every pull; writing it then would make pulls, which need no lock, wait for the store's
 * writer behind pushes, so it is kept in memory and written by a worker within a minute, and
 * before each purge. A position lost in a crash only holds the purge back: the one written
 * before is lower, or the device's next pull notes it again.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "dft-server-private.h"
#include "dft-server-purge.h"
#include "dft-uuid.h"
#include "dft-wire.h"

#define PULLED_PREFIX "pulled:"
/* Positions are written within a minute; the purge runs at start and then every six hours. */
#define WRITE_EVERY_S 60
#define PURGE_EVERY_S (6 * 60 * 60)
#define PURGE_STATE   "dft-server-purge"

typedef struct
{
  GMutex      lock;
  GCond       idle;
  GHashTable *known;   /* device id -> position last noted (gint64 *) */
  GHashTable *pending; /* device id -> position not yet written (gint64 *) */
  guint       timer_id;
  guint       ticks;
  gboolean    working;
} PurgeState;

static void
purge_state_free (gpointer data)
{
  PurgeState *state = data;

  g_mutex_clear (&state->lock);
  g_cond_clear (&state->idle);
  g_hash_table_unref (state->known);
  g_hash_table_unref (state->pending);
  g_free (state);
}

gboolean
dft_server_purge_positions (
    DftStore *store, DftServerDb *db, char **positions, gint64 *lowest, GError **error)
{
  g_autoptr (GPtrArray)   devices = dft_server_db_list_devices (db, error);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode)    root = NULL;
  gint64                  now = _dft_server_now_seconds ();
  gint64                  low = dft_store_last_seq (store, error);

  if (devices == NULL || low < 0)
    return FALSE;
  json_builder_begin_object (builder);
  for (guint i = 0; i < devices->len; i++)
    {
      DftDevice       *device = g_ptr_array_index (devices, i);
      g_autofree char *key = NULL;
      g_autofree char *text = NULL;
      gint64           pulled = 0;

      /* A revoked device never syncs again, and one whose token expired only after signing in
       * again: both count as gone. Were they to count, a laptop lost in a drawer would keep
       * every deleted person on the server for ever; when one comes back, its pull after a
       * position below the purge names the people it missed (sync/PROTOCOL.md, "Purge"). */
      if (device->revoked_at != 0 || device->expires_at <= now)
        continue;
      key = g_strconcat (PULLED_PREFIX, device->id, NULL);
      text = dft_store_get_sync_state (store, key, error);
      if (text == NULL && error != NULL && *error != NULL)
        return FALSE;
      if (text != NULL && *text != '\0')
        g_ascii_string_to_signed (text, 10, 0, G_MAXINT64, &pulled, NULL);
      json_builder_set_member_name (builder, device->id);
      json_builder_add_int_value (builder, pulled);
      low = MIN (low, pulled);
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  *positions = json_to_string (root, FALSE);
  if (lowest != NULL)
    *lowest = low;
  return TRUE;
}

gboolean
dft_server_purge_run (DftStore      *store,
                      DftServerDb   *db,
                      gboolean       dry_run,
                      gint64        *lowest,
                      DftPurgeStats *stats,
                      GError       **error)
{
  g_autofree char *positions = NULL;

  return dft_server_purge_positions (store, db, &positions, lowest, error)
         && dft_store_purge_deleted (store, positions, dry_run, stats, error);
}

static PurgeState *
get_state (DftServer *self)
{
  return g_object_get_data (G_OBJECT (self), PURGE_STATE);
}

void
_dft_server_note_pulled (DftServer *self, const char *device_id, gint64 after)
{
  PurgeState *state = get_state (self);
  gint64     *known;

  if (state == NULL)
    return;
  g_mutex_lock (&state->lock);
  known = g_hash_table_lookup (state->known, device_id);
  /* Unchanged, nothing to write: a device that pulls with nothing new costs no write. */
  if (known == NULL || *known != after)
    {
      g_hash_table_replace (state->known, g_strdup (device_id), g_memdup2 (&after, sizeof after));
      g_hash_table_replace (state->pending, g_strdup (device_id), g_memdup2 (&after, sizeof after));
    }
  g_mutex_unlock (&state->lock);
}

/* Writes the positions noted since the last time. push_lock held. */
static void
write_pulled (DftServer *self, PurgeState *state)
{
  g_autoptr (GHashTable) pending = NULL;
  GHashTableIter         iter;
  gpointer               key, value;

  g_mutex_lock (&state->lock);
  pending = g_steal_pointer (&state->pending);
  state->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_mutex_unlock (&state->lock);

  g_hash_table_iter_init (&iter, pending);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autoptr (GError) error = NULL;
      g_autofree char   *name = g_strconcat (PULLED_PREFIX, (const char *) key, NULL);
      g_autofree char   *text = g_strdup_printf ("%" G_GINT64_FORMAT, *(gint64 *) value);

      if (!dft_store_set_sync_state (self->store, name, text, &error))
        {
          g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE",
                            "could not keep the position device %s pulled after: %s",
                            (const char *) key, error->message);
          /* Noted again by its next pull, even if unchanged. */
          g_mutex_lock (&state->lock);
          g_hash_table_remove (state->known, key);
          g_mutex_unlock (&state->lock);
        }
    }
}

static void
purge_now (DftServer *self)
{
  g_autoptr (GError) error = NULL;
  DftPurgeStats      stats = { 0 };
  gint64             horizon = 0;

  if (!dft_server_purge_run (self->store, self->db, FALSE, &horizon, &stats, &error))
    {
      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE", "purge failed: %s",
                        error->message);
      return;
    }
  if (stats.people == 0 && stats.set_aside == 0)
    return;
  dft_server_metrics_purged (self->metrics,
                             stats.people + stats.enrollments + stats.attendance + stats.conflicts);
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                    "purged %u deleted people, %u enrollments, %u attendance marks and %u "
                    "conflicts of theirs, and emptied %u changes set aside about them "
                    "(every device pulled after position %" G_GINT64_FORMAT " at least)",
                    stats.people, stats.enrollments, stats.attendance, stats.conflicts,
                    stats.set_aside, horizon);
}

/*
 * POST purged: which of the people a device holds were purged (sync/PROTOCOL.md, "Purge"). A
 * device that pulls from 0 again (a new epoch, a cursor put back, a restored database) may
 * hold people the server let go while it was away, and the log no longer names them: it asks
 * about the people it holds, DFT_SERVER_PURGED_ASK_MAX at a time, rather than the server
 * sending every id it ever purged to every device that starts from 0. The answer names only
 * ids the device sent, and a purged id says nothing of a person but that they are gone.
 */
void
_dft_server_handle_purged (DftServer *self, Request *request, DftDevice *device)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (GPtrArray)  ids = NULL;
  g_autoptr (GPtrArray)  purged = NULL;
  g_autofree char       *too_many = g_strdup_printf (
            /* Translators: %u is a number of people */
      _ ("Ask about at most %u people at a time."), (guint) DFT_SERVER_PURGED_ASK_MAX);
  JsonArray *answer;

  ids = _dft_server_parse_list (request, parser, "ids", DFT_SERVER_PURGED_ASK_MAX,
                                dft_uuid_is_valid,
                                _ ("The request must be {\"ids\": [ids of people]}."), too_many,
                                _ ("A person is named by something other than an id."));
  if (ids == NULL)
    return;
  purged = dft_store_which_purged (self->store, ids, &error);
  if (purged == NULL)
    {
      _dft_server_reply_internal (&request->reply, error);
      return;
    }
  object = _dft_server_reply_object_new ();
  answer = json_array_sized_new (purged->len);
  for (guint i = 0; i < purged->len; i++)
    json_array_add_string_element (answer, g_ptr_array_index (purged, i));
  json_object_set_array_member (object, "purged", answer);
  _dft_server_reply_json (&request->reply, SOUP_STATUS_OK, object);
}

static void
purge_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  DftServer  *self = source;
  PurgeState *state = get_state (self);
  gboolean    purge = GPOINTER_TO_INT (task_data);

  /* Under push_lock: a push checks what is purged and then applies, with nothing between. */
  g_mutex_lock (&self->push_lock);
  write_pulled (self, state);
  /* Not in a cluster yet: a purge removes changes from this replica only, and the horizon
   * needs every process's pulled positions (README, "Several server processes"). */
  if (purge && self->cluster == NULL)
    purge_now (self);
  g_mutex_unlock (&self->push_lock);

  g_mutex_lock (&state->lock);
  state->working = FALSE;
  g_cond_broadcast (&state->idle);
  g_mutex_unlock (&state->lock);
  g_task_return_boolean (task, TRUE);
}

static void
start_worker (DftServer *self, PurgeState *state, gboolean purge)
{
  g_autoptr (GTask) task = NULL;

  g_mutex_lock (&state->lock);
  if (state->working || (!purge && g_hash_table_size (state->pending) == 0))
    {
      g_mutex_unlock (&state->lock);
      return;
    }
  state->working = TRUE;
  g_mutex_unlock (&state->lock);
  task = g_task_new (self, NULL, NULL, NULL);
  g_task_set_task_data (task, GINT_TO_POINTER (purge), NULL);
  g_task_run_in_thread (task, purge_thread);
}

static gboolean
tick_cb (gpointer data)
{
  DftServer  *self = data;
  PurgeState *state = get_state (self);

  state->ticks++;
  start_worker (self, state, state->ticks % (PURGE_EVERY_S / WRITE_EVERY_S) == 0);
  return G_SOURCE_CONTINUE;
}

void
_dft_server_purge_start (DftServer *self)
{
  PurgeState *state = g_new0 (PurgeState, 1);

  g_mutex_init (&state->lock);
  g_cond_init (&state->idle);
  state->known = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  state->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_object_set_data_full (G_OBJECT (self), PURGE_STATE, state, purge_state_free);
  state->timer_id = g_timeout_add_seconds (WRITE_EVERY_S, tick_cb, self);
  start_worker (self, state, TRUE);
}

void
_dft_server_purge_stop (DftServer *self)
{
  PurgeState *state = get_state (self);

  if (state == NULL)
    return;
  g_clear_handle_id (&state->timer_id, g_source_remove);
  g_mutex_lock (&state->lock);
  while (state->working)
    g_cond_wait (&state->idle, &state->lock);
  g_mutex_unlock (&state->lock);
  g_mutex_lock (&self->push_lock);
  write_pulled (self, state);
  g_mutex_unlock (&self->push_lock);
}
