/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dft-application.h"
#include "dft-attendance-view.h"
#include "dft-attendance.h"
#include "dft-keys.h"
#include "dft-record-list.h"
#include "dft-session.h"
#include "dft-ui-util.h"

struct _DftAttendanceView
{
  AdwBin parent_instance;

  GtkStack  *stack;
  GtkWidget *scrolled;
  GtkGrid   *grid;
  GtkWidget *names_scrolled;
  GtkGrid   *names; /* the names column, apart so that it never scrolls sideways */

  DftStore   *store;
  DftRecord  *event;
  GListModel *people;
  GListModel *sessions;
  GListModel *marks; /* every mark of the workshop, one model */
  /* On the models above: the grid follows them as they load and change. */
  GSignalGroup *people_signals;
  GSignalGroup *sessions_signals;
  GSignalGroup *marks_signals;
  GHashTable   *statuses; /* "session person" → status, what the cells show */
  GPtrArray    *cells;    /* row-major: people × sessions */
  GPtrArray    *counts;   /* one label per session */
  guint         n_rows, n_cols;
  guint         focus_row, focus_col;
  gboolean      placed_focus; /* the current session got the focus once for this workshop */
  GHashTable   *early_ok;     /* sessions not yet due that the trainer chose to mark all the same */
  GPtrArray    *undo_steps;   /* MarkStep, the last done at the end */
  GPtrArray    *redo_steps;   /* MarkStep, the last undone at the end */
  guint         last_step_serial;
};

G_DEFINE_FINAL_TYPE (DftAttendanceView, dft_attendance_view, ADW_TYPE_BIN)

static const char *const status_classes[] = { "present", "late", "absent", "excused" };

/* Rows are as tall in the names column as in the register beside it. */
#define HEADER_HEIGHT 48
#define ROW_HEIGHT    38
#define COUNT_HEIGHT  28

static char *
mark_key (const char *session_id, const char *person_id)
{
  return g_strconcat (session_id, " ", person_id, NULL);
}

static DftRecord *
item (GListModel *model, guint position)
{
  /* The models hold their items; borrowing is safe for the length of a call. */
  DftRecord *record = g_list_model_get_item (model, position);

  g_object_unref (record);
  return record;
}

const char *
dft_attendance_view_get_status (DftAttendanceView *self,
                                const char        *session_id,
                                const char        *person_id)
{
  g_autofree char *key = mark_key (session_id, person_id);

  g_return_val_if_fail (DFT_IS_ATTENDANCE_VIEW (self), NULL);
  return g_hash_table_lookup (self->statuses, key);
}

const char *
dft_attendance_view_get_focus_session (DftAttendanceView *self)
{
  g_return_val_if_fail (DFT_IS_ATTENDANCE_VIEW (self), NULL);
  if (self->sessions == NULL || self->focus_col >= g_list_model_get_n_items (self->sessions))
    return NULL;
  return dft_record_get_id (item (self->sessions, self->focus_col));
}

GListModel *
dft_attendance_view_get_sessions (DftAttendanceView *self)
{
  g_return_val_if_fail (DFT_IS_ATTENDANCE_VIEW (self), NULL);
  return self->sessions;
}

GListModel *
dft_attendance_view_get_people (DftAttendanceView *self)
{
  g_return_val_if_fail (DFT_IS_ATTENDANCE_VIEW (self), NULL);
  return self->people;
}

static char *
person_name (DftRecord *person)
{
  return g_strjoin (" ", dft_record_get_string (person, "given_name") ?: "",
                    dft_record_get_string (person, "family_name") ?: "", NULL);
}

static char *
session_name (DftRecord *session)
{
  g_autofree char *date = dft_ui_format_date (dft_record_get_string (session, "date"), TRUE);

  return g_strdup_printf ("%s\n%s", date,
                          dft_session_part_label (dft_record_get_string (session, "part")));
}

