/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dft-server-cli.h"

int
main (int argc, char *argv[])
{
  return dft_server_cli_run (argc, argv);
}
