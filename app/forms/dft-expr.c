/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <math.h>
#include <string.h>

#include "dft-expr-private.h"

/* The quark's name is a string: the formatter would put spaces in it. */
/* clang-format off */
G_DEFINE_QUARK (dft-expr-error-quark, dft_expr_error)
/* clang-format on */

/* ------------------------------------------------------------------------------------------ */
/* Context                                                                                    */
/* ------------------------------------------------------------------------------------------ */

static void
on_xml_error (void *data, DftXmlError err)
{
  DftExprContext *self = data;

  if (self->xml_message != NULL)
    return;
  self->xml_code = err->code;
  self->xml_message = g_strstrip (g_strdup (err->message ? err->message : ""));
}

/* libxml2 also prints some XPath errors ("function … not found") through its generic handler,
 * which writes to stderr; every compile and evaluation runs with that handler silenced. */
static void
swallow_generic_error (void *data, const char *msg, ...)
{
  (void) data;
  (void) msg;
}

typedef struct
{
  xmlGenericErrorFunc func;
  void               *data;
} Quiet;

static void
quiet_begin (DftExprContext *self, Quiet *q)
{
  q->func = xmlGenericError;
  q->data = xmlGenericErrorContext;
  xmlSetGenericErrorFunc (NULL, swallow_generic_error);
  g_clear_error (&self->pending);
  g_clear_pointer (&self->xml_message, g_free);
  self->xml_code = 0;
}

static void
quiet_end (Quiet *q)
{
  xmlSetGenericErrorFunc (q->data, q->func);
}

DftExprContext *
dft_expr_context_new (const char *root_name, GError **error)
{
  g_autoptr (DftExprContext) self = NULL;
  xmlNodePtr                 root;

  g_return_val_if_fail (root_name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (xmlValidateNCName ((const xmlChar *) root_name, 0) != 0)
    {
      g_set_error (error, DFT_EXPR_ERROR, DFT_EXPR_ERROR_INVALID_PATH,
                   /* Translators: %s is the name of a form's data element */
                   _ ("“%s” cannot name a form's data."), root_name);
      return NULL;
    }
  xmlInitParser ();
  self = g_new0 (DftExprContext, 1);
  self->choices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) g_hash_table_unref);
  self->compiled = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) xmlXPathFreeCompExpr);
  self->regexes
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_regex_unref);
  self->instances
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) xmlFreeDoc);
  self->scratch = g_ptr_array_new_with_free_func ((GDestroyNotify) xmlFreeDoc);
  self->doc = xmlNewDoc ((const xmlChar *) "1.0");
  root = xmlNewDocNode (self->doc, NULL, (const xmlChar *) root_name, NULL);
  xmlDocSetRootElement (self->doc, root);
  self->xpath = xmlXPathNewContext (self->doc);
  self->xpath->userData = self;
  self->xpath->error = on_xml_error;
  xmlXPathRegisterNs (self->xpath, (const xmlChar *) "jr", (const xmlChar *) JR_NS);
  xmlXPathRegisterNs (self->xpath, (const xmlChar *) "dft", (const xmlChar *) DFT_NS);
  _dft_expr_register_functions (self->xpath);
  return g_steal_pointer (&self);
}

void
dft_expr_context_free (DftExprContext *ctx)
{
  if (ctx == NULL)
    return;
  g_clear_pointer (&ctx->compiled, g_hash_table_unref);
  g_clear_pointer (&ctx->regexes, g_hash_table_unref);
  g_clear_pointer (&ctx->choices, g_hash_table_unref);
  g_clear_pointer (&ctx->instances, g_hash_table_unref);
  g_clear_pointer (&ctx->scratch, g_ptr_array_unref);
  g_clear_pointer (&ctx->xpath, xmlXPathFreeContext);
  g_clear_pointer (&ctx->doc, xmlFreeDoc);
  g_clear_error (&ctx->pending);
  g_free (ctx->xml_message);
  g_free (ctx);
}

