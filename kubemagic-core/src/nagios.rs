//! Output of a Nagios / Monitoring Plugins check: one status line
//! `SERVICE STATE - summary | perfdata`, optional long output lines, and the
//! exit code the state maps to (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN), as
//! the Monitoring Plugins Development Guidelines define them.
//!
//! Generic on purpose: nothing here knows etcd, so `kubemagic check --output
//! nagios` (or any other check) can reuse the renderer; the etcd rules live
//! in `kubemagic_etcd::monitor`, the site-check rules in [`crate::render::nagios`].

use serde::Serialize;
use std::fmt;

/// A plugin's state. The exit code is the state's number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum State {
    /// Everything within thresholds (exit 0).
    Ok,
    /// Above a warning threshold: look soon (exit 1).
    Warning,
    /// Above a critical threshold, or the service down: act now (exit 2).
    Critical,
    /// Bad arguments or an internal failure: the check could not decide.
    /// Never used for a monitored system that is down (that is CRITICAL).
    Unknown,
}

impl State {
    /// The plugin's exit code.
    pub fn code(self) -> u8 {
        match self {
            State::Ok => 0,
            State::Warning => 1,
            State::Critical => 2,
            State::Unknown => 3,
        }
    }

    /// How bad a state is when several are combined: CRITICAL over UNKNOWN
    /// over WARNING over OK (Icinga's and Naemon's "worst state" order).
    fn rank(self) -> u8 {
        match self {
            State::Ok => 0,
            State::Warning => 1,
            State::Unknown => 2,
            State::Critical => 3,
        }
    }

    /// The worse of two states.
    pub fn worst(self, other: State) -> State {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::Ok => "OK",
            State::Warning => "WARNING",
            State::Critical => "CRITICAL",
            State::Unknown => "UNKNOWN",
        })
    }
}

/// Unit of measurement of a performance value, as the guidelines list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uom {
    /// A plain number (a count of things).
    None,
    /// Bytes (`B`): graphers scale them to KB, MB...
    Bytes,
    /// A percentage (`%`), 0 to 100.
    Percent,
    /// Seconds (`s`).
    Seconds,
    /// A continuous counter (graphers compute its rate).
    Counter,
}

impl Uom {
    fn as_str(self) -> &'static str {
        match self {
            Uom::None => "",
            Uom::Bytes => "B",
            Uom::Percent => "%",
            Uom::Seconds => "s",
            Uom::Counter => "c",
        }
    }
}

/// One performance value: `'label'=value[UOM];[warn];[crit];[min];[max]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Perf {
    /// The name graphers show; quoted when printed.
    pub label: String,
    /// `None` prints `U`: the value could not be determined.
    pub value: Option<f64>,
    /// The unit of `value`, `warn`, `crit`, `min` and `max`.
    pub uom: Uom,
    /// The warning threshold, if any.
    pub warn: Option<f64>,
    /// The critical threshold, if any.
    pub crit: Option<f64>,
    /// The lowest possible value, if known.
    pub min: Option<f64>,
    /// The highest possible value (a quota), if known.
    pub max: Option<f64>,
}

impl Perf {
    /// A value without thresholds or bounds.
    pub fn new(label: impl Into<String>, value: Option<f64>, uom: Uom) -> Perf {
        Perf {
            label: label.into(),
            value,
            uom,
            warn: None,
            crit: None,
            min: None,
            max: None,
        }
    }

    /// With warning and critical thresholds (an upper limit each).
    pub fn thresholds(mut self, warn: Option<f64>, crit: Option<f64>) -> Perf {
        self.warn = warn;
        self.crit = crit;
        self
    }

    /// With the range the value can take.
    pub fn bounds(mut self, min: Option<f64>, max: Option<f64>) -> Perf {
        self.min = min;
        self.max = max;
        self
    }
}

/// A label as the guidelines allow it: single-quoted (so spaces are fine),
/// a single quote doubled, `=` (which ends a label) replaced by `_`.
pub fn quote_label(label: &str) -> String {
    format!("'{}'", label.replace('=', "_").replace('\'', "''"))
}

/// A number in the guidelines' form: `[-0-9.]`, no exponent, no
/// thousands separator; whole numbers without a decimal point; at most
/// three decimals otherwise. `None` or a non-finite value is `U`.
pub fn format_number(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => {
            if v.fract() == 0.0 && v.abs() < 9.0e15 {
                format!("{}", v as i64)
            } else {
                let s = format!("{v:.3}");
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            }
        }
        _ => "U".to_string(),
    }
}

