/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dft-conflicts-view.h"
#include "dft-format.h"
#include "dft-store-conflicts.h"
#include "dft-ui-util.h"

struct _DftConflictsView
{
  AdwBin parent_instance;

  GtkStack   *stack;
  GtkListBox *list;

  DftStore     *store;
  GSignalGroup *store_signals; /* the store's "changed::conflict" */
  GCancellable *cancellable;
  guint         n_conflicts;
  guint         busy;
  gboolean      reload_again; /* the store changed while a read was under way */
};

G_DEFINE_FINAL_TYPE (DftConflictsView, dft_conflicts_view, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_N_CONFLICTS,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
set_busy (DftConflictsView *self, gboolean busy)
{
  gboolean was = self->busy > 0;

  if (busy)
    self->busy++;
  else if (self->busy > 0)
    self->busy--;
  if (was != (self->busy > 0))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
set_n_conflicts (DftConflictsView *self, guint n)
{
  gtk_stack_set_visible_child_name (self->stack, n > 0 ? "list" : "empty");
  if (self->n_conflicts == n)
    return;
  self->n_conflicts = n;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_CONFLICTS]);
}

/* "written on 1a2b3c4d, 4 Dec, 13:05", "written on this laptop…", or less when unknown. */
static char *
describe_writer (DftConflictsView *self, const char *device, gint64 ms)
{
  g_autofree char *when = NULL;
  g_autofree char *who = NULL;

  if (ms > 0)
    {
      g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (ms / 1000);
      g_autoptr (GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;

      if (local != NULL)
        when = dft_format_date (local, DFT_DATE_STYLE_DAY_MONTH_TIME);
    }
  if (device != NULL && self->store != NULL
      && g_strcmp0 (device, dft_store_get_device_id (self->store)) == 0)
    who = g_strdup (_ ("this laptop"));
  else if (device != NULL)
    {
      g_autofree char *start = g_utf8_substring (device, 0, 8);

      /* Translators: %s is the first characters of another laptop's device id */
      who = g_strdup_printf (_ ("device %s"), start);
    }
  if (who != NULL && when != NULL)
    /* Translators: who wrote a value and when: "device 1a2b3c4d, 4 Dec, 13:05" */
    return g_strdup_printf (C_ ("conflict writer", "Written on %s, %s"), who, when);
  if (who != NULL)
    /* Translators: %s is who wrote a value: "device 1a2b3c4d" or "this laptop" */
    return g_strdup_printf (C_ ("conflict writer", "Written on %s"), who);
  if (when != NULL)
    /* Translators: %s is a date and time */
    return g_strdup_printf (C_ ("conflict writer", "Written %s"), when);
  return g_strdup (_ ("Writer unknown"));
}

static GtkWidget *
plain_label (const char *text, const char *css_class)
{
  GtkWidget *label = gtk_label_new (NULL);

  /* Values are data: never markup. */
  gtk_label_set_use_markup (GTK_LABEL (label), FALSE);
  gtk_label_set_text (GTK_LABEL (label), text);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_selectable (GTK_LABEL (label), FALSE);
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);
  return label;
}

static GtkWidget *
button_with_label (const char *text)
{
  GtkWidget *button = gtk_button_new ();
  GtkWidget *label = gtk_label_new_with_mnemonic (text);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_CENTER);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), button);
  gtk_button_set_child (GTK_BUTTON (button), label);
  return button;
}

/* ---- Deciding one ----------------------------------------------------------------------- */

typedef struct
{
  DftStore         *store;
  char             *id;
  char             *title; /* "Agency of Айбек Садыков", for the toast */
  DftConflictChoice choice;
  char             *value;
  GtkWidget        *row;
} ResolveJob;

static void
resolve_job_free (gpointer data)
{
  ResolveJob *job = data;

  g_object_unref (job->store);
  g_free (job->id);
  g_free (job->title);
  g_free (job->value);
  g_clear_object (&job->row);
  g_free (job);
}

static gboolean
resolve_work (gpointer data, GCancellable *cancellable, GError **error)
{
  ResolveJob *job = data;

  return dft_store_resolve_conflict (job->store, job->id, job->choice, job->value, error);
}

static void
resolved_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftConflictsView  *self = DFT_CONFLICTS_VIEW (source);
  ResolveJob        *job = dft_ui_run_get_data (result);
  g_autoptr (GError) error = NULL;

  set_busy (self, FALSE);
  if (!dft_ui_run_finish (result, &error))
    {
      gtk_widget_set_sensitive (job->row, TRUE);
      dft_ui_toast_error (GTK_WIDGET (self), error);
      return;
    }
  if (gtk_widget_get_parent (job->row) == GTK_WIDGET (self->list))
    {
      gtk_list_box_remove (self->list, job->row);
      set_n_conflicts (self, self->n_conflicts > 0 ? self->n_conflicts - 1 : 0);
    }
  {
    /* Translators: %s is "Айбек Садыков: Agency": a field of a record whose conflict was just
     * decided */
    g_autofree char *message = g_strdup_printf (_ ("Decided: %s"), job->title);
    dft_ui_toast (GTK_WIDGET (self), message);
  }
}

