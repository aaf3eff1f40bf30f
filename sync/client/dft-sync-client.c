/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <curl/curl.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "dft-sync-client-private.h"
#include "dft-token-store.h"
#include "dft-wire.h"

#define DEFAULT_SYNC_INTERVAL   (15 * 60)
#define DEFAULT_CONNECT_TIMEOUT 20
#define DEFAULT_STALL_TIMEOUT   30
#define DEFAULT_REQUEST_TIMEOUT 300
#define DEFAULT_MAX_ATTEMPTS    5
#define DEFAULT_RETRY_DELAY_MS  1000
#define DEFAULT_BATCH_BYTES     (32 * 1024)
#define NETWORK_SETTLE_MS       3000
#define PENDING_REFRESH_MS      300

/* The quark's name is a string: the formatter would put spaces in it. */
/* clang-format off */
G_DEFINE_QUARK (dft-sync-client-error-quark, dft_sync_client_error)
/* clang-format on */

G_DEFINE_ENUM_TYPE (DftSyncState,
                    dft_sync_state,
                    G_DEFINE_ENUM_VALUE (DFT_SYNC_STATE_IDLE, "idle"),
                    G_DEFINE_ENUM_VALUE (DFT_SYNC_STATE_SYNCING, "syncing"),
                    G_DEFINE_ENUM_VALUE (DFT_SYNC_STATE_OFFLINE, "offline"),
                    G_DEFINE_ENUM_VALUE (DFT_SYNC_STATE_ERROR, "error"))

struct _DftSyncClient
{
  GObject parent_instance;

  DftStore        *store;
  GMainContext    *context;
  GNetworkMonitor *monitor;

  char *set_aside_reason; /* see dft_sync_client_get_set_aside_reason() */

  /* Settings. */
  char    *server_url;
  char    *pinned_certificate;
  gboolean automatic;
  guint    sync_interval;
  guint    connect_timeout;
  guint    stall_timeout;
  guint    request_timeout;
  guint    max_attempts;
  guint    retry_delay_ms;
  guint    batch_bytes;

  DftSyncFlags flags; /* the halves of a sync left out (dft_sync_client_set_flags()) */

  /* State shown to people. */
  DftSyncState state;
  gboolean     signed_in;
  gint64       pending_changes;
  gint64       open_conflicts;
  gint64       last_sync;
  char        *last_error;
  char        *token_storage;
  double       progress;
  gint64       clock_drift_ms;

  /* Batch sizes learnt from the link, kept from one sync to the next. */
  guint   push_limit;
  guint   pull_limit;
  guint   target_bytes;
  guint64 link_bytes;

  /* Runs. */
  gboolean      running;
  gboolean      again;
  GCancellable *run_cancellable;
  GPtrArray    *run_waiters;
  GPtrArray    *queued_waiters;

  /* Scheduling. */
  gboolean network_available;
  GSource *interval_source;
  GSource *settle_source;
  GSource *pending_source;
};

G_DEFINE_FINAL_TYPE (DftSyncClient, dft_sync_client, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static void start_run (DftSyncClient *self);
static void schedule_interval (DftSyncClient *self);
static void refresh_state (DftSyncClient *self);

/* ---- The worker's side --------------------------------------------------- */

static void
run_free (gpointer data)
{
  Run *run = data;

  g_clear_pointer (&run->curl, curl_easy_cleanup);
  g_clear_object (&run->self);
  g_clear_object (&run->store);
  g_clear_pointer (&run->context, g_main_context_unref);
  g_clear_object (&run->cancellable);
  g_free (run->server_url);
  g_free (run->pinned_certificate);
  g_free (run->set_aside_reason);
  g_free (run->pin);
  if (run->token != NULL)
    memset (run->token, 0, strlen (run->token));
  g_free (run->token);
  g_free (run->endpoint);
  g_free (run->username);
  if (run->password != NULL)
    memset (run->password, 0, strlen (run->password));
  g_free (run->password);
  g_free (run->code);
  g_free (run);
}

/* Held weakly, like everything queued for the main loop: a client released meanwhile lets go
 * of its store at once instead of when the loop next runs. */
typedef struct
{
  GWeakRef self;
  guint    prop;
  double   d;
  gint64   i;
} Update;

static void
update_free (gpointer data)
{
  Update *update = data;

  g_weak_ref_clear (&update->self);
  g_free (update);
}

static void set_progress (DftSyncClient *self, double progress);
static void set_pending_changes (DftSyncClient *self, gint64 pending);
static void set_last_sync (DftSyncClient *self, gint64 ms);
static void set_clock_drift_ms (DftSyncClient *self, gint64 drift);

static gboolean
apply_update_cb (gpointer data)
{
  Update                   *update = data;
  g_autoptr (DftSyncClient) self = g_weak_ref_get (&update->self);

  if (self == NULL)
    return G_SOURCE_REMOVE;
  switch (update->prop)
    {
    case PROP_PROGRESS:
      set_progress (self, update->d);
      break;
    case PROP_PENDING_CHANGES:
      set_pending_changes (self, update->i);
      break;
    case PROP_LAST_SYNC:
      set_last_sync (self, update->i);
      break;
    case PROP_CLOCK_DRIFT_MS:
      set_clock_drift_ms (self, update->i);
      break;
    default:
      g_assert_not_reached ();
    }
  return G_SOURCE_REMOVE;
}

/*
 * Property changes go to the main context; the thread never sets them itself.
 * Not g_main_context_invoke(): from a thread with no context of its own it
 * runs the function right there whenever the main context is not busy, since
 * the global default context is every such thread's "thread-default" too.
 */
void
_dft_sync_client_post_update (Run *run, guint prop, double d, gint64 i)
{
  g_autoptr (GSource) source = g_idle_source_new ();
  Update             *update = g_new0 (Update, 1);

  g_weak_ref_init (&update->self, run->self);
  update->prop = prop;
  update->d = d;
  update->i = i;
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, apply_update_cb, update, update_free);
  g_source_attach (source, run->context);
}

