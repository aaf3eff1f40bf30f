/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dft-conflicts-view.h"
#include "dft-duplicates.h"
#include "dft-format.h"
#include "dft-keys.h"
#include "dft-merge-dialog.h"
#include "dft-people-desk.h"
#include "dft-schema.h"
#include "dft-store-merges.h"
#include "dft-ui-util.h"

struct _DftPeopleDesk
{
  AdwBin parent_instance;

  AdwViewSwitcherTitle *switcher_title;
  AdwViewSwitcherBar   *switcher_bar;
  AdwViewStack         *view_stack;
  DftConflictsView     *conflicts_view;
  GtkRevealer          *busy_revealer;
  GtkSpinner           *busy_spinner;
  GtkStack             *queue_stack;
  AdwStatusPage        *queue_status;
  GtkLabel             *position_label;
  GtkLabel             *score_label;
  GtkLabel             *reasons_label;
  GtkGrid              *compare_grid;
  GtkFlowBox           *buttons;
  GtkWidget            *merge_button;
  GtkStack             *merges_stack;
  GtkListBox           *merges_list;

  gboolean       folded;
  DftStore      *store;
  GSignalGroup  *store_signals;    /* "changed::person_merge" and "::person_unmerge": the history */
  GCancellable  *cancellable;      /* everything, till the desk goes */
  GCancellable  *scan_cancellable; /* the scan under way, desk.cancel */
  GPtrArray     *pairs;            /* DftDuplicatePair, best first; NULL while being changed */
  guint          position;         /* the pair shown, or past the end */
  DftMergeFacts *facts;            /* about the pair shown, once read */
  guint          facts_serial;     /* which read of the facts is the latest */
  gboolean       scanned;
  guint          busy;
  guint          n_merges;
  gboolean       merges_again; /* the merges changed while being read */
  gboolean       reading_merges;
  gboolean       acting; /* a merge or "not the same" of the pair shown is being saved */
};

