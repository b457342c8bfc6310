//! Every case under tests/corpus/inventory/ against the real
//! ansible-inventory (ansible-core 2.19 from .venv), in one batch.

mod support;

use std::path::Path;

#[test]
fn corpus_matches_ansible_inventory() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/inventory");
    let cases = support::corpus_cases(&root);
    assert!(!cases.is_empty(), "no cases under {}", root.display());
    let Some(python) = support::ansible_python() else {
        support::skip_loudly("inventory differential corpus");
        return;
    };
    let oracle = support::run_oracle(&python, &cases);
    support::check_all("corpus", &cases, &oracle);
}
