/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>

#include "dft-bundle-private.h"
#include "dft-bundle.h"
#include "dft-change-log.h"
#include "dft-schema.h"
#include "dft-store-attachments.h"
#include "dft-store.h"
#include "dft-uuid.h"
#include "dft-wire.h"

/* The quark's name is a string: the formatter would put spaces in it. */
/* clang-format off */
G_DEFINE_QUARK (dft-bundle-error-quark, dft_bundle_error)
/* clang-format on */

/*
 * The file (sync/PROTOCOL.md, "Bundles"): a clear header, then a
 * crypto_secretstream_xchacha20poly1305 stream of pieces of up to CHUNK
 * bytes, each behind its length (4 bytes, little-endian), whose last piece,
 * tagged FINAL, is the Ed25519ph signature of the context, the header and
 * everything before it. The header is the first piece's
 * additional data. The message is the signer's id and public key, then the
 * gzip batch; in version 3, the batch's length before it and the files the
 * submissions name after it, each behind its hash and size.
 */
static const guint8 magic[8] = { 'D', 'A', 'F', 'T', 'A', 'R', 'I', 'B' };

#define VERSION        2        /* the changes */
#define VERSION_FILES  3        /* the changes, then files: written only when there are files */
#define FILE_HEAD      (64 + 8) /* a file's hash in hex, then its size */
#define FIXED_BYTES    (sizeof magic + 2)
#define SERVER_BYTES   (crypto_box_PUBLICKEYBYTES + crypto_box_SEALBYTES + KEY_BYTES)
#define PHRASE_BYTES   (crypto_pwhash_SALTBYTES + 16)
#define STREAM_BYTES   crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define KEY_BYTES      crypto_secretstream_xchacha20poly1305_KEYBYTES
#define ABYTES         crypto_secretstream_xchacha20poly1305_ABYTES
#define TAG_MESSAGE    crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
#define TAG_FINAL      crypto_secretstream_xchacha20poly1305_TAG_FINAL
#define CHUNK          (64 * 1024)
#define SIGN_CONTEXT   "Daftari bundle 2"
#define MAX_MESSAGE    (DFT_WIRE_MAX_GZIP * 16)
#define PASSPHRASE_LEN 20

/* Argon2id at libsodium's interactive cost (64 MiB): the passphrase is random, 100 bits. A
 * bundle may ask for more, up to the moderate cost, and no more: reading one must not take a
 * laptop's memory. */
#define OPSLIMIT     crypto_pwhash_OPSLIMIT_INTERACTIVE
#define MEMLIMIT     crypto_pwhash_MEMLIMIT_INTERACTIVE
#define MAX_OPSLIMIT crypto_pwhash_OPSLIMIT_MODERATE
#define MAX_MEMLIMIT crypto_pwhash_MEMLIMIT_MODERATE

/* Crockford's base32, as enrolment codes: read aloud or copied by hand, it survives. */
static const char phrase_alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

struct _DftBundle
{
  char       *signer;
  GPtrArray  *changes;
  char       *files_dir; /* where the files were put while the signature was not yet checked */
  GPtrArray  *files;     /* InFile, in the bundle's order */
  JsonObject *file_info; /* the batch's "files": hash → {"type", "name"} */
};

/* A file a bundle carries, as read. */
typedef struct
{
  char     sha256[65];
  char    *path;
  gsize    size;
  gboolean matches; /* its bytes hash to sha256 */
} InFile;

static void
in_file_free (InFile *file)
{
  g_free (file->path);
  g_free (file);
}

/* A file to carry: the bytes under the hash they are to be kept as; NULL bytes are read from
 * the store when written, one file at a time. */
typedef struct
{
  char    sha256[65];
  GBytes *data;
} OutFile;

static void
out_file_free (OutFile *file)
{
  g_clear_pointer (&file->data, g_bytes_unref);
  g_free (file);
}

static void
ensure_sodium (void)
{
  /* Idempotent and thread-safe; fails only without a source of randomness. */
  if (sodium_init () < 0)
    g_error ("libsodium could not start");
}

static gboolean
set_error (GError **error, DftBundleError code)
{
  const char *message = NULL;

  switch (code)
    {
    case DFT_BUNDLE_ERROR_DAMAGED:
      message = _ ("This file is not a complete Daftari bundle: it may have been cut short or "
                   "damaged while it was copied, or changed since it was made. Nothing was "
                   "imported; copy it again from the device that made it.");
      break;
    case DFT_BUNDLE_ERROR_OTHER_SERVER:
      message = _ ("This bundle was made for another server. Nothing was imported.");
      break;
    case DFT_BUNDLE_ERROR_WRONG_PASSPHRASE:
      message = _ ("The passphrase is wrong or the file was changed. Nothing was imported.");
      break;
    case DFT_BUNDLE_ERROR_NEEDS_PASSPHRASE:
      message = _ ("This bundle is protected by a passphrase: give the passphrase that was shown "
                   "when it was made.");
      break;
    case DFT_BUNDLE_ERROR_UNKNOWN_SIGNER:
      message = _ ("This bundle was made by a device this laptop does not know. Sync this laptop "
                   "with the server once, or import the bundle on the server. Nothing was "
                   "imported.");
      break;
    case DFT_BUNDLE_ERROR_FORGED:
      message = _ ("This bundle’s signature is not that of the device it names: it was forged or "
                   "changed. Nothing was imported.");
      break;
    case DFT_BUNDLE_ERROR_OLD_FORMAT:
      message = _ ("This is an old bundle from an earlier Daftari, neither encrypted nor signed, "
                   "so it was not imported. Make it again on the device that made it, with this "
                   "version of Daftari.");
      break;
    case DFT_BUNDLE_ERROR_NO_SERVER_KEY:
      message = _ ("This device has not signed in to a server yet, so it cannot seal a bundle for "
                   "one. Sign in once, or make a bundle with a passphrase.");
      break;
    case DFT_BUNDLE_ERROR_SEALED_FOR_SERVER:
      message = _ ("This bundle is sealed for the server and only the server can open it. Import "
                   "it there, or ask for a bundle made with a passphrase. Nothing was imported.");
      break;
    }
  g_set_error_literal (error, DFT_BUNDLE_ERROR, code, message);
  return FALSE;
}

/*
 * Which server's data the store belongs to: a server keeps its own epoch as "server_epoch", a
 * laptop the epoch its server told it at the last sync as "epoch". NULL for a laptop that has
 * never synced.
 */
static char *
server_mark (DftStore *store)
{
  char *epoch = dft_store_get_sync_state (store, "server_epoch", NULL);

  if (epoch == NULL || *epoch == '\0')
    {
      g_free (epoch);
      epoch = dft_store_get_sync_state (store, "epoch", NULL);
    }
  if (epoch != NULL && *epoch == '\0')
    g_clear_pointer (&epoch, g_free);
  return epoch;
}

/* ---- Keys ---------------------------------------------------------------- */

static gboolean
decode_key (const char *text, guint8 *key, gsize size)
{
  g_autofree guchar *raw = NULL;
  gsize              length = 0;

  if (text == NULL || *text == '\0' || strlen (text) > 4 * size)
    return FALSE;
  raw = g_base64_decode (text, &length);
  if (length != size)
    {
      if (raw != NULL)
        sodium_memzero (raw, length);
      return FALSE;
    }
  memcpy (key, raw, size);
  sodium_memzero (raw, length);
  return TRUE;
}

