"""A text file as lines, keeping every byte that is not a line's text: each line's own ending,
the BOM, and whether the last line ends with a newline. Decoding then encoding is lossless."""

from __future__ import annotations

from dataclasses import dataclass

from tui.errors import PatchbayError

BOM = b"\xef\xbb\xbf"
LF = "\n"
CRLF = "\r\n"


def split_lines(text: str) -> tuple[list[str], list[str]]:
    """Split on "\\n" only (not str.splitlines, which also splits on \\x0c, \\u2028 ...).

    Returns the lines without endings and each line's ending ("\\r\\n", "\\n", or "" for a last
    line that has none). An empty text has no lines.
    """
    lines: list[str] = []
    eols: list[str] = []
    start = 0
    length = len(text)
    while start < length:
        end = text.find("\n", start)
        if end < 0:
            lines.append(text[start:])
            eols.append("")
            break
        if end > start and text[end - 1] == "\r":
            lines.append(text[start : end - 1])
            eols.append(CRLF)
        else:
            lines.append(text[start:end])
            eols.append(LF)
        start = end + 1
    return lines, eols


def dominant_eol(eols: list[str] | tuple[str, ...]) -> str:
    crlf = sum(1 for eol in eols if eol == CRLF)
    lf = sum(1 for eol in eols if eol == LF)
    return CRLF if crlf > lf else LF


@dataclass(frozen=True)
class FileText:
    """Lines of a file plus what is needed to write it back byte for byte."""

    lines: tuple[str, ...]
    eols: tuple[str, ...]
    bom: bool = False

    @classmethod
    def from_bytes(cls, data: bytes, path: str = "") -> FileText:
        bom = data.startswith(BOM)
        body = data[len(BOM) :] if bom else data
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise PatchbayError(
                f"{path or 'The file'} is not UTF-8 text; Patchbay only changes text files."
            ) from None
        return cls.from_text(text, bom=bom)

    @classmethod
    def from_text(cls, text: str, *, bom: bool = False) -> FileText:
        lines, eols = split_lines(text)
        return cls(tuple(lines), tuple(eols), bom)

    @property
    def eol(self) -> str:
        """The ending new lines get: the file's majority, LF for an empty file."""
        return dominant_eol(self.eols)

    @property
    def ends_with_newline(self) -> bool:
        return not self.eols or self.eols[-1] != ""

    @property
    def text(self) -> str:
        return "".join(line + eol for line, eol in zip(self.lines, self.eols, strict=True))

    def to_bytes(self) -> bytes:
        return (BOM if self.bom else b"") + self.text.encode("utf-8")

    def __len__(self) -> int:
        return len(self.lines)
