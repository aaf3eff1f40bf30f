/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dft-store.h"
#include "dft-sync-client.h"

G_BEGIN_DECLS

/* How long a test waits for one sign-in or sync before it fails, on a loaded machine. */
#define DFT_TEST_DEVICE_WAIT_SECONDS 120

/*
 * A laptop in a test that syncs with a real daftari-server process: a store of its own in a
 * folder of its own, and a sync client that syncs only when told (test-cluster.c,
 * test-sync-attachments.c, test-migrate-storage.c).
 */
typedef struct
{
  char          *dir;
  DftStore      *store;
  DftSyncClient *client;
} DftTestDevice;

/* @stall_timeout_s: how long a link may say nothing before the client gives up on it. */
void dft_test_device_open (DftTestDevice *device, const char *url, guint stall_timeout_s);
/* Waits for the client's background reads to let it go, then closes all; nothing if not open. */
void dft_test_device_close (DftTestDevice *device);
/* Signs in; fails the test if the server says no. */
void dft_test_device_login (DftTestDevice *device, const char *username, const char *password);
/* One sync, as the client ends it: FALSE with @error set when it failed. @stats may be NULL. */
gboolean dft_test_device_try_sync (DftTestDevice *device, DftSyncStats *stats, GError **error);
/* One sync that must succeed. */
DftSyncStats dft_test_device_sync (DftTestDevice *device);

/* A reply to dft_test_device_request(): its status, body, and headers by lower-case name. */
typedef struct
{
  long        status;
  GByteArray *body;
  GHashTable *headers;
} DftTestReply;

void dft_test_reply_clear (DftTestReply *reply);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (DftTestReply, dft_test_reply_clear)
/* The value of the header @name (lower case) of @reply, trimmed; NULL without one. */
const char *dft_test_reply_header (DftTestReply *reply, const char *name);

/*
 * @method @path (after /api/v1/) to the server at @url with @device's token, by hand rather
 * than through its sync client, and @body for a PUT or POST (JSON for a POST, a JPEG for a
 * PUT). Fails the test when no reply comes within DFT_TEST_DEVICE_WAIT_SECONDS.
 */
void dft_test_device_request (DftTestDevice *device,
                              const char    *url,
                              const char    *method,
                              const char    *path,
                              GBytes        *body,
                              DftTestReply  *reply);

G_END_DECLS
