/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dft-store.h"

G_BEGIN_DECLS

#define DFT_TYPE_ATTENDANCE_VIEW (dft_attendance_view_get_type ())
G_DECLARE_FINAL_TYPE (DftAttendanceView, dft_attendance_view, DFT, ATTENDANCE_VIEW, AdwBin)

/*
 * People × sessions, driven by the keyboard: arrows move, P L A E (or 1 2 3 4)
 * mark present, late, absent, excused, Space toggles present, Delete or
 * BackSpace clears, Ctrl+Z undoes and Ctrl+Shift+Z redoes; letters are read by
 * the key pressed, whatever the keyboard layout (dft-keys.h). It opens on the
 * session being held (dft_session_current()); marking one that is not due yet
 * asks first, once per session. Actions:
 * attendance.set-status ((sss): session, person, status),
 * attendance.mark-session-present (s: session) and
 * attendance.mark-all-present (the session of the focused column); those two
 * mark everyone not yet marked, never overwriting a mark already taken, as one
 * step with an Undo toast. attendance.clear (the focused cell),
 * attendance.undo and attendance.redo.
 */
void dft_attendance_view_set_event (DftAttendanceView *self, DftStore *store, DftRecord *event);
/* The status shown for (session, person), NULL when not marked. */
const char *dft_attendance_view_get_status (DftAttendanceView *self,
                                            const char        *session_id,
                                            const char        *person_id);
/* The session whose column has the focus (the current one at first), or NULL. */
const char *dft_attendance_view_get_focus_session (DftAttendanceView *self);
GListModel *dft_attendance_view_get_sessions (DftAttendanceView *self);
GListModel *dft_attendance_view_get_people (DftAttendanceView *self);

/* Puts the focus in the register: on the cell it was on, or the first time on the session
 * being held. FALSE when there is no register to focus yet. */
gboolean dft_attendance_view_focus_register (DftAttendanceView *self);

G_END_DECLS
