/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dft-application.h"
#include "dft-conflicts-view.h"
#include "dft-duplicates.h"
#include "dft-merge-dialog.h"
#include "dft-people-desk.h"
#include "dft-store-conflicts.h"
#include "dft-store-merges.h"
#include "dft-test-util.h"
#include "dft-ui-find.h"
#include "dft-ui-test-util.h"
#include "dft-window.h"
#include "dft-xkeys.h"

/*
 * The coordinator's desk as a coordinator uses it, with real key presses through the X
 * server: the duplicates review queue (a true pair and its reasons, M to merge with a field
 * chosen, the toast's Undo; N for "Not the Same Person", which never comes back), the
 * Conflicts screen with the header's count (Keep Other), and a trainer's laptop, which is not
 * offered the desk.
 */

#define TEST_APP_ID "org.daftari.Daftari.DeskTest"

typedef struct
{
  char *dir;
  char *db;
  char *a_id; /* Aibek Sadykov */
  char *b_id; /* Айбек Садыков, the same phone */
  char *conflicted_id;
} Fixture;

static void
fixture_clear (Fixture *f)
{
  g_free (f->db);
  dft_test_dir_free (f->dir);
  g_free (f->a_id);
  g_free (f->b_id);
  g_free (f->conflicted_id);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Fixture, fixture_clear)

static char *
add_person (
    DftStore *store, const char *given, const char *family, const char *phone, const char *agency)
{
  g_autoptr (DftRecord) person = dft_test_add_person (store, given, family);

  dft_record_set_string (person, "phone", phone);
  dft_record_set_string (person, "agency", agency);
  dft_record_set_string (person, "gender", "male");
  dft_test_save (store, person);
  return g_strdup (dft_record_get_id (person));
}

/* A register with one true pair of duplicates, and someone else. */
static void
fixture_with_pair (Fixture *f, const char *role)
{
  g_autoptr (DftStore)  store = NULL;
  g_autoptr (DftRecord) event = NULL;

  f->dir = dft_test_make_dir ();
  f->db = g_build_filename (f->dir, "daftari.db", NULL);
  store = dft_test_open_replica (f->dir, "daftari.db");
  event = dft_test_add_event (store, "Financial investigations, Osh", "2026-12-04", "2026-12-05");
  f->a_id = add_person (store, "Aibek", "Sadykov", "+996 555 123 456", "Police");
  f->b_id = add_person (store, "Айбек", "Садыков", "+996555123456", "Police");
  g_free (add_person (store, "Amina", "Bakirova", "+996 700 000 111", "Customs"));
  if (role != NULL)
    g_assert_true (dft_store_set_sync_state (store, "role", role, NULL));
  dft_test_release_store (g_steal_pointer (&store));
}

static void
set_agency (DftStore *store, const char *id, const char *agency)
{
  g_autoptr (DftRecord) person = dft_store_load (store, &dft_entity_person, id, NULL);

  dft_record_set_string (person, "agency", agency);
  dft_test_save (store, person);
}

/* A register holding one open conflict, made the way tests/test-merge.c makes one: laptops A
 * and B change one person's agency at once; B's "Customs" is newer and stands, A's "Police"
 * is kept for a coordinator. */
static void
fixture_with_conflict (Fixture *f, const char *role)
{
  g_autoptr (DftStore)  hub = NULL;
  g_autoptr (DftStore)  a = NULL;
  g_autoptr (DftStore)  b = NULL;
  g_autoptr (DftRecord) person = NULL;

  f->dir = dft_test_make_dir ();
  f->db = g_build_filename (f->dir, "daftari.db", NULL);
  hub = dft_test_open_replica (f->dir, "daftari.db");
  a = dft_test_open_replica (f->dir, "a.db");
  b = dft_test_open_replica (f->dir, "b.db");
  person = dft_test_add_person (a, "Айгүл", "Токтогулова");
  dft_record_set_string (person, "agency", "Prosecutor's office");
  dft_test_save (a, person);
  f->conflicted_id = g_strdup (dft_record_get_id (person));
  dft_test_send_changes (a, hub);
  dft_test_send_changes (hub, b);
  set_agency (a, f->conflicted_id, "Police");
  dft_test_wait_next_millisecond ();
  set_agency (b, f->conflicted_id, "Customs");
  dft_test_send_changes (a, hub);
  dft_test_send_changes (b, hub);
  g_assert_cmpint (dft_store_count_open_conflicts (hub, NULL), ==, 1);
  if (role != NULL)
    g_assert_true (dft_store_set_sync_state (hub, "role", role, NULL));
  dft_test_release_store (g_steal_pointer (&a));
  dft_test_release_store (g_steal_pointer (&b));
  dft_test_release_store (g_steal_pointer (&hub));
}