gboolean
dft_expr_context_set (DftExprContext *ctx, const char *path, const char *value, GError **error)
{
  xmlNodePtr node;

  g_return_val_if_fail (ctx != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  node = _dft_expr_find_node (ctx, path, TRUE, error);
  if (node == NULL)
    return FALSE;
  /* xmlNodeSetContent would read "&" as the start of an entity; text is added as text. */
  xmlNodeSetContent (node, NULL);
  if (value != NULL && value[0] != '\0')
    xmlNodeAddContent (node, (const xmlChar *) value);
  return TRUE;
}

void
dft_expr_context_remove (DftExprContext *ctx, const char *path)
{
  xmlNodePtr node;

  g_return_if_fail (ctx != NULL);
  g_return_if_fail (path != NULL);

  node = _dft_expr_find_node (ctx, path, FALSE, NULL);
  if (node == NULL || node == xmlDocGetRootElement (ctx->doc))
    return;
  xmlUnlinkNode (node);
  xmlFreeNode (node);
}

char *
dft_expr_context_get (DftExprContext *ctx, const char *path)
{
  xmlNodePtr node;
  xmlChar   *content;
  char      *out;

  g_return_val_if_fail (ctx != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);

  node = _dft_expr_find_node (ctx, path, FALSE, NULL);
  if (node == NULL)
    return NULL;
  content = xmlNodeGetContent (node);
  out = g_strdup (content ? (const char *) content : "");
  xmlFree (content);
  return out;
}

void
dft_expr_context_add_choice (DftExprContext *ctx,
                             const char     *list,
                             const char     *value,
                             const char     *label)
{
  GHashTable *labels;

  g_return_if_fail (ctx != NULL);
  g_return_if_fail (list != NULL && value != NULL && label != NULL);

  labels = g_hash_table_lookup (ctx->choices, list);
  if (labels == NULL)
    {
      labels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_hash_table_insert (ctx->choices, g_strdup (list), labels);
    }
  g_hash_table_insert (labels, g_strdup (value), g_strdup (label));
}

void
dft_expr_context_set_text_func (DftExprContext *ctx, DftExprTextFunc func, gpointer user_data)
{
  g_return_if_fail (ctx != NULL);

  ctx->text_func = func;
  ctx->text_data = user_data;
}

void
dft_expr_context_add_instance_item (DftExprContext    *ctx,
                                    const char        *instance_id,
                                    const char *const *names,
                                    const char *const *values)
{
  xmlDocPtr  doc;
  xmlNodePtr item;

  g_return_if_fail (ctx != NULL);
  g_return_if_fail (instance_id != NULL && names != NULL && values != NULL);

  doc = g_hash_table_lookup (ctx->instances, instance_id);
  if (doc == NULL)
    {
      doc = xmlNewDoc ((const xmlChar *) "1.0");
      xmlDocSetRootElement (doc, xmlNewDocNode (doc, NULL, (const xmlChar *) "root", NULL));
      g_hash_table_insert (ctx->instances, g_strdup (instance_id), doc);
    }
  item = xmlNewChild (xmlDocGetRootElement (doc), NULL, (const xmlChar *) "item", NULL);
  for (guint i = 0; names[i] != NULL && values[i] != NULL; i++)
    {
      xmlNodePtr child;

      if (xmlValidateNCName ((const xmlChar *) names[i], 0) != 0)
        continue;
      child = xmlNewChild (item, NULL, (const xmlChar *) names[i], NULL);
      if (values[i][0] != '\0')
        xmlNodeAddContent (child, (const xmlChar *) values[i]);
    }
}

static gboolean
function_known (DftExprContext *self, const char *qname)
{
  const char      *colon = strchr (qname, ':');
  g_autofree char *prefix = colon ? g_strndup (qname, colon - qname) : NULL;
  const xmlChar   *uri = NULL;

  if (prefix != NULL)
    {
      uri = xmlXPathNsLookup (self->xpath, (const xmlChar *) prefix);
      if (uri == NULL)
        return FALSE;
    }
  return xmlXPathFunctionLookupNS (self->xpath, (const xmlChar *) (colon ? colon + 1 : qname), uri)
         != NULL;
}

/* Functions other engines have that Daftari refuses when a form loads, with the reason. */
static const struct
{
  const char *name; /* without a prefix */
  const char *why;
} refused_functions[] = {
  /* Translators: version is a function name; do not translate it, Enketo or ODK */
  { "version", N_ ("version() is a function of Enketo, not of ODK forms; write the form's "
                   "version as text instead") },
};

/* Why Daftari refuses @qname ("version", "jr:version"), or NULL. */
static const char *
refusal_of (const char *qname)
{
  const char *colon = strchr (qname, ':');
  const char *local = colon != NULL ? colon + 1 : qname;

  if (colon != NULL && strncmp (qname, "jr:", 3) != 0)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (refused_functions); i++)
    if (strcmp (local, refused_functions[i].name) == 0)
      return _ (refused_functions[i].why);
  return NULL;
}

