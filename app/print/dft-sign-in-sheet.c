/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dft-schema.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "dft-country.h"
#include "dft-format.h"
#include "dft-print-private.h"

/*
 * The sign-in sheet: a workshop's participants, one row each, with a box per session to sign.
 * Landscape, so that a row holds the name (in its own script, with the Latin letters under it
 * when it is written otherwise), the agency and several boxes each wide enough to sign
 * (≥ 22 mm). When the sessions do not fit across, they split into groups of columns, and each
 * group runs over every participant on pages of its own: one stack of pages per group, the way
 * a trainer hands them round. Rows have one height, so the page count is known before drawing.
 * Trainers and observers sign elsewhere: only participants are listed. The rows left on the
 * last page stay empty, for someone who arrives unregistered; a workshop with nobody yet gives a
 * page of them.
 */

#define HEADER_HEIGHT   70.0
#define HEADINGS_HEIGHT 30.0
#define ROW_HEIGHT      30.0
#define FOOTER_HEIGHT   22.0
#define NUMBER_WIDTH    28.0
#define NAME_WIDTH      200.0
#define AGENCY_WIDTH    120.0
#define BOX_MIN_WIDTH   64.0 /* 22.6 mm */
#define BOX_MAX_WIDTH   150.0
#define PAD             4.0

typedef struct
{
  double width, height;
  guint  rows_per_page;
  guint  max_boxes;
} Geometry;

static void
geometry_init (Geometry *geometry, DftPaper paper)
{
  double usable;

  _dft_print_paper_size (paper, TRUE, &geometry->width, &geometry->height);
  usable
      = geometry->height - 2 * DFT_PRINT_MARGIN - HEADER_HEIGHT - HEADINGS_HEIGHT - FOOTER_HEIGHT;
  geometry->rows_per_page = (guint) (usable / ROW_HEIGHT);
  usable = geometry->width - 2 * DFT_PRINT_MARGIN - NUMBER_WIDTH - NAME_WIDTH - AGENCY_WIDTH;
  geometry->max_boxes = (guint) (usable / BOX_MIN_WIDTH);
}

static guint
count_groups (const Geometry *geometry, guint n_sessions)
{
  return n_sessions == 0 ? 1 : (n_sessions + geometry->max_boxes - 1) / geometry->max_boxes;
}

static guint
count_pages_per_group (const Geometry *geometry, guint n_people)
{
  return MAX (1, (n_people + geometry->rows_per_page - 1) / geometry->rows_per_page);
}

guint
_dft_sign_in_sheet_count_pages (guint n_people, guint n_sessions, DftPaper paper)
{
  Geometry geometry;

  geometry_init (&geometry, paper);
  return count_groups (&geometry, n_sessions) * count_pages_per_group (&geometry, n_people);
}

/* "Mon, 23 Nov" and the part of the day, on two lines. */
static char *
session_heading (DftRecord *session)
{
  g_autoptr (GDateTime) date = _dft_print_parse_date (dft_record_get_string (session, "date"));
  g_autofree char      *day
      = date != NULL ? dft_format_date (date, DFT_DATE_STYLE_WEEKDAY_DAY_MONTH) : NULL;

  return g_strdup_printf ("%s\n%s", day != NULL ? day : dft_record_get_string (session, "date"),
                          dft_session_part_label (dft_record_get_string (session, "part")));
}

