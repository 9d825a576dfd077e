"""PAdES signing of PDFs: the demonstration certificate, an archive's own certificate, validation."""

import datetime
import io

import pikepdf
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from fpdf import FPDF

from collections_app import signing
from collections_app.ingest.samples import font_path


def small_pdfa():
    pdf = FPDF(enforce_compliance="PDF/A-2B")
    pdf.add_font("DejaVu", fname=str(font_path()))
    pdf.add_page()
    pdf.set_font("DejaVu", size=12)
    pdf.multi_cell(0, 8, "Bản sao chứng thực lưu trữ: Quyết định giao đất số 1234/QĐ-UBND")
    return bytes(pdf.output())


def certificate_pair(folder, organisation, issuer=None):
    """A key and certificate in PEM files: self-signed, or issued by ``issuer`` (key, certificate)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Ký số {organisation}"),
        ]
    )
    issuer_key, issuer_certificate = issuer or (key, None)
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_certificate.subject if issuer_certificate else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=issuer is None,
                crl_sign=issuer is None,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(issuer_key, hashes.SHA256())
    )
    key_path, cert_path = folder / f"{organisation[:6]}-key.pem", folder / f"{organisation[:6]}-cert.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    chain = certificate.public_bytes(serialization.Encoding.PEM)
    if issuer_certificate is not None:
        chain += issuer_certificate.public_bytes(serialization.Encoding.PEM)
    cert_path.write_bytes(chain)
    return key, certificate, key_path, cert_path


def test_the_demo_certificate_is_made_once_and_signs(settings, tmp_path):
    settings.SIGNING_CERT = settings.SIGNING_KEY = ""
    settings.SIGNING_ALLOW_DEMO_CERTIFICATE = True
    settings.SIGNING_DEMO_DIR = tmp_path / "demo"
    cert_path, key_path = signing.ensure_demo_certificate()
    first = cert_path.read_bytes()
    assert signing.ensure_demo_certificate() == (cert_path, key_path)
    assert cert_path.read_bytes() == first
    assert key_path.stat().st_mode & 0o077 == 0, "the private key is readable by its owner only"

    signed = signing.sign_pdf(small_pdfa(), reason="Chứng thực bản sao", location="Đồng Nai")
    summary = signing.verify_signature(signed)
    assert summary.ok and summary.trusted
    assert summary.organisation == signing.DEMO_ORGANISATION
    with pikepdf.open(io.BytesIO(signed)) as pdf:
        metadata = pdf.open_metadata()
        assert (metadata.get("pdfaid:part"), metadata.get("pdfaid:conformance")) == ("2", "B")
        assert pdf.Root.AcroForm.Fields[0].V.SubFilter == "/ETSI.CAdES.detached"


def test_the_archives_own_certificate_and_chain_are_used(settings, tmp_path):
    ca_key, ca_certificate, _key_path, ca_path = certificate_pair(tmp_path, "Ban Cơ yếu Chính phủ")
    *_rest, key_path, cert_path = certificate_pair(
        tmp_path, "Trung tâm Lưu trữ lịch sử tỉnh Đồng Nai", issuer=(ca_key, ca_certificate)
    )
    settings.SIGNING_CERT, settings.SIGNING_KEY = str(cert_path), str(key_path)
    settings.SIGNING_ALLOW_DEMO_CERTIFICATE = False

    signed = signing.sign_pdf(small_pdfa())
    summary = signing.verify_signature(signed)
    assert summary.ok and summary.trusted
    assert summary.organisation == "Trung tâm Lưu trữ lịch sử tỉnh Đồng Nai"
    # Signed again (a second signature field) it still validates, and both are intact.
    twice = signing.sign_pdf(signed, page=0, box=(40, 700, 260, 760))
    assert signing.verify_signature(twice).ok

    # Traced to the issuing CA it is trusted; against another organisation's root it is intact, not trusted.
    _other_key, _other_certificate, _other_key_path, other_path = certificate_pair(tmp_path, "Cơ quan khác")
    from pyhanko.keys import load_cert_from_pemder

    through_ca = signing.verify_signature(signed, roots=[load_cert_from_pemder(str(ca_path))])
    assert through_ca.intact and through_ca.trusted
    elsewhere = signing.verify_signature(signed, roots=[load_cert_from_pemder(str(other_path))])
    assert elsewhere.intact and not elsewhere.trusted


def test_production_refuses_to_sign_without_a_certificate(settings, tmp_path):
    settings.SIGNING_CERT = settings.SIGNING_KEY = ""
    settings.SIGNING_ALLOW_DEMO_CERTIFICATE = False
    settings.SIGNING_DEMO_DIR = tmp_path / "demo"
    with pytest.raises(signing.SigningError, match="Chưa cấu hình chứng thư ký số"):
        signing.sign_pdf(small_pdfa())
    assert not (tmp_path / "demo").exists()


def test_unsigned_damaged_and_altered_files_are_reported(settings, tmp_path):
    settings.SIGNING_CERT = settings.SIGNING_KEY = ""
    settings.SIGNING_ALLOW_DEMO_CERTIFICATE = True
    settings.SIGNING_DEMO_DIR = tmp_path / "demo"
    unsigned = small_pdfa()
    assert signing.verify_signature(unsigned).problem == "Tệp PDF không có chữ ký số."
    assert not signing.verify_signature(b"not a pdf").ok
    signed = signing.sign_pdf(unsigned)
    altered = signed.replace(b"/GTS_PDFA1", b"/GTS_PDFA2", 1)
    assert altered != signed
    summary = signing.verify_signature(altered)
    assert not summary.ok and not summary.intact
    assert "không còn giá trị" in summary.problem or "bị sửa" in summary.problem
