/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "forms/dft-form-store.h"
#include "forms/dft-form-templates.h"
#include "forms/dft-form.h"
#include "forms/dft-submission-export.h"
#include "dft-format.h"
#include "dft-forms-page.h"
#include "dft-forms-util.h"
#include "dft-record-list.h"
#include "dft-save-dialog.h"
#include "dft-form-ui-resources.h"
#include "dft-ui-util.h"

struct _DftFormsPage
{
  AdwBin parent_instance;

  GtkSearchEntry *search_entry;
  GtkRevealer    *busy_revealer;
  GtkSpinner     *busy_spinner;
  GtkLabel       *busy_label;
  GtkStack       *stack;
  GtkListBox     *list_box;

  DftStore     *store;
  GListModel   *forms;        /* every version */
  GListModel   *submissions;  /* every final submission */
  GPtrArray    *infos;        /* DftFormInfo *, latest versions */
  GHashTable   *descriptions; /* key → subtitle */
  GCancellable *import_cancellable;
  GCancellable *info_cancellable;
  guint         refresh_id;
  gboolean      folded;
};

G_DEFINE_FINAL_TYPE (DftFormsPage, dft_forms_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_FOLDED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
set_busy (DftFormsPage *self, const char *message)
{
  gboolean busy = message != NULL;

  gtk_label_set_text (self->busy_label, message != NULL ? message : "");
  gtk_spinner_set_spinning (self->busy_spinner, busy);
  gtk_revealer_set_reveal_child (self->busy_revealer, busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "forms.cancel", busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "forms.import", !busy && self->store != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "forms.copy-template",
                                 !busy && self->store != NULL);
}

gboolean
dft_forms_page_get_busy (DftFormsPage *self)
{
  g_return_val_if_fail (DFT_IS_FORMS_PAGE (self), FALSE);
  return self->import_cancellable != NULL || self->info_cancellable != NULL
         || self->refresh_id != 0;
}

const char *
dft_forms_page_get_description (DftFormsPage *self, const char *key)
{
  g_return_val_if_fail (DFT_IS_FORMS_PAGE (self), NULL);
  return g_hash_table_lookup (self->descriptions, key);
}

/* ---- The list ------------------------------------------------------------------ */

static GHashTable *
count_submissions (DftFormsPage *self)
{
  g_autoptr (GHashTable) key_of = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTable            *counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint                  n = g_list_model_get_n_items (self->forms);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (DftRecord) form = g_list_model_get_item (self->forms, i);
      g_hash_table_insert (key_of, g_strdup (dft_record_get_id (form)),
                           g_strdup (dft_record_get_string (form, "form_key")));
    }
  n = g_list_model_get_n_items (self->submissions);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (DftRecord) submission = g_list_model_get_item (self->submissions, i);
      const char *key = g_hash_table_lookup (key_of, dft_record_get_string (submission, "form_id"));

      if (key != NULL)
        g_hash_table_insert (
            counts, g_strdup (key),
            GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (counts, key)) + 1));
    }
  return counts;
}

static char *
describe (DftFormInfo *info, guint n_submissions)
{
  g_autoptr (GString) languages = g_string_new (NULL);
  g_autofree char    *version = NULL;
  g_autofree char    *count = NULL;

  if (info->error != NULL)
    /* Translators: %s is the reason, a full sentence ("Daftari does not know …") */
    return g_strdup_printf (_ ("Cannot be opened: %s"), info->error);
  for (guint i = 0; i < info->languages->len; i++)
    {
      DftFormLanguageInfo *l = g_ptr_array_index (info->languages, i);

      if (g_str_equal (l->code, "und"))
        continue;
      if (languages->len > 0)
        g_string_append (languages, ", ");
      g_string_append (languages, l->name);
    }
  /* Translators: %d is the version number of a form */
  version = g_strdup_printf (_ ("version %d"), (int) dft_record_get_int (info->record, "version"));
  /* Translators: %u is a number of filled-in forms */
  count = g_strdup_printf (ngettext ("%u submission", "%u submissions", n_submissions),
                           n_submissions);
  if (languages->len == 0)
    /* Translators: a form's kind, its version, its number of submissions */
    return g_strdup_printf (_ ("%s · %s · %s"), dft_forms_kind_label (info->kind), version, count);
  /* Translators: a form's kind, its languages, its version, its number of submissions */
  return g_strdup_printf (_ ("%s · %s · %s · %s"), dft_forms_kind_label (info->kind),
                          languages->str, version, count);
}