/* "12–14 Nov 2026 · Hotel Ak-Keme, Bishkek, Kyrgyzstan" */
static char *
event_line (DftRecord *event)
{
  g_autoptr (GDateTime) start = _dft_print_parse_date (dft_record_get_string (event, "start_date"));
  g_autoptr (GDateTime) end = _dft_print_parse_date (dft_record_get_string (event, "end_date"));
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) place = g_ptr_array_new_with_free_func (g_free);
  const char           *country = dft_record_get_string (event, "country");
  const char           *fields[] = { "venue", "city" };

  if (start != NULL)
    g_ptr_array_add (parts, dft_format_date_range (start, end != NULL ? end : start));
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      const char *value = dft_record_get_string (event, fields[i]);

      if (value != NULL && *value != '\0')
        g_ptr_array_add (place, g_strdup (value));
    }
  if (country != NULL && *country != '\0')
    {
      char *name = dft_country_name (country, NULL);

      g_ptr_array_add (place, name != NULL ? name : g_strdup (country));
    }
  if (place->len > 0)
    {
      g_ptr_array_add (place, NULL);
      /* Translators: between the parts of a place: venue, city, country */
      g_ptr_array_add (parts, g_strjoinv (_ (", "), (char **) place->pdata));
    }
  g_ptr_array_add (parts, NULL);
  return g_strjoinv (" · ", (char **) parts->pdata);
}

typedef struct
{
  DftPrintDoc     *doc;
  Geometry         geometry;
  DftRecord       *event;
  char            *event_line;
  char            *sheet_line;
  GPtrArray       *sessions; /* of this group */
  double           name_width, agency_width, box_width;
  guint            page, n_pages;
  UTransliterator *translit;
} Sheet;

