/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <libxml/xmlwriter.h>
#include <string.h>

#include "dft-form-export.h"
#include "dft-xform.h"
#include "dft-xlsform-private.h"

/* ---- Shared ----------------------------------------------------------- */

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The keys of @table, borrowed, sorted. */
static GPtrArray *
sorted_keys (GHashTable *table)
{
  GPtrArray     *keys = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer       key;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, key);
  g_ptr_array_sort (keys, compare_strings);
  return keys;
}

static GPtrArray *
sorted_list_names (DftForm *form)
{
  return sorted_keys (form->choice_lists);
}

static void
add_codes_of (GPtrArray *codes, DftText *text)
{
  GHashTableIter iter;
  gpointer       key;

  if (text == NULL)
    return;
  g_hash_table_iter_init (&iter, text);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_ptr_array_find_with_equal_func (codes, key, g_str_equal, NULL))
      g_ptr_array_add (codes, g_strdup (key));
}

static void
add_question_codes (DftQuestion *q, gpointer user_data)
{
  add_codes_of (user_data, q->label);
  add_codes_of (user_data, q->hint);
  add_codes_of (user_data, q->required_message);
  add_codes_of (user_data, q->constraint_message);
}

/* Every language the form has texts in: its own list first, in its order, then any code a
 * text uses that the list lacks (sorted, so the output does not depend on hashing). */
static GPtrArray *
all_languages (DftForm *form)
{
  GPtrArray            *codes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) extra = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) names = sorted_list_names (form);

  for (guint i = 0; i < form->languages->len; i++)
    g_ptr_array_add (codes, g_strdup (((DftLanguage *) form->languages->pdata[i])->code));
  add_codes_of (extra, form->title);
  dft_form_foreach (form, add_question_codes, extra);
  for (guint i = 0; i < names->len; i++)
    {
      DftChoiceList *list = g_hash_table_lookup (form->choice_lists, names->pdata[i]);

      for (guint c = 0; c < list->choices->len; c++)
        add_codes_of (extra, ((DftChoice *) list->choices->pdata[c])->label);
    }
  g_ptr_array_sort (extra, compare_strings);
  for (guint i = 0; i < extra->len; i++)
    if (!g_ptr_array_find_with_equal_func (codes, extra->pdata[i], g_str_equal, NULL))
      g_ptr_array_add (codes, g_strdup (extra->pdata[i]));
  return codes;
}

/* The language as the formats name it: a name from which dft_language_code_from_name()
 * gives @code back ("English (en)", "Русский"), so that reading the file keeps the code. */
static char *
language_label (DftForm *form, const char *code)
{
  const char      *name = code;
  g_autofree char *back = NULL;

  for (guint i = 0; i < form->languages->len; i++)
    {
      DftLanguage *l = g_ptr_array_index (form->languages, i);

      if (strcmp (l->code, code) == 0)
        name = l->name;
    }
  if (strcmp (code, "und") == 0)
    return g_strdup ("default");
  back = dft_language_code_from_name (name);
  if (strcmp (back, code) == 0)
    return g_strdup (name);
  return g_strdup_printf ("%s (%s)", name, code);
}

static gboolean
has_text (DftText *text)
{
  GHashTableIter iter;
  gpointer       value;

  if (text == NULL)
    return FALSE;
  g_hash_table_iter_init (&iter, text);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((const char *) value)[0] != '\0')
      return TRUE;
  return FALSE;
}

static gboolean
ensure_prepared (DftForm *form, GError **error)
{
  return form->prepared || dft_form_prepare (form, error);
}

/* ---- XForm ------------------------------------------------------------ */

typedef struct
{
  DftForm         *form;
  xmlTextWriterPtr w;
  GPtrArray       *itext_ids;   /* char *, in document order */
  GPtrArray       *itext_texts; /* DftText *, beside them */
  GHashTable      *ids;         /* DftText * → id (borrowed from itext_ids) */
} XfWriter;

static void
xw_register (XfWriter *x, DftText *text, char *id)
{
  if (!has_text (text))
    {
      g_free (id);
      return;
    }
  g_ptr_array_add (x->itext_ids, id);
  g_ptr_array_add (x->itext_texts, text);
  g_hash_table_insert (x->ids, text, id);
}

/* The place of a question's texts: its path, or for a group without a name (which has the
 * path of its parent) the parent's and its position. */
static void
xw_register_questions (XfWriter *x, GPtrArray *questions, const char *parent_base)
{
  for (guint i = 0; i < questions->len; i++)
    {
      DftQuestion     *q = g_ptr_array_index (questions, i);
      g_autofree char *base
          = q->name != NULL ? g_strdup (q->path) : g_strdup_printf ("%s/#%u", parent_base, i + 1);

      xw_register (x, q->label, g_strdup_printf ("%s:label", base));
      xw_register (x, q->hint, g_strdup_printf ("%s:hint", base));
      xw_register (x, q->constraint_message, g_strdup_printf ("%s:constraintMsg", base));
      xw_register (x, q->required_message, g_strdup_printf ("%s:requiredMsg", base));
      xw_register_questions (x, q->children, base);
    }
}

