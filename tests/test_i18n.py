"""English is available next to Vietnamese: the catalogue is complete and the site speaks it."""

import gettext
import inspect
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import models
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from collections_app import vocabularies
from collections_app.factories import (
    DocumentFactory,
    FondsFactory,
    RecordFileFactory,
    SeriesFactory,
    staff_user,
)
from collections_app.models import Role
from collections_app.vocabularies import AccessRegime

EN_PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
EN_MO = EN_PO.with_suffix(".mo")

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}|<[^>]+>")


@pytest.fixture(autouse=True)
def reset_language():
    """A request with Accept-Language: en leaves English active in the thread; don't leak it."""
    yield
    translation.deactivate()


# The catalogue ------------------------------------------------------------------------------


def _unescape(text):
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda match: escapes.get(match.group(1), match.group(0)), text)


def parse_po(path):
    """The entries of a .po file as dicts: flags, msgid, msgid_plural and msgstr (a list)."""
    entries = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8").strip()):
        entry = {"flags": set(), "msgid": None, "msgid_plural": None, "msgstr": [], "obsolete": False}
        key = None
        for line in block.splitlines():
            if line.startswith("#~"):
                entry["obsolete"] = True
                continue
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
                continue
            if line.startswith("#") or not line.strip():
                continue
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+"(.*)"$', line)
            if match:
                key, value = match.group(1), _unescape(match.group(2))
                if key.startswith("msgstr"):
                    entry["msgstr"].append(value)
                elif key in ("msgid", "msgid_plural"):
                    entry[key] = value
                continue
            string = re.match(r'^"(.*)"$', line)
            assert string, f"unparsable line in {path.name}: {line!r}"
            value = _unescape(string.group(1))
            if key.startswith("msgstr"):
                entry["msgstr"][-1] += value
            elif key in ("msgid", "msgid_plural"):
                entry[key] += value
        entries.append(entry)
    return entries


@pytest.fixture(scope="module")
def en_entries():
    assert EN_PO.exists(), "run makemessages -l en and translate the catalogue"
    return parse_po(EN_PO)


def test_english_catalogue_has_no_untranslated_or_fuzzy_entries(en_entries):
    header = [entry for entry in en_entries if entry["msgid"] == ""]
    messages = [entry for entry in en_entries if entry["msgid"] and not entry["obsolete"]]
    assert len(header) == 1 and "fuzzy" not in header[0]["flags"]
    assert "Language: en" in header[0]["msgstr"][0]
    assert len(messages) > 300
    fuzzy = [entry["msgid"] for entry in messages if "fuzzy" in entry["flags"]]
    untranslated = [entry["msgid"] for entry in messages if not all(s.strip() for s in entry["msgstr"])]
    assert fuzzy == []
    assert untranslated == []


def test_english_catalogue_keeps_placeholders_and_html(en_entries):
    for entry in en_entries:
        if not entry["msgid"]:
            continue
        for msgstr in entry["msgstr"]:
            assert sorted(PLACEHOLDER.findall(msgstr)) == sorted(PLACEHOLDER.findall(entry["msgid"])), entry


def test_compiled_catalogue_matches_the_po_file(en_entries):
    with EN_MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in en_entries:
        if entry["msgid"] and entry["msgid_plural"] is None:
            assert compiled.gettext(entry["msgid"]) == entry["msgstr"][0], "recompile django.mo"


# Translations in use ------------------------------------------------------------------------


def test_access_regime_labels_in_english():
    with translation.override("en"):
        assert [str(label) for label in AccessRegime.labels] == ["Open", "Conditional access", "Secret"]
        assert str(vocabularies.Retention.PERMANENT.label) == "Permanent"
        assert str(vocabularies.Reliability.BORN_DIGITAL.label) == "Born digital"


def test_access_regime_labels_in_vietnamese():
    with translation.override("vi"):
        assert [str(label) for label in AccessRegime.labels] == ["Công khai", "Sử dụng có điều kiện", "Mật"]
        assert str(vocabularies.Retention.PERMANENT.label) == "Vĩnh viễn"


@pytest.mark.parametrize(
    ("language", "grouped", "decimal"), [("vi", "1.234.567", "2,38"), ("en", "1,234,567", "2.38")]
)
def test_numbers_are_written_as_each_language_writes_them(language, grouped, decimal):
    template = Template("{% load humanize %}{{ big|intcomma }} {{ metres|floatformat:2 }}")
    with translation.override(language):
        assert template.render(Context({"big": 1234567, "metres": "2.38"})) == f"{grouped} {decimal}"


def test_every_vocabulary_label_has_an_english_translation():
    choice_classes = [
        value
        for _name, value in inspect.getmembers(vocabularies, inspect.isclass)
        if issubclass(value, models.Choices) and value.__module__ == vocabularies.__name__
    ]
    assert choice_classes
    for choices in choice_classes:
        with translation.override("vi"):
            vietnamese = [str(label) for label in choices.labels]
        with translation.override("en"):
            english = [str(label) for label in choices.labels]
        for vi_label, en_label in zip(vietnamese, english, strict=True):
            assert vi_label != en_label, f"{choices.__name__}: “{vi_label}” has no English translation"


@pytest.fixture
def tree(tuyen_quang):
    fonds = FondsFactory(archive=tuyen_quang, code="P01")
    series = SeriesFactory(fonds=fonds, number="01")
    document = DocumentFactory(file=RecordFileFactory(series=series), ordinal=1)
    return {"fonds": fonds, "file": document.file, "document": document}


@pytest.mark.django_db
def test_public_archive_page_in_english(client, tree):
    html = client.get("/tuyen-quang/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in html
    assert "Archival records are made available under the Law on Archives No. 33/2024/QH15." in html
    assert "<th>Reference code</th>" in html
    assert "<th>Access regime</th>" in html
    assert "Chế độ sử dụng" not in html

    file_page = client.get(
        f"/tuyen-quang/ho-so/{tree['file'].reference_code}/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "<dt>Retention period</dt><dd>Permanent</dd>" in file_page
    assert "<dt>Access regime</dt><dd>Open</dd>" in file_page
    assert "Documents in this file" in file_page


@pytest.mark.django_db
def test_public_archive_page_in_vietnamese_by_default(client, tree):
    html = client.get("/tuyen-quang/").content.decode()
    assert '<html lang="vi">' in html
    assert "<th>Chế độ sử dụng</th>" in html
    assert "Access regime" not in html


@pytest.mark.django_db
def test_admin_in_english(client, tree, tuyen_quang):
    client.force_login(staff_user(tuyen_quang, Role.ARCHIVIST, username="luutru.en"))
    listing = client.get(reverse("fonds:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Reference code" in listing
    assert "Publication status" in listing
    assert "Archival records" in listing  # the menu group

    inspect_page = client.get(
        reverse("recordfile:inspect", args=[tree["file"].pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Move to another series" in inspect_page
    assert "Add document" in inspect_page
    assert "Chuyển mục lục" not in inspect_page


@pytest.mark.django_db
def test_admin_in_vietnamese_by_default(client, tree, tuyen_quang):
    client.force_login(staff_user(tuyen_quang, Role.ARCHIVIST, username="luutru.vi"))
    inspect_page = client.get(reverse("recordfile:inspect", args=[tree["file"].pk])).content.decode()
    assert "Chuyển mục lục" in inspect_page
    assert "Move to another series" not in inspect_page
