/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-target.h"

/* Whether a library whose file name holds @name is among the callers. */
static gboolean
called_from (const char *name)
{
  void *frames[64];
  int   n = backtrace (frames, G_N_ELEMENTS (frames));

  for (int i = 0; i < n; i++)
    {
      Dl_info info;

      if (dladdr (frames[i], &info) != 0 && info.dli_fname != NULL
          && strstr (info.dli_fname, name) != NULL)
        return TRUE;
    }
  return FALSE;
}

/* libgsf 1.14.50 unrefs a NULL GDateTime for a ZIP entry whose DOS date is impossible: its
 * bug, harmless (GLib refuses the NULL), and not Daftari's to fix. */
static gboolean
known_library_bug (GLogLevelFlags level, const GLogField *fields, gsize n_fields)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_strcmp0 (fields[i].key, "MESSAGE") == 0 && fields[i].length < 0
        && strstr (fields[i].value, "g_date_time_unref: assertion 'datetime != NULL'") != NULL)
      return (level & G_LOG_LEVEL_CRITICAL) && called_from ("libgsf-1.so");
  return FALSE;
}

/*
 * A warning or critical on hostile input is a bug like a crash (a g_return_if_fail that
 * caught a NULL, a library told something it refused). GLib's own fatal-warnings stops with
 * SIGTRAP, which libFuzzer does not catch, so the input would be lost: this writer aborts
 * instead, and libFuzzer keeps the input that did it.
 */
static GLogWriterOutput
abort_on_warning_cb (GLogLevelFlags   level,
                     const GLogField *fields,
                     gsize            n_fields,
                     gpointer         user_data)
{
  GLogWriterOutput out;

  /* Not even printed: a run would print it thousands of times. */
  if (known_library_bug (level, fields, n_fields))
    return G_LOG_WRITER_HANDLED;
  out = g_log_writer_standard_streams (level, fields, n_fields, user_data);
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    abort ();
  return out;
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_log_set_writer_func (abort_on_warning_cb, NULL, NULL);
  return 0;
}