/* ---- The main context's side --------------------------------------------- */

static void
ensure_curl (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      curl_global_init (CURL_GLOBAL_DEFAULT);
      g_once_init_leave (&done, 1);
    }
}

static Run *
run_new (DftSyncClient *self, GCancellable *cancellable)
{
  Run *run = g_new0 (Run, 1);

  run->self = g_object_ref (self);
  run->store = g_object_ref (self->store);
  run->context = g_main_context_ref (self->context);
  run->cancellable = cancellable != NULL ? g_object_ref (cancellable) : g_cancellable_new ();
  run->server_url = g_strdup (self->server_url);
  run->pinned_certificate = g_strdup (self->pinned_certificate);
  run->connect_timeout = self->connect_timeout;
  run->stall_timeout = self->stall_timeout;
  run->request_timeout = self->request_timeout;
  run->max_attempts = MAX (1, self->max_attempts);
  run->retry_delay_ms = self->retry_delay_ms;
  run->batch_bytes = MAX (MIN_BATCH_BYTES, self->batch_bytes);
  run->target_bytes = CLAMP (self->target_bytes, MIN_BATCH_BYTES, run->batch_bytes);
  run->push_limit = self->push_limit;
  run->pull_limit = self->pull_limit;
  run->link_bytes = self->link_bytes;
  /* The readable format, for debugging with a proxy that shows bodies. */
  run->json_wire = g_strcmp0 (g_getenv ("DAFTARI_SYNC_WIRE"), "json") == 0;
  run->flags = self->flags;
  return run;
}

/* g_set_str() is GLib 2.76. */
static gboolean
set_str (char **field, const char *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static void
notify (DftSyncClient *self, guint prop)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_state (DftSyncClient *self, DftSyncState state)
{
  if (self->state == state)
    return;
  self->state = state;
  notify (self, PROP_STATE);
}

static void
set_last_error (DftSyncClient *self, const char *message)
{
  if (set_str (&self->last_error, message))
    notify (self, PROP_LAST_ERROR);
}

static void
set_progress (DftSyncClient *self, double progress)
{
  if (self->progress == progress)
    return;
  self->progress = progress;
  notify (self, PROP_PROGRESS);
}

static void
set_pending_changes (DftSyncClient *self, gint64 pending)
{
  if (self->pending_changes == pending)
    return;
  self->pending_changes = pending;
  notify (self, PROP_PENDING_CHANGES);
}

static void
set_last_sync (DftSyncClient *self, gint64 ms)
{
  if (self->last_sync == ms)
    return;
  self->last_sync = ms;
  notify (self, PROP_LAST_SYNC);
}

static void
set_clock_drift_ms (DftSyncClient *self, gint64 drift)
{
  if (self->clock_drift_ms == drift)
    return;
  self->clock_drift_ms = drift;
  notify (self, PROP_CLOCK_DRIFT_MS);
}

static void
set_signed_in (DftSyncClient *self, gboolean signed_in)
{
  if (self->signed_in == signed_in)
    return;
  self->signed_in = signed_in;
  notify (self, PROP_SIGNED_IN);
}

static gboolean
is_network_error (const GError *error)
{
  return error->domain == DFT_SYNC_CLIENT_ERROR
         && (error->code == DFT_SYNC_CLIENT_ERROR_NETWORK
             || error->code == DFT_SYNC_CLIENT_ERROR_TIMED_OUT);
}

static GSource *
add_timeout (DftSyncClient *self, guint ms, GSourceFunc func)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, self, NULL);
  g_source_attach (source, self->context);
  return source;
}

static void
clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

/* A caller of sync_async() waiting for a run. */
typedef struct
{
  GTask *task;
  gulong cancelled_id;
} Waiter;

static void
waiter_free (gpointer data)
{
  Waiter *waiter = data;

  g_clear_object (&waiter->task);
  g_free (waiter);
}

static void
waiter_cancelled_cb (GCancellable *cancellable, gpointer user_data)
{
  /* Runs in the thread that cancelled; GCancellable is thread-safe. */
  g_cancellable_cancel (user_data);
}

