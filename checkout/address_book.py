"""The customer of a checkout and whose address book it may use (`OrgSettings.saved_addresses`).

A session knows its customer one of two ways (`CheckoutSession.customer_source`):

- `identity_link`: the platform linked the customer through identity linking. That never
  changes for the session.
- `buyer_email`: the org set `saved_addresses: buyer_email`, trusting its platforms to assert
  who the buyer is, and the session is tied to the org's customer with the buyer's email
  (created when there is none). A later buyer email re-ties it; a request without one (a REST
  PUT that leaves the buyer out) keeps the tie, as the platform asserted it for this session.
  When the org stops trusting buyer emails, the tie is dropped at the next update.

The address book is then the customer's when the setting allows it: `off` never,
`linked_customer` (the default) only for a linked customer, `buyer_email` for either. With an
address book, the addresses a platform sends without an id are saved to it (or matched with
the saved one), so they come back with their saved id; pricing offers the saved addresses when
the platform sends a shipping method without destinations.
"""

from dataclasses import dataclass, replace

from catalog.addresses import can_be_saved
from catalog.models import Customer
from catalog.services import checkout_customer_for_email, saved_address_for
from checkout.models import CheckoutSession, CustomerSource
from checkout.pricing import DestinationRequest, FulfillmentRequest
from orgconfig.models import Org, SavedAddresses


@dataclass(frozen=True)
class CustomerBinding:
    """A session's customer and how it came to know them."""

    customer: Customer | None = None
    source: str = CustomerSource.NONE

    @classmethod
    def linked(cls, customer: Customer | None) -> "CustomerBinding":
        return cls(customer, CustomerSource.IDENTITY_LINK) if customer else cls()

    @classmethod
    def of_session(cls, session: CheckoutSession) -> "CustomerBinding":
        if session.customer_id is None:
            return cls()
        return cls(session.customer, session.customer_source)

    def address_book(self, policy: str) -> Customer | None:
        """The customer whose saved addresses the checkout may use under `policy`, or None."""
        if self.customer is None or policy == SavedAddresses.OFF:
            return None
        if self.source == CustomerSource.IDENTITY_LINK:
            return self.customer
        if self.source == CustomerSource.BUYER_EMAIL and policy == SavedAddresses.BUYER_EMAIL:
            return self.customer
        return None


def buyer_name(buyer: dict) -> str:
    full_name = buyer.get("full_name")
    if isinstance(full_name, str) and full_name.strip():
        return full_name.strip()
    parts = (buyer.get("first_name"), buyer.get("last_name"))
    return " ".join(part.strip() for part in parts if isinstance(part, str) and part.strip())


def customer_binding(
    *, org: Org, policy: str, current: CustomerBinding, buyer: dict
) -> CustomerBinding:
    """The binding a create or update leaves the session with (rules in the module docstring).
    May create the customer of a new buyer email; call it inside the checkout's transaction."""
    if current.source == CustomerSource.IDENTITY_LINK:
        return current
    if policy != SavedAddresses.BUYER_EMAIL:
        return CustomerBinding()

    email = buyer.get("email")
    if not isinstance(email, str) or not email.strip():
        return current
    email = email.strip()
    if current.customer is not None and current.customer.email.casefold() == email.casefold():
        return current
    customer = checkout_customer_for_email(org=org, email=email, name=buyer_name(buyer))
    return CustomerBinding(customer, CustomerSource.BUYER_EMAIL)


def with_saved_ids(
    request: FulfillmentRequest | None, *, address_book: Customer | None
) -> FulfillmentRequest | None:
    """`request` with every destination sent as an address without an id given the id of its
    saved address in `address_book` (matched, or saved now). Destinations sent with an id, and
    addresses too incomplete to save (see `catalog.addresses.can_be_saved`), are left as sent."""
    if request is None or address_book is None:
        return request
    destinations = []
    for destination in request.destinations:
        if destination.id is None and destination.address and can_be_saved(destination.address):
            saved = saved_address_for(customer=address_book, postal_address=destination.address)
            destination = DestinationRequest(id=saved.public_id, address=destination.address)
        destinations.append(destination)
    return replace(request, destinations=tuple(destinations))
