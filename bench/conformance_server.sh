#!/usr/bin/env bash
# Starts a server for the official UCP conformance suite: a fresh SQLite database with one org,
# FLOWERS, holding only the flower-shop data the suite's tests are written against, configured
# the way that suite (the 2026-01-11 generation) expects. Then run bench/run_conformance.sh.
#
#   bench/conformance_server.sh <flower_shop data dir> [port]
#
# What the org is set to, and why:
#   rest_auth none                 the suite sends no platform credentials
#   root_profile_version 2026-01-11  the suite's generation
#   buyer_email_required false     the suite completes checkouts without a buyer email
#   saved_addresses buyer_email    the suite expects a known buyer email's saved addresses
#   simulation routes on           the suite ships orders through /testing/simulate-shipping
#   webhook envelope sample        the suite reads {event_type, checkout_id, order} webhooks
# and the server may fetch loopback platform profiles and call loopback webhook URLs
# (UCP_*_ALLOW_PRIVATE), which the suite's mock platform uses. Never run production like this.
set -euo pipefail

data_dir=${1:?usage: $0 <flower_shop data dir> [port]}
port=${2:-8106}
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
database=${CONFORMANCE_DB:-/tmp/ucp-conformance-$port.sqlite3}

export DATABASE_URL="sqlite:///$database"
export UCP_DEFAULT_ORGCODE=FLOWERS
export UCP_AGENT_PROFILE_ALLOW_PRIVATE=true
export UCP_WEBHOOK_ALLOW_PRIVATE=true
export UCP_PUBLIC_BASE_URL="http://localhost:$port"
export SIMULATION_SECRET=${SIMULATION_SECRET:-conformance-simulation-secret-1234}

rm -f "$database"
"$python" manage.py migrate --noinput -v0
"$python" manage.py create_org FLOWERS --name "Flower Shop" >/dev/null
"$python" manage.py import_catalog --org FLOWERS "$data_dir" >/dev/null
"$python" manage.py ucp_rest_settings --org FLOWERS --simulation on \
  --simulation-secret-env SIMULATION_SECRET --webhook-envelope sample >/dev/null
"$python" manage.py shell -v0 -c "
from orgconfig.models import Org
from orgconfig.selectors import ucp_config_of
from orgconfig.services import ucp_config_set
org = Org.objects.get(orgcode='FLOWERS')
ucp_config_set(
    org=org,
    actor='command:conformance_server',
    expected_revision=ucp_config_of(org=org).revision,
    changes={
        'rest_auth': 'none',
        'root_profile_version': '2026-01-11',
        'buyer_email_required': False,
        'saved_addresses': 'buyer_email',
    },
)"
echo "Conformance org FLOWERS ready; simulation secret in \$SIMULATION_SECRET ($SIMULATION_SECRET)."
exec "$python" manage.py runserver "127.0.0.1:$port" --noreload
