/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dft-change-log.h"
#include "dft-hlc.h"
#include "dft-merge.h"
#include "dft-store-merges.h"
#include "dft-store-private.h"
#include "dft-test-util.h"
#include "dft-uuid.h"

/*
 * Many devices edit offline and sync through a hub in random orders, with
 * the same merge the server uses; afterwards every replica holds the same
 * records, and every write that was made either still stands, was knowingly
 * overwritten (a later write had it as its base), or is kept as a conflict.
 *
 * The files misbehave too, as they do in the field: a replica's database is
 * copied to a new laptop that goes on beside it, a replica is put back from
 * an earlier snapshot, or the hub is (not both in one history: a change on
 * neither any more is gone for good). The hub and the replicas follow the
 * rules of sync/PROTOCOL.md ("Forks", "Restores"), and every change the hub
 * acknowledged must still be on it at the end, whoever holds it.
 *
 * The edits include saves of a record read before a sync (an editor left
 * open), deletes against edits, and several devices finalizing one draft.
 * DAFTARI_CONVERGENCE_SEEDS sets how many random histories (default 50, and
 * 600 with -m slow, which the test command runs as the "slow" suite);
 * DAFTARI_CONVERGENCE_SEED=N runs the one a failure named, and
 * DAFTARI_CONVERGENCE_FIRST_SEED=N runs the histories from N on.
 */

#define MAX_DEVICES   6
#define MAX_SNAPSHOTS 8

/* The clock every replica reads: a history replays exactly from its seed only if the
 * milliseconds its writes fall in do too. Steps move it by 0 to 2 ms, so that two
 * writes often share a millisecond, as two copies of one database can in the field. */
static gint64 history_ms;

/* Merges and undone merges made in all the histories run, for the summary. */
static guint total_merges, total_unmerges;

static gint64
history_clock (void)
{
  return history_ms;
}

typedef struct
{
  DftStore  *store;
  gint64     pushed; /* origin seq the hub acknowledged */
  gint64     pulled; /* hub log position */
  guint      epoch;  /* the hub's epoch when it last synced */
  gboolean   relay;  /* a new epoch: send everything it holds */
  DftRecord *open;   /* a person read earlier, as an editor left open shows it */
} Replica;

typedef struct
{
  char   *path;
  int     device; /* -1: the hub */
  Replica marks;  /* the replica's marks then, or the hub's epoch */
} Snapshot;

typedef struct
{
  char       *dir;
  GRand      *rand;
  Replica     hub;
  Replica     devices[MAX_DEVICES];
  guint       n_devices;
  GPtrArray  *people; /* ids known everywhere after the first sync */
  GPtrArray  *sessions;
  GPtrArray  *drafts; /* submissions, drafts everywhere after the first sync */
  GPtrArray  *unseen; /* "PERSON-ID/FIELD=JSON": values a save replaced without having seen them */
  guint       epochs; /* epochs made, never reused */
  gint64      log_at_start; /* the hub's log end when it last started, and its first position */
  gint64      log_first;
  guint       files; /* file names made */
  Snapshot    snapshots[MAX_SNAPSHOTS];
  guint       n_snapshots;
  guint32     seed;
  gboolean    hub_rollbacks; /* this history rolls the hub back, not replicas */
  GHashTable *acknowledged;  /* content of every change the hub acknowledged */
  guint       copies, rollbacks, forks, restores;
  GRand      *merge_rand; /* merges of people, when the history has them */
  guint       merges, unmerges;
} World;

/* What a change is, whatever name (device, origin seq) it goes by. */
static char *
content_key (DftChange *c)
{
  g_autofree char *fields = dft_change_fields_to_json (c);

  return g_strdup_printf ("%" G_GUINT64_FORMAT " %s %s %s", c->hlc, c->entity, c->record_id,
                          fields);
}

/* With DAFTARI_CONVERGENCE_TRACE=1, the changes the hub takes from a replica. */
static void
trace_changes (World *w, Replica *r, const char *verb, GPtrArray *changes)
{
  if (g_getenv ("DAFTARI_CONVERGENCE_TRACE") == NULL)
    return;
  for (guint i = 0; i < changes->len; i++)
    {
      DftChange       *c = g_ptr_array_index (changes, i);
      g_autofree char *key = content_key (c);

      g_printerr ("  hub %s from device %d: %.8s #%" G_GINT64_FORMAT " %s\n", verb,
                  (int) (r - w->devices), c->device_id, c->origin_seq, key);
    }
}

/* A device that sees a new epoch forgets its marks and relays everything it holds. */
static void
see_epoch (World *w, Replica *r)
{
  if (r->epoch == w->hub.epoch)
    return;
  r->epoch = w->hub.epoch;
  r->pushed = r->pulled = 0;
  r->relay = TRUE;
}

