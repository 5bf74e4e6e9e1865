"""The page-assembly layer: the one place that knows how a page is put together from the data
the feature apps supply (see docs/architecture.md, "How a topic page is built")."""
