"""The sync client, generated from ``fal_queue/_async`` by tools/unasync.py: do not edit."""
