/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dft-record-list.h"
#include "dft-store.h"

G_BEGIN_DECLS

/* A fresh folder under the test's temporary directory, removed by dft_test_dir_free(). */
char *dft_test_make_dir (void);
void  dft_test_dir_free (char *dir);
/* A new store in a new folder: its path is DIR/daftari.db. */
DftStore *dft_test_open_store (char **out_dir);
void      dft_test_init (int *argc, char ***argv);
/* A path in ../shared, or NULL when the shared folder is not beside the checkout. */
char *dft_test_shared_path (const char *relative);
DftRecord *
dft_test_add_event (DftStore *store, const char *title, const char *start, const char *end);
DftRecord *dft_test_add_person (DftStore *store, const char *given, const char *family);
/* Runs the default main context until nothing is pending, so "changed" and list reloads land. */
void dft_test_drain (void);

/* Runs the main context until @condition holds, failing the test after 20 s with @what. */
typedef gboolean (*DftTestCondition) (gpointer data);
void dft_test_wait_until (DftTestCondition condition, gpointer data, const char *what);
/* Runs the main context for @ms milliseconds (let a window draw, a toast time out). */
void dft_test_settle (guint ms);
void dft_test_wait_for (gboolean *flag);
/* Waits for pending work that holds @store, then asserts it is finalized. */
void dft_test_release_store (DftStore *store);

G_END_DECLS
