from django.db import migrations

from collections_app.units_data import load_provinces

DEFAULT_CATEGORIES = [
    ("dat-dai", "Đất đai", True),
    ("du-an-dau-tu", "Dự án đầu tư", True),
    ("quy-hoach-xay-dung", "Quy hoạch, xây dựng", False),
    ("to-chuc-can-bo", "Tổ chức, cán bộ", False),
    ("tai-chinh-ngan-sach", "Tài chính, ngân sách", False),
    ("van-hoa-xa-hoi", "Văn hóa, xã hội", False),
]


def load(apps, schema_editor):
    load_provinces(apps.get_model("collections_app", "AdministrativeUnit"),
                   apps.get_model("collections_app", "UnitChange"))
    category = apps.get_model("collections_app", "Category")
    for slug, name, priority in DEFAULT_CATEGORIES:
        category.objects.get_or_create(slug=slug, defaults={"name": name, "is_priority": priority})


class Migration(migrations.Migration):
    dependencies = [("collections_app", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
