/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dft-store.h"

G_BEGIN_DECLS

/*
 * What people do with the register's people: register someone, correct them, enrol them in a
 * workshop and take them out of it again. Each is one transaction through
 * dft_store_save_all(), and each has an _async version that runs it in a worker, so the UI
 * thread never waits on the disk; the CLI, the importer and the data-set loader call the
 * blocking one.
 */

/*
 * The enrollment of @person in @event_id as it is to be saved, not saved: the one held
 * (loaded) or a new one. A new enrollment is a participant's unless @role says; @role, when
 * not NULL, replaces a held one's role. With @revive, a held enrollment that was removed comes
 * back. A @person that has no id yet gets one here, so that the two can go in one transaction
 * (people first: the store checks the enrollment against a person saved before it).
 */
DftRecord *dft_people_enrollment_for (DftStore   *store,
                                      const char *event_id,
                                      DftRecord  *person,
                                      const char *role,
                                      gboolean    revive,
                                      GError    **error);

/*
 * Saves the new @person, giving it its id, and, when @event_id is not NULL, enrolls them in it
 * as @role (NULL: participant), in one transaction: never a person half-registered without
 * their workshop.
 */
gboolean dft_people_register (
    DftStore *store, DftRecord *person, const char *event_id, const char *role, GError **error);
void     dft_people_register_async (DftStore           *store,
                                    DftRecord          *person,
                                    const char         *event_id,
                                    const char         *role,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data);
gboolean dft_people_register_finish (DftStore *store, GAsyncResult *result, GError **error);

/*
 * Saves what changed in the held @person and, when @event_id is not NULL, their enrollment in
 * it, in one transaction: @role (NULL: the role stays) on a held enrollment, which stays removed
 * if it was; an enrollment that was never made is made, as a participant unless @role says.
 */
gboolean dft_people_update (
    DftStore *store, DftRecord *person, const char *event_id, const char *role, GError **error);
void     dft_people_update_async (DftStore           *store,
                                  DftRecord          *person,
                                  const char         *event_id,
                                  const char         *role,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data);
gboolean dft_people_update_finish (DftStore *store, GAsyncResult *result, GError **error);

/*
 * Enrolls @person_id in @event_id as @role (NULL: participant), replacing the role of an
 * enrollment held and bringing back one that was removed (dft_store_enroll()). Returns the
 * enrollment.
 */
DftRecord *dft_people_enroll (
    DftStore *store, const char *event_id, const char *person_id, const char *role, GError **error);
void       dft_people_enroll_async (DftStore           *store,
                                    const char         *event_id,
                                    const char         *person_id,
                                    const char         *role,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data);
DftRecord *dft_people_enroll_finish (DftStore *store, GAsyncResult *result, GError **error);

/*
 * Takes @person_id out of @event_id: their enrollment becomes a tombstone, which syncs, and
 * which dft_people_restore() undoes, bringing back the same record with its role.
 * DFT_STORE_ERROR_NOT_FOUND when they were never enrolled.
 */
gboolean
dft_people_remove (DftStore *store, const char *event_id, const char *person_id, GError **error);
void     dft_people_remove_async (DftStore           *store,
                                  const char         *event_id,
                                  const char         *person_id,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data);
gboolean dft_people_remove_finish (DftStore *store, GAsyncResult *result, GError **error);
gboolean
dft_people_restore (DftStore *store, const char *event_id, const char *person_id, GError **error);
void     dft_people_restore_async (DftStore           *store,
                                   const char         *event_id,
                                   const char         *person_id,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data);
gboolean dft_people_restore_finish (DftStore *store, GAsyncResult *result, GError **error);

G_END_DECLS
