#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The labelled people set of tests/test-duplicates.c: people as several trainers and sign-up
sheets typed them, each with the id of the real person (cluster) behind the row.

Every row is made by a hand-written rule from a hand-written list of real people below: the
same person typed in another script or romanization style, with the name order swapped, the
family name left out, a typo, a doubled or undoubled letter, another phone format; and people
who are NOT one another although their names match (the same name in another agency, of
another gender or in another country; two namesakes in the same session).

  python3 make_people.py > people.csv      (seeded: the output is the same on every run)

Columns: cluster,id,given_name,family_name,gender,agency,position,country,phone,email,sessions
(sessions: the ids of the sessions the row attended, separated by ";").
"""
import csv, random, sys

rng = random.Random(16)

# Cyrillic to Latin in the styles people really type. "bgn" is what Russian-Latin/BGN gives,
# "passport" the ICAO rules of Kyrgyz and Russian passports, "casual" what people type by ear
# (x for кс, j for ж, h for х, i for ы), "iso" the ISO 9 letters with their hooks and hats.
CYR = {
    "bgn":      dict(а="a", б="b", в="v", г="g", д="d", е="e", ё="yo", ж="zh", з="z", и="i", й="y", к="k",
                     л="l", м="m", н="n", о="o", п="p", р="r", с="s", т="t", у="u", ф="f", х="kh", ц="ts",
                     ч="ch", ш="sh", щ="shch", ъ="", ы="y", ь="", э="e", ю="yu", я="ya", ү="u", ө="o", ң="ng",
                     і="i", ї="yi", є="ye", ґ="g"),
    "passport": dict(й="i", х="kh", ы="y", ю="iu", я="ia", ж="zh", ц="ts", щ="shch", ё="e", ї="i", є="ie"),
    "casual":   dict(й="y", х="h", ы="i", ж="j", ю="yu", я="ya", ц="ts", ё="yo", ш="sh", ч="ch", ї="yi",
                     є="ye", г="g"),
    "iso":      dict(й="j", х="h", ы="y", ж="ž", ц="c", ч="č", ш="š", щ="ŝ", ю="ju", я="ja", ё="jo", ї="ji",
                     є="je"),
}


def romanize(word, style):
    table = dict(CYR["bgn"])
    table.update(CYR[style])
    out = []
    for i, ch in enumerate(word):
        low = ch.lower()
        lat = table.get(low, low)
        # BGN and casual typists write е as "ye" at the start of a word.
        if low == "е" and i == 0 and style in ("bgn", "casual"):
            lat = "ye"
        if style == "casual" and low == "к" and word[i + 1:i + 2].lower() == "с":
            lat = "x"
        if style == "casual" and low == "с" and word[i - 1:i].lower() == "к" and i > 0:
            lat = ""
        out.append(lat.capitalize() if ch != low and i == 0 else lat)
    return "".join(out)


# Georgian in the national system, with or without the apostrophes of ejectives.
GEO = dict(ა="a", ბ="b", გ="g", დ="d", ე="e", ვ="v", ზ="z", თ="t", ი="i", კ="k'", ლ="l", მ="m", ნ="n",
           ო="o", პ="p'", ჟ="zh", რ="r", ს="s", ტ="t'", უ="u", ფ="p", ქ="k", ღ="gh", ყ="q'", შ="sh",
           ჩ="ch", ც="ts", ძ="dz", წ="ts'", ჭ="ch'", ხ="kh", ჯ="j", ჰ="h")


def georgian(word, apostrophes):
    lat = "".join(GEO.get(c, c) for c in word)
    if not apostrophes:
        lat = lat.replace("'", "")
    return lat.capitalize()


# Real people: (country, gender, native given, native family, Latin spellings of the given
# name, Latin spellings of the family name). Cyrillic and Georgian are romanized by rule; the
# Urdu and Swahili spellings are listed by hand, as no rule makes them.
KG = [("Айбек", "Садыков", "m"), ("Нурлан", "Токтогулов", "m"), ("Бакыт", "Жумабеков", "m"),
      ("Медер", "Осмонов", "m"), ("Алмазбек", "Абдыкадыров", "m"), ("Өмүрбек", "Исаев", "m"),
      ("Айгүл", "Абдыкадырова", "f"), ("Жылдыз", "Токтогулова", "f"), ("Чолпон", "Исаева", "f"),
      ("Эльвира", "Жумабекова", "f"), ("Гүлнара", "Осмонова", "f"), ("Бермет", "Садыкова", "f"),
      ("Кайрат", "Жээнбеков", "m"), ("Эрлан", "Кыдыралиев", "m"), ("Азамат", "Мамытов", "m"),
      ("Жаныл", "Сыдыкова", "f"), ("Асель", "Бакирова", "f"), ("Улан", "Шарипов", "m"),
      ("Тилек", "Эсенкулов", "m"), ("Мээрим", "Турдубаева", "f"), ("Айбек", "Абдыкадыров", "m"),
      ("Нурбек", "Алиев", "m"), ("Динара", "Усенова", "f"), ("Самат", "Чыныбаев", "m"),
      ("Чынгыз", "Айтматов", "m"), ("Айжан", "Кулуева", "f"), ("Бектур", "Жолдошев", "m"),
      ("Назгүл", "Байышова", "f"), ("Эркин", "Тынайбеков", "m"), ("Айпери", "Кожомкулова", "f")]
RU = [("Александр", "Ковалёв", "m"), ("Екатерина", "Смирнова", "f"), ("Юлия", "Ефимова", "f"),
      ("Сергей", "Кузнецов", "m"), ("Алексей", "Щербаков", "m"), ("Ксения", "Журавлёва", "f"),
      ("Дмитрий", "Хохлов", "m"), ("Наталья", "Яковлева", "f"), ("Евгений", "Цветков", "m"),
      ("Мария", "Шевцова", "f"),
      ("Юрий", "Ёлкин", "m"), ("Анастасия", "Зайцева", "f"), ("Виктор", "Харитонов", "m")]
UA = [("Олександр", "Шевченко", "m"), ("Андрій", "Коваленко", "m"), ("Сергій", "Бондаренко", "m"),
      ("Ірина", "Мельник", "f"), ("Наталія", "Ткачук", "f"), ("Оксана", "Гнатюк", "f")]
GE = [("გიორგი", "ბერიძე", "m"), ("დავით", "კაპანაძე", "m"), ("ლევან", "გელაშვილი", "m"),
      ("ირაკლი", "მაისურაძე", "m"), ("ნინო", "ხაჩიძე", "f"), ("თამარ", "ჭავჭავაძე", "f"),
      ("მარიამ", "წერეთელი", "f"), ("ანა", "ყიფიანი", "f"), ("შალვა", "ჯაფარიძე", "m"),
      ("ეკატერინე", "ცხადაძე", "f"), ("ზურაბ", "ჟორჟოლიანი", "m"), ("ნიკოლოზ", "ღლონტი", "m")]
PK = [("احمد", "خان", "m", ["Ahmed", "Ahmad"], ["Khan"]),
      ("محمد", "قریشی", "m", ["Muhammad", "Mohammed", "Mohammad"], ["Qureshi", "Qureishi", "Kureshi"]),
      ("عثمان", "ملک", "m", ["Usman", "Osman"], ["Malik", "Malick"]),
      ("عمران", "چودھری", "m", ["Imran", "Imraan"], ["Chaudhry", "Chaudhary", "Choudhry"]),
      ("بلال", "شاہ", "m", ["Bilal", "Belal"], ["Shah"]),
      ("حمزہ", "بٹ", "m", ["Hamza", "Hamzah"], ["Butt", "But"]),
      ("فاطمہ", "حسین", "f", ["Fatima", "Fatma", "Fatimah"], ["Hussain", "Hussein", "Husain"]),
      ("عائشہ", "صدیقی", "f", ["Ayesha", "Aisha", "Aysha"], ["Siddiqui", "Siddiqi", "Sidiqui"]),
      ("زینب", "یوسف", "f", ["Zainab", "Zeinab", "Zaynab"], ["Yousaf", "Yusuf", "Yousuf"]),
      ("مریم", "نور", "f", ["Maryam", "Mariam"], ["Noor", "Nur"]),
      ("ثنا", "اقبال", "f", ["Sana", "Sanaa"], ["Iqbal", "Ikbal"]),
      ("طارق", "جمیل", "m", ["Tariq", "Tarik", "Tareq"], ["Jameel", "Jamil"]),
      ("سعید", "رحمان", "m", ["Saeed", "Said", "Sayeed"], ["Rehman", "Rahman"]),
      ("ندیم", "اختر", "m", ["Nadeem", "Nadim"], ["Akhtar", "Akhter"]),
      ("صائمہ", "ظفر", "f", ["Saima", "Saeema"], ["Zafar", "Zaffar"]),
      ("شازیہ", "ناصر", "f", ["Shazia", "Shaziya"], ["Nasir", "Naseer"])]
TZ = [("Juma", "Mwakyusa", "m"), ("Baraka", "Kimaro", "m"), ("Hamisi", "Mushi", "m"),
      ("Neema", "Mollel", "f"), ("Rehema", "Nyerere", "f"), ("Zawadi", "Said", "f"),
      ("Upendo", "Massawe", "f"), ("Mwanaisha", "Kombo", "f"), ("Halima", "Mwinyi", "f"),
      ("Salim", "Lyimo", "m"), ("Amani", "Mrema", "m"), ("Khamis", "Haji", "m"),
      ("Emmanuel", "Shirima", "m"), ("Faraja", "Mbwambo", "f"), ("Tumaini", "Swai", "f"),
      ("Athumani", "Mfinanga", "m")]

COUNTRY = {"KG": ("+996", "5"), "RU": ("+7", "9"), "UA": ("+380", "6"), "GE": ("+995", "5"),
           "PK": ("+92", "3"), "TZ": ("+255", "7")}
COUNTRY_NAMES = {"KG": ["KG", "Kyrgyzstan", "kg"], "RU": ["RU", "Russia"], "UA": ["UA", "Ukraine"],
                 "GE": ["GE", "Georgia"], "PK": ["PK", "Pakistan"], "TZ": ["TZ", "Tanzania"]}
AGENCIES = ["Police", "Prosecutor's Office", "Customs", "Drug Control Agency",
            "Financial Intelligence Unit", "Judiciary"]
POSITIONS = ["Investigator", "Senior investigator", "Prosecutor", "Analyst", "Officer"]
GENDER = {"m": "male", "f": "female"}

rows = []
next_id = [0]
next_session = [0]


def new_sessions():
    """The sessions of one workshop a row attended: its own, as a different trainer ran it."""
    next_session[0] += 1
    w = next_session[0]
    return [f"w{w}-s{s}" for s in range(1, rng.randint(3, 7))]


def phone_digits(cc):
    code, lead = COUNTRY[cc]
    return code, lead + "".join(str(rng.randint(0, 9)) for _ in range(8))


def phone_format(code, local, style):
    if style == 0:
        return f"{code} {local[:3]} {local[3:5]} {local[5:7]} {local[7:]}"
    if style == 1:
        return f"0{local}"
    if style == 2:
        return "00" + code[1:] + local
    if style == 3:
        return f"({local[:3]}) {local[3:6]}-{local[6:]}"
    return code + local


def typo(word):
    """One slip of the keyboard in a Latin word: a letter dropped, doubled, swapped or struck
    next to the right key."""
    if len(word) < 5:
        return word
    i = rng.randint(1, len(word) - 2)
    kind = rng.randint(0, 3)
    if kind == 0:
        return word[:i] + word[i + 1:]
    if kind == 1:
        return word[:i] + word[i] + word[i:]
    if kind == 2:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    near = {"a": "s", "e": "r", "i": "o", "o": "i", "u": "y", "n": "m", "m": "n", "r": "t", "t": "r",
            "s": "a", "k": "l", "l": "k", "d": "s", "b": "v", "v": "b", "g": "h", "h": "g", "y": "u"}
    return word[:i] + near.get(word[i], word[i]) + word[i + 1:]


def add(cluster, given, family, person, **over):
    next_id[0] += 1
    row = dict(cluster=cluster, id=f"p{next_id[0]:04d}", given_name=given, family_name=family,
               gender=GENDER[person["g"]], agency=person["agency"], position=person["position"],
               country=rng.choice(COUNTRY_NAMES[person["cc"]]), phone="", email="",
               sessions=";".join(new_sessions()))
    if person["phone"] and rng.random() < 0.7:
        row["phone"] = phone_format(*person["phone"], rng.randint(0, 4))
    if person["email"] and rng.random() < 0.5:
        row["email"] = person["email"] if rng.random() < 0.7 else person["email"].upper()
    # What a sign-up sheet leaves empty.
    for field in ("gender", "agency", "position", "country"):
        if rng.random() < 0.08:
            row[field] = ""
    row.update(over)
    rows.append(row)
    return row


def spellings(cc, native_given, native_family, latin_given=None, latin_family=None):
    """The ways trainers wrote one person's name: (given, family) pairs."""
    if cc in ("KG", "RU", "UA"):
        out = [(native_given, native_family)]
        for style in ("bgn", "passport", "casual", "iso"):
            out.append((romanize(native_given, style), romanize(native_family, style)))
        return out
    if cc == "GE":
        return [(native_given, native_family),
                (georgian(native_given, False), georgian(native_family, False)),
                (georgian(native_given, True), georgian(native_family, True))]
    if cc == "PK":
        out = [(native_given, native_family)]
        out += [(g, f) for g in latin_given for f in latin_family]
        return out
    return [(native_given, native_family)]


