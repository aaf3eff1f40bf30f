/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <curl/curl.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "dft-change-log.h"
#include "dft-sync-client-private.h"
#include "dft-wire-cols.h"
#include "dft-wire.h"

/*
 * One request to the server over libcurl: the pinned certificate, which replies count as the
 * server's, what a failure means (try again, with less, or not at all) and the wait before
 * another try.
 */

#define MAX_RETRY_DELAY_MS (60 * 1000)
/* The most a try after a cut transfer waits: the link answers, so waiting longer only
 * loses the minutes it is up (issue 19), whatever retry-delay-ms says for a server that is
 * down. */
#define MAX_CUT_DELAY_MS       200
#define STALL_BYTES_PER_SECOND 10
/* About what a request's and its reply's headers take, on top of the body. */
#define LINK_REQUEST_OVERHEAD 1024
/* A cut this early says nothing about the link (a connection the server had closed). */
#define LINK_MIN_BYTES 4096

/* Members of a reply, which may be anything: never assume a type. */
const char *
_dft_sync_member_string (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

GBytes *
_dft_sync_list_body (const char *member, GPtrArray *items, guint from, guint to)
{
  g_autoptr (JsonBuilder)   builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode)      root = NULL;
  char                     *text;
  gsize                     length = 0;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  for (guint i = from; i < to; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (items, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &length);
  return g_bytes_new_take (text, length);
}

gboolean
_dft_sync_member_int (JsonObject *object, const char *name, gint64 *value)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *value = json_node_get_int (node);
  return TRUE;
}

gboolean
_dft_sync_member_bool (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
         && json_node_get_value_type (node) == G_TYPE_BOOLEAN && json_node_get_boolean (node);
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
char *
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
  /* A piece of an attached file. */
  gint64 size;        /* X-Daftari-Size, -1 when absent */
  gint64 retry_after; /* Retry-After, in seconds; -1 when absent */
  char  *content_type;
  char  *file_name; /* X-Daftari-File-Name, as sent */
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
      response->size = -1;
      response->retry_after = -1;
      g_clear_pointer (&response->content_type, g_free);
      g_clear_pointer (&response->file_name, g_free);
    }
  else if (header_is (line, strlen (line), "X-Daftari-Server", &value))
    response->daftari = g_str_equal (g_strstrip ((char *) value), "1");
  else if (header_is (line, strlen (line), "Content-Encoding", &value))
    response->gzip = strstr (value, "gzip") != NULL;
  else if (header_is (line, strlen (line), "Retry-After", &value))
    {
      guint64 seconds;

      /* Seconds (RFC 9110 also allows a date, which a Daftari server never sends). */
      if (g_ascii_string_to_unsigned (g_strstrip ((char *) value), 10, 0, G_MAXINT32, &seconds,
                                      NULL))
        response->retry_after = (gint64) seconds;
    }
  else if (header_is (line, strlen (line), "X-Daftari-Size", &value))
    {
      guint64 file_size;

      if (g_ascii_string_to_unsigned (g_strstrip ((char *) value), 10, 1, G_MAXINT64, &file_size,
                                      NULL))
        response->size = (gint64) file_size;
    }
  else if (header_is (line, strlen (line), "Content-Type", &value))
    {
      g_free (response->content_type);
      response->content_type = g_strdup (g_strstrip ((char *) value));
    }
  else if (header_is (line, strlen (line), "X-Daftari-File-Name", &value))
    {
      g_free (response->file_name);
      response->file_name = g_strdup (g_strstrip ((char *) value));
    }
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

void
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
      curl_off_t connect_us = 0;

      /* No connection in the time given, and nothing sent: a server that is down or a
       * network that drops everything, not a link that answers. It gets the backoff, and
       * the batch keeps its size. */
      if (curl_easy_getinfo (run->curl, CURLINFO_CONNECT_TIME_T, &connect_us) == CURLE_OK
          && connect_us == 0 && run->last_ulnow == 0 && run->last_dlnow == 0)
        {
          g_set_error (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_NETWORK,
                       /* Translators: %s is a technical reason, in English */
                       _ ("The server could not be reached (%s). Your changes are kept on this "
                          "device and will be sent when the connection works."),
                       reason);
          return FAIL_RETRY;
        }
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

