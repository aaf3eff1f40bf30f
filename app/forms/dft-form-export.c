/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "dft-form-export-private.h"

GPtrArray *
_dft_form_export_sorted_list_names (DftForm *form)
{
  return _dft_form_sorted_keys (form->choice_lists);
}

static void
add_codes_of (GPtrArray *codes, DftText *text)
{
  GHashTableIter iter;
  gpointer       key;

  if (text == NULL)
    return;
  g_hash_table_iter_init (&iter, text);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_ptr_array_find_with_equal_func (codes, key, g_str_equal, NULL))
      g_ptr_array_add (codes, g_strdup (key));
}

static void
add_question_codes (DftQuestion *q, gpointer user_data)
{
  add_codes_of (user_data, q->label);
  add_codes_of (user_data, q->hint);
  add_codes_of (user_data, q->required_message);
  add_codes_of (user_data, q->constraint_message);
}

/* Every language the form has texts in: its own list first, in its order, then any code a
 * text uses that the list lacks (sorted, so the output does not depend on hashing). */
GPtrArray *
_dft_form_export_all_languages (DftForm *form)
{
  GPtrArray            *codes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) extra = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) names = _dft_form_export_sorted_list_names (form);

  for (guint i = 0; i < form->languages->len; i++)
    g_ptr_array_add (codes, g_strdup (((DftLanguage *) form->languages->pdata[i])->code));
  add_codes_of (extra, form->title);
  dft_form_foreach (form, add_question_codes, extra);
  for (guint i = 0; i < names->len; i++)
    {
      DftChoiceList *list = g_hash_table_lookup (form->choice_lists, names->pdata[i]);

      for (guint c = 0; c < list->choices->len; c++)
        add_codes_of (extra, ((DftChoice *) list->choices->pdata[c])->label);
    }
  g_ptr_array_sort (extra, _dft_form_compare_strings);
  for (guint i = 0; i < extra->len; i++)
    if (!g_ptr_array_find_with_equal_func (codes, extra->pdata[i], g_str_equal, NULL))
      g_ptr_array_add (codes, g_strdup (extra->pdata[i]));
  return codes;
}

/* The language as the formats name it: a name from which dft_language_code_from_name()
 * gives @code back ("English (en)", "Русский"), so that reading the file keeps the code. */
char *
_dft_form_export_language_label (DftForm *form, const char *code)
{
  const char      *name = code;
  g_autofree char *back = NULL;

  for (guint i = 0; i < form->languages->len; i++)
    {
      DftLanguage *l = g_ptr_array_index (form->languages, i);

      if (strcmp (l->code, code) == 0)
        name = l->name;
    }
  if (strcmp (code, "und") == 0)
    return g_strdup ("default");
  back = dft_language_code_from_name (name);
  if (strcmp (back, code) == 0)
    return g_strdup (name);
  return g_strdup_printf ("%s (%s)", name, code);
}

gboolean
_dft_form_export_has_text (DftText *text)
{
  GHashTableIter iter;
  gpointer       value;

  if (text == NULL)
    return FALSE;
  g_hash_table_iter_init (&iter, text);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((const char *) value)[0] != '\0')
      return TRUE;
  return FALSE;
}

gboolean
_dft_form_export_ensure_prepared (DftForm *form, GError **error)
{
  return form->prepared || dft_form_prepare (form, error);
}

/* "likert" or "field-list" added to @appearance when the question needs it, for readers
 * that learn the kind of question from it. */
char *
_dft_form_export_appearance (const char *appearance, const char *needed)
{
  if (needed == NULL || (appearance != NULL && strstr (appearance, needed) != NULL))
    return g_strdup (appearance);
  if (appearance == NULL)
    return g_strdup (needed);
  return g_strdup_printf ("%s %s", appearance, needed);
}
