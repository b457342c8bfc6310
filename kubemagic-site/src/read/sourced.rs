//! A value read from a site, with the variable and the place that set it.

use kubemagic_core::{Finding, Origin};

/// A value read from an inventory, with the variable and place that set it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// The variable it came from, e.g. `loadbalancer_apiserver.address`;
    /// a default says so: `kube_apiserver_port (default)`.
    pub variable: String,
    /// Where that variable was set (the winning definition); `None` for a
    /// default.
    pub origin: Option<Origin>,
}

impl<T> Sourced<T> {
    /// A value set by `variable` at `origin`.
    pub fn new(value: T, variable: impl Into<String>, origin: Option<Origin>) -> Self {
        Sourced {
            value,
            variable: variable.into(),
            origin,
        }
    }

    /// The upstream's default for `variable`: no origin.
    pub fn default_of(value: T, variable: &str) -> Self {
        Sourced {
            value,
            variable: format!("{variable} (default)"),
            origin: None,
        }
    }

    /// The variable's name, without the ` (default)` mark.
    pub fn name(&self) -> &str {
        self.variable.split(' ').next().unwrap_or(&self.variable)
    }

    /// Whether the value is the upstream's default rather than set.
    pub fn is_default(&self) -> bool {
        self.variable.ends_with(" (default)")
    }

    /// `f` pointing at this value's variable and origin.
    pub fn locate(&self, f: Finding) -> Finding {
        f.variable(self.name()).at(self.origin.as_ref())
    }
}
