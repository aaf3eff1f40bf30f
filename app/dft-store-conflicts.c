/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The conflicts a coordinator decides. A merge keeps the value that lost as a conflict
 * record (dft-store-sync.c); here they are read as a person needs them (the record, the
 * field, both values, who wrote each and when) and decided. Deciding is a save like any
 * other, through _dft_store_save_prepared(): the chosen value is written to the record and
 * validated as a save is, and the conflict marked resolved, in one transaction, so both sync
 * as ordinary changes. What the decision depends on (the role, the conflict still open, the
 * record still there) is read inside that transaction.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "dft-record-private.h"
#include "dft-store-conflicts.h"
#include "dft-store-merges.h"
#include "dft-store-internal.h"

void
dft_conflict_view_free (DftConflictView *view)
{
  if (view == NULL)
    return;
  g_free (view->id);
  g_free (view->entity_name);
  g_free (view->entity_label);
  g_free (view->record_id);
  g_free (view->record_title);
  g_free (view->field);
  g_free (view->field_label);
  g_free (view->current_value);
  g_free (view->current_device);
  g_free (view->other_value);
  g_free (view->other_device);
  g_free (view);
}

char *
dft_conflict_value_describe (const char *json)
{
  g_autoptr (JsonNode) node = json != NULL ? json_from_string (json, NULL) : NULL;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strdup (_ ("(empty)"));
  if (JSON_NODE_HOLDS_VALUE (node))
    switch (json_node_get_value_type (node))
      {
      case G_TYPE_BOOLEAN:
        return g_strdup (json_node_get_boolean (node) ? _ ("yes") : _ ("no"));
      case G_TYPE_STRING:
        if (*json_node_get_string (node) == '\0')
          return g_strdup (_ ("(empty)"));
        return g_strdup (json_node_get_string (node));
      default:
        break;
      }
  return json_to_string (node, FALSE);
}

static char *
joined_name (DftRecord *person)
{
  const char *given = dft_record_get_string (person, "given_name");
  const char *family = dft_record_get_string (person, "family_name");

  return g_strstrip (
      g_strdup_printf ("%s %s", given != NULL ? given : "", family != NULL ? family : ""));
}

/* What a person calls @record: a name, a title, a date; NULL when it has none of these. */
static char *
record_title (DftStore *self, DftRecord *record)
{
  const DftEntity *entity = dft_record_get_entity (record);
  g_autofree char *title = NULL;

  if (entity == &dft_entity_person)
    title = joined_name (record);
  else if (entity == &dft_entity_event || entity == &dft_entity_form)
    title = g_strdup (dft_record_get_string (record, "title"));
  else if (entity == &dft_entity_session)
    title = g_strdup (dft_record_get_string (record, "date"));
  else if (dft_entity_field_index (entity, "person_id") >= 0
           && dft_record_get_string (record, "person_id") != NULL)
    {
      /* An enrollment, a mark, a submission: whose it is. */
      g_autoptr (DftRecord) person = dft_store_load (
          self, &dft_entity_person, dft_record_get_string (record, "person_id"), NULL);

      if (person != NULL)
        title = joined_name (person);
    }
  if (title == NULL || *title == '\0')
    return NULL;
  return g_steal_pointer (&title);
}

/* What @record holds in @field, as a change carries it ("deleted" is a field too). */
static JsonNode *
held_value (DftRecord *record, const char *field)
{
  const DftEntity *entity = dft_record_get_entity (record);
  int              index = dft_entity_field_index (entity, field);

  if (index < 0)
    return json_node_init_boolean (json_node_alloc (), dft_record_get_deleted (record));
  return _dft_store_value_to_json (&entity->fields[index],
                                   dft_record_get_value (record, (guint) index));
}

/* The record a conflict is decided on: a person merged away since is decided on the person
 * who stands for them now (dft-store-merges.h), whose value it is now. */
