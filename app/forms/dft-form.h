/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A form definition: the one internal model every form becomes, whether written as Daftari JSON
 * (docs in app/forms/FORMS.md), imported from an ODK XForm (dft-xform.h) or from an XLSForm
 * (dft-xlsform.h). It is a tree of questions plus named choice lists, with every user-visible
 * string kept per language.
 *
 * Expressions (relevant, constraint, required, read_only, calculate, default_expression,
 * choice_filter, repeat_count) are ODK XPath; they may use ${name} references, which
 * dft_form_prepare() resolves. Importers keep expressions as the file wrote them after turning
 * ${name} into absolute paths the way pyxform does, then pass them through
 * dft_expr_normalize() so that an XLSForm and the XForm pyxform makes of it compare equal.
 *
 * The structs are public for reading; build them with the functions below so that the form
 * owns every string.
 */

#define DFT_FORM_ERROR (dft_form_error_quark ())

typedef enum
{
  DFT_FORM_ERROR_PARSE,       /* the file is not what it claims to be (bad JSON, XML, sheet) */
  DFT_FORM_ERROR_INVALID,     /* well-formed, but the form is broken (duplicate name, bad bind) */
  DFT_FORM_ERROR_UNSUPPORTED, /* a required question of a type Daftari cannot show */
  DFT_FORM_ERROR_EXPRESSION,  /* an expression does not compile or refers to nothing */
  DFT_FORM_ERROR_CYCLE,       /* expressions that depend on themselves */
} DftFormError;

GQuark dft_form_error_quark (void);

typedef enum
{
  DFT_QUESTION_TEXT,
  DFT_QUESTION_INTEGER,
  DFT_QUESTION_DECIMAL,
  DFT_QUESTION_DATE,
  DFT_QUESTION_TIME,
  DFT_QUESTION_DATETIME,
  DFT_QUESTION_GEOPOINT, /* "latitude longitude [altitude [accuracy]]", typed in: no GPS */
  DFT_QUESTION_SELECT_ONE,
  DFT_QUESTION_SELECT_MULTIPLE,
  DFT_QUESTION_LIKERT,      /* a select one shown as a scale; its choices are the scale points */
  DFT_QUESTION_NOTE,        /* text to read; no answer */
  DFT_QUESTION_ACKNOWLEDGE, /* an "OK" to tick (ODK trigger) */
  DFT_QUESTION_CALCULATE,   /* hidden, holds a calculation */
  DFT_QUESTION_METADATA,    /* filled by Daftari: see DftQuestion.preload */
  DFT_QUESTION_GROUP,
  DFT_QUESTION_REPEAT,
  DFT_QUESTION_UNSUPPORTED, /* kept so paths stay right; never shown; see unsupported_type */
  /* Typed in or pasted from a GPS app, kept as ODK writes them: "lat lon [alt [accuracy]]"
   * points separated by ";"; a geoshape's last point is its first again. */
  DFT_QUESTION_GEOTRACE, /* a line: at least 2 points */
  DFT_QUESTION_GEOSHAPE, /* a closed ring: at least 4 points */
  DFT_QUESTION_BARCODE,  /* text typed by hand (no camera), kept as typed */
  DFT_QUESTION_RANK,     /* every choice once, in the person's order, separated by spaces */
  /* A file chosen by the person, kept with the submission (dft-store-attachments.h); the
   * answer is "SHA256.ext". ODK's upload controls with mediatype image, audio, video and
   * any other. */
  DFT_QUESTION_IMAGE,
  DFT_QUESTION_AUDIO,
  DFT_QUESTION_VIDEO,
  DFT_QUESTION_FILE,
  /* A number from range_start to range_end in steps of range_step, picked on a scale: ODK's
   * <range>, XLSForm's range with start=, end=, step= parameters. */
  DFT_QUESTION_RANGE,
} DftQuestionType;

/* Strings per language code ("en", "ru", "ur"); a form without languages uses "und". */
typedef GHashTable DftText;

DftText    *dft_text_new (void);
void        dft_text_set (DftText *text, const char *lang, const char *value);
const char *dft_text_get (DftText *text, const char *lang);

typedef struct
{
  char    *value;
  DftText *label;
  /* Other columns of the choice row or instance item (XLSForm extra columns used by
   * choice_filter, XForm secondary-instance children), name → string; may be empty. */
  GHashTable *extra;
} DftChoice;

typedef struct
{
  char      *name;
  GPtrArray *choices; /* DftChoice * */
} DftChoiceList;

typedef struct _DftQuestion DftQuestion;

