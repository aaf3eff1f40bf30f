/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <curl/curl.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "dft-bundle.h"
#include "dft-change-log.h"
#include "dft-hlc.h"
#include "dft-sync-client.h"
#include "dft-token-store.h"
#include "dft-uuid.h"
#include "dft-wire.h"

/*
 * How a sync goes (sync/PROTOCOL.md): push this device's own changes after
 * the mark the server last acknowledged, in gzip batches of at most
 * batch-bytes; then pull pages after the saved cursor, applying each page in
 * one transaction before saving the cursor. Every step is one request. A
 * request that fails on the network is tried again after an exponential,
 * jittered wait; a dropped connection also halves the next batch, and each
 * success doubles it back up to the limit.
 *
 * Everything that touches the network or the disk runs in a GTask thread on a
 * snapshot of the settings (a Run). The thread never touches the object's
 * fields: property changes are posted to the main context the object was made
 * in.
 */

#define DEFAULT_SYNC_INTERVAL   (15 * 60)
#define DEFAULT_CONNECT_TIMEOUT 20
#define DEFAULT_STALL_TIMEOUT   30
#define DEFAULT_REQUEST_TIMEOUT 300
#define DEFAULT_MAX_ATTEMPTS    5
#define DEFAULT_RETRY_DELAY_MS  1000
#define MAX_RETRY_DELAY_MS      (60 * 1000)
#define DEFAULT_BATCH_BYTES     (32 * 1024)
#define MIN_BATCH_BYTES         512
#define STALL_BYTES_PER_SECOND  10
#define PUSH_LIMIT_START        256
#define PUSH_LIMIT_MAX          4096
#define PULL_LIMIT_START        200
#define PULL_LIMIT_MIN          5
#define PULL_LIMIT_MAX          1000
#define MAX_RESTARTS            4
#define NETWORK_SETTLE_MS       3000
#define PENDING_REFRESH_MS      300

/* The quark's name is a string: the formatter would put spaces in it. */
/* clang-format off */
G_DEFINE_QUARK (dft-sync-client-error-quark, dft_sync_client_error)
/* clang-format on */

G_DEFINE_ENUM_TYPE (DftSyncState,
                    dft_sync_state,
                    G_DEFINE_ENUM_VALUE (DFT_SYNC_STATE_IDLE, "idle"),
                    G_DEFINE_ENUM_VALUE (DFT_SYNC_STATE_SYNCING, "syncing"),
                    G_DEFINE_ENUM_VALUE (DFT_SYNC_STATE_OFFLINE, "offline"),
                    G_DEFINE_ENUM_VALUE (DFT_SYNC_STATE_ERROR, "error"))

struct _DftSyncClient
{
  GObject parent_instance;

  DftStore        *store;
  GMainContext    *context;
  GNetworkMonitor *monitor;

  char *set_aside_reason; /* see dft_sync_client_get_set_aside_reason() */

  /* Settings. */
  char    *server_url;
  char    *pinned_certificate;
  gboolean automatic;
  guint    sync_interval;
  guint    connect_timeout;
  guint    stall_timeout;
  guint    request_timeout;
  guint    max_attempts;
  guint    retry_delay_ms;
  guint    batch_bytes;

  /* State shown to people. */
  DftSyncState state;
  gboolean     signed_in;
  gint64       pending_changes;
  gint64       open_conflicts;
  gint64       last_sync;
  char        *last_error;
  char        *token_storage;
  double       progress;
  gint64       clock_drift_ms;

  /* Batch sizes learnt from the link, kept from one sync to the next. */
  guint push_limit;
  guint pull_limit;
  guint target_bytes;

  /* Runs. */
  gboolean      running;
  gboolean      again;
  GCancellable *run_cancellable;
  GPtrArray    *run_waiters;
  GPtrArray    *queued_waiters;

  /* Scheduling. */
  gboolean network_available;
  GSource *interval_source;
  GSource *settle_source;
  GSource *pending_source;
};

G_DEFINE_FINAL_TYPE (DftSyncClient, dft_sync_client, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_STORE,
  PROP_NETWORK_MONITOR,
  PROP_SERVER_URL,
  PROP_PINNED_CERTIFICATE,
  PROP_AUTOMATIC,
  PROP_SYNC_INTERVAL,
  PROP_CONNECT_TIMEOUT,
  PROP_STALL_TIMEOUT,
  PROP_REQUEST_TIMEOUT,
  PROP_MAX_ATTEMPTS,
  PROP_RETRY_DELAY_MS,
  PROP_BATCH_BYTES,
  PROP_STATE,
  PROP_SIGNED_IN,
  PROP_PENDING_CHANGES,
  PROP_LAST_SYNC,
  PROP_LAST_ERROR,
  PROP_TOKEN_STORAGE,
  PROP_PROGRESS,
  PROP_CLOCK_DRIFT_MS,
  PROP_OPEN_CONFLICTS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void start_run (DftSyncClient *self);
static void schedule_interval (DftSyncClient *self);
static void refresh_state (DftSyncClient *self);

/* ---- The worker's side --------------------------------------------------- */

typedef enum
{
  FAIL_FATAL,   /* no point trying again: not the server, refused, cancelled */
  FAIL_RETRY,   /* the network failed before anything was lost */
  FAIL_DROPPED, /* the connection broke under a transfer: try again with less */
  FAIL_SHRINK,  /* the server found the batch too large */
} Failure;

typedef struct
{
  DftSyncClient *self; /* only to post updates; never read in the thread */
  DftStore      *store;
  GMainContext  *context;
  GCancellable  *cancellable;
  CURL          *curl;

  char *server_url; /* NULL: the one saved in the store */
  char *pinned_certificate;
  char *pin; /* "sha256//…" of the pinned certificate's public key */
  char *token;
  guint connect_timeout;
  guint stall_timeout;
  guint request_timeout;
  guint max_attempts;
  guint retry_delay_ms;
  guint batch_bytes;
  guint target_bytes;
  guint push_limit;
  guint pull_limit;

  /* A login or an enrolment. */
  char *endpoint;
  char *username;
  char *password;
  char *code;

  /* The request under way: when a byte last moved, to tell a stalled link. */
  gint64     last_activity_us;
  curl_off_t last_dlnow;
  curl_off_t last_ulnow;
  gboolean   stalled;
  /* Daftari's server has answered in this run: an answer without its mark after that is a
   * reply cut short on a bad link, not a captive portal's page. */
  gboolean server_seen;
  /* A push refused as a fork ("forked"): this database is a copy of another device's, which
   * made other changes from fork_seq on. */
  gboolean forked;
  gint64   fork_seq;
  char    *set_aside_reason; /* the latest change the server set aside: why */

  DftSyncStats stats;
} Run;

static void
run_free (gpointer data)
{
  Run *run = data;

  g_clear_pointer (&run->curl, curl_easy_cleanup);
  g_clear_object (&run->self);
  g_clear_object (&run->store);
  g_clear_pointer (&run->context, g_main_context_unref);
  g_clear_object (&run->cancellable);
  g_free (run->server_url);
  g_free (run->pinned_certificate);
  g_free (run->set_aside_reason);
  g_free (run->pin);
  if (run->token != NULL)
    memset (run->token, 0, strlen (run->token));
  g_free (run->token);
  g_free (run->endpoint);
  g_free (run->username);
  if (run->password != NULL)
    memset (run->password, 0, strlen (run->password));
  g_free (run->password);
  g_free (run->code);
  g_free (run);
}

/* Held weakly, like everything queued for the main loop: a client released meanwhile lets go
 * of its store at once instead of when the loop next runs. */
typedef struct
{
  GWeakRef self;
  guint    prop;
  double   d;
  gint64   i;
} Update;

static void
update_free (gpointer data)
{
  Update *update = data;

  g_weak_ref_clear (&update->self);
  g_free (update);
}

static void set_progress (DftSyncClient *self, double progress);
static void set_pending_changes (DftSyncClient *self, gint64 pending);
static void set_last_sync (DftSyncClient *self, gint64 ms);
static void set_clock_drift_ms (DftSyncClient *self, gint64 drift);

static gboolean
apply_update_cb (gpointer data)
{
  Update                   *update = data;
  g_autoptr (DftSyncClient) self = g_weak_ref_get (&update->self);

  if (self == NULL)
    return G_SOURCE_REMOVE;
  switch (update->prop)
    {
    case PROP_PROGRESS:
      set_progress (self, update->d);
      break;
    case PROP_PENDING_CHANGES:
      set_pending_changes (self, update->i);
      break;
    case PROP_LAST_SYNC:
      set_last_sync (self, update->i);
      break;
    case PROP_CLOCK_DRIFT_MS:
      set_clock_drift_ms (self, update->i);
      break;
    default:
      g_assert_not_reached ();
    }
  return G_SOURCE_REMOVE;
}

/*
 * Property changes go to the main context; the thread never sets them itself.
 * Not g_main_context_invoke(): from a thread with no context of its own it
 * runs the function right there whenever the main context is not busy, since
 * the global default context is every such thread's "thread-default" too.
 */
static void
_dft_sync_client_post_update (Run *run, guint prop, double d, gint64 i)
{
  g_autoptr (GSource) source = g_idle_source_new ();
  Update             *update = g_new0 (Update, 1);

  g_weak_ref_init (&update->self, run->self);
  update->prop = prop;
  update->d = d;
  update->i = i;
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, apply_update_cb, update, update_free);
  g_source_attach (source, run->context);
}

