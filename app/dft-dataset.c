/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "dft-dataset.h"
#include "dft-people.h"
#include "dft-record-private.h"
#include "dft-uuid.h"
#include "forms/dft-assessment.h"
#include "forms/dft-form-store.h"

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
 * The data set names forms but carries no definitions. Each distinct form becomes a form
 * record with a Daftari definition (app/forms/FORMS.md) that lists the questions its answers
 * use, so submissions point at a form that opens, shows them and scores them. The data set's
 * shape decides the rest: "NAME-pre" and "NAME-post" are the two forms of one knowledge test
 * (multiple choice, a to d; each names the other as "pairs_with", and says which half it is
 * as "phase"), "evaluation" rates on a five-point scale. The data set names no correct
 * answers: its tests are scored as if "a" were right everywhere, so that they score and pair
 * for gain; with answers drawn at random, that gives scores near 25 % and gains near 0.
 */
typedef struct
{
  DftRecord *record;
  DftForm   *form; /* prepared */
} DatasetForm;

static void
dataset_form_free (DatasetForm *f)
{
  g_object_unref (f->record);
  dft_form_unref (f->form);
  g_free (f);
}

static void
add_choices (JsonBuilder *builder, const char *name, const char *const *values)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; values[i] != NULL; i++)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "value");
      json_builder_add_string_value (builder, values[i]);
      json_builder_set_member_name (builder, "label");
      json_builder_add_string_value (builder, values[i]);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static char *
definition_for (const char *key, const char *version, const char *kind, JsonObject *answers)
{
  static const char *const options[] = { "a", "b", "c", "d", NULL };
  static const char *const scale[] = { "1", "2", "3", "4", "5", NULL };
  g_autoptr (JsonBuilder)  builder = json_builder_new ();
  g_autoptr (JsonNode)     root = NULL;
  g_autoptr (GList)        names = answers != NULL ? json_object_get_members (answers) : NULL;
  g_autofree char         *stem = NULL;
  g_autofree char         *other = NULL;
  gboolean                 test = g_str_equal (kind, "assessment");
  gboolean                 pre = test && g_str_has_suffix (key, "-pre");

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "format");
  json_builder_add_string_value (builder, "daftari-form");
  json_builder_set_member_name (builder, "format_version");
  json_builder_add_int_value (builder, 1);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, key);
  json_builder_set_member_name (builder, "version");
  json_builder_add_string_value (builder, version);
  json_builder_set_member_name (builder, "title");
  json_builder_add_string_value (builder, key);
  json_builder_set_member_name (builder, "kind");
  json_builder_add_string_value (builder, kind);
  json_builder_set_member_name (builder, "root");
  json_builder_add_string_value (builder, "data");
  json_builder_set_member_name (builder, "default_language");
  json_builder_add_string_value (builder, "en");
  if (test)
    {
      stem = g_strndup (key, strlen (key) - (pre ? strlen ("-pre") : strlen ("-post")));
      json_builder_set_member_name (builder, "phase");
      json_builder_add_string_value (builder, pre ? "pre" : "post");
      other = g_strconcat (stem, pre ? "-post" : "-pre", NULL);
      json_builder_set_member_name (builder, "pairs_with");
      json_builder_add_string_value (builder, other);
    }
  json_builder_set_member_name (builder, "choice_lists");
  json_builder_begin_object (builder);
  add_choices (builder, "options", options);
  add_choices (builder, "scale", scale);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "questions");
  json_builder_begin_array (builder);
  for (GList *l = names; l != NULL; l = l->next)
    {
      JsonNode *value = json_object_get_member (answers, l->data);
      gboolean  number
          = JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_INT64;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, l->data);
      json_builder_set_member_name (builder, "label");
      json_builder_add_string_value (builder, l->data);
      json_builder_set_member_name (builder, "type");
      if (test && !number)
        {
          json_builder_add_string_value (builder, "select_one");
          json_builder_set_member_name (builder, "choices");
          json_builder_add_string_value (builder, "options");
          json_builder_set_member_name (builder, "correct");
          json_builder_add_string_value (builder, "a");
        }
      else if (number && g_str_equal (kind, "evaluation"))
        {
          json_builder_add_string_value (builder, "likert");
          json_builder_set_member_name (builder, "choices");
          json_builder_add_string_value (builder, "scale");
        }
      else
        json_builder_add_string_value (builder, number ? "integer" : "text");
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static DatasetForm *
form_for (DftStore *store, GHashTable *forms, JsonObject *submission, GError **error)
{
  const char        *key = member_string (submission, "form");
  const char        *version = member_string (submission, "form_version");
  g_autofree char   *name = NULL;
  g_autofree char   *id = NULL;
  g_autoptr (GError) local = NULL;
  DatasetForm       *found;
  DftRecord         *record;
  DftForm           *form = NULL;

  if (key == NULL)
    return bad_dataset (error, _ ("a submission without a form")), NULL;
  if (version == NULL)
    version = "1";
  name = g_strdup_printf ("form/%s/%s", key, version);
  found = g_hash_table_lookup (forms, name);
  if (found != NULL)
    return found;

  id = dft_uuid_v5 (DFT_UUID_NAMESPACE, name);
  record = dft_store_load_or_new (store, &dft_entity_form, id, error);
  if (record == NULL)
    return NULL;

  if (dft_record_is_new (record))
    {
      JsonNode        *answers_node = json_object_get_member (submission, "answers");
      JsonObject      *answers = answers_node != NULL && JSON_NODE_HOLDS_OBJECT (answers_node)
                                     ? json_node_get_object (answers_node)
                                     : NULL;
      const char      *kind = g_str_has_suffix (key, "-pre") || g_str_has_suffix (key, "-post")
                                  ? "assessment"
                              : g_str_equal (key, "evaluation") ? "evaluation"
                                                                : "survey";
      g_autofree char *definition = definition_for (key, version, kind, answers);

      g_object_set (record, "form-key", key, "version", g_ascii_strtoll (version, NULL, 10),
                    "title", key, "kind", kind, "default-language", "en", "definition", definition,
                    NULL);
    }

  /* A form that does not open is refused here, not met later by a trainer. */
  form = dft_form_store_open (dft_record_get_string (record, "definition"), &local);
  if (form == NULL)
    {
      g_object_unref (record);
      g_set_error (error, DFT_DATASET_ERROR, DFT_DATASET_ERROR_INVALID,
                   /* Translators: the first %s is a form's key, the second the reason */
                   _ ("The form “%s” of this data set cannot be opened: %s"), key, local->message);
      return NULL;
    }
  found = g_new0 (DatasetForm, 1);
  found->record = record;
  found->form = form;
  g_hash_table_insert (forms, g_steal_pointer (&name), found);
  return found;
}