typedef void (*DeskFunc) (DftApplication *app, DftWindow *window, Fixture *f);

typedef struct
{
  DeskFunc func;
  Fixture *f;
} DeskRun;

static void
desk_scenario (DftApplication *app, DftWindow *window, gpointer data)
{
  DeskRun *run = data;

  run->func (app, window, run->f);
}

static void
run_app (Fixture *f, DeskFunc func)
{
  dft_ui_reset_settings ();
  dft_ui_test_run_app (TEST_APP_ID, f->db, desk_scenario, &(DeskRun){ func, f });
}

static void
press (DftWindow *window, const char *key)
{
  const char *keys[] = { key, NULL };

  dft_xkeys_press (GTK_WINDOW (window), keys);
}

static gboolean
desk_offered (gpointer data)
{
  return dft_window_get_desk_allowed (data);
}

static gboolean
pair_shown (gpointer data)
{
  DftPeopleDesk *desk = data;

  return !dft_people_desk_get_busy (desk) && dft_people_desk_get_position (desk) >= 0;
}

static gboolean
desk_idle (gpointer data)
{
  return !dft_people_desk_get_busy (data);
}

/* Opens the review queue with its key and waits for the first pair: Aibek and Айбек. */
static DftPeopleDesk *
open_queue (DftWindow *window, Fixture *f)
{
  DftPeopleDesk *desk = DFT_PEOPLE_DESK (dft_window_get_people_desk (window));
  GtkLabel      *reasons;
  const char    *a, *b;

  dft_test_wait_until (desk_offered, window, "the desk to be offered");
  press (window, "ctrl+shift+d");
  dft_test_wait_until (pair_shown, desk, "a pair to review");
  g_assert_true (dft_people_desk_get_pair (desk, &a, &b));
  g_assert_true ((g_str_equal (a, f->a_id) && g_str_equal (b, f->b_id))
                 || (g_str_equal (a, f->b_id) && g_str_equal (b, f->a_id)));
  g_assert_cmpuint (dft_people_desk_get_n_pairs (desk), ==, 1);
  reasons = dft_ui_template_child (desk, DFT_TYPE_PEOPLE_DESK, "reasons_label");
  g_assert_nonnull (strstr (gtk_label_get_text (reasons),
                            dft_duplicate_reason_describe (DFT_DUPLICATE_REASON_SAME_PHONE)));
  g_assert_nonnull (strstr (gtk_label_get_text (reasons),
                            dft_duplicate_reason_describe (DFT_DUPLICATE_REASON_NAME_SCRIPTS)));
  dft_test_wait_until (dft_ui_test_drawn, desk, "the queue on screen");
  dft_ui_test_screenshot (GTK_WIDGET (window), g_getenv ("DAFTARI_SCREENSHOTS"),
                          "desk-duplicates.png");
  return desk;
}

/* ---- Merge, and the toast's Undo ------------------------------------------------------ */

typedef struct
{
  DftStore   *store;
  const char *id;
  const char *survivor;
} SurvivorWait;

static gboolean
survivor_is (gpointer data)
{
  SurvivorWait    *w = data;
  g_autofree char *survivor = dft_store_survivor_of (w->store, w->id);

  return g_strcmp0 (survivor, w->survivor) == 0;
}

