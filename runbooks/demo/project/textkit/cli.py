"""Command line: print statistics about the text on standard input."""

import sys

from textkit.stats import mean_length, word_count


def main(argv=None):
    text = sys.stdin.read()
    words = text.split()
    print(f"words: {word_count(text)}")
    print(f"mean length: {mean_length(words):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
