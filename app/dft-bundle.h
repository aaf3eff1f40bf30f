/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dft-store.h"

G_BEGIN_DECLS

#define DFT_BUNDLE_ERROR (dft_bundle_error_quark ())

typedef enum
{
  DFT_BUNDLE_ERROR_DAMAGED,           /* not a bundle, cut short, or changed after it was made */
  DFT_BUNDLE_ERROR_OTHER_SERVER,      /* sealed for another server, or made for another's data */
  DFT_BUNDLE_ERROR_WRONG_PASSPHRASE,  /* the passphrase is wrong (or the file's start changed) */
  DFT_BUNDLE_ERROR_NEEDS_PASSPHRASE,  /* a passphrase bundle and no passphrase given */
  DFT_BUNDLE_ERROR_UNKNOWN_SIGNER,    /* made by a device the importer does not know, or revoked */
  DFT_BUNDLE_ERROR_FORGED,            /* its signature is not the named device's */
  DFT_BUNDLE_ERROR_OLD_FORMAT,        /* a version 1 bundle: neither encrypted nor signed */
  DFT_BUNDLE_ERROR_NO_SERVER_KEY,     /* exporting for the server before ever signing in */
  DFT_BUNDLE_ERROR_SEALED_FOR_SERVER, /* a laptop importing a bundle only the server can open */
} DftBundleError;

GQuark dft_bundle_error_quark (void);

typedef enum
{
  DFT_BUNDLE_MODE_SERVER = 1,     /* sealed to the server's public key */
  DFT_BUNDLE_MODE_PASSPHRASE = 2, /* encrypted with a key made from a passphrase (Argon2id) */
} DftBundleMode;

/*
 * File-based sync, for places with no link at all: a bundle holds changes
 * from this replica's log (its own and those it received) in the wire
 * format, compressed, signed with this device's Ed25519 key and encrypted
 * (sync/PROTOCOL.md, "Bundles"). Importing verifies it and applies the
 * changes with the same merge as a pull; importing a bundle twice changes
 * nothing, and a refused bundle changes nothing at all.
 */

/* Sync state keys (dft_store_get_sync_state()) the bundles use. */
#define DFT_BUNDLE_STATE_SIGN_SECRET "bundle_sign_secret" /* this device's Ed25519 secret key */
#define DFT_BUNDLE_STATE_SERVER_KEY  "server_bundle_key"  /* the server's X25519 public key */
#define DFT_BUNDLE_STATE_DEVICE_KEYS "device_keys"        /* {device id: Ed25519 public key} */
#define DFT_BUNDLE_STATE_BOX_SECRET  "bundle_box_secret"  /* a server's own X25519 secret key */

/* 20 characters of Crockford base32 in groups of five (100 bits), for a trainer to copy. */
char *dft_bundle_new_passphrase (void);

/* This device's signing key, made on first use; its public half in base64. */
char *dft_bundle_ensure_device_key (DftStore *store, GError **error);
/* A server's key pair that bundles are sealed to, made on first use; its public half in base64. */
char *dft_bundle_ensure_box_key (DftStore *store, GError **error);
/* Whether @text is a public key (base64 of 32 bytes). */
gboolean dft_bundle_key_is_valid (const char *text);

/*
 * A bundle also carries the files (dft-store-attachments.h) the submissions among its changes
 * name, those this device holds, inside the signed and encrypted part: at most
 * DFT_BUNDLE_MAX_FILES of them and DFT_BUNDLE_MAX_FILES_BYTES in all (the rest wait for a later
 * bundle or a sync). A bundle without files is written as before, so that an older Daftari
 * still imports it.
 */
#define DFT_BUNDLE_MAX_FILES       100000
#define DFT_BUNDLE_MAX_FILES_BYTES (G_GUINT64_CONSTANT (4) << 30) /* 4 GiB */

/*
 * With @passphrase NULL the bundle is sealed to the server this device signed
 * in to (DFT_BUNDLE_ERROR_NO_SERVER_KEY if it never did); otherwise it is
 * encrypted with @passphrase.
 */
gboolean dft_bundle_export (DftStore     *store,
                            GFile        *file,
                            gint64        after_seq,
                            const char   *passphrase,
                            guint        *n_changes,
                            GCancellable *cancellable,
                            GError      **error);

/* The same, saying how many files it carries and how many it left out for the limit. */
gboolean dft_bundle_export_with_files (DftStore     *store,
                                       GFile        *file,
                                       gint64        after_seq,
                                       const char   *passphrase,
                                       guint        *n_changes,
                                       guint        *n_files,
                                       guint        *n_files_left_out,
                                       GCancellable *cancellable,
                                       GError      **error);

/* Reads only the file's header: whether it needs a passphrase. */
gboolean
dft_bundle_read_mode (GFile *file, DftBundleMode *mode, GCancellable *cancellable, GError **error);

/*
 * The public key of @device_id in *@key (32 bytes), or FALSE with
 * DFT_BUNDLE_ERROR_UNKNOWN_SIGNER. @claimed is the key the bundle names, for
 * an importer that takes a key on first use.
 */
typedef gboolean (*DftBundleSignerFunc) (
    const char *device_id, const guint8 *claimed, guint8 *key, gpointer user_data, GError **error);

typedef struct _DftBundle DftBundle;

/*
 * Opens, decrypts and verifies a bundle without applying anything: with the
 * store's own server key pair for a server bundle, with @passphrase for the
 * other. The signer's key comes from @signer_key. Also checks that the
 * bundle was made for the store's server data.
 */
DftBundle  *dft_bundle_open (DftStore           *store,
                             GFile              *file,
                             const char         *passphrase,
                             DftBundleSignerFunc signer_key,
                             gpointer            user_data,
                             GCancellable       *cancellable,
                             GError            **error);
const char *dft_bundle_get_signer (DftBundle *self);
GPtrArray  *dft_bundle_get_changes (DftBundle *self);
/* The files it carries wait in a temporary folder beside @store's database until the bundle
 * is freed. */
guint dft_bundle_get_n_files (DftBundle *self);
/* The SHA-256 of the file @index carries, in the bundle's order. */
const char *dft_bundle_get_file_sha256 (DftBundle *self, guint index);
/*
 * Keeps the files it carries in @store (those it holds already count as kept). A file whose
 * bytes are not what its hash says is refused, counted in @n_refused, and the others are kept:
 * the signature proves the bundle was not changed on the way, so such a file was damaged in
 * its maker's store, and it should not cost the rest of the bundle. Blocks on the disk.
 */
gboolean dft_bundle_keep_files (DftBundle    *self,
                                DftStore     *store,
                                guint        *n_kept,
                                guint        *n_refused,
                                GCancellable *cancellable,
                                GError      **error);
void     dft_bundle_free (DftBundle *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftBundle, dft_bundle_free)

/*
 * A laptop's import: the signer must be this device or one whose key the
 * server gave it; a laptop that has no server takes a passphrase bundle's key
 * on first use and holds the device to it from then on.
 */
gboolean dft_bundle_import (DftStore      *store,
                            GFile         *file,
                            const char    *passphrase,
                            DftApplyStats *stats,
                            GCancellable  *cancellable,
                            GError       **error);
/* The same, keeping the files the bundle carries first (dft_bundle_keep_files()): how many
 * were kept into @n_files, how many refused into @n_files_refused. */
gboolean dft_bundle_import_with_files (DftStore      *store,
                                       GFile         *file,
                                       const char    *passphrase,
                                       DftApplyStats *stats,
                                       guint         *n_files,
                                       guint         *n_files_refused,
                                       GCancellable  *cancellable,
                                       GError       **error);

G_END_DECLS