static char *
xw_itext_ref (XfWriter *x, DftText *text)
{
  const char *id = g_hash_table_lookup (x->ids, text);

  return id != NULL ? g_strdup_printf ("jr:itext('%s')", id) : NULL;
}

static void
xw_attr (XfWriter *x, const char *name, const char *value)
{
  if (value != NULL)
    xmlTextWriterWriteAttribute (x->w, BAD_CAST name, BAD_CAST value);
}

static void
xw_itext (XfWriter *x)
{
  g_autoptr (GPtrArray) codes = all_languages (x->form);

  xmlTextWriterStartElement (x->w, BAD_CAST "itext");
  for (guint l = 0; l < codes->len; l++)
    {
      const char      *code = codes->pdata[l];
      g_autofree char *label = language_label (x->form, code);

      xmlTextWriterStartElement (x->w, BAD_CAST "translation");
      xw_attr (x, "lang", label);
      if (strcmp (code, x->form->default_language) == 0)
        xw_attr (x, "default", "true()");
      for (guint i = 0; i < x->itext_ids->len; i++)
        {
          const char *value = dft_text_get (x->itext_texts->pdata[i], code);

          /* A text missing in a language is left out: the filler falls back, and reading
           * the file again does not make the fallback look like a translation. */
          if (value == NULL || value[0] == '\0')
            continue;
          xmlTextWriterStartElement (x->w, BAD_CAST "text");
          xw_attr (x, "id", x->itext_ids->pdata[i]);
          xmlTextWriterWriteElement (x->w, BAD_CAST "value", BAD_CAST value);
          xmlTextWriterEndElement (x->w);
        }
      xmlTextWriterEndElement (x->w);
    }
  xmlTextWriterEndElement (x->w);
}

static void
xw_instance_nodes (XfWriter *x, GPtrArray *questions)
{
  for (guint i = 0; i < questions->len; i++)
    {
      DftQuestion *q = g_ptr_array_index (questions, i);

      if (q->name == NULL)
        {
          xw_instance_nodes (x, q->children);
          continue;
        }
      xmlTextWriterStartElement (x->w, BAD_CAST q->name);
      if (q->type == DFT_QUESTION_REPEAT)
        xw_attr (x, "jr:template", "");
      if (q->type == DFT_QUESTION_GROUP || q->type == DFT_QUESTION_REPEAT)
        xw_instance_nodes (x, q->children);
      else if (q->default_value != NULL)
        xmlTextWriterWriteString (x->w, BAD_CAST q->default_value);
      xmlTextWriterEndElement (x->w);
    }
}

/* A bind type that the reader takes for the same unsupported question again: its own type
 * when that names no type Daftari can show, else "binary" (a file), which no control makes
 * into one. */
static const char *
xw_unsupported_type (const DftQuestion *q)
{
  static const char *const shown[]
      = { "string",  "select1", "select", "boolean", "int",  "integer",  "long",     "short",
          "decimal", "double",  "float",  "date",    "time", "dateTime", "geopoint", NULL };
  const char *type = q->unsupported_type;

  if (type == NULL || xmlValidateNCName (BAD_CAST type, 0) != 0 || g_strv_contains (shown, type))
    return "binary";
  return type;
}

static const char *
xw_bind_type (const DftQuestion *q)
{
  switch (q->type)
    {
    case DFT_QUESTION_INTEGER:
      return "int";
    case DFT_QUESTION_DECIMAL:
      return "decimal";
    case DFT_QUESTION_DATE:
      return "date";
    case DFT_QUESTION_TIME:
      return "time";
    case DFT_QUESTION_DATETIME:
      return "dateTime";
    case DFT_QUESTION_GEOPOINT:
      return "geopoint";
    case DFT_QUESTION_METADATA:
      if (g_strcmp0 (q->preload, "start") == 0 || g_strcmp0 (q->preload, "end") == 0)
        return "dateTime";
      if (g_strcmp0 (q->preload, "today") == 0)
        return "date";
      return "string";
    case DFT_QUESTION_UNSUPPORTED:
      return xw_unsupported_type (q);
    case DFT_QUESTION_GROUP:
    case DFT_QUESTION_REPEAT:
      return NULL;
    case DFT_QUESTION_TEXT:
    case DFT_QUESTION_SELECT_ONE:
    case DFT_QUESTION_SELECT_MULTIPLE:
    case DFT_QUESTION_LIKERT:
    case DFT_QUESTION_NOTE:
    case DFT_QUESTION_ACKNOWLEDGE:
    case DFT_QUESTION_CALCULATE:
    default:
      return "string";
    }
}

