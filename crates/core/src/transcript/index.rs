//! Reading a transcript without holding it: one pass over the file keeps a small record per line
//! (its uuid, parent, position and kind; no content), then the conversation is found by
//! following `parentUuid` back from its last message, as Claude Code does, and only the lines of
//! that chain are read again. Memory follows the live conversation, not the file.
//!
//! What Claude Code's reader does and this one does too: a line that is not JSON is skipped (a
//! torn last line with a warning), never the rest of the file; a later line with the same uuid
//! replaces the earlier; `progress` lines are looked through; a missing parent falls back to the
//! nearest earlier line within 5 s (so does one that would close a cycle); an explicit `last-prompt` (`/rewind`,
//! `/clear`) moves the end until the next message; the messages a compaction preserved are
//! linked in after its summary; results of parallel tool calls that sit on side branches (one
//! line per tool_use block) are brought back after their call.

use super::history::Snapshot;
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, SeqAccess, Visitor};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

/// How far back a line without its parent may attach to the previous one (Claude Code: 5 s).
const PARENT_FALLBACK_MS: i64 = 5_000;

/// A line's kind, for the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum LineKind {
    User,
    Assistant,
    Attachment,
    System,
}

const SIDECHAIN: u8 = 1;
const TOOL_RESULT: u8 = 2;

#[derive(Clone, Debug)]
pub(super) struct Entry {
    key: u128,
    /// 0: none.
    parent: u128,
    pub offset: u64,
    pub len: u32,
    ts: i64,
    /// A hash of an assistant line's `message.id` (0: none).
    msg: u64,
    pub kind: LineKind,
    flags: u8,
}

/// A uuid as 128 bits (any other string hashed to 128 bits, so odd ids still work).
fn key(s: &str) -> u128 {
    match uuid::Uuid::try_parse(s) {
        Ok(u) if u.as_u128() != 0 => u.as_u128(),
        _ => {
            let mut a: u64 = 0xcbf2_9ce4_8422_2325;
            let mut b: u64 = 0x8422_2325_cbf2_9ce4;
            for &c in s.as_bytes() {
                a = (a ^ c as u64).wrapping_mul(0x100_0000_01b3);
                b = (b ^ c as u64).wrapping_mul(0x100_0000_01b3).rotate_left(7);
            }
            ((a as u128) << 64 | b as u128) | 1
        }
    }
}

fn hash64(s: &str) -> u64 {
    (key(s) as u64) | 1
}

/// `2026-12-07T15:31:32.899Z` → milliseconds since the epoch.
pub(super) fn parse_iso_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        std::str::from_utf8(b.get(r)?).ok()?.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let ms = if b.get(19) == Some(&b'.') {
        num(20..23).unwrap_or(0)
    } else {
        0
    };
    // Days from civil (Howard Hinnant).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + h) * 60 + mi) * 60_000 + se * 1000 + ms)
}

/// A line as far as the chain needs it; content is skipped, not kept.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Head<'a> {
    #[serde(rename = "type", borrow)]
    ty: Option<Cow<'a, str>>,
    #[serde(borrow)]
    uuid: Option<Cow<'a, str>>,
    #[serde(borrow)]
    parent_uuid: Option<Cow<'a, str>>,
    is_sidechain: Option<bool>,
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow)]
    subtype: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "null_or")]
    leaf_uuid: Option<Option<Cow<'a, str>>>,
    explicit: Option<bool>,
    #[serde(borrow)]
    message: Option<MsgHead<'a>>,
    #[serde(borrow)]
    compact_metadata: Option<CompactHead<'a>>,
}

/// Tells `"leafUuid": null` from no `leafUuid`.
fn null_or<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<Cow<'de, str>>>, D::Error> {
    Ok(Some(Option::<Cow<'de, str>>::deserialize(d)?))
}

#[derive(Deserialize)]
struct MsgHead<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(default)]
    content: ContentHead,
}

/// Whether a message's content holds a tool result (the blocks themselves are skipped).
#[derive(Default)]
struct ContentHead {
    tool_result: bool,
}

