/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "dft-bundle-private.h"
#include "dft-bundle.h"
#include "dft-change-log.h"
#include "dft-hlc.h"
#include "dft-store-attachments.h"
#include "dft-store-private.h"
#include "dft-test-util.h"
#include "dft-wire.h"

/*
 * DAFTARI_BUNDLE_SEED=N repeats the random byte positions /bundle/tampered
 * changes in a run that failed (each run prints its seed).
 */

static gint64
count (DftStore *store, const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64        n;

  g_assert_cmpint (sqlite3_prepare_v2 (_dft_store_get_db (store), sql, -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return n;
}

/* Every row of every table, to compare before and after a refused import. */
static char *
snapshot (DftStore *store)
{
  sqlite3            *db = _dft_store_get_db (store);
  sqlite3_stmt       *tables = NULL;
  g_autoptr (GString) out = g_string_new (NULL);

  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "SELECT name FROM sqlite_master WHERE type = 'table'"
                                       " AND name NOT LIKE 'sqlite_%' ORDER BY name",
                                       -1, &tables, NULL),
                   ==, SQLITE_OK);
  while (sqlite3_step (tables) == SQLITE_ROW)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT * FROM \"%s\" ORDER BY 1",
                                              (const char *) sqlite3_column_text (tables, 0));
      sqlite3_stmt    *rows = NULL;

      if (sqlite3_prepare_v2 (db, sql, -1, &rows, NULL) != SQLITE_OK)
        continue; /* a virtual table's shadow */
      g_string_append_printf (out, "[%s]\n", (const char *) sqlite3_column_text (tables, 0));
      while (sqlite3_step (rows) == SQLITE_ROW)
        {
          for (int c = 0; c < sqlite3_column_count (rows); c++)
            g_string_append_printf (out, "%s|", (const char *) sqlite3_column_text (rows, c));
          g_string_append_c (out, '\n');
        }
      sqlite3_finalize (rows);
    }
  sqlite3_finalize (tables);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/*
 * Two laptops, a and b, and the records of a server, s: s holds the key pair
 * bundles are sealed to and knows a's signing key, as enrolment gives it.
 */
typedef struct
{
  char     *dir_a, *dir_b, *dir_s;
  DftStore *a, *b, *s;
  GFile    *bundle;
  char     *passphrase;
} Fixture;

static void
know_device (DftStore *store, DftStore *device)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (JsonNode)   node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (JsonObject) keys = json_object_new ();
  g_autofree char *known = dft_store_get_sync_state (store, DFT_BUNDLE_STATE_DEVICE_KEYS, NULL);
  g_autofree char *key = dft_bundle_ensure_device_key (device, &error);
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  if (known != NULL)
    {
      g_autoptr (JsonNode) old = json_from_string (known, &error);
      g_assert_no_error (error);
      g_clear_pointer (&keys, json_object_unref);
      keys = json_object_ref (json_node_get_object (old));
    }
  json_object_set_string_member (keys, dft_store_get_device_id (device), key);
  json_node_set_object (node, keys);
  text = json_to_string (node, FALSE);
  g_assert_true (dft_store_set_sync_state (store, DFT_BUNDLE_STATE_DEVICE_KEYS, text, &error));
  g_assert_no_error (error);
}

/* What signing in to the server gives a laptop: its key, its epoch, and its signing key known. */
static void
sign_in (DftStore *laptop, DftStore *server)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *key = dft_bundle_ensure_box_key (server, &error);
  g_autofree char   *epoch = dft_store_get_sync_state (server, "server_epoch", NULL);

  g_assert_no_error (error);
  if (epoch == NULL)
    {
      epoch = g_strdup ("epoch-of-the-programme");
      g_assert_true (dft_store_set_sync_state (server, "server_epoch", epoch, &error));
    }
  g_assert_true (dft_store_set_sync_state (laptop, DFT_BUNDLE_STATE_SERVER_KEY, key, &error));
  g_assert_true (dft_store_set_sync_state (laptop, "epoch", epoch, &error));
  g_assert_no_error (error);
  know_device (server, laptop);
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autofree char *path = NULL;

  f->a = dft_test_open_store (&f->dir_a);
  f->b = dft_test_open_store (&f->dir_b);
  f->s = dft_test_open_store (&f->dir_s);
  path = g_build_filename (f->dir_a, "to-usb.daftari", NULL);
  f->bundle = g_file_new_for_path (path);
  f->passphrase = dft_bundle_new_passphrase ();
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_object_unref (f->bundle);
  g_free (f->passphrase);
  dft_test_release_store (f->a);
  dft_test_release_store (f->b);
  dft_test_release_store (f->s);
  dft_test_dir_free (f->dir_a);
  dft_test_dir_free (f->dir_b);
  dft_test_dir_free (f->dir_s);
}

/* Imports into @store with @passphrase and expects @code, with nothing in @store changed. */
static void
expect_refused (DftStore *store, GFile *file, const char *passphrase, DftBundleError code)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *before = snapshot (store);
  g_autofree char   *after = NULL;
  DftApplyStats      stats = { 0 };

  g_assert_false (dft_bundle_import (store, file, passphrase, &stats, NULL, &error));
  g_assert_error (error, DFT_BUNDLE_ERROR, (gint) code);
  after = snapshot (store);
  g_assert_cmpstr (after, ==, before);
}

