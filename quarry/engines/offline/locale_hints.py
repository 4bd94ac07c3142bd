"""Where a document comes from, and so its likely currency, when no amount carries a symbol.

Signals, each a vote for a currency: country names in English and their own language, the
major regions of a few countries whose documents rarely name the country, company legal forms
tied to one country (Sdn Bhd, Pvt Ltd, Pte Ltd, GmbH, B.V., SARL), tax words (GSTIN, BTW, MwSt)
and international phone prefixes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

_COUNTRIES: dict[str, str] = {
    "malaysia": "MYR", "singapore": "SGD", "india": "INR", "united states": "USD",
    "usa": "USD", "u.s.a.": "USD", "united kingdom": "GBP", "england": "GBP",
    "scotland": "GBP", "great britain": "GBP", "germany": "EUR", "deutschland": "EUR",
    "france": "EUR", "netherlands": "EUR", "nederland": "EUR", "the netherlands": "EUR",
    "belgium": "EUR", "belgique": "EUR", "belgie": "EUR", "spain": "EUR", "espana": "EUR",
    "italy": "EUR", "italia": "EUR", "austria": "EUR", "osterreich": "EUR",
    "ireland": "EUR", "portugal": "EUR", "finland": "EUR", "suomi": "EUR",
    "luxembourg": "EUR", "greece": "EUR", "switzerland": "CHF", "schweiz": "CHF",
    "suisse": "CHF", "svizzera": "CHF", "sweden": "SEK", "sverige": "SEK", "norway": "NOK",
    "norge": "NOK", "denmark": "DKK", "danmark": "DKK", "poland": "PLN", "polska": "PLN",
    "czech republic": "CZK", "hungary": "HUF", "romania": "RON", "australia": "AUD",
    "new zealand": "NZD", "canada": "CAD", "japan": "JPY", "china": "CNY",
    "hong kong": "HKD", "indonesia": "IDR", "thailand": "THB", "philippines": "PHP",
    "vietnam": "VND", "south africa": "ZAR", "united arab emirates": "AED", "uae": "AED",
    "saudi arabia": "SAR", "brazil": "BRL", "brasil": "BRL", "mexico": "MXN",
    "turkey": "TRY", "turkiye": "TRY",
}  # fmt: skip
_MALAYSIAN_REGIONS = (
    "selangor", "kuala lumpur", "johor", "penang", "pulau pinang", "perak", "kedah",
    "kelantan", "terengganu", "pahang", "melaka", "malacca", "negeri sembilan", "sabah",
    "sarawak", "perlis", "putrajaya", "labuan", "darul ehsan", "darul takzim", "kl",
)  # fmt: skip
_INDIAN_REGIONS = (
    "karnataka", "maharashtra", "tamil nadu", "uttar pradesh", "new delhi", "telangana",
    "kerala", "gujarat", "west bengal", "haryana", "rajasthan", "bangalore", "bengaluru",
    "mumbai", "chennai", "hyderabad", "kolkata", "gurgaon", "gurugram", "noida", "pune",
    "lucknow",
)  # fmt: skip
_REGIONS: dict[str, str] = {
    **dict.fromkeys(_MALAYSIAN_REGIONS, "MYR"),
    **dict.fromkeys(_INDIAN_REGIONS, "INR"),
}
_MARKS: dict[str, str] = {
    r"\bsdn\.? ?bhd\b|\bberhad\b": "MYR",
    r"\bpvt\.? ?ltd\b|\bprivate limited\b|\bgstin\b": "INR",
    r"\bpte\.? ?ltd\b": "SGD",
    r"\bgmbh\b|\bmwst\b|\bust-?id": "EUR",
    r"\bb\.v\.|\bbtw\b|\bkvk\b": "EUR",
    r"\bsarl\b|\bs\.a\.s\.?\b|\btva\b|\bsiret\b": "EUR",
    r"\bpty\.? ?ltd\b|\babn\b": "AUD",
    r"\+60[\s-]?\d": "MYR",
    r"\+91[\s-]?\d": "INR",
    r"\+65[\s-]?\d": "SGD",
    r"\+44[\s-]?\d": "GBP",
    r"\+(?:49|33|31|32|34|39|43|353)[\s-]?\d": "EUR",
}
_COUNTRY_PATTERN = re.compile(
    r"\b(" + "|".join(re.escape(n) for n in sorted(_COUNTRIES, key=len, reverse=True)) + r")\b"
)
_REGION_PATTERN = re.compile(
    r"\b(" + "|".join(re.escape(n) for n in sorted(_REGIONS, key=len, reverse=True)) + r")\b"
)
_MARK_PATTERNS = [(re.compile(p), code) for p, code in _MARKS.items()]


def _fold(text: str) -> str:
    return text.lower().replace("ö", "o").replace("ñ", "n").replace("ë", "e").replace("ü", "u")


def mentions_country(text: str) -> bool:
    folded = _fold(text)
    return bool(_COUNTRY_PATTERN.search(folded) or _REGION_PATTERN.search(folded))


def locale_votes(texts: Iterable[str]) -> Counter[str]:
    """Currency votes from every locale signal in the document's lines."""
    votes: Counter[str] = Counter()
    for text in texts:
        folded = _fold(text)
        for match in _COUNTRY_PATTERN.finditer(folded):
            votes[_COUNTRIES[match.group(1)]] += 2
        for match in _REGION_PATTERN.finditer(folded):
            votes[_REGIONS[match.group(1)]] += 1
        for pattern, code in _MARK_PATTERNS:
            votes[code] += len(pattern.findall(folded))
    return +votes