gboolean
dft_bundle_key_is_valid (const char *text)
{
  guint8 key[crypto_sign_PUBLICKEYBYTES];

  return decode_key (text, key, sizeof key);
}

/* Loads the secret key held under @name, making and keeping one when there is none. */
static gboolean
ensure_secret (DftStore   *store,
               const char *name,
               guint8     *secret,
               gsize       size,
               void (*make) (guint8 *secret),
               GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char   *text = dft_store_get_sync_state (store, name, &local_error);

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (decode_key (text, secret, size))
    return TRUE;
  make (secret);
  g_free (text);
  text = g_base64_encode (secret, size);
  return dft_store_set_sync_state (store, name, text, error);
}

static void
make_sign_key (guint8 *secret)
{
  guint8 public_key[crypto_sign_PUBLICKEYBYTES];

  crypto_sign_keypair (public_key, secret);
}

static void
make_box_key (guint8 *secret)
{
  randombytes_buf (secret, crypto_box_SECRETKEYBYTES);
}

/* Both kinds of public key are 32 bytes, worked out from the secret one. */
G_STATIC_ASSERT (crypto_sign_PUBLICKEYBYTES == crypto_box_PUBLICKEYBYTES);

static char *
ensure_public_key (DftStore   *store,
                   const char *name,
                   gsize       secret_size,
                   void (*make) (guint8 *secret),
                   int (*to_public) (unsigned char *public_key, const unsigned char *secret),
                   GError **error)
{
  guint8 secret[crypto_sign_SECRETKEYBYTES];
  guint8 public_key[crypto_sign_PUBLICKEYBYTES];

  g_return_val_if_fail (DFT_IS_STORE (store), NULL);
  g_assert (secret_size <= sizeof secret);

  ensure_sodium ();
  if (!ensure_secret (store, name, secret, secret_size, make, error))
    return NULL;
  to_public (public_key, secret);
  sodium_memzero (secret, sizeof secret);
  return g_base64_encode (public_key, sizeof public_key);
}

char *
dft_bundle_ensure_device_key (DftStore *store, GError **error)
{
  return ensure_public_key (store, DFT_BUNDLE_STATE_SIGN_SECRET, crypto_sign_SECRETKEYBYTES,
                            make_sign_key, crypto_sign_ed25519_sk_to_pk, error);
}

char *
dft_bundle_ensure_box_key (DftStore *store, GError **error)
{
  return ensure_public_key (store, DFT_BUNDLE_STATE_BOX_SECRET, crypto_box_SECRETKEYBYTES,
                            make_box_key, crypto_scalarmult_base, error);
}

/* The server's key pair, when this store holds one (a server's records). */
static gboolean
load_box_key (DftStore *store, guint8 *public_key, guint8 *secret)
{
  g_autofree char *text = dft_store_get_sync_state (store, DFT_BUNDLE_STATE_BOX_SECRET, NULL);

  if (!decode_key (text, secret, crypto_box_SECRETKEYBYTES))
    return FALSE;
  crypto_scalarmult_base (public_key, secret);
  return TRUE;
}

char *
dft_bundle_new_passphrase (void)
{
  GString *phrase = g_string_new (NULL);

  ensure_sodium ();
  for (guint i = 0; i < PASSPHRASE_LEN; i++)
    {
      if (i > 0 && i % 5 == 0)
        g_string_append_c (phrase, '-');
      /* 32 divides 2^32: uniform. */
      g_string_append_c (phrase, phrase_alphabet[randombytes_uniform (32)]);
    }
  return g_string_free (phrase, FALSE);
}

/* The passphrase as typed, in any case, with or without dashes and spaces, O for 0, I or L for 1.
 */
static char *
normalize_passphrase (const char *typed)
{
  GString *phrase = g_string_new (NULL);

  for (const char *p = typed; *p != '\0'; p++)
    {
      char c = g_ascii_toupper (*p);

      if (c == '-' || g_ascii_isspace (c))
        continue;
      if (c == 'O')
        c = '0';
      else if (c == 'I' || c == 'L')
        c = '1';
      g_string_append_c (phrase, c);
    }
  return g_string_free (phrase, FALSE);
}

static gboolean
passphrase_key (const char   *passphrase,
                const guint8 *salt,
                guint64       opslimit,
                guint64       memlimit,
                guint8       *key,
                GError      **error)
{
  g_autofree char *phrase = normalize_passphrase (passphrase);
  int              rc;

  rc = crypto_pwhash (key, KEY_BYTES, phrase, strlen (phrase), salt, opslimit, (size_t) memlimit,
                      crypto_pwhash_ALG_ARGON2ID13);
  sodium_memzero (phrase, strlen (phrase));
  if (rc != 0)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                         _ ("There is not enough memory to work out the key from the passphrase."));
  return rc == 0;
}

static void
put_u64 (guint8 *out, guint64 value)
{
  for (guint i = 0; i < 8; i++)
    out[i] = (guint8) (value >> (8 * i));
}

static void
put_u32 (guint8 *out, guint32 value)
{
  for (guint i = 0; i < 4; i++)
    out[i] = (guint8) (value >> (8 * i));
}

static guint32
get_u32 (const guint8 *in)
{
  return (guint32) in[0] | (guint32) in[1] << 8 | (guint32) in[2] << 16 | (guint32) in[3] << 24;
}

static guint64
get_u64 (const guint8 *in)
{
  guint64 value = 0;

  for (guint i = 0; i < 8; i++)
    value |= (guint64) in[i] << (8 * i);
  return value;
}

/* ---- Export -------------------------------------------------------------- */

typedef struct
{
  GOutputStream                              *out;
  crypto_secretstream_xchacha20poly1305_state stream;
  crypto_sign_state                           sign;
  GBytes                                     *header; /* the first piece's additional data */
  gsize                                       fill;
  guint8                                      plain[CHUNK];
  guint8                                      cipher[4 + CHUNK + ABYTES];
} Writer;

static void
writer_free (Writer *w)
{
  g_clear_pointer (&w->header, g_bytes_unref);
  sodium_memzero (w, sizeof *w);
  g_free (w);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Writer, writer_free)

static gboolean
writer_push (Writer       *w,
             const guint8 *data,
             gsize         length,
             unsigned char tag,
             GCancellable *cancellable,
             GError      **error)
{
  unsigned long long cipher_length = 0;
  const guint8      *ad = NULL;
  gsize              ad_length = 0;

  if (w->header != NULL)
    ad = g_bytes_get_data (w->header, &ad_length);
  crypto_secretstream_xchacha20poly1305_push (&w->stream, w->cipher + 4, &cipher_length, data,
                                              length, ad, ad_length, tag);
  g_clear_pointer (&w->header, g_bytes_unref);
  put_u32 (w->cipher, (guint32) cipher_length);
  return g_output_stream_write_all (w->out, w->cipher, 4 + (gsize) cipher_length, NULL, cancellable,
                                    error);
}

/* Signs and encrypts @data as the message goes on, a piece at a time. */
static gboolean
writer_feed (Writer *w, const guint8 *data, gsize length, GCancellable *cancellable, GError **error)
{
  crypto_sign_update (&w->sign, data, length);
  while (length > 0)
    {
      gsize n = MIN (length, CHUNK - w->fill);

      memcpy (w->plain + w->fill, data, n);
      w->fill += n;
      data += n;
      length -= n;
      if (w->fill == CHUNK)
        {
          if (!writer_push (w, w->plain, CHUNK, TAG_MESSAGE, cancellable, error))
            return FALSE;
          w->fill = 0;
        }
    }
  return TRUE;
}

