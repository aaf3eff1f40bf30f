/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "dft-store-attachments.h"
#include "dft-sync-client-private.h"

/*
 * The files attached to submissions (sync/PROTOCOL.md, "Attachments"), moved beside the
 * changes: after the push (the submissions that name them must reach the server first) this
 * device's files go up, and after the pull the files its submissions name come down, each piece
 * by piece from where the other side is, so a link that drops every few kilobytes still gets a
 * photo through.
 *
 * The size of a piece follows the link: it starts at 256 KiB, halves after a transfer that
 * failed (down to 4 KiB) and doubles after two that went through (up to 1 MiB, what the server
 * takes). A file the server refuses or does not have (not uploaded yet by the device that took
 * it) is counted and skipped, never the end of the sync: the next sync tries it again.
 */

#define PIECE_START (256 * 1024)
#define PIECE_MIN   (4 * 1024)
#define PIECE_MAX   (1024 * 1024)
/* Hashes in one attachments/missing request: what the server takes. */
#define ASK_MAX 500
/* 409s in a row for one file before it is left for the next sync (two devices uploading the
 * same file take turns; more is a server that does not move). */
#define MAX_CONFLICTS 8

static guint
piece_size (Run *run)
{
  if (run->piece_bytes == 0)
    run->piece_bytes = PIECE_START;
  return run->piece_bytes;
}

/* TRUE when the piece got smaller: a try with less, not the same try again. */
static gboolean
piece_failed (Run *run, Failure failure)
{
  guint before = piece_size (run);

  run->piece_successes = 0;
  if (failure != FAIL_DROPPED && failure != FAIL_SHRINK)
    return FALSE;
  run->piece_bytes = MAX (PIECE_MIN, before / 2);
  return run->piece_bytes < before;
}

static void
piece_went (Run *run)
{
  if (++run->piece_successes < 2)
    return;
  run->piece_successes = 0;
  run->piece_bytes = MIN (PIECE_MAX, piece_size (run) * 2);
}

/* The media type of a reply's Content-Type, without its parameters. */
static char *
media_type_of (const char *content_type)
{
  g_autofree char *type = NULL;
  char            *semicolon;

  if (content_type == NULL)
    return NULL;
  type = g_strdup (content_type);
  if ((semicolon = strchr (type, ';')) != NULL)
    *semicolon = '\0';
  g_strstrip (type);
  return *type != '\0' ? g_steal_pointer (&type) : NULL;
}

/* ---- Up ---- */

/*
 * Asks which of @hashes the server lacks: *missing maps each to the bytes of it the server
 * holds. *missing stays NULL when the server predates attachments.
 */
static gboolean
ask_missing (Run         *run,
             const char  *server_url,
             GPtrArray   *hashes,
             guint        from,
             guint        to,
             JsonObject **missing,
             GError     **error)
{
  g_autoptr (GBytes) body = _dft_sync_list_body ("sha256", hashes, from, to);
  guint              failures = 0;

  *missing = NULL;

  for (;;)
    {
      g_auto (DftSyncBytes)  bytes = { 0 };
      g_autoptr (JsonObject) reply = NULL;
      Failure                failure;
      JsonNode              *node;

      if (_dft_sync_request_bytes (run, server_url, "POST", "attachments/missing", body, &bytes,
                                   &reply, &failure, error))
        {
          node = json_object_get_member (reply, "missing");
          if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
            {
              _dft_sync_not_the_server (error);
              return FALSE;
            }
          *missing = json_object_ref (json_node_get_object (node));
          return TRUE;
        }
      if (bytes.status == 404 && g_strcmp0 (bytes.error_code, "not_found") == 0)
        {
          /* A server from before attachments: the changes sync, the files wait for an update. */
          g_debug ("sync: the server does not take attached files");
          g_clear_error (error);
          return TRUE;
        }
      if (bytes.error_code != NULL)
        {
          /* Refused (a list too long for this server, say): the files wait, the sync goes on. */
          g_debug ("sync: the server refused to say which files it lacks: %s", (*error)->message);
          g_clear_error (error);
          return TRUE;
        }
      if (!_dft_sync_should_retry (run, failure, &failures, error))
        return FALSE;
    }
}

