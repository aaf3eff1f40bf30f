/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "dft-form-filler-private.h"
#include "dft-store-attachments.h"
#include "dft-ui-util.h"

/*
 * An image, audio, video or file question. Its answer names a file kept in the store
 * (dft-store-attachments.h). Choosing a file checks its size, reads it and keeps it in the
 * store, each step off the UI thread, and only then answers; showing an answer reads what the
 * store knows of the file (the name it was chosen under, its size) and, for a picture, makes a
 * small preview, in a worker too. Each step holds the row and looks, when it comes back,
 * whether the row is still on the page: the page may have changed or the window closed
 * meanwhile, and then the row's work was cancelled and what comes back is dropped.
 */

/* How tall the preview is on screen. The picture is made up to twice as tall, for sharp
 * pictures on high-density screens. */
#define PREVIEW_HEIGHT 160

#define FILE_ATTRIBUTES                                                                            \
  G_FILE_ATTRIBUTE_STANDARD_SIZE "," G_FILE_ATTRIBUTE_STANDARD_DISPLAY_NAME                        \
                                 "," G_FILE_ATTRIBUTE_STANDARD_CONTENT_TYPE

gboolean
_dft_question_row_is_file_type (DftQuestion *q)
{
  return q->type == DFT_QUESTION_IMAGE || q->type == DFT_QUESTION_AUDIO
         || q->type == DFT_QUESTION_VIDEO || q->type == DFT_QUESTION_FILE;
}

/* ---- What each kind says ------------------------------------------------ */

static const char *
choose_label (DftQuestion *q)
{
  if (q->type == DFT_QUESTION_IMAGE)
    /* Translators: a button that opens a file chooser to pick a photo as a question's answer */
    return _ ("_Choose Photo…");
  if (q->type == DFT_QUESTION_AUDIO)
    /* Translators: a button that opens a file chooser to pick a sound recording as an answer */
    return _ ("_Choose Recording…");
  if (q->type == DFT_QUESTION_VIDEO)
    /* Translators: a button that opens a file chooser to pick a video as a question's answer */
    return _ ("_Choose Video…");
  /* Translators: a button that opens a file chooser to pick any file as a question's answer */
  return _ ("_Choose File…");
}

static const char *
chooser_title (DftQuestion *q)
{
  if (q->type == DFT_QUESTION_IMAGE)
    return _ ("Choose a Photo");
  if (q->type == DFT_QUESTION_AUDIO)
    return _ ("Choose a Recording");
  if (q->type == DFT_QUESTION_VIDEO)
    return _ ("Choose a Video");
  return _ ("Choose a File");
}

/* The file chooser's filter for the kind, or NULL for any file. */
static GtkFileFilter *
kind_filter (DftQuestion *q)
{
  GtkFileFilter *filter;

  if (q->type == DFT_QUESTION_FILE)
    return NULL;
  filter = gtk_file_filter_new ();
  if (q->type == DFT_QUESTION_IMAGE)
    {
      gtk_file_filter_set_name (filter, _ ("Photos and Pictures"));
      gtk_file_filter_add_mime_type (filter, "image/*");
    }
  else if (q->type == DFT_QUESTION_AUDIO)
    {
      gtk_file_filter_set_name (filter, _ ("Recordings"));
      gtk_file_filter_add_mime_type (filter, "audio/*");
    }
  else
    {
      gtk_file_filter_set_name (filter, _ ("Videos"));
      gtk_file_filter_add_mime_type (filter, "video/*");
    }
  return filter;
}

static const char *
kind_icon (DftQuestion *q)
{
  if (q->type == DFT_QUESTION_IMAGE)
    return "image-x-generic-symbolic";
  if (q->type == DFT_QUESTION_AUDIO)
    return "audio-x-generic-symbolic";
  if (q->type == DFT_QUESTION_VIDEO)
    return "video-x-generic-symbolic";
  return "text-x-generic-symbolic";
}

/* The store says the same when it refuses such a file; the chooser's answer is checked first,
 * so that a file too large is not read whole only to be refused. */