/* Laptop to laptop with a passphrase: neither has a server, so b takes a's key on first use. */
static void
test_bundle_round_trip (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) event
      = dft_test_add_event (f->a, "Offline workshop", "2026-07-01", "2026-07-02");
  g_autoptr (DftRecord) person = dft_test_add_person (f->a, "Чолпон", "Садыкова");
  g_autoptr (DftRecord) mark = NULL;
  g_autoptr (DftRecord) seen = NULL;
  g_autofree char *session = dft_session_id_for (dft_record_get_id (event), "2026-07-01", "am");
  DftApplyStats    stats = { 0 };
  guint            n = 0;

  mark = dft_store_mark_attendance (f->a, session, dft_record_get_id (person), "late", "Bus",
                                    &error);
  g_assert_no_error (error);

  g_assert_true (dft_bundle_export (f->a, f->bundle, 0, f->passphrase, &n, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 1 + 4 + 1 + 1);

  g_assert_true (dft_bundle_import (f->b, f->bundle, f->passphrase, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.applied, ==, n);
  seen = dft_store_load (f->b, &dft_entity_attendance, dft_record_get_id (mark), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dft_record_get_string (seen, "status"), ==, "late");
  g_assert_cmpstr (dft_record_get_string (seen, "note"), ==, "Bus");
  {
    g_autoptr (GPtrArray) found = dft_store_find_people (f->b, "cholpon", 0, &error);
    g_assert_cmpuint (found->len, ==, 1);
  }

  /* Importing the same bundle again changes nothing; the passphrase may be typed loosely. */
  {
    gint64           log = count (f->b, "SELECT count (*) FROM change_log");
    g_autofree char *typed = g_ascii_strdown (f->passphrase, -1);

    g_strdelimit (typed, "-", ' ');
    g_assert_true (dft_bundle_import (f->b, f->bundle, typed, &stats, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (stats.applied, ==, 0);
    g_assert_cmpuint (stats.duplicates, ==, n);
    g_assert_cmpint (count (f->b, "SELECT count (*) FROM change_log"), ==, log);
  }

  /* B passes A's changes on, with their origin: A recognises its own. */
  g_assert_true (dft_bundle_export (f->b, f->bundle, 0, f->passphrase, &n, NULL, &error));
  g_assert_true (dft_bundle_import (f->a, f->bundle, f->passphrase, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.duplicates, ==, n);
}

/* A laptop that signed in seals its bundle for the server: the server reads it, nobody else. */
static void
test_bundle_for_server (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) person = dft_test_add_person (f->a, "Rehema", "Mushi");
  g_autoptr (DftStore)  other = NULL;
  g_autofree char      *other_dir = NULL;
  DftApplyStats         stats = { 0 };
  guint                 n = 0;

  /* Never signed in: there is no server to seal it for. */
  g_assert_false (dft_bundle_export (f->a, f->bundle, 0, NULL, &n, NULL, &error));
  g_assert_error (error, DFT_BUNDLE_ERROR, DFT_BUNDLE_ERROR_NO_SERVER_KEY);
  g_clear_error (&error);
  g_assert_false (g_file_query_exists (f->bundle, NULL));

  sign_in (f->a, f->s);
  g_assert_true (dft_bundle_export (f->a, f->bundle, 0, NULL, &n, NULL, &error));
  g_assert_no_error (error);
  {
    DftBundleMode mode = 0;
    g_assert_true (dft_bundle_read_mode (f->bundle, &mode, NULL, &error));
    g_assert_cmpint (mode, ==, DFT_BUNDLE_MODE_SERVER);
  }

  /* Another laptop of the programme cannot open it; another server neither. */
  sign_in (f->b, f->s);
  expect_refused (f->b, f->bundle, NULL, DFT_BUNDLE_ERROR_SEALED_FOR_SERVER);
  other = dft_test_open_store (&other_dir);
  g_free (dft_bundle_ensure_box_key (other, &error));
  g_assert_no_error (error);
  g_assert_true (
      dft_store_set_sync_state (other, "server_epoch", "epoch-of-the-programme", &error));
  know_device (other, f->a);
  expect_refused (other, f->bundle, NULL, DFT_BUNDLE_ERROR_OTHER_SERVER);

  g_assert_true (dft_bundle_import (f->s, f->bundle, NULL, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.applied, ==, n);
  g_assert_cmpint (count (f->s, "SELECT count (*) FROM person"), ==, 1);

  dft_test_release_store (g_steal_pointer (&other));
  dft_test_dir_free (g_steal_pointer (&other_dir));
}

static gboolean
contains (GBytes *haystack, const char *needle)
{
  gsize       size;
  const char *data = g_bytes_get_data (haystack, &size);

  return memmem (data, size, needle, strlen (needle)) != NULL;
}

/* What zcat or a look at the file shows: nothing of the people in it. */
static void
test_bundle_unreadable (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) person = dft_test_add_person (f->a, "Чолпон", "Садыкова");
  g_autoptr (DftRecord) event
      = dft_test_add_event (f->a, "Offline workshop", "2026-07-01", "2026-07-01");
  const char *secret[] = { "Чолпон",      "Садыкова",   "Offline workshop",
                           "\"changes\"", "given_name", dft_store_get_device_id (f->a),
                           NULL };

  sign_in (f->a, f->s);
  for (guint mode = 0; mode < 2; mode++)
    {
      g_autoptr (GBytes) bytes = NULL;
      g_autoptr (GBytes) unzipped = NULL;

      g_assert_true (dft_bundle_export (f->a, f->bundle, 0, mode == 0 ? NULL : f->passphrase, NULL,
                                        NULL, &error));
      g_assert_no_error (error);
      bytes = g_file_load_bytes (f->bundle, NULL, NULL, &error);
      g_assert_no_error (error);
      for (guint i = 0; secret[i] != NULL; i++)
        g_assert_false (contains (bytes, secret[i]));
      /* Not a gzip file either: zcat finds nothing to unpack. */
      unzipped = dft_wire_gunzip (bytes, DFT_WIRE_MAX_JSON, NULL);
      g_assert_null (unzipped);
    }
}

static GBytes *
flip (GBytes *good, gsize at, guint8 mask)
{
  gsize   size = g_bytes_get_size (good);
  guint8 *copy = g_memdup2 (g_bytes_get_data (good, NULL), size);

  g_assert_cmpuint (at, <, size);
  copy[at] ^= mask;
  return g_bytes_new_take (copy, size);
}

static void
write_bytes (GFile *file, GBytes *bytes)
{
  g_assert_true (g_file_replace_contents (file, g_bytes_get_data (bytes, NULL),
                                          g_bytes_get_size (bytes), NULL, FALSE, 0, NULL, NULL,
                                          NULL));
}

/* A changed byte anywhere, a cut or an addition: refused, and the server's data as it was. */
static void
test_bundle_tampered (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) good = NULL;
  g_autoptr (GRand)  rand = NULL;
  const char        *env = g_getenv ("DAFTARI_BUNDLE_SEED");
  guint32 seed = env != NULL ? (guint32) g_ascii_strtoull (env, NULL, 10) : g_random_int ();
  gsize   size;
  /* The magic, version, mode, the server's key, the sealed key, the stream header, and the
   * first piece; then from the end: the signature piece and the last byte. */
  gsize         fixed[] = { 0, 8, 9, 10, 41, 42, 121, 122, 145, 146, 200 };
  DftApplyStats stats = { 0 };

  g_test_message ("seed %u (DAFTARI_BUNDLE_SEED=%u repeats it)", seed, seed);
  rand = g_rand_new_with_seed (seed);
  /* Enough for several pieces of the stream, compressed: text that does not compress. */
  for (guint i = 0; i < 40; i++)
    {
      g_autofree char      *given = g_strdup_printf ("Person %u", i);
      g_autoptr (DftRecord) p = dft_test_add_person (f->a, given, "Участник");
      guint8                noise[3000];
      g_autofree char      *position = NULL;

      for (guint j = 0; j < sizeof noise; j++)
        noise[j] = (guint8) g_random_int ();
      position = g_base64_encode (noise, sizeof noise);
      g_object_set (p, "position", position, NULL);
      g_assert_true (dft_store_save (f->a, p, &error));
    }
  sign_in (f->a, f->s);
  g_assert_true (dft_bundle_export (f->a, f->bundle, 0, NULL, NULL, NULL, &error));
  good = g_file_load_bytes (f->bundle, NULL, NULL, &error);
  size = g_bytes_get_size (good);
  g_assert_cmpuint (size, >, 64 * 1024);

  for (guint i = 0; i < G_N_ELEMENTS (fixed) + 3 + 20; i++)
    {
      gsize              at = i < G_N_ELEMENTS (fixed)        ? fixed[i]
                              : i == G_N_ELEMENTS (fixed)     ? size - 1
                              : i == G_N_ELEMENTS (fixed) + 1 ? size - 40
                              : i == G_N_ELEMENTS (fixed) + 2
                                  ? size / 2
                                  : (gsize) g_rand_int_range (rand, 0, (gint32) size);
      guint8             mask = (guint8) (1u << g_rand_int_range (rand, 0, 8));
      g_autoptr (GBytes) bad = flip (good, at, mask);
      g_autoptr (GError) refused = NULL;
      g_autofree char   *before = snapshot (f->s);
      g_autofree char   *after = NULL;

      write_bytes (f->bundle, bad);
      if (dft_bundle_import (f->s, f->bundle, NULL, &stats, NULL, &refused))
        g_error ("byte %" G_GSIZE_FORMAT " changed (mask %u, seed %u) and the bundle was taken", at,
                 mask, seed);
      g_assert_true (refused->domain == DFT_BUNDLE_ERROR);
      after = snapshot (f->s);
      g_assert_cmpstr (after, ==, before);
    }

  /* Cut short at a piece's end, cut anywhere, and one byte added. */
  {
    gsize cuts[] = { 10, 146, 146 + 64 * 1024 + 17, size - 81, size - 1 };

    for (guint i = 0; i < G_N_ELEMENTS (cuts); i++)
      {
        g_autoptr (GBytes) cut = g_bytes_new_from_bytes (good, 0, cuts[i]);

        write_bytes (f->bundle, cut);
        expect_refused (f->s, f->bundle, NULL, DFT_BUNDLE_ERROR_DAMAGED);
      }
  }
  {
    g_autoptr (GByteArray) longer = g_byte_array_new ();
    g_autoptr (GBytes)     bytes = NULL;

    g_byte_array_append (longer, g_bytes_get_data (good, NULL), (guint) size);
    g_byte_array_append (longer, (const guint8 *) "\n", 1);
    bytes = g_byte_array_free_to_bytes (g_steal_pointer (&longer));
    write_bytes (f->bundle, bytes);
    expect_refused (f->s, f->bundle, NULL, DFT_BUNDLE_ERROR_DAMAGED);
  }

  /* And the file as made is taken. */
  write_bytes (f->bundle, good);
  g_assert_true (dft_bundle_import (f->s, f->bundle, NULL, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count (f->s, "SELECT count (*) FROM person"), ==, 40);
}

static void
test_bundle_wrong_passphrase (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) p = dft_test_add_person (f->a, "Amani", "Said");
  g_autofree char      *other = dft_bundle_new_passphrase ();
  g_autoptr (GBytes)    good = NULL;

  g_assert_true (dft_bundle_export (f->a, f->bundle, 0, f->passphrase, NULL, NULL, &error));
  expect_refused (f->b, f->bundle, other, DFT_BUNDLE_ERROR_WRONG_PASSPHRASE);
  expect_refused (f->b, f->bundle, "", DFT_BUNDLE_ERROR_WRONG_PASSPHRASE);
  expect_refused (f->b, f->bundle, NULL, DFT_BUNDLE_ERROR_NEEDS_PASSPHRASE);
  /* A salt changed is as good as a wrong passphrase; costs changed past the bounds are refused
   * before any work. */
  good = g_file_load_bytes (f->bundle, NULL, NULL, &error);
  {
    g_autoptr (GBytes) bad = flip (good, 10, 0x01);
    write_bytes (f->bundle, bad);
    expect_refused (f->b, f->bundle, f->passphrase, DFT_BUNDLE_ERROR_WRONG_PASSPHRASE);
  }
  {
    g_autoptr (GBytes) bad = flip (good, 10 + 16 + 8 + 4, 0x40);
    write_bytes (f->bundle, bad);
    expect_refused (f->b, f->bundle, f->passphrase, DFT_BUNDLE_ERROR_DAMAGED);
  }
  g_assert_cmpint (count (f->b, "SELECT count (*) FROM person"), ==, 0);
}

static gint64
year_2200 (void)
{
  return G_GINT64_CONSTANT (7258118400000); /* 2200-01-01 */
}

/*
 * Issue 13: a laptop whose date says 2200 signs a bundle honestly; its
 * clock would win every merge until 2200, so the import is refused whole,
 * as the server refuses such a push, and nothing changes.
 */
static void
test_bundle_clock_ahead (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) p = NULL;
  g_autofree char      *before = NULL;
  DftApplyStats         stats = { 0 };

  _dft_hlc_set_wall_clock (year_2200);
  p = dft_test_add_person (f->a, "Amani", "Said");
  g_assert_true (dft_bundle_export (f->a, f->bundle, 0, f->passphrase, NULL, NULL, &error));
  _dft_hlc_set_wall_clock (NULL);
  g_assert_no_error (error);

  before = snapshot (f->b);
  g_assert_false (dft_bundle_import (f->b, f->bundle, f->passphrase, &stats, NULL, &error));
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_CLOCK_AHEAD);
  g_assert_cmpint (count (f->b, "SELECT count (*) FROM person"), ==, 0);
  {
    g_autofree char *after = snapshot (f->b);
    /* b took a's key on first use only for a bundle it applied. */
    g_assert_cmpstr (after, ==, before);
  }
}

