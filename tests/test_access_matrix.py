"""Every reader path × every regime × every role, over real HTTP, against one table of expectations.

The table (``expected``) is the law as DOMAIN.md states it; every path must agree with it. A path
built later (OAI-PMH, requests) joins by adding one function to ``PATHS``.

Each case is a document of its own file, with a real scan processed by the real pipeline (page image,
IIIF tiles, Tesseract) whose page text then carries a word found nowhere else (``ocr…``). Its title
carries another (``title…``). A word of a record whose content a role may not read must never reach
that role, whatever the path; for the anonymous visitor this is checked on every response.
"""

import datetime
import io
import re
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from collections_app.factories import (
    DigitalObjectFactory,
    DocumentFactory,
    FondsFactory,
    RecordFileFactory,
    SeriesFactory,
    UserFactory,
    staff_user,
)
from collections_app.ingest import samples
from collections_app.ingest.processing import queue_processing
from collections_app.ingest.text import set_page_text
from collections_app.models import NATIONAL_ADMIN_GROUP, AccessGrant, ProcessingState, Role
from collections_app.vocabularies import AccessRegime, PublicationStatus

pytestmark = pytest.mark.django_db

CASES = ("open", "closed", "opened", "secret", "draft", "deleted")
ROLES = ("anonymous", "reader", "granted", "archivist", "other_archivist", "leader", "national")
THIS_ARCHIVE_STAFF = {"archivist", "leader", "national"}


@dataclass(frozen=True)
class Allowed:
    listed: bool
    metadata: bool
    content: bool


def expected(role, case):
    """Who may see what (DOMAIN.md "Use of archives"; Law on Archives 2024, Art. 25)."""
    if case == "deleted":
        return Allowed(False, False, False)  # only the recycle bin reaches it
    staff = role in THIS_ARCHIVE_STAFF
    if case in ("secret", "draft"):
        return Allowed(staff, staff, staff)
    content = case in ("open", "opened") or staff or (case == "closed" and role == "granted")
    return Allowed(True, True, content)


def title_word(case):
    return f"title{case}xq"


def ocr_word(case):
    return f"ocr{case}xq"


@pytest.fixture
def world(tuyen_quang, dong_nai):
    fonds = FondsFactory(archive=tuyen_quang, code="P07", publication_status=PublicationStatus.PUBLISHED)
    series = SeriesFactory(fonds=fonds, number="01", publication_status=PublicationStatus.PUBLISHED)
    today = timezone.localdate()
    documents = {}
    for number, case in enumerate(CASES, start=1):
        file = RecordFileFactory(
            series=series,
            year=2001,
            file_number=f"{number:02d}",
            title=f"Hồ sơ giao đất {number}",
            publication_status=PublicationStatus.PUBLISHED,
        )
        regime = {"closed": "02", "opened": "02", "secret": "03"}.get(case, AccessRegime.OPEN)
        opening = {
            "closed": today + datetime.timedelta(days=365),
            "opened": today - datetime.timedelta(days=1),
        }
        documents[case] = DocumentFactory(
            file=file,
            ordinal=1,
            title=f"Quyết định giao đất {title_word(case)}",
            access_regime=regime,
            opening_date=opening.get(case),
            access_reason="Bí mật kinh doanh của doanh nghiệp" if regime != AccessRegime.OPEN else "",
            full_text=f"Điều 1. Giao đất cho hộ gia đình {ocr_word(case)}.",
            publication_status=PublicationStatus.DRAFT if case == "draft" else PublicationStatus.PUBLISHED,
        )
    scans = {case: scanned(document, ocr_word(case)) for case, document in documents.items()}
    documents["deleted"].deleted_at = timezone.now()
    documents["deleted"].save(update_fields=["deleted_at"])
    users = {
        "anonymous": None,
        "reader": UserFactory(),
        "granted": UserFactory(),
        "archivist": staff_user(tuyen_quang, Role.ARCHIVIST),
        "other_archivist": staff_user(dong_nai, Role.ARCHIVIST),
        "leader": staff_user(tuyen_quang, Role.LEADER),
        "national": UserFactory(),
    }
    users["national"].groups.add(Group.objects.get(name=NATIONAL_ADMIN_GROUP))
    for document in documents.values():
        # A grant row on every case: only a conditional record may ever be opened by one.
        AccessGrant.objects.create(
            archive=tuyen_quang,
            reader=users["granted"],
            document=document,
            purpose="Nghiên cứu lịch sử đất đai",
            valid_until=today + datetime.timedelta(days=15),
        )
    return {"documents": documents, "scans": scans, "users": users, "archive": tuyen_quang}


