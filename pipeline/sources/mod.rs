//! Outside systems, one folder each: decoding, verification, normalization.

pub mod stripe;
