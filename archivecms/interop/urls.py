from django.urls import path, re_path

from . import api, feeds, iiif, sitemaps

urlpatterns = [
    path("api/v1/records/<str:code>", api.record_detail, name="api_record"),
    path("api/v1/schema", api.schema, name="api_schema"),
    path("iiif/3/image/<int:object_id>/<int:number>", iiif.image_base, name="iiif_image_base"),
    path("iiif/3/image/<int:object_id>/<int:number>/info.json", iiif.image_info, name="iiif_image_info"),
    re_path(
        r"^iiif/3/image/(?P<object_id>\d+)/(?P<number>\d+)/(?P<region>[^/]+)/(?P<size>[^/]+)/"
        r"(?P<rotation>[^/]+)/(?P<quality>[^/.]+)\.(?P<image_format>[^/.]+)$",
        iiif.image,
        name="iiif_image",
    ),
    path("iiif/3/<str:code>/manifest", iiif.manifest, name="iiif_manifest"),
    path("sitemap.xml", sitemaps.sitemap_index, name="sitemap_index"),
    path("sitemap-<section>.xml", sitemaps.sitemap_section, name="sitemap_section"),
    path("feeds/<slug:archive_slug>/", feeds.ArchiveFeed(), name="archive_feed"),
]
