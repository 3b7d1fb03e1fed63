//! Every lake table Settle writes from events, declared once.
//!
//! Each row carries `store_id`; every table is hive-partitioned by
//! `date=YYYY-MM-DD` (UTC) of the named time column.

use super::table::{Body, Days, Micros};
use crate::lake_table;

lake_table! {
    /// Every accepted event exactly as received, kept forever so typed tables can be rebuilt.
    pub struct RawEventRow in "raw_events" by occurred_at {
        /// Store the event belongs to.
        pub store_id: String,
        /// Outside system family: stripe, store or carrier.
        pub source: String,
        /// Contract name: stripe_event, order_change, tracking_update or remittance_line.
        pub kind: String,
        /// Event id (Stripe evt_ id, or the id given or derived for other kinds).
        pub event_id: String,
        /// Bus key: the entity the event is about.
        pub key: String,
        /// When the event happened at the source.
        pub occurred_at: Micros,
        /// When Settle received it.
        pub received_at: Micros,
        /// Where it came from (file:line, HTTP request id, API page).
        pub origin: String,
        /// The event body as received, JSON text.
        pub payload: Body,
        /// Bus topic.
        pub topic: String,
        /// Bus partition.
        pub partition: i32,
        /// Bus offset within the partition.
        pub offset: i64,
    }
}

lake_table! {
    /// Every event that failed to decode, with the reason; nothing is dropped.
    pub struct RejectedRow in "rejected" by received_at {
        /// Store, when it could be read.
        pub store_id: Option<String>,
        /// Outside system family.
        pub source: String,
        /// Contract name the event was sent as.
        pub kind: String,
        /// Event id, when it could be read.
        pub event_id: Option<String>,
        /// Where it came from (file:line, HTTP request id).
        pub origin: String,
        /// What was wrong and what to do.
        pub reason: String,
        /// The body as received (possibly not JSON).
        pub payload: String,
        /// When Settle received it.
        pub received_at: Micros,
        /// Bus topic.
        pub topic: String,
        /// Bus partition.
        pub partition: i32,
        /// Bus offset within the partition.
        pub offset: i64,
    }
}

lake_table! {
    /// Stripe charges and payment intents, one row per event that carried one.
    pub struct PaymentRow in "payments" by occurred_at {
        /// Store (from metadata.store_id, else the intake's store).
        pub store_id: String,
        /// Stripe event id.
        pub event_id: String,
        /// Stripe event type, e.g. charge.succeeded.
        pub event_type: String,
        /// Event creation time.
        pub occurred_at: Micros,
        /// Charge (ch_) or payment intent (pi_) id.
        pub payment_id: String,
        /// charge or payment_intent.
        pub object: String,
        /// Payment intent the charge belongs to.
        pub payment_intent_id: Option<String>,
        /// Order reference from metadata.order_id.
        pub order_id: Option<String>,
        /// Stripe customer id.
        pub customer_id: Option<String>,
        /// Amount in minor units.
        pub amount: i64,
        /// Amount refunded so far in minor units (charges).
        pub amount_refunded: i64,
        /// ISO 4217 code, upper case.
        pub currency: String,
        /// Stripe status (succeeded, failed, pending, requires_payment_method, ...).
        pub status: String,
        /// Failure code for failed charges.
        pub failure_code: Option<String>,
        /// Failure message for failed charges.
        pub failure_message: Option<String>,
        /// Stripe fee in minor units, when the balance transaction is known.
        pub fee: Option<i64>,
        /// Net after fee in minor units, when the balance transaction is known.
        pub net: Option<i64>,
        /// Payment method: card brand wallet or type (card, apple_pay, mada, ...).
        pub payment_method: Option<String>,
        /// Object creation time.
        pub created: Micros,
    }
}

