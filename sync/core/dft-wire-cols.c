/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "dft-change-log.h"
#include "dft-uuid.h"
#include "dft-wire-cols-resources.h"
#include "dft-wire-cols.h"

/*
 * The layout is written down in sync/PROTOCOL.md, "The column format"; the
 * names below follow it. A frame is our magic, a version byte, then one zstd
 * frame made with the dictionary of that version, less the four bytes of
 * zstd's own magic number, which ours stands for: on a one-change push every
 * byte shows.
 */
static const guint8 magic[] = { 0xDA, 0xF7 };
#define HEADER_SIZE     (sizeof magic + 1)
#define ZSTD_MAGIC_SIZE 4

/*
 * How an entry of the device and id tables is sent, after a kind byte: a canonical (lower-case)
 * UUID as its 16 bytes less the first ones it shares with the previous such UUID of the table
 * (kind 0 to 15: how many it shares); anything else as its text (kind ID_TEXT + its length).
 * Ids made one after another (UUIDv7) begin with the same milliseconds: four or five bytes of
 * each are sent once.
 */
#define ID_SHARED_MAX 15
#define ID_TEXT       32
#define ID_MAX_LEN    64

/* A value's type; the value itself, if it has one, is in the column of its type. */
typedef enum
{
  TAG_NULL = 0,
  TAG_FALSE = 1,
  TAG_TRUE = 2,
  TAG_INT = 3,    /* zigzag varint */
  TAG_DOUBLE = 4, /* 8 bytes, IEEE 754, little-endian */
  TAG_STRING = 5, /* varint length, UTF-8 */
  TAG_ID = 6,     /* a UUID held as text: zigzag, its id table index less the field's last one */
  /* What a field never holds (an object or a list): written so the receiver refuses the batch,
   * as it refuses one in JSON, rather than sending something else in its place. */
  TAG_NESTED = 7,
} Tag;

/* No decoder needs a window past the largest payload it takes. */
#define WINDOW_LOG_MAX 25
G_STATIC_ASSERT ((1 << WINDOW_LOG_MAX) >= DFT_WIRE_MAX_JSON);

/* ---- The dictionary ---- */

typedef struct
{
  GBytes     *dict;
  guint       id;
  ZSTD_DDict *ddict;
  GMutex      lock; /* for cdicts */
  ZSTD_CDict *cdicts[24];
} Dictionary;

