/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dft-record-list.h"
#include "dft-store.h"
#include "forms/dft-form.h"

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
/* The store DIR/@name, written without waiting for the disk (for tests of the merge). */
DftStore *dft_test_open_replica (const char *dir, const char *name);
/* The conflict records @store keeps about @field of the record @record_id. */
GPtrArray *dft_test_conflicts_about (DftStore *store, const char *record_id, const char *field);
/* Returns once the wall clock has moved on: any device's next write comes after all so far. */
void dft_test_wait_next_millisecond (void);
/* Everything @from holds that @to has not, applied to @to as a push or a pull would carry it. */
void dft_test_send_changes (DftStore *from, DftStore *to);
/* Saves @record to @store, failing the test on an error. */
void dft_test_save (DftStore *store, DftRecord *record);
/* Reloads @list (taking it) and returns how many records it holds. */
guint dft_test_count_listed (GListModel *list);
void  dft_test_delete (DftStore *store, const DftEntity *entity, const char *id);
/* A draft submission ("{}") of @form_id, or of a new form when NULL, in @event_id (or none). */
char *dft_test_add_draft (DftStore *store, const char *form_id, const char *event_id);
/* Saves the submission @id as final with @answers. */
void dft_test_finalize (DftStore *store, const char *id, const char *answers);
/* @store keeps one conflict about @field of @record_id, and the value that lost is @lost_json. */
void dft_test_assert_lost_value (DftStore   *store,
                                 const char *record_id,
                                 const char *field,
                                 const char *lost_json);
/* Every record of @store as text, without what differs between replicas that converged. */
char *dft_test_dump_records (DftStore *store);
/* Fails the test unless @other holds what @reference holds (dft_test_dump_records()). */
void dft_test_assert_same_records (DftStore *reference, DftStore *other);
/* How many changes @store made itself (its device's highest number). */
gint64 dft_test_own_changes (DftStore *store);
/* How many changes the log of @store holds, its own and received. */
guint dft_test_log_length (DftStore *store);
/* A person enrolled in @event_id as a participant, so every device of the team sees them;
 * returns their id. */
char *dft_test_add_participant (DftStore *store, const char *event_id, const char *given);
/* Runs the default main context until nothing is pending, so "changed" and list reloads land. */
void dft_test_drain (void);

/* Runs the main context until @condition holds, failing the test after 20 s with @what. */
typedef gboolean (*DftTestCondition) (gpointer data);
void dft_test_wait_until (DftTestCondition condition, gpointer data, const char *what);
/* Runs the main context for @ms milliseconds (let a window draw, a toast time out). */
void dft_test_settle (guint ms);
void dft_test_wait_for (gboolean *flag);
/* The descriptors a process holds open (@pid 0: this one), read from /proc. */
guint dft_test_count_fds (GPid pid);
/* Lowers this process's soft limit on open descriptors to @limit (never raises it); returns
 * the limit it had, for dft_test_set_fd_limit() to put back. */
guint64 dft_test_set_fd_limit (guint64 limit);
/* Waits for pending work that holds @store, then asserts it is finalized. */
void dft_test_release_store (DftStore *store);

/*
 * A daftari-server process on 127.0.0.1 at a port the system picks, in a folder of its own
 * (server.conf, the data under "data", a log for each start). The binary is DAFTARI_SERVER.
 * A test that fails takes the server down with it.
 */
typedef struct _DftTestServer DftTestServer;

typedef enum
{
  DFT_TEST_SERVER_DEFAULT = 0,
  /* It speaks HTTPS: the extra configuration names its certificate and key. */
  DFT_TEST_SERVER_TLS = 1 << 0,
} DftTestServerFlags;

/* The server binary the tests run, or NULL when DAFTARI_SERVER names none that is built. */
const char *dft_test_server_binary (void);
/* A server's folder and configuration ("listen=127.0.0.1", "port=0", "data=data", then
 * @extra_config), not yet started. @dir is a folder the caller made and removes (to put a
 * certificate beside the configuration), or NULL for a new one that dft_test_server_free()
 * removes. */
DftTestServer *
dft_test_server_new (const char *dir, const char *extra_config, DftTestServerFlags flags);
/* Stops the server if it runs (asserting a clean exit) and removes a folder it made. */
void dft_test_server_free (DftTestServer *server);
/* Starts the server (again, after a stop: on the same data at a new port) and waits until it
 * listens. */
void dft_test_server_start (DftTestServer *server);
/* dft_test_server_start() in two: the process starts, then its line saying where it listens
 * is read (blocking), to see what it does before it listens. */
void dft_test_server_begin_start (DftTestServer *server);
void dft_test_server_finish_start (DftTestServer *server);
/* SIGTERM, and the server must finish what it was doing and exit 0. */
void dft_test_server_stop (DftTestServer *server);
/* Sends SIGTERM and returns at once, to see what the server does while it stops; then
 * dft_test_server_stop() waits for the exit. */
void dft_test_server_begin_stop (DftTestServer *server);
/* SIGKILL, as a power cut or the out-of-memory killer would end it. */
void     dft_test_server_kill (DftTestServer *server);
gboolean dft_test_server_is_running (DftTestServer *server);
/* The running server's process id, to look at what it holds (its descriptors). */
GPid dft_test_server_get_pid (DftTestServer *server);

/* Runs "daftari-server admin --config CONFIG ARGS…" with @input (or nothing) on standard input
 * and fails the test unless it succeeds; returns what it wrote to standard output. */
char *dft_test_server_admin (DftTestServer *server, const char *input, ...) G_GNUC_NULL_TERMINATED;
/* The same for a command that may fail: returns its exit status, its output in @out (then its
 * standard error too, when it failed). */
int dft_test_server_admin_status (DftTestServer *server, const char *input, char **out, ...)
    G_GNUC_NULL_TERMINATED;
/* Makes an account (@team NULL: of every team), and the team first when the server has not got
 * it yet; asserts the admin command lists the account as made. */
void dft_test_server_add_account (DftTestServer *server,
                                  const char    *username,
                                  const char    *role,
                                  const char    *team,
                                  const char    *password);
/* A new single-use enrolment code for @team. */
char *dft_test_server_make_enrolment_code (DftTestServer *server, const char *team);

const char *dft_test_server_get_dir (DftTestServer *server);
/* The token of @device_id expired, in the accounts.db of @server (with storage=sqlite), which
 * must not be running. */
void dft_test_server_expire_token (DftTestServer *server, const char *device_id);
/* The libpq URI of its database when it runs on PostgreSQL (DAFTARI_TEST_STORAGE), or NULL. */
const char *dft_test_server_get_storage (DftTestServer *server);
/* The log of the last start (the server's standard error). */
const char *dft_test_server_get_log (DftTestServer *server);
/* The port and the address ("http://127.0.0.1:PORT/") of the last start. */
guint16     dft_test_server_get_port (DftTestServer *server);
const char *dft_test_server_get_url (DftTestServer *server);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftTestServer, dft_test_server_free)

/* The prepared form tests/data/forms/@name (DAFTARI_TEST_DATA); fails the test when it does
 * not load. */
DftForm *dft_test_load_form (const char *name);

/* Every text of @form exactly as it is, one per line ("notes.hint[ur] = «…»"), title, labels,
 * hints and choice labels, languages in order: canonical JSON folds white space, so it
 * cannot show a line break turned into a space; this can. */
char *dft_test_form_texts (DftForm *form);
/* @actual is the definition @expected is, compared as canonical JSON. */
void dft_test_assert_same_form (DftForm *expected, DftForm *actual);

G_END_DECLS
