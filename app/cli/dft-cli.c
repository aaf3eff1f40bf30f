/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gunixoutputstream.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dft-attendance.h"
#include "dft-bundle.h"
#include "dft-cli-private.h"
#include "dft-cli.h"
#include "dft-hlc.h"
#include "dft-sync-client.h"
#include "dft-token-store.h"
#include "dft-dataset.h"
#include "dft-export.h"
#include "dft-import.h"
#include "dft-people.h"
#include "dft-record-list.h"
#include "dft-store.h"

#define EXIT_FAILED 1
#define EXIT_USAGE  2

typedef struct
{
  const char *name;
  const char *summary; /* marked with N_() */
  int (*run) (DftStore *store, int argc, char **argv);
  gboolean has_options;
} Command;

static char *db_path = NULL;

static int
fail (const GError *error)
{
  g_printerr ("%s\n", error->message);
  return EXIT_FAILED;
}

static int
usage (GOptionContext *context, const char *message)
{
  g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

  if (message != NULL)
    g_printerr ("%s\n\n", message);
  g_printerr ("%s", help);
  return EXIT_USAGE;
}

/* Parses a subcommand's options; leaves the positional arguments in argv. */
static gboolean
parse (GOptionContext *context, const GOptionEntry *entries, int *argc, char ***argv, int *status)
{
  g_autoptr (GError) error = NULL;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      *status = usage (context, error->message);
      return FALSE;
    }
  return TRUE;
}

static void
print_record_line (DftRecord *record)
{
  const DftEntity *entity = dft_record_get_entity (record);

  if (entity == &dft_entity_event)
    g_print (
        "%s  %s – %s  %-6s %-3s %s\n", dft_record_get_id (record),
        dft_record_get_string (record, "start_date"), dft_record_get_string (record, "end_date"),
        dft_record_get_string (record, "track") ?: "",
        dft_record_get_string (record, "country") ?: "", dft_record_get_string (record, "title"));
  else if (entity == &dft_entity_person)
    g_print ("%s  %s %s  %s  %s\n", dft_record_get_id (record),
             dft_record_get_string (record, "given_name"),
             dft_record_get_string (record, "family_name") ?: "",
             dft_record_get_string (record, "gender") ?: "-",
             dft_record_get_string (record, "agency") ?: "");
  else if (entity == &dft_entity_session)
    g_print ("%s  %s %s  %s–%s\n", dft_record_get_id (record),
             dft_record_get_string (record, "date"), dft_record_get_string (record, "part"),
             dft_record_get_string (record, "start_time") ?: "",
             dft_record_get_string (record, "end_time") ?: "");
  else if (entity == &dft_entity_enrollment)
    g_print ("%s  %s  %s\n", dft_record_get_id (record),
             dft_record_get_string (record, "person_id"), dft_record_get_string (record, "role"));
  else
    g_print ("%s\n", dft_record_get_id (record));
}

static int
print_list (GListModel *list)
{
  g_autoptr (GError) error = NULL;
  guint              n;

  if (!dft_record_list_reload_sync (DFT_RECORD_LIST (list), &error))
    return fail (error);
  n = g_list_model_get_n_items (list);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (DftRecord) record = g_list_model_get_item (list, i);
      print_record_line (record);
    }
  return 0;
}

static int
cmd_init (DftStore *store, int argc, char **argv)
{
  /* Translators: %s is a file name */
  g_print (_ ("Database: %s\n"), dft_store_get_path (store));
  /* Translators: %s is a device id */
  g_print (_ ("Device: %s\n"), dft_store_get_device_id (store));
  return 0;
}

/* Where the device's token is kept, when it is signed in: the keyring, or the database and why. */
static void
print_token_place (DftStore *store)
{
  g_autofree char *message = NULL;

  dft_token_store_get_place (store, &message, NULL);
  if (message != NULL)
    g_print ("%s\n", message);
}

static int
cmd_info (DftStore *store, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  gint64             pending = dft_store_count_pending_changes (store, &error);
  gint64             conflicts = pending < 0 ? -1 : dft_store_count_open_conflicts (store, &error);

  if (pending < 0 || conflicts < 0)
    return fail (error);
  cmd_init (store, argc, argv);
  /* Translators: %d is a number */
  g_print (_ ("Data format: %d\n"), dft_store_get_schema_version (store));
  /* Translators: %lld is a number of records (G_GINT64_FORMAT hides the string from xgettext) */
  g_print (_ ("Workshops: %lld\n"),
           (long long) dft_store_count_records (store, &dft_entity_event, NULL));
  /* Translators: %lld is a number of people */
  g_print (_ ("People: %lld\n"),
           (long long) dft_store_count_records (store, &dft_entity_person, NULL));
  /* Translators: %lld is a number of attendance marks */
  g_print (_ ("Attendance marks: %lld\n"),
           (long long) dft_store_count_records (store, &dft_entity_attendance, NULL));
  /* Translators: %lld is a number of form submissions */
  g_print (_ ("Submissions: %lld\n"),
           (long long) dft_store_count_records (store, &dft_entity_submission, NULL));
  /* Translators: %lld is a number of changes */
  g_print (_ ("Changes not yet synced: %lld\n"), (long long) pending);
  /* Translators: %lld is a number of conflicts between two devices' edits that a coordinator
   * has not decided yet */
  g_print (_ ("Conflicts to decide: %lld\n"), (long long) conflicts);
  print_token_place (store);
  return 0;
}

static int
cmd_check (DftStore *store, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;

  if (!dft_store_check (store, NULL, &error))
    return fail (error);
  g_print (_ ("The database is intact.\n"));
  return 0;
}

static int
save_and_print (DftStore *store, DftRecord *record)
{
  g_autoptr (GError) error = NULL;

  if (!dft_store_save (store, record, &error))
    return fail (error);
  g_print ("%s\n", dft_record_get_id (record));
  return 0;
}