static Dictionary *
dictionary (void)
{
  static Dictionary *shared;

  if (g_once_init_enter (&shared))
    {
      Dictionary        *d = g_new0 (Dictionary, 1);
      g_autoptr (GError) error = NULL;
      gsize              size;
      const void        *data;

      d->dict = g_resource_lookup_data (_dft_wire_cols_get_resource (),
                                        "/org/daftari/sync/wire-dict-1.zdict",
                                        G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
      if (d->dict == NULL)
        g_error ("The sync dictionary is missing from the build: %s", error->message);
      data = g_bytes_get_data (d->dict, &size);
      d->id = ZSTD_getDictID_fromDict (data, size);
      d->ddict = ZSTD_createDDict (data, size);
      g_assert (d->id != 0 && d->ddict != NULL);
      g_mutex_init (&d->lock);
      g_once_init_leave (&shared, d);
    }
  return shared;
}

/* Made once per level: making one costs more than compressing a small batch with it. */
static const ZSTD_CDict *
cdict_for (int level)
{
  Dictionary *d = dictionary ();
  ZSTD_CDict *cdict;
  gsize       size;
  const void *data = g_bytes_get_data (d->dict, &size);

  g_assert (level >= 1 && level < (int) G_N_ELEMENTS (d->cdicts));
  g_mutex_lock (&d->lock);
  if (d->cdicts[level] == NULL)
    d->cdicts[level] = ZSTD_createCDict (data, size, level);
  cdict = d->cdicts[level];
  g_mutex_unlock (&d->lock);
  g_assert (cdict != NULL);
  return cdict;
}

GBytes *
_dft_wire_cols_dictionary (guint *dict_id)
{
  Dictionary *d = dictionary ();

  if (dict_id != NULL)
    *dict_id = d->id;
  return g_bytes_ref (d->dict);
}

/* ---- Writing ---- */

static void
put_byte (GByteArray *out, guint8 b)
{
  g_byte_array_append (out, &b, 1);
}

/* LEB128: seven bits a byte, the low ones first, the high bit saying more follow. */
static void
put_varint (GByteArray *out, guint64 v)
{
  guint8 buf[10];
  guint  n = 0;

  do
    {
      buf[n] = (guint8) (v & 0x7f);
      v >>= 7;
      if (v != 0)
        buf[n] |= 0x80;
      n++;
    }
  while (v != 0);
  g_byte_array_append (out, buf, n);
}

/* Zigzag: small negative numbers stay small (0, -1, 1, -2 … become 0, 1, 2, 3 …). */
static void
put_zigzag (GByteArray *out, gint64 v)
{
  put_varint (out, ((guint64) v << 1) ^ (guint64) (v >> 63));
}

static void
put_text (GByteArray *out, const char *text)
{
  gsize len = strlen (text);

  put_varint (out, len);
  g_byte_array_append (out, (const guint8 *) text, (guint) len);
}

static gboolean
is_canonical_uuid (const char *text)
{
  if (!dft_uuid_is_valid (text))
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (g_ascii_isupper (*p))
      return FALSE;
  return TRUE;
}

/* @prev holds the previous canonical UUID of the table (zeros before the first). */
static void
put_id (GByteArray *out, const char *id, guint8 prev[16])
{
  gsize len = strlen (id);

  if (is_canonical_uuid (id))
    {
      guint8 raw[16];
      guint  n = 0, shared = 0;

      for (const char *p = id; *p != '\0'; p++)
        if (*p != '-')
          {
            raw[n++] = (guint8) ((g_ascii_xdigit_value (p[0]) << 4) | g_ascii_xdigit_value (p[1]));
            p++;
          }
      while (shared < ID_SHARED_MAX && raw[shared] == prev[shared])
        shared++;
      put_byte (out, (guint8) shared);
      g_byte_array_append (out, raw + shared, sizeof raw - shared);
      memcpy (prev, raw, sizeof raw);
      return;
    }
  /* Kept as text so it comes back exactly; the receiver refuses what is not an id, as it would
   * in JSON. Longer ones are cut: JSON's decoder refuses them too. */
  len = MIN (len, ID_MAX_LEN);
  put_byte (out, (guint8) (ID_TEXT + len));
  g_byte_array_append (out, (const guint8 *) id, (guint) len);
}

typedef struct
{
  GHashTable *index;
  GPtrArray  *list;
} Table;

static void
table_init (Table *t)
{
  t->index = g_hash_table_new (g_str_hash, g_str_equal);
  t->list = g_ptr_array_new ();
}

static void
table_clear (Table *t)
{
  g_clear_pointer (&t->index, g_hash_table_unref);
  g_clear_pointer (&t->list, g_ptr_array_unref);
}

static guint
table_intern (Table *t, const char *value)
{
  gpointer found;

  if (g_hash_table_lookup_extended (t->index, value, NULL, &found))
    return GPOINTER_TO_UINT (found);
  g_ptr_array_add (t->list, (gpointer) value);
  g_hash_table_insert (t->index, (gpointer) value, GUINT_TO_POINTER (t->list->len - 1));
  return t->list->len - 1;
}

static guint
entity_index (const char *entity)
{
  for (guint i = 0; dft_wire_entities[i] != NULL; i++)
    if (g_strcmp0 (dft_wire_entities[i], entity) == 0)
      return i;
  /* Unknown here is unknown to every receiver: sent as a place no list has, so it is refused
   * there as it would be in JSON. */
  return 0xff;
}

/* "HLC/DEVICE": FALSE when @base is not one, as the JSON encoder leaves such a base out. */
static gboolean
split_base (const char *base, guint64 *hlc, const char **device)
{
  const char      *slash = base != NULL ? strchr (base, '/') : NULL;
  g_autofree char *digits = NULL;

  if (slash == NULL)
    return FALSE;
  digits = g_strndup (base, (gsize) (slash - base));
  if (!g_ascii_string_to_unsigned (digits, 10, 0, G_MAXUINT64, hlc, NULL))
    return FALSE;
  *device = slash + 1;
  return TRUE;
}

/* The columns, in the order they are sent. */
typedef enum
{
  COL_ENTITY,
  COL_DEVICE,
  COL_SEQ,
  COL_HLC,
  COL_RECORD,
  COL_N_FIELDS,
  COL_N_BASES,
  COL_FIELD_NAME,
  COL_TAG,
  COL_BASE_NAME,
  COL_BASE_HLC,
  COL_BASE_DEVICE,
  /* Values, one column per type: numbers beside numbers, text beside text. */
  COL_INT,
  COL_DOUBLE,
  COL_ID,
  COL_STRING,
  N_COLS
} Column;

/*
 * An id as a value is sent as the difference from the previous id of the same field in the
 * batch: a day's attendance marks all name one session, and a person's marks follow each other.
 * @last_id holds that previous index per field name.
 */
static void
put_value (GByteArray **cols, Table *ids, GArray *last_id, guint name, JsonNode *node)
{
  GByteArray *tags = cols[COL_TAG];

  if (JSON_NODE_HOLDS_NULL (node))
    {
      put_byte (tags, TAG_NULL);
      return;
    }
  if (!JSON_NODE_HOLDS_VALUE (node))
    {
      put_byte (tags, TAG_NESTED);
      return;
    }
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_BOOLEAN:
      put_byte (tags, json_node_get_boolean (node) ? TAG_TRUE : TAG_FALSE);
      return;
    case G_TYPE_INT64:
      put_byte (tags, TAG_INT);
      put_zigzag (cols[COL_INT], json_node_get_int (node));
      return;
    case G_TYPE_DOUBLE:
      {
        double  d = json_node_get_double (node);
        guint64 bits;

        memcpy (&bits, &d, sizeof bits);
        bits = GUINT64_TO_LE (bits);
        put_byte (tags, TAG_DOUBLE);
        g_byte_array_append (cols[COL_DOUBLE], (const guint8 *) &bits, sizeof bits);
        return;
      }
    case G_TYPE_STRING:
      {
        const char *s = json_node_get_string (node);

        /* Records point at each other by id: a person's id in an attendance mark is most often
         * one the batch holds already. */
        if (dft_uuid_is_valid (s))
          {
            gint64 i = table_intern (ids, s);

            if (name >= last_id->len)
              g_array_set_size (last_id, name + 1);
            put_byte (tags, TAG_ID);
            put_zigzag (cols[COL_ID], i - g_array_index (last_id, gint64, name));
            g_array_index (last_id, gint64, name) = i;
          }
        else
          {
            put_byte (tags, TAG_STRING);
            put_text (cols[COL_STRING], s);
          }
        return;
      }
    default:
      put_byte (tags, TAG_NESTED);
      return;
    }
}

