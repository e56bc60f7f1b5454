"""The hand-written async client; ``fal_queue/_sync`` is generated from it (tools/unasync.py)."""
