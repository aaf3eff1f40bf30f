/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The roster and the search a trainer types into (issue 5), on a store of 100,000 people:
 *
 *  - a workshop roster of 2,000 people shown by the app's own participants view, scrolled from
 *    top to bottom a page at a time: how many SQL statements the scrolling runs (target: none;
 *    rows come from the list model in memory) and how long each page takes to draw;
 *  - the people search the roster uses (DftRecordList over FTS5), typed a letter at a time in
 *    three scripts over all 100,000 people: the time from a keystroke until the new results are
 *    in the model (target ≤ 50 ms).
 *
 *   xvfb-run -a _build/bench/bench-roster [--db FILE] [--rebuild]
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

#include "dft-participants-view.h"
#include "dft-record-list.h"
#include "dft-record-private.h"
#include "dft-uuid.h"
#include "dft-record-private.h"
#include "dft-uuid.h"
#include "dft-store-private.h"

#define PEOPLE 100000
#define ROSTER 2000

static const char *const given[]
    = { "Айбек", "Нурлан", "ნინო", "გიორგი", "Juma", "Amina", "Олена", "Тарас" };
static const char *const family[] = { "Токтогулов", "Садыков", "კაპანაძე",  "ბერიძე",
                                      "Mwakyusa",   "Hassan",  "Коваленко", "Шевченко" };

static guint statements;

static int
trace_cb (unsigned type, void *context, void *p, void *x)
{
  statements++;
  return 0;
}

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* Call as check (f (…, &error), &error): the error is read after the call. */
static void
check (gboolean ok, GError **error_ptr)
{
  GError *error = *error_ptr;

  if (!ok)
    {
      fprintf (stderr, "%s\n", error != NULL ? error->message : "failed");
      exit (1);
    }
}

static gint64
count (DftStore *store, const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64        n = 0;

  if (sqlite3_prepare_v2 (_dft_store_get_db (store), sql, -1, &stmt, NULL) == SQLITE_OK
      && sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return n;
}

static DftRecord *
build (DftStore *store, GRand *rand)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) event = dft_record_new_for_entity (&dft_entity_event);
  gint64                start = g_get_monotonic_time ();

  g_object_set (event, "title", "Roster benchmark", "start-date", "2026-11-23", "end-date",
                "2026-11-27", NULL);
  check (dft_store_save (store, event, &error), &error);
  sqlite3_exec (_dft_store_get_db (store), "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
  for (guint done = 0; done < PEOPLE;)
    {
      g_autoptr (GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);

      for (guint i = 0; i < 2000; i++, done++)
        {
          DftRecord       *person = dft_record_new_for_entity (&dft_entity_person);
          g_autofree char *person_id = dft_uuid_v7_new ();
          guint            script = g_rand_int_range (rand, 0, G_N_ELEMENTS (given));

          /* Ids given here, so that the enrollments in the same batch can name them. */
          _dft_record_set_identity (person, person_id, NULL, NULL, FALSE, TRUE);
          g_object_set (person, "given-name", given[script], "family-name",
                        family[g_rand_int_range (rand, 0, G_N_ELEMENTS (family))], "gender",
                        g_rand_boolean (rand) ? "female" : "male", "agency", "Police", NULL);
          g_ptr_array_add (batch, person);
          if (done < ROSTER)
            {
              DftRecord       *enrollment = dft_record_new_for_entity (&dft_entity_enrollment);
              g_autofree char *id
                  = dft_enrollment_id_for (dft_record_get_id (event), dft_record_get_id (person));

              /* The id every device gives this pair, as dft_store_enroll() does. */
              _dft_record_set_identity (enrollment, id, NULL, NULL, FALSE, TRUE);
              g_object_set (enrollment, "event-id", dft_record_get_id (event), "person-id",
                            dft_record_get_id (person), "role", "participant", NULL);
              g_ptr_array_add (batch, enrollment);
            }
        }
      check (dft_store_save_all (store, (DftRecord **) batch->pdata, batch->len, &error), &error);
      fprintf (stderr, "\rbuilding: %u people", done);
    }
  sqlite3_exec (_dft_store_get_db (store), "PRAGMA synchronous = FULL", NULL, NULL, NULL);
  fprintf (stderr, "\rbuilt %u people in %.0f s\n", PEOPLE,
           (g_get_monotonic_time () - start) / 1e6);
  return g_steal_pointer (&event);
}