GBytes *
_dft_wire_cols_payload (GPtrArray *changes, JsonObject *extra)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (GArray)     last_id = g_array_new (FALSE, TRUE, sizeof (gint64));
  GByteArray            *cols[N_COLS];
  gint64                 last_record = 0;
  Table                  devices, ids, names;
  guint64                n_fields = 0, n_bases = 0;
  guint                  n = changes != NULL ? changes->len : 0;

  table_init (&devices);
  table_init (&ids);
  table_init (&names);
  for (guint c = 0; c < N_COLS; c++)
    cols[c] = g_byte_array_new ();

  /* Record ids first, so that the ids values point at are mostly among them. */
  for (guint i = 0; i < n; i++)
    table_intern (&ids, ((DftChange *) g_ptr_array_index (changes, i))->record_id);

  for (guint i = 0; i < n; i++)
    {
      DftChange        *c = g_ptr_array_index (changes, i);
      DftChange        *prev = i > 0 ? g_ptr_array_index (changes, i - 1) : NULL;
      g_autoptr (GList) fields = json_object_get_members (c->fields);
      guint             nf = 0, nb = 0;

      put_byte (cols[COL_ENTITY], (guint8) entity_index (c->entity));
      put_varint (cols[COL_DEVICE], table_intern (&devices, c->device_id));
      /* Unsigned, so that no input makes the subtraction undefined; the receiver checks the sums
       * as it does for JSON. */
      put_zigzag (cols[COL_SEQ], (gint64) ((guint64) c->origin_seq
                                           - (prev != NULL ? (guint64) prev->origin_seq : 0)));
      put_zigzag (cols[COL_HLC], (gint64) (c->hlc - (prev != NULL ? prev->hlc : 0)));
      /* From the previous change's: a batch of new records counts up by one. */
      {
        gint64 record = table_intern (&ids, c->record_id);

        put_zigzag (cols[COL_RECORD], record - last_record);
        last_record = record;
      }

      for (GList *l = fields; l != NULL; l = l->next, nf++)
        {
          guint name = table_intern (&names, l->data);

          put_varint (cols[COL_FIELD_NAME], name);
          put_value (cols, &ids, last_id, name, json_object_get_member (c->fields, l->data));
        }
      if (c->base != NULL)
        {
          g_autoptr (GList) based = json_object_get_members (c->base);

          for (GList *l = based; l != NULL; l = l->next)
            {
              guint64     hlc;
              const char *device;

              if (!split_base (json_object_get_string_member_with_default (c->base, l->data, NULL),
                               &hlc, &device))
                continue;
              put_varint (cols[COL_BASE_NAME], table_intern (&names, l->data));
              /* Modulo 2^64 both ways: every clock value comes back exactly. */
              put_zigzag (cols[COL_BASE_HLC], (gint64) (hlc - c->hlc));
              put_varint (cols[COL_BASE_DEVICE], table_intern (&devices, device));
              nb++;
            }
        }
      put_varint (cols[COL_N_FIELDS], nf);
      put_varint (cols[COL_N_BASES], nb);
      n_fields += nf;
      n_bases += nb;
    }

  put_varint (out, n);
  put_varint (out, n_fields);
  put_varint (out, n_bases);
  if (extra != NULL && json_object_get_size (extra) > 0)
    {
      g_autoptr (JsonNode)      node = json_node_new (JSON_NODE_OBJECT);
      g_autoptr (JsonGenerator) generator = json_generator_new ();
      g_autofree char          *text = NULL;

      json_node_set_object (node, extra);
      json_generator_set_root (generator, node);
      text = json_generator_to_data (generator, NULL);
      put_text (out, text);
    }
  else
    put_varint (out, 0);
  {
    guint8 prev[16] = { 0 };

    put_varint (out, devices.list->len);
    for (guint i = 0; i < devices.list->len; i++)
      put_id (out, g_ptr_array_index (devices.list, i), prev);
    memset (prev, 0, sizeof prev);
    put_varint (out, ids.list->len);
    for (guint i = 0; i < ids.list->len; i++)
      put_id (out, g_ptr_array_index (ids.list, i), prev);
  }
  put_varint (out, names.list->len);
  for (guint i = 0; i < names.list->len; i++)
    put_text (out, g_ptr_array_index (names.list, i));
  for (guint c = 0; c < N_COLS; c++)
    {
      g_byte_array_append (out, cols[c]->data, cols[c]->len);
      g_byte_array_unref (cols[c]);
    }

  table_clear (&devices);
  table_clear (&ids);
  table_clear (&names);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static GBytes *
