#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The hand count of the sample data set, done independently of Daftari's SQL.

    indicators-hand-count.py DATASET REPORT.json...

Each REPORT.json is what dft_indicator_report_to_json() wrote for some selection (it names the
selection it was made for). The figures are counted again here straight from the data set's
JSON, with the rules written out below, and every one is compared. Exits 1 naming each figure
that differs. Standard library only.

The rules, as the issue and app/dft-dataset.c state them:
- a workshop runs "days" days from "start", two sessions (am, pm) a day; it is selected when its
  start date lies in [from, to] and its country, track and id are among those asked;
- everyone listed under "participants" is enrolled as a participant; a person is one id;
- a session counts as attended when marked present or late; a person-day is a distinct day
  attended; a participant completed when they attended at least the share of the sessions;
- the data set's tests ("NAME-pre", "NAME-post") are scored as if "a" were right for every
  question answered with text in the first submission of that form version the data set holds;
  the score is the percent of those questions answered "a"; a test is named by the first of its
  two keys in C order; per person and phase the latest (by finish time) stands;
- normalized gain is Hake's, from the means of the pairs;
- the "evaluation" form: a question answered with numbers is a five-point scale, one answered
  with text is free text, listed in the order the answers were finished.
"""

import json
import math
import sys

failures = []
compared = 0


def check(what, got, want):
    global compared
    compared += 1
    if isinstance(want, float) or isinstance(got, float):
        if want is None or got is None:
            ok = want is None and got is None
        elif isinstance(want, float) and math.isnan(want):
            ok = got is None
        else:
            ok = abs(got - want) <= 1e-9 * max(1.0, abs(want))
    else:
        ok = got == want
    if not ok:
        failures.append("%s: report says %r, hand count %r" % (what, got, want))


def nan_or(value):
    return float("nan") if value is None else value


def mean(values):
    return sum(values) / len(values) if values else None


def day_of(start, n):
    import datetime

    d = datetime.date.fromisoformat(start) + datetime.timedelta(days=n)
    return d.isoformat()


def selected_workshops(data, sel):
    chosen = []
    for w in data["workshops"]:
        start = w["start"]
        if sel["from"] is not None and start < sel["from"]:
            continue
        if sel["to"] is not None and start > sel["to"]:
            continue
        if sel["countries"] and w.get("country") not in sel["countries"]:
            continue
        if sel["tracks"] and w.get("track") not in sel["tracks"]:
            continue
        if sel["event_ids"] and w["id"] not in sel["event_ids"]:
            continue
        chosen.append(w)
    return chosen


def test_definitions(data):
    """The questions each form version's definition holds: the answers of its first submission
    in the order the data set is loaded (workshop by workshop)."""
    defs = {}
    for w in data["workshops"]:
        for s in data["submissions"]:
            if s["workshop"] != w["id"]:
                continue
            key = (s["form"], s.get("form_version") or "1")
            if key not in defs:
                defs[key] = s["answers"]
    return defs


def score(defs, s):
    answers = defs[(s["form"], s.get("form_version") or "1")]
    scored = [q for q, v in answers.items() if isinstance(v, str)]
    if not scored:
        return None
    right = sum(1 for q in scored if s["answers"].get(q) == "a")
    return 100.0 * right / len(scored)


def count(data, report):
    sel = report["selection"]
    share = sel["completion_share"]
    workshops = selected_workshops(data, sel)
    ids = {w["id"] for w in workshops}
    agencies = sel["agencies"]

    parts = [
        p
        for p in data["participants"]
        if p["workshop"] in ids and (not agencies or (p.get("agency") or "") in agencies)
    ]
    attended = {}  # (workshop, person) -> set of (day, session)
    for a in data["attendance"]:
        if a["workshop"] in ids and a["status"] in ("present", "late"):
            attended.setdefault((a["workshop"], a["participant"]), set()).add(
                (a["day"], a["session"])
            )
    sessions = {w["id"]: 2 * w["days"] for w in workshops}

    def days_of(p):
        return len({d for d, _ in attended.get((p["workshop"], p["id"]), set())})

    def sessions_of(p):
        return len(attended.get((p["workshop"], p["id"]), set()))

    def completed(p):
        n = sessions[p["workshop"]]
        return n > 0 and sessions_of(p) >= share * n - 1e-9

    totals = report["totals"]
    people = {p["id"] for p in parts}
    women = {p["id"] for p in parts if p.get("gender") == "female"}
    check("workshops", totals["workshops"], len(workshops))
    check("sessions", totals["sessions"], sum(sessions.values()))
    check("people", totals["people"], len(people))
    check("women", totals["women"], len(women))
    check("participations", totals["participations"], len(parts))
    check("person-days", totals["person_days"], sum(days_of(p) for p in parts))
    possible = sum(sessions[p["workshop"]] for p in parts)
    check(
        "attendance rate",
        totals["attendance_rate"],
        nan_or(sum(sessions_of(p) for p in parts) / possible if possible else None),
    )
    done = [p for p in parts if completed(p)]
    check("completed people", totals["completed_people"], len({p["id"] for p in done}))
    check(
        "completed women",
        totals["completed_women"],
        len({p["id"] for p in done if p.get("gender") == "female"}),
    )
    check("completed participations", totals["completed_participations"], len(done))

    for dim, table in (("agency", "by_agency"), ("gender", "by_gender")):
        got = {g[dim]: g for g in report[table]}
        values = {p.get(dim) or "" for p in parts}
        for value in values:
            mine = [p for p in parts if (p.get(dim) or "") == value]
            line = got.get(value)
            if line is None:
                failures.append("%s %r: missing from the report" % (table, value))
                continue
            check("%s %r people" % (table, value), line["people"], len({p["id"] for p in mine}))
            check(
                "%s %r women" % (table, value),
                line["women"],
                len({p["id"] for p in mine if p.get("gender") == "female"}),
            )
            check("%s %r participations" % (table, value), line["participations"], len(mine))
            check(
                "%s %r person-days" % (table, value),
                line["person_days"],
                sum(days_of(p) for p in mine),
            )
        for value, line in got.items():
            if value not in values:
                check("%s %r people" % (table, value), line["people"], 0)

    by_id = {w["event_id"]: w for w in report["workshops"]}
    check("workshop lines", sorted(by_id), sorted(ids))
    for w in workshops:
        line = by_id.get(w["id"])
        if line is None:
            continue
        mine = [p for p in parts if p["workshop"] == w["id"]]
        n = sessions[w["id"]]
        check("%s participants" % w["title"], line["participants"], len(mine))
        check(
            "%s women" % w["title"],
            line["women"],
            len([p for p in mine if p.get("gender") == "female"]),
        )
        check("%s sessions" % w["title"], line["sessions"], n)
        check("%s end date" % w["title"], line["end_date"], day_of(w["start"], w["days"] - 1))
        check(
            "%s attendance rate" % w["title"],
            line["attendance_rate"],
            nan_or(sum(sessions_of(p) for p in mine) / (len(mine) * n) if mine and n else None),
        )
        check("%s completed" % w["title"], line["completed"], len([p for p in mine if completed(p)]))

    # Gains.
    defs = test_definitions(data)
    latest = {}  # (workshop, test, person, phase) -> (finished, id, score)
    people_in = {(p["workshop"], p["id"]) for p in parts}
    for s in data["submissions"]:
        form = s["form"]
        if s["workshop"] not in ids or not s.get("participant"):
            continue
        if not (form.endswith("-pre") or form.endswith("-post")):
            continue
        if agencies and (s["workshop"], s["participant"]) not in people_in:
            continue
        value = score(defs, s)
        if value is None:
            continue
        stem = form.rsplit("-", 1)[0]
        test = min(stem + "-pre", stem + "-post")
        phase = "pre" if form.endswith("-pre") else "post"
        key = (s["workshop"], test, s["participant"], phase)
        stamp = (s.get("finished") or "", s["id"], value)
        if key not in latest or stamp[:2] > latest[key][:2]:
            latest[key] = stamp
    rows = {}  # (workshop, test) -> person -> {phase: score}
    for (wid, test, person, phase), (_, _, value) in latest.items():
        rows.setdefault((wid, test), {}).setdefault(person, {})[phase] = value

    def figures(persons):
        pre = [r["pre"] for r in persons if "pre" in r]
        post = [r["post"] for r in persons if "post" in r]
        pairs = [r for r in persons if "pre" in r and "post" in r]
        pair_pre = mean([r["pre"] for r in pairs])
        pair_post = mean([r["post"] for r in pairs])
        return {
            "n_pre": len(pre),
            "n_post": len(post),
            "n_pairs": len(pairs),
            "mean_pre": nan_or(mean(pre)),
            "mean_post": nan_or(mean(post)),
            "mean_gain": nan_or(mean([r["post"] - r["pre"] for r in pairs])),
            "normalized_gain": nan_or(
                (pair_post - pair_pre) / (100 - pair_pre)
                if pairs and pair_pre < 100
                else None
            ),
        }

    got = {(g["event_id"], g["form_key"]): g for g in report["gains"]}
    want = {k: figures(list(v.values())) for k, v in rows.items()}
    if rows:
        want[(None, None)] = figures([r for v in rows.values() for r in v.values()])
    check("gain lines", sorted(got, key=str), sorted(want, key=str))
    for key, figs in want.items():
        line = got.get(key)
        if line is None:
            continue
        for name, value in figs.items():
            check("gain %s %s" % (key, name), line[name], value)

    # Evaluation.
    evals = [
        s
        for s in data["submissions"]
        if s["form"] == "evaluation" and s["workshop"] in ids
    ]
    evals.sort(key=lambda s: (s.get("finished") or s.get("started") or "", s["id"]))
    questions = {}
    for (form, version), answers in defs.items():
        if form == "evaluation":
            for q, v in answers.items():
                questions.setdefault(q, "scale" if isinstance(v, int) else "text")
    got = {q["name"]: q for q in report["evaluation"] if q["form_key"] == "evaluation"}
    check("evaluation questions", sorted(got), sorted(questions) if evals else [])
    for q, kind in questions.items():
        line = got.get(q)
        if line is None:
            continue
        check("evaluation %s kind" % q, line["kind"], kind)
        answers = [s["answers"][q] for s in evals if q in s["answers"]]
        answers = [str(a).strip() for a in answers if str(a).strip() != ""]
        check("evaluation %s answers" % q, line["n_answers"], len(answers))
        if kind == "scale":
            values = [int(a) for a in answers if a in ("1", "2", "3", "4", "5")]
            check("evaluation %s scale" % q, line["scale"], [values.count(i) for i in range(1, 6)])
            check("evaluation %s average" % q, line["average"], nan_or(mean(values)))
        else:
            check("evaluation %s texts" % q, line["texts"], answers)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        data = json.load(f)
    for path in sys.argv[2:]:
        with open(path, encoding="utf-8") as f:
            count(data, json.load(f))
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print("%d figures agree over %d reports" % (compared, len(sys.argv) - 2))


main()
