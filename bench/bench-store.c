/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The store benchmark of issue 2: a store with 100,000 people, 1,000,000
 * attendance marks and 200,000 submissions, built through the ordinary write
 * path (so every record has its change-log entry), then p50 and p99 of the
 * operations a trainer's day is made of.
 *
 *   bench-store [--db FILE] [--rebuild] [--people N] [--samples N]
 *
 * The built store is kept (default /tmp/daftari-bench.db) and reused while
 * its counts match, since building it takes minutes.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

#include "dft-record-private.h"
#include "dft-store-private.h"
#include "dft-uuid.h"

#define PEOPLE_PER_EVENT 25
#define DAYS_PER_EVENT   5 /* two sessions a day: ten marks per person */

static const char *given_names[][8] = {
  { "Айбек", "Нурлан", "Айгуль", "Жылдыз", "Бакыт", "Медер", "Чолпон", "Эльвира" }, /* Cyrillic */
  { "Juma", "Neema", "Baraka", "Rehema", "Hamisi", "Zawadi", "Amani", "Upendo" },   /* Latin */
  { "გიორგი", "ნინო", "დავით", "თამარ", "ლევან", "მარიამ", "ნიკა", "ანა" },         /* Georgian */
  { "احمد", "عائشہ", "بلال", "فاطمہ", "عثمان", "ثنا", "عمران", "حنا" }, /* Arabic script */
};
static const char *family_names[][6] = {
  { "Абдыкадыров", "Токтогулов", "Исаева", "Жумабекова", "Осмонов", "Садыков" },
  { "Mwakyusa", "Kimaro", "Mushi", "Said", "Mollel", "Nyerere" },
  { "ბერიძე", "კაპანაძე", "გელაშვილი", "მაისურაძე", "ლომიძე", "ჯაფარიძე" },
  { "خان", "قریشی", "ملک", "بٹ", "چوہدری", "شاہ" },
};
static const char *countries[] = { "KG", "TZ", "GE", "PK" };

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static void
report (const char *what, GArray *ms, double target)
{
  double p50, p99;

  qsort (ms->data, ms->len, sizeof (double), cmp_double);
  p50 = g_array_index (ms, double, ms->len / 2);
  p99 = g_array_index (ms, double, MIN (ms->len - 1, (guint) (ms->len * 0.99)));
  printf ("%-34s n=%-5u p50 %8.3f ms   p99 %8.3f ms   target p99 <= %g ms  %s\n", what, ms->len,
          p50, p99, target, p99 <= target ? "met" : "MISSED");
}

static gint64
count (DftStore *store, const char *table)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count (*) FROM %s", table);
  sqlite3_stmt    *stmt = NULL;
  gint64           n = 0;

  sqlite3_prepare_v2 (_dft_store_get_db (store), sql, -1, &stmt, NULL);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return n;
}

static void
check (gboolean ok, GError *error)
{
  if (!ok)
    g_error ("%s", error != NULL ? error->message : "failed");
}

static DftRecord *
new_with_id (const DftEntity *entity, const char *id)
{
  DftRecord *r = dft_record_new_for_entity (entity);
  _dft_record_set_identity (r, id, NULL, NULL, FALSE, TRUE);
  return r;
}

static DftRecord *
make_form (DftStore *store, const char *key, const char *kind, const char *definition)
{
  g_autoptr (GError) error = NULL;
  DftRecord         *form = dft_record_new_for_entity (&dft_entity_form);

  g_object_set (form, "form-key", key, "version", (gint64) 1, "title", key, "kind", kind,
                "definition", definition, NULL);
  check (dft_store_save (store, form, &error), error);
  return form;
}

