/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dft-change-log.h"
#include "dft-db.h"
#include "dft-test-util.h"

static sqlite3 *
open_memory_log (void)
{
  g_autoptr (GError) error = NULL;
  sqlite3           *db = NULL;

  g_assert_cmpint (sqlite3_open (":memory:", &db), ==, SQLITE_OK);
  dft_db_exec (db, dft_change_log_schema_sql (), &error);
  g_assert_no_error (error);
  dft_db_exec (db, dft_change_log_schema_v4_sql (), &error);
  g_assert_no_error (error);
  return db;
}

static DftChange *
make_change (const char *record_id, const char *field, const char *value, DftHlcValue hlc)
{
  g_autoptr (JsonObject) fields = json_object_new ();
  DftChange             *change;

  json_object_set_string_member (fields, field, value);
  change = dft_change_new ("person", record_id, fields);
  change->device_id = g_strdup ("device-a");
  change->hlc = hlc;
  return change;
}

static void
test_change_log_append_read (void)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GPtrArray) after = NULL;
  sqlite3              *db = open_memory_log ();

  for (guint i = 0; i < 5; i++)
    {
      g_autofree char      *id = g_strdup_printf ("p%u", i);
      g_autoptr (DftChange) change
          = make_change (id, "given_name", "Айбек", dft_hlc_pack (1000 + i, 0));

      g_assert_true (dft_change_log_append (db, change, &error));
      g_assert_no_error (error);
      g_assert_cmpint (change->seq, ==, i + 1);
    }

  all = dft_change_log_read_since (db, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 5);

  after = dft_change_log_read_since (db, 3, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (after->len, ==, 2);
  {
    DftChange *c = g_ptr_array_index (after, 0);
    g_assert_cmpint (c->seq, ==, 4);
    g_assert_cmpstr (c->record_id, ==, "p3");
    g_assert_cmpstr (c->device_id, ==, "device-a");
    g_assert_cmpuint (c->hlc, ==, dft_hlc_pack (1003, 0));
    g_assert_cmpstr (json_object_get_string_member (c->fields, "given_name"), ==, "Айбек");
  }

  g_assert_cmpint (dft_change_log_last_seq (db, NULL), ==, 5);
  g_assert_cmpint (dft_change_log_count_for (db, "person", "p2", NULL), ==, 1);
  g_assert_cmpint (dft_change_log_count_for (db, "person", "nobody", NULL), ==, 0);
  sqlite3_close (db);
}

static void
test_change_log_limit (void)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) page = NULL;
  sqlite3              *db = open_memory_log ();

  for (guint i = 0; i < 10; i++)
    {
      g_autoptr (DftChange) change
          = make_change ("p", "agency", "Police", dft_hlc_pack (1000 + i, 0));
      g_assert_true (dft_change_log_append (db, change, NULL));
    }
  page = dft_change_log_read_since (db, 0, 4, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 4);
  sqlite3_close (db);
}

static void
test_change_log_clock_resumes (void)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftChange) change = make_change ("p", "agency", "Customs", dft_hlc_pack (50000, 9));
  sqlite3              *db = open_memory_log ();
  DftHlc                hlc = { 0 };

  g_assert_true (dft_change_log_load_clock (db, &hlc, &error));
  g_assert_cmpuint (hlc.last, ==, 0);

  g_assert_true (dft_change_log_append (db, change, NULL));
  g_assert_true (dft_change_log_load_clock (db, &hlc, &error));
  g_assert_cmpuint (hlc.last, ==, dft_hlc_pack (50000, 9));
  /* A wall clock set back to 1970 still gives a later value. */
  g_assert_cmpuint (dft_hlc_tick (&hlc, 10), >, dft_hlc_pack (50000, 9));

  /* A value received during sync counts too. */
  g_assert_true (dft_sync_state_set (db, "hlc", "99999999999", &error));
  g_assert_true (dft_change_log_load_clock (db, &hlc, &error));
  g_assert_cmpuint (hlc.last, ==, 99999999999);
  sqlite3_close (db);
}

static void
test_change_log_rejects_bad_json (void)
{
  sqlite3 *db = open_memory_log ();
  int      rc = sqlite3_exec (db,
                              "INSERT INTO change_log (hlc, device_id, entity, record_id, fields) "
                                   "VALUES (1, 'd', 'person', 'p', '{not json')",
                              NULL, NULL, NULL);

  g_assert_cmpint (rc & 0xff, ==, SQLITE_CONSTRAINT);
  sqlite3_close (db);
}

static void
test_sync_state (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *missing = NULL;
  g_autofree char   *value = NULL;
  sqlite3           *db = open_memory_log ();

  missing = dft_sync_state_get (db, "server", &error);
  g_assert_no_error (error);
  g_assert_null (missing);
  g_assert_true (dft_sync_state_set (db, "server", "https://a", &error));
  g_assert_true (dft_sync_state_set (db, "server", "https://b", &error));
  value = dft_sync_state_get (db, "server", &error);
  g_assert_cmpstr (value, ==, "https://b");
  sqlite3_close (db);
}

static DftChange *
change_from (const char *entity, const char *record_id, DftHlcValue hlc, const char *fields)
{
  g_autoptr (JsonNode) node = json_from_string (fields, NULL);
  DftChange           *change;

  g_assert_nonnull (node);
  change = dft_change_new (entity, record_id, json_node_get_object (node));
  change->hlc = hlc;
  return change;
}

/*
 * A device shows the server the digest of its last acknowledged change; the
 * server compares it with the one it holds under that name. The same change
 * written with its fields in another order (or nested members reordered) is
 * the same change; any other clock value, record or value is another.
 */
static void
test_change_digest (void)
{
  const char           *base = "{\"status\":\"present\",\"note\":{\"a\":1,\"b\":[true,null]}}";
  g_autoptr (DftChange) one = change_from ("attendance", "r1", 42, base);
  g_autoptr (DftChange) reordered = change_from (
      "attendance", "r1", 42, "{\"note\":{\"b\":[true,null],\"a\":1},\"status\":\"present\"}");
  g_autoptr (DftChange) value = change_from (
      "attendance", "r1", 42, "{\"status\":\"absent\",\"note\":{\"a\":1,\"b\":[true,null]}}");
  g_autoptr (DftChange) clock = change_from ("attendance", "r1", 43, base);
  g_autoptr (DftChange) record = change_from ("attendance", "r2", 42, base);
  g_autoptr (DftChange) entity = change_from ("person", "r1", 42, base);
  g_autoptr (DftChange) order = change_from (
      "attendance", "r1", 42, "{\"status\":\"present\",\"note\":{\"a\":1,\"b\":[null,true]}}");
  g_autofree char *digest = dft_change_digest (one);
  g_autofree char *same = dft_change_digest (reordered);
  DftChange       *others[] = { value, clock, record, entity, order };

  g_assert_cmpuint (strlen (digest), ==, 64);
  g_assert_cmpstr (digest, ==, same);
  for (guint i = 0; i < G_N_ELEMENTS (others); i++)
    {
      g_autofree char *other = dft_change_digest (others[i]);

      g_assert_cmpstr (digest, !=, other);
    }
}

int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);

  g_test_add_func ("/change-log/append-read", test_change_log_append_read);
  g_test_add_func ("/change-log/limit", test_change_log_limit);
  g_test_add_func ("/change-log/clock-resumes", test_change_log_clock_resumes);
  g_test_add_func ("/change-log/rejects-bad-json", test_change_log_rejects_bad_json);
  g_test_add_func ("/change-log/sync-state", test_sync_state);
  g_test_add_func ("/change-log/digest", test_change_digest);

  return g_test_run ();
}
