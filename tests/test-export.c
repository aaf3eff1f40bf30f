/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "dft-export.h"
#include "dft-test-util.h"

static char *
export_to_string (DftStore *store, DftExportKind kind, const char *event_id, GError **error)
{
  g_autoptr (GOutputStream) out = g_memory_output_stream_new_resizable ();

  if (!dft_export_csv (store, kind, event_id, out, NULL, error))
    return NULL;
  g_assert_true (g_output_stream_write_all (out, "", 1, NULL, NULL, NULL));
  g_assert_true (g_output_stream_close (out, NULL, NULL));
  return g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (out));
}

static void
test_export_escape (void)
{
  static const char *cases[][2] = {
    { "Айбек", "Айбек" },
    { "Police, Bishkek", "\"Police, Bishkek\"" },
    { "Say \"hi\"", "\"Say \"\"hi\"\"\"" },
    { "two\nlines", "\"two\nlines\"" },
    { "=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\"" },
    { "@SUM(A1)", "'@SUM(A1)" },
    { "+996 555 123 456", "+996 555 123 456" },
    { "-3", "-3" },
    { "-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0" },
    { "", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = dft_csv_escape (cases[i][0]);
      g_assert_cmpstr (got, ==, cases[i][1]);
    }
}

static void
test_export_people (void)
{
  g_autoptr (GError)    error = NULL;
  g_autofree char      *dir = NULL;
  DftStore             *store = dft_test_open_store (&dir);
  g_autoptr (DftRecord) event = dft_test_add_event (store, "Cyber", "2026-03-02", "2026-03-02");
  g_autoptr (DftRecord) a = dft_test_add_person (store, "ნინო", "კაპანაძე");
  g_autoptr (DftRecord) b = dft_test_add_person (store, "Juma", "Said, Jr.");
  g_autoptr (DftRecord) outsider = dft_test_add_person (store, "Olena", "Tkachenko");
  g_autoptr (DftRecord) e1
      = dft_store_enroll (store, dft_record_get_id (event), dft_record_get_id (a), "trainer", NULL);
  g_autoptr (DftRecord) e2
      = dft_store_enroll (store, dft_record_get_id (event), dft_record_get_id (b), NULL, NULL);
  g_autofree char *csv
      = export_to_string (store, DFT_EXPORT_PEOPLE, dft_record_get_id (event), &error);
  g_auto (GStrv) lines = NULL;

  g_assert_no_error (error);
  /* Excel needs the byte-order mark to read UTF-8. */
  g_assert_true (g_str_has_prefix (csv, "\xEF\xBB\xBF"
                                        "id,given_name,family_name,gender,"));
  lines = g_strsplit (csv + 3, "\r\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4); /* header, two people, the empty end */
  g_assert_true (strstr (lines[0], ",role,") != NULL);
  /* Sorted by family name; the comma in a name is quoted; the role is there. */
  g_assert_true (strstr (lines[1], "Juma,\"Said, Jr.\"") != NULL);
  g_assert_true (strstr (lines[1], ",participant,") != NULL);
  g_assert_true (strstr (lines[2], "ნინო,კაპანაძე") != NULL);
  g_assert_true (strstr (lines[2], ",trainer,") != NULL);
  g_assert_null (strstr (csv, "Tkachenko"));

  dft_test_release_store (store);
  dft_test_dir_free (g_steal_pointer (&dir));
}

static void
test_export_attendance_grid (void)
{
  g_autoptr (GError)    error = NULL;
  g_autofree char      *dir = NULL;
  DftStore             *store = dft_test_open_store (&dir);
  g_autoptr (DftRecord) event = dft_test_add_event (store, "NAPOR", "2026-03-02", "2026-03-03");
  g_autoptr (DftRecord) p = dft_test_add_person (store, "Медер", "Осмонов");
  const char           *eid = dft_record_get_id (event);
  const char           *pid = dft_record_get_id (p);
  g_autofree char      *s1 = dft_session_id_for (eid, "2026-03-02", "am");
  g_autofree char      *s2 = dft_session_id_for (eid, "2026-03-02", "pm");
  g_autofree char      *s3 = dft_session_id_for (eid, "2026-03-03", "am");
  g_autofree char      *csv = NULL;
  g_auto (GStrv)        lines = NULL;

  g_object_unref (dft_store_enroll (store, eid, pid, "participant", NULL));
  g_object_unref (dft_store_mark_attendance (store, s1, pid, "present", NULL, NULL));
  g_object_unref (dft_store_mark_attendance (store, s2, pid, "late", NULL, NULL));
  g_object_unref (dft_store_mark_attendance (store, s3, pid, "absent", NULL, NULL));

  csv = export_to_string (store, DFT_EXPORT_ATTENDANCE, eid, &error);
  g_assert_no_error (error);
  lines = g_strsplit (csv + 3, "\r\n", -1);
  g_assert_cmpstr (lines[0], ==,
                   "person_id,given_name,family_name,gender,agency,country,"
                   "2026-03-02 am,2026-03-02 pm,2026-03-03 am,2026-03-03 pm,"
                   "present,late,absent,excused,attendance_rate");
  /* Present and late attended two of four sessions held. */
  g_assert_true (
      g_str_has_suffix (lines[1], "Медер,Осмонов,,,,present,late,absent,,1,1,1,0,0.500"));

  g_clear_pointer (&csv, g_free);
  csv = export_to_string (store, DFT_EXPORT_ATTENDANCE, NULL, &error);
  g_assert_null (csv);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  csv = export_to_string (store, DFT_EXPORT_PEOPLE, "no-such-event", &error);
  g_assert_error (error, DFT_STORE_ERROR, DFT_STORE_ERROR_NOT_FOUND);

  dft_test_release_store (store);
  dft_test_dir_free (g_steal_pointer (&dir));
}

int
main (int argc, char *argv[])
{
  dft_test_init (&argc, &argv);

  g_test_add_func ("/export/escape", test_export_escape);
  g_test_add_func ("/export/people", test_export_people);
  g_test_add_func ("/export/attendance-grid", test_export_attendance_grid);

  return g_test_run ();
}
