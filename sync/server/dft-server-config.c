/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "dft-server-config.h"
#include "dft-wire.h"

#define GROUP "server"

static const char *const known_keys[] = {
  "listen",     "port",     "data",       "tls-certificate",
  "tls-key",    "max-body", "token-days", "allow-plain-http",
  "rate-limit", "storage",  "cluster",    NULL,
};

void
dft_server_config_free (DftServerConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->path);
  g_free (config->listen);
  g_free (config->data_dir);
  g_free (config->storage);
  g_free (config->tls_certificate);
  g_free (config->tls_key);
  g_free (config);
}

/* The line of each setting of [server], for messages: a typing error is found by its line. */
static GHashTable *lines;

static guint
line_of (const char *key)
{
  return lines != NULL ? GPOINTER_TO_UINT (g_hash_table_lookup (lines, key)) : 0;
}

static gboolean
bad (GError **error, const char *path, const char *key, const char *why)
{
  guint line = line_of (key);

  if (line > 0)
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                 /* Translators: first %s is a file, %u a line number, second %s a setting's
                    name, third says why */
                 _ ("In the configuration “%s”, line %u, the setting “%s” is wrong: %s"), path,
                 line, key, why);
  else
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                 /* Translators: first %s is a file, second a setting's name, third says why */
                 _ ("In the configuration “%s”, the setting “%s” is wrong: %s"), path, key, why);
  return FALSE;
}

/*
 * Finds each line's kind before GKeyFile reads the text, whose own message names a line by its
 * text only: a line that is not a comment, a [section] or name=value is refused by its number,
 * and the line of every setting of [server] is noted for later messages.
 */
static gboolean
scan_lines (const char *path, const char *text, GHashTable *found, GError **error)
{
  g_auto (GStrv)   all = g_strsplit (text, "\n", -1);
  g_autofree char *group = NULL;

  for (guint i = 0; all[i] != NULL; i++)
    {
      g_autofree char *line = g_strstrip (g_strdup (all[i]));
      char            *equals;

      if (*line == '\0' || *line == '#')
        continue;
      if (*line == '[' && line[strlen (line) - 1] == ']')
        {
          g_free (group);
          group = g_strndup (line + 1, strlen (line) - 2);
          continue;
        }
      equals = strchr (line, '=');
      if (equals == NULL || equals == line)
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE,
                       /* Translators: first %s is a file, %u a line number, second %s the
                          line as written */
                       _ ("In the configuration “%s”, line %u is not understood: “%s”. Write "
                          "name=value, a [section] or a # comment."),
                       path, i + 1, line);
          return FALSE;
        }
      *equals = '\0';
      g_strstrip (line);
      if (g_strcmp0 (group, GROUP) == 0 && !g_hash_table_contains (found, line))
        g_hash_table_insert (found, g_strdup (line), GUINT_TO_POINTER (i + 1));
    }
  return TRUE;
}

/* A path as written in the file; a relative one is taken from the file's folder. */
static char *
file_path (GKeyFile *file, const char *path, const char *key)
{
  g_autofree char *value = g_key_file_get_string (file, GROUP, key, NULL);
  g_autofree char *absolute = NULL;
  g_autofree char *dir = NULL;

  if (value == NULL || *g_strstrip (value) == '\0')
    return NULL;
  if (g_path_is_absolute (value))
    return g_steal_pointer (&value);
  absolute = g_canonicalize_filename (path, NULL);
  dir = g_path_get_dirname (absolute);
  return g_canonicalize_filename (value, dir);
}

static gboolean
read_uint (GKeyFile   *file,
           const char *path,
           const char *key,
           guint64     min,
           guint64     max,
           guint64     fallback,
           guint64    *out,
           GError    **error)
{
  g_autofree char *value = g_key_file_get_string (file, GROUP, key, NULL);
  g_autofree char *why = NULL;

  if (value == NULL)
    {
      *out = fallback;
      return TRUE;
    }
  g_strstrip (value);
  if (g_ascii_string_to_unsigned (value, 10, min, max, out, NULL))
    return TRUE;
  why = g_strdup_printf (
      /* Translators: the numbers are the smallest and the largest value allowed */
      _ ("it must be a whole number from %llu to %llu."), (unsigned long long) min,
      (unsigned long long) max);
  return bad (error, path, key, why);
}

static DftServerConfig *load (GKeyFile *file, const char *path, GError **error);

DftServerConfig *
dft_server_config_load (const char *path, GError **error)
{
  g_autoptr (GKeyFile)   file = g_key_file_new ();
  g_autoptr (GHashTable) found = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char       *text = NULL;
  DftServerConfig       *loaded;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  if (!scan_lines (path, text, found, error)
      || !g_key_file_load_from_data (file, text, (gsize) -1, G_KEY_FILE_NONE, error))
    return NULL;
  /* Read once at start and on reload, both from the main thread. */
  lines = found;
  loaded = load (file, path, error);
  lines = NULL;
  return loaded;
}

