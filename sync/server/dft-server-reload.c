/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib-unix.h>
#include <signal.h>
#include <string.h>
#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "dft-server-private.h"
#include "dft-server-reload.h"

struct _DftServerReload
{
  DftServer *server;
  /* What the server runs with: the settings a reload applied, the others as at start, so that
   * every reload until a restart says again which changes wait for it. */
  DftServerConfig *running;
  char            *urls;
  guint            hup_id;
  guint            term_id;
  guint            int_id;
};

/* sd_notify(3) when systemd started us (NOTIFY_SOCKET is set); nothing otherwise. */
static void
notify (const char *state)
{
#ifdef HAVE_LIBSYSTEMD
  int ret = sd_notify (0, state);

  if (ret < 0)
    g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE",
                      "could not tell the service manager \"%s\": %s", state, g_strerror (-ret));
#else
  (void) state;
#endif
}

static void
notify_ready (DftServerReload *self, const char *how)
{
  g_autofree char *state = g_strdup_printf ("READY=1\nSTATUS=%s; listening on %s", how, self->urls);

  notify (state);
}

static char *
listening_urls (DftServer *server)
{
  GSList  *uris = soup_server_get_uris (server->soup);
  GString *text = g_string_new (NULL);

  for (GSList *l = uris; l != NULL; l = l->next)
    {
      g_autofree char *url = g_uri_to_string (l->data);

      /* As the "listening on" line gives it. */
      if (g_str_has_suffix (url, "/"))
        url[strlen (url) - 1] = '\0';
      if (text->len > 0)
        g_string_append (text, ", ");
      g_string_append (text, url);
    }
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return g_string_free (text, FALSE);
}

static DftServerConfig *
config_copy (const DftServerConfig *config)
{
  DftServerConfig *copy = g_new0 (DftServerConfig, 1);

  *copy = *config;
  copy->path = g_strdup (config->path);
  copy->listen = g_strdup (config->listen);
  copy->data_dir = g_strdup (config->data_dir);
  copy->storage = g_strdup (config->storage);
  copy->tls_certificate = g_strdup (config->tls_certificate);
  copy->tls_key = g_strdup (config->tls_key);
  return copy;
}

/* The storage setting for the log: a PostgreSQL address without its password. */
static char *
storage_for_log (const char *storage)
{
  g_autoptr (GUri) uri = NULL;

  if (storage == NULL)
    return g_strdup ("sqlite");
  uri = g_uri_parse (storage, G_URI_FLAGS_HAS_PASSWORD, NULL);
  return uri != NULL ? g_uri_to_string_partial (uri, G_URI_HIDE_PASSWORD)
                     : g_strdup ("postgresql://…");
}

/* Logs one setting that a reload cannot apply. */
static void
needs_restart (const char *key, const char *running, const char *wanted)
{
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE",
                    "reload: %s changed from %s to %s, which takes effect only after a restart; "
                    "still using %s",
                    key, running, wanted, running);
}

/* The certificate and key, read again: a renewed certificate keeps its file names. */
static gboolean
reload_certificate (DftServerReload *self, const DftServerConfig *wanted, GError **error)
{
  g_autoptr (GTlsCertificate) certificate = NULL;

  certificate = g_tls_certificate_new_from_files (wanted->tls_certificate, wanted->tls_key, error);
  if (certificate == NULL)
    return FALSE;
  soup_server_set_tls_certificate (self->server->soup, certificate);
  g_free (self->server->tls_certificate);
  self->server->tls_certificate = g_strdup (wanted->tls_certificate);
  g_free (self->server->tls_key);
  self->server->tls_key = g_strdup (wanted->tls_key);
  g_free (self->running->tls_certificate);
  self->running->tls_certificate = g_strdup (wanted->tls_certificate);
  g_free (self->running->tls_key);
  self->running->tls_key = g_strdup (wanted->tls_key);
  return TRUE;
}

