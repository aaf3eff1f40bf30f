/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dft-application.h"
#include "dft-contact.h"
#include "dft-country.h"
#include "dft-people.h"
#include "dft-person-dialog-private.h"
#include "dft-ui-util.h"

/*
 * While a new person is typed, the people already in the store who may be them are offered
 * for enrolment instead, before the duplicate exists. The finder is built once per dialog in
 * a worker; each lookup (debounced) is a fast in-memory query, and only the details of the
 * few people shown (their workshops, whether they are already enrolled) are read from disk,
 * again in a worker.
 */

#define DUPLICATES_MAX       3
#define DUPLICATES_DELAY_MS  250
#define DUPLICATES_WORKSHOPS 3 /* titles named before "and N more" */

typedef struct
{
  DftRecord *person;
  guint      reasons;
  gboolean   enrolled_here;
  GPtrArray *workshops; /* titles, of strings */
} Candidate;

static void
candidate_free (gpointer data)
{
  Candidate *candidate = data;

  g_clear_object (&candidate->person);
  g_clear_pointer (&candidate->workshops, g_ptr_array_unref);
  g_free (candidate);
}

typedef struct
{
  DftStore  *store;
  char      *event_id;
  GStrv      ids;
  guint     *reasons;
  guint      serial;
  GPtrArray *candidates; /* of Candidate, the output */
} CandidatesJob;

static void
candidates_job_free (gpointer data)
{
  CandidatesJob *job = data;

  g_object_unref (job->store);
  g_free (job->event_id);
  g_strfreev (job->ids);
  g_free (job->reasons);
  g_clear_pointer (&job->candidates, g_ptr_array_unref);
  g_free (job);
}

static gboolean
candidates_work (gpointer data, GCancellable *cancellable, GError **error)
{
  CandidatesJob *job = data;

  job->candidates = g_ptr_array_new_with_free_func (candidate_free);
  for (guint i = 0; job->ids[i] != NULL; i++)
    {
      const char           *filters[] = { "person_id", job->ids[i], NULL };
      g_autoptr (GPtrArray) enrollments = NULL;
      Candidate            *candidate;
      DftRecord            *person;

      person = dft_store_load (job->store, &dft_entity_person, job->ids[i], error);
      if (person == NULL)
        return FALSE;
      /* Deleted since the finder was built. */
      if (dft_record_get_deleted (person))
        {
          g_object_unref (person);
          continue;
        }
      enrollments
          = dft_store_list_records (job->store, &dft_entity_enrollment, filters, NULL, 0, error);
      if (enrollments == NULL)
        {
          g_object_unref (person);
          return FALSE;
        }
      candidate = g_new0 (Candidate, 1);
      candidate->person = person;
      candidate->reasons = job->reasons[i];
      candidate->workshops = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (job->candidates, candidate);
      for (guint j = 0; j < enrollments->len; j++)
        {
          const char *event_id
              = dft_record_get_string (g_ptr_array_index (enrollments, j), "event_id");
          g_autoptr (DftRecord) event = NULL;

          if (g_strcmp0 (event_id, job->event_id) == 0)
            candidate->enrolled_here = TRUE;
          event = dft_store_load (job->store, &dft_entity_event, event_id, NULL);
          if (event != NULL && !dft_record_get_deleted (event))
            g_ptr_array_add (candidate->workshops,
                             g_strdup (dft_record_get_string (event, "title") ?: ""));
        }
    }
  return TRUE;
}

static void
enrol_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (DftPersonDialog) self = user_data;
  g_autoptr (DftRecord)       enrollment = NULL;
  g_autoptr (GError)          error = NULL;

  dft_application_default_end_work ();
  enrollment = dft_people_enroll_finish (DFT_STORE (source), result, &error);
  self->saving = FALSE;
  gtk_widget_set_sensitive (self->save_button, TRUE);
  gtk_widget_set_sensitive (self->duplicates_box, TRUE);
  if (enrollment == NULL)
    {
      gtk_label_set_text (self->name_error, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->name_error), TRUE);
      return;
    }
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
enrol_clicked_cb (GtkButton *button, DftPersonDialog *self)
{
  const char *person_id = g_object_get_data (G_OBJECT (button), "person-id");

  if (self->saving)
    return;
  self->saving = TRUE;
  gtk_widget_set_sensitive (self->save_button, FALSE);
  gtk_widget_set_sensitive (self->duplicates_box, FALSE);
  dft_application_default_begin_work ();
  /* The existing person as they are: what was typed here is not written over their record. */
  dft_people_enroll_async (self->store, self->event_id, person_id,
                           _dft_person_dialog_role_chosen (self), NULL, enrol_done_cb,
                           g_object_ref (self));
}

