"""Write the demo corpus the tracker ships, from the synthetic generator: ``python -m tests.standin.make_demo``.

Run it (and commit the file) after a change to the generator; tests/test_demo_corpus.py fails until then.
"""

from __future__ import annotations

from tests.standin.corpus import generate_demo
from tracker.demo.corpus import DEMO_FILE, encode_demo


def main() -> None:
    DEMO_FILE.parent.mkdir(parents=True, exist_ok=True)
    DEMO_FILE.write_bytes(encode_demo(generate_demo()))
    print(f"wrote {DEMO_FILE} ({DEMO_FILE.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