static int
cmd_event_add (DftStore *store, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (DftRecord)      event = dft_record_new_for_entity (&dft_entity_event);
  g_autofree char   *title = NULL, *track = NULL, *country = NULL, *city = NULL, *venue = NULL;
  g_autofree char   *start = NULL, *end = NULL, *language = NULL, *trainers = NULL;
  g_autofree char   *partner = NULL, *notes = NULL;
  const GOptionEntry entries[]
      = { { "title", 0, 0, G_OPTION_ARG_STRING, &title, N_ ("Title of the workshop"), N_ ("TEXT") },
          { "start", 0, 0, G_OPTION_ARG_STRING, &start, N_ ("First day"), N_ ("YYYY-MM-DD") },
          { "end", 0, 0, G_OPTION_ARG_STRING, &end, N_ ("Last day (default: the first day)"),
            N_ ("YYYY-MM-DD") },
          { "track", 0, 0, G_OPTION_ARG_STRING, &track,
            N_ ("Programme track, e.g. NAPOR, TAF, COPI"), N_ ("TEXT") },
          { "country", 0, 0, G_OPTION_ARG_STRING, &country, N_ ("Country code, e.g. KG"),
            N_ ("CODE") },
          { "city", 0, 0, G_OPTION_ARG_STRING, &city, N_ ("City"), N_ ("TEXT") },
          { "venue", 0, 0, G_OPTION_ARG_STRING, &venue, N_ ("Venue"), N_ ("TEXT") },
          { "language", 0, 0, G_OPTION_ARG_STRING, &language, N_ ("Working language, e.g. ru"),
            N_ ("CODE") },
          { "trainers", 0, 0, G_OPTION_ARG_STRING, &trainers, N_ ("Trainers"), N_ ("TEXT") },
          { "partner", 0, 0, G_OPTION_ARG_STRING, &partner, N_ ("Partner agency"), N_ ("TEXT") },
          { "notes", 0, 0, G_OPTION_ARG_STRING, &notes, N_ ("Notes"), N_ ("TEXT") },
          { NULL } };
  int status;

  g_option_context_set_summary (context, _ ("Create a workshop and its sessions."));
  if (!parse (context, entries, &argc, &argv, &status))
    return status;
  if (title == NULL || start == NULL)
    return usage (context, _ ("A workshop needs --title and --start."));

  g_object_set (event, "title", title, "start-date", start, "end-date", end != NULL ? end : start,
                "track", track, "country", country, "city", city, "venue", venue, "language",
                language, "trainers", trainers, "partner-agency", partner, "notes", notes, NULL);
  return save_and_print (store, event);
}

static int
cmd_person_add (DftStore *store, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (DftRecord)      person = dft_record_new_for_entity (&dft_entity_person);
  g_autoptr (GError)         error = NULL;
  g_autofree char   *given = NULL, *family = NULL, *gender = NULL, *agency = NULL, *position = NULL;
  g_autofree char   *country = NULL, *email = NULL, *phone = NULL, *consent_date = NULL;
  g_autofree char   *event_id = NULL, *role = NULL;
  gboolean           consent = FALSE;
  const GOptionEntry entries[] = {
    { "given", 0, 0, G_OPTION_ARG_STRING, &given, N_ ("Given name, in any script"), N_ ("TEXT") },
    { "family", 0, 0, G_OPTION_ARG_STRING, &family, N_ ("Family name"), N_ ("TEXT") },
    { "gender", 0, 0, G_OPTION_ARG_STRING, &gender, N_ ("female, male, other or undisclosed"),
      N_ ("WORD") },
    { "agency", 0, 0, G_OPTION_ARG_STRING, &agency, N_ ("Agency"), N_ ("TEXT") },
    { "position", 0, 0, G_OPTION_ARG_STRING, &position, N_ ("Position or rank"), N_ ("TEXT") },
    { "country", 0, 0, G_OPTION_ARG_STRING, &country, N_ ("Country code"), N_ ("CODE") },
    { "email", 0, 0, G_OPTION_ARG_STRING, &email, N_ ("Email"), N_ ("ADDRESS") },
    { "phone", 0, 0, G_OPTION_ARG_STRING, &phone, N_ ("Phone"), N_ ("NUMBER") },
    { "consent", 0, 0, G_OPTION_ARG_NONE, &consent, N_ ("The person gave consent"), NULL },
    { "consent-date", 0, 0, G_OPTION_ARG_STRING, &consent_date, N_ ("Date of consent"),
      N_ ("YYYY-MM-DD") },
    { "event", 0, 0, G_OPTION_ARG_STRING, &event_id, N_ ("Enrol in this workshop"), N_ ("ID") },
    { "role", 0, 0, G_OPTION_ARG_STRING, &role, N_ ("participant, trainer or observer"),
      N_ ("WORD") },
    { NULL }
  };
  int status;

  g_option_context_set_summary (context, _ ("Register a person, and enrol them in a workshop."));
  if (!parse (context, entries, &argc, &argv, &status))
    return status;
  if (given == NULL)
    return usage (context, _ ("A person needs at least --given."));

  g_object_set (person, "given-name", given, "family-name", family, "gender", gender, "agency",
                agency, "position", position, "country", country, "email", email, "phone", phone,
                "consent", consent, "consent-date", consent_date, NULL);
  /* With a workshop, one transaction: never a person half-registered without it. */
  if (!dft_people_register (store, person, event_id, role, &error))
    return fail (error);
  g_print ("%s\n", dft_record_get_id (person));
  return 0;
}

