/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The column format (sync/PROTOCOL.md, "The column format"): batches come back exactly, and
 * every malformed, truncated, oversized or foreign frame is refused with an error.
 *
 * DAFTARI_WIRE_SEED=N repeats the random byte flips of /wire-cols/flips.
 */
#include "config.h"

#include <string.h>
#include <zstd.h>

#include "dft-change-log.h"
#include "dft-test-util.h"
#include "dft-wire-cols.h"
#include "dft-wire.h"

#define DEV_A "0190aaaa-0000-4000-8000-00000000000a"
#define DEV_B "0190AAAA-0000-4000-8000-00000000000B" /* upper case: sent as text, kept so */
#define REC_1 "0190aaaa-0000-7000-8000-000000000001"
#define REC_2 "0190aaaa-0000-7000-8000-000000000002"
#define REC_U "0190AAAA-0000-7000-8000-0000000000Ff"

static DftChange *
new_change (const char *entity, const char *record, const char *device, gint64 seq, guint64 hlc)
{
  DftChange *c = dft_change_new (entity, record, NULL);

  c->device_id = g_strdup (device);
  c->origin_seq = seq;
  c->hlc = hlc;
  return c;
}

/* Field by field and in order: a JSON object's members keep theirs. */
static void
assert_objects_equal (JsonObject *a, JsonObject *b)
{
  g_autoptr (GList) an = NULL;
  g_autoptr (GList) bn = NULL;

  if (a == NULL || b == NULL)
    {
      g_assert_true (a == b);
      return;
    }
  an = json_object_get_members (a);
  bn = json_object_get_members (b);
  g_assert_cmpuint (g_list_length (an), ==, g_list_length (bn));
  for (GList *l = an, *m = bn; l != NULL; l = l->next, m = m->next)
    {
      JsonNode *x = json_object_get_member (a, l->data);
      JsonNode *y = json_object_get_member (b, m->data);

      g_assert_cmpstr (l->data, ==, m->data);
      g_assert_cmpint (json_node_get_node_type (x), ==, json_node_get_node_type (y));
      if (JSON_NODE_HOLDS_VALUE (x))
        {
          g_assert_true (json_node_get_value_type (x) == json_node_get_value_type (y));
          if (json_node_get_value_type (x) == G_TYPE_DOUBLE)
            {
              double dx = json_node_get_double (x), dy = json_node_get_double (y);

              /* Bit for bit: -0.0 stays -0.0. */
              g_assert_cmpmem (&dx, sizeof dx, &dy, sizeof dy);
              continue;
            }
        }
      g_assert_true (json_node_equal (x, y));
    }
}

static void
assert_changes_equal (GPtrArray *a, GPtrArray *b)
{
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    {
      DftChange *x = g_ptr_array_index (a, i);
      DftChange *y = g_ptr_array_index (b, i);

      g_assert_cmpstr (x->entity, ==, y->entity);
      g_assert_cmpstr (x->record_id, ==, y->record_id);
      g_assert_cmpstr (x->device_id, ==, y->device_id);
      g_assert_cmpint (x->origin_seq, ==, y->origin_seq);
      g_assert_cmpuint (x->hlc, ==, y->hlc);
      assert_objects_equal (x->fields, y->fields);
      assert_objects_equal (x->base, y->base);
    }
}

static GPtrArray *
round_trip (GPtrArray *changes, JsonObject *extra, JsonObject **top)
{
  g_autoptr (GBytes) frame = dft_wire_cols_encode (changes, extra);
  g_autoptr (GError) error = NULL;
  GPtrArray         *back;

  g_assert_true (dft_wire_cols_is_frame (frame));
  back = dft_wire_cols_decode (frame, 0, top, &error);
  g_assert_no_error (error);
  g_assert_nonnull (back);
  return back;
}

static GPtrArray *
sample_batch (void)
{
  GPtrArray *changes = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
  DftChange *c;

  c = new_change ("person", REC_1, DEV_A, 1, 1000 << 16);
  json_object_set_string_member (c->fields, "given_name", "Айбек");
  json_object_set_string_member (c->fields, "family_name", "");
  json_object_set_int_member (c->fields, "age", 41);
  json_object_set_int_member (c->fields, "min", G_MININT64);
  json_object_set_int_member (c->fields, "max", G_MAXINT64);
  json_object_set_double_member (c->fields, "score", 0.1);
  json_object_set_double_member (c->fields, "negative_zero", -0.0);
  json_object_set_double_member (c->fields, "tiny", 4.9e-324);
  json_object_set_boolean_member (c->fields, "consent", TRUE);
  json_object_set_boolean_member (c->fields, "deleted", FALSE);
  json_object_set_null_member (c->fields, "email");
  g_ptr_array_add (changes, c);

  /* Another device, ids as values (one the batch holds, one it does not, one upper case), a
   * base whose clock is before and one after the change's, a base from a third device. */
  c = new_change ("attendance", REC_U, DEV_B, 7, (1000 << 16) + 3);
  json_object_set_string_member (c->fields, "person_id", REC_1);
  json_object_set_string_member (c->fields, "session_id", REC_2);
  json_object_set_string_member (c->fields, "other", REC_U);
  json_object_set_string_member (c->fields, "status", "present");
  c->base = json_object_new ();
  json_object_set_string_member (c->base, "status", "65536000/" DEV_A);
  json_object_set_string_member (c->base, "person_id",
                                 "18446744073709551615/0190aaaa-0000-4000-8000-00000000000c");
  g_ptr_array_add (changes, c);

  /* Deltas as large as they get, going back and forth; no fields at all. */
  c = new_change ("event", REC_2, DEV_A, G_MAXINT64, G_MAXINT64);
  g_ptr_array_add (changes, c);
  c = new_change ("event", REC_2, DEV_A, 1, 1);
  g_ptr_array_add (changes, c);
  c = new_change ("person_distinct", REC_1, DEV_B, 2, G_MAXINT64 - 1);
  json_object_set_string_member (c->fields, "note", "a \"quoted\" \\ line\nwith 🙂");
  g_ptr_array_add (changes, c);
  return changes;
}

