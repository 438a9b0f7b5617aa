"""Other scripts and spelling systems brought into the two the matcher compares: Latin and Arabic.

Each convention is stated once, here, with where it comes from; ``fold`` (bot/text/normalise.py) applies them
before anything else, so a name written by a Russian, Hebrew, Kurdish, Turkish or French outlet reaches the
matcher in the form it already knows how to compare:

- Russian (Cyrillic) is romanised letter by letter, after BGN/PCGN 1947 (``дж`` -> ``j`` as in Джараблус,
  Манбидж: the English j of Arabic names); case endings (в Ракке, Дейр-эз-Зором) are left to the loose key
  (bot/text/variants.py: an optional ending on a name's last word).
- Hebrew is written into Arabic letters, after the Academy of the Hebrew Language's rules for transcribing
  Arabic (2007): ג(') -> ج, ח(') -> ح/خ, ע(') -> ع/غ, צ -> ص, ט -> ط, ק -> ق, כ -> ك, ש -> ش, ס -> س; the
  article א- / אל- (hyphen or maqaf) joined as ال; vowel points dropped. Hebrew's added vowel letters (מוסול for
  الموصل) are the loose comparison's to forgive (a consonant skeleton, bot/text/variants.py).
- Sorani Kurdish (Arabic script, with written vowels): ێ -> ي, ۆ -> و, ڕ -> ر, ڵ -> ل, وو -> و, and the vowel ە
  dropped inside a word (دێرەزور -> ديرزور) but kept at its end, where it stands for taa marbuta (ڕەقە -> رقه).
- Turkish and Kurmanji letters: ş/š -> sh, ı -> i (dotless), ç -> c (the diacritic goes with the others); a
  Turkish case suffix after an apostrophe is not part of the name (Deyrizor'da, Rakka'nın, Münbiç'te: the
  Turkish Language Association writes suffixes of proper nouns after an apostrophe, TDK Yazım Kılavuzu, "Kesme
  işareti").
- French elision before a name (d'Idleb, l'Euphrate) is a word boundary.
"""

from __future__ import annotations

import re

# --------------------------------------------------------------------------------------------- Cyrillic

_CYRILLIC_LETTERS = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "yu", "я": "ya", "і": "i", "ї": "yi", "є": "ye", "ґ": "g",
}  # fmt: skip
_CYRILLIC = str.maketrans(_CYRILLIC_LETTERS)
CYRILLIC = re.compile("[\u0400-\u04ff]")

# ----------------------------------------------------------------------------------------------- Hebrew

_HEBREW_LETTERS = {
    "א": "ا", "ב": "ب", "ג": "ج", "ד": "د", "ה": "ه", "ו": "و", "ז": "ز", "ח": "ح", "ט": "ط", "י": "ي",
    "כ": "ك", "ך": "ك", "ל": "ل", "מ": "م", "ם": "م", "נ": "ن", "ן": "ن", "ס": "س", "ע": "ع", "פ": "ف",
    "ף": "ف", "צ": "ص", "ץ": "ص", "ק": "ق", "ר": "ر", "ש": "ش", "ת": "ت",
    "\u05f3": "", "\u05f4": "", "\u05be": "-",  # geresh and gershayim (read with the letter), maqaf: a hyphen
    **{chr(c): "" for c in range(0x0591, 0x05c8) if c != 0x05be},  # cantillation and vowel points
}  # fmt: skip
_HEBREW = str.maketrans(_HEBREW_LETTERS)
HEBREW = re.compile("[\u0590-\u05ff]")
# The article written apart: א-זור, אל-מיאדין (after any prefix letters: וב, ל ...), joined as ال.
_HEBREW_ARTICLE = re.compile(r"(?<![\u05d0-\u05ea])([\u05d5\u05d1\u05dc\u05de\u05d4\u05e9\u05db]{0,2})אל?[-\u05be]")
HEBREW_PREFIXES = ("و", "ب", "ل", "م", "ه", "ش", "ك")  # ו ב ל מ ה ש כ, as Arabic letters: one or two, attached

# ----------------------------------------------------------------------------------------------- Sorani

