"""Which printed labels announce which schema field.

A field gets the labels of its *role* (a known meaning such as the invoice total, recognised
from the field's name), the words of its own name, and, for fields without a role, short
phrases of its description. Roles that no schema field takes still compete as distractors, so
"Order date" does not become the invoice date and "Due date" not the issue date.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from quarry.core.fields import FieldSpec, FieldType


class Shape(StrEnum):
    """How a value is read off the words after a label."""

    TEXT = "text"
    CODE = "code"  # an identifier: the first token with a digit
    MONEY = "money"  # the last amount after the label
    NUMBER = "number"  # the first number after the label
    DATE = "date"
    BOOLEAN = "boolean"
    CURRENCY = "currency"


@dataclass(frozen=True)
class Role:
    key: str
    names: frozenset[str]  # field names that take this role
    labels: tuple[str, ...]
    shape: Shape | None = None  # None: from the field's type
    prefer_last: bool = False  # several equal labels: the last one wins (summary amounts)
    weak_labels: tuple[str, ...] = ()  # titles rather than labels ("Invoice 42")


def _role(
    key: str,
    names: str,
    labels: str,
    *,
    shape: Shape | None = None,
    last: bool = False,
    weak: str = "",
) -> Role:
    return Role(
        key,
        frozenset(names.split()),
        tuple(labels.split("|")),
        shape,
        last,
        tuple(weak.split("|")) if weak else (),
    )


WEAK_LABEL = 0.8
DESCRIPTION_LABEL = 0.8
Phrase = tuple[str, float]  # normalised phrase, weight 0-1


ROLES: tuple[Role, ...] = (
    _role(
        "invoice_number",
        "invoice_number invoice_no invoice_id receipt_number receipt_no "
        "bill_number bill_no document_number number",
        "invoice number|invoice no|invoice #|invoice nr|inv no|bill no|bill number|"
        "receipt no|receipt number|receipt #|facture no|numero de facture|"
        "rechnungsnummer|rechnungsnr|rechnung nr|factuurnummer|factuur nr|factuurnr|"
        "numero factura|fattura n",
        shape=Shape.CODE,
        weak="invoice|factuur|rechnung|facture",
    ),
    _role(
        "date",
        "date invoice_date issue_date receipt_date document_date bill_date",
        "date|invoice date|issue date|date of issue|bill date|receipt date|datum|"
        "rechnungsdatum|factuurdatum|factuur datum|date de facture|fecha|data",
    ),
    _role(
        "due_date",
        "due_date payment_due_date date_due",
        "due date|payment due|due by|date due|pay by|payment date|faellig|fallig am|"
        "vervaldatum|date limite de paiement|echeance|zahlbar bis",
    ),
    _role(
        "total",
        "total total_amount amount_due grand_total total_due amount",
        "total|grand total|amount due|total due|balance due|total amount|total amount due|"
        "total incl|total to pay|amount payable|totaal|total ttc|montant ttc|somme a payer|"
        "gesamtbetrag|rechnungsbetrag|endbetrag|factuur totaal|te betalen|importe total|"
        "totale",
        shape=Shape.MONEY,
        last=True,
    ),
    _role(
        "subtotal",
        "subtotal sub_total net_amount amount_untaxed total_before_tax net_total",
        "subtotal|sub total|net amount|net total|total excl|total excluding|total before tax|"
        "total ht|montant ht|exclusief btw|excl btw|nettobetrag|netto|subtotaal|"
        "zwischensumme|imponible",
        shape=Shape.MONEY,
        last=True,
    ),
    _role(
        "tax",
        "tax vat gst tax_amount vat_amount amount_tax total_tax sales_tax",
        "tax|vat|gst|sales tax|tax amount|vat amount|total tax|tva|btw|mwst|ust|iva|"
        "btw bedrag|montant tva",
        shape=Shape.MONEY,
        last=True,
    ),
    _role(
        "vendor",
        "vendor seller supplier issuer merchant company vendor_name seller_name "
        "supplier_name store shop",
        "vendor|seller|supplier|sold by|issued by|from|merchant|verkoper|lieferant|fournisseur",
        shape=Shape.TEXT,
    ),
    _role(
        "vendor_address",
        "vendor_address seller_address supplier_address address",
        "address|vendor address|seller address|adresse|adres",
        shape=Shape.TEXT,
    ),
    _role(
        "currency", "currency currency_code", "currency|devise|wahrung|valuta", shape=Shape.CURRENCY
    ),
    _role(
        "vat_id",
        "vendor_vat_id vat_id vat_number tax_id gst_number vendor_tax_id "
        "seller_vat_id tax_number gstin",
        "vat id|vat no|vat number|vat reg no|vat registration|vat|tax id|gst no|gst reg no|"
        "gstin|tin|vat tin|ustid|ust id|ust idnr|btw nummer|btw nr|btw|tva|n tva|"
        "tva intracommunautaire|tva intra communautaire|no de tva|no tva|nif|cif|abn",
        shape=Shape.CODE,
    ),
    # Distractors: no field takes them unless a schema names them.
    _role("order_date", "order_date", "order date|orderdatum|bestelldatum|date de commande"),
    _role("delivery_date", "delivery_date ship_date", "delivery date|ship date|lieferdatum"),
    _role(
        "order_number",
        "order_number order_id po_number",
        "order number|order no|order id|po number|ordernummer|bestellnummer",
    ),
    _role(
        "customer_number",
        "customer_number customer_id account_number",
        "customer number|customer no|account number|klantnummer|kundennr|kundennummer",
    ),
)
ROLE_BY_NAME = {name: role for role in ROLES for name in role.names}
_DESCRIPTION_SPLIT = re.compile(r"[,;:()]|\bor\b|\band\b|\bof the\b")
_MAX_DESCRIPTION_WORDS = 3


def normalise(text: str) -> str:
    """Lower case, accents and `n°`-style marks folded, for label comparison."""
    text = re.sub(r"\b[nN][°º]", "no ", text)
    folded = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9_]+|#", normalise(text))


def role_of(spec: FieldSpec) -> Role | None:
    return ROLE_BY_NAME.get(spec.name.lower())


def label_phrases(spec: FieldSpec) -> tuple[Phrase, ...]:
    """Every label phrase that may announce `spec`, with its weight."""
    name = spec.name.replace("_", " ").lower()
    weighted: list[Phrase] = [(name, 1.0)]
    if name.endswith(" number"):
        stem = name.removesuffix(" number")
        weighted.extend((f"{stem} {mark}", 1.0) for mark in ("no", "nr", "#", "num"))
    role = role_of(spec)
    if role is not None:
        weighted.extend(role_phrases(role))
    elif spec.description:
        weighted.extend((p, DESCRIPTION_LABEL) for p in _description_phrases(spec.description))
    best: dict[str, float] = {}
    for phrase, weight in weighted:
        key = " ".join(tokens(phrase))
        if key:
            best[key] = max(weight, best.get(key, 0.0))
    return tuple(best.items())


def role_phrases(role: Role) -> list[Phrase]:
    return [(label, 1.0) for label in role.labels] + [(w, WEAK_LABEL) for w in role.weak_labels]


def _description_phrases(description: str) -> list[str]:
    parts = (p.strip() for p in _DESCRIPTION_SPLIT.split(description.lower()))
    return [p for p in parts if p and len(p.split()) <= _MAX_DESCRIPTION_WORDS]


def shape_of(spec: FieldSpec) -> Shape:
    role = role_of(spec)
    if spec.type is FieldType.NUMBER:
        return Shape.MONEY if role is not None and role.shape is Shape.MONEY else Shape.NUMBER
    if spec.type is FieldType.DATE:
        return Shape.DATE
    if spec.type is FieldType.BOOLEAN:
        return Shape.BOOLEAN
    if role is not None and role.shape in (Shape.CODE, Shape.CURRENCY):
        return role.shape
    if re.search(r"(_|^)(number|no|id|code|ref|reference)$", spec.name.lower()):
        return Shape.CODE
    return Shape.TEXT
