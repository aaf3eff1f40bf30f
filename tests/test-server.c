/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "dft-change-log.h"
#include "dft-store-private.h"
#include "dft-test-pg.h"
#include "dft-test-util.h"
#include "dft-uuid.h"
#include "dft-wire.h"

/*
 * daftari-server as it runs: a real process on 127.0.0.1 with a free port,
 * accounts made with its admin command, requests over plain HTTP/1.1 (a
 * small client here, so that the tests can send what no good client would),
 * and SIGTERM at the end, which must exit 0.
 */

#define PASSWORD_ADMIN     "admin-password-1"
#define PASSWORD_COORD_A   "coordinator-a-password"
#define PASSWORD_COORD_B   "coordinator-b-password"
#define PASSWORD_COORD_ALL "coordinator-all-password"
#define PASSWORD_TRAINER_A "trainer-a-password"
#define PASSWORD_TRAINER_B "trainer-b-password"

typedef struct
{
  char     *name;
  char     *dir;
  DftStore *store; /* the device's own data */
  char     *token;
  gint64    manual_seq; /* origin seqs for hand-made changes, far above the store's */
} Device;

/* The server under test, as the small HTTP client below reaches it. */
typedef struct
{
  DftTestServer   *process;
  GTlsCertificate *certificate; /* with TLS: the server's, which the client accepts */
} Server;

typedef struct
{
  Server     server;
  Device    *admin, *coord_a, *coord_b, *coord_all, *trainer_a, *trainer_b;
  GPtrArray *secrets;  /* every password and token used: none may reach the log */
  char      *event_a;  /* a workshop of team A, pushed by trainer A */
  char      *event_b;  /* one of team B */
  char      *person_b; /* a participant of event_b, registered by trainer B, in no other workshop */
  char      *form_published; /* a form a coordinator of every team published */
  gint64     admin_cursor;
} World;

static World *world;

/* ---- A small HTTP/1.1 client -------------------------------------------- */

typedef struct
{
  guint       status;
  GHashTable *headers; /* lower-case name -> value */
  GBytes     *body;    /* as sent: gzip when Content-Encoding says so */
  JsonNode   *json;    /* the body parsed, inflated first when gzip */
} Response;

static void
response_free (Response *r)
{
  g_clear_pointer (&r->headers, g_hash_table_unref);
  g_clear_pointer (&r->body, g_bytes_unref);
  g_clear_pointer (&r->json, json_node_unref);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Response, response_free)

static gboolean
accept_certificate_cb (GTlsConnection      *connection,
                       GTlsCertificate     *peer,
                       GTlsCertificateFlags errors,
                       gpointer             user_data)
{
  /* Self-signed in the test: accepted when it is the one the server was given. */
  return g_tls_certificate_is_same (peer, user_data);
}

static void
socket_event_cb (GSocketClient      *client,
                 GSocketClientEvent  event,
                 GSocketConnectable *connectable,
                 GIOStream          *connection,
                 gpointer            user_data)
{
  if (event == G_SOCKET_CLIENT_TLS_HANDSHAKING)
    g_signal_connect (connection, "accept-certificate", G_CALLBACK (accept_certificate_cb),
                      user_data);
}

static GIOStream *
server_connect (Server *server, GError **error)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();

  if (server->certificate != NULL)
    {
      g_socket_client_set_tls (client, TRUE);
      g_signal_connect (client, "event", G_CALLBACK (socket_event_cb), server->certificate);
    }
  return G_IO_STREAM (g_socket_client_connect_to_host (
      client, "127.0.0.1", dft_test_server_get_port (server->process), NULL, error));
}

static GBytes *
read_all (GInputStream *in)
{
  g_autoptr (GByteArray) data = g_byte_array_new ();
  guint8                 buffer[16384];
  gssize                 n;

  /* A server that closes early (a refused body) ends the reading too. */
  while ((n = g_input_stream_read (in, buffer, sizeof buffer, NULL, NULL)) > 0)
    g_byte_array_append (data, buffer, (guint) n);
  return g_byte_array_free_to_bytes (g_steal_pointer (&data));
}

static Response *
parse_response (GBytes *raw)
{
  g_autoptr (Response) r = g_new0 (Response, 1);
  gsize                length;
  const char          *data = g_bytes_get_data (raw, &length);
  const char          *end = g_strstr_len (data, (gssize) length, "\r\n\r\n");
  g_auto (GStrv)       lines = NULL;
  g_autofree char     *head = NULL;
  const char          *value;
  gsize                body_start;

  g_assert_nonnull (end);
  head = g_strndup (data, (gsize) (end - data));
  lines = g_strsplit (head, "\r\n", -1);
  g_assert_true (g_str_has_prefix (lines[0], "HTTP/1.1 "));
  r->status = (guint) g_ascii_strtoull (lines[0] + 9, NULL, 10);
  r->headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      const char *colon = strchr (lines[i], ':');
      g_assert_nonnull (colon);
      g_hash_table_insert (r->headers, g_ascii_strdown (lines[i], colon - lines[i]),
                           g_strstrip (g_strdup (colon + 1)));
    }
  body_start = (gsize) (end - data) + 4;
  g_assert_null (g_hash_table_lookup (r->headers, "transfer-encoding"));
  value = g_hash_table_lookup (r->headers, "content-length");
  g_assert_nonnull (value);
  g_assert_cmpuint (g_ascii_strtoull (value, NULL, 10), ==, length - body_start);
  r->body = g_bytes_new_from_bytes (raw, body_start, length - body_start);

  value = g_hash_table_lookup (r->headers, "content-type");
  if (length > body_start && value != NULL && g_str_has_prefix (value, "application/json"))
    {
      g_autoptr (GBytes)     json = NULL;
      g_autoptr (JsonParser) parser = json_parser_new ();
      g_autoptr (GError)     error = NULL;
      gsize                  json_length;
      const char            *json_data;

      if (g_strcmp0 (g_hash_table_lookup (r->headers, "content-encoding"), "gzip") == 0)
        json = dft_wire_gunzip (r->body, DFT_WIRE_MAX_JSON, &error);
      else
        json = g_bytes_ref (r->body);
      g_assert_no_error (error);
      json_data = g_bytes_get_data (json, &json_length);
      json_parser_load_from_data (parser, json_data, (gssize) json_length, &error);
      g_assert_no_error (error);
      r->json = json_node_ref (json_parser_get_root (parser));
    }
  return g_steal_pointer (&r);
}

static Response *
request_full (Server     *server,
              const char *method,
              const char *path,
              const char *token,
              const char *encoding,
              const void *body,
              gsize       length,
              const char *extra_headers)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GIOStream) stream = server_connect (server, &error);
  g_autoptr (GString)   head = g_string_new (NULL);
  g_autoptr (GBytes)    raw = NULL;
  GOutputStream        *out;

  g_assert_no_error (error);
  g_string_append_printf (head,
                          "%s /api/v1/%s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                          "Connection: close\r\n",
                          method, path, dft_test_server_get_port (server->process));
  if (token != NULL)
    g_string_append_printf (head, "Authorization: Bearer %s\r\n", token);
  if (encoding != NULL)
    g_string_append_printf (head, "Content-Encoding: %s\r\n", encoding);
  if (body != NULL)
    g_string_append_printf (head, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                            length);
  if (extra_headers != NULL)
    g_string_append (head, extra_headers);
  g_string_append (head, "\r\n");

  out = g_io_stream_get_output_stream (stream);
  g_output_stream_write_all (out, head->str, head->len, NULL, NULL, &error);
  g_assert_no_error (error);
  /* A refused body may be cut off by the server closing: that is allowed. */
  if (body != NULL && length > 0)
    g_output_stream_write_all (out, body, length, NULL, NULL, NULL);
  raw = read_all (g_io_stream_get_input_stream (stream));
  return parse_response (raw);
}

static Response *
request (Server *server, const char *method, const char *path, const char *token, const char *json)
{
  return request_full (server, method, path, token, NULL, json, json != NULL ? strlen (json) : 0,
                       NULL);
}

static JsonObject *
reply_object (Response *r)
{
  g_assert_nonnull (r->json);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (r->json));
  return json_node_get_object (r->json);
}

/* Every reply, good or bad, says it is from Daftari, in a header and in the JSON. */
static void
assert_daftari (Response *r)
{
  JsonObject *o = reply_object (r);

  g_assert_cmpstr (g_hash_table_lookup (r->headers, "x-daftari-server"), ==, "1");
  g_assert_cmpstr (json_object_get_string_member_with_default (o, "server", NULL), ==, "daftari");
}

static void
assert_status (Response *r, guint status)
{
  if (r->status != status && r->json != NULL)
    {
      g_autofree char *text = json_to_string (r->json, FALSE);
      g_test_message ("reply %u: %s", r->status, text);
    }
  g_assert_cmpuint (r->status, ==, status);
  assert_daftari (r);
}

static void
assert_error (Response *r, guint status, const char *code)
{
  JsonObject *error;

  assert_status (r, status);
  error = json_object_get_object_member (reply_object (r), "error");
  g_assert_nonnull (error);
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, code);
  g_assert_cmpuint (strlen (json_object_get_string_member (error, "message")), >, 0);
}

static void
assert_healthy (Server *server)
{
  g_autoptr (Response) r = request (server, "GET", "health", NULL, NULL);

  assert_status (r, 200);
  g_assert_cmpstr (json_object_get_string_member (reply_object (r), "status"), ==, "ok");
}

/* ---- Devices ------------------------------------------------------------ */

static void
device_free (Device *device)
{
  if (device == NULL)
    return;
  dft_test_release_store (device->store);
  dft_test_dir_free (device->dir);
  g_free (device->name);
  g_free (device->token);
  g_free (device);
}

static Device *
device_new (const char *name)
{
  Device *device = g_new0 (Device, 1);

  device->name = g_strdup (name);
  device->store = dft_test_open_store (&device->dir);
  device->manual_seq = 1000000;
  return device;
}

static const char *
device_id (Device *device)
{
  return dft_store_get_device_id (device->store);
}

static Response *
login (Server *server, Device *device, const char *username, const char *password)
{
  g_autofree char *body = g_strdup_printf (
      "{\"username\":\"%s\",\"password\":\"%s\",\"device_id\":\"%s\",\"device_name\":\"%s\"}",
      username, password, device_id (device), device->name);

  return request (server, "POST", "login", NULL, body);
}

static void
login_ok (World *w, Device *device, const char *username, const char *password)
{
  g_autoptr (Response) r = login (&w->server, device, username, password);

  assert_status (r, 200);
  g_free (device->token);
  device->token = g_strdup (json_object_get_string_member (reply_object (r), "token"));
  g_ptr_array_add (w->secrets, g_strdup (device->token));
}

static Response *
enrol (Server *server, Device *device, const char *code)
{
  g_autofree char *body
      = g_strdup_printf ("{\"code\":\"%s\",\"device_id\":\"%s\"}", code, device_id (device));

  return request (server, "POST", "enrol", NULL, body);
}

static char *
first_line (const char *text)
{
  const char *nl = strchr (text, '\n');

  return nl != NULL ? g_strndup (text, (gsize) (nl - text)) : g_strdup (text);
}

/* A fresh device enrolled with a code, for tests that revoke one. */
static Device *
enrolled_device (World *w, const char *team, const char *name)
{
  g_autofree char     *code = dft_test_server_make_enrolment_code (w->server.process, team);
  Device              *device = device_new (name);
  g_autoptr (Response) r = enrol (&w->server, device, code);

  assert_status (r, 200);
  device->token = g_strdup (json_object_get_string_member (reply_object (r), "token"));
  g_ptr_array_add (w->secrets, g_strdup (code));
  g_ptr_array_add (w->secrets, g_strdup (device->token));
  return device;
}

/* ---- Batches ------------------------------------------------------------ */

static GBytes *
batch_gzip (GPtrArray *changes)
{
  g_autoptr (GBytes) json = dft_wire_encode_batch (changes, NULL);

  return dft_wire_gzip (json);
}

static Response *
push_changes (Server *server, Device *device, GPtrArray *changes)
{
  g_autoptr (GBytes) gz = batch_gzip (changes);
  gsize              length;
  const char        *data = g_bytes_get_data (gz, &length);

  return request_full (server, "POST", "push", device->token, "gzip", data, length, NULL);
}

/* The device's own changes not yet sent: all of them, as the server deduplicates. */
static GPtrArray *
own_changes (Device *device)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *changes = dft_store_read_log (device->store, 0, 0, device_id (device), NULL, &error);

  g_assert_no_error (error);
  return changes;
}

static Response *
push_own (Server *server, Device *device)
{
  g_autoptr (GPtrArray) changes = own_changes (device);

  return push_changes (server, device, changes);
}

/* A change made by hand: any record, any device, as a faulty or hostile client would. */
static DftChange *
manual_change (Device     *device,
               const char *device_override,
               const char *entity,
               const char *record_id,
               const char *field,
               const char *value)
{
  g_autoptr (JsonObject) fields = json_object_new ();
  DftChange             *change;

  json_object_set_string_member (fields, field, value);
  change = dft_change_new (entity, record_id, fields);
  change->device_id = g_strdup (device_override != NULL ? device_override : device_id (device));
  change->origin_seq = ++device->manual_seq;
  change->hlc = dft_hlc_pack (dft_hlc_wall_ms (), 0);
  return change;
}

/* A conflict about @event_id's title, as a device that found it (or decided it) sends it. */
static DftChange *
conflict_change (Device *device, const char *id, const char *event_id, gboolean resolved)
{
  DftChange *change = manual_change (device, NULL, "conflict", id, "entity_name", "event");

  json_object_set_string_member (change->fields, "record_id", event_id);
  json_object_set_string_member (change->fields, "field", "title");
  json_object_set_string_member (change->fields, "lost_value", "\"Old title\"");
  json_object_set_string_member (change->fields, "lost_version", "1/device");
  json_object_set_boolean_member (change->fields, "resolved", resolved);
  return change;
}

static Response *
push_one (Server *server, Device *device, DftChange *change)
{
  g_autoptr (GPtrArray) changes = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);

  g_ptr_array_add (changes, change);
  return push_changes (server, device, changes);
}

typedef struct
{
  GPtrArray *changes;
  gint64     cursor;
} Pulled;

/* Everything after @after the device may see, page by page. */
static Pulled
pull_all (Server *server, Device *device, gint64 after, guint limit)
{
  Pulled   pulled = { g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free), after };
  gboolean more = TRUE;

  while (more)
    {
      g_autofree char *path
          = g_strdup_printf ("pull?after=%" G_GINT64_FORMAT "&limit=%u", pulled.cursor, limit);
      g_autoptr (Response)   r = request (server, "GET", path, device->token, NULL);
      g_autoptr (JsonObject) top = NULL;
      g_autoptr (GPtrArray)  page = NULL;
      g_autoptr (GError)     error = NULL;
      g_autoptr (GBytes)     json = NULL;

      assert_status (r, 200);
      g_assert_cmpstr (g_hash_table_lookup (r->headers, "content-encoding"), ==, "gzip");
      json = dft_wire_gunzip (r->body, DFT_WIRE_MAX_JSON, &error);
      g_assert_no_error (error);
      page = dft_wire_decode_batch (json, &top, &error);
      g_assert_no_error (error);
      g_assert_cmpint (json_object_get_int_member (top, "protocol"), ==, 1);
      g_assert_true (dft_uuid_is_valid (json_object_get_string_member (top, "epoch")));
      g_assert_cmpint (json_object_get_int_member (top, "cursor"), >=, pulled.cursor);
      pulled.cursor = json_object_get_int_member (top, "cursor");
      more = json_object_get_boolean_member (top, "more");
      g_assert_cmpuint (page->len, <=, limit);
      while (page->len > 0)
        g_ptr_array_add (pulled.changes, g_ptr_array_steal_index (page, 0));
    }
  return pulled;
}

static gboolean
pulled_has (Pulled *pulled, const char *record_id)
{
  for (guint i = 0; i < pulled->changes->len; i++)
    if (g_str_equal (((DftChange *) g_ptr_array_index (pulled->changes, i))->record_id, record_id))
      return TRUE;
  return FALSE;
}

static gboolean
sees (World *w, Device *device, const char *record_id)
{
  Pulled   pulled = pull_all (&w->server, device, 0, 1000);
  gboolean found = pulled_has (&pulled, record_id);

  g_ptr_array_unref (pulled.changes);
  return found;
}

/* How many changes the server took since the last call, as the admin sees them. */
static guint
new_on_server (World *w)
{
  Pulled pulled = pull_all (&w->server, w->admin, w->admin_cursor, 1000);
  guint  n = pulled.changes->len;

  w->admin_cursor = pulled.cursor;
  g_ptr_array_unref (pulled.changes);
  return n;
}

/* ---- The world: one server, two teams, six devices ---------------------- */

static void
world_free (World *w)
{
  dft_test_server_free (w->server.process);
  device_free (w->admin);
  device_free (w->coord_a);
  device_free (w->coord_b);
  device_free (w->coord_all);
  device_free (w->trainer_a);
  device_free (w->trainer_b);
  g_ptr_array_unref (w->secrets);
  g_free (w->event_a);
  g_free (w->event_b);
  g_free (w->person_b);
  g_free (w->form_published);
  g_free (w);
}

