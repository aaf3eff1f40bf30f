/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dft-merge-dialog.h"
#include "dft-schema.h"
#include "dft-store-merges.h"
#include "dft-ui-util.h"

const char *const dft_merge_person_fields[]
    = { "given_name", "family_name", "gender", "agency", "position",
        "country",    "phone",       "email",  NULL };

/* ---- Facts ------------------------------------------------------------------------------ */

static GStrv
workshop_titles (DftStore *store, const char *person_id, guint *n_enrollments, GError **error)
{
  const char *const        filters[] = { "person_id", person_id, NULL, NULL };
  g_autoptr (GPtrArray)    enrollments = NULL;
  g_autoptr (GStrvBuilder) titles = g_strv_builder_new ();

  enrollments = dft_store_list_records (store, &dft_entity_enrollment, filters, NULL, 0, error);
  if (enrollments == NULL)
    return NULL;
  *n_enrollments = enrollments->len;
  for (guint i = 0; i < enrollments->len; i++)
    {
      const char *event_id = dft_record_get_string (g_ptr_array_index (enrollments, i), "event_id");
      g_autoptr (DftRecord) event = dft_store_load (store, &dft_entity_event, event_id, NULL);

      if (event != NULL && !dft_record_get_deleted (event))
        g_strv_builder_add (titles, dft_record_get_string (event, "title"));
    }
  return g_strv_builder_end (titles);
}

DftMergeFacts *
dft_merge_facts_load (DftStore *store, const char *a_id, const char *b_id, GError **error)
{
  g_autoptr (DftMergeFacts) facts = g_rc_box_new0 (DftMergeFacts);
  const char               *ids[2] = { a_id, b_id };

  g_return_val_if_fail (DFT_IS_STORE (store), NULL);
  for (guint i = 0; i < 2; i++)
    {
      const char *const     filters[] = { "person_id", ids[i], NULL, NULL };
      g_autoptr (GPtrArray) marks = NULL;
      guint                 n_enrollments = 0;

      facts->people[i] = dft_store_load (store, &dft_entity_person, ids[i], error);
      if (facts->people[i] == NULL)
        return NULL;
      facts->workshops[i] = workshop_titles (store, ids[i], &n_enrollments, error);
      if (facts->workshops[i] == NULL)
        return NULL;
      marks = dft_store_list_records (store, &dft_entity_attendance, filters, NULL, 0, error);
      if (marks == NULL)
        return NULL;
      facts->history[i] = n_enrollments + marks->len;
      facts->take[i] = dft_store_merge_suggest (store, ids[i], ids[1 - i], error);
      if (facts->take[i] == NULL)
        return NULL;
    }
  return g_steal_pointer (&facts);
}

static void
merge_facts_clear (gpointer data)
{
  DftMergeFacts *facts = data;

  for (guint i = 0; i < 2; i++)
    {
      g_clear_object (&facts->people[i]);
      g_strfreev (facts->workshops[i]);
      g_strfreev (facts->take[i]);
    }
}

DftMergeFacts *
dft_merge_facts_ref (DftMergeFacts *facts)
{
  return g_rc_box_acquire (facts);
}

void
dft_merge_facts_unref (DftMergeFacts *facts)
{
  if (facts != NULL)
    g_rc_box_release_full (facts, merge_facts_clear);
}

char *
dft_merge_describe_field (DftRecord *person, const char *field)
{
  const char *value = dft_record_get_string (person, field);

  if (g_str_equal (field, "gender"))
    return g_strdup (dft_gender_label (value));
  if (value == NULL || *value == '\0')
    /* Translators: a field that holds nothing, in the side-by-side view of two people */
    return g_strdup (C_ ("field value", "—"));
  return g_strdup (value);
}

char *
dft_merge_person_name (DftRecord *person)
{
  const char *given = dft_record_get_string (person, "given_name");
  const char *family = dft_record_get_string (person, "family_name");

  if (family == NULL || *family == '\0')
    return g_strdup (given != NULL ? given : "");
  return g_strdup_printf ("%s %s", given != NULL ? given : "", family);
}

/* ---- The dialog ---------------------------------------------------------------------- */

typedef struct
{
  DftMergeFacts  *facts;
  GtkCheckButton *keep[2];
  GHashTable     *fields; /* field name → GtkCheckButton *[2] */
} MergeChoice;

static void
merge_choice_free (gpointer data)
{
  MergeChoice *choice = data;

  g_hash_table_unref (choice->fields);
  dft_merge_facts_unref (choice->facts);
  g_free (choice);
}

static void
partner_toggled_cb (GtkCheckButton *check, gpointer user_data)
{
  GtkCheckButton *partner = g_object_get_data (G_OBJECT (check), "partner");
  gboolean        active = gtk_check_button_get_active (check);

  if (gtk_check_button_get_active (partner) == active)
    gtk_check_button_set_active (partner, !active);
}

