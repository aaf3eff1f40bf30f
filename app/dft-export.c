/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "dft-export.h"
#include "dft-record-private.h"
#include "dft-store.h"
#include "dft-xlsx.h"

gboolean
dft_export_kind_from_string (const char *name, DftExportKind *kind)
{
  if (g_strcmp0 (name, "events") == 0)
    *kind = DFT_EXPORT_EVENTS;
  else if (g_strcmp0 (name, "people") == 0)
    *kind = DFT_EXPORT_PEOPLE;
  else if (g_strcmp0 (name, "attendance") == 0)
    *kind = DFT_EXPORT_ATTENDANCE;
  else
    return FALSE;
  return TRUE;
}

/*
 * A cell starting with = + - @ (or a tab or carriage return) is run as a
 * formula by spreadsheets: CSV injection. Such cells get a leading
 * apostrophe, except numbers like "+996 555 123 456" and "-3", which are
 * data the coordinator wants to see as typed.
 */
static gboolean
looks_like_formula (const char *cell)
{
  if (cell[0] == '=' || cell[0] == '@' || cell[0] == '\t' || cell[0] == '\r')
    return TRUE;
  if (cell[0] == '+' || cell[0] == '-')
    {
      for (const char *p = cell + 1; *p != '\0'; p++)
        if (!g_ascii_isdigit (*p) && *p != ' ' && *p != '.' && *p != '(' && *p != ')')
          return TRUE;
    }
  return FALSE;
}

char *
dft_csv_escape (const char *cell)
{
  g_autoptr (GString) out = NULL;
  gboolean            quote;

  if (cell == NULL || *cell == '\0')
    return g_strdup ("");

  out = g_string_new (NULL);
  if (looks_like_formula (cell))
    g_string_append_c (out, '\'');
  g_string_append (out, cell);

  quote = strpbrk (out->str, ",\"\r\n;") != NULL;
  if (!quote)
    return g_string_free (g_steal_pointer (&out), FALSE);

  {
    GString *quoted = g_string_new ("\"");
    for (const char *p = out->str; *p != '\0'; p++)
      {
        if (*p == '"')
          g_string_append_c (quoted, '"');
        g_string_append_c (quoted, *p);
      }
    g_string_append_c (quoted, '"');
    return g_string_free (quoted, FALSE);
  }
}

void
dft_csv_append_row (GString *buffer, const char *const *cells, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *escaped = dft_csv_escape (cells[i]);

      if (i > 0)
        g_string_append_c (buffer, ',');
      g_string_append (buffer, escaped);
    }
  g_string_append (buffer, "\r\n");
}

static void
add_value (DftTableWriter *writer, const DftField *field, const GValue *value)
{
  switch (G_VALUE_TYPE (value))
    {
    case G_TYPE_INT64:
      dft_table_writer_add_number (writer, g_value_get_int64 (value), 0);
      return;
    case G_TYPE_DOUBLE:
      dft_table_writer_add_number (writer, g_value_get_double (value), -1);
      return;
    case G_TYPE_BOOLEAN:
      dft_table_writer_add_text (writer, g_value_get_boolean (value) ? "yes" : "no");
      return;
    default:
      if (field->type == DFT_FIELD_DATE)
        dft_table_writer_add_date (writer, g_value_get_string (value));
      else if (field->type == DFT_FIELD_STAMP)
        dft_table_writer_add_stamp (writer, g_value_get_string (value));
      else
        dft_table_writer_add_text (writer, g_value_get_string (value));
      return;
    }
}

