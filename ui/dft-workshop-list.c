/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "dft-record.h"
#include "dft-search.h"
#include "dft-ui-util.h"
#include "dft-workshop-list.h"

struct _DftWorkshopList
{
  AdwBin parent_instance;

  GtkSearchEntry *search_entry;
  GtkDropDown    *when_dropdown;
  GtkDropDown    *country_dropdown;
  GtkDropDown    *track_dropdown;
  GtkFlowBox     *filters;
  GtkStack       *stack;
  GtkListView    *list_view;

  GListModel         *events;
  GSignalGroup       *events_signals;
  GtkStringList      *countries;
  GtkStringList      *tracks;
  GtkCustomFilter    *filter;
  GtkFilterListModel *filtered;
  GtkSortListModel   *sorted;
  char               *today;
  char              **terms;  /* folded words of the search */
  char               *needle; /* case-folded search text */
};

G_DEFINE_FINAL_TYPE (DftWorkshopList, dft_workshop_list, ADW_TYPE_BIN)

DftWhen
dft_workshop_when (const char *start, const char *end, const char *today)
{
  if (start == NULL || today == NULL)
    return DFT_WHEN_ANY;
  if (strcmp (start, today) > 0)
    return DFT_WHEN_UPCOMING;
  if (strcmp (end != NULL ? end : start, today) < 0)
    return DFT_WHEN_PAST;
  return DFT_WHEN_RUNNING;
}

static const char *
selected_string (GtkDropDown *dropdown)
{
  GtkStringObject *item = gtk_drop_down_get_selected_item (dropdown);

  /* The first item is "All …". */
  if (item == NULL || gtk_drop_down_get_selected (dropdown) == 0)
    return NULL;
  return gtk_string_object_get_string (item);
}

static gboolean
matches_search (DftWorkshopList *self, DftRecord *event)
{
  static const char  *fields[] = { "title", "city", "country", "track", "venue", "partner_agency" };
  g_autoptr (GString) text = g_string_new (NULL);
  g_autofree char    *folded = NULL;
  g_autofree char    *key = NULL;

  if (self->needle == NULL)
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      const char *value = dft_record_get_string (event, fields[i]);
      if (value != NULL)
        g_string_append_printf (text, "%s ", value);
    }
  folded = g_utf8_casefold (text->str, -1);
  if (strstr (folded, self->needle) != NULL)
    return TRUE;
  /* The same folding as names: "bishkek" finds "Бишкек". */
  if (self->terms == NULL || self->terms[0] == NULL)
    return FALSE;
  key = dft_search_key (text->str);
  for (guint i = 0; self->terms[i] != NULL; i++)
    {
      g_autofree char *word = g_strconcat (" ", self->terms[i], NULL);
      g_autofree char *padded = g_strconcat (" ", key, NULL);
      if (strstr (padded, word) == NULL)
        return FALSE;
    }
  return TRUE;
}

static gboolean
filter_func (gpointer item, gpointer user_data)
{
  DftWorkshopList *self = user_data;
  DftRecord       *event = item;
  const char      *country = selected_string (self->country_dropdown);
  const char      *track = selected_string (self->track_dropdown);
  DftWhen          when = (DftWhen) gtk_drop_down_get_selected (self->when_dropdown);

  if (country != NULL && g_strcmp0 (dft_record_get_string (event, "country"), country) != 0)
    return FALSE;
  if (track != NULL && g_strcmp0 (dft_record_get_string (event, "track"), track) != 0)
    return FALSE;
  if (when != DFT_WHEN_ANY
      && dft_workshop_when (dft_record_get_string (event, "start_date"),
                            dft_record_get_string (event, "end_date"), self->today)
             != when)
    return FALSE;
  return matches_search (self, event);
}

