/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "dft-session.h"

/* The times the store gives new sessions (dft-store.c), for sessions that have none. */
static const struct
{
  const char *part;
  const char *start;
  const char *end;
} default_times[] = {
  { "am", "09:00", "12:30" },
  { "pm", "14:00", "17:30" },
  { "day", "09:00", "17:30" },
};

static gboolean
parse_time (const char *text, int *hour, int *minute)
{
  char end;

  return text != NULL && sscanf (text, "%2d:%2d%c", hour, minute, &end) == 2 && *hour >= 0
         && *hour <= 24 && *minute >= 0 && *minute < 60 && (*hour < 24 || *minute == 0);
}

/* @session's date at @time (or the default for its part), in @now's time zone; NULL when the
 * session has no date a person could read. */
static GDateTime *
session_time (DftRecord *session, GDateTime *now, gboolean end)
{
  const char *date = dft_record_get_string (session, "date");
  const char *part = dft_record_get_string (session, "part");
  const char *time = dft_record_get_string (session, end ? "end_time" : "start_time");
  int         year, month, day, hour, minute;
  char        rest;

  if (date == NULL || strlen (date) != 10
      || sscanf (date, "%4d-%2d-%2d%c", &year, &month, &day, &rest) != 3
      || !g_date_valid_dmy ((GDateDay) day, (GDateMonth) month, (GDateYear) year))
    return NULL;
  if (!parse_time (time, &hour, &minute))
    {
      const char *fallback = end ? "17:30" : "09:00";

      for (guint i = 0; i < G_N_ELEMENTS (default_times); i++)
        if (g_strcmp0 (part, default_times[i].part) == 0)
          fallback = end ? default_times[i].end : default_times[i].start;
      parse_time (fallback, &hour, &minute);
    }
  /* 24:00 is the end of the day: the next day's midnight. */
  if (hour == 24)
    {
      g_autoptr (GDateTime) midnight
          = g_date_time_new (g_date_time_get_timezone (now), year, month, day, 0, 0, 0);
      return midnight != NULL ? g_date_time_add_days (midnight, 1) : NULL;
    }
  return g_date_time_new (g_date_time_get_timezone (now), year, month, day, hour, minute, 0);
}

static gboolean
same_day (GDateTime *a, GDateTime *b)
{
  return g_date_time_get_year (a) == g_date_time_get_year (b)
         && g_date_time_get_day_of_year (a) == g_date_time_get_day_of_year (b);
}

guint
dft_session_current (GListModel *sessions, GDateTime *now)
{
  guint  n, held = G_MAXUINT, next_today = G_MAXUINT, last_begun = G_MAXUINT;
  guint  first = G_MAXUINT;
  gint64 next_today_start = 0, last_begun_start = 0, first_start = 0;

  g_return_val_if_fail (G_IS_LIST_MODEL (sessions), G_MAXUINT);
  g_return_val_if_fail (now != NULL, G_MAXUINT);

  n = g_list_model_get_n_items (sessions);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (DftRecord) session = g_list_model_get_item (sessions, i);
      g_autoptr (GDateTime) start = session_time (session, now, FALSE);
      g_autoptr (GDateTime) end = session_time (session, now, TRUE);
      gint64                s;

      if (start == NULL || end == NULL)
        continue;
      s = g_date_time_to_unix (start);
      if (same_day (start, now) && g_date_time_compare (start, now) <= 0
          && g_date_time_compare (now, end) <= 0 && held == G_MAXUINT)
        held = i;
      if (same_day (start, now) && g_date_time_compare (start, now) > 0
          && (next_today == G_MAXUINT || s < next_today_start))
        {
          next_today = i;
          next_today_start = s;
        }
      if (g_date_time_compare (start, now) <= 0
          && (last_begun == G_MAXUINT || s > last_begun_start))
        {
          last_begun = i;
          last_begun_start = s;
        }
      if (first == G_MAXUINT || s < first_start)
        {
          first = i;
          first_start = s;
        }
    }
  if (held != G_MAXUINT)
    return held;
  if (next_today != G_MAXUINT)
    return next_today;
  if (last_begun != G_MAXUINT)
    return last_begun;
  if (first != G_MAXUINT)
    return first;
  /* No session has a date: the register still opens, on its first column. */
  return n > 0 ? 0 : G_MAXUINT;
}

gboolean
dft_session_is_due (DftRecord *session, GDateTime *now)
{
  g_autoptr (GDateTime) start = NULL;
  g_autoptr (GDateTime) open = NULL;

  g_return_val_if_fail (DFT_IS_RECORD (session), TRUE);
  g_return_val_if_fail (now != NULL, TRUE);

  start = session_time (session, now, FALSE);
  /* A session without a date cannot be placed in time: never in the way of marking it. */
  if (start == NULL)
    return TRUE;
  open = g_date_time_add (start, -DFT_SESSION_EARLY_MARKS);
  return g_date_time_compare (open, now) <= 0;
}