/* libxml2's reason for refusing an expression; it sometimes gives none. */
static const char *
xml_reason (DftExprContext *self)
{
  if (self->xml_message != NULL && self->xml_message[0] != '\0')
    return self->xml_message;
  return _ ("it is not XPath");
}

static xmlXPathCompExprPtr
compile (DftExprContext *self, const char *expr, GError **error)
{
  xmlXPathCompExprPtr   comp = g_hash_table_lookup (self->compiled, expr);
  g_autoptr (GString)   rewritten = NULL;
  g_autoptr (GPtrArray) refs = NULL;
  g_autoptr (GPtrArray) funcs = NULL;
  Quiet                 q;

  if (comp != NULL)
    return comp;

  /* libxml2 has the last word on syntax; its message says what is wrong. */
  quiet_begin (self, &q);
  comp = xmlXPathCtxtCompile (self->xpath, (const xmlChar *) expr);
  quiet_end (&q);
  if (comp == NULL)
    return _dft_expr_syntax_error (error, expr, xml_reason (self)), NULL;
  xmlXPathFreeCompExpr (comp);

  rewritten = g_string_new (NULL);
  refs = g_ptr_array_new_with_free_func (g_free);
  funcs = g_ptr_array_new_with_free_func (g_free);
  if (!_dft_expr_parse_all (expr, rewritten, refs, funcs, error))
    return NULL;
  for (guint i = 0; i < funcs->len; i++)
    {
      const char *why = refusal_of (g_ptr_array_index (funcs, i));

      if (why != NULL)
        {
          g_set_error (error, DFT_EXPR_ERROR, DFT_EXPR_ERROR_UNKNOWN_FUNCTION,
                       /* Translators: the first %s is a form expression, the second the
                          reason its function cannot be used */
                       _ ("“%s” cannot be used: %s."), expr, why);
          return NULL;
        }
    }
  for (guint i = 0; i < funcs->len; i++)
    if (!function_known (self, g_ptr_array_index (funcs, i)))
      {
        g_set_error (error, DFT_EXPR_ERROR, DFT_EXPR_ERROR_UNKNOWN_FUNCTION,
                     /* Translators: the first %s is a function name, the second an expression */
                     _ ("There is no function %s() for “%s”."),
                     (char *) g_ptr_array_index (funcs, i), expr);
        return NULL;
      }

  quiet_begin (self, &q);
  comp = xmlXPathCtxtCompile (self->xpath, (const xmlChar *) rewritten->str);
  quiet_end (&q);
  if (comp == NULL)
    return _dft_expr_syntax_error (error, expr, xml_reason (self)), NULL;
  g_hash_table_insert (self->compiled, g_strdup (expr), comp);
  return comp;
}