SORANI = re.compile("[\u06d5\u06ce\u06c6\u0695\u06b5]")  # ە ێ ۆ ڕ ڵ: letters Sorani has and Arabic has not
_SORANI_VOWEL = re.compile("\u06d5(?=[\u0620-\u06d5])")  # ە inside a word is the vowel e; at its end, taa marbuta
_SORANI_LETTERS = str.maketrans({"\u06ce": "ي", "\u06c6": "و", "\u0695": "ر", "\u06b5": "ل"})

# ------------------------------------------------------------------------------------ Turkish, Kurmanji

_LATIN_LETTERS = str.maketrans({"ş": "sh", "Ş": "sh", "š": "sh", "Š": "sh", "ı": "i"})
LATIN_MARKED = re.compile("[şŞšŠı]")
# Turkish case suffixes after an apostrophe (vowel harmony folded: ı ü -> i u, ö -> o): locative -da/-te, ablative
# -dan/-ten, dative -(y)a/-e, accusative -(y)i/-u, genitive -(n)in/-un, instrumental -(y)la/-le, -daki, plural
# -lar/-ler. A one-vowel suffix needs four letters before it: Shi'a, Shi'i stay as they are.
# The apostrophe comes first and the letters before it are looked behind from it: a pattern that starts with a
# look-behind is tried at every position of a page, one that starts with a character set only at apostrophes (20x).
_TURKISH_SUFFIX = re.compile(
    r"['’ʼ](?:(?<=[^\W\d_]{2}.)(?:[dt][ae]n?|[dt][ae]ki|n?[iuüo]n|y[aeiuüö]|y?l[ae]|l[ae]r(?:[iuü]n?)?|s[iuü]n?)"
    r"(?![^\W\d_])|(?<=[^\W\d_]{4}.)[aeiuüö](?![^\W\d_]))"
)
TURKISH_SUFFIX = _TURKISH_SUFFIX
# French elision (d'Idleb is Idleb): qu or one of d l j n s m c t, not after a letter, before an apostrophe and a
# letter. Found from the apostrophes, since the letters before them are what is cut (``_elide``).
_APOSTROPHE = re.compile(r"['’](?=[^\W\d_])")
_LETTER = re.compile(r"[^\W\d_]")


_FEATURES = re.compile("[\u00c0-\u024f\u0400-\u05ff\u0695\u06b5\u06c6\u06ce\u06d5\u067e\u0686\u0698\u06a9\u06af\u06cc]")
PERSIAN = re.compile("[\u067e\u0686\u0698\u06a9\u06af\u06cc]")  # پ چ ژ ک گ ی: Persian's (and Kurdish) letters


def features(text: str) -> frozenset[str]:
    """What ``text`` holds besides ASCII and plain Arabic, in one pass: ``cyrillic``, ``hebrew``, ``sorani``,
    ``persian`` (پ چ ژ ک گ ی, which Persian and Kurdish write and Arabic does not), ``latin`` (a Latin letter
    English does not use: é ü ş ê ß) and ``marked`` (ş š ı, which ``convert`` spells out). Most texts are ASCII,
    told without reading them (``str.isascii`` is a flag)."""
    if text.isascii():
        return frozenset()
    found = set()
    for char in set(_FEATURES.findall(text)):
        if char <= "\u024f":
            found.add("latin")
            if char in "şŞšŠı":
                found.add("marked")
        elif char <= "\u04ff":
            found.add("cyrillic")
        elif char <= "\u05ff":
            found.add("hebrew")
        elif char in "\u067e\u0686\u0698\u06a9\u06af\u06cc":
            found.add("persian")
        else:
            found.add("sorani")
    return frozenset(found)


