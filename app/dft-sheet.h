/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Spreadsheets read as rows of text: CSV (comma, semicolon or tab separated, UTF-8 or UTF-16/32
 * with a byte order mark), Excel workbooks (.xlsx, through libgsf and libxml2) and Excel 97–2003
 * workbooks (.xls, through FreeXL). Each cell reads as Excel shows it: numbers with at most 15
 * significant digits ("1", not "1.0"), dates as "2026-03-02" (with " 14:30" when there is a time),
 * booleans as "TRUE"/"FALSE". Cells are trimmed; an empty cell is NULL and an empty row is left
 * out.
 *
 * The readers never trust the file: a ZIP bomb, a damaged archive or junk with a spreadsheet's
 * name gives a DFT_SHEET_ERROR, never a crash, and the limits below bound what a hostile file can
 * make Daftari allocate.
 */

#define DFT_SHEET_ERROR (dft_sheet_error_quark ())

typedef enum
{
  DFT_SHEET_ERROR_FORMAT,    /* not a spreadsheet, damaged, or a quote never closed */
  DFT_SHEET_ERROR_ENCODING,  /* a CSV neither UTF-8 nor UTF-16/32 with a byte order mark */
  DFT_SHEET_ERROR_EMPTY,     /* a workbook without a worksheet */
  DFT_SHEET_ERROR_TOO_LARGE, /* more rows, columns or bytes than the limits allow */
} DftSheetError;

GQuark dft_sheet_error_quark (void);

typedef enum
{
  DFT_WORKBOOK_CSV,
  DFT_WORKBOOK_XLSX,
  DFT_WORKBOOK_XLS,
} DftWorkbookKind;

typedef struct
{
  guint  number;  /* the row number the spreadsheet shows, from 1 */
  guint  n_cells; /* the last cell is never NULL */
  char **cells;   /* trimmed text, NULL when empty */
} DftSheetRow;

typedef struct
{
  char      *name;   /* as the workbook names it; "" for a CSV file */
  gboolean   hidden; /* hidden or "very hidden" in Excel */
  GPtrArray *rows;   /* DftSheetRow *, without empty rows; NULL until the sheet is read */
} DftSheet;

typedef struct _DftWorkbook DftWorkbook;

/* The kind of spreadsheet @data holds, from its first bytes: a ZIP archive is taken for .xlsx,
 * an OLE compound file for .xls, anything else for CSV. */
DftWorkbookKind dft_workbook_sniff (const char *data, gsize len);

/*
 * Opens the workbook in @data (the whole file; @name is the file's display name, for messages).
 * Sheets are read on demand, each refused beyond @max_rows non-empty rows or a value beyond
 * @max_columns columns. A CSV file has a single sheet, read here.
 */
DftWorkbook *dft_workbook_new_from_data (const char *name,
                                         const char *data,
                                         gsize       len,
                                         guint       max_rows,
                                         guint       max_columns,
                                         GError    **error);
void         dft_workbook_free (DftWorkbook *workbook);

DftWorkbookKind dft_workbook_get_kind (DftWorkbook *workbook);
/* Whether the workbook counts dates from 1904 (old Mac Excel): serial dates read differently. */
gboolean dft_workbook_get_date1904 (DftWorkbook *workbook);
guint    dft_workbook_get_n_sheets (DftWorkbook *workbook);
/* The sheet's name and state; its rows are NULL until dft_workbook_read_sheet(). */
const DftSheet *dft_workbook_get_sheet (DftWorkbook *workbook, guint index);
/* The index of the sheet named @name, compared without regard to case and surrounding space;
 * -1 when there is none. */
int dft_workbook_find_sheet (DftWorkbook *workbook, const char *name);
/* The first sheet a user can see (the first one when all are hidden); -1 when there are none. */
int dft_workbook_get_first_visible (DftWorkbook *workbook);
/* Reads the rows of sheet @index (once; later calls return the same sheet). */
const DftSheet *dft_workbook_read_sheet (DftWorkbook *workbook, guint index, GError **error);

/* The cell in @column of @row, NULL when empty or beyond the row's end. */
const char *dft_sheet_row_get (const DftSheetRow *row, guint column);

/* An Excel serial date as text: "2026-03-02", or "2026-03-02 14:30" when it has a time; NULL when
 * it is not a date Excel can show. */
char *dft_sheet_serial_to_text (double serial, gboolean date1904);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftWorkbook, dft_workbook_free)

G_END_DECLS
