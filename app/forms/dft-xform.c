/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <stdlib.h>
#include <string.h>

#include "dft-form-private.h"
#include "dft-sheet.h"
#include "dft-xform.h"

#define ODK_NS "http://www.opendatakit.org/xforms"

#if LIBXML_VERSION >= 21200
typedef const xmlError *XfXmlError;
#else
typedef xmlErrorPtr XfXmlError;
#endif

/* External CSV files larger than this are refused rather than read into memory. */
#define MAX_CSV_BYTES (64 * 1024 * 1024)
/* A value beyond this many columns refuses the file, as in an XLSForm's sheets. */
#define MAX_CSV_COLUMNS 1000

/* One translation of an itext entry: the <value> element to read in @lang. */
typedef struct
{
  char      *lang;
  xmlNodePtr value;
} XfItextValue;

/* An external CSV file as the sheet reader reads it: its first row is the header. */
typedef struct
{
  DftWorkbook       *workbook;
  const DftSheetRow *header; /* NULL when the file has no rows */
  GPtrArray         *rows;   /* DftSheetRow *, the header first, borrowed from the workbook */
} XfCsv;

typedef struct
{
  DftForm    *form;
  xmlDocPtr   doc;
  const char *base_dir;
  const char *stem; /* the form file's name without ".xml", or NULL */

  xmlNodePtr model;
  xmlNodePtr primary; /* the model's first <instance> */
  xmlNodePtr body;
  xmlNodePtr root; /* the primary instance's document element */
  char      *root_path;

  GHashTable *itext;      /* id → GPtrArray of XfItextValue * */
  GHashTable *binds;      /* path → GPtrArray of xmlNodePtr, in document order */
  GHashTable *bind_ids;   /* bind @id → path */
  GHashTable *controls;   /* path → body control */
  GHashTable *groups;     /* path → body <group> */
  GHashTable *repeats;    /* path → body <repeat> */
  GHashTable *first_load; /* path → <setvalue> run when a submission starts */
  GHashTable *actions;    /* path → GPtrArray of DftAction * for the question there */
  GHashTable *instances;  /* secondary instance id → its document element */
  GHashTable *external;   /* secondary instance id → src it could not be read from */
  GHashTable *missing;    /* secondary instance id → CSV or XML file that is not there */
  GHashTable *paths;      /* every element and attribute path of the primary instance */
  GHashTable *name_count; /* element name → how many elements carry it */
  GHashTable *lists;      /* instance id + value ref + label ref → choice list name */
  GHashTable *csv_cache;  /* file name → XfCsv * */
  GPtrArray  *extra_docs; /* xmlDocPtr built from CSV files or read from XML files */
  gboolean    warned_media;
} XfLoader;

static void
xf_itext_value_free (gpointer data)
{
  XfItextValue *v = data;

  g_free (v->lang);
  g_free (v);
}

static void
xf_csv_free (gpointer data)
{
  XfCsv *csv = data;

  dft_workbook_free (csv->workbook);
  g_free (csv);
}

static void
xf_loader_clear (XfLoader *l)
{
  g_clear_pointer (&l->root_path, g_free);
  g_clear_pointer (&l->itext, g_hash_table_unref);
  g_clear_pointer (&l->binds, g_hash_table_unref);
  g_clear_pointer (&l->bind_ids, g_hash_table_unref);
  g_clear_pointer (&l->controls, g_hash_table_unref);
  g_clear_pointer (&l->groups, g_hash_table_unref);
  g_clear_pointer (&l->repeats, g_hash_table_unref);
  g_clear_pointer (&l->first_load, g_hash_table_unref);
  g_clear_pointer (&l->actions, g_hash_table_unref);
  g_clear_pointer (&l->instances, g_hash_table_unref);
  g_clear_pointer (&l->external, g_hash_table_unref);
  g_clear_pointer (&l->missing, g_hash_table_unref);
  g_clear_pointer (&l->paths, g_hash_table_unref);
  g_clear_pointer (&l->name_count, g_hash_table_unref);
  g_clear_pointer (&l->lists, g_hash_table_unref);
  g_clear_pointer (&l->csv_cache, g_hash_table_unref);
  if (l->extra_docs != NULL)
    {
      for (guint i = 0; i < l->extra_docs->len; i++)
        xmlFreeDoc (g_ptr_array_index (l->extra_docs, i));
      g_clear_pointer (&l->extra_docs, g_ptr_array_unref);
    }
  g_clear_pointer (&l->doc, xmlFreeDoc);
  g_clear_pointer (&l->form, dft_form_unref);
}

/* Small helpers over libxml2. Elements and attributes are matched by local name: XForms in
 * the wild leave namespaces out or bind them to other prefixes. */

static guint
xf_line (xmlNodePtr node)
{
  long line;

  if (node == NULL)
    return 0;
  line = xmlGetLineNo (node);
  return line > 0 && line <= G_MAXUINT ? (guint) line : 0;
}

static gboolean
xf_is (xmlNodePtr node, const char *name)
{
  return node != NULL && node->type == XML_ELEMENT_NODE
         && g_strcmp0 ((const char *) node->name, name) == 0;
}

static const char *
xf_ns (xmlNodePtr node)
{
  return node->ns != NULL ? (const char *) node->ns->href : NULL;
}

/* The value of the attribute named @name in any namespace, or NULL. */
static char *
xf_attr (xmlNodePtr node, const char *name)
{
  if (node == NULL)
    return NULL;
  for (xmlAttrPtr a = node->properties; a != NULL; a = a->next)
    {
      if (g_strcmp0 ((const char *) a->name, name) == 0)
        {
          xmlChar *value = xmlNodeListGetString (node->doc, a->children, 1);
          char    *ret = g_strdup (value != NULL ? (const char *) value : "");

          xmlFree (value);
          return ret;
        }
    }
  return NULL;
}

/* The value of the attribute @name in the namespace @ns, or NULL. */
static char *
xf_attr_ns (xmlNodePtr node, const char *name, const char *ns)
{
  xmlChar *value;
  char    *ret;

  if (node == NULL)
    return NULL;
  value = xmlGetNsProp (node, (const xmlChar *) name, (const xmlChar *) ns);
  ret = g_strdup ((const char *) value);
  xmlFree (value);
  return ret;
}

static xmlNodePtr
xf_child (xmlNodePtr node, const char *name)
{
  for (xmlNodePtr c = node != NULL ? node->children : NULL; c != NULL; c = c->next)
    if (xf_is (c, name))
      return c;
  return NULL;
}

static gboolean
xf_has_element_children (xmlNodePtr node)
{
  for (xmlNodePtr c = node->children; c != NULL; c = c->next)
    if (c->type == XML_ELEMENT_NODE)
      return TRUE;
  return FALSE;
}

/* The text content of @node, or NULL when it has none. */
static char *
xf_content (xmlNodePtr node)
{
  xmlChar *content;
  char    *ret;

  if (node == NULL)
    return NULL;
  content = xmlNodeGetContent (node);
  ret = g_strdup ((const char *) content);
  xmlFree (content);
  return ret;
}

static char *
xf_content_trimmed (xmlNodePtr node)
{
  char *s = xf_content (node);

  if (s != NULL)
    g_strstrip (s);
  return s;
}

static char *
xf_strip_or_null (char *s)
{
  if (s == NULL)
    return NULL;
  g_strstrip (s);
  if (*s == '\0')
    g_clear_pointer (&s, g_free);
  return s;
}

/* Paths. */

/* @ref made absolute against @context and reduced to "/a/b/@c": "." and ".." resolved,
 * predicates dropped. NULL when @ref is not a plain path (a function call, a union…). */
static char *
xf_path_resolve (const char *context, const char *ref)
{
  g_autofree char      *trimmed = NULL;
  g_autofree char      *joined = NULL;
  g_auto (GStrv)        steps = NULL;
  g_autoptr (GPtrArray) out = NULL;
  GString              *path;

  if (ref == NULL)
    return NULL;
  trimmed = g_strstrip (g_strdup (ref));
  if (*trimmed == '\0')
    return NULL;
  /* current() is the context node itself: "current()/name" is "./name". */
  if (g_str_has_prefix (trimmed, "current()"))
    {
      const char *rest = trimmed + strlen ("current()");

      if (*rest == '/' || *rest == '\0')
        {
          trimmed[0] = '.';
          memmove (trimmed + 1, rest, strlen (rest) + 1);
        }
    }
  if (trimmed[0] == '/')
    joined = g_strdup (trimmed);
  else if (context != NULL)
    joined = g_strconcat (context, "/", trimmed, NULL);
  else
    return NULL;

  /* Drop predicates, refusing anything that is more than steps. */
  {
    GString *s = g_string_new (NULL);
    int      depth = 0;

    for (const char *p = joined; *p != '\0'; p++)
      {
        if (*p == '[')
          depth++;
        else if (*p == ']')
          depth = MAX (depth - 1, 0);
        else if (depth == 0)
          {
            if (g_ascii_isspace (*p) || strchr ("()|'\"=<>,+*$", *p) != NULL)
              {
                g_string_free (s, TRUE);
                return NULL;
              }
            g_string_append_c (s, *p);
          }
      }
    g_free (joined);
    joined = g_string_free (s, FALSE);
  }

  steps = g_strsplit (joined, "/", -1);
  out = g_ptr_array_new ();
  for (guint i = 0; steps[i] != NULL; i++)
    {
      const char *step = steps[i];

      if (*step == '\0' || g_str_equal (step, "."))
        continue;
      if (g_str_equal (step, ".."))
        {
          if (out->len == 0)
            return NULL;
          g_ptr_array_set_size (out, out->len - 1);
          continue;
        }
      /* Instance elements are matched by local name: "orx:meta" is "meta". */
      if (strchr (step, ':') != NULL)
        {
          gboolean attr = step[0] == '@';

          step = strrchr (step, ':') + 1;
          if (attr)
            {
              steps[i][0] = '@';
              memmove (steps[i] + 1, step, strlen (step) + 1);
              step = steps[i];
            }
        }
      g_ptr_array_add (out, (gpointer) step);
    }
  if (out->len == 0)
    return NULL;
  path = g_string_new (NULL);
  for (guint i = 0; i < out->len; i++)
    {
      g_string_append_c (path, '/');
      g_string_append (path, g_ptr_array_index (out, i));
    }
  return g_string_free (path, FALSE);
}

static const char *
xf_path_last (const char *path)
{
  const char *slash = strrchr (path, '/');

  return slash != NULL ? slash + 1 : path;
}

/* The id in jr:itext('id'), or NULL when @ref is not that. */
static char *
xf_itext_id (const char *ref)
{
  const char *p;
  const char *end;
  char        quote;

  if (ref == NULL)
    return NULL;
  p = ref;
  while (g_ascii_isspace (*p))
    p++;
  if (!g_str_has_prefix (p, "jr:itext("))
    return NULL;
  p += strlen ("jr:itext(");
  while (g_ascii_isspace (*p))
    p++;
  quote = *p;
  if (quote != '\'' && quote != '"')
    return NULL;
  p++;
  end = strchr (p, quote);
  if (end == NULL)
    return NULL;
  return g_strndup (p, end - p);
}

/* Plain text. */

/* Appends the text of @node's children: text as it is, <output value="…"/> as ${name} when
 * it names one question, else as ${expression}; any other element by its text. Nothing is
 * interpreted as markup. */
