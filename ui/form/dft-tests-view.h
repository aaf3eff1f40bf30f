/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "forms/dft-assessment.h"
#include "dft-store.h"

G_BEGIN_DECLS

#define DFT_TYPE_TESTS_VIEW (dft_tests_view_get_type ())
G_DECLARE_FINAL_TYPE (DftTestsView, dft_tests_view, DFT, TESTS_VIEW, AdwBin)

/*
 * A workshop's tests: pick the test form, run the pre-test or post-test for one person or for
 * the whole room (kiosk), and each person's scores with the pre/post gain and the class means.
 */
void dft_tests_view_set_event (DftTestsView *self, DftStore *store, DftRecord *event);
/* Chooses the test by form key; FALSE when no test form has that key. */
gboolean    dft_tests_view_set_form_key (DftTestsView *self, const char *form_key);
const char *dft_tests_view_get_form_key (DftTestsView *self);
/* The figures shown, NULL until read; TRUE while they are being read. */
const DftGainReport *dft_tests_view_get_report (DftTestsView *self);
gboolean             dft_tests_view_get_loading (DftTestsView *self);
/* The text in a cell of the table: row 0 is the header, the last row the class means;
 * columns: name, pre-test, post-test, gain, normalized gain. NULL outside the table. */
const char *dft_tests_view_get_cell (DftTestsView *self, guint row, guint column);
/* A widget with the class means, kept up to date, for the summary. */
GtkWidget *dft_tests_view_get_summary (DftTestsView *self);

G_END_DECLS
