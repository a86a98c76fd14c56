//! Distinct users over many days, without reading the days' rows again. Someone active on two days
//! counts once, so a range's distinct users are not the sum of its days'; instead each closed day keeps
//! a sketch of its users (in its rollup), and sketches merge.
//!
//! A sketch is the exact set of its users' 64-bit hashes while it holds at most [`EXACT_LIMIT`] of
//! them, and a HyperLogLog of 2^14 one-byte registers (16 KiB, a standard error of 0.8 %) beyond. A
//! merge stays exact while the union is small: a small platform, and every test, gets exact counts;
//! a million users cost 16 KiB a day and a month merges in microseconds.

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

const PRECISION: u32 = 14;
const REGISTERS: usize = 1 << PRECISION;
/// Beyond this many users a sketch estimates: as JSON an exact set costs about 20 bytes a user, so
/// past this size the registers are smaller.
pub const EXACT_LIMIT: usize = 1_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Stored", into = "Stored")]
pub enum UserSketch {
    Exact(BTreeSet<u64>),
    Estimated(Vec<u8>),
}

impl Default for UserSketch {
    fn default() -> Self {
        Self::Exact(BTreeSet::new())
    }
}

impl UserSketch {
    pub fn insert(&mut self, user: Uuid) {
        let hash = hash(user);
        match self {
            Self::Exact(hashes) => {
                hashes.insert(hash);
                if hashes.len() > EXACT_LIMIT {
                    *self = Self::Estimated(registers_of(hashes));
                }
            }
            Self::Estimated(registers) => observe(registers, hash),
        }
    }

    pub fn merge(&mut self, other: &UserSketch) {
        match (&mut *self, other) {
            (Self::Exact(mine), Self::Exact(theirs)) => {
                mine.extend(theirs);
                if mine.len() > EXACT_LIMIT {
                    *self = Self::Estimated(registers_of(mine));
                }
            }
            (Self::Estimated(mine), Self::Exact(theirs)) => {
                for hash in theirs {
                    observe(mine, *hash);
                }
            }
            (Self::Exact(mine), Self::Estimated(theirs)) => {
                let mut registers = theirs.clone();
                for hash in mine.iter() {
                    observe(&mut registers, *hash);
                }
                *self = Self::Estimated(registers);
            }
            (Self::Estimated(mine), Self::Estimated(theirs)) => {
                for (register, other) in mine.iter_mut().zip(theirs) {
                    *register = (*register).max(*other);
                }
            }
        }
    }

    /// The users of all `sketches` together.
    pub fn union<'a>(sketches: impl IntoIterator<Item = &'a UserSketch>) -> Self {
        let mut all = Self::default();
        for sketch in sketches {
            all.merge(sketch);
        }
        all
    }

    /// How many distinct users were seen: exact for an exact set, else the HyperLogLog estimate
    /// (with linear counting while many registers are still empty, where it is more precise).
    pub fn count(&self) -> i64 {
        match self {
            Self::Exact(hashes) => hashes.len() as i64,
            Self::Estimated(registers) => {
                let m = REGISTERS as f64;
                let alpha = 0.7213 / (1.0 + 1.079 / m);
                let harmonic: f64 = registers.iter().map(|r| 2f64.powi(-i32::from(*r))).sum();
                let raw = alpha * m * m / harmonic;
                let empty = registers.iter().filter(|r| **r == 0).count();
                let estimate = if raw <= 2.5 * m && empty > 0 {
                    m * (m / empty as f64).ln()
                } else {
                    raw
                };
                estimate.round() as i64
            }
        }
    }
}

/// A stable 64-bit hash of a user id: stored sketches must hash the same in every build, so no
/// `std` hasher (whose algorithm may change). The MurmurHash3 finaliser mixes both halves, which
/// matters for time-ordered ids whose high bits barely differ.
fn hash(user: Uuid) -> u64 {
    let (high, low) = user.as_u64_pair();
    mix(high ^ mix(low))
}

fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

