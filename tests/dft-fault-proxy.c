/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "dft-fault-proxy.h"

/*
 * Each connection is a pair of sockets and two pipes (client to upstream,
 * upstream to client). Bytes read are queued with the time they may leave
 * (now + delay) and written out no faster than the rate allows; a shared
 * "next send" time per direction makes the rate a property of the link, as on
 * a real slow line, not of each connection. One GSource per connection holds
 * both file descriptors and a ready time for the next timed event.
 */

#define READ_CHUNK    (16 * 1024)
#define MAX_QUEUED    (256 * 1024)
#define RATE_SLICES   50 /* a rate-limited write carries at most 1/50 s of bytes */
#define DIR_UP        0
#define DIR_DOWN      1
#define SOCK_CLIENT   0
#define SOCK_UPSTREAM 1

typedef struct
{
  gint64 release_us;
  gsize  len;
  gsize  off;
  guint8 data[];
} Chunk;

typedef struct
{
  GQueue   chunks;
  gsize    queued;
  gboolean read_eof;   /* the source side sent its FIN */
  gboolean shut;       /* and we passed it on, with every byte before it */
  gboolean want_write; /* the destination's send buffer is full */
} Pipe;

typedef struct _Conn Conn;

typedef struct
{
  GSource source;
  Conn   *conn;
} ConnSource;

struct _Conn
{
  DftFaultProxy *proxy;
  GSocket       *sock[2]; /* SOCK_CLIENT, SOCK_UPSTREAM */
  gpointer       tag[2];
  Pipe           pipe[2]; /* DIR_UP reads the client, DIR_DOWN reads upstream */
  GSource       *source;
  guint64        passed;
};

typedef struct
{
  guint    delay_ms[2];
  guint64  rate[2];
  guint64  cut_after;
  gboolean refuse;
  gboolean paused;
} Knobs;

struct _DftFaultProxy
{
  GMutex                lock; /* knobs, counters, open */
  Knobs                 knobs;
  DftFaultProxyCounters counters;
  guint                 open;

  /* Only the proxy thread touches these while it runs. */
  GMainContext *context;
  GThread      *thread;
  GSocket      *listener;
  GSource      *accept_source;
  GList        *conns;
  gint64        next_send_us[2];
  guint16       port;
  guint16       upstream_port;
  gint          quit;
};

static void conn_pump (Conn *conn);

static void
chunk_queue_clear (GQueue *queue)
{
  g_queue_clear_full (queue, g_free);
}

static void
conn_close (Conn *conn)
{
  DftFaultProxy *proxy = conn->proxy;

  proxy->conns = g_list_remove (proxy->conns, conn);
  if (conn->source != NULL)
    {
      g_source_destroy (conn->source);
      g_clear_pointer (&conn->source, g_source_unref);
    }
  for (guint i = 0; i < 2; i++)
    {
      if (conn->sock[i] != NULL)
        g_socket_close (conn->sock[i], NULL);
      g_clear_object (&conn->sock[i]);
      chunk_queue_clear (&conn->pipe[i].chunks);
    }
  g_mutex_lock (&proxy->lock);
  proxy->open--;
  g_mutex_unlock (&proxy->lock);
  g_free (conn);
}

static gboolean
conn_source_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  Conn *conn = ((ConnSource *) source)->conn;

  for (guint i = 0; i < 2; i++)
    {
      GIOCondition revents;

      if (conn->tag[i] == NULL)
        continue;
      revents = g_source_query_unix_fd (source, conn->tag[i]);
      /* Poll reports a hang-up or error whether asked or not, so a watched
       * socket in that state would make the source spin. Stop watching it:
       * from now on its reads and writes end at once (EOF or an error) and
       * the pump, which always tries them, sees that without polling. */
      if ((revents & (G_IO_HUP | G_IO_ERR)) != 0)
        {
          g_source_remove_unix_fd (source, conn->tag[i]);
          conn->tag[i] = NULL;
        }
    }
  conn_pump (conn);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs conn_source_funcs = {
  .dispatch = conn_source_dispatch,
};

static void
snapshot_knobs (DftFaultProxy *proxy, Knobs *knobs)
{
  g_mutex_lock (&proxy->lock);
  *knobs = proxy->knobs;
  g_mutex_unlock (&proxy->lock);
}

static void
count_bytes (DftFaultProxy *proxy, guint dir, gsize n)
{
  g_mutex_lock (&proxy->lock);
  if (dir == DIR_UP)
    proxy->counters.bytes_up += n;
  else
    proxy->counters.bytes_down += n;
  g_mutex_unlock (&proxy->lock);
}

static void
count_cut (DftFaultProxy *proxy)
{
  g_mutex_lock (&proxy->lock);
  proxy->counters.cuts++;
  g_mutex_unlock (&proxy->lock);
}