def convert(text: str, seen: frozenset[str] | None = None) -> str:
    """``text`` (case folded, diacritics kept) with the conventions above applied; length may change.
    ``seen``: its ``features``, when the caller has them."""
    seen = features(text) if seen is None else seen
    if "cyrillic" in seen:
        text = text.replace("дж", "j").translate(_CYRILLIC)
    if "hebrew" in seen:
        text = _HEBREW_ARTICLE.sub(lambda m: m.group(1) + "אל", text).translate(_HEBREW)
    if "sorani" in seen:
        text = _SORANI_VOWEL.sub("", text).translate(_SORANI_LETTERS).replace("وو", "و")
    if "marked" in seen:
        text = text.translate(_LATIN_LETTERS)
    if "'" in text or "’" in text or "ʼ" in text:
        text = _TURKISH_SUFFIX.sub("", text)
        text = _elide(text)
    return text


def _elide(text: str) -> str:
    """The elided articles cut from ``text``: what one regex did (``(?:q(?<!L q)u|[dljnsmct](?<!L .))['’](?=L)``
    with L a letter), but from the few apostrophes instead of a try at every letter (0.58 -> ~0.05 ms a page)."""
    pieces, last = [], 0
    for apostrophe in _APOSTROPHE.finditer(text):
        i = apostrophe.start()
        if i >= 2 and text[i - 2 : i] == "qu":
            start = i - 2
        elif i >= 1 and text[i - 1] in "dljnsmct":
            start = i - 1
        else:
            continue
        if start and _LETTER.match(text, start - 1):
            continue
        pieces.append(text[last:start])
        last = i + 1
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


def suffix_of(token: str) -> str | None:
    """The Turkish case suffix written after an apostrophe at the end of ``token``, if there is one."""
    match = _TURKISH_SUFFIX.search(token.casefold().translate(_LATIN_LETTERS))
    return match.group(0)[1:] if match else None


# --------------------------------------------------------------------------- is this text in English?

# Each language's commonest short words: the loose reading of names (bot/match.py) is for texts in another
# language than English, told by these when it has no letter English does not use (a short German sentence).
_FUNCTION_WORDS = {
    "en": {"the", "and", "of", "to", "is", "was", "for", "on", "with", "that", "by", "at", "from", "as",
           "are", "were", "has", "have", "it", "its", "be", "he", "said", "this", "they"},
    "de": {"der", "die", "das", "und", "nicht", "mit", "von", "den", "dem", "des", "ist", "sich", "auf", "für",
           "ein", "eine", "im", "zu", "bei", "nach", "wurde"},
    "fr": {"le", "la", "les", "et", "est", "une", "du", "dans", "pour", "qui", "sur", "au", "aux", "par", "pas",
           "sont", "ont"},
    "tr": {"ve", "bir", "bu", "ile", "için", "olarak", "ki", "gibi", "daha", "sonra", "oldu", "olan", "da", "de"},
    "ku": {"û", "li", "di", "ji", "ku", "bi", "ew", "hat", "jî", "vê", "wê", "de"},
}  # fmt: skip
_NAMES = {"en": "English", "de": "German", "fr": "French", "tr": "Turkish", "ku": "Kurdish (Kurmanji)"}
# Letters that one of those languages has and the others do not (or rarely): a spelling's own evidence.
_LETTERS = (("tr", "şığİ"), ("ku", "êîû"), ("de", "äöüß"), ("fr", "éèàçëïôœ"))


def language_of(text: str) -> str:
    """``text``'s language among English, German, French, Turkish and Kurdish, by its commonest words in its first
    1,000 characters (English when nothing tells)."""
    words = text[:1000].casefold().split()
    counts = {lang: sum(1 for w in words if w in common) for lang, common in _FUNCTION_WORDS.items()}
    best = max(counts, key=lambda lang: (counts[lang], lang == "en"))
    return best if counts[best] > counts["en"] else "en"


def other_language(text: str) -> bool:
    """Whether a Latin-script ``text`` reads as German, French, Turkish or Kurdish rather than English."""
    return language_of(text) != "en"


def spelling_language(found: str, context: str) -> str:
    """Whose spelling a name found by the loose reading is, for ``wirewatch explain``: by its own letters, else by
    the words around it."""
    lowered = found.casefold()
    for lang, letters in _LETTERS:
        if any(letter in lowered for letter in letters):
            return _NAMES[lang]
    lang = language_of(context)
    return _NAMES[lang] if lang != "en" else "another language's"
