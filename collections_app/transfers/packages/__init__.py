"""Circular 05/2025 information packages (SIP_hoso, AIP_hoso): writing, reading, validating, importing.

- ``layout``: paths, namespaces, identifiers and dates of the package layout;
- ``fields``: the ``<simpledc>`` fields of files and documents and the model fields they carry;
- ``extensions``: what the Circular has no field for (categories, opening dates, corrected pages, ...);
- ``mets``, ``premis``: the METS and PREMIS files; ``xml``: offline parsing and schema validation;
- ``writer``: ``export_packages`` (one zip per file, streamed, written under a temporary name);
- ``sources``, ``reader``: zip / folder sources and the validation that refuses a package by file;
- ``importer``: the dry-run plan and the one-transaction-per-package import.
"""
