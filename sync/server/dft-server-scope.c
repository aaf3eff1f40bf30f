/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "dft-change-log.h"
#include "dft-record.h"
#include "dft-server-scope.h"
#include "dft-store-attachments.h"
#include "dft-wire.h"
#include "dft-store.h"
#include "dft-uuid.h"

/* The quark's name is a string: the formatter would put spaces in it. */
/* clang-format off */
G_DEFINE_QUARK (dft-scope-error-quark, dft_scope_error)
/* clang-format on */

/* A conflict about a conflict is as deep as records go. */
#define MAX_DEPTH 3

typedef struct
{
  gboolean claimed;
  char    *team_id;
} Owner;

struct _DftScope
{
  DftStore     *store;
  DftServerDb  *db;
  char         *device_id;
  DftServerRole role;
  char         *team_id;
  gboolean      everything;

  GHashTable *records;       /* "entity/id" -> DftRecord, new when the store has none */
  GHashTable *owners;        /* record id -> Owner */
  GHashTable *people;        /* person id -> visible (GINT_TO_POINTER (1 or 2)) */
  GHashTable *batch;         /* "entity/id/field" -> value (NULL for JSON null) set in the batch */
  GHashTable *claims;        /* record id -> entity, records this push makes its team's */
  GHashTable *batch_records; /* "entity/id" of every record the batch writes */
  guint       refused;       /* 1 + the index of the change dft_scope_check_push() refused */
  char       *refused_reason;
  GHashTable *fit; /* DftChange * whose values fit (dft_scope_check_values()) */
};

static void
owner_free (gpointer data)
{
  Owner *owner = data;

  g_free (owner->team_id);
  g_free (owner);
}

gboolean
dft_scope_sees_everything (const DftDevice *device)
{
  g_return_val_if_fail (device != NULL, FALSE);
  return device->role == DFT_SERVER_ROLE_ADMIN
         || (device->role == DFT_SERVER_ROLE_COORDINATOR && device->team_id == NULL);
}

DftScope *
dft_scope_new (DftStore *store, DftServerDb *db, const DftDevice *device)
{
  DftScope *scope = g_new0 (DftScope, 1);

  g_return_val_if_fail (DFT_IS_STORE (store) && DFT_IS_SERVER_DB (db) && device != NULL, NULL);

  scope->store = g_object_ref (store);
  scope->db = g_object_ref (db);
  scope->device_id = g_strdup (device->id);
  scope->role = device->role;
  scope->team_id = g_strdup (device->team_id);
  scope->everything = dft_scope_sees_everything (device);
  scope->records = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  scope->owners = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, owner_free);
  scope->people = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  scope->batch = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  scope->claims = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  scope->batch_records = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return scope;
}

void
dft_scope_free (DftScope *scope)
{
  if (scope == NULL)
    return;
  g_object_unref (scope->store);
  g_object_unref (scope->db);
  g_free (scope->device_id);
  g_free (scope->team_id);
  g_hash_table_unref (scope->records);
  g_hash_table_unref (scope->owners);
  g_hash_table_unref (scope->people);
  g_hash_table_unref (scope->batch);
  g_hash_table_unref (scope->claims);
  g_hash_table_unref (scope->batch_records);
  g_clear_pointer (&scope->fit, g_hash_table_unref);
  g_free (scope->refused_reason);
  g_free (scope);
}

static gboolean
forbidden (GError **error, guint n, const char *why)
{
  g_set_error (error, DFT_SCOPE_ERROR, DFT_SCOPE_ERROR_FORBIDDEN,
               /* Translators: %u is the number of a change in a batch; %s says why it is refused */
               _ ("Change %u was refused: %s Nothing of this sync was stored."), n, why);
  return FALSE;
}

guint
dft_scope_get_refused (DftScope *scope, const char **reason)
{
  g_return_val_if_fail (scope != NULL, 0);

  if (reason != NULL)
    *reason = scope->refused_reason;
  return scope->refused;
}

