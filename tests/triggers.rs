//! Event triggers on a real broker (Tansu): Stripe actions against
//! localstripe (customers, charges, payment intents, refunds) and, for what
//! localstripe lacks (invoices, finalize, send, Idempotency-Key), against
//! the Stripe test server in `tests/common/stripe_server.rs`.

mod common;

use std::time::Duration;

use common::daemon;
use common::stripe_server::{self, StripeServer};
use common::triggers::{InProcess, deliver, env, order, read_topic, wait_outcomes, with_outcome};

const WAIT: Duration = Duration::from_secs(60);

fn write(dir: &std::path::Path, name: &str, text: &str) {
    std::fs::write(dir.join(format!("{name}.toml")), text).unwrap();
}

/// Upsert the customer by email, then invoice every order line; finalize and send.
const INVOICE: &str = r#"
description = "Invoice wholesale orders"
on = "order"
types = ["order.create"]
[when]
channel = "wholesale"
[[actions]]
name = "customer"
kind = "stripe.upsert_customer"
email = "{customer.email}"
[[actions]]
name = "invoice"
kind = "stripe.create_invoice"
customer = "{$actions.customer.id}"
currency = "{currency|lower}"
description = "Order {order_id}"
items_from = "line_items"
items = [{ description = "{title}", unit_amount = "{unit_price|minor}", quantity = "{quantity}" }]
[actions.metadata]
order_id = "{order_id}"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_deliveries_make_one_invoice_and_idempotency_keys_cover_a_lost_journal() {
    let stripe = StripeServer::start().await;
    let topics = daemon::unique_topics("trig-invoice");
    let bus = daemon::kafka(&topics).await;
    let (dir, lake) = common::temp_lake();
    let triggers = tempfile::tempdir().unwrap();
    write(triggers.path(), "invoice_wholesale", INVOICE);
    let env = env(&topics, triggers.path(), &stripe.base, stripe_server::KEY);

    let runner = InProcess::start(&lake, env.clone());
    let body = order("W-1001", "wholesale", "prepaid");
    deliver(&bus, &topics, &body, 5).await;
    let rows = wait_outcomes(&lake, "already_done", 8, WAIT).await;
    runner.stop().await;

    assert_eq!(with_outcome(&rows, "ok").len(), 2, "{rows:#?}");
    let fx = stripe.effects();
    assert_eq!(
        (fx.customers, fx.invoices, fx.items, fx.finalized, fx.sent),
        (1, 1, 2, 1, 1),
        "five deliveries of one event make one of everything: {fx:?}"
    );
    let invoices = stripe.invoices();
    let inv = &invoices[0];
    // 2 × 12.345 KWD + 0.500 KWD, in fils, exactly.
    assert_eq!(inv["total"], 25_190, "{inv}");
    assert_eq!(inv["status"], "open");
    assert_eq!(inv["currency"], "kwd");
    assert_eq!(inv["metadata"]["order_id"], "W-1001");
    assert_eq!(inv["metadata"]["settle_trigger"], "invoice_wholesale");
    let keys: Vec<String> = stripe.log().into_iter().filter_map(|(_, _, k)| k).collect();
    let invoice_key = "settle/invoice_wholesale/souk/generic:W-1001:2026-12-01T10:00:00Z/invoice";
    for step in ["invoice", "item-1", "item-2", "finalize", "send"] {
        assert!(
            keys.contains(&format!("{invoice_key}/{step}")),
            "Idempotency-Key for {step} in {keys:?}"
        );
    }
    assert!(
        rows.iter()
            .any(|r| r["object_id"] == inv["id"].as_str().unwrap()),
        "actions_log names the invoice: {rows:#?}"
    );

    // The journal is lost (a new lake, a restored backup): the redelivered
    // event runs its actions again, and Stripe answers every keyed request
    // with its first answer.
    std::fs::remove_dir_all(dir.path().join("_triggers")).unwrap();
    let runner = InProcess::start(&lake, env);
    deliver(&bus, &topics, &body, 1).await;
    wait_outcomes(&lake, "ok", 4, WAIT).await;
    runner.stop().await;
    let fx = stripe.effects();
    assert_eq!(
        (fx.customers, fx.invoices, fx.items, fx.finalized, fx.sent),
        (1, 1, 2, 1, 1),
        "still one of everything: {fx:?}"
    );
    assert!(fx.replays >= 5, "the invoice steps were replayed: {fx:?}");
}

