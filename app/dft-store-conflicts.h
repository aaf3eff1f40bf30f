/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dft-store.h"

G_BEGIN_DECLS

/*
 * The conflicts a coordinator decides (dft-store-conflicts.c). A conflict record keeps the
 * value that lost a merge; deciding it writes the chosen value to the record through the one
 * write path and marks the conflict resolved, both as ordinary changes that sync. Once any
 * replica resolved a conflict it stays resolved everywhere (sync/PROTOCOL.md, Merge).
 */

typedef enum
{
  DFT_CONFLICT_KEEP_CURRENT, /* the record keeps what it holds now */
  DFT_CONFLICT_KEEP_OTHER,   /* the value that lost is written back */
  DFT_CONFLICT_NEW_VALUE,    /* a value typed by the coordinator */
} DftConflictChoice;

/* One open conflict as a person reads it. Values are JSON text as changes carry them. */
typedef struct
{
  char  *id;
  char  *entity_name;
  char  *entity_label; /* translated: "person" */
  char  *record_id;
  char  *record_title; /* the person's name, the workshop's title… or the record id */
  char  *field;
  char  *field_label; /* translated: "Agency" */
  char  *current_value;
  char  *current_device; /* who wrote what the record holds now; NULL when unknown */
  gint64 current_ms;     /* when, in Unix milliseconds; 0 when unknown */
  char  *other_value;
  char  *other_device;
  gint64 other_ms;
} DftConflictView;

void dft_conflict_view_free (DftConflictView *view);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftConflictView, dft_conflict_view_free)

/* The open conflicts (of DftConflictView), newest first; NULL on error. */
GPtrArray *dft_store_list_open_conflicts (DftStore *self, GError **error);

/*
 * Decides conflict @id: @choice says which value the record keeps (@new_value, as text the way
 * a person types it, for DFT_CONFLICT_NEW_VALUE; NULL or "" empties the field). One
 * transaction: the value, checked like any save, and the conflict marked resolved. Refused,
 * with nothing changed, on a trainer's device (DFT_STORE_ERROR_NOT_ALLOWED), for an unknown
 * id (DFT_STORE_ERROR_NOT_FOUND), a conflict already resolved or one about a deleted record
 * (DFT_STORE_ERROR_INVALID).
 */
gboolean dft_store_resolve_conflict (DftStore         *self,
                                     const char       *id,
                                     DftConflictChoice choice,
                                     const char       *new_value,
                                     GError          **error);

/* A value of a conflict (JSON text) for people: strings bare, booleans as words, null as
 * "(empty)". */
char *dft_conflict_value_describe (const char *json);

G_END_DECLS