G_DEFINE_FINAL_TYPE (DftPeopleDesk, dft_people_desk, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_FOLDED,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void show_current (DftPeopleDesk *self);
static void reload_merges (DftPeopleDesk *self);

static void
set_busy (DftPeopleDesk *self, gboolean busy)
{
  gboolean was = self->busy > 0;

  if (busy)
    self->busy++;
  else if (self->busy > 0)
    self->busy--;
  if (was != (self->busy > 0))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

/* A pair is shown and can be decided. */
static gboolean
deciding (DftPeopleDesk *self)
{
  return self->facts != NULL && self->pairs != NULL && !self->acting
         && g_strcmp0 (adw_view_stack_get_visible_child_name (self->view_stack), "duplicates") == 0;
}

static void
update_actions (DftPeopleDesk *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "desk.merge", deciding (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "desk.not-same", deciding (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "desk.later", deciding (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "desk.cancel", self->scan_cancellable != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "desk.rescan",
                                 self->store != NULL && self->scan_cancellable == NULL);
}

static void
show_status (DftPeopleDesk *self, const char *title, const char *description)
{
  g_autofree char *escaped = description != NULL ? g_markup_escape_text (description, -1) : NULL;

  adw_status_page_set_title (self->queue_status, title);
  /* A status page's description is markup; an error's message may quote data. */
  adw_status_page_set_description (self->queue_status, escaped);
  gtk_stack_set_visible_child_name (self->queue_stack, "status");
}

static DftDuplicatePair *
current_pair (DftPeopleDesk *self)
{
  if (self->pairs == NULL || self->position >= self->pairs->len)
    return NULL;
  return g_ptr_array_index (self->pairs, self->position);
}

/* ---- The scan ------------------------------------------------------------------------ */

/* One scan's callbacks carry its cancellable: a scan stopped or replaced is ignored. */
typedef struct
{
  DftPeopleDesk *self;
  GCancellable  *cancellable;
  GPtrArray     *pairs;
} Scan;

static void
scan_free (gpointer data)
{
  Scan *scan = data;

  g_object_unref (scan->self);
  g_object_unref (scan->cancellable);
  g_clear_pointer (&scan->pairs, g_ptr_array_unref);
  g_free (scan);
}

static gboolean
scan_is_current (Scan *scan)
{
  return scan->cancellable == scan->self->scan_cancellable
         && !g_cancellable_is_cancelled (scan->cancellable);
}

static void
scan_end (DftPeopleDesk *self, const GError *error)
{
  g_clear_object (&self->scan_cancellable);
  gtk_revealer_set_reveal_child (self->busy_revealer, FALSE);
  gtk_spinner_set_spinning (self->busy_spinner, FALSE);
  set_busy (self, FALSE);
  if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    show_status (self, _ ("The Search Was Stopped"),
                 _ ("Look again when you have the time: on a large register it takes a few "
                    "seconds."));
  else if (error != NULL)
    show_status (self, _ ("Duplicates Cannot Be Looked For"), error->message);
  update_actions (self);
}

static gboolean
drop_decided_work (gpointer data, GCancellable *cancellable, GError **error)
{
  Scan *scan = data;

  dft_duplicate_pairs_drop_decided (scan->self->store, scan->pairs);
  return TRUE;
}

static void
scan_dropped_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftPeopleDesk     *self = DFT_PEOPLE_DESK (source);
  Scan              *scan = dft_ui_run_get_data (result);
  g_autoptr (GError) error = NULL;

  if (!scan_is_current (scan))
    return;
  if (!dft_ui_run_finish (result, &error))
    {
      scan_end (self, error);
      return;
    }
  g_clear_pointer (&self->pairs, g_ptr_array_unref);
  self->pairs = g_steal_pointer (&scan->pairs);
  self->position = 0;
  self->scanned = TRUE;
  scan_end (self, NULL);
  show_current (self);
}

static void
scan_found_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Scan              *scan = user_data;
  g_autoptr (GError) error = NULL;
  GPtrArray         *pairs
      = dft_duplicate_finder_find_all_finish (DFT_DUPLICATE_FINDER (source), result, &error);

  if (scan_is_current (scan))
    {
      if (pairs == NULL)
        scan_end (scan->self, error);
      else
        {
          Scan *next = g_new0 (Scan, 1);

          next->self = g_object_ref (scan->self);
          next->cancellable = g_object_ref (scan->cancellable);
          next->pairs = g_steal_pointer (&pairs);
          dft_ui_read_async (scan->self, drop_decided_work, next, scan_free, scan->cancellable,
                             scan_dropped_cb, NULL);
        }
    }
  g_clear_pointer (&pairs, g_ptr_array_unref);
  scan_free (scan);
}

static void
scan_finder_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Scan                          *scan = user_data;
  g_autoptr (GError)             error = NULL;
  g_autoptr (DftDuplicateFinder) finder
      = dft_duplicate_finder_new_for_store_finish (DFT_STORE (source), result, &error);

  if (!scan_is_current (scan))
    {
      scan_free (scan);
      return;
    }
  if (finder == NULL)
    {
      scan_end (scan->self, error);
      scan_free (scan);
      return;
    }
  dft_duplicate_finder_find_all_async (finder, DFT_DUPLICATE_DEFAULT_MIN_SCORE, scan->cancellable,
                                       scan_found_cb, scan);
}

static void
scan (DftPeopleDesk *self)
{
  Scan *s;

  if (self->store == NULL)
    return;
  if (self->scan_cancellable != NULL)
    {
      g_cancellable_cancel (self->scan_cancellable);
      scan_end (self, NULL);
    }
  self->scan_cancellable = g_cancellable_new ();
  g_clear_pointer (&self->facts, dft_merge_facts_unref);
  self->facts_serial++;
  g_clear_pointer (&self->pairs, g_ptr_array_unref);
  self->position = 0;
  set_busy (self, TRUE);
  gtk_revealer_set_reveal_child (self->busy_revealer, TRUE);
  gtk_spinner_set_spinning (self->busy_spinner, TRUE);
  show_status (self, _ ("Looking for Duplicates"), NULL);
  s = g_new0 (Scan, 1);
  s->self = g_object_ref (self);
  s->cancellable = g_object_ref (self->scan_cancellable);
  update_actions (self);
  dft_duplicate_finder_new_for_store_async (self->store, s->cancellable, scan_finder_cb, s);
}

/* ---- The pair shown ---------------------------------------------------------------------- */

static GtkWidget *
cell (const char *text, const char *css_class)
{
  GtkWidget *label = gtk_label_new (NULL);

  /* People's data: never markup. */
  gtk_label_set_use_markup (GTK_LABEL (label), FALSE);
  gtk_label_set_text (GTK_LABEL (label), text);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_yalign (GTK_LABEL (label), 0);
  gtk_widget_set_hexpand (label, css_class == NULL || g_str_equal (css_class, "heading"));
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);
  return label;
}