/* An evaluation a fifth of the participants fill in: three five-point scales, a choice, a text. */
static const char evaluation_form[]
    = "{\"format\": \"daftari-form\", \"id\": \"evaluation\", \"kind\": \"evaluation\","
      " \"choice_lists\": {\"scale\": [{\"value\": \"1\"}, {\"value\": \"2\"},"
      "  {\"value\": \"3\"}, {\"value\": \"4\"}, {\"value\": \"5\"}],"
      "  \"pace\": [{\"value\": \"slow\"}, {\"value\": \"right\"}, {\"value\": \"fast\"}]},"
      " \"questions\": [{\"type\": \"likert\", \"name\": \"useful\", \"choices\": \"scale\"},"
      "  {\"type\": \"likert\", \"name\": \"trainers\", \"choices\": \"scale\"},"
      "  {\"type\": \"likert\", \"name\": \"venue\", \"choices\": \"scale\"},"
      "  {\"type\": \"select_one\", \"name\": \"pace\", \"choices\": \"pace\"},"
      "  {\"type\": \"text\", \"name\": \"comment\"}]}";
static const char *paces[] = { "slow", "right", "fast" };
static const char *comments[] = { "More case studies", "Longer breaks", "Асан болду", "" };

static void
build (DftStore *store, guint n_people, GRand *rand)
{
  g_autoptr (GError) error = NULL;
  /* The two halves of one test, so that the indicator report (bench-report) pairs them. */
  g_autoptr (DftRecord) pre
      = make_form (store, "knowledge-test-pre", "pre-test",
                   "{\"questions\":[],\"phase\":\"pre\",\"pairs_with\":\"knowledge-test-post\"}");
  g_autoptr (DftRecord) post
      = make_form (store, "knowledge-test-post", "post-test",
                   "{\"questions\":[],\"phase\":\"post\",\"pairs_with\":\"knowledge-test-pre\"}");
  g_autoptr (DftRecord) evaluation = make_form (store, "evaluation", "evaluation", evaluation_form);
  guint                 n_events = n_people / PEOPLE_PER_EVENT;
  gint64                start = g_get_monotonic_time ();

  for (guint e = 0; e < n_events; e++)
    {
      g_autoptr (GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
      g_autofree char      *event_id = dft_uuid_v7_new ();
      DftRecord            *event = new_with_id (&dft_entity_event, event_id);
      guint                 script = e % G_N_ELEMENTS (given_names);
      GDate                 day;
      char                  dates[DAYS_PER_EVENT][11];
      g_autofree char      *title = g_strdup_printf ("Financial investigations %u", e + 1);

      g_date_clear (&day, 1);
      g_date_set_dmy (&day, 1, G_DATE_JANUARY, 2020);
      g_date_add_days (&day, e % 2000);
      for (guint d = 0; d < DAYS_PER_EVENT; d++)
        {
          g_snprintf (dates[d], sizeof dates[d], "%04u-%02u-%02u", g_date_get_year (&day),
                      g_date_get_month (&day), g_date_get_day (&day));
          g_date_add_days (&day, 1);
        }
      g_object_set (event, "title", title, "track", "NAPOR", "country", countries[script],
                    "start-date", dates[0], "end-date", dates[DAYS_PER_EVENT - 1], NULL);
      g_ptr_array_add (batch, event);

      for (guint p = 0; p < PEOPLE_PER_EVENT; p++)
        {
          g_autofree char *pid = dft_uuid_v7_new ();
          g_autofree char *eid = dft_enrollment_id_for (event_id, pid);
          DftRecord       *person = new_with_id (&dft_entity_person, pid);
          DftRecord       *enrollment = new_with_id (&dft_entity_enrollment, eid);

          g_object_set (person, "given-name", given_names[script][g_rand_int_range (rand, 0, 8)],
                        "family-name", family_names[script][g_rand_int_range (rand, 0, 6)],
                        "gender", g_rand_boolean (rand) ? "female" : "male", "agency", "Police",
                        "country", countries[script], NULL);
          g_object_set (enrollment, "event-id", event_id, "person-id", pid, "role", "participant",
                        NULL);
          g_ptr_array_add (batch, person);
          g_ptr_array_add (batch, enrollment);

          for (guint d = 0; d < DAYS_PER_EVENT; d++)
            for (guint part = 0; part < 2; part++)
              {
                g_autofree char *sid = dft_session_id_for (event_id, dates[d], part ? "pm" : "am");
                g_autofree char *aid = dft_attendance_id_for (sid, pid);
                DftRecord       *mark = new_with_id (&dft_entity_attendance, aid);

                g_object_set (mark, "session-id", sid, "person-id", pid, "status",
                              g_rand_int_range (rand, 0, 100) < 90 ? "present" : "absent", NULL);
                g_ptr_array_add (batch, mark);
              }
          for (guint t = 0; t < 2; t++)
            {
              DftRecord *sub = dft_record_new_for_entity (&dft_entity_submission);
              g_object_set (sub, "form-id", dft_record_get_id (t == 0 ? pre : post), "event-id",
                            event_id, "person-id", pid, "status", "final", "answers",
                            "{\"q1\":\"a\",\"q2\":\"c\",\"q3\":\"b\",\"q4\":\"d\",\"q5\":\"a\"}",
                            "score", (double) g_rand_int_range (rand, 5, 21), NULL);
              g_ptr_array_add (batch, sub);
            }
          if (p % 5 == 0)
            {
              DftRecord       *sub = dft_record_new_for_entity (&dft_entity_submission);
              g_autofree char *answers = g_strdup_printf (
                  "{\"/data/useful\":\"%d\",\"/data/trainers\":\"%d\",\"/data/venue\":\"%d\","
                  "\"/data/pace\":\"%s\",\"/data/comment\":\"%s\"}",
                  g_rand_int_range (rand, 1, 6), g_rand_int_range (rand, 1, 6),
                  g_rand_int_range (rand, 1, 6), paces[g_rand_int_range (rand, 0, 3)],
                  comments[g_rand_int_range (rand, 0, 4)]);

              g_object_set (sub, "form-id", dft_record_get_id (evaluation), "event-id", event_id,
                            "status", "final", "answers", answers, NULL);
              g_ptr_array_add (batch, sub);
            }
        }
      check (dft_store_save_all (store, (DftRecord **) batch->pdata, batch->len, &error), error);
      if ((e + 1) % 200 == 0)
        fprintf (stderr, "\rbuilding: %u/%u workshops, %.0f s", e + 1, n_events,
                 (g_get_monotonic_time () - start) / 1e6);
    }
  fprintf (stderr, "\rbuilt %u workshops in %.0f s%20s\n", n_events,
           (g_get_monotonic_time () - start) / 1e6, "");
}

static GPtrArray *
column_sample (DftStore *store, const char *sql)
{
  GPtrArray    *ids = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt = NULL;

  sqlite3_prepare_v2 (_dft_store_get_db (store), sql, -1, &stmt, NULL);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (ids, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  sqlite3_finalize (stmt);
  return ids;
}

static void
measure_writes (DftStore *store, GRand *rand, guint samples, const char *label)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) marks
      = column_sample (store, "SELECT session_id || ' ' || person_id FROM attendance "
                              "ORDER BY random () LIMIT 2000");
  g_autoptr (GPtrArray) forms = column_sample (store, "SELECT id FROM form LIMIT 1");
  g_autoptr (GArray)    mark_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray)    save_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree char      *mark_label = g_strdup_printf ("mark attendance (%s)", label);
  g_autofree char      *save_label = g_strdup_printf ("save a submission (%s)", label);

  for (guint i = 0; i < samples; i++)
    {
      g_auto (GStrv) pair
          = g_strsplit (g_ptr_array_index (marks, g_rand_int_range (rand, 0, marks->len)), " ", 2);
      static const char    *statuses[] = { "present", "late", "absent", "excused" };
      g_autoptr (DftRecord) mark = NULL;
      g_autoptr (DftRecord) sub = dft_record_new_for_entity (&dft_entity_submission);
      gint64                t0 = g_get_monotonic_time ();
      double                ms;

      mark = dft_store_mark_attendance (store, pair[0], pair[1], statuses[i % 4], NULL, &error);
      check (mark != NULL, error);
      ms = (g_get_monotonic_time () - t0) / 1000.0;
      g_array_append_val (mark_ms, ms);

      g_object_set (sub, "form-id", g_ptr_array_index (forms, 0), "status", "final", "answers",
                    "{\"l1\":5,\"l2\":4,\"liked\":\"Практические примеры\"}", NULL);
      t0 = g_get_monotonic_time ();
      check (dft_store_save (store, sub, &error), error);
      ms = (g_get_monotonic_time () - t0) / 1000.0;
      g_array_append_val (save_ms, ms);
    }
  report (mark_label, mark_ms, 2);
  report (save_label, save_ms, 2);
}

