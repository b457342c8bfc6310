//! Byte quantities.
//!
//! The seed's worst incident was `etcd_quota_backend_bytes` set to 20Mi instead
//! of 20Gi. A `ByteSize` is never a bare `u64` so that sizes cannot be confused
//! with counts, and parsing says *which* notation a value used: etcd reads only
//! a plain byte count, so a check must know whether `20Gi` was written.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A number of bytes.
///
/// A newtype rather than a `u64` so that a size can never be passed where a
/// count or a duration is expected, and so that every size prints the same
/// human way (see the `Display` impl). It holds only the value: the notation
/// the user wrote is returned beside it by [`ByteSize::parse_with_notation`],
/// for the checks that must tell `20971520` from `20Mi`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(transparent)]
pub struct ByteSize(u64);

/// One kibibyte (2^10 bytes): the `Ki`/`KiB` suffix.
pub const KIB: u64 = 1024;
/// One mebibyte (2^20 bytes): the `Mi`/`MiB` suffix. etcd and Kubernetes
/// quantities use binary units, so the constants are binary too.
pub const MIB: u64 = 1024 * KIB;
/// One gibibyte (2^30 bytes): the `Gi`/`GiB` suffix, the unit of etcd quotas.
pub const GIB: u64 = 1024 * MIB;
/// One tebibyte (2^40 bytes): the `Ti`/`TiB` suffix, for Ceph capacities.
pub const TIB: u64 = 1024 * GIB;

/// How a size was written.
///
/// Reported by [`ByteSize::parse_with_notation`] because the same bytes can be
/// right or wrong depending on who reads them: etcd's
/// `ETCD_QUOTA_BACKEND_BYTES` takes digits only, so `8Gi` there is the seed's
/// class of mistake (an error naming the plain count to write), while a
/// memory limit handed to a container runtime legitimately carries one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notation {
    /// Digits only: what etcd and most daemons read.
    Plain,
    /// With a unit suffix such as `Gi`, `GB`, `M`.
    WithUnit,
}

/// Why a text is not a size. Every variant carries the text as written so the
/// caller can quote it beside the file and line it came from; none carries a
/// position of its own because a size is always one scalar value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ByteSizeError {
    /// Nothing but whitespace: an unset variable rendered as `""`.
    #[error("empty size")]
    Empty,
    /// No leading number (`Gi`, `-5`, `1.2.3`): the text as written.
    #[error("`{0}` is not a size (expected digits with an optional unit such as Mi, Gi, MB, GB)")]
    Invalid(String),
    /// A number followed by a suffix that is neither a decimal nor a binary
    /// unit (`20Qi`, `20 gigs`): refused rather than guessed, since guessing
    /// a unit is exactly how 20Mi ends up where 20Gi was meant.
    #[error("unknown unit `{unit}` in `{input}`")]
    UnknownUnit {
        /// The whole text as written.
        input: String,
        /// The suffix that was not recognised.
        unit: String,
    },
    /// The value does not fit in 64 bits (16 EiB): the text as written.
    #[error("`{0}` is too large")]
    Overflow(String),
}

impl ByteSize {
    /// Exactly `n` bytes. `const` (like the unit constructors) so that limits
    /// such as etcd's recommended 8 GiB quota maximum are constants in the
    /// checks rather than numbers retyped at each use.
    pub const fn b(n: u64) -> Self {
        ByteSize(n)
    }
    /// `n` KiB. Panics at compile time (in a `const`) or in debug builds on
    /// overflow: meant for literals, not for values read from a file (parse
    /// those with [`ByteSize::parse_with_notation`], which reports overflow).
    pub const fn kib(n: u64) -> Self {
        ByteSize(n * KIB)
    }
    /// `n` MiB; for literals (see [`ByteSize::kib`]).
    pub const fn mib(n: u64) -> Self {
        ByteSize(n * MIB)
    }
    /// `n` GiB; for literals (see [`ByteSize::kib`]).
    pub const fn gib(n: u64) -> Self {
        ByteSize(n * GIB)
    }
    /// The plain byte count: what to write where a daemon (etcd) reads digits
    /// only, and what to compare or serialise.
    pub const fn as_u64(self) -> u64 {
        self.0
    }

