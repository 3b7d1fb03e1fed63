//! Stripe: event envelopes and the objects inside them.

pub mod decode;

#[cfg(test)]
mod tests;