static void
new_epoch (World *w)
{
  w->hub.epoch = ++w->epochs;
  w->restores++;
}

/*
 * A forked database takes a new id for what it made after the copies parted, and pulls again,
 * with the marks the sync client gives it. Its dropped cursor no longer shows a hub put back,
 * so it relays what it holds, as the client does when the store asks (relay_after).
 */
static void
take_identity (World *w, Replica *r, gint64 after_seq)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *fresh = dft_uuid_v4_new ();
  g_autofree char   *relay_after = NULL;
  const char        *state[] = { "push_acked_seq", "0", "pull_cursor", "0", NULL };

  g_assert_true (dft_store_take_identity (r->store, fresh, after_seq, state, &error));
  g_assert_no_error (error);
  if (g_getenv ("DAFTARI_CONVERGENCE_TRACE") != NULL)
    g_printerr ("  device %d takes id %.8s after #%" G_GINT64_FORMAT "\n", (int) (r - w->devices),
                fresh, after_seq);
  r->pushed = r->pulled = 0;
  relay_after = dft_store_get_sync_state (r->store, "relay_after", &error);
  g_assert_no_error (error);
  if (relay_after != NULL && *relay_after != '\0')
    {
      r->relay = TRUE;
      g_assert_true (dft_store_set_sync_state (r->store, "relay_after", "", &error));
    }
  w->forks++;
}

/* Returns FALSE when one of the replica's own changes forks: it took a new id, and relays again. */
static gboolean
relay (World *w, Replica *r)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) all = dft_store_read_log (r->store, 0, 0, NULL, NULL, &error);
  const char           *me = dft_store_get_device_id (r->store);
  gboolean              found = TRUE;
  guint                 index = 0;
  DftApplyStats         stats;

  g_assert_no_error (error);
  /* A fork between two other replicas is theirs to find; one of its own, it is the copy. */
  while (found && all->len > 0)
    {
      DftChange *c;

      g_assert_true (dft_store_find_fork (w->hub.store, all, &found, &index, &error));
      if (!found)
        break;
      c = g_ptr_array_index (all, index);
      if (g_str_equal (c->device_id, me))
        {
          take_identity (w, r, c->origin_seq - 1);
          return FALSE;
        }
      g_ptr_array_remove_index (all, index);
    }
  trace_changes (w, r, "relays", all);
  if (all->len > 0)
    g_assert_true (dft_store_apply_changes (w->hub.store, all, &stats, &error));
  g_assert_no_error (error);
  r->relay = FALSE;
  return TRUE;
}

static gboolean same_change (DftStore *a, DftStore *b, const char *device, gint64 seq);

static void
push (World *w, Replica *r)
{
  g_autoptr (GError)    error = NULL;
  const char           *me;
  g_autoptr (GPtrArray) own = NULL;
  g_autoptr (GPtrArray) batch = g_ptr_array_new ();
  DftApplyStats         stats;
  gboolean              forked = FALSE;
  guint                 index = 0;

  see_epoch (w, r);
  while (r->relay && !relay (w, r))
    ;
  me = dft_store_get_device_id (r->store);
  /* The hub holds another change under the number it acknowledged last (seed 2367731538): a
   * push carries that change's digest too, and is refused whole; everything goes again from
   * the first, and the fork shows. Pushing on from the mark would hide it for good. */
  if (r->pushed > 0 && !same_change (w->hub.store, r->store, me, r->pushed))
    r->pushed = 0;
  own = dft_store_read_log (r->store, 0, 0, me, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < own->len; i++)
    {
      DftChange *c = g_ptr_array_index (own, i);
      if (c->origin_seq > r->pushed)
        g_ptr_array_add (batch, c);
    }
  if (batch->len == 0)
    return;
  /* Pushed past what the hub holds of it: the hub was put back. */
  if (((DftChange *) g_ptr_array_index (batch, 0))->origin_seq
      > dft_store_origin_high (w->hub.store, me, NULL) + 1)
    {
      new_epoch (w);
      push (w, r);
      return;
    }
  g_assert_true (dft_store_find_fork (w->hub.store, batch, &forked, &index, &error));
  if (forked)
    {
      take_identity (w, r, ((DftChange *) g_ptr_array_index (batch, index))->origin_seq - 1);
      push (w, r);
      return;
    }
  trace_changes (w, r, "takes", batch);
  /* Sometimes the acknowledgement is lost on the way back: the same batch comes again. */
  g_assert_true (dft_store_apply_changes (w->hub.store, batch, &stats, &error));
  g_assert_no_error (error);
  if (g_rand_int_range (w->rand, 0, 4) == 0)
    {
      g_assert_true (dft_store_apply_changes (w->hub.store, batch, &stats, &error));
      g_assert_cmpuint (stats.duplicates, ==, batch->len);
      g_assert_cmpuint (stats.applied, ==, 0);
    }
  for (guint i = 0; i < batch->len; i++)
    g_hash_table_add (w->acknowledged, content_key (g_ptr_array_index (batch, i)));
  /* The hub names the highest it holds of this id; the mark never passes what was sent. */
  r->pushed = MIN (dft_store_origin_high (w->hub.store, me, &error),
                   ((DftChange *) g_ptr_array_index (batch, batch->len - 1))->origin_seq);
}

