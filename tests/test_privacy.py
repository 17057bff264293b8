"""Privacy: what leaves for a model is proved by what the local fake server received."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import yaml

from mapforge import api
from mapforge.catalog.model import Column
from mapforge.config import ProjectConfig, load_config
from mapforge.privacy.classify import column_kind, iban_ok, luhn_ok, name_kind, value_kind
from mapforge.privacy.mask import Masker, mask, pseudonym
from mapforge.privacy.redact import redact, secret_values
from mapforge.project import open_project
from mapforge.testing import FakeLLMServer

API_KEY = "sk-test-SECRETKEY1234567890"
DB_PASSWORD = "DbPassw0rdXYZ"
EMAILS = ["zed.quux@example.org", "amelie.vanderbilt@corp-mail.de"]
PHONES = ["+44 20 7946 0958", "+1 (415) 555-0199"]
CARDS = ["4111 1111 1111 1111", "5500 0000 0000 0004"]  # Luhn-valid test numbers
CITIES = ["Zyxwopolis", "Qwertyburg"]
NOTES = ["prefers Kwijibo brand", "call back ozzy.plimsoll@mailhost.net"]
SENSITIVE = [*EMAILS, *PHONES, *CARDS, "ozzy.plimsoll", "7946 0958", "555-0199", "4111 1111"]

MAPPING = {
    "targets": [
        {
            "name": "dim_contact",
            "columns": [
                {
                    "name": "contact_id",
                    "type": "INTEGER",
                    "key": True,
                    "source_table": "contacts",
                    "source_column": "id",
                    "rule": "direct",
                },
                {
                    "name": "email_domain",
                    "type": "VARCHAR",
                    "source_table": "contacts",
                    "source_column": "email",
                    "rule": "the domain part of the email, lower case",
                },
                {
                    "name": "phone_digits",
                    "type": "VARCHAR",
                    "source_table": "contacts",
                    "source_column": "phone",
                    "rule": "only the digits of the phone number",
                },
                {
                    "name": "card_last4",
                    "type": "VARCHAR",
                    "source_table": "contacts",
                    "source_column": "card_number",
                    "rule": "last four digits of the card",
                },
                {
                    "name": "city",
                    "type": "VARCHAR",
                    "source_table": "contacts",
                    "source_column": "city",
                    "rule": "city name in upper case",
                },
                {
                    "name": "note",
                    "type": "VARCHAR",
                    "source_table": "contacts",
                    "source_column": "notes",
                    "rule": "the note, trimmed",
                },
            ],
        }
    ]
}
ANSWER = """```sql
SELECT id AS contact_id, lower(split_part(email, '@', 2)) AS email_domain,
       regexp_replace(phone, '[^0-9]', '', 'g') AS phone_digits,
       right(replace(card_number, ' ', ''), 4) AS card_last4, upper(city) AS city,
       trim(notes) AS note
FROM contacts
```"""


@dataclass
class Run:
    bodies: str  # every recorded request body, as JSON text
    headers: str
    lock: str
    ledger: str


def _project(directory: Path, server: FakeLLMServer, privacy: dict[str, object]) -> Path:
    directory.mkdir()
    (directory / "mappings").mkdir()
    (directory / "mappings" / "contacts.yaml").write_text(yaml.safe_dump(MAPPING))
    config = {
        "name": "privacy-test",
        "engine": {"type": "duckdb", "path": "warehouse.duckdb"},
        # a declared, unused PostgreSQL target: a DB password in the config
        "targets": {"pg": {"type": "postgres", "url": f"postgresql://etl:{DB_PASSWORD}@db/crm"}},
        "llm": {"base_url": server.base_url, "api_key": API_KEY, "max_repairs": 0},
        "privacy": privacy,
    }
    (directory / "mapforge.yml").write_text(yaml.safe_dump(config))
    with duckdb.connect(str(directory / "warehouse.duckdb")) as conn:
        conn.execute(
            "CREATE TABLE contacts (id INTEGER, email VARCHAR, phone VARCHAR,"
            " card_number VARCHAR, city VARCHAR, notes VARCHAR)"
        )
        # the password also sits in metadata, where a prompt would pick it up
        conn.execute(
            f"COMMENT ON TABLE contacts IS 'copied from postgresql://etl:{DB_PASSWORD}@db/crm'"
        )
        rows = zip([1, 2], EMAILS, PHONES, CARDS, CITIES, NOTES, strict=True)
        conn.executemany("INSERT INTO contacts VALUES (?, ?, ?, ?, ?, ?)", list(rows))
    return directory


def _plan(directory: Path, server: FakeLLMServer, privacy: dict[str, object]) -> Run:
    server.reset()
    server.default = lambda body: ANSWER
    path = _project(directory, server, privacy)
    with open_project(path) as project:
        api.plan(project)
    with sqlite3.connect(path / ".mapforge" / "ledger.sqlite") as conn:
        ledger = json.dumps(conn.execute("SELECT * FROM calls").fetchall())
    return Run(
        bodies="\n".join(json.dumps(r.json, ensure_ascii=False) for r in server.requests),
        headers=json.dumps([r.headers for r in server.requests]),
        lock=(path / "mapforge.lock").read_text(),
        ledger=ledger,
    )


def _prompt_text(run: Run) -> str:
    """The prompt text of every body, with JSON string escapes undone."""
    return "\n".join(
        m["content"] for line in run.bodies.splitlines() for m in json.loads(line)["messages"]
    )


# -- end to end: what the fake server received ------------------------------------------


def test_without_send_samples_no_row_value_leaves(tmp_path: Path, fake_llm: FakeLLMServer) -> None:
    run = _plan(tmp_path / "p", fake_llm, {"send_samples": False})
    text = _prompt_text(run)
    assert "contacts" in text and "card_number" in text  # the metadata did go
    for value in [*EMAILS, *PHONES, *CARDS, *CITIES, *NOTES, "Kwijibo"]:
        assert value not in text
    assert "never data" in text and "Sample values" not in text


def test_with_send_samples_plain_values_go_and_sensitive_ones_are_masked(
    tmp_path: Path, fake_llm: FakeLLMServer
) -> None:
    run = _plan(tmp_path / "p", fake_llm, {"send_samples": True, "samples_per_column": 2})
    text = _prompt_text(run)
    assert "## Sample values" in text
    assert all(city in text for city in CITIES) and "prefers Kwijibo brand" in text
    for secret in SENSITIVE:
        assert secret not in text and secret not in run.lock and secret not in run.ledger
    assert "z***@***.org" in text  # email column, masked by name
    assert "o***@***.net" in text  # an email inside a notes value, masked by its look
    assert "**** **** **** 1111" in text  # card: the last four only


def _pseudonyms(text: str) -> list[str]:
    return sorted(set(re.findall(r"user_[0-9a-f]{8}@example\.invalid", text)))


def test_pseudonyms_are_stable_and_keyed(tmp_path: Path, fake_llm: FakeLLMServer) -> None:
    def privacy(key: str) -> dict[str, object]:
        return {"send_samples": True, "mode": "pseudonymize", "pseudonym_key": key}

    first = _pseudonyms(_prompt_text(_plan(tmp_path / "a", fake_llm, privacy("k1"))))
    again = _pseudonyms(_prompt_text(_plan(tmp_path / "b", fake_llm, privacy("k1"))))
    other = _pseudonyms(_prompt_text(_plan(tmp_path / "c", fake_llm, privacy("k2"))))
    assert len(first) == 3  # two email column values + the email in a note
    assert first == again and not set(first) & set(other)


def test_secrets_never_reach_the_bodies_the_lock_or_the_ledger(
    tmp_path: Path, fake_llm: FakeLLMServer
) -> None:
    run = _plan(tmp_path / "p", fake_llm, {"send_samples": True})
    assert API_KEY in run.headers  # it was configured and used: where it belongs
    for where in (run.bodies, run.lock, run.ledger):
        assert API_KEY not in where and DB_PASSWORD not in where
    assert "postgresql://etl:***@db/crm" in _prompt_text(run)


def test_openai_requests_ask_not_to_store(tmp_path: Path, fake_llm: FakeLLMServer) -> None:
    run = _plan(tmp_path / "p", fake_llm, {"send_samples": False})
    bodies = [json.loads(line) for line in run.bodies.splitlines()]
    assert bodies and all(body["store"] is False for body in bodies)


# -- classification ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("email", "email"),
        ("customer_email_address", "email"),
        ("mobile", "phone"),
        ("ssn", "national_id"),
        ("passport_no", "national_id"),
        ("card_number", "card"),
        ("iban", "iban"),
        ("firstName", "name"),
        ("last_name", "name"),
        ("street", "address"),
        ("zip", "postcode"),
        ("date_of_birth", "birth"),
        ("dob", "birth"),
        ("ip_address", "ip"),
        ("product_name", None),
        ("discard_reason", None),
        ("shipping_cost", None),
        ("city", None),
    ],
)
def test_columns_are_classified_by_name(name: str, kind: str | None) -> None:
    assert name_kind(name) == kind


def test_columns_are_classified_by_type_and_comment() -> None:
    assert column_kind(Column(name="client", type="INET")) == "ip"
    assert column_kind(Column(name="x", type="VARCHAR", comment="PII: contact")) == "sensitive"
    assert column_kind(Column(name="x", type="VARCHAR", comment="order status")) is None


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("jane@example.com", "email"),
        ("4111 1111 1111 1111", "card"),
        ("4111 1111 1111 1112", None),  # fails Luhn
        ("paid with 4111-1111-1111-1111", "card"),
        ("DE89 3704 0044 0532 0130 00", "iban"),
        ("DE89 3704 0044 0532 0130 01", None),  # fails mod-97
        ("123-45-6789", "national_id"),
        ("+44 20 7946 0958", "phone"),
        ("10.0.0.12", "ip"),
        ("20240131", None),
        ("12345678", None),
        ("Berlin", None),
        ("ORD-000123", None),
    ],
)
def test_values_are_classified_by_pattern(value: str, kind: str | None) -> None:
    assert value_kind(value) == kind


def test_checksums() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("GB82 WEST 1234 5698 7654 32") and not iban_ok("GB82 WEST 1234 5698 7654 33")


# -- masks and pseudonyms ---------------------------------------------------------------


def test_masks_keep_the_format_and_drop_the_identity() -> None:
    assert mask("jane.doe@example.com", "email") == "j***@***.com"
    assert mask("+44 20 7946 0958", "phone") == "+** ** **** **58"
    assert mask("4111 1111 1111 1111", "card") == "**** **** **** 1111"
    assert mask("DE89 3704 0044 0532 0130 00", "iban") == "DE** **** **** **** **** 00"
    assert mask("Jane", "name") == "J***"


def test_pseudonyms_depend_on_value_kind_and_key() -> None:
    one = pseudonym("jane@example.com", "email", b"k1")
    assert one == pseudonym("jane@example.com", "email", b"k1")
    assert one != pseudonym("jane@example.com", "email", b"k2")
    assert one != pseudonym("john@example.com", "email", b"k1")
    assert re.fullmatch(r"user_[0-9a-f]{8}@example\.invalid", one)
    assert Masker("pseudonymize", b"k")("Jane", "name").startswith("name_")


# -- redaction and config ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        ("connect postgresql://etl:pw-1234@db:5432/crm now", "pw-1234"),
        ("key sk-proj-abcdefgh12345678 here", "abcdefgh12345678"),
        ("key sk-ant-api03-abcdefgh1234", "api03-abcdefgh1234"),
        ("Authorization: Bearer eyJhbGciOi.abc.def", "eyJhbGciOi"),
        ("password=hunter2hunter2; user=x", "hunter2hunter2"),
    ],
)
def test_redact_removes_secret_shapes(text: str, leak: str) -> None:
    assert leak not in redact(text) and "***" in redact(text)


def test_redact_keeps_ordinary_text_and_removes_given_values() -> None:
    plain = "orders.amount -- gross amount, see https://wiki/x and user@example.com"
    assert redact(plain) == plain
    assert redact("the key is s3cr3t-value", ["s3cr3t-value"]) == "the key is ***"


def test_secret_config_fields_are_found_and_hidden(tmp_path: Path) -> None:
    (tmp_path / "mapforge.yml").write_text(
        "llm:\n  api_key: ${KEY}\nprivacy:\n  send_samples: true\n"
        "  samples_per_column: 2\n  mode: pseudonymize\n  pseudonym_key: ${PSEUDO}\n"
    )
    cfg = load_config(tmp_path, env={"KEY": API_KEY, "PSEUDO": "pseudo-key-1"})
    assert (cfg.privacy.samples_per_column, cfg.privacy.mode) == (2, "pseudonymize")
    assert set(secret_values(cfg)) == {API_KEY, "pseudo-key-1"}
    assert API_KEY not in repr(cfg) and "pseudo-key-1" not in repr(cfg)
    env = load_config(
        tmp_path, env={"KEY": "k", "PSEUDO": "p", "MAPFORGE_PRIVACY_PSEUDONYM_KEY": "from-env"}
    )
    assert env.privacy.pseudonym_key == "from-env"


def test_privacy_defaults_send_nothing() -> None:
    cfg = ProjectConfig().privacy
    assert (cfg.send_samples, cfg.samples_per_column, cfg.mode, cfg.pseudonym_key) == (
        False,
        3,
        "mask",
        None,
    )
