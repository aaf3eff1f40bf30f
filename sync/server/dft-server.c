/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib-unix.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dft-bundle.h"
#include "dft-change-log.h"
#include "dft-db.h"
#include "dft-hlc.h"
#include "dft-server-auth.h"
#include "dft-server-scope.h"
#include "dft-server.h"
#include "dft-uuid.h"
#include "dft-wire.h"

#define API_PREFIX "/api/v1/"
/* Sign-in, enrolment and code requests are a few hundred bytes. */
#define SMALL_BODY_MAX (64 * 1024)
#define MAX_JSON_DEPTH 16
/* A pull page's JSON, before compression: well under what a client reads (DFT_WIRE_MAX_JSON). */
#define PULL_MAX_BYTES     (4 * 1024 * 1024)
#define PULL_DEFAULT_LIMIT 500
#define PULL_MAX_LIMIT     5000
/* After SIGTERM, how long replies already made may take to reach slow clients. */
#define DRAIN_TIMEOUT_S      10
#define CODE_MIN_SECONDS     60
#define CODE_MAX_SECONDS     (30 * 24 * 3600)
#define CODE_DEFAULT_SECONDS (7 * 24 * 3600)
#define DAY_SECONDS          (24 * 3600)
/*
 * Memory for pushes, server-wide: the bodies being received and the batches
 * being decoded together stay under this, however many devices push at once.
 * Decoding costs about PUSH_VALUE_COST bytes for each JSON value on top of the
 * text (a JsonNode, its object's hash table entry, then the change built from
 * it); a push past the budget waits up to PUSH_WAIT_S for others to finish,
 * then gets 503 with Retry-After.
 */
#define PUSH_BUDGET      ((gsize) 256 * 1024 * 1024)
#define PUSH_VALUE_COST  ((gsize) 256)
#define PUSH_WAIT_S      10
#define PUSH_RETRY_AFTER 5
/* After a push that cost this much, freed memory is handed back to the system. */
#define PUSH_TRIM_AT ((gsize) 4 * 1024 * 1024)

typedef struct _Request Request;
typedef void (*Handler) (DftServer *self, Request *request, DftDevice *device);

typedef struct
{
  const char *method;
  const char *path; /* after API_PREFIX; "*" stands for one device id */
  gboolean    needs_device;
  Handler     handler; /* NULL: answered at once in the main loop */
} Route;

/* What a worker made of a request, applied to the message in the main loop. */
typedef struct
{
  guint       status;
  GBytes     *body;
  gboolean    gzip;
  gboolean    challenge; /* WWW-Authenticate: Bearer */
  const char *error_code;
  char       *device_id;
  guint       retry_after; /* seconds, for 503 */
} Reply;

struct _Request
{
  DftServer         *server;
  SoupServerMessage *msg;
  const Route       *route;
  char              *path_id;
  GHashTable        *query;
  char              *authorization;
  char              *content_encoding;
  char              *acked; /* X-Daftari-Acked: what the device was told the server holds of it */
  GBytes            *body;
  Reply              reply;
};

/* Kept on each message, from the first byte read to the log line. */
typedef struct
{
  gint64      started;
  char       *device_id;
  const char *error_code;
  gboolean    pending; /* paused for a worker and not finished */
  gboolean    finished;
  gsize       reserved; /* of the push budget, for the body */
} MessageInfo;

/* A counting semaphore over bytes. */
typedef struct
{
  GMutex lock;
  GCond  cond;
  gsize  used;
  gsize  limit;
} Budget;

struct _DftServer
{
  GObject parent_instance;

  char        *listen;
  guint        port;
  gsize        max_body;
  guint        token_days;
  char        *tls_certificate;
  char        *tls_key;
  SoupServer  *soup;
  DftStore    *store;
  DftServerDb *db;
  char        *epoch;
  char        *bundle_key;   /* the public key USB bundles are sealed to */
  gint64       log_at_start; /* the last log position in the files when the server started */
  gint64       log_first;    /* positions this run gives start after this */
  GMutex       epoch_lock;   /* guards epoch, which a restore found while serving replaces */
  GMutex       push_lock;    /* check, claim and apply one push at a time */
  Budget       push_budget;  /* memory of the pushes under way: bodies and decoding */
  GMainLoop   *loop;
  guint        pending; /* messages paused for a worker, not yet finished */
  guint        working; /* workers running */
  gboolean     draining;
  gboolean     drain_expired;
  gboolean     finishing;
  guint        drain_timeout_id;
};

G_DEFINE_FINAL_TYPE (DftServer, dft_server, G_TYPE_OBJECT)

static void _dft_server_handle_login (DftServer *self, Request *request, DftDevice *device);
static void _dft_server_handle_enrol (DftServer *self, Request *request, DftDevice *device);
static void _dft_server_handle_push (DftServer *self, Request *request, DftDevice *device);
static void _dft_server_handle_pull (DftServer *self, Request *request, DftDevice *device);
static void _dft_server_handle_revoke (DftServer *self, Request *request, DftDevice *device);
static void _dft_server_handle_codes (DftServer *self, Request *request, DftDevice *device);
static void _dft_server_handle_reidentify (DftServer *self, Request *request, DftDevice *device);
static void _dft_server_handle_device_keys (DftServer *self, Request *request, DftDevice *device);

static const Route routes[] = {
  { "GET", "health", FALSE, NULL },
  { "POST", "login", FALSE, _dft_server_handle_login },
  { "POST", "enrol", FALSE, _dft_server_handle_enrol },
  { "POST", "push", TRUE, _dft_server_handle_push },
  { "GET", "pull", TRUE, _dft_server_handle_pull },
  { "POST", "devices/*/revoke", TRUE, _dft_server_handle_revoke },
  { "POST", "enrolment-codes", TRUE, _dft_server_handle_codes },
  { "POST", "reidentify", TRUE, _dft_server_handle_reidentify },
  { "GET", "device-keys", TRUE, _dft_server_handle_device_keys },
};

