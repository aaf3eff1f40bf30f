/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "dft-xlsform-private.h"

/* ---- Line breaks in markdown cells ------------------------------------ */

/* The length of "br>", "br/>" or "br />" (any case, any number of spaces) at @p, or 0. */
static gsize
br_tag_rest (const char *p)
{
  const char *q = p;

  if ((q[0] != 'b' && q[0] != 'B') || (q[1] != 'r' && q[1] != 'R'))
    return 0;
  q += 2;
  while (*q == ' ')
    q++;
  if (*q == '/')
    q++;
  return *q == '>' ? (gsize) (q + 1 - p) : 0;
}

/* The length of a line-break tag at @p, or 0. */
static gsize
br_tag (const char *p)
{
  gsize rest;

  if (*p != '<')
    return 0;
  rest = br_tag_rest (p + 1);
  return rest > 0 ? rest + 1 : 0;
}

/* Whether @p starts "&", then "amp;" *@amps times, then "lt;" and the rest of a tag. */
static gboolean
escaped_br_tag (const char *p, guint *amps)
{
  const char *q = p + 1;

  if (*p != '&')
    return FALSE;
  *amps = 0;
  while (strncmp (q, "amp;", 4) == 0)
    {
      q += 4;
      (*amps)++;
    }
  return strncmp (q, "lt;", 3) == 0 && br_tag_rest (q + 3) > 0;
}

char *
_dft_xlsform_md_encode_text (const char *text)
{
  GString *out = g_string_new (NULL);
  guint    amps;

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '\r' || *p == '\n')
        {
          g_string_append (out, "<br>");
          if (p[0] == '\r' && p[1] == '\n')
            p++;
        }
      else if (br_tag (p) > 0)
        g_string_append (out, "&lt;");
      else if (escaped_br_tag (p, &amps))
        g_string_append (out, "&amp;");
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

char *
_dft_xlsform_md_decode_text (const char *cell)
{
  GString *out = g_string_new (NULL);
  guint    amps;

  for (const char *p = cell; *p != '\0';)
    {
      gsize tag = br_tag (p);

      if (tag > 0)
        {
          g_string_append_c (out, '\n');
          p += tag;
        }
      else if (escaped_br_tag (p, &amps))
        {
          /* "&lt;" is the "<" of a tag; each "amp;" more is one level of escaping less. */
          g_string_append_c (out, amps == 0 ? '<' : '&');
          p += amps == 0 ? strlen ("&lt;") : strlen ("&amp;");
        }
      else
        g_string_append_c (out, *p++);
    }
  return g_string_free (out, FALSE);
}
