/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dft-change-log.h"
#include "dft-db.h"
#include "dft-record-private.h"
#include "dft-store-private.h"
#include "dft-test-util.h"

/*
 * Bad files and failing disks. Whatever goes wrong, the user gets a message
 * in Daftari's words that says what to do, and nothing already saved is lost
 * or changed: a file Daftari refuses is left byte for byte as it was.
 */

/* ---- Helpers ---------------------------------------------------------- */

static char *
file_digest (const char *path)
{
  g_autofree char *contents = NULL;
  gsize            length;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return NULL;
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, length);
}

static void
assert_no_sidecars (const char *path)
{
  const char *suffixes[] = { "-wal", "-shm", "-journal" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *side = g_strconcat (path, suffixes[i], NULL);

      if (g_file_test (side, G_FILE_TEST_EXISTS))
        g_test_message ("left behind: %s", side);
      g_assert_false (g_file_test (side, G_FILE_TEST_EXISTS));
    }
}

/* A sentence in Daftari's words that a translator has seen, not SQLite's own text. */
static void
assert_user_message (const GError *error)
{
  static const int raw_codes[] = {
    SQLITE_ERROR,   SQLITE_FULL,     SQLITE_IOERR,    SQLITE_NOTADB,
    SQLITE_CORRUPT, SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_PERM,
  };

  g_assert_nonnull (error);
  g_assert_cmpuint (strlen (error->message), >, 30);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_assert_true (g_unichar_isupper (g_utf8_get_char (error->message)));
  g_assert_true (g_str_has_suffix (error->message, "."));
  g_assert_null (strstr (error->message, "SQLITE"));
  g_assert_null (strstr (error->message, "sqlite"));
  for (guint i = 0; i < G_N_ELEMENTS (raw_codes); i++)
    g_assert_false (g_str_has_prefix (error->message, sqlite3_errstr (raw_codes[i])));
}

/* Queued "changed" emissions hold a reference: let them run so the store really closes. */
static void
close_store (DftStore *store)
{
  dft_test_drain ();
  g_assert_finalize_object (store);
}

static sqlite3 *
raw_open (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  return db;
}

static void
raw_close (sqlite3 *db)
{
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
}

static void
raw_exec (sqlite3 *db, const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

/* Every row of @sql, columns joined by '|', rows by '\n'. */
static char *
raw_text (sqlite3 *db, const char *sql)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  GString                 *text = g_string_new (NULL);
  int                      rc;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      for (int i = 0; i < sqlite3_column_count (stmt); i++)
        {
          const char *value = (const char *) sqlite3_column_text (stmt, i);
          g_string_append (text, value != NULL ? value : "NULL");
          g_string_append_c (text, i + 1 < sqlite3_column_count (stmt) ? '|' : '\n');
        }
    }
  g_assert_cmpint (rc, ==, SQLITE_DONE);
  return g_string_free (text, FALSE);
}

static gint64
raw_int (sqlite3 *db, const char *sql)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  return sqlite3_column_int64 (stmt, 0);
}

static DftRecord *
new_person (guint i)
{
  DftRecord       *person = dft_record_new_for_entity (&dft_entity_person);
  g_autofree char *given = g_strdup_printf ("Aigul%05u", i);
  g_autofree char *email = g_strdup_printf ("aigul%05u@customs.example.kg", i);

  dft_record_set_string (person, "given_name", given);
  dft_record_set_string (person, "family_name", "Toktogulova");
  dft_record_set_string (person, "agency", "State Customs Service of the Kyrgyz Republic");
  dft_record_set_string (person, "position", "Senior inspector, Border post Dostuk");
  dft_record_set_string (person, "email", email);
  return person;
}

/* A closed store at DIR/daftari.db holding a workshop and @n_people enrolled in it. */
static char *
make_store (const char *dir, guint n_people, char **out_event_id)
{
  g_autoptr (GError)    error = NULL;
  char                 *path = g_build_filename (dir, "daftari.db", NULL);
  DftStore             *store = dft_store_open (path, &error);
  g_autoptr (DftRecord) event = NULL;

  g_assert_no_error (error);
  event = dft_test_add_event (store, "Detecting forged documents", "2026-03-02", "2026-03-04");
  for (guint i = 0; i < n_people; i++)
    {
      g_autoptr (DftRecord) person = new_person (i);
      g_autoptr (DftRecord) enrollment = NULL;

      dft_store_save (store, person, &error);
      g_assert_no_error (error);
      enrollment = dft_store_enroll (store, dft_record_get_id (event), dft_record_get_id (person),
                                     NULL, &error);
      g_assert_no_error (error);
    }
  if (out_event_id != NULL)
    *out_event_id = g_strdup (dft_record_get_id (event));
  close_store (store);
  assert_no_sidecars (path);
  return path;
}

/*
 * Opening @path fails with @domain and @code, and the attempt leaves the file
 * byte for byte as it was and no journal beside it.
 */
static GError *
open_refused (const char *path, GQuark domain, int code)
{
  g_autofree char   *before = file_digest (path);
  g_autofree char   *after = NULL;
  g_autoptr (GError) error = NULL;
  DftStore          *store = dft_store_open (path, &error);

  if (store != NULL)
    close_store (store);
  g_assert_null (store);
  g_assert_error (error, domain, code);
  g_test_message ("%s", error->message);
  assert_user_message (error);

  after = file_digest (path);
  g_assert_cmpstr (after, ==, before);
  assert_no_sidecars (path);
  return g_steal_pointer (&error);
}

static void
write_file (const char *path, const void *data, gsize length)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, data, (gssize) length, &error);
  g_assert_no_error (error);
}

static void
overwrite_bytes (const char *path, goffset offset, gsize length, guint8 seed)
{
  g_autofree guint8 *junk = g_malloc (length);
  int                fd = g_open (path, O_WRONLY | O_CLOEXEC, 0);

  /* Fixed junk, so a failure reproduces byte for byte. */
  for (gsize i = 0; i < length; i++)
    junk[i] = (guint8) (seed + i * 151 + (i >> 3) * 7);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (pwrite (fd, junk, length, offset), ==, (gssize) length);
  g_assert_cmpint (close (fd), ==, 0);
}

/*
 * Permission tests mean nothing to root, who may write anywhere, and CI runs
 * as root: there, these tests take the identity of "nobody" for their
 * duration. FALSE when that is not possible; the caller skips.
 */