compress (GBytes *payload, int level)
{
  const ZSTD_CDict *cdict = cdict_for (level);
  ZSTD_CCtx        *cctx = ZSTD_createCCtx ();
  gsize             size;
  const void       *data = g_bytes_get_data (payload, &size);
  gsize             bound = ZSTD_compressBound (size);
  guint8           *buffer = g_malloc (bound);
  guint8           *frame = buffer + ZSTD_MAGIC_SIZE - HEADER_SIZE;
  size_t            written;
  guint32           zstd_magic;

  G_STATIC_ASSERT (ZSTD_MAGIC_SIZE >= HEADER_SIZE);
  /* The frame says its size and the dictionary's id, which the receiver checks; no checksum,
   * as HTTP over TLS has its own. */
  written = ZSTD_compress_usingCDict (cctx, buffer, bound, data, size, cdict);
  ZSTD_freeCCtx (cctx);
  g_assert (!ZSTD_isError (written) && written > ZSTD_MAGIC_SIZE);
  memcpy (&zstd_magic, buffer, sizeof zstd_magic);
  g_assert (GUINT32_FROM_LE (zstd_magic) == ZSTD_MAGICNUMBER);
  /* Our header over the end of zstd's magic number. */
  memcpy (frame, magic, sizeof magic);
  frame[sizeof magic] = DFT_WIRE_COLS_VERSION;
  return g_bytes_new_with_free_func (frame, written - ZSTD_MAGIC_SIZE + HEADER_SIZE, g_free,
                                     buffer);
}

GBytes *
_dft_wire_cols_encode_level (GPtrArray *changes, JsonObject *extra, int level)
{
  g_autoptr (GBytes) payload = _dft_wire_cols_payload (changes, extra);

  return compress (payload, level);
}

GBytes *
dft_wire_cols_encode (GPtrArray *changes, JsonObject *extra)
{
  g_autoptr (GBytes) payload = _dft_wire_cols_payload (changes, extra);

  return compress (payload, g_bytes_get_size (payload) <= DFT_WIRE_COLS_SMALL
                                ? DFT_WIRE_COLS_LEVEL_SMALL
                                : DFT_WIRE_COLS_LEVEL);
}

gboolean
dft_wire_cols_is_frame (GBytes *data)
{
  gsize         size;
  const guint8 *bytes;

  g_return_val_if_fail (data != NULL, FALSE);
  bytes = g_bytes_get_data (data, &size);
  return size >= sizeof magic && memcmp (bytes, magic, sizeof magic) == 0;
}

/* ---- Reading ---- */

static gboolean
invalid (GError **error, const char *what)
{
  g_set_error (error, DFT_WIRE_ERROR, DFT_WIRE_ERROR_INVALID,
               /* Translators: %s says what is wrong, e.g. "change 3 has no fields" */
               _ ("The sync data is not valid: %s."), what);
  return FALSE;
}

static gboolean
too_large (GError **error)
{
  g_set_error (error, DFT_WIRE_ERROR, DFT_WIRE_ERROR_TOO_LARGE, _ ("The sync data is too large."));
  return FALSE;
}

static gboolean
change_invalid (GError **error, guint n)
{
  /* Translators: %u is the position of a change in a sync message */
  g_autofree char *where = g_strdup_printf (_ ("change %u is malformed"), n + 1);

  return invalid (error, where);
}

typedef struct
{
  const guint8 *p;
  const guint8 *end;
} Reader;

static gsize
left (const Reader *r)
{
  return (gsize) (r->end - r->p);
}

/* At most ten bytes, the last holding the top bit; no needless zero bytes at the end, so each
 * number has one encoding. */
static gboolean
get_varint (Reader *r, guint64 *out)
{
  guint64 v = 0;

  for (guint i = 0; i < 10; i++)
    {
      guint8 b;

      if (r->p >= r->end)
        return FALSE;
      b = *r->p++;
      if (i == 9 && b > 1)
        return FALSE;
      v |= (guint64) (b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0)
        {
          if (b == 0 && i > 0)
            return FALSE;
          *out = v;
          return TRUE;
        }
    }
  return FALSE;
}

static gboolean
get_zigzag (Reader *r, gint64 *out)
{
  guint64 u;

  if (!get_varint (r, &u))
    return FALSE;
  *out = (gint64) ((u >> 1) ^ (~(u & 1) + 1));
  return TRUE;
}

