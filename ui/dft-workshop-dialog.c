/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dft-country-row.h"
#include "dft-ui-util.h"
#include "dft-workshop-dialog.h"

struct _DftWorkshopDialog
{
  AdwWindow parent_instance;

  AdwWindowTitle *window_title;
  GtkWidget      *save_button;
  AdwEntryRow    *title_row;
  GtkLabel       *title_error;
  AdwEntryRow    *start_row;
  AdwEntryRow    *end_row;
  GtkLabel       *dates_error;
  AdwEntryRow    *track_row;
  DftCountryRow  *country_row;
  AdwEntryRow    *city_row;
  AdwEntryRow    *venue_row;
  AdwEntryRow    *language_row;
  AdwEntryRow    *trainers_row;
  AdwEntryRow    *partner_row;
  AdwEntryRow    *notes_row;

  DftStore  *store;
  DftRecord *event; /* the dialog's copy of what it showed, NULL for a new workshop */
  gboolean   tried; /* messages show after the first try to save, then follow the typing */
  gboolean   saving;
};

G_DEFINE_FINAL_TYPE (DftWorkshopDialog, dft_workshop_dialog, ADW_TYPE_WINDOW)

static const struct
{
  const char *field;
  gsize       offset;
} rows[] = {
  { "title", G_STRUCT_OFFSET (DftWorkshopDialog, title_row) },
  { "start_date", G_STRUCT_OFFSET (DftWorkshopDialog, start_row) },
  { "end_date", G_STRUCT_OFFSET (DftWorkshopDialog, end_row) },
  { "track", G_STRUCT_OFFSET (DftWorkshopDialog, track_row) },
  { "city", G_STRUCT_OFFSET (DftWorkshopDialog, city_row) },
  { "venue", G_STRUCT_OFFSET (DftWorkshopDialog, venue_row) },
  { "language", G_STRUCT_OFFSET (DftWorkshopDialog, language_row) },
  { "trainers", G_STRUCT_OFFSET (DftWorkshopDialog, trainers_row) },
  { "partner_agency", G_STRUCT_OFFSET (DftWorkshopDialog, partner_row) },
  { "notes", G_STRUCT_OFFSET (DftWorkshopDialog, notes_row) },
};

static GtkEditable *
row_for (DftWorkshopDialog *self, guint i)
{
  return G_STRUCT_MEMBER (GtkEditable *, self, rows[i].offset);
}

static void
show_error (GtkLabel *label, GtkWidget *row, const char *message)
{
  gtk_label_set_text (label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (label), message != NULL);
  if (message != NULL)
    {
      gtk_widget_add_css_class (row, "error");
      gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                      message, -1);
      gtk_accessible_update_state (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_STATE_INVALID,
                                   GTK_ACCESSIBLE_INVALID_TRUE, -1);
    }
  else
    {
      gtk_widget_remove_css_class (row, "error");
      gtk_accessible_reset_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
      gtk_accessible_reset_state (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_STATE_INVALID);
    }
}

gboolean
dft_workshop_dialog_validate (DftWorkshopDialog *self)
{
  g_autofree char *title = dft_ui_editable_text (GTK_EDITABLE (self->title_row));
  g_autofree char *start = dft_ui_editable_text (GTK_EDITABLE (self->start_row));
  g_autofree char *end = dft_ui_editable_text (GTK_EDITABLE (self->end_row));
  const char      *title_message = NULL;
  const char      *dates_message = NULL;
  GtkWidget       *dates_row = GTK_WIDGET (self->start_row);
  GDate            s, e;

  g_return_val_if_fail (DFT_IS_WORKSHOP_DIALOG (self), FALSE);

  if (title == NULL)
    title_message = _ ("A workshop needs a title.");
  if (start == NULL)
    dates_message = _ ("Give the first day, such as 2026-03-02.");
  else if (!dft_ui_parse_date (start, &s))
    dates_message = _ ("The first day is not a date: write it as year-month-day, such as "
                       "2026-03-02.");
  else if (end != NULL && !dft_ui_parse_date (end, &e))
    {
      dates_message = _ ("The last day is not a date: write it as year-month-day, such as "
                         "2026-03-04.");
      dates_row = GTK_WIDGET (self->end_row);
    }
  else if (end != NULL && g_date_compare (&e, &s) < 0)
    {
      dates_message = _ ("The last day comes before the first.");
      dates_row = GTK_WIDGET (self->end_row);
    }

  show_error (self->title_error, GTK_WIDGET (self->title_row), title_message);
  gtk_widget_remove_css_class (GTK_WIDGET (self->start_row), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->end_row), "error");
  show_error (self->dates_error, dates_row, dates_message);
  return title_message == NULL && dates_message == NULL;
}

static void
changed_cb (DftWorkshopDialog *self)
{
  if (self->tried)
    dft_workshop_dialog_validate (self);
}