static gboolean
become_unprivileged (const char *dir)
{
  struct passwd *pw;

  if (geteuid () != 0)
    return TRUE;

  pw = getpwnam ("nobody");
  if (pw == NULL || pw->pw_uid == 0)
    return FALSE;
  if (chown (dir, pw->pw_uid, pw->pw_gid) != 0 || setegid (pw->pw_gid) != 0
      || seteuid (pw->pw_uid) != 0)
    return FALSE;
  if (g_access (dir, W_OK | X_OK) != 0)
    {
      g_test_message ("nobody cannot reach %s", dir);
      return FALSE;
    }
  return TRUE;
}

static void
restore_privileges (void)
{
  if (getuid () != 0)
    return;
  if (geteuid () != 0)
    g_assert_cmpint (seteuid (0), ==, 0);
  if (getegid () != getgid ())
    g_assert_cmpint (setegid (getgid ()), ==, 0);
  /* A change of identity clears this, and LeakSanitizer needs it at exit. */
  prctl (PR_SET_DUMPABLE, 1, 0, 0, 0);
}

/* ---- Not a database --------------------------------------------------- */

static void
test_not_a_database_text (void)
{
  g_autofree char    *dir = dft_test_make_dir ();
  g_autofree char    *path = g_build_filename (dir, "daftari.db", NULL);
  g_autoptr (GString) text = g_string_new ("Full name;Agency;Phone\n");
  g_autoptr (GError)  error = NULL;

  for (guint i = 0; i < 200; i++)
    g_string_append_printf (text, "Participant %u;Police Academy;+996 555 %06u\n", i, i * 37);
  write_file (path, text->str, text->len);

  error = open_refused (path, DFT_DB_ERROR, DFT_DB_ERROR_NOT_A_DATABASE);
  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_not_a_database_image (void)
{
  static const guint8 png[]
      = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R' };
  static const guint8 jpeg[] = { 0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0 };
  const struct
  {
    const guint8 *header;
    gsize         length;
  } images[] = {
    { png, sizeof png },
    { jpeg, sizeof jpeg },
  };
  g_autofree char *dir = dft_test_make_dir ();

  for (guint i = 0; i < G_N_ELEMENTS (images); i++)
    {
      g_autofree char   *path = g_strdup_printf ("%s/image-%u.db", dir, i);
      g_autofree guint8 *data = g_malloc (16384);
      g_autoptr (GError) error = NULL;

      for (gsize j = 0; j < 16384; j++)
        data[j] = (guint8) g_test_rand_int_range (0, 256);
      memcpy (data, images[i].header, images[i].length);
      write_file (path, data, 16384);

      error = open_refused (path, DFT_DB_ERROR, DFT_DB_ERROR_NOT_A_DATABASE);
    }
  dft_test_dir_free (g_steal_pointer (&dir));
}

/* ---- Damaged databases ------------------------------------------------ */

typedef struct
{
  gint64 page_size;
  gint64 person_root;
  gint64 sync_state_root;
  gint64 n_pages;
  char  *first_person;
  char  *last_person;
} Layout;

static void
layout_clear (Layout *layout)
{
  g_clear_pointer (&layout->first_person, g_free);
  g_clear_pointer (&layout->last_person, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Layout, layout_clear)

static void
read_layout (const char *path, Layout *layout)
{
  sqlite3 *db = raw_open (path);

  layout->page_size = raw_int (db, "PRAGMA page_size");
  layout->n_pages = raw_int (db, "PRAGMA page_count");
  layout->person_root = raw_int (db, "SELECT rootpage FROM sqlite_schema WHERE name = 'person'");
  layout->sync_state_root
      = raw_int (db, "SELECT rootpage FROM sqlite_schema WHERE name = 'sync_state'");
  layout->first_person = g_strchomp (raw_text (db, "SELECT id FROM person ORDER BY rowid LIMIT 1"));
  layout->last_person
      = g_strchomp (raw_text (db, "SELECT id FROM person ORDER BY rowid DESC LIMIT 1"));
  raw_close (db);
  assert_no_sidecars (path);
}

static goffset
page_offset (const Layout *layout, gint64 page)
{
  return (goffset) ((page - 1) * layout->page_size);
}

/* PRAGMA quick_check's answer, or the error it stopped at. */
static char *
quick_check (sqlite3 *db)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  GString                 *text = g_string_new (NULL);
  int                      rc;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA quick_check", -1, &stmt, NULL), ==, SQLITE_OK);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_string_append_printf (text, "%s\n", sqlite3_column_text (stmt, 0));
  if (rc != SQLITE_DONE)
    g_string_append_printf (text, "error: %s\n", sqlite3_errmsg (db));
  return g_string_free (text, FALSE);
}

/*
 * Damage in a table's pages is not seen by opening, which reads the header,
 * the schema and the sync state: it is reported by the first read that
 * touches the page, and the attempt changes nothing. Returns FALSE when a
 * write into the damaged table went through (see the callers).
 */
static gboolean
assert_person_reads_report_corrupt (const char *path, const char *damaged_id)
{
  g_autofree char   *before = file_digest (path);
  g_autofree char   *after = NULL;
  g_autoptr (GError) error = NULL;
  DftStore          *store = dft_store_open (path, &error);
  gboolean           write_refused = TRUE;

  if (store == NULL)
    {
      /* Refusing at once is better still, as long as it says why. */
      g_assert_error (error, DFT_DB_ERROR, DFT_DB_ERROR_CORRUPT);
      assert_user_message (error);
      g_test_message ("refused at open: %s", error->message);
    }
  else
    {
      g_autoptr (GPtrArray) people = NULL;
      g_autoptr (DftRecord) added = new_person (99999);
      g_autoptr (DftRecord) loaded = NULL;
      g_autofree char      *check = NULL;

      g_test_message ("opened; the damage is found by reading");
      people = _dft_store_query (store, &dft_entity_person, NULL, NULL, NULL, &error);
      g_assert_null (people);
      g_assert_error (error, DFT_DB_ERROR, DFT_DB_ERROR_CORRUPT);
      g_test_message ("%s", error->message);
      assert_user_message (error);
      g_clear_error (&error);

      loaded = dft_store_load (store, &dft_entity_person, damaged_id, &error);
      g_assert_null (loaded);
      g_assert_error (error, DFT_DB_ERROR, DFT_DB_ERROR_CORRUPT);
      g_clear_error (&error);

      /* The check that reads every page finds it too, and from then on the
       * store refuses to build anything on the damage. */
      check = quick_check (_dft_store_get_db (store));
      g_assert_cmpstr (check, !=, "ok\n");
      g_assert_false (dft_store_check (store, NULL, &error));
      g_assert_error (error, DFT_DB_ERROR, DFT_DB_ERROR_CORRUPT);
      assert_user_message (error);
      g_clear_error (&error);
      g_assert_true (dft_store_get_damaged (store));

      g_assert_false (dft_store_save (store, added, &error));
      g_assert_error (error, DFT_DB_ERROR, DFT_DB_ERROR_CORRUPT);
      assert_user_message (error);
      g_assert_true (dft_record_is_changed (added));
      g_clear_error (&error);
      write_refused = TRUE;
      close_store (store);
    }

  if (write_refused)
    {
      after = file_digest (path);
      g_assert_cmpstr (after, ==, before);
    }
  assert_no_sidecars (path);
  return write_refused;
}

static void
test_corrupt_table_page (void)
{
  g_autofree char *dir = dft_test_make_dir ();
  g_autofree char *path = make_store (dir, 300, NULL);
  g_auto (Layout)  layout = { 0 };

  read_layout (path, &layout);
  /* Enough people for the table to have a root page above its leaves. */
  g_assert_cmpint (layout.n_pages, >, 20);
  g_assert_cmpint (layout.person_root, >, 1);

  overwrite_bytes (path, page_offset (&layout, layout.person_root), 64, 0xa5);
  g_assert_true (assert_person_reads_report_corrupt (path, layout.first_person));

  dft_test_dir_free (g_steal_pointer (&dir));
}

/* Junk in the middle of a page of rows: record headers and cells, not a page header. */
static void
test_corrupt_leaf_middle (void)
{
  g_autofree char *dir = dft_test_make_dir ();
  g_autofree char *path = make_store (dir, 300, NULL);
  g_autofree char *contents = NULL;
  gsize            length;
  const guint8    *root;
  gint64           leaf;
  g_auto (Layout)  layout = { 0 };

  read_layout (path, &layout);
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  root = (const guint8 *) contents + page_offset (&layout, layout.person_root);
  /* 0x05 is an interior table page; its right-most child pointer follows the header. */
  g_assert_cmpint (root[0], ==, 0x05);
  leaf = ((gint64) root[8] << 24) | (root[9] << 16) | (root[10] << 8) | root[11];
  g_assert_cmpint (leaf, >, 1);
  g_assert_cmpint (leaf, <=, layout.n_pages);

  /* The right-most leaf holds the newest people. */
  overwrite_bytes (path, page_offset (&layout, leaf) + layout.page_size / 4,
                   (gsize) layout.page_size / 2, 0x3c);
  g_assert_true (assert_person_reads_report_corrupt (path, layout.last_person));

  dft_test_dir_free (g_steal_pointer (&dir));
}

/* The device id and clock are read while opening: damage there is refused at once. */
static void
test_corrupt_sync_state (void)
{
  g_autofree char   *dir = dft_test_make_dir ();
  g_autofree char   *path = make_store (dir, 20, NULL);
  g_autoptr (GError) error = NULL;
  g_auto (Layout)    layout = { 0 };

  read_layout (path, &layout);
  overwrite_bytes (path, page_offset (&layout, layout.sync_state_root), 64, 0x11);
  error = open_refused (path, DFT_DB_ERROR, DFT_DB_ERROR_CORRUPT);

  dft_test_dir_free (g_steal_pointer (&dir));
}

/* The first page holds the schema: opening reads it and refuses. */
static void
test_corrupt_schema_page (void)
{
  g_autofree char   *dir = dft_test_make_dir ();
  g_autofree char   *path = make_store (dir, 20, NULL);
  g_autoptr (GError) error = NULL;
  g_auto (Layout)    layout = { 0 };

  read_layout (path, &layout);
  /* Past the 100-byte file header: the schema table's page header and cell pointers. */
  overwrite_bytes (path, 100, 48, 0x77);
  error = open_refused (path, DFT_DB_ERROR, DFT_DB_ERROR_CORRUPT);

  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_corrupt_header (void)
{
  g_autofree char   *dir = dft_test_make_dir ();
  g_autofree char   *path = make_store (dir, 20, NULL);
  g_autoptr (GError) error = NULL;

  overwrite_bytes (path, 0, 16, 0x42);
  error = open_refused (path, DFT_DB_ERROR, DFT_DB_ERROR_NOT_A_DATABASE);

  dft_test_dir_free (g_steal_pointer (&dir));
}

/*
 * A cut that removes whole pages leaves fewer pages than the header counts:
 * opening refuses it. A cut inside the last page is another matter, see below.
 */
static void
test_truncated (void)
{
  g_autofree char   *dir = dft_test_make_dir ();
  g_autofree char   *path = make_store (dir, 300, NULL);
  g_autofree char   *contents = NULL;
  g_autofree char   *inside = NULL;
  g_auto (Layout)    layout = { 0 };
  g_autoptr (GError) error = NULL;
  gsize              length;
  /* Half the pages, and less than the first page. */
  gsize cuts[2];

  read_layout (path, &layout);
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  cuts[0] = (gsize) (layout.n_pages / 2 * layout.page_size);
  cuts[1] = 3000;

  for (guint i = 0; i < G_N_ELEMENTS (cuts); i++)
    {
      g_autofree char   *cut = g_strdup_printf ("%s/cut-%u.db", dir, i);
      g_autoptr (GError) cut_error = NULL;

      g_test_message ("cut at %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " bytes", cuts[i], length);
      write_file (cut, contents, cuts[i]);
      cut_error = open_refused (cut, DFT_DB_ERROR, DFT_DB_ERROR_CORRUPT);
    }

  /*
   * Half of the last page gone: SQLite would read the missing half as empty
   * rows without an error. The file no longer ends on a page boundary, and
   * opening refuses it for that.
   */
  inside = g_strdup_printf ("%s/cut-inside.db", dir);
  write_file (inside, contents, length - (gsize) layout.page_size / 2 - 17);
  {
    g_autofree char   *before = file_digest (inside);
    g_autofree char   *after = NULL;
    g_autoptr (GError) inside_error = open_refused (inside, DFT_DB_ERROR, DFT_DB_ERROR_CORRUPT);

    g_assert_true (strstr (inside_error->message, "incomplete") != NULL);
    after = file_digest (inside);
    g_assert_cmpstr (after, ==, before);
    assert_no_sidecars (inside);
  }

  dft_test_dir_free (g_steal_pointer (&dir));
}

/* ---- A newer version's database --------------------------------------- */

static void
test_newer_version (void)
{
  g_autofree char   *dir = dft_test_make_dir ();
  g_autofree char   *path = make_store (dir, 5, NULL);
  g_autofree char   *ours = g_strdup_printf ("%d", DFT_SCHEMA_VERSION);
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir)   listing = NULL;
  const char        *name;
  sqlite3           *db;

  db = raw_open (path);
  raw_exec (db, "PRAGMA user_version = 99");
  raw_exec (db, "PRAGMA wal_checkpoint(TRUNCATE)");
  raw_close (db);
  assert_no_sidecars (path);

  error = open_refused (path, DFT_DB_ERROR, DFT_DB_ERROR_NEWER_VERSION);
  g_assert_nonnull (strstr (error->message, "99"));
  g_assert_nonnull (strstr (error->message, ours));
  g_assert_nonnull (strstr (error->message, path));

  /* No upgrade backup or anything else was made beside it. */
  listing = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (listing)) != NULL)
    g_assert_cmpstr (name, ==, "daftari.db");

  db = raw_open (path);
  g_assert_cmpint (raw_int (db, "PRAGMA user_version"), ==, 99);
  g_assert_cmpint (raw_int (db, "SELECT count (*) FROM person"), ==, 5);
  g_assert_cmpint (raw_int (db, "SELECT count (*) FROM change_log WHERE entity = 'person'"), ==, 5);
  raw_close (db);

  dft_test_dir_free (g_steal_pointer (&dir));
}

