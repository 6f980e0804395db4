//! Real servers started by tests.
pub mod sshd;