gboolean
dft_server_reload_now (DftServerReload *self, GError **error)
{
  g_autoptr (DftServerConfig) wanted = NULL;
  g_autoptr (GError)          tls_error = NULL;
  DftServerConfig            *running;
  DftServer                  *server;
  gboolean                    tls_running, tls_wanted;
  const char                 *tls_note = "no TLS";

  g_return_val_if_fail (self != NULL, FALSE);

  running = self->running;
  server = self->server;
  wanted = dft_server_config_load (running->path, error);
  if (wanted == NULL)
    return FALSE;

  if (!g_str_equal (wanted->listen, running->listen))
    needs_restart ("listen", running->listen, wanted->listen);
  if (wanted->port != running->port)
    {
      g_autofree char *from = g_strdup_printf ("%u", running->port);
      g_autofree char *to = g_strdup_printf ("%u", wanted->port);

      needs_restart ("port", from, to);
    }
  if (!g_str_equal (wanted->data_dir, running->data_dir))
    needs_restart ("data", running->data_dir, wanted->data_dir);
  /* The database is opened once, at start, and workers hold it. */
  if (g_strcmp0 (wanted->storage, running->storage) != 0)
    {
      g_autofree char *from = storage_for_log (running->storage);
      g_autofree char *to = storage_for_log (wanted->storage);

      needs_restart ("storage", from, to);
    }
  if (wanted->cluster != running->cluster)
    needs_restart ("cluster", running->cluster ? "yes" : "no", wanted->cluster ? "yes" : "no");
  if (wanted->allow_plain_lan != running->allow_plain_lan)
    needs_restart ("allow-plain-http", running->allow_plain_lan ? "lan" : "no",
                   wanted->allow_plain_lan ? "lan" : "no");

  /* The early handler reads the limit in the main loop, where this runs: a plain store. */
  server->max_body = wanted->max_body;
  running->max_body = wanted->max_body;
  /* Sign-in and enrolment read this in worker threads. */
  g_atomic_int_set (&server->token_days, wanted->token_days);
  running->token_days = wanted->token_days;

  /* The listening sockets are HTTPS or plain from the start; only their certificate changes. */
  tls_running = running->tls_certificate != NULL;
  tls_wanted = wanted->tls_certificate != NULL;
  if (tls_running != tls_wanted)
    {
      needs_restart ("tls-certificate", tls_running ? running->tls_certificate : "(none)",
                     tls_wanted ? wanted->tls_certificate : "(none)");
      tls_note = "TLS unchanged until a restart";
    }
  else if (tls_wanted)
    {
      if (reload_certificate (self, wanted, &tls_error))
        tls_note = "certificate and key reread";
      else
        {
          g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE",
                            "reload: the certificate or key did not load (%s); still using the "
                            "one loaded before",
                            tls_error->message);
          tls_note = "certificate kept: the new one did not load";
        }
    }

  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                    "reloaded %s: max-body=%" G_GSIZE_FORMAT " token-days=%u, %s", running->path,
                    running->max_body, running->token_days, tls_note);
  return TRUE;
}

static gboolean
hangup_cb (gpointer data)
{
  DftServerReload   *self = data;
  g_autoptr (GError) error = NULL;
  g_autofree char   *state = NULL;

  /* MONOTONIC_USEC lets a Type=notify-reload unit (systemd 253 and later) match this reply to
   * its signal; older ones ignore it. */
  state
      = g_strdup_printf ("RELOADING=1\nMONOTONIC_USEC=%" G_GINT64_FORMAT, g_get_monotonic_time ());
  notify (state);
  if (dft_server_reload_now (self, &error))
    notify_ready (self, "configuration reloaded");
  else
    {
      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE",
                        "reload failed, still running with the settings loaded before: %s",
                        error->message);
      notify_ready (self, "reload failed, see the log");
    }
  return G_SOURCE_CONTINUE;
}

/* dft_server_run() stops on these too (every source of a signal sees it); systemd learns at once
 * that the server is going, not only once the requests under way have finished. */
static gboolean
terminate_cb (gpointer data)
{
  notify ("STOPPING=1\nSTATUS=stopping: finishing the requests under way");
  return G_SOURCE_CONTINUE;
}

DftServerReload *
dft_server_reload_watch (DftServer *server, const DftServerConfig *config)
{
  DftServerReload *self;

  g_return_val_if_fail (DFT_IS_SERVER (server), NULL);
  g_return_val_if_fail (config != NULL && config->path != NULL, NULL);

  self = g_new0 (DftServerReload, 1);
  self->server = g_object_ref (server);
  self->running = config_copy (config);
  self->urls = listening_urls (server);
  self->hup_id = g_unix_signal_add (SIGHUP, hangup_cb, self);
  self->term_id = g_unix_signal_add (SIGTERM, terminate_cb, self);
  self->int_id = g_unix_signal_add (SIGINT, terminate_cb, self);
  notify_ready (self, "serving");
  return self;
}

void
dft_server_reload_unwatch (DftServerReload *self)
{
  if (self == NULL)
    return;
  notify ("STOPPING=1\nSTATUS=stopped");
  g_clear_handle_id (&self->hup_id, g_source_remove);
  g_clear_handle_id (&self->term_id, g_source_remove);
  g_clear_handle_id (&self->int_id, g_source_remove);
  g_clear_object (&self->server);
  dft_server_config_free (self->running);
  g_free (self->urls);
  g_free (self);
}