static char *
decided_on (DftStore *self, const DftEntity *entity, const char *record_id)
{
  if (entity == &dft_entity_person && record_id != NULL)
    return dft_store_survivor_of (self, record_id);
  return g_strdup (record_id);
}

static DftConflictView *
view_new (DftStore *self, DftRecord *conflict, GError **error)
{
  g_autoptr (DftConflictView) view = g_new0 (DftConflictView, 1);
  const char                 *entity_name = dft_record_get_string (conflict, "entity_name");
  const DftEntity            *entity = dft_entity_lookup (entity_name);
  g_autoptr (DftRecord)       record = NULL;
  g_auto (DftVersion)         held = { 0 };
  DftVersion                  lost = { 0 };
  int                         index;

  view->id = g_strdup (dft_record_get_id (conflict));
  view->entity_name = g_strdup (entity_name);
  view->record_id = decided_on (self, entity, dft_record_get_string (conflict, "record_id"));
  view->field = g_strdup (dft_record_get_string (conflict, "field"));
  view->other_value = g_strdup (dft_record_get_string (conflict, "lost_value"));
  if (dft_version_parse (dft_record_get_string (conflict, "lost_version"), &lost))
    {
      view->other_device = g_steal_pointer (&lost.device);
      view->other_ms = dft_hlc_value_ms (lost.hlc);
    }

  if (entity == NULL)
    {
      /* Made by a newer version of Daftari: shown as it is. */
      view->entity_label = g_strdup (entity_name);
      view->field_label = g_strdup (view->field);
      view->record_title = g_strdup (view->record_id);
      return g_steal_pointer (&view);
    }
  view->entity_label = g_strdup (_ (entity->label));
  index = dft_entity_field_index (entity, view->field);
  view->field_label = g_strdup (index >= 0 ? _ (entity->fields[index].label)
                                : g_str_equal (view->field, "deleted") ? _ ("Deleted")
                                                                       : view->field);

  record = dft_store_load (self, entity, view->record_id, NULL);
  if (record != NULL)
    {
      g_autoptr (JsonNode) current = held_value (record, view->field);

      view->record_title = record_title (self, record);
      view->current_value = json_to_string (current, FALSE);
    }
  if (view->record_title == NULL)
    view->record_title = g_strdup (view->record_id);
  if (!_dft_store_read_field_version (self, entity->name, view->record_id, view->field, &held, NULL,
                                      error))
    return NULL;
  if (held.device != NULL)
    {
      view->current_device = g_strdup (held.device);
      view->current_ms = dft_hlc_value_ms (held.hlc);
    }
  return g_steal_pointer (&view);
}

static int
compare_newest_first (gconstpointer a, gconstpointer b)
{
  const DftConflictView *x = *(DftConflictView *const *) a;
  const DftConflictView *y = *(DftConflictView *const *) b;
  gint64                 x_ms = MAX (x->current_ms, x->other_ms);
  gint64                 y_ms = MAX (y->current_ms, y->other_ms);

  if (x_ms != y_ms)
    return x_ms > y_ms ? -1 : 1;
  return strcmp (x->id, y->id);
}

GPtrArray *
dft_store_list_open_conflicts (DftStore *self, GError **error)
{
  g_autoptr (GPtrArray) conflicts = NULL;
  g_autoptr (GPtrArray) views = NULL;

  g_return_val_if_fail (DFT_IS_STORE (self), NULL);

  /* One read: the conflicts and the records they are about as one moment holds them. */
  _dft_store_lock (self);
  conflicts = _dft_store_query (self, &dft_entity_conflict, "deleted = 0 AND resolved = 0", NULL,
                                "id", error);
  if (conflicts == NULL)
    {
      _dft_store_unlock (self);
      return NULL;
    }
  views = g_ptr_array_new_full (conflicts->len, (GDestroyNotify) dft_conflict_view_free);
  for (guint i = 0; i < conflicts->len; i++)
    {
      DftConflictView *view = view_new (self, g_ptr_array_index (conflicts, i), error);

      if (view == NULL)
        {
          _dft_store_unlock (self);
          return NULL;
        }
      g_ptr_array_add (views, view);
    }
  _dft_store_unlock (self);
  /* Newest first: by the later of the two writes, which is when the conflict arose. */
  g_ptr_array_sort (views, compare_newest_first);
  return g_steal_pointer (&views);
}

