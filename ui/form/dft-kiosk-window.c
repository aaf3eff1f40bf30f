/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "dft-form-ui-resources.h"
#include "dft-kiosk-window-private.h"

#define SHA256_HEX_LEN 64

struct _DftKioskWindow
{
  AdwApplicationWindow parent_instance;

  GtkStack *stack;
  AdwBin   *filler_bin;

  DftFormFiller *filler;
  char          *pin_hash; /* SHA-256 of the PIN, hex; the PIN itself is never kept */
  gboolean       unlocked;
  guint          thanks_source;
  guint          thanks_delay_ms;

  GtkWindow *pin_dialog;
  GtkWidget *pin_entry;
  GtkWidget *pin_error;

  /* The application's other windows, hidden while the kiosk is open so that a participant
   * cannot switch to the trainer's register; shown again when the trainer leaves. */
  GPtrArray *hidden;
};

G_DEFINE_FINAL_TYPE (DftKioskWindow, dft_kiosk_window, ADW_TYPE_APPLICATION_WINDOW)

static void show_other_windows (DftKioskWindow *self);

static gboolean
is_sha256_hex (const char *s)
{
  if (strlen (s) != SHA256_HEX_LEN)
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isxdigit (*p))
      return FALSE;
  return TRUE;
}

/* Compares in time that does not depend on where the hashes differ. */
static gboolean
hash_equal (const char *a, const char *b)
{
  guint8 diff = 0;

  if (strlen (a) != SHA256_HEX_LEN || strlen (b) != SHA256_HEX_LEN)
    return FALSE;
  for (guint i = 0; i < SHA256_HEX_LEN; i++)
    diff |= (guint8) (g_ascii_tolower (a[i]) ^ g_ascii_tolower (b[i]));
  return diff == 0;
}

static void
show_form (DftKioskWindow *self)
{
  g_clear_handle_id (&self->thanks_source, g_source_remove);
  gtk_stack_set_visible_child_name (self->stack, "form");
}

static gboolean
thanks_timeout_cb (gpointer data)
{
  DftKioskWindow *self = data;

  self->thanks_source = 0;
  show_form (self);
  return G_SOURCE_REMOVE;
}

static void
finished_cb (DftKioskWindow *self, DftRecord *submission)
{
  /* The filler has already started a blank form; the thank-you page covers it meanwhile. */
  gtk_stack_set_visible_child_name (self->stack, "thanks");
  g_clear_handle_id (&self->thanks_source, g_source_remove);
  self->thanks_source = g_timeout_add (self->thanks_delay_ms, thanks_timeout_cb, self);
}

static void
next_person_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  show_form (DFT_KIOSK_WINDOW (widget));
}

static void
close_pin_dialog (DftKioskWindow *self)
{
  GtkWindow *dialog = g_steal_pointer (&self->pin_dialog);

  self->pin_entry = NULL;
  self->pin_error = NULL;
  if (dialog != NULL)
    gtk_window_destroy (dialog);
}

static void
unlock (DftKioskWindow *self)
{
  const char      *pin = gtk_editable_get_text (GTK_EDITABLE (self->pin_entry));
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, pin, -1);

  gtk_editable_set_text (GTK_EDITABLE (self->pin_entry), "");
  if (!hash_equal (hash, self->pin_hash))
    {
      gtk_label_set_text (GTK_LABEL (self->pin_error), _ ("Wrong PIN. Try again."));
      gtk_widget_set_visible (self->pin_error, TRUE);
      gtk_widget_add_css_class (self->pin_entry, "error");
      gtk_widget_error_bell (self->pin_entry);
      gtk_widget_grab_focus (self->pin_entry);
      return;
    }
  self->unlocked = TRUE;
  close_pin_dialog (self);
  show_other_windows (self);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
pin_activate_cb (DftKioskWindow *self)
{
  unlock (self);
}

static void
pin_cancel_cb (DftKioskWindow *self)
{
  close_pin_dialog (self);
}

static gboolean
pin_dialog_close_request_cb (DftKioskWindow *self)
{
  /* Destroyed by us, so that the pointers to it are cleared in one place. */
  close_pin_dialog (self);
  return TRUE;
}

