import os
import subprocess
import sys
from pathlib import Path

CONFIGSVC = str(Path(sys.executable).parent / "configsvc")


def test_the_configsvc_command_is_installed_and_answers_help():
    result = subprocess.run([CONFIGSVC, "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0
    assert "Usage: configsvc [OPTIONS] COMMAND" in result.stdout


def test_shell_completion_comes_from_typer():
    # Typer names the shell it is run from (its parent process): bash here, whatever runs the tests
    # ("; true" keeps bash from replacing itself with the command).
    script = subprocess.run(
        ["bash", "-c", f"{CONFIGSVC} --show-completion; true"], capture_output=True, text=True, timeout=60, check=False
    )
    assert "_CONFIGSVC_COMPLETE=complete_bash" in script.stdout
    env = os.environ | {"_CONFIGSVC_COMPLETE": "complete_bash", "COMP_WORDS": "configsvc hist", "COMP_CWORD": "1"}
    completed = subprocess.run([CONFIGSVC], capture_output=True, text=True, env=env, timeout=60, check=False)
    assert completed.stdout.split() == ["history"]


def test_without_the_cli_extra_it_says_what_to_install():
    blocked = "import sys; sys.modules['typer'] = None; from configsvc_client.cli.main import main; main()"
    result = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == "configsvc: the command line needs typer: uv add 'configsvc-client[cli]'"
