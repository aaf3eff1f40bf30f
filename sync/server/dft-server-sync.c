/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "dft-change-log.h"
#include "dft-hlc.h"
#include "dft-server-private.h"
#include "dft-server-purge.h"
#include "dft-server-scope.h"
#include "dft-store-private.h"
#include "dft-wire-cols.h"
#include "dft-wire.h"

/* A pull page's JSON, before compression: well under what a client reads (DFT_WIRE_MAX_JSON). */
#define PULL_MAX_BYTES     (4 * 1024 * 1024)
#define PULL_DEFAULT_LIMIT 500
#define PULL_MAX_LIMIT     5000
/* What decoding a column frame may cost, per byte of the frame (it compresses about 8:1 and a
 * value takes about 256 bytes built, against about 20 bytes of text). */
#define FRAME_COST_PER_BYTE 64
/* The least of an epoch's end a sync request may name it by. */
#define EPOCH_TAG_LENGTH 12

/* ---- Sync --------------------------------------------------------------- */

/*
 * 409 "forked": the device's database is a copy (another laptop, a backup put
 * back) whose change @seq differs from the one the server holds under that
 * name. Nothing of the batch is stored; the device takes a new identity.
 */
static void
reply_forked (Reply *reply, const DftChange *change)
{
  g_autoptr (JsonObject) object = _dft_server_reply_object_new ();
  JsonObject            *error;

  error = json_object_new ();
  json_object_set_string_member (error, "code", "forked");
  json_object_set_string_member (
      error, "message",
      _ ("This device’s database is a copy of another one that synced already (a copied file or "
         "a restored backup). Nothing of this push was stored."));
  json_object_set_string_member (error, "device", change->device_id);
  json_object_set_int_member (error, "seq", change->origin_seq);
  json_object_set_object_member (object, "error", error);
  _dft_server_reply_json (reply, SOUP_STATUS_CONFLICT, object);
  reply->gzip = FALSE;
  reply->error_code = "forked";
}

/*
 * 422 "clock_ahead": a change of the pushing device is stamped more than
 * DFT_HLC_MAX_AHEAD_MS ahead of the server's clock (a laptop whose date is
 * wrong). Stored, it would win every merge of its fields until that date.
 * Nothing of the batch is stored; the reply carries the server's time so the
 * device can tell its trainer how far off its clock is.
 */
static void
reply_clock_ahead (Reply *reply, const DftChange *change, gint64 ahead_ms, const GError *error)
{
  g_autoptr (JsonObject) object = _dft_server_reply_object_new ();
  JsonObject            *e = json_object_new ();

  json_object_set_string_member (e, "code", "clock_ahead");
  json_object_set_string_member (e, "message", error->message);
  json_object_set_string_member (e, "device", change->device_id);
  json_object_set_int_member (e, "seq", change->origin_seq);
  json_object_set_int_member (e, "ahead_ms", ahead_ms);
  json_object_set_int_member (e, "max_ahead_ms", DFT_HLC_MAX_AHEAD_MS);
  json_object_set_object_member (object, "error", e);
  json_object_set_int_member (object, "time", dft_hlc_wall_ms ());
  _dft_server_reply_json (reply, SOUP_STATUS_UNPROCESSABLE_ENTITY, object);
  reply->gzip = FALSE;
  reply->error_code = "clock_ahead";
}

/* Relayed changes of other devices whose clocks are too far ahead are left out, as changes the
 * relaying device may not make are; its own are refused as in a push (*own_index). */
static gboolean
drop_clock_ahead (DftStore   *store,
                  const char *device_id,
                  GPtrArray  *changes,
                  gboolean    relay,
                  gboolean   *own_ahead,
                  guint      *own_index,
                  gint64     *ahead_ms,
                  GError    **own_error,
                  guint      *dropped)
{
  guint index = 0;

  *own_ahead = FALSE;
  for (;;)
    {
      g_autoptr (GError) error = NULL;
      DftChange         *change;

      if (dft_store_check_clocks (store, changes, &index, ahead_ms, &error))
        return TRUE;
      if (!g_error_matches (error, DFT_STORE_ERROR, DFT_STORE_ERROR_CLOCK_AHEAD))
        {
          g_propagate_error (own_error, g_steal_pointer (&error));
          return FALSE;
        }
      change = g_ptr_array_index (changes, index);
      if (!relay || g_strcmp0 (change->device_id, device_id) == 0)
        {
          *own_ahead = TRUE;
          *own_index = index;
          g_propagate_error (own_error, g_steal_pointer (&error));
          return TRUE;
        }
      g_ptr_array_remove_index (changes, index);
      (*dropped)++;
    }
}

/* Drops the relayed changes of other devices the server holds otherwise: a fork between two
 * other devices is for them to sort out when they push, not for the device that relays. */
static gboolean
drop_forked (DftStore   *store,
             const char *device_id,
             GPtrArray  *changes,
             gboolean   *own_forked,
             guint      *own_index,
             guint      *dropped,
             GError    **error)
{
  gboolean found = TRUE;
  guint    index = 0;

  while (found)
    {
      if (!dft_store_find_fork (store, changes, &found, &index, error))
        return FALSE;
      /* The relaying device's own change forks as in a push: it is the copy. */
      if (found
          && g_strcmp0 (((DftChange *) g_ptr_array_index (changes, index))->device_id, device_id)
                 == 0)
        {
          *own_forked = TRUE;
          *own_index = index;
          return TRUE;
        }
      if (found)
        {
          g_ptr_array_remove_index (changes, index);
          (*dropped)++;
        }
    }
  return TRUE;
}

static void push_counted (DftServer *self, Request *request, DftDevice *device);

