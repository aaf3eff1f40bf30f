/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dft-indicators.h"

G_BEGIN_DECLS

/*
 * The indicator report as tables: Summary (the selection and the headline figures), Breakdown
 * (gender × agency × country × role), By gender, By agency, Gender by agency, By country,
 * By role, Workshops, Test gains, Evaluation and Free-text answers. Countries are given as
 * stored and by name; genders and roles in the interface language; women's share wherever
 * people are counted.
 */

/* One sheet per table, written beside @path and renamed over it when complete. */
gboolean dft_indicator_report_write_xlsx (const DftIndicatorReport *report,
                                          const char               *path,
                                          GCancellable             *cancellable,
                                          GError                  **error);

/* The same tables one after another in one CSV (as dft-export.h writes it), each introduced by
 * a line with its title and followed by an empty line. */
gboolean dft_indicator_report_write_csv (const DftIndicatorReport *report,
                                         GOutputStream            *out,
                                         GCancellable             *cancellable,
                                         GError                  **error);

G_END_DECLS
