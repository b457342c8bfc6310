//! The one redaction every printed text goes through.
//!
//! kubemagic prints findings, plan lines, journal entries and error messages
//! that quote what a site holds: URLs of registries and upstreams, LDAP
//! providers, INI lines that failed to parse. Any of them can carry a
//! credential. Rather than trusting each caller to scrub what it quotes,
//! every output path (the finding renderer, the CLI's error printer, the run
//! journal, Python exceptions) calls [`redact`] on the finished text, so a
//! new message cannot forget it.
//!
//! Two kinds of secret are masked:
//! - the userinfo of a URL (`scheme://USERINFO@host`): per RFC 3986 it is
//!   everything between `//` and the *last* `@` of the authority, and may
//!   hold `,`, `)`, `;`, `'`, `=` and `:` unencoded, so the authority is cut
//!   only where RFC 3986 ends it (`/`, `?`, `#`) or where a character that is
//!   never legal in it appears (whitespace, quotes, `<>{}|\^`);
//! - the value after a secret-looking key (`*password*`, `*secret*`,
//!   `*token*`, `*_key`, `bindPassword`, ...) written `key=value`,
//!   `key: value` or `"key": "value"`, and `!vault` blocks: the shapes in
//!   which an inventory line that failed to parse quotes its own secret.

use std::borrow::Cow;

/// What a masked secret is replaced with.
pub const MASK: &str = "***";

/// Masks every credential in `text`: URL userinfo and the values of
/// secret-looking keys. Returns the text unchanged (borrowed) when there is
/// nothing to mask, which is the common case on a hot path.
pub fn redact(text: &str) -> Cow<'_, str> {
    let urls = url_credentials(text);
    match secret_values(&urls) {
        Cow::Borrowed(_) => urls,
        Cow::Owned(s) => Cow::Owned(s),
    }
}

/// A command, each argument through [`redact`]: what is printed or recorded
/// of it (plan and run lines, the journal, the lock). Argument by argument,
/// before any shell quoting, which would otherwise split a `'` in a URL's
/// userinfo and hide the URL's shape from [`redact`].
pub fn redact_argv(argv: &[String]) -> Vec<String> {
    argv.iter().map(|a| redact(a).into_owned()).collect()
}

/// [`redact`] applied to every string of a JSON document (keys stay as they
/// are): reports stay valid JSON with their shape unchanged.
pub fn redact_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => {
            if let Cow::Owned(r) = redact(s) {
                *s = r;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        serde_json::Value::Object(map) => map.values_mut().for_each(redact_json),
        _ => {}
    }
}

/// Whether a variable (or key) name holds a secret, so its value must never
/// appear in output.
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("password")
        || n.contains("passwd")
        || n.contains("secret")
        || n.ends_with("_key")
        || n.ends_with("key_data")
        || n.contains("private_key")
        || n.contains("token")
        || n.contains("keyring")
        || n.contains("vault")
        || n == "bindpassword"
        || n == "auth_pass"
}

/// Characters that can never stand unencoded in a URL authority: where one
/// appears, the URL (as quoted in free text) has ended.
fn ends_authority(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '/' | '?' | '#' | '"' | '`' | '<' | '>' | '{' | '}' | '|' | '\\' | '^' | '[' | ']'
        )
}

