from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = _("Tìm kiếm")

    def ready(self):
        from collections_app.signals import records_changed

        from .indexing import index_after_commit

        records_changed.connect(index_after_commit, dispatch_uid="search.index_after_commit")