/* ---- Folders and files that cannot be written ------------------------- */

static void
test_folder_is_a_file (void)
{
  g_autofree char *dir = dft_test_make_dir ();
  g_autofree char *blocker = g_build_filename (dir, "Documents", NULL);
  const char      *paths[] = { "Documents/daftari.db", "Documents/daftari/daftari.db" };
  g_autofree char *before = NULL;

  write_file (blocker, "not a folder\n", 13);
  before = file_digest (blocker);

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char   *path = g_build_filename (dir, paths[i], NULL);
      g_autofree char   *folder = g_path_get_dirname (path);
      g_autofree char   *after = NULL;
      g_autoptr (GError) error = open_refused (path, DFT_STORE_ERROR, DFT_STORE_ERROR_FOLDER);

      g_assert_nonnull (strstr (error->message, folder));
      after = file_digest (blocker);
      g_assert_cmpstr (after, ==, before);
      g_assert_true (g_file_test (blocker, G_FILE_TEST_IS_REGULAR));
    }

  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_folder_read_only (void)
{
  g_autofree char *dir = dft_test_make_dir ();
  g_autofree char *folder = g_build_filename (dir, "data", NULL);
  g_autofree char *fresh = g_build_filename (folder, "daftari.db", NULL);
  g_autofree char *nested = g_build_filename (folder, "sub", "daftari.db", NULL);
  g_autofree char *kept_dir = g_build_filename (dir, "kept", NULL);
  g_autofree char *kept = NULL;

  if (!become_unprivileged (dir))
    {
      restore_privileges ();
      g_test_skip ("permissions cannot be tested: running as root and cannot become nobody");
      dft_test_dir_free (g_steal_pointer (&dir));
      return;
    }

  g_assert_cmpint (g_mkdir (folder, 0700), ==, 0);
  g_assert_cmpint (g_chmod (folder, 0500), ==, 0);

  {
    g_autoptr (GError) error = open_refused (fresh, DFT_STORE_ERROR, DFT_STORE_ERROR_FOLDER);
    g_assert_nonnull (strstr (error->message, folder));
    g_assert_false (g_file_test (fresh, G_FILE_TEST_EXISTS));
  }
  {
    g_autoptr (GError) error = open_refused (nested, DFT_STORE_ERROR, DFT_STORE_ERROR_FOLDER);
    g_assert_nonnull (strstr (error->message, folder));
  }

  /* A database that exists in a folder that became read-only: SQLite needs
   * the folder for its -wal and -shm files. */
  g_assert_cmpint (g_mkdir (kept_dir, 0700), ==, 0);
  kept = make_store (kept_dir, 5, NULL);
  g_assert_cmpint (g_chmod (kept_dir, 0500), ==, 0);
  {
    g_autofree char   *before = file_digest (kept);
    g_autofree char   *after = NULL;
    g_autoptr (GError) error = NULL;
    DftStore          *store = dft_store_open (kept, &error);

    if (store != NULL)
      close_store (store);
    g_assert_null (store);
    g_assert_nonnull (error);
    g_test_message ("%s %d: %s", g_quark_to_string (error->domain), error->code, error->message);
    g_assert_true (g_error_matches (error, DFT_DB_ERROR, DFT_DB_ERROR_READ_ONLY)
                   || g_error_matches (error, DFT_DB_ERROR, DFT_DB_ERROR_CANNOT_OPEN)
                   || g_error_matches (error, DFT_STORE_ERROR, DFT_STORE_ERROR_FOLDER));
    assert_user_message (error);
    g_assert_nonnull (strstr (error->message, "folder"));
    after = file_digest (kept);
    g_assert_cmpstr (after, ==, before);
  }
  g_assert_cmpint (g_chmod (kept_dir, 0700), ==, 0);
  {
    sqlite3 *db = raw_open (kept);
    g_assert_cmpint (raw_int (db, "SELECT count (*) FROM person"), ==, 5);
    raw_close (db);
  }

  g_assert_cmpint (g_chmod (folder, 0700), ==, 0);
  restore_privileges ();
  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_read_only_file (void)
{
  g_autofree char   *dir = dft_test_make_dir ();
  g_autofree char   *path = NULL;
  g_autoptr (GError) error = NULL;
  sqlite3           *db;

  if (!become_unprivileged (dir))
    {
      restore_privileges ();
      g_test_skip ("permissions cannot be tested: running as root and cannot become nobody");
      dft_test_dir_free (g_steal_pointer (&dir));
      return;
    }

  path = make_store (dir, 5, NULL);
  g_assert_cmpint (g_chmod (path, 0400), ==, 0);

  error = open_refused (path, DFT_DB_ERROR, DFT_DB_ERROR_READ_ONLY);
  g_assert_nonnull (strstr (error->message, path));

  g_assert_cmpint (g_chmod (path, 0600), ==, 0);
  db = raw_open (path);
  g_assert_cmpint (raw_int (db, "SELECT count (*) FROM person"), ==, 5);
  raw_close (db);

  restore_privileges ();
  dft_test_dir_free (g_steal_pointer (&dir));
}

/* ---- A full disk ------------------------------------------------------ */

/*
 * A child process fills the disk, either under a file size limit (EFBIG, the
 * way CI can always do it) or in a small tmpfs of its own (ENOSPC, when it
 * may mount one). It tells the parent through a pipe, one line each:
 *
 *   saved ENTITY ID            a save that returned TRUE
 *   failed DOMAIN CODE MESSAGE the first save that failed
 *   changed 0|1                the record whose save failed is still as typed
 *   again DOMAIN CODE          a second save on the full disk
 *   batch DOMAIN CODE 0|1      400 people in one save_all() on the full disk; 1: all kept as typed
 *   retried ENTITY ID          the same record saved once space was freed
 *   dup DOMAIN CODE            a later error that has nothing to do with space
 *   skip REASON                the child could not set the fault up
 *   end
 */

typedef enum
{
  FILL_RLIMIT,
  FILL_TMPFS,
} FillMode;

typedef struct
{
  FillMode    mode;
  const char *path;
  const char *event_id;   /* NULL: the child makes a workshop */
  const char *copy_dir;   /* FILL_TMPFS: where the child leaves a copy of the store */
  gboolean    retry;      /* free space and save the failed record again */
  gboolean    close_full; /* close the store while the disk is still full */
} FillPlan;

typedef struct
{
  GPtrArray *saved; /* "ENTITY ID" */
  char      *skip;
  char      *failed_domain;
  int        failed_code;
  char      *failed_message;
  int        changed;
  char      *again_domain;
  int        again_code;
  char      *batch_domain;
  int        batch_code;
  int        batch_kept;
  char      *retried;
  char      *dup_domain;
  int        dup_code;
  gboolean   ended;
} FillReport;

static void
fill_report_clear (FillReport *report)
{
  g_clear_pointer (&report->saved, g_ptr_array_unref);
  g_clear_pointer (&report->skip, g_free);
  g_clear_pointer (&report->failed_domain, g_free);
  g_clear_pointer (&report->failed_message, g_free);
  g_clear_pointer (&report->again_domain, g_free);
  g_clear_pointer (&report->batch_domain, g_free);
  g_clear_pointer (&report->retried, g_free);
  g_clear_pointer (&report->dup_domain, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FillReport, fill_report_clear)

/* What the tmpfs holds back, to free as a user would: room enough for every retry. */
#define BALLAST_SIZE (2 * 1024 * 1024)

static void tell (int fd, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
tell (int fd, const char *format, ...)
{
  g_autofree char *line = NULL;
  va_list          args;
  gsize            done = 0;
  gsize            length;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);

  length = strlen (line);
  while (done < length)
    {
      gssize n = write (fd, line + done, length - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        _exit (3);
      done += (gsize) n;
    }
}

static void
tell_saved (int fd, DftRecord *record)
{
  tell (fd, "saved %s %s\n", dft_record_get_entity (record)->name, dft_record_get_id (record));
}

static goffset
file_size (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (goffset) st.st_size : 0;
}

static gboolean
copy_file (const char *from, const char *to)
{
  g_autofree char *contents = NULL;
  gsize            length;

  if (!g_file_get_contents (from, &contents, &length, NULL))
    return FALSE;
  return g_file_set_contents (to, contents, (gssize) length, NULL);
}

/* Runs in the child. Only _exit() leaves it: the test harness's own exit handlers are the parent's.
 */
static int
fill_child (const FillPlan *plan, int fd)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftStore)  store = NULL;
  g_autoptr (GPtrArray) sessions = NULL;
  g_autoptr (DftRecord) failed_person = NULL;
  g_autoptr (DftRecord) pending = NULL;
  g_autoptr (GPtrArray) batch = NULL;
  g_autofree char      *event_id = g_strdup (plan->event_id);
  g_autofree char      *folder = g_path_get_dirname (plan->path);
  g_autofree char      *ballast = g_build_filename (folder, "ballast", NULL);
  g_autofree char      *failed_entity = NULL;
  g_autofree char      *failed_for = NULL;
  const char           *params[] = { NULL, NULL };
  const char           *session_id;
  struct rlimit         unlimited;
  guint                 i;

  if (plan->mode == FILL_TMPFS)
    {
      g_autofree char *ballast_data = g_malloc0 (BALLAST_SIZE);

      if (unshare (CLONE_NEWNS) != 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0
          || mount ("daftari-test", folder, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=0700")
                 != 0)
        {
          tell (fd, "skip cannot mount a small tmpfs: %s\n", g_strerror (errno));
          return 0;
        }
      /* Room held back, to free it as a user would. */
      if (!g_file_set_contents (ballast, ballast_data, BALLAST_SIZE, NULL))
        {
          tell (fd, "skip cannot write to the tmpfs\n");
          return 0;
        }
    }

  store = dft_store_open (plan->path, &error);
  if (store == NULL)
    {
      tell (fd, "skip cannot open the store: %s\n", error->message);
      return 1;
    }

  if (event_id == NULL)
    {
      g_autoptr (DftRecord) event = dft_record_new_for_entity (&dft_entity_event);

      dft_record_set_string (event, "title", "Financial investigations");
      dft_record_set_string (event, "start_date", "2026-05-11");
      dft_record_set_string (event, "end_date", "2026-05-13");
      if (!dft_store_save (store, event, &error))
        {
          tell (fd, "skip cannot save a workshop: %s\n", error->message);
          return 1;
        }
      tell_saved (fd, event);
      event_id = g_strdup (dft_record_get_id (event));
    }
  params[0] = event_id;
  sessions
      = _dft_store_query (store, &dft_entity_session, "event_id = ?", params, "date, part", &error);
  if (sessions == NULL || sessions->len == 0)
    {
      tell (fd, "skip the workshop has no sessions\n");
      return 1;
    }
  session_id = dft_record_get_id (g_ptr_array_index (sessions, 0));

  getrlimit (RLIMIT_FSIZE, &unlimited);
  if (plan->mode == FILL_RLIMIT)
    {
      g_autofree char *wal = g_strconcat (plan->path, "-wal", NULL);
      struct rlimit    limit = unlimited;

      /* Over the limit, write() fails with EFBIG instead of killing us. */
      signal (SIGXFSZ, SIG_IGN);
      limit.rlim_cur = (rlim_t) (MAX (file_size (plan->path), file_size (wal)) + 256 * 1024);
      if (setrlimit (RLIMIT_FSIZE, &limit) != 0)
        {
          tell (fd, "skip cannot set a file size limit: %s\n", g_strerror (errno));
          return 1;
        }
    }

  for (i = 0; i < 20000 && failed_entity == NULL; i++)
    {
      g_autoptr (DftRecord) person = new_person (i);
      g_autoptr (DftRecord) enrollment = NULL;
      g_autoptr (DftRecord) mark = NULL;

      if (!dft_store_save (store, person, &error))
        {
          failed_entity = g_strdup ("person");
          failed_person = g_steal_pointer (&person);
          break;
        }
      tell_saved (fd, person);

      enrollment = dft_store_enroll (store, event_id, dft_record_get_id (person), NULL, &error);
      if (enrollment == NULL)
        {
          failed_entity = g_strdup ("enrollment");
          failed_for = g_strdup (dft_record_get_id (person));
          break;
        }
      tell_saved (fd, enrollment);

      mark = dft_store_mark_attendance (store, session_id, dft_record_get_id (person), "present",
                                        NULL, &error);
      if (mark == NULL)
        {
          failed_entity = g_strdup ("attendance");
          failed_for = g_strdup (dft_record_get_id (person));
          break;
        }
      tell_saved (fd, mark);
      dft_test_drain ();
    }

  if (failed_entity == NULL)
    {
      tell (fd, "skip the disk never filled up\n");
      return 1;
    }
  tell (fd, "failed %s %d %s\n", g_quark_to_string (error->domain), error->code, error->message);
  g_clear_error (&error);

  /* Someone keeps typing: the next save fails too, and what was typed stays. */
  for (guint j = 0; j < 50 && pending == NULL; j++)
    {
      g_autoptr (DftRecord) person = new_person (50000 + j);

      if (!dft_store_save (store, person, &error))
        pending = g_steal_pointer (&person);
      else
        tell_saved (fd, person);
    }
  if (pending != NULL)
    {
      tell (fd, "again %s %d\n", g_quark_to_string (error->domain), error->code);
      g_clear_error (&error);
      tell (fd, "changed %d\n",
            dft_record_is_changed (pending) && dft_record_is_new (pending)
                && g_str_has_prefix (dft_record_get_string (pending, "given_name"), "Aigul5")
                && g_strcmp0 (dft_record_get_string (pending, "family_name"), "Toktogulova") == 0);
    }

  /* An import saves many records in one transaction: on a full disk the page
   * cache spills into the log in the middle of it, not at the commit. */
  batch = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint j = 0; j < 400; j++)
    g_ptr_array_add (batch, new_person (60000 + j));
  sqlite3_exec (_dft_store_get_db (store), "PRAGMA cache_size = 8", NULL, NULL, NULL);
  if (dft_store_save_all (store, (DftRecord **) batch->pdata, batch->len, &error))
    {
      for (guint j = 0; j < batch->len; j++)
        tell_saved (fd, g_ptr_array_index (batch, j));
      g_clear_pointer (&batch, g_ptr_array_unref);
    }
  else
    {
      gboolean kept = TRUE;

      for (guint j = 0; j < batch->len; j++)
        kept = kept && dft_record_is_changed (g_ptr_array_index (batch, j))
               && dft_record_is_new (g_ptr_array_index (batch, j));
      tell (fd, "batch %s %d %d\n", g_quark_to_string (error->domain), error->code, kept);
      g_clear_error (&error);
    }
  sqlite3_exec (_dft_store_get_db (store), "PRAGMA cache_size = -2000", NULL, NULL, NULL);

  if (plan->retry)
    {
      if (plan->mode == FILL_RLIMIT)
        setrlimit (RLIMIT_FSIZE, &unlimited);
      else
        g_unlink (ballast);

      if (batch != NULL)
        {
          if (dft_store_save_all (store, (DftRecord **) batch->pdata, batch->len, &error))
            for (guint j = 0; j < batch->len; j++)
              tell_saved (fd, g_ptr_array_index (batch, j));
          else
            tell (fd, "retry-failed %s\n", error->message);
          g_clear_error (&error);
        }

      if (pending != NULL)
        {
          if (dft_store_save (store, pending, &error) && !dft_record_is_changed (pending))
            tell (fd, "retried person %s\n", dft_record_get_id (pending));
          else
            tell (fd, "retry-failed %s\n", error != NULL ? error->message : "still changed");
          g_clear_error (&error);
        }

      /* And what failed first goes through now. */
      if (failed_person != NULL)
        {
          if (dft_store_save (store, failed_person, &error))
            tell_saved (fd, failed_person);
        }
      else
        {
          g_autoptr (DftRecord) enrollment
              = dft_store_enroll (store, event_id, failed_for, NULL, &error);
          g_autoptr (DftRecord) mark = NULL;

          if (enrollment != NULL)
            tell_saved (fd, enrollment);
          if (enrollment != NULL && g_str_equal (failed_entity, "attendance"))
            mark = dft_store_mark_attendance (store, session_id, failed_for, "present", NULL,
                                              &error);
          if (mark != NULL)
            tell_saved (fd, mark);
        }
      if (error != NULL)
        tell (fd, "retry-failed %s\n", error->message);
      g_clear_error (&error);

      /* A later failure unrelated to space must not be reported as a full disk. */
      {
        g_autoptr (GPtrArray) people
            = _dft_store_query (store, &dft_entity_person, NULL, NULL, "rowid LIMIT 1", &error);
        g_autoptr (DftRecord) twin = new_person (70000);

        if (people != NULL && people->len > 0)
          {
            _dft_record_set_identity (twin, dft_record_get_id (g_ptr_array_index (people, 0)), NULL,
                                      NULL, FALSE, TRUE);
            if (!dft_store_save (store, twin, &error))
              tell (fd, "dup %s %d\n", g_quark_to_string (error->domain), error->code);
          }
        g_clear_error (&error);
      }
    }

  if (plan->copy_dir != NULL)
    {
      /* The store as a crash would leave it: the database and its log, no index. */
      g_autofree char *wal = g_strconcat (plan->path, "-wal", NULL);
      g_autofree char *to = g_build_filename (plan->copy_dir, "daftari.db", NULL);
      g_autofree char *to_wal = g_strconcat (to, "-wal", NULL);

      if (!copy_file (plan->path, to)
          || (g_file_test (wal, G_FILE_TEST_EXISTS) && !copy_file (wal, to_wal)))
        tell (fd, "skip cannot copy the store out of the tmpfs\n");
    }

  if (plan->close_full && plan->mode == FILL_RLIMIT)
    {
      struct rlimit limit = unlimited;

      /* The checkpoint at close cannot grow the database either. */
      limit.rlim_cur = (rlim_t) file_size (plan->path);
      setrlimit (RLIMIT_FSIZE, &limit);
    }
  dft_test_drain ();
  g_clear_object (&store);
  tell (fd, "end\n");
  return 0;
}

static char *
next_word (char **cursor)
{
  char *word = *cursor;
  char *space = strchr (word, ' ');

  if (space != NULL)
    {
      *space = '\0';
      *cursor = space + 1;
    }
  else
    *cursor = word + strlen (word);
  return word;
}

static void
run_fill (const FillPlan *plan, FillReport *report)
{
  g_autoptr (GString) output = g_string_new (NULL);
  g_auto (GStrv)      lines = NULL;
  int                 fds[2];
  int                 status;
  pid_t               pid;

  report->saved = g_ptr_array_new_with_free_func (g_free);
  report->changed = -1;
  report->failed_code = report->again_code = report->batch_code = report->dup_code = -1;
  report->batch_kept = -1;

  g_assert_cmpint (pipe2 (fds, O_CLOEXEC), ==, 0);
  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      close (fds[0]);
      _exit (fill_child (plan, fds[1]));
    }
  close (fds[1]);

  for (;;)
    {
      char   buffer[4096];
      gssize n = read (fds[0], buffer, sizeof buffer);

      if (n < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (n, >=, 0);
      if (n == 0)
        break;
      g_string_append_len (output, buffer, n);
    }
  close (fds[0]);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    g_test_message ("child said:\n%s", output->str);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);

  lines = g_strsplit (output->str, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char       *cursor = lines[i];
      const char *kind = next_word (&cursor);

      if (g_str_equal (kind, "saved"))
        g_ptr_array_add (report->saved, g_strdup (cursor));
      else if (g_str_equal (kind, "skip"))
        report->skip = g_strdup (cursor);
      else if (g_str_equal (kind, "failed"))
        {
          report->failed_domain = g_strdup (next_word (&cursor));
          report->failed_code = atoi (next_word (&cursor));
          report->failed_message = g_strdup (cursor);
        }
      else if (g_str_equal (kind, "changed"))
        report->changed = atoi (cursor);
      else if (g_str_equal (kind, "again"))
        {
          report->again_domain = g_strdup (next_word (&cursor));
          report->again_code = atoi (cursor);
        }
      else if (g_str_equal (kind, "batch"))
        {
          report->batch_domain = g_strdup (next_word (&cursor));
          report->batch_code = atoi (next_word (&cursor));
          report->batch_kept = atoi (cursor);
        }
      else if (g_str_equal (kind, "retried"))
        {
          report->retried = g_strdup (cursor);
          g_ptr_array_add (report->saved, g_strdup (cursor));
        }
      else if (g_str_equal (kind, "retry-failed"))
        g_error ("saving again after space was freed failed: %s", cursor);
      else if (g_str_equal (kind, "dup"))
        {
          report->dup_domain = g_strdup (next_word (&cursor));
          report->dup_code = atoi (cursor);
        }
      else if (g_str_equal (kind, "end"))
        report->ended = TRUE;
      else
        g_assert_cmpstr (kind, ==, "");
    }
}

