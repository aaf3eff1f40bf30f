/* SPDX-License-Identifier: GPL-3.0-or-later */
/* daftari-xls-reader: reads an Excel 97–2003 workbook (.xls) with FreeXL, in a process of its
 * own, and writes what it holds to standard output as one GVariant.
 *
 * FreeXL (1.0.6 in Debian 12) believes what a file declares: fuzzing found damaged files that
 * make it read past its buffers, crash or ask for gigabytes. A workbook a user opens may come
 * from anyone, so Daftari never runs FreeXL in its own process: when this one crashes or runs
 * out of the memory it is allowed, the workbook is reported as damaged and nothing else is
 * touched. See dft-sheet-xls.c, the other side.
 *
 * Usage: daftari-xls-reader FILE
 * Output (exit status 0): a(sa(ua(qs))), the sheets in order, each its name and its non-empty
 * rows: the row's index from 0 and its non-empty cells, each its column from 0 and its text.
 * Other exit statuses are in dft-xls-reader.h; anything else, a signal included, is a failure.
 */
#include "config.h"

#include <freexl.h>
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "dft-xls-reader.h"

/* A number as Excel shows it: the shortest text that reads back the same, up to 15 digits. */
static char *
format_double (double value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (value))
    return NULL;
  if (value == 0)
    value = 0; /* no "-0" */
  return g_strdup (g_ascii_formatd (buffer, sizeof buffer, "%.15g", value));
}

static char *
cell_text (const FreeXL_CellValue *value)
{
  switch (value->type)
    {
    case FREEXL_CELL_INT:
      return g_strdup_printf ("%d", value->value.int_value);
    case FREEXL_CELL_DOUBLE:
      return format_double (value->value.double_value);
    case FREEXL_CELL_TEXT:
    case FREEXL_CELL_SST_TEXT:
    case FREEXL_CELL_DATE:
    case FREEXL_CELL_DATETIME:
    case FREEXL_CELL_TIME:
      if (value->value.text_value == NULL || value->value.text_value[0] == '\0'
          || !g_utf8_validate (value->value.text_value, -1, NULL))
        return NULL;
      return g_strdup (value->value.text_value);
    case FREEXL_CELL_NULL:
    default:
      return NULL;
    }
}

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif

#ifdef SANITIZED
#include <sanitizer/lsan_interface.h>

/* Under AddressSanitizer (the tests' builds) the address space is mostly shadow memory
 * reserved at start, so the memory limit is the sanitizer's own. */
const char *__asan_default_options (void);

const char *
__asan_default_options (void)
{
  return "max_allocation_size_mb=1024:allocator_may_return_null=1";
}
#endif

/* The memory and time one workbook may take. */
static void
limit_resources (void)
{
  struct rlimit cpu = { DFT_XLS_READER_MAX_CPU_SECONDS, DFT_XLS_READER_MAX_CPU_SECONDS + 5 };

  setrlimit (RLIMIT_CPU, &cpu);
#ifndef SANITIZED
  {
    struct rlimit as = { DFT_XLS_READER_MAX_MEMORY, DFT_XLS_READER_MAX_MEMORY };

    setrlimit (RLIMIT_AS, &as);
  }
#endif
}

