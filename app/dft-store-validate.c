/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdio.h>

#include "dft-contact.h"
#include "dft-country.h"
#include "dft-store-internal.h"

/* A workshop longer than this is a typing error, not a programme. */
#define MAX_EVENT_DAYS 62

/* ---- Validation ------------------------------------------------------- */

static gboolean
invalid (GError **error, const DftEntity *entity, const DftField *field, const char *message)
{
  g_set_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_INVALID,
               /* Translators: "Workshop: Start date: must be a date like 2026-03-02." */
               _ ("%s: %s: %s"), g_dgettext (GETTEXT_PACKAGE, entity->label),
               g_dgettext (GETTEXT_PACKAGE, field->label), message);
  return FALSE;
}

gboolean
_dft_store_parse_date (const char *text, GDate *date)
{
  unsigned y, m, d;
  char     end;

  if (text == NULL || strlen (text) != 10 || sscanf (text, "%4u-%2u-%2u%c", &y, &m, &d, &end) != 3)
    return FALSE;
  if (!g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y) || y < 1900 || y > 2200)
    return FALSE;
  g_date_clear (date, 1);
  g_date_set_dmy (date, (GDateDay) d, (GDateMonth) m, (GDateYear) y);
  return TRUE;
}

static gboolean
valid_time (const char *text)
{
  unsigned h, m;
  char     end;

  return text != NULL && strlen (text) == 5 && sscanf (text, "%2u:%2u%c", &h, &m, &end) == 2
         && h < 24 && m < 60;
}

static gboolean
ref_exists (DftStore *self, const char *entity, const char *id, GError **error)
{
  g_autofree char *sql = g_strdup_printf ("SELECT 1 FROM %s WHERE id = ?", entity);
  sqlite3_stmt    *stmt = _dft_store_cached_statement (self, sql, error);
  int              rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  return rc == SQLITE_ROW;
}

