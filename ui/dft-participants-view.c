/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dft-application.h"
#include "dft-country.h"
#include "dft-import-dialog.h"
#include "dft-import.h"
#include "dft-participants-view.h"
#include "dft-people.h"
#include "dft-person-dialog.h"
#include "dft-record-list.h"
#include "dft-ui-util.h"

struct _DftParticipantsView
{
  AdwBin parent_instance;

  GtkSearchEntry *search_entry;
  GtkLabel       *truncated_label;
  GtkStack       *stack;
  GtkColumnView  *column_view;

  DftStore           *store;
  DftRecord          *event;
  GListModel         *people;      /* enrolled people, searched by the store in any script */
  GListModel         *enrollments; /* for each person's role, one model rather than a query a row */
  GSignalGroup       *people_signals;
  GSignalGroup       *enrollments_signals;
  GHashTable         *roles; /* person id → role */
  GtkSingleSelection *selection;
};

G_DEFINE_FINAL_TYPE (DftParticipantsView, dft_participants_view, ADW_TYPE_BIN)

enum
{
  COLUMN_NAME,
  COLUMN_ROLE,
  COLUMN_GENDER,
  COLUMN_AGENCY,
  COLUMN_POSITION,
  COLUMN_COUNTRY,
};

static char *
cell_text (DftParticipantsView *self, DftRecord *person, int column)
{
  switch (column)
    {
    case COLUMN_NAME:
      return g_strjoin (" ", dft_record_get_string (person, "given_name") ?: "",
                        dft_record_get_string (person, "family_name") ?: "", NULL);
    case COLUMN_ROLE:
      return g_strdup (
          dft_role_label (g_hash_table_lookup (self->roles, dft_record_get_id (person))));
    case COLUMN_GENDER:
      return g_strdup (dft_gender_label (dft_record_get_string (person, "gender")));
    case COLUMN_AGENCY:
      return g_strdup (dft_record_get_string (person, "agency"));
    case COLUMN_POSITION:
      return g_strdup (dft_record_get_string (person, "position"));
    case COLUMN_COUNTRY:
      return g_strdup (dft_record_get_string (person, "country"));
    default:
      g_assert_not_reached ();
    }
}

static void
setup_cell_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  GtkWidget *label = gtk_label_new (NULL);
  int        column = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (factory), "column"));

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  /* Names and free text are shown whole: on a narrow screen the table scrolls sideways (as
   * it does for role and gender) rather than cutting a name or an agency short, which a
   * trainer then has to guess. */
  if (column != COLUMN_ROLE && column != COLUMN_GENDER && column != COLUMN_COUNTRY)
    gtk_label_set_width_chars (GTK_LABEL (label), column == COLUMN_NAME ? 14 : 8);
  gtk_list_item_set_child (item, label);
}

static void
bind_cell_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  DftParticipantsView *self = user_data;
  int                  column = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (factory), "column"));
  g_autofree char     *text = cell_text (self, gtk_list_item_get_item (item), column);

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), text);
}

static void
add_column (DftParticipantsView *self, int column, const char *title, gboolean expand)
{
  g_autoptr (GtkListItemFactory)  factory = gtk_signal_list_item_factory_new ();
  g_autoptr (GtkColumnViewColumn) view_column = NULL;

  g_object_set_data (G_OBJECT (factory), "column", GINT_TO_POINTER (column));
  g_signal_connect (factory, "setup", G_CALLBACK (setup_cell_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cell_cb), self);
  view_column = gtk_column_view_column_new (title, g_object_ref (factory));
  gtk_column_view_column_set_expand (view_column, expand);
  gtk_column_view_column_set_resizable (view_column, TRUE);
  gtk_column_view_append_column (self->column_view, view_column);
}

static void
update_stack (DftParticipantsView *self)
{
  gboolean any = self->people != NULL && g_list_model_get_n_items (self->people) > 0;
  gboolean searching = *gtk_editable_get_text (GTK_EDITABLE (self->search_entry)) != '\0';

  gtk_stack_set_visible_child_name (self->stack, any ? "list" : searching ? "none" : "empty");
  /* A search shows its first DFT_RECORD_LIST_SEARCH_LIMIT matches only: say so, or a person
   * looked for further down the alphabet would seem not to be registered. */
  gtk_widget_set_visible (GTK_WIDGET (self->truncated_label),
                          any && searching
                              && dft_record_list_get_truncated (DFT_RECORD_LIST (self->people)));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "participants.edit", any);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "participants.remove", any);
}