/* Running workshops first, then upcoming ones soonest first, then past ones latest first. */
static int
sort_func (gconstpointer a, gconstpointer b, gpointer user_data)
{
  DftWorkshopList *self = user_data;
  DftRecord       *x = (DftRecord *) a, *y = (DftRecord *) b;
  const char      *xs = dft_record_get_string (x, "start_date");
  const char      *ys = dft_record_get_string (y, "start_date");
  static const int rank[] = { 3, 1, 0, 2 };
  DftWhen          xw = dft_workshop_when (xs, dft_record_get_string (x, "end_date"), self->today);
  DftWhen          yw = dft_workshop_when (ys, dft_record_get_string (y, "end_date"), self->today);
  int              order;

  if (xw != yw)
    return rank[xw] - rank[yw];
  order = g_strcmp0 (xs, ys);
  if (xw == DFT_WHEN_PAST)
    order = -order;
  if (order != 0)
    return order;
  return g_utf8_collate (dft_record_get_string (x, "title") ?: "",
                         dft_record_get_string (y, "title") ?: "");
}

static void
update_stack (DftWorkshopList *self)
{
  gboolean any = self->sorted != NULL && g_list_model_get_n_items (G_LIST_MODEL (self->sorted)) > 0;
  gboolean filtering = self->needle != NULL || gtk_drop_down_get_selected (self->when_dropdown) != 0
                       || gtk_drop_down_get_selected (self->country_dropdown) != 0
                       || gtk_drop_down_get_selected (self->track_dropdown) != 0;

  gtk_stack_set_visible_child_name (self->stack, any || !filtering ? "list" : "none");
}

static void
refilter_cb (DftWorkshopList *self)
{
  g_autofree char *text
      = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->search_entry))));

  /* The dropdowns notify while the template is built, before the models exist. */
  if (self->filter == NULL)
    return;
  g_clear_pointer (&self->needle, g_free);
  g_clear_pointer (&self->terms, g_strfreev);
  if (*text != '\0')
    {
      self->needle = g_utf8_casefold (text, -1);
      self->terms = dft_search_query_terms (text);
    }
  g_free (self->today);
  self->today = dft_ui_today ();
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_stack (self);
}

static void
activate_cb (DftWorkshopList *self, guint position)
{
  g_autoptr (DftRecord) event = g_list_model_get_item (G_LIST_MODEL (self->sorted), position);

  if (event != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.open-workshop", "s",
                                dft_record_get_id (event));
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* Keeps a dropdown's choices to the values the workshops have, and its selection by value. */
static void
refresh_choices (GtkDropDown   *dropdown,
                 GtkStringList *list,
                 GListModel    *events,
                 const char    *field,
                 const char    *all)
{
  g_autoptr (GPtrArray)  values = g_ptr_array_new ();
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char       *selected = g_strdup (selected_string (dropdown));
  guint                  n = g_list_model_get_n_items (events);
  guint                  position = 0;
  g_autoptr (GPtrArray)  records = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < n; i++)
    {
      DftRecord  *event = g_list_model_get_item (events, i);
      const char *value = dft_record_get_string (event, field);

      g_ptr_array_add (records, event);
      if (value != NULL && *value != '\0' && g_hash_table_add (seen, (gpointer) value))
        g_ptr_array_add (values, (gpointer) value);
    }
  g_ptr_array_sort (values, compare_strings);
  g_ptr_array_insert (values, 0, (gpointer) all);
  g_ptr_array_add (values, NULL);
  gtk_string_list_splice (list, 0, g_list_model_get_n_items (G_LIST_MODEL (list)),
                          (const char *const *) values->pdata);
  for (guint i = 1; selected != NULL && i + 1 < values->len; i++)
    if (g_strcmp0 (values->pdata[i], selected) == 0)
      position = i;
  gtk_drop_down_set_selected (dropdown, position);
}

static void
events_changed_cb (DftWorkshopList *self)
{
  refresh_choices (self->country_dropdown, self->countries, self->events, "country",
                   _ ("All countries"));
  refresh_choices (self->track_dropdown, self->tracks, self->events, "track", _ ("All tracks"));
  update_stack (self);
}

/* ---- Rows ------------------------------------------------------------- */

