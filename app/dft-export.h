/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dft-store.h"

G_BEGIN_DECLS

typedef enum
{
  DFT_EXPORT_EVENTS,
  DFT_EXPORT_PEOPLE,     /* everyone, or a workshop's people with their role */
  DFT_EXPORT_ATTENDANCE, /* a workshop's grid: one row per person, one column per session */
} DftExportKind;

gboolean dft_export_kind_from_string (const char *name, DftExportKind *kind);

/*
 * Writes CSV as spreadsheets read it: UTF-8 with a byte-order mark (without
 * it Excel shows Cyrillic and Georgian as mojibake), CRLF line ends, RFC 4180
 * quoting, and cells that a spreadsheet would run as a formula made inert.
 */
gboolean dft_export_csv (DftStore      *store,
                         DftExportKind  kind,
                         const char    *event_id,
                         GOutputStream *out,
                         GCancellable  *cancellable,
                         GError       **error);

/* The same rows and columns as dft_export_csv(), as an XLSX workbook of one sheet (see
 * dft-xlsx.h), written beside @path and renamed over it when complete. */
gboolean dft_export_xlsx (DftStore     *store,
                          DftExportKind kind,
                          const char   *event_id,
                          const char   *path,
                          GCancellable *cancellable,
                          GError      **error);

char *dft_csv_escape (const char *cell);

/* Appends @n cells, each through dft_csv_escape(), as one CRLF-ended CSV row. */
void dft_csv_append_row (GString *buffer, const char *const *cells, guint n);

G_END_DECLS
