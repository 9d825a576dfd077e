"""Search backends: the database backends with Vietnamese folding, and Elasticsearch / OpenSearch settings."""
