/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "dft-bundle.h"
#include "dft-server-auth.h"
#include "dft-server-private.h"
#include "dft-uuid.h"

#define CODE_MIN_SECONDS     60
#define CODE_MAX_SECONDS     (30 * 24 * 3600)
#define CODE_DEFAULT_SECONDS (7 * 24 * 3600)
#define DAY_SECONDS          (24 * 3600)

/* ---- Authentication ----------------------------------------------------- */

gint64
_dft_server_now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

DftDevice *
_dft_server_authenticate (DftServer *self, Request *request)
{
  const char           *header = request->authorization;
  g_autoptr (GError)    error = NULL;
  g_autofree char      *token = NULL;
  g_autofree char      *hash = NULL;
  g_autoptr (DftDevice) device = NULL;
  gint64                now = _dft_server_now_seconds ();

  if (header == NULL || g_ascii_strncasecmp (header, "Bearer ", 7) != 0)
    {
      _dft_server_reply_error (
          &request->reply, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
          _ ("This request needs the device’s token: sign in or enrol first."));
      return NULL;
    }
  token = g_strstrip (g_strdup (header + 7));
  if (*token == '\0' || strlen (token) > 256)
    {
      _dft_server_reply_error (&request->reply, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                               _ ("This device token is not known. Sign in again."));
      return NULL;
    }
  hash = dft_server_auth_hash_secret (token);
  device = dft_server_db_find_device_by_token (self->db, hash, &error);
  if (device == NULL)
    {
      if (g_error_matches (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_NOT_FOUND))
        _dft_server_reply_error (&request->reply, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                                 _ ("This device token is not known. Sign in again."));
      else
        _dft_server_reply_gerror (&request->reply, error);
      return NULL;
    }
  request->reply.device_id = g_strdup (device->id);
  if (device->revoked_at != 0)
    {
      _dft_server_reply_error (
          &request->reply, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
          _ ("This device was revoked. Its data stays on it; sign in again or ask a "
             "coordinator for a new enrolment code."));
      return NULL;
    }
  if (device->expires_at <= now)
    {
      _dft_server_reply_error (
          &request->reply, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
          _ ("This device’s sign-in has expired. Its data stays on it; sign in again."));
      return NULL;
    }
  /* When a device was last seen helps an admin spot a lost one; failing to note it is no
   * reason to refuse the request. */
  if (!dft_server_db_touch_device (self->db, device->id, now, &error))
    g_clear_error (&error);
  return g_steal_pointer (&device);
}

static void
reply_enrolled (DftServer *self, Request *request, const char *token, DftDevice *device)
{
  g_autoptr (JsonObject) object = _dft_server_reply_object_new ();

  json_object_set_string_member (object, "token", token);
  json_object_set_string_member (object, "bundle_key", self->bundle_key);
  json_object_set_string_member (object, "device_id", device->id);
  if (device->username != NULL)
    json_object_set_string_member (object, "account", device->username);
  else
    json_object_set_null_member (object, "account");
  json_object_set_string_member (object, "role", dft_server_role_to_string (device->role));
  if (device->team_name != NULL)
    json_object_set_string_member (object, "team", device->team_name);
  else
    json_object_set_null_member (object, "team");
  _dft_server_reply_json (&request->reply, SOUP_STATUS_OK, object);
  g_free (request->reply.device_id);
  request->reply.device_id = g_strdup (device->id);
}

static gboolean
check_device_fields (JsonObject *body, GError **error)
{
  const char *name = _dft_server_member_string (body, "device_name");
  const char *sign_key = _dft_server_member_string (body, "sign_key");

  if (!dft_uuid_is_valid (_dft_server_member_string (body, "device_id")))
    return _dft_server_bad_request (error, _ ("The member “device_id” is not a device id.")), FALSE;
  if (sign_key != NULL && !dft_bundle_key_is_valid (sign_key))
    return _dft_server_bad_request (error, _ ("The member “sign_key” is not a public key.")), FALSE;
  if (name != NULL && (!g_utf8_validate (name, -1, NULL) || g_utf8_strlen (name, -1) > 200))
    return _dft_server_bad_request (error, _ ("The member “device_name” is too long.")), FALSE;
  return TRUE;
}

/* token_days changes on SIGHUP, in the main loop, while workers enrol devices. */
static gint64
token_expiry (DftServer *self, gint64 now)
{
  return now + (gint64) (guint) g_atomic_int_get (&self->token_days) * DAY_SECONDS;
}

