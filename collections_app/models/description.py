"""The four levels of Vietnamese archival description: phông → mục lục hồ sơ → hồ sơ → văn bản.

Plain Django models (a province holds millions of documents), each row keyed to its archive and
its parent. Fields, lengths and codes follow Circular 05/2025/TT-BNV (see DOMAIN.md); the XML
names used in packages are given in ``help_text``-free comments beside each field.
"""

import functools
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Cast
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from wagtail.search import index

from .. import partial_dates
from ..fields import CodeListField, PartialDateField
from ..vocabularies import (
    AccessRegime,
    Condition,
    DocumentType,
    MediaKind,
    OriginalStatus,
    PhotoColour,
    PhotoKind,
    PublicationStatus,
    RecordKind,
    Reliability,
    Retention,
    RiskRecoveryStatus,
)

CODE_SEGMENT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9.\-_]*$"
code_segment_validator = RegexValidator(
    CODE_SEGMENT_PATTERN,
    message=_(
        "Mã chỉ được gồm chữ cái không dấu, chữ số, dấu chấm, gạch ngang hoặc gạch dưới, "
        "bắt đầu bằng chữ hoặc số (ví dụ H49.64.33 hoặc 01)."
    ),
    code="invalid_code",
)


def normalize_partial_date(record, field_name):
    """The stored form of a date field, whether it was given as 05/03/2019 or 2019-03-05."""
    return record._meta.get_field(field_name).to_python(getattr(record, field_name))


class Category(models.Model):
    """A record group used to find and prioritise records: đất đai, dự án đầu tư, ..."""

    slug = models.SlugField(_("mã nhóm"), max_length=50, unique=True)
    name = models.CharField(_("tên nhóm"), max_length=100, unique=True)
    is_priority = models.BooleanField(
        _("ưu tiên bảo vệ"),
        default=False,
        help_text=_("Nhóm tài liệu được ưu tiên khi số hóa và bàn giao (đất đai, dự án đầu tư)."),
    )

    class Meta:
        verbose_name = _("nhóm tài liệu")
        verbose_name_plural = _("nhóm tài liệu")
        ordering = ["name"]

    def __str__(self):
        return self.name


@functools.cache
def vietnamese_type_names():
    """Document type labels in Vietnamese, as documents cite themselves ("Quyết định số …")."""
    with translation.override("vi"):
        return {value: str(label) for value, label in DocumentType.choices}


def search_join_key():
    """The primary key as the search index stores it (text): lets PostgreSQL join index hits by index."""
    return Cast("id", output_field=models.CharField(max_length=50))