static GtkWidget *
wrapped_label (const char *text, const char *css_class)
{
  GtkWidget *label = gtk_label_new (NULL);

  /* Text from the data: never markup. */
  gtk_label_set_text (GTK_LABEL (label), text);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);
  return label;
}

static char *
workshops_text (GPtrArray *titles)
{
  g_autoptr (GPtrArray) named = g_ptr_array_new ();
  g_autofree char      *list = NULL;
  guint                 more;

  if (titles->len == 0)
    return g_strdup (_ ("Not enrolled in any workshop yet"));
  for (guint i = 0; i < titles->len && i < DUPLICATES_WORKSHOPS; i++)
    g_ptr_array_add (named, g_ptr_array_index (titles, i));
  g_ptr_array_add (named, NULL);
  /* Translators: the separator between workshop titles in a list. */
  list = g_strjoinv (_ (", "), (char **) named->pdata);
  more = titles->len > DUPLICATES_WORKSHOPS ? titles->len - DUPLICATES_WORKSHOPS : 0;
  if (more > 0)
    /* Translators: %1$u is how many workshops a person is enrolled in, %2$s the titles of the
     * first few, %3$u how many more there are. */
    return g_strdup_printf (ngettext ("Enrolled in %1$u workshop: %2$s and %3$u more",
                                      "Enrolled in %1$u workshops: %2$s and %3$u more",
                                      titles->len),
                            titles->len, list, more);
  return g_strdup_printf (
      /* Translators: %1$u is how many workshops a person is enrolled in, %2$s their titles. */
      ngettext ("Enrolled in %1$u workshop: %2$s", "Enrolled in %1$u workshops: %2$s", titles->len),
      titles->len, list);
}

static GtkWidget *
candidate_card (DftPersonDialog *self, Candidate *candidate)
{
  DftRecord            *person = candidate->person;
  GtkWidget            *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  GtkWidget            *name_label;
  g_autofree char      *name = NULL;
  g_autofree char      *country = NULL;
  g_autofree char      *workshops = workshops_text (candidate->workshops);
  g_auto (GStrv)        reason_texts = dft_duplicate_reasons_describe (candidate->reasons);
  g_autofree char      *reasons = NULL;
  g_autofree char      *why = NULL;
  g_autoptr (GPtrArray) where = g_ptr_array_new ();
  g_autofree char      *where_text = NULL;
  const char           *code = dft_record_get_string (person, "country");

  gtk_widget_add_css_class (card, "card");
  gtk_widget_add_css_class (card, "duplicate-candidate");
  name = g_strjoin (" ", dft_record_get_string (person, "given_name") ?: "",
                    dft_record_get_string (person, "family_name") ?: "", NULL);
  name_label = wrapped_label (g_strstrip (name), "heading");
  gtk_widget_set_margin_top (name_label, 12);
  gtk_box_append (GTK_BOX (card), name_label);

  if (dft_record_get_string (person, "agency") != NULL)
    g_ptr_array_add (where, (gpointer) dft_record_get_string (person, "agency"));
  country = code != NULL ? dft_country_name (code, NULL) : NULL;
  if (country != NULL || code != NULL)
    g_ptr_array_add (where, country != NULL ? country : (char *) code);
  g_ptr_array_add (where, NULL);
  /* Translators: the separator between a person's agency and their country. */
  where_text = g_strjoinv (_ (" · "), (char **) where->pdata);
  if (*where_text != '\0')
    gtk_box_append (GTK_BOX (card), wrapped_label (where_text, NULL));
  gtk_box_append (GTK_BOX (card), wrapped_label (workshops, "dim-label"));
  /* Translators: the separator between the reasons two records look like one person. */
  reasons = g_strjoinv (_ ("; "), reason_texts);
  /* Translators: %s is why two records look like one person ("Names match across scripts;
   * same country"). */
  why = g_strdup_printf (_ ("Why: %s"), reasons);
  gtk_box_append (GTK_BOX (card), wrapped_label (why, "caption"));

  if (candidate->enrolled_here)
    {
      GtkWidget *already = wrapped_label (_ ("Already enrolled in this workshop"), "heading");

      gtk_widget_add_css_class (already, "success");
      gtk_box_append (GTK_BOX (card), already);
      gtk_widget_set_margin_bottom (already, 12);
    }
  else
    {
      GtkWidget *button = gtk_button_new_with_label (_ ("Enrol This Person"));
      GtkWidget *button_label = gtk_button_get_child (GTK_BUTTON (button));

      gtk_widget_set_halign (button, GTK_ALIGN_START);
      gtk_widget_set_margin_top (button, 6);
      gtk_widget_set_margin_bottom (button, 12);
      if (GTK_IS_LABEL (button_label))
        {
          gtk_label_set_wrap (GTK_LABEL (button_label), TRUE);
          gtk_label_set_wrap_mode (GTK_LABEL (button_label), PANGO_WRAP_WORD_CHAR);
        }
      /* Three buttons say the same: a screen reader tells them apart by the name. */
      gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                      gtk_label_get_text (GTK_LABEL (name_label)), -1);
      g_object_set_data_full (G_OBJECT (button), "person-id", g_strdup (dft_record_get_id (person)),
                              g_free);
      g_signal_connect_object (button, "clicked", G_CALLBACK (enrol_clicked_cb), self, 0);
      gtk_box_append (GTK_BOX (card), button);
    }
  for (GtkWidget *c = gtk_widget_get_first_child (card); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      gtk_widget_set_margin_start (c, 12);
      gtk_widget_set_margin_end (c, 12);
    }
  return card;
}