static void
merge_and_undo (DftApplication *app, DftWindow *window, Fixture *f)
{
  DftStore             *store = dft_application_get_store (app);
  DftPeopleDesk        *desk = open_queue (window, f);
  AdwMessageDialog     *dialog;
  GtkCheckButton       *given;
  GtkWidget            *toast;
  GtkWidget            *undo;
  g_autofree char      *keep = NULL;
  g_autofree char      *other = NULL;
  g_auto (GStrv)        take = NULL;
  g_autoptr (DftRecord) a_was = NULL;
  g_autofree char      *a = NULL;
  g_autofree char      *b = NULL;
  const char           *pair_a, *pair_b;

  g_assert_cmpint (dft_store_count_records (store, &dft_entity_person, NULL), ==, 3);
  /* The queue's own strings go with the pair once it is decided. */
  g_assert_true (dft_people_desk_get_pair (desk, &pair_a, &pair_b));
  a = g_strdup (pair_a);
  b = g_strdup (pair_b);
  a_was = dft_store_load (store, &dft_entity_person, a, NULL);
  press (window, "m");
  dialog = dft_ui_wait_message_dialog (window, "Merge Two Records");
  dft_ui_test_screenshot (GTK_WIDGET (dialog), g_getenv ("DAFTARI_SCREENSHOTS"),
                          "desk-merge-dialog.png");
  /* Both records hold nothing else: the first is kept, and takes the newer values, the
   * other's. The coordinator keeps its own given name, chosen with the keyboard. */
  dft_merge_dialog_get_choice (GTK_WIDGET (dialog), &keep, &other, &take);
  g_assert_cmpstr (keep, ==, a);
  g_assert_true (g_strv_contains ((const char *const *) take, "given_name"));
  g_assert_true (g_strv_contains ((const char *const *) take, "family_name"));
  given = dft_merge_dialog_get_field_button (GTK_WIDGET (dialog), "given_name", 0);
  g_assert_nonnull (given);
  g_assert_false (gtk_check_button_get_active (given));
  gtk_widget_grab_focus (GTK_WIDGET (given));
  dft_xkeys_press (GTK_WINDOW (dialog), (const char *[]){ "space", NULL });
  g_assert_true (gtk_check_button_get_active (given));
  g_clear_pointer (&take, g_strfreev);
  g_free (keep);
  g_free (other);
  dft_merge_dialog_get_choice (GTK_WIDGET (dialog), &keep, &other, &take);
  g_assert_false (g_strv_contains ((const char *const *) take, "given_name"));
  g_assert_true (g_strv_contains ((const char *const *) take, "family_name"));
  dft_ui_press_response (dialog, "_Merge");

  dft_test_wait_until (survivor_is, &(SurvivorWait){ store, b, a }, "the merge to be saved");
  {
    g_autoptr (DftRecord) kept = dft_store_load (store, &dft_entity_person, a, NULL);
    g_autoptr (DftRecord) gone = dft_store_load (store, &dft_entity_person, b, NULL);

    g_assert_cmpstr (dft_record_get_string (kept, "given_name"), ==,
                     dft_record_get_string (a_was, "given_name"));
    g_assert_cmpstr (dft_record_get_string (kept, "family_name"), ==,
                     dft_record_get_string (gone, "family_name"));
  }
  {
    g_autofree char *survivor = dft_store_survivor_of (store, a);
    g_assert_cmpstr (survivor, ==, a);
  }
  dft_ui_wait_toast (window, "Merged");
  toast = dft_ui_find_toast (window, "Merged");
  dft_ui_test_wait_toast_in_place (toast);
  dft_test_wait_until (desk_idle, desk, "the queue to move on");
  g_assert_cmpuint (dft_people_desk_get_n_pairs (desk), ==, 0);
  g_assert_cmpint (dft_people_desk_get_position (desk), ==, -1);
  dft_test_wait_until (desk_idle, desk, "the history to be read");
  g_assert_cmpuint (dft_people_desk_get_n_merges (desk), ==, 1);
  g_action_group_activate_action (G_ACTION_GROUP (window), "show-desk",
                                  g_variant_new_string ("merges"));
  dft_ui_test_screenshot (GTK_WIDGET (window), g_getenv ("DAFTARI_SCREENSHOTS"), "desk-merges.png");

  undo = dft_ui_find_widget (dft_ui_find_toast (window, "Merged"), dft_ui_is_button_labelled,
                             g_dgettext (GETTEXT_PACKAGE, "_Undo"));
  g_assert_nonnull (undo);
  g_signal_emit_by_name (undo, "clicked");
  dft_test_wait_until (survivor_is, &(SurvivorWait){ store, b, b }, "Undo to bring both back");
  {
    g_autoptr (DftRecord) kept = dft_store_load (store, &dft_entity_person, a, NULL);

    g_assert_cmpstr (dft_record_get_string (kept, "given_name"), ==,
                     dft_record_get_string (a_was, "given_name"));
    g_assert_cmpstr (dft_record_get_string (kept, "family_name"), ==,
                     dft_record_get_string (a_was, "family_name"));
  }
  dft_ui_wait_toast (window, "Merge undone");
}

static void
test_merge_undo (void)
{
  g_auto (Fixture) f = { 0 };

  fixture_with_pair (&f, NULL);
  run_app (&f, merge_and_undo);
}

/* ---- Not the Same Person ------------------------------------------------------------------ */