static void
setup_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *title = gtk_label_new (NULL);
  GtkWidget *badge = gtk_label_new (NULL);
  GtkWidget *subtitle = gtk_label_new (NULL);

  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  /* A workshop's title and place wrap rather than end in an ellipsis: on a phone-sized
   * screen, or with large text, two workshops differ only at the end ("… 1", "… 2"). */
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_wrap (GTK_LABEL (title), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (title), PANGO_WRAP_WORD_CHAR);
  gtk_widget_set_hexpand (title, TRUE);
  gtk_widget_add_css_class (title, "heading");
  gtk_widget_add_css_class (badge, "caption");
  gtk_widget_add_css_class (badge, "when-badge");
  gtk_label_set_xalign (GTK_LABEL (subtitle), 0);
  gtk_label_set_wrap (GTK_LABEL (subtitle), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (subtitle), PANGO_WRAP_WORD_CHAR);
  gtk_widget_add_css_class (subtitle, "dim-label");
  gtk_widget_add_css_class (subtitle, "caption");
  gtk_box_append (GTK_BOX (top), title);
  gtk_box_append (GTK_BOX (top), badge);
  gtk_box_append (GTK_BOX (box), top);
  gtk_box_append (GTK_BOX (box), subtitle);
  gtk_list_item_set_child (item, box);
}

static void
bind_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  DftWorkshopList    *self = user_data;
  DftRecord          *event = gtk_list_item_get_item (item);
  GtkWidget          *box = gtk_list_item_get_child (item);
  GtkWidget          *top = gtk_widget_get_first_child (box);
  GtkWidget          *title = gtk_widget_get_first_child (top);
  GtkWidget          *badge = gtk_widget_get_next_sibling (title);
  GtkWidget          *subtitle = gtk_widget_get_next_sibling (top);
  const char         *start = dft_record_get_string (event, "start_date");
  const char         *end = dft_record_get_string (event, "end_date");
  g_autofree char    *dates = dft_ui_format_date_range (start, end);
  g_autoptr (GString) line = g_string_new (NULL);
  const char         *badge_text = NULL;
  static const char  *when_classes[] = { "upcoming", "running", "past" };

  gtk_label_set_text (GTK_LABEL (title), dft_record_get_string (event, "title"));
  for (guint i = 0; i < G_N_ELEMENTS (when_classes); i++)
    gtk_widget_remove_css_class (badge, when_classes[i]);
  switch (dft_workshop_when (start, end, self->today))
    {
    case DFT_WHEN_UPCOMING:
      badge_text = _ ("Upcoming");
      gtk_widget_add_css_class (badge, "upcoming");
      break;
    case DFT_WHEN_RUNNING:
      badge_text = _ ("Running");
      gtk_widget_add_css_class (badge, "running");
      break;
    case DFT_WHEN_PAST:
      badge_text = _ ("Past");
      gtk_widget_add_css_class (badge, "past");
      break;
    case DFT_WHEN_ANY:
    default:
      break;
    }
  gtk_label_set_text (GTK_LABEL (badge), badge_text);
  g_string_append (line, dates);
  if (dft_record_get_string (event, "city") != NULL)
    g_string_append_printf (line, " · %s", dft_record_get_string (event, "city"));
  if (dft_record_get_string (event, "country") != NULL)
    g_string_append_printf (line, " (%s)", dft_record_get_string (event, "country"));
  if (dft_record_get_string (event, "track") != NULL)
    g_string_append_printf (line, " · %s", dft_record_get_string (event, "track"));
  gtk_label_set_text (GTK_LABEL (subtitle), line->str);
}

/* ---- Filters that fit a phone --------------------------------------------- */

/* The filters flow onto a second line on a narrow screen; Tab goes straight to each
 * dropdown, not to the flow box's cells around them. */
static void
unfocus_cells (GtkFlowBox *box)
{
  for (GtkWidget *c = gtk_widget_get_first_child (GTK_WIDGET (box)); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    gtk_widget_set_focusable (c, FALSE);
}

/* ---- GObject ------------------------------------------------------------ */

static void
dft_workshop_list_dispose (GObject *object)
{
  DftWorkshopList *self = DFT_WORKSHOP_LIST (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), DFT_TYPE_WORKSHOP_LIST);
  g_clear_object (&self->events_signals);
  g_clear_object (&self->events);
  g_clear_object (&self->sorted);
  g_clear_object (&self->filtered);
  g_clear_object (&self->filter);
  g_clear_object (&self->countries);
  g_clear_object (&self->tracks);

  G_OBJECT_CLASS (dft_workshop_list_parent_class)->dispose (object);
}

