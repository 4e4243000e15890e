//! Tables: data tables as markdown pipe tables, one-column (layout) tables as paragraphs,
//! tables nested in a cell as plain lines.

use super::convert::{Converter, Kind, attr};
use super::writer::Writer;

#[derive(Default)]
pub(super) struct Table {
    pub(super) rows: Vec<Vec<String>>,
    pub(super) row: Option<Vec<String>>,
    /// The writer outside the open cell.
    pub(super) saved: Option<Writer>,
    colspan: usize,
    caption: Option<String>,
}

impl Converter {
    /// The innermost table-ish frame, ignoring inline elements in between.
    pub(super) fn nearest_table_kind(&self) -> Option<(usize, &Kind)> {
        self.frames.iter().enumerate().rev().find_map(|(i, f)| {
            matches!(
                f.kind,
                Kind::Table
                    | Kind::Row
                    | Kind::Cell
                    | Kind::FlatTable
                    | Kind::FlatRow
                    | Kind::FlatCell
            )
            .then_some((i, &f.kind))
        })
    }

    pub(super) fn open_table(&mut self) -> Kind {
        let in_cell = matches!(
            self.nearest_table_kind(),
            Some((
                _,
                Kind::Cell | Kind::FlatCell | Kind::FlatTable | Kind::FlatRow
            ))
        );
        if in_cell {
            self.w.line_break();
            return Kind::FlatTable;
        }
        self.w.block(2);
        self.tables.push(Table::default());
        Kind::Table
    }

    pub(super) fn open_row(&mut self) -> Kind {
        match self.nearest_table_kind() {
            Some((_, Kind::FlatTable | Kind::FlatRow | Kind::FlatCell)) => {
                if let Some(i) = self
                    .frames
                    .iter()
                    .rposition(|f| matches!(f.kind, Kind::FlatRow))
                    && !self.frames[i..]
                        .iter()
                        .any(|f| matches!(f.kind, Kind::FlatTable))
                {
                    self.pop_to(i);
                }
                self.w.line_break();
                Kind::FlatRow
            }
            Some((i, Kind::Row | Kind::Cell)) => {
                // A new row closes the open one (and its cell).
                let row = self.frames[..=i]
                    .iter()
                    .rposition(|f| matches!(f.kind, Kind::Row));
                if let Some(r) = row {
                    self.pop_to(r);
                }
                self.start_row();
                Kind::Row
            }
            Some((_, Kind::Table)) => {
                self.start_row();
                Kind::Row
            }
            _ => {
                self.w.block(1);
                Kind::Block(1)
            }
        }
    }

    fn start_row(&mut self) {
        if let Some(t) = self.tables.last_mut() {
            if let Some(r) = t.row.take() {
                t.rows.push(r);
            }
            t.row = Some(Vec::new());
        }
    }

    pub(super) fn open_cell(&mut self, attrs: &[(String, String)]) -> Kind {
        match self.nearest_table_kind() {
            Some((i, Kind::FlatCell)) => {
                self.pop_to(i);
                self.w.pending_space = true;
                Kind::FlatCell
            }
            Some((_, Kind::FlatTable | Kind::FlatRow)) => {
                self.w.pending_space = true;
                Kind::FlatCell
            }
            Some((i, Kind::Cell)) => {
                self.pop_to(i);
                self.begin_cell(attrs)
            }
            Some((_, Kind::Table | Kind::Row)) => self.begin_cell(attrs),
            _ => {
                self.w.pending_space = true;
                Kind::Plain
            }
        }
    }

    fn begin_cell(&mut self, attrs: &[(String, String)]) -> Kind {
        let colspan = attr(attrs, "colspan")
            .and_then(|c| c.trim().parse::<usize>().ok())
            .unwrap_or(1)
            .clamp(1, 50);
        let saved = std::mem::take(&mut self.w);
        if let Some(t) = self.tables.last_mut() {
            if t.row.is_none() {
                t.row = Some(Vec::new());
            }
            t.saved = Some(saved);
            t.colspan = colspan;
        }
        Kind::Cell
    }

    pub(super) fn close_cell(&mut self, tag: &str) {
        let Some(t) = self.tables.last_mut() else {
            return;
        };
        let Some(saved) = t.saved.take() else { return };
        let cell = std::mem::replace(&mut self.w, saved).finish();
        if tag == "caption" {
            t.caption = Some(cell);
            return;
        }
        let row = t.row.get_or_insert_with(Vec::new);
        row.push(cell);
        for _ in 1..t.colspan {
            row.push(String::new());
        }
        t.colspan = 1;
    }

    pub(super) fn write_table(&mut self, t: Table) {
        let mut rows = t.rows;
        if let Some(r) = t.row {
            rows.push(r);
        }
        rows.retain(|r| r.iter().any(|c| !c.trim().is_empty()));
        let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
        if let Some(c) = t.caption.filter(|c| !c.is_empty()) {
            self.w.block(2);
            self.w.raw_lines(&c);
        }
        if cols == 0 {
            self.w.block(2);
            return;
        }
        self.w.block(2);
        if cols == 1 {
            // One column is layout, not data: keep the cells as paragraphs.
            for r in rows {
                for c in r.into_iter().filter(|c| !c.is_empty()) {
                    self.w.block(2);
                    self.w.raw_lines(&c);
                }
            }
            self.w.block(2);
            return;
        }
        let cell = |c: &str| {
            c.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("<br>")
                .replace('|', "\\|")
        };
        let mut lines = Vec::with_capacity(rows.len() + 1);
        for (i, r) in rows.iter().enumerate() {
            let mut cells: Vec<String> = r.iter().map(|c| cell(c)).collect();
            cells.resize(cols, String::new());
            lines.push(format!("| {} |", cells.join(" | ")));
            if i == 0 {
                lines.push(format!("|{}", " --- |".repeat(cols)));
            }
        }
        self.w.raw_lines(&lines.join("\n"));
        self.w.block(2);
    }
}
