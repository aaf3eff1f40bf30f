/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "forms/dft-form.h"
#include "fuzz-target.h"

/*
 * What the form importers' targets check after a reader accepted a form: it is prepared as
 * dft_form_new_from_file() prepares it, and a prepared form is saved as Daftari JSON (as the
 * form store keeps it) and must load and prepare again from that JSON. Takes @error (the
 * reader's, set when @form is NULL).
 */
static inline void
fuzz_form_check (DftForm *form, GError *error)
{
  g_autoptr (DftForm) back = NULL;
  g_autofree char    *json = NULL;

  if (form == NULL)
    {
      g_assert (error != NULL && error->domain == DFT_FORM_ERROR);
      g_error_free (error);
      return;
    }
  if (!dft_form_prepare (form, &error))
    {
      g_assert (error != NULL && error->domain == DFT_FORM_ERROR);
      g_error_free (error);
      return;
    }
  json = dft_form_to_json (form, DFT_FORM_JSON_DEFAULT);
  back = dft_form_new_from_json (json, -1, &error);
  g_assert_no_error (error);
  g_assert_true (dft_form_prepare (back, &error));
  g_assert_no_error (error);
}
