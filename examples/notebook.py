"""A notebook tour of fal-queue, as plain Python: run it cell by cell in Jupyter, or as a script.

    python examples/notebook.py            # starts the mock gateway itself; writes out/notebook.html

In Jupyter the last expression of a cell renders itself; here ``display`` stands in for that, writing
the same HTML (``_repr_html_``) that Jupyter shows into one page. The mock's media stop with the
mock, so that page shows its pictures only while a gateway serves them (a real gateway's URLs last
until the results expire).
"""

from __future__ import annotations

import sys
from pathlib import Path

from fal_queue import Client
from fal_queue.mock import MockConfig, MockGateway
from PIL import Image

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "out")
cells: list[str] = []


def display(value: object) -> None:
    """What Jupyter does with a cell's last value: its HTML when it has one, else its repr."""
    html = getattr(value, "_repr_html_", None)
    cells.append(html() if callable(html) else f"<pre>{value!r}</pre>")


with MockGateway(MockConfig(queue_delay=0.05, run_time=0.2)) as gateway:
    client = Client(gateway.base_url, gateway.key)

    # %% A text-to-image job: the result shows its images, seed, timings and safety verdicts.
    result = client.subscribe("fal-ai/flux-1/schnell", {"prompt": "a lighthouse at dusk", "num_images": 2})
    display(result)

    # %% Edit a picture on disk: a Path is sent inline, as a data URI.
    photo = OUT / "photo.png"
    OUT.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (320, 240), "teal").save(photo)
    edited = client.subscribe("fal-ai/flux-pro/kontext", {"prompt": "make it night", "image_url": photo})
    display(edited)

    # %% One file, in memory: bytes, or a PIL image to keep working with.
    first = edited.images[0]
    display(first)
    picture = first.to_pil()
    print("edited image:", picture.size, "from", len(first.read()), "bytes; flags:", edited.has_nsfw_concepts)

    # %% Results expire: save them.
    print("saved:", *client.download(result, OUT), sep="\n  ")
    client.close()

page = OUT / "notebook.html"
page.write_text("<!doctype html><html><body>" + "".join(cells) + "</body></html>", encoding="utf-8")
print("wrote", page)
