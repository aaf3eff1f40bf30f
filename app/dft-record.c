/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "dft-record-private.h"

typedef struct
{
  char    *id;
  char    *created_at;
  char    *updated_at;
  gboolean deleted;
  gboolean deleted_changed;
  gboolean is_new;
  guint64  changed; /* one bit per field index */
  GValue  *values;
  /* What this copy of the record has seen: the store's change-log position
   * when it was read (0: unknown), and the version of each field it wrote
   * since, so that a save names as its base the version the user saw. */
  gint64      read_seq;
  GHashTable *seen;
} DftRecordPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (DftRecord, dft_record, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_ID,
  PROP_CREATED_AT,
  PROP_UPDATED_AT,
  PROP_DELETED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GType
value_type_for_field (const DftField *field)
{
  switch (field->type)
    {
    case DFT_FIELD_INT:
      return G_TYPE_INT64;
    case DFT_FIELD_REAL:
      return G_TYPE_DOUBLE;
    case DFT_FIELD_BOOL:
      return G_TYPE_BOOLEAN;
    case DFT_FIELD_TEXT:
    case DFT_FIELD_DATE:
    case DFT_FIELD_TIME:
    case DFT_FIELD_CHOICE:
    case DFT_FIELD_REF:
    case DFT_FIELD_JSON:
    case DFT_FIELD_STAMP:
    default:
      return G_TYPE_STRING;
    }
}

static gboolean
values_equal (const GValue *a, const GValue *b)
{
  switch (G_VALUE_TYPE (a))
    {
    case G_TYPE_STRING:
      return g_strcmp0 (g_value_get_string (a), g_value_get_string (b)) == 0;
    case G_TYPE_INT64:
      return g_value_get_int64 (a) == g_value_get_int64 (b);
    case G_TYPE_DOUBLE:
      {
        double x = g_value_get_double (a), y = g_value_get_double (b);
        return (isnan (x) && isnan (y)) || x == y;
      }
    case G_TYPE_BOOLEAN:
      return !g_value_get_boolean (a) == !g_value_get_boolean (b);
    default:
      g_assert_not_reached ();
    }
}

static DftRecordPrivate *
get_priv (DftRecord *self)
{
  return dft_record_get_instance_private (self);
}

static void
dft_record_finalize (GObject *object)
{
  DftRecord        *self = DFT_RECORD (object);
  DftRecordPrivate *priv = get_priv (self);
  const DftEntity  *entity = DFT_RECORD_GET_CLASS (self)->entity;

  for (guint i = 0; priv->values != NULL && i < entity->n_fields; i++)
    g_value_unset (&priv->values[i]);
  g_free (priv->values);
  g_free (priv->id);
  g_free (priv->created_at);
  g_free (priv->updated_at);
  g_clear_pointer (&priv->seen, g_hash_table_unref);

  G_OBJECT_CLASS (dft_record_parent_class)->finalize (object);
}

static void
dft_record_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  DftRecordPrivate *priv = get_priv (DFT_RECORD (object));

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, priv->id);
      break;
    case PROP_CREATED_AT:
      g_value_set_string (value, priv->created_at);
      break;
    case PROP_UPDATED_AT:
      g_value_set_string (value, priv->updated_at);
      break;
    case PROP_DELETED:
      g_value_set_boolean (value, priv->deleted);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/*
 * The values are made here, not in init: while a base class's init runs,
 * GObject presents the instance as that base class, and only the final
 * class knows the entity.
 */
static void
dft_record_constructed (GObject *object)
{
  DftRecord        *self = DFT_RECORD (object);
  DftRecordPrivate *priv = get_priv (self);
  const DftEntity  *entity = DFT_RECORD_GET_CLASS (self)->entity;

  G_OBJECT_CLASS (dft_record_parent_class)->constructed (object);

  g_assert (entity != NULL);
  g_assert (entity->n_fields <= 64);
  priv->values = g_new0 (GValue, entity->n_fields);
  for (guint i = 0; i < entity->n_fields; i++)
    {
      g_value_init (&priv->values[i], value_type_for_field (&entity->fields[i]));
      if (entity->fields[i].type == DFT_FIELD_REAL)
        g_value_set_double (&priv->values[i], NAN);
    }
}

static void
dft_record_class_init (DftRecordClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = dft_record_constructed;
  object_class->finalize = dft_record_finalize;
  object_class->get_property = dft_record_get_property;

  properties[PROP_ID]
      = g_param_spec_string ("id", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CREATED_AT] = g_param_spec_string ("created-at", NULL, NULL, NULL,
                                                     G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_UPDATED_AT] = g_param_spec_string ("updated-at", NULL, NULL, NULL,
                                                     G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_DELETED]
      = g_param_spec_boolean ("deleted", NULL, NULL, FALSE,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dft_record_init (DftRecord *self)
{
  get_priv (self)->is_new = TRUE;
}

/* Field properties of the subclasses: property id N is field index N - 1. */
static void
field_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  g_value_copy (&get_priv (DFT_RECORD (object))->values[prop_id - 1], value);
}

static void
field_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  dft_record_set_value (DFT_RECORD (object), prop_id - 1, value);
}

