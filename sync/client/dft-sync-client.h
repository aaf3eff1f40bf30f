/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dft-store.h"

G_BEGIN_DECLS

/*
 * The sync client of sync/PROTOCOL.md: libcurl in a worker thread, never the
 * caller's. It pushes this device's own changes, then pulls everyone else's
 * and applies them with the store's merge, one request per step and small
 * gzip batches that shrink when the link drops. Marks (what the server
 * acknowledged, where pulling stopped) are saved only after a reply that is
 * really the server's, so an interrupted sync resumes and a captive portal
 * or a garbled reply loses nothing.
 *
 * It syncs on demand, when the network appears and periodically; its state is
 * in properties, always changed from the main context it was made in.
 */

#define DFT_SYNC_CLIENT_ERROR (dft_sync_client_error_quark ())

typedef enum
{
  DFT_SYNC_CLIENT_ERROR_NOT_CONFIGURED, /* no server address, or the device is not signed in */
  DFT_SYNC_CLIENT_ERROR_NETWORK,        /* the server could not be reached, after retries */
  DFT_SYNC_CLIENT_ERROR_TIMED_OUT,      /* the link stalled, after retries */
  DFT_SYNC_CLIENT_ERROR_TLS,            /* the server's certificate is not trusted */
  DFT_SYNC_CLIENT_ERROR_UNAUTHORIZED,   /* wrong password or code, or a revoked device */
  DFT_SYNC_CLIENT_ERROR_REFUSED,        /* the server refused the request; its reason is shown */
  DFT_SYNC_CLIENT_ERROR_CLOCK_AHEAD,    /* this device's date is ahead: its changes wait for it */
} DftSyncClientError;

GQuark dft_sync_client_error_quark (void);

typedef enum
{
  DFT_SYNC_STATE_IDLE,
  DFT_SYNC_STATE_SYNCING,
  DFT_SYNC_STATE_OFFLINE, /* no network, or the server could not be reached */
  DFT_SYNC_STATE_ERROR,   /* the last sync failed for a reason a person must see to */
} DftSyncState;

#define DFT_TYPE_SYNC_STATE (dft_sync_state_get_type ())
GType dft_sync_state_get_type (void);

typedef struct
{
  guint    pushed;          /* own changes the server acknowledged in this sync */
  guint    received;        /* changes pulled */
  guint    applied;         /* of those, changes that changed something here */
  guint    conflicts;       /* conflict records made while applying */
  guint    requests;        /* HTTP requests sent, retries included */
  guint    retries;         /* requests that failed and were tried again */
  guint    restarts;        /* syncs begun again because the server's epoch changed */
  guint    relayed;         /* changes held here sent again for a server restored from a backup */
  gboolean new_identity;    /* this database was a copy and took a device id of its own */
  guint    longest_wait_ms; /* the longest wait before a retry */
  guint    total_wait_ms;   /* the waits before retries, added up */
  guint    clocks_ahead; /* changes pulled whose clocks were far ahead: this clock did not follow */
  guint    restamped;    /* own changes stamped while this device's date was far ahead, given
                          * new clock values once it was right */
  guint set_aside;       /* own changes the server refused one by one (their reasons are in
                          * the store: dft_store_count_set_aside()); the rest was sent */
  /* Attached files (sync/PROTOCOL.md, "Attachments"). */
  guint   files_sent;         /* files this device uploaded whole in this sync */
  guint   files_fetched;      /* files received whole */
  guint64 file_bytes_sent;    /* bytes of the pieces uploaded */
  guint64 file_bytes_fetched; /* bytes of the pieces received */
  guint   files_unavailable;  /* files the server does not give (not uploaded yet, refused) or
                               * refused to take: skipped, tried again at the next sync */
  guint forgotten; /* people deleted and purged on the server whose delete this device missed:
                    * removed here too (sync/PROTOCOL.md, "Purge") */
} DftSyncStats;

/* Which halves of a sync run; by default both (dft_sync_client_set_flags(), for the syncs
 * started after it; NO_PULL and NO_PUSH together are refused). A sync with one half left out
 * is not a whole one: it does not change the last-sync time. */
typedef enum
{
  DFT_SYNC_FLAGS_NONE = 0,
  DFT_SYNC_FLAGS_NO_PULL = 1 << 0, /* send this device's changes and files, receive nothing */
  DFT_SYNC_FLAGS_NO_PUSH = 1 << 1, /* receive everyone's changes and files, send nothing */
} DftSyncFlags;