char *
_dft_sync_own_change_digest (DftStore *store, gint64 seq)
{
  g_autoptr (GPtrArray) changes
      = dft_store_read_log (store, seq - 1, 1, dft_store_get_device_id (store), NULL, NULL);
  DftChange *change;

  if (changes == NULL || changes->len == 0)
    return NULL;
  change = g_ptr_array_index (changes, 0);
  if (change->origin_seq != seq)
    return NULL;
  return dft_change_digest (change);
}

/* "X-Daftari-Acked-Change: DIGEST" for this device's own change numbered @seq, or NULL. */
static char *
own_change_header (DftStore *store, gint64 seq)
{
  g_autofree char *digest = _dft_sync_own_change_digest (store, seq);

  return digest != NULL ? g_strconcat ("X-Daftari-Acked-Change: ", digest, NULL) : NULL;
}

/*
 * What the connection carried: headers and bodies both ways. A cut teaches what the link lets
 * through a connection; see Run.link_bytes.
 */
static void
count_link (Run *run, CURLcode code, GBytes *body)
{
  long       connects = 0, request_size = 0, header_size = 0;
  curl_off_t up = 0, down = 0;
  guint64    carried;
  gsize      body_size = body != NULL ? g_bytes_get_size (body) : 0;

  curl_easy_getinfo (run->curl, CURLINFO_NUM_CONNECTS, &connects);
  curl_easy_getinfo (run->curl, CURLINFO_REQUEST_SIZE, &request_size);
  curl_easy_getinfo (run->curl, CURLINFO_HEADER_SIZE, &header_size);
  curl_easy_getinfo (run->curl, CURLINFO_SIZE_UPLOAD_T, &up);
  curl_easy_getinfo (run->curl, CURLINFO_SIZE_DOWNLOAD_T, &down);
  if (connects > 0)
    run->conn_bytes = 0;
  up = MAX (up, run->last_ulnow);
  down = MAX (down, run->last_dlnow);
  carried = (guint64) MAX (request_size, 0) + (guint64) MAX (header_size, 0) + (guint64) up
            + (guint64) down;
  run->upload_whole = FALSE;
  if (code == CURLE_SEND_ERROR || code == CURLE_RECV_ERROR || code == CURLE_PARTIAL_FILE
      || code == CURLE_GOT_NOTHING)
    {
      /* What libcurl wrote may sit in socket buffers the link never carried: the request as
       * a whole is what the connection failed to carry, with what came back of the reply. */
      guint64 total = MAX (run->conn_bytes + body_size + LINK_REQUEST_OVERHEAD + (guint64) down,
                           LINK_MIN_BYTES);

      run->link_bytes = run->link_bytes == 0 ? total : MIN (run->link_bytes, total);
      run->link_successes = 0;
      run->upload_whole = body_size > 0 && (gsize) up >= body_size;
      run->conn_bytes = 0;
      g_debug ("sync: the link cut a connection after %" G_GUINT64_FORMAT " bytes",
               run->conn_bytes + carried);
      return;
    }
  if (code == CURLE_OK)
    run->conn_bytes += carried;
}

static void
note_retry_after (Run *run, const Response *response)
{
  if (response->retry_after >= 0)
    run->retry_after_ms = (guint) MIN ((guint64) response->retry_after * 1000, MAX_RETRY_DELAY_MS);
}

