"""Description exports (CSV, XLSX, EAD3) that obey the access rules of the user they are made for.

Rows are the import columns of ``import_records`` (one row per file, then one per each of its
documents), so an export re-imports as it is. Files and documents are read from the database in
chunks and written as they come, so a million rows never sit in memory: CSV through ``csv``, XLSX
through openpyxl's write-only workbook, EAD3 through ``lxml.etree.xmlfile``.

What is exported is what the user may list (``access.listable`` on the record and every level above
it); a record's text goes out only when the user may view its content.
"""

import csv
import datetime

from django.db.models import F, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from collections_app import access
from collections_app.models import Category, Document, RecordFile
from collections_app.partial_dates import format_partial_date
from collections_app.vocabularies import PublicationStatus

from . import records

FORMATS = ("csv", "xlsx", "ead3")
CHUNK = 2000
EAD3_NAMESPACE = "http://ead3.archivists.org/schema/"
XLINK_NAMESPACE = "http://www.w3.org/1999/xlink"

# (header, value of a file row, value of a document row); headers as import_records reads them.
PUBLICATION_LABELS = {PublicationStatus.PUBLISHED: "Đã công bố", PublicationStatus.DRAFT: "Bản nháp"}


def _date(value):
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return ""


def _list(values):
    return "; ".join(values or [])


def _categories(record):
    return "; ".join(category.name for category in record.categories.all())


def _shared(name):
    return lambda record: getattr(record, name) or ""


def _number(name):
    return lambda record: "" if getattr(record, name) is None else getattr(record, name)


COLUMNS = [
    ("Mã phông", lambda file: file.fonds.code, lambda doc: doc.file.fonds.code),
    ("Tên phông", lambda file: file.fonds.name, lambda doc: doc.file.fonds.name),
    ("Mã định danh cơ quan", lambda file: file.creator_code, None),
    ("Mục lục số", lambda file: file.series.number if file.series else "", None),
    ("Tên mục lục", lambda file: file.series.title if file.series else "", None),
    ("Mã hồ sơ", lambda file: file.file_code, lambda doc: doc.file.file_code),
    ("Năm hình thành hồ sơ", lambda file: file.year, None),
    ("Số và ký hiệu hồ sơ", lambda file: file.file_number, None),
    ("Tiêu đề hồ sơ", lambda file: file.title, None),
    ("Thời gian bắt đầu", lambda file: format_partial_date(file.start_date), None),
    ("Thời gian kết thúc", lambda file: format_partial_date(file.end_date), None),
    ("Tổng số văn bản", _number("total_documents"), None),
    ("Số lượng tờ", _number("sheet_count"), None),
    ("Hộp số", _shared("box"), None),
    ("Mã định danh tài liệu", None, lambda doc: doc.doc_id),
    ("Số thứ tự văn bản trong hồ sơ", None, lambda doc: doc.ordinal),
    ("Tên loại tài liệu", None, lambda doc: doc.type_name),
    ("Số", None, _shared("code_number")),
    ("Ký hiệu", None, _shared("code_notation")),
    ("Ngày tháng năm", None, lambda doc: format_partial_date(doc.issued_date)),
    ("Cơ quan ban hành", None, _shared("organ_name")),
    ("Trích yếu nội dung", None, lambda doc: doc.title),
    ("Bút tích", None, _shared("autograph")),
    ("Thời hạn lưu trữ", _shared("retention"), _shared("retention")),
    ("Chế độ sử dụng", _shared("access_regime"), _shared("access_regime")),
    ("Ngày mở", lambda record: _date(record.opening_date), lambda record: _date(record.opening_date)),
    ("Lý do hạn chế sử dụng", _shared("access_reason"), _shared("access_reason")),
    ("Ngôn ngữ", lambda record: _list(record.languages), lambda record: _list(record.languages)),
    ("Từ khóa", _shared("keywords"), _shared("keywords")),
    ("Ký hiệu thông tin", _shared("information_sign"), _shared("information_sign")),
    ("Mức độ tin cậy", _shared("reliability"), _shared("reliability")),
    ("Tình trạng vật lý", _shared("condition"), _shared("condition")),
    ("Số lượng trang", _number("page_count"), _number("page_count")),
    ("Ghi chú", _shared("description"), _shared("description")),
    ("Nhóm tài liệu", _categories, _categories),
    (
        "Trạng thái",
        lambda record: PUBLICATION_LABELS[record.publication_status],
        lambda record: PUBLICATION_LABELS[record.publication_status],
    ),
]
HEADERS = [header for header, _file, _document in COLUMNS] + ["Nội dung"]


