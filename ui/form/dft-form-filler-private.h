/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dft-form-filler.h"
#include "dft-question-row.h"
#include "forms/dft-form-run.h"

G_BEGIN_DECLS

/* For tests: reach into the filler the way a person would see it. */

/* The control that holds the answer at @path on the page shown: a GtkEditable for typed
 * answers, a GtkDropDown, a GtkTextView, or the box of choice buttons; NULL when the
 * question is not on the page shown. */
GtkWidget *dft_form_filler_get_widget_for_path (DftFormFiller *self, const char *path);
/* The nth (0-based) choice button of a select, Likert or acknowledge question. */
GtkWidget *dft_form_filler_get_choice_button (DftFormFiller *self, const char *path, guint n);
/* The question's title label. */
GtkWidget *dft_form_filler_get_label_for_path (DftFormFiller *self, const char *path);
/* The message shown under the question, NULL when none is shown. */
const char *dft_form_filler_get_message_for_path (DftFormFiller *self, const char *path);
/* Whether the question's row is shown. */
gboolean dft_form_filler_is_shown (DftFormFiller *self, const char *path);
/* Which part is shown: "loading", "error", "form", "summary", "done". */
const char *dft_form_filler_get_mode (DftFormFiller *self);
guint       dft_form_filler_get_page (DftFormFiller *self);
guint       dft_form_filler_get_n_pages (DftFormFiller *self);
/* The paths the finalize summary lists. */
GStrv       dft_form_filler_get_summary_paths (DftFormFiller *self);
DftFormRun *dft_form_filler_get_run (DftFormFiller *self);
/* The line under the form's title: whose form it is and whether it is the pre-test or the
 * post-test; NULL when it shows neither. */
const char *dft_form_filler_get_subtitle (DftFormFiller *self);
/* The message of a save that failed, NULL when none is shown. */
const char *dft_form_filler_get_error (DftFormFiller *self);
/* TRUE while a worker loads or saves. */
gboolean dft_form_filler_is_busy (DftFormFiller *self);
/* Takes @file as the answer of the file question @row, as choosing it in the file chooser
 * does (which a headless test cannot drive): the same checks, reading and keeping. */
void dft_question_row_choose_file_for_test (DftQuestionRow *row, GFile *file);

/* ---- Internal: the parts of the filler, shared by its files --------------- */

/* Text in a right-to-left script starts with this mark (see question_text). */
#define RLM "\u200F"

typedef enum
{
  PAGE_QUESTION,
  PAGE_GROUP,       /* a field-list group: all of it on one page */
  PAGE_INSTANCE,    /* one instance of a repeat */
  PAGE_EMPTY_REPEAT /* a repeat without instances: only the Add button */
} PageKind;

typedef struct
{
  PageKind     kind;
  DftQuestion *question;
  char        *path; /* the instance path; for PAGE_EMPTY_REPEAT the repeat's base path */
  char        *base; /* repeats: the path without the instance index */
  guint        index, count;
} Page;

/* The filler's files reach into its question rows as into the filler itself. */
struct _DftQuestionRow
{
  GtkWidget parent_instance;

  /* From the template. */
  GtkWidget *title;
  GtkWidget *tag; /* "↩ en" when the label fell back to another language */
  GtkWidget *hint;
  GtkWidget *message;

  DftFormFiller *filler;
  DftQuestion   *question;
  char          *path;
  GtkWidget     *control;
  GtkWidget     *lat, *lon;
  GPtrArray     *buttons; /* GtkCheckButton or GtkToggleButton per choice */
  GPtrArray     *choices; /* DftChoice *, the choices offered, owned by the form */
  gboolean       alive;   /* on the page shown; signals of a page gone may still arrive */
  /* A rank: its list of choices in order, the line saying it is unanswered, its buttons. */
  GtkWidget *rank_list, *rank_status, *rank_use, *rank_clear;
  /* A range: the number chosen beside the scale (the control), and the button clearing it. */
  GtkWidget *range_value, *range_clear;

