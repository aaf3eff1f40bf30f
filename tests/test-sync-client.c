/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <libsoup/soup.h>

#include "dft-change-log.h"
#include "dft-fault-proxy.h"
#include "dft-sync-client.h"
#include "dft-test-util.h"
#include "dft-wire-cols.h"
#include "dft-wire.h"

/*
 * The sync client against a fake server: a SoupServer in a thread of its own
 * that speaks just enough of sync/PROTOCOL.md (login, enrol, push, pull) and
 * can misbehave as the networks of field workshops do: a captive portal's
 * page, garbage, a stall, a 503, a restored database with a new epoch.
 */

#define TOKEN "tok-1"

typedef enum
{
  FAKE_NORMAL,
  FAKE_PORTAL,       /* 200 with a hotel's HTML page */
  FAKE_GARBAGE,      /* 200 with the server's header and a body that is not JSON */
  FAKE_BAD_BATCH,    /* pull answers a JSON object from the server with a malformed batch */
  FAKE_STALL,        /* accepts and never answers */
  FAKE_UNAUTHORIZED, /* every device request is refused as unauthorized */
  FAKE_FORBIDDEN,    /* pushes are refused: a change outside the device's scope */
} FakeMode;

typedef struct
{
  GMutex      lock;
  FakeMode    mode;
  guint       fail_next;     /* this many requests get a 503 from the server first */
  guint       throttle_next; /* this many get a 429 with Retry-After: 1 */
  char       *epoch;
  GPtrArray  *log;  /* DftChange, in server order */
  GHashTable *seen; /* "device/seq" */
  guint       applied;
  guint       duplicates;
  guint       requests;
  guint       pushes;
  guint       pulls;
  guint       pull_max;
  gboolean    old;       /* a server from before "sync": push and pull only */
  gboolean    no_frames; /* a sync server that takes JSON only (a newer client's frames) */
  char       *pusher;    /* the device that pushed last: the one device whose token it knows */
  GString    *trace;     /* "push pull …": the endpoints in the order they came */

  gboolean      tls;
  GMainContext *context;
  GThread      *thread;
  SoupServer   *server;
  guint16       port;
  gint          quit;
  gint          ready;
} FakeServer;

static char *
test_data (const char *name)
{
  const char *dir = g_getenv ("DAFTARI_TEST_DATA");

  g_assert_nonnull (dir);
  return g_build_filename (dir, "sync", name, NULL);
}

static void
fake_reply (SoupServerMessage *msg, guint status, JsonObject *object, gboolean gzip)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char     *text = NULL;
  SoupMessageHeaders  *headers = soup_server_message_get_response_headers (msg);

  json_object_set_string_member (object, "server", "daftari");
  json_node_set_object (node, object);
  text = json_to_string (node, FALSE);
  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_append (headers, "X-Daftari-Server", "1");
  if (gzip)
    {
      g_autoptr (GBytes) plain = g_bytes_new (text, strlen (text));
      g_autoptr (GBytes) packed = dft_wire_gzip (plain);

      soup_message_headers_append (headers, "Content-Encoding", "gzip");
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY,
                                        g_bytes_get_data (packed, NULL), g_bytes_get_size (packed));
    }
  else
    soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, text,
                                      strlen (text));
}

static void
fake_error (SoupServerMessage *msg, guint status, const char *code)
{
  JsonObject *object = json_object_new ();
  JsonObject *error = json_object_new ();

  json_object_set_string_member (error, "code", code);
  json_object_set_string_member (error, "message", code);
  json_object_set_object_member (object, "error", error);
  fake_reply (msg, status, object, FALSE);
  json_object_unref (object);
}

static JsonObject *
request_json (SoupServerMessage *msg)
{
  SoupMessageBody       *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes)     bytes = soup_message_body_flatten (body);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode              *root;

  if (!json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL),
                                   (gssize) g_bytes_get_size (bytes), NULL))
    return NULL;
  root = json_parser_get_root (parser);
  return root != NULL && JSON_NODE_HOLDS_OBJECT (root)
             ? json_object_ref (json_node_get_object (root))
             : NULL;
}

static void
fake_sign_in (FakeServer *fake, SoupServerMessage *msg, gboolean enrol)
{
  g_autoptr (JsonObject) body = request_json (msg);
  JsonObject            *reply;
  gboolean               ok;

  if (body == NULL)
    {
      fake_error (msg, 400, "bad_request");
      return;
    }
  if (enrol)
    ok = g_strcmp0 (json_object_get_string_member_with_default (body, "code", ""), "ABCD-1234")
         == 0;
  else
    ok = g_strcmp0 (json_object_get_string_member_with_default (body, "username", ""), "trainer")
             == 0
         && g_strcmp0 (json_object_get_string_member_with_default (body, "password", ""), "secret")
                == 0;
  if (!ok)
    {
      fake_error (msg, 401, "unauthorized");
      return;
    }
  reply = json_object_new ();
  json_object_set_string_member (reply, "token", TOKEN);
  json_object_set_string_member (
      reply, "device_id", json_object_get_string_member_with_default (body, "device_id", ""));
  json_object_set_string_member (reply, "account", enrol ? "" : "trainer");
  json_object_set_string_member (reply, "role", "trainer");
  json_object_set_string_member (reply, "team", "North");
  fake_reply (msg, 200, reply, FALSE);
  json_object_unref (reply);
}

static char *
change_key (const DftChange *change)
{
  return g_strdup_printf ("%s/%" G_GINT64_FORMAT, change->device_id, change->origin_seq);
}

/* Keeps the changes it has not seen; *acked is the highest seq it holds of their device. */
static void
fake_take (FakeServer *fake, GPtrArray *changes, gint64 *acked, guint *applied, guint *duplicates)
{
  g_autofree char *device = NULL;

  *acked = 0;
  *applied = *duplicates = 0;
  g_ptr_array_set_free_func (changes, NULL);
  for (guint i = 0; i < changes->len; i++)
    {
      DftChange *change = g_ptr_array_index (changes, i);
      char      *key = change_key (change);

      /* A push holds only the pushing device's own changes, oldest first. */
      if (device == NULL)
        device = g_strdup (change->device_id);
      g_assert_cmpstr (change->device_id, ==, device);
      if (g_strcmp0 (fake->pusher, device) != 0)
        {
          g_free (fake->pusher);
          fake->pusher = g_strdup (device);
        }
      if (g_hash_table_contains (fake->seen, key))
        {
          (*duplicates)++;
          g_free (key);
          dft_change_free (change);
          continue;
        }
      g_hash_table_add (fake->seen, key);
      change->seq = fake->log->len + 1;
      g_ptr_array_add (fake->log, change);
      (*applied)++;
    }
  g_ptr_array_set_size (changes, 0);
  fake->applied += *applied;
  fake->duplicates += *duplicates;

  for (guint i = 0; device != NULL && i < fake->log->len; i++)
    {
      DftChange *change = g_ptr_array_index (fake->log, i);
      if (g_str_equal (change->device_id, device))
        *acked = MAX (*acked, change->origin_seq);
    }
}

/* The batch of a push or a sync, NULL (answered 400) when it is not one; *frame when it came
 * in the column format (and @frames allows it). */
static GPtrArray *
fake_batch (SoupServerMessage *msg, gboolean frames, gboolean *frame, JsonObject **top)
{
  SoupMessageBody   *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) packed = soup_message_body_flatten (body);
  g_autoptr (GBytes) json = NULL;
  g_autoptr (GError) error = NULL;
  GPtrArray         *changes = NULL;

  if (frame != NULL)
    *frame = frames && dft_wire_cols_is_frame (packed);
  if (frame != NULL && *frame)
    {
      changes = dft_wire_cols_decode (packed, DFT_WIRE_MAX_PUSH_CHANGES, top, &error);
      if (changes == NULL)
        fake_error (msg, 400, "bad_request");
      return changes;
    }

  /* Not asserted: libsoup hands over a request whose connection was cut inside
   * its headers as if they had ended there, so this is what a server sees. */
  if (g_strcmp0 (soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                               "Content-Encoding"),
                 "gzip")
      == 0)
    json = dft_wire_gunzip (packed, DFT_WIRE_MAX_JSON, &error);
  if (json != NULL)
    changes = dft_wire_decode_batch (json, top, &error);
  if (changes == NULL)
    fake_error (msg, 400, "bad_request");
  return changes;
}

/* Called with the lock held. */
static void
fake_push (FakeServer *fake, SoupServerMessage *msg)
{
  g_autoptr (GPtrArray) changes = fake_batch (msg, FALSE, NULL, NULL);
  gint64                acked = 0;
  guint                 applied = 0, duplicates = 0;
  JsonObject           *reply;

  if (changes == NULL)
    return;
  fake_take (fake, changes, &acked, &applied, &duplicates);
  reply = json_object_new ();
  json_object_set_int_member (reply, "acked", acked);
  json_object_set_string_member (reply, "epoch", fake->epoch);
  json_object_set_int_member (reply, "time", g_get_real_time () / 1000);
  json_object_set_int_member (reply, "applied", applied);
  json_object_set_int_member (reply, "duplicates", duplicates);
  json_object_set_int_member (reply, "conflicts", 0);
  fake_reply (msg, 200, reply, TRUE);
  json_object_unref (reply);
}