fn observe(registers: &mut [u8], hash: u64) {
    let index = (hash >> (64 - PRECISION)) as usize;
    // The bits left after the index, with a stop bit so that the rank is at most 64 − PRECISION + 1.
    let rest = (hash << PRECISION) | (1 << (PRECISION - 1));
    let rank = rest.leading_zeros() as u8 + 1;
    if registers[index] < rank {
        registers[index] = rank;
    }
}

fn registers_of(hashes: &BTreeSet<u64>) -> Vec<u8> {
    let mut registers = vec![0; REGISTERS];
    for hash in hashes {
        observe(&mut registers, *hash);
    }
    registers
}

/// The stored form: the hashes, or the registers in base64.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Stored {
    Exact(Vec<u64>),
    Registers(String),
}

impl From<UserSketch> for Stored {
    fn from(sketch: UserSketch) -> Self {
        match sketch {
            UserSketch::Exact(hashes) => Stored::Exact(hashes.into_iter().collect()),
            UserSketch::Estimated(registers) => {
                Stored::Registers(STANDARD_NO_PAD.encode(registers))
            }
        }
    }
}

impl TryFrom<Stored> for UserSketch {
    type Error = String;

    fn try_from(stored: Stored) -> Result<Self, Self::Error> {
        match stored {
            Stored::Exact(hashes) => Ok(UserSketch::Exact(hashes.into_iter().collect())),
            Stored::Registers(text) => {
                let registers = STANDARD_NO_PAD
                    .decode(text)
                    .map_err(|error| format!("sketch registers: {error}"))?;
                if registers.len() != REGISTERS {
                    return Err(format!(
                        "sketch has {} registers, not {REGISTERS}",
                        registers.len()
                    ));
                }
                Ok(UserSketch::Estimated(registers))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users(count: usize) -> Vec<Uuid> {
        (0..count).map(|_| Uuid::now_v7()).collect()
    }

    fn sketch_of(users: &[Uuid]) -> UserSketch {
        let mut sketch = UserSketch::default();
        for user in users {
            sketch.insert(*user);
        }
        sketch
    }

    #[test]
    fn small_sets_count_exactly_and_a_user_counts_once() {
        let people = users(300);
        let mut monday = sketch_of(&people[..200]);
        let tuesday = sketch_of(&people[100..]);
        monday.merge(&tuesday);
        assert_eq!(monday.count(), 300);
        assert!(matches!(monday, UserSketch::Exact(_)));
    }

    #[test]
    fn large_sets_estimate_within_a_few_percent() {
        let people = users(60_000);
        let mut first = sketch_of(&people[..40_000]);
        let second = sketch_of(&people[20_000..]);
        assert!(matches!(first, UserSketch::Estimated(_)));
        first.merge(&second);
        let error = (first.count() - 60_000).abs() as f64 / 60_000.0;
        assert!(error < 0.03, "estimated {} for 60 000", first.count());
    }

    #[test]
    fn merging_exact_into_estimated_adds_only_new_users() {
        let people = users(5_000);
        let mut big = sketch_of(&people);
        let before = big.count();
        big.merge(&sketch_of(&people[..500]));
        assert_eq!(big.count(), before);
        let mut small = sketch_of(&people[..500]);
        small.merge(&sketch_of(&people));
        assert_eq!(small.count(), before);
    }

    #[test]
    fn sketches_survive_their_stored_form() {
        for sketch in [sketch_of(&users(10)), sketch_of(&users(3_000))] {
            let text = serde_json::to_string(&sketch).unwrap();
            let back: UserSketch = serde_json::from_str(&text).unwrap();
            assert_eq!(back, sketch);
        }
        assert!(serde_json::from_str::<UserSketch>(r#"{"registers":"AAAA"}"#).is_err());
    }

    #[test]
    fn the_hash_is_stable_across_builds() {
        // Stored sketches were built with this value: changing the hash would corrupt every merge
        // of old days with new ones.
        let user = Uuid::parse_str("0192f0c1-2b3c-7d4e-8f50-617283940a1b").unwrap();
        assert_eq!(hash(user), 0xac08_7a7e_9275_300c);
    }
}
