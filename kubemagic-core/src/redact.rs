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
    let urls = match authority_credentials(&urls) {
        Cow::Borrowed(_) => urls,
        Cow::Owned(s) => Cow::Owned(s),
    };
    match secret_values(&urls) {
        Cow::Borrowed(_) => urls,
        Cow::Owned(s) => Cow::Owned(s),
    }
}

/// Masks `user:password@host` written without a scheme (a Ceph
/// `monitor_address` typed `u:pw@10.0.0.1`, an etcd endpoint without
/// `http://`): a word holding `:` before its `@` is a userinfo, as in a URL's
/// authority. `user@host` (no password) and `git@host:path` (the `:` after
/// the `@`) stay as they are.
pub fn authority_credentials(text: &str) -> Cow<'_, str> {
    if !text.contains('@') || !text.contains(':') {
        return Cow::Borrowed(text);
    }
    let bounds =
        |c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '(' | '[' | '<' | ',' | '=');
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut copied = 0;
    let mut start = 0;
    for (end, c) in text
        .char_indices()
        .filter(|&(_, c)| bounds(c))
        .chain(std::iter::once((text.len(), ' ')))
    {
        let word = &text[start..end];
        let word_start = start;
        start = end + c.len_utf8();
        // The userinfo runs to the word's last `@`, as in a URL.
        let Some(at) = word.rfind('@') else { continue };
        let info = &word[..at];
        let host_follows = word[at + 1..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '[');
        // `scheme://` was handled by url_credentials; `***` is masked already.
        let colon = info.find(':').unwrap_or(0);
        if host_follows && colon > 0 && !info.contains("//") && info != MASK {
            out.push_str(&text[copied..word_start]);
            out.push_str(MASK);
            copied = word_start + at;
            changed = true;
        }
    }
    if !changed {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
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
    // etcd's initial cluster token only keeps two clusters' ids apart (etcd
    // derives member and cluster ids from it); it grants nothing, and an
    // operator restoring a cluster must read it on every member.
    if n.ends_with("initial_cluster_token") || n.ends_with("initial-cluster-token") {
        return false;
    }
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
            // `ceph.client.admin.keyring:3:` is a file and its line, not a
            // `keyring: value`: a name ending a path, followed by a number.
            if start > 0 && matches!(bytes[start - 1], b'.' | b'/') && is_line_number(&text[i..]) {
                continue;
            }
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

/// Whether `rest` starts `:LINE:` or `:LINE` then the end or a blank: the
/// line number after a file name.
fn is_line_number(rest: &str) -> bool {
    let Some(r) = rest.strip_prefix(':') else {
        return false;
    };
    let digits = r.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0
        && r[digits..]
            .chars()
            .next()
            .is_none_or(|c| c == ':' || c.is_whitespace())
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

/// The one redaction with what a caller knows beyond the patterns of
/// [`redact`]: the secrets it was handed (an etcd endpoint's password, a
/// keyring's key). Patterns cannot find a password that RFC 3986 would not
/// allow in a URL (one holding `/`, `#` or a space, as a user may type it),
/// but the code that parsed the URL knows the exact string, so it registers
/// it here and every occurrence is masked, whatever surrounds it.
///
/// `Redactor::default()` knows no secret and masks exactly what [`redact`]
/// masks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Redactor {
    /// Known secrets, longest first so a secret holding another is masked
    /// whole.
    known: Vec<String>,
}

/// Secrets shorter than this are not registered: masking every `a` of a
/// report would hide the report and protect nothing a guess would not find.
pub const MIN_KNOWN_SECRET: usize = 3;

impl Redactor {
    /// A redactor that masks the patterns of [`redact`] only.
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// Adds secrets to mask wherever they appear (also percent-decoded and
    /// JSON-escaped forms). Empty and very short ones are ignored (see
    /// [`MIN_KNOWN_SECRET`]).
    pub fn with_secrets<I, S>(mut self, secrets: I) -> Redactor
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for s in secrets {
            self.add_secret(s.as_ref());
        }
        self
    }

    /// Adds one secret (see [`Redactor::with_secrets`]).
    pub fn add_secret(&mut self, secret: &str) {
        let mut forms = vec![secret.to_string()];
        let decoded = percent_decode(secret);
        if decoded != secret {
            forms.push(decoded);
        }
        if let Ok(json) = serde_json::to_string(secret) {
            let inner = &json[1..json.len() - 1];
            if inner != secret {
                forms.push(inner.to_string());
            }
        }
        for f in forms {
            if f.chars().count() >= MIN_KNOWN_SECRET && !self.known.contains(&f) {
                self.known.push(f);
            }
        }
        self.known.sort_by_key(|k| std::cmp::Reverse(k.len()));
    }

    /// Adds the userinfo (user and password) of every URL in `urls`, as
    /// typed: the form endpoints come in from flags, environment variables
    /// and env files. Split at the *last* `@` before the path, as a user who
    /// typed `/` or `#` in a password meant it.
    pub fn with_url_credentials<I, S>(mut self, urls: I) -> Redactor
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for u in urls {
            for part in u.as_ref().split(',') {
                if let Some(info) = typed_userinfo(part.trim()) {
                    self.add_secret(info);
                    if let Some((_, pw)) = info.split_once(':') {
                        self.add_secret(pw);
                    }
                }
            }
        }
        self
    }

    /// Whether this redactor knows any secret beyond the patterns.
    pub fn knows_secrets(&self) -> bool {
        !self.known.is_empty()
    }

    /// Masks the known secrets, then everything [`redact`] masks.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut owned: Option<String> = None;
        for k in &self.known {
            let cur = owned.as_deref().unwrap_or(text);
            if cur.contains(k.as_str()) {
                owned = Some(cur.replace(k.as_str(), MASK));
            }
        }
        match owned {
            None => redact(text),
            Some(s) => Cow::Owned(redact(&s).into_owned()),
        }
    }

    /// What [`Redactor::redact`] masks except the values of secret-looking
    /// keys: the known secrets and every userinfo. For a document kubemagic
    /// serialised itself (a YAML manifest, kubespray vars), whose keys are
    /// its schema (`provisioner-secret-name: csi-rbd-provisioner` names a
    /// Secret, it holds none) and whose string values were redacted before
    /// they were serialised.
    pub fn redact_document<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut owned: Option<String> = None;
        for k in &self.known {
            let cur = owned.as_deref().unwrap_or(text);
            if cur.contains(k.as_str()) {
                owned = Some(cur.replace(k.as_str(), MASK));
            }
        }
        let cur = owned.as_deref().unwrap_or(text);
        let urls = url_credentials(cur).into_owned();
        let done = authority_credentials(&urls).into_owned();
        if done == text {
            Cow::Borrowed(text)
        } else {
            Cow::Owned(done)
        }
    }

    /// [`Redactor::redact`] applied to every string of a JSON document,
    /// keys included where a known secret appears in one: reports stay
    /// valid JSON with their shape unchanged.
    pub fn redact_json(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(s) => {
                if let Cow::Owned(r) = self.redact(s) {
                    *s = r;
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| self.redact_json(v)),
            serde_json::Value::Object(map) => {
                let leaks = map.keys().any(|k| matches!(self.redact(k), Cow::Owned(_)));
                if leaks {
                    let old = std::mem::take(map);
                    for (k, v) in old {
                        map.insert(self.redact(&k).into_owned(), v);
                    }
                }
                map.values_mut().for_each(|v| self.redact_json(v));
            }
            _ => {}
        }
    }

    /// [`Redactor::redact`] over a command's arguments, one by one (see
    /// [`redact_argv`]).
    pub fn redact_argv(&self, argv: &[String]) -> Vec<String> {
        argv.iter().map(|a| self.redact(a).into_owned()).collect()
    }
}

