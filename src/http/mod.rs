//! HTTP helpers every API and page uses, free of any domain: JSON bodies, paging, the security
//! schemes, the contract's declared rules, metrics, the API boundary (CORS, caching, `Allow`),
//! the edge layers every request passes through (request id, metrics and tracing, panic catching,
//! body and address limits, every error as `application/problem+json`) and the connection under
//! the server. The router that assembles every domain's operations is at the top (`routes`).

pub mod boundary;
pub mod contract;
pub mod edge;
pub mod json;
pub mod metrics;
pub mod paging;

pub mod wire;
