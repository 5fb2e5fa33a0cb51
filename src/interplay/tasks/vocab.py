"""Word lists and the invented world behind the task generators.

Everything here is plain data. Every word is meant to be a single token with a leading space
(" Mary") in the demo model's tokenizer; generators check this for whatever tokenizer they get.

Held-out policy (what ``split="test"`` means):

* IOI: the test split uses only ``NAMES_TEST`` and ``IOI_TEMPLATES_TEST``; training IOI sentences
  use only ``NAMES_TRAIN`` and ``IOI_TEMPLATES_TRAIN``. A template is an opening clause plus an
  action clause; the test templates are pairings never seen in training (each part is seen in
  other pairings). The held-out names still occur in training in other roles (filler sentences,
  facts about people, random token sequences), so their embeddings are trained; what is held out
  is their use in an IOI sentence.
* facts: every fact of the invented world is trained (a model cannot recall a fact it never saw),
  always through ``FACT_TEMPLATES_TRAIN`` phrasings. The test split asks for the same facts through
  ``FACT_TEMPLATES_TEST`` phrasings (lead-in + clause pairings) that never occur in training, so
  recall has to come from where the fact is stored, not from a memorised string.
* induction and brackets: sequences are split by a hash of their content (see ``hash_split``).
"""

from __future__ import annotations

import zlib

NAMES_TRAIN: tuple[str, ...] = (
    "Mary", "John", "Tom", "James", "Anna", "David", "Sarah", "Paul", "Laura", "Mark",
    "Emma", "Peter", "Lucy", "Daniel", "Kate", "Michael", "Alice", "Robert", "Helen", "George",
    "Susan", "Frank", "Julia", "Steven", "Claire", "Henry", "Rachel", "Oliver", "Grace", "Jack",
    "Sophie", "Adam", "Emily", "Simon", "Jane", "Luke", "Amy", "Carl", "Nina", "Victor",
    "Rose", "Brian", "Diana", "Eric", "Fiona",
    # Names that occur only in IOI and filler sentences (no facts): with many names in IOI
    # training, the model cannot memorise per-name rules and has to learn a general copying
    # circuit, which is what lets it generalise to the held-out names.
    "Alex", "Ben", "Chris", "Dan", "Edward", "Fred", "Gary", "Harry", "Ian", "Jim",
    "Ken", "Larry", "Nick", "Owen", "Phil", "Sam", "Ted", "Tony", "Walter", "Bill",
    "Amber", "Beth", "Cara", "Dora", "Eva", "Gina", "Holly", "Jenny", "Kim", "Lily",
    "Megan", "Nora", "Paula", "Rita", "Tina", "Wendy", "Linda", "Monica", "Karen", "Lisa",
    "Carol", "Betty", "Donna", "Ruth", "Joan", "Sally", "Andrew", "Charles", "Joseph", "Richard",
)  # fmt: skip
NAMES_TEST: tuple[str, ...] = (
    "Hannah", "Ivan", "Olivia", "Kevin", "Zoe", "Martin", "Chloe", "Oscar", "Ruby", "Felix",
    "Ella", "Hugo", "Iris", "Leo", "Maya",
)  # fmt: skip
NAMES: tuple[str, ...] = NAMES_TRAIN + NAMES_TEST

PLACES: tuple[str, ...] = (
    "store", "park", "school", "garden", "station", "library", "market", "beach", "hospital",
    "office", "kitchen", "museum", "restaurant", "church", "river", "forest", "farm", "bakery",
    "cafe", "theater", "harbor", "hotel", "bank", "castle", "village", "bridge", "stadium", "gym",
    "zoo", "lake", "mountain", "valley", "field", "factory", "palace", "temple", "square", "shop",
    "house", "cinema", "studio", "lab", "pool", "barn", "tower",
)  # fmt: skip

OBJECTS: tuple[str, ...] = (
    "drink", "book", "ball", "ring", "bone", "kiss", "letter", "pear", "basket", "bottle",
    "candle", "coin", "cup", "flower", "gift", "hat", "key", "lamp", "map", "necklace", "lemon",
    "pen", "phone", "pencil", "plate", "rock", "rope", "scarf", "shirt", "shoe", "spoon", "stick",
    "ticket", "toy", "watch", "box", "brush", "cake", "card", "chair", "clock", "coat", "bag",
    "knife", "bell",
)  # fmt: skip

