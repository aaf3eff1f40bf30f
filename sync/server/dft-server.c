/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <glib/gi18n-lib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dft-bundle.h"
#include "dft-db.h"
#include "dft-hlc.h"
#include "dft-search.h"
#include "dft-server-auth.h"
#include "dft-server-cluster.h"
#include "dft-server-private.h"
#include "dft-server-purge.h"
#include "dft-store-attachments.h"
#include "dft-store-merges.h"
#include "dft-store-private.h"
#include "dft-uuid.h"
#include "dft-wire.h"

#define API_PREFIX "/api/v1/"
/* After SIGTERM, how long replies already made may take to reach slow clients. */
#define DRAIN_TIMEOUT_S 10

/* Kept on each message, from the first byte read to the log line. */
typedef struct
{
  gint64      started;
  char       *device_id;
  const char *error_code;
  gboolean    pending; /* paused for a worker and not finished */
  gboolean    finished;
  gsize       reserved; /* of the push budget, for the body */
  /* The body arrived whole (the handler ran), and how much of it came: a body that stops
   * short is a cut upload, which libsoup reports as a reply of 500. */
  gboolean got_body;
  gsize    body_bytes;
  char    *authorization; /* kept to name the device of a cut upload; never logged */
} MessageInfo;

G_DEFINE_FINAL_TYPE (DftServer, dft_server, G_TYPE_OBJECT)

static const Route routes[] = {
  { "GET", "health", FALSE, NULL },
  { "GET", "metrics", FALSE, NULL },
  { "POST", "login", FALSE, _dft_server_handle_login },
  { "POST", "enrol", FALSE, _dft_server_handle_enrol },
  { "POST", "push", TRUE, _dft_server_handle_push },
  { "GET", "pull", TRUE, _dft_server_handle_pull },
  { "POST", "sync", TRUE, _dft_server_handle_sync },
  { "POST", "devices/*/revoke", TRUE, _dft_server_handle_revoke },
  { "POST", "enrolment-codes", TRUE, _dft_server_handle_codes },
  { "POST", "reidentify", TRUE, _dft_server_handle_reidentify },
  { "GET", "device-keys", TRUE, _dft_server_handle_device_keys },
  { "POST", "attachments/missing", TRUE, _dft_server_handle_attachments_missing },
  { "POST", "purged", TRUE, _dft_server_handle_purged },
  { "PUT", "attachments/*", TRUE, _dft_server_handle_attachment_put, TRUE },
  { "GET", "attachments/*", TRUE, _dft_server_handle_attachment_get, TRUE },
};

static void stop_pools (DftServer *self);

static void
dft_server_dispose (GObject *object)
{
  DftServer *self = DFT_SERVER (object);

  /* A server that never ran (dft_server_run() stops them when it ran): its pools are idle. */
  stop_pools (self);
  g_clear_object (&self->soup);
  _dft_server_readers_close (self);
  g_clear_object (&self->store);
  g_clear_pointer (&self->cluster, dft_server_cluster_free);
  g_clear_object (&self->db);
  g_clear_handle_id (&self->drain_timeout_id, g_source_remove);

  G_OBJECT_CLASS (dft_server_parent_class)->dispose (object);
}

static void
dft_server_finalize (GObject *object)
{
  DftServer *self = DFT_SERVER (object);

  g_free (self->listen);
  g_free (self->tls_certificate);
  g_free (self->tls_key);
  g_free (self->epoch);
  g_free (self->bundle_key);
  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->metrics, dft_server_metrics_free);
  g_clear_pointer (&self->token_limit, dft_rate_limit_free);
  g_clear_pointer (&self->address_limit, dft_rate_limit_free);
  g_mutex_clear (&self->push_lock);
  g_mutex_clear (&self->attachment_lock);
  g_mutex_clear (&self->push_budget.lock);
  g_cond_clear (&self->push_budget.cond);

  G_OBJECT_CLASS (dft_server_parent_class)->finalize (object);
}

static void
dft_server_class_init (DftServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dft_server_dispose;
  object_class->finalize = dft_server_finalize;
}

static void
dft_server_init (DftServer *self)
{
  g_mutex_init (&self->push_lock);
  g_mutex_init (&self->attachment_lock);
  g_mutex_init (&self->push_budget.lock);
  g_cond_init (&self->push_budget.cond);
  self->push_budget.limit = PUSH_BUDGET;
  g_mutex_init (&self->epoch_lock);
}

/* ---- Epoch -------------------------------------------------------------- */

char *
dft_server_ensure_epoch (DftStore *store, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  char              *epoch;

  g_return_val_if_fail (DFT_IS_STORE (store), NULL);

  epoch = dft_store_get_sync_state (store, "server_epoch", &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (epoch == NULL && !dft_server_new_epoch (store, &epoch, error))
    return NULL;
  return epoch;
}

gboolean
dft_server_new_epoch (DftStore *store, char **epoch, GError **error)
{
  g_autofree char *fresh = dft_uuid_v7_new ();

  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);

  if (!dft_store_set_sync_state (store, "server_epoch", fresh, error))
    return FALSE;
  if (epoch != NULL)
    *epoch = g_steal_pointer (&fresh);
  return TRUE;
}

char *
_dft_server_current_epoch (DftServer *self)
{
  char *epoch;

  g_mutex_lock (&self->epoch_lock);
  epoch = g_strdup (self->epoch);
  g_mutex_unlock (&self->epoch_lock);
  return epoch;
}

/*
 * The data was put back from an earlier copy while devices went on: they
 * hold, and were told the server holds, changes it no longer has. A new epoch
 * makes every device send again all it holds (sync/PROTOCOL.md, "Restores").
 * Called with push_lock held, so no push lands between the finding and the
 * new epoch.
 */
void
_dft_server_restore_found (DftServer *self, const char *why)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *epoch = NULL;

  /* In a cluster the epoch is PostgreSQL's, and the shared log was put back (from a pg_dump, by
   * hand) rather than this replica: the cluster takes the new epoch, every process takes it up
   * at its next catch-up, and every device sends again what it holds. */
  if (self->cluster != NULL)
    {
      epoch = dft_server_cluster_new_epoch (self->cluster, self->cluster_pushing, &error);
      if (epoch == NULL)
        {
          g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE",
                            "a device holds more than the shared log (%s) but no new epoch: %s",
                            why, error->message);
          return;
        }
    }
  else if (!dft_server_new_epoch (self->store, &epoch, &error))
    {
      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                        "restored data found (%s) but no new epoch: %s", why, error->message);
      return;
    }
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                    "the data was restored from an earlier copy (%s): new epoch %s", why, epoch);
  g_mutex_lock (&self->epoch_lock);
  g_free (self->epoch);
  self->epoch = g_steal_pointer (&epoch);
  g_mutex_unlock (&self->epoch_lock);
}

