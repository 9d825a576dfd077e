"""Word lists and templates for the demo holdings that ``seed_demo`` generates.

Everything here is invented for demonstration: people, companies, projects and the creator
identifiers (in the ``000.00.00.Hnn`` shape of agency identifiers) are illustrative, not the
official register. District names are the real former districts of each province; commune
names are common ones, not checked against each district.
"""

from dataclasses import dataclass, field

RANDOM_SEED = 20250701
DEFAULT_ITEMS = 10_000
DOCUMENTS_PER_FILE = 5

NATIONAL_HOME_TITLE = "Kho lưu trữ số quốc gia"
NATIONAL_HOME_SLUG = "kho-luu-tru-so"
NATIONAL_HOME_INTRODUCTION = (
    "<p>Cổng tra cứu tài liệu lưu trữ lịch sử của 34 tỉnh, thành phố sau sắp xếp đơn vị hành chính "
    "ngày 01/07/2025. Chọn một cơ quan lưu trữ hoặc tìm kiếm trong toàn bộ kho.</p>"
)

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin-demo-2025"  # noqa: S105 - a documented demo login
STAFF_PASSWORD_PATTERN = "demo-2025-{username}"  # noqa: S105 - a documented demo login

# Role prefixes of the demo staff logins: luutru.tuyenquang, lanhdao.tuyenquang, ...
STAFF_LOGINS = (
    ("archivist", "luutru", ("Nguyễn Thị", "Hà")),
    ("leader", "lanhdao", ("Trần Văn", "Minh")),
    ("reading_room", "phongdoc", ("Lê Thị", "Hạnh")),
)


@dataclass(frozen=True)
class FondsSpec:
    code: str
    name: str
    kind: str  # "province", "land", "investment" or "district": decides the mix of file themes
    unit_code: str  # province code of the creating body's unit
    former_unit: bool  # the unit as it was before 1 July 2025, rather than the current one
    is_closed: bool
    years: tuple  # (first, last) year of the records
    creator_code: str = ""  # empty for a closed fonds whose file codes use the fonds code
    district: str = ""  # for a district fonds: the district's name
    history: str = ""
    weight: int = 1  # share of the archive's documents


@dataclass(frozen=True)
class HoldingSpec:
    """One archive that gets demo holdings."""

    slug: str
    login_suffix: str
    share: int  # share of all demo documents
    fonds: tuple = field(default_factory=tuple)


CLOSED_DEPARTMENT_NOTE = (
    "Từ ngày 01/03/2025 sở được hợp nhất theo chủ trương sắp xếp tổ chức bộ máy; phông đóng."
)
LAND_DEPARTMENT_NOTE = (
    "Từ ngày 01/03/2025 hợp nhất với Sở Nông nghiệp và Phát triển nông thôn thành Sở Nông nghiệp "
    "và Môi trường; phông đóng."
)
DISTRICT_NOTE = "Chấm dứt hoạt động từ ngày 01/07/2025 khi không tổ chức cấp huyện; phông đóng."
FORMER_PROVINCE_NOTE = (
    "Tỉnh hợp nhất vào đơn vị hành chính mới từ ngày 01/07/2025; tài liệu được giao nộp vào "
    "Trung tâm Lưu trữ lịch sử của tỉnh, thành phố mới."
)