static void
xf_flatten (XfLoader *l, xmlNodePtr node, const char *qpath, GString *out)
{
  for (xmlNodePtr c = node->children; c != NULL; c = c->next)
    {
      if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
        {
          if (c->content != NULL)
            g_string_append (out, (const char *) c->content);
        }
      else if (xf_is (c, "output"))
        {
          g_autofree char *value = xf_attr (c, "value");
          g_autofree char *path = NULL;

          if (value == NULL)
            value = xf_attr (c, "ref");
          value = xf_strip_or_null (value);
          if (value == NULL)
            continue;
          path = xf_path_resolve (qpath, value);
          if (path != NULL && g_hash_table_contains (l->paths, path)
              && GPOINTER_TO_UINT (g_hash_table_lookup (l->name_count, xf_path_last (path))) == 1)
            g_string_append_printf (out, "${%s}", xf_path_last (path));
          else
            g_string_append_printf (out, "${%s}", value);
        }
      else if (c->type == XML_ELEMENT_NODE)
        xf_flatten (l, c, qpath, out);
    }
}

static char *
xf_plain_text (XfLoader *l, xmlNodePtr node, const char *qpath)
{
  GString *s = g_string_new (NULL);
  char    *ret;

  xf_flatten (l, node, qpath, s);
  ret = g_string_free (s, FALSE);
  return g_strstrip (ret);
}

/* Every translation of the itext entry @id, or NULL when the form has none by that id. */
static DftText *
xf_itext_text (XfLoader *l, const char *id, const char *qpath)
{
  GPtrArray *values = g_hash_table_lookup (l->itext, id);
  DftText   *text;

  if (values == NULL)
    return NULL;
  text = dft_text_new ();
  for (guint i = 0; i < values->len; i++)
    {
      XfItextValue    *v = g_ptr_array_index (values, i);
      g_autofree char *s = xf_plain_text (l, v->value, qpath);

      /* pyxform writes "-" for a translation the spreadsheet left empty. */
      if (*s != '\0' && strcmp (s, "-") != 0)
        dft_text_set (text, v->lang, s);
    }
  return text;
}

/* The text of a <label> or <hint>: its itext in every language, or its own text in the
 * default language. NULL when there is none. */
static DftText *
xf_label_text (XfLoader *l, xmlNodePtr node, const char *qpath, GError **error)
{
  g_autofree char *ref = NULL;
  g_autofree char *id = NULL;
  g_autofree char *plain = NULL;
  DftText         *text;

  if (node == NULL)
    return NULL;
  ref = xf_attr (node, "ref");
  id = xf_itext_id (ref);
  if (id != NULL)
    {
      text = xf_itext_text (l, id, qpath);
      if (text != NULL)
        return text;
    }
  plain = xf_plain_text (l, node, qpath);
  if (*plain == '\0')
    {
      if (id != NULL)
        {
          g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                       /* Translators: the first %s is a text id from the form, %u a line */
                       _ ("The label on line %u refers to the text “%s”, which none of the form's "
                          "translations has."),
                       xf_line (node), id);
        }
      return NULL;
    }
  text = dft_text_new ();
  dft_text_set (text, l->form->default_language, plain);
  return text;
}

/* A jr:constraintMsg or jr:requiredMsg: jr:itext('id') or plain text. */
static DftText *
xf_message_text (XfLoader *l, const char *value, const char *qpath)
{
  g_autofree char *id = xf_itext_id (value);
  DftText         *text;

  if (value == NULL || *value == '\0')
    return NULL;
  if (id != NULL)
    {
      text = xf_itext_text (l, id, qpath);
      if (text != NULL)
        return text;
    }
  text = dft_text_new ();
  dft_text_set (text, l->form->default_language, value);
  return text;
}

static void
xf_set_text (DftText **slot, DftText *value)
{
  if (value == NULL)
    return;
  if (*slot != NULL)
    g_hash_table_unref (*slot);
  *slot = value;
}

/* Binds. */

/* The attribute @name of the binds for @path; the last bind that sets it wins. */
static char *
xf_bind_attr (XfLoader *l, const char *path, const char *name)
{
  GPtrArray *binds = g_hash_table_lookup (l->binds, path);

  if (binds == NULL)
    return NULL;
  for (guint i = binds->len; i > 0; i--)
    {
      char *value = xf_attr (g_ptr_array_index (binds, i - 1), name);

      if (value != NULL)
        return value;
    }
  return NULL;
}

/* Daftari's attribute @name on the binds for @path (DFT_XFORM_NAMESPACE); the last one wins. */
static char *
xf_bind_daftari_attr (XfLoader *l, const char *path, const char *name)
{
  GPtrArray *binds = g_hash_table_lookup (l->binds, path);

  for (guint i = binds != NULL ? binds->len : 0; i > 0; i--)
    {
      char *value = xf_attr_ns (g_ptr_array_index (binds, i - 1), name, DFT_XFORM_NAMESPACE);

      if (value != NULL)
        return value;
    }
  return NULL;
}

static xmlNodePtr
xf_bind_node (XfLoader *l, const char *path)
{
  GPtrArray *binds = g_hash_table_lookup (l->binds, path);

  return binds != NULL && binds->len > 0 ? g_ptr_array_index (binds, 0) : NULL;
}

/* "true()" for true, NULL for false or nothing, other expressions as written. */
static char *
xf_bool_expr (char *value)
{
  value = xf_strip_or_null (value);
  if (value == NULL)
    return NULL;
  if (g_str_equal (value, "false()") || g_str_equal (value, "false"))
    {
      g_free (value);
      return NULL;
    }
  if (g_str_equal (value, "true"))
    {
      g_free (value);
      return g_strdup ("true()");
    }
  return value;
}

/* CSV files. */

/* @data (UTF-8) read by the sheet reader, as one sheet of rows without a limit on their
 * number: MAX_CSV_BYTES bounds the file. */
static XfCsv *
xf_csv_read (const char *file_name, const char *data, gsize length, GError **error)
{
  g_autoptr (DftWorkbook) workbook = NULL;
  g_autoptr (GError)      local_error = NULL;
  const DftSheet         *sheet = NULL;
  XfCsv                  *csv;

  workbook = dft_workbook_new_from_data (file_name, data, length, G_MAXUINT, MAX_CSV_COLUMNS,
                                         &local_error);
  if (workbook != NULL)
    sheet = dft_workbook_read_sheet (workbook, 0, &local_error);
  if (sheet == NULL)
    {
      g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                   /* Translators: the first %s is a file name, the second why */
                   _ ("The external file “%s” cannot be read: %s"), file_name,
                   local_error->message);
      return NULL;
    }
  csv = g_new0 (XfCsv, 1);
  csv->rows = sheet->rows;
  csv->header = sheet->rows->len > 0 ? g_ptr_array_index (sheet->rows, 0) : NULL;
  csv->workbook = g_steal_pointer (&workbook);
  return csv;
}

static guint
xf_csv_n_columns (XfCsv *csv)
{
  return csv->header != NULL ? csv->header->n_cells : 0;
}

/* The name of column @column, "" when the header leaves it empty. */
static const char *
xf_csv_name (XfCsv *csv, guint column)
{
  const char *name = csv->header != NULL ? dft_sheet_row_get (csv->header, column) : NULL;

  return name != NULL ? name : "";
}

static int
xf_csv_column (XfCsv *csv, const char *name)
{
  for (guint i = 0; i < xf_csv_n_columns (csv); i++)
    if (g_str_equal (xf_csv_name (csv, i), name))
      return (int) i;
  return -1;
}

/* The cell in @column of @row, "" when it is empty or beyond the row's end. */
static const char *
xf_csv_cell (const DftSheetRow *row, int column)
{
  const char *value = column >= 0 ? dft_sheet_row_get (row, (guint) column) : NULL;

  return value != NULL ? value : "";
}

/* Reads @file_name beside the form, in media/ or in <form name>-media/ into *@data (UTF-8
 * text); FALSE with @error set when it is nowhere (*@missing set) or unreadable. */
static gboolean
xf_media_read (XfLoader   *l,
               const char *file_name,
               guint       line,
               gboolean   *missing,
               char      **data,
               gsize      *length,
               GError    **error)
{
  g_autoptr (GPtrArray) dirs = NULL;
  g_autofree char      *stem_media = NULL;

  if (*file_name == '\0' || strchr (file_name, '/') != NULL || strchr (file_name, '\\') != NULL
      || g_str_equal (file_name, "..") || g_str_equal (file_name, "."))
    {
      g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                   /* Translators: %s is a file name, %u a line number */
                   _ ("The external file “%s” on line %u is not a plain file name."), file_name,
                   line);
      return FALSE;
    }

  dirs = g_ptr_array_new_with_free_func (g_free);
  if (l->base_dir != NULL)
    {
      g_ptr_array_add (dirs, g_strdup (l->base_dir));
      g_ptr_array_add (dirs, g_build_filename (l->base_dir, "media", NULL));
      if (l->stem != NULL)
        {
          stem_media = g_strconcat (l->stem, "-media", NULL);
          g_ptr_array_add (dirs, g_build_filename (l->base_dir, stem_media, NULL));
          g_ptr_array_add (dirs, g_build_filename (l->base_dir, "media", stem_media, NULL));
        }
      /* Collect's test-forms layout: forms in one folder, media in a sibling "media". */
      g_ptr_array_add (dirs, g_build_filename (l->base_dir, "..", "media", NULL));
    }
  for (guint i = 0; i < dirs->len; i++)
    {
      g_autofree char   *path = g_build_filename (g_ptr_array_index (dirs, i), file_name, NULL);
      g_autoptr (GError) local_error = NULL;

      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;
      if (!g_file_get_contents (path, data, length, &local_error))
        {
          g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                       /* Translators: the first %s is a file name, the second why */
                       _ ("The external file “%s” cannot be read: %s"), file_name,
                       local_error->message);
          return FALSE;
        }
      if (*length > MAX_CSV_BYTES || !g_utf8_validate_len (*data, *length, NULL))
        {
          g_clear_pointer (data, g_free);
          g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                       /* Translators: %s is a file name */
                       _ ("The external file “%s” is too large or not UTF-8 text."), file_name);
          return FALSE;
        }
      return TRUE;
    }
  if (missing != NULL)
    *missing = TRUE;
  g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
               /* Translators: %s is a file name, %u a line number */
               _ ("The form needs the file “%s” (line %u), which is not beside it nor in its media "
                  "folder."),
               file_name, line);
  return FALSE;
}

/* Finds @file_name as xf_media_read() does and parses it; parsed files are kept. */
static XfCsv *
xf_csv_find (XfLoader *l, const char *file_name, guint line, gboolean *missing, GError **error)
{
  g_autofree char *data = NULL;
  gsize            length = 0;
  XfCsv           *csv;

  csv = g_hash_table_lookup (l->csv_cache, file_name);
  if (csv != NULL)
    return csv;
  if (!xf_media_read (l, file_name, line, missing, &data, &length, error))
    return NULL;
  csv = xf_csv_read (file_name, data, length, error);
  if (csv == NULL)
    return NULL;
  g_hash_table_insert (l->csv_cache, g_strdup (file_name), csv);
  return csv;
}

/* An external XML file, parsed as the form is: no entity substitution, no DTD loading, no
 * network, no XInclude; one with a DOCTYPE is refused. */
