/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dft-store.h"

G_BEGIN_DECLS

/*
 * Marking the register: one person in one session, or many of a session at once (Everyone
 * Present, and undoing or redoing it) in one transaction, so that the register never shows half
 * of it. Each has an _async version that runs it in a worker.
 */

/*
 * Marks @person_id in @session_id as @status, with @note when not NULL ("" clears a note);
 * a mark that was cleared comes back (dft_store_mark_attendance()). Returns the mark.
 */
DftRecord *dft_attendance_mark (DftStore   *store,
                                const char *session_id,
                                const char *person_id,
                                const char *status,
                                const char *note,
                                GError    **error);
void       dft_attendance_mark_async (DftStore           *store,
                                      const char         *session_id,
                                      const char         *person_id,
                                      const char         *status,
                                      const char         *note,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data);
DftRecord *dft_attendance_mark_finish (DftStore *store, GAsyncResult *result, GError **error);

/*
 * Marks the @n people of @person_ids in @session_id in one transaction: each takes
 * @statuses[i], or, where that is NULL, loses its mark (dft_store_set_attendance()).
 */
gboolean dft_attendance_mark_session (DftStore          *store,
                                      const char        *session_id,
                                      const char *const *person_ids,
                                      const char *const *statuses,
                                      guint              n,
                                      GError           **error);
void     dft_attendance_mark_session_async (DftStore           *store,
                                            const char         *session_id,
                                            const char *const  *person_ids,
                                            const char *const  *statuses,
                                            guint               n,
                                            GCancellable       *cancellable,
                                            GAsyncReadyCallback callback,
                                            gpointer            user_data);
gboolean dft_attendance_mark_session_finish (DftStore *store, GAsyncResult *result, GError **error);

G_END_DECLS