static void
test_round_trip (void)
{
  g_autoptr (GPtrArray)  changes = sample_batch ();
  g_autoptr (GPtrArray)  back = NULL;
  g_autoptr (GPtrArray)  via_json = NULL;
  g_autoptr (JsonObject) extra = json_object_new ();
  g_autoptr (JsonObject) top = NULL;
  g_autoptr (GBytes)     json = NULL;
  g_autoptr (GError)     error = NULL;

  json_object_set_int_member (extra, "cursor", 42);
  json_object_set_boolean_member (extra, "more", TRUE);
  json_object_set_string_member (extra, "epoch", "e1");
  {
    JsonArray  *set_aside = json_array_new ();
    JsonObject *item = json_object_new ();
    JsonObject *keys = json_object_new ();

    json_object_set_int_member (item, "seq", 3);
    json_object_set_string_member (item, "reason", "forbidden");
    json_array_add_object_element (set_aside, item);
    json_object_set_array_member (extra, "set_aside", set_aside);
    json_object_set_string_member (keys, DEV_A, "a2V5");
    json_object_set_object_member (extra, "device_keys", keys);
  }

  back = round_trip (changes, extra, &top);
  assert_changes_equal (changes, back);
  assert_objects_equal (extra, top);
  /* The same batch through JSON comes back the same, but for the first change: JSON writes a
   * double without a fraction as an integer, which the columns keep a double. */
  json = dft_wire_encode_batch (changes, NULL);
  via_json = dft_wire_decode_batch (json, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 1; i < back->len; i++)
    {
      g_autofree char *a = dft_change_digest (g_ptr_array_index (back, i));
      g_autofree char *b = dft_change_digest (g_ptr_array_index (via_json, i));

      g_assert_cmpstr (a, ==, b);
    }
}

/* A reply with no changes: only its members. */
static void
test_empty (void)
{
  g_autoptr (GPtrArray)  none = g_ptr_array_new ();
  g_autoptr (GPtrArray)  back = NULL;
  g_autoptr (JsonObject) extra = json_object_new ();
  g_autoptr (JsonObject) top = NULL;
  g_autoptr (GBytes)     frame = NULL;

  json_object_set_int_member (extra, "acked", 12);
  back = round_trip (none, extra, &top);
  g_assert_cmpuint (back->len, ==, 0);
  assert_objects_equal (extra, top);
  g_clear_pointer (&back, g_ptr_array_unref);
  g_clear_pointer (&top, json_object_unref);

  back = round_trip (NULL, NULL, &top);
  g_assert_cmpuint (back->len, ==, 0);
  g_assert_cmpuint (json_object_get_size (top), ==, 0);

  frame = dft_wire_cols_encode (none, extra);
  g_assert_cmpuint (g_bytes_get_size (frame), <, 40);
}

/* Every kind of record, and no other. */
static void
test_every_entity (void)
{
  g_autoptr (GPtrArray) changes = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
  g_autoptr (GPtrArray) back = NULL;

  for (guint i = 0; dft_wire_entities[i] != NULL; i++)
    g_ptr_array_add (changes, new_change (dft_wire_entities[i], REC_1, DEV_A, i + 1, 1000 + i));
  back = round_trip (changes, NULL, NULL);
  assert_changes_equal (changes, back);
}

static void
expect_error (GBytes *frame, guint max_changes, int code, const char *fragment)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (JsonObject) top = NULL;
  g_autoptr (GPtrArray)  changes = dft_wire_cols_decode (frame, max_changes, &top, &error);

  g_assert_null (changes);
  g_assert_null (top);
  g_assert_error (error, DFT_WIRE_ERROR, code);
  if (fragment != NULL && strstr (error->message, fragment) == NULL)
    g_error ("“%s” does not mention “%s”", error->message, fragment);
}

/* What a record id that is not a UUID becomes: it goes out as it is, and is refused as JSON's
 * decoder refuses it, before it can reach a table. The encoder sends what it is given; the
 * receiver judges. */