static World *
get_world (void)
{
  World *w;

  if (world != NULL)
    return world;

  w = world = g_new0 (World, 1);
  w->secrets = g_ptr_array_new_with_free_func (g_free);
  /* The world's property tests send thousands of requests a second from one token, far past
   * any device: the rate limit has a test of its own. */
  w->server.process = dft_test_server_new (NULL, "rate-limit=0\n", DFT_TEST_SERVER_DEFAULT);
  dft_test_server_add_account (w->server.process, "root", "admin", NULL, PASSWORD_ADMIN);
  dft_test_server_add_account (w->server.process, "coord-a", "coordinator", "Team A",
                               PASSWORD_COORD_A);
  dft_test_server_add_account (w->server.process, "coord-b", "coordinator", "Team B",
                               PASSWORD_COORD_B);
  dft_test_server_add_account (w->server.process, "coord-all", "coordinator", NULL,
                               PASSWORD_COORD_ALL);
  dft_test_server_add_account (w->server.process, "trainer-a", "trainer", "Team A",
                               PASSWORD_TRAINER_A);
  dft_test_server_add_account (w->server.process, "trainer-b", "trainer", "Team B",
                               PASSWORD_TRAINER_B);
  g_ptr_array_add (w->secrets, g_strdup (PASSWORD_ADMIN));
  g_ptr_array_add (w->secrets, g_strdup (PASSWORD_COORD_A));
  g_ptr_array_add (w->secrets, g_strdup (PASSWORD_COORD_B));
  g_ptr_array_add (w->secrets, g_strdup (PASSWORD_COORD_ALL));
  g_ptr_array_add (w->secrets, g_strdup (PASSWORD_TRAINER_A));
  g_ptr_array_add (w->secrets, g_strdup (PASSWORD_TRAINER_B));

  dft_test_server_start (w->server.process);
  w->admin = device_new ("admin laptop");
  w->coord_a = device_new ("coordinator A laptop");
  w->coord_b = device_new ("coordinator B laptop");
  w->coord_all = device_new ("coordinator laptop");
  w->trainer_a = device_new ("trainer A laptop");
  w->trainer_b = device_new ("trainer B laptop");
  login_ok (w, w->admin, "root", PASSWORD_ADMIN);
  login_ok (w, w->coord_a, "coord-a", PASSWORD_COORD_A);
  login_ok (w, w->coord_b, "coord-b", PASSWORD_COORD_B);
  login_ok (w, w->coord_all, "coord-all", PASSWORD_COORD_ALL);
  login_ok (w, w->trainer_a, "trainer-a", PASSWORD_TRAINER_A);
  login_ok (w, w->trainer_b, "trainer-b", PASSWORD_TRAINER_B);

  /* One workshop per team, with a participant, pushed by each team's trainer. */
  {
    g_autoptr (DftRecord) event_a
        = dft_test_add_event (w->trainer_a->store, "Border management", "2025-03-03", "2025-03-04");
    g_autoptr (DftRecord) event_b
        = dft_test_add_event (w->trainer_b->store, "Case management", "2025-04-07", "2025-04-07");
    g_autoptr (Response) ra = NULL;
    g_autoptr (Response) rb = NULL;

    g_autoptr (DftRecord) person_b
        = dft_test_add_person (w->trainer_b->store, "Айбек", "Абдыкадыров");
    g_autoptr (DftRecord) enrolled_b = NULL;
    g_autoptr (GError)    error = NULL;

    w->event_a = g_strdup (dft_record_get_id (event_a));
    w->event_b = g_strdup (dft_record_get_id (event_b));
    w->person_b = g_strdup (dft_record_get_id (person_b));
    enrolled_b
        = dft_store_enroll (w->trainer_b->store, w->event_b, w->person_b, "participant", &error);
    g_assert_no_error (error);
    ra = push_own (&w->server, w->trainer_a);
    rb = push_own (&w->server, w->trainer_b);
    assert_status (ra, 200);
    assert_status (rb, 200);
  }
  {
    g_autoptr (Response) rf = NULL;

    w->form_published = dft_uuid_v7_new ();
    rf = push_one (
        &w->server, w->coord_all,
        manual_change (w->coord_all, NULL, "form", w->form_published, "title", "Knowledge test"));
    assert_status (rf, 200);
  }
  new_on_server (w);
  return w;
}

/* ---- Tests -------------------------------------------------------------- */

static void
test_health (void)
{
  World               *w = get_world ();
  g_autoptr (Response) r = request (&w->server, "GET", "health", NULL, NULL);
  JsonObject          *o;
  gint64               drift;

  assert_status (r, 200);
  o = reply_object (r);
  g_assert_cmpint (json_object_get_int_member (o, "protocol"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "ok");
  g_assert_true (dft_uuid_is_valid (json_object_get_string_member (o, "epoch")));
  drift = json_object_get_int_member (o, "time") - g_get_real_time () / 1000;
  g_assert_cmpint (ABS (drift), <, 5000);
  g_assert_cmpstr (g_hash_table_lookup (r->headers, "cache-control"), ==, "no-store");
}

static void
test_not_found (void)
{
  World               *w = get_world ();
  g_autoptr (Response) r1 = request (&w->server, "GET", "nothing", NULL, NULL);
  g_autoptr (Response) r2 = request (&w->server, "POST", "health", NULL, "{}");
  g_autoptr (Response) r3
      = request (&w->server, "POST", "devices/not-an-id/revoke", w->admin->token, NULL);
  g_autoptr (Response) r4 = NULL;
  g_autofree char     *missing = dft_uuid_v4_new ();
  g_autofree char     *path = g_strdup_printf ("devices/%s/revoke", missing);

  assert_error (r1, 404, "not_found");
  assert_error (r2, 405, "bad_request");
  assert_error (r3, 404, "not_found");
  r4 = request (&w->server, "POST", path, w->admin->token, NULL);
  assert_error (r4, 404, "not_found");
}

static void
test_login (void)
{
  World           *w = get_world ();
  Device          *device = device_new ("spare laptop");
  Device          *other = device_new ("another laptop");
  g_autofree char *old_token = NULL;
  g_autofree char *body = NULL;
  JsonObject      *o;

  {
    g_autoptr (Response) r = login (&w->server, device, "trainer-a", PASSWORD_TRAINER_A);
    assert_status (r, 200);
    o = reply_object (r);
    g_assert_cmpstr (json_object_get_string_member (o, "device_id"), ==, device_id (device));
    g_assert_cmpstr (json_object_get_string_member (o, "account"), ==, "trainer-a");
    g_assert_cmpstr (json_object_get_string_member (o, "role"), ==, "trainer");
    g_assert_cmpstr (json_object_get_string_member (o, "team"), ==, "Team A");
    g_assert_true (g_str_has_prefix (json_object_get_string_member (o, "token"), "dft1_"));
    old_token = g_strdup (json_object_get_string_member (o, "token"));
    g_ptr_array_add (w->secrets, g_strdup (old_token));
  }
  {
    /* User names meet in any case. */
    g_autoptr (Response) r = login (&w->server, device, "Trainer-A", PASSWORD_TRAINER_A);
    assert_status (r, 200);
    device->token = g_strdup (json_object_get_string_member (reply_object (r), "token"));
    g_ptr_array_add (w->secrets, g_strdup (device->token));
  }
  {
    /* A new sign-in replaces the device's token. */
    g_autoptr (Response) r = request (&w->server, "GET", "pull", old_token, NULL);
    g_autoptr (Response) r2 = request (&w->server, "GET", "pull", device->token, NULL);
    assert_error (r, 401, "unauthorized");
    g_assert_cmpstr (g_hash_table_lookup (r->headers, "www-authenticate"), ==,
                     "Bearer realm=\"daftari\"");
    assert_status (r2, 200);
  }
  {
    g_autoptr (Response) wrong = login (&w->server, device, "trainer-a", "not the password");
    g_autoptr (Response) nobody = login (&w->server, device, "nobody", PASSWORD_TRAINER_A);
    assert_error (wrong, 401, "unauthorized");
    assert_error (nobody, 401, "unauthorized");
    /* One message for both: a guesser does not learn which user names exist. */
    g_assert_cmpstr (
        json_object_get_string_member (
            json_object_get_object_member (reply_object (wrong), "error"), "message"),
        ==,
        json_object_get_string_member (
            json_object_get_object_member (reply_object (nobody), "error"), "message"));
  }
  {
    /* The same device id signing in for another account: it is someone else's device. */
    g_autoptr (Response) r = login (&w->server, device, "trainer-b", PASSWORD_TRAINER_B);
    assert_error (r, 409, "conflict");
  }

  /* Bad bodies: 400 with a JSON error, and no device enrolled. */
  body = g_strdup_printf ("{\"username\":\"trainer-a\",\"password\":\"%s\",\"device_id\":\"%s\","
                          "\"admin\":true}",
                          PASSWORD_TRAINER_A, device_id (other));
  {
    const char *bodies[] = {
      "{\"username\":\"trainer-a\"",
      "[]",
      "",
      "{\"username\":5,\"password\":\"x\",\"device_id\":\"x\"}",
      "{\"username\":\"trainer-a\",\"password\":\"" PASSWORD_TRAINER_A
      "\",\"device_id\":\"laptop\"}",
      "{\"username\":\"trainer-a\",\"password\":\"" PASSWORD_TRAINER_A "\"}",
      "\xff\xfe{}",
      body,
    };
    for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
      {
        g_autoptr (Response) r = request (&w->server, "POST", "login", NULL, bodies[i]);
        g_test_message ("bad login body %u", i);
        assert_error (r, 400, "bad_request");
      }
  }
  {
    /* The device of the unknown-member body was not enrolled. */
    g_autofree char *out = dft_test_server_admin (w->server.process, NULL, "list-devices", NULL);
    g_assert_null (strstr (out, device_id (other)));
    g_assert_nonnull (strstr (out, device_id (device)));
  }
  assert_healthy (&w->server);
  device_free (device);
  device_free (other);
}

static void
test_enrolment_code (void)
{
  World           *w = get_world ();
  g_autofree char *out = dft_test_server_admin (w->server.process, NULL, "make-enrolment-code",
                                                "--team", "Team B", "--role", "trainer", NULL);
  g_autofree char *code = first_line (out);
  g_autofree char *typed = NULL;
  Device          *first = device_new ("enrolled laptop");
  Device          *second = device_new ("second laptop");
  JsonObject      *o;

  g_ptr_array_add (w->secrets, g_strdup (code));
  g_assert_cmpuint (strlen (code), ==, 19);
  {
    /* Typed in lower case without dashes, as people do. */
    g_autoptr (Response) r = NULL;
    g_autofree char     *lower = g_ascii_strdown (code, -1);
    g_auto (GStrv)       parts = g_strsplit (lower, "-", -1);

    typed = g_strjoinv ("", parts);
    r = enrol (&w->server, first, typed);
    assert_status (r, 200);
    o = reply_object (r);
    g_assert_cmpstr (json_object_get_string_member (o, "role"), ==, "trainer");
    g_assert_cmpstr (json_object_get_string_member (o, "team"), ==, "Team B");
    g_assert_true (json_object_get_null_member (o, "account"));
    first->token = g_strdup (json_object_get_string_member (o, "token"));
    g_ptr_array_add (w->secrets, g_strdup (first->token));
  }
  {
    /* Single use: the second device is refused. */
    g_autoptr (Response) r = enrol (&w->server, second, code);
    assert_error (r, 401, "unauthorized");
  }
  {
    g_autoptr (Response) r = enrol (&w->server, second, "ABCD-EFGH-JKMN-PQRS");
    g_autoptr (Response) r2 = enrol (&w->server, second, "not a code");
    assert_error (r, 401, "unauthorized");
    assert_error (r2, 401, "unauthorized");
  }
  {
    /* Expired. */
    g_autofree char *out2 = dft_test_server_admin (w->server.process, NULL, "make-enrolment-code",
                                                   "--team", "Team B", "--expires-in", "1s", NULL);
    g_autofree char *short_code = first_line (out2);
    g_autoptr (Response) r = NULL;

    g_ptr_array_add (w->secrets, g_strdup (short_code));
    g_usleep (2100 * 1000);
    r = enrol (&w->server, second, short_code);
    assert_error (r, 401, "unauthorized");
  }
  {
    /* A code for several devices works that many times. */
    g_autofree char *out3 = dft_test_server_admin (w->server.process, NULL, "make-enrolment-code",
                                                   "--team", "Team A", "--uses", "2", NULL);
    g_autofree char *multi = first_line (out3);
    Device          *third = device_new ("third laptop");
    g_autoptr (Response) r1 = enrol (&w->server, second, multi);
    g_autoptr (Response) r2 = enrol (&w->server, third, multi);
    g_autoptr (Response) r3 = NULL;

    g_ptr_array_add (w->secrets, g_strdup (multi));
    assert_status (r1, 200);
    assert_status (r2, 200);
    g_ptr_array_add (w->secrets,
                     g_strdup (json_object_get_string_member (reply_object (r1), "token")));
    g_ptr_array_add (w->secrets,
                     g_strdup (json_object_get_string_member (reply_object (r2), "token")));
    device_free (third);
    third = device_new ("fourth laptop");
    r3 = enrol (&w->server, third, multi);
    assert_error (r3, 401, "unauthorized");
    device_free (third);
  }
  {
    /* A device enrolled by code pulls its team's workshop, not the other's. */
    g_assert_true (sees (w, first, w->event_b));
    g_assert_false (sees (w, first, w->event_a));
  }
  {
    /* A code made over HTTP by a coordinator, for their team. */
    g_autoptr (Response) r = request (&w->server, "POST", "enrolment-codes", w->coord_b->token,
                                      "{\"role\":\"trainer\",\"expires_in\":600}");
    Device              *fifth = device_new ("fifth laptop");
    g_autoptr (Response) r2 = NULL;
    gint64               expires_at;

    assert_status (r, 200);
    o = reply_object (r);
    expires_at = json_object_get_int_member (o, "expires_at");
    g_assert_cmpint (ABS (expires_at - (g_get_real_time () / 1000 + 600000)), <, 5000);
    g_ptr_array_add (w->secrets, g_strdup (json_object_get_string_member (o, "code")));
    r2 = enrol (&w->server, fifth, json_object_get_string_member (o, "code"));
    assert_status (r2, 200);
    g_assert_cmpstr (json_object_get_string_member (reply_object (r2), "team"), ==, "Team B");
    g_ptr_array_add (w->secrets,
                     g_strdup (json_object_get_string_member (reply_object (r2), "token")));
    device_free (fifth);
  }
  device_free (first);
  device_free (second);
  assert_healthy (&w->server);
}

static void
test_push_pull (void)
{
  World                *w = get_world ();
  g_autoptr (DftRecord) event = NULL;
  g_autoptr (DftRecord) person = NULL;
  g_autoptr (DftRecord) enrollment = NULL;
  g_autoptr (DftRecord) mark = NULL;
  g_autoptr (GPtrArray) changes = NULL;
  g_autoptr (GError)    error = NULL;
  g_autoptr (Response)  first = NULL;
  g_autoptr (Response)  again = NULL;
  g_autofree char      *session_id = NULL;
  gint64                acked;
  guint                 n;
  Pulled                pulled;

  event = dft_test_add_event (w->trainer_a->store, "Interviewing", "2025-05-05", "2025-05-06");
  person = dft_test_add_person (w->trainer_a->store, "Айбек", "Осмонов");
  enrollment = dft_store_enroll (w->trainer_a->store, dft_record_get_id (event),
                                 dft_record_get_id (person), "participant", &error);
  g_assert_no_error (error);
  session_id = dft_session_id_for (dft_record_get_id (event), "2025-05-05", "am");
  mark = dft_store_mark_attendance (w->trainer_a->store, session_id, dft_record_get_id (person),
                                    "late", NULL, &error);
  g_assert_no_error (error);

  changes = own_changes (w->trainer_a);
  n = changes->len;
  first = push_changes (&w->server, w->trainer_a, changes);
  assert_status (first, 200);
  acked = json_object_get_int_member (reply_object (first), "acked");
  g_assert_cmpint (acked, ==,
                   ((DftChange *) g_ptr_array_index (changes, changes->len - 1))->origin_seq);
  g_assert_cmpint (json_object_get_int_member (reply_object (first), "applied"), >, 0);
  g_assert_cmpstr (json_object_get_string_member (reply_object (first), "epoch"), !=, NULL);
  g_assert_cmpuint (new_on_server (w), >, 0);

  /* The same batch again: nothing new, every change a duplicate, the same acknowledgement. */
  again = push_changes (&w->server, w->trainer_a, changes);
  assert_status (again, 200);
  g_assert_cmpint (json_object_get_int_member (reply_object (again), "applied"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (reply_object (again), "duplicates"), ==, n);
  g_assert_cmpint (json_object_get_int_member (reply_object (again), "acked"), ==, acked);
  g_assert_cmpuint (new_on_server (w), ==, 0);

  /* The coordinator of the team pulls it, in small pages, and applies it. */
  pulled = pull_all (&w->server, w->coord_a, 0, 3);
  g_assert_true (pulled_has (&pulled, dft_record_get_id (event)));
  g_assert_true (pulled_has (&pulled, dft_record_get_id (person)));
  g_assert_true (pulled_has (&pulled, dft_record_get_id (enrollment)));
  g_assert_true (pulled_has (&pulled, dft_record_get_id (mark)));
  g_assert_true (pulled_has (&pulled, session_id));
  g_assert_false (pulled_has (&pulled, w->event_b));
  dft_store_apply_changes (w->coord_a->store, pulled.changes, NULL, &error);
  g_assert_no_error (error);
  {
    g_autoptr (DftRecord) held = dft_store_load (w->coord_a->store, &dft_entity_attendance,
                                                 dft_record_get_id (mark), &error);
    g_assert_no_error (error);
    g_assert_cmpstr (dft_record_get_string (held, "status"), ==, "late");
  }
  g_ptr_array_unref (pulled.changes);

  /* A device never gets its own changes back. */
  pulled = pull_all (&w->server, w->trainer_a, 0, 1000);
  for (guint i = 0; i < pulled.changes->len; i++)
    g_assert_cmpstr (((DftChange *) g_ptr_array_index (pulled.changes, i))->device_id, !=,
                     device_id (w->trainer_a));
  g_ptr_array_unref (pulled.changes);

  /* The other team sees none of it, the admin all of it. */
  g_assert_false (sees (w, w->trainer_b, dft_record_get_id (person)));
  g_assert_false (sees (w, w->coord_b, dft_record_get_id (mark)));
  g_assert_true (sees (w, w->admin, dft_record_get_id (person)));
  g_assert_true (sees (w, w->coord_all, dft_record_get_id (mark)));
}

/* A sync request: @changes and @extra's members, gzip JSON, posted to "sync". */
static Response *
sync_request (Server *server, Device *device, GPtrArray *changes, JsonObject *extra)
{
  g_autoptr (GBytes) json = dft_wire_encode_batch (changes, extra);
  g_autoptr (GBytes) gz = dft_wire_gzip (json);
  gsize              length;
  const char        *data = g_bytes_get_data (gz, &length);

  return request_full (server, "POST", "sync", device->token, "gzip", data, length, NULL);
}

/* The changes of a sync reply, and its top level in *top. */
static GPtrArray *
sync_page (Response *r, JsonObject **top)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) json = dft_wire_gunzip (r->body, DFT_WIRE_MAX_JSON, &error);
  GPtrArray         *page;

  g_assert_no_error (error);
  page = dft_wire_decode_batch (json, top, &error);
  g_assert_no_error (error);
  return page;
}