/* Members of a reply, which may be anything: never assume a type. */
static const char *
_dft_sync_member_string (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
_dft_sync_member_int (JsonObject *object, const char *name, gint64 *value)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *value = json_node_get_int (node);
  return TRUE;
}

static gboolean
_dft_sync_member_bool (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
         && json_node_get_value_type (node) == G_TYPE_BOOLEAN && json_node_get_boolean (node);
}

static gboolean
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

static gboolean
_dft_sync_state_set_int (DftStore *store, const char *key, gint64 value, GError **error)
{
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, value);

  return dft_store_set_sync_state (store, key, text, error);
}

/* A stored value, NULL when absent or empty ("" stands for "none"). */
static char *
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

/* ---- The pinned certificate ---- */

/* Reads one DER element; *p moves past it. */
static gboolean
der_next (const guint8 **p, const guint8 *end, guint8 *tag, const guint8 **content, gsize *len)
{
  const guint8 *q = *p;
  gsize         n;

  if (end - q < 2)
    return FALSE;
  *tag = *q++;
  n = *q++;
  if ((n & 0x80) != 0)
    {
      guint bytes = n & 0x7f;

      if (bytes == 0 || bytes > 4 || (gsize) (end - q) < bytes)
        return FALSE;
      for (n = 0; bytes > 0; bytes--)
        n = (n << 8) | *q++;
    }
  if ((gsize) (end - q) < n)
    return FALSE;
  *content = q;
  *len = n;
  *p = q + n;
  return TRUE;
}

/*
 * The certificate's SubjectPublicKeyInfo, the seventh element of the
 * TBSCertificate when the version is present and the sixth when not
 * (RFC 5280, 4.1).
 */
static gboolean
der_find_spki (const guint8 *der, gsize size, const guint8 **spki, gsize *spki_len)
{
  const guint8 *p = der, *content, *start;
  guint8        tag;
  gsize         len;

  if (!der_next (&p, der + size, &tag, &content, &len) || tag != 0x30)
    return FALSE;
  p = content;
  if (!der_next (&p, content + len, &tag, &content, &len) || tag != 0x30)
    return FALSE;
  {
    const guint8 *end = content + len;

    p = content;
    start = p;
    if (!der_next (&p, end, &tag, &content, &len))
      return FALSE;
    if (tag != 0xa0)
      p = start;
    /* Serial, signature algorithm, issuer, validity, subject. */
    for (guint i = 0; i < 5; i++)
      if (!der_next (&p, end, &tag, &content, &len))
        return FALSE;
    start = p;
    if (!der_next (&p, end, &tag, &content, &len) || tag != 0x30)
      return FALSE;
    *spki = start;
    *spki_len = (gsize) (p - start);
  }
  return TRUE;
}

/*
 * libcurl pins a public key as "sha256//BASE64" of its SubjectPublicKeyInfo.
 * Taking it from the certificate file spares coordinators a separate step.
 */
static char *
_dft_sync_pin_from_pem (const char *path, GError **error)
{
  g_autoptr (GError)    local_error = NULL;
  g_autofree char      *text = NULL;
  g_autofree guchar    *der = NULL;
  g_autofree char      *base64 = NULL;
  g_autoptr (GChecksum) sha256 = NULL;
  const char           *begin, *end;
  const guint8         *spki;
  gsize                 der_len = 0, spki_len, digest_len = 32;
  guint8                digest[32];

  if (!g_file_get_contents (path, &text, NULL, &local_error))
    goto fail;
  begin = strstr (text, "-----BEGIN CERTIFICATE-----");
  end = begin != NULL ? strstr (begin, "-----END CERTIFICATE-----") : NULL;
  if (end == NULL)
    goto fail;
  begin += strlen ("-----BEGIN CERTIFICATE-----");
  base64 = g_strndup (begin, (gsize) (end - begin));
  der = g_base64_decode (g_strstrip (base64), &der_len);
  if (!der_find_spki (der, der_len, &spki, &spki_len))
    goto fail;

  sha256 = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sha256, spki, (gssize) spki_len);
  g_checksum_get_digest (sha256, digest, &digest_len);
  {
    g_autofree char *encoded = g_base64_encode (digest, digest_len);
    return g_strconcat ("sha256//", encoded, NULL);
  }

fail:
  g_set_error (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_TLS,
               /* Translators: %s is a file name */
               _ ("The pinned server certificate “%s” could not be read: it should be the "
                  "server's certificate as a PEM file."),
               path);
  return NULL;
}

/* ---- One request ---- */

typedef struct
{
  GByteArray *body;
  gboolean    daftari; /* X-Daftari-Server: 1 */
  gboolean    gzip;
  gboolean    overflow;
} Response;

static size_t
write_cb (char *data, size_t size, size_t n, void *user_data)
{
  Response *response = user_data;
  gsize     len = size * n;

  /* A reply bigger than any a server sends is not the server's: stop reading it. */
  if (response->body->len + len > DFT_WIRE_MAX_GZIP)
    {
      response->overflow = TRUE;
      return 0;
    }
  g_byte_array_append (response->body, (const guint8 *) data, (guint) len);
  return len;
}

static gboolean
header_is (const char *line, gsize len, const char *name, const char **value)
{
  gsize name_len = strlen (name);

  if (len <= name_len || g_ascii_strncasecmp (line, name, name_len) != 0 || line[name_len] != ':')
    return FALSE;
  *value = line + name_len + 1;
  return TRUE;
}

static size_t
header_cb (char *data, size_t size, size_t n, void *user_data)
{
  Response        *response = user_data;
  gsize            len = size * n;
  g_autofree char *line = g_strndup (data, len);
  const char      *value;

  g_strstrip (line);
  /* A status line starts a new response (after a proxy's CONNECT, say): forget the last. */
  if (g_str_has_prefix (line, "HTTP/"))
    {
      response->daftari = FALSE;
      response->gzip = FALSE;
    }
  else if (header_is (line, strlen (line), "X-Daftari-Server", &value))
    response->daftari = g_str_equal (g_strstrip ((char *) value), "1");
  else if (header_is (line, strlen (line), "Content-Encoding", &value))
    response->gzip = strstr (value, "gzip") != NULL;
  return len;
}

static int
xferinfo_cb (
    void *user_data, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
  Run   *run = user_data;
  gint64 now = g_get_monotonic_time ();

  /* libcurl calls this at least once a second, even on a stalled link. */
  if (g_cancellable_is_cancelled (run->cancellable))
    return 1;
  /* libcurl's own low-speed limit averages over several seconds, so a burst
   * (the request going out) hides a dead link behind it; a link that moved
   * no byte at all for stall-timeout seconds is stalled. */
  if (dlnow != run->last_dlnow || ulnow != run->last_ulnow)
    {
      run->last_dlnow = dlnow;
      run->last_ulnow = ulnow;
      run->last_activity_us = now;
    }
  else if (now - run->last_activity_us > (gint64) run->stall_timeout * G_USEC_PER_SEC)
    {
      run->stalled = TRUE;
      return 1;
    }
  return 0;
}

static void
_dft_sync_not_the_server (GError **error)
{
  g_set_error_literal (error, DFT_WIRE_ERROR, DFT_WIRE_ERROR_NOT_SERVER,
                       _ ("The network answered, but not Daftari's server: a hotel or airport "
                          "page may need you to sign in first. Your changes are kept on this "
                          "device."));
}

static Failure
transport_error (Run *run, CURLcode code, const char *detail, GError **error)
{
  const char *reason = *detail != '\0' ? detail : curl_easy_strerror (code);

  g_debug ("sync: %s", reason);
  if (code == CURLE_ABORTED_BY_CALLBACK && g_cancellable_is_cancelled (run->cancellable))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _ ("The sync was cancelled."));
      return FAIL_FATAL;
    }
  if (code == CURLE_ABORTED_BY_CALLBACK && run->stalled)
    code = CURLE_OPERATION_TIMEDOUT;
  if (code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE
      || code == CURLE_SSL_CERTPROBLEM || code == CURLE_SSL_ISSUER_ERROR)
    {
      g_set_error (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_TLS,
                   /* Translators: %s is a technical reason, in English */
                   _ ("The server's certificate is not trusted, so nothing was sent (%s). Check "
                      "the server address, or ask for the workshop server's certificate."),
                   reason);
      return FAIL_FATAL;
    }
  if (code == CURLE_SSL_PINNEDPUBKEYNOTMATCH)
    {
      g_set_error_literal (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_TLS,
                           _ ("The server is not the one this device was set up to trust (its "
                              "certificate differs from the pinned one), so nothing was sent."));
      return FAIL_FATAL;
    }
  if (code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL)
    {
      g_set_error_literal (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_NOT_CONFIGURED,
                           _ ("The server address is not valid: it should look like "
                              "https://server.example.org/."));
      return FAIL_FATAL;
    }
  if (code == CURLE_WRITE_ERROR)
    {
      _dft_sync_not_the_server (error);
      return FAIL_FATAL;
    }
  if (code == CURLE_OPERATION_TIMEDOUT)
    {
      g_set_error (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_TIMED_OUT,
                   /* Translators: %s is a technical reason, in English */
                   _ ("The connection to the server stalled (%s). Your changes are kept on this "
                      "device and will be sent when the connection works."),
                   reason);
      return FAIL_DROPPED;
    }
  g_set_error (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_NETWORK,
               /* Translators: %s is a technical reason, in English */
               _ ("The server could not be reached (%s). Your changes are kept on this device "
                  "and will be sent when the connection works."),
               reason);
  if (code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST
      || code == CURLE_COULDNT_RESOLVE_PROXY || code == CURLE_SSL_CONNECT_ERROR)
    return FAIL_RETRY;
  if (code == CURLE_SEND_ERROR || code == CURLE_RECV_ERROR || code == CURLE_PARTIAL_FILE
      || code == CURLE_GOT_NOTHING || code == CURLE_HTTP2 || code == CURLE_HTTP2_STREAM
      || code == CURLE_BAD_CONTENT_ENCODING)
    return FAIL_DROPPED;
  return FAIL_FATAL;
}

