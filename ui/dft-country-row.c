/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dft-country-row.h"
#include "dft-country.h"

struct _DftCountryRow
{
  AdwActionRow parent_instance;

  GtkDropDown   *drop_down;
  GtkStringList *names;
  GPtrArray     *values; /* beside @names: NULL for none, a code, or a value kept as written */
  gboolean       has_kept;
};

G_DEFINE_FINAL_TYPE (DftCountryRow, dft_country_row, ADW_TYPE_ACTION_ROW)

static void
setup_label_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer narrow)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  /* Names are shown whole, wrapped; the chosen one, in the row, on lines narrow enough to leave
   * room for the title at 360 pixels. */
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  if (GPOINTER_TO_INT (narrow))
    gtk_label_set_max_width_chars (GTK_LABEL (label), 16);
  gtk_list_item_set_child (item, label);
}

static void
bind_label_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GtkStringObject *name = gtk_list_item_get_item (item);

  /* Text from ICU or from the data: never markup. */
  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)),
                      gtk_string_object_get_string (name));
}

static GtkListItemFactory *
label_factory (gboolean narrow)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  g_signal_connect (factory, "setup", G_CALLBACK (setup_label_cb), GINT_TO_POINTER (narrow));
  g_signal_connect (factory, "bind", G_CALLBACK (bind_label_cb), NULL);
  return factory;
}

static void
dft_country_row_dispose (GObject *object)
{
  DftCountryRow *self = DFT_COUNTRY_ROW (object);

  g_clear_object (&self->names);
  g_clear_pointer (&self->values, g_ptr_array_unref);

  G_OBJECT_CLASS (dft_country_row_parent_class)->dispose (object);
}

static void
dft_country_row_class_init (DftCountryRowClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = dft_country_row_dispose;
}

static void
dft_country_row_init (DftCountryRow *self)
{
  g_autoptr (GPtrArray)          countries = dft_country_list (NULL);
  g_autoptr (GtkListItemFactory) factory = label_factory (TRUE);
  g_autoptr (GtkListItemFactory) list_factory = label_factory (FALSE);

  self->names = gtk_string_list_new (NULL);
  self->values = g_ptr_array_new_with_free_func (g_free);
  /* Translators: the choice of no country for a person or a workshop */
  gtk_string_list_append (self->names, _ ("Not given"));
  g_ptr_array_add (self->values, NULL);
  for (guint i = 0; i < countries->len; i++)
    {
      DftCountry *country = g_ptr_array_index (countries, i);

      gtk_string_list_append (self->names, country->name);
      g_ptr_array_add (self->values, g_strdup (country->code));
    }

  self->drop_down = GTK_DROP_DOWN (
      gtk_drop_down_new (G_LIST_MODEL (g_object_ref (self->names)),
                         gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL, "string")));
  gtk_drop_down_set_enable_search (self->drop_down, TRUE);
  gtk_drop_down_set_factory (self->drop_down, factory);
  gtk_drop_down_set_list_factory (self->drop_down, list_factory);
  gtk_widget_set_valign (GTK_WIDGET (self->drop_down), GTK_ALIGN_CENTER);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), _ ("Country"));
  adw_action_row_add_suffix (ADW_ACTION_ROW (self), GTK_WIDGET (self->drop_down));
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (self), GTK_WIDGET (self->drop_down));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->drop_down), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Country"), -1);
}

GtkWidget *
dft_country_row_new (void)
{
  return g_object_new (DFT_TYPE_COUNTRY_ROW, NULL);
}

void
dft_country_row_set_value (DftCountryRow *self, const char *value)
{
  g_autofree char *code = NULL;
  g_autofree char *trimmed = value != NULL ? g_strstrip (g_strdup (value)) : NULL;

  g_return_if_fail (DFT_IS_COUNTRY_ROW (self));

  if (self->has_kept)
    {
      gtk_string_list_remove (self->names, 1);
      g_ptr_array_remove_index (self->values, 1);
      self->has_kept = FALSE;
    }
  if (trimmed == NULL || *trimmed == '\0')
    {
      gtk_drop_down_set_selected (self->drop_down, 0);
      return;
    }
  code = dft_country_normalize (value);
  if (code == NULL)
    {
      /* Kept as written, first after "Not given", until the user chooses a country. */
      gtk_string_list_splice (self->names, 1, 0, (const char *const[]){ value, NULL });
      g_ptr_array_insert (self->values, 1, g_strdup (value));
      self->has_kept = TRUE;
      gtk_drop_down_set_selected (self->drop_down, 1);
      return;
    }
  for (guint i = 1; i < self->values->len; i++)
    if (g_strcmp0 (g_ptr_array_index (self->values, i), code) == 0)
      {
        gtk_drop_down_set_selected (self->drop_down, i);
        return;
      }
}

const char *
dft_country_row_get_value (DftCountryRow *self)
{
  guint selected;

  g_return_val_if_fail (DFT_IS_COUNTRY_ROW (self), NULL);

  selected = gtk_drop_down_get_selected (self->drop_down);
  return selected < self->values->len ? g_ptr_array_index (self->values, selected) : NULL;
}

GtkDropDown *
dft_country_row_get_drop_down (DftCountryRow *self)
{
  g_return_val_if_fail (DFT_IS_COUNTRY_ROW (self), NULL);
  return self->drop_down;
}