static gboolean
distinct (gpointer data)
{
  gpointer *args = data;

  return dft_store_is_distinct (args[0], args[1], args[2]);
}

static void
not_the_same (DftApplication *app, DftWindow *window, Fixture *f)
{
  DftStore      *store = dft_application_get_store (app);
  DftPeopleDesk *desk = open_queue (window, f);

  g_assert_false (dft_store_is_distinct (store, f->a_id, f->b_id));
  press (window, "n");
  dft_test_wait_until (distinct, (gpointer[]){ store, f->a_id, f->b_id },
                       "the pair to be kept as two people");
  dft_test_wait_until (desk_idle, desk, "the queue to move on");
  g_assert_cmpint (dft_people_desk_get_position (desk), ==, -1);
  g_assert_cmpuint (dft_people_desk_get_n_pairs (desk), ==, 0);
  /* Looked for again: the pair does not come back. */
  gtk_widget_activate_action (GTK_WIDGET (desk), "desk.rescan", NULL);
  g_assert_true (dft_people_desk_get_busy (desk));
  dft_test_wait_until (desk_idle, desk, "the duplicates looked for again");
  g_assert_cmpuint (dft_people_desk_get_n_pairs (desk), ==, 0);
  g_assert_cmpint (dft_people_desk_get_position (desk), ==, -1);
  g_assert_cmpint (dft_store_count_records (store, &dft_entity_person, NULL), ==, 3);
}

/* The application opened again on the same register: the queue holds nothing. */
static void
not_the_same_again (DftApplication *app, DftWindow *window, Fixture *f)
{
  DftPeopleDesk *desk = DFT_PEOPLE_DESK (dft_window_get_people_desk (window));

  dft_test_wait_until (desk_offered, window, "the desk to be offered");
  g_action_group_activate_action (G_ACTION_GROUP (window), "show-desk",
                                  g_variant_new_string ("duplicates"));
  g_assert_true (dft_people_desk_get_busy (desk));
  dft_test_wait_until (desk_idle, desk, "the duplicates looked for");
  g_assert_cmpuint (dft_people_desk_get_n_pairs (desk), ==, 0);
  g_assert_cmpint (dft_people_desk_get_position (desk), ==, -1);
  g_assert_true (dft_store_is_distinct (dft_application_get_store (app), f->b_id, f->a_id));
}

static void
test_not_the_same (void)
{
  g_auto (Fixture) f = { 0 };

  fixture_with_pair (&f, "coordinator");
  run_app (&f, not_the_same);
  /* Reopened: still nothing to review. */
  run_app (&f, not_the_same_again);
}

/* ---- The keys in a Cyrillic layout ------------------------------------------------------- */

/* A coordinator types names in Russian between two pairs: the keys marked L and N, which then
 * give Д and Т, still leave a pair for later and say "not the same person". */
static void
cyrillic_keys (DftApplication *app, DftWindow *window, Fixture *f)
{
  DftStore      *store = dft_application_get_store (app);
  DftPeopleDesk *desk = open_queue (window, f);

  dft_xkeys_set_layout ("ru");
  press (window, "Cyrillic_de");
  dft_test_wait_until (desk_idle, desk, "the pair left for later");
  g_assert_cmpint (dft_people_desk_get_position (desk), ==, -1);
  g_assert_cmpuint (dft_people_desk_get_n_pairs (desk), ==, 1);
  g_assert_false (dft_store_is_distinct (store, f->a_id, f->b_id));

  /* Looked for again, the pair left for later is back. */
  gtk_widget_activate_action (GTK_WIDGET (desk), "desk.rescan", NULL);
  dft_test_wait_until (pair_shown, desk, "the pair back");
  press (window, "Cyrillic_te");
  dft_test_wait_until (distinct, (gpointer[]){ store, f->a_id, f->b_id },
                       "the pair kept as two people");
  dft_xkeys_set_layout ("us");
}

static void
test_cyrillic_keys (void)
{
  g_auto (Fixture) f = { 0 };

  if (!dft_xkeys_have_layouts ())
    {
      g_test_skip ("needs setxkbmap and the ru and kg layouts of xkb-data");
      return;
    }
  fixture_with_pair (&f, NULL);
  run_app (&f, cyrillic_keys);
}

/* ---- The merges history's Undo Merge ------------------------------------------------------ */

static gboolean
merges_listed (gpointer data)
{
  return !dft_people_desk_get_busy (data) && dft_people_desk_get_n_merges (data) == 1;
}

