/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "dft-form-filler-private.h"

/*
 * A range question: a scale from the range's start to its end in its steps, with the number
 * chosen beside it. A scale always stands somewhere, so it does not answer by being shown: as
 * ODK Collect shows a range with no thumb until it is touched, the question says "Not answered"
 * until the person moves the scale (mouse, or arrow keys on it); Clear takes the answer back.
 */

static char *
number_text (double v)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  /* The same digits the engine checks the answer with: no exponent, no trailing zeros. */
  return g_strdup (g_ascii_formatd (buffer, sizeof buffer, "%.15g", v));
}

/* @v moved onto the nearest number the range offers. */
static double
snapped (DftQuestion *q, double v)
{
  double low = MIN (q->range_start, q->range_end);
  double high = MAX (q->range_start, q->range_end);
  double s = q->range_start + round ((v - q->range_start) / q->range_step) * q->range_step;
  g_autofree char *digits = NULL;

  /* A range whose end is not on a step ends on the last step before it. */
  while (s > high + 1e-9 * q->range_step)
    s -= q->range_step;
  while (s < low - 1e-9 * q->range_step)
    s += q->range_step;
  /* 0.1 + 0.2 is not 0.3 in binary: keep the digits of the step. */
  digits = number_text (s);
  return g_ascii_strtod (digits, NULL);
}

static void
show_number (DftQuestionRow *field, const char *value)
{
  gboolean answered = value != NULL && value[0] != '\0';
  gboolean read_only
      = field->filler->run != NULL && dft_form_run_is_read_only (field->filler->run, field->path);

  /* The answer is a number the person chose: shown as text, never markup. */
  gtk_label_set_text (GTK_LABEL (field->range_value), answered ? value : _ ("Not answered"));
  if (answered)
    gtk_widget_remove_css_class (field->range_value, "dim-label");
  else
    gtk_widget_add_css_class (field->range_value, "dim-label");
  gtk_widget_set_visible (field->range_clear, answered && !read_only);
}

static void
value_changed_cb (GtkRange *range, DftQuestionRow *field)
{
  DftQuestion     *q = field->question;
  double           v;
  g_autofree char *text = NULL;

  if (!field->alive || field->filler->updating || field->filler->clearing)
    return;
  v = snapped (q, gtk_range_get_value (range));
  text = number_text (v);
  _dft_question_row_answer (field, text);
  show_number (field, text);
}

static void
clear_clicked_cb (GtkButton *button, DftQuestionRow *field)
{
  if (!field->alive)
    return;
  _dft_question_row_answer (field, "");
  show_number (field, "");
  gtk_widget_grab_focus (field->control);
}

void
_dft_question_row_show_range (DftFormFiller *self, DftQuestionRow *field, const char *value)
{
  DftQuestion *q = field->question;
  gboolean     was = self->updating;
  double       v = value != NULL && value[0] != '\0' ? g_ascii_strtod (value, NULL) : NAN;

  self->updating = TRUE;
  gtk_range_set_value (GTK_RANGE (field->control),
                       isfinite (v) ? v : MIN (q->range_start, q->range_end));
  self->updating = was;
  show_number (field, value);
}

void
_dft_question_row_build_range (DftFormFiller *self, DftQuestionRow *field)
{
  DftQuestion *q = field->question;
  double       low = MIN (q->range_start, q->range_end);
  double       high = MAX (q->range_start, q->range_end);
  double       steps = (high - low) / q->range_step;
  GtkWidget   *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  GtkWidget   *line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget   *scale
      = gtk_scale_new_with_range (GTK_ORIENTATION_HORIZONTAL, low, high, q->range_step);
  g_autofree char *from = number_text (q->range_start);
  g_autofree char *to = number_text (q->range_end);
  g_autofree char *step = number_text (q->range_step);
  g_autofree char *caption = NULL;

  gtk_scale_set_draw_value (GTK_SCALE (scale), FALSE);
  gtk_range_set_increments (GTK_RANGE (scale), q->range_step,
                            q->range_step * MAX (1.0, round (steps / 10)));
  /* A range from 10 down to 1 runs from the right, as the form has it. */
  gtk_range_set_inverted (GTK_RANGE (scale), q->range_start > q->range_end);
  if (steps <= 20)
    for (guint i = 0; i <= (guint) round (steps); i++)
      {
        double           at = low + i * q->range_step;
        g_autofree char *mark = number_text (at);

        gtk_scale_add_mark (GTK_SCALE (scale), at, GTK_POS_BOTTOM,
                            i == 0 || i == (guint) round (steps) ? mark : NULL);
      }
  gtk_widget_set_hexpand (scale, TRUE);
  gtk_accessible_update_relation (GTK_ACCESSIBLE (scale), GTK_ACCESSIBLE_RELATION_LABELLED_BY,
                                  field->title, NULL, GTK_ACCESSIBLE_RELATION_DESCRIBED_BY,
                                  field->message, NULL, -1);
  field->control = scale;

  field->range_value = _dft_form_filler_new_label (NULL, "numeric");
  gtk_label_set_width_chars (GTK_LABEL (field->range_value), 6);
  gtk_label_set_wrap (GTK_LABEL (field->range_value), FALSE);
  gtk_widget_set_hexpand (field->range_value, FALSE);
  field->range_clear = gtk_button_new_with_mnemonic (_ ("C_lear"));
  gtk_widget_add_css_class (field->range_clear, "flat");
  gtk_widget_set_valign (field->range_clear, GTK_ALIGN_CENTER);

  gtk_box_append (GTK_BOX (line), scale);
  gtk_box_append (GTK_BOX (line), field->range_value);
  gtk_box_append (GTK_BOX (line), field->range_clear);
  gtk_box_append (GTK_BOX (box), line);
  /* Translators: under a range question's scale: "From 1 to 10 in steps of 1" */
  caption = g_strdup_printf (_ ("From %s to %s in steps of %s"), from, to, step);
  {
    GtkWidget *label = _dft_form_filler_new_label (caption, "caption");

    gtk_widget_add_css_class (label, "dim-label");
    gtk_box_append (GTK_BOX (box), label);
  }
  g_signal_connect_object (scale, "value-changed", G_CALLBACK (value_changed_cb), field, 0);
  g_signal_connect_object (field->range_clear, "clicked", G_CALLBACK (clear_clicked_cb), field, 0);
  gtk_widget_insert_before (box, GTK_WIDGET (field), field->message);
}
