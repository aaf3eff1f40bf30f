/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "dft-schema.h"

G_BEGIN_DECLS

#define DFT_TYPE_RECORD (dft_record_get_type ())
G_DECLARE_DERIVABLE_TYPE (DftRecord, dft_record, DFT, RECORD, GObject)

struct _DftRecordClass
{
  GObjectClass parent_class;

  const DftEntity *entity;
};

/*
 * A record of the workshop register. Its fields are GObject properties named
 * after the schema (given_name is the property "given-name"), so the UI can
 * bind to them; setting one marks it changed, and DftStore saves exactly the
 * changed fields.
 */
const DftEntity *dft_record_get_entity (DftRecord *self);
const char      *dft_record_get_id (DftRecord *self);
const char      *dft_record_get_created_at (DftRecord *self);
const char      *dft_record_get_updated_at (DftRecord *self);
gboolean         dft_record_get_deleted (DftRecord *self);
gboolean         dft_record_is_new (DftRecord *self);
gboolean         dft_record_is_changed (DftRecord *self);

const char   *dft_record_get_string (DftRecord *self, const char *field);
void          dft_record_set_string (DftRecord *self, const char *field, const char *value);
gint64        dft_record_get_int (DftRecord *self, const char *field);
void          dft_record_set_int (DftRecord *self, const char *field, gint64 value);
double        dft_record_get_real (DftRecord *self, const char *field);
void          dft_record_set_real (DftRecord *self, const char *field, double value);
gboolean      dft_record_get_bool (DftRecord *self, const char *field);
void          dft_record_set_bool (DftRecord *self, const char *field, gboolean value);
const GValue *dft_record_get_value (DftRecord *self, guint field_index);
void          dft_record_set_value (DftRecord *self, guint field_index, const GValue *value);
gboolean      dft_record_field_is_changed (DftRecord *self, guint field_index);

DftRecord *dft_record_new_for_entity (const DftEntity *entity);
DftRecord *dft_record_dup (DftRecord *self);
GType      dft_record_type_for_entity (const DftEntity *entity);

#define DFT_TYPE_EVENT (dft_event_get_type ())
G_DECLARE_FINAL_TYPE (DftEvent, dft_event, DFT, EVENT, DftRecord)
#define DFT_TYPE_SESSION (dft_session_get_type ())
G_DECLARE_FINAL_TYPE (DftSession, dft_session, DFT, SESSION, DftRecord)
#define DFT_TYPE_PERSON (dft_person_get_type ())
G_DECLARE_FINAL_TYPE (DftPerson, dft_person, DFT, PERSON, DftRecord)
#define DFT_TYPE_ENROLLMENT (dft_enrollment_get_type ())
G_DECLARE_FINAL_TYPE (DftEnrollment, dft_enrollment, DFT, ENROLLMENT, DftRecord)
#define DFT_TYPE_ATTENDANCE (dft_attendance_get_type ())
G_DECLARE_FINAL_TYPE (DftAttendance, dft_attendance, DFT, ATTENDANCE, DftRecord)
/* A stored form version; the definition it holds is a DftForm (forms/dft-form.h). */
#define DFT_TYPE_FORM_RECORD (dft_form_record_get_type ())
G_DECLARE_FINAL_TYPE (DftFormRecord, dft_form_record, DFT, FORM_RECORD, DftRecord)
#define DFT_TYPE_CONFLICT (dft_conflict_get_type ())
G_DECLARE_FINAL_TYPE (DftConflict, dft_conflict, DFT, CONFLICT, DftRecord)
#define DFT_TYPE_PERSON_MERGE (dft_person_merge_get_type ())
G_DECLARE_FINAL_TYPE (DftPersonMerge, dft_person_merge, DFT, PERSON_MERGE, DftRecord)
#define DFT_TYPE_PERSON_UNMERGE (dft_person_unmerge_get_type ())
G_DECLARE_FINAL_TYPE (DftPersonUnmerge, dft_person_unmerge, DFT, PERSON_UNMERGE, DftRecord)
#define DFT_TYPE_PERSON_DISTINCT (dft_person_distinct_get_type ())
G_DECLARE_FINAL_TYPE (DftPersonDistinct, dft_person_distinct, DFT, PERSON_DISTINCT, DftRecord)
#define DFT_TYPE_SUBMISSION (dft_submission_get_type ())
G_DECLARE_FINAL_TYPE (DftSubmission, dft_submission, DFT, SUBMISSION, DftRecord)

G_END_DECLS
