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
#include "dft-xlsx.h"

#define FIXED_COLUMNS 10

typedef struct
{
  GPtrArray  *columns; /* question path without root, in order */
  GArray     *types;   /* DftQuestionType of each column, as its newest version asks it */
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
  g_array_append_val (c->types, q->type);
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

/* A number question's answer as a number when it is one (several repeat answers joined are
 * not), a date question's as a date; anything else as text. */
static void
add_answer (DftTableWriter *writer, DftQuestionType type, const char *answer)
{
  char  *end = NULL;
  double value = 0;

  if (answer != NULL && *answer != '\0'
      && (type == DFT_QUESTION_INTEGER || type == DFT_QUESTION_DECIMAL))
    value = g_ascii_strtod (answer, &end);
  if (end != NULL && end != answer && *end == '\0' && isfinite (value))
    dft_table_writer_add_number_text (writer, value, answer);
  else if (type == DFT_QUESTION_DATE)
    dft_table_writer_add_date (writer, answer);
  else
    dft_table_writer_add_text (writer, answer);
}

/* The one row source of the submissions export, for CSV and XLSX alike. */
typedef struct
{
  DftStore   *store;
  const char *form_key;
  const char *event_id;
} ExportArgs;

static gboolean
export_submissions (DftTableWriter *writer,
                    gconstpointer   data,
                    GCancellable   *cancellable,
                    GError        **error)
{
  const ExportArgs        *args = data;
  static const char *const fixed[FIXED_COLUMNS] = {
    N_ ("submission"), N_ ("form version"), N_ ("status"),   N_ ("test"),    N_ ("person"),
    N_ ("workshop"),   N_ ("started"),      N_ ("finished"), N_ ("score %"), N_ ("language"),
  };
  g_autoptr (GHashTable) forms = NULL; /* form record id → DftForm * */
  g_autoptr (GPtrArray)  versions = NULL;
  g_autoptr (GPtrArray)  submissions = NULL;
  g_autoptr (GPtrArray)  header = g_ptr_array_new ();
  g_autoptr (JsonParser) parser = json_parser_new ();
  Columns                cols = { NULL, NULL, NULL };
  gboolean               ok = FALSE;

  forms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) dft_form_unref);
  cols.columns = g_ptr_array_new_with_free_func (g_free);
  cols.types = g_array_new (FALSE, FALSE, sizeof (DftQuestionType));
  cols.seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  /* The columns: every version's questions, newest version first. */
  versions = dft_store_list_form_versions (args->store, args->form_key, error);
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
  /* Translators: the name of a spreadsheet's sheet (at most 31 characters) */
  if (!dft_table_writer_begin_table (writer, _ ("Submissions"), (const char *const *) header->pdata,
                                     header->len, error))
    goto out;

  submissions
      = dft_store_list_form_submissions (args->store, args->form_key, args->event_id, error);
  if (submissions == NULL)
    goto out;
  for (guint s = 0; s < submissions->len; s++)
    {
      DftSubmissionRow      *sub = g_ptr_array_index (submissions, s);
      g_autoptr (GHashTable) answers
          = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, string_free);
      DftForm *form = g_hash_table_lookup (forms, sub->form_id);

      dft_table_writer_add_text (writer, sub->id);
      dft_table_writer_add_text (writer, sub->form_version);
      dft_table_writer_add_text (writer, sub->status);
      dft_table_writer_add_text (writer, sub->phase);
      dft_table_writer_add_text (writer, sub->person_name);
      dft_table_writer_add_text (writer, sub->event_title);
      dft_table_writer_add_stamp (writer, sub->started_at);
      dft_table_writer_add_stamp (writer, sub->finished_at);
      dft_table_writer_add_number (writer, sub->score, 1);
      dft_table_writer_add_text (writer, form != NULL ? form->default_language : NULL);

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

          add_answer (writer, g_array_index (cols.types, DftQuestionType, i),
                      cell != NULL ? cell->str : NULL);
        }
      if (!dft_table_writer_end_row (writer, cancellable, error))
        goto out;
    }
  ok = dft_table_writer_end_table (writer, error);

out:
  g_ptr_array_unref (cols.columns);
  g_array_unref (cols.types);
  g_hash_table_unref (cols.seen);
  return ok;
}

gboolean
dft_submissions_export_csv (DftStore      *store,
                            const char    *form_key,
                            const char    *event_id,
                            GOutputStream *out,
                            GCancellable  *cancellable,
                            GError       **error)
{
  ExportArgs args = { store, form_key, event_id };

  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);
  g_return_val_if_fail (form_key != NULL, FALSE);

  return dft_table_write_csv (export_submissions, &args, out, FALSE, cancellable, error);
}

gboolean
dft_submissions_export_xlsx (DftStore     *store,
                             const char   *form_key,
                             const char   *event_id,
                             const char   *path,
                             GCancellable *cancellable,
                             GError      **error)
{
  ExportArgs args = { store, form_key, event_id };

  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);
  g_return_val_if_fail (form_key != NULL, FALSE);

  return dft_table_write_xlsx (export_submissions, &args, path, cancellable, error);
}
