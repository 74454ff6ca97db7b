"""Money helpers. Every amount in the service is an integer in the currency's ISO 4217 minor unit
(cents for USD, yen for JPY, fils for KWD); these helpers only do the arithmetic that must be
exact and the formatting people read in messages."""

from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision


def currency_exponent(currency: str) -> int:
    """Digits after the decimal point: 2 for USD, 0 for JPY, 3 for KWD (from CLDR via babel)."""
    return get_currency_precision(currency)


def format_minor(amount: int, currency: str) -> str:
    """`1050, "USD"` → `$10.50`; `1050, "JPY"` → `¥1,050`; `1050, "KWD"` → `KWD 1.050`."""
    exponent = currency_exponent(currency)
    major = Decimal(amount).scaleb(-exponent)
    return format_currency(major, currency, locale="en_US", currency_digits=True)


def percent_of_truncated(amount: int, percent: int) -> int:
    """What `percent` % off `amount` takes away, so that what remains is truncated to the minor
    unit (the buyer never pays a fraction): 3500 at 10 % → 350; 3150 at 20 % → 630."""
    percent = max(0, min(100, percent))
    remaining = amount * (100 - percent) // 100
    return amount - remaining


def tax_on(amount: int, rate_bps: int) -> int:
    """Tax in basis points, rounded half up to the minor unit: 1999 at 825 bps → 165 (164.9175)."""
    if amount <= 0 or rate_bps <= 0:
        return 0
    return (amount * rate_bps + 5000) // 10000


def allocate(amount: int, weights: list[int]) -> list[int]:
    """Splits `amount` over `weights` in proportion, in whole minor units, so that the parts sum
    exactly to `amount` (largest remainder: the units left over after flooring go to the parts
    with the biggest remainders, earlier parts first on ties). A part never exceeds its weight
    when `amount` does not exceed the sum of the weights."""
    total = sum(weights)
    if amount <= 0 or total <= 0:
        return [0] * len(weights)
    shares = [amount * weight // total for weight in weights]
    remainders = [amount * weight % total for weight in weights]
    left_over = amount - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda index: (-remainders[index], index))
    for index in by_remainder[:left_over]:
        shares[index] += 1
    return shares
