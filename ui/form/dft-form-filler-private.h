/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dft-form-filler.h"
#include "forms/dft-form-run.h"

G_BEGIN_DECLS

/* For tests: reach into the filler the way a person would see it. */

/* The control that holds the answer at @path on the page shown: a GtkEditable for typed
 * answers, a GtkDropDown, a GtkTextView, or the box of choice buttons; NULL when the
 * question is not on the page shown. */
GtkWidget *dft_form_filler_get_widget_for_path (DftFormFiller *self, const char *path);
/* The nth (0-based) choice button of a select, Likert or acknowledge question. */
GtkWidget *dft_form_filler_get_choice_button (DftFormFiller *self, const char *path, guint n);
/* The question's title label. */
GtkWidget *dft_form_filler_get_label_for_path (DftFormFiller *self, const char *path);
/* The message shown under the question, NULL when none is shown. */
const char *dft_form_filler_get_message_for_path (DftFormFiller *self, const char *path);
/* Whether the question's row is shown. */
gboolean dft_form_filler_is_shown (DftFormFiller *self, const char *path);
/* Which part is shown: "loading", "error", "form", "summary", "done". */
const char *dft_form_filler_get_mode (DftFormFiller *self);
guint       dft_form_filler_get_page (DftFormFiller *self);
guint       dft_form_filler_get_n_pages (DftFormFiller *self);
/* The paths the finalize summary lists. */
GStrv       dft_form_filler_get_summary_paths (DftFormFiller *self);
DftFormRun *dft_form_filler_get_run (DftFormFiller *self);
/* The line under the form's title: whose form it is and whether it is the pre-test or the
 * post-test; NULL when it shows neither. */
const char *dft_form_filler_get_subtitle (DftFormFiller *self);
/* The message of a save that failed, NULL when none is shown. */
const char *dft_form_filler_get_error (DftFormFiller *self);
/* TRUE while a worker loads or saves. */
gboolean dft_form_filler_is_busy (DftFormFiller *self);

G_END_DECLS
