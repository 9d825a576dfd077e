"""Factories for tests and benchmarks: small trees built per test."""

import hashlib

import factory
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from .ingest import samples
from .models import AdministrativeUnit, Archive, DigitalObject, Document, Fonds, RecordFile, ScanPage, Series
from .roles import role_group
from .vocabularies import PublicationStatus


def current_province(name):
    return AdministrativeUnit.objects.current().provinces().get(name=name)


class ArchiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Archive
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"LTT{n:03d}")
    name = factory.Sequence(lambda n: f"Trung tâm Lưu trữ lịch sử thử nghiệm {n}")
    slug = factory.Sequence(lambda n: f"luu-tru-thu-{n}")
    unit = factory.LazyFunction(lambda: current_province("Tuyên Quang"))


class FondsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fonds

    archive = factory.SubFactory(ArchiveFactory)
    code = factory.Sequence(lambda n: f"P{n:03d}")
    name = factory.Sequence(lambda n: f"Ủy ban nhân dân huyện Thử Nghiệm {n}")
    creator_code = factory.Sequence(lambda n: f"H{n:02d}.01")
    publication_status = PublicationStatus.PUBLISHED


class SeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Series

    fonds = factory.SubFactory(FondsFactory)
    archive = factory.SelfAttribute("fonds.archive")
    number = factory.Sequence(lambda n: f"{n + 1:02d}")
    title = "Mục lục hồ sơ lưu trữ vĩnh viễn"
    publication_status = PublicationStatus.PUBLISHED


class RecordFileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecordFile

    series = factory.SubFactory(SeriesFactory)
    fonds = factory.SelfAttribute("series.fonds")
    archive = factory.SelfAttribute("fonds.archive")
    year = 2019
    file_number = factory.Sequence(lambda n: f"{n + 1:02d}")
    title = factory.Sequence(lambda n: f"Hồ sơ giao đất cho hộ gia đình số {n} tại xã Long Thọ")
    start_date = "2019-03-05"
    end_date = "2019-12-20"
    languages = ["01"]
    publication_status = PublicationStatus.PUBLISHED


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Document

    file = factory.SubFactory(RecordFileFactory)
    archive = factory.SelfAttribute("file.archive")
    ordinal = factory.Sequence(lambda n: n + 1)
    type_name = "02"
    code_number = factory.Sequence(lambda n: str(1000 + n))
    code_notation = "QĐ-UBND"
    issued_date = "2019-03-05"
    organ_name = "Ủy ban nhân dân tỉnh Đồng Nai"
    title = "Quyết định về việc giao đất ở cho hộ ông Nguyễn Văn Bình"
    languages = ["01"]
    publication_status = PublicationStatus.PUBLISHED


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.vn")
    password = factory.PostGenerationMethodCall("set_password", "mat-khau-thu-nghiem")

    @factory.post_generation
    def persist_password(self, create, extracted, **kwargs):
        if create:
            self.save()


def staff_user(archive, role, **kwargs):
    """A user holding ``role`` in ``archive``."""
    user = UserFactory(**kwargs)
    user.groups.add(role_group(archive, role))
    return user


class DigitalObjectFactory(factory.django.DjangoModelFactory):
    """A stored scan (a real PNG page of Vietnamese text) attached to a document."""

    class Meta:
        model = DigitalObject

    class Params:
        content = factory.LazyFunction(lambda: samples.png_page(dpi=100))

    document = factory.SubFactory(DocumentFactory)
    record_file = None
    archive = factory.LazyAttribute(lambda scan: (scan.document or scan.record_file).archive)
    original_name = factory.LazyAttribute(
        lambda scan: f"{(scan.document or scan.record_file).reference_code}.png"
    )
    mime_type = "image/png"
    size_bytes = factory.LazyAttribute(lambda scan: len(scan.content))
    sha256 = factory.LazyAttribute(lambda scan: hashlib.sha256(scan.content).hexdigest())
    file = factory.LazyAttribute(lambda scan: ContentFile(scan.content, name=scan.original_name))


class ScanPageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScanPage

    digital_object = factory.SubFactory(DigitalObjectFactory)
    number = factory.Sequence(lambda n: n + 1)
    width = 827
    height = 1169
    dpi = 100
    colour_depth = 24
    text = "Quyết định về việc giao đất ở cho hộ ông Nguyễn Văn Bình"
    ocr_confidence = 91.5