static void
dft_server_dispose (GObject *object)
{
  DftServer *self = DFT_SERVER (object);

  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
  g_clear_object (&self->store);
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
  g_mutex_clear (&self->push_lock);
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

static char *
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
static void
_dft_server_restore_found (DftServer *self, const char *why)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *epoch = NULL;

  if (!dft_server_new_epoch (self->store, &epoch, &error))
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

/* ---- Replies ------------------------------------------------------------ */

static JsonObject *
_dft_server_reply_object_new (void)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "server", "daftari");
  return object;
}

static GBytes *
json_bytes (JsonObject *object)
{
  g_autoptr (JsonNode)      node = json_node_init_object (json_node_alloc (), object);
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  gsize                     length;
  char                     *text;

  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, &length);
  return g_bytes_new_take (text, length);
}

static void
_dft_server_reply_json (Reply *reply, guint status, JsonObject *object)
{
  reply->status = status;
  g_clear_pointer (&reply->body, g_bytes_unref);
  reply->body = json_bytes (object);
}

static void
_dft_server_reply_error (Reply *reply, guint status, const char *code, const char *message)
{
  g_autoptr (JsonObject) object = _dft_server_reply_object_new ();
  JsonObject            *error = json_object_new ();

  json_object_set_string_member (error, "code", code);
  json_object_set_string_member (error, "message", message);
  json_object_set_object_member (object, "error", error);
  _dft_server_reply_json (reply, status, object);
  reply->gzip = FALSE;
  reply->error_code = code;
  reply->challenge = status == SOUP_STATUS_UNAUTHORIZED;
}

static void
_dft_server_reply_internal (Reply *reply, const GError *error)
{
  /* The detail goes to the log for whoever runs the server; SQLite and disk
   * messages hold no personal data. */
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE", "internal error: %s",
                    error != NULL ? error->message : "-");
  _dft_server_reply_error (
      reply, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal",
      error != NULL && g_error_matches (error, DFT_DB_ERROR, DFT_DB_ERROR_DISK_FULL)
          ? _ ("The server’s disk is full. Nothing of this request was stored; try again "
               "later.")
          : _ ("The server failed while handling this request. Nothing of it was "
               "stored; try again later."));
}

/* The status and code a failure is answered with. */
static void
_dft_server_reply_gerror (Reply *reply, const GError *error)
{
  if (error->domain == DFT_WIRE_ERROR)
    {
      if (error->code == DFT_WIRE_ERROR_TOO_LARGE)
        _dft_server_reply_error (reply, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
                                 error->message);
      else
        _dft_server_reply_error (reply, SOUP_STATUS_BAD_REQUEST, "bad_request", error->message);
    }
  else if (error->domain == DFT_SCOPE_ERROR)
    _dft_server_reply_error (reply, SOUP_STATUS_FORBIDDEN, "forbidden", error->message);
  else if (g_error_matches (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID))
    _dft_server_reply_error (reply, SOUP_STATUS_BAD_REQUEST, "bad_request", error->message);
  else if (error->domain == DFT_SERVER_DB_ERROR)
    {
      switch ((DftServerDbError) error->code)
        {
        case DFT_SERVER_DB_ERROR_NOT_FOUND:
          _dft_server_reply_error (reply, SOUP_STATUS_NOT_FOUND, "not_found", error->message);
          break;
        case DFT_SERVER_DB_ERROR_EXISTS:
        case DFT_SERVER_DB_ERROR_CONFLICT:
          _dft_server_reply_error (reply, SOUP_STATUS_CONFLICT, "conflict", error->message);
          break;
        case DFT_SERVER_DB_ERROR_CODE_INVALID:
          _dft_server_reply_error (reply, SOUP_STATUS_UNAUTHORIZED, "unauthorized", error->message);
          break;
        case DFT_SERVER_DB_ERROR_INVALID:
          _dft_server_reply_error (reply, SOUP_STATUS_BAD_REQUEST, "bad_request", error->message);
          break;
        default:
          _dft_server_reply_internal (reply, error);
          break;
        }
    }
  else
    _dft_server_reply_internal (reply, error);
}

static void
_dft_server_apply_reply (SoupServerMessage *msg, const Reply *reply)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  gsize               length = 0;
  const char         *data = g_bytes_get_data (reply->body, &length);

  soup_message_headers_replace (headers, "X-Daftari-Server", "1");
  /* Replies carry tokens and personal data: no cache keeps them. */
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  if (reply->gzip)
    soup_message_headers_replace (headers, "Content-Encoding", "gzip");
  if (reply->challenge)
    soup_message_headers_replace (headers, "WWW-Authenticate", "Bearer realm=\"daftari\"");
  if (reply->retry_after > 0)
    {
      g_autofree char *seconds = g_strdup_printf ("%u", reply->retry_after);
      soup_message_headers_replace (headers, "Retry-After", seconds);
    }
  soup_server_message_set_status (msg, reply->status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, data, length);
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
static gboolean
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

static void
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

static void
_dft_server_reply_busy (Reply *reply)
{
  _dft_server_reply_error (
      reply, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable",
      _ ("The server is busy receiving other devices’ changes; try again in a moment."));
  reply->retry_after = PUSH_RETRY_AFTER;
}

/* ---- Request bodies ----------------------------------------------------- */

static gboolean
json_depth_ok (const char *data, gsize length)
{
  return dft_wire_json_depth_ok (data, length, MAX_JSON_DEPTH);
}