xmlDocPtr
_dft_xml_read_file_data (const char *file_name, const char *data, gsize length, GError **error)
{
  xmlParserCtxtPtr ctxt;
  xmlDocPtr        doc;
  g_autofree char *why = NULL;

  g_return_val_if_fail (length <= G_MAXINT, NULL);
  ctxt = xmlNewParserCtxt ();
  if (ctxt == NULL)
    {
      g_set_error_literal (error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE,
                           _ ("The XML parser could not start."));
      return NULL;
    }
  doc = xmlCtxtReadMemory (ctxt, data, (int) length, file_name, NULL,
                           XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING
                               | XML_PARSE_BIG_LINES);
  if (doc == NULL || !ctxt->wellFormed || xmlDocGetRootElement (doc) == NULL)
    {
      XfXmlError err = xmlCtxtGetLastError (ctxt);

      why = g_strstrip (
          g_strdup (err != NULL && err->message != NULL ? err->message : _ ("no document")));
    }
  else if (doc->intSubset != NULL || doc->extSubset != NULL)
    why = g_strdup (_ ("it declares a DOCTYPE"));
  xmlFreeParserCtxt (ctxt);
  if (why != NULL)
    {
      g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                   /* Translators: the first %s is a file name, the second why */
                   _ ("The external file “%s” cannot be read: %s"), file_name, why);
      g_clear_pointer (&doc, xmlFreeDoc);
    }
  return doc;
}

/* An XML file beside the form as an instance document: its document element, or NULL with
 * @error set as xf_media_read() sets it. */
static xmlNodePtr
xf_xml_instance_read (
    XfLoader *l, const char *file_name, guint line, gboolean *missing, GError **error)
{
  g_autofree char *data = NULL;
  gsize            length = 0;
  xmlDocPtr        doc;

  if (!xf_media_read (l, file_name, line, missing, &data, &length, error))
    return NULL;
  doc = _dft_xml_read_file_data (file_name, data, length, error);
  if (doc == NULL)
    return NULL;
  g_ptr_array_add (l->extra_docs, doc);
  return xmlDocGetRootElement (doc);
}

/* A CSV file as an instance document: <root><item><column>value</column>…</item>…</root>. */
static xmlNodePtr
xf_csv_to_instance (XfLoader *l, XfCsv *csv)
{
  xmlDocPtr  doc = xmlNewDoc ((const xmlChar *) "1.0");
  xmlNodePtr root = xmlNewDocNode (doc, NULL, (const xmlChar *) "root", NULL);

  xmlDocSetRootElement (doc, root);
  g_ptr_array_add (l->extra_docs, doc);
  for (guint r = 1; r < csv->rows->len; r++)
    {
      const DftSheetRow *row = g_ptr_array_index (csv->rows, r);
      xmlNodePtr         item = xmlNewChild (root, NULL, (const xmlChar *) "item", NULL);

      for (guint c = 0; c < xf_csv_n_columns (csv); c++)
        {
          const char *name = xf_csv_name (csv, c);

          if (*name == '\0')
            continue;
          xmlNewTextChild (item, NULL, (const xmlChar *) name,
                           (const xmlChar *) xf_csv_cell (row, (int) c));
        }
    }
  return root;
}

/* Choices. */

static char *
xf_unique_list_name (XfLoader *l, const char *base)
{
  char *name = g_strdup (base);

  for (guint n = 2; g_hash_table_contains (l->form->choice_lists, name); n++)
    {
      g_free (name);
      name = g_strdup_printf ("%s_%u", base, n);
    }
  return name;
}

/* Inline <item>s. */
static gboolean
xf_inline_items (XfLoader *l, xmlNodePtr control, DftQuestion *q, const char *qpath, GError **error)
{
  g_autofree char *name = xf_unique_list_name (l, q->name);
  DftChoiceList   *list = dft_form_ensure_choice_list (l->form, name);

  q->choice_list = g_steal_pointer (&name);
  for (xmlNodePtr item = control->children; item != NULL; item = item->next)
    {
      g_autofree char *value = NULL;
      DftText         *label;

      if (!xf_is (item, "item"))
        continue;
      value = xf_content_trimmed (xf_child (item, "value"));
      if (value == NULL)
        {
          g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                       /* Translators: %s is a question name, %u a line number */
                       _ ("A choice of “%s” on line %u has no value."), q->name, xf_line (item));
          return FALSE;
        }
      label = xf_label_text (l, xf_child (item, "label"), qpath, error);
      if (label == NULL && error != NULL && *error != NULL)
        return FALSE;
      dft_choice_list_add (list, value, label);
    }
  return TRUE;
}

/* "instance('x')/root/item[filter]" split into the instance id, the steps after it and the
 * last step's predicate as written. FALSE when @nodeset is not of that shape. */
static gboolean
xf_parse_itemset (const char *nodeset, char **id, GStrv *steps, char **filter)
{
  const char           *p = nodeset;
  const char           *end;
  char                  quote;
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  GString              *step = NULL;
  int                   depth = 0;
  char                  in_string = 0;
  const char           *pred_start = NULL;

  *id = NULL;
  *filter = NULL;
  *steps = NULL;
  while (g_ascii_isspace (*p))
    p++;
  if (!g_str_has_prefix (p, "instance("))
    return FALSE;
  p += strlen ("instance(");
  while (g_ascii_isspace (*p))
    p++;
  quote = *p;
  if (quote != '\'' && quote != '"')
    return FALSE;
  end = strchr (p + 1, quote);
  if (end == NULL)
    return FALSE;
  *id = g_strndup (p + 1, end - p - 1);
  p = end + 1;
  while (g_ascii_isspace (*p))
    p++;
  if (*p != ')')
    goto fail;
  p++;

  step = g_string_new (NULL);
  for (; *p != '\0'; p++)
    {
      if (in_string)
        {
          if (*p == in_string)
            in_string = 0;
          continue;
        }
      if (depth > 0 && (*p == '\'' || *p == '"'))
        {
          in_string = *p;
          continue;
        }
      if (*p == '[')
        {
          if (depth == 0)
            pred_start = p;
          depth++;
          continue;
        }
      if (*p == ']')
        {
          depth--;
          if (depth < 0)
            goto fail;
          if (depth == 0)
            {
              /* A predicate on a step before the last one is not a choice filter. */
              g_free (*filter);
              *filter = g_strndup (pred_start + 1, p - pred_start - 1);
              g_strstrip (*filter);
            }
          continue;
        }
      if (depth > 0)
        continue;
      if (*p == '/')
        {
          if (step->len > 0)
            {
              g_ptr_array_add (parts, g_strdup (step->str));
              g_string_truncate (step, 0);
              /* Only the last step's predicate filters the choices. */
              if (*filter != NULL)
                goto fail;
            }
          continue;
        }
      if (g_ascii_isspace (*p))
        continue;
      g_string_append_c (step, *p);
    }
  if (depth != 0 || in_string)
    goto fail;
  if (step->len > 0)
    g_ptr_array_add (parts, g_strdup (step->str));
  g_string_free (step, TRUE);
  step = NULL;
  if (parts->len == 0)
    goto fail;
  g_ptr_array_add (parts, NULL);
  *steps = (GStrv) g_ptr_array_free (g_steal_pointer (&parts), FALSE);
  return TRUE;

fail:
  if (step != NULL)
    g_string_free (step, TRUE);
  g_clear_pointer (id, g_free);
  g_clear_pointer (filter, g_free);
  return FALSE;
}

static char *
xf_child_ref (const char *ref)
{
  char *s = g_strstrip (g_strdup (ref != NULL ? ref : ""));

  if (g_str_has_prefix (s, "./"))
    memmove (s, s + 2, strlen (s + 2) + 1);
  return s;
}

/* Appends the items under @node reached through @steps to @items. */
static void
xf_collect_items (xmlNodePtr node, const char *const *steps, GPtrArray *items)
{
  if (steps[0] == NULL)
    {
      g_ptr_array_add (items, node);
      return;
    }
  for (xmlNodePtr c = node->children; c != NULL; c = c->next)
    if (xf_is (c, steps[0]) || (c->type == XML_ELEMENT_NODE && g_str_equal (steps[0], "*")))
      xf_collect_items (c, steps + 1, items);
}

/* "randomize(nodes)" or "randomize(nodes, seed)" (what ODK writes for XLSForm's
 * randomize=true): @nodeset becomes nodes, *@seed the seed or NULL. FALSE when @nodeset is
 * not a call of randomize(). */
static gboolean
xf_strip_randomize (char *nodeset, char **seed)
{
  char *p = nodeset;
  char *comma = NULL;
  int   depth = 0;
  char  in_string = 0;
  gsize len;

  *seed = NULL;
  while (g_ascii_isspace (*p))
    p++;
  if (!g_str_has_prefix (p, "randomize"))
    return FALSE;
  p += strlen ("randomize");
  while (g_ascii_isspace (*p))
    p++;
  g_strchomp (p);
  len = strlen (p);
  if (*p != '(' || len < 2 || p[len - 1] != ')')
    return FALSE;
  p[len - 1] = '\0';
  p++;
  for (char *c = p; *c != '\0'; c++)
    {
      if (in_string != 0)
        in_string = *c == in_string ? 0 : in_string;
      else if (*c == '\'' || *c == '"')
        in_string = *c;
      else if (*c == '(' || *c == '[')
        depth++;
      else if (*c == ')' || *c == ']')
        depth--;
      else if (*c == ',' && depth == 0 && comma == NULL)
        comma = c;
    }
  if (comma != NULL)
    {
      *comma = '\0';
      *seed = g_strstrip (g_strdup (comma + 1));
    }
  memmove (nodeset, p, strlen (p) + 1);
  return TRUE;
}

/* Reads the choices of an <itemset> into a list for @q. When they cannot be offered (an
 * external XML instance, choices from the form's own answers), *@unsupported says what they
 * are instead. */