static void
update_cell (DftAttendanceView *self, guint row, guint col)
{
  GtkWidget       *cell = g_ptr_array_index (self->cells, row * self->n_cols + col);
  DftRecord       *person = item (self->people, row);
  DftRecord       *session = item (self->sessions, col);
  const char      *status = dft_attendance_view_get_status (self, dft_record_get_id (session),
                                                            dft_record_get_id (person));
  g_autofree char *name = person_name (person);
  g_autofree char *when = session_name (session);
  g_autofree char *label = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (status_classes); i++)
    gtk_widget_remove_css_class (cell, status_classes[i]);
  if (status != NULL)
    gtk_widget_add_css_class (cell, status);
  gtk_button_set_label (GTK_BUTTON (cell), status != NULL ? dft_attendance_label (status) : "–");
  g_strdelimit (when, "\n", ' ');
  /* Translators: a cell of the register: person's name, session, then the mark */
  label = g_strdup_printf (_ ("%s, %s: %s"), name, when, dft_attendance_label (status));
  gtk_accessible_update_property (GTK_ACCESSIBLE (cell), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

static void
update_counts (DftAttendanceView *self)
{
  /* No grid (nobody registered or no session yet): no counts under it either. */
  if (self->counts->len != self->n_cols || self->n_rows == 0)
    return;
  for (guint c = 0; c < self->n_cols; c++)
    {
      DftRecord       *session = item (self->sessions, c);
      guint            n[G_N_ELEMENTS (status_classes)] = { 0 };
      g_autofree char *text = NULL;

      for (guint r = 0; r < self->n_rows; r++)
        {
          const char *status = dft_attendance_view_get_status (
              self, dft_record_get_id (session), dft_record_get_id (item (self->people, r)));
          for (guint i = 0; status != NULL && i < G_N_ELEMENTS (status_classes); i++)
            if (g_str_equal (status, status_classes[i]))
              n[i]++;
        }
      /* Translators: counts under a session's column of the register: people who came
       * (present or late, as the summary counts attendance), of them how many late, then
       * the excused and the absent */
      text = g_strdup_printf (_ ("Attended %u (%u late)\nExcused %u\nAbsent %u"), n[0] + n[1], n[1],
                              n[3], n[2]);
      gtk_label_set_text (g_ptr_array_index (self->counts, c), text);
    }
}

static void
refresh_marks (DftAttendanceView *self)
{
  guint n = self->marks != NULL ? g_list_model_get_n_items (self->marks) : 0;

  g_hash_table_remove_all (self->statuses);
  for (guint i = 0; i < n; i++)
    {
      DftRecord *mark = item (self->marks, i);
      g_hash_table_insert (self->statuses,
                           mark_key (dft_record_get_string (mark, "session_id"),
                                     dft_record_get_string (mark, "person_id")),
                           g_strdup (dft_record_get_string (mark, "status")));
    }
  for (guint r = 0; r < self->n_rows; r++)
    for (guint c = 0; c < self->n_cols; c++)
      update_cell (self, r, c);
  update_counts (self);
}

static void
focus_cell (DftAttendanceView *self, guint row, guint col)
{
  if (self->n_rows == 0 || self->n_cols == 0)
    return;
  self->focus_row = MIN (row, self->n_rows - 1);
  self->focus_col = MIN (col, self->n_cols - 1);
  gtk_widget_grab_focus (
      g_ptr_array_index (self->cells, self->focus_row * self->n_cols + self->focus_col));
}

/* ---- Marking ---------------------------------------------------------- */

/*
 * Every change of marks is a step of the undo history: the marks of one session's cells before
 * and after it (NULL: not marked). Undo and redo write one side back through the store, so they
 * are saved and synced like any other mark.
 */
typedef struct
{
  guint      serial;
  char      *session_id;
  GPtrArray *person_ids;
  GPtrArray *before;
  GPtrArray *after;
} MarkStep;

static void
mark_step_free (gpointer data)
{
  MarkStep *step = data;

  g_free (step->session_id);
  g_ptr_array_unref (step->person_ids);
  g_ptr_array_unref (step->before);
  g_ptr_array_unref (step->after);
  g_free (step);
}

static void
mark_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (DftAttendanceView) self = user_data;
  g_autoptr (GError)            error = NULL;

  dft_application_default_end_work ();
  if (!dft_attendance_mark_session_finish (DFT_STORE (source), result, &error))
    {
      dft_ui_toast_error (GTK_WIDGET (self), error);
      /* Show what the store holds again, not the mark that failed. */
      refresh_marks (self);
    }
}

/* Shows @statuses in the cells of @person_ids at once, and saves them in a worker. */
static void
write_marks (DftAttendanceView *self,
             const char        *session_id,
             GPtrArray         *person_ids,
             GPtrArray         *statuses)
{
  if (self->store == NULL || person_ids->len == 0)
    return;
  for (guint i = 0; i < person_ids->len; i++)
    {
      char *key = mark_key (session_id, g_ptr_array_index (person_ids, i));
      if (g_ptr_array_index (statuses, i) != NULL)
        g_hash_table_insert (self->statuses, key, g_strdup (g_ptr_array_index (statuses, i)));
      else
        {
          g_hash_table_remove (self->statuses, key);
          g_free (key);
        }
    }
  for (guint r = 0; r < self->n_rows; r++)
    for (guint c = 0; c < self->n_cols; c++)
      if (g_str_equal (dft_record_get_id (item (self->sessions, c)), session_id))
        update_cell (self, r, c);
  update_counts (self);

  /* One transaction, so the register never shows half of Everyone Present or of its undo. */
  dft_application_default_begin_work ();
  dft_attendance_mark_session_async (self->store, session_id,
                                     (const char *const *) person_ids->pdata,
                                     (const char *const *) statuses->pdata, person_ids->len, NULL,
                                     mark_done_cb, g_object_ref (self));
}

