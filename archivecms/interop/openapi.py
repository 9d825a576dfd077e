"""The hand-written OpenAPI 3.1 document of the JSON API (``/api/v1/schema``)."""

LEVELS = ["fonds", "series", "file", "document"]


def _string(description, **extra):
    return {"type": "string", "description": description, **extra}


def _nullable_string(description):
    return {"type": ["string", "null"], "description": description}


ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": _string("Lỗi, bằng tiếng Việt: điều gì sai và cách sửa.")},
}

CHILD = {
    "type": "object",
    "required": ["reference_code", "title", "level", "api_url"],
    "properties": {
        "reference_code": _string("Mã tham chiếu, ví dụ LT75.H19.25.07.2024.08"),
        "title": _string("Tiêu đề"),
        "level": {"type": "string", "enum": LEVELS},
        "api_url": _string("Địa chỉ API của bản ghi", format="uri"),
    },
}

CHILDREN = {
    "type": "object",
    "description": "Các bản ghi cấp dưới mà người dùng được xem trong danh sách, phân trang 100 mục.",
    "required": ["counts", "count", "page", "per_page", "results"],
    "properties": {
        "counts": {
            "type": "object",
            "description": "Số bản ghi cấp dưới theo cấp (series, file, document).",
            "additionalProperties": {"type": "integer"},
        },
        "count": {"type": "integer"},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer"},
        "next": {"type": ["string", "null"], "format": "uri"},
        "previous": {"type": ["string", "null"], "format": "uri"},
        "results": {"type": "array", "items": {"$ref": "#/components/schemas/Child"}},
    },
}

RECORD = {
    "type": "object",
    "required": ["reference_code", "level", "title", "archive", "dates", "children"],
    "properties": {
        "reference_code": _string("Mã tham chiếu hiện hành"),
        "level": {"type": "string", "enum": LEVELS},
        "title": _string("Tên phông, tên mục lục, tiêu đề hồ sơ hoặc trích yếu tài liệu"),
        "archive": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "name": {"type": "string"},
                "slug": {"type": "string"},
            },
        },
        "dates": _string("Thời gian của tài liệu, dạng hiển thị"),
        "creator": _string("Cơ quan hình thành phông hoặc cơ quan ban hành"),
        "url": {"type": ["string", "null"], "format": "uri", "description": "Trang công khai"},
        "permanent_link": _string("Đường dẫn cố định /r/<mã>/", format="uri"),
        "parent": {"oneOf": [{"$ref": "#/components/schemas/Child"}, {"type": "null"}]},
        "published": {"type": "boolean"},
        "access_regime": {
            "type": "object",
            "description": "Chế độ sử dụng (hồ sơ, tài liệu): 01 công khai, 02 có điều kiện, 03 mật.",
            "properties": {
                "code": {"type": "string", "enum": ["01", "02", "03"]},
                "label": {"type": "string"},
            },
        },
        "opening_date": {"type": ["string", "null"], "format": "date"},
        "access_reason": {"type": "string"},
        "children": {"$ref": "#/components/schemas/Children"},
        "text": _string("Nội dung nhận dạng hoặc toàn văn; chỉ có khi được xem nội dung."),
        "digital_objects": {
            "type": "array",
            "description": "Bản số hóa; chỉ có khi được xem nội dung.",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "page_count": {"type": "integer"},
                },
            },
        },
        "iiif_manifest": {
            "type": ["string", "null"],
            "format": "uri",
            "description": "IIIF Presentation 3 manifest; chỉ có khi được xem nội dung.",
        },
    },
}

SEARCH_RESULT = {
    "type": "object",
    "required": ["reference_code", "title", "level", "archive", "dates", "url", "snippet"],
    "properties": {
        "reference_code": {"type": "string"},
        "title": {"type": "string"},
        "level": {"type": "string", "enum": LEVELS},
        "archive": {"type": "string"},
        "dates": {"type": "string"},
        "url": {"type": "string", "format": "uri"},
        "snippet": _string("Đoạn trích, từ khớp được đánh dấu bằng <mark>"),
    },
}

SEARCH = {
    "type": "object",
    "required": ["count", "results", "facets"],
    "properties": {
        "count": {"type": "integer"},
        "results": {"type": "array", "items": {"$ref": "#/components/schemas/SearchResult"}},
        "facets": {"type": "object", "additionalProperties": True},
    },
}


def _query(name, description, schema=None):
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _json(ref, description):
    return {"description": description, "content": {"application/json": {"schema": {"$ref": ref}}}}


SEARCH_PARAMETERS = [
    _query("q", "Từ khóa tìm kiếm"),
    _query("archive", "Mã hoặc slug cơ quan lưu trữ"),
    _query("fonds", "Mã phông"),
    _query("level", "Cấp mô tả", {"type": "string", "enum": LEVELS}),
    _query("year_from", "Từ năm", {"type": "integer"}),
    _query("year_to", "Đến năm", {"type": "integer"}),
    _query("category", "Nhóm tài liệu"),
    _query("digitized", "Chỉ bản ghi đã số hóa", {"type": "boolean"}),
    _query("page", "Trang kết quả", {"type": "integer", "minimum": 1}),
]


def openapi_document(server_url):
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Kho lưu trữ số — API",
            "version": "1",
            "description": (
                "Mô tả hồ sơ, tài liệu và tìm kiếm. Mọi câu trả lời tuân theo quy định tiếp cận: bản ghi "
                "không được xem trả về 404 như mã không tồn tại."
            ),
        },
        "servers": [{"url": server_url.rstrip("/")}],
        "paths": {
            "/api/v1/records/{reference_code}": {
                "get": {
                    "summary": "Mô tả một phông, mục lục, hồ sơ hoặc tài liệu",
                    "parameters": [
                        {
                            "name": "reference_code",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                            "example": "LT75.H19.25.07.2024.08",
                        },
                        _query(
                            "page", "Trang của danh sách bản ghi cấp dưới", {"type": "integer", "minimum": 1}
                        ),
                    ],
                    "responses": {
                        "200": _json("#/components/schemas/Record", "Mô tả bản ghi"),
                        "301": {"description": "Mã cũ: chuyển tới địa chỉ API của mã hiện hành"},
                        "400": _json("#/components/schemas/Error", "Tham số sai"),
                        "404": _json("#/components/schemas/Error", "Không có hoặc không được xem"),
                    },
                }
            },
            "/api/v1/search": {
                "get": {
                    "summary": "Tìm kiếm hồ sơ, tài liệu được phép xem",
                    "parameters": SEARCH_PARAMETERS,
                    "responses": {
                        "200": _json("#/components/schemas/SearchResults", "Kết quả tìm kiếm"),
                        "400": _json("#/components/schemas/Error", "Tham số sai"),
                    },
                }
            },
            "/iiif/3/{reference_code}/manifest": {
                "get": {
                    "summary": "IIIF Presentation 3 manifest của hồ sơ, tài liệu đã số hóa",
                    "parameters": [
                        {
                            "name": "reference_code",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "Manifest",
                            "content": {"application/ld+json": {"schema": {"type": "object"}}},
                        },
                        "404": _json("#/components/schemas/Error", "Không có hoặc không được xem nội dung"),
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Record": RECORD,
                "Child": CHILD,
                "Children": CHILDREN,
                "SearchResult": SEARCH_RESULT,
                "SearchResults": SEARCH,
                "Error": ERROR,
            }
        },
    }