static gboolean
writer_finish (Writer *w, const guint8 *secret, GCancellable *cancellable, GError **error)
{
  guint8 signature[crypto_sign_BYTES];

  if (w->fill > 0 && !writer_push (w, w->plain, w->fill, TAG_MESSAGE, cancellable, error))
    return FALSE;
  crypto_sign_final_create (&w->sign, signature, NULL, secret);
  return writer_push (w, signature, sizeof signature, TAG_FINAL, cancellable, error);
}

/* The clear header and the stream's key: sealed to the server, or made from the passphrase. */
static GBytes *
make_header (DftStore *store, guint8 version, const char *passphrase, Writer *w, GError **error)
{
  g_autoptr (GByteArray) header = g_byte_array_new ();
  guint8                 key[KEY_BYTES];
  guint8                 stream_header[STREAM_BYTES];
  guint8 mode = passphrase != NULL ? DFT_BUNDLE_MODE_PASSPHRASE : DFT_BUNDLE_MODE_SERVER;

  g_byte_array_append (header, magic, sizeof magic);
  g_byte_array_append (header, (const guint8[]){ version, mode }, 2);
  if (passphrase == NULL)
    {
      g_autofree char *text = dft_store_get_sync_state (store, DFT_BUNDLE_STATE_SERVER_KEY, NULL);
      guint8           server_key[crypto_box_PUBLICKEYBYTES];
      guint8           sealed[crypto_box_SEALBYTES + KEY_BYTES];

      if (!decode_key (text, server_key, sizeof server_key))
        return set_error (error, DFT_BUNDLE_ERROR_NO_SERVER_KEY), NULL;
      crypto_secretstream_xchacha20poly1305_keygen (key);
      if (crypto_box_seal (sealed, key, sizeof key, server_key) != 0)
        return set_error (error, DFT_BUNDLE_ERROR_NO_SERVER_KEY), NULL;
      g_byte_array_append (header, server_key, sizeof server_key);
      g_byte_array_append (header, sealed, sizeof sealed);
    }
  else
    {
      guint8 salt[crypto_pwhash_SALTBYTES];
      guint8 limits[16];

      randombytes_buf (salt, sizeof salt);
      put_u64 (limits, OPSLIMIT);
      put_u64 (limits + 8, MEMLIMIT);
      if (!passphrase_key (passphrase, salt, OPSLIMIT, MEMLIMIT, key, error))
        return NULL;
      g_byte_array_append (header, salt, sizeof salt);
      g_byte_array_append (header, limits, sizeof limits);
    }
  crypto_secretstream_xchacha20poly1305_init_push (&w->stream, stream_header, key);
  sodium_memzero (key, sizeof key);
  g_byte_array_append (header, stream_header, sizeof stream_header);
  return g_byte_array_free_to_bytes (g_steal_pointer (&header));
}