static void
assert_fill_ran (const FillReport *report)
{
  g_assert_null (report->skip);
  g_assert_true (report->ended);
  g_test_message ("%u saves reported", report->saved->len);
  g_assert_cmpuint (report->saved->len, >, 3);
  g_assert_nonnull (report->failed_domain);
  g_test_message ("%s %d: %s", report->failed_domain, report->failed_code, report->failed_message);
  /* The next attempt failed too, and kept what was typed. */
  g_assert_nonnull (report->again_domain);
  g_assert_cmpint (report->changed, ==, 1);
  g_assert_nonnull (report->batch_domain);
  g_assert_cmpint (report->batch_kept, ==, 1);
}

/* Checked after the store itself, so that a wrong message does not hide a worse fault. */
static void
assert_disk_full_reported (const FillReport *report)
{
  g_autoptr (GError) error = NULL;

  /* A failure, not an abort: the tests after this one still run. */
  if (g_strcmp0 (report->failed_domain, g_quark_to_string (DFT_DB_ERROR)) != 0
      || report->failed_code != DFT_DB_ERROR_DISK_FULL)
    {
      g_test_message ("a full disk was reported as %s %d, not as DFT_DB_ERROR_DISK_FULL",
                      report->failed_domain, report->failed_code);
      g_test_fail ();
      return;
    }
  g_assert_nonnull (strstr (report->failed_message, "disk is full"));
  error = g_error_new_literal (DFT_DB_ERROR, report->failed_code, report->failed_message);
  assert_user_message (error);
  g_assert_cmpstr (report->again_domain, ==, g_quark_to_string (DFT_DB_ERROR));
  g_assert_cmpint (report->again_code, ==, DFT_DB_ERROR_DISK_FULL);
  g_assert_cmpstr (report->batch_domain, ==, g_quark_to_string (DFT_DB_ERROR));
  g_assert_cmpint (report->batch_code, ==, DFT_DB_ERROR_DISK_FULL);
}