static void
language_saved_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  if (!dft_ui_run_finish (result, &error))
    dft_ui_toast_error (GTK_WIDGET (source), error);
}

static void
language_selected_cb (AdwComboRow *row, GParamSpec *pspec, DftFormsPage *self)
{
  DftFormInfo         *info = g_object_get_data (G_OBJECT (row), "info");
  guint                selected = adw_combo_row_get_selected (row);
  DftFormLanguageInfo *l;

  if (info == NULL || selected >= info->languages->len)
    return;
  l = g_ptr_array_index (info->languages, selected);
  if (g_strcmp0 (dft_record_get_string (info->record, "default_language"), l->code) == 0)
    return;
  dft_record_set_string (info->record, "default_language", l->code);
  dft_ui_save_records_async (self, self->store, &info->record, 1, language_saved_cb, NULL);
}

static void
preview_clicked_cb (GtkButton *button, DftFormsPage *self)
{
  DftFormInfo *info = g_object_get_data (G_OBJECT (button), "info");

  dft_forms_open_filler (GTK_WIDGET (self), self->store, info->record, NULL, NULL, NULL, TRUE);
}

static GtkWidget *
make_row (DftFormsPage *self, DftFormInfo *info, const char *subtitle)
{
  GtkWidget                *row = adw_expander_row_new ();
  GtkWidget                *preview = gtk_button_new_from_icon_name ("view-reveal-symbolic");
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  const char               *current = dft_record_get_string (info->record, "default_language");
  g_autofree char          *preview_label = NULL;
  guint                     selected = 0;

  /* Titles and language names are the form's own text, never markup; turned off first, since
   * setting a title parses it at once. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), info->title);
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row), subtitle);
  g_object_set_data_full (G_OBJECT (row), "key", g_strdup (info->key), g_free);

  /* Translators: %s is the title of a form */
  preview_label = g_strdup_printf (_ ("Preview %s"), info->title);
  gtk_widget_set_tooltip_text (preview, _ ("Preview"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (preview), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  preview_label, -1);
  gtk_widget_set_valign (preview, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (preview, "flat");
  g_object_set_data (G_OBJECT (preview), "info", info);
  g_signal_connect_object (preview, "clicked", G_CALLBACK (preview_clicked_cb), self, 0);
  adw_expander_row_add_action (ADW_EXPANDER_ROW (row), preview);
  if (info->error == NULL)
    {
      GtkWidget *save = gtk_button_new_from_icon_name ("document-save-as-symbolic");
      /* Translators: %s is the title of a form */
      g_autofree char *save_label = g_strdup_printf (_ ("Export Submissions of %s"), info->title);

      gtk_widget_set_tooltip_text (save, _ ("Export Submissions…"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (save), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      save_label, -1);
      gtk_widget_set_valign (save, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (save, "flat");
      gtk_actionable_set_action_name (GTK_ACTIONABLE (save), "forms.export-submissions");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (save), "s", info->key);
      adw_expander_row_add_action (ADW_EXPANDER_ROW (row), save);
    }

  for (guint i = 0; i < info->languages->len; i++)
    {
      DftFormLanguageInfo *l = g_ptr_array_index (info->languages, i);
      g_autofree char     *text = NULL;
      g_autofree char     *percent = dft_format_percent (l->completeness);
      GtkWidget           *lang_row = adw_action_row_new ();
      GtkWidget           *bar = gtk_level_bar_new_for_interval (0, 1);

      if (g_strcmp0 (l->code, current) == 0)
        selected = i;
      gtk_string_list_append (names, l->name);
      /* Translators: how much of a form is translated into a language; %s is a percentage
         already written as your language writes one ("87 %"), so "87 % translated" */
      text = g_strdup_printf (_ ("%s translated"), percent);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (lang_row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (lang_row), l->name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (lang_row), text);
      gtk_level_bar_set_value (GTK_LEVEL_BAR (bar), l->completeness);
      gtk_widget_set_valign (bar, GTK_ALIGN_CENTER);
      gtk_widget_set_size_request (bar, 80, -1);
      gtk_accessible_update_property (GTK_ACCESSIBLE (bar), GTK_ACCESSIBLE_PROPERTY_LABEL, text,
                                      -1);
      adw_action_row_add_suffix (ADW_ACTION_ROW (lang_row), bar);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (row), lang_row);
    }
  if (info->languages->len > 1)
    {
      GtkWidget *combo = adw_combo_row_new ();

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (combo), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (combo), _ ("Language to Fill In"));
      adw_combo_row_set_model (ADW_COMBO_ROW (combo), G_LIST_MODEL (names));
      adw_combo_row_set_selected (ADW_COMBO_ROW (combo), selected);
      g_object_set_data (G_OBJECT (combo), "info", info);
      g_signal_connect_object (combo, "notify::selected", G_CALLBACK (language_selected_cb), self,
                               0);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (row), combo);
    }
  /* Shown, so that the trainer sees it and why, but greyed: nothing opens it. */
  if (info->error != NULL)
    gtk_widget_set_sensitive (row, FALSE);
  return row;
}