void
_dft_server_take_cluster_epoch (DftServer *self)
{
  g_autofree char *epoch = dft_server_cluster_dup_epoch (self->cluster);
  gboolean         changed = FALSE;

  if (epoch == NULL)
    return;
  g_mutex_lock (&self->epoch_lock);
  if (g_strcmp0 (self->epoch, epoch) != 0)
    {
      g_free (self->epoch);
      self->epoch = g_strdup (epoch);
      changed = TRUE;
    }
  g_mutex_unlock (&self->epoch_lock);
  if (changed)
    g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                      "the cluster took a new epoch: %s", epoch);
}

/* ---- Logging ------------------------------------------------------------ */

static void
append_value (GString *line, const char *value, gssize length)
{
  gboolean quote = length == 0;
  gsize    n = length < 0 ? strlen (value) : (gsize) length;

  for (gsize i = 0; i < n && !quote; i++)
    quote = value[i] <= ' ' || value[i] == '"' || value[i] == '=' || value[i] == '\\'
            || (guchar) value[i] >= 0x7f;
  if (!quote)
    {
      g_string_append_len (line, value, (gssize) n);
      return;
    }
  /* Escaped, so that text a client sent cannot forge a log line. */
  g_string_append_c (line, '"');
  for (gsize i = 0; i < n; i++)
    {
      guchar c = (guchar) value[i];

      if (c == '"' || c == '\\')
        g_string_append_printf (line, "\\%c", c);
      else if (c < ' ' || c == 0x7f)
        g_string_append_printf (line, "\\x%02x", c);
      else
        g_string_append_c (line, (char) c);
    }
  g_string_append_c (line, '"');
}

static const char *
level_name (GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR)
    return "error";
  if (level & G_LOG_LEVEL_CRITICAL)
    return "critical";
  if (level & G_LOG_LEVEL_WARNING)
    return "warning";
  if (level & G_LOG_LEVEL_MESSAGE)
    return "notice";
  if (level & G_LOG_LEVEL_INFO)
    return "info";
  return "debug";
}

/*
 * One line per event in logfmt (key=value) on standard error, which log
 * collectors parse without configuration; under systemd the same fields go
 * to the journal as they are.
 */
static GLogWriterOutput
log_writer_cb (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  g_autoptr (GString)   line = NULL;
  g_autoptr (GDateTime) now = NULL;
  g_autofree char      *stamp = NULL;
  const char           *domain = NULL;

  static gsize journald = 0;

  if (g_once_init_enter (&journald))
    g_once_init_leave (&journald, g_log_writer_is_journald (fileno (stderr)) ? 2 : 1);
  if (journald == 2
      && g_log_writer_journald (level, fields, n_fields, user_data) == G_LOG_WRITER_HANDLED)
    return G_LOG_WRITER_HANDLED;

  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
      domain = fields[i].value;
  if (g_log_writer_default_would_drop (level, domain))
    return G_LOG_WRITER_HANDLED;

  now = g_date_time_new_now_utc ();
  stamp = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S");
  line = g_string_new (NULL);
  g_string_append_printf (line, "time=%s.%03dZ level=%s", stamp,
                          g_date_time_get_microsecond (now) / 1000, level_name (level));
  for (gsize i = 0; i < n_fields; i++)
    {
      const char      *key = fields[i].key;
      g_autofree char *lower = NULL;

      if (g_str_equal (key, "PRIORITY") || g_str_has_prefix (key, "CODE_")
          || fields[i].length > 0 /* binary */)
        continue;
      lower = g_ascii_strdown (g_str_equal (key, "MESSAGE")       ? "msg"
                               : g_str_equal (key, "GLIB_DOMAIN") ? "domain"
                                                                  : key,
                               -1);
      g_string_append_printf (line, " %s=", lower);
      append_value (line, fields[i].value, -1);
    }
  g_string_append_c (line, '\n');
  fputs (line->str, stderr);
  fflush (stderr);
  return G_LOG_WRITER_HANDLED;
}

void
dft_server_install_log_writer (void)
{
  g_log_set_writer_func (log_writer_cb, NULL, NULL);
}

static void
message_info_free (gpointer data)
{
  MessageInfo *info = data;

  g_free (info->device_id);
  if (info->authorization != NULL)
    memset (info->authorization, 0, strlen (info->authorization));
  g_free (info->authorization);
  g_free (info);
}

static MessageInfo *
message_info (SoupServerMessage *msg)
{
  MessageInfo *info = g_object_get_data (G_OBJECT (msg), "dft-info");

  if (info == NULL)
    {
      info = g_new0 (MessageInfo, 1);
      info->started = g_get_monotonic_time ();
      g_object_set_data_full (G_OBJECT (msg), "dft-info", info, message_info_free);
    }
  return info;
}

/* One structured line per request. Never a body, a query, a header or a name: only the method,
 * path, status, device id (a random UUID), error code and time. */
static void
log_request (SoupServerMessage *msg, MessageInfo *info, gboolean aborted)
{
  GUri            *uri = soup_server_message_get_uri (msg);
  const char      *method = soup_server_message_get_method (msg);
  const char      *remote = soup_server_message_get_remote_host (msg);
  guint            status = soup_server_message_get_status (msg);
  g_autofree char *status_text = g_strdup_printf ("%u", status);
  g_autofree char *duration
      = g_strdup_printf ("%.1f", (double) (g_get_monotonic_time () - info->started) / 1000.0);
  g_autofree char *message = NULL;
  const char      *path = uri != NULL ? g_uri_get_path (uri) : "-";
  GLogField        fields[10];
  gsize            n = 0;

#define FIELD(k, v) fields[n++] = (GLogField){ (k), (v), -1 }
  message = g_strdup (aborted ? "request aborted" : "request");
  FIELD ("MESSAGE", message);
  FIELD ("PRIORITY", "5");
  FIELD ("GLIB_DOMAIN", G_LOG_DOMAIN);
  FIELD ("REMOTE_ADDR", remote != NULL ? remote : "-");
  FIELD ("HTTP_METHOD", method != NULL ? method : "-");
  FIELD ("HTTP_PATH", path);
  FIELD ("HTTP_STATUS", aborted ? "aborted" : status_text);
  FIELD ("DURATION_MS", duration);
  /* Absent values are left out rather than logged empty. */
  if (info->device_id != NULL)
    FIELD ("DEVICE_ID", info->device_id);
  if (info->error_code != NULL)
    FIELD ("ERROR_CODE", info->error_code);
#undef FIELD
  g_log_structured_array (G_LOG_LEVEL_MESSAGE, fields, n);
}