/* The data set's answers by question name, as a submission keeps them: by path, as text. */
static char *
answers_for (DftForm *form, JsonObject *answers)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode)    root = NULL;
  g_autoptr (GList)       names = json_object_get_members (answers);

  json_builder_begin_object (builder);
  for (GList *l = names; l != NULL; l = l->next)
    {
      JsonNode        *value = json_object_get_member (answers, l->data);
      g_autofree char *path = g_strdup_printf ("/%s/%s", form->root_name, (char *) l->data);
      g_autofree char *text = NULL;

      if (!JSON_NODE_HOLDS_VALUE (value))
        continue;
      if (json_node_get_value_type (value) == G_TYPE_STRING)
        text = g_strdup (json_node_get_string (value));
      else if (json_node_get_value_type (value) == G_TYPE_INT64)
        text = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (value));
      else if (json_node_get_value_type (value) == G_TYPE_DOUBLE)
        {
          char buf[G_ASCII_DTOSTR_BUF_SIZE];

          text = g_strdup (g_ascii_dtostr (buf, sizeof buf, json_node_get_double (value)));
        }
      else
        continue;
      json_builder_set_member_name (builder, path);
      json_builder_add_string_value (builder, text);
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
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
      JsonObject *o = g_ptr_array_index (w->participants, i);
      const char *pid = member_string (o, "id");
      DftRecord  *person;
      DftRecord  *enrollment;
      JsonNode   *consent_node = json_object_get_member (o, "consent");
      gboolean    consent = consent_node != NULL && JSON_NODE_HOLDS_VALUE (consent_node)
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

      enrollment = dft_people_enrollment_for (store, event_id, person, "participant", FALSE, error);
      if (enrollment == NULL)
        return FALSE;
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
      DatasetForm     *form;
      DftRecord       *submission;

      if (sid == NULL || !dft_uuid_is_valid (sid) || answers == NULL
          || !JSON_NODE_HOLDS_OBJECT (answers))
        return bad_dataset (error, _ ("a submission without an id or answers"));
      form = form_for (store, forms, o, error);
      if (form == NULL)
        return FALSE;
      if (dft_record_is_changed (form->record) && !g_hash_table_contains (in_batch, form->record))
        {
          g_hash_table_add (in_batch, form->record);
          g_ptr_array_insert (batch, 0, g_object_ref (form->record));
          stats->forms++;
        }

      submission = dft_store_load_or_new (store, &dft_entity_submission, sid, error);
      if (submission == NULL)
        return FALSE;
      if (dft_record_is_new (submission))
        {
          g_autoptr (DftFormRun) run = dft_form_run_new (form->form, NULL);
          const char            *person = member_string (o, "participant");
          DftScore               score = { 0 };

          /* Final submissions are immutable: only a new one is written. */
          answers_text = answers_for (form->form, json_node_get_object (answers));
          g_object_set (submission, "form-id", dft_record_get_id (form->record), "event-id",
                        event_id, "person-id", person, "status", "final", "answers", answers_text,
                        "started-at", member_string (o, "started"), "finished-at",
                        member_string (o, "finished"), NULL);
          /* A knowledge test is scored and said to be the pre-test or post-test, as the
           * filler does when a person finishes one. */
          if (person != NULL && run != NULL && dft_form_run_load_json (run, answers_text, NULL))
            {
              dft_form_run_score (run, &score);
              if (score.n_scored > 0)
                dft_record_set_real (submission, "score", score.percent);
              if (score.n_scored > 0 && form->form->phase != NULL)
                dft_record_set_string (submission, "phase", form->form->phase);
            }
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
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) dataset_form_free);
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