static int
cmd_list (DftStore *store, int argc, char **argv)
{
  g_autoptr (GOptionContext) context
      = g_option_context_new (_ ("events|people|sessions|enrollments"));
  g_autoptr (GListModel) list = NULL;
  g_autofree char       *event_id = NULL, *search = NULL;
  const GOptionEntry     entries[]
      = { { "event", 0, 0, G_OPTION_ARG_STRING, &event_id, N_ ("Only this workshop's"), N_ ("ID") },
          { "search", 0, 0, G_OPTION_ARG_STRING, &search,
            N_ ("People whose name matches, in any script"), N_ ("TEXT") },
          { NULL } };
  int status;

  g_option_context_set_summary (context, _ ("List records."));
  if (!parse (context, entries, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return usage (context, _ ("Say what to list."));

  if (g_str_equal (argv[1], "events"))
    list = dft_store_list_events (store);
  else if (g_str_equal (argv[1], "people"))
    list = dft_store_list_people (store, event_id);
  else if (g_str_equal (argv[1], "sessions") && event_id != NULL)
    list = dft_store_list_sessions (store, event_id);
  else if (g_str_equal (argv[1], "enrollments") && event_id != NULL)
    list = dft_store_list_enrollments (store, event_id);
  else
    return usage (context,
                  _ ("Lists are events, people, and with --event, sessions and enrollments."));

  if (search != NULL)
    dft_record_list_set_search (DFT_RECORD_LIST (list), search);
  return print_list (list);
}

static int
cmd_search (DftStore *store, int argc, char **argv)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) found = NULL;
  g_autofree char      *query = NULL;

  if (argc < 2)
    {
      g_printerr (_ ("Usage: daftari-cli search NAME\n"));
      return EXIT_USAGE;
    }
  query = g_strjoinv (" ", argv + 1);
  found = dft_store_find_people (store, query, 200, &error);
  if (found == NULL)
    return fail (error);
  for (guint i = 0; i < found->len; i++)
    print_record_line (g_ptr_array_index (found, i));
  if (found->len == 0)
    g_printerr (_ ("Nobody found.\n"));
  return 0;
}

static int
cmd_attend (DftStore *store, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError)         error = NULL;
  g_autoptr (DftRecord)      mark = NULL;
  g_autofree char           *session = NULL, *person = NULL, *status_word = NULL, *note = NULL;
  const GOptionEntry         entries[]
      = { { "session", 0, 0, G_OPTION_ARG_STRING, &session, N_ ("Session"), N_ ("ID") },
          { "person", 0, 0, G_OPTION_ARG_STRING, &person, N_ ("Person"), N_ ("ID") },
          { "status", 0, 0, G_OPTION_ARG_STRING, &status_word,
            N_ ("present, late, absent or excused"), N_ ("WORD") },
          { "note", 0, 0, G_OPTION_ARG_STRING, &note, N_ ("Note"), N_ ("TEXT") },
          { NULL } };
  int status;

  g_option_context_set_summary (context, _ ("Mark a person's attendance in a session."));
  if (!parse (context, entries, &argc, &argv, &status))
    return status;
  if (session == NULL || person == NULL || status_word == NULL)
    return usage (context, _ ("Give --session, --person and --status."));

  mark = dft_attendance_mark (store, session, person, status_word, note, &error);
  if (mark == NULL)
    return fail (error);
  g_print ("%s\n", dft_record_get_id (mark));
  return 0;
}