static void
undo_from_history (DftApplication *app, DftWindow *window, Fixture *f)
{
  DftStore      *store = dft_application_get_store (app);
  DftPeopleDesk *desk = DFT_PEOPLE_DESK (dft_window_get_people_desk (window));
  GtkWidget     *undo;

  dft_test_wait_until (desk_offered, window, "the desk to be offered");
  g_assert_true (survivor_is (&(SurvivorWait){ store, f->b_id, f->a_id }));
  press (window, "ctrl+shift+h");
  dft_test_wait_until (merges_listed, desk, "the merge in the history");
  undo = dft_ui_find_widget (GTK_WIDGET (desk), dft_ui_is_button_labelled,
                             g_dgettext (GETTEXT_PACKAGE, "_Undo Merge"));
  g_assert_nonnull (undo);
  g_object_add_weak_pointer (G_OBJECT (undo), (gpointer *) &undo);
  dft_test_wait_until (dft_ui_test_drawn, undo, "the history on screen");
  gtk_widget_grab_focus (undo);
  press (window, "Return");
  dft_test_wait_until (survivor_is, &(SurvivorWait){ store, f->b_id, f->b_id },
                       "Undo Merge to bring both back");
  dft_ui_wait_toast (window, "Merge undone");
  /* The history says so, and offers no second Undo. */
  dft_test_wait_until (merges_listed, desk, "the history read again");
  dft_test_wait_until (dft_ui_test_pointer_cleared, &undo, "the old row to go");
  g_assert_null (dft_ui_find_widget (GTK_WIDGET (desk), dft_ui_is_button_labelled,
                                     g_dgettext (GETTEXT_PACKAGE, "_Undo Merge")));
}

static void
test_history_undo (void)
{
  g_auto (Fixture) f = { 0 };

  fixture_with_pair (&f, NULL);
  {
    g_autoptr (DftStore)  store = dft_test_open_replica (f.dir, "daftari.db");
    g_autoptr (DftRecord) merge = NULL;
    g_autoptr (GError)    error = NULL;

    merge = dft_store_merge_people (store, f.a_id, f.b_id, NULL, &error);
    g_assert_no_error (error);
    g_clear_object (&merge);
    dft_test_release_store (g_steal_pointer (&store));
  }
  run_app (&f, undo_from_history);
}

/* ---- Conflicts ---------------------------------------------------------------------------- */

static gboolean
conflicts_counted (gpointer data)
{
  gpointer *args = data;

  return dft_window_get_n_conflicts (args[0]) == GPOINTER_TO_INT (args[1]);
}

static gboolean
conflicts_listed (gpointer data)
{
  gpointer *args = data;

  return !dft_conflicts_view_get_busy (args[0])
         && dft_conflicts_view_get_n_conflicts (args[0]) == GPOINTER_TO_UINT (args[1]);
}

static gboolean
agency_is (gpointer data)
{
  gpointer             *args = data;
  g_autoptr (DftRecord) person = dft_store_load (args[0], &dft_entity_person, args[1], NULL);

  return person != NULL && g_strcmp0 (dft_record_get_string (person, "agency"), args[2]) == 0;
}

