/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "fuzz-sheet.h"

/* The .xls (Excel 97–2003) reader: FreeXL, reading from a temporary file. */
int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  return fuzz_sheet (data, size, DFT_WORKBOOK_XLS, "sign-up.xls");
}
