/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "dft-chart.h"
#include "dft-format.h"

#define ROW_HEIGHT 26
#define BAR_HEIGHT 16
#define GAP        8

typedef struct
{
  char    *label;
  double   values[DFT_CHART_MAX_SEGMENTS];
  guint    n_values;
  gboolean cut; /* as last drawn: the label did not show whole */
} Row;

struct _DftChart
{
  GtkDrawingArea parent_instance;

  GArray  *rows;
  double   maximum;
  gboolean percent;
};

G_DEFINE_FINAL_TYPE (DftChart, dft_chart, GTK_TYPE_DRAWING_AREA)

/* libadwaita's palette: green, yellow, red, blue, light grey. */
static const double segment_colors[DFT_CHART_MAX_SEGMENTS][3] = {
  { 0.18, 0.76, 0.49 }, { 0.96, 0.83, 0.18 }, { 0.88, 0.11, 0.14 },
  { 0.21, 0.52, 0.89 }, { 0.60, 0.60, 0.59 },
};

static double
row_total (const Row *row)
{
  double total = 0;

  for (guint i = 0; i < row->n_values; i++)
    total += row->values[i];
  return total;
}

/* The total after a bar: a count, or a percentage when the values are percents (0 to 100). */
static char *
format_total (DftChart *self, const Row *row)
{
  double total = row_total (row);

  return self->percent ? dft_format_percent (total / 100) : dft_format_decimal (total, 0);
}

static int
label_width_for (int width)
{
  return MIN (width / 3, 220);
}

/* The label of @row laid out as the chart draws it at @width: wrapped onto more lines, never
 * cut ("ორშ, 2 თებ, დი…" left a trainer to guess the session). */
static PangoLayout *
row_label_layout (DftChart *self, const Row *row, int width)
{
  PangoLayout *label = gtk_widget_create_pango_layout (GTK_WIDGET (self), row->label);

  pango_layout_set_width (label, label_width_for (width) * PANGO_SCALE);
  pango_layout_set_wrap (label, PANGO_WRAP_WORD_CHAR);
  return label;
}

/* How tall @row is at @width (-1: not known yet, one line): as tall as its label. */
static int
row_height (DftChart *self, const Row *row, int width)
{
  g_autoptr (PangoLayout) label = NULL;
  int                     height = 0;

  if (width < 0)
    return ROW_HEIGHT;
  label = row_label_layout (self, row, width);
  pango_layout_get_pixel_size (label, NULL, &height);
  return MAX (ROW_HEIGHT, height + GAP);
}

static GtkSizeRequestMode
dft_chart_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
dft_chart_measure (GtkWidget     *widget,
                   GtkOrientation orientation,
                   int            for_size,
                   int           *minimum,
                   int           *natural,
                   int           *minimum_baseline,
                   int           *natural_baseline)
{
  DftChart *self = DFT_CHART (widget);
  int       height = 0;

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = *natural = 0;
      return;
    }
  for (guint r = 0; r < self->rows->len; r++)
    height += row_height (self, &g_array_index (self->rows, Row, r), for_size);
  *minimum = *natural = MAX (height, ROW_HEIGHT);
}

static void
draw_func (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer user_data)
{
  DftChart *self = DFT_CHART (area);
  GdkRGBA   fg;
  double    maximum = self->maximum;
  int       label_width = label_width_for (width);
  int       value_width = 64;
  int       bar_space = MAX (width - label_width - value_width - 2 * GAP, 10);
  gboolean  rtl = gtk_widget_get_direction (GTK_WIDGET (self)) == GTK_TEXT_DIR_RTL;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (self)), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS

  if (maximum <= 0)
    for (guint r = 0; r < self->rows->len; r++)
      maximum = MAX (maximum, row_total (&g_array_index (self->rows, Row, r)));
  if (maximum <= 0)
    maximum = 1;

  for (guint r = 0, top = 0; r < self->rows->len; r++)
    {
      Row                    *row = &g_array_index (self->rows, Row, r);
      int                     h = row_height (self, row, width);
      double                  y = top + (h - ROW_HEIGHT) / 2.0;
      double                  x = 0;
      g_autoptr (PangoLayout) label = row_label_layout (self, row, width);
      g_autofree char        *value_text = NULL;
      g_autoptr (PangoLayout) value = NULL;
      int                     lw, lh;

      /* The label, right-aligned against the bars (mirrored in right-to-left languages). */
      pango_layout_set_alignment (label, rtl ? PANGO_ALIGN_LEFT : PANGO_ALIGN_RIGHT);
      pango_layout_get_pixel_size (label, &lw, &lh);
      row->cut = pango_layout_is_ellipsized (label) || lh > h || lw > label_width;
      gdk_cairo_set_source_rgba (cr, &fg);
      cairo_move_to (cr, rtl ? width - label_width : 0, top + (h - lh) / 2.0);
      pango_cairo_show_layout (cr, label);
      top += h;

      for (guint i = 0; i < row->n_values; i++)
        {
          double w = row->values[i] / maximum * bar_space;
          double bx = label_width + GAP + x;

          if (w <= 0)
            continue;
          if (rtl)
            bx = width - bx - w;
          cairo_set_source_rgb (cr, segment_colors[i][0], segment_colors[i][1],
                                segment_colors[i][2]);
          cairo_rectangle (cr, bx, y + (ROW_HEIGHT - BAR_HEIGHT) / 2.0, w, BAR_HEIGHT);
          cairo_fill (cr);
          x += w;
        }

      value_text = format_total (self, row);
      value = gtk_widget_create_pango_layout (GTK_WIDGET (self), value_text);
      pango_layout_get_pixel_size (value, &lw, &lh);
      gdk_cairo_set_source_rgba (cr, &fg);
      cairo_move_to (cr, rtl ? width - (label_width + 2 * GAP + x) - lw : label_width + 2 * GAP + x,
                     y + (ROW_HEIGHT - lh) / 2.0);
      pango_cairo_show_layout (cr, value);
    }
}

