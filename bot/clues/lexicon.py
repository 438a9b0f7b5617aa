"""The words an event is told by, in English and Arabic: what kind of event, who acted, how many.

Each kind and actor is a list of English word stems (matched at a word's start, case aside; a final ``$``: the
whole word) and Arabic stems
(matched inside folded words, so that the article and attached prefixes and suffixes do not matter:
اشتباك finds الاشتباكات and باشتباكات). Kinds are kept coarse on purpose: two newsrooms call one event a "drone
strike" and a "غارة بطائرة مسيرة", so what matters is that both name a drone, not the exact phrase.
"""

from __future__ import annotations

KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "drone": (("drone", "uav", "unmanned aerial", "kamikaze"), ("مسيره", "مسيرات", "درون", "طائره بدون طيار")),
    "airstrike": (("airstrike", "air strike", "air raid", "warplane", "jets struck", "aerial bombardment"),
                  ("غاره", "غارات", "طيران حربي", "الطيران الحربي", "قصف جوي")),
    "explosive": (("ied", "roadside bomb", "explosive device", "improvised explosive", "bomb", "booby-trap",
                   "booby trap"), ("عبوه ناسفه", "عبوات ناسفه", "عبوه", "مفخخ", "ناسفه")),
    "landmine": (("landmine", "land mine", "mine blast", "mine exploded", "unexploded ordnance", "war remnant"),
                 ("لغم", "الغام", "مخلفات الحرب")),
    "car bomb": (("car bomb", "vehicle-borne", "vbied", "booby-trapped car", "truck bomb"), ("سياره مفخخه",)),
    "clashes": (("clash", "firefight$", "firefights", "gunfight", "exchange of fire", "exchanged fire",
                 "fighting broke"),
                ("اشتباك", "مواجهات", "تبادل اطلاق النار", "تبادل لاطلاق النار")),
    "assassination": (("assassinat", "shot dead", "gunned down", "killed by gunmen", "unidentified gunmen"),
                      ("اغتيال", "اغتيل", "مسلحين مجهولين", "مسلحون مجهولون")),
    "kidnapping": (("kidnap", "abduct"), ("اختطاف", "اختطف", "خطف")),
    "arrest": (("arrest", "detain", "raid", "sweep", "security campaign", "crackdown", "rounded up"),
               ("اعتقال", "اعتقل", "حمله امنيه", "مداهم", "دهم", "احتجاز", "توقيف")),
    "shelling": (("shell", "artillery", "mortar", "rocket", "missile"), ("قصف", "قذائف", "قذيفه", "مدفعي", "هاون",
                                                                       "صاروخ", "صواريخ")),
    "fire": (("fire broke", "fire swept", "fire destroy", "fire erupted", "fires", "a fire", "the fire", "blaze",
              "caught fire", "burned", "burnt", "flames", "firefighter", "wildfire"), ("حريق", "حرائق", "احتراق")),
    "protest": (("protest", "demonstrat", "rally", "sit-in"), ("مظاهره", "تظاهر", "احتجاج", "وقفه احتجاجيه",
                                                               "متظاهر", "محتج")),
    "prison": (("prison", "jail", "inmate", "detention centre", "detention center", "escape"),
               ("سجن", "سجناء", "فرار", "هروب")),
    "convoy": (("convoy",), ("رتل", "ارتال", "قافله")),
    "explosion": (("explosion", "blast", "exploded", "detonat"), ("انفجار", "تفجير", "انفجر")),
    "unrest": (("riot", "unrest", "stampede", "mutiny", "uprising"), ("شغب", "فوضى", "تمرد", "اعمال عنف")),
    "collapse": (("collaps", "caved in", "gave way"), ("انهيار", "انهار", "انهارت")),
    "smuggling": (("smuggl", "contraband", "seized", "seizure", "confiscat"), ("تهريب", "مهرب", "ضبط", "مصادره",
                                                                             "مضبوطات")),
    "infrastructure": (("power station", "water station", "electricity", "pipeline", "oil field", "water supply"),
                       ("محطه", "الكهرباء", "المياه", "خط نفط", "حقل")),
}  # fmt: skip

