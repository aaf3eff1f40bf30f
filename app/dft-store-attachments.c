/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "dft-db.h"
#include "dft-store-attachments.h"
#include "dft-store-internal.h"

/*
 * Attachments (dft-store-attachments.h; the tables are migration 11's). Every function takes
 * the store's lock around its statements, so a worker thread may call them while the window
 * reads.
 */

#define GENERIC_TYPE "application/octet-stream"

void
dft_attachment_info_free (DftAttachmentInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->sha256);
  g_free (info->media_type);
  g_free (info->name);
  g_free (info);
}

gboolean
dft_attachment_is_sha256 (const char *text)
{
  if (text == NULL)
    return FALSE;
  for (int i = 0; i < 64; i++)
    if (!g_ascii_isxdigit (text[i]) || g_ascii_isupper (text[i]))
      return FALSE;
  return text[64] == '\0';
}

gboolean
dft_attachment_parse_answer (const char *answer, char sha256[65])
{
  gsize len;

  if (answer == NULL)
    return FALSE;
  len = strlen (answer);
  /* The same rule as migration 11's triggers: 64 hex digits, a dot, 1 to 9 characters. */
  if (len < 66 || len > 74 || answer[64] != '.')
    return FALSE;
  for (int i = 0; i < 64; i++)
    if (!g_ascii_isxdigit (answer[i]) || g_ascii_isupper (answer[i]))
      return FALSE;
  for (gsize i = 65; i < len; i++)
    if (!g_ascii_isalnum (answer[i]))
      return FALSE;
  if (sha256 != NULL)
    {
      memcpy (sha256, answer, 64);
      sha256[64] = '\0';
    }
  return TRUE;
}

char *
dft_attachment_answer_for (const char *sha256, const char *file_name)
{
  const char      *dot = file_name != NULL ? strrchr (file_name, '.') : NULL;
  g_autofree char *ext = NULL;

  g_return_val_if_fail (dft_attachment_is_sha256 (sha256), NULL);

  if (dot != NULL && dot[1] != '\0' && strlen (dot + 1) <= 9)
    {
      ext = g_ascii_strdown (dot + 1, -1);
      for (const char *c = ext; *c != '\0'; c++)
        if (!g_ascii_isalnum (*c))
          {
            g_clear_pointer (&ext, g_free);
            break;
          }
    }
  return g_strdup_printf ("%s.%s", sha256, ext != NULL ? ext : "bin");
}

/* The hash an answer or a hash names, or NULL. */
static gboolean
sha_of (const char *answer_or_sha256, char sha256[65])
{
  if (dft_attachment_is_sha256 (answer_or_sha256))
    {
      memcpy (sha256, answer_or_sha256, 65);
      return TRUE;
    }
  return dft_attachment_parse_answer (answer_or_sha256, sha256);
}

static char *
guess_media_type (const char *file_name, GBytes *data)
{
  gsize            size = 0;
  const guchar    *bytes = data != NULL ? g_bytes_get_data (data, &size) : NULL;
  g_autofree char *content_type = NULL;
  char            *mime;

  content_type = g_content_type_guess (file_name, bytes, MIN (size, 4096), NULL);
  mime = content_type != NULL ? g_content_type_get_mime_type (content_type) : NULL;
  if (mime == NULL)
    return g_strdup (GENERIC_TYPE);
  return mime;
}

static void
set_not_found (GError **error)
{
  g_set_error_literal (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND,
                       _ ("This file is not on this computer yet. Sync to fetch it."));
}

static void
set_too_large (GError **error, gint64 size)
{
  /* In binary units, as the limit is set: a file just over it reads "10.0 MiB (10,485,761
   * bytes)" against "10.0 MiB", not "10.5 MB" twice. */
  g_autofree char *have
      = g_format_size_full ((guint64) size, G_FORMAT_SIZE_IEC_UNITS | G_FORMAT_SIZE_LONG_FORMAT);
  g_autofree char *limit = g_format_size_full (DFT_ATTACHMENT_MAX_BYTES, G_FORMAT_SIZE_IEC_UNITS);

  g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID,
               /* Translators: the first %s is a file's size, the second the largest allowed,
                * both like "12.3 MB" */
               _ ("This file is %s; a question takes files of at most %s. Choose a smaller "
                  "one, or make it smaller first (a photo at a lower resolution, a shorter "
                  "recording)."),
               have, limit);
}