static void
resolve (DftConflictsView *self, GtkWidget *row, DftConflictChoice choice, const char *value)
{
  ResolveJob *job = g_new0 (ResolveJob, 1);

  job->store = g_object_ref (self->store);
  job->id = g_strdup (g_object_get_data (G_OBJECT (row), "conflict-id"));
  job->title = g_strdup (g_object_get_data (G_OBJECT (row), "conflict-title"));
  job->choice = choice;
  job->value = g_strdup (value);
  job->row = g_object_ref (row);
  gtk_widget_set_sensitive (row, FALSE);
  set_busy (self, TRUE);
  dft_ui_run_async (self, resolve_work, job, resolve_job_free, self->cancellable, resolved_cb,
                    NULL);
}

static GtkWidget *
row_of (GtkWidget *button)
{
  return gtk_widget_get_ancestor (button, GTK_TYPE_LIST_BOX_ROW);
}

static void
keep_current_clicked (GtkButton *button, DftConflictsView *self)
{
  resolve (self, row_of (GTK_WIDGET (button)), DFT_CONFLICT_KEEP_CURRENT, NULL);
}

static void
keep_other_clicked (GtkButton *button, DftConflictsView *self)
{
  resolve (self, row_of (GTK_WIDGET (button)), DFT_CONFLICT_KEEP_OTHER, NULL);
}

static void
new_value_response_cb (AdwMessageDialog *dialog, const char *response, DftConflictsView *self)
{
  GtkWidget       *row = g_object_get_data (G_OBJECT (dialog), "row");
  GtkEditable     *entry = g_object_get_data (G_OBJECT (dialog), "entry");
  g_autofree char *value = NULL;

  if (!g_str_equal (response, "set") || row == NULL)
    return;
  value = dft_ui_editable_text (entry);
  resolve (self, row, DFT_CONFLICT_NEW_VALUE, value);
}

static void
new_value_clicked (GtkButton *button, DftConflictsView *self)
{
  GtkWidget  *row = row_of (GTK_WIDGET (button));
  GtkRoot    *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget  *dialog;
  GtkWidget  *entry = gtk_entry_new ();
  const char *field = g_object_get_data (G_OBJECT (row), "field-label");

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _ ("Another Value"), NULL);
  adw_message_dialog_format_body (
      ADW_MESSAGE_DIALOG (dialog),
      /* Translators: %s is a field's name, "Agency"; the body of a dialog that asks for a value */
      _ ("The value “%s” should have instead of both."), field);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL, field, -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _ ("_Cancel"), "set",
                                    _ ("_Use This Value"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "set",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "set");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "row", g_object_ref (row), g_object_unref);
  g_object_set_data (G_OBJECT (dialog), "entry", entry);
  g_signal_connect_object (dialog, "response", G_CALLBACK (new_value_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

/* ---- The list ----------------------------------------------------------------------------- */

static GtkWidget *
value_box (const char *heading, const char *json, const char *writer)
{
  GtkWidget       *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  g_autofree char *value = dft_conflict_value_describe (json);

  gtk_box_append (GTK_BOX (box), plain_label (heading, "caption-heading"));
  gtk_box_append (GTK_BOX (box), plain_label (value, NULL));
  gtk_box_append (GTK_BOX (box), plain_label (writer, "dim-label"));
  return box;
}

static GtkWidget *
conflict_row (DftConflictsView *self, DftConflictView *view)
{
  GtkWidget       *row = gtk_list_box_row_new ();
  GtkWidget       *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
  GtkWidget       *buttons = gtk_flow_box_new ();
  GtkWidget       *button;
  g_autofree char *title = NULL;
  g_autofree char *now_by = describe_writer (self, view->current_device, view->current_ms);
  g_autofree char *other_by = describe_writer (self, view->other_device, view->other_ms);

  title = g_strdup_printf (
      /* Translators: a conflict's heading: the first %s is the record ("Айбек Садыков"), the
       * second its field ("Agency") */
      C_ ("conflict heading", "%s: %s"), view->record_title, view->field_label);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_set_focusable (row, FALSE);
  g_object_set_data_full (G_OBJECT (row), "conflict-id", g_strdup (view->id), g_free);
  g_object_set_data_full (G_OBJECT (row), "conflict-title", g_strdup (title), g_free);
  g_object_set_data_full (G_OBJECT (row), "field-label", g_strdup (view->field_label), g_free);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_margin_top (box, 12);
  gtk_widget_set_margin_bottom (box, 12);
  gtk_box_append (GTK_BOX (box), plain_label (title, "heading"));
  gtk_box_append (GTK_BOX (box),
                  value_box (_ ("The record holds now"), view->current_value, now_by));
  gtk_box_append (GTK_BOX (box), value_box (_ ("The other value"), view->other_value, other_by));

  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (buttons), GTK_SELECTION_NONE);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (buttons), 3);
  gtk_flow_box_set_column_spacing (GTK_FLOW_BOX (buttons), 6);
  gtk_flow_box_set_row_spacing (GTK_FLOW_BOX (buttons), 6);
  gtk_flow_box_set_homogeneous (GTK_FLOW_BOX (buttons), TRUE);
  button = button_with_label (_ ("Keep _Current"));
  g_signal_connect_object (button, "clicked", G_CALLBACK (keep_current_clicked), self, 0);
  gtk_flow_box_append (GTK_FLOW_BOX (buttons), button);
  button = button_with_label (_ ("Keep _Other"));
  gtk_widget_add_css_class (button, "suggested-action");
  g_signal_connect_object (button, "clicked", G_CALLBACK (keep_other_clicked), self, 0);
  gtk_flow_box_append (GTK_FLOW_BOX (buttons), button);
  button = button_with_label (_ ("Other _Value…"));
  g_signal_connect_object (button, "clicked", G_CALLBACK (new_value_clicked), self, 0);
  gtk_flow_box_append (GTK_FLOW_BOX (buttons), button);
  dft_ui_flow_box_unfocus_cells (GTK_FLOW_BOX (buttons));
  gtk_box_append (GTK_BOX (box), buttons);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  return row;
}