static void
xw_binds (XfWriter *x, GPtrArray *questions)
{
  for (guint i = 0; i < questions->len; i++)
    {
      DftQuestion     *q = g_ptr_array_index (questions, i);
      g_autofree char *constraint_msg = NULL;
      g_autofree char *required_msg = NULL;
      const char      *read_only = q->read_only;
      const char      *question_type = NULL;

      if (q->name != NULL)
        {
          constraint_msg = xw_itext_ref (x, q->constraint_message);
          required_msg = xw_itext_ref (x, q->required_message);
          if (q->type == DFT_QUESTION_NOTE && read_only == NULL)
            read_only = "true()";
          /* ODK reads a read-only text input that nothing calculates as a note, and so does
           * the importer; a text or note that reading would take for the other says what it
           * is. */
          if (q->type == DFT_QUESTION_TEXT || q->type == DFT_QUESTION_NOTE)
            {
              gboolean read_as_note = g_strcmp0 (read_only, "true()") == 0 && q->calculate == NULL;

              if (read_as_note != (q->type == DFT_QUESTION_NOTE))
                question_type = dft_question_type_to_string (q->type);
            }
          xmlTextWriterStartElement (x->w, BAD_CAST "bind");
          xw_attr (x, "nodeset", q->path);
          xw_attr (x, "type", xw_bind_type (q));
          xw_attr (x, "relevant", q->relevant);
          xw_attr (x, "required", q->required);
          xw_attr (x, "jr:requiredMsg", required_msg);
          xw_attr (x, "constraint", q->constraint);
          xw_attr (x, "jr:constraintMsg", constraint_msg);
          xw_attr (x, "calculate", q->calculate);
          xw_attr (x, "readonly", read_only);
          xw_attr (x, "daftari:question-type", question_type);
          if (q->type == DFT_QUESTION_METADATA && q->preload != NULL)
            {
              const char *preload = "property";

              if (g_str_equal (q->preload, "start") || g_str_equal (q->preload, "end"))
                preload = "timestamp";
              else if (g_str_equal (q->preload, "today"))
                preload = "date";
              xw_attr (x, "jr:preload", preload);
              xw_attr (x, "jr:preloadParams", q->preload);
            }
          xmlTextWriterEndElement (x->w);
        }
      xw_binds (x, q->children);
    }
}

static void
xw_setvalues (DftQuestion *q, gpointer user_data)
{
  XfWriter *x = user_data;

  if (q->default_expression == NULL || q->name == NULL)
    return;
  xmlTextWriterStartElement (x->w, BAD_CAST "setvalue");
  xw_attr (x, "event", "odk-instance-first-load");
  xw_attr (x, "ref", q->path);
  xw_attr (x, "value", q->default_expression);
  xmlTextWriterEndElement (x->w);
}

static void
xw_choice_instances (XfWriter *x)
{
  g_autoptr (GPtrArray) names = sorted_list_names (x->form);

  for (guint i = 0; i < names->len; i++)
    {
      DftChoiceList *list = g_hash_table_lookup (x->form->choice_lists, names->pdata[i]);

      xmlTextWriterStartElement (x->w, BAD_CAST "instance");
      xw_attr (x, "id", list->name);
      xmlTextWriterStartElement (x->w, BAD_CAST "root");
      for (guint c = 0; c < list->choices->len; c++)
        {
          DftChoice            *choice = g_ptr_array_index (list->choices, c);
          g_autoptr (GPtrArray) keys = sorted_keys (choice->extra);

          xmlTextWriterStartElement (x->w, BAD_CAST "item");
          xmlTextWriterWriteElement (x->w, BAD_CAST "name", BAD_CAST choice->value);
          if (g_hash_table_contains (x->ids, choice->label))
            xmlTextWriterWriteElement (x->w, BAD_CAST "itextId",
                                       BAD_CAST g_hash_table_lookup (x->ids, choice->label));
          for (guint k = 0; k < keys->len; k++)
            {
              const char *key = keys->pdata[k];

              /* A column that is not an element name, or one the item uses itself. */
              if (xmlValidateNCName (BAD_CAST key, 0) != 0 || g_str_equal (key, "name")
                  || g_str_equal (key, "itextId") || g_str_equal (key, "label"))
                continue;
              xmlTextWriterWriteElement (x->w, BAD_CAST key,
                                         BAD_CAST g_hash_table_lookup (choice->extra, key));
            }
          xmlTextWriterEndElement (x->w);
        }
      xmlTextWriterEndElement (x->w);
      xmlTextWriterEndElement (x->w);
    }
}

static void
xw_label (XfWriter *x, const char *element, DftText *text)
{
  g_autofree char *ref = xw_itext_ref (x, text);

  if (ref == NULL)
    return;
  xmlTextWriterStartElement (x->w, BAD_CAST element);
  xw_attr (x, "ref", ref);
  xmlTextWriterEndElement (x->w);
}

/* "likert" or "field-list" added to @appearance when the question needs it, for readers
 * that learn the kind of question from it. */
static char *
xw_appearance (const char *appearance, const char *needed)
{
  if (needed == NULL || (appearance != NULL && strstr (appearance, needed) != NULL))
    return g_strdup (appearance);
  if (appearance == NULL)
    return g_strdup (needed);
  return g_strdup_printf ("%s %s", appearance, needed);
}

