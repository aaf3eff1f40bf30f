/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "dft-bundle.h"
#include "dft-change-log.h"
#include "dft-store-attachments.h"
#include "dft-sync-client-private.h"
#include "dft-token-store.h"
#include "dft-uuid.h"
#include "dft-wire-cols.h"
#include "dft-wire.h"

/*
 * How a sync goes (sync/PROTOCOL.md): push this device's own changes after
 * the mark the server last acknowledged, in gzip batches of at most
 * batch-bytes; then pull pages after the saved cursor, applying each page in
 * one transaction before saving the cursor. Every step is one request. A
 * request that finds no server, or a busy one, is tried again after an
 * exponential, jittered wait; a transfer the link cut goes again after the
 * base delay with half the batch (down to one change), and each success
 * doubles it back up to the limit.
 */

#define MAX_RESTARTS 4
/* The headers of a request and its reply, about, next to the batch on one connection. */
#define LINK_OVERHEAD_BYTES 1024
/* Successes in a row after which a connection is trusted to carry a sixteenth more. */
#define LINK_TRUST_AFTER 8
/* The most people a pull's "resync" names (sync/PROTOCOL.md, "Purge"): a reply naming more is
 * refused, as one no server sends. And how many people one POST purged asks about. */
#define RESYNC_MAX     2000
#define PURGED_ASK_MAX 1000

gboolean
_dft_sync_state_get_int (DftStore *store, const char *key, gint64 *value, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char   *text = dft_store_get_sync_state (store, key, &local_error);

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  *value = text != NULL && *text != '\0' ? g_ascii_strtoll (text, NULL, 10) : 0;
  return TRUE;
}

gboolean
_dft_sync_state_set_int (DftStore *store, const char *key, gint64 value, GError **error)
{
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, value);

  return dft_store_set_sync_state (store, key, text, error);
}

/* A stored value, NULL when absent or empty ("" stands for "none"). */
char *
_dft_sync_state_get_string (DftStore *store, const char *key, GError **error)
{
  g_autofree char *text = dft_store_get_sync_state (store, key, error);

  return text != NULL && *text != '\0' ? g_steal_pointer (&text) : NULL;
}

static void
post_pending (Run *run)
{
  gint64 pending = dft_store_count_pending_changes (run->store, NULL);

  if (pending >= 0)
    _dft_sync_client_post_update (run, PROP_PENDING_CHANGES, 0, pending);
}

static void
note_clock (Run *run, JsonObject *reply, gint64 sent_ms)
{
  gint64 now = dft_store_wall_ms (run->store);
  gint64 server_ms;

  if (!_dft_sync_member_int (reply, "time", &server_ms))
    return;
  /* The server read its clock about half way through the exchange. */
  _dft_sync_client_post_update (run, PROP_CLOCK_DRIFT_MS, 0, server_ms - (sent_ms + now) / 2);
}

/*
 * A server restored from a backup has a new epoch and may lack what it once
 * acknowledged: forget the marks, then remember the epoch, in that order, so
 * a crash between the two only makes the reset happen again.
 */
static gboolean
check_epoch (Run *run, JsonObject *reply, gboolean *changed, GError **error)
{
  const char        *epoch = _dft_sync_member_string (reply, "epoch");
  g_autoptr (GError) local_error = NULL;
  g_autofree char   *known = NULL;

  *changed = FALSE;
  if (epoch == NULL || *epoch == '\0')
    return TRUE;
  known = _dft_sync_state_get_string (run->store, "epoch", &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (g_strcmp0 (known, epoch) == 0)
    return TRUE;
  if (known != NULL)
    {
      g_debug ("sync: the server's epoch changed from %s to %s: sending everything again", known,
               epoch);
      /* And everything it holds from others, for devices that no longer sync. */
      if (!_dft_sync_state_set_int (run->store, "push_acked_seq", 0, error)
          || !_dft_sync_state_set_int (run->store, "pull_cursor", 0, error)
          || !_dft_sync_state_set_int (run->store, "relay_after", 0, error)
          /* The files it held may be gone too. */
          || !dft_store_forget_attachment_uploads (run->store, error))
        return FALSE;
      *changed = TRUE;
    }
  return dft_store_set_sync_state (run->store, "epoch", epoch, error);
}

/* Encodes the first changes that fit in the target size; *n_used says how many. */
static GBytes *
encode_push (Run *run, GPtrArray *changes, JsonObject *extra, gboolean frame, guint *n_used)
{
  guint n = changes->len;

  for (;;)
    {
      g_autoptr (GPtrArray) part = g_ptr_array_new ();
      g_autoptr (GBytes)    json = NULL;
      g_autoptr (GBytes)    gzip = NULL;
      gsize                 size;

      for (guint i = 0; i < n; i++)
        g_ptr_array_add (part, g_ptr_array_index (changes, i));
      if (frame)
        gzip = dft_wire_cols_encode (part, extra);
      else
        {
          json = dft_wire_encode_batch (part, extra);
          gzip = dft_wire_gzip (json);
        }
      size = g_bytes_get_size (gzip);
      if (size <= run->target_bytes || n == 1)
        {
          *n_used = n;
          return g_steal_pointer (&gzip);
        }
      /* Scale down by what it came to, with a margin: gzip is not linear. */
      n = MAX (1, MIN (n - 1, (guint) ((guint64) n * run->target_bytes * 9 / 10 / size)));
    }
}

/* The most a batch may be on this link: under what a connection carried before a cut. */
static guint
link_cap (Run *run)
{
  guint64 cap = run->link_bytes * 3 / 4;

  if (run->link_bytes == 0)
    return run->batch_bytes;
  cap = cap > LINK_OVERHEAD_BYTES ? cap - LINK_OVERHEAD_BYTES : 0;
  return (guint) CLAMP (cap, MIN_BATCH_BYTES, run->batch_bytes);
}

/*
 * After a cut: at most half the batch, and under what the link let through (a connection the
 * link cuts after so many bytes takes one batch whole rather than part of two); the next try
 * goes soon (see dft-sync-transport.c).
 */
static void
shrink_after (Run *run, Failure failure, guint *limit, guint minimum)
{
  if (failure != FAIL_DROPPED && failure != FAIL_SHRINK)
    return;
  *limit = MAX (minimum, *limit / 2);
  run->target_bytes = MAX (MIN_BATCH_BYTES, MIN (run->target_bytes / 2, link_cap (run)));
}

/*
 * After a success: a quarter more, up to the limit. What a connection may carry is trusted a
 * little more after every few successes in a row, so a link that got better is used better,
 * at the cost of one cut now and then when it did not.
 */
static void
grow_after_success (Run *run, guint *limit, guint used, guint maximum)
{
  *limit = MIN (maximum, MAX (*limit, used + used / 4 + 1));
  if (run->link_bytes > 0 && ++run->link_successes >= LINK_TRUST_AFTER)
    {
      run->link_bytes += run->link_bytes / 16;
      run->link_successes = 0;
    }
  run->target_bytes = MIN (link_cap (run), run->target_bytes + run->target_bytes / 4 + 1);
}

/*
 * The public half of this device's bundle signing key, made at its first
 * sign-in: the server enrols it with the device and checks the device's USB
 * bundles with it (sync/PROTOCOL.md, "Bundles").
 */
static gboolean
add_sign_key (Run *run, JsonBuilder *builder, GError **error)
{
  g_autofree char *key = dft_bundle_ensure_device_key (run->store, error);

  if (key == NULL)
    return FALSE;
  json_builder_set_member_name (builder, "sign_key");
  json_builder_add_string_value (builder, key);
  return TRUE;
}

/* The server's key that bundles are sealed to, as a sign-in reply gives it (old servers don't). */
static gboolean
keep_bundle_key (Run *run, JsonObject *reply, GError **error)
{
  const char *key = _dft_sync_member_string (reply, "bundle_key");

  if (key == NULL || !dft_bundle_key_is_valid (key))
    return TRUE;
  return dft_store_set_sync_state (run->store, DFT_BUNDLE_STATE_SERVER_KEY, key, error);
}

/*
 * The signing keys of the server's devices, so that this laptop can check a
 * bundle another laptop brings. Best effort: an older server does not have
 * them, and a failure here is no reason to call the sync failed; the keys
 * from the last sync stay.
 */
static void
fetch_device_keys (Run *run, const char *server_url)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (GBytes)     json = NULL;
  g_autoptr (JsonObject) reply = NULL;
  g_autofree char       *text = NULL;
  JsonNode              *devices;
  Failure                failure;

  if (!_dft_sync_request (run, server_url, "GET", "device-keys", NULL, FALSE, &json, &reply,
                          &failure, &error))
    {
      g_debug ("no device keys from the server: %s", error->message);
      return;
    }
  devices = json_object_get_member (reply, "devices");
  if (devices == NULL || !JSON_NODE_HOLDS_OBJECT (devices))
    return;
  text = json_to_string (devices, FALSE);
  if (!dft_store_set_sync_state (run->store, DFT_BUNDLE_STATE_DEVICE_KEYS, text, &error))
    g_debug ("device keys not kept: %s", error->message);
}

