"""Parsing and validating package XML offline, against the schemas kept in ``schemas/``."""

import functools

from django.utils.translation import gettext as _
from lxml import etree

from .layout import SCHEMA_DIR


class SchemaProblem(Exception):
    """XML that is not well formed or does not follow its schema; the message gives line and reason."""


def safe_parser():
    # No DTDs, no entities, no network: package XML comes from outside the archive.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_blank_text=True
    )


def parse_xml(data):
    try:
        return etree.fromstring(data, parser=safe_parser())
    except etree.XMLSyntaxError as error:
        raise SchemaProblem(str(error)) from None


@functools.cache
def schema(name):
    with open(SCHEMA_DIR / name, "rb") as handle:
        document = etree.parse(handle, parser=etree.XMLParser(no_network=True))
    return etree.XMLSchema(document)


def validate(element, schema_name):
    checker = schema(schema_name)
    if checker.validate(element):
        return
    error = checker.error_log.last_error
    raise SchemaProblem(f"{error.message} ({_('dòng')} {error.line})")


def serialize(element):
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8", pretty_print=True)
