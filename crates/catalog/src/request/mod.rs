//! The one request layer: every query and edit as the HTTP API, the app's IPC and the CLI
//! receive it, each with one check that owns its limits, units and defaults. A face parses
//! its input into one of these, calls `check`, and runs what comes out on the catalog; a
//! refusal is a [`Message`](crate::message::Message) with a stable id.

pub mod edit;
pub mod fields;
pub mod limits;
pub mod queries;

pub use edit::{
    Editor, OPERATOR_FIELDS, check_patch, check_proposal, check_reason, check_report, plain_text,
};
pub use queries::*;
