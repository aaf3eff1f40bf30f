/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "dft-form-po.h"
#include "dft-form-private.h"

/* ---- The form's strings ----------------------------------------------- */

typedef struct
{
  char    *context; /* "/data/q|label" */
  char    *comment; /* for translators: which question or choice */
  DftText *text;    /* the form's, not owned */
} Entry;

static void
entry_free (gpointer data)
{
  Entry *e = data;

  g_free (e->context);
  g_free (e->comment);
  g_free (e);
}

static void
add_entry (GPtrArray *entries, DftText *text, char *context, char *comment)
{
  Entry *e;

  if (text == NULL || g_hash_table_size (text) == 0)
    {
      g_free (context);
      g_free (comment);
      return;
    }
  e = g_new0 (Entry, 1);
  e->context = context;
  e->comment = comment;
  e->text = text;
  g_ptr_array_add (entries, e);
}

static void
collect_questions (GPtrArray *entries, GPtrArray *questions, const char *parent_path)
{
  for (guint i = 0; i < questions->len; i++)
    {
      DftQuestion     *q = g_ptr_array_index (questions, i);
      g_autofree char *path = NULL;
      const char      *type = dft_question_type_to_string (q->type);
      const struct
      {
        DftText    *text;
        const char *what;
      } fields[] = {
        { q->label, "label" },
        { q->hint, "hint" },
        { q->required_message, "required_message" },
        { q->constraint_message, "constraint_message" },
      };

      /* A group without a name has no path of its own; its place among its siblings is
       * stable as long as the form's structure is. */
      if (q->name != NULL)
        path = g_strdup_printf ("%s/%s", parent_path, q->name);
      else
        path = g_strdup_printf ("%s/#%u", parent_path, i + 1);
      for (guint f = 0; f < G_N_ELEMENTS (fields); f++)
        add_entry (entries, fields[f].text, g_strdup_printf ("%s|%s", path, fields[f].what),
                   /* Translators: a comment in a form's PO file; the first %s is a question's
                      name, the second its type ("select_one"), the third which of its texts
                      this is ("label", "hint") */
                   g_strdup_printf (_ ("Question “%s” (%s), its %s"),
                                    q->name != NULL ? q->name : "", type, fields[f].what));
      if (q->name != NULL)
        collect_questions (entries, q->children, path);
      else
        collect_questions (entries, q->children, parent_path);
    }
}

/* Every translatable string of @form, in the order the form has them. */
static GPtrArray *
collect_entries (DftForm *form)
{
  GPtrArray            *entries = g_ptr_array_new_with_free_func (entry_free);
  g_autofree char      *root = g_strdup_printf ("/%s", form->root_name);
  g_autoptr (GPtrArray) names = _dft_form_sorted_keys (form->choice_lists);

  add_entry (entries, form->title, g_strdup ("form|title"),
             g_strdup (_ ("The form's title, shown in the list of forms")));
  collect_questions (entries, form->questions, root);

  /* Lists sorted by name, so that the file does not depend on hashing. */
  for (guint i = 0; i < names->len; i++)
    {
      DftChoiceList         *list = g_hash_table_lookup (form->choice_lists, names->pdata[i]);
      g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

      for (guint c = 0; c < list->choices->len; c++)
        {
          DftChoice *choice = g_ptr_array_index (list->choices, c);
          char      *context;

          /* Two choices with the same value would share a context: the second is numbered. */
          if (g_hash_table_add (seen, choice->value))
            context = g_strdup_printf ("choices/%s/%s|label", list->name, choice->value);
          else
            context = g_strdup_printf ("choices/%s/%s#%u|label", list->name, choice->value, c + 1);
          add_entry (
              entries, choice->label, context,
              /* Translators: a comment in a form's PO file; the first %s is a choice's
                 value, the second the name of its list */
              g_strdup_printf (_ ("Choice “%s” of the list “%s”"), choice->value, list->name));
        }
    }
  return entries;
}

/* The source text of an entry: what the form shows in its default language. */
static const char *
source_text (DftForm *form, const Entry *e)
{
  return dft_form_text (form, e->text, form->default_language, NULL);
}

/* ---- Writing ---------------------------------------------------------- */

static void
append_quoted (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  for (const char *p = s; *p != '\0'; p++)
    switch (*p)
      {
      case '"':
        g_string_append (out, "\\\"");
        break;
      case '\\':
        g_string_append (out, "\\\\");
        break;
      case '\n':
        g_string_append (out, "\\n");
        break;
      case '\t':
        g_string_append (out, "\\t");
        break;
      case '\r':
        g_string_append (out, "\\r");
        break;
      default:
        g_string_append_c (out, *p);
      }
  g_string_append_c (out, '"');
}