/* A page of the log after @after, at most @limit, into @page and @extra. */
static void
fake_page (FakeServer *fake, guint64 after, guint64 limit, GPtrArray *page, JsonObject *extra)
{
  if (fake->pull_max > 0)
    limit = MIN (limit, fake->pull_max);
  for (guint64 i = after; i < fake->log->len && page->len < limit; i++)
    g_ptr_array_add (page, g_ptr_array_index (fake->log, i));
  json_object_set_int_member (extra, "cursor", (gint64) (after + page->len));
  json_object_set_boolean_member (extra, "more", after + page->len < fake->log->len);
  json_object_set_string_member (extra, "epoch", fake->epoch);
  json_object_set_int_member (extra, "time", g_get_real_time () / 1000);
}

static void
fake_send_batch (SoupServerMessage *msg, GPtrArray *page, JsonObject *extra, gboolean frame)
{
  g_autoptr (GBytes)  json = NULL;
  g_autoptr (GBytes)  packed = NULL;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  if (frame)
    {
      packed = dft_wire_cols_encode (page, extra);
      soup_server_message_set_status (msg, 200, NULL);
      soup_message_headers_append (headers, "X-Daftari-Server", "1");
      soup_message_body_append (soup_server_message_get_response_body (msg), SOUP_MEMORY_COPY,
                                g_bytes_get_data (packed, NULL), g_bytes_get_size (packed));
      return;
    }

  json_object_set_string_member (extra, "server", "daftari");
  json = dft_wire_encode_batch (page, extra);
  packed = dft_wire_gzip (json);
  soup_server_message_set_status (msg, 200, NULL);
  soup_message_headers_append (headers, "X-Daftari-Server", "1");
  soup_message_headers_append (headers, "Content-Encoding", "gzip");
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (packed, NULL), g_bytes_get_size (packed));
}

static void
fake_pull (FakeServer *fake, SoupServerMessage *msg, GHashTable *query)
{
  const char            *after_text = query != NULL ? g_hash_table_lookup (query, "after") : NULL;
  const char            *limit_text = query != NULL ? g_hash_table_lookup (query, "limit") : NULL;
  guint64                after = 0, limit = 0;
  g_autoptr (GPtrArray)  page = g_ptr_array_new ();
  g_autoptr (JsonObject) extra = json_object_new ();

  if (!g_ascii_string_to_unsigned (after_text, 10, 0, G_MAXINT64, &after, NULL)
      || !g_ascii_string_to_unsigned (limit_text, 10, 1, 100000, &limit, NULL))
    {
      fake_error (msg, 400, "bad_request");
      return;
    }
  fake_page (fake, after, limit, page, extra);
  fake_send_batch (msg, page, extra, FALSE);
}

/* A push and a pull page in one (sync/PROTOCOL.md, "Sync"); counted as either or both. */
static void
fake_sync (FakeServer *fake, SoupServerMessage *msg, FakeMode mode)
{
  g_autoptr (JsonObject) top = NULL;
  gboolean               frame = FALSE;
  g_autoptr (GPtrArray)  changes = fake_batch (msg, !fake->no_frames, &frame, &top);
  g_autoptr (GPtrArray)  page = g_ptr_array_new ();
  g_autoptr (JsonObject) extra = json_object_new ();
  gint64                 after = -1, limit = 500;

  if (changes == NULL)
    return;
  if (changes->len > 0 && mode == FAKE_FORBIDDEN)
    {
      fake_error (msg, 403, "forbidden");
      return;
    }
  if (changes->len > 0)
    {
      gint64 acked;
      guint  applied, duplicates;

      fake->pushes++;
      fake_take (fake, changes, &acked, &applied, &duplicates);
      json_object_set_int_member (extra, "acked", acked);
      json_object_set_int_member (extra, "applied", applied);
      json_object_set_int_member (extra, "duplicates", duplicates);
      json_object_set_int_member (extra, "conflicts", 0);
    }
  if (json_object_has_member (top, "after"))
    {
      after = json_object_get_int_member (top, "after");
      limit = json_object_get_int_member_with_default (top, "limit", 500);
      g_assert_cmpint (after, >=, 0);
      g_assert_cmpint (limit, >=, 1);
      fake->pulls++;
    }
  else
    {
      gint64 acked = 0;

      /* What it holds of the device's own, as a server answers a sync without changes. */
      for (guint i = 0; fake->pusher != NULL && i < fake->log->len; i++)
        {
          DftChange *change = g_ptr_array_index (fake->log, i);
          if (g_str_equal (change->device_id, fake->pusher))
            acked = MAX (acked, change->origin_seq);
        }
      json_object_set_int_member (extra, "acked", acked);
    }
  if (after >= 0 && mode == FAKE_BAD_BATCH)
    {
      JsonObject *reply = json_object_ref (extra);
      JsonArray  *list = json_array_new ();
      JsonObject *change = json_object_new ();

      json_object_set_int_member (change, "d", 7);
      json_array_add_object_element (list, change);
      json_object_set_array_member (reply, "changes", list);
      json_object_set_array_member (reply, "devices", json_array_new ());
      json_object_set_array_member (reply, "ids", json_array_new ());
      json_object_set_int_member (reply, "cursor", 1);
      json_object_set_boolean_member (reply, "more", FALSE);
      fake_reply (msg, 200, reply, TRUE);
      json_object_unref (reply);
      return;
    }
  if (after >= 0)
    fake_page (fake, (guint64) after, (guint64) limit, page, extra);
  else
    {
      json_object_set_string_member (extra, "epoch", fake->epoch);
      json_object_set_int_member (extra, "time", g_get_real_time () / 1000);
    }
  fake_send_batch (msg, page, extra, frame);
}

static void
fake_handler (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  FakeServer *fake = user_data;
  const char *endpoint = path + strlen ("/api/v1/");
  const char *auth;
  FakeMode    mode;

  g_mutex_lock (&fake->lock);
  fake->requests++;
  mode = fake->mode;
  g_string_append_printf (fake->trace, "%s%s", fake->trace->len > 0 ? " " : "", endpoint);

  if (mode == FAKE_PORTAL)
    {
      static const char page[] = "<html><body>Welcome to the hotel Wi-Fi. Please sign in."
                                 "</body></html>";
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_STATIC, page,
                                        sizeof page - 1);
    }
  else if (mode == FAKE_GARBAGE)
    {
      static const char junk[] = "{\"server\": \"daftari\", \"acked\": 12, ]]] \x01\x02";
      soup_server_message_set_status (msg, 200, NULL);
      soup_message_headers_append (soup_server_message_get_response_headers (msg),
                                   "X-Daftari-Server", "1");
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, junk,
                                        sizeof junk - 1);
    }
  else if (mode == FAKE_STALL)
    soup_server_message_pause (msg);
  else if (fake->throttle_next > 0)
    {
      fake->throttle_next--;
      soup_message_headers_append (soup_server_message_get_response_headers (msg), "Retry-After",
                                   "1");
      fake_error (msg, 429, "too_many_requests");
    }
  else if (fake->fail_next > 0)
    {
      fake->fail_next--;
      fake_error (msg, 503, "internal");
    }
  else if (g_str_equal (endpoint, "login"))
    fake_sign_in (fake, msg, FALSE);
  else if (g_str_equal (endpoint, "enrol"))
    fake_sign_in (fake, msg, TRUE);
  else if (mode == FAKE_UNAUTHORIZED
           || (auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                    "Authorization"))
                  == NULL
           || !g_str_equal (auth, "Bearer " TOKEN))
    fake_error (msg, 401, "unauthorized");
  else if (g_str_equal (endpoint, "sync") && !fake->old)
    fake_sync (fake, msg, mode);
  else if (g_str_equal (endpoint, "push") && mode == FAKE_FORBIDDEN)
    fake_error (msg, 403, "forbidden");
  else if (g_str_equal (endpoint, "push"))
    {
      fake->pushes++;
      fake_push (fake, msg);
    }
  else if (g_str_equal (endpoint, "pull") && mode == FAKE_BAD_BATCH)
    {
      JsonObject *reply = json_object_new ();
      JsonArray  *changes = json_array_new ();
      JsonObject *change = json_object_new ();

      fake->pulls++;
      json_object_set_int_member (change, "d", 7);
      json_array_add_object_element (changes, change);
      json_object_set_array_member (reply, "changes", changes);
      json_object_set_array_member (reply, "devices", json_array_new ());
      json_object_set_array_member (reply, "ids", json_array_new ());
      json_object_set_int_member (reply, "cursor", 1);
      json_object_set_boolean_member (reply, "more", FALSE);
      fake_reply (msg, 200, reply, TRUE);
      json_object_unref (reply);
    }
  else if (g_str_equal (endpoint, "pull"))
    {
      fake->pulls++;
      fake_pull (fake, msg, query);
    }
  else
    fake_error (msg, 404, "not_found");
  g_mutex_unlock (&fake->lock);
}