static void
fill_pair (DftPeopleDesk *self)
{
  DftDuplicatePair   *pair = current_pair (self);
  const DftEntity    *entity = &dft_entity_person;
  GtkWidget          *child;
  g_autofree char    *position = NULL;
  g_autofree char    *n = NULL;
  g_autofree char    *of = NULL;
  g_autofree char    *percent = NULL;
  g_autofree char    *score = NULL;
  g_auto (GStrv)      reasons = NULL;
  g_autoptr (GString) why = g_string_new (NULL);
  guint               row = 1;

  g_assert (pair != NULL && self->facts != NULL);
  n = dft_format_integer (self->position + 1);
  of = dft_format_integer (self->pairs->len);
  /* Translators: the review queue's progress: "Pair 3 of 17" */
  position = g_strdup_printf (_ ("Pair %s of %s"), n, of);
  gtk_label_set_text (self->position_label, position);
  percent = dft_format_percent (pair->score);
  /* Translators: %s is a percentage: how likely two records are one person */
  score = g_strdup_printf (_ ("Likely the same person: %s"), percent);
  gtk_label_set_text (self->score_label, score);
  reasons = dft_duplicate_reasons_describe (pair->reasons);
  for (guint i = 0; reasons[i] != NULL; i++)
    g_string_append_printf (why, "%s• %s", i > 0 ? "\n" : "", reasons[i]);
  gtk_label_set_text (self->reasons_label, why->str);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->compare_grid))) != NULL)
    gtk_grid_remove (self->compare_grid, child);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *name = dft_merge_person_name (self->facts->people[i]);
      gtk_grid_attach (self->compare_grid, cell (name, "heading"), 1 + i, 0, 1, 1);
    }
  for (const char *const *f = dft_merge_person_fields; *f != NULL; f++, row++)
    {
      const DftField *field = &entity->fields[dft_entity_field_index (entity, *f)];

      gtk_grid_attach (self->compare_grid, cell (_ (field->label), "dim-label"), 0, row, 1, 1);
      for (guint i = 0; i < 2; i++)
        {
          g_autofree char *value = dft_merge_describe_field (self->facts->people[i], *f);
          gtk_grid_attach (self->compare_grid, cell (value, NULL), 1 + i, row, 1, 1);
        }
    }
  gtk_grid_attach (self->compare_grid, cell (_ ("Workshops"), "dim-label"), 0, row, 1, 1);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *titles = g_strjoinv ("\n", self->facts->workshops[i]);
      gtk_grid_attach (self->compare_grid,
                       cell (*titles != '\0' ? titles : C_ ("field value", "—"), NULL), 1 + i, row,
                       1, 1);
    }
  gtk_stack_set_visible_child_name (self->queue_stack, "pair");
}

typedef struct
{
  DftStore      *store;
  char          *a_id;
  char          *b_id;
  guint          serial;
  DftMergeFacts *facts;
} FactsJob;

static void
facts_job_free (gpointer data)
{
  FactsJob *job = data;

  g_object_unref (job->store);
  g_free (job->a_id);
  g_free (job->b_id);
  g_clear_pointer (&job->facts, dft_merge_facts_unref);
  g_free (job);
}

static gboolean
facts_work (gpointer data, GCancellable *cancellable, GError **error)
{
  FactsJob *job = data;

  job->facts = dft_merge_facts_load (job->store, job->a_id, job->b_id, error);
  return job->facts != NULL;
}

static void
facts_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftPeopleDesk     *self = DFT_PEOPLE_DESK (source);
  FactsJob          *job = dft_ui_run_get_data (result);
  g_autoptr (GError) error = NULL;

  set_busy (self, FALSE);
  if (!dft_ui_run_finish (result, &error))
    {
      if (job->serial == self->facts_serial)
        show_status (self, _ ("The Pair Cannot Be Read"), error->message);
      return;
    }
  if (job->serial != self->facts_serial || current_pair (self) == NULL)
    return;
  g_clear_pointer (&self->facts, dft_merge_facts_unref);
  self->facts = g_steal_pointer (&job->facts);
  fill_pair (self);
  update_actions (self);
  /* Keyboard driven: the next pair's decision is one key away, wherever the focus went while
   * the buttons were off. */
  {
    GtkRoot   *root = gtk_widget_get_root (GTK_WIDGET (self));
    GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

    if (gtk_widget_get_mapped (GTK_WIDGET (self))
        && (focus == NULL || !gtk_widget_is_ancestor (focus, GTK_WIDGET (self))
            || !gtk_widget_is_sensitive (focus)))
      gtk_widget_grab_focus (self->merge_button);
  }
}

static void
show_current (DftPeopleDesk *self)
{
  DftDuplicatePair *pair;
  FactsJob         *job;

  g_clear_pointer (&self->facts, dft_merge_facts_unref);
  self->facts_serial++;
  update_actions (self);
  if (self->pairs == NULL)
    return;
  pair = current_pair (self);
  if (pair == NULL)
    {
      if (self->pairs->len == 0)
        show_status (self, _ ("No Duplicates to Review"),
                     _ ("Nobody in the register looks registered twice, or every pair has been "
                        "decided."));
      else
        show_status (self, _ ("Nothing More for Now"),
                     _ ("The pairs left for later come back when you look again."));
      return;
    }
  job = g_new0 (FactsJob, 1);
  job->store = g_object_ref (self->store);
  job->a_id = g_strdup (pair->id_a);
  job->b_id = g_strdup (pair->id_b);
  job->serial = self->facts_serial;
  set_busy (self, TRUE);
  dft_ui_read_async (self, facts_work, job, facts_job_free, self->cancellable, facts_read_cb, NULL);
}

