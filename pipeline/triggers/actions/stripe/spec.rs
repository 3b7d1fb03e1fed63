//! The `stripe.*` actions as written in trigger files: one struct per
//! kind, every field a template.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The Stripe action kinds.
pub const KINDS: &[&str] = &[
    "stripe.find_customer",
    "stripe.upsert_customer",
    "stripe.create_customer",
    "stripe.update_customer",
    "stripe.create_invoice",
    "stripe.create_payment_intent",
    "stripe.create_charge",
    "stripe.refund",
];

/// Why an action table could not be read.
pub enum ParseError {
    /// A field is wrong.
    Toml(toml::de::Error),
    /// The kind is unknown.
    Kind(String),
}

/// Customer fields (templates; an optional one that renders empty is not sent).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerFields {
    /// The customer to update (`update_customer` only).
    #[serde(default)]
    pub customer: Option<String>,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// Name (`customer_name`: an action's `name` is its own).
    #[serde(default, rename = "customer_name")]
    pub name: Option<String>,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Metadata.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// One invoice line (templates).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemSpec {
    /// What the line says.
    pub description: String,
    /// Price of one unit in minor units (`{unit_price|minor}`).
    pub unit_amount: String,
    /// Units.
    #[serde(default = "one")]
    pub quantity: String,
}

fn one() -> String {
    "1".into()
}

/// `stripe.create_invoice`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvoiceSpec {
    /// Customer id (`{$actions.customer.id}`).
    pub customer: String,
    /// Currency (lowercase ISO code).
    #[serde(default)]
    pub currency: Option<String>,
    /// Invoice description.
    #[serde(default)]
    pub description: Option<String>,
    /// Days the customer has to pay.
    #[serde(default = "fourteen")]
    pub days_until_due: u32,
    /// A list in the event (`line_items`): one line per element, from the
    /// single `items` template, whose paths look in the element first.
    #[serde(default)]
    pub items_from: Option<String>,
    /// Lines.
    pub items: Vec<ItemSpec>,
    /// Finalize the draft.
    #[serde(default = "yes")]
    pub finalize: bool,
    /// Email it to the customer (implies finalize).
    #[serde(default = "yes")]
    pub send: bool,
    /// Metadata.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

fn fourteen() -> u32 {
    14
}
fn yes() -> bool {
    true
}

/// `stripe.create_payment_intent` and `stripe.create_charge`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentSpec {
    /// Minor units.
    pub amount: String,
    /// Currency.
    pub currency: String,
    /// Customer id.
    #[serde(default)]
    pub customer: Option<String>,
    /// Payment method (`pm_…`, payment intents) or source (`tok_…`, `card_…`, charges).
    #[serde(default)]
    pub payment_method: Option<String>,
    /// Confirm the payment intent at once.
    #[serde(default)]
    pub confirm: bool,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Metadata.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// `stripe.refund`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundSpec {
    /// The payment intent to refund.
    #[serde(default)]
    pub payment_intent: Option<String>,
    /// Or the charge.
    #[serde(default)]
    pub charge: Option<String>,
    /// Minor units; the whole payment when absent.
    #[serde(default)]
    pub amount: Option<String>,
    /// `requested_by_customer`, `duplicate` or `fraudulent`.
    #[serde(default)]
    pub reason: Option<String>,
    /// Metadata.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// A Stripe action.
#[derive(Debug, Clone)]
pub enum StripeAction {
    /// The newest customer with an email (`null` when none).
    FindCustomer(CustomerFields),
    /// The customer with the email, updated, or a new one.
    UpsertCustomer(CustomerFields),
    /// A new customer.
    CreateCustomer(CustomerFields),
    /// Changes to a customer.
    UpdateCustomer(CustomerFields),
    /// An invoice with items, finalized and sent.
    CreateInvoice(InvoiceSpec),
    /// A payment intent.
    CreatePaymentIntent(PaymentSpec),
    /// A charge.
    CreateCharge(PaymentSpec),
    /// A refund.
    Refund(RefundSpec),
}

impl StripeAction {
    /// Reads the table of a `stripe.*` action.
    pub fn parse(kind: &str, rest: toml::Value) -> Result<Self, ParseError> {
        let t = ParseError::Toml;
        let customer = |rest: toml::Value, need_email: bool, need_id: bool| {
            let c: CustomerFields = rest.try_into().map_err(t)?;
            if need_email && c.email.is_none() {
                return Err(ParseError::Kind(format!("{kind} needs email")));
            }
            if need_id != c.customer.is_some() {
                return Err(ParseError::Kind(if need_id {
                    format!("{kind} needs customer (a cus_… id)")
                } else {
                    format!("{kind} takes no customer field")
                }));
            }
            Ok(c)
        };
        Ok(match kind {
            "stripe.find_customer" => Self::FindCustomer(customer(rest, true, false)?),
            "stripe.upsert_customer" => Self::UpsertCustomer(customer(rest, true, false)?),
            "stripe.create_customer" => Self::CreateCustomer(customer(rest, false, false)?),
            "stripe.update_customer" => Self::UpdateCustomer(customer(rest, false, true)?),
            "stripe.create_invoice" => {
                let spec: InvoiceSpec = rest.try_into().map_err(t)?;
                if spec.items.is_empty() || (spec.items_from.is_some() && spec.items.len() != 1) {
                    return Err(ParseError::Kind(
                        "stripe.create_invoice needs items; with items_from, exactly one item template".into(),
                    ));
                }
                Self::CreateInvoice(spec)
            }
            "stripe.create_payment_intent" => {
                Self::CreatePaymentIntent(rest.try_into().map_err(t)?)
            }
            "stripe.create_charge" => Self::CreateCharge(rest.try_into().map_err(t)?),
            "stripe.refund" => {
                let spec: RefundSpec = rest.try_into().map_err(t)?;
                if spec.payment_intent.is_some() == spec.charge.is_some() {
                    return Err(ParseError::Kind(
                        "stripe.refund needs exactly one of payment_intent and charge".into(),
                    ));
                }
                Self::Refund(spec)
            }
            other => {
                return Err(ParseError::Kind(format!(
                    "unknown kind {other:?}; Stripe actions are {}",
                    KINDS.join(", ")
                )));
            }
        })
    }
}