/* The body as JSON text: inflated when gzip, refused when of another encoding or too deep. */
static GBytes *
_dft_server_body_json (Request *request, gsize max_json, GError **error)
{
  const char        *encoding = request->content_encoding;
  g_autoptr (GBytes) json = NULL;
  gsize              length = 0;
  const char        *data;

  if (encoding == NULL || g_ascii_strcasecmp (encoding, "identity") == 0)
    json = g_bytes_ref (request->body);
  else if (g_ascii_strcasecmp (encoding, "gzip") == 0)
    {
      json = dft_wire_gunzip (request->body, max_json, error);
      if (json == NULL)
        return NULL;
    }
  else
    {
      g_set_error (error, DFT_WIRE_ERROR, DFT_WIRE_ERROR_INVALID,
                   /* Translators: %s is an HTTP content encoding such as "br" */
                   _ ("The request body is compressed as “%s”; send it as gzip or plain."),
                   encoding);
      return NULL;
    }
  data = g_bytes_get_data (json, &length);
  if (length > max_json)
    {
      g_set_error_literal (error, DFT_WIRE_ERROR, DFT_WIRE_ERROR_TOO_LARGE,
                           _ ("The request body is too large."));
      return NULL;
    }
  if (!json_depth_ok (data, length))
    {
      g_set_error_literal (error, DFT_WIRE_ERROR, DFT_WIRE_ERROR_INVALID,
                           _ ("The request body nests too deeply to be a Daftari request."));
      return NULL;
    }
  return g_steal_pointer (&json);
}

typedef struct
{
  const char *name;
  GType       type;
  gboolean    required;
  gboolean    nullable;
} Member;

static gboolean
_dft_server_bad_request (GError **error, const char *message)
{
  g_set_error_literal (error, DFT_WIRE_ERROR, DFT_WIRE_ERROR_INVALID, message);
  return FALSE;
}

/* A small JSON object body, every member known and of its type. */
static JsonObject *
_dft_server_parse_object (Request *request, const Member *members, guint n_members, GError **error)
{
  g_autoptr (GBytes)     json = _dft_server_body_json (request, SMALL_BODY_MAX, error);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GList)      names = NULL;
  JsonObject            *object;
  JsonNode              *root;
  gsize                  length = 0;
  const char            *data;

  if (json == NULL)
    return NULL;
  data = g_bytes_get_data (json, &length);
  if (length == 0 || !dft_wire_json_single (data, length) || !dft_wire_json_strict (data, length)
      || !json_parser_load_from_data (parser, data, (gssize) length, NULL))
    return _dft_server_bad_request (error, _ ("The request body is not JSON.")), NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return _dft_server_bad_request (error, _ ("The request body is not a JSON object.")), NULL;
  object = json_node_get_object (root);

  names = json_object_get_members (object);
  for (GList *l = names; l != NULL; l = l->next)
    {
      gboolean known = FALSE;

      for (guint i = 0; i < n_members && !known; i++)
        known = g_str_equal (members[i].name, l->data);
      if (!known)
        {
          g_autofree char *message
              /* Translators: %s is a JSON member name a client sent */
              = g_strdup_printf (_ ("The request has an unknown member “%s”."),
                                 (const char *) l->data);
          return _dft_server_bad_request (error, message), NULL;
        }
    }
  for (guint i = 0; i < n_members; i++)
    {
      JsonNode *node = json_object_get_member (object, members[i].name);
      gboolean  fits;

      if (node == NULL)
        fits = !members[i].required;
      else if (JSON_NODE_HOLDS_NULL (node))
        fits = members[i].nullable;
      else
        fits = JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == members[i].type;
      if (!fits)
        {
          g_autofree char *message
              = g_strdup_printf (members[i].type == G_TYPE_STRING
                                     /* Translators: %s is a JSON member name */
                                     ? _ ("The member “%s” is missing or is not a string.")
                                     /* Translators: %s is a JSON member name */
                                     : _ ("The member “%s” is missing or is not a whole number."),
                                 members[i].name);
          return _dft_server_bad_request (error, message), NULL;
        }
    }
  return json_object_ref (object);
}

static const char *
_dft_server_member_string (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && !JSON_NODE_HOLDS_NULL (node) ? json_node_get_string (node) : NULL;
}

/* ---- Authentication ----------------------------------------------------- */

static gint64
_dft_server_now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static DftDevice *
_dft_server_authenticate (DftServer *self, Request *request)
{
  const char           *header = request->authorization;
  g_autoptr (GError)    error = NULL;
  g_autofree char      *token = NULL;
  g_autofree char      *hash = NULL;
  g_autoptr (DftDevice) device = NULL;
  gint64                now = _dft_server_now_seconds ();

  if (header == NULL || g_ascii_strncasecmp (header, "Bearer ", 7) != 0)
    {
      _dft_server_reply_error (
          &request->reply, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
          _ ("This request needs the device’s token: sign in or enrol first."));
      return NULL;
    }
  token = g_strstrip (g_strdup (header + 7));
  if (*token == '\0' || strlen (token) > 256)
    {
      _dft_server_reply_error (&request->reply, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                               _ ("This device token is not known. Sign in again."));
      return NULL;
    }
  hash = dft_server_auth_hash_secret (token);
  device = dft_server_db_find_device_by_token (self->db, hash, &error);
  if (device == NULL)
    {
      if (g_error_matches (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_NOT_FOUND))
        _dft_server_reply_error (&request->reply, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                                 _ ("This device token is not known. Sign in again."));
      else
        _dft_server_reply_internal (&request->reply, error);
      return NULL;
    }
  request->reply.device_id = g_strdup (device->id);
  if (device->revoked_at != 0)
    {
      _dft_server_reply_error (
          &request->reply, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
          _ ("This device was revoked. Its data stays on it; sign in again or ask a "
             "coordinator for a new enrolment code."));
      return NULL;
    }
  if (device->expires_at <= now)
    {
      _dft_server_reply_error (
          &request->reply, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
          _ ("This device’s sign-in has expired. Its data stays on it; sign in again."));
      return NULL;
    }
  /* When a device was last seen helps an admin spot a lost one; failing to note it is no
   * reason to refuse the request. */
  if (!dft_server_db_touch_device (self->db, device->id, now, &error))
    g_clear_error (&error);
  return g_steal_pointer (&device);
}

