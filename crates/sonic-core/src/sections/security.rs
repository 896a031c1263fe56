//! `sonic_security_state`: users, roles and PIN hashes. Never a plain PIN.

use super::common::{not_blank, Extra, RecordId, Timestamp};
use super::{FieldProblem, Record};
use serde::{Deserialize, Serialize};

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Cashier,
    Manager,
    Owner,
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Role::Cashier => "cashier",
            Role::Manager => "manager",
            Role::Owner => "owner",
        })
    }
}

/// A user of the POS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: RecordId,
    pub name: String,
    pub role: Role,
    /// Argon2 PHC string of the PIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_hash: Option<String>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failed_attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
    #[serde(flatten)]
    pub extra: Extra,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Record for User {
    fn id(&self) -> Option<&RecordId> {
        Some(&self.id)
    }
    fn check(&self) -> Result<(), FieldProblem> {
        not_blank("name", &self.name)?;
        if self.extra.contains_key("pin") {
            return Err(FieldProblem::new(
                "pin",
                "is a plain PIN; Sonic POS keeps only PIN hashes. Remove it and set the PIN again in Settings",
            ));
        }
        if let Some(hash) = &self.pin_hash {
            crate::ops::security::check_pin_hash(hash).map_err(|problem| FieldProblem::new("pinHash", problem))?;
        }
        Ok(())
    }
}