static int
cmd_import (DftStore *store, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_ ("FILE"));
  g_autoptr (GError)         error = NULL;
  g_autoptr (DftImport)      import = NULL;
  g_autoptr (GPtrArray)      row_errors = NULL;
  g_autofree char           *event_id = NULL;
  g_auto (GStrv)             maps = NULL;
  gboolean                   dry_run = FALSE;
  guint                      created = 0, reused = 0;
  const GOptionEntry         entries[]
      = { { "event", 0, 0, G_OPTION_ARG_STRING, &event_id, N_ ("Enrol everyone in this workshop"),
            N_ ("ID") },
          { "map", 0, 0, G_OPTION_ARG_STRING_ARRAY, &maps,
            N_ ("Read a column as a field (field “-” ignores the column); repeatable"),
            N_ ("COLUMN=FIELD") },
          { "dry-run", 0, 0, G_OPTION_ARG_NONE, &dry_run, N_ ("Show the column mapping and stop"),
            NULL },
          { NULL } };
  int status;

  g_option_context_set_summary (context,
                                _ ("Import people from a CSV or XLSX sign-up sheet. "
                                   "Every row is checked first: either all are saved or none."));
  if (!parse (context, entries, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return usage (context, _ ("Give one file to import."));

  import = dft_import_new_from_file (argv[1], &error);
  if (import == NULL)
    return fail (error);

  for (guint m = 0; maps != NULL && maps[m] != NULL; m++)
    {
      const char      *eq = strrchr (maps[m], '=');
      g_autofree char *column = eq != NULL ? g_strndup (maps[m], (gsize) (eq - maps[m])) : NULL;
      gboolean         found = FALSE;

      if (column == NULL)
        return usage (context, _ ("--map takes COLUMN=FIELD."));
      for (guint c = 0; c < dft_import_get_n_columns (import); c++)
        {
          const char      *header = dft_import_get_header (import, c);
          g_autofree char *number = g_strdup_printf ("%u", c + 1);

          if (g_strcmp0 (header, column) != 0 && g_strcmp0 (number, column) != 0)
            continue;
          found = TRUE;
          if (!dft_import_set_mapping (import, c, g_str_equal (eq + 1, "-") ? NULL : eq + 1,
                                       &error))
            return fail (error);
        }
      if (!found)
        {
          /* Translators: %s is a column name the user gave */
          g_printerr (_ ("The sheet has no column “%s”.\n"), column);
          return EXIT_USAGE;
        }
    }

  for (guint c = 0; c < dft_import_get_n_columns (import); c++)
    {
      const char *field = dft_import_get_mapping (import, c);
      /* Translators: a column of the sheet and the field it is read as */
      g_print (_ ("%u. %s → %s\n"), c + 1, dft_import_get_header (import, c),
               field != NULL ? field : _ ("(ignored)"));
    }
  if (dry_run)
    {
      g_print (
          /* Translators: %u is a number of rows of the sheet */
          ngettext ("%u row to import.\n", "%u rows to import.\n", dft_import_get_n_rows (import)),
          dft_import_get_n_rows (import));
      return 0;
    }

  if (!dft_import_run (import, store, event_id, &created, &reused, &row_errors, &error))
    {
      for (guint i = 0; row_errors != NULL && i < row_errors->len; i++)
        g_printerr ("%s\n", (const char *) g_ptr_array_index (row_errors, i));
      return fail (error);
    }
  /* Translators: %u is a number of people added to the register; the next message follows on the
   * same line */
  g_print (ngettext ("Imported %u new person", "Imported %u new people", created), created);
  /* Translators: %u is a number of people of the sheet who were already in the register; follows
   * “Imported %u new people” */
  g_print (ngettext ("; %u was already registered.\n", "; %u were already registered.\n", reused),
           reused);
  return 0;
}

static int
cmd_export (DftStore *store, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_ ("events|people|attendance"));
  g_autoptr (GError)         error = NULL;
  g_autoptr (GOutputStream)  out = NULL;
  g_autofree char           *event_id = NULL, *output = NULL, *format = NULL;
  DftExportKind              kind;
  DftCliFormat               chosen;
  const GOptionEntry         entries[]
      = { { "event", 0, 0, G_OPTION_ARG_STRING, &event_id, N_ ("Only this workshop"), N_ ("ID") },
          { "format", 0, 0, G_OPTION_ARG_STRING, &format,
            N_ ("csv or xlsx (default: from the file's name, else csv)"), N_ ("FORMAT") },
          { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
            N_ ("Write to this file (default: standard output)"), N_ ("FILE") },
          { NULL } };
  int status;

  g_option_context_set_summary (context, _ ("Export to CSV or to an XLSX workbook."));
  if (!parse (context, entries, &argc, &argv, &status))
    return status;
  if (argc != 2 || !dft_export_kind_from_string (argv[1], &kind))
    return usage (context, _ ("Say what to export: events, people or attendance."));
  status = _dft_cli_table_format (context, format, output, DFT_CLI_FORMAT_CSV, FALSE, &chosen);
  if (status != 0)
    return status;

  if (chosen == DFT_CLI_FORMAT_XLSX)
    return dft_export_xlsx (store, kind, event_id, output, NULL, &error) ? 0 : fail (error);
  /* Written beside the target and renamed over it when complete: a failed
   * export never leaves half a file where a good one was. */
  out = _dft_cli_open_output (output, &error);
  if (out == NULL || !dft_export_csv (store, kind, event_id, out, NULL, &error)
      || !g_output_stream_close (out, NULL, &error))
    return fail (error);
  return 0;
}

static void
progress_cb (double fraction, gpointer user_data)
{
  if (isatty (2))
    g_printerr ("\r%3d %%", (int) (fraction * 100));
}

static int
load_dataset (DftStore *store, const char *path)
{
  g_autoptr (GError) error = NULL;
  DftDatasetStats    stats = { 0 };
  gint64             start = g_get_monotonic_time ();

  if (!dft_dataset_load (store, path, &stats, progress_cb, NULL, NULL, &error))
    return fail (error);
  if (isatty (2))
    g_printerr ("\r");
  /* Translators: counts of what a data set held, then the time it took in seconds */
  g_print (_ ("Loaded %u workshops, %u people, %u attendance marks, %u forms and %u submissions "
              "in %.1f s.\n"),
           stats.events, stats.people, stats.attendance, stats.forms, stats.submissions,
           (g_get_monotonic_time () - start) / 1e6);
  return 0;
}

static int
cmd_load_dataset (DftStore *store, int argc, char **argv)
{
  if (argc != 2)
    {
      g_printerr (_ ("Usage: daftari-cli load-dataset FILE.json\n"));
      return EXIT_USAGE;
    }
  return load_dataset (store, argv[1]);
}

static char *
find_sample (void)
{
  const char *env = g_getenv ("DAFTARI_SAMPLE");
  const char *candidates[] = { SOURCE_SAMPLE, INSTALLED_SAMPLE };

  if (env != NULL)
    return g_strdup (env);
  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    if (g_file_test (candidates[i], G_FILE_TEST_IS_REGULAR))
      return g_strdup (candidates[i]);
  return NULL;
}

static int
cmd_sample (DftStore *store, int argc, char **argv)
{
  g_autofree char *path = find_sample ();

  if (path == NULL)
    {
      g_printerr (_ ("The sample workshops are not installed.\n"));
      return EXIT_FAILED;
    }
  return load_dataset (store, path);
}

/* ---- Sync with a server ---------------------------------------------- */

typedef struct
{
  gboolean     done;
  gboolean     ok;
  GError      *error;
  DftSyncStats stats;
} SyncWait;

static void
sign_in_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SyncWait *wait = user_data;

  if (g_task_get_source_tag (G_TASK (result)) == dft_sync_client_login_async)
    wait->ok = dft_sync_client_login_finish (DFT_SYNC_CLIENT (source), result, &wait->error);
  else
    wait->ok = dft_sync_client_enrol_finish (DFT_SYNC_CLIENT (source), result, &wait->error);
  wait->done = TRUE;
}

static void
sync_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SyncWait *wait = user_data;

  wait->ok
      = dft_sync_client_sync_finish (DFT_SYNC_CLIENT (source), result, &wait->stats, &wait->error);
  wait->done = TRUE;
}

