/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dft-store.h"

G_BEGIN_DECLS

#define DFT_TYPE_RECORD_LIST (dft_record_list_get_type ())
G_DECLARE_FINAL_TYPE (DftRecordList, dft_record_list, DFT, RECORD_LIST, GObject)

/*
 * A GListModel of DftRecords from one query. It loads in a worker thread and
 * follows the store: after a commit that touches its entity it reloads, and
 * emits items-changed for what really changed.
 */
DftRecordList *dft_record_list_new (DftStore        *store,
                                    const DftEntity *entity,
                                    const char      *where,
                                    const char      *param,
                                    const char      *order_by);
void           dft_record_list_set_search (DftRecordList *self, const char *query);
const char    *dft_record_list_get_search (DftRecordList *self);
gboolean       dft_record_list_get_loading (DftRecordList *self);
gboolean       dft_record_list_reload_sync (DftRecordList *self, GError **error);

G_END_DECLS
