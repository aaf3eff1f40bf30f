/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The server's configuration file, a key file:
 *
 *   [server]
 *   listen=127.0.0.1          an IP address; 0.0.0.0 or :: for every interface
 *   port=8080                 0 picks a free port, printed at start
 *   data=/var/lib/daftari     folder of records.db and accounts.db; relative to this file
 *   storage=sqlite            where accounts, devices and scope live: "sqlite" (accounts.db in
 *                             data) or a libpq URI postgresql://…; the register stays in data
 *   cluster=no                "yes": the register too lives in that PostgreSQL, so several
 *                             server processes may serve it together (dft-server-cluster.h)
 *   tls-certificate=cert.pem  PEM files; both or neither
 *   tls-key=key.pem
 *   max-body=4194304          largest request body in bytes (compressed), at most 4 MiB
 *   token-days=180            how long a device token lasts
 *   rate-limit=50             requests a second one device may make (bursts of ten times
 *                             that); an address may make ten times as many; 0: no limit
 *   allow-plain-http=no       "lan": listen without TLS on an address other than loopback,
 *                             for a closed workshop network; refused otherwise
 *
 * Unknown groups and keys are refused, so a typing error is not silently ignored.
 */

typedef struct
{
  char    *path; /* the file it was read from, reread on reload (dft-server-reload.h) */
  char    *listen;
  guint    port;
  char    *data_dir;
  char    *storage; /* a libpq URI, or NULL: accounts.db in data_dir */
  gboolean cluster; /* the register's log is shared in storage (needs a libpq URI) */
  char    *tls_certificate;
  char    *tls_key;
  gsize    max_body;
  guint    token_days;
  guint    rate_limit; /* requests a second a device token may make (0: no limit) */
  gboolean allow_plain_lan;
} DftServerConfig;

#define DFT_SERVER_DEFAULT_PORT       8080
#define DFT_SERVER_DEFAULT_TOKEN_DAYS 180
#define DFT_SERVER_DEFAULT_RATE_LIMIT 50

DftServerConfig *dft_server_config_load (const char *path, GError **error);
void             dft_server_config_free (DftServerConfig *config);
char            *dft_server_config_store_path (const DftServerConfig *config);
char            *dft_server_config_accounts_path (const DftServerConfig *config);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftServerConfig, dft_server_config_free)

G_END_DECLS
