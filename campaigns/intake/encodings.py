"""How a text file's bytes become text: byte order marks, UTF-16 without one, UTF-8, the Polish
single-byte encodings (Windows-1250, ISO-8859-2), and files whose lines mix them — and how
encodings are named for people. Nothing here knows about rows or cells."""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

from campaigns.exceptions import FileProblem

POLISH_LETTERS = set("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ")
# Byte order marks of the encodings Excel's "Unicode text" and other tools save in.
BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# How encodings are named for people, on the mapping page.
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "cp1250": _("Windows-1250 (Polish Windows)"),
    "iso-8859-2": _("ISO-8859-2 (Latin-2)"),
    "utf-16-le": _("UTF-16 (Excel “Unicode text”)"),
    "utf-16-be": _("UTF-16 (Excel “Unicode text”)"),
    "utf-32-le": "UTF-32",
    "utf-32-be": "UTF-32",
}
MIXED = "+"  # "utf-8+cp1250": lines in UTF-8 and lines in a single-byte encoding


def encoding_name(encoding: str) -> str:
    """An encoding as people know it: "Windows-1250 (Polish Windows)", not cp1250."""
    if MIXED in encoding:
        first, second = encoding.split(MIXED, 1)
        return str(
            _("%(first)s and %(second)s")
            % {"first": encoding_name(first), "second": encoding_name(second)}
        )
    return str(ENCODING_NAMES.get(encoding, encoding))


def utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text without its byte order mark: ASCII characters leave a zero byte in every
    other place, on the odd side (little-endian) or the even side (big-endian)."""
    head = data[:4096]
    if len(head) < 8 or b"\x00" not in head:
        return None
    half = len(head) // 2
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd > half * 0.3 and even < half * 0.02:
        return "utf-16-le"
    if even > half * 0.3 and odd < half * 0.02:
        return "utf-16-be"
    return None


# Text beyond the Latin scripts (with IPA, modifier letters, combining marks and punctuation):
# Cyrillic, Greek, CJK, emoji, …
NON_LATIN_RE = re.compile("[^\x00-\u036f\u1e00-\u1eff\u2000-\u206f\u20ac\u2100-\u214f\ufeff]")
# A run of letters (and the marks that go with them): a word, as far as scripts go.
WORD_RE = re.compile(r"[^\W\d_]+")
_PLAUSIBLE_LATIN_RE = re.compile("^[\x00-\x7e\u00a0-\u017f\u2013-\u201e\u2026\u20ac]*$")
# A well-formed UTF-8 sequence of two to four bytes: the sign that (some of) a file is UTF-8.
UTF8_MULTIBYTE_RE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def decode(data: bytes, encoding: str | None) -> tuple[str, str]:
    """A text file's bytes as text, and the encoding they were read in: `encoding` when the
    person chose one, else by its BOM, UTF-16 without one, UTF-8, Windows-1250 or ISO-8859-2 —
    or line by line when the lines mix them (see MIXED). Raises FileProblem."""
    if encoding:
        try:
            return data.decode(encoding).removeprefix("\ufeff"), encoding
        except (UnicodeDecodeError, LookupError):
            raise FileProblem(
                _(
                    "The file cannot be read as %(encoding)s. Choose another encoding, or let us "
                    "detect it."
                )
                % {"encoding": encoding}
            ) from None
    wide = next((name for bom, name in BOMS if data.startswith(bom)), None)
    if wide is not None or (wide := utf16_without_bom(data)):
        try:
            return data.decode(wide).removeprefix("\ufeff"), wide
        except UnicodeDecodeError:
            raise FileProblem(
                _(
                    "The file looks like %(encoding)s text (as Excel saves “Unicode text”), but "
                    "part of it is not. Open it in Excel and save it again as “CSV UTF-8”."
                )
                % {"encoding": wide.upper().rsplit("-", 1)[0]}
            ) from None
    body, used = (data[3:], "utf-8-sig") if data.startswith(b"\xef\xbb\xbf") else (data, "utf-8")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        # Windows-1250 capitals can form valid UTF-8 ("ÓŁ" is the bytes of Cyrillic "ӣ"): a file
        # that is not Latin throughout is looked at line by line.
        if not NON_LATIN_RE.search(text):
            return text, used
        text, lines_in = _decode_lines(body)
        return text, used if lines_in == "utf-8" else lines_in
    if not UTF8_MULTIBYTE_RE.search(body):
        single = _single_byte_encoding(body)
        return body.decode(single, errors="replace"), single
    return _decode_lines(body)


def _single_byte_encoding(data: bytes) -> str:
    # Windows-1250 or ISO-8859-2. Bytes 0x80–0x9F are control codes in ISO-8859-2 but letters
    # (ś, Ś, ź, Ź, …) in Windows-1250; otherwise the one giving more Polish letters wins.
    if any(0x80 <= byte <= 0x9F for byte in data):
        return "cp1250"
    cp1250 = data.decode("cp1250", errors="replace")
    iso = data.decode("iso-8859-2", errors="replace")
    return "iso-8859-2" if _polish_score(iso) > _polish_score(cp1250) else "cp1250"


def _decode_lines(data: bytes) -> tuple[str, str]:
    """A file whose lines are partly UTF-8 and partly a single-byte encoding (rows pasted
    together from two exports): each line is read in its own encoding. A line valid in both
    is UTF-8 unless that reading is implausible and the single-byte one is Polish."""
    lines = data.splitlines(keepends=True)
    not_utf8 = []
    for line in lines:
        if not line.isascii():
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                not_utf8.append(line)
    single = _single_byte_encoding(b"".join(not_utf8))
    out, in_utf8, in_single = [], 0, 0
    for line in lines:
        if line.isascii():
            out.append(line.decode("ascii"))
            continue
        as_single = line.decode(single, errors="replace")
        try:
            as_utf8 = line.decode("utf-8")
        except UnicodeDecodeError:
            as_utf8 = None
        # Valid UTF-8 is UTF-8, unless its reading is implausible (a word mixing Latin letters
        # with another script's, as Windows-1250's "GÓŁKA" read as UTF-8 gives "GӣKA") where
        # the single-byte reading is Polish. Names in one script — IPA, Greek, Cyrillic,
        # Vietnamese — are plausible, so they stay as written.
        if as_utf8 is not None and not (
            _implausible_utf8(as_utf8)
            and _PLAUSIBLE_LATIN_RE.match(as_single)
            and _polish_score(as_single)
        ):
            out.append(as_utf8)
            in_utf8 += 1
        else:
            out.append(as_single)
            in_single += 1
    used = f"utf-8{MIXED}{single}" if in_utf8 and in_single else (single if in_single else "utf-8")
    return "".join(out), used


def _implausible_utf8(text: str) -> bool:
    """Text no one writes: C1 control characters, or a word in two scripts at once."""
    if any("\x80" <= ch <= "\x9f" for ch in text):
        return True
    return any(len({_script(ch) for ch in word}) > 1 for word in WORD_RE.findall(text))


def _script(letter: str) -> str:
    if letter < "\u0370" or "\u1e00" <= letter <= "\u1eff":
        return "Latin"  # with IPA and the Latin extensions (Polish, Vietnamese, …)
    return unicodedata.name(letter, "?").split(" ", 1)[0]


def _polish_score(text: str) -> int:
    return sum(1 for ch in text if ch in POLISH_LETTERS)