gboolean
dft_scope_prefetch_owners (DftScope *scope, GPtrArray *changes, GError **error)
{
  g_autoptr (GPtrArray)  ids = g_ptr_array_new ();
  g_autoptr (GHashTable) wanted = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) teams = NULL;

  g_return_val_if_fail (scope != NULL && changes != NULL, FALSE);

  for (guint i = 0; i < changes->len; i++)
    {
      DftChange        *change = g_ptr_array_index (changes, i);
      g_autoptr (GList) names = json_object_get_members (change->fields);

      if (!g_hash_table_contains (scope->owners, change->record_id))
        g_hash_table_add (wanted, change->record_id);
      /* Every id a field holds: the records a change refers to. More than needed is harmless. */
      for (GList *l = names; l != NULL; l = l->next)
        {
          JsonNode   *node = json_object_get_member (change->fields, l->data);
          const char *value;

          if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
            continue;
          value = json_node_get_string (node);
          if (dft_uuid_is_valid (value) && !g_hash_table_contains (scope->owners, value))
            g_hash_table_add (wanted, (gpointer) value);
        }
    }
  if (g_hash_table_size (wanted) == 0)
    return TRUE;
  {
    GHashTableIter iter;
    gpointer       key;

    g_hash_table_iter_init (&iter, wanted);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      g_ptr_array_add (ids, key);
  }
  teams = dft_server_db_get_owners (scope->db, ids, error);
  if (teams == NULL)
    return FALSE;
  for (guint i = 0; i < ids->len; i++)
    {
      Owner   *owner = g_new0 (Owner, 1);
      gpointer team = NULL;

      owner->claimed
          = g_hash_table_lookup_extended (teams, g_ptr_array_index (ids, i), NULL, &team);
      owner->team_id = g_strdup (team);
      g_hash_table_insert (scope->owners, g_strdup (g_ptr_array_index (ids, i)), owner);
    }
  return TRUE;
}

void
dft_scope_reset_batch (DftScope *scope)
{
  g_return_if_fail (scope != NULL);

  g_hash_table_remove_all (scope->batch);
  g_hash_table_remove_all (scope->claims);
  g_hash_table_remove_all (scope->batch_records);
  scope->refused = 0;
  g_clear_pointer (&scope->refused_reason, g_free);
}

/* ---- What the store holds ----------------------------------------------- */

/* The record as the server holds it, or a new one when it holds none; NULL on a read error. */
static DftRecord *
held_record (DftScope *scope, const char *entity_name, const char *id, GError **error)
{
  const DftEntity *entity = dft_entity_lookup (entity_name);
  g_autofree char *key = NULL;
  DftRecord       *record;

  if (entity == NULL || id == NULL)
    {
      g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID,
                   /* Translators: %s is what a device sent as a kind of record */
                   _ ("“%s” is not a kind of record."), entity_name != NULL ? entity_name : "");
      return NULL;
    }
  key = g_strconcat (entity_name, "/", id, NULL);
  record = g_hash_table_lookup (scope->records, key);
  if (record != NULL)
    return record;
  record = dft_store_load_or_new (scope->store, entity, id, error);
  if (record == NULL)
    return NULL;
  g_hash_table_insert (scope->records, g_steal_pointer (&key), record);
  return record;
}

static const char *
held_string (DftRecord *record, const char *field)
{
  if (dft_record_is_new (record))
    return NULL;
  return dft_record_get_string (record, field);
}

static const Owner *
owner_of (DftScope *scope, const char *record_id, GError **error)
{
  Owner *owner = g_hash_table_lookup (scope->owners, record_id);

  if (owner != NULL)
    return owner;
  owner = g_new0 (Owner, 1);
  if (!dft_server_db_get_owner (scope->db, record_id, &owner->claimed, &owner->team_id, error))
    {
      owner_free (owner);
      return NULL;
    }
  g_hash_table_insert (scope->owners, g_strdup (record_id), owner);
  return owner;
}

static gboolean
is_own_team (DftScope *scope, const Owner *owner)
{
  return owner->claimed && scope->team_id != NULL
         && g_strcmp0 (owner->team_id, scope->team_id) == 0;
}

/* ---- Pull: what a device may see ---------------------------------------- */

static gboolean record_visible (DftScope   *scope,
                                const char *entity,
                                const char *id,
                                guint       depth,
                                gboolean   *visible,
                                GError    **error);

static gboolean
event_visible (DftScope *scope, const char *event_id, gboolean *visible, GError **error)
{
  const Owner *owner;

  *visible = FALSE;
  if (event_id == NULL)
    return TRUE;
  owner = owner_of (scope, event_id, error);
  if (owner == NULL)
    return FALSE;
  *visible = is_own_team (scope, owner);
  return TRUE;
}

/*
 * A person is seen by the team that registered it (its owner, claimed at the first push), and by
 * a team in one of whose workshops the server holds a live enrollment of the person: only the
 * person's own team, or a coordinator of every team, can make one (see person_writable()), so a
 * person is shared across teams only by someone who may. Read from what the server holds, never
 * from what a batch claims; deleting the enrollment ends the sharing.
 */