static gboolean
xf_itemset (XfLoader    *l,
            xmlNodePtr   itemset,
            DftQuestion *q,
            const char  *qpath,
            char       **unsupported,
            GError     **error)
{
  g_autofree char      *nodeset = xf_attr (itemset, "nodeset");
  g_autofree char      *id = NULL;
  g_autofree char      *filter = NULL;
  g_auto (GStrv)        steps = NULL;
  g_autofree char      *value_ref = NULL;
  g_autofree char      *label_ref = NULL;
  g_autofree char      *label_itext = NULL;
  g_autofree char      *key = NULL;
  g_autoptr (GPtrArray) items = NULL;
  xmlNodePtr            root;
  const char           *list_name;
  DftChoiceList        *list;

  *unsupported = NULL;
  if (nodeset != NULL)
    {
      g_free (q->choice_seed);
      q->choice_randomize = xf_strip_randomize (nodeset, &q->choice_seed);
    }
  if (nodeset == NULL || !xf_parse_itemset (nodeset, &id, &steps, &filter))
    {
      /* Choices from the form's own answers (a repeat) change as it is filled in. */
      *unsupported = g_strdup ("dynamic choices");
      return TRUE;
    }
  root = g_hash_table_lookup (l->instances, id);
  if (root == NULL)
    {
      const char *file = g_hash_table_lookup (l->missing, id);

      if (file != NULL)
        {
          g_autofree char *required = xf_bool_expr (xf_bind_attr (l, qpath, "required"));

          if (required != NULL)
            {
              g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                           /* Translators: the 1st %s is a question, the 2nd a file name */
                           _ ("The question “%s” on line %u offers choices from the file “%s”, "
                              "which is not beside the form nor in its media folder."),
                           q->name, xf_line (itemset), file);
              return FALSE;
            }
          dft_form_add_warning (l->form, xf_line (itemset), q->name,
                                /* Translators: the 1st %s is a question, the 2nd a file name */
                                _ ("The question “%s” on line %u offers choices from the file "
                                   "“%s”, which is not beside the form: it is left out."),
                                q->name, xf_line (itemset), file);
          *unsupported = g_strdup ("select from missing file");
          return TRUE;
        }
      if (g_hash_table_contains (l->external, id))
        {
          *unsupported = g_strdup ("external instance");
          return TRUE;
        }
      g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                   /* Translators: the first %s is a question name, the second an instance id */
                   _ ("The choices of “%s” on line %u come from the instance “%s”, which the form "
                      "does not have."),
                   q->name, xf_line (itemset), id);
      return FALSE;
    }

  {
    g_autofree char *vr = xf_attr (xf_child (itemset, "value"), "ref");
    g_autofree char *lr = xf_attr (xf_child (itemset, "label"), "ref");

    value_ref = xf_child_ref (vr);
    label_ref = xf_child_ref (lr);
  }
  if (*value_ref == '\0')
    {
      g_free (value_ref);
      value_ref = g_strdup ("name");
    }
  if (g_str_has_prefix (label_ref, "jr:itext("))
    {
      const char *p = label_ref + strlen ("jr:itext(");
      const char *end = strchr (p, ')');

      label_itext = g_strstrip (g_strndup (p, end != NULL ? (gsize) (end - p) : strlen (p)));
      if (g_str_has_prefix (label_itext, "./"))
        memmove (label_itext, label_itext + 2, strlen (label_itext + 2) + 1);
    }

  key = g_strjoin ("\x1f", id, value_ref, label_ref, NULL);
  list_name = g_hash_table_lookup (l->lists, key);
  q->choice_filter = g_steal_pointer (&filter);
  if (list_name != NULL)
    {
      q->choice_list = g_strdup (list_name);
      return TRUE;
    }

  {
    g_autofree char *name = xf_unique_list_name (l, id);

    list = dft_form_ensure_choice_list (l->form, name);
    g_hash_table_insert (l->lists, g_steal_pointer (&key), g_strdup (name));
    q->choice_list = g_steal_pointer (&name);
  }

  /* The first step names the instance's document element. */
  items = g_ptr_array_new ();
  if (xf_is (root, steps[0]) || g_str_equal (steps[0], "*"))
    xf_collect_items (root, (const char *const *) steps + 1, items);
  for (guint i = 0; i < items->len; i++)
    {
      xmlNodePtr       item = g_ptr_array_index (items, i);
      g_autofree char *value = xf_content_trimmed (xf_child (item, value_ref));
      DftText         *label = NULL;
      DftChoice       *choice;

      if (label_itext != NULL)
        {
          g_autofree char *tid = xf_content_trimmed (xf_child (item, label_itext));

          if (tid != NULL)
            label = xf_itext_text (l, tid, qpath);
        }
      else if (*label_ref != '\0')
        {
          xmlNodePtr ln = xf_child (item, label_ref);

          if (ln != NULL)
            {
              g_autofree char *s = xf_plain_text (l, ln, qpath);

              label = dft_text_new ();
              dft_text_set (label, l->form->default_language, s);
            }
        }
      choice = dft_choice_list_add (list, value != NULL ? value : "", label);
      for (xmlNodePtr c = item->children; c != NULL; c = c->next)
        {
          const char *cname = (const char *) c->name;

          if (c->type != XML_ELEMENT_NODE || g_str_equal (cname, value_ref)
              || g_str_equal (cname, label_ref)
              || (label_itext != NULL && g_str_equal (cname, label_itext)))
            continue;
          if (choice->extra != NULL)
            g_hash_table_insert (choice->extra, g_strdup (cname), xf_content (c));
        }
    }
  return TRUE;
}

/* <input query="instance('x')/root/item[…]">: a select one from itemsets.csv, the external
 * choices file pyxform's select_one_external uses. */
static gboolean
xf_external_itemset (XfLoader *l, xmlNodePtr control, DftQuestion *q, char **unsupported)
{
  g_autofree char   *query = xf_attr (control, "query");
  g_autofree char   *id = NULL;
  g_autofree char   *filter = NULL;
  g_auto (GStrv)     steps = NULL;
  g_autoptr (GError) ignored = NULL;
  XfCsv             *csv;
  DftChoiceList     *list;
  int                list_col;
  int                name_col;

  *unsupported = NULL;
  csv = xf_csv_find (l, "itemsets.csv", xf_line (control), NULL, &ignored);
  if (csv == NULL || !xf_parse_itemset (query, &id, &steps, &filter))
    {
      *unsupported = g_strdup ("select one external");
      return TRUE;
    }
  list_col = xf_csv_column (csv, "list_name");
  name_col = xf_csv_column (csv, "name");
  if (list_col < 0 || name_col < 0)
    {
      *unsupported = g_strdup ("select one external");
      return TRUE;
    }
  q->choice_filter = g_steal_pointer (&filter);
  if (g_hash_table_contains (l->form->choice_lists, id))
    {
      q->choice_list = g_strdup (id);
      return TRUE;
    }
  list = dft_form_ensure_choice_list (l->form, id);
  q->choice_list = g_strdup (id);
  for (guint r = 1; r < csv->rows->len; r++)
    {
      const DftSheetRow *row = g_ptr_array_index (csv->rows, r);
      DftText           *label = dft_text_new ();
      DftChoice         *choice;

      if (!g_str_equal (xf_csv_cell (row, list_col), id))
        {
          g_hash_table_unref (label);
          continue;
        }
      for (guint c = 0; c < xf_csv_n_columns (csv); c++)
        {
          const char *col = xf_csv_name (csv, c);

          if (g_str_equal (col, "label"))
            dft_text_set (label, l->form->default_language, xf_csv_cell (row, (int) c));
          else if (g_str_has_prefix (col, "label::"))
            {
              g_autofree char *code = dft_language_code_from_name (col + strlen ("label::"));

              dft_text_set (label, code, xf_csv_cell (row, (int) c));
            }
        }
      choice = dft_choice_list_add (list, xf_csv_cell (row, name_col), label);
      for (guint c = 0; c < xf_csv_n_columns (csv); c++)
        {
          const char *col = xf_csv_name (csv, c);

          if ((int) c == list_col || (int) c == name_col || *col == '\0'
              || g_str_has_prefix (col, "label"))
            continue;
          if (choice->extra != NULL)
            g_hash_table_insert (choice->extra, g_strdup (col),
                                 g_strdup (xf_csv_cell (row, (int) c)));
        }
    }
  return TRUE;
}

/* search('file', 'mode', 'column', value) in an appearance: the file and columns it names
 * must exist; Daftari does not run the search itself. */
static gboolean
xf_check_search (XfLoader   *l,
                 const char *appearance,
                 const char *qname,
                 guint       line,
                 char      **missing_file,
                 GError    **error)
{
  gboolean missing = FALSE;

  const char           *p = strstr (appearance, "search(");
  g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autofree char      *file = NULL;
  XfCsv                *csv;

  p += strlen ("search(");
  /* Split the arguments at top-level commas, keeping quoted strings whole. */
  {
    GString *arg = g_string_new (NULL);
    char     in_string = 0;
    int      depth = 0;

    for (; *p != '\0'; p++)
      {
        if (in_string)
          {
            if (*p == in_string)
              in_string = 0;
            g_string_append_c (arg, *p);
            continue;
          }
        if (*p == '\'' || *p == '"')
          in_string = *p;
        else if (*p == '(')
          depth++;
        else if (*p == ')' && depth-- == 0)
          break;
        else if (*p == ',' && depth == 0)
          {
            g_ptr_array_add (args, g_strstrip (g_string_free (arg, FALSE)));
            arg = g_string_new (NULL);
            continue;
          }
        g_string_append_c (arg, *p);
      }
    g_ptr_array_add (args, g_strstrip (g_string_free (arg, FALSE)));
  }

  for (guint i = 0; i < args->len; i++)
    {
      char *a = g_ptr_array_index (args, i);
      gsize n = strlen (a);

      if (n >= 2 && (a[0] == '\'' || a[0] == '"') && a[n - 1] == a[0])
        {
          memmove (a, a + 1, n - 2);
          a[n - 2] = '\0';
        }
    }
  if (args->len == 0 || *(const char *) g_ptr_array_index (args, 0) == '\0')
    {
      g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                   /* Translators: %s is a question name, %u a line number */
                   _ ("The search() appearance of “%s” on line %u names no file."), qname, line);
      return FALSE;
    }
  file = g_strconcat (g_ptr_array_index (args, 0), ".csv", NULL);
  {
    g_autoptr (GError) local_error = NULL;

    csv = xf_csv_find (l, file, line, &missing, &local_error);
    if (csv == NULL && missing)
      {
        *missing_file = g_steal_pointer (&file);
        return TRUE;
      }
    if (csv == NULL)
      {
        g_propagate_error (error, g_steal_pointer (&local_error));
        return FALSE;
      }
  }
  /* search(file, mode, column, value[, column, value]): columns are the 3rd and 5th. */
  for (guint i = 2; i < args->len; i += 2)
    {
      const char *column = g_ptr_array_index (args, i);

      if (xf_csv_column (csv, column) < 0)
        {
          g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                       /* Translators: the 1st %s is a question name, the 2nd a column, the 3rd a
                          file name */
                       _ ("The search() appearance of “%s” on line %u searches the column “%s”, "
                          "which “%s” does not have."),
                       qname, line, column, file);
          return FALSE;
        }
    }
  return TRUE;
}

/* Questions. */

/* An upload control's question: the person chooses a file of the kind its mediatype names. */
static DftQuestionType
xf_upload_type (xmlNodePtr control)
{
  g_autofree char *mediatype = xf_attr (control, "mediatype");

  if (mediatype == NULL)
    return DFT_QUESTION_FILE;
  if (g_str_has_prefix (mediatype, "image/"))
    return DFT_QUESTION_IMAGE;
  if (g_str_has_prefix (mediatype, "audio/"))
    return DFT_QUESTION_AUDIO;
  if (g_str_has_prefix (mediatype, "video/"))
    return DFT_QUESTION_VIDEO;
  return DFT_QUESTION_FILE;
}

static gboolean
xf_is_number (const char *s)
{
  char *end = NULL;

  if (s == NULL)
    return TRUE;
  while (g_ascii_isspace (*s))
    s++;
  if (*s == '\0')
    return FALSE;
  g_ascii_strtod (s, &end);
  while (end != NULL && g_ascii_isspace (*end))
    end++;
  return end != NULL && *end == '\0';
}

/* The bind type without its "xsd:" prefix. */
static char *
xf_bind_type (XfLoader *l, const char *path)
{
  g_autofree char *type = xf_bind_attr (l, path, "type");
  const char      *colon;

  type = xf_strip_or_null (g_steal_pointer (&type));
  if (type == NULL)
    return NULL;
  colon = strchr (type, ':');
  return g_strdup (colon != NULL ? colon + 1 : type);
}

static gboolean
xf_is_meta (xmlNodePtr el)
{
  static const char *const meta_children[]
      = { "instanceID", "instanceName", "deprecatedID", "entity",   "audit",
          "timeStart",  "timeEnd",      "userID",       "deviceID", NULL };

  if (!xf_is (el, "meta"))
    return FALSE;
  if (g_strcmp0 (xf_ns (el), "http://openrosa.org/xforms") == 0)
    return TRUE;
  for (xmlNodePtr c = el->children; c != NULL; c = c->next)
    if (c->type == XML_ELEMENT_NODE && g_strv_contains (meta_children, (const char *) c->name))
      return TRUE;
  return FALSE;
}