HOLDINGS = (
    HoldingSpec(
        slug="tuyen-quang",
        login_suffix="tuyenquang",
        share=30,
        fonds=(
            FondsSpec(
                "UBND-TQ",
                "Ủy ban nhân dân tỉnh Tuyên Quang",
                "province",
                "08",
                False,
                False,
                (2005, 2025),
                "000.00.00.H57",
                weight=3,
                history="Tái lập tỉnh Tuyên Quang từ ngày 01/10/1991 (tách tỉnh Hà Tuyên); từ "
                "01/07/2025 là Ủy ban nhân dân tỉnh Tuyên Quang mới (hợp nhất tỉnh Hà Giang).",
            ),
            FondsSpec(
                "UBND-HG",
                "Ủy ban nhân dân tỉnh Hà Giang",
                "province",
                "02",
                True,
                True,
                (2005, 2025),
                "000.00.00.H23",
                weight=3,
                history=FORMER_PROVINCE_NOTE,
            ),
            FondsSpec(
                "STNMT-HG",
                "Sở Tài nguyên và Môi trường tỉnh Hà Giang",
                "land",
                "02",
                True,
                True,
                (2008, 2025),
                "000.00.15.H23",
                weight=2,
                history=LAND_DEPARTMENT_NOTE,
            ),
            FondsSpec(
                "SKHDT-TQ",
                "Sở Kế hoạch và Đầu tư tỉnh Tuyên Quang",
                "investment",
                "08",
                True,
                True,
                (2008, 2025),
                "000.00.09.H57",
                weight=2,
                history=CLOSED_DEPARTMENT_NOTE,
            ),
            FondsSpec(
                "UBH-YS",
                "Ủy ban nhân dân huyện Yên Sơn",
                "district",
                "08",
                True,
                True,
                (2010, 2025),
                district="Yên Sơn",
                weight=1,
                history=DISTRICT_NOTE,
            ),
        ),
    ),
    HoldingSpec(
        slug="dong-nai",
        login_suffix="dongnai",
        share=30,
        fonds=(
            FondsSpec(
                "UBND-DN",
                "Ủy ban nhân dân tỉnh Đồng Nai",
                "province",
                "75",
                False,
                False,
                (2005, 2025),
                "000.00.00.H19",
                weight=3,
                history="Thành lập năm 1976; từ 01/07/2025 là Ủy ban nhân dân tỉnh Đồng Nai mới "
                "(hợp nhất tỉnh Bình Phước).",
            ),
            FondsSpec(
                "UBND-BP",
                "Ủy ban nhân dân tỉnh Bình Phước",
                "province",
                "70",
                True,
                True,
                (2005, 2025),
                "000.00.00.H11",
                weight=3,
                history=FORMER_PROVINCE_NOTE,
            ),
            FondsSpec(
                "STNMT-DN",
                "Sở Tài nguyên và Môi trường tỉnh Đồng Nai",
                "land",
                "75",
                True,
                True,
                (2008, 2025),
                "000.00.15.H19",
                weight=2,
                history=LAND_DEPARTMENT_NOTE,
            ),
            FondsSpec(
                "SKHDT-BP",
                "Sở Kế hoạch và Đầu tư tỉnh Bình Phước",
                "investment",
                "70",
                True,
                True,
                (2008, 2025),
                "000.00.09.H11",
                weight=2,
                history=CLOSED_DEPARTMENT_NOTE,
            ),
            FondsSpec(
                "UBH-LT",
                "Ủy ban nhân dân huyện Long Thành",
                "district",
                "75",
                True,
                True,
                (2010, 2025),
                district="Long Thành",
                weight=1,
                history=DISTRICT_NOTE,
            ),
        ),
    ),
    HoldingSpec(
        slug="ho-chi-minh",
        login_suffix="hochiminh",
        share=40,
        fonds=(
            FondsSpec(
                "UBND-HCM",
                "Ủy ban nhân dân Thành phố Hồ Chí Minh",
                "province",
                "79",
                False,
                False,
                (2005, 2025),
                "000.00.00.H29",
                weight=3,
                history="Từ 01/07/2025 là Ủy ban nhân dân Thành phố Hồ Chí Minh mới (hợp nhất tỉnh "
                "Bình Dương và tỉnh Bà Rịa - Vũng Tàu).",
            ),
            FondsSpec(
                "UBND-BD",
                "Ủy ban nhân dân tỉnh Bình Dương",
                "province",
                "74",
                True,
                True,
                (2005, 2025),
                "000.00.00.H09",
                weight=3,
                history=FORMER_PROVINCE_NOTE,
            ),
            FondsSpec(
                "UBND-BRVT",
                "Ủy ban nhân dân tỉnh Bà Rịa - Vũng Tàu",
                "province",
                "77",
                True,
                True,
                (2005, 2025),
                "000.00.00.H02",
                weight=2,
                history=FORMER_PROVINCE_NOTE,
            ),
            FondsSpec(
                "STNMT-BD",
                "Sở Tài nguyên và Môi trường tỉnh Bình Dương",
                "land",
                "74",
                True,
                True,
                (2008, 2025),
                "000.00.15.H09",
                weight=2,
                history=LAND_DEPARTMENT_NOTE,
            ),
            FondsSpec(
                "SKHDT-HCM",
                "Sở Kế hoạch và Đầu tư Thành phố Hồ Chí Minh",
                "investment",
                "79",
                True,
                True,
                (2008, 2025),
                "000.00.09.H29",
                weight=2,
                history=CLOSED_DEPARTMENT_NOTE,
            ),
            FondsSpec(
                "UBH-CG",
                "Ủy ban nhân dân huyện Cần Giờ",
                "district",
                "79",
                True,
                True,
                (2010, 2025),
                district="Cần Giờ",
                weight=1,
                history=DISTRICT_NOTE,
            ),
        ),
    ),
)

