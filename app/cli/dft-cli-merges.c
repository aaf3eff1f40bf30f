/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "dft-cli-private.h"
#include "dft-store-merges.h"
#include "dft-store.h"

/*
 * A coordinator's decisions about people from the command line: merge two records of one
 * person, undo a merge, list the merges (the audit trail), and remember that two people the
 * duplicate finder proposes are not one (dft-store-merges.h).
 */

static char *
name_of (DftStore *store, const char *id)
{
  g_autoptr (DftRecord) person = dft_store_load (store, &dft_entity_person, id, NULL);
  g_autofree char      *name = NULL;

  if (person == NULL)
    return g_strdup (id);
  name = g_strstrip (g_strdup_printf ("%s %s", dft_record_get_string (person, "given_name") ?: "",
                                      dft_record_get_string (person, "family_name") ?: ""));
  return *name != '\0' ? g_steal_pointer (&name) : g_strdup (id);
}

/* --field F=other or F=keep, over the fields the store suggests (the newer value). */
static gboolean
choose_fields (DftStore   *store,
               const char *keep,
               const char *other,
               char      **choices,
               GStrv      *take,
               GError    **error)
{
  g_auto (GStrv)           suggested = dft_store_merge_suggest (store, keep, other, error);
  g_autoptr (GHashTable)   chosen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  if (suggested == NULL)
    return FALSE;
  for (guint i = 0; suggested[i] != NULL; i++)
    g_hash_table_add (chosen, suggested[i]);
  for (guint i = 0; choices != NULL && choices[i] != NULL; i++)
    {
      const char      *equals = strchr (choices[i], '=');
      g_autofree char *field = equals != NULL ? g_strndup (choices[i], equals - choices[i]) : NULL;
      int index = field != NULL ? dft_entity_field_index (&dft_entity_person, field) : -1;

      if (index < 0
          || (g_strcmp0 (equals + 1, "other") != 0 && g_strcmp0 (equals + 1, "keep") != 0))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       /* Translators: %s is what was typed after --field; keep "FIELD=other"
                        * and "FIELD=keep" as they are */
                       _ ("“%s” is not FIELD=other or FIELD=keep with a field of a person."),
                       choices[i]);
          return FALSE;
        }
      if (g_str_equal (equals + 1, "other"))
        g_hash_table_add (chosen, (gpointer) dft_entity_person.fields[index].name);
      else
        g_hash_table_remove (chosen, dft_entity_person.fields[index].name);
    }
  /* In the order of the schema, so the message reads the same every time. */
  for (guint i = 0; i < dft_entity_person.n_fields; i++)
    if (g_hash_table_contains (chosen, dft_entity_person.fields[i].name))
      g_strv_builder_add (builder, dft_entity_person.fields[i].name);
  *take = g_strv_builder_end (builder);
  return TRUE;
}

int
_dft_cli_merge (DftStore *store, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_ ("KEEP OTHER"));
  g_autoptr (GError)         error = NULL;
  g_autoptr (DftRecord)      merge = NULL;
  g_auto (GStrv)             choices = NULL;
  g_auto (GStrv)             take = NULL;
  g_autofree char           *keep_name = NULL;
  g_autofree char           *other_name = NULL;
  const GOptionEntry         entries[]
      = { { "field", 0, 0, G_OPTION_ARG_STRING_ARRAY, &choices,
            N_ ("Which value of a field the kept person has: FIELD=other or FIELD=keep (by "
                "default the newer one)"),
            N_ ("FIELD=WHICH") },
          { NULL } };
  int status;

  g_option_context_set_summary (
      context, _ ("Merge two records of one person: OTHER's enrollments, attendance marks and "
                  "test results count for KEEP from now on, on every device. Undo it with "
                  "“unmerge”."));
  if (!_dft_cli_parse (context, entries, &argc, &argv, &status))
    return status;
  if (argc != 3)
    return _dft_cli_usage (context, _ ("Give the id of the person to keep and of the other."));

  keep_name = name_of (store, argv[1]);
  other_name = name_of (store, argv[2]);
  if (!choose_fields (store, argv[1], argv[2], choices, &take, &error))
    return _dft_cli_fail (error);
  merge = dft_store_merge_people (store, argv[1], argv[2], (const char *const *) take, &error);
  if (merge == NULL)
    return _dft_cli_fail (error);

  /* Translators: the first %s is the person merged away, the second the one kept */
  g_print (_ ("Merged %s into %s.\n"), other_name, keep_name);
  for (guint i = 0; take[i] != NULL; i++)
    {
      int index = dft_entity_field_index (&dft_entity_person, take[i]);

      /* Translators: %s is a field of a person, e.g. "Phone" */
      g_print (_ ("  %s: the other record’s value\n"),
               g_dgettext (GETTEXT_PACKAGE, dft_entity_person.fields[index].label));
    }
  /* Translators: %s is the id of the merge; keep "daftari-cli unmerge" as it is */
  g_print (_ ("To undo it: daftari-cli unmerge %s\n"), dft_record_get_id (merge));
  return 0;
}