/*
 * Every reported save is there with its change-log entry, nothing is there
 * without one, the file passes SQLite's check, and the store takes a new write.
 */
static void
assert_store_sound (const char *path, GPtrArray *saved)
{
  const char           *tables[] = { "event", "session", "person", "enrollment", "attendance" };
  g_autoptr (GError)    error = NULL;
  g_autoptr (DftRecord) later = new_person (90000);
  g_autofree char      *check = NULL;
  DftStore             *store = dft_store_open (path, &error);
  sqlite3              *db;

  g_assert_no_error (error);
  db = _dft_store_get_db (store);
  check = raw_text (db, "PRAGMA integrity_check");
  g_assert_cmpstr (check, ==, "ok\n");

  for (guint i = 0; i < saved->len; i++)
    {
      g_auto (GStrv)        parts = g_strsplit (g_ptr_array_index (saved, i), " ", 2);
      const DftEntity      *entity = dft_entity_lookup (parts[0]);
      g_autoptr (DftRecord) record = NULL;

      g_assert_nonnull (entity);
      record = dft_store_load (store, entity, parts[1], &error);
      g_assert_no_error (error);
      g_assert_cmpint (dft_change_log_count_for (db, parts[0], parts[1], NULL), >, 0);
    }

  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      g_autofree char *orphans = g_strdup_printf (
          "SELECT count (*) FROM change_log c WHERE c.entity = '%s' AND NOT EXISTS "
          "(SELECT 1 FROM %s t WHERE t.id = c.record_id)",
          tables[i], tables[i]);
      g_autofree char *unlogged = g_strdup_printf (
          "SELECT count (*) FROM %s t WHERE NOT EXISTS "
          "(SELECT 1 FROM change_log c WHERE c.entity = '%s' AND c.record_id = t.id)",
          tables[i], tables[i]);

      g_assert_cmpint (raw_int (db, orphans), ==, 0);
      g_assert_cmpint (raw_int (db, unlogged), ==, 0);
    }

  dft_store_save (store, later, &error);
  g_assert_no_error (error);
  close_store (store);

  store = dft_store_open (path, &error);
  g_assert_no_error (error);
  {
    g_autoptr (DftRecord) again
        = dft_store_load (store, &dft_entity_person, dft_record_get_id (later), &error);
    g_assert_no_error (error);
    g_assert_cmpstr (dft_record_get_string (again, "given_name"), ==, "Aigul90000");
  }
  close_store (store);
}

