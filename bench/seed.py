"""Seeds the benchmark database: one org with the flower-shop catalog, an owner API key and a
platform. Prints their credentials as one JSON object on stdout.

Stock is raised far above the CSV's counts so that thousands of benchmark completes never run
out; everything else (products, prices, discounts, shipping) is the flower-shop data as imported.
BENCH_CUSTOMERS customers are added (bench_cust_0...) so that each timed token exchange links a
customer of its own, as many platforms' customers would, instead of all queueing on one link row.
"""

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_STOCK = 1_000_000_000
BENCH_CUSTOMERS = 2_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True, help="folder laid out like demo-data/flower_shop")
    parser.add_argument("--orgcode", default="BENCH")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()

    from catalog.models import Customer, InventoryLevel
    from catalog.services import catalog_import
    from orgconfig.models import Role
    from orgconfig.services import api_key_create, org_create
    from platforms.services import platform_register

    org = org_create(orgcode=args.orgcode, name="Bench Flower Shop")
    catalog_import(org=org, directory=Path(args.data))
    InventoryLevel.objects.filter(product__org=org).update(quantity=BENCH_STOCK)
    Customer.objects.bulk_create(
        Customer(org=org, public_id=f"bench_cust_{n}", name=f"Bench {n}", email=f"b{n}@example.com")
        for n in range(BENCH_CUSTOMERS)
    )
    _, api_key = api_key_create(org=org, name="bench owner", role=Role.OWNER)
    platform, client_secret = platform_register(org=org, caption="Bench agent")

    credentials = {
        "orgcode": org.orgcode,
        "api_key": api_key,
        "platform_guid": str(platform.guid),
        "client_id": platform.client_id,
        "client_secret": client_secret,
        "customers": BENCH_CUSTOMERS,
    }
    sys.stdout.write(json.dumps(credentials) + "\n")


if __name__ == "__main__":
    main()
