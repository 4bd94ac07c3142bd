"""Known meanings of fields ("roles") and the printed labels that announce them.

A schema field takes a role when its name or description says so (see `field_roles`); it then
gets the role's labels in several languages and the role's way of reading values. Roles that no
schema field takes still compete as distractors, so "Order date" does not become the invoice
date, "Cash" and "Change" never become the total, and "Bill to" keeps the customer's name out
of the vendor.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Shape(StrEnum):
    """How a value is read off the words after a label."""

    TEXT = "text"
    CODE = "code"  # an identifier: the first token with a digit
    MONEY = "money"  # the last amount after the label
    NUMBER = "number"  # the first number after the label
    DATE = "date"
    BOOLEAN = "boolean"
    CURRENCY = "currency"
    NAME = "name"  # a company or person name: text cut at the next label or punctuation


@dataclass(frozen=True)
class Role:
    key: str
    names: tuple[str, ...]  # field names (words) that mean this role, best first
    labels: tuple[str, ...]
    shape: Shape | None = None  # None: from the field's type
    prefer_last: bool = False  # several equal labels: the last one wins (summary amounts)
    weak_labels: tuple[str, ...] = ()  # titles rather than labels ("Invoice 42")
    distractor: bool = False  # a meaning no invoice field has by default (cash, change, ...)


def _role(
    key: str,
    names: str,
    labels: str,
    *,
    shape: Shape | None = None,
    last: bool = False,
    weak: str = "",
    distractor: bool = False,
) -> Role:
    return Role(
        key,
        tuple(n.replace("_", " ") for n in names.split()),
        tuple(labels.split("|")),
        shape,
        last,
        tuple(weak.split("|")) if weak else (),
        distractor,
    )


ROLES: tuple[Role, ...] = (
    _role(
        "invoice_number",
        "invoice_number invoice_no invoice_id receipt_number receipt_no bill_number bill_no "
        "document_number document_no invoice_ref invoice_reference doc_number number "
        "document_id doc_id bill_id",
        "invoice number|invoice no|invoice #|invoice nr|invoice id|inv no|inv #|bill no|"
        "bill number|bill #|receipt no|receipt number|receipt #|document no|doc no|"
        "tax invoice no|cash inv no|facture no|numero de facture|no de facture|"
        "rechnungsnummer|rechnungsnr|rechnung nr|factuurnummer|factuur nr|factuurnr|"
        "numero factura|fattura n|rechnungs nr|rechnung nummer|belegnummer|beleg nr|"
        "numero de la facture|facture numero|n facture|factuur nummer|invoice num",
        shape=Shape.CODE,
        weak="invoice|factuur|rechnung|facture|#|handelsrechnung|gutschrift|rechnungskorrektur|"
        "teilrechnung|schlussrechnung|abschlagsrechnung|avoir|facture d acompte|creditnota|"
        "credit note|commercial invoice|tax invoice",
    ),
    _role(
        "date",
        "date invoice_date issue_date receipt_date document_date bill_date date_of_issue "
        "transaction_date purchase_date doc_date issued_on",
        "date|invoice date|issue date|date of issue|bill date|receipt date|sales date|"
        "date time|datum|rechnungsdatum|factuurdatum|factuur datum|date de facture|fecha|data|"
        "tarikh|invoice issue date|ausstellungsdatum|belegdatum|datum der rechnung|"
        "date d emission|date de la facture|date facture|date d edition|date de facturation",
    ),
    _role(
        "due_date",
        "due_date payment_due_date date_due payment_date pay_by_date payable_by pay_before "
        "payment_deadline",
        "due date|payment due|due by|date due|pay by|payment date|faellig|fallig am|"
        "vervaldatum|date limite de paiement|echeance|zahlbar bis|zahlungsziel|"
        "payment due date|due|payable by|falligkeit|falligkeitsdatum|fallig bis|zahlbar bis zum|"
        "zahlung bis zum|zahlung bis|date d echeance|date echeance|a payer avant le|"
        "payable avant le|a regler avant le|vervaldag|uiterste betaaldatum|te betalen voor",
    ),
    _role(
        "total",
        "total total_amount amount_due grand_total total_due invoice_total amount_payable "
        "total_to_pay balance_due total_incl_tax total_gross gross_total gross_amount "
        "total_incl receipt_total balance sum amount",
        "total|grand total|amount due|amt due|total due|balance due|total amount|"
        "total amount due|total incl|total incl tax|total incl gst|total incl vat|"
        "total inclusive of gst|total sales incl gst|total sales inclusive gst|"
        "total sales inclusive of gst|total after adj incl gst|total to pay|amount payable|"
        "total payable|total amt payable|total amount payable|final total|total rounded|"
        "rounded total|total after rounding|nett total|totaal|total ttc|montant ttc|"
        "somme a payer|montant a payer|net a payer|gesamtbetrag|rechnungsbetrag|endbetrag|"
        "zu zahlen|zahlbetrag|factuur totaal|factuurbedrag|te betalen|totaal te betalen|"
        "importe total|totale|invoice total|total facture|jumlah|bruttosumme|"
        "gesamtbetrag brutto|rechnungsbetrag brutto|gesamtsumme brutto|summe brutto|"
        "rechnungssumme brutto|rechnungssumme inkl ust|gesamtbetrag inkl ust|"
        "gesamtsumme inkl mwst|gesamtbetrag inkl mwst|rechnungsbetrag inkl mwst|gesamtsumme|"
        "invoice total amount with vat|total amount with vat|amount due for payment|"
        "montant total ttc|total toutes taxes comprises|total t t c|montant net a payer|"
        "totaal incl btw|totaalbedrag|te betalen bedrag|totaal inclusief btw",
        shape=Shape.MONEY,
        last=True,
    ),
    _role(
        "subtotal",
        "subtotal sub_total net_amount amount_untaxed total_before_tax net_total "
        "total_excl_tax total_net taxable_amount total_excluding_tax total_excl "
        "amount_total_base",
        "subtotal|sub total|net amount|net total|total excl|total excluding|total before tax|"
        "total excl gst|total excluding gst|total sales excluding gst|amt excl gst|"
        "amount excl gst|total excl vat|total ht|montant ht|exclusief btw|excl btw|"
        "nettobetrag|netto|subtotaal|zwischensumme|imponible|base imponible|grondslag|"
        "tax base|taxable amount|bemessungsgrundlage|rechnungssumme ohne ust|summe netto|"
        "nettosumme|gesamtbetrag netto|gesamtsumme netto|rechnungsbetrag netto|summe ohne ust|"
        "gesamtbetrag ohne ust|gesamtsumme ohne mwst|summe ohne mwst|netto summe|"
        "invoice total amount without vat|total amount without vat|total without vat|"
        "montant total ht|total hors taxes|total hors taxe|montant hors taxes|base de tva|"
        "base tva|base ht|totaal excl btw|totaal exclusief btw|netto bedrag|maatstaf van heffing",
        shape=Shape.MONEY,
        last=True,
    ),
    _role(
        "tax",
        "tax vat gst tax_amount vat_amount amount_tax total_tax tax_total sales_tax gst_amount "
        "total_tax_amount",
        "tax|vat|gst|sales tax|tax amount|vat amount|gst amount|total tax|tax total|"
        "total gst|gst payable|tva|btw|mwst|ust|iva|btw bedrag|montant tva|mehrwertsteuer|"
        "steuerbetrag|umsatzsteuer|umsatzsteuerbetrag|ust betrag|mwst betrag|summe ust|"
        "summe mwst|gesamtbetrag ust|gesamtbetrag mwst|zzgl ust|zzgl mwst|"
        "invoice total vat amount|total vat amount|total vat|vat total|plus vat|"
        "total tva|montant total tva|montant de la tva|totaal btw|btw totaal",
        shape=Shape.MONEY,
        last=True,
    ),
    _role(
        "vendor",
        "vendor seller supplier issuer merchant company vendor_name seller_name "
        "supplier_name merchant_name company_name store store_name shop shop_name "
        "business_name biller biller_name sender sender_name from",
        "vendor|seller|supplier|sold by|issued by|merchant|verkoper|lieferant|fournisseur|"
        "account holder|account name|beneficiary|payee|payable to|in favor of|"
        "in favour of|titulaire du compte|kontoinhaber|kontoname|"
        "rekeninghouder|ten name van|seller name|verkaufer|vendeur|leverancier|"
        "rechnungssteller|seller trade name|trade name|trading name|nom commercial|"
        "handelsname|handelsnaam",
        shape=Shape.NAME,
    ),
    _role(
        "vendor_address",
        "vendor_address seller_address supplier_address merchant_address company_address "
        "store_address sender_address address",
        "address|vendor address|seller address|supplier address|adresse|adres|anschrift",
        shape=Shape.TEXT,
    ),
    _role(
        "currency",
        "currency currency_code",
        "currency|devise|wahrung|valuta|moneda",
        shape=Shape.CURRENCY,
    ),
    _role(
        "vat_id",
        "vendor_vat_id vat_id vat_number tax_id gst_number vendor_tax_id seller_vat_id "
        "tax_number gstin tax_registration_number vat_registration_number tax_registration "
        "sender_vat_id supplier_tax_id",
        "vat id|vat no|vat number|vat reg no|vat registration|vat|tax id|gst no|gst id|"
        "gst reg no|gst registration no|gstin|tin|vat tin|ustid|ust id|ust idnr|btw nummer|"
        "btw nr|btw|tva|n tva|tva intracommunautaire|tva intra communautaire|no de tva|"
        "no tva|nif|cif|abn|no intracom|intracom|no tva intracommunautaire|"
        "numero de tva intracommunautaire|tva intracom|ust idnr|ust id nr|umsatzsteuer id|"
        "umsatzsteuer identifikationsnummer|seller vat identifier|vat identifier|btw id|"
        "btw identificatienummer",
        shape=Shape.CODE,
        weak="steuer nr|steuernummer|tax no|tax number",
    ),
    # Distractors: no field takes them unless a schema names them.
    _role(
        "preceding_invoice",
        "preceding_invoice_number corrected_invoice_number",
        "preceding invoice|preceding invoice reference|corrected invoice|original invoice|"
        "facture associee|no de facture associee|facture anterieure|facture d origine|"
        "facture rectifiee|vorausgegangene rechnung|ursprungliche rechnung|"
        "korrigierte rechnung|rechnungsreferenz|oorspronkelijke factuur",
        shape=Shape.CODE,
        distractor=True,
    ),
    _role(
        "preceding_invoice_date",
        "preceding_invoice_date",
        "date de facture associee|date de la facture anterieure|preceding invoice date|"
        "datum der vorausgegangenen rechnung|datum der ursprunglichen rechnung",
        distractor=True,
    ),
    _role(
        "period",
        "period_start period_end billing_period",
        "invoicing period|billing period|period start|period end|start date|end date|"
        "date de debut de prestation|date de fin de prestation|date debut|date fin|"
        "periode de facturation|leistungszeitraum|abrechnungszeitraum|berechnungszeitraum|"
        "liefer und leistungsdatum|leistungsdatum|factuurperiode",
        distractor=True,
    ),
    _role(
        "prepaid",
        "prepaid_amount paid_amount",
        "erhaltene anzahlungen|anzahlung|anzahlungen|bereits gezahlt|bereits bezahlt|"
        "acompte|acomptes|montant deja paye|deja regle|prepaid|prepaid amount|prepayment|"
        "vooruitbetaling|reeds betaald",
        shape=Shape.MONEY,
        distractor=True,
    ),
    _role(
        "line_net_total",
        "line_total_amount sum_of_line_net_amounts",
        "positionssumme|summe der positionen|summe positionen|warenwert|"
        "sum of invoice line net amount|sum of line net amounts|somme des montants nets|"
        "gesamtbetrag der zuschlage|gesamtbetrag der abschlage|summe der zuschlage|"
        "summe der abschlage|sum of allowances|sum of charges|total remises|total charges",
        shape=Shape.MONEY,
        distractor=True,
    ),
    _role(
        "order_date",
        "order_date",
        "order date|orderdatum|bestelldatum|date de commande",
        distractor=True,
    ),
    _role(
        "delivery_date",
        "delivery_date ship_date",
        "delivery date|ship date|lieferdatum|leverdatum|date de livraison",
        distractor=True,
    ),
    _role(
        "stay_dates",
        "check_in check_out arrival_date departure_date",
        "check in|check out|check in date|check out date|arrival|departure|arrival date|"
        "departure date|anreise|abreise|arrivee|depart|aankomst|vertrek",
        distractor=True,
    ),
    _role(
        "order_number",
        "order_number order_id po_number purchase_order",
        "order number|order no|order id|po number|po no|purchase order|ordernummer|"
        "bestellnummer|numero de commande",
        distractor=True,
    ),
    _role(
        "customer_number",
        "customer_number customer_id account_number client_number",
        "customer number|customer no|customer id|account number|account no|klantnummer|"
        "kundennr|kundennummer|numero client|id client|customer #|client no|client #|"
        "no client|code client|klantnr|klant nr|debitorennummer|debitor nr|kunden nr|"
        "buyer reference|referenz des kaufers|reference client",
        distractor=True,
    ),
    _role(
        "customer",
        "customer customer_name client client_name buyer buyer_name bill_to bill_to_name "
        "recipient recipient_name receiver receiver_name",
        "bill to|billing address|ship to|shipping address|sold to|invoice to|customer|"
        "client|attn|deliver to|delivery address|guest name|factuuradres|afleveradres|"
        "rechnungsadresse|lieferadresse|adresse de facturation|adresse de livraison|"
        "nom de l abonne|kunde|kaufer|kaufer leistungsempfanger|leistungsempfanger|"
        "rechnungsempfanger|warenempfanger|abweichender warenempfanger|buyer|acheteur|"
        "adresse du client|destinataire|adresse de facturation|koper|afnemer|factuur aan|"
        "facture a|livre a|livraison",
        shape=Shape.NAME,
        distractor=True,
    ),
    _role(
        "customer_vat_id",
        "customer_vat_id buyer_vat_id customer_tax_id",
        "uw btw nummer|your vat number|your vat no|customer vat|client vat|ihre ust id|"
        "votre numero de tva|buyer vat|votre no tva|buyer vat identifier|ust id des kaufers",
        shape=Shape.CODE,
        distractor=True,
    ),
    _role(
        "tendered",
        "amount_paid amount_tendered cash_paid payment_amount",
        "cash|cash received|cash tendered|tendered|amount tendered|paid amount|amount paid|"
        "payment|tunai",
        shape=Shape.MONEY,
        distractor=True,
    ),
    _role(
        "change",
        "change change_due",
        "change|change due|your change|change amt|baki|wisselgeld|ruckgeld|rendu",
        shape=Shape.MONEY,
        distractor=True,
    ),
    _role(
        "rounding",
        "rounding rounding_adjustment",
        "rounding|rounding adj|rounding adjustment|round adj|rnd adj|adjustment",
        shape=Shape.MONEY,
        distractor=True,
    ),
    _role(
        "quantity_total",
        "total_quantity item_count",
        "total qty|total quantity|item count|no of items|total items|items|qty|total qty tender",
        shape=Shape.NUMBER,
        distractor=True,
    ),
    _role(
        "payment_method",
        "payment_method payment_mode payment_type",
        "payment method|payment mode|payment type|paid through|paid by|mode of payment|"
        "zahlungsart|zahlungsform|mode de paiement|mode de reglement|betaalwijze|"
        "betaalmethode",
        shape=Shape.TEXT,
        distractor=True,
    ),
    _role(
        "discount",
        "discount",
        "discount|disc|korting|rabatt|remise|savings|saving",
        distractor=True,
    ),
    _role(
        "owner",
        "owner owner_name operator",
        "owned by|operated by|managed by|a member of|a subsidiary of|a division of",
        shape=Shape.NAME,
        distractor=True,
    ),
    _role(
        "staff",
        "cashier staff salesperson",
        "cashier|salesperson|sales person|server|operator|staff|table|pax|terminal|counter|"
        "slip|trans|chk|member|card no|app code|approval code|shift|reg|pos|dine in|"
        "take away|takeaway|eat in|to go|self service",
        shape=Shape.TEXT,
        distractor=True,
    ),
    _role(
        "phone",
        "phone telephone phone_number fax",
        "tel|phone|telephone|fax|mobile|h p|hp|telefon|telefoon",
        shape=Shape.CODE,
        distractor=True,
    ),
)
ROLE_BY_KEY = {role.key: role for role in ROLES}
AMOUNT_ROLES = ("total", "subtotal", "tax")