/* Whether @a and @b hold one change as @device's number @seq (as the header
 * X-Daftari-Acked-Change lets the server tell). One that only @a lacks counts as the same. */
static gboolean
same_change (DftStore *a, DftStore *b, const char *device, gint64 seq)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) in_a = dft_store_read_log (a, seq - 1, 1, device, NULL, &error);
  g_autoptr (GPtrArray) in_b = dft_store_read_log (b, seq - 1, 1, device, NULL, &error);
  g_autofree char      *digest_a = NULL;
  g_autofree char      *digest_b = NULL;

  g_assert_no_error (error);
  if (in_a->len == 0 || in_b->len == 0
      || ((DftChange *) g_ptr_array_index (in_a, 0))->origin_seq != seq
      || ((DftChange *) g_ptr_array_index (in_b, 0))->origin_seq != seq)
    return TRUE;
  digest_a = dft_change_digest (g_ptr_array_index (in_a, 0));
  digest_b = dft_change_digest (g_ptr_array_index (in_b, 0));
  return g_str_equal (digest_a, digest_b);
}

static void
pull (World *w, Replica *r)
{
  g_autoptr (GError)    error = NULL;
  const char           *me;
  g_autoptr (GPtrArray) page = NULL;
  gint64                last = dft_store_last_seq (w->hub.store, &error);
  DftApplyStats         stats;
  guint                 yielded = 0;

  see_epoch (w, r);
  /* A cursor the hub's log does not hold, or fewer of its own changes than the hub once
   * acknowledged: the hub was put back. */
  if (r->pulled > last || (r->pulled > w->log_at_start && r->pulled <= w->log_first)
      || r->pushed > dft_store_origin_high (w->hub.store, dft_store_get_device_id (r->store), NULL))
    {
      new_epoch (w);
      push (w, r);
      pull (w, r);
      return;
    }
  /* The hub holds as many of this replica's changes as it acknowledged, but another change
   * under the last number: put back, it took a copy's. Pushed again from the first, the
   * changes show where the copies parted. */
  me = dft_store_get_device_id (r->store);
  if (r->pushed > 0 && !same_change (w->hub.store, r->store, me, r->pushed))
    {
      r->pushed = 0;
      push (w, r);
      me = dft_store_get_device_id (r->store);
    }
  /* The hub holds more under this replica's id than it does: a copy of it made them. A sync
   * pushes before it pulls, so what this replica holds of its own, the hub holds alike. */
  if (dft_store_origin_high (w->hub.store, me, NULL) > dft_store_origin_high (r->store, me, NULL))
    {
      push (w, r);
      me = dft_store_get_device_id (r->store);
      if (dft_store_origin_high (w->hub.store, me, NULL)
          > dft_store_origin_high (r->store, me, NULL))
        take_identity (w, r, dft_store_origin_high (r->store, me, NULL));
      while (r->relay && !relay (w, r))
        ;
      me = dft_store_get_device_id (r->store);
    }
  page = dft_store_read_log (w->hub.store, r->pulled, 0, NULL, me, &error);
  g_assert_no_error (error);
  if (page->len > 0
      && (!dft_store_yield_forks (r->store, page, &yielded, &error)
          || !dft_store_apply_changes (r->store, page, &stats, &error)))
    g_error ("seed %u: a replica refused what it pulled: %s", w->seed, error->message);
  {
    g_autoptr (GPtrArray) all = dft_store_read_log (w->hub.store, r->pulled, 0, NULL, NULL, &error);
    if (all->len > 0)
      r->pulled = ((DftChange *) g_ptr_array_index (all, all->len - 1))->seq;
  }
}

/* ---- The files: copies and snapshots ---------------------------------------- */

static char *
new_file (World *w)
{
  g_autofree char *name = g_strdup_printf ("file-%u.db", ++w->files);

  return g_build_filename (w->dir, name, NULL);
}

static void
copy_to (DftStore *store, const char *path)
{
  g_autofree char *sql = g_strdup_printf ("VACUUM INTO '%s'", path);

  g_assert_cmpint (sqlite3_exec (_dft_store_get_db (store), sql, NULL, NULL, NULL), ==, SQLITE_OK);
}

