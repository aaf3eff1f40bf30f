/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/*
 * One question on the form filler's page: its title (with a tag when the text fell back to
 * another language), its hint, the control that takes the answer, and the message under it.
 * The filler builds and drives it (dft-form-filler-private.h); its layout is
 * dft-question-row.ui.
 */

#define DFT_TYPE_QUESTION_ROW (dft_question_row_get_type ())
G_DECLARE_FINAL_TYPE (DftQuestionRow, dft_question_row, DFT, QUESTION_ROW, GtkWidget)

G_END_DECLS