static void
response_clear (Response *response)
{
  g_clear_pointer (&response->content_type, g_free);
  g_clear_pointer (&response->file_name, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Response, response_clear)

/*
 * One HTTP request. On success *reply holds the reply's top-level object and
 * *json its text. A reply counts only when it is the server's: status 200, the
 * header X-Daftari-Server: 1 and a JSON object saying "server": "daftari",
 * or for a sync a column frame, whose changes come back in *changes.
 */
static gboolean
request_full (Run          *run,
              const char   *server_url,
              const char   *method,
              const char   *path,
              GBytes       *body,
              gboolean      gzipped,
              DftSyncBytes *bytes,
              GPtrArray   **changes,
              GBytes      **json,
              JsonObject  **reply,
              Failure      *failure,
              GError      **error)
{
  g_autoptr (GByteArray) raw = g_byte_array_new ();
  g_autofree char       *url = endpoint_url (server_url, path);
  g_autofree char       *auth = NULL;
  g_autofree char       *acked = NULL;
  g_autofree char       *acked_change = NULL;
  g_autofree char       *content_type = NULL;
  g_autofree char       *file_name = NULL;
  g_autoptr (GBytes)     text = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  struct curl_slist     *headers = NULL;
  g_auto (Response)      response = { raw, .size = -1, .retry_after = -1 };
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
  /* Asked for by hand, so the body arrives compressed and is inflated with a limit; a sync's
   * reply is compressed by the protocol itself. */
  if (!g_str_equal (path, "sync"))
    headers = curl_slist_append (headers, "Accept-Encoding: gzip");
  headers = curl_slist_append (headers, "Expect:");
  if (run->token != NULL)
    {
      auth = g_strconcat ("Authorization: Bearer ", run->token, NULL);
      headers = curl_slist_append (headers, auth);
    }
  /* What the server said it holds of this device's changes: a server put back from a copy
   * holds less, and finds out from this (servers that do not know the header ignore it). */
  if (g_str_has_prefix (path, "pull?") || g_str_equal (path, "push"))
    {
      gint64 told = 0;

      if (_dft_sync_state_get_int (run->store, "push_acked_seq", &told, NULL) && told > 0)
        {
          acked = g_strdup_printf ("X-Daftari-Acked: %" G_GINT64_FORMAT, told);
          headers = curl_slist_append (headers, acked);
          /* And what that change is: a server put back, then sent another copy's change under
           * the same number, holds as many but not this one (sync/PROTOCOL.md, "Restores"). */
          acked_change = own_change_header (run->store, told);
          if (acked_change != NULL)
            headers = curl_slist_append (headers, acked_change);
        }
    }
  if (g_str_equal (method, "POST"))
    {
      gsize         size = 0;
      gconstpointer data = body != NULL ? g_bytes_get_data (body, &size) : "";

      /* A column frame says what it is in its first bytes (sync/PROTOCOL.md). */
      if (changes != NULL && dft_wire_cols_is_frame (body))
        headers = curl_slist_append (headers, "Content-Type:");
      else
        headers = curl_slist_append (headers, "Content-Type: application/json");
      if (gzipped)
        headers = curl_slist_append (headers, "Content-Encoding: gzip");
      curl_easy_setopt (run->curl, CURLOPT_POST, 1L);
      curl_easy_setopt (run->curl, CURLOPT_POSTFIELDS, data);
      curl_easy_setopt (run->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) size);
    }
  else if (g_str_equal (method, "PUT"))
    {
      /* A piece of an attached file, raw: it is a photo or a recording, gzip gains nothing. */
      gsize         size = 0;
      gconstpointer data = body != NULL ? g_bytes_get_data (body, &size) : "";

      content_type
          = g_strconcat ("Content-Type: ",
                         bytes != NULL && bytes->content_type != NULL ? bytes->content_type
                                                                      : "application/octet-stream",
                         NULL);
      headers = curl_slist_append (headers, content_type);
      if (bytes != NULL && bytes->file_name != NULL)
        {
          g_autofree char *escaped = g_uri_escape_string (bytes->file_name, NULL, FALSE);

          file_name = g_strconcat ("X-Daftari-File-Name: ", escaped, NULL);
          headers = curl_slist_append (headers, file_name);
        }
      curl_easy_setopt (run->curl, CURLOPT_POST, 1L);
      curl_easy_setopt (run->curl, CURLOPT_CUSTOMREQUEST, "PUT");
      curl_easy_setopt (run->curl, CURLOPT_POSTFIELDS, data);
      curl_easy_setopt (run->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) size);
    }
  else
    curl_easy_setopt (run->curl, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt (run->curl, CURLOPT_HTTPHEADER, headers);

  run->stalled = FALSE;
  run->last_dlnow = run->last_ulnow = 0;
  run->last_activity_us = g_get_monotonic_time ();
  /* A link that cuts connections after so many bytes: a request that would take this one
   * past the mark goes on a new connection instead of being cut part way. */
  {
    gsize body_size = body != NULL ? g_bytes_get_size (body) : 0;

    if (run->link_bytes > 0
        && run->conn_bytes + body_size + LINK_REQUEST_OVERHEAD > run->link_bytes * 9 / 10)
      {
        curl_easy_setopt (run->curl, CURLOPT_FRESH_CONNECT, 1L);
        run->conn_bytes = 0;
      }
  }
  run->last_status = 0;
  code = curl_easy_perform (run->curl);
  run->stats.requests++;
  count_link (run, code, body);
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
          note_retry_after (run, &response);
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
  run->last_status = status;
  if (bytes != NULL)
    bytes->status = status;

  /* A piece of a file: raw bytes, and the file's size, which only the server sends. A reply
   * cut short is caught by the size of the pieces, and a damaged one by the hash at the end. */
  if (bytes != NULL && status == 200 && g_str_equal (method, "GET"))
    {
      if (response.size < 0 || response.gzip)
        {
          g_set_error_literal (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_NETWORK,
                               _ ("The server's answer arrived damaged. Your changes are kept "
                                  "on this device and will be sent when the connection works."));
          *failure = FAIL_DROPPED;
          return FALSE;
        }
      run->unreachable = 0;
      bytes->data = g_byte_array_free_to_bytes (g_steal_pointer (&raw));
      bytes->size = response.size;
      bytes->reply_content_type = g_steal_pointer (&response.content_type);
      bytes->reply_file_name
          = response.file_name != NULL ? g_uri_unescape_string (response.file_name, NULL) : NULL;
      return TRUE;
    }

  /* A sync's reply in the column format: the push's answer and the page, whole or not at all.
   * (Refusals are JSON, below.) */
  if (changes != NULL && status == 200 && !response.gzip)
    {
      g_autoptr (GBytes)     frame = g_byte_array_free_to_bytes (g_steal_pointer (&raw));
      g_autoptr (JsonObject) top = NULL;

      if (dft_wire_cols_is_frame (frame))
        {
          *changes = dft_wire_cols_decode (frame, DFT_WIRE_MAX_PUSH_CHANGES, &top, error);
          if (*changes == NULL)
            return FALSE;
          run->unreachable = 0;
          *reply = g_steal_pointer (&top);
          return TRUE;
        }
      raw = g_bytes_unref_to_array (g_steal_pointer (&frame));
    }

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
      /* Too many requests from this device or address, or a busy server: it says when to ask
       * again, and the next try waits that long (within the backoff's cap). */
      if (status == 429 || status == 503)
        note_retry_after (run, &response);
      if (status == 429)
        {
          g_set_error_literal (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_NETWORK,
                               _ ("The server is receiving too many requests; this device will "
                                  "try again shortly. Your changes are kept on this device."));
          *failure = FAIL_RETRY;
          return FALSE;
        }
      if (status == 401 || g_str_equal (ecode, "unauthorized"))
        {
          g_set_error_literal (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_UNAUTHORIZED,
                               emessage);
          return FALSE;
        }
      /* About one file: the caller decides (skip it, resume elsewhere), never the sync. */
      if (bytes != NULL && status < 500)
        {
          gint64 received;

          bytes->error_code = g_strdup (ecode);
          if (e != NULL && _dft_sync_member_int (e, "received", &received))
            bytes->received = received;
          g_set_error (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_REFUSED,
                       /* Translators: the first %s is the server's reason, in English; %ld an
                          HTTP status */
                       _ ("The server refused a file: %s (HTTP %ld)."), emessage, status);
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

  run->unreachable = 0;
  *reply = json_object_ref (object);
  *json = g_steal_pointer (&text);
  return TRUE;
}

gboolean
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
  return request_full (run, server_url, method, path, body, gzipped, NULL, NULL, json, reply,
                       failure, error);
}