static void
update_undo_actions (DftAttendanceView *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "attendance.undo", self->undo_steps->len > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "attendance.redo", self->redo_steps->len > 0);
}

/* Sets the marks of @person_ids in @session_id to @status (NULL clears them) as one step of
 * the undo history. Returns the step, or NULL when no cell changes. */
static MarkStep *
change_marks (DftAttendanceView *self,
              const char        *session_id,
              GPtrArray         *person_ids,
              const char        *status)
{
  MarkStep *step;

  if (self->store == NULL)
    return NULL;
  step = g_new0 (MarkStep, 1);
  step->session_id = g_strdup (session_id);
  step->person_ids = g_ptr_array_new_with_free_func (g_free);
  step->before = g_ptr_array_new_with_free_func (g_free);
  step->after = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < person_ids->len; i++)
    {
      const char *person_id = g_ptr_array_index (person_ids, i);
      const char *now = dft_attendance_view_get_status (self, session_id, person_id);

      if (g_strcmp0 (now, status) == 0)
        continue;
      g_ptr_array_add (step->person_ids, g_strdup (person_id));
      g_ptr_array_add (step->before, g_strdup (now));
      g_ptr_array_add (step->after, g_strdup (status));
    }
  if (step->person_ids->len == 0)
    {
      mark_step_free (step);
      return NULL;
    }
  step->serial = ++self->last_step_serial;
  g_ptr_array_add (self->undo_steps, step);
  g_ptr_array_set_size (self->redo_steps, 0);
  update_undo_actions (self);
  write_marks (self, session_id, step->person_ids, step->after);
  return step;
}

static void
undo (DftAttendanceView *self)
{
  MarkStep *step;

  if (self->undo_steps->len == 0)
    return;
  step = g_ptr_array_steal_index (self->undo_steps, self->undo_steps->len - 1);
  g_ptr_array_add (self->redo_steps, step);
  update_undo_actions (self);
  write_marks (self, step->session_id, step->person_ids, step->before);
}

static void
redo (DftAttendanceView *self)
{
  MarkStep *step;

  if (self->redo_steps->len == 0)
    return;
  step = g_ptr_array_steal_index (self->redo_steps, self->redo_steps->len - 1);
  g_ptr_array_add (self->undo_steps, step);
  update_undo_actions (self);
  write_marks (self, step->session_id, step->person_ids, step->after);
}

static void
clear_history (DftAttendanceView *self)
{
  g_ptr_array_set_size (self->undo_steps, 0);
  g_ptr_array_set_size (self->redo_steps, 0);
  update_undo_actions (self);
}

/* The Undo of Everyone Present's toast: the step itself when it is the last, else the marks
 * it made that nobody has changed since, as a new step. */
static void
undo_everyone_cb (AdwToast *toast, DftAttendanceView *self)
{
  guint                 serial = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (toast), "step"));
  MarkStep             *last = self->undo_steps->len > 0
                                   ? g_ptr_array_index (self->undo_steps, self->undo_steps->len - 1)
                                   : NULL;
  g_autoptr (GPtrArray) still = NULL;

  if (last != NULL && last->serial == serial)
    {
      undo (self);
      return;
    }
  for (guint i = 0; i < self->undo_steps->len; i++)
    {
      MarkStep *step = g_ptr_array_index (self->undo_steps, i);

      if (step->serial != serial)
        continue;
      still = g_ptr_array_new_with_free_func (g_free);
      for (guint j = 0; j < step->person_ids->len; j++)
        if (g_strcmp0 (dft_attendance_view_get_status (self, step->session_id,
                                                       g_ptr_array_index (step->person_ids, j)),
                       "present")
            == 0)
          g_ptr_array_add (still, g_strdup (g_ptr_array_index (step->person_ids, j)));
      change_marks (self, step->session_id, still, NULL);
      return;
    }
}

static guint
session_column (DftAttendanceView *self, const char *session_id)
{
  for (guint c = 0; c < self->n_cols; c++)
    if (g_str_equal (dft_record_get_id (item (self->sessions, c)), session_id))
      return c;
  return G_MAXUINT;
}

/* What a trainer asked for, kept while the register asks whether they mean it. */
typedef struct
{
  DftAttendanceView *self;
  char              *session_id;
  char              *person_id; /* NULL: everyone not yet marked */
  char              *status;
  gboolean           move_down;
} EarlyMark;

static void
early_mark_free (gpointer data)
{
  EarlyMark *early = data;

  g_object_unref (early->self);
  g_free (early->session_id);
  g_free (early->person_id);
  g_free (early->status);
  g_free (early);
}