static void
run_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftSyncClient        *self = DFT_SYNC_CLIENT (source);
  Run                  *run = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) waiters = g_steal_pointer (&self->run_waiters);
  gboolean              ok = g_task_propagate_boolean (G_TASK (result), &error);

  self->running = FALSE;
  self->push_limit = run->push_limit;
  self->pull_limit = run->pull_limit;
  self->target_bytes = run->target_bytes;
  self->link_bytes = run->link_bytes;

  if (ok)
    {
      set_last_error (self, NULL);
      set_progress (self, 1.0);
      set_state (self, DFT_SYNC_STATE_IDLE);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      set_progress (self, 0.0);
      set_state (self, DFT_SYNC_STATE_IDLE);
    }
  else
    {
      g_debug ("sync failed: %s", error->message);
      set_last_error (self, error->message);
      set_progress (self, 0.0);
      set_state (self, is_network_error (error) ? DFT_SYNC_STATE_OFFLINE : DFT_SYNC_STATE_ERROR);
    }

  g_clear_object (&self->run_cancellable);
  if (ok && run->set_aside_reason != NULL)
    {
      g_free (self->set_aside_reason);
      self->set_aside_reason = g_strdup (run->set_aside_reason);
    }
  /* A waiter's callback may run right away and start the next run itself. */
  for (guint i = 0; waiters != NULL && i < waiters->len; i++)
    {
      Waiter *waiter = g_ptr_array_index (waiters, i);

      if (waiter->cancelled_id != 0)
        g_cancellable_disconnect (g_task_get_cancellable (waiter->task), waiter->cancelled_id);
      waiter->cancelled_id = 0;
      if (ok)
        g_task_return_pointer (waiter->task, g_memdup2 (&run->stats, sizeof run->stats), g_free);
      else
        {
          /* What the sync did before it failed: the tries and waits, for a caller to see. */
          g_task_set_task_data (waiter->task, g_memdup2 (&run->stats, sizeof run->stats), g_free);
          g_task_return_error (waiter->task, g_error_copy (error));
        }
    }

  if (!self->running
      && (self->again || (self->queued_waiters != NULL && self->queued_waiters->len > 0)))
    start_run (self);
}

static void
start_run (DftSyncClient *self)
{
  g_autoptr (GTask) task = NULL;
  Run              *run;

  g_assert (!self->running);
  self->running = TRUE;
  self->again = FALSE;
  self->run_cancellable = g_cancellable_new ();
  self->run_waiters = g_steal_pointer (&self->queued_waiters);
  if (self->run_waiters == NULL)
    self->run_waiters = g_ptr_array_new_with_free_func (waiter_free);
  for (guint i = 0; i < self->run_waiters->len; i++)
    {
      Waiter       *waiter = g_ptr_array_index (self->run_waiters, i);
      GCancellable *cancellable = g_task_get_cancellable (waiter->task);

      if (cancellable != NULL)
        waiter->cancelled_id
            = g_cancellable_connect (cancellable, G_CALLBACK (waiter_cancelled_cb),
                                     g_object_ref (self->run_cancellable), g_object_unref);
    }

  set_progress (self, 0.0);
  set_state (self, DFT_SYNC_STATE_SYNCING);

  run = run_new (self, self->run_cancellable);
  task = g_task_new (self, self->run_cancellable, run_done_cb, NULL);
  g_task_set_source_tag (task, start_run);
  g_task_set_task_data (task, run, run_free);
  /* The run reports cancellation itself, once the thread has stopped touching the store. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, _dft_sync_thread);
}

void
dft_sync_client_sync_async (DftSyncClient      *self,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  Waiter           *waiter;

  g_return_if_fail (DFT_IS_SYNC_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dft_sync_client_sync_async);
  waiter = g_new0 (Waiter, 1);
  waiter->task = g_steal_pointer (&task);
  if (self->queued_waiters == NULL)
    self->queued_waiters = g_ptr_array_new_with_free_func (waiter_free);
  g_ptr_array_add (self->queued_waiters, waiter);

  /* A running sync may have read the log before the caller's latest change: queue one more. */
  if (!self->running)
    start_run (self);
}

gboolean
dft_sync_client_sync_finish (DftSyncClient *self,
                             GAsyncResult  *result,
                             DftSyncStats  *stats,
                             GError       **error)
{
  g_autofree DftSyncStats *got = NULL;

  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  got = g_task_propagate_pointer (G_TASK (result), error);
  if (got == NULL)
    {
      DftSyncStats *partial = g_task_get_task_data (G_TASK (result));

      if (stats != NULL)
        *stats = partial != NULL ? *partial : (DftSyncStats){ 0 };
      return FALSE;
    }
  if (stats != NULL)
    *stats = *got;
  return TRUE;
}

const char *
dft_sync_client_get_set_aside_reason (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), NULL);
  return self->set_aside_reason;
}

char *
dft_sync_set_aside_message (guint count, const char *reason)
{
  g_autofree char *head = g_strdup_printf (
      /* Translators: %u is a number of changes this laptop made */
      ngettext ("The server did not accept %u change made on this laptop; it is kept here, and "
                "the rest was sent.",
                "The server did not accept %u changes made on this laptop; they are kept here, "
                "and the rest was sent.",
                count),
      count);

  if (reason == NULL)
    return g_steal_pointer (&head);
  /* Translators: the first %s says what was not accepted, the second why, in the server's words */
  return g_strdup_printf (_ ("%s The latest: %s"), head, reason);
}