static char *
too_large_message (goffset size)
{
  g_autofree char *have = g_format_size ((guint64) size);
  g_autofree char *limit = g_format_size (DFT_ATTACHMENT_MAX_BYTES);

  /* Translators: the first %s is a file's size, the second the largest allowed,
   * both like "12.3 MB" */
  return g_strdup_printf (_ ("This file is %s; a question takes files of at most %s. Choose a "
                             "smaller one, or make it smaller first (a photo at a lower "
                             "resolution, a shorter recording)."),
                          have, limit);
}

/* ---- The row's state ---------------------------------------------------- */

static gboolean
is_read_only (DftQuestionRow *field)
{
  return field->filler->run != NULL && dft_form_run_is_read_only (field->filler->run, field->path);
}

/* Choose while the person may answer; Remove once there is an answer to take back. Choose
 * stays sensitive while a file is added (and does nothing then): a button turned off under
 * the focus would drop it, and the keyboard user would lose their place. */
static void
update_buttons (DftQuestionRow *field)
{
  gboolean read_only = is_read_only (field);
  gboolean answered = field->file_shown != NULL && *field->file_shown != '\0';

  gtk_widget_set_visible (field->file_choose, !read_only);
  gtk_widget_set_sensitive (field->file_choose, !read_only);
  gtk_widget_set_visible (field->file_remove, !read_only && answered && !field->file_adding);
}

static void
show_status (DftQuestionRow *field, const char *status)
{
  gtk_label_set_text (GTK_LABEL (field->file_status), status != NULL ? status : "");
  gtk_widget_set_visible (field->file_status, status != NULL);
}

/* Shows that a file is being added (@name is what it is called, NULL before that is known),
 * or, with @adding FALSE, that it no longer is. */
static void
show_adding (DftQuestionRow *field, gboolean adding, const char *name)
{
  GtkWidget *progress = gtk_widget_get_parent (field->file_spinner);

  field->file_adding = adding;
  gtk_spinner_set_spinning (GTK_SPINNER (field->file_spinner), adding);
  gtk_widget_set_visible (progress, adding);
  if (adding && name != NULL)
    {
      /* Translators: shown while a chosen file is read and kept; %s is the file's name */
      g_autofree char *text = g_strdup_printf (_ ("Adding “%s”…"), name);

      gtk_label_set_text (GTK_LABEL (gtk_widget_get_last_child (progress)), text);
    }
  else if (adding)
    gtk_label_set_text (GTK_LABEL (gtk_widget_get_last_child (progress)), _ ("Adding…"));
  if (field->alive)
    update_buttons (field);
}

/* ---- Showing the answer -------------------------------------------------- */

typedef struct
{
  DftStore          *store;
  char              *answer;
  DftAttachmentInfo *info;
  GdkTexture        *preview;
} ShowJob;

static void
show_job_free (gpointer data)
{
  ShowJob *job = data;

  g_object_unref (job->store);
  g_free (job->answer);
  g_clear_pointer (&job->info, dft_attachment_info_free);
  g_clear_object (&job->preview);
  g_free (job);
}

/* Shrinks a picture as it is decoded (a phone's photo is 4000 pixels wide; the preview a few
 * hundred), never enlarging it: its shorter side down to twice the preview's height, its
 * longer side to eight times. */
static void
size_prepared_cb (GdkPixbufLoader *loader, int width, int height, gpointer data)
{
  double scale;

  if (width <= 0 || height <= 0)
    return;
  scale = MIN (2.0 * PREVIEW_HEIGHT / MIN (width, height),
               8.0 * PREVIEW_HEIGHT / MAX (width, height));
  if (scale < 1.0)
    gdk_pixbuf_loader_set_size (loader, MAX (1, (int) (width * scale + 0.5)),
                                MAX (1, (int) (height * scale + 0.5)));
}

/* A small picture of @bytes, turned as the camera says it was held; NULL when they are not a
 * picture this computer can read. Runs in a worker. */