static void
show_infos (DftFormsPage *self)
{
  g_autoptr (GHashTable) counts = count_submissions (self);
  GtkWidget             *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list_box))) != NULL)
    gtk_list_box_remove (self->list_box, child);
  g_hash_table_remove_all (self->descriptions);
  for (guint i = 0; self->infos != NULL && i < self->infos->len; i++)
    {
      DftFormInfo *info = g_ptr_array_index (self->infos, i);
      char *subtitle = describe (info, GPOINTER_TO_UINT (g_hash_table_lookup (counts, info->key)));

      gtk_list_box_append (self->list_box, make_row (self, info, subtitle));
      g_hash_table_insert (self->descriptions, g_strdup (info->key), subtitle);
    }
  gtk_stack_set_visible_child_name (self->stack,
                                    self->infos != NULL && self->infos->len > 0 ? "list" : "empty");
  gtk_list_box_invalidate_filter (self->list_box);
}

static gboolean
filter_row (GtkListBoxRow *row, gpointer user_data)
{
  DftFormsPage    *self = user_data;
  const char      *query = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char *haystack = NULL;
  g_autofree char *folded_hay = NULL;
  g_autofree char *folded_query = NULL;

  if (query == NULL || *query == '\0')
    return TRUE;
  haystack = g_strdup_printf ("%s %s %s", adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)),
                              adw_expander_row_get_subtitle (ADW_EXPANDER_ROW (row)),
                              (char *) g_object_get_data (G_OBJECT (row), "key"));
  folded_hay = g_utf8_casefold (haystack, -1);
  folded_query = g_utf8_casefold (query, -1);
  return strstr (folded_hay, folded_query) != NULL;
}

static void
search_changed_cb (DftFormsPage *self)
{
  gtk_list_box_invalidate_filter (self->list_box);
}

static void
infos_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftFormsPage         *self = DFT_FORMS_PAGE (source);
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) infos = dft_form_infos_load_finish (result, &error);

  if (g_task_get_cancellable (G_TASK (result)) != self->info_cancellable)
    return; /* a newer read is under way */
  g_clear_object (&self->info_cancellable);
  if (infos == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        dft_ui_toast_error (GTK_WIDGET (self), error);
      return;
    }
  g_clear_pointer (&self->infos, g_ptr_array_unref);
  self->infos = g_steal_pointer (&infos);
  show_infos (self);
}

static gboolean
refresh_cb (gpointer data)
{
  DftFormsPage         *self = data;
  g_autoptr (GPtrArray) latest = NULL;

  self->refresh_id = 0;
  if (self->info_cancellable != NULL)
    g_cancellable_cancel (self->info_cancellable);
  g_clear_object (&self->info_cancellable);
  if (self->forms == NULL)
    return G_SOURCE_REMOVE;
  latest = dft_forms_latest (self->forms);
  self->info_cancellable = g_cancellable_new ();
  dft_form_infos_load_async (self, latest, self->info_cancellable, infos_done_cb, NULL);
  return G_SOURCE_REMOVE;
}