static char *
endpoint_url (const char *server_url, const char *path)
{
  g_autofree char *base = g_strdup (server_url);
  gsize            len = strlen (base);

  while (len > 0 && base[len - 1] == '/')
    base[--len] = '\0';
  return g_strconcat (base, "/api/v1/", path, NULL);
}

/*
 * One HTTP request. On success *reply holds the reply's top-level object and
 * *json its text. A reply counts only when it is the server's: status 200, the
 * header X-Daftari-Server: 1 and a JSON object saying "server": "daftari".
 */
/*
 * 422 "clock_ahead": the server refused this device's changes because their
 * clock is more than a day ahead of its own. The trainer is the one who can
 * put the laptop's date right; the changes stay, and get new clock values by
 * themselves once it is right (dft_store_restamp_ahead()).
 */
static void
clock_ahead_error (Run *run, JsonObject *reply, const char *server_message, GError **error)
{
  gint64 server_ms, ahead_ms, days;

  if (!_dft_sync_member_int (reply, "time", &server_ms))
    {
      g_set_error_literal (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_CLOCK_AHEAD,
                           server_message);
      return;
    }
  ahead_ms = dft_store_wall_ms (run->store) - server_ms;
  _dft_sync_client_post_update (run, PROP_CLOCK_DRIFT_MS, 0, -ahead_ms);
  days = MIN (ahead_ms / (24 * 60 * 60 * 1000), G_MAXINT);
  if (days >= 1)
    g_set_error (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_CLOCK_AHEAD,
                 /* Translators: %d is a number of days */
                 ngettext ("This laptop’s clock is %d day ahead of the server’s, so the server "
                           "does not take its changes. Set the laptop’s date and time right and "
                           "sync again: your changes are kept on this device.",
                           "This laptop’s clock is %d days ahead of the server’s, so the server "
                           "does not take its changes. Set the laptop’s date and time right and "
                           "sync again: your changes are kept on this device.",
                           days),
                 (int) days);
  else
    g_set_error (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_CLOCK_AHEAD,
                 /* Translators: %s is the server's reason, in English */
                 _ ("The server does not take this laptop’s changes because of their date and "
                    "time (%s). Check the date and time of this laptop and of the server; your "
                    "changes are kept on this device."),
                 server_message);
}

