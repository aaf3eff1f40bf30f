/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dft-application.h"
#include "dft-contact.h"
#include "dft-country-row.h"
#include "dft-people.h"
#include "dft-person-dialog-private.h"
#include "dft-suggest.h"
#include "dft-ui-util.h"

G_DEFINE_FINAL_TYPE (DftPersonDialog, dft_person_dialog, ADW_TYPE_WINDOW)

static const struct
{
  const char *field;
  gsize       offset;
} rows[] = {
  { "given_name", G_STRUCT_OFFSET (DftPersonDialog, given_row) },
  { "family_name", G_STRUCT_OFFSET (DftPersonDialog, family_row) },
  { "agency", G_STRUCT_OFFSET (DftPersonDialog, agency_row) },
  { "position", G_STRUCT_OFFSET (DftPersonDialog, position_row) },
  { "email", G_STRUCT_OFFSET (DftPersonDialog, email_row) },
  { "phone", G_STRUCT_OFFSET (DftPersonDialog, phone_row) },
};

static GtkEditable *
row_for (DftPersonDialog *self, guint i)
{
  return G_STRUCT_MEMBER (GtkEditable *, self, rows[i].offset);
}

static void
mark_row (gpointer row, gboolean ok)
{
  if (ok)
    {
      gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
      gtk_accessible_reset_state (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_STATE_INVALID);
    }
  else
    {
      gtk_widget_add_css_class (GTK_WIDGET (row), "error");
      gtk_accessible_update_state (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_STATE_INVALID,
                                   GTK_ACCESSIBLE_INVALID_TRUE, -1);
    }
}

static gboolean
validate (DftPersonDialog *self)
{
  g_autofree char *given = dft_ui_editable_text (GTK_EDITABLE (self->given_row));
  g_autofree char *email = dft_ui_editable_text (GTK_EDITABLE (self->email_row));
  g_autofree char *phone = dft_ui_editable_text (GTK_EDITABLE (self->phone_row));
  g_autofree char *normal_phone = phone != NULL ? dft_phone_normalize (phone) : NULL;
  gboolean         ok = given != NULL;
  gboolean         email_ok = email == NULL || dft_email_is_valid (email);
  gboolean         phone_ok = phone == NULL || normal_phone != NULL;
  const char      *contact_message = NULL;

  gtk_label_set_text (self->name_error, ok ? "" : _ ("A person needs at least a given name."));
  gtk_widget_set_visible (GTK_WIDGET (self->name_error), !ok);
  mark_row (self->given_row, ok);

  if (!email_ok)
    contact_message = _ ("The email address is not complete: write it like name@example.org.");
  else if (!phone_ok)
    contact_message = _ ("The phone number can hold only digits, spaces, dashes and brackets, "
                         "with the country code after a + in front, such as +996 555 123 456.");
  gtk_label_set_text (self->contact_error, contact_message != NULL ? contact_message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->contact_error), contact_message != NULL);
  mark_row (self->email_row, email_ok);
  mark_row (self->phone_row, phone_ok);
  return ok && email_ok && phone_ok;
}

static void
changed_cb (DftPersonDialog *self)
{
  if (self->tried)
    validate (self);
}

void
dft_person_dialog_set_field (DftPersonDialog *self, const char *field, const char *text)
{
  g_return_if_fail (DFT_IS_PERSON_DIALOG (self));

  if (g_str_equal (field, "country"))
    {
      dft_country_row_set_value (self->country_row, text);
      return;
    }
  if (g_str_equal (field, "gender"))
    {
      guint position = 0;
      for (guint i = 0; dft_gender_choices[i] != NULL; i++)
        if (g_strcmp0 (dft_gender_choices[i], text) == 0)
          position = i + 1;
      adw_combo_row_set_selected (self->gender_row, position);
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    if (g_str_equal (rows[i].field, field))
      {
        gtk_editable_set_text (row_for (self, i), text != NULL ? text : "");
        return;
      }
  g_critical ("A person has no text field %s", field);
}

static void
set_if_changed (DftRecord *record, const char *field, const char *value)
{
  if (g_strcmp0 (dft_record_get_string (record, field), value) != 0)
    dft_record_set_string (record, field, value);
}

/*
 * The person as the dialog saves them: only what the user changed goes, against what the
 * dialog showed and with the versions it was read at, so a sync that came meanwhile is neither
 * undone nor overwritten as if seen (the store keeps a value it replaces unseen as a conflict).
 */
static DftRecord *
person_to_save (DftPersonDialog *self)
{
  DftRecord *person = self->person != NULL ? g_object_ref (self->person)
                                           : dft_record_new_for_entity (&dft_entity_person);
  gboolean   consent = gtk_switch_get_active (self->consent_switch);

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autofree char *text = dft_ui_editable_text (row_for (self, i));
      set_if_changed (person, rows[i].field, text);
    }
  set_if_changed (person, "country", dft_country_row_get_value (self->country_row));
  set_if_changed (person, "gender", _dft_person_dialog_gender_chosen (self));
  if (dft_record_get_bool (person, "consent") != consent)
    {
      g_autofree char *today = dft_ui_today ();
      dft_record_set_bool (person, "consent", consent);
      set_if_changed (person, "consent_date", consent ? today : NULL);
    }
  return person;
}

