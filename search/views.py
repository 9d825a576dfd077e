"""The public search page ``/search/`` and the JSON search ``/api/v1/search``."""

from django.http import JsonResponse as DjangoJsonResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from .engine import PageOutOfRange, search_records
from .filters import InvalidSearch, parse_filters, parse_page
from .query import MAX_QUERY_LENGTH
from .suggest import suggestions


def JsonResponse(data, status=200):
    return DjangoJsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


@require_GET
def search_page(request):
    query_text = request.GET.get("q", "")
    context = {"query_text": query_text[:MAX_QUERY_LENGTH], "result": None, "error": ""}
    try:
        filters = parse_filters(request.GET)
        page = parse_page(request.GET)
        result = search_records(request.user, query_text, filters, page)
    except InvalidSearch as error:
        context["error"] = str(error)
        return render(request, "search/search.html", context, status=400)
    filters = result.filters
    params = {"q": result.query.text, **filters.as_params()}
    context.update(
        result=result,
        truncated=len(query_text) > MAX_QUERY_LENGTH,
        facet_groups=_facet_groups(result, params),
        active_filters=_active_filters(filters, params),
        page_links=_page_links(result, params),
        first_index=(result.number - 1) * result.per_page + 1,
    )
    return render(request, "search/search.html", context)


@require_GET
def search_api(request):
    try:
        filters = parse_filters(request.GET)
        page = parse_page(request.GET)
        query_text = request.GET.get("q", "")
        result = search_records(request.user, query_text, filters, page, strict_page=True)
    except InvalidSearch as error:
        return JsonResponse({"error": str(error)}, status=400)
    except PageOutOfRange as error:
        message = _("Trang %(page)s vượt quá số trang kết quả (%(last)s trang).") % {
            "page": page,
            "last": error.last_page,
        }
        return JsonResponse({"error": message, "last_page": error.last_page}, status=400)
    if result.query.is_empty:
        message = _("Hãy nhập từ cần tìm vào tham số q, ví dụ /api/v1/search?q=đất+đai.")
        return JsonResponse({"error": message}, status=400)
    return JsonResponse(
        {
            "count": result.count,
            "page": result.number,
            "num_pages": result.num_pages,
            "results": [_hit_json(hit) for hit in result.hits],
            "facets": result.facets,
            "places": [_place_json(notice) for notice in result.places],
        }
    )


@require_GET
def suggest_api(request):
    """``/api/v1/search/suggest?q=`` → ``{"suggestions": [{"title", "level", "url"}, ...]}``."""
    return JsonResponse({"suggestions": suggestions(request.user, request.GET.get("q", ""))})


def _hit_json(hit):
    data = {
        "reference_code": hit.code,
        "title": hit.title,
        "level": hit.level.slug,
        "archive": hit.archive.slug if hit.archive else "",
        "dates": hit.dates,
        "url": hit.url,
        "snippet": str(hit.snippet),
    }
    if hit.page_number:
        data["page"] = hit.page_number
    return data


def _place_json(notice):
    return {
        "unit": str(notice.unit),
        "now_part_of": [str(unit) for unit in notice.successors],
        "archives": [{"slug": archive.slug, "name": archive.name} for archive in notice.archives],
    }


FACET_TITLES = {
    "archive": gettext_lazy("Cơ quan lưu trữ"),
    "fonds": gettext_lazy("Phông"),
    "level": gettext_lazy("Cấp mô tả"),
    "decade": gettext_lazy("Thời gian"),
    "category": gettext_lazy("Nhóm tài liệu"),
    "digitized": gettext_lazy("Số hóa"),
    "unit": gettext_lazy("Đơn vị hành chính (hiện nay và trước đây)"),
    "regime": gettext_lazy("Chế độ sử dụng"),
    "status": gettext_lazy("Trạng thái công bố"),
}


def _facet_groups(result, params):
    groups = []
    for name, entries in result.facets.items():
        links = []
        for entry in entries:
            if name == "decade":
                changes = {"year_from": entry["value"], "year_to": entry["value"] + 9}
            else:
                changes = {name: entry["value"]}
            links.append({**entry, "url": "?" + urlencode({**params, **changes})})
        if links:
            groups.append({"title": FACET_TITLES[name], "links": links})
    return groups


FILTER_LABELS = {
    "archive": gettext_lazy("Cơ quan lưu trữ"),
    "fonds": gettext_lazy("Phông"),
    "level": gettext_lazy("Cấp mô tả"),
    "year_from": gettext_lazy("Từ năm"),
    "year_to": gettext_lazy("Đến năm"),
    "category": gettext_lazy("Nhóm tài liệu"),
    "digitized": gettext_lazy("Số hóa"),
    "unit": gettext_lazy("Đơn vị hành chính"),
    "number": gettext_lazy("Số, ký hiệu"),
    "regime": gettext_lazy("Chế độ sử dụng"),
    "status": gettext_lazy("Trạng thái công bố"),
}


def _active_filters(filters, params):
    """Each filter in use, with a link that removes it."""
    removable = []
    for name, value in filters.as_params().items():
        rest = {key: item for key, item in params.items() if key != name}
        removable.append(
            {"name": name, "label": FILTER_LABELS[name], "value": value, "url": "?" + urlencode(rest)}
        )
    return removable


def _page_links(result, params):
    def url(number):
        return "?" + urlencode({**params, "page": number})

    return {
        "first": url(1),
        "previous": url(result.number - 1),
        "next": url(result.number + 1),
        "last": url(result.num_pages),
    }