/* Inserts the whole file under the lock. */
static gboolean
insert_locked (DftStore   *self,
               const char *sha256,
               GBytes     *data,
               const char *media_type,
               const char *file_name,
               gboolean    uploaded,
               GError    **error)
{
  g_autofree char *stamp = _dft_store_now_stamp ();
  gsize            size;
  gconstpointer    bytes = g_bytes_get_data (data, &size);
  sqlite3_stmt    *stmt = _dft_store_cached_statement (
         self,
         "INSERT INTO attachment (sha256, size, media_type, name, added_at, uploaded, data)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (sha256) DO UPDATE SET uploaded = max (uploaded, excluded.uploaded),"
            "  name = coalesce (name, excluded.name), added_at = excluded.added_at",
         error);
  gboolean ok;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, sha256, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, (sqlite3_int64) size);
  sqlite3_bind_text (stmt, 3, media_type, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, file_name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, stamp, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 6, uploaded ? 1 : 0);
  sqlite3_bind_blob64 (stmt, 7, size > 0 ? bytes : "", size, SQLITE_STATIC);
  ok = dft_db_step_done (self->db, stmt, error);
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  return ok;
}

char *
dft_store_add_attachment (
    DftStore *self, GBytes *data, const char *file_name, const char *media_type, GError **error)
{
  g_autofree char *sha256 = NULL;
  g_autofree char *type = NULL;
  g_autofree char *base = NULL;
  gsize            size;
  gboolean         ok;

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  g_return_val_if_fail (data != NULL, NULL);

  size = g_bytes_get_size (data);
  if (size > DFT_ATTACHMENT_MAX_BYTES)
    {
      set_too_large (error, (gint64) size);
      return NULL;
    }
  if (size == 0)
    {
      g_set_error_literal (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID,
                           _ ("This file is empty. Choose the file again, or another one."));
      return NULL;
    }

  sha256 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, data);
  base = file_name != NULL ? g_path_get_basename (file_name) : NULL;
  type = media_type != NULL && *media_type != '\0' ? g_strdup (media_type)
                                                   : guess_media_type (base, data);

  _dft_store_lock (self);
  ok = insert_locked (self, sha256, data, type, base, FALSE, error);
  _dft_store_unlock (self);
  if (!ok)
    return NULL;
  return dft_attachment_answer_for (sha256, base);
}

typedef struct
{
  GBytes *data;
  char   *file_name;
  char   *media_type;
} AddData;

static void
add_data_free (gpointer pointer)
{
  AddData *add = pointer;

  g_bytes_unref (add->data);
  g_free (add->file_name);
  g_free (add->media_type);
  g_free (add);
}

static void
add_worker (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  AddData *add = task_data;
  GError  *error = NULL;
  char    *answer;

  if (g_task_return_error_if_cancelled (task))
    return;
  answer = dft_store_add_attachment (source, add->data, add->file_name, add->media_type, &error);
  if (answer == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, answer, g_free);
}

void
dft_store_add_attachment_async (DftStore           *self,
                                GBytes             *data,
                                const char         *file_name,
                                const char         *media_type,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  AddData          *add;

  g_return_if_fail (DFT_IS_STORE (self));
  g_return_if_fail (data != NULL);

  add = g_new0 (AddData, 1);
  add->data = g_bytes_ref (data);
  add->file_name = g_strdup (file_name);
  add->media_type = g_strdup (media_type);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dft_store_add_attachment_async);
  g_task_set_task_data (task, add, add_data_free);
  g_task_run_in_thread (task, add_worker);
}

