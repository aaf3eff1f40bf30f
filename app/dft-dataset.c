/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "dft-dataset.h"
#include "dft-record-private.h"
#include "dft-uuid.h"

/* The quark's name is a string: the formatter would put spaces in it. */
/* clang-format off */
G_DEFINE_QUARK (dft-dataset-error-quark, dft_dataset_error)
/* clang-format on */

static gboolean
bad_dataset (GError **error, const char *what)
{
  g_set_error (error, DFT_DATASET_ERROR, DFT_DATASET_ERROR_INVALID,
               /* Translators: %s names what is wrong, e.g. "a workshop without an id" */
               _ ("This is not a workshop data set: %s."), what);
  return FALSE;
}

static const char *
member_string (JsonObject *o, const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonArray *
member_array (JsonObject *o, const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static JsonObject *
element_object (JsonArray *array, guint i)
{
  JsonNode *node = json_array_get_element (array, i);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static gint64
member_int (JsonObject *o, const char *name, gint64 fallback)
{
  JsonNode *node = json_object_get_member (o, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return fallback;
  return json_node_get_int (node);
}

static char *
add_days (const char *start, gint64 days)
{
  GDate    date;
  unsigned y, m, d;

  if (start == NULL || sscanf (start, "%4u-%2u-%2u", &y, &m, &d) != 3
      || !g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y))
    return NULL;
  g_date_clear (&date, 1);
  g_date_set_dmy (&date, (GDateDay) d, (GDateMonth) m, (GDateYear) y);
  g_date_add_days (&date, (guint) days);
  return g_strdup_printf ("%04u-%02u-%02u", g_date_get_year (&date), g_date_get_month (&date),
                          g_date_get_day (&date));
}

/*
 * The data set names forms but carries no definitions. Each distinct form
 * becomes a form record whose definition lists the questions its answers
 * use, marked as derived, so submissions have a real form to point at.
 */
static DftRecord *
form_for (DftStore *store, GHashTable *forms, JsonObject *submission, GError **error)
{
  const char      *key = member_string (submission, "form");
  const char      *version = member_string (submission, "form_version");
  g_autofree char *name = NULL;
  g_autofree char *id = NULL;
  DftRecord       *form;

  if (key == NULL)
    return bad_dataset (error, _ ("a submission without a form")), NULL;
  name = g_strdup_printf ("form/%s/%s", key, version != NULL ? version : "1");
  form = g_hash_table_lookup (forms, name);
  if (form != NULL)
    return form;

  id = dft_uuid_v5 (DFT_UUID_NAMESPACE, name);
  form = dft_store_load_or_new (store, &dft_entity_form, id, error);
  if (form == NULL)
    return NULL;

  if (dft_record_is_new (form))
    {
      JsonNode   *answers_node = json_object_get_member (submission, "answers");
      JsonObject *answers = answers_node != NULL && JSON_NODE_HOLDS_OBJECT (answers_node)
                                ? json_node_get_object (answers_node)
                                : NULL;
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode)    root = NULL;
      g_autoptr (GList)       names = answers != NULL ? json_object_get_members (answers) : NULL;
      g_autofree char        *definition = NULL;
      const char             *kind = g_str_has_suffix (key, "-pre")    ? "pre-test"
                                     : g_str_has_suffix (key, "-post") ? "post-test"
                                                                       : "evaluation";

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "derived_from");
      json_builder_add_string_value (builder, "gen_dataset");
      json_builder_set_member_name (builder, "questions");
      json_builder_begin_array (builder);
      for (GList *l = names; l != NULL; l = l->next)
        {
          JsonNode *value = json_object_get_member (answers, l->data);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "name");
          json_builder_add_string_value (builder, l->data);
          json_builder_set_member_name (builder, "type");
          json_builder_add_string_value (builder,
                                         JSON_NODE_HOLDS_VALUE (value)
                                                 && json_node_get_value_type (value) == G_TYPE_INT64
                                             ? "integer"
                                             : "text");
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      definition = json_to_string (root, FALSE);

      g_object_set (form, "form-key", key, "version",
                    g_ascii_strtoll (version != NULL ? version : "1", NULL, 10), "title", key,
                    "kind", kind, "default-language", "en", "definition", definition, NULL);
    }
  g_hash_table_insert (forms, g_steal_pointer (&name), form);
  return form;
}

typedef struct
{
  JsonObject *workshop;
  GPtrArray  *participants;
  GPtrArray  *attendance;
  GPtrArray  *submissions;
} Workshop;

static void
workshop_free (Workshop *w)
{
  g_ptr_array_unref (w->participants);
  g_ptr_array_unref (w->attendance);
  g_ptr_array_unref (w->submissions);
  g_free (w);
}

static gboolean
group_by_workshop (JsonObject *root, GPtrArray *order, GHashTable *by_id, GError **error)
{
  static const char *lists[] = { "participants", "attendance", "submissions" };
  JsonArray         *workshops = member_array (root, "workshops");

  for (guint i = 0; i < json_array_get_length (workshops); i++)
    {
      JsonObject *o = element_object (workshops, i);
      const char *id = o != NULL ? member_string (o, "id") : NULL;
      Workshop   *w;

      if (id == NULL || !dft_uuid_is_valid (id))
        return bad_dataset (error, _ ("a workshop without a valid id"));
      w = g_new0 (Workshop, 1);
      w->workshop = o;
      w->participants = g_ptr_array_new ();
      w->attendance = g_ptr_array_new ();
      w->submissions = g_ptr_array_new ();
      g_hash_table_insert (by_id, (gpointer) id, w);
      g_ptr_array_add (order, w);
    }

  for (guint l = 0; l < G_N_ELEMENTS (lists); l++)
    {
      JsonArray *items = member_array (root, lists[l]);

      for (guint i = 0; items != NULL && i < json_array_get_length (items); i++)
        {
          JsonObject *o = element_object (items, i);
          const char *wid = o != NULL ? member_string (o, "workshop") : NULL;
          Workshop   *w = wid != NULL ? g_hash_table_lookup (by_id, wid) : NULL;

          if (w == NULL)
            return bad_dataset (error, _ ("a record that belongs to no workshop"));
          g_ptr_array_add (l == 0 ? w->participants : l == 1 ? w->attendance : w->submissions, o);
        }
    }
  return TRUE;
}

static gboolean
load_workshop (
    DftStore *store, Workshop *w, GHashTable *forms, DftDatasetStats *stats, GError **error)
{
  g_autoptr (GPtrArray)  batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (DftRecord)  event = NULL;
  const char            *event_id = member_string (w->workshop, "id");
  const char            *start = member_string (w->workshop, "start");
  gint64                 days = member_int (w->workshop, "days", 1);
  g_autofree char       *end = add_days (start, days - 1);
  g_autoptr (GHashTable) in_batch = g_hash_table_new (NULL, NULL);

  if (end == NULL || days < 1)
    return bad_dataset (error, _ ("a workshop without a start date or days"));

  event = dft_store_load_or_new (store, &dft_entity_event, event_id, error);
  if (event == NULL)
    return FALSE;
  g_object_set (event, "title", member_string (w->workshop, "title"), "track",
                member_string (w->workshop, "track"), "country",
                member_string (w->workshop, "country"), "city", member_string (w->workshop, "city"),
                "start-date", start, "end-date", end, NULL);
  g_ptr_array_add (batch, g_object_ref (event));
  stats->events++;

  for (guint i = 0; i < w->participants->len; i++)
    {
      JsonObject      *o = g_ptr_array_index (w->participants, i);
      const char      *pid = member_string (o, "id");
      g_autofree char *enrollment_id = NULL;
      DftRecord       *person;
      DftRecord       *enrollment;
      JsonNode        *consent_node = json_object_get_member (o, "consent");
      gboolean         consent = consent_node != NULL && JSON_NODE_HOLDS_VALUE (consent_node)
                         && json_node_get_value_type (consent_node) == G_TYPE_BOOLEAN
                         && json_node_get_boolean (consent_node);

      if (pid == NULL || !dft_uuid_is_valid (pid))
        return bad_dataset (error, _ ("a participant without a valid id"));
      person = dft_store_load_or_new (store, &dft_entity_person, pid, error);
      if (person == NULL)
        return FALSE;
      g_object_set (person, "given-name", member_string (o, "given_name"), "family-name",
                    member_string (o, "family_name"), "gender", member_string (o, "gender"),
                    "agency", member_string (o, "agency"), "position",
                    member_string (o, "position"), "country", member_string (o, "country"), "email",
                    member_string (o, "email"), "consent", consent, "consent-date",
                    consent ? start : NULL, NULL);
      g_ptr_array_add (batch, person);

      enrollment_id = dft_enrollment_id_for (event_id, pid);
      enrollment = dft_store_load_or_new (store, &dft_entity_enrollment, enrollment_id, error);
      if (enrollment == NULL)
        return FALSE;
      g_object_set (enrollment, "event-id", event_id, "person-id", pid, "role", "participant",
                    NULL);
      g_ptr_array_add (batch, enrollment);
      stats->people++;
    }

  for (guint i = 0; i < w->attendance->len; i++)
    {
      JsonObject      *o = g_ptr_array_index (w->attendance, i);
      const char      *pid = member_string (o, "participant");
      const char      *part = member_string (o, "session");
      gint64           day = member_int (o, "day", 0);
      g_autofree char *date = add_days (start, day - 1);
      g_autofree char *session_id = NULL;
      g_autofree char *mark_id = NULL;
      DftRecord       *mark;

      if (pid == NULL || part == NULL || date == NULL || day < 1 || day > days)
        return bad_dataset (error, _ ("an attendance mark outside its workshop"));
      session_id = dft_session_id_for (event_id, date, part);
      mark_id = dft_attendance_id_for (session_id, pid);
      mark = dft_store_load_or_new (store, &dft_entity_attendance, mark_id, error);
      if (mark == NULL)
        return FALSE;
      g_object_set (mark, "session-id", session_id, "person-id", pid, "status",
                    member_string (o, "status"), NULL);
      g_ptr_array_add (batch, mark);
      stats->attendance++;
    }

  for (guint i = 0; i < w->submissions->len; i++)
    {
      JsonObject      *o = g_ptr_array_index (w->submissions, i);
      const char      *sid = member_string (o, "id");
      JsonNode        *answers = json_object_get_member (o, "answers");
      g_autofree char *answers_text = NULL;
      DftRecord       *form;
      DftRecord       *submission;

      if (sid == NULL || !dft_uuid_is_valid (sid) || answers == NULL
          || !JSON_NODE_HOLDS_OBJECT (answers))
        return bad_dataset (error, _ ("a submission without an id or answers"));
      form = form_for (store, forms, o, error);
      if (form == NULL)
        return FALSE;
      if (dft_record_is_changed (form) && !g_hash_table_contains (in_batch, form))
        {
          g_hash_table_add (in_batch, form);
          g_ptr_array_insert (batch, 0, g_object_ref (form));
          stats->forms++;
        }

      submission = dft_store_load_or_new (store, &dft_entity_submission, sid, error);
      if (submission == NULL)
        return FALSE;
      if (dft_record_is_new (submission))
        {
          /* Final submissions are immutable: only a new one is written. */
          answers_text = json_to_string (answers, FALSE);
          g_object_set (submission, "form-id", dft_record_get_id (form), "event-id", event_id,
                        "person-id", member_string (o, "participant"), "status", "final", "answers",
                        answers_text, "started-at", member_string (o, "started"), "finished-at",
                        member_string (o, "finished"), NULL);
        }
      g_ptr_array_add (batch, submission);
      stats->submissions++;
    }

  return dft_store_save_all (store, (DftRecord **) batch->pdata, batch->len, error);
}

gboolean
dft_dataset_load (DftStore        *store,
                  const char      *path,
                  DftDatasetStats *stats,
                  DftProgressFunc  progress,
                  gpointer         progress_data,
                  GCancellable    *cancellable,
                  GError         **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GPtrArray)  order = g_ptr_array_new_with_free_func ((GDestroyNotify) workshop_free);
  g_autoptr (GHashTable) by_id = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) forms
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  DftDatasetStats local = { 0 };
  JsonNode       *root;

  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (!json_parser_load_from_mapped_file (parser, path, error))
    return FALSE;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)
      || member_array (json_node_get_object (root), "workshops") == NULL)
    return bad_dataset (error, _ ("there is no list of workshops"));

  if (!group_by_workshop (json_node_get_object (root), order, by_id, error))
    return FALSE;

  for (guint i = 0; i < order->len; i++)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (!load_workshop (store, g_ptr_array_index (order, i), forms, &local, error))
        return FALSE;
      if (progress != NULL)
        progress ((double) (i + 1) / order->len, progress_data);
    }

  if (stats != NULL)
    *stats = local;
  return TRUE;
}