void
dft_sync_client_sync_now (DftSyncClient *self)
{
  g_return_if_fail (DFT_IS_SYNC_CLIENT (self));

  if (self->running)
    self->again = TRUE;
  else
    start_run (self);
}

void
dft_sync_client_cancel (DftSyncClient *self)
{
  g_return_if_fail (DFT_IS_SYNC_CLIENT (self));

  self->again = FALSE;
  if (self->run_cancellable != NULL)
    g_cancellable_cancel (self->run_cancellable);
}

/* A sign-in's, or a sign-out's (dft_sync_client_sign_out_async()). */
static void
sign_in_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DftSyncClient     *self = DFT_SYNC_CLIENT (source);
  g_autoptr (GTask)  task = user_data;
  g_autoptr (GError) error = NULL;
  gboolean           in = g_task_get_source_tag (task) != dft_sync_client_sign_out_async;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  set_signed_in (self, in);
  if (!in && set_str (&self->token_storage, NULL))
    notify (self, PROP_TOKEN_STORAGE);
  set_last_error (self, NULL);
  if (self->state == DFT_SYNC_STATE_ERROR)
    set_state (self, DFT_SYNC_STATE_IDLE);
  refresh_state (self);
  g_task_return_boolean (task, TRUE);
}

static void
sign_in (DftSyncClient      *self,
         Run                *run,
         gpointer            source_tag,
         GCancellable       *cancellable,
         GAsyncReadyCallback callback,
         gpointer            user_data)
{
  g_autoptr (GTask) inner = NULL;
  GTask            *outer = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (outer, source_tag);
  /* Its own run: a sign-in never waits for a sync, nor a sync for it. */
  inner = g_task_new (self, run->cancellable, sign_in_done_cb, outer);
  g_task_set_task_data (inner, run, run_free);
  g_task_run_in_thread (inner, _dft_sync_sign_in_thread);
}

void
dft_sync_client_login_async (DftSyncClient      *self,
                             const char         *username,
                             const char         *password,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  Run *run;

  g_return_if_fail (DFT_IS_SYNC_CLIENT (self));
  g_return_if_fail (username != NULL);
  g_return_if_fail (password != NULL);

  run = run_new (self, cancellable);
  run->endpoint = g_strdup ("login");
  run->username = g_strdup (username);
  run->password = g_strdup (password);
  sign_in (self, run, dft_sync_client_login_async, cancellable, callback, user_data);
}