/*
 * Issue 19: a push and a pull page in one round trip. The reply names the epoch and the
 * device keys only when the device's differ, and the page holds only what the device may see.
 */
static void
test_sync_round_trip (void)
{
  World                *w = get_world ();
  g_autoptr (DftRecord) person = dft_test_add_person (w->trainer_a->store, "Нурлан", "Асанов");
  g_autoptr (GPtrArray)  changes = own_changes (w->trainer_a);
  g_autoptr (GPtrArray)  none = g_ptr_array_new ();
  g_autoptr (JsonObject) extra = json_object_new ();
  g_autoptr (JsonObject) top = NULL;
  g_autoptr (GPtrArray)  page = NULL;
  g_autoptr (Response)   first = NULL;
  g_autoptr (Response)   again = NULL;
  g_autofree char       *epoch = NULL;
  g_autofree char       *keys = NULL;
  gint64                 high;

  high = ((DftChange *) g_ptr_array_index (changes, changes->len - 1))->origin_seq;
  json_object_set_int_member (extra, "after", 0);
  json_object_set_int_member (extra, "limit", 5000);
  json_object_set_string_member (extra, "keys", "");
  first = sync_request (&w->server, w->trainer_a, changes, extra);
  assert_status (first, 200);
  page = sync_page (first, &top);
  g_assert_cmpint (json_object_get_int_member (top, "acked"), ==, high);
  g_assert_cmpint (json_object_get_int_member (top, "cursor"), >, 0);
  g_assert_false (json_object_get_boolean_member (top, "more"));
  g_assert_true (dft_uuid_is_valid (json_object_get_string_member (top, "epoch")));
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (top, "device_keys")));
  epoch = g_strdup (json_object_get_string_member (top, "epoch"));
  keys = g_strdup (json_object_get_string_member (top, "keys"));
  /* Team A's trainer pulls the published form, never team B's workshop or people. */
  {
    Pulled pulled = { page, 0 };

    g_assert_false (pulled_has (&pulled, w->event_b));
    g_assert_false (pulled_has (&pulled, w->person_b));
    g_assert_true (pulled_has (&pulled, w->form_published));
  }

  /* Nothing new, and the device knows the epoch and keys: a few bytes come back. */
  json_object_set_int_member (extra, "after", json_object_get_int_member (top, "cursor"));
  json_object_set_string_member (extra, "epoch", epoch);
  json_object_set_string_member (extra, "keys", keys);
  json_object_set_int_member (extra, "acked", high);
  again = sync_request (&w->server, w->trainer_a, none, extra);
  assert_status (again, 200);
  g_clear_pointer (&page, g_ptr_array_unref);
  g_clear_pointer (&top, json_object_unref);
  page = sync_page (again, &top);
  g_assert_cmpuint (page->len, ==, 0);
  g_assert_false (json_object_has_member (top, "epoch"));
  g_assert_false (json_object_has_member (top, "device_keys"));
  g_assert_cmpint (json_object_get_int_member (top, "acked"), ==, high);
  g_test_message ("an empty sync's reply: %" G_GSIZE_FORMAT " bytes of body",
                  g_bytes_get_size (again->body));

  /* What it may not hold is refused as a push's is, before anything is stored. */
  {
    static const char *const bad[][2] = {
      { "limit", "0" }, { "limit", "5001" }, { "after", "-1" },
      { "keys", "7" },  { "relay", "true" }, { "surprise", "1" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr (JsonObject) wrong = json_object_new ();
        g_autoptr (JsonParser) parser = json_parser_new ();
        g_autoptr (Response)   r = NULL;

        g_assert_true (json_parser_load_from_data (parser, bad[i][1], -1, NULL));
        json_object_set_member (wrong, bad[i][0], json_node_copy (json_parser_get_root (parser)));
        r = sync_request (&w->server, w->trainer_a, none, wrong);
        assert_error (r, 400, "bad_request");
      }
  }
}

static void
test_pull_params (void)
{
  World      *w = get_world ();
  const char *paths[]
      = { "pull?after=-1", "pull?after=x", "pull?limit=0", "pull?limit=100000", "pull?since=3" };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr (Response) r = request (&w->server, "GET", paths[i], w->trainer_a->token, NULL);
      assert_error (r, 400, "bad_request");
    }
}

/* A refused push: a 4xx with a JSON error, nothing stored, and the server keeps serving. */
static void
assert_refused (World *w, Response *r, guint status, const char *code)
{
  assert_error (r, status, code);
  g_assert_cmpuint (new_on_server (w), ==, 0);
  assert_healthy (&w->server);
}

/* A push whose changes the server refused one by one: answered 200, @n of them set aside
 * with a reason each (sync/PROTOCOL.md, "Set aside"). */
static void
assert_set_aside (Response *r, guint n)
{
  JsonObject *o;
  JsonArray  *list;

  assert_status (r, 200);
  o = reply_object (r);
  g_assert_true (json_object_has_member (o, "set_aside"));
  list = json_object_get_array_member (o, "set_aside");
  g_assert_cmpuint (json_array_get_length (list), ==, n);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *item = json_array_get_object_element (list, i);

      g_assert_cmpint (json_object_get_int_member (item, "seq"), >, 0);
      g_assert_cmpstr (json_object_get_string_member (item, "reason"), !=, "");
    }
}

/* ...and nothing of it was stored. */
static void
assert_refused_alone (World *w, Response *r, guint n)
{
  assert_set_aside (r, n);
  g_assert_cmpuint (new_on_server (w), ==, 0);
  assert_healthy (&w->server);
}

static Response *
push_raw (World *w, Device *device, const char *encoding, const char *json)
{
  if (g_strcmp0 (encoding, "gzip") == 0)
    {
      g_autoptr (GBytes) plain = g_bytes_new (json, strlen (json));
      g_autoptr (GBytes) gz = dft_wire_gzip (plain);
      gsize              length;
      const char        *data = g_bytes_get_data (gz, &length);

      return request_full (&w->server, "POST", "push", device->token, "gzip", data, length, NULL);
    }
  return request_full (&w->server, "POST", "push", device->token, encoding, json, strlen (json),
                       NULL);
}

/* Milliseconds of 2200-01-01T00:00:00Z: a laptop whose date is far ahead. */
#define YEAR_2200_MS G_GINT64_CONSTANT (7258118400000)

static Response *
push_batch (World *w, Device *device, GPtrArray *changes, gboolean relay)
{
  g_autoptr (JsonObject) extra = json_object_new ();
  g_autoptr (GBytes)     json = NULL;
  g_autoptr (GBytes)     gz = NULL;
  gsize                  length;
  const char            *data;

  if (relay)
    json_object_set_boolean_member (extra, "relay", TRUE);
  json = dft_wire_encode_batch (changes, extra);
  gz = dft_wire_gzip (json);
  data = g_bytes_get_data (gz, &length);
  return request_full (&w->server, "POST", "push", device->token, "gzip", data, length, NULL);
}

static void
assert_clock_ahead (World *w, Response *r, const DftChange *change)
{
  JsonObject *error;

  assert_refused (w, r, 422, "clock_ahead");
  error = json_object_get_object_member (reply_object (r), "error");
  g_assert_cmpstr (json_object_get_string_member (error, "device"), ==, change->device_id);
  g_assert_cmpint (json_object_get_int_member (error, "seq"), ==, change->origin_seq);
  g_assert_cmpint (json_object_get_int_member (error, "ahead_ms"), >, DFT_HLC_MAX_AHEAD_MS);
  /* The server's time, so the device can say how far off its own clock is. */
  g_assert_cmpint (json_object_get_int_member (reply_object (r), "time"), >, 0);
}

/*
 * Issue 13: a change stamped far ahead would win every merge of its field until that time. The
 * server refuses a push holding one, whole; a relay leaves out other devices' such changes.
 */
static void
test_clock_ahead (void)
{
  World      *w = get_world ();
  Device     *t = w->trainer_a;
  DftHlcValue futures[] = { G_MAXINT64, dft_hlc_pack (YEAR_2200_MS, 0),
                            dft_hlc_pack (dft_hlc_wall_ms () + DFT_HLC_MAX_AHEAD_MS + 60000, 0) };

  new_on_server (w);
  for (guint i = 0; i < G_N_ELEMENTS (futures); i++)
    {
      g_autoptr (GPtrArray) changes
          = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
      g_autoptr (Response) r = NULL;
      DftChange           *future;

      g_test_message ("a change stamped %" G_GUINT64_FORMAT, futures[i]);
      /* A good change first: nothing of the batch is stored. */
      g_ptr_array_add (changes, manual_change (t, NULL, "event", w->event_a, "venue", "Osh"));
      future = manual_change (t, NULL, "event", w->event_a, "title", "Frozen forever");
      future->hlc = futures[i];
      g_ptr_array_add (changes, future);
      r = push_batch (w, t, changes, FALSE);
      assert_clock_ahead (w, r, future);
      /* The numbers were not taken: the device sends them again once its clock is right. */
      t->manual_seq -= 2;
    }

  {
    /* Clocks behind are normal (changes made offline long ago), and so is a little ahead. */
    g_autoptr (GPtrArray) changes
        = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
    g_autoptr (Response) r = NULL;
    DftChange           *old = manual_change (t, NULL, "event", w->event_a, "venue", "Naryn");
    DftChange           *near = manual_change (t, NULL, "event", w->event_a, "notes", "Hall 2");

    old->hlc = dft_hlc_pack (dft_hlc_wall_ms () - 400LL * 24 * 3600 * 1000, 0);
    near->hlc = dft_hlc_pack (dft_hlc_wall_ms () + 3600 * 1000, 0);
    g_ptr_array_add (changes, old);
    g_ptr_array_add (changes, near);
    r = push_batch (w, t, changes, FALSE);
    assert_status (r, 200);
    g_assert_cmpuint (new_on_server (w), >=, 2);
  }

  {
    /* Relayed: another device's change from the future is left out, the rest is kept. */
    g_autoptr (GPtrArray) changes
        = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
    g_autoptr (Response) r = NULL;
    g_autofree char     *other = dft_uuid_v4_new ();
    DftChange *future = manual_change (t, other, "event", w->event_a, "title", "Relayed future");
    DftChange *fine = manual_change (t, other, "event", w->event_a, "venue", "Talas");

    future->origin_seq = 1;
    future->hlc = dft_hlc_pack (YEAR_2200_MS, 0);
    fine->origin_seq = 2;
    g_ptr_array_add (changes, future);
    g_ptr_array_add (changes, fine);
    r = push_batch (w, t, changes, TRUE);
    assert_status (r, 200);
    g_assert_cmpint (json_object_get_int_member (reply_object (r), "skipped"), ==, 1);
    g_assert_cmpint (json_object_get_int_member (reply_object (r), "applied"), ==, 1);
    {
      Pulled pulled = pull_all (&w->server, w->admin, w->admin_cursor, 1000);

      /* The change kept, and the conflict it makes with the venue it overwrote unseen. */
      g_assert_cmpuint (pulled.changes->len, >=, 1);
      for (guint i = 0; i < pulled.changes->len; i++)
        g_assert_false (dft_hlc_is_too_far_ahead (
            ((DftChange *) g_ptr_array_index (pulled.changes, i))->hlc, dft_hlc_wall_ms ()));
      w->admin_cursor = pulled.cursor;
      g_ptr_array_unref (pulled.changes);
    }
  }
  {
    /* The relaying device's own change from the future is refused as in a push. */
    g_autoptr (GPtrArray) changes
        = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
    g_autoptr (Response) r = NULL;
    DftChange *future = manual_change (t, NULL, "event", w->event_a, "title", "Own future");

    future->hlc = dft_hlc_pack (YEAR_2200_MS, 0);
    g_ptr_array_add (changes, future);
    r = push_batch (w, t, changes, TRUE);
    assert_clock_ahead (w, r, future);
    t->manual_seq--;
  }
}

/* The server process's resident memory and its peak since the last reset, in KiB. */
static void
server_memory (World *w, guint64 *rss, guint64 *peak)
{
  g_autofree char *path
      = g_strdup_printf ("/proc/%d/status", (int) dft_test_server_get_pid (w->server.process));
  g_autofree char *text = NULL;
  const char      *p;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  p = strstr (text, "VmRSS:");
  g_assert_nonnull (p);
  *rss = g_ascii_strtoull (p + 6, NULL, 10);
  p = strstr (text, "VmHWM:");
  g_assert_nonnull (p);
  *peak = g_ascii_strtoull (p + 6, NULL, 10);
}

/*
 * Issue 13: 300,000 tiny changes (28 MiB of JSON, 100 KB of gzip) once grew the server by
 * 600 MiB before it refused them, and eight at once by 5 GiB. A push holding more changes than
 * one push may is refused as too large before it is decoded.
 */
static void
test_too_many_changes (void)
{
  World               *w = get_world ();
  Device              *t = w->trainer_a;
  g_autoptr (GString)  json = g_string_new (NULL);
  g_autoptr (GBytes)   plain = NULL;
  g_autoptr (GBytes)   gz = NULL;
  g_autoptr (Response) r = NULL;
  g_autofree char     *clear
      = g_strdup_printf ("/proc/%d/clear_refs", (int) dft_test_server_get_pid (w->server.process));
  FILE       *file;
  gboolean    peak_reset;
  guint64     rss_before, peak_before, rss_after, peak_after;
  const guint n = 300000;
  gsize       length;
  const char *data;

  new_on_server (w);
  g_string_append_printf (json, "{\"devices\":[\"%s\"],\"ids\":[\"%s\"],\"changes\":[",
                          device_id (t), w->event_a);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (json,
                            "%s{\"d\":0,\"s\":%s,\"h\":%s,\"e\":\"event\",\"r\":0,"
                            "\"f\":{\"notes\":\"a tiny change, one of very many\"}}",
                            i > 0 ? "," : "", i > 0 ? "1" : "3000000",
                            i > 0 ? "1" : "116123456789012345");
  g_string_append (json, "]}");
  plain = g_string_free_to_bytes (g_steal_pointer (&json));
  gz = dft_wire_gzip (plain);
  g_assert_cmpuint (g_bytes_get_size (gz), <, DFT_WIRE_MAX_GZIP);

  /* Writing 5 to clear_refs forgets the peak so far (sign-ins hash with 64 MiB). */
  file = fopen (clear, "w");
  peak_reset = file != NULL && fputs ("5", file) >= 0;
  if (file != NULL)
    peak_reset = fclose (file) == 0 && peak_reset;
  server_memory (w, &rss_before, &peak_before);

  data = g_bytes_get_data (gz, &length);
  r = request_full (&w->server, "POST", "push", t->token, "gzip", data, length, NULL);
  assert_refused (w, r, 413, "too_large");

  server_memory (w, &rss_after, &peak_after);
  g_test_message ("server memory: %" G_GUINT64_FORMAT " KiB before, %" G_GUINT64_FORMAT
                  " KiB after, peak %" G_GUINT64_FORMAT " KiB (peak reset: %s)",
                  rss_before, rss_after, peak_after, peak_reset ? "yes" : "no");
  /* Decoding it took 600 MiB; counting it keeps nothing. */
  g_assert_cmpuint (rss_after, <, rss_before + 32 * 1024);
  if (peak_reset)
    g_assert_cmpuint (peak_after, <, rss_before + 32 * 1024);
}

