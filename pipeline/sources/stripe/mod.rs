//! Stripe: event envelopes and the objects inside them.

pub mod decode;
pub mod object;

#[cfg(test)]
mod tests;