/* A varint that is a place in a list of @len. */
static gboolean
get_index (Reader *r, guint len, guint *out)
{
  guint64 v;

  if (!get_varint (r, &v) || v >= len)
    return FALSE;
  *out = (guint) v;
  return TRUE;
}

static gboolean
get_byte (Reader *r, guint8 *out)
{
  if (r->p >= r->end)
    return FALSE;
  *out = *r->p++;
  return TRUE;
}

/* Text of a varint length: UTF-8 without NUL, as JSON's decoder requires of every string. */
static char *
get_text (Reader *r)
{
  guint64 len;
  char   *text;

  if (!get_varint (r, &len) || len > left (r)
      || !g_utf8_validate_len ((const char *) r->p, (gsize) len, NULL))
    return NULL;
  text = g_strndup ((const char *) r->p, (gsize) len);
  r->p += len;
  return text;
}

static char *
get_id (Reader *r, guint8 prev[16])
{
  guint8 kind;

  if (!get_byte (r, &kind))
    return NULL;
  if (kind <= ID_SHARED_MAX)
    {
      guint8 *b = prev;

      if (left (r) < 16u - kind)
        return NULL;
      memcpy (prev + kind, r->p, 16u - kind);
      r->p += 16u - kind;
      return g_strdup_printf (
          "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
          b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    }
  if (kind < ID_TEXT || kind - ID_TEXT > ID_MAX_LEN || (gsize) (kind - ID_TEXT) > left (r))
    return NULL;
  {
    char *text = g_strndup ((const char *) r->p, kind - ID_TEXT);

    r->p += kind - ID_TEXT;
    /* Every id is a UUID, as in JSON: a path or anything else never reaches a table. */
    if (!dft_uuid_is_valid (text))
      {
        g_free (text);
        return NULL;
      }
    return text;
  }
}

static gboolean
skip_varints (Reader *r, guint64 n)
{
  for (guint64 i = 0; i < n; i++)
    {
      guint64 v;

      if (!get_varint (r, &v))
        return FALSE;
    }
  return TRUE;
}

static gboolean
skip_bytes (Reader *r, guint64 n)
{
  if (n > left (r))
    return FALSE;
  r->p += n;
  return TRUE;
}

static gboolean
id_table (Reader *r, guint64 max, GPtrArray *out, const char *name, GError **error)
{
  guint64 n;
  guint8  prev[16] = { 0 };

  /* Each entry takes two bytes at least. */
  if (!get_varint (r, &n) || n > left (r) / 2 || n > max)
    return invalid (error, _ ("a count runs past the end of the data"));
  for (guint64 i = 0; i < n; i++)
    {
      char *id = get_id (r, prev);

      if (id == NULL)
        {
          /* Translators: %u is a position in a list, %s the name of the list in a sync message */
          g_autofree char *what
              = g_strdup_printf (_ ("entry %u of “%s” is not an id"), (guint) i, name);
          return invalid (error, what);
        }
      g_ptr_array_add (out, id);
    }
  return TRUE;
}

static JsonObject *
parse_extra (Reader *r, GError **error)
{
  g_autoptr (JsonParser) parser = NULL;
  guint64                len;
  const char            *text;
  JsonNode              *root;

  if (!get_varint (r, &len) || len > left (r))
    return invalid (error, _ ("a count runs past the end of the data")), NULL;
  text = (const char *) r->p;
  r->p += len;
  if (len == 0)
    return json_object_new ();
  /* The same checks as a JSON batch's, for the same reasons (dft-wire.c). */
  if (!dft_wire_json_depth_ok (text, len, DFT_WIRE_MAX_DEPTH))
    return invalid (error, _ ("it nests too deeply")), NULL;
  if (dft_wire_json_has_nul (text, len))
    return invalid (error, _ ("it holds a NUL character")), NULL;
  if (!dft_wire_json_strict (text, len))
    return invalid (error, _ ("it holds text that is not UTF-8 or an escape JSON does not have")),
           NULL;
  parser = json_parser_new ();
  if (!dft_wire_json_single (text, len)
      || !json_parser_load_from_data (parser, text, (gssize) len, NULL))
    return invalid (error, _ ("it is not JSON")), NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return invalid (error, _ ("it is not a JSON object")), NULL;
  return json_object_ref (json_node_get_object (root));
}

static GBytes *
inflate (const guint8 *data, gsize size, GError **error)
{
  Dictionary        *d = dictionary ();
  ZSTD_DCtx         *dctx;
  ZSTD_inBuffer      in = { data, size, 0 };
  g_autofree guint8 *out = NULL;
  gsize              cap, len = 0;
  size_t             ret = 1; /* not finished */
  unsigned long long declared;

  /* A skippable frame, or one cut inside its header, gives an error or no dictionary id. */
  declared = ZSTD_getFrameContentSize (data, size);
  if (declared == ZSTD_CONTENTSIZE_ERROR)
    return invalid (error, _ ("it is not zstd data")), NULL;
  if (ZSTD_getDictID_fromFrame (data, size) != d->id)
    return invalid (
               error,
               _ ("it was compressed with a dictionary this version of Daftari does not have")),
           NULL;
  /* A small frame may say it inflates to gigabytes: refused before any of it is made. */
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared > DFT_WIRE_MAX_JSON)
    return too_large (error), NULL;
  cap = declared != ZSTD_CONTENTSIZE_UNKNOWN ? MAX (declared, 1) : 64 * 1024;
  out = g_malloc (cap);

  dctx = ZSTD_createDCtx ();
  ZSTD_DCtx_setParameter (dctx, ZSTD_d_windowLogMax, WINDOW_LOG_MAX);
  ZSTD_DCtx_refDDict (dctx, d->ddict);
  for (;;)
    {
      ZSTD_outBuffer o;

      if (len == cap)
        {
          if (cap > DFT_WIRE_MAX_JSON)
            break;
          cap = MIN (cap * 2, (gsize) DFT_WIRE_MAX_JSON + 1);
          out = g_realloc (out, cap);
        }
      o = (ZSTD_outBuffer){ out + len, cap - len, 0 };
      ret = ZSTD_decompressStream (dctx, &o, &in);
      len += o.pos;
      if (ZSTD_isError (ret) || ret == 0 || (in.pos == in.size && o.pos < o.size))
        break;
    }
  ZSTD_freeDCtx (dctx);

  if (len > DFT_WIRE_MAX_JSON
      || (ZSTD_isError (ret)
          && ZSTD_getErrorCode (ret) == ZSTD_error_frameParameter_windowTooLarge))
    return too_large (error), NULL;
  if (ZSTD_isError (ret) || ret != 0)
    return invalid (error, _ ("it is cut short or corrupt")), NULL;
  /* One frame and nothing after it. */
  if (in.pos != in.size)
    return invalid (error, _ ("it has bytes after its end")), NULL;
  return g_bytes_new_take (g_realloc (g_steal_pointer (&out), MAX (len, 1)), len);
}

