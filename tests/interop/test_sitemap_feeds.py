"""/sitemap.xml and the archives' Atom feeds name only what the anonymous public may open."""

import datetime

import pytest
from django.utils import timezone
from lxml import etree

from collections_app.factories import DocumentFactory, FondsFactory, RecordFileFactory, SeriesFactory
from collections_app.vocabularies import AccessRegime, PublicationStatus

pytestmark = pytest.mark.django_db

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"
TODAY = datetime.date.today()
RESTRICTED_WORD = "Mật-lệnh-Xuân-Lộc"
REGIMES = {
    "open": {},
    "conditional_closed": {
        "access_regime": AccessRegime.CONDITIONAL,
        "opening_date": TODAY + datetime.timedelta(days=365),
    },
    "conditional_opened": {
        "access_regime": AccessRegime.CONDITIONAL,
        "opening_date": TODAY - datetime.timedelta(days=1),
    },
    "secret": {"access_regime": AccessRegime.SECRET},
    "draft": {"publication_status": PublicationStatus.DRAFT},
    "deleted": {"deleted_at": timezone.now()},
}
LISTED = {"open", "conditional_closed", "conditional_opened"}
CONTENT_OPEN = {"open", "conditional_opened"}


@pytest.fixture
def tree(dong_nai):
    fonds = FondsFactory(archive=dong_nai, code="H19", creator_code="")
    series = SeriesFactory(fonds=fonds, number="07")
    file = RecordFileFactory(series=series, year=2024, file_number="08", title="Hồ sơ giao đất xã Long Thọ")
    documents = {
        regime: DocumentFactory(
            file=file,
            ordinal=index + 1,
            title=f"Quyết định {regime}",
            ocr_text=f"Nội dung {RESTRICTED_WORD} {regime}",
            **fields,
        )
        for index, (regime, fields) in enumerate(REGIMES.items())
    }
    draft_file = RecordFileFactory(
        series=series, year=2024, file_number="09", publication_status=PublicationStatus.DRAFT
    )
    hidden_child = DocumentFactory(file=draft_file, ordinal=1, title="Tài liệu của hồ sơ nháp")
    return {"fonds": fonds, "series": series, "file": file, "documents": documents, "hidden": hidden_child}


def sitemap_urls(client):
    index = client.get("/sitemap.xml")
    assert index.status_code == 200
    sections = [element.text for element in etree.fromstring(index.content).iter(f"{SITEMAP}loc")]
    urls = []
    for section in sections:
        response = client.get(section.removeprefix("http://testserver"))
        assert response.status_code == 200, section
        urls += [element.text for element in etree.fromstring(response.content).iter(f"{SITEMAP}loc")]
    return sections, urls


def test_sitemap_names_the_home_the_archives_and_the_public_records(client, tree, tuyen_quang):
    sections, urls = sitemap_urls(client)
    assert "http://testserver/sitemap-trang.xml" in sections
    assert "http://testserver/" in urls
    assert "http://testserver/dong-nai/" in urls and "http://testserver/tuyen-quang/" in urls
    assert f"http://testserver/dong-nai/phong/{tree['fonds'].reference_code}/" in urls
    assert f"http://testserver/dong-nai/muc-luc/{tree['series'].reference_code}/" in urls
    assert f"http://testserver/dong-nai/ho-so/{tree['file'].reference_code}/" in urls
    for regime, document in tree["documents"].items():
        url = f"http://testserver/dong-nai/tai-lieu/{document.reference_code}/"
        assert (url in urls) is (regime in LISTED), regime
    assert not any(tree["hidden"].reference_code in url for url in urls)


def test_every_record_url_in_the_sitemap_opens_for_an_anonymous_visitor(client, tree):
    _sections, urls = sitemap_urls(client)
    record_urls = [url for url in urls if "/tai-lieu/" in url or "/ho-so/" in url]
    assert record_urls
    for url in record_urls:
        assert client.get(url.removeprefix("http://testserver")).status_code == 200, url


def test_large_sections_are_paged_at_the_limit(client, tree, monkeypatch):
    from archivecms.interop.sitemaps import RecordSitemap

    monkeypatch.setattr(RecordSitemap, "limit", 2)
    index = client.get("/sitemap.xml")
    sections = [element.text for element in etree.fromstring(index.content).iter(f"{SITEMAP}loc")]
    assert "http://testserver/sitemap-document.xml?p=2" in sections
    second = client.get("/sitemap-document.xml", {"p": 2})
    assert len(list(etree.fromstring(second.content).iter(f"{SITEMAP}loc"))) == 1


def test_atom_feed_of_an_archive_names_only_public_records(client, tree):
    response = client.get("/feeds/dong-nai/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = etree.fromstring(response.content)
    assert "Đồng Nai" in feed.find(f"{ATOM}title").text
    entries = {entry.find(f"{ATOM}title").text: entry for entry in feed.iter(f"{ATOM}entry")}
    for regime, document in tree["documents"].items():
        title = f"{document.reference_code} – Quyết định {regime}"
        assert (title in entries) is (regime in LISTED), regime
        if title in entries:
            summary = entries[title].find(f"{ATOM}summary")
            assert (summary is not None) is (regime in CONTENT_OPEN), regime
            link = entries[title].find(f"{ATOM}link").get("href")
            assert link == f"http://testserver/dong-nai/tai-lieu/{document.reference_code}/"
    body = response.content.decode()
    assert f"{RESTRICTED_WORD} conditional_closed" not in body
    assert "Tài liệu của hồ sơ nháp" not in body


def test_feed_of_an_unknown_archive_is_404(client, tree):
    assert client.get("/feeds/khong-co/").status_code == 404
