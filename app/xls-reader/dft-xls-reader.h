/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What daftari-xls-reader and the workbook reader that runs it (dft-sheet-xls.c) agree on. */

/* What an .xls (BIFF8) sheet can hold: a file that declares more is damaged or hostile. */
#define DFT_XLS_MAX_ROWS    65536
#define DFT_XLS_MAX_COLUMNS 256
#define DFT_XLS_MAX_SHEETS  1024

/* One workbook may take this much memory and time, and give this much text. A sign-up sheet or
 * an XLSForm is a few megabytes at the most. */
#define DFT_XLS_READER_MAX_MEMORY      ((rlim_t) 1024 * 1024 * 1024)
#define DFT_XLS_READER_MAX_CPU_SECONDS 60
#define DFT_XLS_READER_MAX_TEXT        ((gsize) 64 * 1024 * 1024)

/* The reader's output: the sheets, each with its name and non-empty rows (index, cells). */
#define DFT_XLS_READER_TYPE "a(sa(ua(qs)))"

enum
{
  DFT_XLS_READER_DAMAGED = 2,
  DFT_XLS_READER_TOO_LARGE_GRID = 3,
  DFT_XLS_READER_TOO_MUCH_TEXT = 4,
};