/*
 * A push is counted before it is decoded (dft_wire_count_body(): inflated a
 * piece at a time, nothing kept), refused when it holds more changes or values
 * than one push may, and decoded only once its cost fits the server's budget.
 */
static gboolean
holds_same_change (DftStore *store, const char *device_id, gint64 seq, const char *digest);

/*
 * Counts a batch's body and takes its cost from the server's push budget (*cost, to give back
 * with _dft_server_budget_give()); FALSE with request->reply set when it holds too much or the
 * budget has no room.
 */
static gboolean
reserve_push (DftServer *self, Request *request, gsize *cost)
{
  g_autoptr (GError) error = NULL;
  const char        *encoding = request->content_encoding;
  gboolean           gzip = encoding != NULL && g_ascii_strcasecmp (encoding, "gzip") == 0;
  DftWireCount       count;

  *cost = 0;
  /* Another encoding is refused by _dft_server_body_json() as it always was. */
  if (!gzip && encoding != NULL && g_ascii_strcasecmp (encoding, "identity") != 0)
    return TRUE;
  /* A column frame's decoder refuses more changes and values than a push may hold before it
   * builds any (dft_wire_cols_decode()); what it builds is counted as for JSON, from the
   * most its bytes may come to. */
  if (encoding == NULL && dft_wire_cols_is_frame (request->body))
    {
      *cost
          = MIN ((gsize) DFT_WIRE_MAX_JSON, g_bytes_get_size (request->body) * FRAME_COST_PER_BYTE);
      if (!_dft_server_budget_take (&self->push_budget, *cost,
                                    g_get_monotonic_time () + PUSH_WAIT_S * G_USEC_PER_SEC))
        {
          *cost = 0;
          _dft_server_reply_busy (&request->reply);
          return FALSE;
        }
      return TRUE;
    }
  if (!dft_wire_count_body (request->body, gzip, DFT_WIRE_MAX_JSON, &count, &error))
    {
      _dft_server_reply_gerror (&request->reply, error);
      return FALSE;
    }
  if (count.changes > DFT_WIRE_MAX_PUSH_CHANGES || count.values > DFT_WIRE_MAX_PUSH_VALUES)
    {
      g_autofree char *message = g_strdup_printf (
          /* Translators: %d is the most changes one push may hold */
          _ ("This push holds too much: send at most %d changes at a time, and smaller "
             "batches."),
          DFT_WIRE_MAX_PUSH_CHANGES);

      _dft_server_reply_error (&request->reply, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
                               message);
      return FALSE;
    }
  *cost = count.bytes + (gsize) count.values * PUSH_VALUE_COST;
  if (!_dft_server_budget_take (&self->push_budget, *cost,
                                g_get_monotonic_time () + PUSH_WAIT_S * G_USEC_PER_SEC))
    {
      *cost = 0;
      _dft_server_reply_busy (&request->reply);
      return FALSE;
    }
  return TRUE;
}

static void
release_push (DftServer *self, gsize cost)
{
  _dft_server_budget_give (&self->push_budget, cost);
#ifdef __GLIBC__
  /* A worker thread's malloc arena keeps what a big batch freed: give it back, so memory
   * after a burst of pushes is what the server holds, not its high-water mark. */
  if (cost >= PUSH_TRIM_AT)
    malloc_trim (0);
#endif
}

void
_dft_server_handle_push (DftServer *self, Request *request, DftDevice *device)
{
  gsize cost;

  if (!reserve_push (self, request, &cost))
    return;
  push_counted (self, request, device);
  release_push (self, cost);
}

/* A change of a push the server refused alone, and why (sync/PROTOCOL.md, "Set aside"). */
typedef struct
{
  DftChange *change; /* borrowed from the push */
  char      *reason;
} SetAside;

static void
set_aside_free (gpointer data)
{
  SetAside *aside = data;

  g_free (aside->reason);
  g_free (aside);
}

/*
 * Whether @change would bring back a person the purge removed (sync/PROTOCOL.md, "Purge"):
 * it is a change of a purged record, or names a purged person (a mark or an enrollment made
 * offline before the device heard of the delete).
 */
static gboolean
names_purged (DftStore *store, DftChange *change, gboolean *purged, GError **error)
{
  JsonNode *person = json_object_get_member (change->fields, "person_id");

  if (!dft_store_is_purged (store, change->record_id, purged, error))
    return FALSE;
  if (!*purged && person != NULL && JSON_NODE_HOLDS_VALUE (person)
      && json_node_get_value_type (person) == G_TYPE_STRING
      && !dft_store_is_purged (store, json_node_get_string (person), purged, error))
    return FALSE;
  return TRUE;
}

/*
 * The changes of a device's own push that may be applied, in their order (borrowed from
 * @changes). A change the scope refuses alone (a record of another team, a form a coordinator
 * published, a value too long) is set aside with its reason into @set_aside and the rest is
 * checked again without it, since what it wrote no longer counts for the others: a refused
 * change never holds back the ones after it. NULL when the whole push is refused (changes of
 * another device) or the server failed.
 */