static void
update_size_and_description (DftChart *self)
{
  g_autoptr (GString) text = g_string_new (NULL);

  gtk_widget_queue_resize (GTK_WIDGET (self));
  for (guint r = 0; r < self->rows->len; r++)
    {
      const Row       *row = &g_array_index (self->rows, Row, r);
      g_autofree char *total = format_total (self, row);

      g_string_append_printf (text, "%s: %s", row->label, total);
      g_string_append (text, r + 1 < self->rows->len ? "; " : "");
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  text->str, -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
row_clear (gpointer data)
{
  Row *row = data;

  g_free (row->label);
}

static void
dft_chart_finalize (GObject *object)
{
  DftChart *self = DFT_CHART (object);

  g_array_unref (self->rows);

  G_OBJECT_CLASS (dft_chart_parent_class)->finalize (object);
}

static void
dft_chart_class_init (DftChartClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dft_chart_finalize;
  GTK_WIDGET_CLASS (klass)->get_request_mode = dft_chart_get_request_mode;
  GTK_WIDGET_CLASS (klass)->measure = dft_chart_measure;
  gtk_widget_class_set_accessible_role (GTK_WIDGET_CLASS (klass), GTK_ACCESSIBLE_ROLE_IMG);
}

static void
dft_chart_init (DftChart *self)
{
  self->rows = g_array_new (FALSE, TRUE, sizeof (Row));
  g_array_set_clear_func (self->rows, row_clear);
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (self), draw_func, NULL, NULL);
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  update_size_and_description (self);
}

DftChart *
dft_chart_new (void)
{
  return g_object_new (DFT_TYPE_CHART, NULL);
}

void
dft_chart_clear (DftChart *self)
{
  g_return_if_fail (DFT_IS_CHART (self));
  g_array_set_size (self->rows, 0);
  update_size_and_description (self);
}

void
dft_chart_add_row (DftChart *self, const char *label, const double *values, guint n_values)
{
  Row row = { 0 };

  g_return_if_fail (DFT_IS_CHART (self));
  g_return_if_fail (n_values <= DFT_CHART_MAX_SEGMENTS);

  row.label = g_strdup (label);
  row.n_values = n_values;
  for (guint i = 0; i < n_values; i++)
    row.values[i] = isnan (values[i]) ? 0 : values[i];
  g_array_append_val (self->rows, row);
  update_size_and_description (self);
}

void
dft_chart_set_maximum (DftChart *self, double maximum)
{
  g_return_if_fail (DFT_IS_CHART (self));
  self->maximum = maximum;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
dft_chart_set_percent (DftChart *self, gboolean percent)
{
  g_return_if_fail (DFT_IS_CHART (self));
  self->percent = percent;
  update_size_and_description (self);
}

guint
dft_chart_get_n_rows (DftChart *self)
{
  g_return_val_if_fail (DFT_IS_CHART (self), 0);
  return self->rows->len;
}

const char *
dft_chart_get_label (DftChart *self, guint row)
{
  g_return_val_if_fail (DFT_IS_CHART (self), NULL);
  g_return_val_if_fail (row < self->rows->len, NULL);
  return g_array_index (self->rows, Row, row).label;
}

gboolean
dft_chart_is_label_cut (DftChart *self, guint row)
{
  g_return_val_if_fail (DFT_IS_CHART (self), FALSE);
  g_return_val_if_fail (row < self->rows->len, FALSE);
  return g_array_index (self->rows, Row, row).cut;
}