static DftStore *
open_copy (World *w, const char *snapshot)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile)  from = g_file_new_for_path (snapshot);
  g_autofree char   *path = new_file (w);
  g_autoptr (GFile)  to = g_file_new_for_path (path);
  g_autofree char   *name = g_path_get_basename (path);

  g_assert_true (g_file_copy (from, to, G_FILE_COPY_NONE, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  return dft_test_open_replica (w->dir, name);
}

static void
take_snapshot (World *w, int device)
{
  Snapshot *snap;

  if (w->n_snapshots == MAX_SNAPSHOTS)
    return;
  snap = &w->snapshots[w->n_snapshots++];
  snap->path = new_file (w);
  snap->device = device;
  snap->marks = device < 0 ? w->hub : w->devices[device];
  snap->marks.open = NULL; /* the file's state only, not the window's */
  copy_to (device < 0 ? w->hub.store : w->devices[device].store, snap->path);
}

/*
 * The replica's database goes on a second laptop, which syncs on beside the
 * first. With a hub put back too (seed 7003367): copy X pushes its change #2
 * and the hub acknowledges it; the hub is put back to before #2; copy Y, which
 * made another #2 under the same id, pushes it and the hub takes it. X's mark
 * and the hub's count agree; only the digest of X's #2, which X shows when it
 * pulls, tells that the hub holds another #2 (sync/PROTOCOL.md, "Restores").
 */
static void
copy_replica (World *w, Replica *r)
{
  g_autofree char *path = NULL;
  g_autofree char *name = NULL;
  Replica         *copy;

  if (w->n_devices == MAX_DEVICES)
    return;
  path = new_file (w);
  name = g_path_get_basename (path);
  if (g_getenv ("DAFTARI_CONVERGENCE_TRACE") != NULL)
    g_printerr ("  copy device %d as device %u\n", (int) (r - w->devices), w->n_devices);
  copy_to (r->store, path);
  copy = &w->devices[w->n_devices++];
  *copy = *r;
  copy->store = dft_test_open_replica (w->dir, name);
  copy->open = NULL; /* an editor left open stays on the first laptop */
  w->copies++;
}

static void forget_lost_saves (World *w, guint device);

/* A snapshot is put back: a replica's laptop restored from its backup, or the hub's data. */
static void
roll_back (World *w)
{
  Snapshot *snap;
  Replica  *r;

  if (w->n_snapshots == 0)
    return;
  snap = &w->snapshots[g_rand_int_range (w->rand, 0, (gint32) w->n_snapshots)];
  if ((snap->device < 0) != w->hub_rollbacks)
    return;
  r = snap->device < 0 ? &w->hub : &w->devices[snap->device];
  if (g_getenv ("DAFTARI_CONVERGENCE_TRACE") != NULL)
    g_printerr ("  roll back %d to its snapshot (pushed %" G_GINT64_FORMAT ")\n", snap->device,
                snap->marks.pushed);
  dft_test_release_store (r->store);
  g_clear_object (&r->open); /* the laptop restarts: no editor is open */
  *r = snap->marks;
  r->store = open_copy (w, snap->path);
  if (snap->device >= 0)
    forget_lost_saves (w, (guint) snap->device);
  if (snap->device < 0)
    {
      /* The hub starts again: its log goes on after anything an earlier run gave. */
      g_autoptr (GError) error = NULL;

      g_autofree char *fresh = dft_uuid_v4_new ();

      /* Its own changes (conflict records) go under a new id: the lost ones had its numbers. */
      g_assert_true (dft_store_take_identity (
          w->hub.store, fresh,
          dft_store_origin_high (w->hub.store, dft_store_get_device_id (w->hub.store), NULL), NULL,
          &error));
      w->log_at_start = dft_store_last_seq (w->hub.store, &error);
      w->log_first = MAX (w->log_first, w->log_at_start) + 1000000;
      g_assert_true (dft_store_skip_log_positions (w->hub.store, w->log_first, &error));
      g_assert_no_error (error);
    }
  w->rollbacks++;
}

/* Every change the hub acknowledged is on it, under whatever name. */
static void
check_acknowledged (World *w)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (GPtrArray)  log = dft_store_read_log (w->hub.store, 0, 0, NULL, NULL, &error);
  g_autoptr (GHashTable) held = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GHashTableIter         iter;
  gpointer               key;

  g_assert_no_error (error);
  for (guint i = 0; i < log->len; i++)
    g_hash_table_add (held, content_key (g_ptr_array_index (log, i)));
  g_hash_table_iter_init (&iter, w->acknowledged);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (held, key))
      {
        for (guint d = 0; d < w->n_devices && g_getenv ("DAFTARI_CONVERGENCE_TRACE") != NULL; d++)
          {
            g_autoptr (GPtrArray) own
                = dft_store_read_log (w->devices[d].store, 0, 0, NULL, NULL, NULL);

            for (guint i = 0; i < own->len; i++)
              {
                DftChange       *c = g_ptr_array_index (own, i);
                g_autofree char *k = content_key (c);

                if (g_str_equal (k, key))
                  g_printerr ("device %u holds it as %s #%" G_GINT64_FORMAT
                              " (its id %s, pushed %" G_GINT64_FORMAT ")\n",
                              d, c->device_id, c->origin_seq,
                              dft_store_get_device_id (w->devices[d].store), w->devices[d].pushed);
              }
          }
        g_error ("seed %u: an acknowledged change is gone: %s", w->seed, (const char *) key);
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
  static const char    *phones[] = { "+996555000111", "+995599000222", NULL };
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) person = g_steal_pointer (&r->open);
  g_autoptr (DftRecord) now = NULL;
  g_autoptr (GPtrArray) replaced = g_ptr_array_new_with_free_func (g_free);
  const char           *typed, *held;
  gint64                seq;

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

      g_ptr_array_add (replaced, g_strdup_printf ("%s/phone=%s", dft_record_get_id (person), text));
    }
  if (dft_record_get_deleted (now) && !dft_record_get_deleted (person))
    g_ptr_array_add (replaced, g_strdup_printf ("%s/deleted=true", dft_record_get_id (person)));
  dft_record_set_string (person, "phone", typed);
  g_assert_true (dft_store_save (r->store, person, &error));
  g_assert_no_error (error);
  /* Named with the save: a laptop put back from before it loses the save, and what it
   * replaced is then no longer this save's to keep. */
  seq = dft_store_origin_high (r->store, dft_store_get_device_id (r->store), &error);
  g_assert_no_error (error);
  for (guint i = 0; i < replaced->len; i++)
    g_ptr_array_add (w->unseen,
                     g_strdup_printf ("%u:%" G_GINT64_FORMAT ":%s", (guint) (r - w->devices), seq,
                                      (const char *) g_ptr_array_index (replaced, i)));
}

