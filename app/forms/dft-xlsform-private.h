/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A text cell of pyxform's markdown tables (.md) is one line, so a line break in a label,
 * hint, message or title is written "<br>" (which ODK Collect shows as a line break, should
 * pyxform convert the file). Reading takes "<br>", "<br/>" and "<br />" in any case as a line
 * break. A text that holds such a tag itself has its "<" written "&lt;", and one that holds
 * "&lt;br>" gets one "amp;" more after its "&" ("&amp;lt;br>"), so that every text comes back
 * as it was. Nothing else in a cell changes. The reader (dft-xlsform.c) and the writer
 * (dft-xlsform-write.c) share this; it lives in dft-xlsform-md.c.
 */

/* @text with its line breaks as "<br>"; a newly allocated string. */
char *_dft_xlsform_md_encode_text (const char *text);

/* The text an encoded cell holds; a newly allocated string. */
char *_dft_xlsform_md_decode_text (const char *cell);

G_END_DECLS
