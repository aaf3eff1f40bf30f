/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dft-cli-private.h"
#include "dft-format.h"
#include "dft-store.h"
#include "forms/dft-assessment.h"
#include "forms/dft-form-export.h"
#include "forms/dft-form-po.h"
#include "forms/dft-form-store.h"
#include "forms/dft-form-templates.h"
#include "forms/dft-submission-export.h"

static void
print_warnings (DftForm *form)
{
  for (guint i = 0; i < form->warnings->len; i++)
    {
      DftFormWarning *w = g_ptr_array_index (form->warnings, i);

      /* Translators: a warning about an imported form follows the colon */
      g_printerr (_ ("Note: %s\n"), w->message);
    }
}

static int
saved (DftStore *store, DftForm *form)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) version = dft_form_store_save (store, form, &error);

  if (version == NULL)
    return _dft_cli_fail (error);
  /* Translators: the first %s is a form key, %lld a version number, the last %s an id */
  g_print (_ ("Form “%s”, version %lld (%s)\n"), form->id,
           (long long) dft_record_get_int (version, "version"), dft_record_get_id (version));
  return 0;
}

/* The latest version of a form key, loaded and prepared; NULL after printing why not. */
static DftForm *
latest_form (DftStore *store, const char *key, DftRecord **record)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) version = dft_form_store_latest (store, key, &error);
  DftForm              *form;

  if (version == NULL)
    {
      if (error == NULL)
        g_set_error (&error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                     /* Translators: %s is a form key */
                     _ ("There is no form “%s”; “daftari-cli forms” lists them."), key);
      _dft_cli_fail (error);
      return NULL;
    }
  form = dft_form_store_load (store, dft_record_get_id (version), &error);
  if (form == NULL)
    {
      _dft_cli_fail (error);
      return NULL;
    }
  if (record != NULL)
    *record = g_steal_pointer (&version);
  return form;
}

int
_dft_cli_forms (DftStore *store, int argc, char **argv)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) forms = dft_store_list_records (
      store, &dft_entity_form, NULL, (const char *[]){ "form_key", "version", NULL }, 0, &error);

  if (forms == NULL)
    return _dft_cli_fail (error);
  for (guint i = 0; i < forms->len; i++)
    {
      DftRecord *f = g_ptr_array_index (forms, i);

      g_print ("%-24s %3lld  %-12s %-8s %s\n", dft_record_get_string (f, "form_key"),
               (long long) dft_record_get_int (f, "version"),
               dft_record_get_string (f, "kind") ? dft_record_get_string (f, "kind") : "",
               dft_record_get_string (f, "default_language")
                   ? dft_record_get_string (f, "default_language")
                   : "",
               dft_record_get_string (f, "title"));
    }
  return 0;
}

int
_dft_cli_form_import (DftStore *store, int argc, char **argv)
{
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = NULL;

  if (argc != 2)
    {
      g_printerr ("%s\n", _ ("Give the form file: .json, .xml, .xlsx, .xls, .csv or .md."));
      return DFT_CLI_EXIT_USAGE;
    }
  form = dft_form_new_from_file (argv[1], &error);
  if (form == NULL)
    return _dft_cli_fail (error);
  print_warnings (form);
  return saved (store, form);
}

int
_dft_cli_form_template (DftStore *store, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_ ("TEMPLATE"));
  g_autoptr (GError)         error = NULL;
  g_autoptr (DftForm)        form = NULL;
  g_autofree char           *key = NULL, *title = NULL;
  g_autofree char           *names = g_strjoinv (", ", (GStrv) dft_form_templates_list ());
  g_autofree char           *summary = NULL;
  const GOptionEntry         entries[]
      = { { "key", 0, 0, G_OPTION_ARG_STRING, &key, N_ ("Form key of the copy"), N_ ("KEY") },
          { "title", 0, 0, G_OPTION_ARG_STRING, &title, N_ ("Title of the copy"), N_ ("TEXT") },
          { NULL } };
  int status;

  /* Translators: %s lists the template names */
  summary = g_strdup_printf (_ ("Templates: %s."), names);
  g_option_context_set_summary (context, summary);
  if (!_dft_cli_parse (context, entries, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return _dft_cli_usage (context, _ ("Name the template to copy."));
  form = dft_form_template_load (argv[1], &error);
  if (form == NULL)
    return _dft_cli_fail (error);
  if (key != NULL)
    {
      g_free (form->id);
      form->id = g_strdup (key);
    }
  if (title != NULL)
    dft_text_set (form->title, form->default_language, title);
  return saved (store, form);
}

static int
write_text (const char *output, const char *text)
{
  g_autoptr (GError)        error = NULL;
  g_autoptr (GOutputStream) out = _dft_cli_open_output (output, &error);

  if (out == NULL || !g_output_stream_write_all (out, text, strlen (text), NULL, NULL, &error)
      || !g_output_stream_close (out, NULL, &error))
    return _dft_cli_fail (error);
  return 0;
}

int
_dft_cli_form_po_export (DftStore *store, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_ ("FORM-KEY [LANGUAGE]"));
  g_autoptr (DftForm)        form = NULL;
  g_autofree char           *output = NULL, *text = NULL;
  const GOptionEntry         entries[]
      = { { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
            N_ ("Write to this file (default: standard output)"), N_ ("FILE") },
          { NULL } };
  int status;

  g_option_context_set_summary (
      context, _ ("Without a language, the template (.pot) to start a new translation from."));
  if (!_dft_cli_parse (context, entries, &argc, &argv, &status))
    return status;
  if (argc != 2 && argc != 3)
    return _dft_cli_usage (context, _ ("Give the form key and, for a PO file, the language."));
  form = latest_form (store, argv[1], NULL);
  if (form == NULL)
    return DFT_CLI_EXIT_FAILED;
  text = argc == 3 ? dft_form_po_export (form, argv[2]) : dft_form_po_template (form);
  return write_text (output, text);
}

