/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dft-store.h"

G_BEGIN_DECLS

#define DFT_TYPE_FORMS_PAGE (dft_forms_page_get_type ())
G_DECLARE_FINAL_TYPE (DftFormsPage, dft_forms_page, DFT, FORMS_PAGE, AdwBin)

/*
 * The Forms screen: the latest version of each form with its kind, languages, version and
 * number of final submissions; import, preview, copy a template, the language to fill in.
 */
void dft_forms_page_set_store (DftFormsPage *self, DftStore *store);
/* Imports @file as the Import button does: read in a worker, warnings shown before saving. */
void dft_forms_page_import_file (DftFormsPage *self, GFile *file);
/* Copies template @name under @key with @title, in a worker. */
void dft_forms_page_copy_template (DftFormsPage *self,
                                   const char   *name,
                                   const char   *title,
                                   const char   *key);
/* TRUE while an import, a copy or the list's details are being read. */
gboolean dft_forms_page_get_busy (DftFormsPage *self);
/* The subtitle shown for @key ("Test · English, Русский · version 2 · 3 submissions"), or
 * NULL when the form is not listed. */
const char *dft_forms_page_get_description (DftFormsPage *self, const char *key);

G_END_DECLS
