/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <stdlib.h>

#include "dft-cli-private.h"
#include "dft-print.h"

/*
 * Printable documents from the command line: the sign-in sheet of a workshop or one of its
 * sessions, and the certificates of completion (dft-print.h).
 */

static gboolean
parse_paper (const char *name, DftPaper *paper, GError **error)
{
  if (name == NULL)
    {
      *paper = DFT_PAPER_A4;
      return TRUE;
    }
  if (dft_paper_from_string (name, paper))
    return TRUE;
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               /* Translators: %s is what was typed after --paper; keep a4 and letter as they are */
               _ ("“%s” is not a paper size: say a4 or letter."), name);
  return FALSE;
}

int
_dft_cli_sign_in_sheet (DftStore *store, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError)         error = NULL;
  g_autofree char           *event_id = NULL, *session_id = NULL, *paper_name = NULL;
  g_autofree char           *output = NULL;
  DftPaper                   paper;
  const GOptionEntry         entries[]
      = { { "event", 0, 0, G_OPTION_ARG_STRING, &event_id, N_ ("The workshop"), N_ ("ID") },
          { "session", 0, 0, G_OPTION_ARG_STRING, &session_id,
            N_ ("Only this session (default: every session)"), N_ ("ID") },
          { "paper", 0, 0, G_OPTION_ARG_STRING, &paper_name, N_ ("a4 (default) or letter"),
            N_ ("SIZE") },
          { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_ ("Write the PDF to this file"),
            N_ ("FILE") },
          { NULL } };
  int status;

  g_option_context_set_summary (context, _ ("Print a workshop’s sign-in sheet as PDF: a row per "
                                            "participant, a box per session to sign."));
  if (!_dft_cli_parse (context, entries, &argc, &argv, &status))
    return status;
  if (argc != 1 || event_id == NULL || output == NULL)
    return _dft_cli_usage (context, _ ("Say which workshop (--event) and where to write (-o)."));
  if (!parse_paper (paper_name, &paper, &error)
      || !dft_sign_in_sheet_write_pdf (store, event_id, session_id, paper, output, NULL, &error))
    return _dft_cli_fail (error);
  return 0;
}

int
_dft_cli_certificates (DftStore *store, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError)         error = NULL;
  g_autofree char           *event_id = NULL, *paper_name = NULL, *output = NULL;
  double                     percent = 80;
  DftPaper                   paper;
  guint                      n_certificates = 0;
  const GOptionEntry         entries[]
      = { { "event", 0, 0, G_OPTION_ARG_STRING, &event_id, N_ ("The workshop"), N_ ("ID") },
          { "completion", 0, 0, G_OPTION_ARG_DOUBLE, &percent,
            N_ ("Share of the sessions attended to complete (default: 80)"), N_ ("PERCENT") },
          { "paper", 0, 0, G_OPTION_ARG_STRING, &paper_name, N_ ("a4 (default) or letter"),
            N_ ("SIZE") },
          { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_ ("Write the PDF to this file"),
            N_ ("FILE") },
          { NULL } };
  int status;

  g_option_context_set_summary (
      context, _ ("Print a certificate of completion for each participant who attended enough "
                  "sessions, in the workshop’s working language."));
  if (!_dft_cli_parse (context, entries, &argc, &argv, &status))
    return status;
  if (argc != 1 || event_id == NULL || output == NULL)
    return _dft_cli_usage (context, _ ("Say which workshop (--event) and where to write (-o)."));
  if (!(percent > 0 && percent <= 100))
    return _dft_cli_usage (context, _ ("The completion share is a percentage above 0, up to 100."));
  if (!parse_paper (paper_name, &paper, &error)
      || !dft_certificates_write_pdf (store, event_id, percent / 100, paper, output,
                                      &n_certificates, NULL, &error))
    return _dft_cli_fail (error);
  g_print (
      /* Translators: %u is how many certificates, %s the PDF file */
      ngettext ("Wrote %u certificate to %s\n", "Wrote %u certificates to %s\n", n_certificates),
      n_certificates, output);
  return 0;
}
