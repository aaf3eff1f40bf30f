/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "dft-server-private.h"
#include "dft-server-scope.h"
#include "dft-store-attachments.h"
#include "dft-wire.h"

/*
 * The files attached to submissions (sync/PROTOCOL.md, "Attachments"): which ones the server
 * lacks, a piece of one going up, a piece of one coming down. The server keeps and serves a
 * file only when a live submission the device may see names it, so its disk is no free
 * storage, and a hash tells a device of another team nothing: a file it may not see is
 * answered as one that does not exist.
 */

/* The longest file name and media type kept; longer ones are dropped, not refused. */
#define NAME_MAX_BYTES 255
#define TYPE_MAX_BYTES 127

static void
reply_not_found (Reply *reply)
{
  _dft_server_reply_error (reply, SOUP_STATUS_NOT_FOUND, "not_found",
                           _ ("The server has no such file for this device."));
}

/* Only the parameters @known, each a whole number from @min to @max; absent: @fallback. */
static gboolean
query_numbers (Request           *request,
               const char *const *known,
               const gint64      *min,
               const gint64      *max,
               const gint64      *fallback,
               gint64            *out)
{
  if (request->query != NULL)
    {
      GHashTableIter iter;
      gpointer       key;

      g_hash_table_iter_init (&iter, request->query);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        if (!g_strv_contains (known, key))
          {
            g_autofree char *message
                /* Translators: %s is a query parameter a client sent */
                = g_strdup_printf (_ ("The request has an unknown parameter “%s”."),
                                   (const char *) key);
            _dft_server_reply_error (&request->reply, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                     message);
            return FALSE;
          }
    }
  for (guint i = 0; known[i] != NULL; i++)
    {
      const char *text
          = request->query != NULL ? g_hash_table_lookup (request->query, known[i]) : NULL;

      out[i] = fallback[i];
      if (text == NULL && fallback[i] < 0)
        {
          g_autofree char *message
              /* Translators: %s is a query parameter */
              = g_strdup_printf (_ ("The parameter “%s” is missing."), known[i]);
          _dft_server_reply_error (&request->reply, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                   message);
          return FALSE;
        }
      if (text != NULL && !g_ascii_string_to_signed (text, 10, min[i], max[i], &out[i], NULL))
        {
          g_autofree char *message = g_strdup_printf (
              /* Translators: %s is a query parameter; the numbers are its bounds */
              _ ("The parameter “%s” must be a whole number from %lld to %lld."), known[i],
              (long long) min[i], (long long) max[i]);
          _dft_server_reply_error (&request->reply, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                   message);
          return FALSE;
        }
    }
  return TRUE;
}

/* Whether the device may see the file: a live submission it may see names it. */
static gboolean
device_sees (DftServer *self, DftDevice *device, const char *sha256, Reply *reply)
{
  g_autoptr (DftScope) scope = dft_scope_new (self->store, self->db, device);
  g_autoptr (GError)   error = NULL;
  gboolean             visible = FALSE;

  if (!dft_scope_sees_attachment (scope, sha256, &visible, &error))
    {
      _dft_server_reply_internal (reply, error);
      return FALSE;
    }
  if (!visible)
    reply_not_found (reply);
  return visible;
}

/* "type/subtype" of token characters, without parameters; NULL for anything else. */
static char *
clean_media_type (const char *header)
{
  g_autofree char *type = NULL;
  const char      *slash;
  char            *semicolon;

  if (header == NULL)
    return NULL;
  type = g_ascii_strdown (header, -1);
  if ((semicolon = strchr (type, ';')) != NULL)
    *semicolon = '\0';
  g_strstrip (type);
  slash = strchr (type, '/');
  if (slash == NULL || slash == type || slash[1] == '\0' || strlen (type) > TYPE_MAX_BYTES
      || strchr (slash + 1, '/') != NULL)
    return NULL;
  for (const char *p = type; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("/!#$&^_.+-", *p) == NULL)
      return NULL;
  return g_steal_pointer (&type);
}