static GPtrArray *
sort_push (DftServer *self,
           DftScope  *scope,
           GPtrArray *changes,
           GPtrArray *set_aside,
           GPtrArray *claim_ids,
           GPtrArray *claim_entities,
           GError   **error)
{
  g_autoptr (GPtrArray) accepted = g_ptr_array_new ();
  gboolean              any_purged = FALSE;

  /* Asked once, not for every change: "admin purge" committing in between is caught where the
   * push is applied (_dft_store_apply_changes_then()). */
  if (!dft_store_has_purged (self->store, &any_purged, error))
    return NULL;
  for (guint i = 0; i < changes->len; i++)
    {
      DftChange *change = g_ptr_array_index (changes, i);
      gboolean   purged = FALSE;

      if (any_purged && !names_purged (self->store, change, &purged, error))
        return NULL;
      if (purged)
        {
          SetAside *aside = g_new0 (SetAside, 1);

          /* Kept for a coordinator to see, never applied: applied, it would bring back a
           * person every device has let go. */
          aside->change = change;
          aside->reason = g_strdup (
              _ ("This person was deleted and then removed from the server; the change was "
                 "kept for a coordinator to see."));
          g_ptr_array_add (set_aside, aside);
          continue;
        }
      g_ptr_array_add (accepted, change);
    }
  /* One scope for every pass: what it read of the store and the owners holds until the push is
   * applied; only what it noted of the batch is forgotten between passes. */
  if (!dft_scope_prefetch_owners (scope, changes, error))
    return NULL;
  for (;;)
    {
      g_autoptr (GError) local_error = NULL;
      const char        *reason = NULL;
      guint              refused;
      SetAside          *aside;

      dft_scope_reset_batch (scope);
      g_ptr_array_set_size (claim_ids, 0);
      g_ptr_array_set_size (claim_entities, 0);
      if (dft_scope_check_push (scope, accepted, claim_ids, claim_entities, &local_error))
        return g_steal_pointer (&accepted);
      refused = dft_scope_get_refused (scope, &reason);
      if (refused == 0)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      aside = g_new0 (SetAside, 1);
      aside->change = g_ptr_array_steal_index (accepted, refused - 1);
      aside->reason = g_strdup (reason);
      g_ptr_array_add (set_aside, aside);
    }
}

typedef struct
{
  DftDevice        *device;
  GPtrArray        *set_aside;
  DftServerCluster *cluster; /* NULL: alone */
} Aside;

/* What was set aside is kept, for a coordinator to see, and counts as received: in the
 * transaction that applies the rest of the push (one commit, one wait for the disk), and in a
 * cluster in the shared database's too, so that every process tells the device the same.
 * Locked. */
static gboolean
keep_set_aside (DftStore *store, gpointer user_data, GError **error)
{
  Aside     *data = user_data;
  DftDevice *device = data->device;
  GPtrArray *set_aside = data->set_aside;

  _dft_server_test_push_gate ();

  for (guint i = 0; i < set_aside->len; i++)
    {
      SetAside *aside = g_ptr_array_index (set_aside, i);

      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                        "device %s: change %" G_GINT64_FORMAT " set aside: %s", device->id,
                        aside->change->origin_seq, aside->reason);
      if (!dft_store_set_aside (store, device->id, aside->change->origin_seq, aside->change,
                                aside->reason, error))
        return FALSE;
      if (data->cluster != NULL
          && !dft_server_cluster_push_set_aside (data->cluster, device->id, aside->change,
                                                 aside->reason, error))
        return FALSE;
    }
  return TRUE;
}

/* The end of a push that applied nothing, in a cluster: its write lock goes. */
static void
push_abort (DftServer *self)
{
  if (self->cluster == NULL)
    return;
  self->cluster_pushing = FALSE;
  dft_server_cluster_push_abort (self->cluster);
}

/*
 * The end of a push that was applied to this replica, in a cluster: into the shared log with
 * it. When that fails the replica holds what the log lacks, and the next push of another
 * process takes those positions for other changes: this process stops serving at once, with
 * a status systemd restarts it on, and is made again from the log at start
 * (dft-server-cluster.c). The device had no reply and sends the push again.
 */
static gboolean
push_commit (DftServer *self, GError **error)
{
  gboolean ahead = FALSE;

  self->cluster_pushing = FALSE;
  if (dft_server_cluster_push_commit (self->cluster, self->store, &ahead, error))
    return TRUE;
  /* Nothing was added: the log and the replica agree, and the device sends again. */
  if (!ahead)
    return FALSE;
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "MESSAGE",
                    "a push was applied here but not to the shared log (%s): stopping, to be "
                    "made again from the log at the next start",
                    (*error)->message);
  _exit (75);
}

/*
 * Applies a device's push: @changes (decoded, in their order) checked against the clocks, forks
 * and the device's scope, then applied under the push lock. On success @object gets the
 * members of the push's reply (acked, applied, duplicates, conflicts, skipped, set_aside, and
 * acked_other when the device must send again from its first change; then *stop is TRUE and
 * nothing was applied); on a refusal request->reply holds the error and FALSE is returned.
 * What the device says it was told (request->acked, request->acked_change) comes from the
 * headers of a push, or from the body of a sync.
 */
