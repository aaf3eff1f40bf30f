/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dft-record-list.h"
#include "dft-store.h"

/*
 * The writer of the crash test (test-crash.c). It writes into the store at
 * DB_PATH until it is killed, and after each save that returned TRUE, and
 * only then, it prints "ENTITY ID" on its standard output: one write(2) per
 * line, unbuffered and shorter than PIPE_BUF, so a kill never leaves half a
 * line. "update ID" means a person's second save (position "Inspector").
 * "ready -" comes once the store is open and the workshop is there.
 */

static void
tell (const char *kind, const char *id)
{
  char line[256];
  int  length = g_snprintf (line, sizeof line, "%s %s\n", kind, id);

  g_assert (length > 0 && (gsize) length < sizeof line);
  for (;;)
    {
      gssize n = write (STDOUT_FILENO, line, (gsize) length);

      if (n == length)
        return;
      if (n < 0 && errno == EINTR)
        continue;
      /* Nobody is listening any more. */
      exit (3);
    }
}

static void G_GNUC_NORETURN
fail (const char *what, const GError *error)
{
  g_printerr ("crash-writer: %s: %s\n", what, error != NULL ? error->message : "(no error)");
  exit (1);
}

/* Emissions of "changed" wait in the main context; run them so they do not pile up. */
static void
drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* The first workshop in the store, made by the first writer that gets that far. */
static char *
find_or_make_event (DftStore *store)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (GListModel) events = dft_store_list_events (store);
  g_autoptr (DftRecord)  event = NULL;

  if (!dft_record_list_reload_sync (DFT_RECORD_LIST (events), &error))
    fail ("listing workshops", error);
  if (g_list_model_get_n_items (events) > 0)
    {
      event = g_list_model_get_item (events, 0);
      return g_strdup (dft_record_get_id (event));
    }

  event = dft_record_new_for_entity (&dft_entity_event);
  dft_record_set_string (event, "title", "Investigating trafficking in persons");
  dft_record_set_string (event, "start_date", "2026-04-06");
  dft_record_set_string (event, "end_date", "2026-04-10");
  dft_record_set_string (event, "city", "Osh");
  if (!dft_store_save (store, event, &error))
    fail ("saving the workshop", error);
  tell ("event", dft_record_get_id (event));
  return g_strdup (dft_record_get_id (event));
}

static GPtrArray *
session_ids (DftStore *store, const char *event_id)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (GListModel) sessions = dft_store_list_sessions (store, event_id);
  GPtrArray             *ids = g_ptr_array_new_with_free_func (g_free);

  if (!dft_record_list_reload_sync (DFT_RECORD_LIST (sessions), &error))
    fail ("listing sessions", error);
  for (guint i = 0; i < g_list_model_get_n_items (sessions); i++)
    {
      g_autoptr (DftRecord) session = g_list_model_get_item (sessions, i);
      g_ptr_array_add (ids, g_strdup (dft_record_get_id (session)));
    }
  if (ids->len == 0)
    fail ("the workshop has no sessions", NULL);
  return ids;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftStore)  store = NULL;
  g_autoptr (GPtrArray) sessions = NULL;
  g_autofree char      *event_id = NULL;
  static const char    *statuses[] = { "present", "late", "present", "absent" };

  setlocale (LC_ALL, "");
  if (argc != 2)
    {
      g_printerr ("usage: crash-writer DB_PATH\n");
      return 2;
    }

  store = dft_store_open (argv[1], &error);
  if (store == NULL)
    fail ("opening the store", error);
  event_id = find_or_make_event (store);
  sessions = session_ids (store, event_id);
  drain ();
  tell ("ready", "-");

  for (guint n = 0;; n++)
    {
      g_autoptr (DftRecord) person = dft_record_new_for_entity (&dft_entity_person);
      g_autoptr (DftRecord) enrollment = NULL;
      g_autoptr (DftRecord) mark = NULL;
      g_autofree char      *given = g_strdup_printf ("Writer%d", (int) getpid ());
      g_autofree char      *family = g_strdup_printf ("Number%u", n);
      const char           *person_id;

      dft_record_set_string (person, "given_name", given);
      dft_record_set_string (person, "family_name", family);
      dft_record_set_string (person, "agency", "Ministry of Internal Affairs");
      dft_record_set_string (person, "country", "KG");
      if (!dft_store_save (store, person, &error))
        fail ("saving a person", error);
      person_id = dft_record_get_id (person);
      tell ("person", person_id);

      enrollment = dft_store_enroll (store, event_id, person_id, NULL, &error);
      if (enrollment == NULL)
        fail ("enrolling", error);
      tell ("enrollment", dft_record_get_id (enrollment));

      mark = dft_store_mark_attendance (store, g_ptr_array_index (sessions, n % sessions->len),
                                        person_id, statuses[n % G_N_ELEMENTS (statuses)], NULL,
                                        &error);
      if (mark == NULL)
        fail ("marking attendance", error);
      tell ("attendance", dft_record_get_id (mark));

      /* Some records change after they were first saved. */
      if (n % 4 == 3)
        {
          dft_record_set_string (person, "position", "Inspector");
          if (!dft_store_save (store, person, &error))
            fail ("updating a person", error);
          tell ("update", person_id);
        }

      drain ();
    }

  return 0;
}