int
_dft_cli_form_po_import (DftStore *store, int argc, char **argv)
{
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = NULL;
  g_autofree char    *po = NULL;
  DftFormPoStats      stats = { 0 };

  if (argc != 4)
    {
      g_printerr ("%s\n", _ ("Give the form key, the language and the PO file."));
      return DFT_CLI_EXIT_USAGE;
    }
  form = latest_form (store, argv[1], NULL);
  if (form == NULL)
    return DFT_CLI_EXIT_FAILED;
  if (!g_file_get_contents (argv[3], &po, NULL, &error)
      || !dft_form_po_import (form, argv[2], po, &stats, &error))
    return _dft_cli_fail (error);
  {
    g_autofree char *percent
        = dft_format_decimal (100 * dft_form_language_completeness (form, argv[2]), 0);

    /* Translators: counts of translations read from a PO file; the last %s is a number
     * already written as your language writes numbers */
    g_print (_ ("%u translated, %u untranslated, %u fuzzy (not used), %u for texts that changed "
                "since (not used); %s %% of the form is in this language.\n"),
             stats.translated, stats.untranslated, stats.fuzzy, stats.stale, percent);
  }
  return saved (store, form);
}

int
_dft_cli_form_export (DftStore *store, int argc, char **argv)
{
  g_autoptr (GError)  error = NULL;
  g_autoptr (DftForm) form = NULL;
  g_autofree char    *text = NULL;

  if (argc != 3 || !(g_str_has_suffix (argv[2], ".xml") || g_str_has_suffix (argv[2], ".md")))
    {
      g_printerr ("%s\n", _ ("Give the form key and a file ending in .xml (XForm) or .md "
                             "(XLSForm)."));
      return DFT_CLI_EXIT_USAGE;
    }
  form = latest_form (store, argv[1], NULL);
  if (form == NULL)
    return DFT_CLI_EXIT_FAILED;
  text = g_str_has_suffix (argv[2], ".xml") ? dft_xform_export (form, &error)
                                            : dft_xlsform_export_md (form, &error);
  if (text == NULL)
    return _dft_cli_fail (error);
  return write_text (argv[2], text);
}

/* Says where the files of an export went, and which this computer does not hold yet. */
static void
print_media (const DftExportMedia *media, const char *media_dir)
{
  if (media->n_written > 0)
    {
      g_autofree char *display = g_filename_display_name (media_dir);

      /* Translators: %u is a number of files, %s the folder they were written to */
      g_print (ngettext ("%u file written to %s\n", "%u files written to %s\n", media->n_written),
               media->n_written, display);
    }
  if (media->missing->len > 0)
    {
      /* Translators: %u is a number of files that submissions name but that were not synced to
       * this computer yet; their names follow, one a line */
      g_printerr (ngettext ("Warning: %u file is not on this computer yet (not synced), not "
                            "written:\n",
                            "Warning: %u files are not on this computer yet (not synced), not "
                            "written:\n",
                            media->missing->len),
                  media->missing->len);
      for (guint i = 0; i < media->missing->len; i++)
        g_printerr ("  %s\n", (const char *) g_ptr_array_index (media->missing, i));
    }
}