/* A check button showing @text; with @partner, one of a pair of which exactly one is on. */
static GtkWidget *
check_with_label (const char *text, GtkCheckButton *partner)
{
  GtkWidget *check = gtk_check_button_new ();
  GtkWidget *label = gtk_label_new (NULL);

  /* The text is data: never markup. */
  gtk_label_set_text (GTK_LABEL (label), text);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_check_button_set_child (GTK_CHECK_BUTTON (check), label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_LABEL, text, -1);
  if (partner != NULL)
    {
      /* One of the two, always: not a radio group, whose second button Tab would skip. */
      g_object_set_data (G_OBJECT (check), "partner", partner);
      g_object_set_data (G_OBJECT (partner), "partner", check);
      g_signal_connect (check, "toggled", G_CALLBACK (partner_toggled_cb), NULL);
      g_signal_connect (partner, "toggled", G_CALLBACK (partner_toggled_cb), NULL);
    }
  return check;
}

static GtkWidget *
heading (const char *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  gtk_widget_set_margin_top (label, 6);
  return label;
}

GtkWidget *
dft_merge_dialog_new (GtkWindow *parent, DftMergeFacts *facts)
{
  GtkWidget       *dialog = adw_message_dialog_new (parent, _ ("Merge Two Records"), NULL);
  GtkWidget       *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget       *scrolled = gtk_scrolled_window_new ();
  MergeChoice     *choice = g_new0 (MergeChoice, 1);
  guint            kept = facts->history[1] > facts->history[0] ? 1 : 0;
  const DftEntity *entity = &dft_entity_person;

  choice->facts = dft_merge_facts_ref (facts);
  choice->fields = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  adw_message_dialog_set_body (
      ADW_MESSAGE_DIALOG (dialog),
      _ ("Everything of the other record (workshops, attendance, answers) will count for the "
         "one kept. Choose the value that stays where the two differ. The merge can be undone."));

  gtk_box_append (GTK_BOX (box), heading (_ ("Keep the Record Of")));
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *name = dft_merge_person_name (facts->people[i]);
      g_autofree char *text = NULL;

      text = g_strdup_printf (
          /* Translators: a person's name and how many workshop enrolments and attendance marks
           * their record holds, to choose the record to keep */
          ngettext ("%s (%u enrolment or mark)", "%s (%u enrolments and marks)", facts->history[i]),
          name, facts->history[i]);
      choice->keep[i] = GTK_CHECK_BUTTON (check_with_label (text, choice->keep[0]));
      gtk_box_append (GTK_BOX (box), GTK_WIDGET (choice->keep[i]));
    }
  gtk_check_button_set_active (choice->keep[kept], TRUE);

  for (const char *const *f = dft_merge_person_fields; *f != NULL; f++)
    {
      const char      *values[2];
      GtkCheckButton **buttons;
      const DftField  *field = &entity->fields[dft_entity_field_index (entity, *f)];
      gboolean         take;

      for (guint i = 0; i < 2; i++)
        values[i] = dft_record_get_string (facts->people[i], *f);
      if (g_strcmp0 (values[0] != NULL ? values[0] : "", values[1] != NULL ? values[1] : "") == 0)
        continue;
      buttons = g_new0 (GtkCheckButton *, 2);
      gtk_box_append (GTK_BOX (box), heading (_ (field->label)));
      for (guint i = 0; i < 2; i++)
        {
          g_autofree char *shown = dft_merge_describe_field (facts->people[i], *f);

          buttons[i] = GTK_CHECK_BUTTON (check_with_label (shown, buttons[0]));
          gtk_box_append (GTK_BOX (box), GTK_WIDGET (buttons[i]));
        }
      /* The newest, as dft_store_merge_suggest() says for the record kept. */
      take = g_strv_contains ((const char *const *) facts->take[kept], *f);
      gtk_check_button_set_active (buttons[take ? 1 - kept : kept], TRUE);
      g_hash_table_insert (choice->fields, (gpointer) *f, buttons);
    }

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 360);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), box);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), scrolled);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _ ("_Cancel"), "merge",
                                    _ ("_Merge"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "merge",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "merge");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "merge-choice", choice, merge_choice_free);
  return dialog;
}

void
dft_merge_dialog_get_choice (GtkWidget *dialog, char **keep_id, char **other_id, GStrv *take_fields)
{
  MergeChoice             *choice = g_object_get_data (G_OBJECT (dialog), "merge-choice");
  guint                    kept;
  g_autoptr (GStrvBuilder) take = g_strv_builder_new ();

  g_return_if_fail (choice != NULL);
  kept = gtk_check_button_get_active (choice->keep[1]) ? 1 : 0;
  for (const char *const *f = dft_merge_person_fields; *f != NULL; f++)
    {
      GtkCheckButton **buttons = g_hash_table_lookup (choice->fields, *f);

      if (buttons != NULL && gtk_check_button_get_active (buttons[1 - kept]))
        g_strv_builder_add (take, *f);
    }
  *keep_id = g_strdup (dft_record_get_id (choice->facts->people[kept]));
  *other_id = g_strdup (dft_record_get_id (choice->facts->people[1 - kept]));
  *take_fields = g_strv_builder_end (take);
}

GtkCheckButton *
dft_merge_dialog_get_field_button (GtkWidget *dialog, const char *field, guint person_index)
{
  MergeChoice     *choice = g_object_get_data (G_OBJECT (dialog), "merge-choice");
  GtkCheckButton **buttons;

  g_return_val_if_fail (choice != NULL && person_index < 2, NULL);
  buttons = g_hash_table_lookup (choice->fields, field);
  return buttons != NULL ? buttons[person_index] : NULL;
}
