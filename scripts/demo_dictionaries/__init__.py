"""The demo dictionaries' maintenance code: concept sets, their evaluation and their card.

Not library API: ``scripts/train_dictionaries.py`` trains the bundle, :mod:`.evaluation` measures it
(:mod:`.concepts` defines the token-level concepts), :mod:`.card` renders DICTIONARY_CARD.md from
card.json, and ``tests/demo/test_dictionary_card.py`` recomputes every number from the weights.
"""