/*
 * The list a search fills shows a screenful; the store returns the first 100
 * matches, sorted. Asking for every match of a common first name (a few
 * thousand among 100,000 people) is measured too, as the worst case.
 */
static void
measure_search (DftStore *store, guint samples)
{
  /* What a trainer types: the name in its own script, and a Latin spelling of it. */
  static const char *queries[][3] = {
    { "Cyrillic, typed as is", "Айбек", "Токтогулов" },
    { "Cyrillic, typed in Latin", "aibek", "toktogulov" },
    { "Latin", "Neema", "kimaro" },
    { "Georgian, typed as is", "გიორგი", "ბერიძე" },
    { "Georgian, typed in Latin", "giorgi", "beridze" },
    { "Arabic script, typed as is", "عائشہ", "خان" },
  };

  for (guint q = 0; q < G_N_ELEMENTS (queries); q++)
    {
      g_autoptr (GArray) ms = g_array_new (FALSE, FALSE, sizeof (double));
      g_autofree char   *label = g_strdup_printf ("search: %s", queries[q][0]);
      guint              found = 0;

      for (guint i = 0; i < samples; i++)
        {
          g_autoptr (GError) error = NULL;
          const char        *text = queries[q][1 + i % 2];
          /* Search as you type: every prefix of the name, then the whole name. */
          glong            len = g_utf8_strlen (text, -1);
          g_autofree char *prefix
              = g_utf8_substring (text, 0, MAX (2, 2 + (glong) (i % (guint) MAX (1, len - 1))));
          gint64                t0 = g_get_monotonic_time ();
          g_autoptr (GPtrArray) rows = dft_store_find_people (store, prefix, 100, &error);
          double                t = (g_get_monotonic_time () - t0) / 1000.0;

          check (rows != NULL, error);
          found += rows->len;
          g_array_append_val (ms, t);
        }
      report (label, ms, 20);
      if (found == 0)
        printf ("  (found nobody: the search is broken for this script)\n");
    }

  {
    g_autoptr (GArray) ms = g_array_new (FALSE, FALSE, sizeof (double));
    guint              found = 0;

    for (guint i = 0; i < samples / 5 + 1; i++)
      {
        g_autoptr (GError)    error = NULL;
        gint64                t0 = g_get_monotonic_time ();
        g_autoptr (GPtrArray) rows = dft_store_find_people (store, "aibek", 0, &error);
        double                t = (g_get_monotonic_time () - t0) / 1000.0;

        check (rows != NULL, error);
        found = rows->len;
        g_array_append_val (ms, t);
      }
    printf ("  every match of \"aibek\": %u people\n", found);
    report ("search: all matches, no limit", ms, 20);
  }
}

