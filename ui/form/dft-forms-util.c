/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "forms/dft-assessment.h"
#include "dft-form-filler.h"
#include "forms/dft-form-store.h"
#include "forms/dft-form.h"
#include "dft-forms-util.h"
#include "dft-kiosk-window.h"
#include "dft-ui-util.h"

void
dft_form_info_free (DftFormInfo *info)
{
  if (info == NULL)
    return;
  g_clear_object (&info->record);
  g_free (info->key);
  g_free (info->title);
  g_free (info->kind);
  g_free (info->error);
  g_clear_pointer (&info->languages, g_ptr_array_unref);
  g_free (info);
}

static void
language_info_free (gpointer data)
{
  DftFormLanguageInfo *info = data;

  g_free (info->code);
  g_free (info->name);
  g_free (info);
}

static int
compare_title (gconstpointer a, gconstpointer b)
{
  DftRecord *ra = *(DftRecord **) a;
  DftRecord *rb = *(DftRecord **) b;
  int        cmp = g_utf8_collate (dft_record_get_string (ra, "title") ?: "",
                            dft_record_get_string (rb, "title") ?: "");

  return cmp != 0 ? cmp
                  : g_strcmp0 (dft_record_get_string (ra, "form_key"),
                               dft_record_get_string (rb, "form_key"));
}

GPtrArray *
dft_forms_latest (GListModel *forms)
{
  g_autoptr (GHashTable) by_key = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray             *latest = g_ptr_array_new_with_free_func (g_object_unref);
  guint                  n = forms != NULL ? g_list_model_get_n_items (forms) : 0;
  GHashTableIter         iter;
  gpointer               value;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (DftRecord) record = g_list_model_get_item (forms, i);
      const char           *key = dft_record_get_string (record, "form_key");
      DftRecord            *seen;

      if (key == NULL)
        continue;
      seen = g_hash_table_lookup (by_key, key);
      if (seen == NULL
          || dft_record_get_int (record, "version") > dft_record_get_int (seen, "version"))
        g_hash_table_insert (by_key, (gpointer) key, record);
    }
  g_hash_table_iter_init (&iter, by_key);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (latest, g_object_ref (value));
  g_ptr_array_sort (latest, compare_title);
  return latest;
}

GHashTable *
dft_forms_version_ids (GListModel *forms, const char *form_key)
{
  GHashTable *ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint       n = forms != NULL ? g_list_model_get_n_items (forms) : 0;

  for (guint i = 0; form_key != NULL && i < n; i++)
    {
      g_autoptr (DftRecord) record = g_list_model_get_item (forms, i);

      if (g_strcmp0 (dft_record_get_string (record, "form_key"), form_key) == 0)
        g_hash_table_add (ids, g_strdup (dft_record_get_id (record)));
    }
  return ids;
}

const char *
dft_forms_kind_label (const char *kind)
{
  if (g_strcmp0 (kind, "assessment") == 0)
    return _ ("Test");
  if (g_strcmp0 (kind, "evaluation") == 0)
    return _ ("Evaluation");
  if (g_strcmp0 (kind, "registration") == 0)
    return _ ("Registration");
  return _ ("Survey");
}

gboolean
dft_forms_check (DftRecord *form_record, GError **error)
{
  g_autoptr (DftForm) form = NULL;

  g_return_val_if_fail (DFT_IS_RECORD (form_record), FALSE);

  form = dft_form_store_open (dft_record_get_string (form_record, "definition"), error);
  return form != NULL;
}

char *
dft_forms_left_out_text (guint n_left_out)
{
  if (n_left_out == 0)
    return NULL;
  /* Translators: %u is a number of forms; the Forms screen lists them with the reason */
  return g_strdup_printf (ngettext ("%u form that cannot be opened is left out: Forms says why.",
                                    "%u forms that cannot be opened are left out: Forms says why.",
                                    n_left_out),
                          n_left_out);
}

/* ---- Reading definitions in a worker ---------------------------------------- */

typedef struct
{
  GPtrArray *records;      /* DftRecord * */
  GPtrArray *definitions;  /* char *, copied on the UI thread */
  GPtrArray *infos;        /* DftFormInfo * */
  GStrv      ui_languages; /* the UI's languages, most wanted first */
} InfoJob;

static void
info_job_free (gpointer data)
{
  InfoJob *job = data;

  g_ptr_array_unref (job->records);
  g_ptr_array_unref (job->definitions);
  g_clear_pointer (&job->infos, g_ptr_array_unref);
  g_strfreev (job->ui_languages);
  g_free (job);
}

typedef struct
{
  DftForm    *form;
  const char *lang;
  guint       total;
  guint       present;
} Completeness;

static void
count_text (Completeness *c, DftText *text)
{
  gboolean fell_back = FALSE;

  if (text == NULL || dft_form_text (c->form, text, c->lang, NULL) == NULL)
    return;
  c->total++;
  if (dft_form_text (c->form, text, c->lang, &fell_back) != NULL && !fell_back)
    c->present++;
}