char *
dft_store_add_attachment_finish (DftStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

DftAttachmentInfo *
dft_store_get_attachment_info (DftStore *self, const char *answer_or_sha256, GError **error)
{
  char               sha256[65];
  DftAttachmentInfo *info = NULL;
  sqlite3_stmt      *stmt;
  int                rc;

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);

  if (!sha_of (answer_or_sha256, sha256))
    {
      set_not_found (error);
      return NULL;
    }
  _dft_store_lock (self);
  stmt = _dft_store_cached_statement (
      self, "SELECT size, media_type, name FROM attachment WHERE sha256 = ?", error);
  if (stmt == NULL)
    {
      _dft_store_unlock (self);
      return NULL;
    }
  sqlite3_bind_text (stmt, 1, sha256, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      info = g_new0 (DftAttachmentInfo, 1);
      info->sha256 = g_strdup (sha256);
      info->size = sqlite3_column_int64 (stmt, 0);
      info->media_type = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      info->name = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
    }
  else if (rc == SQLITE_DONE)
    set_not_found (error);
  else
    dft_db_set_error (error, self->db, rc, _ ("reading an attached file"));
  sqlite3_reset (stmt);
  _dft_store_unlock (self);
  return info;
}

GBytes *
dft_store_read_attachment_range (
    DftStore *self, const char *sha256, gint64 start, gsize max_bytes, gint64 *size, GError **error)
{
  char          sha[65];
  sqlite3_stmt *stmt;
  sqlite3_blob *blob = NULL;
  sqlite3_int64 rowid;
  GBytes       *bytes = NULL;
  int           rc;

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  g_return_val_if_fail (start >= 0, NULL);

  if (!sha_of (sha256, sha))
    {
      set_not_found (error);
      return NULL;
    }
  _dft_store_lock (self);
  stmt = _dft_store_cached_statement (self, "SELECT rowid FROM attachment WHERE sha256 = ?", error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_text (stmt, 1, sha, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      if (rc == SQLITE_DONE)
        set_not_found (error);
      else
        dft_db_set_error (error, self->db, rc, _ ("reading an attached file"));
      sqlite3_reset (stmt);
      goto out;
    }
  rowid = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);

  /* SQLite's incremental blob I/O reads the piece without loading the whole file. */
  rc = sqlite3_blob_open (self->db, "main", "attachment", "data", rowid, 0, &blob);
  if (rc != SQLITE_OK)
    {
      dft_db_set_error (error, self->db, rc, _ ("reading an attached file"));
      goto out;
    }
  {
    gint64  total = sqlite3_blob_bytes (blob);
    gint64  n = start >= total ? 0 : MIN ((gint64) max_bytes, total - start);
    guint8 *buffer = g_malloc (MAX (n, 1));

    if (size != NULL)
      *size = total;
    rc = n > 0 ? sqlite3_blob_read (blob, buffer, (int) n, (int) start) : SQLITE_OK;
    if (rc != SQLITE_OK)
      {
        g_free (buffer);
        dft_db_set_error (error, self->db, rc, _ ("reading an attached file"));
      }
    else
      bytes = g_bytes_new_take (buffer, (gsize) n);
  }
  sqlite3_blob_close (blob);
out:
  _dft_store_unlock (self);
  return bytes;
}

GBytes *
dft_store_read_attachment (DftStore *self, const char *answer_or_sha256, GError **error)
{
  return dft_store_read_attachment_range (self, answer_or_sha256, 0, G_MAXINT, NULL, error);
}

static void
read_worker (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  GBytes *bytes;

  if (g_task_return_error_if_cancelled (task))
    return;
  bytes = dft_store_read_attachment (source, task_data, &error);
  if (bytes == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, bytes, (GDestroyNotify) g_bytes_unref);
}

void
dft_store_read_attachment_async (DftStore           *self,
                                 const char         *answer_or_sha256,
                                 GCancellable       *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (DFT_IS_STORE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dft_store_read_attachment_async);
  g_task_set_task_data (task, g_strdup (answer_or_sha256), g_free);
  g_task_run_in_thread (task, read_worker);
}

