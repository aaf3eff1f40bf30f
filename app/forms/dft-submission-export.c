/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "dft-export.h"
#include "dft-form-store.h"
#include "dft-store-attachments.h"
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

static gboolean
is_file_question (DftQuestionType type)
{
  return type == DFT_QUESTION_IMAGE || type == DFT_QUESTION_AUDIO || type == DFT_QUESTION_VIDEO
         || type == DFT_QUESTION_FILE;
}

/* The one row source of the submissions export, for CSV and XLSX alike. */
typedef struct
{
  DftStore   *store;
  const char *form_key;
  const char *event_id;
  /* With media: */
  gboolean        with_media;
  const char     *media_dir;  /* where the files go; NULL: nowhere, only counted */
  const char     *link_base;  /* "external:NAME-media/" for a workbook's links; NULL: no links */
  GPtrArray      *media;      /* the file answers named, in order of first appearance */
  GHashTable     *media_seen; /* answer → TRUE */
  DftExportMedia *report;
} ExportArgs;

static gboolean
holds_file (DftStore *store, const char *answer)
{
  g_autoptr (DftAttachmentInfo) info = dft_store_get_attachment_info (store, answer, NULL);

  return info != NULL;
}

/* The answer (or the repeat's answers, " | " between them) of a file question: the files it
 * names join the export's; a cell that names one file links to it. */
static void
add_file_answer (DftTableWriter *writer, ExportArgs *args, const char *answer)
{
  g_auto (GStrv) parts = NULL;
  gboolean       one_file = FALSE;

  if (answer == NULL || *answer == '\0')
    {
      dft_table_writer_add_text (writer, answer);
      return;
    }
  parts = g_strsplit (answer, " | ", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (!dft_attachment_parse_answer (parts[i], NULL))
        continue;
      one_file = parts[1] == NULL;
      if (!g_hash_table_contains (args->media_seen, parts[i]))
        {
          g_hash_table_add (args->media_seen, g_strdup (parts[i]));
          g_ptr_array_add (args->media, g_strdup (parts[i]));
        }
    }
  /* Only to a file the folder will hold: a link that opens nothing looks like a broken export. */
  if (one_file && args->link_base != NULL && holds_file (args->store, answer))
    {
      g_autofree char *url = g_strconcat (args->link_base, answer, NULL);

      dft_table_writer_add_link (writer, url, answer);
    }
  else
    dft_table_writer_add_text (writer, answer);
}

/* Writes the files the export named into the media folder; those the store does not hold are
 * listed as missing. */
static gboolean
write_media (ExportArgs *args, GCancellable *cancellable, GError **error)
{
  DftExportMedia *report = args->report;
  gboolean        made_dir = FALSE;

  report->n_files = args->media->len;
  for (guint i = 0; i < args->media->len; i++)
    {
      const char        *name = g_ptr_array_index (args->media, i);
      g_autoptr (GError) local = NULL;
      g_autoptr (GBytes) bytes = NULL;
      g_autofree char   *path = NULL;
      gconstpointer      data;
      gsize              size;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (args->media_dir == NULL)
        {
          if (!holds_file (args->store, name))
            g_ptr_array_add (report->missing, g_strdup (name));
          continue;
        }
      bytes = dft_store_read_attachment (args->store, name, &local);
      if (bytes == NULL && g_error_matches (local, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND))
        {
          /* Not synced to this computer yet: the rest of the export is still worth having. */
          g_ptr_array_add (report->missing, g_strdup (name));
          continue;
        }
      if (bytes == NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (!made_dir)
        {
          if (g_mkdir_with_parents (args->media_dir, 0755) != 0)
            {
              int              saved_errno = errno;
              g_autofree char *display = g_filename_display_name (args->media_dir);

              g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                           /* Translators: the first %s is a folder, the second why it could
                            * not be made */
                           _ ("Could not make the folder “%s”: %s"), display,
                           g_strerror (saved_errno));
              return FALSE;
            }
          made_dir = TRUE;
        }
      path = g_build_filename (args->media_dir, name, NULL);
      data = g_bytes_get_data (bytes, &size);
      if (!g_file_set_contents_full (path, data, size, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error))
        return FALSE;
      report->n_written++;
    }
  return TRUE;
}