def scanned(document, word):
    """A real one-page scan of the document, processed, its page text then carrying ``word``."""
    scan = DigitalObjectFactory(
        document=document, content=samples.png_page(f"Trang một của {document.title}.", dpi=100)
    )
    queue_processing(scan)
    scan.refresh_from_db()
    assert scan.state == ProcessingState.DONE, scan.state_message
    page = scan.pages.get(number=1)
    set_page_text(page, f"Nội dung trang {word} hết.", source="correction")
    return scan


def client_for(world, role):
    client = Client()
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    return client


def user_of(world, role):
    return world["users"][role] or AnonymousUser()


class Observed:
    """What one path showed one role of one case: listed, metadata, content; and every body read."""

    def __init__(self):
        self.bodies = []

    def read(self, response):
        body = b"".join(response.streaming_content) if response.streaming else response.content
        self.bodies.append(body.decode("utf-8", errors="replace"))
        return self.bodies[-1]


# --- the paths: each returns Allowed(listed, metadata, content) as observed, or None where a
# --- question does not apply to that path (e.g. a tile says nothing about listing).


def public_record_page(world, role, case, seen):
    document = world["documents"][case]
    response = client_for(world, role).get(f"/r/{document.reference_code}/", follow=True)
    body = seen.read(response)
    shown = response.status_code == 200 and title_word(case) in body
    return Allowed(None, shown, shown and ocr_word(case) in body)


def public_file_listing(world, role, case, seen):
    document = world["documents"][case]
    archive = world["archive"]
    response = client_for(world, role).get(f"/{archive.slug}/ho-so/{document.file.reference_code}/")
    body = seen.read(response)
    return Allowed(response.status_code == 200 and title_word(case) in body, None, None)


def admin_inspect(world, role, case, seen):
    document = world["documents"][case]
    response = client_for(world, role).get(reverse("document:inspect", args=[document.pk]))
    if response.status_code != 200:
        return Allowed(None, False, False)
    body = seen.read(response)
    return Allowed(None, title_word(case) in body, ocr_word(case) in body)


def search_page_by_title(world, role, case, seen):
    body = searched(client_for(world, role), "/search/", title_word(case), seen)
    return Allowed(f"/r/{world['documents'][case].reference_code}/" in body, None, None)


def search_page_by_ocr(world, role, case, seen):
    body = searched(client_for(world, role), "/search/", ocr_word(case), seen)
    return Allowed(None, None, f"/r/{world['documents'][case].reference_code}/" in body)


def search_api(world, role, case, seen):
    client = client_for(world, role)
    code = world["documents"][case].reference_code
    by_title = searched(client, "/api/v1/search", title_word(case), seen)
    by_ocr = searched(client, "/api/v1/search", ocr_word(case), seen)
    return Allowed(code in by_title, None, code in by_ocr)


def searched(client, url, word, seen):
    """The response body, less the query the page echoes back (it is not a leak)."""
    response = client.get(url, {"q": word})
    assert response.status_code == 200, (url, word, response.status_code)
    body = response.content.decode()
    seen.bodies.append(body.replace(word, ""))
    return body


def records_api(world, role, case, seen):
    document = world["documents"][case]
    response = client_for(world, role).get(f"/api/v1/records/{document.reference_code}", follow=True)
    body = seen.read(response)
    shown = response.status_code == 200 and title_word(case) in body
    return Allowed(None, shown, shown and ocr_word(case) in body)


def iiif_manifest(world, role, case, seen):
    document = world["documents"][case]
    response = client_for(world, role).get(f"/iiif/3/{document.reference_code}/manifest")
    seen.read(response)
    return Allowed(None, None, response.status_code == 200)


def iiif_image(world, role, case, seen):
    scan = world["scans"][case]
    client = client_for(world, role)
    info = client.get(f"/iiif/3/image/{scan.pk}/1/info.json")
    seen.read(info)
    full = client.get(f"/iiif/3/image/{scan.pk}/1/full/max/0/default.jpg")
    if full.status_code == 200:
        assert b"".join(full.streaming_content if full.streaming else [full.content])[:2] == b"\xff\xd8"
    return Allowed(None, None, info.status_code == 200 and full.status_code == 200)