/// The userinfo of a URL as a user typed it (one argument, one URL): from
/// `://` to the last `@`, whatever stands between, so a password holding
/// `/`, `#` or a space (`http://u:p/w #x@h:1`) is taken whole. Masking a
/// little too much is safe; missing part of a password is not.
fn typed_userinfo(url: &str) -> Option<&str> {
    let rest = &url[url.find("://")? + 3..];
    let at = rest.rfind('@')?;
    (at > 0).then(|| &rest[..at])
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The one redacting writer every report is printed through.
///
/// Report writers in the library crates take a `&mut RedactingWriter<W>`,
/// never a bare `io::Write`, so a report cannot reach a terminal, a file or a
/// Python string without passing through [`Redactor::redact`]: the guarantee
/// is in the type, not in each caller's care.
///
/// Text is redacted a line at a time (a URL or a `key: value` never spans
/// lines), so output streams: each complete line is written as soon as it
/// is. What is left of an unfinished line is written by [`flush`],
/// [`RedactingWriter::finish`] or, best effort, on drop.
///
/// [`flush`]: std::io::Write::flush
#[derive(Debug)]
pub struct RedactingWriter<W: std::io::Write> {
    /// `None` only after [`RedactingWriter::finish`] took it.
    inner: Option<W>,
    redactor: Redactor,
    pending: Vec<u8>,
}

impl<W: std::io::Write> RedactingWriter<W> {
    /// Wraps `inner`; everything written is masked by `redactor`.
    pub fn new(inner: W, redactor: Redactor) -> RedactingWriter<W> {
        RedactingWriter {
            inner: Some(inner),
            redactor,
            pending: Vec::new(),
        }
    }

    /// The redactor, for a writer that must redact a value before it shapes
    /// it (a JSON document: see [`RedactingWriter::write_json`]).
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Writes a JSON document (pretty, newline-terminated), every string
    /// redacted first so the document stays valid JSON.
    pub fn write_json<T: serde::Serialize>(&mut self, value: &T) -> std::io::Result<()> {
        let mut v = serde_json::to_value(value).map_err(std::io::Error::other)?;
        self.redactor.redact_json(&mut v);
        let text = serde_json::to_string_pretty(&v).map_err(std::io::Error::other)?;
        self.write_redacted(text.as_bytes())?;
        self.write_redacted(b"\n")
    }

    /// Writes a document kubemagic serialised (a YAML stream of manifests
    /// or vars) through [`Redactor::redact_document`]: known secrets and
    /// userinfo are masked, the document's keys are left alone. Its string
    /// values must have been through [`Redactor::redact_json`] first.
    pub fn write_document(&mut self, text: &str) -> std::io::Result<()> {
        let masked = self.redactor.redact_document(text).into_owned();
        self.write_redacted(masked.as_bytes())
    }

    /// Writes bytes already redacted by [`Redactor::redact_json`] (a JSON
    /// document's own escaping must not be re-masked mid-string): flushes
    /// what is pending first, so the order of the output is kept.
    fn write_redacted(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.flush_pending()?;
        self.inner()?.write_all(bytes)
    }

    fn inner(&mut self) -> std::io::Result<&mut W> {
        self.inner
            .as_mut()
            .ok_or_else(|| std::io::Error::other("redacting writer already finished"))
    }

    /// Flushes what is pending and returns the inner writer (a `Vec<u8>`
    /// for Python, which returns the same text the CLI prints).
    pub fn finish(mut self) -> std::io::Result<W> {
        std::io::Write::flush(&mut self)?;
        self.inner
            .take()
            .ok_or_else(|| std::io::Error::other("redacting writer already finished"))
    }

    fn write_line(&mut self, line: &[u8]) -> std::io::Result<()> {
        let text = String::from_utf8_lossy(line);
        let masked = self.redactor.redact(&text).into_owned();
        self.inner()?.write_all(masked.as_bytes())
    }

    fn flush_pending(&mut self) -> std::io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        self.write_line(&pending)
    }
}