static void
show_candidates (DftPersonDialog *self, GPtrArray *candidates)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (self->duplicates_list)) != NULL)
    gtk_box_remove (GTK_BOX (self->duplicates_list), child);
  for (guint i = 0; candidates != NULL && i < candidates->len; i++)
    gtk_box_append (GTK_BOX (self->duplicates_list),
                    candidate_card (self, g_ptr_array_index (candidates, i)));
  gtk_widget_set_visible (self->duplicates_box, candidates != NULL && candidates->len > 0);
}

static void
candidates_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftPersonDialog   *self = DFT_PERSON_DIALOG (source);
  CandidatesJob     *job = dft_ui_run_get_data (result);
  g_autoptr (GError) error = NULL;

  if (!dft_ui_run_finish (result, &error))
    {
      /* Without them the dialog registers as before: only the offer is missing. */
      g_message ("Could not read the people who may be this one: %s", error->message);
      return;
    }
  if (job->serial != self->lookup_serial)
    return;
  show_candidates (self, job->candidates);
}

static gboolean
holds_focus (DftPersonDialog *self, gpointer row)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (self));

  return focus != NULL && (focus == row || gtk_widget_is_ancestor (focus, row));
}

static DftDuplicatePerson *
typed_person (DftPersonDialog *self)
{
  DftDuplicatePerson *typed = dft_duplicate_person_new ("new person being registered");
  g_autofree char    *phone = NULL;

  typed->given_name = dft_ui_editable_text (GTK_EDITABLE (self->given_row));
  typed->family_name = dft_ui_editable_text (GTK_EDITABLE (self->family_row));
  typed->agency = dft_ui_editable_text (GTK_EDITABLE (self->agency_row));
  typed->position = dft_ui_editable_text (GTK_EDITABLE (self->position_row));
  /* An address or a number counts once the trainer has left its field: half typed, it would
   * "differ" from everyone's and take the offer away while it is being written. */
  if (!holds_focus (self, self->email_row))
    {
      typed->email = dft_ui_editable_text (GTK_EDITABLE (self->email_row));
      if (typed->email != NULL && !dft_email_is_valid (typed->email))
        g_clear_pointer (&typed->email, g_free);
    }
  phone = holds_focus (self, self->phone_row)
              ? NULL
              : dft_ui_editable_text (GTK_EDITABLE (self->phone_row));
  /* As the store keeps it. */
  typed->phone = phone != NULL ? dft_phone_normalize (phone) : NULL;
  /* Not the country: a new person's starts as the workshop's, a guess that would count
   * against everyone who came from abroad. The cards show each one's country instead. */
  typed->gender = g_strdup (_dft_person_dialog_gender_chosen (self));
  return typed;
}