/*
 * The floor under every save: plain SQLite committing a one-row INSERT in WAL
 * mode on the same disk, with the same synchronous setting. Daftari's saves
 * cannot be faster than this.
 */
static void
measure_raw_commit (const char *near, guint samples)
{
  const char      *modes[] = { "FULL", "NORMAL" };
  g_autofree char *dir = g_path_get_dirname (near);
  g_autofree char *path = g_build_filename (dir, "daftari-bench-raw.db", NULL);

  for (guint m = 0; m < G_N_ELEMENTS (modes); m++)
    {
      g_autoptr (GArray) ms = g_array_new (FALSE, FALSE, sizeof (double));
      g_autofree char   *label = g_strdup_printf ("plain SQLite 1-row commit (%s)", modes[m]);
      g_autofree char   *pragma
          = g_strdup_printf ("PRAGMA journal_mode = WAL; PRAGMA synchronous = %s;"
                             "CREATE TABLE IF NOT EXISTS t (v TEXT);",
                             modes[m]);
      sqlite3 *db = NULL;

      sqlite3_open (path, &db);
      sqlite3_exec (db, pragma, NULL, NULL, NULL);
      for (guint i = 0; i < samples; i++)
        {
          gint64 t0 = g_get_monotonic_time ();
          double t;

          sqlite3_exec (db, "BEGIN IMMEDIATE; INSERT INTO t VALUES ('present'); COMMIT;", NULL,
                        NULL, NULL);
          t = (g_get_monotonic_time () - t0) / 1000.0;
          g_array_append_val (ms, t);
        }
      sqlite3_close (db);
      report (label, ms, 2);
    }
  {
    const char *suffixes[] = { "", "-wal", "-shm" };
    for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
      {
        g_autofree char *f = g_strconcat (path, suffixes[i], NULL);
        g_unlink (f);
      }
  }
}

