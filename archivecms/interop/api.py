"""The JSON API: ``/api/v1/records/<reference-code>`` and its OpenAPI document ``/api/v1/schema``.

Every answer asks the access module: a record the user may not see answers 404 exactly like an
unknown code, children are those the user may list, and scans, IIIF manifests and text appear only
when the user may view the record's content.
"""

from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from archivecms.portal.models import canonical_url
from collections_app import access
from collections_app.models import Document, Fonds, ReadMethod, RecordFile
from collections_app.read_log import log_content_read

from . import iiif, records
from .openapi import openapi_document
from .responses import json_error, read_only

CHILDREN_PER_PAGE = 100
MAX_PAGE = 1_000_000


def not_found(code):
    return json_error(
        _(
            "Không tìm thấy hồ sơ, tài liệu nào có mã “%(code)s”, hoặc bạn không có quyền xem. "
            "Hãy kiểm tra lại mã tham chiếu."
        )
        % {"code": code},
        404,
    )


def record_api_url(request, record):
    return request.build_absolute_uri(reverse("api_record", args=[record.reference_code]))


def manifest_url(request, record):
    return request.build_absolute_uri(reverse("iiif_manifest", args=[record.reference_code]))


@read_only
def record_detail(request, code):
    record, is_alias = records.find_record(code)
    if record is None or not access.can_view_metadata(request.user, record):
        return not_found(code)
    if is_alias:
        return HttpResponsePermanentRedirect(reverse("api_record", args=[record.reference_code]))
    page = _page_number(request)
    if page is None:
        return json_error(_("Tham số “page” phải là số nguyên dương (1, 2, 3…). Hãy sửa lại địa chỉ."), 400)
    data = describe(request, record)
    data["children"] = children_page(request, record, page)
    if access.can_view_content(request.user, record):
        data.update(content(request, record))
        log_content_read(request, record, ReadMethod.API)
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    if _open_to_everyone(record):
        response["Access-Control-Allow-Origin"] = "*"
    else:
        response["Cache-Control"] = "private"
    return response


def _page_number(request):
    written = request.GET.get("page", "1")
    if not (written.isascii() and written.isdigit()) or not 1 <= int(written) <= MAX_PAGE:
        return None
    return int(written)


def _open_to_everyone(record):
    from django.contrib.auth.models import AnonymousUser

    return access.can_view_metadata(AnonymousUser(), record)


def describe(request, record):
    """The description every level shares, then what is particular to the level."""
    archive = record.archive
    data = {
        "reference_code": record.reference_code,
        "level": records.level_of(record),
        "title": record.title,
        "archive": {"code": archive.code, "name": archive.name, "slug": archive.slug},
        "dates": records.date_text(record),
        "creator": records.creator_text(record),
        "url": _public_url(request, record),
        "permanent_link": request.build_absolute_uri(record.get_absolute_url()),
        "parent": _parent(request, record),
        "published": record.is_published,
    }
    data.update(_level_fields(record))
    return data


def _public_url(request, record):
    url = canonical_url(record)
    return request.build_absolute_uri(url) if url else None


def _parent(request, record):
    parents = access.parents_of(record)
    if not parents:
        return None
    parent = parents[0]
    return {
        "reference_code": parent.reference_code,
        "title": parent.title,
        "level": records.level_of(parent),
        "api_url": record_api_url(request, parent),
    }


def _level_fields(record):
    if isinstance(record, Fonds):
        return {
            "fonds_code": record.code,
            "creator_code": record.creator_code,
            "history": record.creating_body_history,
            "notes": record.notes,
        }
    if isinstance(record, (RecordFile, Document)):
        fields = {
            "access_regime": {"code": record.access_regime, "label": record.get_access_regime_display()},
            "opening_date": record.opening_date.isoformat() if record.opening_date else None,
            "access_reason": record.access_reason,
            "retention": record.get_retention_display(),
            "languages": list(record.languages or []),
            "description": record.description,
        }
        if isinstance(record, RecordFile):
            fields.update(
                {
                    "file_code": record.file_code,
                    "year": record.year,
                    "file_number": record.file_number,
                    "creator_code": record.creator_code,
                    "page_count": record.page_count,
                    "box": record.box,
                }
            )
        else:
            fields.update(
                {
                    "doc_id": record.doc_id,
                    "ordinal": record.ordinal,
                    "type": {"code": record.type_name, "label": record.get_type_name_display()},
                    "number_and_notation": record.number_and_notation,
                    "issued_date": record.issued_date_display,
                    "organ_name": record.organ_name,
                    "page_count": record.page_count,
                }
            )
        return fields
    return {"series_number": record.number, "description": record.description}


def children_page(request, record, page):
    """Counts of the listable children per level, and one page of them (all levels in order)."""
    querysets = records.listable_children(request.user, record)
    counted = [(queryset, queryset.count()) for queryset in querysets]
    counts = {}
    for queryset, count in counted:
        level = queryset.model.level_slug
        counts[level] = counts.get(level, 0) + count
    total = sum(counts.values())
    start = (page - 1) * CHILDREN_PER_PAGE
    items = [
        {
            "reference_code": child.reference_code,
            "title": child.title,
            "level": records.level_of(child),
            "api_url": record_api_url(request, child),
        }
        for child in _page_of(counted, start, CHILDREN_PER_PAGE)
    ]
    base = request.build_absolute_uri(request.path)
    has_next = start + CHILDREN_PER_PAGE < total
    return {
        "counts": counts,
        "count": total,
        "page": page,
        "per_page": CHILDREN_PER_PAGE,
        "next": f"{base}?page={page + 1}" if has_next else None,
        "previous": f"{base}?page={page - 1}" if page > 1 else None,
        "results": items,
    }


def _page_of(counted, start, size):
    """``size`` children from ``start`` across the levels' querysets, slicing each in the database."""
    for queryset, count in counted:
        if size <= 0:
            return
        if start >= count:
            start -= count
            continue
        chunk = list(queryset[start : start + size])
        yield from chunk
        size -= len(chunk)
        start = 0


def content(request, record):
    """Scans, their IIIF manifest and the text: only for a user who may view the content."""
    scans = iiif.scans_in_manifest(request.user, record)
    data = {"text": records.text_of(record)}
    data["digital_objects"] = [
        {
            "id": scan.pk,
            "name": scan.original_name,
            "record": scan.record.reference_code,
            "page_count": len(scan.pages.all()),
        }
        for scan in scans
    ]
    data["iiif_manifest"] = manifest_url(request, record) if scans else None
    return data


@read_only
def schema(request):
    response = JsonResponse(
        openapi_document(request.build_absolute_uri("/")), json_dumps_params={"ensure_ascii": False}
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response
