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

G_END_DECLS
