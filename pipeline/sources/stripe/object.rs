//! Borrowed serde shapes of the Stripe objects Settle tables. Only the fields
//! Settle reads are named; everything else is skipped without allocating.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Number;

/// Text that borrows from the payload unless it had escapes.
pub type Text<'a> = Cow<'a, str>;

/// The Stripe event envelope, as Stripe sends it.
#[derive(Debug, Deserialize)]
pub struct Envelope<'a> {
    /// `evt_...`.
    #[serde(borrow)]
    pub id: Text<'a>,
    /// Event type, e.g. `charge.succeeded`.
    #[serde(rename = "type", borrow)]
    pub type_: Text<'a>,
    /// Unix seconds.
    pub created: i64,
    /// The object after the event.
    #[serde(borrow)]
    pub data: Data<'a>,
}

/// `data` of a Stripe event.
#[derive(Debug, Deserialize)]
pub struct Data<'a> {
    /// The object after the event.
    #[serde(borrow)]
    pub object: Object<'a>,
}

/// Any Stripe object, with the fields of charges, payment intents, refunds,
/// invoices and customers that Settle reads.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[allow(missing_docs)]
pub struct Object<'a> {
    #[serde(borrow)]
    pub id: Option<Text<'a>>,
    #[serde(borrow)]
    pub object: Option<Text<'a>>,
    pub amount: Option<Number>,
    pub amount_refunded: Option<Number>,
    pub amount_due: Option<Number>,
    pub amount_paid: Option<Number>,
    pub amount_remaining: Option<Number>,
    pub total: Option<Number>,
    #[serde(borrow)]
    pub currency: Option<Text<'a>>,
    #[serde(borrow)]
    pub status: Option<Text<'a>>,
    #[serde(borrow)]
    pub failure_code: Option<Text<'a>>,
    #[serde(borrow)]
    pub failure_message: Option<Text<'a>>,
    #[serde(borrow)]
    pub reason: Option<Text<'a>>,
    #[serde(borrow)]
    pub email: Option<Text<'a>>,
    #[serde(borrow)]
    pub name: Option<Text<'a>>,
    #[serde(borrow)]
    pub phone: Option<Text<'a>>,
    pub created: Option<i64>,
    pub due_date: Option<i64>,
    pub deleted: Option<bool>,
    #[serde(borrow)]
    pub payment_intent: Option<Ref<'a>>,
    #[serde(borrow)]
    pub customer: Option<Ref<'a>>,
    #[serde(borrow)]
    pub charge: Option<Ref<'a>>,
    #[serde(borrow)]
    pub balance_transaction: Option<Ref<'a>>,
    #[serde(borrow)]
    pub metadata: Option<Metadata<'a>>,
    #[serde(borrow)]
    pub payment_method_details: Option<MethodDetails<'a>>,
    #[serde(borrow)]
    pub payment_method_types: Option<Vec<Text<'a>>>,
    #[serde(borrow)]
    pub last_payment_error: Option<PaymentError<'a>>,
    #[serde(borrow)]
    pub address: Option<Address<'a>>,
    #[serde(borrow)]
    pub refunds: Option<List<'a>>,
}

/// The metadata keys Settle reads.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[allow(missing_docs)]
pub struct Metadata<'a> {
    #[serde(borrow)]
    pub store_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub order_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub sku: Option<Text<'a>>,
}

/// `payment_method_details`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[allow(missing_docs)]
pub struct MethodDetails<'a> {
    #[serde(rename = "type", borrow)]
    pub type_: Option<Text<'a>>,
    #[serde(borrow)]
    pub card: Option<Card<'a>>,
}

/// `payment_method_details.card`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[allow(missing_docs)]
pub struct Card<'a> {
    #[serde(borrow)]
    pub wallet: Option<Wallet<'a>>,
}

/// `payment_method_details.card.wallet`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[allow(missing_docs)]
pub struct Wallet<'a> {
    #[serde(rename = "type", borrow)]
    pub type_: Option<Text<'a>>,
}

/// `last_payment_error`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[allow(missing_docs)]
pub struct PaymentError<'a> {
    #[serde(borrow)]
    pub code: Option<Text<'a>>,
    #[serde(borrow)]
    pub message: Option<Text<'a>>,
}

/// `address`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[allow(missing_docs)]
pub struct Address<'a> {
    #[serde(borrow)]
    pub country: Option<Text<'a>>,
}

/// A Stripe list object (`charge.refunds`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[allow(missing_docs)]
pub struct List<'a> {
    #[serde(borrow)]
    pub data: Vec<Object<'a>>,
}

/// A field that is either an id or the expanded object (balance transactions
/// keep their fee and net).
#[derive(Debug, Default)]
pub struct Ref<'a> {
    /// The id.
    pub id: Option<Text<'a>>,
    /// `fee` of an expanded balance transaction.
    pub fee: Option<Number>,
    /// `net` of an expanded balance transaction.
    pub net: Option<Number>,
    /// Whether the object was expanded.
    pub expanded: bool,
}

impl<'de: 'a, 'a> Deserialize<'de> for Ref<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Ref<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an id or an expanded object")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Ref<'a>, E> {
                Ok(Ref {
                    id: Some(Cow::Borrowed(v)),
                    ..Ref::default()
                })
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Ref<'a>, E> {
                Ok(Ref {
                    id: Some(Cow::Owned(v.to_string())),
                    ..Ref::default()
                })
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Ref<'a>, M::Error> {
                let mut r = Ref {
                    expanded: true,
                    ..Ref::default()
                };
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    match key.as_ref() {
                        "id" => r.id = map.next_value::<Option<Cow<'de, str>>>()?,
                        "fee" => r.fee = map.next_value()?,
                        "net" => r.net = map.next_value()?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(r)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}