static void
test_non_uuid_id (void)
{
  g_autoptr (GPtrArray) changes = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
  g_autoptr (GBytes)    frame = NULL;

  g_ptr_array_add (changes, new_change ("event", "../../etc/passwd", DEV_A, 1, 5));
  frame = dft_wire_cols_encode (changes, NULL);
  expect_error (frame, 0, DFT_WIRE_ERROR_INVALID, "not an id");
  g_ptr_array_set_size (changes, 0);
  g_ptr_array_add (changes, new_change ("event", REC_1, "not-a-device", 1, 5));
  g_clear_pointer (&frame, g_bytes_unref);
  frame = dft_wire_cols_encode (changes, NULL);
  expect_error (frame, 0, DFT_WIRE_ERROR_INVALID, "not an id");

  /* So are a kind of record no receiver knows and a value that is an object, as in JSON. */
  g_ptr_array_set_size (changes, 0);
  g_ptr_array_add (changes, new_change ("weapon", REC_1, DEV_A, 1, 5));
  g_clear_pointer (&frame, g_bytes_unref);
  frame = dft_wire_cols_encode (changes, NULL);
  expect_error (frame, 0, DFT_WIRE_ERROR_INVALID, "unknown kind");
  g_ptr_array_set_size (changes, 0);
  g_ptr_array_add (changes, new_change ("event", REC_1, DEV_A, 1, 5));
  json_object_set_object_member (((DftChange *) g_ptr_array_index (changes, 0))->fields, "title",
                                 json_object_new ());
  g_clear_pointer (&frame, g_bytes_unref);
  frame = dft_wire_cols_encode (changes, NULL);
  expect_error (frame, 0, DFT_WIRE_ERROR_INVALID, "change 1");
}

/* ---- Frames made by hand ---- */

/* Our magic and @version, then the zstd frame @zstd without zstd's magic number. */
static GBytes *
wrap (const guint8 *zstd, gsize size, guint8 version)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  const guint8           header[] = { 0xDA, 0xF7, version };

  g_assert_cmpuint (size, >, 4);
  g_assert_cmpmem (zstd, 4, "\x28\xb5\x2f\xfd", 4);
  g_byte_array_append (out, header, sizeof header);
  g_byte_array_append (out, zstd + 4, (guint) size - 4);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static GBytes *
compress_with (GBytes *payload, const void *dict, gsize dict_size, guint8 version)
{
  gsize              size;
  const void        *data = g_bytes_get_data (payload, &size);
  gsize              bound = ZSTD_compressBound (size);
  g_autofree guint8 *zstd = g_malloc (bound);
  ZSTD_CCtx         *cctx = ZSTD_createCCtx ();
  size_t             n;

  n = ZSTD_compress_usingDict (cctx, zstd, bound, data, size, dict, dict_size, 1);
  ZSTD_freeCCtx (cctx);
  g_assert_false (ZSTD_isError (n));
  return wrap (zstd, n, version);
}

/* A frame holding @payload, compressed as the encoder does. */
static GBytes *
frame_of (GBytes *payload)
{
  g_autoptr (GBytes) dict = _dft_wire_cols_dictionary (NULL);

  return compress_with (payload, g_bytes_get_data (dict, NULL), g_bytes_get_size (dict), 1);
}

static void
put (GByteArray *out, guint64 v)
{
  do
    {
      guint8 b = (guint8) ((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));

      g_byte_array_append (out, &b, 1);
      v >>= 7;
    }
  while (v != 0);
}

static void
put_raw (GByteArray *out, const char *bytes, gsize len)
{
  g_byte_array_append (out, (const guint8 *) bytes, (guint) len);
}

static void
put_text_id (GByteArray *out, const char *id)
{
  guint8 kind = (guint8) (32 + strlen (id));

  g_byte_array_append (out, &kind, 1);
  put_raw (out, id, strlen (id));
}

/*
 * A payload of @n changes of one field each, "f" = 1, all of device DEV_A and record REC_1,
 * with each part replaceable: NULL takes the default. The parts follow PROTOCOL.md's order.
 * Parts are C strings, so no part holds a zero byte unless it says its length.
 */
typedef struct
{
  const char *entity, *device, *seq, *hlc, *record, *n_fields, *n_bases;
  const char *field_name, *tag, *base_name, *base_hlc, *base_device, *values;
  gsize       values_len; /* when @values holds NUL bytes */
  guint64     n, fields, bases;
  const char *names;   /* the name table, count first */
  const char *devices; /* the device table, count first */
  const char *tail;    /* after the values */
} Spec;

static GBytes *
payload_of (const Spec *s)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  /* As many names as the values and bases could use: "f" alone, or "g" and "f". */
  gboolean two_names = s->fields + s->bases >= 2;
  /* A count past the data has its columns cut short: the decoder must stop at the count. */
  guint64 n = MIN (s->n, 16);

  put (out, s->n);
  put (out, s->fields);
  put (out, s->bases);
  put (out, 0); /* no members */
  if (s->devices != NULL)
    put_raw (out, s->devices, strlen (s->devices));
  else if (s->n + s->bases < 2)
    {
      /* A table may hold no more entries than the changes could use. */
      put (out, 1);
      put_text_id (out, DEV_A);
    }
  else
    {
      put (out, 2);
      put_text_id (out, DEV_A);
      put_text_id (out, "0190aaaa-0000-4000-8000-00000000000c");
    }
  put (out, 2); /* ids */
  put_text_id (out, REC_1);
  put_text_id (out, REC_2);
  if (s->names != NULL)
    put_raw (out, s->names, strlen (s->names));
  else
    put_raw (out, two_names ? "\x02\x01g\x01\x66" : "\x01\x01\x66", two_names ? 5 : 3);