/* Asks the server to enrol @device_id like the device whose token this is; returns its token. */
static char *
request_identity (Run *run, const char *server_url, const char *device_id, GError **error)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode)    root = NULL;
  g_autoptr (GBytes)      body = NULL;
  g_autoptr (GBytes)      json = NULL;
  g_autoptr (JsonObject)  reply = NULL;
  g_autofree char        *text = NULL;
  const char             *token;
  guint                   failures = 0;
  Failure                 failure;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "device_id");
  json_builder_add_string_value (builder, device_id);
  json_builder_set_member_name (builder, "device_name");
  json_builder_add_string_value (builder, g_get_host_name ());
  if (!add_sign_key (run, builder, error))
    return NULL;
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  body = g_bytes_new (text, strlen (text));
  while (!_dft_sync_request (run, server_url, "POST", "reidentify", body, FALSE, &json, &reply,
                             &failure, error))
    if (!_dft_sync_should_retry (run, failure, &failures, error))
      return NULL;
  token = _dft_sync_member_string (reply, "token");
  if (token == NULL || *token == '\0'
      || g_strcmp0 (_dft_sync_member_string (reply, "device_id"), device_id) != 0)
    {
      _dft_sync_not_the_server (error);
      return NULL;
    }
  return g_strdup (token);
}

/*
 * This database is a copy of another device's (a copied file, a restored
 * backup): the server holds other changes under this device's names. It takes
 * a new device id, enrolled by the server like the one whose token it holds;
 * its changes numbered after @after_seq, where the copies parted, move to the
 * new id, to be sent again; and it pulls everything again, since changes the
 * other copy made under the shared id were never pulled (sync/PROTOCOL.md,
 * "Forks").
 */
static gboolean
take_new_identity (Run *run, const char *server_url, gint64 after_seq, GError **error)
{
  g_autofree char *fresh = dft_uuid_v4_new ();
  g_autofree char *token = NULL;

  run->forked = FALSE;
  token = request_identity (run, server_url, fresh, error);
  if (token == NULL)
    return FALSE;
  {
    const char *state[] = { "token",
                            token,
                            "token_device",
                            fresh,
                            "push_acked_seq",
                            "0",
                            "pull_cursor",
                            "0",
                            "scope_mark",
                            "",
                            NULL };

    /* The token changes with the id, in one transaction; then it moves to the keyring. */
    if (!dft_store_take_identity (run->store, fresh, after_seq, state, error)
        || !dft_token_store_save (run->store, NULL, fresh, token, error))
      return FALSE;
  }
  g_free (run->token);
  run->token = g_steal_pointer (&token);
  run->stats.new_identity = TRUE;
  post_pending (run);
  return TRUE;
}

/*
 * A bundle found this database to be a copy and it took a new id offline: its
 * token still names the old one, so it asks for one of its own first.
 */
static gboolean
check_token_device (Run *run, const char *server_url, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char   *holder = _dft_sync_state_get_string (run->store, "token_device", &local_error);
  g_autofree char   *token = NULL;
  const char        *device = dft_store_get_device_id (run->store);

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (holder == NULL || g_str_equal (holder, device))
    return TRUE;
  token = request_identity (run, server_url, device, error);
  if (token == NULL || !dft_token_store_save (run->store, NULL, device, token, error))
    return FALSE;
  g_free (run->token);
  run->token = g_steal_pointer (&token);
  run->stats.new_identity = TRUE;
  return TRUE;
}

