import io
import unittest
from contextlib import redirect_stdout
from unittest import mock

from textkit import cli


class CliTest(unittest.TestCase):
    def run_cli(self, text, *argv):
        out = io.StringIO()
        with mock.patch("sys.stdin", io.StringIO(text)), redirect_stdout(out):
            code = cli.main(list(argv))
        return code, out.getvalue()

    def test_prints_counts(self):
        code, out = self.run_cli("a bb ccc\n")
        self.assertEqual(code, 0)
        self.assertIn("words: 3", out)
        self.assertIn("mean length: 2.00", out)


if __name__ == "__main__":
    unittest.main()
