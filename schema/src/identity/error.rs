use super::contact::ContactError;
use crate::ledger::LedgerError;

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error(transparent)]
    InvalidContact(#[from] ContactError),
    #[error("That email address or phone number belongs to another account")]
    ContactTaken,
    #[error("Could not find a free fairyname; try again")]
    FairynameExhausted,
    #[error("User not found")]
    UserNotFound,
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}
