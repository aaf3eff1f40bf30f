/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dft-store.h"

G_BEGIN_DECLS

/*
 * Every submission of a form key, all versions together, as CSV the way dft-export.h writes it
 * (UTF-8 with a byte-order mark, CRLF, formula cells made inert). One row per submission:
 * its id, the form version it was answered with, status, phase, person, workshop, times and
 * score, then one column per question of any version, named by the question's path without the
 * root ("group/question"), in the order of the latest version with questions only older
 * versions had after them. A question inside a repeat gets its answers from every instance,
 * separated by " | ". Each submission's answers are read with its own version's definition.
 * @event_id limits the rows to one workshop; NULL exports all.
 */
gboolean dft_submissions_export_csv (DftStore      *store,
                                     const char    *form_key,
                                     const char    *event_id,
                                     GOutputStream *out,
                                     GCancellable  *cancellable,
                                     GError       **error);

/* The same rows and columns as an XLSX workbook (see dft-xlsx.h): the score a number, the times
 * date-times, the answers to number questions numbers and to date questions dates. */
gboolean dft_submissions_export_xlsx (DftStore     *store,
                                      const char   *form_key,
                                      const char   *event_id,
                                      const char   *path,
                                      GCancellable *cancellable,
                                      GError      **error);

/*
 * The files the answers to image, audio, video and file questions name go with an export the way
 * ODK Central's export zip carries its media/ folder: into a folder beside the table, each named
 * as the answer names it ("SHA256.ext"). The table's cell keeps that name.
 */

/* What an export did with the files its answers name. */
typedef struct
{
  guint      n_files;   /* different files the exported answers name */
  guint      n_written; /* of them, written into the media folder */
  GPtrArray *missing;   /* of them, the names ("SHA256.ext") of those this store does not hold
                         * yet (a sync has not brought them): not written; never NULL after an
                         * export */
} DftExportMedia;

void dft_export_media_clear (DftExportMedia *media);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (DftExportMedia, dft_export_media_clear)

/* The media folder of an export written to @path: "evaluations.xlsx" → "evaluations-media"
 * beside it. */
char *dft_submissions_export_media_dir (const char *path);

/* dft_submissions_export_csv() that also writes the files the exported answers name into
 * @media_dir (made when needed; a file already there is written again). A file this store does
 * not hold does not fail the export: it is listed in @media->missing. With a NULL @media_dir
 * nothing is written, and @media still says what would be. @media is filled in either way and
 * must be cleared with dft_export_media_clear(). Blocks on the disk. */
gboolean dft_submissions_export_csv_with_media (DftStore       *store,
                                                const char     *form_key,
                                                const char     *event_id,
                                                GOutputStream  *out,
                                                const char     *media_dir,
                                                DftExportMedia *media,
                                                GCancellable   *cancellable,
                                                GError        **error);

/* dft_submissions_export_xlsx() that also writes the files into
 * dft_submissions_export_media_dir (@path), before the workbook appears, and makes each cell
 * that names one file a link to it there (a relative link: the workbook and its folder can be
 * moved together). */
gboolean dft_submissions_export_xlsx_with_media (DftStore       *store,
                                                 const char     *form_key,
                                                 const char     *event_id,
                                                 const char     *path,
                                                 DftExportMedia *media,
                                                 GCancellable   *cancellable,
                                                 GError        **error);

G_END_DECLS