/* `keyword "text"`, split after each newline the way xgettext does. */
static void
append_field (GString *out, const char *keyword, const char *s)
{
  const char *nl = strchr (s, '\n');

  g_string_append_printf (out, "%s ", keyword);
  if (nl == NULL || nl[1] == '\0')
    {
      append_quoted (out, s);
      g_string_append_c (out, '\n');
      return;
    }
  g_string_append (out, "\"\"\n");
  for (const char *p = s; *p != '\0';)
    {
      const char      *end = strchr (p, '\n');
      gsize            n = end != NULL ? (gsize) (end - p) + 1 : strlen (p);
      g_autofree char *line = g_strndup (p, n);

      append_quoted (out, line);
      g_string_append_c (out, '\n');
      p += n;
    }
}

static char *
write_po (DftForm *form, const char *lang)
{
  g_autoptr (GPtrArray) entries = collect_entries (form);
  GString              *out = g_string_new (NULL);
  g_autoptr (GString)   header = g_string_new (NULL);
  const char           *title = dft_form_text (form, form->title, form->default_language, NULL);
  const char           *lang_name = NULL;

  for (guint i = 0; lang != NULL && i < form->languages->len; i++)
    {
      DftLanguage *l = g_ptr_array_index (form->languages, i);

      if (strcmp (l->code, lang) == 0)
        lang_name = l->name;
    }

  /* Translators: the first line of a form's PO file */
  g_string_append_printf (out, "# %s\n", _ ("Translations of a Daftari form."));
  g_string_append_printf (out, "# %s (%s)\n", title != NULL ? title : "", form->id);
  if (lang == NULL)
    g_string_append (out, "#, fuzzy\n");

  g_string_append_printf (header, "Project-Id-Version: %s %s\n", form->id,
                          form->version != NULL ? form->version : "");
  g_string_append (header, "Report-Msgid-Bugs-To: \n");
  if (lang == NULL)
    {
      g_string_append (header, "PO-Revision-Date: YEAR-MO-DA HO:MI+ZONE\n");
      g_string_append (header, "Last-Translator: FULL NAME <EMAIL@ADDRESS>\n");
      g_string_append (header, "Language-Team: LANGUAGE <LL@li.org>\n");
      g_string_append (header, "Language: \n");
    }
  else
    {
      g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
      g_autofree char      *date = g_date_time_format (now, "%Y-%m-%d %H:%M+0000");

      g_string_append_printf (header, "PO-Revision-Date: %s\n", date);
      g_string_append (header, "Last-Translator: \n");
      g_string_append_printf (header, "Language-Team: %s\n", lang_name != NULL ? lang_name : lang);
      g_string_append_printf (header, "Language: %s\n", lang);
    }
  g_string_append (header, "MIME-Version: 1.0\n");
  g_string_append (header, "Content-Type: text/plain; charset=UTF-8\n");
  g_string_append (header, "Content-Transfer-Encoding: 8bit\n");
  g_string_append_printf (header, "X-Daftari-Form: %s\n", form->id);
  g_string_append_printf (header, "X-Daftari-Source-Language: %s\n", form->default_language);
  append_field (out, "msgid", "");
  append_field (out, "msgstr", header->str);

  for (guint i = 0; i < entries->len; i++)
    {
      Entry      *e = g_ptr_array_index (entries, i);
      const char *source = source_text (form, e);
      const char *translation = lang != NULL ? dft_text_get (e->text, lang) : NULL;

      /* The header owns the empty msgid; a string with no text at all is nothing to translate. */
      if (source == NULL || source[0] == '\0')
        continue;
      g_string_append_c (out, '\n');
      g_string_append_printf (out, "#. %s\n", e->comment);
      append_field (out, "msgctxt", e->context);
      append_field (out, "msgid", source);
      append_field (out, "msgstr", translation != NULL ? translation : "");
    }
  return g_string_free (out, FALSE);
}

char *
dft_form_po_template (DftForm *form)
{
  g_return_val_if_fail (form != NULL, NULL);

  return write_po (form, NULL);
}

char *
dft_form_po_export (DftForm *form, const char *lang)
{
  g_return_val_if_fail (form != NULL, NULL);
  g_return_val_if_fail (lang != NULL && lang[0] != '\0', NULL);

  return write_po (form, lang);
}

