"""Digital signatures on PDFs: PAdES baseline B with pyHanko, and their validation.

Documents the archive issues (handover records, certified copies, ...) are signed here with the
archive's key and certificate, ``settings.SIGNING_KEY`` / ``settings.SIGNING_CERT`` (PEM files; the
certificate file may carry its chain after the signer's certificate; ``SIGNING_KEY_PASSPHRASE`` when
the key is encrypted). Without them, and when ``SIGNING_ALLOW_DEMO_CERTIFICATE`` is on (development,
tests, the demo), a self-signed demonstration certificate is generated once into
``SIGNING_DEMO_DIR`` and used instead; ``seed_demo`` makes it in advance.

The signature is written as an incremental update, so the signed document keeps its PDF/A
identification, and it carries a visible stamp (organisation and signing time) drawn with an
embedded font, as PDF/A requires.
"""

import contextlib
import datetime
import fcntl
import functools
import io
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from .ingest.samples import font_path

logger = logging.getLogger(__name__)

DEMO_CERT_NAME = "demo-signing-cert.pem"
DEMO_KEY_NAME = "demo-signing-key.pem"
DEMO_ORGANISATION = "Kho lưu trữ số"
DEMO_COMMON_NAME = "Chứng thư ký số minh họa – Kho lưu trữ số"
DEMO_VALID_DAYS = 3650
DEMO_KEY_BITS = 2048
DEFAULT_FIELD_NAME = "ChuKySo"
# Where the stamp goes when the caller does not say: bottom right of the last page (A4, points).
DEFAULT_STAMP_BOX = (330, 40, 560, 110)
STAMP_TIME_FORMAT = "%d/%m/%Y %H:%M:%S (UTC%z)"
STAMP_FONT_SIZE = 9
STAMP_MIN_FONT_SIZE = 5
STAMP_LEADING = 1.35
STAMP_PADDING = 5


class SigningError(Exception):
    """Signing could not be done; ``str()`` says why and what to do, in Vietnamese."""


@dataclass(frozen=True)
class SigningIdentity:
    cert_path: Path
    key_path: Path
    passphrase: bytes | None
    is_demo: bool


@dataclass(frozen=True)
class SignatureSummary:
    """What a reader of the signed PDF needs to know about its signature."""

    present: bool
    intact: bool = False
    trusted: bool = False
    covers_whole_file: bool = False
    signer: str = ""
    organisation: str = ""
    signed_at: datetime.datetime | None = None
    problem: str = ""

    @property
    def ok(self):
        """The signed content is unchanged and nothing was appended after the signature."""
        return self.present and self.intact and self.covers_whole_file


# The key and certificate ------------------------------------------------------------------------------


def signing_identity():
    """The configured key and certificate, or the demonstration ones where they are allowed."""
    cert = getattr(settings, "SIGNING_CERT", "")
    key = getattr(settings, "SIGNING_KEY", "")
    if cert or key:
        return configured_identity(cert, key)
    if not getattr(settings, "SIGNING_ALLOW_DEMO_CERTIFICATE", False):
        raise SigningError(
            _(
                "Chưa cấu hình chứng thư ký số: đặt biến môi trường SIGNING_CERT và SIGNING_KEY (đường "
                "dẫn tệp PEM chứng thư và khóa bí mật của cơ quan lưu trữ) rồi khởi động lại."
            )
        )
    cert_path, key_path = ensure_demo_certificate()
    return SigningIdentity(cert_path, key_path, None, is_demo=True)


def configured_identity(cert, key):
    paths = {"SIGNING_CERT": cert, "SIGNING_KEY": key}
    for name, value in paths.items():
        if not value or not Path(value).is_file():
            raise SigningError(
                _(
                    "Không đọc được tệp %(name)s (“%(path)s”): kiểm tra đường dẫn trong biến môi trường "
                    "%(name)s và quyền đọc tệp."
                )
                % {"name": name, "path": value}
            )
    passphrase = getattr(settings, "SIGNING_KEY_PASSPHRASE", "") or None
    return SigningIdentity(Path(cert), Path(key), passphrase.encode() if passphrase else None, is_demo=False)


def demo_directory():
    return Path(getattr(settings, "SIGNING_DEMO_DIR", Path(settings.BASE_DIR) / "var" / "signing"))


def ensure_demo_certificate(directory=None):
    """The demonstration certificate and key (PEM paths), generated on first use.

    A lock file keeps two processes from writing a key and a certificate that do not belong together.
    """
    directory = Path(directory) if directory else demo_directory()
    cert_path, key_path = directory / DEMO_CERT_NAME, directory / DEMO_KEY_NAME
    if cert_path.is_file() and key_path.is_file():
        return cert_path, key_path
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (cert_path.is_file() and key_path.is_file()):
            write_demo_certificate(cert_path, key_path)
            logger.info("Generated the demonstration signing certificate in %s", directory)
    return cert_path, key_path


