"""Text from files and forms: digits as Thulium reads them, and letters lost or mis-decoded.

Python's `\\d`, `str.isdigit` and `int` take any script's digits (fullwidth ６, Arabic-Indic ٦,
superscript ² for `isdigit` alone), Thulium takes ASCII. Everything that reads a number from a
user goes through here. Mis-decoded text is recognised so that no row carrying it looks valid.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Invisible marks that copying from web pages and Word leaves in numbers: zero-width spaces,
# direction marks, the byte order mark, soft hyphens.
_FORMAT_CATEGORIES = {"Cf"}


def fold_digits(text: str) -> str:
    """`text` with every decimal digit of any script as its ASCII digit, fullwidth signs and
    spaces as their plain forms (NFKC) and invisible format marks removed. ASCII text is
    returned as it is, at no cost."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKC", text)
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
        elif (digit := unicodedata.decimal(ch, None)) is not None:
            out.append(str(digit))
        elif unicodedata.category(ch) not in _FORMAT_CATEGORIES:
            out.append(ch)
    return "".join(out)


def ascii_int(text: str) -> int | None:
    """A whole number written in ASCII digits, else None (never raises)."""
    text = text.strip()
    if text.isascii() and text.isdigit():
        return int(text)
    return None


def without_nul(text: str) -> str:
    """The text without NUL characters: no cell means one (CSVs and XLSX `_x0000_` escapes
    carry them), and PostgreSQL cannot store them in text or JSON."""
    return text.replace("\x00", "") if "\x00" in text else text


# --- mis-decoded text ---------------------------------------------------------------------------

REPLACEMENT = "\ufffd"
# Single-byte encodings a UTF-8 file is wrongly read in, in Poland and elsewhere.
_MISREAD_AS = ("cp1250", "cp1252", "iso-8859-2", "latin-1")


def _decoded(byte_range: range) -> str:
    chars: set[str] = set()
    for encoding in _MISREAD_AS:
        chars.update(bytes(byte_range).decode(encoding, errors="ignore"))
    return "".join(sorted(chars))


# UTF-8 read as one of those encodings leaves a lead byte (0xC2–0xF4) followed by continuation
# bytes (0x80–0xBF), each shown as a character: "Ĺ‚" for "ł", "Ä…" for "ą", "Ã³" for "ó".
_MOJIBAKE_PAIR_RE = re.compile(
    f"[{re.escape(_decoded(range(0xC2, 0xF5)))}][{re.escape(_decoded(range(0x80, 0xC0)))}]"
)
# What text that was read right is made of in our files: ASCII, Latin letters with diacritics
# (Latin-1 and Latin Extended-A) and typographic punctuation.
_PLAUSIBLE_RE = re.compile("^[\\x20-\\x7e\\t\\u00a0-\\u017f\\u2013-\\u201e\\u2026\\u20ac]*$")


def lost_letters(text: str) -> bool:
    """The text holds U+FFFD: letters were lost before or while the file was read."""
    return REPLACEMENT in text


@functools.lru_cache(maxsize=16_384)
def mojibake_repair(text: str) -> str | None:
    """The text as it was meant, when it is UTF-8 that was read as a single-byte encoding
    ("Ĺ‚ukasz" → "Łukasz"); None when it does not look mis-decoded."""
    if text.isascii() or not _MOJIBAKE_PAIR_RE.search(text):
        return None
    for encoding in _MISREAD_AS:
        try:
            repaired = text.encode(encoding).decode("utf-8")
        except UnicodeError:
            continue
        # Genuine text seldom encodes to valid UTF-8 at all; when it does ("ÓŁ" in Windows-1250
        # is the bytes of Cyrillic "ӣ"), what comes out is not Latin text.
        if repaired != text and _PLAUSIBLE_RE.match(repaired):
            return repaired
    return None


# A number Excel wrote in scientific notation ("6,001E+08").
SCIENTIFIC_RE = re.compile(r"^[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+$", re.ASCII)


def looks_scientific(text: str) -> bool:
    """A number Excel already turned into scientific notation (e.g. 6,001E+08): digits are lost."""
    return bool(SCIENTIFIC_RE.match(fold_digits(text.strip())))