  /* The store, for the files of file questions (_dft_question_row_set_store()). */
  DftStore *store;
  /* A file question (dft-question-row-file.c): the preview, the file's name and size, the
   * line saying what is going on, the buttons and the file chooser while it is open. */
  GtkWidget            *file_picture, *file_preview, *file_line, *file_icon, *file_name;
  GtkWidget            *file_size, *file_status, *file_spinner, *file_choose, *file_remove;
  GtkFileChooserNative *file_chooser;
  /* Cancelled when the row leaves the page: no work of a row gone touches it. */
  GCancellable *file_cancellable;
  char         *file_shown; /* the answer shown, or being read to be shown */
  guint         file_busy;  /* works under way: a file being added, or read to be shown */
  gboolean      file_adding;
};

struct _DftFormFiller
{
  GtkWidget parent_instance;

  /* Texts in a right-to-left script with a right-to-left mark before them (form text →
   * marked copy, or NULL when the text needs none), so that one starting with a Latin acronym or a
   * number still reads from the right; emptied whenever the form changes. */
  GHashTable *marked_texts;

  AdwToastOverlay   *toasts;
  GtkWidget         *header;
  GtkLabel          *title_label;
  GtkLabel          *subtitle_label;
  GtkDropDown       *language_dropdown;
  GtkMenuButton     *pages_button;
  GtkListBox        *pages_list;
  GtkWidget         *close_button;
  GtkProgressBar    *progress;
  GtkRevealer       *error_revealer;
  GtkLabel          *error_label;
  GtkStack          *stack;
  AdwStatusPage     *error_page;
  GtkScrolledWindow *scrolled;
  GtkBox            *page_box;
  GtkLabel          *summary_title;
  GtkListBox        *problem_list;
  AdwStatusPage     *done_page;
  GtkWidget         *previous_button;
  GtkWidget         *next_button;
  GtkWidget         *finalize_button;
  GtkWidget         *draft_button;

  DftStore     *store;
  DftRecord    *form_record;
  DftRecord    *submission; /* the draft being edited, NULL for a new one */
  char         *event_id, *person_id, *phase;
  char         *person_name; /* whose form it is, NULL for an anonymous one */
  DftForm      *form;
  DftFormRun   *run;
  char         *lang;
  gboolean      preview, kiosk;
  GCancellable *cancellable;
  guint         busy;
  gboolean      retry_final;

  GPtrArray  *pages; /* Page * */
  guint       page;
  GHashTable *fields;      /* path → DftQuestionRow *, the page shown */
  GPtrArray  *field_order; /* DftQuestionRow *, in page order */
  /* The repeats a field-list page shows inside it (their paths), and which of their instances
   * it shows, so that an answer on the page adding or taking away an instance (a count, a
   * relevance) builds the page again. */
  GPtrArray *page_repeats;
  char      *page_repeats_shown;
  gboolean   repeats_changed; /* set by _dft_form_filler_recompute_pages(): only they did */
  guint      rebuild_id;      /* the page built again once the answer's signal is over */
  char      *rebuild_focus;   /* the path whose row has the focus then */
  GStrv      summary_paths;
  gboolean   updating; /* writing answers into widgets: their signals are ours */
  gboolean   clearing;
};

/* dft-form-filler.c: the form's texts and languages, loading and saving, the summary. */
const char *_dft_form_filler_current_lang (DftFormFiller *self);
void        _dft_form_filler_set_direction_recursive (GtkWidget *widget, GtkTextDirection dir);
void        _dft_form_filler_apply_direction (DftFormFiller *self);
gboolean    _dft_form_filler_is_hidden_type (DftQuestion *q);
gboolean    _dft_form_filler_is_choice_type (DftQuestion *q);
const char            *
_dft_form_filler_question_text (DftFormFiller *self, DftText *text, gboolean *fell_back);
char      *_dft_form_filler_expand_refs (DftFormFiller *self, const char *text, const char *path);
GtkWidget *_dft_form_filler_new_label (const char *text, const char *css_class);
void       _dft_form_filler_toast (DftFormFiller *self, const char *message);
void       _dft_form_filler_submit (DftFormFiller *self, gboolean final);
void       _dft_form_filler_show_summary (DftFormFiller *self, GPtrArray *problems);