gboolean
dft_expr_context_check (DftExprContext *ctx, const char *expr, GError **error)
{
  g_return_val_if_fail (ctx != NULL, FALSE);
  g_return_val_if_fail (expr != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return compile (ctx, expr, error) != NULL;
}

static xmlXPathObjectPtr
evaluate (DftExprContext *self, const char *expr, const char *current_path, GError **error)
{
  xmlXPathCompExprPtr comp = compile (self, expr, error);
  xmlXPathObjectPtr   result;
  xmlNodePtr          node;
  Quiet               q;

  if (comp == NULL)
    return NULL;
  if (current_path == NULL)
    node = xmlDocGetRootElement (self->doc);
  else if ((node = _dft_expr_find_node (self, current_path, TRUE, error)) == NULL)
    return NULL;

  g_ptr_array_set_size (self->scratch, 0);
  quiet_begin (self, &q);
  self->current = node;
  self->xpath->node = node;
  self->xpath->contextSize = -1;
  self->xpath->proximityPosition = -1;
  result = xmlXPathCompiledEval (comp, self->xpath);
  quiet_end (&q);

  if (self->pending != NULL || result == NULL || self->xml_message != NULL)
    {
      xmlXPathFreeObject (result);
      if (self->pending != NULL)
        {
          g_prefix_error (&self->pending,
                          /* Translators: %s is a form expression; a reason follows */
                          _ ("Could not evaluate “%s”: "), expr);
          g_propagate_error (error, g_steal_pointer (&self->pending));
        }
      else
        g_set_error (error, DFT_EXPR_ERROR, DFT_EXPR_ERROR_EVAL,
                     /* Translators: the first %s is a form expression, the second the reason */
                     _ ("Could not evaluate “%s”: %s."), expr,
                     self->xml_message ? self->xml_message : "");
      return NULL;
    }
  return result;
}

char *
dft_expr_eval_string (DftExprContext *ctx,
                      const char     *expr,
                      const char     *current_path,
                      GError        **error)
{
  xmlXPathObjectPtr result;
  char             *out;

  g_return_val_if_fail (ctx != NULL, NULL);
  g_return_val_if_fail (expr != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result = evaluate (ctx, expr, current_path, error);
  if (result == NULL)
    return NULL;
  /* A calculation over an empty answer stores nothing rather than "NaN" (JavaRosa). */
  if (result->type == XPATH_NUMBER && isnan (result->floatval))
    out = g_strdup ("");
  else
    out = _dft_expr_object_to_string (result);
  xmlXPathFreeObject (result);
  return out;
}

GStrv
dft_expr_eval_strings (DftExprContext *ctx,
                       const char     *expr,
                       const char     *current_path,
                       GError        **error)
{
  xmlXPathObjectPtr        result;
  g_autoptr (GStrvBuilder) out = g_strv_builder_new ();

  g_return_val_if_fail (ctx != NULL, NULL);
  g_return_val_if_fail (expr != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result = evaluate (ctx, expr, current_path, error);
  if (result == NULL)
    return NULL;
  if (result->type == XPATH_NODESET && result->nodesetval != NULL)
    for (int i = 0; i < result->nodesetval->nodeNr; i++)
      {
        xmlChar *s = xmlNodeGetContent (result->nodesetval->nodeTab[i]);

        g_strv_builder_add (out, s ? (const char *) s : "");
        xmlFree (s);
      }
  else if (result->type != XPATH_NODESET)
    {
      g_autofree char *s = _dft_expr_object_to_string (result);

      g_strv_builder_add (out, s);
    }
  xmlXPathFreeObject (result);
  return g_strv_builder_end (out);
}

gboolean
dft_expr_eval_boolean (DftExprContext *ctx,
                       const char     *expr,
                       const char     *current_path,
                       gboolean       *result,
                       GError        **error)
{
  xmlXPathObjectPtr obj;

  g_return_val_if_fail (ctx != NULL, FALSE);
  g_return_val_if_fail (expr != NULL, FALSE);
  g_return_val_if_fail (result != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  obj = evaluate (ctx, expr, current_path, error);
  if (obj == NULL)
    return FALSE;
  *result = xmlXPathCastToBoolean (obj) != 0;
  xmlXPathFreeObject (obj);
  return TRUE;
}

gboolean
dft_expr_eval_number (
    DftExprContext *ctx, const char *expr, const char *current_path, double *result, GError **error)
{
  xmlXPathObjectPtr obj;

  g_return_val_if_fail (ctx != NULL, FALSE);
  g_return_val_if_fail (expr != NULL, FALSE);
  g_return_val_if_fail (result != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  obj = evaluate (ctx, expr, current_path, error);
  if (obj == NULL)
    return FALSE;
  *result = _dft_expr_object_to_number (obj);
  xmlXPathFreeObject (obj);
  return TRUE;
}