/* A laptop put back from a snapshot lost the saves it made after it: forget what they replaced. */
static void
forget_lost_saves (World *w, guint device)
{
  g_autoptr (GError) error = NULL;
  DftStore          *store = w->devices[device].store;
  gint64             high = dft_store_origin_high (store, dft_store_get_device_id (store), &error);

  g_assert_no_error (error);
  for (guint i = w->unseen->len; i > 0; i--)
    {
      g_auto (GStrv) parts = g_strsplit (g_ptr_array_index (w->unseen, i - 1), ":", 3);

      if ((guint) g_ascii_strtoull (parts[0], NULL, 10) == device
          && g_ascii_strtoll (parts[1], NULL, 10) > high)
        g_ptr_array_remove_index (w->unseen, i - 1);
    }
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

/*
 * A coordinator merges two of the people (taking some of the other's values), undoes a merge
 * this laptop knows, or says two are different people. Refusals are part of the game: the two
 * were at one session, one is deleted or merged away already, the pair was told apart.
 */
static void
random_merge (World *w, Replica *r)
{
  g_autoptr (GError) error = NULL;
  int                op = g_rand_int_range (w->merge_rand, 0, 6);
  const char        *a = g_ptr_array_index (w->people, g_rand_int_range (w->merge_rand, 0, 4));
  const char        *b = g_ptr_array_index (w->people, g_rand_int_range (w->merge_rand, 0, 4));

  if (op < 3)
    {
      static const char *const takes[][3]
          = { { NULL }, { "agency", NULL }, { "phone", "given_name" } };
      g_autoptr (DftRecord) merge = dft_store_merge_people (
          r->store, a, b, takes[g_rand_int_range (w->merge_rand, 0, 3)], &error);

      if (merge != NULL)
        w->merges++;
      else
        g_assert_true (g_error_matches (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID));
    }
  else if (op < 5)
    {
      g_autoptr (GPtrArray) merges = dft_store_list_merges (r->store, &error);

      g_assert_no_error (error);
      if (merges->len == 0)
        return;
      if (dft_store_unmerge (r->store,
                             ((DftMergeView *) g_ptr_array_index (
                                  merges, g_rand_int_range (w->merge_rand, 0, merges->len)))
                                 ->id,
                             &error))
        w->unmerges++;
      else
        g_assert_true (g_error_matches (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID));
    }
  else if (!dft_store_mark_distinct (r->store, a, b, &error))
    g_assert_true (g_error_matches (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID));
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
  if (json_node_get_value_type (value) == G_TYPE_BOOLEAN
      && G_VALUE_HOLDS_BOOLEAN (dft_record_get_value (record, (guint) index)))
    return json_node_get_boolean (value)
           == g_value_get_boolean (dft_record_get_value (record, (guint) index));
  if (json_node_get_value_type (value) != G_TYPE_STRING)
    return FALSE;
  /* A record names whoever stands now for the person it was written about. */
  if (g_str_equal (field, "person_id"))
    {
      g_autofree char *survivor = dft_store_survivor_of (store, json_node_get_string (value));
      return g_strcmp0 (survivor, g_value_get_string (&held)) == 0;
    }
  return g_strcmp0 (json_node_get_string (value), g_value_get_string (&held)) == 0;
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
  /* Versions kept as conflicts, and the values they keep: of two writes of the same value
   * that met, the merge keeps one (nothing differs), so a conflict holding the later of them
   * explains the earlier too (seed 4233025811: two deletes of one person met, then a save
   * read before both undid them, and the conflict kept one delete). */
  sqlite3_prepare_v2 (
      db, "SELECT entity_name, record_id, field, lost_version, lost_value FROM conflict", -1, &stmt,
      NULL);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_hash_table_add (explained, field_key ((const char *) sqlite3_column_text (stmt, 0),
                                              (const char *) sqlite3_column_text (stmt, 1),
                                              (const char *) sqlite3_column_text (stmt, 2),
                                              (const char *) sqlite3_column_text (stmt, 3)));
      g_hash_table_add (explained, g_strdup_printf ("%s/%s/%s=%s", sqlite3_column_text (stmt, 0),
                                                    sqlite3_column_text (stmt, 1),
                                                    sqlite3_column_text (stmt, 2),
                                                    sqlite3_column_text (stmt, 4)));
    }
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
            {
              g_error ("seed %u: the write %s (%s) was lost without a conflict", w->seed, key,
                       text);
            }
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
      const char    *entry = strchr (strchr (g_ptr_array_index (w->unseen, i), ':') + 1, ':') + 1;
      g_auto (GStrv) parts = g_strsplit_set (entry, "/=", 3);
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

/* What @store holds of record @id: its log entries and field versions, to see why two differ. */
static void
trace_record (const char *who, DftStore *store, const char *id)
{
  g_autoptr (GPtrArray) log = dft_store_read_log (store, 0, 0, NULL, NULL, NULL);
  sqlite3_stmt         *stmt = NULL;

  g_printerr ("%s (device %s):\n", who, dft_store_get_device_id (store));
  for (guint i = 0; log != NULL && i < log->len; i++)
    {
      DftChange           *c = g_ptr_array_index (log, i);
      g_autoptr (JsonNode) fields = NULL;
      g_autofree char     *text = NULL;
      g_autofree char     *base = NULL;

      if (!g_str_equal (c->record_id, id))
        continue;
      fields = json_node_init_object (json_node_alloc (), c->fields);
      text = json_to_string (fields, FALSE);
      if (c->base != NULL)
        {
          g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), c->base);
          base = json_to_string (node, FALSE);
        }
      g_printerr ("  log %" G_GINT64_FORMAT " %" G_GUINT64_FORMAT "/%.8s #%" G_GINT64_FORMAT
                  " %s base %s\n",
                  c->seq, c->hlc, c->device_id, c->origin_seq, text, base != NULL ? base : "-");
    }
  sqlite3_prepare_v2 (_dft_store_get_db (store),
                      "SELECT field, hlc, device_id, base FROM field_version WHERE record_id = ?",
                      -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_printerr ("  version %s %s/%.8s base %s\n", sqlite3_column_text (stmt, 0),
                sqlite3_column_text (stmt, 1), sqlite3_column_text (stmt, 2),
                sqlite3_column_text (stmt, 3));
  sqlite3_finalize (stmt);
}