gboolean
_dft_sync_request_batch (Run         *run,
                         const char  *server_url,
                         const char  *path,
                         GBytes      *body,
                         gboolean     gzipped,
                         GPtrArray  **changes,
                         GBytes     **json,
                         JsonObject **reply,
                         Failure     *failure,
                         GError     **error)
{
  *changes = NULL;
  return request_full (run, server_url, "POST", path, body, gzipped, NULL, changes, json, reply,
                       failure, error);
}

gboolean
_dft_sync_request_bytes (Run          *run,
                         const char   *server_url,
                         const char   *method,
                         const char   *path,
                         GBytes       *body,
                         DftSyncBytes *bytes,
                         JsonObject  **reply,
                         Failure      *failure,
                         GError      **error)
{
  g_autoptr (GBytes) json = NULL;

  g_assert (bytes != NULL);
  bytes->status = 0;
  bytes->received = -1;
  g_clear_pointer (&bytes->error_code, g_free);
  g_clear_pointer (&bytes->data, g_bytes_unref);
  g_clear_pointer (&bytes->reply_content_type, g_free);
  g_clear_pointer (&bytes->reply_file_name, g_free);
  if (reply != NULL)
    *reply = NULL;
  return request_full (run, server_url, method, path, body, FALSE, bytes, NULL, &json, reply,
                       failure, error);
}