/* ---- Deciding a pair -------------------------------------------------------------------- */

/* After a decision: the pair shown leaves the queue, and so do the others it decided (the
 * person merged away in another pair). */
static void
decided_dropped_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftPeopleDesk *self = DFT_PEOPLE_DESK (source);
  Scan          *scan = dft_ui_run_get_data (result);

  set_busy (self, FALSE);
  dft_ui_run_finish (result, NULL);
  if (self->pairs != NULL || self->scan_cancellable != NULL)
    return; /* a new scan replaces the queue */
  self->pairs = g_steal_pointer (&scan->pairs);
  show_current (self);
}

static void
drop_decided (DftPeopleDesk *self)
{
  Scan *s;

  if (self->pairs == NULL)
    return;
  if (current_pair (self) != NULL)
    g_ptr_array_remove_index (self->pairs, self->position);
  s = g_new0 (Scan, 1);
  s->self = g_object_ref (self);
  s->cancellable = g_object_ref (self->cancellable);
  s->pairs = g_steal_pointer (&self->pairs);
  g_clear_pointer (&self->facts, dft_merge_facts_unref);
  update_actions (self);
  set_busy (self, TRUE);
  dft_ui_read_async (self, drop_decided_work, s, scan_free, self->cancellable, decided_dropped_cb,
                     NULL);
}

typedef struct
{
  DftStore *store;
  char     *keep_id;
  char     *other_id;
  GStrv     take;
  char     *keep_name;
  char     *other_name;
  char     *merge_id; /* the merge made, or the one to undo */
} MergeJob;

static void
merge_job_free (gpointer data)
{
  MergeJob *job = data;

  g_object_unref (job->store);
  g_free (job->keep_id);
  g_free (job->other_id);
  g_strfreev (job->take);
  g_free (job->keep_name);
  g_free (job->other_name);
  g_free (job->merge_id);
  g_free (job);
}

static gboolean
unmerge_work (gpointer data, GCancellable *cancellable, GError **error)
{
  MergeJob *job = data;

  return dft_store_unmerge (job->store, job->merge_id, error);
}

static void
unmerged_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftPeopleDesk     *self = DFT_PEOPLE_DESK (source);
  g_autoptr (GError) error = NULL;

  set_busy (self, FALSE);
  if (!dft_ui_run_finish (result, &error))
    {
      dft_ui_toast_error (GTK_WIDGET (self), error);
      return;
    }
  dft_ui_toast (GTK_WIDGET (self), _ ("Merge undone: both records are back"));
}

static void
unmerge (DftPeopleDesk *self, const char *merge_id)
{
  MergeJob *job = g_new0 (MergeJob, 1);

  job->store = g_object_ref (self->store);
  job->merge_id = g_strdup (merge_id);
  set_busy (self, TRUE);
  dft_ui_run_async (self, unmerge_work, job, merge_job_free, self->cancellable, unmerged_cb, NULL);
}

static void
undo_toast_cb (AdwToast *toast, DftPeopleDesk *self)
{
  unmerge (self, g_object_get_data (G_OBJECT (toast), "merge-id"));
}

static gboolean
merge_work (gpointer data, GCancellable *cancellable, GError **error)
{
  MergeJob             *job = data;
  g_autoptr (DftRecord) merge = dft_store_merge_people (job->store, job->keep_id, job->other_id,
                                                        (const char *const *) job->take, error);

  if (merge == NULL)
    return FALSE;
  job->merge_id = g_strdup (dft_record_get_id (merge));
  return TRUE;
}

static void
merged_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftPeopleDesk     *self = DFT_PEOPLE_DESK (source);
  MergeJob          *job = dft_ui_run_get_data (result);
  g_autoptr (GError) error = NULL;
  g_autofree char   *keep = NULL;
  g_autofree char   *other = NULL;
  g_autofree char   *message = NULL;
  AdwToast          *toast;

  set_busy (self, FALSE);
  self->acting = FALSE;
  if (!dft_ui_run_finish (result, &error))
    {
      dft_ui_toast_error (GTK_WIDGET (self), error);
      update_actions (self);
      return;
    }
  /* A toast's title is markup; names are typed by people. */
  keep = g_markup_escape_text (job->keep_name, -1);
  other = g_markup_escape_text (job->other_name, -1);
  /* Translators: the first %s is the record merged away, the second the one kept */
  message = g_strdup_printf (_ ("Merged “%s” into “%s”"), other, keep);
  toast = adw_toast_new (message);
  adw_toast_set_button_label (toast, _ ("_Undo"));
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_set_timeout (toast, 10);
  g_object_set_data_full (G_OBJECT (toast), "merge-id", g_strdup (job->merge_id), g_free);
  g_signal_connect_object (toast, "button-clicked", G_CALLBACK (undo_toast_cb), self, 0);
  dft_ui_add_toast (GTK_WIDGET (self), toast);
  drop_decided (self);
}