static void
send_error_now (SoupServerMessage *msg, guint status, const char *code, const char *message)
{
  Reply reply = { 0 };

  _dft_server_reply_error (&reply, status, code, message);
  _dft_server_apply_reply (msg, &reply);
  message_info (msg)->error_code = code;
  g_clear_pointer (&reply.body, g_bytes_unref);
}

/* ---- The push budget ----------------------------------------------------- */

/* Takes @n bytes of @budget, waiting until @deadline (monotonic µs; 0: not at all). */
gboolean
_dft_server_budget_take (Budget *budget, gsize n, gint64 deadline)
{
  gboolean taken = FALSE;

  g_mutex_lock (&budget->lock);
  for (;;)
    {
      if (n <= budget->limit - budget->used && budget->used <= budget->limit)
        {
          budget->used += n;
          taken = TRUE;
          break;
        }
      if (deadline == 0 || n > budget->limit
          || !g_cond_wait_until (&budget->cond, &budget->lock, deadline))
        break;
    }
  g_mutex_unlock (&budget->lock);
  return taken;
}

void
_dft_server_budget_give (Budget *budget, gsize n)
{
  if (n == 0)
    return;
  g_mutex_lock (&budget->lock);
  g_assert (budget->used >= n);
  budget->used -= n;
  g_cond_broadcast (&budget->cond);
  g_mutex_unlock (&budget->lock);
}

/* ---- Dispatch ----------------------------------------------------------- */

static void
request_free (Request *request)
{
  g_clear_object (&request->server);
  g_clear_object (&request->msg);
  g_free (request->path_id);
  g_clear_pointer (&request->query, g_hash_table_unref);
  g_free (request->authorization);
  g_free (request->content_encoding);
  g_free (request->acked);
  g_free (request->acked_change);
  g_free (request->content_type);
  g_free (request->file_name);
  g_clear_pointer (&request->body, g_bytes_unref);
  g_clear_pointer (&request->reply.body, g_bytes_unref);
  g_free (request->reply.device_id);
  g_free (request->reply.content_type);
  g_free (request->reply.file_name);
  g_free (request);
}

static void
request_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  DftServer            *self = source;
  Request              *request = task_data;
  g_autoptr (DftDevice) device = NULL;

  if (request->route->needs_device)
    device = _dft_server_authenticate (self, request);
  if (device != NULL || !request->route->needs_device)
    request->route->handler (self, request, device);
  if (request->reply.body == NULL)
    _dft_server_reply_internal (&request->reply, NULL);
  g_task_return_boolean (task, TRUE);
}

static void
pool_thread (gpointer data, gpointer user_data)
{
  g_autoptr (GTask) task = data;
  const char       *linger = g_getenv ("DAFTARI_SERVER_TEST_TASK_LINGER_MS");

  request_thread (task, g_task_get_source_object (task), g_task_get_task_data (task), NULL);
  /* For tests (tests/test-server.c, /server/stop-after-pool-thread): the thread holds the task,
   * and with it the server, a while after the reply went. */
  if (linger != NULL)
    g_usleep (g_ascii_strtoull (linger, NULL, 10) * 1000);
}

/*
 * Once the loop has ended, on the main thread, while the caller still holds the server: no new
 * request comes in, and each pool's threads finish with the tasks they hold. A pool thread
 * drops its task after the task's callback ran on the main thread; left to the dispose, the
 * last reference to the server could go in that thread, whose dispose would then wait for its
 * own pool to end, for ever, with the store open.
 */
static void
stop_pools (DftServer *self)
{
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  if (self->pull_pool != NULL)
    g_thread_pool_free (g_steal_pointer (&self->pull_pool), FALSE, TRUE);
  if (self->push_pool != NULL)
    g_thread_pool_free (g_steal_pointer (&self->push_pool), FALSE, TRUE);
  if (self->sync_pool != NULL)
    g_thread_pool_free (g_steal_pointer (&self->sync_pool), FALSE, TRUE);
}

/*
 * Pushes and pulls run in pools of their own, not in GIO's shared one: that one starts with a
 * few threads and adds one only every so often, so a burst of pushes, each waiting its turn at
 * push_lock, held every thread while pulls, which need no lock, queued behind them. Pulls get
 * as many threads as there are connections to read from (dft-server-readers.c); pushes a few,
 * to receive and decode while one applies.
 */
static gboolean
start_pools (DftServer *self, GError **error)
{
  self->pull_pool = g_thread_pool_new (pool_thread, self, (int) self->n_readers, FALSE, error);
  if (self->pull_pool == NULL)
    return FALSE;
  self->push_pool = g_thread_pool_new (pool_thread, self, PUSH_THREADS, FALSE, error);
  if (self->push_pool == NULL)
    return FALSE;
  /* A sync pushes, then reads its page, and which it holds is known only once it is decoded:
   * enough threads that syncs waiting their turn at push_lock (each bounded by the push
   * budget) never leave one that only reads queued behind them. */
  self->sync_pool = g_thread_pool_new (pool_thread, self, SYNC_THREADS, FALSE, error);
  return self->sync_pool != NULL;
}

static gboolean
finish_cb (gpointer data)
{
  DftServer *self = data;

  soup_server_disconnect (self->soup);
  if (self->loop != NULL)
    g_main_loop_quit (self->loop);
  return G_SOURCE_REMOVE;
}

/* Once stopping and nothing is under way, closes every connection and ends the loop; from an
 * idle callback, as this runs inside libsoup's signals about a message. */
static void
check_drained (DftServer *self)
{
  if (!self->draining || self->finishing || self->working > 0
      || (self->pending > 0 && !self->drain_expired))
    return;
  self->finishing = TRUE;
  g_clear_handle_id (&self->drain_timeout_id, g_source_remove);
  g_idle_add (finish_cb, self);
}

static void
request_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftServer   *self = DFT_SERVER (source);
  Request     *request = g_task_get_task_data (G_TASK (result));
  MessageInfo *info = message_info (request->msg);

  self->working--;
  if (!info->finished)
    {
      info->device_id = g_strdup (request->reply.device_id);
      info->error_code = request->reply.error_code;
      _dft_server_apply_reply (request->msg, &request->reply);
      soup_server_message_unpause (request->msg);
    }
  check_drained (self);
}