static void
schedule_refresh (DftFormsPage *self)
{
  if (self->refresh_id == 0)
    self->refresh_id = g_timeout_add (100, refresh_cb, self);
}

void
dft_forms_page_set_store (DftFormsPage *self, DftStore *store)
{
  g_return_if_fail (DFT_IS_FORMS_PAGE (self));

  if (!g_set_object (&self->store, store))
    return;
  g_clear_object (&self->forms);
  g_clear_object (&self->submissions);
  if (store != NULL)
    {
      self->forms = dft_store_list_forms (store);
      self->submissions = G_LIST_MODEL (dft_record_list_new (
          store, &dft_entity_submission, "deleted = 0 AND status = 'final'", NULL, "created_at"));
      g_signal_connect_object (self->forms, "items-changed", G_CALLBACK (schedule_refresh), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (self->submissions, "items-changed", G_CALLBACK (schedule_refresh),
                               self, G_CONNECT_SWAPPED);
    }
  set_busy (self, NULL);
  schedule_refresh (self);
}

/* ---- Import -------------------------------------------------------------------- */

typedef struct
{
  DftStore  *store;
  char      *path;
  DftForm   *form;
  DftRecord *saved;
} ImportJob;

static void
import_job_free (gpointer data)
{
  ImportJob *job = data;

  g_clear_object (&job->store);
  g_free (job->path);
  g_clear_pointer (&job->form, dft_form_unref);
  g_clear_object (&job->saved);
  g_free (job);
}

static gboolean
import_read_work (gpointer data, GCancellable *cancellable, GError **error)
{
  ImportJob *job = data;

  job->form = dft_form_new_from_file (job->path, error);
  if (job->form == NULL)
    return FALSE;
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

static gboolean
save_form_work (gpointer data, GCancellable *cancellable, GError **error)
{
  ImportJob *job = data;

  job->saved = dft_form_store_save (job->store, job->form, error);
  return job->saved != NULL;
}

static void
show_error (DftFormsPage *self, const char *heading, const GError *error)
{
  GtkRoot   *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                              heading, error->message);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _ ("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
saved_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftFormsPage      *self = DFT_FORMS_PAGE (source);
  ImportJob         *job = dft_ui_run_get_data (result);
  g_autoptr (GError) error = NULL;
  g_autofree char   *message = NULL;

  g_clear_object (&self->import_cancellable);
  set_busy (self, NULL);
  if (!dft_ui_run_finish (result, &error))
    {
      show_error (self, _ ("The Form Was Not Saved"), error);
      return;
    }
  /* Translators: %s is the title of a form */
  message = g_strdup_printf (_ ("Saved “%s”"), dft_record_get_string (job->saved, "title"));
  dft_ui_toast (GTK_WIDGET (self), message);
}

static void
save_form (DftFormsPage *self, DftForm *form)
{
  ImportJob *job = g_new0 (ImportJob, 1);

  job->store = g_object_ref (self->store);
  job->form = dft_form_ref (form);
  self->import_cancellable = g_cancellable_new ();
  set_busy (self, _ ("Saving the form…"));
  dft_ui_run_async (self, save_form_work, job, import_job_free, self->import_cancellable, saved_cb,
                    NULL);
}

static void
warnings_response_cb (AdwMessageDialog *dialog, const char *response, DftFormsPage *self)
{
  DftForm *form = g_object_get_data (G_OBJECT (dialog), "form");

  if (g_strcmp0 (response, "save") == 0 && self->store != NULL)
    save_form (self, form);
}

static void
show_warnings (DftFormsPage *self, DftForm *form)
{
  GtkRoot            *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autoptr (GString) body = g_string_new (NULL);
  g_autofree char    *heading = NULL;
  GtkWidget          *dialog;
  GtkWidget          *label;
  GtkWidget          *scrolled;
  guint               n = form->warnings->len;

  heading = g_strdup_printf (
      /* Translators: %u is a number of questions or settings the import could not use */
      ngettext ("%u Thing Could Not Be Used", "%u Things Could Not Be Used", n), n);
  for (guint i = 0; i < n; i++)
    {
      DftFormWarning *warning = g_ptr_array_index (form->warnings, i);

      if (body->len > 0)
        g_string_append (body, "\n\n");
      if (warning->name != NULL && warning->source_line > 0)
        /* Translators: a question's name, the line or spreadsheet row it is on, and what is wrong
         */
        g_string_append_printf (body, _ ("• %s (line %u): %s"), warning->name, warning->source_line,
                                warning->message);
      else if (warning->name != NULL)
        /* Translators: a question's name and what is wrong */
        g_string_append_printf (body, _ ("• %s: %s"), warning->name, warning->message);
      else if (warning->source_line > 0)
        /* Translators: the line or spreadsheet row of a form file and what is wrong */
        g_string_append_printf (body, _ ("• line %u: %s"), warning->source_line, warning->message);
      else
        g_string_append_printf (body, "• %s", warning->message);
    }
  dialog = adw_message_dialog_new (
      GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading,
      _ ("The form works without these. Save it as it is, or fix the file and import it again."));
  label = gtk_label_new (body->str);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  /* Wrapped lines ask for little height: give the list room to be read. */
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scrolled), MIN (n, 4) * 48);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 280);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), label);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), scrolled);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _ ("_Cancel"), "save",
                                    _ ("_Save Form"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "save",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "save");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "form", dft_form_ref (form),
                          (GDestroyNotify) dft_form_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (warnings_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
import_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftFormsPage      *self = DFT_FORMS_PAGE (source);
  ImportJob         *job = dft_ui_run_get_data (result);
  g_autoptr (GError) error = NULL;

  g_clear_object (&self->import_cancellable);
  set_busy (self, NULL);
  if (!dft_ui_run_finish (result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, _ ("The Form Cannot Be Imported"), error);
      return;
    }
  if (job->form->warnings != NULL && job->form->warnings->len > 0)
    show_warnings (self, job->form);
  else
    save_form (self, job->form);
}