static void
reply_enrolled (DftServer *self, Request *request, const char *token, DftDevice *device)
{
  g_autoptr (JsonObject) object = _dft_server_reply_object_new ();

  json_object_set_string_member (object, "token", token);
  json_object_set_string_member (object, "bundle_key", self->bundle_key);
  json_object_set_string_member (object, "device_id", device->id);
  if (device->username != NULL)
    json_object_set_string_member (object, "account", device->username);
  else
    json_object_set_null_member (object, "account");
  json_object_set_string_member (object, "role", dft_server_role_to_string (device->role));
  if (device->team_name != NULL)
    json_object_set_string_member (object, "team", device->team_name);
  else
    json_object_set_null_member (object, "team");
  _dft_server_reply_json (&request->reply, SOUP_STATUS_OK, object);
  g_free (request->reply.device_id);
  request->reply.device_id = g_strdup (device->id);
}

static gboolean
check_device_fields (JsonObject *body, GError **error)
{
  const char *name = _dft_server_member_string (body, "device_name");
  const char *sign_key = _dft_server_member_string (body, "sign_key");

  if (!dft_uuid_is_valid (_dft_server_member_string (body, "device_id")))
    return _dft_server_bad_request (error, _ ("The member “device_id” is not a device id.")), FALSE;
  if (sign_key != NULL && !dft_bundle_key_is_valid (sign_key))
    return _dft_server_bad_request (error, _ ("The member “sign_key” is not a public key.")), FALSE;
  if (name != NULL && (!g_utf8_validate (name, -1, NULL) || g_utf8_strlen (name, -1) > 200))
    return _dft_server_bad_request (error, _ ("The member “device_name” is too long.")), FALSE;
  return TRUE;
}

static void
_dft_server_handle_login (DftServer *self, Request *request, DftDevice *unused)
{
  static const Member members[] = {
    { "username", G_TYPE_STRING, TRUE, FALSE },  { "password", G_TYPE_STRING, TRUE, FALSE },
    { "device_id", G_TYPE_STRING, TRUE, FALSE }, { "device_name", G_TYPE_STRING, FALSE, TRUE },
    { "sign_key", G_TYPE_STRING, FALSE, TRUE },
  };
  g_autoptr (GError)     error = NULL;
  g_autoptr (JsonObject) body
      = _dft_server_parse_object (request, members, G_N_ELEMENTS (members), &error);
  g_autoptr (DftAccount) account = NULL;
  g_autoptr (DftDevice)  device = NULL;
  g_autofree char       *token = NULL;
  g_autofree char       *hash = NULL;
  const char            *password;
  gint64                 now = _dft_server_now_seconds ();

  if (body == NULL || !check_device_fields (body, &error))
    {
      _dft_server_reply_gerror (&request->reply, error);
      return;
    }
  password = _dft_server_member_string (body, "password");
  account
      = dft_server_db_find_account (self->db, _dft_server_member_string (body, "username"), &error);
  if (account == NULL)
    {
      if (!g_error_matches (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_NOT_FOUND))
        {
          _dft_server_reply_internal (&request->reply, error);
          return;
        }
      dft_server_auth_waste_verification (password);
    }
  if (account == NULL || !dft_server_auth_verify_password (account->password_hash, password))
    {
      _dft_server_reply_error (&request->reply, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                               _ ("The user name or the password is wrong."));
      return;
    }

  token = dft_server_auth_new_token ();
  hash = dft_server_auth_hash_secret (token);
  device = dft_server_db_enrol_with_account (self->db, account->id,
                                             _dft_server_member_string (body, "device_id"),
                                             _dft_server_member_string (body, "device_name"), hash,
                                             _dft_server_member_string (body, "sign_key"), now,
                                             now + (gint64) self->token_days * DAY_SECONDS, &error);
  if (device == NULL)
    {
      _dft_server_reply_gerror (&request->reply, error);
      return;
    }
  reply_enrolled (self, request, token, device);
}

