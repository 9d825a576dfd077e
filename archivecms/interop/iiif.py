"""IIIF: Presentation 3 manifests of digitized files and documents, and a level-0 Image API 3 service.

The image service answers from the static tiles libvips wrote at processing time (``iiif/NNNN/`` under
the scan's storage folder, IIIF 3 layout) and the page images (``pages/NNNN.jpg``, the full size).
``info.json`` is rebuilt per request so that its ``id`` is this site's absolute URL whatever id the
processing wrote. Every image goes out through ``respond_with_stored_file``: one access check, the
read log and the watermark in one place.
"""

import json
import math
import re

from django.contrib.auth.models import AnonymousUser
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponsePermanentRedirect, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from archivecms.portal.models import canonical_url
from collections_app import access
from collections_app.file_serving import respond_with_stored_file
from collections_app.models import Document, ReadMethod, RecordFile, ScanPage

from . import records
from .responses import json_error

PRESENTATION_CONTEXT = "http://iiif.io/api/presentation/3/context.json"
IMAGE_CONTEXT = "http://iiif.io/api/image/3/context.json"
IMAGE_PROTOCOL = "http://iiif.io/api/image"
MANIFEST_TYPE = f'application/ld+json;profile="{PRESENTATION_CONTEXT}"'
INFO_TYPE = f'application/ld+json;profile="{IMAGE_CONTEXT}"'
RIGHTS = "http://rightsstatements.org/vocab/CNE/1.0/"
REGION = re.compile(r"^(\d+),(\d+),(\d+),(\d+)$")
SIZE = re.compile(r"^(\d+),(\d*)$")
MAX_ID = 2**63 - 1


def open_to_everyone(record):
    return access.can_view_content(AnonymousUser(), record)


def with_cors(response, record):
    """Open content may be shown by any IIIF viewer; granted or staff-only content stays same-origin."""
    if open_to_everyone(record):
        response["Access-Control-Allow-Origin"] = "*"
    else:
        response["Cache-Control"] = "private"
        response["Vary"] = "Cookie"
    return response


def ld_json(data, content_type):
    return JsonResponse(data, content_type=content_type, json_dumps_params={"ensure_ascii": False})


def language_map(text):
    return {"vi": [text], "en": [text]}


def both(vietnamese, english):
    return {"vi": [vietnamese], "en": [english]}


# Manifests.


@require_safe
def manifest(request, code):
    record, is_alias = records.find_record(code)
    if (
        record is None
        or not isinstance(record, (RecordFile, Document))
        or not access.can_view_content(request.user, record)
    ):
        return json_error(
            _(
                "Không có bản số hóa nào xem được với mã “%(code)s”: mã không đúng, hồ sơ chưa số hóa "
                "hoặc bạn không có quyền xem nội dung."
            )
            % {"code": code},
            404,
        )
    if is_alias:
        return HttpResponsePermanentRedirect(reverse("iiif_manifest", args=[record.reference_code]))
    pages = [page for scan in scans_in_manifest(request.user, record) for page in viewable_pages(scan)]
    if not pages:
        return json_error(
            _("Hồ sơ, tài liệu “%(code)s” chưa có bản số hóa đã xử lý xong.") % {"code": code}, 404
        )
    return with_cors(ld_json(build_manifest(request, record, pages), MANIFEST_TYPE), record)


def scans_in_manifest(user, record):
    """A document's scans; a file's own scans, then those of each document whose content the user may see."""
    scans = records.viewable_scans(record)
    if isinstance(record, RecordFile):
        documents = access.listable(user, record.documents.order_by("ordinal")).select_related(
            "archive", "file__fonds", "file__series"
        )
        for document in documents:
            if access.can_view_content(user, document):
                scans += records.viewable_scans(document)
    return scans


def viewable_pages(scan):
    return [page for page in scan.pages.all() if page.width and page.height and page.tiles_info]


def build_manifest(request, record, pages):
    manifest_id = request.build_absolute_uri(reverse("iiif_manifest", args=[record.reference_code]))
    archive = record.archive
    data = {
        "@context": PRESENTATION_CONTEXT,
        "id": manifest_id,
        "type": "Manifest",
        "label": language_map(record.title),
        "metadata": metadata(record),
        "requiredStatement": {
            "label": both("Nguồn", "Attribution"),
            "value": language_map(archive.name),
        },
        "rights": RIGHTS,
        "provider": [
            {
                "id": request.build_absolute_uri(f"/{archive.slug}/"),
                "type": "Agent",
                "label": language_map(archive.name),
            }
        ],
        "items": [canvas(request, manifest_id, page) for page in pages],
    }
    public_url = canonical_url(record)
    if public_url:
        data["homepage"] = [
            {
                "id": request.build_absolute_uri(public_url),
                "type": "Text",
                "label": language_map(record.title),
                "format": "text/html",
            }
        ]
    return data


def metadata(record):
    entries = [
        (both("Mã tham chiếu", "Reference code"), record.reference_code),
        (both("Thời gian", "Dates"), records.date_text(record)),
        (both("Cơ quan", "Creator"), records.creator_text(record)),
        (both("Chế độ sử dụng", "Access"), record.get_access_regime_display()),
    ]
    return [{"label": label, "value": language_map(str(value))} for label, value in entries if value]