static void
test_refused (void)
{
  World           *w = get_world ();
  Device          *t = w->trainer_a;
  g_autofree char *good_batch = NULL;
  g_autofree char *ids = NULL;

  new_on_server (w);
  ids = g_strdup_printf ("\"devices\":[\"%s\"],\"ids\":[\"%s\"]", device_id (t), w->event_a);
  good_batch = g_strdup_printf (
      "{%s,\"changes\":[{\"d\":0,\"s\":2000001,\"h\":116123456789012345,\"e\":\"event\",\"r\":0,"
      "\"f\":{\"title\":\"x\"}}]}",
      ids);

  {
    g_autoptr (Response) r = push_raw (w, t, "gzip", "{\"changes\": [ {");
    g_test_message ("malformed JSON");
    assert_refused (w, r, 400, "bad_request");
  }
  {
    g_autoptr (Response) r = push_raw (w, t, "gzip", "not json at all");
    assert_refused (w, r, 400, "bad_request");
  }
  {
    g_autoptr (Response) r = push_raw (w, t, "gzip", "[1, 2, 3]");
    assert_refused (w, r, 400, "bad_request");
  }
  {
    /* An encoding the server does not read. */
    g_autoptr (Response) r = push_raw (w, t, "br", good_batch);
    assert_refused (w, r, 400, "bad_request");
  }
  {
    /* The well-formed one is stored: the next assertions start from here. */
    g_autoptr (Response) r = push_raw (w, t, "gzip", good_batch);
    assert_status (r, 200);
    /* The change, and the conflict it makes: it was written without a base. */
    g_assert_cmpuint (new_on_server (w), >=, 1);
  }
  {
    g_autoptr (Response) r = request_full (&w->server, "POST", "push", t->token, "gzip", good_batch,
                                           strlen (good_batch), NULL);
    g_test_message ("plain text sent as gzip");
    assert_refused (w, r, 400, "bad_request");
  }
  {
    /* Wrong types. */
    const char *changes[] = {
      "{\"d\":0,\"s\":\"7\",\"h\":116123456789012345,\"e\":\"event\",\"r\":0,\"f\":{}}",
      "{\"d\":0,\"s\":2000002,\"h\":1.5,\"e\":\"event\",\"r\":0,\"f\":{}}",
      "{\"d\":0,\"s\":2000002,\"h\":116123456789012345,\"e\":\"event\",\"r\":0,\"f\":[]}",
      "{\"d\":9,\"s\":2000002,\"h\":116123456789012345,\"e\":\"event\",\"r\":0,\"f\":{}}",
      "{\"d\":0,\"s\":2000002,\"h\":116123456789012345,\"e\":\"event\",\"r\":0,"
      "\"f\":{\"title\":{\"nested\":1}}}",
      "{\"d\":0,\"s\":2000002,\"h\":116123456789012345,\"e\":\"event\",\"r\":0,"
      "\"f\":{\"title\":42}}",
      /* Unknown members, entities and fields. */
      "{\"d\":0,\"s\":2000002,\"h\":116123456789012345,\"e\":\"event\",\"r\":0,\"f\":{},"
      "\"x\":1}",
      "{\"d\":0,\"s\":2000002,\"h\":116123456789012345,\"e\":\"weapon\",\"r\":0,\"f\":{}}",
      "{\"d\":0,\"s\":2000002,\"h\":116123456789012345,\"e\":\"event\",\"r\":0,"
      "\"f\":{\"salary\":\"1\"}}",
    };
    for (guint i = 0; i < G_N_ELEMENTS (changes); i++)
      {
        g_autofree char     *batch = g_strdup_printf ("{%s,\"changes\":[%s]}", ids, changes[i]);
        g_autoptr (Response) r = push_raw (w, t, "gzip", batch);
        g_test_message ("bad change %u", i);
        assert_refused (w, r, 400, "bad_request");
      }
  }
  {
    /* An unknown member beside the changes, and another protocol version. */
    g_autofree char     *batch = g_strdup_printf ("{%s,\"changes\":[],\"admin\":true}", ids);
    g_autofree char     *batch2 = g_strdup_printf ("{%s,\"changes\":[],\"protocol\":2}", ids);
    g_autoptr (Response) r = push_raw (w, t, "gzip", batch);
    g_autoptr (Response) r2 = push_raw (w, t, "gzip", batch2);
    assert_refused (w, r, 400, "bad_request");
    assert_refused (w, r2, 400, "bad_request");
  }
  {
    /* A good change followed by a bad one: the whole batch is refused. (Sequence numbers and
     * clocks after the first are differences from the one before.) */
    g_autofree char *batch = g_strdup_printf (
        "{%s,\"changes\":[{\"d\":0,\"s\":2000003,\"h\":116123456789012345,\"e\":\"event\","
        "\"r\":0,\"f\":{\"title\":\"y\"}},{\"d\":0,\"s\":1,\"h\":0,"
        "\"e\":\"event\",\"r\":0,\"f\":{\"start_date\":7}}]}",
        ids);
    g_autoptr (Response) r = push_raw (w, t, "gzip", batch);
    assert_refused (w, r, 400, "bad_request");
  }
  {
    /* Too deep to parse safely. */
    g_autoptr (GString)  deep = g_string_new (NULL);
    g_autoptr (Response) r = NULL;

    for (guint i = 0; i < 20000; i++)
      g_string_append_c (deep, '[');
    r = push_raw (w, t, "gzip", deep->str);
    assert_refused (w, r, 400, "bad_request");
  }
  {
    /* A body over 4 MiB, announced: refused before it is read. */
    gsize                length = DFT_WIRE_MAX_GZIP + 1;
    char                *big = g_malloc0 (length);
    g_autoptr (Response) r
        = request_full (&w->server, "POST", "push", t->token, "gzip", big, length, NULL);
    g_free (big);
    g_assert_cmpstr (g_hash_table_lookup (r->headers, "connection"), ==, "close");
    assert_refused (w, r, 413, "too_large");
  }
  {
    /* The same sent in chunks, with no length announced. */
    g_autoptr (GString)  chunked = g_string_new (NULL);
    g_autoptr (Response) r = NULL;
    char                *block = g_malloc0 (1024 * 1024);

    for (guint i = 0; i < 5; i++)
      {
        g_string_append_printf (chunked, "%x\r\n", 1024 * 1024);
        g_string_append_len (chunked, block, 1024 * 1024);
        g_string_append (chunked, "\r\n");
      }
    g_string_append (chunked, "0\r\n\r\n");
    g_free (block);
    {
      g_autoptr (GError)    error = NULL;
      g_autoptr (GIOStream) stream = server_connect (&w->server, &error);
      g_autofree char      *head = g_strdup_printf (
               "POST /api/v1/push HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                    "Authorization: Bearer %s\r\nContent-Encoding: gzip\r\nTransfer-Encoding: "
                    "chunked\r\n\r\n",
               t->token);
      g_autoptr (GBytes) raw = NULL;

      g_assert_no_error (error);
      g_output_stream_write_all (g_io_stream_get_output_stream (stream), head, strlen (head), NULL,
                                 NULL, &error);
      g_assert_no_error (error);
      g_output_stream_write_all (g_io_stream_get_output_stream (stream), chunked->str, chunked->len,
                                 NULL, NULL, NULL);
      raw = read_all (g_io_stream_get_input_stream (stream));
      r = parse_response (raw);
    }
    assert_refused (w, r, 413, "too_large");
  }
  {
    /* A gzip bomb: 100 KB that inflates past 32 MiB. */
    gsize                length = 64 * 1024 * 1024;
    char                *spaces = g_malloc (length);
    g_autoptr (GBytes)   plain = NULL;
    g_autoptr (GBytes)   gz = NULL;
    g_autoptr (Response) r = NULL;
    const char          *data;
    gsize                gz_length;

    memset (spaces, ' ', length);
    plain = g_bytes_new_take (spaces, length);
    gz = dft_wire_gzip (plain);
    data = g_bytes_get_data (gz, &gz_length);
    g_assert_cmpuint (gz_length, <, DFT_WIRE_MAX_GZIP);
    r = request_full (&w->server, "POST", "push", t->token, "gzip", data, gz_length, NULL);
    assert_refused (w, r, 413, "too_large");
  }
  {
    /* A change made by another device: a device sends only its own. */
    g_autoptr (Response) r
        = push_one (&w->server, t,
                    manual_change (t, device_id (w->coord_a), "event", w->event_a, "title", "z"));
    assert_refused (w, r, 403, "forbidden");
  }
  {
    /* A change to another team's workshop. */
    g_autoptr (Response) r
        = push_one (&w->server, t, manual_change (t, NULL, "event", w->event_b, "title", "taken"));
    assert_refused_alone (w, r, 1);
  }
  {
    /* A session moved into another team's workshop, and a new one put there. */
    g_autofree char     *session = dft_session_id_for (w->event_a, "2025-03-03", "am");
    g_autofree char     *fresh = dft_uuid_v7_new ();
    g_autoptr (Response) r = push_one (
        &w->server, t, manual_change (t, NULL, "session", session, "event_id", w->event_b));
    g_autoptr (Response) r2 = NULL;

    assert_refused_alone (w, r, 1);
    r2 = push_one (&w->server, t,
                   manual_change (t, NULL, "session", fresh, "event_id", w->event_b));
    assert_refused_alone (w, r2, 1);
  }
  {
    /* Attendance in another team's session. */
    g_autofree char     *session = dft_session_id_for (w->event_b, "2025-04-07", "am");
    g_autofree char     *mark = dft_uuid_v7_new ();
    g_autoptr (Response) r = push_one (
        &w->server, t, manual_change (t, NULL, "attendance", mark, "session_id", session));
    assert_refused_alone (w, r, 1);
  }
  {
    /* A session of a workshop nobody has: the server keeps no dangling reference. */
    g_autofree char     *session = dft_uuid_v7_new ();
    g_autofree char     *nowhere = dft_uuid_v7_new ();
    g_autoptr (Response) r = push_one (
        &w->server, t, manual_change (t, NULL, "session", session, "event_id", nowhere));
    g_autoptr (Response) r2
        = push_one (&w->server, w->admin,
                    manual_change (w->admin, NULL, "session", session, "event_id", nowhere));
    assert_refused_alone (w, r, 1);
    assert_refused_alone (w, r2, 1);
    /* Nor was the workshop claimed: a push that creates it is still anyone's. */
    {
      g_autoptr (Response) r3 = push_one (
          &w->server, w->trainer_b,
          manual_change (w->trainer_b, NULL, "event", nowhere, "title", "Claimed by B"));
      assert_status (r3, 200);
      /* Team B's now: its coordinator sees it, team A does not. */
      g_assert_true (sees (w, w->coord_b, nowhere));
      g_assert_false (sees (w, w->coord_a, nowhere));
      new_on_server (w);
    }
  }
  {
    /* A record the server cannot place in any workshop. */
    g_autofree char     *session = dft_uuid_v7_new ();
    g_autoptr (Response) r
        = push_one (&w->server, t, manual_change (t, NULL, "session", session, "title", "lost"));
    assert_refused_alone (w, r, 1);
  }
  {
    /* Trainers do not change a form a coordinator published. */
    g_autoptr (Response) r = push_one (
        &w->server, t, manual_change (t, NULL, "form", w->form_published, "title", "Evaluation"));
    assert_refused_alone (w, r, 1);
  }
  {
    /* A trainer's device keeps conflicts but does not decide them: a conflict it found is
     * taken, one it marks resolved is set aside with the reason, a coordinator's is taken. */
    g_autofree char     *found = dft_uuid_v7_new ();
    g_autofree char     *decided = dft_uuid_v7_new ();
    g_autoptr (Response) r1
        = push_one (&w->server, t, conflict_change (t, found, w->event_a, FALSE));
    g_autoptr (Response) r2
        = push_one (&w->server, t, conflict_change (t, decided, w->event_a, TRUE));
    g_autoptr (Response) r3 = NULL;
    JsonObject          *aside;

    assert_status (r1, 200);
    g_assert_false (json_object_has_member (reply_object (r1), "set_aside"));
    g_assert_cmpuint (new_on_server (w), ==, 1);
    assert_refused_alone (w, r2, 1);
    aside = json_array_get_object_element (
        json_object_get_array_member (reply_object (r2), "set_aside"), 0);
    g_assert_nonnull (strstr (json_object_get_string_member (aside, "reason"),
                              "only coordinators and administrators decide a conflict"));
    r3 = push_one (&w->server, w->coord_a, conflict_change (w->coord_a, found, w->event_a, TRUE));
    assert_status (r3, 200);
    g_assert_false (json_object_has_member (reply_object (r3), "set_aside"));
    g_assert_cmpuint (new_on_server (w), ==, 1);
  }
  {
    /* Merging people, and undoing it, is a coordinator's decision about people the coordinator
     * may change: a trainer's is set aside with the reason, and so is a team coordinator's
     * merge with another team's person; the team coordinator's own is taken. */
    g_autofree char      *p1 = dft_uuid_v7_new ();
    g_autofree char      *p2 = dft_uuid_v7_new ();
    g_autofree char      *merge = dft_uuid_v7_new ();
    g_autofree char      *unmerge = dft_uuid_v7_new ();
    g_autoptr (Response)  people = NULL;
    g_autoptr (Response)  r1 = NULL, r2 = NULL, r3 = NULL, r4 = NULL, r5 = NULL;
    g_autoptr (GPtrArray) changes
        = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
    DftChange  *change;
    JsonObject *aside;

    g_ptr_array_add (changes, manual_change (t, NULL, "person", p1, "given_name", "Aibek"));
    g_ptr_array_add (changes, manual_change (t, NULL, "person", p2, "given_name", "Айбек"));
    people = push_changes (&w->server, t, changes);
    assert_status (people, 200);
    g_assert_cmpuint (new_on_server (w), ==, 2);

    change = manual_change (t, NULL, "person_merge", merge, "kept_id", p1);
    json_object_set_string_member (change->fields, "merged_id", p2);
    r1 = push_one (&w->server, t, change);
    assert_refused_alone (w, r1, 1);
    aside = json_array_get_object_element (
        json_object_get_array_member (reply_object (r1), "set_aside"), 0);
    g_assert_nonnull (strstr (json_object_get_string_member (aside, "reason"),
                              "only a coordinator or an administrator merges people"));

    change = manual_change (w->coord_a, NULL, "person_merge", merge, "kept_id", p1);
    json_object_set_string_member (change->fields, "merged_id", w->person_b);
    r2 = push_one (&w->server, w->coord_a, change);
    assert_refused_alone (w, r2, 1);

    change = manual_change (w->coord_a, NULL, "person_merge", merge, "kept_id", p1);
    json_object_set_string_member (change->fields, "merged_id", p2);
    r3 = push_one (&w->server, w->coord_a, change);
    assert_status (r3, 200);
    g_assert_false (json_object_has_member (reply_object (r3), "set_aside"));
    g_assert_cmpuint (new_on_server (w), ==, 1);

    r4 = push_one (&w->server, t,
                   manual_change (t, NULL, "person_unmerge", unmerge, "merge_id", merge));
    assert_refused_alone (w, r4, 1);
    r5 = push_one (&w->server, w->coord_a,
                   manual_change (w->coord_a, NULL, "person_unmerge", unmerge, "merge_id", merge));
    assert_status (r5, 200);
    g_assert_false (json_object_has_member (reply_object (r5), "set_aside"));
    g_assert_cmpuint (new_on_server (w), ==, 1);
  }
  {
    /* No token, a made-up one, one in the wrong scheme. */
    g_autoptr (Response) r1 = request (&w->server, "POST", "push", NULL, good_batch);
    g_autoptr (Response) r2 = request (&w->server, "POST", "push", "dft1_madeup", good_batch);
    g_autoptr (Response) r3 = request_full (&w->server, "GET", "pull", NULL, NULL, NULL, 0,
                                            "Authorization: Basic dXNlcjpwYXNz\r\n");
    assert_refused (w, r1, 401, "unauthorized");
    assert_refused (w, r2, 401, "unauthorized");
    assert_refused (w, r3, 401, "unauthorized");
  }
}

/* Sets a device's token expiry in the server's database, as time passing would. */
static void
expire_token (World *w, Device *device)
{
  g_autofree char *path
      = g_build_filename (dft_test_server_get_dir (w->server.process), "data", "accounts.db", NULL);
  g_autofree char *sql
      = g_strdup_printf ("UPDATE device SET expires_at = 1 WHERE id = '%s'", device_id (device));
  const char *storage = dft_test_server_get_storage (w->server.process);
  sqlite3    *db = NULL;

  if (storage != NULL)
    {
      g_assert_cmpint (dft_test_pg_exec (storage, sql), ==, 1);
      return;
    }
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_changes (db), ==, 1);
  sqlite3_close (db);
}

static void
test_revoked_and_expired (void)
{
  World                *w = get_world ();
  Device               *victim = enrolled_device (w, "Team A", "lost laptop");
  Device               *old = enrolled_device (w, "Team A", "old laptop");
  g_autofree char      *path = g_strdup_printf ("devices/%s/revoke", device_id (victim));
  g_autoptr (DftRecord) event
      = dft_test_add_event (victim->store, "Stolen", "2025-06-01", "2025-06-01");
  g_autoptr (DftRecord) event2
      = dft_test_add_event (old->store, "Late", "2025-06-02", "2025-06-02");

  new_on_server (w);
  {
    g_autoptr (Response) r = request (&w->server, "POST", path, w->coord_a->token, NULL);
    g_autoptr (Response) again = request (&w->server, "POST", path, w->coord_a->token, NULL);
    assert_status (r, 200);
    g_assert_true (json_object_get_boolean_member (reply_object (r), "revoked"));
    assert_status (again, 200);
  }
  {
    g_autoptr (Response) r = push_own (&w->server, victim);
    g_autoptr (Response) r2 = request (&w->server, "GET", "pull", victim->token, NULL);
    assert_refused (w, r, 401, "unauthorized");
    assert_refused (w, r2, 401, "unauthorized");
  }
  {
    g_autofree char *out = dft_test_server_admin (w->server.process, NULL, "list-devices", NULL);
    g_autofree char *needle = g_strdup_printf ("%s\trevoked", device_id (victim));
    g_assert_nonnull (strstr (out, needle));
  }

  expire_token (w, old);
  {
    g_autoptr (Response) r = push_own (&w->server, old);
    assert_refused (w, r, 401, "unauthorized");
  }
  {
    /* The admin command revokes too. */
    g_autofree char *out
        = dft_test_server_admin (w->server.process, NULL, "revoke-device", device_id (old), NULL);
    g_autofree char *missing = dft_uuid_v4_new ();
    g_assert_cmpint (dft_test_server_admin_status (w->server.process, NULL, NULL, "revoke-device",
                                                   missing, NULL),
                     ==, 1);
  }
  /* A revoked device id is not enrolled again, by its own account or another. */
  {
    g_autoptr (Response) same = login (&w->server, victim, "trainer-a", PASSWORD_TRAINER_A);
    g_autoptr (Response) other = login (&w->server, victim, "trainer-b", PASSWORD_TRAINER_B);

    assert_refused (w, same, 409, "conflict");
    assert_refused (w, other, 409, "conflict");
  }
  device_free (victim);
  device_free (old);
}