gboolean
dft_sync_client_login_finish (DftSyncClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
dft_sync_client_enrol_async (DftSyncClient      *self,
                             const char         *code,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  Run *run;

  g_return_if_fail (DFT_IS_SYNC_CLIENT (self));
  g_return_if_fail (code != NULL);

  run = run_new (self, cancellable);
  run->endpoint = g_strdup ("enrol");
  run->code = g_strdup (code);
  sign_in (self, run, dft_sync_client_enrol_async, cancellable, callback, user_data);
}

gboolean
dft_sync_client_enrol_finish (DftSyncClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Signing out ---- */

static void
sign_out_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  g_autoptr (GError) error = NULL;
  /* The keyring may prompt, and the database is written: off the main thread. */
  gboolean ok = dft_token_store_clear (task_data, &error);

  /* The result waits for the main loop: it must not keep the store open meanwhile. */
  g_task_set_task_data (task, NULL, NULL);
  if (!ok)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
dft_sync_client_sign_out_async (DftSyncClient      *self,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  g_autoptr (GTask) inner = NULL;
  GTask            *outer;

  g_return_if_fail (DFT_IS_SYNC_CLIENT (self));

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, dft_sync_client_sign_out_async);
  inner = g_task_new (self, cancellable, sign_in_done_cb, outer);
  g_task_set_task_data (inner, g_object_ref (self->store), g_object_unref);
  g_task_run_in_thread (inner, sign_out_thread);
}

gboolean
dft_sync_client_sign_out_finish (DftSyncClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- What the store holds about sync, read off the main thread ---- */

typedef struct
{
  gboolean signed_in;
  char    *server_url;
  char    *token_storage;
  gint64   last_sync;
  gint64   pending;
  gint64   open_conflicts;
} Snapshot;

static void
snapshot_free (gpointer data)
{
  Snapshot *snapshot = data;

  g_free (snapshot->server_url);
  g_free (snapshot->token_storage);
  g_free (snapshot);
}

static void
snapshot_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  DftStore     *store = task_data;
  Snapshot     *snapshot = g_new0 (Snapshot, 1);
  DftTokenPlace place = dft_token_store_get_place (store, &snapshot->token_storage, NULL);

  snapshot->server_url = _dft_sync_state_get_string (store, "server_url", NULL);
  snapshot->signed_in = place != DFT_TOKEN_PLACE_NONE && snapshot->server_url != NULL;
  _dft_sync_state_get_int (store, "last_sync", &snapshot->last_sync, NULL);
  snapshot->pending = dft_store_count_pending_changes (store, NULL);
  snapshot->open_conflicts = dft_store_count_open_conflicts (store, NULL);
  /* The result waits for the main loop: it must not keep the store open meanwhile. */
  g_task_set_task_data (task, NULL, NULL);
  g_task_return_pointer (task, snapshot, snapshot_free);
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

static void
snapshot_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (DftSyncClient) self = g_weak_ref_get (user_data);
  Snapshot                 *snapshot = g_task_propagate_pointer (G_TASK (result), NULL);

  weak_ref_free (user_data);
  if (snapshot == NULL)
    return;
  if (self == NULL)
    {
      snapshot_free (snapshot);
      return;
    }
  set_signed_in (self, snapshot->signed_in);
  if (set_str (&self->token_storage, snapshot->token_storage))
    notify (self, PROP_TOKEN_STORAGE);
  if (self->server_url == NULL && snapshot->server_url != NULL)
    dft_sync_client_set_server_url (self, snapshot->server_url);
  set_last_sync (self, snapshot->last_sync);
  if (snapshot->pending >= 0)
    set_pending_changes (self, snapshot->pending);
  if (snapshot->open_conflicts >= 0 && self->open_conflicts != snapshot->open_conflicts)
    {
      self->open_conflicts = snapshot->open_conflicts;
      notify (self, PROP_OPEN_CONFLICTS);
    }
  snapshot_free (snapshot);
}

static void
refresh_state (DftSyncClient *self)
{
  GWeakRef         *ref = g_new0 (GWeakRef, 1);
  g_autoptr (GTask) task = NULL;

  /* Weakly held, like everything queued for the main loop. */
  g_weak_ref_init (ref, self);
  task = g_task_new (NULL, NULL, snapshot_done_cb, ref);
  g_task_set_source_tag (task, refresh_state);
  g_task_set_task_data (task, g_object_ref (self->store), g_object_unref);
  g_task_run_in_thread (task, snapshot_thread);
}

static gboolean
pending_refresh_cb (gpointer user_data)
{
  DftSyncClient *self = user_data;

  g_clear_pointer (&self->pending_source, g_source_unref);
  refresh_state (self);
  return G_SOURCE_REMOVE;
}

static gboolean
store_changed_idle_cb (gpointer user_data)
{
  g_autoptr (DftSyncClient) self = g_weak_ref_get (user_data);

  if (self != NULL && self->store != NULL && self->pending_source == NULL)
    self->pending_source = add_timeout (self, PENDING_REFRESH_MS, pending_refresh_cb);
  return G_SOURCE_REMOVE;
}

/*
 * Every saved change is one more to send: count again, once a burst of saves
 * is over. The store may emit "changed" from the thread that applied a pull
 * (it uses g_main_context_invoke()), so this only hops to our own context.
 */
static void
store_changed_cb (DftSyncClient *self, const char *entity, GStrv ids, DftStore *store)
{
  g_autoptr (GSource) source = g_idle_source_new ();
  GWeakRef           *ref = g_new0 (GWeakRef, 1);

  g_weak_ref_init (ref, self);
  g_source_set_callback (source, store_changed_idle_cb, ref, weak_ref_free);
  g_source_attach (source, self->context);
}

/* ---- Scheduling ---------------------------------------------------------- */

static gboolean
can_sync_by_itself (DftSyncClient *self)
{
  return self->automatic && self->signed_in && self->network_available;
}

static gboolean
settle_cb (gpointer user_data)
{
  DftSyncClient *self = user_data;

  g_clear_pointer (&self->settle_source, g_source_unref);
  if (can_sync_by_itself (self) && !self->running)
    start_run (self);
  return G_SOURCE_REMOVE;
}

static void
network_changed_cb (DftSyncClient *self, gboolean available, GNetworkMonitor *monitor)
{
  gboolean was = self->network_available;

  self->network_available = available;
  if (!available)
    {
      clear_source (&self->settle_source);
      if (!self->running)
        set_state (self, DFT_SYNC_STATE_OFFLINE);
      return;
    }
  if (!self->running && self->state == DFT_SYNC_STATE_OFFLINE)
    set_state (self, DFT_SYNC_STATE_IDLE);
  /* A network that just came up often has a captive portal or DHCP still settling. */
  if (!was && self->settle_source == NULL)
    self->settle_source = add_timeout (self, NETWORK_SETTLE_MS, settle_cb);
}

static gboolean
interval_cb (gpointer user_data)
{
  DftSyncClient *self = user_data;

  if (can_sync_by_itself (self) && !self->running)
    start_run (self);
  return G_SOURCE_CONTINUE;
}

static void
schedule_interval (DftSyncClient *self)
{
  clear_source (&self->interval_source);
  if (self->automatic && self->sync_interval > 0)
    self->interval_source = add_timeout (self, self->sync_interval * 1000, interval_cb);
}

/* ---- GObject ------------------------------------------------------------- */

DftSyncClient *
dft_sync_client_new (DftStore *store)
{
  g_return_val_if_fail (DFT_IS_STORE (store), NULL);
  return g_object_new (DFT_TYPE_SYNC_CLIENT, "store", store, NULL);
}

static void
dft_sync_client_constructed (GObject *object)
{
  DftSyncClient *self = DFT_SYNC_CLIENT (object);

  G_OBJECT_CLASS (dft_sync_client_parent_class)->constructed (object);

  g_assert (self->store != NULL);
  if (self->monitor == NULL)
    self->monitor = g_object_ref (g_network_monitor_get_default ());
  self->network_available = g_network_monitor_get_network_available (self->monitor);
  if (!self->network_available)
    self->state = DFT_SYNC_STATE_OFFLINE;
  g_signal_connect_object (self->monitor, "network-changed", G_CALLBACK (network_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->store, "changed", G_CALLBACK (store_changed_cb), self,
                           G_CONNECT_SWAPPED);
  schedule_interval (self);
  refresh_state (self);
}

static void
dft_sync_client_dispose (GObject *object)
{
  DftSyncClient *self = DFT_SYNC_CLIENT (object);

  clear_source (&self->interval_source);
  clear_source (&self->settle_source);
  clear_source (&self->pending_source);
  g_clear_object (&self->monitor);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (dft_sync_client_parent_class)->dispose (object);
}

static void
dft_sync_client_finalize (GObject *object)
{
  DftSyncClient *self = DFT_SYNC_CLIENT (object);

  /* A run holds a reference: none can be under way here. */
  g_assert (!self->running);
  g_clear_pointer (&self->queued_waiters, g_ptr_array_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self->set_aside_reason);
  g_free (self->server_url);
  g_free (self->pinned_certificate);
  g_free (self->last_error);
  g_free (self->token_storage);

  G_OBJECT_CLASS (dft_sync_client_parent_class)->finalize (object);
}

static void
dft_sync_client_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  DftSyncClient *self = DFT_SYNC_CLIENT (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    case PROP_NETWORK_MONITOR:
      g_value_set_object (value, self->monitor);
      break;
    case PROP_SERVER_URL:
      g_value_set_string (value, self->server_url);
      break;
    case PROP_PINNED_CERTIFICATE:
      g_value_set_string (value, self->pinned_certificate);
      break;
    case PROP_AUTOMATIC:
      g_value_set_boolean (value, self->automatic);
      break;
    case PROP_SYNC_INTERVAL:
      g_value_set_uint (value, self->sync_interval);
      break;
    case PROP_CONNECT_TIMEOUT:
      g_value_set_uint (value, self->connect_timeout);
      break;
    case PROP_STALL_TIMEOUT:
      g_value_set_uint (value, self->stall_timeout);
      break;
    case PROP_REQUEST_TIMEOUT:
      g_value_set_uint (value, self->request_timeout);
      break;
    case PROP_MAX_ATTEMPTS:
      g_value_set_uint (value, self->max_attempts);
      break;
    case PROP_RETRY_DELAY_MS:
      g_value_set_uint (value, self->retry_delay_ms);
      break;
    case PROP_BATCH_BYTES:
      g_value_set_uint (value, self->batch_bytes);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_SIGNED_IN:
      g_value_set_boolean (value, self->signed_in);
      break;
    case PROP_PENDING_CHANGES:
      g_value_set_int64 (value, self->pending_changes);
      break;
    case PROP_OPEN_CONFLICTS:
      g_value_set_int64 (value, self->open_conflicts);
      break;
    case PROP_LAST_SYNC:
      g_value_set_int64 (value, self->last_sync);
      break;
    case PROP_LAST_ERROR:
      g_value_set_string (value, self->last_error);
      break;
    case PROP_TOKEN_STORAGE:
      g_value_set_string (value, self->token_storage);
      break;
    case PROP_PROGRESS:
      g_value_set_double (value, self->progress);
      break;
    case PROP_CLOCK_DRIFT_MS:
      g_value_set_int64 (value, self->clock_drift_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_uint_prop (DftSyncClient *self, guint *field, guint value, guint prop)
{
  if (*field == value)
    return;
  *field = value;
  notify (self, prop);
}

static void
dft_sync_client_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  DftSyncClient *self = DFT_SYNC_CLIENT (object);

  switch (prop_id)
    {
    case PROP_STORE:
      self->store = g_value_dup_object (value);
      break;
    case PROP_NETWORK_MONITOR:
      self->monitor = g_value_dup_object (value);
      break;
    case PROP_SERVER_URL:
      dft_sync_client_set_server_url (self, g_value_get_string (value));
      break;
    case PROP_PINNED_CERTIFICATE:
      dft_sync_client_set_pinned_certificate (self, g_value_get_string (value));
      break;
    case PROP_AUTOMATIC:
      dft_sync_client_set_automatic (self, g_value_get_boolean (value));
      break;
    case PROP_SYNC_INTERVAL:
      dft_sync_client_set_sync_interval (self, g_value_get_uint (value));
      break;
    case PROP_CONNECT_TIMEOUT:
      set_uint_prop (self, &self->connect_timeout, g_value_get_uint (value), prop_id);
      break;
    case PROP_STALL_TIMEOUT:
      set_uint_prop (self, &self->stall_timeout, g_value_get_uint (value), prop_id);
      break;
    case PROP_REQUEST_TIMEOUT:
      set_uint_prop (self, &self->request_timeout, g_value_get_uint (value), prop_id);
      break;
    case PROP_MAX_ATTEMPTS:
      set_uint_prop (self, &self->max_attempts, g_value_get_uint (value), prop_id);
      break;
    case PROP_RETRY_DELAY_MS:
      set_uint_prop (self, &self->retry_delay_ms, g_value_get_uint (value), prop_id);
      break;
    case PROP_BATCH_BYTES:
      set_uint_prop (self, &self->batch_bytes, g_value_get_uint (value), prop_id);
      self->target_bytes = self->batch_bytes;
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dft_sync_client_class_init (DftSyncClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags   rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  GParamFlags   ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  GParamFlags   co = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = dft_sync_client_constructed;
  object_class->dispose = dft_sync_client_dispose;
  object_class->finalize = dft_sync_client_finalize;
  object_class->get_property = dft_sync_client_get_property;
  object_class->set_property = dft_sync_client_set_property;

  properties[PROP_STORE] = g_param_spec_object ("store", NULL, NULL, DFT_TYPE_STORE, co);
  /* For tests; the default is GIO's. */
  properties[PROP_NETWORK_MONITOR]
      = g_param_spec_object ("network-monitor", NULL, NULL, G_TYPE_NETWORK_MONITOR, co);
  /* NULL: the server this device signed in to, as saved in the store. */
  properties[PROP_SERVER_URL] = g_param_spec_string ("server-url", NULL, NULL, NULL, rw);
  /* A PEM file with a workshop server's self-signed certificate: that server alone is trusted. */
  properties[PROP_PINNED_CERTIFICATE]
      = g_param_spec_string ("pinned-certificate", NULL, NULL, NULL, rw);
  /* Sync when the network appears and every sync-interval seconds. */
  properties[PROP_AUTOMATIC] = g_param_spec_boolean ("automatic", NULL, NULL, TRUE, rw);
  properties[PROP_SYNC_INTERVAL] = g_param_spec_uint ("sync-interval", NULL, NULL, 0, 7 * 24 * 3600,
                                                      DEFAULT_SYNC_INTERVAL, rw);
  /* Seconds to wait for a connection; a transfer slower than 10 bytes/s for stall-timeout
   * seconds is a stalled link; request-timeout caps a whole request. */
  properties[PROP_CONNECT_TIMEOUT]
      = g_param_spec_uint ("connect-timeout", NULL, NULL, 1, 600, DEFAULT_CONNECT_TIMEOUT, rw);
  properties[PROP_STALL_TIMEOUT]
      = g_param_spec_uint ("stall-timeout", NULL, NULL, 1, 600, DEFAULT_STALL_TIMEOUT, rw);
  properties[PROP_REQUEST_TIMEOUT]
      = g_param_spec_uint ("request-timeout", NULL, NULL, 1, 3600, DEFAULT_REQUEST_TIMEOUT, rw);
  /* Tries of one step before a sync gives up. While the server cannot be reached or is busy
   * the wait between them doubles from retry-delay-ms, with jitter, up to a minute; after a
   * transfer the link cut, it is retry-delay-ms capped at 200 ms (dft-sync-transport.c). */
  properties[PROP_MAX_ATTEMPTS]
      = g_param_spec_uint ("max-attempts", NULL, NULL, 1, 100, DEFAULT_MAX_ATTEMPTS, rw);
  properties[PROP_RETRY_DELAY_MS]
      = g_param_spec_uint ("retry-delay-ms", NULL, NULL, 0, 600000, DEFAULT_RETRY_DELAY_MS, rw);
  /* The largest compressed push batch; it halves when a connection drops. */
  properties[PROP_BATCH_BYTES] = g_param_spec_uint ("batch-bytes", NULL, NULL, MIN_BATCH_BYTES,
                                                    DFT_WIRE_MAX_GZIP, DEFAULT_BATCH_BYTES, rw);

  properties[PROP_STATE]
      = g_param_spec_enum ("state", NULL, NULL, DFT_TYPE_SYNC_STATE, DFT_SYNC_STATE_IDLE, ro);
  properties[PROP_SIGNED_IN] = g_param_spec_boolean ("signed-in", NULL, NULL, FALSE, ro);
  properties[PROP_PENDING_CHANGES]
      = g_param_spec_int64 ("pending-changes", NULL, NULL, 0, G_MAXINT64, 0, ro);
  /* Unix milliseconds of the last complete sync, 0 for never. */
  properties[PROP_LAST_SYNC] = g_param_spec_int64 ("last-sync", NULL, NULL, 0, G_MAXINT64, 0, ro);
  /* Translated, for people; NULL after a sync that worked. */
  properties[PROP_LAST_ERROR] = g_param_spec_string ("last-error", NULL, NULL, NULL, ro);
  /* Translated, for people: where the device's token is kept (the keyring, or the database and
   * why); NULL when the device is not signed in. */
  properties[PROP_TOKEN_STORAGE] = g_param_spec_string ("token-storage", NULL, NULL, NULL, ro);
  properties[PROP_PROGRESS] = g_param_spec_double ("progress", NULL, NULL, 0.0, 1.0, 0.0, ro);
  /* The server's clock minus this device's; beyond DFT_HLC_MAX_DRIFT_MS either way is worth
   * telling the user. */
  properties[PROP_CLOCK_DRIFT_MS]
      = g_param_spec_int64 ("clock-drift-ms", NULL, NULL, G_MININT64, G_MAXINT64, 0, ro);

  /* Conflicts this replica keeps that no coordinator has decided yet. */
  properties[PROP_OPEN_CONFLICTS]
      = g_param_spec_int64 ("open-conflicts", NULL, NULL, 0, G_MAXINT64, 0, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
  ensure_curl ();
}

static void
dft_sync_client_init (DftSyncClient *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->automatic = TRUE;
  self->sync_interval = DEFAULT_SYNC_INTERVAL;
  self->connect_timeout = DEFAULT_CONNECT_TIMEOUT;
  self->stall_timeout = DEFAULT_STALL_TIMEOUT;
  self->request_timeout = DEFAULT_REQUEST_TIMEOUT;
  self->max_attempts = DEFAULT_MAX_ATTEMPTS;
  self->retry_delay_ms = DEFAULT_RETRY_DELAY_MS;
  self->batch_bytes = DEFAULT_BATCH_BYTES;
  self->target_bytes = DEFAULT_BATCH_BYTES;
  self->push_limit = PUSH_LIMIT_START;
  self->pull_limit = PULL_LIMIT_START;
  self->state = DFT_SYNC_STATE_IDLE;
}

/* ---- Accessors ---- */

DftStore *
dft_sync_client_get_store (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), NULL);
  return self->store;
}

const char *
dft_sync_client_get_server_url (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), NULL);
  return self->server_url;
}

void
dft_sync_client_set_server_url (DftSyncClient *self, const char *url)
{
  g_return_if_fail (DFT_IS_SYNC_CLIENT (self));
  if (set_str (&self->server_url, url != NULL && *url != '\0' ? url : NULL))
    notify (self, PROP_SERVER_URL);
}

const char *
dft_sync_client_get_pinned_certificate (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), NULL);
  return self->pinned_certificate;
}

