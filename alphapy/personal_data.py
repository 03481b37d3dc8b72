"""Take personal and payment data out of text before it is stored, shown, logged or sent to AI.

Two plugins handle text that may quote such data, and both use this module, so that what
counts as personal data, and how it reads once removed, is decided in one place:

* verification: the model's reason for a payment screenshot, and a staff member's reason
  for a rejection, may quote what the screenshot showed (a card number, an IBAN, the
  account holder's name); its table promises "no raw payment details". Those reasons are
  short, stored in one column and shown in an embed: :func:`one_line`.
* tickets: a closed ticket's conversation goes to the AI for a summary (data
  minimisation), and the model's answer is cleaned again before it is stored, since a
  model can repeat what it was told not to. A conversation must keep its lines, so that
  the model still sees who said what: :func:`remove_personal_data`.

What is removed, each replaced by a short placeholder so that the sentence still reads:

* card numbers that pass the Luhn check, with or without spaces or dashes: ``[card number]``;
* IBANs whose mod-97 checksum holds (with the country's length where known): ``[IBAN]``;
* e-mail addresses: ``[e-mail]``;
* phone numbers in local and international formats, as the ``phonenumbers`` library
  (Google's libphonenumber) recognises them for the regions members here pay from: ``[phone]``;
* names after an account-holder label ("Name:", "Account holder", "Rekeninghouder", ...): ``[name]``;
* order, invoice and transaction ids after their label ("Order #", "Bestelnummer", ...): ``[order id]``;
* any other run of ten or more digits (an account or card number the checks missed): ``[number]``.

A name written without such a label is not recognised: telling "Jan" the person from
"Jan" the month needs more than patterns. Dates, times, amounts and version numbers are
kept, since a text without them rarely still serves its reader.

Erring on the side of removal is deliberate: a reason that lost a harmless number still
serves staff; a stored card number cannot be taken back.

Importing this module is cheap: ``phonenumbers`` (its metadata is several megabytes) is
imported on the first text with enough digits to hold a phone number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

__all__ = [
    "CARD", "EMAIL", "IBAN", "NAME", "NUMBER", "ORDER", "PHONE", "PHONE_REGIONS",
    "iban_valid", "luhn_valid", "one_line", "remove_personal_data",
]

CARD = "[card number]"
IBAN = "[IBAN]"
EMAIL = "[e-mail]"
PHONE = "[phone]"
NAME = "[name]"
ORDER = "[order id]"
NUMBER = "[number]"

#: Regions whose national phone formats are recognised (international +… numbers always are).
PHONE_REGIONS = ("NL", "BE", "DE", "FR", "GB", "US", "ES", "IT")

# Dates look like numbers to every pattern below; a reason without its date is useless.
_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")


def _is_date(text: str) -> bool:
    return _DATE.fullmatch(text) is not None


# --- cards --------------------------------------------------------------------------------
_CARD = re.compile(r"(?<![\w])\d(?:[ -]?\d){12,18}(?![\w])")


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every payment card number carries."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _mask_cards(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        if any(_is_date(piece) for piece in match.group().split()):
            return match.group()  # "2024-05-01 2024-06-01": two dates, left to the long-number pass
        digits = re.sub(r"\D", "", match.group())
        return CARD if 13 <= len(digits) <= 19 and luhn_valid(digits) else match.group()

    return _CARD.sub(replace, text)


# --- IBANs --------------------------------------------------------------------------------
# Lengths from the SWIFT IBAN registry; an unknown country is tried at every length.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30,
    "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
    "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}
_IBAN_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?=[ -]?[A-Za-z0-9])")


def iban_valid(compact: str) -> bool:
    """ISO 13616: move the first four characters to the end, letters to numbers, mod 97 == 1."""
    compact = compact.upper()
    if not 15 <= len(compact) <= 34 or not compact.isalnum() or not compact.isascii():
        return False
    expected = IBAN_LENGTHS.get(compact[:2])
    if expected is not None and len(compact) != expected:
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def _iban_ends(text: str, start: int) -> list[tuple[int, str]]:
    """Where an IBAN starting at ``start`` could end (with its compact form), longest first.

    Groups may be separated by one space or dash; an IBAN ends at a group boundary.
    """
    ends: list[tuple[int, str]] = []
    compact = ""
    index = start
    while index < len(text) and len(compact) < 34:
        char = text[index]
        if char.isascii() and char.isalnum():
            compact += char
            index += 1
            at_boundary = index == len(text) or not (text[index].isascii() and text[index].isalnum())
            if len(compact) >= 15 and at_boundary:
                ends.append((index, compact))
            continue
        if char in " -" and compact and index + 1 < len(text) and text[index + 1].isascii() and text[index + 1].isalnum():
            index += 1
            continue
        break
    return list(reversed(ends))


def _mask_ibans(text: str) -> str:
    out: list[str] = []
    position = 0
    for match in _IBAN_START.finditer(text):
        if match.start() < position:
            continue
        for end, compact in _iban_ends(text, match.start()):
            if iban_valid(compact):
                out.append(text[position:match.start()])
                out.append(IBAN)
                position = end
                break
    out.append(text[position:])
    return "".join(out)


# --- e-mail -------------------------------------------------------------------------------
_EMAIL = re.compile(r"[\w.%+'-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def _mask_emails(text: str) -> str:
    return _EMAIL.sub(EMAIL, text)


# --- phone numbers ------------------------------------------------------------------------
def _phone_spans(line: str, regions: Iterable[str]) -> list[tuple[int, int]]:
    import phonenumbers  # lazily: its metadata is large, and most texts never get this far

    spans: list[tuple[int, int]] = []
    for region in regions:
        for match in phonenumbers.PhoneNumberMatcher(line, region, leniency=phonenumbers.Leniency.VALID):
            if not _is_date(match.raw_string):  # "01-05-2024" is a valid Italian number too
                spans.append((match.start, match.end))
    return spans


def _replace_spans(text: str, spans: list[tuple[int, int]], placeholder: str) -> str:
    if not spans:
        return text
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, position = [], 0
    for start, end in merged:
        out += [text[position:start], placeholder]
        position = end
    out.append(text[position:])
    return "".join(out)


def _mask_phone_line(line: str) -> str:
    if sum(ch.isdigit() for ch in line) < 6:
        return line  # nothing a phone number could be made of
    return _replace_spans(line, _phone_spans(line, PHONE_REGIONS), PHONE)


def _mask_phones(text: str) -> str:
    # Line by line: a match can then never swallow a line break (a conversation keeps its lines).
    return "\n".join(_mask_phone_line(line) for line in text.split("\n"))


# --- labelled names and ids ------------------------------------------------------------------
def _alternatives(words: Iterable[str]) -> str:
    # Longest first, so that "order id" wins over "order"; spaces match any whitespace.
    ordered = sorted(set(words), key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered)


# Labels that name a person whatever follows: the name must look like one (capitalised).
_HOLDER_LABELS = (
    "account holder", "accountholder", "account name", "card holder", "cardholder", "name on card",
    "rekeninghouder", "kaarthouder", "naam rekeninghouder", "naam op kaart", "ten name van", "t.n.v.",
    "tnv", "paid by", "betaald door", "payer", "beneficiary", "begunstigde", "recipient", "ontvanger",
    "customer name", "klantnaam", "billed to", "bill to", "ship to", "sender", "afzender",
    "belongs to", "belonging to", "owned by", "registered to", "in the name of", "on behalf of",
    "op naam van", "namens", "van de rekening van",
)
# Ordinary words that only name a person on a form: "Name: ...".
_FORM_LABELS = ("name", "naam", "full name", "volledige naam", "customer", "klant", "holder", "houder")
_NAME_LABEL = re.compile(
    rf"(?<![\w])(?:(?P<holder>{_alternatives(_HOLDER_LABELS)})|(?P<form>{_alternatives(_FORM_LABELS)}))"
    r"(?![\w])(?P<sep>\s*(?:[:=]|-(?=\s)|–|\bis\b)\s*|\s+)",
    re.IGNORECASE,
)
_PARTICLES = frozenset({
    "van", "de", "der", "den", "het", "ter", "ten", "te", "von", "vom", "zu", "la", "le", "du",
    "da", "di", "del", "della", "dos", "das", "bin", "al", "el", "op", "'t", "in",
})
_STOPWORDS = frozenset({
    "and", "or", "the", "is", "was", "with", "for", "on", "at", "in", "to", "from", "dated", "date",
    "paid", "amount", "card", "account", "en", "of", "met", "voor", "op", "bedrag", "datum",
    "matches", "match", "shown", "shows", "visible", "but", "not", "no", "a", "an",
})
_TOKEN = re.compile(r"'?[^\W\d_][\w'’.\-]*")


_INITIALS = re.compile(r"(?:[^\W\d_]{1,2}\.)+")
_GAP = re.compile(r"[ \t]+")  # between the words of a name: never a line break


def _name_length(text: str, start: int, *, loose: bool) -> int:
    """How many characters from ``start`` make up a person's name (0: none there).

    A name is up to six words on one line: capitalised words, initials ("J.", "J.P."),
    and particles ("van den") before a capitalised word. ``loose`` (after "Name:") also
    takes a lowercase name, as OCR often gives one, but stops at ordinary words ("and").
    """
    tokens: list[re.Match[str]] = []
    position = start
    while len(tokens) < 8:
        gap = _GAP.match(text, position) if tokens else None
        if tokens and gap is None:
            break
        token = _TOKEN.match(text, gap.end() if gap else position)
        if token is None:
            break
        tokens.append(token)
        position = token.end()

    def capitalised(word: str) -> bool:
        return word[0].isupper()

    end = start
    taken = 0
    lowercase = False
    for index, token in enumerate(tokens):
        if taken == 6:
            break
        word = token.group()
        bare = word.rstrip(".-")
        initial = _INITIALS.fullmatch(word) is not None
        before_a_name = any(capitalised(t.group()) for t in tokens[index + 1:index + 4]
                            if t.group().rstrip(".").lower() not in _PARTICLES)
        if not lowercase and (capitalised(word) or (taken and bare.lower() in _PARTICLES and before_a_name)):
            pass  # a capitalised word, or a particle such as "van den" before one
        elif loose and (lowercase or not taken) and (bare.isalpha() or initial) and bare.lower() not in _STOPWORDS:
            lowercase = True
        else:
            break
        taken += 1
        end = token.end() if initial else token.start() + len(bare)
    # Particles at the end belong to the sentence, not the name ("J. Smith van").
    while taken and tokens[taken - 1].group().lower() in _PARTICLES and not lowercase:
        taken -= 1
        end = tokens[taken - 1].end() if taken else start
    return end - start


def _mask_names(text: str) -> str:
    out: list[str] = []
    position = 0
    for match in _NAME_LABEL.finditer(text):
        if match.start() < position:
            continue
        explicit = match.group("sep").strip() != ""
        if match.group("form") and not explicit:
            continue  # "the name of the shop" is not a form field
        length = _name_length(text, match.end(), loose=explicit)
        if length:
            out += [text[position:match.end()], NAME]
            position = match.end() + length
    out.append(text[position:])
    return "".join(out)


_ORDER_LABELS = (
    "order", "order id", "order no", "order no.", "order nr", "order nr.", "order number", "order ref",
    "ordernummer", "bestelnummer", "bestelling", "bestel-id", "bestelcode", "transaction", "transaction id",
    "transactie", "transactie-id", "transactienummer", "invoice", "invoice no", "invoice no.",
    "invoice number", "factuur", "factuurnummer", "reference", "referentie", "kenmerk",
    "betalingskenmerk", "receipt no", "receipt no.", "receipt number", "bonnummer", "payment id",
    "confirmation", "confirmation number", "bevestigingsnummer", "tracking number", "trackingnummer",
)
_ORDER = re.compile(
    rf"(?<![\w])(?P<label>{_alternatives(_ORDER_LABELS)})(?![\w])\s*(?:[:=#]|no\.?|nr\.?)?\s*"
    r"(?P<id>#?(?=[\w\-/]*\d)[A-Za-z0-9][\w\-/]*[A-Za-z0-9]|#?\d)",
    re.IGNORECASE,
)


def _mask_orders(text: str) -> str:
    return _ORDER.sub(lambda m: text[m.start():m.start("id")] + ORDER, text)


# --- anything else long and numeric -----------------------------------------------------------
_LONG_NUMBER = re.compile(r"(?<![\w])\d(?:[ -]?\d){9,}(?![\w])")


def _mask_run(run: str) -> str:
    """A long run of digits, masked, except for the dates in it (kept as they are)."""
    pieces = run.split(" ")
    if not any(_is_date(piece) for piece in pieces):
        return NUMBER
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            joined = " ".join(pending)
            out.append(NUMBER if sum(ch.isdigit() for ch in joined) >= 10 else joined)
            pending.clear()

    for piece in pieces:
        if _is_date(piece):
            flush()
            out.append(piece)
        else:
            pending.append(piece)
    flush()
    return " ".join(out)


def _mask_long_numbers(text: str) -> str:
    return _LONG_NUMBER.sub(lambda m: _mask_run(m.group()), text)


# --- the whole pass -------------------------------------------------------------------------
# Control characters (but tab and line breaks) and invisible or direction-changing
# characters: "4111\u200b1111..." or a right-to-left override would hide digits from the
# patterns above while still showing them to a reader.
_HIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")

# E-mail first (its digits would look like a phone), then the checksummed numbers, then the
# labelled values, then phones, and whatever long numbers are left last.
_STEPS: tuple[Callable[[str], str], ...] = (
    _mask_emails,
    _mask_ibans,
    _mask_cards,
    _mask_orders,
    _mask_names,
    _mask_phones,
    _mask_long_numbers,
)


def remove_personal_data(text: str | None) -> str:
    """``text`` without payment details or personal data, with its lines kept.

    For texts whose lines matter, such as a conversation (one message a line). Hidden
    characters are dropped first (they can hide digits from a pattern), line endings
    become ``\\n``; a labelled value ends at its line, so "Name: Jan" never takes the
    next line with it. Applying it twice changes nothing more.
    """
    if not text:
        return ""
    cleaned = _HIDDEN.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    for step in _STEPS:
        cleaned = step(cleaned)
    return cleaned


def one_line(text: str | None, *, limit: int = 300) -> str:
    """``text`` without payment details or personal data, on one line, at most ``limit`` long.

    For a short text kept in one column and shown in an embed (a reason, a summary). The
    data is removed on the original lines, then the whitespace is folded; the result is
    cut after removal, with "…", so that a cut never leaves part of a number behind.
    """
    cleaned = " ".join(remove_personal_data(text).split())
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned
