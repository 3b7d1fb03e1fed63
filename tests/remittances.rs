//! `settle import remittances` on statements as carriers send them: a French
//! CSV (semicolons, decimal commas, thousands dots, dd/mm/yyyy, a BOM, bad
//! lines) and an XLSX in a 3-decimal currency with real dates; exact minor
//! units in the lake, line-numbered rejections, and re-imports that change nothing.

mod common;

use std::path::Path;
use std::process::Command;

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use settle::lake::Lake;

const CONFIG: &str = r#"
[carriers.yalidine]
format = "yalidine"
store_id = "dz-shop"
currency = "DZD"

[carriers.yalidine.remittance]
decimal_comma = true
thousands = "."
date_format = "%d/%m/%Y"
[carriers.yalidine.remittance.columns]
tracking_number = "Tracking"
order_id = "Réf commande"
collected = "Montant encaissé"
fee_shipping = "Frais livraison"
fee_cod = "Frais COD"
fee_return = "Frais retour"
net_remitted = "Net versé"
paid_date = "Date paiement"
statement_id = "N° relevé"

[carriers.aramex-kw]
format = "aramex"
store_id = "kw-shop"

[carriers.aramex-kw.remittance]
sheet = "COD"
header_row = 3
[carriers.aramex-kw.remittance.columns]
tracking_number = "AWB"
collected = "COD Amount"
fee_cod = "COD Fee"
fee_shipping = "Freight"
currency = "Currency"
paid_date = "Transfer Date"
bank_reference = "Transfer Ref"
"#;

const CSV: &str = "\u{feff}N° relevé;Tracking;Réf commande;Montant encaissé;Frais livraison;Frais COD;Frais retour;Net versé;Date paiement\n\
REL-2026-10;yal-001;CMD-1;12.500,00;400,00;125,00;;11.975,00;15/10/2026\n\
REL-2026-10;yal-002;CMD-2;3 200,50;600,00;32,00;0;2.568,50;15/10/2026\n\
REL-2026-10;yal-003;CMD-3;0,00;400,00;;400,00;-800,00;15/10/2026\n\
REL-2026-10;yal-004;CMD-4;1.000,00;400,00;10,00;;600,00;15/10/2026\n\
REL-2026-10;yal-005;CMD-5;douze;400,00;;;0,00;15/10/2026\n\
REL-2026-10;;CMD-6;100,00;;;;100,00;15/10/2026\n\
\n\
REL-2026-10;yal-007;CMD-7;2.000,00;400,00;20,00;;1.580,00;31/09/2026\n";

fn settle(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_settle"))
        .args(["--config", dir.join("settle.toml").to_str().unwrap()])
        .args(["--lake", dir.join("lake").to_str().unwrap()])
        .args(args)
        .env_remove("SETTLE__BUS__BROKERS")
        .output()
        .unwrap()
}

/// `settle import remittances --carrier CARRIER FILE`.
fn import(dir: &Path, carrier: &str, file: &Path) -> std::process::Output {
    settle(
        dir,
        &[
            "import",
            "remittances",
            "--carrier",
            carrier,
            file.to_str().unwrap(),
        ],
    )
}