# Kinds one event is often told by in two newsrooms (a drone is an airstrike to one of them; a seizure of smuggled
# goods is an arrest raid to another): two headlines of kinds from no common family are two events
FAMILIES = (
    {"drone", "airstrike"}, {"explosive", "explosion", "car bomb", "landmine"}, {"arrest", "smuggling", "kidnapping"},
    {"clashes", "assassination", "convoy"}, {"fire", "infrastructure"}, {"protest", "unrest", "prison"},
    {"collapse", "infrastructure"},
)  # fmt: skip

ACTORS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "sdf": (("sdf", "syrian democratic forces", "asayish", "kurdish-led"), ("قسد", "سوريا الديمقراطيه", "الاسايش",
                                                                          "اسايش")),
    "isis": (("isis", "isil", "islamic state", "daesh", "is cell", "is militants"), ("داعش", "تنظيم الدوله")),
    "regime": (("syrian army", "government forces", "regime", "syrian government", "army"),
               ("قوات النظام", "الجيش السوري", "القوات الحكوميه", "النظام السوري", "جيش النظام")),
    "iran": (("iran", "irgc", "revolutionary guard"), ("ايران", "الايراني", "الحرس الثوري")),
    "russia": (("russia",), ("روسي", "روسيا")),
    "coalition": (("coalition", "u.s.", "us forces", "american", "united states", "pentagon"),
                  ("التحالف", "الامريكي", "الاميركي", "واشنطن")),
    "turkey": (("turkey", "turkish", "ankara"), ("تركيا", "التركي", "انقره")),
    "pmf": (("popular mobili", "pmf", "hashd"), ("الحشد الشعبي", "الحشد")),
    "iraqi forces": (("iraqi army", "iraqi forces", "iraqi security", "counter-terrorism service"),
                     ("الجيش العراقي", "القوات العراقيه", "القوات الامنيه العراقيه", "جهاز مكافحه الارهاب")),
    "tribes": (("tribal", "tribe", "clan"), ("عشائر", "عشيره", "قبيله", "قبلي")),
}  # fmt: skip

# Number words up to twenty, and the tens, as folded text writes them (bot/text/normalise.fold: ة -> ه, أ -> ا)
EN_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "dozen": 12,
    "a dozen": 12, "pair": 2, "both": 2,
}  # fmt: skip
AR_NUMBERS = {
    "واحد": 1, "واحده": 1, "اثنان": 2, "اثنين": 2, "اثنتين": 2, "اثنتان": 2, "ثلاث": 3, "ثلاثه": 3, "اربع": 4,
    "اربعه": 4, "خمس": 5, "خمسه": 5, "ست": 6, "سته": 6, "سبع": 7, "سبعه": 7, "ثماني": 8, "ثمانيه": 8, "ثمان": 8,
    "تسع": 9, "تسعه": 9, "عشر": 10, "عشره": 10, "عشرين": 20, "عشرون": 20, "ثلاثين": 30, "ثلاثون": 30,
    "اربعين": 40, "اربعون": 40, "خمسين": 50, "خمسون": 50,
}  # fmt: skip
AR_TEENS = {"احد عشر": 11, "احدي عشره": 11, "اثنا عشر": 12, "اثني عشر": 12, "اثنتا عشره": 12, "اثنتي عشره": 12,
            "ثلاثه عشر": 13, "ثلاث عشره": 13, "اربعه عشر": 14, "اربع عشره": 14, "خمسه عشر": 15, "خمس عشره": 15,
            "سته عشر": 16, "ست عشره": 16, "سبعه عشر": 17, "سبع عشره": 17, "ثمانيه عشر": 18, "ثماني عشره": 18,
            "تسعه عشر": 19, "تسع عشره": 19}  # fmt: skip

# Arabic writes "two people" as one word, the noun in the dual: طفلان, عنصرين (of the nouns news counts people by)
# (not those whose plural ends the same way: مدنيين, مسلحين, مقاتلين are many)
AR_DUAL_NOUNS = ("طفل", "شخص", "عنصر", "جندي", "شاب", "رجل", "ضابط", "قتيل", "جريح", "امراه", "سياره", "اليه",
                 "منزل")  # fmt: skip

# A number beside one of these is a date, which every report of the day shares: not evidence
MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "يناير", "فبراير", "مارس", "ابريل", "مايو", "يونيو", "يوليو", "اغسطس", "سبتمبر", "اكتوبر", "نوفمبر", "ديسمبر",
    "كانون", "شباط", "اذار", "نيسان", "ايار", "حزيران", "تموز", "اب", "ايلول", "تشرين",
)  # fmt: skip
