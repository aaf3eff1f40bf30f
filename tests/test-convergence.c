/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dft-change-log.h"
#include "dft-merge.h"
#include "dft-store-private.h"
#include "dft-test-util.h"

/*
 * Many devices edit offline and sync through a hub in random orders, with
 * the same merge the server uses; afterwards every replica holds the same
 * records, and every write that was made either still stands, was knowingly
 * overwritten (a later write had it as its base), or is kept as a conflict.
 * The edits include saves of a record read before a sync (an editor left
 * open), deletes against edits, and several devices finalizing one draft.
 * DAFTARI_CONVERGENCE_SEEDS sets how many random histories (default 500);
 * the seed printed is given back with --seed.
 */

#define MAX_DEVICES 4

typedef struct
{
  DftStore  *store;
  gint64     pushed; /* origin seq the hub acknowledged */
  gint64     pulled; /* hub log position */
  DftRecord *open;   /* a person read earlier, as an editor left open shows it */
} Replica;

typedef struct
{
  char      *dir;
  GRand     *rand;
  Replica    hub;
  Replica    devices[MAX_DEVICES];
  guint      n_devices;
  GPtrArray *people; /* ids known everywhere after the first sync */
  GPtrArray *sessions;
  GPtrArray *drafts; /* submissions, drafts everywhere after the first sync */
  GPtrArray *unseen; /* "PERSON-ID/FIELD=JSON": values a save replaced without having seen them */
  guint32    seed;
} World;

static void
push (World *w, Replica *r)
{
  g_autoptr (GError)    error = NULL;
  const char           *me = dft_store_get_device_id (r->store);
  g_autoptr (GPtrArray) own = dft_store_read_log (r->store, 0, 0, me, NULL, &error);
  g_autoptr (GPtrArray) batch = g_ptr_array_new ();
  DftApplyStats         stats;

  g_assert_no_error (error);
  for (guint i = 0; i < own->len; i++)
    {
      DftChange *c = g_ptr_array_index (own, i);
      if (c->origin_seq > r->pushed)
        g_ptr_array_add (batch, c);
    }
  if (batch->len == 0)
    return;
  /* Sometimes the acknowledgement is lost on the way back: the same batch comes again. */
  g_assert_true (dft_store_apply_changes (w->hub.store, batch, &stats, &error));
  g_assert_no_error (error);
  if (g_rand_int_range (w->rand, 0, 4) == 0)
    {
      g_assert_true (dft_store_apply_changes (w->hub.store, batch, &stats, &error));
      g_assert_cmpuint (stats.duplicates, ==, batch->len);
      g_assert_cmpuint (stats.applied, ==, 0);
    }
  r->pushed = dft_store_origin_high (w->hub.store, me, &error);
}

static void
pull (World *w, Replica *r)
{
  g_autoptr (GError)    error = NULL;
  const char           *me = dft_store_get_device_id (r->store);
  g_autoptr (GPtrArray) page = dft_store_read_log (w->hub.store, r->pulled, 0, NULL, me, &error);
  DftApplyStats         stats;

  g_assert_no_error (error);
  if (page->len > 0)
    {
      g_assert_true (dft_store_apply_changes (r->store, page, &stats, &error));
      g_assert_no_error (error);
    }
  {
    g_autoptr (GPtrArray) all = dft_store_read_log (w->hub.store, r->pulled, 0, NULL, NULL, &error);
    if (all->len > 0)
      r->pulled = ((DftChange *) g_ptr_array_index (all, all->len - 1))->seq;
  }
}

static const char *
pick (World *w, GPtrArray *ids)
{
  return g_ptr_array_index (ids, g_rand_int_range (w->rand, 0, ids->len));
}

/* A draft is finalized or edited, unless this device already holds it final. */
static void
random_submission_edit (World *w, Replica *r)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) submission
      = dft_store_load (r->store, &dft_entity_submission, pick (w, w->drafts), &error);
  g_autofree char *answers = g_strdup_printf ("{\"q1\":%d}", g_rand_int_range (w->rand, 0, 5));

  g_assert_no_error (error);
  if (g_str_equal (dft_record_get_string (submission, "status"), "final"))
    return;
  dft_record_set_string (submission, "answers", answers);
  if (g_rand_boolean (w->rand))
    dft_record_set_string (submission, "status", "final");
  g_assert_true (dft_store_save (r->store, submission, &error));
  g_assert_no_error (error);
}

