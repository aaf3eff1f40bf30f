/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <cairo.h>
#include <pango/pangocairo.h>
#include <unicode/utrans.h>

#include "dft-print.h"

G_BEGIN_DECLS

/* The families every text asks for, in order: fontconfig takes the first that has a glyph. */
#define DFT_PRINT_FAMILIES "Noto Sans, Noto Sans Georgian, Noto Naskh Arabic, Noto Sans Arabic"

#define DFT_PRINT_MARGIN 36.0 /* half an inch */

/* One PDF being written: the output stream of a temporary file beside the target, a cairo PDF
 * surface writing to it, and one Pango context for every layout. */
typedef struct
{
  GFile             *file;
  GFileOutputStream *out;
  GCancellable      *cancellable;
  GError            *write_error;
  cairo_surface_t   *surface;
  cairo_t           *cr;
  PangoContext      *context;
  double             width, height; /* points */
  guint              n_pages;       /* pages shown so far */
  guint              missing_glyphs;
  gboolean           finished;
} DftPrintDoc;

void _dft_print_paper_size (DftPaper paper, gboolean landscape, double *width, double *height);

DftPrintDoc *_dft_print_doc_new (
    const char *path, double width, double height, GCancellable *cancellable, GError **error);
/* Ends the current page; FALSE with @error set when cancelled or when writing failed. */
gboolean _dft_print_doc_show_page (DftPrintDoc *doc, GError **error);
/* Completes the PDF and renames it over the target. */
gboolean _dft_print_doc_finish (DftPrintDoc *doc, GError **error);
/* Frees @doc; an unfinished document's temporary file is removed and the target left as it was. */
void _dft_print_doc_free (DftPrintDoc *doc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftPrintDoc, _dft_print_doc_free)

/*
 * A layout of @text (never markup) in @font ("Noto Sans Bold 10": DFT_PRINT_FAMILIES stand in
 * for the family when @font names none), @width points wide (0: unbounded), wrapped on words and
 * cut with an ellipsis after @max_lines (0: no limit). Counts the glyphs no font has.
 */
PangoLayout *_dft_print_layout (DftPrintDoc   *doc,
                                const char    *text,
                                const char    *font,
                                double         width,
                                int            max_lines,
                                PangoAlignment alignment);
/* Draws @layout with its top left at (@x, @y); returns its height in points. */
double _dft_print_show (DftPrintDoc *doc, PangoLayout *layout, double x, double y);
/* _dft_print_layout() and _dft_print_show() at once. */
double _dft_print_text (DftPrintDoc   *doc,
                        const char    *text,
                        const char    *font,
                        double         x,
                        double         y,
                        double         width,
                        int            max_lines,
                        PangoAlignment alignment);
/* The height of @layout in points. */
double _dft_print_layout_height (PangoLayout *layout);

/* Glyphs no font had, over every document drawn in this process (for tests). */
guint _dft_print_missing_glyphs_total (void);

/* "Any-Latin", keeping diacritics; one per document (a transliterator is not thread-safe). */
UTransliterator *_dft_print_transliterator_new (void);
/* @text in Latin letters, or NULL when it is Latin already (or has no letters). */
char *_dft_print_to_latin (UTransliterator *translit, const char *text);
/* A person's name as printed: family name then given name. */
char *_dft_print_person_name (DftRecord *person);

/* The messages of @language's catalogue ("ru", "pt_BR") of Daftari, read from the GNU .mo file
 * under $DAFTARI_LOCALEDIR or LOCALEDIR: msgid to msgstr; NULL when there is none. */
GHashTable *_dft_print_catalogue_load (const char *language);
/* @msgid in @catalogue, or @msgid itself when @catalogue is NULL or lacks it. */
const char *_dft_print_catalogue_get (GHashTable *catalogue, const char *msgid);

/* A stored date (YYYY-MM-DD) at noon UTC, or NULL. */
GDateTime *_dft_print_parse_date (const char *text);

/* The workshop @event_id, or NULL with a clear error. */
DftRecord *_dft_print_load_event (DftStore *store, const char *event_id, GError **error);
/* @event_id's sessions by date and part. */
GPtrArray *_dft_print_list_sessions (DftStore *store, const char *event_id, GError **error);
/* The people enrolled in @event_id with @role, by family and given name. */
GPtrArray *
_dft_print_list_people (DftStore *store, const char *event_id, const char *role, GError **error);

/* The sign-in sheet's page count for @n_people and @n_sessions (tests check the PDF's). */
guint _dft_sign_in_sheet_count_pages (guint n_people, guint n_sessions, DftPaper paper);

G_END_DECLS
