/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define DFT_CHART_MAX_SEGMENTS 5

#define DFT_TYPE_CHART (dft_chart_get_type ())
G_DECLARE_FINAL_TYPE (DftChart, dft_chart, DFT, CHART, GtkDrawingArea)

/*
 * A horizontal bar chart drawn with cairo: one bar per row, each bar made of
 * up to DFT_CHART_MAX_SEGMENTS stacked segments (present, late, …), with the
 * row's label before it and its total after it. Its accessible description
 * reads out the same numbers.
 */
DftChart *dft_chart_new (void);
void      dft_chart_clear (DftChart *self);
void dft_chart_add_row (DftChart *self, const char *label, const double *values, guint n_values);
/* The largest total a bar is scaled to; 0 scales to the largest row. */
void dft_chart_set_maximum (DftChart *self, double maximum);
/* Whether the totals shown after the bars are percentages. */
void        dft_chart_set_percent (DftChart *self, gboolean percent);
guint       dft_chart_get_n_rows (DftChart *self);
const char *dft_chart_get_label (DftChart *self, guint row);
/* Whether the label of @row did not show whole when the chart was last drawn (cut with an
 * ellipsis, or wider or taller than its place). */
gboolean dft_chart_is_label_cut (DftChart *self, guint row);

G_END_DECLS
