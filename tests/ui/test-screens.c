/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "dft-application.h"
#include "dft-chart.h"
#include "dft-forms-page.h"
#include "dft-forms-util.h"
#include "dft-form-filler-private.h"
#include "dft-people-desk.h"
#include "dft-person-dialog.h"
#include "dft-reports-page.h"
#include "dft-preferences-window.h"
#include "dft-store-merges.h"
#include "dft-test-util.h"
#include "dft-ui-find.h"
#include "dft-ui-test-util.h"
#include "dft-window.h"
#include "dft-workshop-dialog.h"
#include "dft-workshop-page.h"
#include "forms/dft-form-store.h"
#include "forms/dft-form-templates.h"

/*
 * Every main screen in one UI language, read the way a translator and a screen-reader user
 * would: the language comes from DAFTARI_TEST_LANGUAGE ("en", "ru", …, or "qps", the
 * pseudo-locale whose every message is longer and accented). Each screen is opened through
 * the application's actions on the sample workshops, at 1100 px and at 360 px wide (and,
 * in English and the pseudo-locale, at 360 px with text 1.5 times larger), saved as a PNG
 * under DAFTARI_SCREENSHOTS/<language>/, and audited:
 *
 *  - untranslated: a text on screen is an English message that has a translation in this
 *    language (gettext was not called on it, or too early);
 *  - truncated: any text shown cut off with an ellipsis (a message, data, a tab's name; only
 *    a title bar's title and a toast may give way), a chart's label that does not show whole,
 *    or a translated message drawn partly outside the window where nothing scrolls;
 *  - unnamed: a control a screen reader would announce without a name (an icon button with
 *    no accessible label, an entry with nothing labelling it);
 *  - keyboard: Tab, pressed from the window, must go round the screen's controls and come
 *    back, resting only on controls that can be seen and named, and reaching every button,
 *    entry and switch outside lists.
 *
 * With DAFTARI_TEST_HOSTILE set, the data itself is hostile: a workshop, people, a form's
 * title and its language names hold Pango markup (bold, a link, an unclosed tag). Every label
 * must show such text as it was typed; one that reads it as markup is a problem ("markup"),
 * and markup that GTK cannot parse fails the test through its warning.
 *
 * The test fails with the list of every problem, screen by screen.
 */

/* What hostile data holds: shown as typed, "<b>" and all, or it was read as markup. */
#define HOSTILE_MARK "<b>HOSTILE</b>"
#define HOSTILE_TEXT HOSTILE_MARK " & <a href=\"https://example.org/\">link</a> <i"

static const char *language;
static char       *shots;       /* DAFTARI_SCREENSHOTS/<language>: where the PNGs go, or NULL */
static GHashTable *english;     /* English messages that this language translates */
static GHashTable *form_titles; /* the forms' own titles: data, not messages */
static GHashTable *translated;  /* their translations */
static GString    *problems;
static guint       n_screens;
static int         max_width; /* the main window must fit in this many pixels; 0: any */
static gboolean    hostile;   /* DAFTARI_TEST_HOSTILE: the data holds markup */
static guint       n_gtk_rtl_measure_warnings;
static guint       n_unexpected_warnings;

/* ---- The messages -------------------------------------------------------------------- */

static void
load_messages (void)
{
  const char            *path = g_getenv ("DAFTARI_MSGIDS");
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError)     error = NULL;
  JsonArray             *ids;

  english = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  form_titles = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (const char *const *t = dft_form_templates_list (); *t != NULL; t++)
    {
      g_autoptr (DftForm) form = dft_form_template_load (*t, &error);

      g_assert_no_error (error);
      for (guint i = 0; i < form->languages->len; i++)
        {
          DftLanguage *l = g_ptr_array_index (form->languages, i);
          const char  *title = dft_text_get (form->title, l->code);

          if (title != NULL)
            g_hash_table_add (form_titles, g_strdup (title));
        }
    }
  translated = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_assert_nonnull (path);
  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  ids = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (ids); i++)
    {
      const char *id = json_array_get_string_element (ids, i);
      const char *text = strchr (id, '\004') != NULL ? strchr (id, '\004') + 1 : id;
      const char *t;

      /* Messages with directives are shown filled in and cannot be recognised here. */
      if (strchr (id, '%') != NULL)
        continue;
      t = strchr (id, '\004') != NULL
              ? g_dpgettext (GETTEXT_PACKAGE, id, strlen (id) - strlen (text))
              : g_dgettext (GETTEXT_PACKAGE, id);
      if (g_strcmp0 (language, "en") != 0)
        {
          if (!g_str_equal (t, text))
            g_hash_table_add (english, g_strdup (text));
        }
      g_hash_table_add (translated, g_strdup (t));
    }
  if (g_strcmp0 (language, "en") != 0)
    /* The catalog was found and read: most messages have a translation. */
    g_assert_cmpuint (g_hash_table_size (english), >, g_hash_table_size (translated) / 2);
}

/* What a label shows, without mnemonic underscores. */
static char *
shown_text (const char *text)
{
  GString *s = g_string_new (NULL);

  for (const char *p = text; *p; p++)
    if (*p != '_' || p[1] == '_')
      g_string_append_c (s, *p);
    else if (p[1] == '_')
      p++;
  return g_string_free (s, FALSE);
}

static gboolean
is_ui_text (const char *text)
{
  return text != NULL && *text != '\0' && g_hash_table_contains (translated, text);
}

/* ---- The audit ----------------------------------------------------------------------- */

typedef struct
{
  const char *screen;
  GtkWidget  *root;
  GPtrArray  *controls; /* widgets Tab must reach */
  GHashTable *seen;     /* problem texts already reported for this screen */
} Audit;

static void G_GNUC_PRINTF (2, 3) problem (Audit *a, const char *format, ...)
{
  va_list          args;
  g_autofree char *text = NULL;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  if (!g_hash_table_add (a->seen, g_strdup (text)))
    return;
  g_string_append_printf (problems, "%s [%s] %s\n", language, a->screen, text);
}

/* Whether any of @w is where a person can see it: mapped, with a size, and not wholly off
 * the window's edge (a folded leaflet keeps its other page mapped beside the window). */
static gboolean
really_shown (GtkWidget *w)
{
  GtkWidget      *root = GTK_WIDGET (gtk_widget_get_root (w));
  graphene_rect_t b;

  if (!gtk_widget_get_mapped (w) || !gtk_widget_get_child_visible (w)
      || gtk_widget_get_width (w) <= 0 || gtk_widget_get_height (w) <= 0)
    return FALSE;
  /* Inside something that scrolls, the view follows the focus: what counts is whether the
   * scrolled area itself is on the window. */
  for (GtkWidget *p = gtk_widget_get_parent (w); p != NULL; p = gtk_widget_get_parent (p))
    if (GTK_IS_SCROLLED_WINDOW (p))
      {
        w = p;
        break;
      }
  if (root == NULL || !gtk_widget_compute_bounds (w, root, &b))
    return TRUE;
  return b.origin.x < gtk_widget_get_width (root) && b.origin.x + b.size.width > 0
         && b.origin.y < gtk_widget_get_height (root) && b.origin.y + b.size.height > 0;
}

