/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The coordinator's conflicts from the command line: "conflicts" lists the open ones with
 * both values, who wrote each and when; "resolve" decides one. Both go through the store
 * (dft-store-conflicts.h), so a decision is a change that syncs like any other.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "dft-cli-private.h"
#include "dft-store-conflicts.h"

/* "2026-12-06 09:14 UTC", or "?" when the time is not known. */
static char *
format_time (gint64 unix_ms)
{
  g_autoptr (GDateTime) time = NULL;

  if (unix_ms <= 0)
    return g_strdup ("?");
  time = g_date_time_new_from_unix_utc (unix_ms / 1000);
  return g_date_time_format (time, "%Y-%m-%d %H:%M UTC");
}

static void
print_side (const char *label, const char *value, const char *device, gint64 unix_ms)
{
  g_autofree char *text = dft_conflict_value_describe (value);
  g_autofree char *when = format_time (unix_ms);

  /* Translators: a label ("now:" or "other:"), a value, the id of the device that wrote it,
     and when */
  g_print (_ ("    %-6s %s — device %s, %s\n"), label, text, device != NULL ? device : "?", when);
}

static void
print_text (GPtrArray *views)
{
  for (guint i = 0; i < views->len; i++)
    {
      DftConflictView *view = g_ptr_array_index (views, i);

      /* Translators: a conflict: its id, the kind of record, the record's name, the field */
      g_print (_ ("%s  %s “%s”, %s\n"), view->id, view->entity_label, view->record_title,
               view->field_label);
      /* Translators: the value a record holds now, in the list of conflicts */
      print_side (C_ ("conflict", "now:"), view->current_value, view->current_device,
                  view->current_ms);
      /* Translators: the value that lost a merge, in the list of conflicts */
      print_side (C_ ("conflict", "other:"), view->other_value, view->other_device, view->other_ms);
    }
  if (views->len == 0)
    g_printerr (_ ("No conflicts to decide.\n"));
  else
    /* Translators: %u is a number of conflicts */
    g_printerr (ngettext ("%u conflict to decide: “daftari-cli resolve ID --keep-current”, "
                          "“--keep-other” or “--value V”.\n",
                          "%u conflicts to decide: “daftari-cli resolve ID --keep-current”, "
                          "“--keep-other” or “--value V”.\n",
                          views->len),
                views->len);
}

static void
add_side (
    JsonBuilder *builder, const char *member, const char *value, const char *device, gint64 unix_ms)
{
  g_autoptr (JsonNode) node = value != NULL ? json_from_string (value, NULL) : NULL;
  g_autofree char     *text = dft_conflict_value_describe (value);

  json_builder_set_member_name (builder, member);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "value");
  json_builder_add_value (builder, node != NULL ? g_steal_pointer (&node)
                                                : json_node_init_null (json_node_alloc ()));
  json_builder_set_member_name (builder, "text");
  json_builder_add_string_value (builder, text);
  json_builder_set_member_name (builder, "device");
  if (device != NULL)
    json_builder_add_string_value (builder, device);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "time_ms");
  json_builder_add_int_value (builder, unix_ms);
  json_builder_end_object (builder);
}

static void
add_string (JsonBuilder *builder, const char *member, const char *value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_string_value (builder, value);
}

static void
print_json (GPtrArray *views)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "conflicts");
  json_builder_begin_array (builder);
  for (guint i = 0; i < views->len; i++)
    {
      DftConflictView *view = g_ptr_array_index (views, i);

      json_builder_begin_object (builder);
      add_string (builder, "id", view->id);
      add_string (builder, "entity", view->entity_name);
      add_string (builder, "entity_label", view->entity_label);
      add_string (builder, "record_id", view->record_id);
      add_string (builder, "record", view->record_title);
      add_string (builder, "field", view->field);
      add_string (builder, "field_label", view->field_label);
      add_side (builder, "current", view->current_value, view->current_device, view->current_ms);
      add_side (builder, "other", view->other_value, view->other_device, view->other_ms);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  _dft_cli_print_json (builder);
}

int
_dft_cli_conflicts (DftStore *store, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError)         error = NULL;
  g_autoptr (GPtrArray)      views = NULL;
  gboolean                   json = FALSE;
  const GOptionEntry         entries[]
      = { { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_ ("Write JSON for scripts"), NULL },
          { NULL } };
  int status;

  g_option_context_set_summary (
      context, _ ("List the conflicts to decide: two devices changed the same field of a record "
                  "without seeing each other’s change. The newest value stands; the other is "
                  "kept here until a coordinator decides."));
  if (!_dft_cli_parse (context, entries, &argc, &argv, &status))
    return status;
  if (argc != 1)
    return _dft_cli_usage (context, _ ("This command takes no names or ids."));

  views = dft_store_list_open_conflicts (store, &error);
  if (views == NULL)
    return _dft_cli_fail (error);
  if (json)
    print_json (views);
  else
    print_text (views);
  return 0;
}

int
_dft_cli_resolve (DftStore *store, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_ ("CONFLICT-ID"));
  g_autoptr (GError)         error = NULL;
  gboolean                   keep_current = FALSE, keep_other = FALSE;
  g_autofree char           *value = NULL;
  DftConflictChoice          choice;
  const GOptionEntry         entries[]
      = { { "keep-current", 0, 0, G_OPTION_ARG_NONE, &keep_current,
            N_ ("Keep the value the record holds now"), NULL },
          { "keep-other", 0, 0, G_OPTION_ARG_NONE, &keep_other,
            N_ ("Write the other value back to the record"), NULL },
          { "value", 0, 0, G_OPTION_ARG_STRING, &value,
            N_ ("Write this value to the record instead (\"\" empties it)"), N_ ("V") },
          { NULL } };
  int status;

  g_option_context_set_summary (
      context, _ ("Decide a conflict that “daftari-cli conflicts” lists. The decision is a "
                  "change like any other: it reaches every device at the next sync. Only "
                  "coordinators and administrators decide."));
  if (!_dft_cli_parse (context, entries, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return _dft_cli_usage (context, _ ("Give the id of one conflict."));
  if ((keep_current ? 1 : 0) + (keep_other ? 1 : 0) + (value != NULL ? 1 : 0) != 1)
    return _dft_cli_usage (context, _ ("Say what the record keeps: exactly one of --keep-current, "
                                       "--keep-other or --value V."));

  choice = keep_current ? DFT_CONFLICT_KEEP_CURRENT
           : keep_other ? DFT_CONFLICT_KEEP_OTHER
                        : DFT_CONFLICT_NEW_VALUE;
  if (!dft_store_resolve_conflict (store, argv[1], choice, value, &error))
    return _dft_cli_fail (error);
  /* Translators: %s is the id of a conflict */
  g_print (_ ("Conflict %s resolved; it reaches the other devices at the next sync.\n"), argv[1]);
  return 0;
}
