//! Outside systems, one folder each: decoding, verification, normalization.

pub mod carriers;
pub mod secret;
pub mod shopify;
pub mod store;
pub mod stripe;
pub mod woocommerce;