static void
install_fields (DftRecordClass *klass, const DftEntity *entity)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  klass->entity = entity;
  object_class->get_property = field_get_property;
  object_class->set_property = field_set_property;

  for (guint i = 0; i < entity->n_fields; i++)
    {
      const DftField  *field = &entity->fields[i];
      GParamFlags      flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY;
      g_autofree char *dashed = g_strdelimit (g_strdup (field->name), "_", '-');
      /* Property names live as long as the program, like the schema they come from. */
      const char *name = g_intern_string (dashed);
      GParamSpec *pspec;

      switch (value_type_for_field (field))
        {
        case G_TYPE_INT64:
          pspec = g_param_spec_int64 (name, NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
          break;
        case G_TYPE_DOUBLE:
          /* NaN (no value) cannot be a declared default; new records still start at NaN. */
          pspec = g_param_spec_double (name, NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, flags);
          break;
        case G_TYPE_BOOLEAN:
          pspec = g_param_spec_boolean (name, NULL, NULL, FALSE, flags);
          break;
        default:
          pspec = g_param_spec_string (name, NULL, NULL, NULL, flags);
          break;
        }
      g_object_class_install_property (object_class, i + 1, pspec);
    }
}

static GParamSpec *
field_pspec (DftRecord *self, guint field_index)
{
  /* Field properties are installed in order, so this lookup is a hash hit. */
  const DftEntity *entity = DFT_RECORD_GET_CLASS (self)->entity;
  g_autofree char *name = g_strdelimit (g_strdup (entity->fields[field_index].name), "_", '-');

  return g_object_class_find_property (G_OBJECT_GET_CLASS (self), name);
}

#define DEFINE_RECORD_TYPE(TypeName, type_name, entity_var)                                        \
  struct _##TypeName                                                                               \
  {                                                                                                \
    DftRecord parent_instance;                                                                     \
  };                                                                                               \
  G_DEFINE_FINAL_TYPE (TypeName, type_name, DFT_TYPE_RECORD)                                       \
  static void type_name##_class_init (TypeName##Class *klass)                                      \
  {                                                                                                \
    install_fields (DFT_RECORD_CLASS (klass), &entity_var);                                        \
  }                                                                                                \
  static void type_name##_init (TypeName *self)                                                    \
  {                                                                                                \
  }

DEFINE_RECORD_TYPE (DftEvent, dft_event, dft_entity_event)
DEFINE_RECORD_TYPE (DftSession, dft_session, dft_entity_session)
DEFINE_RECORD_TYPE (DftPerson, dft_person, dft_entity_person)
DEFINE_RECORD_TYPE (DftEnrollment, dft_enrollment, dft_entity_enrollment)
DEFINE_RECORD_TYPE (DftAttendance, dft_attendance, dft_entity_attendance)
DEFINE_RECORD_TYPE (DftFormRecord, dft_form_record, dft_entity_form)
DEFINE_RECORD_TYPE (DftSubmission, dft_submission, dft_entity_submission)
DEFINE_RECORD_TYPE (DftConflict, dft_conflict, dft_entity_conflict)
DEFINE_RECORD_TYPE (DftPersonMerge, dft_person_merge, dft_entity_person_merge)
DEFINE_RECORD_TYPE (DftPersonUnmerge, dft_person_unmerge, dft_entity_person_unmerge)
DEFINE_RECORD_TYPE (DftPersonDistinct, dft_person_distinct, dft_entity_person_distinct)

GType
dft_record_type_for_entity (const DftEntity *entity)
{
  if (entity == &dft_entity_event)
    return DFT_TYPE_EVENT;
  if (entity == &dft_entity_session)
    return DFT_TYPE_SESSION;
  if (entity == &dft_entity_person)
    return DFT_TYPE_PERSON;
  if (entity == &dft_entity_enrollment)
    return DFT_TYPE_ENROLLMENT;
  if (entity == &dft_entity_attendance)
    return DFT_TYPE_ATTENDANCE;
  if (entity == &dft_entity_form)
    return DFT_TYPE_FORM_RECORD;
  if (entity == &dft_entity_submission)
    return DFT_TYPE_SUBMISSION;
  if (entity == &dft_entity_conflict)
    return DFT_TYPE_CONFLICT;
  if (entity == &dft_entity_person_merge)
    return DFT_TYPE_PERSON_MERGE;
  if (entity == &dft_entity_person_unmerge)
    return DFT_TYPE_PERSON_UNMERGE;
  if (entity == &dft_entity_person_distinct)
    return DFT_TYPE_PERSON_DISTINCT;
  g_return_val_if_reached (G_TYPE_INVALID);
}