/* Reads what the source side has into the queue; FALSE when the connection is gone. */
static gboolean
pipe_read (Conn *conn, guint dir, const Knobs *knobs, gint64 now)
{
  Pipe    *pipe = &conn->pipe[dir];
  GSocket *from = conn->sock[dir == DIR_UP ? SOCK_CLIENT : SOCK_UPSTREAM];

  while (!pipe->read_eof && pipe->queued < MAX_QUEUED)
    {
      g_autoptr (GError) error = NULL;
      guint8             buffer[READ_CHUNK];
      gssize             n;
      Chunk             *chunk;

      n = g_socket_receive (from, (char *) buffer, sizeof buffer, NULL, &error);
      if (n < 0)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            return TRUE;
          g_debug ("fault proxy: read failed: %s", error->message);
          conn_close (conn);
          return FALSE;
        }
      if (n == 0)
        {
          pipe->read_eof = TRUE;
          return TRUE;
        }
      chunk = g_malloc (sizeof (Chunk) + (gsize) n);
      chunk->release_us = now + (gint64) knobs->delay_ms[dir] * 1000;
      chunk->len = (gsize) n;
      chunk->off = 0;
      memcpy (chunk->data, buffer, (gsize) n);
      g_queue_push_tail (&pipe->chunks, chunk);
      pipe->queued += (gsize) n;
    }
  return TRUE;
}

/* Writes what is due; FALSE when the connection is gone. *wake_us gets the next due time. */
static gboolean
pipe_write (Conn *conn, guint dir, const Knobs *knobs, gint64 now, gint64 *wake_us)
{
  DftFaultProxy *proxy = conn->proxy;
  Pipe          *pipe = &conn->pipe[dir];
  GSocket       *to = conn->sock[dir == DIR_UP ? SOCK_UPSTREAM : SOCK_CLIENT];
  Chunk         *chunk;

  pipe->want_write = FALSE;
  while (!knobs->paused && (chunk = g_queue_peek_head (&pipe->chunks)) != NULL)
    {
      g_autoptr (GError) error = NULL;
      gsize              len = chunk->len - chunk->off;
      gssize             n;

      if (knobs->cut_after > 0 && conn->passed >= knobs->cut_after)
        {
          count_cut (proxy);
          conn_close (conn);
          return FALSE;
        }
      if (chunk->release_us > now)
        {
          *wake_us = MIN (*wake_us, chunk->release_us);
          break;
        }
      if (knobs->rate[dir] > 0)
        {
          if (proxy->next_send_us[dir] > now)
            {
              *wake_us = MIN (*wake_us, proxy->next_send_us[dir]);
              break;
            }
          len = MIN (len, MAX (1, knobs->rate[dir] / RATE_SLICES));
        }
      if (knobs->cut_after > 0)
        len = MIN (len, knobs->cut_after - conn->passed);

      n = g_socket_send (to, (const char *) chunk->data + chunk->off, len, NULL, &error);
      if (n < 0)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            {
              pipe->want_write = TRUE;
              break;
            }
          g_debug ("fault proxy: write failed: %s", error->message);
          conn_close (conn);
          return FALSE;
        }
      chunk->off += (gsize) n;
      pipe->queued -= (gsize) n;
      conn->passed += (guint64) n;
      count_bytes (proxy, dir, (gsize) n);
      if (knobs->rate[dir] > 0)
        proxy->next_send_us[dir] = MAX (proxy->next_send_us[dir], now)
                                   + (gint64) ((guint64) n * G_USEC_PER_SEC / knobs->rate[dir]);
      if (chunk->off == chunk->len)
        g_free (g_queue_pop_head (&pipe->chunks));
      if (knobs->cut_after > 0 && conn->passed >= knobs->cut_after)
        {
          count_cut (proxy);
          conn_close (conn);
          return FALSE;
        }
    }

  if (pipe->read_eof && pipe->queued == 0 && !pipe->shut)
    {
      /* Pass the half-close on: HTTP/1.0 style clients send a FIN after the request. */
      g_socket_shutdown (to, FALSE, TRUE, NULL);
      pipe->shut = TRUE;
    }
  return TRUE;
}

