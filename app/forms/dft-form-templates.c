/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "dft-form-templates.h"
#include "dft-forms-resources.h"

static const char *const template_names[] = {
  "knowledge-test",
  "workshop-evaluation",
  "registration-extra",
  NULL,
};

const char *const *
dft_form_templates_list (void)
{
  return template_names;
}

DftForm *
dft_form_template_load (const char *name, GError **error)
{
  g_autofree char    *path = NULL;
  g_autoptr (GBytes)  data = NULL;
  g_autoptr (DftForm) form = NULL;
  gsize               size = 0;
  const char         *json;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_strv_contains (template_names, name))
    {
      g_set_error (error, DFT_FORM_ERROR, DFT_FORM_ERROR_INVALID,
                   /* Translators: %s is the name of a form template */
                   _ ("There is no form template called “%s”."), name);
      return NULL;
    }
  /* Looked up in the resource itself, not the global table, so that linking the static
   * library never loses it. */
  path = g_strdup_printf ("/org/daftari/forms/templates/%s.json", name);
  data = g_resource_lookup_data (dft_forms_get_resource (), path, G_RESOURCE_LOOKUP_FLAGS_NONE,
                                 error);
  if (data == NULL)
    return NULL;
  json = g_bytes_get_data (data, &size);
  form = dft_form_new_from_json (json, (gssize) size, error);
  if (form == NULL || !dft_form_prepare (form, error))
    return NULL;
  return g_steal_pointer (&form);
}