static void mark (DftAttendanceView *self,
                  const char        *session_id,
                  const char        *person_id,
                  const char        *status,
                  gboolean           move_down);

static void
early_response_cb (AdwMessageDialog *dialog, const char *response, EarlyMark *early)
{
  if (!g_str_equal (response, "mark"))
    return;
  g_hash_table_add (early->self->early_ok, g_strdup (early->session_id));
  mark (early->self, early->session_id, early->person_id, early->status, early->move_down);
}

/* Whether @session_id may be marked now; if not, asks, and marks when the trainer says so. */
static gboolean
may_mark (DftAttendanceView *self,
          const char        *session_id,
          const char        *person_id,
          const char        *status,
          gboolean           move_down)
{
  guint                 col = session_column (self, session_id);
  g_autoptr (GDateTime) now = dft_ui_now ();
  g_autofree char      *when = NULL;
  g_autofree char      *body = NULL;
  GtkRoot              *root = gtk_widget_get_root (GTK_WIDGET (self));
  AdwMessageDialog     *dialog;
  EarlyMark            *early;

  if (col == G_MAXUINT || g_hash_table_contains (self->early_ok, session_id)
      || dft_session_is_due (item (self->sessions, col), now))
    return TRUE;

  when = session_name (item (self->sessions, col));
  g_strdelimit (when, "\n", ' ');
  /* Translators: %s is a session, as "Fri 5 Dec 2026 Morning" */
  body = g_strdup_printf (_ ("%s has not started. Marks usually go in the session being held."),
                          when);
  dialog = ADW_MESSAGE_DIALOG (
      adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                              _ ("Mark a Session That Has Not Started Yet?"), body));
  adw_message_dialog_add_responses (dialog, "cancel", _ ("_Cancel"), "mark", _ ("_Mark"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "mark", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  early = g_new0 (EarlyMark, 1);
  early->self = g_object_ref (self);
  early->session_id = g_strdup (session_id);
  early->person_id = g_strdup (person_id);
  early->status = g_strdup (status);
  early->move_down = move_down;
  g_signal_connect_data (dialog, "response", G_CALLBACK (early_response_cb), early,
                         (GClosureNotify) (void (*) (void)) early_mark_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  return FALSE;
}

static void
mark_everyone_present (DftAttendanceView *self, const char *session_id)
{
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autofree char      *title = NULL;
  MarkStep             *step;
  AdwToast             *toast;

  for (guint r = 0; r < self->n_rows; r++)
    {
      const char *person_id = dft_record_get_id (item (self->people, r));
      if (dft_attendance_view_get_status (self, session_id, person_id) == NULL)
        g_ptr_array_add (ids, g_strdup (person_id));
    }
  step = change_marks (self, session_id, ids, "present");
  if (step == NULL)
    {
      dft_ui_toast (GTK_WIDGET (self), _ ("Everyone already has a mark in this session."));
      return;
    }
  title = g_strdup_printf (
      /* Translators: a toast after Everyone Present; %u is how many it marked */
      ngettext ("%u person marked present", "%u people marked present", step->person_ids->len),
      step->person_ids->len);
  toast = adw_toast_new (title);
  adw_toast_set_button_label (toast, _ ("_Undo"));
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  g_object_set_data (G_OBJECT (toast), "step", GUINT_TO_POINTER (step->serial));
  g_signal_connect_object (toast, "button-clicked", G_CALLBACK (undo_everyone_cb), self, 0);
  dft_ui_add_toast (GTK_WIDGET (self), toast);
}

/*
 * Marks @person_id (NULL: everyone not yet marked) in @session_id with @status (NULL clears),
 * once the session is due or the trainer said to mark it early; with @move_down, the focus
 * then goes down the column, as a trainer reads the names out.
 */
static void
mark (DftAttendanceView *self,
      const char        *session_id,
      const char        *person_id,
      const char        *status,
      gboolean           move_down)
{
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);

  if (status != NULL && !may_mark (self, session_id, person_id, status, move_down))
    return;
  if (person_id == NULL)
    {
      mark_everyone_present (self, session_id);
      return;
    }
  g_ptr_array_add (ids, g_strdup (person_id));
  change_marks (self, session_id, ids, status);
  if (move_down)
    focus_cell (self, self->focus_row + 1, session_column (self, session_id));
}

static void
mark_cell (DftAttendanceView *self, guint row, guint col, const char *status, gboolean move_down)
{
  self->focus_row = row;
  self->focus_col = col;
  mark (self, dft_record_get_id (item (self->sessions, col)),
        dft_record_get_id (item (self->people, row)), status, move_down);
}

static void
set_status_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  const char *session_id, *person_id, *status;

  g_variant_get (parameter, "(&s&s&s)", &session_id, &person_id, &status);
  if (g_strv_contains (dft_attendance_choices, status))
    mark (DFT_ATTENDANCE_VIEW (widget), session_id, person_id, status, FALSE);
}

