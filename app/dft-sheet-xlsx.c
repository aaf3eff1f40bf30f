/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <gsf/gsf-infile-impl.h>
#include <gsf/gsf-infile-zip.h>
#include <gsf/gsf-infile.h>
#include <gsf/gsf-input-memory.h>
#include <gsf/gsf-input.h>
#include <libxml/parser.h>
#include <libxml/xmlreader.h>
#include <math.h>
#include <string.h>

#include "dft-sheet-private.h"

#define REL_NS        "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define REL_NS_STRICT "http://purl.oclc.org/ooxml/officeDocument/relationships"

/* OOXML writes characters XML cannot hold as _xHHHH_, for example _x000D_ for a carriage return. */
static char *
decode_ooxml_escapes (const char *text)
{
  GString    *out;
  const char *p = text;

  if (strstr (text, "_x") == NULL)
    return g_strdup (text);

  out = g_string_new (NULL);
  while (*p != '\0')
    {
      if (p[0] == '_' && p[1] == 'x' && g_ascii_isxdigit (p[2]) && g_ascii_isxdigit (p[3])
          && g_ascii_isxdigit (p[4]) && g_ascii_isxdigit (p[5]) && p[6] == '_')
        {
          gunichar c
              = (gunichar) ((g_ascii_xdigit_value (p[2]) << 12) | (g_ascii_xdigit_value (p[3]) << 8)
                            | (g_ascii_xdigit_value (p[4]) << 4) | g_ascii_xdigit_value (p[5]));

          if (c != 0 && g_unichar_validate (c))
            {
              g_string_append_unichar (out, c);
              p += 7;
              continue;
            }
        }
      g_string_append_c (out, *p);
      p++;
    }
  return g_string_free (out, FALSE);
}

/* ---- XLSX ------------------------------------------------------------- */

typedef struct
{
  const char      *path;
  GsfInput        *input;
  gsf_off_t        consumed;
  gboolean         too_large;
  xmlTextReaderPtr reader;
} Part;

static int
part_read_cb (void *context, char *buffer, int len)
{
  Part     *part = context;
  gsf_off_t remaining = gsf_input_remaining (part->input);
  gsf_off_t n;

  if (len <= 0 || remaining <= 0)
    return 0;
  n = MIN ((gsf_off_t) len, remaining);
  if (part->consumed + n > MAX_PART_BYTES)
    {
      part->too_large = TRUE;
      return -1;
    }
  if (gsf_input_read (part->input, (size_t) n, (guint8 *) buffer) == NULL)
    return -1;
  part->consumed += n;
  return (int) n;
}

static int
part_close_cb (void *context)
{
  return 0;
}

static gboolean
set_damaged (GError **error, const Xlsx *x, const char *path)
{
  g_set_error (error, DFT_SHEET_ERROR, DFT_SHEET_ERROR_FORMAT,
               /* Translators: first %s is a file name, second a part inside it such as
                * xl/worksheets/sheet1.xml */
               _ ("“%s” is damaged: its part %s cannot be read. Open it in Excel or LibreOffice, "
                  "save it again and use the new file."),
               x->name, path);
  return FALSE;
}

/*
 * A member of the archive by its path, NULL when there is none. A member
 * that cannot be opened is an error: gsf_infile_child_by_name() would report
 * it with g_warning() and return NULL, as if it was missing, so the class
 * method is called instead.
 */
static GsfInput *
zip_child (GsfInfile *zip, const char *path, GError **error)
{
  g_auto (GStrv) names = g_strsplit (path, "/", -1);
  GsfInput      *current = GSF_INPUT (g_object_ref (zip));

  for (guint i = 0; names[i] != NULL; i++)
    {
      GsfInfile      *folder = GSF_IS_INFILE (current) ? GSF_INFILE (current) : NULL;
      GsfInfileClass *klass;
      GsfInput       *child;

      if (folder == NULL || gsf_infile_num_children (folder) < 0)
        {
          g_object_unref (current);
          return NULL;
        }
      klass = GSF_INFILE_CLASS (G_OBJECT_GET_CLASS (folder));
      child = klass->child_by_name (folder, names[i], error);
      g_object_unref (current);
      if (child == NULL)
        return NULL;
      current = child;
    }
  return current;
}