static void
enrollments_changed_cb (DftParticipantsView *self)
{
  guint n = g_list_model_get_n_items (self->enrollments);

  g_hash_table_remove_all (self->roles);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (DftRecord) enrollment = g_list_model_get_item (self->enrollments, i);
      g_hash_table_insert (self->roles, g_strdup (dft_record_get_string (enrollment, "person_id")),
                           g_strdup (dft_record_get_string (enrollment, "role")));
    }
}

static void
search_changed_cb (DftParticipantsView *self)
{
  if (self->people != NULL)
    dft_record_list_set_search (DFT_RECORD_LIST (self->people),
                                gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
  update_stack (self);
}

void
dft_participants_view_set_event (DftParticipantsView *self, DftStore *store, DftRecord *event)
{
  gboolean same;

  g_return_if_fail (DFT_IS_PARTICIPANTS_VIEW (self));

  same = self->event != NULL && event != NULL
         && g_strcmp0 (dft_record_get_id (self->event), dft_record_get_id (event)) == 0;
  g_set_object (&self->event, event);
  g_set_object (&self->store, store);
  if (same)
    return;
  g_clear_object (&self->people);
  g_clear_object (&self->enrollments);
  g_hash_table_remove_all (self->roles);
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  if (event != NULL)
    {
      self->people = dft_store_list_people (store, dft_record_get_id (event));
      self->enrollments = dft_store_list_enrollments (store, dft_record_get_id (event));
    }
  g_signal_group_set_target (self->people_signals, self->people);
  g_signal_group_set_target (self->enrollments_signals, self->enrollments);
  gtk_single_selection_set_model (self->selection, self->people);
  update_stack (self);
}

void
dft_participants_view_focus_search (DftParticipantsView *self)
{
  g_return_if_fail (DFT_IS_PARTICIPANTS_VIEW (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

void
dft_participants_view_set_search (DftParticipantsView *self, const char *text)
{
  g_return_if_fail (DFT_IS_PARTICIPANTS_VIEW (self));
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), text);
  search_changed_cb (self);
}

GListModel *
dft_participants_view_get_people (DftParticipantsView *self)
{
  g_return_val_if_fail (DFT_IS_PARTICIPANTS_VIEW (self), NULL);
  return self->people;
}

void
dft_participants_view_select (DftParticipantsView *self, guint position)
{
  g_return_if_fail (DFT_IS_PARTICIPANTS_VIEW (self));
  gtk_single_selection_set_selected (self->selection, position);
}

/* ---- Actions ------------------------------------------------------------ */

static void
present_dialog (DftParticipantsView *self, GtkWindow *dialog)
{
  gtk_window_set_transient_for (dialog, GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))));
  gtk_window_present (dialog);
}

static void
add_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftParticipantsView *self = DFT_PARTICIPANTS_VIEW (widget);
  DftPersonDialog     *dialog;
  g_autofree char     *country = NULL;

  if (self->event == NULL)
    return;
  dialog
      = dft_person_dialog_new (self->store, dft_record_get_id (self->event), NULL, "participant");
  /* Most participants come from the country the workshop is held in. */
  country = dft_country_normalize (dft_record_get_string (self->event, "country"));
  if (country != NULL)
    dft_person_dialog_set_field (dialog, "country", country);
  present_dialog (self, GTK_WINDOW (dialog));
}

static void
edit_person (DftParticipantsView *self, DftRecord *person)
{
  if (self->event == NULL || person == NULL)
    return;
  present_dialog (self, GTK_WINDOW (dft_person_dialog_new (
                            self->store, dft_record_get_id (self->event), person,
                            g_hash_table_lookup (self->roles, dft_record_get_id (person)))));
}

static void
edit_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftParticipantsView *self = DFT_PARTICIPANTS_VIEW (widget);

  edit_person (self, gtk_single_selection_get_selected_item (self->selection));
}

static void
activate_cb (DftParticipantsView *self, guint position)
{
  g_autoptr (DftRecord) person = g_list_model_get_item (self->people, position);

  edit_person (self, person);
}

/* A removal under way: whom, and their name for the toast that offers to undo it. */
typedef struct
{
  DftParticipantsView *self;
  char                *event_id;
  char                *person_id;
  char                *name;
} Removal;