/* Changes made while this laptop's date was far ahead get clock values the server takes, once
 * the date is right again (sync/PROTOCOL.md, "Clocks"); until then the server says so. */
static gboolean
restamp_own (Run *run, GError **error)
{
  gint64 acked;
  guint  n = 0;

  if (!_dft_sync_state_get_int (run->store, "push_acked_seq", &acked, error)
      || !dft_store_restamp_ahead (run->store, acked, &n, error))
    return FALSE;
  run->stats.restamped += n;
  return TRUE;
}

/*
 * After a new epoch, the server may lack changes only other devices hold: a
 * device that no longer syncs made them. Every device sends everything it
 * holds, in its own log's order, as relayed batches; the server keeps what
 * the device may relay (its scope) and what it lacks.
 */
static gboolean
relay (Run *run, const char *server_url, gboolean *restart, GError **error)
{
  g_autoptr (JsonObject) extra = json_object_new ();
  g_autoptr (GError)     local_error = NULL;
  g_autofree char       *text = NULL;
  gint64                 after;
  guint                  failures = 0;

  *restart = FALSE;
  text = _dft_sync_state_get_string (run->store, "relay_after", &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (text == NULL)
    return TRUE;
  after = g_ascii_strtoll (text, NULL, 10);
  json_object_set_boolean_member (extra, "relay", TRUE);
  if (!restamp_own (run, error))
    return FALSE;

  for (;;)
    {
      g_autoptr (GPtrArray)  changes = NULL;
      g_autoptr (GBytes)     body = NULL;
      g_autoptr (GBytes)     json = NULL;
      g_autoptr (JsonObject) reply = NULL;
      Failure                failure;
      guint                  n = 0;

      if (g_cancellable_set_error_if_cancelled (run->cancellable, error))
        return FALSE;
      changes = dft_store_read_log (run->store, after, run->push_limit, NULL, NULL, error);
      if (changes == NULL)
        return FALSE;
      if (changes->len == 0)
        return dft_store_set_sync_state (run->store, "relay_after", "", error);
      body = encode_push (run, changes, extra, FALSE, &n);
      if (!_dft_sync_request (run, server_url, "POST", "push", body, TRUE, &json, &reply, &failure,
                              error))
        {
          if (run->forked)
            {
              /* One of its own changes: this database is the copy. */
              g_clear_error (error);
              if (!take_new_identity (run, server_url, run->fork_seq - 1, error))
                return FALSE;
              *restart = TRUE;
              return TRUE;
            }
          shrink_after (run, failure, &run->push_limit, 1);
          if (_dft_sync_should_retry (run, failure, &failures, error))
            continue;
          /* A server older than relaying refuses the member: there is nothing to do but go on. */
          if (g_error_matches (*error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_REFUSED))
            {
              g_debug ("sync: the server does not take relayed changes: %s", (*error)->message);
              g_clear_error (error);
              return dft_store_set_sync_state (run->store, "relay_after", "", error);
            }
          return FALSE;
        }
      failures = 0;
      if (!check_epoch (run, reply, restart, error) || *restart)
        return *restart;
      after = ((DftChange *) g_ptr_array_index (changes, n - 1))->seq;
      run->stats.relayed += n;
      if (!_dft_sync_state_set_int (run->store, "relay_after", after, error))
        return FALSE;
      grow_after_success (run, &run->push_limit, n, PUSH_LIMIT_MAX);
    }
}

/*
 * Changes the server set aside (sync/PROTOCOL.md, "Set aside"): refused one by one with a
 * reason while the rest was applied. They stay here as they are; the reason is kept beside
 * them, to tell the trainer, and the push moves on past them.
 */
static gboolean
note_set_aside (Run *run, JsonObject *reply, GError **error)
{
  JsonNode  *node = json_object_get_member (reply, "set_aside");
  JsonArray *list;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      _dft_sync_not_the_server (error);
      return FALSE;
    }
  list = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonNode   *item = json_array_get_element (list, i);
      JsonObject *object = JSON_NODE_HOLDS_OBJECT (item) ? json_node_get_object (item) : NULL;
      const char *reason = object != NULL ? _dft_sync_member_string (object, "reason") : NULL;
      gint64      seq = 0;

      if (object == NULL || !_dft_sync_member_int (object, "seq", &seq) || seq <= 0
          || reason == NULL)
        {
          _dft_sync_not_the_server (error);
          return FALSE;
        }
      if (!dft_store_set_aside (run->store, dft_store_get_device_id (run->store), seq, NULL, reason,
                                error))
        return FALSE;
      run->stats.set_aside++;
      g_free (run->set_aside_reason);
      run->set_aside_reason = g_strdup (reason);
    }
  return TRUE;
}

/*
 * What a push's reply says (a push, or the push half of a sync): the mark moves to what the
 * server holds of this device's changes, never past what was sent (@last_sent). *restart when
 * the server wants everything again from the first change.
 */
static gboolean
after_push_reply (Run        *run,
                  JsonObject *reply,
                  gint64     *acked,
                  gint64      last_sent,
                  guint       n,
                  guint      *stuck,
                  gboolean   *restart,
                  GError    **error)
{
  gint64 server_acked, mark, other;

  /* The server holds another change under the number it last acknowledged (see pull):
   * nothing was applied, and everything is sent again from the first. */
  if (_dft_sync_member_int (reply, "acked_other", &other) && other > 0 && *acked > 0)
    {
      g_debug ("sync: the server holds another change as this device's #%" G_GINT64_FORMAT, other);
      if (!_dft_sync_state_set_int (run->store, "push_acked_seq", 0, error))
        return FALSE;
      *restart = TRUE;
      return TRUE;
    }
  if (!_dft_sync_member_int (reply, "acked", &server_acked))
    {
      _dft_sync_not_the_server (error);
      return FALSE;
    }
  if (!note_set_aside (run, reply, error))
    return FALSE;
  /* The server names the highest seq it holds from us; never past what was sent. */
  mark = MIN (server_acked, last_sent);
  if (mark <= *acked)
    {
      /* Nothing moved: the server lacks earlier changes, or refuses these silently. */
      if (++*stuck >= 2)
        {
          g_set_error_literal (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_REFUSED,
                               _ ("The server did not accept this device's changes. They "
                                  "are kept on this device."));
          return FALSE;
        }
    }
  else
    *stuck = 0;
  if (!_dft_sync_state_set_int (run->store, "push_acked_seq", MAX (mark, 0), error))
    return FALSE;
  if (mark > *acked)
    run->stats.pushed += (guint) (mark - *acked);
  *acked = MAX (mark, 0);
  grow_after_success (run, &run->push_limit, n, PUSH_LIMIT_MAX);
  post_pending (run);
  return TRUE;
}