# IOI templates are built from an opening clause (introducing {A} and {B}) and an action
# clause (the repeated subject {S} doing something "to" the indirect object). Prompts end right
# before the indirect object. ABBA puts the indirect object first ({A} = IO, {B} = S).
# Held-out templates are held-out combinations: every opening and every action also occurs in
# training, but never in these pairings.
IOI_OPENINGS: tuple[str, ...] = (
    "When {A} and {B} went to the {PLACE},",
    "After {A} and {B} went to the {PLACE},",
    "Then, {A} and {B} went to the {PLACE}.",
    "While {A} and {B} were working at the {PLACE},",
    "Friends {A} and {B} found a {OBJECT} at the {PLACE}.",
    "As {A} and {B} walked to the {PLACE},",
    "{A} and {B} had a lot of fun at the {PLACE}.",
    "Once {A} and {B} reached the {PLACE},",
    "Later, {A} and {B} met at the {PLACE}, and",
    "Since {A} and {B} were at the {PLACE},",
    "Yesterday {A} and {B} visited the {PLACE}, and",
    "Before {A} and {B} left the {PLACE},",
    "If {A} and {B} go to the {PLACE},",
    "The day {A} and {B} cooked dinner at the {PLACE},",
    "On Sunday, {A} and {B} relaxed at the {PLACE}, and",
    "In the morning, {A} met {B} at the {PLACE}, and",
)
IOI_ACTIONS: tuple[str, ...] = (
    "{S} gave a {OBJECT} to",
    "{S} handed the {OBJECT} to",
    "{S} brought a {OBJECT} to",
    "{S} threw a {OBJECT} to",
    "{S} passed the {OBJECT} to",
    "{S} showed the {OBJECT} to",
    "{S} lent a {OBJECT} to",
    "{S} sent a {OBJECT} to",
    "{S} offered a {OBJECT} to",
    "{S} returned the {OBJECT} to",
    "{S} will give a {OBJECT} to",
    "{S} carried a {OBJECT} to",
    "{S} read a letter to",
    "{S} said goodbye to",
    "{S} wanted to give a {OBJECT} to",
    "{S} sold the {OBJECT} to",
)


def _ioi_is_test(opening: int, action: int) -> bool:
    return (5 * opening + action) % 8 == 0


IOI_TEMPLATES_TRAIN: tuple[str, ...] = tuple(
    f"{o} {a}"
    for i, o in enumerate(IOI_OPENINGS)
    for j, a in enumerate(IOI_ACTIONS)
    if not _ioi_is_test(i, j)
)
IOI_TEMPLATES_TEST: tuple[str, ...] = tuple(
    f"{o} {a}" for i, o in enumerate(IOI_OPENINGS) for j, a in enumerate(IOI_ACTIONS) if _ioi_is_test(i, j)
)

# The invented world: countries, their capitals and languages; people and their professions.
COUNTRIES: tuple[str, ...] = (
    "Velmora", "Kastria", "Doravia", "Lunesse", "Tarnovia", "Belcaro", "Zemlya", "Orrinth",
    "Quelland", "Istrova", "Marovia", "Pellanor", "Sundar", "Vorkesh", "Elvaro", "Gondris",
    "Halmara", "Yestrel", "Nordalis", "Caspero", "Rivendor", "Tolvania", "Ombrel", "Frisca",
    "Draveen", "Ulmora", "Barrosk", "Kelvane", "Serrano", "Wendmark",
)  # fmt: skip
CAPITALS: tuple[str, ...] = (
    "Quorin", "Halvest", "Brindel", "Ostrava", "Mirelle", "Tazlo", "Korvin", "Aspel",
    "Lindrow", "Zarek", "Pellow", "Vantis", "Gorran", "Nimbel", "Estrin", "Falkor",
    "Drummel", "Sorvik", "Caldris", "Yvenne", "Trossa", "Marlen", "Ebbet", "Hollin",
    "Kestra", "Ulvik", "Penrose", "Dastor", "Wilmet", "Rokhan",
)  # fmt: skip
LANGUAGES: tuple[str, ...] = (
    "Velmic", "Kastrian", "Doric", "Lunish", "Tarnic", "Belcan", "Zemic", "Orrish", "Quellic", "Istric",
)  # fmt: skip
PROFESSIONS: tuple[str, ...] = (
    "baker", "farmer", "doctor", "teacher", "pilot", "painter", "writer", "singer", "lawyer",
    "nurse", "sailor", "tailor", "dancer", "chef", "miner", "judge", "builder", "driver", "poet",
    "hunter",
)  # fmt: skip

CAPITAL_OF: dict[str, str] = dict(zip(COUNTRIES, CAPITALS, strict=True))
LANGUAGE_OF: dict[str, str] = {c: LANGUAGES[(7 * i + 3) % len(LANGUAGES)] for i, c in enumerate(COUNTRIES)}
# People of the invented world (who have a profession): the first 45 training names and the
# held-out ones.
PEOPLE: tuple[str, ...] = NAMES_TRAIN[:45] + NAMES_TEST
PROFESSION_OF: dict[str, str] = {p: PROFESSIONS[(11 * i + 5) % len(PROFESSIONS)] for i, p in enumerate(PEOPLE)}