static void
test_disk_full (void)
{
  g_autofree char    *dir = dft_test_make_dir ();
  g_autofree char    *event_id = NULL;
  g_autofree char    *path = make_store (dir, 10, &event_id);
  g_auto (FillReport) report = { 0 };
  FillPlan            plan = { FILL_RLIMIT, path, event_id, NULL, TRUE, FALSE };

  run_fill (&plan, &report);
  assert_fill_ran (&report);
  g_assert_nonnull (report.retried);
  assert_store_sound (path, report.saved);

  /* An unrelated later failure is not blamed on the disk once it has room
   * again: SQLite keeps the errno of its last I/O failure for ever. */
  g_assert_cmpstr (report.dup_domain, ==, g_quark_to_string (DFT_DB_ERROR));
  if (report.dup_code == DFT_DB_ERROR_DISK_FULL)
    {
      g_test_message ("a duplicate id after the disk had room again was reported as a full disk");
      g_test_fail ();
    }
  assert_disk_full_reported (&report);
  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_disk_full_tmpfs (void)
{
  g_autofree char    *dir = dft_test_make_dir ();
  g_autofree char    *folder = g_build_filename (dir, "small", NULL);
  g_autofree char    *path = g_build_filename (folder, "daftari.db", NULL);
  g_autofree char    *copy_dir = g_build_filename (dir, "copy", NULL);
  g_autofree char    *copy = g_build_filename (copy_dir, "daftari.db", NULL);
  g_auto (FillReport) report = { 0 };
  FillPlan            plan = { FILL_TMPFS, path, NULL, copy_dir, TRUE, FALSE };

  g_assert_cmpint (g_mkdir (folder, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (copy_dir, 0700), ==, 0);

  run_fill (&plan, &report);
  if (report.skip != NULL)
    {
      g_test_skip (report.skip);
      dft_test_dir_free (g_steal_pointer (&dir));
      return;
    }
  assert_fill_ran (&report);
  g_assert_nonnull (report.retried);
  assert_store_sound (copy, report.saved);
  assert_disk_full_reported (&report);
  dft_test_dir_free (g_steal_pointer (&dir));
}

/* Rows that existed before, in a form to compare: @bound is the last rowid then. */
static char *
dump_rows (sqlite3 *db, const char *table, gint64 bound)
{
  g_autofree char *sql = g_strdup_printf (
      "SELECT * FROM %s WHERE rowid <= %" G_GINT64_FORMAT " ORDER BY rowid", table, bound);
  return raw_text (db, sql);
}

/* What was saved before the disk filled up is exactly as it was, even when
 * Daftari is closed while the disk is still full and cannot checkpoint. */
static void
test_disk_full_keeps_earlier (void)
{
  const char         *tables[] = { "event", "session", "person", "enrollment", "change_log" };
  g_autofree char    *dir = dft_test_make_dir ();
  g_autofree char    *event_id = NULL;
  g_autofree char    *path = make_store (dir, 60, &event_id);
  g_autofree char    *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char    *device_before = NULL;
  g_autofree char    *device_after = NULL;
  gint64              bounds[G_N_ELEMENTS (tables)];
  char               *before[G_N_ELEMENTS (tables)];
  g_auto (FillReport) report = { 0 };
  FillPlan            plan = { FILL_RLIMIT, path, event_id, NULL, FALSE, TRUE };
  sqlite3            *db;

  db = raw_open (path);
  g_assert_cmpint (raw_int (db, "SELECT count (*) FROM person"), ==, 60);
  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      g_autofree char *sql
          = g_strdup_printf ("SELECT coalesce (max (rowid), 0) FROM %s", tables[i]);
      bounds[i] = raw_int (db, sql);
      before[i] = dump_rows (db, tables[i], bounds[i]);
    }
  device_before = raw_text (db, "SELECT value FROM sync_state WHERE key = 'device_id'");
  raw_close (db);

  run_fill (&plan, &report);
  assert_fill_ran (&report);
  g_test_message ("after closing on a full disk the log %s",
                  g_file_test (wal, G_FILE_TEST_EXISTS) ? "is still there" : "was checkpointed");

  /* Opening replays the log; nothing earlier changed. */
  assert_store_sound (path, report.saved);
  db = raw_open (path);
  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      g_autofree char *after = dump_rows (db, tables[i], bounds[i]);

      g_assert_cmpstr (after, ==, before[i]);
      g_free (before[i]);
    }
  device_after = raw_text (db, "SELECT value FROM sync_state WHERE key = 'device_id'");
  g_assert_cmpstr (device_after, ==, device_before);
  raw_close (db);
  assert_disk_full_reported (&report);

  dft_test_dir_free (g_steal_pointer (&dir));
}

