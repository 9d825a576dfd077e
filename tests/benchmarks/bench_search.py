"""The public search at provincial scale: indexing rate, query latency with facets, and its floor.

A catalogue of BENCH_SEARCH_DOCS documents (default 1,000,000 on PostgreSQL, 200,000 on SQLite) is
written in bulk (``collections_app.bulk``; not timed) into four archives, each keeping the fonds of
its province's bodies and of the former provinces merged into it (Bình Phước in Đồng Nai, Hà Giang in
Tuyên Quang, Bình Dương and Bà Rịa - Vũng Tàu in Hồ Chí Minh, Hải Dương in Hải Phòng): files of 20
documents about land, investment, personnel, construction, finance, complaints; local numbers and
notations (``1234/QĐ-UBND``, ``56/TTr-STNMT``), copies of central documents (``43/2014/NĐ-CP``),
issued 1976–2025; a category per record; 90 % open, 7 % conditional not yet open, 3 % secret, 5 %
drafts; about 10 % with a scan (a ``DigitalObject`` and its pages) and a few hundred words of OCR text.

1. Indexing: every fonds, series, file and document, in chunks of ``INDEX_CHUNK`` ids. On PostgreSQL
   as production indexes: an ``index_records`` task per chunk in the database task queue, run by
   BENCH_SEARCH_WORKERS ``db_worker`` processes. On SQLite (in memory, out of other processes' reach)
   or with BENCH_SEARCH_WORKERS=0: ``search.indexing.index_ids`` in this process, each chunk in its
   own transaction. Prints records/s. Target ≥ 2,000/s.
2. Queries: 30 representative queries (accented, unaccented, old tone placement, document numbers,
   symbols, reference codes, phrases, exclusions, former place names, common and rare words, OCR-only
   words, with and without a year or archive filter) through
   ``search.engine.search_records(AnonymousUser(), q, filters)``, which computes the hits, snippets
   and facets of the first page as ``/search/`` shows them. Warm-up runs, then timed repetitions;
   prints p50 and p95 over all runs. Target p95 ≤ 200 ms.
3. Floor: the text part of each query issued as one raw full-text statement pair on the index table
   (the 20 best ids and the count of matches): PostgreSQL ``to_tsquery`` with the backend's own text
   search configuration on the index entries' ``body`` ranked by ``ts_rank``; SQLite FTS5
   ``MATCH`` on the FTS5 table (``<index table>_fts``: title, body) ranked by ``bm25``. No access rules, no
   filters, no facets, no snippets: what the database alone needs to find the words. On PostgreSQL
   both run with the search's working memory (``SEARCH_WORK_MEM``). Prints the ratio engine / floor
   per query and overall.

PASS/FAIL is printed, never asserted: the test fails only when indexing loses records or a query
errors. Run (see README.md in this folder)::

    URL=$(bash scripts/postgres-test-database.sh)
    DATABASE_URL=${URL%/*}/kho_benchsearch BENCH_SEARCH_DOCS=20000 \\
        .venv/bin/pytest tests/benchmarks/bench_search.py -s -p no:cacheprovider -o addopts=""

Environment:
    BENCH_SEARCH_DOCS     documents (default 1000000 on PostgreSQL, 200000 on SQLite)
    BENCH_SEARCH_WARMUP   untimed runs of each query first (default 2)
    BENCH_SEARCH_REPEAT   timed runs of each query (default 5)
    BENCH_SEARCH_REUSE    1: with ``--reuse-db``, keep a catalogue and index of the same size from the
                          previous run and measure only the queries
    BENCH_SEARCH_WORKERS  PostgreSQL: ``db_worker`` processes that index, through the task queue as
                          production does (default 2); 0: ``index_ids`` called in this process
    BENCH_SEARCH_EXPLAIN  1: print PostgreSQL's plan of the slowest query's floor (default 0)
    BENCH_SEARCH_PROFILE  1: one more run of the slowest query under cProfile; prints the costliest
                          functions and the SQL statements that took the most time in total
"""

import cProfile
import datetime
import hashlib
import io
import os
import pstats
import random
import statistics
import time
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Max, Min
from django.test import override_settings
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from modelsearch.backends import get_search_backend
from modelsearch.conf import get_app_config

from archivecms.portal.factories import archive_page, national_home
from collections_app.bulk import create_documents_in_batches, create_files_in_batches
from collections_app.factories import ArchiveFactory, current_province
from collections_app.models import (
    AdministrativeUnit,
    Archive,
    Category,
    DigitalObject,
    Document,
    Fonds,
    RecordFile,
    ScanPage,
    Series,
)
from collections_app.models.digital import ProcessingState
from collections_app.vocabularies import AccessRegime, PublicationStatus
from search.backend import size_working_memory
from search.engine import search_records
from search.filters import SearchFilters
from search.indexing import INDEX_CHUNK, index_ids
from search.query import parse
from search.tasks import index_records

pytestmark = pytest.mark.benchmark


def env_int(name, default):
    return int(os.environ.get(name, "").replace("_", "") or default)


def index_entry_model():
    """modelsearch's IndexEntry as installed (Wagtail's ``wagtailsearch_indexentry`` here)."""
    return get_app_config().get_model("IndexEntry")


def default_documents():
    return 1_000_000 if connection.vendor == "postgresql" else 200_000


WARMUP = env_int("BENCH_SEARCH_WARMUP", 2)
REPEAT = max(1, env_int("BENCH_SEARCH_REPEAT", 5))
REUSE = os.environ.get("BENCH_SEARCH_REUSE", "0") == "1"
EXPLAIN = os.environ.get("BENCH_SEARCH_EXPLAIN", "0") == "1"
PROFILE = os.environ.get("BENCH_SEARCH_PROFILE", "0") == "1"
WORKERS = env_int("BENCH_SEARCH_WORKERS", 2)

TARGET_INDEX_RATE = 2_000
TARGET_P95_MS = 200
PER_FILE = 20
FILES_PER_SERIES = 2_000
OCR_SHARE = 0.10
BATCH = 2_000
SEED = 20251125
RESULTS = {}


# The catalogue's vocabulary -------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveSpec:
    code: str
    name: str
    slug: str
    province: str
    former: tuple


ARCHIVES = (
    ArchiveSpec(
        "LT91",
        "Trung tâm Lưu trữ lịch sử tỉnh Đồng Nai",
        "bench-search-dong-nai",
        "Đồng Nai",
        ("Bình Phước",),
    ),
    ArchiveSpec(
        "LT92",
        "Trung tâm Lưu trữ lịch sử tỉnh Tuyên Quang",
        "bench-search-tuyen-quang",
        "Tuyên Quang",
        ("Hà Giang",),
    ),
    ArchiveSpec(
        "LT93",
        "Trung tâm Lưu trữ lịch sử Thành phố Hồ Chí Minh",
        "bench-search-ho-chi-minh",
        "Hồ Chí Minh",
        ("Bình Dương", "Bà Rịa - Vũng Tàu"),
    ),
    ArchiveSpec(
        "LT94",
        "Trung tâm Lưu trữ lịch sử thành phố Hải Phòng",
        "bench-search-hai-phong",
        "Hải Phòng",
        ("Hải Dương",),
    ),
)