/* The file's name from X-Daftari-File-Name (percent-encoded UTF-8); NULL when absent or odd. */
static char *
clean_file_name (const char *header)
{
  g_autofree char *name = NULL;

  if (header == NULL || strlen (header) > 3 * NAME_MAX_BYTES)
    return NULL;
  name = g_uri_unescape_string (header, NULL);
  if (name == NULL || *name == '\0' || strlen (name) > NAME_MAX_BYTES
      || !g_utf8_validate (name, -1, NULL))
    return NULL;
  for (const char *p = name; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\')
      return NULL;
  return g_steal_pointer (&name);
}

/* ---- POST attachments/missing ------------------------------------------- */

void
_dft_server_handle_attachments_missing (DftServer *self, Request *request, DftDevice *device)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (GBytes)     json = _dft_server_body_json (request, SMALL_BODY_MAX, &error);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (DftScope)   scope = NULL;
  JsonObject            *missing;
  JsonObject            *body;
  JsonNode              *root, *list;
  JsonArray             *hashes;
  const char            *data;
  gsize                  length = 0;

  if (json == NULL)
    {
      _dft_server_reply_gerror (&request->reply, error);
      return;
    }
  data = g_bytes_get_data (json, &length);
  if (length == 0 || !dft_wire_json_single (data, length) || !dft_wire_json_strict (data, length)
      || !json_parser_load_from_data (parser, data, (gssize) length, NULL)
      || (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root)
      || json_object_get_size (body = json_node_get_object (root)) != 1
      || (list = json_object_get_member (body, "sha256")) == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    {
      _dft_server_reply_error (&request->reply, SOUP_STATUS_BAD_REQUEST, "bad_request",
                               _ ("The request must be {\"sha256\": [hashes of files]}."));
      return;
    }
  hashes = json_node_get_array (list);
  if (json_array_get_length (hashes) > ATTACHMENT_LIST_MAX)
    {
      g_autofree char *message = g_strdup_printf (
          /* Translators: %u is a number of files */
          _ ("Ask about at most %u files at a time."), (guint) ATTACHMENT_LIST_MAX);
      _dft_server_reply_error (&request->reply, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
                               message);
      return;
    }

  scope = dft_scope_new (self->store, self->db, device);
  object = _dft_server_reply_object_new ();
  missing = json_object_new ();
  json_object_set_object_member (object, "missing", missing);
  for (guint i = 0; i < json_array_get_length (hashes); i++)
    {
      JsonNode                     *node = json_array_get_element (hashes, i);
      const char                   *sha256;
      g_autoptr (DftAttachmentInfo) info = NULL;
      gboolean                      visible = FALSE;

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING
          || !dft_attachment_is_sha256 (sha256 = json_node_get_string (node)))
        {
          _dft_server_reply_error (&request->reply, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                   _ ("A file is named by something other than the SHA-256 of "
                                      "its bytes in lower-case hex."));
          return;
        }
      if (!dft_scope_sees_attachment (scope, sha256, &visible, &error))
        {
          _dft_server_reply_internal (&request->reply, error);
          return;
        }
      /* A file the device may not see is "missing" whatever the server holds: what a hash is
       * worth here tells nothing about another team's files. */
      if (!visible)
        {
          json_object_set_int_member (missing, sha256, 0);
          continue;
        }
      info = dft_store_get_attachment_info (self->store, sha256, NULL);
      if (info == NULL)
        json_object_set_int_member (missing, sha256,
                                    dft_store_attachment_received (self->store, sha256));
    }
  _dft_server_reply_json (&request->reply, SOUP_STATUS_OK, object);
}

/* ---- PUT attachments/SHA?start=N&size=TOTAL ----------------------------- */

static void
reply_received (Reply *reply, guint status, gint64 received, gboolean complete)
{
  g_autoptr (JsonObject) object = _dft_server_reply_object_new ();

  json_object_set_int_member (object, "received", received);
  json_object_set_boolean_member (object, "complete", complete);
  _dft_server_reply_json (reply, status, object);
}

/* 409: the piece does not start where the received bytes end; the client resumes there. */
static void
reply_wrong_start (Reply *reply, gint64 received)
{
  g_autoptr (JsonObject) object = _dft_server_reply_object_new ();
  JsonObject            *error = json_object_new ();

  json_object_set_string_member (error, "code", "conflict");
  json_object_set_string_member (error, "message",
                                 _ ("This piece of the file does not start where the bytes the "
                                    "server holds end."));
  json_object_set_int_member (error, "received", received);
  json_object_set_object_member (object, "error", error);
  json_object_set_int_member (object, "received", received);
  _dft_server_reply_json (reply, SOUP_STATUS_CONFLICT, object);
  reply->error_code = "conflict";
}