typedef enum
{
  FILE_DONE,
  FILE_SKIPPED,
  FILE_FAILED,
} FileResult;

/* Sends the file @sha256 from byte @received, where the server is. */
static FileResult
upload_one (Run *run, const char *server_url, const char *sha256, gint64 received, GError **error)
{
  g_autoptr (GError)            local_error = NULL;
  g_autoptr (DftAttachmentInfo) info = NULL;
  g_autoptr (GBytes)            data = NULL;
  guint                         failures = 0, conflicts = 0;

  info = dft_store_get_attachment_info (run->store, sha256, &local_error);
  data = info != NULL ? dft_store_read_attachment (run->store, sha256, &local_error) : NULL;
  if (data == NULL)
    {
      /* Forgotten since it was listed (a draft thrown away): nothing to send. */
      if (g_error_matches (local_error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND))
        return FILE_SKIPPED;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FILE_FAILED;
    }

  while (received < info->size)
    {
      g_auto (DftSyncBytes)  bytes = { .content_type = info->media_type, .file_name = info->name };
      g_autoptr (JsonObject) reply = NULL;
      g_autoptr (GBytes)     piece = NULL;
      g_autofree char       *path = NULL;
      Failure                failure;
      gint64                 now_held;
      gsize                  n;

      if (g_cancellable_set_error_if_cancelled (run->cancellable, error))
        return FILE_FAILED;
      n = (gsize) MIN ((gint64) piece_size (run), info->size - received);
      piece = g_bytes_new_from_bytes (data, (gsize) received, n);
      path = g_strdup_printf ("attachments/%s?start=%" G_GINT64_FORMAT "&size=%" G_GINT64_FORMAT,
                              sha256, received, info->size);
      if (_dft_sync_request_bytes (run, server_url, "PUT", path, piece, &bytes, &reply, &failure,
                                   error))
        {
          failures = conflicts = 0;
          run->stats.file_bytes_sent += n;
          piece_went (run);
          if (_dft_sync_member_bool (reply, "complete"))
            break;
          if (!_dft_sync_member_int (reply, "received", &now_held) || now_held <= received
              || now_held > info->size)
            {
              _dft_sync_not_the_server (error);
              return FILE_FAILED;
            }
          received = now_held;
          continue;
        }
      if (bytes.status == 409 && bytes.received >= 0 && bytes.received <= info->size
          && ++conflicts <= MAX_CONFLICTS)
        {
          /* The server holds another count of bytes (a piece it kept though its answer was
           * lost, or another device's upload of the same file): resume where it is. */
          g_clear_error (error);
          received = bytes.received;
          continue;
        }
      if (bytes.error_code != NULL)
        {
          g_debug ("sync: the server refused the file %s: %s", sha256, (*error)->message);
          g_clear_error (error);
          return FILE_SKIPPED;
        }
      if (piece_failed (run, failure))
        failures = 0;
      if (!_dft_sync_should_retry (run, failure, &failures, error))
        return FILE_FAILED;
    }
  if (!dft_store_mark_attachment_uploaded (run->store, sha256, error))
    return FILE_FAILED;
  return FILE_DONE;
}