/* Writes a bundle of @forger's with its signing key replaced by @seed's secret half and
 * @public_key: the file names that key, and the signature is not made with it. */
static void
replace_sign_key (DftStore *forger, const guint8 *public_key)
{
  g_autoptr (GError) error = NULL;
  guint8             pk[crypto_sign_PUBLICKEYBYTES];
  guint8             sk[crypto_sign_SECRETKEYBYTES];
  g_autofree char   *text = NULL;

  crypto_sign_keypair (pk, sk);
  if (public_key != NULL)
    memcpy (sk + crypto_sign_SEEDBYTES, public_key, crypto_sign_PUBLICKEYBYTES);
  text = g_base64_encode (sk, sizeof sk);
  g_assert_true (dft_store_set_sync_state (forger, DFT_BUNDLE_STATE_SIGN_SECRET, text, &error));
  g_assert_no_error (error);
}

/*
 * The forgeries: someone with the server's public key (anyone) and a
 * laptop of their own makes a valid-looking bundle carrying a new form with a
 * clock at 2^63−1, signed by a key of their own, in their own name or in an
 * enrolled device's; and someone who knows a passphrase edits a bundle and
 * makes it again, recomputing everything but the device's signature.
 */
static void
test_bundle_forged (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (DftStore)   forger = NULL;
  g_autofree char       *forger_dir = NULL;
  g_autoptr (GPtrArray)  rogue = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
  g_autoptr (JsonObject) fields = json_object_new ();
  g_autoptr (DftRecord)  p = dft_test_add_person (f->a, "Amani", "Said");
  g_autofree char       *a_key_text = NULL;
  g_autofree char       *a_id = g_strdup (dft_store_get_device_id (f->a));
  guint8                 a_key[crypto_sign_PUBLICKEYBYTES];
  DftChange             *c;
  DftApplyStats          stats = { 0 };

  sign_in (f->a, f->s);
  sign_in (f->b, f->s);
  a_key_text = dft_bundle_ensure_device_key (f->a, &error);
  {
    gsize              length;
    g_autofree guchar *raw = g_base64_decode (a_key_text, &length);
    g_assert_cmpuint (length, ==, sizeof a_key);
    memcpy (a_key, raw, sizeof a_key);
  }

  forger = dft_test_open_store (&forger_dir);
  json_object_set_string_member (fields, "form_key", "rogue");
  json_object_set_int_member (fields, "version", 1);
  json_object_set_string_member (fields, "title", "Rogue form");
  json_object_set_string_member (fields, "definition", "{}");
  c = dft_change_new ("form", "01900000-0000-7000-8000-000000000001", fields);
  c->device_id = g_strdup (a_id);
  c->origin_seq = 99;
  c->hlc = G_MAXINT64;
  g_ptr_array_add (rogue, c);
  g_assert_true (dft_store_apply_changes (forger, rogue, &stats, &error));
  g_assert_no_error (error);
  {
    g_autofree char *server_key
        = dft_store_get_sync_state (f->a, DFT_BUNDLE_STATE_SERVER_KEY, NULL);
    g_assert_true (
        dft_store_set_sync_state (forger, DFT_BUNDLE_STATE_SERVER_KEY, server_key, &error));
    g_assert_true (dft_store_set_sync_state (forger, "epoch", "epoch-of-the-programme", &error));
  }

  /* 1. In its own name: a device the server never enrolled. */
  g_assert_true (dft_bundle_export (forger, f->bundle, 0, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  expect_refused (f->s, f->bundle, NULL, DFT_BUNDLE_ERROR_UNKNOWN_SIGNER);

  /* 2. In an enrolled device's name, with a key of its own. */
  g_assert_true (dft_store_take_identity (forger, a_id, 0, NULL, &error));
  g_assert_no_error (error);
  replace_sign_key (forger, NULL);
  g_assert_true (dft_bundle_export (forger, f->bundle, 0, NULL, NULL, NULL, &error));
  expect_refused (f->s, f->bundle, NULL, DFT_BUNDLE_ERROR_FORGED);

  /* 3. Naming the enrolled device's own public key, signed with another secret. */
  replace_sign_key (forger, a_key);
  g_assert_true (dft_bundle_export (forger, f->bundle, 0, NULL, NULL, NULL, &error));
  expect_refused (f->s, f->bundle, NULL, DFT_BUNDLE_ERROR_FORGED);

  /* 4. A passphrase bundle made again with the passphrase, edited, every hash recomputed: a
   * laptop that knows a's key from the server refuses it too. */
  know_device (f->b, f->a);
  g_assert_true (dft_bundle_export (forger, f->bundle, 0, f->passphrase, NULL, NULL, &error));
  expect_refused (f->b, f->bundle, f->passphrase, DFT_BUNDLE_ERROR_FORGED);

  g_assert_cmpint (count (f->s, "SELECT count (*) FROM form"), ==, 0);
  g_assert_cmpint (count (f->b, "SELECT count (*) FROM form"), ==, 0);
  dft_test_release_store (g_steal_pointer (&forger));
  dft_test_dir_free (g_steal_pointer (&forger_dir));
}

/* A laptop of a server takes bundles only from devices the server told it of. */
static void
test_bundle_unknown_signer (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) p = dft_test_add_person (f->a, "Amani", "Said");
  DftApplyStats         stats = { 0 };

  sign_in (f->a, f->s);
  sign_in (f->b, f->s);
  g_assert_true (dft_bundle_export (f->a, f->bundle, 0, f->passphrase, NULL, NULL, &error));
  expect_refused (f->b, f->bundle, f->passphrase, DFT_BUNDLE_ERROR_UNKNOWN_SIGNER);
  know_device (f->b, f->a);
  g_assert_true (dft_bundle_import (f->b, f->bundle, f->passphrase, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.applied, ==, 1);
}

/* Version 1 bundles were plain gzip with a keyless checksum: refused, with a reason. */
static void
test_bundle_old_format (Fixture *f, gconstpointer data)
{
  static const char  json[] = "{\"server\":\"daftari\",\"protocol\":1,\"bundle\":1,\"devices\":[],"
                              "\"ids\":[],\"changes\":[]}";
  g_autofree char   *checksum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, json, -1);
  g_autofree char   *content = g_strdup_printf ("%s\nsha256:%s\n", json, checksum);
  g_autoptr (GBytes) plain = g_bytes_new (content, strlen (content));
  g_autoptr (GBytes) packed = dft_wire_gzip (plain);

  write_bytes (f->bundle, packed);
  expect_refused (f->b, f->bundle, NULL, DFT_BUNDLE_ERROR_OLD_FORMAT);
  expect_refused (f->b, f->bundle, f->passphrase, DFT_BUNDLE_ERROR_OLD_FORMAT);
}

static void
expect_damaged (Fixture *f, const char *contents, gsize length)
{
  g_assert_true (
      g_file_replace_contents (f->bundle, contents, length, NULL, FALSE, 0, NULL, NULL, NULL));
  expect_refused (f->b, f->bundle, f->passphrase, DFT_BUNDLE_ERROR_DAMAGED);
  g_assert_cmpint (count (f->b, "SELECT count (*) FROM change_log"), ==, 0);
}

static void
test_bundle_damaged (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) p = dft_test_add_person (f->a, "Rehema", "Mushi");
  g_autofree char      *good = NULL;
  gsize                 length;

  g_assert_true (dft_bundle_export (f->a, f->bundle, 0, f->passphrase, NULL, NULL, &error));
  g_assert_true (g_file_load_contents (f->bundle, NULL, &good, &length, NULL, NULL));

  /* Cut short, as a USB stick pulled out too early leaves it. */
  expect_damaged (f, good, length / 2);
  /* One byte changed near the end (the first piece's is as likely a wrong passphrase). */
  good[length - 10] ^= 0x20;
  expect_damaged (f, good, length);
  /* Something else entirely. */
  expect_damaged (f, "PK\3\4 a spreadsheet", 19);
}

