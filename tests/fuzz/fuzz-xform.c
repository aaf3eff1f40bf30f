/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "forms/dft-xform.h"
#include "fuzz-form.h"

/* The ODK XForm reader, on a form with no folder beside it (no external CSV instances). */
int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError  *error = NULL;
  DftForm *form = dft_xform_load_data ((const char *) data, size, NULL, &error);

  fuzz_form_check (form, error);
  g_clear_pointer (&form, dft_form_unref);
  return 0;
}