/* The route for a path and method; NULL with the status to answer when there is none. */
static const Route *
find_route (const char *path, const char *method, char **path_id, guint *status)
{
  const char *rest;
  gboolean    path_known = FALSE;

  *status = SOUP_STATUS_NOT_FOUND;
  if (!g_str_has_prefix (path, API_PREFIX))
    return NULL;
  rest = path + strlen (API_PREFIX);

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      const char      *star = strchr (routes[i].path, '*');
      g_autofree char *id = NULL;

      if (star == NULL)
        {
          if (!g_str_equal (rest, routes[i].path))
            continue;
        }
      else
        {
          gsize       head = (gsize) (star - routes[i].path);
          const char *tail = star + 1;
          gsize       rest_len = strlen (rest);
          gsize       tail_len = strlen (tail);

          if (rest_len <= head + tail_len || strncmp (rest, routes[i].path, head) != 0
              || !g_str_has_suffix (rest, tail))
            continue;
          id = g_strndup (rest + head, rest_len - head - tail_len);
          if (routes[i].star_is_sha256 ? !dft_attachment_is_sha256 (id) : !dft_uuid_is_valid (id))
            continue;
        }
      path_known = TRUE;
      if (!g_str_equal (method, routes[i].method))
        continue;
      *path_id = g_steal_pointer (&id);
      return &routes[i];
    }
  if (path_known)
    *status = SOUP_STATUS_METHOD_NOT_ALLOWED;
  return NULL;
}

static void
reply_health (DftServer *self, SoupServerMessage *msg)
{
  g_autofree char       *epoch = _dft_server_current_epoch (self);
  g_autoptr (JsonObject) object = _dft_server_reply_object_new ();
  Reply                  reply = { 0 };

  json_object_set_int_member (object, "protocol", DFT_WIRE_PROTOCOL);
  json_object_set_string_member (object, "status", "ok");
  json_object_set_string_member (object, "epoch", epoch);
  json_object_set_int_member (object, "time", dft_hlc_wall_ms ());
  _dft_server_reply_json (&reply, SOUP_STATUS_OK, object);
  _dft_server_apply_reply (msg, &reply);
  g_clear_pointer (&reply.body, g_bytes_unref);
}

/* The Prometheus text of what the server counted: no names, no ids. */
static void
reply_metrics (DftServer *self, SoupServerMessage *msg)
{
  g_autofree char *text = dft_server_metrics_text (self->metrics);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "X-Daftari-Server",
                                "1");
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-store");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain; version=0.0.4; charset=utf-8",
                                    SOUP_MEMORY_COPY, text, strlen (text));
}

/*
 * The rate limits: per device token and per address, each a token bucket. A request past
 * either is answered 429 with Retry-After, which Daftari's client waits for; nothing of it is
 * read or stored. The token's hash is the key, so no token stays in memory for this.
 */
static gboolean
within_limits (DftServer *self, SoupServerMessage *msg, SoupMessageHeaders *headers)
{
  const char *authorization = soup_message_headers_get_one (headers, "Authorization");
  const char *remote = soup_server_message_get_remote_host (msg);
  gint64      now = g_get_monotonic_time ();
  guint       retry_after = 0;
  gboolean    ok = TRUE;

  if (self->address_limit != NULL && remote != NULL)
    ok = dft_rate_limit_take (self->address_limit, remote, now, &retry_after);
  if (ok && self->token_limit != NULL && authorization != NULL)
    {
      g_autofree char *key = g_compute_checksum_for_string (G_CHECKSUM_SHA256, authorization, -1);

      ok = dft_rate_limit_take (self->token_limit, key, now, &retry_after);
    }
  if (!ok)
    {
      Reply reply = { 0 };

      dft_server_metrics_limited (self->metrics);
      _dft_server_reply_error (
          &reply, 429, "too_many_requests",
          _ ("This device is sending requests faster than the server takes them; it will try "
             "again shortly."));
      reply.retry_after = retry_after;
      _dft_server_apply_reply (msg, &reply);
      message_info (msg)->error_code = reply.error_code;
      g_clear_pointer (&reply.body, g_bytes_unref);
    }
  return ok;
}

static void
handler_cb (SoupServer        *soup,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  DftServer          *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const Route        *route;
  g_autofree char    *path_id = NULL;
  guint               status;
  Request            *request;
  g_autoptr (GTask)   task = NULL;

  message_info (msg)->got_body = TRUE;
  if (self->draining)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection",
                                    "close");
      send_error_now (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable",
                      _ ("The server is shutting down; try again in a moment."));
      return;
    }

  route = find_route (path, soup_server_message_get_method (msg), &path_id, &status);
  if (route == NULL)
    {
      send_error_now (msg, status, status == SOUP_STATUS_NOT_FOUND ? "not_found" : "bad_request",
                      status == SOUP_STATUS_NOT_FOUND
                          ? _ ("There is no such request in the Daftari protocol.")
                          : _ ("This request does not take that HTTP method."));
      return;
    }
  if (route->handler == NULL && g_str_equal (route->path, "metrics"))
    {
      reply_metrics (self, msg);
      return;
    }
  if (route->handler == NULL)
    {
      reply_health (self, msg);
      return;
    }
  if (!within_limits (self, msg, headers))
    return;

  request = g_new0 (Request, 1);
  request->server = g_object_ref (self);
  request->msg = g_object_ref (msg);
  request->route = route;
  request->path_id = g_steal_pointer (&path_id);
  if (query != NULL)
    {
      GHashTableIter iter;
      gpointer       key, value;

      request->query = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_hash_table_iter_init (&iter, query);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_insert (request->query, g_strdup (key), g_strdup (value));
    }
  request->authorization = g_strdup (soup_message_headers_get_one (headers, "Authorization"));
  request->content_encoding = g_strdup (soup_message_headers_get_one (headers, "Content-Encoding"));
  request->acked = g_strdup (soup_message_headers_get_one (headers, "X-Daftari-Acked"));
  request->acked_change
      = g_strdup (soup_message_headers_get_one (headers, "X-Daftari-Acked-Change"));
  request->content_type = g_strdup (soup_message_headers_get_one (headers, "Content-Type"));
  request->file_name = g_strdup (soup_message_headers_get_one (headers, "X-Daftari-File-Name"));
  request->body = soup_message_body_flatten (soup_server_message_get_request_body (msg));

  message_info (msg)->pending = TRUE;
  self->pending++;
  self->working++;
  soup_server_message_pause (msg);

  task = g_task_new (self, NULL, request_done_cb, NULL);
  g_task_set_source_tag (task, handler_cb);
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);
  if (route->handler == _dft_server_handle_pull)
    g_thread_pool_push (self->pull_pool, g_steal_pointer (&task), NULL);
  else if (route->handler == _dft_server_handle_push)
    g_thread_pool_push (self->push_pool, g_steal_pointer (&task), NULL);
  else if (route->handler == _dft_server_handle_sync)
    g_thread_pool_push (self->sync_pool, g_steal_pointer (&task), NULL);
  else
    g_task_run_in_thread (task, request_thread);
}