static int
sync_wait (DftSyncClient *client, SyncWait *wait)
{
  while (!wait->done)
    g_main_context_iteration (NULL, TRUE);
  /* Let the client's last property updates and the store's reads finish. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  if (!wait->ok)
    {
      int status = fail (wait->error);
      g_clear_error (&wait->error);
      return status;
    }
  return 0;
}

static DftSyncClient *
sync_client_new (DftStore *store, const char *server, const char *pinned)
{
  DftSyncClient *client = dft_sync_client_new (store);

  /* One command, one sync: no timer, no waiting for the network to appear. */
  dft_sync_client_set_automatic (client, FALSE);
  if (server != NULL)
    dft_sync_client_set_server_url (client, server);
  if (pinned != NULL)
    dft_sync_client_set_pinned_certificate (client, pinned);
  return client;
}

/* A secret from a file or standard input, never from the command line (others see it). */
static char *
read_secret (const char *file, const char *prompt, const char *missing, GError **error)
{
  g_autofree char *text = NULL;
  char             line[1024];

  if (file != NULL)
    {
      if (!g_file_get_contents (file, &text, NULL, error))
        return NULL;
    }
  else
    {
      if (isatty (STDIN_FILENO))
        g_printerr ("%s", prompt);
      if (fgets (line, sizeof line, stdin) == NULL)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, missing);
          return NULL;
        }
      text = g_strdup (line);
      memset (line, 0, sizeof line);
    }
  text[strcspn (text, "\r\n")] = '\0';
  return g_steal_pointer (&text);
}

static char *
read_password (const char *file, GError **error)
{
  return read_secret (file, _ ("Password: "), _ ("No password was given on standard input."),
                      error);
}

/* ---- Bundles ------------------------------------------------------------- */