/* The files after the batch: each its hash, its size and its bytes. */
static gboolean
write_files (
    DftStore *store, Writer *w, GPtrArray *files, GCancellable *cancellable, GError **error)
{
  for (guint i = 0; i < files->len; i++)
    {
      OutFile           *file = g_ptr_array_index (files, i);
      g_autoptr (GBytes) data = NULL;
      guint8             head[FILE_HEAD];

      data = file->data != NULL ? g_bytes_ref (file->data)
                                : dft_store_read_attachment (store, file->sha256, error);
      if (data == NULL)
        return FALSE;
      memcpy (head, file->sha256, 64);
      put_u64 (head + 64, g_bytes_get_size (data));
      if (!writer_feed (w, head, sizeof head, cancellable, error)
          || !writer_feed (w, g_bytes_get_data (data, NULL), g_bytes_get_size (data), cancellable,
                           error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
write_bundle (DftStore      *store,
              GOutputStream *out,
              GBytes        *packed,
              GPtrArray     *files,
              const char    *passphrase,
              GCancellable  *cancellable,
              GError       **error)
{
  g_autoptr (Writer) w = g_new0 (Writer, 1);
  g_autoptr (GBytes) header = NULL;
  guint8             secret[crypto_sign_SECRETKEYBYTES];
  guint8             prefix[1 + 64 + crypto_sign_PUBLICKEYBYTES + 8];
  const char        *device = dft_store_get_device_id (store);
  gsize              id_length = strlen (device);
  gsize              prefix_length = 1 + id_length + crypto_sign_PUBLICKEYBYTES;
  /* Without files the bundle stays version 2, which an older Daftari still imports. */
  guint8   version = files != NULL && files->len > 0 ? VERSION_FILES : VERSION;
  gboolean ok;

  g_assert (id_length <= 64);
  if (!ensure_secret (store, DFT_BUNDLE_STATE_SIGN_SECRET, secret, sizeof secret, make_sign_key,
                      error))
    return FALSE;
  w->out = out;
  header = make_header (store, version, passphrase, w, error);
  if (header == NULL)
    {
      sodium_memzero (secret, sizeof secret);
      return FALSE;
    }
  w->header = g_bytes_ref (header);
  crypto_sign_init (&w->sign);
  crypto_sign_update (&w->sign, (const guint8 *) SIGN_CONTEXT, strlen (SIGN_CONTEXT));
  crypto_sign_update (&w->sign, g_bytes_get_data (header, NULL), g_bytes_get_size (header));

  prefix[0] = (guint8) id_length;
  memcpy (prefix + 1, device, id_length);
  crypto_sign_ed25519_sk_to_pk (prefix + 1 + id_length, secret);
  if (version == VERSION_FILES)
    {
      /* The batch's length, so that the reader knows where the files begin. */
      put_u64 (prefix + prefix_length, g_bytes_get_size (packed));
      prefix_length += 8;
    }
  ok = g_output_stream_write_all (out, g_bytes_get_data (header, NULL), g_bytes_get_size (header),
                                  NULL, cancellable, error)
       && writer_feed (w, prefix, prefix_length, cancellable, error)
       && writer_feed (w, g_bytes_get_data (packed, NULL), g_bytes_get_size (packed), cancellable,
                       error)
       && (version != VERSION_FILES || write_files (store, w, files, cancellable, error))
       && writer_finish (w, secret, cancellable, error);
  sodium_memzero (secret, sizeof secret);
  return ok;
}

/* Writes the bundle beside @file and moves it over @file when complete. */
static gboolean
write_file (DftStore     *store,
            GFile        *file,
            GBytes       *json,
            GPtrArray    *files,
            const char   *passphrase,
            GCancellable *cancellable,
            GError      **error)
{
  g_autoptr (GBytes)            packed = dft_wire_gzip (json);
  g_autoptr (GFile)             parent = g_file_get_parent (file);
  g_autoptr (GFile)             part = NULL;
  g_autoptr (GFileOutputStream) out = NULL;
  g_autofree char              *base = g_file_get_basename (file);
  g_autofree char              *part_name = g_strconcat (base, ".part", NULL);

  ensure_sodium ();
  /* Written beside the target and moved over it when complete: a failure leaves no half file. */
  part = parent != NULL ? g_file_get_child (parent, part_name) : NULL;
  if (part == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME,
                           _ ("A bundle cannot be written there: choose a file in a folder."));
      return FALSE;
    }
  out = g_file_replace (part, NULL, FALSE, G_FILE_CREATE_PRIVATE, cancellable, error);
  if (out == NULL)
    return FALSE;
  if (!write_bundle (store, G_OUTPUT_STREAM (out), packed, files, passphrase, cancellable, error)
      || !g_output_stream_close (G_OUTPUT_STREAM (out), cancellable, error)
      || !g_file_move (part, file, G_FILE_COPY_OVERWRITE, cancellable, NULL, NULL, error))
    {
      g_output_stream_close (G_OUTPUT_STREAM (out), NULL, NULL);
      g_file_delete (part, NULL, NULL);
      return FALSE;
    }
  return TRUE;
}

gboolean
_dft_bundle_write (DftStore     *store,
                   GFile        *file,
                   GBytes       *json,
                   const char   *passphrase,
                   GCancellable *cancellable,
                   GError      **error)
{
  return write_file (store, file, json, NULL, passphrase, cancellable, error);
}

gboolean
_dft_bundle_write_files (DftStore          *store,
                         GFile             *file,
                         GBytes            *json,
                         const char *const *hashes,
                         GBytes *const     *data,
                         guint              n_files,
                         const char        *passphrase,
                         GCancellable      *cancellable,
                         GError           **error)
{
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func ((GDestroyNotify) out_file_free);

  for (guint i = 0; i < n_files; i++)
    {
      OutFile *out = g_new0 (OutFile, 1);

      g_strlcpy (out->sha256, hashes[i], sizeof out->sha256);
      out->data = g_bytes_ref (data[i]);
      g_ptr_array_add (files, out);
    }
  return write_file (store, file, json, files, passphrase, cancellable, error);
}

/* The files this store holds that the submissions among @changes name, up to
 * DFT_BUNDLE_MAX_FILES_BYTES in all; their names and types into @info, and the number left
 * out for the limit into @left_out. */
static GPtrArray *
collect_files (DftStore *store, GPtrArray *changes, JsonObject *info, guint *left_out)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GPtrArray             *files = g_ptr_array_new_with_free_func ((GDestroyNotify) out_file_free);
  guint64                total = 0;

  for (guint i = 0; i < changes->len; i++)
    {
      DftChange     *change = g_ptr_array_index (changes, i);
      g_auto (GStrv) hashes = NULL;

      if (g_strcmp0 (change->entity, dft_entity_submission.name) != 0
          || g_hash_table_contains (seen, change->record_id))
        continue;
      g_hash_table_add (seen, g_strdup (change->record_id));
      hashes = dft_store_list_submission_attachments (store, change->record_id);
      for (guint h = 0; hashes[h] != NULL; h++)
        {
          g_autoptr (DftAttachmentInfo) held = NULL;
          g_autoptr (JsonObject)        about = NULL;
          OutFile                      *out;

          if (g_hash_table_contains (seen, hashes[h]))
            continue;
          g_hash_table_add (seen, g_strdup (hashes[h]));
          /* A file not synced here yet is not ours to carry. */
          held = dft_store_get_attachment_info (store, hashes[h], NULL);
          if (held == NULL)
            continue;
          if (total + (guint64) held->size > DFT_BUNDLE_MAX_FILES_BYTES
              || files->len >= DFT_BUNDLE_MAX_FILES)
            {
              (*left_out)++;
              continue;
            }
          total += (guint64) held->size;
          out = g_new0 (OutFile, 1);
          g_strlcpy (out->sha256, held->sha256, sizeof out->sha256);
          g_ptr_array_add (files, out);
          about = json_object_new ();
          json_object_set_string_member (about, "type", held->media_type);
          if (held->name != NULL)
            json_object_set_string_member (about, "name", held->name);
          json_object_set_object_member (info, held->sha256, g_steal_pointer (&about));
        }
    }
  return files;
}

gboolean
dft_bundle_export_with_files (DftStore     *store,
                              GFile        *file,
                              gint64        after_seq,
                              const char   *passphrase,
                              guint        *n_changes,
                              guint        *n_files,
                              guint        *n_files_left_out,
                              GCancellable *cancellable,
                              GError      **error)
{
  g_autoptr (GPtrArray)  changes = NULL;
  g_autoptr (GPtrArray)  files = NULL;
  g_autoptr (JsonObject) extra = json_object_new ();
  g_autoptr (JsonObject) info = json_object_new ();
  g_autoptr (GBytes)     json = NULL;
  g_autofree char       *epoch = NULL;
  guint                  left_out = 0;

  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);
  g_return_val_if_fail (G_IS_FILE (file), FALSE);

  changes = dft_store_read_log (store, after_seq, 0, NULL, NULL, error);
  if (changes == NULL)
    return FALSE;
  epoch = server_mark (store);
  files = collect_files (store, changes, info, &left_out);

  json_object_set_int_member (extra, "bundle", files->len > 0 ? VERSION_FILES : VERSION);
  json_object_set_string_member (extra, "from", dft_store_get_device_id (store));
  if (epoch != NULL)
    json_object_set_string_member (extra, "for", epoch);
  json_object_set_int_member (extra, "created", g_get_real_time () / 1000);
  if (files->len > 0)
    json_object_set_object_member (extra, "files", json_object_ref (info));
  json = dft_wire_encode_batch (changes, extra);
  if (!write_file (store, file, json, files, passphrase, cancellable, error))
    return FALSE;
  if (n_changes != NULL)
    *n_changes = changes->len;
  if (n_files != NULL)
    *n_files = files->len;
  if (n_files_left_out != NULL)
    *n_files_left_out = left_out;
  return TRUE;
}

gboolean
dft_bundle_export (DftStore     *store,
                   GFile        *file,
                   gint64        after_seq,
                   const char   *passphrase,
                   guint        *n_changes,
                   GCancellable *cancellable,
                   GError      **error)
{
  return dft_bundle_export_with_files (store, file, after_seq, passphrase, n_changes, NULL, NULL,
                                       cancellable, error);
}

/* ---- Import -------------------------------------------------------------- */

/* Reads exactly @length bytes; FALSE with DAMAGED when the file ends before. */
static gboolean
read_exact (
    GInputStream *in, guint8 *buffer, gsize length, GCancellable *cancellable, GError **error)
{
  gsize got = 0;

  if (!g_input_stream_read_all (in, buffer, length, &got, cancellable, error))
    return FALSE;
  return got == length || set_error (error, DFT_BUNDLE_ERROR_DAMAGED);
}

/* Reads the clear header into @header; *@mode and the mode's part follow the fixed start. */
static gboolean
read_header (GInputStream  *in,
             GByteArray    *header,
             DftBundleMode *mode,
             GCancellable  *cancellable,
             GError       **error)
{
  guint8 fixed[FIXED_BYTES];
  gsize  got = 0;

  if (!g_input_stream_read_all (in, fixed, sizeof fixed, &got, cancellable, error))
    return FALSE;
  if (got >= 2 && fixed[0] == 0x1f && fixed[1] == 0x8b)
    return set_error (error, DFT_BUNDLE_ERROR_OLD_FORMAT);
  if (got != sizeof fixed || memcmp (fixed, magic, sizeof magic) != 0)
    return set_error (error, DFT_BUNDLE_ERROR_DAMAGED);
  if (fixed[sizeof magic] != VERSION && fixed[sizeof magic] != VERSION_FILES)
    {
      g_set_error_literal (error, DFT_BUNDLE_ERROR, DFT_BUNDLE_ERROR_DAMAGED,
                           _ ("This bundle was made by another version of Daftari. Nothing was "
                              "imported; update Daftari on both devices."));
      return FALSE;
    }
  *mode = fixed[sizeof magic + 1];
  if (*mode != DFT_BUNDLE_MODE_SERVER && *mode != DFT_BUNDLE_MODE_PASSPHRASE)
    return set_error (error, DFT_BUNDLE_ERROR_DAMAGED);
  g_byte_array_append (header, fixed, sizeof fixed);
  {
    gsize  rest = (*mode == DFT_BUNDLE_MODE_SERVER ? SERVER_BYTES : PHRASE_BYTES) + STREAM_BYTES;
    guint8 buffer[SERVER_BYTES + STREAM_BYTES];

    if (!read_exact (in, buffer, rest, cancellable, error))
      return FALSE;
    g_byte_array_append (header, buffer, (guint) rest);
  }
  return TRUE;
}

gboolean
dft_bundle_read_mode (GFile *file, DftBundleMode *mode, GCancellable *cancellable, GError **error)
{
  g_autoptr (GFileInputStream) in = NULL;
  g_autoptr (GByteArray)       header = g_byte_array_new ();

  g_return_val_if_fail (G_IS_FILE (file), FALSE);
  g_return_val_if_fail (mode != NULL, FALSE);

  in = g_file_read (file, cancellable, error);
  return in != NULL && read_header (G_INPUT_STREAM (in), header, mode, cancellable, error);
}

/* The stream's key, from the header: unsealed with the store's key pair, or from @passphrase. */
static gboolean
header_key (DftStore     *store,
            GByteArray   *header,
            DftBundleMode mode,
            const char   *passphrase,
            guint8       *key,
            GError      **error)
{
  const guint8 *part = header->data + FIXED_BYTES;

  if (mode == DFT_BUNDLE_MODE_SERVER)
    {
      guint8   public_key[crypto_box_PUBLICKEYBYTES];
      guint8   secret[crypto_box_SECRETKEYBYTES];
      gboolean opened;

      if (!load_box_key (store, public_key, secret))
        return set_error (error, DFT_BUNDLE_ERROR_SEALED_FOR_SERVER);
      if (sodium_memcmp (public_key, part, sizeof public_key) != 0)
        {
          sodium_memzero (secret, sizeof secret);
          return set_error (error, DFT_BUNDLE_ERROR_OTHER_SERVER);
        }
      opened = crypto_box_seal_open (key, part + crypto_box_PUBLICKEYBYTES,
                                     crypto_box_SEALBYTES + KEY_BYTES, public_key, secret)
               == 0;
      sodium_memzero (secret, sizeof secret);
      return opened || set_error (error, DFT_BUNDLE_ERROR_DAMAGED);
    }
  else
    {
      guint64 opslimit = get_u64 (part + crypto_pwhash_SALTBYTES);
      guint64 memlimit = get_u64 (part + crypto_pwhash_SALTBYTES + 8);

      if (passphrase == NULL)
        return set_error (error, DFT_BUNDLE_ERROR_NEEDS_PASSPHRASE);
      /* Costs out of bounds are a changed header: refused before any work. */
      if (opslimit < crypto_pwhash_OPSLIMIT_MIN || opslimit > MAX_OPSLIMIT
          || memlimit < crypto_pwhash_MEMLIMIT_MIN || memlimit > MAX_MEMLIMIT)
        return set_error (error, DFT_BUNDLE_ERROR_DAMAGED);
      return passphrase_key (passphrase, part, opslimit, memlimit, key, error);
    }
}

typedef struct
{
  crypto_secretstream_xchacha20poly1305_state stream;
  crypto_sign_state                           sign;
  guint8                                      cipher[CHUNK + ABYTES];
  guint8                                      plain[CHUNK];
} Reader;

static void
reader_free (Reader *r)
{
  sodium_memzero (r, sizeof *r);
  g_free (r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reader, reader_free)

/*
 * Where the decrypted message goes. Version 2: all of it into @message. Version 3: the signer,
 * the batch's length and the batch into @message, then each file into a file of its own in a
 * temporary folder, hashed on the way: files are not held in memory, and nothing reaches the
 * store before the signature is checked.
 */
typedef struct
{
  guint8         version;
  GByteArray    *message;
  gsize          message_end; /* version 3: where the batch ends, once known */
  const char    *near;        /* a file beside which the temporary folder goes */
  char          *dir;
  GPtrArray     *files; /* InFile */
  guint8         head[FILE_HEAD];
  gsize          head_fill;
  guint64        body_left;
  guint64        files_bytes;
  GOutputStream *body;
  GChecksum     *checksum;
} Sink;

static void
sink_clear (Sink *sink)
{
  if (sink->body != NULL)
    g_output_stream_close (sink->body, NULL, NULL);
  g_clear_object (&sink->body);
  g_clear_pointer (&sink->checksum, g_checksum_free);
}

/* The temporary folder: beside the store, on the disk the files are going to. */
static gboolean
sink_make_dir (Sink *sink, GError **error)
{
  g_autofree char *parent = NULL;
  g_autofree char *pattern = NULL;

  if (sink->dir != NULL)
    return TRUE;
  parent = sink->near != NULL ? g_path_get_dirname (sink->near) : g_strdup (g_get_tmp_dir ());
  pattern = g_build_filename (parent, ".bundle-files-XXXXXX", NULL);
  if (g_mkdtemp_full (pattern, 0700) == NULL)
    {
      int saved_errno = errno;

      g_free (pattern);
      pattern = g_build_filename (g_get_tmp_dir (), "daftari-bundle-XXXXXX", NULL);
      if (g_mkdtemp_full (pattern, 0700) == NULL)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       /* Translators: %s says why */
                       _ ("Could not make room for the bundle’s files: %s"),
                       g_strerror (saved_errno));
          return FALSE;
        }
    }
  sink->dir = g_steal_pointer (&pattern);
  return TRUE;
}