#define PART(field, each)                                                                          \
  if (s->field != NULL)                                                                            \
    put_raw (out, s->field, strlen (s->field));                                                    \
  else                                                                                             \
    for (guint64 i = 0; i < n; i++)                                                                \
      put_raw (out, each, 1);
  PART (entity, "\x02") /* person */
  PART (device, "\x00")
  PART (seq, "\x02") /* +1 */
  PART (hlc, "\x02") /* +1 */
  PART (record, "\x00")
  PART (n_fields, "\x01")
  PART (n_bases, "\x00")
  PART (field_name, two_names ? "\x01" : "\x00") /* "f" */
  PART (tag, "\x03")                             /* an integer */
  if (s->base_name != NULL)
    put_raw (out, s->base_name, strlen (s->base_name));
  if (s->base_hlc != NULL)
    put_raw (out, s->base_hlc, strlen (s->base_hlc));
  if (s->base_device != NULL)
    put_raw (out, s->base_device, strlen (s->base_device));
  if (s->values != NULL)
    put_raw (out, s->values, s->values_len > 0 ? s->values_len : strlen (s->values));
  else
    PART (values, "\x02") /* 1 */
  if (s->tail != NULL)
    put_raw (out, s->tail, strlen (s->tail));
#undef PART
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static void
expect_payload_at (int line, const Spec *s, int code, const char *fragment)
{
  g_autoptr (GBytes) payload = payload_of (s);
  g_autoptr (GBytes) frame = frame_of (payload);

  g_test_message ("case of line %d", line);
  expect_error (frame, 0, code, fragment);
}
#define expect_payload(...) expect_payload_at (__LINE__, __VA_ARGS__)