typedef enum
{
  PART_OPEN,
  PART_MISSING,
  PART_FAILED,
} PartStatus;

/* Opens a part for streaming: parts can be large. */
static PartStatus
part_open (Part *part, const Xlsx *x, const char *path, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  memset (part, 0, sizeof *part);
  part->path = path;
  part->input = zip_child (x->zip, path, &local_error);
  if (local_error != NULL)
    {
      set_damaged (error, x, path);
      return PART_FAILED;
    }
  if (part->input == NULL)
    return PART_MISSING;
  if (GSF_IS_INFILE (part->input) && gsf_infile_num_children (GSF_INFILE (part->input)) >= 0)
    {
      /* A folder where a file should be. */
      g_clear_object (&part->input);
      set_damaged (error, x, path);
      return PART_FAILED;
    }
  /* No network, no entity expansion beyond libxml2's own limits, no messages on stderr. */
  part->reader = xmlReaderForIO (part_read_cb, part_close_cb, part, path, NULL,
                                 XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (part->reader == NULL)
    {
      g_clear_object (&part->input);
      set_damaged (error, x, path);
      return PART_FAILED;
    }
  return PART_OPEN;
}

/* Ends reading a part; @ret is the last value xmlTextReaderRead() returned. */
static gboolean
part_close (Part *part, const Xlsx *x, int ret, GError **error)
{
  gboolean too_large = part->too_large;

  g_clear_pointer (&part->reader, xmlFreeTextReader);
  g_clear_object (&part->input);

  if (too_large)
    {
      g_set_error (error, DFT_SHEET_ERROR, DFT_SHEET_ERROR_TOO_LARGE,
                   /* Translators: %s is a file name */
                   _ ("“%s” holds more data than Daftari reads at once. Split it into smaller "
                      "sheets and use them one after the other."),
                   x->name);
      return FALSE;
    }
  if (ret < 0)
    return set_damaged (error, x, part->path);
  return TRUE;
}

static char *
get_attr (xmlTextReaderPtr reader, const char *name)
{
  xmlChar *value = xmlTextReaderGetAttribute (reader, BAD_CAST name);
  char    *copy = value != NULL ? g_strdup ((const char *) value) : NULL;

  xmlFree (value);
  return copy;
}

static char *
get_rel_id_attr (xmlTextReaderPtr reader)
{
  static const char *namespaces[] = { REL_NS, REL_NS_STRICT };

  for (guint i = 0; i < G_N_ELEMENTS (namespaces); i++)
    {
      xmlChar *value = xmlTextReaderGetAttributeNs (reader, BAD_CAST "id", BAD_CAST namespaces[i]);

      if (value != NULL)
        {
          char *copy = g_strdup ((const char *) value);
          xmlFree (value);
          return copy;
        }
    }
  return get_attr (reader, "r:id");
}

static gboolean
node_is (xmlTextReaderPtr reader, int type, const char *local_name)
{
  const xmlChar *name;

  if (xmlTextReaderNodeType (reader) != type)
    return FALSE;
  name = xmlTextReaderConstLocalName (reader);
  return name != NULL && strcmp ((const char *) name, local_name) == 0;
}

#define IS_START(r, n) node_is ((r), XML_READER_TYPE_ELEMENT, (n))
#define IS_END(r, n)   node_is ((r), XML_READER_TYPE_END_ELEMENT, (n))

static gboolean
is_text_node (xmlTextReaderPtr reader)
{
  int type = xmlTextReaderNodeType (reader);

  return type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA
         || type == XML_READER_TYPE_WHITESPACE || type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE;
}

static void
append_text (GString *buffer, xmlTextReaderPtr reader)
{
  const xmlChar *value = xmlTextReaderConstValue (reader);

  if (value != NULL)
    g_string_append (buffer, (const char *) value);
}

typedef struct
{
  char *id;
  char *type;
  char *target; /* resolved to a path inside the archive */
} Rel;

static void
rel_free (gpointer data)
{
  Rel *rel = data;

  g_free (rel->id);
  g_free (rel->type);
  g_free (rel->target);
  g_free (rel);
}

/* Targets are relative to the folder of the part that refers to them, or absolute from the root. */
static char *
resolve_target (const char *base_dir, const char *target)
{
  g_autofree char      *joined = NULL;
  g_auto (GStrv)        parts = NULL;
  g_autoptr (GPtrArray) out = g_ptr_array_new ();

  if (target[0] == '/')
    joined = g_strdup (target + 1);
  else if (base_dir[0] == '\0')
    joined = g_strdup (target);
  else
    joined = g_strconcat (base_dir, "/", target, NULL);
  g_strdelimit (joined, "\\", '/');

  parts = g_strsplit (joined, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (parts[i][0] == '\0' || strcmp (parts[i], ".") == 0)
        continue;
      if (strcmp (parts[i], "..") == 0)
        {
          if (out->len > 0)
            g_ptr_array_remove_index (out, out->len - 1);
          continue;
        }
      g_ptr_array_add (out, parts[i]);
    }
  g_ptr_array_add (out, NULL);
  return g_strjoinv ("/", (char **) out->pdata);
}

static char *
dir_of (const char *path)
{
  const char *slash = strrchr (path, '/');

  return slash != NULL ? g_strndup (path, (gsize) (slash - path)) : g_strdup ("");
}

/* The relationships of a part (an empty list when it has none). */
static GPtrArray *
read_rels (const Xlsx *x, const char *rels_path, const char *base_dir, GError **error)
{
  g_autoptr (GPtrArray) rels = g_ptr_array_new_with_free_func (rel_free);
  Part                  part;
  int                   ret;

  switch (part_open (&part, x, rels_path, error))
    {
    case PART_MISSING:
      return g_steal_pointer (&rels);
    case PART_FAILED:
      return NULL;
    case PART_OPEN:
    default:
      break;
    }

  while ((ret = xmlTextReaderRead (part.reader)) == 1)
    {
      g_autofree char *mode = NULL;
      g_autofree char *target = NULL;
      Rel             *rel;

      if (!IS_START (part.reader, "Relationship"))
        continue;
      mode = get_attr (part.reader, "TargetMode");
      target = get_attr (part.reader, "Target");
      if (target == NULL || g_strcmp0 (mode, "External") == 0)
        continue;
      rel = g_new0 (Rel, 1);
      rel->id = get_attr (part.reader, "Id");
      rel->type = get_attr (part.reader, "Type");
      rel->target = resolve_target (base_dir, target);
      g_ptr_array_add (rels, rel);
    }
  if (!part_close (&part, x, ret, error))
    return NULL;
  return g_steal_pointer (&rels);
}

static const Rel *
find_rel (GPtrArray *rels, const char *type_suffix, const char *id)
{
  for (guint i = 0; i < rels->len; i++)
    {
      const Rel *rel = g_ptr_array_index (rels, i);

      if (id != NULL && g_strcmp0 (rel->id, id) == 0)
        return rel;
      if (type_suffix != NULL && rel->type != NULL && g_str_has_suffix (rel->type, type_suffix))
        return rel;
    }
  return NULL;
}

/* The sheets in workbook order, with their relationship ids, and the date system. */
static gboolean
read_workbook (Xlsx *x, const char *path, GPtrArray *sheets, GError **error)
{
  Part part;
  int  ret;

  switch (part_open (&part, x, path, error))
    {
    case PART_MISSING:
      return set_damaged (error, x, path);
    case PART_FAILED:
      return FALSE;
    case PART_OPEN:
    default:
      break;
    }

  while ((ret = xmlTextReaderRead (part.reader)) == 1)
    {
      if (IS_START (part.reader, "workbookPr"))
        {
          g_autofree char *date1904 = get_attr (part.reader, "date1904");

          x->date1904 = g_strcmp0 (date1904, "1") == 0 || g_strcmp0 (date1904, "true") == 0;
        }
      else if (IS_START (part.reader, "sheet"))
        {
          g_autofree char *state = get_attr (part.reader, "state");
          g_autofree char *id = get_rel_id_attr (part.reader);
          g_autofree char *name = get_attr (part.reader, "name");
          Entry           *entry;

          if (id == NULL)
            continue;
          /* A workbook has at most a few hundred sheets; more is a hostile file. */
          if (sheets->len >= MAX_SHEETS)
            break;
          entry = g_new0 (Entry, 1);
          entry->pub.name = name != NULL ? decode_ooxml_escapes (name) : g_strdup ("");
          entry->pub.hidden
              = g_strcmp0 (state, "hidden") == 0 || g_strcmp0 (state, "veryHidden") == 0;
          entry->part = g_steal_pointer (&id);
          g_ptr_array_add (sheets, entry);
        }
    }
  return part_close (&part, x, ret, error);
}

/*
 * Whether a number format shows a date. Built-in formats have fixed ids;
 * a custom one is a date when, outside quoted text and [brackets], it has a
 * day or a year (a lone "m" may be minutes).
 */
static gboolean
builtin_format_is_date (guint id)
{
  return (id >= 14 && id <= 17) || id == 22 || (id >= 27 && id <= 36) || (id >= 50 && id <= 58);
}

static gboolean
format_code_is_date (const char *code)
{
  for (const char *p = code; p != NULL && *p != '\0'; p++)
    {
      switch (*p)
        {
        case '"':
          p = strchr (p + 1, '"');
          if (p == NULL)
            return FALSE;
          break;
        case '[':
          p = strchr (p + 1, ']');
          if (p == NULL)
            return FALSE;
          break;
        case '\\':
        case '_':
        case '*':
          if (p[1] == '\0')
            return FALSE;
          p++;
          break;
        case ';':
          return FALSE;
        case 'd':
        case 'D':
        case 'y':
        case 'Y':
          return TRUE;
        default:
          break;
        }
    }
  return FALSE;
}

static gboolean
read_styles (Xlsx *x, const char *path, GError **error)
{
  g_autoptr (GHashTable) custom = g_hash_table_new (g_direct_hash, g_direct_equal);
  int                    xfs_depth = -1;
  Part                   part;
  int                    ret;

  switch (part_open (&part, x, path, error))
    {
    case PART_MISSING:
      return TRUE;
    case PART_FAILED:
      return FALSE;
    case PART_OPEN:
    default:
      break;
    }

  while ((ret = xmlTextReaderRead (part.reader)) == 1)
    {
      if (IS_START (part.reader, "numFmt"))
        {
          g_autofree char *id = get_attr (part.reader, "numFmtId");
          g_autofree char *code = get_attr (part.reader, "formatCode");

          if (id != NULL)
            g_hash_table_insert (custom, GUINT_TO_POINTER (strtoul (id, NULL, 10)),
                                 GINT_TO_POINTER (format_code_is_date (code) ? 1 : 2));
        }
      else if (IS_START (part.reader, "cellXfs") && !xmlTextReaderIsEmptyElement (part.reader))
        xfs_depth = xmlTextReaderDepth (part.reader);
      else if (IS_END (part.reader, "cellXfs"))
        xfs_depth = -1;
      else if (xfs_depth >= 0 && IS_START (part.reader, "xf")
               && xmlTextReaderDepth (part.reader) == xfs_depth + 1)
        {
          g_autofree char *id_text = get_attr (part.reader, "numFmtId");
          guint            id = id_text != NULL ? (guint) strtoul (id_text, NULL, 10) : 0;
          int      kind = GPOINTER_TO_INT (g_hash_table_lookup (custom, GUINT_TO_POINTER (id)));
          gboolean is_date = kind != 0 ? kind == 1 : builtin_format_is_date (id);

          g_array_append_val (x->date_styles, is_date);
        }
    }
  return part_close (&part, x, ret, error);
}

/* Shared strings may be rich text (runs of <r><t>); phonetic guides (<rPh>) are not text. */
static gboolean
read_shared_strings (Xlsx *x, const char *path, GError **error)
{
  g_autoptr (GString) text = g_string_new (NULL);
  gboolean            in_si = FALSE, in_t = FALSE;
  int                 phonetic = 0;
  Part                part;
  int                 ret;

  switch (part_open (&part, x, path, error))
    {
    case PART_MISSING:
      return TRUE;
    case PART_FAILED:
      return FALSE;
    case PART_OPEN:
    default:
      break;
    }

  while ((ret = xmlTextReaderRead (part.reader)) == 1)
    {
      xmlTextReaderPtr reader = part.reader;

      if (IS_START (reader, "si"))
        {
          g_string_truncate (text, 0);
          if (xmlTextReaderIsEmptyElement (reader))
            g_ptr_array_add (x->shared, g_strdup (""));
          else
            in_si = TRUE;
        }
      else if (IS_END (reader, "si"))
        {
          x->shared_bytes += text->len;
          if (x->shared->len >= MAX_SHARED_STRINGS || x->shared_bytes > MAX_SHARED_BYTES)
            {
              part_close (&part, x, 0, NULL);
              return _dft_sheet_too_much_text (x->name, MAX_SHARED_BYTES, error);
            }
          g_ptr_array_add (x->shared, decode_ooxml_escapes (text->str));
          in_si = FALSE;
          in_t = FALSE;
          phonetic = 0;
        }
      else if (in_si && IS_START (reader, "rPh") && !xmlTextReaderIsEmptyElement (reader))
        phonetic++;
      else if (in_si && IS_END (reader, "rPh"))
        phonetic = MAX (phonetic - 1, 0);
      else if (in_si && phonetic == 0 && IS_START (reader, "t"))
        in_t = !xmlTextReaderIsEmptyElement (reader);
      else if (IS_END (reader, "t"))
        in_t = FALSE;
      else if (in_t && is_text_node (reader))
        append_text (text, reader);
    }
  return part_close (&part, x, ret, error);
}

/* Column index from a reference such as "C5" or "$AB$12"; -1 when there is none. */
static int
column_from_ref (const char *ref)
{
  int   column = 0;
  guint n = 0;

  if (ref == NULL)
    return -1;
  for (const char *p = ref; *p != '\0'; p++)
    {
      if (*p == '$')
        continue;
      if (!g_ascii_isalpha (*p))
        break;
      /* Excel stops at XFD, three letters; more cannot be a real column. */
      if (++n > 3)
        return -1;
      column = column * 26 + (g_ascii_toupper (*p) - 'A' + 1);
    }
  return n > 0 ? column - 1 : -1;
}

/*
 * An Excel serial date as text: "2026-03-02", or "2026-03-02 14:30" when it
 * has a time. In the 1900 date system serial 1 is 1900-01-01 and Excel
 * counts a 29 February 1900 that never was; in the 1904 system 0 is
 * 1904-01-01.
 */
char *
dft_sheet_serial_to_text (double serial, gboolean date1904)
{
  GDate  date;
  double whole;
  gint64 days;
  gint64 seconds;

  if (!isfinite (serial) || serial < 0 || serial > 2958465)
    return NULL;
  whole = floor (serial);
  seconds = (gint64) llround ((serial - whole) * 86400.0);
  days = (gint64) whole;
  if (seconds >= 86400)
    days++, seconds -= 86400;

  g_date_clear (&date, 1);
  if (date1904)
    g_date_set_dmy (&date, 1, G_DATE_JANUARY, 1904);
  else if (days == 60)
    return NULL;
  else if (days < 60)
    {
      if (days < 1)
        return NULL;
      g_date_set_dmy (&date, 31, G_DATE_DECEMBER, 1899);
    }
  else
    g_date_set_dmy (&date, 30, G_DATE_DECEMBER, 1899);
  g_date_add_days (&date, (guint) days);

  if (seconds == 0)
    return g_strdup_printf ("%04u-%02u-%02u", g_date_get_year (&date), g_date_get_month (&date),
                            g_date_get_day (&date));
  return g_strdup_printf ("%04u-%02u-%02u %02u:%02u", g_date_get_year (&date),
                          g_date_get_month (&date), g_date_get_day (&date),
                          (guint) (seconds / 3600), (guint) (seconds / 60 % 60));
}

/*
 * A number as Excel shows it, with at most 15 significant digits: a phone
 * number typed as a number, stored as 9.96555123456E+11, reads 996555123456
 * again, and 0.1+0.2 reads 0.3.
 */
static char *
format_number (const char *raw)
{
  char   buffer[G_ASCII_DTOSTR_BUF_SIZE];
  char  *end = NULL;
  double value = g_ascii_strtod (raw, &end);

  if (end == raw || *end != '\0' || !isfinite (value))
    return g_strdup (raw);
  /* Not "-0". */
  if (value == 0)
    value = 0;
  return g_strdup (g_ascii_formatd (buffer, sizeof buffer, "%.15g", value));
}

typedef struct
{
  int      column;
  char    *type;
  guint    style;
  gboolean in_v, in_is, in_t;
  int      phonetic;
  GString *value;
  GString *inline_text;
} Cell;

static char *
cell_text (const Xlsx *x, Cell *cell, GError **error)
{
  const char *type = cell->type != NULL ? cell->type : "n";

  if (strcmp (type, "s") == 0)
    {
      char   *end = NULL;
      guint64 index = g_ascii_strtoull (cell->value->str, &end, 10);

      if (cell->value->len == 0)
        return NULL;
      if (end == cell->value->str || *end != '\0' || index >= x->shared->len)
        {
          set_damaged (error, x, "xl/sharedStrings.xml");
          return NULL;
        }
      return g_strdup (g_ptr_array_index (x->shared, index));
    }
  if (strcmp (type, "inlineStr") == 0)
    return decode_ooxml_escapes (cell->inline_text->str);
  if (strcmp (type, "b") == 0)
    {
      if (cell->value->len == 0)
        return NULL;
      return g_strdup (strcmp (cell->value->str, "1") == 0 ? "TRUE" : "FALSE");
    }
  if (strcmp (type, "str") == 0 || strcmp (type, "e") == 0 || strcmp (type, "d") == 0)
    return decode_ooxml_escapes (cell->value->str);

  /* A number, possibly shown as a date. */
  if (cell->value->len == 0)
    return NULL;
  if (cell->style < x->date_styles->len && g_array_index (x->date_styles, gboolean, cell->style))
    {
      char *date = dft_sheet_serial_to_text (g_ascii_strtod (cell->value->str, NULL), x->date1904);

      if (date != NULL)
        return date;
    }
  return format_number (cell->value->str);
}

static gboolean
row_put_cell (
    const Xlsx *x, Sheet *sheet, GPtrArray *cells, guint number, Cell *cell, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char   *text = cell_text (x, cell, &local_error);
  char              *value;

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  value = text != NULL ? _dft_sheet_clean_cell (text, strlen (text)) : NULL;
  if (value == NULL || cells == NULL)
    {
      g_free (value);
      return TRUE;
    }
  if ((guint) cell->column >= sheet->max_columns)
    {
      g_free (value);
      return _dft_sheet_too_many_columns (sheet, number, error);
    }
  if ((guint) cell->column >= cells->len)
    g_ptr_array_set_size (cells, cell->column + 1);
  g_free (g_ptr_array_index (cells, cell->column));
  g_ptr_array_index (cells, cell->column) = value;
  return TRUE;
}

gboolean
_dft_sheet_read_xlsx_worksheet (const Xlsx *x, Sheet *sheet, const char *path, GError **error)
{
  g_autoptr (GString) value = g_string_new (NULL);
  g_autoptr (GString) inline_text = g_string_new (NULL);
  GPtrArray          *cells = NULL;
  Cell                cell = { 0 };
  guint               number = 0;
  int                 last_column = -1;
  gboolean            in_cell = FALSE;
  gboolean            ok = TRUE;
  Part                part;
  int                 ret = 0;

  switch (part_open (&part, x, path, error))
    {
    case PART_MISSING:
      return set_damaged (error, x, path);
    case PART_FAILED:
      return FALSE;
    case PART_OPEN:
    default:
      break;
    }

  cell.value = value;
  cell.inline_text = inline_text;

  while (ok && (ret = xmlTextReaderRead (part.reader)) == 1)
    {
      xmlTextReaderPtr reader = part.reader;

      if (IS_START (reader, "row"))
        {
          g_autofree char *r = get_attr (reader, "r");
          guint64          n = r != NULL ? g_ascii_strtoull (r, NULL, 10) : 0;

          /* Rows without a number follow the one before. */
          number = n > 0 && n <= G_MAXUINT ? (guint) n : number + 1;
          last_column = -1;
          g_clear_pointer (&cells, g_ptr_array_unref);
          if (!xmlTextReaderIsEmptyElement (reader))
            cells = g_ptr_array_new_with_free_func (g_free);
        }
      else if (IS_END (reader, "row"))
        {
          in_cell = FALSE;
          if (cells != NULL)
            ok = _dft_sheet_add_row (sheet, number, g_steal_pointer (&cells), error);
        }
      else if (cells != NULL && IS_START (reader, "c"))
        {
          g_autofree char *ref = get_attr (reader, "r");
          g_autofree char *style = get_attr (reader, "s");

          /* The reference keeps columns in place when empty cells are left out. */
          cell.column = column_from_ref (ref);
          if (cell.column < 0)
            cell.column = last_column + 1;
          last_column = cell.column;
          g_free (cell.type);
          cell.type = get_attr (reader, "t");
          cell.style = style != NULL ? (guint) strtoul (style, NULL, 10) : 0;
          cell.in_v = cell.in_is = cell.in_t = FALSE;
          cell.phonetic = 0;
          g_string_truncate (value, 0);
          g_string_truncate (inline_text, 0);
          in_cell = !xmlTextReaderIsEmptyElement (reader);
        }
      else if (in_cell && IS_END (reader, "c"))
        {
          in_cell = FALSE;
          ok = row_put_cell (x, sheet, cells, number, &cell, error);
        }
      else if (in_cell && IS_START (reader, "v"))
        cell.in_v = !xmlTextReaderIsEmptyElement (reader);
      else if (in_cell && IS_END (reader, "v"))
        cell.in_v = FALSE;
      else if (in_cell && IS_START (reader, "is"))
        cell.in_is = !xmlTextReaderIsEmptyElement (reader);
      else if (in_cell && IS_END (reader, "is"))
        cell.in_is = FALSE;
      else if (cell.in_is && IS_START (reader, "rPh") && !xmlTextReaderIsEmptyElement (reader))
        cell.phonetic++;
      else if (cell.in_is && IS_END (reader, "rPh"))
        cell.phonetic = MAX (cell.phonetic - 1, 0);
      else if (cell.in_is && cell.phonetic == 0 && IS_START (reader, "t"))
        cell.in_t = !xmlTextReaderIsEmptyElement (reader);
      else if (cell.in_is && IS_END (reader, "t"))
        cell.in_t = FALSE;
      else if (cell.in_v && is_text_node (reader))
        append_text (value, reader);
      else if (cell.in_t && is_text_node (reader))
        append_text (inline_text, reader);
    }

  g_clear_pointer (&cells, g_ptr_array_unref);
  g_free (cell.type);
  if (!ok)
    {
      part_close (&part, x, 0, NULL);
      return FALSE;
    }
  return part_close (&part, x, ret, error);
}

/* LibreOffice's own format is a ZIP archive too; say so rather than "damaged". */
static gboolean
is_opendocument (GsfInfile *zip)
{
  GsfInput *input = zip_child (zip, "mimetype", NULL);
  gboolean  result = FALSE;

  if (input != NULL && gsf_input_size (input) > 0 && gsf_input_size (input) < 256)
    {
      gsf_off_t     size = gsf_input_size (input);
      const guint8 *data = gsf_input_read (input, (size_t) size, NULL);

      result = data != NULL && size >= 39
               && memcmp (data, "application/vnd.oasis.opendocument.", 35) == 0;
    }
  g_clear_object (&input);
  return result;
}

gboolean
_dft_sheet_open_xlsx (DftWorkbook *wb, GError **error)
{
  g_autoptr (GError)    zip_error = NULL;
  g_autoptr (GPtrArray) package_rels = NULL;
  g_autoptr (GPtrArray) workbook_rels = NULL;
  g_autofree char      *workbook = NULL;
  g_autofree char      *workbook_dir = NULL;
  g_autofree char      *workbook_rels_path = NULL;
  g_autofree char      *base = NULL;
  Xlsx                 *x = &wb->x;
  GsfInput             *input;
  const Rel            *rel;
  gsize                 len = 0;
  gconstpointer         bytes = g_bytes_get_data (wb->data, &len);

  x->name = wb->name;
  x->shared = g_ptr_array_new_with_free_func (g_free);
  x->date_styles = g_array_new (FALSE, FALSE, sizeof (gboolean));
  input = gsf_input_memory_new (bytes, (gsf_off_t) len, FALSE);
  x->zip = gsf_infile_zip_new (input, &zip_error);
  g_object_unref (input);
  if (x->zip == NULL)
    {
      g_set_error (error, DFT_SHEET_ERROR, DFT_SHEET_ERROR_FORMAT,
                   /* Translators: %s is a file name */
                   _ ("“%s” looks like an Excel workbook (.xlsx) but is damaged and cannot be "
                      "opened. Open it in Excel or LibreOffice, save it again and use the new "
                      "file."),
                   wb->name);
      return FALSE;
    }

  package_rels = read_rels (x, "_rels/.rels", "", error);
  if (package_rels == NULL)
    return FALSE;
  rel = find_rel (package_rels, "/officeDocument", NULL);
  workbook = g_strdup (rel != NULL ? rel->target : "xl/workbook.xml");

  {
    g_autoptr (GError) probe_error = NULL;
    GsfInput          *probe = zip_child (x->zip, workbook, &probe_error);

    if (probe_error != NULL)
      return set_damaged (error, x, workbook);
    if (probe == NULL)
      {
        g_set_error (
            error, DFT_SHEET_ERROR, DFT_SHEET_ERROR_FORMAT,
            is_opendocument (x->zip)
                /* Translators: %s is a file name */
                ? _ ("“%s” is an OpenDocument spreadsheet (.ods). In LibreOffice, save it "
                     "as “Excel 2007-365 (.xlsx)” or as CSV in UTF-8, then use that.")
                /* Translators: %s is a file name */
                : _ ("“%s” is a ZIP archive, not an Excel workbook (.xlsx). Save the sheet "
                     "as .xlsx or as “CSV UTF-8” and use that."),
            x->name);
        return FALSE;
      }
    g_object_unref (probe);
  }

  workbook_dir = dir_of (workbook);
  base = g_path_get_basename (workbook);
  workbook_rels_path = workbook_dir[0] != '\0'
                           ? g_strdup_printf ("%s/_rels/%s.rels", workbook_dir, base)
                           : g_strdup_printf ("_rels/%s.rels", base);
  workbook_rels = read_rels (x, workbook_rels_path, workbook_dir, error);
  if (workbook_rels == NULL)
    return FALSE;
  if (!read_workbook (x, workbook, wb->sheets, error))
    return FALSE;

  rel = find_rel (workbook_rels, "/styles", NULL);
  if (rel != NULL && !read_styles (x, rel->target, error))
    return FALSE;
  rel = find_rel (workbook_rels, "/sharedStrings", NULL);
  if (rel != NULL && !read_shared_strings (x, rel->target, error))
    return FALSE;

  /* Each sheet's relationship id becomes the path of its part; sheets without one go. */
  for (guint i = 0; i < wb->sheets->len;)
    {
      Entry *entry = g_ptr_array_index (wb->sheets, i);

      rel = find_rel (workbook_rels, NULL, entry->part);
      if (rel == NULL)
        {
          g_ptr_array_remove_index (wb->sheets, i);
          continue;
        }
      g_free (entry->part);
      entry->part = g_strdup (rel->target);
      i++;
    }
  /* A workbook.xml without <sheet> elements: take the first worksheet it relates to. */
  if (wb->sheets->len == 0 && (rel = find_rel (workbook_rels, "/worksheet", NULL)) != NULL)
    {
      Entry *entry = g_new0 (Entry, 1);

      entry->pub.name = g_strdup ("");
      entry->part = g_strdup (rel->target);
      g_ptr_array_add (wb->sheets, entry);
    }
  if (wb->sheets->len == 0)
    {
      g_set_error (error, DFT_SHEET_ERROR, DFT_SHEET_ERROR_EMPTY,
                   /* Translators: %s is a file name */
                   _ ("“%s” has no worksheet."), x->name);
      return FALSE;
    }
  return TRUE;
}