/* The start of each column (dft_wire_cols_payload names them), found without building anything. */
typedef struct
{
  Reader entity, device, seq, hlc, record, n_fields, n_bases;
  Reader field_name, tag, base_name, base_hlc, base_device;
  Reader ints, doubles, ids, strings;
  /* What the previous change and field held, for the columns sent as differences. */
  gint64  last_record;
  gint64 *last_id; /* per field name */
} Columns;

/* Each column's reader ends where the column does, so that no count can read into the next. */
static gboolean
find_columns (Reader *r, guint64 n, guint64 n_fields, guint64 n_bases, Columns *cols)
{
  struct
  {
    Reader  *col;
    guint64  count;
    gboolean bytes; /* one byte each, else a varint each */
  } layout[] = {
    { &cols->entity, n, TRUE },
    { &cols->device, n, FALSE },
    { &cols->seq, n, FALSE },
    { &cols->hlc, n, FALSE },
    { &cols->record, n, FALSE },
    { &cols->n_fields, n, FALSE },
    { &cols->n_bases, n, FALSE },
    { &cols->field_name, n_fields, FALSE },
    { &cols->tag, n_fields, TRUE },
    { &cols->base_name, n_bases, FALSE },
    { &cols->base_hlc, n_bases, FALSE },
    { &cols->base_device, n_bases, FALSE },
  };

  guint64 n_ints = 0, n_doubles = 0, n_ids = 0;

  for (guint i = 0; i < G_N_ELEMENTS (layout); i++)
    {
      *layout[i].col = *r;
      if (!(layout[i].bytes ? skip_bytes (r, layout[i].count) : skip_varints (r, layout[i].count)))
        return FALSE;
      layout[i].col->end = r->p;
    }
  /* The tags say how many values each of the value columns holds. */
  for (const guint8 *t = cols->tag.p; t < cols->tag.end; t++)
    {
      n_ints += *t == TAG_INT;
      n_doubles += *t == TAG_DOUBLE;
      n_ids += *t == TAG_ID;
    }
  cols->ints = *r;
  if (!skip_varints (r, n_ints))
    return FALSE;
  cols->ints.end = cols->doubles.p = r->p;
  if (!skip_bytes (r, n_doubles * 8))
    return FALSE;
  cols->doubles.end = cols->ids.p = r->p;
  if (!skip_varints (r, n_ids))
    return FALSE;
  cols->ids.end = r->p;
  /* Text runs to the end. */
  cols->strings = *r;
  return TRUE;
}