static void
test_hand_made (void)
{
  /* The defaults make a valid frame: what each case below breaks is its own part. */
  {
    Spec                  s = { .n = 2, .fields = 2 };
    g_autoptr (GBytes)    payload = payload_of (&s);
    g_autoptr (GBytes)    frame = frame_of (payload);
    g_autoptr (GError)    error = NULL;
    g_autoptr (GPtrArray) changes = dft_wire_cols_decode (frame, 0, NULL, &error);
    DftChange            *c;

    g_assert_no_error (error);
    g_assert_cmpuint (changes->len, ==, 2);
    c = g_ptr_array_index (changes, 1);
    g_assert_cmpstr (c->entity, ==, "person");
    g_assert_cmpint (c->origin_seq, ==, 2);
    g_assert_cmpint (json_object_get_int_member (c->fields, "f"), ==, 1);
  }

  /* Counts past the data, before anything is made for them. */
  expect_payload (&(Spec){ .n = G_MAXUINT32, .fields = 2 }, DFT_WIRE_ERROR_INVALID, "count");
  expect_payload (&(Spec){ .n = 2, .fields = G_MAXUINT64 }, DFT_WIRE_ERROR_INVALID, "count");
  expect_payload (&(Spec){ .n = 2, .fields = 2, .bases = 1u << 30 }, DFT_WIRE_ERROR_INVALID,
                  "count");
  expect_payload (&(Spec){ .n = 2, .fields = 2, .names = "\xff\xff\x03" }, DFT_WIRE_ERROR_INVALID,
                  "count");
  /* Tables larger than the changes could use. */
  expect_payload (&(Spec){ .n = 1,
                           .fields = 1,
                           .names = "\x03\x01g\x01"
                                    "f\x01h" },
                  DFT_WIRE_ERROR_INVALID, "count");
  expect_payload (&(Spec){ .n = 1, .fields = 0, .n_fields = "\x02", .devices = "\x03" },
                  DFT_WIRE_ERROR_INVALID, "count");
  /* A column shorter than its count, and counts that do not add up. */
  expect_payload (&(Spec){ .n = 2, .fields = 2, .record = "\x01" }, DFT_WIRE_ERROR_INVALID, NULL);
  expect_payload (&(Spec){ .n = 2, .fields = 3 }, DFT_WIRE_ERROR_INVALID, NULL);
  expect_payload (&(Spec){ .n = 2, .fields = 2, .n_fields = "\x01\x02" }, DFT_WIRE_ERROR_INVALID,
                  NULL);
  expect_payload (&(Spec){ .n = 2, .fields = 2, .tail = "\x05" }, DFT_WIRE_ERROR_INVALID, NULL);
  /* Bad varints: eleven bytes, a tenth byte past 64 bits, a needless zero byte. */
  expect_payload (
      &(Spec){ .n = 1, .fields = 1, .seq = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01" },
      DFT_WIRE_ERROR_INVALID, NULL);
  expect_payload (&(Spec){ .n = 1, .fields = 1, .hlc = "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02" },
                  DFT_WIRE_ERROR_INVALID, NULL);
  expect_payload (&(Spec){ .n = 1, .fields = 1, .values = "\x82\x00", .values_len = 2 },
                  DFT_WIRE_ERROR_INVALID, NULL);
  /* Indexes out of range: device, record, field name, kind of record, an id as a value, a
   * base's device. */
  expect_payload (&(Spec){ .n = 1, .fields = 1, .device = "\x02" }, DFT_WIRE_ERROR_INVALID,
                  "change 1");
  expect_payload (&(Spec){ .n = 1, .fields = 1, .record = "\x04" /* +2 */ }, DFT_WIRE_ERROR_INVALID,
                  "change 1");
  expect_payload (&(Spec){ .n = 1, .fields = 1, .field_name = "\x02" }, DFT_WIRE_ERROR_INVALID,
                  "change 1");
  expect_payload (&(Spec){ .n = 1, .fields = 1, .entity = "\x7f" }, DFT_WIRE_ERROR_INVALID,
                  "unknown kind");
  expect_payload (&(Spec){ .n = 1, .fields = 1, .tag = "\x06", .values = "\x04" /* +2 */ },
                  DFT_WIRE_ERROR_INVALID, "change 1");
  expect_payload (&(Spec){ .n = 1,
                           .fields = 1,
                           .bases = 1,
                           .n_bases = "\x01",
                           .base_name = "\x01",
                           .base_hlc = "\x02",
                           .base_device = "\x02" },
                  DFT_WIRE_ERROR_INVALID, "change 1");
  /* A valid base, for contrast, is read. */
  {
    Spec                  s = { .n = 1,
                                .fields = 1,
                                .bases = 1,
                                .n_bases = "\x01",
                                .base_name = "\x01",
                                .base_hlc = "\x01" /* -1 */,
                                .base_device = "\x01" };
    g_autoptr (GBytes)    payload = payload_of (&s);
    g_autoptr (GBytes)    frame = frame_of (payload);
    g_autoptr (GError)    error = NULL;
    g_autoptr (GPtrArray) changes = dft_wire_cols_decode (frame, 0, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (
        json_object_get_string_member (((DftChange *) g_ptr_array_index (changes, 0))->base, "f"),
        ==, "0/0190aaaa-0000-4000-8000-00000000000c");
  }
  /* Deltas whose sums overflow, or reach zero or below. */
  expect_payload (
      &(Spec){ .n = 2, .fields = 2, .seq = "\x02\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01" },
      DFT_WIRE_ERROR_INVALID, "change 2");
  expect_payload (
      &(Spec){ .n = 2, .fields = 2, .hlc = "\x02\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01" },
      DFT_WIRE_ERROR_INVALID, "change 2");
  expect_payload (&(Spec){ .n = 2, .fields = 2, .seq = "\x02\x01" }, DFT_WIRE_ERROR_INVALID,
                  "change 2");
  expect_payload (&(Spec){ .n = 1, .fields = 1, .hlc = "\x01" }, DFT_WIRE_ERROR_INVALID,
                  "change 1");
  /* Values: an unknown tag, a nested one, a string cut short, one not UTF-8, one holding NUL,
   * a NaN, one field twice. */
  expect_payload (&(Spec){ .n = 1, .fields = 1, .tag = "\x09" }, DFT_WIRE_ERROR_INVALID, NULL);
  expect_payload (&(Spec){ .n = 1, .fields = 1, .tag = "\x07" }, DFT_WIRE_ERROR_INVALID, NULL);
  expect_payload (&(Spec){ .n = 1,
                           .fields = 1,
                           .tag = "\x05",
                           .values = "\x05"
                                     "ab" },
                  DFT_WIRE_ERROR_INVALID, NULL);
  expect_payload (&(Spec){ .n = 1, .fields = 1, .tag = "\x05", .values = "\x02\xc3\x28" },
                  DFT_WIRE_ERROR_INVALID, NULL);
  expect_payload (&(Spec){ .n = 1,
                           .fields = 1,
                           .tag = "\x05",
                           .values = "\x03"
                                     "a\0b",
                           .values_len = 4 },
                  DFT_WIRE_ERROR_INVALID, NULL);
  expect_payload (&(Spec){ .n = 1,
                           .fields = 1,
                           .tag = "\x04",
                           .values = "\x00\x00\x00\x00\x00\x00\xf8\x7f",
                           .values_len = 8 },
                  DFT_WIRE_ERROR_INVALID, NULL);
  expect_payload (&(Spec){ .n = 1,
                           .fields = 2,
                           .n_fields = "\x02",
                           .field_name = "\x01\x01",
                           .tag = "\x03\x03",
                           .values = "\x02\x02" },
                  DFT_WIRE_ERROR_INVALID, "change 1");
  /* Table entries of a kind no encoder writes, cut short, or not an id. */
  expect_payload (&(Spec){ .n = 1, .fields = 1, .devices = "\x01\x10xxxxxxxxxxxxxxxx" },
                  DFT_WIRE_ERROR_INVALID, "not an id");
  expect_payload (&(Spec){ .n = 1, .fields = 1, .devices = "\x01\x61xxxxxxxxxxxxxxxx" },
                  DFT_WIRE_ERROR_INVALID, "not an id");
  expect_payload (&(Spec){ .n = 1, .fields = 1, .devices = "\x01\x35xxx" }, DFT_WIRE_ERROR_INVALID,
                  "not an id");
  expect_payload (&(Spec){ .n = 2, .fields = 2, .devices = "\x02\x01\x0f\x01" },
                  DFT_WIRE_ERROR_INVALID, "not an id");
  /* A device that shares all but its last byte with the one before it is read as such. */
  {
    Spec                  s = { .n = 2,
                                .fields = 2,
                                .devices = "\x02\x01\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d"
                                                            "\x0e\x0f\x0f\x3c",
                                .device = "\x01\x01" };
    g_autoptr (GBytes)    payload = payload_of (&s);
    g_autoptr (GBytes)    frame = frame_of (payload);
    g_autoptr (GError)    error = NULL;
    g_autoptr (GPtrArray) changes = dft_wire_cols_decode (frame, 0, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (((DftChange *) g_ptr_array_index (changes, 0))->device_id, ==,
                     "00010203-0405-0607-0809-0a0b0c0d0e3c");
  }
  /* A field name that is not UTF-8. */
  expect_payload (&(Spec){ .n = 1, .fields = 1, .names = "\x01\x01\xff" }, DFT_WIRE_ERROR_INVALID,
                  "field name");
}

/* The members are JSON, checked as a JSON batch is. */
static void
test_extra_checked (void)
{
  const char *bad[] = { "[1]",
                        "{\"a\": 1} {}",
                        "{\"a\": \"\\u0000\"}",
                        "{\"a\": \"\\q\"}",
                        "{",
                        "{\"a\": [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GByteArray) out = g_byte_array_new ();
      g_autoptr (GBytes)     payload = NULL;
      g_autoptr (GBytes)     frame = NULL;

      put (out, 0);
      put (out, 0);
      put (out, 0);
      put (out, strlen (bad[i]));
      put_raw (out, bad[i], strlen (bad[i]));
      put_raw (out, "\x00\x00\x00", 3);
      payload = g_byte_array_free_to_bytes (g_steal_pointer (&out));
      frame = frame_of (payload);
      g_test_message ("members %s", bad[i]);
      expect_error (frame, 0, DFT_WIRE_ERROR_INVALID, NULL);
    }
}

static GBytes *
small_frame (void)
{
  g_autoptr (GPtrArray)  changes = sample_batch ();
  g_autoptr (JsonObject) extra = json_object_new ();

  json_object_set_int_member (extra, "cursor", 42);
  return dft_wire_cols_encode (changes, extra);
}

/* Cut at every byte, of the frame and of what it holds: always an error, never a crash. */
static void
test_truncated (void)
{
  g_autoptr (GBytes)    frame = small_frame ();
  g_autoptr (GPtrArray) changes = sample_batch ();
  g_autoptr (GBytes)    payload = _dft_wire_cols_payload (changes, NULL);
  gsize                 size;
  const guint8         *data = g_bytes_get_data (frame, &size);

  for (gsize cut = 0; cut < size; cut++)
    {
      g_autoptr (GBytes) part = g_bytes_new (data, cut);

      expect_error (part, 0, DFT_WIRE_ERROR_INVALID, NULL);
    }
  data = g_bytes_get_data (payload, &size);
  for (gsize cut = 0; cut < size; cut++)
    {
      g_autoptr (GBytes) part = g_bytes_new (data, cut);
      g_autoptr (GBytes) cut_frame = frame_of (part);

      expect_error (cut_frame, 0, DFT_WIRE_ERROR_INVALID, NULL);
    }
}

static void
try_decode (GBytes *frame)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (JsonObject) top = NULL;
  g_autoptr (GPtrArray)  changes = dft_wire_cols_decode (frame, 0, &top, &error);

  /* Either way is fine, as long as the answer is whole: changes and members, or an error. */
  if (changes != NULL)
    {
      g_assert_no_error (error);
      g_assert_nonnull (top);
      for (guint i = 0; i < changes->len; i++)
        {
          DftChange *c = g_ptr_array_index (changes, i);

          g_assert_true (c->origin_seq > 0 && c->hlc > 0 && c->hlc <= G_MAXINT64);
          g_assert_true (g_utf8_validate (c->record_id, -1, NULL));
        }
    }
  else
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == DFT_WIRE_ERROR);
    }
}