/*
 * The authorization matrix: every endpoint, for each role, on its own team
 * and on the other one. Teams: the actors are of team A (or of none).
 */
typedef enum
{
  ACT_PUSH_OWN,        /* a change to a workshop of team A */
  ACT_PUSH_OTHER,      /* a change to a workshop of team B */
  ACT_PULL_SEES_OWN,   /* 200 when the pull holds team A's workshop, 204 when not */
  ACT_PULL_SEES_OTHER, /* the same for team B's */
  ACT_REVOKE_OWN,      /* revoke a device of team A */
  ACT_REVOKE_OTHER,
  ACT_CODE_OWN, /* an enrolment code for trainers of team A */
  ACT_CODE_OTHER,
  ACT_CODE_COORDINATOR, /* one that makes a coordinator of team A */
  ACT_FORM,             /* push a change to a form */
  ACT_PERSON_OTHER,     /* change a person team B registered */
  ACT_ENROL_OTHER,      /* enrol a person of team B in team A's workshop, and change the person */
  ACT_PULL_SEES_OTHER_PERSON, /* 200 when the pull holds team B's person, 204 when not */
  ACT_FORM_PUBLISHED,         /* change a form a coordinator of every team published */
  N_ACTS
} Act;

static const char *const act_names[] = {
  "push own team",
  "push other team",
  "pull sees own team",
  "pull sees other team",
  "revoke own team",
  "revoke other",
  "code own team",
  "code other team",
  "code coordinator",
  "push form",
  "change other team's person",
  "enrol other team's person",
  "pull sees other team's person",
  "change a published form",
};

typedef enum
{
  ROLE_ADMIN,
  ROLE_COORD_ALL,
  ROLE_COORD_A,
  ROLE_TRAINER_A,
  ROLE_NONE, /* no token */
  N_ROLES
} Actor;

static const char *const actor_names[]
    = { "admin", "coordinator of all", "coordinator A", "trainer A", "no token" };

/* 204 here stands for "200, and the record is not in the pull". */
static const guint expected[N_ROLES][N_ACTS] = {
  /* push own, other, sees own, other, revoke own, other, code own, other, coord, form,
   * person other, enrol other, sees other person, published form */
  [ROLE_ADMIN] = { 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200 },
  [ROLE_COORD_ALL] = { 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200 },
  [ROLE_COORD_A] = { 200, 403, 200, 204, 200, 403, 200, 403, 403, 200, 403, 403, 204, 200 },
  /* A trainer makes forms for the team (a copied template) but leaves published ones alone. */
  [ROLE_TRAINER_A] = { 200, 403, 200, 204, 403, 403, 403, 403, 403, 200, 403, 403, 204, 403 },
  [ROLE_NONE] = { 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401 },
};

static guint
perform (World *w, Device *actor, Act act)
{
  const char          *token = actor != NULL ? actor->token : NULL;
  Device              *self = actor != NULL ? actor : w->trainer_a;
  g_autoptr (Response) r = NULL;
  g_autofree char     *title = g_strdup_printf ("Renamed %" G_GINT64_FORMAT, g_get_real_time ());

  switch (act)
    {
    case ACT_PUSH_OWN:
    case ACT_PUSH_OTHER:
    case ACT_FORM:
    case ACT_PERSON_OTHER:
    case ACT_FORM_PUBLISHED:
      {
        g_autofree char      *form = dft_uuid_v7_new ();
        g_autoptr (GPtrArray) changes
            = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
        g_autoptr (GBytes) gz = NULL;
        gsize              length;
        const char        *data;

        if (act == ACT_FORM)
          g_ptr_array_add (changes, manual_change (self, NULL, "form", form, "title", title));
        else if (act == ACT_FORM_PUBLISHED)
          g_ptr_array_add (changes,
                           manual_change (self, NULL, "form", w->form_published, "title", title));
        else if (act == ACT_PERSON_OTHER)
          g_ptr_array_add (changes,
                           manual_change (self, NULL, "person", w->person_b, "phone", title));
        else
          g_ptr_array_add (changes, manual_change (self, NULL, "event",
                                                   act == ACT_PUSH_OWN ? w->event_a : w->event_b,
                                                   "title", title));
        gz = batch_gzip (changes);
        data = g_bytes_get_data (gz, &length);
        r = request_full (&w->server, "POST", "push", token, "gzip", data, length, NULL);
        break;
      }
    case ACT_ENROL_OTHER:
      {
        /* A person of team B's of its own, so that what an admin may do here shares nobody
         * that a later row looks for. */
        g_autoptr (DftRecord) person = dft_test_add_person (w->trainer_b->store, "Nino", title);
        const char           *person_id = dft_record_get_id (person);
        g_autofree char      *enrol_id = dft_enrollment_id_for (w->event_a, person_id);
        g_autoptr (GPtrArray) changes
            = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
        DftChange *enrol
            = manual_change (self, NULL, "enrollment", enrol_id, "event_id", w->event_a);
        g_autoptr (Response) pushed_b = push_own (&w->server, w->trainer_b);
        g_autoptr (GBytes)   gz = NULL;
        gsize                length;
        const char          *data;

        assert_status (pushed_b, 200);
        new_on_server (w);
        json_object_set_string_member (enrol->fields, "person_id", person_id);
        json_object_set_string_member (enrol->fields, "role", "participant");
        g_ptr_array_add (changes, enrol);
        g_ptr_array_add (changes,
                         manual_change (self, NULL, "person", person_id, "email", "x@example.org"));
        gz = batch_gzip (changes);
        data = g_bytes_get_data (gz, &length);
        r = request_full (&w->server, "POST", "push", token, "gzip", data, length, NULL);
        break;
      }
    case ACT_PULL_SEES_OTHER_PERSON:
    case ACT_PULL_SEES_OWN:
    case ACT_PULL_SEES_OTHER:
      {
        const char *wanted = act == ACT_PULL_SEES_OWN     ? w->event_a
                             : act == ACT_PULL_SEES_OTHER ? w->event_b
                                                          : w->person_b;
        if (actor == NULL)
          {
            r = request (&w->server, "GET", "pull", NULL, NULL);
            break;
          }
        return sees (w, actor, wanted) ? 200 : 204;
      }
    case ACT_REVOKE_OWN:
    case ACT_REVOKE_OTHER:
      {
        Device *target
            = enrolled_device (w, act == ACT_REVOKE_OWN ? "Team A" : "Team B", "target laptop");
        g_autofree char *path = g_strdup_printf ("devices/%s/revoke", device_id (target));

        r = request (&w->server, "POST", path, token, NULL);
        device_free (target);
        break;
      }
    case ACT_CODE_OWN:
    case ACT_CODE_OTHER:
    case ACT_CODE_COORDINATOR:
      {
        g_autofree char *body
            = g_strdup_printf ("{\"team\":\"%s\",\"role\":\"%s\",\"expires_in\":3600}",
                               act == ACT_CODE_OTHER ? "Team B" : "Team A",
                               act == ACT_CODE_COORDINATOR ? "coordinator" : "trainer");
        r = request (&w->server, "POST", "enrolment-codes", token, body);
        if (r->status == 200)
          g_ptr_array_add (w->secrets,
                           g_strdup (json_object_get_string_member (reply_object (r), "code")));
        break;
      }
    case N_ACTS:
    default:
      g_assert_not_reached ();
    }

  assert_daftari (r);
  /* A push refused change by change is answered 200 with what was set aside: refused all the
   * same, and nothing of it stored. */
  if (r->status == 200 && r->json != NULL && JSON_NODE_HOLDS_OBJECT (r->json)
      && json_object_has_member (reply_object (r), "set_aside"))
    return 403;
  if (r->status != 200)
    {
      JsonObject *error = json_object_get_object_member (reply_object (r), "error");
      const char *code = json_object_get_string_member (error, "code");
      g_assert_cmpstr (code, ==,
                       r->status == 401   ? "unauthorized"
                       : r->status == 403 ? "forbidden"
                                          : code);
    }
  return r->status;
}

static void
test_authorization_matrix (void)
{
  World  *w = get_world ();
  Device *actors[N_ROLES] = { w->admin, w->coord_all, w->coord_a, w->trainer_a, NULL };

  for (guint role = 0; role < N_ROLES; role++)
    for (guint act = 0; act < N_ACTS; act++)
      {
        guint got;

        new_on_server (w);
        got = perform (w, actors[role], (Act) act);
        g_test_message ("%s, %s: %u (expected %u)", actor_names[role], act_names[act], got,
                        expected[role][act]);
        g_assert_cmpuint (got, ==, expected[role][act]);
        /* A refused push stores nothing. */
        if ((act == ACT_PUSH_OWN || act == ACT_PUSH_OTHER || act == ACT_FORM
             || act == ACT_PERSON_OTHER || act == ACT_ENROL_OTHER || act == ACT_FORM_PUBLISHED)
            && got != 200)
          g_assert_cmpuint (new_on_server (w), ==, 0);
      }
  assert_healthy (&w->server);
}

static void
test_scope_rules (void)
{
  World             *w = get_world ();
  g_autoptr (GError) error = NULL;

  /* A person belongs to the team that registered them: another team neither sees nor changes
   * them, and cannot reach them by enrolling them in a workshop of its own (sync/PROTOCOL.md). */
  {
    g_autoptr (DftRecord) person = dft_test_add_person (w->trainer_a->store, "Nino", "Beridze");
    g_autoptr (DftRecord) enrollment = dft_store_enroll (
        w->trainer_a->store, w->event_a, dft_record_get_id (person), "participant", &error);
    g_autoptr (Response) r = NULL;
    const char          *person_id = dft_record_get_id (person);

    g_assert_no_error (error);
    r = push_own (&w->server, w->trainer_a);
    assert_status (r, 200);
    new_on_server (w);
    g_assert_true (sees (w, w->coord_a, person_id));
    g_assert_false (sees (w, w->trainer_b, person_id));

    /* Trainer B may not change that person... */
    {
      g_autoptr (Response) r2 = push_one (
          &w->server, w->trainer_b,
          manual_change (w->trainer_b, NULL, "person", person_id, "phone", "+995 555 000"));
      assert_set_aside (r2, 1);
    }
    /* Nor may it enrol the person in one of team B's workshops to reach them: both changes of
     * the batch that enrols and changes the person are set aside, and team B sees nothing. */
    {
      g_autoptr (GPtrArray) changes
          = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
      g_autofree char *enrol_id = dft_enrollment_id_for (w->event_b, person_id);
      DftChange       *enrol_change
          = manual_change (w->trainer_b, NULL, "enrollment", enrol_id, "event_id", w->event_b);
      g_autoptr (Response) r3 = NULL;

      json_object_set_string_member (enrol_change->fields, "person_id", person_id);
      json_object_set_string_member (enrol_change->fields, "role", "participant");
      g_ptr_array_add (changes, enrol_change);
      g_ptr_array_add (changes, manual_change (w->trainer_b, NULL, "person", person_id, "phone",
                                               "+995 555 000"));
      r3 = push_changes (&w->server, w->trainer_b, changes);
      assert_set_aside (r3, 2);
      g_assert_cmpuint (new_on_server (w), ==, 0);
      g_assert_false (sees (w, w->trainer_b, person_id));
      g_assert_false (sees (w, w->trainer_b, enrol_id));
    }
    /* A coordinator of every team may share the person with team B by enrolling them there;
     * deleting that enrollment ends the sharing. */
    {
      g_autofree char *enrol_id = dft_enrollment_id_for (w->event_b, person_id);
      DftChange       *enrol_change
          = manual_change (w->coord_all, NULL, "enrollment", enrol_id, "event_id", w->event_b);
      DftChange           *unenrol = NULL;
      g_autoptr (Response) r4 = NULL;
      g_autoptr (Response) r5 = NULL;
      g_autoptr (Response) r6 = NULL;
      g_autoptr (Response) r7 = NULL;

      json_object_set_string_member (enrol_change->fields, "person_id", person_id);
      json_object_set_string_member (enrol_change->fields, "role", "participant");
      r4 = push_one (&w->server, w->coord_all, enrol_change);
      assert_status (r4, 200);
      g_assert_true (sees (w, w->trainer_b, person_id));
      r5 = push_one (&w->server, w->trainer_b,
                     manual_change (w->trainer_b, NULL, "person", person_id, "agency", "Police"));
      assert_status (r5, 200);

      unenrol = manual_change (w->coord_all, NULL, "enrollment", enrol_id, "role", "participant");
      json_object_set_boolean_member (unenrol->fields, "deleted", TRUE);
      r6 = push_one (&w->server, w->coord_all, unenrol);
      assert_status (r6, 200);
      g_assert_false (sees (w, w->trainer_b, person_id));
      r7 = push_one (&w->server, w->trainer_b,
                     manual_change (w->trainer_b, NULL, "person", person_id, "agency", "Customs"));
      assert_set_aside (r7, 1);
      new_on_server (w);
    }
  }

  /* A submission outside any workshop: its team's coordinators see it, trainers do not. */
  {
    g_autofree char *submission = dft_uuid_v7_new ();
    g_autofree char *form = dft_uuid_v7_new ();
    DftChange       *change
        = manual_change (w->trainer_a, NULL, "submission", submission, "form_id", form);
    g_autoptr (Response) r = NULL;
    g_autoptr (Response) rf = push_one (
        &w->server, w->coord_a, manual_change (w->coord_a, NULL, "form", form, "title", "Survey"));

    assert_status (rf, 200);

    json_object_set_string_member (change->fields, "status", "draft");
    json_object_set_string_member (change->fields, "answers", "{}");
    r = push_one (&w->server, w->trainer_a, change);
    assert_status (r, 200);
    g_assert_true (sees (w, w->coord_a, submission));
    g_assert_false (sees (w, w->coord_b, submission));
    g_assert_false (sees (w, w->trainer_b, submission));
    g_assert_true (sees (w, w->admin, submission));
    /* Team B may not touch it. */
    {
      g_autoptr (Response) r2 = push_one (
          &w->server, w->coord_b,
          manual_change (w->coord_b, NULL, "submission", submission, "status", "final"));
      assert_set_aside (r2, 1);
    }
  }

  /* A form a trainer made (a copied template) is the team's: its own coordinator and trainers
   * see and change it, another team neither sees nor changes it. */
  {
    g_autofree char     *form = dft_uuid_v7_new ();
    g_autoptr (Response) r
        = push_one (&w->server, w->trainer_a,
                    manual_change (w->trainer_a, NULL, "form", form, "title", "Our pre-test"));
    g_autoptr (Response) r2 = NULL;

    assert_status (r, 200);
    g_assert_true (sees (w, w->coord_a, form));
    g_assert_false (sees (w, w->trainer_b, form));
    g_assert_false (sees (w, w->coord_b, form));
    r2 = push_one (&w->server, w->trainer_b,
                   manual_change (w->trainer_b, NULL, "form", form, "title", "Theirs now"));
    assert_set_aside (r2, 1);
    new_on_server (w);
  }

  /* Forms a coordinator publishes reach everyone. */
  {
    g_autofree char     *form = dft_uuid_v7_new ();
    g_autoptr (Response) r
        = push_one (&w->server, w->coord_a,
                    manual_change (w->coord_a, NULL, "form", form, "title", "Pre-test"));
    assert_status (r, 200);
    g_assert_true (sees (w, w->trainer_b, form));
  }

  /* A workshop moved to the other team by the admin command. */
  {
    g_autoptr (DftRecord) event
        = dft_test_add_event (w->trainer_a->store, "Moved", "2025-07-01", "2025-07-01");
    g_autoptr (Response) r = push_own (&w->server, w->trainer_a);
    g_autofree char     *out = NULL;

    assert_status (r, 200);
    g_assert_false (sees (w, w->trainer_b, dft_record_get_id (event)));
    out = dft_test_server_admin (w->server.process, NULL, "move-event", dft_record_get_id (event),
                                 "Team B", NULL);
    g_assert_true (sees (w, w->trainer_b, dft_record_get_id (event)));
    g_assert_false (sees (w, w->coord_a, dft_record_get_id (event)));
  }
}

/*
 * One device cannot stop its team with one huge record: a value longer than its field may hold
 * is refused at the door, and records that are large but allowed come in pull pages bounded by
 * size, so no page grows past what a device reads.
 */