void
_dft_server_handle_login (DftServer *self, Request *request, DftDevice *unused)
{
  static const Member members[] = {
    { "username", G_TYPE_STRING, TRUE, FALSE },  { "password", G_TYPE_STRING, TRUE, FALSE },
    { "device_id", G_TYPE_STRING, TRUE, FALSE }, { "device_name", G_TYPE_STRING, FALSE, TRUE },
    { "sign_key", G_TYPE_STRING, FALSE, TRUE },
  };
  g_autoptr (GError)     error = NULL;
  g_autoptr (JsonObject) body
      = _dft_server_parse_object (request, members, G_N_ELEMENTS (members), &error);
  g_autoptr (DftAccount) account = NULL;
  g_autoptr (DftDevice)  device = NULL;
  g_autofree char       *token = NULL;
  g_autofree char       *hash = NULL;
  const char            *password;
  gint64                 now = _dft_server_now_seconds ();

  if (body == NULL || !check_device_fields (body, &error))
    {
      _dft_server_reply_gerror (&request->reply, error);
      return;
    }
  password = _dft_server_member_string (body, "password");
  account
      = dft_server_db_find_account (self->db, _dft_server_member_string (body, "username"), &error);
  if (account == NULL)
    {
      if (!g_error_matches (error, DFT_SERVER_DB_ERROR, DFT_SERVER_DB_ERROR_NOT_FOUND))
        {
          _dft_server_reply_internal (&request->reply, error);
          return;
        }
      dft_server_auth_waste_verification (password);
    }
  if (account == NULL || !dft_server_auth_verify_password (account->password_hash, password))
    {
      _dft_server_reply_error (&request->reply, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                               _ ("The user name or the password is wrong."));
      return;
    }

  token = dft_server_auth_new_token ();
  hash = dft_server_auth_hash_secret (token);
  device = dft_server_db_enrol_with_account (
      self->db, account->id, _dft_server_member_string (body, "device_id"),
      _dft_server_member_string (body, "device_name"), hash,
      _dft_server_member_string (body, "sign_key"), now, token_expiry (self, now), &error);
  if (device == NULL)
    {
      _dft_server_reply_gerror (&request->reply, error);
      return;
    }
  reply_enrolled (self, request, token, device);
}

void
_dft_server_handle_enrol (DftServer *self, Request *request, DftDevice *unused)
{
  static const Member members[] = {
    { "code", G_TYPE_STRING, TRUE, FALSE },
    { "device_id", G_TYPE_STRING, TRUE, FALSE },
    { "device_name", G_TYPE_STRING, FALSE, TRUE },
    { "sign_key", G_TYPE_STRING, FALSE, TRUE },
  };
  g_autoptr (GError)     error = NULL;
  g_autoptr (JsonObject) body
      = _dft_server_parse_object (request, members, G_N_ELEMENTS (members), &error);
  g_autoptr (DftDevice) device = NULL;
  g_autofree char      *code = NULL;
  g_autofree char      *code_hash = NULL;
  g_autofree char      *token = NULL;
  g_autofree char      *hash = NULL;
  gint64                now = _dft_server_now_seconds ();

  if (body == NULL || !check_device_fields (body, &error))
    {
      _dft_server_reply_gerror (&request->reply, error);
      return;
    }
  code = dft_server_auth_normalize_code (_dft_server_member_string (body, "code"));
  if (code == NULL)
    {
      _dft_server_reply_error (
          &request->reply, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
          _ ("This enrolment code is not valid: it may have expired or been used "
             "already. Ask your coordinator for a new one."));
      return;
    }
  code_hash = dft_server_auth_hash_secret (code);
  token = dft_server_auth_new_token ();
  hash = dft_server_auth_hash_secret (token);
  device = dft_server_db_enrol_with_code (
      self->db, code_hash, _dft_server_member_string (body, "device_id"),
      _dft_server_member_string (body, "device_name"), hash,
      _dft_server_member_string (body, "sign_key"), now, token_expiry (self, now), &error);
  if (device == NULL)
    {
      _dft_server_reply_gerror (&request->reply, error);
      return;
    }
  reply_enrolled (self, request, token, device);
}

/*
 * A forked database takes a new device id, and with it needs a token: the
 * copied token vouches for it as much as for the original, so the new id is
 * enrolled like the device the token belongs to (account, role, team and the
 * same expiry), and the original keeps its own.
 */