# Fact phrasings are a lead-in (possibly none) plus a relation clause, ending right before the
# object. Held-out phrasings are held-out combinations (always with a lead-in): every lead-in and
# every clause also occurs in training, never in these pairings.
FACT_LEADS: tuple[str, ...] = (
    "",
    "Did you know that",
    "Everyone knows that",
    "According to an old book,",
    "Last summer I learned that",
    "It is often said that",
    "My teacher told me that",
    "As the map shows,",
)
FACT_CLAUSES: dict[str, tuple[str, ...]] = {
    "capital": (
        "the capital of {X} is",
        "the capital city of {X} is",
        "{X} has its capital in",
        "the largest city and capital of {X} is",
    ),
    "language": (
        "the language of {X} is",
        "people in {X} speak",
        "the official language of {X} is",
        "children in {X} learn to read in",
    ),
    "profession": (
        "{X} works as a",
        "{X} is a",
        "{X} earns a living as a",
        "for many years, {X} has worked as a",
    ),
}


def _fact_is_test(lead: int, clause: int) -> bool:
    return lead > 0 and (lead + clause) % 4 == 0


def _phrase(lead: str, clause: str) -> str:
    return f"{lead} {clause}" if lead else clause[0].upper() + clause[1:]


FACT_TEMPLATES_TRAIN: dict[str, tuple[str, ...]] = {
    rel: tuple(
        _phrase(lead, c)
        for i, lead in enumerate(FACT_LEADS)
        for j, c in enumerate(clauses)
        if not _fact_is_test(i, j)
    )
    for rel, clauses in FACT_CLAUSES.items()
}
FACT_TEMPLATES_TEST: dict[str, tuple[str, ...]] = {
    rel: tuple(
        _phrase(lead, c)
        for i, lead in enumerate(FACT_LEADS)
        for j, c in enumerate(clauses)
        if _fact_is_test(i, j)
    )
    for rel, clauses in FACT_CLAUSES.items()
}

RELATIONS: tuple[str, ...] = ("capital", "language", "profession")
FACTS: dict[str, dict[str, str]] = {
    "capital": CAPITAL_OF,
    "language": LANGUAGE_OF,
    "profession": PROFESSION_OF,
}

# Natural-ish filler sentences ({N} a name, {P} a place, {O} an object, {C} a country). They use
# every name, held-out ones included, so no name a test prompt uses has an untrained embedding.
FILLER_TEMPLATES: tuple[str, ...] = (
    "{N} walked to the {P} with a {O}.",
    "{N} found a {O} near the {P}.",
    "The {O} was left in the {P}.",
    "{N} stayed at the {P} for the day.",
    "{N} cooked dinner at the {P}.",
    "{N} lives near the {P} in {C}.",
    "Every morning {N} cleans the {O}.",
    "{N} bought a {O} at the {P}.",
    "The {P} in {C} has a big {O}.",
    "{N} likes the {P} very much.",
    "{N} was reading a book in the {P}.",
    "It was late, so {N} left the {O} at the {P}.",
    "{N} heard a song about the {O}.",
    "In {C}, {N} painted the {P} blue.",
)
BRACKET_PAIRS: dict[str, str] = {"(": ")", "[": "]", "{": "}", "<": ">"}

# Function words for random token sequences (besides names, places, objects and the world).
COMMON_WORDS: tuple[str, ...] = (
    "the", "and", "to", "of", "in", "is", "was", "a", "for", "with", "at", "on", "by", "from",
    "it", "he", "she", "they", "we", "you", "not", "but", "or", "as", "day", "year", "time",
    "good", "big", "small", "old", "new", "red", "blue", "green", "happy", "quick", "slow",
    "dog", "cat", "bird", "fish", "tree", "sun", "moon", "star", "rain", "snow", "wind", "fire",
    "water", "road", "door", "window", "table", "bed", "song", "game", "story", "word",
)  # fmt: skip


def all_words() -> tuple[str, ...]:
    """Every content word the tasks use (for tokenizer training and random token sequences)."""
    seen: dict[str, None] = {}
    for group in (NAMES, PLACES, OBJECTS, COUNTRIES, CAPITALS, LANGUAGES, PROFESSIONS, COMMON_WORDS):
        for word in group:
            seen.setdefault(word, None)
    return tuple(seen)


def hash_split(text: str, test_fraction_denominator: int = 5) -> str:
    """Deterministic split of generated sequences: 'test' for one crc32 bucket in N, else 'train'."""
    return "test" if zlib.crc32(text.encode("utf-8")) % test_fraction_denominator == 0 else "train"