DftRecord *
dft_record_new_for_entity (const DftEntity *entity)
{
  return g_object_new (dft_record_type_for_entity (entity), NULL);
}

const DftEntity *
dft_record_get_entity (DftRecord *self)
{
  g_return_val_if_fail (DFT_IS_RECORD (self), NULL);
  return DFT_RECORD_GET_CLASS (self)->entity;
}

const char *
dft_record_get_id (DftRecord *self)
{
  g_return_val_if_fail (DFT_IS_RECORD (self), NULL);
  return get_priv (self)->id;
}

const char *
dft_record_get_created_at (DftRecord *self)
{
  g_return_val_if_fail (DFT_IS_RECORD (self), NULL);
  return get_priv (self)->created_at;
}

const char *
dft_record_get_updated_at (DftRecord *self)
{
  g_return_val_if_fail (DFT_IS_RECORD (self), NULL);
  return get_priv (self)->updated_at;
}

gboolean
dft_record_get_deleted (DftRecord *self)
{
  g_return_val_if_fail (DFT_IS_RECORD (self), FALSE);
  return get_priv (self)->deleted;
}

gboolean
dft_record_is_new (DftRecord *self)
{
  g_return_val_if_fail (DFT_IS_RECORD (self), FALSE);
  return get_priv (self)->is_new;
}

gboolean
dft_record_is_changed (DftRecord *self)
{
  DftRecordPrivate *priv;

  g_return_val_if_fail (DFT_IS_RECORD (self), FALSE);
  priv = get_priv (self);
  return priv->is_new || priv->changed != 0 || priv->deleted_changed;
}

gboolean
dft_record_field_is_changed (DftRecord *self, guint field_index)
{
  g_return_val_if_fail (DFT_IS_RECORD (self), FALSE);
  return (get_priv (self)->changed & (G_GUINT64_CONSTANT (1) << field_index)) != 0;
}

const GValue *
dft_record_get_value (DftRecord *self, guint field_index)
{
  g_return_val_if_fail (DFT_IS_RECORD (self), NULL);
  g_return_val_if_fail (field_index < DFT_RECORD_GET_CLASS (self)->entity->n_fields, NULL);
  return &get_priv (self)->values[field_index];
}

void
dft_record_set_value (DftRecord *self, guint field_index, const GValue *value)
{
  DftRecordPrivate *priv;

  g_return_if_fail (DFT_IS_RECORD (self));
  g_return_if_fail (field_index < DFT_RECORD_GET_CLASS (self)->entity->n_fields);
  priv = get_priv (self);
  g_return_if_fail (G_VALUE_TYPE (value) == G_VALUE_TYPE (&priv->values[field_index]));

  if (values_equal (&priv->values[field_index], value))
    return;

  g_value_copy (value, &priv->values[field_index]);
  priv->changed |= G_GUINT64_CONSTANT (1) << field_index;
  g_object_notify_by_pspec (G_OBJECT (self), field_pspec (self, field_index));
}

static guint
field_index_or_warn (DftRecord *self, const char *field, GType expected)
{
  const DftEntity *entity = DFT_RECORD_GET_CLASS (self)->entity;
  int              index = dft_entity_field_index (entity, field);

  if (index < 0)
    {
      g_critical ("A %s has no field “%s”", entity->name, field);
      return G_MAXUINT;
    }
  if (G_VALUE_TYPE (&get_priv (self)->values[index]) != expected)
    {
      g_critical ("Field “%s” of a %s is not of type %s", field, entity->name,
                  g_type_name (expected));
      return G_MAXUINT;
    }
  return (guint) index;
}

#define DEFINE_ACCESSORS(suffix, ctype, gtype, getter, setter, fallback)                           \
  ctype dft_record_get_##suffix (DftRecord *self, const char *field)                               \
  {                                                                                                \
    guint i;                                                                                       \
    g_return_val_if_fail (DFT_IS_RECORD (self), fallback);                                         \
    if ((i = field_index_or_warn (self, field, gtype)) == G_MAXUINT)                               \
      return fallback;                                                                             \
    return getter (&get_priv (self)->values[i]);                                                   \
  }                                                                                                \
  void dft_record_set_##suffix (DftRecord *self, const char *field, ctype value)                   \
  {                                                                                                \
    g_auto (GValue) v = G_VALUE_INIT;                                                              \
    guint           i;                                                                             \
    g_return_if_fail (DFT_IS_RECORD (self));                                                       \
    if ((i = field_index_or_warn (self, field, gtype)) == G_MAXUINT)                               \
      return;                                                                                      \
    g_value_init (&v, gtype);                                                                      \
    setter (&v, value);                                                                            \
    dft_record_set_value (self, i, &v);                                                            \
  }