static gsize
body_limit (DftServer *self, SoupServerMessage *msg, const char *path)
{
  if (g_str_equal (path, API_PREFIX "push") || g_str_equal (path, API_PREFIX "sync"))
    return self->max_body;
  /* A piece of an attached file: raw bytes, never decoded. */
  if (g_str_has_prefix (path, API_PREFIX "attachments/")
      && g_str_equal (soup_server_message_get_method (msg), "PUT"))
    return ATTACHMENT_BODY_MAX;
  return SMALL_BODY_MAX;
}

static void
refuse_large (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);

  /* What arrives from now on is read and dropped, never kept. */
  soup_message_body_set_accumulate (body, FALSE);
  soup_message_body_truncate (body);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection",
                                "close");
  send_error_now (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
                  _ ("The request body is too large. Send smaller batches."));
}

/* A push body is received only while the push budget has room for it. */
static gboolean
reserve_body (DftServer *self, SoupServerMessage *msg, gsize size)
{
  MessageInfo *info = message_info (msg);
  Reply        reply = { 0 };

  if (_dft_server_budget_take (&self->push_budget, size, 0))
    {
      info->reserved = size;
      return TRUE;
    }
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection",
                                "close");
  _dft_server_reply_busy (&reply);
  _dft_server_apply_reply (msg, &reply);
  info->error_code = reply.error_code;
  g_clear_pointer (&reply.body, g_bytes_unref);
  return FALSE;
}

static void
got_chunk_cb (SoupServerMessage *msg, GBytes *chunk, gpointer user_data)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);

  if (soup_server_message_get_status (msg) == 0
      && body->length > (goffset) GPOINTER_TO_SIZE (user_data))
    refuse_large (msg);
}

static void
count_chunk_cb (SoupServerMessage *msg, GBytes *chunk, gpointer user_data)
{
  message_info (msg)->body_bytes += g_bytes_get_size (chunk);
}

/*
 * Runs once the headers are read, before the body: a body announced larger
 * than the limit is refused without keeping any of it, and one sent in
 * chunks is counted as it comes.
 */
static void
early_handler_cb (SoupServer        *soup,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  DftServer          *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  gsize               limit = body_limit (self, msg, path);

  /* A piece of a file is held whole in memory like a push body: it shares the push budget. */
  gboolean push = g_str_equal (path, API_PREFIX "push") || g_str_equal (path, API_PREFIX "sync")
                  || limit == ATTACHMENT_BODY_MAX;

  if (push)
    {
      message_info (msg)->authorization
          = g_strdup (soup_message_headers_get_one (headers, "Authorization"));
      g_signal_connect (msg, "got-chunk", G_CALLBACK (count_chunk_cb), NULL);
    }

  switch (soup_message_headers_get_encoding (headers))
    {
    case SOUP_ENCODING_CONTENT_LENGTH:
      if (soup_message_headers_get_content_length (headers) > (goffset) limit)
        refuse_large (msg);
      else if (push)
        reserve_body (self, msg, (gsize) soup_message_headers_get_content_length (headers));
      break;
    case SOUP_ENCODING_CHUNKED:
    case SOUP_ENCODING_EOF:
      /* Its size is not known yet: the most it may be is reserved. */
      if (!push || reserve_body (self, msg, limit))
        g_signal_connect (msg, "got-chunk", G_CALLBACK (got_chunk_cb), GSIZE_TO_POINTER (limit));
      break;
    case SOUP_ENCODING_UNRECOGNIZED:
    case SOUP_ENCODING_NONE:
    case SOUP_ENCODING_BYTERANGES:
    default:
      break;
    }
}

static void
request_started_cb (SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
  message_info (msg);
}

/* A push or a piece of a file whose body stopped short: the client's link cut it. */
typedef struct
{
  char  *authorization;
  char  *method;
  char  *path;
  char  *remote;
  gsize  body_bytes;
  gint64 started;
} CutUpload;

static void
cut_upload_free (CutUpload *cut)
{
  if (cut->authorization != NULL)
    memset (cut->authorization, 0, strlen (cut->authorization));
  g_free (cut->authorization);
  g_free (cut->method);
  g_free (cut->path);
  g_free (cut->remote);
  g_free (cut);
}

/*
 * Not the server's error, so not a 500: one line saying what happened and whose upload it
 * was. The device is found from its token, in a worker as every database read is; a token
 * that names none logs the line without a device.
 */
static void
log_cut_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  DftServer            *self = source;
  CutUpload            *cut = task_data;
  g_autoptr (DftDevice) device = NULL;
  g_autofree char      *message = NULL;
  g_autofree char      *bytes = g_strdup_printf ("%" G_GSIZE_FORMAT, cut->body_bytes);
  g_autofree char      *duration
      = g_strdup_printf ("%.1f", (double) (g_get_monotonic_time () - cut->started) / 1000.0);
  const char *what = g_str_equal (cut->method, "PUT") ? "upload" : "push";
  GLogField   fields[11];
  gsize       n = 0;

  if (cut->authorization != NULL && g_ascii_strncasecmp (cut->authorization, "Bearer ", 7) == 0)
    {
      g_autofree char *token = g_strstrip (g_strdup (cut->authorization + 7));
      g_autofree char *hash = NULL;

      if (*token != '\0' && strlen (token) <= 256)
        {
          hash = dft_server_auth_hash_secret (token);
          device = dft_server_db_find_device_by_token (self->db, hash, NULL);
        }
      memset (token, 0, strlen (token));
    }
  message = device != NULL ? g_strdup_printf ("%s from device %s cut by the client after %s bytes",
                                              what, device->id, bytes)
                           : g_strdup_printf ("%s cut by the client after %s bytes", what, bytes);
#define FIELD(k, v) fields[n++] = (GLogField){ (k), (v), -1 }
  FIELD ("MESSAGE", message);
  FIELD ("PRIORITY", "5");
  FIELD ("GLIB_DOMAIN", G_LOG_DOMAIN);
  FIELD ("REMOTE_ADDR", cut->remote != NULL ? cut->remote : "-");
  FIELD ("HTTP_METHOD", cut->method);
  FIELD ("HTTP_PATH", cut->path);
  FIELD ("HTTP_STATUS", "cut");
  FIELD ("BODY_BYTES", bytes);
  FIELD ("DURATION_MS", duration);
  if (device != NULL)
    FIELD ("DEVICE_ID", device->id);
#undef FIELD
  g_log_structured_array (G_LOG_LEVEL_MESSAGE, fields, n);
  g_task_return_boolean (task, TRUE);
}

