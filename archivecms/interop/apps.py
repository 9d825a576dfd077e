from django.apps import AppConfig


class InteropConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "archivecms.interop"
    label = "interop"
    verbose_name = "Trao đổi dữ liệu"