static void
merge_response_cb (AdwMessageDialog *dialog, const char *response, DftPeopleDesk *self)
{
  MergeJob      *job;
  DftMergeFacts *facts = g_object_get_data (G_OBJECT (dialog), "facts");

  if (!g_str_equal (response, "merge") || self->store == NULL)
    return;
  job = g_new0 (MergeJob, 1);
  job->store = g_object_ref (self->store);
  dft_merge_dialog_get_choice (GTK_WIDGET (dialog), &job->keep_id, &job->other_id, &job->take);
  for (guint i = 0; i < 2; i++)
    {
      char *name = dft_merge_person_name (facts->people[i]);

      if (g_strcmp0 (dft_record_get_id (facts->people[i]), job->keep_id) == 0)
        job->keep_name = name;
      else
        job->other_name = name;
    }
  self->acting = TRUE;
  update_actions (self);
  set_busy (self, TRUE);
  dft_ui_run_async (self, merge_work, job, merge_job_free, self->cancellable, merged_cb, NULL);
}

static void
merge_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftPeopleDesk *self = DFT_PEOPLE_DESK (widget);
  GtkRoot       *root = gtk_widget_get_root (widget);
  GtkWidget     *dialog;

  if (self->facts == NULL)
    return;
  dialog = dft_merge_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, self->facts);
  g_object_set_data_full (G_OBJECT (dialog), "facts", dft_merge_facts_ref (self->facts),
                          (GDestroyNotify) dft_merge_facts_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (merge_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static gboolean
distinct_work (gpointer data, GCancellable *cancellable, GError **error)
{
  MergeJob *job = data;

  return dft_store_mark_distinct (job->store, job->keep_id, job->other_id, error);
}

static void
distinct_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftPeopleDesk     *self = DFT_PEOPLE_DESK (source);
  MergeJob          *job = dft_ui_run_get_data (result);
  g_autoptr (GError) error = NULL;
  g_autofree char   *message = NULL;

  set_busy (self, FALSE);
  self->acting = FALSE;
  if (!dft_ui_run_finish (result, &error))
    {
      dft_ui_toast_error (GTK_WIDGET (self), error);
      update_actions (self);
      return;
    }
  /* Translators: two people's names, which a coordinator said are two people */
  message = g_strdup_printf (_ ("“%s” and “%s” are kept as two people"), job->keep_name,
                             job->other_name);
  dft_ui_toast (GTK_WIDGET (self), message);
  drop_decided (self);
}

static void
not_same_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftPeopleDesk *self = DFT_PEOPLE_DESK (widget);
  MergeJob      *job;

  if (self->facts == NULL)
    return;
  job = g_new0 (MergeJob, 1);
  job->store = g_object_ref (self->store);
  job->keep_id = g_strdup (dft_record_get_id (self->facts->people[0]));
  job->other_id = g_strdup (dft_record_get_id (self->facts->people[1]));
  job->keep_name = dft_merge_person_name (self->facts->people[0]);
  job->other_name = dft_merge_person_name (self->facts->people[1]);
  self->acting = TRUE;
  update_actions (self);
  set_busy (self, TRUE);
  dft_ui_run_async (self, distinct_work, job, merge_job_free, self->cancellable, distinct_cb, NULL);
}

static void
later_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftPeopleDesk *self = DFT_PEOPLE_DESK (widget);

  if (self->pairs == NULL || self->facts == NULL)
    return;
  self->position++;
  show_current (self);
}

static void
rescan_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftPeopleDesk *self = DFT_PEOPLE_DESK (widget);

  adw_view_stack_set_visible_child_name (self->view_stack, "duplicates");
  scan (self);
}

static void
cancel_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftPeopleDesk *self = DFT_PEOPLE_DESK (widget);

  if (self->scan_cancellable != NULL)
    {
      g_autoptr (GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "");

      g_cancellable_cancel (self->scan_cancellable);
      scan_end (self, error);
    }
}

/* ---- The merges history -------------------------------------------------------------- */