/* A file's hash and size are read: its bytes follow. */
static gboolean
sink_begin_file (Sink *sink, GError **error)
{
  g_autoptr (GFile)             target = NULL;
  g_autoptr (GFileOutputStream) out = NULL;
  InFile                       *file;
  guint64                       size = get_u64 (sink->head + 64);

  file = g_new0 (InFile, 1);
  memcpy (file->sha256, sink->head, 64);
  file->sha256[64] = '\0';
  /* A size no writer gives, or more than a bundle may carry. */
  if (!dft_attachment_is_sha256 (file->sha256) || size == 0 || size > DFT_ATTACHMENT_MAX_BYTES
      || sink->files_bytes + size > DFT_BUNDLE_MAX_FILES_BYTES
      || sink->files->len >= DFT_BUNDLE_MAX_FILES)
    {
      in_file_free (file);
      return set_error (error, DFT_BUNDLE_ERROR_DAMAGED);
    }
  file->size = (gsize) size;
  g_ptr_array_add (sink->files, file);
  if (!sink_make_dir (sink, error))
    return FALSE;
  file->path = g_strdup_printf ("%s%c%u", sink->dir, G_DIR_SEPARATOR, sink->files->len);
  target = g_file_new_for_path (file->path);
  out = g_file_create (target, G_FILE_CREATE_PRIVATE, NULL, error);
  if (out == NULL)
    return FALSE;
  sink->body = G_OUTPUT_STREAM (g_steal_pointer (&out));
  sink->checksum = g_checksum_new (G_CHECKSUM_SHA256);
  sink->body_left = size;
  sink->files_bytes += size;
  sink->head_fill = 0;
  return TRUE;
}

