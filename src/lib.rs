//! `selfeval` checks 项目支出绩效自评表 workbooks: it reads the form into a typed model,
//! recomputes every score with exact decimals, and writes the form back corrected.
//!
//! Data flows one way: [`reader`] (cells) → [`model`] (typed form, structural findings) →
//! [`scorer`] (arithmetic findings) → [`writer`] / [`report`].

mod calendar;
pub mod cell;
pub mod check;
#[cfg(feature = "app")]
pub mod cli;
pub mod finding;
pub mod intake;
pub mod ledger;
pub mod limits;
pub mod model;
pub mod number;
pub mod opc;
pub mod reader;
pub mod report;
pub mod sandbox;
pub mod scorer;
#[cfg(feature = "app")]
pub mod serve;
pub mod summary;
pub mod template;
pub mod writer;
