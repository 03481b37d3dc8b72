"""Removing personal and payment data on realistic text: what a model or a staff member
writes about a receipt, and what people write in a support ticket."""

from __future__ import annotations

import subprocess
import sys

import pytest

from alphapy.personal_data import iban_valid, luhn_valid, one_line, remove_personal_data


@pytest.mark.parametrize(("text", "expected"), [
    # card numbers: Luhn-valid, any grouping
    ("Paid with Visa 4111 1111 1111 1111 on 2024-05-01.", "Paid with Visa [card number] on 2024-05-01."),
    ("Mastercard 5500-0000-0000-0004 was charged", "Mastercard [card number] was charged"),
    ("Amex 378282246310005, exp 12/27", "Amex [card number], exp 12/27"),
    ("card ending in 1111 (Visa)", "card ending in 1111 (Visa)"),  # last four digits are no secret
    ("**** **** **** 4242 charged 19.99", "**** **** **** 4242 charged 19.99"),
    # IBANs: checksum-validated, with or without spaces, any case
    ("Transfer to NL91 ABNA 0417 1643 00 received", "Transfer to [IBAN] received"),
    ("IBAN: DE89370400440532013000.", "IBAN: [IBAN]."),
    ("from gb82 west 1234 5698 7654 32 yesterday", "from [IBAN] yesterday"),
    ("BE68 5390 0754 7034, FR14 2004 1010 0505 0001 3M02 606", "[IBAN], [IBAN]"),
    # e-mail
    ("Receipt sent to jan.de.vries+shop@mail.example.co.uk.", "Receipt sent to [e-mail]."),
    # phone numbers in several formats
    ("Support: +31 6 12345678 or 06-12345678", "Support: [phone] or [phone]"),
    ("Call (020) 123 4567 / +44 20 7946 0958", "Call [phone] / [phone]"),
    ("US line (415) 555-2671, fax +1 415 555 2672", "US line [phone], fax [phone]"),
    ("Tel. 030 901820 (Berlin)", "Tel. [phone] (Berlin)"),
    # names after holder labels, in English and Dutch
    ("Account holder: Maria Garcia Lopez", "Account holder: [name]"),
    ("Name: John Smith\nAmount: 20 USD", "Name: [name] Amount: 20 USD"),
    ("naam: j. de vries, bedrag 12,50", "naam: [name], bedrag 12,50"),
    ("Rekeninghouder J.P. van den Berg betaalde", "Rekeninghouder [name] betaalde"),
    ("Paid by ALICE JOHNSON via PayPal", "Paid by [name] via PayPal"),
    ("ten name van: Pieter 't Hart, kenmerk 2024XYZ77", "ten name van: [name], kenmerk [order id]"),
    ("Cardholder Anna van der Berg-Jansen paid", "Cardholder [name] paid"),
    ("The name of the shop matches the requirements.", "The name of the shop matches the requirements."),
    # order and transaction ids after their labels
    ("Order #A-12345 for Gold", "Order #[order id] for Gold"),
    ("Bestelnummer: 998877; Order ID: XK-2024-99", "Bestelnummer: [order id]; Order ID: [order id]"),
    ("Transaction ID 8f3a9c21, invoice no. INV/2024/0042", "Transaction ID [order id], invoice no. [order id]"),
    ("an order for the Gold plan", "an order for the Gold plan"),
    # other long numbers, but never dates or amounts
    ("account 123456789012 and 1234567890123", "account [number] and [number]"),
    ("Invalid card 4111 1111 1111 1112", "Invalid card [number]"),
    ("between 2024-05-01 2024-06-01 for €1.234,56", "between 2024-05-01 2024-06-01 for €1.234,56"),
    ("dated 01-05-2024 at 14:32, total 49.99 EUR", "dated 01-05-2024 at 14:32, total 49.99 EUR"),
])
def test_one_line(text: str, expected: str) -> None:
    assert one_line(text) == expected


def test_a_realistic_model_reason() -> None:
    reason = ("Screenshot of a Shop Y order confirmation (Order #SY-20240501-7781) for 'Gold membership', "
              "paid 2024-05-01 by Account holder: J. Jansen with IBAN NL91ABNA0417164300; "
              "confirmation mailed to j.jansen@example.nl.")
    assert one_line(reason) == (
        "Screenshot of a Shop Y order confirmation (Order #[order id]) for 'Gold membership', "
        "paid 2024-05-01 by Account holder: [name] with IBAN [IBAN]; confirmation mailed to [e-mail].")


def test_hidden_characters_do_not_hide_a_number() -> None:
    sneaky = "card 4111\u200b1111\u200b1111\u200b1111 and NL91\u202eABNA0417164300"
    assert one_line(sneaky) == "card [card number] and [IBAN]"
    joined = "call 06\u206012345678, card 4111\u00ad1111\ufeff1111 1111"  # word joiner, soft hyphen, BOM
    assert remove_personal_data(joined) == "call [phone], card [card number]"


def test_cut_after_masking_and_idempotent() -> None:
    text = "x" * 290 + " 4111 1111 1111 1111"
    once = one_line(text)
    assert len(once) <= 300 and "4111" not in once and once.endswith("…")
    sample = "Order ID: XK-2024-99 by Account holder: Jan de Vries, IBAN NL91 ABNA 0417 1643 00"
    assert one_line(one_line(sample)) == one_line(sample)
    assert remove_personal_data(remove_personal_data(sample)) == remove_personal_data(sample)
    assert one_line(None) == "" and one_line("") == "" and remove_personal_data("") == ""
    assert one_line("Name: John Smith, IBAN NL91ABNA0417164300", limit=20) == "Name: [name], IBAN…"


def test_checksums() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_valid("NL91ABNA0417164300") and iban_valid("gb82west12345698765432")
    assert not iban_valid("NL91ABNA0417164301")  # one digit off
    assert not iban_valid("NL91ABNA041716430")  # the Dutch length is 18
    assert not iban_valid("NL91ABNA04171643OO")  # letters where digits belong break the checksum


def test_a_conversation_keeps_its_lines() -> None:
    said = ("Member: Name: Jan de Vries\r\n"
            "Staff: What is your order number?\n"
            "Member: Order\n"
            "12345, paid from NL91 ABNA 0417 1643 00\n"
            "Member: call me on 06 12345678 or mail jan@example.nl\r"
            "Staff: Refunded on 2024-05-01.")
    assert remove_personal_data(said).split("\n") == [
        "Member: Name: [name]",
        "Staff: What is your order number?",
        "Member: Order",
        "[order id], paid from [IBAN]",  # a label's value may be on the next line
        "Member: call me on [phone] or mail [e-mail]",
        "Staff: Refunded on 2024-05-01.",
    ]


def test_ordinary_support_text_is_left_alone() -> None:
    for text in ("on 2024-05-01 at 12:30, version 1.2.3, room 101",
                 "Ticket #1234 was solved in 3 days\nab12 this that word; call me at noon",
                 "an order for the Gold plan; the name of the shop; 49.99 EUR"):
        assert remove_personal_data(text) == text


def test_importing_is_cheap() -> None:
    code = ("import sys, alphapy.personal_data as p; assert 'phonenumbers' not in sys.modules; "
            "p.remove_personal_data('Name: Jan'); assert 'phonenumbers' not in sys.modules; "
            "p.remove_personal_data('call 06 12345678'); assert 'phonenumbers' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
