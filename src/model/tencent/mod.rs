//! What the vendor decides, as tables: its services (interface paths, command
//! catalogs, the codes that mean "none" and "exists"), its regions and hosts, and
//! the REST API's error codes. A sibling service is a new `Service` row.

pub mod codes;
pub mod region;
mod service;

pub use service::{Service, ServiceName};