static gboolean
inside (GtkWidget *w, GType type, GtkWidget *stop)
{
  for (GtkWidget *p = gtk_widget_get_parent (w); p != NULL && p != stop;
       p = gtk_widget_get_parent (p))
    if (G_TYPE_CHECK_INSTANCE_TYPE (p, type))
      return TRUE;
  return FALSE;
}

/* Inside something that scrolls sideways, a label out of view is not cut off. */
static gboolean
scrolls_sideways (GtkWidget *w)
{
  for (GtkWidget *p = gtk_widget_get_parent (w); p != NULL; p = gtk_widget_get_parent (p))
    if (GTK_IS_SCROLLED_WINDOW (p))
      {
        GtkPolicyType h;

        gtk_scrolled_window_get_policy (GTK_SCROLLED_WINDOW (p), &h, NULL);
        if (h != GTK_POLICY_NEVER && h != GTK_POLICY_EXTERNAL)
          return TRUE;
      }
  return FALSE;
}

static gboolean
in_toast (GtkWidget *w)
{
  for (GtkWidget *p = gtk_widget_get_parent (w); p != NULL; p = gtk_widget_get_parent (p))
    if (g_str_equal (G_OBJECT_TYPE_NAME (p), "AdwToastWidget"))
      return TRUE;
  return FALSE;
}

/* The widgets GTK and libadwaita build inside their own controls carry their own names. */
static gboolean
internal (GtkWidget *w, GtkWidget *root)
{
  static GType types[12];

  if (types[0] == 0)
    {
      guint i = 0;
      types[i++] = GTK_TYPE_SPIN_BUTTON;
      types[i++] = GTK_TYPE_SEARCH_ENTRY;
      types[i++] = GTK_TYPE_PASSWORD_ENTRY;
      types[i++] = GTK_TYPE_ENTRY;
      types[i++] = GTK_TYPE_DROP_DOWN;
      types[i++] = GTK_TYPE_WINDOW_CONTROLS;
      types[i++] = ADW_TYPE_VIEW_SWITCHER;
      types[i++] = ADW_TYPE_VIEW_SWITCHER_BAR;
      types[i++] = GTK_TYPE_MENU_BUTTON;
      types[i++] = GTK_TYPE_CALENDAR;
      types[i++] = ADW_TYPE_SPLIT_BUTTON;
      types[i++] = GTK_TYPE_TEXT_VIEW;
    }
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    if (inside (w, types[i], root))
      return TRUE;
  /* A title bar's title gives way to an ellipsis by design (GNOME's HIG); the window's
   * title keeps it whole for a screen reader. */
  if (GTK_IS_LABEL (w) && inside (w, ADW_TYPE_WINDOW_TITLE, root))
    return TRUE;
  /* libadwaita 1.2 leaves its toasts' close button without a name: not ours to mend. */
  return in_toast (w);
}

static gboolean
is_control (GtkWidget *w)
{
  return GTK_IS_BUTTON (w) || GTK_IS_MENU_BUTTON (w) || GTK_IS_CHECK_BUTTON (w) || GTK_IS_SWITCH (w)
         || GTK_IS_DROP_DOWN (w) || GTK_IS_ENTRY (w) || GTK_IS_SEARCH_ENTRY (w)
         || GTK_IS_PASSWORD_ENTRY (w) || GTK_IS_SPIN_BUTTON (w) || GTK_IS_SCALE (w)
         || ADW_IS_SPLIT_BUTTON (w) || (GTK_IS_TEXT (w) && !inside (w, GTK_TYPE_EDITABLE, NULL));
}

static const char *
first_label_text (GtkWidget *w)
{
  if (GTK_IS_LABEL (w) && gtk_widget_get_visible (w) && *gtk_label_get_text (GTK_LABEL (w)))
    return gtk_label_get_text (GTK_LABEL (w));
  for (GtkWidget *c = gtk_widget_get_first_child (w); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      const char *t = first_label_text (c);
      if (t != NULL)
        return t;
    }
  return NULL;
}

/* Whether a screen reader has a name to say for @w. */
static gboolean
has_name (GtkWidget *w)
{
  GtkAccessible *a = GTK_ACCESSIBLE (w);

  if (gtk_test_accessible_has_property (a, GTK_ACCESSIBLE_PROPERTY_LABEL)
      || gtk_test_accessible_has_relation (a, GTK_ACCESSIBLE_RELATION_LABELLED_BY))
    return TRUE;
  if (GTK_IS_CHECK_BUTTON (w) && gtk_check_button_get_label (GTK_CHECK_BUTTON (w)) != NULL)
    return TRUE;
  if (GTK_IS_MENU_BUTTON (w) && gtk_menu_button_get_label (GTK_MENU_BUTTON (w)) != NULL)
    return TRUE;
  if (ADW_IS_SPLIT_BUTTON (w) && adw_split_button_get_label (ADW_SPLIT_BUTTON (w)) != NULL)
    return TRUE;
  /* A row's title names the control that is the row's only action. */
  {
    GtkWidget *row = gtk_widget_get_ancestor (w, ADW_TYPE_ACTION_ROW);
    if (row != NULL && adw_action_row_get_activatable_widget (ADW_ACTION_ROW (row)) == w)
      return TRUE;
    if (ADW_IS_ENTRY_ROW (gtk_widget_get_ancestor (w, ADW_TYPE_ENTRY_ROW)))
      return TRUE;
  }
  /* Buttons and list rows take their name from the text inside them. */
  if (!GTK_IS_EDITABLE (w) && !GTK_IS_SWITCH (w) && !GTK_IS_SCALE (w))
    return first_label_text (w) != NULL;
  return FALSE;
}