const char *
_dft_person_dialog_gender_chosen (DftPersonDialog *self)
{
  guint gender = adw_combo_row_get_selected (self->gender_row);

  /* The first choice is "not given". */
  return gender > 0 && gender <= g_strv_length ((char **) dft_gender_choices)
             ? dft_gender_choices[gender - 1]
             : NULL;
}

const char *
_dft_person_dialog_role_chosen (DftPersonDialog *self)
{
  guint role = adw_combo_row_get_selected (self->role_row);

  return role < g_strv_length ((char **) dft_role_choices) ? dft_role_choices[role] : "participant";
}

static void
save_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (DftPersonDialog) self = user_data;
  g_autoptr (GError)          error = NULL;
  gboolean                    saved;

  dft_application_default_end_work ();
  saved = g_async_result_is_tagged (result, dft_people_register_async)
              ? dft_people_register_finish (DFT_STORE (source), result, &error)
              : dft_people_update_finish (DFT_STORE (source), result, &error);
  self->saving = FALSE;
  gtk_widget_set_sensitive (self->save_button, TRUE);
  if (!saved)
    {
      /* What was typed stays: the person can correct it and save again. */
      gtk_label_set_text (self->name_error, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->name_error), TRUE);
      return;
    }
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
save_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftPersonDialog      *self = DFT_PERSON_DIALOG (widget);
  g_autoptr (DftRecord) person = NULL;
  guint                 role = adw_combo_row_get_selected (self->role_row);
  const char           *new_role = NULL; /* NULL when the user left it as it was */

  self->tried = TRUE;
  if (self->saving || !validate (self))
    return;
  if (role != self->role_shown || self->person == NULL)
    new_role = _dft_person_dialog_role_chosen (self);
  person = person_to_save (self);
  self->saving = TRUE;
  gtk_widget_set_sensitive (self->save_button, FALSE);
  dft_application_default_begin_work ();
  /* With the enrollment, in one transaction: never a person half-registered without their
   * workshop. */
  if (self->person == NULL)
    dft_people_register_async (self->store, person, self->event_id, new_role, NULL, save_done_cb,
                               g_object_ref (self));
  else
    dft_people_update_async (self->store, person, self->event_id, new_role, NULL, save_done_cb,
                             g_object_ref (self));
}

static void
dft_person_dialog_dispose (GObject *object)
{
  DftPersonDialog *self = DFT_PERSON_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->lookup_source, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), DFT_TYPE_PERSON_DIALOG);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->finder);
  g_clear_pointer (&self->candidates_shown, g_free);
  g_clear_object (&self->store);
  g_clear_pointer (&self->event_id, g_free);
  g_clear_object (&self->person);

  G_OBJECT_CLASS (dft_person_dialog_parent_class)->dispose (object);
}

static void
dft_person_dialog_class_init (DftPersonDialogClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dft_person_dialog_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/daftari/Daftari/dft-person-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, DftPersonDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, DftPersonDialog, save_button);
  gtk_widget_class_bind_template_child (widget_class, DftPersonDialog, given_row);
  gtk_widget_class_bind_template_child (widget_class, DftPersonDialog, family_row);
  gtk_widget_class_bind_template_child (widget_class, DftPersonDialog, name_error);
  gtk_widget_class_bind_template_child (widget_class, DftPersonDialog, gender_row);
  gtk_widget_class_bind_template_child (widget_class, DftPersonDialog, role_row);
  gtk_widget_class_bind_template_child (widget_class, DftPersonDialog, agency_row);
  gtk_widget_class_bind_template_child (widget_class, DftPersonDialog, position_row);
  gtk_widget_class_bind_template_child (widget_class, DftPersonDialog, country_row);
  gtk_widget_class_bind_template_child (widget_class, DftPersonDialog, email_row);
  gtk_widget_class_bind_template_child (widget_class, DftPersonDialog, phone_row);
  gtk_widget_class_bind_template_child (widget_class, DftPersonDialog, contact_error);
  gtk_widget_class_bind_template_child (widget_class, DftPersonDialog, consent_switch);
  gtk_widget_class_bind_template_child (widget_class, DftPersonDialog, duplicates_box);
  gtk_widget_class_bind_template_child (widget_class, DftPersonDialog, duplicates_list);
  gtk_widget_class_bind_template_callback (widget_class, changed_cb);

  gtk_widget_class_install_action (widget_class, "dialog.save", NULL, save_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "dialog.save",
                                       NULL);
}