/* The ODK events an action runs on (a mask). */
typedef enum
{
  DFT_EVENT_INSTANCE_FIRST_LOAD = 1 << 0, /* odk-instance-first-load: a new submission starts */
  DFT_EVENT_INSTANCE_LOAD = 1 << 1,       /* odk-instance-load: it starts or a draft opens */
  DFT_EVENT_NEW_REPEAT = 1 << 2,          /* odk-new-repeat: a repeat instance is added */
  DFT_EVENT_VALUE_CHANGED = 1 << 3,       /* xforms-value-changed: an answer changes */
} DftEvents;

/* An ODK action setting the question it belongs to: <setvalue> gives it @value's value (an
 * expression; NULL empties it); <odk:setgeopoint> would give it the device's location, which
 * Daftari does not have, so it leaves the question as it is. @trigger is the question whose
 * change fires xforms-value-changed, or the repeat whose new instances fire odk-new-repeat
 * (NULL: the question's own repeat); ${name} or an absolute path. */
typedef struct
{
  DftEvents events;
  gboolean  setgeopoint;
  char     *value;
  char     *trigger;
  guint     source_line;
} DftAction;

struct _DftQuestion
{
  DftQuestionType type;
  char           *name;
  char           *path; /* "/data/grp/q", set by dft_form_prepare() */
  DftQuestion    *parent;

  DftText *label;
  DftText *hint;
  DftText *required_message;
  DftText *constraint_message;

  char    *required; /* NULL, "true()" or an expression */
  char    *relevant; /* NULL or an expression */
  char    *constraint;
  char    *calculate;
  char    *read_only;          /* NULL, "true()" or an expression */
  char    *default_value;      /* a literal answer the question starts with */
  char    *default_expression; /* evaluated once when a submission starts */
  char    *choice_filter;      /* evaluated with "." = each choice's instance item */
  gboolean choice_randomize;   /* offer the choices shuffled as randomize() shuffles them */
  char    *choice_seed;        /* randomize()'s seed, an expression; NULL: one per run */
  char    *choice_list;        /* name of a DftForm.choice_lists entry (selects, likert, rank) */
  char    *appearance;         /* as written: "minimal", "likert", "field-list"… */
  char    *repeat_count;       /* repeats: fixed number or expression */
  gboolean page;               /* groups: show the whole group as one page (field-list) */
  char    *preload;            /* metadata: "start", "end", "today", "deviceid", "username" */
  char    *unsupported_type;   /* unsupported: the type as written: "geopoint", "image" */
  double   range_start;        /* ranges: the first number, the last and the step between */
  double   range_end;          /* them (1, 10 and 1 unless the form says otherwise); the */
  double   range_step;         /* step is more than 0, start and end may come either way */

  /* Assessments: the values that are right (one for select one, several for select
   * multiple), points for a right answer; with partial credit a select multiple earns
   * points × max(0, right picks − wrong picks) / number of right values. */
  GStrv    correct;
  double   points;
  gboolean partial_credit;

  GPtrArray *actions;     /* DftAction *, setting this question; may be empty */
  GPtrArray *children;    /* DftQuestion *, groups and repeats */
  guint      source_line; /* row or line in the file it came from; 0 when none */
};

typedef struct
{
  char *code; /* "en", "ru", "und" */
  char *name; /* as the file named it: "English (en)", "Русский" */
} DftLanguage;

/* A problem an importer found but could live with (an optional question of an unsupported
 * type, an appearance Daftari ignores); shown to the user after import. */
typedef struct
{
  guint source_line;
  char *name;    /* the question's name, or NULL */
  char *message; /* translated, a full sentence */
} DftFormWarning;

typedef struct
{
  char    *id;      /* the form key: stable across versions ("pre_test") */
  char    *version; /* as the source gave it ("2024031501"); Daftari's own counter is the store's */
  DftText *title;
  char    *kind;      /* "survey", "assessment", "evaluation", "registration" */
  char    *root_name; /* the instance's root element: "data" */
  char    *default_language;
  GPtrArray  *languages;    /* DftLanguage *, in the order the source listed them */
  GHashTable *fallbacks;    /* code → GStrv of codes to try next ("ky" → {"ru", "en"}) */
  GPtrArray  *questions;    /* DftQuestion *, top level */
  GHashTable *choice_lists; /* name → DftChoiceList * */
  double      pass_percent; /* assessments: the pass mark in percent of the maximum; < 0: none */
  /* A test given as two forms: "pre" or "post" for the half this form is, and the form key
   * of the other half (on either of them, or both); NULL when not. */
  char      *phase;
  char      *pairs_with;
  GPtrArray *warnings; /* DftFormWarning * */
  /* Texts by id, what jr:itext('id') in an expression reads (an XForm's itext entries when its
   * expressions call jr:itext()); id → DftText *, may be empty. */
  GHashTable *texts;

  /*< private >*/
  gatomicrefcount ref_count;
  GHashTable     *by_name; /* name → DftQuestion *, filled by dft_form_prepare() */
  GHashTable     *by_path; /* path → DftQuestion * */
  gpointer        graph;   /* DftExprGraph *: which fields read which */
  gboolean        prepared;
} DftForm;

