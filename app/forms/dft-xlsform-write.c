/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "dft-expr-private.h"
#include "dft-form-export-private.h"
#include "dft-xlsform-private.h"

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
  MD_PARAMETERS,
  MD_DEFAULT,
  MD_REPEAT_COUNT,
  MD_CORRECT_ANSWER,
  MD_POINTS,
  MD_PARTIAL_CREDIT,
  MD_TRIGGER,
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
  label = _dft_form_export_language_label (form, code);
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

/* The action pyxform's "trigger" column can hold: a setvalue on the change of one question,
 * whose value goes in the "calculation" column (so the question cannot have a calculation of
 * its own). The others have no column. */
static DftAction *
md_trigger_action (const DftQuestion *q)
{
  for (guint i = 0; q->calculate == NULL && i < q->actions->len; i++)
    {
      DftAction *a = g_ptr_array_index (q->actions, i);

      if (a->events == DFT_EVENT_VALUE_CHANGED && !a->setgeopoint && a->trigger != NULL)
        return a;
    }
  return NULL;
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
      g_autofree char *parameters = NULL;
      g_autofree char *trigger = NULL;
      DftAction       *action = md_trigger_action (q);
      DftQuestion     *watched = NULL;

      if (action != NULL)
        watched = dft_form_lookup_path (m->form, action->trigger);
      if (watched != NULL)
        trigger = g_strdup_printf ("${%s}", watched->name);

      switch (q->type)
        {
        case DFT_QUESTION_GROUP:
          type = g_strdup ("begin group");
          appearance = _dft_form_export_appearance (q->appearance, q->page ? "field-list" : NULL);
          break;
        case DFT_QUESTION_REPEAT:
          type = g_strdup ("begin repeat");
          break;
        case DFT_QUESTION_SELECT_ONE:
          type = g_strdup_printf ("select_one %s", q->choice_list);
          break;
        case DFT_QUESTION_LIKERT:
          type = g_strdup_printf ("select_one %s", q->choice_list);
          appearance = _dft_form_export_appearance (q->appearance, "likert");
          break;
        case DFT_QUESTION_SELECT_MULTIPLE:
          type = g_strdup_printf ("select_multiple %s", q->choice_list);
          break;
        case DFT_QUESTION_RANK:
          type = g_strdup_printf ("rank %s", q->choice_list);
          break;
        case DFT_QUESTION_METADATA:
          /* Data nobody fills is pyxform's "hidden". */
          type = g_strdup (q->preload != NULL ? q->preload : "hidden");
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
        case DFT_QUESTION_GEOTRACE:
        case DFT_QUESTION_GEOSHAPE:
        case DFT_QUESTION_BARCODE:
        case DFT_QUESTION_IMAGE:
        case DFT_QUESTION_AUDIO:
        case DFT_QUESTION_VIDEO:
        case DFT_QUESTION_FILE:
        case DFT_QUESTION_RANGE:
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
      md_plain_cell (m, row, MD_CALCULATION, trigger != NULL ? action->value : q->calculate);
      md_plain_cell (m, row, MD_TRIGGER, trigger);
      md_plain_cell (m, row, MD_READ_ONLY, md_condition (q->read_only));
      md_plain_cell (m, row, MD_APPEARANCE, appearance);
      md_plain_cell (m, row, MD_CHOICE_FILTER, q->choice_filter);
      if (q->choice_randomize)
        {
          parameters = q->choice_seed != NULL
                           ? g_strdup_printf ("randomize=true seed=%s", q->choice_seed)
                           : g_strdup ("randomize=true");
          md_plain_cell (m, row, MD_PARAMETERS, parameters);
        }
      if (q->type == DFT_QUESTION_RANGE)
        {
          g_autofree char *start = _dft_expr_number_to_string (q->range_start);
          g_autofree char *end = _dft_expr_number_to_string (q->range_end);
          g_autofree char *step = _dft_expr_number_to_string (q->range_step);

          parameters = g_strdup_printf ("start=%s end=%s step=%s", start, end, step);
          md_plain_cell (m, row, MD_PARAMETERS, parameters);
        }
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
  gboolean hint, constraint_message, required_message, trigger;
} MdUsed;

static void
md_find_used (DftQuestion *q, gpointer user_data)
{
  MdUsed *used = user_data;

  used->hint |= _dft_form_export_has_text (q->hint);
  used->constraint_message |= _dft_form_export_has_text (q->constraint_message);
  used->required_message |= _dft_form_export_has_text (q->required_message);
  used->trigger |= md_trigger_action (q) != NULL;
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

  if (!_dft_form_export_ensure_prepared (form, error))
    return NULL;

  codes = _dft_form_export_all_languages (form);
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
  md_add_column (columns, MD_PARAMETERS, "parameters", NULL);
  md_add_column (columns, MD_DEFAULT, "default", NULL);
  md_add_column (columns, MD_REPEAT_COUNT, "repeat_count", NULL);
  md_add_column (columns, MD_CORRECT_ANSWER, "correct_answer", NULL);
  md_add_column (columns, MD_POINTS, "points", NULL);
  md_add_column (columns, MD_PARTIAL_CREDIT, "partial_credit", NULL);
  if (used.trigger)
    md_add_column (columns, MD_TRIGGER, "trigger", NULL);

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
  names = _dft_form_export_sorted_list_names (form);
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
  g_ptr_array_sort (extra_keys, _dft_form_compare_strings);
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
      label = _dft_form_export_language_label (form, code);
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
      g_ptr_array_add (settings, _dft_form_export_language_label (form, form->default_language));
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
