/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "dft-server-cluster.h"
#include "dft-server-limit.h"
#include "dft-server-metrics.h"
#include "dft-server.h"

G_BEGIN_DECLS

/*
 * What the parts of the server share: dft-server.c holds its life, the routes and the
 * dispatch of requests to workers; dft-server-sync.c the push and pull handlers;
 * dft-server-accounts.c sign-in, enrolment, devices and their administration;
 * dft-server-reply.c the JSON bodies of requests and replies.
 */

/* Sign-in, enrolment and code requests are a few hundred bytes. */
#define SMALL_BODY_MAX (64 * 1024)
/* One piece of an attached file, each way (sync/PROTOCOL.md, "Attachments"); a PUT body is
 * refused from its Content-Length past this and a little slack. */
#define ATTACHMENT_PIECE_MAX (1024 * 1024)
#define ATTACHMENT_BODY_MAX  (ATTACHMENT_PIECE_MAX + 16 * 1024)
#define ATTACHMENT_LIST_MAX  500
/*
 * Memory for pushes, server-wide: the bodies being received and the batches
 * being decoded together stay under this, however many devices push at once.
 * Decoding costs about PUSH_VALUE_COST bytes for each JSON value on top of the
 * text (a JsonNode, its object's hash table entry, then the change built from
 * it); a push past the budget waits up to PUSH_WAIT_S for others to finish,
 * then gets 503 with Retry-After.
 */
#define PUSH_BUDGET      ((gsize) 256 * 1024 * 1024)
#define PUSH_VALUE_COST  ((gsize) 256)
#define PUSH_WAIT_S      10
#define PUSH_RETRY_AFTER 5
/* Pushes received and decoded at once; one at a time applies (push_lock). */
#define PUSH_THREADS 4
/* Threads for syncs, which push and pull in one request (dft-server.c, start_pools()). */
#define SYNC_THREADS 64
/* After a push that cost this much, freed memory is handed back to the system. */
#define PUSH_TRIM_AT ((gsize) 4 * 1024 * 1024)

typedef struct _Request Request;
typedef void (*Handler) (DftServer *self, Request *request, DftDevice *device);

typedef struct
{
  const char *method;
  const char *path; /* after API_PREFIX; "*" stands for one device id, or a file's hash */
  gboolean    needs_device;
  Handler     handler;        /* NULL: answered at once in the main loop */
  gboolean    star_is_sha256; /* "*" is a file's SHA-256, not a device id */
} Route;

/* What a worker made of a request, applied to the message in the main loop. */
typedef struct
{
  guint       status;
  GBytes     *body;
  gboolean    gzip;
  gboolean    challenge; /* WWW-Authenticate: Bearer */
  const char *error_code;
  char       *device_id;
  guint       retry_after; /* seconds, for 503 */
  /* A reply of raw bytes (a piece of an attached file) rather than JSON. */
  char    *content_type;
  gboolean frame;     /* a column frame (sync/PROTOCOL.md): no Content-Type or Cache-Control line */
  gint64   file_size; /* X-Daftari-Size, when > 0 */
  char    *file_name; /* X-Daftari-File-Name, percent-encoded */
} Reply;

struct _Request
{
  DftServer         *server;
  SoupServerMessage *msg;
  const Route       *route;
  char              *path_id;
  GHashTable        *query;
  char              *authorization;
  char              *content_encoding;
  char              *acked; /* X-Daftari-Acked: what the device was told the server holds of it */
  char              *acked_change; /* X-Daftari-Acked-Change: the digest of that change */
  char              *content_type; /* of an attached file's piece */
  char              *file_name;    /* X-Daftari-File-Name, as sent (percent-encoded) */
  GBytes            *body;
  Reply              reply;
};

/* A counting semaphore over bytes. */
typedef struct
{
  GMutex lock;
  GCond  cond;
  gsize  used;
  gsize  limit;
} Budget;

struct _DftServer
{
  GObject parent_instance;

  char             *listen;
  guint             port;
  gsize             max_body;
  guint             token_days;
  char             *tls_certificate;
  char             *tls_key;
  SoupServer       *soup;
  DftStore         *store;
  DftServerDb      *db;
  DftServerCluster *cluster; /* several processes share the register's log; NULL: alone */
  /* Between dft_server_cluster_push_begin() and its end; under push_lock. */
  gboolean          cluster_pushing;
  char             *epoch;
  char             *bundle_key;   /* the public key USB bundles are sealed to */
  gint64            log_at_start; /* the last log position in the files when the server started */
  gint64            log_first;    /* positions this run gives start after this */
  gint64            data_version; /* the register's PRAGMA data_version when last checked */
  GMutex            epoch_lock;   /* guards epoch and the log gap, which a restore replaces */
  GMutex            push_lock;    /* check, claim and apply one push at a time */
  GMutex            attachment_lock; /* one piece of a file at a time: pieces follow each other */
  Budget            push_budget;     /* memory of the pushes under way: bodies and decoding */
  DftServerMetrics *metrics;         /* GET /metrics */
  DftRateLimit     *token_limit;     /* requests a device may make; NULL: no limit */
  DftRateLimit     *address_limit;   /* requests an address may make; NULL: no limit */
  GAsyncQueue      *readers;         /* DftStore: read-only connections for pulls, when free */
  guint             n_readers;
  GThreadPool      *pull_pool;
  GThreadPool      *push_pool;
  GThreadPool      *sync_pool;
  GMainLoop        *loop;
  guint             pending; /* messages paused for a worker, not yet finished */
  guint             working; /* workers running */
  gboolean          draining;
  gboolean          drain_expired;
  gboolean          finishing;
  guint             drain_timeout_id;
};