GBytes *
dft_store_read_attachment_finish (DftStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The first column of every row of @sql (one ? bound to @param when not NULL). */
static GPtrArray *
list_texts (DftStore *self, const char *sql, const char *param, GError **error)
{
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt         *stmt;
  int                   rc;

  _dft_store_lock (self);
  stmt = _dft_store_cached_statement (self, sql, error);
  if (stmt == NULL)
    {
      _dft_store_unlock (self);
      return NULL;
    }
  if (param != NULL)
    sqlite3_bind_text (stmt, 1, param, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (out, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  sqlite3_reset (stmt);
  _dft_store_unlock (self);
  if (rc != SQLITE_DONE)
    {
      dft_db_set_error (error, self->db, rc, _ ("reading the attached files"));
      return NULL;
    }
  return g_steal_pointer (&out);
}

static GPtrArray *
limited (GPtrArray *list, guint limit)
{
  if (list != NULL && limit > 0 && list->len > limit)
    g_ptr_array_set_size (list, limit);
  return list;
}

GStrv
dft_store_list_submission_attachments (DftStore *self, const char *submission_id)
{
  GPtrArray *list;

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);
  g_return_val_if_fail (submission_id != NULL, NULL);

  list = list_texts (self,
                     "SELECT sha256 FROM attachment_ref WHERE submission_id = ? ORDER BY sha256",
                     submission_id, NULL);
  if (list == NULL)
    return g_new0 (char *, 1);
  g_ptr_array_add (list, NULL);
  return (GStrv) g_ptr_array_free (list, FALSE);
}

GPtrArray *
dft_store_list_attachments_to_upload (DftStore *self, guint limit, GError **error)
{
  g_return_val_if_fail (DFT_IS_STORE (self), NULL);

  return limited (list_texts (self,
                              "SELECT a.sha256 FROM attachment a WHERE a.uploaded = 0"
                              " AND EXISTS (SELECT 1 FROM attachment_ref r"
                              "  WHERE r.sha256 = a.sha256)"
                              " ORDER BY a.added_at, a.sha256",
                              NULL, error),
                  limit);
}

static gboolean
exec_with_sha (DftStore *self, const char *sql, const char *sha256, GError **error)
{
  sqlite3_stmt *stmt;
  gboolean      ok;

  _dft_store_lock (self);
  stmt = _dft_store_cached_statement (self, sql, error);
  if (stmt == NULL)
    {
      _dft_store_unlock (self);
      return FALSE;
    }
  if (sha256 != NULL)
    sqlite3_bind_text (stmt, 1, sha256, -1, SQLITE_TRANSIENT);
  ok = dft_db_step_done (self->db, stmt, error);
  sqlite3_reset (stmt);
  _dft_store_unlock (self);
  return ok;
}

gboolean
dft_store_mark_attachment_uploaded (DftStore *self, const char *sha256, GError **error)
{
  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  g_return_val_if_fail (dft_attachment_is_sha256 (sha256), FALSE);

  return exec_with_sha (self, "UPDATE attachment SET uploaded = 1 WHERE sha256 = ?", sha256, error);
}

gboolean
dft_store_forget_attachment_uploads (DftStore *self, GError **error)
{
  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);

  return exec_with_sha (self, "UPDATE attachment SET uploaded = 0 WHERE uploaded = 1", NULL, error);
}

GPtrArray *
dft_store_list_attachments_missing (DftStore *self, guint limit, GError **error)
{
  g_return_val_if_fail (DFT_IS_STORE (self), NULL);

  return limited (list_texts (self,
                              "SELECT DISTINCT r.sha256 FROM attachment_ref r"
                              " WHERE NOT EXISTS (SELECT 1 FROM attachment a"
                              "  WHERE a.sha256 = r.sha256)"
                              " ORDER BY r.sha256",
                              NULL, error),
                  limit);
}

gboolean
dft_store_attachment_is_named (DftStore *self, const char *sha256)
{
  g_autoptr (GPtrArray) list = NULL;

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);

  if (!dft_attachment_is_sha256 (sha256))
    return FALSE;
  list = list_texts (self, "SELECT sha256 FROM attachment_ref WHERE sha256 = ? LIMIT 1", sha256,
                     NULL);
  return list != NULL && list->len > 0;
}