void
dft_sync_client_set_pinned_certificate (DftSyncClient *self, const char *pem_path)
{
  g_return_if_fail (DFT_IS_SYNC_CLIENT (self));
  if (set_str (&self->pinned_certificate, pem_path != NULL && *pem_path != '\0' ? pem_path : NULL))
    notify (self, PROP_PINNED_CERTIFICATE);
}

gboolean
dft_sync_client_get_automatic (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), FALSE);
  return self->automatic;
}

void
dft_sync_client_set_automatic (DftSyncClient *self, gboolean automatic)
{
  g_return_if_fail (DFT_IS_SYNC_CLIENT (self));
  automatic = !!automatic;
  if (self->automatic == automatic)
    return;
  self->automatic = automatic;
  if (!automatic)
    clear_source (&self->settle_source);
  if (self->store != NULL)
    schedule_interval (self);
  notify (self, PROP_AUTOMATIC);
}

guint
dft_sync_client_get_sync_interval (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), 0);
  return self->sync_interval;
}

void
dft_sync_client_set_sync_interval (DftSyncClient *self, guint seconds)
{
  g_return_if_fail (DFT_IS_SYNC_CLIENT (self));
  if (self->sync_interval == seconds)
    return;
  self->sync_interval = seconds;
  if (self->store != NULL)
    schedule_interval (self);
  notify (self, PROP_SYNC_INTERVAL);
}

