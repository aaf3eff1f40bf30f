/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "dft-change-log.h"
#include "dft-uuid.h"
#include "dft-wire.h"

/* The quark's name is a string: the formatter would put spaces in it. */
/* clang-format off */
G_DEFINE_QUARK (dft-wire-error-quark, dft_wire_error)
/* clang-format on */

/* The kinds of record a change may be for (app/dft-schema.c names them); NULL-terminated. The
 * column format sends a kind as its place in this list: a new kind goes at the end. */
const char *const dft_wire_entities[]
    = { "event",      "session",  "person",       "enrollment",     "attendance",      "form",
        "submission", "conflict", "person_merge", "person_unmerge", "person_distinct", NULL };

static guint
intern_index (GHashTable *index, GPtrArray *list, const char *value)
{
  gpointer found;

  if (g_hash_table_lookup_extended (index, value, NULL, &found))
    return GPOINTER_TO_UINT (found);
  g_ptr_array_add (list, (gpointer) value);
  g_hash_table_insert (index, (gpointer) value, GUINT_TO_POINTER (list->len - 1));
  return list->len - 1;
}

/* "HLC/DEVICE-UUID" in the store becomes "HLC/DEVICE-INDEX" on the wire. */
static char *
base_to_wire (const char *base, GHashTable *device_index, GPtrArray *devices)
{
  const char      *slash = base != NULL ? strchr (base, '/') : NULL;
  g_autofree char *hlc = NULL;

  if (slash == NULL)
    return NULL;
  hlc = g_strndup (base, (gsize) (slash - base));
  return g_strdup_printf ("%s/%u", hlc, intern_index (device_index, devices, slash + 1));
}

GBytes *
dft_wire_encode_batch (GPtrArray *changes, JsonObject *extra)
{
  g_autoptr (JsonBuilder)   builder = json_builder_new ();
  g_autoptr (GHashTable)    device_index = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable)    id_index = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray)     devices = g_ptr_array_new ();
  g_autoptr (GPtrArray)     ids = g_ptr_array_new ();
  g_autoptr (JsonNode)      root = NULL;
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autofree char          *text = NULL;
  gsize                     length;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "changes");
  json_builder_begin_array (builder);
  for (guint i = 0; changes != NULL && i < changes->len; i++)
    {
      DftChange *c = g_ptr_array_index (changes, i);
      DftChange *prev = i > 0 ? g_ptr_array_index (changes, i - 1) : NULL;
      JsonNode  *fields = json_node_new (JSON_NODE_OBJECT);

      json_node_set_object (fields, c->fields);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "d");
      json_builder_add_int_value (builder, intern_index (device_index, devices, c->device_id));
      /* Clock values and sequence numbers move in small steps: sent as the
       * difference from the previous change, they take a few digits, not 18. */
      json_builder_set_member_name (builder, "s");
      json_builder_add_int_value (builder, c->origin_seq - (prev != NULL ? prev->origin_seq : 0));
      json_builder_set_member_name (builder, "h");
      json_builder_add_int_value (builder,
                                  (gint64) c->hlc - (prev != NULL ? (gint64) prev->hlc : 0));
      json_builder_set_member_name (builder, "e");
      json_builder_add_string_value (builder, c->entity);
      json_builder_set_member_name (builder, "r");
      json_builder_add_int_value (builder, intern_index (id_index, ids, c->record_id));
      json_builder_set_member_name (builder, "f");
      json_builder_add_value (builder, fields);
      if (c->base != NULL && json_object_get_size (c->base) > 0)
        {
          g_autoptr (GList) names = json_object_get_members (c->base);

          json_builder_set_member_name (builder, "b");
          json_builder_begin_object (builder);
          for (GList *l = names; l != NULL; l = l->next)
            {
              g_autofree char *wire = base_to_wire (
                  json_object_get_string_member (c->base, l->data), device_index, devices);
              if (wire == NULL)
                continue;
              json_builder_set_member_name (builder, l->data);
              json_builder_add_string_value (builder, wire);
            }
          json_builder_end_object (builder);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "devices");
  json_builder_begin_array (builder);
  for (guint i = 0; i < devices->len; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (devices, i));
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "ids");
  json_builder_begin_array (builder);
  for (guint i = 0; i < ids->len; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (ids, i));
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "server");
  json_builder_add_string_value (builder, "daftari");
  json_builder_set_member_name (builder, "protocol");
  json_builder_add_int_value (builder, DFT_WIRE_PROTOCOL);
  if (extra != NULL)
    {
      g_autoptr (GList) names = json_object_get_members (extra);
      for (GList *l = names; l != NULL; l = l->next)
        {
          json_builder_set_member_name (builder, l->data);
          json_builder_add_value (builder,
                                  json_node_copy (json_object_get_member (extra, l->data)));
        }
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &length);
  return g_bytes_new_take (g_steal_pointer (&text), length);
}

