"""The report as PDF: the same HTML, laid out by WeasyPrint with embedded Noto CJK fonts.

WeasyPrint (https://doc.courtbouillon.org/weasyprint/) turns HTML and CSS into PDF with
Pango and HarfBuzz, and embeds a subset of every font it uses. Japanese, Chinese and
Korean text needs a font that covers them: the Debian package ``fonts-noto-cjk`` ("Noto
Sans CJK JP/SC/KR"), which the report's stylesheet names first. The PDF is deterministic:
its metadata are the document's title, description and generator, with no creation or
modification date, and its file identifier is derived from the HTML, so the same report
gives the same bytes.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess

from seawitness.errors import ConfigError

__all__ = ["PdfError", "cjk_font_available", "html_to_pdf"]


class PdfError(ConfigError):
    """The PDF cannot be made here (WeasyPrint or the CJK fonts are missing)."""


def cjk_font_available() -> bool:
    """True if fontconfig finds Noto Sans CJK (the Debian package ``fonts-noto-cjk``)."""
    if shutil.which("fc-list") is None:
        return False
    out = subprocess.run(
        ["fc-list", ":family=Noto Sans CJK JP", "family"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return "Noto Sans CJK" in out


def html_to_pdf(html: str) -> bytes:
    """The PDF of a report's HTML, the same bytes for the same HTML.

    :raises PdfError: WeasyPrint is not installed or no Noto CJK font is.
    """
    try:
        import weasyprint
    except ImportError as exc:  # a dependency of the package; absent only in a broken env
        raise PdfError(f"PDF output needs WeasyPrint: {exc}") from None
    if not cjk_font_available():
        raise PdfError(
            "PDF output needs the Noto Sans CJK fonts for Japanese, Chinese and Korean text: "
            "install the Debian package fonts-noto-cjk"
        )
    ident = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    doc = weasyprint.HTML(string=html, base_url=None)
    pdf = doc.write_pdf(pdf_identifier=ident)
    assert isinstance(pdf, bytes)
    return pdf