static void
mark_session_present_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  mark (DFT_ATTENDANCE_VIEW (widget), g_variant_get_string (parameter, NULL), NULL, "present",
        FALSE);
}

static void
mark_all_present_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftAttendanceView *self = DFT_ATTENDANCE_VIEW (widget);
  const char        *session_id = dft_attendance_view_get_focus_session (self);

  if (session_id != NULL)
    mark (self, session_id, NULL, "present", FALSE);
}

static void
clear_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DftAttendanceView *self = DFT_ATTENDANCE_VIEW (widget);

  if (self->focus_row < self->n_rows && self->focus_col < self->n_cols)
    mark_cell (self, self->focus_row, self->focus_col, NULL, FALSE);
}

static void
undo_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  undo (DFT_ATTENDANCE_VIEW (widget));
}

static void
redo_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  redo (DFT_ATTENDANCE_VIEW (widget));
}

/* ---- Keyboard ------------------------------------------------------------ */

static gboolean
cell_position (DftAttendanceView *self, GtkWidget *widget, guint *row, guint *col)
{
  for (; widget != NULL; widget = gtk_widget_get_parent (widget))
    {
      gpointer index = g_object_get_data (G_OBJECT (widget), "cell-index");
      if (index != NULL)
        {
          guint i = GPOINTER_TO_UINT (index) - 1;
          *row = i / self->n_cols;
          *col = i % self->n_cols;
          return TRUE;
        }
      if (widget == GTK_WIDGET (self->grid))
        break;
    }
  return FALSE;
}

static gboolean
key_pressed_cb (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                DftAttendanceView     *self)
{
  GtkRoot    *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget  *focus = root != NULL ? gtk_root_get_focus (root) : NULL;
  gboolean    rtl = gtk_widget_get_direction (GTK_WIDGET (self)) == GTK_TEXT_DIR_RTL;
  const char *status = NULL;
  guint       key, row, col;

  /* By the key pressed, whatever the layout: P is P in a Russian or Kyrgyz layout too. */
  key = dft_keys_latin_keyval (gtk_widget_get_display (GTK_WIDGET (self)), keyval, keycode);
  if ((state & GDK_ALT_MASK) != 0)
    return GDK_EVENT_PROPAGATE;
  if ((state & GDK_CONTROL_MASK) != 0)
    {
      gboolean shift = (state & GDK_SHIFT_MASK) != 0;

      if (key == GDK_KEY_z && !shift)
        undo (self);
      else if (key == GDK_KEY_z || key == GDK_KEY_y)
        redo (self);
      else if (key == GDK_KEY_p && shift)
        gtk_widget_activate_action (GTK_WIDGET (self), "attendance.mark-all-present", NULL);
      else
        return GDK_EVENT_PROPAGATE;
      return GDK_EVENT_STOP;
    }
  if (!cell_position (self, focus, &row, &col))
    return GDK_EVENT_PROPAGATE;
  self->focus_row = row;
  self->focus_col = col;

  switch (key)
    {
    case GDK_KEY_Up:
      focus_cell (self, row > 0 ? row - 1 : 0, col);
      return GDK_EVENT_STOP;
    case GDK_KEY_Down:
      focus_cell (self, row + 1, col);
      return GDK_EVENT_STOP;
    case GDK_KEY_Left:
    case GDK_KEY_Right:
      /* The grid is mirrored in right-to-left languages: the arrow goes where it points. */
      if ((key == GDK_KEY_Left) != rtl)
        focus_cell (self, row, col > 0 ? col - 1 : 0);
      else
        focus_cell (self, row, col + 1);
      return GDK_EVENT_STOP;
    case GDK_KEY_Home:
      focus_cell (self, row, 0);
      return GDK_EVENT_STOP;
    case GDK_KEY_End:
      focus_cell (self, row, self->n_cols - 1);
      return GDK_EVENT_STOP;
    case GDK_KEY_Delete:
    case GDK_KEY_KP_Delete:
    case GDK_KEY_BackSpace:
      mark_cell (self, row, col, NULL, FALSE);
      return GDK_EVENT_STOP;
    case GDK_KEY_p:
    case GDK_KEY_1:
    case GDK_KEY_KP_1:
      status = "present";
      break;
    case GDK_KEY_l:
    case GDK_KEY_2:
    case GDK_KEY_KP_2:
      status = "late";
      break;
    case GDK_KEY_a:
    case GDK_KEY_3:
    case GDK_KEY_KP_3:
      status = "absent";
      break;
    case GDK_KEY_e:
    case GDK_KEY_4:
    case GDK_KEY_KP_4:
      status = "excused";
      break;
    case GDK_KEY_space:
    case GDK_KEY_KP_Space:
      {
        const char *now
            = dft_attendance_view_get_status (self, dft_record_get_id (item (self->sessions, col)),
                                              dft_record_get_id (item (self->people, row)));
        mark_cell (self, row, col, g_strcmp0 (now, "present") == 0 ? "absent" : "present", FALSE);
      }
      return GDK_EVENT_STOP;
    default:
      return GDK_EVENT_PROPAGATE;
    }
  mark_cell (self, row, col, status, TRUE);
  return GDK_EVENT_STOP;
}