static gint64
query_size_locked (DftStore *self, const char *sql, const char *sha256, GError **error)
{
  sqlite3_stmt *stmt = _dft_store_cached_statement (self, sql, error);
  gint64        value = -1;
  int           rc;

  if (stmt == NULL)
    return -1;
  sqlite3_bind_text (stmt, 1, sha256, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    value = sqlite3_column_type (stmt, 0) == SQLITE_NULL ? 0 : sqlite3_column_int64 (stmt, 0);
  else if (rc == SQLITE_DONE)
    value = 0;
  else
    dft_db_set_error (error, self->db, rc, _ ("reading an attached file"));
  sqlite3_reset (stmt);
  return value;
}

#define HELD_SIZE_SQL "SELECT size FROM attachment WHERE sha256 = ?"
#define PART_SIZE_SQL "SELECT sum (length (data)) FROM attachment_part WHERE sha256 = ?"

gint64
dft_store_attachment_received (DftStore *self, const char *sha256)
{
  gint64 size;

  g_return_val_if_fail (DFT_IS_STORE (self), 0);
  if (!dft_attachment_is_sha256 (sha256))
    return 0;

  _dft_store_lock (self);
  size = query_size_locked (self, HELD_SIZE_SQL, sha256, NULL);
  if (size <= 0)
    size = query_size_locked (self, PART_SIZE_SQL, sha256, NULL);
  _dft_store_unlock (self);
  return MAX (size, 0);
}

/* Joins the pieces of @sha256 into the file and checks them; under the lock, in a transaction. */
static gboolean
finish_pieces_locked (DftStore   *self,
                      const char *sha256,
                      gint64      size,
                      const char *media_type,
                      const char *file_name,
                      GError    **error)
{
  sqlite3_stmt *stmt = _dft_store_cached_statement (
      self, "SELECT data FROM attachment_part WHERE sha256 = ? ORDER BY start", error);
  g_autoptr (GChecksum)  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr (GByteArray) whole = g_byte_array_sized_new ((guint) size);
  g_autoptr (GBytes)     data = NULL;
  g_autofree char       *type = NULL;
  int                    rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, sha256, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_byte_array_append (whole, sqlite3_column_blob (stmt, 0),
                         (guint) sqlite3_column_bytes (stmt, 0));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return dft_db_set_error (error, self->db, rc, _ ("reading an attached file"));

  g_checksum_update (checksum, whole->data, whole->len);
  if ((gint64) whole->len != size || !g_str_equal (g_checksum_get_string (checksum), sha256))
    {
      exec_with_sha (self, "DELETE FROM attachment_part WHERE sha256 = ?", sha256, NULL);
      g_set_error_literal (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID,
                           _ ("A file arrived damaged: its bytes are not the ones its "
                              "name promises. It will be fetched again."));
      return FALSE;
    }
  data = g_byte_array_free_to_bytes (g_steal_pointer (&whole));
  type = media_type != NULL && *media_type != '\0' ? g_strdup (media_type)
                                                   : guess_media_type (file_name, data);
  /* A file that came from elsewhere is already on the server. */
  if (!insert_locked (self, sha256, data, type, file_name, TRUE, error))
    return FALSE;
  return exec_with_sha (self, "DELETE FROM attachment_part WHERE sha256 = ?", sha256, error);
}

gboolean
dft_store_add_attachment_piece (DftStore   *self,
                                const char *sha256,
                                gint64      start,
                                GBytes     *data,
                                gint64      size,
                                const char *media_type,
                                const char *file_name,
                                gboolean   *complete,
                                GError    **error)
{
  g_autofree char *base = NULL;
  sqlite3_stmt    *stmt;
  gint64           held, received;
  gsize            n;
  gboolean         ok = FALSE;

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  g_return_val_if_fail (data != NULL, FALSE);

  if (complete != NULL)
    *complete = FALSE;
  if (!dft_attachment_is_sha256 (sha256))
    {
      g_set_error_literal (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID,
                           _ ("An attached file’s name is not a SHA-256 hash."));
      return FALSE;
    }
  if (size <= 0 || size > DFT_ATTACHMENT_MAX_BYTES)
    {
      set_too_large (error, size);
      if (size <= 0)
        {
          g_clear_error (error);
          g_set_error_literal (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID,
                               _ ("An attached file is empty."));
        }
      return FALSE;
    }
  n = g_bytes_get_size (data);
  base = file_name != NULL ? g_path_get_basename (file_name) : NULL;

  _dft_store_lock (self);
  held = query_size_locked (self, HELD_SIZE_SQL, sha256, error);
  if (held < 0)
    goto out;
  if (held > 0)
    {
      /* Held whole already: another upload of it finished first. */
      if (complete != NULL)
        *complete = TRUE;
      ok = TRUE;
      goto out;
    }
  received = query_size_locked (self, PART_SIZE_SQL, sha256, error);
  if (received < 0)
    goto out;
  if (start != received || start + (gint64) n > size)
    {
      g_autofree char *at = g_strdup_printf ("%" G_GINT64_FORMAT, start);
      g_autofree char *got = g_strdup_printf ("%" G_GINT64_FORMAT, received);
      g_autofree char *whole = g_strdup_printf ("%" G_GINT64_FORMAT, size);

      g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID,
                   /* Translators: the three %s are numbers of bytes: where a piece starts,
                      how many bytes came before it, and the whole file's size */
                   _ ("A piece of an attached file starts at byte %s where %s bytes were "
                      "received, or goes past its %s bytes."),
                   at, got, whole);
      goto out;
    }
  if (!dft_db_exec (self->db, "SAVEPOINT attachment_piece", error))
    goto out;
  if (n > 0)
    {
      stmt = _dft_store_cached_statement (
          self, "INSERT INTO attachment_part (sha256, start, data) VALUES (?, ?, ?)", error);
      if (stmt == NULL)
        goto rollback;
      sqlite3_bind_text (stmt, 1, sha256, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 2, start);
      sqlite3_bind_blob64 (stmt, 3, g_bytes_get_data (data, NULL), n, SQLITE_STATIC);
      ok = dft_db_step_done (self->db, stmt, error);
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      if (!ok)
        goto rollback;
    }
  ok = TRUE;
  if (start + (gint64) n == size)
    {
      ok = finish_pieces_locked (self, sha256, size, media_type, base, error);
      if (!ok)
        {
          /* The damaged pieces go: release what finish_pieces_locked() deleted. */
          dft_db_exec (self->db, "RELEASE attachment_piece", NULL);
          goto out;
        }
      if (complete != NULL)
        *complete = TRUE;
    }
  ok = dft_db_exec (self->db, "RELEASE attachment_piece", error);
  goto out;

rollback:
  dft_db_exec (self->db, "ROLLBACK TO attachment_piece", NULL);
  dft_db_exec (self->db, "RELEASE attachment_piece", NULL);
  ok = FALSE;
out:
  _dft_store_unlock (self);
  return ok;
}