static gboolean
person_visible (DftScope *scope, const char *person_id, gboolean *visible, GError **error)
{
  gpointer              cached = g_hash_table_lookup (scope->people, person_id);
  g_autoptr (GPtrArray) enrollments = NULL;
  const Owner          *owner;

  if (cached != NULL)
    {
      *visible = GPOINTER_TO_INT (cached) == 2;
      return TRUE;
    }
  *visible = FALSE;
  if ((owner = owner_of (scope, person_id, error)) == NULL)
    return FALSE;
  if (is_own_team (scope, owner))
    {
      *visible = TRUE;
      g_hash_table_insert (scope->people, g_strdup (person_id), GINT_TO_POINTER (2));
      return TRUE;
    }
  enrollments
      = dft_store_list_records (scope->store, &dft_entity_enrollment,
                                (const char *[]){ "person_id", person_id, NULL }, NULL, 0, error);
  if (enrollments == NULL)
    return FALSE;
  for (guint i = 0; i < enrollments->len && !*visible; i++)
    if (!event_visible (scope,
                        dft_record_get_string (g_ptr_array_index (enrollments, i), "event_id"),
                        visible, error))
      return FALSE;
  g_hash_table_insert (scope->people, g_strdup (person_id), GINT_TO_POINTER (*visible ? 2 : 1));
  return TRUE;
}

/*
 * A form published by a coordinator or an admin (no team owns it) reaches every device; one a
 * trainer made on a laptop (a copied template, an imported form) belongs to the trainer's team
 * and reaches that team.
 */
static gboolean
form_visible (DftScope *scope, const char *form_id, gboolean *visible, GError **error)
{
  const Owner *owner = owner_of (scope, form_id, error);

  if (owner == NULL)
    return FALSE;
  *visible = !owner->claimed || owner->team_id == NULL || is_own_team (scope, owner);
  return TRUE;
}

/* The two people a merge of people, or a pair told apart, is about; NULL for other records. */
static const char *const *
pair_fields (const char *entity)
{
  static const char *const merge[] = { "kept_id", "merged_id", NULL };
  static const char *const distinct[] = { "person_a", "person_b", NULL };

  if (g_str_equal (entity, "person_merge"))
    return merge;
  if (g_str_equal (entity, "person_distinct"))
    return distinct;
  return NULL;
}

/*
 * A merge reaches a device that sees both people, and no other: it holds the values one of
 * them had (kept_before), and a replica applies only a merge of two people it holds.
 */