static void
dft_workshop_list_finalize (GObject *object)
{
  DftWorkshopList *self = DFT_WORKSHOP_LIST (object);

  g_free (self->today);
  g_free (self->needle);
  g_strfreev (self->terms);

  G_OBJECT_CLASS (dft_workshop_list_parent_class)->finalize (object);
}

static void
dft_workshop_list_class_init (DftWorkshopListClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dft_workshop_list_dispose;
  object_class->finalize = dft_workshop_list_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/daftari/Daftari/dft-workshop-list.ui");
  gtk_widget_class_bind_template_child (widget_class, DftWorkshopList, search_entry);
  gtk_widget_class_bind_template_child (widget_class, DftWorkshopList, when_dropdown);
  gtk_widget_class_bind_template_child (widget_class, DftWorkshopList, country_dropdown);
  gtk_widget_class_bind_template_child (widget_class, DftWorkshopList, track_dropdown);
  gtk_widget_class_bind_template_child (widget_class, DftWorkshopList, filters);
  gtk_widget_class_bind_template_child (widget_class, DftWorkshopList, stack);
  gtk_widget_class_bind_template_child (widget_class, DftWorkshopList, list_view);
  gtk_widget_class_bind_template_callback (widget_class, refilter_cb);
  gtk_widget_class_bind_template_callback (widget_class, activate_cb);
}

static void
dft_workshop_list_init (DftWorkshopList *self)
{
  g_autoptr (GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  const char                    *no_choices[] = { NULL };
  GtkSingleSelection            *selection;

  self->today = dft_ui_today ();
  self->countries = gtk_string_list_new (no_choices);
  self->tracks = gtk_string_list_new (no_choices);
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_drop_down_set_model (self->country_dropdown, G_LIST_MODEL (self->countries));
  gtk_drop_down_set_model (self->track_dropdown, G_LIST_MODEL (self->tracks));
  unfocus_cells (self->filters);

  self->filter = gtk_custom_filter_new (filter_func, self, NULL);
  self->filtered = gtk_filter_list_model_new (NULL, g_object_ref (GTK_FILTER (self->filter)));
  self->sorted
      = gtk_sort_list_model_new (g_object_ref (G_LIST_MODEL (self->filtered)),
                                 GTK_SORTER (gtk_custom_sorter_new (sort_func, self, NULL)));
  selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->sorted)));
  gtk_single_selection_set_autoselect (selection, FALSE);
  gtk_single_selection_set_can_unselect (selection, TRUE);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (selection));
  g_object_unref (selection);

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), self);
  gtk_list_view_set_factory (self->list_view, factory);
  g_signal_connect_object (self->sorted, "items-changed", G_CALLBACK (update_stack), self,
                           G_CONNECT_SWAPPED);
  self->events_signals = g_signal_group_new (G_TYPE_LIST_MODEL);
  g_signal_group_connect_object (self->events_signals, "items-changed",
                                 G_CALLBACK (events_changed_cb), self, G_CONNECT_SWAPPED);
}

void
dft_workshop_list_set_model (DftWorkshopList *self, GListModel *events)
{
  g_return_if_fail (DFT_IS_WORKSHOP_LIST (self));

  g_set_object (&self->events, events);
  gtk_filter_list_model_set_model (self->filtered, events);
  g_signal_group_set_target (self->events_signals, events);
  if (events != NULL)
    events_changed_cb (self);
}

void
dft_workshop_list_focus_search (DftWorkshopList *self)
{
  g_return_if_fail (DFT_IS_WORKSHOP_LIST (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

GListModel *
dft_workshop_list_get_shown (DftWorkshopList *self)
{
  g_return_val_if_fail (DFT_IS_WORKSHOP_LIST (self), NULL);
  return G_LIST_MODEL (self->sorted);
}
