/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dft-server-config.h"
#include "dft-server.h"

G_BEGIN_DECLS

/*
 * `serve` under a service manager: systemd's readiness protocol (sd_notify: READY=1 once the
 * server listens, STATUS=, RELOADING=1 and STOPPING=1) and a reread of the configuration file on
 * SIGHUP (`systemctl reload`, ExecReload=kill -HUP $MAINPID).
 *
 * A reload applies at once what a running server can change: max-body, token-days, and the TLS
 * certificate and key (their files are read again even when their names did not change, so a
 * renewed certificate needs only a reload). listen, port, data and allow-plain-http, and turning
 * TLS on or off, need a restart: a reload logs which of them differ and keeps the running ones.
 * A file that no longer loads is logged and the running settings are kept.
 *
 * Without NOTIFY_SOCKET in the environment (not under systemd, or built without libsystemd)
 * the notifications are skipped; the SIGHUP reload works everywhere.
 */

typedef struct _DftServerReload DftServerReload;

/* Tells the service manager that @server, started with @config, is ready, and watches for
 * SIGHUP on the default main context until dft_server_reload_unwatch(). */
DftServerReload *dft_server_reload_watch (DftServer *server, const DftServerConfig *config);
/* Stops watching and tells the service manager the server is stopping. */
void dft_server_reload_unwatch (DftServerReload *reload);
/* Rereads the configuration file and applies what can change while serving; FALSE, with
 * @error set, when the file does not load (nothing changed then). */
gboolean dft_server_reload_now (DftServerReload *reload, GError **error);

G_END_DECLS