static void
_dft_server_handle_enrol (DftServer *self, Request *request, DftDevice *unused)
{
  static const Member members[] = {
    { "code", G_TYPE_STRING, TRUE, FALSE },
    { "device_id", G_TYPE_STRING, TRUE, FALSE },
    { "device_name", G_TYPE_STRING, FALSE, TRUE },
    { "sign_key", G_TYPE_STRING, FALSE, TRUE },
  };
  g_autoptr (GError)     error = NULL;
  g_autoptr (JsonObject) body
      = _dft_server_parse_object (request, members, G_N_ELEMENTS (members), &error);
  g_autoptr (DftDevice) device = NULL;
  g_autofree char      *code = NULL;
  g_autofree char      *code_hash = NULL;
  g_autofree char      *token = NULL;
  g_autofree char      *hash = NULL;
  gint64                now = _dft_server_now_seconds ();

  if (body == NULL || !check_device_fields (body, &error))
    {
      _dft_server_reply_gerror (&request->reply, error);
      return;
    }
  code = dft_server_auth_normalize_code (_dft_server_member_string (body, "code"));
  if (code == NULL)
    {
      _dft_server_reply_error (
          &request->reply, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
          _ ("This enrolment code is not valid: it may have expired or been used "
             "already. Ask your coordinator for a new one."));
      return;
    }
  code_hash = dft_server_auth_hash_secret (code);
  token = dft_server_auth_new_token ();
  hash = dft_server_auth_hash_secret (token);
  device = dft_server_db_enrol_with_code (self->db, code_hash,
                                          _dft_server_member_string (body, "device_id"),
                                          _dft_server_member_string (body, "device_name"), hash,
                                          _dft_server_member_string (body, "sign_key"), now,
                                          now + (gint64) self->token_days * DAY_SECONDS, &error);
  if (device == NULL)
    {
      _dft_server_reply_gerror (&request->reply, error);
      return;
    }
  reply_enrolled (self, request, token, device);
}

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
static void
_dft_server_handle_push (DftServer *self, Request *request, DftDevice *device)
{
  g_autoptr (GError) error = NULL;
  const char        *encoding = request->content_encoding;
  gboolean           gzip = encoding != NULL && g_ascii_strcasecmp (encoding, "gzip") == 0;
  DftWireCount       count;
  gsize              cost;

  /* Another encoding is refused by _dft_server_body_json() as it always was. */
  if (gzip || encoding == NULL || g_ascii_strcasecmp (encoding, "identity") == 0)
    {
      if (!dft_wire_count_body (request->body, gzip, DFT_WIRE_MAX_JSON, &count, &error))
        {
          _dft_server_reply_gerror (&request->reply, error);
          return;
        }
      if (count.changes > DFT_WIRE_MAX_PUSH_CHANGES || count.values > DFT_WIRE_MAX_PUSH_VALUES)
        {
          g_autofree char *message = g_strdup_printf (
              /* Translators: %d is the most changes one push may hold */
              _ ("This push holds too much: send at most %d changes at a time, and smaller "
                 "batches."),
              DFT_WIRE_MAX_PUSH_CHANGES);

          _dft_server_reply_error (&request->reply, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                                   "too_large", message);
          return;
        }
      cost = count.bytes + (gsize) count.values * PUSH_VALUE_COST;
      if (!_dft_server_budget_take (&self->push_budget, cost,
                                    g_get_monotonic_time () + PUSH_WAIT_S * G_USEC_PER_SEC))
        {
          _dft_server_reply_busy (&request->reply);
          return;
        }
    }
  else
    cost = 0;

  push_counted (self, request, device);
  _dft_server_budget_give (&self->push_budget, cost);
#ifdef __GLIBC__
  /* A worker thread's malloc arena keeps what a big batch freed: give it back, so memory
   * after a burst of pushes is what the server holds, not its high-water mark. */
  if (cost >= PUSH_TRIM_AT)
    malloc_trim (0);
#endif
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
 * The changes of a device's own push that may be applied, in their order (borrowed from
 * @changes). A change the scope refuses alone (a record of another team, a form a coordinator
 * published, a value too long) is set aside with its reason into @set_aside and the rest is
 * checked again without it, since what it wrote no longer counts for the others: a refused
 * change never holds back the ones after it. NULL when the whole push is refused (changes of
 * another device) or the server failed.
 */
static GPtrArray *
sort_push (DftServer *self,
           DftDevice *device,
           GPtrArray *changes,
           GPtrArray *set_aside,
           GPtrArray *claim_ids,
           GPtrArray *claim_entities,
           GError   **error)
{
  g_autoptr (GPtrArray) accepted = g_ptr_array_new ();

  for (guint i = 0; i < changes->len; i++)
    g_ptr_array_add (accepted, g_ptr_array_index (changes, i));
  for (;;)
    {
      g_autoptr (DftScope) scope = dft_scope_new (self->store, self->db, device);
      g_autoptr (GError)   local_error = NULL;
      const char          *reason = NULL;
      guint                refused;
      SetAside            *aside;

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

/* What was set aside is kept, for a coordinator to see, and counts as received. Locked. */
static gboolean
keep_set_aside (DftServer *self, DftDevice *device, GPtrArray *set_aside, GError **error)
{
  for (guint i = 0; i < set_aside->len; i++)
    {
      SetAside *aside = g_ptr_array_index (set_aside, i);

      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                        "device %s: change %" G_GINT64_FORMAT " set aside: %s", device->id,
                        aside->change->origin_seq, aside->reason);
      if (!dft_store_set_aside (self->store, device->id, aside->change->origin_seq, aside->change,
                                aside->reason, error))
        return FALSE;
    }
  return TRUE;
}

static void
push_counted (DftServer *self, Request *request, DftDevice *device)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (GBytes)     json = _dft_server_body_json (request, DFT_WIRE_MAX_JSON, &error);
  g_autoptr (JsonObject) top = NULL;
  g_autoptr (GPtrArray)  changes = NULL;
  g_autoptr (GPtrArray)  accepted = NULL;
  g_autoptr (DftScope)   scope = NULL;
  g_autoptr (GPtrArray)  claim_ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray)  claim_entities = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray)  set_aside = g_ptr_array_new_with_free_func (set_aside_free);
  g_autoptr (JsonObject) object = NULL;
  g_autofree char       *epoch = NULL;
  DftApplyStats          stats = { 0 };
  JsonNode              *protocol;
  JsonNode              *relay_node;
  gboolean               relay = FALSE, forked = FALSE, ahead = FALSE;
  guint                  fork_index = 0, skipped = 0, ahead_index = 0;
  gint64                 acked, ahead_ms = 0;

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

  /* Before anything is looked up or claimed: a clock far ahead of the server's is the
   * device's to put right, whatever else the batch holds. */
  if (!drop_clock_ahead (self->store, device->id, changes, relay, &ahead, &ahead_index, &ahead_ms,
                         &error, &skipped))
    {
      _dft_server_reply_internal (&request->reply, error);
      return;
    }
  if (ahead)
    {
      reply_clock_ahead (&request->reply, g_ptr_array_index (changes, ahead_index), ahead_ms,
                         error);
      return;
    }

  scope = dft_scope_new (self->store, self->db, device);
  g_mutex_lock (&self->push_lock);
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
  if (relay
          ? !drop_forked (self->store, device->id, changes, &forked, &fork_index, &skipped, &error)
          : !dft_store_find_fork (self->store, changes, &forked, &fork_index, &error))
    goto internal;
  if (forked)
    {
      g_mutex_unlock (&self->push_lock);
      reply_forked (&request->reply, g_ptr_array_index (changes, fork_index));
      return;
    }
  if (relay)
    accepted = dft_scope_filter_relay (scope, changes, claim_ids, claim_entities, &skipped, &error);
  else
    accepted = sort_push (self, device, changes, set_aside, claim_ids, claim_entities, &error);
  if (accepted == NULL
      || !dft_server_db_claim (self->db, claim_ids, claim_entities, device->team_id,
                               _dft_server_now_seconds (), &error))
    {
      g_mutex_unlock (&self->push_lock);
      _dft_server_reply_gerror (&request->reply, error);
      return;
    }
  if ((accepted->len > 0 && !dft_store_apply_changes (self->store, accepted, &stats, &error))
      || !keep_set_aside (self, device, set_aside, &error))
    {
      g_autoptr (GError) unclaim_error = NULL;

      /* Nothing of a refused push stays, its workshops' owners included. */
      if (!dft_server_db_unclaim (self->db, claim_ids, &unclaim_error))
        g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                          "could not undo workshop claims: %s", unclaim_error->message);
      g_mutex_unlock (&self->push_lock);
      if (g_error_matches (error, DFT_STORE_ERROR, DFT_STORE_ERROR_FORKED))
        _dft_server_reply_error (&request->reply, SOUP_STATUS_CONFLICT, "forked", error->message);
      else
        _dft_server_reply_gerror (&request->reply, error);
      return;
    }
  acked = dft_store_origin_high (self->store, device->id, &error);
  g_mutex_unlock (&self->push_lock);
  if (acked < 0)
    {
      _dft_server_reply_internal (&request->reply, error);
      return;
    }

  epoch = _dft_server_current_epoch (self);
  object = _dft_server_reply_object_new ();
  json_object_set_int_member (object, "acked", acked);
  json_object_set_string_member (object, "epoch", epoch);
  json_object_set_int_member (object, "time", dft_hlc_wall_ms ());
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
  _dft_server_reply_json (&request->reply, SOUP_STATUS_OK, object);
  return;

