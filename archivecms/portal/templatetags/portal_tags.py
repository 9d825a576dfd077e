from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_query(context, parameter, number):
    """The current query string with one page parameter replaced."""
    query = context["request"].GET.copy()
    query[parameter] = number
    return query.urlencode()


@register.simple_tag(takes_context=True)
def record_url(context, record):
    """The canonical page of a record within the archive page being rendered."""
    return context["page"].url_for(record)
