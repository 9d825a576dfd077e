"""The default opening rules of DOMAIN.md, so that a fresh install opens records as the law says.

- Conditional-access (02) records open on their recorded opening date.
- Records about a person's private life ("đời tư" in the restriction reason) never open by themselves:
  they are read only with the leader's approval.
Secret (03) records are not conditional: no rule ever opens them.
"""

from django.db import migrations

LEGAL_BASIS = "Luật Lưu trữ 2024, Điều 25; Nghị định 113/2025/NĐ-CP"

DEFAULT_RULES = [
    {
        "name": "Mở tài liệu sử dụng có điều kiện vào ngày mở đã ghi",
        "basis": "opening_date",
        "reason_contains": "",
    },
    {
        "name": "Tài liệu về đời tư cá nhân: chỉ đọc khi lãnh đạo duyệt",
        "basis": "leader_approval",
        "reason_contains": "đời tư",
    },
]


def create_default_rules(apps, schema_editor):
    rule_model = apps.get_model("collections_app", "OpeningRule")
    for rule in DEFAULT_RULES:
        rule_model.objects.get_or_create(
            name=rule["name"],
            archive=None,
            defaults={
                "basis": rule["basis"],
                "reason_contains": rule["reason_contains"],
                "legal_basis": LEGAL_BASIS,
                "is_active": True,
            },
        )


def remove_default_rules(apps, schema_editor):
    rule_model = apps.get_model("collections_app", "OpeningRule")
    rule_model.objects.filter(archive=None, name__in=[rule["name"] for rule in DEFAULT_RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("collections_app", "0004_access_and_stages")]

    operations = [migrations.RunPython(create_default_rules, remove_default_rules)]