/* dft-form-filler-pages.c: the pages and the page shown. */
void     _dft_form_filler_pages_popover_show_cb (DftFormFiller *self);
int      _dft_form_filler_find_page (DftFormFiller *self, const char *path);
gboolean _dft_form_filler_recompute_pages (DftFormFiller *self);
void     _dft_form_filler_refresh_labels (DftFormFiller *self);
void     _dft_form_filler_clear_page (DftFormFiller *self);
void     _dft_form_filler_focus_onward (DftFormFiller *self);
void     _dft_form_filler_focus_first (DftFormFiller *self);
void     _dft_form_filler_show_page (DftFormFiller *self, guint n);
gboolean _dft_form_filler_check_page (DftFormFiller *self);

/* dft-question-row.c: one question on the page shown. */
void _dft_question_row_kill (gpointer data);
gboolean
     _dft_question_row_check (DftFormFiller *self, DftQuestionRow *field, gboolean for_finalize);
void _dft_question_row_update_title (DftFormFiller *self, DftQuestionRow *field);
void
_dft_question_row_build_field (DftFormFiller *self, GtkBox *box, DftQuestion *q, const char *path);
GtkWidget *_dft_question_row_focus_target (DftQuestionRow *field);
gboolean   _dft_question_row_takes_focus (DftQuestionRow *field);
void       _dft_question_row_pick_choice (DftQuestionRow *field, int digit);
/* Takes @value as the person's answer, as typing it would. */
void _dft_question_row_answer (DftQuestionRow *field, const char *value);
/* dft-form-filler-pages.c: builds the page shown again, the focus back on @path's row. */
void _dft_form_filler_rebuild_page (DftFormFiller *self, const char *path);
/* The same from the main loop: an answer's own widget is still in its signal. */
void _dft_form_filler_rebuild_page_later (DftFormFiller *self, const char *path);
/* Shows @message under the question; NULL or "" hides it. */
void _dft_question_row_set_message (DftQuestionRow *field, const char *message);
/* The store the row's files are kept in (file questions); the row holds a reference. */
void _dft_question_row_set_store (DftQuestionRow *field, DftStore *store);

/* dft-question-row-file.c: an image, audio, video or file question. */
gboolean _dft_question_row_is_file_type (DftQuestion *q);
void     _dft_question_row_build_file (DftFormFiller *self, DftQuestionRow *field);
void _dft_question_row_show_file (DftFormFiller *self, DftQuestionRow *field, const char *value);
/* The row leaves the page or goes: its file chooser closes and its work is cancelled. */
void _dft_question_row_stop_file (DftQuestionRow *field);

/* dft-question-row-range.c: a range question's scale. */
void _dft_question_row_build_range (DftFormFiller *self, DftQuestionRow *field);
void _dft_question_row_show_range (DftFormFiller *self, DftQuestionRow *field, const char *value);

/* dft-question-row-rank.c: a rank question's list of choices in order. */
void _dft_question_row_build_rank (DftFormFiller *self, DftQuestionRow *field);
void _dft_question_row_show_rank (DftFormFiller *self, DftQuestionRow *field, const char *value);
/* The row shown at @index, or NULL. */
GtkWidget *_dft_question_row_rank_row (DftQuestionRow *field, guint index);
/* What dragging the row at @index carries to a drop ("/data/q#2"). */
char *_dft_question_row_rank_dragged (DftQuestionRow *field, guint index);

/* dft-form-filler-actions.c: actions and keys. */
gboolean _dft_form_filler_in_form (DftFormFiller *self);
void     _dft_form_filler_go_to (DftFormFiller *self, guint page);
void     _dft_form_filler_class_actions_init (DftFormFillerClass *klass);
void     _dft_form_filler_actions_init (DftFormFiller *self);

G_END_DECLS
