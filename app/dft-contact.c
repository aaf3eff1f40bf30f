/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "dft-contact.h"

#define PHONE_MIN_DIGITS 4
#define PHONE_MAX_DIGITS 15

gboolean
dft_email_is_valid (const char *text)
{
  const char *at;
  const char *domain;

  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return FALSE;
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isspace (c) || g_unichar_iscntrl (c))
        return FALSE;
    }
  at = strchr (text, '@');
  if (at == NULL || at == text || strchr (at + 1, '@') != NULL)
    return FALSE;
  domain = at + 1;
  /* Labels between the dots: none empty, at least two. */
  return strchr (domain, '.') != NULL && domain[0] != '.' && domain[strlen (domain) - 1] != '.'
         && strstr (domain, "..") == NULL;
}

char *
dft_phone_normalize (const char *text)
{
  g_autoptr (GString) phone = g_string_new (NULL);
  guint               digits = 0;

  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return NULL;
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isspace (c) || (c < 0x80 && strchr ("-./()", (int) c) != NULL) || c == 0x2010
          || c == 0x2011 || c == 0x2013)
        continue;
      if (c == '+' && phone->len == 0)
        g_string_append_c (phone, '+');
      else if (c >= '0' && c <= '9')
        {
          g_string_append_c (phone, (char) c);
          digits++;
        }
      else
        return NULL;
    }
  /* The international prefix most of the world dials, written instead of "+". */
  if (g_str_has_prefix (phone->str, "00"))
    {
      g_string_erase (phone, 0, 2);
      g_string_prepend_c (phone, '+');
      digits -= 2;
    }
  if (digits < PHONE_MIN_DIGITS || digits > PHONE_MAX_DIGITS)
    return NULL;
  return g_string_free (g_steal_pointer (&phone), FALSE);
}
