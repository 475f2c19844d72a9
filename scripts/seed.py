"""`make seed`: load idempotent demo data (a second run adds nothing)."""

from configsvc import seed
from configsvc.settings import settings_or_exit

if __name__ == "__main__":
    report = seed.run(settings_or_exit("seed"))
    print(
        f"seed: {report.applications_created} application(s) and "
        f"{report.configurations_created} configuration(s) created; the rest already existed"
    )