# Districts and communes (or wards) of each province, as they appear in titles. Some keep the old
# tone placement ("Hoà", "Thuỷ") that records of the period carry.
PLACES = {
    "Đồng Nai": (
        ("Biên Hòa", "Long Thành", "Nhơn Trạch", "Trảng Bom", "Định Quán", "Xuân Lộc"),
        ("Long Thọ", "Phước Thiền", "Hiệp Phước", "Tam Phước", "An Hoà", "Bàu Hàm", "Phú Hữu"),
    ),
    "Bình Phước": (
        ("Đồng Xoài", "Bình Long", "Lộc Ninh", "Bù Đăng", "Chơn Thành"),
        ("Tân Thành", "Lộc Hưng", "Minh Hưng", "Đức Liễu", "Thanh Hoà"),
    ),
    "Tuyên Quang": (
        ("Yên Sơn", "Hàm Yên", "Chiêm Hoá", "Sơn Dương", "Na Hang"),
        ("Tân Trào", "Kim Bình", "Minh Quang", "Thái Bình", "Hồng Thái"),
    ),
    "Hà Giang": (
        ("Đồng Văn", "Mèo Vạc", "Quản Bạ", "Bắc Mê", "Vị Xuyên", "Hoàng Su Phì"),
        ("Lũng Cú", "Phố Bảng", "Sủng Là", "Thanh Thủy", "Tùng Vài"),
    ),
    "Hồ Chí Minh": (
        ("Thủ Đức", "Củ Chi", "Bình Chánh", "Hóc Môn", "Nhà Bè", "Cần Giờ"),
        ("Tân Thông Hội", "Phước Kiển", "Bình Hưng", "An Thới Đông", "Long Hoà"),
    ),
    "Bình Dương": (
        ("Thủ Dầu Một", "Dĩ An", "Thuận An", "Bến Cát", "Tân Uyên", "Dầu Tiếng"),
        ("Chánh Nghĩa", "Lái Thiêu", "Mỹ Phước", "Tân Định", "Thanh Tuyền"),
    ),
    "Bà Rịa - Vũng Tàu": (
        ("Vũng Tàu", "Bà Rịa", "Châu Đức", "Xuyên Mộc", "Long Điền", "Côn Đảo"),
        ("Phước Hưng", "Kim Long", "Bình Châu", "Long Hải", "Phước Tỉnh"),
    ),
    "Hải Phòng": (
        ("Thủy Nguyên", "Kiến An", "An Dương", "Tiên Lãng", "Vĩnh Bảo", "Cát Hải"),
        ("Lập Lễ", "Đại Bản", "Quang Phục", "Cổ Am", "Hoà Nghĩa"),
    ),
    "Hải Dương": (
        ("Chí Linh", "Kinh Môn", "Cẩm Giàng", "Gia Lộc", "Thanh Hà", "Nam Sách"),
        ("Phả Lại", "Hiệp Sơn", "Cẩm Điền", "Gia Xuyên", "Thanh Hồng"),
    ),
}

# Fonds of each province: (name pattern, notation suffix, topics of its files).
ORGANS = (
    (
        "Ủy ban nhân dân {kind} {province}",
        "UBND",
        ("land", "investment", "personnel", "finance", "complaint"),
    ),
    ("Sở Tài nguyên và Môi trường {kind} {province}", "STNMT", ("land", "complaint")),
    ("Sở Kế hoạch và Đầu tư {kind} {province}", "SKHĐT", ("investment",)),
    ("Sở Nội vụ {kind} {province}", "SNV", ("personnel",)),
    ("Sở Xây dựng {kind} {province}", "SXD", ("construction",)),
    ("Sở Tài chính {kind} {province}", "STC", ("finance",)),
)
CATEGORY_OF_TOPIC = {
    "land": ("dat-dai", "Đất đai"),
    "investment": ("du-an-dau-tu", "Dự án đầu tư"),
    "personnel": ("to-chuc-can-bo", "Tổ chức, cán bộ"),
    "construction": ("quy-hoach-xay-dung", "Quy hoạch, xây dựng"),
    "finance": ("tai-chinh-ngan-sach", "Tài chính, ngân sách"),
    "complaint": ("dat-dai", "Đất đai"),
}
FAMILY_NAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ")
MIDDLE_NAMES = ("Văn", "Thị", "Hữu", "Minh", "Thanh", "Quốc", "Ngọc", "Đức")
GIVEN_NAMES = ("Bình", "An", "Hùng", "Lan", "Hoà", "Thủy", "Dũng", "Hương", "Tâm", "Phúc", "Quý", "Long")
COMPANIES = (
    "Công ty cổ phần Sonadezi Long Thành",
    "Công ty TNHH Phát triển Khu công nghiệp Nhơn Trạch",
    "Công ty cổ phần Đầu tư Xây dựng Hoà Bình",
    "Tổng công ty Becamex IDC",
    "Công ty TNHH Thương mại Dịch vụ Phú Thịnh",
    "Hợp tác xã Nông nghiệp Thành Công",
    "Công ty cổ phần Cao su Đồng Phú",
)
PROJECTS = (
    "Khu công nghiệp {district}",
    "Khu dân cư {commune}",
    "đường giao thông liên xã {commune}",
    "Cụm công nghiệp {district}",
    "Khu tái định cư {commune}",
    "nhà máy xử lý nước thải {district}",
)
WORKS = (
    "trụ sở Ủy ban nhân dân xã {commune}",
    "cầu {commune}",
    "Trường Trung học cơ sở {commune}",
    "kênh thủy lợi {commune}",
    "chợ {commune}",
)
DEPARTMENTS = ("Tài nguyên và Môi trường", "Kế hoạch và Đầu tư", "Nội vụ", "Xây dựng", "Tài chính", "Tư pháp")