static char *
describe (GtkWidget *w)
{
  const char *tooltip = gtk_widget_get_tooltip_text (w);
  const char *text = first_label_text (w);
  const char *icon = GTK_IS_BUTTON (w) ? gtk_button_get_icon_name (GTK_BUTTON (w)) : NULL;

  const char *owner = NULL;

  /* The nearest widget of ours around it says where to look. */
  for (GtkWidget *p = gtk_widget_get_parent (w); p != NULL && owner == NULL;
       p = gtk_widget_get_parent (p))
    if (g_str_has_prefix (G_OBJECT_TYPE_NAME (p), "Dft"))
      owner = G_OBJECT_TYPE_NAME (p);
  if (icon == NULL && GTK_IS_MENU_BUTTON (w))
    icon = gtk_menu_button_get_icon_name (GTK_MENU_BUTTON (w));
  return g_strdup_printf ("%s%s%s%s%s%s%s%s%s in %s", G_OBJECT_TYPE_NAME (w), icon ? " icon " : "",
                          icon ? icon : "", tooltip ? " tooltip “" : "", tooltip ? tooltip : "",
                          tooltip ? "”" : "", text ? " “" : "", text ? text : "", text ? "”" : "",
                          owner ? owner : "the window");
}

static void
audit_text (Audit *a, GtkWidget *w, const char *raw)
{
  g_autofree char *text = NULL;

  if (raw == NULL || *raw == '\0')
    return;
  text = shown_text (raw);
  /* A form's title is the form's own text: in a language the form lacks it falls back to
   * another by design, even where the app has a message of the same words. */
  if (g_hash_table_contains (form_titles, text))
    return;
  if (g_hash_table_contains (english, raw) || g_hash_table_contains (english, text))
    problem (a, "untranslated: “%s” (%s)", text, G_OBJECT_TYPE_NAME (w));
}

static void
audit_label (Audit *a, GtkLabel *label)
{
  GtkWidget      *w = GTK_WIDGET (label);
  const char     *text = gtk_label_get_text (label);
  const char     *raw = gtk_label_get_label (label);
  graphene_rect_t bounds;

  audit_text (a, w, raw);
  if (strstr (text, "HOSTILE") != NULL && strstr (text, HOSTILE_MARK) == NULL)
    problem (a, "markup: data was read as markup: “%s” shows as “%s”", raw, text);
  /* Any text cut off with an ellipsis, ours or data, in our widgets or in libadwaita's (the
   * view switcher's tab names, the status bar): a person reads "Посещаем…" and has to guess.
   * Only a title bar's title gives way by design (GNOME's HIG), and a toast's, which goes
   * away by itself. */
  if (pango_layout_is_ellipsized (gtk_label_get_layout (label))
      && !inside (w, ADW_TYPE_WINDOW_TITLE, a->root) && !in_toast (w))
    problem (a, "truncated: “%s” is cut off with an ellipsis (%d px wide, in %s)", text,
             gtk_widget_get_width (w), G_OBJECT_TYPE_NAME (gtk_widget_get_parent (w)));
  if ((!is_ui_text (text) && !is_ui_text (raw)) || internal (w, a->root))
    return;
  if (gtk_widget_compute_bounds (w, a->root, &bounds) && !scrolls_sideways (w))
    {
      int width = gtk_widget_get_width (a->root);

      float left = bounds.origin.x, right = bounds.origin.x + bounds.size.width;

      /* Cut by the window's edge: partly in, partly out. (Wholly outside is a page out of
       * view, which the keyboard check looks at.) */
      if ((left < -1 && right > 0) || (left < width && right > width + 1))
        problem (a, "truncated: “%s” is drawn outside the %d px window (%.0f to %.0f)", text, width,
                 bounds.origin.x, bounds.origin.x + bounds.size.width);
    }
}

