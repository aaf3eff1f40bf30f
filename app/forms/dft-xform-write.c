/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <libxml/xmlwriter.h>
#include <math.h>
#include <string.h>

#include "dft-expr-private.h"
#include "dft-form-export-private.h"
#include "dft-xform.h"

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
  if (!_dft_form_export_has_text (text))
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

/* The texts jr:itext() reads, under their own ids, unless a label already has the id. */
static void
xw_register_texts (XfWriter *x)
{
  g_autoptr (GPtrArray)  ids = _dft_form_sorted_keys (x->form->texts);
  g_autoptr (GHashTable) taken = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < x->itext_ids->len; i++)
    g_hash_table_add (taken, x->itext_ids->pdata[i]);
  for (guint i = 0; i < ids->len; i++)
    if (!g_hash_table_contains (taken, ids->pdata[i]))
      xw_register (x, g_hash_table_lookup (x->form->texts, ids->pdata[i]),
                   g_strdup (ids->pdata[i]));
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
  g_autoptr (GPtrArray) codes = _dft_form_export_all_languages (x->form);

  xmlTextWriterStartElement (x->w, BAD_CAST "itext");
  for (guint l = 0; l < codes->len; l++)
    {
      const char      *code = codes->pdata[l];
      g_autofree char *label = _dft_form_export_language_label (x->form, code);

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

static gboolean
xw_range_is_integral (const DftQuestion *q)
{
  return q->range_start == floor (q->range_start) && q->range_end == floor (q->range_end)
         && q->range_step == floor (q->range_step);
}

static void
xw_number_attr (XfWriter *x, const char *name, double v)
{
  g_autofree char *text = _dft_expr_number_to_string (v);

  xw_attr (x, name, text);
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
    case DFT_QUESTION_GEOTRACE:
      return "geotrace";
    case DFT_QUESTION_GEOSHAPE:
      return "geoshape";
    case DFT_QUESTION_BARCODE:
      return "barcode";
    case DFT_QUESTION_IMAGE:
    case DFT_QUESTION_AUDIO:
    case DFT_QUESTION_VIDEO:
    case DFT_QUESTION_FILE:
      return "binary";
    case DFT_QUESTION_RANGE:
      return xw_range_is_integral (q) ? "int" : "decimal";
    case DFT_QUESTION_METADATA:
      if (g_strcmp0 (q->preload, "start") == 0 || g_strcmp0 (q->preload, "end") == 0)
        return "dateTime";
      if (g_strcmp0 (q->preload, "today") == 0)
        return "date";
      return "string";
    case DFT_QUESTION_UNSUPPORTED:
      return xw_unsupported_type (q);
    case DFT_QUESTION_RANK:
      return "odk:rank";
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
xw_action (XfWriter *x, DftQuestion *q, DftAction *a, DftEvents events)
{
  g_autofree char *names = dft_events_to_string (events);

  xmlTextWriterStartElement (x->w, BAD_CAST (a->setgeopoint ? "odk:setgeopoint" : "setvalue"));
  xw_attr (x, "event", names);
  xw_attr (x, "ref", q->path);
  xw_attr (x, "value", a->value);
  xmlTextWriterEndElement (x->w);
}

/* In the model: default expressions and what runs when a submission starts or opens. */
static void
xw_setvalues (DftQuestion *q, gpointer user_data)
{
  XfWriter *x = user_data;

  if (q->name == NULL)
    return;
  if (q->default_expression != NULL)
    {
      xmlTextWriterStartElement (x->w, BAD_CAST "setvalue");
      xw_attr (x, "event", "odk-instance-first-load");
      xw_attr (x, "ref", q->path);
      xw_attr (x, "value", q->default_expression);
      xmlTextWriterEndElement (x->w);
    }
  for (guint i = 0; i < q->actions->len; i++)
    {
      DftAction *a = g_ptr_array_index (q->actions, i);
      DftEvents  load = a->events & (DFT_EVENT_INSTANCE_FIRST_LOAD | DFT_EVENT_INSTANCE_LOAD);

      if (load != 0)
        xw_action (x, q, a, load);
    }
}

typedef struct
{
  XfWriter *x;
  DftEvents event;
} XwNested;

static void
xw_nested_action (DftQuestion *q, DftAction *a, gpointer user_data)
{
  XwNested *n = user_data;

  xw_action (n->x, q, a, n->event);
}

/* Inside the control at @path (xforms-value-changed) or the repeat (odk-new-repeat): the
 * actions its changes or new instances fire. */
static void
xw_nested_actions (XfWriter *x, const char *path, DftEvents event)
{
  XwNested n = { x, event };

  _dft_form_foreach_action (x->form, event, path, xw_nested_action, &n);
}

static void
xw_choice_instances (XfWriter *x)
{
  g_autoptr (GPtrArray) names = _dft_form_export_sorted_list_names (x->form);

  for (guint i = 0; i < names->len; i++)
    {
      DftChoiceList *list = g_hash_table_lookup (x->form->choice_lists, names->pdata[i]);

      xmlTextWriterStartElement (x->w, BAD_CAST "instance");
      xw_attr (x, "id", list->name);
      xmlTextWriterStartElement (x->w, BAD_CAST "root");
      for (guint c = 0; c < list->choices->len; c++)
        {
          DftChoice            *choice = g_ptr_array_index (list->choices, c);
          g_autoptr (GPtrArray) keys = _dft_form_sorted_keys (choice->extra);

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
          appearance = _dft_form_export_appearance (q->appearance, q->page ? "field-list" : NULL);
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
          xw_nested_actions (x, q->path, DFT_EVENT_NEW_REPEAT);
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
          appearance = _dft_form_export_appearance (q->appearance, "likert");
          break;
        case DFT_QUESTION_SELECT_MULTIPLE:
          tag = "select";
          break;
        case DFT_QUESTION_RANK:
          tag = "odk:rank";
          break;
        case DFT_QUESTION_ACKNOWLEDGE:
          tag = "trigger";
          break;
        case DFT_QUESTION_IMAGE:
        case DFT_QUESTION_AUDIO:
        case DFT_QUESTION_VIDEO:
        case DFT_QUESTION_FILE:
          tag = "upload";
          break;
        case DFT_QUESTION_RANGE:
          tag = "range";
          break;
        case DFT_QUESTION_TEXT:
        case DFT_QUESTION_INTEGER:
        case DFT_QUESTION_DECIMAL:
        case DFT_QUESTION_DATE:
        case DFT_QUESTION_TIME:
        case DFT_QUESTION_DATETIME:
        case DFT_QUESTION_GEOPOINT:
        case DFT_QUESTION_GEOTRACE:
        case DFT_QUESTION_GEOSHAPE:
        case DFT_QUESTION_BARCODE:
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
      xw_attr (x, "mediatype", _dft_question_media_type (q));
      if (q->type == DFT_QUESTION_RANGE)
        {
          xw_number_attr (x, "start", q->range_start);
          xw_number_attr (x, "end", q->range_end);
          xw_number_attr (x, "step", q->range_step);
        }
      xw_attr (x, "appearance", appearance);
      xw_label (x, "label", q->label);
      xw_label (x, "hint", q->hint);
      if (q->choice_list != NULL && _dft_question_is_select (q))
        {
          g_autofree char *nodeset = NULL;

          if (q->choice_filter != NULL)
            nodeset = g_strdup_printf ("instance('%s')/root/item[%s]", q->choice_list,
                                       q->choice_filter);
          else
            nodeset = g_strdup_printf ("instance('%s')/root/item", q->choice_list);
          if (q->choice_randomize)
            {
              /* As pyxform writes parameters randomize=true seed=…. */
              g_autofree char *plain = g_steal_pointer (&nodeset);

              nodeset = q->choice_seed != NULL
                            ? g_strdup_printf ("randomize(%s, %s)", plain, q->choice_seed)
                            : g_strdup_printf ("randomize(%s)", plain);
            }
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
      xw_nested_actions (x, q->path, DFT_EVENT_VALUE_CHANGED);
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

  if (!_dft_form_export_ensure_prepared (form, error))
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
  names = _dft_form_export_sorted_list_names (form);
  for (guint i = 0; i < names->len; i++)
    {
      DftChoiceList *list = g_hash_table_lookup (form->choice_lists, names->pdata[i]);

      for (guint c = 0; c < list->choices->len; c++)
        xw_register (&x, ((DftChoice *) list->choices->pdata[c])->label,
                     g_strdup_printf ("%s-%u", list->name, c));
    }
  xw_register_texts (&x);

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