static gboolean
pair_visible (
    DftScope *scope, const char *entity, const char *id, gboolean *visible, GError **error)
{
  const char *const *fields = pair_fields (entity);
  DftRecord         *record = held_record (scope, entity, id, error);

  *visible = FALSE;
  if (record == NULL)
    return FALSE;
  if (dft_record_is_new (record))
    return TRUE;
  *visible = TRUE;
  for (guint i = 0; fields[i] != NULL && *visible; i++)
    {
      const char *person = held_string (record, fields[i]);

      *visible = FALSE;
      if (person != NULL && !person_visible (scope, person, visible, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
record_visible (DftScope   *scope,
                const char *entity,
                const char *id,
                guint       depth,
                gboolean   *visible,
                GError    **error)
{
  DftRecord *record;

  *visible = FALSE;
  if (scope->everything)
    {
      *visible = TRUE;
      return TRUE;
    }
  if (g_str_equal (entity, "form"))
    return form_visible (scope, id, visible, error);
  if (g_str_equal (entity, "event"))
    return event_visible (scope, id, visible, error);
  if (g_str_equal (entity, "person"))
    return person_visible (scope, id, visible, error);
  if (pair_fields (entity) != NULL)
    return pair_visible (scope, entity, id, visible, error);
  if (depth >= MAX_DEPTH || dft_entity_lookup (entity) == NULL)
    return TRUE;
  if (g_str_equal (entity, "person_unmerge"))
    {
      /* Undoing a merge reaches whom the merge reached. */
      DftRecord  *unmerge = held_record (scope, entity, id, error);
      const char *merge_id;

      if (unmerge == NULL)
        return FALSE;
      merge_id = held_string (unmerge, "merge_id");
      return merge_id == NULL
             || record_visible (scope, "person_merge", merge_id, depth + 1, visible, error);
    }

  record = held_record (scope, entity, id, error);
  if (record == NULL)
    return FALSE;
  if (dft_record_is_new (record))
    return TRUE;

  if (g_str_equal (entity, "session") || g_str_equal (entity, "enrollment"))
    return event_visible (scope, held_string (record, "event_id"), visible, error);
  if (g_str_equal (entity, "attendance"))
    {
      const char *session_id = held_string (record, "session_id");
      return session_id == NULL
             || record_visible (scope, "session", session_id, depth + 1, visible, error);
    }
  if (g_str_equal (entity, "submission"))
    {
      const char  *event_id = held_string (record, "event_id");
      const Owner *owner;

      if (event_id != NULL)
        return event_visible (scope, event_id, visible, error);
      /* Outside any workshop: its team's coordinators see it. */
      if ((owner = owner_of (scope, id, error)) == NULL)
        return FALSE;
      *visible = scope->role == DFT_SERVER_ROLE_COORDINATOR && is_own_team (scope, owner);
      return TRUE;
    }
  if (g_str_equal (entity, "conflict"))
    {
      const char *about = held_string (record, "entity_name");
      const char *about_id = held_string (record, "record_id");

      return about == NULL || about_id == NULL
             || record_visible (scope, about, about_id, depth + 1, visible, error);
    }
  return TRUE;
}

GPtrArray *
dft_scope_filter_pull (DftScope *scope, GPtrArray *changes, GError **error)
{
  g_autoptr (GPtrArray) seen = NULL;

  g_return_val_if_fail (scope != NULL && changes != NULL, NULL);

  seen = g_ptr_array_new ();
  for (guint i = 0; i < changes->len; i++)
    {
      DftChange *change = g_ptr_array_index (changes, i);
      gboolean   visible = FALSE;

      if (!record_visible (scope, change->entity, change->record_id, 0, &visible, error))
        return NULL;
      if (visible)
        g_ptr_array_add (seen, change);
    }
  return g_steal_pointer (&seen);
}

/*
 * A file is seen by a device that may see a live submission naming it, and by no other: a
 * trainer of another team gets the same answer for it as for a file that does not exist.
 */
gboolean
dft_scope_sees_attachment (DftScope *scope, const char *sha256, gboolean *visible, GError **error)
{
  g_autoptr (GPtrArray) submissions = NULL;

  g_return_val_if_fail (scope != NULL && visible != NULL, FALSE);

  *visible = FALSE;
  submissions = dft_store_list_attachment_submissions (scope->store, sha256, error);
  if (submissions == NULL)
    return FALSE;
  for (guint i = 0; i < submissions->len && !*visible; i++)
    if (!record_visible (scope, "submission", g_ptr_array_index (submissions, i), 0, visible,
                         error))
      return FALSE;
  return TRUE;
}

/* ---- Push: what a device may change ------------------------------------- */

static char *
batch_key (const char *entity, const char *id, const char *field)
{
  return g_strconcat (entity, "/", id, "/", field, NULL);
}

/* Remembers the reference fields every change of the batch sets, so a record
 * made earlier or later in the same batch is placed before the store has it. */
static void
note_batch (DftScope *scope, DftChange *change)
{
  static const char *refs[] = { "event_id", "session_id", "person_id", "entity_name", "record_id" };

  g_hash_table_add (scope->batch_records,
                    g_strconcat (change->entity, "/", change->record_id, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (refs); i++)
    {
      JsonNode *node = json_object_get_member (change->fields, refs[i]);

      if (node == NULL)
        continue;
      g_hash_table_insert (scope->batch, batch_key (change->entity, change->record_id, refs[i]),
                           JSON_NODE_HOLDS_VALUE (node)
                                   && json_node_get_value_type (node) == G_TYPE_STRING
                               ? g_strdup (json_node_get_string (node))
                               : NULL);
    }
}

/*
 * Every value a reference field has or will have: what the store holds and
 * what the change sets; when neither says, what the batch sets elsewhere.
 * Both the old and the new value count: moving a record out of a workshop
 * needs the right to both.
 */
static gboolean
ref_values (DftScope   *scope,
            const char *entity,
            const char *id,
            const char *field,
            JsonObject *fields,
            GPtrArray  *out,
            GError    **error)
{
  DftRecord  *record = held_record (scope, entity, id, error);
  const char *held;
  JsonNode   *node = fields != NULL ? json_object_get_member (fields, field) : NULL;

  if (record == NULL)
    return FALSE;
  held = held_string (record, field);
  if (held != NULL)
    g_ptr_array_add (out, g_strdup (held));
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_STRING
      && g_strcmp0 (held, json_node_get_string (node)) != 0)
    g_ptr_array_add (out, g_strdup (json_node_get_string (node)));
  if (out->len == 0)
    {
      g_autofree char *key = batch_key (entity, id, field);
      const char      *batched = g_hash_table_lookup (scope->batch, key);

      if (batched != NULL)
        g_ptr_array_add (out, g_strdup (batched));
    }
  return TRUE;
}

/* A workshop, or a submission outside any, the device may change; an unclaimed one becomes its
 * team's. */
static gboolean
owned_writable (
    DftScope *scope, const char *record_id, const char *entity, gboolean *ok, GError **error)
{
  const Owner *owner;

  if (g_hash_table_contains (scope->claims, record_id))
    {
      *ok = TRUE;
      return TRUE;
    }
  owner = owner_of (scope, record_id, error);
  if (owner == NULL)
    return FALSE;
  if (!owner->claimed)
    {
      g_hash_table_insert (scope->claims, g_strdup (record_id), g_strdup (entity));
      *ok = TRUE;
      return TRUE;
    }
  *ok = scope->everything || is_own_team (scope, owner);
  return TRUE;
}

static gboolean
events_writable (DftScope *scope, GPtrArray *events, gboolean *ok, GError **error)
{
  *ok = events->len > 0 || scope->everything;
  for (guint i = 0; i < events->len && *ok; i++)
    if (!owned_writable (scope, g_ptr_array_index (events, i), "event", ok, error))
      return FALSE;
  return TRUE;
}

static gboolean
person_writable (DftScope *scope, const char *person_id, gboolean *ok, GError **error)
{
  DftRecord *record = held_record (scope, "person", person_id, error);

  if (record == NULL)
    return FALSE;
  if (scope->everything)
    {
      *ok = TRUE;
      return TRUE;
    }
  /* A person the server does not know yet is anyone's to add, and becomes the team's. */
  if (dft_record_is_new (record))
    {
      g_hash_table_insert (scope->claims, g_strdup (person_id), g_strdup ("person"));
      *ok = TRUE;
      return TRUE;
    }
  /* One the device's team registered, or one shared with it (person_visible()); never one
   * that the same batch enrols in a workshop of the team: that would hand any team anyone. */
  return person_visible (scope, person_id, ok, error);
}

/*
 * Coordinators and admins change any form, and what they make is published to every team. A
 * trainer makes forms on the laptop (a copied template, an imported XLSForm): a new one becomes
 * the team's, and the team's trainers may change it; a published form stays read-only to them.
 */
static gboolean
form_writable (DftScope *scope, const char *form_id, gboolean *ok, GError **error)
{
  DftRecord   *record;
  const Owner *owner;

  *ok = TRUE;
  if (scope->role != DFT_SERVER_ROLE_TRAINER)
    return TRUE;
  if (g_hash_table_contains (scope->claims, form_id))
    return TRUE;
  if ((record = held_record (scope, "form", form_id, error)) == NULL)
    return FALSE;
  if (dft_record_is_new (record))
    {
      g_hash_table_insert (scope->claims, g_strdup (form_id), g_strdup ("form"));
      return TRUE;
    }
  if ((owner = owner_of (scope, form_id, error)) == NULL)
    return FALSE;
  *ok = is_own_team (scope, owner);
  return TRUE;
}

/* Every person a change links to (the old value and the new) is one the device may write. */
static gboolean
people_writable (DftScope   *scope,
                 const char *entity,
                 const char *id,
                 JsonObject *fields,
                 gboolean   *ok,
                 GError    **error)
{
  g_autoptr (GPtrArray) people = g_ptr_array_new_with_free_func (g_free);

  *ok = TRUE;
  if (scope->everything)
    return TRUE;
  if (!ref_values (scope, entity, id, "person_id", fields, people, error))
    return FALSE;
  for (guint i = 0; i < people->len && *ok; i++)
    if (!person_writable (scope, g_ptr_array_index (people, i), ok, error))
      return FALSE;
  return TRUE;
}

static gboolean
change_writable (DftScope   *scope,
                 const char *entity,
                 const char *id,
                 JsonObject *fields,
                 guint       depth,
                 gboolean   *ok,
                 GError    **error)
{
  g_autoptr (GPtrArray) refs = g_ptr_array_new_with_free_func (g_free);

  *ok = FALSE;
  if (g_str_equal (entity, "event"))
    return owned_writable (scope, id, "event", ok, error);
  if (g_str_equal (entity, "form"))
    return form_writable (scope, id, ok, error);
  if (g_str_equal (entity, "person"))
    return person_writable (scope, id, ok, error);
  if (g_str_equal (entity, "person_unmerge"))
    {
      /* Undone by whoever may merge the two people again. */
      if (!ref_values (scope, entity, id, "merge_id", fields, refs, error))
        return FALSE;
      *ok = refs->len > 0 || scope->everything;
      for (guint i = 0; i < refs->len && *ok; i++)
        if (!change_writable (scope, "person_merge", g_ptr_array_index (refs, i), NULL, depth + 1,
                              ok, error))
          return FALSE;
      return TRUE;
    }
  if (pair_fields (entity) != NULL)
    {
      const char *const *pair = pair_fields (entity);

      /* Merging people and telling them apart is a coordinator's decision. */
      if (scope->role != DFT_SERVER_ROLE_COORDINATOR && scope->role != DFT_SERVER_ROLE_ADMIN)
        return TRUE;
      *ok = TRUE;
      for (guint i = 0; pair[i] != NULL && *ok; i++)
        {
          g_autoptr (GPtrArray) people = g_ptr_array_new_with_free_func (g_free);

          if (!ref_values (scope, entity, id, pair[i], fields, people, error))
            return FALSE;
          *ok = people->len > 0;
          for (guint j = 0; j < people->len && *ok; j++)
            if (!person_writable (scope, g_ptr_array_index (people, j), ok, error))
              return FALSE;
        }
      return TRUE;
    }
  if (depth >= MAX_DEPTH)
    return TRUE;

  if (g_str_equal (entity, "session"))
    return ref_values (scope, entity, id, "event_id", fields, refs, error)
           && events_writable (scope, refs, ok, error);
  if (g_str_equal (entity, "enrollment"))
    {
      /* The workshop and the person: enrolling someone is writing about them. */
      if (!ref_values (scope, entity, id, "event_id", fields, refs, error)
          || !events_writable (scope, refs, ok, error))
        return FALSE;
      return !*ok || people_writable (scope, entity, id, fields, ok, error);
    }

  if (g_str_equal (entity, "attendance"))
    {
      if (!ref_values (scope, entity, id, "session_id", fields, refs, error))
        return FALSE;
      *ok = refs->len > 0 || scope->everything;
      for (guint i = 0; i < refs->len && *ok; i++)
        if (!change_writable (scope, "session", g_ptr_array_index (refs, i), NULL, depth + 1, ok,
                              error))
          return FALSE;
      return !*ok || people_writable (scope, entity, id, fields, ok, error);
    }

  if (g_str_equal (entity, "submission"))
    {
      JsonNode   *node = fields != NULL ? json_object_get_member (fields, "event_id") : NULL;
      DftRecord  *record = held_record (scope, entity, id, error);
      const char *held;
      gboolean    detached;

      if (record == NULL || !ref_values (scope, entity, id, "event_id", fields, refs, error))
        return FALSE;
      held = held_string (record, "event_id");
      /* After this change, is it outside any workshop? */
      if (node != NULL)
        detached = JSON_NODE_HOLDS_NULL (node);
      else
        detached = held == NULL && refs->len == 0;
      *ok = TRUE;
      for (guint i = 0; i < refs->len && *ok; i++)
        if (!owned_writable (scope, g_ptr_array_index (refs, i), "event", ok, error))
          return FALSE;
      if (*ok && detached && !owned_writable (scope, id, "submission", ok, error))
        return FALSE;
      return !*ok || people_writable (scope, entity, id, fields, ok, error);
    }

  if (g_str_equal (entity, "conflict"))
    {
      g_autoptr (GPtrArray) about = g_ptr_array_new_with_free_func (g_free);

      if (!ref_values (scope, entity, id, "entity_name", fields, about, error)
          || !ref_values (scope, entity, id, "record_id", fields, refs, error))
        return FALSE;
      /* Fixed fields: one value each, or the change is not about one record. */
      if (about->len != 1 || refs->len != 1)
        {
          *ok = scope->everything;
          return TRUE;
        }
      return change_writable (scope, g_ptr_array_index (about, 0), g_ptr_array_index (refs, 0),
                              NULL, depth + 1, ok, error);
    }

  *ok = scope->everything;
  return TRUE;
}

/*
 * Every reference a change sets names a record the server holds or the batch
 * writes. The store's foreign keys would refuse the batch anyway, but only at
 * commit and as a database failure; this says which change is wrong.
 */
static gboolean
references_known (DftScope *scope, DftChange *change, guint n, GError **error)
{
  const DftEntity  *entity = dft_entity_lookup (change->entity);
  g_autoptr (GList) names = json_object_get_members (change->fields);

  for (GList *l = names; l != NULL; l = l->next)
    {
      int              index = dft_entity_field_index (entity, l->data);
      const DftField  *field = index >= 0 ? &entity->fields[index] : NULL;
      JsonNode        *node = json_object_get_member (change->fields, l->data);
      const char      *target;
      g_autofree char *key = NULL;
      DftRecord       *record;

      if (field == NULL || field->type != DFT_FIELD_REF || !JSON_NODE_HOLDS_VALUE (node)
          || json_node_get_value_type (node) != G_TYPE_STRING)
        continue;
      target = json_node_get_string (node);
      key = g_strconcat (field->ref_entity, "/", target, NULL);
      if (g_hash_table_contains (scope->batch_records, key))
        continue;
      record = held_record (scope, field->ref_entity, target, error);
      if (record == NULL)
        return FALSE;
      if (dft_record_is_new (record))
        {
          g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID,
                       /* Translators: %u is the number of a change in a batch, %s a field name */
                       _ ("Change %u refers in “%s” to a record the server does not have; nothing "
                          "of this sync was stored."),
                       n, (const char *) l->data);
          return FALSE;
        }
    }
  return TRUE;
}

/*
 * Every value fits its field (a name is not 30 MB): checked at the door, before anything is
 * stored, since one record too big to pull would stop every device of the team.
 */
static gboolean
values_fit (DftChange *change, char **why)
{
  const DftEntity  *entity = dft_entity_lookup (change->entity);
  g_autoptr (GList) names = json_object_get_members (change->fields);

  for (GList *l = names; l != NULL; l = l->next)
    {
      int       index = dft_entity_field_index (entity, l->data);
      JsonNode *node = json_object_get_member (change->fields, l->data);
      gsize max = index >= 0 ? dft_field_max_length (&entity->fields[index]) : DFT_FIELD_MAX_TEXT;

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
          && strlen (json_node_get_string (node)) > max)
        {
          g_autofree char *size = g_format_size (max);

          /* Translators: the first %s is a field's name, the second a size such as "2.1 MB" */
          *why = g_strdup_printf (_ ("its “%s” is longer than the %s a record may hold."),
                                  (const char *) l->data, size);
          return FALSE;
        }
      if (index >= 0 && entity->fields[index].type == DFT_FIELD_JSON && JSON_NODE_HOLDS_VALUE (node)
          && json_node_get_value_type (node) == G_TYPE_STRING)
        {
          g_autoptr (JsonParser) parser = json_parser_new ();
          const char            *text = json_node_get_string (node);

          if (!dft_wire_json_depth_ok (text, strlen (text), DFT_WIRE_MAX_DEPTH)
              || !dft_wire_json_strict (text, strlen (text))
              || !json_parser_load_from_data (parser, text, -1, NULL))
            {
              /* Translators: %s is a field's name */
              *why = g_strdup_printf (_ ("its “%s” is not valid JSON."), (const char *) l->data);
              return FALSE;
            }
        }
    }
  return TRUE;
}

void
dft_scope_check_values (DftScope *scope, GPtrArray *changes)
{
  g_return_if_fail (scope != NULL && changes != NULL);

  g_clear_pointer (&scope->fit, g_hash_table_unref);
  scope->fit = g_hash_table_new (NULL, NULL);
  for (guint i = 0; i < changes->len; i++)
    {
      DftChange       *change = g_ptr_array_index (changes, i);
      g_autofree char *why = NULL;

      if (dft_entity_lookup (change->entity) != NULL && values_fit (change, &why))
        g_hash_table_add (scope->fit, change);
    }
}

/* values_fit(), answered by dft_scope_check_values() when it saw @change fit. */
static gboolean
scope_values_fit (DftScope *scope, DftChange *change, char **why)
{
  if (scope->fit != NULL && g_hash_table_contains (scope->fit, change))
    return TRUE;
  return values_fit (change, why);
}

/* A change that marks a conflict resolved: a coordinator's decision (dft-store-conflicts.h). */
static gboolean
resolves_conflict (DftChange *change)
{
  JsonNode *node = json_object_get_member (change->fields, "resolved");

  return g_str_equal (change->entity, "conflict") && node != NULL && JSON_NODE_HOLDS_VALUE (node)
         && json_node_get_value_type (node) == G_TYPE_BOOLEAN && json_node_get_boolean (node);
}

gboolean
dft_scope_check_push (DftScope  *scope,
                      GPtrArray *changes,
                      GPtrArray *claim_ids,
                      GPtrArray *claim_entities,
                      GError   **error)
{
  GHashTableIter iter;
  gpointer       key, value;

  g_return_val_if_fail (scope != NULL && changes != NULL, FALSE);
  g_return_val_if_fail (claim_ids != NULL && claim_entities != NULL, FALSE);

  for (guint i = 0; i < changes->len; i++)
    {
      DftChange *change = g_ptr_array_index (changes, i);

      if (g_strcmp0 (change->device_id, scope->device_id) != 0)
        return forbidden (error, i + 1,
                          _ ("it was made by another device, and a device sends only its own "
                             "changes."));
      note_batch (scope, change);
    }

  for (guint i = 0; i < changes->len; i++)
    {
      DftChange       *change = g_ptr_array_index (changes, i);
      gboolean         ok = FALSE;
      const char      *why = NULL;
      g_autofree char *too_big = NULL;

      if (dft_entity_lookup (change->entity) == NULL)
        {
          g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID,
                       /* Translators: %u is the number of a change in a batch */
                       _ ("Change %u is for an unknown kind of record."), i + 1);
          why = _ ("it is for a kind of record this server does not know.");
        }
      else if (!scope_values_fit (scope, change, &too_big))
        {
          why = too_big;
          g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID,
                       /* Translators: %u is the number of a change in a batch; %s says why */
                       _ ("Change %u was refused: %s"), i + 1, why);
        }
      else if (resolves_conflict (change) && scope->role != DFT_SERVER_ROLE_ADMIN
               && scope->role != DFT_SERVER_ROLE_COORDINATOR)
        {
          /* A trainer's device receives decisions and never makes one, whatever its own
           * copy of the role says. */
          why = _ ("only coordinators and administrators decide a conflict; it stays open "
                   "until one does.");
          forbidden (error, i + 1, why);
        }
      else if (!change_writable (scope, change->entity, change->record_id, change->fields, 0, &ok,
                                 error))
        return FALSE; /* the server's own failure: nothing of this change is to blame */
      else if (ok && !references_known (scope, change, i + 1, error))
        why = _ ("it refers to a record the server does not have.");
      else if (!ok)
        {
          if (g_str_equal (change->entity, "form"))
            why = _ ("trainers do not change a form a coordinator published; copy it to make a "
                     "form of your team’s.");
          else if ((pair_fields (change->entity) != NULL
                    || g_str_equal (change->entity, "person_unmerge"))
                   && scope->role != DFT_SERVER_ROLE_COORDINATOR
                   && scope->role != DFT_SERVER_ROLE_ADMIN)
            why = _ ("only a coordinator or an administrator merges people or tells them apart.");
          else
            why = _ ("it is about a record outside this device’s team, or one the server "
                     "cannot place in a workshop.");
          forbidden (error, i + 1, why);
        }
      if (why != NULL)
        {
          /* This change alone is to blame: the caller may set it aside and try the rest. */
          scope->refused = i + 1;
          g_free (scope->refused_reason);
          scope->refused_reason = g_strdup (why);
          return FALSE;
        }
    }

  g_hash_table_iter_init (&iter, scope->claims);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_ptr_array_add (claim_ids, g_strdup (key));
      g_ptr_array_add (claim_entities, g_strdup (value));
    }
  return TRUE;
}