static void
stroke_rows (Sheet *sheet, double top, guint n_rows)
{
  cairo_t *cr = sheet->doc->cr;
  double   left = DFT_PRINT_MARGIN;
  double   right = left + NUMBER_WIDTH + sheet->name_width + sheet->agency_width
                 + sheet->sessions->len * sheet->box_width;
  double bottom = top + HEADINGS_HEIGHT + n_rows * ROW_HEIGHT;
  double x = left;

  cairo_save (cr);
  cairo_set_source_rgb (cr, 0.92, 0.92, 0.92);
  cairo_rectangle (cr, left, top, right - left, HEADINGS_HEIGHT);
  cairo_fill (cr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_set_line_width (cr, 0.6);
  for (guint i = 0; i <= n_rows; i++)
    {
      double y = top + HEADINGS_HEIGHT + i * ROW_HEIGHT;

      cairo_move_to (cr, left, y);
      cairo_line_to (cr, right, y);
    }
  cairo_move_to (cr, left, top);
  cairo_line_to (cr, right, top);
  for (guint i = 0; i < 4 + sheet->sessions->len; i++)
    {
      cairo_move_to (cr, x, top);
      cairo_line_to (cr, x, bottom);
      if (i == 0)
        x += NUMBER_WIDTH;
      else if (i == 1)
        x += sheet->name_width;
      else if (i == 2)
        x += sheet->agency_width;
      else
        x += sheet->box_width;
    }
  cairo_move_to (cr, right, top);
  cairo_line_to (cr, right, bottom);
  cairo_stroke (cr);
  cairo_restore (cr);
}

static void
draw_header (Sheet *sheet)
{
  DftPrintDoc     *doc = sheet->doc;
  double           width = sheet->geometry.width - 2 * DFT_PRINT_MARGIN;
  double           y = DFT_PRINT_MARGIN;
  double           top = DFT_PRINT_MARGIN + HEADER_HEIGHT;
  double           x = DFT_PRINT_MARGIN;
  g_autofree char *footer = NULL;

  y += _dft_print_text (doc, dft_record_get_string (sheet->event, "title"), "Bold 15", x, y, width,
                        1, PANGO_ALIGN_LEFT);
  y += _dft_print_text (doc, sheet->event_line, "10", x, y, width, 1, PANGO_ALIGN_LEFT) + 4;
  _dft_print_text (doc, sheet->sheet_line, "Bold 11", x, y, width, 1, PANGO_ALIGN_LEFT);

  /* Translators: the heading of the column of row numbers on the sign-in sheet */
  _dft_print_text (doc, _ ("No."), "Bold 8.5", x + 2, top + PAD, NUMBER_WIDTH - 4, 2,
                   PANGO_ALIGN_LEFT);
  x += NUMBER_WIDTH;
  _dft_print_text (doc, _ ("Name"), "Bold 8.5", x + PAD, top + PAD, sheet->name_width - 2 * PAD, 2,
                   PANGO_ALIGN_LEFT);
  x += sheet->name_width;
  _dft_print_text (doc, _ ("Agency"), "Bold 8.5", x + PAD, top + PAD, sheet->agency_width - 2 * PAD,
                   2, PANGO_ALIGN_LEFT);
  x += sheet->agency_width;
  for (guint i = 0; i < sheet->sessions->len; i++, x += sheet->box_width)
    {
      g_autofree char *heading = session_heading (sheet->sessions->pdata[i]);

      _dft_print_text (doc, heading, "Bold 8", x + PAD, top + 3, sheet->box_width - 2 * PAD, 2,
                       PANGO_ALIGN_CENTER);
    }
  if (sheet->sessions->len == 0)
    /* Translators: the heading of the box to sign in, when a workshop has no sessions yet */
    _dft_print_text (doc, _ ("Signature"), "Bold 8.5", x + PAD, top + PAD,
                     sheet->box_width - 2 * PAD, 2, PANGO_ALIGN_CENTER);

  /* Translators: the footer of a printed page */
  footer = g_strdup_printf (_ ("Page %u of %u"), sheet->page, sheet->n_pages);
  _dft_print_text (doc, footer, "8.5", DFT_PRINT_MARGIN,
                   sheet->geometry.height - DFT_PRINT_MARGIN - 12, width, 1, PANGO_ALIGN_RIGHT);
}

static void
draw_row (Sheet *sheet, guint number, DftRecord *person, double y)
{
  DftPrintDoc     *doc = sheet->doc;
  g_autofree char *name = _dft_print_person_name (person);
  g_autofree char *latin = _dft_print_to_latin (sheet->translit, name);
  g_autofree char *text = g_strdup_printf ("%u", number);
  const char      *agency = dft_record_get_string (person, "agency");
  double           x = DFT_PRINT_MARGIN;
  double           inner = sheet->name_width - 2 * PAD;

  _dft_print_text (doc, text, "9", x + 2, y + PAD, NUMBER_WIDTH - 6, 1, PANGO_ALIGN_RIGHT);
  x += NUMBER_WIDTH;
  if (latin == NULL)
    _dft_print_text (doc, name, "9.5", x + PAD, y + 2, inner, 2, PANGO_ALIGN_LEFT);
  else
    {
      double height
          = _dft_print_text (doc, name, "9.5", x + PAD, y + 2, inner, 1, PANGO_ALIGN_LEFT);

      cairo_set_source_rgb (doc->cr, 0.3, 0.3, 0.3);
      _dft_print_text (doc, latin, "Italic 8", x + PAD, y + 2 + MIN (height, 15), inner, 1,
                       PANGO_ALIGN_LEFT);
      cairo_set_source_rgb (doc->cr, 0, 0, 0);
    }
  x += sheet->name_width;
  _dft_print_text (doc, agency, "8.5", x + PAD, y + 2, sheet->agency_width - 2 * PAD, 2,
                   PANGO_ALIGN_LEFT);
}

static gboolean
draw_group (Sheet *sheet, GPtrArray *people, GError **error)
{
  Geometry *geometry = &sheet->geometry;
  double    top = DFT_PRINT_MARGIN + HEADER_HEIGHT;
  double boxes = geometry->width - 2 * DFT_PRINT_MARGIN - NUMBER_WIDTH - NAME_WIDTH - AGENCY_WIDTH;
  double extra;
  guint  n_boxes = MAX (sheet->sessions->len, 1);
  guint  pages = count_pages_per_group (geometry, people->len);

  /* Boxes share the width up to a generous size; what is left widens the name and agency. */
  sheet->box_width = MIN (boxes / n_boxes, BOX_MAX_WIDTH);
  extra = boxes - n_boxes * sheet->box_width;
  sheet->name_width = NAME_WIDTH + extra * 0.6;
  sheet->agency_width = AGENCY_WIDTH + extra * 0.4;

  for (guint page = 0; page < pages; page++)
    {
      guint first = page * geometry->rows_per_page;

      sheet->page++;
      stroke_rows (sheet, top, geometry->rows_per_page);
      draw_header (sheet);
      for (guint row = 0; row < geometry->rows_per_page && first + row < people->len; row++)
        draw_row (sheet, first + row + 1, people->pdata[first + row],
                  top + HEADINGS_HEIGHT + row * ROW_HEIGHT);
      if (!_dft_print_doc_show_page (sheet->doc, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
dft_sign_in_sheet_write_pdf (DftStore     *store,
                             const char   *event_id,
                             const char   *session_id,
                             DftPaper      paper,
                             const char   *path,
                             GCancellable *cancellable,
                             GError      **error)
{
  g_autoptr (DftRecord)   event = NULL;
  g_autoptr (GPtrArray)   sessions = NULL;
  g_autoptr (GPtrArray)   people = NULL;
  g_autoptr (DftPrintDoc) doc = NULL;
  Sheet                   sheet = { 0 };
  guint                   n_groups, per_group;
  gboolean                ok = TRUE;

  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);
  g_return_val_if_fail (event_id != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if ((event = _dft_print_load_event (store, event_id, error)) == NULL
      || (sessions = _dft_print_list_sessions (store, event_id, error)) == NULL
      || (people = _dft_print_list_people (store, event_id, "participant", error)) == NULL)
    return FALSE;
  if (session_id != NULL)
    {
      DftRecord *found = NULL;

      for (guint i = 0; i < sessions->len && found == NULL; i++)
        if (g_str_equal (dft_record_get_id (sessions->pdata[i]), session_id))
          found = g_object_ref (sessions->pdata[i]);
      if (found == NULL)
        {
          g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND,
                       /* Translators: %s is the id a user gave */
                       _ ("This workshop has no session “%s”."), session_id);
          return FALSE;
        }
      g_ptr_array_set_size (sessions, 0);
      g_ptr_array_add (sessions, found);
    }

  geometry_init (&sheet.geometry, paper);
  doc = _dft_print_doc_new (path, sheet.geometry.width, sheet.geometry.height, cancellable, error);
  if (doc == NULL)
    return FALSE;
  sheet.doc = doc;
  sheet.event = event;
  sheet.event_line = event_line (event);
  sheet.translit = _dft_print_transliterator_new ();
  sheet.n_pages = _dft_sign_in_sheet_count_pages (people->len, sessions->len, paper);
  n_groups = count_groups (&sheet.geometry, sessions->len);
  per_group = (sessions->len + n_groups - 1) / n_groups;

  for (guint group = 0; group < n_groups && ok; group++)
    {
      guint first = group * per_group;
      guint last = MIN (first + per_group, sessions->len);

      sheet.sessions = g_ptr_array_new ();
      for (guint i = first; i < last; i++)
        g_ptr_array_add (sheet.sessions, sessions->pdata[i]);
      g_free (sheet.sheet_line);
      if (session_id != NULL)
        {
          g_autofree char *heading = session_heading (sessions->pdata[0]);

          g_strdelimit (heading, "\n", ' ');
          /* Translators: %s is a session, as "Mon, 23 Nov Morning" */
          sheet.sheet_line = g_strdup_printf (_ ("Sign-in sheet: %s"), heading);
        }
      else if (n_groups > 1)
        /* Translators: the sessions of this stack of pages, as "Sign-in sheet: sessions 1–6 of
         * 10"; the sheet splits its columns when a workshop has more than fit across */
        sheet.sheet_line = g_strdup_printf (_ ("Sign-in sheet: sessions %u–%u of %u"), first + 1,
                                            last, sessions->len);
      else
        sheet.sheet_line = g_strdup (_ ("Sign-in sheet"));
      ok = draw_group (&sheet, people, error);
      g_clear_pointer (&sheet.sessions, g_ptr_array_unref);
    }
  g_free (sheet.event_line);
  g_free (sheet.sheet_line);
  g_clear_pointer (&sheet.translit, utrans_close);
  if (!ok)
    return FALSE;
  g_assert (doc->n_pages == sheet.n_pages);
  return _dft_print_doc_finish (doc, error);
}