class DescriptionNode(models.Model):
    """What every level shares: its archive, its permanent reference code and its status."""

    archive = models.ForeignKey(
        "collections_app.Archive",
        verbose_name=_("cơ quan lưu trữ"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reference_code = models.CharField(_("mã tham chiếu"), max_length=150, unique=True, editable=False)
    publication_status = models.CharField(
        _("trạng thái công bố"),
        max_length=10,
        choices=PublicationStatus.choices,
        default=PublicationStatus.DRAFT,
    )
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)
    # Soft delete: a deleted record stays in the database, hidden from every reader, until a
    # leader restores it.
    deleted_at = models.DateTimeField(_("xóa lúc"), null=True, blank=True, editable=False, db_index=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người xóa"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    delete_reason = models.CharField(_("lý do xóa"), max_length=300, blank=True, editable=False)

    class Meta:
        abstract = True

    level_slug = ""

    def get_absolute_url(self):
        return f"/r/{self.reference_code}/"

    @property
    def is_published(self):
        return self.publication_status == PublicationStatus.PUBLISHED

    def compute_reference_code(self):
        raise NotImplementedError

    # What search indexes beside the fields ---------------------------------------------------------

    def search_identifiers(self):
        """The codes a reader may type to find this record: its own and its former ones."""
        codes = [self.reference_code, *self.own_codes(), *self.alias_codes()]
        return " ".join(dict.fromkeys(code for code in codes if code))

    def own_codes(self):
        return []

    def alias_codes(self):
        """Former reference codes (``collections_app.codes.attach_alias_codes`` fetches many at once)."""
        codes = getattr(self, "_alias_codes", None)
        if codes is None:
            from ..codes import aliases_of

            codes = list(aliases_of(self).values_list("code", flat=True)) if self.pk else []
            self._alias_codes = codes
        return codes

    def search_places(self):
        """The administrative unit of the creating body and the units above it, former ones included."""
        names, unit = [], self.creating_body_unit()
        while unit is not None:
            names.append(unit.name)
            unit = unit.parent
        return " ".join(names)

    def creating_body_unit(self):
        return None

    def validate_same_archive(self, parent, field_name):
        if parent is not None and self.archive_id and parent.archive_id != self.archive_id:
            raise ValidationError(
                {
                    field_name: _(
                        "“%(parent)s” thuộc cơ quan lưu trữ khác. Chọn một %(level)s của "
                        "chính cơ quan lưu trữ này."
                    )
                    % {"parent": parent, "level": parent._meta.verbose_name}
                }
            )

    def validate_reference_code_is_free(self):
        from ..codes import reference_code_owner

        if not self.archive_id:
            return
        code = self.compute_reference_code()
        owner = reference_code_owner(code)
        if owner is not None and owner != (type(self), self.pk):
            raise ValidationError(
                _(
                    "Mã “%(code)s” đã được dùng cho một bản ghi khác. Đổi số, ký hiệu hoặc năm "
                    "để có mã không trùng."
                )
                % {"code": code},
                code="duplicate_code",
            )


class Fonds(index.Indexed, DescriptionNode):
    """Phông lưu trữ: everything one creating body produced."""

    code = models.CharField(_("mã phông"), max_length=13, validators=[code_segment_validator])
    name = models.CharField(_("tên phông"), max_length=200)
    creator_code = models.CharField(
        _("mã định danh cơ quan hình thành phông"),
        max_length=40,
        blank=True,
        validators=[code_segment_validator],
        help_text=_(
            "Mã định danh của cơ quan, tổ chức (ví dụ H49.64.33 hoặc 000.00.00.G09). Dùng để "
            "lập mã hồ sơ; để trống với phông đã đóng thì mã phông được dùng."
        ),
    )
    creating_body_history = models.TextField(_("lịch sử đơn vị hình thành phông"), blank=True)
    date_range = models.CharField(_("thời gian của tài liệu"), max_length=30, blank=True)
    unit = models.ForeignKey(
        "collections_app.AdministrativeUnit",
        verbose_name=_("đơn vị hành chính của cơ quan hình thành phông"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fonds",
    )
    total_paper_records = models.PositiveIntegerField(_("tổng số tài liệu giấy"), null=True, blank=True)
    digitized_pages = models.PositiveIntegerField(_("số trang đã số hóa"), null=True, blank=True)
    main_record_groups = models.CharField(_("các nhóm tài liệu chủ yếu"), max_length=300, blank=True)
    other_record_types = models.CharField(_("các loại hình tài liệu khác"), max_length=300, blank=True)
    languages = CodeListField(_("ngôn ngữ"))
    finding_aids = models.CharField(_("công cụ tra cứu"), max_length=50, blank=True)
    security_copy_pages = models.PositiveIntegerField(
        _("số trang tài liệu đã lập bản sao bảo hiểm"), null=True, blank=True
    )
    notes = models.TextField(_("ghi chú"), max_length=1000, blank=True)
    is_closed = models.BooleanField(
        _("phông đóng"), default=False, help_text=_("Cơ quan hình thành phông không còn tồn tại.")
    )

    level_slug = "fonds"

    search_fields = [
        index.SearchField("title", boost=2),
        index.SearchField("search_identifiers", boost=2),
        index.SearchField("creating_body_history"),
        index.SearchField("main_record_groups"),
        index.SearchField("search_places"),
        index.AutocompleteField("name"),
        index.AutocompleteField("search_identifiers"),
        index.FilterField("archive"),
        index.FilterField("publication_status"),
    ]

    class Meta:
        verbose_name = _("phông lưu trữ")
        verbose_name_plural = _("phông lưu trữ")
        ordering = ["archive_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["archive", "code"], name="unique_fonds_code_in_archive")
        ]
        indexes = [
            models.Index(search_join_key(), name="fonds_search_key"),
            models.Index(fields=["archive", "publication_status", "code"], name="fonds_listing"),
        ]
        permissions = [("publish_fonds", _("Có thể công bố phông và toàn bộ nội dung"))]

    def __str__(self):
        return f"{self.code} – {self.name}"

    @property
    def title(self):
        return self.name

    @property
    def file_code_prefix(self):
        return self.creator_code or self.code

    def own_codes(self):
        return [self.code, self.creator_code]

    def creating_body_unit(self):
        return self.unit

    def compute_reference_code(self):
        return f"{self.archive.code}.{self.code}"

    def clean(self):
        super().clean()
        self.validate_reference_code_is_free()

    def save(self, *args, **kwargs):
        self.reference_code = self.compute_reference_code()
        with transaction.atomic():
            previous = None
            if self.pk:
                previous = (
                    Fonds.objects.filter(pk=self.pk).values_list("reference_code", "creator_code").first()
                )
            super().save(*args, **kwargs)
            if previous and previous != (self.reference_code, self.creator_code):
                from ..codes import recode_fonds_children

                old_reference = previous[0] if previous[0] != self.reference_code else None
                recode_fonds_children(self, old_reference_code=old_reference)


class Series(index.Indexed, DescriptionNode):
    """Mục lục hồ sơ: a numbered inventory of files within a fonds."""

    fonds = models.ForeignKey(Fonds, verbose_name=_("phông"), on_delete=models.PROTECT, related_name="series")
    number = models.CharField(_("mục lục số"), max_length=10, validators=[code_segment_validator])
    title = models.CharField(_("tên mục lục"), max_length=500)
    date_range = models.CharField(_("thời gian của tài liệu"), max_length=30, blank=True)
    description = models.TextField(_("ghi chú"), max_length=2000, blank=True)

    level_slug = "series"

    search_fields = [
        index.SearchField("title", boost=2),
        index.SearchField("search_identifiers", boost=2),
        index.SearchField("description"),
        index.SearchField("search_places"),
        index.AutocompleteField("title"),
        index.AutocompleteField("search_identifiers"),
        index.FilterField("archive"),
        index.FilterField("fonds"),
        index.FilterField("publication_status"),
    ]

    class Meta:
        verbose_name = _("mục lục hồ sơ")
        verbose_name_plural = _("mục lục hồ sơ")
        ordering = ["fonds_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["fonds", "number"], name="unique_series_number_in_fonds")
        ]
        indexes = [
            models.Index(search_join_key(), name="series_search_key"),
            models.Index(fields=["fonds", "publication_status", "number"], name="series_listing"),
            models.Index(fields=["archive", "number"], name="series_archive"),
        ]
        permissions = [("publish_series", _("Có thể công bố mục lục hồ sơ"))]

    def __str__(self):
        return _("Mục lục số %(number)s – %(title)s") % {"number": self.number, "title": self.title}

    def compute_reference_code(self):
        return f"{self.fonds.reference_code}.ML{self.number}"

    def creating_body_unit(self):
        return self.fonds.unit if self.fonds_id else None

    def clean(self):
        super().clean()
        if self.fonds_id:
            self.archive_id = self.archive_id or self.fonds.archive_id
            self.validate_same_archive(self.fonds, "fonds")
        self.validate_reference_code_is_free()

    def save(self, *args, **kwargs):
        if self.fonds_id and not self.archive_id:
            self.archive_id = self.fonds.archive_id
        self.reference_code = self.compute_reference_code()
        with transaction.atomic():
            previous = None
            if self.pk:
                previous = Series.objects.filter(pk=self.pk).values_list("reference_code", flat=True).first()
            super().save(*args, **kwargs)
            if previous and previous != self.reference_code:
                from ..codes import recode_files, record_alias

                record_alias(self, previous)
                recode_files(self.files.all())


class RecordDescription(DescriptionNode):
    """Fields that files and documents share."""

    retention = models.CharField(
        _("thời hạn lưu trữ"), max_length=2, choices=Retention.choices, default=Retention.PERMANENT
    )  # maintenance
    access_regime = models.CharField(
        _("chế độ sử dụng"), max_length=2, choices=AccessRegime.choices, default=AccessRegime.OPEN
    )  # mode
    languages = CodeListField(_("ngôn ngữ"))  # language
    keywords = models.CharField(_("từ khóa"), max_length=100, blank=True)  # keyword
    information_sign = models.CharField(_("ký hiệu thông tin"), max_length=30, blank=True)  # inforSign
    reliability = models.CharField(
        _("mức độ tin cậy"), max_length=2, choices=Reliability.choices, blank=True
    )  # confidenceLevel
    condition = models.CharField(
        _("tình trạng vật lý"), max_length=2, choices=Condition.choices, blank=True
    )  # format
    risk_recovery = models.BooleanField(_("chế độ dự phòng"), default=False)  # riskRecovery
    risk_recovery_status = models.CharField(
        _("tình trạng dự phòng"), max_length=2, choices=RiskRecoveryStatus.choices, blank=True
    )  # riskRecoveryStatus
    opening_date = models.DateField(
        _("ngày mở"),
        null=True,
        blank=True,
        help_text=_("Với tài liệu sử dụng có điều kiện: ngày tài liệu được mở cho sử dụng."),
    )
    access_reason = models.CharField(_("lý do hạn chế sử dụng"), max_length=300, blank=True)
    ocr_text = models.TextField(
        _("nội dung nhận dạng từ bản quét"),
        blank=True,
        editable=False,
        help_text=_("Nội dung các trang quét (bản đã hiệu đính nếu có), ghép theo thứ tự trang."),
    )

    class Meta:
        abstract = True

    def record_errors(self):
        """Errors of the fields files and documents share, as ``{field: message}``."""
        errors = {}
        if self.risk_recovery and not self.risk_recovery_status:
            errors["risk_recovery_status"] = _(
                "Khi có chế độ dự phòng, hãy chọn tình trạng dự phòng (01 Đã dự phòng hoặc 02 Chưa dự phòng)."
            )
        if self.access_regime == AccessRegime.OPEN and self.opening_date:
            errors["opening_date"] = _(
                "Ngày mở chỉ dùng cho tài liệu sử dụng có điều kiện. Xóa ngày mở hoặc đổi chế "
                "độ sử dụng thành “Sử dụng có điều kiện”."
            )
        return errors


class RecordFile(index.Indexed, RecordDescription):
    """Hồ sơ: the records of one matter."""

    fonds = models.ForeignKey(Fonds, verbose_name=_("phông"), on_delete=models.PROTECT, related_name="files")
    series = models.ForeignKey(
        Series,
        verbose_name=_("mục lục hồ sơ"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="files",
    )
    creator_code = models.CharField(
        _("mã định danh cơ quan"),
        max_length=40,
        blank=True,
        validators=[code_segment_validator],
        help_text=_("Để trống để dùng mã định danh cơ quan (hoặc mã phông) của phông."),
    )
    year = models.PositiveSmallIntegerField(_("năm hình thành hồ sơ"), validators=[MaxValueValidator(2999)])
    file_number = models.CharField(
        _("số và ký hiệu hồ sơ"), max_length=20, validators=[code_segment_validator]
    )
    file_code = models.CharField(_("mã hồ sơ"), max_length=100, editable=False)  # fileCode
    title = models.CharField(_("tiêu đề hồ sơ"), max_length=1000)  # title
    start_date = PartialDateField(_("thời gian bắt đầu"))  # startDate
    end_date = PartialDateField(_("thời gian kết thúc"))  # endDate
    start_year = models.PositiveSmallIntegerField(null=True, editable=False)
    end_year = models.PositiveSmallIntegerField(null=True, editable=False)
    total_documents = models.PositiveIntegerField(_("tổng số văn bản"), null=True, blank=True)  # totalDoc
    sheet_count = models.PositiveIntegerField(_("số lượng tờ"), null=True, blank=True)  # numberOfPaper
    page_count = models.PositiveIntegerField(_("số lượng trang"), null=True, blank=True)  # numberOfPage
    paper_file_code = models.CharField(
        _("mã hồ sơ gốc giấy"),
        max_length=100,
        blank=True,
        help_text=_("[mã cơ quan lưu trữ].[kho/giá/hộp].[số hồ sơ giấy]; bắt buộc khi số hóa."),
    )  # paperFileCode
    description = models.TextField(_("ghi chú"), max_length=2000, blank=True)  # description
    number_in_series = models.PositiveIntegerField(_("số thứ tự trong mục lục"), null=True, blank=True)
    box = models.CharField(_("hộp số"), max_length=20, blank=True)
    shelf = models.CharField(_("vị trí (kho, giá)"), max_length=50, blank=True)
    original_status = models.CharField(
        _("bản gốc, bản chính, bản sao"), max_length=10, choices=OriginalStatus.choices, blank=True
    )
    creating_unit = models.ForeignKey(
        "collections_app.AdministrativeUnit",
        verbose_name=_("đơn vị hành chính"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    categories = models.ManyToManyField(Category, verbose_name=_("nhóm tài liệu"), blank=True)

    level_slug = "file"

    # The record's own text, as opposed to its description (search weighs and guards them apart).
    search_content_fields = ("ocr_text",)
    search_fields = [
        index.SearchField("title", boost=2),
        index.SearchField("search_identifiers", boost=2),
        index.SearchField("keywords"),
        index.SearchField("description"),
        index.SearchField("search_places"),
        index.SearchField("ocr_text"),
        index.AutocompleteField("title"),
        index.AutocompleteField("search_identifiers"),
        index.FilterField("archive"),
        index.FilterField("fonds"),
        index.FilterField("publication_status"),
        index.FilterField("access_regime"),
        index.FilterField("start_year"),
    ]

    # Kept by the database, so that the search tells records with content (whose reading the access
    # rules govern) without reading the texts.
    has_content = models.GeneratedField(
        expression=~Q(ocr_text=""),
        output_field=models.BooleanField(),
        db_persist=True,
        verbose_name=_("có nội dung"),
    )

    class Meta:
        verbose_name = _("hồ sơ")
        verbose_name_plural = _("hồ sơ")
        ordering = ["fonds_id", "series_id", "number_in_series", "file_code"]
        constraints = [
            models.UniqueConstraint(fields=["archive", "file_code"], name="unique_file_code_in_archive")
        ]
        indexes = [
            models.Index(search_join_key(), name="file_search_key"),
            models.Index(fields=["series", "number_in_series", "id"], name="file_by_series"),
            models.Index(fields=["fonds", "series", "number_in_series", "id"], name="file_by_fonds"),
            models.Index(fields=["archive", "start_year"], name="file_archive_year"),
            models.Index(fields=["archive", "access_regime"], name="file_archive_access"),
            models.Index(fields=["archive", "publication_status"], name="file_archive_status"),
        ]
        permissions = [("publish_recordfile", _("Có thể công bố hồ sơ"))]

    def __str__(self):
        return f"{self.file_code} – {self.title}"

    def compose_file_code(self, series=None):
        series = self.series if series is None else series
        prefix = self.creator_code or self.fonds.file_code_prefix
        parts = [prefix, str(self.year), self.file_number]
        if series is not None:
            parts.append(series.number)
        return ".".join(parts)

    def compute_reference_code(self, file_code=None):
        return f"{self.archive.code}.{file_code or self.compose_file_code()}"

    def own_codes(self):
        return [self.file_code, self.paper_file_code]

    def creating_body_unit(self):
        if self.creating_unit_id:
            return self.creating_unit
        return self.fonds.unit if self.fonds_id else None

    def clean(self):
        super().clean()
        errors = self.record_errors()
        if self.fonds_id:
            self.archive_id = self.archive_id or self.fonds.archive_id
            try:
                self.validate_same_archive(self.fonds, "fonds")
            except ValidationError as error:
                errors.update(error.message_dict)
        if self.series_id and self.fonds_id and self.series.fonds_id != self.fonds_id:
            errors["series"] = _("“%(series)s” thuộc phông khác. Chọn một mục lục của phông “%(fonds)s”.") % {
                "series": self.series,
                "fonds": self.fonds,
            }
        if (
            self.start_date
            and self.end_date
            and (partial_dates.latest(self.end_date) < partial_dates.earliest(self.start_date))
        ):
            errors["end_date"] = _(
                "Thời gian kết thúc (%(end)s) sớm hơn thời gian bắt đầu (%(start)s). Sửa lại một "
                "trong hai ngày."
            ) % {
                "end": partial_dates.format_partial_date(self.end_date),
                "start": partial_dates.format_partial_date(self.start_date),
            }
        if self.reliability == Reliability.DIGITIZED and not self.paper_file_code:
            errors["paper_file_code"] = _(
                "Hồ sơ số hóa phải có mã hồ sơ gốc giấy, dạng [mã cơ quan lưu trữ].[kho/giá/hộp]."
                "[số hồ sơ giấy]."
            )
        if errors:
            raise ValidationError(errors)
        if self.fonds_id and self.year and self.file_number:
            self.validate_reference_code_is_free()

    def save(self, *args, **kwargs):
        if self.series_id:
            self.fonds_id = self.series.fonds_id
        if self.fonds_id and not self.archive_id:
            self.archive_id = self.fonds.archive_id
        self.start_date = normalize_partial_date(self, "start_date")
        self.end_date = normalize_partial_date(self, "end_date")
        self.file_code = self.compose_file_code()
        self.reference_code = self.compute_reference_code(self.file_code)
        self.start_year = partial_dates.year_of(self.start_date)
        self.end_year = partial_dates.year_of(self.end_date) or self.start_year
        with transaction.atomic():
            previous = None
            if self.pk:
                previous = (
                    RecordFile.objects.filter(pk=self.pk).values_list("reference_code", flat=True).first()
                )
            super().save(*args, **kwargs)
            if previous and previous != self.reference_code:
                from ..codes import recode_documents, record_alias

                record_alias(self, previous, reason="recoded")
                recode_documents(self)

    @property
    def dates_display(self):
        start = partial_dates.format_partial_date(self.start_date)
        end = partial_dates.format_partial_date(self.end_date)
        return f"{start} – {end}" if start and end and start != end else start or end


class Document(index.Indexed, RecordDescription):
    """Tài liệu, văn bản: one document of a file (text, photo or audio-visual)."""

    file = models.ForeignKey(
        RecordFile, verbose_name=_("hồ sơ"), on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField(
        _("loại hình"), max_length=10, choices=RecordKind.choices, default=RecordKind.TEXT
    )
    ordinal = models.PositiveIntegerField(_("số thứ tự trong hồ sơ"))
    doc_id = models.CharField(_("mã định danh tài liệu"), max_length=125, editable=False)  # docId
    doc_code = models.CharField(_("mã lưu trữ tài liệu"), max_length=125, editable=False)  # docCode
    type_name = models.CharField(
        _("tên loại văn bản"), max_length=2, choices=DocumentType.choices, blank=True
    )  # typeName
    code_number = models.CharField(_("số"), max_length=11, blank=True)  # codeNumber
    code_notation = models.CharField(_("ký hiệu"), max_length=30, blank=True)  # codeNotation
    issued_date = PartialDateField(_("ngày tháng năm văn bản"))  # issuedDate
    issued_year = models.PositiveSmallIntegerField(null=True, editable=False)
    organ_name = models.CharField(_("cơ quan ban hành"), max_length=200, blank=True)  # organName
    title = models.CharField(
        _("trích yếu nội dung / tiêu đề"), max_length=500
    )  # subject (text), title (photo, media)
    page_count = models.PositiveIntegerField(
        _("số lượng trang"), null=True, blank=True, validators=[MaxValueValidator(9999)]
    )  # numberOfPage
    autograph = models.TextField(_("bút tích"), max_length=2000, blank=True)  # autograph
    has_process = models.BooleanField(_("có quy trình xử lý"), default=False)  # process
    description = models.TextField(_("ghi chú"), max_length=500, blank=True)  # description
    full_text = models.TextField(
        _("nội dung"), blank=True, help_text=_("Toàn văn của tài liệu điện tử (gốc điện tử).")
    )
    categories = models.ManyToManyField(Category, verbose_name=_("nhóm tài liệu"), blank=True)
    # Photos (EAD_pic) and audio-visual records (EAD_media).
    photo_kind = models.CharField(_("loại ảnh"), max_length=2, choices=PhotoKind.choices, blank=True)
    media_kind = models.CharField(
        _("loại phim, âm thanh"), max_length=2, choices=MediaKind.choices, blank=True
    )
    special_number = models.CharField(_("số lưu trữ đặc biệt"), max_length=50, blank=True)
    event = models.CharField(_("tên sự kiện"), max_length=500, blank=True)
    author = models.CharField(_("tác giả (người chụp, người ghi)"), max_length=300, blank=True)
    place = models.CharField(_("địa điểm"), max_length=300, blank=True)
    colour = models.CharField(_("màu sắc"), max_length=2, choices=PhotoColour.choices, blank=True)
    size = models.CharField(_("cỡ ảnh"), max_length=30, blank=True)
    duration = models.CharField(
        _("thời lượng"),
        max_length=8,
        blank=True,
        validators=[
            RegexValidator(
                r"^\d{1,2}:\d{2}:\d{2}$",
                message=_("Thời lượng viết dạng HH:MM:SS, ví dụ 01:05:30."),
            )
        ],
    )
    quality = models.CharField(_("chất lượng"), max_length=50, blank=True)
    has_attachments = models.BooleanField(_("có tài liệu kèm theo"), default=False)

    level_slug = "document"

    # The record's own text, as opposed to its description (search weighs and guards them apart).
    search_content_fields = ("ocr_text", "full_text")
    # Most index entries are documents: on SQLite, dropping the other levels' few matches by content
    # type costs less than asking the full-text index for the level's word (search.backends.sqlite).
    search_by_level_word = False
    search_fields = [
        index.SearchField("title", boost=2),
        index.SearchField("search_identifiers", boost=2),
        index.SearchField("keywords"),
        index.SearchField("organ_name"),
        index.SearchField("description"),
        index.SearchField("search_places"),
        index.SearchField("ocr_text"),
        index.SearchField("full_text"),
        index.AutocompleteField("title"),
        index.AutocompleteField("search_identifiers"),
        index.FilterField("archive"),
        index.FilterField("file"),
        index.FilterField("publication_status"),
        index.FilterField("access_regime"),
        index.FilterField("issued_year"),
        index.FilterField("kind"),
    ]

    # Kept by the database, so that the search tells records with content (whose reading the access
    # rules govern) without reading the texts.
    has_content = models.GeneratedField(
        expression=~Q(ocr_text="") | ~Q(full_text=""),
        output_field=models.BooleanField(),
        db_persist=True,
        verbose_name=_("có nội dung"),
    )

    class Meta:
        verbose_name = _("tài liệu")
        verbose_name_plural = _("tài liệu")
        ordering = ["file_id", "ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["file", "ordinal"], name="unique_document_ordinal_in_file")
        ]
        indexes = [
            models.Index(search_join_key(), name="document_search_key"),
            models.Index(fields=["file", "publication_status", "ordinal"], name="document_by_file"),
            models.Index(fields=["archive", "issued_year"], name="document_archive_year"),
            models.Index(fields=["archive", "access_regime"], name="document_archive_access"),
            models.Index(fields=["archive", "publication_status"], name="document_archive_status"),
            models.Index(fields=["archive", "-id"], name="document_archive_recent"),
            models.Index(fields=["code_number", "code_notation"], name="document_number"),
        ]
        permissions = [("publish_document", _("Có thể công bố tài liệu"))]

    def __str__(self):
        return f"{self.doc_id} – {self.title}"

    def compose_codes(self, file_code=None):
        file_code = file_code or self.file.file_code
        return f"{file_code}.{self.ordinal}", f"{file_code}.{self.ordinal:07d}"

    def compute_reference_code(self):
        return f"{self.archive.code}.{self.compose_codes()[0]}"

    def own_codes(self):
        number = self.number_and_notation
        # As people cite it: "Quyết định số 1234/QĐ-UBND".
        cited = ""
        if number and self.type_name and self.type_name != DocumentType.OTHER:
            cited = f"{vietnamese_type_names().get(self.type_name, '')} số {number}"
        return [self.doc_code, self.doc_id, number, cited]

    def creating_body_unit(self):
        return self.file.creating_body_unit() if self.file_id else None

    @property
    def issued_date_display(self):
        return partial_dates.format_partial_date(self.issued_date)

    @property
    def number_and_notation(self):
        notation = re.sub(r"\s*/\s*", "/", self.code_notation or "").strip("/ ")
        if self.code_number and notation:
            return f"{self.code_number}/{notation}"
        return self.code_number or notation

    @property
    def citation(self):
        """Quyết định số 1234/QĐ-UBND ngày 05/03/2019 của UBND tỉnh Đồng Nai về việc …"""
        named_type = self.type_name and self.type_name != DocumentType.OTHER
        parts = [self.get_type_name_display() if named_type else ""]
        if self.number_and_notation:
            parts.append(_("số %(number)s") % {"number": self.number_and_notation})
        if self.issued_date:
            parts.append(_("ngày %(date)s") % {"date": partial_dates.format_partial_date(self.issued_date)})
        if self.organ_name:
            parts.append(_("của %(organ)s") % {"organ": self.organ_name})
        head = " ".join(str(part) for part in parts if part)
        return f"{head}: {self.title}" if head else self.title

    def effective_access_regime(self):
        """A file's regime applies to its documents unless the document is stricter."""
        return max(self.access_regime, self.file.access_regime)

    def clean(self):
        super().clean()
        errors = self.record_errors()
        if self.file_id:
            self.archive_id = self.archive_id or self.file.archive_id
            try:
                self.validate_same_archive(self.file, "file")
            except ValidationError as error:
                errors.update(error.message_dict)
        if self.kind == RecordKind.PHOTO and not self.photo_kind:
            errors["photo_kind"] = _("Với tài liệu ảnh, hãy chọn loại ảnh (01 Phim âm bản, 02 Ảnh).")
        if self.kind == RecordKind.MEDIA and not self.media_kind:
            errors["media_kind"] = _("Với tài liệu ghi âm, ghi hình, hãy chọn loại (01 Ghi âm, 02 Ghi hình).")
        if self.kind == RecordKind.TEXT and not self.type_name:
            errors["type_name"] = _("Hãy chọn tên loại văn bản (01–32; chọn 32 Khác nếu không rõ).")
        if errors:
            raise ValidationError(errors)
        if self.file_id and self.ordinal:
            self.validate_reference_code_is_free()

    def save(self, *args, **kwargs):
        if self.file_id and not self.archive_id:
            self.archive_id = self.file.archive_id
        self.issued_date = normalize_partial_date(self, "issued_date")
        self.doc_id, self.doc_code = self.compose_codes()
        self.reference_code = f"{self.archive.code}.{self.doc_id}"
        self.issued_year = partial_dates.year_of(self.issued_date)
        with transaction.atomic():
            previous = None
            if self.pk:
                previous = (
                    Document.objects.filter(pk=self.pk).values_list("reference_code", flat=True).first()
                )
            super().save(*args, **kwargs)
            if previous and previous != self.reference_code:
                from ..codes import record_alias

                record_alias(self, previous, reason="recoded")
