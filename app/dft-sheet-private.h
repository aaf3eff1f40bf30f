/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gsf/gsf-infile.h>

#include "dft-sheet.h"

G_BEGIN_DECLS

/* What the workbook (dft-sheet.c) and its readers share: dft-sheet-csv.c, dft-sheet-xlsx.c and
 * dft-sheet-xls.c. */

/* Uncompressed size of one part of an .xlsx: a guard against ZIP bombs. */
#define MAX_PART_BYTES ((gsf_off_t) 256 * 1024 * 1024)
#define MAX_SHEETS     1024
/* A sign-up sheet or a form is a few megabytes of text at the most. A file whose compressed
 * parts expand far beyond that (a "zip bomb"), or whose cells repeat one huge shared string,
 * is refused before it takes the laptop's memory: these bound what is kept, not only each part
 * read. */
#define MAX_SHARED_STRINGS 500000
#define MAX_SHARED_BYTES   ((gsize) 32 * 1024 * 1024)
#define MAX_TEXT_BYTES     ((gsize) 64 * 1024 * 1024)
#define SNIFF_RECORDS      20

/* A sheet of the workbook: the public part first, so that one points at the other. */
typedef struct
{
  DftSheet pub;
  char    *part; /* .xlsx: the relationship id, then the worksheet's path in the archive */
} Entry;

typedef struct
{
  const char *name; /* the file's display name, for messages */
  GPtrArray  *rows; /* DftSheetRow *, never empty ones */
  guint       max_rows;
  guint       max_columns;
  gsize       text_bytes; /* the cells' text kept so far */
} Sheet;

typedef struct
{
  const char *name; /* the file's display name, for messages */
  GsfInfile  *zip;
  GPtrArray  *shared; /* char*: the shared strings, escapes decoded */
  gsize       shared_bytes;
  GArray     *date_styles; /* gboolean per cell format (cellXfs) index */
  gboolean    date1904;
} Xlsx;

struct _DftWorkbook
{
  DftWorkbookKind kind;
  char           *name;
  guint           max_rows;
  guint           max_columns;
  GPtrArray      *sheets; /* Entry * */
  GBytes         *data;   /* .xlsx: the archive's bytes */
  Xlsx            x;
  GVariant       *xls; /* .xls: what daftari-xls-reader read, DFT_XLS_READER_TYPE */
};

/* dft-sheet.c: what every reader does with a cell and a row. */
/* The text of a cell as Daftari keeps it: trimmed, line breaks as "\n", NULL when empty. */
char    *_dft_sheet_clean_cell (const char *text, gsize len);
gboolean _dft_sheet_too_much_text (const char *name, gsize limit, GError **error);
gboolean _dft_sheet_too_many_columns (const Sheet *sheet, guint number, GError **error);
/* Takes @cells (char* or NULL each); an empty row is dropped, as if it was not there. */
gboolean _dft_sheet_add_row (Sheet *sheet, guint number, GPtrArray *cells_in, GError **error);

/* One reader per format. */
gboolean _dft_sheet_read_csv (Sheet *sheet, const char *data, gsize len, GError **error);
gboolean _dft_sheet_open_xlsx (DftWorkbook *wb, GError **error);
gboolean
_dft_sheet_read_xlsx_worksheet (const Xlsx *x, Sheet *sheet, const char *path, GError **error);
gboolean _dft_sheet_open_xls (DftWorkbook *wb, const char *data, gsize len, GError **error);
gboolean _dft_sheet_read_xls_sheet (GVariant *workbook, guint index, Sheet *sheet, GError **error);

G_END_DECLS