static void
keep_other (DftApplication *app, DftWindow *window, Fixture *f)
{
  DftStore         *store = dft_application_get_store (app);
  DftPeopleDesk    *desk = DFT_PEOPLE_DESK (dft_window_get_people_desk (window));
  DftConflictsView *view = DFT_CONFLICTS_VIEW (dft_people_desk_get_conflicts_view (desk));
  GtkWidget        *desk_button = dft_ui_template_child (window, DFT_TYPE_WINDOW, "desk_button");
  GtkWidget        *count = dft_ui_template_child (window, DFT_TYPE_WINDOW, "conflicts_label");
  GtkWidget        *button = NULL;

  /* The header counts it, so that it cannot be missed. */
  dft_test_wait_until (conflicts_counted, (gpointer[]){ window, GINT_TO_POINTER (1) },
                       "the header to count one conflict");
  g_assert_true (gtk_widget_get_visible (count));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (count)), ==, "1");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (desk_button), ==, "People: 1 Conflict to Decide");
  g_assert_cmpstr (g_variant_get_string (
                       gtk_actionable_get_action_target_value (GTK_ACTIONABLE (desk_button)), NULL),
                   ==, "conflicts");

  press (window, "ctrl+shift+k");
  dft_test_wait_until (conflicts_listed, (gpointer[]){ view, GUINT_TO_POINTER (1) },
                       "the conflict listed");
  dft_test_wait_until (dft_ui_test_drawn, view, "the conflicts on screen");
  dft_ui_test_screenshot (GTK_WIDGET (window), g_getenv ("DAFTARI_SCREENSHOTS"),
                          "desk-conflicts.png");
  {
    /* The button's label is its child: find "Keep Other" by its text. */
    GtkWidget *keep = NULL;

    for (GtkWidget *w = dft_ui_find_widget (GTK_WIDGET (view), dft_ui_is_of_type,
                                            GSIZE_TO_POINTER (GTK_TYPE_FLOW_BOX));
         w != NULL && keep == NULL; w = NULL)
      for (GtkWidget *c = gtk_widget_get_first_child (w); c != NULL;
           c = gtk_widget_get_next_sibling (c))
        {
          GtkWidget *b = gtk_flow_box_child_get_child (GTK_FLOW_BOX_CHILD (c));
          GtkWidget *l = gtk_button_get_child (GTK_BUTTON (b));

          if (g_strcmp0 (gtk_label_get_label (GTK_LABEL (l)), _ ("Keep _Other")) == 0)
            keep = b;
        }
    g_assert_nonnull (keep);
    button = keep;
  }
  gtk_widget_grab_focus (button);
  press (window, "Return");
  dft_test_wait_until (agency_is, (gpointer[]){ store, f->conflicted_id, "Police" },
                       "Keep Other to write the other value back");
  dft_test_wait_until (conflicts_counted, (gpointer[]){ window, GINT_TO_POINTER (0) },
                       "the header's count to go to 0");
  g_assert_false (gtk_widget_get_visible (count));
  g_assert_cmpint (dft_store_count_open_conflicts (store, NULL), ==, 0);
  dft_test_wait_until (conflicts_listed, (gpointer[]){ view, GUINT_TO_POINTER (0) },
                       "the conflict to leave the list");
  dft_ui_wait_toast (window, "Decided");
}

static void
test_conflicts (void)
{
  g_auto (Fixture) f = { 0 };

  fixture_with_conflict (&f, "admin");
  run_app (&f, keep_other);
}

/* ---- A trainer's laptop ------------------------------------------------------------------- */

static void
offered (DftApplication *app, DftWindow *window, Fixture *f)
{
  GtkWidget *desk_button = dft_ui_template_child (window, DFT_TYPE_WINDOW, "desk_button");

  dft_test_wait_until (conflicts_counted, (gpointer[]){ window, GINT_TO_POINTER (1) },
                       "the conflicts counted");
  g_assert_true (dft_window_get_desk_allowed (window));
  g_assert_true (gtk_widget_get_visible (desk_button));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "show-desk"));
}

static void
not_offered (DftApplication *app, DftWindow *window, Fixture *f)
{
  GtkWidget *desk_button = dft_ui_template_child (window, DFT_TYPE_WINDOW, "desk_button");
  GtkWidget *count = dft_ui_template_child (window, DFT_TYPE_WINDOW, "conflicts_label");
  GtkStack  *content = dft_ui_template_child (window, DFT_TYPE_WINDOW, "content_stack");

  dft_test_wait_until (conflicts_counted, (gpointer[]){ window, GINT_TO_POINTER (1) },
                       "the conflicts counted");
  g_assert_false (dft_window_get_desk_allowed (window));
  g_assert_false (gtk_widget_get_visible (desk_button));
  g_assert_false (gtk_widget_get_visible (count));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "show-desk"));
  press (window, "ctrl+shift+k");
  dft_test_settle (200);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (content), !=, "desk");
}

static void
test_trainer (void)
{
  {
    g_auto (Fixture) f = { 0 };

    fixture_with_conflict (&f, "coordinator");
    run_app (&f, offered);
  }
  {
    g_auto (Fixture) f = { 0 };

    fixture_with_conflict (&f, "trainer");
    run_app (&f, not_offered);
  }
}

int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);
  gtk_init ();
  adw_init ();

  g_test_add_func ("/desk/merge-undo", test_merge_undo);
  g_test_add_func ("/desk/not-the-same", test_not_the_same);
  g_test_add_func ("/desk/cyrillic-keys", test_cyrillic_keys);
  g_test_add_func ("/desk/history-undo", test_history_undo);
  g_test_add_func ("/desk/conflicts", test_conflicts);
  g_test_add_func ("/desk/trainer", test_trainer);
  return g_test_run ();
}
