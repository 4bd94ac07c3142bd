"""Tables found in page layout: headings, columns, wrapped descriptions, where they end."""

from __future__ import annotations

from pathlib import Path

from quarry.parsing import parse
from tests.unit.test_parsing import make_pdf, write

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
PDF = "application/pdf"


def test_line_items_of_a_real_invoice_with_wrapped_descriptions() -> None:
    page = parse(DOCS / "invoice2data-AzureInterior.pdf", PDF, max_pages=1).pages[0]

    items = next(t for t in page.tables if "Description" in t.header)
    assert items.header == ("Description", "Quantity", "Unit Price", "Disc.% Taxes", "Amount")
    records = items.records()
    # Four items: section headings ("--- Food Products ---") and subtotals are not rows,
    # and a description wrapped onto a second line stays in its row.
    assert [r["Amount"] for r in records] == ["$ 42.00", "$ 70.00", "$ 0.90", "$ 150.00"]
    assert records[0]["Description"] == "[17589684] Beeswax XL\nAcme beeswax"
    assert records[3]["Quantity"] == "15.00 g"
    assert items.bbox is not None and items.bbox[1] > 0.3


def test_two_line_headings_and_rows_continued_on_the_next_page() -> None:
    document = parse(DOCS / "invoice2data-QualityHosting.pdf", PDF, max_pages=2)

    first, second = (page.tables[0] for page in document.pages)
    assert first.header[-1] == "Zeilenbetrag Ohne MwSt."
    assert len(first.body) == 6 and len(second.body) == 1
    row = first.records()[0]
    assert row["Beschreibung"].splitlines() == [
        "Small Business StandardExchange 2010",
        "Grundgebühr pro Einheit",
        "Dienst: OUDJQ_strukan",
        "01.05.14-31.05.14",
    ]
    assert (row["Menge"], row["Zeilenbetrag Ohne MwSt."]) == ("1", "3,89")


def test_dutch_headings_and_the_table_ends_before_the_totals() -> None:
    page = parse(DOCS / "invoice2data-coolblue1.pdf", PDF, max_pages=1).pages[0]

    (items,) = page.tables
    assert items.header[:2] == ("Artikel", "Aantal")
    descriptions = [r["Artikel"].splitlines()[0] for r in items.records()]
    assert descriptions[0] == "Apple iPad Air Wifi 16 GB Zilver"
    assert descriptions[-1] == "Mario Kart 7 3DS"
    assert not any("Totaal" in d for d in descriptions)


def test_generated_table_rows_and_no_table_without_headings(tmp_path: Path) -> None:
    rows = [
        (72, 700, "Description"),
        (300, 700, "Qty"),
        (400, 700, "Amount"),
        (72, 680, "Blue widget, large"),
        (300, 680, "2"),
        (400, 680, "10.00"),
        (72, 666, "(boxed)"),
        (72, 650, "Red widget"),
        (300, 650, "1"),
        (400, 650, "4.50"),
        (300, 630, "Total"),
        (400, 630, "14.50"),
        (72, 560, "Thank you for your order 2024"),
    ]
    plain = [(72, 700, "Name: Ada"), (300, 700, "Date: 2024-01-02"), (72, 680, "Paid 12.00")]
    path = write(tmp_path, "t.pdf", make_pdf([rows, plain]))

    with_table, without = parse(path, PDF, max_pages=2).pages

    (found,) = with_table.tables
    assert found.records() == [
        {"Description": "Blue widget, large\n(boxed)", "Qty": "2", "Amount": "10.00"},
        {"Description": "Red widget", "Qty": "1", "Amount": "4.50"},
    ]
    assert without.tables == ()


def test_csv_and_html_tables_mark_their_header_row(tmp_path: Path) -> None:
    csv_path = write(tmp_path, "a.csv", b"Item,Price\nTea,3.50\nCake,4.00\n")
    html_path = write(tmp_path, "a.html", b"<table><tr><td>a</td><td>b</td></tr></table>")

    (csv_table,) = parse(csv_path, "text/csv", max_pages=1).pages[0].tables
    (html_table,) = parse(html_path, "text/html", max_pages=1).pages[0].tables

    assert csv_table.header == ("Item", "Price")
    assert csv_table.records() == [
        {"Item": "Tea", "Price": "3.50"},
        {"Item": "Cake", "Price": "4.00"},
    ]
    assert html_table.header_rows == 0 and html_table.records() == []