static gboolean xf_build_children (
    XfLoader *l, xmlNodePtr el, const char *path, DftQuestion *parent, GError **error);

/* The common parts of every question: label, hint, binds, defaults. */
static gboolean
xf_fill_common (XfLoader    *l,
                DftQuestion *q,
                xmlNodePtr   el,
                xmlNodePtr   control,
                const char  *path,
                GError     **error)
{
  g_autofree char *constraint_msg = NULL;
  g_autofree char *required_msg = NULL;
  xmlNodePtr       setvalue;

  if (control != NULL)
    {
      DftText *text = xf_label_text (l, xf_child (control, "label"), path, error);

      if (text == NULL && error != NULL && *error != NULL)
        return FALSE;
      xf_set_text (&q->label, text);
      text = xf_label_text (l, xf_child (control, "hint"), path, error);
      if (text == NULL && error != NULL && *error != NULL)
        return FALSE;
      xf_set_text (&q->hint, text);
      if (q->appearance == NULL)
        q->appearance = xf_strip_or_null (xf_attr (control, "appearance"));
    }

  q->required = xf_bool_expr (xf_bind_attr (l, path, "required"));
  q->read_only = xf_bool_expr (xf_bind_attr (l, path, "readonly"));
  q->relevant = xf_strip_or_null (xf_bind_attr (l, path, "relevant"));
  q->constraint = xf_strip_or_null (xf_bind_attr (l, path, "constraint"));
  if (q->calculate == NULL)
    q->calculate = xf_strip_or_null (xf_bind_attr (l, path, "calculate"));
  constraint_msg = xf_strip_or_null (xf_bind_attr (l, path, "constraintMsg"));
  required_msg = xf_strip_or_null (xf_bind_attr (l, path, "requiredMsg"));
  xf_set_text (&q->constraint_message, xf_message_text (l, constraint_msg, path));
  xf_set_text (&q->required_message, xf_message_text (l, required_msg, path));

  if (el != NULL && !xf_has_element_children (el))
    q->default_value = xf_strip_or_null (xf_content (el));
  setvalue = g_hash_table_lookup (l->first_load, path);
  if (setvalue != NULL)
    {
      g_autofree char *value = xf_strip_or_null (xf_attr (setvalue, "value"));

      if (value != NULL)
        q->default_expression = g_steal_pointer (&value);
      else
        {
          g_free (q->default_value);
          q->default_value = xf_strip_or_null (xf_content (setvalue));
        }
    }
  return TRUE;
}

/* The question an <input> of the bind type @type is, when it is one of the types it shows
 * beside text (string, select1, select, boolean). */
static gboolean
xf_input_question_type (const char *type, DftQuestionType *question_type)
{
  static const struct
  {
    const char     *type;
    DftQuestionType question_type;
  } types[] = {
    { "int", DFT_QUESTION_INTEGER },       { "integer", DFT_QUESTION_INTEGER },
    { "long", DFT_QUESTION_INTEGER },      { "short", DFT_QUESTION_INTEGER },
    { "decimal", DFT_QUESTION_DECIMAL },   { "double", DFT_QUESTION_DECIMAL },
    { "float", DFT_QUESTION_DECIMAL },     { "date", DFT_QUESTION_DATE },
    { "time", DFT_QUESTION_TIME },         { "dateTime", DFT_QUESTION_DATETIME },
    { "geopoint", DFT_QUESTION_GEOPOINT }, { "geotrace", DFT_QUESTION_GEOTRACE },
    { "geoshape", DFT_QUESTION_GEOSHAPE }, { "barcode", DFT_QUESTION_BARCODE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    if (g_str_equal (type, types[i].type))
      {
        *question_type = types[i].question_type;
        return TRUE;
      }
  return FALSE;
}

static DftQuestion *
xf_make_unsupported (XfLoader *l, const char *name, const char *what, guint line, gboolean warn)
{
  DftQuestion *q = dft_question_new (DFT_QUESTION_UNSUPPORTED, name);

  q->unsupported_type = g_strdup (what);
  if (warn)
    dft_form_add_warning (l->form, line, name,
                          /* Translators: the first %s is a question name, the second a type
                             such as "geopoint"; %u is a line */
                          _ ("The question “%s” on line %u is of the type “%s”, which Daftari "
                             "cannot show: it is left out."),
                          name, line, what);
  return q;
}

/* @value as an XPath string literal. */
static char *
xf_xpath_literal (const char *value)
{
  GString *s;

  if (strchr (value, '\'') == NULL)
    return g_strdup_printf ("'%s'", value);
  if (strchr (value, '"') == NULL)
    return g_strdup_printf ("\"%s\"", value);
  s = g_string_new ("concat(");
  for (const char *p = value; *p != '\0';)
    {
      const char *q = strchr (p, '\'');
      gsize       n = q != NULL ? (gsize) (q - p) : strlen (p);

      if (n > 0)
        {
          g_string_append_c (s, '\'');
          g_string_append_len (s, p, n);
          g_string_append (s, "', ");
        }
      if (q == NULL)
        break;
      g_string_append (s, "\"'\", ");
      p = q + 1;
    }
  g_string_append (s, "'')");
  return g_string_free (s, FALSE);
}

/* The literal default of a node without a control or calculation: its instance text or the
 * text of a setvalue run when a submission starts. */
static char *
xf_hidden_default (XfLoader *l, xmlNodePtr el, const char *path)
{
  xmlNodePtr setvalue = g_hash_table_lookup (l->first_load, path);

  if (setvalue != NULL)
    {
      g_autofree char *value = xf_attr (setvalue, "value");

      return value == NULL ? xf_strip_or_null (xf_content (setvalue)) : NULL;
    }
  return xf_strip_or_null (xf_content (el));
}

/* NULL with @error unset: the element is not a question (metadata Daftari does not keep). */
static DftQuestion *
xf_build_leaf (XfLoader *l, xmlNodePtr el, const char *path, GError **error)
{
  const char             *name = (const char *) el->name;
  xmlNodePtr              control = g_hash_table_lookup (l->controls, path);
  xmlNodePtr              bind = xf_bind_node (l, path);
  guint                   line = xf_line (control != NULL ? control : bind != NULL ? bind : el);
  g_autofree char        *type = xf_bind_type (l, path);
  g_autofree char        *calculate = xf_strip_or_null (xf_bind_attr (l, path, "calculate"));
  g_autofree char        *readonly = xf_bool_expr (xf_bind_attr (l, path, "readonly"));
  g_autofree char        *required = xf_bool_expr (xf_bind_attr (l, path, "required"));
  g_autofree char        *unsupported = NULL;
  g_autoptr (DftQuestion) q = NULL;

  if (control != NULL)
    {
      const char      *tag = (const char *) control->name;
      g_autofree char *appearance = xf_strip_or_null (xf_attr (control, "appearance"));
      g_autofree char *intent = xf_attr (control, "intent");

      if (appearance != NULL && strstr (appearance, "search(") != NULL)
        {
          g_autofree char *missing_file = NULL;

          if (!xf_check_search (l, appearance, name, line, &missing_file, error))
            return NULL;
          if (missing_file != NULL && required != NULL)
            {
              g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                           /* Translators: the 1st %s is a question, the 2nd a file name */
                           _ ("The question “%s” on line %u offers choices from the file “%s”, "
                              "which is not beside the form nor in its media folder."),
                           name, line, missing_file);
              return NULL;
            }
          if (missing_file != NULL)
            dft_form_add_warning (l->form, line, name,
                                  /* Translators: the 1st %s is a question, the 2nd a file name */
                                  _ ("The question “%s” on line %u offers choices from the file "
                                     "“%s”, which is not beside the form: it is left out."),
                                  name, line, missing_file);
          unsupported = g_strdup (missing_file != NULL ? "select from missing file" : "search()");
        }
      else if ((appearance != NULL && g_str_has_prefix (appearance, "ex:")) || intent != NULL)
        unsupported = g_strdup ("external app");
      else if (g_str_equal (tag, "input") || g_str_equal (tag, "secret"))
        {
          g_autofree char *query = xf_attr (control, "query");
          DftQuestionType  input_type;

          if (query != NULL)
            {
              q = dft_question_new (DFT_QUESTION_SELECT_ONE, name);
              if (!xf_external_itemset (l, control, q, &unsupported))
                return NULL;
            }
          else if (type == NULL || g_str_equal (type, "string") || g_str_equal (type, "select1")
                   || g_str_equal (type, "select") || g_str_equal (type, "boolean"))
            {
              /* As ODK: a read-only text that nothing calculates is a note, unless Daftari
               * wrote that it is a text (one with a default) or a note all the same. */
              g_autofree char *said = xf_bind_daftari_attr (l, path, "question-type");
              gboolean         note = g_strcmp0 (readonly, "true()") == 0 && calculate == NULL;

              if (g_strcmp0 (said, "text") == 0 || g_strcmp0 (said, "note") == 0)
                note = g_str_equal (said, "note");
              q = dft_question_new (note ? DFT_QUESTION_NOTE : DFT_QUESTION_TEXT, name);
            }
          else if (xf_input_question_type (type, &input_type))
            q = dft_question_new (input_type, name);
          else
            unsupported = g_strdup (type);
        }
      else if (g_str_equal (tag, "select1") || g_str_equal (tag, "select")
               || g_str_equal (tag, "rank"))
        {
          xmlNodePtr itemset = xf_child (control, "itemset");
          gboolean   one = g_str_equal (tag, "select1");

          /* ODK's <odk:rank> takes its choices as a select does. */
          if (g_str_equal (tag, "rank"))
            q = dft_question_new (DFT_QUESTION_RANK, name);
          else if (one && appearance != NULL && strstr (appearance, "likert") != NULL)
            q = dft_question_new (DFT_QUESTION_LIKERT, name);
          else
            q = dft_question_new (one ? DFT_QUESTION_SELECT_ONE : DFT_QUESTION_SELECT_MULTIPLE,
                                  name);
          if (itemset != NULL)
            {
              if (!xf_itemset (l, itemset, q, path, &unsupported, error))
                return NULL;
            }
          else if (!xf_inline_items (l, control, q, path, error))
            return NULL;
        }
      else if (g_str_equal (tag, "trigger"))
        q = dft_question_new (DFT_QUESTION_ACKNOWLEDGE, name);
      else if (g_str_equal (tag, "upload"))
        q = dft_question_new (xf_upload_type (control), name);
      else if (g_str_equal (tag, "range"))
        {
          static const char *const attrs[] = { "start", "end", "step" };
          double                   numbers[G_N_ELEMENTS (attrs)];

          for (guint i = 0; i < G_N_ELEMENTS (attrs); i++)
            {
              g_autofree char *v = xf_attr (control, attrs[i]);

              if (!xf_is_number (v))
                {
                  g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                               /* Translators: the 1st %s is a question name, the 2nd an
                                  attribute (start, end, step), the 3rd its value */
                               _ ("The range “%s” on line %u has a %s of “%s”, which is not a "
                                  "number."),
                               name, line, attrs[i], v);
                  return NULL;
                }
              numbers[i] = g_ascii_strtod (v, NULL);
            }
          q = dft_question_new (DFT_QUESTION_RANGE, name);
          q->range_start = numbers[0];
          q->range_end = numbers[1];
          q->range_step = numbers[2];
        }
      else
        unsupported = g_strdup (tag);

      /* A location, barcode or photo bind type wins over a control other than an input. */
      if (unsupported == NULL && type != NULL
          && (((g_str_equal (type, "geopoint") || g_str_equal (type, "geotrace")
                || g_str_equal (type, "geoshape") || g_str_equal (type, "barcode"))
               && g_strcmp0 (tag, "input") != 0)
              || (g_str_equal (type, "binary") && g_strcmp0 (tag, "upload") != 0)))
        {
          g_clear_pointer (&q, dft_question_free);
          unsupported = g_strdup (type);
        }
    }
  else
    {
      g_autofree char *preload = xf_strip_or_null (xf_bind_attr (l, path, "preload"));
      g_autofree char *params = xf_strip_or_null (xf_bind_attr (l, path, "preloadParams"));
      const char      *param = params != NULL ? params : "";

      if (g_str_has_prefix (param, "uri:"))
        param += strlen ("uri:");
      if (preload != NULL)
        {
          const char *kind = NULL;

          if (g_str_equal (preload, "timestamp")
              && (g_str_equal (param, "start") || g_str_equal (param, "end")))
            kind = param;
          else if (g_str_equal (preload, "date") && g_str_equal (param, "today"))
            kind = "today";
          else if (g_str_equal (preload, "property")
                   && (g_str_equal (param, "deviceid") || g_str_equal (param, "username")))
            kind = param;
          if (kind != NULL)
            {
              q = dft_question_new (DFT_QUESTION_METADATA, name);
              q->preload = g_strdup (kind);
            }
          else
            unsupported = g_strdup (*param != '\0' ? param : preload);
        }
      else if (calculate != NULL)
        {
          q = dft_question_new (DFT_QUESTION_CALCULATE, name);
          q->calculate = g_steal_pointer (&calculate);
        }
      else
        {
          /* A hidden value: with a fixed default it is a calculation of that value; without
           * one, or when actions set it, it is data the form keeps (pyxform's "hidden"),
           * which nobody fills here. */
          g_autofree char *value = xf_hidden_default (l, el, path);

          if (value != NULL && g_hash_table_contains (l->actions, path))
            q = dft_question_new (DFT_QUESTION_METADATA, name); /* its default: below */
          else if (value != NULL)
            {
              q = dft_question_new (DFT_QUESTION_CALCULATE, name);
              q->calculate = xf_xpath_literal (value);
            }
          else
            q = dft_question_new (DFT_QUESTION_METADATA, name);
        }
    }

  if (unsupported != NULL)
    {
      g_clear_pointer (&q, dft_question_free);
      /* Without a control nobody is asked, so requiredness cannot be met or missed. */
      if (g_strcmp0 (required, "true()") == 0 && control != NULL)
        {
          g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_UNSUPPORTED,
                       /* Translators: the 1st %s is a question name, the 2nd a type such as
                          "geopoint"; %u is a line */
                       _ ("The question “%s” on line %u is required, but its type “%s” is one "
                          "Daftari cannot show."),
                       name, line, unsupported);
          return NULL;
        }
      /* A missing choices file was reported by name already. */
      q = xf_make_unsupported (l, name, unsupported, line,
                               !g_str_equal (unsupported, "select from missing file"));
    }
  g_assert (q != NULL);
  q->source_line = line;
  if (!xf_fill_common (l, q, el, control, path, error))
    return NULL;
  /* Without a control nobody is asked, so requiredness cannot be met or missed. */
  if ((q->type == DFT_QUESTION_UNSUPPORTED
       || (q->type == DFT_QUESTION_METADATA && q->preload == NULL))
      && control == NULL)
    g_clear_pointer (&q->required, g_free);
  return g_steal_pointer (&q);
}