# Former districts (and district-level towns and cities) of each former province, by unit code.
DISTRICTS = {
    "08": [
        "thành phố Tuyên Quang",
        "huyện Yên Sơn",
        "huyện Sơn Dương",
        "huyện Hàm Yên",
        "huyện Chiêm Hóa",
        "huyện Na Hang",
        "huyện Lâm Bình",
    ],
    "02": [
        "thành phố Hà Giang",
        "huyện Vị Xuyên",
        "huyện Bắc Quang",
        "huyện Quang Bình",
        "huyện Hoàng Su Phì",
        "huyện Xín Mần",
        "huyện Quản Bạ",
        "huyện Yên Minh",
        "huyện Đồng Văn",
        "huyện Mèo Vạc",
        "huyện Bắc Mê",
    ],
    "75": [
        "thành phố Biên Hòa",
        "thành phố Long Khánh",
        "huyện Long Thành",
        "huyện Nhơn Trạch",
        "huyện Trảng Bom",
        "huyện Thống Nhất",
        "huyện Vĩnh Cửu",
        "huyện Định Quán",
        "huyện Tân Phú",
        "huyện Xuân Lộc",
        "huyện Cẩm Mỹ",
    ],
    "70": [
        "thành phố Đồng Xoài",
        "thị xã Bình Long",
        "thị xã Phước Long",
        "thị xã Chơn Thành",
        "huyện Bù Đăng",
        "huyện Bù Đốp",
        "huyện Bù Gia Mập",
        "huyện Đồng Phú",
        "huyện Hớn Quản",
        "huyện Lộc Ninh",
        "huyện Phú Riềng",
    ],
    "79": [
        "thành phố Thủ Đức",
        "Quận 1",
        "Quận 7",
        "Quận 12",
        "quận Bình Tân",
        "huyện Bình Chánh",
        "huyện Củ Chi",
        "huyện Hóc Môn",
        "huyện Nhà Bè",
        "huyện Cần Giờ",
    ],
    "74": [
        "thành phố Thủ Dầu Một",
        "thành phố Dĩ An",
        "thành phố Thuận An",
        "thành phố Tân Uyên",
        "thành phố Bến Cát",
        "huyện Bàu Bàng",
        "huyện Bắc Tân Uyên",
        "huyện Dầu Tiếng",
        "huyện Phú Giáo",
    ],
    "77": [
        "thành phố Vũng Tàu",
        "thành phố Bà Rịa",
        "thị xã Phú Mỹ",
        "huyện Châu Đức",
        "huyện Xuyên Mộc",
        "huyện Long Đất",
        "huyện Côn Đảo",
    ],
}

