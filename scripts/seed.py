"""`make seed`: load idempotent demo data (a second run adds nothing)."""

import sys

from configsvc import seed
from configsvc.settings import SettingsError, load_settings

if __name__ == "__main__":
    try:
        settings = load_settings()
    except SettingsError as error:
        sys.exit(f"seed: {error}")
    report = seed.run(settings)
    print(
        f"seed: {report.applications_created} application(s) and "
        f"{report.configurations_created} configuration(s) created; the rest already existed"
    )
