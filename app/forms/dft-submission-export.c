/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "dft-export.h"
#include "dft-form-store.h"
#include "dft-store-forms.h"
#include "dft-submission-export.h"

#define FIXED_COLUMNS 10

typedef struct
{
  GPtrArray  *columns; /* question path without root, in order */
  GHashTable *seen;    /* column → TRUE */
} Columns;

static void
add_column (DftQuestion *q, gpointer user_data)
{
  Columns    *c = user_data;
  const char *rest;

  if (!dft_question_has_answer (q) || q->path == NULL)
    return;
  rest = strchr (q->path + 1, '/');
  if (rest == NULL || g_hash_table_contains (c->seen, rest + 1))
    return;
  g_hash_table_add (c->seen, g_strdup (rest + 1));
  g_ptr_array_add (c->columns, g_strdup (rest + 1));
}

/* "/data/rep[2]/x" → "rep/x" */
static char *
column_of (const char *path)
{
  const char *rest = strchr (path + 1, '/');
  GString    *out = g_string_new (NULL);

  for (const char *s = rest != NULL ? rest + 1 : path; *s != '\0'; s++)
    {
      if (*s == '[')
        {
          while (*s != '\0' && *s != ']')
            s++;
          if (*s == '\0')
            break;
          continue;
        }
      g_string_append_c (out, *s);
    }
  return g_string_free (out, FALSE);
}

static void
string_free (gpointer data)
{
  g_string_free (data, TRUE);
}

/* Paths in instance order: "rep[2]" before "rep[10]". */
static gint
natural_order (gconstpointer a, gconstpointer b)
{
  return strverscmp (a, b);
}

gboolean
dft_submissions_export_csv (DftStore      *store,
                            const char    *form_key,
                            const char    *event_id,
                            GOutputStream *out,
                            GCancellable  *cancellable,
                            GError       **error)
{
  static const char *const fixed[FIXED_COLUMNS] = {
    N_ ("submission"), N_ ("form version"), N_ ("status"),   N_ ("test"),    N_ ("person"),
    N_ ("workshop"),   N_ ("started"),      N_ ("finished"), N_ ("score %"), N_ ("language"),
  };
  g_autoptr (GHashTable) forms = NULL; /* form record id → DftForm * */
  g_autoptr (GPtrArray)  versions = NULL;
  g_autoptr (GPtrArray)  submissions = NULL;
  g_autoptr (GString)    buffer = g_string_new ("\xEF\xBB\xBF");
  g_autoptr (GPtrArray)  header = g_ptr_array_new ();
  g_autoptr (JsonParser) parser = json_parser_new ();
  Columns                cols = { NULL, NULL };
  gboolean               ok = FALSE;

  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);
  g_return_val_if_fail (form_key != NULL, FALSE);
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (out), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  forms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) dft_form_unref);
  cols.columns = g_ptr_array_new_with_free_func (g_free);
  cols.seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  /* The columns: every version's questions, newest version first. */
  versions = dft_store_list_form_versions (store, form_key, error);
  if (versions == NULL)
    goto out;
  for (guint i = 0; i < versions->len; i++)
    {
      DftRecord *version = g_ptr_array_index (versions, i);
      DftForm   *form = dft_form_store_open (dft_record_get_string (version, "definition"), error);

      if (form == NULL)
        goto out;
      dft_form_foreach (form, add_column, &cols);
      g_hash_table_insert (forms, g_strdup (dft_record_get_id (version)), form);
    }

  for (guint i = 0; i < FIXED_COLUMNS; i++)
    g_ptr_array_add (header, (gpointer) _ (fixed[i]));
  for (guint i = 0; i < cols.columns->len; i++)
    g_ptr_array_add (header, g_ptr_array_index (cols.columns, i));
  dft_csv_append_row (buffer, (const char *const *) header->pdata, header->len);

  submissions = dft_store_list_form_submissions (store, form_key, event_id, error);
  if (submissions == NULL)
    goto out;
  for (guint s = 0; s < submissions->len; s++)
    {
      DftSubmissionRow      *sub = g_ptr_array_index (submissions, s);
      g_autoptr (GPtrArray)  row = g_ptr_array_new_with_free_func (g_free);
      g_autoptr (GHashTable) answers
          = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, string_free);
      DftForm *form = g_hash_table_lookup (forms, sub->form_id);

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        goto out;
      g_ptr_array_add (row, g_strdup (sub->id));
      g_ptr_array_add (row, g_strdup (sub->form_version));
      g_ptr_array_add (row, g_strdup (sub->status));
      g_ptr_array_add (row, g_strdup (sub->phase));
      g_ptr_array_add (row, g_strdup (sub->person_name));
      g_ptr_array_add (row, g_strdup (sub->event_title));
      g_ptr_array_add (row, g_strdup (sub->started_at));
      g_ptr_array_add (row, g_strdup (sub->finished_at));
      if (isnan (sub->score))
        g_ptr_array_add (row, g_strdup (""));
      else
        g_ptr_array_add (row, g_strdup_printf ("%.1f", sub->score));
      g_ptr_array_add (row, g_strdup (form != NULL ? form->default_language : ""));

      /* Answers keyed by column; repeat instances joined in order. */
      if (sub->answers != NULL && json_parser_load_from_data (parser, sub->answers, -1, NULL)
          && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        {
          JsonObject       *o = json_node_get_object (json_parser_get_root (parser));
          g_autoptr (GList) members = json_object_get_members (o);

          members = g_list_sort (members, natural_order);
          for (GList *l = members; l != NULL; l = l->next)
            {
              JsonNode        *n = json_object_get_member (o, l->data);
              g_autofree char *column = NULL;
              GString         *cell;

              if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
                continue;
              column = column_of (l->data);
              cell = g_hash_table_lookup (answers, column);
              if (cell == NULL)
                g_hash_table_insert (answers, g_steal_pointer (&column),
                                     g_string_new (json_node_get_string (n)));
              else
                g_string_append_printf (cell, " | %s", json_node_get_string (n));
            }
        }
      for (guint i = 0; i < cols.columns->len; i++)
        {
          GString *cell = g_hash_table_lookup (answers, g_ptr_array_index (cols.columns, i));

          g_ptr_array_add (row, g_strdup (cell != NULL ? cell->str : ""));
        }
      dft_csv_append_row (buffer, (const char *const *) row->pdata, row->len);
      if (buffer->len > 64 * 1024)
        {
          if (!g_output_stream_write_all (out, buffer->str, buffer->len, NULL, cancellable, error))
            goto out;
          g_string_truncate (buffer, 0);
        }
    }
  ok = g_output_stream_write_all (out, buffer->str, buffer->len, NULL, cancellable, error);

out:
  g_ptr_array_unref (cols.columns);
  g_hash_table_unref (cols.seen);
  return ok;
}