lake_table! {
    /// Stripe refunds, one row per event that carried one.
    pub struct RefundRow in "refunds" by occurred_at {
        /// Store.
        pub store_id: String,
        /// Stripe event id.
        pub event_id: String,
        /// Event creation time.
        pub occurred_at: Micros,
        /// Refund id (re_).
        pub refund_id: String,
        /// Refunded charge.
        pub charge_id: Option<String>,
        /// Refunded payment intent.
        pub payment_intent_id: Option<String>,
        /// Order reference from metadata.order_id.
        pub order_id: Option<String>,
        /// Refunded product from metadata.sku, when the refund is for one line.
        pub sku: Option<String>,
        /// Amount in minor units.
        pub amount: i64,
        /// ISO 4217 code, upper case.
        pub currency: String,
        /// Stripe status (succeeded, pending, failed, canceled).
        pub status: String,
        /// Stripe reason (requested_by_customer, duplicate, fraudulent).
        pub reason: Option<String>,
        /// Refund creation time.
        pub created: Micros,
    }
}

lake_table! {
    /// Stripe invoices, one row per event that carried one.
    pub struct InvoiceRow in "invoices" by occurred_at {
        /// Store.
        pub store_id: String,
        /// Stripe event id.
        pub event_id: String,
        /// Stripe event type.
        pub event_type: String,
        /// Event creation time.
        pub occurred_at: Micros,
        /// Invoice id (in_).
        pub invoice_id: String,
        /// Stripe customer id.
        pub customer_id: Option<String>,
        /// Order reference from metadata.order_id.
        pub order_id: Option<String>,
        /// draft, open, paid, uncollectible or void.
        pub status: Option<String>,
        /// ISO 4217 code, upper case.
        pub currency: String,
        /// Total in minor units.
        pub total: i64,
        /// Amount due in minor units.
        pub amount_due: i64,
        /// Amount paid in minor units.
        pub amount_paid: i64,
        /// Amount remaining in minor units.
        pub amount_remaining: i64,
        /// Invoice creation time.
        pub created: Micros,
        /// Due date, when set.
        pub due_date: Option<Micros>,
    }
}

lake_table! {
    /// Stripe customers, one row per event that carried one.
    pub struct CustomerRow in "customers" by occurred_at {
        /// Store.
        pub store_id: String,
        /// Stripe event id.
        pub event_id: String,
        /// Stripe event type.
        pub event_type: String,
        /// Event creation time.
        pub occurred_at: Micros,
        /// Customer id (cus_).
        pub customer_id: String,
        /// Email.
        pub email: Option<String>,
        /// Name.
        pub name: Option<String>,
        /// Phone.
        pub phone: Option<String>,
        /// Country from the address.
        pub country: Option<String>,
        /// True when the event deleted the customer.
        pub deleted: bool,
        /// Customer creation time.
        pub created: Option<Micros>,
    }
}

lake_table! {
    /// Store order snapshots, one row per order_change event.
    pub struct OrderRow in "orders" by occurred_at {
        /// Store.
        pub store_id: String,
        /// Event id.
        pub event_id: String,
        /// When the snapshot was taken (the order's updated_at).
        pub occurred_at: Micros,
        /// Store order id.
        pub order_id: String,
        /// create, update or cancel.
        pub change: String,
        /// shopify, woocommerce or generic.
        pub platform: String,
        /// Sales channel (online_store, instagram, whatsapp, ...).
        pub channel: String,
        /// Order creation time.
        pub created_at: Micros,
        /// Order update time.
        pub updated_at: Micros,
        /// Customer email.
        pub customer_email: Option<String>,
        /// Customer phone.
        pub customer_phone: Option<String>,
        /// Shipping city.
        pub city: Option<String>,
        /// Shipping region.
        pub region: Option<String>,
        /// Shipping country (ISO 3166 alpha-2).
        pub country: Option<String>,
        /// ISO 4217 code.
        pub currency: String,
        /// Sum of line totals in minor units.
        pub subtotal: i64,
        /// Shipping charged in minor units.
        pub shipping: i64,
        /// Discount in minor units.
        pub discount: i64,
        /// Tax in minor units.
        pub tax: i64,
        /// Order total in minor units.
        pub total: i64,
        /// cod or prepaid.
        pub payment_method: String,
        /// pending, paid, partially_refunded, refunded or voided.
        pub financial_status: String,
        /// unfulfilled, fulfilled, delivered, returned or cancelled.
        pub fulfillment_status: String,
        /// Why the order was cancelled.
        pub cancel_reason: Option<String>,
        /// Stripe payment intent for prepaid orders.
        pub payment_intent_id: Option<String>,
        /// Number of line items.
        pub line_count: i32,
    }
}

