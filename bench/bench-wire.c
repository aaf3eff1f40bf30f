/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What sync puts on the wire for the standard workshop data set: the
 * device's change log after loading it, cut into push batches as the client
 * does, encoded and gzip-compressed. Compared with gzip -9 of the data set's
 * own JSON, the reference issue 3 names.
 *
 *   bench-wire DATASET.json [BATCH_BYTES]
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>

#include "dft-change-log.h"
#include "dft-dataset.h"
#include "dft-store-private.h"
#include "dft-wire.h"

static gsize
gzip_size (GBytes *data)
{
  g_autoptr (GBytes) packed = dft_wire_gzip (data);
  return g_bytes_get_size (packed);
}

/* Pushes as the client does: batches that stay under @limit bytes compressed. */
static void
measure (GPtrArray *log, gsize limit, const char *label)
{
  gsize total = 0, json_total = 0;
  guint requests = 0;
  guint start = 0;

  while (start < log->len)
    {
      guint              n = MIN (log->len - start, 400u);
      g_autoptr (GBytes) json = NULL;
      gsize              packed;

      for (;;)
        {
          g_autoptr (GPtrArray) batch = g_ptr_array_new ();
          for (guint i = start; i < start + n; i++)
            g_ptr_array_add (batch, g_ptr_array_index (log, i));
          g_clear_pointer (&json, g_bytes_unref);
          json = dft_wire_encode_batch (batch, NULL);
          packed = gzip_size (json);
          if (packed <= limit || n == 1)
            break;
          n = n / 2;
        }
      total += packed;
      json_total += g_bytes_get_size (json);
      requests++;
      start += n;
    }
  printf ("%-28s %6u changes  %4u requests  %8zu bytes JSON  %7zu bytes gzip\n", label, log->len,
          requests, json_total, total);
}

int
main (int argc, char *argv[])
{
  g_autoptr (GError)    error = NULL;
  g_autofree char      *dir = g_dir_make_tmp ("daftari-bench-wire-XXXXXX", NULL);
  g_autofree char      *path = g_build_filename (dir, "device.db", NULL);
  g_autoptr (DftStore)  store = NULL;
  g_autoptr (GPtrArray) log = NULL;
  g_autofree char      *dataset = NULL;
  gsize                 dataset_len;
  gsize                 limit = argc > 2 ? (gsize) g_ascii_strtoull (argv[2], NULL, 10) : 32 * 1024;

  if (argc < 2)
    {
      fprintf (stderr, "usage: bench-wire DATASET.json [BATCH_BYTES]\n");
      return 2;
    }
  if (!g_file_get_contents (argv[1], &dataset, &dataset_len, &error))
    g_error ("%s", error->message);

  store = dft_store_open (path, &error);
  if (store == NULL || !dft_dataset_load (store, argv[1], NULL, NULL, NULL, NULL, &error))
    g_error ("%s", error->message);
  log = dft_store_read_log (store, 0, 0, dft_store_get_device_id (store), NULL, &error);

  {
    g_autoptr (GBytes)          raw = g_bytes_new_static (dataset, dataset_len);
    g_autoptr (GZlibCompressor) gz = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 9);
    printf ("data set %s: %zu bytes JSON, %zu bytes gzip -9 (the reference)\n", argv[1],
            dataset_len, gzip_size (raw));
  }
  measure (log, limit, "whole push");

  /* One attendance tick after everything was synced. */
  {
    g_autoptr (GPtrArray) marks
        = _dft_store_query (store, &dft_entity_attendance, NULL, NULL, NULL, &error);
    DftRecord            *m = g_ptr_array_index (marks, 0);
    g_autoptr (DftRecord) again = dft_store_mark_attendance (
        store, dft_record_get_string (m, "session_id"), dft_record_get_string (m, "person_id"),
        "excused", NULL, &error);
    g_autoptr (GPtrArray) tail = dft_store_read_log (
        store, ((DftChange *) g_ptr_array_index (log, log->len - 1))->seq, 0, NULL, NULL, &error);
    measure (tail, limit, "one attendance tick");
  }

  g_clear_object (&store);
  {
    const char *suffixes[] = { "", "-wal", "-shm" };
    for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
      {
        g_autofree char *f = g_strconcat (path, suffixes[i], NULL);
        g_unlink (f);
      }
    g_rmdir (dir);
  }
  return 0;
}
