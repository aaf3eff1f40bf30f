/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "dft-schema.h"

/*
 * What each record holds, in one place: the store writes rows and change-log
 * entries from these tables, records install their properties from them, and
 * the exporter names its columns after them. The SQL in dft-migrations.c must
 * agree; a test checks that it does.
 */

const char *const dft_gender_choices[] = { "female", "male", "other", "undisclosed", NULL };
const char *const dft_role_choices[] = { "participant", "trainer", "observer", NULL };
const char *const dft_attendance_choices[] = { "present", "late", "absent", "excused", NULL };
const char *const dft_session_part_choices[] = { "am", "pm", "day", NULL };
const char *const dft_submission_status_choices[] = { "draft", "final", NULL };
const char *const dft_submission_phase_choices[] = { "pre", "post", NULL };

#define FIELD(n, t, f, l)                                                                          \
  {                                                                                                \
    n, t, f, NULL, NULL, l                                                                         \
  }
#define CHOICE(n, c, f, l)                                                                         \
  {                                                                                                \
    n, DFT_FIELD_CHOICE, f, c, NULL, l                                                             \
  }
#define REF(n, e, f, l)                                                                            \
  {                                                                                                \
    n, DFT_FIELD_REF, f, NULL, e, l                                                                \
  }
#define REQ   DFT_FIELD_REQUIRED
#define FIXED (DFT_FIELD_REQUIRED | DFT_FIELD_IMMUTABLE)

static const DftField event_fields[] = {
  FIELD ("title", DFT_FIELD_TEXT, REQ, N_ ("Title")),
  FIELD ("track", DFT_FIELD_TEXT, 0, N_ ("Programme track")),
  FIELD ("country", DFT_FIELD_TEXT, 0, N_ ("Country")),
  FIELD ("city", DFT_FIELD_TEXT, 0, N_ ("City")),
  FIELD ("venue", DFT_FIELD_TEXT, 0, N_ ("Venue")),
  FIELD ("start_date", DFT_FIELD_DATE, REQ, N_ ("Start date")),
  FIELD ("end_date", DFT_FIELD_DATE, REQ, N_ ("End date")),
  FIELD ("language", DFT_FIELD_TEXT, 0, N_ ("Working language")),
  FIELD ("trainers", DFT_FIELD_TEXT, 0, N_ ("Trainers")),
  FIELD ("partner_agency", DFT_FIELD_TEXT, 0, N_ ("Partner agency")),
  FIELD ("notes", DFT_FIELD_TEXT, 0, N_ ("Notes")),
};

static const DftField session_fields[] = {
  REF ("event_id", "event", FIXED, N_ ("Workshop")),
  FIELD ("date", DFT_FIELD_DATE, REQ, N_ ("Date")),
  CHOICE ("part", dft_session_part_choices, REQ, N_ ("Part of the day")),
  FIELD ("title", DFT_FIELD_TEXT, 0, N_ ("Title")),
  FIELD ("start_time", DFT_FIELD_TIME, 0, N_ ("Start time")),
  FIELD ("end_time", DFT_FIELD_TIME, 0, N_ ("End time")),
};

static const DftField person_fields[] = {
  FIELD ("given_name", DFT_FIELD_TEXT, REQ, N_ ("Given name")),
  FIELD ("family_name", DFT_FIELD_TEXT, 0, N_ ("Family name")),
  CHOICE ("gender", dft_gender_choices, 0, N_ ("Gender")),
  FIELD ("agency", DFT_FIELD_TEXT, 0, N_ ("Agency")),
  FIELD ("position", DFT_FIELD_TEXT, 0, N_ ("Position or rank")),
  FIELD ("country", DFT_FIELD_TEXT, 0, N_ ("Country")),
  FIELD ("email", DFT_FIELD_TEXT, 0, N_ ("Email")),
  FIELD ("phone", DFT_FIELD_TEXT, 0, N_ ("Phone")),
  FIELD ("consent", DFT_FIELD_BOOL, 0, N_ ("Consent")),
  FIELD ("consent_date", DFT_FIELD_DATE, 0, N_ ("Consent date")),
};

static const DftField enrollment_fields[] = {
  REF ("event_id", "event", FIXED, N_ ("Workshop")),
  REF ("person_id", "person", FIXED, N_ ("Person")),
  CHOICE ("role", dft_role_choices, REQ, N_ ("Role")),
};

