/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "dft-change-log.h"
#include "dft-db.h"
#include "dft-store-private.h"

/*
 * Numbered, forward-only migrations. A migration, once released, is never
 * edited: a database written by that release depends on it. Each runs in its
 * own transaction together with the PRAGMA user_version that records it.
 *
 * Domain columns allow NULL on purpose: which fields a record needs is the
 * app's validation, and sync must be able to apply a change that carries a
 * subset of fields. Foreign keys are deferred to the end of the transaction,
 * so a batch may hold a session before the workshop it belongs to.
 */

#define RECORD_COLUMNS                                                                             \
  "id TEXT PRIMARY KEY NOT NULL,"                                                                  \
  "created_at TEXT NOT NULL,"                                                                      \
  "updated_at TEXT NOT NULL,"                                                                      \
  "deleted INTEGER NOT NULL DEFAULT 0,"

#define REFERENCES(t) " REFERENCES " t " (id) DEFERRABLE INITIALLY DEFERRED"

/* Version 1: workshops, their sessions, people, enrollment and attendance, and the change log. */
static const char migration_1[]
    = "CREATE TABLE event (" RECORD_COLUMNS
      "  title TEXT, track TEXT, country TEXT, city TEXT, venue TEXT,"
      "  start_date TEXT, end_date TEXT, language TEXT, trainers TEXT,"
      "  partner_agency TEXT, notes TEXT);"
      "CREATE INDEX event_start ON event (start_date);"
      "CREATE TABLE session (" RECORD_COLUMNS "  event_id TEXT" REFERENCES (
          "event") ","
                   "  date TEXT, part TEXT, title TEXT, start_time TEXT, end_time TEXT);"
                   "CREATE INDEX session_event ON session (event_id, date, part);"
                   "CREATE TABLE person (" RECORD_COLUMNS
                   "  given_name TEXT, family_name TEXT, gender TEXT, agency TEXT, position TEXT,"
                   "  country TEXT, email TEXT, phone TEXT, consent INTEGER NOT NULL DEFAULT 0,"
                   "  consent_date TEXT);"
                   "CREATE TABLE enrollment (" RECORD_COLUMNS "  event_id TEXT" REFERENCES (
                       "event") ","
                                "  person_id TEXT" REFERENCES (
                                    "person") ","
                                              "  role TEXT);"
                                              "CREATE INDEX enrollment_event ON enrollment "
                                              "(event_id);"
                                              "CREATE INDEX enrollment_person ON enrollment "
                                              "(person_id);"
                                              "CREATE TABLE attendance (" RECORD_COLUMNS
                                              "  session_id TEXT" REFERENCES (
                                                  "session") ","
                                                             "  person_id TEXT" REFERENCES (
                                                                 "person") ","
                                                                           "  status TEXT, note "
                                                                           "TEXT);"
                                                                           "CREATE INDEX "
                                                                           "attendance_session ON "
                                                                           "attendance "
                                                                           "(session_id, "
                                                                           "person_id);"
                                                                           "CREATE INDEX "
                                                                           "attendance_person ON "
                                                                           "attendance "
                                                                           "(person_id);";

static gboolean
migration_1_post (sqlite3 *db, GError **error)
{
  return dft_db_exec (db, dft_change_log_schema_sql (), error);
}

/* Version 2: versioned form definitions and their submissions. */
static const char migration_2[]
    = "CREATE TABLE form (" RECORD_COLUMNS
      "  form_key TEXT, version INTEGER, title TEXT, kind TEXT, default_language TEXT,"
      "  definition TEXT CHECK (definition IS NULL OR json_valid (definition)));"
      "CREATE INDEX form_key ON form (form_key, version);"
      "CREATE TABLE submission (" RECORD_COLUMNS "  form_id TEXT" REFERENCES (
          "form") ","
                  "  event_id TEXT" REFERENCES (
                      "event") ","
                               "  person_id TEXT" REFERENCES (
                                   "person") ","
                                             "  status TEXT,"
                                             "  answers TEXT CHECK (answers IS NULL OR json_valid "
                                             "(answers)),"
                                             "  score REAL, started_at TEXT, finished_at TEXT,"
                                             "  supersedes TEXT" REFERENCES (
                                                 "submission") ");"
                                                               "CREATE INDEX submission_event ON "
                                                               "submission (event_id, form_id);"
                                                               "CREATE INDEX submission_person ON "
                                                               "submission (person_id);"
                                                               "CREATE INDEX submission_form ON "
                                                               "submission (form_id);";