static gboolean
_dft_sync_request (Run         *run,
                   const char  *server_url,
                   const char  *method,
                   const char  *path,
                   GBytes      *body,
                   gboolean     gzipped,
                   GBytes     **json,
                   JsonObject **reply,
                   Failure     *failure,
                   GError     **error)
{
  g_autoptr (GByteArray) raw = g_byte_array_new ();
  g_autofree char       *url = endpoint_url (server_url, path);
  g_autofree char       *auth = NULL;
  g_autofree char       *acked = NULL;
  g_autoptr (GBytes)     text = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  struct curl_slist     *headers = NULL;
  Response               response = { raw };
  char                   detail[CURL_ERROR_SIZE] = "";
  CURLcode               code;
  long                   status = 0;
  JsonNode              *root;
  JsonObject            *object;

  *failure = FAIL_FATAL;
  if (run->curl == NULL)
    run->curl = curl_easy_init ();
  /* A reset keeps the connection cache: the next request reuses the connection. */
  curl_easy_reset (run->curl);

  curl_easy_setopt (run->curl, CURLOPT_URL, url);
  curl_easy_setopt (run->curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (run->curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (run->curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt (run->curl, CURLOPT_USERAGENT, NULL);
  curl_easy_setopt (run->curl, CURLOPT_ERRORBUFFER, detail);
  curl_easy_setopt (run->curl, CURLOPT_CONNECTTIMEOUT, (long) run->connect_timeout);
  curl_easy_setopt (run->curl, CURLOPT_LOW_SPEED_LIMIT, (long) STALL_BYTES_PER_SECOND);
  curl_easy_setopt (run->curl, CURLOPT_LOW_SPEED_TIME, (long) run->stall_timeout);
  curl_easy_setopt (run->curl, CURLOPT_TIMEOUT, (long) run->request_timeout);
  curl_easy_setopt (run->curl, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt (run->curl, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt (run->curl, CURLOPT_HEADERFUNCTION, header_cb);
  curl_easy_setopt (run->curl, CURLOPT_HEADERDATA, &response);
  curl_easy_setopt (run->curl, CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
  curl_easy_setopt (run->curl, CURLOPT_XFERINFODATA, run);
  curl_easy_setopt (run->curl, CURLOPT_NOPROGRESS, 0L);
  /* The proxy comes from http_proxy, https_proxy and no_proxy, libcurl's default. */
  if (run->pin != NULL)
    {
      /*
       * A workshop server's self-signed certificate: trust exactly its public
       * key. The handshake proves the server holds the matching private key,
       * which is all a certificate authority would vouch for; the name check
       * is off because such servers are reached by a LAN address that changes.
       */
      curl_easy_setopt (run->curl, CURLOPT_PINNEDPUBLICKEY, run->pin);
      curl_easy_setopt (run->curl, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt (run->curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }

  /* Every byte counts on 2G: no Accept or User-Agent lines (the server answers
   * only JSON and does not care who asks). */
  headers = curl_slist_append (headers, "Accept:");
  /* Asked for by hand, so the body arrives compressed and is inflated with a limit. */
  headers = curl_slist_append (headers, "Accept-Encoding: gzip");
  headers = curl_slist_append (headers, "Expect:");
  if (run->token != NULL)
    {
      auth = g_strconcat ("Authorization: Bearer ", run->token, NULL);
      headers = curl_slist_append (headers, auth);
    }
  /* What the server said it holds of this device's changes: a server put back from a copy
   * holds less, and finds out from this (servers that do not know the header ignore it). */
  if (g_str_has_prefix (path, "pull?"))
    {
      gint64 told = 0;

      if (_dft_sync_state_get_int (run->store, "push_acked_seq", &told, NULL) && told > 0)
        {
          acked = g_strdup_printf ("X-Daftari-Acked: %" G_GINT64_FORMAT, told);
          headers = curl_slist_append (headers, acked);
        }
    }
  if (g_str_equal (method, "POST"))
    {
      gsize         size = 0;
      gconstpointer data = body != NULL ? g_bytes_get_data (body, &size) : "";

      headers = curl_slist_append (headers, "Content-Type: application/json");
      if (gzipped)
        headers = curl_slist_append (headers, "Content-Encoding: gzip");
      curl_easy_setopt (run->curl, CURLOPT_POST, 1L);
      curl_easy_setopt (run->curl, CURLOPT_POSTFIELDS, data);
      curl_easy_setopt (run->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) size);
    }
  else
    curl_easy_setopt (run->curl, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt (run->curl, CURLOPT_HTTPHEADER, headers);

  run->stalled = FALSE;
  run->last_dlnow = run->last_ulnow = 0;
  run->last_activity_us = g_get_monotonic_time ();
  code = curl_easy_perform (run->curl);
  run->stats.requests++;
  curl_easy_setopt (run->curl, CURLOPT_HTTPHEADER, NULL);
  curl_slist_free_all (headers);
  if (auth != NULL)
    memset (auth, 0, strlen (auth));

  if (code != CURLE_OK)
    {
      *failure = transport_error (run, code, detail, error);
      return FALSE;
    }
  curl_easy_getinfo (run->curl, CURLINFO_RESPONSE_CODE, &status);

  if (!response.daftari)
    {
      /* A gateway in front of the server that cannot reach it: worth another try. */
      if (status == 502 || status == 503 || status == 504)
        {
          g_set_error (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_NETWORK,
                       /* Translators: %ld is an HTTP status such as 503 */
                       _ ("The server is not answering at the moment (HTTP %ld). Your changes "
                          "are kept on this device and will be sent later."),
                       status);
          *failure = FAIL_RETRY;
          return FALSE;
        }
      g_debug ("sync: HTTP %ld without X-Daftari-Server", status);
      /* Nothing after the status line (a link that dropped inside the headers, which curl
       * takes as the end of them) is a cut, as is a mark missing once the server answered. */
      if (run->server_seen || raw == NULL || raw->len == 0)
        {
          g_set_error_literal (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_NETWORK,
                               _ ("The server's answer arrived damaged. Your changes are kept "
                                  "on this device and will be sent when the connection works."));
          /* A cut like any other: smaller batches, tried again soon. */
          *failure = FAIL_DROPPED;
          return FALSE;
        }
      _dft_sync_not_the_server (error);
      return FALSE;
    }
  run->server_seen = TRUE;

  if (response.gzip)
    {
      g_autoptr (GBytes) compressed = g_byte_array_free_to_bytes (g_steal_pointer (&raw));
      text = dft_wire_gunzip (compressed, DFT_WIRE_MAX_JSON, NULL);
    }
  else
    text = g_byte_array_free_to_bytes (g_steal_pointer (&raw));
  if (text == NULL || !dft_wire_json_strict (g_bytes_get_data (text, NULL), g_bytes_get_size (text))
      || !json_parser_load_from_data (parser, g_bytes_get_data (text, NULL),
                                      (gssize) g_bytes_get_size (text), NULL)
      || (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root)
      || g_strcmp0 (_dft_sync_member_string (json_node_get_object (root), "server"), "daftari")
             != 0)
    {
      g_debug ("sync: HTTP %ld with a body that is not Daftari's", status);
      _dft_sync_not_the_server (error);
      return FALSE;
    }
  object = json_node_get_object (root);

  if (status != 200)
    {
      JsonObject *e = json_object_has_member (object, "error")
                              && JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "error"))
                          ? json_object_get_object_member (object, "error")
                          : NULL;
      const char *ecode = e != NULL && _dft_sync_member_string (e, "code") != NULL
                              ? _dft_sync_member_string (e, "code")
                              : "";
      const char *emessage = e != NULL && _dft_sync_member_string (e, "message") != NULL
                                 ? _dft_sync_member_string (e, "message")
                                 : ecode;

      if (status == 409 && g_str_equal (ecode, "forked"))
        {
          gint64 seq = 0;

          /* The first change the server holds otherwise: the copies parted just before it. */
          run->forked = e != NULL && _dft_sync_member_int (e, "seq", &seq) && seq > 0;
          run->fork_seq = seq;
          g_set_error_literal (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_REFUSED,
                               emessage);
          return FALSE;
        }
      if (g_str_equal (ecode, "clock_ahead"))
        {
          clock_ahead_error (run, object, emessage, error);
          return FALSE;
        }
      if (status == 401 || g_str_equal (ecode, "unauthorized"))
        {
          g_set_error_literal (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_UNAUTHORIZED,
                               emessage);
          return FALSE;
        }
      /* Pushes go in order, so a refused change holds back every later one: say so plainly
       * rather than retry (sync/PROTOCOL.md). */
      if (status == 403 || g_str_equal (ecode, "forbidden"))
        {
          g_set_error (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_REFUSED,
                       /* Translators: %s is the server's reason, in English */
                       _ ("The server does not allow a change made on this device (%s), so this "
                          "and later changes cannot be sent. Ask your coordinator; your changes "
                          "are kept on this device."),
                       emessage);
          return FALSE;
        }
      g_set_error (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_REFUSED,
                   /* Translators: the first %s is the server's reason, in English; %ld an HTTP
                      status */
                   _ ("The server refused the request: %s (HTTP %ld). Your changes are kept on "
                      "this device."),
                   emessage, status);
      if (status == 413 || g_str_equal (ecode, "too_large"))
        *failure = FAIL_SHRINK;
      else if (status >= 500)
        *failure = FAIL_RETRY;
      return FALSE;
    }

  *reply = json_object_ref (object);
  *json = g_steal_pointer (&text);
  return TRUE;
}

/*
 * Waits before another try, with jitter so devices do not retry in step. A link that cut a
 * transfer is answering: the next, smaller, try goes after the base delay, however many cuts
 * came before. Exponential backoff is for a server that cannot be reached or says it is busy.
 */
static gboolean
wait_before_retry (Run *run, Failure failure, guint failures, GError **error)
{
  guint64 delay
      = failure == FAIL_DROPPED || failure == FAIL_SHRINK
            ? run->retry_delay_ms
            : MIN ((guint64) run->retry_delay_ms << MIN (failures - 1, 16), MAX_RETRY_DELAY_MS);
  GPollFD pollfd;

  delay = delay / 2 + (guint64) g_random_int_range (0, (gint32) (delay / 2) + 1);
  run->stats.longest_wait_ms = MAX (run->stats.longest_wait_ms, (guint) delay);
  if (g_cancellable_make_pollfd (run->cancellable, &pollfd))
    {
      g_poll (&pollfd, 1, (gint) delay);
      g_cancellable_release_fd (run->cancellable);
    }
  else
    g_usleep (delay * 1000);
  return !g_cancellable_set_error_if_cancelled (run->cancellable, error);
}

/* After a failed request: TRUE (error cleared) when it is worth another try. */
static gboolean
_dft_sync_should_retry (Run *run, Failure failure, guint *failures, GError **error)
{
  if (failure == FAIL_FATAL)
    return FALSE;
  (*failures)++;
  if (*failures >= run->max_attempts)
    return FALSE;
  g_debug ("sync: %s; trying again", (*error)->message);
  g_clear_error (error);
  run->stats.retries++;
  return wait_before_retry (run, failure, *failures, error);
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
          || !_dft_sync_state_set_int (run->store, "relay_after", 0, error))
        return FALSE;
      *changed = TRUE;
    }
  return dft_store_set_sync_state (run->store, "epoch", epoch, error);
}

/* Encodes the first changes that fit in the target size; *n_used says how many. */
static GBytes *
encode_push (Run *run, GPtrArray *changes, JsonObject *extra, guint *n_used)
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
      json = dft_wire_encode_batch (part, extra);
      gzip = dft_wire_gzip (json);
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

static void
shrink_after (Run *run, Failure failure, guint *limit, guint minimum)
{
  if (failure != FAIL_DROPPED && failure != FAIL_SHRINK)
    return;
  *limit = MAX (minimum, *limit / 2);
  run->target_bytes = MAX (MIN_BATCH_BYTES, run->target_bytes / 2);
}

static void
grow_after_success (Run *run, guint *limit, guint used, guint maximum)
{
  *limit = MIN (maximum, MAX (*limit, used * 2));
  run->target_bytes = MIN (run->batch_bytes, run->target_bytes * 2);
}

/*
 * This database is a copy of another device's (a copied file, a restored
 * backup): the server holds other changes under this device's names. It takes
 * a new device id, enrolled by the server like the one whose token it holds;
 * its changes the server never acknowledged move to the new id, to be sent
 * again; and it pulls everything again, since changes the other copy made
 * under the shared id were never pulled (sync/PROTOCOL.md, "Forks").
 */
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
  g_autoptr (JsonNode)   node = NULL;
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
      body = encode_push (run, changes, extra, &n);
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
      gint64                 sent_ms, last_sent, mark, server_acked;
      guint                  n = 0;
      gboolean               changed;

      if (g_cancellable_set_error_if_cancelled (run->cancellable, error))
        return FALSE;
      /* Read by this device's own numbers (origin seq), which the mark counts. */
      changes = dft_store_read_log (run->store, acked, run->push_limit, device, NULL, error);
      if (changes == NULL)
        return FALSE;
      if (changes->len == 0)
        break;
      body = encode_push (run, changes, NULL, &n);
      last_sent = ((DftChange *) g_ptr_array_index (changes, n - 1))->origin_seq;

      sent_ms = dft_store_wall_ms (run->store);
      if (!_dft_sync_request (run, server_url, "POST", "push", body, TRUE, &json, &reply, &failure,
                              error))
        {
          if (run->forked)
            {
              g_clear_error (error);
              if (!take_new_identity (run, server_url, run->fork_seq - 1, error))
                return FALSE;
              *restart = TRUE;
              return TRUE;
            }
          shrink_after (run, failure, &run->push_limit, 1);
          if (_dft_sync_should_retry (run, failure, &failures, error))
            continue;
          return FALSE;
        }
      failures = 0;

      if (!check_epoch (run, reply, &changed, error))
        return FALSE;
      if (changed)
        {
          *restart = TRUE;
          return TRUE;
        }
      note_clock (run, reply, sent_ms);

      if (!_dft_sync_member_int (reply, "acked", &server_acked))
        {
          _dft_sync_not_the_server (error);
          return FALSE;
        }
      if (!note_set_aside (run, reply, error))
        return FALSE;
      /* The server names the highest seq it holds from us; never past what was sent. */
      mark = MIN (server_acked, last_sent);
      if (mark <= acked)
        {
          /* Nothing moved: the server lacks earlier changes, or refuses these silently. */
          if (++stuck >= 2)
            {
              g_set_error_literal (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_REFUSED,
                                   _ ("The server did not accept this device's changes. They "
                                      "are kept on this device."));
              return FALSE;
            }
        }
      else
        stuck = 0;
      if (!_dft_sync_state_set_int (run->store, "push_acked_seq", MAX (mark, 0), error))
        return FALSE;
      if (mark > acked)
        run->stats.pushed += (guint) (mark - acked);
      acked = MAX (mark, 0);
      grow_after_success (run, &run->push_limit, n, PUSH_LIMIT_MAX);

      post_pending (run);
      if (high > first_acked)
        _dft_sync_client_post_update (
            run, PROP_PROGRESS,
            0.5 * (double) (acked - first_acked) / (double) (high - first_acked), 0);
    }
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
      g_autoptr (JsonObject) top = NULL;
      g_autoptr (GPtrArray)  changes = NULL;
      DftApplyStats          applied = { 0 };
      Failure                failure;
      guint                  yielded = 0;
      gint64                 sent_ms, next;
      gboolean               more, changed;

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

      if (!check_epoch (run, reply, &changed, error))
        return FALSE;
      if (changed)
        {
          *restart = TRUE;
          return TRUE;
        }
      note_clock (run, reply, sent_ms);

      changes = dft_wire_decode_batch (json, &top, error);
      if (changes == NULL)
        return FALSE;
      if (!_dft_sync_member_int (top, "cursor", &next) || next < cursor)
        {
          g_set_error_literal (error, DFT_WIRE_ERROR, DFT_WIRE_ERROR_INVALID,
                               _ ("The server's reply has no valid position to continue from. "
                                  "Nothing of it was applied."));
          return FALSE;
        }
      more = _dft_sync_member_bool (top, "more");

      /* A workshop moved into this device's team: its records lie behind the cursor. */
      if (_dft_sync_member_string (top, "scope") != NULL)
        {
          g_autoptr (GError) local_error = NULL;
          g_autofree char   *known
              = _dft_sync_state_get_string (run->store, "scope_mark", &local_error);
          const char *mark = _dft_sync_member_string (top, "scope");

          if (local_error != NULL)
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
          if (g_strcmp0 (known, mark) != 0)
            {
              if ((cursor != 0 && !_dft_sync_state_set_int (run->store, "pull_cursor", 0, error))
                  || !dft_store_set_sync_state (run->store, "scope_mark", mark, error))
                return FALSE;
              if (cursor != 0)
                {
                  g_debug ("sync: this team's scope changed: pulling everything again");
                  cursor = 0;
                  continue;
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

      /* Applied in one transaction, then the cursor saved: a stop in between
       * only means the page comes again, and applying is idempotent. */
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
      pages++;
      _dft_sync_client_post_update (run, PROP_PROGRESS,
                                    0.5 + 0.5 * (1.0 - 1.0 / (double) (1u << MIN (pages, 20))), 0);

      if (!more)
        return TRUE;
      if (next == cursor && changes->len == 0)
        {
          g_set_error_literal (error, DFT_WIRE_ERROR, DFT_WIRE_ERROR_INVALID,
                               _ ("The server says it has more changes but sent none."));
          return FALSE;
        }
      cursor = next;
    }
}

/* An address on a network of its own: private ranges (RFC 1918, IPv6 unique local) and
 * link-local ones, where a workshop's own router puts its laptops. */
static gboolean
is_private (GInetAddress *address)
{
  const guint8 *bytes = g_inet_address_to_bytes (address);

  if (g_inet_address_get_is_loopback (address) || g_inet_address_get_is_site_local (address)
      || g_inet_address_get_is_link_local (address))
    return TRUE;
  return g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6 && (bytes[0] & 0xfe) == 0xfc;
}

/* A name only a local network resolves: mDNS (.local) and the names set aside for private
 * networks (RFC 8375's home.arpa, and the .lan and .internal that routers hand out). */
static gboolean
is_local_name (const char *host)
{
  static const char *const suffixes[] = { ".local", ".lan", ".home.arpa", ".internal" };
  g_autofree char         *lower = g_ascii_strdown (host, -1);

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    if (g_str_has_suffix (lower, suffixes[i]))
      return TRUE;
  return FALSE;
}

gboolean
dft_sync_client_check_url (const char *url, GError **error)
{
  g_autoptr (GUri)         uri = NULL;
  g_autoptr (GInetAddress) address = NULL;
  const char              *host;

  g_return_val_if_fail (url != NULL, FALSE);

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0'
      || (g_strcmp0 (g_uri_get_scheme (uri), "https") != 0
          && g_strcmp0 (g_uri_get_scheme (uri), "http") != 0))
    {
      g_set_error_literal (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_NOT_CONFIGURED,
                           _ ("The server address is not valid: it should look like "
                              "https://server.example.org/."));
      return FALSE;
    }
  if (g_str_equal (g_uri_get_scheme (uri), "https"))
    return TRUE;
  host = g_uri_get_host (uri);
  if (g_ascii_strcasecmp (host, "localhost") == 0 || is_local_name (host))
    return TRUE;
  address = g_inet_address_new_from_string (host);
  if (address != NULL && is_private (address))
    return TRUE;
  g_set_error (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_NOT_CONFIGURED,
               /* Translators: %s is a server address such as http://example.org/ */
               _ ("“%s” starts with http://, which would send the password and people’s records "
                  "unencrypted. Use the server’s https:// address; plain http:// is only for "
                  "this laptop or a workshop’s own network (an address such as 192.168.1.10)."),
               url);
  return FALSE;
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

static void
_dft_sync_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Run               *run = task_data;
  g_autoptr (GError) error = NULL;
  g_autofree char   *server_url = NULL;
  gboolean           restart = FALSE;

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
      if (!check_token_device (run, server_url, &error)
          || !relay (run, server_url, &restart, &error))
        goto out;
      if (!restart && !push (run, server_url, &restart, &error))
        goto out;
      if (!restart && !pull (run, server_url, &restart, &error))
        goto out;
    }
  while (restart);
  fetch_device_keys (run, server_url);

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

static void
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

/* ---- The main context's side --------------------------------------------- */

static void
ensure_curl (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      curl_global_init (CURL_GLOBAL_DEFAULT);
      g_once_init_leave (&done, 1);
    }
}

static Run *
run_new (DftSyncClient *self, GCancellable *cancellable)
{
  Run *run = g_new0 (Run, 1);

  run->self = g_object_ref (self);
  run->store = g_object_ref (self->store);
  run->context = g_main_context_ref (self->context);
  run->cancellable = cancellable != NULL ? g_object_ref (cancellable) : g_cancellable_new ();
  run->server_url = g_strdup (self->server_url);
  run->pinned_certificate = g_strdup (self->pinned_certificate);
  run->connect_timeout = self->connect_timeout;
  run->stall_timeout = self->stall_timeout;
  run->request_timeout = self->request_timeout;
  run->max_attempts = MAX (1, self->max_attempts);
  run->retry_delay_ms = self->retry_delay_ms;
  run->batch_bytes = MAX (MIN_BATCH_BYTES, self->batch_bytes);
  run->target_bytes = CLAMP (self->target_bytes, MIN_BATCH_BYTES, run->batch_bytes);
  run->push_limit = self->push_limit;
  run->pull_limit = self->pull_limit;
  return run;
}

/* g_set_str() is GLib 2.76. */
static gboolean
set_str (char **field, const char *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static void
notify (DftSyncClient *self, guint prop)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_state (DftSyncClient *self, DftSyncState state)
{
  if (self->state == state)
    return;
  self->state = state;
  notify (self, PROP_STATE);
}

static void
set_last_error (DftSyncClient *self, const char *message)
{
  if (set_str (&self->last_error, message))
    notify (self, PROP_LAST_ERROR);
}

static void
set_progress (DftSyncClient *self, double progress)
{
  if (self->progress == progress)
    return;
  self->progress = progress;
  notify (self, PROP_PROGRESS);
}

static void
set_pending_changes (DftSyncClient *self, gint64 pending)
{
  if (self->pending_changes == pending)
    return;
  self->pending_changes = pending;
  notify (self, PROP_PENDING_CHANGES);
}

static void
set_last_sync (DftSyncClient *self, gint64 ms)
{
  if (self->last_sync == ms)
    return;
  self->last_sync = ms;
  notify (self, PROP_LAST_SYNC);
}

static void
set_clock_drift_ms (DftSyncClient *self, gint64 drift)
{
  if (self->clock_drift_ms == drift)
    return;
  self->clock_drift_ms = drift;
  notify (self, PROP_CLOCK_DRIFT_MS);
}

static void
set_signed_in (DftSyncClient *self, gboolean signed_in)
{
  if (self->signed_in == signed_in)
    return;
  self->signed_in = signed_in;
  notify (self, PROP_SIGNED_IN);
}

static gboolean
is_network_error (const GError *error)
{
  return error->domain == DFT_SYNC_CLIENT_ERROR
         && (error->code == DFT_SYNC_CLIENT_ERROR_NETWORK
             || error->code == DFT_SYNC_CLIENT_ERROR_TIMED_OUT);
}

static GSource *
add_timeout (DftSyncClient *self, guint ms, GSourceFunc func)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, self, NULL);
  g_source_attach (source, self->context);
  return source;
}

static void
clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

/* A caller of sync_async() waiting for a run. */
typedef struct
{
  GTask *task;
  gulong cancelled_id;
} Waiter;

static void
waiter_free (gpointer data)
{
  Waiter *waiter = data;

  g_clear_object (&waiter->task);
  g_free (waiter);
}

static void
waiter_cancelled_cb (GCancellable *cancellable, gpointer user_data)
{
  /* Runs in the thread that cancelled; GCancellable is thread-safe. */
  g_cancellable_cancel (user_data);
}

static void
run_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftSyncClient        *self = DFT_SYNC_CLIENT (source);
  Run                  *run = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) waiters = g_steal_pointer (&self->run_waiters);
  gboolean              ok = g_task_propagate_boolean (G_TASK (result), &error);

  self->running = FALSE;
  self->push_limit = run->push_limit;
  self->pull_limit = run->pull_limit;
  self->target_bytes = run->target_bytes;

  if (ok)
    {
      set_last_error (self, NULL);
      set_progress (self, 1.0);
      set_state (self, DFT_SYNC_STATE_IDLE);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      set_progress (self, 0.0);
      set_state (self, DFT_SYNC_STATE_IDLE);
    }
  else
    {
      g_debug ("sync failed: %s", error->message);
      set_last_error (self, error->message);
      set_progress (self, 0.0);
      set_state (self, is_network_error (error) ? DFT_SYNC_STATE_OFFLINE : DFT_SYNC_STATE_ERROR);
    }

  g_clear_object (&self->run_cancellable);
  if (ok && run->set_aside_reason != NULL)
    {
      g_free (self->set_aside_reason);
      self->set_aside_reason = g_strdup (run->set_aside_reason);
    }
  /* A waiter's callback may run right away and start the next run itself. */
  for (guint i = 0; waiters != NULL && i < waiters->len; i++)
    {
      Waiter *waiter = g_ptr_array_index (waiters, i);

      if (waiter->cancelled_id != 0)
        g_cancellable_disconnect (g_task_get_cancellable (waiter->task), waiter->cancelled_id);
      waiter->cancelled_id = 0;
      if (ok)
        g_task_return_pointer (waiter->task, g_memdup2 (&run->stats, sizeof run->stats), g_free);
      else
        g_task_return_error (waiter->task, g_error_copy (error));
    }

  if (!self->running
      && (self->again || (self->queued_waiters != NULL && self->queued_waiters->len > 0)))
    start_run (self);
}