static void
listed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftConflictsView     *self = DFT_CONFLICTS_VIEW (source);
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) conflicts = dft_ui_list_finish (result, &error);
  GtkWidget            *child;

  set_busy (self, FALSE);
  if (conflicts == NULL)
    {
      dft_ui_toast_error (GTK_WIDGET (self), error);
      return;
    }
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);
  for (guint i = 0; i < conflicts->len; i++)
    gtk_list_box_append (self->list, conflict_row (self, g_ptr_array_index (conflicts, i)));
  set_n_conflicts (self, conflicts->len);
  if (self->reload_again)
    {
      self->reload_again = FALSE;
      dft_conflicts_view_reload (self);
    }
}

void
dft_conflicts_view_reload (DftConflictsView *self)
{
  g_return_if_fail (DFT_IS_CONFLICTS_VIEW (self));
  if (self->store == NULL)
    return;
  if (self->busy > 0)
    {
      self->reload_again = TRUE;
      return;
    }
  set_busy (self, TRUE);
  dft_ui_list_async (self, self->store, dft_store_list_open_conflicts, self->cancellable, listed_cb,
                     NULL);
}

static void
store_changed_cb (DftConflictsView *self, const char *entity, GStrv ids, DftStore *store)
{
  dft_conflicts_view_reload (self);
}

void
dft_conflicts_view_set_store (DftConflictsView *self, DftStore *store)
{
  g_return_if_fail (DFT_IS_CONFLICTS_VIEW (self));
  if (!g_set_object (&self->store, store))
    return;
  g_signal_group_set_target (self->store_signals, store);
  dft_conflicts_view_reload (self);
}

guint
dft_conflicts_view_get_n_conflicts (DftConflictsView *self)
{
  g_return_val_if_fail (DFT_IS_CONFLICTS_VIEW (self), 0);
  return self->n_conflicts;
}

gboolean
dft_conflicts_view_get_busy (DftConflictsView *self)
{
  g_return_val_if_fail (DFT_IS_CONFLICTS_VIEW (self), FALSE);
  return self->busy > 0;
}

/* ---- GObject ------------------------------------------------------------------------------ */

static void
dft_conflicts_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  DftConflictsView *self = DFT_CONFLICTS_VIEW (object);

  switch (prop_id)
    {
    case PROP_N_CONFLICTS:
      g_value_set_uint (value, self->n_conflicts);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy > 0);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dft_conflicts_view_dispose (GObject *object)
{
  DftConflictsView *self = DFT_CONFLICTS_VIEW (object);

  g_cancellable_cancel (self->cancellable);
  /* The bin's child is the template's stack: let go of it once, here. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), DFT_TYPE_CONFLICTS_VIEW);
  g_clear_object (&self->store_signals);
  g_clear_object (&self->store);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (dft_conflicts_view_parent_class)->dispose (object);
}

static void
dft_conflicts_view_class_init (DftConflictsViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = dft_conflicts_view_get_property;
  object_class->dispose = dft_conflicts_view_dispose;

  properties[PROP_N_CONFLICTS] = g_param_spec_uint ("n-conflicts", NULL, NULL, 0, G_MAXUINT, 0,
                                                    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY]
      = g_param_spec_boolean ("busy", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/daftari/Daftari/dft-conflicts-view.ui");
  gtk_widget_class_bind_template_child (widget_class, DftConflictsView, stack);
  gtk_widget_class_bind_template_child (widget_class, DftConflictsView, list);
}

static void
dft_conflicts_view_init (DftConflictsView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->store_signals = g_signal_group_new (DFT_TYPE_STORE);
  g_signal_group_connect_object (self->store_signals, "changed::conflict",
                                 G_CALLBACK (store_changed_cb), self, G_CONNECT_SWAPPED);
}