static gboolean
push_apply (DftServer  *self,
            Request    *request,
            DftDevice  *device,
            GPtrArray  *changes,
            gboolean    relay,
            JsonObject *object,
            gboolean   *stop)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) accepted = NULL;
  g_autoptr (DftScope)  scope = NULL;
  g_autoptr (GPtrArray) claim_ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) claim_entities = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) set_aside = g_ptr_array_new_with_free_func (set_aside_free);
  DftApplyStats         stats = { 0 };
  gboolean              forked = FALSE, ahead = FALSE;
  guint                 fork_index = 0, skipped = 0, ahead_index = 0;
  gint64                acked, ahead_ms = 0, told = 0;

  *stop = FALSE;
  /* Before anything is looked up or claimed: a clock far ahead of the server's is the
   * device's to put right, whatever else the batch holds. */
  if (!drop_clock_ahead (self->store, device->id, changes, relay, &ahead, &ahead_index, &ahead_ms,
                         &error, &skipped))
    {
      _dft_server_reply_internal (&request->reply, error);
      return FALSE;
    }
  if (ahead)
    {
      reply_clock_ahead (&request->reply, g_ptr_array_index (changes, ahead_index), ahead_ms,
                         error);
      return FALSE;
    }

  scope = dft_scope_new (self->store, self->db, device);
  /* What needs nothing of the store is checked before the lock: the serial part of every
   * push waits for it. */
  dft_scope_check_values (scope, changes);
  g_mutex_lock (&self->push_lock);
  /* In a cluster, one push at a time in every process, on a replica that holds the whole
   * shared log: what is checked below is checked against what every process received. */
  if (self->cluster != NULL && !dft_server_cluster_push_begin (self->cluster, self->store, &error))
    {
      g_mutex_unlock (&self->push_lock);
      _dft_server_reply_gerror (&request->reply, error);
      return FALSE;
    }
  if (self->cluster != NULL)
    {
      self->cluster_pushing = TRUE;
      _dft_server_take_cluster_epoch (self);
    }
  /* Data "admin restore" put back while serving is taken up before anything is read of it. */
  _dft_server_check_restored (self);
  acked = dft_store_origin_high (self->store, device->id, &error);
  if (acked < 0)
    goto internal;
  /* A device sends its own changes in order from what the server acknowledged: one that starts
   * past what the server holds of it was acknowledged by data that is gone. The batch is kept
   * (it is this device's); the new epoch has it send the rest again. */
  if (!relay && changes->len > 0
      && g_strcmp0 (((DftChange *) g_ptr_array_index (changes, 0))->device_id, device->id) == 0
      && ((DftChange *) g_ptr_array_index (changes, 0))->origin_seq > acked + 1)
    _dft_server_restore_found (self, "a device pushed past what the server holds of it");
  /* The change this device last saw acknowledged is not the one the server holds under that
   * number: the server was put back and took another copy's change. Nothing is applied: the
   * device sends again from its first change, and the push's "forked" shows where the copies
   * parted (sync/PROTOCOL.md, "Restores"). Checked before a push as well as a pull, since a
   * push that moves the device's mark past that number would hide the fork for good. */
  if (!relay && request->acked != NULL && request->acked_change != NULL
      && g_ascii_string_to_signed (request->acked, 10, 1, G_MAXINT64, &told, NULL) && told <= acked
      && !holds_same_change (self->store, device->id, told, request->acked_change))
    {
      push_abort (self);
      g_mutex_unlock (&self->push_lock);
      json_object_set_int_member (object, "acked", acked);
      json_object_set_int_member (object, "acked_other", told);
      json_object_set_int_member (object, "applied", 0);
      json_object_set_int_member (object, "duplicates", 0);
      json_object_set_int_member (object, "conflicts", 0);
      *stop = TRUE;
      return TRUE;
    }
  if (relay
          ? !drop_forked (self->store, device->id, changes, &forked, &fork_index, &skipped, &error)
          : !dft_store_find_fork (self->store, changes, &forked, &fork_index, &error))
    goto internal;
  if (forked)
    {
      push_abort (self);
      g_mutex_unlock (&self->push_lock);
      reply_forked (&request->reply, g_ptr_array_index (changes, fork_index));
      return FALSE;
    }
  /* Relayed changes of a purged person are left out, as those the relaying device may not
   * make: their own devices, which had seen them, let them go. */
  for (guint i = 0; relay && i < changes->len;)
    {
      gboolean purged = FALSE;

      if (!names_purged (self->store, g_ptr_array_index (changes, i), &purged, &error))
        goto internal;
      if (purged)
        {
          g_ptr_array_remove_index (changes, i);
          skipped++;
        }
      else
        i++;
    }
  if (relay)
    accepted = dft_scope_filter_relay (scope, changes, claim_ids, claim_entities, &skipped, &error);
  else
    accepted = sort_push (self, scope, changes, set_aside, claim_ids, claim_entities, &error);
  if (accepted == NULL
      || !dft_server_db_claim (self->db, claim_ids, claim_entities, device->team_id,
                               _dft_server_now_seconds (), &error))
    {
      push_abort (self);
      g_mutex_unlock (&self->push_lock);
      _dft_server_reply_gerror (&request->reply, error);
      return FALSE;
    }
  if ((accepted->len > 0 || set_aside->len > 0)
      && !_dft_store_apply_changes_then (self->store, accepted, keep_set_aside,
                                         &(Aside){ device, set_aside, self->cluster }, &stats,
                                         &error))
    {
      g_autoptr (GError) unclaim_error = NULL;

      /* Nothing of a refused push stays, its workshops' owners included. */
      if (!dft_server_db_unclaim (self->db, claim_ids, &unclaim_error))
        g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                          "could not undo workshop claims: %s", unclaim_error->message);
      push_abort (self);
      g_mutex_unlock (&self->push_lock);
      if (g_error_matches (error, DFT_STORE_ERROR, DFT_STORE_ERROR_FORKED))
        _dft_server_reply_error (&request->reply, SOUP_STATUS_CONFLICT, "forked", error->message);
      else
        _dft_server_reply_gerror (&request->reply, error);
      return FALSE;
    }
  acked = dft_store_origin_high (self->store, device->id, &error);
  if (self->cluster != NULL && !push_commit (self, &error))
    {
      g_mutex_unlock (&self->push_lock);
      _dft_server_reply_gerror (&request->reply, error);
      return FALSE;
    }
  g_mutex_unlock (&self->push_lock);
  dft_server_metrics_changes (self->metrics, stats.applied, stats.duplicates);
  if (acked < 0)
    {
      _dft_server_reply_internal (&request->reply, error);
      return FALSE;
    }

  json_object_set_int_member (object, "acked", acked);
  json_object_set_int_member (object, "applied", stats.applied);
  json_object_set_int_member (object, "duplicates", stats.duplicates);
  json_object_set_int_member (object, "conflicts", stats.conflicts);
  if (relay)
    json_object_set_int_member (object, "skipped", skipped);
  if (set_aside->len > 0)
    {
      JsonArray *list = json_array_new ();

      for (guint i = 0; i < set_aside->len; i++)
        {
          SetAside   *aside = g_ptr_array_index (set_aside, i);
          JsonObject *item = json_object_new ();

          json_object_set_int_member (item, "seq", aside->change->origin_seq);
          json_object_set_string_member (item, "reason", aside->reason);
          json_array_add_object_element (list, item);
        }
      json_object_set_array_member (object, "set_aside", list);
    }
  return TRUE;