void
_dft_server_handle_reidentify (DftServer *self, Request *request, DftDevice *device)
{
  static const Member members[] = {
    { "device_id", G_TYPE_STRING, TRUE, FALSE },
    { "device_name", G_TYPE_STRING, FALSE, TRUE },
    { "sign_key", G_TYPE_STRING, FALSE, TRUE },
  };
  g_autoptr (GError)     error = NULL;
  g_autoptr (JsonObject) body
      = _dft_server_parse_object (request, members, G_N_ELEMENTS (members), &error);
  g_autoptr (DftDevice) twin = NULL;
  g_autofree char      *token = NULL;
  g_autofree char      *hash = NULL;

  if (body == NULL || !check_device_fields (body, &error))
    {
      _dft_server_reply_gerror (&request->reply, error);
      return;
    }
  if (g_str_equal (_dft_server_member_string (body, "device_id"), device->id))
    {
      _dft_server_reply_error (&request->reply, SOUP_STATUS_BAD_REQUEST, "bad_request",
                               _ ("A new identity needs a new device id."));
      return;
    }
  token = dft_server_auth_new_token ();
  hash = dft_server_auth_hash_secret (token);
  twin = dft_server_db_enrol_like (self->db, device, _dft_server_member_string (body, "device_id"),
                                   _dft_server_member_string (body, "device_name"), hash,
                                   _dft_server_member_string (body, "sign_key"),
                                   _dft_server_now_seconds (), &error);
  if (twin == NULL)
    {
      _dft_server_reply_gerror (&request->reply, error);
      return;
    }
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                    "device %s is a copy of device %s and took a new identity", twin->id,
                    device->id);
  reply_enrolled (self, request, token, twin);
}

/*
 * The signing keys of the devices not revoked, so that a laptop can check a
 * USB bundle from another laptop (sync/PROTOCOL.md, "Bundles"). Public keys
 * and device ids only: a device sees the ids in every pull anyway.
 */
JsonObject *
_dft_server_device_keys (DftServer *self, GError **error)
{
  g_autoptr (GPtrArray) devices = dft_server_db_list_devices (self->db, error);
  JsonObject           *keys;

  if (devices == NULL)
    return NULL;
  keys = json_object_new ();
  for (guint i = 0; i < devices->len; i++)
    {
      DftDevice *d = g_ptr_array_index (devices, i);

      if (d->revoked_at == 0 && d->sign_key != NULL)
        json_object_set_string_member (keys, d->id, d->sign_key);
    }
  return keys;
}

/* The first 16 hex digits of the SHA-256 of the keys' JSON (its members in the list's order). */
char *
_dft_server_device_keys_tag (JsonObject *keys)
{
  g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), keys);
  g_autofree char     *text = json_to_string (node, FALSE);
  g_autofree char     *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);

  return g_strndup (digest, 16);
}

void
_dft_server_handle_device_keys (DftServer *self, Request *request, DftDevice *device)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (JsonObject) keys = _dft_server_device_keys (self, &error);
  g_autoptr (JsonObject) object = NULL;

  if (keys == NULL)
    {
      _dft_server_reply_internal (&request->reply, error);
      return;
    }
  object = _dft_server_reply_object_new ();
  json_object_set_object_member (object, "devices", g_steal_pointer (&keys));
  _dft_server_reply_json (&request->reply, SOUP_STATUS_OK, object);
}

/* ---- Administration over HTTP ------------------------------------------- */

static gboolean
may_administer (Request *request, DftDevice *device)
{
  if (device->role != DFT_SERVER_ROLE_TRAINER)
    return TRUE;
  _dft_server_reply_error (&request->reply, SOUP_STATUS_FORBIDDEN, "forbidden",
                           _ ("Only coordinators and admins may do this."));
  return FALSE;
}

void
_dft_server_handle_revoke (DftServer *self, Request *request, DftDevice *device)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (DftDevice)  target = NULL;
  g_autoptr (JsonObject) object = NULL;

  if (!may_administer (request, device))
    return;
  target = dft_server_db_find_device (self->db, request->path_id, &error);
  if (target == NULL)
    {
      _dft_server_reply_gerror (&request->reply, error);
      return;
    }
  /* A coordinator revokes the devices of their team, never an admin's. */
  if (device->role == DFT_SERVER_ROLE_COORDINATOR
      && (target->role == DFT_SERVER_ROLE_ADMIN
          || (device->team_id != NULL && g_strcmp0 (device->team_id, target->team_id) != 0)))
    {
      _dft_server_reply_error (&request->reply, SOUP_STATUS_FORBIDDEN, "forbidden",
                               _ ("This device belongs to another team."));
      return;
    }
  if (!dft_server_db_revoke_device (self->db, target->id, _dft_server_now_seconds (), &error))
    {
      _dft_server_reply_gerror (&request->reply, error);
      return;
    }
  object = _dft_server_reply_object_new ();
  json_object_set_boolean_member (object, "revoked", TRUE);
  _dft_server_reply_json (&request->reply, SOUP_STATUS_OK, object);
}

