/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/*
 * The questions the window's bundle commands ask, as AdwMessageDialogs that
 * close on any response. They only ask and show: the window does the work
 * (in a worker) with the answers.
 */

/* Who the file is for: responses "cancel" and "export". The server is offered only when
 * @signed_in; otherwise another laptop is chosen. */
GtkWidget *dft_bundle_recipient_dialog_new (GtkWindow *parent, gboolean signed_in);
/* Whether the server was chosen, once the dialog has answered "export". */
gboolean dft_bundle_recipient_dialog_get_for_server (GtkWidget *dialog);

/* Shows @passphrase, the only time it is ever shown, with a button to copy it. */
GtkWidget *dft_bundle_passphrase_dialog_new (GtkWindow *parent, const char *passphrase);

/* Asks for the passphrase of the bundle @file: responses "cancel" and "import". @problem,
 * when not NULL, says why the passphrase given before was refused. */
GtkWidget *dft_bundle_unlock_dialog_new (GtkWindow *parent, GFile *file, const char *problem);
/* The passphrase as typed. */
const char *dft_bundle_unlock_dialog_get_passphrase (GtkWidget *dialog);

G_END_DECLS