static void
dft_person_dialog_init (DftPersonDialog *self)
{
  g_autoptr (GtkStringList) genders = gtk_string_list_new (NULL);
  g_autoptr (GtkStringList) roles = gtk_string_list_new (NULL);

  g_type_ensure (DFT_TYPE_COUNTRY_ROW);
  gtk_widget_init_template (GTK_WIDGET (self));
  dft_ui_dialog_save_keys (GTK_WINDOW (self), self->save_button);
  gtk_string_list_append (genders, dft_gender_label (NULL));
  for (guint i = 0; dft_gender_choices[i] != NULL; i++)
    gtk_string_list_append (genders, dft_gender_label (dft_gender_choices[i]));
  adw_combo_row_set_model (self->gender_row, G_LIST_MODEL (genders));
  for (guint i = 0; dft_role_choices[i] != NULL; i++)
    gtk_string_list_append (roles, dft_role_label (dft_role_choices[i]));
  adw_combo_row_set_model (self->role_row, G_LIST_MODEL (roles));
}

/* ---- Agencies and positions the team already wrote --------------------------------------- */

#define SUGGESTIONS_MAX 200

typedef struct
{
  DftStore *store;
  GStrv     agencies;
  GStrv     positions;
} SuggestJob;

static void
suggest_job_free (gpointer data)
{
  SuggestJob *job = data;

  g_object_unref (job->store);
  g_strfreev (job->agencies);
  g_strfreev (job->positions);
  g_free (job);
}

static gboolean
suggest_work (gpointer data, GCancellable *cancellable, GError **error)
{
  SuggestJob *job = data;

  job->agencies
      = dft_store_list_values (job->store, &dft_entity_person, "agency", SUGGESTIONS_MAX, error);
  if (job->agencies == NULL)
    return FALSE;
  job->positions
      = dft_store_list_values (job->store, &dft_entity_person, "position", SUGGESTIONS_MAX, error);
  return job->positions != NULL;
}

static void
suggest_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftPersonDialog   *self = DFT_PERSON_DIALOG (source);
  SuggestJob        *job = dft_ui_run_get_data (result);
  g_autoptr (GError) error = NULL;

  /* Without them the dialog works as before: only the offer is missing. */
  if (!dft_ui_run_finish (result, &error))
    {
      g_warning ("Could not read the agencies already used: %s", error->message);
      return;
    }
  dft_suggest_set_values (GTK_WIDGET (self->agency_row), (const char *const *) job->agencies);
  dft_suggest_set_values (GTK_WIDGET (self->position_row), (const char *const *) job->positions);
}

static void
load_suggestions (DftPersonDialog *self)
{
  SuggestJob *job = g_new0 (SuggestJob, 1);

  job->store = g_object_ref (self->store);
  dft_ui_run_async (self, suggest_work, job, suggest_job_free, NULL, suggest_done_cb, NULL);
}

DftPersonDialog *
dft_person_dialog_new (DftStore *store, const char *event_id, DftRecord *person, const char *role)
{
  DftPersonDialog *self;

  g_return_val_if_fail (DFT_IS_STORE (store), NULL);
  g_return_val_if_fail (event_id != NULL, NULL);

  self = g_object_new (DFT_TYPE_PERSON_DIALOG, NULL);
  self->store = g_object_ref (store);
  self->event_id = g_strdup (event_id);
  load_suggestions (self);
  for (guint i = 0; role != NULL && dft_role_choices[i] != NULL; i++)
    if (g_str_equal (dft_role_choices[i], role))
      adw_combo_row_set_selected (self->role_row, i);
  if (person != NULL)
    {
      self->person = dft_record_dup (person);
      for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
        gtk_editable_set_text (row_for (self, i),
                               dft_record_get_string (person, rows[i].field) ?: "");
      dft_person_dialog_set_field (self, "gender", dft_record_get_string (person, "gender"));
      dft_country_row_set_value (self->country_row, dft_record_get_string (person, "country"));
      gtk_switch_set_active (self->consent_switch, dft_record_get_bool (person, "consent"));
      self->role_shown = adw_combo_row_get_selected (self->role_row);
      gtk_window_set_title (GTK_WINDOW (self), _ ("Edit Person"));
    }
  else
    {
      gtk_window_set_title (GTK_WINDOW (self), _ ("Add Person"));
      _dft_person_dialog_watch_for_duplicates (self);
    }
  adw_window_title_set_title (self->window_title, gtk_window_get_title (GTK_WINDOW (self)));
  gtk_widget_grab_focus (GTK_WIDGET (self->given_row));
  return self;
}