static DftServerConfig *
load (GKeyFile *file, const char *path, GError **error)
{
  g_autoptr (DftServerConfig) config = g_new0 (DftServerConfig, 1);
  g_auto (GStrv)              groups = NULL;
  g_auto (GStrv)              keys = NULL;
  guint64                     value;

  config->path = g_strdup (path);

  groups = g_key_file_get_groups (file, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    if (!g_str_equal (groups[i], GROUP))
      {
        g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
                     /* Translators: first %s is a file, second a section name such as [tls] */
                     _ ("The configuration “%s” has an unknown section [%s]; only [server] is "
                        "read."),
                     path, groups[i]);
        return NULL;
      }
  keys = g_key_file_get_keys (file, GROUP, NULL, NULL);
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    if (!g_strv_contains (known_keys, keys[i]))
      {
        g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
                     /* Translators: first %s is a file, %u a line number, second %s a
                        setting's name */
                     _ ("The configuration “%s”, line %u, has an unknown setting “%s”: check its "
                        "spelling."),
                     path, line_of (keys[i]), keys[i]);
        return NULL;
      }

  config->listen = g_key_file_get_string (file, GROUP, "listen", NULL);
  if (config->listen != NULL)
    g_strstrip (config->listen);
  if (config->listen == NULL || *config->listen == '\0')
    {
      g_free (config->listen);
      config->listen = g_strdup ("127.0.0.1");
    }
  if (!g_hostname_is_ip_address (config->listen))
    return bad (error, path, "listen", _ ("it must be an IP address, such as 127.0.0.1 or ::.")),
           NULL;

  if (!read_uint (file, path, "port", 0, 65535, DFT_SERVER_DEFAULT_PORT, &value, error))
    return NULL;
  config->port = (guint) value;
  if (!read_uint (file, path, "max-body", 1024, DFT_WIRE_MAX_GZIP, DFT_WIRE_MAX_GZIP, &value,
                  error))
    return NULL;
  config->max_body = (gsize) value;
  if (!read_uint (file, path, "token-days", 1, 3650, DFT_SERVER_DEFAULT_TOKEN_DAYS, &value, error))
    return NULL;
  config->token_days = (guint) value;
  if (!read_uint (file, path, "rate-limit", 0, 100000, DFT_SERVER_DEFAULT_RATE_LIMIT, &value,
                  error))
    return NULL;
  config->rate_limit = (guint) value;

  config->data_dir = file_path (file, path, "data");
  if (config->data_dir == NULL)
    return bad (error, path, "data", _ ("it is missing: name the folder that holds the data.")),
           NULL;
  /* Where the accounts, devices and scope live: the file in data, or a PostgreSQL database.
   * The register stays in data either way. */
  config->storage = g_key_file_get_string (file, GROUP, "storage", NULL);
  if (config->storage != NULL)
    g_strstrip (config->storage);
  if (config->storage == NULL || *config->storage == '\0'
      || g_str_equal (config->storage, "sqlite"))
    g_clear_pointer (&config->storage, g_free);
  else if (!g_str_has_prefix (config->storage, "postgresql://")
           && !g_str_has_prefix (config->storage, "postgres://"))
    return bad (error, path, "storage",
                _ ("it must be “sqlite” or a PostgreSQL address such as "
                   "postgresql://daftari@localhost/daftari.")),
           NULL;
  /* Several processes over one PostgreSQL share the register through it (dft-server-cluster.h). */
  {
    g_autofree char *cluster = g_key_file_get_string (file, GROUP, "cluster", NULL);

    if (cluster != NULL)
      g_strstrip (cluster);
    if (cluster != NULL && !g_str_equal (cluster, "no") && !g_str_equal (cluster, "yes"))
      return bad (error, path, "cluster", _ ("it must be “no” or “yes”.")), NULL;
    config->cluster = g_strcmp0 (cluster, "yes") == 0;
    if (config->cluster && config->storage == NULL)
      return bad (error, path, "cluster",
                  _ ("several server processes share their data through PostgreSQL: give "
                     "storage=postgresql://… as well.")),
             NULL;
  }
  config->tls_certificate = file_path (file, path, "tls-certificate");
  config->tls_key = file_path (file, path, "tls-key");
  if ((config->tls_certificate == NULL) != (config->tls_key == NULL))
    return bad (error, path, config->tls_key == NULL ? "tls-key" : "tls-certificate",
                _ ("a certificate and its key go together: give both or neither.")),
           NULL;

  /* Passwords, tokens and people's records cross the network: plain HTTP only where nobody
   * else listens, unless the file says it is a closed workshop network. */
  {
    g_autofree char         *plain = g_key_file_get_string (file, GROUP, "allow-plain-http", NULL);
    g_autoptr (GInetAddress) address = g_inet_address_new_from_string (config->listen);

    if (plain != NULL)
      g_strstrip (plain);
    if (plain != NULL && !g_str_equal (plain, "no") && !g_str_equal (plain, "lan"))
      return bad (error, path, "allow-plain-http", _ ("it must be “no” or “lan”.")), NULL;
    config->allow_plain_lan = g_strcmp0 (plain, "lan") == 0;
    if (config->tls_certificate == NULL && !config->allow_plain_lan
        && !g_inet_address_get_is_loopback (address))
      return bad (error, path, "listen",
                  _ ("without tls-certificate and tls-key the server would send passwords and "
                     "people’s records unencrypted to the whole network. Give a certificate "
                     "and its key, listen on 127.0.0.1, or, on a closed workshop network only, "
                     "add allow-plain-http=lan.")),
             NULL;
  }

  return g_steal_pointer (&config);
}

char *
dft_server_config_store_path (const DftServerConfig *config)
{
  return g_build_filename (config->data_dir, "records.db", NULL);
}

char *
dft_server_config_accounts_path (const DftServerConfig *config)
{
  return g_build_filename (config->data_dir, "accounts.db", NULL);
}