static gpointer
fake_thread (gpointer data)
{
  FakeServer        *fake = data;
  g_autoptr (GError) error = NULL;
  GSList            *uris;

  g_main_context_push_thread_default (fake->context);
  if (fake->tls)
    {
      g_autofree char            *cert_path = test_data ("server.pem");
      g_autofree char            *key_path = test_data ("server.key");
      g_autoptr (GTlsCertificate) cert
          = g_tls_certificate_new_from_files (cert_path, key_path, &error);

      g_assert_no_error (error);
      fake->server = soup_server_new ("tls-certificate", cert, NULL);
    }
  else
    fake->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (fake->server, "/api/v1", fake_handler, fake, NULL);
  soup_server_listen_local (
      fake->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY | (fake->tls ? SOUP_SERVER_LISTEN_HTTPS : 0),
      &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (fake->server);
  fake->port = (guint16) g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  g_atomic_int_set (&fake->ready, 1);

  while (!g_atomic_int_get (&fake->quit))
    g_main_context_iteration (fake->context, TRUE);

  soup_server_disconnect (fake->server);
  g_clear_object (&fake->server);
  while (g_main_context_iteration (fake->context, FALSE))
    ;
  g_main_context_pop_thread_default (fake->context);
  return NULL;
}

static FakeServer *
fake_server_new (gboolean tls)
{
  FakeServer *fake = g_new0 (FakeServer, 1);

  g_mutex_init (&fake->lock);
  fake->tls = tls;
  fake->epoch = g_strdup ("epoch-1");
  fake->log = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
  fake->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  fake->trace = g_string_new (NULL);
  fake->context = g_main_context_new ();
  fake->thread = g_thread_new ("fake-server", fake_thread, fake);
  while (!g_atomic_int_get (&fake->ready))
    g_usleep (1000);
  return fake;
}

static void
fake_server_free (FakeServer *fake)
{
  g_atomic_int_set (&fake->quit, 1);
  g_main_context_wakeup (fake->context);
  g_thread_join (fake->thread);
  g_main_context_unref (fake->context);
  g_ptr_array_unref (fake->log);
  g_free (fake->pusher);
  g_hash_table_unref (fake->seen);
  g_string_free (fake->trace, TRUE);
  g_free (fake->epoch);
  g_mutex_clear (&fake->lock);
  g_free (fake);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FakeServer, fake_server_free)

static char *
fake_url (FakeServer *fake)
{
  return g_strdup_printf ("%s://127.0.0.1:%u/", fake->tls ? "https" : "http", fake->port);
}

static void
fake_set_mode (FakeServer *fake, FakeMode mode)
{
  g_mutex_lock (&fake->lock);
  fake->mode = mode;
  g_mutex_unlock (&fake->lock);
}

static guint
fake_get (FakeServer *fake, guint *field)
{
  guint value;

  g_mutex_lock (&fake->lock);
  value = *field;
  g_mutex_unlock (&fake->lock);
  return value;
}

/* Another device's changes, as if it had pushed them. */
static void
fake_seed (FakeServer *fake, DftStore *other)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) changes
      = dft_store_read_log (other, 0, 0, dft_store_get_device_id (other), NULL, &error);

  g_assert_no_error (error);
  g_ptr_array_set_free_func (changes, NULL);
  g_mutex_lock (&fake->lock);
  for (guint i = 0; i < changes->len; i++)
    {
      DftChange *change = g_ptr_array_index (changes, i);

      g_hash_table_add (fake->seen, change_key (change));
      change->seq = fake->log->len + 1;
      g_ptr_array_add (fake->log, change);
    }
  g_mutex_unlock (&fake->lock);
}

/* A restore from an old backup: a new epoch, and everything it held is gone. */
static void
fake_restore (FakeServer *fake)
{
  g_mutex_lock (&fake->lock);
  g_free (fake->epoch);
  fake->epoch = g_strdup ("epoch-2");
  g_ptr_array_set_size (fake->log, 0);
  g_hash_table_remove_all (fake->seen);
  fake->applied = 0;
  g_mutex_unlock (&fake->lock);
}

/* ---- A network monitor the test controls ---- */

#define FAKE_TYPE_MONITOR (fake_monitor_get_type ())
G_DECLARE_FINAL_TYPE (FakeMonitor, fake_monitor, FAKE, MONITOR, GObject)

struct _FakeMonitor
{
  GObject  parent_instance;
  gboolean available;
};

static gboolean
fake_monitor_init_initable (GInitable *initable, GCancellable *cancellable, GError **error)
{
  return TRUE;
}

static void
fake_monitor_initable_iface_init (GInitableIface *iface)
{
  iface->init = fake_monitor_init_initable;
}

static void
fake_monitor_iface_init (GNetworkMonitorInterface *iface)
{
}

G_DEFINE_FINAL_TYPE_WITH_CODE (FakeMonitor,
                               fake_monitor,
                               G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      fake_monitor_initable_iface_init)
                                   G_IMPLEMENT_INTERFACE (G_TYPE_NETWORK_MONITOR,
                                                          fake_monitor_iface_init))

enum
{
  FAKE_PROP_0,
  FAKE_PROP_AVAILABLE,
  FAKE_PROP_METERED,
  FAKE_PROP_CONNECTIVITY,
};

static void
fake_monitor_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  FakeMonitor *self = FAKE_MONITOR (object);

  switch (prop_id)
    {
    case FAKE_PROP_AVAILABLE:
      g_value_set_boolean (value, self->available);
      break;
    case FAKE_PROP_METERED:
      g_value_set_boolean (value, FALSE);
      break;
    case FAKE_PROP_CONNECTIVITY:
      g_value_set_enum (value, self->available ? G_NETWORK_CONNECTIVITY_FULL
                                               : G_NETWORK_CONNECTIVITY_LOCAL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fake_monitor_class_init (FakeMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = fake_monitor_get_property;
  g_object_class_override_property (object_class, FAKE_PROP_AVAILABLE, "network-available");
  g_object_class_override_property (object_class, FAKE_PROP_METERED, "network-metered");
  g_object_class_override_property (object_class, FAKE_PROP_CONNECTIVITY, "connectivity");
}

static void
fake_monitor_init (FakeMonitor *self)
{
}

static void
fake_monitor_set_available (FakeMonitor *self, gboolean available)
{
  self->available = available;
  g_signal_emit_by_name (self, "network-changed", available);
}

/* ---- Helpers ---- */

static GThread *main_thread;

static void
notify_on_main_thread_cb (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  /* The UI binds these properties: they must never change from the worker. */
  g_assert_true (g_thread_self () == main_thread);
}

static DftSyncClient *
make_client (DftStore *store, const char *url, GNetworkMonitor *monitor)
{
  g_autoptr (FakeMonitor) fallback = NULL;
  DftSyncClient          *client;

  if (monitor == NULL)
    {
      fallback = g_object_new (FAKE_TYPE_MONITOR, NULL);
      fallback->available = TRUE;
      monitor = G_NETWORK_MONITOR (fallback);
    }
  client = g_object_new (DFT_TYPE_SYNC_CLIENT, "store", store, "network-monitor", monitor,
                         "automatic", FALSE, "server-url", url, "retry-delay-ms", 5,
                         "stall-timeout", 2, "connect-timeout", 5, "request-timeout", 30, NULL);
  g_signal_connect (client, "notify", G_CALLBACK (notify_on_main_thread_cb), NULL);
  return client;
}

typedef struct
{
  gboolean     done;
  gboolean     ok;
  GError      *error;
  DftSyncStats stats;
} Wait;

static void
sync_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Wait *wait = user_data;

  wait->ok
      = dft_sync_client_sync_finish (DFT_SYNC_CLIENT (source), result, &wait->stats, &wait->error);
  wait->done = TRUE;
}

static void
sign_in_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Wait *wait = user_data;

  if (g_task_get_source_tag (G_TASK (result)) == dft_sync_client_login_async)
    wait->ok = dft_sync_client_login_finish (DFT_SYNC_CLIENT (source), result, &wait->error);
  else
    wait->ok = dft_sync_client_enrol_finish (DFT_SYNC_CLIENT (source), result, &wait->error);
  wait->done = TRUE;
}

static void
wait_done (Wait *wait)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (!wait->done)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static gboolean
sync_and_wait (DftSyncClient *client,
               GCancellable  *cancellable,
               DftSyncStats  *stats,
               GError       **error)
{
  Wait wait = { 0 };

  dft_sync_client_sync_async (client, cancellable, sync_done_cb, &wait);
  wait_done (&wait);
  if (stats != NULL)
    *stats = wait.stats;
  if (wait.error != NULL)
    g_propagate_error (error, wait.error);
  return wait.ok;
}

static void
login (DftSyncClient *client)
{
  Wait wait = { 0 };

  dft_sync_client_login_async (client, "trainer", "secret", NULL, sign_in_done_cb, &wait);
  wait_done (&wait);
  g_assert_no_error (wait.error);
  g_assert_true (wait.ok);
}

static gint64
state_int (DftStore *store, const char *key)
{
  g_autofree char *text = dft_store_get_sync_state (store, key, NULL);

  return text != NULL ? g_ascii_strtoll (text, NULL, 10) : 0;
}

static gint64
pending (DftStore *store)
{
  g_autoptr (GError) error = NULL;
  gint64             n = dft_store_count_pending_changes (store, &error);

  g_assert_no_error (error);
  return n;
}

static guint
log_length (DftStore *store)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) all = dft_store_read_log (store, 0, 0, NULL, NULL, &error);

  g_assert_no_error (error);
  return all->len;
}

/* In one transaction: a save each would wait on the disk 150 times in a fault test. */
static void
add_people (DftStore *store, const char *family, guint n)
{
  g_autoptr (GPtrArray) people = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GError)    error = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *given = g_strdup_printf ("Person%u", i);
      DftRecord       *person = dft_record_new_for_entity (&dft_entity_person);

      dft_record_set_string (person, "given_name", given);
      dft_record_set_string (person, "family_name", family);
      g_ptr_array_add (people, person);
    }
  dft_store_save_all (store, (DftRecord **) people->pdata, people->len, &error);
  g_assert_no_error (error);
}

static gboolean
holds_record (DftStore *store, const DftEntity *entity, const char *id)
{
  g_autoptr (DftRecord) record = dft_store_load (store, entity, id, NULL);
  return record != NULL;
}

/* Background reads (the pending count) hold the client for a moment: let them end. */
static void
release_client (DftSyncClient *client)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (G_OBJECT (client)->ref_count > 1 && g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  g_assert_finalize_object (client);
}

