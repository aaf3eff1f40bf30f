#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Makes the pseudo-locale "qps" from po/daftari.pot for the screens test.

Every message becomes an accented copy about 40 % longer, in brackets: "Save" becomes
"[Šåvé ~~]". A screen in this language shows at a glance which text did not go through
gettext (it stays plain English) and which label has no room for a longer translation
(the bracket or the tildes go missing). Format directives, markup, entities and mnemonic
underscores are kept as they are, so the messages still work.

Writes OUTDIR/qps/LC_MESSAGES/daftari.mo (through msgfmt --check) and OUTDIR/msgids.json,
the list of every message id of the template (with "context\\u0004" before the id when it has
a context), which the test uses to tell the app's own text from the data it shows.

Usage: make-pseudo-locale.py TEMPLATE.pot OUTDIR
"""
import json
import math
import os
import re
import subprocess
import sys

ACCENTS = str.maketrans(
    "abcdeghiklnoprstuwyzABCDEGHIKLNOPRSTUWYZ",
    "åƀçđéĝĥîķĺñöþŕšţûŵýžÅßÇĐÉĜĤÎĶĹÑÖÞŔŠŢÛŴÝŽ",
)
# Kept as written: printf and strftime directives, markup tags, entities, ${names}.
KEEP = re.compile(
    r"%(\d+\$)?[-_0^#'+ ]*(\d+|\*)?(\.\d+)?(hh|ll|h|l|L|z|j|t)?[a-zA-Z%]"
    r"|<[^>]*>|&[a-zA-Z#0-9]+;|\$\{[^}]*\}"
)


def unquote(s):
    return json.loads(s) if s.startswith('"') else s


def read_pot(path):
    """Yields (msgctxt, msgid, msgid_plural) for every message but the header."""
    entries, current, key = [], {}, None
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith("#"):
                if "msgid" in current:
                    entries.append(current)
                current, key = ({}, None) if not line else (current, key)
                continue
            m = re.match(r'(msgctxt|msgid_plural|msgid|msgstr(\[\d+\])?)\s+(".*")$', line)
            if m:
                key = m.group(1)
                if key == "msgctxt" and "msgid" in current:
                    entries.append(current)
                    current = {}
                current[key] = unquote(m.group(3))
            elif line.startswith('"') and key is not None:
                current[key] += unquote(line)
    if "msgid" in current:
        entries.append(current)
    for e in entries:
        if e["msgid"]:
            yield e.get("msgctxt"), e["msgid"], e.get("msgid_plural")


def pseudo(text):
    if text == "translator-credits":
        return "Pseudo Translator"
    out, pos, letters = [], 0, 0
    for m in KEEP.finditer(text):
        chunk = text[pos:m.start()]
        letters += sum(c.isalpha() for c in chunk)
        out.append(mnemonic_safe(chunk))
        out.append(m.group(0))
        pos = m.end()
    chunk = text[pos:]
    letters += sum(c.isalpha() for c in chunk)
    out.append(mnemonic_safe(chunk))
    body = "".join(out)
    # In words of up to five, as a translation's longer words would come, not one long word.
    n = max(1, math.ceil(letters * 0.4))
    pad = " ".join("~" * min(5, n - i) for i in range(0, n, 5))
    # Leading and trailing line breaks and a final colon stay where the program expects them.
    stripped = body.lstrip("\n ")
    head = body[: len(body) - len(stripped)]
    body = stripped.rstrip("\n ")
    tail = stripped[len(body):]
    if body.endswith(":"):
        body, tail = body[:-1], ":" + tail
    return head + "[" + body + " " + pad + "]" + tail


def mnemonic_safe(chunk):
    # "_Save": the underscore marks the mnemonic; accenting the letter after it keeps it one.
    return chunk.translate(ACCENTS)


def po_string(s):
    return json.dumps(s, ensure_ascii=False)


def main():
    pot, outdir = sys.argv[1], sys.argv[2]
    ids, lines = [], [
        'msgid ""',
        'msgstr ""',
        '"Project-Id-Version: daftari\\n"',
        '"PO-Revision-Date: 2026-01-01 00:00+0000\\n"',
        '"Last-Translator: make-pseudo-locale.py\\n"',
        '"Language-Team: none\\n"',
        '"MIME-Version: 1.0\\n"',
        '"Content-Type: text/plain; charset=UTF-8\\n"',
        '"Content-Transfer-Encoding: 8bit\\n"',
        '"Language: qps\\n"',
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"',
        "",
    ]
    for ctxt, msgid, plural in read_pot(pot):
        ids.append((ctxt + "\u0004" if ctxt else "") + msgid)
        if ctxt:
            lines.append("msgctxt " + po_string(ctxt))
        lines.append("msgid " + po_string(msgid))
        if plural is not None:
            ids.append((ctxt + "\u0004" if ctxt else "") + plural)
            lines.append("msgid_plural " + po_string(plural))
            lines.append("msgstr[0] " + po_string(pseudo(msgid)))
            lines.append("msgstr[1] " + po_string(pseudo(plural)))
        else:
            lines.append("msgstr " + po_string(pseudo(msgid)))
        lines.append("")
    modir = os.path.join(outdir, "qps", "LC_MESSAGES")
    os.makedirs(modir, exist_ok=True)
    po = os.path.join(outdir, "qps.po")
    with open(po, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    subprocess.run(["msgfmt", "--check", "-o", os.path.join(modir, "daftari.mo"), po], check=True)
    with open(os.path.join(outdir, "msgids.json"), "w", encoding="utf-8") as f:
        json.dump(ids, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
