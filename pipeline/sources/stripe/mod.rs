//! Stripe: event envelopes and the objects inside them.

pub mod api;
pub mod decode;
pub mod object;
pub mod signature;

#[cfg(test)]
mod tests;