static gboolean
is_blank (const char *text)
{
  for (const char *p = text; p != NULL && *p != '\0'; p = g_utf8_next_char (p))
    if (!g_unichar_isspace (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

/*
 * Fields kept in one form, so that one country or one phone number is written one way
 * whoever typed it: a save turns what was typed into that form, and refuses what has none.
 */
static const struct
{
  const DftEntity *entity;
  const char      *field;
  char *(*normalize) (const char *text);
} normal_forms[] = {
  { &dft_entity_event, "country", dft_country_normalize },
  { &dft_entity_person, "country", dft_country_normalize },
  { &dft_entity_person, "phone", dft_phone_normalize },
};

/* Why @text is no value for @field, or NULL when it is one (a text field's own checks). */
static const char *
text_problem (const DftEntity *entity, const DftField *field, const char *text)
{
  for (guint n = 0; n < G_N_ELEMENTS (normal_forms); n++)
    if (normal_forms[n].entity == entity && g_str_equal (normal_forms[n].field, field->name))
      {
        g_autofree char *normal = normal_forms[n].normalize (text);

        if (normal != NULL)
          return NULL;
        if (normal_forms[n].normalize == dft_country_normalize)
          return _ ("is not a country Daftari knows; choose it from the list or write its "
                    "two-letter code, such as KG.");
        return _ ("is not a phone number; write its digits, with the country code after a +, "
                  "such as +996 555 123 456.");
      }
  if (entity == &dft_entity_person && g_str_equal (field->name, "email")
      && !dft_email_is_valid (text))
    return _ ("is not an email address.");
  return NULL;
}

/*
 * Puts the fields of @record that have one form in it, before it is checked and written.
 * A save does so to what was changed only (@only_changed): a value an earlier version kept
 * as it was written stays until someone edits it, or until migration 7 rewrites it.
 */
void
_dft_store_normalize_fields (DftRecord *record, gboolean only_changed)
{
  const DftEntity *entity = dft_record_get_entity (record);

  for (guint n = 0; n < G_N_ELEMENTS (normal_forms); n++)
    {
      int              i = dft_entity_field_index (entity, normal_forms[n].field);
      const char      *text;
      g_autofree char *normal = NULL;

      if (normal_forms[n].entity != entity
          || (only_changed && !dft_record_is_new (record)
              && !dft_record_field_is_changed (record, (guint) i)))
        continue;
      text = dft_record_get_string (record, normal_forms[n].field);
      if (text == NULL || is_blank (text))
        continue;
      normal = normal_forms[n].normalize (text);
      if (normal != NULL && strcmp (normal, text) != 0)
        dft_record_set_string (record, normal_forms[n].field, normal);
    }
}

static gboolean
validate_field (DftStore *self, DftRecord *record, guint i, GError **error)
{
  const DftEntity *entity = dft_record_get_entity (record);
  const DftField  *field = &entity->fields[i];
  const GValue    *value = dft_record_get_value (record, i);
  const char      *text = G_VALUE_HOLDS_STRING (value) ? g_value_get_string (value) : NULL;
  gboolean         empty = G_VALUE_HOLDS_STRING (value) && is_blank (text);
  GDate            date;

  if ((field->flags & DFT_FIELD_IMMUTABLE) && !dft_record_is_new (record)
      && dft_record_field_is_changed (record, i))
    return invalid (error, entity, field, _ ("cannot be changed once saved."));

  if (empty)
    {
      if (field->flags & DFT_FIELD_REQUIRED)
        return invalid (error, entity, field, _ ("is required."));
      return TRUE;
    }

  if (text != NULL && !g_utf8_validate (text, -1, NULL))
    return invalid (error, entity, field, _ ("is not valid text."));
  if (text != NULL && strlen (text) > dft_field_max_length (field))
    return invalid (error, entity, field, _ ("is too long."));

  switch (field->type)
    {
    case DFT_FIELD_DATE:
      if (!_dft_store_parse_date (text, &date))
        return invalid (error, entity, field, _ ("must be a date like 2026-03-02."));
      break;
    case DFT_FIELD_TIME:
      if (!valid_time (text))
        return invalid (error, entity, field, _ ("must be a time like 09:30."));
      break;
    case DFT_FIELD_STAMP:
      {
        g_autoptr (GDateTime) dt = g_date_time_new_from_iso8601 (text, NULL);
        if (dt == NULL)
          return invalid (error, entity, field,
                          _ ("must be a date and time like 2026-03-02T08:00:00Z."));
      }
      break;
    case DFT_FIELD_CHOICE:
      if (!dft_field_has_choice (field, text))
        {
          g_autofree char *allowed = g_strjoinv (", ", (char **) field->choices);
          g_autofree char *message =
              /* Translators: %s is the list of allowed values, e.g. "present, late, absent,
                 excused" */
              g_strdup_printf (_ ("must be one of: %s."), allowed);
          return invalid (error, entity, field, message);
        }
      break;
    case DFT_FIELD_REF:
      if (dft_record_is_new (record) || dft_record_field_is_changed (record, i))
        {
          g_autoptr (GError) local_error = NULL;
          if (!ref_exists (self, field->ref_entity, text, &local_error))
            {
              if (local_error != NULL)
                {
                  g_propagate_error (error, g_steal_pointer (&local_error));
                  return FALSE;
                }
              return invalid (error, entity, field, _ ("refers to a record that does not exist."));
            }
        }
      break;
    case DFT_FIELD_JSON:
      if (dft_record_is_new (record) || dft_record_field_is_changed (record, i))
        {
          g_autoptr (JsonParser) parser = json_parser_new ();
          if (!json_parser_load_from_data (parser, text, -1, NULL))
            return invalid (error, entity, field, _ ("is not valid JSON."));
        }
      break;
    case DFT_FIELD_TEXT:
      /* Checked when written only: a value kept from before a check existed does not stop
       * a save of the record's other fields. */
      if (dft_record_is_new (record) || dft_record_field_is_changed (record, i))
        {
          const char *problem = text_problem (entity, field, text);

          if (problem != NULL)
            return invalid (error, entity, field, problem);
        }
      break;
    case DFT_FIELD_INT:
    case DFT_FIELD_REAL:
    case DFT_FIELD_BOOL:
    default:
      break;
    }
  return TRUE;
}

/* What a yes-or-no query of one row by @id says now; FALSE when there is no row. */
static gboolean
stored_truth (DftStore *self, const char *sql, const char *id)
{
  sqlite3_stmt *stmt = _dft_store_cached_statement (self, sql, NULL);
  gboolean      truth = FALSE;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    truth = sqlite3_column_int (stmt, 0) != 0;
  sqlite3_reset (stmt);
  return truth;
}

/* Final submissions are immutable: what the row says now, not what the record was set to. */
gboolean
_dft_store_stored_status_is_final (DftStore *self, const char *id)
{
  return stored_truth (self, "SELECT status = 'final' FROM submission WHERE id = ?", id);
}

/* Resolved conflicts stay resolved, the same way. */
gboolean
_dft_store_stored_conflict_is_resolved (DftStore *self, const char *id)
{
  return stored_truth (self, "SELECT resolved FROM conflict WHERE id = ?", id);
}

gboolean
_dft_store_validate_record (DftStore *self, DftRecord *record, GError **error)
{
  const DftEntity *entity = dft_record_get_entity (record);

  for (guint i = 0; i < entity->n_fields; i++)
    if (!validate_field (self, record, i, error))
      return FALSE;

  if (entity == &dft_entity_event)
    {
      GDate start, end;

      _dft_store_parse_date (dft_record_get_string (record, "start_date"), &start);
      _dft_store_parse_date (dft_record_get_string (record, "end_date"), &end);
      if (g_date_compare (&end, &start) < 0)
        return invalid (error, entity, &entity->fields[dft_entity_field_index (entity, "end_date")],
                        _ ("must not be before the start date."));
      if (g_date_days_between (&start, &end) >= MAX_EVENT_DAYS)
        {
          g_autofree char *message
              /* Translators: %d is the largest number of days a workshop can last */
              = g_strdup_printf (ngettext ("a workshop can last at most %d day.",
                                           "a workshop can last at most %d days.", MAX_EVENT_DAYS),
                                 MAX_EVENT_DAYS);
          return invalid (error, entity,
                          &entity->fields[dft_entity_field_index (entity, "end_date")], message);
        }
    }
  else if (entity == &dft_entity_submission && !dft_record_is_new (record)
           && _dft_store_stored_status_is_final (self, dft_record_get_id (record)))
    return invalid (
        error, entity, &entity->fields[dft_entity_field_index (entity, "status")],
        _ ("a final submission cannot be changed; save a correction that supersedes it."));
  else if (entity == &dft_entity_conflict && !dft_record_is_new (record)
           && !dft_record_get_bool (record, "resolved")
           && _dft_store_stored_conflict_is_resolved (self, dft_record_get_id (record)))
    /* Every replica keeps it resolved (PROTOCOL.md, Merge): reopened here, it would differ. */
    return invalid (error, entity, &entity->fields[dft_entity_field_index (entity, "resolved")],
                    _ ("a resolved conflict cannot be opened again."));
  else if (entity == &dft_entity_person)
    {
      if (dft_record_get_string (record, "consent_date") != NULL
          && !dft_record_get_bool (record, "consent"))
        return invalid (error, entity,
                        &entity->fields[dft_entity_field_index (entity, "consent_date")],
                        _ ("is set but consent was not given."));
    }

  return TRUE;
}

/*
 * The checks dft_store_save() makes, without saving: importers use it to
 * report every bad row at once instead of stopping at the first.
 */
gboolean
dft_store_validate (DftStore *self, DftRecord *record, GError **error)
{
  gboolean ok;

  g_return_val_if_fail (DFT_IS_STORE (self), FALSE);
  g_return_val_if_fail (DFT_IS_RECORD (record), FALSE);

  _dft_store_lock (self);
  ok = _dft_store_validate_record (self, record, error);
  _dft_store_unlock (self);
  return ok;
}