static int
cmd_bundle_export (DftStore *store, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_ ("FILE"));
  g_autoptr (GError)         error = NULL;
  g_autoptr (GFile)          file = NULL;
  g_autofree char           *passphrase = NULL;
  gboolean                   with_passphrase = FALSE;
  guint                      n = 0;
  int                        status = 0;
  const GOptionEntry         entries[]
      = { { "passphrase", 0, 0, G_OPTION_ARG_NONE, &with_passphrase,
            N_ ("Encrypt with a new passphrase, shown once, instead of for the server: for "
                "another laptop"),
            NULL },
          { NULL } };

  g_option_context_set_summary (
      context, _ ("Without --passphrase, the file is sealed for the server this device signed in "
                  "to: only that server can read it (daftari-server admin import-bundle)."));
  if (!parse (context, entries, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return usage (context, _ ("Give the file to write."));
  if (with_passphrase)
    passphrase = dft_bundle_new_passphrase ();
  file = g_file_new_for_commandline_arg (argv[1]);
  if (!dft_bundle_export (store, file, 0, passphrase, &n, NULL, &error))
    return fail (error);
  /* Translators: %u is a number of changes, %s a file name */
  g_print (ngettext ("Wrote %u change to %s.\n", "Wrote %u changes to %s.\n", n), n, argv[1]);
  if (passphrase != NULL)
    {
      /* Translators: %s is the passphrase, like 7KQ2M-… */
      g_print (_ ("Passphrase: %s\n"), passphrase);
      g_print ("%s\n", _ ("It is shown only now. Give it to whoever imports the file another way "
                          "than the file itself (not on the same USB stick)."));
      memset (passphrase, 0, strlen (passphrase));
    }
  return 0;
}

static int
cmd_bundle_import (DftStore *store, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_ ("FILE"));
  g_autoptr (GError)         error = NULL;
  g_autoptr (GFile)          file = NULL;
  g_autofree char           *passphrase_file = NULL;
  g_autofree char           *passphrase = NULL;
  DftApplyStats              stats = { 0 };
  DftBundleMode              mode;
  int                        status = 0;
  gboolean                   ok;
  const GOptionEntry         entries[]
      = { { "passphrase-file", 0, 0, G_OPTION_ARG_FILENAME, &passphrase_file,
            N_ ("Read the bundle’s passphrase from this file instead of standard input"),
            N_ ("FILE") },
          { NULL } };

  if (!parse (context, entries, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return usage (context, _ ("Give the bundle file to import."));
  file = g_file_new_for_commandline_arg (argv[1]);
  if (!dft_bundle_read_mode (file, &mode, NULL, &error))
    return fail (error);
  if (mode == DFT_BUNDLE_MODE_PASSPHRASE)
    {
      passphrase = read_secret (passphrase_file, _ ("Passphrase: "),
                                _ ("No passphrase was given on standard input."), &error);
      if (passphrase == NULL)
        return fail (error);
    }
  ok = dft_bundle_import (store, file, passphrase, &stats, NULL, &error);
  if (passphrase != NULL)
    memset (passphrase, 0, strlen (passphrase));
  if (!ok)
    return fail (error);
  /* Translators: counts of changes in a bundle that was imported */
  g_print (_ ("Imported: %u changes applied, %u already here, %u older than what is here, %u "
              "conflicts kept.\n"),
           stats.applied, stats.duplicates, stats.outdated, stats.conflicts);
  if (stats.new_identity)
    g_print ("%s\n", dft_store_new_identity_message ());
  return 0;
}

static int
cmd_login (DftStore *store, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (DftSyncClient)  client = NULL;
  g_autoptr (GError)         error = NULL;
  g_autofree char           *server = NULL;
  g_autofree char           *username = NULL;
  g_autofree char           *password_file = NULL;
  g_autofree char           *pinned = NULL;
  g_autofree char           *password = NULL;
  SyncWait                   wait = { 0 };
  int                        status = 0;
  const GOptionEntry         entries[]
      = { { "server", 0, 0, G_OPTION_ARG_STRING, &server,
            N_ ("The server’s address, such as https://daftari.example.org/"), N_ ("URL") },
          { "username", 0, 0, G_OPTION_ARG_STRING, &username, N_ ("Your user name on the server"),
            N_ ("NAME") },
          { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file,
            N_ ("Read the password from this file instead of standard input"), N_ ("FILE") },
          { "pinned-certificate", 0, 0, G_OPTION_ARG_FILENAME, &pinned,
            N_ ("Trust only this certificate (PEM): for a workshop server with a self-signed one"),
            N_ ("FILE") },
          { NULL } };

  if (!parse (context, entries, &argc, &argv, &status))
    return status;
  if (server == NULL || username == NULL || argc != 1)
    return usage (context, _ ("Give the server’s address and your user name."));
  password = read_password (password_file, &error);
  if (password == NULL)
    return fail (error);

  client = sync_client_new (store, server, pinned);
  dft_sync_client_login_async (client, username, password, NULL, sign_in_done_cb, &wait);
  memset (password, 0, strlen (password));
  status = sync_wait (client, &wait);
  if (status == 0)
    /* Translators: %s is the server's address */
    g_print (_ ("Signed in to %s. Run “daftari-cli sync” to send and receive changes.\n"), server);
  if (status == 0)
    print_token_place (store);
  return status;
}

static int
cmd_enrol (DftStore *store, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_ ("CODE"));
  g_autoptr (DftSyncClient)  client = NULL;
  g_autofree char           *server = NULL;
  g_autofree char           *pinned = NULL;
  SyncWait                   wait = { 0 };
  int                        status = 0;
  const GOptionEntry         entries[]
      = { { "server", 0, 0, G_OPTION_ARG_STRING, &server,
            N_ ("The server’s address, such as https://daftari.example.org/"), N_ ("URL") },
          { "pinned-certificate", 0, 0, G_OPTION_ARG_FILENAME, &pinned,
            N_ ("Trust only this certificate (PEM): for a workshop server with a self-signed one"),
            N_ ("FILE") },
          { NULL } };

  if (!parse (context, entries, &argc, &argv, &status))
    return status;
  if (server == NULL || argc != 2)
    return usage (context, _ ("Give the server’s address and the enrolment code."));

  client = sync_client_new (store, server, pinned);
  dft_sync_client_enrol_async (client, argv[1], NULL, sign_in_done_cb, &wait);
  status = sync_wait (client, &wait);
  if (status == 0)
    /* Translators: %s is the server's address */
    g_print (_ ("This device is enrolled with %s.\n"), server);
  if (status == 0)
    print_token_place (store);
  return status;
}

static int
cmd_sync (DftStore *store, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (DftSyncClient)  client = NULL;
  g_autofree char           *server = NULL;
  gboolean                   push_only = FALSE;
  gboolean                   pull_only = FALSE;
  SyncWait                   wait = { 0 };
  int                        status = 0;
  const GOptionEntry         entries[]
      = { { "server", 0, 0, G_OPTION_ARG_STRING, &server,
            N_ ("Another address for the same server (the one signed in to by default)"),
            N_ ("URL") },
          { "push-only", 0, 0, G_OPTION_ARG_NONE, &push_only,
            N_ ("Only send this device’s changes and attached files; receive nothing"), NULL },
          { "pull-only", 0, 0, G_OPTION_ARG_NONE, &pull_only,
            N_ ("Only receive everyone else’s changes and attached files; send nothing"), NULL },
          { NULL } };

  g_option_context_set_summary (
      context, _ ("Sends this device’s changes to the server, then receives everyone else’s. "
                  "--push-only or --pull-only does one half: the other waits for the next "
                  "sync, and the time of the last sync stays that of the last whole one."));
  if (!parse (context, entries, &argc, &argv, &status))
    return status;
  if (argc != 1)
    return usage (context, NULL);
  if (push_only && pull_only)
    return usage (context, _ ("--push-only and --pull-only cannot go together: leave both out "
                              "to send and receive."));

  client = sync_client_new (store, server, NULL);
  dft_sync_client_set_flags (client, push_only   ? DFT_SYNC_FLAGS_NO_PULL
                                     : pull_only ? DFT_SYNC_FLAGS_NO_PUSH
                                                 : DFT_SYNC_FLAGS_NONE);
  dft_sync_client_sync_async (client, NULL, sync_done_cb, &wait);
  status = sync_wait (client, &wait);
  if (status != 0)
    return status;
  if (push_only)
    /* Translators: %u is a number of changes; --push-only is an option, keep it */
    g_print (ngettext ("Sent: %u change (--push-only: nothing received).\n",
                       "Sent: %u changes (--push-only: nothing received).\n", wait.stats.pushed),
             wait.stats.pushed);
  else if (pull_only)
    /* Translators: counts of changes received; --pull-only is an option, keep it */
    g_print (_ ("Received: %u changes (%u changed something here, %u conflicts kept; "
                "--pull-only: nothing sent).\n"),
             wait.stats.received, wait.stats.applied, wait.stats.conflicts);
  else
    /* Translators: counts of changes in one sync */
    g_print (_ ("Synced: %u changes sent, %u received (%u changed something here, %u conflicts "
                "kept).\n"),
             wait.stats.pushed, wait.stats.received, wait.stats.applied, wait.stats.conflicts);
  if (wait.stats.files_sent > 0 || wait.stats.file_bytes_sent > 0)
    {
      g_autofree char *size = g_format_size (wait.stats.file_bytes_sent);

      /* Translators: %u is a number of attached files (photos, recordings); %s an amount of
         data such as "2.1 MB" */
      g_print (ngettext ("%u attached file sent (%s uploaded).\n",
                         "%u attached files sent (%s uploaded).\n", wait.stats.files_sent),
               wait.stats.files_sent, size);
    }
  if (wait.stats.files_fetched > 0 || wait.stats.file_bytes_fetched > 0)
    {
      g_autofree char *size = g_format_size (wait.stats.file_bytes_fetched);

      /* Translators: %u is a number of attached files (photos, recordings); %s an amount of
         data such as "2.1 MB" */
      g_print (ngettext ("%u attached file received (%s downloaded).\n",
                         "%u attached files received (%s downloaded).\n", wait.stats.files_fetched),
               wait.stats.files_fetched, size);
    }
  if (wait.stats.files_unavailable > 0)
    /* Translators: %u is a number of attached files (photos, recordings) */
    g_print (ngettext ("%u attached file could not be moved now; the next sync tries again.\n",
                       "%u attached files could not be moved now; the next sync tries again.\n",
                       wait.stats.files_unavailable),
             wait.stats.files_unavailable);
  if (wait.stats.new_identity)
    g_print ("%s\n", dft_store_new_identity_message ());
  if (wait.stats.set_aside > 0)
    {
      g_autofree char *message = dft_sync_set_aside_message (
          wait.stats.set_aside, dft_sync_client_get_set_aside_reason (client));

      g_printerr ("%s\n", message);
    }
  if (ABS (dft_sync_client_get_clock_drift_ms (client)) > DFT_HLC_MAX_DRIFT_MS)
    /* Translators: %lld is a number of seconds */
    g_printerr (_ ("This device’s clock is %lld seconds off the server’s: set it right, or its "
                   "changes may win or lose against others wrongly.\n"),
                (long long) (dft_sync_client_get_clock_drift_ms (client) / 1000));
  return 0;
}

static void
sign_out_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SyncWait *wait = user_data;

  wait->ok = dft_sync_client_sign_out_finish (DFT_SYNC_CLIENT (source), result, &wait->error);
  wait->done = TRUE;
}

