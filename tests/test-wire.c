/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "dft-change-log.h"
#include "dft-merge.h"
#include "dft-schema.h"
#include "dft-test-util.h"
#include "dft-wire.h"

#define DEV_A "0190aaaa-0000-4000-8000-00000000000a"
#define DEV_B "0190aaaa-0000-4000-8000-00000000000b"
#define REC   "0190aaaa-0000-7000-8000-000000000001"

static DftChange *
change (const char *device,
        gint64      origin,
        DftHlcValue hlc,
        const char *field,
        const char *value,
        const char *base)
{
  g_autoptr (JsonObject) fields = json_object_new ();
  DftChange             *c;

  json_object_set_string_member (fields, field, value);
  c = dft_change_new ("person", REC, fields);
  c->device_id = g_strdup (device);
  c->origin_seq = origin;
  c->hlc = hlc;
  if (base != NULL)
    {
      c->base = json_object_new ();
      json_object_set_string_member (c->base, field, base);
    }
  return c;
}

static void
test_wire_round_trip (void)
{
  g_autoptr (GPtrArray) changes = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
  g_autoptr (GPtrArray) back = NULL;
  g_autoptr (JsonObject) extra = json_object_new ();
  g_autoptr (JsonObject) top = NULL;
  g_autoptr (GBytes)     json = NULL;
  g_autoptr (GBytes)     gz = NULL;
  g_autoptr (GBytes)     plain = NULL;
  g_autoptr (GError)     error = NULL;

  g_ptr_array_add (changes, change (DEV_A, 1, 1000, "given_name", "Айбек", NULL));
  g_ptr_array_add (changes, change (DEV_B, 7, 2000, "given_name", "Aibek", "1000/" DEV_A));
  json_object_set_int_member (extra, "cursor", 42);

  json = dft_wire_encode_batch (changes, extra);
  /* Ids and devices are written once per batch, not once per change. */
  g_assert_nonnull (
      g_strstr_len (g_bytes_get_data (json, NULL), (gssize) g_bytes_get_size (json), "\"ids\""));
  gz = dft_wire_gzip (json);
  plain = dft_wire_gunzip (gz, DFT_WIRE_MAX_JSON, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (plain, json));

  back = dft_wire_decode_batch (plain, &top, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->len, ==, 2);
  g_assert_cmpint (json_object_get_int_member (top, "cursor"), ==, 42);
  g_assert_cmpstr (json_object_get_string_member (top, "server"), ==, "daftari");
  {
    DftChange *b = g_ptr_array_index (back, 1);
    g_assert_cmpstr (b->device_id, ==, DEV_B);
    g_assert_cmpint (b->origin_seq, ==, 7);
    g_assert_cmpuint (b->hlc, ==, 2000);
    g_assert_cmpstr (b->record_id, ==, REC);
    g_assert_cmpstr (json_object_get_string_member (b->fields, "given_name"), ==, "Aibek");
    g_assert_cmpstr (json_object_get_string_member (b->base, "given_name"), ==, "1000/" DEV_A);
  }
}

static void
expect_invalid (const char *json, const char *fragment)
{
  g_autoptr (GBytes)    bytes = g_bytes_new (json, strlen (json));
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) changes = dft_wire_decode_batch (bytes, NULL, &error);

  g_assert_null (changes);
  g_assert_error (error, DFT_WIRE_ERROR, DFT_WIRE_ERROR_INVALID);
  if (fragment != NULL && strstr (error->message, fragment) == NULL)
    g_error ("“%s” does not mention “%s”", error->message, fragment);
}