/*
 * Version 3: a search key per person, in ASCII whatever script the name was
 * typed in, indexed with FTS5 for prefix search. The key is derived data, made
 * by ICU in C, so existing people are keyed by migration_3_post.
 */
static const char migration_3[]
    = "ALTER TABLE person ADD COLUMN search_key TEXT NOT NULL DEFAULT '';"
      "CREATE VIRTUAL TABLE person_search USING fts5 (key, tokenize = 'ascii', prefix = '1 2 3');";

static gboolean
migration_3_post (sqlite3 *db, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int                      rc;

  if (!dft_db_prepare (db, "SELECT id, given_name, family_name FROM person", &stmt, error))
    return FALSE;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      if (!_dft_person_update_search_key (db, (const char *) sqlite3_column_text (stmt, 0),
                                          (const char *) sqlite3_column_text (stmt, 1),
                                          (const char *) sqlite3_column_text (stmt, 2), error))
        return FALSE;
    }
  if (rc != SQLITE_DONE)
    return dft_db_set_error (error, db, rc, _ ("indexing names for search"));
  return TRUE;
}

/*
 * Version 4: sync. Changes are named by (device, origin seq) everywhere,
 * carry the versions their writer had seen, and every field has a version;
 * a concurrent write that loses is kept as a conflict record.
 */
static const char migration_4[]
    = "CREATE TABLE conflict (" RECORD_COLUMNS
      "  entity_name TEXT, record_id TEXT, field TEXT, lost_value TEXT, lost_version TEXT,"
      "  resolved INTEGER NOT NULL DEFAULT 0);"
      "CREATE INDEX conflict_record ON conflict (entity_name, record_id);";

static gboolean
migration_4_post (sqlite3 *db, GError **error)
{
  return dft_db_exec (db, dft_change_log_schema_v4_sql (), error);
}

/* Version 5: assessments. A submission of a knowledge test says whether it was the pre-test
 * or the post-test, so one test form can be taken twice and each person's gain computed. */
static const char migration_5[]
    = "ALTER TABLE submission ADD COLUMN phase TEXT;"
      "CREATE INDEX submission_phase ON submission (event_id, person_id, phase);";

/* Version 6: changes the server set aside. A change the server refuses (a trainer's edit of a
 * form a coordinator published, a record of another team) no longer holds back the others: the
 * server keeps it here with its reason, for a coordinator to see, and counts it as received;
 * the laptop that made it keeps the reason here too, to tell the trainer. */
static const char migration_6[]
    = "CREATE TABLE set_aside ("
      "  device_id TEXT NOT NULL, origin_seq INTEGER NOT NULL,"
      "  entity TEXT NOT NULL, record_id TEXT NOT NULL, change TEXT, reason TEXT NOT NULL,"
      "  at TEXT NOT NULL, PRIMARY KEY (device_id, origin_seq));";

/* Version 7: countries as ISO 3166 codes and phone numbers in one form, so that "kg" and
 * "KG" are one country and one number is found however it was typed. Only data changes:
 * it is rewritten through the store so that every replica receives it (dft-store.c). */
static const char migration_7[] = "";

/*
 * Version 8: people merged and people told apart (dft-store-merges.c). A merge is a record
 * that syncs; what it does is derived here, never synced. person_redirect maps each person
 * merged away to the one who stands for them now. The records that name a person keep the
 * person their change named in origin_person_id, and person_id holds who that is now: the
 * triggers keep the two in step on every write, so a mark that arrives for a merged-away
 * person counts for the survivor on every replica. person.merged_into hides a merged-away
 * person from lists; merge_hidden hides all but one of the survivor's marks in a session (and
 * enrollments in a workshop). The server keeps person_redirect empty: it relays what was
 * written.
 */
/* clang-format off */
#define SURVIVOR(id) \
  "coalesce ((SELECT survivor_id FROM person_redirect WHERE merged_id = " id "), " id ")"

/* A record of table t names the person its change named (origin_person_id) and counts for
 * whoever stands for that person now (person_id). */