/* Random bytes changed, in the frame and in what it holds. */
static void
test_flips (void)
{
  const char *env = g_getenv ("DAFTARI_WIRE_SEED");
  guint32     seed = env != NULL ? (guint32) g_ascii_strtoull (env, NULL, 10) : g_random_int ();
  g_autoptr (GRand)     rand = NULL;
  g_autoptr (GBytes)    frame = small_frame ();
  g_autoptr (GPtrArray) changes = sample_batch ();
  g_autoptr (GBytes)    payload = _dft_wire_cols_payload (changes, NULL);

  g_test_message ("seed %u (DAFTARI_WIRE_SEED=%u repeats it)", seed, seed);
  rand = g_rand_new_with_seed (seed);
  for (guint round = 0; round < 2000; round++)
    {
      GBytes            *source = round % 2 == 0 ? frame : payload;
      gsize              size = g_bytes_get_size (source);
      g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (source, NULL), size);
      guint              flips = (guint) g_rand_int_range (rand, 1, 4);
      g_autoptr (GBytes) bytes = NULL;
      g_autoptr (GBytes) flipped = NULL;

      for (guint k = 0; k < flips; k++)
        copy[g_rand_int_range (rand, 0, (gint32) size)] ^= (guint8) g_rand_int_range (rand, 1, 256);
      bytes = g_bytes_new (copy, size);
      flipped = round % 2 == 0 ? g_bytes_ref (bytes) : frame_of (bytes);
      try_decode (flipped);
    }
}