static gboolean
lookup_cb (gpointer data)
{
  DftPersonDialog               *self = data;
  g_autoptr (DftDuplicatePerson) typed = NULL;
  g_autoptr (GPtrArray)          pairs = NULL;
  g_autoptr (GString)            key = g_string_new (NULL);
  CandidatesJob                 *job;
  guint                          n;

  self->lookup_source = 0;
  if (self->finder == NULL)
    return G_SOURCE_REMOVE;
  typed = typed_person (self);
  if (typed->given_name != NULL || typed->family_name != NULL)
    pairs = dft_duplicate_finder_candidates_for (self->finder, typed,
                                                 DFT_DUPLICATE_DEFAULT_MIN_SCORE);
  n = pairs != NULL ? MIN (pairs->len, DUPLICATES_MAX) : 0;
  for (guint i = 0; i < n; i++)
    {
      DftDuplicatePair *pair = g_ptr_array_index (pairs, i);
      g_string_append_printf (key, "%s:%u;", pair->id_b, pair->reasons);
    }
  /* The same people for the same reasons: the cards stay as they are, and the focus with
   * them. */
  if (g_strcmp0 (key->str, self->candidates_shown ?: "") == 0)
    return G_SOURCE_REMOVE;
  g_free (self->candidates_shown);
  self->candidates_shown = g_strdup (key->str);
  self->lookup_serial++;
  if (n == 0)
    {
      show_candidates (self, NULL);
      return G_SOURCE_REMOVE;
    }
  job = g_new0 (CandidatesJob, 1);
  job->store = g_object_ref (self->store);
  job->event_id = g_strdup (self->event_id);
  job->ids = g_new0 (char *, n + 1);
  job->reasons = g_new0 (guint, n);
  job->serial = self->lookup_serial;
  for (guint i = 0; i < n; i++)
    {
      DftDuplicatePair *pair = g_ptr_array_index (pairs, i);
      job->ids[i] = g_strdup (pair->id_b);
      job->reasons[i] = pair->reasons;
    }
  dft_ui_run_async (self, candidates_work, job, candidates_job_free, self->cancellable,
                    candidates_done_cb, NULL);
  return G_SOURCE_REMOVE;
}

static void
duplicates_changed_cb (DftPersonDialog *self)
{
  /* Once dispose has cancelled the dialog's work, a field or the focus that changes as its
   * children go must not start a lookup that would outlive it. */
  if (self->cancellable == NULL || g_cancellable_is_cancelled (self->cancellable))
    return;
  g_clear_handle_id (&self->lookup_source, g_source_remove);
  self->lookup_source = g_timeout_add (DUPLICATES_DELAY_MS, lookup_cb, self);
}

static void
finder_ready_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (DftPersonDialog) self = user_data;
  g_autoptr (GError)          error = NULL;
  DftDuplicateFinder         *finder;

  finder = dft_duplicate_finder_new_for_store_finish (DFT_STORE (source), result, &error);
  if (finder == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("Could not read the people already registered: %s", error->message);
      return;
    }
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      g_object_unref (finder);
      return;
    }
  self->finder = finder;
  /* What was typed while the finder was being built. */
  duplicates_changed_cb (self);
}

void
_dft_person_dialog_watch_for_duplicates (DftPersonDialog *self)
{
  GtkWidget *fields[] = {
    GTK_WIDGET (self->given_row), GTK_WIDGET (self->family_row), GTK_WIDGET (self->agency_row),
    GTK_WIDGET (self->email_row), GTK_WIDGET (self->phone_row),
  };

  self->cancellable = g_cancellable_new ();
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    g_signal_connect_object (fields[i], "changed", G_CALLBACK (duplicates_changed_cb), self,
                             G_CONNECT_SWAPPED);
  g_signal_connect_object (self->gender_row, "notify::selected", G_CALLBACK (duplicates_changed_cb),
                           self, G_CONNECT_SWAPPED);
  /* Leaving the email or phone field makes what it holds count (typed_person()). */
  g_signal_connect_object (self, "notify::focus-widget", G_CALLBACK (duplicates_changed_cb), self,
                           G_CONNECT_SWAPPED);
  dft_duplicate_finder_new_for_store_async (self->store, self->cancellable, finder_ready_cb,
                                            g_object_ref (self));
}
