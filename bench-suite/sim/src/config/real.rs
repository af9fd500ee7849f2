//! A float that may be infinite (`zeta`, `staleness_bound`, `max_time`) and survives JSON.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A number where `inf` is meaningful ("no bound"). It is written as a number when finite and as
/// the string `".inf"` otherwise, so that JSON manifests keep it; it reads numbers and the strings
/// `.inf`, `inf`, `infinity` (any case, optional sign).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Real(pub f64);

impl fmt::Display for Real {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_infinite() {
            f.write_str(if self.0 > 0.0 { ".inf" } else { "-.inf" })
        } else {
            write!(f, "{}", self.0)
        }
    }
}

impl Serialize for Real {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_finite() {
            s.serialize_f64(self.0)
        } else if self.0.is_nan() {
            s.serialize_str(".nan")
        } else {
            s.serialize_str(&self.to_string())
        }
    }
}

impl<'de> Deserialize<'de> for Real {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct RealVisitor;
        impl Visitor<'_> for RealVisitor {
            type Value = Real;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or .inf")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Real, E> {
                Ok(Real(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Real, E> {
                Ok(Real(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Real, E> {
                Ok(Real(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Real, E> {
                let t = v.trim().to_ascii_lowercase();
                let (sign, body) = match t.strip_prefix('-') {
                    Some(b) => (-1.0, b),
                    None => (1.0, t.strip_prefix('+').unwrap_or(&t)),
                };
                match body {
                    ".inf" | "inf" | "infinity" => Ok(Real(sign * f64::INFINITY)),
                    _ => body
                        .parse::<f64>()
                        .map(|x| Real(sign * x))
                        .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
        }
        d.deserialize_any(RealVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_keeps_infinity() {
        let s = serde_json::to_string(&[Real(1.5), Real(f64::INFINITY)]).unwrap();
        assert_eq!(s, r#"[1.5,".inf"]"#);
        let back: Vec<Real> = serde_json::from_str(&s).unwrap();
        assert_eq!(back, vec![Real(1.5), Real(f64::INFINITY)]);
        let r: Real = serde_json::from_str(r#""-Infinity""#).unwrap();
        assert_eq!(r, Real(f64::NEG_INFINITY));
        assert!(serde_json::from_str::<Real>(r#""lots""#).is_err());
    }
}