/// Refund the order's payment intent; tell ops; announce it downstream.
const REFUND: &str = r#"
description = "Refund returned prepaid orders"
on = "order"
[when]
payment_method = "prepaid"
stripe_payment_intent = { exists = true }
[[actions]]
name = "refund"
kind = "stripe.refund"
payment_intent = "{stripe_payment_intent}"
amount = "{totals.total|minor}"
reason = "requested_by_customer"
[[actions]]
name = "tell_ops"
kind = "notify"
channels = ["ops"]
message = "refunded {$actions.refund.amount} for {order_id}"
[[actions]]
name = "announce"
kind = "emit"
topic = "commands"
command = "restock"
key = "{order_id}"
[actions.data]
refund = "{$actions.refund.id}"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_retry_and_permanent_ones_go_to_the_dead_letter_topic_once() {
    let stripe = StripeServer::start().await;
    let ops = common::recorder::Recorder::start().await;
    let topics = daemon::unique_topics("trig-refund");
    let bus = daemon::kafka(&topics).await;
    let (_dir, lake) = common::temp_lake();
    let triggers = tempfile::tempdir().unwrap();
    write(triggers.path(), "refund_prepaid", REFUND);
    let mut env = env(&topics, triggers.path(), &stripe.base, stripe_server::KEY);
    env.push((
        "SETTLE__ALERTS__CHANNELS__OPS__KIND".into(),
        "webhook".into(),
    ));
    env.push((
        "SETTLE__ALERTS__CHANNELS__OPS__URL".into(),
        format!("{}/ops", ops.base),
    ));
    env.push((
        "SETTLE__ALERTS__CHANNELS__OPS__SECRET".into(),
        "whsec_ops".into(),
    ));

    // A paid order whose payment intent exists, and one whose does not.
    let paid = stripe_intent(&stripe, 25_190).await;
    let mut good = order("R-1", "online_store", "prepaid");
    good["stripe_payment_intent"] = paid.clone().into();
    let mut bad = order("R-2", "online_store", "prepaid");
    bad["stripe_payment_intent"] = "pi_missing".into();
    stripe.fail_next("/v1/refunds", 2);
    ops.answer(&[500]);

    let runner = InProcess::start(&lake, env.clone());
    deliver(&bus, &topics, &good, 1).await;
    deliver(&bus, &topics, &bad, 2).await;
    let rows = common::triggers::wait_rows(&lake, "every outcome", WAIT, |rows| {
        let n = |o: &str| rows.iter().filter(|r| r["outcome"] == o).count();
        n("ok") == 3 && n("failed") == 1 && n("already_done") == 1 && n("skipped") == 4
    })
    .await;
    runner.stop().await;

    let refund = rows
        .iter()
        .find(|r| r["action"] == "refund" && r["outcome"] == "ok")
        .expect("the good order's refund succeeded");
    assert_eq!(
        refund["attempts"], "3",
        "two injected 503s, then success: {refund:?}"
    );
    let retried: Vec<_> = rows.iter().filter(|r| r["outcome"] == "retried").collect();
    assert_eq!(retried.len(), 2, "each failed attempt is a row: {rows:#?}");
    assert!(
        retried
            .iter()
            .all(|r| r["action"] == "refund" && r["error"].contains("503"))
    );
    let failed: Vec<_> = rows.iter().filter(|r| r["outcome"] == "failed").collect();
    assert_eq!(failed.len(), 1, "{rows:#?}");
    assert!(
        failed[0]["error"].contains("No such payment_intent: 'pi_missing'"),
        "{failed:?}"
    );
    assert_eq!(failed[0]["attempts"], "1", "a 404 is not retried");
    assert_eq!(stripe.effects().refunds, 1);

    // The notification got through on the second try; the command went out.
    let told = ops.received();
    assert_eq!(told.len(), 2, "one 500, then delivered");
    assert!(
        told[1].json()["message"]
            .as_str()
            .unwrap()
            .contains("refunded 25190 for R-1")
    );
    assert_eq!(
        told[1].json()["id"],
        "settle/refund_prepaid/souk/generic:R-1:2026-12-01T10:00:00Z/tell_ops"
    );
    let commands = read_topic(&format!("{}commands", topics.prefix), 1, WAIT);
    assert_eq!(commands.len(), 1);
    let cmd: serde_json::Value = serde_json::from_str(&commands[0].body).unwrap();
    assert_eq!(cmd["command"], "restock");
    assert_eq!(commands[0].key, "R-1");
    assert_eq!(
        commands[0].headers["settle-command-id"],
        cmd["command_id"].as_str().unwrap()
    );
    assert!(cmd["data"]["refund"].as_str().unwrap().starts_with("re_"));

    // One dead letter for the bad order, though it was delivered twice.
    let dlq = read_topic(&topics.dlq(), 2, Duration::from_secs(8));
    assert_eq!(dlq.len(), 1, "{dlq:?}");
    assert!(dlq[0].headers["settle-reason"].contains("trigger refund_prepaid action refund"));
    assert!(dlq[0].body.contains("R-2"));
}