static gboolean
invalid (GError **error, const char *what)
{
  g_set_error (error, DFT_WIRE_ERROR, DFT_WIRE_ERROR_INVALID,
               /* Translators: %s says what is wrong, e.g. "change 3 has no fields" */
               _ ("The sync data is not valid: %s."), what);
  return FALSE;
}

static gboolean
node_is (JsonNode *node, GType type)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

static gboolean
string_list (JsonObject *top, const char *name, gboolean uuids, GPtrArray *out, GError **error)
{
  JsonNode  *node = json_object_get_member (top, name);
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      /* Translators: %s is the name of a list in a sync message from the server */
      g_autofree char *what = g_strdup_printf (_ ("the list “%s” is missing"), name);
      return invalid (error, what);
    }
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *e = json_array_get_element (array, i);

      if (!node_is (e, G_TYPE_STRING) || (uuids && !dft_uuid_is_valid (json_node_get_string (e)))
          || strlen (json_node_get_string (e)) > 64)
        {
          /* Translators: %u is a position in a list, %s the name of the list in a sync message */
          g_autofree char *what = g_strdup_printf (_ ("entry %u of “%s” is not an id"), i, name);
          return invalid (error, what);
        }
      g_ptr_array_add (out, (gpointer) json_node_get_string (e));
    }
  return TRUE;
}

static gboolean
index_member (JsonObject *o, const char *name, GPtrArray *list, const char **out)
{
  JsonNode *node = json_object_get_member (o, name);
  gint64    i;

  if (!node_is (node, G_TYPE_INT64))
    return FALSE;
  i = json_node_get_int (node);
  if (i < 0 || i >= list->len)
    return FALSE;
  *out = g_ptr_array_index (list, (guint) i);
  return TRUE;
}

static DftChange *
decode_change (
    JsonNode *node, GPtrArray *devices, GPtrArray *ids, guint n, DftChange *prev, GError **error)
{
  /* Translators: %u is the position of a change in a sync message */
  g_autofree char      *where = g_strdup_printf (_ ("change %u is malformed"), n + 1);
  g_autoptr (DftChange) change = NULL;
  JsonObject           *o;
  JsonNode             *f, *b, *s, *h, *e;
  const char           *device, *record;
  g_autoptr (GList)     names = NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return invalid (error, where), NULL;
  o = json_node_get_object (node);

  /* Unknown members are refused: a newer client's change must not be half understood. */
  names = json_object_get_members (o);
  for (GList *l = names; l != NULL; l = l->next)
    if (strlen (l->data) != 1 || strchr ("dsherfb", *(const char *) l->data) == NULL)
      return invalid (error, where), NULL;

  s = json_object_get_member (o, "s");
  h = json_object_get_member (o, "h");
  e = json_object_get_member (o, "e");
  f = json_object_get_member (o, "f");
  b = json_object_get_member (o, "b");
  if (!index_member (o, "d", devices, &device) || !index_member (o, "r", ids, &record)
      || !node_is (s, G_TYPE_INT64) || !node_is (h, G_TYPE_INT64) || !node_is (e, G_TYPE_STRING)
      || f == NULL || !JSON_NODE_HOLDS_OBJECT (f) || (b != NULL && !JSON_NODE_HOLDS_OBJECT (b)))
    return invalid (error, where), NULL;
  if (!g_strv_contains (dft_wire_entities, json_node_get_string (e)))
    {
      g_autofree char *what
          /* Translators: %u is the position of a change in a sync message */
          = g_strdup_printf (_ ("change %u is for an unknown kind of record"), n + 1);
      return invalid (error, what), NULL;
    }

  change = dft_change_new (json_node_get_string (e), record, json_node_get_object (f));
  change->device_id = g_strdup (device);
  /* Each is the difference from the previous change's: the sum is checked before it is made,
   * since a hostile batch can send any 64-bit number. */
  {
    gint64 seq, clock;

    if (__builtin_add_overflow (json_node_get_int (s), prev != NULL ? prev->origin_seq : 0, &seq)
        || __builtin_add_overflow (json_node_get_int (h), prev != NULL ? (gint64) prev->hlc : 0,
                                   &clock)
        || seq <= 0 || clock <= 0)
      return invalid (error, where), NULL;
    change->origin_seq = seq;
    change->hlc = (DftHlcValue) clock;
  }

  /* Field values are plain: no nested objects or arrays. */
  {
    g_autoptr (GList) fields = json_object_get_members (change->fields);
    for (GList *l = fields; l != NULL; l = l->next)
      {
        JsonNode *v = json_object_get_member (change->fields, l->data);
        if (!JSON_NODE_HOLDS_VALUE (v) && !JSON_NODE_HOLDS_NULL (v))
          return invalid (error, where), NULL;
      }
  }

  if (b != NULL)
    {
      JsonObject       *wire = json_node_get_object (b);
      g_autoptr (GList) fields = json_object_get_members (wire);

      change->base = json_object_new ();
      for (GList *l = fields; l != NULL; l = l->next)
        {
          JsonNode   *v = json_object_get_member (wire, l->data);
          const char *text = node_is (v, G_TYPE_STRING) ? json_node_get_string (v) : NULL;
          const char *slash = text != NULL ? strchr (text, '/') : NULL;
          guint64     hlc, dev;
          char       *end = NULL;

          g_autofree char *version = NULL;

          if (slash == NULL || devices->len == 0)
            return invalid (error, where), NULL;
          hlc = g_ascii_strtoull (text, &end, 10);
          if (end != slash
              || !g_ascii_string_to_unsigned (slash + 1, 10, 0, devices->len - 1, &dev, NULL))
            return invalid (error, where), NULL;
          version = g_strdup_printf ("%" G_GUINT64_FORMAT "/%s", hlc,
                                     (const char *) g_ptr_array_index (devices, dev));
          json_object_set_string_member (change->base, l->data, version);
        }
    }
  return g_steal_pointer (&change);
}