static gboolean
export_records (const DftEntity *entity,
                const char      *title,
                GPtrArray       *records,
                GHashTable      *roles,
                DftTableWriter  *writer,
                GCancellable    *cancellable,
                GError         **error)
{
  g_autoptr (GPtrArray) header = g_ptr_array_new ();

  g_ptr_array_add (header, (gpointer) "id");
  for (guint i = 0; i < entity->n_fields; i++)
    g_ptr_array_add (header, (gpointer) entity->fields[i].name);
  if (roles != NULL)
    g_ptr_array_add (header, (gpointer) "role");
  g_ptr_array_add (header, (gpointer) "created_at");
  g_ptr_array_add (header, (gpointer) "updated_at");
  if (!dft_table_writer_begin_table (writer, title, (const char *const *) header->pdata,
                                     header->len, error))
    return FALSE;

  for (guint r = 0; r < records->len; r++)
    {
      DftRecord *record = g_ptr_array_index (records, r);

      dft_table_writer_add_text (writer, dft_record_get_id (record));
      for (guint i = 0; i < entity->n_fields; i++)
        add_value (writer, &entity->fields[i], dft_record_get_value (record, i));
      if (roles != NULL)
        dft_table_writer_add_text (writer, g_hash_table_lookup (roles, dft_record_get_id (record)));
      dft_table_writer_add_stamp (writer, dft_record_get_created_at (record));
      dft_table_writer_add_stamp (writer, dft_record_get_updated_at (record));
      if (!dft_table_writer_end_row (writer, cancellable, error))
        return FALSE;
    }
  return dft_table_writer_end_table (writer, error);
}

static gboolean
export_attendance (DftStore       *store,
                   const char     *event_id,
                   DftTableWriter *writer,
                   GCancellable   *cancellable,
                   GError        **error)
{
  g_autoptr (GPtrArray)  sessions = NULL;
  g_autoptr (GPtrArray)  people = NULL;
  g_autoptr (GPtrArray)  marks = NULL;
  g_autoptr (GHashTable) status = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray)  header = g_ptr_array_new_with_free_func (g_free);
  static const char     *fixed[]
      = { "person_id", "given_name", "family_name", "gender", "agency", "country" };
  static const char *totals[] = { "present", "late", "absent", "excused" };

  sessions = dft_store_list_records (store, &dft_entity_session,
                                     (const char *[]){ "event_id", event_id, NULL },
                                     (const char *[]){ "date", "part", NULL }, 0, error);
  if (sessions == NULL)
    return FALSE;
  people = dft_store_list_enrolled_people (store, event_id, error);
  if (people == NULL)
    return FALSE;
  marks = dft_store_list_event_attendance (store, event_id, error);
  if (marks == NULL)
    return FALSE;

  for (guint i = 0; i < marks->len; i++)
    {
      DftRecord *m = g_ptr_array_index (marks, i);
      g_hash_table_insert (status,
                           g_strconcat (dft_record_get_string (m, "session_id"), "/",
                                        dft_record_get_string (m, "person_id"), NULL),
                           (gpointer) g_intern_string (dft_record_get_string (m, "status")));
    }

  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    g_ptr_array_add (header, g_strdup (fixed[i]));
  for (guint i = 0; i < sessions->len; i++)
    {
      DftRecord *s = g_ptr_array_index (sessions, i);
      g_ptr_array_add (header, g_strdup_printf ("%s %s", dft_record_get_string (s, "date"),
                                                dft_record_get_string (s, "part")));
    }
  for (guint i = 0; i < G_N_ELEMENTS (totals); i++)
    g_ptr_array_add (header, g_strdup (totals[i]));
  g_ptr_array_add (header, g_strdup ("attendance_rate"));
  /* Translators: the name of a spreadsheet's sheet (at most 31 characters) */
  if (!dft_table_writer_begin_table (writer, _ ("Attendance"), (const char *const *) header->pdata,
                                     header->len, error))
    return FALSE;

  for (guint p = 0; p < people->len; p++)
    {
      DftRecord *person = g_ptr_array_index (people, p);
      guint      counts[G_N_ELEMENTS (totals)] = { 0 };

      dft_table_writer_add_text (writer, dft_record_get_id (person));
      for (guint i = 1; i < G_N_ELEMENTS (fixed); i++)
        dft_table_writer_add_text (writer, dft_record_get_string (person, fixed[i]));
      for (guint i = 0; i < sessions->len; i++)
        {
          DftRecord       *s = g_ptr_array_index (sessions, i);
          g_autofree char *key
              = g_strconcat (dft_record_get_id (s), "/", dft_record_get_id (person), NULL);
          const char *st = g_hash_table_lookup (status, key);

          /* The stored word, not a translation: a spreadsheet filter on "late" works in any
           * language. */
          dft_table_writer_add_text (writer, st);
          for (guint t = 0; st != NULL && t < G_N_ELEMENTS (totals); t++)
            if (strcmp (st, totals[t]) == 0)
              counts[t]++;
        }
      for (guint t = 0; t < G_N_ELEMENTS (totals); t++)
        dft_table_writer_add_number (writer, counts[t], 0);
      /* Present and late both attended; the rate is over all sessions held. */
      dft_table_writer_add_percent (
          writer, sessions->len > 0 ? (double) (counts[0] + counts[1]) / sessions->len : NAN);
      if (!dft_table_writer_end_row (writer, cancellable, error))
        return FALSE;
    }
  return dft_table_writer_end_table (writer, error);
}

