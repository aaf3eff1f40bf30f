/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dft-test-util.h"

typedef struct
{
  char     *dir;
  DftStore *store;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->store = dft_test_open_store (&f->dir);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  dft_test_release_store (f->store);
  dft_test_dir_free (f->dir);
}

static void
wait_loaded (GListModel *list)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  /* A save's "changed" arrives through the main context, then the reload runs in a worker. */
  dft_test_drain ();
  while (dft_record_list_get_loading (DFT_RECORD_LIST (list)) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (dft_record_list_get_loading (DFT_RECORD_LIST (list)));
}

typedef struct
{
  guint position, removed, added, calls;
} Changes;

static void
items_changed_cb (GListModel *list, guint position, guint removed, guint added, Changes *c)
{
  c->position = position;
  c->removed = removed;
  c->added = added;
  c->calls++;
}

static void
test_list_follows_store (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (GListModel) people = dft_store_list_people (f->store, NULL);
  g_autoptr (DftRecord)  a = NULL;
  g_autoptr (DftRecord)  b = NULL;
  g_autoptr (DftRecord)  first = NULL;
  Changes                changes = { 0 };

  g_assert_true (g_list_model_get_item_type (people) == DFT_TYPE_RECORD);
  wait_loaded (people);
  g_assert_cmpuint (g_list_model_get_n_items (people), ==, 0);
  g_signal_connect (people, "items-changed", G_CALLBACK (items_changed_cb), &changes);

  a = dft_test_add_person (f->store, "Мариам", "Яковлева");
  wait_loaded (people);
  g_assert_cmpuint (g_list_model_get_n_items (people), ==, 1);
  g_assert_cmpuint (changes.added, ==, 1);

  /* Sorted by family name. */
  b = dft_test_add_person (f->store, "Hamisi", "Kimaro");
  wait_loaded (people);
  g_assert_cmpuint (g_list_model_get_n_items (people), ==, 2);
  first = g_list_model_get_item (people, 0);
  g_assert_cmpstr (dft_record_get_id (first), ==, dft_record_get_id (b));

  /* An edit that keeps the order announces just that row. */
  changes.calls = 0;
  dft_record_set_string (a, "agency", "Customs");
  g_assert_true (dft_store_save (f->store, a, &error));
  wait_loaded (people);
  g_assert_cmpuint (changes.calls, ==, 1);
  g_assert_cmpuint (changes.position, ==, 1);
  g_assert_cmpuint (changes.removed, ==, 1);
  g_assert_cmpuint (changes.added, ==, 1);
  {
    g_autoptr (DftRecord) row = g_list_model_get_item (people, 1);
    g_assert_cmpstr (dft_record_get_string (row, "agency"), ==, "Customs");
  }

  /* Deleted people leave the list. */
  g_assert_true (dft_store_delete (f->store, b, &error));
  wait_loaded (people);
  g_assert_cmpuint (g_list_model_get_n_items (people), ==, 1);
  g_assert_null (g_list_model_get_item (people, 1));
}

static void
test_list_people_of_event (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) event = dft_test_add_event (f->store, "TAF", "2026-06-01", "2026-06-02");
  g_autoptr (DftRecord) other = dft_test_add_event (f->store, "COPI", "2026-07-01", "2026-07-02");
  g_autoptr (DftRecord) p1 = dft_test_add_person (f->store, "Ірина", "Коваленко");
  g_autoptr (DftRecord) p2 = dft_test_add_person (f->store, "Андрій", "Бондаренко");
  g_autoptr (GListModel) roster = dft_store_list_people (f->store, dft_record_get_id (event));
  g_autoptr (DftRecord)  e1 = NULL;
  g_autoptr (DftRecord)  e2 = NULL;

  wait_loaded (roster);
  g_assert_cmpuint (g_list_model_get_n_items (roster), ==, 0);

  e1 = dft_store_enroll (f->store, dft_record_get_id (event), dft_record_get_id (p1), "participant",
                         &error);
  e2 = dft_store_enroll (f->store, dft_record_get_id (other), dft_record_get_id (p2), "trainer",
                         &error);
  g_assert_no_error (error);
  wait_loaded (roster);
  /* The roster follows enrollments, not only people. */
  g_assert_cmpuint (g_list_model_get_n_items (roster), ==, 1);

  g_assert_true (dft_store_delete (f->store, e1, &error));
  wait_loaded (roster);
  g_assert_cmpuint (g_list_model_get_n_items (roster), ==, 0);
}