/*
 * Walks JSON text outside its strings: FALSE when it nests deeper than @max_depth (0: no
 * limit). *end is where the first top-level object or array ends (@length when it never does).
 */
static gboolean
scan_json (const char *data, gsize length, guint max_depth, gsize *end)
{
  guint    depth = 0;
  gboolean in_string = FALSE;

  *end = length;
  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '{' || c == '[')
        {
          if (++depth > max_depth && max_depth > 0)
            return FALSE;
        }
      else if ((c == '}' || c == ']') && depth > 0 && --depth == 0 && *end == length)
        *end = i + 1;
    }
  return TRUE;
}

/*
 * json-glib parses recursively: a body of a million "[" would use up a
 * thread's stack, and such a body fits in a few kilobytes of gzip. Batches
 * nest three deep; anything past @max_depth is refused unparsed.
 */
gboolean
dft_wire_json_depth_ok (const char *data, gsize length, guint max_depth)
{
  gsize end;

  return scan_json (data, length, max_depth, &end);
}

static gboolean
is_json_space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * json-glib 1.6 reads "{…}{…}" without an error, keeps the first value and leaks the ones
 * after it: a body of many small objects would leak memory on every request. A body must be
 * one object or array with nothing but white space after it.
 */
gboolean
dft_wire_json_single (const char *data, gsize length)
{
  gsize start = 0, end;

  while (start < length && is_json_space (data[start]))
    start++;
  if (start == length || (data[start] != '{' && data[start] != '['))
    return FALSE;
  scan_json (data + start, length - start, 0, &end);
  for (gsize i = start + end; i < length; i++)
    if (!is_json_space (data[i]))
      return FALSE;
  return TRUE;
}

/*
 * Whether a JSON text holds a NUL character, raw or as the escape \u0000. JSON-GLib hands
 * strings over as C strings, so a name with a NUL in it would be cut short without a word:
 * such a text is refused instead.
 */
gboolean
dft_wire_json_has_nul (const char *data, gsize length)
{
  for (gsize i = 0; i < length; i++)
    {
      if (data[i] == '\0')
        return TRUE;
      if (data[i] != '\\' || i + 1 >= length)
        continue;
      if (data[i + 1] == 'u' && i + 5 < length && memcmp (data + i + 2, "0000", 4) == 0)
        return TRUE;
      i++; /* the escaped character, a backslash among them */
    }
  return FALSE;
}

/* The four hex digits of a \u escape at @at, as a UTF-16 unit. */
static gboolean
hex_unit (const char *data, gsize length, gsize at, gunichar *unit)
{
  *unit = 0;
  if (at + 4 > length)
    return FALSE;
  for (gsize k = at; k < at + 4; k++)
    {
      int digit = g_ascii_xdigit_value (data[k]);

      if (digit < 0)
        return FALSE;
      *unit = *unit * 16 + (gunichar) digit;
    }
  return TRUE;
}