double
dft_form_language_completeness (DftForm *form, const char *lang)
{
  g_autoptr (GPtrArray) entries = NULL;
  guint                 total = 0;
  guint                 done = 0;

  g_return_val_if_fail (form != NULL, 0);
  g_return_val_if_fail (lang != NULL, 0);

  entries = collect_entries (form);
  for (guint i = 0; i < entries->len; i++)
    {
      Entry      *e = g_ptr_array_index (entries, i);
      const char *source = source_text (form, e);
      const char *value;

      if (source == NULL || source[0] == '\0')
        continue;
      total++;
      value = dft_text_get (e->text, lang);
      if (value != NULL && value[0] != '\0')
        done++;
    }
  return total == 0 ? 1.0 : (double) done / total;
}

/* ---- Reading ---------------------------------------------------------- */

typedef enum
{
  FIELD_NONE,
  FIELD_CTXT,
  FIELD_ID,
  FIELD_ID_PLURAL,
  FIELD_STR,
  FIELD_STR_OTHER, /* msgstr[1] and later: no plurals in forms, read and dropped */
} Field;

typedef struct
{
  GString *ctxt;
  GString *id;
  GString *str;
  gboolean has_ctxt, has_id, has_str;
  gboolean fuzzy;
  guint    line; /* where the entry starts, for messages */
} PoEntry;

typedef struct
{
  char    *context; /* NULL: none */
  char    *id;
  char    *str;
  gboolean fuzzy;
  guint    line;
} ParsedEntry;

static void
parsed_entry_free (gpointer data)
{
  ParsedEntry *p = data;

  g_free (p->context);
  g_free (p->id);
  g_free (p->str);
  g_free (p);
}

static gboolean G_GNUC_PRINTF (3, 4) po_error (GError **error, guint line, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list          args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE,
               /* Translators: %u is a line of a PO file, %s what is wrong on it */
               _ ("Line %u of the translation file: %s"), line, message);
  return FALSE;
}

/* Reads the quoted string at @p into @out; only white space may follow it. */
static gboolean
parse_quoted (const char *p, guint line, GString *out, GError **error)
{
  while (*p == ' ' || *p == '\t')
    p++;
  if (*p != '"')
    return po_error (error, line, "%s", _ ("a quoted string was expected."));
  for (p++;; p++)
    {
      if (*p == '\0' || *p == '\r')
        return po_error (error, line, "%s", _ ("the string does not end (a “\"” is missing)."));
      if (*p == '"')
        break;
      if (*p != '\\')
        {
          g_string_append_c (out, *p);
          continue;
        }
      p++;
      switch (*p)
        {
        case 'n':
          g_string_append_c (out, '\n');
          break;
        case 't':
          g_string_append_c (out, '\t');
          break;
        case 'r':
          g_string_append_c (out, '\r');
          break;
        case '"':
        case '\\':
          g_string_append_c (out, *p);
          break;
        case '\0':
          return po_error (error, line, "%s", _ ("the string does not end (a “\"” is missing)."));
        default:
          /* Translators: %c is the character after a backslash */
          return po_error (error, line, _ ("“\\%c” is not an escape a PO file may use."), *p);
        }
    }
  for (p++; *p != '\0'; p++)
    if (*p != ' ' && *p != '\t' && *p != '\r')
      return po_error (error, line, "%s", _ ("there is text after the end of the string."));
  return TRUE;
}

static void
po_entry_reset (PoEntry *e)
{
  g_string_truncate (e->ctxt, 0);
  g_string_truncate (e->id, 0);
  g_string_truncate (e->str, 0);
  e->has_ctxt = e->has_id = e->has_str = FALSE;
  e->fuzzy = FALSE;
  e->line = 0;
}

/* Ends the entry being read, if any; an entry needs a msgid and a msgstr. */
static gboolean
po_entry_finish (PoEntry *e, GPtrArray *parsed, GError **error)
{
  ParsedEntry *p;

  if (!e->has_ctxt && !e->has_id && !e->has_str)
    {
      e->fuzzy = FALSE;
      return TRUE;
    }
  if (!e->has_id)
    return po_error (error, e->line, "%s", _ ("a msgstr or msgctxt has no msgid."));
  if (!e->has_str)
    return po_error (error, e->line, "%s", _ ("a msgid has no msgstr."));
  p = g_new0 (ParsedEntry, 1);
  p->context = e->has_ctxt ? g_strdup (e->ctxt->str) : NULL;
  p->id = g_strdup (e->id->str);
  p->str = g_strdup (e->str->str);
  p->fuzzy = e->fuzzy;
  p->line = e->line;
  g_ptr_array_add (parsed, p);
  po_entry_reset (e);
  return TRUE;
}