static int
cmd_logout (DftStore *store, int argc, char **argv)
{
  g_autoptr (DftSyncClient) client = NULL;
  SyncWait                  wait = { 0 };
  int                       status;

  client = sync_client_new (store, NULL, NULL);
  dft_sync_client_sign_out_async (client, NULL, sign_out_done_cb, &wait);
  status = sync_wait (client, &wait);
  if (status == 0)
    g_print (_ ("Signed out: this device’s token is forgotten, in the keyring and the database. "
                "Its records and unsent changes stay; sign in again to sync them.\n"));
  return status;
}

/* ---- Shared with the other command files -------------------------------- */

int
_dft_cli_fail (const GError *error)
{
  return fail (error);
}

int
_dft_cli_usage (GOptionContext *context, const char *message)
{
  return usage (context, message);
}

gboolean
_dft_cli_parse (
    GOptionContext *context, const GOptionEntry *entries, int *argc, char ***argv, int *status)
{
  return parse (context, entries, argc, argv, status);
}

GOutputStream *
_dft_cli_open_output (const char *path, GError **error)
{
  g_autoptr (GFile) file = NULL;

  if (path == NULL)
    return g_unix_output_stream_new (1, FALSE);
  /* Written beside the target and renamed over it when complete; never in place, not even where
   * the folder is read-only and the file is not (GIO would do that without REPLACE_DESTINATION). */
  file = g_file_new_for_commandline_arg (path);
  return G_OUTPUT_STREAM (g_file_replace (
      file, NULL, FALSE, G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION, NULL, error));
}

int
_dft_cli_table_format (GOptionContext *context,
                       const char     *format,
                       const char     *output,
                       DftCliFormat    fallback,
                       gboolean        allow_text,
                       DftCliFormat   *result)
{
  if (format == NULL)
    {
      if (output != NULL && g_str_has_suffix (output, ".xlsx"))
        *result = DFT_CLI_FORMAT_XLSX;
      else if (output != NULL)
        *result = DFT_CLI_FORMAT_CSV;
      else
        *result = fallback;
    }
  else if (strcmp (format, "csv") == 0)
    *result = DFT_CLI_FORMAT_CSV;
  else if (strcmp (format, "xlsx") == 0)
    *result = DFT_CLI_FORMAT_XLSX;
  else if (allow_text && strcmp (format, "text") == 0)
    *result = DFT_CLI_FORMAT_TEXT;
  else
    {
      g_autofree char *message
          = allow_text
                /* Translators: %s is what was given after --format; keep the format names */
                ? g_strdup_printf (_ ("Unknown format “%s”: say text, csv or xlsx."), format)
                /* Translators: %s is what was given after --format; keep the format names */
                : g_strdup_printf (_ ("Unknown format “%s”: say csv or xlsx."), format);

      return usage (context, message);
    }
  if (*result == DFT_CLI_FORMAT_XLSX && output == NULL)
    return usage (context, _ ("An XLSX workbook is written to a file: give one with -o FILE."));
  if (*result == DFT_CLI_FORMAT_TEXT && output != NULL)
    return usage (context, _ ("The text table is printed; to write a file, choose --format csv "
                              "or xlsx."));
  return 0;
}

void
_dft_cli_print_json (JsonBuilder *builder)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode)      root = json_builder_get_root (builder);
  g_autofree char          *text = NULL;

  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