DftForm *dft_form_new (const char *id);
DftForm *dft_form_ref (DftForm *form);
void     dft_form_unref (DftForm *form);

DftQuestion *dft_question_new (DftQuestionType type, const char *name);
void         dft_question_free (DftQuestion *question);
/* Takes ownership of @child. */
void dft_question_add_child (DftQuestion *parent, DftQuestion *child);
void dft_form_add_question (DftForm *form, DftQuestion *question);

/* Adds an action setting @question and returns it, for its value and trigger. */
DftAction *dft_question_add_action (DftQuestion *question, DftEvents events, gboolean setgeopoint);
/* "odk-new-repeat xforms-value-changed" ↔ the mask; names ODK has that Daftari does not run
 * (xforms-ready…) are not read: *unknown (may be NULL) gets the first of them. */
DftEvents dft_events_from_string (const char *names, char **unknown);
char     *dft_events_to_string (DftEvents events);

/* Adds or returns the list named @name. */
DftChoiceList *dft_form_ensure_choice_list (DftForm *form, const char *name);
/* Takes ownership of @label (may be NULL). Returns the new choice, for its extra columns. */
DftChoice *dft_choice_list_add (DftChoiceList *list, const char *value, DftText *label);

/* Adds @code unless present; @name may be NULL (the code is used). */
void dft_form_add_language (DftForm *form, const char *code, const char *name);
void dft_form_set_fallback (DftForm *form, const char *code, const char *const *chain);
void
dft_form_add_warning (DftForm *form, guint source_line, const char *name, const char *format, ...)
    G_GNUC_PRINTF (4, 5);

/* The language code in an ODK language name: "English (en)" → "en"; a bare name Daftari
 * knows ("English", "Russian", "Swahili"…) → its code; "default" or "" → "und"; anything
 * else is returned lower-cased as is. Free with g_free(). */
char *dft_language_code_from_name (const char *name);

/* Checks the whole form and makes it ready to run: fills paths, resolves ${name}, checks that
 * names are unique where ODK needs them to be, that every expression compiles and refers to
 * existing questions, that select questions have their choice lists, that no required
 * question is unsupported (DFT_FORM_ERROR_UNSUPPORTED naming the question and its line), and
 * that no calculation, relevance, requiredness or constraint depends on itself
 * (DFT_FORM_ERROR_CYCLE naming the fields in the cycle). Every error message is translated
 * and names the question and, when known, its line. */
gboolean dft_form_prepare (DftForm *form, GError **error);

DftQuestion *dft_form_lookup (DftForm *form, const char *name);
DftQuestion *dft_form_lookup_path (DftForm *form, const char *path);

/* The text in @lang, else along the fallback chain (the form's own chain for @lang, then the
 * default language, then "und", then any language there is); *fell_back says whether the text
 * came from another language than @lang. NULL only when @text has no value at all. */
const char *dft_form_text (DftForm *form, DftText *text, const char *lang, gboolean *fell_back);

typedef enum
{
  DFT_FORM_JSON_DEFAULT = 0,
  DFT_FORM_JSON_PRETTY = 1 << 0,
  /* For comparing two forms: each select's choices written inline instead of by list name,
   * no source lines. */
  DFT_FORM_JSON_CANONICAL = 1 << 1,
} DftFormJsonFlags;

/* Daftari's JSON form definition, documented in app/forms/FORMS.md. to_json writes members in
 * a fixed order and sorts per-language maps, so equal forms give equal text. The form read
 * is not prepared yet. */
DftForm *dft_form_new_from_json (const char *json, gssize length, GError **error);
char    *dft_form_to_json (DftForm *form, DftFormJsonFlags flags);

/* Reads any form file by its name and content: .json (Daftari), .xml (XForm), .xlsx, .xls,
 * .csv, .md (XLSForm). Prepared on success. */
DftForm *dft_form_new_from_file (const char *path, GError **error);

/* Depth-first, parents before children. */
typedef void (*DftQuestionFunc) (DftQuestion *question, gpointer user_data);
void dft_form_foreach (DftForm *form, DftQuestionFunc func, gpointer user_data);

const char *dft_question_type_to_string (DftQuestionType type);
gboolean    dft_question_type_from_string (const char *s, DftQuestionType *type);
gboolean    dft_question_has_answer (const DftQuestion *question);
/* Whether @question's calculation only suggests its answer: the person can answer it (it has
 * an answer of its own, is not a calculate or metadata, is not always read-only) and its
 * calculation gives the answer until the person changes it, as ODK's pattern for a default
 * that follows other answers. A screen shows such a question as one to answer. */
gboolean dft_question_calculation_suggests (const DftQuestion *question);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftForm, dft_form_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DftQuestion, dft_question_free)

G_END_DECLS