/*
 * A relayed batch holds changes other devices made, which this device
 * received and the server lost (sync/PROTOCOL.md, "Restores"). The device may
 * relay only changes it could push itself: each change is checked as if it
 * were the device's own, and those it may not make are left out rather than
 * refusing the batch, since what a device may see is wider than what it may
 * change (forms, for a trainer).
 */
GPtrArray *
dft_scope_filter_relay (DftScope  *scope,
                        GPtrArray *changes,
                        GPtrArray *claim_ids,
                        GPtrArray *claim_entities,
                        guint     *skipped,
                        GError   **error)
{
  g_autoptr (GPtrArray) kept = NULL;
  GHashTableIter        iter;
  gpointer              key, value;

  g_return_val_if_fail (scope != NULL && changes != NULL && skipped != NULL, NULL);

  kept = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
  for (guint i = 0; i < changes->len; i++)
    {
      DftChange         *change = g_ptr_array_index (changes, i);
      g_autoptr (GError) local_error = NULL;
      gboolean           ok = FALSE;

      /* In the relaying device's order, a record comes before what refers to it. */
      note_batch (scope, change);
      if (dft_entity_lookup (change->entity) == NULL || !dft_uuid_is_valid (change->device_id))
        ok = FALSE;
      else if (!change_writable (scope, change->entity, change->record_id, change->fields, 0, &ok,
                                 error))
        return NULL;
      if (ok && !references_known (scope, change, i + 1, &local_error))
        {
          if (!g_error_matches (local_error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return NULL;
            }
          ok = FALSE;
        }
      if (!ok)
        {
          g_autofree char *record = g_strconcat (change->entity, "/", change->record_id, NULL);

          g_hash_table_remove (scope->batch_records, record);
          (*skipped)++;
          continue;
        }
      g_ptr_array_add (kept, g_ptr_array_steal_index (changes, i));
      g_ptr_array_insert (changes, (gint) i, NULL);
    }

  g_hash_table_iter_init (&iter, scope->claims);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_ptr_array_add (claim_ids, g_strdup (key));
      g_ptr_array_add (claim_entities, g_strdup (value));
    }
  return g_steal_pointer (&kept);
}

