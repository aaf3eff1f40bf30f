/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "dft-hlc.h"
#include "dft-uuid.h"

static char *
format_uuid (const guint8 b[16])
{
  return g_strdup_printf ("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                          b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
                          b[12], b[13], b[14], b[15]);
}

static gboolean
parse_uuid (const char *str, guint8 out[16])
{
  guint i = 0;

  if (!dft_uuid_is_valid (str))
    return FALSE;

  for (const char *p = str; *p != '\0' && i < 16; p++)
    {
      if (*p == '-')
        continue;
      out[i++] = (guint8) ((g_ascii_xdigit_value (p[0]) << 4) | g_ascii_xdigit_value (p[1]));
      p++;
    }
  return i == 16;
}

gboolean
dft_uuid_is_valid (const char *str)
{
  if (str == NULL || strlen (str) != DFT_UUID_STRING_LEN)
    return FALSE;
  for (guint i = 0; i < DFT_UUID_STRING_LEN; i++)
    {
      if (i == 8 || i == 13 || i == 18 || i == 23)
        {
          if (str[i] != '-')
            return FALSE;
        }
      else if (!g_ascii_isxdigit (str[i]))
        return FALSE;
    }
  return TRUE;
}

static void
fill_random (guint8 *buf, gsize len)
{
  /* GRand seeded from /dev/urandom would do, but g_random is shared and locked,
   * and these ids only need to be unique, not secret. */
  for (gsize i = 0; i < len; i += 4)
    {
      guint32 r = g_random_int ();
      memcpy (buf + i, &r, MIN (4, len - i));
    }
}

/*
 * UUIDv7 (RFC 9562): 48 bits of milliseconds first, so ids made one after the
 * other land next to each other in SQLite's B-trees.
 */
char *
dft_uuid_v7_new_at (gint64 unix_ms)
{
  guint8  b[16];
  guint64 ms = (guint64) MAX (unix_ms, 0);

  fill_random (b, sizeof b);
  for (int i = 0; i < 6; i++)
    b[i] = (guint8) (ms >> (40 - 8 * i));
  b[6] = (guint8) (0x70 | (b[6] & 0x0f));
  b[8] = (guint8) (0x80 | (b[8] & 0x3f));
  return format_uuid (b);
}

/* At the clock the change log reads (the real time, unless a test replays a history on a clock
 * of its own): ids made in one millisecond sort by their random bits, which a seed repeats. */
char *
dft_uuid_v7_new (void)
{
  return dft_uuid_v7_new_at (dft_hlc_wall_ms ());
}

char *
dft_uuid_v4_new (void)
{
  return g_uuid_string_random ();
}

/*
 * UUIDv5: the same name in the same namespace gives the same id on every
 * device, so two trainers marking one person in one session meet in one record.
 */
char *
dft_uuid_v5 (const char *namespace_uuid, const char *name)
{
  g_autoptr (GChecksum) sha1 = NULL;
  guint8                ns[16];
  guint8                digest[20];
  gsize                 len = sizeof digest;

  g_return_val_if_fail (name != NULL, NULL);
  if (!parse_uuid (namespace_uuid, ns))
    g_return_val_if_reached (NULL);

  sha1 = g_checksum_new (G_CHECKSUM_SHA1);
  g_checksum_update (sha1, ns, sizeof ns);
  g_checksum_update (sha1, (const guchar *) name, strlen (name));
  g_checksum_get_digest (sha1, digest, &len);

  digest[6] = (guint8) (0x50 | (digest[6] & 0x0f));
  digest[8] = (guint8) (0x80 | (digest[8] & 0x3f));
  return format_uuid (digest);
}