static void
log_cut_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftServer *self = DFT_SERVER (source);

  self->working--;
  check_drained (self);
}

static void
log_cut_upload (DftServer *self, SoupServerMessage *msg, MessageInfo *info)
{
  GUri             *uri = soup_server_message_get_uri (msg);
  CutUpload        *cut = g_new0 (CutUpload, 1);
  g_autoptr (GTask) task = NULL;

  cut->authorization = g_steal_pointer (&info->authorization);
  cut->method = g_strdup (soup_server_message_get_method (msg));
  cut->path = g_strdup (uri != NULL ? g_uri_get_path (uri) : "-");
  cut->remote = g_strdup (soup_server_message_get_remote_host (msg));
  cut->body_bytes = info->body_bytes;
  cut->started = info->started;

  self->working++;
  task = g_task_new (self, NULL, log_cut_done_cb, NULL);
  g_task_set_source_tag (task, log_cut_upload);
  g_task_set_task_data (task, cut, (GDestroyNotify) cut_upload_free);
  g_task_run_in_thread (task, log_cut_thread);
}

/* Counted by the route's first word ("sync", "attachments", …): paths hold ids, which the
 * metrics must not, and there are only so many routes. */
static void
count_request (DftServer *self, SoupServerMessage *msg, MessageInfo *info, guint status)
{
  GUri            *uri = soup_server_message_get_uri (msg);
  const char      *path = uri != NULL ? g_uri_get_path (uri) : NULL;
  g_autofree char *endpoint = NULL;

  if (path != NULL && g_str_has_prefix (path, API_PREFIX))
    {
      const char *rest = path + strlen (API_PREFIX);

      endpoint = g_strndup (rest, strcspn (rest, "/"));
      for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
        if (strncmp (routes[i].path, endpoint, strlen (endpoint)) == 0
            && (routes[i].path[strlen (endpoint)] == '\0'
                || routes[i].path[strlen (endpoint)] == '/'))
          {
            dft_server_metrics_request (self->metrics, endpoint, status,
                                        (double) (g_get_monotonic_time () - info->started)
                                            / G_USEC_PER_SEC,
                                        info->device_id);
            return;
          }
    }
  dft_server_metrics_request (self->metrics, "other", status, 0, NULL);
}

static void
request_ended (DftServer *self, SoupServerMessage *msg, gboolean aborted)
{
  MessageInfo *info = message_info (msg);
  guint        status = soup_server_message_get_status (msg);

  if (info->finished)
    return;
  info->finished = TRUE;
  _dft_server_budget_give (&self->push_budget, info->reserved);
  info->reserved = 0;
  /* An upload that ended before its body did and that the server did not answer itself (a
   * refusal of its size answers before the body): the client's link cut it. */
  if (info->authorization != NULL && !info->got_body
      && (status == 0 || status == SOUP_STATUS_INTERNAL_SERVER_ERROR))
    {
      count_request (self, msg, info, 0);
      log_cut_upload (self, msg, info);
    }
  else
    {
      count_request (self, msg, info, aborted ? 0 : status);
      log_request (msg, info, aborted);
    }
  if (info->pending)
    {
      info->pending = FALSE;
      self->pending--;
      check_drained (self);
    }
}

static void
request_finished_cb (SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
  request_ended (user_data, msg, FALSE);
}

static void
request_aborted_cb (SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
  /* libsoup reports a reply of 500 as aborted too: that one was answered. */
  request_ended (user_data, msg,
                 soup_server_message_get_status (msg) != SOUP_STATUS_INTERNAL_SERVER_ERROR);
}

/* ---- Life --------------------------------------------------------------- */

/*
 * The server makes changes of its own (conflict records) under its store's
 * device id. Data put back from a copy would number the next ones as the lost
 * ones were, which devices hold: each run takes a new id instead, keeping what
 * the files hold under the ids before.
 */
static gboolean
renew_own_identity (DftStore *store, GError **error)
{
  g_autofree char *fresh = dft_uuid_v4_new ();
  gint64           own = dft_store_origin_high (store, dft_store_get_device_id (store), error);

  return own >= 0 && dft_store_take_identity (store, fresh, own, NULL, error);
}

/*
 * Each run numbers its log from a point after anything an earlier run gave (milliseconds
 * times 1000), so a position is never given twice, even by data put back from a copy; a
 * device that holds a position between the files' end and that point was served by data
 * that is gone. A restore while serving starts this over, as a start does.
 */
static gboolean
number_log_from_now (DftServer *self, GError **error)
{
  gint64 at_start = dft_store_last_seq (self->store, error);
  gint64 first;

  if (at_start < 0 || !renew_own_identity (self->store, error))
    return FALSE;
  /* In a cluster positions are the shared log's (dft-server-cluster.h), the same in every
   * process; the replica is made again from it rather than put back from a copy. */
  if (self->cluster != NULL)
    at_start = first = 0;
  else
    {
      first = MAX (at_start, dft_hlc_wall_ms () * 1000);
      if (!dft_store_skip_log_positions (self->store, first, error))
        return FALSE;
    }
  /* Pulls read the gap beside the pushes, without push_lock. */
  g_mutex_lock (&self->epoch_lock);
  self->log_at_start = at_start;
  self->log_first = first;
  g_mutex_unlock (&self->epoch_lock);
  return TRUE;
}

gboolean
_dft_server_in_log_gap (DftServer *self, gint64 position)
{
  gboolean in_gap;

  g_mutex_lock (&self->epoch_lock);
  in_gap = position > self->log_at_start && position <= self->log_first;
  g_mutex_unlock (&self->epoch_lock);
  return in_gap;
}

/* The data holds the mark of a copy (an "admin backup", or what "admin restore" put in): a
 * new epoch, and the mark gone, so the next start or check does not take another. */
static gboolean
take_copy_epoch (DftServer *self, GError **error)
{
  g_autofree char *epoch = NULL;

  if (!dft_server_new_epoch (self->store, &epoch, error)
      || !dft_store_set_sync_state (self->store, "backup_copy", "", error))
    return FALSE;
  g_mutex_lock (&self->epoch_lock);
  g_free (self->epoch);
  self->epoch = g_steal_pointer (&epoch);
  g_mutex_unlock (&self->epoch_lock);
  return TRUE;
}

/* SQLite's count of commits other connections made to the register's file: a restore while
 * serving is one (dft-server-backup.c), as is an admin command that writes. */