/* A push refused as a fork: this database is a copy, and takes a new identity. */
static gboolean
after_fork (Run *run, const char *server_url, gboolean *restart, GError **error)
{
  g_clear_error (error);
  if (!take_new_identity (run, server_url, run->fork_seq - 1, error))
    return FALSE;
  *restart = TRUE;
  return TRUE;
}

static gboolean
push (Run *run, const char *server_url, gboolean *restart, GError **error)
{
  const char *device = dft_store_get_device_id (run->store);
  gint64      acked, high, first_acked;
  guint       failures = 0, stuck = 0;

  *restart = FALSE;
  if (!restamp_own (run, error)
      || !_dft_sync_state_get_int (run->store, "push_acked_seq", &acked, error))
    return FALSE;
  high = dft_store_origin_high (run->store, device, error);
  if (high < 0)
    return FALSE;
  first_acked = acked;

  while (acked < high)
    {
      g_autoptr (GPtrArray)  changes = NULL;
      g_autoptr (GBytes)     body = NULL;
      g_autoptr (GBytes)     json = NULL;
      g_autoptr (JsonObject) reply = NULL;
      Failure                failure;
      gint64                 sent_ms, last_sent;
      guint                  n = 0;

      if (g_cancellable_set_error_if_cancelled (run->cancellable, error))
        return FALSE;
      /* Read by this device's own numbers (origin seq), which the mark counts. */
      changes = dft_store_read_log (run->store, acked, run->push_limit, device, NULL, error);
      if (changes == NULL)
        return FALSE;
      if (changes->len == 0)
        break;
      body = encode_push (run, changes, NULL, FALSE, &n);
      last_sent = ((DftChange *) g_ptr_array_index (changes, n - 1))->origin_seq;

      sent_ms = dft_store_wall_ms (run->store);
      if (!_dft_sync_request (run, server_url, "POST", "push", body, TRUE, &json, &reply, &failure,
                              error))
        {
          if (run->forked)
            return after_fork (run, server_url, restart, error);
          shrink_after (run, failure, &run->push_limit, 1);
          if (_dft_sync_should_retry (run, failure, &failures, error))
            continue;
          return FALSE;
        }
      failures = 0;

      if (!check_epoch (run, reply, restart, error))
        return FALSE;
      if (*restart)
        return TRUE;
      note_clock (run, reply, sent_ms);
      if (!after_push_reply (run, reply, &acked, last_sent, n, &stuck, restart, error))
        return FALSE;
      if (*restart)
        return TRUE;
      if (high > first_acked)
        _dft_sync_client_post_update (
            run, PROP_PROGRESS,
            0.5 * (double) (acked - first_acked) / (double) (high - first_acked), 0);
    }
  return TRUE;
}

/* Lets go of the people @ids the server purged (sync/PROTOCOL.md, "Purge"). */
static gboolean
forget_people (Run *run, GPtrArray *ids, GError **error)
{
  DftPurgeStats purged = { 0 };

  if (ids->len == 0)
    return TRUE;
  if (!dft_store_forget_purged (run->store, ids, &purged, error))
    return FALSE;
  if (purged.people > 0)
    g_debug ("sync: %u people deleted on the server while this device was away: removed",
             purged.people);
  run->stats.forgotten += purged.people;
  return TRUE;
}

/*
 * Which of the people this device holds the server purged, PURGED_ASK_MAX at a time (POST
 * purged), since no page will name them: all of them before the first page of a pull from 0
 * (a new epoch, a cursor put back, a restored database), or with @deleted_only the deleted ones,
 * whose delete this device pulled. A device that holds nobody (a new one) asks nothing; a
 * server from before the request answers 404, and its purge is not known here. Only the people
 * asked about are let go, whatever the reply names.
 */
static gboolean
ask_purged (Run *run, const char *server_url, gboolean deleted_only, GError **error)
{
  g_autoptr (GPtrArray) held = dft_store_list_person_ids (run->store, deleted_only, error);

  if (held == NULL)
    return FALSE;
  for (guint from = 0; from < held->len; from += PURGED_ASK_MAX)
    {
      guint                  to = MIN (held->len, from + PURGED_ASK_MAX);
      g_autoptr (GHashTable) asked = g_hash_table_new (g_str_hash, g_str_equal);
      g_autoptr (GBytes)     body = _dft_sync_list_body ("ids", held, from, to);
      guint                  failures = 0;

      for (guint i = from; i < to; i++)
        g_hash_table_add (asked, g_ptr_array_index (held, i));

      for (;;)
        {
          g_auto (DftSyncBytes)  bytes = { 0 };
          g_autoptr (JsonObject) reply = NULL;
          g_autoptr (GPtrArray)  ids = NULL;
          Failure                failure;
          JsonNode              *node;
          JsonArray             *array;

          if (!_dft_sync_request_bytes (run, server_url, "POST", "purged", body, &bytes, &reply,
                                        &failure, error))
            {
              if (bytes.status == 404 && g_strcmp0 (bytes.error_code, "not_found") == 0)
                {
                  g_debug ("sync: the server does not say which people it purged");
                  g_clear_error (error);
                  return TRUE;
                }
              if (!_dft_sync_should_retry (run, failure, &failures, error))
                return FALSE;
              continue;
            }
          node = json_object_get_member (reply, "purged");
          if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
            {
              _dft_sync_not_the_server (error);
              return FALSE;
            }
          array = json_node_get_array (node);
          ids = g_ptr_array_new ();
          for (guint i = 0; i < json_array_get_length (array); i++)
            {
              JsonNode *id = json_array_get_element (array, i);

              if (JSON_NODE_HOLDS_VALUE (id) && json_node_get_value_type (id) == G_TYPE_STRING
                  && g_hash_table_remove (asked, json_node_get_string (id)))
                g_ptr_array_add (ids, (gpointer) json_node_get_string (id));
            }
          if (!forget_people (run, ids, error))
            return FALSE;
          break;
        }
    }
  return TRUE;
}