static void
removal_free (Removal *removal)
{
  g_object_unref (removal->self);
  g_free (removal->event_id);
  g_free (removal->person_id);
  g_free (removal->name);
  g_free (removal);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Removal, removal_free)

static void
undo_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (DftParticipantsView) self = user_data;
  g_autoptr (GError)              error = NULL;

  dft_application_default_end_work ();
  if (!dft_people_restore_finish (DFT_STORE (source), result, &error))
    dft_ui_toast_error (GTK_WIDGET (self), error);
}

static void
undo_cb (AdwToast *toast, DftParticipantsView *self)
{
  const char *event_id = g_object_get_data (G_OBJECT (toast), "event-id");
  const char *person_id = g_object_get_data (G_OBJECT (toast), "person-id");

  if (self->store == NULL)
    return;
  dft_application_default_begin_work ();
  dft_people_restore_async (self->store, event_id, person_id, NULL, undo_done_cb,
                            g_object_ref (self));
}

static void
remove_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Removal)  removal = user_data;
  DftParticipantsView *self = removal->self;
  g_autoptr (GError)   error = NULL;
  g_autofree char     *escaped = NULL;
  g_autofree char     *message = NULL;
  AdwToast            *toast;

  dft_application_default_end_work ();
  if (!dft_people_remove_finish (DFT_STORE (source), result, &error))
    {
      dft_ui_toast_error (GTK_WIDGET (self), error);
      return;
    }
  /* A toast's title is markup, and names are typed by people: "Jean & Marie" is no markup. */
  escaped = g_markup_escape_text (removal->name, -1);
  /* Translators: %s is a person's name */
  message = g_strdup_printf (_ ("%s was removed from the workshop"), escaped);
  toast = adw_toast_new (message);
  adw_toast_set_button_label (toast, _ ("_Undo"));
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  g_object_set_data_full (G_OBJECT (toast), "event-id", g_steal_pointer (&removal->event_id),
                          g_free);
  g_object_set_data_full (G_OBJECT (toast), "person-id", g_steal_pointer (&removal->person_id),
                          g_free);
  g_signal_connect_object (toast, "button-clicked", G_CALLBACK (undo_cb), self, 0);
  dft_ui_add_toast (GTK_WIDGET (self), toast);
}

static void
remove_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftParticipantsView *self = DFT_PARTICIPANTS_VIEW (widget);
  DftRecord           *person = gtk_single_selection_get_selected_item (self->selection);
  Removal             *removal;

  if (self->event == NULL || person == NULL)
    return;
  removal = g_new0 (Removal, 1);
  removal->self = g_object_ref (self);
  removal->event_id = g_strdup (dft_record_get_id (self->event));
  removal->person_id = g_strdup (dft_record_get_id (person));
  removal->name = cell_text (self, person, COLUMN_NAME);
  dft_application_default_begin_work ();
  dft_people_remove_async (self->store, removal->event_id, removal->person_id, NULL, remove_done_cb,
                           removal);
}

static void import_read_cb (GObject *source, GAsyncResult *result, gpointer user_data);

/* Reading a big sheet takes a moment: in a worker; the preview opens once it is read. */
static void
import_file (DftParticipantsView *self, const char *path)
{
  if (self->event == NULL)
    return;
  dft_import_new_from_file_async (path, NULL, import_read_cb, g_object_ref (self));
}

static void
import_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (DftParticipantsView) self = user_data;
  g_autoptr (GError)              error = NULL;
  g_autoptr (DftImport)           import = dft_import_new_from_file_finish (result, &error);

  if (import == NULL)
    {
      dft_ui_toast_error (GTK_WIDGET (self), error);
      return;
    }
  if (self->event == NULL || gtk_widget_get_root (GTK_WIDGET (self)) == NULL)
    return;
  present_dialog (self, GTK_WINDOW (dft_import_dialog_new (import, self->store,
                                                           dft_record_get_id (self->event))));
}

static void
import_chooser_response_cb (GtkNativeDialog *chooser, int response, gpointer user_data)
{
  DftParticipantsView *self = user_data;
  g_autoptr (GFile)    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
  if (response != GTK_RESPONSE_ACCEPT || file == NULL || g_file_peek_path (file) == NULL)
    return;
  import_file (self, g_file_peek_path (file));
}

