//! Long operations, announced to whoever watches, without the library
//! printing anything.
//!
//! A library crate that does something slow (a `git fetch` of kubespray, a
//! defragmentation) names each step through a [`Progress`] it is handed;
//! the CLI's implementation shows a step on stderr once it has lasted two
//! seconds, Python and Ansible pass [`Silent`]. The trait is an interface
//! only (no clock, no output), so this crate stays pure.

/// Receives the steps of a long operation. Steps nest: `begin` pushes,
/// `end` pops the innermost.
pub trait Progress: Send + Sync {
    /// A step starts; `label` says what it does (`fetching kubespray
    /// v2.16.0 from https://...`). A URL in it is redacted by the writer.
    fn begin(&self, label: &str);
    /// The innermost step ended (successfully or not).
    fn end(&self);
}

/// Reports nothing: for callers that show no progress.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn begin(&self, _label: &str) {}
    fn end(&self) {}
}

/// A step that ends when dropped, so that an early return or `?` cannot
/// leave a finished step on screen.
#[must_use = "the step ends when this guard is dropped"]
pub struct Step<'a>(&'a dyn Progress);

/// Begins a step on `progress`; it ends when the returned guard is dropped.
pub fn step<'a>(progress: &'a dyn Progress, label: &str) -> Step<'a> {
    progress.begin(label);
    Step(progress)
}

impl Drop for Step<'_> {
    fn drop(&mut self) {
        self.0.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Record(Mutex<Vec<String>>);

    impl Progress for Record {
        fn begin(&self, label: &str) {
            self.0.lock().unwrap().push(format!("begin {label}"));
        }
        fn end(&self) {
            self.0.lock().unwrap().push("end".into());
        }
    }

    #[test]
    fn a_step_ends_when_its_guard_drops_even_on_early_return() {
        let r = Record::default();
        let f = || -> Result<(), ()> {
            let _s = step(&r, "fetching");
            Err(())
        };
        assert!(f().is_err());
        assert_eq!(*r.0.lock().unwrap(), ["begin fetching", "end"]);
    }
}
