//! The composer: `saphyr-parser` events → a graph of raw (untyped) nodes,
//! aliases sharing their anchor's node as in PyYAML, with libyaml's tab
//! rules reproduced on top of saphyr (see [`compose`]).

use crate::error::{InventoryError, Result};
use saphyr_parser::{Event, Parser, ScalarStyle};
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;
// ---------------------------------------------------------------------------
// Composition: saphyr events → node graph (aliases share nodes, as in PyYAML)
// ---------------------------------------------------------------------------

#[derive(Debug)]
pub(super) struct Raw {
    pub(super) line: u32,
    pub(super) col: u32,
    /// Full tag (`tag:yaml.org,2002:int`, `!unsafe`, `!`), when explicit.
    pub(super) tag: Option<String>,
    pub(super) kind: RawKind,
}

#[derive(Debug)]
pub(super) enum RawKind {
    Scalar { value: String, plain: bool },
    Seq(Vec<Rc<Raw>>),
    Map(Vec<(Rc<Raw>, Rc<Raw>)>),
}

enum Frame {
    Seq {
        line: u32,
        col: u32,
        tag: Option<String>,
        anchor: usize,
        items: Vec<Rc<Raw>>,
    },
    Map {
        line: u32,
        col: u32,
        tag: Option<String>,
        anchor: usize,
        pairs: Vec<(Rc<Raw>, Rc<Raw>)>,
        key: Option<Rc<Raw>>,
    },
}

/// The deepest nesting of collections composed (or constructed, aliases
/// expanded): the constructor, the resolver and the exports recurse on
/// depth, so a deeper file is refused at its line instead of overflowing
/// the stack. ansible-inventory itself fails at about 200 levels
/// (`RecursionError` while encoding its output).
pub(super) const MAX_DEPTH: usize = kubemagic_fs::limits::MAX_NESTING;
/// Nodes constructed per document, after alias expansion ("billion laughs").
pub(super) const NODE_BUDGET: usize = 2_000_000;

/// Where scalars and flow collections lie, for the libyaml tab rules.
#[derive(Default)]
struct Layout {
    /// (first line, last line, style, first char index, end char index)
    scalars: Vec<(usize, usize, ScalarStyle, usize, usize)>,
    /// (opening line, closing line) of flow collections.
    flows: Vec<(usize, usize)>,
    open: Vec<Option<usize>>,
}

/// libyaml and saphyr disagree on tabs: libyaml accepts a tab as the
/// separator after an indicator (`key:<TAB>value`), which saphyr rejects,
/// and rejects a tab in the leading whitespace of a block-context line,
/// which saphyr accepts. Both are reproduced here: on a saphyr error the
/// text is retried with such separator tabs turned into spaces (accepted
/// only if none of them lands inside a quoted or block scalar), and a
/// parsed text is checked for leading tabs. Only runs when the text has tabs.
pub(super) fn compose(text: &str, path: &Path) -> Result<Option<Rc<Raw>>> {
    if !text.contains('\t') {
        return compose_inner(text, path, None);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut layout = Layout::default();
    match compose_inner(text, path, Some((&chars, &mut layout))) {
        Ok(root) => {
            check_leading_tabs(text, path, &layout)?;
            Ok(root)
        }
        Err(first) => {
            let (relaxed, changed) = relax_separator_tabs(text);
            if changed.is_empty() {
                return Err(first);
            }
            let rchars: Vec<char> = relaxed.chars().collect();
            let mut rl = Layout::default();
            match compose_inner(&relaxed, path, Some((&rchars, &mut rl))) {
                Ok(root) => {
                    let inside = rl.scalars.iter().any(|&(_, _, style, a, b)| {
                        style != ScalarStyle::Plain && changed.iter().any(|&i| i >= a && i < b)
                    });
                    if inside {
                        return Err(first);
                    }
                    check_leading_tabs(&relaxed, path, &rl)?;
                    Ok(root)
                }
                Err(_) => Err(first),
            }
        }
    }
}

/// Tabs in the whitespace right after `:`, `- ` or `? ` on a line that goes
/// on with content become spaces; returns the char indices changed.
fn relax_separator_tabs(text: &str) -> (String, Vec<usize>) {
    let chars: Vec<char> = text.chars().collect();
    let mut out = chars.clone();
    let mut changed = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let indicator = c == ':'
            || ((c == '-' || c == '?') && {
                let mut j = i;
                while j > 0 && chars[j - 1] == ' ' {
                    j -= 1;
                }
                j == 0 || chars[j - 1] == '\n' || chars[j - 1] == '-'
            });
        if indicator && chars.get(i + 1) == Some(&'\t') {
            let mut j = i + 1;
            while j < chars.len() && (chars[j] == ' ' || chars[j] == '\t') {
                j += 1;
            }
            if j < chars.len() && chars[j] != '\n' && chars[j] != '\r' {
                for (k, ch) in out.iter_mut().enumerate().take(j).skip(i + 1) {
                    if *ch == '\t' {
                        *ch = ' ';
                        changed.push(k);
                    }
                }
            }
            i = j;
            continue;
        }
        i += 1;
    }
    (out.into_iter().collect(), changed)
}