internal:
  push_abort (self);
  g_mutex_unlock (&self->push_lock);
  _dft_server_reply_internal (&request->reply, error);
  return FALSE;
}

static void
push_counted (DftServer *self, Request *request, DftDevice *device)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (GBytes)     json = _dft_server_body_json (request, DFT_WIRE_MAX_JSON, &error);
  g_autoptr (JsonObject) top = NULL;
  g_autoptr (GPtrArray)  changes = NULL;
  g_autoptr (JsonObject) object = NULL;
  g_autofree char       *epoch = NULL;
  JsonNode              *protocol;
  JsonNode              *relay_node;
  gboolean               relay = FALSE, stop;

  if (json == NULL)
    {
      _dft_server_reply_gerror (&request->reply, error);
      return;
    }
  changes = dft_wire_decode_batch (json, &top, &error);
  if (changes == NULL)
    {
      _dft_server_reply_gerror (&request->reply, error);
      return;
    }
  {
    static const char *const known[]
        = { "server", "protocol", "epoch", "devices", "ids", "changes", "relay", NULL };
    g_autoptr (GList) names = json_object_get_members (top);

    for (GList *l = names; l != NULL; l = l->next)
      if (!g_strv_contains (known, l->data))
        {
          g_autofree char *message
              /* Translators: %s is a JSON member name a client sent */
              = g_strdup_printf (_ ("The batch has an unknown member “%s”."),
                                 (const char *) l->data);
          _dft_server_reply_error (&request->reply, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                   message);
          return;
        }
  }
  protocol = json_object_get_member (top, "protocol");
  if (protocol != NULL
      && (!JSON_NODE_HOLDS_VALUE (protocol) || json_node_get_value_type (protocol) != G_TYPE_INT64
          || json_node_get_int (protocol) != DFT_WIRE_PROTOCOL))
    {
      _dft_server_reply_error (
          &request->reply, SOUP_STATUS_BAD_REQUEST, "bad_request",
          _ ("This batch is of another version of the sync protocol; update Daftari."));
      return;
    }
  relay_node = json_object_get_member (top, "relay");
  if (relay_node != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (relay_node)
          || json_node_get_value_type (relay_node) != G_TYPE_BOOLEAN)
        {
          _dft_server_reply_error (&request->reply, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                   _ ("The member “relay” must be true or false."));
          return;
        }
      relay = json_node_get_boolean (relay_node);
    }

  object = _dft_server_reply_object_new ();
  if (!push_apply (self, request, device, changes, relay, object, &stop))
    return;
  epoch = _dft_server_current_epoch (self);
  json_object_set_string_member (object, "epoch", epoch);
  json_object_set_int_member (object, "time", dft_hlc_wall_ms ());
  _dft_server_reply_json (&request->reply, SOUP_STATUS_OK, object);
}

static gboolean
query_number (GHashTable *query,
              const char *name,
              gint64      min,
              gint64      max,
              gint64      fallback,
              gint64     *out,
              GError    **error)
{
  const char *text = query != NULL ? g_hash_table_lookup (query, name) : NULL;

  if (text == NULL)
    {
      *out = fallback;
      return TRUE;
    }
  if (!g_ascii_string_to_signed (text, 10, min, max, out, NULL))
    {
      g_autofree char *message = g_strdup_printf (
          /* Translators: %s is a query parameter; the numbers are its bounds */
          _ ("The parameter “%s” must be a whole number from %lld to %lld."), name, (long long) min,
          (long long) max);
      return _dft_server_bad_request (error, message);
    }
  return TRUE;
}

/* About how many bytes of JSON a change takes on the wire. */
static gsize
change_size (DftChange *change)
{
  g_autoptr (GList) names = json_object_get_members (change->fields);
  gsize             size = 128;

  for (GList *l = names; l != NULL; l = l->next)
    {
      JsonNode *node = json_object_get_member (change->fields, l->data);

      size += 48 + strlen (l->data);
      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        size += strlen (json_node_get_string (node));
    }
  return size;
}

/* Keeps the first changes that fit in @max_bytes, one at least; TRUE when some were cut. */
static gboolean
trim_to_bytes (GPtrArray *changes, gsize max_bytes)
{
  gsize total = 0;

  for (guint i = 0; i < changes->len; i++)
    {
      total += change_size (g_ptr_array_index (changes, i));
      if (total > max_bytes && i > 0)
        {
          g_ptr_array_set_size (changes, i);
          return TRUE;
        }
    }
  return FALSE;
}

/*
 * Whether the change the server holds as @device_id's number @seq is the one
 * whose digest the device sent. A change the server no longer holds in its log
 * (set aside) cannot be compared and counts as the same.
 */
static gboolean
holds_same_change (DftStore *store, const char *device_id, gint64 seq, const char *digest)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) changes = dft_store_read_log (store, seq - 1, 1, device_id, NULL, &error);
  g_autofree char      *held = NULL;
  DftChange            *change;

  if (changes == NULL)
    {
      g_warning ("could not compare a device's acknowledged change: %s", error->message);
      return TRUE;
    }
  if (changes->len == 0 || (change = g_ptr_array_index (changes, 0))->origin_seq != seq)
    return TRUE;
  held = dft_change_digest (change);
  /* A sync names it by its first 16 digits at least (64 bits), a push's header by all 64. */
  return strlen (digest) >= 16 && g_ascii_strncasecmp (held, digest, strlen (digest)) == 0;
}

