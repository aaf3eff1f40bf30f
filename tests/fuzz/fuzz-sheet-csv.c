/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "fuzz-sheet.h"

/* The CSV reader: comma, semicolon or tab separated; UTF-8, or UTF-16/32 with a byte order mark. */
int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  return fuzz_sheet (data, size, DFT_WORKBOOK_CSV, "sign-up.csv");
}