static gboolean
sink_end_file (Sink *sink, GError **error)
{
  InFile  *file = g_ptr_array_index (sink->files, sink->files->len - 1);
  gboolean ok = g_output_stream_close (sink->body, NULL, error);

  file->matches = g_str_equal (g_checksum_get_string (sink->checksum), file->sha256);
  sink_clear (sink);
  return ok;
}

static gboolean
sink_feed (Sink *sink, const guint8 *data, gsize length, GError **error)
{
  if (sink->version == VERSION)
    {
      if (sink->message->len + length > MAX_MESSAGE)
        return set_error (error, DFT_BUNDLE_ERROR_DAMAGED);
      g_byte_array_append (sink->message, data, (guint) length);
      return TRUE;
    }
  while (length > 0)
    {
      gsize n;

      if (sink->message_end == 0)
        {
          /* The signer's id length, then the id, its key and the batch's length. */
          gsize need = sink->message->len == 0
                           ? 1
                           : 1 + (gsize) sink->message->data[0] + crypto_sign_PUBLICKEYBYTES + 8;

          n = MIN (length, need - sink->message->len);
          g_byte_array_append (sink->message, data, (guint) n);
          if (sink->message->len == need && need > 1)
            {
              guint64 batch = get_u64 (sink->message->data + need - 8);

              if (batch == 0 || batch > MAX_MESSAGE)
                return set_error (error, DFT_BUNDLE_ERROR_DAMAGED);
              sink->message_end = need + (gsize) batch;
            }
        }
      else if (sink->message->len < sink->message_end)
        {
          n = MIN (length, sink->message_end - sink->message->len);
          g_byte_array_append (sink->message, data, (guint) n);
        }
      else if (sink->body == NULL)
        {
          n = MIN (length, FILE_HEAD - sink->head_fill);
          memcpy (sink->head + sink->head_fill, data, n);
          sink->head_fill += n;
          if (sink->head_fill == FILE_HEAD && !sink_begin_file (sink, error))
            return FALSE;
        }
      else
        {
          n = (gsize) MIN ((guint64) length, sink->body_left);
          g_checksum_update (sink->checksum, data, n);
          if (!g_output_stream_write_all (sink->body, data, n, NULL, NULL, error))
            return FALSE;
          sink->body_left -= n;
          if (sink->body_left == 0 && !sink_end_file (sink, error))
            return FALSE;
        }
      data += n;
      length -= n;
    }
  return TRUE;
}

/* Whether the message ended where a message may end: not inside the batch or a file. */
static gboolean
sink_complete (Sink *sink)
{
  if (sink->version == VERSION)
    return TRUE;
  return sink->message_end > 0 && sink->message->len == sink->message_end && sink->body == NULL
         && sink->head_fill == 0;
}

/*
 * Decrypts the stream into @sink and its last piece into @signature. A
 * piece that does not decrypt is a changed file; the first one, in a
 * passphrase bundle, is as likely a wrong passphrase.
 */
static gboolean
read_stream (GInputStream *in,
             GByteArray   *header,
             DftBundleMode mode,
             const guint8 *key,
             Reader       *r,
             Sink         *sink,
             guint8       *signature,
             GCancellable *cancellable,
             GError      **error)
{
  gboolean first = TRUE;

  if (crypto_secretstream_xchacha20poly1305_init_pull (
          &r->stream, header->data + header->len - STREAM_BYTES, key)
      != 0)
    return set_error (error, DFT_BUNDLE_ERROR_DAMAGED);
  crypto_sign_init (&r->sign);
  crypto_sign_update (&r->sign, (const guint8 *) SIGN_CONTEXT, strlen (SIGN_CONTEXT));
  crypto_sign_update (&r->sign, header->data, header->len);

  for (;;)
    {
      unsigned long long length = 0;
      unsigned char      tag = 0;
      gsize              got = 0;
      guint8             extra;
      guint8             prefix[4];

      /* No FINAL piece (cut short), or a length no writer gives. */
      if (!read_exact (in, prefix, sizeof prefix, cancellable, error))
        return FALSE;
      got = get_u32 (prefix);
      if (got < ABYTES || got > sizeof r->cipher)
        return set_error (error, DFT_BUNDLE_ERROR_DAMAGED);
      if (!read_exact (in, r->cipher, got, cancellable, error))
        return FALSE;
      if (crypto_secretstream_xchacha20poly1305_pull (&r->stream, r->plain, &length, &tag,
                                                      r->cipher, got, first ? header->data : NULL,
                                                      first ? header->len : 0)
          != 0)
        return set_error (error, first && mode == DFT_BUNDLE_MODE_PASSPHRASE
                                     ? DFT_BUNDLE_ERROR_WRONG_PASSPHRASE
                                     : DFT_BUNDLE_ERROR_DAMAGED);
      first = FALSE;
      if (tag == TAG_FINAL)
        {
          /* The signature, and nothing after it. */
          if (length != crypto_sign_BYTES
              || !g_input_stream_read_all (in, &extra, 1, &got, cancellable, error))
            return length != crypto_sign_BYTES ? set_error (error, DFT_BUNDLE_ERROR_DAMAGED)
                                               : FALSE;
          if (got != 0 || !sink_complete (sink))
            return set_error (error, DFT_BUNDLE_ERROR_DAMAGED);
          memcpy (signature, r->plain, crypto_sign_BYTES);
          return TRUE;
        }
      if (tag != TAG_MESSAGE)
        return set_error (error, DFT_BUNDLE_ERROR_DAMAGED);
      crypto_sign_update (&r->sign, r->plain, (unsigned long long) length);
      if (!sink_feed (sink, r->plain, (gsize) length, error))
        return FALSE;
    }
}

/* The batch, once the signature held: its framing, its maker and the server data it is for. */
static GPtrArray *
decode_message (DftStore    *store,
                GBytes      *packed,
                const char  *signer,
                guint8       header_version,
                JsonObject **out_top,
                GError     **error)
{
  g_autoptr (GBytes)     json = dft_wire_gunzip (packed, DFT_WIRE_MAX_JSON, NULL);
  g_autoptr (JsonObject) top = NULL;
  g_autoptr (GPtrArray)  changes = NULL;
  g_autofree char       *epoch = NULL;
  JsonNode              *version;

  if (json == NULL)
    return set_error (error, DFT_BUNDLE_ERROR_DAMAGED), NULL;
  changes = dft_wire_decode_batch (json, &top, NULL);
  if (changes == NULL)
    return set_error (error, DFT_BUNDLE_ERROR_DAMAGED), NULL;
  version = json_object_get_member (top, "bundle");
  if (version == NULL || !JSON_NODE_HOLDS_VALUE (version)
      || json_node_get_value_type (version) != G_TYPE_INT64
      || json_node_get_int (version) != header_version
      || g_strcmp0 (json_object_get_string_member_with_default (top, "from", NULL), signer) != 0)
    return set_error (error, DFT_BUNDLE_ERROR_DAMAGED), NULL;

  /* A bundle made for another server's data would mix two programmes' records. */
  epoch = server_mark (store);
  if (epoch != NULL && json_object_has_member (top, "for")
      && g_strcmp0 (json_object_get_string_member_with_default (top, "for", NULL), epoch) != 0)
    {
      g_set_error (
          error, DFT_BUNDLE_ERROR, DFT_BUNDLE_ERROR_OTHER_SERVER,
          _ ("This bundle was made for another Daftari server’s data. Nothing was imported."));
      return NULL;
    }
  *out_top = g_steal_pointer (&top);
  return g_steal_pointer (&changes);
}

