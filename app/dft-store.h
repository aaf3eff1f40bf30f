/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dft-change-log.h"
#include "dft-record.h"

G_BEGIN_DECLS

#define DFT_STORE_ERROR (dft_store_error_quark ())

typedef enum
{
  DFT_STORE_ERROR_INVALID, /* a field's value breaks a rule; the message names the field */
  DFT_STORE_ERROR_NOT_FOUND,
  DFT_STORE_ERROR_FOLDER,      /* the data folder cannot be made or written */
  DFT_STORE_ERROR_FORKED,      /* a change named like a held one but different: a copied database */
  DFT_STORE_ERROR_CLOCK_AHEAD, /* a change stamped by a clock far ahead of this one's */
  DFT_STORE_ERROR_NOT_ALLOWED, /* this device's role may not do it (a trainer resolving) */
} DftStoreError;

GQuark dft_store_error_quark (void);

/* The schema version this build writes; see dft-migrations.c. */
#define DFT_SCHEMA_VERSION 13

#define DFT_TYPE_STORE (dft_store_get_type ())
G_DECLARE_FINAL_TYPE (DftStore, dft_store, DFT, STORE, GObject)

char *dft_store_default_path (void);

DftStore *dft_store_open (const char *path, GError **error);
/*
 * Whether the store keeps participation_tally, the attendance the indicator report reads,
 * up to date on every write (dft-migrations.c, version 10). A sync server never reads it and
 * turns it off, for less work under its one writer; the report counts it again, once, when it
 * finds it off, and so does turning it back on.
 */
gboolean  dft_store_set_keeps_tallies (DftStore *self, gboolean keeps, GError **error);
void      dft_store_open_async (const char         *path,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data);
DftStore *dft_store_open_finish (GAsyncResult *result, GError **error);

const char *dft_store_get_path (DftStore *self);
const char *dft_store_get_device_id (DftStore *self);
int         dft_store_get_schema_version (DftStore *self);
gint64      dft_store_count_pending_changes (DftStore *self, GError **error);
/* Conflicts kept and not yet decided by a coordinator; -1 on error. */
gint64 dft_store_count_open_conflicts (DftStore *self, GError **error);
/* The values of @field in live @entity records, most used first, at most @limit. */
GStrv dft_store_list_values (
    DftStore *self, const DftEntity *entity, const char *field, guint limit, GError **error);

/* A check of every page of the file; slow on a big store, so never on open. */
gboolean dft_store_check (DftStore *self, GCancellable *cancellable, GError **error);
void     dft_store_check_async (DftStore           *self,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data);
gboolean dft_store_check_finish (DftStore *self, GAsyncResult *result, GError **error);
gboolean dft_store_get_damaged (DftStore *self);

/* Reading. */
DftRecord *dft_store_load (DftStore *self, const DftEntity *entity, const char *id, GError **error);
DftRecord *
dft_store_load_or_new (DftStore *self, const DftEntity *entity, const char *id, GError **error);
GPtrArray  *dft_store_find_people (DftStore *self, const char *query, guint limit, GError **error);
GListModel *dft_store_list_events (DftStore *self);
GListModel *dft_store_list_sessions (DftStore *self, const char *event_id);
GListModel *dft_store_list_people (DftStore *self, const char *event_id);
/*
 * A person's enrollments and attendance marks follow the person: while the
 * person is deleted they are not listed, and they are back if an edit revives
 * the person (PROTOCOL.md, Merge). SQL true when the person in @column lives.
 */
#define DFT_SQL_PERSON_LIVE(column)                                                                \
  "NOT EXISTS (SELECT 1 FROM person WHERE person.id = " column " AND person.deleted)"
GListModel *dft_store_list_enrollments (DftStore *self, const char *event_id);
GListModel *dft_store_list_attendance (DftStore *self, const char *session_id);
GListModel *dft_store_list_forms (DftStore *self);
GListModel *dft_store_list_submissions (DftStore *self, const char *event_id);

/*
 * Named queries, each under the store's lock. dft_store_list_records() gives the live records
 * of @entity whose fields hold the given values: @filters holds pairs of a field name and a
 * value, a NULL value meaning "has one, not empty", and ends with NULL in a name's place
 * ({ "event_id", id, "email", NULL, NULL }; NULL for no filter). @order_by holds field names,
 * each maybe followed by " COLLATE NOCASE" (NULL for the store's order); @limit is 0 for no
 * limit. Every name must be a column of @entity: names are checked, only values are bound.
 */
