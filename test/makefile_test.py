import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_without_uv_make_says_what_to_install_in_one_line():
    result = subprocess.run(
        ["make", "-s", "test", "UV=no-such-uv"], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False
    )

    assert result.returncode != 0
    (line,) = result.stderr.strip().splitlines()
    assert line.endswith(
        "no-such-uv is not installed: install uv (https://docs.astral.sh/uv/getting-started/installation/), "
        "then run make again.  Stop."
    )
    assert "No such file or directory" not in result.stderr