static void
cell_clicked_cb (GtkButton *cell, DftAttendanceView *self)
{
  static const char *cycle[] = { "present", "late", "absent", "excused" };
  guint              row, col;
  const char        *now;
  guint              next = 0;

  if (!cell_position (self, GTK_WIDGET (cell), &row, &col))
    return;
  now = dft_attendance_view_get_status (self, dft_record_get_id (item (self->sessions, col)),
                                        dft_record_get_id (item (self->people, row)));
  for (guint i = 0; now != NULL && i < G_N_ELEMENTS (cycle); i++)
    if (g_str_equal (cycle[i], now))
      next = (i + 1) % G_N_ELEMENTS (cycle);
  mark_cell (self, row, col, cycle[next], FALSE);
}

/* ---- Building the grid ------------------------------------------------- */

static guint
current_column (DftAttendanceView *self)
{
  g_autoptr (GDateTime) now = dft_ui_now ();
  guint                 found = dft_session_current (self->sessions, now);

  return found != G_MAXUINT ? found : 0;
}

static void
place_initial_focus (DftAttendanceView *self)
{
  if (self->placed_focus || self->n_rows == 0 || self->n_cols == 0
      || !gtk_widget_get_mapped (GTK_WIDGET (self)))
    return;
  self->placed_focus = TRUE;
  /* The session being held first: the register opens on the column a trainer is about to fill. */
  focus_cell (self, 0, current_column (self));
}

/* Shown again (back from Participants or Summary): the focus goes back to the cell it was on,
 * where the keys mark; the first time, to the session being held. */
static gboolean
place_focus_on_show (DftAttendanceView *self)
{
  if (self->n_rows == 0 || self->n_cols == 0 || !gtk_widget_get_mapped (GTK_WIDGET (self)))
    return FALSE;
  if (!self->placed_focus)
    place_initial_focus (self);
  else
    focus_cell (self, self->focus_row, self->focus_col);
  return TRUE;
}

/* The view stack moves the focus on into a page it shows (Tab forward from where it is), which
 * would leave the register one column on: the workshop page puts it back after that. Not the
 * grab_focus vfunc, which Tab calls too: Tab must reach the buttons above the grid. */
gboolean
dft_attendance_view_focus_register (DftAttendanceView *self)
{
  g_return_val_if_fail (DFT_IS_ATTENDANCE_VIEW (self), FALSE);

  return place_focus_on_show (self);
}

