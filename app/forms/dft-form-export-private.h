/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dft-form-export.h"
#include "dft-form-private.h"

G_BEGIN_DECLS

/* What the XForm writer (dft-xform-write.c) and the XLSForm writer (dft-xlsform-write.c)
 * share; dft-form-export.c holds it. */

int _dft_form_export_compare_strings (gconstpointer a, gconstpointer b);
/* The keys of @table, borrowed, sorted. */
GPtrArray *_dft_form_export_sorted_keys (GHashTable *table);
GPtrArray *_dft_form_export_sorted_list_names (DftForm *form);
/* Every language the form has texts in: its own list first, in its order, then any code a
 * text uses that the list lacks (sorted, so the output does not depend on hashing). */
GPtrArray *_dft_form_export_all_languages (DftForm *form);
/* The language as the formats name it: a name from which dft_language_code_from_name()
 * gives @code back ("English (en)", "Русский"), so that reading the file keeps the code. */
char *_dft_form_export_language_label (DftForm *form, const char *code);
/* Whether @text is non-empty in some language. */
gboolean _dft_form_export_has_text (DftText *text);
gboolean _dft_form_export_ensure_prepared (DftForm *form, GError **error);
/* "likert" or "field-list" added to @appearance when the question needs it, for readers
 * that learn the kind of question from it. */
char *_dft_form_export_appearance (const char *appearance, const char *needed);

G_END_DECLS