FILE_TITLES = {
    "land": (
        "Hồ sơ giao đất, cho thuê đất đối với hộ gia đình, cá nhân tại xã {commune}, huyện {district}",
        "Hồ sơ thu hồi đất để thực hiện dự án {project}",
        "Hồ sơ cấp giấy chứng nhận quyền sử dụng đất cho {company}",
        "Hồ sơ kiểm kê đất đai năm {year} huyện {district}",
    ),
    "investment": (
        "Hồ sơ chấp thuận chủ trương đầu tư dự án {project} của {company}",
        "Hồ sơ cấp giấy chứng nhận đăng ký đầu tư dự án {project}",
        "Hồ sơ về tình hình thu hút vốn đầu tư năm {year}",
    ),
    "personnel": (
        "Hồ sơ bổ nhiệm cán bộ lãnh đạo Sở {department} năm {year}",
        "Hồ sơ nâng bậc lương cán bộ, công chức năm {year}",
        "Hồ sơ khen thưởng phong trào thi đua yêu nước năm {year}",
    ),
    "construction": (
        "Hồ sơ công trình {work}",
        "Hồ sơ cấp giấy phép xây dựng tại huyện {district} năm {year}",
        "Hồ sơ quy hoạch chi tiết xây dựng {project}",
    ),
    "finance": (
        "Hồ sơ giao dự toán ngân sách nhà nước năm {year}",
        "Hồ sơ quyết toán ngân sách xã {commune} năm {year}",
    ),
    "complaint": (
        "Hồ sơ giải quyết khiếu nại của công dân về bồi thường, hỗ trợ tái định cư tại xã {commune}",
        "Hồ sơ thanh tra việc quản lý, sử dụng đất tại huyện {district}",
    ),
}
# (DocumentType code, notation prefix, title); a prefix ending in "-" takes the organ's suffix.
DOCUMENT_TITLES = {
    "land": (
        ("15", "TTr-", "Tờ trình đề nghị giao đất cho hộ {person} tại xã {commune}"),
        ("02", "QĐ-", "Quyết định về việc giao đất cho hộ {person} tại xã {commune}, huyện {district}"),
        ("02", "QĐ-", "Quyết định thu hồi đất để thực hiện dự án {project}"),
        ("22", "UBND-KT", "Công văn về việc điều chỉnh quy hoạch sử dụng đất huyện {district}"),
        ("02", "QĐ-", "Quyết định cấp giấy chứng nhận quyền sử dụng đất cho {company}"),
        ("20", "BB-", "Biên bản kiểm tra hiện trạng sử dụng đất tại xã {commune}"),
        ("14", "BC-", "Báo cáo kết quả kiểm kê đất đai năm {year} trên địa bàn huyện {district}"),
    ),
    "investment": (
        ("02", "QĐ-", "Quyết định chấp thuận chủ trương đầu tư dự án {project} của {company}"),
        ("15", "TTr-", "Tờ trình về việc thẩm định dự án {project}"),
        ("22", "UBND-KT", "Công văn về việc gia hạn tiến độ thực hiện dự án {project}"),
        ("14", "BC-", "Báo cáo tình hình thu hút vốn đầu tư trực tiếp nước ngoài năm {year}"),
    ),
    "personnel": (
        ("02", "QĐ-", "Quyết định bổ nhiệm ông {person} giữ chức Phó Giám đốc Sở {department}"),
        ("02", "QĐ-", "Quyết định nâng bậc lương thường xuyên cho cán bộ, công chức Sở {department}"),
        (
            "02",
            "QĐ-",
            "Quyết định khen thưởng tập thể, cá nhân có thành tích trong phong trào thi đua năm {year}",
        ),
        (
            "15",
            "TTr-",
            "Tờ trình về việc thành lập Phòng {department} thuộc Ủy ban nhân dân huyện {district}",
        ),
    ),
    "construction": (
        ("02", "QĐ-", "Quyết định phê duyệt báo cáo kinh tế - kỹ thuật công trình {work}"),
        ("20", "BB-", "Biên bản nghiệm thu hoàn thành công trình {work}"),
        ("22", "SXD-QLXD", "Công văn về việc cấp giấy phép xây dựng công trình {work}"),
        ("02", "QĐ-", "Quyết định phê duyệt quy hoạch chi tiết tỷ lệ 1/500 {project}"),
    ),
    "finance": (
        ("02", "QĐ-", "Quyết định giao dự toán ngân sách nhà nước năm {year} cho Sở {department}"),
        ("14", "BC-", "Báo cáo quyết toán ngân sách xã {commune} năm {year}"),
        ("22", "STC-NS", "Công văn về việc bổ sung kinh phí cho huyện {district}"),
    ),
    "complaint": (
        ("02", "QĐ-", "Quyết định giải quyết khiếu nại của bà {person} về bồi thường, hỗ trợ tái định cư"),
        ("07", "TB-", "Thông báo kết luận thanh tra việc quản lý, sử dụng đất tại xã {commune}"),
        ("20", "BB-", "Biên bản đối thoại với hộ {person} về phương án bồi thường"),
    ),
}
# Rare matters: a handful of documents in the whole catalogue, for the rare-word queries.
RARE_TITLES = (
    (1976, 1989, "22", "UBND-TM", "Công văn về việc phân phối tem phiếu lương thực quý {quarter} năm {year}"),
    (1995, 2025, "02", "QĐ-", "Quyết định phê duyệt phương án di dời mồ mả khu vực dự án {project}"),
)
RARE_SHARE = 0.002
# Copies of central documents kept in provincial files (number, notation, organ, title, year).
CENTRAL_DOCUMENTS = (
    (
        "64",
        "CP",
        "Chính phủ",
        "Nghị định ban hành bản quy định về việc giao đất nông nghiệp cho hộ gia "
        "đình, cá nhân sử dụng ổn định lâu dài vào mục đích sản xuất nông nghiệp",
        1993,
    ),
    (
        "43",
        "2014/NĐ-CP",
        "Chính phủ",
        "Nghị định quy định chi tiết thi hành một số điều của Luật Đất đai",
        2014,
    ),
    (
        "47",
        "2014/NĐ-CP",
        "Chính phủ",
        "Nghị định quy định về bồi thường, hỗ trợ, tái định cư khi Nhà nước thu hồi đất",
        2014,
    ),
    (
        "15",
        "2019/NĐ-CP",
        "Chính phủ",
        "Nghị định quy định chi tiết một số điều và biện pháp thi hành Luật Giáo dục nghề nghiệp",
        2019,
    ),
    ("10", "NQ/TW", "Bộ Chính trị", "Nghị quyết về đổi mới quản lý kinh tế nông nghiệp", 1988),
)
CENTRAL_SHARE = 0.01
OCR_CLAUSES = (
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
    "Căn cứ Luật Đất đai ngày 29 tháng 11 năm 2013;",
    "Căn cứ Luật Đầu tư ngày 17 tháng 6 năm 2020;",
    "Căn cứ Luật Xây dựng ngày 18 tháng 6 năm 2014;",
    "Xét đề nghị của Giám đốc Sở {department} tại Tờ trình số {number}/TTr-{suffix} ngày {day} tháng "
    "{month} năm {year},",
    "Diện tích đất thu hồi là {area} m², thuộc thửa đất số {parcel}, tờ bản đồ số {sheet} tại xã {commune}.",
    "Giao Ủy ban nhân dân huyện {district} phối hợp với Trung tâm Phát triển quỹ đất tổ chức bồi thường, "
    "hỗ trợ và tái định cư theo quy định.",
    "Hộ {person} có trách nhiệm bàn giao mặt bằng trong thời hạn 30 ngày kể từ ngày nhận được quyết định.",
    "Kinh phí thực hiện từ nguồn ngân sách tỉnh năm {year}, tổng số tiền {amount} đồng.",
    "Chánh Văn phòng Ủy ban nhân dân tỉnh, Giám đốc các Sở: {department}, Tài chính, Xây dựng; Chủ tịch Ủy "
    "ban nhân dân huyện {district} và các tổ chức, cá nhân có liên quan chịu trách nhiệm thi hành quyết "
    "định này.",
    "Quyết định này có hiệu lực kể từ ngày ký.",
    "Nơi nhận: Như Điều 3; Thường trực Tỉnh ủy; Thường trực Hội đồng nhân dân tỉnh; Lưu: VT.",
    "Trong năm, toàn tỉnh đã thu hút {count} dự án với tổng vốn đăng ký {amount} triệu đồng, tập trung vào "
    "công nghiệp chế biến, chế tạo và hạ tầng khu công nghiệp.",
    "Qua kiểm tra, đoàn công tác ghi nhận hiện trạng công trình {work} đảm bảo chất lượng, đủ điều kiện đưa "
    "vào sử dụng.",
    "Công dân {person} trình bày việc bồi thường chưa thỏa đáng, đề nghị xem xét lại đơn giá đất nông "
    "nghiệp.",
    "Ông {person}, sinh năm {birth}, trình độ chuyên môn cử nhân luật, đã qua lớp bồi dưỡng quản lý nhà "
    "nước.",
    "Các đơn vị tổng hợp số liệu, báo cáo về Sở {department} trước ngày {day} tháng {month} năm {year}.",
    "Việc chấp hành kỷ luật tài chính còn hạn chế, một số khoản chi chưa đúng định mức, cần chấn chỉnh "
    "kịp thời.",
)


