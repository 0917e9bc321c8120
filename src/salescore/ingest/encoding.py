"""Which text encoding a file is in: a byte-order mark, else UTF-8 if it decodes, else a guess.

Chinese exports come as UTF-8 (with or without a BOM) or GBK/GB18030; European and American ones
as Windows-1252; Excel's "Unicode text" as UTF-16. GBK is read as GB18030, its superset, so that
rare characters outside GBK do not fail.

>>> detect_encoding("客户,金额\\n".encode("utf-8"))
'utf-8'
>>> detect_encoding("客户名称,所属行业\\n上海某某科技有限公司,制造业\\n".encode("gbk"))
'gb18030'
>>> detect_encoding("Name\\nMüller GmbH, Köln\\n".encode("cp1252"))
'cp1252'
"""

from __future__ import annotations

import codecs

import charset_normalizer

SAMPLE_BYTES = 1 << 20

# GBK and GB2312 are read as GB18030, their superset; charset-normalizer's names for the others.
_ALIASES = {
    "gbk": "gb18030", "gb2312": "gb18030", "gb18030": "gb18030", "cp936": "gb18030",
    "windows-1252": "cp1252", "cp1252": "cp1252", "latin-1": "cp1252", "latin_1": "cp1252",
    "iso-8859-1": "cp1252", "iso8859_1": "cp1252", "big5": "big5", "utf_8": "utf-8",
    "utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8-sig", "utf_8_sig": "utf-8-sig",
    "utf-16": "utf-16", "utf_16": "utf-16",
}
# Only what sales exports are actually written in; a wider net makes short files misread.
_CANDIDATES = ["gb18030", "cp1252", "big5"]


def normalise_encoding(name: str) -> str:
    """The canonical spelling of an encoding name given by a user (``GBK`` → ``gb18030``).

    ``LookupError`` for a name Python does not know.
    """
    key = name.strip().lower().replace("_", "-")
    if key in _ALIASES:
        return _ALIASES[key]
    return codecs.lookup(name).name


def _is_utf8(sample: bytes) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        # final=False: a sample cut through a multi-byte character is still UTF-8.
        decoder.decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(raw: bytes) -> str:
    """The encoding of ``raw``, judged on its first MiB: a BOM wins, then strict UTF-8, then the
    most plausible of GB18030, Windows-1252 and Big5 (GB18030 preferred when it fits)."""
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = raw[:SAMPLE_BYTES]
    if _is_utf8(sample):
        return "utf-8"
    matches = charset_normalizer.from_bytes(sample, cp_isolation=_CANDIDATES)
    found = [_ALIASES.get(m.encoding, m.encoding) for m in matches]
    best = matches.best()
    choice = _ALIASES.get(best.encoding, best.encoding) if best else "cp1252"
    # Short Chinese samples are often scored as Korean or Big5; our users write GB18030.
    if choice != "gb18030" and "gb18030" in found and choice != "cp1252":
        choice = "gb18030"
    return choice
