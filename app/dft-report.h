/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dft-store.h"

G_BEGIN_DECLS

/*
 * Figures for a workshop's summary and attendance views, read with a few
 * aggregate queries rather than record by record. Everyone enrolled in the
 * workshop (any role) counts; a deleted person or enrollment does not.
 * Present and late both count as attended, as in the attendance export.
 */

typedef struct
{
  char *session_id;
  char *date; /* YYYY-MM-DD */
  char *part; /* am, pm or day */
  guint present;
  guint late;
  guint excused;
  guint absent;
  guint unmarked; /* enrolled people with no mark in this session */
} DftSessionCounts;

typedef struct
{
  char *name; /* as stored; "" when not given */
  guint count;
} DftReportCount;

typedef struct
{
  guint n_people;   /* enrolled in the workshop */
  guint n_sessions; /* sessions of the workshop */
  guint present, late, excused, absent;
  /* (present + late) / (n_people × n_sessions); NaN when there is nobody or no session. */
  double     attendance_rate;
  GPtrArray *sessions;  /* of DftSessionCounts, by date and part */
  GPtrArray *genders;   /* of DftReportCount: dft_gender_choices in order, then "" */
  GPtrArray *agencies;  /* of DftReportCount, largest first, then by name */
  GPtrArray *countries; /* of DftReportCount, largest first, then by code */
} DftEventReport;

DftEventReport *dft_report_event (DftStore *store, const char *event_id, GError **error);
void            dft_report_event_async (DftStore           *store,
                                        const char         *event_id,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data);
DftEventReport *dft_report_event_finish (GAsyncResult *result, GError **error);
void            dft_event_report_free (DftEventReport *report);

/* The rate of one session, NaN when nobody is enrolled. */
double dft_session_counts_rate (const DftSessionCounts *counts);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftEventReport, dft_event_report_free)

G_END_DECLS