static const Command commands[] = {
  { "init", N_ ("Create the database if needed and say where it is"), cmd_init },
  { "info", N_ ("Show what the database holds and what is not synced yet"), cmd_info },
  { "check", N_ ("Check the database file for damage"), cmd_check },
  { "event-add", N_ ("Create a workshop with its sessions"), cmd_event_add, TRUE },
  { "person-add", N_ ("Register a person"), cmd_person_add, TRUE },
  { "list", N_ ("List workshops, people, sessions or enrollments"), cmd_list, TRUE },
  { "search", N_ ("Find people by name in any script"), cmd_search },
  { "duplicates", N_ ("Find people who are probably registered twice"), _dft_cli_duplicates, TRUE },
  { "merge", N_ ("Merge two records of one person"), _dft_cli_merge, TRUE },
  { "unmerge", N_ ("Undo a merge of two people"), _dft_cli_unmerge, TRUE },
  { "merges", N_ ("List the merges of people: who, when, which records moved"), _dft_cli_merges,
    TRUE },
  { "not-duplicate", N_ ("Remember that two people are not one"), _dft_cli_not_duplicate, TRUE },
  { "conflicts", N_ ("List the conflicts a coordinator is to decide"), _dft_cli_conflicts, TRUE },
  { "resolve", N_ ("Decide a conflict: keep the current value, the other, or a new one"),
    _dft_cli_resolve, TRUE },
  { "attend", N_ ("Mark attendance"), cmd_attend, TRUE },
  { "import", N_ ("Import people from a CSV or XLSX sheet"), cmd_import, TRUE },
  { "export", N_ ("Export to CSV or XLSX"), cmd_export, TRUE },
  { "sign-in-sheet", N_ ("Print a workshop’s sign-in sheet as PDF"), _dft_cli_sign_in_sheet, TRUE },
  { "certificates", N_ ("Print certificates of completion as PDF"), _dft_cli_certificates, TRUE },
  { "forms", N_ ("List the forms and their versions"), _dft_cli_forms },
  { "form-import", N_ ("Import a form: Daftari JSON, ODK XForm or XLSForm"), _dft_cli_form_import },
  { "form-template", N_ ("Copy a form template that ships with Daftari"), _dft_cli_form_template,
    TRUE },
  { "form-po-export", N_ ("Write a form's texts as a PO file for translators"),
    _dft_cli_form_po_export, TRUE },
  { "form-po-import", N_ ("Read a translated PO file into a new version of a form"),
    _dft_cli_form_po_import },
  { "form-export", N_ ("Write a form as an ODK XForm (.xml) or XLSForm (.md)"),
    _dft_cli_form_export },
  { "submissions", N_ ("Export a form's submissions, every version, to CSV or XLSX"),
    _dft_cli_submissions_export, TRUE },
  { "report", N_ ("Report the donor’s indicators across workshops"), _dft_cli_report, TRUE },
  { "gain", N_ ("Show pre-test and post-test scores and gain for a workshop"), _dft_cli_gain,
    TRUE },
  { "load-dataset", N_ ("Load a workshop data set (gen_dataset.py JSON)"), cmd_load_dataset },
  { "sample", N_ ("Load the sample workshops"), cmd_sample },
  { "bundle-export", N_ ("Write every change this device holds to a file for USB transfer"),
    cmd_bundle_export, TRUE },
  { "bundle-import", N_ ("Apply a bundle file made on another device"), cmd_bundle_import, TRUE },
  { "login", N_ ("Sign in to a sync server with an account"), cmd_login, TRUE },
  { "enrol", N_ ("Enrol this device with a code from a coordinator"), cmd_enrol, TRUE },
  { "sync", N_ ("Send this device’s changes to the server and receive everyone else’s"), cmd_sync,
    TRUE },
  { "logout", N_ ("Sign out: forget this device’s token"), cmd_logout },
};

static void
print_commands (void)
{
  g_print (_ ("Usage: daftari-cli [--db FILE] COMMAND [OPTIONS]\n\nCommands:\n"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    g_print ("  %-14s %s\n", commands[i].name, _ (commands[i].summary));
  g_print (_ ("\nRun “daftari-cli COMMAND --help” for a command's options.\n"));
}

int
dft_cli_run (int argc, char *argv[])
{
  g_autoptr (GError)   error = NULL;
  g_autoptr (DftStore) store = NULL;
  const Command       *command = NULL;
  int                  first = 1;
  int                  status;
  gboolean             copied = FALSE;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* Global options come before the command; the command parses the rest. */
  while (first < argc && g_str_has_prefix (argv[first], "--db"))
    {
      if (g_str_has_prefix (argv[first], "--db="))
        db_path = argv[first] + 5;
      else if (first + 1 < argc)
        db_path = argv[++first];
      first++;
    }
  if (first >= argc || g_str_equal (argv[first], "--help") || g_str_equal (argv[first], "-h")
      || g_str_equal (argv[first], "help"))
    {
      print_commands ();
      return first >= argc ? EXIT_USAGE : 0;
    }
  if (g_str_equal (argv[first], "--version"))
    {
      g_print ("daftari-cli %s\n", PACKAGE_VERSION);
      return 0;
    }

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (argv[first], commands[i].name))
      command = &commands[i];
  if (command == NULL)
    {
      /* Translators: %s is what the user typed as a command */
      g_printerr (_ ("Unknown command “%s”.\n\n"), argv[first]);
      print_commands ();
      return EXIT_USAGE;
    }

  /* --help needs no database: commands with options print theirs while parsing. */
  for (int i = first + 1; i < argc; i++)
    if (g_str_equal (argv[i], "--help") || g_str_equal (argv[i], "-h"))
      {
        if (command->has_options)
          return command->run (NULL, argc - first, argv + first);
        g_print ("daftari-cli %s\n%s\n", command->name, _ (command->summary));
        return 0;
      }

  store = dft_store_open (db_path, &error);
  if (store == NULL)
    return fail (error);
  if (!dft_store_check_place (store, &copied, &error))
    return fail (error);
  if (copied)
    g_printerr ("%s\n", dft_store_new_identity_message ());
  status = command->run (store, argc - first, argv + first);
  /* The store's signals arrive through the main context: let them run, so the
   * store is released and closes its database before the process ends. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  return status;
}
