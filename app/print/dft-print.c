/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <cairo-pdf.h>
#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <string.h>
#include <unicode/ustring.h>

#include "dft-print-private.h"
#include "dft-search.h"

/*
 * What every printed document shares: the paper, the PDF written beside its target and renamed
 * over it when complete, text laid out by Pango, names in Latin letters, and the catalogue of a
 * language other than the interface's.
 */

static int missing_glyphs_total;

gboolean
dft_paper_from_string (const char *name, DftPaper *paper)
{
  g_return_val_if_fail (paper != NULL, FALSE);

  if (name != NULL && g_ascii_strcasecmp (name, "a4") == 0)
    *paper = DFT_PAPER_A4;
  else if (name != NULL && g_ascii_strcasecmp (name, "letter") == 0)
    *paper = DFT_PAPER_LETTER;
  else
    return FALSE;
  return TRUE;
}

void
_dft_print_paper_size (DftPaper paper, gboolean landscape, double *width, double *height)
{
  /* ISO 216 A4 is 210 × 297 mm; US Letter 8.5 × 11 in. */
  double short_side = paper == DFT_PAPER_LETTER ? 612.0 : 595.0;
  double long_side = paper == DFT_PAPER_LETTER ? 792.0 : 842.0;

  *width = landscape ? long_side : short_side;
  *height = landscape ? short_side : long_side;
}

static cairo_status_t
write_cb (void *closure, const unsigned char *data, unsigned int length)
{
  DftPrintDoc *doc = closure;

  if (doc->write_error != NULL)
    return CAIRO_STATUS_WRITE_ERROR;
  if (!g_output_stream_write_all (G_OUTPUT_STREAM (doc->out), data, length, NULL, doc->cancellable,
                                  &doc->write_error))
    return CAIRO_STATUS_WRITE_ERROR;
  return CAIRO_STATUS_SUCCESS;
}

DftPrintDoc *
_dft_print_doc_new (
    const char *path, double width, double height, GCancellable *cancellable, GError **error)
{
  g_autoptr (DftPrintDoc) doc = g_new0 (DftPrintDoc, 1);
  g_autoptr (GError)      local_error = NULL;
  cairo_font_options_t   *options;

  g_assert (path != NULL);

  doc->file = g_file_new_for_path (path);
  doc->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  doc->width = width;
  doc->height = height;
  /* g_file_replace() writes a temporary file beside the target and renames it over the target
   * when the stream is closed, not when closing is cancelled (_dft_print_doc_free()). Without
   * REPLACE_DESTINATION it would write over the old file in place where the folder is read-only,
   * and a failure half-way would lose it. */
  doc->out = g_file_replace (doc->file, NULL, FALSE,
                             G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION, cancellable,
                             &local_error);
  if (doc->out == NULL)
    {
      g_autofree char *name = g_filename_display_name (path);

      g_set_error (error, local_error->domain, local_error->code,
                   /* Translators: %s is a file name, then why it cannot be written */
                   _ ("Cannot write “%s”: %s"), name, local_error->message);
      return NULL;
    }

  doc->surface = cairo_pdf_surface_create_for_stream (write_cb, doc, width, height);
  cairo_pdf_surface_set_metadata (doc->surface, CAIRO_PDF_METADATA_CREATOR, "Daftari");
  doc->cr = cairo_create (doc->surface);
  doc->context = pango_cairo_create_context (doc->cr);
  /* Outlines as the fonts draw them: hinting is for screens. */
  options = cairo_font_options_create ();
  cairo_font_options_set_hint_metrics (options, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style (options, CAIRO_HINT_STYLE_NONE);
  pango_cairo_context_set_font_options (doc->context, options);
  cairo_font_options_destroy (options);
  pango_context_set_round_glyph_positions (doc->context, FALSE);
  /* Font sizes in points, as the PDF's user space is. */
  pango_cairo_context_set_resolution (doc->context, 72);
  return g_steal_pointer (&doc);
}

static gboolean
doc_check (DftPrintDoc *doc, GError **error)
{
  cairo_status_t status;

  if (doc->write_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&doc->write_error));
      /* Whatever cairo writes from now on goes nowhere. */
      doc->write_error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "");
      return FALSE;
    }
  if (g_cancellable_set_error_if_cancelled (doc->cancellable, error))
    return FALSE;
  status = cairo_surface_status (doc->surface);
  if (status == CAIRO_STATUS_SUCCESS && doc->cr != NULL)
    status = cairo_status (doc->cr);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   /* Translators: %s is cairo's reason, in English */
                   _ ("Cannot draw the PDF: %s"), cairo_status_to_string (status));
      return FALSE;
    }
  return TRUE;
}

