/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Trains the zstd dictionary of the column format (sync/PROTOCOL.md, "The
 * column format") on the batches Daftari really sends: each data set is
 * loaded into a store as bench-wire does, its change log cut into batches
 * of the sizes the client sends, as a push (one device) and as a pull page
 * (two devices' changes in runs, with a pull reply's members), plus the
 * small replies that carry members only. What is trained on is the frame's
 * contents before compression. Run by hand (bench/README.md); the
 * dictionary it writes is sync/core/wire-dict-N.zdict.
 *
 *   train-wire-dict OUT.zdict DICT_BYTES DATASET.json…
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <zdict.h>

#include "dft-change-log.h"
#include "dft-dataset.h"
#include "dft-store-private.h"
#include "dft-uuid.h"
#include "dft-wire-cols.h"

static const guint batch_sizes[] = { 1, 10, 100, 400, 4096 };

typedef struct
{
  GByteArray *samples;
  GArray     *sizes; /* size_t */
  GRand      *rand;
} Samples;

static void
add_sample (Samples *s, GBytes *payload)
{
  gsize         size;
  const guint8 *data = g_bytes_get_data (payload, &size);
  size_t        n = size;

  g_byte_array_append (s->samples, data, (guint) size);
  g_array_append_val (s->sizes, n);
}

static JsonObject *
pull_extra (Samples *s, gint64 cursor, gboolean more)
{
  JsonObject      *extra = json_object_new ();
  g_autofree char *epoch = dft_uuid_v4_new ();

  json_object_set_int_member (extra, "cursor", cursor);
  json_object_set_boolean_member (extra, "more", more);
  json_object_set_string_member (extra, "epoch", epoch);
  json_object_set_int_member (extra, "acked", g_rand_int_range (s->rand, 0, 20000));
  json_object_set_int_member (extra, "time",
                              1780000000000 + g_rand_int_range (s->rand, 0, 1 << 30));
  return extra;
}

/* A push reply, which holds no changes: what the server says it took. */
static JsonObject *
push_reply (Samples *s)
{
  JsonObject      *extra = json_object_new ();
  g_autofree char *epoch = dft_uuid_v4_new ();

  json_object_set_int_member (extra, "acked", g_rand_int_range (s->rand, 1, 20000));
  json_object_set_string_member (extra, "epoch", epoch);
  json_object_set_int_member (extra, "time",
                              1780000000000 + g_rand_int_range (s->rand, 0, 1 << 30));
  json_object_set_int_member (extra, "applied", g_rand_int_range (s->rand, 0, 400));
  json_object_set_int_member (extra, "duplicates", g_rand_int_range (s->rand, 0, 3));
  json_object_set_int_member (extra, "conflicts", g_rand_int_range (s->rand, 0, 3));
  if (g_rand_int_range (s->rand, 0, 8) == 0)
    {
      JsonArray  *list = json_array_new ();
      JsonObject *item = json_object_new ();

      json_object_set_int_member (item, "seq", g_rand_int_range (s->rand, 1, 20000));
      json_object_set_string_member (item, "reason", "forbidden");
      json_array_add_object_element (list, item);
      json_object_set_array_member (extra, "set_aside", list);
    }
  return extra;
}

static void
add_batches (Samples *s, GPtrArray *log, gboolean pull)
{
  for (guint k = 0; k < G_N_ELEMENTS (batch_sizes); k++)
    for (guint start = 0; start < log->len; start += batch_sizes[k])
      {
        guint                  n = MIN (batch_sizes[k], log->len - start);
        g_autoptr (GPtrArray)  batch = g_ptr_array_new ();
        g_autoptr (JsonObject) extra = NULL;
        g_autoptr (GBytes)     payload = NULL;

        /* Single changes are many: a sample of them is enough. */
        if (batch_sizes[k] == 1 && g_rand_int_range (s->rand, 0, 8) != 0)
          continue;
        for (guint i = start; i < start + n; i++)
          g_ptr_array_add (batch, g_ptr_array_index (log, i));
        if (pull)
          extra = pull_extra (s, start + n, start + n < log->len);
        else if (g_rand_int_range (s->rand, 0, 4) == 0)
          {
            extra = json_object_new ();
            json_object_set_boolean_member (extra, "relay", TRUE);
          }
        payload = _dft_wire_cols_payload (batch, extra);
        add_sample (s, payload);
        if (!pull)
          {
            g_autoptr (JsonObject) reply = push_reply (s);
            g_autoptr (GBytes)     tiny = _dft_wire_cols_payload (NULL, reply);

            add_sample (s, tiny);
          }
      }
}

/* A pull page holds what several devices pushed, in the order the server took it: runs of
 * one device's changes after another's. */
static GPtrArray *
interleave (Samples *s, GPtrArray *a, GPtrArray *b)
{
  GPtrArray *out = g_ptr_array_new ();
  guint      i = 0, j = 0;

  while (i < a->len || j < b->len)
    {
      gboolean   from_a = j >= b->len || (i < a->len && g_rand_boolean (s->rand));
      GPtrArray *src = from_a ? a : b;
      guint     *at = from_a ? &i : &j;
      guint      run = (guint) g_rand_int_range (s->rand, 1, 200);

      for (guint k = 0; k < run && *at < src->len; k++, (*at)++)
        g_ptr_array_add (out, g_ptr_array_index (src, *at));
    }
  return out;
}

static GPtrArray *
load_log (const char *dir, guint n, const char *dataset, DftStore **store_out)
{
  g_autoptr (GError)   error = NULL;
  g_autofree char     *name = g_strdup_printf ("device-%u.db", n);
  g_autofree char     *path = g_build_filename (dir, name, NULL);
  g_autoptr (DftStore) store = dft_store_open (path, &error);
  GPtrArray           *log;

  if (store == NULL || !dft_dataset_load (store, dataset, NULL, NULL, NULL, NULL, &error))
    g_error ("%s: %s", dataset, error->message);
  log = dft_store_read_log (store, 0, 0, dft_store_get_device_id (store), NULL, &error);
  if (log == NULL)
    g_error ("%s", error->message);
  *store_out = g_steal_pointer (&store);
  return log;
}

int
main (int argc, char *argv[])
{
  g_autofree char      *dir = g_dir_make_tmp ("daftari-train-wire-XXXXXX", NULL);
  g_autoptr (GPtrArray) logs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  g_autoptr (GPtrArray) stores = g_ptr_array_new_with_free_func (g_object_unref);
  Samples               s;
  gsize                 dict_size;
  g_autofree guint8    *dict = NULL;
  size_t                made;
  g_autoptr (GError)    error = NULL;

  if (argc < 4)
    {
      fprintf (stderr, "usage: train-wire-dict OUT.zdict DICT_BYTES DATASET.json…\n");
      return 2;
    }
  dict_size = (gsize) g_ascii_strtoull (argv[2], NULL, 10);
  s.samples = g_byte_array_new ();
  s.sizes = g_array_new (FALSE, FALSE, sizeof (size_t));
  /* Fixed, for the cuts and members; a store's device id and clock values are its own, so two
   * runs still train two slightly different dictionaries (a new one is a new version). */
  s.rand = g_rand_new_with_seed (19);

  for (int i = 3; i < argc; i++)
    {
      DftStore *store = NULL;

      g_ptr_array_add (logs, load_log (dir, (guint) i, argv[i], &store));
      g_ptr_array_add (stores, store);
      add_batches (&s, g_ptr_array_index (logs, logs->len - 1), FALSE);
    }
  for (guint i = 0; i + 1 < logs->len; i += 2)
    {
      g_autoptr (GPtrArray) page
          = interleave (&s, g_ptr_array_index (logs, i), g_ptr_array_index (logs, i + 1));
      add_batches (&s, page, TRUE);
    }

  dict = g_malloc (dict_size);
  made = ZDICT_trainFromBuffer (dict, dict_size, s.samples->data,
                                (const size_t *) (gpointer) s.sizes->data, s.sizes->len);
  if (ZDICT_isError (made))
    g_error ("training failed: %s", ZDICT_getErrorName (made));
  /* The trainer names a dictionary by a hash of it, which takes four bytes in every frame. Its
   * id is the format version instead: one byte, and the two can never disagree. The id is
   * bytes 4 to 7 of the dictionary, little-endian, and nothing else depends on it. */
  {
    guint32 id = GUINT32_TO_LE (DFT_WIRE_COLS_VERSION);

    memcpy (dict + 4, &id, sizeof id);
  }
  if (!g_file_set_contents (argv[1], (const char *) dict, (gssize) made, &error))
    g_error ("%s", error->message);
  printf ("%u samples, %u bytes: a dictionary of %zu bytes, id %u\n", s.sizes->len, s.samples->len,
          made, ZDICT_getDictID (dict, made));

  g_ptr_array_set_size (stores, 0);
  for (int i = 3; i < argc; i++)
    {
      const char *suffixes[] = { "", "-wal", "-shm" };

      for (guint k = 0; k < G_N_ELEMENTS (suffixes); k++)
        {
          g_autofree char *f = g_strdup_printf ("%s/device-%d.db%s", dir, i, suffixes[k]);
          g_unlink (f);
        }
    }
  g_rmdir (dir);
  g_byte_array_unref (s.samples);
  g_array_unref (s.sizes);
  g_rand_free (s.rand);
  return 0;
}