#define FOLLOWS_MERGES(t) \
  "ALTER TABLE " t " ADD COLUMN origin_person_id TEXT;" \
  "UPDATE " t " SET origin_person_id = person_id;" \
  "CREATE INDEX " t "_origin ON " t " (origin_person_id);" \
  "CREATE TRIGGER " t "_origin_insert AFTER INSERT ON " t " BEGIN" \
  "  UPDATE " t " SET origin_person_id = NEW.person_id, person_id = " SURVIVOR ("NEW.person_id") \
  "  WHERE id = NEW.id; END;" \
  "CREATE TRIGGER " t "_origin_update AFTER UPDATE OF person_id ON " t \
  "  WHEN NEW.person_id IS NOT " SURVIVOR ("NEW.origin_person_id") " BEGIN" \
  "  UPDATE " t " SET origin_person_id = NEW.person_id, person_id = " SURVIVOR ("NEW.person_id") \
  "  WHERE id = NEW.id; END;"

static const char migration_8[] =
  "CREATE TABLE person_merge (" RECORD_COLUMNS
  "  kept_id TEXT, merged_id TEXT, kept_before TEXT, moved TEXT, merged_by TEXT);"
  "CREATE TABLE person_unmerge (" RECORD_COLUMNS "  merge_id TEXT, unmerged_by TEXT);"
  "CREATE INDEX person_unmerge_merge ON person_unmerge (merge_id);"
  "CREATE TABLE person_distinct (" RECORD_COLUMNS "  person_a TEXT, person_b TEXT, decided_by TEXT);"
  "CREATE INDEX person_distinct_pair ON person_distinct (person_a, person_b);"
  "CREATE TABLE person_redirect ("
  "  merged_id TEXT PRIMARY KEY NOT NULL, survivor_id TEXT NOT NULL) WITHOUT ROWID;"
  "ALTER TABLE person ADD COLUMN merged_into TEXT;"
  "ALTER TABLE enrollment ADD COLUMN merge_hidden INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE attendance ADD COLUMN merge_hidden INTEGER NOT NULL DEFAULT 0;"
  "CREATE INDEX enrollment_hidden ON enrollment (id) WHERE merge_hidden = 1;"
  "CREATE INDEX attendance_hidden ON attendance (id) WHERE merge_hidden = 1;"
  FOLLOWS_MERGES ("enrollment")
  FOLLOWS_MERGES ("attendance")
  FOLLOWS_MERGES ("submission");
/* clang-format on */

/*
 * Version 9: indexes for the indicator report across workshops (dft-indicators.c). It reads
 * every participation's attendance by person, from the index alone (which serves whatever
 * attendance_person served: a mark costs no more index to write); and asks of each test and
 * evaluation submission whether a correction supersedes it.
 */
static const char migration_9[]
    = "CREATE INDEX attendance_report ON attendance"
      "  (person_id, session_id, status, deleted, merge_hidden);"
      "DROP INDEX attendance_person;"
      "CREATE INDEX submission_supersedes ON submission (supersedes) WHERE supersedes IS NOT NULL;";

/*
 * Version 10: what the indicator report reads, kept up to date on write rather than counted
 * again from a million marks for each report (dft-indicators.c).
 *
 * participation_tally holds, for each workshop and person with a mark present or late in one
 * of its live sessions (not deleted, not hidden by a merge), how many such marks there are and
 * on how many distinct session dates. Triggers on attendance and session count one
 * participation again whenever a mark, or a session its marks are in, changes: a handful of
 * rows through attendance_report. Whatever writes (the window, a sync, a merge, a bundle) keeps
 * it right. It is derived and never synced.
 *
 * submission_score serves the report's pre/post tests from the index alone, in the order that
 * groups them by workshop, form and person without a sort.
 */
/* clang-format off */
#define TALLY_MARKS \
  " FROM attendance m JOIN session s ON s.id = m.session_id" \
  " WHERE s.deleted = 0 AND m.deleted = 0 AND m.merge_hidden = 0" \
  "  AND m.status IN ('present', 'late') AND s.event_id IS NOT NULL AND m.person_id IS NOT NULL"

/* Counts again the participations in workshop @event of the people @people (an SQL list). */
#define RETALLY(event, people) \
  "DELETE FROM participation_tally WHERE event_id = " event " AND person_id IN (" people ");" \
  "INSERT INTO participation_tally SELECT s.event_id, m.person_id, count (*)," \
  "  count (DISTINCT coalesce (s.date, ''))" TALLY_MARKS \
  "  AND s.event_id = " event " AND m.person_id IN (" people ")" \
  " GROUP BY s.event_id, m.person_id;"

#define EVENT_OF(session) "(SELECT event_id FROM session WHERE id = " session ")"
#define MARKED_IN(session) "SELECT person_id FROM attendance WHERE session_id = " session

