/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xpath.h>

#include "dft-expr.h"

G_BEGIN_DECLS

/* What the parts of the expression engine share: the parser (dft-expr-parse.c), ODK's function
 * library (dft-expr-functions.c) and the context that compiles and evaluates (dft-expr.c). */

#define JR_NS  "http://openrosa.org/javarosa"
#define DFT_NS "urn:daftari:expr"

#if LIBXML_VERSION >= 21200
typedef const xmlError *DftXmlError;
#else
typedef xmlErrorPtr DftXmlError;
#endif

struct _DftExprContext
{
  xmlDocPtr          doc;
  xmlXPathContextPtr xpath;
  GHashTable        *choices;   /* list → (value → label) */
  GHashTable        *compiled;  /* expression → xmlXPathCompExpr */
  GHashTable        *regexes;   /* pattern → GRegex */
  GHashTable        *instances; /* secondary instance id → xmlDocPtr, <root><item>… */
  xmlNodePtr         current;   /* what current() returns during an evaluation */
  DftExprTextFunc    text_func; /* jr:itext() */
  gpointer           text_data;
  GPtrArray         *scratch; /* xmlDocPtr made by functions during the last evaluation */
  /* Set by a function that fails with a message of its own; wins over libxml2's. */
  GError *pending;
  /* libxml2's last error during the current compile or evaluation. */
  int   xml_code;
  char *xml_message;
};

/* dft-expr-parse.c */
gboolean _dft_expr_syntax_error (GError **error, const char *expr, const char *why);
gboolean _dft_expr_parse_all (
    const char *expr, GString *out, GPtrArray *refs, GPtrArray *funcs, GError **error);
xmlNodePtr
_dft_expr_nth_child (xmlNodePtr parent, const char *name, int index, xmlNodePtr *last_same);
xmlNodePtr
_dft_expr_find_node (DftExprContext *self, const char *path, gboolean create, GError **error);

/* dft-expr-functions.c */
double _dft_expr_object_to_number (xmlXPathObjectPtr obj);
char  *_dft_expr_number_to_string (double n);
char  *_dft_expr_object_to_string (xmlXPathObjectPtr obj);
/* Registers ODK's functions on @xpath, without and with the "jr" prefix, and Daftari's own
 * dft:num() and dft:doc() that the parser's rewriting calls. */
void _dft_expr_register_functions (xmlXPathContextPtr xpath);

G_END_DECLS
