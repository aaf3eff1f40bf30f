/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libxml/tree.h>

#include "dft-expr.h"
#include "dft-form.h"

G_BEGIN_DECLS

/* An expression context for @form's instance, with every choice list registered as a
 * secondary instance (instance('list')/root/item with name, label and extra columns). */
DftExprContext *_dft_form_new_context (DftForm *form, GError **error);

/* What the model (dft-form.c), preparing (dft-form-prepare.c) and JSON (dft-form-json.c)
 * share. */
gboolean _dft_question_is_select (const DftQuestion *q);
void     _dft_text_free (DftText *text);
void     _dft_action_free (gpointer action);
/* The path of the repeat whose new instances fire @a's odk-new-repeat: its trigger, else the
 * repeat holding @q (prepared); NULL when none. */
const char *_dft_action_repeat (const DftQuestion *q, const DftAction *a);
/* Calls @func for each action of @form that @event fires, in form order: coming from @source,
 * the question whose answer changed (xforms-value-changed) or the repeat that got an instance
 * (odk-new-repeat); NULL for the load events, which may be given together. */
typedef void (*DftActionFunc) (DftQuestion *q, DftAction *a, gpointer user_data);
void _dft_form_foreach_action (
    DftForm *form, DftEvents event, const char *source, DftActionFunc func, gpointer user_data);
/* Drops what dft_form_prepare() built, so that a changed form is prepared again. */
void _dft_form_clear_prepared (DftForm *form);

/* @data, the external XML file @file_name (at most G_MAXINT bytes), parsed as a form is: no
 * entities, no DTD, no network, no XInclude; NULL with @error naming the file when it is not
 * well-formed or declares a DOCTYPE (dft-xform.c). */
xmlDocPtr
_dft_xml_read_file_data (const char *file_name, const char *data, gsize length, GError **error);

/* strcmp() of two char ** array elements, for g_ptr_array_sort(). */
int _dft_form_compare_strings (gconstpointer a, gconstpointer b);
/* The keys of @table, borrowed, sorted: output that does not depend on hashing. */
GPtrArray *_dft_form_sorted_keys (GHashTable *table);

/* The media types a file question takes, as an upload control's mediatype says them
 * ("image/" and a star, and so on; "application/" and a star for any file); NULL for other
 * questions. */
const char *_dft_question_media_type (const DftQuestion *q);

G_END_DECLS
