/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dft-store.h"

G_BEGIN_DECLS

#define DFT_TYPE_EVALUATIONS_VIEW (dft_evaluations_view_get_type ())
G_DECLARE_FINAL_TYPE (DftEvaluationsView, dft_evaluations_view, DFT, EVALUATIONS_VIEW, AdwBin)

/*
 * A workshop's evaluations: pick the evaluation form (or copy the template), collect in kiosk
 * mode, a live count of final evaluations and the mean of each rating question.
 */
void dft_evaluations_view_set_event (DftEvaluationsView *self, DftStore *store, DftRecord *event);
const char *dft_evaluations_view_get_form_key (DftEvaluationsView *self);
/* Final evaluations of this workshop with the chosen form, as counted now. */
guint       dft_evaluations_view_get_count (DftEvaluationsView *self);
const char *dft_evaluations_view_get_count_text (DftEvaluationsView *self);
/* TRUE while the means are being read. */
gboolean dft_evaluations_view_get_loading (DftEvaluationsView *self);
/* The mean of rating question @name, NAN when nobody answered it or it is unknown. */
double dft_evaluations_view_get_mean (DftEvaluationsView *self, const char *name);

G_END_DECLS
