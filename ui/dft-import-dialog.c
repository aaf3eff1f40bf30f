/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dft-import-dialog.h"
#include "dft-ui-util.h"

#define PREVIEW_ROWS 8

struct _DftImportDialog
{
  AdwWindow parent_instance;

  GtkLabel       *summary_label;
  GtkGrid        *grid;
  GtkLabel       *error_label;
  GtkProgressBar *progress;
  GtkWidget      *import_button;

  DftImport    *import;
  DftStore     *store;
  char         *event_id;
  GCancellable *cancellable; /* set while the import runs */
  GPtrArray    *dropdowns;
  guint         pulse_id;
};

G_DEFINE_FINAL_TYPE (DftImportDialog, dft_import_dialog, ADW_TYPE_WINDOW)

/* The translated label of a person's field, from the schema. */
static const char *
field_label (const char *field)
{
  int index = dft_entity_field_index (&dft_entity_person, field);

  if (index < 0)
    return field;
  return g_dgettext (GETTEXT_PACKAGE, dft_entity_person.fields[index].label);
}

static void
mapping_changed_cb (GtkDropDown *dropdown, GParamSpec *pspec, DftImportDialog *self)
{
  const char *const *fields = dft_import_list_fields ();
  guint              column = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (dropdown), "column"));
  guint              selected = gtk_drop_down_get_selected (dropdown);
  g_autoptr (GError) error = NULL;

  if (!dft_import_set_mapping (self->import, column, selected == 0 ? NULL : fields[selected - 1],
                               &error))
    {
      dft_ui_toast_error (GTK_WIDGET (self), error);
      return;
    }
  /* One column per field: choosing a field elsewhere takes it from the column that had it. */
  for (guint c = 0; c < self->dropdowns->len; c++)
    {
      GtkDropDown *other = g_ptr_array_index (self->dropdowns, c);
      const char  *mapped = dft_import_get_mapping (self->import, c);
      guint        position = 0;

      for (guint i = 0; mapped != NULL && fields[i] != NULL; i++)
        if (g_str_equal (fields[i], mapped))
          position = i + 1;
      if (gtk_drop_down_get_selected (other) != position)
        {
          g_signal_handlers_block_by_func (other, mapping_changed_cb, self);
          gtk_drop_down_set_selected (other, position);
          g_signal_handlers_unblock_by_func (other, mapping_changed_cb, self);
        }
    }
}

static void
fill_preview (DftImportDialog *self)
{
  const char *const        *fields = dft_import_list_fields ();
  guint                     n_columns = dft_import_get_n_columns (self->import);
  guint                     n_rows = dft_import_get_n_rows (self->import);
  g_autoptr (GtkStringList) choices = gtk_string_list_new (NULL);
  g_autofree char          *summary = NULL;

  gtk_string_list_append (choices, _ ("Do not import"));
  for (guint i = 0; fields[i] != NULL; i++)
    gtk_string_list_append (choices, field_label (fields[i]));

  /* Translators: %u is a number of rows in a spreadsheet */
  summary = g_strdup_printf (ngettext ("%u person in the sheet. Choose what each column holds; "
                                       "the first rows are shown.",
                                       "%u people in the sheet. Choose what each column holds; "
                                       "the first rows are shown.",
                                       n_rows),
                             n_rows);
  gtk_label_set_text (self->summary_label, summary);

  for (guint c = 0; c < n_columns; c++)
    {
      GtkWidget       *dropdown = gtk_drop_down_new (g_object_ref (G_LIST_MODEL (choices)), NULL);
      GtkWidget       *header = gtk_label_new (dft_import_get_header (self->import, c));
      const char      *mapped = dft_import_get_mapping (self->import, c);
      g_autofree char *label = NULL;

      for (guint i = 0; mapped != NULL && fields[i] != NULL; i++)
        if (g_str_equal (fields[i], mapped))
          gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), i + 1);
      g_object_set_data (G_OBJECT (dropdown), "column", GUINT_TO_POINTER (c));
      g_signal_connect (dropdown, "notify::selected", G_CALLBACK (mapping_changed_cb), self);
      /* Translators: %s is a column's heading in a spreadsheet */
      label = g_strdup_printf (_ ("What the column “%s” holds"),
                               dft_import_get_header (self->import, c));
      gtk_accessible_update_property (GTK_ACCESSIBLE (dropdown), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      label, -1);
      g_ptr_array_add (self->dropdowns, dropdown);
      gtk_grid_attach (self->grid, dropdown, (int) c, 0, 1, 1);

      gtk_label_set_xalign (GTK_LABEL (header), 0);
      gtk_widget_add_css_class (header, "heading");
      gtk_grid_attach (self->grid, header, (int) c, 1, 1, 1);
      for (guint r = 0; r < MIN (n_rows, PREVIEW_ROWS); r++)
        {
          GtkWidget *cell = gtk_label_new (dft_import_get_cell (self->import, r, c));
          gtk_label_set_xalign (GTK_LABEL (cell), 0);
          gtk_label_set_ellipsize (GTK_LABEL (cell), PANGO_ELLIPSIZE_END);
          gtk_label_set_max_width_chars (GTK_LABEL (cell), 24);
          gtk_grid_attach (self->grid, cell, (int) c, (int) r + 2, 1, 1);
        }
    }
}