/*
 * Every page says how many people the server ever purged ("purged"), a number that only grows
 * within an epoch. Asked under that number once, the device let go of every one of them it
 * held, and it takes no purged person from a pull: it asks again only when the number (or the
 * epoch) is another, not on every pull of a device whose pulls skip its own changes and so stay
 * at 0. From 0 it asks about everyone it holds; past 0 the pages name those it held alive
 * (resync), and it asks about its deleted people only, whose delete it pulled: the row still
 * holds their name. Asking about everyone answers both.
 */
static gboolean
maybe_ask_purged (Run *run, const char *server_url, JsonObject *top, gint64 cursor, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char   *epoch = NULL;
  g_autofree char   *asked = NULL;
  g_autofree char   *asked_deleted = NULL;
  g_autofree char   *mark = NULL;
  gint64             purged;

  if (!_dft_sync_member_int (top, "purged", &purged) || purged <= 0)
    return TRUE;
  epoch = _dft_sync_state_get_string (run->store, "epoch", &local_error);
  if (local_error == NULL)
    asked = _dft_sync_state_get_string (run->store, "purged_asked", &local_error);
  if (local_error == NULL)
    asked_deleted = _dft_sync_state_get_string (run->store, "purged_asked_deleted", &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  mark = g_strdup_printf ("%s/%" G_GINT64_FORMAT, epoch != NULL ? epoch : "", purged);
  if (g_strcmp0 (asked, mark) == 0 || (cursor > 0 && g_strcmp0 (asked_deleted, mark) == 0))
    return TRUE;
  if (cursor > 0)
    return ask_purged (run, server_url, TRUE, error)
           && dft_store_set_sync_state (run->store, "purged_asked_deleted", mark, error);
  return ask_purged (run, server_url, FALSE, error)
         && dft_store_set_sync_state (run->store, "purged_asked", mark, error)
         && dft_store_set_sync_state (run->store, "purged_asked_deleted", mark, error);
}

/*
 * A page of changes from the server (a pull, or the pull half of a sync), applied in one
 * transaction before the cursor is saved: a stop in between only means the page comes again,
 * and applying is idempotent. *cursor moves on; *more says whether the server has more;
 * *restart when the device must start again (a fork, a new scope, a server put back).
 */
static gboolean
apply_page (Run        *run,
            const char *server_url,
            GPtrArray  *changes,
            JsonObject *top,
            gint64     *cursor,
            gboolean   *more,
            gboolean   *restart,
            GError    **error)
{
  DftApplyStats applied = { 0 };
  guint         yielded = 0;
  gint64        next;

  *more = FALSE;
  if (!_dft_sync_member_int (top, "cursor", &next) || next < *cursor)
    {
      g_set_error_literal (error, DFT_WIRE_ERROR, DFT_WIRE_ERROR_INVALID,
                           _ ("The server's reply has no valid position to continue from. "
                              "Nothing of it was applied."));
      return FALSE;
    }

  /* A workshop moved into this device's team: its records lie behind the cursor. */
  if (_dft_sync_member_string (top, "scope") != NULL)
    {
      g_autoptr (GError) local_error = NULL;
      g_autofree char *known = _dft_sync_state_get_string (run->store, "scope_mark", &local_error);
      const char      *mark = _dft_sync_member_string (top, "scope");

      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (g_strcmp0 (known, mark) != 0)
        {
          if ((*cursor != 0 && !_dft_sync_state_set_int (run->store, "pull_cursor", 0, error))
              || !dft_store_set_sync_state (run->store, "scope_mark", mark, error))
            return FALSE;
          if (*cursor != 0)
            {
              g_debug ("sync: this team's scope changed: pulling everything again");
              *cursor = 0;
              *more = TRUE;
              return TRUE;
            }
        }
    }
  /* The server holds changes under this device's id that it does not: another copy of
   * this database made them. */
  {
    gint64 server_own, own;

    if (_dft_sync_member_int (top, "acked", &server_own))
      {
        own = dft_store_origin_high (run->store, dft_store_get_device_id (run->store), error);
        if (own < 0)
          return FALSE;
        if (server_own > own)
          {
            /* What it holds of its own the server holds alike: it pushed first. */
            if (!take_new_identity (run, server_url, own, error))
              return FALSE;
            *restart = TRUE;
            return TRUE;
          }
      }
  }
  /* The server holds as many of this device's changes as it acknowledged, but another one
   * under the last number: it was put back, and another copy of this database sent its own
   * change under that number. Sent again from the first, the changes show where the copies
   * parted, and this database takes a new identity from there (the push's "forked"). */
  {
    gint64 other;

    if (_dft_sync_member_int (top, "acked_other", &other) && other > 0)
      {
        g_debug ("sync: the server holds another change as this device's #%" G_GINT64_FORMAT,
                 other);
        if (!_dft_sync_state_set_int (run->store, "push_acked_seq", 0, error))
          return FALSE;
        *restart = TRUE;
        return TRUE;
      }
  }

  /* People deleted and then purged on the server, whose delete this device had not pulled
   * (sync/PROTOCOL.md, "Purge"): let go here too, or they would live on only here. Its own
   * changes to them stay in its log; the push before this pull brought them to the server,
   * which set them aside for a coordinator to see. A device that pulls from 0 again is told
   * nothing of them by the log: it asks about the people it holds; and one that pulled their
   * delete asks about the deleted people it holds, whose rows still say who they were. */
  if (!maybe_ask_purged (run, server_url, top, *cursor, error))
    return FALSE;
  {
    JsonNode *node = json_object_get_member (top, "resync");

    if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
      {
        JsonArray            *array = json_node_get_array (node);
        g_autoptr (GPtrArray) ids = g_ptr_array_new ();

        /* Bounded by the server (a page names the rest): more is no server's reply, and would
         * hold the database in one transaction for as long as it takes. */
        if (json_array_get_length (array) > RESYNC_MAX)
          {
            _dft_sync_not_the_server (error);
            return FALSE;
          }
        for (guint i = 0; i < json_array_get_length (array); i++)
          {
            JsonNode *id = json_array_get_element (array, i);

            if (JSON_NODE_HOLDS_VALUE (id) && json_node_get_value_type (id) == G_TYPE_STRING
                && dft_uuid_is_valid (json_node_get_string (id)))
              g_ptr_array_add (ids, (gpointer) json_node_get_string (id));
          }
        if (!forget_people (run, ids, error))
          return FALSE;
      }
  }

  if (changes->len > 0
      && (!dft_store_yield_forks (run->store, changes, &yielded, error)
          || !dft_store_apply_changes (run->store, changes, &applied, error)))
    return FALSE;
  if (!_dft_sync_state_set_int (run->store, "pull_cursor", next, error))
    return FALSE;
  run->stats.received += changes->len;
  run->stats.applied += applied.applied;
  run->stats.conflicts += applied.conflicts;
  run->stats.clocks_ahead += applied.clocks_ahead;
  grow_after_success (run, &run->pull_limit, changes->len, PULL_LIMIT_MAX);

  *more = _dft_sync_member_bool (top, "more");
  if (*more && next == *cursor && changes->len == 0)
    {
      g_set_error_literal (error, DFT_WIRE_ERROR, DFT_WIRE_ERROR_INVALID,
                           _ ("The server says it has more changes but sent none."));
      return FALSE;
    }
  *cursor = next;
  return TRUE;
}

static gboolean
pull (Run *run, const char *server_url, gboolean *restart, GError **error)
{
  gint64 cursor;
  guint  failures = 0, pages = 0;

  *restart = FALSE;
  if (!_dft_sync_state_get_int (run->store, "pull_cursor", &cursor, error))
    return FALSE;

  for (;;)
    {
      g_autofree char       *path = NULL;
      g_autoptr (GBytes)     json = NULL;
      g_autoptr (JsonObject) reply = NULL;
      Failure                failure;
      gint64                 sent_ms;
      gboolean               more;

      if (g_cancellable_set_error_if_cancelled (run->cancellable, error))
        return FALSE;
      path = g_strdup_printf ("pull?after=%" G_GINT64_FORMAT "&limit=%u", cursor, run->pull_limit);
      sent_ms = dft_store_wall_ms (run->store);
      if (!_dft_sync_request (run, server_url, "GET", path, NULL, FALSE, &json, &reply, &failure,
                              error))
        {
          shrink_after (run, failure, &run->pull_limit, PULL_LIMIT_MIN);
          if (_dft_sync_should_retry (run, failure, &failures, error))
            continue;
          return FALSE;
        }
      failures = 0;

      if (!check_epoch (run, reply, restart, error))
        return FALSE;
      if (*restart)
        return TRUE;
      note_clock (run, reply, sent_ms);
      {
        g_autoptr (JsonObject) top = NULL;
        g_autoptr (GPtrArray)  changes = dft_wire_decode_batch (json, &top, error);

        if (changes == NULL
            || !apply_page (run, server_url, changes, top, &cursor, &more, restart, error))
          return FALSE;
      }
      if (*restart)
        return TRUE;
      pages++;
      _dft_sync_client_post_update (run, PROP_PROGRESS,
                                    0.5 + 0.5 * (1.0 - 1.0 / (double) (1u << MIN (pages, 20))), 0);
      if (!more)
        return TRUE;
    }
}

/* The device keys a sync's reply carries when they changed since the tag this device holds. */
static gboolean
keep_device_keys (Run *run, JsonObject *reply, GError **error)
{
  JsonNode        *devices = json_object_get_member (reply, "device_keys");
  const char      *tag = _dft_sync_member_string (reply, "keys");
  g_autofree char *text = NULL;

  if (devices == NULL || tag == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (devices))
    {
      _dft_sync_not_the_server (error);
      return FALSE;
    }
  text = json_to_string (devices, FALSE);
  return dft_store_set_sync_state (run->store, DFT_BUNDLE_STATE_DEVICE_KEYS, text, error)
         && dft_store_set_sync_state (run->store, "device_keys_tag", tag, error);
}

/*
 * An ordinary sync in as few round trips as the data allows (sync/PROTOCOL.md, "Sync"): each
 * request carries a batch of this device's own changes and, with its last batch, asks for the
 * first page of what it pulls, which the reply carries; further pages, if any, come the same
 * way with no changes. *old_server when the server has no such request (a server from before
 * it): the caller pushes and pulls apart, as before.
 */
static gboolean
exchange (Run        *run,
          const char *server_url,
          gboolean    send,
          gboolean    receive,
          gboolean   *restart,
          gboolean   *old_server,
          GError    **error)
{
  const char *device = dft_store_get_device_id (run->store);
  gint64      acked, high, first_acked, cursor;
  guint       failures = 0, stuck = 0, pages = 0;
  gboolean    pulled = !receive;

  *restart = FALSE;
  *old_server = FALSE;
  if ((send && !restamp_own (run, error))
      || !_dft_sync_state_get_int (run->store, "push_acked_seq", &acked, error)
      || !_dft_sync_state_get_int (run->store, "pull_cursor", &cursor, error))
    return FALSE;
  high = send ? dft_store_origin_high (run->store, device, error) : acked;
  if (high < 0)
    return FALSE;
  first_acked = acked;

  while ((send && acked < high) || !pulled)
    {
      g_autoptr (GPtrArray)  changes = NULL;
      g_autoptr (GPtrArray)  page = NULL;
      g_autoptr (GBytes)     body = NULL;
      g_autoptr (GBytes)     json = NULL;
      g_autoptr (JsonObject) reply = NULL;
      g_autoptr (JsonObject) extra = json_object_new ();
      g_autofree char       *epoch = NULL;
      g_autofree char       *keys = NULL;
      Failure                failure;
      gint64                 sent_ms, last_sent = acked;
      guint                  n = 0;
      gboolean               want_page, probe, more;

      if (g_cancellable_set_error_if_cancelled (run->cancellable, error))
        return FALSE;
      /* The link cut the last request after all of it had gone out: the server may hold the
       * batch. Asking costs a few hundred bytes, sending it again the whole batch. */
      probe = send && acked < high && run->upload_whole;
      if (send && acked < high && !probe)
        {
          changes = dft_store_read_log (run->store, acked, run->push_limit, device, NULL, error);
          if (changes == NULL)
            return FALSE;
        }
      else
        changes = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
      if (send && !probe && changes->len == 0)
        high = acked;

      /* What the server said it holds of this device's changes, and which change that is: a
       * server put back from a copy finds out from it (sync/PROTOCOL.md, "Restores"). */
      if (acked > 0)
        {
          g_autofree char *digest = _dft_sync_own_change_digest (run->store, acked);

          json_object_set_int_member (extra, "acked", acked);
          /* 64 bits of it tell one change from another well enough. */
          if (digest != NULL)
            {
              digest[16] = '\0';
              json_object_set_string_member (extra, "acked_change", digest);
            }
        }
      /* Its last 12 digits are random: the server names its epoch only when they differ. */
      epoch = _dft_sync_state_get_string (run->store, "epoch", NULL);
      if (epoch != NULL && strlen (epoch) > 12)
        json_object_set_string_member (extra, "epoch", epoch + strlen (epoch) - 12);
      /* Encoded without the page first: whether the batch holds the last changes decides
       * whether this request asks for it. */
      if (changes->len > 0)
        {
          g_autoptr (GBytes) sized = encode_push (run, changes, extra, !run->json_wire, &n);

          last_sent = ((DftChange *) g_ptr_array_index (changes, n - 1))->origin_seq;
        }
      want_page = !pulled && !probe && last_sent >= high;
      if (want_page)
        {
          json_object_set_int_member (extra, "after", cursor);
          json_object_set_int_member (extra, "limit", run->pull_limit);
          keys = _dft_sync_state_get_string (run->store, "device_keys_tag", NULL);
          json_object_set_string_member (extra, "keys", keys != NULL ? keys : "");
        }
      if (n > 0)
        g_ptr_array_set_size (changes, n);
      if (run->json_wire)
        {
          g_autoptr (GBytes) text = dft_wire_encode_batch (changes, extra);

          body = dft_wire_gzip (text);
        }
      else
        body = dft_wire_cols_encode (changes, extra);

      sent_ms = dft_store_wall_ms (run->store);
      if (!_dft_sync_request_batch (run, server_url, "sync", body, run->json_wire, &page, &json,
                                    &reply, &failure, error))
        {
          if (run->forked)
            return after_fork (run, server_url, restart, error);
          /* A server from before this request: nothing was done, push and pull go apart. */
          if (run->last_status == 404)
            {
              g_clear_error (error);
              *old_server = TRUE;
              return TRUE;
            }
          /* A frame the server cannot read (a version newer than it knows): JSON, which every
           * server reads, for the rest of this sync. A batch it refuses for what it holds is
           * refused again in JSON, and that answer stands. */
          if (run->last_status == 400 && !run->json_wire)
            {
              g_debug ("sync: the server refused a column frame (%s): sending JSON",
                       (*error)->message);
              g_clear_error (error);
              run->json_wire = TRUE;
              continue;
            }
          shrink_after (run, failure, &run->push_limit, 1);
          if (want_page)
            shrink_after (run, failure, &run->pull_limit, PULL_LIMIT_MIN);
          if (_dft_sync_should_retry (run, failure, &failures, error))
            continue;
          return FALSE;
        }
      failures = 0;

      if (!check_epoch (run, reply, restart, error))
        return FALSE;
      if (*restart)
        return TRUE;
      note_clock (run, reply, sent_ms);
      if (n > 0 || probe)
        {
          if (!after_push_reply (run, reply, &acked, probe ? high : last_sent, n, &stuck, restart,
                                 error))
            return FALSE;
          if (*restart)
            return TRUE;
          if (probe)
            stuck = 0;
        }
      if (want_page)
        {
          g_autoptr (JsonObject) top = NULL;

          /* A JSON reply's page is read only now: a push that went through counts even when
           * the page is damaged. */
          if (page == NULL)
            {
              page = dft_wire_decode_batch (json, &top, error);
              if (page == NULL)
                return FALSE;
            }
          if (!keep_device_keys (run, reply, error)
              || !apply_page (run, server_url, page, top != NULL ? top : reply, &cursor, &more,
                              restart, error))
            return FALSE;
          if (*restart)
            return TRUE;
          pulled = !more;
          pages++;
        }
      _dft_sync_client_post_update (
          run, PROP_PROGRESS,
          (high > first_acked ? 0.5 * (double) (acked - first_acked) / (double) (high - first_acked)
                              : 0.5)
              + (pages > 0 ? 0.5 * (1.0 - 1.0 / (double) (1u << MIN (pages, 20))) : 0.0),
          0);
    }
  return TRUE;
}

/*
 * The server's address and the pin: the properties when set, else what the
 * last sign-in saved. A sign-in uses the properties only, and saves them.
 */
static gboolean
prepare_run (Run *run, gboolean sign_in, char **server_url, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  *server_url = run->server_url != NULL
                    ? g_strdup (run->server_url)
                    : _dft_sync_state_get_string (run->store, "server_url", &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (*server_url == NULL)
    {
      g_set_error_literal (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_NOT_CONFIGURED,
                           _ ("No server is set up for sync: sign in or enrol this device "
                              "first."));
      return FALSE;
    }
  if (!dft_sync_client_check_url (*server_url, error))
    return FALSE;
  if (run->pinned_certificate != NULL)
    {
      run->pin = _dft_sync_pin_from_pem (run->pinned_certificate, error);
      if (run->pin == NULL)
        return FALSE;
    }
  else if (!sign_in)
    {
      run->pin = _dft_sync_state_get_string (run->store, "pinned_key", &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }
  if (run->pin != NULL && !g_str_has_prefix (*server_url, "https://"))
    {
      g_set_error_literal (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_NOT_CONFIGURED,
                           _ ("A pinned server certificate needs a server address that starts "
                              "with https://."));
      return FALSE;
    }
  return TRUE;
}

void
_dft_sync_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Run               *run = task_data;
  g_autoptr (GError) error = NULL;
  g_autofree char   *server_url = NULL;
  gboolean           restart = FALSE, old_server = FALSE;
  gboolean           send = (run->flags & DFT_SYNC_FLAGS_NO_PUSH) == 0;
  gboolean           receive = (run->flags & DFT_SYNC_FLAGS_NO_PULL) == 0;

  if (!prepare_run (run, FALSE, &server_url, &error))
    goto out;
  run->token = dft_token_store_load (run->store, &error);
  if (error != NULL)
    goto out;
  if (run->token == NULL)
    {
      g_set_error_literal (&error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_NOT_CONFIGURED,
                           _ ("This device is not signed in to the server: sign in or enrol it "
                              "first."));
      goto out;
    }

  do
    {
      if (restart && ++run->stats.restarts > MAX_RESTARTS)
        {
          g_set_error_literal (&error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_REFUSED,
                               _ ("The server keeps changing its identity (epoch); the sync was "
                                  "stopped. Your changes are kept on this device."));
          goto out;
        }
      restart = FALSE;
      if (!check_token_device (run, server_url, &error))
        goto out;
      /* A relay owed to a restored server is sending too: without a push it stays owed, in
       * the store, for the next sync that sends. */
      if (send && !relay (run, server_url, &restart, &error))
        goto out;
      if (!restart && !old_server
          && !exchange (run, server_url, send, receive, &restart, &old_server, &error))
        goto out;
      if (!restart && old_server)
        {
          /* A server from before "sync": a push, then a pull, each its own requests. */
          if (send && !push (run, server_url, &restart, &error))
            goto out;
          /* After the push: the server takes a file only once a submission it holds names it. */
          if (send && !restart && !_dft_sync_upload_attachments (run, server_url, &error))
            goto out;
          if (receive && !restart && !pull (run, server_url, &restart, &error))
            goto out;
        }
      else if (send && !restart && !_dft_sync_upload_attachments (run, server_url, &error))
        goto out;
    }
  while (restart);
  if (!receive)
    goto out;
  /* After the pull: the submissions just received name the files to fetch. */
  if (!_dft_sync_fetch_attachments (run, server_url, &error))
    goto out;
  /* A sync's reply carries them when they change. */
  if (old_server)
    fetch_device_keys (run, server_url);
  if (!send)
    goto out;

  {
    gint64 now = g_get_real_time () / 1000;
    if (!_dft_sync_state_set_int (run->store, "last_sync", now, &error))
      goto out;
    _dft_sync_client_post_update (run, PROP_LAST_SYNC, 0, now);
  }

out:
  if (error != NULL && error->domain == DFT_SYNC_CLIENT_ERROR
      && error->code == DFT_SYNC_CLIENT_ERROR_UNAUTHORIZED)
    {
      /* The server's own answer (request() checks): the token is of no use any more. */
      dft_token_store_clear (run->store, NULL);
      g_clear_error (&error);
      g_set_error_literal (&error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_UNAUTHORIZED,
                           _ ("The server no longer accepts this device (its access was revoked "
                              "or has expired). Sign in again; your changes are kept on this "
                              "device."));
    }
  post_pending (run);
  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
_dft_sync_sign_in_thread (GTask        *task,
                          gpointer      source,
                          gpointer      task_data,
                          GCancellable *cancellable)
{
  Run                    *run = task_data;
  g_autoptr (GError)      error = NULL;
  g_autofree char        *server_url = NULL;
  g_autofree char        *known_url = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode)    root = NULL;
  g_autoptr (GBytes)      body = NULL;
  g_autoptr (GBytes)      json = NULL;
  g_autoptr (JsonObject)  reply = NULL;
  const char             *token, *device;
  guint                   failures = 0;
  Failure                 failure;

  if (!prepare_run (run, TRUE, &server_url, &error))
    goto out;

  json_builder_begin_object (builder);
  if (run->code != NULL)
    {
      json_builder_set_member_name (builder, "code");
      json_builder_add_string_value (builder, run->code);
    }
  else
    {
      json_builder_set_member_name (builder, "username");
      json_builder_add_string_value (builder, run->username);
      json_builder_set_member_name (builder, "password");
      json_builder_add_string_value (builder, run->password);
    }
  json_builder_set_member_name (builder, "device_id");
  json_builder_add_string_value (builder, dft_store_get_device_id (run->store));
  json_builder_set_member_name (builder, "device_name");
  json_builder_add_string_value (builder, g_get_host_name ());
  if (!add_sign_key (run, builder, &error))
    goto out;
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  {
    g_autofree char *text = json_to_string (root, FALSE);
    gsize            len = strlen (text);
    body = g_bytes_new_take (g_steal_pointer (&text), len);
  }

  while (!_dft_sync_request (run, server_url, "POST", run->endpoint, body, FALSE, &json, &reply,
                             &failure, &error))
    {
      if (!_dft_sync_should_retry (run, failure, &failures, &error))
        goto out;
    }

  token = _dft_sync_member_string (reply, "token");
  device = _dft_sync_member_string (reply, "device_id");
  if (token == NULL || *token == '\0'
      || (device != NULL && !g_str_equal (device, dft_store_get_device_id (run->store))))
    {
      _dft_sync_not_the_server (&error);
      goto out;
    }

  /* Marks belong to one server: signing in to another starts from nothing. */
  known_url = _dft_sync_state_get_string (run->store, "server_url", &error);
  if (error != NULL)
    goto out;
  if (known_url != NULL && !g_str_equal (known_url, server_url))
    {
      if (!_dft_sync_state_set_int (run->store, "push_acked_seq", 0, &error)
          || !_dft_sync_state_set_int (run->store, "pull_cursor", 0, &error)
          || !dft_store_set_sync_state (run->store, "epoch", "", &error))
        goto out;
    }
  /* The pin itself, not the file's name: the file may move or go. The token goes to the
   * keyring when there is one (dft-token-store.h). */
  if (!dft_store_set_sync_state (run->store, "server_url", server_url, &error)
      || !dft_store_set_sync_state (run->store, "pinned_key", run->pin != NULL ? run->pin : "",
                                    &error)
      || !dft_token_store_save (run->store, server_url, dft_store_get_device_id (run->store), token,
                                &error)
      || !keep_bundle_key (run, reply, &error))
    goto out;
  for (const char *const *key = (const char *const[]){ "account", "role", "team", NULL };
       *key != NULL; key++)
    {
      const char *value = _dft_sync_member_string (reply, *key);
      if (!dft_store_set_sync_state (run->store, *key, value != NULL ? value : "", &error))
        goto out;
    }

out:
  if (error != NULL && error->domain == DFT_SYNC_CLIENT_ERROR
      && error->code == DFT_SYNC_CLIENT_ERROR_UNAUTHORIZED)
    {
      g_clear_error (&error);
      g_set_error_literal (&error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_UNAUTHORIZED,
                           run->code != NULL
                               ? _ ("The enrolment code is not valid: it may have expired or "
                                    "been used already.")
                               : _ ("The user name or password is wrong."));
    }
  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}