def write_demo_certificate(cert_path, key_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=DEMO_KEY_BITS)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEMO_ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, DEMO_COMMON_NAME),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=DEMO_VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    write_private_file(key_path, key_pem)
    write_private_file(cert_path, certificate.public_bytes(serialization.Encoding.PEM))


def write_private_file(path, data):
    """Written whole under a temporary name, readable by the owner only, then moved into place."""
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    os.replace(temporary, path)


def load_signer(identity):
    """The pyHanko signer, kept while the key and certificate files are unchanged (loading an RSA key
    checks it, which takes a noticeable fraction of a second)."""
    stamps = tuple(path.stat().st_mtime_ns for path in (identity.cert_path, identity.key_path))
    return cached_signer(identity, stamps)


@functools.lru_cache(maxsize=4)
def cached_signer(identity, file_stamps):
    """The signer from the key file and the certificate file (the signer's certificate, then its chain)."""
    from pyhanko.keys import load_certs_from_pemder, load_private_key_from_pemder
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    try:
        certificates = list(load_certs_from_pemder([str(identity.cert_path)]))
        key = load_private_key_from_pemder(str(identity.key_path), passphrase=identity.passphrase)
        if not certificates:
            raise ValueError(_("tệp chứng thư không có chứng thư nào"))
        return signers.SimpleSigner(
            signing_cert=certificates[0],
            signing_key=key,
            cert_registry=SimpleCertificateStore.from_certs(certificates),
        )
    except (OSError, ValueError, TypeError) as error:
        logger.exception("Could not load the signing key and certificate")
        raise SigningError(
            _(
                "Không nạp được khóa bí mật và chứng thư ký số (%(error)s): kiểm tra hai tệp PEM trong "
                "SIGNING_KEY, SIGNING_CERT và mật khẩu khóa SIGNING_KEY_PASSPHRASE."
            )
            % {"error": error}
        ) from error


def trust_roots(identity=None):
    """The certificates a signature made here is validated against: those of the signing certificate file."""
    from pyhanko.keys import load_certs_from_pemder

    identity = identity or signing_identity()
    return list(load_certs_from_pemder([str(identity.cert_path)]))


def organisation_of(certificate):
    """The organisation named in a certificate's subject, or its common name."""
    subject = certificate.subject.native
    return subject.get("organization_name") or subject.get("common_name") or ""


# Signing --------------------------------------------------------------------------------------------------