typedef struct
{
  char          *dir;
  char          *other_dir;
  DftStore      *store; /* this device, A */
  DftStore      *other; /* another device, B, whose changes the server holds */
  FakeServer    *fake;
  DftSyncClient *client;
  char          *url;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->store = dft_test_open_store (&f->dir);
  f->other = dft_test_open_store (&f->other_dir);
  f->fake = fake_server_new (FALSE);
  f->url = fake_url (f->fake);
  f->client = make_client (f->store, f->url, NULL);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  release_client (f->client);
  fake_server_free (f->fake);
  dft_test_release_store (f->store);
  dft_test_release_store (f->other);
  dft_test_dir_free (f->dir);
  dft_test_dir_free (f->other_dir);
  g_free (f->url);
}

/* ---- Tests ---- */

static void
test_sign_in (Fixture *f, gconstpointer data)
{
  g_autofree char *token = NULL;
  g_autofree char *team = NULL;
  Wait             wait = { 0 };

  g_assert_false (dft_sync_client_get_signed_in (f->client));

  /* Not yet: a sync before signing in says what to do. */
  g_assert_false (sync_and_wait (f->client, NULL, NULL, &wait.error));
  g_assert_error (wait.error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_NOT_CONFIGURED);
  g_clear_error (&wait.error);
  g_assert_cmpint (dft_sync_client_get_state (f->client), ==, DFT_SYNC_STATE_ERROR);

  dft_sync_client_login_async (f->client, "trainer", "wrong", NULL, sign_in_done_cb, &wait);
  wait_done (&wait);
  g_assert_error (wait.error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_UNAUTHORIZED);
  g_clear_error (&wait.error);
  g_assert_null (dft_store_get_sync_state (f->store, "token", NULL));

  memset (&wait, 0, sizeof wait);
  dft_sync_client_enrol_async (f->client, "NOPE", NULL, sign_in_done_cb, &wait);
  wait_done (&wait);
  g_assert_error (wait.error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_UNAUTHORIZED);
  g_clear_error (&wait.error);

  memset (&wait, 0, sizeof wait);
  dft_sync_client_enrol_async (f->client, "ABCD-1234", NULL, sign_in_done_cb, &wait);
  wait_done (&wait);
  g_assert_no_error (wait.error);
  g_assert_true (dft_sync_client_get_signed_in (f->client));
  token = dft_store_get_sync_state (f->store, "token", NULL);
  team = dft_store_get_sync_state (f->store, "team", NULL);
  g_assert_cmpstr (token, ==, TOKEN);
  g_assert_cmpstr (team, ==, "North");

  login (f->client);
  g_assert_true (dft_sync_client_get_signed_in (f->client));
  g_assert_null (dft_sync_client_get_last_error (f->client));
}

static void
test_push_then_pull (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) theirs = dft_test_add_person (f->other, "Aigerim", "Bekova");
  g_autoptr (DftRecord) ours = dft_test_add_person (f->store, "Dinara", "Osmonova");
  g_autofree char      *trace = NULL;
  DftSyncStats          stats;
  gint64                own;

  add_people (f->store, "Ours", 4);
  add_people (f->other, "Theirs", 2);
  fake_seed (f->fake, f->other);
  login (f->client);
  dft_test_drain ();
  own = pending (f->store);
  g_assert_cmpint (own, ==, 5);

  g_assert_true (sync_and_wait (f->client, NULL, &stats, &error));
  g_assert_no_error (error);

  /* One round trip: the five pushed and the page pulled in the same request. */
  trace = g_strdup (f->fake->trace->str);
  g_assert_cmpstr (trace, ==, "login sync");
  g_assert_cmpuint (stats.requests, ==, 1);
  g_assert_cmpuint (stats.pushed, ==, 5);
  g_assert_cmpuint (fake_get (f->fake, &f->fake->applied), ==, 5);
  g_assert_cmpuint (stats.received, ==, 3 + 5); /* theirs, and our own echoed back */
  g_assert_cmpint (pending (f->store), ==, 0);
  g_assert_cmpint (state_int (f->store, "push_acked_seq"), ==,
                   dft_store_origin_high (f->store, dft_store_get_device_id (f->store), NULL));
  g_assert_cmpint (state_int (f->store, "pull_cursor"), ==, 8);
  g_assert_true (holds_record (f->store, &dft_entity_person, dft_record_get_id (theirs)));
  g_assert_true (holds_record (f->store, &dft_entity_person, dft_record_get_id (ours)));

  dft_test_drain ();
  g_assert_cmpint (dft_sync_client_get_state (f->client), ==, DFT_SYNC_STATE_IDLE);
  g_assert_cmpint (dft_sync_client_get_pending_changes (f->client), ==, 0);
  g_assert_cmpfloat (dft_sync_client_get_progress (f->client), ==, 1.0);
  g_assert_cmpint (dft_sync_client_get_last_sync (f->client), >, 0);
  g_assert_null (dft_sync_client_get_last_error (f->client));
  g_assert_cmpint (ABS (dft_sync_client_get_clock_drift_ms (f->client)), <, 5000);

  /* Nothing new: no push at all, one pull that brings nothing. */
  g_assert_true (sync_and_wait (f->client, NULL, &stats, &error));
  g_clear_pointer (&trace, g_free);
  trace = g_strdup (f->fake->trace->str);
  g_assert_cmpstr (trace, ==, "login sync sync");
  g_assert_cmpuint (fake_get (f->fake, &f->fake->pushes), ==, 1);
  g_assert_cmpuint (fake_get (f->fake, &f->fake->pulls), ==, 2);
  g_assert_cmpuint (stats.received, ==, 0);
  g_assert_cmpuint (fake_get (f->fake, &f->fake->duplicates), ==, 0);
}

/* A server from before "sync" answers it 404: the client pushes and pulls apart, as before. */
static void
test_old_server (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) theirs = dft_test_add_person (f->other, "Aigerim", "Bekova");
  g_autofree char      *trace = NULL;
  DftSyncStats          stats;

  f->fake->old = TRUE;
  add_people (f->store, "Ours", 4);
  fake_seed (f->fake, f->other);
  login (f->client);
  g_assert_true (sync_and_wait (f->client, NULL, &stats, &error));
  g_assert_no_error (error);
  trace = g_strdup (f->fake->trace->str);
  g_assert_cmpstr (trace, ==, "login sync push pull device-keys");
  g_assert_cmpuint (stats.pushed, ==, 4);
  g_assert_cmpint (pending (f->store), ==, 0);
  g_assert_true (holds_record (f->store, &dft_entity_person, dft_record_get_id (theirs)));
}

/* A server that cannot read the client's frames (a newer client) answers 400: the client
 * sends the same in JSON, which every server reads, and the sync goes through. */
static void
test_frames_refused (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *trace = NULL;
  DftSyncStats       stats;

  f->fake->no_frames = TRUE;
  add_people (f->store, "Ours", 3);
  login (f->client);
  g_assert_true (sync_and_wait (f->client, NULL, &stats, &error));
  g_assert_no_error (error);
  trace = g_strdup (f->fake->trace->str);
  g_assert_cmpstr (trace, ==, "login sync sync");
  g_assert_cmpuint (stats.pushed, ==, 3);
  g_assert_cmpint (pending (f->store), ==, 0);
}

static void
assert_data_kept (Fixture *f, gint64 own)
{
  g_assert_cmpint (state_int (f->store, "push_acked_seq"), ==, 0);
  g_assert_cmpint (state_int (f->store, "pull_cursor"), ==, 0);
  g_assert_cmpint (pending (f->store), ==, own);
}