static void
count_question (DftQuestion *question, gpointer user_data)
{
  Completeness *c = user_data;

  count_text (c, question->label);
  count_text (c, question->hint);
  count_text (c, question->required_message);
  count_text (c, question->constraint_message);
}

static double
completeness (DftForm *form, const char *lang)
{
  Completeness   c = { form, lang, 0, 0 };
  GHashTableIter iter;
  gpointer       value;

  count_text (&c, form->title);
  dft_form_foreach (form, count_question, &c);
  g_hash_table_iter_init (&iter, form->choice_lists);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      DftChoiceList *list = value;

      for (guint i = 0; i < list->choices->len; i++)
        count_text (&c, ((DftChoice *) g_ptr_array_index (list->choices, i))->label);
    }
  return c.total > 0 ? (double) c.present / c.total : 1.0;
}

/* The form's language a person using the app in @ui_languages reads best, or NULL. */
static const char *
form_language_for (DftForm *form, GStrv ui_languages)
{
  for (guint u = 0; ui_languages[u] != NULL; u++)
    for (guint j = 0; j < form->languages->len; j++)
      {
        DftLanguage *language = g_ptr_array_index (form->languages, j);

        if (g_strcmp0 (language->code, ui_languages[u]) == 0)
          return language->code;
      }
  return NULL;
}

static gboolean
info_work (gpointer data, GCancellable *cancellable, GError **error)
{
  InfoJob *job = data;

  job->infos = g_ptr_array_new_with_free_func ((GDestroyNotify) dft_form_info_free);
  for (guint i = 0; i < job->records->len; i++)
    {
      DftRecord   *record = g_ptr_array_index (job->records, i);
      const char  *json = g_ptr_array_index (job->definitions, i);
      DftFormInfo *info = g_new0 (DftFormInfo, 1);
      DftForm     *form;
      GError      *local = NULL;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      info->record = g_object_ref (record);
      info->key = g_strdup (dft_record_get_string (record, "form_key"));
      info->title = g_strdup (dft_record_get_string (record, "title"));
      info->kind = g_strdup (dft_record_get_string (record, "kind"));
      info->languages = g_ptr_array_new_with_free_func (language_info_free);
      /* Read and prepared as the filler will: a form listed as usable opens. */
      form = dft_form_store_open (json, &local);
      if (form == NULL)
        {
          info->error = g_strdup (local->message);
          g_error_free (local);
        }
      else
        {
          const char *ui_language = form_language_for (form, job->ui_languages);

          /* The title as the trainer reads the app: a Russian interface lists the
           * Russian title of a form that has one. */
          if (ui_language != NULL && form->title != NULL)
            {
              const char *title = dft_form_text (form, form->title, ui_language, NULL);

              if (title != NULL && *title != '\0')
                {
                  g_free (info->title);
                  info->title = g_strdup (title);
                }
            }
          info->is_assessment = dft_form_is_assessment (form);
          for (guint j = 0; j < form->languages->len; j++)
            {
              DftLanguage         *language = g_ptr_array_index (form->languages, j);
              DftFormLanguageInfo *l = g_new0 (DftFormLanguageInfo, 1);

              l->code = g_strdup (language->code);
              l->name = g_strdup (language->name != NULL ? language->name : language->code);
              l->completeness = completeness (form, language->code);
              g_ptr_array_add (info->languages, l);
            }
          info->n_warnings = form->warnings != NULL ? form->warnings->len : 0;
          dft_form_unref (form);
        }
      g_ptr_array_add (job->infos, info);
    }
  return TRUE;
}

void
dft_form_infos_load_async (gpointer            source_object,
                           GPtrArray          *records,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  InfoJob *job = g_new0 (InfoJob, 1);

  job->records = g_ptr_array_new_with_free_func (g_object_unref);
  job->definitions = g_ptr_array_new_with_free_func (g_free);
  job->ui_languages = g_strdupv ((char **) g_get_language_names ());
  for (guint i = 0; i < records->len; i++)
    {
      DftRecord *record = g_ptr_array_index (records, i);

      g_ptr_array_add (job->records, g_object_ref (record));
      g_ptr_array_add (job->definitions, g_strdup (dft_record_get_string (record, "definition")));
    }
  dft_ui_run_async (source_object, info_work, job, info_job_free, cancellable, callback, user_data);
}

GPtrArray *
dft_form_infos_load_finish (GAsyncResult *result, GError **error)
{
  InfoJob *job;

  if (!dft_ui_run_finish (result, error))
    return NULL;
  job = dft_ui_run_get_data (result);
  return g_steal_pointer (&job->infos);
}

/* ---- PIN --------------------------------------------------------------------- */

typedef struct
{
  DftFormsPinFunc func;
  gpointer        user_data;
  GDestroyNotify  destroy;
  GtkEditable    *entry; /* owned */
} PinRequest;

static void
pin_request_free (gpointer data, GClosure *closure)
{
  PinRequest *request = data;

  if (request->destroy != NULL)
    request->destroy (request->user_data);
  g_clear_object (&request->entry);
  g_free (request);
}