# Generating the catalogue -----------------------------------------------------------------------------


@dataclass
class Matter:
    """What one file is about: its topic, organ, year, and the names its documents repeat."""

    topic: str
    year: int
    province: str
    suffix: str
    organ: str
    values: dict

    def fill(self, template, **extra):
        return template.format(**self.values, **extra)


def new_matter(rng, fonds_info, year):
    province = fonds_info["province"]
    districts, communes = PLACES[province]
    place = {"district": rng.choice(districts), "commune": rng.choice(communes)}
    person = f"{rng.choice(FAMILY_NAMES)} {rng.choice(MIDDLE_NAMES)} {rng.choice(GIVEN_NAMES)}"
    topic = rng.choice(fonds_info["topics"])
    values = {
        **place,
        "year": year,
        "province": province,
        "person": person,
        "company": rng.choice(COMPANIES),
        "project": rng.choice(PROJECTS).format(**place),
        "work": rng.choice(WORKS).format(**place),
        "department": rng.choice(DEPARTMENTS),
    }
    return Matter(topic, year, province, fonds_info["suffix"], fonds_info["name"], values)


def ocr_text_of(rng, matter, document):
    """A few hundred words as a scanned decision reads: header, number, title, grounds, articles."""
    kind = "tỉnh" if matter.province not in ("Hồ Chí Minh", "Hải Phòng") else "thành phố"
    lines = [
        f"{matter.organ.upper()}",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        f"Số: {document.code_number}/{document.code_notation}",
        f"{matter.province}, ngày {rng.randint(1, 28)} tháng {rng.randint(1, 12)} năm {matter.year}",
        document.title.upper(),
        f"ỦY BAN NHÂN DÂN {kind.upper()} {matter.province.upper()}",
    ]
    values = {
        **matter.values,
        "suffix": matter.suffix,
        "number": rng.randint(1, 3000),
        "day": rng.randint(1, 28),
        "month": rng.randint(1, 12),
        "area": f"{rng.randint(50, 90000):,}".replace(",", "."),
        "parcel": rng.randint(1, 900),
        "sheet": rng.randint(1, 60),
        "amount": f"{rng.randint(10, 90000) * 1000:,}".replace(",", "."),
        "count": rng.randint(5, 120),
        "birth": rng.randint(1950, 1990),
    }
    clauses = rng.sample(OCR_CLAUSES, k=rng.randint(10, 16))
    for article, clause in enumerate(clauses, start=1):
        prefix = f"Điều {article - 4}. " if article > 4 else ""
        lines.append(prefix + clause.format(**values))
    return "\n".join(lines)


def notation_for(prefix, suffix):
    return f"{prefix}{suffix}" if prefix.endswith("-") else prefix


def new_document(rng, record_file, matter, ordinal, numbers):
    """One document of a file: its matter's title, a local number, or a copy of a central document."""
    draw = rng.random()
    year, organ = matter.year, matter.organ
    if draw < CENTRAL_SHARE:
        number, notation, organ, title, year = rng.choice(CENTRAL_DOCUMENTS)
        type_name = "02" if "NĐ" in notation or notation == "CP" else "01"
    elif draw < CENTRAL_SHARE + RARE_SHARE:
        first, last, type_name, prefix, template = rng.choice(RARE_TITLES)
        year = rng.randint(first, last)
        quarter = rng.choice(("I", "II", "III", "IV"))
        title = template.format(**{**matter.values, "year": year, "quarter": quarter})
        notation = notation_for(prefix, matter.suffix)
        number = None
    else:
        type_name, prefix, template = rng.choice(DOCUMENT_TITLES[matter.topic])
        title = matter.fill(template)
        notation = notation_for(prefix, matter.suffix)
        number = None
    if number is None:
        key = (organ, year, notation)
        numbers[key] = numbers.get(key, rng.randint(1, 40)) + rng.randint(1, 6)
        number = str(numbers[key])
    regime_draw = rng.random()
    regime = (
        AccessRegime.OPEN
        if regime_draw < 0.90
        else AccessRegime.CONDITIONAL
        if regime_draw < 0.97
        else AccessRegime.SECRET
    )
    document = Document(
        archive_id=record_file.archive_id,
        file=record_file,
        ordinal=ordinal,
        type_name=type_name,
        code_number=number,
        code_notation=notation,
        issued_date=f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        organ_name=organ,
        title=title[:500],
        page_count=rng.randint(1, 12),
        languages=["01"],
        access_regime=regime,
        opening_date=datetime.date(2090, 1, 1) if regime == AccessRegime.CONDITIONAL else None,
        publication_status=PublicationStatus.DRAFT if rng.random() < 0.05 else PublicationStatus.PUBLISHED,
    )
    if rng.random() < OCR_SHARE:
        document.ocr_text = ocr_text_of(rng, matter, document)
    return document


def former_province(name):
    return AdministrativeUnit.objects.provinces().filter(name=name, valid_to__isnull=False).first()