DftSyncFlags
dft_sync_client_get_flags (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), DFT_SYNC_FLAGS_NONE);
  return self->flags;
}

void
dft_sync_client_set_flags (DftSyncClient *self, DftSyncFlags flags)
{
  g_return_if_fail (DFT_IS_SYNC_CLIENT (self));
  /* A sync that neither sends nor receives would only say it succeeded. */
  g_return_if_fail ((flags & (DFT_SYNC_FLAGS_NO_PULL | DFT_SYNC_FLAGS_NO_PUSH))
                    != (DFT_SYNC_FLAGS_NO_PULL | DFT_SYNC_FLAGS_NO_PUSH));
  self->flags = flags;
}

DftSyncState
dft_sync_client_get_state (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), DFT_SYNC_STATE_IDLE);
  return self->state;
}

gboolean
dft_sync_client_get_signed_in (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), FALSE);
  return self->signed_in;
}

gint64
dft_sync_client_get_open_conflicts (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), 0);
  return self->open_conflicts;
}

gint64
dft_sync_client_get_pending_changes (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), 0);
  return self->pending_changes;
}

gint64
dft_sync_client_get_last_sync (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), 0);
  return self->last_sync;
}

const char *
dft_sync_client_get_last_error (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), NULL);
  return self->last_error;
}

const char *
dft_sync_client_get_token_storage (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), NULL);
  return self->token_storage;
}

double
dft_sync_client_get_progress (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), 0.0);
  return self->progress;
}

gint64
dft_sync_client_get_clock_drift_ms (DftSyncClient *self)
{
  g_return_val_if_fail (DFT_IS_SYNC_CLIENT (self), 0);
  return self->clock_drift_ms;
}