static void
conn_pump (Conn *conn)
{
  Knobs  knobs;
  gint64 now = g_get_monotonic_time ();
  gint64 wake_us = G_MAXINT64;

  snapshot_knobs (conn->proxy, &knobs);
  for (guint dir = 0; dir < 2; dir++)
    {
      if (!pipe_read (conn, dir, &knobs, now))
        return;
      if (!pipe_write (conn, dir, &knobs, now, &wake_us))
        return;
    }
  if (conn->pipe[DIR_UP].shut && conn->pipe[DIR_DOWN].shut)
    {
      conn_close (conn);
      return;
    }

  for (guint i = 0; i < 2; i++)
    {
      /* Socket i is read by pipe i (SOCK_CLIENT == DIR_UP) and written by the other. */
      GIOCondition cond = 0;

      if (conn->tag[i] == NULL)
        continue;
      if (!conn->pipe[i].read_eof && conn->pipe[i].queued < MAX_QUEUED)
        cond |= G_IO_IN;
      if (conn->pipe[1 - i].want_write)
        cond |= G_IO_OUT;
      g_source_modify_unix_fd (conn->source, conn->tag[i], cond);
    }
  g_source_set_ready_time (conn->source, wake_us == G_MAXINT64 ? -1 : wake_us);
}

static void
reset_and_close (GSocket *socket)
{
  struct linger linger = { .l_onoff = 1, .l_linger = 0 };

  /* A zero linger makes close() send a reset instead of a FIN. */
  setsockopt (g_socket_get_fd (socket), SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
  g_socket_close (socket, NULL);
}

static GSocket *
connect_upstream (DftFaultProxy *self, GError **error)
{
  g_autoptr (GInetAddress)   loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, self->upstream_port);
  g_autoptr (GSocket)        socket = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return NULL;
  /* Loopback connects at once or is refused at once, so blocking here is fine. */
  if (!g_socket_connect (socket, address, NULL, error))
    return NULL;
  return g_steal_pointer (&socket);
}

static void
conn_start (DftFaultProxy *self, GSocket *client)
{
  g_autoptr (GError)  error = NULL;
  g_autoptr (GSocket) upstream = connect_upstream (self, &error);
  Conn               *conn;

  if (upstream == NULL)
    {
      g_debug ("fault proxy: upstream: %s", error->message);
      reset_and_close (client);
      return;
    }

  conn = g_new0 (Conn, 1);
  conn->proxy = self;
  conn->sock[SOCK_CLIENT] = g_object_ref (client);
  conn->sock[SOCK_UPSTREAM] = g_steal_pointer (&upstream);
  conn->source = g_source_new (&conn_source_funcs, sizeof (ConnSource));
  ((ConnSource *) conn->source)->conn = conn;
  g_source_set_name (conn->source, "DftFaultProxy connection");
  for (guint i = 0; i < 2; i++)
    {
      g_socket_set_blocking (conn->sock[i], FALSE);
      /* Small rate-limited writes must leave at once, not wait for Nagle. */
      g_socket_set_option (conn->sock[i], IPPROTO_TCP, TCP_NODELAY, 1, NULL);
      conn->tag[i] = g_source_add_unix_fd (conn->source, g_socket_get_fd (conn->sock[i]), G_IO_IN);
      g_queue_init (&conn->pipe[i].chunks);
    }
  g_source_attach (conn->source, self->context);
  self->conns = g_list_prepend (self->conns, conn);

  g_mutex_lock (&self->lock);
  self->counters.connections++;
  self->open++;
  g_mutex_unlock (&self->lock);

  conn_pump (conn);
}

static gboolean
accept_cb (GSocket *listener, GIOCondition condition, gpointer user_data)
{
  DftFaultProxy *self = user_data;

  for (;;)
    {
      g_autoptr (GError)  error = NULL;
      g_autoptr (GSocket) client = g_socket_accept (listener, NULL, &error);
      gboolean            refuse;

      if (client == NULL)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            g_debug ("fault proxy: accept: %s", error->message);
          break;
        }
      g_mutex_lock (&self->lock);
      refuse = self->knobs.refuse;
      if (refuse)
        self->counters.refused++;
      g_mutex_unlock (&self->lock);

      if (refuse)
        reset_and_close (client);
      else
        conn_start (self, client);
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
kick_cb (gpointer user_data)
{
  DftFaultProxy    *self = user_data;
  g_autoptr (GList) conns = g_list_copy (self->conns);

  /* A pump may close its connection, so walk a copy and skip the closed. */
  for (GList *l = conns; l != NULL; l = l->next)
    if (g_list_find (self->conns, l->data) != NULL)
      conn_pump (l->data);
  return G_SOURCE_REMOVE;
}

/* Knobs changed: let every connection look again (a pause lifted, a rate raised). */
static void
kick (DftFaultProxy *self)
{
  g_autoptr (GSource) source = g_idle_source_new ();

  g_source_set_callback (source, kick_cb, self, NULL);
  g_source_attach (source, self->context);
}

static gpointer
proxy_thread (gpointer data)
{
  DftFaultProxy *self = data;

  g_main_context_push_thread_default (self->context);
  while (!g_atomic_int_get (&self->quit))
    g_main_context_iteration (self->context, TRUE);
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

DftFaultProxy *
dft_fault_proxy_new_full (guint16 listen_port, guint16 upstream_port, GError **error)
{
  g_autoptr (GInetAddress)   loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, listen_port);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GSocket)        listener = NULL;
  DftFaultProxy             *self;

  g_return_val_if_fail (upstream_port > 0, NULL);

  listener
      = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (listener == NULL)
    return NULL;
  if (!g_socket_bind (listener, address, TRUE, error) || !g_socket_listen (listener, error))
    return NULL;
  bound = g_socket_get_local_address (listener, error);
  if (bound == NULL)
    return NULL;
  g_socket_set_blocking (listener, FALSE);

  self = g_new0 (DftFaultProxy, 1);
  g_mutex_init (&self->lock);
  self->upstream_port = upstream_port;
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  self->listener = g_steal_pointer (&listener);
  self->context = g_main_context_new ();
  self->accept_source = g_socket_create_source (self->listener, G_IO_IN, NULL);
  g_source_set_callback (self->accept_source, G_SOURCE_FUNC (accept_cb), self, NULL);
  g_source_attach (self->accept_source, self->context);
  self->thread = g_thread_new ("fault-proxy", proxy_thread, self);
  return self;
}

