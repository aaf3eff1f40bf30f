/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dft-country-row.h"
#include "dft-duplicates.h"
#include "dft-person-dialog.h"

G_BEGIN_DECLS

/* The person dialog is split over dft-person-dialog.c (the form, saving) and
 * dft-person-dialog-duplicates.c (the people who may be the one being registered). */
struct _DftPersonDialog
{
  AdwWindow parent_instance;

  AdwWindowTitle *window_title;
  GtkWidget      *save_button;
  AdwEntryRow    *given_row;
  AdwEntryRow    *family_row;
  GtkLabel       *name_error;
  AdwComboRow    *gender_row;
  AdwComboRow    *role_row;
  AdwEntryRow    *agency_row;
  AdwEntryRow    *position_row;
  DftCountryRow  *country_row;
  AdwEntryRow    *email_row;
  AdwEntryRow    *phone_row;
  GtkLabel       *contact_error;
  GtkSwitch      *consent_switch;
  GtkWidget      *duplicates_box;
  GtkWidget      *duplicates_list;

  DftStore  *store;
  char      *event_id;
  DftRecord *person; /* the dialog's copy of what it showed, NULL for a new person */
  guint      role_shown;
  gboolean   tried;
  gboolean   saving;

  /* "A person with a similar name already exists", for a new person only. */
  DftDuplicateFinder *finder;
  GCancellable       *cancellable;
  guint               lookup_source;
  guint               lookup_serial; /* of the newest lookup; older answers are dropped */
  char               *candidates_shown;
};

/* The gender picked, as a schema choice ("female"), or NULL when not given. */
const char *_dft_person_dialog_gender_chosen (DftPersonDialog *self);
/* The role picked in the dialog, as a schema choice ("participant"). */
const char *_dft_person_dialog_role_chosen (DftPersonDialog *self);
/* For a new person: builds the duplicate finder in a worker and offers, as the fields are
 * typed, the people already registered who may be this one. */
void _dft_person_dialog_watch_for_duplicates (DftPersonDialog *self);

G_END_DECLS