/* A frame that says or makes more than DFT_WIRE_MAX_JSON bytes is refused before it is all made. */
static void
test_bomb (void)
{
  gsize              big = DFT_WIRE_MAX_JSON + 1024;
  g_autofree guint8 *zeros = g_malloc0 (big);
  g_autoptr (GBytes) dict = _dft_wire_cols_dictionary (NULL);
  g_autoptr (GBytes) payload = g_bytes_new_static (zeros, big);
  g_autoptr (GBytes) declared = frame_of (payload);

  g_assert_cmpuint (g_bytes_get_size (declared), <, 64 * 1024);
  expect_error (declared, 0, DFT_WIRE_ERROR_TOO_LARGE, NULL);

  /* The same without a size in its header: stopped as it inflates. */
  {
    ZSTD_CCtx         *cctx = ZSTD_createCCtx ();
    gsize              bound = ZSTD_compressBound (big);
    g_autofree guint8 *out = g_malloc (bound);
    ZSTD_inBuffer      in = { zeros, big, 0 };
    ZSTD_outBuffer     o = { out, bound, 0 };
    size_t             left;
    g_autoptr (GBytes) frame = NULL;

    ZSTD_CCtx_loadDictionary (cctx, g_bytes_get_data (dict, NULL), g_bytes_get_size (dict));
    ZSTD_CCtx_setParameter (cctx, ZSTD_c_contentSizeFlag, 0);
    ZSTD_CCtx_setParameter (cctx, ZSTD_c_windowLog, 20);
    do
      left = ZSTD_compressStream2 (cctx, &o, &in, ZSTD_e_end);
    while (left != 0 && !ZSTD_isError (left));
    g_assert_false (ZSTD_isError (left));
    ZSTD_freeCCtx (cctx);
    g_assert_cmpint (ZSTD_getFrameContentSize (out, o.pos), ==, ZSTD_CONTENTSIZE_UNKNOWN);
    frame = wrap (out, o.pos, 1);
    expect_error (frame, 0, DFT_WIRE_ERROR_TOO_LARGE, NULL);
  }

  /* And a frame over the limit on the wire. */
  {
    g_autofree guint8 *huge = g_malloc0 (DFT_WIRE_MAX_GZIP + 1);
    g_autoptr (GBytes) frame = NULL;

    huge[0] = 0xDA;
    huge[1] = 0xF7;
    huge[2] = 1;
    frame = g_bytes_new_take (g_steal_pointer (&huge), DFT_WIRE_MAX_GZIP + 1);
    expect_error (frame, 0, DFT_WIRE_ERROR_TOO_LARGE, NULL);
  }
}

/* Another version, another dictionary, no dictionary, or not this format at all. */
static void
test_foreign (void)
{
  g_autoptr (GPtrArray) changes = sample_batch ();
  g_autoptr (GBytes)    payload = _dft_wire_cols_payload (changes, NULL);
  g_autoptr (GBytes)    dict = NULL;
  guint                 id;

  dict = _dft_wire_cols_dictionary (&id);
  g_assert_cmpuint (id, !=, 0);
  {
    g_autoptr (GBytes) newer
        = compress_with (payload, g_bytes_get_data (dict, NULL), g_bytes_get_size (dict), 2);
    expect_error (newer, 0, DFT_WIRE_ERROR_INVALID, "newer Daftari");
  }
  {
    g_autoptr (GBytes) none = compress_with (payload, NULL, 0, 1);
    expect_error (none, 0, DFT_WIRE_ERROR_INVALID, "dictionary");
  }
  {
    /* The dictionary's id is bytes 4 to 7 of it. */
    gsize              size = g_bytes_get_size (dict);
    g_autofree guint8 *other = g_memdup2 (g_bytes_get_data (dict, NULL), size);
    g_autoptr (GBytes) frame = NULL;

    other[4] ^= 0x5a;
    frame = compress_with (payload, other, size, 1);
    expect_error (frame, 0, DFT_WIRE_ERROR_INVALID, "dictionary");
  }
  {
    const char        *json = "{\"devices\": [], \"ids\": [], \"changes\": []}";
    g_autoptr (GBytes) text = g_bytes_new_static (json, strlen (json));
    g_autoptr (GBytes) gz = dft_wire_gzip (text);
    g_autoptr (GBytes) empty = g_bytes_new_static ("", 0);

    g_assert_false (dft_wire_cols_is_frame (text));
    g_assert_false (dft_wire_cols_is_frame (gz));
    g_assert_false (dft_wire_cols_is_frame (empty));
    expect_error (text, 0, DFT_WIRE_ERROR_INVALID, NULL);
    expect_error (gz, 0, DFT_WIRE_ERROR_INVALID, NULL);
    expect_error (empty, 0, DFT_WIRE_ERROR_INVALID, NULL);
  }
  /* Two frames, or bytes after the one. */
  {
    g_autoptr (GBytes)     frame = small_frame ();
    g_autoptr (GByteArray) twice = g_byte_array_new ();

    g_byte_array_append (twice, g_bytes_get_data (frame, NULL), (guint) g_bytes_get_size (frame));
    g_byte_array_append (twice, (const guint8 *) "\x28\xb5\x2f\xfd", 4);
    g_byte_array_append (twice, (const guint8 *) g_bytes_get_data (frame, NULL) + 3,
                         (guint) g_bytes_get_size (frame) - 3);
    g_clear_pointer (&frame, g_bytes_unref);
    frame = g_byte_array_free_to_bytes (g_steal_pointer (&twice));
    expect_error (frame, 0, DFT_WIRE_ERROR_INVALID, "after");
  }
}

