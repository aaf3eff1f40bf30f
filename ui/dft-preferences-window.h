/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dft-application.h"

G_BEGIN_DECLS

#define DFT_TYPE_PREFERENCES_WINDOW (dft_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (
    DftPreferencesWindow, dft_preferences_window, DFT, PREFERENCES_WINDOW, AdwPreferencesWindow)

/* The languages offered: code ("" follows the system) and name in that language. */
typedef struct
{
  const char *code;
  const char *name;
} DftUiLanguage;

const DftUiLanguage *dft_preferences_languages (guint *n_languages);

DftPreferencesWindow *dft_preferences_window_new (DftApplication *app);
/* Selects a language as a person choosing it would (the restart question follows). */
void dft_preferences_window_select_language (DftPreferencesWindow *self, const char *code);

G_END_DECLS
