/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>
#include <unicode/udateintervalformat.h>
#include <unicode/ustring.h>

#include "dft-country.h"
#include "dft-print-private.h"

/*
 * Certificates of completion: a landscape page for each participant who attended (present or
 * late) at least the completion share of the workshop's sessions. A certificate speaks the
 * workshop's working language, whatever the interface's: gettext looks up the process's
 * language alone, so its few texts come from that language's catalogue, read directly
 * (_dft_print_catalogue_load()); dates and the country are that language's too (ICU).
 */

/* The texts of a certificate, translated with the workshop's catalogue rather than _(). */
/* Translators: the heading of a certificate, printed in the workshop's working language */
static const char title_text[] = N_ ("Certificate of completion");
/* Translators: on a certificate, above the participant's name */
static const char certify_text[] = N_ ("This is to certify that");
/* Translators: on a certificate, between the participant's name and the workshop's title */
static const char completed_text[] = N_ ("has completed the workshop");
/* Translators: on a certificate; %s is the trainers' names */
static const char trainers_text[] = N_ ("Trainers: %s");
/* Translators: on a certificate, under the line to sign */
static const char signature_text[] = N_ ("Signature");
/* Translators: between the parts of a place: venue, city, country */
static const char separator_text[] = N_ (", ");

static const char *const right_to_left[]
    = { "ar", "fa", "ur", "ps", "sd", "ug", "he", "yi", "dv", "ckb", NULL };

typedef struct
{
  DftPrintDoc     *doc;
  GHashTable      *catalogue;
  const char      *families; /* for the workshop's language */
  char            *dates;
  char            *place;
  char            *trainers;
  const char      *title;
  UTransliterator *translit;
  gboolean         measuring; /* line() measures, drawing nothing */
} Certificate;

static const char *
tr (Certificate *certificate, const char *msgid)
{
  return _dft_print_catalogue_get (certificate->catalogue, msgid);
}

static gint64
date_millis (const char *text)
{
  g_autoptr (GDateTime) date = _dft_print_parse_date (text);

  return date != NULL ? g_date_time_to_unix (date) * 1000 : -1;
}

/* "12–14 ноября 2026 г." in @language, by ICU; the dates as stored when ICU cannot. */
static char *
date_range (const char *language, const char *start, const char *end)
{
  UErrorCode           status = U_ZERO_ERROR;
  UDateIntervalFormat *format;
  UChar                text[256];
  int32_t              length;
  gint64               from = date_millis (start);
  gint64               to = date_millis (end);
  char                *result;

  if (from < 0)
    return g_strdup (start != NULL ? start : "");
  if (to < from)
    to = from;
  format = udtitvfmt_open (language, u"yMMMMd", -1, u"UTC", -1, &status);
  if (U_FAILURE (status))
    return g_strdup (start);
  length = udtitvfmt_format (format, (UDate) from, (UDate) to, text, G_N_ELEMENTS (text), NULL,
                             &status);
  udtitvfmt_close (format);
  if (U_FAILURE (status) || length >= (int32_t) G_N_ELEMENTS (text))
    return g_strdup (start);
  result = g_malloc ((gsize) length * 3 + 1);
  u_strToUTF8 (result, length * 3 + 1, NULL, text, length, &status);
  if (U_FAILURE (status))
    {
      g_free (result);
      return g_strdup (start);
    }
  return result;
}

static char *
place_line (Certificate *certificate, DftRecord *event, const char *language)
{
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  const char           *city = dft_record_get_string (event, "city");
  const char           *country = dft_record_get_string (event, "country");

  if (city != NULL && *city != '\0')
    g_ptr_array_add (parts, g_strdup (city));
  if (country != NULL && *country != '\0')
    {
      char *name = dft_country_name (country, language);

      g_ptr_array_add (parts, name != NULL ? name : g_strdup (country));
    }
  g_ptr_array_add (parts, NULL);
  return g_strjoinv (tr (certificate, separator_text), (char **) parts->pdata);
}

static char *
given_family (DftRecord *person)
{
  const char *family = dft_record_get_string (person, "family_name");
  const char *given = dft_record_get_string (person, "given_name");

  return g_strstrip (
      g_strdup_printf ("%s %s", given != NULL ? given : "", family != NULL ? family : ""));
}

static char *
font (Certificate *certificate, const char *style)
{
  return g_strdup_printf ("%s %s", certificate->families, style);
}

static double
line (Certificate *certificate, const char *text, const char *style, double y, int max_lines)
{
  DftPrintDoc            *doc = certificate->doc;
  g_autofree char        *description = font (certificate, style);
  double                  margin = 110;
  g_autoptr (PangoLayout) layout = _dft_print_layout (
      doc, text, description, doc->width - 2 * margin, max_lines, PANGO_ALIGN_CENTER);

  if (certificate->measuring)
    return _dft_print_layout_height (layout);
  return _dft_print_show (doc, layout, margin, y);
}

