//! What the engine's native test suites share, in one place: fixtures (configuration,
//! users, clients, sessions), signing keys with an independent verifier, the code flow,
//! and direct database access through the SQL port.

pub mod code_flow;
pub mod db;
pub mod fixtures;
pub mod keys;

pub use code_flow::*;
pub use fixtures::*;
pub use keys::*;