impl<W: std::io::Write> std::io::Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut rest = buf;
        while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
            let (line, tail) = rest.split_at(nl + 1);
            if self.pending.is_empty() {
                self.write_line(line)?;
            } else {
                let mut whole = std::mem::take(&mut self.pending);
                whole.extend_from_slice(line);
                self.write_line(&whole)?;
            }
            rest = tail;
        }
        self.pending.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.flush_pending()?;
        self.inner()?.flush()
    }
}

impl<W: std::io::Write> Drop for RedactingWriter<W> {
    /// Best effort: an unfinished last line still appears, redacted, when a
    /// writer is dropped without a flush (errors, such as a closed pipe,
    /// have nowhere to go).
    fn drop(&mut self) {
        if self.inner.is_some() {
            let _ = std::io::Write::flush(self);
        }
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
    fn etcds_initial_cluster_token_is_an_identifier_not_a_secret() {
        assert!(!is_secret_name("ETCD_INITIAL_CLUSTER_TOKEN"));
        assert!(!is_secret_name("initial_cluster_token"));
        assert!(is_secret_name("ETCD_TOKEN"));
        assert_eq!(
            redact("ETCD_INITIAL_CLUSTER_TOKEN=k8s_etcd"),
            "ETCD_INITIAL_CLUSTER_TOKEN=k8s_etcd"
        );
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

    #[test]
    fn userinfo_without_a_scheme_is_masked() {
        assert_eq!(
            redact(r#"monitor_address "u:pw@10.0.0.1" of mon1 is not an IP address"#),
            r#"monitor_address "***@10.0.0.1" of mon1 is not an IP address"#
        );
        assert_eq!(
            redact("endpoint u:p@ss@h:2379 down"),
            "endpoint ***@h:2379 down"
        );
        for same in [
            "git@github.com:org/repo.git",
            "mail root@example.org at 10:00",
            "https://***@registry.example/v2",
        ] {
            assert_eq!(redact(same), same);
        }
    }

    #[test]
    fn a_document_keeps_its_keys_and_loses_its_secrets() {
        use std::io::Write;
        let r = Redactor::new().with_secrets(["AQDadminKEY=="]);
        let mut w = RedactingWriter::new(Vec::new(), r);
        w.write_all(b"head\n").unwrap();
        w.write_document(
            "provisioner-secret-name: csi-rbd\nmonitors: u:pw@10.0.0.1\nk: AQDadminKEY==\n",
        )
        .unwrap();
        let out = String::from_utf8(w.finish().unwrap()).unwrap();
        assert_eq!(
            out,
            "head\nprovisioner-secret-name: csi-rbd\nmonitors: ***@10.0.0.1\nk: ***\n"
        );
    }

    #[test]
    fn a_keyring_file_keeps_its_line_number() {
        assert_eq!(
            redact("/tmp/k3.keyring:2: unterminated section header"),
            "/tmp/k3.keyring:2: unterminated section header"
        );
        assert_eq!(redact("tls.key:12"), "tls.key:12");
        assert_eq!(redact("keyring: AQDz6AVr"), "keyring: ***");
        assert_eq!(redact("cfg.password:hunter2"), "cfg.password:***");
    }

    #[test]
    fn known_secret_with_slash_hash_and_space_is_masked_everywhere() {
        let r = Redactor::new().with_url_credentials(["http://user:p/w #x@127.0.0.1:2379"]);
        let text = "endpoint http://user:p/w #x@127.0.0.1:2379 failed: p/w #x";
        let out = r.redact(text);
        assert!(!out.contains("p/w #x"), "{out}");
        assert!(out.contains("127.0.0.1:2379"), "{out}");
    }

    #[test]
    fn redacting_writer_masks_lines_split_across_writes() {
        use std::io::Write;
        let r = Redactor::new().with_secrets(["hunter22"]);
        let mut w = RedactingWriter::new(Vec::new(), r);
        w.write_all(b"member m1 http://u:hun").unwrap();
        w.write_all(b"ter22@127.0.0.1:1 ok\nsecond line hunter22\nno newline hunter")
            .unwrap();
        w.write_all(b"22").unwrap();
        let out = String::from_utf8(w.finish().unwrap()).unwrap();
        assert!(!out.contains("hunter22"), "{out}");
        assert_eq!(out.lines().count(), 3, "{out}");
    }

    #[test]
    fn redacting_writer_keeps_json_valid() {
        let r = Redactor::new().with_secrets([r#"pa"ss\w"#]);
        let mut w = RedactingWriter::new(Vec::new(), r);
        w.write_json(&serde_json::json!({"endpoint": "http://u:pa\"ss\\w@h:1", "k": "pa\"ss\\w"}))
            .unwrap();
        let out = String::from_utf8(w.finish().unwrap()).unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert!(!out.contains("ss\\\\w"), "{out}");
        assert_eq!(v["k"], "***");
    }
}