fn xlsx(path: &Path) {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("COD").unwrap();
    sheet
        .write_string(0, 0, "Aramex COD remittance — Kuwait")
        .unwrap();
    let headers = [
        "AWB",
        "COD Amount",
        "COD Fee",
        "Freight",
        "Currency",
        "Transfer Date",
        "Transfer Ref",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(2, c as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let rows: [(&str, f64, f64, f64, &str); 3] = [
        ("44625631390", 12.345, 0.250, 1.500, "KWD"),
        ("44625631391", 7.5, 0.125, 1.5, "KWD"),
        ("44625631392", 2.0625, 0.1, 1.0, "KWD"),
    ];
    for (i, (awb, cod, fee, freight, cur)) in rows.iter().enumerate() {
        let r = 3 + i as u32;
        sheet.write_string(r, 0, *awb).unwrap();
        sheet.write_number(r, 1, *cod).unwrap();
        sheet.write_number(r, 2, *fee).unwrap();
        sheet.write_number(r, 3, *freight).unwrap();
        sheet.write_string(r, 4, *cur).unwrap();
        let d = ExcelDateTime::from_ymd(2026, 10, 20).unwrap();
        sheet.write_datetime_with_format(r, 5, &d, &date).unwrap();
        sheet.write_string(r, 6, "TRF-881").unwrap();
    }
    book.save(path).unwrap();
}

#[test]
fn statements_import_exactly_reject_bad_lines_by_number_and_reimport_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("settle.toml"), CONFIG).unwrap();
    let csv = d.join("releve-oct.csv");
    std::fs::write(&csv, CSV).unwrap();
    let book = d.join("aramex-kw-oct.xlsx");
    xlsx(&book);

    let out = common::stdout_of(import(d, "yalidine", &csv));
    assert!(
        out.contains("releve-oct.csv: 7 lines, 3 accepted, 4 rejected (statement REL-2026-10)"),
        "{out}"
    );
    // 12,500.00 + 3,200.50 + 0 collected; fees 525 + 632 + 800; a return leaves the carrier owed 800.
    assert!(out.contains("DZD      3 lines  collected       15700.50  fees      1957.00  net remitted       13743.50"), "{out}");
    assert!(
        out.contains(
            "rejected line 5: net_remitted 600.00 differs from collected minus fees 590.00"
        ),
        "{out}"
    );
    assert!(
        out.contains("rejected line 6: collected \"douze\" has no digits"),
        "{out}"
    );
    assert!(
        out.contains("rejected line 7: the tracking number is empty"),
        "{out}"
    );
    assert!(
        out.contains("rejected line 9: paid_date \"31/09/2026\" is not a date"),
        "{out}"
    );

    let out = common::stdout_of(import(d, "aramex-kw", &book));
    assert!(
        out.contains(
            "aramex-kw-oct.xlsx: 3 lines, 2 accepted, 1 rejected (statement aramex-kw-oct)"
        ),
        "{out}"
    );
    assert!(out.contains("KWD      2 lines  collected         19.845  fees        3.375  net remitted         16.470"), "{out}");
    assert!(
        out.contains("rejected line 6: collected \"2.0625\""),
        "{out}"
    );

    let lake = Lake::open(d.join("lake").to_str().unwrap()).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let counts = || {
        rt.block_on(async {
            let ctx = common::ctx(&lake).await;
            let q = "SELECT currency, COUNT(*) AS n, SUM(collected) AS collected, SUM(net_remitted) AS net \
                     FROM cod_remittances GROUP BY currency ORDER BY currency";
            let sums = common::rows(&common::sql(&ctx, q).await);
            let rejected = common::rows(&common::sql(&ctx, "SELECT reason FROM rejected ORDER BY reason").await);
            let raw = common::scalar_i64(&common::sql(&ctx, "SELECT COUNT(*) FROM raw_events").await);
            (sums, rejected, raw)
        })
    };
    let (sums, rejected, raw) = counts();
    let got: Vec<String> = sums
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {}",
                r["currency"], r["n"], r["collected"], r["net"]
            )
        })
        .collect();
    assert_eq!(got, ["DZD 3 1570050 1374350", "KWD 2 19845 16470"]);
    assert_eq!((rejected.len(), raw), (5, 5));
    assert!(
        rejected[0]["reason"].contains("aramex-kw-oct.xlsx line 6"),
        "{:?}",
        rejected[0]
    );
    let row = rt.block_on(async {
        let ctx = common::ctx(&lake).await;
        let q = "SELECT event_id, paid_date, fee_cod, fee_shipping, bank_reference FROM cod_remittances WHERE tracking_number = '44625631390'";
        common::rows(&common::sql(&ctx, q).await)
    });
    assert_eq!(row[0]["event_id"], "aramex-kw:aramex-kw-oct:44625631390");
    assert_eq!(
        (
            row[0]["paid_date"].as_str(),
            row[0]["fee_cod"].as_str(),
            row[0]["fee_shipping"].as_str()
        ),
        ("2026-10-20", "250", "1500")
    );

    // Again: recognized by content, nothing produced, the lake unchanged.
    let again = common::stdout_of(import(d, "yalidine", &csv));
    assert!(
        again.contains("releve-oct.csv: already imported (7 lines"),
        "{again}"
    );
    assert_eq!(counts(), (sums, rejected, raw));

    // Configuration mistakes are clear.
    let err = import(d, "dhl", &csv);
    assert!(String::from_utf8_lossy(&err.stderr).contains("no [carriers.dhl]"));
    std::fs::write(d.join("wrong.csv"), "a;b\n1;2\n").unwrap();
    let err = import(d, "yalidine", &d.join("wrong.csv"));
    let text = String::from_utf8_lossy(&err.stderr);
    assert!(
        !err.status.success() && text.contains("no column \"Tracking\"") && text.contains("a | b"),
        "{text}"
    );
}
