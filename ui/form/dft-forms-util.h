/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dft-store.h"

G_BEGIN_DECLS

/*
 * What the forms screens share: the latest version of each form key, what a form's definition
 * says about itself (read in a worker), and the windows that show a form filler or the kiosk.
 */

typedef struct
{
  char  *code;
  char  *name;
  double completeness; /* share of the form's texts present in this language, 0–1 */
} DftFormLanguageInfo;

typedef struct
{
  DftRecord *record; /* the latest version */
  char      *key;
  char      *title;
  char      *kind;
  gboolean   is_assessment;
  GPtrArray *languages; /* DftFormLanguageInfo * */
  guint      n_warnings;
  char      *error; /* why the form cannot be opened, or NULL when it can */
} DftFormInfo;

void dft_form_info_free (DftFormInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftFormInfo, dft_form_info_free)

/* The latest version of each form key in @forms (DftRecord *, "form"), by title. */
GPtrArray *dft_forms_latest (GListModel *forms);
/* The ids of every version of @form_key in @forms. */
GHashTable *dft_forms_version_ids (GListModel *forms, const char *form_key);

/* Reads the definitions of @records (DftRecord *, "form") in a worker; the result is a
 * GPtrArray of DftFormInfo *, in the same order. */
void       dft_form_infos_load_async (gpointer            source_object,
                                      GPtrArray          *records,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data);
GPtrArray *dft_form_infos_load_finish (GAsyncResult *result, GError **error);

const char *dft_forms_kind_label (const char *kind);

/* Whether @form_record's definition opens (reads and prepares); the reason when not. Works
 * on the definition in memory, so it is quick enough for the UI thread. */
gboolean dft_forms_check (DftRecord *form_record, GError **error);

/* One line for a form chooser that leaves out @n_left_out forms that cannot be opened, or
 * NULL when it leaves out none. */
char *dft_forms_left_out_text (guint n_left_out);

typedef void (*DftFormsPinFunc) (const char *pin, gpointer user_data);
/* Asks for the PIN that will close the kiosk; @func runs only when one was given. */
void dft_forms_ask_pin (GtkWidget      *parent,
                        DftFormsPinFunc func,
                        gpointer        user_data,
                        GDestroyNotify  destroy);

/* A window with a form filler for @form_record: preview, or one person's answers. */
GtkWidget *dft_forms_open_filler (GtkWidget  *parent,
                                  DftStore   *store,
                                  DftRecord  *form_record,
                                  const char *event_id,
                                  const char *person_id,
                                  const char *phase,
                                  gboolean    preview);
/* Checks the form first: one that cannot be opened shows why and returns NULL, and the
 * laptop is never locked on it. */
GtkWidget *dft_forms_open_kiosk (GtkWidget  *parent,
                                 DftStore   *store,
                                 DftRecord  *form_record,
                                 const char *event_id,
                                 const char *phase,
                                 const char *pin);

G_END_DECLS