/* Removes the files a bundle carried from where they waited, and the folder. */
static void
remove_files (GPtrArray *files, const char *dir)
{
  for (guint i = 0; files != NULL && i < files->len; i++)
    {
      InFile *file = g_ptr_array_index (files, i);

      if (file->path != NULL)
        g_unlink (file->path);
    }
  if (dir != NULL)
    g_rmdir (dir);
}

DftBundle *
dft_bundle_open (DftStore           *store,
                 GFile              *file,
                 const char         *passphrase,
                 DftBundleSignerFunc signer_key,
                 gpointer            user_data,
                 GCancellable       *cancellable,
                 GError            **error)
{
  g_autoptr (GFileInputStream) in = NULL;
  g_autoptr (GByteArray)       header = g_byte_array_new ();
  g_autoptr (Reader)           r = g_new0 (Reader, 1);
  g_autoptr (GBytes)           packed = NULL;
  g_autoptr (GPtrArray)        changes = NULL;
  g_autoptr (JsonObject)       top = NULL;
  g_autofree char             *signer = NULL;
  DftBundleMode                mode;
  DftBundle                   *self = NULL;
  Sink                         sink = { 0 };
  guint8                       key[KEY_BYTES];
  guint8                       signature[crypto_sign_BYTES];
  guint8                       known[crypto_sign_PUBLICKEYBYTES];
  const guint8                *claimed;
  gboolean                     ok;
  gsize                        id_length, batch_start;

  g_return_val_if_fail (DFT_IS_STORE (store), NULL);
  g_return_val_if_fail (G_IS_FILE (file), NULL);
  g_return_val_if_fail (signer_key != NULL, NULL);

  ensure_sodium ();
  in = g_file_read (file, cancellable, error);
  if (in == NULL || !read_header (G_INPUT_STREAM (in), header, &mode, cancellable, error)
      || !header_key (store, header, mode, passphrase, key, error))
    return NULL;
  sink.version = header->data[sizeof magic];
  sink.message = g_byte_array_new ();
  sink.near = dft_store_get_path (store);
  sink.files = g_ptr_array_new_with_free_func ((GDestroyNotify) in_file_free);
  ok = read_stream (G_INPUT_STREAM (in), header, mode, key, r, &sink, signature, cancellable,
                    error);
  sodium_memzero (key, sizeof key);
  sink_clear (&sink);
  if (!ok)
    goto out;

  /* Who signed it, by the key of that device the importer holds, not the one the file names. */
  ok = FALSE;
  id_length = sink.message->len > 0 ? sink.message->data[0] : 0;
  batch_start = 1 + id_length + crypto_sign_PUBLICKEYBYTES + (sink.version == VERSION ? 0 : 8);
  if (sink.message->len < batch_start || id_length == 0)
    {
      set_error (error, DFT_BUNDLE_ERROR_DAMAGED);
      goto out;
    }
  signer = g_strndup ((const char *) sink.message->data + 1, id_length);
  claimed = sink.message->data + 1 + id_length;
  if (!dft_uuid_is_valid (signer) || strlen (signer) != id_length)
    {
      set_error (error, DFT_BUNDLE_ERROR_DAMAGED);
      goto out;
    }
  if (!signer_key (signer, claimed, known, user_data, error))
    goto out;
  if (sodium_memcmp (known, claimed, sizeof known) != 0
      || crypto_sign_final_verify (&r->sign, signature, known) != 0)
    {
      set_error (error, DFT_BUNDLE_ERROR_FORGED);
      goto out;
    }

  packed = g_bytes_new (sink.message->data + batch_start, sink.message->len - batch_start);
  g_clear_pointer (&sink.message, g_byte_array_unref);
  changes = decode_message (store, packed, signer, sink.version, &top, error);
  if (changes == NULL)
    goto out;

  self = g_new0 (DftBundle, 1);
  self->signer = g_steal_pointer (&signer);
  self->changes = g_steal_pointer (&changes);
  self->files = g_steal_pointer (&sink.files);
  self->files_dir = g_steal_pointer (&sink.dir);
  if (json_object_has_member (top, "files")
      && JSON_NODE_HOLDS_OBJECT (json_object_get_member (top, "files")))
    self->file_info = json_object_ref (json_object_get_object_member (top, "files"));

out:
  g_clear_pointer (&sink.message, g_byte_array_unref);
  /* A refused bundle leaves nothing behind, not even its files waiting. */
  remove_files (sink.files, sink.dir);
  g_clear_pointer (&sink.files, g_ptr_array_unref);
  g_free (sink.dir);
  return self;
}

const char *
dft_bundle_get_signer (DftBundle *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->signer;
}

GPtrArray *
dft_bundle_get_changes (DftBundle *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->changes;
}

guint
dft_bundle_get_n_files (DftBundle *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->files != NULL ? self->files->len : 0;
}

const char *
dft_bundle_get_file_sha256 (DftBundle *self, guint index)
{
  g_return_val_if_fail (self != NULL && index < dft_bundle_get_n_files (self), NULL);
  return ((InFile *) g_ptr_array_index (self->files, index))->sha256;
}

gboolean
dft_bundle_keep_files (DftBundle    *self,
                       DftStore     *store,
                       guint        *n_kept,
                       guint        *n_refused,
                       GCancellable *cancellable,
                       GError      **error)
{
  guint kept = 0, refused = 0;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);

  for (guint i = 0; self->files != NULL && i < self->files->len; i++)
    {
      InFile                       *file = g_ptr_array_index (self->files, i);
      g_autoptr (DftAttachmentInfo) held = NULL;
      g_autoptr (GBytes)            data = NULL;
      g_autofree char              *answer = NULL;
      JsonObject                   *about = NULL;
      char                         *contents = NULL;
      gsize                         length = 0;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      /* Signed by its maker, so not changed on the way: bytes that are not what their hash
       * says come from a damaged store there. That file is left out, the others are kept. */
      if (!file->matches)
        {
          refused++;
          continue;
        }
      held = dft_store_get_attachment_info (store, file->sha256, NULL);
      if (held != NULL)
        {
          kept++;
          continue;
        }
      if (!g_file_get_contents (file->path, &contents, &length, error))
        return FALSE;
      data = g_bytes_new_take (contents, length);
      if (self->file_info != NULL && json_object_has_member (self->file_info, file->sha256)
          && JSON_NODE_HOLDS_OBJECT (json_object_get_member (self->file_info, file->sha256)))
        about = json_object_get_object_member (self->file_info, file->sha256);
      answer = dft_store_add_attachment (
          store, data,
          about != NULL ? json_object_get_string_member_with_default (about, "name", NULL) : NULL,
          about != NULL ? json_object_get_string_member_with_default (about, "type", NULL) : NULL,
          error);
      if (answer == NULL)
        return FALSE;
      kept++;
    }
  if (n_kept != NULL)
    *n_kept = kept;
  if (n_refused != NULL)
    *n_refused = refused;
  return TRUE;
}