def build_tree():
    """Archives, their fonds (one per organ of each province kept there) and series."""
    national_home()
    tree = []
    for spec in ARCHIVES:
        archive = ArchiveFactory(
            code=spec.code, name=spec.name, slug=spec.slug, unit=current_province(spec.province)
        )
        archive_page(archive)
        provinces = [(spec.province, current_province(spec.province))]
        provinces += [(name, former_province(name)) for name in spec.former]
        for province_index, (province, unit) in enumerate(provinces):
            kind = "thành phố" if province in ("Hồ Chí Minh", "Hải Phòng") else "tỉnh"
            for organ_index, (pattern, suffix, topics) in enumerate(ORGANS):
                name = pattern.format(kind=kind, province=province)
                fonds = Fonds.objects.create(
                    archive=archive,
                    code=f"P{province_index}{organ_index:02d}",
                    name=name,
                    unit=unit,
                    creating_body_history=f"{name} được thành lập năm 1976, quản lý nhà nước tại địa phương.",
                    main_record_groups=", ".join(CATEGORY_OF_TOPIC[topic][1] for topic in topics),
                    publication_status=PublicationStatus.PUBLISHED,
                )
                info = {"archive": archive, "fonds": fonds, "province": province, "suffix": suffix}
                info.update(name=name, topics=topics, series=[])
                tree.append(info)
    return tree


def series_for(info, count):
    """The fonds' series, one more each FILES_PER_SERIES files."""
    while len(info["series"]) * FILES_PER_SERIES < count:
        number = len(info["series"]) + 1
        info["series"].append(
            Series.objects.create(
                archive=info["archive"],
                fonds=info["fonds"],
                number=str(number),
                title=f"Mục lục hồ sơ số {number} phông {info['name']}",
                publication_status=PublicationStatus.PUBLISHED,
            )
        )
    return info["series"][-1]


def categories():
    found = {}
    for slug, name in set(CATEGORY_OF_TOPIC.values()):
        category = Category.objects.filter(slug=slug).first() or Category.objects.create(slug=slug, name=name)
        found[slug] = category
    return found


def load_catalogue(documents):
    """Write ``documents`` documents (and their files, categories, scans) in bulk; not timed."""
    rng = random.Random(SEED)
    tree = build_tree()
    category_by_slug = categories()
    file_count = -(-documents // PER_FILE)
    matters, files_per_fonds = {}, {}

    def new_files():
        for index in range(file_count):
            info = tree[rng.randrange(len(tree))]
            files_per_fonds[id(info)] = files_per_fonds.get(id(info), 0) + 1
            series = series_for(info, files_per_fonds[id(info)])
            year = rng.randint(1976, 2025)
            matter = new_matter(rng, info, year)
            record_file = RecordFile(
                archive=info["archive"],
                fonds=info["fonds"],
                series=series,
                year=year,
                file_number=str(index + 1),
                title=matter.fill(rng.choice(FILE_TITLES[matter.topic])),
                start_date=str(year),
                end_date=str(year),
                publication_status=PublicationStatus.PUBLISHED,
                languages=["01"],
            )
            matters[index] = matter
            yield record_file

    remaining, numbers, file_index = documents, {}, 0
    for created in create_files_in_batches(new_files(), BATCH):
        batch, file_links = [], []
        for record_file in created:
            matter = matters.pop(file_index)
            file_index += 1
            file_links.append((record_file.pk, CATEGORY_OF_TOPIC[matter.topic][0]))
            for ordinal in range(1, PER_FILE + 1):
                if remaining <= 0:
                    break
                remaining -= 1
                batch.append((new_document(rng, record_file, matter, ordinal, numbers), matter))
        link_categories(RecordFile, file_links, category_by_slug)
        for _created in create_documents_in_batches((document for document, _matter in batch), BATCH):
            pass
        link_categories(
            Document,
            [(document.pk, CATEGORY_OF_TOPIC[matter.topic][0]) for document, matter in batch],
            category_by_slug,
        )
        add_scans([document for document, _matter in batch if document.ocr_text])
        if file_index % 10_000 < len(created):
            print(f"  … {documents - remaining:,} documents written", flush=True)


def link_categories(model, pairs, category_by_slug):
    through = model.categories.through
    column = f"{model._meta.model_name}_id"
    links = [through(**{column: pk, "category_id": category_by_slug[slug].pk}) for pk, slug in pairs]
    with transaction.atomic():
        through.objects.bulk_create(links, batch_size=BATCH)


def add_scans(documents):
    """A scan for each OCR'd document: its DigitalObject and one page per part of the OCR text."""
    if not documents:
        return
    now = datetime.datetime.now(datetime.UTC)
    scans = []
    for document in documents:
        sha256 = hashlib.sha256(document.reference_code.encode()).hexdigest()
        scans.append(
            DigitalObject(
                archive_id=document.archive_id,
                document_id=document.pk,
                file=f"scans/bench/{sha256[:2]}/{sha256}/original/scan.pdf",
                original_name=f"{document.doc_code}.pdf",
                mime_type="application/pdf",
                size_bytes=400_000,
                sha256=sha256,
                state=ProcessingState.DONE,
                ocr_finished_at=now,
                finished_at=now,
            )
        )
    with transaction.atomic():
        DigitalObject.objects.bulk_create(scans, batch_size=BATCH)
        pages = []
        for scan, document in zip(scans, documents, strict=True):
            lines = document.ocr_text.split("\n")
            middle = len(lines) // 2
            for number, part in enumerate(("\n".join(lines[:middle]), "\n".join(lines[middle:])), start=1):
                pages.append(ScanPage(digital_object_id=scan.pk, number=number, text=part))
        ScanPage.objects.bulk_create(pages, batch_size=BATCH)
    for scan in scans:
        scan.page_count = 2
    DigitalObject.objects.bulk_update(scans, ["page_count"], batch_size=BATCH)


def bench_archives():
    return Archive.objects.filter(code__in=[spec.code for spec in ARCHIVES])


def delete_catalogue():
    """Remove a previous run's rows (and their index entries) with plain SQL, children first."""
    archive_ids = list(bench_archives().values_list("pk", flat=True))
    if not archive_ids:
        return
    quote = connection.ops.quote_name
    placeholders = ", ".join(["%s"] * len(archive_ids))
    table = {model: quote(model._meta.db_table) for model in (Fonds, Series, RecordFile, Document)}
    entries = quote(index_entry_model()._meta.db_table)
    with connection.cursor() as cursor:
        for model in (Document, RecordFile, Series, Fonds):
            content_type = ContentType.objects.get_for_model(model).pk
            cursor.execute(
                f"DELETE FROM {entries} WHERE content_type_id = %s AND object_id IN "
                f"(SELECT CAST(id AS TEXT) FROM {table[model]} WHERE archive_id IN ({placeholders}))",
                [content_type, *archive_ids],
            )
        pages, scans = quote(ScanPage._meta.db_table), quote(DigitalObject._meta.db_table)
        cursor.execute(
            f"DELETE FROM {pages} WHERE digital_object_id IN "
            f"(SELECT id FROM {scans} WHERE archive_id IN ({placeholders}))",
            archive_ids,
        )
        cursor.execute(f"DELETE FROM {scans} WHERE archive_id IN ({placeholders})", archive_ids)
        for model, column in ((Document, "document_id"), (RecordFile, "recordfile_id")):
            links = quote(model.categories.through._meta.db_table)
            cursor.execute(
                f"DELETE FROM {links} WHERE {column} IN "
                f"(SELECT id FROM {table[model]} WHERE archive_id IN ({placeholders}))",
                archive_ids,
            )
        for model in (Document, RecordFile, Series, Fonds):
            cursor.execute(f"DELETE FROM {table[model]} WHERE archive_id IN ({placeholders})", archive_ids)


def analyze():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            links = (RecordFile.categories.through, Document.categories.through)
            for model in (Fonds, Series, RecordFile, Document, index_entry_model(), DigitalObject, *links):
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        else:
            cursor.execute("ANALYZE")


# 1. Indexing ------------------------------------------------------------------------------------------


def indexing_workers():
    """db_worker processes for the indexing step: PostgreSQL only (the SQLite test database is in memory)."""
    return WORKERS if connection.vendor == "postgresql" else 0


def catalogue_ids(model):
    archive_ids = list(bench_archives().values_list("pk", flat=True))
    return list(model.objects.filter(archive_id__in=archive_ids).order_by("pk").values_list("pk", flat=True))


def index_with_workers(database_url, folder, db_workers):
    """Queue ``index_records`` for every chunk of the catalogue and let WORKERS db_worker processes run them.

    The time of each model (and of all) runs from the first of its tasks started to the last finished,
    as the task results record it: the workers' start-up is not counted.
    """
    RESULTS["index_how"] = (
        f"index_records tasks, {INDEX_CHUNK:,} ids each, run by {WORKERS} db_worker processes"
    )
    queued = {}
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        for model in (Fonds, Series, RecordFile, Document):
            ids = catalogue_ids(model)
            queued[model] = (
                len(ids),
                [
                    index_records.enqueue(model._meta.label, ids[start : start + INDEX_CHUNK]).id
                    for start in range(0, len(ids), INDEX_CHUNK)
                ],
            )
    every_task = [task_id for _count, task_ids in queued.values() for task_id in task_ids]
    environment = {"DATABASE_URL": database_url, "TEST_STORAGE_DIR": str(folder)}
    with db_workers(WORKERS, environment, folder):
        wait_for_tasks(DBTaskResult.objects.filter(id__in=every_task), folder)
    figures = []
    for model, (count, task_ids) in queued.items():
        tasks = DBTaskResult.objects.filter(id__in=task_ids)
        figures.append((model, count, sum(tasks.values_list("return_value", flat=True)), span_seconds(tasks)))
    RESULTS["index_seconds"] = span_seconds(DBTaskResult.objects.filter(id__in=every_task))
    return figures


def span_seconds(tasks):
    span = tasks.aggregate(first=Min("started_at"), last=Max("finished_at"))
    if span["first"] is None:
        return 0.0
    return (span["last"] - span["first"]).total_seconds()


def wait_for_tasks(tasks, folder):
    last_report = time.monotonic()
    while True:
        waiting = tasks.filter(status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]).count()
        if not waiting:
            break
        if time.monotonic() - last_report > 60:
            print(f"  … {waiting:,} index_records tasks still waiting", flush=True)
            last_report = time.monotonic()
        time.sleep(0.5)
    failed = tasks.filter(status=TaskResultStatus.FAILED)
    if failed.exists():
        logs = "\n".join(path.read_text(errors="replace")[-2000:] for path in folder.glob("*.log"))
        pytest.fail(f"{failed.count()} index_records tasks failed: {failed.first().traceback}\n{logs}")