static GdkTexture *
preview_texture (GBytes *bytes)
{
  g_autoptr (GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  g_autoptr (GdkPixbuf)       turned = NULL;
  g_autoptr (GBytes)          pixels = NULL;
  GdkPixbuf                  *pixbuf;

  g_signal_connect (loader, "size-prepared", G_CALLBACK (size_prepared_cb), NULL);
  /* A loader that refuses the bytes has closed itself. */
  if (!gdk_pixbuf_loader_write_bytes (loader, bytes, NULL))
    return NULL;
  if (!gdk_pixbuf_loader_close (loader, NULL))
    return NULL;
  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  if (pixbuf == NULL)
    return NULL;
  turned = gdk_pixbuf_apply_embedded_orientation (pixbuf);
  if (turned == NULL || gdk_pixbuf_get_bits_per_sample (turned) != 8)
    return NULL;
  pixels = gdk_pixbuf_read_pixel_bytes (turned);
  return gdk_memory_texture_new (gdk_pixbuf_get_width (turned), gdk_pixbuf_get_height (turned),
                                 gdk_pixbuf_get_has_alpha (turned) ? GDK_MEMORY_R8G8B8A8
                                                                   : GDK_MEMORY_R8G8B8,
                                 pixels, (gsize) gdk_pixbuf_get_rowstride (turned));
}

static gboolean
show_work (gpointer data, GCancellable *cancellable, GError **error)
{
  ShowJob           *job = data;
  g_autoptr (GBytes) bytes = NULL;

  job->info = dft_store_get_attachment_info (job->store, job->answer, error);
  if (job->info == NULL)
    return FALSE;
  /* Any question's picture gets a preview, a photo given to a file question too. */
  if (g_cancellable_is_cancelled (cancellable) || job->info->media_type == NULL
      || !g_str_has_prefix (job->info->media_type, "image/"))
    return TRUE;
  bytes = dft_store_read_attachment (job->store, job->answer, NULL);
  if (bytes != NULL)
    job->preview = preview_texture (bytes);
  return TRUE;
}

static void
shown_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftQuestionRow    *field = DFT_QUESTION_ROW (source);
  ShowJob           *job = dft_ui_run_get_data (result);
  g_autoptr (GError) error = NULL;
  g_autofree char   *size = NULL;
  g_autofree char   *name = NULL;

  field->file_busy--;
  if (!dft_ui_run_finish (result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || !field->alive
          || g_strcmp0 (job->answer, field->file_shown) != 0)
        return;
      /* Most often a file another laptop added and a sync has not brought yet; the store
       * says so. */
      show_status (field, error->message);
      return;
    }
  /* The answer changed while the worker read: the newer one is read too, and shown. */
  if (!field->alive || g_strcmp0 (job->answer, field->file_shown) != 0)
    return;
  /* The name came with the file, maybe from another laptop: shown as text, and valid text. */
  name = g_utf8_make_valid (job->info->name != NULL ? job->info->name : job->answer, -1);
  size = g_format_size ((guint64) job->info->size);
  gtk_label_set_text (GTK_LABEL (field->file_name), name);
  gtk_label_set_text (GTK_LABEL (field->file_size), size);
  gtk_widget_set_visible (field->file_line, TRUE);
  show_status (field, NULL);
  if (job->preview != NULL)
    {
      gtk_picture_set_paintable (GTK_PICTURE (field->file_picture), GDK_PAINTABLE (job->preview));
      gtk_picture_set_alternative_text (GTK_PICTURE (field->file_picture), name);
      /* A picture smaller than the preview is shown at its size, not blown up. */
      adw_clamp_set_maximum_size (ADW_CLAMP (field->file_preview),
                                  MIN (PREVIEW_HEIGHT, gdk_texture_get_height (job->preview)));
      adw_clamp_set_tightening_threshold (
          ADW_CLAMP (field->file_preview),
          MIN (PREVIEW_HEIGHT, gdk_texture_get_height (job->preview)));
      gtk_widget_set_visible (field->file_preview, TRUE);
    }
}

void
_dft_question_row_show_file (DftFormFiller *self, DftQuestionRow *field, const char *value)
{
  ShowJob *job;

  if (value == NULL)
    value = "";
  /* The run says the answer again after every change on the page; it is read once. */
  if (field->file_shown != NULL && g_str_equal (field->file_shown, value))
    {
      update_buttons (field);
      return;
    }
  g_free (field->file_shown);
  field->file_shown = g_strdup (value);
  update_buttons (field);
  gtk_picture_set_paintable (GTK_PICTURE (field->file_picture), NULL);
  gtk_widget_set_visible (field->file_preview, FALSE);
  gtk_widget_set_visible (field->file_line, FALSE);
  if (*value == '\0')
    {
      show_status (field, is_read_only (field) ? _ ("No file.") : _ ("No file chosen."));
      return;
    }
  show_status (field, NULL);
  if (field->store == NULL)
    return;
  job = g_new0 (ShowJob, 1);
  job->store = g_object_ref (field->store);
  job->answer = g_strdup (value);
  field->file_busy++;
  dft_ui_read_async (field, show_work, job, show_job_free, field->file_cancellable, shown_cb, NULL);
}