static void
rebuild (DftAttendanceView *self)
{
  GtkWidget *child;
  GtkRoot   *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;
  gboolean   had_focus = focus != NULL && gtk_widget_is_ancestor (focus, GTK_WIDGET (self->grid));
  g_autofree char *today = dft_ui_today ();

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->grid))) != NULL)
    gtk_grid_remove (self->grid, child);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->names))) != NULL)
    gtk_grid_remove (self->names, child);
  g_ptr_array_set_size (self->cells, 0);
  g_ptr_array_set_size (self->counts, 0);
  self->n_rows = self->people != NULL ? g_list_model_get_n_items (self->people) : 0;
  self->n_cols = self->sessions != NULL ? g_list_model_get_n_items (self->sessions) : 0;
  gtk_stack_set_visible_child_name (self->stack,
                                    self->n_rows > 0 && self->n_cols > 0 ? "grid" : "empty");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "attendance.mark-all-present",
                                 self->n_rows > 0 && self->n_cols > 0);
  if (self->n_rows == 0 || self->n_cols == 0)
    return;

  /* The names grid's header and count rows, as tall as the sessions' ones. */
  {
    GtkWidget *corner = gtk_label_new (NULL);
    /* Translators: heads the row of counts under the register's sessions */
    GtkWidget *foot = gtk_label_new (_ ("Totals"));

    gtk_widget_set_size_request (corner, -1, HEADER_HEIGHT);
    gtk_grid_attach (self->names, corner, 0, 0, 1, 1);
    gtk_widget_set_size_request (foot, -1, COUNT_HEIGHT);
    gtk_label_set_xalign (GTK_LABEL (foot), 0);
    gtk_widget_add_css_class (foot, "caption");
    gtk_widget_add_css_class (foot, "dim-label");
    gtk_grid_attach (self->names, foot, 0, (int) self->n_rows + 1, 1, 1);
  }
  for (guint c = 0; c < self->n_cols; c++)
    {
      DftRecord       *session = item (self->sessions, c);
      g_autofree char *name = session_name (session);
      GtkWidget       *header = gtk_label_new (name);
      GtkWidget       *count = gtk_label_new (NULL);

      gtk_widget_add_css_class (header, "heading");
      gtk_widget_add_css_class (header, "session-header");
      if (g_strcmp0 (dft_record_get_string (session, "date"), today) == 0)
        gtk_widget_add_css_class (header, "today");
      gtk_label_set_justify (GTK_LABEL (header), GTK_JUSTIFY_CENTER);
      gtk_widget_set_size_request (header, -1, HEADER_HEIGHT);
      gtk_grid_attach (self->grid, header, (int) c, 0, 1, 1);
      gtk_widget_add_css_class (count, "caption");
      gtk_widget_add_css_class (count, "dim-label");
      gtk_widget_set_size_request (count, -1, COUNT_HEIGHT);
      gtk_grid_attach (self->grid, count, (int) c, (int) self->n_rows + 1, 1, 1);
      g_ptr_array_add (self->counts, count);
    }
  for (guint r = 0; r < self->n_rows; r++)
    {
      g_autofree char         *name = person_name (item (self->people, r));
      GtkWidget               *label = gtk_label_new (name);
      g_autoptr (GtkSizeGroup) row_height = gtk_size_group_new (GTK_SIZE_GROUP_VERTICAL);

      /* A long name wraps rather than ending in an ellipsis (two people may differ only at
       * the end of theirs); its row in the register grows with it. */
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
      gtk_label_set_max_width_chars (GTK_LABEL (label), 22);
      gtk_label_set_width_chars (GTK_LABEL (label), 12);
      gtk_widget_set_margin_end (label, 6);
      gtk_widget_set_size_request (label, -1, ROW_HEIGHT);
      gtk_grid_attach (self->names, label, 0, (int) r + 1, 1, 1);
      gtk_size_group_add_widget (row_height, label);
      for (guint c = 0; c < self->n_cols; c++)
        {
          GtkWidget *cell = gtk_button_new_with_label ("–");

          gtk_widget_add_css_class (cell, "attendance-cell");
          gtk_widget_add_css_class (cell, "flat");
          g_object_set_data (G_OBJECT (cell), "cell-index",
                             GUINT_TO_POINTER (r * self->n_cols + c + 1));
          g_signal_connect_object (cell, "clicked", G_CALLBACK (cell_clicked_cb), self, 0);
          gtk_widget_set_size_request (cell, -1, ROW_HEIGHT);
          gtk_grid_attach (self->grid, cell, (int) c, (int) r + 1, 1, 1);
          gtk_size_group_add_widget (row_height, cell);
          g_ptr_array_add (self->cells, cell);
        }
    }
  refresh_marks (self);
  if (had_focus)
    focus_cell (self, self->focus_row, self->focus_col);
  else
    place_initial_focus (self);
}

static void
set_models (DftAttendanceView *self, GListModel *people, GListModel *sessions, GListModel *marks)
{
  g_set_object (&self->people, people);
  g_set_object (&self->sessions, sessions);
  g_set_object (&self->marks, marks);
  g_signal_group_set_target (self->people_signals, people);
  g_signal_group_set_target (self->sessions_signals, sessions);
  g_signal_group_set_target (self->marks_signals, marks);
}

void
dft_attendance_view_set_event (DftAttendanceView *self, DftStore *store, DftRecord *event)
{
  g_autoptr (GListModel) people = NULL;
  g_autoptr (GListModel) sessions = NULL;
  g_autoptr (GListModel) marks = NULL;

  g_return_if_fail (DFT_IS_ATTENDANCE_VIEW (self));

  if (self->event != NULL && event != NULL
      && g_strcmp0 (dft_record_get_id (self->event), dft_record_get_id (event)) == 0)
    {
      g_set_object (&self->event, event);
      return;
    }
  g_set_object (&self->event, event);
  g_set_object (&self->store, store);
  g_hash_table_remove_all (self->statuses);
  g_hash_table_remove_all (self->early_ok);
  clear_history (self);
  self->placed_focus = FALSE;
  self->focus_row = self->focus_col = 0;
  if (event != NULL)
    {
      const char *event_id = dft_record_get_id (event);

      people = dft_store_list_people (store, event_id);
      sessions = dft_store_list_sessions (store, event_id);
      marks = G_LIST_MODEL (
          dft_record_list_new (store, &dft_entity_attendance,
                               "deleted = 0 AND session_id IN (SELECT id FROM session WHERE "
                               "event_id = ?) AND " DFT_SQL_PERSON_LIVE ("attendance.person_id"),
                               event_id, "session_id, person_id"));
    }
  set_models (self, people, sessions, marks);
  rebuild (self);
}