/* The certificate's text from @y down; returns where it ends. */
static double
draw_text (Certificate *certificate, const char *name, const char *latin, double y)
{
  cairo_t         *cr = certificate->doc->cr;
  g_autofree char *trainers = NULL;

  cairo_set_source_rgb (cr, 0.12, 0.23, 0.42);
  y += line (certificate, tr (certificate, title_text), "Bold 36", y, 2) + 26;
  cairo_set_source_rgb (cr, 0, 0, 0);
  y += line (certificate, tr (certificate, certify_text), "15", y, 2) + 12;
  y += line (certificate, name, "Bold 30", y, 2);
  if (latin != NULL)
    {
      cairo_set_source_rgb (cr, 0.3, 0.3, 0.3);
      y += line (certificate, latin, "Italic 17", y, 2);
      cairo_set_source_rgb (cr, 0, 0, 0);
    }
  y += 14;
  y += line (certificate, tr (certificate, completed_text), "15", y, 2) + 8;
  y += line (certificate, certificate->title, "Bold 22", y, 2) + 10;
  y += line (certificate, certificate->dates, "14", y, 1);
  if (*certificate->place != '\0')
    y += line (certificate, certificate->place, "14", y, 1);
  if (certificate->trainers != NULL)
    {
      /* The translation's "%s" replaced by hand: a format read from a file is never given to
       * printf. */
      const char *format = tr (certificate, trainers_text);
      const char *at = strstr (format, "%s");

      if (at == NULL)
        at = strstr (format = trainers_text, "%s");
      trainers = g_strdup_printf ("%.*s%s%s", (int) (at - format), format, certificate->trainers,
                                  at + 2);
      y += 16 + line (certificate, trainers, "13", y + 16, 2);
    }
  return y;
}

static gboolean
draw_certificate (Certificate *certificate, DftRecord *person, GError **error)
{
  DftPrintDoc     *doc = certificate->doc;
  cairo_t         *cr = doc->cr;
  g_autofree char *name = given_family (person);
  g_autofree char *latin = _dft_print_to_latin (certificate->translit, name);
  double           top = 60, bottom = doc->height - 110;
  double           y;

  cairo_set_source_rgb (cr, 0.12, 0.23, 0.42);
  cairo_set_line_width (cr, 3);
  cairo_rectangle (cr, 24, 24, doc->width - 48, doc->height - 48);
  cairo_stroke (cr);
  cairo_set_line_width (cr, 0.8);
  cairo_rectangle (cr, 32, 32, doc->width - 64, doc->height - 64);
  cairo_stroke (cr);

  /* The text in the middle of the room above the line to sign. */
  certificate->measuring = TRUE;
  y = draw_text (certificate, name, latin, 0);
  certificate->measuring = FALSE;
  draw_text (certificate, name, latin, top + MAX (0, (bottom - top - y) / 2));

  /* A line to sign, at the foot of the page. */
  y = doc->height - 96;
  cairo_set_line_width (cr, 0.6);
  cairo_move_to (cr, doc->width / 2 - 120, y);
  cairo_line_to (cr, doc->width / 2 + 120, y);
  cairo_stroke (cr);
  line (certificate, tr (certificate, signature_text), "11", y + 4, 1);
  return _dft_print_doc_show_page (doc, error);
}

/* The participants who attended (present or late) at least @share of the @n_sessions. */
static GPtrArray *
list_completed (DftStore   *store,
                const char *event_id,
                GPtrArray  *participants,
                guint       n_sessions,
                double      share,
                GError    **error)
{
  g_autoptr (GPtrArray)  marks = dft_store_list_event_attendance (store, event_id, error);
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) attended = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray             *completed;

  if (marks == NULL)
    return NULL;
  for (guint i = 0; i < marks->len; i++)
    {
      DftRecord  *mark = marks->pdata[i];
      const char *status = dft_record_get_string (mark, "status");
      const char *person = dft_record_get_string (mark, "person_id");
      char       *key;

      if (g_strcmp0 (status, "present") != 0 && g_strcmp0 (status, "late") != 0)
        continue;
      /* One mark per person and session counts, whatever a merge left behind. */
      key = g_strconcat (dft_record_get_string (mark, "session_id"), "\n", person, NULL);
      if (!g_hash_table_add (seen, key))
        continue;
      g_hash_table_insert (
          attended, (gpointer) person,
          GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (attended, person)) + 1));
    }
  completed = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < participants->len && n_sessions > 0; i++)
    {
      guint n = GPOINTER_TO_UINT (
          g_hash_table_lookup (attended, dft_record_get_id (participants->pdata[i])));

      /* A hair of slack: 0.8 × 10 sessions is 8, not 8.000000000000002. */
      if ((double) n >= share * n_sessions - 1e-9)
        g_ptr_array_add (completed, g_object_ref (participants->pdata[i]));
    }
  return completed;
}

