/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dft-indicators.h"
#include "dft-store.h"

G_BEGIN_DECLS

/*
 * The coordinator's Reports page: the donor's indicators over a selection of workshops (a
 * period, countries, tracks, workshops, agencies, a completion threshold), recomputed in a
 * worker as soon as the selection changes, shown as figures, tables and charts, and saved as
 * XLSX, PDF or CSV (reports.save asks where; reports.save-to takes a path or URI).
 */

#define DFT_TYPE_REPORTS_PAGE (dft_reports_page_get_type ())
G_DECLARE_FINAL_TYPE (DftReportsPage, dft_reports_page, DFT, REPORTS_PAGE, AdwBin)

typedef enum
{
  DFT_REPORTS_FILTER_COUNTRIES,
  DFT_REPORTS_FILTER_TRACKS,
  DFT_REPORTS_FILTER_WORKSHOPS,
  DFT_REPORTS_FILTER_AGENCIES,
} DftReportsFilter;

void dft_reports_page_set_store (DftReportsPage *self, DftStore *store);
/* Reads the filters' choices again and recomputes the report: when the page is shown. */
void dft_reports_page_refresh (DftReportsPage *self);
/* Whether the choices or the report are being read, or a report is being saved. */
gboolean dft_reports_page_get_busy (DftReportsPage *self);
/* The report shown (NULL before the first one, or after an error). */
const DftIndicatorReport *dft_reports_page_get_report (DftReportsPage *self);
/* What the page's fields select now; NULL while a date typed in them is not a date. */
DftReportSelection *dft_reports_page_get_selection (DftReportsPage *self);
/* The check button of @value (a code, track, workshop id or agency) in @filter's popover, or
 * NULL when the store offers no such value. */
GtkCheckButton *
dft_reports_page_get_check (DftReportsPage *self, DftReportsFilter filter, const char *value);
/* The label that shows the figure @name ("workshops", "people", "women", "women-share",
 * "participations", "person-days", "attendance", "completed", "completed-women-share"), or
 * NULL when no report is shown. */
GtkLabel *dft_reports_page_get_figure (DftReportsPage *self, const char *name);

G_END_DECLS