static gboolean
read_data_version (DftServer *self, gint64 *version, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  sqlite3                 *db = _dft_store_get_db (self->store);
  int                      rc;

  _dft_store_lock (self->store);
  rc = sqlite3_prepare_v2 (db, "PRAGMA data_version", -1, &stmt, NULL);
  if (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      *version = sqlite3_column_int64 (stmt, 0);
      rc = SQLITE_OK;
    }
  if (rc != SQLITE_OK)
    dft_db_set_error (error, db, rc, _ ("reading the database"));
  _dft_store_unlock (self->store);
  return rc == SQLITE_OK;
}

/*
 * "admin restore" wrote a backup into the files while this server serves on them: its
 * connections read the restored content from their next transaction, but the epoch, its own
 * identity and the log positions this run gives are held here, read when it started. They are
 * taken again from the restored data as a start takes them, before anything else is read or
 * written under push_lock, which the caller holds: devices see the new epoch and send again
 * what the backup lacks. The pull readers hold no position of their own; each reads what its
 * next transaction sees, and _dft_server_reader_take() sends here any that reads the mark
 * first. Cheap when nothing was restored: one pragma that reads a counter in memory.
 */
void
_dft_server_check_restored (DftServer *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *copy = NULL;
  gint64             version = 0;

  if (!read_data_version (self, &version, &error))
    {
      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE",
                        "could not check for a restore: %s", error->message);
      return;
    }
  if (version == self->data_version)
    return;
  /* Another process wrote: a restore, or an admin command such as import-bundle. Both are
   * refused in a cluster, whose epoch is the cluster's. */
  if (self->cluster != NULL)
    {
      self->data_version = version;
      return;
    }
  /* Another process wrote: a restore, or an admin command such as import-bundle. */
  copy = dft_store_get_sync_state (self->store, "backup_copy", &error);
  if (error != NULL
      || (copy != NULL && *copy != '\0'
          && (!take_copy_epoch (self, &error) || !number_log_from_now (self, &error))))
    {
      /* The count is left as it was: the next request tries again. */
      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE",
                        "could not take up data restored from a backup: %s", error->message);
      return;
    }
  /* The server's own commits above do not move the count. */
  self->data_version = version;
  if (copy == NULL || *copy == '\0')
    return;
  g_log_structured (
      G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
      "data restored from a backup while serving: new epoch %s, log from %" G_GINT64_FORMAT,
      self->epoch, self->log_first);
}

/* The first wait for a PostgreSQL that does not answer, and the longest. */
#define DB_WAIT_FIRST_MS 500
#define DB_WAIT_MAX_MS   10000

/*
 * A PostgreSQL started at the same time as the server, or down for a moment, is waited for,
 * the log saying why, with a wait that grows to ten seconds. SIGTERM and SIGINT, which serve()
 * blocks until the main loop runs, end the wait at once; they are taken here by sigtimedwait().
 */
static DftServerDb *
open_db (const DftServerConfig *config, const char *path, GError **error)
{
  guint wait_ms = DB_WAIT_FIRST_MS;

  for (;;)
    {
      g_autoptr (GError) local = NULL;
      DftServerDb       *db = dft_server_db_open_storage (config->storage, path, &local);
      struct timespec    pause;
      sigset_t           stop;
      int                sig;

      if (db != NULL)
        return db;
      if (!g_error_matches (local, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_UNAVAILABLE))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE", "%s; trying again in %.1f s",
                        local->message, wait_ms / 1000.0);
      sigemptyset (&stop);
      sigaddset (&stop, SIGTERM);
      sigaddset (&stop, SIGINT);
      pause.tv_sec = wait_ms / 1000;
      pause.tv_nsec = (long) (wait_ms % 1000) * 1000000;
      sig = sigtimedwait (&stop, NULL, &pause);
      if (sig == SIGTERM || sig == SIGINT)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                       /* Translators: %s says why the database did not answer */
                       _ ("Stopped while waiting for the database: %s"), local->message);
          return NULL;
        }
      wait_ms = MIN (wait_ms * 2, DB_WAIT_MAX_MS);
    }
}

/*
 * In a cluster, the register's replica in records.db must hold nothing the shared log lacks
 * (dft-server-cluster.c tells the failure story): one that does is moved aside, kept for a
 * look, and made again from the log, as is the register of a server that served alone
 * before (its devices send what they hold again under the cluster's epoch). Then it takes up
 * the whole log, before it serves.
 */
static gboolean
open_cluster (DftServer             *self,
              const DftServerConfig *config,
              const char            *store_path,
              GError               **error)
{
  gboolean ahead = FALSE;

  self->cluster = dft_server_cluster_open (config->storage, error);
  if (self->cluster == NULL
      || !dft_server_cluster_check_replica (self->cluster, self->store, &ahead, error))
    return FALSE;
  if (ahead)
    {
      g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
      g_autofree char      *stamp = g_date_time_format (now, "%Y%m%dT%H%M%SZ");
      static const char    *suffixes[] = { "", "-wal", "-shm" };

      g_clear_object (&self->store);
      for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
        {
          g_autofree char *from = g_strconcat (store_path, suffixes[i], NULL);
          g_autofree char *to = g_strdup_printf ("%s.ahead-%s%s", store_path, stamp, suffixes[i]);

          if (g_file_test (from, G_FILE_TEST_EXISTS) && g_rename (from, to) != 0)
            {
              int saved = errno;

              g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                           /* Translators: the first %s is a file, the second why */
                           _ ("Could not move the register %s aside: %s"), from,
                           g_strerror (saved));
              return FALSE;
            }
        }
      g_log_structured (
          G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
          "the register held changes the shared log lacks: moved aside to %s.ahead-%s "
          "and made again from the log",
          store_path, stamp);
      self->store = dft_store_open (store_path, error);
      if (self->store == NULL || !dft_store_set_keeps_tallies (self->store, FALSE, error))
        return FALSE;
      dft_store_set_derives_merges (self->store, FALSE);
    }
  /* What the register purged before it moved here, known before anything of the log is
   * applied (dft_server_cluster_take_purged()). */
  return dft_server_cluster_take_purged (self->cluster, self->store, error)
         && dft_server_cluster_catch_up (self->cluster, self->store, error);
}