/* A person read now, or the one read earlier saved now: what came since is not in it. */
static void
random_open_edit (World *w, Replica *r)
{
  static const char    *phones[] = { "+996 555 000 111", "+995 599 000 222", NULL };
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) person = g_steal_pointer (&r->open);
  g_autoptr (DftRecord) now = NULL;
  const char           *typed, *held;

  if (person == NULL)
    {
      /* Of two people only, so that saves of what was read earlier meet often. */
      r->open = dft_store_load (r->store, &dft_entity_person,
                                g_ptr_array_index (w->people, g_rand_int_range (w->rand, 0, 2)),
                                &error);
      g_assert_no_error (error);
      return;
    }
  typed = phones[g_rand_int_range (w->rand, 0, 3)];
  if (g_strcmp0 (typed, dft_record_get_string (person, "phone")) == 0)
    return; /* nothing changed, nothing saved */
  now = dft_store_load (r->store, &dft_entity_person, dft_record_get_id (person), &error);
  g_assert_no_error (error);
  /* What a sync brought since it was read must not vanish unseen with this save. */
  held = dft_record_get_string (now, "phone");
  if (g_strcmp0 (held, dft_record_get_string (person, "phone")) != 0
      && g_strcmp0 (held, typed) != 0)
    {
      g_autoptr (JsonNode) node = json_node_init_string (json_node_alloc (), held);
      g_autofree char     *text = held != NULL ? json_to_string (node, FALSE) : g_strdup ("null");

      g_ptr_array_add (w->unseen,
                       g_strdup_printf ("%s/phone=%s", dft_record_get_id (person), text));
    }
  if (dft_record_get_deleted (now) && !dft_record_get_deleted (person))
    g_ptr_array_add (w->unseen, g_strdup_printf ("%s/deleted=true", dft_record_get_id (person)));
  dft_record_set_string (person, "phone", typed);
  g_assert_true (dft_store_save (r->store, person, &error));
  g_assert_no_error (error);
}

static void
random_edit (World *w, Replica *r)
{
  static const char    *agencies[] = { "Police", "Customs", "Judiciary" };
  static const char    *names[] = { "Айбек", "Aibek", "გიორგი", "Neema" };
  static const char    *statuses[] = { "present", "late", "absent", "excused" };
  g_autoptr (GError)    error = NULL;
  int                   op = g_rand_int_range (w->rand, 0, 15);
  g_autoptr (DftRecord) person = NULL;

  if (op >= 13)
    {
      random_submission_edit (w, r);
      return;
    }
  if (op >= 10)
    {
      random_open_edit (w, r);
      return;
    }
  if (op == 3)
    {
      /* A mark removed, against marks and re-marks elsewhere. */
      g_autofree char      *id = dft_attendance_id_for (pick (w, w->sessions), pick (w, w->people));
      g_autoptr (DftRecord) mark = dft_store_load (r->store, &dft_entity_attendance, id, NULL);

      if (mark != NULL && !dft_record_get_deleted (mark))
        {
          g_assert_true (dft_store_delete (r->store, mark, &error));
          g_assert_no_error (error);
        }
      return;
    }
  if (op < 4)
    {
      /* Attendance toggles: the same (session, person) register on every device. */
      g_autoptr (DftRecord) mark
          = dft_store_mark_attendance (r->store, pick (w, w->sessions), pick (w, w->people),
                                       statuses[g_rand_int_range (w->rand, 0, 4)], NULL, &error);
      g_assert_no_error (error);
      return;
    }

  person = dft_store_load (r->store, &dft_entity_person, pick (w, w->people), &error);
  g_assert_no_error (error);
  /* Nobody edits a person they see deleted (no list shows them): they undo the delete. */
  if (dft_record_get_deleted (person) && op < 9)
    op = 9;
  if (op < 7)
    dft_record_set_string (person, "agency", agencies[g_rand_int_range (w->rand, 0, 3)]);
  else if (op < 9)
    dft_record_set_string (person, "given_name", names[g_rand_int_range (w->rand, 0, 4)]);
  else
    {
      /* Deletes against edits, and undeletes. */
      if (dft_record_get_deleted (person))
        g_assert_true (dft_store_undelete (r->store, person, &error));
      else
        g_assert_true (dft_store_delete (r->store, person, &error));
      g_assert_no_error (error);
      return;
    }
  g_assert_true (dft_store_save (r->store, person, &error));
  g_assert_no_error (error);
}