static DftQuestion *
xf_build_question (XfLoader *l, xmlNodePtr el, const char *path, GError **error)
{
  xmlNodePtr group = g_hash_table_lookup (l->groups, path);
  xmlNodePtr repeat = g_hash_table_lookup (l->repeats, path);
  xmlNodePtr bind = xf_bind_node (l, path);

  if (xf_has_element_children (el)
      || ((group != NULL || repeat != NULL) && !g_hash_table_contains (l->controls, path)))
    {
      g_autoptr (DftQuestion) q = NULL;
      g_autofree char        *intent = xf_attr (group, "intent");
      xmlNodePtr              label_from;
      xmlNodePtr              first = repeat != NULL ? repeat : group;

      q = dft_question_new (repeat != NULL ? DFT_QUESTION_REPEAT : DFT_QUESTION_GROUP,
                            (const char *) el->name);
      q->source_line = xf_line (first != NULL ? first : bind != NULL ? bind : el);
      label_from = group != NULL && xf_child (group, "label") != NULL ? group : repeat;
      if (group != NULL)
        q->appearance = xf_strip_or_null (xf_attr (group, "appearance"));
      if (q->appearance == NULL && repeat != NULL)
        q->appearance = xf_strip_or_null (xf_attr (repeat, "appearance"));
      if (!xf_fill_common (l, q, el, label_from, path, error))
        return NULL;
      q->page = q->appearance != NULL && strstr (q->appearance, "field-list") != NULL;
      if (repeat != NULL)
        q->repeat_count = xf_strip_or_null (xf_attr (repeat, "count"));
      if (intent != NULL)
        dft_form_add_warning (l->form, q->source_line, q->name,
                              /* Translators: %s is a group name, %u a line */
                              _ ("The group “%s” on line %u fills its questions from another "
                                 "app, which Daftari cannot start: they are asked one by one."),
                              q->name, q->source_line);
      if (!xf_build_children (l, el, path, q, error))
        return NULL;
      return g_steal_pointer (&q);
    }
  return xf_build_leaf (l, el, path, error);
}

static gboolean
xf_build_children (
    XfLoader *l, xmlNodePtr el, const char *path, DftQuestion *parent, GError **error)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (xmlNodePtr c = el->children; c != NULL; c = c->next)
    {
      g_autofree char *child_path = NULL;
      DftQuestion     *q;

      if (c->type != XML_ELEMENT_NODE)
        continue;
      /* Repeat instances and templates after the first are the same question. */
      if (!g_hash_table_add (seen, (gpointer) c->name))
        continue;
      if (xf_is_meta (c))
        continue;
      child_path = g_strconcat (path, "/", (const char *) c->name, NULL);
      q = xf_build_question (l, c, child_path, error);
      if (q == NULL)
        {
          if (error != NULL && *error != NULL)
            return FALSE;
          continue;
        }
      if (parent != NULL)
        dft_question_add_child (parent, q);
      else
        dft_form_add_question (l->form, q);
    }
  return TRUE;
}

/* Indexing the document. */

static void
xf_index_instance (XfLoader *l, xmlNodePtr el, const char *path, gboolean count)
{
  if (count)
    {
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (l->name_count, el->name));

      if (!g_hash_table_contains (l->paths, path))
        g_hash_table_insert (l->name_count, g_strdup ((const char *) el->name),
                             GUINT_TO_POINTER (n + 1));
    }
  g_hash_table_add (l->paths, g_strdup (path));
  for (xmlAttrPtr a = el->properties; a != NULL; a = a->next)
    g_hash_table_add (l->paths, g_strdup_printf ("%s/@%s", path, (const char *) a->name));
  for (xmlNodePtr c = el->children; c != NULL; c = c->next)
    {
      g_autofree char *child_path = NULL;

      if (c->type != XML_ELEMENT_NODE)
        continue;
      child_path = g_strconcat (path, "/", (const char *) c->name, NULL);
      xf_index_instance (l, c, child_path, count && !xf_is_meta (c));
    }
}

static gboolean
xf_check_events (const char *events, xmlNodePtr action, GError **error)
{
  static const char *const known[]
      = { "odk-instance-first-load", "odk-instance-load",    "odk-new-repeat", "xforms-ready",
          "xforms-revalidate",       "xforms-value-changed", "jr-insert",      NULL };
  g_auto (GStrv) names = g_strsplit_set (events != NULL ? events : "", " \t\r\n", -1);
  guint          n = 0;

  for (guint i = 0; names[i] != NULL; i++)
    {
      if (*names[i] == '\0')
        continue;
      n++;
      if (!g_strv_contains (known, names[i]))
        {
          g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                       /* Translators: the 1st %s is an event name, the 2nd an action such as
                          "setvalue"; %u is a line */
                       _ ("The event “%s” of the %s action on line %u is not one ODK knows."),
                       names[i], (const char *) action->name, xf_line (action));
          return FALSE;
        }
    }
  if (n == 0)
    {
      g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                   /* Translators: %s is an action such as "setvalue", %u a line */
                   _ ("The %s action on line %u has no event."), (const char *) action->name,
                   xf_line (action));
      return FALSE;
    }
  return TRUE;
}

/* A setvalue or setgeopoint action, in the model or inside a body control (@context_ref, the
 * control's path, is its default target and the question whose change fires
 * xforms-value-changed) or directly inside a group or repeat (@scope, its path; a repeat's new
 * instances fire odk-new-repeat). A setvalue run when a submission starts (alone or also in
 * each new repeat instance) is the question's default, as ODK's XLSForm default column makes
 * it; other events become the question's actions. */
static gboolean
xf_index_action (
    XfLoader *l, xmlNodePtr action, const char *context_ref, const char *scope, GError **error)
{
  g_autofree char *names = xf_attr (action, "event");
  g_autofree char *ref = xf_attr (action, "ref");
  g_autofree char *path = NULL;
  gboolean         geo = xf_is (action, "setgeopoint");
  DftEvents        events;
  DftAction       *a;
  GPtrArray       *list;

  if (geo && g_strcmp0 (xf_ns (action), ODK_NS) != 0)
    {
      g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                   /* Translators: %u is a line number */
                   _ ("The setgeopoint action on line %u is not in the ODK namespace (%s)."),
                   xf_line (action), ODK_NS);
      return FALSE;
    }
  if (!xf_check_events (names, action, error))
    return FALSE;
  path = ref != NULL ? xf_path_resolve (context_ref != NULL ? context_ref
                                        : scope != NULL     ? scope
                                                            : l->root_path,
                                        ref)
                     : g_strdup (context_ref);
  if (path == NULL)
    return TRUE;
  events = dft_events_from_string (names, NULL);
  if (!geo && (events & DFT_EVENT_INSTANCE_FIRST_LOAD))
    {
      g_hash_table_replace (l->first_load, g_strdup (path), action);
      events &= ~(DFT_EVENT_INSTANCE_FIRST_LOAD | DFT_EVENT_NEW_REPEAT);
      if (events == 0)
        return TRUE;
    }
  /* xforms-value-changed is the change of the control the action is in. */
  if (context_ref == NULL)
    events &= ~DFT_EVENT_VALUE_CHANGED;
  if (events == 0)
    {
      dft_form_add_warning (l->form, xf_line (action), xf_path_last (path),
                            /* Translators: the 1st %s is an action such as "setvalue", the 2nd a
                               question name */
                            _ ("The %s action on line %u for “%s” is not supported: it is "
                               "ignored."),
                            (const char *) action->name, xf_line (action), xf_path_last (path));
      return TRUE;
    }
  a = g_new0 (DftAction, 1);
  a->events = events;
  a->setgeopoint = geo;
  a->source_line = xf_line (action);
  if (events & DFT_EVENT_VALUE_CHANGED)
    a->trigger = g_strdup (context_ref);
  else if ((events & DFT_EVENT_NEW_REPEAT) && scope != NULL
           && g_hash_table_contains (l->repeats, scope))
    {
      /* The repeat holding the question is the one it listens to without saying so. */
      g_autofree char *own = g_strdup (path);
      char            *slash;

      while ((slash = strrchr (own, '/')) != NULL && slash != own)
        {
          *slash = '\0';
          if (g_hash_table_contains (l->repeats, own))
            break;
        }
      if (g_strcmp0 (own, scope) != 0)
        a->trigger = g_strdup (scope);
    }
  if (!geo)
    {
      a->value = xf_strip_or_null (xf_attr (action, "value"));
      if (a->value == NULL && xmlHasProp (action, BAD_CAST "value") == NULL)
        {
          g_autofree char *text = xf_strip_or_null (xf_content (action));

          if (text != NULL)
            a->value = xf_xpath_literal (text);
        }
    }
  else
    dft_form_add_warning (l->form, xf_line (action), xf_path_last (path),
                          /* Translators: %s is a question name, %u a line */
                          _ ("The question “%s” is to be given the device's location "
                             "(setgeopoint on line %u): Daftari has no location, so it is left "
                             "for the person to fill in or empty."),
                          xf_path_last (path), xf_line (action));
  list = g_hash_table_lookup (l->actions, path);
  if (list == NULL)
    {
      list = g_ptr_array_new_with_free_func (_dft_action_free);
      g_hash_table_insert (l->actions, g_strdup (path), list);
    }
  g_ptr_array_add (list, a);
  return TRUE;
}

