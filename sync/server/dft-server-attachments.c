/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "dft-server-private.h"
#include "dft-server-scope.h"
#include "dft-server-sql.h"
#include "dft-store-attachments.h"
#include "dft-wire.h"

/*
 * The files attached to submissions (sync/PROTOCOL.md, "Attachments"): which ones the server
 * lacks, a piece of one going up, a piece of one coming down. The server keeps and serves a
 * file only when a live submission the device may see names it, so its disk is no free
 * storage, and a hash tells a device of another team nothing: a file it may not see is
 * answered as one that does not exist.
 *
 * In a cluster (dft-server-cluster-files.h) the pieces go to PostgreSQL, as every process
 * must see what the others received, and a file held whole there is copied into this
 * process's store the first time a device asks for it here. Whom a file is shown to is checked
 * on this process's replica, brought up to the shared log first when it does not show the
 * file: the submission that names it may have reached another process a moment ago.
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

/* A failure of the replica or of the shared database (a cluster's): a shared database that
 * does not answer is a 503 with Retry-After, as with the rest of a cluster. */
static void
reply_failure (Reply *reply, const GError *error)
{
  if (error->domain == DFT_SERVER_SQL_ERROR)
    _dft_server_reply_gerror (reply, error);
  else
    _dft_server_reply_internal (reply, error);
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

/*
 * Whether the device may see the file (*visible). In a cluster, a file the replica does not
 * show is looked at again once the replica holds the whole shared log, once a request
 * (*caught_up): the submission may have been pushed to another process.
 */
static gboolean
scope_sees (DftServer  *self,
            DftScope   *scope,
            const char *sha256,
            gboolean   *caught_up,
            gboolean   *visible,
            GError    **error)
{
  if (!dft_scope_sees_attachment (scope, sha256, visible, error))
    return FALSE;
  if (*visible || self->cluster == NULL || *caught_up)
    return TRUE;
  *caught_up = TRUE;
  if (!dft_server_cluster_catch_up (self->cluster, self->store, error))
    return FALSE;
  return dft_scope_sees_attachment (scope, sha256, visible, error);
}

/* Whether the device may see the file: a live submission it may see names it. */
static gboolean
device_sees (DftServer *self, DftDevice *device, const char *sha256, Reply *reply)
{
  g_autoptr (DftScope) scope = dft_scope_new (self->store, self->db, device);
  g_autoptr (GError)   error = NULL;
  gboolean             visible = FALSE, caught_up = FALSE;

  if (!scope_sees (self, scope, sha256, &caught_up, &visible, &error))
    {
      reply_failure (reply, error);
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
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (DftScope)   scope = NULL;
  g_autoptr (GPtrArray)  hashes = NULL;
  g_autofree char       *too_many = g_strdup_printf (
            /* Translators: %u is a number of files */
      _ ("Ask about at most %u files at a time."), (guint) ATTACHMENT_LIST_MAX);
  gboolean    caught_up = FALSE;
  JsonObject *missing;

  hashes = _dft_server_parse_list (
      request, parser, "sha256", ATTACHMENT_LIST_MAX, dft_attachment_is_sha256,
      _ ("The request must be {\"sha256\": [hashes of files]}."), too_many,
      _ ("A file is named by something other than the SHA-256 of its bytes in lower-case hex."));
  if (hashes == NULL)
    return;

  scope = dft_scope_new (self->store, self->db, device);
  object = _dft_server_reply_object_new ();
  missing = json_object_new ();
  json_object_set_object_member (object, "missing", missing);
  for (guint i = 0; i < hashes->len; i++)
    {
      const char                   *sha256 = g_ptr_array_index (hashes, i);
      g_autoptr (DftAttachmentInfo) info = NULL;
      gboolean                      visible = FALSE, whole = FALSE;
      gint64                        received = 0;

      if (!scope_sees (self, scope, sha256, &caught_up, &visible, &error))
        {
          reply_failure (&request->reply, error);
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
      if (info != NULL)
        continue;
      /* In a cluster what the processes received together counts, not this one's disk. */
      if (self->cluster == NULL)
        received = dft_store_attachment_received (self->store, sha256);
      else if (!dft_server_cluster_files_received (dft_server_cluster_get_files (self->cluster),
                                                   sha256, &whole, &received, &error))
        {
          reply_failure (&request->reply, error);
          return;
        }
      if (!whole)
        json_object_set_int_member (missing, sha256, received);
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

static void
reply_damaged (Reply *reply)
{
  _dft_server_reply_error (reply, SOUP_STATUS_UNPROCESSABLE_ENTITY, "damaged",
                           _ ("The file’s bytes do not match its SHA-256; nothing of it "
                              "was kept. Send it again from the start."));
}

/* A piece in a cluster: into the shared database, as every process must resume from it. */
static void
put_shared (DftServer  *self,
            Request    *request,
            const char *sha256,
            gint64      start,
            gint64      size,
            const char *media_type,
            const char *file_name)
{
  g_autoptr (GError) error = NULL;
  DftClusterPiece    outcome = DFT_CLUSTER_PIECE_KEPT;
  gint64             received = 0;

  /* PostgreSQL that does not answer is a 503 with Retry-After: nothing of the piece was kept,
   * and the device sends it again. */
  if (!dft_server_cluster_files_add_piece (dft_server_cluster_get_files (self->cluster), sha256,
                                           start, request->body, size, media_type, file_name,
                                           &outcome, &received, &error))
    {
      _dft_server_reply_gerror (&request->reply, error);
      return;
    }
  switch (outcome)
    {
    case DFT_CLUSTER_PIECE_KEPT:
      reply_received (&request->reply, SOUP_STATUS_OK, received, FALSE);
      break;
    case DFT_CLUSTER_PIECE_COMPLETE:
      reply_received (&request->reply, SOUP_STATUS_OK, received, TRUE);
      break;
    case DFT_CLUSTER_PIECE_WRONG_START:
      reply_wrong_start (&request->reply, received);
      break;
    case DFT_CLUSTER_PIECE_DAMAGED:
      reply_damaged (&request->reply);
      break;
    default:
      g_assert_not_reached ();
    }
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
  if (self->cluster != NULL)
    {
      put_shared (self, request, sha256, start, size, media_type, file_name);
      return;
    }

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
        reply_damaged (&request->reply);
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
  /* In a cluster, another process may have received it: copied here from the shared database
   * once, then served from this disk. */
  if (info == NULL && self->cluster != NULL
      && g_error_matches (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND))
    {
      gboolean found = FALSE;

      g_clear_error (&error);
      g_mutex_lock (&self->attachment_lock);
      if (!dft_server_cluster_files_fetch (dft_server_cluster_get_files (self->cluster),
                                           self->store, sha256, &found, &error))
        {
          g_mutex_unlock (&self->attachment_lock);
          reply_failure (&request->reply, error);
          return;
        }
      g_mutex_unlock (&self->attachment_lock);
      info = dft_store_get_attachment_info (self->store, sha256, &error);
    }
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