static gboolean
read_value (Columns    *cols,
            guint8      tag,
            GPtrArray  *ids,
            JsonObject *fields,
            guint       name_index,
            const char *name)
{
  switch ((Tag) tag)
    {
    case TAG_NULL:
      json_object_set_null_member (fields, name);
      return TRUE;
    case TAG_FALSE:
    case TAG_TRUE:
      json_object_set_boolean_member (fields, name, tag == TAG_TRUE);
      return TRUE;
    case TAG_INT:
      {
        gint64 v;

        if (!get_zigzag (&cols->ints, &v))
          return FALSE;
        json_object_set_int_member (fields, name, v);
        return TRUE;
      }
    case TAG_DOUBLE:
      {
        guint64 bits;
        double  d;

        if (left (&cols->doubles) < sizeof bits)
          return FALSE;
        memcpy (&bits, cols->doubles.p, sizeof bits);
        cols->doubles.p += sizeof bits;
        bits = GUINT64_FROM_LE (bits);
        memcpy (&d, &bits, sizeof d);
        /* JSON has no infinity and no NaN. */
        if (!isfinite (d))
          return FALSE;
        json_object_set_double_member (fields, name, d);
        return TRUE;
      }
    case TAG_STRING:
      {
        g_autofree char *s = get_text (&cols->strings);

        if (s == NULL)
          return FALSE;
        json_object_set_string_member (fields, name, s);
        return TRUE;
      }
    case TAG_ID:
      {
        gint64 delta, i;

        if (!get_zigzag (&cols->ids, &delta)
            || __builtin_add_overflow (cols->last_id[name_index], delta, &i) || i < 0
            || i >= ids->len)
          return FALSE;
        cols->last_id[name_index] = i;
        json_object_set_string_member (fields, name, g_ptr_array_index (ids, (guint) i));
        return TRUE;
      }
    case TAG_NESTED:
    default:
      return FALSE;
    }
}

static DftChange *
read_change (Columns   *cols,
             guint      i,
             DftChange *prev,
             GPtrArray *devices,
             GPtrArray *ids,
             GPtrArray *names,
             guint64   *fields_left,
             guint64   *bases_left,
             GError   **error)
{
  g_autoptr (DftChange)  change = NULL;
  g_autoptr (JsonObject) fields = json_object_new ();
  guint8                 entity;
  guint                  device;
  gint64                 seq_delta, hlc_delta, seq, clock, record_delta, record;
  guint64                nf, nb;

  if (!get_byte (&cols->entity, &entity) || !get_index (&cols->device, devices->len, &device)
      || !get_zigzag (&cols->seq, &seq_delta) || !get_zigzag (&cols->hlc, &hlc_delta)
      || !get_zigzag (&cols->record, &record_delta)
      || __builtin_add_overflow (cols->last_record, record_delta, &record) || record < 0
      || record >= ids->len || !get_varint (&cols->n_fields, &nf)
      || !get_varint (&cols->n_bases, &nb) || nf > *fields_left || nb > *bases_left)
    return change_invalid (error, i), NULL;
  if (entity >= g_strv_length ((char **) dft_wire_entities))
    {
      g_autofree char *what
          /* Translators: %u is the position of a change in a sync message */
          = g_strdup_printf (_ ("change %u is for an unknown kind of record"), i + 1);
      return invalid (error, what), NULL;
    }
  /* Each is the difference from the previous change's: the sum is checked before it is made,
   * since a hostile frame can send any 64-bit number. */
  if (__builtin_add_overflow (seq_delta, prev != NULL ? prev->origin_seq : 0, &seq)
      || __builtin_add_overflow (hlc_delta, prev != NULL ? (gint64) prev->hlc : 0, &clock)
      || seq <= 0 || clock <= 0)
    return change_invalid (error, i), NULL;
  *fields_left -= nf;
  *bases_left -= nb;
  cols->last_record = record;

  for (guint64 k = 0; k < nf; k++)
    {
      guint       name;
      guint8      tag;
      const char *field;

      if (!get_index (&cols->field_name, names->len, &name) || !get_byte (&cols->tag, &tag))
        return change_invalid (error, i), NULL;
      field = g_ptr_array_index (names, name);
      /* One value per field: a second would silently replace the first. */
      if (json_object_has_member (fields, field)
          || !read_value (cols, tag, ids, fields, name, field))
        return change_invalid (error, i), NULL;
    }

  change
      = dft_change_new (dft_wire_entities[entity], g_ptr_array_index (ids, (guint) record), fields);
  change->device_id = g_strdup (g_ptr_array_index (devices, device));
  change->origin_seq = seq;
  change->hlc = (DftHlcValue) clock;

  if (nb > 0)
    change->base = json_object_new ();
  for (guint64 k = 0; k < nb; k++)
    {
      guint            name, dev;
      gint64           delta;
      g_autofree char *version = NULL;

      if (!get_index (&cols->base_name, names->len, &name) || !get_zigzag (&cols->base_hlc, &delta)
          || !get_index (&cols->base_device, devices->len, &dev)
          || json_object_has_member (change->base, g_ptr_array_index (names, name)))
        return change_invalid (error, i), NULL;
      version = g_strdup_printf ("%" G_GUINT64_FORMAT "/%s", change->hlc + (guint64) delta,
                                 (const char *) g_ptr_array_index (devices, dev));
      json_object_set_string_member (change->base, g_ptr_array_index (names, name), version);
    }
  return g_steal_pointer (&change);
}