/* Set DAFTARI_CONVERGENCE_TRACE=1 to see, for each record two replicas hold differently, what
 * each holds of it. */
static void
trace_difference (World *w, Replica *device, const char *hub_dump, const char *device_dump)
{
  g_auto (GStrv) hub_lines = g_strsplit (hub_dump, "\n", -1);

  if (g_getenv ("DAFTARI_CONVERGENCE_TRACE") == NULL)
    return;
  for (guint i = 0; hub_lines[i] != NULL; i++)
    {
      g_auto (GStrv) words = g_strsplit (hub_lines[i], " ", 3);

      if (g_strv_length (words) < 2 || strstr (device_dump, hub_lines[i]) != NULL)
        continue;
      g_printerr ("--- %s %s\n", words[0], words[1]);
      trace_record ("hub", w->hub.store, words[1]);
      trace_record ("device", device->store, words[1]);
    }
}

/* With DAFTARI_CONVERGENCE_TRACE=1, each step of a history as it runs. */
static void
trace_step (World *w, guint step, Replica *r, const char *what)
{
  if (g_getenv ("DAFTARI_CONVERGENCE_TRACE") == NULL)
    return;
  g_printerr ("step %u: device %d %s (pushed %" G_GINT64_FORMAT ", snapshots %u, copies %u, "
              "rollbacks %u)\n",
              step, (int) (r - w->devices), what, r->pushed, w->n_snapshots, w->copies,
              w->rollbacks);
}