int
_dft_cli_unmerge (DftStore *store, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_ ("MERGE-ID"));
  g_autoptr (GError)         error = NULL;
  const GOptionEntry         entries[] = { { NULL } };
  int                        status;

  g_option_context_set_summary (
      context, _ ("Undo a merge of two people (see “merges”): both are two again, each with "
                  "what they had, on every device."));
  if (!_dft_cli_parse (context, entries, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return _dft_cli_usage (context, _ ("Give the id of one merge."));
  if (!dft_store_unmerge (store, argv[1], &error))
    return _dft_cli_fail (error);
  g_print (_ ("The merge was undone.\n"));
  return 0;
}

static void
add_string (JsonBuilder *builder, const char *member, const char *value)
{
  json_builder_set_member_name (builder, member);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
print_merges_json (GPtrArray *merges)
{
  g_autoptr (JsonBuilder)   builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode)      root = NULL;
  g_autofree char          *text = NULL;

  json_builder_begin_array (builder);
  for (guint i = 0; i < merges->len; i++)
    {
      DftMergeView *view = g_ptr_array_index (merges, i);

      json_builder_begin_object (builder);
      add_string (builder, "id", view->id);
      add_string (builder, "kept_id", view->kept_id);
      add_string (builder, "kept_name", view->kept_name);
      add_string (builder, "merged_id", view->merged_id);
      add_string (builder, "merged_name", view->merged_name);
      add_string (builder, "merged_by", view->merged_by);
      add_string (builder, "merged_at", view->merged_at);
      add_string (builder, "merged_on", view->merged_on);
      json_builder_set_member_name (builder, "moved");
      json_builder_begin_array (builder);
      for (guint m = 0; view->moved[m] != NULL; m++)
        json_builder_add_string_value (builder, view->moved[m]);
      json_builder_end_array (builder);
      json_builder_set_member_name (builder, "undone");
      json_builder_add_boolean_value (builder, view->undone);
      add_string (builder, "undone_by", view->undone_by);
      add_string (builder, "undone_at", view->undone_at);
      add_string (builder, "undone_on", view->undone_on);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

int
_dft_cli_merges (DftStore *store, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError)         error = NULL;
  g_autoptr (GPtrArray)      merges = NULL;
  gboolean                   json = FALSE;
  const GOptionEntry         entries[]
      = { { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_ ("Write JSON for scripts"), NULL },
          { NULL } };
  int status;

  g_option_context_set_summary (context,
                                _ ("List every merge of two people, the newest first: who merged "
                                   "whom, when, on which device, which records moved, and "
                                   "whether it was undone."));
  if (!_dft_cli_parse (context, entries, &argc, &argv, &status))
    return status;
  if (argc != 1)
    return _dft_cli_usage (context, _ ("This command takes no names or ids."));
  merges = dft_store_list_merges (store, &error);
  if (merges == NULL)
    return _dft_cli_fail (error);
  if (json)
    {
      print_merges_json (merges);
      return 0;
    }
  for (guint i = 0; i < merges->len; i++)
    {
      DftMergeView *view = g_ptr_array_index (merges, i);
      guint         n_moved = g_strv_length (view->moved);

      g_print ("%s\n", view->id);
      /* Translators: the person merged away and their id, then the one kept and their id */
      g_print (_ ("  %s (%s) into %s (%s)\n"), view->merged_name ?: "?", view->merged_id,
               view->kept_name ?: "?", view->kept_id);
      /* Translators: %s are a time, an account and a device id */
      g_print (_ ("  merged %s by %s on device %s\n"), view->merged_at, view->merged_by ?: "-",
               view->merged_on ?: "-");
      /* Translators: %u is a number of records (enrollments, attendance marks...) */
      g_print (ngettext ("  %u record moved\n", "  %u records moved\n", n_moved), n_moved);
      if (view->undone)
        /* Translators: %s are a time, an account and a device id */
        g_print (_ ("  undone %s by %s on device %s\n"), view->undone_at, view->undone_by ?: "-",
                 view->undone_on ?: "-");
    }
  if (merges->len == 0)
    g_printerr (_ ("No one was merged.\n"));
  return 0;
}

int
_dft_cli_not_duplicate (DftStore *store, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_ ("PERSON-ID PERSON-ID"));
  g_autoptr (GError)         error = NULL;
  g_autofree char           *a = NULL;
  g_autofree char           *b = NULL;
  const GOptionEntry         entries[] = { { NULL } };
  int                        status;

  g_option_context_set_summary (
      context, _ ("Remember that two people are not the same person, so that “duplicates” "
                  "never proposes them again, on every device."));
  if (!_dft_cli_parse (context, entries, &argc, &argv, &status))
    return status;
  if (argc != 3)
    return _dft_cli_usage (context, _ ("Give the ids of the two people."));
  if (!dft_store_mark_distinct (store, argv[1], argv[2], &error))
    return _dft_cli_fail (error);
  a = name_of (store, argv[1]);
  b = name_of (store, argv[2]);
  /* Translators: both %s are people's names */
  g_print (_ ("%s and %s are two people.\n"), a, b);
  return 0;
}