people = []
for cc, lst in (("KG", KG), ("RU", RU), ("UA", UA), ("GE", GE), ("PK", PK), ("TZ", TZ)):
    for entry in lst:
        given, family, g = entry[:3]
        latin = entry[3:] if cc == "PK" else (None, None)
        people.append(dict(cc=cc, g=g, given=given, family=family, latin=latin,
                           agency=rng.choice(AGENCIES), position=rng.choice(POSITIONS)))

cluster = 0
for person in people:
    cluster += 1
    person["cluster"] = f"c{cluster:03d}"
    person["phone"] = phone_digits(person["cc"]) if rng.random() < 0.8 else None
    base = {"GE": lambda: georgian(person["given"], False), "PK": lambda: person["latin"][0][0]}.get(
        person["cc"], lambda: romanize(person["given"], "passport") if person["cc"] != "TZ" else person["given"])()
    person["email"] = (f"{base.lower()}.{rng.randint(1, 99)}@mail.example" if rng.random() < 0.6 else "")
    ways = spellings(person["cc"], person["given"], person["family"], *person["latin"])
    # Most people were typed once or twice, some three or four times (the Aibek case).
    copies = rng.choices([1, 2, 3, 4], [10, 40, 32, 18])[0]
    # Different trainers mostly wrote the name differently; run out of ways and they repeat.
    picked = rng.sample(ways, min(copies, len(ways)))
    # Urdu has many Latin spellings but is often typed in its own script too.
    if person["cc"] == "PK" and ways[0] not in picked and rng.random() < 0.6:
        picked[-1] = ways[0]
    picked += [rng.choice(ways) for _ in range(copies - len(picked))]
    for n, (gname, fname) in enumerate(picked):
        change = rng.random() if n > 0 else 1.0
        over = {}
        if change < 0.12:                      # name order swapped
            gname, fname = fname, gname
        elif change < 0.22 and person["phone"]:  # family name left out on a sign-up sheet
            fname = ""
            over["phone"] = phone_format(*person["phone"], rng.randint(0, 4))
        elif change < 0.34 and gname.isascii():  # a typo
            if rng.random() < 0.5:
                gname = typo(gname)
            else:
                fname = typo(fname)
        elif change < 0.40:                    # everything typed into the given name
            gname, fname = f"{gname} {fname}", ""
        if n > 0 and rng.random() < 0.08:      # promoted since
            over["position"] = rng.choice(POSITIONS)
        add(person["cluster"], gname, fname, person, **over)