static void
test_large_records (void)
{
  World               *w = get_world ();
  g_autofree char     *form = dft_uuid_v7_new ();
  g_autofree char     *huge = g_strnfill (DFT_FIELD_MAX_JSON + 1, 'x');
  g_autofree char     *filler = g_strnfill (DFT_FIELD_MAX_JSON - 1000, 'y');
  g_autofree char     *large = g_strdup_printf ("{\"comment\": \"%s\"}", filler);
  g_autofree char     *long_name = g_strnfill (DFT_FIELD_MAX_TEXT + 1, 'z');
  g_autoptr (Response) rf = push_one (&w->server, w->admin,
                                      manual_change (w->admin, NULL, "form", form, "title", "Big"));
  gint64               cursor;
  guint                pages = 0, received = 0;
  gboolean             more = TRUE;

  assert_status (rf, 200);
  cursor = w->admin_cursor;
  new_on_server (w);

  /* Too long: set aside, with the field and the limit in the reason. */
  {
    g_autofree char *id = dft_uuid_v7_new ();
    DftChange       *change = manual_change (w->trainer_a, NULL, "submission", id, "form_id", form);
    g_autoptr (Response) r = NULL;

    json_object_set_string_member (change->fields, "event_id", w->event_a);
    json_object_set_string_member (change->fields, "status", "draft");
    json_object_set_string_member (change->fields, "answers", huge);
    r = push_one (&w->server, w->trainer_a, change);
    assert_refused_alone (w, r, 1);
    g_assert_nonnull (
        strstr (json_object_get_string_member (
                    json_array_get_object_element (
                        json_object_get_array_member (reply_object (r), "set_aside"), 0),
                    "reason"),
                "answers"));
  }
  {
    g_autoptr (Response) r
        = push_one (&w->server, w->trainer_a,
                    manual_change (w->trainer_a, NULL, "event", w->event_a, "title", long_name));
    assert_refused_alone (w, r, 1);
  }
  /* Answers that are not JSON are bad input, not a server failure. */
  {
    g_autofree char *id = dft_uuid_v7_new ();
    DftChange       *change = manual_change (w->trainer_a, NULL, "submission", id, "form_id", form);
    g_autoptr (Response) r = NULL;

    json_object_set_string_member (change->fields, "event_id", w->event_a);
    json_object_set_string_member (change->fields, "status", "draft");
    json_object_set_string_member (change->fields, "answers", "{not json");
    r = push_one (&w->server, w->trainer_a, change);
    assert_refused_alone (w, r, 1);
  }

  /* Large but allowed: six of nearly 2 MB, one push each. */
  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *id = dft_uuid_v7_new ();
      DftChange *change = manual_change (w->trainer_a, NULL, "submission", id, "form_id", form);
      g_autoptr (Response) r = NULL;

      json_object_set_string_member (change->fields, "event_id", w->event_a);
      json_object_set_string_member (change->fields, "status", "draft");
      json_object_set_string_member (change->fields, "answers", large);
      r = push_one (&w->server, w->trainer_a, change);
      assert_status (r, 200);
    }

  /* The team's coordinator pulls them in pages of a few megabytes, all of them. */
  while (more)
    {
      g_autofree char *path
          = g_strdup_printf ("pull?after=%" G_GINT64_FORMAT "&limit=5000", cursor);
      g_autoptr (Response)   r = request (&w->server, "GET", path, w->coord_a->token, NULL);
      g_autoptr (JsonObject) top = NULL;
      g_autoptr (GPtrArray)  page = NULL;
      g_autoptr (GError)     error = NULL;
      g_autoptr (GBytes)     json = NULL;

      assert_status (r, 200);
      json = dft_wire_gunzip (r->body, DFT_WIRE_MAX_JSON, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (g_bytes_get_size (json), <=, 4 * 1024 * 1024 + DFT_FIELD_MAX_JSON + 4096);
      page = dft_wire_decode_batch (json, &top, &error);
      g_assert_no_error (error);
      cursor = json_object_get_int_member (top, "cursor");
      more = json_object_get_boolean_member (top, "more");
      for (guint i = 0; i < page->len; i++)
        received += g_str_equal (((DftChange *) g_ptr_array_index (page, i))->entity, "submission");
      pages++;
    }
  g_test_message ("6 submissions of %zu bytes in %u pages", strlen (large), pages);
  g_assert_cmpuint (received, >=, 6);
  g_assert_cmpuint (pages, >=, 3);
  new_on_server (w);
}

/* ---- Cross-team property ----------------------------------------------- */

typedef struct
{
  GRand      *rand;
  GPtrArray  *pool[6]; /* ids to draw from, by Pick */
  GHashTable *theirs;  /* "entity/id" of team B's records: never changed, never shown to team A */
} Draw;

typedef enum
{
  PICK_EVENT,   /* team A's workshop, team B's, or a new one */
  PICK_PERSON,  /* team A's person, team B's, or a new one */
  PICK_SESSION, /* a session of either workshop */
  PICK_FORM,
  PICK_ANY, /* any record of either team */
  PICK_ENTITY,
} Pick;

static const char *
draw (Draw *d, Pick pick)
{
  GPtrArray *pool = d->pool[pick];

  return g_ptr_array_index (pool, g_rand_int_range (d->rand, 0, (gint32) pool->len));
}

/* One change a team-A trainer's device might send, honest or hostile. */
static DftChange *
random_change (World *w, Draw *d)
{
  Device          *self = w->trainer_a;
  const char      *person = draw (d, PICK_PERSON);
  g_autofree char *text = g_strdup_printf ("value %u", g_rand_int (d->rand));
  DftChange       *change = NULL;

  switch (g_rand_int_range (d->rand, 0, 8))
    {
    case 0:
      change = manual_change (self, NULL, "event", draw (d, PICK_EVENT), "title", text);
      break;
    case 1:
      change = manual_change (self, NULL, "person", person,
                              g_rand_boolean (d->rand) ? "phone" : "family_name", text);
      break;
    case 2:
      {
        const char      *event = draw (d, PICK_EVENT);
        g_autofree char *id = dft_enrollment_id_for (event, person);

        change = manual_change (self, NULL, "enrollment", id, "event_id", event);
        json_object_set_string_member (change->fields, "person_id", person);
        json_object_set_string_member (change->fields, "role", "participant");
        break;
      }
    case 3:
      {
        const char      *session = draw (d, PICK_SESSION);
        g_autofree char *id = dft_attendance_id_for (session, person);

        change = manual_change (self, NULL, "attendance", id, "session_id", session);
        json_object_set_string_member (change->fields, "person_id", person);
        json_object_set_string_member (change->fields, "status", "present");
        break;
      }
    case 4:
      /* Move a session, or an existing record, to another workshop. */
      change = manual_change (self, NULL, g_rand_boolean (d->rand) ? "session" : "enrollment",
                              draw (d, PICK_ANY), "event_id", draw (d, PICK_EVENT));
      break;
    case 5:
      {
        g_autofree char *id = dft_uuid_v7_new ();

        change = manual_change (self, NULL, "conflict", id, "entity_name", draw (d, PICK_ENTITY));
        json_object_set_string_member (change->fields, "record_id", draw (d, PICK_ANY));
        json_object_set_string_member (change->fields, "field", "title");
        json_object_set_string_member (change->fields, "lost_value", "\"x\"");
        break;
      }
    case 6:
      {
        g_autofree char *id = dft_uuid_v7_new ();

        change = manual_change (self, NULL, "submission", id, "form_id", draw (d, PICK_FORM));
        json_object_set_string_member (change->fields, "event_id", draw (d, PICK_EVENT));
        json_object_set_string_member (change->fields, "person_id", person);
        json_object_set_string_member (change->fields, "status", "draft");
        json_object_set_string_member (change->fields, "answers", "{}");
        break;
      }
    default:
      change = manual_change (self, NULL, "person", person, "given_name", text);
      json_object_set_boolean_member (change->fields, "deleted", g_rand_boolean (d->rand));
      break;
    }
  return change;
}

static void
add_ids (GPtrArray *pool, GHashTable *set, DftStore *store, const DftEntity *entity)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) records = _dft_store_query (store, entity, NULL, NULL, NULL, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < records->len; i++)
    {
      const char *id = dft_record_get_id (g_ptr_array_index (records, i));

      g_ptr_array_add (pool, g_strdup (id));
      if (set != NULL)
        g_hash_table_add (set, g_strconcat (entity->name, "/", id, NULL));
    }
}

/* Every record id in a pull from the start that is one of team B's. */
static gboolean
is_theirs (GHashTable *theirs, DftChange *change)
{
  g_autofree char *key = g_strconcat (change->entity, "/", change->record_id, NULL);

  return g_hash_table_contains (theirs, key);
}

static guint
count_theirs (World *w, Device *device, GHashTable *theirs)
{
  Pulled pulled = pull_all (&w->server, device, 0, 1000);
  guint  n = 0;

  for (guint i = 0; i < pulled.changes->len; i++)
    {
      DftChange *change = g_ptr_array_index (pulled.changes, i);

      if (is_theirs (theirs, change))
        {
          g_test_message ("%s sees %s %s", device->name, change->entity, change->record_id);
          n++;
        }
    }
  g_ptr_array_unref (pulled.changes);
  return n;
}

/*
 * Random batches from a team-A trainer's device, honest and hostile mixed (changes to team B's
 * people and workshops, enrolments and marks that name them, records moved between workshops,
 * conflicts about them, submissions that point at them): whatever the server accepts, no
 * record of team B's changes, and nothing of team B's reaches team A. DAFTARI_SCOPE_SEED
 * repeats a run; DAFTARI_SCOPE_BATCHES sets how many batches.
 */
static void
test_cross_team_property (void)
{
  World             *w = get_world ();
  const char        *seed_env = g_getenv ("DAFTARI_SCOPE_SEED");
  const char        *batches_env = g_getenv ("DAFTARI_SCOPE_BATCHES");
  guint32            seed = seed_env != NULL ? (guint32) g_ascii_strtoull (seed_env, NULL, 10)
                                             : (guint32) g_test_rand_int ();
  guint              batches = batches_env != NULL ? (guint) atoi (batches_env) : 300;
  Draw               d = { g_rand_new_with_seed (seed) };
  guint              accepted = 0;
  static const char *entities[] = { "event", "person", "session", "enrollment", "attendance" };

  g_test_message ("seed %u (DAFTARI_SCOPE_SEED=%u repeats this run)", seed, seed);
  for (guint i = 0; i < G_N_ELEMENTS (d.pool); i++)
    d.pool[i] = g_ptr_array_new_with_free_func (g_free);
  d.theirs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  /* Team B's side: everything trainer B's device has pushed. */
  add_ids (d.pool[PICK_EVENT], d.theirs, w->trainer_b->store, &dft_entity_event);
  add_ids (d.pool[PICK_PERSON], d.theirs, w->trainer_b->store, &dft_entity_person);
  add_ids (d.pool[PICK_SESSION], d.theirs, w->trainer_b->store, &dft_entity_session);
  add_ids (d.pool[PICK_ANY], d.theirs, w->trainer_b->store, &dft_entity_enrollment);
  add_ids (d.pool[PICK_ANY], d.theirs, w->trainer_b->store, &dft_entity_session);
  {
    g_autoptr (Response) r = push_own (&w->server, w->trainer_b);
    assert_status (r, 200);
  }
  /* Team A's side, and records nobody has yet. */
  add_ids (d.pool[PICK_EVENT], NULL, w->trainer_a->store, &dft_entity_event);
  add_ids (d.pool[PICK_PERSON], NULL, w->trainer_a->store, &dft_entity_person);
  add_ids (d.pool[PICK_SESSION], NULL, w->trainer_a->store, &dft_entity_session);
  add_ids (d.pool[PICK_ANY], NULL, w->trainer_a->store, &dft_entity_enrollment);
  add_ids (d.pool[PICK_ANY], NULL, w->trainer_a->store, &dft_entity_person);
  add_ids (d.pool[PICK_FORM], NULL, w->admin->store, &dft_entity_form);
  for (guint i = 0; i < 3; i++)
    {
      g_ptr_array_add (d.pool[PICK_EVENT], dft_uuid_v7_new ());
      g_ptr_array_add (d.pool[PICK_PERSON], dft_uuid_v7_new ());
    }
  if (d.pool[PICK_FORM]->len == 0)
    g_ptr_array_add (d.pool[PICK_FORM], dft_uuid_v7_new ());
  for (guint i = 0; i < G_N_ELEMENTS (entities); i++)
    g_ptr_array_add (d.pool[PICK_ENTITY], g_strdup (entities[i]));
  /* Records of team B's that a coordinator of every team shared with team A earlier in this
   * program are team A's to see: they are not what this test guards. */
  {
    Pulled seen = pull_all (&w->server, w->coord_a, 0, 1000);

    for (guint i = 0; i < seen.changes->len; i++)
      {
        DftChange       *change = g_ptr_array_index (seen.changes, i);
        g_autofree char *key = g_strconcat (change->entity, "/", change->record_id, NULL);

        g_hash_table_remove (d.theirs, key);
      }
    g_ptr_array_unref (seen.changes);
  }
  g_assert_cmpuint (g_hash_table_size (d.theirs), >=, 4);
  {
    g_autofree char *key = g_strconcat ("person/", w->person_b, NULL);
    g_assert_true (g_hash_table_contains (d.theirs, key));
  }
  new_on_server (w);
  g_assert_cmpuint (count_theirs (w, w->trainer_a, d.theirs), ==, 0);

  for (guint b = 0; b < batches; b++)
    {
      g_autoptr (GPtrArray) changes
          = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
      g_autoptr (Response) r = NULL;
      Pulled               stored;
      guint                n = (guint) g_rand_int_range (d.rand, 1, 5);

      for (guint c = 0; c < n; c++)
        g_ptr_array_add (changes, random_change (w, &d));
      r = push_changes (&w->server, w->trainer_a, changes);
      g_assert_true (r->status == 200 || r->status == 403 || r->status == 400);
      accepted += r->status == 200;

      /* What the server stored of it touches none of team B's records. */
      stored = pull_all (&w->server, w->admin, w->admin_cursor, 1000);
      w->admin_cursor = stored.cursor;
      if (r->status != 200)
        g_assert_cmpuint (stored.changes->len, ==, 0);
      for (guint i = 0; i < stored.changes->len; i++)
        {
          DftChange *change = g_ptr_array_index (stored.changes, i);

          if (is_theirs (d.theirs, change))
            g_error ("seed %u, batch %u: team A changed team B's %s %s", seed, b, change->entity,
                     change->record_id);
        }
      g_ptr_array_unref (stored.changes);
    }

  /* And none of team B's records reaches team A, trainer or coordinator. */
  g_assert_cmpuint (count_theirs (w, w->trainer_a, d.theirs), ==, 0);
  g_assert_cmpuint (count_theirs (w, w->coord_a, d.theirs), ==, 0);
  g_test_message ("seed %u: %u batches, %u accepted, none reached team B's %u records", seed,
                  batches, accepted, g_hash_table_size (d.theirs));
  g_assert_cmpuint (accepted, >, 0);

  for (guint i = 0; i < G_N_ELEMENTS (d.pool); i++)
    g_ptr_array_unref (d.pool[i]);
  g_hash_table_unref (d.theirs);
  g_rand_free (d.rand);
}

static void
test_admin_command (void)
{
  World           *w = get_world ();
  g_autofree char *out = NULL;
  g_autofree char *bad_config
      = g_build_filename (dft_test_server_get_dir (w->server.process), "bad.conf", NULL);
  g_autofree char *pw_file
      = g_build_filename (dft_test_server_get_dir (w->server.process), "password.txt", NULL);
  g_autoptr (GError) error = NULL;

  /* Usage errors exit 2, failures 1. */
  g_assert_cmpint (dft_test_server_admin_status (w->server.process, NULL, NULL, "frobnicate", NULL),
                   ==, 2);
  g_assert_cmpint (
      dft_test_server_admin_status (w->server.process, NULL, NULL, "create-team", NULL), ==, 2);
  g_assert_cmpint (dft_test_server_admin_status (w->server.process, "long enough password\n", NULL,
                                                 "create-account", "--username", "x", "--role",
                                                 "king", NULL),
                   ==, 2);
  g_assert_cmpint (
      dft_test_server_admin_status (w->server.process, NULL, NULL, "create-team", "Team A", NULL),
      ==, 1);
  g_assert_cmpint (dft_test_server_admin_status (w->server.process, "short\n", NULL,
                                                 "create-account", "--username", "shorty", "--role",
                                                 "trainer", "--team", "Team A", NULL),
                   ==, 1);
  g_assert_cmpint (dft_test_server_admin_status (w->server.process, "long enough password\n", NULL,
                                                 "create-account", "--username", "teamless",
                                                 "--role", "trainer", NULL),
                   ==, 1);
  g_assert_cmpint (dft_test_server_admin_status (w->server.process, "long enough password\n", NULL,
                                                 "create-account", "--username", "root", "--role",
                                                 "admin", NULL),
                   ==, 1);
  g_assert_cmpint (dft_test_server_admin_status (w->server.process, NULL, NULL,
                                                 "make-enrolment-code", "--team", "Nowhere", NULL),
                   ==, 1);
  g_assert_cmpint (dft_test_server_admin_status (w->server.process, NULL, NULL,
                                                 "make-enrolment-code", "--team", "Team A",
                                                 "--role", "admin", NULL),
                   ==, 2);

  /* A password from a file. */
  g_file_set_contents (pw_file, "password from a file\n", -1, &error);
  g_assert_no_error (error);
  out = dft_test_server_admin (w->server.process, NULL, "create-account", "--username", "filed",
                               "--role", "trainer", "--team", "Team B", "--password-file", pw_file,
                               NULL);
  g_assert_nonnull (strstr (out, "filed\ttrainer\tTeam B"));
  {
    Device              *device = device_new ("filed laptop");
    g_autoptr (Response) r = login (&w->server, device, "filed", "password from a file");
    assert_status (r, 200);
    g_ptr_array_add (w->secrets, g_strdup ("password from a file"));
    g_ptr_array_add (w->secrets,
                     g_strdup (json_object_get_string_member (reply_object (r), "token")));
    device_free (device);
  }
  g_clear_pointer (&out, g_free);
  out = dft_test_server_admin (w->server.process, NULL, "list-teams", NULL);
  g_assert_nonnull (strstr (out, "Team A"));
  g_assert_nonnull (strstr (out, "Team B"));

  /* A configuration with a typing error is refused. */
  g_file_set_contents (bad_config, "[server]\nprot=8080\ndata=data\n", -1, &error);
  g_assert_no_error (error);
  {
    g_autoptr (GSubprocess) p = g_subprocess_new (
        G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
        dft_test_server_binary (), "serve", "--config", bad_config, NULL);
    g_assert_no_error (error);
    g_subprocess_wait (p, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 1);
  }

  /* Plain HTTP on an address other than loopback is refused, with the way out in the message,
   * unless the file says the network is a closed one (checked on reading, listening on
   * nothing). */
  {
    static const char *const configs[][2] = {
      { "[server]\nlisten=0.0.0.0\ndata=data\n", "allow-plain-http=lan" },
      { "[server]\nlisten=::\ndata=data\nallow-plain-http=no\n", "tls-certificate" },
      { "[server]\nlisten=127.0.0.1\ndata=data\nallow-plain-http=maybe\n", "“no” or “lan”" },
      /* Issue 20: the accounts database is SQLite or a PostgreSQL URI, nothing else. */
      { "[server]\nlisten=127.0.0.1\ndata=data\nstorage=mysql://db/daftari\n",
        "line 4, the setting “storage” is wrong" },
      /* Several processes share their register through PostgreSQL only (tests/test-cluster.c). */
      { "[server]\nlisten=127.0.0.1\ndata=data\ncluster=yes\n", "storage=postgresql://" },
      { "[server]\nlisten=127.0.0.1\ndata=data\ncluster=maybe\n", "“no” or “yes”" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (configs); i++)
      {
        g_autoptr (GSubprocess) p = NULL;
        g_autofree char        *err = NULL;

        g_file_set_contents (bad_config, configs[i][0], -1, &error);
        g_assert_no_error (error);
        p = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                              &error, dft_test_server_binary (), "serve", "--config", bad_config,
                              NULL);
        g_assert_no_error (error);
        g_subprocess_communicate_utf8 (p, NULL, NULL, NULL, &err, &error);
        g_assert_no_error (error);
        g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 1);
        if (strstr (err, configs[i][1]) == NULL)
          g_error ("“%s” does not mention %s", err, configs[i][1]);
      }
    /* A closed network, said so: the file is accepted (an admin command reads it). */
    g_file_set_contents (bad_config, "[server]\nlisten=0.0.0.0\ndata=data\nallow-plain-http=lan\n",
                         -1, &error);
    g_assert_no_error (error);
    {
      g_autoptr (GSubprocess) p = g_subprocess_new (
          G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
          dft_test_server_binary (), "admin", "--config", bad_config, "list-teams", NULL);

      g_assert_no_error (error);
      g_subprocess_wait (p, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 0);
    }
  }
}