internal:
  g_mutex_unlock (&self->push_lock);
  _dft_server_reply_internal (&request->reply, error);
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

static void
_dft_server_handle_pull (DftServer *self, Request *request, DftDevice *device)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (GPtrArray)  changes = NULL;
  g_autoptr (GPtrArray)  visible = NULL;
  g_autoptr (DftScope)   scope = NULL;
  g_autoptr (JsonObject) extra = json_object_new ();
  g_autoptr (GBytes)     json = NULL;
  g_autofree char       *epoch = NULL;
  g_autofree char       *scope_mark = NULL;
  gint64                 after, limit, cursor, last, own, told = 0;
  gboolean               more;

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

  /* A device that pulled past the end of the log, or to a position between the end of the
   * files at start and this run's first, pulled from data that is gone. */
  g_mutex_lock (&self->push_lock);
  last = dft_store_last_seq (self->store, &error);
  if (last >= 0 && (after > last || (after > self->log_at_start && after <= self->log_first)))
    {
      _dft_server_restore_found (self,
                                 "a device pulled from a position the server's log does not hold");
      after = 0;
    }
  else if (last >= 0 && request->acked != NULL
           && g_ascii_string_to_signed (request->acked, 10, 0, G_MAXINT64, &told, NULL)
           && told > dft_store_origin_high (self->store, device->id, NULL))
    _dft_server_restore_found (
        self, "a device was told the server holds more of its changes than it does");
  g_mutex_unlock (&self->push_lock);
  if (last < 0)
    {
      _dft_server_reply_internal (&request->reply, error);
      return;
    }
  changes = dft_store_read_log (self->store, after, (guint) limit, NULL, device->id, &error);
  if (changes == NULL)
    {
      _dft_server_reply_internal (&request->reply, error);
      return;
    }
  more = changes->len == (guint) limit;
  /* A page is bounded by its size as well as its count: a few large records (form definitions,
   * answers, conflicts that copy them) must not make a page no device will take. */
  if (trim_to_bytes (changes, PULL_MAX_BYTES))
    more = TRUE;
  own = dft_store_origin_high (self->store, device->id, &error);
  scope_mark = own < 0 ? NULL : dft_scope_mark (self->store, device, &error);
  if (scope_mark == NULL)
    {
      _dft_server_reply_internal (&request->reply, error);
      return;
    }
  cursor = changes->len > 0 ? ((DftChange *) g_ptr_array_index (changes, changes->len - 1))->seq
                            : after;
  scope = dft_scope_new (self->store, self->db, device);
  visible = dft_scope_filter_pull (scope, changes, &error);
  if (visible == NULL)
    {
      _dft_server_reply_internal (&request->reply, error);
      return;
    }

  json_object_set_int_member (extra, "cursor", cursor);
  json_object_set_boolean_member (extra, "more", more);
  epoch = _dft_server_current_epoch (self);
  json_object_set_string_member (extra, "epoch", epoch);
  /* What the server holds of this device's own: more than it holds means a copy made them. */
  json_object_set_int_member (extra, "acked", own);
  if (*scope_mark != '\0')
    json_object_set_string_member (extra, "scope", scope_mark);
  json_object_set_int_member (extra, "time", dft_hlc_wall_ms ());
  json = dft_wire_encode_batch (visible, extra);
  request->reply.status = SOUP_STATUS_OK;
  request->reply.body = dft_wire_gzip (json);
  request->reply.gzip = TRUE;
}

/*
 * A forked database takes a new device id, and with it needs a token: the
 * copied token vouches for it as much as for the original, so the new id is
 * enrolled like the device the token belongs to (account, role, team and the
 * same expiry), and the original keeps its own.
 */
