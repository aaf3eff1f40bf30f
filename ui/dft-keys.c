/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dft-keys.h"

/* The letters of a US keyboard by X11 and Wayland keycode (evdev + 8), for a person whose
 * layouts are all non-Latin: the letters are printed on the keys. */
static const struct
{
  guint keycode;
  guint keyval;
} us_letters[] = {
  { 24, GDK_KEY_q }, { 25, GDK_KEY_w }, { 26, GDK_KEY_e }, { 27, GDK_KEY_r }, { 28, GDK_KEY_t },
  { 29, GDK_KEY_y }, { 30, GDK_KEY_u }, { 31, GDK_KEY_i }, { 32, GDK_KEY_o }, { 33, GDK_KEY_p },
  { 38, GDK_KEY_a }, { 39, GDK_KEY_s }, { 40, GDK_KEY_d }, { 41, GDK_KEY_f }, { 42, GDK_KEY_g },
  { 43, GDK_KEY_h }, { 44, GDK_KEY_j }, { 45, GDK_KEY_k }, { 46, GDK_KEY_l }, { 52, GDK_KEY_z },
  { 53, GDK_KEY_x }, { 54, GDK_KEY_c }, { 55, GDK_KEY_v }, { 56, GDK_KEY_b }, { 57, GDK_KEY_n },
  { 58, GDK_KEY_m },
};

static gboolean
is_latin_letter (guint keyval)
{
  return keyval >= GDK_KEY_a && keyval <= GDK_KEY_z;
}

static gboolean
keycodes_are_xkb (GdkDisplay *display)
{
  const char *type = G_OBJECT_TYPE_NAME (display);

  return g_str_equal (type, "GdkX11Display") || g_str_equal (type, "GdkWaylandDisplay");
}

guint
dft_keys_latin_keyval (GdkDisplay *display, guint keyval, guint keycode)
{
  guint    lower = gdk_keyval_to_lower (keyval);
  gunichar c = gdk_keyval_to_unicode (lower);

  g_return_val_if_fail (GDK_IS_DISPLAY (display), lower);

  if (c < 0x80 || !g_unichar_isalpha (c))
    return lower;
  /* X11 has at most four layouts at once; a group past the last wraps round to one of them. */
  for (int group = 0; group < 4; group++)
    {
      guint translated = 0;

      if (gdk_display_translate_key (display, keycode, 0, group, &translated, NULL, NULL, NULL)
          && is_latin_letter (gdk_keyval_to_lower (translated)))
        return gdk_keyval_to_lower (translated);
    }
  if (keycodes_are_xkb (display))
    for (guint i = 0; i < G_N_ELEMENTS (us_letters); i++)
      if (us_letters[i].keycode == keycode)
        return us_letters[i].keyval;
  return lower;
}