impl fmt::Display for Perf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = format_number(self.value);
        let uom = if self.value.is_some() {
            self.uom.as_str()
        } else {
            ""
        };
        let opt = |v: Option<f64>| v.map(|v| format_number(Some(v))).unwrap_or_default();
        let mut fields = vec![
            format!("{}={value}{uom}", quote_label(&self.label)),
            opt(self.warn),
            opt(self.crit),
            opt(self.min),
            opt(self.max),
        ];
        // Trailing empty fields may be dropped.
        while fields.len() > 1 && fields.last().is_some_and(|x| x.is_empty()) {
            fields.pop();
        }
        f.write_str(&fields.join(";"))
    }
}

/// Everything a plugin prints, and its exit code.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginOutput {
    /// Short service name first on the line, e.g. `ETCD`.
    pub service: String,
    /// The state, which also gives the exit code.
    pub state: State,
    /// Human text of the status line.
    pub summary: String,
    /// Values for graphers, after the `|`.
    pub perfdata: Vec<Perf>,
    /// Lines after the status line (Nagios 3+ "long output").
    pub long: Vec<String>,
}

impl PluginOutput {
    /// The plugin's stdout: `SERVICE STATE - summary | perf ...` then the
    /// long output lines. A `|` in the text would start the perfdata, so it
    /// is replaced by `/`.
    pub fn render(&self) -> String {
        // Through the shared redaction too: a monitoring system stores and
        // mails what a plugin prints.
        let clean = |s: &str| crate::redact(s).replace('|', "/").replace('\n', " ");
        let mut out = format!("{} {} - {}", self.service, self.state, clean(&self.summary));
        if !self.perfdata.is_empty() {
            out.push_str(" | ");
            let perf: Vec<String> = self.perfdata.iter().map(|p| p.to_string()).collect();
            out.push_str(&perf.join(" "));
        }
        out.push('\n');
        for l in &self.long {
            out.push_str(&clean(l));
            out.push('\n');
        }
        out
    }

    /// The output of a check that could not decide (bad arguments, an
    /// internal failure): UNKNOWN, exit 3.
    pub fn unknown(service: &str, why: impl Into<String>) -> PluginOutput {
        PluginOutput {
            service: service.to_string(),
            state: State::Unknown,
            summary: why.into(),
            perfdata: Vec::new(),
            long: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfdata_follows_the_guidelines_grammar() {
        let p = Perf::new("etcd1_db", Some(8_650_752.0), Uom::Bytes)
            .thresholds(Some(16_777_216.0), Some(20_971_520.0))
            .bounds(Some(0.0), Some(20_971_520.0));
        assert_eq!(
            p.to_string(),
            "'etcd1_db'=8650752B;16777216;20971520;0;20971520"
        );
        // Trailing empty fields dropped; middle ones kept empty.
        let p = Perf::new("frag", Some(41.5), Uom::Percent).bounds(Some(0.0), Some(100.0));
        assert_eq!(p.to_string(), "'frag'=41.5%;;;0;100");
        assert_eq!(
            Perf::new("alarms", Some(0.0), Uom::None).to_string(),
            "'alarms'=0"
        );
        // Undetermined value: U, without a unit.
        assert_eq!(Perf::new("x", None, Uom::Bytes).to_string(), "'x'=U");
    }

    #[test]
    fn labels_are_quoted_and_cannot_break_the_grammar() {
        assert_eq!(quote_label("a b"), "'a b'");
        assert_eq!(quote_label("it's"), "'it''s'");
        assert_eq!(quote_label("a=b"), "'a_b'");
    }

    #[test]
    fn numbers_have_no_exponent_and_few_decimals() {
        assert_eq!(format_number(Some(2.0e9)), "2000000000");
        assert_eq!(format_number(Some(1.0 / 3.0)), "0.333");
        assert_eq!(format_number(Some(f64::NAN)), "U");
        assert_eq!(format_number(None), "U");
    }

    #[test]
    fn status_line_perfdata_and_long_output() {
        let o = PluginOutput {
            service: "ETCD".into(),
            state: State::Warning,
            summary: "a | b".into(),
            perfdata: vec![Perf::new("n", Some(1.0), Uom::None)],
            long: vec!["member 1".into()],
        };
        assert_eq!(o.render(), "ETCD WARNING - a / b | 'n'=1\nmember 1\n");
        assert_eq!(o.state.code(), 1);
        assert_eq!(
            PluginOutput::unknown("ETCD", "bad --warning").render(),
            "ETCD UNKNOWN - bad --warning\n"
        );
    }

    #[test]
    fn worst_state_is_critical_then_unknown_then_warning() {
        assert_eq!(State::Ok.worst(State::Warning), State::Warning);
        assert_eq!(State::Warning.worst(State::Unknown), State::Unknown);
        assert_eq!(State::Critical.worst(State::Unknown), State::Critical);
        assert_eq!(State::Critical.code(), 2);
    }
}