static void
test_wire_refuses (void)
{
  expect_invalid ("<html><body>Sign in to the hotel Wi-Fi</body></html>", "JSON");
  expect_invalid ("[]", NULL);
  /* Found by fuzzing (tests/fuzz/crashes/wire/): an empty body, and a value before or after
   * the batch, which json-glib would take, keeping the first and leaking the others. */
  expect_invalid ("", "JSON");
  expect_invalid ("{\"devices\": [], \"ids\": [], \"changes\": []} {}", "JSON");
  expect_invalid ("4{\"devices\": [], \"ids\": [], \"changes\": []}", "JSON");
  expect_invalid ("{\"devices\": [], \"ids\": []}", "changes");
  expect_invalid ("{\"devices\": [\"not-a-uuid\"], \"ids\": [], \"changes\": []}", NULL);
  /* A NUL inside a name would cut it short: refused. An escaped backslash before "u0000" is
   * text, not a NUL. */
  expect_invalid ("{\"devices\": [\"" DEV_A "\"], \"ids\": [\"" REC "\"], \"changes\": [{\"d\": 0, "
                  "\"s\": 1, \"h\": 5, \"e\": \"person\", \"r\": 0, \"f\": {\"given_name\": "
                  "\"Ai\\u0000bek\"}}]}",
                  "NUL");
  {
    const char *escaped_backslash = "{\"a\": \"\\\\u0000\"}";
    const char *nul = "{\"a\": \"\\u0000\"}";

    g_assert_false (dft_wire_json_has_nul (escaped_backslash, strlen (escaped_backslash)));
    g_assert_true (dft_wire_json_has_nul (nul, strlen (nul)));
  }
  /* json-glib 1.6 reads an octal escape, an unknown escape or half a surrogate pair into a
   * string that is not UTF-8, which could never be encoded again (found by fuzz-wire): each is
   * refused, while a real pair and every escape JSON has are read. */
  {
    const char *bad[]
        = { "\\651", "\\q", "\\x41", "\\udc00", "\\ud800x", "\\ud800\\u0041", "\\u12x" };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autofree char *json = g_strdup_printf (
            "{\"devices\": [\"" DEV_A "\"], \"ids\": [\"" REC "\"], \"changes\": [{\"d\": 0, "
            "\"s\": 1, \"h\": 5, \"e\": \"person\", \"r\": 0, \"f\": {\"given_name\": "
            "\"Ai%sbek\"}}]}",
            bad[i]);

        g_test_message ("escape %s", bad[i]);
        expect_invalid (json, "UTF-8");
      }
    g_assert_true (dft_wire_json_strict ("{\"a\": \"\\\" \\\\ \\/ \\b \\f \\n \\r \\t "
                                         "\\u0041 \\ud83d\\ude00\"}",
                                         strlen ("{\"a\": \"\\\" \\\\ \\/ \\b \\f \\n \\r "
                                                 "\\t \\u0041 \\ud83d\\ude00\"}")));
    g_assert_false (dft_wire_json_strict ("{\"a\": \"\xff\"}", 8));
  }
  /* Record ids are UUIDs: a path or anything else is refused before it reaches a table. */
  expect_invalid ("{\"devices\": [\"" DEV_A "\"], \"ids\": [\"../../etc/passwd\"], "
                  "\"changes\": [{\"d\": 0, \"s\": 1, \"h\": 5, \"e\": \"event\", \"r\": 0, "
                  "\"f\": {}}]}",
                  "not an id");
  /* Index out of range, wrong types, unknown member, unknown entity, nested value. */
  expect_invalid ("{\"devices\": [\"" DEV_A "\"], \"ids\": [\"" REC
                  "\"], \"changes\": [{\"d\": 1, \"s\": 1, "
                  "\"h\": 5, \"e\": \"person\", \"r\": 0, \"f\": {}}]}",
                  "change 1");
  expect_invalid ("{\"devices\": [\"" DEV_A "\"], \"ids\": [\"" REC
                  "\"], \"changes\": [{\"d\": 0, \"s\": \"1\", "
                  "\"h\": 5, \"e\": \"person\", \"r\": 0, \"f\": {}}]}",
                  "change 1");
  expect_invalid ("{\"devices\": [\"" DEV_A "\"], \"ids\": [\"" REC
                  "\"], \"changes\": [{\"d\": 0, \"s\": 1, "
                  "\"h\": 5, \"e\": \"person\", \"r\": 0, \"f\": {}, \"x\": 1}]}",
                  "change 1");
  expect_invalid ("{\"devices\": [\"" DEV_A "\"], \"ids\": [\"" REC
                  "\"], \"changes\": [{\"d\": 0, \"s\": 1, "
                  "\"h\": 5, \"e\": \"weapon\", \"r\": 0, \"f\": {}}]}",
                  "unknown kind");
  expect_invalid ("{\"devices\": [\"" DEV_A "\"], \"ids\": [\"" REC
                  "\"], \"changes\": [{\"d\": 0, \"s\": 1, "
                  "\"h\": 5, \"e\": \"person\", \"r\": 0, \"f\": {\"given_name\": {\"a\": 1}}}]}",
                  "change 1");
}

/* Deltas that would overflow a 64-bit sum are refused before any arithmetic: a sanitizer build
 * of the server used to exit on them, and a release build refused them only by luck. */