#define DFT_TYPE_SYNC_CLIENT (dft_sync_client_get_type ())
G_DECLARE_FINAL_TYPE (DftSyncClient, dft_sync_client, DFT, SYNC_CLIENT, GObject)

DftSyncClient *dft_sync_client_new (DftStore *store);

DftStore   *dft_sync_client_get_store (DftSyncClient *self);
const char *dft_sync_client_get_server_url (DftSyncClient *self);
void        dft_sync_client_set_server_url (DftSyncClient *self, const char *url);
/* Whether @url is one a device may send passwords and records to: https://, or plain http://
 * to this computer or a private network's address or name (a workshop's own router: 192.168.x,
 * daftari.local, server.home.arpa). */
gboolean     dft_sync_client_check_url (const char *url, GError **error);
const char  *dft_sync_client_get_pinned_certificate (DftSyncClient *self);
void         dft_sync_client_set_pinned_certificate (DftSyncClient *self, const char *pem_path);
gboolean     dft_sync_client_get_automatic (DftSyncClient *self);
void         dft_sync_client_set_automatic (DftSyncClient *self, gboolean automatic);
guint        dft_sync_client_get_sync_interval (DftSyncClient *self);
void         dft_sync_client_set_sync_interval (DftSyncClient *self, guint seconds);
DftSyncFlags dft_sync_client_get_flags (DftSyncClient *self);
void         dft_sync_client_set_flags (DftSyncClient *self, DftSyncFlags flags);
DftSyncState dft_sync_client_get_state (DftSyncClient *self);
gboolean     dft_sync_client_get_signed_in (DftSyncClient *self);
gint64       dft_sync_client_get_pending_changes (DftSyncClient *self);
gint64       dft_sync_client_get_open_conflicts (DftSyncClient *self);
gint64       dft_sync_client_get_last_sync (DftSyncClient *self);
const char  *dft_sync_client_get_last_error (DftSyncClient *self);
/* Why the server set aside the latest change it refused on its own (DftSyncStats.set_aside), in
 * the server's words; NULL when none was. */
const char *dft_sync_client_get_set_aside_reason (DftSyncClient *self);
/* The one line to tell a person that @count changes were set aside, with the latest @reason. */
char *dft_sync_set_aside_message (guint count, const char *reason);
/* Where the device's token is kept, as a sentence for people (the keyring, or the database and
 * why); NULL when the device is not signed in. */
const char *dft_sync_client_get_token_storage (DftSyncClient *self);
double      dft_sync_client_get_progress (DftSyncClient *self);
gint64      dft_sync_client_get_clock_drift_ms (DftSyncClient *self);

/*
 * Signing in: with an account, or with an enrolment code from a coordinator.
 * Both need the server-url property set and store the device's token (and the
 * server's address) in the store, so later syncs and the command-line tool
 * need neither again.
 */
void     dft_sync_client_login_async (DftSyncClient      *self,
                                      const char         *username,
                                      const char         *password,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data);
gboolean dft_sync_client_login_finish (DftSyncClient *self, GAsyncResult *result, GError **error);
void     dft_sync_client_enrol_async (DftSyncClient      *self,
                                      const char         *code,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data);
gboolean dft_sync_client_enrol_finish (DftSyncClient *self, GAsyncResult *result, GError **error);
/* Forgets the device's token, in the keyring and the database; the records and what is not
 * sent yet stay. A revoked device's token is forgotten the same way by the sync that finds it. */
void dft_sync_client_sign_out_async (DftSyncClient      *self,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data);
gboolean
dft_sync_client_sign_out_finish (DftSyncClient *self, GAsyncResult *result, GError **error);

/*
 * One sync: push, then pull. A call while a sync runs waits for it and then
 * runs one more, shared by every caller that waited; cancelling any of their
 * cancellables cancels that shared sync. The store is consistent whenever a
 * sync stops: each pulled page is applied in one transaction and its mark
 * saved after it. A sync that failed still gives @stats: what it did first.
 */
void     dft_sync_client_sync_async (DftSyncClient      *self,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data);
gboolean dft_sync_client_sync_finish (DftSyncClient *self,
                                      GAsyncResult  *result,
                                      DftSyncStats  *stats,
                                      GError       **error);
/* Starts a sync (or one more after the running one) and reports through the properties. */
void dft_sync_client_sync_now (DftSyncClient *self);
/* Cancels the running sync, if any. */
void dft_sync_client_cancel (DftSyncClient *self);

G_END_DECLS
