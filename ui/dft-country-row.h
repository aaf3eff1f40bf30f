/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define DFT_TYPE_COUNTRY_ROW (dft_country_row_get_type ())
G_DECLARE_FINAL_TYPE (DftCountryRow, dft_country_row, DFT, COUNTRY_ROW, AdwActionRow)

/*
 * A row to choose a country by its name in the interface language, with a search, that
 * gives its ISO 3166 code: what the register keeps (dft-country.h).
 */
GtkWidget *dft_country_row_new (void);

/*
 * Shows @value: a code, or anything dft_country_normalize() reads ("kg", "Kyrgyzstan").
 * A value written before countries were chosen from a list, that names no country, is
 * shown as it was written and kept while no other is chosen. NULL or "" for none.
 */
void dft_country_row_set_value (DftCountryRow *self, const char *value);
/* The code chosen, the unknown value shown as set, or NULL for none. */
const char *dft_country_row_get_value (DftCountryRow *self);

/* The drop-down, for tests that choose as a user does. */
GtkDropDown *dft_country_row_get_drop_down (DftCountryRow *self);

G_END_DECLS
