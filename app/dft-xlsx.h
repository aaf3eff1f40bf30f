/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * Tables written either as CSV or as a real XLSX workbook (libxlsxwriter), from one row source:
 * an export builds its rows once, cell by cell with a type, and the writer turns them into CSV
 * text (as dft-export.h writes it) or into typed spreadsheet cells.
 *
 * In a workbook each table is a sheet of its own, named after the table's title (made a valid
 * sheet name: at most 31 characters, none of []:*?/\, unique), with its header row in bold and
 * frozen, an autofilter over the data and columns as wide as their longest cell. Text is always
 * written as a string, never as a formula, whatever it starts with (the CSV's apostrophe is not
 * needed there); invalid UTF-8 is replaced, line ends become LF (a cell's line break), and a cell
 * longer than a spreadsheet holds (32,767 characters) is cut there, ending in "…", rather than
 * failing the whole export over one long answer.
 * Numbers are numbers, dates real dates, time stamps date-times (in UTC, as stored).
 *
 * A workbook is written to a temporary file beside @path and renamed over it only when complete:
 * a failed or cancelled write leaves any earlier file intact.
 */

typedef struct _DftTableWriter DftTableWriter;

/* Excel's limit on the characters of one cell. */
#define DFT_XLSX_CELL_MAX 32767

/* CSV to @out: UTF-8 with a byte-order mark, CRLF, formula-looking cells made inert. With
 * @titled, each table is introduced by a line holding its title and followed by an empty line,
 * so that several tables share one file. */
DftTableWriter *dft_table_writer_new_csv (GOutputStream *out, gboolean titled);
/* A workbook to be written at @path by dft_table_writer_finish(). */
DftTableWriter *dft_table_writer_new_xlsx (const char *path, GError **error);
/* Frees @writer; an unfinished workbook is discarded and its temporary file removed. */
void dft_table_writer_free (DftTableWriter *writer);

/* Starts a table (a sheet) and writes its header row of @n_columns cells. */
gboolean dft_table_writer_begin_table (DftTableWriter    *writer,
                                       const char        *title,
                                       const char *const *header,
                                       guint              n_columns,
                                       GError           **error);

/* The cells of the current row, left to right. NULL text is an empty cell. */
void dft_table_writer_add_text (DftTableWriter *writer, const char *text);
/* @text that opens @url: a workbook's cell shows @text as a link (libxlsxwriter's URLs:
 * "https://…", or "external:dir/file.jpg" for a file relative to the workbook's folder), CSV
 * holds @text alone. A link a sheet cannot take (too long, or past Excel's 65,530 links in one
 * sheet) is written as plain text. */
void dft_table_writer_add_link (DftTableWriter *writer, const char *url, const char *text);
/* @value with @decimals decimals (CSV) and a matching number format; a negative @decimals
 * writes the shortest text that reads back as @value. NAN is an empty cell. */
void dft_table_writer_add_number (DftTableWriter *writer, double value, int decimals);
/* A number whose CSV text is @text as given (an answer "3.50" stays "3.50"). */
void dft_table_writer_add_number_text (DftTableWriter *writer, double value, const char *text);
/* A share between 0 and 1: the CSV holds it with 3 decimals, the workbook shows it as a
 * percentage. NAN is an empty cell. */
void dft_table_writer_add_percent (DftTableWriter *writer, double share);
/* A date "YYYY-MM-DD"; anything else is written as text. */
void dft_table_writer_add_date (DftTableWriter *writer, const char *date);
/* A time stamp "YYYY-MM-DDTHH:MM[:SS[.fff]][Z]"; anything else is written as text. */
void dft_table_writer_add_stamp (DftTableWriter *writer, const char *stamp);

gboolean
dft_table_writer_end_row (DftTableWriter *writer, GCancellable *cancellable, GError **error);
gboolean dft_table_writer_end_table (DftTableWriter *writer, GError **error);

/* Writes what is left: CSV to its stream (not closed), a workbook to its path. */
gboolean
dft_table_writer_finish (DftTableWriter *writer, GCancellable *cancellable, GError **error);

/* An export's one row source: writes its tables into @writer, whichever format that is. */
typedef gboolean (*DftTableSource) (DftTableWriter *writer,
                                    gconstpointer   data,
                                    GCancellable   *cancellable,
                                    GError        **error);

/* The tables of @source as CSV to @out (see dft_table_writer_new_csv()); @out is not closed. */
gboolean dft_table_write_csv (DftTableSource source,
                              gconstpointer  data,
                              GOutputStream *out,
                              gboolean       titled,
                              GCancellable  *cancellable,
                              GError       **error);
/* The tables of @source as a workbook at @path, renamed over it when complete. */
gboolean dft_table_write_xlsx (DftTableSource source,
                               gconstpointer  data,
                               const char    *path,
                               GCancellable  *cancellable,
                               GError       **error);

/* @name as a valid sheet name, unique among @taken (compared without case), which it joins. */
char *dft_xlsx_sheet_name (const char *name, GPtrArray *taken);

/* The width a spreadsheet needs to show @text: characters, wide (CJK) ones counted twice,
 * the longest line of several. */
guint dft_xlsx_text_width (const char *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftTableWriter, dft_table_writer_free)

G_END_DECLS
