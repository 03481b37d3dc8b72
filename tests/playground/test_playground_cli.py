"""``python -m alphapy.testing.emulator`` serves the playground and prints where."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request


def test_the_standalone_emulator_prints_the_playground_url_and_serves_it() -> None:
    env = {**os.environ, "PLAYGROUND_PORT": "0"}
    process = subprocess.Popen([sys.executable, "-m", "alphapy.testing.emulator", "--members", "1"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    try:
        url = ""
        for line in iter(process.stdout.readline, ""):
            if line.strip().startswith("Playground:"):
                url = line.split()[1]
            if line.startswith("Ctrl-C to stop."):
                break
        assert url.startswith("http://127.0.0.1:"), "the playground's URL is printed"
        with urllib.request.urlopen(url) as page:  # the first server's first channel, as its owner
            body = page.read().decode()
        assert "Alphapy Demo" in body and "# general" in body
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert process.returncode == 0
