"""fal_queue: the typed, retry-safe SDK for fal's queue API behind intermediary gateways."""
