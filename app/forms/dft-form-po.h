/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dft-form.h"

G_BEGIN_DECLS

/*
 * A form's strings as gettext PO files, so translators use the tools they know (Poedit,
 * Weblate, Lokalize) and a form's translations can be checked, merged and reviewed like any
 * program's.
 *
 * Every translatable string is one entry; its msgctxt says which string it is, so that two
 * questions with the same English label are two entries a translator can render differently:
 *
 *   form|title                          the form's title
 *   /data/grp/q|label                   a question's label, hint, required_message or
 *   /data/grp/q|hint                    constraint_message, by the question's path
 *   choices/<list>/<value>|label        a choice's label
 *
 * A group without a name (it only arranges the screen) has no path of its own: it is
 * "<parent path>/#<position>", counted from 1 among its siblings. The msgid is the text in
 * the form's default language (or the text the filler would show in its place).
 */

typedef struct
{
  guint translated;   /* applied to the form */
  guint untranslated; /* an empty msgstr: nothing to apply */
  guint fuzzy;        /* marked fuzzy: a translator has to look again; not applied */
  guint stale;        /* for a string the form no longer has, or whose source text changed */
} DftFormPoStats;

/* A PO template (POT): every translatable string of @form with an empty msgstr. */
char *dft_form_po_template (DftForm *form);

/* A PO file for @lang with the texts @form already has in @lang (empty where it has none). */
char *dft_form_po_export (DftForm *form, const char *lang);

/* Reads @po_text, a PO file for @lang, and sets its translations in @form, adding @lang to
 * the form's languages when it is new (named after the file's Language-Team, else its code).
 * A file that is not a well-formed PO file, or one for another language (its Language
 * header), is refused with DFT_FORM_ERROR_PARSE naming the line, and @form is left as it
 * was. Fuzzy and stale entries are counted in @stats (may be NULL) and not applied. Save the
 * form with dft_form_store_save() to keep it as a new version. */
gboolean dft_form_po_import (
    DftForm *form, const char *lang, const char *po_text, DftFormPoStats *stats, GError **error);

/* The share, from 0 to 1, of @form's translatable strings that have a text of their own in
 * @lang (not one that falls back to another language). 1 when the form has none. */
double dft_form_language_completeness (DftForm *form, const char *lang);

G_END_DECLS
