/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Checks of a person's email address and phone number, shared by the store (which refuses
 * what fails them), the importer and the dialogs (which say so beside the field).
 */

/*
 * Whether @text looks like an email address: one "@" with something before it, and after it
 * a domain of at least two dot-separated labels, none empty; no space or control character
 * anywhere. Letters of any script are allowed (internationalized addresses). This is not
 * RFC 5321 in full: it catches what people mistype (a missing "@", "name@mail", a space),
 * not every address a mail server would refuse.
 */
gboolean dft_email_is_valid (const char *text);

/*
 * @text as one form kept for matching people: digits only, after a "+" when the number was
 * written with its country code ("+996 (555) 12-34-56" and "00996 555.123.456" both give
 * "+996555123456"). Spaces, dashes, dots, slashes and brackets go; a leading "00" becomes
 * "+". NULL when @text is not a phone number: a letter or any other sign in it, a "+" that
 * does not come first, fewer than 4 or more than 15 digits (the E.164 maximum).
 * No phone library is used: the form is E.164's where the country code was given, and the
 * digits as written where it was not. Free with g_free().
 */
char *dft_phone_normalize (const char *text);

G_END_DECLS