/* ---- Adding a file ------------------------------------------------------- */

/* A chosen file on its way into the store: query its size, read it, keep it, answer. */
typedef struct
{
  DftQuestionRow *field;
  GFile          *file;
  char           *name;
  char           *media_type;
} Adding;

static void
adding_free (Adding *adding)
{
  DftQuestionRow *field = adding->field;

  field->file_busy--;
  if (field->file_adding)
    show_adding (field, FALSE, NULL);
  g_object_unref (field);
  g_object_unref (adding->file);
  g_free (adding->name);
  g_free (adding->media_type);
  g_free (adding);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Adding, adding_free)

/* The file could not be read or kept: the message says why, and the answer stays as it was. */
static void
adding_failed (Adding *adding, const GError *error, gboolean reading)
{
  DftQuestionRow *field = adding->field;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || !field->alive)
    return;
  if (reading)
    {
      g_autofree char *message
          /* Translators: the first %s is a file's name, the second why it could not be read */
          = g_strdup_printf (_ ("“%s” could not be read: %s"), adding->name, error->message);

      _dft_question_row_set_message (field, message);
    }
  else
    _dft_question_row_set_message (field, error->message);
}

static void
added_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Adding) adding = user_data;
  DftQuestionRow    *field = adding->field;
  g_autoptr (GError) error = NULL;
  g_autofree char   *answer = NULL;
  g_autofree char   *now = NULL;

  answer = dft_store_add_attachment_finish (DFT_STORE (source), result, &error);
  if (answer == NULL)
    {
      adding_failed (adding, error, FALSE);
      return;
    }
  if (!field->alive)
    return;
  show_adding (field, FALSE, NULL);
  _dft_question_row_answer (field, answer);
  /* The answer may have changed which pages there are, and taken the row off the page. */
  if (!field->alive)
    return;
  now = dft_form_run_get_answer (field->filler->run, field->path);
  _dft_question_row_show_file (field->filler, field, now);
}

static void
loaded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Adding) adding = user_data;
  DftQuestionRow    *field = adding->field;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  char              *contents = NULL;
  gsize              length = 0;

  if (!g_file_load_contents_finish (G_FILE (source), result, &contents, &length, NULL, &error))
    {
      adding_failed (adding, error, TRUE);
      return;
    }
  bytes = g_bytes_new_take (contents, length);
  if (!field->alive || field->store == NULL)
    return;
  /* The store refuses a file that grew past the limit since its size was read, or is empty.
   * The name and type are copied before the call takes @adding. */
  {
    g_autofree char *name = g_strdup (adding->name);
    g_autofree char *media_type = g_strdup (adding->media_type);

    dft_store_add_attachment_async (field->store, bytes, name, media_type, field->file_cancellable,
                                    added_cb, g_steal_pointer (&adding));
  }
}

static void
size_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Adding)    adding = user_data;
  DftQuestionRow       *field = adding->field;
  g_autoptr (GError)    error = NULL;
  g_autoptr (GFileInfo) info = NULL;
  const char           *content_type;
  GFile                *file;

  info = g_file_query_info_finish (G_FILE (source), result, &error);
  if (info == NULL)
    {
      adding_failed (adding, error, TRUE);
      return;
    }
  if (!field->alive)
    return;
  if (g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_STANDARD_DISPLAY_NAME))
    {
      g_free (adding->name);
      adding->name = g_strdup (g_file_info_get_display_name (info));
    }
  if (g_file_info_get_size (info) > DFT_ATTACHMENT_MAX_BYTES)
    {
      g_autofree char *message = too_large_message (g_file_info_get_size (info));

      _dft_question_row_set_message (field, message);
      return;
    }
  content_type = g_file_info_get_content_type (info);
  if (content_type != NULL && !g_content_type_is_unknown (content_type))
    adding->media_type = g_content_type_get_mime_type (content_type);
  show_adding (field, TRUE, adding->name);
  file = adding->file;
  g_file_load_contents_async (file, field->file_cancellable, loaded_cb, g_steal_pointer (&adding));
}