DftFaultProxy *
dft_fault_proxy_new (guint16 upstream_port, GError **error)
{
  return dft_fault_proxy_new_full (0, upstream_port, error);
}

void
dft_fault_proxy_free (DftFaultProxy *self)
{
  if (self == NULL)
    return;

  g_atomic_int_set (&self->quit, 1);
  g_main_context_wakeup (self->context);
  g_thread_join (self->thread);

  while (self->conns != NULL)
    conn_close (self->conns->data);
  g_source_destroy (self->accept_source);
  g_source_unref (self->accept_source);
  g_socket_close (self->listener, NULL);
  g_object_unref (self->listener);
  /* Drain idle kicks attached after the thread stopped, so nothing is left holding self. */
  while (g_main_context_iteration (self->context, FALSE))
    ;
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  g_free (self);
}

guint16
dft_fault_proxy_get_port (DftFaultProxy *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->port;
}

void
dft_fault_proxy_set_delay (DftFaultProxy *self, guint up_ms, guint down_ms)
{
  g_return_if_fail (self != NULL);
  g_mutex_lock (&self->lock);
  self->knobs.delay_ms[DIR_UP] = up_ms;
  self->knobs.delay_ms[DIR_DOWN] = down_ms;
  g_mutex_unlock (&self->lock);
  kick (self);
}

void
dft_fault_proxy_set_rate (DftFaultProxy *self, guint64 up_bps, guint64 down_bps)
{
  g_return_if_fail (self != NULL);
  g_mutex_lock (&self->lock);
  self->knobs.rate[DIR_UP] = up_bps;
  self->knobs.rate[DIR_DOWN] = down_bps;
  g_mutex_unlock (&self->lock);
  kick (self);
}

void
dft_fault_proxy_set_cut_after (DftFaultProxy *self, guint64 bytes)
{
  g_return_if_fail (self != NULL);
  g_mutex_lock (&self->lock);
  self->knobs.cut_after = bytes;
  g_mutex_unlock (&self->lock);
  kick (self);
}

void
dft_fault_proxy_set_refuse (DftFaultProxy *self, gboolean refuse)
{
  g_return_if_fail (self != NULL);
  g_mutex_lock (&self->lock);
  self->knobs.refuse = refuse;
  g_mutex_unlock (&self->lock);
}

void
dft_fault_proxy_set_paused (DftFaultProxy *self, gboolean paused)
{
  g_return_if_fail (self != NULL);
  g_mutex_lock (&self->lock);
  self->knobs.paused = paused;
  g_mutex_unlock (&self->lock);
  kick (self);
}

void
dft_fault_proxy_get_counters (DftFaultProxy *self, DftFaultProxyCounters *counters)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (counters != NULL);
  g_mutex_lock (&self->lock);
  *counters = self->counters;
  g_mutex_unlock (&self->lock);
}

void
dft_fault_proxy_reset_counters (DftFaultProxy *self)
{
  g_return_if_fail (self != NULL);
  g_mutex_lock (&self->lock);
  memset (&self->counters, 0, sizeof self->counters);
  g_mutex_unlock (&self->lock);
}

guint
dft_fault_proxy_get_open_connections (DftFaultProxy *self)
{
  guint open;

  g_return_val_if_fail (self != NULL, 0);
  g_mutex_lock (&self->lock);
  open = self->open;
  g_mutex_unlock (&self->lock);
  return open;
}