class Export:
    """The rows one user may see of an archive (or one fonds), in catalogue order."""

    def __init__(self, user, archive, fonds=None, on_progress=None):
        self.user = user
        self.archive = archive
        self.fonds = fonds
        self.on_progress = on_progress or (lambda count: None)
        self.count = 0

    def files(self):
        queryset = records.openable_queryset(self.user, RecordFile).filter(archive=self.archive)
        if self.fonds is not None:
            queryset = queryset.filter(fonds=self.fonds)
        return queryset.select_related("archive", "fonds", "series__fonds").order_by(
            *self._file_order(""), "pk"
        )

    def documents(self):
        queryset = records.openable_queryset(self.user, Document).filter(archive=self.archive)
        if self.fonds is not None:
            queryset = queryset.filter(file__fonds=self.fonds)
        return queryset.select_related("archive", "file__fonds", "file__series__fonds").order_by(
            *self._file_order("file__"), "file_id", "ordinal", "pk"
        )

    @staticmethod
    def _file_order(prefix):
        return (
            F(f"{prefix}fonds__code").asc(),
            F(f"{prefix}series__number").asc(nulls_first=True),
            F(f"{prefix}year").asc(),
            F(f"{prefix}file_number").asc(),
        )

    def tree(self):
        """``(file, [documents])`` in order, reading both tables in chunks side by side."""
        categories = Prefetch("categories", queryset=Category.objects.order_by("name"))
        documents = self.documents().prefetch_related(categories).iterator(chunk_size=CHUNK)
        pending = next(documents, None)
        for file in self.files().prefetch_related(categories).iterator(chunk_size=CHUNK):
            children = []
            while pending is not None and pending.file_id == file.pk:
                children.append(pending)
                pending = next(documents, None)
            yield file, children

    def rows(self):
        for file, documents in self.tree():
            yield self.row(file, level=1)
            for document in documents:
                yield self.row(document, level=2)

    def row(self, record, level):
        values = [
            "" if convert is None else convert(record) for convert in (columns[level] for columns in COLUMNS)
        ]
        values.append(self.text(record) if level == 2 else "")
        self.counted()
        return values

    def counted(self):
        self.count += 1
        if self.count % 1000 == 0:
            self.on_progress(self.count)

    def text(self, record):
        """The record's text, only when this user may view its content."""
        if not access.can_view_content(self.user, record):
            return ""
        return records.text_of(record)


def write_csv(export, path):
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for row in export.rows():
            writer.writerow(row)


def write_xlsx(export, path):
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Mô tả")[:31])
    sheet.append(HEADERS)
    for row in export.rows():
        sheet.append([_cell(value) for value in row])
    workbook.save(path)


def _cell(value):
    """Text cells as text: codes such as "01" or "07" keep their leading zeros."""
    return str(value) if value is not None else ""


def write_ead3(export, path):
    with etree.xmlfile(str(path), encoding="utf-8") as xml:
        xml.write_declaration()
        with xml.element(f"{{{EAD3_NAMESPACE}}}ead", nsmap={None: EAD3_NAMESPACE}):
            xml.write(_control(export))
            with xml.element(_ead("archdesc"), level="fonds" if export.fonds else "collection"):
                xml.write(_archdesc_did(export))
                with xml.element(_ead("dsc")):
                    _write_components(xml, export)


def _ead(tag):
    return f"{{{EAD3_NAMESPACE}}}{tag}"


def _sub(parent, tag, text=None, **attributes):
    element = etree.SubElement(parent, _ead(tag), **attributes)
    if text is not None:
        element.text = str(text)
    return element


