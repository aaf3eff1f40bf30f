/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "forms/dft-form-po.h"
#include "forms/dft-form-templates.h"
#include "fuzz-form.h"

/*
 * A translator's PO file read into a form (form-po-import, the Forms screen), here into a
 * fresh copy of the knowledge-test template for each input, as Russian. A file that is refused
 * must leave the form as it was; one that is accepted must export and import again.
 */
int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char    *po = g_strndup ((const char *) data, size);
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = dft_form_template_load ("knowledge-test", &error);
  g_autofree char    *before = NULL;
  DftFormPoStats      stats = { 0 };

  g_assert_no_error (error);
  if (strlen (po) != size)
    return 0;
  before = dft_form_to_json (form, DFT_FORM_JSON_DEFAULT);
  if (!dft_form_po_import (form, "ru", po, &stats, &error))
    {
      g_autofree char *after = dft_form_to_json (form, DFT_FORM_JSON_DEFAULT);

      g_assert (error != NULL && error->domain == DFT_FORM_ERROR);
      g_assert_cmpstr (after, ==, before);
      return 0;
    }

  {
    g_autofree char    *exported = dft_form_po_export (form, "ru");
    g_autoptr (DftForm) fresh = dft_form_template_load ("knowledge-test", &error);

    g_assert_no_error (error);
    g_assert_true (dft_form_po_import (fresh, "ru", exported, NULL, &error));
    g_assert_no_error (error);
  }
  return 0;
}