guint
dft_store_prune_attachments (DftStore *self, gint64 older_than_s, GError **error)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr (GDateTime) then = g_date_time_add_seconds (now, (gdouble) -older_than_s);
  g_autofree char      *cutoff = g_date_time_format (then, "%Y-%m-%dT%H:%M:%S.999Z");
  sqlite3_stmt         *stmt;
  guint                 pruned = 0;

  g_return_val_if_fail (DFT_IS_STORE (self), 0);

  _dft_store_lock (self);
  stmt = _dft_store_cached_statement (
      self,
      "DELETE FROM attachment WHERE added_at < ? AND NOT EXISTS"
      " (SELECT 1 FROM attachment_ref r WHERE r.sha256 = attachment.sha256)",
      error);
  if (stmt != NULL)
    {
      gboolean ok;

      sqlite3_bind_text (stmt, 1, cutoff, -1, SQLITE_TRANSIENT);
      ok = dft_db_step_done (self->db, stmt, error);

      pruned = ok ? (guint) sqlite3_changes (self->db) : 0;
      sqlite3_reset (stmt);
      if (ok)
        {
          dft_db_exec (self->db,
                       "DELETE FROM attachment_part WHERE NOT EXISTS"
                       " (SELECT 1 FROM attachment_ref r WHERE r.sha256 = attachment_part.sha256)",
                       error);
        }
    }
  _dft_store_unlock (self);
  return pruned;
}

GPtrArray *
dft_store_list_attachment_submissions (DftStore *self, const char *sha256, GError **error)
{
  g_return_val_if_fail (DFT_IS_STORE (self), NULL);

  if (!dft_attachment_is_sha256 (sha256))
    return g_ptr_array_new_with_free_func (g_free);
  return list_texts (self,
                     "SELECT DISTINCT submission_id FROM attachment_ref WHERE sha256 = ?"
                     " ORDER BY submission_id",
                     sha256, error);
}
