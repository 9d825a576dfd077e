"""The admin of the description tree: one viewset per level, grouped in one menu."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from . import filters, forms, views
from .models import Document, Fonds, RecordFile, Series


class DescriptionViewSet(ModelViewSet):
    index_view_class = views.ScopedIndexView
    add_view_class = views.ScopedCreateView
    edit_view_class = views.AuditedEditView
    delete_view_class = views.SoftDeleteView
    inspect_view_class = views.ScopedInspectView
    history_view_class = views.ScopedHistoryView
    usage_view_class = views.ScopedUsageView
    inspect_view_enabled = True
    copy_view_enabled = False
    # The search backend folds Vietnamese ("dong nai" finds "Đồng Nai") and matches codes and numbers.
    search_backend_name = "default"
    search_fields = None
    ordering = "-id"
    list_per_page = 20
    related = ()
    parent_field = None
    children_relation = None
    children_ordering = ("id",)
    child_viewset_name = None
    child_parent_field = None

    def get_edit_handler(self):
        return ObjectList(self.panels, base_form_class=self.form_class).bind_to_model(self.model)

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(related=self.related, **kwargs)

    def get_add_view_kwargs(self, **kwargs):
        return super().get_add_view_kwargs(parent_field=self.parent_field, **kwargs)

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            children_relation=self.children_relation,
            children_ordering=self.children_ordering,
            child_add_url_name=f"{self.child_viewset_name}:add" if self.child_viewset_name else None,
            child_parent_field=self.child_parent_field,
            url_namespace=self.name,
            **kwargs,
        )

    def publish_view(self, request, pk):
        return views.publish_subtree_view(request, pk, self.model, self.name)

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("publish/<int:pk>/", self.publish_view, name="publish"),
        ]


class FondsViewSet(DescriptionViewSet):
    model = Fonds
    name = "fonds"
    icon = "folder-open-inverse"
    menu_label = _("Phông lưu trữ")
    form_class = forms.FondsForm
    filterset_class = filters.FondsFilterSet
    list_display = ["reference_code", "name", "archive", "publication_status"]
    related = ("archive",)
    children_relation = "series"
    children_ordering = ("number",)
    child_viewset_name = "series"
    child_parent_field = "fonds"
    panels = [
        MultiFieldPanel(
            [
                FieldPanel("archive"),
                FieldRowPanel([FieldPanel("code"), FieldPanel("creator_code")]),
                FieldPanel("name"),
                FieldPanel("unit"),
                FieldPanel("is_closed"),
            ],
            heading=_("Nhận dạng"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("creating_body_history"),
                FieldPanel("date_range"),
                FieldPanel("languages"),
                FieldPanel("main_record_groups"),
                FieldPanel("other_record_types"),
                FieldPanel("finding_aids"),
            ],
            heading=_("Mô tả"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel(
                    [
                        FieldPanel("total_paper_records"),
                        FieldPanel("digitized_pages"),
                        FieldPanel("security_copy_pages"),
                    ]
                ),
                FieldPanel("notes"),
                FieldPanel("publication_status"),
            ],
            heading=_("Số lượng và ghi chú"),
        ),
    ]


class SeriesViewSet(DescriptionViewSet):
    model = Series
    name = "series"
    icon = "list-ol"
    menu_label = _("Mục lục hồ sơ")
    form_class = forms.SeriesForm
    filterset_class = filters.SeriesFilterSet
    list_display = ["reference_code", "title", "fonds", "publication_status"]
    related = ("fonds",)
    parent_field = "fonds"
    children_relation = "files"
    children_ordering = ("number_in_series", "id")
    child_viewset_name = "recordfile"
    child_parent_field = "series"
    panels = [
        FieldPanel("fonds"),
        FieldRowPanel([FieldPanel("number"), FieldPanel("date_range")]),
        FieldPanel("title"),
        FieldPanel("description"),
        FieldPanel("publication_status"),
    ]


RECORD_STATUS_PANELS = [
    FieldRowPanel([FieldPanel("retention"), FieldPanel("access_regime")]),
    FieldRowPanel([FieldPanel("opening_date"), FieldPanel("access_reason")]),
    FieldRowPanel([FieldPanel("reliability"), FieldPanel("condition")]),
    FieldRowPanel([FieldPanel("risk_recovery"), FieldPanel("risk_recovery_status")]),
    FieldPanel("publication_status"),
]


class RecordFileViewSet(DescriptionViewSet):
    model = RecordFile
    name = "recordfile"
    icon = "folder-inverse"
    menu_label = _("Hồ sơ")
    form_class = forms.RecordFileForm
    filterset_class = filters.RecordFileFilterSet
    list_display = ["reference_code", "title", "start_year", "access_regime", "publication_status"]
    related = ()
    parent_field = "series"
    children_relation = "documents"
    children_ordering = ("ordinal",)
    child_viewset_name = "document"
    child_parent_field = "file"
    panels = [
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("fonds"), FieldPanel("series")]),
                FieldRowPanel([FieldPanel("creator_code"), FieldPanel("year"), FieldPanel("file_number")]),
                FieldPanel("title"),
                FieldRowPanel([FieldPanel("start_date"), FieldPanel("end_date")]),
                FieldPanel("languages"),
                FieldPanel("keywords"),
                FieldPanel("categories"),
            ],
            heading=_("Nhận dạng và nội dung"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel(
                    [FieldPanel("total_documents"), FieldPanel("sheet_count"), FieldPanel("page_count")]
                ),
                FieldRowPanel([FieldPanel("number_in_series"), FieldPanel("box"), FieldPanel("shelf")]),
                FieldRowPanel([FieldPanel("paper_file_code"), FieldPanel("original_status")]),
                FieldPanel("information_sign"),
                FieldPanel("creating_unit"),
                FieldPanel("legacy_code"),
            ],
            heading=_("Số lượng và vị trí"),
        ),
        MultiFieldPanel(RECORD_STATUS_PANELS, heading=_("Chế độ sử dụng, bảo quản")),
        FieldPanel("description"),
    ]

    def move_view(self, request, pk):
        return views.move_file_view(request, pk, self.name)

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [path("move/<int:pk>/", self.move_view, name="move")]


class DocumentViewSet(DescriptionViewSet):
    model = Document
    name = "document"
    icon = "doc-full-inverse"
    menu_label = _("Tài liệu")
    form_class = forms.DocumentForm
    filterset_class = filters.DocumentFilterSet
    list_display = [
        "reference_code",
        "title",
        Column("issued_date", label=_("Ngày")),
        "access_regime",
        "publication_status",
    ]
    related = ()
    parent_field = "file"
    panels = [
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("file"), FieldPanel("ordinal"), FieldPanel("kind")]),
                FieldRowPanel(
                    [FieldPanel("type_name"), FieldPanel("code_number"), FieldPanel("code_notation")]
                ),
                FieldRowPanel([FieldPanel("issued_date"), FieldPanel("organ_name")]),
                FieldPanel("title"),
                FieldPanel("languages"),
                FieldPanel("keywords"),
                FieldPanel("categories"),
                FieldRowPanel(
                    [FieldPanel("page_count"), FieldPanel("information_sign"), FieldPanel("has_process")]
                ),
                FieldPanel("autograph"),
                FieldPanel("full_text"),
                FieldPanel("legacy_code"),
            ],
            heading=_("Văn bản"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel(
                    [FieldPanel("photo_kind"), FieldPanel("media_kind"), FieldPanel("special_number")]
                ),
                FieldPanel("event"),
                FieldRowPanel([FieldPanel("author"), FieldPanel("place")]),
                FieldRowPanel(
                    [FieldPanel("colour"), FieldPanel("size"), FieldPanel("duration"), FieldPanel("quality")]
                ),
                FieldPanel("has_attachments"),
            ],
            heading=_("Ảnh, ghi âm, ghi hình"),
            classname="collapsed",
        ),
        MultiFieldPanel(RECORD_STATUS_PANELS, heading=_("Chế độ sử dụng, bảo quản")),
        FieldPanel("description"),
    ]


class DescriptionViewSetGroup(ModelViewSetGroup):
    menu_label = _("Tài liệu lưu trữ")
    menu_icon = "folder-open-1"
    menu_order = 150
    items = (FondsViewSet, SeriesViewSet, RecordFileViewSet, DocumentViewSet)