/* Every participation counted from the marks. */
#define TALLY_COUNT \
  "INSERT INTO participation_tally SELECT s.event_id, m.person_id, count (*)," \
  "  count (DISTINCT coalesce (s.date, ''))" TALLY_MARKS " GROUP BY s.event_id, m.person_id;"

#define TALLY_TRIGGERS \
  "CREATE TRIGGER attendance_tally_insert AFTER INSERT ON attendance BEGIN " \
  RETALLY (EVENT_OF ("NEW.session_id"), "NEW.person_id") " END;" \
  "CREATE TRIGGER attendance_tally_update" \
  "  AFTER UPDATE OF session_id, person_id, status, deleted, merge_hidden ON attendance BEGIN " \
  RETALLY (EVENT_OF ("OLD.session_id"), "OLD.person_id") \
  RETALLY (EVENT_OF ("NEW.session_id"), "NEW.person_id") " END;" \
  "CREATE TRIGGER attendance_tally_delete AFTER DELETE ON attendance BEGIN " \
  RETALLY (EVENT_OF ("OLD.session_id"), "OLD.person_id") " END;" \
  "CREATE TRIGGER session_tally_insert AFTER INSERT ON session BEGIN " \
  RETALLY ("NEW.event_id", MARKED_IN ("NEW.id")) " END;" \
  "CREATE TRIGGER session_tally_update AFTER UPDATE OF event_id, date, deleted ON session BEGIN " \
  RETALLY ("OLD.event_id", MARKED_IN ("OLD.id")) \
  RETALLY ("NEW.event_id", MARKED_IN ("NEW.id")) " END;" \
  "CREATE TRIGGER session_tally_delete AFTER DELETE ON session BEGIN " \
  RETALLY ("OLD.event_id", MARKED_IN ("OLD.id")) " END;"

static const char migration_10[] =
  "CREATE TABLE participation_tally (event_id TEXT NOT NULL, person_id TEXT NOT NULL,"
  "  attended INTEGER NOT NULL, days INTEGER NOT NULL,"
  "  PRIMARY KEY (event_id, person_id)) WITHOUT ROWID;"
  TALLY_COUNT
  TALLY_TRIGGERS
  "CREATE INDEX submission_score ON submission"
  "  (event_id, form_id, person_id, phase, status, deleted, score, finished_at, updated_at, id)"
  "  WHERE score IS NOT NULL;";

/* A store that keeps no tallies (dft_store_set_keeps_tallies()), and one that keeps them
 * again: counted anew. A later migration that changes these triggers changes these too. */
const char _dft_tally_drop_sql[] =
  "DROP TRIGGER IF EXISTS attendance_tally_insert;"
  "DROP TRIGGER IF EXISTS attendance_tally_update;"
  "DROP TRIGGER IF EXISTS attendance_tally_delete;"
  "DROP TRIGGER IF EXISTS session_tally_insert;"
  "DROP TRIGGER IF EXISTS session_tally_update;"
  "DROP TRIGGER IF EXISTS session_tally_delete;"
  "DELETE FROM participation_tally;";
const char _dft_tally_rebuild_sql[] =
  "DELETE FROM participation_tally;"
  TALLY_COUNT
  TALLY_TRIGGERS;

/* Version 11: files attached to submissions (app/dft-store-attachments.c). A file question's
 * answer is "SHA256.ext", the file's SHA-256 in lower-case hex and the extension it had; the
 * bytes live once in attachment whatever number of answers name them. They are not records: a
 * file never changes, so there is nothing to merge, and sync moves them beside the change log
 * (sync/PROTOCOL.md, "Attachments"). attachment_part holds the pieces of one still arriving;
 * attachment_ref, kept by triggers, which live submission names which file. */
#define ATTACHMENT_REFS(submission, answers) \
  "INSERT OR IGNORE INTO attachment_ref SELECT substr (t.value, 1, 64), " submission \
  "  FROM json_tree (" answers ") t WHERE t.type = 'text'" \
  "  AND length (t.value) BETWEEN 66 AND 74 AND substr (t.value, 65, 1) = '.'" \
  "  AND NOT substr (t.value, 1, 64) GLOB '*[^0-9a-f]*';"