void
dft_forms_page_import_file (DftFormsPage *self, GFile *file)
{
  ImportJob       *job;
  g_autofree char *name = NULL;
  g_autofree char *message = NULL;

  g_return_if_fail (DFT_IS_FORMS_PAGE (self));
  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (self->store != NULL && self->import_cancellable == NULL);

  job = g_new0 (ImportJob, 1);
  job->store = g_object_ref (self->store);
  job->path = g_file_get_path (file);
  name = g_file_get_basename (file);
  /* Translators: %s is the name of a file */
  message = g_strdup_printf (_ ("Reading %s…"), name);
  self->import_cancellable = g_cancellable_new ();
  set_busy (self, message);
  dft_ui_run_async (self, import_read_work, job, import_job_free, self->import_cancellable,
                    import_read_cb, NULL);
}

static void
chooser_response_cb (GtkNativeDialog *chooser, int response, DftFormsPage *self)
{
  g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
  if (response == GTK_RESPONSE_ACCEPT && file != NULL && self->import_cancellable == NULL)
    dft_forms_page_import_file (self, file);
  g_object_unref (self);
}

static void
import_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftFormsPage             *self = DFT_FORMS_PAGE (widget);
  GtkRoot                  *root = gtk_widget_get_root (widget);
  GtkFileChooserNative     *chooser;
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();
  const char               *patterns[] = { "*.xml", "*.xlsx", "*.xls", "*.csv", "*.json", "*.md" };

  chooser = gtk_file_chooser_native_new (
      _ ("Import a Form"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
      GTK_FILE_CHOOSER_ACTION_OPEN, _ ("_Import"), _ ("_Cancel"));
  gtk_file_filter_set_name (filter, _ ("Forms (XForm, XLSForm, Daftari)"));
  for (guint i = 0; i < G_N_ELEMENTS (patterns); i++)
    gtk_file_filter_add_pattern (filter, patterns[i]);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (chooser_response_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
cancel_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftFormsPage *self = DFT_FORMS_PAGE (widget);

  if (self->import_cancellable != NULL)
    g_cancellable_cancel (self->import_cancellable);
}

/* ---- Templates ----------------------------------------------------------------- */

typedef struct
{
  DftStore  *store;
  char      *name, *title, *key;
  DftRecord *saved;
} CopyJob;

static void
copy_job_free (gpointer data)
{
  CopyJob *job = data;

  g_clear_object (&job->store);
  g_free (job->name);
  g_free (job->title);
  g_free (job->key);
  g_clear_object (&job->saved);
  g_free (job);
}

static gboolean
copy_work (gpointer data, GCancellable *cancellable, GError **error)
{
  CopyJob            *job = data;
  g_autoptr (DftForm) form = dft_form_template_load (job->name, error);

  if (form == NULL)
    return FALSE;
  if (job->key != NULL)
    {
      g_free (form->id);
      form->id = g_strdup (job->key);
    }
  if (job->title != NULL)
    {
      /* The title in every language becomes the one given: the trainer named it. */
      g_hash_table_remove_all (form->title);
      dft_text_set (form->title, form->default_language, job->title);
    }
  job->saved = dft_form_store_save (job->store, form, error);
  return job->saved != NULL;
}

static void
copied_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftFormsPage      *self = DFT_FORMS_PAGE (source);
  CopyJob           *job = dft_ui_run_get_data (result);
  g_autoptr (GError) error = NULL;
  g_autofree char   *message = NULL;

  g_clear_object (&self->import_cancellable);
  set_busy (self, NULL);
  if (!dft_ui_run_finish (result, &error))
    {
      show_error (self, _ ("The Template Was Not Copied"), error);
      return;
    }
  /* Translators: %s is the title of a form */
  message = g_strdup_printf (_ ("Saved “%s”"), dft_record_get_string (job->saved, "title"));
  dft_ui_toast (GTK_WIDGET (self), message);
}

