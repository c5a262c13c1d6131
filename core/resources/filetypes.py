"""Which files may be uploaded, recognised by their content (magic bytes), never by their name.

``filetype`` reads the signature. Office documents are zip containers, so for those the zip's
central directory decides: an OOXML package must hold its ``[Content_Types].xml`` and the main
part of its kind (no macros), an OpenDocument its ``mimetype`` entry. Text and CSV have no
signature: they must decode as text, hold no NUL byte and not be markup (HTML, SVG, XML).
The file name's extension must then agree with what the content is.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from dataclasses import dataclass

import filetype
from charset_normalizer import from_bytes

from core.i18n import N_
from core.i18n import gettext as _


@dataclass(frozen=True)
class FileKind:
    """An accepted type: its MIME type, the extensions a name may carry, a short label."""

    mime: str
    extensions: tuple[str, ...]
    label: str  # French, marked with N_ when not a brand name; shown through gettext


PDF = FileKind("application/pdf", ("pdf",), "PDF")
PNG = FileKind("image/png", ("png",), "PNG")
JPEG = FileKind("image/jpeg", ("jpg", "jpeg"), "JPEG")
GIF = FileKind("image/gif", ("gif",), "GIF")
WEBP = FileKind("image/webp", ("webp",), "WebP")
DOCX = FileKind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ("docx",), "Word")
XLSX = FileKind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ("xlsx",), "Excel")
PPTX = FileKind(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation", ("pptx",), "PowerPoint"
)
ODT = FileKind("application/vnd.oasis.opendocument.text", ("odt",), N_("OpenDocument texte"))
ODS = FileKind("application/vnd.oasis.opendocument.spreadsheet", ("ods",), N_("OpenDocument tableur"))
ODP = FileKind("application/vnd.oasis.opendocument.presentation", ("odp",), N_("OpenDocument présentation"))
CSV = FileKind("text/csv", ("csv",), "CSV")
TEXT = FileKind("text/plain", ("txt",), N_("texte"))

ALLOWED: tuple[FileKind, ...] = (PDF, PNG, JPEG, GIF, WEBP, DOCX, XLSX, PPTX, ODT, ODS, ODP, CSV, TEXT)
_BY_MIME = {kind.mime: kind for kind in ALLOWED}
#: the signatures ``filetype`` gives to zip containers: the zip itself then decides
_ZIP_MIMES = frozenset({"application/zip", DOCX.mime, XLSX.mime, PPTX.mime, ODT.mime, ODS.mime, ODP.mime})
#: OOXML main parts (the package must hold the one of its kind)
_OOXML_MAIN = ((DOCX, "word/document.xml"), (XLSX, "xl/workbook.xml"), (PPTX, "ppt/presentation.xml"))
_ODF = {ODT.mime: ODT, ODS.mime: ODS, ODP.mime: ODP}
_MARKUP = (b"<!doctype", b"<html", b"<script", b"<svg", b"<?xml", b"<body", b"<iframe", b"<head")
_SNIFF_BYTES = 8192


class FileTypeRefused(ValueError):
    """The content is not of an accepted type, or does not match the file name (French message)."""


def accepted_labels() -> str:
    """``PDF, PNG, …`` for help texts (in the current language)."""
    return ", ".join(dict.fromkeys(_(kind.label) for kind in ALLOWED))


def accepted_extensions() -> tuple[str, ...]:
    """Every extension a file name may carry (for the ``accept`` attribute of the file input)."""
    return tuple(ext for kind in ALLOWED for ext in kind.extensions)


def extension_of(filename: str) -> str:
    """The lower-case extension of a (cleaned) file name, without the dot."""
    stem, dot, ext = filename.rpartition(".")
    return ext.lower() if dot and stem else ""


def clean_filename(filename: str) -> str:
    """The name to show and offer on download: the last path segment only, no control or
    reserved characters, at most 255 characters (the extension kept). Never used on disk."""
    name = unicodedata.normalize("NFC", filename or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C" and c not in '<>:"|?*')
    name = name.strip().lstrip(".").strip()
    if len(name) > 255:
        ext = extension_of(name)
        keep = 255 - (len(ext) + 1 if ext else 0)
        name = name[:keep] + (f".{ext}" if ext else "")
    return name


def detect(data: bytes, filename: str) -> FileKind:
    """The accepted kind of ``data``, checked against ``filename``'s extension.

    Raises :class:`FileTypeRefused` with a French message when the content is of no accepted
    type, or when the name claims another type than the content is.
    """
    if not data:
        raise FileTypeRefused(_("Le fichier est vide."))
    ext = extension_of(clean_filename(filename))
    guess = filetype.guess(data[:_SNIFF_BYTES])
    if guess is not None and guess.mime in _ZIP_MIMES:
        kind = _zip_kind(data)
    elif guess is not None:
        found = _BY_MIME.get(guess.mime)
        if found is None:
            raise FileTypeRefused(_refused_message())
        kind = found
    elif ext in CSV.extensions + TEXT.extensions and _is_plain_text(data):
        kind = CSV if ext in CSV.extensions else TEXT
    else:
        raise FileTypeRefused(_refused_message())
    if ext not in kind.extensions:
        raise FileTypeRefused(
            _(
                "Le contenu du fichier (%(label)s) ne correspond pas à son nom : renommez-le avec "
                "l'extension .%(ext)s ou choisissez le bon fichier.",
                label=_(kind.label),
                ext=kind.extensions[0],
            )
        )
    return kind


def _refused_message() -> str:
    return _(
        "Ce type de fichier n'est pas accepté. Formats acceptés : %(formats)s.", formats=accepted_labels()
    )


def _zip_kind(data: bytes) -> FileKind:
    """An office document recognised from its zip directory; any other zip is refused."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        if "mimetype" in names and archive.getinfo("mimetype").file_size <= 100:
            declared = archive.read("mimetype").decode("ascii", "replace").strip()
            if declared in _ODF:
                return _ODF[declared]
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        EOFError,
        KeyError,
        NotImplementedError,
    ) as exc:
        raise FileTypeRefused(_("Ce document bureautique est endommagé ou illisible.")) from exc
    if "[Content_Types].xml" in names:
        if any(name.lower().endswith("vbaproject.bin") for name in names):
            raise FileTypeRefused(
                _("Les documents contenant des macros ne sont pas acceptés : enregistrez-le sans macros.")
            )
        for kind, main_part in _OOXML_MAIN:
            if main_part in names:
                return kind
    raise FileTypeRefused(_refused_message())


def _is_plain_text(data: bytes) -> bool:
    """Readable text (UTF-8, or another charset charset-normalizer is sure of), not markup."""
    if b"\x00" in data:
        return False
    head = data[:_SNIFF_BYTES]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the sniffing limit is still UTF-8
        if exc.start < len(head) - 4 and from_bytes(head).best() is None:
            return False
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return not any(marker in lowered for marker in _MARKUP)