gboolean
_dft_print_doc_show_page (DftPrintDoc *doc, GError **error)
{
  cairo_show_page (doc->cr);
  doc->n_pages++;
  return doc_check (doc, error);
}

gboolean
_dft_print_doc_finish (DftPrintDoc *doc, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  g_clear_object (&doc->context);
  g_clear_pointer (&doc->cr, cairo_destroy);
  cairo_surface_finish (doc->surface);
  if (!doc_check (doc, error))
    return FALSE;
  if (!g_output_stream_close (G_OUTPUT_STREAM (doc->out), doc->cancellable, &local_error))
    {
      g_autofree char *name = g_file_get_parse_name (doc->file);

      g_set_error (error, local_error->domain, local_error->code, _ ("Cannot write “%s”: %s"), name,
                   local_error->message);
      return FALSE;
    }
  doc->finished = TRUE;
  return TRUE;
}

void
_dft_print_doc_free (DftPrintDoc *doc)
{
  if (doc == NULL)
    return;
  g_clear_object (&doc->context);
  g_clear_pointer (&doc->cr, cairo_destroy);
  if (doc->surface != NULL && !doc->finished)
    {
      /* Whatever cairo still has to write goes nowhere. */
      if (doc->write_error == NULL)
        doc->write_error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "");
      cairo_surface_finish (doc->surface);
    }
  g_clear_pointer (&doc->surface, cairo_surface_destroy);
  if (doc->out != NULL && !doc->finished && !g_output_stream_is_closed (G_OUTPUT_STREAM (doc->out)))
    {
      /* Closing with a cancelled cancellable drops the temporary file: the target stays. */
      g_autoptr (GCancellable) abandon = g_cancellable_new ();

      g_cancellable_cancel (abandon);
      g_output_stream_close (G_OUTPUT_STREAM (doc->out), abandon, NULL);
    }
  g_clear_object (&doc->out);
  g_clear_object (&doc->file);
  g_clear_object (&doc->cancellable);
  g_clear_error (&doc->write_error);
  g_free (doc);
}

PangoLayout *
_dft_print_layout (DftPrintDoc   *doc,
                   const char    *text,
                   const char    *font,
                   double         width,
                   int            max_lines,
                   PangoAlignment alignment)
{
  PangoLayout          *layout = pango_layout_new (doc->context);
  PangoFontDescription *description = pango_font_description_from_string (font);
  int                   missing;

  if ((pango_font_description_get_set_fields (description) & PANGO_FONT_MASK_FAMILY) == 0)
    pango_font_description_set_family (description, DFT_PRINT_FAMILIES);
  pango_layout_set_font_description (layout, description);
  pango_font_description_free (description);
  if (width > 0)
    {
      pango_layout_set_width (layout, (int) (width * PANGO_SCALE));
      pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
    }
  if (max_lines > 0)
    {
      pango_layout_set_height (layout, -max_lines);
      pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
    }
  pango_layout_set_alignment (layout, alignment);
  /* Data is text, never markup. */
  pango_layout_set_text (layout, text != NULL ? text : "", -1);

  missing = pango_layout_get_unknown_glyphs_count (layout);
  if (missing > 0)
    {
      g_debug ("No font has %d of the glyphs of “%s”", missing, text);
      doc->missing_glyphs += missing;
      g_atomic_int_add (&missing_glyphs_total, missing);
    }
  return layout;
}

double
_dft_print_layout_height (PangoLayout *layout)
{
  int height;

  pango_layout_get_size (layout, NULL, &height);
  return (double) height / PANGO_SCALE;
}

double
_dft_print_show (DftPrintDoc *doc, PangoLayout *layout, double x, double y)
{
  cairo_move_to (doc->cr, x, y);
  pango_cairo_show_layout (doc->cr, layout);
  return _dft_print_layout_height (layout);
}

double
_dft_print_text (DftPrintDoc   *doc,
                 const char    *text,
                 const char    *font,
                 double         x,
                 double         y,
                 double         width,
                 int            max_lines,
                 PangoAlignment alignment)
{
  g_autoptr (PangoLayout) layout = _dft_print_layout (doc, text, font, width, max_lines, alignment);

  return _dft_print_show (doc, layout, x, y);
}

guint
_dft_print_missing_glyphs_total (void)
{
  return (guint) g_atomic_int_get (&missing_glyphs_total);
}

