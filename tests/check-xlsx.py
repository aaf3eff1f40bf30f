#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reads an XLSX workbook with openpyxl (an independent reader, not Daftari's own) and compares
every cell with the CSV export of the same data.

    check-xlsx.py WORKBOOK CSV [--titled]

CSV holds one table, or with --titled several, each introduced by a line with its title and
followed by an empty line; each table must be a sheet of the workbook, in order. Prints JSON on
standard output: every sheet (name, frozen cell, autofilter range, column widths, and every cell
with its type, value, number format and, for a link, its target), the number of cells compared,
and the problems found.
Exits 1 when there is a problem, 0 otherwise.

The rules, as Daftari's writers promise them:
- text is text, equal to the CSV cell once its _xHHHH_ escapes are read as Excel reads them,
  except that the CSV puts an apostrophe before text a
  spreadsheet would run as a formula, writes line ends as CRLF where the workbook has LF, and
  holds text longer than a cell (32,767 characters) in full where the workbook cuts it, ending
  in "…";
- numbers are numbers, equal to the CSV's within its rounding; a percentage's CSV holds the
  share (0.5 for 50 %) the workbook shows with a % format;
- dates are dates with a date format, time stamps date-times (UTC);
- the header row is frozen, the autofilter covers header and data, every column has a width
  from 8 to about 60 that fits its longest cell, sheet names are valid and unique.