/// Masks the userinfo of every `scheme://userinfo@host` in `text`.
pub fn url_credentials(text: &str) -> Cow<'_, str> {
    if !text.contains("://") || !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail.find(ends_authority).unwrap_or(tail.len());
        match tail[..end].rfind('@') {
            Some(at) if at > 0 => {
                out.push_str(MASK);
                out.push_str(&tail[at..end]);
                changed = true;
            }
            _ => out.push_str(&tail[..end]),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

/// Masks the values written after secret-looking keys (`key=value`,
/// `key: value`, `"key": "value"`) and `!vault` blocks.
pub fn secret_values(text: &str) -> Cow<'_, str> {
    let lower = text.to_ascii_lowercase();
    if !["pass", "secret", "token", "key", "vault", "keyring"]
        .iter()
        .any(|w| lower.contains(w))
    {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut changed = false;
    let mut i = 0;
    while i < bytes.len() {
        // A key is a run of word characters; look at what follows it.
        if is_word(bytes[i]) && (i == 0 || !is_word(bytes[i - 1])) {
            let start = i;
            while i < bytes.len() && is_word(bytes[i]) {
                i += 1;
            }
            let key = &text[start..i];
            let mut j = i;
            // `"key": ` — skip the key's closing quote.
            if j < bytes.len() && (bytes[j] == b'"' || bytes[j] == b'\'') {
                j += 1;
            }
            while j < bytes.len() && bytes[j] == b' ' {
                j += 1;
            }
            let sep = j < bytes.len() && (bytes[j] == b'=' || bytes[j] == b':');
            if !sep {
                continue;
            }
            // `scheme://` is a URL, not `key: value`.
            if bytes[j] == b':' && text[j..].starts_with("://") {
                continue;
            }
            j += 1;
            while j < bytes.len() && bytes[j] == b' ' {
                j += 1;
            }
            let is_vault = text[j..].starts_with("!vault");
            if !(is_vault || is_secret_name(key)) {
                continue;
            }
            let (vstart, vend) = value_span(text, j, is_vault);
            if vend > vstart {
                out.push_str(&text[copied..vstart]);
                out.push_str(MASK);
                copied = vend;
                changed = true;
                i = vend;
            }
            continue;
        }
        i += 1;
    }
    if !changed {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// The byte span of the value starting at `j`: a quoted string (to its
/// closing quote, backslash escapes honoured), a `!vault` block (to the end
/// of the text: its ciphertext follows on the next lines), or a bare word
/// (to whitespace, `,` or a closing bracket).
fn value_span(text: &str, j: usize, is_vault: bool) -> (usize, usize) {
    let bytes = text.as_bytes();
    if is_vault {
        return (j, text.len());
    }
    match bytes.get(j) {
        Some(&q) if q == b'"' || q == b'\'' => {
            let mut k = j + 1;
            while k < bytes.len() && bytes[k] != q {
                if bytes[k] == b'\\' {
                    k += 1;
                }
                k += 1;
            }
            let end = k.min(bytes.len());
            (j + 1, end)
        }
        Some(_) => {
            let end = text[j..]
                .find(|c: char| c.is_whitespace() || matches!(c, ',' | '}' | ']'))
                .map_or(text.len(), |e| j + e);
            (j, end)
        }
        None => (j, j),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_with_comma_and_paren_is_masked_whole() {
        let t = "registry http://robot:Pw,q)7zK4@registry.example:5000/v2 is insecure";
        let r = redact(t);
        assert_eq!(
            r,
            "registry http://***@registry.example:5000/v2 is insecure"
        );
    }

    #[test]
    fn last_at_of_the_authority_ends_the_userinfo() {
        assert_eq!(
            url_credentials("https://oauth2:to@ken@gitlab.example/k.git"),
            "https://***@gitlab.example/k.git"
        );
    }

    #[test]
    fn url_without_credentials_is_borrowed_unchanged() {
        let t = "see https://github.com/kubernetes-sigs/kubespray.git and a@b";
        assert!(matches!(redact(t), Cow::Borrowed(_)));
    }

    #[test]
    fn secret_key_values_in_source_lines_are_masked() {
        assert_eq!(
            redact("node1 ansible_become_password='s3 cr=t' foo=bar"),
            "node1 ansible_become_password='***' foo=bar"
        );
        assert_eq!(redact("api_token: abc123"), "api_token: ***");
        assert_eq!(
            redact(r#"{"bindPassword": "x\"y", "url": "ldap://h"}"#),
            r#"{"bindPassword": "***", "url": "ldap://h"}"#
        );
        assert_eq!(redact("pw: !vault | $ANSIBLE_VAULT;1.1"), "pw: ***");
    }

    #[test]
    fn secret_names_are_recognised() {
        for n in [
            "bindPassword",
            "ldap_bind_password",
            "ceph_admin_secret",
            "kube_token",
            "cephx_key",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
        assert!(!is_secret_name("etcd_quota_backend_bytes"));
    }

    #[test]
    fn json_strings_are_redacted_and_the_shape_kept() {
        let mut v = serde_json::json!({"secret": {"name": "ceph-x-secret"},
            "argv": ["git", "fetch", "https://oauth2:T0K@gitlab.example/k.git"]});
        redact_json(&mut v);
        assert_eq!(v["secret"]["name"], "ceph-x-secret");
        assert_eq!(v["argv"][2], "https://***@gitlab.example/k.git");
    }

    #[test]
    fn harmless_keys_stay() {
        assert_eq!(
            redact("kube_network_plugin: calico"),
            "kube_network_plugin: calico"
        );
        assert_eq!(redact("keepalived_vip=10.0.0.1"), "keepalived_vip=10.0.0.1");
    }

    use proptest::prelude::*;

    /// Every character RFC 3986 allows in userinfo.
    fn userinfo() -> impl Strategy<Value = String> {
        let chars: Vec<char> = "abcXYZ0189-._~!$&'()*+,;=:%".chars().collect();
        proptest::collection::vec(proptest::sample::select(chars), 4..24)
            .prop_map(|v| format!("u{}", v.into_iter().collect::<String>()))
    }

    proptest! {
        #[test]
        fn no_userinfo_survives_in_any_quoting(user in userinfo(), ctx in 0usize..6) {
            let url = format!("https://{user}@registry.example:5000/v2");
            let text = match ctx {
                0 => url.clone(),
                1 => format!("registry ({url}) is insecure"),
                2 => format!("`{url}`, and more"),
                3 => format!("{{'url': '{url}'}}"),
                4 => serde_json::to_string(&serde_json::json!({"u": url})).unwrap_or_default(),
                _ => format!("git fetch {url} v2.16.0"),
            };
            let out = redact(&text);
            prop_assert!(!out.contains(&user), "{} -> {}", text, out);
            prop_assert!(out.contains("@registry.example:5000"), "{}", out);
        }
    }
}