/* How many people one "resync" names at most. For tests: a few purged people show the bound,
 * set by DAFTARI_SERVER_TEST_RESYNC_MAX (unset outside tests, it costs one getenv a pull). */
static guint
resync_max (void)
{
  const char *text = g_getenv ("DAFTARI_SERVER_TEST_RESYNC_MAX");
  guint64     max = 0;

  if (text != NULL && g_ascii_string_to_unsigned (text, 10, 1, DFT_SERVER_RESYNC_MAX, &max, NULL))
    return (guint) max;
  return DFT_SERVER_RESYNC_MAX;
}

/*
 * A page of the changes after @after that @device may see, at most @limit: @extra gets the
 * page's members (cursor, more, acked, acked_other, scope, purged, resync); *visible the changes,
 * which *page owns; *epoch the epoch the page belongs to. FALSE with request->reply set when the
 * server failed.
 */
static gboolean
pull_page (DftServer  *self,
           Request    *request,
           DftDevice  *device,
           gint64      after,
           gint64      limit,
           JsonObject *extra,
           GPtrArray **page,
           GPtrArray **visible,
           char      **epoch)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftScope)  scope = NULL;
  g_autofree char      *scope_mark = NULL;
  g_autoptr (GPtrArray) resync = NULL;
  GPtrArray            *changes;
  DftStore             *reader;
  gint64                cursor, last, own, told = 0, purged = 0;
  gboolean              more, other;

  /* In a cluster, what other processes received first: a cursor one of them gave is a
   * position here too. */
  if (self->cluster != NULL && !dft_server_cluster_catch_up (self->cluster, self->store, &error))
    {
      _dft_server_reply_gerror (&request->reply, error);
      return FALSE;
    }
  if (self->cluster != NULL)
    _dft_server_take_cluster_epoch (self);
  /* The epoch before the page's snapshot: a restore declared in between pairs the old epoch
   * with the restored data, which the device's next request undoes (a new epoch has it pull
   * from 0), whereas the new epoch with positions read before the restore would have it keep
   * a cursor into a log that is gone. */
  *epoch = _dft_server_current_epoch (self);
  /* Read beside the pushes, on a connection of its own and from one commit
   * (dft-server-readers.c); push_lock only when a restore is to be declared. */
  reader = _dft_server_reader_take (self, &error);
  if (reader == NULL)
    {
      _dft_server_reply_internal (&request->reply, error);
      return FALSE;
    }
  /* A device that pulled past the end of the log, or to a position between the end of the
   * files at start and this run's first, pulled from data that is gone. */
  last = dft_store_last_seq (reader, &error);
  if (last >= 0 && request->acked != NULL)
    g_ascii_string_to_signed (request->acked, 10, 0, G_MAXINT64, &told, NULL);
  if (last >= 0
      && (after > last || _dft_server_in_log_gap (self, after)
          || told > dft_store_origin_high (reader, device->id, NULL)))
    {
      gboolean restored = TRUE;

      /* Seen again by the writer, under the lock _dft_server_restore_found() needs. */
      g_mutex_lock (&self->push_lock);
      last = dft_store_last_seq (self->store, &error);
      if (last >= 0 && (after > last || _dft_server_in_log_gap (self, after)))
        {
          _dft_server_restore_found (
              self, "a device pulled from a position the server's log does not hold");
          after = 0;
        }
      else if (last >= 0 && told > dft_store_origin_high (self->store, device->id, NULL))
        _dft_server_restore_found (
            self, "a device was told the server holds more of its changes than it does");
      else
        restored = FALSE;
      g_mutex_unlock (&self->push_lock);
      /* The data was restored before the snapshot was taken: the page is of the new epoch. */
      if (restored)
        {
          g_free (*epoch);
          *epoch = _dft_server_current_epoch (self);
        }
    }
  if (last < 0)
    {
      _dft_server_reader_give (self, reader);
      _dft_server_reply_internal (&request->reply, error);
      return FALSE;
    }
  /* It holds everything up to @after (the horizon rule, dft-server-purge.c). */
  if (after <= last)
    _dft_server_note_pulled (self, device->id, after);
  changes = *page = _dft_server_read_pull_page (self, reader, device, after, (guint) limit, &cursor,
                                                &more, &error);
  if (changes == NULL)
    {
      _dft_server_reader_give (self, reader);
      _dft_server_reply_internal (&request->reply, error);
      return FALSE;
    }
  /* A page is bounded by its size as well as its count: a few large records (form definitions,
   * answers, conflicts that copy them) must not make a page no device will take. */
  if (trim_to_bytes (changes, PULL_MAX_BYTES))
    {
      more = TRUE;
      cursor = ((DftChange *) g_ptr_array_index (changes, changes->len - 1))->seq;
    }
  /* People purged whose delete it had not pulled (their last change is after @after): it is
   * told to let them go (sync/PROTOCOL.md, "Purge"), those whose last change is at or below the
   * page's cursor, or all that are left on the last page, a bounded number at a time. When the
   * bound leaves some out, the page ends at the last one named and the next names the rest: a
   * cursor never passes one it was not told. Every page says how many people were ever
   * purged: a device that starts from 0 holding people, which no page names, asks about them
   * (POST purged) when that number is not the one it last asked under, and one past 0 asks
   * about the deleted people it holds, whose delete it pulled and so is never named either. */
  purged = dft_store_count_purged (reader, &error);
  if (purged < 0)
    {
      _dft_server_reader_give (self, reader);
      _dft_server_reply_internal (&request->reply, error);
      return FALSE;
    }
  if (after > 0)
    {
      gint64   listed = after;
      gboolean cut = FALSE;

      resync = dft_store_purged_since (reader, after, more ? cursor : last, resync_max (), &listed,
                                       &cut, &error);
      if (resync == NULL)
        {
          _dft_server_reader_give (self, reader);
          _dft_server_reply_internal (&request->reply, error);
          return FALSE;
        }
      if (cut)
        {
          while (changes->len > 0
                 && ((DftChange *) g_ptr_array_index (changes, changes->len - 1))->seq > listed)
            g_ptr_array_remove_index (changes, changes->len - 1);
          more = TRUE;
        }
      /* Past the people named, whose positions the log gave (never one this run skipped):
       * on the last page, those after its last change are not named again by every pull. */
      if (cut || listed > cursor)
        cursor = listed;
    }
  own = dft_store_origin_high (reader, device->id, &error);
  scope_mark = own < 0 ? NULL : dft_scope_mark (reader, device, &error);
  if (scope_mark == NULL)
    {
      _dft_server_reader_give (self, reader);
      _dft_server_reply_internal (&request->reply, error);
      return FALSE;
    }
  scope = dft_scope_new (reader, self->db, device);
  *visible = dft_scope_filter_pull (scope, changes, &error);
  if (*visible == NULL)
    {
      _dft_server_reader_give (self, reader);
      _dft_server_reply_internal (&request->reply, error);
      return FALSE;
    }
  other = told > 0 && told <= own && request->acked_change != NULL
          && !holds_same_change (reader, device->id, told, request->acked_change);
  g_clear_pointer (&scope, dft_scope_free);
  _dft_server_reader_give (self, reader);

  json_object_set_int_member (extra, "cursor", cursor);
  json_object_set_boolean_member (extra, "more", more);
  /* What the server holds of this device's own: more than it holds means a copy made them. */
  json_object_set_int_member (extra, "acked", own);
  if (other)
    json_object_set_int_member (extra, "acked_other", told);
  if (*scope_mark != '\0')
    json_object_set_string_member (extra, "scope", scope_mark);
  if (purged > 0)
    json_object_set_int_member (extra, "purged", purged);
  if (resync != NULL && resync->len > 0)
    {
      JsonArray *ids = json_array_sized_new (resync->len);

      for (guint i = 0; i < resync->len; i++)
        json_array_add_string_element (ids, g_ptr_array_index (resync, i));
      json_object_set_array_member (extra, "resync", ids);
    }
  return TRUE;
}

