"""Moving holdings between archives: provincial mergers, Circular 05 packages, handover records."""