/*
 * Whether a JSON text is JSON as RFC 8259 writes it, in the places json-glib 1.6 is lenient:
 * it reads "\651" as an octal byte, "\q" as "q" and a lone "\udc00" as a half character,
 * each giving a string that is not UTF-8, which no encoder can write back and no widget can
 * show. Refused too: text that is not UTF-8 and NUL characters, raw or escaped.
 */
gboolean
dft_wire_json_strict (const char *data, gsize length)
{
  if (!g_utf8_validate_len (data, length, NULL))
    return FALSE;
  for (gsize i = 0; i < length; i++)
    {
      gunichar unit;

      if (data[i] == '\0')
        return FALSE;
      if (data[i] != '\\')
        continue;
      if (++i >= length)
        return FALSE;
      if (strchr ("\"\\/bfnrt", data[i]) != NULL)
        continue;
      if (data[i] != 'u' || !hex_unit (data, length, i + 1, &unit) || unit == 0)
        return FALSE;
      i += 4;
      if (unit >= 0xDC00 && unit <= 0xDFFF)
        return FALSE; /* a low surrogate with no high one before it */
      if (unit >= 0xD800 && unit <= 0xDBFF)
        {
          gunichar low;

          if (i + 2 >= length || data[i + 1] != '\\' || data[i + 2] != 'u'
              || !hex_unit (data, length, i + 3, &low) || low < 0xDC00 || low > 0xDFFF)
            return FALSE;
          i += 6;
        }
    }
  return TRUE;
}

GPtrArray *
dft_wire_decode_batch (GBytes *json, JsonObject **top, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GPtrArray)  devices = g_ptr_array_new ();
  g_autoptr (GPtrArray)  ids = g_ptr_array_new ();
  g_autoptr (GPtrArray) changes = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_change_free);
  JsonNode             *root, *list;
  JsonObject           *o;
  gsize                 size;
  const char           *data = g_bytes_get_data (json, &size);

  if (size > DFT_WIRE_MAX_JSON)
    {
      g_set_error (error, DFT_WIRE_ERROR, DFT_WIRE_ERROR_TOO_LARGE,
                   _ ("The sync data is too large."));
      return NULL;
    }
  if (!dft_wire_json_depth_ok (data, size, DFT_WIRE_MAX_DEPTH))
    return invalid (error, _ ("it nests too deeply")), NULL;
  if (dft_wire_json_has_nul (data, size))
    return invalid (error, _ ("it holds a NUL character")), NULL;
  if (!dft_wire_json_strict (data, size))
    return invalid (error, _ ("it holds text that is not UTF-8 or an escape JSON does not have")),
           NULL;
  /* An empty body has no data pointer, which json-glib refuses with a critical. */
  if (size == 0 || !dft_wire_json_single (data, size)
      || !json_parser_load_from_data (parser, data, (gssize) size, NULL))
    return invalid (error, _ ("it is not JSON")), NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return invalid (error, _ ("it is not a JSON object")), NULL;
  o = json_node_get_object (root);

  if (!string_list (o, "devices", TRUE, devices, error)
      || !string_list (o, "ids", TRUE, ids, error))
    return NULL;
  list = json_object_get_member (o, "changes");
  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    return invalid (error, _ ("the list of changes is missing")), NULL;

  for (guint i = 0; i < json_array_get_length (json_node_get_array (list)); i++)
    {
      DftChange *c
          = decode_change (json_array_get_element (json_node_get_array (list), i), devices, ids, i,
                           i > 0 ? g_ptr_array_index (changes, i - 1) : NULL, error);
      if (c == NULL)
        return NULL;
      g_ptr_array_add (changes, c);
    }

  if (top != NULL)
    *top = json_object_ref (o);
  return g_steal_pointer (&changes);
}

static GBytes *
convert (GConverter *converter, GBytes *data, gsize max_size, GError **error)
{
  g_autoptr (GOutputStream) memory = g_memory_output_stream_new_resizable ();
  g_autoptr (GOutputStream) out = g_converter_output_stream_new (memory, converter);
  gsize                     size;
  const char               *bytes = g_bytes_get_data (data, &size);
  gsize                     done = 0;

  while (done < size)
    {
      /* Small steps: one step of a gzip bomb must not inflate far past the limit. */
      gsize  chunk = MIN (size - done, 4 * 1024);
      gssize written = g_output_stream_write (out, bytes + done, chunk, NULL, error);

      if (written < 0)
        return NULL;
      /* Nothing taken: the gzip stream ended and bytes follow it. write_all would complain
       * with a critical; the data is refused instead. */
      if (written == 0)
        return invalid (error, _ ("it is not gzip data")), NULL;
      done += (gsize) written;
      if (max_size > 0
          && g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (memory)) > max_size)
        {
          g_set_error (error, DFT_WIRE_ERROR, DFT_WIRE_ERROR_TOO_LARGE,
                       _ ("The sync data is too large."));
          return NULL;
        }
    }
  if (!g_output_stream_close (out, NULL, error))
    return NULL;
  if (max_size > 0
      && g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (memory)) > max_size)
    {
      g_set_error (error, DFT_WIRE_ERROR, DFT_WIRE_ERROR_TOO_LARGE,
                   _ ("The sync data is too large."));
      return NULL;
    }
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (memory));
}