static void
xw_body (XfWriter *x, GPtrArray *questions)
{
  for (guint i = 0; i < questions->len; i++)
    {
      DftQuestion     *q = g_ptr_array_index (questions, i);
      const char      *tag = NULL;
      g_autofree char *appearance = NULL;

      switch (q->type)
        {
        case DFT_QUESTION_GROUP:
          appearance = xw_appearance (q->appearance, q->page ? "field-list" : NULL);
          xmlTextWriterStartElement (x->w, BAD_CAST "group");
          if (q->name != NULL)
            xw_attr (x, "ref", q->path);
          xw_attr (x, "appearance", appearance);
          xw_label (x, "label", q->label);
          xw_body (x, q->children);
          xmlTextWriterEndElement (x->w);
          continue;
        case DFT_QUESTION_REPEAT:
          xmlTextWriterStartElement (x->w, BAD_CAST "group");
          xw_attr (x, "ref", q->path);
          xw_label (x, "label", q->label);
          xmlTextWriterStartElement (x->w, BAD_CAST "repeat");
          xw_attr (x, "nodeset", q->path);
          xw_attr (x, "appearance", q->appearance);
          xw_attr (x, "jr:count", q->repeat_count);
          xw_body (x, q->children);
          xmlTextWriterEndElement (x->w);
          xmlTextWriterEndElement (x->w);
          continue;
        case DFT_QUESTION_CALCULATE:
        case DFT_QUESTION_METADATA:
          continue;
        case DFT_QUESTION_SELECT_ONE:
          tag = "select1";
          break;
        case DFT_QUESTION_LIKERT:
          tag = "select1";
          appearance = xw_appearance (q->appearance, "likert");
          break;
        case DFT_QUESTION_SELECT_MULTIPLE:
          tag = "select";
          break;
        case DFT_QUESTION_ACKNOWLEDGE:
          tag = "trigger";
          break;
        case DFT_QUESTION_TEXT:
        case DFT_QUESTION_INTEGER:
        case DFT_QUESTION_DECIMAL:
        case DFT_QUESTION_DATE:
        case DFT_QUESTION_TIME:
        case DFT_QUESTION_DATETIME:
        case DFT_QUESTION_GEOPOINT:
        case DFT_QUESTION_NOTE:
        case DFT_QUESTION_UNSUPPORTED:
        default:
          tag = "input";
          break;
        }
      if (appearance == NULL)
        appearance = g_strdup (q->appearance);
      xmlTextWriterStartElement (x->w, BAD_CAST tag);
      xw_attr (x, "ref", q->path);
      xw_attr (x, "appearance", appearance);
      xw_label (x, "label", q->label);
      xw_label (x, "hint", q->hint);
      if (q->choice_list != NULL && g_str_has_prefix (tag, "select"))
        {
          g_autofree char *nodeset = NULL;

          if (q->choice_filter != NULL)
            nodeset = g_strdup_printf ("instance('%s')/root/item[%s]", q->choice_list,
                                       q->choice_filter);
          else
            nodeset = g_strdup_printf ("instance('%s')/root/item", q->choice_list);
          xmlTextWriterStartElement (x->w, BAD_CAST "itemset");
          xw_attr (x, "nodeset", nodeset);
          xmlTextWriterStartElement (x->w, BAD_CAST "value");
          xw_attr (x, "ref", "name");
          xmlTextWriterEndElement (x->w);
          xmlTextWriterStartElement (x->w, BAD_CAST "label");
          xw_attr (x, "ref", "jr:itext(itextId)");
          xmlTextWriterEndElement (x->w);
          xmlTextWriterEndElement (x->w);
        }
      xmlTextWriterEndElement (x->w);
    }
}