GPtrArray *dft_store_list_records (DftStore          *self,
                                   const DftEntity   *entity,
                                   const char *const *filters,
                                   const char *const *order_by,
                                   guint              limit,
                                   GError           **error);
/* Live records of @entity; -1 on error. */
gint64 dft_store_count_records (DftStore *self, const DftEntity *entity, GError **error);
/* The live people enrolled in @event_id, by family and given name. */
GPtrArray *dft_store_list_enrolled_people (DftStore *self, const char *event_id, GError **error);
/* The live attendance marks of @event_id's sessions. */
GPtrArray *dft_store_list_event_attendance (DftStore *self, const char *event_id, GError **error);

/* A session's attendance marks by status, counting only the people enrolled in its workshop. */
typedef struct
{
  char *session_id;
  char *date;
  char *part;
  guint present;
  guint late;
  guint excused;
  guint absent;
} DftSessionTally;

void dft_session_tally_free (DftSessionTally *tally);
/*
 * A workshop's figures, read in one transaction so that they agree even while a sync writes:
 * *people the live people enrolled in @event_id (as dft_store_list_enrolled_people()),
 * *tallies (of DftSessionTally) its live sessions by date and part.
 */
gboolean dft_store_read_event_figures (
    DftStore *self, const char *event_id, GPtrArray **people, GPtrArray **tallies, GError **error);

/*
 * Writing. Every change made on this device goes through dft_store_save_all(): one
 * transaction that validates the records, writes the rows and appends each change to the
 * change log. Changes made elsewhere arrive through dft_store_apply_changes() below.
 */
gboolean dft_store_save (DftStore *self, DftRecord *record, GError **error);
gboolean dft_store_save_all (DftStore *self, DftRecord **records, guint n_records, GError **error);
gboolean dft_store_validate (DftStore *self, DftRecord *record, GError **error);
gboolean dft_store_delete (DftStore *self, DftRecord *record, GError **error);
gboolean dft_store_undelete (DftStore *self, DftRecord *record, GError **error);
DftRecord *dft_store_mark_attendance (DftStore   *self,
                                      const char *session_id,
                                      const char *person_id,
                                      const char *status,
                                      const char *note,
                                      GError    **error);
/*
 * Sets several marks in one transaction (Everyone Present, and undoing or redoing it): each
 * (session, person) takes @statuses[i], or, where that is NULL, loses its mark. A cleared mark
 * is a delete of the attendance record, which syncs like any change (PROTOCOL.md, Merge); a
 * new mark on it revives it.
 */
gboolean   dft_store_set_attendance (DftStore          *self,
                                     const char        *session_id,
                                     const char *const *person_ids,
                                     const char *const *statuses,
                                     guint              n,
                                     GError           **error);
DftRecord *dft_store_enroll (
    DftStore *self, const char *event_id, const char *person_id, const char *role, GError **error);

/*
 * Sync. The change log holds every change this replica knows: its own and
 * those it received, each named by (device, origin seq). The device pushes
 * its own; a server relays everyone's; a bundle carries any.
 */
typedef struct
{
  guint    applied;      /* changes that changed at least one field */
  guint    duplicates;   /* changes this replica already held */
  guint    outdated;     /* changes all of whose fields had newer values here */
  guint    conflicts;    /* conflict records new here: found while applying, or received */
  gboolean new_identity; /* a bundle showed this database is a copy: it took a new device id */
  guint    clocks_ahead; /* changes whose clocks were more than DFT_HLC_MAX_AHEAD_MS ahead of this
                          * replica's: applied, but this replica's clock did not follow them */
} DftApplyStats;

gboolean
dft_store_apply_changes (DftStore *self, GPtrArray *changes, DftApplyStats *stats, GError **error);
/* Entries with seq > @after_seq, oldest first; @only_device or @exclude_device may be NULL.
 * With @only_device, @after_seq and the order are that device's own numbers (origin seq). */
GPtrArray *dft_store_read_log (DftStore   *self,
                               gint64      after_seq,
                               guint       limit,
                               const char *only_device,
                               const char *exclude_device,
                               GError    **error);