static void
start_run (DftSyncClient *self)
{
  g_autoptr (GTask) task = NULL;
  Run              *run;

  g_assert (!self->running);
  self->running = TRUE;
  self->again = FALSE;
  self->run_cancellable = g_cancellable_new ();
  self->run_waiters = g_steal_pointer (&self->queued_waiters);
  if (self->run_waiters == NULL)
    self->run_waiters = g_ptr_array_new_with_free_func (waiter_free);
  for (guint i = 0; i < self->run_waiters->len; i++)
    {
      Waiter       *waiter = g_ptr_array_index (self->run_waiters, i);
      GCancellable *cancellable = g_task_get_cancellable (waiter->task);

      if (cancellable != NULL)
        waiter->cancelled_id
            = g_cancellable_connect (cancellable, G_CALLBACK (waiter_cancelled_cb),
                                     g_object_ref (self->run_cancellable), g_object_unref);
    }

  set_progress (self, 0.0);
  set_state (self, DFT_SYNC_STATE_SYNCING);

  run = run_new (self, self->run_cancellable);
  task = g_task_new (self, self->run_cancellable, run_done_cb, NULL);
  g_task_set_source_tag (task, start_run);
  g_task_set_task_data (task, run, run_free);
  /* The run reports cancellation itself, once the thread has stopped touching the store. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, _dft_sync_thread);
}

void
dft_sync_client_sync_async (DftSyncClient      *self,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  Waiter           *waiter;

  g_return_if_fail (DFT_IS_SYNC_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dft_sync_client_sync_async);
  waiter = g_new0 (Waiter, 1);
  waiter->task = g_steal_pointer (&task);
  if (self->queued_waiters == NULL)
    self->queued_waiters = g_ptr_array_new_with_free_func (waiter_free);
  g_ptr_array_add (self->queued_waiters, waiter);

  /* A running sync may have read the log before the caller's latest change: queue one more. */
  if (!self->running)
    start_run (self);
}