static gboolean
value_stands (
    DftStore *store, const char *entity_name, const char *id, const char *field, JsonNode *value)
{
  const DftEntity      *entity = dft_entity_lookup (entity_name);
  g_autoptr (DftRecord) record = dft_store_load (store, entity, id, NULL);
  int                   index = dft_entity_field_index (entity, field);
  g_auto (GValue)       held = G_VALUE_INIT;

  if (record == NULL)
    return FALSE;
  if (g_str_equal (field, "deleted"))
    return json_node_get_boolean (value) == dft_record_get_deleted (record);
  if (index < 0)
    return FALSE;
  g_value_init (&held, G_TYPE_STRING);
  g_value_transform (dft_record_get_value (record, (guint) index), &held);
  if (JSON_NODE_HOLDS_NULL (value))
    return g_value_get_string (&held) == NULL;
  return json_node_get_value_type (value) == G_TYPE_STRING
         && g_strcmp0 (json_node_get_string (value), g_value_get_string (&held)) == 0;
}

static gboolean
record_deleted (DftStore *store, const char *entity_name, const char *id)
{
  g_autoptr (DftRecord) record = dft_store_load (store, dft_entity_lookup (entity_name), id, NULL);

  return record != NULL && dft_record_get_deleted (record);
}

static char *
field_key (const char *entity, const char *id, const char *field, const char *rest)
{
  return g_strdup_printf ("%s/%s/%s/%s", entity, id, field, rest);
}

/*
 * Every write stands, was overwritten by a writer who had seen it (it, or an
 * equal value that won over it), or is kept as a conflict.
 */