void
dft_forms_page_copy_template (DftFormsPage *self,
                              const char   *name,
                              const char   *title,
                              const char   *key)
{
  CopyJob *job;

  g_return_if_fail (DFT_IS_FORMS_PAGE (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (self->store != NULL && self->import_cancellable == NULL);

  job = g_new0 (CopyJob, 1);
  job->store = g_object_ref (self->store);
  job->name = g_strdup (name);
  job->title = title != NULL && *title != '\0' ? g_strdup (title) : NULL;
  job->key = key != NULL && *key != '\0' ? g_strdup (key) : NULL;
  self->import_cancellable = g_cancellable_new ();
  set_busy (self, _ ("Copying the template…"));
  dft_ui_run_async (self, copy_work, job, copy_job_free, self->import_cancellable, copied_cb, NULL);
}

static const char *
template_label (const char *name)
{
  if (g_str_equal (name, "knowledge-test"))
    return _ ("Knowledge test (pre and post)");
  if (g_str_equal (name, "workshop-evaluation"))
    return _ ("Workshop evaluation");
  if (g_str_equal (name, "registration-extra"))
    return _ ("Extra registration questions");
  return name;
}

static char *
key_from_title (const char *title)
{
  g_autofree char *ascii = g_str_to_ascii (title, NULL);
  GString         *key = g_string_new (NULL);

  for (const char *p = ascii; *p != '\0'; p++)
    {
      if (g_ascii_isalnum (*p))
        g_string_append_c (key, g_ascii_tolower (*p));
      else if (key->len > 0 && key->str[key->len - 1] != '_')
        g_string_append_c (key, '_');
    }
  while (key->len > 0 && key->str[key->len - 1] == '_')
    g_string_truncate (key, key->len - 1);
  return g_string_free (key, FALSE);
}

static void
template_response_cb (AdwMessageDialog *dialog, const char *response, DftFormsPage *self)
{
  GtkDropDown     *dropdown = g_object_get_data (G_OBJECT (dialog), "dropdown");
  GtkEditable     *title_entry = g_object_get_data (G_OBJECT (dialog), "title");
  GtkEditable     *key_entry = g_object_get_data (G_OBJECT (dialog), "key");
  const char      *name = dft_form_templates_list ()[gtk_drop_down_get_selected (dropdown)];
  g_autofree char *title = dft_ui_editable_text (title_entry);
  g_autofree char *key = dft_ui_editable_text (key_entry);

  if (g_strcmp0 (response, "copy") != 0 || self->store == NULL || self->import_cancellable != NULL)
    return;
  if (key == NULL && title != NULL)
    key = key_from_title (title);
  dft_forms_page_copy_template (self, name, title, key);
}

static void
title_changed_cb (GtkEditable *title, GtkEditable *key)
{
  g_autofree char *text = dft_ui_editable_text (title);
  g_autofree char *derived = text != NULL ? key_from_title (text) : g_strdup ("");

  gtk_editable_set_text (key, derived);
}

static GtkWidget *
entry_row (GtkWidget *box, const char *label_text, GtkWidget *entry)
{
  GtkWidget *label = gtk_label_new_with_mnemonic (label_text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), entry);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), entry);
  gtk_accessible_update_relation (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_RELATION_LABELLED_BY,
                                  label, NULL, -1);
  return entry;
}