static char *
describe_time (const char *stamp)
{
  g_autoptr (GDateTime) utc = stamp != NULL ? g_date_time_new_from_iso8601 (stamp, NULL) : NULL;
  g_autoptr (GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;

  return local != NULL ? dft_format_date (local, DFT_DATE_STYLE_DAY_MONTH_TIME) : NULL;
}

static char *
describe_who (DftPeopleDesk *self, const char *account, const char *device, const char *stamp)
{
  g_autofree char *when = describe_time (stamp);
  g_autofree char *who = NULL;
  g_autofree char *short_device = device != NULL ? g_utf8_substring (device, 0, 8) : NULL;

  if (device != NULL && g_strcmp0 (device, dft_store_get_device_id (self->store)) == 0)
    {
      g_free (short_device);
      short_device = g_strdup (_ ("this laptop"));
    }
  if (account != NULL && short_device != NULL)
    /* Translators: an account and the laptop it used: "amina on 1a2b3c4d" */
    who = g_strdup_printf (_ ("%s on %s"), account, short_device);
  else
    who = g_strdup (account != NULL ? account : short_device != NULL ? short_device : "?");
  if (when == NULL)
    return g_steal_pointer (&who);
  /* Translators: who did something and when: "amina on 1a2b3c4d, 4 Dec, 13:05" */
  return g_strdup_printf (_ ("%s, %s"), who, when);
}

static void
undo_merge_clicked (GtkButton *button, DftPeopleDesk *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (button), FALSE);
  unmerge (self, g_object_get_data (G_OBJECT (button), "merge-id"));
}

static GtkWidget *
merge_row (DftPeopleDesk *self, DftMergeView *merge)
{
  GtkWidget       *row = adw_action_row_new ();
  g_autofree char *title = NULL;
  g_autofree char *by = describe_who (self, merge->merged_by, merge->merged_on, merge->merged_at);
  g_autofree char *moved = NULL;
  g_autofree char *n_moved
      = dft_format_integer (merge->moved != NULL ? g_strv_length (merge->moved) : 0);
  g_autoptr (GString) subtitle = g_string_new (NULL);

  /* Translators: the first %s is the record merged away, the second the one kept */
  title = g_strdup_printf (_ ("“%s” into “%s”"),
                           merge->merged_name != NULL ? merge->merged_name : merge->merged_id,
                           merge->kept_name != NULL ? merge->kept_name : merge->kept_id);
  /* Names are data: never markup. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (merge->merged_by != NULL)
    /* Translators: %s is who merged two records and when: "amina on 1a2b3c4d, 4 Dec, 13:05" */
    g_string_append_printf (subtitle, _ ("Merged by %s"), by);
  else
    /* Translators: %s is the laptop that merged two records and when: "this laptop, 4 Dec,
     * 13:05" or "1a2b3c4d, 4 Dec, 13:05" */
    g_string_append_printf (subtitle, _ ("Merged on %s"), by);
  g_string_append (subtitle, "\n");
  moved = g_strdup_printf (
      /* Translators: %s is a number of records (enrolments, marks) that a merge moved */
      ngettext ("%s record moved", "%s records moved",
                merge->moved != NULL ? g_strv_length (merge->moved) : 0),
      n_moved);
  g_string_append (subtitle, moved);
  if (merge->undone)
    {
      g_autofree char *undone_by
          = describe_who (self, merge->undone_by, merge->undone_on, merge->undone_at);
      g_string_append (subtitle, "\n");
      if (merge->undone_by != NULL)
        /* Translators: %s is who undid a merge and when */
        g_string_append_printf (subtitle, _ ("Undone by %s"), undone_by);
      else
        /* Translators: %s is the laptop that undid a merge and when */
        g_string_append_printf (subtitle, _ ("Undone on %s"), undone_by);
    }
  else
    {
      GtkWidget *button = gtk_button_new_with_mnemonic (_ ("_Undo Merge"));

      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      g_object_set_data_full (G_OBJECT (button), "merge-id", g_strdup (merge->id), g_free);
      g_signal_connect_object (button, "clicked", G_CALLBACK (undo_merge_clicked), self, 0);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
    }
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle->str);
  return row;
}

static void
merges_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftPeopleDesk        *self = DFT_PEOPLE_DESK (source);
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) merges = dft_ui_list_finish (result, &error);
  GtkWidget            *child;

  set_busy (self, FALSE);
  self->reading_merges = FALSE;
  if (merges == NULL)
    {
      dft_ui_toast_error (GTK_WIDGET (self), error);
      return;
    }
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->merges_list))) != NULL)
    gtk_list_box_remove (self->merges_list, child);
  for (guint i = 0; i < merges->len; i++)
    gtk_list_box_append (self->merges_list, merge_row (self, g_ptr_array_index (merges, i)));
  self->n_merges = merges->len;
  gtk_stack_set_visible_child_name (self->merges_stack, self->n_merges > 0 ? "list" : "empty");
  if (self->merges_again)
    {
      self->merges_again = FALSE;
      reload_merges (self);
    }
}