char *
dft_xform_export (DftForm *form, GError **error)
{
  XfWriter              x = { 0 };
  xmlBufferPtr          buffer;
  g_autoptr (GPtrArray) names = NULL;
  const char           *title;
  char                 *result = NULL;
  int                   rc;

  g_return_val_if_fail (form != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!ensure_prepared (form, error))
    return NULL;

  x.form = form;
  x.itext_ids = g_ptr_array_new_with_free_func (g_free);
  x.itext_texts = g_ptr_array_new ();
  x.ids = g_hash_table_new (g_direct_hash, g_direct_equal);
  {
    g_autofree char *root = g_strdup_printf ("/%s", form->root_name);

    /* The title in every language it has, under an id no question's text can have (pyxform's
     * are "<path>:label"); <h:title> holds only the default language's, which ODK shows. */
    xw_register (&x, form->title, g_strdup_printf ("%s:title", root));
    xw_register_questions (&x, form->questions, root);
  }
  names = sorted_list_names (form);
  for (guint i = 0; i < names->len; i++)
    {
      DftChoiceList *list = g_hash_table_lookup (form->choice_lists, names->pdata[i]);

      for (guint c = 0; c < list->choices->len; c++)
        xw_register (&x, ((DftChoice *) list->choices->pdata[c])->label,
                     g_strdup_printf ("%s-%u", list->name, c));
    }

  buffer = xmlBufferCreate ();
  x.w = xmlNewTextWriterMemory (buffer, 0);
  xmlTextWriterSetIndent (x.w, 1);
  xmlTextWriterSetIndentString (x.w, BAD_CAST "  ");
  xmlTextWriterStartDocument (x.w, NULL, "UTF-8", NULL);
  xmlTextWriterStartElement (x.w, BAD_CAST "h:html");
  xw_attr (&x, "xmlns", "http://www.w3.org/2002/xforms");
  xw_attr (&x, "xmlns:h", "http://www.w3.org/1999/xhtml");
  xw_attr (&x, "xmlns:ev", "http://www.w3.org/2001/xml-events");
  xw_attr (&x, "xmlns:jr", "http://openrosa.org/javarosa");
  xw_attr (&x, "xmlns:odk", "http://www.opendatakit.org/xforms");
  xw_attr (&x, "xmlns:orx", "http://openrosa.org/xforms");
  xw_attr (&x, "xmlns:xsd", "http://www.w3.org/2001/XMLSchema");
  /* Daftari's own attributes, which ODK tools leave alone as they do any in a namespace they
   * do not know. */
  xw_attr (&x, "xmlns:daftari", DFT_XFORM_NAMESPACE);

  xmlTextWriterStartElement (x.w, BAD_CAST "h:head");
  title = dft_form_text (form, form->title, form->default_language, NULL);
  xmlTextWriterWriteElement (x.w, BAD_CAST "h:title",
                             BAD_CAST (title != NULL && title[0] != '\0' ? title : form->id));
  xmlTextWriterStartElement (x.w, BAD_CAST "model");
  xw_attr (&x, "odk:xforms-version", "1.0.0");
  xw_itext (&x);

  xmlTextWriterStartElement (x.w, BAD_CAST "instance");
  xmlTextWriterStartElement (x.w, BAD_CAST form->root_name);
  xw_attr (&x, "id", form->id);
  xw_attr (&x, "version", form->version);
  xw_instance_nodes (&x, form->questions);
  xmlTextWriterStartElement (x.w, BAD_CAST "meta");
  xmlTextWriterStartElement (x.w, BAD_CAST "instanceID");
  xmlTextWriterEndElement (x.w);
  xmlTextWriterEndElement (x.w);
  xmlTextWriterEndElement (x.w);
  xmlTextWriterEndElement (x.w);

  xw_choice_instances (&x);
  xw_binds (&x, form->questions);
  {
    g_autofree char *meta = g_strdup_printf ("/%s/meta/instanceID", form->root_name);

    xmlTextWriterStartElement (x.w, BAD_CAST "bind");
    xw_attr (&x, "nodeset", meta);
    xw_attr (&x, "type", "string");
    xw_attr (&x, "readonly", "true()");
    xw_attr (&x, "jr:preload", "uid");
    xmlTextWriterEndElement (x.w);
  }
  dft_form_foreach (form, xw_setvalues, &x);
  xmlTextWriterEndElement (x.w); /* model */
  xmlTextWriterEndElement (x.w); /* h:head */

  xmlTextWriterStartElement (x.w, BAD_CAST "h:body");
  xw_body (&x, form->questions);
  xmlTextWriterEndElement (x.w);
  xmlTextWriterEndElement (x.w); /* h:html */
  rc = xmlTextWriterEndDocument (x.w);
  xmlFreeTextWriter (x.w);

  if (rc < 0)
    g_set_error_literal (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                         _ ("The form could not be written as an XForm."));
  else
    result = g_strdup ((const char *) xmlBufferContent (buffer));
  xmlBufferFree (buffer);
  g_ptr_array_unref (x.itext_ids);
  g_ptr_array_unref (x.itext_texts);
  g_hash_table_unref (x.ids);
  return result;
}

/* ---- XLSForm (markdown) ----------------------------------------------- */

typedef enum
{
  MD_TYPE,
  MD_NAME,
  MD_LABEL,
  MD_HINT,
  MD_CONSTRAINT_MESSAGE,
  MD_REQUIRED_MESSAGE,
  MD_REQUIRED,
  MD_RELEVANT,
  MD_CONSTRAINT,
  MD_CALCULATION,
  MD_READ_ONLY,
  MD_APPEARANCE,
  MD_CHOICE_FILTER,
  MD_DEFAULT,
  MD_REPEAT_COUNT,
  MD_CORRECT_ANSWER,
  MD_POINTS,
  MD_PARTIAL_CREDIT,
} MdColumnKind;

typedef struct
{
  MdColumnKind kind;
  char        *lang; /* translatable columns */
  char        *header;
} MdColumn;

static void
md_column_free (gpointer data)
{
  MdColumn *c = data;

  g_free (c->lang);
  g_free (c->header);
  g_free (c);
}

typedef struct
{
  DftForm   *form;
  GPtrArray *columns; /* MdColumn * */
  GPtrArray *rows;    /* GPtrArray * of char *, one per column */
} MdWriter;

/* A cell on its line. Texts come with their line breaks written "<br>" already
 * (md_set_text()); in other cells, expressions mostly, a line break is a space. */
static void
md_cell (GString *out, const char *value)
{
  g_string_append (out, " ");
  for (const char *p = value != NULL ? value : ""; *p != '\0'; p++)
    {
      if (*p == '|')
        g_string_append (out, "\\|");
      else if (*p == '\n')
        g_string_append_c (out, ' ');
      else if (*p != '\r')
        g_string_append_c (out, *p);
    }
  g_string_append (out, " |");
}

