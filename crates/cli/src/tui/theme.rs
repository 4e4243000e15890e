//! Colours and text attributes. Only the 16 ANSI colours (they follow the user's terminal
//! palette, light or dark); nothing at all when `NO_COLOR` is set or stdout is not a terminal.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Color {
    Red,
    Green,
    Yellow,
    Blue,
    Magenta,
    Cyan,
    /// Bright black: secondary text.
    Gray,
}

impl Color {
    /// The SGR parameter of this foreground colour.
    fn fg_code(self) -> &'static str {
        match self {
            Color::Red => "31",
            Color::Green => "32",
            Color::Yellow => "33",
            Color::Blue => "34",
            Color::Magenta => "35",
            Color::Cyan => "36",
            Color::Gray => "90",
        }
    }
}

/// A text style: a foreground colour and attributes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Style {
    pub fg: Option<Color>,
    pub bold: bool,
    pub dim: bool,
    pub italic: bool,
    pub underline: bool,
    pub strike: bool,
    pub reverse: bool,
}

impl Style {
    pub const fn plain() -> Self {
        Style {
            fg: None,
            bold: false,
            dim: false,
            italic: false,
            underline: false,
            strike: false,
            reverse: false,
        }
    }
    pub const fn fg(c: Color) -> Self {
        let mut s = Self::plain();
        s.fg = Some(c);
        s
    }
    pub const fn bold(mut self) -> Self {
        self.bold = true;
        self
    }
    pub const fn dim(mut self) -> Self {
        self.dim = true;
        self
    }
    pub const fn italic(mut self) -> Self {
        self.italic = true;
        self
    }
    pub const fn underline(mut self) -> Self {
        self.underline = true;
        self
    }
    pub const fn strike(mut self) -> Self {
        self.strike = true;
        self
    }
    /// `other`'s colour (if any) and the union of both attribute sets.
    pub fn merge(self, other: Style) -> Style {
        Style {
            fg: other.fg.or(self.fg),
            bold: self.bold || other.bold,
            dim: self.dim || other.dim,
            italic: self.italic || other.italic,
            underline: self.underline || other.underline,
            strike: self.strike || other.strike,
            reverse: self.reverse || other.reverse,
        }
    }
    pub fn is_plain(&self) -> bool {
        *self == Style::plain()
    }

    /// The SGR sequence that turns this style on (empty for plain).
    #[cfg(test)]
    pub fn sgr(&self) -> String {
        let mut s = String::new();
        self.write_sgr(&mut s);
        s
    }

    /// Appends the SGR sequence that turns this style on (nothing for plain). Written straight
    /// into the line being built: painting runs for every span of every row.
    pub fn write_sgr(&self, out: &mut String) {
        if self.is_plain() {
            return;
        }
        let fg = self.fg.map(Color::fg_code);
        let codes = [
            (self.bold, "1"),
            (self.dim, "2"),
            (self.italic, "3"),
            (self.underline, "4"),
            (self.reverse, "7"),
            (self.strike, "9"),
            (fg.is_some(), fg.unwrap_or("")),
        ];
        out.push_str("\x1b[");
        let mut first = true;
        for (on, code) in codes {
            if on {
                if !first {
                    out.push(';');
                }
                out.push_str(code);
                first = false;
            }
        }
        out.push('m');
    }
}

pub const RESET: &str = "\x1b[0m";

/// Whether to colour, decided once at start-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    #[cfg(test)]
    pub const PLAIN: Theme = Theme { color: false };
    #[cfg(test)]
    pub const COLOR: Theme = Theme { color: true };

    /// Colours unless `NO_COLOR` is set (to anything non-empty), `TERM=dumb`, or stdout is not
    /// a terminal.
    pub fn detect() -> Theme {
        use std::io::IsTerminal;
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        Theme {
            color: !no_color && !dumb && std::io::stdout().is_terminal(),
        }
    }

    /// `text` in `style` (unchanged without colours).
    pub fn paint(&self, style: Style, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + 16);
        self.paint_into(&mut out, style, text);
        out
    }

    /// Appends `text` in `style` to `out`.
    pub fn paint_into(&self, out: &mut String, style: Style, text: &str) {
        if !self.color || style.is_plain() || text.is_empty() {
            out.push_str(text);
            return;
        }
        style.write_sgr(out);
        out.push_str(text);
        out.push_str(RESET);
    }
}

// The palette, by meaning.
pub const ERROR: Style = Style::fg(Color::Red);
pub const WARN: Style = Style::fg(Color::Yellow);
pub const OK: Style = Style::fg(Color::Green);
pub const DIM: Style = Style::plain().dim();
pub const SECONDARY: Style = Style::fg(Color::Gray);
pub const ACCENT: Style = Style::fg(Color::Magenta);
pub const TOOL: Style = Style::plain().bold();
pub const CODE: Style = Style::fg(Color::Cyan);
pub const LINK: Style = Style::fg(Color::Blue).underline();
pub const ADDED: Style = Style::fg(Color::Green);
pub const REMOVED: Style = Style::fg(Color::Red);
pub const SELECTED: Style = Style::fg(Color::Cyan).bold();
pub const PERMISSION: Style = Style::fg(Color::Yellow).bold();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_theme_emits_no_escapes() {
        assert_eq!(Theme::PLAIN.paint(ERROR.bold(), "x"), "x");
        assert_eq!(Theme::COLOR.paint(ERROR.bold(), "x"), "\x1b[1;31mx\x1b[0m");
        assert_eq!(Theme::COLOR.paint(Style::plain(), "x"), "x");
    }

    #[test]
    fn sgr_lists_attributes_then_colour() {
        assert_eq!(Style::plain().sgr(), "");
        assert_eq!(Style::fg(Color::Gray).sgr(), "\x1b[90m");
        let all = Style {
            fg: Some(Color::Cyan),
            bold: true,
            dim: true,
            italic: true,
            underline: true,
            strike: true,
            reverse: true,
        };
        assert_eq!(all.sgr(), "\x1b[1;2;3;4;7;9;36m");
        assert_eq!(DIM.italic().sgr(), "\x1b[2;3m");
    }

    #[test]
    fn merge_keeps_attributes() {
        let s = DIM.merge(Style::fg(Color::Red).bold());
        assert!(s.dim && s.bold);
        assert_eq!(s.fg, Some(Color::Red));
    }
}