/// libyaml: in block context a tab may not appear in the leading
/// whitespace of a line ("found character that cannot start any token"),
/// nor before a block scalar's indentation ("found a tab character where an
/// indentation space is expected"). Quoted scalars and flow collections may
/// hold such tabs.
fn check_leading_tabs(text: &str, path: &Path, layout: &Layout) -> Result<()> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut state: Vec<u8> = vec![0; lines.len() + 2]; // 0 block, 1 skip, 2 block scalar, 3 plain continuation
    let mut block_indent: HashMap<usize, usize> = HashMap::new();
    for &(a, b) in &layout.flows {
        let end = b.min(lines.len());
        if a < end {
            state[a + 1..=end].iter_mut().for_each(|s| *s = 1);
        }
    }
    for &(a, b, style, _, _) in &layout.scalars {
        if b <= a {
            continue;
        }
        let kind = match style {
            ScalarStyle::Plain => 3,
            ScalarStyle::Literal | ScalarStyle::Folded => 2,
            _ => 1,
        };
        let mut indent = None;
        let end = b.min(lines.len());
        for (l, st) in state.iter_mut().enumerate().take(end + 1).skip(a + 1) {
            if *st == 1 {
                continue;
            }
            *st = kind;
            if kind == 2 {
                let line = lines.get(l - 1).copied().unwrap_or("");
                let spaces = line.len() - line.trim_start_matches(' ').len();
                if indent.is_none()
                    && !line
                        .trim_start_matches(' ')
                        .trim_end_matches('\r')
                        .is_empty()
                {
                    indent = Some(spaces.max(1));
                }
                block_indent.insert(l, indent.unwrap_or(usize::MAX));
            }
        }
    }
    for (i, line) in lines.iter().enumerate() {
        let l = i + 1;
        let spaces = line.len() - line.trim_start_matches(' ').len();
        if !line[spaces..].starts_with('\t') {
            continue;
        }
        let bad = match state[l] {
            1 => false,
            2 => spaces < block_indent.get(&l).copied().unwrap_or(usize::MAX),
            3 => spaces == 0,
            _ => true,
        };
        if bad {
            return Err(InventoryError::parse(
                path,
                Some(l as u32),
                "found a tab character in the indentation (YAML forbids tabs there; use spaces)",
            ));
        }
    }
    Ok(())
}