static void
copy_template_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftFormsPage             *self = DFT_FORMS_PAGE (widget);
  GtkRoot                  *root = gtk_widget_get_root (widget);
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  const char *const        *templates = dft_form_templates_list ();
  GtkWidget                *dialog, *box, *dropdown, *title, *key;

  for (guint i = 0; templates[i] != NULL; i++)
    gtk_string_list_append (names, template_label (templates[i]));
  dialog = adw_message_dialog_new (
      GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, _ ("Copy a Template"),
      _ ("The copy is yours to rename and edit; the template stays as it is."));
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  dropdown = entry_row (box, _ ("_Template"),
                        gtk_drop_down_new (G_LIST_MODEL (g_object_ref (names)), NULL));
  title = entry_row (box, _ ("T_itle"), gtk_entry_new ());
  /* Translators: the first underscore marks the access key; "__" shows one underscore, the
   * character a key may hold besides letters and digits */
  key = entry_row (box, _ ("_Key (letters, digits and __)"), gtk_entry_new ());
  g_signal_connect (title, "changed", G_CALLBACK (title_changed_cb), key);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _ ("_Cancel"), "copy",
                                    _ ("C_opy"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "copy",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "copy");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data (G_OBJECT (dialog), "dropdown", dropdown);
  g_object_set_data (G_OBJECT (dialog), "title", title);
  g_object_set_data (G_OBJECT (dialog), "key", key);
  g_signal_connect_object (dialog, "response", G_CALLBACK (template_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- GObject --------------------------------------------------------------------- */

/* ---- Export Submissions ------------------------------------------------------------------ */

typedef struct
{
  DftStore *store;
  char     *form_key;
  char     *media_dir; /* where the files the answers name go, beside the file saved */
} SubmissionsJob;

static void
submissions_job_free (gpointer data)
{
  SubmissionsJob *job = data;

  g_object_unref (job->store);
  g_free (job->form_key);
  g_free (job->media_dir);
  g_free (job);
}

static gboolean
submissions_csv (gpointer data, GOutputStream *out, GCancellable *cancellable, GError **error)
{
  SubmissionsJob         *job = data;
  g_auto (DftExportMedia) media = { 0 };

  return dft_submissions_export_csv_with_media (job->store, job->form_key, NULL, out,
                                                job->media_dir, &media, cancellable, error);
}

static gboolean
submissions_work (gpointer data, DftSaveTarget *target, GCancellable *cancellable, GError **error)
{
  SubmissionsJob *job = data;

  /* The files photo, recording and file questions name go into a folder beside the sheet, as
   * daftari-cli writes them. */
  if (target->format == DFT_SAVE_XLSX)
    {
      g_auto (DftExportMedia) media = { 0 };

      return dft_submissions_export_xlsx_with_media (job->store, job->form_key, NULL, target->path,
                                                     &media, cancellable, error);
    }
  g_free (job->media_dir);
  job->media_dir = dft_submissions_export_media_dir (target->path);
  return dft_save_write_stream (target->path, submissions_csv, job, cancellable, error);
}

/* Every workshop's submissions of one form (its key), as a spreadsheet; with a path too (the
 * "-to" twin, "(ss)": key, path) without asking where. */
static void
export_submissions_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftFormsPage    *self = DFT_FORMS_PAGE (widget);
  const char      *key = NULL;
  const char      *path = NULL;
  SubmissionsJob  *job;
  DftSaveDialog   *dialog;
  g_autofree char *today = dft_ui_today ();
  g_autofree char *what = NULL;
  g_autofree char *name = NULL;
  const char      *title = NULL;

  if (g_variant_is_of_type (parameter, G_VARIANT_TYPE ("(ss)")))
    g_variant_get (parameter, "(&s&s)", &key, &path);
  else
    key = g_variant_get_string (parameter, NULL);
  if (self->store == NULL)
    return;
  for (guint i = 0; self->infos != NULL && i < self->infos->len; i++)
    {
      DftFormInfo *info = g_ptr_array_index (self->infos, i);

      if (g_strcmp0 (info->key, key) == 0)
        title = info->title;
    }
  job = g_new0 (SubmissionsJob, 1);
  job->store = g_object_ref (self->store);
  job->form_key = g_strdup (key);
  /* Translators: part of a suggested file name, "<form> Submissions <date>.xlsx"; %s is the
     form's title */
  what = g_strdup_printf (_ ("%s Submissions"), title != NULL ? title : key);
  name = dft_save_suggested_name (NULL, what, today);
  dialog
      = dft_save_dialog_new (widget, _ ("Export Submissions"), name, DFT_SAVE_XLSX | DFT_SAVE_CSV,
                             submissions_work, job, submissions_job_free);
  if (path != NULL)
    dft_save_dialog_save_to (dialog, path);
  else
    dft_save_dialog_show (dialog);
}

static void
dft_forms_page_dispose (GObject *object)
{
  DftFormsPage *self = DFT_FORMS_PAGE (object);

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  if (self->import_cancellable != NULL)
    g_cancellable_cancel (self->import_cancellable);
  if (self->info_cancellable != NULL)
    g_cancellable_cancel (self->info_cancellable);
  g_clear_object (&self->import_cancellable);
  g_clear_object (&self->info_cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), DFT_TYPE_FORMS_PAGE);
  g_clear_object (&self->forms);
  g_clear_object (&self->submissions);
  g_clear_object (&self->store);
  g_clear_pointer (&self->infos, g_ptr_array_unref);
  g_clear_pointer (&self->descriptions, g_hash_table_unref);

  G_OBJECT_CLASS (dft_forms_page_parent_class)->dispose (object);
}

