/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dft-toast-host.h"

G_DEFINE_INTERFACE (DftToastHost, dft_toast_host, GTK_TYPE_WINDOW)

static void
dft_toast_host_default_init (DftToastHostInterface *iface)
{
}

void
dft_toast_host_add_toast (DftToastHost *self, AdwToast *toast)
{
  g_return_if_fail (DFT_IS_TOAST_HOST (self));
  g_return_if_fail (ADW_IS_TOAST (toast));
  DFT_TOAST_HOST_GET_IFACE (self)->add_toast (self, toast);
}
