/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What sync puts on the wire for the standard workshop data set: the
 * device's change log after loading it, cut into push batches as the client
 * does, encoded and gzip-compressed. Compared with gzip -9 of the data set's
 * own JSON, the reference issue 3 names, and xz -9 of it, the limit issue 19
 * aims for.
 *
 * Then the column format (sync/PROTOCOL.md, "The column format") at each
 * zstd level: the whole log in frames of up to 4096 changes (a pull page)
 * and one attendance change, with the time to encode and decode them. The
 * row marked * is DFT_WIRE_COLS_LEVEL, the level sync uses.
 *
 *   bench-wire DATASET.json [BATCH_BYTES]
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <time.h>

#include "dft-change-log.h"
#include "dft-dataset.h"
#include "dft-store-private.h"
#include "dft-wire-cols.h"
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

/* xz -9 of @path, as the xz program makes it; 0 when there is none. */
static gsize
xz_size (const char *path)
{
  const char             *argv[] = { "xz", "-9", "-c", "--", path, NULL };
  g_autofree char        *out = NULL;
  gsize                   size = 0;
  int                     status;
  g_autoptr (GError)      error = NULL;
  g_autoptr (GSubprocess) xz = g_subprocess_newv (
      argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
  g_autoptr (GBytes) bytes = NULL;

  if (xz == NULL || !g_subprocess_communicate (xz, NULL, NULL, &bytes, NULL, &error))
    return 0;
  status = g_subprocess_get_exit_status (xz);
  if (status == 0 && bytes != NULL)
    size = g_bytes_get_size (bytes);
  return size;
}

/* CPU time of this thread, in µs: other work on a shared machine does not count. */
static gint64
cpu_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

typedef struct
{
  gsize  bytes;
  guint  frames;
  double encode_ms;
  double decode_ms;
} ColsResult;

/* @log in frames of up to @per_frame changes at @level. */
static ColsResult
measure_cols (GPtrArray *log, guint per_frame, int level)
{
  ColsResult result = { 0 };

  for (guint start = 0; start < log->len || (log->len == 0 && start == 0); start += per_frame)
    {
      guint                 n = MIN (per_frame, log->len - start);
      g_autoptr (GPtrArray) batch = g_ptr_array_new ();
      g_autoptr (GBytes)    frame = NULL;
      g_autoptr (GPtrArray) back = NULL;
      g_autoptr (GError)    error = NULL;
      gint64                t0, t1, t2;

      for (guint i = start; i < start + n; i++)
        g_ptr_array_add (batch, g_ptr_array_index (log, i));
      t0 = cpu_us ();
      frame = _dft_wire_cols_encode_level (batch, NULL, level);
      t1 = cpu_us ();
      back = dft_wire_cols_decode (frame, 0, NULL, &error);
      t2 = cpu_us ();
      if (back == NULL)
        g_error ("%s", error->message);
      result.bytes += g_bytes_get_size (frame);
      result.frames++;
      result.encode_ms += (double) (t1 - t0) / 1000.0;
      result.decode_ms += (double) (t2 - t1) / 1000.0;
      if (log->len == 0)
        break;
    }
  return result;
}

static void
print_cols (GPtrArray *log, GPtrArray *tick, gsize gzip_ref)
{
  static const int levels[] = { 1, 3, 6, 9, 12, 15, 19 };

  printf ("\ncolumn format (zstd, dictionary of version %d), frames of up to 4096 changes:\n",
          DFT_WIRE_COLS_VERSION);
  printf ("  level  %8s %6s %8s %10s %10s   %s\n", "bytes", "frames", "× gzip", "encode ms",
          "decode ms", "one attendance tick (times: CPU, best of three)");
  /* What the levels share: walking the changes into columns, before zstd. */
  {
    gint64             t0 = cpu_us ();
    g_autoptr (GBytes) payload = NULL;

    for (guint start = 0; start < log->len; start += 4096)
      {
        g_autoptr (GPtrArray) batch = g_ptr_array_new ();

        for (guint i = start; i < MIN (start + 4096, log->len); i++)
          g_ptr_array_add (batch, g_ptr_array_index (log, i));
        g_clear_pointer (&payload, g_bytes_unref);
        payload = _dft_wire_cols_payload (batch, NULL);
      }
    printf ("  (the columns alone, before zstd: %.1f ms)\n", (double) (cpu_us () - t0) / 1000.0);
  }
  /* Made once before timing: the dictionaries are loaded on first use. */
  measure_cols (tick, 1, 1);
  {
    g_autoptr (GBytes) payload = _dft_wire_cols_payload (tick, NULL);
    gsize              size;
    const guint8      *p = g_bytes_get_data (payload, &size);

    printf ("  one attendance tick: %zu bytes before compression:", size);
    for (gsize i = 0; i < size && g_getenv ("BENCH_WIRE_HEX") != NULL; i++)
      printf (" %02x", p[i]);
    printf ("\n");
  }
  for (guint i = 0; i < G_N_ELEMENTS (levels); i++)
    {
      ColsResult all = measure_cols (log, 4096, levels[i]);
      ColsResult one = measure_cols (tick, 4096, levels[i]);

      /* The best of three: the machine is shared, and a slow run says nothing of the level. */
      for (guint k = 0; k < 2; k++)
        {
          ColsResult again = measure_cols (log, 4096, levels[i]);
          ColsResult tick_again = measure_cols (tick, 4096, levels[i]);

          all.encode_ms = MIN (all.encode_ms, again.encode_ms);
          all.decode_ms = MIN (all.decode_ms, again.decode_ms);
          one.encode_ms = MIN (one.encode_ms, tick_again.encode_ms);
        }

      printf ("%s %5d  %8zu %6u %8.3f %10.1f %10.1f   %zu bytes, %.2f ms\n",
              levels[i] == DFT_WIRE_COLS_LEVEL ? "*" : " ", levels[i], all.bytes, all.frames,
              (double) all.bytes / (double) gzip_ref, all.encode_ms, all.decode_ms, one.bytes,
              one.encode_ms);
    }
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
  gsize                 dataset_len, gzip_ref;
  g_autoptr (GPtrArray) tail = NULL;
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
    g_autoptr (GBytes) raw = g_bytes_new_static (dataset, dataset_len);

    gzip_ref = gzip_size (raw);
    printf ("data set %s: %zu bytes JSON, %zu bytes gzip -9 (the reference), %zu bytes xz -9\n",
            argv[1], dataset_len, gzip_ref, xz_size (argv[1]));
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
    tail = dft_store_read_log (store, ((DftChange *) g_ptr_array_index (log, log->len - 1))->seq, 0,
                               NULL, NULL, &error);
    measure (tail, limit, "one attendance tick");
  }
  print_cols (log, tail, gzip_ref);
  {
    g_autoptr (GBytes) one = dft_wire_cols_encode (tail, NULL);
    const guint        sizes[] = { 4096, 400, 100 };

    printf ("chosen: level %d, %d under %d bytes of columns; one attendance tick %zu bytes\n",
            DFT_WIRE_COLS_LEVEL, DFT_WIRE_COLS_LEVEL_SMALL, DFT_WIRE_COLS_SMALL,
            g_bytes_get_size (one));
    /* Smaller frames compress less: what a client pays for pushing in smaller batches. */
    for (guint k = 0; k < G_N_ELEMENTS (sizes); k++)
      {
        gsize total = 0;
        guint frames = 0;

        for (guint start = 0; start < log->len; start += sizes[k], frames++)
          {
            g_autoptr (GPtrArray) batch = g_ptr_array_new ();
            g_autoptr (GBytes)    frame = NULL;

            for (guint i = start; i < MIN (start + sizes[k], log->len); i++)
              g_ptr_array_add (batch, g_ptr_array_index (log, i));
            frame = dft_wire_cols_encode (batch, NULL);
            total += g_bytes_get_size (frame);
          }
        printf ("  frames of up to %4u changes: %5u frames, %8zu bytes (%.3f× gzip -9 of the data "
                "set's JSON)\n",
                sizes[k], frames, total, (double) total / (double) gzip_ref);
      }
  }
  /* For looking into: the whole log's column payload, before compression. */
  if (g_getenv ("BENCH_WIRE_PAYLOAD") != NULL)
    {
      g_autoptr (GBytes) payload = _dft_wire_cols_payload (log, NULL);

      g_file_set_contents (g_getenv ("BENCH_WIRE_PAYLOAD"), g_bytes_get_data (payload, NULL),
                           (gssize) g_bytes_get_size (payload), NULL);
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