static const char migration_11[] =
  "CREATE TABLE attachment (sha256 TEXT PRIMARY KEY NOT NULL, size INTEGER NOT NULL,"
  "  media_type TEXT NOT NULL, name TEXT, added_at TEXT NOT NULL,"
  "  uploaded INTEGER NOT NULL DEFAULT 0, data BLOB NOT NULL);"
  "CREATE TABLE attachment_part (sha256 TEXT NOT NULL, start INTEGER NOT NULL,"
  "  data BLOB NOT NULL, PRIMARY KEY (sha256, start));"
  "CREATE TABLE attachment_ref (sha256 TEXT NOT NULL, submission_id TEXT NOT NULL,"
  "  PRIMARY KEY (sha256, submission_id)) WITHOUT ROWID;"
  "CREATE INDEX attachment_ref_submission ON attachment_ref (submission_id);"
  "INSERT OR IGNORE INTO attachment_ref SELECT substr (t.value, 1, 64), s.id"
  "  FROM submission s, json_tree (s.answers) t WHERE s.deleted = 0 AND t.type = 'text'"
  "  AND length (t.value) BETWEEN 66 AND 74 AND substr (t.value, 65, 1) = '.'"
  "  AND NOT substr (t.value, 1, 64) GLOB '*[^0-9a-f]*';"
  "CREATE TRIGGER submission_attachments_insert AFTER INSERT ON submission"
  "  WHEN NEW.deleted = 0 AND NEW.answers IS NOT NULL BEGIN "
  ATTACHMENT_REFS ("NEW.id", "NEW.answers") " END;"
  "CREATE TRIGGER submission_attachments_update AFTER UPDATE OF answers, deleted ON submission"
  "  BEGIN DELETE FROM attachment_ref WHERE submission_id = OLD.id; "
  ATTACHMENT_REFS ("NEW.id", "CASE WHEN NEW.deleted = 0 THEN NEW.answers END") " END;"
  "CREATE TRIGGER submission_attachments_delete AFTER DELETE ON submission BEGIN "
  "  DELETE FROM attachment_ref WHERE submission_id = OLD.id; END;";
/* clang-format on */

/*
 * Version 12: tombstones purged (dft_store_purge_deleted(), sync/PROTOCOL.md "Purge"). A
 * person deleted long enough ago that every enrolled device holds the delete leaves the
 * server with its marks and enrollments; only the ids stay (purged), so that a late change to
 * one is set aside instead of bringing it back, and a device that missed the delete is told to
 * forget it. purged_origin keeps the highest number of each device's changes that left the
 * log, which still counts as received (dft_store_origin_high()).
 */
static const char migration_12[]
    = "CREATE TABLE purged (record_id TEXT PRIMARY KEY NOT NULL, entity TEXT NOT NULL,"
      "  log_seq INTEGER NOT NULL, purged_at TEXT NOT NULL) WITHOUT ROWID;"
      "CREATE INDEX purged_log_seq ON purged (log_seq);"
      "CREATE TABLE purged_origin (device_id TEXT PRIMARY KEY NOT NULL,"
      "  origin_seq INTEGER NOT NULL) WITHOUT ROWID;";

/*
 * Version 13: a new enrollment, mark or submission is written with the person it names
 * (origin_person_id) and whoever stands for that person now (person_id) in its own INSERT
 * (_dft_store_write_row()), instead of an AFTER INSERT trigger of migration 8 writing the row
 * a second time. That second write, its two index updates and the update triggers it set off
 * cost a received mark on the server more than the INSERT itself (bench/README.md). The update
 * triggers stay: a person_id changed later is still followed.
 */
static const char migration_13[] = "DROP TRIGGER enrollment_origin_insert;"
                                   "DROP TRIGGER attendance_origin_insert;"
                                   "DROP TRIGGER submission_origin_insert;";

static const DftMigration migrations[] = {
  { 1, migration_1, migration_1_post },
  { 2, migration_2, NULL },
  { 3, migration_3, migration_3_post },
  { 4, migration_4, migration_4_post },
  { 5, migration_5, NULL },
  { 6, migration_6, NULL },
  { 7, migration_7, NULL, _dft_store_normalize_fields_locked },
  { 8, migration_8, NULL },
  { 9, migration_9, NULL },
  { 10, migration_10, NULL },
  { 11, migration_11, NULL },
  { 12, migration_12, NULL },
  { 13, migration_13, NULL },
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == DFT_SCHEMA_VERSION);

const DftMigration *
_dft_migrations (guint *n_migrations)
{
  *n_migrations = G_N_ELEMENTS (migrations);
  return migrations;
}