/* ---- Deciding --------------------------------------------------------- */

typedef struct
{
  const char       *id;
  DftConflictChoice choice;
  const char       *new_value;
} Decision;

static gboolean
refuse (GError **error, int code, const char *message)
{
  g_set_error_literal (error, DFT_STORE_ERROR, code, message);
  return FALSE;
}

/* @text as a person typed it, as a change would carry it for a field of @type. */
static JsonNode *
typed_value (DftFieldType type, const char *label, const char *text, GError **error)
{
  g_autofree char *folded = NULL;

  if (text == NULL || *text == '\0')
    return json_node_init_null (json_node_alloc ());
  if (type == DFT_FIELD_INT)
    {
      gint64 n;

      if (g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, &n, NULL))
        return json_node_init_int (json_node_alloc (), n);
    }
  else if (type == DFT_FIELD_REAL)
    {
      char  *end = NULL;
      double d = g_ascii_strtod (text, &end);

      if (end != text && *end == '\0' && isfinite (d))
        return json_node_init_double (json_node_alloc (), d);
    }
  else if (type == DFT_FIELD_BOOL)
    {
      folded = g_utf8_casefold (text, -1);
      if (g_str_equal (folded, "true") || g_str_equal (folded, "yes") || g_str_equal (folded, "1")
          || g_str_equal (folded, _ ("yes")))
        return json_node_init_boolean (json_node_alloc (), TRUE);
      if (g_str_equal (folded, "false") || g_str_equal (folded, "no") || g_str_equal (folded, "0")
          || g_str_equal (folded, _ ("no")))
        return json_node_init_boolean (json_node_alloc (), FALSE);
    }
  else
    return json_node_init_string (json_node_alloc (), text);
  g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID,
               /* Translators: first %s is a value typed, second a field's name */
               _ ("“%s” is not a value “%s” can hold: it takes %s."), text, label,
               type == DFT_FIELD_INT    ? _ ("a whole number")
               : type == DFT_FIELD_REAL ? _ ("a number")
                                        : _ ("yes or no"));
  return NULL;
}

/* Sets @field of @record to @node; FALSE with an error when it does not fit the field. */
static gboolean
set_field (DftRecord *record, const char *field, JsonNode *node, GError **error)
{
  const DftEntity *entity = dft_record_get_entity (record);
  int              index = dft_entity_field_index (entity, field);
  g_auto (GValue)  value = G_VALUE_INIT;

  if (index < 0)
    {
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
        return refuse (error, DFT_STORE_ERROR_INVALID,
                       _ ("Whether a record is deleted takes yes or no."));
      _dft_record_set_deleted (record, json_node_get_boolean (node));
      return TRUE;
    }
  g_value_init (&value, G_VALUE_TYPE (dft_record_get_value (record, (guint) index)));
  /* Text of any kind (a date, a choice, a reference) is checked by the save, with the
   * message a save gives; the other types must fit here. */
  if (G_VALUE_HOLDS_STRING (&value) && JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_STRING)
    g_value_set_string (&value, json_node_get_string (node));
  else if (!_dft_store_json_to_value (&entity->fields[index], node, &value))
    {
      g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID,
                   /* Translators: %s is a field's name */
                   _ ("The value is not one “%s” can hold; nothing was changed."),
                   _ (entity->fields[index].label));
      return FALSE;
    }
  dft_record_set_value (record, (guint) index, &value);
  return TRUE;
}