/* A receiver's limit on changes, and on values, is checked before anything is built. */
static void
test_max_changes (void)
{
  g_autoptr (GPtrArray) changes = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
  g_autoptr (GPtrArray) back = NULL;
  g_autoptr (GBytes)    frame = NULL;
  g_autoptr (GError)    error = NULL;
  DftChange            *wide;

  for (guint i = 0; i < 10; i++)
    g_ptr_array_add (changes, new_change ("event", REC_1, DEV_A, i + 1, 1000 + i));
  frame = dft_wire_cols_encode (changes, NULL);
  expect_error (frame, 9, DFT_WIRE_ERROR_TOO_LARGE, NULL);
  back = dft_wire_cols_decode (frame, 10, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->len, ==, 10);

  /* One change of more fields than DFT_WIRE_COLS_VALUES_PER_CHANGE, with a limit of one. */
  g_ptr_array_set_size (changes, 0);
  wide = new_change ("event", REC_1, DEV_A, 1, 1000);
  for (guint i = 0; i <= DFT_WIRE_COLS_VALUES_PER_CHANGE; i++)
    {
      g_autofree char *name = g_strdup_printf ("f%u", i);
      json_object_set_int_member (wide->fields, name, i);
    }
  g_ptr_array_add (changes, wide);
  g_clear_pointer (&frame, g_bytes_unref);
  frame = dft_wire_cols_encode (changes, NULL);
  expect_error (frame, 1, DFT_WIRE_ERROR_TOO_LARGE, NULL);
  g_clear_pointer (&back, g_ptr_array_unref);
  back = dft_wire_cols_decode (frame, 2, NULL, &error);
  g_assert_no_error (error);
}

/* One attendance mark, as a device pushes it after a sync: a few dozen bytes, not hundreds. */
static void
test_one_change_small (void)
{
  g_autoptr (GPtrArray) changes = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
  g_autoptr (GBytes)    frame = NULL;
  g_autoptr (GBytes)    json = NULL;
  g_autoptr (GBytes)    gz = NULL;
  DftChange            *c = new_change ("attendance", "0193b3c1-6a8e-5f3e-9d2b-1c4e7a9f0b12",
                                        "0193b3c0-1d2e-7f30-8a41-52b6c7d8e9f0", 1203,
                                        ((guint64) 1765000000000 << 16) + 2);

  json_object_set_string_member (c->fields, "status", "excused");
  c->base = json_object_new ();
  json_object_set_string_member (c->base, "status",
                                 "115671040000000001/0193b3c0-1d2e-7f30-8a41-52b6c7d8e9f0");
  g_ptr_array_add (changes, c);
  frame = dft_wire_cols_encode (changes, NULL);
  json = dft_wire_encode_batch (changes, NULL);
  gz = dft_wire_gzip (json);
  g_test_message ("one change: %zu bytes in columns, %zu in gzip JSON", g_bytes_get_size (frame),
                  g_bytes_get_size (gz));
  g_assert_cmpuint (g_bytes_get_size (frame), <, 100);
  g_assert_cmpuint (g_bytes_get_size (frame), <, g_bytes_get_size (gz));
}

/*
 * Frames name their dictionary by the format version alone: a dictionary trained again and
 * shipped under the same version would make every older Daftari read garbage or refuse. A new
 * dictionary is a new DFT_WIRE_COLS_VERSION (sync/PROTOCOL.md, "The column format").
 */
static void
test_dictionary_pinned (void)
{
  g_autoptr (GBytes) dict = NULL;
  g_autofree char   *sum = NULL;
  guint              id;

  dict = _dft_wire_cols_dictionary (&id);
  sum = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, dict);
  g_assert_cmpuint (id, ==, DFT_WIRE_COLS_VERSION);
  g_assert_cmpuint (DFT_WIRE_COLS_VERSION, ==, 1);
  g_assert_cmpstr (sum, ==, "bea4a6cb64021497142a465303d55a0e0eec26dcd4c2f12688bc98d16cee133d");
}

int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);

  g_test_add_func ("/wire-cols/round-trip", test_round_trip);
  g_test_add_func ("/wire-cols/empty", test_empty);
  g_test_add_func ("/wire-cols/every-entity", test_every_entity);
  g_test_add_func ("/wire-cols/non-uuid-id", test_non_uuid_id);
  g_test_add_func ("/wire-cols/hand-made", test_hand_made);
  g_test_add_func ("/wire-cols/extra-checked", test_extra_checked);
  g_test_add_func ("/wire-cols/truncated", test_truncated);
  g_test_add_func ("/wire-cols/flips", test_flips);
  g_test_add_func ("/wire-cols/bomb", test_bomb);
  g_test_add_func ("/wire-cols/foreign", test_foreign);
  g_test_add_func ("/wire-cols/max-changes", test_max_changes);
  g_test_add_func ("/wire-cols/one-change-small", test_one_change_small);
  g_test_add_func ("/wire-cols/dictionary-pinned", test_dictionary_pinned);

  return g_test_run ();
}