void
_dft_server_handle_attachment_put (DftServer *self, Request *request, DftDevice *device)
{
  static const char *const      known[] = { "start", "size", NULL };
  static const gint64           min[] = { 0, 1 };
  static const gint64           max[] = { G_MAXINT64, G_MAXINT64 };
  static const gint64           fallback[] = { -1, -1 };
  const char                   *sha256 = request->path_id;
  g_autoptr (GError)            error = NULL;
  g_autofree char              *media_type = NULL;
  g_autofree char              *file_name = NULL;
  g_autoptr (DftAttachmentInfo) info = NULL;
  gint64                        numbers[2], start, size, received;
  gsize                         n = g_bytes_get_size (request->body);
  gboolean                      complete = FALSE;

  if (!query_numbers (request, known, min, max, fallback, numbers))
    return;
  start = numbers[0];
  size = numbers[1];
  if (size > DFT_ATTACHMENT_MAX_BYTES || n > ATTACHMENT_PIECE_MAX)
    {
      _dft_server_reply_error (
          &request->reply, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
          size > DFT_ATTACHMENT_MAX_BYTES
              ? _ ("The file is larger than the server takes (10 MiB).")
              : _ ("The piece is larger than the server takes (1 MiB); send smaller pieces."));
      return;
    }
  if (start + (gint64) n > size || (n == 0 && start < size))
    {
      _dft_server_reply_error (&request->reply, SOUP_STATUS_BAD_REQUEST, "bad_request",
                               _ ("The piece does not fit inside the file’s size."));
      return;
    }
  if (!device_sees (self, device, sha256, &request->reply))
    return;
  media_type = clean_media_type (request->content_type);
  file_name = clean_file_name (request->file_name);

  /* Pieces of one file follow each other: two uploads of the same file (two devices that both
   * hold it) must not both take the same start. */
  g_mutex_lock (&self->attachment_lock);
  info = dft_store_get_attachment_info (self->store, sha256, NULL);
  if (info != NULL)
    {
      /* Held whole already (another device sent it): nothing more to send. */
      g_mutex_unlock (&self->attachment_lock);
      reply_received (&request->reply, SOUP_STATUS_OK, info->size, TRUE);
      return;
    }
  received = dft_store_attachment_received (self->store, sha256);
  if (start != received)
    {
      g_mutex_unlock (&self->attachment_lock);
      reply_wrong_start (&request->reply, received);
      return;
    }
  if (!dft_store_add_attachment_piece (self->store, sha256, start, request->body, size, media_type,
                                       file_name, &complete, &error))
    {
      g_mutex_unlock (&self->attachment_lock);
      if (g_error_matches (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID)
          && start + (gint64) n == size)
        /* The last piece made the bytes whole and they are not the ones the hash names: the
         * store threw every piece away. */
        _dft_server_reply_error (&request->reply, SOUP_STATUS_UNPROCESSABLE_ENTITY, "damaged",
                                 _ ("The file’s bytes do not match its SHA-256; nothing of it "
                                    "was kept. Send it again from the start."));
      else
        _dft_server_reply_gerror (&request->reply, error);
      return;
    }
  g_mutex_unlock (&self->attachment_lock);
  reply_received (&request->reply, SOUP_STATUS_OK, complete ? size : start + (gint64) n, complete);
}

/* ---- GET attachments/SHA?start=N&max=M ---------------------------------- */

void
_dft_server_handle_attachment_get (DftServer *self, Request *request, DftDevice *device)
{
  static const char *const      known[] = { "start", "max", NULL };
  static const gint64           min[] = { 0, 1 };
  static const gint64           max[] = { G_MAXINT64, G_MAXINT64 };
  static const gint64           fallback[] = { 0, ATTACHMENT_PIECE_MAX };
  const char                   *sha256 = request->path_id;
  g_autoptr (GError)            error = NULL;
  g_autoptr (DftAttachmentInfo) info = NULL;
  g_autoptr (GBytes)            piece = NULL;
  gint64                        numbers[2], size = 0;

  if (!query_numbers (request, known, min, max, fallback, numbers))
    return;
  if (!device_sees (self, device, sha256, &request->reply))
    return;
  info = dft_store_get_attachment_info (self->store, sha256, &error);
  if (info == NULL)
    {
      /* Named, but not (yet) uploaded whole: the device asks again at its next sync. */
      if (g_error_matches (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND))
        reply_not_found (&request->reply);
      else
        _dft_server_reply_internal (&request->reply, error);
      return;
    }
  piece = dft_store_read_attachment_range (self->store, sha256, numbers[0],
                                           (gsize) MIN (numbers[1], ATTACHMENT_PIECE_MAX), &size,
                                           &error);
  if (piece == NULL)
    {
      if (g_error_matches (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND))
        reply_not_found (&request->reply);
      else
        _dft_server_reply_internal (&request->reply, error);
      return;
    }
  request->reply.status = SOUP_STATUS_OK;
  request->reply.body = g_steal_pointer (&piece);
  request->reply.content_type = g_strdup (info->media_type);
  request->reply.file_size = size;
  if (info->name != NULL)
    request->reply.file_name = g_uri_escape_string (info->name, NULL, FALSE);
}