static void
md_sheet (GString *out, const char *name, GPtrArray *header, GPtrArray *rows)
{
  g_string_append_printf (out, "| %s |\n", name);
  g_string_append (out, "|  |");
  for (guint c = 0; c < header->len; c++)
    md_cell (out, header->pdata[c]);
  g_string_append_c (out, '\n');
  for (guint r = 0; r < rows->len; r++)
    {
      GPtrArray *row = rows->pdata[r];

      g_string_append (out, "|  |");
      for (guint c = 0; c < row->len; c++)
        md_cell (out, row->pdata[c]);
      g_string_append_c (out, '\n');
    }
}

static GPtrArray *
md_new_row (guint n)
{
  GPtrArray *row = g_ptr_array_new_full (n, g_free);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (row, NULL);
  return row;
}

static void
md_set (GPtrArray *row, guint column, const char *value)
{
  g_free (row->pdata[column]);
  row->pdata[column] = g_strdup (value);
}

/* A label, hint, message or title: its line breaks as "<br>". */
static void
md_set_text (GPtrArray *row, guint column, const char *text)
{
  g_free (row->pdata[column]);
  row->pdata[column] = text != NULL ? _dft_xlsform_md_encode_text (text) : NULL;
}

/* The header of a translatable column in @code: "label::English (en)"; the plain column
 * when the form's default language has no code ("und"). */
static char *
md_lang_header (DftForm *form, const char *base, const char *code)
{
  g_autofree char *label = NULL;

  if (strcmp (code, "und") == 0 && strcmp (form->default_language, "und") == 0)
    return g_strdup (base);
  label = language_label (form, code);
  return g_strdup_printf ("%s::%s", base, label);
}

static void
md_text_cells (MdWriter *m, GPtrArray *row, MdColumnKind kind, DftText *text)
{
  for (guint c = 0; c < m->columns->len; c++)
    {
      MdColumn *col = m->columns->pdata[c];

      if (col->kind == kind)
        md_set_text (row, c, dft_text_get (text, col->lang));
    }
}

static void
md_plain_cell (MdWriter *m, GPtrArray *row, MdColumnKind kind, const char *value)
{
  for (guint c = 0; c < m->columns->len; c++)
    if (((MdColumn *) m->columns->pdata[c])->kind == kind)
      md_set (row, c, value);
}

static const char *
md_condition (const char *value)
{
  return g_strcmp0 (value, "true()") == 0 ? "yes" : value;
}

static void
md_questions (MdWriter *m, GPtrArray *questions)
{
  for (guint i = 0; i < questions->len; i++)
    {
      DftQuestion     *q = g_ptr_array_index (questions, i);
      GPtrArray       *row;
      g_autofree char *type = NULL;
      g_autofree char *appearance = NULL;
      g_autofree char *points = NULL;
      g_autofree char *correct = NULL;

      switch (q->type)
        {
        case DFT_QUESTION_GROUP:
          type = g_strdup ("begin group");
          appearance = xw_appearance (q->appearance, q->page ? "field-list" : NULL);
          break;
        case DFT_QUESTION_REPEAT:
          type = g_strdup ("begin repeat");
          break;
        case DFT_QUESTION_SELECT_ONE:
          type = g_strdup_printf ("select_one %s", q->choice_list);
          break;
        case DFT_QUESTION_LIKERT:
          type = g_strdup_printf ("select_one %s", q->choice_list);
          appearance = xw_appearance (q->appearance, "likert");
          break;
        case DFT_QUESTION_SELECT_MULTIPLE:
          type = g_strdup_printf ("select_multiple %s", q->choice_list);
          break;
        case DFT_QUESTION_METADATA:
          type = g_strdup (q->preload);
          break;
        case DFT_QUESTION_DATETIME:
          type = g_strdup ("dateTime");
          break;
        case DFT_QUESTION_UNSUPPORTED:
          /* Only a type the spreadsheet can name again ("image"); "search()" is no type. */
          if (q->unsupported_type == NULL || strpbrk (q->unsupported_type, " ()") != NULL)
            continue;
          type = g_strdup (q->unsupported_type);
          break;
        case DFT_QUESTION_TEXT:
        case DFT_QUESTION_INTEGER:
        case DFT_QUESTION_DECIMAL:
        case DFT_QUESTION_DATE:
        case DFT_QUESTION_TIME:
        case DFT_QUESTION_GEOPOINT:
        case DFT_QUESTION_NOTE:
        case DFT_QUESTION_ACKNOWLEDGE:
        case DFT_QUESTION_CALCULATE:
        default:
          type = g_strdup (dft_question_type_to_string (q->type));
          break;
        }
      if (appearance == NULL)
        appearance = g_strdup (q->appearance);

      row = md_new_row (m->columns->len);
      g_ptr_array_add (m->rows, row);
      md_plain_cell (m, row, MD_TYPE, type);
      md_plain_cell (m, row, MD_NAME, q->name);
      md_text_cells (m, row, MD_LABEL, q->label);
      md_text_cells (m, row, MD_HINT, q->hint);
      md_text_cells (m, row, MD_CONSTRAINT_MESSAGE, q->constraint_message);
      md_text_cells (m, row, MD_REQUIRED_MESSAGE, q->required_message);
      md_plain_cell (m, row, MD_REQUIRED, md_condition (q->required));
      md_plain_cell (m, row, MD_RELEVANT, q->relevant);
      md_plain_cell (m, row, MD_CONSTRAINT, q->constraint);
      md_plain_cell (m, row, MD_CALCULATION, q->calculate);
      md_plain_cell (m, row, MD_READ_ONLY, md_condition (q->read_only));
      md_plain_cell (m, row, MD_APPEARANCE, appearance);
      md_plain_cell (m, row, MD_CHOICE_FILTER, q->choice_filter);
      md_plain_cell (m, row, MD_DEFAULT,
                     q->default_expression != NULL ? q->default_expression : q->default_value);
      md_plain_cell (m, row, MD_REPEAT_COUNT, q->repeat_count);
      if (q->correct != NULL)
        {
          correct = g_strjoinv (" ", q->correct);
          md_plain_cell (m, row, MD_CORRECT_ANSWER, correct);
        }
      if (q->points != 0)
        {
          char buf[G_ASCII_DTOSTR_BUF_SIZE];

          points = g_strdup (g_ascii_dtostr (buf, sizeof buf, q->points));
          md_plain_cell (m, row, MD_POINTS, points);
        }
      if (q->partial_credit)
        md_plain_cell (m, row, MD_PARTIAL_CREDIT, "yes");

      if (q->type == DFT_QUESTION_GROUP || q->type == DFT_QUESTION_REPEAT)
        {
          md_questions (m, q->children);
          row = md_new_row (m->columns->len);
          g_ptr_array_add (m->rows, row);
          md_plain_cell (m, row, MD_TYPE,
                         q->type == DFT_QUESTION_GROUP ? "end group" : "end repeat");
        }
    }
}