void
dft_bundle_free (DftBundle *self)
{
  if (self == NULL)
    return;
  g_free (self->signer);
  g_clear_pointer (&self->changes, g_ptr_array_unref);
  remove_files (self->files, self->files_dir);
  g_clear_pointer (&self->files, g_ptr_array_unref);
  g_free (self->files_dir);
  g_clear_pointer (&self->file_info, json_object_unref);
  g_free (self);
}

/* ---- A laptop's import --------------------------------------------------- */

typedef struct
{
  DftStore   *store;
  JsonObject *known; /* DFT_BUNDLE_STATE_DEVICE_KEYS */
  gboolean    has_server;
  char       *pin; /* a key taken on first use, to keep if the import succeeds */
} LaptopKeys;

static gboolean
laptop_signer_key (
    const char *device_id, const guint8 *claimed, guint8 *key, gpointer user_data, GError **error)
{
  LaptopKeys *keys = user_data;

  /* Its own bundle, or a copy of this database's: this device's key, never made here. */
  if (g_str_equal (device_id, dft_store_get_device_id (keys->store)))
    {
      g_autofree char *text
          = dft_store_get_sync_state (keys->store, DFT_BUNDLE_STATE_SIGN_SECRET, NULL);
      guint8 secret[crypto_sign_SECRETKEYBYTES];

      if (!decode_key (text, secret, sizeof secret))
        return set_error (error, DFT_BUNDLE_ERROR_FORGED);
      crypto_sign_ed25519_sk_to_pk (key, secret);
      sodium_memzero (secret, sizeof secret);
      return TRUE;
    }
  if (keys->known != NULL && json_object_has_member (keys->known, device_id))
    {
      const char *text = json_object_get_string_member_with_default (keys->known, device_id, NULL);

      return decode_key (text, key, crypto_sign_PUBLICKEYBYTES)
             || set_error (error, DFT_BUNDLE_ERROR_UNKNOWN_SIGNER);
    }
  /* A laptop of a server knows its devices from it; one without a server has only the
   * passphrase to go by, and holds the device to the key it first saw. */
  if (keys->has_server)
    return set_error (error, DFT_BUNDLE_ERROR_UNKNOWN_SIGNER);
  memcpy (key, claimed, crypto_sign_PUBLICKEYBYTES);
  g_free (keys->pin);
  keys->pin = g_base64_encode (claimed, crypto_sign_PUBLICKEYBYTES);
  return TRUE;
}

static JsonObject *
load_known_keys (DftStore *store)
{
  g_autofree char *text = dft_store_get_sync_state (store, DFT_BUNDLE_STATE_DEVICE_KEYS, NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode              *root;

  if (text == NULL || *text == '\0' || !json_parser_load_from_data (parser, text, -1, NULL))
    return json_object_new ();
  root = json_parser_get_root (parser);
  return root != NULL && JSON_NODE_HOLDS_OBJECT (root)
             ? json_object_ref (json_node_get_object (root))
             : json_object_new ();
}

static gboolean
pin_key (LaptopKeys *keys, const char *device_id, GError **error)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char     *text = NULL;

  json_object_set_string_member (keys->known, device_id, keys->pin);
  json_node_set_object (node, keys->known);
  text = json_to_string (node, FALSE);
  return dft_store_set_sync_state (keys->store, DFT_BUNDLE_STATE_DEVICE_KEYS, text, error);
}

/*
 * What a bundle brings is other devices' changes, which this laptop's own pushes never send:
 * its next sync relays everything logged after @before (the position the sync client's relay
 * starts from), so the server has them even when the laptop that made them never syncs.
 */
static gboolean
relay_later (DftStore *store, gint64 before, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char   *text = dft_store_get_sync_state (store, "relay_after", &local_error);
  g_autofree char   *position = NULL;

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (text != NULL && *text != '\0' && g_ascii_strtoll (text, NULL, 10) <= before)
    return TRUE;
  position = g_strdup_printf ("%" G_GINT64_FORMAT, before);
  return dft_store_set_sync_state (store, "relay_after", position, error);
}

gboolean
dft_bundle_import_with_files (DftStore      *store,
                              GFile         *file,
                              const char    *passphrase,
                              DftApplyStats *stats,
                              guint         *n_files,
                              guint         *n_files_refused,
                              GCancellable  *cancellable,
                              GError       **error)
{
  g_autoptr (DftBundle)  bundle = NULL;
  g_autoptr (JsonObject) known = load_known_keys (store);
  g_autofree char       *server_key = NULL;
  g_autofree char       *epoch = server_mark (store);
  g_autofree char       *pin = NULL;
  LaptopKeys             keys = { store, known, FALSE, NULL };
  GPtrArray             *changes;
  gboolean               forked = FALSE;
  DftApplyStats          applied = { 0 };
  gint64                 before;
  guint                  index = 0;

  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);
  g_return_val_if_fail (G_IS_FILE (file), FALSE);

  server_key = dft_store_get_sync_state (store, DFT_BUNDLE_STATE_SERVER_KEY, NULL);
  keys.has_server = epoch != NULL || (server_key != NULL && *server_key != '\0');
  bundle = dft_bundle_open (store, file, passphrase, laptop_signer_key, &keys, cancellable, error);
  pin = g_steal_pointer (&keys.pin);
  if (bundle == NULL)
    return FALSE;
  changes = bundle->changes;

  /* A clock far ahead of this one's would win every merge for as long as it lasts (issue 13):
   * the bundle is refused whole, as a push is. */
  if (!dft_store_check_clocks (store, changes, NULL, NULL, error))
    return FALSE;
  if (!dft_store_find_fork (store, changes, &forked, &index, error))
    return FALSE;
  if (forked)
    {
      DftChange       *change = g_ptr_array_index (changes, index);
      g_autofree char *fresh = NULL;
      /* The other copy's changes under the shared id were never pulled here: pull again. */
      const char *state[] = { "push_acked_seq", "0", "pull_cursor", "0", NULL };

      if (g_strcmp0 (change->device_id, dft_store_get_device_id (store)) != 0)
        return dft_store_set_fork_error (error, change);
      /* This database and the bundle's maker are copies of one file: this one takes a new id
       * for what it made since they parted, and both keep everything. */
      fresh = dft_uuid_v4_new ();
      if (!dft_store_take_identity (store, fresh, change->origin_seq - 1, state, error))
        return FALSE;
    }
  /* The files first: should the changes then fail, files nothing names are pruned in time;
   * changes naming files that never came would wait for a sync to bring them. */
  if (!dft_bundle_keep_files (bundle, store, n_files, n_files_refused, cancellable, error))
    return FALSE;
  before = dft_store_last_seq (store, error);
  if (before < 0
      || !dft_store_apply_changes (store, changes, stats != NULL ? stats : &applied, error)
      || !relay_later (store, before, error))
    return FALSE;
  keys.pin = pin;
  if (pin != NULL && !pin_key (&keys, bundle->signer, error))
    return FALSE;
  if (stats != NULL)
    stats->new_identity = forked;
  return TRUE;
}

gboolean
dft_bundle_import (DftStore      *store,
                   GFile         *file,
                   const char    *passphrase,
                   DftApplyStats *stats,
                   GCancellable  *cancellable,
                   GError       **error)
{
  return dft_bundle_import_with_files (store, file, passphrase, stats, NULL, NULL, cancellable,
                                       error);
}