static void
audit_tree (Audit *a, GtkWidget *w)
{
  if (!gtk_widget_get_visible (w) || !gtk_widget_get_child_visible (w))
    return;
  if (!really_shown (w) && !GTK_IS_POPOVER (w))
    return;
  if (GTK_IS_POPOVER (w))
    return; /* closed menus are audited when opened, not here */

  if (GTK_IS_LABEL (w))
    audit_label (a, GTK_LABEL (w));
  if (DFT_IS_CHART (w))
    for (guint i = 0; i < dft_chart_get_n_rows (DFT_CHART (w)); i++)
      if (dft_chart_is_label_cut (DFT_CHART (w), i))
        problem (a, "truncated: the chart's label “%s” is cut off (%d px wide chart)",
                 dft_chart_get_label (DFT_CHART (w), i), gtk_widget_get_width (w));
  audit_text (a, w, gtk_widget_get_tooltip_text (w));
  if (GTK_IS_TEXT (w))
    audit_text (a, w, gtk_text_get_placeholder_text (GTK_TEXT (w)));

  if (is_control (w) && !internal (w, a->root))
    {
      if (!has_name (w))
        {
          g_autofree char *d = describe (w);
          problem (a, "unnamed: %s has no accessible name", d);
        }
      if (gtk_widget_get_sensitive (w) && gtk_widget_get_focusable (w)
          && !inside (w, GTK_TYPE_LIST_VIEW, NULL) && !inside (w, GTK_TYPE_COLUMN_VIEW, NULL)
          && !inside (w, GTK_TYPE_LIST_BOX, NULL) && !inside (w, GTK_TYPE_GRID_VIEW, NULL)
          && !inside (w, GTK_TYPE_FLOW_BOX, NULL))
        g_ptr_array_add (a->controls, g_object_ref (w));
    }
  for (GtkWidget *c = gtk_widget_get_first_child (w); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    audit_tree (a, c);
}

/* The widget Tab landed on, or the control around it (the text inside an entry). */
static GtkWidget *
control_of (GtkWidget *focus)
{
  for (GtkWidget *w = focus; w != NULL; w = gtk_widget_get_parent (w))
    if (is_control (w) && !GTK_IS_TEXT (w))
      return w;
  return focus;
}

/* One walk of the Tab key round the window, from no focus back to the first control: adds
 * what it rests on to @visited, and says whether it came back round. */
static gboolean
tab_walk (Audit *a, GHashTable *visited)
{
  GtkWindow *window = GTK_WINDOW (a->root);
  GtkWidget *first = NULL;
  gboolean   round = FALSE;

  gtk_window_set_focus (window, NULL);
  for (guint step = 0; step < 400 && !round; step++)
    {
      GtkWidget *focus;

      /* What the Tab key does: the next control, or round to the first at the end. */
      if (!gtk_widget_child_focus (a->root, GTK_DIR_TAB_FORWARD))
        {
          gtk_window_set_focus (window, NULL);
          if (!gtk_widget_child_focus (a->root, GTK_DIR_TAB_FORWARD))
            break;
        }
      focus = gtk_root_get_focus (GTK_ROOT (window));
      if (focus == NULL)
        continue;
      if (first == NULL)
        first = focus;
      else if (focus == first)
        round = TRUE;
      if (!round)
        {
          g_autoptr (GtkWidget) held = g_object_ref (focus);
          GtkWidget            *c = control_of (focus);

          /* A list view scrolls to the row Tab gave the focus to, and maps it, on a later
           * frame: on a busy machine Tab can land before that frame (seen under the
           * sanitizers: a row still unmapped). Give it the frames it needs, up to 5 s. */
          for (gint64 until = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
               !really_shown (focus) && g_get_monotonic_time () < until;)
            if (!g_main_context_iteration (NULL, FALSE))
              g_usleep (2000);
          c = control_of (focus);
          /* A widget with no size yet is one GTK has not laid out (a list's rows while the
           * machine is busy): what this looks for is a control with a size of its own but
           * placed out of sight, like the folded leaflet's hidden page. */
          if (!really_shown (focus) && gtk_widget_get_width (focus) > 0
              && gtk_widget_get_height (focus) > 0)
            {
              g_autofree char *d = describe (focus);
              graphene_rect_t  b = GRAPHENE_RECT_INIT (0, 0, 0, 0);

              if (!gtk_widget_compute_bounds (focus, a->root, &b))
                b = GRAPHENE_RECT_INIT (-1, -1, 0, 0);
              problem (a,
                       "keyboard: Tab rests on %s, which cannot be seen (mapped %d, %d×%d at "
                       "%.0f,%.0f in a %d×%d window)",
                       d, gtk_widget_get_mapped (focus), gtk_widget_get_width (focus),
                       gtk_widget_get_height (focus), b.origin.x, b.origin.y,
                       gtk_widget_get_width (a->root), gtk_widget_get_height (a->root));
            }
          else if (!has_name (c) && is_control (c) && !internal (c, a->root))
            {
              g_autofree char *d = describe (c);
              problem (a, "keyboard: Tab rests on %s, which has no name", d);
            }
          g_hash_table_add (visited, g_object_ref (c));
          g_hash_table_add (visited, g_object_ref (focus));
        }
    }
  return round;
}

/* The controls no walk has rested on, nor on anything inside them. */
static GPtrArray *
not_reached (Audit *a, GHashTable *visited)
{
  GPtrArray *missed = g_ptr_array_new ();

  for (guint i = 0; i < a->controls->len; i++)
    {
      GtkWidget     *c = g_ptr_array_index (a->controls, i);
      gboolean       reached = g_hash_table_contains (visited, c);
      GHashTableIter it;
      gpointer       v;

      /* Gone from the window while it settled (a page built again): not a control now. */
      if (gtk_widget_get_root (c) != GTK_ROOT (a->root) || !gtk_widget_get_mapped (c))
        continue;
      g_hash_table_iter_init (&it, visited);
      while (!reached && g_hash_table_iter_next (&it, &v, NULL))
        reached = gtk_widget_is_ancestor (v, c);
      if (!reached)
        g_ptr_array_add (missed, c);
    }
  return missed;
}

/*
 * Tab must reach every control and come back round. GTK orders the focus by where widgets
 * are, so a layout that still moves while the walk runs (a busy machine, under the
 * sanitizers: seen once, one button of the photo question passed over) can skip a control
 * one walk and not the next. A control no Tab can reach is missed by every walk: the window
 * is let settle and walked again, up to three times, and what none reached is the problem.
 */
static void
audit_tab (Audit *a)
{
  g_autoptr (GHashTable) visited = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  g_autoptr (GPtrArray)  missed = NULL;
  gboolean               round = FALSE;

  for (guint walk = 1; walk <= 3; walk++)
    {
      if (tab_walk (a, visited))
        round = TRUE;
      g_clear_pointer (&missed, g_ptr_array_unref);
      missed = not_reached (a, visited);
      if (round && missed->len == 0)
        break;
      g_test_message ("%s: Tab walk %u %s and left %u controls unreached; walking again", a->screen,
                      walk, round ? "came round" : "did not come round", missed->len);
      dft_test_settle (300);
    }
  if (!round)
    problem (a, "keyboard: Tab does not come back round to the first control");
  for (guint i = 0; i < missed->len; i++)
    {
      g_autofree char *d = describe (g_ptr_array_index (missed, i));
      problem (a, "keyboard: Tab never reaches %s", d);
    }
}

/* The innermost widget that needs more than @width pixels: what keeps a window wide. */
static GtkWidget *
widest_culprit (GtkWidget *w, int width)
{
  for (GtkWidget *c = gtk_widget_get_first_child (w); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      int min = 0;

      if (!gtk_widget_get_visible (c))
        continue;
      gtk_widget_measure (c, GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
      if (min > width)
        return widest_culprit (c, width);
    }
  return w;
}

/* Whether every page change in the window has finished sliding: until then the pages on
 * either side are both on show. */
static gboolean
transitions_done (gpointer data)
{
  GtkWidget *w = data;

  if (GTK_IS_STACK (w) && gtk_stack_get_transition_running (GTK_STACK (w)))
    return FALSE;
  if (ADW_IS_LEAFLET (w) && adw_leaflet_get_child_transition_running (ADW_LEAFLET (w)))
    return FALSE;
  /* A toast slides in from below the window's edge and out again: one partly out of the
   * window is still moving (seen on a loaded machine: its close button 2 px below the edge). */
  if (g_str_equal (G_OBJECT_TYPE_NAME (w), "AdwToastWidget"))
    {
      GtkWidget      *root = GTK_WIDGET (gtk_widget_get_root (w));
      graphene_rect_t b;

      if (root != NULL && gtk_widget_get_mapped (w) && gtk_widget_compute_bounds (w, root, &b)
          && (b.origin.y < 0 || b.origin.y + b.size.height > gtk_widget_get_height (root)))
        return FALSE;
    }
  for (GtkWidget *c = gtk_widget_get_first_child (w); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    if (!transitions_done (c))
      return FALSE;
  return TRUE;
}

static gboolean
page_idle (gpointer data)
{
  return !dft_forms_page_get_busy (data);
}

static gboolean
desk_idle (gpointer data)
{
  return !dft_people_desk_get_busy (data);
}

static gboolean
reports_idle (gpointer data)
{
  return !dft_reports_page_get_busy (data);
}

static void
audit_screen (GtkWidget *window, const char *screen)
{
  Audit a = { screen, window, g_ptr_array_new_with_free_func (g_object_unref),
              g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL) };

  g_test_message ("screen %s", screen);
  dft_test_wait_until (dft_ui_test_drawn, window, "the window to be drawn");
  /* The forms page reads its forms in a worker and rebuilds its rows when they come, and a
   * change in the store (the sample still being counted) can start it again: wait until it
   * has stayed idle, and the pages have stopped sliding, for a moment. */
  for (gboolean settled = FALSE; !settled;)
    {
      if (DFT_IS_WINDOW (window))
        {
          dft_test_wait_until (page_idle, dft_window_get_forms_page (DFT_WINDOW (window)),
                               "the forms page to settle");
          dft_test_wait_until (desk_idle, dft_window_get_people_desk (DFT_WINDOW (window)),
                               "the people desk to settle");
          dft_test_wait_until (reports_idle, dft_window_get_reports_page (DFT_WINDOW (window)),
                               "the reports page to settle");
        }
      dft_test_wait_until (transitions_done, window, "the pages to stop sliding");
      dft_test_settle (300);
      settled = transitions_done (window)
                && (!DFT_IS_WINDOW (window)
                    || (page_idle (dft_window_get_forms_page (DFT_WINDOW (window)))
                        && desk_idle (dft_window_get_people_desk (DFT_WINDOW (window)))
                        && reports_idle (dft_window_get_reports_page (DFT_WINDOW (window)))));
    }
  {
    g_autofree char *file = g_strconcat (screen, ".png", NULL);
    dft_ui_test_save_png (window, shots, file);
  }
  audit_tree (&a, window);
  audit_tab (&a);
  /* Something inside wider than the window itself: it is drawn cut off at the edge. */
  {
    GtkWidget *culprit = widest_culprit (window, gtk_widget_get_width (window));

    if (culprit != window)
      {
        g_autofree char *d = describe (culprit);
        int              min = 0;

        gtk_widget_measure (culprit, GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
        problem (&a, "overflow: %s needs %d px in a %d px window", d, min,
                 gtk_widget_get_width (window));
      }
  }
  if (max_width > 0 && DFT_IS_WINDOW (window) && gtk_widget_get_width (window) > max_width + 1)
    {
      GtkWidget       *culprit = widest_culprit (window, max_width);
      g_autofree char *d = describe (culprit);
      int              min = 0;

      gtk_widget_measure (culprit, GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
      problem (&a,
               "narrow: the window cannot be narrower than %d px, so it does not fit a %d px "
               "screen; %s needs %d px",
               gtk_widget_get_width (window), max_width, d, min);
    }
  n_screens++;
  g_ptr_array_unref (a.controls);
  g_hash_table_unref (a.seen);
}

/* ---- Getting to the screens ------------------------------------------------------------ */

static GtkWidget *
find_descendant (GtkWidget *w, GType type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (w, type))
    return w;
  for (GtkWidget *c = gtk_widget_get_first_child (w); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_descendant (c, type);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
filler_ready (gpointer data)
{
  return !dft_form_filler_is_busy (data)
         && g_strcmp0 (dft_form_filler_get_mode (data), "loading") != 0;
}

static gboolean
widget_visible (gpointer data)
{
  return gtk_widget_get_visible (data);
}

static DftRecord *
tbilisi_workshop (DftStore *store)
{
  g_autoptr (GListModel) events = dft_store_list_events (store);

  dft_record_list_reload_sync (DFT_RECORD_LIST (events), NULL);
  for (guint i = 0; i < g_list_model_get_n_items (events); i++)
    {
      g_autoptr (DftRecord) e = g_list_model_get_item (events, i);
      if (g_strcmp0 (dft_record_get_string (e, "city"), "Tbilisi") == 0)
        return g_steal_pointer (&e);
    }
  g_assert_not_reached ();
}

/* ---- The coordinator's desk ----------------------------------------------------------- */

static gboolean
pair_shown (gpointer data)
{
  return !dft_people_desk_get_busy (data) && dft_people_desk_get_position (data) >= 0;
}

static char *
add_person (
    DftStore *store, const char *given, const char *family, const char *phone, const char *agency)
{
  g_autoptr (DftRecord) person = dft_test_add_person (store, given, family);

  dft_record_set_string (person, "phone", phone);
  dft_record_set_string (person, "agency", agency);
  dft_record_set_string (person, "gender", "female");
  dft_record_set_string (person, "country", "KG");
  dft_test_save (store, person);
  return g_strdup (dft_record_get_id (person));
}

/* What the desk shows: a pair to review (one of them merged before, for the history) and a
 * conflict two laptops made, their agency as hostile as the rest when it is. */
static void
add_desk_data (DftStore *store)
{
  const char      *agency = hostile ? "Police " HOSTILE_TEXT : "Police";
  g_autofree char *a = add_person (store, "Gulnara", "Asanova", "+996 555 010 203", agency);
  g_autofree char *b = add_person (store, "Гульнара", "Асанова", "+996555010203", agency);
  g_autofree char      *c = add_person (store, "Gulnara", "Asanova", "+996 555 010 203", agency);
  g_autofree char      *dir = dft_test_make_dir ();
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) merge = NULL;

  merge = dft_store_merge_people (store, a, c, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (b);
  {
    g_autoptr (DftStore)  one = dft_test_open_replica (dir, "one.db");
    g_autoptr (DftStore)  two = dft_test_open_replica (dir, "two.db");
    g_autoptr (DftRecord) person = dft_test_add_person (one, "Айгүл", "Токтогулова");
    g_autoptr (DftRecord) p1 = NULL;
    g_autoptr (DftRecord) p2 = NULL;

    dft_record_set_string (person, "agency", agency);
    dft_test_save (one, person);
    dft_test_send_changes (one, two);
    p1 = dft_store_load (one, &dft_entity_person, dft_record_get_id (person), NULL);
    dft_record_set_string (p1, "agency", hostile ? "Customs " HOSTILE_TEXT : "Customs");
    dft_test_save (one, p1);
    dft_test_wait_next_millisecond ();
    p2 = dft_store_load (two, &dft_entity_person, dft_record_get_id (person), NULL);
    dft_record_set_string (p2, "agency", "Prosecutor's office");
    dft_test_save (two, p2);
    dft_test_send_changes (one, store);
    dft_test_send_changes (two, store);
    g_clear_object (&p1);
    g_clear_object (&p2);
    g_clear_object (&person);
    dft_test_release_store (g_steal_pointer (&one));
    dft_test_release_store (g_steal_pointer (&two));
  }
  dft_test_dir_free (g_steal_pointer (&dir));
  g_assert_cmpint (dft_store_count_open_conflicts (store, NULL), >=, 1);
}

static void
desk_screens (DftWindow *window, const char *tag)
{
  DftPeopleDesk   *desk = DFT_PEOPLE_DESK (dft_window_get_people_desk (window));
  g_autofree char *name = NULL;

  g_action_group_activate_action (G_ACTION_GROUP (window), "show-desk",
                                  g_variant_new_string ("duplicates"));
  dft_test_wait_until (pair_shown, desk, "a pair of duplicates to review");
  name = g_strdup_printf ("desk-duplicates-%s", tag);
  audit_screen (GTK_WIDGET (window), name);
  if (g_str_equal (tag, "wide"))
    {
      AdwMessageDialog *dialog;

      gtk_widget_activate_action (GTK_WIDGET (desk), "desk.merge", NULL);
      dialog = dft_ui_wait_message_dialog (window, "Merge Two Records");
      audit_screen (GTK_WIDGET (dialog), "desk-merge-dialog");
      gtk_window_destroy (GTK_WINDOW (dialog));
    }
  g_free (name);
  g_action_group_activate_action (G_ACTION_GROUP (window), "show-desk",
                                  g_variant_new_string ("conflicts"));
  name = g_strdup_printf ("desk-conflicts-%s", tag);
  audit_screen (GTK_WIDGET (window), name);
  g_free (name);
  g_action_group_activate_action (G_ACTION_GROUP (window), "show-desk",
                                  g_variant_new_string ("merges"));
  name = g_strdup_printf ("desk-merges-%s", tag);
  audit_screen (GTK_WIDGET (window), name);
}

static gboolean
report_shown (gpointer data)
{
  return reports_idle (data) && dft_reports_page_get_report (data) != NULL;
}

/* The Reports page over every sample workshop, figures, tables and charts, from the top. */
static void
reports_screens (DftWindow *window, const char *tag)
{
  DftReportsPage  *page = DFT_REPORTS_PAGE (dft_window_get_reports_page (window));
  g_autofree char *name = g_strdup_printf ("reports-%s", tag);

  GtkScrolledWindow *scroller = GTK_SCROLLED_WINDOW (
      gtk_widget_get_ancestor (dft_ui_template_child (page, DFT_TYPE_REPORTS_PAGE, "results_box"),
                               GTK_TYPE_SCROLLED_WINDOW));
  GtkWidget *selection = dft_ui_template_child (page, DFT_TYPE_REPORTS_PAGE, "selection_row");

  g_action_group_activate_action (G_ACTION_GROUP (window), "show-reports", NULL);
  dft_test_wait_until (report_shown, page, "the report to be computed");
  g_assert_cmpuint (dft_reports_page_get_report (page)->n_workshops, >, 0);
  /* From the top, wherever the last screen's Tab left it. */
  gtk_window_set_focus (GTK_WINDOW (window), NULL);
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (scroller), 0);
  audit_screen (GTK_WIDGET (window), name);
  /* The selection unfolded: the period's quick choices, the dates and the filters. */
  gtk_widget_activate (selection);
  gtk_window_set_focus (GTK_WINDOW (window), NULL);
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (scroller), 0);
  g_free (name);
  name = g_strdup_printf ("reports-selection-%s", tag);
  audit_screen (GTK_WIDGET (window), name);
  gtk_widget_activate (selection);
}

/* The main window's screens at one size; @tag names the size in the PNGs' names. */
typedef struct
{
  AdwLeaflet *leaflet;
  gboolean    folded;
} FoldWait;

static gboolean
folded_as_wanted (gpointer data)
{
  FoldWait *w = data;

  return adw_leaflet_get_folded (w->leaflet) == w->folded;
}

static void
main_screens (DftWindow *window, const char *tag, DftRecord *workshop)
{
  static const char *const views[]
      = { "participants", "attendance", "tests", "evaluations", "summary" };
  g_autofree char *name = NULL;

  /* The X server resizes the window in its own time: a wide window shows the list and the
   * page side by side, a phone-sized one one of them at a time. */
  dft_test_wait_until (
      folded_as_wanted,
      &(FoldWait){ ADW_LEAFLET (find_descendant (GTK_WIDGET (window), ADW_TYPE_LEAFLET)),
                   g_str_has_prefix (tag, "narrow") },
      "the window to take its new width");
  g_action_group_activate_action (G_ACTION_GROUP (window), "go-back", NULL);
  dft_ui_test_wait_mode (window, "main", FALSE);
  name = g_strdup_printf ("workshops-%s", tag);
  audit_screen (GTK_WIDGET (window), name);
  g_action_group_activate_action (G_ACTION_GROUP (window), "open-workshop",
                                  g_variant_new_string (dft_record_get_id (workshop)));
  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    {
      g_free (name);
      g_action_group_activate_action (G_ACTION_GROUP (window), "show-view",
                                      g_variant_new_string (views[i]));
      name = g_strdup_printf ("%s-%s", views[i], tag);
      audit_screen (GTK_WIDGET (window), name);
    }
  g_action_group_activate_action (G_ACTION_GROUP (window), "show-forms", NULL);
  dft_test_wait_until (page_idle, dft_window_get_forms_page (window), "the forms page");
  g_free (name);
  name = g_strdup_printf ("forms-%s", tag);
  audit_screen (GTK_WIDGET (window), name);
  desk_screens (window, tag);
  reports_screens (window, tag);
}

/* Data that holds markup, where data reaches the screens: a workshop and its people, a form's
 * title and the names of its languages. */
static void
make_hostile (DftStore *store, DftRecord *workshop)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (GListModel) people = dft_store_list_people (store, dft_record_get_id (workshop));
  g_autofree char       *path
      = g_build_filename (g_getenv ("DAFTARI_TEST_DATA"), "forms", "day-check-7.json", NULL);
  g_autofree char      *json = NULL;
  g_autoptr (GString)   text = NULL;
  g_autoptr (DftForm)   form = NULL;
  g_autoptr (DftRecord) saved = NULL;

  dft_record_set_string (workshop, "title", "Workshop " HOSTILE_TEXT);
  dft_record_set_string (workshop, "venue", HOSTILE_TEXT);
  g_assert_true (dft_store_save (store, workshop, &error));
  g_assert_no_error (error);

  dft_record_list_reload_sync (DFT_RECORD_LIST (people), NULL);
  for (guint i = 0; i < MIN (g_list_model_get_n_items (people), 3); i++)
    {
      g_autoptr (DftRecord) person = g_list_model_get_item (people, i);

      dft_record_set_string (person, "family_name", HOSTILE_TEXT);
      dft_record_set_string (person, "agency", "Agency " HOSTILE_TEXT);
      g_assert_true (dft_store_save (store, person, &error));
      g_assert_no_error (error);
    }

  g_assert_true (g_file_get_contents (path, &json, NULL, &error));
  text = g_string_new (json);
  g_string_replace (text, "\"End of day check\"", "\"Day check " HOSTILE_MARK " &amp; <i\"", 1);
  g_string_replace (text, "\"Kiswahili\"", "\"Kiswahili " HOSTILE_MARK " & <i\"", 1);
  g_string_replace (text, "\"day_check\"", "\"hostile_day_check\"", 1);
  form = dft_form_new_from_json (text->str, (gssize) text->len, &error);
  g_assert_no_error (error);
  saved = dft_form_store_save (store, form, &error);
  g_assert_no_error (error);
}

/* A form's file questions, a photo chosen for the first: its preview, name, size and buttons, at
 * the filler's usual width and at 360 px. The question's texts are the form's own, in English;
 * the row's own messages are what the audit reads. */
static const char file_form_json[]
    = "{\"format\": \"daftari-form\", \"format_version\": 1, \"id\": \"venue\", \"version\": \"1\","
      " \"title\": {\"en\": \"Room check\"}, \"kind\": \"survey\", \"root\": \"data\","
      " \"questions\": [{\"type\": \"group\", \"name\": \"g\", \"page\": true, \"children\": ["
      "   {\"type\": \"image\", \"name\": \"photo\", \"required\": true,"
      "    \"label\": \"A photo of the room\"},"
      "   {\"type\": \"audio\", \"name\": \"voice\", \"label\": \"A recorded comment\"},"
      "   {\"type\": \"file\", \"name\": \"plan\", \"label\": \"The seating plan\"}]}]}";

static gboolean
file_row_idle (gpointer data)
{
  return ((DftQuestionRow *) data)->file_busy == 0;
}

static void
file_screens (DftWindow *main_window, DftStore *store, DftRecord *workshop)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftForm)   form = dft_form_new_from_json (file_form_json, -1, &error);
  g_autoptr (DftRecord) record = NULL;
  g_autofree char      *dir = dft_test_make_dir ();
  g_autofree char      *path = g_build_filename (
           dir, "Room 12 of the training centre, seen from the door on the first morning.png", NULL);
  g_autoptr (GdkTexture) texture = NULL;
  g_autoptr (GBytes)     pixels = NULL;
  g_autoptr (GFile)      file = g_file_new_for_path (path);
  g_autofree guchar     *rgb = g_malloc (400 * 300 * 3);
  GtkWidget             *window;
  DftFormFiller         *filler;
  DftQuestionRow        *row;

  g_assert_no_error (error);
  g_assert_true (dft_form_prepare (form, &error));
  /* Its title is data, as the templates' are. */
  g_hash_table_add (form_titles, g_strdup ("Room check"));
  record = dft_form_store_save (store, form, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 400 * 300 * 3; i++)
    rgb[i] = (guchar) (i % 3 == 2 ? 200 : (i / 3) % 400 * 160 / 400);
  pixels = g_bytes_new_take (g_steal_pointer (&rgb), 400 * 300 * 3);
  texture = gdk_memory_texture_new (400, 300, GDK_MEMORY_R8G8B8, pixels, 400 * 3);
  g_assert_true (gdk_texture_save_to_png (texture, path));

  window = dft_forms_open_filler (GTK_WIDGET (main_window), store, record,
                                  dft_record_get_id (workshop), NULL, NULL, TRUE);
  filler = DFT_FORM_FILLER (find_descendant (window, DFT_TYPE_FORM_FILLER));
  gtk_window_set_default_size (GTK_WINDOW (window), 720, 720);
  dft_test_wait_until (filler_ready, filler, "the form with file questions");
  row = g_hash_table_lookup (filler->fields, "/data/g/photo");
  g_assert_nonnull (row);
  dft_question_row_choose_file_for_test (row, file);
  dft_test_wait_until (file_row_idle, row, "the photo to be kept and shown");
  g_assert_true (gtk_widget_get_visible (row->file_preview));
  audit_screen (window, "form-file");
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 720);
  dft_test_settle (300);
  audit_screen (window, "form-file-narrow");
  /* The rows must fit a phone's width, the page's margins aside. (The filler's own foot, its
   * buttons, is wider than 360 px in some languages; that is not the rows'.) */
  for (GtkWidget *c = gtk_widget_get_first_child (GTK_WIDGET (filler->page_box)); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      int min = 0;

      gtk_widget_measure (c, GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
      if (min > 330)
        g_string_append_printf (problems, "%s [form-file-narrow] a row needs %d px\n", language,
                                min);
    }
  gtk_window_destroy (GTK_WINDOW (window));
  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
set_text_scale (double scale)
{
  g_object_set (gtk_settings_get_default (), "gtk-xft-dpi", (int) (96 * 1024 * scale), NULL);
}

static void
screens (DftApplication *app, DftWindow *main_window, gpointer data)
{
  DftStore             *store = dft_application_get_store (app);
  DftFormsPage         *forms = DFT_FORMS_PAGE (dft_window_get_forms_page (main_window));
  g_autoptr (DftRecord) workshop = NULL;
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftForm)   day = NULL;
  g_autoptr (DftRecord) day_record = NULL;
  g_autofree char      *day_path = NULL;
  gboolean              big_text = g_str_equal (language, "en") || g_str_equal (language, "qps");

  /* Urdu is laid out from the right, every other language from the left. */
  g_assert_cmpint (gtk_widget_get_direction (GTK_WIDGET (main_window)), ==,
                   g_str_equal (language, "ur") ? GTK_TEXT_DIR_RTL : GTK_TEXT_DIR_LTR);
  gtk_window_set_default_size (GTK_WINDOW (main_window), 1100, 720);
  dft_ui_test_wait_mode (main_window, "welcome", FALSE);
  audit_screen (GTK_WIDGET (main_window), "welcome");
  g_action_group_activate_action (G_ACTION_GROUP (main_window), "load-sample", NULL);
  dft_ui_test_wait_mode (main_window, "main", FALSE);

  /* Forms for the tests and evaluations views, and one in all seven languages. */
  g_action_group_activate_action (G_ACTION_GROUP (main_window), "show-forms", NULL);
  dft_test_wait_until (page_idle, forms, "the forms page");
  dft_forms_page_copy_template (forms, "knowledge-test", NULL, NULL);
  dft_test_wait_until (page_idle, forms, "the knowledge test copied");
  dft_forms_page_copy_template (forms, "workshop-evaluation", NULL, NULL);
  dft_test_wait_until (page_idle, forms, "the evaluation copied");
  day_path = g_build_filename (g_getenv ("DAFTARI_TEST_DATA"), "forms", "day-check-7.json", NULL);
  day = dft_form_new_from_file (day_path, &error);
  g_assert_no_error (error);
  day_record = dft_form_store_save (store, day, &error);
  g_assert_no_error (error);

  workshop = tbilisi_workshop (store);
  if (hostile)
    make_hostile (store, workshop);
  add_desk_data (store);
  main_screens (main_window, "wide", workshop);

  /* A form in this language, filled in on its own window. */
  {
    GtkWidget     *window = dft_forms_open_filler (GTK_WIDGET (main_window), store, day_record,
                                                   dft_record_get_id (workshop), NULL, NULL, TRUE);
    DftFormFiller *filler = DFT_FORM_FILLER (find_descendant (window, DFT_TYPE_FORM_FILLER));

    gtk_window_set_default_size (GTK_WINDOW (window), 720, 720);
    dft_test_wait_until (filler_ready, filler, "the form");
    if (!g_str_equal (language, "qps"))
      dft_form_filler_set_language (filler, language);
    g_assert_cmpstr (dft_form_filler_get_language (filler), ==,
                     g_str_equal (language, "qps") ? dft_form_filler_get_language (filler)
                                                   : language);
    if (g_str_equal (language, "ur"))
      g_assert_cmpint (gtk_widget_get_direction (GTK_WIDGET (filler)), ==, GTK_TEXT_DIR_RTL);
    audit_screen (window, "form");
    gtk_window_destroy (GTK_WINDOW (window));
  }
  file_screens (main_window, store, workshop);

  /* Preferences and the workshop dialog, with its messages showing. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  {
    GtkWidget *prefs = dft_ui_test_find_toplevel (DFT_TYPE_PREFERENCES_WINDOW);
    g_assert_nonnull (prefs);
    audit_screen (prefs, "preferences");
    gtk_window_destroy (GTK_WINDOW (prefs));
  }
  g_action_group_activate_action (G_ACTION_GROUP (main_window), "new-workshop", NULL);
  {
    DftWorkshopDialog *dialog = dft_ui_test_find_toplevel (DFT_TYPE_WORKSHOP_DIALOG);
    g_assert_nonnull (dialog);
    dft_workshop_dialog_set_field (dialog, "start_date", "2026-05-04");
    dft_workshop_dialog_set_field (dialog, "end_date", "2026-05-01");
    gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.save", NULL);
    audit_screen (GTK_WIDGET (dialog), "workshop-dialog");
    gtk_window_destroy (GTK_WINDOW (dialog));
  }

  /* Registering someone who may be in the register already: Айбек Абдыкадыров of the Bishkek
   * workshop, typed in Latin letters for the Tbilisi one. */
  {
    DftPersonDialog *dialog
        = dft_person_dialog_new (store, dft_record_get_id (workshop), NULL, "participant");
    GtkWidget *box = dft_ui_template_child (dialog, DFT_TYPE_PERSON_DIALOG, "duplicates_box");

    gtk_window_set_transient_for (GTK_WINDOW (dialog), GTK_WINDOW (main_window));
    gtk_window_set_default_size (GTK_WINDOW (dialog), 480, 900);
    gtk_window_present (GTK_WINDOW (dialog));
    dft_person_dialog_set_field (dialog, "given_name", "Aibek");
    dft_person_dialog_set_field (dialog, "family_name", "Abdykadyrov");
    dft_test_wait_until (widget_visible, box, "people of a similar name to be offered");
    audit_screen (GTK_WIDGET (dialog), "person-dialog-similar");
    gtk_window_set_default_size (GTK_WINDOW (dialog), 360, 900);
    dft_test_settle (300);
    audit_screen (GTK_WIDGET (dialog), "person-dialog-similar-narrow");
    gtk_window_destroy (GTK_WINDOW (dialog));
  }

  /* A phone-sized window, and then with large text. */
  gtk_window_set_default_size (GTK_WINDOW (main_window), 360, 720);
  dft_test_settle (300);
  max_width = 360;
  main_screens (main_window, "narrow", workshop);
  if (big_text)
    {
      set_text_scale (1.5);
      dft_test_settle (300);
      main_screens (main_window, "narrow-large-text", workshop);
      set_text_scale (1.0);
    }
  max_width = 0;
  g_action_group_activate_action (G_ACTION_GROUP (main_window), "go-back", NULL);
}