static void
xf_find_itext_call (DftQuestion *q, gpointer user_data)
{
  gboolean   *found = user_data;
  const char *exprs[] = { q->relevant,   q->required,           q->read_only,     q->calculate,
                          q->constraint, q->default_expression, q->choice_filter, q->repeat_count };

  for (guint i = 0; i < G_N_ELEMENTS (exprs); i++)
    *found |= exprs[i] != NULL && strstr (exprs[i], "itext") != NULL;
  for (guint i = 0; i < q->actions->len; i++)
    {
      DftAction *a = g_ptr_array_index (q->actions, i);

      *found |= a->value != NULL && strstr (a->value, "itext") != NULL;
    }
}

/* When an expression calls jr:itext(), the form keeps every itext entry, so that the ids it
 * works out as it runs (jr:itext(concat('/data/', ${x}, ':label'))) find their text. */
static void
xf_keep_itext (XfLoader *l)
{
  gboolean       found = FALSE;
  GHashTableIter iter;
  gpointer       id;

  dft_form_foreach (l->form, xf_find_itext_call, &found);
  if (!found)
    return;
  g_hash_table_iter_init (&iter, l->itext);
  while (g_hash_table_iter_next (&iter, &id, NULL))
    g_hash_table_replace (l->form->texts, g_strdup (id), xf_itext_text (l, id, NULL));
}

/* The path of @q as the instance has it (groups without a name add no step). */
static char *
xf_question_path (XfLoader *l, DftQuestion *q)
{
  g_autoptr (GString) path = g_string_new (NULL);

  for (DftQuestion *a = q; a != NULL; a = a->parent)
    if (a->name != NULL)
      {
        g_string_prepend (path, a->name);
        g_string_prepend_c (path, '/');
      }
  g_string_prepend (path, l->root_path);
  return g_string_free (g_steal_pointer (&path), FALSE);
}

static void
xf_attach_actions (DftQuestion *q, gpointer user_data)
{
  XfLoader        *l = user_data;
  g_autofree char *path = NULL;
  GPtrArray       *list;

  if (q->name == NULL)
    return;
  path = xf_question_path (l, q);
  list = g_hash_table_lookup (l->actions, path);
  if (list == NULL)
    return;
  g_ptr_array_set_free_func (list, NULL);
  g_ptr_array_extend_and_steal (q->actions, g_ptr_array_ref (list));
  g_hash_table_remove (l->actions, path);
}

static gboolean xf_index_body (XfLoader *l, xmlNodePtr node, const char *context, GError **error);

static gboolean
xf_check_ref (XfLoader *l, xmlNodePtr node, const char *path, GError **error)
{
  if (g_hash_table_contains (l->paths, path))
    return TRUE;
  g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
               /* Translators: the 1st %s is an element such as "input", the 2nd a path */
               _ ("The %s on line %u refers to “%s”, which is not in the form's instance."),
               (const char *) node->name, xf_line (node), path);
  return FALSE;
}

static gboolean
xf_index_body (XfLoader *l, xmlNodePtr node, const char *context, GError **error)
{
  static const char *const controls[]
      = { "input", "select1", "select", "trigger", "upload", "range", "rank", "secret", NULL };

  for (xmlNodePtr c = node->children; c != NULL; c = c->next)
    {
      const char      *tag = (const char *) c->name;
      g_autofree char *ref = NULL;
      g_autofree char *path = NULL;

      if (c->type != XML_ELEMENT_NODE)
        continue;
      if (g_str_equal (tag, "group") || g_str_equal (tag, "repeat"))
        {
          ref = xf_attr (c, g_str_equal (tag, "repeat") ? "nodeset" : "ref");
          if (ref == NULL)
            ref = xf_attr (c, g_str_equal (tag, "repeat") ? "ref" : "nodeset");
          if (ref != NULL)
            {
              path = xf_path_resolve (context, ref);
              if (path == NULL)
                {
                  g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                               /* Translators: %s is an element (group, repeat) */
                               _ ("The %s on line %u refers to “%s”, which is not a path."), tag,
                               xf_line (c), ref);
                  return FALSE;
                }
              if (!xf_check_ref (l, c, path, error))
                return FALSE;
            }
          if (g_str_equal (tag, "repeat"))
            {
              if (path == NULL)
                {
                  g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                               /* Translators: %u is a line number */
                               _ ("The repeat on line %u does not say what it repeats."),
                               xf_line (c));
                  return FALSE;
                }
              g_hash_table_replace (l->repeats, g_strdup (path), c);
            }
          else if (path != NULL)
            g_hash_table_replace (l->groups, g_strdup (path), c);
          if (!xf_index_body (l, c, path != NULL ? path : context, error))
            return FALSE;
          continue;
        }
      if (g_strv_contains (controls, tag))
        {
          g_autofree char *bind = xf_attr (c, "bind");

          ref = xf_attr (c, "ref");
          if (ref != NULL)
            path = xf_path_resolve (context, ref);
          else if (bind != NULL)
            path = g_strdup (g_hash_table_lookup (l->bind_ids, bind));
          if (path == NULL)
            {
              g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                           /* Translators: %s is a control such as "input", %u a line */
                           _ ("The %s on line %u does not say which question it shows."), tag,
                           xf_line (c));
              return FALSE;
            }
          if (!xf_check_ref (l, c, path, error))
            return FALSE;
          g_hash_table_replace (l->controls, g_strdup (path), c);
          for (xmlNodePtr a = c->children; a != NULL; a = a->next)
            if ((xf_is (a, "setvalue") || xf_is (a, "setgeopoint"))
                && !xf_index_action (l, a, path, NULL, error))
              return FALSE;
          continue;
        }
      if (g_str_equal (tag, "setvalue") || g_str_equal (tag, "setgeopoint"))
        {
          if (!xf_index_action (l, c, NULL, context, error))
            return FALSE;
        }
    }
  return TRUE;
}

static gboolean
xf_index_itext (XfLoader *l, xmlNodePtr itext, GError **error)
{
  const char *default_code = NULL;
  const char *first_code = NULL;

  for (xmlNodePtr tr = itext->children; tr != NULL; tr = tr->next)
    {
      g_autofree char *lang = NULL;
      g_autofree char *is_default = NULL;
      g_autofree char *code = NULL;

      if (!xf_is (tr, "translation"))
        continue;
      lang = xf_attr (tr, "lang");
      if (lang == NULL)
        {
          g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                       /* Translators: %u is a line number */
                       _ ("The translation on line %u has no language (lang)."), xf_line (tr));
          return FALSE;
        }
      code = dft_language_code_from_name (lang);
      dft_form_add_language (l->form, code, lang);
      is_default = xf_attr (tr, "default");
      if (is_default != NULL && default_code == NULL && g_strcmp0 (is_default, "false()") != 0)
        default_code = g_intern_string (code);
      if (first_code == NULL)
        first_code = g_intern_string (code);

      for (xmlNodePtr text = tr->children; text != NULL; text = text->next)
        {
          g_autofree char *id = NULL;
          xmlNodePtr       plain = NULL;
          xmlNodePtr       lng = NULL;
          xmlNodePtr       shrt = NULL;
          xmlNodePtr       chosen;
          GPtrArray       *values;
          XfItextValue    *v;

          if (!xf_is (text, "text"))
            continue;
          id = xf_attr (text, "id");
          if (id == NULL)
            continue;
          for (xmlNodePtr value = text->children; value != NULL; value = value->next)
            {
              g_autofree char *form = NULL;

              if (!xf_is (value, "value"))
                continue;
              form = xf_attr (value, "form");
              if (form == NULL)
                plain = plain != NULL ? plain : value;
              else if (g_str_equal (form, "long"))
                lng = lng != NULL ? lng : value;
              else if (g_str_equal (form, "short"))
                shrt = shrt != NULL ? shrt : value;
              else if (!l->warned_media
                       && (g_str_equal (form, "image") || g_str_equal (form, "audio")
                           || g_str_equal (form, "video") || g_str_equal (form, "big-image")))
                {
                  l->warned_media = TRUE;
                  dft_form_add_warning (l->form, xf_line (value), NULL, "%s",
                                        _ ("The form has images, sounds or videos in its texts; "
                                           "Daftari shows the texts without them."));
                }
            }
          chosen = plain != NULL ? plain : lng != NULL ? lng : shrt;
          /* An entry with only an image or a sound is known, with no text. */
          values = g_hash_table_lookup (l->itext, id);
          if (values == NULL)
            {
              values = g_ptr_array_new_with_free_func (xf_itext_value_free);
              g_hash_table_insert (l->itext, g_strdup (id), values);
            }
          if (chosen == NULL)
            continue;
          v = g_new0 (XfItextValue, 1);
          v->lang = g_strdup (code);
          v->value = chosen;
          g_ptr_array_add (values, v);
        }
    }
  if (first_code != NULL)
    {
      g_free (l->form->default_language);
      l->form->default_language = g_strdup (default_code != NULL ? default_code : first_code);
    }
  return TRUE;
}

static gboolean
xf_check_entities_version (xmlNodePtr model, GError **error)
{
  static const char *const known[] = { "2022.1.", "2023.1.", "2024.1.", "2025.1.", NULL };
  g_autofree char         *version = xf_attr (model, "entities-version");
  g_autofree char         *dotted = NULL;

  if (version == NULL)
    return TRUE;
  dotted = g_strconcat (version, ".", NULL);
  for (guint i = 0; known[i] != NULL; i++)
    if (g_str_has_prefix (dotted, known[i]))
      return TRUE;
  g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
               /* Translators: %s is a version such as "2024.1.0", %u a line */
               _ ("The form uses entities version “%s” (line %u), which Daftari does not know."),
               version, xf_line (model));
  return FALSE;
}

/* Reads the secondary instances: inline ones and XML files as they are, CSV files into the
 * same shape. */
