/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dft-server-db.h"
#include "dft-store.h"

G_BEGIN_DECLS

/*
 * What a device may see and change. Every record belongs to a workshop
 * (event) and every workshop to a team, kept by DftServerDb:
 *
 * - event: itself; session and enrollment: their event_id; attendance: its
 *   session's workshop; submission: its event_id, or, with no workshop, the
 *   team of the device that first pushed it (seen by that team's
 *   coordinators, not its trainers); conflict: the record it is about;
 * - person: every team with a workshop the person is enrolled in;
 * - form: every device sees them; trainers may not change them.
 *
 * Admins and coordinators without a team see and change everything. A
 * workshop the server has not seen before becomes the pushing device's team's.
 */

#define DFT_SCOPE_ERROR (dft_scope_error_quark ())

typedef enum
{
  DFT_SCOPE_ERROR_FORBIDDEN,
} DftScopeError;

GQuark dft_scope_error_quark (void);

typedef struct _DftScope DftScope;

DftScope *dft_scope_new (DftStore *store, DftServerDb *db, const DftDevice *device);
void      dft_scope_free (DftScope *scope);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftScope, dft_scope_free)

gboolean dft_scope_sees_everything (const DftDevice *device);

/*
 * Checks a pushed batch before anything of it is stored: every change must be
 * the device's own, inside its scope (DFT_SCOPE_ERROR_FORBIDDEN), and refer
 * only to records the server holds or the batch writes
 * (DFT_STORE_ERROR_INVALID). On success @claim_ids and
 * @claim_entities (string arrays) list the records that become the device's
 * team's when the batch is applied.
 */
gboolean dft_scope_check_push (DftScope  *scope,
                               GPtrArray *changes,
                               GPtrArray *claim_ids,
                               GPtrArray *claim_entities,
                               GError   **error);

/*
 * Reads, in a few queries, who owns every record @changes names (their ids and the ids their
 * fields hold), which the checks would otherwise ask one record at a time.
 */
gboolean dft_scope_prefetch_owners (DftScope *scope, GPtrArray *changes, GError **error);
/*
 * Checks that every value of @changes fits its field (a name is not 30 MB, JSON answers
 * parse), which needs nothing of the store: called before the push lock is taken, so that
 * dft_scope_check_push() takes the answer for a change that fits instead of parsing its
 * answers under the lock, once for every pass of a push with a change set aside. The changes
 * must stay alive, and no other change be made, while @scope is used.
 */
void dft_scope_check_values (DftScope *scope, GPtrArray *changes);
/* Forgets the batch the last check noted (and what it would claim), keeping what it read of the
 * store and the owners: to check what is left of a push after a change of it was set aside. */
void dft_scope_reset_batch (DftScope *scope);

/*
 * After dft_scope_check_push() failed: 1 + the index of the one change to blame, with the
 * reason to tell its maker (*reason, owned by @scope), or 0 when the whole batch was refused
 * (changes of another device) or the server failed.
 */
guint dft_scope_get_refused (DftScope *scope, const char **reason);
/* The changes of @changes the device may see, in the same order (borrowed pointers). */
GPtrArray *dft_scope_filter_pull (DftScope *scope, GPtrArray *changes, GError **error);

/*
 * The changes of a relayed batch (changes of other devices the server lost)
 * that the device may relay, moved out of @changes in their order; *skipped
 * counts those left out. Claims as dft_scope_check_push().
 */
GPtrArray *dft_scope_filter_relay (DftScope  *scope,
                                   GPtrArray *changes,
                                   GPtrArray *claim_ids,
                                   GPtrArray *claim_entities,
                                   guint     *skipped,
                                   GError   **error);

/* Whether the device may see the attached file @sha256: a live submission it may see names it. */
gboolean
dft_scope_sees_attachment (DftScope *scope, const char *sha256, gboolean *visible, GError **error);

/* A workshop moved into @team_id: that team's devices pull everything again. */
gboolean dft_scope_note_move (DftStore *store, const char *team_id, GError **error);
/* The mark of the device's team's last move-in, "" when none; sent with every pull. */
char *dft_scope_mark (DftStore *store, const DftDevice *device, GError **error);

G_END_DECLS