/// A payment intent on the test server, to refund.
async fn stripe_intent(stripe: &StripeServer, amount: i64) -> String {
    let r = reqwest::Client::new()
        .post(format!("{}v1/payment_intents", stripe.base))
        .bearer_auth(stripe_server::KEY)
        .form(&[("amount", amount.to_string()), ("currency", "kwd".into())])
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    v["id"].as_str().unwrap().to_string()
}

/// Every localstripe-supported action, chained through results.
const LOCALSTRIPE: &str = r#"
description = "Every Stripe action localstripe serves"
on = "order"
types = ["order.create"]
[when]
channel = "online_store"
[[actions]]
name = "customer"
kind = "stripe.upsert_customer"
email = "{customer.email}"
customer_name = "Buyer {order_id}"
[[actions]]
name = "found"
kind = "stripe.find_customer"
email = "{customer.email}"
[[actions]]
name = "charge"
kind = "stripe.create_charge"
amount = "{totals.total|minor}"
currency = "{currency|lower}"
customer = "{$actions.found.id}"
payment_method = "pm_card_visa"
description = "Order {order_id}"
[[actions]]
name = "refund"
kind = "stripe.refund"
charge = "{$actions.charge.id}"
amount = "500"
[[actions]]
name = "intent"
kind = "stripe.create_payment_intent"
amount = "{line_items.1.unit_price|minor}"
currency = "{currency|lower}"
customer = "{$actions.customer.id}"
[[actions]]
name = "rename"
kind = "stripe.update_customer"
customer = "{$actions.customer.id}"
customer_name = "Buyer of {order_id}"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_actions_against_localstripe() {
    let ls = common::http::localstripe();
    let base = format!("http://{}/", ls.addr());
    let topics = daemon::unique_topics("trig-localstripe");
    let bus = daemon::kafka(&topics).await;
    let (_dir, lake) = common::temp_lake();
    let triggers = tempfile::tempdir().unwrap();
    write(triggers.path(), "every_action", LOCALSTRIPE);
    let runner = InProcess::start(
        &lake,
        env(&topics, triggers.path(), &base, common::stripe::KEY),
    );
    let body = order("L-1", "online_store", "prepaid");
    deliver(&bus, &topics, &body, 1).await;
    wait_outcomes(&lake, "ok", 6, WAIT).await;
    deliver(&bus, &topics, &body, 1).await;
    let rows = wait_outcomes(&lake, "already_done", 6, WAIT).await;
    runner.stop().await;
    assert!(rows.iter().all(|r| r["outcome"] != "failed"), "{rows:#?}");

    let api = |path: &str| common::stripe::api(&ls, "GET", path, &[]);
    let email = "buyer-L-1@example.com";
    let customers = api(&format!("/v1/customers?email={email}"));
    let customers = customers["data"].as_array().unwrap();
    assert_eq!(
        customers.len(),
        1,
        "upsert twice made one customer: {customers:?}"
    );
    let cus = &customers[0];
    assert_eq!(cus["name"], "Buyer of L-1");
    assert_eq!(cus["metadata"]["settle_trigger"], "every_action");
    let id = cus["id"].as_str().unwrap();
    let by_action = |a: &str| {
        rows.iter()
            .find(|r| r["action"] == a && r["outcome"] == "ok")
            .unwrap()["object_id"]
            .clone()
    };
    assert_eq!(
        by_action("found"),
        id,
        "find_customer found the upserted customer"
    );
    let charges = api(&format!("/v1/charges?customer={id}"));
    let charges = charges["data"].as_array().unwrap();
    assert_eq!(charges.len(), 1, "{charges:?}");
    // 25.190 KWD in fils, exactly; 0.500 KWD refunded.
    assert_eq!(charges[0]["amount"], 25_190);
    assert_eq!(charges[0]["currency"], "kwd");
    assert_eq!(charges[0]["id"].as_str().unwrap(), by_action("charge"));
    let refunds = api(&format!("/v1/refunds?charge={}", by_action("charge")));
    let refunds = refunds["data"].as_array().unwrap();
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert_eq!(refunds[0]["amount"], 500);
    // localstripe filters payment intents by nothing: pick the customer's.
    let intents = api("/v1/payment_intents?limit=100");
    let intents: Vec<_> = intents["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|pi| pi["customer"] == id)
        .collect();
    assert_eq!(intents.len(), 1, "{intents:?}");
    assert_eq!(intents[0]["amount"], 500);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_in_the_middle_of_an_action_then_a_restart_makes_one_side_effect() {
    let stripe = StripeServer::start().await;
    let topics = daemon::unique_topics("trig-kill");
    let bus = daemon::kafka(&topics).await;
    let (dir, lake) = common::temp_lake();
    let triggers = tempfile::tempdir().unwrap();
    write(triggers.path(), "invoice_wholesale", INVOICE);
    let env = env(&topics, triggers.path(), &stripe.base, stripe_server::KEY);
    // The invoice is sent, then its answer takes 30 s: the runner is
    // killed while it waits, after Stripe did the work.
    stripe.hold("/send", Duration::from_secs(30));
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_settle"))
            .args(["--lake", dir.path().to_str().unwrap(), "triggers", "run"])
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("SETTLE_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut first = spawn();
    deliver(&bus, &topics, &order("K-1", "wholesale", "prepaid"), 1).await;
    let deadline = std::time::Instant::now() + WAIT;
    while stripe.effects().sent == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the invoice was never sent"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.kill().unwrap();
    first.wait().unwrap();
    assert_eq!(
        common::triggers::outcomes(&lake)
            .await
            .iter()
            .filter(|r| r["action"] == "invoice")
            .count(),
        0
    );

    stripe.hold("/none", Duration::ZERO);
    let mut second = spawn();
    let rows = common::triggers::wait_rows(&lake, "an invoice row", WAIT, |rows| {
        rows.iter()
            .any(|r| r["action"] == "invoice" && r["outcome"] == "ok")
    })
    .await;
    std::process::Command::new("kill")
        .args(["-TERM", &second.id().to_string()])
        .status()
        .unwrap();
    assert!(second.wait().unwrap().success());
    let fx = stripe.effects();
    assert_eq!(
        (fx.customers, fx.invoices, fx.items, fx.finalized, fx.sent),
        (1, 1, 2, 1, 1),
        "exactly one of each side effect after kill -9 and restart: {fx:?}"
    );
    assert!(
        fx.replays >= 4,
        "the restart replayed the invoice steps: {fx:?}"
    );
    let invoice = &stripe.invoices()[0];
    assert!(
        rows.iter()
            .any(|r| r["object_id"] == invoice["id"].as_str().unwrap()),
        "{rows:#?}"
    );
}

#[test]
fn list_and_check_show_triggers_without_running_anything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("order.json");
    std::fs::write(&path, order("C-1", "instagram", "cod").to_string()).unwrap();
    let settle = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_settle"))
            .args(args)
            .env_remove("SETTLE__TRIGGERS__DIR")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let list = settle(&["triggers", "list"]);
    assert!(
        list.contains("dispatch_ready             enabled  on order order.create"),
        "{list}"
    );
    assert!(
        list.contains("refund_returned_prepaid    disabled"),
        "{list}"
    );
    let check = settle(&[
        "triggers",
        "check",
        "--kind",
        "order",
        path.to_str().unwrap(),
    ]);
    assert!(
        check.contains("event generic:C-1:2026-12-01T10:00:00Z (order.create), store souk"),
        "{check}"
    );
    assert!(
        check.contains("dispatch_ready             FIRES"),
        "{check}"
    );
    // 2 × 12.345 + 0.500 KWD in fils, as the command would carry it.
    assert!(check.contains("total_minor = \"25190\""), "{check}");
    assert!(
        check.contains("refund_returned_prepaid    does not watch this type"),
        "{check}"
    );
    assert!(
        check.contains("invoice_wholesale_order    watches it, but [when] does not hold"),
        "{check}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settle_serve_runs_the_shipped_dispatch_trigger() {
    let topics = daemon::unique_topics("trig-serve");
    let bus = daemon::kafka(&topics).await;
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let group = format!("{}serve-triggers", topics.prefix);
    let serve = common::stripe::Serve::start(
        &daemon::brokers(),
        &topics.prefix,
        &[
            ("SETTLE__TRIGGERS__ENABLED", "true"),
            ("SETTLE__TRIGGERS__START", "earliest"),
            ("SETTLE__TRIGGERS__GROUP_ID", &group),
            ("SETTLE__TRIGGERS__FLUSH_MS", "200"),
            ("SETTLE__LAKE__URL", lake.to_str().unwrap()),
        ],
    );
    deliver(&bus, &topics, &order("D-1", "instagram", "cod"), 2).await;
    // The second delivery found the action done; only then count commands.
    let lake = settle::lake::Lake::open(lake.to_str().unwrap()).unwrap();
    wait_outcomes(&lake, "already_done", 1, WAIT).await;
    drop(serve);
    let commands = read_topic(
        &format!("{}commands", topics.prefix),
        2,
        Duration::from_secs(5),
    );
    assert_eq!(
        commands.len(),
        1,
        "two deliveries, one command: {commands:?}"
    );
    let cmd: serde_json::Value = serde_json::from_str(&commands[0].body).unwrap();
    assert_eq!(cmd["command"], "dispatch_ready");
    assert_eq!(cmd["trigger"], "dispatch_ready");
    assert_eq!(cmd["source_event_id"], "generic:D-1:2026-12-01T10:00:00Z");
    assert_eq!(cmd["data"]["total_minor"], "25190");
    assert_eq!(cmd["data"]["currency"], "KWD");
    assert_eq!(cmd["data"]["city"], "Kuwait City");
    assert_eq!(commands[0].key, "D-1");
}
