/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "dft-test-util.h"
#include "dft-ui-test-util.h"

gpointer
dft_ui_test_find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels (); /* transfer none */
  guint       n = g_list_model_get_n_items (toplevels);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GObject) window = g_list_model_get_item (toplevels, i);
      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return window;
    }
  return NULL;
}

gboolean
dft_ui_test_pointer_cleared (gpointer data)
{
  return *(gpointer *) data == NULL;
}

void
dft_ui_test_wait_finalized (gpointer object, const char *what)
{
  gpointer weak = object;

  g_object_add_weak_pointer (G_OBJECT (object), &weak);
  dft_test_wait_until (dft_ui_test_pointer_cleared, &weak, what);
}

void
dft_ui_test_close_and_check_finalized (gpointer window)
{
  gpointer weak = window;

  g_object_add_weak_pointer (G_OBJECT (window), &weak);
  gtk_window_destroy (GTK_WINDOW (window));
  dft_test_wait_until (dft_ui_test_pointer_cleared, &weak, "a closed window to be finalized");
}

gboolean
dft_ui_test_drawn (gpointer data)
{
  return gtk_widget_get_mapped (data) && gtk_widget_get_width (data) > 0;
}

gboolean
dft_ui_test_save_png (GtkWidget *widget, const char *dir, const char *name)
{
  g_autoptr (GdkPaintable)  paintable = NULL;
  g_autoptr (GtkSnapshot)   snapshot = NULL;
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture)    texture = NULL;
  g_autofree char          *path = NULL;
  GskRenderer              *renderer;
  int                       w, h;

  if (dir == NULL)
    return FALSE;
  w = gtk_widget_get_width (widget);
  h = gtk_widget_get_height (widget);
  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, w, h);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL)
    return FALSE;
  /* The widget need not be a window: its window's renderer draws it. */
  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, w, h));
  g_mkdir_with_parents (dir, 0755);
  path = g_build_filename (dir, name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  return TRUE;
}

void
dft_ui_test_screenshot (GtkWidget *widget, const char *dir, const char *name)
{
  g_autofree char *path = NULL;

  if (dir == NULL)
    return;
  dft_test_wait_until (dft_ui_test_drawn, widget, "the window to be drawn");
  dft_test_settle (400);
  g_assert_true (dft_ui_test_save_png (widget, dir, name));
  path = g_build_filename (dir, name, NULL);
  g_test_message ("%s", path);
}