static const DftField attendance_fields[] = {
  REF ("session_id", "session", FIXED, N_ ("Session")),
  REF ("person_id", "person", FIXED, N_ ("Person")),
  CHOICE ("status", dft_attendance_choices, REQ, N_ ("Attendance")),
  FIELD ("note", DFT_FIELD_TEXT, 0, N_ ("Note")),
};

static const DftField form_fields[] = {
  FIELD ("form_key", DFT_FIELD_TEXT, FIXED, N_ ("Form")),
  FIELD ("version", DFT_FIELD_INT, FIXED, N_ ("Version")),
  FIELD ("title", DFT_FIELD_TEXT, REQ, N_ ("Title")),
  FIELD ("kind", DFT_FIELD_TEXT, 0, N_ ("Kind")),
  FIELD ("default_language", DFT_FIELD_TEXT, 0, N_ ("Default language")),
  FIELD ("definition", DFT_FIELD_JSON, FIXED, N_ ("Definition")),
};

static const DftField submission_fields[] = {
  REF ("form_id", "form", FIXED, N_ ("Form")),
  REF ("event_id", "event", 0, N_ ("Workshop")),
  REF ("person_id", "person", 0, N_ ("Person")),
  CHOICE ("status", dft_submission_status_choices, REQ, N_ ("Status")),
  FIELD ("answers", DFT_FIELD_JSON, REQ, N_ ("Answers")),
  FIELD ("score", DFT_FIELD_REAL, 0, N_ ("Score")),
  FIELD ("started_at", DFT_FIELD_STAMP, 0, N_ ("Started")),
  FIELD ("finished_at", DFT_FIELD_STAMP, 0, N_ ("Finished")),
  REF ("supersedes", "submission", DFT_FIELD_IMMUTABLE, N_ ("Corrects")),
  CHOICE ("phase", dft_submission_phase_choices, 0, N_ ("Test")),
};

/* Made by the merge when a concurrent write loses; a coordinator resolves it. */
static const DftField conflict_fields[] = {
  FIELD ("entity_name", DFT_FIELD_TEXT, FIXED, N_ ("Kind of record")),
  FIELD ("record_id", DFT_FIELD_TEXT, FIXED, N_ ("Record")),
  FIELD ("field", DFT_FIELD_TEXT, FIXED, N_ ("Field")),
  FIELD ("lost_value", DFT_FIELD_JSON, DFT_FIELD_IMMUTABLE, N_ ("Value that lost")),
  FIELD ("lost_version", DFT_FIELD_TEXT, FIXED, N_ ("Version that lost")),
  FIELD ("resolved", DFT_FIELD_BOOL, 0, N_ ("Resolved")),
};

/*
 * A coordinator's decision that two people are one: @merged_id's records count as @kept_id's
 * from then on (dft-store-merges.c). Ordinary data: it syncs, and undoing it is a record of its
 * own (person_unmerge). The ids are plain text, not references: a trainer's laptop may hold one
 * of the two people and not the other.
 */
static const DftField person_merge_fields[] = {
  FIELD ("kept_id", DFT_FIELD_TEXT, FIXED, N_ ("Person kept")),
  FIELD ("merged_id", DFT_FIELD_TEXT, FIXED, N_ ("Person merged into it")),
  FIELD ("kept_before", DFT_FIELD_JSON, DFT_FIELD_IMMUTABLE, N_ ("Values replaced")),
  FIELD ("moved", DFT_FIELD_JSON, DFT_FIELD_IMMUTABLE, N_ ("Records moved")),
  FIELD ("merged_by", DFT_FIELD_TEXT, DFT_FIELD_IMMUTABLE, N_ ("Merged by")),
};

/* A merge undone: both people are two again. */
static const DftField person_unmerge_fields[] = {
  FIELD ("merge_id", DFT_FIELD_TEXT, FIXED, N_ ("Merge")),
  FIELD ("unmerged_by", DFT_FIELD_TEXT, DFT_FIELD_IMMUTABLE, N_ ("Undone by")),
};

/* "Not the same person": a pair the duplicate finder never proposes again. */
static const DftField person_distinct_fields[] = {
  FIELD ("person_a", DFT_FIELD_TEXT, FIXED, N_ ("Person")),
  FIELD ("person_b", DFT_FIELD_TEXT, FIXED, N_ ("Other person")),
  FIELD ("decided_by", DFT_FIELD_TEXT, DFT_FIELD_IMMUTABLE, N_ ("Decided by")),
};

