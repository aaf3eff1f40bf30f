/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  DFT_FIELD_TEXT,
  DFT_FIELD_DATE, /* YYYY-MM-DD */
  DFT_FIELD_TIME, /* HH:MM */
  DFT_FIELD_INT,
  DFT_FIELD_REAL, /* NaN stands for "no value" */
  DFT_FIELD_BOOL,
  DFT_FIELD_CHOICE, /* one of DftField.choices */
  DFT_FIELD_REF,    /* id of a record of DftField.ref_entity */
  DFT_FIELD_JSON,   /* a JSON document kept as text */
  DFT_FIELD_STAMP,  /* ISO 8601 date and time in UTC */
} DftFieldType;

typedef enum
{
  DFT_FIELD_REQUIRED = 1 << 0,
  DFT_FIELD_IMMUTABLE = 1 << 1, /* set once when the record is created */
} DftFieldFlags;

typedef struct
{
  const char        *name; /* column name; the property name uses '-' */
  DftFieldType       type;
  DftFieldFlags      flags;
  const char *const *choices;
  const char        *ref_entity;
  const char        *label; /* for messages, marked with N_() */
} DftField;

typedef struct _DftEntity DftEntity;

struct _DftEntity
{
  const char     *name;  /* entity and table name */
  const char     *label; /* for messages, marked with N_() */
  const DftField *fields;
  guint           n_fields;
};

extern const DftEntity dft_entity_event;
extern const DftEntity dft_entity_session;
extern const DftEntity dft_entity_person;
extern const DftEntity dft_entity_enrollment;
extern const DftEntity dft_entity_attendance;
extern const DftEntity dft_entity_form;
extern const DftEntity dft_entity_submission;
extern const DftEntity dft_entity_conflict;
extern const DftEntity dft_entity_person_merge;
extern const DftEntity dft_entity_person_unmerge;
extern const DftEntity dft_entity_person_distinct;

const DftEntity  *dft_entity_lookup (const char *name);
const DftEntity **dft_entity_all (guint *n_entities);
int               dft_entity_field_index (const DftEntity *entity, const char *field);
gboolean          dft_field_has_choice (const DftField *field, const char *value);
/* The longest value a field may hold, in bytes of UTF-8: a name or a note is text of at most
 * DFT_FIELD_MAX_TEXT, a form's definition or a submission's answers JSON of at most
 * DFT_FIELD_MAX_JSON. The store refuses longer values, and so does the server at its door. */
#define DFT_FIELD_MAX_TEXT 20000
#define DFT_FIELD_MAX_JSON (2 * 1024 * 1024)
gsize dft_field_max_length (const DftField *field);

/* Choices shared with the UI and the importers. */
extern const char *const dft_gender_choices[];
extern const char *const dft_role_choices[];
extern const char *const dft_attendance_choices[];
extern const char *const dft_session_part_choices[];
extern const char *const dft_submission_status_choices[];
extern const char *const dft_submission_phase_choices[];

/* The words people read for a stored choice, in the interface language: a part of the day
 * ("Morning"), a gender ("Female"; "Not given" for none), an attendance mark ("Present") and a
 * role ("Participant"). The same words in the window, the printed sheets and the workbooks. */
const char *dft_session_part_label (const char *part);
const char *dft_gender_label (const char *gender);
const char *dft_attendance_label (const char *status);
const char *dft_role_label (const char *role);

G_END_DECLS
