"""URL patterns shared by the admin's own listing viewsets."""

from django.urls import path


def listing_urlpatterns(index_view_class, namespace, icon):
    """The listing page and its results-only refresh (Wagtail's filters reload the results alone)."""
    names = {"index_url_name": f"{namespace}:index", "index_results_url_name": f"{namespace}:index_results"}
    return [
        path("", index_view_class.as_view(**names, header_icon=icon), name="index"),
        path("results/", index_view_class.as_view(**names, results_only=True), name="index_results"),
    ]