static void
import_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftParticipantsView      *self = DFT_PARTICIPANTS_VIEW (widget);
  GtkFileChooserNative     *chooser;
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();

  if (self->event == NULL)
    return;
  chooser = gtk_file_chooser_native_new (_ ("Import a Sign-up Sheet"),
                                         GTK_WINDOW (gtk_widget_get_root (widget)),
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _ ("_Open"), _ ("_Cancel"));
  gtk_file_filter_set_name (filter, _ ("Spreadsheets (CSV, XLSX)"));
  gtk_file_filter_add_suffix (filter, "csv");
  gtk_file_filter_add_suffix (filter, "xlsx");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (import_chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* The same with the sheet named by the caller, without asking: for tests and a drop target. */
static void
import_file_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  import_file (DFT_PARTICIPANTS_VIEW (widget), g_variant_get_string (parameter, NULL));
}

/* ---- GObject ------------------------------------------------------------ */

static void
dft_participants_view_dispose (GObject *object)
{
  DftParticipantsView *self = DFT_PARTICIPANTS_VIEW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), DFT_TYPE_PARTICIPANTS_VIEW);
  g_clear_object (&self->selection);
  g_clear_object (&self->people_signals);
  g_clear_object (&self->enrollments_signals);
  g_clear_object (&self->people);
  g_clear_object (&self->enrollments);
  g_clear_object (&self->event);
  g_clear_object (&self->store);
  g_clear_pointer (&self->roles, g_hash_table_unref);

  G_OBJECT_CLASS (dft_participants_view_parent_class)->dispose (object);
}

static void
dft_participants_view_class_init (DftParticipantsViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dft_participants_view_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/daftari/Daftari/dft-participants-view.ui");
  gtk_widget_class_bind_template_child (widget_class, DftParticipantsView, search_entry);
  gtk_widget_class_bind_template_child (widget_class, DftParticipantsView, truncated_label);
  gtk_widget_class_bind_template_child (widget_class, DftParticipantsView, stack);
  gtk_widget_class_bind_template_child (widget_class, DftParticipantsView, column_view);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, activate_cb);

  gtk_widget_class_install_action (widget_class, "participants.add", NULL, add_activated);
  gtk_widget_class_install_action (widget_class, "participants.edit", NULL, edit_activated);
  gtk_widget_class_install_action (widget_class, "participants.remove", NULL, remove_activated);
  gtk_widget_class_install_action (widget_class, "participants.import", NULL, import_activated);
  gtk_widget_class_install_action (widget_class, "participants.import-file", "s",
                                   import_file_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "participants.add", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F2, 0, "participants.edit", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "participants.remove",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_i, GDK_CONTROL_MASK,
                                       "participants.import", NULL);
}

static void
dft_participants_view_init (DftParticipantsView *self)
{
  g_autofree char *truncated = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));
  truncated = g_strdup_printf (
      /* Translators: %d is the most people a search shows (500); more matched the search */
      ngettext ("Showing the first %d match. Type more to narrow the search.",
                "Showing the first %d matches. Type more to narrow the search.",
                DFT_RECORD_LIST_SEARCH_LIMIT),
      DFT_RECORD_LIST_SEARCH_LIMIT);
  gtk_label_set_text (self->truncated_label, truncated);
  self->roles = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->people_signals = g_signal_group_new (DFT_TYPE_RECORD_LIST);
  g_signal_group_connect_object (self->people_signals, "items-changed", G_CALLBACK (update_stack),
                                 self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->people_signals, "notify::truncated",
                                 G_CALLBACK (update_stack), self, G_CONNECT_SWAPPED);
  self->enrollments_signals = g_signal_group_new (DFT_TYPE_RECORD_LIST);
  g_signal_group_connect_object (self->enrollments_signals, "items-changed",
                                 G_CALLBACK (enrollments_changed_cb), self, G_CONNECT_SWAPPED);
  self->selection = gtk_single_selection_new (NULL);
  gtk_single_selection_set_autoselect (self->selection, TRUE);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
  add_column (self, COLUMN_NAME, _ ("Name"), TRUE);
  add_column (self, COLUMN_ROLE, _ ("Role"), FALSE);
  add_column (self, COLUMN_GENDER, _ ("Gender"), FALSE);
  add_column (self, COLUMN_AGENCY, _ ("Agency"), TRUE);
  add_column (self, COLUMN_POSITION, _ ("Position"), FALSE);
  add_column (self, COLUMN_COUNTRY, _ ("Country"), FALSE);
  update_stack (self);
}