impl<'de> Deserialize<'de> for ContentHead {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        #[derive(Deserialize)]
        struct BlockHead<'a> {
            #[serde(rename = "type", borrow)]
            ty: Option<Cow<'a, str>>,
        }
        impl<'de> Visitor<'de> for V {
            type Value = ContentHead;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("message content")
            }
            fn visit_str<E>(self, _: &str) -> Result<ContentHead, E> {
                Ok(ContentHead::default())
            }
            fn visit_unit<E>(self) -> Result<ContentHead, E> {
                Ok(ContentHead::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ContentHead, A::Error> {
                let mut out = ContentHead::default();
                while let Some(b) = seq.next_element::<Option<BlockHead<'de>>>()? {
                    if b.and_then(|b| b.ty).as_deref() == Some("tool_result") {
                        out.tool_result = true;
                    }
                }
                Ok(out)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<ContentHead, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(ContentHead::default())
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CompactHead<'a> {
    #[serde(borrow)]
    preserved_messages: Option<PreservedList<'a>>,
    #[serde(borrow)]
    preserved_segment: Option<PreservedSegment<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PreservedList<'a> {
    #[serde(borrow)]
    anchor_uuid: Cow<'a, str>,
    #[serde(borrow)]
    uuids: Vec<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PreservedSegment<'a> {
    #[serde(borrow)]
    head_uuid: Cow<'a, str>,
    #[serde(borrow)]
    anchor_uuid: Cow<'a, str>,
    #[serde(borrow)]
    tail_uuid: Cow<'a, str>,
}

/// What a compaction kept: a list, or a segment walked from its tail to its head.
enum Preserved {
    List {
        anchor: u128,
        keys: Vec<u128>,
    },
    Segment {
        head: u128,
        anchor: u128,
        tail: u128,
    },
}

/// The last compact boundary with preserved messages.
struct Boundary {
    offset: u64,
    preserved: Preserved,
}

/// One pass over a transcript.
pub(super) struct Index {
    pub entries: Vec<Entry>,
    by_key: HashMap<u128, u32>,
    /// The last main-chain message line (`user`, `assistant`, `attachment`, `system`).
    last_main: Option<u32>,
    /// An explicit `last-prompt` after it: `Some(None)` = cleared.
    explicit: Option<Option<u128>>,
    boundary: Option<Boundary>,
    /// `progress` lines: their uuid → their parent.
    redirect: HashMap<u128, u128>,
    pub snapshots: Vec<Snapshot>,
    /// Problems worth telling (bad lines).
    pub warnings: Vec<String>,
}

impl Index {
    pub fn read(path: &Path) -> std::io::Result<Index> {
        let file = open_regular(path)?;
        let mut r = BufReader::with_capacity(64 * 1024, file);
        let mut ix = Index {
            entries: Vec::new(),
            by_key: HashMap::new(),
            last_main: None,
            explicit: None,
            boundary: None,
            redirect: HashMap::new(),
            snapshots: Vec::new(),
            warnings: Vec::new(),
        };
        let mut buf = Vec::new();
        let mut offset = 0u64;
        let mut line_no = 0usize;
        let mut bad = 0usize;
        loop {
            buf.clear();
            let n = r.read_until(b'\n', &mut buf)?;
            if n == 0 {
                break;
            }
            line_no += 1;
            let complete = buf.last() == Some(&b'\n');
            let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if !line.iter().all(u8::is_ascii_whitespace) && !ix.add(line, offset) {
                if complete {
                    bad += 1;
                    if bad <= 3 {
                        ix.warnings.push(format!(
                            "{}: line {line_no} is not a valid transcript line; skipped",
                            path.display()
                        ));
                    }
                } else {
                    ix.warnings.push(format!(
                        "{}: the last line was cut off (the session ended while writing it); skipped",
                        path.display()
                    ));
                }
            }
            offset += n as u64;
            // One huge line must not keep a huge buffer.
            if buf.capacity() > 4 << 20 {
                buf = Vec::new();
            }
        }
        if bad > 3 {
            ix.warnings.push(format!(
                "{}: {} more invalid lines skipped",
                path.display(),
                bad - 3
            ));
        }
        Ok(ix)
    }

    /// Records one line; false when it is not a JSON object.
    fn add(&mut self, line: &[u8], offset: u64) -> bool {
        let Ok(h) = serde_json::from_slice::<Head>(line) else {
            return false;
        };
        let ty = h.ty.as_deref().unwrap_or("");
        match ty {
            "user" | "assistant" | "attachment" | "system" => {}
            "progress" => {
                if let Some(u) = h.uuid.as_deref() {
                    let p = h.parent_uuid.as_deref().map_or(0, key);
                    let p = self.redirect.get(&p).copied().unwrap_or(p);
                    self.redirect.insert(key(u), p);
                }
                return true;
            }
            "last-prompt" => {
                match (h.leaf_uuid, h.explicit == Some(true)) {
                    (Some(Some(leaf)), true) => self.explicit = Some(Some(key(&leaf))),
                    (Some(None), true) => self.explicit = Some(None),
                    _ => {}
                }
                return true;
            }
            "file-history-snapshot" => {
                if let Ok(v) = serde_json::from_slice::<serde_json::Value>(line)
                    && let Some(s) = Snapshot::from_line(&v)
                {
                    // An update replaces the prompt's snapshot.
                    match self
                        .snapshots
                        .iter_mut()
                        .find(|x| x.message_id == s.message_id)
                    {
                        Some(x) => *x = s,
                        None => self.snapshots.push(s),
                    }
                }
                return true;
            }
            _ => return true,
        }
        let Some(uuid) = h.uuid.as_deref() else {
            return true;
        };
        let kind = match ty {
            "user" => LineKind::User,
            "assistant" => LineKind::Assistant,
            "attachment" => LineKind::Attachment,
            _ => LineKind::System,
        };
        let k = key(uuid);
        let mut parent = h.parent_uuid.as_deref().map_or(0, key);
        if let Some(p) = self.redirect.get(&parent) {
            parent = *p;
        }
        let sidechain = h.is_sidechain == Some(true);
        let mut flags = if sidechain { SIDECHAIN } else { 0 };
        let mut msg = 0;
        if let Some(m) = &h.message {
            if m.content.tool_result && kind == LineKind::User {
                flags |= TOOL_RESULT;
            }
            if kind == LineKind::Assistant {
                msg = m.id.as_deref().map_or(0, hash64);
            }
        }
        if kind == LineKind::System
            && h.subtype.as_deref() == Some("compact_boundary")
            && !sidechain
            && let Some(p) = h.compact_metadata.and_then(|c| {
                if let Some(l) = c.preserved_messages {
                    Some(Preserved::List {
                        anchor: key(&l.anchor_uuid),
                        keys: l.uuids.iter().map(|u| key(u)).collect(),
                    })
                } else {
                    c.preserved_segment.map(|s| Preserved::Segment {
                        head: key(&s.head_uuid),
                        anchor: key(&s.anchor_uuid),
                        tail: key(&s.tail_uuid),
                    })
                }
            })
        {
            self.boundary = Some(Boundary {
                offset,
                preserved: p,
            });
        }
        let idx = self.entries.len() as u32;
        self.entries.push(Entry {
            key: k,
            parent,
            offset,
            len: line.len().min(u32::MAX as usize) as u32,
            ts: h
                .timestamp
                .as_deref()
                .and_then(parse_iso_ms)
                .unwrap_or(i64::MIN),
            msg,
            kind,
            flags,
        });
        self.by_key.insert(k, idx);
        if !sidechain {
            self.last_main = Some(idx);
            self.explicit = None;
        }
        true
    }

    fn get(&self, k: u128) -> Option<u32> {
        if k == 0 {
            return None;
        }
        self.by_key.get(&k).copied()
    }

    fn is_message(&self, i: u32) -> bool {
        matches!(
            self.entries[i as usize].kind,
            LineKind::User | LineKind::Assistant
        )
    }

    /// Up from `i` to the nearest user or assistant line.
    fn nearest_message(&self, mut i: u32) -> Option<u32> {
        let mut seen = HashSet::new();
        loop {
            if self.is_message(i) {
                return Some(i);
            }
            if !seen.insert(i) {
                return None;
            }
            i = self.get(self.entries[i as usize].parent)?;
        }
    }

    /// Applies what the last compaction preserved: those messages follow the summary (the
    /// anchor), and what followed the anchor follows them.
    fn relink(&mut self) {
        let Some(b) = self.boundary.take() else {
            return;
        };
        let (anchor, keys) = match b.preserved {
            Preserved::List { anchor, keys } => (anchor, keys),
            Preserved::Segment { head, anchor, tail } => {
                let mut keys = Vec::new();
                let mut seen = HashSet::new();
                let mut cur = self.get(tail);
                let mut found = false;
                while let Some(i) = cur {
                    if !seen.insert(i) {
                        break;
                    }
                    let e = &self.entries[i as usize];
                    keys.push(e.key);
                    if e.key == head {
                        found = true;
                        break;
                    }
                    cur = self.get(e.parent);
                }
                if !found {
                    return;
                }
                keys.reverse();
                (anchor, keys)
            }
        };
        let (Some(&first), Some(&last)) = (keys.first(), keys.last()) else {
            return;
        };
        if self.get(anchor).is_none() {
            return;
        }
        let kept: HashSet<u128> = keys.iter().copied().collect();
        let mut prev = anchor;
        for k in &keys {
            if let Some(i) = self.get(*k) {
                self.entries[i as usize].parent = prev;
                prev = *k;
            }
        }
        // Lines from before the boundary that were not kept are gone; what pointed at them
        // (or at the anchor) continues after the preserved messages.
        let gone: HashSet<u128> = self
            .entries
            .iter()
            .filter(|e| e.offset < b.offset && !kept.contains(&e.key))
            .map(|e| e.key)
            .collect();
        for e in &mut self.entries {
            if e.offset < b.offset || kept.contains(&e.key) {
                continue;
            }
            if (e.parent == anchor && e.key != first)
                || (matches!(e.kind, LineKind::User | LineKind::Assistant)
                    && gone.contains(&e.parent))
            {
                e.parent = last;
            }
        }
    }

    /// The lines of the conversation, oldest first (indexes into `entries`).
    pub fn chain(&mut self) -> Vec<u32> {
        let leaf = match self.explicit {
            Some(None) => return Vec::new(),
            Some(Some(k)) => self
                .get(k)
                .filter(|i| self.entries[*i as usize].flags & SIDECHAIN == 0)
                .or(self.last_main),
            None => self.last_main,
        };
        let Some(leaf) = leaf.and_then(|l| self.nearest_message(l)) else {
            return Vec::new();
        };
        self.relink();
        let mut chain = Vec::new();
        let mut seen = HashSet::new();
        let mut cur = Some(leaf);
        // A parent already in the chain (a cycle) is treated as missing: the walk can only go
        // to lines not seen yet, so it ends.
        while let Some(i) = cur {
            seen.insert(i);
            chain.push(i);
            let e = &self.entries[i as usize];
            if e.parent == 0 {
                break;
            }
            cur = match self.get(e.parent) {
                Some(p) if !seen.contains(&p) => Some(p),
                _ => self.nearest_before(i, &seen),
            };
        }
        chain.reverse();
        self.recover_parallel_results(chain, &mut seen)
    }

    /// The line written just before `i` (within 5 s, same side of the chain): where a line
    /// whose parent is missing attaches.
    fn nearest_before(&self, i: u32, seen: &HashSet<u32>) -> Option<u32> {
        let e = &self.entries[i as usize];
        if e.ts == i64::MIN {
            return None;
        }
        let mut best: Option<(i64, u32)> = None;
        for (j, o) in self.entries.iter().enumerate() {
            let j = j as u32;
            if seen.contains(&j) || (o.flags & SIDECHAIN) != (e.flags & SIDECHAIN) {
                continue;
            }
            let gap = e.ts - o.ts;
            if o.ts != i64::MIN
                && (0..=PARENT_FALLBACK_MS).contains(&gap)
                && best.is_none_or(|(g, _)| gap < g)
            {
                best = Some((gap, j));
            }
        }
        best.map(|(_, j)| j)
    }

    /// Claude Code writes one line per content block and chains parallel tool results to their
    /// own tool_use lines, so some sit beside the chain: put the blocks of each assistant
    /// message and their results back after the message's last line in the chain.
    fn recover_parallel_results(&self, chain: Vec<u32>, seen: &mut HashSet<u32>) -> Vec<u32> {
        let ids: HashSet<u64> = chain
            .iter()
            .map(|&i| self.entries[i as usize].msg)
            .filter(|m| *m != 0)
            .collect();
        if ids.is_empty() {
            return chain;
        }
        let mut lines_of: HashMap<u64, Vec<u32>> = HashMap::new();
        let mut results_of: HashMap<u128, Vec<u32>> = HashMap::new();
        for (j, e) in self.entries.iter().enumerate() {
            if e.kind == LineKind::Assistant && ids.contains(&e.msg) {
                lines_of.entry(e.msg).or_default().push(j as u32);
            } else if e.flags & TOOL_RESULT != 0 && e.parent != 0 {
                results_of.entry(e.parent).or_default().push(j as u32);
            }
        }
        // The last line of each message in the chain.
        let mut last_of: HashMap<u64, u32> = HashMap::new();
        for &i in &chain {
            let m = self.entries[i as usize].msg;
            if m != 0 {
                last_of.insert(m, i);
            }
        }
        let mut extra: HashMap<u32, Vec<u32>> = HashMap::new();
        for (m, at) in &last_of {
            let lines = lines_of.get(m).map(Vec::as_slice).unwrap_or(&[]);
            let mut blocks: Vec<u32> = lines
                .iter()
                .copied()
                .filter(|j| !seen.contains(j))
                .collect();
            let mut results: Vec<u32> = lines
                .iter()
                .flat_map(|j| {
                    results_of
                        .get(&self.entries[*j as usize].key)
                        .into_iter()
                        .flatten()
                })
                .copied()
                .filter(|j| !seen.contains(j))
                .collect();
            if blocks.is_empty() && results.is_empty() {
                continue;
            }
            blocks.sort_by_key(|j| (self.entries[*j as usize].ts, *j));
            results.sort_by_key(|j| (self.entries[*j as usize].ts, *j));
            results.dedup();
            blocks.extend(results);
            seen.extend(blocks.iter().copied());
            extra.insert(*at, blocks);
        }
        if extra.is_empty() {
            return chain;
        }
        let mut out = Vec::with_capacity(chain.len());
        for i in chain {
            out.push(i);
            if let Some(more) = extra.remove(&i) {
                out.extend(more);
            }
        }
        out
    }
}

/// Opens a transcript for reading: a regular file (a FIFO or device is refused, and opening
/// one does not block).
pub(super) fn open_regular(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse() {
        assert_eq!(parse_iso_ms("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(
            parse_iso_ms("2026-11-28T01:28:11.406Z"),
            Some(1_795_829_291_406)
        );
        assert_eq!(parse_iso_ms("2000-02-29T00:00:00Z"), Some(951_782_400_000));
        assert_eq!(parse_iso_ms("nope"), None);
    }

    #[test]
    fn keys_of_uuids_and_other_strings_differ() {
        let a = key("0a7ddc96-4906-4e3a-8f65-d8054f845fb7");
        assert_eq!(a, 0x0a7ddc96_4906_4e3a_8f65_d8054f845fb7);
        assert_ne!(key("x"), key("y"));
        assert_ne!(key("x"), 0);
    }
}
