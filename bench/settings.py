"""Settings for benchmark runs only: production settings plus the bench-only URLconf.

`DJANGO_SETTINGS_MODULE=bench.settings` serves every production route unchanged and adds the
ceiling view (bench/urls.py), so production code never carries a benchmark route.
"""

from ucp.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