def canvas(request, manifest_id, page):
    base = f"{manifest_id}/canvas/{page.digital_object_id}/{page.number}"
    service_id = request.build_absolute_uri(
        reverse("iiif_image_base", args=[page.digital_object_id, page.number])
    )
    return {
        "id": base,
        "type": "Canvas",
        "label": both(f"Trang {page.number}", f"Page {page.number}"),
        "width": page.width,
        "height": page.height,
        "items": [
            {
                "id": f"{base}/page",
                "type": "AnnotationPage",
                "items": [
                    {
                        "id": f"{base}/image",
                        "type": "Annotation",
                        "motivation": "painting",
                        "target": base,
                        "body": {
                            "id": f"{service_id}/full/max/0/default.jpg",
                            "type": "Image",
                            "format": "image/jpeg",
                            "width": page.width,
                            "height": page.height,
                            "service": [{"id": service_id, "type": "ImageService3", "profile": "level0"}],
                        },
                    }
                ],
            }
        ],
    }


# Image service.


def viewable_page(request, object_id, number):
    """The scan page, when it exists with tiles and the user may see its record's content; else 404."""
    if int(object_id) > MAX_ID or int(number) > MAX_ID:
        raise Http404  # beyond any stored id: the database driver would refuse the value
    page = (
        ScanPage.objects.select_related(
            "digital_object__archive", "digital_object__document__file", "digital_object__record_file"
        )
        .filter(digital_object_id=object_id, number=number)
        .first()
    )
    if (
        page is None
        or not page.tiles_info
        or not access.can_view_content(request.user, page.digital_object.record)
    ):
        raise Http404
    return page


def tiles_folder(page):
    """The page's tiles folder, relative to the scan's storage folder (``iiif/0001``)."""
    prefix = page.digital_object.storage_prefix + "/"
    folder = page.tiles_info.rsplit("/", 1)[0]
    return folder.removeprefix(prefix)


@require_safe
def image_base(request, object_id, number):
    viewable_page(request, object_id, number)
    return HttpResponseRedirect(reverse("iiif_image_info", args=[object_id, number]), status=303)


@require_safe
def image_info(request, object_id, number):
    page = viewable_page(request, object_id, number)
    try:
        with default_storage.open(page.tiles_info, "rb") as handle:
            stored = json.load(handle)
    except (OSError, ValueError):
        stored = {}
    service_id = request.build_absolute_uri(reverse("iiif_image_base", args=[object_id, number]))
    info = {
        "@context": IMAGE_CONTEXT,
        "id": service_id,
        "type": "ImageService3",
        "protocol": IMAGE_PROTOCOL,
        "profile": "level0",
        "width": page.width,
        "height": page.height,
        "sizes": stored_sizes(page),
    }
    if stored.get("tiles"):
        info["tiles"] = stored["tiles"]
    return with_cors(ld_json(info, INFO_TYPE), page.digital_object.record)


def stored_sizes(page):
    """The whole-image sizes that exist as files: the reduced levels dzsave wrote, and the page image."""
    whole = f"0,0,{page.width},{page.height}"
    folder = f"{page.digital_object.storage_prefix}/{tiles_folder(page)}/{whole}"
    sizes = set()
    try:
        names, _files = default_storage.listdir(folder)
    except (OSError, NotImplementedError):
        names = []
    for name in names:
        match = SIZE.match(name)
        if match and match.group(2):
            sizes.add((int(match.group(1)), int(match.group(2))))
    sizes.add((page.width, page.height))
    return [{"width": width, "height": height} for width, height in sorted(sizes)]


@require_safe
def image(request, object_id, number, region, size, rotation, quality, image_format):
    page = viewable_page(request, object_id, number)
    if rotation != "0" or quality != "default" or image_format != "jpg":
        return json_error(
            _(
                "Dịch vụ ảnh chỉ cung cấp ảnh JPEG gốc (xoay 0, chất lượng default, định dạng jpg) "
                "theo IIIF mức 0. Hãy dùng đúng các ô trong info.json."
            ),
            400,
        )
    name = stored_image_name(page, region, size)
    if name is None:
        return json_error(
            _(
                "Không có ô ảnh %(region)s cỡ %(size)s. Dịch vụ IIIF mức 0 chỉ trả các ô và cỡ "
                "liệt kê trong info.json."
            )
            % {"region": region, "size": size},
            404,
        )
    response = respond_with_stored_file(request, page.digital_object, name, method=ReadMethod.IIIF)
    return with_cors(response, page.digital_object.record)


def stored_image_name(page, region, size):
    """The stored file answering a level-0 request, relative to the scan's folder; None if none does."""
    width, height = page.width, page.height
    if region == "full":
        region = f"0,0,{width},{height}"
    match = REGION.match(region)
    if match is None:
        return None
    x, y, region_width, region_height = (int(value) for value in match.groups())
    if region_width == 0 or region_height == 0:
        return None
    whole = (x, y, region_width, region_height) == (0, 0, width, height)
    if size == "max" and whole:
        return page_image_name(page)
    for size_width, size_height in size_candidates(size, region_width, region_height):
        if whole and (size_width, size_height) == (width, height):
            return page_image_name(page)
        name = f"{tiles_folder(page)}/{region}/{size_width},{size_height}/0/default.jpg"
        if default_storage.exists(f"{page.digital_object.storage_prefix}/{name}"):
            return name
    return None


def size_candidates(size, region_width, region_height):
    """``w,h`` as written; for ``w,`` the heights a scaled-down region may have been rounded to."""
    if size == "max":
        return [(region_width, region_height)]
    match = SIZE.match(size)
    if match is None:
        return []
    size_width = int(match.group(1))
    if match.group(2):
        return [(size_width, int(match.group(2)))]
    exact = region_height * size_width / region_width
    return [
        (size_width, value) for value in dict.fromkeys((round(exact), math.ceil(exact), math.floor(exact)))
    ]


def page_image_name(page):
    prefix = page.digital_object.storage_prefix + "/"
    if page.image and page.image.name.startswith(prefix):
        return page.image.name.removeprefix(prefix)
    return None
