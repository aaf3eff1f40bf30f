/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "dft-report.h"
#include "dft-test-util.h"
#include "dft-workshop-page.h"
#include "dft-ui-test-util.h"

typedef struct
{
  DftUiTestScenario scenario;
  gpointer          data;
  gpointer          store; /* weak */
  gboolean          ran;
} AppRun;

static gboolean
store_open (gpointer data)
{
  return dft_application_get_store (data) != NULL;
}

/* After the application's own activate made the window: the scenario, then closing it. */
static void
activate_cb (GApplication *application, AppRun *run)
{
  DftApplication *app = DFT_APPLICATION (application);
  DftWindow      *window;

  window = DFT_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_assert_nonnull (window);
  dft_test_wait_until (store_open, app, "the store to open");
  run->store = dft_application_get_store (app);
  g_object_add_weak_pointer (G_OBJECT (run->store), &run->store);
  run->scenario (app, window, run->data);
  run->ran = TRUE;
  /* The last window closing ends g_application_run(). */
  dft_ui_test_close_and_check_finalized (window);
}

void
dft_ui_test_run_app (const char       *application_id,
                     const char       *db,
                     DftUiTestScenario scenario,
                     gpointer          data)
{
  AppRun           run = { scenario, data, NULL, FALSE };
  g_autofree char *dir = NULL;
  g_autofree char *own_db = NULL;
  DftApplication  *app;
  gpointer         weak_app;

  g_assert_nonnull (application_id);
  g_assert_nonnull (scenario);
  if (db == NULL)
    {
      dir = dft_test_make_dir ();
      db = own_db = g_build_filename (dir, "daftari.db", NULL);
    }
  g_setenv ("DAFTARI_DB", db, TRUE);
  app = dft_application_new (application_id, G_APPLICATION_NON_UNIQUE);
  g_signal_connect_after (app, "activate", G_CALLBACK (activate_cb), &run);
  g_assert_cmpint (g_application_run (G_APPLICATION (app), 0, NULL), ==, 0);
  g_assert_true (run.ran);

  weak_app = app;
  g_object_add_weak_pointer (G_OBJECT (app), &weak_app);
  g_object_unref (app);
  dft_test_wait_until (dft_ui_test_pointer_cleared, &weak_app, "the application to be finalized");
  /* Workers still finishing (list reloads, the sync client's reads) hold the store a moment. */
  dft_test_wait_until (dft_ui_test_pointer_cleared, &run.store, "the store to be finalized");
  if (dir != NULL)
    dft_test_dir_free (g_steal_pointer (&dir));
}

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
dft_ui_test_attendance_is (DftStore *store, const char *event_id, guint present, guint late)
{
  g_autoptr (DftEventReport) report = dft_report_event (store, event_id, NULL);

  return report != NULL && report->present == present && report->late == late;
}

typedef struct
{
  DftStore   *store;
  const char *event_id;
  guint       present, late;
} AttendanceWait;

static gboolean
attendance_saved (gpointer data)
{
  AttendanceWait *w = data;

  return dft_ui_test_attendance_is (w->store, w->event_id, w->present, w->late);
}

void
dft_ui_test_wait_attendance (
    DftStore *store, const char *event_id, guint present, guint late, const char *what)
{
  dft_test_wait_until (attendance_saved, &(AttendanceWait){ store, event_id, present, late }, what);
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

typedef struct
{
  GListModel *model;
  guint       n;
} CountWait;

static gboolean
model_has (gpointer data)
{
  CountWait *w = data;

  return w->model != NULL && g_list_model_get_n_items (w->model) == w->n;
}

void
dft_ui_test_wait_n_items (GListModel *model, guint n, const char *what)
{
  dft_test_wait_until (model_has, &(CountWait){ model, n }, what);
}

typedef struct
{
  DftWindow  *window;
  const char *mode;
  gboolean    with_workshop;
} ModeWait;

static gboolean
mode_is (gpointer data)
{
  ModeWait *w = data;

  return g_strcmp0 (dft_window_get_mode (w->window), w->mode) == 0
         && (!w->with_workshop || dft_window_get_event (w->window) != NULL);
}

void
dft_ui_test_wait_mode (DftWindow *window, const char *mode, gboolean with_workshop)
{
  g_autofree char *what
      = g_strdup_printf ("the window's %s page%s", mode, with_workshop ? " with a workshop" : "");

  dft_test_wait_until (mode_is, &(ModeWait){ window, mode, with_workshop }, what);
}

GtkWidget *
dft_ui_test_show_view (DftWindow *window, const char *name)
{
  DftWorkshopPage *page = DFT_WORKSHOP_PAGE (dft_window_get_workshop_page (window));

  g_action_group_activate_action (G_ACTION_GROUP (window), "show-view",
                                  g_variant_new_string (name));
  return dft_workshop_page_get_view (page, name);
}

typedef struct
{
  DftWindow  *window;
  const char *event_id;
} EventWait;

static gboolean
event_shown (gpointer data)
{
  EventWait *w = data;
  DftRecord *event = dft_window_get_event (w->window);

  return event != NULL && g_strcmp0 (dft_record_get_id (event), w->event_id) == 0;
}

GtkWidget *
dft_ui_test_open_workshop (DftWindow *window, const char *event_id)
{
  GtkWidget *page = dft_window_get_workshop_page (window);

  g_action_group_activate_action (G_ACTION_GROUP (window), "open-workshop",
                                  g_variant_new_string (event_id));
  dft_test_wait_until (event_shown, &(EventWait){ window, event_id }, "the workshop to open");
  dft_test_wait_until (dft_ui_test_drawn, page, "the workshop on screen");
  return page;
}

/*
 * libadwaita 1.2 frees a toast dismissed while it slides in, then touches it when the slide
 * ends: a crash. A person's Undo comes after the toast is in place; so does the test's. The
 * slide follows the frame clock, so it is over once the clock has gone past its length.
 */
#define TOAST_SLIDE_US ((300 + 200) * G_TIME_SPAN_MILLISECOND)

typedef struct
{
  GtkWidget *widget;
  gint64     until; /* frame time */
} FrameWait;

static gboolean
frame_clock_past (gpointer data)
{
  FrameWait     *w = data;
  GdkFrameClock *clock = gtk_widget_get_frame_clock (w->widget);

  /* An idle frame clock stands still: ask for frames until it is there. */
  gtk_widget_queue_draw (w->widget);
  return clock != NULL && gdk_frame_clock_get_frame_time (clock) >= w->until;
}

void
dft_ui_test_wait_toast_in_place (GtkWidget *toast)
{
  GtkWidget     *overlay = gtk_widget_get_parent (toast);
  GdkFrameClock *clock = gtk_widget_get_frame_clock (overlay);

  g_assert_nonnull (clock);
  dft_test_wait_until (
      frame_clock_past,
      &(FrameWait){ overlay, gdk_frame_clock_get_frame_time (clock) + TOAST_SLIDE_US },
      "the toast to slide in");
}