void
_dft_server_handle_pull (DftServer *self, Request *request, DftDevice *device)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (GPtrArray)  page = NULL;
  g_autoptr (GPtrArray)  visible = NULL;
  g_autoptr (JsonObject) extra = json_object_new ();
  g_autoptr (GBytes)     json = NULL;
  g_autofree char       *epoch = NULL;
  gint64                 after, limit;

  if (request->query != NULL)
    {
      GHashTableIter iter;
      gpointer       key;

      g_hash_table_iter_init (&iter, request->query);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        if (!g_str_equal (key, "after") && !g_str_equal (key, "limit"))
          {
            _dft_server_reply_error (&request->reply, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                     _ ("Pull takes the parameters “after” and “limit” only."));
            return;
          }
    }
  if (!query_number (request->query, "after", 0, G_MAXINT64, 0, &after, &error)
      || !query_number (request->query, "limit", 1, PULL_MAX_LIMIT, PULL_DEFAULT_LIMIT, &limit,
                        &error))
    {
      _dft_server_reply_gerror (&request->reply, error);
      return;
    }

  if (!pull_page (self, request, device, after, limit, extra, &page, &visible, &epoch))
    return;
  json_object_set_string_member (extra, "epoch", epoch);
  json_object_set_int_member (extra, "time", dft_hlc_wall_ms ());
  json = dft_wire_encode_batch (visible, extra);
  request->reply.status = SOUP_STATUS_OK;
  request->reply.body = dft_wire_gzip (json);
  request->reply.gzip = TRUE;
}

/* ---- One round trip: push and pull together (sync/PROTOCOL.md, "Sync") ---- */

/* The members a sync request may hold besides a batch's own. */
static const char *const sync_members[]
    = { "server", "protocol", "epoch", "devices",      "ids",  "changes",
        "after",  "limit",    "acked", "acked_change", "keys", NULL };

static gboolean
sync_number (JsonObject *top, const char *name, gint64 min, gint64 max, gint64 *out, GError **error)
{
  JsonNode *node = json_object_get_member (top, name);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64
      || json_node_get_int (node) < min || json_node_get_int (node) > max)
    {
      g_autofree char *message = g_strdup_printf (
          /* Translators: %s is a member of a sync request; the numbers are its bounds */
          _ ("The member “%s” must be a whole number from %lld to %lld."), name, (long long) min,
          (long long) max);
      return _dft_server_bad_request (error, message);
    }
  *out = json_node_get_int (node);
  return TRUE;
}

static gboolean
sync_string (JsonObject *top, const char *name, gsize max_length, const char **out, GError **error)
{
  JsonNode *node = json_object_get_member (top, name);

  *out = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING
      || strlen (json_node_get_string (node)) > max_length)
    {
      g_autofree char *message = g_strdup_printf (
          /* Translators: %s is a member of a sync request */
          _ ("The member “%s” must be a short string."), name);
      return _dft_server_bad_request (error, message);
    }
  *out = json_node_get_string (node);
  return TRUE;
}