/* ---- Moves: a workshop given to another team ----------------------------- */

static char *
scope_key (const char *team_id)
{
  return g_strconcat ("scope/", team_id, NULL);
}

/*
 * A device's pull cursor passed the records of a workshop while it belonged
 * to another team. Each move into a team gives that team a new mark; a device
 * that sees its team's mark change pulls again from the start (what it holds
 * already is recognised as such), so existing devices receive a moved
 * workshop on their next sync, not only new ones.
 */
gboolean
dft_scope_note_move (DftStore *store, const char *team_id, GError **error)
{
  g_autofree char *key = NULL;
  g_autofree char *mark = dft_uuid_v7_new ();

  g_return_val_if_fail (DFT_IS_STORE (store) && team_id != NULL, FALSE);
  key = scope_key (team_id);
  return dft_store_set_sync_state (store, key, mark, error);
}

char *
dft_scope_mark (DftStore *store, const DftDevice *device, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char   *key = NULL;
  char              *mark;

  g_return_val_if_fail (DFT_IS_STORE (store) && device != NULL, NULL);
  if (device->team_id == NULL || dft_scope_sees_everything (device))
    return g_strdup ("");
  key = scope_key (device->team_id);
  mark = dft_store_get_sync_state (store, key, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return mark != NULL ? mark : g_strdup ("");
}