int
main (int argc, char **argv)
{
  dft_test_init (&argc, &argv);

  g_test_add_func ("/faults/not-a-database/text", test_not_a_database_text);
  g_test_add_func ("/faults/not-a-database/image", test_not_a_database_image);
  g_test_add_func ("/faults/corrupt/header", test_corrupt_header);
  g_test_add_func ("/faults/corrupt/schema-page", test_corrupt_schema_page);
  g_test_add_func ("/faults/corrupt/sync-state", test_corrupt_sync_state);
  g_test_add_func ("/faults/corrupt/table-page", test_corrupt_table_page);
  g_test_add_func ("/faults/corrupt/leaf-middle", test_corrupt_leaf_middle);
  g_test_add_func ("/faults/truncated", test_truncated);
  g_test_add_func ("/faults/newer-version", test_newer_version);
  g_test_add_func ("/faults/unwritable-folder/not-a-folder", test_folder_is_a_file);
  g_test_add_func ("/faults/unwritable-folder/read-only", test_folder_read_only);
  g_test_add_func ("/faults/read-only-file", test_read_only_file);
  /* Last: a sub-suite runs after the tests directly under /faults. */
  g_test_add_func ("/faults/disk-full/file-size-limit", test_disk_full);
  g_test_add_func ("/faults/disk-full/small-tmpfs", test_disk_full_tmpfs);
  g_test_add_func ("/faults/disk-full/keeps-earlier", test_disk_full_keeps_earlier);

  return g_test_run ();
}
