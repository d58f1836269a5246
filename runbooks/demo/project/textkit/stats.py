"""Small statistics helpers for lists of words."""


def word_count(text):
    """Number of words in text."""
    return len(text.split())


def mean_length(words):
    """Mean length of the words, 0.0 when there are none."""
    if not words:
        return 0.0

    return sum(len(word) for word in words) / len(words)


def longest(words):
    """The longest word (the first one on ties)."""
    best = ""
    for word in words:
        if len(word) > len(best):
            best = word
    return best
