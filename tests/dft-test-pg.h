/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A throw-away PostgreSQL for tests: initdb in a new folder under /tmp, started by pg_ctl on a
 * unix socket in that folder (no TCP), stopped as "pg_ctl -m immediate" does (SIGQUIT) and
 * removed at the end.
 * The server binaries come from Debian's postgresql package (/usr/lib/postgresql/N/bin, the
 * newest N); libpq's pg_config names only the client's.
 */
typedef struct _DftTestPg DftTestPg;

/* Why PostgreSQL cannot run here (no server binaries; root, whom initdb refuses), or NULL. */
const char *dft_test_pg_unavailable (void);
/* A new cluster, started; fails the test if it cannot be made. Check dft_test_pg_unavailable()
 * first. */
DftTestPg *dft_test_pg_new (void);
/* Stops it (if it runs) and removes its folder. */
void dft_test_pg_free (DftTestPg *pg);
/* pg_ctl -m immediate stop: as a crash or a pulled cable would, without a goodbye. */
void dft_test_pg_stop (DftTestPg *pg);
/* Starts it again and waits until it accepts connections. */
void dft_test_pg_start (DftTestPg *pg);
/* A new, empty database, and its libpq URI. */
char *dft_test_pg_create_database (DftTestPg *pg);
/* The URI of a database on @pg, whether it runs or not (created or not). */
char *dft_test_pg_uri (DftTestPg *pg, const char *database);
/* Runs @sql on the database @uri, failing the test on an error; returns the rows it changed. */
gint64 dft_test_pg_exec (const char *uri, const char *sql);

/*
 * DAFTARI_TEST_STORAGE=postgresql runs a test program's servers on PostgreSQL: one cluster per
 * process, started when first needed, a fresh database for each server, stopped at exit.
 * Returns FALSE when that variable is not set; skips the whole program (TAP "1..0 # SKIP") when
 * PostgreSQL cannot run here. Call once from main() after dft_test_init().
 */
gboolean dft_test_pg_wanted (int argc, char **argv);
/* "storage=postgresql://…\n" for a fresh database on the shared cluster, or NULL when not
 * wanted. */
char *dft_test_pg_storage_line (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftTestPg, dft_test_pg_free)

G_END_DECLS