static void
run_seed (guint32  seed,
          gboolean with_merges,
          guint   *writes_checked,
          guint   *conflicts,
          guint   *files_events,
          guint   *forks,
          guint   *restores)
{
  World                 w = { 0 };
  g_autoptr (GError)    error = NULL;
  g_autofree char      *reference = NULL;
  g_autoptr (DftRecord) event = NULL;
  g_autoptr (GRand)     setup = NULL;

  w.dir = dft_test_make_dir ();
  w.rand = g_rand_new_with_seed (seed);
  setup = g_rand_new_with_seed (seed ^ 0x9e3779b9u);
  w.seed = seed;
  /* A generator of its own: without merges, a history is what it was before they existed. */
  if (with_merges)
    w.merge_rand = g_rand_new_with_seed (seed ^ 0x5bd1e995u);
  /* Device ids and record ids come from GLib's random numbers: from the seed too. */
  g_random_set_seed (seed);
  history_ms = G_GINT64_CONSTANT (1777852800000); /* 2026-05-04 */
  _dft_hlc_set_wall_clock (history_clock);
  w.hub_rollbacks = g_rand_boolean (w.rand);
  w.acknowledged = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  w.n_devices = (guint) g_rand_int_range (w.rand, 2, 5);
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
      g_autoptr (DftRecord) person = NULL;

      /* Ids sort by the millisecond they were made in, then by chance: both orders occur. The
       * jitter has a generator of its own, so that the histories of the seeds found before it
       * stay as they were. */
      history_ms += g_rand_int_range (setup, 0, 2);
      person = dft_test_add_person (w.devices[0].store, "Нурлан", "Осмонов");
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

      history_ms += g_rand_int_range (w.rand, 0, 3);

      if (w.merge_rand != NULL && g_rand_int_range (w.merge_rand, 0, 6) == 0)
        random_merge (&w, r);
      if (what < 7)
        random_edit (&w, r);
      else if (what < 9)
        push (&w, r);
      else
        pull (&w, r);
      trace_step (&w, step, r, what < 7 ? "edit" : what < 9 ? "push" : "pull");
      /* Now and then, what the field does to files. */
      switch (g_rand_int_range (w.rand, 0, 40))
        {
        case 0:
          take_snapshot (&w, w.hub_rollbacks ? -1 : (int) (r - w.devices));
          break;
        case 1:
          copy_replica (&w, r);
          break;
        case 2:
          roll_back (&w);
          break;
        default:
          break;
        }
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
        trace_difference (&w, &w.devices[d], reference, other);
      if (g_strcmp0 (reference, other) != 0)
        g_error ("seed %u: device %u differs from the hub:\n--- hub\n%s\n--- device\n%s", seed, d,
                 reference, other);
    }
  *writes_checked += check_no_silent_loss (&w);
  check_unseen_kept (&w);
  check_acknowledged (&w);
  *files_events += w.copies + w.rollbacks;
  total_merges += w.merges;
  total_unmerges += w.unmerges;
  *forks += w.forks;
  *restores += w.restores;
  {
    g_autoptr (GPtrArray) rows
        = _dft_store_query (w.hub.store, &dft_entity_conflict, NULL, NULL, NULL, &error);
    *conflicts += rows->len;
  }

  g_clear_object (&event);
  dft_test_release_store (w.hub.store);
  for (guint d = 0; d < w.n_devices; d++)
    dft_test_release_store (w.devices[d].store);
  _dft_hlc_set_wall_clock (NULL);
  g_ptr_array_unref (w.people);
  for (guint d = 0; d < w.n_devices; d++)
    g_clear_object (&w.devices[d].open);
  g_ptr_array_unref (w.sessions);
  g_ptr_array_unref (w.drafts);
  g_ptr_array_unref (w.unseen);
  g_hash_table_unref (w.acknowledged);
  for (guint i = 0; i < w.n_snapshots; i++)
    g_free (w.snapshots[i].path);
  g_rand_free (w.rand);
  g_clear_pointer (&w.merge_rand, g_rand_free);
  dft_test_dir_free (w.dir);
}

