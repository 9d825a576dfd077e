"""Controlled vocabularies of Circular 05/2025/TT-BNV: the code is stored, the label shown."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Retention(models.TextChoices):
    PERMANENT = "01", _("Vĩnh viễn")
    YEARS_70 = "02", _("70 năm")
    YEARS_50 = "03", _("50 năm")
    YEARS_30 = "04", _("30 năm")
    YEARS_20 = "05", _("20 năm")
    YEARS_10 = "06", _("10 năm")
    OTHER = "07", _("Khác")


class AccessRegime(models.TextChoices):
    OPEN = "01", _("Công khai")
    CONDITIONAL = "02", _("Sử dụng có điều kiện")
    SECRET = "03", _("Mật")


class Reliability(models.TextChoices):
    BORN_DIGITAL = "01", _("Gốc điện tử")
    DIGITIZED = "02", _("Số hóa")
    MIXED = "03", _("Hỗn hợp")


class Condition(models.TextChoices):
    GOOD = "01", _("Tốt")
    NORMAL = "02", _("Bình thường")
    DAMAGED = "03", _("Hỏng")


class Language(models.TextChoices):
    VIETNAMESE = "01", _("Tiếng Việt")
    ENGLISH = "02", _("Tiếng Anh")
    FRENCH = "03", _("Tiếng Pháp")
    RUSSIAN = "04", _("Tiếng Nga")
    CHINESE = "05", _("Tiếng Trung")
    VIET_ENGLISH = "06", _("Việt - Anh")
    VIET_RUSSIAN = "07", _("Việt - Nga")
    VIET_FRENCH = "08", _("Việt - Pháp")
    HAN_NOM = "09", _("Hán Nôm")
    VIET_CHINESE = "10", _("Việt - Trung")
    OTHER = "11", _("Khác")


class DocumentType(models.TextChoices):
    RESOLUTION = "01", _("Nghị quyết")
    DECISION = "02", _("Quyết định")
    DIRECTIVE = "03", _("Chỉ thị")
    STATUTE = "04", _("Quy chế")
    REGULATION = "05", _("Quy định")
    COMMUNIQUE = "06", _("Thông cáo")
    NOTICE = "07", _("Thông báo")
    GUIDANCE = "08", _("Hướng dẫn")
    PROGRAMME = "09", _("Chương trình")
    PLAN = "10", _("Kế hoạch")
    SCHEME = "11", _("Phương án")
    PROPOSAL = "12", _("Đề án")
    PROJECT = "13", _("Dự án")
    REPORT = "14", _("Báo cáo")
    SUBMISSION = "15", _("Tờ trình")
    AUTHORIZATION = "16", _("Giấy ủy quyền")
    DISPATCH_SLIP = "17", _("Phiếu gửi")
    TRANSFER_SLIP = "18", _("Phiếu chuyển")
    NOTIFICATION_SLIP = "19", _("Phiếu báo")
    MINUTES = "20", _("Biên bản")
    CONTRACT = "21", _("Hợp đồng")
    OFFICIAL_LETTER = "22", _("Công văn")
    TELEGRAM = "23", _("Công điện")
    MEMORANDUM = "24", _("Bản ghi nhớ")
    AGREEMENT = "25", _("Bản thỏa thuận")
    INVITATION = "26", _("Giấy mời")
    INTRODUCTION = "27", _("Giấy giới thiệu")
    LEAVE = "28", _("Giấy nghỉ phép")
    PUBLIC_LETTER = "29", _("Thư công")
    MAP = "30", _("Bản đồ")
    DRAWING = "31", _("Bản vẽ kỹ thuật")
    OTHER = "32", _("Khác")


class RiskRecoveryStatus(models.TextChoices):
    DONE = "01", _("Đã dự phòng")
    NOT_YET = "02", _("Chưa dự phòng")


class PublicationStatus(models.TextChoices):
    DRAFT = "draft", _("Bản nháp")
    PUBLISHED = "published", _("Đã công bố")


class RecordKind(models.TextChoices):
    TEXT = "text", _("Văn bản")
    PHOTO = "photo", _("Ảnh, phim âm bản")
    MEDIA = "media", _("Ghi âm, ghi hình")


class PhotoKind(models.TextChoices):
    NEGATIVE = "01", _("Phim âm bản")
    PHOTO = "02", _("Ảnh")


class PhotoColour(models.TextChoices):
    COLOUR = "01", _("Màu")
    BLACK_WHITE = "02", _("Đen trắng")


class MediaKind(models.TextChoices):
    AUDIO = "01", _("Ghi âm")
    VIDEO = "02", _("Ghi hình")


class OriginalStatus(models.TextChoices):
    ORIGINAL = "original", _("Bản gốc")
    MAIN = "main", _("Bản chính")
    LAWFUL_COPY = "copy", _("Bản sao hợp pháp")


def label_for(choices, code):
    """The label of a code, or the code itself when it is not in the vocabulary."""
    try:
        return choices(code).label
    except ValueError:
        return code
