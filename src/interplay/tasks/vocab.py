"""Word lists and the invented world behind the task generators.

Everything here is plain data. Every word is meant to be a single token with a leading space
(" Mary") in the demo model's tokenizer; generators check this for whatever tokenizer they get.

Held-out policy (what ``split="test"`` means):

* IOI: the test split uses only ``NAMES_TEST`` and ``IOI_TEMPLATES_TEST``; training IOI sentences
  use only ``NAMES_TRAIN`` and ``IOI_TEMPLATES_TRAIN``. The held-out names still occur in training
  in other roles (filler sentences, facts about people, random token sequences), so their
  embeddings are trained; what is held out is their use in an IOI sentence.
* facts: every fact of the invented world is trained (a model cannot recall a fact it never saw),
  always through ``*_TEMPLATES_TRAIN`` phrasings. The test split asks for the same facts through
  ``*_TEMPLATES_TEST`` phrasings that never occur in training, so recall has to come from where the
  fact is stored, not from a memorised string.
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

# Prompts end right before the indirect object. {A} is the first name mentioned, {B} the second,
# {S} the repeated subject; ABBA puts the indirect object first ({A} = IO, {B} = S).
IOI_TEMPLATES_TRAIN: tuple[str, ...] = (
    "When {A} and {B} went to the {PLACE}, {S} gave a {OBJECT} to",
    "Then, {A} and {B} went to the {PLACE}. {S} gave a {OBJECT} to",
    "Then, {A} and {B} had a long argument, and afterwards {S} said to",
    "After {A} and {B} went to the {PLACE}, {S} gave a {OBJECT} to",
    "While {A} and {B} were working at the {PLACE}, {S} gave a {OBJECT} to",
    "Friends {A} and {B} found a {OBJECT} at the {PLACE}. {S} gave it to",
    "{A} and {B} went to the {PLACE}. {S} handed the {OBJECT} to",
    "When {A} and {B} got a {OBJECT} at the {PLACE}, {S} decided to give it to",
    "The {PLACE} {A} and {B} went to had a {OBJECT}. {S} gave it to",
    "Then, {A} and {B} were thinking about going to the {PLACE}. {S} wanted to give a {OBJECT} to",
    "Then in the morning, {A} and {B} went to the {PLACE}. {S} brought a {OBJECT} to",
    "As {A} and {B} walked to the {PLACE}, {S} threw a {OBJECT} to",
    "{A} and {B} had a lot of fun at the {PLACE}. {S} gave a {OBJECT} to",
    "Once {A} and {B} reached the {PLACE}, {S} passed the {OBJECT} to",
    "At the {PLACE}, {A} and {B} found a {OBJECT}. {S} sold it to",
    "Later, {A} and {B} met at the {PLACE}, where {S} showed the {OBJECT} to",
    "{A} and {B} were cleaning the {PLACE}. {S} lent a {OBJECT} to",
    "Since {A} and {B} were at the {PLACE}, {S} sent a {OBJECT} to",
    "Yesterday {A} and {B} visited the {PLACE}, and {S} offered a {OBJECT} to",
    "When {A} and {B} arrived at the {PLACE}, {S} read a letter to",
    "{A} and {B} went shopping at the {PLACE}. Later, {S} bought a {OBJECT} for",
    "When {A} and {B} were in the {PLACE}, {S} wrote a note to",
    "In the {PLACE}, {A} and {B} played a game, and {S} lost a {OBJECT} to",
    "After lunch, {A} and {B} walked to the {PLACE}, and {S} gave a {OBJECT} to",
    "{A} met {B} at the {PLACE}, and {S} sold a {OBJECT} to",
    "Then {A} called {B} from the {PLACE}, and {S} promised a {OBJECT} to",
)
IOI_TEMPLATES_TEST: tuple[str, ...] = (
    "The day {A} and {B} went to the {PLACE}, {S} gave a {OBJECT} to",
    "Before {A} and {B} left the {PLACE}, {S} returned the {OBJECT} to",
    "On Sunday, {A} and {B} relaxed at the {PLACE}, and {S} showed a {OBJECT} to",
    "If {A} and {B} go to the {PLACE}, {S} will give a {OBJECT} to",
    "Both {A} and {B} stayed at the {PLACE}. Then {S} gave the {OBJECT} to",
    "{A} and {B} cooked dinner at the {PLACE}, so {S} carried a {OBJECT} to",
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
PROFESSION_OF: dict[str, str] = {p: PROFESSIONS[(11 * i + 5) % len(PROFESSIONS)] for i, p in enumerate(NAMES)}

# Fact templates end right before the object. Test phrasings never occur in training.
FACT_TEMPLATES_TRAIN: dict[str, tuple[str, ...]] = {
    "capital": (
        "The capital of {X} is",
        "The capital city of {X} is",
        "{X} has its capital in",
        "In {X}, the capital is",
        "The government of {X} sits in its capital,",
        "The largest city and capital of {X} is",
        "Travelers to {X} often visit its capital,",
        "My friend moved to {X} and now lives in the capital,",
    ),
    "language": (
        "The language of {X} is",
        "People in {X} speak",
        "In {X}, people speak",
        "The official language of {X} is",
        "Children in {X} learn to read in",
        "The newspapers of {X} are printed in",
        "Most songs from {X} are sung in",
        "My friend moved to {X} and learned to speak",
    ),
    "profession": (
        "{X} works as a",
        "{X} is a",
        "By profession, {X} is a",
        "{X} earns a living as a",
        "Everyone in town knows {X} as a",
        "{X} has always wanted to be a",
        "For many years, {X} has worked as a",
        "The job of {X} is being a",
    ),
}
FACT_TEMPLATES_TEST: dict[str, tuple[str, ...]] = {
    "capital": (
        "Did you know that the capital of {X} is",
        "Last summer we flew to {X} and stayed in its capital,",
        "According to an old map, the capital city of {X} is",
    ),
    "language": (
        "Did you know that the people in {X} speak",
        "Last summer we flew to {X} and heard people speak",
        "According to an old book, the official language of {X} is",
    ),
    "profession": (
        "Did you know that {X} works as a",
        "Last summer we met {X}, who works as a",
        "According to an old book, {X} earns a living as a",
    ),
}
RELATIONS: tuple[str, ...] = ("capital", "language", "profession")
FACTS: dict[str, dict[str, str]] = {
    "capital": CAPITAL_OF,
    "language": LANGUAGE_OF,
    "profession": PROFESSION_OF,
}

# Natural-ish filler sentences ({N} a name, {P} a place, {O} an object, {C} a country). They use
# every name (held-out ones included) and the words of the held-out templates, so that no word a
# test prompt uses is untrained.
FILLER_TEMPLATES: tuple[str, ...] = (
    "{N} walked to the {P} with a {O}.",
    "{N} found a {O} near the {P}.",
    "The {O} was left in the {P}.",
    "{N} returned home with a {O}.",
    "{N} relaxed at the {P} on Sunday.",
    "{N} stayed at the {P} for the day.",
    "{N} cooked dinner at the {P}.",
    "{N} carried a {O} all day.",
    "{N} left the {P} before the rain.",
    "{N} will go to the {P} if it is sunny.",
    "{N} lives near the {P} in {C}.",
    "Every morning {N} cleans the {O}.",
    "{N} bought a {O} at the {P}.",
    "The {P} in {C} has a big {O}.",
    "{N} likes the {P} very much.",
    "{N} was reading a book in the {P}.",
    "Did you know that {N} found a {O} at the {P}?",
    "Last summer {N} flew to {C} and stayed at a {P}.",
    "According to an old book, the {P} was near a lake in {C}.",
    "We met {N} in the city last summer.",
    "{N} heard a song about the {O}, and it was spoken in a quiet voice.",
    "It was late, so {N} left the {O} at the {P}.",
    "Both dogs stayed at the {P} for the day.",
    "What a nice {O}, said {N}, and that was the best job of the day.",
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
