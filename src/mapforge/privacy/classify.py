"""Which columns and values are sensitive: by column name, type, comment, and value pattern.

A kind names what a value is (`email`, `phone`, `card`, ...); masking and pseudonyms are
chosen per kind. Column evidence wins over value evidence: a column called `email` is
masked whole, even a row holding "n/a". Value patterns catch what names miss (a `notes`
column with an email in it); cards must pass Luhn and IBANs mod-97, so order numbers
that merely look long are not mistaken for them.
"""

from __future__ import annotations

import re
from typing import Protocol

# name part -> kind; a column name is split on _ and camelCase and matched by parts
_NAME_KINDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("email", "e_mail", "mail"), "email"),
    (("phone", "mobile", "cell", "fax", "msisdn", "telephone", "tel"), "phone"),
    (("ssn", "national_id", "nationalid", "nin", "tax_id", "taxid", "sin", "nhs"), "national_id"),
    (("passport",), "national_id"),
    (("card", "pan", "cc_number", "creditcard"), "card"),
    (("iban", "bic", "account_number", "bank_account"), "iban"),
    (
        (
            "first_name",
            "firstname",
            "last_name",
            "lastname",
            "full_name",
            "fullname",
            "surname",
            "given_name",
            "middle_name",
            "maiden_name",
            "contact_name",
            "customer_name",
        ),
        "name",
    ),
    (("zip", "zipcode", "zip_code", "postcode", "postal_code", "postalcode"), "postcode"),
    (("birth", "dob", "birthday", "date_of_birth", "birthdate"), "birth"),
    (("ip", "ip_address", "ipaddress", "ipv4", "ipv6"), "ip"),
    (("address", "street", "addr", "address_line", "house_number"), "address"),
    (("password", "passwd", "secret", "token", "api_key", "apikey"), "secret"),
)
_SENSITIVE_TYPES = {"inet": "ip", "cidr": "ip", "macaddr": "ip"}
_COMMENT = re.compile(
    r"\b(pii|personal(ly)?|sensitive|gdpr|confidential|phi|pci|e-?mail|phone|ssn)\b", re.I
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"^\+?[\d\s().-]{7,20}$")
NATIONAL_ID = re.compile(r"^(?:\d{3}-\d{2}-\d{4}|[A-Z]{2}\d{6}[A-D]|\d{2}[01]\d[0-3]\d-?\d{4,5})$")
IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9 ]{11,32}$")
IPV4 = re.compile(r"^(?:\d{1,3}\.){3}\d{1,3}$")


class ColumnLike(Protocol):
    """What classification reads of a catalog column (mapforge.catalog.model.Column fits)."""

    name: str
    type: str
    comment: str | None


def column_kind(column: ColumnLike) -> str | None:
    """The sensitive kind of a column by its name, type or comment, or None."""
    return name_kind(column.name) or _type_kind(column.type) or _comment_kind(column.comment)


def name_kind(name: str) -> str | None:
    """The kind a column name says, matched on its whole name and its snake/camel parts."""
    lowered = _CAMEL.sub("_", name).lower()
    parts = {lowered, *lowered.split("_")}
    joined = [lowered[i:] for i in range(len(lowered)) if i == 0 or lowered[i - 1] == "_"]
    for needles, kind in _NAME_KINDS:
        if any(n in parts or any(j.startswith(n + "_") or j == n for j in joined) for n in needles):
            return kind
    return None


def value_kind(value: object) -> str | None:
    """The sensitive kind a single value looks like, or None."""
    text = str(value).strip()
    if EMAIL.search(text):
        return "email"
    if any(luhn_ok(re.sub(r"[\s-]", "", m.group(0))) for m in CARD.finditer(text)):
        return "card"
    if IBAN.match(text.upper()) and iban_ok(text):
        return "iban"
    if NATIONAL_ID.match(text.upper()):
        return "national_id"
    if IPV4.match(text):
        return "ip"
    if PHONE.match(text) and 7 <= sum(c.isdigit() for c in text) <= 15 and _phone_shaped(text):
        return "phone"
    return None


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum every payment card number passes."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def iban_ok(text: str) -> bool:
    """ISO 13616 mod-97 check."""
    compact = text.replace(" ", "").upper()
    moved = compact[4:] + compact[:4]
    digits = "".join(str(int(c, 36)) for c in moved)
    return int(digits) % 97 == 1


def _phone_shaped(text: str) -> bool:
    # a bare run of digits is an id or an amount far more often than a phone number
    return text.startswith("+") or any(c in text for c in " ().-")


def _type_kind(type_: str) -> str | None:
    return _SENSITIVE_TYPES.get(type_.lower().split("(")[0].strip())


def _comment_kind(comment: str | None) -> str | None:
    return "sensitive" if comment and _COMMENT.search(comment) else None