# Communes of the three demo districts; other places get a common commune name.
DISTRICT_COMMUNES = {
    "Yên Sơn": [
        "xã Trung Môn",
        "xã Thắng Quân",
        "xã Lang Quán",
        "xã Phúc Ninh",
        "xã Mỹ Bằng",
        "xã Chân Sơn",
        "xã Thái Bình",
        "xã Hoàng Khai",
    ],
    "Long Thành": [
        "thị trấn Long Thành",
        "xã Bình Sơn",
        "xã Long An",
        "xã Long Phước",
        "xã Suối Trầu",
        "xã Cẩm Đường",
        "xã Bàu Cạn",
        "xã Tân Hiệp",
        "xã Phước Bình",
    ],
    "Cần Giờ": [
        "thị trấn Cần Thạnh",
        "xã Bình Khánh",
        "xã An Thới Đông",
        "xã Long Hòa",
        "xã Lý Nhơn",
        "xã Tam Thôn Hiệp",
        "xã Thạnh An",
    ],
}
COMMON_COMMUNES = [
    "xã Tân Thành",
    "xã Phú Lộc",
    "phường Tân Phong",
    "xã An Phước",
    "xã Hòa Bình",
    "xã Thống Nhất",
    "xã Quyết Tiến",
    "xã Bình Minh",
    "phường Quang Trung",
    "xã Xuân Hòa",
    "xã Tân Lập",
    "phường Hiệp Thành",
    "xã Phước Thiền",
    "xã Minh Hưng",
]

FAMILY_NAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Vũ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Phan",
    "Huỳnh",
    "Võ",
    "Ma",
    "Nông",
    "Lò",
    "Triệu",
]
MALE_MIDDLE = ["Văn", "Đức", "Minh", "Hữu", "Quang", "Thanh", "Công"]
FEMALE_MIDDLE = ["Thị", "Ngọc", "Thu", "Thanh", "Minh"]
MALE_GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hải",
    "Hùng",
    "Long",
    "Nam",
    "Quang",
    "Sơn",
    "Thắng",
    "Trung",
    "Tuấn",
    "Việt",
    "Phúc",
    "Khánh",
]
FEMALE_GIVEN = [
    "Hà",
    "Hạnh",
    "Hoa",
    "Lan",
    "Mai",
    "Phương",
    "Tâm",
    "Thảo",
    "Vân",
    "Yến",
    "Nhung",
    "Loan",
    "Huệ",
    "Trang",
]

COMPANY_FORMS = ["Công ty TNHH", "Công ty Cổ phần", "Công ty TNHH MTV"]
COMPANY_TRADES = [
    "Đầu tư Xây dựng",
    "Phát triển Đô thị",
    "Thương mại Dịch vụ",
    "Sản xuất Gỗ",
    "Bất động sản",
    "Phát triển Khu công nghiệp",
    "Nông nghiệp Công nghệ cao",
    "Năng lượng",
    "Vật liệu Xây dựng",
    "Chế biến Nông sản",
    "Du lịch Sinh thái",
]
COMPANY_BRANDS = [
    "Phú Cường",
    "Tân Việt",
    "Đại Phát",
    "Minh Long",
    "Thành Đạt",
    "An Khang",
    "Phương Nam",
    "Việt Tiến",
    "Kim Long",
    "Bảo Châu",
    "Thiên Phúc",
    "Trường An",
    "Hải Đăng",
    "Nam Việt",
    "Sông Lô",
    "Đồng Tiến",
    "Hưng Long",
    "Tân Phát",
]

PROJECT_KINDS = [
    "Khu dân cư {name}",
    "Khu công nghiệp {name}",
    "Cụm công nghiệp {name}",
    "Nhà máy chế biến gỗ {name}",
    "Nhà máy may mặc {name}",
    "Khu đô thị mới {name}",
    "Trung tâm thương mại {name}",
    "Trang trại chăn nuôi công nghệ cao {name}",
    "Khu du lịch sinh thái {name}",
    "Đường giao thông liên xã {name}",
    "Trường Trung học cơ sở {name}",
    "Chợ {name}",
    "Nhà máy xử lý chất thải rắn {name}",
    "Nhà máy thủy điện {name}",
    "Khu nhà ở xã hội {name}",
]
SPECIAL_PROJECTS = {
    "Long Thành": ["Cảng hàng không quốc tế Long Thành", "Khu tái định cư Lộc An - Bình Sơn"],
    "Cần Giờ": ["Khu đô thị du lịch lấn biển Cần Giờ", "Cầu Cần Giờ"],
}

