"""Signals the core sends for others to react to, so that the core imports none of them."""

from django.dispatch import Signal

# Sent after description records were written without ``save()`` (bulk import), with
# ``changes={Model: [pk, ...]}``. The search app re-indexes them once the transaction commits.
records_changed = Signal()