gboolean
_dft_sync_upload_attachments (Run *run, const char *server_url, GError **error)
{
  g_autoptr (GPtrArray) hashes = dft_store_list_attachments_to_upload (run->store, 0, error);

  if (hashes == NULL)
    return FALSE;
  for (guint from = 0; from < hashes->len; from += ASK_MAX)
    {
      g_autoptr (JsonObject) missing = NULL;
      guint                  to = MIN (hashes->len, from + ASK_MAX);

      if (!ask_missing (run, server_url, hashes, from, to, &missing, error))
        return FALSE;
      if (missing == NULL)
        return TRUE;
      for (guint i = from; i < to; i++)
        {
          const char *sha256 = g_ptr_array_index (hashes, i);
          gint64      held = 0;

          if (!json_object_has_member (missing, sha256))
            {
              /* Another device sent it, or an upload whose answer was lost finished it. */
              if (!dft_store_mark_attachment_uploaded (run->store, sha256, error))
                return FALSE;
              continue;
            }
          _dft_sync_member_int (missing, sha256, &held);
          switch (upload_one (run, server_url, sha256, MAX (held, 0), error))
            {
            case FILE_DONE:
              run->stats.files_sent++;
              break;
            case FILE_SKIPPED:
              run->stats.files_unavailable++;
              break;
            case FILE_FAILED:
            default:
              return FALSE;
            }
        }
    }
  return TRUE;
}

/* ---- Down ---- */

static FileResult
fetch_one (Run *run, const char *server_url, const char *sha256, GError **error)
{
  gint64 received = dft_store_attachment_received (run->store, sha256);
  guint  failures = 0;

  for (;;)
    {
      g_auto (DftSyncBytes) bytes = { 0 };
      g_autoptr (GError)    local_error = NULL;
      g_autofree char      *path = NULL;
      g_autofree char      *media_type = NULL;
      Failure               failure;
      gboolean              complete = FALSE;
      guint                 asked = piece_size (run);
      gsize                 n;

      if (g_cancellable_set_error_if_cancelled (run->cancellable, error))
        return FILE_FAILED;
      path = g_strdup_printf ("attachments/%s?start=%" G_GINT64_FORMAT "&max=%u", sha256, received,
                              asked);
      if (!_dft_sync_request_bytes (run, server_url, "GET", path, NULL, &bytes, NULL, &failure,
                                    error))
        {
          if (bytes.error_code != NULL)
            {
              /* Not uploaded yet by the device that took it, or not this device's to see. */
              g_debug ("sync: the server does not give the file %s: %s", sha256, (*error)->message);
              g_clear_error (error);
              return FILE_SKIPPED;
            }
          if (piece_failed (run, failure))
            failures = 0;
          if (!_dft_sync_should_retry (run, failure, &failures, error))
            return FILE_FAILED;
          continue;
        }
      failures = 0;
      n = g_bytes_get_size (bytes.data);
      if (n > asked || bytes.size > DFT_ATTACHMENT_MAX_BYTES || (n == 0 && received < bytes.size))
        {
          g_debug ("sync: the server sent a piece of the file %s that does not fit it", sha256);
          return FILE_SKIPPED;
        }
      media_type = media_type_of (bytes.reply_content_type);
      if (!dft_store_add_attachment_piece (run->store, sha256, received, bytes.data, bytes.size,
                                           media_type, bytes.reply_file_name, &complete,
                                           &local_error))
        {
          /* Bytes that are not the ones the hash names were thrown away: fetched again at the
           * next sync. */
          if (g_error_matches (local_error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID))
            {
              g_debug ("sync: the file %s: %s", sha256, local_error->message);
              return FILE_SKIPPED;
            }
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FILE_FAILED;
        }
      run->stats.file_bytes_fetched += n;
      piece_went (run);
      if (complete)
        return FILE_DONE;
      received += (gint64) n;
    }
}

gboolean
_dft_sync_fetch_attachments (Run *run, const char *server_url, GError **error)
{
  g_autoptr (GPtrArray) hashes = dft_store_list_attachments_missing (run->store, 0, error);

  if (hashes == NULL)
    return FALSE;
  for (guint i = 0; i < hashes->len; i++)
    switch (fetch_one (run, server_url, g_ptr_array_index (hashes, i), error))
      {
      case FILE_DONE:
        run->stats.files_fetched++;
        break;
      case FILE_SKIPPED:
        run->stats.files_unavailable++;
        break;
      case FILE_FAILED:
      default:
        return FALSE;
      }
  return TRUE;
}