static void
reload_merges (DftPeopleDesk *self)
{
  if (self->store == NULL)
    return;
  if (self->reading_merges)
    {
      self->merges_again = TRUE;
      return;
    }
  self->reading_merges = TRUE;
  set_busy (self, TRUE);
  dft_ui_list_async (self, self->store, dft_store_list_merges, self->cancellable, merges_read_cb,
                     NULL);
}

static void
store_changed_cb (DftPeopleDesk *self, const char *entity, GStrv ids, DftStore *store)
{
  reload_merges (self);
}

/* ---- Public ------------------------------------------------------------------------------ */

void
dft_people_desk_set_store (DftPeopleDesk *self, DftStore *store)
{
  g_return_if_fail (DFT_IS_PEOPLE_DESK (self));
  if (!g_set_object (&self->store, store))
    return;
  g_signal_group_set_target (self->store_signals, store);
  dft_conflicts_view_set_store (self->conflicts_view, store);
  self->scanned = FALSE;
  reload_merges (self);
  update_actions (self);
}

void
dft_people_desk_show (DftPeopleDesk *self, const char *name)
{
  g_return_if_fail (DFT_IS_PEOPLE_DESK (self));
  adw_view_stack_set_visible_child_name (self->view_stack, name);
  if (g_str_equal (name, "duplicates") && !self->scanned && self->scan_cancellable == NULL)
    scan (self);
}

gboolean
dft_people_desk_get_busy (DftPeopleDesk *self)
{
  g_return_val_if_fail (DFT_IS_PEOPLE_DESK (self), FALSE);
  return self->busy > 0 || dft_conflicts_view_get_busy (self->conflicts_view);
}

guint
dft_people_desk_get_n_pairs (DftPeopleDesk *self)
{
  g_return_val_if_fail (DFT_IS_PEOPLE_DESK (self), 0);
  return self->pairs != NULL ? self->pairs->len : 0;
}

int
dft_people_desk_get_position (DftPeopleDesk *self)
{
  g_return_val_if_fail (DFT_IS_PEOPLE_DESK (self), -1);
  return self->facts != NULL && current_pair (self) != NULL ? (int) self->position : -1;
}

gboolean
dft_people_desk_get_pair (DftPeopleDesk *self, const char **a_id, const char **b_id)
{
  DftDuplicatePair *pair;

  g_return_val_if_fail (DFT_IS_PEOPLE_DESK (self), FALSE);
  pair = self->facts != NULL ? current_pair (self) : NULL;
  if (pair == NULL)
    return FALSE;
  *a_id = pair->id_a;
  *b_id = pair->id_b;
  return TRUE;
}

guint
dft_people_desk_get_n_merges (DftPeopleDesk *self)
{
  g_return_val_if_fail (DFT_IS_PEOPLE_DESK (self), 0);
  return self->n_merges;
}

GtkWidget *
dft_people_desk_get_conflicts_view (DftPeopleDesk *self)
{
  g_return_val_if_fail (DFT_IS_PEOPLE_DESK (self), NULL);
  return GTK_WIDGET (self->conflicts_view);
}

/* ---- GObject ------------------------------------------------------------------------------ */

static void
n_conflicts_changed (DftPeopleDesk *self)
{
  guint             n = dft_conflicts_view_get_n_conflicts (self->conflicts_view);
  AdwViewStackPage *page
      = adw_view_stack_get_page (self->view_stack, GTK_WIDGET (self->conflicts_view));

  adw_view_stack_page_set_badge_number (page, n);
  adw_view_stack_page_set_needs_attention (page, n > 0);
}

/* M, N and L by the key pressed, whatever the layout (dft-keys.h): a coordinator types names
 * in Cyrillic between two pairs. */
static gboolean
key_pressed_cb (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                DftPeopleDesk         *self)
{
  const char *action = NULL;

  if ((state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SUPER_MASK)) != 0 || !deciding (self))
    return FALSE;
  switch (dft_keys_latin_keyval (gtk_widget_get_display (GTK_WIDGET (self)), keyval, keycode))
    {
    case GDK_KEY_m:
      action = "desk.merge";
      break;
    case GDK_KEY_n:
      action = "desk.not-same";
      break;
    case GDK_KEY_l:
      action = "desk.later";
      break;
    default:
      return FALSE;
    }
  return gtk_widget_activate_action (GTK_WIDGET (self), action, NULL);
}