def _control(export):
    control = etree.Element(_ead("control"))
    subject = export.fonds.reference_code if export.fonds else export.archive.code
    _sub(control, "recordid", subject)
    title = _sub(_sub(control, "filedesc"), "titlestmt")
    _sub(title, "titleproper", export.fonds.name if export.fonds else export.archive.name)
    _sub(control, "maintenancestatus", value="derived")
    agency = _sub(control, "maintenanceagency")
    _sub(agency, "agencycode", export.archive.code)
    _sub(agency, "agencyname", export.archive.name)
    event = _sub(_sub(control, "maintenancehistory"), "maintenanceevent")
    _sub(event, "eventtype", value="derived")
    now = timezone.now()
    _sub(event, "eventdatetime", now.strftime("%d/%m/%Y %H:%M"), standarddatetime=now.isoformat())
    _sub(event, "agenttype", value="machine")
    _sub(event, "agent", "Kho lưu trữ số — export_records")
    return control


def _archdesc_did(export):
    did = etree.Element(_ead("did"))
    if export.fonds:
        _sub(did, "unitid", export.fonds.reference_code)
        _sub(did, "unittitle", export.fonds.name)
    else:
        _sub(did, "unitid", export.archive.code)
        _sub(did, "unittitle", export.archive.name)
    _sub(_sub(_sub(did, "repository"), "corpname"), "part", export.archive.name)
    return did


def _write_components(xml, export):
    """Fonds ⊃ series ⊃ file ⊃ document, opening and closing ``c`` elements as the stream moves on."""
    open_fonds = open_series = None
    fonds_context = series_context = None
    for file, documents in export.tree():
        if file.fonds_id != open_fonds:
            if series_context is not None:
                series_context.__exit__(None, None, None)
                series_context, open_series = None, None
            if fonds_context is not None:
                fonds_context.__exit__(None, None, None)
            if export.fonds is None:
                fonds_context = xml.element(_ead("c"), level="fonds", id=_xml_id(file.fonds.reference_code))
                fonds_context.__enter__()
                xml.write(_did(file.fonds))
            open_fonds = file.fonds_id
        if file.series_id != open_series:
            if series_context is not None:
                series_context.__exit__(None, None, None)
                series_context = None
            if file.series_id is not None:
                series_context = xml.element(
                    _ead("c"), level="series", id=_xml_id(file.series.reference_code)
                )
                series_context.__enter__()
                xml.write(_did(file.series))
            open_series = file.series_id
        xml.write(_component(export, file, documents))
    if series_context is not None:
        series_context.__exit__(None, None, None)
    if fonds_context is not None:
        fonds_context.__exit__(None, None, None)


def _xml_id(code):
    return "c-" + code.replace(" ", "_")


def _did(record):
    did = etree.Element(_ead("did"))
    _sub(did, "unitid", record.reference_code)
    _sub(did, "unittitle", record.title)
    dates = records.date_text(record)
    if dates:
        _sub(did, "unitdate", dates)
    return did


def _component(export, record, documents=()):
    level = "file" if isinstance(record, RecordFile) else "item"
    component = etree.Element(_ead("c"), level=level, id=_xml_id(record.reference_code))
    did = _did(record)
    if isinstance(record, Document) and record.organ_name:
        _sub(_sub(_sub(did, "origination"), "corpname"), "part", record.organ_name)
    if record.page_count:
        extent = _sub(did, "physdescstructured", physdescstructuredtype="materialtype", coverage="whole")
        _sub(extent, "quantity", record.page_count)
        _sub(extent, "unittype", "trang")
    component.append(did)
    _sub(_sub(component, "accessrestrict"), "p", _access_note(record))
    export.counted()
    text = export.text(record)
    if text:
        _sub(_sub(component, "scopecontent"), "p", text)
    for document in documents:
        component.append(_component(export, document))
    return component


def _access_note(record):
    note = record.get_access_regime_display()
    if record.opening_date:
        note += " — " + _("mở từ ngày %(date)s") % {"date": _date(record.opening_date)}
    return note


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "ead3": write_ead3}
