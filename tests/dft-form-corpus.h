/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The form corpora in ../shared/corpora (see its README.md), as test-form-corpus and
 * bench-conformance walk them: which files are forms, which are broken on purpose.
 */

/* The corpora folder: @dir when given, else $DAFTARI_SHARED/corpora; NULL when it is not a
 * folder. Free with g_free(). */
char *dft_form_corpus_find (const char *dir);

/* Every form file below @corpora (XForms, XLSForms), relative to it, sorted, skipping media
 * folders (external CSV instances) and the corpora's own README and SOURCES files. */
GPtrArray *dft_form_corpus_list (const char *corpora);

/* In a folder called "negative": broken on purpose, must be refused. */
gboolean dft_form_corpus_is_negative (const char *relative);

/* pyxform's negative_bug_example_xls/: only some of them are meant to fail. */
gboolean dft_form_corpus_in_pyxform_bugs (const char *relative);

/* For a file outside the negative folders that its own project refuses too, the words the
 * refusal must contain; NULL for any other file. */
const char *dft_form_corpus_expected_refusal (const char *relative);

G_END_DECLS