static void
ask_pin (DftKioskWindow *self)
{
  GtkWidget          *box, *title, *buttons, *cancel, *leave;
  GtkEventController *shortcuts;

  if (self->pin_dialog != NULL)
    {
      gtk_window_present (self->pin_dialog);
      return;
    }
  self->pin_dialog = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_title (self->pin_dialog, _ ("Trainer PIN"));
  gtk_window_set_modal (self->pin_dialog, TRUE);
  gtk_window_set_transient_for (self->pin_dialog, GTK_WINDOW (self));
  gtk_window_set_resizable (self->pin_dialog, FALSE);
  gtk_window_set_default_size (self->pin_dialog, 320, -1);
  gtk_widget_add_css_class (GTK_WIDGET (self->pin_dialog), "message");

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_margin_start (box, 24);
  gtk_widget_set_margin_end (box, 24);
  gtk_widget_set_margin_top (box, 24);
  gtk_widget_set_margin_bottom (box, 24);
  title = gtk_label_new (_ ("Enter the trainer PIN to leave kiosk mode."));
  gtk_label_set_wrap (GTK_LABEL (title), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (title), 30);
  gtk_widget_add_css_class (title, "heading");
  gtk_box_append (GTK_BOX (box), title);

  self->pin_entry = gtk_password_entry_new ();
  gtk_password_entry_set_show_peek_icon (GTK_PASSWORD_ENTRY (self->pin_entry), TRUE);
  gtk_accessible_update_relation (GTK_ACCESSIBLE (self->pin_entry),
                                  GTK_ACCESSIBLE_RELATION_LABELLED_BY, title, NULL, -1);
  g_signal_connect_object (self->pin_entry, "activate", G_CALLBACK (pin_activate_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_box_append (GTK_BOX (box), self->pin_entry);

  self->pin_error = gtk_label_new (NULL);
  gtk_widget_add_css_class (self->pin_error, "error");
  gtk_widget_set_visible (self->pin_error, FALSE);
  gtk_accessible_update_relation (GTK_ACCESSIBLE (self->pin_entry),
                                  GTK_ACCESSIBLE_RELATION_DESCRIBED_BY, self->pin_error, NULL, -1);
  gtk_box_append (GTK_BOX (box), self->pin_error);

  buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_box_set_homogeneous (GTK_BOX (buttons), TRUE);
  cancel = gtk_button_new_with_mnemonic (_ ("_Cancel"));
  leave = gtk_button_new_with_mnemonic (_ ("_Leave Kiosk"));
  gtk_widget_add_css_class (leave, "destructive-action");
  g_signal_connect_object (cancel, "clicked", G_CALLBACK (pin_cancel_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (leave, "clicked", G_CALLBACK (pin_activate_cb), self, G_CONNECT_SWAPPED);
  gtk_box_append (GTK_BOX (buttons), cancel);
  gtk_box_append (GTK_BOX (buttons), leave);
  gtk_box_append (GTK_BOX (box), buttons);
  gtk_window_set_child (self->pin_dialog, box);

  shortcuts = gtk_shortcut_controller_new ();
  gtk_shortcut_controller_add_shortcut (
      GTK_SHORTCUT_CONTROLLER (shortcuts),
      gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Escape, 0),
                        gtk_named_action_new ("window.close")));
  gtk_widget_add_controller (GTK_WIDGET (self->pin_dialog), shortcuts);
  g_signal_connect_object (self->pin_dialog, "close-request",
                           G_CALLBACK (pin_dialog_close_request_cb), self, G_CONNECT_SWAPPED);
  gtk_window_present (self->pin_dialog);
  gtk_widget_grab_focus (self->pin_entry);
}

/* ---- Lockdown ------------------------------------------------------------ */

/* Editing keys a participant needs in an entry; every other combination with Control, Alt
 * or Super is the application's (Quit, Preferences…) and is swallowed here, before the
 * application's shortcuts see it. */
static gboolean
is_editing_shortcut (guint keyval, GdkModifierType state)
{
  static const guint editing[] = {
    GDK_KEY_a,    GDK_KEY_c,    GDK_KEY_v,     GDK_KEY_x,         GDK_KEY_z,
    GDK_KEY_y,    GDK_KEY_Left, GDK_KEY_Right, GDK_KEY_BackSpace, GDK_KEY_Delete,
    GDK_KEY_Home, GDK_KEY_End,  GDK_KEY_Up,    GDK_KEY_Down,      GDK_KEY_Insert,
  };
  guint lower = gdk_keyval_to_lower (keyval);

  if ((state & (GDK_ALT_MASK | GDK_SUPER_MASK | GDK_META_MASK | GDK_HYPER_MASK)) != 0)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (editing); i++)
    if (lower == editing[i])
      return TRUE;
  return FALSE;
}

static gboolean
key_pressed_cb (DftKioskWindow *self, guint keyval, guint keycode, GdkModifierType state)
{
  GdkModifierType mods
      = state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SUPER_MASK | GDK_META_MASK | GDK_HYPER_MASK);

  /* Function keys run application commands too (F5 syncs, F1 opens help). */
  if (keyval >= GDK_KEY_F1 && keyval <= GDK_KEY_F35)
    return TRUE;
  if (mods == 0)
    return FALSE;
  return !is_editing_shortcut (keyval, state);
}

static void
hide_other_windows (DftKioskWindow *self)
{
  GtkApplication   *app = gtk_window_get_application (GTK_WINDOW (self));
  g_autoptr (GList) windows = NULL;

  if (app == NULL || self->hidden != NULL)
    return;
  self->hidden = g_ptr_array_new_with_free_func (g_object_unref);
  windows = g_list_copy (gtk_application_get_windows (app));
  for (GList *l = windows; l != NULL; l = l->next)
    if (l->data != (gpointer) self && gtk_widget_get_visible (l->data))
      {
        g_ptr_array_add (self->hidden, g_object_ref (l->data));
        gtk_widget_set_visible (l->data, FALSE);
      }
}