/*
 * Histories that failed once, run every time. 385443399: a laptop put back from before a
 * save of a person read earlier lost the save, and the test still asked the hub to keep what
 * that save had replaced. 4233025811: two deletes of one person met and a save read before
 * both undid them; the conflict kept one delete, which holds the other's value too.
 * 2367731538: a hub put back took a copy's change under a number the other copy had been
 * acknowledged for, and that copy pushed on past it before it pulled. 2302611479: a hub put
 * back lost a conflict record it had made, and the only device whose cursor showed the loss
 * dropped the cursor for a new identity (a copy's fork) before it pulled, so never relayed it.
 */
static void
test_convergence_regressions (void)
{
  static const guint32 seeds[] = { 385443399, 4233025811, 7003367, 2367731538, 2302611479 };
  guint                writes = 0, conflicts = 0, files = 0, forks = 0, restores = 0;

  for (guint i = 0; i < G_N_ELEMENTS (seeds); i++)
    run_seed (seeds[i], FALSE, &writes, &conflicts, &files, &forks, &restores);
  g_test_message ("%u histories that failed once: %u writes accounted for",
                  (guint) G_N_ELEMENTS (seeds), writes);
}

/*
 * The exact case of seed 2302611479, at the store: a database that drops its pull cursor for a
 * new identity (a fork, as the sync client and a bundle import do) asks its next sync to relay
 * everything it holds, since the cursor was what showed a server put back; the server's own
 * new id for each run, which drops no cursor, asks for nothing.
 */
static void
test_convergence_identity_relays (void)
{
  g_autoptr (GError) error = NULL;
  char              *dir = dft_test_make_dir ();
  DftStore          *laptop = dft_test_open_replica (dir, "laptop.db");
  DftStore          *server = dft_test_open_replica (dir, "server.db");
  const char        *state[] = { "push_acked_seq", "0", "pull_cursor", "0", NULL };
  g_autofree char   *fresh = dft_uuid_v4_new ();
  g_autofree char   *renewed = dft_uuid_v4_new ();
  g_autofree char   *laptop_relay = NULL;
  g_autofree char   *server_relay = NULL;

  g_assert_true (dft_store_set_sync_state (laptop, "pull_cursor", "27", &error));
  g_assert_true (dft_store_take_identity (laptop, fresh, 0, state, &error));
  g_assert_no_error (error);
  laptop_relay = dft_store_get_sync_state (laptop, "relay_after", &error);
  g_assert_cmpstr (laptop_relay, ==, "0");

  g_assert_true (dft_store_take_identity (server, renewed, 0, NULL, &error));
  g_assert_no_error (error);
  server_relay = dft_store_get_sync_state (server, "relay_after", &error);
  g_assert_no_error (error);
  g_assert_true (server_relay == NULL || *server_relay == '\0');

  dft_test_release_store (laptop);
  dft_test_release_store (server);
  dft_test_dir_free (dir);
}

static void
test_convergence_random (void)
{
  const char *env = g_getenv ("DAFTARI_CONVERGENCE_SEEDS");
  const char *one = g_getenv ("DAFTARI_CONVERGENCE_SEED");
  guint   seeds = one != NULL ? 1 : env != NULL ? (guint) atoi (env) : g_test_slow () ? 600 : 50;
  guint32 first = g_test_rand_int ();
  guint   writes = 0, conflicts = 0, files = 0, forks = 0, restores = 0;

  if (one != NULL || g_getenv ("DAFTARI_CONVERGENCE_FIRST_SEED") != NULL)
    first = (guint32) g_ascii_strtoull (
        one != NULL ? one : g_getenv ("DAFTARI_CONVERGENCE_FIRST_SEED"), NULL, 10);
  /* Printed first: a failure names its history as "seed N" (DAFTARI_CONVERGENCE_SEED=N). */
  g_test_message ("histories from seed %u", first);
  for (guint i = 0; i < seeds; i++)
    run_seed (first + i, TRUE, &writes, &conflicts, &files, &forks, &restores);
  g_test_message (
      "%u random histories from seed %u converged; %u writes accounted for, %u conflicts kept; "
      "%u copies and rollbacks, %u forks taken a new identity, %u restores found; "
      "%u merges of people made and %u undone",
      seeds, first, writes, conflicts, files, forks, restores, total_merges, total_unmerges);
  if (seeds >= 200)
    {
      g_assert_cmpuint (total_merges, >, 0);
      g_assert_cmpuint (total_unmerges, >, 0);
      g_assert_cmpuint (conflicts, >, 0);
      g_assert_cmpuint (forks, >, 0);
      g_assert_cmpuint (restores, >, 0);
    }
}

int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);

  g_test_add_func ("/convergence/regressions", test_convergence_regressions);
  g_test_add_func ("/convergence/identity-relays", test_convergence_identity_relays);
  g_test_add_func ("/convergence/random", test_convergence_random);

  return g_test_run ();
}
