/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * daftari-server serve --config FILE
 * daftari-server admin --config FILE COMMAND …
 *
 * Exit codes: 0 done, 1 the work failed (the message says why), 2 the command line was wrong.
 */
int dft_server_cli_run (int argc, char *argv[]);

G_END_DECLS