static void
test_bundle_other_server (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) p = dft_test_add_person (f->a, "Amani", "Said");

  g_assert_true (dft_store_set_sync_state (f->a, "server_epoch", "epoch-of-programme-a", &error));
  g_assert_true (dft_store_set_sync_state (f->b, "server_epoch", "epoch-of-programme-b", &error));
  know_device (f->b, f->a);
  g_assert_true (dft_bundle_export (f->a, f->bundle, 0, f->passphrase, NULL, NULL, &error));
  expect_refused (f->b, f->bundle, f->passphrase, DFT_BUNDLE_ERROR_OTHER_SERVER);
  g_assert_cmpint (count (f->b, "SELECT count (*) FROM person"), ==, 0);
}

/* Laptops keep the epoch their server told them under "epoch" (sync/client), not the server's
 * own key: the check must run there too. */
static void
test_bundle_other_server_laptops (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) p = dft_test_add_person (f->a, "Amani", "Said");
  DftApplyStats         stats;

  g_assert_true (dft_store_set_sync_state (f->a, "epoch", "epoch-of-programme-a", &error));
  g_assert_true (dft_store_set_sync_state (f->b, "epoch", "epoch-of-programme-b", &error));
  know_device (f->b, f->a);
  g_assert_true (dft_bundle_export (f->a, f->bundle, 0, f->passphrase, NULL, NULL, &error));
  expect_refused (f->b, f->bundle, f->passphrase, DFT_BUNDLE_ERROR_OTHER_SERVER);
  g_assert_cmpint (count (f->b, "SELECT count (*) FROM person"), ==, 0);

  /* The same programme's laptops exchange bundles as before. */
  g_assert_true (dft_store_set_sync_state (f->b, "epoch", "epoch-of-programme-a", &error));
  g_assert_true (dft_bundle_import (f->b, f->bundle, f->passphrase, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count (f->b, "SELECT count (*) FROM person"), ==, 1);
}