static void
test_wire_delta_overflow (void)
{
  static const char *const pairs[][2] = {
    { "\"s\": 5, \"h\": 5", "\"s\": 9223372036854775807, \"h\": 1" },
    { "\"s\": 9223372036854775807, \"h\": 5", "\"s\": 1, \"h\": 1" },
    { "\"s\": 5, \"h\": 5", "\"s\": -9223372036854775807, \"h\": 1" },
    { "\"s\": 5, \"h\": 9223372036854775807", "\"s\": 1, \"h\": 1" },
    { "\"s\": 5, \"h\": 5", "\"s\": 1, \"h\": 9223372036854775807" },
    { "\"s\": 5, \"h\": 5", "\"s\": 1, \"h\": -9223372036854775808" },
    { "\"s\": -9223372036854775808, \"h\": 5", "\"s\": 1, \"h\": 1" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (pairs); i++)
    {
      g_autofree char *json
          = g_strdup_printf ("{\"devices\": [\"" DEV_A "\"], \"ids\": [\"" REC "\"], \"changes\": ["
                             "{\"d\": 0, %s, \"e\": \"person\", \"r\": 0, \"f\": {}},"
                             "{\"d\": 0, %s, \"e\": \"person\", \"r\": 0, \"f\": {}}]}",
                             pairs[i][0], pairs[i][1]);

      expect_invalid (json, "change");
    }
}

static void
test_wire_too_deep (void)
{
  /* A few kilobytes of "[" would overflow a parser's stack: refused before parsing. */
  g_autofree char      *deep = g_strnfill (200000, '[');
  g_autoptr (GBytes)    bytes = g_bytes_new_take (g_steal_pointer (&deep), 200000);
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) changes = dft_wire_decode_batch (bytes, NULL, &error);

  g_assert_null (changes);
  g_assert_error (error, DFT_WIRE_ERROR, DFT_WIRE_ERROR_INVALID);
  {
    const char *nested = "{\"a\": [[\"[[[[\"]]}";
    g_assert_true (dft_wire_json_depth_ok (nested, strlen (nested), 3));
  }
  g_assert_false (dft_wire_json_depth_ok ("[[[[]]]]", 8, 3));
}

static void
test_wire_gzip_limits (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *zeros = g_malloc0 (8 * 1024 * 1024);
  g_autoptr (GBytes) big = g_bytes_new_take (g_steal_pointer (&zeros), 8 * 1024 * 1024);
  g_autoptr (GBytes) bomb = dft_wire_gzip (big);
  g_autoptr (GBytes) out = NULL;
  g_autoptr (GBytes) junk = g_bytes_new_static ("not gzip at all", 15);

  /* Eight megabytes of zeros shrink to a few kilobytes: refused past the limit. */
  g_assert_cmpuint (g_bytes_get_size (bomb), <, 64 * 1024);
  out = dft_wire_gunzip (bomb, 1024 * 1024, &error);
  g_assert_null (out);
  g_assert_error (error, DFT_WIRE_ERROR, DFT_WIRE_ERROR_TOO_LARGE);
  g_clear_error (&error);
  out = dft_wire_gunzip (junk, 1024, &error);
  g_assert_null (out);
  g_assert_error (error, DFT_WIRE_ERROR, DFT_WIRE_ERROR_INVALID);
  g_clear_error (&error);

  /* Found by fuzzing (tests/fuzz/crashes/wire/): bytes after the end of the gzip stream. */
  {
    g_autoptr (GBytes)     packed = dft_wire_gzip (junk);
    g_autoptr (GByteArray) trailing = g_byte_array_new ();

    g_byte_array_append (trailing, g_bytes_get_data (packed, NULL),
                         (guint) g_bytes_get_size (packed));
    g_byte_array_append (trailing, (const guint8 *) "x", 1);
    g_clear_pointer (&packed, g_bytes_unref);
    packed = g_bytes_new (trailing->data, trailing->len);
    out = dft_wire_gunzip (packed, 1024, &error);
    g_assert_null (out);
    g_assert_error (error, DFT_WIRE_ERROR, DFT_WIRE_ERROR_INVALID);
  }
}