def index_everything():
    """Index every record of the catalogue through ``index_ids``, chunk by chunk; per-model figures."""
    figures = []
    RESULTS["index_how"] = f"search.indexing.index_ids in this process, {INDEX_CHUNK:,} ids per chunk"
    for model in (Fonds, Series, RecordFile, Document):
        ids = catalogue_ids(model)
        started = time.perf_counter()
        indexed = 0
        for number, start in enumerate(range(0, len(ids), INDEX_CHUNK), start=1):
            with transaction.atomic():
                indexed += index_ids(model._meta.label, ids[start : start + INDEX_CHUNK])
            if number % 100 == 0:
                rate = indexed / (time.perf_counter() - started)
                print(
                    f"  … indexed {indexed:,} {model._meta.verbose_name_plural} ({rate:,.0f}/s)", flush=True
                )
        figures.append((model, len(ids), indexed, time.perf_counter() - started))
    RESULTS["index_seconds"] = sum(seconds for *_rest, seconds in figures)
    return figures


def index_entry_count(models):
    content_types = [ContentType.objects.get_for_model(model).pk for model in models]
    return index_entry_model().objects.filter(content_type_id__in=content_types).count()


def index_size_mb():
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size(%s)", [index_entry_model()._meta.db_table])
        return cursor.fetchone()[0] / 1e6


# 2. The queries ---------------------------------------------------------------------------------------


@dataclass
class Query:
    label: str
    text: str
    filters: dict = field(default_factory=dict)


def representative_queries():
    """The 30 queries; numbers and codes are read from the catalogue so that they exist in it."""
    number = sample_number("QĐ-UBND")
    submission = sample_number("TTr-STNMT")
    code = sample_reference_code()
    return [
        Query("common, accented", "đất đai"),
        Query("common, unaccented", "dat dai"),
        Query("words, accented", "quyết định giao đất"),
        Query("words, unaccented", "quyet dinh thu hoi dat"),
        Query("words, accented", "bồi thường tái định cư"),
        Query("words, unaccented", "boi thuong ho tro tai dinh cu"),
        Query("phrase", '"khu công nghiệp"'),
        Query("long phrase", '"giấy chứng nhận quyền sử dụng đất"'),
        Query("document number", number),
        Query("document number", submission),
        Query("symbol alone", "QĐ-UBND"),
        Query("central number", "43/2014/NĐ-CP"),
        Query("central number, words", "Nghị định 15/2019/NĐ-CP"),
        Query("reference code", code),
        Query("former province", "Bình Dương"),
        Query("former province", "Hà Giang"),
        Query("former province + words, unaccented", "ha giang thu hoi dat"),
        Query("place, new tone", "Biên Hòa"),
        Query("place, old tone", "Chiêm Hoá"),
        Query("organ, old tone", "Uỷ ban nhân dân huyện Yên Sơn"),
        Query("rare words", "tem phiếu lương thực"),
        Query("rare words, unaccented", "di doi mo ma"),
        Query("person", "Nguyễn Văn Bình"),
        Query("company", "cong ty co phan Sonadezi"),
        Query("OCR-only phrase", '"Luật Tổ chức chính quyền địa phương"'),
        Query("words + years 2010–2019", "quyết toán ngân sách", {"year_from": 2010, "year_to": 2019}),
        Query("common + archive", "đất đai", {"archive": ARCHIVES[0].code}),
        Query("words + archive, unaccented", "bo nhiem pho giam doc", {"archive": ARCHIVES[2].code}),
        Query("exclusion", "nghiệm thu công trình -cầu"),
        Query("typed year field", "khen thưởng nam:2005"),
    ]


