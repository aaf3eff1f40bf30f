/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "dft-record-list.h"
#include "dft-record-private.h"
#include "dft-store-private.h"

struct _DftRecordList
{
  GObject parent_instance;

  DftStore        *store;
  const DftEntity *entity;
  char            *where;
  char            *param;
  char            *order_by;
  char            *search;
  gboolean         truncated; /* the search matched more than DFT_RECORD_LIST_SEARCH_LIMIT */
  GPtrArray       *items;
  GCancellable    *cancellable;
  guint            generation;
  gboolean         loading;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DftRecordList,
                               dft_record_list,
                               G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum
{
  PROP_0,
  PROP_SEARCH,
  PROP_LOADING,
  PROP_N_ITEMS,
  PROP_TRUNCATED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void reload_async (DftRecordList *self);

static GType
get_item_type (GListModel *model)
{
  return DFT_TYPE_RECORD;
}

static guint
get_n_items (GListModel *model)
{
  return DFT_RECORD_LIST (model)->items->len;
}

static gpointer
get_item (GListModel *model, guint position)
{
  DftRecordList *self = DFT_RECORD_LIST (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
dft_record_list_dispose (GObject *object)
{
  DftRecordList *self = DFT_RECORD_LIST (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (dft_record_list_parent_class)->dispose (object);
}

static void
dft_record_list_finalize (GObject *object)
{
  DftRecordList *self = DFT_RECORD_LIST (object);

  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_free (self->where);
  g_free (self->param);
  g_free (self->order_by);
  g_free (self->search);

  G_OBJECT_CLASS (dft_record_list_parent_class)->finalize (object);
}

static void
dft_record_list_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  DftRecordList *self = DFT_RECORD_LIST (object);

  switch (prop_id)
    {
    case PROP_SEARCH:
      g_value_set_string (value, self->search);
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->items->len);
      break;
    case PROP_TRUNCATED:
      g_value_set_boolean (value, self->truncated);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dft_record_list_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  switch (prop_id)
    {
    case PROP_SEARCH:
      dft_record_list_set_search (DFT_RECORD_LIST (object), g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dft_record_list_class_init (DftRecordListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dft_record_list_dispose;
  object_class->finalize = dft_record_list_finalize;
  object_class->get_property = dft_record_list_get_property;
  object_class->set_property = dft_record_list_set_property;

  properties[PROP_SEARCH]
      = g_param_spec_string ("search", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADING]
      = g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS]
      = g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                           G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Whether a search matched more than DFT_RECORD_LIST_SEARCH_LIMIT rows and shows only
   * the first of them; notified once the rows are in place. */
  properties[PROP_TRUNCATED]
      = g_param_spec_boolean ("truncated", NULL, NULL, FALSE,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dft_record_list_init (DftRecordList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}

static void
set_loading (DftRecordList *self, gboolean loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

/* What a query needs, copied so that a worker thread owns it. */
typedef struct
{
  DftStore        *store;
  const DftEntity *entity;
  char            *where;
  char            *params[3];
  char            *order_by;
  gboolean         limited; /* a search, cut at DFT_RECORD_LIST_SEARCH_LIMIT + 1 rows */
} Query;

static void
query_free (Query *q)
{
  g_object_unref (q->store);
  g_free (q->where);
  for (guint i = 0; i < G_N_ELEMENTS (q->params); i++)
    g_free (q->params[i]);
  g_free (q->order_by);
  g_free (q);
}

static Query *
make_query (DftRecordList *self)
{
  Query           *q = g_new0 (Query, 1);
  g_autofree char *match = NULL;
  guint            n = 0;

  q->store = g_object_ref (self->store);
  q->entity = self->entity;
  q->order_by = g_strdup (self->order_by);
  if (self->param != NULL)
    q->params[n++] = g_strdup (self->param);

  if (self->search != NULL && self->entity == &dft_entity_person
      && (match = _dft_store_match_expression (self->search)) != NULL)
    {
      q->where = g_strdup_printf ("(%s) AND rowid IN (SELECT rowid FROM person_search "
                                  "WHERE person_search MATCH ?)",
                                  self->where != NULL ? self->where : "1");
      q->params[n++] = g_steal_pointer (&match);
      q->limited = TRUE;
    }
  else
    q->where = g_strdup (self->where);
  return q;
}

static GPtrArray *
run_query (Query *q, GError **error)
{
  /* A search reads one row past the limit: that row tells whether there were more. */
  return _dft_store_query_limit (q->store, q->entity, q->where, (const char *const *) q->params,
                                 q->order_by, q->limited ? DFT_RECORD_LIST_SEARCH_LIMIT + 1 : 0,
                                 error);
}

/*
 * Replace the items, telling views only what changed: when the same records
 * stand in the same order, only those saved since are announced.
 */
static void
apply_rows (DftRecordList *self, GPtrArray *rows)
{
  GPtrArray *old = self->items;
  guint      old_len = old->len;
  gboolean   same_ids = old->len == rows->len;

  for (guint i = 0; same_ids && i < rows->len; i++)
    same_ids = g_strcmp0 (dft_record_get_id (g_ptr_array_index (old, i)),
                          dft_record_get_id (g_ptr_array_index (rows, i)))
               == 0;

  self->items = g_ptr_array_ref (rows);

  if (same_ids)
    {
      for (guint i = 0; i < rows->len; i++)
        if (g_strcmp0 (dft_record_get_updated_at (g_ptr_array_index (old, i)),
                       dft_record_get_updated_at (g_ptr_array_index (rows, i)))
            != 0)
          g_list_model_items_changed (G_LIST_MODEL (self), i, 1, 1);
    }
  else
    {
      g_list_model_items_changed (G_LIST_MODEL (self), 0, old_len, rows->len);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
    }
  g_ptr_array_unref (old);
}

static void
apply_limited_rows (DftRecordList *self, gboolean limited, GPtrArray *rows)
{
  gboolean truncated = limited && rows->len > DFT_RECORD_LIST_SEARCH_LIMIT;

  if (truncated)
    g_ptr_array_set_size (rows, DFT_RECORD_LIST_SEARCH_LIMIT);
  /* Set before the rows change, so a view reading it on items-changed sees the new value;
   * notified after, for one that waits for the rows (the first 500 rows can stay the same
   * while the number of matches crosses the limit). */
  if (truncated != self->truncated)
    {
      self->truncated = truncated;
      apply_rows (self, rows);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRUNCATED]);
    }
  else
    apply_rows (self, rows);
}

static void
query_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError    *error = NULL;
  GPtrArray *rows = run_query (task_data, &error);

  if (rows == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, rows, (GDestroyNotify) g_ptr_array_unref);
}

static void
query_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftRecordList        *self = DFT_RECORD_LIST (source);
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) rows = g_task_propagate_pointer (G_TASK (result), &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  /* A newer reload is under way; its answer is the one to show. */
  if (GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (result), "generation")) != self->generation)
    return;

  set_loading (self, FALSE);
  if (rows == NULL)
    {
      g_warning ("Could not load the list of %s records: %s", self->entity->name, error->message);
      return;
    }
  apply_limited_rows (self, ((Query *) g_task_get_task_data (G_TASK (result)))->limited, rows);
}

static void
reload_async (DftRecordList *self)
{
  g_autoptr (GTask) task = NULL;

  if (self->store == NULL)
    return;

  self->generation++;
  task = g_task_new (self, self->cancellable, query_done_cb, NULL);
  g_task_set_source_tag (task, reload_async);
  g_object_set_data (G_OBJECT (task), "generation", GUINT_TO_POINTER (self->generation));
  g_task_set_task_data (task, make_query (self), (GDestroyNotify) query_free);
  set_loading (self, TRUE);
  g_task_run_in_thread (task, query_thread);
}

gboolean
dft_record_list_reload_sync (DftRecordList *self, GError **error)
{
  Query                *q;
  g_autoptr (GPtrArray) rows = NULL;

  g_return_val_if_fail (DFT_IS_RECORD_LIST (self), FALSE);

  self->generation++; /* drops the answer of any reload still under way */
  q = make_query (self);
  rows = run_query (q, error);
  set_loading (self, FALSE);
  if (rows != NULL)
    apply_limited_rows (self, q->limited, rows);
  query_free (q);
  return rows != NULL;
}

static void
store_changed_cb (DftRecordList *self, const char *entity, GStrv ids, DftStore *store)
{
  reload_async (self);
}

DftRecordList *
dft_record_list_new (DftStore        *store,
                     const DftEntity *entity,
                     const char      *where,
                     const char      *param,
                     const char      *order_by)
{
  DftRecordList   *self;
  g_autofree char *detail = NULL;

  g_return_val_if_fail (DFT_IS_STORE (store), NULL);
  g_return_val_if_fail (entity != NULL, NULL);

  self = g_object_new (DFT_TYPE_RECORD_LIST, NULL);
  self->store = g_object_ref (store);
  self->entity = entity;
  self->where = g_strdup (where);
  self->param = g_strdup (param);
  self->order_by = g_strdup (order_by);
  self->cancellable = g_cancellable_new ();

  detail = g_strdup_printf ("changed::%s", entity->name);
  g_signal_connect_object (store, detail, G_CALLBACK (store_changed_cb), self, G_CONNECT_SWAPPED);
  /* People of a workshop come and go with their enrollments. */
  if (where != NULL && strstr (where, "enrollment") != NULL)
    g_signal_connect_object (store, "changed::enrollment", G_CALLBACK (store_changed_cb), self,
                             G_CONNECT_SWAPPED);

  reload_async (self);
  return self;
}

void
dft_record_list_set_search (DftRecordList *self, const char *query)
{
  g_return_if_fail (DFT_IS_RECORD_LIST (self));

  if (query != NULL && *query == '\0')
    query = NULL;
  if (g_strcmp0 (self->search, query) == 0)
    return;
  g_free (self->search);
  self->search = g_strdup (query);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEARCH]);
  reload_async (self);
}

gboolean
dft_record_list_get_truncated (DftRecordList *self)
{
  g_return_val_if_fail (DFT_IS_RECORD_LIST (self), FALSE);
  return self->truncated;
}

const char *
dft_record_list_get_search (DftRecordList *self)
{
  g_return_val_if_fail (DFT_IS_RECORD_LIST (self), NULL);
  return self->search;
}

gboolean
dft_record_list_get_loading (DftRecordList *self)
{
  g_return_val_if_fail (DFT_IS_RECORD_LIST (self), FALSE);
  return self->loading;
}