fn compose_inner(
    text: &str,
    path: &Path,
    mut layout: Option<(&[char], &mut Layout)>,
) -> Result<Option<Rc<Raw>>> {
    let perr =
        |line: usize, msg: String| InventoryError::parse(path, Some(line.max(1) as u32), msg);
    let mut anchors: HashMap<usize, Rc<Raw>> = HashMap::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Rc<Raw>> = None;
    let mut documents = 0usize;
    let tag_string = |t: &Option<std::borrow::Cow<'_, saphyr_parser::Tag>>| {
        t.as_ref().map(|t| format!("{}{}", t.handle, t.suffix))
    };
    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|e| {
            let m = e.marker();
            InventoryError::parse_at(
                path,
                m.line().max(1) as u32,
                m.col() as u32 + 1,
                e.info().to_string(),
            )
        })?;
        let line = span.start.line().max(1) as u32;
        let col = span.start.col() as u32 + 1;
        let is_map = matches!(event, Event::MappingStart(..));
        let finished: Option<(Rc<Raw>, usize)> = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => None,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(perr(
                        span.start.line(),
                        "expected a single document in the stream, but found another document"
                            .to_string(),
                    ));
                }
                None
            }
            Event::Alias(id) => match anchors.get(&id) {
                Some(n) => Some((n.clone(), 0)),
                None => {
                    return Err(perr(
                        span.start.line(),
                        "found undefined or recursive alias".to_string(),
                    ))
                }
            },
            Event::Scalar(value, style, anchor, tag) => {
                if let Some((_, lay)) = layout.as_mut() {
                    lay.scalars.push((
                        span.start.line(),
                        span.end.line(),
                        style,
                        span.start.index(),
                        span.end.index(),
                    ));
                }
                let raw = Raw {
                    line,
                    col,
                    tag: tag_string(&tag),
                    kind: RawKind::Scalar {
                        value: value.into_owned(),
                        plain: style == ScalarStyle::Plain,
                    },
                };
                Some((Rc::new(raw), anchor))
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) => {
                if let Some((chars, lay)) = layout.as_mut() {
                    let flow = matches!(chars.get(span.start.index()), Some('[' | '{'));
                    lay.open.push(flow.then(|| span.start.line()));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(perr(
                        span.start.line(),
                        format!("nested more than {MAX_DEPTH} levels deep (ansible-inventory fails on deep nesting too)"),
                    ));
                }
                let tag = tag_string(&tag);
                stack.push(if is_map {
                    Frame::Map {
                        line,
                        col,
                        tag,
                        anchor,
                        pairs: Vec::new(),
                        key: None,
                    }
                } else {
                    Frame::Seq {
                        line,
                        col,
                        tag,
                        anchor,
                        items: Vec::new(),
                    }
                });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((_, lay)) = layout.as_mut() {
                    if let Some(Some(open)) = lay.open.pop() {
                        lay.flows
                            .push((open, span.end.line().max(span.start.line())));
                    }
                }
                match stack.pop() {
                    Some(Frame::Seq {
                        line,
                        col,
                        tag,
                        anchor,
                        items,
                    }) => Some((
                        Rc::new(Raw {
                            line,
                            col,
                            tag,
                            kind: RawKind::Seq(items),
                        }),
                        anchor,
                    )),
                    Some(Frame::Map {
                        line,
                        col,
                        tag,
                        anchor,
                        pairs,
                        ..
                    }) => Some((
                        Rc::new(Raw {
                            line,
                            col,
                            tag,
                            kind: RawKind::Map(pairs),
                        }),
                        anchor,
                    )),
                    None => {
                        return Err(perr(
                            span.start.line(),
                            "unbalanced collection end".to_string(),
                        ))
                    }
                }
            }
        };
        if let Some((node, anchor)) = finished {
            if anchor != 0 {
                anchors.insert(anchor, node.clone());
            }
            match stack.last_mut() {
                Some(Frame::Seq { items, .. }) => items.push(node),
                Some(Frame::Map { pairs, key, .. }) => match key.take() {
                    Some(k) => pairs.push((k, node)),
                    None => *key = Some(node),
                },
                None => root = Some(node),
            }
        }
    }
    Ok(root)
}