void
_dft_sync_bytes_clear (DftSyncBytes *bytes)
{
  g_clear_pointer (&bytes->error_code, g_free);
  g_clear_pointer (&bytes->data, g_bytes_unref);
  g_clear_pointer (&bytes->reply_content_type, g_free);
  g_clear_pointer (&bytes->reply_file_name, g_free);
}

/*
 * Waits before another try, with jitter so devices do not retry in step. A link that cut a
 * transfer is answering: the next, smaller, try goes after the base delay capped at
 * MAX_CUT_DELAY_MS, however many cuts came before. Exponential backoff is for a server that
 * cannot be reached or says it is busy, and grows with those failures only: a 503 after ten
 * cuts waits the base delay, not 2^10 of it.
 */
static gboolean
wait_before_retry (Run *run, Failure failure, GError **error)
{
  guint64 delay;
  GPollFD pollfd;

  if (failure == FAIL_RETRY)
    run->unreachable++;
  else
    run->unreachable = 0;
  delay = run->unreachable == 0
              ? MIN (run->retry_delay_ms, MAX_CUT_DELAY_MS)
              : MIN ((guint64) run->retry_delay_ms << MIN (run->unreachable - 1, 16),
                     MAX_RETRY_DELAY_MS);
  delay = delay / 2 + (guint64) g_random_int_range (0, (gint32) (delay / 2) + 1);
  /* What the server asked for, at least: a tenth more at most, so devices told the same do
   * not all come back in the same millisecond. */
  if (run->retry_after_ms > 0)
    {
      delay = MAX (delay,
                   (guint64) run->retry_after_ms
                       + (guint64) g_random_int_range (0, (gint32) (run->retry_after_ms / 10) + 1));
      run->retry_after_ms = 0;
    }
  run->stats.longest_wait_ms = MAX (run->stats.longest_wait_ms, (guint) delay);
  run->stats.total_wait_ms += (guint) delay;
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
gboolean
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
  return wait_before_retry (run, failure, error);
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