static void
wait_loaded (GListModel *model, guint at_least)
{
  gint64 deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;

  while ((dft_record_list_get_loading (DFT_RECORD_LIST (model))
          || g_list_model_get_n_items (model) < at_least)
         && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
}

static GtkScrolledWindow *
find_scrolled (GtkWidget *widget)
{
  if (GTK_IS_SCROLLED_WINDOW (widget))
    return GTK_SCROLLED_WINDOW (widget);
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      GtkScrolledWindow *found = find_scrolled (c);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean painted;

static void
after_paint_cb (GdkFrameClock *clock, gpointer data)
{
  painted = TRUE;
}

static void
wait_frame (GtkWidget *window)
{
  painted = FALSE;
  gtk_widget_queue_draw (window);
  while (!painted)
    g_main_context_iteration (NULL, TRUE);
}

static void
measure_scroll (DftStore *store, DftRecord *event)
{
  GtkWidget         *window = gtk_window_new ();
  GtkWidget         *view = g_object_new (DFT_TYPE_PARTICIPANTS_VIEW, NULL);
  GtkScrolledWindow *scrolled;
  GtkAdjustment     *adj;
  GListModel        *people;
  GArray            *ms = g_array_new (FALSE, FALSE, sizeof (double));
  guint              before, pages = 0;
  double            *v;

  gtk_window_set_default_size (GTK_WINDOW (window), 900, 700);
  gtk_window_set_child (GTK_WINDOW (window), view);
  dft_participants_view_set_event (DFT_PARTICIPANTS_VIEW (view), store, event);
  people = dft_participants_view_get_people (DFT_PARTICIPANTS_VIEW (view));
  gtk_window_present (GTK_WINDOW (window));
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint", G_CALLBACK (after_paint_cb),
                    NULL);
  wait_loaded (people, ROSTER);
  wait_frame (window);
  scrolled = find_scrolled (view);
  if (scrolled == NULL)
    {
      fprintf (stderr, "the participants view has no scrolled window\n");
      exit (1);
    }
  adj = gtk_scrolled_window_get_vadjustment (scrolled);
  before = statements;
  while (gtk_adjustment_get_value (adj) + gtk_adjustment_get_page_size (adj)
         < gtk_adjustment_get_upper (adj) - 1)
    {
      gint64 start = g_get_monotonic_time ();
      double t;

      gtk_adjustment_set_value (adj, gtk_adjustment_get_value (adj)
                                         + gtk_adjustment_get_page_size (adj));
      wait_frame (window);
      t = (g_get_monotonic_time () - start) / 1000.0;
      g_array_append_val (ms, t);
      pages++;
    }
  v = (double *) ms->data;
  qsort (v, ms->len, sizeof *v, compare_doubles);
  printf ("roster of %u people (participants view): %u pages scrolled, %u SQL statements "
          "while scrolling (target 0)\n",
          g_list_model_get_n_items (people), pages, statements - before);
  if (ms->len > 0)
    printf ("  a page to draw: median %.1f ms, p99 %.1f ms, slowest %.1f ms\n", v[ms->len / 2],
            v[MIN (ms->len - 1, (guint) (ms->len * 0.99))], v[ms->len - 1]);
  g_array_unref (ms);
  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean changed;

static void
items_changed_cb (GListModel *model, guint position, guint removed, guint added, gpointer data)
{
  changed = TRUE;
}

static void
measure_search (DftStore *store)
{
  const char *const queries[] = { "Айбек", "გიორგი", "Mwakyusa", "Kovalenko", "nino" };
  g_autoptr (DftRecordList) list
      = dft_record_list_new (store, &dft_entity_person, "deleted = 0", NULL, "family_name");
  GArray *ms = g_array_new (FALSE, FALSE, sizeof (double));
  double *v;

  dft_record_list_set_search (list, "zzzz");
  wait_loaded (G_LIST_MODEL (list), 0);
  g_signal_connect (list, "items-changed", G_CALLBACK (items_changed_cb), NULL);
  for (guint round = 0; round < 4; round++)
    for (guint q = 0; q < G_N_ELEMENTS (queries); q++)
      {
        const char *end = queries[q];

        while (*end != '\0')
          {
            g_autofree char *typed = NULL;
            gint64           start;
            double           t;

            end = g_utf8_next_char (end);
            typed = g_strndup (queries[q], end - queries[q]);
            changed = FALSE;
            start = g_get_monotonic_time ();
            dft_record_list_set_search (list, typed);
            while (dft_record_list_get_loading (list) || !changed)
              {
                g_main_context_iteration (NULL, TRUE);
                if (!dft_record_list_get_loading (list) && !changed)
                  break; /* the same results as before: nothing to change */
              }
            t = (g_get_monotonic_time () - start) / 1000.0;
            g_array_append_val (ms, t);
            if (round == 0)
              printf ("  %-10s %5u results  %6.1f ms\n", typed,
                      g_list_model_get_n_items (G_LIST_MODEL (list)), t);
          }
        dft_record_list_set_search (list, "zzzz");
        wait_loaded (G_LIST_MODEL (list), 0);
      }
  v = (double *) ms->data;
  qsort (v, ms->len, sizeof *v, compare_doubles);
  printf ("search over %" G_GINT64_FORMAT " people, a keystroke to results in the model: "
          "%u keystrokes, median %.1f ms, p99 %.1f ms, slowest %.1f ms (target ≤ 50 ms)\n",
          count (store, "SELECT count (*) FROM person"), ms->len, v[ms->len / 2],
          v[MIN (ms->len - 1, (guint) (ms->len * 0.99))], v[ms->len - 1]);
  g_array_unref (ms);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftStore)  store = NULL;
  g_autoptr (DftRecord) event = NULL;
  g_autoptr (GRand)     rand = g_rand_new_with_seed (2026);
  g_autofree char      *path = NULL;
  gboolean              rebuild = FALSE;
  GOptionEntry          entries[]
      = { { "db", 0, 0, G_OPTION_ARG_FILENAME, &path, "Store to build or reuse", "FILE" },
          { "rebuild", 0, 0, G_OPTION_ARG_NONE, &rebuild, "Build the store again", NULL },
          { NULL } };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);

  g_option_context_add_main_entries (context, entries, NULL);
  check (g_option_context_parse (context, &argc, &argv, &error), &error);
  if (path == NULL)
    path = g_strdup ("/tmp/daftari-roster-bench.db");
  if (rebuild)
    {
      const char *suffixes[] = { "", "-wal", "-shm" };

      for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
        {
          g_autofree char *f = g_strconcat (path, suffixes[i], NULL);

          g_unlink (f);
        }
    }
  adw_init ();
  store = dft_store_open (path, &error);
  check (store != NULL, &error);
  if (count (store, "SELECT count (*) FROM person") < PEOPLE)
    event = build (store, rand);
  else
    {
      g_autoptr (GPtrArray) found = _dft_store_query (
          store, &dft_entity_event, "title = 'Roster benchmark'", NULL, NULL, &error);

      check (found != NULL && found->len > 0, &error);
      event = g_object_ref (g_ptr_array_index (found, 0));
    }
  sqlite3_trace_v2 (_dft_store_get_db (store), SQLITE_TRACE_STMT, trace_cb, NULL);
  printf ("Roster and search benchmark, %s (%s)\n\n", path, PACKAGE_VERSION);
  measure_scroll (store, event);
  measure_search (store);
  return 0;
}