/*
 * Decoding a batch builds a JSON tree and then a change for each entry, and
 * both cost far more than their text: 300,000 tiny changes (30 MiB of JSON,
 * a few MiB of gzip) took 500 MiB. This pass counts what the tree would hold
 * from the text alone, so a server can refuse a batch, or wait for memory,
 * before building any of it. Every value after the first is preceded by a
 * ',' ':' '[' or '{' outside a string: counting those bounds the values.
 */
void
dft_wire_count_feed (DftWireCount *count, const char *data, gsize length)
{
  g_return_if_fail (count != NULL);

  count->bytes += length;
  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (count->in_string)
        {
          if (count->escaped)
            count->escaped = FALSE;
          else if (c == '\\')
            count->escaped = TRUE;
          else if (c == '"')
            count->in_string = FALSE;
          continue;
        }
      switch (c)
        {
        case '"':
          count->in_string = TRUE;
          break;
        case '{':
        case '[':
          count->values++;
          /* An object that is an entry of a list that is a member of the top object. */
          if (c == '{' && count->depth == 2)
            count->changes++;
          count->depth++;
          break;
        case '}':
        case ']':
          if (count->depth > 0)
            count->depth--;
          break;
        case ',':
        case ':':
          count->values++;
          break;
        default:
          break;
        }
    }
}

gboolean
dft_wire_count_body (
    GBytes *body, gboolean gzip, gsize max_size, DftWireCount *count, GError **error)
{
  g_autoptr (GZlibDecompressor) gunzip = NULL;
  gsize                         size, done = 0;
  const guint8                 *in = g_bytes_get_data (body, &size);
  guint8                        out[16 * 1024];

  g_return_val_if_fail (body != NULL && count != NULL, FALSE);

  memset (count, 0, sizeof *count);
  if (!gzip)
    {
      dft_wire_count_feed (count, (const char *) in, size);
      return TRUE;
    }
  gunzip = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
  for (;;)
    {
      gsize              read = 0, written = 0;
      g_autoptr (GError) local_error = NULL;
      GConverterResult   result
          = g_converter_convert (G_CONVERTER (gunzip), in + done, size - done, out, sizeof out,
                                 G_CONVERTER_INPUT_AT_END, &read, &written, &local_error);

      if (result == G_CONVERTER_ERROR)
        return invalid (error, _ ("it is not gzip data"));
      done += read;
      dft_wire_count_feed (count, (const char *) out, written);
      if (max_size > 0 && count->bytes > max_size)
        {
          g_set_error (error, DFT_WIRE_ERROR, DFT_WIRE_ERROR_TOO_LARGE,
                       _ ("The sync data is too large."));
          return FALSE;
        }
      if (result == G_CONVERTER_FINISHED)
        {
          /* Bytes after the end of the gzip stream: refused, as dft_wire_gunzip() does. */
          if (done < size)
            return invalid (error, _ ("it is not gzip data"));
          return TRUE;
        }
      if (read == 0 && written == 0)
        return invalid (error, _ ("it is not gzip data"));
    }
}

GBytes *
dft_wire_gzip (GBytes *data)
{
  g_autoptr (GZlibCompressor) gzip = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 9);
  GBytes                     *out = convert (G_CONVERTER (gzip), data, 0, NULL);

  g_assert (out != NULL);
  return out;
}

/* Bounded, so a small body that inflates to gigabytes (a gzip bomb) is refused early. */
GBytes *
dft_wire_gunzip (GBytes *data, gsize max_size, GError **error)
{
  g_autoptr (GZlibDecompressor) gunzip = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
  g_autoptr (GError)            local_error = NULL;
  GBytes                       *out = convert (G_CONVERTER (gunzip), data, max_size, &local_error);

  if (out == NULL)
    {
      if (g_error_matches (local_error, DFT_WIRE_ERROR, DFT_WIRE_ERROR_TOO_LARGE))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        invalid (error, _ ("it is not gzip data"));
    }
  return out;
}