CONDITIONAL_REASONS = [
    "Tài liệu có thông tin về đời tư, bí mật cá nhân",
    "Tài liệu có thông tin cá nhân của người bị thu hồi đất",
    "Tài liệu thuộc diện sử dụng có điều kiện theo Điều 25 Luật Lưu trữ 2024",
    "Tài liệu có thông tin bí mật kinh doanh của nhà đầu tư",
]
CLASSIFIED_REASON = "Tài liệu thuộc danh mục bí mật nhà nước"

BOX_SIZE = 8  # files per archival box in the demo shelves


# Themes of files: how their titles read and which documents they hold -------------------------
#
# A document template is (type code, issuer, notation, title). The issuer names a body in the
# fonds' context: "ubnd" (the People's Committee of the fonds' level), "province" (the provincial
# one), "hdnd", "land", "investment", "construction" (the departments, or the district offices in a
# district fonds), "district", "commune", "self" (the fonds' own body), "company", "person",
# "council". In the notation, "{land}", "{investment}", "{construction}" and "{self}" become that
# body's abbreviation; "certificate" means a 10-digit project code as the number and no notation;
# an empty notation means the document has no number (applications, minutes, maps).


@dataclass(frozen=True)
class Theme:
    name: str
    categories: tuple
    file_titles: tuple
    documents: tuple
    key_document: int  # index of the document every file of the theme keeps (the decision)
    keywords: str = ""


# Documents added, in the fonds' context, to a file that holds more documents than its theme lists.
FILLER_DOCUMENTS = (
    ("22", "ubnd", "UBND-KT", "Công văn về việc bổ sung hồ sơ {subject}"),
    ("18", "ubnd", "", "Phiếu chuyển hồ sơ {subject}"),
    ("07", "ubnd", "TB-UBND", "Thông báo ý kiến kết luận đối với hồ sơ {subject}"),
    ("22", "land", "{land}-QLĐĐ", "Công văn hướng dẫn hoàn thiện hồ sơ {subject}"),
)

