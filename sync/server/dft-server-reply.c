/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "dft-db.h"
#include "dft-server-private.h"
#include "dft-server-scope.h"
#include "dft-server-sql.h"
#include "dft-wire.h"

#define MAX_JSON_DEPTH 16

/* ---- Replies ------------------------------------------------------------ */

JsonObject *
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

void
_dft_server_reply_json (Reply *reply, guint status, JsonObject *object)
{
  reply->status = status;
  g_clear_pointer (&reply->body, g_bytes_unref);
  reply->body = json_bytes (object);
}

void
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

/*
 * PostgreSQL went away: its transaction went with it, so nothing of the request was kept, and
 * the device tries again after Retry-After (sync/PROTOCOL.md) while the connection is made anew.
 * Which database and why stay in the log.
 */
static void
reply_db_unavailable (Reply *reply, const GError *error)
{
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE", "%s", error->message);
  _dft_server_reply_error (reply, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable",
                           _ ("The server cannot reach its database just now. Nothing of this "
                              "request was stored; try again in a moment."));
  reply->retry_after = PUSH_RETRY_AFTER;
}

void
_dft_server_reply_internal (Reply *reply, const GError *error)
{
  /* Every caller that meets a failure it did not expect comes here, the server database's
   * included: one that is only away for now is answered as such. */
  if (error != NULL
      && g_error_matches (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_UNAVAILABLE))
    {
      reply_db_unavailable (reply, error);
      return;
    }
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
void
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
        case DFT_SERVER_DB_ERROR_UNAVAILABLE:
          reply_db_unavailable (reply, error);
          break;
        default:
          _dft_server_reply_internal (reply, error);
          break;
        }
    }
  /* The shared log of a cluster (dft-server-cluster.c) did not answer. */
  else if (g_error_matches (error, DFT_SERVER_SQL_ERROR, DFT_SERVER_SQL_ERROR_UNAVAILABLE))
    reply_db_unavailable (reply, error);
  else
    _dft_server_reply_internal (reply, error);
}

void
_dft_server_apply_reply (SoupServerMessage *msg, const Reply *reply)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  gsize               length = 0;
  const char         *data = g_bytes_get_data (reply->body, &length);

  soup_message_headers_replace (headers, "X-Daftari-Server", "1");
  /* Replies carry tokens and personal data: no cache keeps them. A sync's frame answers a POST,
   * which no cache keeps without being told to, and its own first bytes say what it is: on 2G
   * every line costs. */
  if (!reply->frame)
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
  if (reply->file_size > 0)
    {
      g_autofree char *size = g_strdup_printf ("%" G_GINT64_FORMAT, reply->file_size);

      soup_message_headers_replace (headers, "X-Daftari-Size", size);
      /* Bytes a device sent, of the type it said: never to be rendered by a browser. */
      soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
      soup_message_headers_replace (headers, "Content-Disposition", "attachment");
    }
  if (reply->file_name != NULL)
    soup_message_headers_replace (headers, "X-Daftari-File-Name", reply->file_name);
  soup_server_message_set_status (msg, reply->status, NULL);
  if (reply->frame)
    {
      /* soup_server_message_set_response() drops the body without a type. */
      SoupMessageBody *body = soup_server_message_get_response_body (msg);

      soup_message_headers_remove (headers, "Content-Type");
      soup_message_body_truncate (body);
      soup_message_body_append (body, SOUP_MEMORY_COPY, data, length);
    }
  else
    soup_server_message_set_response (
        msg, reply->content_type != NULL ? reply->content_type : "application/json",
        SOUP_MEMORY_COPY, data, length);
}

void
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
GBytes *
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

gboolean
_dft_server_bad_request (GError **error, const char *message)
{
  g_set_error_literal (error, DFT_WIRE_ERROR, DFT_WIRE_ERROR_INVALID, message);
  return FALSE;
}

/*
 * A small body that is {"@member": [strings]} and nothing else, as the requests that ask about
 * a list of ids or hashes send it: the strings, which point into @parser's tree; or NULL with
 * the reply made: 400 @shape for another body, 413 @too_many when there are more than @max, 400
 * @bad_item for a string @valid refuses (checked before anything is answered).
 */
GPtrArray *
_dft_server_parse_list (Request    *request,
                        JsonParser *parser,
                        const char *member,
                        guint       max,
                        gboolean (*valid) (const char *text),
                        const char *shape,
                        const char *too_many,
                        const char *bad_item)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GBytes)    json = _dft_server_body_json (request, SMALL_BODY_MAX, &error);
  g_autoptr (GPtrArray) items = NULL;
  JsonObject           *body;
  JsonNode             *root, *list;
  JsonArray            *array;
  const char           *data;
  gsize                 length = 0;

  if (json == NULL)
    {
      _dft_server_reply_gerror (&request->reply, error);
      return NULL;
    }
  data = g_bytes_get_data (json, &length);
  if (length == 0 || !dft_wire_json_single (data, length) || !dft_wire_json_strict (data, length)
      || !json_parser_load_from_data (parser, data, (gssize) length, NULL)
      || (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root)
      || json_object_get_size (body = json_node_get_object (root)) != 1
      || (list = json_object_get_member (body, member)) == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    {
      _dft_server_reply_error (&request->reply, SOUP_STATUS_BAD_REQUEST, "bad_request", shape);
      return NULL;
    }
  array = json_node_get_array (list);
  if (json_array_get_length (array) > max)
    {
      _dft_server_reply_error (&request->reply, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
                               too_many);
      return NULL;
    }
  items = g_ptr_array_sized_new (json_array_get_length (array));
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING
          || !valid (json_node_get_string (node)))
        {
          _dft_server_reply_error (&request->reply, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                   bad_item);
          return NULL;
        }
      g_ptr_array_add (items, (gpointer) json_node_get_string (node));
    }
  return g_steal_pointer (&items);
}

/* A small JSON object body, every member known and of its type. */
JsonObject *
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

const char *
_dft_server_member_string (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && !JSON_NODE_HOLDS_NULL (node) ? json_node_get_string (node) : NULL;
}
