import re
from pathlib import Path

import pytest

from configsvc.settings import Settings, SettingsError, load_settings, settings_or_exit

SETTING_NAMES = [
    "DATABASE_URL",
    "AUTH_REQUIRED",
    "DATA_DIR",
    "HOST",
    "PORT",
    "LOG_LEVEL",
    "DB_POOL_MIN_SIZE",
    "DB_POOL_MAX_SIZE",
    "DB_LEASE_TIMEOUT_SECONDS",
    "DB_STATEMENT_TIMEOUT_MS",
    "MAX_BODY_BYTES",
    "MAX_HEADER_BYTES",
    "HEADERS_TIMEOUT_SECONDS",
    "WORKERS",
    "READ_CACHE_BYTES",
    "READ_REFRESH",
    "WATCH_MAX_SECONDS",
    "WATCH_MAX_HELD",
    "METRICS_ENABLED",
    "LOG_FORMAT",
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """Each test starts from no environment settings and no .env file."""
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_match_the_contract():
    settings = load_settings()

    assert settings.database_url == ""
    assert settings.data_dir == Path(".data")
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.log_level == "INFO"
    assert settings.max_body_bytes == 1_048_576
    assert settings.max_header_bytes == 65_536
    assert settings.headers_timeout_seconds == 30
    assert 0 < settings.db_pool_min_size <= settings.db_pool_max_size
    assert settings.db_lease_timeout_seconds > 0
    assert settings.workers >= 1


def test_env_file_is_read_and_the_environment_overrides_it(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text("PORT=9001\nLOG_LEVEL=debug\nDB_POOL_MAX_SIZE=7\n")
    monkeypatch.setenv("PORT", "9002")

    settings = load_settings()

    assert settings.port == 9002
    assert settings.log_level == "DEBUG"
    assert settings.db_pool_max_size == 7


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "eighty"),
        ("PORT", "70000"),
        ("LOG_LEVEL", "LOUD"),
        ("LOG_LEVEL", "WARN"),
        ("LOG_LEVEL", "NOTSET"),
        ("DB_LEASE_TIMEOUT_SECONDS", "inf"),
        ("DATABASE_URL", "postgresql://host:notaport/db"),
        ("DATABASE_URL", "nonsense"),
        ("DB_LEASE_TIMEOUT_SECONDS", "0"),
        ("DB_POOL_MAX_SIZE", "0"),
        ("MAX_BODY_BYTES", "-1"),
        ("MAX_HEADER_BYTES", "100"),
        ("HEADERS_TIMEOUT_SECONDS", "0"),
        ("HEADERS_TIMEOUT_SECONDS", "nan"),
        ("WORKERS", "0"),
    ],
)
def test_a_bad_value_fails_naming_the_setting(monkeypatch, name, value):
    monkeypatch.setenv(name, value)

    with pytest.raises(SettingsError, match=name):
        load_settings()


def test_pool_bounds_must_be_ordered(monkeypatch):
    monkeypatch.setenv("DB_POOL_MIN_SIZE", "5")
    monkeypatch.setenv("DB_POOL_MAX_SIZE", "2")

    with pytest.raises(SettingsError, match="DB_POOL_MIN_SIZE must not exceed DB_POOL_MAX_SIZE"):
        load_settings()


def test_a_minimum_above_the_default_maximum_raises_the_maximum(monkeypatch):
    """Configurations that set only DB_POOL_MIN_SIZE (valid when the default maximum was 10)."""
    monkeypatch.setenv("DB_POOL_MIN_SIZE", "8")
    monkeypatch.delenv("DB_POOL_MAX_SIZE", raising=False)

    settings = load_settings()

    assert (settings.db_pool_min_size, settings.db_pool_max_size) == (8, 8)


def test_env_example_documents_every_setting_and_nothing_else():
    example = Path(__file__).resolve().parent.parent / ".env.example"
    documented = {
        line.lstrip("# ").split("=", 1)[0]
        for line in example.read_text().splitlines()
        if "=" in line and line.lstrip("# ").split("=", 1)[0].isupper()
    }

    assert documented == set(SETTING_NAMES)
    assert {name.upper() for name in Settings.model_fields} == set(SETTING_NAMES)


def test_the_readme_documents_every_setting():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    table = readme.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]

    assert {name for row in rows for name in re.findall(r"`([A-Z_]+)`", row)} == set(SETTING_NAMES)


def test_entry_points_exit_with_one_line_naming_the_setting(monkeypatch):
    monkeypatch.setenv("PORT", "eighty")

    with pytest.raises(SystemExit) as raised:
        settings_or_exit("serve")

    assert str(raised.value).startswith("serve: invalid settings: PORT:")