static void
_dft_server_handle_reidentify (DftServer *self, Request *request, DftDevice *device)
{
  static const Member members[] = {
    { "device_id", G_TYPE_STRING, TRUE, FALSE },
    { "device_name", G_TYPE_STRING, FALSE, TRUE },
    { "sign_key", G_TYPE_STRING, FALSE, TRUE },
  };
  g_autoptr (GError)     error = NULL;
  g_autoptr (JsonObject) body
      = _dft_server_parse_object (request, members, G_N_ELEMENTS (members), &error);
  g_autoptr (DftDevice) twin = NULL;
  g_autofree char      *token = NULL;
  g_autofree char      *hash = NULL;

  if (body == NULL || !check_device_fields (body, &error))
    {
      _dft_server_reply_gerror (&request->reply, error);
      return;
    }
  if (g_str_equal (_dft_server_member_string (body, "device_id"), device->id))
    {
      _dft_server_reply_error (&request->reply, SOUP_STATUS_BAD_REQUEST, "bad_request",
                               _ ("A new identity needs a new device id."));
      return;
    }
  token = dft_server_auth_new_token ();
  hash = dft_server_auth_hash_secret (token);
  twin = dft_server_db_enrol_like (self->db, device, _dft_server_member_string (body, "device_id"),
                                   _dft_server_member_string (body, "device_name"), hash,
                                   _dft_server_member_string (body, "sign_key"),
                                   _dft_server_now_seconds (), &error);
  if (twin == NULL)
    {
      _dft_server_reply_gerror (&request->reply, error);
      return;
    }
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                    "device %s is a copy of device %s and took a new identity", twin->id,
                    device->id);
  reply_enrolled (self, request, token, twin);
}

/*
 * The signing keys of the devices not revoked, so that a laptop can check a
 * USB bundle from another laptop (sync/PROTOCOL.md, "Bundles"). Public keys
 * and device ids only: a device sees the ids in every pull anyway.
 */
static void
_dft_server_handle_device_keys (DftServer *self, Request *request, DftDevice *device)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (GPtrArray)  devices = dft_server_db_list_devices (self->db, &error);
  g_autoptr (JsonObject) object = NULL;
  JsonObject            *keys;

  if (devices == NULL)
    {
      _dft_server_reply_internal (&request->reply, error);
      return;
    }
  object = _dft_server_reply_object_new ();
  keys = json_object_new ();
  for (guint i = 0; i < devices->len; i++)
    {
      DftDevice *d = g_ptr_array_index (devices, i);

      if (d->revoked_at == 0 && d->sign_key != NULL)
        json_object_set_string_member (keys, d->id, d->sign_key);
    }
  json_object_set_object_member (object, "devices", keys);
  _dft_server_reply_json (&request->reply, SOUP_STATUS_OK, object);
}

/* ---- Administration over HTTP ------------------------------------------- */

static gboolean
may_administer (Request *request, DftDevice *device)
{
  if (device->role != DFT_SERVER_ROLE_TRAINER)
    return TRUE;
  _dft_server_reply_error (&request->reply, SOUP_STATUS_FORBIDDEN, "forbidden",
                           _ ("Only coordinators and admins may do this."));
  return FALSE;
}

static void
_dft_server_handle_revoke (DftServer *self, Request *request, DftDevice *device)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (DftDevice)  target = NULL;
  g_autoptr (JsonObject) object = NULL;

  if (!may_administer (request, device))
    return;
  target = dft_server_db_find_device (self->db, request->path_id, &error);
  if (target == NULL)
    {
      _dft_server_reply_gerror (&request->reply, error);
      return;
    }
  /* A coordinator revokes the devices of their team, never an admin's. */
  if (device->role == DFT_SERVER_ROLE_COORDINATOR
      && (target->role == DFT_SERVER_ROLE_ADMIN
          || (device->team_id != NULL && g_strcmp0 (device->team_id, target->team_id) != 0)))
    {
      _dft_server_reply_error (&request->reply, SOUP_STATUS_FORBIDDEN, "forbidden",
                               _ ("This device belongs to another team."));
      return;
    }
  if (!dft_server_db_revoke_device (self->db, target->id, _dft_server_now_seconds (), &error))
    {
      _dft_server_reply_gerror (&request->reply, error);
      return;
    }
  object = _dft_server_reply_object_new ();
  json_object_set_boolean_member (object, "revoked", TRUE);
  _dft_server_reply_json (&request->reply, SOUP_STATUS_OK, object);
}

