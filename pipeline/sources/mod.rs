//! Outside systems, one folder each: decoding, verification, normalization.

pub mod secret;
pub mod stripe;