static void
test_screens (void)
{
  problems = g_string_new (NULL);
  dft_ui_test_run_app ("org.daftari.Daftari.ScreensTest", NULL, screens, NULL);

  g_test_message ("%u screens audited in %s", n_screens, language);
  if (n_unexpected_warnings > 0)
    g_test_fail_printf ("%u warnings or criticals (above)", n_unexpected_warnings);
  if (n_gtk_rtl_measure_warnings > 0)
    g_test_message ("%u times GTK measured an Urdu label inconsistently (its own bug)",
                    n_gtk_rtl_measure_warnings);
  if (problems->len > 0)
    {
      g_printerr ("%s", problems->str);
      g_test_fail_printf ("%s: problems on the screens (listed above)", language);
    }
  g_string_free (problems, TRUE);
}

/* GTK 4.8 measures a label that wraps between characters (libadwaita's row titles and
 * descriptions do) inconsistently when its text is in Arabic script, and says so with a
 * critical warning. It is GTK's to mend (the Urdu screenshots show no overlap); in Urdu the
 * test counts these warnings, and any other warning or critical still fails it. */
static GLogWriterOutput
log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  const char *domain = NULL, *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
      domain = fields[i].value;
    else if (g_str_equal (fields[i].key, "MESSAGE"))
      message = fields[i].value;
  if ((level & (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL)) != 0)
    {
      if (g_strcmp0 (domain, "Gtk") == 0 && message != NULL
          && strstr (message, "but minimum width for height of") != NULL)
        {
          n_gtk_rtl_measure_warnings++;
          return G_LOG_WRITER_HANDLED;
        }
      n_unexpected_warnings++;
    }
  return g_log_writer_default (level, fields, n_fields, data);
}