void
dft_workshop_dialog_set_field (DftWorkshopDialog *self, const char *field, const char *text)
{
  g_return_if_fail (DFT_IS_WORKSHOP_DIALOG (self));

  if (g_str_equal (field, "country"))
    {
      dft_country_row_set_value (self->country_row, text);
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    if (g_str_equal (rows[i].field, field))
      {
        gtk_editable_set_text (row_for (self, i), text != NULL ? text : "");
        return;
      }
  g_critical ("A workshop has no field %s", field);
}

static void
save_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftWorkshopDialog    *self = DFT_WORKSHOP_DIALOG (source);
  g_autoptr (DftRecord) event = user_data;
  g_autoptr (GError)    error = NULL;
  GtkWindow            *parent = gtk_window_get_transient_for (GTK_WINDOW (self));

  self->saving = FALSE;
  gtk_widget_set_sensitive (self->save_button, TRUE);
  if (!dft_ui_run_finish (result, &error))
    {
      /* What was typed stays in the dialog: nothing is lost, the person can fix and retry. */
      gtk_label_set_text (self->title_error, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->title_error), TRUE);
      return;
    }
  if (parent != NULL)
    gtk_widget_activate_action (GTK_WIDGET (parent), "win.open-workshop", "s",
                                dft_record_get_id (event));
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
save_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftWorkshopDialog *self = DFT_WORKSHOP_DIALOG (widget);
  DftRecord         *event;

  self->tried = TRUE;
  if (self->saving || !dft_workshop_dialog_validate (self))
    return;
  /* Only what the user changed goes (a record marks a field changed only when its value does),
   * against what the dialog showed and with the versions it was read at: a sync that came
   * meanwhile is neither undone nor overwritten as if seen. */
  event = self->event != NULL ? g_object_ref (self->event)
                              : dft_record_new_for_entity (&dft_entity_event);
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autofree char *text = dft_ui_editable_text (row_for (self, i));

      /* A one-day workshop needs no last day. */
      if (text == NULL && g_str_equal (rows[i].field, "end_date"))
        text = dft_ui_editable_text (GTK_EDITABLE (self->start_row));
      dft_record_set_string (event, rows[i].field, text);
    }
  dft_record_set_string (event, "country", dft_country_row_get_value (self->country_row));
  self->saving = TRUE;
  gtk_widget_set_sensitive (self->save_button, FALSE);
  /* The store plans the sessions from the dates in the same transaction. */
  dft_ui_save_records_async (self, self->store, &event, 1, save_done_cb, event);
}

static void
dft_workshop_dialog_dispose (GObject *object)
{
  DftWorkshopDialog *self = DFT_WORKSHOP_DIALOG (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), DFT_TYPE_WORKSHOP_DIALOG);
  g_clear_object (&self->store);
  g_clear_object (&self->event);

  G_OBJECT_CLASS (dft_workshop_dialog_parent_class)->dispose (object);
}

static void
dft_workshop_dialog_class_init (DftWorkshopDialogClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dft_workshop_dialog_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/daftari/Daftari/dft-workshop-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, DftWorkshopDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, DftWorkshopDialog, save_button);
  gtk_widget_class_bind_template_child (widget_class, DftWorkshopDialog, title_row);
  gtk_widget_class_bind_template_child (widget_class, DftWorkshopDialog, title_error);
  gtk_widget_class_bind_template_child (widget_class, DftWorkshopDialog, start_row);
  gtk_widget_class_bind_template_child (widget_class, DftWorkshopDialog, end_row);
  gtk_widget_class_bind_template_child (widget_class, DftWorkshopDialog, dates_error);
  gtk_widget_class_bind_template_child (widget_class, DftWorkshopDialog, track_row);
  gtk_widget_class_bind_template_child (widget_class, DftWorkshopDialog, country_row);
  gtk_widget_class_bind_template_child (widget_class, DftWorkshopDialog, city_row);
  gtk_widget_class_bind_template_child (widget_class, DftWorkshopDialog, venue_row);
  gtk_widget_class_bind_template_child (widget_class, DftWorkshopDialog, language_row);
  gtk_widget_class_bind_template_child (widget_class, DftWorkshopDialog, trainers_row);
  gtk_widget_class_bind_template_child (widget_class, DftWorkshopDialog, partner_row);
  gtk_widget_class_bind_template_child (widget_class, DftWorkshopDialog, notes_row);
  gtk_widget_class_bind_template_callback (widget_class, changed_cb);

  gtk_widget_class_install_action (widget_class, "dialog.save", NULL, save_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "dialog.save",
                                       NULL);
}

static void
dft_workshop_dialog_init (DftWorkshopDialog *self)
{
  g_type_ensure (DFT_TYPE_COUNTRY_ROW);
  gtk_widget_init_template (GTK_WIDGET (self));
  dft_ui_dialog_save_keys (GTK_WINDOW (self), self->save_button);
}

DftWorkshopDialog *
dft_workshop_dialog_new (DftStore *store, DftRecord *event)
{
  DftWorkshopDialog *self;

  g_return_val_if_fail (DFT_IS_STORE (store), NULL);

  self = g_object_new (DFT_TYPE_WORKSHOP_DIALOG, NULL);
  self->store = g_object_ref (store);
  if (event != NULL)
    {
      self->event = dft_record_dup (event);
      for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
        gtk_editable_set_text (row_for (self, i),
                               dft_record_get_string (event, rows[i].field) ?: "");
      dft_country_row_set_value (self->country_row, dft_record_get_string (event, "country"));
      gtk_window_set_title (GTK_WINDOW (self), _ ("Edit Workshop"));
    }
  else
    gtk_window_set_title (GTK_WINDOW (self), _ ("New Workshop"));
  adw_window_title_set_title (self->window_title, gtk_window_get_title (GTK_WINDOW (self)));
  gtk_widget_grab_focus (GTK_WIDGET (self->title_row));
  return self;
}