#define ENTITY(var, n, l, f) const DftEntity var = { n, l, f, G_N_ELEMENTS (f) }

ENTITY (dft_entity_event, "event", N_ ("workshop"), event_fields);
ENTITY (dft_entity_session, "session", N_ ("session"), session_fields);
ENTITY (dft_entity_person, "person", N_ ("person"), person_fields);
ENTITY (dft_entity_enrollment, "enrollment", N_ ("enrollment"), enrollment_fields);
ENTITY (dft_entity_attendance, "attendance", N_ ("attendance mark"), attendance_fields);
ENTITY (dft_entity_form, "form", N_ ("form"), form_fields);
ENTITY (dft_entity_submission, "submission", N_ ("submission"), submission_fields);
ENTITY (dft_entity_conflict, "conflict", N_ ("conflict"), conflict_fields);
ENTITY (dft_entity_person_merge, "person_merge", N_ ("merge of two people"), person_merge_fields);
ENTITY (dft_entity_person_unmerge,
        "person_unmerge",
        N_ ("undoing of a merge"),
        person_unmerge_fields);
ENTITY (dft_entity_person_distinct,
        "person_distinct",
        N_ ("pair of different people"),
        person_distinct_fields);

static const DftEntity *all_entities[] = {
  &dft_entity_event,          &dft_entity_session,         &dft_entity_person,
  &dft_entity_enrollment,     &dft_entity_attendance,      &dft_entity_form,
  &dft_entity_submission,     &dft_entity_conflict,        &dft_entity_person_merge,
  &dft_entity_person_unmerge, &dft_entity_person_distinct,
};

const DftEntity **
dft_entity_all (guint *n_entities)
{
  if (n_entities != NULL)
    *n_entities = G_N_ELEMENTS (all_entities);
  return all_entities;
}

const DftEntity *
dft_entity_lookup (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (all_entities); i++)
    if (g_strcmp0 (all_entities[i]->name, name) == 0)
      return all_entities[i];
  return NULL;
}

int
dft_entity_field_index (const DftEntity *entity, const char *field)
{
  g_return_val_if_fail (entity != NULL, -1);

  for (guint i = 0; i < entity->n_fields; i++)
    if (strcmp (entity->fields[i].name, field) == 0)
      return (int) i;
  return -1;
}

gboolean
dft_field_has_choice (const DftField *field, const char *value)
{
  if (field->choices == NULL || value == NULL)
    return FALSE;
  return g_strv_contains ((const char *const *) field->choices, value);
}

gsize
dft_field_max_length (const DftField *field)
{
  g_return_val_if_fail (field != NULL, 0);
  return field->type == DFT_FIELD_JSON ? DFT_FIELD_MAX_JSON : DFT_FIELD_MAX_TEXT;
}

const char *
dft_session_part_label (const char *part)
{
  if (g_strcmp0 (part, "am") == 0)
    return _ ("Morning");
  if (g_strcmp0 (part, "pm") == 0)
    return _ ("Afternoon");
  return _ ("All day");
}

const char *
dft_gender_label (const char *gender)
{
  if (g_strcmp0 (gender, "female") == 0)
    return _ ("Female");
  if (g_strcmp0 (gender, "male") == 0)
    return _ ("Male");
  if (g_strcmp0 (gender, "other") == 0)
    return _ ("Other");
  if (g_strcmp0 (gender, "undisclosed") == 0)
    return _ ("Prefers not to say");
  return _ ("Not given");
}

const char *
dft_attendance_label (const char *status)
{
  if (g_strcmp0 (status, "present") == 0)
    return _ ("Present");
  if (g_strcmp0 (status, "late") == 0)
    return _ ("Late");
  if (g_strcmp0 (status, "absent") == 0)
    return _ ("Absent");
  if (g_strcmp0 (status, "excused") == 0)
    return _ ("Excused");
  return _ ("Not marked");
}

const char *
dft_role_label (const char *role)
{
  if (g_strcmp0 (role, "trainer") == 0)
    return _ ("Trainer");
  if (g_strcmp0 (role, "observer") == 0)
    return _ ("Observer");
  return _ ("Participant");
}