gboolean
dft_sync_client_sync_finish (DftSyncClient *self,
                             GAsyncResult  *result,
                             DftSyncStats  *stats,
                             GError       **error)
{
  g_autofree DftSyncStats *got = NULL;

  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  got = g_task_propagate_pointer (G_TASK (result), error);
  if (got == NULL)
    return FALSE;
  if (stats != NULL)
    *stats = *got;
  return TRUE;
}

const char *
dft_sync_client_get_set_aside_reason (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), NULL);
  return self->set_aside_reason;
}

char *
dft_sync_set_aside_message (guint count, const char *reason)
{
  g_autofree char *head = g_strdup_printf (
      /* Translators: %u is a number of changes this laptop made */
      ngettext ("The server did not accept %u change made on this laptop; it is kept here, and "
                "the rest was sent.",
                "The server did not accept %u changes made on this laptop; they are kept here, "
                "and the rest was sent.",
                count),
      count);

  if (reason == NULL)
    return g_steal_pointer (&head);
  /* Translators: the first %s says what was not accepted, the second why, in the server's words */
  return g_strdup_printf (_ ("%s The latest: %s"), head, reason);
}

void
dft_sync_client_sync_now (DftSyncClient *self)
{
  g_return_if_fail (DFT_IS_SYNC_CLIENT (self));

  if (self->running)
    self->again = TRUE;
  else
    start_run (self);
}

void
dft_sync_client_cancel (DftSyncClient *self)
{
  g_return_if_fail (DFT_IS_SYNC_CLIENT (self));

  self->again = FALSE;
  if (self->run_cancellable != NULL)
    g_cancellable_cancel (self->run_cancellable);
}

/* A sign-in's, or a sign-out's (dft_sync_client_sign_out_async()). */
static void
sign_in_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftSyncClient     *self = DFT_SYNC_CLIENT (source);
  g_autoptr (GTask)  task = user_data;
  g_autoptr (GError) error = NULL;
  gboolean           in = g_task_get_source_tag (task) != dft_sync_client_sign_out_async;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  set_signed_in (self, in);
  if (!in && set_str (&self->token_storage, NULL))
    notify (self, PROP_TOKEN_STORAGE);
  set_last_error (self, NULL);
  if (self->state == DFT_SYNC_STATE_ERROR)
    set_state (self, DFT_SYNC_STATE_IDLE);
  refresh_state (self);
  g_task_return_boolean (task, TRUE);
}

static void
sign_in (DftSyncClient      *self,
         Run                *run,
         gpointer            source_tag,
         GCancellable       *cancellable,
         GAsyncReadyCallback callback,
         gpointer            user_data)
{
  g_autoptr (GTask) inner = NULL;
  GTask            *outer = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (outer, source_tag);
  /* Its own run: a sign-in never waits for a sync, nor a sync for it. */
  inner = g_task_new (self, run->cancellable, sign_in_done_cb, outer);
  g_task_set_task_data (inner, run, run_free);
  g_task_run_in_thread (inner, _dft_sync_sign_in_thread);
}

void
dft_sync_client_login_async (DftSyncClient      *self,
                             const char         *username,
                             const char         *password,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  Run *run;

  g_return_if_fail (DFT_IS_SYNC_CLIENT (self));
  g_return_if_fail (username != NULL);
  g_return_if_fail (password != NULL);

  run = run_new (self, cancellable);
  run->endpoint = g_strdup ("login");
  run->username = g_strdup (username);
  run->password = g_strdup (password);
  sign_in (self, run, dft_sync_client_login_async, cancellable, callback, user_data);
}