static void
dft_people_desk_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  DftPeopleDesk *self = DFT_PEOPLE_DESK (object);

  switch (prop_id)
    {
    case PROP_FOLDED:
      g_value_set_boolean (value, self->folded);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy > 0);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dft_people_desk_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  DftPeopleDesk *self = DFT_PEOPLE_DESK (object);

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
dft_people_desk_dispose (GObject *object)
{
  DftPeopleDesk *self = DFT_PEOPLE_DESK (object);

  g_cancellable_cancel (self->cancellable);
  if (self->scan_cancellable != NULL)
    g_cancellable_cancel (self->scan_cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), DFT_TYPE_PEOPLE_DESK);
  g_clear_object (&self->store_signals);
  g_clear_object (&self->store);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->scan_cancellable);
  g_clear_pointer (&self->pairs, g_ptr_array_unref);
  g_clear_pointer (&self->facts, dft_merge_facts_unref);
  G_OBJECT_CLASS (dft_people_desk_parent_class)->dispose (object);
}

static void
dft_people_desk_class_init (DftPeopleDeskClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = dft_people_desk_get_property;
  object_class->set_property = dft_people_desk_set_property;
  object_class->dispose = dft_people_desk_dispose;

  properties[PROP_FOLDED]
      = g_param_spec_boolean ("folded", NULL, NULL, FALSE,
                              G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_BUSY]
      = g_param_spec_boolean ("busy", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (DFT_TYPE_CONFLICTS_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/daftari/Daftari/dft-people-desk.ui");
  /* The switchers go before the stack they show. */
  gtk_widget_class_bind_template_child (widget_class, DftPeopleDesk, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, DftPeopleDesk, switcher_bar);
  gtk_widget_class_bind_template_child (widget_class, DftPeopleDesk, view_stack);
  gtk_widget_class_bind_template_child (widget_class, DftPeopleDesk, conflicts_view);
  gtk_widget_class_bind_template_child (widget_class, DftPeopleDesk, busy_revealer);
  gtk_widget_class_bind_template_child (widget_class, DftPeopleDesk, busy_spinner);
  gtk_widget_class_bind_template_child (widget_class, DftPeopleDesk, queue_stack);
  gtk_widget_class_bind_template_child (widget_class, DftPeopleDesk, queue_status);
  gtk_widget_class_bind_template_child (widget_class, DftPeopleDesk, position_label);
  gtk_widget_class_bind_template_child (widget_class, DftPeopleDesk, score_label);
  gtk_widget_class_bind_template_child (widget_class, DftPeopleDesk, reasons_label);
  gtk_widget_class_bind_template_child (widget_class, DftPeopleDesk, compare_grid);
  gtk_widget_class_bind_template_child (widget_class, DftPeopleDesk, buttons);
  gtk_widget_class_bind_template_child (widget_class, DftPeopleDesk, merge_button);
  gtk_widget_class_bind_template_child (widget_class, DftPeopleDesk, merges_stack);
  gtk_widget_class_bind_template_child (widget_class, DftPeopleDesk, merges_list);

  gtk_widget_class_install_action (widget_class, "desk.merge", NULL, merge_activated);
  gtk_widget_class_install_action (widget_class, "desk.not-same", NULL, not_same_activated);
  gtk_widget_class_install_action (widget_class, "desk.later", NULL, later_activated);
  gtk_widget_class_install_action (widget_class, "desk.rescan", NULL, rescan_activated);
  gtk_widget_class_install_action (widget_class, "desk.cancel", NULL, cancel_activated);
  /* The review queue's keys, like the attendance register's: one key per decision. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Right, 0, "desk.later", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "desk.cancel", NULL);
}

static void
dft_people_desk_init (DftPeopleDesk *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* At 360 px each of the three views gets a third: "Карама-каршылыктар" wraps, not cut. */
  dft_ui_wrap_labels (GTK_WIDGET (self->switcher_bar));
  self->cancellable = g_cancellable_new ();
  self->store_signals = g_signal_group_new (DFT_TYPE_STORE);
  g_signal_group_connect_object (self->store_signals, "changed::person_merge",
                                 G_CALLBACK (store_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->store_signals, "changed::person_unmerge",
                                 G_CALLBACK (store_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->conflicts_view, "notify::n-conflicts",
                           G_CALLBACK (n_conflicts_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->view_stack, "notify::visible-child", G_CALLBACK (update_actions),
                           self, G_CONNECT_SWAPPED);
  dft_ui_flow_box_unfocus_cells (self->buttons);
  {
    GtkEventController *keys = gtk_event_controller_key_new ();

    g_signal_connect_object (keys, "key-pressed", G_CALLBACK (key_pressed_cb), self, 0);
    gtk_widget_add_controller (GTK_WIDGET (self), keys);
  }
  show_status (self, _ ("Looking for Duplicates"), NULL);
  update_actions (self);
}