int
_dft_cli_submissions_export (DftStore *store, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_ ("FORM-KEY"));
  g_autoptr (GError)         error = NULL;
  g_autoptr (GOutputStream)  out = NULL;
  g_autofree char           *event_id = NULL, *output = NULL, *format = NULL, *media_dir = NULL;
  g_auto (DftExportMedia)    media = { 0 };
  DftCliFormat               chosen;
  const GOptionEntry         entries[]
      = { { "event", 0, 0, G_OPTION_ARG_STRING, &event_id, N_ ("Only this workshop"), N_ ("ID") },
          { "format", 0, 0, G_OPTION_ARG_STRING, &format,
            N_ ("csv or xlsx (default: from the file's name, else csv)"), N_ ("FORMAT") },
          { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
            N_ ("Write to this file (default: standard output), and the files the answers name "
                "to a folder beside it: “evaluations.xlsx” to “evaluations-media”"),
            N_ ("FILE") },
          { NULL } };
  int status;

  if (!_dft_cli_parse (context, entries, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return _dft_cli_usage (context, _ ("Give the form key."));
  status = _dft_cli_table_format (context, format, output, DFT_CLI_FORMAT_CSV, FALSE, &chosen);
  if (status != 0)
    return status;
  if (output != NULL)
    media_dir = dft_submissions_export_media_dir (output);
  if (chosen == DFT_CLI_FORMAT_XLSX)
    {
      if (!dft_submissions_export_xlsx_with_media (store, argv[1], event_id, output, &media, NULL,
                                                   &error))
        return _dft_cli_fail (error);
      print_media (&media, media_dir);
      return 0;
    }
  out = _dft_cli_open_output (output, &error);
  if (out == NULL
      || !dft_submissions_export_csv_with_media (store, argv[1], event_id, out, media_dir, &media,
                                                 NULL, &error)
      || !g_output_stream_close (out, NULL, &error))
    return _dft_cli_fail (error);
  if (media_dir == NULL && media.n_files > 0)
    /* Translators: %u is a number of files; --output is an option, keep it as it is */
    g_printerr (ngettext ("The answers name %u file; give --output to write it beside the table.\n",
                          "The answers name %u files; give --output to write them beside the "
                          "table.\n",
                          media.n_files),
                media.n_files);
  else
    print_media (&media, media_dir);
  return 0;
}

static void
print_percent (double value, gboolean known)
{
  if (known && !isnan (value))
    {
      g_autofree char *text = dft_format_decimal (value, 1);

      g_print (" %7s", text);
    }
  else
    g_print ("       –");
}

int
_dft_cli_gain (DftStore *store, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_ ("FORM-KEY"));
  g_autoptr (GError)         error = NULL;
  g_autoptr (DftGainReport)  report = NULL;
  g_autoptr (GOutputStream)  out = NULL;
  g_autofree char           *event_id = NULL, *output = NULL, *format = NULL;
  DftCliFormat               chosen;
  const GOptionEntry         entries[]
      = { { "event", 0, 0, G_OPTION_ARG_STRING, &event_id, N_ ("The workshop"), N_ ("ID") },
          { "format", 0, 0, G_OPTION_ARG_STRING, &format,
            N_ ("text, csv or xlsx (default: from the file's name, else text)"), N_ ("FORMAT") },
          { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
            N_ ("Write a csv or xlsx table to this file (default: standard output)"), N_ ("FILE") },
          { NULL } };
  int status;

  if (!_dft_cli_parse (context, entries, &argc, &argv, &status))
    return status;
  if (argc != 2 || event_id == NULL)
    return _dft_cli_usage (context, _ ("Give the test's form key and the workshop."));
  status = _dft_cli_table_format (context, format, output, DFT_CLI_FORMAT_TEXT, TRUE, &chosen);
  if (status != 0)
    return status;
  if (chosen == DFT_CLI_FORMAT_XLSX)
    return dft_gain_export_xlsx (store, event_id, argv[1], output, NULL, &error)
               ? 0
               : _dft_cli_fail (error);
  if (chosen == DFT_CLI_FORMAT_CSV)
    {
      out = _dft_cli_open_output (output, &error);
      if (out == NULL || !dft_gain_export_csv (store, event_id, argv[1], out, NULL, &error)
          || !g_output_stream_close (out, NULL, &error))
        return _dft_cli_fail (error);
      return 0;
    }
  report = dft_assessment_gain (store, event_id, argv[1], &error);
  if (report == NULL)
    return _dft_cli_fail (error);
  /* Translators: column headings; keep the widths */
  g_print ("%-38s %7s %7s %7s %7s\n", _ ("Person"), _ ("Pre %"), _ ("Post %"), _ ("Gain"),
           _ ("Norm."));
  for (guint i = 0; i < report->rows->len; i++)
    {
      DftGainRow *row = g_ptr_array_index (report->rows, i);

      g_print ("%-38s", row->person_id);
      print_percent (row->pre, row->has_pre);
      print_percent (row->post, row->has_post);
      print_percent (row->gain, row->has_pre && row->has_post);
      print_percent (row->normalized, row->has_pre && row->has_post);
      g_print ("\n");
    }
  /* Translators: %u are numbers of people */
  g_print (_ ("\n%u took the pre-test, %u the post-test, %u both.\n"), report->n_pre,
           report->n_post, report->n_pairs);
  if (report->n_pairs > 0)
    {
      g_autofree char *pre = dft_format_decimal (report->mean_pre, 1);
      g_autofree char *post = dft_format_decimal (report->mean_post, 1);
      g_autofree char *gain = dft_format_decimal (report->mean_gain, 1);
      g_autofree char *normalized = dft_format_decimal (report->normalized_gain, 2);

      /* Translators: average scores in percent, then the normalized gain, each already
       * written as your language writes numbers */
      g_print (_ ("Average: pre %s %%, post %s %%, gain %s points; normalized gain %s.\n"), pre,
               post, gain, normalized);
    }
  return 0;
}