DEFINE_ACCESSORS (string, const char *, G_TYPE_STRING, g_value_get_string, g_value_set_string, NULL)
DEFINE_ACCESSORS (int, gint64, G_TYPE_INT64, g_value_get_int64, g_value_set_int64, 0)
DEFINE_ACCESSORS (real, double, G_TYPE_DOUBLE, g_value_get_double, g_value_set_double, NAN)
DEFINE_ACCESSORS (bool, gboolean, G_TYPE_BOOLEAN, g_value_get_boolean, g_value_set_boolean, FALSE)

void
_dft_record_set_identity (DftRecord  *self,
                          const char *id,
                          const char *created_at,
                          const char *updated_at,
                          gboolean    deleted,
                          gboolean    is_new)
{
  DftRecordPrivate *priv = get_priv (self);

  g_free (priv->id);
  priv->id = g_strdup (id);
  g_free (priv->created_at);
  priv->created_at = g_strdup (created_at);
  g_free (priv->updated_at);
  priv->updated_at = g_strdup (updated_at);
  priv->deleted = deleted;
  priv->is_new = is_new;
}

void
_dft_record_set_deleted (DftRecord *self, gboolean deleted)
{
  DftRecordPrivate *priv = get_priv (self);

  if (!priv->deleted == !deleted)
    return;
  priv->deleted = deleted;
  priv->deleted_changed = !priv->deleted_changed;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DELETED]);
}

gboolean
_dft_record_deleted_is_changed (DftRecord *self)
{
  return get_priv (self)->deleted_changed;
}

/* Loading from the database is not a change. */
void
_dft_record_take_loaded_value (DftRecord *self, guint field_index, GValue *value)
{
  DftRecordPrivate *priv = get_priv (self);

  g_value_unset (&priv->values[field_index]);
  priv->values[field_index] = *value;
  memset (value, 0, sizeof *value);
  priv->changed &= ~(G_GUINT64_CONSTANT (1) << field_index);
}

void
_dft_record_set_read_seq (DftRecord *self, gint64 seq)
{
  get_priv (self)->read_seq = seq;
}

gint64
_dft_record_get_read_seq (DftRecord *self)
{
  return get_priv (self)->read_seq;
}

void
_dft_record_set_seen (DftRecord *self, const char *field, const char *version)
{
  DftRecordPrivate *priv = get_priv (self);

  if (priv->seen == NULL)
    priv->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_insert (priv->seen, g_strdup (field), g_strdup (version));
}

const char *
_dft_record_get_seen (DftRecord *self, const char *field)
{
  DftRecordPrivate *priv = get_priv (self);

  return priv->seen != NULL ? g_hash_table_lookup (priv->seen, field) : NULL;
}

/*
 * An editor's own copy: the same values and what they were read at, with
 * nothing changed yet, so that it can be changed on another thread and saved
 * without touching the record a list shows.
 */
DftRecord *
dft_record_dup (DftRecord *self)
{
  DftRecordPrivate *priv, *copy_priv;
  const DftEntity  *entity;
  DftRecord        *copy;

  g_return_val_if_fail (DFT_IS_RECORD (self), NULL);

  priv = get_priv (self);
  entity = DFT_RECORD_GET_CLASS (self)->entity;
  copy = dft_record_new_for_entity (entity);
  copy_priv = get_priv (copy);
  _dft_record_set_identity (copy, priv->id, priv->created_at, priv->updated_at, priv->deleted,
                            priv->is_new);
  for (guint i = 0; i < entity->n_fields; i++)
    g_value_copy (&priv->values[i], &copy_priv->values[i]);
  copy_priv->changed = priv->changed;
  copy_priv->deleted_changed = priv->deleted_changed;
  copy_priv->read_seq = priv->read_seq;
  if (priv->seen != NULL)
    {
      GHashTableIter iter;
      gpointer       key, value;

      g_hash_table_iter_init (&iter, priv->seen);
      while (g_hash_table_iter_next (&iter, &key, &value))
        _dft_record_set_seen (copy, key, value);
    }
  return copy;
}

void
_dft_record_mark_saved (DftRecord *self, const char *updated_at)
{
  DftRecordPrivate *priv = get_priv (self);

  priv->changed = 0;
  priv->deleted_changed = FALSE;
  priv->is_new = FALSE;
  g_free (priv->updated_at);
  priv->updated_at = g_strdup (updated_at);
  if (priv->created_at == NULL)
    priv->created_at = g_strdup (updated_at);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UPDATED_AT]);
}