typedef struct
{
  DftStore     *store;
  DftExportKind kind;
  const char   *event_id;
} ExportArgs;

/* The one row source of every export kind, for CSV and XLSX alike. */
static gboolean
export_table (DftTableWriter *writer, gconstpointer data, GCancellable *cancellable, GError **error)
{
  const ExportArgs      *args = data;
  DftStore              *store = args->store;
  const char            *event_id = args->event_id;
  g_autoptr (GPtrArray)  records = NULL;
  g_autoptr (GHashTable) roles = NULL;

  if (event_id != NULL)
    {
      g_autoptr (DftRecord) event = dft_store_load (store, &dft_entity_event, event_id, error);
      if (event == NULL)
        return FALSE;
    }

  switch (args->kind)
    {
    case DFT_EXPORT_EVENTS:
      records = dft_store_list_records (store, &dft_entity_event, NULL,
                                        (const char *[]){ "start_date", "title", NULL }, 0, error);
      /* Translators: the name of a spreadsheet's sheet (at most 31 characters) */
      return records != NULL
             && export_records (&dft_entity_event, _ ("Workshops"), records, NULL, writer,
                                cancellable, error);

    case DFT_EXPORT_PEOPLE:
      if (event_id == NULL)
        {
          records = dft_store_list_records (
              store, &dft_entity_person, NULL,
              (const char *[]){ "family_name COLLATE NOCASE", "given_name COLLATE NOCASE", NULL },
              0, error);
        }
      else
        {
          g_autoptr (GPtrArray) enrollments = dft_store_list_records (
              store, &dft_entity_enrollment, (const char *[]){ "event_id", event_id, NULL }, NULL,
              0, error);
          if (enrollments == NULL)
            return FALSE;
          roles = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
          for (guint i = 0; i < enrollments->len; i++)
            {
              DftRecord *e = g_ptr_array_index (enrollments, i);
              g_hash_table_insert (roles, g_strdup (dft_record_get_string (e, "person_id")),
                                   g_strdup (dft_record_get_string (e, "role")));
            }
          records = dft_store_list_enrolled_people (store, event_id, error);
        }
      /* Translators: the name of a spreadsheet's sheet (at most 31 characters) */
      return records != NULL
             && export_records (&dft_entity_person, _ ("People"), records, roles, writer,
                                cancellable, error);

    case DFT_EXPORT_ATTENDANCE:
      if (event_id == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _ ("An attendance sheet is made for one workshop: say which."));
          return FALSE;
        }
      return export_attendance (store, event_id, writer, cancellable, error);

    default:
      g_return_val_if_reached (FALSE);
    }
}

gboolean
dft_export_csv (DftStore      *store,
                DftExportKind  kind,
                const char    *event_id,
                GOutputStream *out,
                GCancellable  *cancellable,
                GError       **error)
{
  ExportArgs args = { store, kind, event_id };

  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);

  return dft_table_write_csv (export_table, &args, out, FALSE, cancellable, error);
}

gboolean
dft_export_xlsx (DftStore     *store,
                 DftExportKind kind,
                 const char   *event_id,
                 const char   *path,
                 GCancellable *cancellable,
                 GError      **error)
{
  ExportArgs args = { store, kind, event_id };

  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);

  return dft_table_write_xlsx (export_table, &args, path, cancellable, error);
}
