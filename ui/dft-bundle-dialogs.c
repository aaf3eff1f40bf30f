/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dft-bundle-dialogs.h"

/* ---- Who the file is for ------------------------------------------------------------------ */

static GtkWidget *
choice_row (
    GtkWidget *list, const char *title, const char *subtitle, GtkWidget *group, GtkWidget **check)
{
  GtkWidget *row = adw_action_row_new ();

  *check = gtk_check_button_new ();
  gtk_widget_set_valign (*check, GTK_ALIGN_CENTER);
  if (group != NULL)
    gtk_check_button_set_group (GTK_CHECK_BUTTON (*check), GTK_CHECK_BUTTON (group));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), *check);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), *check);
  gtk_list_box_append (GTK_LIST_BOX (list), row);
  return row;
}

GtkWidget *
dft_bundle_recipient_dialog_new (GtkWindow *parent, gboolean signed_in)
{
  GtkWidget *dialog, *list, *server_row, *server_check, *laptop_check;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);

  dialog = adw_message_dialog_new (parent, _ ("Export Changes"), _ ("Who is the file for?"));
  list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  gtk_accessible_update_property (GTK_ACCESSIBLE (list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Who the file is for"), -1);
  server_row = choice_row (list, _ ("The server"),
                           signed_in ? _ ("Only the server can open it")
                                     : _ ("Sign in to a server first: only it could open the file"),
                           NULL, &server_check);
  choice_row (list, _ ("Another laptop"),
              _ ("Protected by a passphrase, shown once after the file is written"), server_check,
              &laptop_check);
  gtk_widget_set_sensitive (server_row, signed_in);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (signed_in ? server_check : laptop_check), TRUE);
  g_object_set_data (G_OBJECT (dialog), "server-check", server_check);

  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), list);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _ ("_Cancel"), "export",
                                    _ ("_Export"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "export",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "export");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  return dialog;
}

gboolean
dft_bundle_recipient_dialog_get_for_server (GtkWidget *dialog)
{
  GtkWidget *check;

  g_return_val_if_fail (ADW_IS_MESSAGE_DIALOG (dialog), FALSE);
  check = g_object_get_data (G_OBJECT (dialog), "server-check");
  g_return_val_if_fail (GTK_IS_CHECK_BUTTON (check), FALSE);
  return gtk_widget_is_sensitive (check) && gtk_check_button_get_active (GTK_CHECK_BUTTON (check));
}

/* ---- The passphrase, shown once ----------------------------------------------------------- */

static void
copy_clicked_cb (GtkButton *button, const char *passphrase)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)), passphrase);
  gtk_button_set_label (button, _ ("Copied"));
}

GtkWidget *
dft_bundle_passphrase_dialog_new (GtkWindow *parent, const char *passphrase)
{
  GtkWidget       *dialog, *box, *label, *copy;
  g_auto (GStrv)   groups = NULL;
  g_autofree char *spoken = NULL;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (passphrase != NULL, NULL);

  dialog = adw_message_dialog_new (
      parent, _ ("Passphrase for the File"),
      _ ("Tell it to the person who will import the file, another way than the USB stick: the "
         "file cannot be imported without it. It is shown only this once."));
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);

  /* Groups of five with spaces between, to read aloud and to wrap on a narrow screen; the
   * importer takes it with spaces, dashes or neither. */
  groups = g_strsplit (passphrase, "-", -1);
  spoken = g_strjoinv (" ", groups);
  label = gtk_label_new (spoken);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_CENTER);
  /* A code, read left to right in every language. */
  gtk_widget_set_direction (label, GTK_TEXT_DIR_LTR);
  gtk_widget_add_css_class (label, "title-1");
  gtk_widget_add_css_class (label, "monospace");
  gtk_accessible_update_property (GTK_ACCESSIBLE (label), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Passphrase"), -1);
  gtk_box_append (GTK_BOX (box), label);

  copy = gtk_button_new_with_mnemonic (_ ("_Copy"));
  gtk_widget_set_halign (copy, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (copy, "pill");
  g_signal_connect_data (copy, "clicked", G_CALLBACK (copy_clicked_cb), g_strdup (passphrase),
                         (GClosureNotify) (void (*) (void)) g_free, 0);
  gtk_box_append (GTK_BOX (box), copy);

  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _ ("_Done"));
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "close");
  return dialog;
}

/* ---- Asking for the passphrase ------------------------------------------------------------ */

static void
passphrase_changed_cb (GtkEditable *entry, AdwMessageDialog *dialog)
{
  adw_message_dialog_set_response_enabled (dialog, "import",
                                           *gtk_editable_get_text (entry) != '\0');
}

/* GTK 4.8's password entry leaves a handler on its inner text, which a window that still has
 * that text as its focus widget notifies after the entry is gone: let go of the focus first. */
static void
unlock_response_cb (GtkWindow *dialog, const char *response, gpointer user_data)
{
  gtk_window_set_focus (dialog, NULL);
}

GtkWidget *
dft_bundle_unlock_dialog_new (GtkWindow *parent, GFile *file, const char *problem)
{
  GtkWidget       *dialog, *box, *entry, *error_label;
  g_autofree char *basename = NULL;
  g_autofree char *name = NULL;
  g_autofree char *body = NULL;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (G_IS_FILE (file), NULL);

  basename = g_file_get_basename (file);
  name = g_filename_display_name (basename);
  body = g_strdup_printf (
      /* Translators: %s is a file name */
      _ ("“%s” is protected by a passphrase. Type the one shown when the file was made; dashes, "
         "spaces and capitals do not matter."),
      name);
  /* The body is plain text (body-use-markup is off): the file name is shown as it is. */
  dialog = adw_message_dialog_new (parent, _ ("Passphrase Needed"), body);
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);

  entry = gtk_password_entry_new ();
  gtk_password_entry_set_show_peek_icon (GTK_PASSWORD_ENTRY (entry), TRUE);
  g_object_set (entry, "activates-default", TRUE, NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Passphrase"), -1);
  g_signal_connect_object (entry, "changed", G_CALLBACK (passphrase_changed_cb), dialog, 0);
  gtk_box_append (GTK_BOX (box), entry);

  error_label = gtk_label_new (problem);
  gtk_label_set_wrap (GTK_LABEL (error_label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (error_label), 0);
  gtk_widget_add_css_class (error_label, "error");
  gtk_widget_set_visible (error_label, problem != NULL);
  gtk_box_append (GTK_BOX (box), error_label);
  if (problem != NULL)
    gtk_accessible_update_relation (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_RELATION_DESCRIBED_BY,
                                    error_label, NULL, -1);

  g_object_set_data (G_OBJECT (dialog), "entry", entry);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _ ("_Cancel"), "import",
                                    _ ("_Import"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "import",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), "import", FALSE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "import");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (unlock_response_cb), NULL);
  return dialog;
}

const char *
dft_bundle_unlock_dialog_get_passphrase (GtkWidget *dialog)
{
  GtkWidget *entry;

  g_return_val_if_fail (ADW_IS_MESSAGE_DIALOG (dialog), NULL);
  entry = g_object_get_data (G_OBJECT (dialog), "entry");
  g_return_val_if_fail (GTK_IS_EDITABLE (entry), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (entry));
}