static guint
check_no_silent_loss (World *w)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (GPtrArray)  log = dft_store_read_log (w->hub.store, 0, 0, NULL, NULL, &error);
  g_autoptr (GHashTable) explained = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  sqlite3               *db = _dft_store_get_db (w->hub.store);
  sqlite3_stmt          *stmt = NULL;
  guint                  checked = 0;

  /* The value each version wrote. */
  for (guint i = 0; i < log->len; i++)
    {
      DftChange        *c = g_ptr_array_index (log, i);
      g_autoptr (GList) fields = json_object_get_members (c->fields);

      for (GList *l = fields; l != NULL; l = l->next)
        {
          g_autofree char *version
              = g_strdup_printf ("%" G_GUINT64_FORMAT "/%s", c->hlc, c->device_id);
          g_hash_table_insert (values, field_key (c->entity, c->record_id, l->data, version),
                               json_to_string (json_object_get_member (c->fields, l->data), FALSE));
        }
    }
  /* Versions a later write knowingly replaced, and the values they held. */
  for (guint i = 0; i < log->len; i++)
    {
      DftChange        *c = g_ptr_array_index (log, i);
      g_autoptr (GList) fields = c->base != NULL ? json_object_get_members (c->base) : NULL;

      for (GList *l = fields; l != NULL; l = l->next)
        {
          char       *version = field_key (c->entity, c->record_id, l->data,
                                           json_object_get_string_member (c->base, l->data));
          const char *seen = g_hash_table_lookup (values, version);

          if (seen != NULL)
            g_hash_table_add (explained, g_strdup_printf ("%s/%s/%s=%s", c->entity, c->record_id,
                                                          (char *) l->data, seen));
          g_hash_table_add (explained, version);
        }
    }
  /* Versions that stand. */
  sqlite3_prepare_v2 (db,
                      "SELECT entity, record_id, field, hlc || '/' || device_id FROM field_version",
                      -1, &stmt, NULL);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_hash_table_add (explained, field_key ((const char *) sqlite3_column_text (stmt, 0),
                                            (const char *) sqlite3_column_text (stmt, 1),
                                            (const char *) sqlite3_column_text (stmt, 2),
                                            (const char *) sqlite3_column_text (stmt, 3)));
  sqlite3_finalize (stmt);
  /* Versions kept as conflicts. */
  sqlite3_prepare_v2 (db, "SELECT entity_name, record_id, field, lost_version FROM conflict", -1,
                      &stmt, NULL);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_hash_table_add (explained, field_key ((const char *) sqlite3_column_text (stmt, 0),
                                            (const char *) sqlite3_column_text (stmt, 1),
                                            (const char *) sqlite3_column_text (stmt, 2),
                                            (const char *) sqlite3_column_text (stmt, 3)));
  sqlite3_finalize (stmt);

  for (guint i = 0; i < log->len; i++)
    {
      DftChange        *c = g_ptr_array_index (log, i);
      g_autoptr (GList) fields = json_object_get_members (c->fields);
      g_autofree char *version = g_strdup_printf ("%" G_GUINT64_FORMAT "/%s", c->hlc, c->device_id);

      if (g_str_equal (c->entity, "conflict"))
        continue;
      for (GList *l = fields; l != NULL; l = l->next)
        {
          JsonNode        *value = json_object_get_member (c->fields, l->data);
          g_autofree char *key = field_key (c->entity, c->record_id, l->data, version);
          g_autofree char *text = json_to_string (value, FALSE);
          g_autofree char *seen
              = g_strdup_printf ("%s/%s/%s=%s", c->entity, c->record_id, (char *) l->data, text);

          if (g_str_equal (l->data, "created_at"))
            continue;
          checked++;
          if (g_hash_table_contains (explained, key) || g_hash_table_contains (explained, seen))
            continue;
          if (!value_stands (w->hub.store, c->entity, c->record_id, l->data, value))
            g_error ("seed %u: the write %s (%s) was lost without a conflict", w->seed, key, text);
          /* A value in a deleted record is hidden: it stands only if the delete's writer
           * saw this write (it said the record was alive) or it is kept as a conflict. */
          if (!g_str_equal (l->data, "deleted")
              && record_deleted (w->hub.store, c->entity, c->record_id))
            {
              g_autofree char *alive = field_key (c->entity, c->record_id, "deleted", version);
              g_autofree char *seen_alive
                  = g_strdup_printf ("%s/%s/deleted=false", c->entity, c->record_id);

              if (!g_hash_table_contains (explained, alive)
                  && !g_hash_table_contains (explained, seen_alive))
                g_error ("seed %u: the write %s (%s) is hidden by a delete without a conflict",
                         w->seed, key, text);
            }
        }
    }
  return checked;
}

/* Each value a save replaced without having seen it still stands or is kept as a conflict. */
static void
check_unseen_kept (World *w)
{
  for (guint i = 0; i < w->unseen->len; i++)
    {
      const char           *entry = g_ptr_array_index (w->unseen, i);
      g_auto (GStrv)        parts = g_strsplit_set (entry, "/=", 3);
      g_autoptr (GPtrArray) kept = dft_test_conflicts_about (w->hub.store, parts[0], parts[1]);
      g_autoptr (JsonNode)  value = json_from_string (parts[2], NULL);
      gboolean found = value_stands (w->hub.store, "person", parts[0], parts[1], value);

      for (guint k = 0; k < kept->len && !found; k++)
        found = g_strcmp0 (dft_record_get_string (g_ptr_array_index (kept, k), "lost_value"),
                           parts[2])
                == 0;
      if (!found)
        g_error ("seed %u: a save replaced %s without having seen it, and no conflict keeps it",
                 w->seed, entry);
    }
}