static gboolean
export_submissions (DftTableWriter *writer,
                    gconstpointer   data,
                    GCancellable   *cancellable,
                    GError        **error)
{
  /* The only source that is handed mutable args: the media list grows row by row. */
  ExportArgs              *args = (ExportArgs *) data;
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
          GString        *cell = g_hash_table_lookup (answers, g_ptr_array_index (cols.columns, i));
          DftQuestionType type = g_array_index (cols.types, DftQuestionType, i);

          if (args->with_media && is_file_question (type))
            add_file_answer (writer, args, cell != NULL ? cell->str : NULL);
          else
            add_answer (writer, type, cell != NULL ? cell->str : NULL);
        }
      if (!dft_table_writer_end_row (writer, cancellable, error))
        goto out;
    }
  ok = dft_table_writer_end_table (writer, error)
       && (!args->with_media || write_media (args, cancellable, error));

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
  ExportArgs args = { store, form_key, event_id, FALSE };

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
  ExportArgs args = { store, form_key, event_id, FALSE };

  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);
  g_return_val_if_fail (form_key != NULL, FALSE);

  return dft_table_write_xlsx (export_submissions, &args, path, cancellable, error);
}

void
dft_export_media_clear (DftExportMedia *media)
{
  g_clear_pointer (&media->missing, g_ptr_array_unref);
  media->n_files = media->n_written = 0;
}

char *
dft_submissions_export_media_dir (const char *path)
{
  g_autofree char *dir = NULL, *base = NULL, *name = NULL;
  const char      *dot;

  g_return_val_if_fail (path != NULL, NULL);

  dir = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  /* "evaluations.xlsx" → "evaluations"; ".xlsx" or "notes" keep their whole name. */
  dot = strrchr (base, '.');
  if (dot != NULL && dot != base)
    base[dot - base] = '\0';
  name = g_strconcat (base, "-media", NULL);
  return g_build_filename (dir, name, NULL);
}

/* Readies @args to collect the files the export names, and @media to be told about them. */
static void
media_begin (ExportArgs *args, DftExportMedia *media)
{
  *media = (DftExportMedia){ 0, 0, g_ptr_array_new_with_free_func (g_free) };
  args->with_media = TRUE;
  args->report = media;
  args->media = g_ptr_array_new_with_free_func (g_free);
  args->media_seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static void
media_end (ExportArgs *args)
{
  g_ptr_array_unref (args->media);
  g_hash_table_unref (args->media_seen);
}

gboolean
dft_submissions_export_csv_with_media (DftStore       *store,
                                       const char     *form_key,
                                       const char     *event_id,
                                       GOutputStream  *out,
                                       const char     *media_dir,
                                       DftExportMedia *media,
                                       GCancellable   *cancellable,
                                       GError        **error)
{
  ExportArgs args = { store, form_key, event_id, TRUE, media_dir };
  gboolean   ok;

  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);
  g_return_val_if_fail (form_key != NULL, FALSE);
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (out), FALSE);
  g_return_val_if_fail (media != NULL, FALSE);

  media_begin (&args, media);
  ok = dft_table_write_csv (export_submissions, &args, out, FALSE, cancellable, error);
  media_end (&args);
  return ok;
}

gboolean
dft_submissions_export_xlsx_with_media (DftStore       *store,
                                        const char     *form_key,
                                        const char     *event_id,
                                        const char     *path,
                                        DftExportMedia *media,
                                        GCancellable   *cancellable,
                                        GError        **error)
{
  g_autofree char *media_dir = NULL, *folder = NULL, *link_base = NULL;
  ExportArgs       args = { store, form_key, event_id, TRUE };
  gboolean         ok;

  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);
  g_return_val_if_fail (form_key != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (media != NULL, FALSE);

  media_dir = dft_submissions_export_media_dir (path);
  folder = g_path_get_basename (media_dir);
  /* libxlsxwriter reads "#" as the start of a place in the file and "%xx" as an escape already
   * made: a folder named so gets no links rather than broken ones. */
  if (strpbrk (folder, "#%") == NULL)
    link_base = g_strconcat ("external:", folder, "/", NULL);
  args.media_dir = media_dir;
  args.link_base = link_base;
  media_begin (&args, media);
  ok = dft_table_write_xlsx (export_submissions, &args, path, cancellable, error);
  media_end (&args);
  return ok;
}