static char *
trainers_line (DftStore *store, DftRecord *event, GError **error)
{
  const char           *trainers = dft_record_get_string (event, "trainers");
  g_autoptr (GPtrArray) people = NULL;
  g_autoptr (GPtrArray) names = NULL;

  if (trainers != NULL && *trainers != '\0')
    return g_strdup (trainers);
  /* Else the people enrolled as trainers. */
  people = _dft_print_list_people (store, dft_record_get_id (event), "trainer", error);
  if (people == NULL || people->len == 0)
    return NULL;
  names = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < people->len; i++)
    g_ptr_array_add (names, given_family (people->pdata[i]));
  g_ptr_array_add (names, NULL);
  return g_strjoinv (", ", (char **) names->pdata);
}

gboolean
dft_certificates_write_pdf (DftStore     *store,
                            const char   *event_id,
                            double        completion_share,
                            DftPaper      paper,
                            const char   *path,
                            guint        *n_certificates,
                            GCancellable *cancellable,
                            GError      **error)
{
  g_autoptr (DftRecord)   event = NULL;
  g_autoptr (GPtrArray)   sessions = NULL;
  g_autoptr (GPtrArray)   participants = NULL;
  g_autoptr (GPtrArray)   completed = NULL;
  g_autoptr (DftPrintDoc) doc = NULL;
  g_autoptr (GError)      local_error = NULL;
  g_autofree char        *language = NULL;
  Certificate             certificate = { 0 };
  double                  width, height;
  gboolean                ok = TRUE;

  g_return_val_if_fail (DFT_IS_STORE (store), FALSE);
  g_return_val_if_fail (event_id != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (completion_share > 0 && completion_share <= 1, FALSE);

  if (n_certificates != NULL)
    *n_certificates = 0;
  if ((event = _dft_print_load_event (store, event_id, error)) == NULL
      || (sessions = _dft_print_list_sessions (store, event_id, error)) == NULL
      || (participants = _dft_print_list_people (store, event_id, "participant", error)) == NULL
      || (completed
          = list_completed (store, event_id, participants, sessions->len, completion_share, error))
             == NULL)
    return FALSE;
  if (completed->len == 0)
    {
      g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND,
                   /* Translators: %.0f is a percentage, %% the percent sign */
                   _ ("Nobody has completed this workshop: no participant attended %.0f%% of "
                      "its sessions."),
                   completion_share * 100);
      return FALSE;
    }

  language = g_strdup (dft_record_get_string (event, "language"));
  if (language == NULL || *language == '\0')
    {
      g_free (language);
      language = g_strdup ("en");
    }
  certificate.trainers = trainers_line (store, event, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  _dft_print_paper_size (paper, TRUE, &width, &height);
  doc = _dft_print_doc_new (path, width, height, cancellable, error);
  if (doc == NULL)
    {
      g_free (certificate.trainers);
      return FALSE;
    }
  pango_context_set_language (doc->context, pango_language_from_string (language));
  if (g_strv_contains (right_to_left, language) || g_str_has_prefix (language, "ur"))
    pango_context_set_base_dir (doc->context, PANGO_DIRECTION_RTL);
  certificate.doc = doc;
  certificate.catalogue = _dft_print_catalogue_load (language);
  /* Urdu is written in Nastaliq; the other languages take the common families. */
  certificate.families
      = g_str_has_prefix (language, "ur")
            ? "Noto Sans, Noto Nastaliq Urdu, Noto Naskh Arabic, Noto Sans Georgian"
            : DFT_PRINT_FAMILIES;
  certificate.title = dft_record_get_string (event, "title");
  certificate.dates = date_range (language, dft_record_get_string (event, "start_date"),
                                  dft_record_get_string (event, "end_date"));
  certificate.place = place_line (&certificate, event, language);
  certificate.translit = _dft_print_transliterator_new ();

  for (guint i = 0; i < completed->len && ok; i++)
    ok = draw_certificate (&certificate, completed->pdata[i], error);

  g_clear_pointer (&certificate.catalogue, g_hash_table_unref);
  g_clear_pointer (&certificate.translit, utrans_close);
  g_free (certificate.dates);
  g_free (certificate.place);
  g_free (certificate.trainers);
  if (!ok || !_dft_print_doc_finish (doc, error))
    return FALSE;
  if (n_certificates != NULL)
    *n_certificates = completed->len;
  return TRUE;
}