/* ---- GObject ------------------------------------------------------------ */

static void
dft_attendance_view_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (dft_attendance_view_parent_class)->map (widget);
  place_focus_on_show (DFT_ATTENDANCE_VIEW (widget));
}

static void
dft_attendance_view_dispose (GObject *object)
{
  DftAttendanceView *self = DFT_ATTENDANCE_VIEW (object);

  set_models (self, NULL, NULL, NULL);
  g_clear_object (&self->people_signals);
  g_clear_object (&self->sessions_signals);
  g_clear_object (&self->marks_signals);
  gtk_widget_dispose_template (GTK_WIDGET (self), DFT_TYPE_ATTENDANCE_VIEW);
  g_clear_object (&self->event);
  g_clear_object (&self->store);
  g_clear_pointer (&self->statuses, g_hash_table_unref);
  g_clear_pointer (&self->early_ok, g_hash_table_unref);
  g_clear_pointer (&self->undo_steps, g_ptr_array_unref);
  g_clear_pointer (&self->redo_steps, g_ptr_array_unref);
  g_clear_pointer (&self->cells, g_ptr_array_unref);
  g_clear_pointer (&self->counts, g_ptr_array_unref);

  G_OBJECT_CLASS (dft_attendance_view_parent_class)->dispose (object);
}

static void
dft_attendance_view_class_init (DftAttendanceViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dft_attendance_view_dispose;
  widget_class->map = dft_attendance_view_map;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/daftari/Daftari/dft-attendance-view.ui");
  gtk_widget_class_bind_template_child (widget_class, DftAttendanceView, stack);
  gtk_widget_class_bind_template_child (widget_class, DftAttendanceView, scrolled);
  gtk_widget_class_bind_template_child (widget_class, DftAttendanceView, names_scrolled);
  gtk_widget_class_bind_template_child (widget_class, DftAttendanceView, names);
  gtk_widget_class_bind_template_child (widget_class, DftAttendanceView, grid);

  gtk_widget_class_install_action (widget_class, "attendance.set-status", "(sss)",
                                   set_status_activated);
  gtk_widget_class_install_action (widget_class, "attendance.mark-session-present", "s",
                                   mark_session_present_activated);
  gtk_widget_class_install_action (widget_class, "attendance.mark-all-present", NULL,
                                   mark_all_present_activated);
  gtk_widget_class_install_action (widget_class, "attendance.clear", NULL, clear_activated);
  gtk_widget_class_install_action (widget_class, "attendance.undo", NULL, undo_activated);
  gtk_widget_class_install_action (widget_class, "attendance.redo", NULL, redo_activated);
  /* Their keys (Ctrl+Shift+P, Ctrl+Z, Ctrl+Shift+Z, Delete) are read in key_pressed_cb, by the
   * key pressed: a binding would look for the letter, which a Cyrillic layout does not give. */
}

static void
dft_attendance_view_init (DftAttendanceView *self)
{
  GtkEventController *keys = gtk_event_controller_key_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_scrolled_window_set_vadjustment (
      GTK_SCROLLED_WINDOW (self->names_scrolled),
      gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (self->scrolled)));
  self->statuses = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->early_ok = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->undo_steps = g_ptr_array_new_with_free_func (mark_step_free);
  self->redo_steps = g_ptr_array_new_with_free_func (mark_step_free);
  update_undo_actions (self);
  self->cells = g_ptr_array_new ();
  self->people_signals = g_signal_group_new (DFT_TYPE_RECORD_LIST);
  g_signal_group_connect_object (self->people_signals, "items-changed", G_CALLBACK (rebuild), self,
                                 G_CONNECT_SWAPPED);
  self->sessions_signals = g_signal_group_new (DFT_TYPE_RECORD_LIST);
  g_signal_group_connect_object (self->sessions_signals, "items-changed", G_CALLBACK (rebuild),
                                 self, G_CONNECT_SWAPPED);
  self->marks_signals = g_signal_group_new (DFT_TYPE_RECORD_LIST);
  g_signal_group_connect_object (self->marks_signals, "items-changed", G_CALLBACK (refresh_marks),
                                 self, G_CONNECT_SWAPPED);
  self->counts = g_ptr_array_new ();
  /* Before the cells: a button would take Space for itself. On the whole view, so that
   * Ctrl+Z also undoes from the Everyone Present button. */
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);
}