static void
pin_response_cb (AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
  PinRequest      *request = user_data;
  g_autofree char *pin = dft_ui_editable_text (request->entry);

  if (g_strcmp0 (response, "start") == 0 && pin != NULL)
    request->func (pin, request->user_data);
}

static void
pin_changed_cb (GtkEditable *entry, AdwMessageDialog *dialog)
{
  g_autofree char *pin = dft_ui_editable_text (entry);

  adw_message_dialog_set_response_enabled (dialog, "start",
                                           pin != NULL && g_utf8_strlen (pin, -1) >= 4);
}

void
dft_forms_ask_pin (GtkWidget      *parent,
                   DftFormsPinFunc func,
                   gpointer        user_data,
                   GDestroyNotify  destroy)
{
  GtkRoot    *root = gtk_widget_get_root (parent);
  GtkWidget  *dialog;
  GtkWidget  *entry = gtk_password_entry_new ();
  PinRequest *request = g_new0 (PinRequest, 1);

  dialog = adw_message_dialog_new (
      GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, _ ("Choose a PIN"),
      _ ("The kiosk fills the whole screen and closes only with this PIN. Use at least four "
         "characters and keep it to the trainers."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _ ("_Cancel"), "start",
                                    _ ("_Start Kiosk"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "start",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), "start", FALSE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "start");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  gtk_password_entry_set_show_peek_icon (GTK_PASSWORD_ENTRY (entry), TRUE);
  /* Enter presses Start Kiosk, once it is enabled, the way its button does. Destroying the
   * dialog from the entry's own "activate" left GTK 4.8 touching the entry after it was gone. */
  g_object_set (entry, "activates-default", TRUE, NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Kiosk PIN"), -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  request->func = func;
  request->user_data = user_data;
  request->destroy = destroy;
  /* Held until the dialog's handlers go, after GTK's own dispose of the dialog: GTK 4.8 notifies
   * the password entry while it disposes the window that held it, and an entry already
   * finalized by then is a use after free (seen as "invalid unclassed pointer in cast to
   * GtkPasswordEntry" when the kiosk starts). */
  request->entry = GTK_EDITABLE (g_object_ref (entry));
  g_signal_connect (entry, "changed", G_CALLBACK (pin_changed_cb), dialog);
  g_signal_connect_data (dialog, "response", G_CALLBACK (pin_response_cb), request,
                         pin_request_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

/* ---- Filler and kiosk windows ------------------------------------------------ */

static void
filler_done_cb (GtkWidget *filler)
{
  GtkRoot *root = gtk_widget_get_root (filler);

  if (GTK_IS_WINDOW (root))
    gtk_window_close (GTK_WINDOW (root));
}

GtkWidget *
dft_forms_open_filler (GtkWidget  *parent,
                       DftStore   *store,
                       DftRecord  *form_record,
                       const char *event_id,
                       const char *person_id,
                       const char *phase,
                       gboolean    preview)
{
  GtkRoot    *root = gtk_widget_get_root (parent);
  GtkWidget  *window = adw_window_new ();
  GtkWidget  *filler = dft_form_filler_new (store);
  const char *lang = dft_record_get_string (form_record, "default_language");

  gtk_window_set_title (GTK_WINDOW (window), dft_record_get_string (form_record, "title"));
  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (root));
  gtk_window_set_modal (GTK_WINDOW (window), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (window), 640, 720);
  adw_window_set_content (ADW_WINDOW (window), filler);
  dft_form_filler_set_preview (DFT_FORM_FILLER (filler), preview);
  if (lang != NULL)
    dft_form_filler_set_language (DFT_FORM_FILLER (filler), lang);
  g_signal_connect (filler, "finished", G_CALLBACK (filler_done_cb), NULL);
  g_signal_connect (filler, "closed", G_CALLBACK (filler_done_cb), NULL);
  dft_form_filler_start (DFT_FORM_FILLER (filler), form_record, event_id, person_id, phase, NULL);
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

GtkWidget *
dft_forms_open_kiosk (GtkWidget  *parent,
                      DftStore   *store,
                      DftRecord  *form_record,
                      const char *event_id,
                      const char *phase,
                      const char *pin)
{
  GtkApplication    *app = GTK_APPLICATION (g_application_get_default ());
  GtkWidget         *window;
  g_autoptr (GError) error = NULL;

  /* Before anything is hidden or made fullscreen: a form that cannot open would leave a
   * locked laptop that only the PIN gets out of. */
  if (!dft_forms_check (form_record, &error))
    {
      g_autofree char *message = NULL;

      /* Translators: %s is the reason, a full sentence */
      message = g_strdup_printf (_ ("Kiosk mode did not start: the form cannot be opened. %s"),
                                 error->message);
      dft_ui_toast (parent, message);
      return NULL;
    }
  window = dft_kiosk_window_new (app, store, form_record, event_id, phase, pin);
  gtk_window_present (GTK_WINDOW (window));
  return window;
}