static gboolean
pulse_cb (gpointer data)
{
  DftImportDialog *self = data;

  gtk_progress_bar_pulse (self->progress);
  return G_SOURCE_CONTINUE;
}

static void
set_running (DftImportDialog *self, gboolean running)
{
  gtk_widget_set_visible (GTK_WIDGET (self->progress), running);
  gtk_widget_set_sensitive (self->import_button, !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->grid), !running);
  if (running && self->pulse_id == 0)
    self->pulse_id = g_timeout_add (100, pulse_cb, self);
  else if (!running)
    g_clear_handle_id (&self->pulse_id, g_source_remove);
}

static void
run_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (DftImportDialog) self = user_data;
  g_autoptr (GError)          error = NULL;
  g_autoptr (GPtrArray)       row_errors = NULL;
  guint                       created = 0, reused = 0;

  g_clear_object (&self->cancellable);
  if (self->store == NULL)
    return; /* closed meanwhile */
  set_running (self, FALSE);
  if (!dft_import_run_finish (DFT_IMPORT (source), result, &created, &reused, &row_errors, &error))
    {
      g_autoptr (GString) text = g_string_new (error->message);

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_string_assign (text, _ ("The import was stopped; nobody was imported."));
      for (guint i = 0; row_errors != NULL && i < row_errors->len && i < 20; i++)
        g_string_append_printf (text, "\n%s", (const char *) g_ptr_array_index (row_errors, i));
      gtk_label_set_text (self->error_label, text->str);
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
      return;
    }
  {
    g_autofree char *message = NULL;
    GtkWindow       *parent = gtk_window_get_transient_for (GTK_WINDOW (self));

    message = g_strdup_printf (
        /* Translators: %u is a number of people; the second sentence follows */
        ngettext ("Imported %u person", "Imported %u people", created + reused), created + reused);
    dft_ui_toast (parent != NULL ? GTK_WIDGET (parent) : GTK_WIDGET (self), message);
  }
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
run_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftImportDialog *self = DFT_IMPORT_DIALOG (widget);

  if (self->cancellable != NULL)
    return;
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  self->cancellable = g_cancellable_new ();
  set_running (self, TRUE);
  dft_import_run_async (self->import, self->store, self->event_id, self->cancellable, run_done_cb,
                        g_object_ref (self));
}

static void
cancel_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftImportDialog *self = DFT_IMPORT_DIALOG (widget);

  /* While importing, Cancel stops the import (nothing is saved); otherwise it closes. */
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  else
    gtk_window_close (GTK_WINDOW (self));
}

static void
dft_import_dialog_dispose (GObject *object)
{
  DftImportDialog *self = DFT_IMPORT_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->pulse_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), DFT_TYPE_IMPORT_DIALOG);
  g_clear_object (&self->import);
  g_clear_object (&self->store);
  g_clear_pointer (&self->event_id, g_free);
  g_clear_pointer (&self->dropdowns, g_ptr_array_unref);

  G_OBJECT_CLASS (dft_import_dialog_parent_class)->dispose (object);
}

static void
dft_import_dialog_class_init (DftImportDialogClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dft_import_dialog_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/daftari/Daftari/dft-import-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, DftImportDialog, summary_label);
  gtk_widget_class_bind_template_child (widget_class, DftImportDialog, grid);
  gtk_widget_class_bind_template_child (widget_class, DftImportDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, DftImportDialog, progress);
  gtk_widget_class_bind_template_child (widget_class, DftImportDialog, import_button);

  gtk_widget_class_install_action (widget_class, "import.run", NULL, run_activated);
  gtk_widget_class_install_action (widget_class, "import.cancel", NULL, cancel_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "import.cancel", NULL);
}

static void
dft_import_dialog_init (DftImportDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->dropdowns = g_ptr_array_new ();
}

DftImportDialog *
dft_import_dialog_new (DftImport *import, DftStore *store, const char *event_id)
{
  DftImportDialog *self;

  g_return_val_if_fail (DFT_IS_IMPORT (import), NULL);
  g_return_val_if_fail (DFT_IS_STORE (store), NULL);

  self = g_object_new (DFT_TYPE_IMPORT_DIALOG, NULL);
  self->import = g_object_ref (import);
  self->store = g_object_ref (store);
  self->event_id = g_strdup (event_id);
  fill_preview (self);
  return self;
}