/* ---- Files ------------------------------------------------------------------------------ */

/* A photo's worth of bytes that are not all alike, from @seed. */
static GBytes *
make_bytes (gsize size, guint32 seed)
{
  guint8 *buffer = g_malloc (size);
  GRand  *rand = g_rand_new_with_seed (seed);

  for (gsize i = 0; i < size; i++)
    buffer[i] = (guint8) g_rand_int (rand);
  g_rand_free (rand);
  return g_bytes_new_take (buffer, size);
}

/* A final submission on @store whose answers are @answers. */
static void
add_submission (DftStore *store, const char *answers)
{
  g_autofree char *id = dft_test_add_draft (store, NULL, NULL);

  dft_test_finalize (store, id, answers);
}

/* The version byte of the bundle in @file. */
static guint8
bundle_version (GFile *file)
{
  g_autofree char *contents = NULL;
  gsize            length = 0;

  g_assert_true (g_file_load_contents (file, NULL, &contents, &length, NULL, NULL));
  g_assert_cmpuint (length, >, 9);
  return (guint8) contents[8];
}

/* Nothing but the database beside @store's: no folder of a bundle's files left waiting. */
static void
assert_no_files_left (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char      *entry;

  g_assert_nonnull (d);
  while ((entry = g_dir_read_name (d)) != NULL)
    g_assert_false (g_str_has_prefix (entry, ".bundle-files-"));
}

