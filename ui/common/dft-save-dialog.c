/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "dft-save-dialog.h"
#include "dft-ui-util.h"

typedef struct
{
  char *id;
  char *label;
  GStrv options;
  GStrv labels;
  char *selected;
} Choice;

struct _DftSaveDialog
{
  GtkWidget     *widget;
  char          *title;
  char          *name;
  DftSaveFormat  formats;
  DftSaveFunc    func;
  gpointer       data;
  GDestroyNotify destroy;
  GPtrArray     *choices; /* Choice * */

  /* Once a file is chosen. */
  DftSaveTarget target;
  char         *path;
  GCancellable *cancellable;
  AdwToast     *progress;
  gint64        progress_shown; /* monotonic µs */
  guint         progress_id;
};

/* How long a save runs before it shows a toast to cancel it. */
#define PROGRESS_DELAY_MS 1000
/* How long a toast takes to slide in, and a little more: libadwaita 1.2 frees a toast
 * dismissed while it slides in, then touches it (tests/ui/dft-ui-test-util.c). */
#define TOAST_SLIDE_MS 600

static void dismiss_progress (DftSaveDialog *self);

static const struct
{
  DftSaveFormat format;
  const char   *suffix;
  const char   *pattern;
  const char   *mime_type;
} formats[] = {
  { DFT_SAVE_XLSX, ".xlsx", "*.xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
  { DFT_SAVE_CSV, ".csv", "*.csv", "text/csv" },
  { DFT_SAVE_PDF, ".pdf", "*.pdf", "application/pdf" },
};

static const char *
format_name (DftSaveFormat format)
{
  switch (format)
    {
    case DFT_SAVE_XLSX:
      return _ ("Excel workbook (.xlsx)");
    case DFT_SAVE_CSV:
      return _ ("CSV (.csv)");
    case DFT_SAVE_PDF:
      return _ ("PDF document (.pdf)");
    default:
      g_assert_not_reached ();
    }
}

static void
choice_free (gpointer data)
{
  Choice *choice = data;

  g_free (choice->id);
  g_free (choice->label);
  g_strfreev (choice->options);
  g_strfreev (choice->labels);
  g_free (choice->selected);
  g_free (choice);
}

static void
save_dialog_free (gpointer data)
{
  DftSaveDialog *self = data;

  g_clear_handle_id (&self->progress_id, g_source_remove);
  dismiss_progress (self);
  if (self->destroy != NULL)
    self->destroy (self->data);
  g_clear_object (&self->widget);
  g_free (self->title);
  g_free (self->name);
  g_ptr_array_unref (self->choices);
  g_clear_pointer (&self->target.choices, g_hash_table_unref);
  g_free (self->target.message);
  g_free (self->path);
  g_clear_object (&self->cancellable);
  g_free (self);
}

DftSaveDialog *
dft_save_dialog_new (GtkWidget     *widget,
                     const char    *title,
                     const char    *name,
                     DftSaveFormat  save_formats,
                     DftSaveFunc    func,
                     gpointer       data,
                     GDestroyNotify destroy)
{
  DftSaveDialog *self;

  g_return_val_if_fail (GTK_IS_WIDGET (widget), NULL);
  g_return_val_if_fail (save_formats != 0 && func != NULL, NULL);

  self = g_new0 (DftSaveDialog, 1);
  self->widget = g_object_ref (widget);
  self->title = g_strdup (title);
  self->name = g_strdup (name);
  self->formats = save_formats;
  self->func = func;
  self->data = data;
  self->destroy = destroy;
  self->choices = g_ptr_array_new_with_free_func (choice_free);
  self->target.choices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return self;
}

void
dft_save_dialog_add_choice (DftSaveDialog     *self,
                            const char        *id,
                            const char        *label,
                            const char *const *options,
                            const char *const *labels,
                            const char        *selected)
{
  Choice *choice;

  g_return_if_fail (self != NULL && id != NULL && options != NULL && options[0] != NULL);
  g_return_if_fail (labels != NULL
                    && g_strv_length ((GStrv) options) == g_strv_length ((GStrv) labels));

  if (selected == NULL || !g_strv_contains (options, selected))
    selected = options[0];
  choice = g_new0 (Choice, 1);
  choice->id = g_strdup (id);
  choice->label = g_strdup (label);
  choice->selected = g_strdup (selected);
  /* The option chosen at first goes first: GTK 4.8's own chooser (used where there is no
   * portal) ignores gtk_file_chooser_set_choice() and always starts on the first. */
  choice->options = g_new0 (char *, g_strv_length ((GStrv) options) + 1);
  choice->labels = g_new0 (char *, g_strv_length ((GStrv) options) + 1);
  for (guint i = 0, n = 1; options[i] != NULL; i++)
    {
      guint at = g_str_equal (options[i], selected) ? 0 : n++;

      choice->options[at] = g_strdup (options[i]);
      choice->labels[at] = g_strdup (labels[i]);
    }
  g_ptr_array_add (self->choices, choice);
}

DftSaveFormat
dft_save_format_for_path (const char *path, DftSaveFormat save_formats)
{
  g_autofree char *lower = NULL;

  g_return_val_if_fail (path != NULL, 0);

  lower = g_utf8_strdown (path, -1);
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    if ((save_formats & formats[i].format) != 0 && g_str_has_suffix (lower, formats[i].suffix))
      return formats[i].format;
  return 0;
}

static DftSaveFormat
first_format (DftSaveFormat save_formats)
{
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    if ((save_formats & formats[i].format) != 0)
      return formats[i].format;
  g_assert_not_reached ();
}

static const char *
format_suffix (DftSaveFormat format)
{
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    if (formats[i].format == format)
      return formats[i].suffix;
  g_assert_not_reached ();
}

const char *
dft_save_target_get_choice (const DftSaveTarget *target, const char *id)
{
  g_return_val_if_fail (target != NULL && id != NULL, NULL);
  return g_hash_table_lookup (target->choices, id);
}

char *
dft_save_suggested_name (const char *title, const char *what, const char *date)
{
  GString *name = g_string_new (NULL);

  if (title != NULL && *title != '\0')
    g_string_append (name, title);
  if (what != NULL && *what != '\0')
    g_string_append_printf (name, "%s%s", name->len > 0 ? " " : "", what);
  if (date != NULL && *date != '\0')
    g_string_append_printf (name, "%s%s", name->len > 0 ? " " : "", date);
  /* What file systems refuse or read as a path, and control characters. */
  for (gsize i = 0; i < name->len; i++)
    if (strchr ("/\\:*?\"<>|", name->str[i]) != NULL || (guchar) name->str[i] < 0x20)
      name->str[i] = '-';
  g_strstrip (name->str);
  while (name->str[0] == '.')
    name->str[0] = '-';
  return g_string_free (name, FALSE);
}

gboolean
dft_save_write_stream (const char       *path,
                       DftSaveStreamFunc func,
                       gpointer          data,
                       GCancellable     *cancellable,
                       GError          **error)
{
  g_autoptr (GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr (GBytes)        bytes = NULL;

  g_return_val_if_fail (path != NULL && func != NULL, FALSE);

  if (!func (data, out, cancellable, error) || !g_output_stream_close (out, cancellable, error))
    return FALSE;
  bytes = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  return g_file_set_contents_full (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

/* ---- Writing ------------------------------------------------------------------------------ */

static gboolean
save_work (gpointer data, GCancellable *cancellable, GError **error)
{
  DftSaveDialog *self = data;

  return self->func (self->data, &self->target, cancellable, error);
}

static void
cancel_clicked_cb (AdwToast *toast, DftSaveDialog *self)
{
  g_cancellable_cancel (self->cancellable);
}

static void
dismiss_toast_cb (gpointer data)
{
  g_autoptr (AdwToast) toast = data;

  adw_toast_dismiss (toast);
}

/* Takes the "Saving…" toast away, once it has slid in. */
static void
dismiss_progress (DftSaveDialog *self)
{
  gint64 in_place_ms;

  if (self->progress == NULL)
    return;
  g_signal_handlers_disconnect_by_func (self->progress, cancel_clicked_cb, self);
  in_place_ms = (g_get_monotonic_time () - self->progress_shown) / 1000;
  if (in_place_ms >= TOAST_SLIDE_MS)
    dismiss_toast_cb (g_steal_pointer (&self->progress));
  else
    g_timeout_add_once (TOAST_SLIDE_MS - in_place_ms, dismiss_toast_cb,
                        g_steal_pointer (&self->progress));
}

static gboolean
show_progress_cb (gpointer data)
{
  DftSaveDialog   *self = data;
  g_autofree char *base = g_filename_display_basename (self->path);
  /* Translators: %s is the name of a file being written */
  g_autofree char *title = g_strdup_printf (_ ("Saving “%s”…"), base);
  g_autofree char *escaped = g_markup_escape_text (title, -1);

  self->progress_id = 0;
  self->progress_shown = g_get_monotonic_time ();
  self->progress = g_object_ref_sink (adw_toast_new (escaped));
  adw_toast_set_timeout (self->progress, 0);
  adw_toast_set_button_label (self->progress, _ ("_Cancel"));
  g_signal_connect (self->progress, "button-clicked", G_CALLBACK (cancel_clicked_cb), self);
  dft_ui_add_toast (self->widget, g_object_ref (self->progress));
  return G_SOURCE_REMOVE;
}

static void
show_error (DftSaveDialog *self, const GError *error)
{
  GtkRoot         *root = gtk_widget_get_root (self->widget);
  g_autofree char *base = g_filename_display_basename (self->path);
  /* Translators: %s is the name of a file that could not be written */
  g_autofree char *heading = g_strdup_printf (_ ("Could Not Save “%s”"), base);
  GtkWidget       *dialog;

  if (!GTK_IS_WINDOW (root) || !gtk_widget_get_mapped (GTK_WIDGET (root)))
    {
      g_message ("%s: %s", heading, error->message);
      return;
    }
  dialog = adw_message_dialog_new (GTK_WINDOW (root), heading, error->message);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _ ("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
saved_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftSaveDialog     *self = dft_ui_run_get_data (result);
  g_autoptr (GError) error = NULL;

  g_clear_handle_id (&self->progress_id, g_source_remove);
  dismiss_progress (self);
  if (!dft_ui_run_finish (result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        dft_ui_toast (self->widget, _ ("Not saved: canceled"));
      else
        show_error (self, error);
      return;
    }
  if (self->target.message != NULL)
    dft_ui_toast (self->widget, self->target.message);
  else
    {
      g_autofree char *base = g_filename_display_basename (self->path);
      /* Translators: %s is the name of the file just written */
      g_autofree char *message = g_strdup_printf (_ ("Saved “%s”"), base);

      dft_ui_toast (self->widget, message);
    }
}

static void
start (DftSaveDialog *self, const char *path, DftSaveFormat format)
{
  self->path = g_strdup (path);
  self->target.path = self->path;
  self->target.format = format;
  self->cancellable = g_cancellable_new ();
  self->progress_id = g_timeout_add (PROGRESS_DELAY_MS, show_progress_cb, self);
  dft_ui_run_async (self->widget, save_work, self, save_dialog_free, self->cancellable, saved_cb,
                    NULL);
}

void
dft_save_dialog_save_to (DftSaveDialog *self, const char *path)
{
  DftSaveFormat format;

  g_return_if_fail (self != NULL && path != NULL);

  for (guint i = 0; i < self->choices->len; i++)
    {
      Choice *choice = g_ptr_array_index (self->choices, i);

      g_hash_table_replace (self->target.choices, g_strdup (choice->id),
                            g_strdup (choice->selected));
    }
  format = dft_save_format_for_path (path, self->formats);
  start (self, path, format != 0 ? format : first_format (self->formats));
}

static void
chooser_response_cb (GtkNativeDialog *chooser, int response, gpointer user_data)
{
  DftSaveDialog    *self = user_data;
  g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  GtkFileFilter    *filter = gtk_file_chooser_get_filter (GTK_FILE_CHOOSER (chooser));
  g_autofree char  *path = NULL;
  /* Read now: the filter goes with the chooser. */
  DftSaveFormat format
      = filter != NULL ? GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (filter), "format")) : 0;
  DftSaveFormat typed;

  if (response == GTK_RESPONSE_ACCEPT && file != NULL)
    for (guint i = 0; i < self->choices->len; i++)
      {
        Choice     *choice = g_ptr_array_index (self->choices, i);
        const char *chosen = gtk_file_chooser_get_choice (GTK_FILE_CHOOSER (chooser), choice->id);

        g_hash_table_replace (self->target.choices, g_strdup (choice->id),
                              g_strdup (chosen != NULL ? chosen : choice->selected));
      }
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
  if (response != GTK_RESPONSE_ACCEPT || file == NULL || (path = g_file_get_path (file)) == NULL)
    {
      save_dialog_free (self);
      return;
    }
  /* A suffix typed into the name says the format; else the filter chosen does, and gives the
   * name its suffix. The suggested name's own suffix gives way to another filter chosen: the
   * chooser leaves the name as it was when the filter changes. */
  typed = dft_save_format_for_path (path, self->formats);
  if ((format & self->formats) == 0)
    format = first_format (self->formats);
  if (typed != 0 && (typed != first_format (self->formats) || format == typed))
    format = typed;
  else
    {
      const char      *suffix = format_suffix (first_format (self->formats));
      gsize            length = strlen (path);
      g_autofree char *with_suffix = NULL;

      if (typed != 0)
        length -= strlen (suffix);
      with_suffix = g_strdup_printf ("%.*s%s", (int) length, path, format_suffix (format));
      g_free (path);
      path = g_steal_pointer (&with_suffix);
    }
  start (self, path, format);
}

void
dft_save_dialog_show (DftSaveDialog *self)
{
  GtkRoot              *root;
  GtkFileChooserNative *chooser;
  g_autofree char      *name = NULL;

  g_return_if_fail (self != NULL);

  root = gtk_widget_get_root (self->widget);
  chooser
      = gtk_file_chooser_native_new (self->title, GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                     GTK_FILE_CHOOSER_ACTION_SAVE, _ ("_Save"), _ ("_Cancel"));
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autoptr (GtkFileFilter) filter = NULL;

      if ((self->formats & formats[i].format) == 0)
        continue;
      filter = gtk_file_filter_new ();
      gtk_file_filter_set_name (filter, format_name (formats[i].format));
      gtk_file_filter_add_pattern (filter, formats[i].pattern);
      gtk_file_filter_add_mime_type (filter, formats[i].mime_type);
      g_object_set_data (G_OBJECT (filter), "format", GUINT_TO_POINTER (formats[i].format));
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
    }
  for (guint i = 0; i < self->choices->len; i++)
    {
      Choice *choice = g_ptr_array_index (self->choices, i);

      gtk_file_chooser_add_choice (GTK_FILE_CHOOSER (chooser), choice->id, choice->label,
                                   (const char **) choice->options, (const char **) choice->labels);
      gtk_file_chooser_set_choice (GTK_FILE_CHOOSER (chooser), choice->id, choice->selected);
    }
  name = g_strconcat (self->name != NULL ? self->name : "",
                      format_suffix (first_format (self->formats)), NULL);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}