/*
 * Issue 20: a device past its rate limit is answered 429 with Retry-After and nothing of the
 * request is done; GET /metrics counts requests, changes and refusals, and names no device.
 */
static void
test_rate_limit_and_metrics (void)
{
  Server               server = { 0 };
  Device              *device = device_new ("eager laptop");
  g_autoptr (Response) metrics = NULL;
  const char          *text;
  guint                limited = 0, ok = 0;

  /* One request a second, bursts of ten; an address ten a second. */
  server.process = dft_test_server_new (NULL, "rate-limit=1\n", DFT_TEST_SERVER_DEFAULT);
  dft_test_server_add_account (server.process, "eager", "trainer", "Eager", "eager password 1");
  dft_test_server_start (server.process);
  {
    g_autoptr (Response) lr = login (&server, device, "eager", "eager password 1");
    assert_status (lr, 200);
    device->token = g_strdup (json_object_get_string_member (reply_object (lr), "token"));
  }
  for (guint i = 0; i < 15; i++)
    {
      g_autoptr (Response) r = request (&server, "GET", "device-keys", device->token, NULL);

      if (r->status == 429)
        {
          const char *retry = g_hash_table_lookup (r->headers, "retry-after");

          limited++;
          assert_error (r, 429, "too_many_requests");
          g_assert_nonnull (retry);
          g_assert_cmpuint (g_ascii_strtoull (retry, NULL, 10), >=, 1);
        }
      else
        {
          assert_status (r, 200);
          ok++;
        }
    }
  /* The burst and what refilled while the requests went out, then refusals. */
  g_assert_cmpuint (ok, >=, 10);
  g_assert_cmpuint (limited, >=, 1);

  metrics = request (&server, "GET", "metrics", NULL, NULL);
  g_assert_cmpuint (metrics->status, ==, 200);
  g_assert_true (
      g_str_has_prefix (g_hash_table_lookup (metrics->headers, "content-type"), "text/plain"));
  text = g_bytes_get_data (metrics->body, NULL);
  {
    g_autofree char *copy = g_strndup (text, g_bytes_get_size (metrics->body));
    g_autofree char *ok_line = g_strdup_printf (
        "daftari_requests_total{endpoint=\"device-keys\",status=\"200\"} %u\n", ok);
    g_autofree char *limited_line = g_strdup_printf ("daftari_rate_limited_total %u\n", limited);

    g_assert_nonnull (strstr (copy, ok_line));
    g_assert_nonnull (strstr (copy, limited_line));
    g_assert_nonnull (strstr (copy, "daftari_devices_seen 1\n"));
    g_assert_nonnull (strstr (copy, "daftari_push_duration_seconds_count"));
    g_assert_null (strstr (copy, device_id (device)));
  }
  dft_test_server_free (server.process);
  device_free (device);
}

/* Stopped the moment it says it listens (a supervisor, a test), the server still stops
 * cleanly with status 0: the signal waits for its handler instead of killing it. Before, most
 * such stops killed it outright. */
static void
test_stop_at_once (void)
{
  for (guint i = 0; i < 10; i++)
    {
      DftTestServer *server = dft_test_server_new (NULL, NULL, DFT_TEST_SERVER_DEFAULT);

      dft_test_server_start (server);
      /* Asserts that it exited, with status 0. */
      dft_test_server_stop (server);
      dft_test_server_free (server);
    }
}

/*
 * A pull's thread lets go of its request only after the reply went, and a SIGTERM may come in
 * between: the server still stops at once, its store closed whole. It once waited for that
 * thread from inside it, for ever, and left the store open (and its write-ahead log beside it)
 * when a busy machine made the gap long enough; DAFTARI_SERVER_TEST_TASK_LINGER_MS makes it
 * long every time.
 */
static void
test_stop_after_pool_thread (void)
{
  Server             server = { 0 };
  Device            *device = device_new ("pulling laptop");
  g_autofree char   *wal = NULL;
  g_autoptr (GTimer) timer = NULL;

  server.process = dft_test_server_new (NULL, NULL, DFT_TEST_SERVER_DEFAULT);
  dft_test_server_add_account (server.process, "puller", "trainer", "Pullers", "puller password 1");
  g_setenv ("DAFTARI_SERVER_TEST_TASK_LINGER_MS", "1500", TRUE);
  dft_test_server_start (server.process);
  g_unsetenv ("DAFTARI_SERVER_TEST_TASK_LINGER_MS");
  {
    g_autoptr (Response) lr = login (&server, device, "puller", "puller password 1");
    assert_status (lr, 200);
    device->token = g_strdup (json_object_get_string_member (reply_object (lr), "token"));
  }
  {
    g_autoptr (Response) r = request (&server, "GET", "pull", device->token, NULL);
    assert_status (r, 200);
  }
  timer = g_timer_new ();
  dft_test_server_stop (server.process);
  g_test_message ("stopped in %.1f s", g_timer_elapsed (timer, NULL));
  wal = g_build_filename (dft_test_server_get_dir (server.process), "data", "records.db-wal", NULL);
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
  device_free (device);
  dft_test_server_free (server.process);
}

/*
 * POST purged (sync/PROTOCOL.md, "Purge") takes {"ids": [ids of people]} and nothing else, at
 * most 1000 ids: any other body is a clear 400 or 413, and a well-formed question about people
 * the server never purged is answered with none of them.
 */
static void
test_purged_bad_input (void)
{
  Server              server = { 0 };
  Device             *device = device_new ("asking laptop");
  g_autofree char    *id = dft_uuid_v7_new ();
  g_autofree char    *one = g_strdup_printf ("{\"ids\": [\"%s\"]}", id);
  g_autoptr (GString) many = g_string_new ("{\"ids\": [");
  const char *const   bad[] = {
      "",
      "[]",
      "{}",
      "{\"ids\": \"x\"}",
      "{\"ids\": [\"not an id\"]}",
      "{\"ids\": [7]}",
      "{\"ids\": [], \"more\": 1}",
      "{\"ids\": []} {\"ids\": []}",
  };

  server.process = dft_test_server_new (NULL, NULL, DFT_TEST_SERVER_DEFAULT);
  dft_test_server_add_account (server.process, "asker", "trainer", "Asker", "asker password 1");
  dft_test_server_start (server.process);
  {
    g_autoptr (Response) lr = login (&server, device, "asker", "asker password 1");
    assert_status (lr, 200);
    device->token = g_strdup (json_object_get_string_member (reply_object (lr), "token"));
  }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (Response) r = request (&server, "POST", "purged", device->token, bad[i]);

      g_test_message ("body %s", bad[i]);
      assert_error (r, 400, "bad_request");
    }
  for (guint i = 0; i <= 1000; i++)
    {
      g_autofree char *each = dft_uuid_v7_new ();
      g_string_append_printf (many, "%s\"%s\"", i > 0 ? ", " : "", each);
    }
  g_string_append (many, "]}");
  {
    g_autoptr (Response) r = request (&server, "POST", "purged", device->token, many->str);
    assert_error (r, 413, "too_large");
  }
  {
    g_autoptr (Response) r = request (&server, "POST", "purged", NULL, one);
    assert_error (r, 401, "unauthorized");
  }
  {
    g_autoptr (Response) r = request (&server, "POST", "purged", device->token, one);
    JsonArray           *purged;

    assert_status (r, 200);
    purged = json_object_get_array_member (reply_object (r), "purged");
    g_assert_nonnull (purged);
    g_assert_cmpuint (json_array_get_length (purged), ==, 0);
  }
  dft_test_server_stop (server.process);
  device_free (device);
  dft_test_server_free (server.process);
}

/* A push under way when SIGTERM arrives is finished and answered; then the server exits 0. */
static void
test_sigterm_in_flight (void)
{
  Server                server = { 0 };
  Device               *device = device_new ("busy laptop");
  g_autoptr (GError)    error = NULL;
  g_autoptr (GIOStream) stream = NULL;
  g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) changes = NULL;
  g_autoptr (GBytes)    gz = NULL;
  g_autoptr (GBytes)    raw = NULL;
  g_autoptr (Response)  r = NULL;
  g_autofree char      *head = NULL;
  gsize                 length;
  const char           *data;

  server.process = dft_test_server_new (NULL, NULL, DFT_TEST_SERVER_DEFAULT);
  dft_test_server_add_account (server.process, "busy", "trainer", "Busy", "busy trainer password");
  dft_test_server_start (server.process);
  {
    g_autoptr (Response) lr = login (&server, device, "busy", "busy trainer password");
    assert_status (lr, 200);
    device->token = g_strdup (json_object_get_string_member (reply_object (lr), "token"));
  }

  /* Enough work for the server to be busy with it for a while. */
  for (guint i = 0; i < 40; i++)
    g_ptr_array_add (records,
                     dft_test_add_event (device->store, "Workshop", "2025-01-06", "2025-01-31"));
  changes = own_changes (device);
  gz = batch_gzip (changes);
  data = g_bytes_get_data (gz, &length);
  g_test_message ("%u changes, %zu bytes", changes->len, length);

  stream = server_connect (&server, &error);
  g_assert_no_error (error);
  head = g_strdup_printf ("POST /api/v1/push HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                          "Authorization: Bearer %s\r\nContent-Encoding: gzip\r\n"
                          "Content-Length: %zu\r\n\r\n",
                          device->token, length);
  g_output_stream_write_all (g_io_stream_get_output_stream (stream), head, strlen (head), NULL,
                             NULL, &error);
  g_output_stream_write_all (g_io_stream_get_output_stream (stream), data, length, NULL, NULL,
                             &error);
  g_assert_no_error (error);
  g_usleep (20 * 1000);
  dft_test_server_begin_stop (server.process);
  raw = read_all (g_io_stream_get_input_stream (stream));
  r = parse_response (raw);
  assert_daftari (r);
  g_test_message ("the push under way was answered %u", r->status);
  g_assert_true (r->status == 200 || r->status == 503);
  dft_test_server_stop (server.process);

  /* Started again, the server holds what it acknowledged. */
  dft_test_server_start (server.process);
  {
    g_autoptr (Response) again = push_changes (&server, device, changes);
    assert_status (again, 200);
    if (r->status == 200)
      g_assert_cmpint (json_object_get_int_member (reply_object (again), "duplicates"), ==,
                       changes->len);
  }
  dft_test_server_stop (server.process);
  {
    /* Closed cleanly: the write-ahead logs are folded in and gone. */
    const char      *dir = dft_test_server_get_dir (server.process);
    g_autofree char *wal = g_build_filename (dir, "data", "records.db-wal", NULL);
    g_autofree char *wal2 = g_build_filename (dir, "data", "accounts.db-wal", NULL);
    g_autofree char *log = NULL;

    /* What the server said about its stop is what tells why a log was left. */
    if ((g_file_test (wal, G_FILE_TEST_EXISTS) || g_file_test (wal2, G_FILE_TEST_EXISTS))
        && g_file_get_contents (dft_test_server_get_log (server.process), &log, NULL, NULL))
      g_test_message ("the server's log:\n%s", log);
    g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
    g_assert_false (g_file_test (wal2, G_FILE_TEST_EXISTS));
  }
  device_free (device);
  dft_test_server_free (server.process);
}

static void
test_tls (void)
{
  Server             server = { 0 };
  g_autofree char   *openssl = g_find_program_in_path ("openssl");
  g_autofree char   *cert = NULL;
  g_autofree char   *key = NULL;
  g_autofree char   *extra = NULL;
  g_autofree char   *dir = NULL;
  g_autoptr (GError) error = NULL;
  int                status = 0;

  if (openssl == NULL)
    {
      g_test_skip ("openssl is not installed: no certificate to test TLS with");
      return;
    }
  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    {
      g_test_skip ("GLib has no TLS backend here (glib-networking is not installed)");
      return;
    }

  /* The key beside the configuration, named relative to it. */
  dir = dft_test_make_dir ();
  cert = g_build_filename (dir, "cert.pem", NULL);
  key = g_build_filename (dir, "key.pem", NULL);
  {
    const char *argv[] = { openssl,
                           "req",
                           "-x509",
                           "-newkey",
                           "ec",
                           "-pkeyopt",
                           "ec_paramgen_curve:prime256v1",
                           "-nodes",
                           "-subj",
                           "/CN=127.0.0.1",
                           "-days",
                           "2",
                           "-keyout",
                           key,
                           "-out",
                           cert,
                           NULL };
    g_spawn_sync (NULL, (char **) argv, NULL,
                  G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                  &status, &error);
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
  }
  extra = g_strdup_printf ("tls-certificate=%s\ntls-key=key.pem\n", cert);
  server.process = dft_test_server_new (dir, extra, DFT_TEST_SERVER_TLS);
  server.certificate = g_tls_certificate_new_from_file (cert, &error);
  g_assert_no_error (error);
  dft_test_server_start (server.process);
  assert_healthy (&server);
  {
    /* Plain HTTP to the TLS port gets no Daftari reply. */
    g_autoptr (GSocketClient)     client = g_socket_client_new ();
    g_autoptr (GSocketConnection) connection = g_socket_client_connect_to_host (
        client, "127.0.0.1", dft_test_server_get_port (server.process), NULL, &error);
    const char *head
        = "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    g_autoptr (GBytes) raw = NULL;

    g_assert_no_error (error);
    g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), head,
                               strlen (head), NULL, NULL, NULL);
    raw = read_all (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
    if (g_bytes_get_size (raw) > 0)
      g_assert_null (g_strstr_len (g_bytes_get_data (raw, NULL), (gssize) g_bytes_get_size (raw),
                                   "X-Daftari-Server"));
  }
  dft_test_server_free (server.process);
  g_clear_object (&server.certificate);
  dft_test_dir_free (g_steal_pointer (&dir));
}

typedef struct
{
  const char *log;  /* the server's log file */
  const char *line; /* what a line of it must hold */
} LogWait;

static gboolean
log_has_line (gpointer data)
{
  LogWait         *wait = data;
  g_autofree char *log = NULL;

  return g_file_get_contents (wait->log, &log, NULL, NULL) && strstr (log, wait->line) != NULL;
}

/*
 * Issue 19: a push whose body the client's link cut is not a server error. The log says whose
 * push it was and how much of it came, at the level of any request, with no status 500.
 */
static void
test_cut_push_logged (void)
{
  World                *w = get_world ();
  g_autoptr (GError)    error = NULL;
  g_autoptr (GIOStream) stream = server_connect (&w->server, &error);
  g_autofree char      *head = NULL;
  g_autofree char      *line = NULL;
  g_autofree char      *log = NULL;
  g_auto (GStrv)        lines = NULL;
  char                  body[3000];
  LogWait               wait = { dft_test_server_get_log (w->server.process), NULL };

  g_assert_no_error (error);
  head = g_strdup_printf ("POST /api/v1/push HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                          "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                          "Content-Encoding: gzip\r\nContent-Length: 10000\r\n\r\n",
                          dft_test_server_get_port (w->server.process), w->trainer_a->token);
  memset (body, 'x', sizeof body);
  g_output_stream_write_all (g_io_stream_get_output_stream (stream), head, strlen (head), NULL,
                             NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (stream), body, sizeof body, NULL, NULL,
                             &error);
  g_assert_no_error (error);
  g_output_stream_flush (g_io_stream_get_output_stream (stream), NULL, NULL);
  /* The link goes: the server holds 3,000 bytes of the 10,000 announced. */
  g_io_stream_close (stream, NULL, &error);
  g_assert_no_error (error);

  line = g_strdup_printf ("push from device %s cut by the client after 3000 bytes",
                          device_id (w->trainer_a));
  wait.line = line;
  dft_test_wait_until (log_has_line, &wait, "the cut push in the server's log");

  g_file_get_contents (wait.log, &log, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (log, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], "http_path=/api/v1/push") != NULL)
      g_assert_null (strstr (lines[i], "http_status=500"));
    else if (strstr (lines[i], line) != NULL)
      g_error ("the cut push is logged without its path: %s", lines[i]);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], line) != NULL)
      {
        g_test_message ("%s", lines[i]);
        g_assert_nonnull (strstr (lines[i], "level=notice"));
        g_assert_nonnull (strstr (lines[i], " http_status=cut"));
        g_assert_nonnull (strstr (lines[i], " body_bytes=3000"));
      }
}