static void
show_other_windows (DftKioskWindow *self)
{
  g_autoptr (GPtrArray) hidden = g_steal_pointer (&self->hidden);

  for (guint i = 0; hidden != NULL && i < hidden->len; i++)
    {
      GtkWindow *window = g_ptr_array_index (hidden, i);

      /* A window the application let go of meanwhile (it quit) stays gone. */
      if (gtk_window_get_application (window) != NULL)
        gtk_window_present (window);
    }
}

static void
dft_kiosk_window_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (dft_kiosk_window_parent_class)->map (widget);
  hide_other_windows (DFT_KIOSK_WINDOW (widget));
}

static void
exit_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  ask_pin (DFT_KIOSK_WINDOW (widget));
}

static gboolean
dft_kiosk_window_close_request (GtkWindow *window)
{
  DftKioskWindow *self = DFT_KIOSK_WINDOW (window);

  if (self->unlocked)
    {
      GtkWindowClass *parent = GTK_WINDOW_CLASS (dft_kiosk_window_parent_class);

      show_other_windows (self);
      return parent->close_request != NULL ? parent->close_request (window) : FALSE;
    }
  ask_pin (self);
  return TRUE;
}

static void
dft_kiosk_window_dispose (GObject *object)
{
  DftKioskWindow *self = DFT_KIOSK_WINDOW (object);

  g_clear_handle_id (&self->thanks_source, g_source_remove);
  close_pin_dialog (self);
  g_clear_pointer (&self->hidden, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), DFT_TYPE_KIOSK_WINDOW);
  self->filler = NULL;
  G_OBJECT_CLASS (dft_kiosk_window_parent_class)->dispose (object);
}

static void
dft_kiosk_window_finalize (GObject *object)
{
  DftKioskWindow *self = DFT_KIOSK_WINDOW (object);

  g_free (self->pin_hash);
  G_OBJECT_CLASS (dft_kiosk_window_parent_class)->finalize (object);
}

static void
dft_kiosk_window_class_init (DftKioskWindowClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  g_assert (dft_form_ui_get_resource () != NULL);
  object_class->dispose = dft_kiosk_window_dispose;
  object_class->finalize = dft_kiosk_window_finalize;
  window_class->close_request = dft_kiosk_window_close_request;
  widget_class->map = dft_kiosk_window_map;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/daftari/Daftari/form/dft-kiosk-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DftKioskWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, DftKioskWindow, filler_bin);

  gtk_widget_class_install_action (widget_class, "kiosk.exit", NULL, exit_activated);
  gtk_widget_class_install_action (widget_class, "kiosk.next-person", NULL, next_person_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "kiosk.exit", NULL);
}

static void
dft_kiosk_window_init (DftKioskWindow *self)
{
  GtkEventController *keys = gtk_event_controller_key_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  self->thanks_delay_ms = 3000;
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect_object (keys, "key-pressed", G_CALLBACK (key_pressed_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);
}

GtkWidget *
dft_kiosk_window_new (GtkApplication *app,
                      DftStore       *store,
                      DftRecord      *form_record,
                      const char     *event_id,
                      const char     *phase,
                      const char     *pin_hash_or_pin)
{
  DftKioskWindow *self;

  g_return_val_if_fail (GTK_IS_APPLICATION (app), NULL);
  g_return_val_if_fail (DFT_IS_STORE (store), NULL);
  g_return_val_if_fail (DFT_IS_RECORD (form_record), NULL);
  g_return_val_if_fail (pin_hash_or_pin != NULL && *pin_hash_or_pin != '\0', NULL);

  self = g_object_new (DFT_TYPE_KIOSK_WINDOW, "application", app, NULL);
  if (is_sha256_hex (pin_hash_or_pin))
    self->pin_hash = g_ascii_strdown (pin_hash_or_pin, -1);
  else
    self->pin_hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, pin_hash_or_pin, -1);

  self->filler = DFT_FORM_FILLER (dft_form_filler_new (store));
  dft_form_filler_set_kiosk (self->filler, TRUE);
  g_signal_connect_object (self->filler, "finished", G_CALLBACK (finished_cb), self,
                           G_CONNECT_SWAPPED);
  adw_bin_set_child (self->filler_bin, GTK_WIDGET (self->filler));
  dft_form_filler_start (self->filler, form_record, event_id, NULL, phase, NULL);
  gtk_window_fullscreen (GTK_WINDOW (self));
  return GTK_WIDGET (self);
}

DftFormFiller *
dft_kiosk_window_get_filler (DftKioskWindow *self)
{
  return self->filler;
}

GtkWidget *
dft_kiosk_window_get_pin_entry (DftKioskWindow *self)
{
  return self->pin_entry;
}

const char *
dft_kiosk_window_get_mode (DftKioskWindow *self)
{
  return gtk_stack_get_visible_child_name (self->stack);
}

void
dft_kiosk_window_set_thanks_delay (DftKioskWindow *self, guint ms)
{
  self->thanks_delay_ms = ms;
}