static gboolean
has_keyword (const char *line, const char *keyword, const char **rest)
{
  gsize n = strlen (keyword);

  if (strncmp (line, keyword, n) != 0 || (line[n] != ' ' && line[n] != '\t' && line[n] != '"'))
    return FALSE;
  *rest = line + n;
  return TRUE;
}

/* The entries of @text, or NULL with @error set. */
static GPtrArray *
parse_po (const char *text, GError **error)
{
  g_autoptr (GPtrArray) parsed = g_ptr_array_new_with_free_func (parsed_entry_free);
  g_auto (GStrv)        lines = NULL;
  PoEntry               e = { 0 };
  Field                 field = FIELD_NONE;
  gboolean              ok = TRUE;
  const char           *end = NULL;

  if (!g_utf8_validate (text, -1, &end))
    {
      guint line = 1;

      for (const char *p = text; p < end; p++)
        line += *p == '\n';
      po_error (error, line, "%s",
                _ ("the file is not text in UTF-8; save it as UTF-8 and try again."));
      return NULL;
    }
  if (g_str_has_prefix (text, "\xEF\xBB\xBF"))
    text += 3;

  e.ctxt = g_string_new (NULL);
  e.id = g_string_new (NULL);
  e.str = g_string_new (NULL);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; ok && lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      guint       number = i + 1;
      const char *rest = NULL;

      while (*line == ' ' || *line == '\t')
        line++;
      if (*line == '\0' || *line == '\r')
        {
          ok = po_entry_finish (&e, parsed, error);
          field = FIELD_NONE;
        }
      else if (*line == '#')
        {
          /* A comment ends a finished entry; it may come between the parts of one only as an
           * obsolete ("#~") line, which is dropped. */
          if (e.has_str)
            ok = po_entry_finish (&e, parsed, error);
          field = FIELD_NONE;
          if (line[1] == ',' && strstr (line, "fuzzy") != NULL)
            e.fuzzy = TRUE;
        }
      else if (has_keyword (line, "msgctxt", &rest))
        {
          if (e.has_str)
            ok = po_entry_finish (&e, parsed, error);
          else if (e.has_ctxt || e.has_id)
            ok = po_error (error, number, "%s", _ ("a msgctxt comes where a msgstr should."));
          if (ok)
            {
              e.line = number;
              e.has_ctxt = TRUE;
              field = FIELD_CTXT;
              ok = parse_quoted (rest, number, e.ctxt, error);
            }
        }
      else if (has_keyword (line, "msgid", &rest))
        {
          if (e.has_str)
            ok = po_entry_finish (&e, parsed, error);
          else if (e.has_id)
            ok = po_error (error, e.line, "%s", _ ("a msgid has no msgstr."));
          if (ok)
            {
              if (!e.has_ctxt)
                e.line = number;
              e.has_id = TRUE;
              field = FIELD_ID;
              ok = parse_quoted (rest, number, e.id, error);
            }
        }
      else if (has_keyword (line, "msgid_plural", &rest))
        {
          g_autoptr (GString) dropped = g_string_new (NULL);

          if (!e.has_id || e.has_str)
            ok = po_error (error, number, "%s", _ ("a msgid_plural has no msgid before it."));
          else
            {
              field = FIELD_ID_PLURAL;
              ok = parse_quoted (rest, number, dropped, error);
            }
        }
      else if (has_keyword (line, "msgstr", &rest) || has_keyword (line, "msgstr[0]", &rest))
        {
          if (!e.has_id)
            ok = po_error (error, number, "%s", _ ("a msgstr has no msgid before it."));
          else if (e.has_str)
            ok = po_error (error, number, "%s", _ ("an entry has two msgstr."));
          else
            {
              e.has_str = TRUE;
              field = FIELD_STR;
              ok = parse_quoted (rest, number, e.str, error);
            }
        }
      else if (g_str_has_prefix (line, "msgstr["))
        {
          const char         *close = strchr (line, ']');
          g_autoptr (GString) dropped = g_string_new (NULL);

          if (!e.has_str || close == NULL)
            ok = po_error (error, number, "%s", _ ("a msgstr has no msgid before it."));
          else
            {
              field = FIELD_STR_OTHER;
              ok = parse_quoted (close + 1, number, dropped, error);
            }
        }
      else if (*line == '"')
        {
          g_autoptr (GString) dropped = g_string_new (NULL);
          GString            *target = field == FIELD_CTXT  ? e.ctxt
                                       : field == FIELD_ID  ? e.id
                                       : field == FIELD_STR ? e.str
                                                            : dropped;

          if (field == FIELD_NONE)
            ok = po_error (error, number, "%s",
                           _ ("a string continues nothing: there is no msgid or msgstr before "
                              "it."));
          else
            ok = parse_quoted (line, number, target, error);
        }
      else
        ok = po_error (error, number, "%s",
                       _ ("this is not a comment, msgctxt, msgid, msgstr or string."));
    }
  if (ok)
    ok = po_entry_finish (&e, parsed, error);
  g_string_free (e.ctxt, TRUE);
  g_string_free (e.id, TRUE);
  g_string_free (e.str, TRUE);
  return ok ? g_steal_pointer (&parsed) : NULL;
}

