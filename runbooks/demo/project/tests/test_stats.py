import unittest

from textkit.stats import longest, mean_length, word_count


class StatsTest(unittest.TestCase):
    def test_word_count(self):
        self.assertEqual(word_count("one two  three\n"), 3)

    def test_mean_length(self):
        self.assertAlmostEqual(mean_length(["ab", "abcd"]), 3.0)
        self.assertEqual(mean_length([]), 0.0)

    def test_longest(self):
        self.assertEqual(longest(["a", "abc", "xyz"]), "abc")


if __name__ == "__main__":
    unittest.main()