typedef struct
{
  const char *name;
  GType       type;
  gboolean    required;
  gboolean    nullable;
} Member;

/* dft-server.c */
char *_dft_server_current_epoch (DftServer *self);
/* In a cluster, takes up the epoch the last catch-up read, which "admin new-epoch" or another
 * process may have replaced. */
void _dft_server_take_cluster_epoch (DftServer *self);
/* Whether @position lies between the end of the log at start and this run's first position:
 * one no change was ever given, which a device can hold only from data since put back. */
gboolean _dft_server_in_log_gap (DftServer *self, gint64 position);
void     _dft_server_restore_found (DftServer *self, const char *why);
void     _dft_server_check_restored (DftServer *self);
gboolean _dft_server_budget_take (Budget *budget, gsize n, gint64 deadline);
void     _dft_server_budget_give (Budget *budget, gsize n);

/* dft-server-reply.c */
JsonObject *_dft_server_reply_object_new (void);
void        _dft_server_reply_json (Reply *reply, guint status, JsonObject *object);
void    _dft_server_reply_error (Reply *reply, guint status, const char *code, const char *message);
void    _dft_server_reply_internal (Reply *reply, const GError *error);
void    _dft_server_reply_gerror (Reply *reply, const GError *error);
void    _dft_server_apply_reply (SoupServerMessage *msg, const Reply *reply);
void    _dft_server_reply_busy (Reply *reply);
GBytes *_dft_server_body_json (Request *request, gsize max_json, GError **error);
gboolean _dft_server_bad_request (GError **error, const char *message);
JsonObject *
_dft_server_parse_object (Request *request, const Member *members, guint n_members, GError **error);
const char *_dft_server_member_string (JsonObject *object, const char *name);
GPtrArray  *_dft_server_parse_list (Request    *request,
                                    JsonParser *parser,
                                    const char *member,
                                    guint       max,
                                    gboolean (*valid) (const char *text),
                                    const char *shape,
                                    const char *too_many,
                                    const char *bad_item);

/* dft-server-accounts.c */
gint64     _dft_server_now_seconds (void);
DftDevice *_dft_server_authenticate (DftServer *self, Request *request);
void       _dft_server_handle_login (DftServer *self, Request *request, DftDevice *device);
void       _dft_server_handle_enrol (DftServer *self, Request *request, DftDevice *device);
void       _dft_server_handle_reidentify (DftServer *self, Request *request, DftDevice *device);
void       _dft_server_handle_device_keys (DftServer *self, Request *request, DftDevice *device);
/* The bundle signing keys of the devices not revoked, device id -> key, and a short tag of them
 * that changes when they do. */
JsonObject *_dft_server_device_keys (DftServer *self, GError **error);
char       *_dft_server_device_keys_tag (JsonObject *keys);
void        _dft_server_handle_revoke (DftServer *self, Request *request, DftDevice *device);
void        _dft_server_handle_codes (DftServer *self, Request *request, DftDevice *device);

/* dft-server-attachments.c */
void _dft_server_handle_attachments_missing (DftServer *self, Request *request, DftDevice *device);
void _dft_server_handle_attachment_put (DftServer *self, Request *request, DftDevice *device);
void _dft_server_handle_attachment_get (DftServer *self, Request *request, DftDevice *device);

/* dft-server-purge.c */
void _dft_server_handle_purged (DftServer *self, Request *request, DftDevice *device);

/* dft-server-readers.c */
gboolean   _dft_server_readers_open (DftServer *self, GError **error);
void       _dft_server_readers_close (DftServer *self);
DftStore  *_dft_server_reader_take (DftServer *self, GError **error);
void       _dft_server_reader_give (DftServer *self, DftStore *reader);
void       _dft_server_test_push_gate (void);
GPtrArray *_dft_server_read_pull_page (DftServer       *self,
                                       DftStore        *reader,
                                       const DftDevice *device,
                                       gint64           after,
                                       guint            limit,
                                       gint64          *cursor,
                                       gboolean        *more,
                                       GError         **error);

/* dft-server-sync.c */
void _dft_server_handle_push (DftServer *self, Request *request, DftDevice *device);
void _dft_server_handle_pull (DftServer *self, Request *request, DftDevice *device);
void _dft_server_handle_sync (DftServer *self, Request *request, DftDevice *device);

G_END_DECLS