void
_dft_server_handle_codes (DftServer *self, Request *request, DftDevice *device)
{
  static const Member members[] = {
    { "team", G_TYPE_STRING, FALSE, TRUE },
    { "role", G_TYPE_STRING, FALSE, FALSE },
    { "expires_in", G_TYPE_INT64, FALSE, FALSE },
  };
  g_autoptr (GError)     error = NULL;
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (DftTeam)    team = NULL;
  g_autoptr (JsonObject) object = NULL;
  g_autofree char       *code = NULL;
  g_autofree char       *normal = NULL;
  g_autofree char       *hash = NULL;
  const char            *team_name;
  const char            *role_name;
  DftServerRole          role = DFT_SERVER_ROLE_TRAINER;
  gint64                 expires_in = CODE_DEFAULT_SECONDS;
  gint64                 now = _dft_server_now_seconds ();

  if (!may_administer (request, device))
    return;
  body = _dft_server_parse_object (request, members, G_N_ELEMENTS (members), &error);
  if (body == NULL)
    {
      _dft_server_reply_gerror (&request->reply, error);
      return;
    }
  role_name = _dft_server_member_string (body, "role");
  if (role_name != NULL
      && (!dft_server_role_from_string (role_name, &role) || role == DFT_SERVER_ROLE_ADMIN))
    {
      _dft_server_reply_error (&request->reply, SOUP_STATUS_BAD_REQUEST, "bad_request",
                               _ ("An enrolment code is for the role “trainer” or “coordinator”."));
      return;
    }
  if (json_object_has_member (body, "expires_in"))
    expires_in = json_object_get_int_member (body, "expires_in");
  if (expires_in < CODE_MIN_SECONDS || expires_in > CODE_MAX_SECONDS)
    {
      _dft_server_reply_error (&request->reply, SOUP_STATUS_BAD_REQUEST, "bad_request",
                               _ ("An enrolment code lasts from one minute to thirty days."));
      return;
    }

  /* A coordinator's own team, unless another is named. */
  team_name
      = json_object_has_member (body, "team") ? _dft_server_member_string (body, "team") : NULL;
  if (team_name == NULL && !json_object_has_member (body, "team") && device->team_id != NULL)
    team_name = device->team_id;
  if (team_name != NULL)
    {
      team = dft_server_db_find_team (self->db, team_name, &error);
      if (team == NULL)
        {
          _dft_server_reply_gerror (&request->reply, error);
          return;
        }
    }

  /* Nobody gives more than they hold: a team's coordinator enrols trainers of that team;
   * only an admin makes a coordinator without a team. */
  if (device->role == DFT_SERVER_ROLE_COORDINATOR
      && ((device->team_id != NULL
           && (role != DFT_SERVER_ROLE_TRAINER || team == NULL
               || g_strcmp0 (team->id, device->team_id) != 0))
          || (device->team_id == NULL && team == NULL)))
    {
      _dft_server_reply_error (
          &request->reply, SOUP_STATUS_FORBIDDEN, "forbidden",
          _ ("A coordinator makes enrolment codes for trainers of their own team."));
      return;
    }

  code = dft_server_auth_new_enrolment_code ();
  normal = dft_server_auth_normalize_code (code);
  hash = dft_server_auth_hash_secret (normal);
  if (!dft_server_db_add_enrolment_code (self->db, hash, team != NULL ? team->id : NULL, role, 1,
                                         now, now + expires_in, device->id, &error))
    {
      _dft_server_reply_gerror (&request->reply, error);
      return;
    }
  object = _dft_server_reply_object_new ();
  json_object_set_string_member (object, "code", code);
  json_object_set_int_member (object, "expires_at", (now + expires_in) * 1000);
  _dft_server_reply_json (&request->reply, SOUP_STATUS_OK, object);
}