/* The highest origin seq held from @device_id, 0 if none. */
gint64 dft_store_origin_high (DftStore *self, const char *device_id, GError **error);
char  *dft_store_get_sync_state (DftStore *self, const char *key, GError **error);
gboolean
dft_store_set_sync_state (DftStore *self, const char *key, const char *value, GError **error);
/* Sets @key to "" and overwrites its old value wherever the file held it (a secret). */
gboolean    dft_store_erase_sync_state (DftStore *self, const char *key, GError **error);
GListModel *dft_store_list_conflicts (DftStore *self);

/*
 * Clocks (dft-store-clock.c). A change whose clock is more than
 * DFT_HLC_MAX_AHEAD_MS ahead of this replica's wall clock would win every merge
 * for as long as that lasts: receiving a push and importing a bundle refuse
 * it with DFT_STORE_ERROR_CLOCK_AHEAD before applying anything (*index: the
 * first such change, *ahead_ms: how far ahead it is), while a pulled page is
 * applied without this clock following it (DftApplyStats.clocks_ahead, and the
 * sync state "clock_ahead_ms").
 */
gint64   dft_store_wall_ms (DftStore *self);
gboolean dft_store_check_clocks (
    DftStore *self, GPtrArray *changes, guint *index, gint64 *ahead_ms, GError **error);
/*
 * This device's own changes numbered after @after_seq (not yet acknowledged)
 * that a wrong date stamped more than DFT_HLC_MAX_AHEAD_MS ahead of the wall
 * clock now get new clock values, in their order, just after the latest
 * value this replica holds from before (sync/PROTOCOL.md, "Clocks"); the
 * versions that name them follow. Nothing is lost: each keeps its fields.
 * *n_restamped (may be NULL) says how many.
 */
gboolean
dft_store_restamp_ahead (DftStore *self, gint64 after_seq, guint *n_restamped, GError **error);

/*
 * Identity (dft-store-identity.c). A database copied to another laptop, or
 * restored from a backup, numbers its next changes as the original does: a
 * held name (device, origin seq) with other content is a fork, refused with
 * DFT_STORE_ERROR_FORKED. dft_store_find_fork() finds the first such change of
 * @changes (*found FALSE when there is none).
 */
gboolean dft_store_find_fork (
    DftStore *self, GPtrArray *changes, gboolean *found, guint *index, GError **error);
/* Sets DFT_STORE_ERROR_FORKED for @change, a fork found as above; returns FALSE. */
gboolean dft_store_set_fork_error (GError **error, const DftChange *change);
/*
 * The forked database takes @device_id: its own changes numbered after
 * @after_seq become @device_id's, numbered from 1 in their order, and the
 * pairs of @state (key, value, …, NULL) are saved in the same transaction.
 * A state that sets "pull_cursor" back also sets "relay_after" to 0: the next sync relays
 * everything held once (sync/PROTOCOL.md, "Forks").
 */
gboolean dft_store_take_identity (DftStore          *self,
                                  const char        *device_id,
                                  gint64             after_seq,
                                  const char *const *state,
                                  GError           **error);
/*
 * At start: a database file that is not where it was last opened (copied to another laptop or
 * beside the original, put back from a backup) takes a new device id before it writes, so its
 * changes and the original's never share a name; *copied says it did (show
 * dft_store_new_identity_message()). A file first opened here is recorded as this place's.
 */
gboolean dft_store_check_place (DftStore *self, gboolean *copied, GError **error);
/* Before applying a pull: drops held changes of other devices the server holds otherwise
 * (the server's are kept everywhere); *yielded counts them. */
gboolean dft_store_yield_forks (DftStore *self, GPtrArray *changes, guint *yielded, GError **error);
/*
 * Changes the server set aside (sync/PROTOCOL.md, "Set aside"): refused one by one with a
 * reason, so that the rest syncs. dft_store_set_aside() keeps one (@change NULL on a laptop,
 * which holds it in its log): a repeated (device, seq) is kept once. It counts in
 * dft_store_origin_high(): the server received it. dft_store_count_set_aside() counts those of
 * @device_id (all when NULL) and gives the reason of the latest.
 */
gboolean dft_store_set_aside (DftStore   *self,
                              const char *device_id,
                              gint64      origin_seq,
                              gpointer    change, /* a DftChange, or NULL */
                              const char *reason,
                              GError    **error);