THEMES = {
    "land_allocation": Theme(
        "land_allocation",
        ("dat-dai",),
        (
            "Hồ sơ về việc giao đất cho {company} để thực hiện dự án {project} tại {place}",
            "Hồ sơ về việc cho thuê đất đối với {company} để thực hiện dự án {project} tại {place}",
        ),
        (
            ("32", "company", "", "Đơn đề nghị giao đất, cho thuê đất để thực hiện dự án {project}"),
            (
                "15",
                "land",
                "TTr-{land}",
                "Tờ trình về việc giao đất cho {company} để thực hiện dự án {project} tại {place}",
            ),
            ("20", "land", "", "Biên bản kiểm tra thực địa khu đất đề nghị giao cho {company} tại {place}"),
            (
                "02",
                "ubnd",
                "QĐ-UBND",
                "Quyết định về việc giao đất cho {company} để thực hiện dự án "
                "{project} tại {place}, diện tích {area} ha",
            ),
            ("21", "land", "HĐTĐ", "Hợp đồng thuê đất thực hiện dự án {project}"),
            ("20", "land", "", "Biên bản bàn giao đất trên thực địa cho {company}"),
            ("30", "land", "", "Trích lục bản đồ địa chính khu đất giao cho {company} tại {place}"),
        ),
        key_document=3,
        keywords="giao đất, cho thuê đất",
    ),
    "land_certificate": Theme(
        "land_certificate",
        ("dat-dai",),
        (
            "Hồ sơ cấp Giấy chứng nhận quyền sử dụng đất cho hộ {person} tại {place}",
            "Hồ sơ đăng ký biến động, cấp đổi Giấy chứng nhận quyền sử dụng đất của hộ {person} tại {place}",
        ),
        (
            (
                "32",
                "person",
                "",
                "Đơn đăng ký, cấp Giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà "
                "ở và tài sản khác gắn liền với đất của hộ {person}",
            ),
            (
                "20",
                "commune",
                "",
                "Biên bản xác minh nguồn gốc, hiện trạng sử dụng thửa đất số {parcel}, "
                "tờ bản đồ số {sheet} tại {place}",
            ),
            (
                "15",
                "land",
                "TTr-{land}",
                "Tờ trình về việc cấp Giấy chứng nhận quyền sử dụng đất cho hộ {person}",
            ),
            (
                "02",
                "ubnd",
                "QĐ-UBND",
                "Quyết định về việc cấp Giấy chứng nhận quyền sử dụng đất cho hộ {person} tại {place}",
            ),
            (
                "32",
                "ubnd",
                "",
                "Giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở và tài sản khác "
                "gắn liền với đất số vào sổ CS{serial} cấp cho hộ {person}",
            ),
            ("30", "land", "", "Trích đo địa chính thửa đất số {parcel}, tờ bản đồ số {sheet}"),
        ),
        key_document=3,
        keywords="giấy chứng nhận quyền sử dụng đất",
    ),
    "land_recovery": Theme(
        "land_recovery",
        ("dat-dai",),
        (
            "Hồ sơ thu hồi đất, bồi thường, hỗ trợ và tái định cư thực hiện dự án {project} tại {place}",
            "Hồ sơ phê duyệt phương án bồi thường, hỗ trợ và tái định cư khi Nhà nước thu hồi đất thực "
            "hiện dự án {project}",
        ),
        (
            ("07", "ubnd", "TB-UBND", "Thông báo thu hồi đất để thực hiện dự án {project} tại {place}"),
            (
                "10",
                "ubnd",
                "KH-UBND",
                "Kế hoạch thu hồi đất, điều tra, khảo sát, đo đạc, kiểm đếm thực hiện dự án {project}",
            ),
            ("20", "council", "", "Biên bản họp Hội đồng bồi thường, hỗ trợ và tái định cư dự án {project}"),
            ("11", "land", "PA-{land}", "Phương án bồi thường, hỗ trợ và tái định cư dự án {project}"),
            (
                "15",
                "land",
                "TTr-{land}",
                "Tờ trình đề nghị phê duyệt phương án bồi thường, hỗ trợ và tái định cư dự án {project}",
            ),
            (
                "02",
                "ubnd",
                "QĐ-UBND",
                "Quyết định về việc thu hồi đất để thực hiện dự án {project} tại {place}",
            ),
            (
                "02",
                "ubnd",
                "QĐ-UBND",
                "Quyết định phê duyệt phương án bồi thường, hỗ trợ và tái định cư dự án {project}",
            ),
            (
                "22",
                "ubnd",
                "UBND-KT",
                "Công văn về việc giải quyết kiến nghị của hộ {person} liên quan "
                "đến bồi thường dự án {project}",
            ),
        ),
        key_document=5,
        keywords="thu hồi đất, bồi thường, tái định cư",
    ),
    "land_plan": Theme(
        "land_plan",
        ("dat-dai", "quy-hoach-xay-dung"),
        (
            "Hồ sơ phê duyệt kế hoạch sử dụng đất năm {year} của {district}",
            "Hồ sơ điều chỉnh quy hoạch sử dụng đất của {district}",
        ),
        (
            (
                "15",
                "district",
                "TTr-UBND",
                "Tờ trình đề nghị phê duyệt kế hoạch sử dụng đất năm {year} của {district}",
            ),
            ("14", "land", "BC-{land}", "Báo cáo thẩm định kế hoạch sử dụng đất năm {year} của {district}"),
            (
                "02",
                "province",
                "QĐ-UBND",
                "Quyết định về việc phê duyệt kế hoạch sử dụng đất năm {year} của {district}",
            ),
            ("30", "land", "", "Bản đồ kế hoạch sử dụng đất năm {year} {district}"),
        ),
        key_document=2,
        keywords="kế hoạch sử dụng đất",
    ),
    "investment_certificate": Theme(
        "investment_certificate",
        ("du-an-dau-tu",),
        (
            "Hồ sơ cấp Giấy chứng nhận đăng ký đầu tư dự án {project} của {company}",
            "Hồ sơ điều chỉnh Giấy chứng nhận đăng ký đầu tư dự án {project}",
        ),
        (
            ("32", "company", "", "Văn bản đề nghị thực hiện dự án đầu tư {project}"),
            ("13", "company", "", "Đề xuất dự án đầu tư {project} tại {place}"),
            ("22", "investment", "{investment}-ĐKĐT", "Công văn lấy ý kiến thẩm định dự án đầu tư {project}"),
            (
                "14",
                "investment",
                "BC-{investment}",
                "Báo cáo thẩm định đề nghị cấp Giấy chứng nhận đăng ký đầu tư dự án {project}",
            ),
            (
                "32",
                "investment",
                "certificate",
                "Giấy chứng nhận đăng ký đầu tư dự án {project} của {company}",
            ),
        ),
        key_document=4,
        keywords="đăng ký đầu tư",
    ),
    "investment_policy": Theme(
        "investment_policy",
        ("du-an-dau-tu",),
        (
            "Hồ sơ quyết định chủ trương đầu tư dự án {project} tại {place}",
            "Hồ sơ chấp thuận chủ trương đầu tư đồng thời chấp thuận nhà đầu tư dự án {project}",
        ),
        (
            (
                "15",
                "investment",
                "TTr-{investment}",
                "Tờ trình đề nghị quyết định chủ trương đầu tư dự án {project}",
            ),
            (
                "14",
                "investment",
                "BC-{investment}",
                "Báo cáo thẩm định đề nghị chấp thuận chủ trương đầu tư dự án {project}",
            ),
            ("22", "land", "{land}-QLĐĐ", "Công văn góp ý về nhu cầu sử dụng đất của dự án {project}"),
            ("02", "ubnd", "QĐ-UBND", "Quyết định chủ trương đầu tư dự án {project} tại {place}"),
            ("02", "ubnd", "QĐ-UBND", "Quyết định điều chỉnh chủ trương đầu tư dự án {project}"),
        ),
        key_document=3,
        keywords="chủ trương đầu tư",
    ),
    "planning": Theme(
        "planning",
        ("quy-hoach-xay-dung", "du-an-dau-tu"),
        ("Hồ sơ phê duyệt quy hoạch chi tiết xây dựng tỷ lệ 1/500 dự án {project} tại {place}",),
        (
            (
                "15",
                "construction",
                "TTr-{construction}",
                "Tờ trình đề nghị phê duyệt quy hoạch chi tiết tỷ lệ 1/500 dự án {project}",
            ),
            (
                "14",
                "district",
                "BC-UBND",
                "Báo cáo kết quả lấy ý kiến cộng đồng dân cư về đồ án quy hoạch dự án {project}",
            ),
            (
                "02",
                "ubnd",
                "QĐ-UBND",
                "Quyết định phê duyệt đồ án quy hoạch chi tiết xây dựng tỷ lệ "
                "1/500 dự án {project} tại {place}",
            ),
            ("31", "company", "", "Bản vẽ quy hoạch tổng mặt bằng sử dụng đất dự án {project}"),
        ),
        key_document=2,
        keywords="quy hoạch chi tiết 1/500",
    ),
    "socio_economic": Theme(
        "socio_economic",
        (),
        ("Hồ sơ xây dựng kế hoạch phát triển kinh tế - xã hội năm {year} của {province}",),
        (
            (
                "14",
                "ubnd",
                "BC-UBND",
                "Báo cáo tình hình thực hiện kế hoạch phát triển kinh tế - xã hội "
                "năm {previous_year} và kế hoạch năm {year}",
            ),
            (
                "15",
                "ubnd",
                "TTr-UBND",
                "Tờ trình đề nghị ban hành nghị quyết về kế hoạch phát triển kinh tế - xã hội năm {year}",
            ),
            ("01", "hdnd", "NQ-HĐND", "Nghị quyết về kế hoạch phát triển kinh tế - xã hội năm {year}"),
            (
                "02",
                "ubnd",
                "QĐ-UBND",
                "Quyết định về việc giao chỉ tiêu kế hoạch phát triển kinh tế - xã "
                "hội và dự toán ngân sách nhà nước năm {year}",
            ),
            (
                "10",
                "ubnd",
                "KH-UBND",
                "Kế hoạch triển khai thực hiện Nghị quyết của Hội đồng nhân dân về nhiệm vụ năm {year}",
            ),
        ),
        key_document=2,
        keywords="kế hoạch phát triển kinh tế - xã hội",
    ),
    "meeting": Theme(
        "meeting",
        (),
        ("Hồ sơ phiên họp thường kỳ tháng {month} năm {year} của {organ}",),
        (
            ("26", "ubnd", "GM-UBND", "Giấy mời dự phiên họp thường kỳ tháng {month} năm {year}"),
            ("09", "ubnd", "CTr-UBND", "Chương trình phiên họp thường kỳ tháng {month} năm {year}"),
            ("14", "ubnd", "BC-UBND", "Báo cáo tình hình kinh tế - xã hội tháng {month} năm {year}"),
            ("20", "ubnd", "", "Biên bản phiên họp thường kỳ tháng {month} năm {year}"),
            (
                "07",
                "ubnd",
                "TB-UBND",
                "Thông báo kết luận của Chủ tịch tại phiên họp thường kỳ tháng {month} năm {year}",
            ),
        ),
        key_document=3,
        keywords="phiên họp thường kỳ",
    ),
    "annual_report": Theme(
        "annual_report",
        (),
        ("Hồ sơ tổng kết công tác năm {year} của {organ}",),
        (
            ("26", "self", "GM-{self}", "Giấy mời dự hội nghị tổng kết công tác năm {year}"),
            (
                "14",
                "self",
                "BC-{self}",
                "Báo cáo tổng kết công tác năm {year} và phương hướng nhiệm vụ năm {next_year}",
            ),
            ("20", "self", "", "Biên bản hội nghị tổng kết công tác năm {year}"),
            (
                "02",
                "self",
                "QĐ-{self}",
                "Quyết định về việc khen thưởng tập thể, cá nhân có thành tích xuất sắc năm {year}",
            ),
        ),
        key_document=1,
        keywords="tổng kết công tác",
    ),
}