# Hard non-duplicates: someone else with the same name. The namesake is another real person
# (a cluster of their own) and differs in what tells people apart.
namesakes = [p for p in people if p["cc"] != "TZ"]
rng.shuffle(namesakes)
for i, person in enumerate(namesakes[:80]):
    cluster += 1
    other = dict(person, cluster=f"c{cluster:03d}", phone=phone_digits(person["cc"]), email="")
    ways = spellings(person["cc"], person["given"], person["family"], *person["latin"])
    gname, fname = rng.choice(ways)
    kind = i % 4
    if kind == 0:                                # another agency: two different Айбек Абдыкадыров
        other["agency"] = rng.choice([a for a in AGENCIES if a != person["agency"]])
        add(other["cluster"], gname, fname, other, gender=GENDER[person["g"]], agency=other["agency"],
            country=person["cc"])
    elif kind == 1:                              # another country
        other["cc"] = rng.choice([c for c in COUNTRY if c != person["cc"]])
        other["phone"] = phone_digits(other["cc"])
        add(other["cluster"], gname, fname, other, country=other["cc"], gender=GENDER[person["g"]])
    elif kind == 2:                              # in the same session as the first
        first = next(r for r in rows if r["cluster"] == person["cluster"])
        add(other["cluster"], gname, fname, other, sessions=first["sessions"],
            agency=first["agency"], gender=first["gender"] or GENDER[person["g"]])
    else:                                        # another agency and another phone, no country
        other["agency"] = rng.choice([a for a in AGENCIES if a != person["agency"]])
        add(other["cluster"], gname, fname, other, agency=other["agency"], country="",
            gender=GENDER[person["g"]])