int
main (int argc, char *argv[])
{
  g_autofree char *path = NULL;

  language = g_getenv ("DAFTARI_TEST_LANGUAGE");
  g_assert_nonnull (language);
  hostile = g_getenv ("DAFTARI_TEST_HOSTILE") != NULL;
  if (g_str_equal (language, "ur"))
    g_log_set_writer_func (log_writer, NULL, NULL);
  if (g_getenv ("DAFTARI_SCREENSHOTS") != NULL)
    shots
        = g_build_filename (g_getenv ("DAFTARI_SCREENSHOTS"), hostile ? "hostile" : language, NULL);
  /* As the application does at startup, for the language a trainer picked. */
  g_setenv ("LANGUAGE", language, TRUE);
  dft_test_init (&argc, &argv);
  dft_application_setup_locale ();
  if (g_getenv ("DAFTARI_TODAY") == NULL)
    g_setenv ("DAFTARI_TODAY", "2026-02-03", TRUE);
  gtk_init ();
  adw_init ();
  /* The title bar as GNOME draws it (a close button only), not Xvfb's fallback with three. */
  g_object_set (gtk_settings_get_default (), "gtk-decoration-layout", "menu:close", NULL);
  if (g_str_equal (language, "ur"))
    g_log_set_always_fatal (G_LOG_FATAL_MASK);
  load_messages ();
  path = g_strdup_printf ("/ui/screens/%s%s", language, hostile ? "/hostile" : "");
  g_test_add_func (path, test_screens);
  return g_test_run ();
}