GPtrArray *
dft_wire_cols_decode (GBytes *frame, guint max_changes, JsonObject **top, GError **error)
{
  g_autoptr (GBytes)     payload = NULL;
  g_autoptr (GPtrArray)  devices = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray)  ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray)  names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray)  changes = NULL;
  g_autoptr (JsonObject) extra = NULL;
  Columns                cols = { 0 };
  g_autofree gint64     *last_id = NULL;
  Reader                 r;
  gsize                  size;
  const guint8          *bytes;
  guint64                n, n_fields, n_bases, n_names;

  g_return_val_if_fail (frame != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  bytes = g_bytes_get_data (frame, &size);
  if (size > DFT_WIRE_MAX_GZIP)
    return too_large (error), NULL;
  if (size < HEADER_SIZE || !dft_wire_cols_is_frame (frame))
    return invalid (error, _ ("it is not Daftari’s column format")), NULL;
  if (bytes[sizeof magic] != DFT_WIRE_COLS_VERSION)
    {
      g_set_error (error, DFT_WIRE_ERROR, DFT_WIRE_ERROR_INVALID,
                   /* Translators: %u is a version number of the format sync data is sent in */
                   _ ("The sync data was made by a newer Daftari (column format %u); update "
                      "Daftari to read it."),
                   bytes[sizeof magic]);
      return NULL;
    }
  {
    /* zstd's magic number back before the rest of its frame. */
    g_autofree guint8 *zstd_frame = g_malloc (size - HEADER_SIZE + ZSTD_MAGIC_SIZE);
    guint32            zstd_magic = GUINT32_TO_LE (ZSTD_MAGICNUMBER);

    memcpy (zstd_frame, &zstd_magic, ZSTD_MAGIC_SIZE);
    memcpy (zstd_frame + ZSTD_MAGIC_SIZE, bytes + HEADER_SIZE, size - HEADER_SIZE);
    payload = inflate (zstd_frame, size - HEADER_SIZE + ZSTD_MAGIC_SIZE, error);
    if (payload == NULL)
      return NULL;
  }

  r.p = g_bytes_get_data (payload, &size);
  r.end = r.p + size;
  if (!get_varint (&r, &n) || !get_varint (&r, &n_fields) || !get_varint (&r, &n_bases))
    return invalid (error, _ ("it is cut short")), NULL;
  /* Every count is checked before anything is made for it: against the limits, then against
   * the least each entry takes of what is left (seven bytes a change, two a field, three a
   * base). */
  if (max_changes > 0)
    {
      guint64 values = (guint64) max_changes * DFT_WIRE_COLS_VALUES_PER_CHANGE;

      if (n > max_changes || n_fields > values || n_bases > values - n_fields)
        return too_large (error), NULL;
    }
  if (n > left (&r) / 7 || n_fields > left (&r) / 2 || n_bases > left (&r) / 3)
    return invalid (error, _ ("a count runs past the end of the data")), NULL;

  extra = parse_extra (&r, error);
  /* A table holds only what the changes use: devices of changes and bases, ids of records and
   * values, names of fields and bases. So the limits on those bound the tables too. */
  if (extra == NULL || !id_table (&r, n + n_bases, devices, "devices", error)
      || !id_table (&r, n + n_fields, ids, "ids", error))
    return NULL;
  if (!get_varint (&r, &n_names) || n_names > left (&r) || n_names > n_fields + n_bases)
    return invalid (error, _ ("a count runs past the end of the data")), NULL;
  for (guint64 i = 0; i < n_names; i++)
    {
      char *name = get_text (&r);

      if (name == NULL)
        return invalid (error, _ ("a field name is malformed")), NULL;
      g_ptr_array_add (names, name);
    }
  if (!find_columns (&r, n, n_fields, n_bases, &cols))
    return invalid (error, _ ("it is cut short")), NULL;
  last_id = g_new0 (gint64, names->len + 1);
  cols.last_id = last_id;

  changes = g_ptr_array_new_full ((guint) n, (GDestroyNotify) dft_change_free);
  for (guint i = 0; i < n; i++)
    {
      DftChange *c = read_change (&cols, i, i > 0 ? g_ptr_array_index (changes, i - 1) : NULL,
                                  devices, ids, names, &n_fields, &n_bases, error);

      if (c == NULL)
        return NULL;
      g_ptr_array_add (changes, c);
    }
  /* Every field and base the header counted was used, and nothing follows the values. */
  if (n_fields != 0 || n_bases != 0 || cols.ints.p != cols.ints.end
      || cols.doubles.p != cols.doubles.end || cols.ids.p != cols.ids.end
      || cols.strings.p != cols.strings.end)
    return invalid (error, _ ("its counts do not add up")), NULL;

  if (top != NULL)
    *top = g_steal_pointer (&extra);
  return g_steal_pointer (&changes);
}
