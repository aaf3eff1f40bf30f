/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dft-form.h"

G_BEGIN_DECLS

/*
 * Forms that ship with Daftari as starting points a trainer copies and edits: a pre/post
 * knowledge test, a workshop evaluation and extra registration questions. They are ordinary
 * Daftari JSON forms (app/forms/templates/), translated through the same PO workflow as any
 * form. Attendance is native to Daftari, not a form.
 */

/* The template names, in the order to offer them: "knowledge-test", … */
const char *const *dft_form_templates_list (void);

/* A fresh, prepared copy of template @name, to edit and save under a key of the caller's. */
DftForm *dft_form_template_load (const char *name, GError **error);

G_END_DECLS