static gboolean
xf_index_instances (XfLoader *l, GError **error)
{
  for (xmlNodePtr c = l->model->children; c != NULL; c = c->next)
    {
      g_autofree char *id = NULL;
      g_autofree char *src = NULL;
      xmlNodePtr       root = NULL;

      if (!xf_is (c, "instance") || c == l->primary)
        continue;
      id = xf_attr (c, "id");
      if (id == NULL)
        continue;
      src = xf_strip_or_null (xf_attr (c, "src"));
      if (src != NULL
          && (g_str_has_prefix (src, "jr://file-csv/")
              || (g_str_has_prefix (src, "jr://file/") && g_str_has_suffix (src, ".xml"))))
        {
          gboolean           is_csv = g_str_has_prefix (src, "jr://file-csv/");
          const char        *file = src + strlen (is_csv ? "jr://file-csv/" : "jr://file/");
          g_autoptr (GError) local_error = NULL;
          gboolean           missing = FALSE;

          if (is_csv)
            {
              XfCsv *csv = xf_csv_find (l, file, xf_line (c), &missing, &local_error);

              root = csv != NULL ? xf_csv_to_instance (l, csv) : NULL;
            }
          else
            root = xf_xml_instance_read (l, file, xf_line (c), &missing, &local_error);
          /* A missing file refuses the form only where a question needs it. */
          if (root == NULL && missing)
            {
              g_hash_table_replace (l->missing, g_strdup (id), g_strdup (file));
              continue;
            }
          if (root == NULL)
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
        }
      else if (src != NULL)
        {
          g_hash_table_replace (l->external, g_strdup (id), g_strdup (src));
          continue;
        }
      else
        {
          for (xmlNodePtr r = c->children; r != NULL && root == NULL; r = r->next)
            if (r->type == XML_ELEMENT_NODE)
              root = r;
        }
      if (root != NULL)
        g_hash_table_replace (l->instances, g_strdup (id), root);
    }
  return TRUE;
}

static gboolean
xf_load (XfLoader *l, const char *data, gsize length, GError **error)
{
  xmlParserCtxtPtr ctxt;
  xmlNodePtr       html;
  xmlNodePtr       head = NULL;
  xmlNodePtr       instance = NULL;
  xmlNodePtr       title = NULL;
  xmlNodePtr       second_model = NULL;
  g_autofree char *form_id = NULL;

  if (length > G_MAXINT)
    {
      g_set_error_literal (error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE,
                           _ ("The form file is too large."));
      return FALSE;
    }
  ctxt = xmlNewParserCtxt ();
  if (ctxt == NULL)
    {
      g_set_error_literal (error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE,
                           _ ("The XML parser could not start."));
      return FALSE;
    }
  /* No entity substitution, no DTD loading, no network; libxml2's size limits stay. */
  l->doc = xmlCtxtReadMemory (ctxt, data, (int) length, "form.xml", NULL,
                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING
                                  | XML_PARSE_BIG_LINES);
  if (l->doc == NULL || !ctxt->wellFormed)
    {
      XfXmlError       err = xmlCtxtGetLastError (ctxt);
      g_autofree char *message = NULL;

      message = g_strstrip (
          g_strdup (err != NULL && err->message != NULL ? err->message : _ ("no document")));
      g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE,
                   /* Translators: %u is a line, %s libxml2's message (English) */
                   _ ("The form is not well-formed XML (line %u): %s"),
                   err != NULL ? (guint) MAX (err->line, 0) : 0, message);
      xmlFreeParserCtxt (ctxt);
      return FALSE;
    }
  xmlFreeParserCtxt (ctxt);
  if (l->doc->intSubset != NULL || l->doc->extSubset != NULL)
    {
      g_set_error_literal (error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE,
                           _ ("The form declares a DOCTYPE; XForms have none, and Daftari does "
                              "not read them."));
      return FALSE;
    }

  html = xmlDocGetRootElement (l->doc);
  if (!xf_is (html, "html"))
    {
      g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE,
                   /* Translators: %s is an XML element name */
                   _ ("This is not an XForm: its document element is <%s>, not <h:html>."),
                   html != NULL ? (const char *) html->name : "");
      return FALSE;
    }
  for (xmlNodePtr c = html->children; c != NULL; c = c->next)
    {
      if (xf_is (c, "head"))
        {
          if (head != NULL)
            {
              g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                           /* Translators: %u is a line of the form file; <h:head> is XML: do not
                              translate it */
                           _ ("The form has a second <h:head> on line %u."), xf_line (c));
              return FALSE;
            }
          head = c;
        }
      else if (xf_is (c, "body"))
        {
          if (head == NULL)
            {
              g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                           /* Translators: %u is a line number */
                           _ ("The form's body (line %u) comes before its head and model."),
                           xf_line (c));
              return FALSE;
            }
          if (l->body != NULL)
            {
              g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                           /* Translators: %u is a line of the form file; <h:body> is XML: do not
                              translate it */
                           _ ("The form has a second <h:body> on line %u."), xf_line (c));
              return FALSE;
            }
          l->body = c;
        }
    }
  if (head == NULL)
    {
      g_set_error_literal (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                           _ ("The form has no <h:head>."));
      return FALSE;
    }
  for (xmlNodePtr c = head->children; c != NULL; c = c->next)
    {
      if (xf_is (c, "title") && title == NULL)
        title = c;
      else if (xf_is (c, "model"))
        {
          /* As JavaRosa: the first model is the form's, later ones are ignored. */
          if (l->model != NULL)
            second_model = second_model != NULL ? second_model : c;
          else
            l->model = c;
        }
    }
  if (l->model == NULL)
    {
      g_set_error_literal (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                           _ ("The form has no <model>."));
      return FALSE;
    }
  if (!xf_check_entities_version (l->model, error))
    return FALSE;
  /* The first instance is the primary one, whatever its attributes (an id among them). */
  l->primary = xf_child (l->model, "instance");
  instance = l->primary;
  for (xmlNodePtr c = instance != NULL ? instance->children : NULL; c != NULL; c = c->next)
    if (c->type == XML_ELEMENT_NODE)
      {
        l->root = c;
        break;
      }
  if (l->root == NULL)
    {
      g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                   /* Translators: %u is a line number */
                   _ ("The form's model (line %u) has no primary instance."), xf_line (l->model));
      return FALSE;
    }

  form_id = xf_strip_or_null (xf_attr (l->root, "id"));
  l->form = dft_form_new (form_id != NULL ? form_id : (const char *) l->root->name);
  g_free (l->form->root_name);
  l->form->root_name = g_strdup ((const char *) l->root->name);
  g_free (l->form->version);
  l->form->version = xf_strip_or_null (xf_attr (l->root, "version"));
  l->root_path = g_strconcat ("/", (const char *) l->root->name, NULL);
  xf_index_instance (l, l->root, l->root_path, TRUE);
  if (second_model != NULL)
    dft_form_add_warning (l->form, xf_line (second_model), NULL,
                          /* Translators: %u is a line number; <model> is XML: do not translate
                             it */
                          _ ("The form has a second <model> on line %u; an XForm has one, so "
                             "Daftari reads the first and ignores the others."),
                          xf_line (second_model));

  /* Languages first: every text below goes into them. */
  for (xmlNodePtr c = l->model->children; c != NULL; c = c->next)
    if (xf_is (c, "itext") && !xf_index_itext (l, c, error))
      return FALSE;
  if (l->form->languages == NULL || l->form->languages->len == 0)
    dft_form_add_language (l->form, "und", NULL);
  if (l->form->default_language == NULL)
    l->form->default_language = g_strdup ("und");

  for (xmlNodePtr c = l->model->children; c != NULL; c = c->next)
    {
      if (xf_is (c, "bind"))
        {
          g_autofree char *nodeset = xf_attr (c, "nodeset");
          g_autofree char *path = NULL;
          g_autofree char *id = NULL;
          GPtrArray       *binds;

          if (nodeset == NULL)
            {
              g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                           /* Translators: %u is a line number */
                           _ ("The bind on line %u has no nodeset."), xf_line (c));
              return FALSE;
            }
          path = xf_path_resolve (l->root_path, nodeset);
          if (path == NULL)
            continue;
          /* As JavaRosa: a bind whose node was renamed or removed is warned about. */
          if (!g_hash_table_contains (l->paths, path))
            {
              dft_form_add_warning (l->form, xf_line (c), xf_path_last (path),
                                    /* Translators: %s is a path such as /data/name, %u a line */
                                    _ ("The bind on line %u is for “%s”, which is not in the "
                                       "form's instance: it is ignored."),
                                    xf_line (c), path);
              continue;
            }
          binds = g_hash_table_lookup (l->binds, path);
          if (binds == NULL)
            {
              binds = g_ptr_array_new ();
              g_hash_table_insert (l->binds, g_strdup (path), binds);
            }
          g_ptr_array_add (binds, c);
          id = xf_attr (c, "id");
          if (id != NULL)
            g_hash_table_replace (l->bind_ids, g_steal_pointer (&id), g_strdup (path));
        }
      else if ((xf_is (c, "setvalue") || xf_is (c, "setgeopoint"))
               && !xf_index_action (l, c, NULL, NULL, error))
        return FALSE;
    }
  if (!xf_index_instances (l, error))
    return FALSE;
  if (l->body != NULL && !xf_index_body (l, l->body, l->root_path, error))
    return FALSE;

  /* The title in every language when the itext has it, as Daftari writes it; else
   * <h:title>, in the default language. */
  {
    g_autofree char *title_id = g_strconcat (l->root_path, ":title", NULL);
    DftText         *titles = xf_itext_text (l, title_id, NULL);

    if (titles != NULL && g_hash_table_size (titles) > 0)
      xf_set_text (&l->form->title, titles);
    else
      {
        g_clear_pointer (&titles, g_hash_table_unref);
        if (title != NULL)
          {
            g_autofree char *s = xf_plain_text (l, title, NULL);

            if (l->form->title == NULL)
              l->form->title = dft_text_new ();
            dft_text_set (l->form->title, l->form->default_language, s);
          }
      }
  }
  if (!xf_build_children (l, l->root, l->root_path, NULL, error))
    return FALSE;
  dft_form_foreach (l->form, xf_attach_actions, l);
  xf_keep_itext (l);
  return TRUE;
}

static DftForm *
xf_load_with_stem (
    const char *data, gsize length, const char *base_dir, const char *stem, GError **error)
{
  XfLoader l = { 0 };
  DftForm *form = NULL;

  l.base_dir = base_dir;
  l.stem = stem;
  l.itext
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  l.binds
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  l.bind_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  l.controls = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  l.groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  l.repeats = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  l.first_load = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  l.actions
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  l.instances = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  l.external = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  l.missing = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  l.paths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  l.name_count = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  l.lists = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  l.csv_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, xf_csv_free);
  l.extra_docs = g_ptr_array_new ();

  if (xf_load (&l, data, length, error))
    form = g_steal_pointer (&l.form);
  xf_loader_clear (&l);
  return form;
}

DftForm *
dft_xform_load_data (const char *data, gsize length, const char *base_dir, GError **error)
{
  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return xf_load_with_stem (data != NULL ? data : "", length, base_dir, NULL, error);
}

DftForm *
dft_xform_load_file (const char *path, GError **error)
{
  g_autofree char   *data = NULL;
  g_autofree char   *dir = NULL;
  g_autofree char   *base = NULL;
  gsize              length = 0;
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_file_get_contents (path, &data, &length, &local_error))
    {
      g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE,
                   /* Translators: the 1st %s is a file name, the 2nd why it cannot be read */
                   _ ("The form “%s” cannot be read: %s"), path, local_error->message);
      return NULL;
    }
  dir = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  if (g_str_has_suffix (base, ".xml"))
    base[strlen (base) - strlen (".xml")] = '\0';
  return xf_load_with_stem (data, length, dir, base, error);
}