static void
test_merge_rule (void)
{
  DftVersion none = { 0 };
  DftVersion v1 = { 1000, (char *) DEV_A };
  DftVersion v2 = { 2000, (char *) DEV_B };
  DftVersion v2_other = { 2000, (char *) DEV_A };
  gboolean   conflict;

  /* Nothing held: take it. */
  g_assert_cmpint (dft_merge_field (&none, &none, &v1, &none, FALSE, &conflict), ==,
                   DFT_MERGE_TAKE);
  g_assert_false (conflict);
  /* The same change again: keep, no conflict. */
  g_assert_cmpint (dft_merge_field (&v1, &none, &v1, &none, TRUE, &conflict), ==, DFT_MERGE_KEEP);
  g_assert_false (conflict);
  /* The same version with another value: two copies of one database wrote in the same
   * millisecond; what arrives is what the server settled on, and every replica takes it. */
  g_assert_cmpint (dft_merge_field (&v1, &none, &v1, &none, FALSE, &conflict), ==, DFT_MERGE_TAKE);
  g_assert_false (conflict);
  /* A later write that had seen the held one: take, no conflict. */
  g_assert_cmpint (dft_merge_field (&v1, &none, &v2, &v1, FALSE, &conflict), ==, DFT_MERGE_TAKE);
  g_assert_false (conflict);
  /* A later write that had not: take, and the held value is a conflict. */
  g_assert_cmpint (dft_merge_field (&v1, &none, &v2, &none, FALSE, &conflict), ==, DFT_MERGE_TAKE);
  g_assert_true (conflict);
  /* ... unless both wrote the same value. */
  g_assert_cmpint (dft_merge_field (&v1, &none, &v2, &none, TRUE, &conflict), ==, DFT_MERGE_TAKE);
  g_assert_false (conflict);
  /* An older write arriving late: keep; a conflict unless the held one had seen it. */
  g_assert_cmpint (dft_merge_field (&v2, &none, &v1, &none, FALSE, &conflict), ==, DFT_MERGE_KEEP);
  g_assert_true (conflict);
  g_assert_cmpint (dft_merge_field (&v2, &v1, &v1, &none, FALSE, &conflict), ==, DFT_MERGE_KEEP);
  g_assert_false (conflict);
  /* Same clock value: the device id breaks the tie, the same way everywhere. */
  g_assert_cmpint (dft_merge_field (&v2_other, &none, &v2, &none, FALSE, &conflict), ==,
                   DFT_MERGE_TAKE);
  g_assert_cmpint (dft_merge_field (&v2, &none, &v2_other, &none, FALSE, &conflict), ==,
                   DFT_MERGE_KEEP);
}

static void
test_version_text (void)
{
  g_auto (DftVersion) v = { 0 };
  g_autofree char    *text = NULL;

  g_assert_true (dft_version_parse ("1234/" DEV_A, &v));
  g_assert_cmpuint (v.hlc, ==, 1234);
  g_assert_cmpstr (v.device, ==, DEV_A);
  text = dft_version_format (&v);
  g_assert_cmpstr (text, ==, "1234/" DEV_A);
  dft_version_clear (&v);
  g_assert_false (dft_version_parse ("abc/" DEV_A, &v));
  g_assert_false (dft_version_parse ("1234", &v));
  g_assert_false (dft_version_parse (NULL, &v));
}

/* A change for every kind of record the register has crosses the wire (merges of people were
 * refused as "an unknown kind of record" by every server). */
static void
test_wire_every_entity (void)
{
  g_autoptr (GPtrArray) changes = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
  g_autoptr (GPtrArray) back = NULL;
  g_autoptr (GBytes)    json = NULL;
  g_autoptr (GError)    error = NULL;
  const DftEntity     **entities;
  guint                 n;

  entities = dft_entity_all (&n);
  for (guint i = 0; i < n; i++)
    {
      DftChange *c = change (DEV_A, i + 1, 1000 + i, entities[i]->fields[0].name, "x", NULL);

      g_free (c->entity);
      c->entity = g_strdup (entities[i]->name);
      g_ptr_array_add (changes, c);
    }
  json = dft_wire_encode_batch (changes, NULL);
  back = dft_wire_decode_batch (json, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->len, ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpstr (((DftChange *) g_ptr_array_index (back, i))->entity, ==, entities[i]->name);
}

int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);

  g_test_add_func ("/wire/round-trip", test_wire_round_trip);
  g_test_add_func ("/wire/refuses", test_wire_refuses);
  g_test_add_func ("/wire/every-entity", test_wire_every_entity);
  g_test_add_func ("/wire/gzip-limits", test_wire_gzip_limits);
  g_test_add_func ("/wire/too-deep", test_wire_too_deep);
  g_test_add_func ("/wire/delta-overflow", test_wire_delta_overflow);
  g_test_add_func ("/merge/rule", test_merge_rule);
  g_test_add_func ("/merge/version-text", test_version_text);

  return g_test_run ();
}
