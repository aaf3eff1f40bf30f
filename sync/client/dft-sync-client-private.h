/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <curl/curl.h>
#include <json-glib/json-glib.h>

#include "dft-sync-client.h"

G_BEGIN_DECLS

/*
 * What the parts of the sync client share: dft-sync-client.c holds the object and its
 * scheduler, dft-sync-run.c one sync or sign-in (push, pull, batching) and
 * dft-sync-transport.c one request over libcurl (pinning, retries).
 */

/* Batch sizes: the client starts from them, a run adapts them to the link. */
#define MIN_BATCH_BYTES  512
#define PUSH_LIMIT_START 1024
#define PUSH_LIMIT_MAX   4096
#define PULL_LIMIT_START 500
#define PULL_LIMIT_MIN   1
#define PULL_LIMIT_MAX   5000

/* The client's properties; a run posts changes to some of them (_dft_sync_client_post_update). */
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

typedef enum
{
  FAIL_FATAL,   /* no point trying again: not the server, refused, cancelled */
  FAIL_RETRY,   /* the network failed before anything was lost */
  FAIL_DROPPED, /* the connection broke under a transfer: try again with less */
  FAIL_SHRINK,  /* the server found the batch too large */
} Failure;

/*
 * Everything that touches the network or the disk runs in a GTask thread on a
 * snapshot of the settings (a Run). The thread never touches the object's
 * fields: property changes are posted to the main context the object was made
 * in.
 */
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
  /* What one connection has carried before the link cut it, the least seen (0: no cut yet),
   * and what the connection in use has carried: a request that would take it past the mark
   * goes on a new connection, and batches stay under it (issue 19). */
  guint64 link_bytes;
  guint64 conn_bytes;
  guint   link_successes;
  /* The last cut came after the whole request body had gone out: the server may have applied
   * it, so the next request asks what it holds before sending the batch again. */
  gboolean upload_whole;

  DftSyncFlags flags;     /* the halves of the sync left out */
  gboolean     json_wire; /* sync in JSON, not the column format (DAFTARI_SYNC_WIRE=json) */

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
  /* Failed requests in a row that found no server or a busy one, since the last success or
   * cut transfer: what the backoff before the next try grows with. */
  guint unreachable;
  /* What the last 429 or 503 asked the client to wait (Retry-After), for the next try. */
  guint retry_after_ms;
  /* Daftari's server has answered in this run: an answer without its mark after that is a
   * reply cut short on a bad link, not a captive portal's page. */
  gboolean server_seen;
  long     last_status; /* of the last request the server answered, 0 when none */
  /* A push refused as a fork ("forked"): this database is a copy of another device's, which
   * made other changes from fork_seq on. */
  gboolean forked;
  gint64   fork_seq;
  char    *set_aside_reason; /* the latest change the server set aside: why */
  /* The size of a file's next piece, which follows the link (see dft-sync-attachments.c), and
   * the pieces that went through since it last changed. */
  guint piece_bytes;
  guint piece_successes;

  DftSyncStats stats;
} Run;

/* A request about an attached file (sync/PROTOCOL.md, "Attachments"). */
typedef struct
{
  /* What a PUT sends. */
  const char *content_type;
  const char *file_name;
  /* What came back: the status, and for a refusal its code and the "received" it names (-1
   * when none); for a GET of 200, the piece and what the headers said of the file. */
  long    status;
  char   *error_code;
  gint64  received;
  GBytes *data;
  gint64  size;
  char   *reply_content_type;
  char   *reply_file_name;
} DftSyncBytes;

/* dft-sync-client.c: the main context's side. */
void _dft_sync_client_post_update (Run *run, guint prop, double d, gint64 i);

/* dft-sync-transport.c: one request. */
const char *_dft_sync_member_string (JsonObject *object, const char *name);
gboolean    _dft_sync_member_int (JsonObject *object, const char *name, gint64 *value);
gboolean    _dft_sync_member_bool (JsonObject *object, const char *name);
/* The JSON body {"@member": [@items from @from to before @to]} of a request that asks about a
 * list of ids or hashes (POST purged, POST attachments/missing). */
GBytes *_dft_sync_list_body (const char *member, GPtrArray *items, guint from, guint to);
char   *_dft_sync_pin_from_pem (const char *path, GError **error);
void    _dft_sync_not_the_server (GError **error);
/* The digest of this device's own change numbered @seq (dft_change_digest()), or NULL. */
char    *_dft_sync_own_change_digest (DftStore *store, gint64 seq);
gboolean _dft_sync_request (Run         *run,
                            const char  *server_url,
                            const char  *method,
                            const char  *path,
                            GBytes      *body,
                            gboolean     gzipped,
                            GBytes     **json,
                            JsonObject **reply,
                            Failure     *failure,
                            GError     **error);
/* A POST of a batch (JSON, gzip when @gzipped, or a column frame) whose reply is a batch: a
 * frame's changes come back decoded in *changes, a JSON reply's text in *json (*changes NULL). */
gboolean _dft_sync_request_batch (Run         *run,
                                  const char  *server_url,
                                  const char  *path,
                                  GBytes      *body,
                                  gboolean     gzipped,
                                  GPtrArray  **changes,
                                  GBytes     **json,
                                  JsonObject **reply,
                                  Failure     *failure,
                                  GError     **error);
/* The same for a file's piece: a PUT of @body, or a GET whose 200 reply is raw bytes. */
gboolean _dft_sync_request_bytes (Run          *run,
                                  const char   *server_url,
                                  const char   *method,
                                  const char   *path,
                                  GBytes       *body,
                                  DftSyncBytes *bytes,
                                  JsonObject  **reply,
                                  Failure      *failure,
                                  GError      **error);
void     _dft_sync_bytes_clear (DftSyncBytes *bytes);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (DftSyncBytes, _dft_sync_bytes_clear)
gboolean _dft_sync_should_retry (Run *run, Failure failure, guint *failures, GError **error);

/* dft-sync-run.c: one sync or sign-in, in a worker thread. */
gboolean _dft_sync_state_get_int (DftStore *store, const char *key, gint64 *value, GError **error);
gboolean _dft_sync_state_set_int (DftStore *store, const char *key, gint64 value, GError **error);
char    *_dft_sync_state_get_string (DftStore *store, const char *key, GError **error);
/* dft-sync-attachments.c: the files attached to submissions. */
gboolean _dft_sync_upload_attachments (Run *run, const char *server_url, GError **error);
gboolean _dft_sync_fetch_attachments (Run *run, const char *server_url, GError **error);

void _dft_sync_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable);
void _dft_sync_sign_in_thread (GTask        *task,
                               gpointer      source,
                               gpointer      task_data,
                               GCancellable *cancellable);

G_END_DECLS