static void
test_captive_portal (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  DftSyncStats       stats;

  add_people (f->store, "Ours", 3);
  login (f->client);
  fake_set_mode (f->fake, FAKE_PORTAL);

  g_assert_false (sync_and_wait (f->client, NULL, &stats, &error));
  g_assert_error (error, DFT_WIRE_ERROR, DFT_WIRE_ERROR_NOT_SERVER);
  g_clear_error (&error);
  /* A portal is not a flaky link: no retries, and nothing moved. */
  g_assert_cmpuint (fake_get (f->fake, &f->fake->requests), ==, 2);
  assert_data_kept (f, 3);
  g_assert_cmpint (dft_sync_client_get_state (f->client), ==, DFT_SYNC_STATE_ERROR);
  g_assert_nonnull (strstr (dft_sync_client_get_last_error (f->client), "sign in"));
  g_assert_nonnull (strstr (dft_sync_client_get_last_error (f->client), "kept"));

  /* Signed in to the portal: the same data goes through. */
  fake_set_mode (f->fake, FAKE_NORMAL);
  g_assert_true (sync_and_wait (f->client, NULL, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fake_get (f->fake, &f->fake->applied), ==, 3);
  g_assert_cmpint (pending (f->store), ==, 0);
  g_assert_cmpint (dft_sync_client_get_state (f->client), ==, DFT_SYNC_STATE_IDLE);
}

static void
test_garbage (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) theirs = dft_test_add_person (f->other, "Aigerim", "Bekova");

  fake_seed (f->fake, f->other);
  add_people (f->store, "Ours", 2);
  login (f->client);

  fake_set_mode (f->fake, FAKE_GARBAGE);
  g_assert_false (sync_and_wait (f->client, NULL, NULL, &error));
  g_assert_error (error, DFT_WIRE_ERROR, DFT_WIRE_ERROR_NOT_SERVER);
  g_clear_error (&error);
  assert_data_kept (f, 2);
  g_assert_nonnull (strstr (dft_sync_client_get_last_error (f->client), "kept"));

  /* Valid JSON from the server with a malformed batch: pushed, but nothing applied. */
  fake_set_mode (f->fake, FAKE_BAD_BATCH);
  g_assert_false (sync_and_wait (f->client, NULL, NULL, &error));
  g_assert_error (error, DFT_WIRE_ERROR, DFT_WIRE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpint (pending (f->store), ==, 0);
  g_assert_cmpint (state_int (f->store, "pull_cursor"), ==, 0);
  g_assert_false (holds_record (f->store, &dft_entity_person, dft_record_get_id (theirs)));
  g_assert_cmpint (dft_sync_client_get_state (f->client), ==, DFT_SYNC_STATE_ERROR);

  fake_set_mode (f->fake, FAKE_NORMAL);
  g_assert_true (sync_and_wait (f->client, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (holds_record (f->store, &dft_entity_person, dft_record_get_id (theirs)));
}

/* Issue 20: a server that limits a device's requests answers 429 with Retry-After; the
 * client waits that long, not less, and the sync goes through. The wait is counted, not
 * timed. */
static void
test_retry_after_429 (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  DftSyncStats       stats;

  add_people (f->store, "Ours", 2);
  login (f->client);
  g_mutex_lock (&f->fake->lock);
  f->fake->throttle_next = 1;
  g_mutex_unlock (&f->fake->lock);
  g_assert_true (sync_and_wait (f->client, NULL, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.retries, ==, 1);
  g_assert_cmpuint (stats.longest_wait_ms, >=, 1000);
  g_assert_cmpuint (stats.longest_wait_ms, <=, 1100);
  g_assert_cmpint (pending (f->store), ==, 0);
}

static void
test_stalled (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  DftSyncStats       stats;
  gint64             start;
  double             took;

  add_people (f->store, "Ours", 2);
  login (f->client);
  g_object_set (f->client, "stall-timeout", 1, "max-attempts", 2, NULL);
  fake_set_mode (f->fake, FAKE_STALL);

  start = g_get_monotonic_time ();
  g_assert_false (sync_and_wait (f->client, NULL, &stats, &error));
  took = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
  g_assert_error (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_TIMED_OUT);
  /* Two tries of about a second each, and no more. */
  g_assert_cmpuint (fake_get (f->fake, &f->fake->requests), ==, 1 + 2);
  g_assert_cmpfloat (took, >=, 1.5);
  g_assert_cmpfloat (took, <, 10.0);
  assert_data_kept (f, 2);
  g_assert_cmpint (dft_sync_client_get_state (f->client), ==, DFT_SYNC_STATE_OFFLINE);
  g_assert_nonnull (dft_sync_client_get_last_error (f->client));
}

static void
test_retry_after_503 (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  DftSyncStats       stats;

  add_people (f->store, "Ours", 2);
  login (f->client);
  g_mutex_lock (&f->fake->lock);
  f->fake->fail_next = 3;
  g_mutex_unlock (&f->fake->lock);

  g_assert_true (sync_and_wait (f->client, NULL, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.retries, ==, 3);
  g_assert_cmpuint (fake_get (f->fake, &f->fake->applied), ==, 2);

  /* Too many in a row: it gives up, keeping the data. */
  add_people (f->store, "More", 1);
  g_object_set (f->client, "max-attempts", 3, NULL);
  g_mutex_lock (&f->fake->lock);
  f->fake->fail_next = 3;
  g_mutex_unlock (&f->fake->lock);
  g_assert_false (sync_and_wait (f->client, NULL, &stats, &error));
  g_assert_error (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_REFUSED);
  g_assert_cmpint (pending (f->store), ==, 1);
}

static void
test_unauthorized (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  add_people (f->store, "Ours", 1);
  login (f->client);
  fake_set_mode (f->fake, FAKE_UNAUTHORIZED);
  g_assert_false (sync_and_wait (f->client, NULL, NULL, &error));
  g_assert_error (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_UNAUTHORIZED);
  g_assert_cmpuint (fake_get (f->fake, &f->fake->requests), ==, 2);
  assert_data_kept (f, 1);
  g_assert_cmpint (dft_sync_client_get_state (f->client), ==, DFT_SYNC_STATE_ERROR);
}

static void
test_forbidden (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  add_people (f->store, "Ours", 1);
  login (f->client);
  fake_set_mode (f->fake, FAKE_FORBIDDEN);
  g_assert_false (sync_and_wait (f->client, NULL, NULL, &error));
  g_assert_error (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_REFUSED);
  /* Refused for good until someone acts: not tried again, not pulled past. */
  g_assert_cmpuint (fake_get (f->fake, &f->fake->requests), ==, 2);
  assert_data_kept (f, 1);
  g_assert_nonnull (strstr (dft_sync_client_get_last_error (f->client), "coordinator"));
  g_assert_cmpint (dft_sync_client_get_state (f->client), ==, DFT_SYNC_STATE_ERROR);
}

static gboolean
cancel_cb (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

static void
cancel_once_pulling_cb (GObject *object, GParamSpec *pspec, gpointer data)
{
  if (dft_sync_client_get_progress (DFT_SYNC_CLIENT (object)) > 0.5)
    g_cancellable_cancel (data);
}

static void
test_cancel (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)        error = NULL;
  g_autoptr (GCancellable)  cancellable = g_cancellable_new ();
  g_autoptr (GError)        proxy_error = NULL;
  g_autoptr (DftFaultProxy) proxy = dft_fault_proxy_new (f->fake->port, &proxy_error);
  g_autofree char          *proxied = NULL;
  g_autoptr (GPtrArray)     theirs = NULL;
  DftSyncStats              stats;
  gint64                    start, cursor;
  guint                     held = 0;
  gulong                    handler;

  g_assert_no_error (proxy_error);
  add_people (f->store, "Ours", 2);
  login (f->client);

  /* Cancelled while the server says nothing: it stops at once, not at a timeout. */
  fake_set_mode (f->fake, FAKE_STALL);
  g_object_set (f->client, "stall-timeout", 30, NULL);
  g_timeout_add (300, cancel_cb, cancellable);
  start = g_get_monotonic_time ();
  g_assert_false (sync_and_wait (f->client, cancellable, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 3 * G_USEC_PER_SEC);
  assert_data_kept (f, 2);
  g_assert_cmpint (dft_sync_client_get_state (f->client), ==, DFT_SYNC_STATE_IDLE);

  /* Cancelled part way through pulling 60 changes, 10 a page, on a slow link: what was applied
   * and the saved cursor agree, and the next sync brings exactly the rest. */
  fake_set_mode (f->fake, FAKE_NORMAL);
  add_people (f->other, "Theirs", 60);
  fake_seed (f->fake, f->other);
  theirs = dft_store_read_log (f->other, 0, 0, NULL, NULL, NULL);
  f->fake->pull_max = 10;
  dft_fault_proxy_set_delay (proxy, 40, 40);
  proxied = g_strdup_printf ("http://127.0.0.1:%u", dft_fault_proxy_get_port (proxy));
  dft_sync_client_set_server_url (f->client, proxied);
  g_clear_object (&cancellable);
  cancellable = g_cancellable_new ();
  handler = g_signal_connect (f->client, "notify::progress", G_CALLBACK (cancel_once_pulling_cb),
                              cancellable);
  g_assert_false (sync_and_wait (f->client, cancellable, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_signal_handler_disconnect (f->client, handler);

  cursor = state_int (f->store, "pull_cursor");
  g_assert_cmpint (cursor, >, 0);
  g_assert_cmpint (cursor, <, 62);
  /* The server's log: their 60, then our 2 pushed at the start of this sync. */
  for (guint i = 0; i < theirs->len; i++)
    if (holds_record (f->store, &dft_entity_person,
                      ((DftChange *) g_ptr_array_index (theirs, i))->record_id))
      held++;
  g_assert_cmpint (held, ==, MIN (cursor, 60));

  g_assert_true (sync_and_wait (f->client, NULL, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.received, ==, 62 - cursor);
  g_assert_cmpint (state_int (f->store, "pull_cursor"), ==, 62);
  g_assert_cmpuint (log_length (f->store), ==, 62);
}

/*
 * Syncs, signed in already, through a link whose every connection dies after @cut_after
 * bytes, both ways counted; the sync must succeed, after cuts and retries.
 */
static void
sync_through_cuts (Fixture *f, guint cut_after, guint max_attempts, DftSyncStats *stats)
{
  g_autoptr (GError)        error = NULL;
  g_autoptr (DftFaultProxy) proxy = dft_fault_proxy_new (f->fake->port, &error);
  g_autofree char          *proxied = NULL;
  DftFaultProxyCounters     counters;

  g_assert_no_error (error);
  dft_fault_proxy_set_cut_after (proxy, cut_after);
  proxied = g_strdup_printf ("http://127.0.0.1:%u/", dft_fault_proxy_get_port (proxy));
  g_object_set (f->client, "server-url", proxied, "max-attempts", max_attempts, NULL);
  sync_and_wait (f->client, NULL, stats, &error);
  g_assert_no_error (error);

  dft_fault_proxy_get_counters (proxy, &counters);
  g_test_message ("%u connections, %u cut, %u requests, %u retries", counters.connections,
                  counters.cuts, stats->requests, stats->retries);
  g_assert_cmpuint (counters.cuts, >, 0);
  g_assert_cmpuint (stats->retries, >, 0);
}

static void
test_fault_proxy_cuts (Fixture *f, gconstpointer data)
{
  DftSyncStats stats;
  guint        own = 150, others = 150;

  add_people (f->store, "Ours", own);
  add_people (f->other, "Theirs", others);
  fake_seed (f->fake, f->other);
  login (f->client);

  /* Every connection dies after 4000 bytes; batches must shrink to pass. */
  sync_through_cuts (f, 4000, 30, &stats);
  /* The link answers between cuts: every retry waits the base delay at most (5 ms here),
   * never a backoff that grows with the cuts before it (minutes after ten in a row). */
  g_assert_cmpuint (stats.longest_wait_ms, <=, 5);
  /* Each change once on the server, whatever was sent twice; everyone's here. */
  g_assert_cmpuint (fake_get (f->fake, &f->fake->applied), ==, own);
  g_assert_cmpuint (f->fake->log->len, ==, own + others);
  g_assert_cmpint (pending (f->store), ==, 0);
  g_assert_cmpuint (log_length (f->store), ==, own + others);
  g_assert_cmpint (state_int (f->store, "pull_cursor"), ==, own + others);
}

/* People whose records hardly compress: @chars of base64 noise in the agency field, the same
 * on every run. */
static void
add_bulky_people (DftStore *store, guint n, guint chars)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (15);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GError)    error = NULL;
      g_autoptr (DftRecord) person = dft_record_new_for_entity (&dft_entity_person);
      g_autofree guint8    *noise = g_new (guint8, chars);
      g_autofree char      *given = g_strdup_printf ("Bulky%u", i);
      g_autofree char      *agency = NULL;

      for (guint j = 0; j < chars; j++)
        noise[j] = (guint8) g_rand_int_range (rand, 0, 256);
      agency = g_base64_encode (noise, chars);
      agency[chars] = '\0';
      dft_record_set_string (person, "given_name", given);
      dft_record_set_string (person, "agency", agency);
      dft_store_save (store, person, &error);
      g_assert_no_error (error);
    }
}

/*
 * A link that carries two of the server's changes at a time and cuts the rest: the pull page
 * halves on every cut until one passes, however small that is, and the sync ends without a
 * wait longer than the base delay.
 */
static void
test_fault_proxy_cuts_pull (Fixture *f, gconstpointer data)
{
  DftSyncStats stats;
  guint        others = 12;

  add_bulky_people (f->other, others, 1500);
  fake_seed (f->fake, f->other);
  login (f->client);

  /* About 1.2 KB a change once compressed: five do not pass 3500 bytes, one does. */
  sync_through_cuts (f, 3500, 12, &stats);
  g_assert_cmpuint (stats.longest_wait_ms, <=, 5);
  g_assert_cmpuint (stats.received, ==, others);
  g_assert_cmpuint (log_length (f->store), ==, others);
  g_assert_cmpint (state_int (f->store, "pull_cursor"), ==, others);
}

/*
 * A server that says it is busy right after cut transfers: the backoff before asking it again
 * starts from the base delay, as for any server that does not answer, not from where the cuts
 * before it would have taken it.
 */
static void
test_fault_proxy_cuts_then_busy (Fixture *f, gconstpointer data)
{
  DftSyncStats stats;
  guint        own = 12;

  /* Changes of about 1.2 KB: the first batches are cut a few times before one passes. */
  add_bulky_people (f->store, own, 1500);
  login (f->client);

  /* The first two requests that reach the server through the cuts get a 503. */
  g_mutex_lock (&f->fake->lock);
  f->fake->fail_next = 2;
  g_mutex_unlock (&f->fake->lock);
  sync_through_cuts (f, 4000, 30, &stats);
  g_test_message ("longest wait %u ms", stats.longest_wait_ms);
  g_assert_cmpuint (fake_get (f->fake, &f->fake->fail_next), ==, 0);
  /* Twice the base delay (5 ms here) at most: once for each 503. */
  g_assert_cmpuint (stats.longest_wait_ms, <=, 10);
  g_assert_cmpuint (fake_get (f->fake, &f->fake->applied), ==, own);
  g_assert_cmpint (pending (f->store), ==, 0);
}

/*
 * Issue 19: with the shipped retry delay (a second, the start of the backoff for a server
 * that is down), a link that cuts every connection at 4 KB but answers between cuts gets
 * short waits. The waits the client chose are counted, not timed: the test does not depend
 * on how fast the machine is.
 */
static void
test_fault_proxy_cuts_short_waits (Fixture *f, gconstpointer data)
{
  DftSyncStats stats;
  guint        own = 8;

  add_bulky_people (f->store, own, 1500);
  login (f->client);
  g_object_set (f->client, "retry-delay-ms", 1000, NULL);

  sync_through_cuts (f, 4000, 40, &stats);
  g_test_message ("%u retries, longest wait %u ms, %u ms in all", stats.retries,
                  stats.longest_wait_ms, stats.total_wait_ms);
  /* Every wait was a cut's, so none is over the cap (200 ms), whatever the base delay. */
  g_assert_cmpuint (stats.longest_wait_ms, <=, 200);
  g_assert_cmpuint (stats.total_wait_ms, <=, stats.retries * 200);
  g_assert_cmpuint (fake_get (f->fake, &f->fake->applied), ==, own);
  g_assert_cmpint (pending (f->store), ==, 0);
}

static void
test_epoch_change (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  DftSyncStats       stats;

  add_people (f->store, "Ours", 3);
  login (f->client);
  g_assert_true (sync_and_wait (f->client, NULL, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpint (pending (f->store), ==, 0);

  /* The server comes back from an old backup: it has nothing of ours any more. */
  fake_restore (f->fake);
  g_assert_true (sync_and_wait (f->client, NULL, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.restarts, ==, 1);
  g_assert_cmpuint (stats.pushed, ==, 3);
  g_assert_cmpuint (fake_get (f->fake, &f->fake->applied), ==, 3);
  g_assert_cmpint (pending (f->store), ==, 0);
  g_assert_cmpint (state_int (f->store, "pull_cursor"), ==, 3);
  {
    g_autofree char *epoch = dft_store_get_sync_state (f->store, "epoch", NULL);
    g_assert_cmpstr (epoch, ==, "epoch-2");
  }
}

static void
notify_count_cb (GObject *object, GParamSpec *pspec, gpointer data)
{
  if (dft_sync_client_get_state (DFT_SYNC_CLIENT (object)) == DFT_SYNC_STATE_IDLE
      && dft_sync_client_get_last_sync (DFT_SYNC_CLIENT (object)) > 0)
    (*(guint *) data)++;
}

static void
test_automatic (Fixture *f, gconstpointer data)
{
  g_autoptr (FakeMonitor)   monitor = g_object_new (FAKE_TYPE_MONITOR, NULL);
  g_autoptr (DftSyncClient) client = NULL;
  guint                     synced = 0;
  gint64                    deadline;

  add_people (f->store, "Ours", 2);
  login (f->client);
  dft_test_drain ();

  /* Offline at first: it says so and does nothing. */
  client = make_client (f->store, f->url, G_NETWORK_MONITOR (monitor));
  g_assert_cmpint (dft_sync_client_get_state (client), ==, DFT_SYNC_STATE_OFFLINE);
  g_signal_connect (client, "notify::state", G_CALLBACK (notify_count_cb), &synced);
  dft_sync_client_set_automatic (client, TRUE);
  for (guint i = 0; i < 20; i++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
    }
  g_assert_true (dft_sync_client_get_signed_in (client));
  g_assert_cmpuint (fake_get (f->fake, &f->fake->pushes), ==, 0);

  /* The network appears: after it settles, a sync. */
  fake_monitor_set_available (monitor, TRUE);
  g_assert_cmpint (dft_sync_client_get_state (client), ==, DFT_SYNC_STATE_IDLE);
  deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
  while (synced == 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (synced, ==, 1);
  g_assert_cmpuint (fake_get (f->fake, &f->fake->pushes), ==, 1);
  g_assert_cmpint (dft_sync_client_get_pending_changes (client), ==, 0);

  /* And then every sync-interval seconds. */
  dft_sync_client_set_sync_interval (client, 1);
  deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
  while (synced < 3 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (synced, >=, 3);

  /* A save is counted as pending without a sync. */
  dft_sync_client_set_automatic (client, FALSE);
  add_people (f->store, "Later", 1);
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (dft_sync_client_get_pending_changes (client) != 1 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (dft_sync_client_get_pending_changes (client), ==, 1);

  fake_monitor_set_available (monitor, FALSE);
  g_assert_cmpint (dft_sync_client_get_state (client), ==, DFT_SYNC_STATE_OFFLINE);
  release_client (g_steal_pointer (&client));
}

static void
test_tls_pinned (void)
{
  g_autofree char          *dir = NULL;
  g_autoptr (DftStore)      store = NULL;
  g_autoptr (FakeServer)    fake = NULL;
  g_autoptr (DftSyncClient) client = NULL;
  g_autoptr (GError)        error = NULL;
  g_autofree char          *url = NULL;
  g_autofree char          *pinned = test_data ("server.pem");
  g_autofree char          *other = test_data ("other.pem");
  Wait                      wait = { 0 };

  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    {
      g_test_skip ("no TLS backend (glib-networking) for the fake server");
      return;
    }
  store = dft_test_open_store (&dir);
  fake = fake_server_new (TRUE);
  url = fake_url (fake);
  client = make_client (store, url, NULL);
  add_people (store, "Ours", 1);

  /* A self-signed certificate no authority vouches for is refused. */
  dft_sync_client_login_async (client, "trainer", "secret", NULL, sign_in_done_cb, &wait);
  wait_done (&wait);
  g_assert_error (wait.error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_TLS);
  g_clear_error (&wait.error);

  /* Pinning another server's certificate refuses this one. */
  dft_sync_client_set_pinned_certificate (client, other);
  memset (&wait, 0, sizeof wait);
  dft_sync_client_login_async (client, "trainer", "secret", NULL, sign_in_done_cb, &wait);
  wait_done (&wait);
  g_assert_error (wait.error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_TLS);
  g_clear_error (&wait.error);
  g_assert_cmpuint (fake_get (fake, &fake->requests), ==, 0);

  /* Pinned: trusted, though its name is an address it was never made for. */
  dft_sync_client_set_pinned_certificate (client, pinned);
  login (client);
  /* Signing in saved the pin: later syncs (the command-line tool's) need no file. */
  dft_sync_client_set_pinned_certificate (client, NULL);
  g_assert_true (sync_and_wait (client, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fake_get (fake, &fake->applied), ==, 1);

  /* A pin on a plain http:// address is a mistake, said as such. */
  dft_sync_client_set_server_url (client, "http://127.0.0.1:9/");
  g_assert_false (sync_and_wait (client, NULL, NULL, &error));
  g_assert_error (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_NOT_CONFIGURED);

  release_client (g_steal_pointer (&client));
  dft_test_release_store (g_steal_pointer (&store));
  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_unreachable (void)
{
  g_autofree char           *dir = NULL;
  g_autoptr (DftStore)       store = dft_test_open_store (&dir);
  g_autoptr (DftSyncClient)  client = NULL;
  g_autoptr (GError)         error = NULL;
  g_autoptr (GSocket)        socket = NULL;
  g_autoptr (GInetAddress)   loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autofree char           *url = NULL;
  DftSyncStats               stats;

  /* A port nobody listens on: bound, never listening, so connecting is refused. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, NULL);
  url = g_strdup_printf ("http://127.0.0.1:%u/",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  dft_store_set_sync_state (store, "token", TOKEN, NULL);
  client = make_client (store, url, NULL);
  g_object_set (client, "max-attempts", 3, NULL);
  add_people (store, "Ours", 1);

  g_assert_false (sync_and_wait (client, NULL, &stats, &error));
  g_assert_error (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_NETWORK);
  g_assert_cmpint (dft_sync_client_get_state (client), ==, DFT_SYNC_STATE_OFFLINE);
  g_assert_nonnull (strstr (dft_sync_client_get_last_error (client), "kept"));
  g_assert_cmpint (pending (store), ==, 1);

  release_client (g_steal_pointer (&client));
  dft_test_release_store (g_steal_pointer (&store));
  dft_test_dir_free (g_steal_pointer (&dir));
}

/*
 * A server whose connections time out is one that cannot be reached, as much as one that
 * refuses them: the waits between tries grow. A listener whose queue of connections is full
 * (backlog 0 and one connection in it) drops the client's SYN, so connecting times out.
 */
static void
test_connect_timeout (void)
{
  g_autofree char           *dir = NULL;
  g_autoptr (DftStore)       store = dft_test_open_store (&dir);
  g_autoptr (DftSyncClient)  client = NULL;
  g_autoptr (GError)         error = NULL;
  g_autoptr (GSocket)        listener = NULL;
  g_autoptr (GSocket)        filler = NULL;
  g_autoptr (GInetAddress)   loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autofree char           *url = NULL;
  DftSyncStats               stats;

  listener
      = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (listener, address, FALSE, &error);
  g_assert_no_error (error);
  g_socket_set_listen_backlog (listener, 0);
  g_socket_listen (listener, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (listener, NULL);
  filler = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_connect (filler, bound, NULL, &error);
  g_assert_no_error (error);

  url = g_strdup_printf ("http://127.0.0.1:%u/",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  dft_store_set_sync_state (store, "token", TOKEN, NULL);
  client = make_client (store, url, NULL);
  g_object_set (client, "max-attempts", 4, "connect-timeout", 1, "retry-delay-ms", 100, NULL);
  add_people (store, "Ours", 1);

  g_assert_false (sync_and_wait (client, NULL, &stats, &error));
  g_test_message ("%u retries, longest wait %u ms, %u ms in all", stats.retries,
                  stats.longest_wait_ms, stats.total_wait_ms);
  g_assert_error (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_NETWORK);
  g_assert_cmpuint (stats.retries, ==, 3);
  /* 100, 200 and 400 ms, each with jitter down to half: the third is 200 ms at least. A cut
   * would have waited 100 ms at most each time. */
  g_assert_cmpuint (stats.longest_wait_ms, >=, 200);
  g_assert_cmpint (pending (store), ==, 1);

  release_client (g_steal_pointer (&client));
  dft_test_release_store (g_steal_pointer (&store));
  dft_test_dir_free (g_steal_pointer (&dir));
}

/*
 * A client released with work still queued for the main loop (a count of changes to
 * refresh after a save) lets go of itself and its store at once: a script that syncs and
 * exits without iterating again must not keep the database open.
 */
/* Passwords and records go to an https:// server, or by plain http:// only to this laptop or
 * a private network; anything else is refused before a connection is made. */
static void
test_plain_http (void)
{
  static const struct
  {
    const char *url;
    gboolean    ok;
  } cases[] = {
    { "https://daftari.example.org/", TRUE },
    { "http://127.0.0.1:8080/", TRUE },
    { "http://localhost:8080/", TRUE },
    { "http://[::1]:8080/", TRUE },
    { "http://192.168.1.10/", TRUE },
    { "http://10.0.0.2:8080/", TRUE },
    { "http://172.20.1.1/", TRUE },
    { "http://[fd12:3456::1]/", TRUE },
    { "http://169.254.10.1/", TRUE },
    { "http://daftari.local:8080/", TRUE },
    { "http://server.home.arpa/", TRUE },
    { "http://daftari.example.org/", FALSE },
    { "http://203.0.113.5/", FALSE },
    { "http://172.32.0.1/", FALSE },
    { "http://[2001:db8::1]/", FALSE },
    { "ftp://192.168.1.10/", FALSE },
    { "not an address", FALSE },
  };
  g_autofree char          *dir = NULL;
  g_autoptr (DftStore)      store = dft_test_open_store (&dir);
  g_autoptr (DftSyncClient) client = NULL;
  g_autoptr (GError)        error = NULL;
  DftSyncStats              stats;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) e = NULL;
      gboolean           ok = dft_sync_client_check_url (cases[i].url, &e);

      g_test_message ("%s: %s", cases[i].url, ok ? "allowed" : e->message);
      g_assert_cmpint (ok, ==, cases[i].ok);
      if (!ok)
        g_assert_error (e, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_NOT_CONFIGURED);
    }

  /* A sync to a public address over plain HTTP stops before it connects. */
  dft_store_set_sync_state (store, "token", TOKEN, NULL);
  client = make_client (store, "http://203.0.113.5/", NULL);
  add_people (store, "Ours", 1);
  g_assert_false (sync_and_wait (client, NULL, &stats, &error));
  g_assert_error (error, DFT_SYNC_CLIENT_ERROR, DFT_SYNC_CLIENT_ERROR_NOT_CONFIGURED);
  g_assert_nonnull (strstr (error->message, "https://"));
  g_assert_cmpuint (stats.requests, ==, 0);
  g_assert_cmpint (pending (store), ==, 1);

  release_client (g_steal_pointer (&client));
  dft_test_release_store (g_steal_pointer (&store));
  dft_test_dir_free (g_steal_pointer (&dir));
}

static gboolean
store_held_once_by_client (gpointer store)
{
  return G_OBJECT (store)->ref_count == 2;
}

static void
test_release_without_loop (void)
{
  g_autofree char *dir = NULL;
  DftStore        *store = dft_test_open_store (&dir);
  DftSyncClient   *client = make_client (store, "http://127.0.0.1:9/", NULL);
  guint            before;
  const char      *ids[] = { "00000000-0000-7000-8000-000000000001", NULL };

  /* The client's first look at the store (a worker thread) is over. */
  dft_test_wait_until (store_held_once_by_client, store, "the client's first look at the store");
  g_thread_pool_stop_unused_threads ();
  before = dft_test_count_fds (0);
  g_signal_emit_by_name (store, "changed::person", "person", ids);
  g_assert_finalize_object (client);
  g_assert_finalize_object (store);
  g_assert_cmpuint (dft_test_count_fds (0), <, before);
  /* What was queued finds nobody and does nothing. */
  dft_test_drain ();
  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
queued_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  guint             *done = user_data;
  g_autoptr (GError) error = NULL;

  g_assert_true (dft_sync_client_sync_finish (DFT_SYNC_CLIENT (source), result, NULL, &error));
  g_assert_no_error (error);
  (*done)++;
}

static void
test_queued (Fixture *f, gconstpointer data)
{
  g_autofree char *trace = NULL;
  guint            done = 0;

  add_people (f->store, "Ours", 2);
  login (f->client);

  /* Asked again while a sync runs: once more after it, shared by the later callers, so a
   * change saved meanwhile is not left for the next timer. */
  dft_sync_client_sync_async (f->client, NULL, queued_done_cb, &done);
  dft_sync_client_sync_async (f->client, NULL, queued_done_cb, &done);
  dft_sync_client_sync_async (f->client, NULL, queued_done_cb, &done);
  while (done < 3)
    g_main_context_iteration (NULL, TRUE);
  trace = g_strdup (f->fake->trace->str);
  g_assert_cmpstr (trace, ==, "login sync sync");
  g_assert_cmpint (pending (f->store), ==, 0);
}

/* The port of an HTTP proxy set in the environment before any thread starts (setenv() is not
 * thread-safe); only test_proxy_from_environment() listens there. */
static guint16 environment_proxy_port;

static guint16
free_port (void)
{
  g_autoptr (GSocket)        socket = NULL;
  g_autoptr (GInetAddress)   loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_assert_true (g_socket_bind (socket, address, TRUE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
test_proxy_from_environment (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)        error = NULL;
  g_autoptr (DftFaultProxy) proxy = NULL;
  DftFaultProxyCounters     counters;

  /* http_proxy points here, no_proxy spares 127.0.0.1: a server name only the proxy can reach
   * goes through it, as libcurl reads the environment, and the proxy forwards to the fake. */
  proxy = dft_fault_proxy_new_full (environment_proxy_port, f->fake->port, &error);
  g_assert_no_error (error);
  add_people (f->store, "Ours", 1);
  dft_sync_client_set_server_url (f->client, "http://daftari-server.home.arpa/");

  login (f->client);
  g_assert_true (sync_and_wait (f->client, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fake_get (f->fake, &f->fake->applied), ==, 1);
  dft_fault_proxy_get_counters (proxy, &counters);
  g_assert_cmpuint (counters.connections, >=, 1);
  g_assert_cmpuint (counters.bytes_up, >, 0);
}

/* ---- End to end: the real daftari-server, two devices, a bad link ---- */

typedef struct
{
  char          *dir;
  DftStore      *store;
  DftSyncClient *client;
} Device;

static void
device_open (Device *device, const char *url)
{
  device->store = dft_test_open_store (&device->dir);
  device->client = make_client (device->store, url, NULL);
  g_object_set (device->client, "max-attempts", 20, NULL);
}

static void
device_close (Device *device)
{
  release_client (g_steal_pointer (&device->client));
  dft_test_release_store (g_steal_pointer (&device->store));
  dft_test_dir_free (g_steal_pointer (&device->dir));
}

static void
device_sync (Device *device)
{
  g_autoptr (GError) error = NULL;
  DftSyncStats       stats;

  g_assert_true (sync_and_wait (device->client, NULL, &stats, &error));
  g_assert_no_error (error);
  g_test_message ("sync: %u pushed, %u received, %u requests, %u retries", stats.pushed,
                  stats.received, stats.requests, stats.retries);
  g_assert_cmpint (pending (device->store), ==, 0);
}

static void
test_end_to_end (void)
{
  g_autoptr (DftTestServer) server = NULL;
  Device                    a = { 0 }, b = { 0 }, c = { 0 };
  g_autoptr (GError)        error = NULL;
  g_autoptr (DftFaultProxy) proxy = NULL;
  g_autoptr (DftRecord)     event = NULL;
  g_autoptr (DftRecord)     newcomer = NULL;
  g_autoptr (GPtrArray)     people = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char          *url = NULL;
  g_autofree char          *code = NULL;
  DftFaultProxyCounters     counters;
  Wait                      wait = { 0 };

  if (dft_test_server_binary () == NULL)
    {
      g_test_skip ("daftari-server is not built");
      return;
    }

  server = dft_test_server_new (NULL, NULL, DFT_TEST_SERVER_DEFAULT);
  dft_test_server_add_account (server, "trainer-a", "trainer", "North", "trainer a password");
  code = dft_test_server_make_enrolment_code (server, "North");
  dft_test_server_start (server);

  /* A hotel link: 30 ms each way, every connection dropped after 3000 bytes. */
  proxy = dft_fault_proxy_new (dft_test_server_get_port (server), &error);
  g_assert_no_error (error);
  dft_fault_proxy_set_delay (proxy, 30, 30);
  dft_fault_proxy_set_cut_after (proxy, 3000);
  url = g_strdup_printf ("http://127.0.0.1:%u/", dft_fault_proxy_get_port (proxy));

  /* Device A signs in with an account, B with a coordinator's code. */
  device_open (&a, url);
  device_open (&b, url);
  dft_sync_client_login_async (a.client, "trainer-a", "trainer a password", NULL, sign_in_done_cb,
                               &wait);
  wait_done (&wait);
  g_assert_no_error (wait.error);
  memset (&wait, 0, sizeof wait);
  dft_sync_client_enrol_async (b.client, code, NULL, sign_in_done_cb, &wait);
  wait_done (&wait);
  g_assert_no_error (wait.error);

  /* A registers a workshop with 150 participants and syncs. */
  event = dft_test_add_event (a.store, "Border management", "2025-03-03", "2025-03-04");
  for (guint i = 0; i < 150; i++)
    {
      g_autofree char      *given = g_strdup_printf ("Participant%u", i);
      DftRecord            *person = dft_test_add_person (a.store, given, "Field");
      g_autoptr (DftRecord) enrollment = dft_store_enroll (
          a.store, dft_record_get_id (event), dft_record_get_id (person), "participant", &error);

      g_assert_no_error (error);
      g_ptr_array_add (people, person);
    }
  device_sync (&a);

  /* B gets all of it, adds a late arrival, and renames the workshop. */
  device_sync (&b);
  for (guint i = 0; i < people->len; i++)
    g_assert_true (holds_record (b.store, &dft_entity_person,
                                 dft_record_get_id (g_ptr_array_index (people, i))));
  {
    g_autoptr (DftRecord) theirs
        = dft_store_load (b.store, &dft_entity_event, dft_record_get_id (event), &error);
    g_autoptr (DftRecord) enrollment = NULL;

    g_assert_no_error (error);
    dft_record_set_string (theirs, "title", "Border management (advanced)");
    dft_store_save (b.store, theirs, &error);
    g_assert_no_error (error);
    newcomer = dft_test_add_person (b.store, "Late", "Arrival");
    enrollment = dft_store_enroll (b.store, dft_record_get_id (event), dft_record_get_id (newcomer),
                                   "participant", &error);
    g_assert_no_error (error);
  }
  device_sync (&b);
  device_sync (&a);

  g_assert_true (holds_record (a.store, &dft_entity_person, dft_record_get_id (newcomer)));
  {
    g_autoptr (DftRecord) ours
        = dft_store_load (a.store, &dft_entity_event, dft_record_get_id (event), &error);
    g_assert_cmpstr (dft_record_get_string (ours, "title"), ==, "Border management (advanced)");
  }
  /* Both hold every change, each once. */
  g_assert_cmpuint (log_length (a.store), ==, log_length (b.store));

  /* A third device that starts from nothing gets exactly one copy of each change: the server
   * applied nothing twice, however often the cut link made the devices send again. */
  memset (&wait, 0, sizeof wait);
  device_open (&c, url);
  dft_sync_client_login_async (c.client, "trainer-a", "trainer a password", NULL, sign_in_done_cb,
                               &wait);
  wait_done (&wait);
  g_assert_no_error (wait.error);
  device_sync (&c);
  g_assert_cmpuint (log_length (c.store), ==, log_length (a.store));

  dft_fault_proxy_get_counters (proxy, &counters);
  g_test_message ("proxy: %u connections, %u cut, %" G_GUINT64_FORMAT
                  " bytes up, %" G_GUINT64_FORMAT " down",
                  counters.connections, counters.cuts, counters.bytes_up, counters.bytes_down);
  g_assert_cmpuint (counters.cuts, >, 0);

  device_close (&a);
  device_close (&b);
  device_close (&c);
  dft_test_server_stop (server);
}

int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);
  main_thread = g_thread_self ();
  /* Loopback only: a proxy in the environment must not see these tests' requests. */
  g_setenv ("no_proxy", "127.0.0.1,localhost", TRUE);
  g_setenv ("NO_PROXY", "127.0.0.1,localhost", TRUE);
  environment_proxy_port = free_port ();
  {
    g_autofree char *proxy = g_strdup_printf ("http://127.0.0.1:%u", environment_proxy_port);
    g_setenv ("http_proxy", proxy, TRUE);
  }

#define ADD(path, func)                                                                            \
  g_test_add ("/sync-client/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("sign-in", test_sign_in);
  ADD ("push-then-pull", test_push_then_pull);
  ADD ("old-server", test_old_server);
  ADD ("frames-refused", test_frames_refused);
  ADD ("captive-portal", test_captive_portal);
  ADD ("garbage", test_garbage);
  ADD ("stalled", test_stalled);
  ADD ("retry-after-503", test_retry_after_503);
  ADD ("retry-after-429", test_retry_after_429);
  ADD ("unauthorized", test_unauthorized);
  ADD ("forbidden", test_forbidden);
  ADD ("cancel", test_cancel);
  ADD ("fault-proxy-cuts", test_fault_proxy_cuts);
  ADD ("fault-proxy-cuts-pull", test_fault_proxy_cuts_pull);
  ADD ("fault-proxy-cuts-then-busy", test_fault_proxy_cuts_then_busy);
  ADD ("fault-proxy-cuts-short-waits", test_fault_proxy_cuts_short_waits);
  ADD ("epoch-change", test_epoch_change);
  ADD ("automatic", test_automatic);
  ADD ("queued", test_queued);
  ADD ("proxy-from-environment", test_proxy_from_environment);
#undef ADD
  g_test_add_func ("/sync-client/tls-pinned", test_tls_pinned);
  g_test_add_func ("/sync-client/unreachable", test_unreachable);
  g_test_add_func ("/sync-client/connect-timeout", test_connect_timeout);
  g_test_add_func ("/sync-client/end-to-end", test_end_to_end);
  g_test_add_func ("/sync-client/release-without-loop", test_release_without_loop);
  g_test_add_func ("/sync-client/plain-http", test_plain_http);

  return g_test_run ();
}
