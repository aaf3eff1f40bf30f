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

G_END_DECLS
