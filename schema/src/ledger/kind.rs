use async_graphql::Enum;

/// What moved DUST. Stored as lower-case text in `dust_transactions.type`.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransactionKind {
    Grant,
    Consume,
    Purchase,
    Refund,
    Reward,
    Adjustment,
}

impl TransactionKind {
    pub const ALL: [TransactionKind; 6] = [
        TransactionKind::Grant,
        TransactionKind::Consume,
        TransactionKind::Purchase,
        TransactionKind::Refund,
        TransactionKind::Reward,
        TransactionKind::Adjustment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TransactionKind::Grant => "grant",
            TransactionKind::Consume => "consume",
            TransactionKind::Purchase => "purchase",
            TransactionKind::Refund => "refund",
            TransactionKind::Reward => "reward",
            TransactionKind::Adjustment => "adjustment",
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == stored)
    }
}