gboolean
dft_sync_client_login_finish (DftSyncClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
dft_sync_client_enrol_async (DftSyncClient      *self,
                             const char         *code,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  Run *run;

  g_return_if_fail (DFT_IS_SYNC_CLIENT (self));
  g_return_if_fail (code != NULL);

  run = run_new (self, cancellable);
  run->endpoint = g_strdup ("enrol");
  run->code = g_strdup (code);
  sign_in (self, run, dft_sync_client_enrol_async, cancellable, callback, user_data);
}

gboolean
dft_sync_client_enrol_finish (DftSyncClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Signing out ---- */

static void
sign_out_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  g_autoptr (GError) error = NULL;
  /* The keyring may prompt, and the database is written: off the main thread. */
  gboolean ok = dft_token_store_clear (task_data, &error);

  /* The result waits for the main loop: it must not keep the store open meanwhile. */
  g_task_set_task_data (task, NULL, NULL);
  if (!ok)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
dft_sync_client_sign_out_async (DftSyncClient      *self,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  g_autoptr (GTask) inner = NULL;
  GTask            *outer;

  g_return_if_fail (DFT_IS_SYNC_CLIENT (self));

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, dft_sync_client_sign_out_async);
  inner = g_task_new (self, cancellable, sign_in_done_cb, outer);
  g_task_set_task_data (inner, g_object_ref (self->store), g_object_unref);
  g_task_run_in_thread (inner, sign_out_thread);
}

gboolean
dft_sync_client_sign_out_finish (DftSyncClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- What the store holds about sync, read off the main thread ---- */

typedef struct
{
  gboolean signed_in;
  char    *server_url;
  char    *token_storage;
  gint64   last_sync;
  gint64   pending;
  gint64   open_conflicts;
} Snapshot;

static void
snapshot_free (gpointer data)
{
  Snapshot *snapshot = data;

  g_free (snapshot->server_url);
  g_free (snapshot->token_storage);
  g_free (snapshot);
}

static void
snapshot_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  DftStore     *store = task_data;
  Snapshot     *snapshot = g_new0 (Snapshot, 1);
  DftTokenPlace place = dft_token_store_get_place (store, &snapshot->token_storage, NULL);

  snapshot->server_url = _dft_sync_state_get_string (store, "server_url", NULL);
  snapshot->signed_in = place != DFT_TOKEN_PLACE_NONE && snapshot->server_url != NULL;
  _dft_sync_state_get_int (store, "last_sync", &snapshot->last_sync, NULL);
  snapshot->pending = dft_store_count_pending_changes (store, NULL);
  snapshot->open_conflicts = dft_store_count_open_conflicts (store, NULL);
  /* The result waits for the main loop: it must not keep the store open meanwhile. */
  g_task_set_task_data (task, NULL, NULL);
  g_task_return_pointer (task, snapshot, snapshot_free);
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

static void
snapshot_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (DftSyncClient) self = g_weak_ref_get (user_data);
  Snapshot                 *snapshot = g_task_propagate_pointer (G_TASK (result), NULL);

  weak_ref_free (user_data);
  if (snapshot == NULL)
    return;
  if (self == NULL)
    {
      snapshot_free (snapshot);
      return;
    }
  set_signed_in (self, snapshot->signed_in);
  if (set_str (&self->token_storage, snapshot->token_storage))
    notify (self, PROP_TOKEN_STORAGE);
  if (self->server_url == NULL && snapshot->server_url != NULL)
    dft_sync_client_set_server_url (self, snapshot->server_url);
  set_last_sync (self, snapshot->last_sync);
  if (snapshot->pending >= 0)
    set_pending_changes (self, snapshot->pending);
  if (snapshot->open_conflicts >= 0 && self->open_conflicts != snapshot->open_conflicts)
    {
      self->open_conflicts = snapshot->open_conflicts;
      notify (self, PROP_OPEN_CONFLICTS);
    }
  snapshot_free (snapshot);
}

static void
refresh_state (DftSyncClient *self)
{
  GWeakRef         *ref = g_new0 (GWeakRef, 1);
  g_autoptr (GTask) task = NULL;

  /* Weakly held, like everything queued for the main loop. */
  g_weak_ref_init (ref, self);
  task = g_task_new (NULL, NULL, snapshot_done_cb, ref);
  g_task_set_source_tag (task, refresh_state);
  g_task_set_task_data (task, g_object_ref (self->store), g_object_unref);
  g_task_run_in_thread (task, snapshot_thread);
}

static gboolean
pending_refresh_cb (gpointer user_data)
{
  DftSyncClient *self = user_data;

  g_clear_pointer (&self->pending_source, g_source_unref);
  refresh_state (self);
  return G_SOURCE_REMOVE;
}

static gboolean
store_changed_idle_cb (gpointer user_data)
{
  g_autoptr (DftSyncClient) self = g_weak_ref_get (user_data);

  if (self != NULL && self->store != NULL && self->pending_source == NULL)
    self->pending_source = add_timeout (self, PENDING_REFRESH_MS, pending_refresh_cb);
  return G_SOURCE_REMOVE;
}

/*
 * Every saved change is one more to send: count again, once a burst of saves
 * is over. The store may emit "changed" from the thread that applied a pull
 * (it uses g_main_context_invoke()), so this only hops to our own context.
 */
static void
store_changed_cb (DftSyncClient *self, const char *entity, GStrv ids, DftStore *store)
{
  g_autoptr (GSource) source = g_idle_source_new ();
  GWeakRef           *ref = g_new0 (GWeakRef, 1);

  g_weak_ref_init (ref, self);
  g_source_set_callback (source, store_changed_idle_cb, ref, weak_ref_free);
  g_source_attach (source, self->context);
}

/* ---- Scheduling ---------------------------------------------------------- */

static gboolean
can_sync_by_itself (DftSyncClient *self)
{
  return self->automatic && self->signed_in && self->network_available;
}

static gboolean
settle_cb (gpointer user_data)
{
  DftSyncClient *self = user_data;

  g_clear_pointer (&self->settle_source, g_source_unref);
  if (can_sync_by_itself (self) && !self->running)
    start_run (self);
  return G_SOURCE_REMOVE;
}

static void
network_changed_cb (DftSyncClient *self, gboolean available, GNetworkMonitor *monitor)
{
  gboolean was = self->network_available;

  self->network_available = available;
  if (!available)
    {
      clear_source (&self->settle_source);
      if (!self->running)
        set_state (self, DFT_SYNC_STATE_OFFLINE);
      return;
    }
  if (!self->running && self->state == DFT_SYNC_STATE_OFFLINE)
    set_state (self, DFT_SYNC_STATE_IDLE);
  /* A network that just came up often has a captive portal or DHCP still settling. */
  if (!was && self->settle_source == NULL)
    self->settle_source = add_timeout (self, NETWORK_SETTLE_MS, settle_cb);
}

static gboolean
interval_cb (gpointer user_data)
{
  DftSyncClient *self = user_data;

  if (can_sync_by_itself (self) && !self->running)
    start_run (self);
  return G_SOURCE_CONTINUE;
}

static void
schedule_interval (DftSyncClient *self)
{
  clear_source (&self->interval_source);
  if (self->automatic && self->sync_interval > 0)
    self->interval_source = add_timeout (self, self->sync_interval * 1000, interval_cb);
}

/* ---- GObject ------------------------------------------------------------- */

DftSyncClient *
dft_sync_client_new (DftStore *store)
{
  g_return_val_if_fail (DFT_IS_STORE (store), NULL);
  return g_object_new (DFT_TYPE_SYNC_CLIENT, "store", store, NULL);
}

static void
dft_sync_client_constructed (GObject *object)
{
  DftSyncClient *self = DFT_SYNC_CLIENT (object);

  G_OBJECT_CLASS (dft_sync_client_parent_class)->constructed (object);

  g_assert (self->store != NULL);
  if (self->monitor == NULL)
    self->monitor = g_object_ref (g_network_monitor_get_default ());
  self->network_available = g_network_monitor_get_network_available (self->monitor);
  if (!self->network_available)
    self->state = DFT_SYNC_STATE_OFFLINE;
  g_signal_connect_object (self->monitor, "network-changed", G_CALLBACK (network_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->store, "changed", G_CALLBACK (store_changed_cb), self,
                           G_CONNECT_SWAPPED);
  schedule_interval (self);
  refresh_state (self);
}

static void
dft_sync_client_dispose (GObject *object)
{
  DftSyncClient *self = DFT_SYNC_CLIENT (object);

  clear_source (&self->interval_source);
  clear_source (&self->settle_source);
  clear_source (&self->pending_source);
  g_clear_object (&self->monitor);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (dft_sync_client_parent_class)->dispose (object);
}

static void
dft_sync_client_finalize (GObject *object)
{
  DftSyncClient *self = DFT_SYNC_CLIENT (object);

  /* A run holds a reference: none can be under way here. */
  g_assert (!self->running);
  g_clear_pointer (&self->queued_waiters, g_ptr_array_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self->set_aside_reason);
  g_free (self->server_url);
  g_free (self->pinned_certificate);
  g_free (self->last_error);
  g_free (self->token_storage);

  G_OBJECT_CLASS (dft_sync_client_parent_class)->finalize (object);
}

static void
dft_sync_client_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  DftSyncClient *self = DFT_SYNC_CLIENT (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    case PROP_NETWORK_MONITOR:
      g_value_set_object (value, self->monitor);
      break;
    case PROP_SERVER_URL:
      g_value_set_string (value, self->server_url);
      break;
    case PROP_PINNED_CERTIFICATE:
      g_value_set_string (value, self->pinned_certificate);
      break;
    case PROP_AUTOMATIC:
      g_value_set_boolean (value, self->automatic);
      break;
    case PROP_SYNC_INTERVAL:
      g_value_set_uint (value, self->sync_interval);
      break;
    case PROP_CONNECT_TIMEOUT:
      g_value_set_uint (value, self->connect_timeout);
      break;
    case PROP_STALL_TIMEOUT:
      g_value_set_uint (value, self->stall_timeout);
      break;
    case PROP_REQUEST_TIMEOUT:
      g_value_set_uint (value, self->request_timeout);
      break;
    case PROP_MAX_ATTEMPTS:
      g_value_set_uint (value, self->max_attempts);
      break;
    case PROP_RETRY_DELAY_MS:
      g_value_set_uint (value, self->retry_delay_ms);
      break;
    case PROP_BATCH_BYTES:
      g_value_set_uint (value, self->batch_bytes);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_SIGNED_IN:
      g_value_set_boolean (value, self->signed_in);
      break;
    case PROP_PENDING_CHANGES:
      g_value_set_int64 (value, self->pending_changes);
      break;
    case PROP_OPEN_CONFLICTS:
      g_value_set_int64 (value, self->open_conflicts);
      break;
    case PROP_LAST_SYNC:
      g_value_set_int64 (value, self->last_sync);
      break;
    case PROP_LAST_ERROR:
      g_value_set_string (value, self->last_error);
      break;
    case PROP_TOKEN_STORAGE:
      g_value_set_string (value, self->token_storage);
      break;
    case PROP_PROGRESS:
      g_value_set_double (value, self->progress);
      break;
    case PROP_CLOCK_DRIFT_MS:
      g_value_set_int64 (value, self->clock_drift_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_uint_prop (DftSyncClient *self, guint *field, guint value, guint prop)
{
  if (*field == value)
    return;
  *field = value;
  notify (self, prop);
}

static void
dft_sync_client_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  DftSyncClient *self = DFT_SYNC_CLIENT (object);

  switch (prop_id)
    {
    case PROP_STORE:
      self->store = g_value_dup_object (value);
      break;
    case PROP_NETWORK_MONITOR:
      self->monitor = g_value_dup_object (value);
      break;
    case PROP_SERVER_URL:
      dft_sync_client_set_server_url (self, g_value_get_string (value));
      break;
    case PROP_PINNED_CERTIFICATE:
      dft_sync_client_set_pinned_certificate (self, g_value_get_string (value));
      break;
    case PROP_AUTOMATIC:
      dft_sync_client_set_automatic (self, g_value_get_boolean (value));
      break;
    case PROP_SYNC_INTERVAL:
      dft_sync_client_set_sync_interval (self, g_value_get_uint (value));
      break;
    case PROP_CONNECT_TIMEOUT:
      set_uint_prop (self, &self->connect_timeout, g_value_get_uint (value), prop_id);
      break;
    case PROP_STALL_TIMEOUT:
      set_uint_prop (self, &self->stall_timeout, g_value_get_uint (value), prop_id);
      break;
    case PROP_REQUEST_TIMEOUT:
      set_uint_prop (self, &self->request_timeout, g_value_get_uint (value), prop_id);
      break;
    case PROP_MAX_ATTEMPTS:
      set_uint_prop (self, &self->max_attempts, g_value_get_uint (value), prop_id);
      break;
    case PROP_RETRY_DELAY_MS:
      set_uint_prop (self, &self->retry_delay_ms, g_value_get_uint (value), prop_id);
      break;
    case PROP_BATCH_BYTES:
      set_uint_prop (self, &self->batch_bytes, g_value_get_uint (value), prop_id);
      self->target_bytes = self->batch_bytes;
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dft_sync_client_class_init (DftSyncClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags   rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  GParamFlags   ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  GParamFlags   co = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = dft_sync_client_constructed;
  object_class->dispose = dft_sync_client_dispose;
  object_class->finalize = dft_sync_client_finalize;
  object_class->get_property = dft_sync_client_get_property;
  object_class->set_property = dft_sync_client_set_property;

  properties[PROP_STORE] = g_param_spec_object ("store", NULL, NULL, DFT_TYPE_STORE, co);
  /* For tests; the default is GIO's. */
  properties[PROP_NETWORK_MONITOR]
      = g_param_spec_object ("network-monitor", NULL, NULL, G_TYPE_NETWORK_MONITOR, co);
  /* NULL: the server this device signed in to, as saved in the store. */
  properties[PROP_SERVER_URL] = g_param_spec_string ("server-url", NULL, NULL, NULL, rw);
  /* A PEM file with a workshop server's self-signed certificate: that server alone is trusted. */
  properties[PROP_PINNED_CERTIFICATE]
      = g_param_spec_string ("pinned-certificate", NULL, NULL, NULL, rw);
  /* Sync when the network appears and every sync-interval seconds. */
  properties[PROP_AUTOMATIC] = g_param_spec_boolean ("automatic", NULL, NULL, TRUE, rw);
  properties[PROP_SYNC_INTERVAL] = g_param_spec_uint ("sync-interval", NULL, NULL, 0, 7 * 24 * 3600,
                                                      DEFAULT_SYNC_INTERVAL, rw);
  /* Seconds to wait for a connection; a transfer slower than 10 bytes/s for stall-timeout
   * seconds is a stalled link; request-timeout caps a whole request. */
  properties[PROP_CONNECT_TIMEOUT]
      = g_param_spec_uint ("connect-timeout", NULL, NULL, 1, 600, DEFAULT_CONNECT_TIMEOUT, rw);
  properties[PROP_STALL_TIMEOUT]
      = g_param_spec_uint ("stall-timeout", NULL, NULL, 1, 600, DEFAULT_STALL_TIMEOUT, rw);
  properties[PROP_REQUEST_TIMEOUT]
      = g_param_spec_uint ("request-timeout", NULL, NULL, 1, 3600, DEFAULT_REQUEST_TIMEOUT, rw);
  /* Tries of one step before a sync gives up; the wait between them doubles from
   * retry-delay-ms, with jitter, up to a minute. */
  properties[PROP_MAX_ATTEMPTS]
      = g_param_spec_uint ("max-attempts", NULL, NULL, 1, 100, DEFAULT_MAX_ATTEMPTS, rw);
  properties[PROP_RETRY_DELAY_MS]
      = g_param_spec_uint ("retry-delay-ms", NULL, NULL, 0, 600000, DEFAULT_RETRY_DELAY_MS, rw);
  /* The largest compressed push batch; it halves when a connection drops. */
  properties[PROP_BATCH_BYTES] = g_param_spec_uint ("batch-bytes", NULL, NULL, MIN_BATCH_BYTES,
                                                    DFT_WIRE_MAX_GZIP, DEFAULT_BATCH_BYTES, rw);

  properties[PROP_STATE]
      = g_param_spec_enum ("state", NULL, NULL, DFT_TYPE_SYNC_STATE, DFT_SYNC_STATE_IDLE, ro);
  properties[PROP_SIGNED_IN] = g_param_spec_boolean ("signed-in", NULL, NULL, FALSE, ro);
  properties[PROP_PENDING_CHANGES]
      = g_param_spec_int64 ("pending-changes", NULL, NULL, 0, G_MAXINT64, 0, ro);
  /* Unix milliseconds of the last complete sync, 0 for never. */
  properties[PROP_LAST_SYNC] = g_param_spec_int64 ("last-sync", NULL, NULL, 0, G_MAXINT64, 0, ro);
  /* Translated, for people; NULL after a sync that worked. */
  properties[PROP_LAST_ERROR] = g_param_spec_string ("last-error", NULL, NULL, NULL, ro);
  /* Translated, for people: where the device's token is kept (the keyring, or the database and
   * why); NULL when the device is not signed in. */
  properties[PROP_TOKEN_STORAGE] = g_param_spec_string ("token-storage", NULL, NULL, NULL, ro);
  properties[PROP_PROGRESS] = g_param_spec_double ("progress", NULL, NULL, 0.0, 1.0, 0.0, ro);
  /* The server's clock minus this device's; beyond DFT_HLC_MAX_DRIFT_MS either way is worth
   * telling the user. */
  properties[PROP_CLOCK_DRIFT_MS]
      = g_param_spec_int64 ("clock-drift-ms", NULL, NULL, G_MININT64, G_MAXINT64, 0, ro);

  /* Conflicts this replica keeps that no coordinator has decided yet. */
  properties[PROP_OPEN_CONFLICTS]
      = g_param_spec_int64 ("open-conflicts", NULL, NULL, 0, G_MAXINT64, 0, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
  ensure_curl ();
}

static void
dft_sync_client_init (DftSyncClient *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->automatic = TRUE;
  self->sync_interval = DEFAULT_SYNC_INTERVAL;
  self->connect_timeout = DEFAULT_CONNECT_TIMEOUT;
  self->stall_timeout = DEFAULT_STALL_TIMEOUT;
  self->request_timeout = DEFAULT_REQUEST_TIMEOUT;
  self->max_attempts = DEFAULT_MAX_ATTEMPTS;
  self->retry_delay_ms = DEFAULT_RETRY_DELAY_MS;
  self->batch_bytes = DEFAULT_BATCH_BYTES;
  self->target_bytes = DEFAULT_BATCH_BYTES;
  self->push_limit = PUSH_LIMIT_START;
  self->pull_limit = PULL_LIMIT_START;
  self->state = DFT_SYNC_STATE_IDLE;
}

/* ---- Accessors ---- */

DftStore *
dft_sync_client_get_store (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), NULL);
  return self->store;
}

const char *
dft_sync_client_get_server_url (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), NULL);
  return self->server_url;
}

void
dft_sync_client_set_server_url (DftSyncClient *self, const char *url)
{
  g_return_if_fail (DFT_IS_SYNC_CLIENT (self));
  if (set_str (&self->server_url, url != NULL && *url != '\0' ? url : NULL))
    notify (self, PROP_SERVER_URL);
}

const char *
dft_sync_client_get_pinned_certificate (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), NULL);
  return self->pinned_certificate;
}