def sample_number(notation):
    """The number and notation of an existing document (the middle one of that notation)."""
    documents = Document.objects.filter(archive__in=bench_archives(), code_notation=notation).order_by("pk")
    count = documents.count()
    if not count:
        return f"1234/{notation}"
    number = documents.values_list("code_number", flat=True)[count // 2]
    return f"{number}/{notation}"


def sample_reference_code():
    files = RecordFile.objects.filter(archive__in=bench_archives()).order_by("pk")
    count = files.count()
    return files.values_list("reference_code", flat=True)[count // 3] if count else "LT91.P000.1976.1"


def filters_of(query):
    values = dict(query.filters)
    if "archive" in values:
        values["archive"] = Archive.objects.get(code=values["archive"])
    return SearchFilters(**values)


def run_engine(query, filters):
    page = search_records(AnonymousUser(), query.text, filters)
    # Touch what the page renders, so that nothing lazy escapes the timing.
    for hit in page.hits:
        str(hit.snippet)
    return page


# 3. The floor: the words alone, on the index table ----------------------------------------------------


def floor_statements(text):
    """``[(sql, params)]``: the 20 best index entries and the count, for the query's words."""
    parsed = parse(text)
    if connection.vendor == "postgresql":
        return postgres_floor(parsed)
    return sqlite_floor(parsed)


def postgres_floor(parsed):
    config = get_search_backend().config or "simple"
    positive = [f"'{word}'" for word in parsed.words]
    positive += ["(" + " <-> ".join(f"'{word}'" for word in phrase) + ")" for phrase in parsed.phrases]
    negative = [f"!'{word}'" for word in parsed.excluded]
    negative += [
        "!(" + " <-> ".join(f"'{word}'" for word in phrase) + ")" for phrase in parsed.excluded_phrases
    ]
    tsquery = " & ".join(positive + negative)
    table = index_entry_model()._meta.db_table
    top = (
        f"SELECT object_id FROM {table}, to_tsquery(%s::regconfig, %s) AS query "
        "WHERE body @@ query ORDER BY ts_rank(body, query) DESC LIMIT 20"
    )
    count = f"SELECT count(*) FROM {table} WHERE body @@ to_tsquery(%s::regconfig, %s)"
    return [(top, [config, tsquery]), (count, [config, tsquery])]


def sqlite_floor(parsed):
    positive = [f'"{word}"' for word in parsed.words]
    positive += ['"' + " ".join(phrase) + '"' for phrase in parsed.phrases]
    negative = [f'"{word}"' for word in parsed.excluded]
    negative += ['"' + " ".join(phrase) + '"' for phrase in parsed.excluded_phrases]
    expression = " AND ".join(positive)
    if negative:
        expression = f"({expression}) NOT ({' OR '.join(negative)})"
    match = f"{{title body}} : ({expression})"
    table = index_entry_model()._meta.db_table
    fts = f"{table}_fts"
    top = (
        f"SELECT entry.object_id FROM {fts} JOIN {table} AS entry ON entry.id = {fts}.rowid "
        f"WHERE {fts} MATCH %s ORDER BY bm25({fts}) LIMIT 20"
    )
    count = f"SELECT count(*) FROM {fts} WHERE {fts} MATCH %s"
    return [(top, [match]), (count, [match])]


def run_floor(statements):
    """The statements with the search's own working memory (``SEARCH_WORK_MEM``), as the engine has."""
    results = []
    with transaction.atomic(), connection.cursor() as cursor:
        size_working_memory()
        for sql, params in statements:
            cursor.execute(sql, params)
            results.append(cursor.fetchall())
    return results[-1][0][0]


def explain_floor(statements):
    sql, params = statements[0]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def measure(queries):
    """Warm-up runs, then REPEAT timed runs of the engine and the floor, alternating per query."""
    rows = []
    for number, query in enumerate(queries, start=1):
        print(f"  … query {number}/{len(queries)}: {query.text}", flush=True)
        filters = filters_of(query)
        statements = floor_statements(query.text)
        for _ in range(WARMUP):
            run_engine(query, filters)
            run_floor(statements)
        engine, floor = [], []
        for _ in range(REPEAT):
            started = time.perf_counter()
            page = run_engine(query, filters)
            engine.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            floor_count = run_floor(statements)
            floor.append((time.perf_counter() - started) * 1000)
        rows.append(
            {
                "statements_run": statements_of_one_run(query, filters),
                "query": query,
                "engine": engine,
                "floor": floor,
                "count": page.count,
                "floor_count": floor_count,
                "statements": statements,
            }
        )
    return rows


def statements_of_one_run(query, filters):
    """How many SQL statements one search issues (one more run, not timed)."""
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        run_engine(query, filters)
    return len(executed)


def profile_engine(query):
    """cProfile of one run, and the SQL statements (grouped by their first words) by total time."""
    timings = {}

    def timed_statement(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            key = " ".join(sql.split()[:12])[:150]
            count, seconds = timings.get(key, (0, 0.0))
            timings[key] = (count + 1, seconds + time.perf_counter() - started)

    profiler = cProfile.Profile()
    with connection.execute_wrapper(timed_statement):
        profiler.enable()
        run_engine(query, filters_of(query))
        profiler.disable()
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).sort_stats("cumulative").print_stats(30)
    lines = [f"Profile of one run of {query.text!r}:", buffer.getvalue(), "SQL by total time:"]
    for key, (count, seconds) in sorted(timings.items(), key=lambda item: -item[1][1])[:15]:
        lines.append(f"  {seconds * 1000:>9.1f} ms {count:>4}×  {key}")
    return "\n".join(lines)


# The run ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalogue(django_db_setup, django_db_blocker):
    documents = env_int("BENCH_SEARCH_DOCS", default_documents())
    RESULTS["documents"] = documents
    with django_db_blocker.unblock():
        RESULTS["database"] = database_label()
        existing = Document.objects.filter(archive__in=bench_archives()).count()
        models = (Fonds, Series, RecordFile, Document)
        reused = REUSE and existing == documents and index_entry_count(models) >= documents
        if not reused:
            delete_catalogue()
            started = time.perf_counter()
            load_catalogue(documents)
            analyze()
            RESULTS["load_seconds"] = time.perf_counter() - started
        RESULTS["reused"] = reused
        RESULTS["shape"] = catalogue_shape()
    yield reused


def catalogue_shape():
    archives = bench_archives()
    return {
        "archives": archives.count(),
        "fonds": Fonds.objects.filter(archive__in=archives).count(),
        "series": Series.objects.filter(archive__in=archives).count(),
        "files": RecordFile.objects.filter(archive__in=archives).count(),
        "documents": Document.objects.filter(archive__in=archives).count(),
        "with OCR text": Document.objects.filter(archive__in=archives).exclude(ocr_text="").count(),
    }


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    print_report()


def test_indexing_rate(catalogue, django_db_blocker, other_process_database, db_workers, tmp_path):
    if catalogue:
        pytest.skip(reason="BENCH_SEARCH_REUSE=1: the index of the previous run is reused")
    with django_db_blocker.unblock():
        if indexing_workers():
            with other_process_database(tmp_path) as database_url:
                figures = index_with_workers(database_url, tmp_path, db_workers)
        else:
            figures = index_everything()
        analyze()
        RESULTS["index"] = figures
        RESULTS["index_mb"] = index_size_mb()
        entries = index_entry_count([model for model, *_rest in figures])
    expected = sum(count for _model, count, _indexed, _seconds in figures)
    assert sum(indexed for _model, _count, indexed, _seconds in figures) == expected
    assert entries >= expected


def test_query_latency(catalogue, django_db_blocker):
    with django_db_blocker.unblock():
        queries = representative_queries()
        RESULTS["queries"] = measure(queries)
        if EXPLAIN and connection.vendor == "postgresql":
            slowest = max(RESULTS["queries"], key=lambda row: statistics.median(row["floor"]))
            RESULTS["explain"] = explain_floor(slowest["statements"])
        if PROFILE:
            slowest = max(RESULTS["queries"], key=lambda row: statistics.median(row["engine"]))
            RESULTS["profile"] = profile_engine(slowest["query"])
    assert len(RESULTS["queries"]) == 30


# The report -------------------------------------------------------------------------------------------


def database_label():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
            cursor.execute("SHOW shared_buffers")
            shared_buffers = cursor.fetchone()[0]
        name = connection.settings_dict["NAME"]
        work_mem = settings.SEARCH_WORK_MEM or "server default"
        memory = f"shared_buffers {shared_buffers}, search work_mem {work_mem}"
        return f"PostgreSQL {version} (database {name}; {memory})"
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()")
        version = cursor.fetchone()[0]
    return f"SQLite {version} (database {connection.settings_dict['NAME']})"


def percentile(values, share):
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def verdict(passed):
    return "PASS" if passed else "FAIL"


def print_report():
    width = 118
    lines = ["", "=" * width]
    lines.append(
        f"Search benchmark: {RESULTS.get('documents', 0):,} documents on {RESULTS.get('database', '?')}"
    )
    load = os.getloadavg()
    lines.append(f"Machine: {os.cpu_count()} CPUs, load average {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}")
    shape = RESULTS.get("shape")
    if shape:
        lines.append("Catalogue: " + ", ".join(f"{count:,} {name}" for name, count in shape.items()))
    if RESULTS.get("reused"):
        lines.append("Catalogue and index reused from the previous run (BENCH_SEARCH_REUSE=1)")
    elif "load_seconds" in RESULTS:
        lines.append(f"Bulk load (not timed against a target): {RESULTS['load_seconds']:.1f} s")
    lines.extend(index_lines(width))
    lines.extend(query_lines(width))
    lines.append("=" * width)
    if RESULTS.get("explain"):
        lines.extend(["Plan of the slowest floor query:", RESULTS["explain"]])
    if RESULTS.get("profile"):
        lines.append(RESULTS["profile"])
    print("\n".join(lines))


def index_lines(width):
    figures = RESULTS.get("index")
    if not figures:
        return []
    lines = ["-" * width, f"1. Indexing: {RESULTS['index_how']}"]
    for model, _count, indexed, seconds in figures:
        rate = indexed / seconds if seconds else 0
        name = str(model._meta.verbose_name_plural)
        lines.append(f"   {name:<20}{indexed:>12,} records {seconds:>9.1f} s {rate:>10,.0f} records/s")
    total = sum(indexed for _model, _count, indexed, _seconds in figures)
    seconds = RESULTS["index_seconds"]
    rate = total / seconds if seconds else 0
    lines.append(
        f"   {'all records':<20}{total:>12,} records {seconds:>9.1f} s {rate:>10,.0f} records/s"
        f"   target ≥ {TARGET_INDEX_RATE:,}/s  {verdict(rate >= TARGET_INDEX_RATE)}"
    )
    if RESULTS.get("index_mb") is not None:
        lines.append(f"   index table {index_entry_model()._meta.db_table}: {RESULTS['index_mb']:,.0f} MB")
    return lines


def filters_label(filters):
    parts = []
    if "year_from" in filters:
        parts.append(f"{filters['year_from']}–{filters['year_to']}")
    if "archive" in filters:
        parts.append(filters["archive"])
    return ", ".join(parts) or "-"


def query_lines(width):
    rows = RESULTS.get("queries")
    if not rows:
        return []
    lines = [
        "-" * width,
        f"2–3. {len(rows)} queries, anonymous, search_records with facets; {WARMUP} warm-up + {REPEAT} "
        "timed runs each; floor = raw full-text SQL on the index table (top 20 + count)",
        f"   {'query':<44}{'filters':<18}{'engine p50':>11}{'floor p50':>10}{'ratio':>8}"
        f"{'results':>10}{'index hits':>11}{'SQL':>6}",
    ]
    for row in rows:
        query = row["query"]
        engine, floor = statistics.median(row["engine"]), statistics.median(row["floor"])
        filters = filters_label(query.filters)
        lines.append(
            f"   {query.text[:43]:<44}{filters[:17]:<18}{engine:>9.1f}ms{floor:>8.1f}ms"
            f"{engine / max(floor, 0.001):>7.1f}×{row['count']:>10,}{row['floor_count']:>11,}"
            f"{row['statements_run']:>6}"
        )
    engine_all = [value for row in rows for value in row["engine"]]
    floor_all = [value for row in rows for value in row["floor"]]
    p50, p95 = percentile(engine_all, 0.5), percentile(engine_all, 0.95)
    floor50, floor95 = percentile(floor_all, 0.5), percentile(floor_all, 0.95)
    ratios = [statistics.median(row["engine"]) / max(statistics.median(row["floor"]), 0.001) for row in rows]
    lines.append(
        f"   engine: p50 {p50:.1f} ms, p95 {p95:.1f} ms (all {len(engine_all)} runs)"
        f"   target p95 ≤ {TARGET_P95_MS} ms  {verdict(p95 <= TARGET_P95_MS)}"
    )
    lines.append(f"   floor:  p50 {floor50:.1f} ms, p95 {floor95:.1f} ms")
    lines.append(
        f"   ratio engine / floor: {p50 / max(floor50, 0.001):.1f}× at p50, "
        f"{p95 / max(floor95, 0.001):.1f}× at p95,"
        f" per query median {statistics.median(ratios):.1f}× (min {min(ratios):.1f}×, max {max(ratios):.1f}×)"
    )
    return lines
