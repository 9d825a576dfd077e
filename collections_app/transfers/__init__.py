"""Moving holdings between archives: mergers of provincial archives, Circular 05 packages, handover records."""