lake_table! {
    /// Order line items, one row per line per order_change event.
    pub struct OrderLineRow in "order_lines" by occurred_at {
        /// Store.
        pub store_id: String,
        /// Event id of the order snapshot.
        pub event_id: String,
        /// When the snapshot was taken.
        pub occurred_at: Micros,
        /// Store order id.
        pub order_id: String,
        /// Line position, from 1.
        pub line_no: i32,
        /// Product SKU.
        pub sku: String,
        /// Product title.
        pub title: String,
        /// Units.
        pub quantity: i64,
        /// Unit price in minor units.
        pub unit_price: i64,
        /// quantity x unit_price in minor units.
        pub line_total: i64,
        /// ISO 4217 code.
        pub currency: String,
    }
}

lake_table! {
    /// Carrier tracking updates with a normalized status.
    pub struct TrackingRow in "tracking_events" by occurred_at {
        /// Store.
        pub store_id: String,
        /// Event id.
        pub event_id: String,
        /// When the carrier recorded the scan.
        pub occurred_at: Micros,
        /// Carrier name.
        pub carrier: String,
        /// Carrier tracking number.
        pub tracking_number: String,
        /// Store order id.
        pub order_id: Option<String>,
        /// Normalized status (info_received, in_transit, out_for_delivery, attempt_failed, delivered, returned_to_origin, exception, cancelled).
        pub status: String,
        /// The carrier's own status text.
        pub raw_status: String,
        /// Scan location.
        pub location: Option<String>,
        /// COD amount to collect in minor units.
        pub cod_amount: Option<i64>,
        /// Currency of the COD amount.
        pub currency: Option<String>,
    }
}

lake_table! {
    /// Lines of carrier COD remittance statements.
    pub struct RemittanceRow in "cod_remittances" by occurred_at {
        /// Store.
        pub store_id: String,
        /// Event id.
        pub event_id: String,
        /// Payment time (paid_date at 00:00 UTC).
        pub occurred_at: Micros,
        /// Carrier name.
        pub carrier: String,
        /// Statement id.
        pub statement_id: String,
        /// Date the carrier paid the statement.
        pub paid_date: Days,
        /// Carrier tracking number.
        pub tracking_number: String,
        /// Store order id, when the carrier reports it.
        pub order_id: Option<String>,
        /// Currency of the line.
        pub currency: String,
        /// Cash collected from the customer in minor units.
        pub collected: i64,
        /// Shipping fee deducted in minor units.
        pub fee_shipping: i64,
        /// COD handling fee deducted in minor units.
        pub fee_cod: i64,
        /// Return (RTO) fee deducted in minor units.
        pub fee_return: i64,
        /// Other fees deducted in minor units.
        pub fee_other: i64,
        /// collected minus all fees, in minor units (negative when fees exceed cash).
        pub net_remitted: i64,
        /// Bank transfer reference.
        pub bank_reference: Option<String>,
    }
}

/// Names of the tables written from events, in a stable order.
pub const EVENT_TABLES: &[&str] = &[
    "raw_events",
    "rejected",
    "payments",
    "refunds",
    "invoices",
    "customers",
    "orders",
    "order_lines",
    "tracking_events",
    "cod_remittances",
];

/// The typed tables rebuilt from `raw_events`.
pub const TYPED_TABLES: &[&str] = &[
    "payments",
    "refunds",
    "invoices",
    "customers",
    "orders",
    "order_lines",
    "tracking_events",
    "cod_remittances",
];

/// The Arrow schema (without the `date` partition column) of event table `name`.
pub fn schema_of(name: &str) -> Option<datafusion::arrow::datatypes::SchemaRef> {
    use super::table::Table;
    Some(match name {
        "raw_events" => RawEventRow::schema(),
        "rejected" => RejectedRow::schema(),
        "payments" => PaymentRow::schema(),
        "refunds" => RefundRow::schema(),
        "invoices" => InvoiceRow::schema(),
        "customers" => CustomerRow::schema(),
        "orders" => OrderRow::schema(),
        "order_lines" => OrderLineRow::schema(),
        "tracking_events" => TrackingRow::schema(),
        "cod_remittances" => RemittanceRow::schema(),
        _ => return None,
    })
}