static void
choose_file (DftQuestionRow *field, GFile *file)
{
  Adding *adding;

  if (!field->alive || field->file_adding || field->store == NULL || is_read_only (field))
    return;
  adding = g_new0 (Adding, 1);
  adding->field = g_object_ref (field);
  adding->file = g_object_ref (file);
  /* Until the file says its display name: what the chooser gave, in UTF-8 whatever the disk's
   * encoding, for a message that it could not be read. */
  {
    g_autofree char *parse_name = g_file_get_parse_name (file);

    adding->name = g_path_get_basename (parse_name);
  }
  field->file_busy++;
  show_adding (field, TRUE, NULL);
  g_file_query_info_async (file, FILE_ATTRIBUTES, G_FILE_QUERY_INFO_NONE, G_PRIORITY_DEFAULT,
                           field->file_cancellable, size_cb, adding);
}

/* ---- The buttons --------------------------------------------------------- */

static void
close_chooser (DftQuestionRow *field)
{
  if (field->file_chooser == NULL)
    return;
  g_signal_handlers_disconnect_by_data (field->file_chooser, field);
  gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (field->file_chooser));
  g_clear_object (&field->file_chooser);
}

static void
chooser_response_cb (GtkNativeDialog *chooser, int response, DftQuestionRow *field)
{
  g_autoptr (DftQuestionRow) hold = g_object_ref (field);
  g_autoptr (GFile)          file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

  close_chooser (field);
  if (response == GTK_RESPONSE_ACCEPT && file != NULL)
    choose_file (field, file);
}

