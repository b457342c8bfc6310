//! Whether each certificate chains to a CA found beside it: in the same
//! directory (a kubeconfig's embedded CA counts as beside its users), or in
//! the same served chain.
//!
//! Candidates are matched by the issuer's exact encoded name, then the
//! signature is verified with the candidate's public key (`x509-parser`'s
//! `verify`, ring underneath). Several candidates (an old and a new CA
//! during a rotation, a bundle) are fine: one that verifies is enough.

use crate::model::{Certificate, Chain};
use std::collections::HashMap;
use x509_parser::prelude::*;

/// Sets [`Certificate::chain`] on every certificate.
pub fn verify(certs: &mut [Certificate]) {
    // Parse each once; an entry is None when the DER no longer parses
    // (it did when read, so never in practice).
    let parsed: Vec<Option<X509Certificate<'_>>> = certs
        .iter()
        .map(|c| X509Certificate::from_der(&c.der).ok().map(|(_, x)| x))
        .collect();
    let mut by_subject: HashMap<(&str, &[u8]), Vec<usize>> = HashMap::new();
    for (i, (c, x)) in certs.iter().zip(&parsed).enumerate() {
        if let Some(x) = x {
            by_subject
                .entry((c.scope.as_str(), x.subject().as_raw()))
                .or_default()
                .push(i);
        }
    }
    let chains: Vec<Chain> = certs
        .iter()
        .zip(&parsed)
        .enumerate()
        .map(|(i, (c, x))| match x {
            Some(x) => decide(
                i,
                x,
                &parsed,
                certs,
                by_subject.get(&(c.scope.as_str(), x.issuer().as_raw())),
            ),
            None => Chain::NoCa,
        })
        .collect();
    drop(by_subject);
    drop(parsed);
    for (c, chain) in certs.iter_mut().zip(chains) {
        c.chain = chain;
    }
}

fn decide(
    i: usize,
    x: &X509Certificate<'_>,
    parsed: &[Option<X509Certificate<'_>>],
    certs: &[Certificate],
    candidates: Option<&Vec<usize>>,
) -> Chain {
    if x.subject().as_raw() == x.issuer().as_raw() {
        return match x.verify_signature(None) {
            Ok(()) => Chain::SelfSigned,
            Err(e) => Chain::Broken {
                ca: certs[i].path.clone(),
                reason: format!("self-signed, but its own key does not verify its signature: {e}"),
            },
        };
    }
    let Some(cands) = candidates else {
        return Chain::NoCa;
    };
    let mut tried = Vec::new();
    let mut last_err = String::new();
    for &j in cands.iter().filter(|&&j| j != i) {
        let Some(ca) = &parsed[j] else { continue };
        match x.verify_signature(Some(ca.public_key())) {
            Ok(()) => {
                return Chain::Verified {
                    ca: place(&certs[j]),
                }
            }
            Err(e) => {
                last_err = e.to_string();
                tried.push(place(&certs[j]));
            }
        }
    }
    if tried.is_empty() {
        return Chain::NoCa;
    }
    tried.dedup();
    Chain::Broken {
        ca: tried.join(", "),
        reason: format!(
            "issued by {}, but that CA's key did not sign it ({last_err}): the CA was replaced and this certificate was not",
            certs[i].issuer
        ),
    }
}

fn place(c: &Certificate) -> String {
    match &c.name {
        Some(n) => format!("{} ({n})", c.path),
        None => c.path.clone(),
    }
}