DftServer *
dft_server_new (const DftServerConfig *config, GError **error)
{
  g_autoptr (DftServer) self = NULL;
  g_autofree char      *store_path = NULL;
  g_autofree char      *accounts_path = NULL;

  g_return_val_if_fail (config != NULL, NULL);

  self = g_object_new (DFT_TYPE_SERVER, NULL);
  self->listen = g_strdup (config->listen);
  self->port = config->port;
  self->max_body = config->max_body;
  self->token_days = config->token_days;
  self->metrics = dft_server_metrics_new ();
  if (config->rate_limit > 0)
    {
      /* A sync is one request to a few dozen; bursts of ten seconds' worth pass. Many
       * laptops of a workshop share one address behind its router. */
      self->token_limit = dft_rate_limit_new (config->rate_limit, config->rate_limit * 10.0);
      self->address_limit
          = dft_rate_limit_new (config->rate_limit * 10.0, config->rate_limit * 100.0);
    }
  self->tls_certificate = g_strdup (config->tls_certificate);
  self->tls_key = g_strdup (config->tls_key);

  if (!dft_server_auth_init (error))
    return NULL;
  /* Every person a push writes gets a search key. */
  dft_search_prepare ();
  store_path = dft_server_config_store_path (config);
  accounts_path = dft_server_config_accounts_path (config);
  self->store = dft_store_open (store_path, error);
  /* Nothing of the server reads the indicator report's tallies: not kept, for less work under
   * the one writer (dft_store_set_keeps_tallies()). */
  if (self->store == NULL || !dft_store_set_keeps_tallies (self->store, FALSE, error))
    return NULL;
  /* It relays merges of people; each team's replicas apply them (dft-store-merges.h). */
  dft_store_set_derives_merges (self->store, FALSE);
  self->db = open_db (config, accounts_path, error);
  if (self->db == NULL)
    return NULL;
  if (config->cluster)
    {
      /* One bundle key for the whole cluster: a laptop seals its bundles for the key the
       * process it signed in through gave it, and any process may import them. */
      if (!open_cluster (self, config, store_path, error)
          || !dft_server_cluster_share_box_secret (self->cluster, self->store, error))
        return NULL;
      self->epoch = dft_server_cluster_epoch (self->cluster, error);
    }
  else
    self->epoch = dft_server_ensure_epoch (self->store, error);
  if (self->epoch == NULL)
    return NULL;
  self->bundle_key = dft_bundle_ensure_box_key (self->store, error);
  if (self->bundle_key == NULL)
    return NULL;
  {
    g_autofree char *copy = dft_store_get_sync_state (self->store, "backup_copy", error);

    /* Started on a copy "admin backup" made: devices hold what came after it. */
    if (copy != NULL && *copy != '\0' && self->cluster == NULL)
      {
        if (!take_copy_epoch (self, error))
          return NULL;
        g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                          "started on data restored from a backup: new epoch %s", self->epoch);
      }
    else if (error != NULL && *error != NULL)
      return NULL;
  }
  if (!number_log_from_now (self, error) || !read_data_version (self, &self->data_version, error)
      || !_dft_server_readers_open (self, error) || !start_pools (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

gboolean
dft_server_start (DftServer *self, GError **error)
{
  g_autoptr (GInetAddress)   address = NULL;
  g_autoptr (GSocketAddress) socket_address = NULL;
  SoupServerListenOptions    options = 0;
  GSList                    *uris;

  g_return_val_if_fail (DFT_IS_SERVER (self), FALSE);
  g_return_val_if_fail (self->soup == NULL, FALSE);

  /* No Server line: X-Daftari-Server says whose reply it is, and on 2G every line costs. */
  self->soup = soup_server_new (NULL, NULL);
  if (self->tls_certificate != NULL)
    {
      g_autoptr (GTlsCertificate) certificate = NULL;

      if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               _ ("TLS is configured but GLib has no TLS support here: install "
                                  "glib-networking."));
          return FALSE;
        }
      certificate = g_tls_certificate_new_from_files (self->tls_certificate, self->tls_key, error);
      if (certificate == NULL)
        return FALSE;
      soup_server_set_tls_certificate (self->soup, certificate);
      options |= SOUP_SERVER_LISTEN_HTTPS;
    }

  soup_server_add_early_handler (self->soup, "/", early_handler_cb, self, NULL);
  soup_server_add_handler (self->soup, "/", handler_cb, self, NULL);
  g_signal_connect (self->soup, "request-started", G_CALLBACK (request_started_cb), self);
  g_signal_connect (self->soup, "request-finished", G_CALLBACK (request_finished_cb), self);
  g_signal_connect (self->soup, "request-aborted", G_CALLBACK (request_aborted_cb), self);

  address = g_inet_address_new_from_string (self->listen);
  if (address == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   /* Translators: %s is what the configuration gives as an address */
                   _ ("“%s” is not an IP address to listen on."), self->listen);
      return FALSE;
    }
  socket_address = g_inet_socket_address_new (address, (guint16) self->port);
  if (!soup_server_listen (self->soup, socket_address, options, error))
    return FALSE;

  uris = soup_server_get_uris (self->soup);
  for (GSList *l = uris; l != NULL; l = l->next)
    {
      g_autofree char *text = g_uri_to_string (l->data);
      gsize            length = strlen (text);

      if (length > 0 && text[length - 1] == '/')
        text[length - 1] = '\0';
      /* Translators: %s is a URL; scripts read the port from this line */
      g_print (_ ("listening on %s\n"), text);
    }
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  fflush (stdout);
  return TRUE;
}

static gboolean
drain_timeout_cb (gpointer data)
{
  DftServer *self = data;

  self->drain_timeout_id = 0;
  self->drain_expired = TRUE;
  check_drained (self);
  return G_SOURCE_REMOVE;
}

void
dft_server_stop (DftServer *self)
{
  g_return_if_fail (DFT_IS_SERVER (self));

  if (self->draining)
    return;
  self->draining = TRUE;
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                    "stopping: finishing %u requests under way", self->pending);
  self->drain_timeout_id = g_timeout_add_seconds (DRAIN_TIMEOUT_S, drain_timeout_cb, self);
  check_drained (self);
}

static gboolean
signal_cb (gpointer data)
{
  dft_server_stop (data);
  return G_SOURCE_CONTINUE;
}

int
dft_server_run (DftServer *self)
{
  guint term_id, int_id;

  g_return_val_if_fail (DFT_IS_SERVER (self), 1);

  self->loop = g_main_loop_new (NULL, FALSE);
  term_id = g_unix_signal_add (SIGTERM, signal_cb, self);
  int_id = g_unix_signal_add (SIGINT, signal_cb, self);
  /* Tombstones purged by the horizon rule, at start and then every few hours (in a worker). */
  _dft_server_purge_start (self);
  g_main_loop_run (self->loop);
  stop_pools (self);
  _dft_server_purge_stop (self);
  g_source_remove (term_id);
  g_source_remove (int_id);
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE", "stopped");
  return 0;
}

DftStore *
dft_server_get_store (DftServer *self)
{
  g_return_val_if_fail (DFT_IS_SERVER (self), NULL);
  return self->store;
}

DftServerDb *
dft_server_get_db (DftServer *self)
{
  g_return_val_if_fail (DFT_IS_SERVER (self), NULL);
  return self->db;
}