guint    dft_store_count_set_aside (DftStore   *self,
                                    const char *device_id,
                                    char      **latest_reason,
                                    GError    **error);
/* The one line to show a person when this database took a new device id. */
const char *dft_store_new_identity_message (void);
/* The highest position the change log ever gave, 0 when empty. */
gint64 dft_store_last_seq (DftStore *self, GError **error);
/* The change log's next positions come after @position (never lower than they were). */
gboolean dft_store_skip_log_positions (DftStore *self, gint64 position, GError **error);

/*
 * Purge (sync/PROTOCOL.md, "Purge"). dft_store_purge_deleted() removes, on a server, each
 * deleted person all of whose changes, and those of their enrollments and attendance marks,
 * every device of @positions holds: a JSON object of device id -> the log position it pulled
 * after; a device holds a change at or below that position, and its own. Rows, field versions
 * and changes go; only the ids stay (dft_store_is_purged()), so that a late change to one is
 * set aside rather than bring it back. The conflicts about those records go with them, and the
 * changes set aside that are about them keep their row (which counts as received) without
 * their content. @dry_run counts without removing. dft_store_purged_since() lists, ordered by
 * position, at most @limit of the people purged whose changes a device that pulled up to
 * @after had not all received, those whose last change was at or below @upto; *@last_listed
 * is the position of the last one listed (@after for none), and *@cut says whether @limit left
 * out some at or below @upto (all of them after *@last_listed).
 * dft_store_count_purged() counts the people purged (-1 on error), a number that only grows
 * until the data is restored from a backup (which takes a new epoch).
 * dft_store_which_purged() says which of @ids are people purged, and dft_store_list_person_ids()
 * lists the people a laptop holds for it to ask: every one, deleted or not, or with
 * @deleted_only its deleted ones (tombstones that still hold a name). dft_store_forget_purged()
 * removes such people on a laptop that missed their delete; its own changes to them stay in
 * its log, to reach the server (which sets them aside).
 */
typedef struct
{
  guint people;
  guint enrollments;
  guint attendance;
  guint conflicts;
  guint set_aside;
} DftPurgeStats;

gboolean dft_store_purge_deleted (
    DftStore *self, const char *positions, gboolean dry_run, DftPurgeStats *stats, GError **error);
gboolean dft_store_forget_purged (DftStore      *self,
                                  GPtrArray     *person_ids,
                                  DftPurgeStats *stats,
                                  GError       **error);
gboolean
dft_store_is_purged (DftStore *self, const char *record_id, gboolean *purged, GError **error);
gboolean   dft_store_has_purged (DftStore *self, gboolean *any, GError **error);
gint64     dft_store_count_purged (DftStore *self, GError **error);
GPtrArray *dft_store_purged_since (DftStore *self,
                                   gint64    after,
                                   gint64    upto,
                                   guint     limit,
                                   gint64   *last_listed,
                                   gboolean *cut,
                                   GError  **error);
GPtrArray *dft_store_which_purged (DftStore *self, GPtrArray *ids, GError **error);
GPtrArray *dft_store_list_person_ids (DftStore *self, gboolean deleted_only, GError **error);

/*
 * dft_store_take_purged() keeps in a replica of a cluster what another register purged, as
 * that register's purged and purged_origin tables hold it (dft-migrations.c, version 12):
 * @purged, DftPurgedRecord rows, and @origins, DftPurgedOrigin rows. One transaction; an id
 * held already keeps its row, and a device's number only grows. It removes nothing: a replica
 * made from a log that lacks the purged changes holds none of them.
 */
typedef struct
{
  char  *record_id;
  char  *entity;
  gint64 log_seq;
  char  *purged_at;
} DftPurgedRecord;

typedef struct
{
  char  *device_id;
  gint64 origin_seq;
} DftPurgedOrigin;

void dft_purged_record_free (DftPurgedRecord *record);
void dft_purged_origin_free (DftPurgedOrigin *origin);

gboolean
dft_store_take_purged (DftStore *self, GPtrArray *purged, GPtrArray *origins, GError **error);

/* Deterministic ids: the same pair gives the same record on every device. */
char *dft_attendance_id_for (const char *session_id, const char *person_id);
char *dft_enrollment_id_for (const char *event_id, const char *person_id);
char *dft_session_id_for (const char *event_id, const char *date, const char *part);

G_END_DECLS
