/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/*
 * A window that shows the toasts of the widgets in it and of the dialogs it opens. The main
 * window implements it, so that the helpers in this library reach it without knowing its type.
 */

#define DFT_TYPE_TOAST_HOST (dft_toast_host_get_type ())
G_DECLARE_INTERFACE (DftToastHost, dft_toast_host, DFT, TOAST_HOST, GtkWindow)

struct _DftToastHostInterface
{
  GTypeInterface parent_iface;

  void (*add_toast) (DftToastHost *self, AdwToast *toast);
};

/* Takes @toast (floating or not). */
void dft_toast_host_add_toast (DftToastHost *self, AdwToast *toast);

G_END_DECLS