/* The value of "@name: value" in a PO header, or NULL. */
static char *
header_field (const char *header, const char *name)
{
  g_auto (GStrv) lines = g_strsplit (header, "\n", -1);
  gsize          n = strlen (name);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_ascii_strncasecmp (lines[i], name, n) == 0 && lines[i][n] == ':')
      return g_strstrip (g_strdup (lines[i] + n + 1));
  return NULL;
}

/* "ur_PK", "ur-PK", "ur@latin" → "ur": the part that names the language. */
static char *
language_part (const char *code)
{
  gsize n = strcspn (code, "_-@.");

  return g_ascii_strdown (code, (gssize) n);
}

gboolean
dft_form_po_import (
    DftForm *form, const char *lang, const char *po_text, DftFormPoStats *stats, GError **error)
{
  g_autoptr (GPtrArray)  parsed = NULL;
  g_autoptr (GPtrArray)  entries = NULL;
  g_autoptr (GHashTable) by_context = NULL;
  g_autoptr (GPtrArray)  apply = NULL;
  g_autofree char       *team = NULL;
  DftFormPoStats         local = { 0 };

  g_return_val_if_fail (form != NULL, FALSE);
  g_return_val_if_fail (lang != NULL && lang[0] != '\0', FALSE);
  g_return_val_if_fail (po_text != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  parsed = parse_po (po_text, error);
  if (parsed == NULL)
    return FALSE;

  entries = collect_entries (form);
  by_context = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < entries->len; i++)
    {
      Entry *e = g_ptr_array_index (entries, i);

      g_hash_table_insert (by_context, e->context, e);
    }

  /* Everything is checked before anything is set, so a refused file changes nothing. */
  apply = g_ptr_array_new ();
  for (guint i = 0; i < parsed->len; i++)
    {
      ParsedEntry *p = g_ptr_array_index (parsed, i);
      Entry       *e;
      const char  *source;

      if (p->context == NULL && p->id[0] == '\0')
        {
          g_autofree char *language = header_field (p->str, "Language");

          if (language != NULL && language[0] != '\0')
            {
              g_autofree char *theirs = language_part (language);
              g_autofree char *ours = language_part (lang);

              if (strcmp (theirs, ours) != 0)
                {
                  g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_PARSE,
                               /* Translators: the first %s is the language code a PO file
                                  says it is for, the second the one it was imported as; %u is
                                  a line */
                               _ ("Line %u of the translation file: it is for the language "
                                  "“%s”, not “%s”."),
                               p->line, language, lang);
                  return FALSE;
                }
            }
          g_clear_pointer (&team, g_free);
          team = header_field (p->str, "Language-Team");
          continue;
        }
      if (p->fuzzy)
        {
          local.fuzzy++;
          continue;
        }
      e = p->context != NULL ? g_hash_table_lookup (by_context, p->context) : NULL;
      source = e != NULL ? source_text (form, e) : NULL;
      if (e == NULL || g_strcmp0 (source, p->id) != 0)
        {
          local.stale++;
          continue;
        }
      if (p->str[0] == '\0')
        {
          local.untranslated++;
          continue;
        }
      local.translated++;
      g_ptr_array_add (apply, p);
      g_ptr_array_add (apply, e);
    }

  if (local.translated > 0 || local.untranslated > 0)
    {
      const char *name = NULL;

      /* "Kyrgyz <ky@li.org>" names the language; the template's placeholder does not. */
      if (team != NULL)
        {
          char *mail = strchr (team, '<');

          if (mail != NULL)
            *mail = '\0';
          g_strstrip (team);
          if (team[0] != '\0' && strcmp (team, "LANGUAGE") != 0)
            name = team;
        }
      dft_form_add_language (form, lang, name);
    }
  for (guint i = 0; i < apply->len; i += 2)
    {
      ParsedEntry *p = g_ptr_array_index (apply, i);
      Entry       *e = g_ptr_array_index (apply, i + 1);

      dft_text_set (e->text, lang, p->str);
    }
  if (stats != NULL)
    *stats = local;
  return TRUE;
}