def stored_files(world, role, case, seen):
    scan = world["scans"][case]
    page = scan.pages.get(number=1)
    client = client_for(world, role)
    names = [page.image.name, scan.file.name, scan.thumbnail.name]
    statuses = {client.get(stored_url(scan, name)).status_code for name in names}
    assert statuses <= {200, 404}, statuses
    assert len(statuses) == 1, f"files of one scan answered differently: {statuses}"
    return Allowed(None, None, statuses == {200})


def stored_url(scan, name):
    from collections_app.file_serving import stored_file_url

    return stored_file_url(scan, name)


def sitemap(world, role, case, seen):
    if role != "anonymous":
        return None
    body = sitemap_text(Client(), seen)
    return Allowed(world["documents"][case].reference_code in body, None, None)


def sitemap_text(client, seen):
    index = seen.read(client.get("/sitemap.xml"))
    texts = [index]
    for location in re.findall(r"<loc>([^<]+)</loc>", index):
        path = re.sub(r"^https?://[^/]+", "", location)
        if "sitemap" in path:
            texts.append(seen.read(client.get(path)))
    return "\n".join(texts)


def feed(world, role, case, seen):
    if role != "anonymous":
        return None
    body = seen.read(Client().get(f"/feeds/{world['archive'].slug}/"))
    return Allowed(title_word(case) in body, None, None)


def export_csv(world, role, case, seen):
    output = io.StringIO()
    if role == "anonymous":
        options = {"as_public": True}
    else:
        options = {"username": world["users"][role].get_username()}
    path = world["tmp_path"] / f"export-{role}-{case}.csv"
    call_command(
        "export_records",
        archive=world["archive"].code,
        format="csv",
        output=str(path),
        stdout=output,
        stderr=output,
        **options,
    )
    body = path.read_text(encoding="utf-8-sig")
    seen.bodies.append(body)
    return Allowed(title_word(case) in body, None, None)


PATHS = {
    "public record page": public_record_page,
    "public file listing": public_file_listing,
    "admin inspect": admin_inspect,
    "search page (title)": search_page_by_title,
    "search page (OCR words)": search_page_by_ocr,
    "search API": search_api,
    "records API": records_api,
    "IIIF manifest": iiif_manifest,
    "IIIF image service": iiif_image,
    "stored files": stored_files,
    "sitemap": sitemap,
    "feed": feed,
    "export": export_csv,
}


def admin_expectation(role, case):
    allowed = expected(role, case)
    staff = role in THIS_ARCHIVE_STAFF and case != "deleted"
    return Allowed(None, staff and allowed.metadata, staff and allowed.content)


def test_every_path_shows_each_role_exactly_what_the_law_allows(world, tmp_path):
    world["tmp_path"] = tmp_path
    mismatches = []
    for path_name, check in PATHS.items():
        for role in ROLES:
            for case in CASES:
                mismatches += compare(path_name, check, world, role, case)
    assert not mismatches, "\n".join(mismatches)


def compare(path_name, check, world, role, case):
    seen = Observed()
    observed = check(world, role, case, seen)
    if observed is None:
        return []
    want = admin_expectation(role, case) if path_name == "admin inspect" else expected(role, case)
    where = f"{path_name:>24} · {role:>15} · {case:<7}"
    mismatches = [
        f"{where} · {question}: got {getattr(observed, question)}, the law says {getattr(want, question)}"
        for question in ("listed", "metadata", "content")
        if getattr(observed, question) is not None and getattr(observed, question) != getattr(want, question)
    ]
    leaked = leaked_words(role, seen.bodies)
    if leaked:
        mismatches.append(f"{where} · restricted words reached this role: {sorted(leaked)}")
    return mismatches


def leaked_words(role, bodies):
    """Words this role may not read (OCR text of closed content, titles it may not list) in what it got."""
    forbidden = {ocr_word(case) for case in CASES if not expected(role, case).content}
    forbidden |= {title_word(case) for case in CASES if not expected(role, case).listed}
    return {word for word in forbidden for body in bodies if word in body}