/* Any-Latin, after the Kyrgyz, Kazakh and Tajik letters it leaves in Cyrillic. */
static const UChar transliteration_rules[]
    = u"ү > ü ; Ү > Ü ; ө > ö ; Ө > Ö ; ң > ŋ ; Ң > Ŋ ; ұ > ū ; Ұ > Ū ; қ > q ; Қ > Q ;"
      u"ә > ä ; Ә > Ä ; һ > h ; Һ > H ; ҳ > ḩ ; Ҳ > Ḩ ; ҷ > j ; Ҷ > J ; ӣ > ī ; Ӣ > Ī ;"
      u"ӯ > ū ; Ӯ > Ū ; ғ > ġ ; Ғ > Ġ ;"
      u":: Any-Latin ;";

UTransliterator *
_dft_print_transliterator_new (void)
{
  UErrorCode       status = U_ZERO_ERROR;
  UParseError      parse_error = { 0 };
  UTransliterator *translit = utrans_openU (u"x-daftari-print", -1, UTRANS_FORWARD,
                                            transliteration_rules, -1, &parse_error, &status);

  if (U_FAILURE (status))
    {
      /* Names then print in their own script alone: a packaging bug worth hearing about. */
      g_warning ("Cannot open the Any-Latin transliterator: %s", u_errorName (status));
      return NULL;
    }
  return translit;
}

static gboolean
is_latin (const char *text)
{

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (!g_unichar_isalpha (c))
        continue;
      if (g_unichar_get_script (c) != G_UNICODE_SCRIPT_LATIN)
        return FALSE;
    }
  return TRUE;
}

char *
_dft_print_to_latin (UTransliterator *translit, const char *text)
{
  g_autofree char *result = NULL;

  if (translit == NULL || text == NULL || is_latin (text))
    return NULL;
  result = dft_search_transliterate_with (translit, NULL, text);
  if (result == NULL || g_strcmp0 (result, text) == 0)
    return NULL;
  /* Georgian and Arabic script have no capitals: a name's words start with one in Latin. */
  for (char *word = result; *word != '\0';)
    {
      gunichar c = g_utf8_get_char (word);
      char    *next = g_utf8_next_char (word);

      if (g_unichar_islower (c) && (word == result || word[-1] == ' ' || word[-1] == '-'))
        {
          char upper[8];
          int  n = g_unichar_to_utf8 (g_unichar_totitle (c), upper);

          if (n == next - word)
            memcpy (word, upper, n);
        }
      word = next;
    }
  return g_steal_pointer (&result);
}

char *
_dft_print_person_name (DftRecord *person)
{
  const char *family = dft_record_get_string (person, "family_name");
  const char *given = dft_record_get_string (person, "given_name");

  return g_strstrip (
      g_strdup_printf ("%s %s", family != NULL ? family : "", given != NULL ? given : ""));
}

/* ---- A catalogue of another language ----------------------------------------------------- */

/* The GNU .mo format (gettext manual, "The Format of GNU MO Files"): a header of 32-bit words
 * in the writer's byte order, then tables of (length, offset) pairs for the original and the
 * translated strings. */
static gboolean
mo_word (const char *data, gsize size, gsize offset, gboolean swap, guint32 *value)
{
  guint32 word;

  if (offset > size || size - offset < 4)
    return FALSE;
  memcpy (&word, data + offset, 4);
  *value = swap ? GUINT32_SWAP_LE_BE (word) : word;
  return TRUE;
}

static const char *
mo_string (const char *data, gsize size, gsize table, guint32 index, gboolean swap)
{
  guint32 length, offset;

  if (!mo_word (data, size, table + (gsize) index * 8, swap, &length)
      || !mo_word (data, size, table + (gsize) index * 8 + 4, swap, &offset))
    return NULL;
  /* Each string ends with a NUL the length does not count. */
  if (offset >= size || size - offset <= length || data[offset + length] != '\0')
    return NULL;
  return data + offset;
}