static void
_dft_server_handle_codes (DftServer *self, Request *request, DftDevice *device)
{
  static const Member members[] = {
    { "team", G_TYPE_STRING, FALSE, TRUE },
    { "role", G_TYPE_STRING, FALSE, FALSE },
    { "expires_in", G_TYPE_INT64, FALSE, FALSE },
  };
  g_autoptr (GError)     error = NULL;
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (DftTeam)    team = NULL;
  g_autoptr (JsonObject) object = NULL;
  g_autofree char       *code = NULL;
  g_autofree char       *normal = NULL;
  g_autofree char       *hash = NULL;
  const char            *team_name;
  const char            *role_name;
  DftServerRole          role = DFT_SERVER_ROLE_TRAINER;
  gint64                 expires_in = CODE_DEFAULT_SECONDS;
  gint64                 now = _dft_server_now_seconds ();

  if (!may_administer (request, device))
    return;
  body = _dft_server_parse_object (request, members, G_N_ELEMENTS (members), &error);
  if (body == NULL)
    {
      _dft_server_reply_gerror (&request->reply, error);
      return;
    }
  role_name = _dft_server_member_string (body, "role");
  if (role_name != NULL
      && (!dft_server_role_from_string (role_name, &role) || role == DFT_SERVER_ROLE_ADMIN))
    {
      _dft_server_reply_error (&request->reply, SOUP_STATUS_BAD_REQUEST, "bad_request",
                               _ ("An enrolment code is for the role “trainer” or “coordinator”."));
      return;
    }
  if (json_object_has_member (body, "expires_in"))
    expires_in = json_object_get_int_member (body, "expires_in");
  if (expires_in < CODE_MIN_SECONDS || expires_in > CODE_MAX_SECONDS)
    {
      _dft_server_reply_error (&request->reply, SOUP_STATUS_BAD_REQUEST, "bad_request",
                               _ ("An enrolment code lasts from one minute to thirty days."));
      return;
    }

  /* A coordinator's own team, unless another is named. */
  team_name
      = json_object_has_member (body, "team") ? _dft_server_member_string (body, "team") : NULL;
  if (team_name == NULL && !json_object_has_member (body, "team") && device->team_id != NULL)
    team_name = device->team_id;
  if (team_name != NULL)
    {
      team = dft_server_db_find_team (self->db, team_name, &error);
      if (team == NULL)
        {
          _dft_server_reply_gerror (&request->reply, error);
          return;
        }
    }

  /* Nobody gives more than they hold: a team's coordinator enrols trainers of that team;
   * only an admin makes a coordinator without a team. */
  if (device->role == DFT_SERVER_ROLE_COORDINATOR
      && ((device->team_id != NULL
           && (role != DFT_SERVER_ROLE_TRAINER || team == NULL
               || g_strcmp0 (team->id, device->team_id) != 0))
          || (device->team_id == NULL && team == NULL)))
    {
      _dft_server_reply_error (
          &request->reply, SOUP_STATUS_FORBIDDEN, "forbidden",
          _ ("A coordinator makes enrolment codes for trainers of their own team."));
      return;
    }

  code = dft_server_auth_new_enrolment_code ();
  normal = dft_server_auth_normalize_code (code);
  hash = dft_server_auth_hash_secret (normal);
  if (!dft_server_db_add_enrolment_code (self->db, hash, team != NULL ? team->id : NULL, role, 1,
                                         now, now + expires_in, device->id, &error))
    {
      _dft_server_reply_gerror (&request->reply, error);
      return;
    }
  object = _dft_server_reply_object_new ();
  json_object_set_string_member (object, "code", code);
  json_object_set_int_member (object, "expires_at", (now + expires_in) * 1000);
  _dft_server_reply_json (&request->reply, SOUP_STATUS_OK, object);
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
  g_clear_pointer (&request->body, g_bytes_unref);
  g_clear_pointer (&request->reply.body, g_bytes_unref);
  g_free (request->reply.device_id);
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
          if (!dft_uuid_is_valid (id))
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
  if (route->handler == NULL)
    {
      reply_health (self, msg);
      return;
    }

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
  request->body = soup_message_body_flatten (soup_server_message_get_request_body (msg));

  message_info (msg)->pending = TRUE;
  self->pending++;
  self->working++;
  soup_server_message_pause (msg);

  task = g_task_new (self, NULL, request_done_cb, NULL);
  g_task_set_source_tag (task, handler_cb);
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);
  g_task_run_in_thread (task, request_thread);
}

static gsize
body_limit (DftServer *self, const char *path)
{
  return g_str_equal (path, API_PREFIX "push") ? self->max_body : SMALL_BODY_MAX;
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
  gsize               limit = body_limit (self, path);

  gboolean push = g_str_equal (path, API_PREFIX "push");

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

static void
request_ended (DftServer *self, SoupServerMessage *msg, gboolean aborted)
{
  MessageInfo *info = message_info (msg);

  if (info->finished)
    return;
  info->finished = TRUE;
  _dft_server_budget_give (&self->push_budget, info->reserved);
  info->reserved = 0;
  log_request (msg, info, aborted);
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
  self->tls_certificate = g_strdup (config->tls_certificate);
  self->tls_key = g_strdup (config->tls_key);

  if (!dft_server_auth_init (error))
    return NULL;
  store_path = dft_server_config_store_path (config);
  accounts_path = dft_server_config_accounts_path (config);
  self->store = dft_store_open (store_path, error);
  if (self->store == NULL)
    return NULL;
  self->db = dft_server_db_open (accounts_path, error);
  if (self->db == NULL)
    return NULL;
  self->epoch = dft_server_ensure_epoch (self->store, error);
  if (self->epoch == NULL)
    return NULL;
  self->bundle_key = dft_bundle_ensure_box_key (self->store, error);
  if (self->bundle_key == NULL)
    return NULL;
  {
    g_autofree char *copy = dft_store_get_sync_state (self->store, "backup_copy", error);

    /* Started on a copy "admin backup" made: devices hold what came after it. */
    if (copy != NULL && *copy != '\0')
      {
        g_clear_pointer (&self->epoch, g_free);
        if (!dft_server_new_epoch (self->store, &self->epoch, error)
            || !dft_store_set_sync_state (self->store, "backup_copy", "", error))
          return NULL;
        g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                          "started on data restored from a backup: new epoch %s", self->epoch);
      }
    else if (error != NULL && *error != NULL)
      return NULL;
  }
  /*
   * Each run numbers its log from a point after anything an earlier run gave (milliseconds
   * times 1000), so a position is never given twice, even by data put back from a copy; a
   * device that holds a position between the files' end and that point was served by data
   * that is gone.
   */
  self->log_at_start = dft_store_last_seq (self->store, error);
  if (self->log_at_start < 0 || !renew_own_identity (self->store, error))
    return NULL;
  self->log_first = MAX (self->log_at_start, dft_hlc_wall_ms () * 1000);
  if (!dft_store_skip_log_positions (self->store, self->log_first, error))
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

  self->soup = soup_server_new ("server-header", "daftari-server", NULL);
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
  g_main_loop_run (self->loop);
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