typedef struct
{
  gboolean hint, constraint_message, required_message;
} MdUsed;

static void
md_find_used (DftQuestion *q, gpointer user_data)
{
  MdUsed *used = user_data;

  used->hint |= has_text (q->hint);
  used->constraint_message |= has_text (q->constraint_message);
  used->required_message |= has_text (q->required_message);
}

static void
md_add_column (GPtrArray *columns, MdColumnKind kind, const char *header, const char *lang)
{
  MdColumn *c = g_new0 (MdColumn, 1);

  c->kind = kind;
  c->header = g_strdup (header);
  c->lang = g_strdup (lang);
  g_ptr_array_add (columns, c);
}

static void
md_add_text_columns (
    DftForm *form, GPtrArray *columns, GPtrArray *codes, MdColumnKind kind, const char *base)
{
  for (guint i = 0; i < codes->len; i++)
    {
      g_autofree char *header = md_lang_header (form, base, codes->pdata[i]);

      md_add_column (columns, kind, header, codes->pdata[i]);
    }
}

char *
dft_xlsform_export_md (DftForm *form, GError **error)
{
  g_autoptr (GPtrArray) codes = NULL;
  g_autoptr (GPtrArray) columns = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GPtrArray) header = NULL;
  g_autoptr (GPtrArray) names = NULL;
  g_autoptr (GPtrArray) extra_keys = NULL;
  g_autoptr (GPtrArray) choice_header = NULL;
  g_autoptr (GPtrArray) choice_rows = NULL;
  g_autoptr (GPtrArray) settings_header = NULL;
  g_autoptr (GPtrArray) settings_rows = NULL;
  GPtrArray            *settings;
  MdUsed                used = { 0 };
  MdWriter              m = { 0 };
  GString              *out;
  const char           *title;

  g_return_val_if_fail (form != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!ensure_prepared (form, error))
    return NULL;

  codes = all_languages (form);
  dft_form_foreach (form, md_find_used, &used);
  columns = g_ptr_array_new_with_free_func (md_column_free);
  md_add_column (columns, MD_TYPE, "type", NULL);
  md_add_column (columns, MD_NAME, "name", NULL);
  md_add_text_columns (form, columns, codes, MD_LABEL, "label");
  if (used.hint)
    md_add_text_columns (form, columns, codes, MD_HINT, "hint");
  if (used.constraint_message)
    md_add_text_columns (form, columns, codes, MD_CONSTRAINT_MESSAGE, "constraint_message");
  if (used.required_message)
    md_add_text_columns (form, columns, codes, MD_REQUIRED_MESSAGE, "required_message");
  md_add_column (columns, MD_REQUIRED, "required", NULL);
  md_add_column (columns, MD_RELEVANT, "relevant", NULL);
  md_add_column (columns, MD_CONSTRAINT, "constraint", NULL);
  md_add_column (columns, MD_CALCULATION, "calculation", NULL);
  md_add_column (columns, MD_READ_ONLY, "read_only", NULL);
  md_add_column (columns, MD_APPEARANCE, "appearance", NULL);
  md_add_column (columns, MD_CHOICE_FILTER, "choice_filter", NULL);
  md_add_column (columns, MD_DEFAULT, "default", NULL);
  md_add_column (columns, MD_REPEAT_COUNT, "repeat_count", NULL);
  md_add_column (columns, MD_CORRECT_ANSWER, "correct_answer", NULL);
  md_add_column (columns, MD_POINTS, "points", NULL);
  md_add_column (columns, MD_PARTIAL_CREDIT, "partial_credit", NULL);

  rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  m.form = form;
  m.columns = columns;
  m.rows = rows;
  md_questions (&m, form->questions);

  header = g_ptr_array_new ();
  for (guint c = 0; c < columns->len; c++)
    g_ptr_array_add (header, ((MdColumn *) columns->pdata[c])->header);
  out = g_string_new (NULL);
  md_sheet (out, "survey", header, rows);

  /* Choices: list_name, name, a label per language, then every extra column. */
  names = sorted_list_names (form);
  extra_keys = g_ptr_array_new ();
  for (guint i = 0; i < names->len; i++)
    {
      DftChoiceList *list = g_hash_table_lookup (form->choice_lists, names->pdata[i]);

      for (guint c = 0; c < list->choices->len; c++)
        {
          GHashTableIter iter;
          gpointer       key;

          g_hash_table_iter_init (&iter, ((DftChoice *) list->choices->pdata[c])->extra);
          while (g_hash_table_iter_next (&iter, &key, NULL))
            if (!g_ptr_array_find_with_equal_func (extra_keys, key, g_str_equal, NULL)
                && g_ascii_strcasecmp (key, "name") != 0 && g_ascii_strcasecmp (key, "label") != 0
                && g_ascii_strcasecmp (key, "list_name") != 0)
              g_ptr_array_add (extra_keys, key);
        }
    }
  g_ptr_array_sort (extra_keys, compare_strings);
  choice_header = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (choice_header, g_strdup ("list_name"));
  g_ptr_array_add (choice_header, g_strdup ("name"));
  for (guint l = 0; l < codes->len; l++)
    g_ptr_array_add (choice_header, md_lang_header (form, "label", codes->pdata[l]));
  for (guint k = 0; k < extra_keys->len; k++)
    g_ptr_array_add (choice_header, g_strdup (extra_keys->pdata[k]));
  choice_rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  for (guint i = 0; i < names->len; i++)
    {
      DftChoiceList *list = g_hash_table_lookup (form->choice_lists, names->pdata[i]);

      for (guint c = 0; c < list->choices->len; c++)
        {
          DftChoice *choice = list->choices->pdata[c];
          GPtrArray *row = md_new_row (choice_header->len);
          guint      col = 0;

          md_set (row, col++, list->name);
          md_set (row, col++, choice->value);
          for (guint l = 0; l < codes->len; l++)
            md_set_text (row, col++, dft_text_get (choice->label, codes->pdata[l]));
          for (guint k = 0; k < extra_keys->len; k++)
            md_set (row, col++, g_hash_table_lookup (choice->extra, extra_keys->pdata[k]));
          g_ptr_array_add (choice_rows, row);
        }
    }
  if (choice_rows->len > 0)
    md_sheet (out, "choices", choice_header, choice_rows);

  settings_header = g_ptr_array_new_with_free_func (g_free);
  settings_rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  settings = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (settings_rows, settings);
  /* The title in the default language is pyxform's; the others go in columns of Daftari's
   * own, which pyxform ignores. Without a title in the default language, there is no
   * form_title: reading the file must not make one up from another language. */
  title = dft_text_get (form->title, form->default_language);
  if (title != NULL && title[0] != '\0')
    {
      g_ptr_array_add (settings_header, g_strdup ("form_title"));
      g_ptr_array_add (settings, _dft_xlsform_md_encode_text (title));
    }
  for (guint l = 0; l < codes->len; l++)
    {
      const char      *code = codes->pdata[l];
      const char      *text = dft_text_get (form->title, code);
      g_autofree char *label = NULL;

      if (text == NULL || text[0] == '\0' || strcmp (code, form->default_language) == 0)
        continue;
      label = language_label (form, code);
      g_ptr_array_add (settings_header, g_strdup_printf ("form_title_translation::%s", label));
      g_ptr_array_add (settings, _dft_xlsform_md_encode_text (text));
    }
  g_ptr_array_add (settings_header, g_strdup ("form_id"));
  g_ptr_array_add (settings, g_strdup (form->id));
  g_ptr_array_add (settings_header, g_strdup ("version"));
  g_ptr_array_add (settings, g_strdup (form->version));
  g_ptr_array_add (settings_header, g_strdup ("name"));
  g_ptr_array_add (settings, g_strdup (form->root_name));
  if (strcmp (form->default_language, "und") != 0)
    {
      g_ptr_array_add (settings_header, g_strdup ("default_language"));
      g_ptr_array_add (settings, language_label (form, form->default_language));
    }
  g_ptr_array_add (settings_header, g_strdup ("kind"));
  g_ptr_array_add (settings, g_strdup (form->kind));
  if (form->pass_percent >= 0)
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];

      g_ptr_array_add (settings_header, g_strdup ("pass_mark"));
      g_ptr_array_add (settings, g_strdup (g_ascii_dtostr (buf, sizeof buf, form->pass_percent)));
    }
  md_sheet (out, "settings", settings_header, settings_rows);
  return g_string_free (out, FALSE);
}