"""

import csv
import datetime
import json
import math
import re
import sys
import unicodedata

import openpyxl
from openpyxl.utils import get_column_letter

CELL_MAX = 32767
BAD_SHEET_CHARS = set('[]:*?/\\')
CONTROL_ESCAPE = re.compile('_x(00[01][0-9A-Fa-f])_')


def looks_like_formula(text):
    if not text:
        return False
    if text[0] in '=@\t\r':
        return True
    if text[0] in '+-':
        return any(not (c.isdigit() and c.isascii()) and c not in ' .()' for c in text[1:])
    return False


def display_width(text):
    width = 0
    for line in text.replace('\r\n', '\n').split('\n'):
        n = 0
        for c in line:
            if unicodedata.east_asian_width(c) in ('W', 'F'):
                n += 2
            elif unicodedata.combining(c) or unicodedata.category(c) in ('Mn', 'Me', 'Cf'):
                pass
            else:
                n += 1
        width = max(width, n)
    return width


def read_tables(path, titled):
    with open(path, encoding='utf-8-sig', newline='') as f:
        rows = list(csv.reader(f))
    if not titled:
        return [(None, rows)]
    tables = []
    i = 0
    while i < len(rows):
        if rows[i] == []:
            i += 1
            continue
        title = rows[i][0]
        i += 1
        body = []
        while i < len(rows) and rows[i] != []:
            body.append(rows[i])
            i += 1
        tables.append((title, body))
    return tables


def parse_stamp(text):
    text = text.strip()
    if text.endswith('Z'):
        text = text[:-1] + '+00:00'
    value = datetime.datetime.fromisoformat(text)
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value


def decimals_of(text):
    if '.' in text:
        return len(text.split('.', 1)[1].rstrip())
    return 0


def describe(cell):
    described = describe_value(cell)
    if cell.hyperlink is not None:
        # As the workbook holds it: an external link's target, or a place in the workbook.
        described['link'] = cell.hyperlink.target or cell.hyperlink.location
    return described


def describe_value(cell):
    value = cell.value
    if value is None:
        return {'t': None, 'v': None, 'fmt': cell.number_format}
    if isinstance(value, bool):
        return {'t': 'b', 'v': value, 'fmt': cell.number_format}
    if isinstance(value, (int, float)):
        return {'t': 'n', 'v': value, 'fmt': cell.number_format}
    if isinstance(value, (datetime.datetime, datetime.date)):
        return {'t': 'd', 'v': value.isoformat(), 'fmt': cell.number_format}
    return {'t': 's', 'v': str(value), 'fmt': cell.number_format}


def compare(expected, cell, where, problems):
    value = cell.value
    fmt = cell.number_format or ''
    if value is None:
        if expected != '':
            problems.append(f'{where}: empty, the CSV has {expected[:80]!r}')
        return
    if isinstance(value, bool):
        problems.append(f'{where}: a boolean')
        return
    if isinstance(value, (int, float)):
        try:
            number = float(expected)
        except ValueError:
            problems.append(f'{where}: number {value}, the CSV has text {expected[:80]!r}')
            return
        tolerance = 0.5 * 10 ** -decimals_of(expected) + 1e-9
        if not math.isclose(value, number, abs_tol=tolerance):
            problems.append(f'{where}: {value} is not the CSV\'s {expected}')
        return
    if isinstance(value, datetime.datetime):
        if len(expected) == 10:
            ok = fmt.lower().startswith('yyyy-mm-dd') and 'h' not in fmt
            ok = ok and value == datetime.datetime.fromisoformat(expected)
            if not ok:
                problems.append(f'{where}: date {value} ({fmt}) is not the CSV\'s {expected}')
            return
        try:
            stamp = parse_stamp(expected)
        except ValueError:
            problems.append(f'{where}: date-time {value}, the CSV has text {expected[:80]!r}')
            return
        if abs((value - stamp).total_seconds()) > 0.002 or 'h' not in fmt:
            problems.append(f'{where}: date-time {value} ({fmt}) is not the CSV\'s {expected}')
        return
    # As Excel reads it: openpyxl turns "_x005F_x0041_" into the text "_x0041_" but leaves the
    # escapes of control characters, "_x0001_" for U+0001.
    text = CONTROL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), str(value))
    csv_text = expected.replace('\r\n', '\n').replace('\r', '\n')
    if looks_like_formula(text.replace('\n', '\r\n')) or looks_like_formula(text):
        # The CSV makes it inert with an apostrophe; the workbook holds it as a string.
        if not csv_text.startswith("'"):
            problems.append(f'{where}: formula-like text {text[:80]!r} vs CSV {expected[:80]!r}')
            return
        csv_text = csv_text[1:]
    if len(text) == CELL_MAX and text.endswith('…'):
        if len(csv_text) <= CELL_MAX or not csv_text.startswith(text[:-1]):
            problems.append(f'{where}: cut text is not the start of the CSV\'s')
        return
    if len(text) > CELL_MAX:
        problems.append(f'{where}: {len(text)} characters, more than a cell holds')
    if text != csv_text:
        problems.append(f'{where}: text {text[:80]!r} is not the CSV\'s {expected[:80]!r}')


def shown_width(expected, cell):
    """The characters a cell shows: a date's or date-time's format, else the CSV's text."""
    if isinstance(cell.value, datetime.datetime):
        return 19 if 'h' in (cell.number_format or '') else 10
    return display_width(expected)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    titled = '--titled' in sys.argv
    workbook = openpyxl.load_workbook(args[0])
    tables = read_tables(args[1], titled)
    problems = []
    compared = 0
    sheets = []

    names = workbook.sheetnames
    folded = [n.casefold() for n in names]
    for name in names:
        if not name or len(name.encode('utf-16-le')) // 2 > 31 or set(name) & BAD_SHEET_CHARS \
                or name.startswith("'") or name.endswith("'"):
            problems.append(f'sheet name {name!r} is not valid')
        if folded.count(name.casefold()) > 1:
            problems.append(f'sheet name {name!r} is not unique')
    if len(names) != len(tables):
        problems.append(f'{len(names)} sheets for {len(tables)} tables')

    for (title, rows), sheet in zip(tables, workbook.worksheets):
        n_rows = len(rows)
        n_cols = max((len(r) for r in rows), default=0)
        dump = {
            'name': sheet.title,
            'title': title,
            'freeze': sheet.freeze_panes,
            'filter': sheet.auto_filter.ref,
            'widths': {},
            'rows': [],
        }
        if sheet.freeze_panes != 'A2':
            problems.append(f'{sheet.title}: frozen at {sheet.freeze_panes}, not below the header')
        want_filter = f'A1:{get_column_letter(max(n_cols, 1))}{max(n_rows, 1)}'
        if sheet.auto_filter.ref != want_filter:
            problems.append(f'{sheet.title}: autofilter {sheet.auto_filter.ref}, not {want_filter}')
        if sheet.max_row != max(n_rows, 1) or (n_cols > 0 and sheet.max_column != n_cols):
            problems.append(f'{sheet.title}: {sheet.max_row}×{sheet.max_column} cells, '
                            f'the CSV {n_rows}×{n_cols}')
        for c in range(1, n_cols + 1):
            letter = get_column_letter(c)
            dim = sheet.column_dimensions.get(letter)
            width = dim.width if dim is not None and dim.customWidth else None
            dump['widths'][letter] = width
            longest = max((shown_width(r[c - 1], sheet.cell(row=i, column=c))
                           for i, r in enumerate(rows[1:], start=2) if c - 1 < len(r)),
                          default=0)
            longest = max(longest, display_width(rows[0][c - 1]) if rows else 0)
            if width is None or width < 8 or width > 62:
                problems.append(f'{sheet.title}: column {letter} has width {width}')
            elif width < min(longest, 60) * 0.9:
                problems.append(f'{sheet.title}: column {letter} is {width} wide, '
                                f'its longest cell {longest}')
        for r, row in enumerate(rows, start=1):
            cells = []
            for c in range(1, n_cols + 1):
                cell = sheet.cell(row=r, column=c)
                expected = row[c - 1] if c - 1 < len(row) else ''
                where = f'{sheet.title}!{cell.coordinate}'
                if r == 1:
                    if cell.value != expected or not cell.font.b:
                        problems.append(f'{where}: header {cell.value!r} (bold {cell.font.b}) '
                                        f'is not the CSV\'s {expected!r}')
                else:
                    compare(expected, cell, where, problems)
                compared += 1
                cells.append(describe(cell))
            dump['rows'].append(cells)
        sheets.append(dump)

    json.dump({'sheets': sheets, 'compared': compared, 'problems': problems}, sys.stdout,
              ensure_ascii=False)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