static void
assert_holds (DftStore *store, const char *answer, GBytes *expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) got = dft_store_read_attachment (store, answer, &error);

  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (got, expected));
}

/* A submission's photo goes with it on the stick, and comes out whole on a fresh laptop. */
static void
test_bundle_files (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) person = dft_test_add_person (f->a, "Чолпон", "Садыкова");
  /* More than one piece of the stream (64 KiB), so that a file straddles pieces. */
  g_autoptr (GBytes)            photo = make_bytes (200000, 7);
  g_autoptr (DftAttachmentInfo) info = NULL;
  g_autofree char              *answer = NULL, *answers = NULL;
  const char   *absent = "1111111111111111111111111111111111111111111111111111111111111111.ogg";
  DftApplyStats stats = { 0 };
  guint         n = 0, n_files = 0, left_out = 0, kept = 0, refused = 0;

  /* No files yet: version 2, as an older Daftari reads it. */
  g_assert_true (dft_bundle_export_with_files (f->a, f->bundle, 0, f->passphrase, &n, &n_files,
                                               &left_out, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_files, ==, 0);
  g_assert_cmpuint (bundle_version (f->bundle), ==, 2);

  answer = dft_store_add_attachment (f->a, photo, "Site 1.jpg", NULL, &error);
  g_assert_no_error (error);
  /* One file held, one this laptop never received: only the first can travel. */
  answers = g_strdup_printf ("{\"photo\":\"%s\",\"sound\":\"%s\"}", answer, absent);
  add_submission (f->a, answers);

  g_assert_true (dft_bundle_export_with_files (f->a, f->bundle, 0, f->passphrase, &n, &n_files,
                                               &left_out, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_files, ==, 1);
  g_assert_cmpuint (left_out, ==, 0);
  g_assert_cmpuint (bundle_version (f->bundle), ==, 3);

  g_assert_true (dft_bundle_import_with_files (f->b, f->bundle, f->passphrase, &stats, &kept,
                                               &refused, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.applied, ==, n);
  g_assert_cmpuint (kept, ==, 1);
  g_assert_cmpuint (refused, ==, 0);
  assert_holds (f->b, answer, photo);
  info = dft_store_get_attachment_info (f->b, answer, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->name, ==, "Site 1.jpg");
  g_assert_cmpstr (info->media_type, ==, "image/jpeg");
  g_assert_null (dft_store_get_attachment_info (f->b, absent, NULL));
  assert_no_files_left (f->dir_b);
  assert_no_files_left (f->dir_a);

  /* Again: the file is held already, nothing changes, nothing is left behind. */
  g_assert_true (dft_bundle_import_with_files (f->b, f->bundle, f->passphrase, &stats, &kept,
                                               &refused, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.duplicates, ==, n);
  g_assert_cmpuint (kept, ==, 1);
  assert_no_files_left (f->dir_b);

  /* The plain import keeps the files too: the app's and the CLI's. */
  g_assert_true (dft_bundle_import (f->s, f->bundle, f->passphrase, &stats, NULL, &error));
  g_assert_no_error (error);
  assert_holds (f->s, answer, photo);
}

/* Bytes that are not what their hash says are refused, the rest of the bundle imported. */
static void
test_bundle_files_mismatch (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (GBytes)     photo = make_bytes (1000, 1);
  g_autoptr (GBytes)     other = make_bytes (1000, 2);
  g_autoptr (GPtrArray)  changes = NULL;
  g_autoptr (JsonObject) extra = json_object_new ();
  g_autoptr (GBytes)     json = NULL;
  g_autofree char       *answer = NULL, *answers = NULL;
  const char   *claimed = "2222222222222222222222222222222222222222222222222222222222222222";
  char          sha[65];
  const char   *hashes[2] = { sha, claimed };
  GBytes       *data_[2] = { photo, other };
  guint         kept = 0, refused = 0;
  DftApplyStats stats = { 0 };

  answer = dft_store_add_attachment (f->a, photo, "a.jpg", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (dft_attachment_parse_answer (answer, sha));
  answers = g_strdup_printf ("{\"photo\":\"%s\",\"other\":\"%s.png\"}", answer, claimed);
  add_submission (f->a, answers);

  changes = dft_store_read_log (f->a, 0, 0, NULL, NULL, &error);
  g_assert_no_error (error);
  json_object_set_int_member (extra, "bundle", 3);
  json_object_set_string_member (extra, "from", dft_store_get_device_id (f->a));
  json_object_set_int_member (extra, "created", g_get_real_time () / 1000);
  json = dft_wire_encode_batch (changes, extra);
  g_assert_true (_dft_bundle_write_files (f->a, f->bundle, json, hashes, data_, 2, f->passphrase,
                                          NULL, &error));
  g_assert_no_error (error);

  g_assert_true (dft_bundle_import_with_files (f->b, f->bundle, f->passphrase, &stats, &kept,
                                               &refused, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (kept, ==, 1);
  g_assert_cmpuint (refused, ==, 1);
  g_assert_cmpuint (stats.applied, ==, changes->len);
  assert_holds (f->b, answer, photo);
  g_assert_null (dft_store_get_attachment_info (f->b, claimed, NULL));
  assert_no_files_left (f->dir_b);
}

/* A bundle with files that is cut or changed is refused whole, and leaves no file behind. */
static void
test_bundle_files_damaged (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) photo = make_bytes (150000, 3);
  g_autofree char   *answer = NULL, *answers = NULL, *good = NULL;
  gsize              length = 0;

  answer = dft_store_add_attachment (f->a, photo, "a.jpg", NULL, &error);
  g_assert_no_error (error);
  answers = g_strdup_printf ("{\"photo\":\"%s\"}", answer);
  add_submission (f->a, answers);
  g_assert_true (dft_bundle_export (f->a, f->bundle, 0, f->passphrase, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_load_contents (f->bundle, NULL, &good, &length, NULL, NULL));

  /* Cut inside the file, as a stick pulled out early leaves it. */
  g_assert_true (
      g_file_replace_contents (f->bundle, good, length - 5000, NULL, FALSE, 0, NULL, NULL, NULL));
  expect_refused (f->b, f->bundle, f->passphrase, DFT_BUNDLE_ERROR_DAMAGED);
  assert_no_files_left (f->dir_b);
  /* A byte of the file's last piece changed. */
  good[length - 200] ^= 0x01;
  g_assert_true (
      g_file_replace_contents (f->bundle, good, length, NULL, FALSE, 0, NULL, NULL, NULL));
  expect_refused (f->b, f->bundle, f->passphrase, DFT_BUNDLE_ERROR_DAMAGED);
  assert_no_files_left (f->dir_b);
  g_assert_null (dft_store_get_attachment_info (f->b, answer, NULL));
}

/* Files do not count against the batch's limit (64 MiB): seven files of 10 MiB travel. */
static void
test_bundle_files_large (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GString)   answers = g_string_new ("{");
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  guint                 n_files = 0, kept = 0, refused = 0;
  DftApplyStats         stats = { 0 };

  for (guint i = 0; i < 7; i++)
    {
      guint8 *buffer = g_malloc (DFT_ATTACHMENT_MAX_BYTES);
      char   *answer;

      /* Different files, cheaply: the same pattern from a different start. */
      for (gsize b = 0; b < DFT_ATTACHMENT_MAX_BYTES; b++)
        buffer[b] = (guint8) (b * 31 + i * 7 + (b >> 12));
      g_ptr_array_add (files, g_bytes_new_take (buffer, DFT_ATTACHMENT_MAX_BYTES));
      answer
          = dft_store_add_attachment (f->a, g_ptr_array_index (files, i), "film.bin", NULL, &error);
      g_assert_no_error (error);
      g_string_append_printf (answers, "%s\"f%u\":\"%s\"", i > 0 ? "," : "", i, answer);
      g_ptr_array_add (names, answer);
    }
  g_string_append_c (answers, '}');
  add_submission (f->a, answers->str);

  g_assert_true (dft_bundle_export_with_files (f->a, f->bundle, 0, f->passphrase, NULL, &n_files,
                                               NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_files, ==, 7);
  g_assert_true (dft_bundle_import_with_files (f->b, f->bundle, f->passphrase, &stats, &kept,
                                               &refused, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (kept, ==, 7);
  for (guint i = 0; i < 7; i++)
    assert_holds (f->b, g_ptr_array_index (names, i), g_ptr_array_index (files, i));
}

static void
test_final_submission_kept (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (DftRecord)  form = dft_record_new_for_entity (&dft_entity_form);
  g_autoptr (DftRecord)  sub = dft_record_new_for_entity (&dft_entity_submission);
  g_autoptr (DftRecord)  after = NULL;
  g_autoptr (GPtrArray)  rogue = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
  g_autoptr (JsonObject) fields = json_object_new ();
  DftChange             *c;
  DftApplyStats          stats;

  g_object_set (form, "form-key", "post", "version", (gint64) 1, "title", "Post-test", "definition",
                "{}", NULL);
  g_assert_true (dft_store_save (f->a, form, &error));
  g_object_set (sub, "form-id", dft_record_get_id (form), "status", "final", "answers",
                "{\"q1\":\"a\"}", NULL);
  g_assert_true (dft_store_save (f->a, sub, &error));

  /* Another device sends new answers for it, with a later clock. */
  json_object_set_string_member (fields, "answers", "{\"q1\":\"d\"}");
  c = dft_change_new ("submission", dft_record_get_id (sub), fields);
  c->device_id = g_strdup (dft_store_get_device_id (f->b));
  c->origin_seq = 1;
  c->hlc = dft_hlc_pack (dft_hlc_wall_ms () + 1000, 0);
  g_ptr_array_add (rogue, c);
  g_assert_true (dft_store_apply_changes (f->a, rogue, &stats, &error));
  g_assert_no_error (error);

  after = dft_store_load (f->a, &dft_entity_submission, dft_record_get_id (sub), &error);
  g_assert_cmpstr (dft_record_get_string (after, "answers"), ==, "{\"q1\":\"a\"}");
  g_assert_cmpuint (stats.conflicts, ==, 1);
  g_assert_cmpint (count (f->a, "SELECT count (*) FROM conflict WHERE field = 'answers'"), ==, 1);
}

int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, setup, fn, teardown)
  ADD ("/bundle/round-trip", test_bundle_round_trip);
  ADD ("/bundle/for-server", test_bundle_for_server);
  ADD ("/bundle/unreadable", test_bundle_unreadable);
  ADD ("/bundle/tampered", test_bundle_tampered);
  ADD ("/bundle/wrong-passphrase", test_bundle_wrong_passphrase);
  ADD ("/bundle/forged", test_bundle_forged);
  ADD ("/bundle/unknown-signer", test_bundle_unknown_signer);
  ADD ("/bundle/old-format", test_bundle_old_format);
  ADD ("/bundle/damaged", test_bundle_damaged);
  ADD ("/bundle/other-server", test_bundle_other_server);
  ADD ("/bundle/other-server-laptops", test_bundle_other_server_laptops);
  ADD ("/bundle/clock-ahead", test_bundle_clock_ahead);
  ADD ("/bundle/files", test_bundle_files);
  ADD ("/bundle/files/mismatch", test_bundle_files_mismatch);
  ADD ("/bundle/files/damaged", test_bundle_files_damaged);
  ADD ("/bundle/files/large", test_bundle_files_large);
  ADD ("/merge/final-submission-kept", test_final_submission_kept);
#undef ADD

  return g_test_run ();
}
