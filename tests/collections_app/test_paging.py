import pytest

from collections_app.factories import DocumentFactory, RecordFileFactory
from collections_app.models import Document
from collections_app.paging import FarPagePaginator

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("per_page,orphans", [(7, 0), (10, 0), (7, 3)])
def test_every_page_holds_the_same_rows_as_plain_offset_paging(tuyen_quang, per_page, orphans):
    from django.core.paginator import Paginator

    file = RecordFileFactory(series__fonds__archive=tuyen_quang)
    DocumentFactory.create_batch(53, file=file)
    queryset = Document.objects.filter(file=file).order_by("-id")
    far, plain = (
        FarPagePaginator(queryset, per_page, orphans=orphans),
        Paginator(queryset, per_page, orphans=orphans),
    )
    assert far.num_pages == plain.num_pages
    for number in far.page_range:
        assert [d.pk for d in far.page(number)] == [d.pk for d in plain.page(number)]