static int
read_sheet (const void *handle, unsigned short index, GVariantBuilder *rows, gsize *text_bytes)
{
  unsigned int   n_rows = 0;
  unsigned short n_columns = 0;

  /* FreeXL gives the grid the file declares, and every cell of it is asked for: beyond what an
   * .xls sheet can hold (BIFF8: 65,536 rows of 256 columns) the file is damaged or hostile. */
  if (freexl_select_active_worksheet (handle, index) != FREEXL_OK
      || freexl_worksheet_dimensions (handle, &n_rows, &n_columns) != FREEXL_OK)
    return DFT_XLS_READER_DAMAGED;
  if (n_rows > DFT_XLS_MAX_ROWS || n_columns > DFT_XLS_MAX_COLUMNS)
    return DFT_XLS_READER_TOO_LARGE_GRID;

  for (unsigned int r = 0; r < n_rows; r++)
    {
      GVariantBuilder cells;
      gboolean        any = FALSE;

      g_variant_builder_init (&cells, G_VARIANT_TYPE ("a(qs)"));
      for (unsigned short c = 0; c < n_columns; c++)
        {
          FreeXL_CellValue value;
          g_autofree char *text = NULL;

          if (freexl_get_cell_value (handle, r, c, &value) != FREEXL_OK)
            {
              g_variant_builder_clear (&cells);
              return DFT_XLS_READER_DAMAGED;
            }
          text = cell_text (&value);
          if (text == NULL)
            continue;
          *text_bytes += strlen (text);
          if (*text_bytes > DFT_XLS_READER_MAX_TEXT)
            {
              g_variant_builder_clear (&cells);
              return DFT_XLS_READER_TOO_MUCH_TEXT;
            }
          g_variant_builder_add (&cells, "(qs)", (guint16) c, text);
          any = TRUE;
        }
      if (any)
        g_variant_builder_add (rows, "(u@a(qs))", r, g_variant_builder_end (&cells));
      else
        g_variant_builder_clear (&cells);
    }
  return EXIT_SUCCESS;
}

static int
read_workbook (const char *path, GVariant **out)
{
  g_auto (GVariantBuilder) sheets = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(sa(ua(qs)))"));
  const void              *handle = NULL;
  unsigned int             n_sheets = 0;
  gsize                    text_bytes = 0;
  int                      status = EXIT_SUCCESS;

  if (freexl_open (path, &handle) != FREEXL_OK
      || freexl_get_info (handle, FREEXL_BIFF_SHEET_COUNT, &n_sheets) != FREEXL_OK)
    status = DFT_XLS_READER_DAMAGED;
  for (unsigned int i = 0; status == EXIT_SUCCESS && i < n_sheets && i < DFT_XLS_MAX_SHEETS; i++)
    {
      g_auto (GVariantBuilder) rows = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(ua(qs))"));
      const char              *name = NULL;

      if (freexl_get_worksheet_name (handle, (unsigned short) i, &name) != FREEXL_OK)
        status = DFT_XLS_READER_DAMAGED;
      else
        status = read_sheet (handle, (unsigned short) i, &rows, &text_bytes);
      if (status == EXIT_SUCCESS)
        g_variant_builder_add (&sheets, "(s@a(ua(qs)))",
                               name != NULL && g_utf8_validate (name, -1, NULL) ? name : "",
                               g_variant_builder_end (&rows));
    }
  if (handle != NULL)
    freexl_close (handle);
  if (status == EXIT_SUCCESS)
    *out = g_variant_ref_sink (g_variant_builder_end (&sheets));
  return status;
}

int
main (int argc, char **argv)
{
  g_autoptr (GVariant) workbook = NULL;
  gsize                size;
  const char          *bytes;
  int                  status;

  if (argc != 2)
    {
      fprintf (stderr, "usage: daftari-xls-reader FILE\n");
      return 1;
    }
#ifdef SANITIZED
  /* FreeXL leaks on some damaged files, and this process ends right after: a leak here is no
   * reason to call the workbook damaged, whatever the tests' ASAN_OPTIONS ask. */
  __lsan_disable ();
#endif
  limit_resources ();
  status = read_workbook (argv[1], &workbook);
  if (status != EXIT_SUCCESS)
    return status;

  size = g_variant_get_size (workbook);
  bytes = g_variant_get_data (workbook);
  while (size > 0)
    {
      ssize_t n = write (STDOUT_FILENO, bytes, size);

      if (n < 0)
        return 1;
      bytes += n;
      size -= (gsize) n;
    }
  return EXIT_SUCCESS;
}