static void
measure_open (const char *path, guint samples)
{
  g_autoptr (GArray) ms = g_array_new (FALSE, FALSE, sizeof (double));

  for (guint i = 0; i < samples; i++)
    {
      g_autoptr (GError)   error = NULL;
      gint64               t0 = g_get_monotonic_time ();
      g_autoptr (DftStore) store = dft_store_open (path, &error);
      double               t = (g_get_monotonic_time () - t0) / 1000.0;

      check (store != NULL, error);
      g_array_append_val (ms, t);
    }
  report ("open the store", ms, 100);
}

int
main (int argc, char *argv[])
{
  g_autoptr (GError)         error = NULL;
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (DftStore)       store = NULL;
  g_autoptr (GRand)          rand = g_rand_new_with_seed (2026);
  g_autofree char           *path = NULL;
  gboolean                   rebuild = FALSE;
  int                        people = 100000, samples = 500;
  const GOptionEntry         entries[]
      = { { "db", 0, 0, G_OPTION_ARG_FILENAME, &path, "Store to build or reuse", "FILE" },
          { "rebuild", 0, 0, G_OPTION_ARG_NONE, &rebuild, "Build the store again", NULL },
          { "people", 0, 0, G_OPTION_ARG_INT, &people, "People in the store (default 100000)",
            "N" },
          { "samples", 0, 0, G_OPTION_ARG_INT, &samples,
            "Timed operations per figure (default 500)", "N" },
          { NULL } };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    g_error ("%s", error->message);
  if (path == NULL)
    path = g_strdup ("/tmp/daftari-bench.db");

  if (rebuild)
    {
      const char *suffixes[] = { "", "-wal", "-shm" };
      for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
        {
          g_autofree char *f = g_strconcat (path, suffixes[i], NULL);
          g_unlink (f);
        }
    }

  store = dft_store_open (path, &error);
  check (store != NULL, error);
  if (count (store, "person") < people)
    {
      /* Building is bulk work: commit durability is not what is measured here. */
      sqlite3_exec (_dft_store_get_db (store), "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
      build (store, (guint) people, rand);
      sqlite3_exec (_dft_store_get_db (store),
                    "PRAGMA synchronous = FULL; PRAGMA wal_checkpoint (TRUNCATE);", NULL, NULL,
                    NULL);
    }

  printf ("Daftari store benchmark, %s\n", path);
  printf ("store: %" G_GINT64_FORMAT " people, %" G_GINT64_FORMAT
          " attendance marks, %" G_GINT64_FORMAT " submissions, %" G_GINT64_FORMAT
          " change-log entries; SQLite %s\n",
          count (store, "person"), count (store, "attendance"), count (store, "submission"),
          count (store, "change_log"), sqlite3_libversion ());

  measure_raw_commit (path, (guint) samples);
  measure_writes (store, rand, (guint) samples, "synchronous=FULL, the default");
  /* The same with commits not waiting for fsync: shows what the disk costs. */
  sqlite3_exec (_dft_store_get_db (store), "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
  measure_writes (store, rand, (guint) samples, "synchronous=NORMAL, for comparison");
  sqlite3_exec (_dft_store_get_db (store), "PRAGMA synchronous = FULL", NULL, NULL, NULL);
  measure_search (store, (guint) samples);
  g_clear_object (&store);
  measure_open (path, 50);
  return 0;
}
