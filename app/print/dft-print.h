/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dft-indicators.h"
#include "dft-store.h"

G_BEGIN_DECLS

/*
 * Printable documents as PDF, drawn with cairo and every text laid out by Pango so that each
 * script shapes correctly: the sign-in sheet a workshop's participants sign, the certificates
 * of completion, and the indicator report. Each writer works on its own cairo surface and Pango
 * context, so it may run in a worker thread; it writes a temporary file beside @path and renames
 * it over @path only when the document is complete, so a failed or cancelled write leaves an
 * earlier file intact.
 */

typedef enum
{
  DFT_PAPER_A4,
  DFT_PAPER_LETTER,
} DftPaper;

/* "a4" or "letter", in any case. */
gboolean dft_paper_from_string (const char *name, DftPaper *paper);

/*
 * The sign-in sheet of @event_id's participants (role participant, by family and given name),
 * with one box to sign per session: @session_id's alone, or every session when NULL. Landscape;
 * sessions beyond what fits across the page go to a further run of pages. A workshop with
 * nobody enrolled gives a page of empty rows to fill by hand.
 */
gboolean dft_sign_in_sheet_write_pdf (DftStore     *store,
                                      const char   *event_id,
                                      const char   *session_id,
                                      DftPaper      paper,
                                      const char   *path,
                                      GCancellable *cancellable,
                                      GError      **error);

/*
 * One landscape certificate of completion per participant who attended (present or late) at
 * least @completion_share (0 < share ≤ 1) of @event_id's sessions, in the workshop's working
 * language (its catalogue under $DAFTARI_LOCALEDIR or LOCALEDIR; English without one). Fails,
 * writing nothing, when nobody completed. *@n_certificates (may be NULL) gets the page count.
 */
gboolean dft_certificates_write_pdf (DftStore     *store,
                                     const char   *event_id,
                                     double        completion_share,
                                     DftPaper      paper,
                                     const char   *path,
                                     guint        *n_certificates,
                                     GCancellable *cancellable,
                                     GError      **error);

/* The indicator report: headline figures, tables and bar charts, portrait. */
gboolean dft_indicator_report_write_pdf (const DftIndicatorReport *report,
                                         DftPaper                  paper,
                                         const char               *path,
                                         GCancellable             *cancellable,
                                         GError                  **error);

G_END_DECLS
