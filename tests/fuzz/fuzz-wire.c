/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dft-change-log.h"
#include "dft-wire.h"
#include "fuzz-target.h"

/*
 * The sync wire decoder, as the server reads a push and the client a pull: the body is
 * gunzipped (bounded) and decoded. An input that is not gzip is decoded as it is, so that
 * mutations of a JSON seed reach the decoder without having to keep a gzip checksum right.
 */

/* Changes the encoder can write again: the known overflow of the deltas (issue 13) aside. */
static gboolean
in_range (GPtrArray *changes)
{
  for (guint i = 0; i < changes->len; i++)
    {
      DftChange *c = g_ptr_array_index (changes, i);

      if (c->hlc > ((guint64) 1 << 62) || c->origin_seq > ((gint64) 1 << 62))
        return FALSE;
    }
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GBytes)     body = g_bytes_new (data, size);
  g_autoptr (GBytes)     plain = NULL;
  g_autoptr (GPtrArray)  changes = NULL;
  g_autoptr (JsonObject) top = NULL;
  g_autoptr (GError)     error = NULL;

  plain = dft_wire_gunzip (body, DFT_WIRE_MAX_JSON, NULL);
  changes = dft_wire_decode_batch (plain != NULL ? plain : body, &top, &error);
  if (changes == NULL)
    {
      g_assert (error != NULL && error->domain == DFT_WIRE_ERROR);
      return 0;
    }
  g_assert (top != NULL);

  /* What was accepted must encode and decode to as many changes, with the same fields. */
  if (in_range (changes))
    {
      g_autoptr (GBytes)    again = dft_wire_encode_batch (changes, NULL);
      g_autoptr (GPtrArray) back = dft_wire_decode_batch (again, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (back->len, ==, changes->len);
      for (guint i = 0; i < changes->len; i++)
        {
          DftChange *a = g_ptr_array_index (changes, i);
          DftChange *b = g_ptr_array_index (back, i);

          g_assert_cmpstr (a->device_id, ==, b->device_id);
          g_assert_cmpstr (a->record_id, ==, b->record_id);
          g_assert_cmpuint (a->hlc, ==, b->hlc);
          g_assert_cmpint (a->origin_seq, ==, b->origin_seq);
        }
    }
  return 0;
}