/* ---- PostgreSQL away (issue 20) ----------------------------------------- */

/* A server of its own on a PostgreSQL of its own, which the test stops and starts. */
static DftTestPg *
postgresql_server (Server *server)
{
  const char      *why = dft_test_pg_unavailable ();
  DftTestPg       *pg;
  g_autofree char *uri = NULL;
  g_autofree char *extra = NULL;

  if (why != NULL)
    {
      g_test_skip (why);
      return NULL;
    }
  pg = dft_test_pg_new ();
  uri = dft_test_pg_create_database (pg);
  extra = g_strdup_printf ("storage=%s\n", uri);
  server->process = dft_test_server_new (NULL, extra, DFT_TEST_SERVER_DEFAULT);
  return pg;
}

/* Started before its database, the server says why it waits and is ready once it answers. */
static void
test_postgresql_down_at_start (void)
{
  Server                server = { 0 };
  g_autoptr (DftTestPg) pg = postgresql_server (&server);
  g_autofree char      *out = NULL;
  g_autofree char      *log = NULL;
  LogWait               wait = { NULL, "trying again" };

  if (pg == NULL)
    return;
  dft_test_pg_stop (pg);

  /* An admin command does not wait: it says at once that the database does not answer. */
  g_assert_cmpint (dft_test_server_admin_status (server.process, NULL, &out, "list-teams", NULL),
                   !=, 0);
  g_test_message ("%s", out);

  dft_test_server_begin_start (server.process);
  wait.log = dft_test_server_get_log (server.process);
  dft_test_wait_until (log_has_line, &wait, "the server saying it waits for its database");
  g_file_get_contents (wait.log, &log, NULL, NULL);
  g_test_message ("%s", log);
  /* Why (libpq's words), and where. */
  g_assert_nonnull (strstr (log, "does not answer"));
  g_assert_nonnull (strstr (log, "No such file or directory"));

  dft_test_pg_start (pg);
  dft_test_server_finish_start (server.process);
  assert_healthy (&server);
  dft_test_server_add_account (server.process, "late", "admin", NULL, PASSWORD_ADMIN);
  dft_test_server_free (server.process);
}

/* SIGTERM ends the wait for the database at once, and the server exits 0. */
static void
test_postgresql_stop_while_waiting (void)
{
  Server                server = { 0 };
  g_autoptr (DftTestPg) pg = postgresql_server (&server);
  LogWait               wait = { NULL, "trying again in 4.0 s" };

  if (pg == NULL)
    return;
  dft_test_pg_stop (pg);
  dft_test_server_begin_start (server.process);
  wait.log = dft_test_server_get_log (server.process);
  /* Its fourth wait, longer than the ones before: the SIGTERM comes while it sleeps. */
  dft_test_wait_until (log_has_line, &wait, "the server waiting longer for its database");
  dft_test_server_stop (server.process);
  dft_test_server_free (server.process);
}

/* PostgreSQL gone while the server runs: 503 with Retry-After, no crash, then back to work. */
static void
test_postgresql_down_during_requests (void)
{
  Server                server = { 0 };
  g_autoptr (DftTestPg) pg = postgresql_server (&server);
  Device               *device;

  if (pg == NULL)
    return;
  dft_test_server_start (server.process);
  dft_test_server_add_account (server.process, "trainer", "trainer", "Team", PASSWORD_TRAINER_A);
  device = device_new ("pg-laptop");
  {
    g_autoptr (Response) r = login (&server, device, "trainer", PASSWORD_TRAINER_A);

    assert_status (r, 200);
    device->token = g_strdup (json_object_get_string_member (reply_object (r), "token"));
  }
  dft_test_add_event (device->store, "Written while the database was away", "2026-03-02",
                      "2026-03-03");

  dft_test_pg_stop (pg);
  {
    g_autoptr (Response) r = login (&server, device, "trainer", PASSWORD_TRAINER_A);
    g_autoptr (Response) push = push_own (&server, device);

    assert_error (r, 503, "unavailable");
    g_assert_nonnull (g_hash_table_lookup (r->headers, "retry-after"));
    assert_error (push, 503, "unavailable");
    g_assert_nonnull (g_hash_table_lookup (push->headers, "retry-after"));
    /* Asked twice, on a connection already known to be gone. */
    g_clear_pointer (&push, response_free);
    push = push_own (&server, device);
    assert_error (push, 503, "unavailable");
  }
  assert_healthy (&server);

  dft_test_pg_start (pg);
  {
    g_autoptr (Response) push = push_own (&server, device);
    g_autoptr (Response) r = login (&server, device, "trainer", PASSWORD_TRAINER_A);

    assert_status (push, 200);
    assert_status (r, 200);
  }
  {
    g_autofree char *log = NULL;

    g_file_get_contents (dft_test_server_get_log (server.process), &log, NULL, NULL);
    g_assert_nonnull (log);
    g_assert_null (strstr (log, "http_status=500"));
  }
  device_free (device);
  dft_test_server_free (server.process);
}

/* admin migrate-storage: a server on SQLite moved to PostgreSQL, its accounts working there. */
static void
test_postgresql_migrate_storage (void)
{
  const char           *why = dft_test_pg_unavailable ();
  g_autoptr (DftTestPg) pg = NULL;
  g_autofree char      *uri = NULL;
  g_autofree char      *extra = NULL;
  g_autofree char      *out = NULL;
  g_autofree char      *again = NULL;
  Server                sqlite = { 0 };
  Server                moved = { 0 };
  Device               *device;

  if (why != NULL)
    {
      g_test_skip (why);
      return;
    }
  pg = dft_test_pg_new ();
  uri = dft_test_pg_create_database (pg);
  sqlite.process = dft_test_server_new (NULL, "storage=sqlite\n", DFT_TEST_SERVER_DEFAULT);
  dft_test_server_add_account (sqlite.process, "trainer", "trainer", "Team", PASSWORD_TRAINER_A);
  g_free (dft_test_server_make_enrolment_code (sqlite.process, "Team"));
  /* It served (its register, records.db, is made at start): migrate-storage copies that too. */
  dft_test_server_start (sqlite.process);
  dft_test_server_stop (sqlite.process);

  out = dft_test_server_admin (sqlite.process, NULL, "migrate-storage", "--from", "sqlite", "--to",
                               uri, NULL);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "team\t1\tsha256:"));
  g_assert_nonnull (strstr (out, "account\t1\tsha256:"));
  g_assert_nonnull (strstr (out, "enrolment_code\t1\tsha256:"));
  g_assert_nonnull (strstr (out, "register_log\t0\tsha256:"));
  /* Never over a database that holds something. */
  g_assert_cmpint (dft_test_server_admin_status (sqlite.process, NULL, &again, "migrate-storage",
                                                 "--from", "sqlite", "--to", uri, NULL),
                   ==, 1);

  /* The same folder, the register still in it, the accounts now in PostgreSQL. */
  extra = g_strdup_printf ("storage=%s\n", uri);
  moved.process = dft_test_server_new (dft_test_server_get_dir (sqlite.process), extra,
                                       DFT_TEST_SERVER_DEFAULT);
  dft_test_server_start (moved.process);
  device = device_new ("moved-laptop");
  {
    g_autoptr (Response) r = login (&moved, device, "trainer", PASSWORD_TRAINER_A);

    assert_status (r, 200);
  }
  device_free (device);
  dft_test_server_free (moved.process);
  dft_test_server_free (sqlite.process);
}

/* Last: SIGTERM ends the server with 0, and its log holds requests but no secret. */
static void
test_shutdown_and_log (void)
{
  World             *w = get_world ();
  g_autofree char   *log = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv)     lines = NULL;
  guint              requests = 0;

  dft_test_server_stop (w->server.process);
  g_file_get_contents (dft_test_server_get_log (w->server.process), &log, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < w->secrets->len; i++)
    if (strstr (log, g_ptr_array_index (w->secrets, i)) != NULL)
      g_error ("the server log holds a secret (number %u)", i);
  g_assert_null (strstr (log, "Айбек"));
  g_assert_null (strstr (log, "Beridze"));

  lines = g_strsplit (log, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], "msg=request ") != NULL)
      {
        g_assert_nonnull (strstr (lines[i], " remote_addr=127.0.0.1"));
        g_assert_nonnull (strstr (lines[i], " http_method="));
        g_assert_nonnull (strstr (lines[i], " http_path=/api/v1/"));
        g_assert_nonnull (strstr (lines[i], " http_status="));
        g_assert_nonnull (strstr (lines[i], " duration_ms="));
        requests++;
      }
  g_test_message ("%u request lines", requests);
  g_assert_cmpuint (requests, >, 50);
  g_assert_nonnull (strstr (log, "device_id="));
  g_assert_nonnull (strstr (log, "error_code=forbidden"));
  g_assert_nonnull (strstr (log, "msg=stopped"));
}

typedef struct
{
  GPid  pid;
  guint limit;
} FdWait;

static gboolean
server_fds_at_most (gpointer data)
{
  FdWait *wait = data;

  /* One more is SQLite's: a connection closed while another of the process holds a lock on the
   * same file (the checkpoint thread's, closing during a read) leaves its descriptor open for
   * the next connection to reuse, and whether a checkpoint met a read is timing. A leak of one
   * a request shows as hundreds. */
  return dft_test_count_fds (wait->pid) <= wait->limit + 1;
}

/* One round of what devices do: look at the server, sign in a new device, push, pull. */
static void
device_round (World *w, guint i, gboolean sign_in)
{
  g_autoptr (Response) health = request (&w->server, "GET", "health", NULL, NULL);
  g_autofree char     *title = g_strdup_printf ("Border management %u", i);
  g_autoptr (Response) pushed
      = push_one (&w->server, w->trainer_a,
                  manual_change (w->trainer_a, NULL, "event", w->event_a, "title", title));
  g_autofree char     *path = g_strdup_printf ("pull?after=%" G_GINT64_FORMAT "&limit=50",
                                               MAX (w->admin_cursor, (gint64) 0));
  g_autoptr (Response) pulled = request (&w->server, "GET", path, w->trainer_a->token, NULL);

  assert_status (health, 200);
  assert_status (pushed, 200);
  assert_status (pulled, 200);
  if (sign_in)
    {
      g_autofree char *uuid = dft_uuid_v7_new ();
      g_autofree char *body
          = g_strdup_printf ("{\"username\":\"trainer-a\",\"password\":\"%s\",\"device_id\":\"%s\","
                             "\"device_name\":\"laptop %u\"}",
                             PASSWORD_TRAINER_A, uuid, i);
      g_autoptr (Response) login_reply = request (&w->server, "POST", "login", NULL, body);
      g_autoptr (Response) wrong
          = login (&w->server, w->trainer_b, "trainer-b", "not the password");

      assert_status (login_reply, 200);
      g_ptr_array_add (w->secrets, g_strdup (json_object_get_string_member (
                                       reply_object (login_reply), "token")));
      assert_error (wrong, 401, "unauthorized");
    }
}

/*
 * A server runs for months: what it opens for a request (a connection, a statement, a file)
 * is closed again, so its descriptors come back to where they were however many requests and
 * sign-ins it answered. A leak of one descriptor a request shows as hundreds here.
 */
static void
test_descriptors_stable (void)
{
  World *w = get_world ();
  FdWait wait = { dft_test_server_get_pid (w->server.process), 0 };
  guint  rounds = g_test_slow () ? 1000 : 200;

  /* Warm up: whatever the server opens once (its pools, its statements) is open after this. */
  for (guint i = 0; i < 10; i++)
    device_round (w, i, TRUE);
  wait.limit = dft_test_count_fds (wait.pid);
  g_test_message ("the server holds %u descriptors after warming up", wait.limit);

  for (guint i = 0; i < rounds; i++)
    device_round (w, i, i % 10 == 0);
  /* Connections close when the server has seen the client go: wait for it, not for a time. */
  dft_test_wait_until (server_fds_at_most, &wait, "the server's descriptors to come back");
  g_test_message ("and %u after %u more rounds", dft_test_count_fds (wait.pid), rounds);
}

/* ---- Pulls beside a push (issue 19) -------------------------------------- */

/* The folder the server's test gate watches (_dft_server_test_push_gate()). */
static char *push_gate_dir;

typedef struct
{
  Server    *server;
  Device    *device;
  DftChange *change;
  Response  *response;
  gint       done; /* atomic */
} InFlight;

static gpointer
push_in_flight_thread (gpointer data)
{
  InFlight *f = data;

  f->response = push_one (f->server, f->device, f->change);
  g_atomic_int_set (&f->done, 1);
  return NULL;
}

static gpointer
pull_in_flight_thread (gpointer data)
{
  InFlight *f = data;

  f->response = request (f->server, "GET", "pull?after=0&limit=50", f->device->token, NULL);
  g_atomic_int_set (&f->done, 1);
  return NULL;
}

static gboolean
file_exists (gpointer data)
{
  return g_file_test (data, G_FILE_TEST_EXISTS);
}

static gboolean
in_flight_done (gpointer data)
{
  return g_atomic_int_get (&((InFlight *) data)->done);
}

/*
 * A push holds the writer for as long as it applies (a big one, seconds): pulls read beside it,
 * on connections of their own, and never wait for it. The server's test gate stops a push in the
 * middle of its apply, its transaction open and push_lock held; a pull of another team's device
 * must be answered while it stays stopped, and the push completes once let go.
 */
static void
test_pull_beside_push (void)
{
  World           *w = get_world ();
  g_autofree char *armed = g_build_filename (push_gate_dir, "armed", NULL);
  g_autofree char *held = g_build_filename (push_gate_dir, "held", NULL);
  g_autofree char *release = g_build_filename (push_gate_dir, "release", NULL);
  InFlight         push = { &w->server, w->trainer_a, NULL, NULL, 0 };
  InFlight         pull = { &w->server, w->trainer_b, NULL, NULL, 0 };
  GThread         *push_thread, *pull_thread;

  push.change = manual_change (w->trainer_a, NULL, "event", w->event_a, "title", "Held");
  g_assert_true (g_file_set_contents (armed, "", 0, NULL));
  push_thread = g_thread_new ("push", push_in_flight_thread, &push);
  dft_test_wait_until (file_exists, held, "a push to stop in the middle of its apply");
  /* Only this push stops. */
  g_assert_cmpint (g_unlink (armed), ==, 0);

  pull_thread = g_thread_new ("pull", pull_in_flight_thread, &pull);
  dft_test_wait_until (in_flight_done, &pull, "a pull answered while a push holds the writer");
  g_assert_false (g_atomic_int_get (&push.done));
  assert_status (pull.response, 200);
  g_thread_join (pull_thread);

  g_assert_true (g_file_set_contents (release, "", 0, NULL));
  g_thread_join (push_thread);
  assert_status (push.response, 200);
  g_assert_cmpint (json_object_get_int_member (reply_object (push.response), "applied"), ==, 1);
  g_unlink (held);
  g_unlink (release);
  g_clear_pointer (&push.response, response_free);
  g_clear_pointer (&pull.response, response_free);
}

int
main (int argc, char *argv[])
{
  int status;

  dft_test_init (&argc, &argv);
  /* Before the server starts, which reads it; the gate stays shut until a test arms it. */
  push_gate_dir = dft_test_make_dir ();
  g_setenv ("DAFTARI_SERVER_TEST_PUSH_GATE", push_gate_dir, TRUE);

  g_test_add_func ("/server/health", test_health);
  g_test_add_func ("/server/not-found", test_not_found);
  g_test_add_func ("/server/login", test_login);
  g_test_add_func ("/server/enrolment-code", test_enrolment_code);
  g_test_add_func ("/server/push-pull", test_push_pull);
  g_test_add_func ("/server/pull-parameters", test_pull_params);
  g_test_add_func ("/server/sync-round-trip", test_sync_round_trip);
  g_test_add_func ("/server/refused", test_refused);
  g_test_add_func ("/server/clock-ahead", test_clock_ahead);
  g_test_add_func ("/server/too-many-changes", test_too_many_changes);
  g_test_add_func ("/server/revoked-and-expired", test_revoked_and_expired);
  g_test_add_func ("/server/authorization-matrix", test_authorization_matrix);
  g_test_add_func ("/server/scope-rules", test_scope_rules);
  g_test_add_func ("/server/cross-team-property", test_cross_team_property);
  g_test_add_func ("/server/large-records", test_large_records);
  g_test_add_func ("/server/admin-command", test_admin_command);
  g_test_add_func ("/server/descriptors-stable", test_descriptors_stable);
  g_test_add_func ("/server/purged-bad-input", test_purged_bad_input);
  g_test_add_func ("/server/sigterm-in-flight", test_sigterm_in_flight);
  g_test_add_func ("/server/stop-at-once", test_stop_at_once);
  g_test_add_func ("/server/stop-after-pool-thread", test_stop_after_pool_thread);
  g_test_add_func ("/server/rate-limit-and-metrics", test_rate_limit_and_metrics);
  g_test_add_func ("/server/tls", test_tls);
  g_test_add_func ("/server/cut-push-logged", test_cut_push_logged);
  g_test_add_func ("/server/pull-beside-push", test_pull_beside_push);
  g_test_add_func ("/server/postgresql-down-at-start", test_postgresql_down_at_start);
  g_test_add_func ("/server/postgresql-stop-while-waiting", test_postgresql_stop_while_waiting);
  g_test_add_func ("/server/postgresql-down-during-requests", test_postgresql_down_during_requests);
  g_test_add_func ("/server/postgresql-migrate-storage", test_postgresql_migrate_storage);
  g_test_add_func ("/server/shutdown-and-log", test_shutdown_and_log);

  status = g_test_run ();
  if (world != NULL)
    world_free (world);
  dft_test_dir_free (g_steal_pointer (&push_gate_dir));
  return status;
}