# Which themes make up each kind of fonds, with weights.
THEME_MIX = {
    "province": {
        "land_allocation": 12,
        "land_recovery": 10,
        "land_plan": 5,
        "investment_policy": 12,
        "planning": 6,
        "socio_economic": 6,
        "meeting": 8,
    },
    "land": {
        "land_allocation": 25,
        "land_certificate": 20,
        "land_recovery": 25,
        "land_plan": 15,
        "annual_report": 5,
    },
    "investment": {"investment_certificate": 45, "investment_policy": 30, "planning": 10, "annual_report": 5},
    "district": {
        "land_certificate": 40,
        "land_recovery": 20,
        "land_plan": 10,
        "planning": 5,
        "meeting": 10,
        "annual_report": 5,
    },
}

# The bodies around a fonds, by level: (name pattern, notation abbreviation). "{jurisdiction}" is the
# province ("tỉnh Hà Giang", "Thành phố Hồ Chí Minh") or the district ("huyện Long Thành").
PROVINCIAL_BODIES = {
    "ubnd": ("Ủy ban nhân dân {jurisdiction}", "UBND"),
    "hdnd": ("Hội đồng nhân dân {jurisdiction}", "HĐND"),
    "land": ("Sở Tài nguyên và Môi trường {jurisdiction}", "STNMT"),
    "investment": ("Sở Kế hoạch và Đầu tư {jurisdiction}", "SKHĐT"),
    "construction": ("Sở Xây dựng {jurisdiction}", "SXD"),
}
DISTRICT_BODIES = {
    "ubnd": ("Ủy ban nhân dân {jurisdiction}", "UBND"),
    "hdnd": ("Hội đồng nhân dân {jurisdiction}", "HĐND"),
    "land": ("Phòng Tài nguyên và Môi trường {jurisdiction}", "TNMT"),
    "investment": ("Phòng Tài chính - Kế hoạch {jurisdiction}", "TCKH"),
    "construction": ("Phòng Kinh tế và Hạ tầng {jurisdiction}", "KTHT"),
}
# The abbreviation of the fonds' own body, by kind of fonds.
SELF_ABBREVIATION = {"province": "UBND", "land": "STNMT", "investment": "SKHĐT", "district": "UBND"}