static GHashTable *
catalogue_parse (const char *data, gsize size)
{
  g_autoptr (GHashTable) catalogue
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  guint32  magic, n, originals, translations;
  gboolean swap;

  if (!mo_word (data, size, 0, FALSE, &magic))
    return NULL;
  if (magic == 0x950412de)
    swap = FALSE;
  else if (magic == 0xde120495)
    swap = TRUE;
  else
    return NULL;
  if (!mo_word (data, size, 8, swap, &n) || !mo_word (data, size, 12, swap, &originals)
      || !mo_word (data, size, 16, swap, &translations))
    return NULL;
  for (guint32 i = 0; i < n; i++)
    {
      const char *msgid = mo_string (data, size, originals, i, swap);
      const char *msgstr = mo_string (data, size, translations, i, swap);

      if (msgid == NULL || msgstr == NULL)
        return NULL;
      /* The header (empty msgid), and untranslated or fuzzy-free empty strings, add nothing.
       * A plural's msgid and msgstr hold their forms NUL-separated: the first is the singular. */
      if (*msgid != '\0' && *msgstr != '\0')
        g_hash_table_insert (catalogue, g_strdup (msgid), g_strdup (msgstr));
    }
  return g_steal_pointer (&catalogue);
}

GHashTable *
_dft_print_catalogue_load (const char *language)
{
  const char      *dir = g_getenv ("DAFTARI_LOCALEDIR");
  g_autofree char *base = NULL;
  const char      *names[2];

  if (language == NULL || *language == '\0')
    return NULL;
  if (dir == NULL || *dir == '\0')
    dir = LOCALEDIR;
  /* "pt_BR" first, then "pt"; a language code never holds a path. */
  base = g_strndup (language, strcspn (language, "_-@."));
  names[0] = language;
  names[1] = base;
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char        *path = NULL;
      g_autoptr (GMappedFile) mapped = NULL;
      GHashTable             *catalogue;

      if (strchr (names[i], G_DIR_SEPARATOR) != NULL || names[i][0] == '.')
        continue;
      path = g_build_filename (dir, names[i], "LC_MESSAGES", GETTEXT_PACKAGE ".mo", NULL);
      mapped = g_mapped_file_new (path, FALSE, NULL);
      if (mapped == NULL)
        continue;
      catalogue = catalogue_parse (g_mapped_file_get_contents (mapped),
                                   g_mapped_file_get_length (mapped));
      if (catalogue != NULL)
        return catalogue;
      g_warning ("%s is not a catalogue of messages", path);
    }
  return NULL;
}

const char *
_dft_print_catalogue_get (GHashTable *catalogue, const char *msgid)
{
  const char *msgstr = catalogue != NULL ? g_hash_table_lookup (catalogue, msgid) : NULL;

  return msgstr != NULL ? msgstr : msgid;
}

GDateTime *
_dft_print_parse_date (const char *text)
{
  int year, month, day;

  if (text == NULL || sscanf (text, "%4d-%2d-%2d", &year, &month, &day) != 3)
    return NULL;
  return g_date_time_new_utc (year, month, day, 12, 0, 0);
}

/* ---- The workshop ------------------------------------------------------------------------ */

DftRecord *
_dft_print_load_event (DftStore *store, const char *event_id, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  DftRecord         *event = dft_store_load (store, &dft_entity_event, event_id, &local_error);

  if (event != NULL && !dft_record_get_deleted (event))
    return event;
  g_clear_object (&event);
  if (local_error != NULL
      && !g_error_matches (local_error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND,
               /* Translators: %s is the id a user gave */
               _ ("There is no workshop “%s”."), event_id);
  return NULL;
}

GPtrArray *
_dft_print_list_sessions (DftStore *store, const char *event_id, GError **error)
{
  const char *const filters[] = { "event_id", event_id, NULL, NULL };
  const char *const order[] = { "date", "part", NULL };

  return dft_store_list_records (store, &dft_entity_session, filters, order, 0, error);
}

GPtrArray *
_dft_print_list_people (DftStore *store, const char *event_id, const char *role, GError **error)
{
  const char *const      filters[] = { "event_id", event_id, "role", role, NULL, NULL };
  g_autoptr (GPtrArray)  people = dft_store_list_enrolled_people (store, event_id, error);
  g_autoptr (GPtrArray)  enrollments = NULL;
  g_autoptr (GHashTable) with_role = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray             *result;

  if (people == NULL)
    return NULL;
  /* Enrollments name who stands for the person now: a merged-away person's count for the
   * survivor, and the twin a merge leaves is hidden from lists. */
  enrollments = dft_store_list_records (store, &dft_entity_enrollment, filters, NULL, 0, error);
  if (enrollments == NULL)
    return NULL;
  for (guint i = 0; i < enrollments->len; i++)
    g_hash_table_add (with_role,
                      (gpointer) dft_record_get_string (enrollments->pdata[i], "person_id"));
  result = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < people->len; i++)
    if (g_hash_table_contains (with_role, dft_record_get_id (people->pdata[i])))
      g_ptr_array_add (result, g_object_ref (people->pdata[i]));
  return result;
}