/* Inside the save's transaction: checks the decision and puts what it writes into @batch. */
static gboolean
prepare_decision (DftStore *self, GPtrArray *batch, gpointer user_data, GError **error)
{
  Decision             *decision = user_data;
  g_autofree char      *role = NULL;
  g_autoptr (GError)    local_error = NULL;
  g_autoptr (DftRecord) conflict = NULL;
  g_autoptr (DftRecord) record = NULL;
  const DftEntity      *entity;
  const char           *field;

  role = dft_store_get_sync_state (self, "role", error);
  if (role == NULL && error != NULL && *error != NULL)
    return FALSE;
  /* A laptop never signed in is one person's: it decides its own conflicts. */
  if (role != NULL && *role != '\0' && !g_str_equal (role, "admin")
      && !g_str_equal (role, "coordinator"))
    return refuse (error, DFT_STORE_ERROR_NOT_ALLOWED,
                   _ ("Only a coordinator or an administrator can resolve a conflict; this "
                      "device is signed in as a trainer. Nothing was changed."));

  conflict = dft_store_load (self, &dft_entity_conflict, decision->id, &local_error);
  if (conflict == NULL || dft_record_get_deleted (conflict))
    {
      if (local_error != NULL
          && !g_error_matches (local_error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND,
                   /* Translators: %s is the id of a conflict */
                   _ ("There is no conflict with the id %s; “daftari-cli conflicts” lists "
                      "them. Nothing was changed."),
                   decision->id);
      return FALSE;
    }
  if (dft_record_get_bool (conflict, "resolved"))
    return refuse (error, DFT_STORE_ERROR_INVALID,
                   _ ("This conflict was already resolved. Nothing was changed."));

  entity = dft_entity_lookup (dft_record_get_string (conflict, "entity_name"));
  field = dft_record_get_string (conflict, "field");
  if (entity == NULL || field == NULL
      || (dft_entity_field_index (entity, field) < 0 && !g_str_equal (field, "deleted")))
    return refuse (error, DFT_STORE_ERROR_INVALID,
                   _ ("This conflict is about a kind of record or a field this version of "
                      "Daftari does not know. Nothing was changed."));
  {
    g_autofree char *record_id
        = decided_on (self, entity, dft_record_get_string (conflict, "record_id"));
    record = dft_store_load (self, entity, record_id, NULL);
  }
  /* A conflict about whether the record is deleted is decided on the deleted record. */
  if (record == NULL || (dft_record_get_deleted (record) && !g_str_equal (field, "deleted")))
    {
      g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID,
                   /* Translators: %s is a kind of record, e.g. "person" */
                   _ ("The %s this conflict is about was deleted, so there is no value to "
                      "decide. Nothing was changed."),
                   _ (entity->label));
      return FALSE;
    }

  if (decision->choice != DFT_CONFLICT_KEEP_CURRENT)
    {
      g_autoptr (JsonNode) node = NULL;

      if (decision->choice == DFT_CONFLICT_KEEP_OTHER)
        node = json_from_string (dft_record_get_string (conflict, "lost_value"), NULL);
      else
        {
          int index = dft_entity_field_index (entity, field);

          node = typed_value (index >= 0 ? entity->fields[index].type : DFT_FIELD_BOOL,
                              index >= 0 ? _ (entity->fields[index].label) : _ ("Deleted"),
                              decision->new_value, error);
          if (node == NULL)
            return FALSE;
        }
      if (node == NULL)
        node = json_node_init_null (json_node_alloc ());
      if (!set_field (record, field, node, error))
        return FALSE;
      g_ptr_array_add (batch, g_object_ref (record));
    }

  dft_record_set_bool (conflict, "resolved", TRUE);
  g_ptr_array_add (batch, g_object_ref (conflict));
  return TRUE;
}

gboolean
dft_store_resolve_conflict (
    DftStore *self, const char *id, DftConflictChoice choice, const char *new_value, GError **error)
{
  Decision decision = { id, choice, new_value };

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);
  g_return_val_if_fail (choice <= DFT_CONFLICT_NEW_VALUE, FALSE);

  return _dft_store_save_prepared (self, NULL, 0, prepare_decision, &decision, error);
}
