/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dft-report.h"

G_BEGIN_DECLS

#define DFT_TYPE_SUMMARY_VIEW (dft_summary_view_get_type ())
G_DECLARE_FINAL_TYPE (DftSummaryView, dft_summary_view, DFT, SUMMARY_VIEW, AdwBin)

void dft_summary_view_set_event (DftSummaryView *self, DftStore *store, DftRecord *event);
/* The figures shown, NULL until the first report is read. */
const DftEventReport *dft_summary_view_get_report (DftSummaryView *self);
/* TRUE while a report is being read. */
gboolean dft_summary_view_get_loading (DftSummaryView *self);

/*
 * The place for more figures: average scores and gain from tests, added by
 * the forms views. @section goes under a heading @title, after attendance and
 * before the people's figures; remove it with gtk_widget_unparent()… or keep
 * it and update its content when the workshop changes (notify::event on the
 * workshop page).
 */
void dft_summary_view_add_section (DftSummaryView *self, const char *title, GtkWidget *section);

G_END_DECLS