static void
choose_clicked_cb (GtkButton *button, DftQuestionRow *field)
{
  GtkRoot                  *root = gtk_widget_get_root (GTK_WIDGET (field));
  g_autoptr (GtkFileFilter) kind = kind_filter (field->question);
  g_autoptr (GtkFileFilter) all = gtk_file_filter_new ();

  if (!field->alive || field->file_adding || field->file_chooser != NULL)
    return;
  /* GTK 4.8, the oldest the app runs on, has no GtkFileDialog; the native chooser is the
   * desktop's own (a portal in Flatpak) and answers through "response", never blocking. */
  field->file_chooser = gtk_file_chooser_native_new (
      chooser_title (field->question), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
      /* Translators: the file chooser's button that takes the file as the answer */
      GTK_FILE_CHOOSER_ACTION_OPEN, _ ("_Choose"), _ ("_Cancel"));
  if (kind != NULL)
    gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (field->file_chooser), kind);
  gtk_file_filter_set_name (all, _ ("All Files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (field->file_chooser), all);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (field->file_chooser), TRUE);
  g_signal_connect_object (field->file_chooser, "response", G_CALLBACK (chooser_response_cb), field,
                           0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (field->file_chooser));
}

static void
remove_clicked_cb (GtkButton *button, DftQuestionRow *field)
{
  g_autoptr (DftQuestionRow) hold = g_object_ref (field);
  g_autofree char           *now = NULL;

  if (!field->alive || field->file_adding || field->filler->run == NULL)
    return;
  /* The file stays in the store until dft_store_prune_attachments() finds no answer names it:
   * a draft saved earlier may still. */
  _dft_question_row_answer (field, "");
  if (!field->alive)
    return;
  now = dft_form_run_get_answer (field->filler->run, field->path);
  _dft_question_row_show_file (field->filler, field, now);
  /* Remove is gone from under the focus. */
  gtk_widget_grab_focus (field->file_choose);
}

void
_dft_question_row_stop_file (DftQuestionRow *field)
{
  if (field->file_cancellable != NULL)
    g_cancellable_cancel (field->file_cancellable);
  close_chooser (field);
}

void
_dft_question_row_build_file (DftFormFiller *self, DftQuestionRow *field)
{
  DftQuestion *q = field->question;
  GtkWidget   *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget   *progress = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget   *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

  field->file_cancellable = g_cancellable_new ();

  /* A preview no taller than PREVIEW_HEIGHT, as wide as its shape makes it, narrower when the
   * window is. */
  field->file_picture = gtk_picture_new ();
  gtk_picture_set_can_shrink (GTK_PICTURE (field->file_picture), TRUE);
  gtk_picture_set_content_fit (GTK_PICTURE (field->file_picture), GTK_CONTENT_FIT_CONTAIN);
  field->file_preview = adw_clamp_new ();
  gtk_orientable_set_orientation (GTK_ORIENTABLE (field->file_preview), GTK_ORIENTATION_VERTICAL);
  adw_clamp_set_maximum_size (ADW_CLAMP (field->file_preview), PREVIEW_HEIGHT);
  adw_clamp_set_tightening_threshold (ADW_CLAMP (field->file_preview), PREVIEW_HEIGHT);
  adw_clamp_set_child (ADW_CLAMP (field->file_preview), field->file_picture);
  gtk_widget_set_halign (field->file_preview, GTK_ALIGN_START);
  gtk_widget_add_css_class (field->file_picture, "file-preview");
  gtk_widget_set_visible (field->file_preview, FALSE);

  /* The file's name is data: plain text, wrapped rather than cut. */
  field->file_line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  field->file_icon = gtk_image_new_from_icon_name (kind_icon (q));
  gtk_widget_set_valign (field->file_icon, GTK_ALIGN_START);
  field->file_name = _dft_form_filler_new_label (NULL, NULL);
  gtk_widget_set_hexpand (field->file_name, FALSE);
  field->file_size = _dft_form_filler_new_label (NULL, "dim-label");
  gtk_widget_add_css_class (field->file_size, "numeric");
  gtk_widget_set_valign (field->file_size, GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (field->file_line), field->file_icon);
  gtk_box_append (GTK_BOX (field->file_line), field->file_name);
  gtk_box_append (GTK_BOX (field->file_line), field->file_size);
  gtk_widget_set_visible (field->file_line, FALSE);

  field->file_status = _dft_form_filler_new_label (NULL, "dim-label");

  field->file_spinner = gtk_spinner_new ();
  gtk_box_append (GTK_BOX (progress), field->file_spinner);
  gtk_box_append (GTK_BOX (progress), _dft_form_filler_new_label (NULL, "dim-label"));
  gtk_widget_set_visible (progress, FALSE);

  field->file_choose = gtk_button_new_with_mnemonic (choose_label (q));
  /* Translators: a button that takes back the file given as a question's answer */
  field->file_remove = gtk_button_new_with_mnemonic (_ ("Re_move"));
  gtk_accessible_update_relation (GTK_ACCESSIBLE (field->file_choose),
                                  GTK_ACCESSIBLE_RELATION_DESCRIBED_BY, field->title,
                                  field->message, NULL, -1);
  gtk_accessible_update_relation (GTK_ACCESSIBLE (field->file_remove),
                                  GTK_ACCESSIBLE_RELATION_DESCRIBED_BY, field->title, NULL, -1);
  g_signal_connect_object (field->file_choose, "clicked", G_CALLBACK (choose_clicked_cb), field, 0);
  g_signal_connect_object (field->file_remove, "clicked", G_CALLBACK (remove_clicked_cb), field, 0);
  gtk_box_append (GTK_BOX (buttons), field->file_choose);
  gtk_box_append (GTK_BOX (buttons), field->file_remove);
  gtk_widget_set_visible (field->file_remove, FALSE);

  gtk_box_append (GTK_BOX (box), field->file_preview);
  gtk_box_append (GTK_BOX (box), field->file_line);
  gtk_box_append (GTK_BOX (box), field->file_status);
  gtk_box_append (GTK_BOX (box), progress);
  gtk_box_append (GTK_BOX (box), buttons);
  /* The Choose button is what takes the focus and what a read-only question turns off. */
  field->control = field->file_choose;
  gtk_widget_insert_before (box, GTK_WIDGET (field), field->message);
  _dft_form_filler_set_direction_recursive (box, gtk_widget_get_direction (GTK_WIDGET (self)));
}

void
dft_question_row_choose_file_for_test (DftQuestionRow *row, GFile *file)
{
  g_return_if_fail (DFT_IS_QUESTION_ROW (row));
  g_return_if_fail (G_IS_FILE (file));

  choose_file (row, file);
}