/*
 * The device's own changes, pushed, and the page of what it may pull after them, in one
 * request: an ordinary sync is one round trip. The request is a batch (JSON, gzip or not) whose
 * top level may also hold "after" and "limit" (a pull page is wanted), "acked" and
 * "acked_change" (what the headers X-Daftari-Acked and X-Daftari-Acked-Change carry in a push),
 * "epoch" (the one the device knows: the reply names the server's only when it differs) and
 * "keys" (the tag of the device keys it holds: the reply carries them only when they changed).
 */
static void sync_counted (DftServer *self, Request *request, DftDevice *device);

void
_dft_server_handle_sync (DftServer *self, Request *request, DftDevice *device)
{
  gsize cost;

  if (!reserve_push (self, request, &cost))
    return;
  sync_counted (self, request, device);
  release_push (self, cost);
}

static void
sync_counted (DftServer *self, Request *request, DftDevice *device)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (GBytes)     json = NULL;
  g_autoptr (JsonObject) top = NULL;
  g_autoptr (GPtrArray)  changes = NULL;
  g_autoptr (GPtrArray)  page = NULL;
  g_autoptr (GPtrArray)  visible = NULL;
  g_autoptr (JsonObject) extra = json_object_new ();
  g_autofree char       *epoch = NULL;
  const char            *known_epoch = NULL, *acked_change = NULL, *keys = NULL;
  gint64                 after = -1, limit = PULL_DEFAULT_LIMIT, acked = 0, protocol = 1;
  gboolean               stop = FALSE, frame;

  frame = request->content_encoding == NULL && dft_wire_cols_is_frame (request->body);
  if (frame)
    changes = dft_wire_cols_decode (request->body, DFT_WIRE_MAX_PUSH_CHANGES, &top, &error);
  else
    {
      json = _dft_server_body_json (request, DFT_WIRE_MAX_JSON, &error);
      if (json != NULL)
        changes = dft_wire_decode_batch (json, &top, &error);
    }
  if (changes == NULL)
    {
      _dft_server_reply_gerror (&request->reply, error);
      return;
    }
  {
    g_autoptr (GList) names = json_object_get_members (top);

    for (GList *l = names; l != NULL; l = l->next)
      if (!g_strv_contains (sync_members, l->data))
        {
          g_autofree char *message
              /* Translators: %s is a JSON member name a client sent */
              = g_strdup_printf (_ ("The batch has an unknown member “%s”."),
                                 (const char *) l->data);
          _dft_server_reply_error (&request->reply, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                   message);
          return;
        }
  }
  if (!sync_number (top, "protocol", DFT_WIRE_PROTOCOL, DFT_WIRE_PROTOCOL, &protocol, &error)
      || !sync_number (top, "after", 0, G_MAXINT64, &after, &error)
      || !sync_number (top, "limit", 1, PULL_MAX_LIMIT, &limit, &error)
      || !sync_number (top, "acked", 0, G_MAXINT64, &acked, &error)
      || !sync_string (top, "acked_change", 64, &acked_change, &error)
      || !sync_string (top, "epoch", 64, &known_epoch, &error)
      || !sync_string (top, "keys", 64, &keys, &error))
    {
      _dft_server_reply_gerror (&request->reply, error);
      return;
    }
  /* Read by push_apply() and pull_page() as a push's and a pull's headers are. */
  if (acked > 0)
    {
      g_free (request->acked);
      request->acked = g_strdup_printf ("%" G_GINT64_FORMAT, acked);
      g_free (request->acked_change);
      request->acked_change = g_strdup (acked_change);
    }

  if (changes->len > 0)
    {
      if (!push_apply (self, request, device, changes, FALSE, extra, &stop))
        return;
      /* The device sends everything again from its first change: no page before that. */
      if (stop)
        after = -1;
    }
  if (after >= 0)
    {
      if (!pull_page (self, request, device, after, limit, extra, &page, &visible, &epoch))
        return;
    }
  else if (!json_object_has_member (extra, "acked"))
    {
      gint64 own = dft_store_origin_high (self->store, device->id, &error);

      if (own < 0)
        {
          _dft_server_reply_internal (&request->reply, error);
          return;
        }
      json_object_set_int_member (extra, "acked", own);
    }
  if (keys != NULL)
    {
      g_autoptr (JsonObject) device_keys = _dft_server_device_keys (self, &error);
      g_autofree char       *tag = NULL;

      if (device_keys == NULL)
        {
          _dft_server_reply_internal (&request->reply, error);
          return;
        }
      tag = _dft_server_device_keys_tag (device_keys);
      if (!g_str_equal (tag, keys))
        {
          json_object_set_object_member (extra, "device_keys", json_object_ref (device_keys));
          json_object_set_string_member (extra, "keys", tag);
        }
    }
  /* The device may name the epoch by its last 12 digits, which are random (UUID v7). The
   * epoch of the page, when there is one, read before it (pull_page()). */
  if (epoch == NULL)
    epoch = _dft_server_current_epoch (self);
  if (known_epoch == NULL || strlen (known_epoch) < EPOCH_TAG_LENGTH
      || !g_str_has_suffix (epoch, known_epoch))
    json_object_set_string_member (extra, "epoch", epoch);
  json_object_set_int_member (extra, "time", dft_hlc_wall_ms ());
  {
    g_autoptr (GPtrArray) none = g_ptr_array_new ();

    request->reply.status = SOUP_STATUS_OK;
    /* Answered in the format it was asked in: a frame, or JSON for an older or a debugging
     * client. */
    if (frame)
      {
        request->reply.body = dft_wire_cols_encode (visible != NULL ? visible : none, extra);
        request->reply.frame = TRUE;
      }
    else
      {
        g_autoptr (GBytes) text = dft_wire_encode_batch (visible != NULL ? visible : none, extra);

        request->reply.body = dft_wire_gzip (text);
        request->reply.gzip = TRUE;
      }
  }
}
