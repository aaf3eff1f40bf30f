/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "fuzz-sheet.h"

/* The .xlsx reader: a ZIP archive of XML parts, read with libgsf and libxml2. */
int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  return fuzz_sheet (data, size, DFT_WORKBOOK_XLSX, "sign-up.xlsx");
}
