/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "dft-cli-private.h"
#include "dft-duplicates.h"
#include "dft-store.h"

/* "Given Family", or the id when the person has no name (a record from a damaged sheet). */
static char *
person_label (DftRecord *person, const char *id)
{
  const char      *given = person != NULL ? dft_record_get_string (person, "given_name") : NULL;
  const char      *family = person != NULL ? dft_record_get_string (person, "family_name") : NULL;
  g_autofree char *name = g_strstrip (
      g_strdup_printf ("%s %s", given != NULL ? given : "", family != NULL ? family : ""));

  return *name != '\0' ? g_steal_pointer (&name) : g_strdup (id);
}

static void
add_person (JsonBuilder *builder, const char *member, DftRecord *person, const char *id)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, id);
  for (guint i = 0; i < 4; i++)
    {
      static const char *const fields[] = { "given_name", "family_name", "agency", "country" };
      const char *value = person != NULL ? dft_record_get_string (person, fields[i]) : NULL;

      json_builder_set_member_name (builder, fields[i]);
      json_builder_add_string_value (builder, value != NULL ? value : "");
    }
  json_builder_end_object (builder);
}

static void
print_json (DftStore *store, GPtrArray *pairs, double min_score)
{
  g_autoptr (JsonBuilder)   builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode)      root = NULL;
  g_autofree char          *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "min_score");
  json_builder_add_double_value (builder, min_score);
  json_builder_set_member_name (builder, "pairs");
  json_builder_begin_array (builder);
  for (guint i = 0; i < pairs->len; i++)
    {
      DftDuplicatePair     *pair = g_ptr_array_index (pairs, i);
      g_autoptr (DftRecord) a = dft_store_load (store, &dft_entity_person, pair->id_a, NULL);
      g_autoptr (DftRecord) b = dft_store_load (store, &dft_entity_person, pair->id_b, NULL);

      json_builder_begin_object (builder);
      add_person (builder, "a", a, pair->id_a);
      add_person (builder, "b", b, pair->id_b);
      json_builder_set_member_name (builder, "score");
      json_builder_add_double_value (builder, pair->score);
      json_builder_set_member_name (builder, "reasons");
      json_builder_begin_array (builder);
      for (guint r = 0; r < DFT_DUPLICATE_N_REASONS; r++)
        if (pair->reasons & (1u << r))
          json_builder_add_string_value (builder, dft_duplicate_reason_code (1u << r));
      json_builder_end_array (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

static void
print_text (DftStore *store, GPtrArray *pairs)
{
  for (guint i = 0; i < pairs->len; i++)
    {
      DftDuplicatePair     *pair = g_ptr_array_index (pairs, i);
      g_autoptr (DftRecord) a = dft_store_load (store, &dft_entity_person, pair->id_a, NULL);
      g_autoptr (DftRecord) b = dft_store_load (store, &dft_entity_person, pair->id_b, NULL);
      g_autofree char      *label_a = person_label (a, pair->id_a);
      g_autofree char      *label_b = person_label (b, pair->id_b);
      g_auto (GStrv)        reasons = dft_duplicate_reasons_describe (pair->reasons);
      g_autofree char      *why = g_strjoinv ("; ", reasons);

      g_print ("%.2f  %s  %s\n", pair->score, label_a, pair->id_a);
      g_print ("      %s  %s\n", label_b, pair->id_b);
      g_print ("      %s\n", why);
    }
  if (pairs->len == 0)
    g_printerr (_ ("No one seems to be registered twice.\n"));
  else
    /* Translators: %u is a number of pairs of records */
    g_printerr (ngettext ("%u pair of records may be one person.\n",
                          "%u pairs of records may be one person each.\n", pairs->len),
                pairs->len);
}

int
_dft_cli_duplicates (DftStore *store, int argc, char **argv)
{
  g_autoptr (GOptionContext)     context = g_option_context_new (NULL);
  g_autoptr (GError)             error = NULL;
  g_autoptr (DftDuplicateFinder) finder = NULL;
  g_autoptr (GPtrArray)          pairs = NULL;
  double                         min_score = DFT_DUPLICATE_DEFAULT_MIN_SCORE;
  gboolean                       json = FALSE;
  const GOptionEntry             entries[]
      = { { "min-score", 0, 0, G_OPTION_ARG_DOUBLE, &min_score,
            N_ ("Propose pairs scoring at least this, between 0 and 1 (default 0.8)"), N_ ("S") },
          { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_ ("Write JSON for scripts"), NULL },
          { NULL } };
  int status;

  g_option_context_set_summary (
      context, _ ("Find people who are probably registered twice: names alike across scripts "
                  "and spellings, the same phone or email, the same agency and gender."));
  if (!_dft_cli_parse (context, entries, &argc, &argv, &status))
    return status;
  if (argc != 1)
    return _dft_cli_usage (context, _ ("This command takes no names or ids."));
  if (!(min_score > 0.0 && min_score <= 1.0))
    return _dft_cli_usage (context, _ ("The score must be more than 0 and at most 1."));

  finder = dft_duplicate_finder_new_for_store (store, &error);
  if (finder == NULL)
    return _dft_cli_fail (error);
  pairs = dft_duplicate_finder_find_all (finder, min_score, NULL, &error);
  if (pairs == NULL)
    return _dft_cli_fail (error);
  dft_duplicate_pairs_drop_decided (store, pairs);
  if (json)
    print_json (store, pairs, min_score);
  else
    print_text (store, pairs);
  return 0;
}