static void
run_seed (guint32 seed, guint *writes_checked, guint *conflicts)
{
  World                 w = { 0 };
  g_autoptr (GError)    error = NULL;
  g_autofree char      *reference = NULL;
  g_autoptr (DftRecord) event = NULL;

  w.seed = seed;
  w.dir = dft_test_make_dir ();
  w.rand = g_rand_new_with_seed (seed);
  w.n_devices = (guint) g_rand_int_range (w.rand, 2, MAX_DEVICES + 1);
  w.hub.store = dft_test_open_replica (w.dir, "hub.db");
  for (guint d = 0; d < w.n_devices; d++)
    {
      g_autofree char *name = g_strdup_printf ("device-%u.db", d);
      w.devices[d].store = dft_test_open_replica (w.dir, name);
    }
  w.people = g_ptr_array_new_with_free_func (g_free);
  w.sessions = g_ptr_array_new_with_free_func (g_free);
  w.drafts = g_ptr_array_new_with_free_func (g_free);
  w.unseen = g_ptr_array_new_with_free_func (g_free);

  /* Device 0 sets up a workshop with a few people; everyone gets it first. */
  event = dft_test_add_event (w.devices[0].store, "Convergence", "2026-05-04", "2026-05-05");
  for (guint p = 0; p < 4; p++)
    {
      g_autoptr (DftRecord) person = dft_test_add_person (w.devices[0].store, "Нурлан", "Осмонов");
      g_ptr_array_add (w.people, g_strdup (dft_record_get_id (person)));
    }
  g_ptr_array_add (w.sessions, dft_session_id_for (dft_record_get_id (event), "2026-05-04", "am"));
  g_ptr_array_add (w.sessions, dft_session_id_for (dft_record_get_id (event), "2026-05-05", "pm"));
  for (guint i = 0; i < 2; i++)
    g_ptr_array_add (w.drafts, dft_test_add_draft (w.devices[0].store, NULL, NULL));
  push (&w, &w.devices[0]);
  for (guint d = 1; d < w.n_devices; d++)
    pull (&w, &w.devices[d]);

  /* Offline edits and partial syncs in a random order. */
  for (guint step = 0; step < 40; step++)
    {
      Replica *r = &w.devices[g_rand_int_range (w.rand, 0, (gint32) w.n_devices)];
      int      what = g_rand_int_range (w.rand, 0, 10);

      if (what < 7)
        random_edit (&w, r);
      else if (what < 9)
        push (&w, r);
      else
        pull (&w, r);
    }

  /* Everyone syncs until nothing new moves: conflicts found while pulling are new changes too. */
  for (guint round = 0; round < 4; round++)
    for (guint d = 0; d < w.n_devices; d++)
      {
        push (&w, &w.devices[d]);
        pull (&w, &w.devices[d]);
      }

  reference = dft_test_dump_records (w.hub.store);
  for (guint d = 0; d < w.n_devices; d++)
    {
      g_autofree char *other = dft_test_dump_records (w.devices[d].store);
      if (g_strcmp0 (reference, other) != 0)
        g_error ("seed %u: device %u differs from the hub:\n--- hub\n%s\n--- device\n%s", seed, d,
                 reference, other);
    }
  *writes_checked += check_no_silent_loss (&w);
  check_unseen_kept (&w);
  {
    g_autoptr (GPtrArray) rows
        = _dft_store_query (w.hub.store, &dft_entity_conflict, NULL, NULL, NULL, &error);
    *conflicts += rows->len;
  }

  g_clear_object (&event);
  dft_test_release_store (w.hub.store);
  for (guint d = 0; d < w.n_devices; d++)
    dft_test_release_store (w.devices[d].store);
  for (guint d = 0; d < w.n_devices; d++)
    g_clear_object (&w.devices[d].open);
  g_ptr_array_unref (w.people);
  g_ptr_array_unref (w.sessions);
  g_ptr_array_unref (w.drafts);
  g_ptr_array_unref (w.unseen);
  g_rand_free (w.rand);
  dft_test_dir_free (w.dir);
}

static void
test_convergence_random (void)
{
  const char *env = g_getenv ("DAFTARI_CONVERGENCE_SEEDS");
  guint       seeds = env != NULL ? (guint) atoi (env) : 500;
  const char *first_env = g_getenv ("DAFTARI_CONVERGENCE_FIRST_SEED");
  guint32     first = first_env != NULL ? (guint32) g_ascii_strtoull (first_env, NULL, 10)
                                        : (guint32) g_test_rand_int ();
  guint       writes = 0, conflicts = 0;

  for (guint i = 0; i < seeds; i++)
    run_seed (first + i, &writes, &conflicts);
  g_test_message (
      "%u random histories from seed %u converged; %u writes accounted for, %u conflicts kept",
      seeds, first, writes, conflicts);
  g_assert_cmpuint (conflicts, >, 0);
}

int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);

  g_test_add_func ("/convergence/random", test_convergence_random);

  return g_test_run ();
}
