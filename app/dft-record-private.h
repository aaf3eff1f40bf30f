/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dft-record.h"

G_BEGIN_DECLS

/* Used by the store only: loading a row, and settling a record after a commit. */
void     _dft_record_set_identity (DftRecord  *self,
                                   const char *id,
                                   const char *created_at,
                                   const char *updated_at,
                                   gboolean    deleted,
                                   gboolean    is_new);
void     _dft_record_set_deleted (DftRecord *self, gboolean deleted);
gboolean _dft_record_deleted_is_changed (DftRecord *self);
void     _dft_record_take_loaded_value (DftRecord *self, guint field_index, GValue *value);
void     _dft_record_mark_saved (DftRecord *self, const char *updated_at);
/* The change-log position a record was read at, and the field versions it wrote since. */
void        _dft_record_set_read_seq (DftRecord *self, gint64 seq);
gint64      _dft_record_get_read_seq (DftRecord *self);
void        _dft_record_set_seen (DftRecord *self, const char *field, const char *version);
const char *_dft_record_get_seen (DftRecord *self, const char *field);

G_END_DECLS