void
dft_sync_client_set_pinned_certificate (DftSyncClient *self, const char *pem_path)
{
  g_return_if_fail (DFT_IS_SYNC_CLIENT (self));
  if (set_str (&self->pinned_certificate, pem_path != NULL && *pem_path != '\0' ? pem_path : NULL))
    notify (self, PROP_PINNED_CERTIFICATE);
}

gboolean
dft_sync_client_get_automatic (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), FALSE);
  return self->automatic;
}

void
dft_sync_client_set_automatic (DftSyncClient *self, gboolean automatic)
{
  g_return_if_fail (DFT_IS_SYNC_CLIENT (self));
  automatic = !!automatic;
  if (self->automatic == automatic)
    return;
  self->automatic = automatic;
  if (!automatic)
    clear_source (&self->settle_source);
  if (self->store != NULL)
    schedule_interval (self);
  notify (self, PROP_AUTOMATIC);
}

guint
dft_sync_client_get_sync_interval (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), 0);
  return self->sync_interval;
}

void
dft_sync_client_set_sync_interval (DftSyncClient *self, guint seconds)
{
  g_return_if_fail (DFT_IS_SYNC_CLIENT (self));
  if (self->sync_interval == seconds)
    return;
  self->sync_interval = seconds;
  if (self->store != NULL)
    schedule_interval (self);
  notify (self, PROP_SYNC_INTERVAL);
}

DftSyncState
dft_sync_client_get_state (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), DFT_SYNC_STATE_IDLE);
  return self->state;
}

gboolean
dft_sync_client_get_signed_in (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), FALSE);
  return self->signed_in;
}

gint64
dft_sync_client_get_open_conflicts (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), 0);
  return self->open_conflicts;
}

gint64
dft_sync_client_get_pending_changes (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), 0);
  return self->pending_changes;
}

gint64
dft_sync_client_get_last_sync (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), 0);
  return self->last_sync;
}

const char *
dft_sync_client_get_last_error (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), NULL);
  return self->last_error;
}

const char *
dft_sync_client_get_token_storage (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), NULL);
  return self->token_storage;
}

double
dft_sync_client_get_progress (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), 0.0);
  return self->progress;
}

gint64
dft_sync_client_get_clock_drift_ms (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), 0);
  return self->clock_drift_ms;
}
