/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dft-record.h"

G_BEGIN_DECLS

/*
 * A workshop's sessions in time: which one is being held, and whether one has begun. A session
 * is its date with a start and an end time; without them it is taken as made (morning
 * 09:00–12:30, afternoon 14:00–17:30, a whole day 09:00–17:30). @now is passed in, never read
 * from the clock, so that the choice is the same in a test at any hour.
 */

/*
 * The position in @sessions (DftRecords of the "session" entity, in any order) of the session
 * a register should open on at @now: today's session under way; else the next one today; else
 * the one that began last before @now; else the first one to come. G_MAXUINT when @sessions is
 * empty.
 */
guint dft_session_current (GListModel *sessions, GDateTime *now);

/* How long before its start a session takes marks without a question: people come early. */
#define DFT_SESSION_EARLY_MARKS (60 * G_TIME_SPAN_MINUTE)

/*
 * Whether @session is due at @now: it has begun, or begins within DFT_SESSION_EARLY_MARKS.
 * Marking one that is not is most likely a slip into the wrong column; the register asks first.
 */
gboolean dft_session_is_due (DftRecord *session, GDateTime *now);

G_END_DECLS