    /// Parses `20971520`, `20Mi`, `20MiB`, `20M`, `20MB`, `1.5Gi`, `20 GiB`.
    /// Decimal units (`k`, `M`, `MB`, ...) are powers of 1000, binary units
    /// (`Ki`, `Mi`, `MiB`, ...) powers of 1024, as in Kubernetes quantities.
    ///
    /// Returns the [`Notation`] beside the value instead of discarding it,
    /// because whether a unit was written is itself what some checks judge
    /// (etcd reads digits only). Garbage, unknown units and overflow are
    /// errors, never a panic and never a silent default.
    pub fn parse_with_notation(input: &str) -> Result<(ByteSize, Notation), ByteSizeError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(ByteSizeError::Empty);
        }
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
            .unwrap_or(s.len());
        let (num, unit) = s.split_at(split);
        let unit = unit.trim();
        if num.is_empty() {
            return Err(ByteSizeError::Invalid(input.to_string()));
        }
        let multiplier: u64 = match unit {
            "" | "B" | "b" => 1,
            "k" | "K" | "kB" | "KB" => 1000,
            "M" | "MB" => 1000_u64.pow(2),
            "G" | "GB" => 1000_u64.pow(3),
            "T" | "TB" => 1000_u64.pow(4),
            "Ki" | "KiB" => KIB,
            "Mi" | "MiB" => MIB,
            "Gi" | "GiB" => GIB,
            "Ti" | "TiB" => TIB,
            _ => {
                return Err(ByteSizeError::UnknownUnit {
                    input: input.to_string(),
                    unit: unit.to_string(),
                })
            }
        };
        let notation = if unit.is_empty() {
            Notation::Plain
        } else {
            Notation::WithUnit
        };
        let digits: String = num.chars().filter(|c| *c != '_').collect();
        let bytes = if digits.contains('.') {
            let f: f64 = digits
                .parse()
                .map_err(|_| ByteSizeError::Invalid(input.to_string()))?;
            let v = f * multiplier as f64;
            if !v.is_finite() || v >= u64::MAX as f64 {
                return Err(ByteSizeError::Overflow(input.to_string()));
            }
            v.round() as u64
        } else {
            let n: u64 = digits
                .parse()
                .map_err(|_| ByteSizeError::Overflow(input.to_string()))?;
            n.checked_mul(multiplier)
                .ok_or_else(|| ByteSizeError::Overflow(input.to_string()))?
        };
        Ok((ByteSize(bytes), notation))
    }
}

impl FromStr for ByteSize {
    type Err = ByteSizeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ByteSize::parse_with_notation(s).map(|(b, _)| b)
    }
}

impl From<u64> for ByteSize {
    fn from(n: u64) -> Self {
        ByteSize(n)
    }
}

/// Human form in binary units, e.g. `20 MiB`, `1.5 GiB`, `512 B`.
impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        let units = [(TIB, "TiB"), (GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")];
        for (size, name) in units {
            if n >= size {
                let v = n as f64 / size as f64;
                return if n.is_multiple_of(size) {
                    write!(f, "{} {name}", n / size)
                } else {
                    write!(f, "{v:.1} {name}")
                };
            }
        }
        write!(f, "{n} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plain_count_is_plain_notation() {
        assert_eq!(
            ByteSize::parse_with_notation("20971520").unwrap(),
            (ByteSize::mib(20), Notation::Plain)
        );
    }

    #[test]
    fn binary_and_decimal_units_differ() {
        assert_eq!("20Gi".parse::<ByteSize>().unwrap(), ByteSize::gib(20));
        assert_eq!(
            "20G".parse::<ByteSize>().unwrap(),
            ByteSize::b(20_000_000_000)
        );
        assert_eq!("1.5GiB".parse::<ByteSize>().unwrap(), ByteSize::mib(1536));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!("".parse::<ByteSize>().is_err());
        assert!("Gi".parse::<ByteSize>().is_err());
        assert!("20Qi".parse::<ByteSize>().is_err());
        assert!("99999999999999999999999".parse::<ByteSize>().is_err());
    }

    #[test]
    fn display_is_human() {
        assert_eq!(ByteSize::mib(20).to_string(), "20 MiB");
        assert_eq!(ByteSize::b(512).to_string(), "512 B");
        assert_eq!(ByteSize::mib(1536).to_string(), "1.5 GiB");
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in ".{0,40}") {
            let _ = s.parse::<ByteSize>();
        }
        #[test]
        fn plain_round_trips(n in 0u64..u64::MAX) {
            prop_assert_eq!(n.to_string().parse::<ByteSize>().unwrap(), ByteSize::b(n));
        }
    }
}
