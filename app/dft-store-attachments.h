/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dft-store.h"

G_BEGIN_DECLS

/*
 * Files attached to submissions: the answers of image, audio, video and file questions.
 *
 * A file question's answer is "SHA256.ext": the SHA-256 of the file's bytes in lower-case hex,
 * a dot and the extension its name had ("bin" when it had none), as ODK Collect names the files
 * it attaches by itself rather than by the name they had. The bytes are kept once in the store
 * however many answers name them, and never change, so they are not records: nothing to merge,
 * no change log. Sync moves them beside the changes (sync/PROTOCOL.md, "Attachments"), in
 * pieces that a dropped link does not lose.
 */

/* The largest file a question takes: 10 MiB. A photo from a phone is 2–5 MiB; a longer video
 * is too much for the links trainers sync on. */
#define DFT_ATTACHMENT_MAX_BYTES (10 * 1024 * 1024)

typedef struct
{
  char  *sha256;     /* 64 lower-case hex digits */
  gint64 size;       /* bytes */
  char  *media_type; /* "image/jpeg"; "application/octet-stream" when not known */
  char  *name;       /* the file's name when it was chosen; NULL when not known */
} DftAttachmentInfo;

void dft_attachment_info_free (DftAttachmentInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftAttachmentInfo, dft_attachment_info_free)

/* Whether @answer names an attachment ("SHA256.ext"); its hash into @sha256 when it does. */
gboolean dft_attachment_parse_answer (const char *answer, char sha256[65]);
/* The answer naming the file of hash @sha256 that was called @file_name (may be NULL). */
char *dft_attachment_answer_for (const char *sha256, const char *file_name);
/* Whether @text is 64 lower-case hex digits. */
gboolean dft_attachment_is_sha256 (const char *text);

/* Keeps @data, the file called @file_name (may be NULL) of type @media_type (may be NULL:
 * guessed from the name and the bytes), and returns the answer naming it. Refuses a file larger
 * than DFT_ATTACHMENT_MAX_BYTES or an empty one (DFT_STORE_ERROR_INVALID). Keeping the same bytes
 * twice keeps them once. Blocks on the disk: call it from a worker thread. */
char *dft_store_add_attachment (
    DftStore *self, GBytes *data, const char *file_name, const char *media_type, GError **error);

/* The same, in a worker thread. */
void  dft_store_add_attachment_async (DftStore           *self,
                                      GBytes             *data,
                                      const char         *file_name,
                                      const char         *media_type,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data);
char *dft_store_add_attachment_finish (DftStore *self, GAsyncResult *result, GError **error);

/* What is known of the attachment an answer or a hash names; NULL with DFT_STORE_ERROR_NOT_FOUND
 * when this store does not hold its bytes (yet: a sync may bring them). */
DftAttachmentInfo *
dft_store_get_attachment_info (DftStore *self, const char *answer_or_sha256, GError **error);
/* Its bytes. */
GBytes *dft_store_read_attachment (DftStore *self, const char *answer_or_sha256, GError **error);
void    dft_store_read_attachment_async (DftStore           *self,
                                         const char         *answer_or_sha256,
                                         GCancellable       *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data);
GBytes *dft_store_read_attachment_finish (DftStore *self, GAsyncResult *result, GError **error);
/* At most @max_bytes of them from byte @start (a piece of a download); @size gets the whole
 * file's size. An empty GBytes when @start is the size or past it. */
GBytes *dft_store_read_attachment_range (DftStore   *self,
                                         const char *sha256,
                                         gint64      start,
                                         gsize       max_bytes,
                                         gint64     *size,
                                         GError    **error);

/* The hashes of the files the live submission @submission_id names, held or not. */
GStrv dft_store_list_submission_attachments (DftStore *self, const char *submission_id);

/*
 * For sync.
 */

/* The files this store holds that a live submission names and the server has not confirmed
 * holding: what a push uploads, oldest first, at most @limit (0: all). */
GPtrArray *dft_store_list_attachments_to_upload (DftStore *self, guint limit, GError **error);
/* The server holds the file: it is not uploaded again. */
gboolean dft_store_mark_attachment_uploaded (DftStore *self, const char *sha256, GError **error);
/* A server restored from a backup may lack any of them: upload everything again. */
gboolean dft_store_forget_attachment_uploads (DftStore *self, GError **error);
/* The hashes live submissions name whose files this store does not hold: what a pull fetches.
 * At most @limit (0: all). */
GPtrArray *dft_store_list_attachments_missing (DftStore *self, guint limit, GError **error);
/* Whether any live submission names the file (a server serves only those). */
gboolean dft_store_attachment_is_named (DftStore *self, const char *sha256);

/* A file arriving in pieces: the number of its bytes already received, 0 when none; the
 * file's full size when this store holds it whole. */
gint64 dft_store_attachment_received (DftStore *self, const char *sha256);
/* Keeps the piece @data, which starts at byte @start. A piece that starts elsewhere than where
 * the received bytes end is refused (DFT_STORE_ERROR_INVALID: ask the received size again);
 * one that would take the file past @size or DFT_ATTACHMENT_MAX_BYTES too. When the bytes reach
 * @size, they are checked against @sha256 and kept as the file (*complete is TRUE); bytes that do
 * not match are thrown away and refused. */
gboolean dft_store_add_attachment_piece (DftStore   *self,
                                         const char *sha256,
                                         gint64      start,
                                         GBytes     *data,
                                         gint64      size,
                                         const char *media_type,
                                         const char *file_name,
                                         gboolean   *complete,
                                         GError    **error);

/* Forgets files no submission names that were kept more than @older_than_s seconds ago (a
 * file chosen, then replaced or never saved), and pieces of files no longer named. Returns the
 * number of files forgotten. */
guint dft_store_prune_attachments (DftStore *self, gint64 older_than_s, GError **error);

/* The ids of the live submissions that name the file @sha256 (a server serves a file to a
 * device that may see one of them). */
GPtrArray *
dft_store_list_attachment_submissions (DftStore *self, const char *sha256, GError **error);

G_END_DECLS