static void
test_list_search (Fixture *f, gconstpointer data)
{
  g_autoptr (GListModel) people = dft_store_list_people (f->store, NULL);
  const char            *names[][2] = {
               { "Айбек", "Абдыкадыров" }, { "Нурлан", "Осмонов" }, { "გიორგი", "გელაშვილი" },
               { "Fatima", "Malik" },      { "Aibek", "Sadykov" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_object_unref (dft_test_add_person (f->store, names[i][0], names[i][1]));

  dft_record_list_set_search (DFT_RECORD_LIST (people), "aibek");
  wait_loaded (people);
  /* Both spellings, whatever the script. */
  g_assert_cmpuint (g_list_model_get_n_items (people), ==, 2);

  dft_record_list_set_search (DFT_RECORD_LIST (people), "GIORGI");
  wait_loaded (people);
  g_assert_cmpuint (g_list_model_get_n_items (people), ==, 1);

  dft_record_list_set_search (DFT_RECORD_LIST (people), "Нур Осм");
  wait_loaded (people);
  g_assert_cmpuint (g_list_model_get_n_items (people), ==, 1);

  dft_record_list_set_search (DFT_RECORD_LIST (people), "nobody-like-this");
  wait_loaded (people);
  g_assert_cmpuint (g_list_model_get_n_items (people), ==, 0);

  dft_record_list_set_search (DFT_RECORD_LIST (people), "");
  wait_loaded (people);
  g_assert_cmpuint (g_list_model_get_n_items (people), ==, G_N_ELEMENTS (names));
}

static void
count_notify (guint *count)
{
  (*count)++;
}

/* A first letter that matches many people answers with the first ones and says so. */
static void
test_list_search_limit (Fixture *f, gconstpointer data)
{
  guint                  notified = 0;
  g_autoptr (GListModel) people = dft_store_list_people (f->store, NULL);
  g_autoptr (GPtrArray)  batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GError)     error = NULL;

  for (guint i = 0; i < DFT_RECORD_LIST_SEARCH_LIMIT + 20; i++)
    {
      DftRecord       *person = dft_record_new_for_entity (&dft_entity_person);
      g_autofree char *family = g_strdup_printf ("Asanov %u", i);

      g_object_set (person, "given-name", "Aibek", "family-name", family, NULL);
      g_ptr_array_add (batch, person);
    }
  g_assert_true (dft_store_save_all (f->store, (DftRecord **) batch->pdata, batch->len, &error));
  g_assert_no_error (error);

  /* A view showing "only the first 500" hears when that changes. */
  g_signal_connect_swapped (people, "notify::truncated", G_CALLBACK (count_notify), &notified);
  dft_record_list_set_search (DFT_RECORD_LIST (people), "a");
  wait_loaded (people);
  g_assert_cmpuint (g_list_model_get_n_items (people), ==, DFT_RECORD_LIST_SEARCH_LIMIT);
  g_assert_true (dft_record_list_get_truncated (DFT_RECORD_LIST (people)));
  g_assert_cmpuint (notified, ==, 1);

  dft_record_list_set_search (DFT_RECORD_LIST (people), "asanov 51");
  wait_loaded (people);
  g_assert_false (dft_record_list_get_truncated (DFT_RECORD_LIST (people)));
  g_assert_cmpuint (g_list_model_get_n_items (people), >=, 1);
  g_assert_cmpuint (notified, ==, 2);

  /* Without a search, the whole list. */
  dft_record_list_set_search (DFT_RECORD_LIST (people), "");
  wait_loaded (people);
  g_assert_cmpuint (g_list_model_get_n_items (people), ==, DFT_RECORD_LIST_SEARCH_LIMIT + 20);
  g_assert_false (dft_record_list_get_truncated (DFT_RECORD_LIST (people)));
  g_assert_cmpuint (notified, ==, 2);
}

/*
 * A view that goes away while its list still loads (the user switches workshop
 * at once) drops the list mid-query. The worker's answer then has nobody to go
 * to: the list must still be freed once it lands, without a warning, without
 * keeping the store open, and without disturbing a list of the same rows that
 * someone still holds.
 */
static void
test_list_dropped_while_loading (Fixture *f, gconstpointer data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) people = g_ptr_array_new_with_free_func (g_object_unref);

  /* Enough rows for the query to be under way when the list is dropped. */
  for (guint i = 0; i < 300; i++)
    {
      DftRecord       *person = dft_record_new_for_entity (&dft_entity_person);
      g_autofree char *family = g_strdup_printf ("Family %03u", i);

      dft_record_set_string (person, "given_name", "Aibek");
      dft_record_set_string (person, "family_name", family);
      g_ptr_array_add (people, person);
    }
  g_assert_true (dft_store_save_all (f->store, (DftRecord **) people->pdata, people->len, &error));
  g_assert_no_error (error);
  dft_test_drain ();

  for (guint i = 0; i < 20; i++)
    {
      GListModel            *dropped = dft_store_list_people (f->store, NULL);
      g_autoptr (GListModel) kept = dft_store_list_people (f->store, NULL);
      gint64                 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

      g_assert_true (dft_record_list_get_loading (DFT_RECORD_LIST (dropped)));
      g_object_add_weak_pointer (G_OBJECT (dropped), (gpointer *) &dropped);
      g_object_unref (dropped);

      /* The last reference may go in the worker that ran the query, which wakes no loop. */
      while (dropped != NULL && g_get_monotonic_time () < deadline)
        {
          if (!g_main_context_iteration (NULL, FALSE))
            g_usleep (1000);
        }
      g_assert_null (dropped);

      wait_loaded (kept);
      g_assert_cmpuint (g_list_model_get_n_items (kept), ==, 300);
    }
  /* fixture_teardown asserts that the store itself is freed: no list kept it. */
}
int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/record-list/follows-store", test_list_follows_store);
  ADD ("/record-list/people-of-event", test_list_people_of_event);
  ADD ("/record-list/search", test_list_search);
  ADD ("/record-list/search-limit", test_list_search_limit);
  ADD ("/record-list/dropped-while-loading", test_list_dropped_while_loading);
#undef ADD

  return g_test_run ();
}
