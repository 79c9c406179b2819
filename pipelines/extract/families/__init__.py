"""Page-family rules as YAML data files (one per family); loaded by pipelines.extract.rules."""
