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
/* Search shows at most this many people, the first in the list's order: a keystroke must
 * answer fast even when the first letter matches a quarter of 100,000 people.
 * dft_record_list_get_truncated() (and the "truncated" property, notified when it changes)
 * says when there were more. */
#define DFT_RECORD_LIST_SEARCH_LIMIT 500

void        dft_record_list_set_search (DftRecordList *self, const char *query);
gboolean    dft_record_list_get_truncated (DftRecordList *self);
const char *dft_record_list_get_search (DftRecordList *self);
gboolean    dft_record_list_get_loading (DftRecordList *self);
gboolean    dft_record_list_reload_sync (DftRecordList *self, GError **error);

G_END_DECLS