static void
dft_forms_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  DftFormsPage *self = DFT_FORMS_PAGE (object);

  switch (prop_id)
    {
    case PROP_FOLDED:
      g_value_set_boolean (value, self->folded);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dft_forms_page_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  DftFormsPage *self = DFT_FORMS_PAGE (object);

  switch (prop_id)
    {
    case PROP_FOLDED:
      if (self->folded != g_value_get_boolean (value))
        {
          self->folded = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dft_forms_page_class_init (DftFormsPageClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dft_forms_page_dispose;
  object_class->get_property = dft_forms_page_get_property;
  object_class->set_property = dft_forms_page_set_property;

  properties[PROP_FOLDED]
      = g_param_spec_boolean ("folded", NULL, NULL, FALSE,
                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Links the resource in, whose constructor registers it. */
  g_assert (dft_form_ui_get_resource () != NULL);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/daftari/Daftari/form/dft-forms-page.ui");
  gtk_widget_class_bind_template_child (widget_class, DftFormsPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, DftFormsPage, busy_revealer);
  gtk_widget_class_bind_template_child (widget_class, DftFormsPage, busy_spinner);
  gtk_widget_class_bind_template_child (widget_class, DftFormsPage, busy_label);
  gtk_widget_class_bind_template_child (widget_class, DftFormsPage, stack);
  gtk_widget_class_bind_template_child (widget_class, DftFormsPage, list_box);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);

  gtk_widget_class_install_action (widget_class, "forms.import", NULL, import_activated);
  gtk_widget_class_install_action (widget_class, "forms.copy-template", NULL,
                                   copy_template_activated);
  gtk_widget_class_install_action (widget_class, "forms.cancel", NULL, cancel_activated);
  gtk_widget_class_install_action (widget_class, "forms.export-submissions", "s",
                                   export_submissions_activated);
  gtk_widget_class_install_action (widget_class, "forms.export-submissions-to", "(ss)",
                                   export_submissions_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "forms.import",
                                       NULL);
}

static void
dft_forms_page_init (DftFormsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->descriptions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  gtk_list_box_set_filter_func (self->list_box, filter_row, self, NULL);
  set_busy (self, NULL);
}
