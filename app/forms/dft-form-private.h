/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dft-expr.h"
#include "dft-form.h"

G_BEGIN_DECLS

/* An expression context for @form's instance, with every choice list registered as a
 * secondary instance (instance('list')/root/item with name, label and extra columns). */
DftExprContext *_dft_form_new_context (DftForm *form, GError **error);

G_END_DECLS
