from django.conf import settings
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail import views as wagtail_views
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from archivecms.portal import views as portal_views
from collections_app import file_serving
from collections_app.transfers import handover_admin
from search import views as search_views

urlpatterns = [
    path("admin/ma-xac-thuc/", include("archivecms.security.urls")),
    path(
        "admin/bien-ban-giao-nhan/<int:pk>/<str:side>.pdf",
        handover_admin.download_view,
        name="handover_download",
    ),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("r/<str:code>/", portal_views.permanent_link, name="permanent_link"),
    path("files/<int:object_id>/<path:name>", file_serving.serve_stored_file, name="stored_file"),
    path("healthz", portal_views.healthz, name="healthz"),
    path("search/", search_views.search_page, name="search"),
    path("api/v1/search", search_views.search_api, name="search_api"),
    path("api/v1/search/suggest", search_views.suggest_api, name="search_suggest"),
    path("accounts/", include("archivecms.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("archivecms.interop.urls")),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()

urlpatterns += [
    # Reference codes in catalogue URLs contain dots (LT75.H19.25.07.2024.08), which Wagtail's own
    # catch-all pattern does not accept; this one does, and hands over to Wagtail's page routing.
    re_path(r"^((?:[\w\-.]+/)*)$", wagtail_views.serve, name="catalogue_serve"),
    path("", include(wagtail_urls)),
]
