/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "dft-store.h"

G_BEGIN_DECLS

#define DFT_CLI_EXIT_FAILED 1
#define DFT_CLI_EXIT_USAGE  2

/* Shared by the command files: print @error and return the failure status; print the usage
 * with @message; parse a command's options, leaving the positional arguments in argv. */
int      _dft_cli_fail (const GError *error);
int      _dft_cli_usage (GOptionContext *context, const char *message);
gboolean _dft_cli_parse (
    GOptionContext *context, const GOptionEntry *entries, int *argc, char ***argv, int *status);
/* An output stream for -o FILE (replaced only when complete) or standard output. */
GOutputStream *_dft_cli_open_output (const char *path, GError **error);
/* The format of a table written by a command: --format as given, or else from -o's suffix
 * (".xlsx", ".csv"), or else @fallback. A workbook needs -o FILE, text standard output. Returns
 * 0, or the exit status after printing why (@allow_text: whether "text" is a choice). */
typedef enum
{
  DFT_CLI_FORMAT_TEXT,
  DFT_CLI_FORMAT_CSV,
  DFT_CLI_FORMAT_XLSX,
} DftCliFormat;
int _dft_cli_table_format (GOptionContext *context,
                           const char     *format,
                           const char     *output,
                           DftCliFormat    fallback,
                           gboolean        allow_text,
                           DftCliFormat   *result);
/* Prints what @builder built as indented JSON on standard output (--json). */
void _dft_cli_print_json (JsonBuilder *builder);

/* Forms (dft-cli-forms.c). */
int _dft_cli_forms (DftStore *store, int argc, char **argv);
int _dft_cli_form_import (DftStore *store, int argc, char **argv);
int _dft_cli_form_template (DftStore *store, int argc, char **argv);
int _dft_cli_form_po_export (DftStore *store, int argc, char **argv);
int _dft_cli_form_po_import (DftStore *store, int argc, char **argv);
int _dft_cli_form_export (DftStore *store, int argc, char **argv);
int _dft_cli_submissions_export (DftStore *store, int argc, char **argv);
int _dft_cli_gain (DftStore *store, int argc, char **argv);

/* Conflicts (dft-cli-conflicts.c). */
int _dft_cli_conflicts (DftStore *store, int argc, char **argv);
int _dft_cli_resolve (DftStore *store, int argc, char **argv);

/* The indicator report (dft-cli-report.c). */
int _dft_cli_report (DftStore *store, int argc, char **argv);

/* People (dft-cli-people.c). */
int _dft_cli_duplicates (DftStore *store, int argc, char **argv);

/* Merges of people (dft-cli-merges.c). */
int _dft_cli_merge (DftStore *store, int argc, char **argv);
int _dft_cli_unmerge (DftStore *store, int argc, char **argv);
int _dft_cli_merges (DftStore *store, int argc, char **argv);
int _dft_cli_not_duplicate (DftStore *store, int argc, char **argv);

/* Printable documents (dft-cli-print.c). */
int _dft_cli_sign_in_sheet (DftStore *store, int argc, char **argv);
int _dft_cli_certificates (DftStore *store, int argc, char **argv);

G_END_DECLS