def sign_pdf(
    pdf_bytes,
    *,
    reason="",
    location="",
    organisation="",
    page=-1,
    box=DEFAULT_STAMP_BOX,
    field_name="",
    signed_at=None,
):
    """The PDF with a PAdES baseline B signature appended (incremental update), as bytes.

    The visible stamp shows ``organisation`` (by default the one in the signing certificate) and the
    signing time, on ``page`` (negative: counted from the end) inside ``box`` (x1, y1, x2, y2 in points).
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.fields import SigSeedSubFilter
    from pyhanko.stamp import StaticStampStyle

    identity = signing_identity()
    signer = load_signer(identity)
    organisation = organisation or organisation_of(signer.signing_cert)
    signed_at = timezone.localtime(signed_at or timezone.now())
    stamp = tempfile.NamedTemporaryFile(suffix=".pdf")  # pyHanko imports the stamp's page from a file
    try:
        stamp.write(stamp_pdf(box, stamp_lines(organisation, signed_at)))
        stamp.flush()
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
        page_index = page if page >= 0 else page_count(writer) + page
        field_name = field_name or free_field_name(writer)
        metadata = signers.PdfSignatureMetadata(
            field_name=field_name,
            subfilter=SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            reason=reason or None,
            location=location or None,
            name=organisation,
        )
        pdf_signer = signers.PdfSigner(
            metadata,
            signer=signer,
            stamp_style=StaticStampStyle.from_pdf_file(stamp.name, border_width=0),
            new_field_spec=fields.SigFieldSpec(sig_field_name=field_name, on_page=page_index, box=box),
        )
        output = pdf_signer.sign_pdf(writer)
    except SigningError:
        raise
    except Exception as error:  # a damaged input or a failing key: say so, never a half-signed file
        logger.exception("Signing a PDF failed")
        raise SigningError(
            _("Không ký số được tệp PDF (%(error)s). Tạo lại tài liệu rồi ký lại.") % {"error": error}
        ) from error
    finally:
        stamp.close()
    return output.getvalue()


def free_field_name(writer):
    """A signature field name not used yet, so that a signed document can be signed again."""
    from pyhanko.sign.fields import enumerate_sig_fields

    used = {name for name, _value, _reference in enumerate_sig_fields(writer)}
    candidates = (
        DEFAULT_FIELD_NAME if number == 1 else f"{DEFAULT_FIELD_NAME}{number}" for number in range(1, 1000)
    )
    return next(name for name in candidates if name not in used)


def page_count(writer):
    return int(writer.root["/Pages"]["/Count"])


def stamp_lines(organisation, signed_at):
    return [
        _("Ký số bởi: %(organisation)s") % {"organisation": organisation},
        _("Thời gian ký: %(time)s") % {"time": signed_at.strftime(STAMP_TIME_FORMAT)},
    ]


def stamp_pdf(box, lines):
    """The visible stamp as a one-page PDF of the box's size, in DejaVu Sans (embedded).

    Drawn here rather than by pyHanko's text stamp, whose glyph positioning spreads out letters with
    stacked Vietnamese marks.
    """
    from fpdf import FPDF

    width, height = abs(box[2] - box[0]), abs(box[3] - box[1])
    pdf = FPDF(unit="pt", format=(width, height))
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.add_font("DejaVu", fname=str(font_path()))
    pdf.add_page()
    pdf.set_draw_color(40, 40, 120)
    pdf.set_line_width(0.8)
    pdf.rect(0.5, 0.5, width - 1, height - 1)
    size = min(STAMP_FONT_SIZE, (height - 2 * STAMP_PADDING) / (len(lines) * STAMP_LEADING))
    pdf.set_font("DejaVu", size=size)
    while size > STAMP_MIN_FONT_SIZE and max(map(pdf.get_string_width, lines)) > width - 2 * STAMP_PADDING:
        size -= 0.25
        pdf.set_font("DejaVu", size=size)
    pdf.set_text_color(40, 40, 120)
    top = (height - len(lines) * size * STAMP_LEADING) / 2
    for number, line in enumerate(lines):
        pdf.text(STAMP_PADDING, top + (number + 0.8) * size * STAMP_LEADING, line)
    return bytes(pdf.output())


# Validation -----------------------------------------------------------------------------------------------


def verify_signature(pdf_bytes, roots=None):
    """The summary of the PDF's signatures: the first one that fails, else the last one.

    ``roots`` are the trusted certificates (by default the signing certificate file's); a signature
    that is intact but not traced to them reports ``trusted=False``. Nothing is fetched from the network.
    """
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        embedded = list(reader.embedded_signatures)
    except (PdfReadError, ValueError, KeyError, IndexError, TypeError, AttributeError) as error:
        # An altered byte can break the file's structure itself.
        return SignatureSummary(
            present=False,
            problem=_("Không đọc được tệp PDF (%(error)s): tệp đã bị sửa hoặc hỏng.") % {"error": error},
        )
    if not embedded:
        return SignatureSummary(present=False, problem=_("Tệp PDF không có chữ ký số."))
    context = validation_context(roots)
    summaries = [summarise(signature, context) for signature in embedded]
    failing = [summary for summary in summaries if not summary.intact]
    return failing[0] if failing else summaries[-1]


def validation_context(roots):
    from pyhanko_certvalidator import ValidationContext

    if roots is None:
        with contextlib.suppress(SigningError):
            roots = trust_roots()
    return ValidationContext(trust_roots=roots or [], allow_fetching=False, revocation_mode="soft-fail")


def summarise(embedded_signature, context):
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    try:
        status = validate_pdf_signature(embedded_signature, context)
    except (SignatureValidationError, ValueError, KeyError, TypeError) as error:
        return SignatureSummary(
            present=True,
            problem=_("Chữ ký số không hợp lệ (%(error)s): tệp đã bị sửa sau khi ký.") % {"error": error},
        )
    certificate = status.signing_cert
    intact = bool(status.intact and status.valid)
    covers_whole_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    return SignatureSummary(
        present=True,
        intact=intact,
        trusted=bool(status.trusted),
        covers_whole_file=covers_whole_file,
        signer=certificate.subject.native.get("common_name", "") if certificate else "",
        organisation=organisation_of(certificate) if certificate else "",
        signed_at=status.signer_reported_dt or signing_time_of(embedded_signature),
        problem=problem_of(intact, covers_whole_file),
    )


def signing_time_of(embedded_signature):
    return getattr(embedded_signature, "self_reported_timestamp", None)


def problem_of(intact, covers_whole_file):
    if not intact:
        return _("Nội dung đã ký bị thay đổi: chữ ký số không còn giá trị.")
    if not covers_whole_file:
        return _("Tệp có phần được thêm vào sau khi ký: phần đó không được chữ ký bảo đảm.")
    return ""
