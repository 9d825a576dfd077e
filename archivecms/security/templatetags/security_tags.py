from django import template

from archivecms.security.nonce import current_nonce

register = template.Library()


@register.simple_tag
def csp_nonce():
    """The nonce of the response being rendered, for an inline <script nonce="...">."""
    return current_nonce()