# Unisex Swahili names: a man and a woman of the same name.
for given, family in (("Amani", "Mushi"), ("Baraka", "Kimaro"), ("Zawadi", "Said"), ("Imani", "Swai")):
    for g in ("m", "f"):
        cluster += 1
        p = dict(cc="TZ", g=g, agency=rng.choice(AGENCIES), position=rng.choice(POSITIONS),
                 phone=phone_digits("TZ"), email="")
        add(f"c{cluster:03d}", given, family, p, gender=GENDER[g])

# Close names that are not the same name: one letter apart, in the same agency.
for cc, a, b in (("KG", ("Нурлан", "Исаев"), ("Нурлан", "Исаков")), ("KG", ("Айбек", "Садыков"), ("Айбек", "Садыров")),
                 ("KG", ("Aigul", "Osmonova"), ("Aigerim", "Osmonova")), ("TZ", ("Juma", "Mushi"), ("Jumanne", "Mushi")),
                 ("PK", ("Ahmed", "Khan"), ("Ahmed", "Khalid")), ("GE", ("Nino", "Beridze"), ("Nana", "Beridze")),
                 ("UA", ("Олена", "Мельник"), ("Олеся", "Мельник")), ("TZ", ("Salim", "Lyimo"), ("Salma", "Lyimo"))):
    agency = rng.choice(AGENCIES)
    for given, family in (a, b):
        cluster += 1
        female = family.endswith(("ова", "ova")) or given in ("Олена", "Олеся", "Nino", "Nana", "Salma")
        p = dict(cc=cc, g="f" if female else "m", agency=agency, position=rng.choice(POSITIONS),
                 phone=phone_digits(cc) if rng.random() < 0.5 else None, email="")
        add(f"c{cluster:03d}", given, family, p)

out = csv.DictWriter(sys.stdout, ["cluster", "id", "given_name", "family_name", "gender", "agency",
                                  "position", "country", "phone", "email", "sessions"],
                     lineterminator="\n")
out.writeheader()
for row in rows:
    out.writerow(row)
